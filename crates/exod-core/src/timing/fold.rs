//! Folded pulse profiles with their exposure per phase bin, the epoch-folding statistic and
//! its search, and pulsed fractions of a profile.
//!
//! # Folding
//! Phases are `φ = f·(t − t_ref)` cycles, `t_ref` the first event (`times[0]`) unless given;
//! bin `i` of `nbin` holds `i/nbin ≤ φ mod 1 < (i+1)/nbin`. The exposure of bin `i` is the good
//! time whose phase falls in it, computed exactly from the GTIs (whole cycles of each interval
//! give `1/(f·nbin)` s per bin per cycle, the partial cycle is split by its phase range). With
//! no GTI the exposure is uniform: `(t_last − t_first)/nbin` per bin.
//!
//! # Epoch folding (Leahy et al. 1983, ApJ 266, 160)
//! `χ² = Σ_i (n_i − N e_i/E)² / (N e_i/E)` with `e_i` the exposure of bin `i`, `E = Σ e_i` and
//! `N` the folded events: the expectation is exposure-weighted, so gaps in the GTIs do not
//! fake a pulse. Without a signal χ² ~ χ²_{nbin−1}. stingray's `epoch_folding_search`
//! (numba path, no `expocorr`) uses the uniform expectation `N/nbin` and, like its
//! `z_n_search`, drops the last event (see [`super::z2`]); `stingray_compatible = true`
//! reproduces it.
//!
//! # Pulsed fractions of a profile (both on the exposure-corrected rate `r_i = n_i/e_i`)
//! * max–min: `(r_max − r_min)/(r_max + r_min)`; biased upwards by noise;
//! * rms: `√(max(0, mean_i[(r_i − r̄)² − n_i/e_i²])) / r̄`, `r̄ = N/E`, with the Poisson variance
//!   of each bin subtracted; `p·sinc(π/nbin)/√2` for a sinusoid `1 + p sin`.

// `!(x > 0.0)` is meant: it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use rayon::prelude::*;

use crate::gti::Gti;

use super::freq::FrequencyGrid;
use super::period::TimingError;
use super::z2::{fold_counts_stingray, stingray_kept_times};

/// A folded profile: counts and good time per phase bin.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FoldedProfile {
    /// Folding frequency (Hz).
    pub frequency_hz: f64,
    /// Time of phase 0 (s, the time system of the events).
    pub t_ref: f64,
    /// Events per phase bin.
    pub counts: Vec<u64>,
    /// Good time per phase bin (s).
    pub exposure: Vec<f64>,
}

impl FoldedProfile {
    /// Number of phase bins.
    pub fn nbin(&self) -> usize {
        self.counts.len()
    }

