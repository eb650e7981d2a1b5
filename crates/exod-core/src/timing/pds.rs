//! Leahy-normalised power spectra of event lists, averaged over segments (Leahy et al. 1983,
//! ApJ 266, 160; van der Klis 1989, *Fourier techniques in X-ray timing*, §2–3).
//!
//! # Segments and binning (as stingray's `AveragedPowerspectrum.from_events`)
//! * the number of bins per segment is `n = ⌊segment_s/dt⌋` (or `⌈…⌉` when within 0.01 of it)
//!   and the segment length is taken as `n·dt`;
//! * segments start at each GTI start and follow each other without gaps while they fit
//!   entirely inside the interval (`start + segment ≤ stop + 1e-5 s`): segments never cross a
//!   gap, the remainder of each interval is not used;
//! * events in `[start, start + segment)` are binned at `dt` (bin `⌊(t − start)·n/segment⌋`);
//!   a segment with fewer than 2 events is skipped;
//! * the powers `|a_j|²` of the real FFT `a_j = Σ_m c_m e^{−2πi jm/n}` are kept at the positive
//!   Fourier frequencies `j/(n·dt)`, `j = 1 … ⌈n/2⌉ − 1` (no zero, no Nyquist).
//!
//! # Normalisation
//! Per segment (`common_mean = false`): `P_j = 2|a_j|²/N_ph` with that segment's photons,
//! then the mean over the M segments; common mean (stingray's default, `use_common_mean=True`):
//! `P_j = ⟨|a_j|²⟩ · 2/⟨N_ph⟩`. For Poisson noise each per-segment power is distributed as χ²₂
//! (mean 2), so `M·P̄ ~ χ²_{2M}`: the single-trial false-alarm probability of a power `P̄` is
//! `P(χ²_{2M} > M·P̄)` ([`PowerSpectrum::ln_fap_single`]); the Fourier frequencies are
//! independent trials.

// `!(x > 0.0)` is meant: it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use realfft::RealFftPlanner;

use crate::gti::Gti;

use super::period::TimingError;
use super::significance::chi2_ln_sf;

/// An averaged Leahy power spectrum.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PowerSpectrum {
    /// Fourier frequencies `j/(n·dt)` (Hz).
    pub freq: Vec<f64>,
    /// Averaged Leahy powers.
    pub power: Vec<f64>,
    /// Number of segments averaged (M).
    pub m_segments: usize,
    /// Bins per segment (n).
    pub n_bins_per_segment: usize,
    /// Bin size (s).
    pub dt: f64,
    /// Segment length used, `n·dt` (s).
    pub segment_s: f64,
    /// Photons in the averaged segments.
    pub n_photons: u64,
    /// Whether the common-mean normalisation was used.
    pub common_mean: bool,
}

impl PowerSpectrum {
    /// `ln` of the single-trial false-alarm probability of an averaged power `p`:
    /// `ln P(χ²_{2M} > M·p)`.
    pub fn ln_fap_single(&self, p: f64) -> f64 {
        let m = self.m_segments as f64;
        chi2_ln_sf(2.0 * m, m * p)
    }
}

/// stingray's `fix_segment_size_to_integer_samples`: `(n, n·dt)`.
fn integer_samples(segment_s: f64, dt: f64) -> (usize, f64) {
    let x = segment_s / dt;
    let n = if x.ceil() - x < 0.01 {
        x.ceil()
    } else {
        x.floor()
    };
    (n as usize, n * dt)
}

/// Start times of the segments that fit entirely inside a GTI.
pub fn segment_starts(gti: &Gti, segment_s: f64) -> Vec<f64> {
    const EPSILON: f64 = 1e-5;
    let mut starts = Vec::new();
    for &(a, b) in gti.intervals() {
        let mut i = 0.0;
        while a + (i + 1.0) * segment_s <= b + EPSILON {
            starts.push(a + i * segment_s);
            i += 1.0;
        }
    }
    starts
}

fn check(times: &[f64], dt: f64, segment_s: f64) -> Result<(), TimingError> {
    if !(dt > 0.0 && dt.is_finite()) {
        return Err(TimingError::param(format!(
            "power spectrum: dt = {dt} s (expected a finite bin size > 0)"
        )));
    }
    if !(segment_s >= 2.0 * dt && segment_s.is_finite()) {
        return Err(TimingError::param(format!(
            "power spectrum: segment of {segment_s} s for dt = {dt} s (expected at least 2 bins)"
        )));
    }
    if times.iter().any(|t| !t.is_finite()) {
        return Err(TimingError::input(
            "power spectrum: an event time is not finite",
        ));
    }
    if times.windows(2).any(|w| w[1] < w[0]) {
        return Err(TimingError::input(
            "power spectrum: event times are not sorted (expected increasing times)",
        ));
    }
    Ok(())
}

