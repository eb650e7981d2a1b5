//! Statistics of one detection's light curve (the catalogue's `lc_*` columns; EXOD2 reference
//! §8.1, §8.7), from the region curve the search stores ([`crate::search::LightCurve`]).
//!
//! * counts: `n_bins`, `n_max`, `n_min`, `n_sum`, `n_mean`, `n_std` (sample standard deviation,
//!   `n − 1` in the denominator as pandas, 0 below two bins), `mu_sum`;
//! * `peak_rate`: `n_max / (tbin · L)` at the first bin holding `n_max`, `L` its live fraction
//!   (`n_max / tbin` when `L = 0`), in ct/s;
//! * `ratio_bti`: the fraction (0–1, not a percent) of bins that are bad time intervals;
//! * consistency with μ over the bins with live time (`L > 0`) and `μ > 0`, the `dof` bins:
//!   `chi2 = Σ (n − μ)² / μ` (Pearson, for reference), and `cstat`, the Poisson
//!   likelihood-ratio statistic `C = 2 Σ [μ − n + n ln(n / μ)]` (Cash 1979), whose tail
//!   `p_const = P(χ²_dof ≥ C)` is the probability that counts drawn from μ deviate at least this
//!   much. μ is the model of a constant source plus background (paper §2.5) with no parameter
//!   fitted to the curve, so dof is the number of bins. `C` is preferred to Pearson's χ² because
//!   it stays close to its χ² law at the few counts per bin of EXOD curves; `p_const` is NaN
//!   when `dof = 0`;
//! * `n_peaks`: the number of runs of significant bins, a bin being significant when its peak or
//!   eclipse Bayes factor passes the 3σ thresholds of the search (paper eqs. 6–10), and two
//!   significant bins belonging to the same run unless more than [`PEAK_GAP_S`] seconds of
//!   non-significant bins separate them. (EXOD2 used a bin count per t_bin, 1000/100/5 bins at
//!   5/50/200 s; a gap in time works for every t_bin.)

use std::sync::OnceLock;

use statrs::function::gamma::gamma_ur;

use crate::stats::{Boundaries, Rule, Thresholds};

/// Significant bins further apart than this (s) start a new peak in [`CurveStats::n_peaks`].
pub const PEAK_GAP_S: f64 = 5000.0;

/// σ-equivalent of a significant bin for [`CurveStats::n_peaks`].
pub const PEAK_SIGMA: f64 = 3.0;

/// Statistics of one light curve (see the module docs for each definition).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CurveStats {
    /// Number of bins.
    pub n_bins: usize,
    /// Largest count in a bin (ct).
    pub n_max: u32,
    /// Smallest count in a bin (ct).
    pub n_min: u32,
    /// Total counts (ct).
    pub n_sum: u64,
    /// Mean counts per bin (ct).
    pub n_mean: f64,
    /// Sample standard deviation of the counts per bin (ct).
    pub n_std: f64,
    /// Total expected counts μ (ct).
    pub mu_sum: f64,
    /// Peak count rate, live-time corrected (ct/s).
    pub peak_rate: f64,
    /// Fraction of bins that are bad time intervals (0–1).
    pub ratio_bti: f64,
    /// Pearson χ² of the counts against μ over the live bins with μ > 0.
    pub chi2: f64,
    /// Poisson likelihood-ratio (Cash) statistic over the same bins.
    pub cstat: f64,
    /// Number of bins in `chi2` and `cstat`.
    pub dof: usize,
    /// `P(χ²_dof ≥ cstat)`: probability of a curve this far from μ (NaN if `dof = 0`).
    pub p_const: f64,
    /// Runs of significant bins (see the module docs).
    pub n_peaks: usize,
}

/// The exact 3σ decision rule (paper eqs. 6–10) as a lookup table.
fn boundaries() -> &'static Boundaries {
    static B: OnceLock<Boundaries> = OnceLock::new();
    B.get_or_init(|| {
        let t = Thresholds::for_sigma(PEAK_SIGMA).expect("3σ thresholds exist");
        Boundaries::new(t, Rule::Exact, 4096)
    })
}

