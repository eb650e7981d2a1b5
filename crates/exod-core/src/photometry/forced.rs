//! The time domain of a known position: forced photometry with the EXOD Bayes factors on the
//! source's own aperture light curve (EXOD paper II, Khan et al., §5.2.1: "extract photon
//! events at the position of known sources"), and the χ² test of its light curve against a
//! constant rate (the short-term variability flag of 4XMM and STONKS).
//!
//! ## Forced photometry ([`forced`])
//!
//! Bins [t₀ + kΔt, t₀ + (k+1)Δt) from the earliest GTI start of the cameras (Δt each of
//! `tbins`, default 50 s). In bin k, N_k = the aperture counts summed over the cameras, and the
//! constant-rate expectation μ_k = Σ_c ρ_c·T_c,k, with T_c,k the camera's live time in the bin
//! (its source CCD's GTI × live fraction) and ρ_c = max(N_c, b_c)/T_c the camera's mean
//! aperture rate over the observation (source + background; N_c the aperture counts, b_c = r·B
//! the expected background, T_c the live time). Then log10 B_peak(N_k, μ_k) and
//! log10 B_eclipse(N_k, μ_k) (paper eqs. 6–7, [`crate::stats`]) per bin with μ_k > 0; their
//! maxima, the σ-equivalents (eqs. 8–10), and `transient` when either reaches the
//! `detect_sigma` threshold ([`crate::stats::Thresholds::for_sigma`]; default 3σ: 5.94 for
//! peaks, 5.71 for eclipses). Over the time bins the most significant is reported.
//!
//! A single bin passes the 3σ peak threshold only when Pois(N_k; μ_k) ≲ 10⁻⁶ (B_peak ≈
//! 1/Pois(N; μ) for N ≫ μ), so a constant source observed for 1000 bins is flagged with a
//! probability of order 10⁻³.
//!
//! ## χ² against a constant ([`chi2_const`])
//!
//! Pearson's χ² = Σ_k (N_k − μ_k)²/μ_k of the EPIC aperture counts (source + background, the
//! cameras summed) against the same constant-rate model, on bins of width
//! max(`chi2_tbin`, `chi2_min_counts`/ρ) (ρ = Σ_c ρ_c; defaults 500 s and 10 counts, so every
//! full bin expects ≥ 10 counts and the χ² distribution holds), over bins with
//! μ_k ≥ `chi2_min_counts`/2; dof = bins − 1 (the mean rate is fitted), p = P(χ²_dof ≥ χ²).
//! Background-subtracted rates with Gehrels errors (`exod lc`) are not used: at a few counts
//! per bin their errors are so asymmetric that a burst of 40 counts over 0.5 expected gave
//! p ≈ 1.

use crate::extract::livetime;
use crate::gti::Gti;
use crate::stats::{
    log10_b_eclipse, log10_b_peak, sigma_equivalent_eclipse, sigma_equivalent_peak, Thresholds,
};
use crate::timing::lightcurve::BinGrid;
use crate::timing::variability::chi2_ln_sf;

use super::{PhotometryError, PhotometryParams};

/// One camera's aperture events of the time band.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraSeries {
    /// Camera label.
    pub camera: String,
    /// Aperture event times (s), sorted.
    pub src_times: Vec<f64>,
    /// Background-region event times (s).
    pub bkg_times: Vec<f64>,
    /// r = A_src / A_bkg.
    pub area_ratio: f64,
    /// The source CCD's GTI.
    pub gti: Gti,
    /// Its live fraction.
    pub live_fraction: f64,
    /// EEF of the aperture.
    pub eef: f64,
}

/// The forced photometry of a position (module docs).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ForcedResult {
    /// Bin size (s) of the values below (the most significant of `tbins`).
    pub tbin: f64,
    /// Bins with live time.
    pub n_bins: usize,
    /// Largest log10 B_peak.
    pub max_log10_b_peak: f64,
    /// Its σ-equivalent.
    pub sigma_peak: f64,
    /// Centre of its bin (s, mission time).
    pub t_peak: f64,
    /// Counts in that bin.
    pub n_peak: u64,
    /// μ of that bin.
    pub mu_peak: f64,
    /// Largest log10 B_eclipse.
    pub max_log10_b_eclipse: f64,
    /// Its σ-equivalent.
    pub sigma_eclipse: f64,
    /// Centre of its bin (s).
    pub t_eclipse: f64,
    /// A peak or an eclipse reaches the `detect_sigma` threshold.
    pub transient: bool,
}

/// Counts per bin of sorted or unsorted times.
fn histogram(times: &[f64], grid: &BinGrid) -> Vec<u64> {
    let mut h = vec![0u64; grid.n];
    for &t in times {
        if let Some(k) = grid.index(t) {
            h[k] += 1;
        }
    }
    h
}

/// ρ_c: the camera's mean aperture rate, max(N_c, b_c)/T_c (module docs; 0 without live time).
fn mean_rate(s: &CameraSeries) -> f64 {
    let live = s.gti.exposure() * s.live_fraction;
    if live.is_nan() || live <= 0.0 {
        return 0.0;
    }
    let b = s.area_ratio * s.bkg_times.len() as f64;
    (s.src_times.len() as f64).max(b) / live
}