/// Averaged Leahy power spectrum of sorted event `times` in segments of `segment_s` seconds
/// binned at `dt` inside `gti` (see the module documentation; `common_mean = true` is
/// stingray's default normalisation).
pub fn leahy_averaged(
    times: &[f64],
    gti: &Gti,
    dt: f64,
    segment_s: f64,
    common_mean: bool,
) -> Result<PowerSpectrum, TimingError> {
    check(times, dt, segment_s)?;
    let (n, seg) = integer_samples(segment_s, dt);
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let n_pos = n.div_ceil(2) - 1;
    let mut sum_unnorm = vec![0.0; n_pos];
    let mut sum_leahy = vec![0.0; n_pos];
    let (mut m, mut n_ph_total) = (0usize, 0u64);
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    for s in segment_starts(gti, seg) {
        let i0 = times.partition_point(|&t| t < s);
        let i1 = times.partition_point(|&t| t < s + seg);
        if i1 - i0 < 2 {
            continue;
        }
        input.iter_mut().for_each(|v| *v = 0.0);
        let scale = n as f64 / seg;
        for &t in &times[i0..i1] {
            let x = (t - s) * scale;
            if (0.0..n as f64).contains(&x) {
                input[x as usize] += 1.0;
            }
        }
        let n_ph: f64 = input.iter().sum();
        if n_ph == 0.0 {
            continue;
        }
        fft.process(&mut input, &mut spectrum)
            .map_err(|e| TimingError::input(format!("power spectrum: FFT failed: {e}")))?;
        for j in 0..n_pos {
            let p = spectrum[j + 1].norm_sqr();
            sum_unnorm[j] += p;
            sum_leahy[j] += 2.0 * p / n_ph;
        }
        m += 1;
        n_ph_total += n_ph as u64;
    }
    if m == 0 {
        return Err(TimingError::input(format!(
            "power spectrum: no segment of {seg} s with at least 2 events fits inside the GTIs"
        )));
    }
    let power = if common_mean {
        let mean_ph = n_ph_total as f64 / m as f64;
        sum_unnorm
            .iter()
            .map(|p| p / m as f64 * 2.0 / mean_ph)
            .collect()
    } else {
        sum_leahy.iter().map(|p| p / m as f64).collect()
    };
    Ok(PowerSpectrum {
        freq: (1..=n_pos).map(|j| j as f64 / seg).collect(),
        power,
        m_segments: m,
        n_bins_per_segment: n,
        dt,
        segment_s: seg,
        n_photons: n_ph_total,
        common_mean,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_stay_inside_gtis() {
        let gti = Gti::from_rows(&[0.0, 250.0], &[230.0, 400.0]).unwrap();
        assert_eq!(segment_starts(&gti, 100.0), vec![0.0, 100.0, 250.0]);
        assert_eq!(integer_samples(10.0, 0.3), (33, 33.0 * 0.3));
        assert_eq!(integer_samples(10.0, 0.1).0, 100);
    }

    #[test]
    fn powers_match_a_direct_dft_and_the_noise_level() {
        // deterministic pseudo-random events, 2 segments of 64 bins
        let mut s = 12345u64;
        let mut times: Vec<f64> = (0..3000)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64 * 128.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let gti = Gti::single(0.0, 128.0);
        let pds = leahy_averaged(&times, &gti, 1.0, 64.0, false).unwrap();
        assert_eq!((pds.m_segments, pds.n_bins_per_segment), (2, 64));
        assert_eq!(pds.freq.len(), 31);
        // oracle: direct DFT of each segment's counts
        let mut want = vec![0.0; 31];
        for seg in 0..2 {
            let mut c = vec![0.0; 64];
            for &t in &times {
                let x = t - 64.0 * seg as f64;
                if (0.0..64.0).contains(&x) {
                    c[x as usize] += 1.0;
                }
            }
            let nph: f64 = c.iter().sum();
            for (j, w) in want.iter_mut().enumerate() {
                let (mut re, mut im) = (0.0, 0.0);
                for (m, &cm) in c.iter().enumerate() {
                    let a = -2.0 * std::f64::consts::PI * ((j + 1) * m) as f64 / 64.0;
                    re += cm * a.cos();
                    im += cm * a.sin();
                }
                *w += (re * re + im * im) * 2.0 / nph / 2.0;
            }
        }
        for (p, w) in pds.power.iter().zip(&want) {
            assert!((p - w).abs() < 1e-9 * w.max(1.0));
        }
        let mean: f64 = pds.power.iter().sum::<f64>() / 31.0;
        assert!((mean - 2.0).abs() < 0.5, "{mean}");
        assert!((pds.ln_fap_single(2.0) - chi2_ln_sf(4.0, 4.0)).abs() < 1e-15);
    }

    #[test]
    fn bad_inputs() {
        let gti = Gti::single(0.0, 10.0);
        assert!(leahy_averaged(&[1.0, 2.0], &gti, 0.0, 5.0, true).is_err());
        assert!(leahy_averaged(&[1.0, 2.0], &gti, 1.0, 1.0, true).is_err());
        assert!(leahy_averaged(&[2.0, 1.0], &gti, 1.0, 5.0, true).is_err());
        assert!(leahy_averaged(&[1.0, 2.0], &gti, 1.0, 20.0, true).is_err());
    }
}