/// Statistics of a curve of counts `n`, expected counts `mu`, BTI flags `bti` and live fractions
/// `live` per bin of `tbin` seconds.
///
/// # Panics
/// If the slices differ in length.
pub fn curve_stats(n: &[u32], mu: &[f64], bti: &[bool], live: &[f32], tbin: f64) -> CurveStats {
    assert!(
        mu.len() == n.len() && bti.len() == n.len() && live.len() == n.len(),
        "curve_stats: slices differ in length"
    );
    let nb = n.len();
    let n_sum: u64 = n.iter().map(|&x| x as u64).sum();
    let n_mean = if nb > 0 {
        n_sum as f64 / nb as f64
    } else {
        f64::NAN
    };
    let n_std = if nb > 1 {
        let ss: f64 = n.iter().map(|&x| (x as f64 - n_mean).powi(2)).sum();
        (ss / (nb - 1) as f64).sqrt()
    } else {
        0.0
    };
    let (chi2, cstat, dof) = fit_to_mu(n, mu, live);
    CurveStats {
        n_bins: nb,
        n_max: n.iter().copied().max().unwrap_or(0),
        n_min: n.iter().copied().min().unwrap_or(0),
        n_sum,
        n_mean,
        n_std,
        mu_sum: mu.iter().sum(),
        peak_rate: peak_rate(n, live, tbin),
        ratio_bti: if nb > 0 {
            bti.iter().filter(|&&b| b).count() as f64 / nb as f64
        } else {
            f64::NAN
        },
        chi2,
        cstat,
        dof,
        p_const: chi2_sf(cstat, dof),
        n_peaks: count_peaks(n, mu, tbin),
    }
}

fn peak_rate(n: &[u32], live: &[f32], tbin: f64) -> f64 {
    let Some(n_max) = n.iter().copied().max() else {
        return f64::NAN;
    };
    let k = n.iter().position(|&x| x == n_max).expect("max exists");
    let l = live[k] as f64;
    n_max as f64 / (tbin * if l > 0.0 { l } else { 1.0 })
}

/// (Pearson χ², Cash C, bins used) over the bins with live time and μ > 0.
fn fit_to_mu(n: &[u32], mu: &[f64], live: &[f32]) -> (f64, f64, usize) {
    let (mut chi2, mut c, mut dof) = (0.0, 0.0, 0usize);
    for k in 0..n.len() {
        let (x, m) = (n[k] as f64, mu[k]);
        if !(live[k] > 0.0 && m > 0.0 && m.is_finite()) {
            continue;
        }
        chi2 += (x - m).powi(2) / m;
        c += 2.0 * (m - x + if x > 0.0 { x * (x / m).ln() } else { 0.0 });
        dof += 1;
    }
    (chi2, c, dof)
}

/// `P(χ²_dof ≥ x)`.
fn chi2_sf(x: f64, dof: usize) -> f64 {
    if dof == 0 || x.is_nan() {
        f64::NAN
    } else if x <= 0.0 {
        1.0
    } else {
        gamma_ur(dof as f64 / 2.0, x / 2.0)
    }
}