/// The (N_k, μ_k) of every bin of `grid` (module docs).
fn counts_and_mu(series: &[CameraSeries], grid: &BinGrid) -> (Vec<u64>, Vec<f64>) {
    let mut n = vec![0u64; grid.n];
    let mut mu = vec![0.0; grid.n];
    for s in series {
        let live = s.gti.exposure() * s.live_fraction;
        if live.is_nan() || live <= 0.0 {
            continue;
        }
        let rho = mean_rate(s);
        for (k, c) in histogram(&s.src_times, grid).into_iter().enumerate() {
            n[k] += c;
            let (a, z) = (grid.start(k), grid.start(k + 1));
            mu[k] += rho * livetime::live_time(&s.gti, s.live_fraction, a, z);
        }
    }
    (n, mu)
}

/// Forced photometry on one bin size.
fn forced_one(
    series: &[CameraSeries],
    tbin: f64,
    th: &Thresholds,
) -> Result<Option<ForcedResult>, PhotometryError> {
    let gtis: Vec<&Gti> = series.iter().map(|s| &s.gti).collect();
    let grid =
        BinGrid::covering(&gtis, tbin, None).map_err(|e| PhotometryError::Curve(e.to_string()))?;
    let (n, mu) = counts_and_mu(series, &grid);
    let mut r = ForcedResult {
        tbin,
        n_bins: 0,
        max_log10_b_peak: f64::NEG_INFINITY,
        sigma_peak: 0.0,
        t_peak: f64::NAN,
        n_peak: 0,
        mu_peak: f64::NAN,
        max_log10_b_eclipse: f64::NEG_INFINITY,
        sigma_eclipse: 0.0,
        t_eclipse: f64::NAN,
        transient: false,
    };
    for k in 0..grid.n {
        if mu[k].is_nan() || mu[k] <= 0.0 {
            continue;
        }
        r.n_bins += 1;
        let (p, e) = (log10_b_peak(n[k], mu[k]), log10_b_eclipse(n[k], mu[k]));
        if p > r.max_log10_b_peak {
            (r.max_log10_b_peak, r.t_peak, r.n_peak, r.mu_peak) = (p, grid.centre(k), n[k], mu[k]);
        }
        if e > r.max_log10_b_eclipse {
            (r.max_log10_b_eclipse, r.t_eclipse) = (e, grid.centre(k));
        }
    }
    if r.n_bins == 0 {
        return Ok(None);
    }
    r.sigma_peak = sigma_equivalent_peak(r.max_log10_b_peak);
    r.sigma_eclipse = sigma_equivalent_eclipse(r.max_log10_b_eclipse);
    r.transient = r.max_log10_b_peak >= th.peak || r.max_log10_b_eclipse >= th.eclipse;
    Ok(Some(r))
}

/// Forced photometry at every bin size of `params.tbins`; the most significant result (largest
/// σ-equivalent, peak or eclipse); None when no bin has live time (module docs).
pub fn forced(
    series: &[CameraSeries],
    params: &PhotometryParams,
) -> Result<Option<ForcedResult>, PhotometryError> {
    let th = Thresholds::for_sigma(params.detect_sigma)
        .map_err(|e| PhotometryError::Param(e.to_string()))?;
    let mut best: Option<ForcedResult> = None;
    for &tbin in &params.tbins {
        if let Some(r) = forced_one(series, tbin, &th)? {
            let s = |x: &ForcedResult| x.sigma_peak.max(x.sigma_eclipse);
            if best.as_ref().is_none_or(|b| s(&r) > s(b)) {
                best = Some(r);
            }
        }
    }
    Ok(best)
}

/// Pearson's χ² of the EPIC aperture counts against the constant-rate model: (χ², dof, p);
/// None with fewer than 2 usable bins (module docs).
pub fn chi2_const(
    series: &[CameraSeries],
    params: &PhotometryParams,
) -> Result<Option<(f64, usize, f64)>, PhotometryError> {
    let rate: f64 = series.iter().map(mean_rate).sum();
    if rate.is_nan() || rate <= 0.0 {
        return Ok(None);
    }
    let width = params.chi2_tbin.max(params.chi2_min_counts / rate);
    let gtis: Vec<&Gti> = series.iter().map(|s| &s.gti).collect();
    let grid =
        BinGrid::covering(&gtis, width, None).map_err(|e| PhotometryError::Curve(e.to_string()))?;
    let (n, mu) = counts_and_mu(series, &grid);
    let (mut chi2, mut bins) = (0.0, 0usize);
    for k in 0..grid.n {
        if mu[k] >= 0.5 * params.chi2_min_counts {
            chi2 += (n[k] as f64 - mu[k]).powi(2) / mu[k];
            bins += 1;
        }
    }
    if bins < 2 {
        return Ok(None);
    }
    let dof = bins - 1;
    let p = chi2_ln_sf(chi2, dof as f64).exp();
    Ok(Some((chi2, dof, p)))
}