    /// Number of folded events.
    pub fn n_events(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Phase at the centre of each bin (cycles).
    pub fn phase_centres(&self) -> Vec<f64> {
        let n = self.nbin() as f64;
        (0..self.nbin()).map(|i| (i as f64 + 0.5) / n).collect()
    }

    /// Exposure-corrected rate per bin (counts/s; 0 where a bin has no exposure).
    pub fn rate(&self) -> Vec<f64> {
        self.counts
            .iter()
            .zip(&self.exposure)
            .map(|(&n, &e)| if e > 0.0 { n as f64 / e } else { 0.0 })
            .collect()
    }

    /// 1σ error of the rate, `√max(n, 1)/e` (a bin with no count gets the error of one).
    pub fn rate_error(&self) -> Vec<f64> {
        self.counts
            .iter()
            .zip(&self.exposure)
            .map(|(&n, &e)| {
                if e > 0.0 {
                    (n.max(1) as f64).sqrt() / e
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The epoch-folding χ² with exposure-weighted expectation (bins without exposure skipped).
    pub fn ef_chi2(&self) -> f64 {
        ef_chi2(&self.counts, &self.exposure)
    }

    /// `(r_max − r_min)/(r_max + r_min)` over bins with exposure (0 for an empty profile).
    pub fn pulsed_fraction_minmax(&self) -> f64 {
        let r: Vec<f64> = self
            .rate()
            .into_iter()
            .zip(&self.exposure)
            .filter(|(_, &e)| e > 0.0)
            .map(|(r, _)| r)
            .collect();
        let max = r.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let min = r.iter().cloned().fold(f64::INFINITY, f64::min);
        if max + min > 0.0 {
            (max - min) / (max + min)
        } else {
            0.0
        }
    }

    /// Noise-subtracted rms pulsed fraction (see the module documentation).
    pub fn pulsed_fraction_rms(&self) -> f64 {
        let e_tot: f64 = self.exposure.iter().sum();
        let n_tot = self.n_events() as f64;
        if !(e_tot > 0.0 && n_tot > 0.0) {
            return 0.0;
        }
        let mean = n_tot / e_tot;
        let (mut acc, mut m) = (0.0, 0.0);
        for (&n, &e) in self.counts.iter().zip(&self.exposure) {
            if e > 0.0 {
                let r = n as f64 / e;
                acc += (r - mean).powi(2) - n as f64 / (e * e);
                m += 1.0;
            }
        }
        (acc / m).max(0.0).sqrt() / mean
    }
}

/// `Σ (n_i − N e_i/E)²/(N e_i/E)` over bins with `e_i > 0`.
fn ef_chi2(counts: &[u64], exposure: &[f64]) -> f64 {
    let e_tot: f64 = exposure.iter().sum();
    let n_tot: f64 = counts.iter().sum::<u64>() as f64;
    if !(e_tot > 0.0 && n_tot > 0.0) {
        return 0.0;
    }
    counts
        .iter()
        .zip(exposure)
        .filter(|(_, &e)| e > 0.0)
        .map(|(&n, &e)| {
            let mu = n_tot * e / e_tot;
            (n as f64 - mu).powi(2) / mu
        })
        .sum()
}

/// Good time per phase bin of `gti` folded at `f` from `t_ref` (exact).
pub fn phase_exposure(gti: &Gti, t_ref: f64, f: f64, nbin: usize) -> Vec<f64> {
    let mut expo = vec![0.0; nbin];
    let nb = nbin as f64;
    for &(a, b) in gti.intervals() {
        let pa = f * (a - t_ref);
        let width = f * (b - a);
        let full = width.floor();
        let per_bin = full / (f * nb);
        expo.iter_mut().for_each(|e| *e += per_bin);
        // the partial cycle: phases [s, s + rem) in bin units, wrapping
        let s = (pa - pa.floor()) * nb;
        let end = s + (width - full) * nb;
        let mut x = s;
        while x < end {
            let edge = (x.floor() + 1.0).min(end);
            let bin = (x.floor() as usize) % nbin;
            expo[bin] += (edge - x) / (f * nb);
            x = edge;
        }
    }
    expo
}

fn check(times: &[f64], f: f64, nbin: usize) -> Result<(), TimingError> {
    if times.is_empty() {
        return Err(TimingError::input("folding: no events"));
    }
    if times.iter().any(|t| !t.is_finite()) {
        return Err(TimingError::input("folding: an event time is not finite"));
    }
    if !(f > 0.0 && f.is_finite()) {
        return Err(TimingError::param(format!(
            "folding: frequency {f} Hz (expected a finite frequency > 0)"
        )));
    }
    if nbin < 2 {
        return Err(TimingError::param(format!(
            "folding: nbin = {nbin} (expected ≥ 2, default 16)"
        )));
    }
    Ok(())
}

fn uniform_exposure(times: &[f64], nbin: usize) -> Vec<f64> {
    let (lo, hi) = times
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &t| {
            (l.min(t), h.max(t))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    vec![span / nbin as f64; nbin]
}

fn fold_counts(times: &[f64], t_ref: f64, f: f64, counts: &mut [u64]) {
    let nb = counts.len();
    counts.iter_mut().for_each(|c| *c = 0);
    for &t in times {
        let ph = f * (t - t_ref);
        let b = (((ph - ph.floor()) * nb as f64) as usize).min(nb - 1);
        counts[b] += 1;
    }
}

/// Fold `times` at `f` into `nbin` bins from `t_ref = times[0]`, exposure from `gti`
/// (uniform when `None`).
pub fn fold(
    times: &[f64],
    f: f64,
    nbin: usize,
    gti: Option<&Gti>,
) -> Result<FoldedProfile, TimingError> {
    check(times, f, nbin)?;
    fold_at(times, times[0], f, nbin, gti)
}

/// Fold with a given phase reference `t_ref`.
pub fn fold_at(
    times: &[f64],
    t_ref: f64,
    f: f64,
    nbin: usize,
    gti: Option<&Gti>,
) -> Result<FoldedProfile, TimingError> {
    check(times, f, nbin)?;
    let mut counts = vec![0; nbin];
    fold_counts(times, t_ref, f, &mut counts);
    let exposure = match gti {
        Some(g) => phase_exposure(g, t_ref, f, nbin),
        None => uniform_exposure(times, nbin),
    };
    Ok(FoldedProfile {
        frequency_hz: f,
        t_ref,
        counts,
        exposure,
    })
}

/// Epoch-folding χ² on every frequency of `grid` (direct `O(N·n_f)`, rayon-parallel), with the
/// exposure-weighted expectation from `gti` (uniform when `None`).
pub fn epoch_folding_search(
    times: &[f64],
    gti: Option<&Gti>,
    grid: &FrequencyGrid,
    nbin: usize,
) -> Result<Vec<f64>, TimingError> {
    epoch_folding_search_with(times, gti, grid, nbin, false)
}

/// [`epoch_folding_search`], or stingray's (`stingray_compatible`: last event dropped, uniform
/// expectation, `gti` ignored).
pub fn epoch_folding_search_with(
    times: &[f64],
    gti: Option<&Gti>,
    grid: &FrequencyGrid,
    nbin: usize,
    stingray_compatible: bool,
) -> Result<Vec<f64>, TimingError> {
    check(times, grid.fmin, nbin)?;
    if stingray_compatible {
        let tau = stingray_kept_times(times);
        let uniform = vec![1.0; nbin];
        return Ok((0..grid.n)
            .into_par_iter()
            .map_init(
                || vec![0u64; nbin],
                |c, i| {
                    fold_counts_stingray(&tau, grid.freq(i), c);
                    ef_chi2(c, &uniform)
                },
            )
            .collect());
    }
    let t_ref = times[0];
    let uniform = uniform_exposure(times, nbin);
    Ok((0..grid.n)
        .into_par_iter()
        .map_init(
            || vec![0u64; nbin],
            |c, i| {
                let f = grid.freq(i);
                fold_counts(times, t_ref, f, c);
                match gti {
                    Some(g) => ef_chi2(c, &phase_exposure(g, t_ref, f, nbin)),
                    None => ef_chi2(c, &uniform),
                }
            },
        )
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_exposure_matches_fine_sampling() {
        let gti = Gti::from_rows(&[3.3, 20.0, 41.7], &[12.9, 33.05, 42.0]).unwrap();
        let (f, t_ref, nbin) = (0.37, 1.234, 7);
        let e = phase_exposure(&gti, t_ref, f, nbin);
        // oracle: sample time finely, assign each sample's phase bin
        let dt = 1e-4;
        let mut want = vec![0.0; nbin];
        for &(a, b) in gti.intervals() {
            let mut t = a + dt / 2.0;
            while t < b {
                let ph = f * (t - t_ref);
                want[((ph - ph.floor()) * nbin as f64) as usize] += dt;
                t += dt;
            }
        }
        for (x, y) in e.iter().zip(&want) {
            assert!((x - y).abs() < 2e-4, "{x} vs {y}");
        }
        assert!((e.iter().sum::<f64>() - gti.exposure()).abs() < 1e-12);
    }

    #[test]
    fn ef_statistic_by_hand_and_gap_awareness() {
        // 4 bins, uniform: counts 10, 20, 30, 40 → mean 25, χ² = (225+25+25+225)/25 = 20
        assert!((ef_chi2(&[10, 20, 30, 40], &[1.0; 4]) - 20.0).abs() < 1e-12);
        // exposure-weighted: counts proportional to exposure give χ² = 0
        assert!(ef_chi2(&[10, 20, 30, 40], &[1.0, 2.0, 3.0, 4.0]).abs() < 1e-12);
        // a constant source observed through a GTI that covers only part of each cycle is
        // folded flat once the exposure is used
        let gti = Gti::from_rows(&[0.0, 10.0, 20.0], &[4.0, 14.0, 24.0]).unwrap();
        let times: Vec<f64> = (0..1200)
            .map(|i| {
                let k = i / 400;
                k as f64 * 10.0 + (i % 400) as f64 * 0.01 + 0.005
            })
            .collect();
        let p = fold_at(&times, 0.0, 0.1, 10, Some(&gti)).unwrap();
        assert_eq!(p.n_events(), 1200);
        assert!(p.ef_chi2() < 1e-9, "{}", p.ef_chi2());
        let no_gti = fold(&times, 0.1, 10, None).unwrap();
        assert!(no_gti.ef_chi2() > 1000.0);
    }

    #[test]
    fn pulsed_fractions_of_a_known_profile() {
        // rate 1 + 0.5 sin over 64 bins, exact expectations as counts (no noise)
        let nbin = 64;
        let counts: Vec<u64> = (0..nbin)
            .map(|i| {
                let ph = (i as f64 + 0.5) / nbin as f64;
                (1e6 * (1.0 + 0.5 * (2.0 * std::f64::consts::PI * ph).sin())).round() as u64
            })
            .collect();
        let p = FoldedProfile {
            frequency_hz: 1.0,
            t_ref: 0.0,
            counts,
            exposure: vec![1.0; nbin],
        };
        assert!((p.pulsed_fraction_minmax() - 0.5).abs() < 2e-3);
        // rms of 0.5 sin is 0.5/√2 (bin centres sample it exactly)
        assert!((p.pulsed_fraction_rms() - 0.5 / 2f64.sqrt()).abs() < 1e-3);
        assert_eq!(p.phase_centres()[0], 0.5 / 64.0);
    }

    #[test]
    fn search_errors() {
        let g = FrequencyGrid::new(1.0, 0.1, 3).unwrap();
        assert!(epoch_folding_search(&[], None, &g, 8).is_err());
        assert!(epoch_folding_search(&[1.0, 2.0], None, &g, 1).is_err());
        assert!(fold(&[1.0, 2.0], -1.0, 8, None).is_err());
    }
}