fn count_peaks(n: &[u32], mu: &[f64], tbin: f64) -> usize {
    let b = boundaries();
    let max_gap_bins = (PEAK_GAP_S / tbin).floor() as usize;
    let mut peaks = 0;
    let mut last: Option<usize> = None;
    for k in 0..n.len() {
        let m = mu[k];
        if !(m > 0.0 && m.is_finite()) {
            continue;
        }
        let sig = b.is_peak(n[k] as u64, m) || b.is_eclipse(n[k] as u64, m);
        if !sig {
            continue;
        }
        // bins strictly between the two significant bins
        if last.map_or(true, |j| k - j - 1 > max_gap_bins) {
            peaks += 1;
        }
        last = Some(k);
    }
    peaks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_moments_and_rates_match_direct_computation() {
        let n = [0u32, 3, 7, 1, 7];
        let mu = [0.5, 1.0, 1.0, 0.5, 2.0];
        let bti = [false, true, false, false, true];
        let live = [1.0f32, 1.0, 0.5, 1.0, 1.0];
        let s = curve_stats(&n, &mu, &bti, &live, 5.0);
        assert_eq!((s.n_bins, s.n_max, s.n_min, s.n_sum), (5, 7, 0, 18));
        assert!((s.n_mean - 3.6).abs() < 1e-12);
        // sample variance: Σ(x − 3.6)² / 4 = (12.96 + 0.36 + 11.56 + 6.76 + 11.56) / 4 = 10.8
        assert!((s.n_std - 10.8f64.sqrt()).abs() < 1e-12, "{}", s.n_std);
        assert!((s.mu_sum - 5.0).abs() < 1e-12);
        // the first 7 is in a half-live bin: 7 / (5 · 0.5)
        assert!((s.peak_rate - 2.8).abs() < 1e-12);
        assert!((s.ratio_bti - 0.4).abs() < 1e-12);
    }

    #[test]
    fn chi2_and_cash_skip_dead_bins_and_give_the_right_tail() {
        let n = [2u32, 0, 5, 9];
        let mu = [1.0, 2.0, 5.0, 1.0];
        let live = [1.0f32, 1.0, 1.0, 0.0]; // the last bin is dead
        let s = curve_stats(&n, &mu, &[false; 4], &live, 50.0);
        assert_eq!(s.dof, 3);
        let chi2 = 1.0 + 2.0 + 0.0;
        assert!((s.chi2 - chi2).abs() < 1e-12);
        let c = 2.0 * ((1.0 - 2.0 + 2.0 * 2f64.ln()) + 2.0 + 0.0);
        assert!((s.cstat - c).abs() < 1e-12);
        // χ²₃ survival function in closed form: erfc(√(x/2)) + √(2x/π) e^(−x/2)
        let x = c;
        let sf = statrs::function::erf::erfc((x / 2.0).sqrt())
            + (2.0 * x / std::f64::consts::PI).sqrt() * (-x / 2.0).exp();
        assert!((s.p_const - sf).abs() < 1e-10, "{} vs {sf}", s.p_const);
        // a curve equal to μ is perfectly constant
        let s = curve_stats(&[1, 2, 3], &[1.0, 2.0, 3.0], &[false; 3], &[1.0; 3], 5.0);
        assert_eq!((s.chi2, s.cstat, s.p_const), (0.0, 0.0, 1.0));
        // no live bin: no test
        assert!(curve_stats(&[1], &[1.0], &[false], &[0.0], 5.0)
            .p_const
            .is_nan());
    }

    #[test]
    fn peaks_are_runs_of_significant_bins_split_by_long_gaps() {
        // 5 s bins, μ = 0.1: 8 counts is far above 3σ, 1 count is not
        let mut n = vec![0u32; 3000];
        let mu = vec![0.1; 3000];
        n[10] = 8;
        n[11] = 8; // same run
        n[11 + 1000] = 8; // 999 quiet bins = 4995 s ≤ 5000 s: same run
        n[11 + 1000 + 1002] = 8; // 1001 quiet bins = 5005 s: a new run
        n[500] = 1; // not significant
        let s = curve_stats(&n, &mu, &vec![false; 3000], &vec![1.0; 3000], 5.0);
        assert_eq!(s.n_peaks, 2);
        // an eclipse bin counts too: 0 counts where 60 are expected
        let s = curve_stats(&[60, 0, 60], &[60.0; 3], &[false; 3], &[1.0; 3], 200.0);
        assert_eq!(s.n_peaks, 1);
        let s = curve_stats(&[1, 0, 1], &[1.0; 3], &[false; 3], &[1.0; 3], 200.0);
        assert_eq!(s.n_peaks, 0);
    }
}
