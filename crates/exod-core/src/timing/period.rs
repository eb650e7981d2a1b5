//! The periodicity search of `exod period`: one call from events and GTIs to the best period,
//! its error and significance, the folded profile and the pulsed fraction (or its upper limit).
//!
//! # Steps
//! 1. Events outside the GTIs are dropped; `t_ref` is the first remaining event; the span
//!    `T` is the GTI span (first start to last stop).
//! 2. The periodogram of the chosen [`PeriodMethod`] on the grid (given, or
//!    [`FrequencyGrid::default_for`]`(T, frame time, oversample, fmin, fmax)`; the Leahy
//!    spectrum has its own Fourier grid `j/segment`). **Z² window limit**: Z²ₙ assumes phases
//!    uniformly covered; over a span of few cycles the window of the GTIs biases it
//!    (`2N|W_k(f)|²`, with `|W_k| ≤ 1/(πkfT)`: Z² ≈ 19 for 200 events at f = 1.4/T). The
//!    default Z² grid therefore starts at [`z2_window_fmin`] `= max(1/T, √(10N/3)/T)`, where
//!    the bias summed over harmonics is below 0.1; a given `fmin` is used as is. Epoch folding
//!    (exposure-weighted expectation), Lomb–Scargle (floating mean) and Leahy do not have this
//!    bias and start at 1/T.
//! 3. Significance of the highest power ([`super::significance`]): the single-trial
//!    probability from the null distribution; the multi-trial probability
//!    * Z² and epoch folding: the periodogram is a χ² *process* in frequency, and the
//!      independent-frequency count `(f_max − f_min)·T` **fails** the calibration (on the
//!      issue's noise simulations, 200 events in 1000 s, Z²₂ up to 0.5 Hz on the 5×
//!      oversampled grid: 1.0 % of runs above the "3σ" level instead of 0.27 %). We use
//!      instead Rice's up-crossing formula, Baluev's (2008) "alias-free" approximation that
//!      astropy uses for Lomb–Scargle, generalised to χ²_k processes
//!      ([`ChiSquareProcess`]); the reported `n_trials` is the effective number at the
//!      observed power, `N(u)/p_single(u)`. The test of this module finds 0.19 % (38 of 20000
//!      runs; binomial expectation 54 ± 7): the continuous-process count is slightly
//!      conservative on a discrete grid;
//!    * Lomb–Scargle: Baluev's probability; `n_trials` reports `(f_max − f_min)·T`;
//!    * Leahy: the Fourier frequencies are independent trials.
//! 4. The best frequency is refined around the grid peak by maximising the unbinned Z²ₙ
//!    (`n` = nharm for Z², 2 for epoch folding, 1 otherwise): a scan with step 1/(10T) over ±1
//!    grid step, then golden-section search.
//! 5. Frequency error: the Cramér–Rao bound of a periodic Poisson signal, the form of
//!    Ransom, Eikenberry & Middleditch (2002, AJ 124, 1788, eq. 6) and Chang et al. (2012,
//!    A&A 540, A4) written for Z² harmonics: harmonic `k` of amplitude `p_k` carries Fisher
//!    information `2π²k²N p_k² Var(t)` and `N p_k² = 2(z_k − 2)` on average, so
//!    `σ_f = 1 / (2π √(Var(t) · Σ_k k² (z_k − 2)))` (`Var(t)` of the event times; for uniform
//!    coverage `Var = T²/12` and `σ_f = √3/(πT√(Z² − 2n))`). When `Σ k²(z_k − 2) ≤ 0` (no
//!    signal) the error is `1/T`. The test injects sinusoids and checks the rms of
//!    `f − f_true` against it. `σ_P = σ_f/f²`.
//! 6. Pulsed fraction `p` (rate ∝ 1 + p sin): `√(2 Σ_k (z_k − 2)/N)` from the same harmonics
//!    (0 when negative), its error `σ_{Z²}/(N p)` with `σ_{Z²} = √(2(2n + 2λ))`, `λ = N p²/2`;
//!    the profile's rms and max–min pulsed fractions ([`super::fold`]) are reported too.
//!    When the peak is not a 3σ detection, the upper limit on `p` at `ul_confidence` (default
//!    3σ, 0.9973) from the highest power of the search ([`super::significance`]; none for
//!    Lomb–Scargle).

// `!(x > 0.0)` is meant: it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use crate::gti::Gti;

use super::fold::{epoch_folding_search_with, fold_at};
use super::freq::{FrequencyGrid, DEFAULT_OVERSAMPLE};
use super::lomb::{baluev_ln_fap, baluev_power_level, lomb_scargle};
use super::pds::{leahy_averaged, segment_starts};
use super::significance::{
    chi2_ln_sf, chi2_power_level, ef_mean_k2, ln_multi_trial, noncentrality_upper_limit, sinc,
    ChiSquareProcess, DEFAULT_UL_CONFIDENCE, FAP_3SIGMA, FAP_5SIGMA,
};
use super::z2::{z2_harmonics, z2_search, z2_search_with, Z2Convention};

/// Errors of the periodicity search.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TimingError {
    /// A parameter out of its domain (what is wrong, what was expected).
    #[error("{0}")]
    Param(String),
    /// Input data that cannot be searched as given.
    #[error("{0}")]
    Input(String),
}

impl TimingError {
    /// A parameter error.
    pub fn param(msg: impl Into<String>) -> TimingError {
        TimingError::Param(msg.into())
    }

    /// An input error.
    pub fn input(msg: impl Into<String>) -> TimingError {
        TimingError::Input(msg.into())
    }
}

/// The periodogram to compute.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum PeriodMethod {
    /// Z²ₙ of the unbinned events (default n = 2).
    Z2 {
        /// Number of harmonics n ≥ 1.
        nharm: usize,
    },
    /// Epoch folding χ² (default 16 bins).
    EpochFolding {
        /// Phase bins ≥ 2.
        nbin: usize,
    },
    /// Generalised Lomb–Scargle of the light curve binned at `dt` (bins entirely inside GTIs).
    LombScargle {
        /// Bin size (s).
        dt: f64,
    },
    /// Leahy power spectrum averaged over segments.
    Leahy {
        /// Bin size (s).
        dt: f64,
        /// Segment length (s).
        segment_s: f64,
    },
}

/// Options of [`period_search`]; see [`PeriodOptions::default`].
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodOptions {
    /// The periodogram (default Z²₂).
    pub method: PeriodMethod,
    /// The trial frequencies (default `None`: [`FrequencyGrid::default_for`]; ignored by Leahy).
    pub grid: Option<FrequencyGrid>,
    /// Frame time for the default Nyquist limit (default `None`; for Lomb–Scargle and Leahy
    /// the bin size is used).
    pub frame_time_s: Option<f64>,
    /// Oversampling of the default grid (default 5).
    pub oversample: f64,
    /// Lowest frequency (default `None`: 1/T).
    pub fmin: Option<f64>,
    /// Highest frequency (default `None`: the Nyquist frequency).
    pub fmax: Option<f64>,
    /// Bins of the reported folded profile (default 16).
    pub n_profile_bins: usize,
    /// stingray's conventions (default `false`): Z² folded in 128 bins and the last event
    /// dropped, epoch folding without exposure and the last event dropped, Leahy with the
    /// common-mean normalisation.
    pub stingray_compatible: bool,
    /// Confidence of the pulsed-fraction upper limit (default 0.9973, 3σ).
    pub ul_confidence: f64,
}

impl Default for PeriodOptions {
    fn default() -> Self {
        PeriodOptions {
            method: PeriodMethod::Z2 { nharm: 2 },
            grid: None,
            frame_time_s: None,
            oversample: DEFAULT_OVERSAMPLE,
            fmin: None,
            fmax: None,
            n_profile_bins: 16,
            stingray_compatible: false,
            ul_confidence: DEFAULT_UL_CONFIDENCE,
        }
    }
}

/// The folded profile at the best frequency, ready to plot.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProfileSummary {
    /// Phase bin centres (cycles).
    pub phase: Vec<f64>,
    /// Events per bin.
    pub counts: Vec<u64>,
    /// Good time per bin (s).
    pub exposure: Vec<f64>,
    /// Rate per bin (counts/s).
    pub rate: Vec<f64>,
    /// 1σ error of the rate.
    pub rate_error: Vec<f64>,
}

/// Everything `exod period` reports (JSON through serde; the periodogram itself is not
/// serialised: the CLI writes `frequencies`/`powers` separately).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PeriodResult {
    /// "z2", "ef", "ls" or "leahy".
    pub method: String,
    /// Z² harmonics (Z² only).
    pub nharm: Option<usize>,
    /// Epoch-folding bins (EF only).
    pub nbin: Option<usize>,
    /// Bin size of LS/Leahy (s).
    pub dt_s: Option<f64>,
    /// Leahy segment length used (s).
    pub segment_s: Option<f64>,
    /// Leahy segments averaged.
    pub m_segments: Option<usize>,
    /// stingray's conventions were used.
    pub stingray_compatible: bool,
    /// Refined best frequency (Hz).
    pub best_frequency_hz: f64,
    /// `1/best_frequency_hz` (s).
    pub best_period_s: f64,
    /// 1σ frequency error (Hz).
    pub frequency_error_hz: f64,
    /// 1σ period error (s).
    pub period_error_s: f64,
    /// The grid frequency of the highest power (Hz).
    pub grid_peak_frequency_hz: f64,
    /// Highest power of the periodogram.
    pub best_power: f64,
    /// Events inside the GTIs.
    pub n_events: usize,
    /// Good time (s).
    pub exposure_s: f64,
    /// GTI span T (s).
    pub t_span_s: f64,
    /// Phase reference: the first event (s).
    pub t_ref: f64,
    /// Frequencies searched.
    pub n_frequencies: usize,
    /// First frequency (Hz).
    pub fmin_hz: f64,
    /// Last frequency (Hz).
    pub fmax_hz: f64,
    /// Frequency step (Hz).
    pub df_hz: f64,
    /// Effective number of trials at `best_power`: `p_multi = 1 − (1 − p_single)^n_trials`
    /// holds with it (Z², EF: Rice's up-crossings over p_single; Leahy: the Fourier
    /// frequencies; LS: the independent frequencies, the probability being Baluev's).
    pub n_trials: f64,
    /// Independent Fourier frequencies of the band, `(f_max − f_min)·T` (Leahy: their number).
    pub n_independent_frequencies: f64,
    /// Null distribution of the power, e.g. "chi2(4)", "chi2(2M)/M, M=10", "baluev".
    pub null_distribution: String,
    /// log10 single-trial false-alarm probability of `best_power`.
    pub log10_fap_single: f64,
    /// log10 multi-trial false-alarm probability of `best_power`.
    pub log10_fap: f64,
    /// Power at the 3σ multi-trial level (FAP 2.7e-3).
    pub power_3sigma: f64,
    /// Power at the 5σ multi-trial level (FAP 5.7e-7).
    pub power_5sigma: f64,
    /// `best_power ≥ power_3sigma`.
    pub detected_3sigma: bool,
    /// `best_power ≥ power_5sigma`.
    pub detected_5sigma: bool,
    /// Sinusoidal pulsed fraction from the Z² harmonics at the best frequency.
    pub pulsed_fraction: f64,
    /// Its 1σ error.
    pub pulsed_fraction_error: f64,
    /// rms pulsed fraction of the folded profile (noise-subtracted).
    pub pulsed_fraction_rms: f64,
    /// (max − min)/(max + min) of the folded profile.
    pub pulsed_fraction_minmax: f64,
    /// Upper limit on the pulsed fraction when not detected at 3σ (not for Lomb–Scargle).
    pub pulsed_fraction_upper_limit: Option<f64>,
    /// Confidence of the upper limit.
    pub upper_limit_confidence: f64,
    /// Z² terms `z_k` at the best frequency (the harmonics of step 4).
    pub z2_harmonics: Vec<f64>,
    /// Folded profile at the best frequency.
    pub profile: ProfileSummary,
    /// The periodogram's frequencies (Hz).
    #[serde(skip)]
    pub frequencies: Vec<f64>,
    /// The periodogram's powers.
    #[serde(skip)]
    pub powers: Vec<f64>,
}

/// How the highest power is judged.
enum Null {
    /// A χ² process over a band (Z², EF): Rice's formula.
    Rice(ChiSquareProcess),
    /// `scale·P ~ χ²_dof`, independent trials.
    Chi2 { dof: f64, scale: f64 },
    /// Baluev with the binned light curve's times.
    Baluev { t: Vec<f64>, fmax: f64 },
}

/// A periodogram and what is needed to judge it.
struct Periodogram {
    freqs: Vec<f64>,
    powers: Vec<f64>,
    step: f64,
    null: Null,
    n_trials: f64,
    /// `λ = N p² · gain` for the upper limit (None: no limit).
    ul_gain: Option<f64>,
    m_segments: Option<usize>,
    segment_s: Option<f64>,
}

fn validate(opts: &PeriodOptions) -> Result<(), TimingError> {
    match opts.method {
        PeriodMethod::Z2 { nharm: 0 } => {
            return Err(TimingError::param(
                "period: nharm = 0 (expected ≥ 1, default 2)",
            ))
        }
        PeriodMethod::EpochFolding { nbin } if nbin < 2 => {
            return Err(TimingError::param(format!(
                "period: nbin = {nbin} (expected ≥ 2, default 16)"
            )))
        }
        PeriodMethod::LombScargle { dt } | PeriodMethod::Leahy { dt, .. }
            if !(dt > 0.0 && dt.is_finite()) =>
        {
            return Err(TimingError::param(format!(
                "period: dt = {dt} s (expected a finite bin size > 0)"
            )))
        }
        _ => {}
    }
    if opts.n_profile_bins < 2 {
        return Err(TimingError::param(format!(
            "period: n_profile_bins = {} (expected ≥ 2, default 16)",
            opts.n_profile_bins
        )));
    }
    if !(opts.ul_confidence > 0.0 && opts.ul_confidence < 1.0) {
        return Err(TimingError::param(format!(
            "period: ul_confidence = {} (expected in (0, 1), default 0.9973)",
            opts.ul_confidence
        )));
    }
    Ok(())
}

/// Events inside the GTIs, sorted.
fn good_events(times: &[f64], gti: &Gti) -> Result<Vec<f64>, TimingError> {
    if gti.is_empty() {
        return Err(TimingError::input(
            "period: the GTI is empty (no good time)",
        ));
    }
    if times.iter().any(|t| !t.is_finite()) {
        return Err(TimingError::input("period: an event time is not finite"));
    }
    let mut t: Vec<f64> = times.iter().copied().filter(|&x| gti.contains(x)).collect();
    t.sort_by(f64::total_cmp);
    if t.len() < 2 {
        return Err(TimingError::input(format!(
            "period: {} event(s) inside the GTIs (expected at least 2)",
            t.len()
        )));
    }
    Ok(t)
}

fn default_grid(
    opts: &PeriodOptions,
    t_span: f64,
    nyquist_dt: Option<f64>,
) -> Result<FrequencyGrid, TimingError> {
    match opts.grid {
        Some(g) => Ok(g),
        None => FrequencyGrid::default_for(
            t_span,
            nyquist_dt.or(opts.frame_time_s),
            opts.oversample,
            opts.fmin,
            opts.fmax,
        ),
    }
}

/// Step 2 for Z² and epoch folding.
fn folded_periodogram(
    t: &[f64],
    gti: &Gti,
    opts: &PeriodOptions,
    t_span: f64,
) -> Result<Periodogram, TimingError> {
    let mut o = opts.clone();
    if let (PeriodMethod::Z2 { .. }, None) = (opts.method, opts.fmin) {
        o.fmin = Some(z2_window_fmin(t.len(), t_span));
    }
    let grid = default_grid(&o, t_span, None)?;
    let var_t = gti_time_variance(gti);
    let band = grid.fmax() - grid.fmin;
    let (powers, process, gain) = match opts.method {
        PeriodMethod::Z2 { nharm } => {
            let z = if opts.stingray_compatible {
                let conv = Z2Convention::Stingray { nbin: 128 };
                z2_search_with(t, &grid, nharm, conv, 0.0)?
            } else {
                z2_search(t, &grid, nharm)?
            };
            (z, ChiSquareProcess::z2(nharm, var_t, band), 0.5)
        }
        PeriodMethod::EpochFolding { nbin } => {
            let ef =
                epoch_folding_search_with(t, Some(gti), &grid, nbin, opts.stingray_compatible)?;
            let s = sinc(std::f64::consts::PI / nbin as f64);
            let process = ChiSquareProcess {
                dof: nbin as f64 - 1.0,
                mean_k2: ef_mean_k2(nbin),
                var_t,
                band_hz: band,
            };
            (ef, process, 0.5 * s * s)
        }
        _ => unreachable!("folded_periodogram is only called for Z² and EF"),
    };
    Ok(Periodogram {
        freqs: grid.frequencies(),
        powers,
        step: grid.df,
        null: Null::Rice(process),
        n_trials: grid.n_independent_trials(t_span),
        ul_gain: Some(gain),
        m_segments: None,
        segment_s: None,
    })
}

/// Step 2 for Lomb–Scargle: counts in bins of `dt` entirely inside the GTIs.
fn ls_periodogram(
    t: &[f64],
    gti: &Gti,
    dt: f64,
    opts: &PeriodOptions,
    t_span: f64,
) -> Result<Periodogram, TimingError> {
    let starts = segment_starts(gti, dt);
    let mut counts = vec![0.0; starts.len()];
    for &x in t {
        let k = starts.partition_point(|&s| s <= x);
        if k > 0 && x < starts[k - 1] + dt {
            counts[k - 1] += 1.0;
        }
    }
    let centres: Vec<f64> = starts.iter().map(|s| s + 0.5 * dt).collect();
    let grid = default_grid(opts, t_span, Some(dt))?;
    let powers = lomb_scargle(&centres, &counts, None, &grid)?;
    Ok(Periodogram {
        freqs: grid.frequencies(),
        powers,
        step: grid.df,
        null: Null::Baluev {
            t: centres,
            fmax: grid.fmax(),
        },
        n_trials: grid.n_independent_trials(t_span),
        ul_gain: None,
        m_segments: None,
        segment_s: None,
    })
}

/// Step 2 for the averaged Leahy spectrum (frequencies restricted to [fmin, fmax] if given).
fn leahy_periodogram(
    t: &[f64],
    gti: &Gti,
    dt: f64,
    segment_s: f64,
    opts: &PeriodOptions,
) -> Result<Periodogram, TimingError> {
    let pds = leahy_averaged(t, gti, dt, segment_s, opts.stingray_compatible)?;
    let (lo, hi) = (opts.fmin.unwrap_or(0.0), opts.fmax.unwrap_or(f64::INFINITY));
    let (freqs, powers): (Vec<f64>, Vec<f64>) = pds
        .freq
        .iter()
        .zip(&pds.power)
        .filter(|(f, _)| (lo..=hi).contains(*f))
        .unzip();
    if freqs.is_empty() {
        return Err(TimingError::param(format!(
            "period: no Fourier frequency of the {} s segments in [{lo}, {hi}] Hz",
            pds.segment_s
        )));
    }
    let m = pds.m_segments as f64;
    let f_mid = 0.5 * (freqs[0] + freqs[freqs.len() - 1]);
    let s = sinc(std::f64::consts::PI * f_mid * dt);
    Ok(Periodogram {
        n_trials: freqs.len() as f64,
        freqs,
        powers,
        step: 1.0 / pds.segment_s,
        null: Null::Chi2 {
            dof: 2.0 * m,
            scale: m,
        },
        ul_gain: Some(0.5 * s * s * pds.n_photons as f64 / t.len() as f64),
        m_segments: Some(pds.m_segments),
        segment_s: Some(pds.segment_s),
    })
}

/// Lowest frequency of the default Z² grid: `max(1/T, √(10N/3)/T)`, where the GTI window's
/// bias of Z²ₙ, `≤ 2N Σ_k |W_k|² ≤ (π²/3)·N/(πfT)²`, is below 0.1.
pub fn z2_window_fmin(n_events: usize, t_span: f64) -> f64 {
    (10.0 * n_events as f64 / 3.0).sqrt().max(1.0) / t_span
}

/// Variance of time over the good intervals (uniform coverage), s².
pub fn gti_time_variance(gti: &Gti) -> f64 {
    let Some((t0, _)) = gti.span() else {
        return 0.0;
    };
    let e = gti.exposure();
    let (mut m1, mut m2) = (0.0, 0.0);
    for &(a, b) in gti.intervals() {
        let (a, b) = (a - t0, b - t0);
        m1 += (b * b - a * a) / 2.0;
        m2 += (b * b * b - a * a * a) / 3.0;
    }
    let mean = m1 / e;
    (m2 / e - mean * mean).max(0.0)
}

/// `(ln FAP single, ln FAP multi, power 3σ, power 5σ, n_trials)` of a power.
fn judge(pg: &Periodogram, power: f64) -> (f64, f64, f64, f64, f64) {
    match &pg.null {
        Null::Rice(p) => {
            let (ls, lm) = p.ln_fap(power);
            (
                ls,
                lm,
                p.power_level(FAP_3SIGMA),
                p.power_level(FAP_5SIGMA),
                p.n_trials(power),
            )
        }
        Null::Chi2 { dof, scale } => {
            let ls = chi2_ln_sf(*dof, scale * power);
            (
                ls,
                ln_multi_trial(ls, pg.n_trials),
                chi2_power_level(*dof, *scale, pg.n_trials, FAP_3SIGMA),
                chi2_power_level(*dof, *scale, pg.n_trials, FAP_5SIGMA),
                pg.n_trials,
            )
        }
        Null::Baluev { t, fmax } => (
            super::lomb::ln_fap_single(power, t.len()),
            baluev_ln_fap(power, *fmax, t, None),
            baluev_power_level(FAP_3SIGMA, *fmax, t, None),
            baluev_power_level(FAP_5SIGMA, *fmax, t, None),
            pg.n_trials,
        ),
    }
}

/// Step 4: the unbinned Z²ₙ maximum within ±`step` of `f0`.
pub fn refine_frequency(t: &[f64], f0: f64, step: f64, nharm: usize, t_span: f64) -> f64 {
    let fine = (step.min(1.0 / t_span) / 10.0).max(f64::MIN_POSITIVE);
    let lo = (f0 - step).max(fine);
    let n = ((f0 + step - lo) / fine).ceil() as usize + 1;
    let t0 = t[0];
    let z = |f: f64| z2_harmonics(t, t0, f, nharm).iter().sum::<f64>();
    let mut best = f0;
    if let Ok(grid) = FrequencyGrid::new(lo, fine, n) {
        if let Ok(zs) = z2_search(t, &grid, nharm) {
            let i = (0..n).max_by(|&a, &b| zs[a].total_cmp(&zs[b])).unwrap_or(0);
            best = grid.freq(i);
        }
    }
    golden_max(z, best - fine, best + fine)
}

/// Golden-section search for the maximum of `g` in `[a, b]` (to 1e-13 relative in f).
fn golden_max(g: impl Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - r * (b - a), a + r * (b - a));
    let (mut gc, mut gd) = (g(c), g(d));
    for _ in 0..100 {
        if (b - a).abs() <= 1e-13 * b.abs() {
            break;
        }
        if gc > gd {
            b = d;
            d = c;
            gd = gc;
            c = b - r * (b - a);
            gc = g(c);
        } else {
            a = c;
            c = d;
            gc = gd;
            d = a + r * (b - a);
            gd = g(d);
        }
    }
    0.5 * (a + b)
}

/// Step 5: `σ_f = 1/(2π √(Var(t) Σ k²(z_k − 2)))`, or `1/T` without signal.
pub fn frequency_error(t: &[f64], z_k: &[f64], t_span: f64) -> f64 {
    let n = t.len() as f64;
    let mean = t.iter().sum::<f64>() / n;
    let var = t.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let s: f64 = z_k
        .iter()
        .enumerate()
        .map(|(i, z)| ((i + 1) as f64).powi(2) * (z - 2.0))
        .sum();
    if s > 0.0 && var > 0.0 {
        1.0 / (2.0 * std::f64::consts::PI * (var * s).sqrt())
    } else {
        1.0 / t_span
    }
}

/// Step 6: `(p, σ_p)` from the Z² harmonics.
pub fn pulsed_fraction_from_harmonics(z_k: &[f64], n_events: usize) -> (f64, f64) {
    let n = n_events as f64;
    let excess: f64 = z_k.iter().map(|z| z - 2.0).sum();
    let p = (2.0 * excess / n).max(0.0).sqrt();
    let lambda = 0.5 * n * p * p;
    let sigma_z = (2.0 * (2.0 * z_k.len() as f64 + 2.0 * lambda)).sqrt();
    let err = if p > 0.0 {
        sigma_z / (n * p)
    } else {
        (2.0 * sigma_z / n).sqrt()
    };
    (p, err)
}

fn method_name(m: &PeriodMethod) -> &'static str {
    match m {
        PeriodMethod::Z2 { .. } => "z2",
        PeriodMethod::EpochFolding { .. } => "ef",
        PeriodMethod::LombScargle { .. } => "ls",
        PeriodMethod::Leahy { .. } => "leahy",
    }
}

/// The periodicity search of `times` (s) inside `gti` (see the module documentation).
pub fn period_search(
    times: &[f64],
    gti: &Gti,
    opts: &PeriodOptions,
) -> Result<PeriodResult, TimingError> {
    validate(opts)?;
    let t = good_events(times, gti)?;
    let (g0, g1) = gti.span().unwrap_or((t[0], t[t.len() - 1]));
    let t_span = g1 - g0;
    let pg = match opts.method {
        PeriodMethod::Z2 { .. } | PeriodMethod::EpochFolding { .. } => {
            folded_periodogram(&t, gti, opts, t_span)?
        }
        PeriodMethod::LombScargle { dt } => ls_periodogram(&t, gti, dt, opts, t_span)?,
        PeriodMethod::Leahy { dt, segment_s } => leahy_periodogram(&t, gti, dt, segment_s, opts)?,
    };
    let imax = (0..pg.powers.len())
        .max_by(|&a, &b| pg.powers[a].total_cmp(&pg.powers[b]))
        .ok_or_else(|| TimingError::input("period: empty periodogram"))?;
    let best_power = pg.powers[imax];
    let (ln_single, ln_multi, p3, p5, n_trials) = judge(&pg, best_power);
    let nh_err = match opts.method {
        PeriodMethod::Z2 { nharm } => nharm,
        PeriodMethod::EpochFolding { .. } => 2,
        _ => 1,
    };
    let f_best = refine_frequency(&t, pg.freqs[imax], pg.step, nh_err, t_span);
    let z_k = z2_harmonics(&t, t[0], f_best, nh_err);
    let sigma_f = frequency_error(&t, &z_k, t_span);
    let (pf, pf_err) = pulsed_fraction_from_harmonics(&z_k, t.len());
    let prof = fold_at(&t, t[0], f_best, opts.n_profile_bins, Some(gti))?;
    let detected_3sigma = best_power >= p3;
    let upper = upper_limit(
        &pg,
        best_power,
        t.len(),
        opts.ul_confidence,
        detected_3sigma,
    )?;
    Ok(PeriodResult {
        method: method_name(&opts.method).to_string(),
        nharm: matches!(opts.method, PeriodMethod::Z2 { .. }).then_some(nh_err),
        nbin: match opts.method {
            PeriodMethod::EpochFolding { nbin } => Some(nbin),
            _ => None,
        },
        dt_s: match opts.method {
            PeriodMethod::LombScargle { dt } | PeriodMethod::Leahy { dt, .. } => Some(dt),
            _ => None,
        },
        segment_s: pg.segment_s,
        m_segments: pg.m_segments,
        stingray_compatible: opts.stingray_compatible,
        best_frequency_hz: f_best,
        best_period_s: 1.0 / f_best,
        frequency_error_hz: sigma_f,
        period_error_s: sigma_f / (f_best * f_best),
        grid_peak_frequency_hz: pg.freqs[imax],
        best_power,
        n_events: t.len(),
        exposure_s: gti.exposure(),
        t_span_s: t_span,
        t_ref: t[0],
        n_frequencies: pg.freqs.len(),
        fmin_hz: pg.freqs[0],
        fmax_hz: pg.freqs[pg.freqs.len() - 1],
        df_hz: pg.step,
        n_trials,
        n_independent_frequencies: pg.n_trials,
        null_distribution: null_name(&pg.null),
        log10_fap_single: (ln_single / std::f64::consts::LN_10).max(f64::MIN),
        log10_fap: (ln_multi / std::f64::consts::LN_10).max(f64::MIN),
        power_3sigma: p3,
        power_5sigma: p5,
        detected_3sigma,
        detected_5sigma: best_power >= p5,
        pulsed_fraction: pf,
        pulsed_fraction_error: pf_err,
        pulsed_fraction_rms: prof.pulsed_fraction_rms(),
        pulsed_fraction_minmax: prof.pulsed_fraction_minmax(),
        pulsed_fraction_upper_limit: upper,
        upper_limit_confidence: opts.ul_confidence,
        z2_harmonics: z_k,
        profile: ProfileSummary {
            phase: prof.phase_centres(),
            rate: prof.rate(),
            rate_error: prof.rate_error(),
            counts: prof.counts,
            exposure: prof.exposure,
        },
        frequencies: pg.freqs,
        powers: pg.powers,
    })
}

fn null_name(null: &Null) -> String {
    match null {
        Null::Chi2 { dof, scale } if *scale == 1.0 => format!("chi2({dof})"),
        Null::Chi2 { dof, scale } => format!("chi2({dof})/{scale}"),
        Null::Baluev { .. } => "baluev".to_string(),
        Null::Rice(p) => format!("chi2({}) process (Rice)", p.dof),
    }
}

/// Step 6: the pulsed-fraction upper limit when not detected.
fn upper_limit(
    pg: &Periodogram,
    power: f64,
    n_events: usize,
    confidence: f64,
    detected: bool,
) -> Result<Option<f64>, TimingError> {
    let (dof, scale) = match &pg.null {
        Null::Chi2 { dof, scale } => (*dof, *scale),
        Null::Rice(p) => (p.dof, 1.0),
        Null::Baluev { .. } => return Ok(None),
    };
    let Some(gain) = pg.ul_gain else {
        return Ok(None);
    };
    if detected {
        return Ok(None);
    }
    let lambda = noncentrality_upper_limit(dof, scale * power, confidence)?;
    Ok(Some((lambda / (gain * n_events as f64)).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rayon::prelude::*;

    fn sinusoid_events(
        rng: &mut ChaCha8Rng,
        n: usize,
        t0: f64,
        span: f64,
        f: f64,
        p: f64,
    ) -> Vec<f64> {
        let mut t: Vec<f64> = (0..n)
            .map(|_| loop {
                let x = rng.gen_range(0.0..span);
                let r = 1.0 + p * (2.0 * std::f64::consts::PI * f * x).sin();
                if rng.gen_range(0.0..1.0 + p) < r {
                    break t0 + x;
                }
            })
            .collect();
        t.sort_by(f64::total_cmp);
        t
    }

    /// The calibration: noise runs (200 uniform events in a 1000 s GTI, Z²₂ on the
    /// default grid up to 0.5 Hz) above the 3σ level must be ≈ 0.27 %.
    #[test]
    fn z2_false_alarm_probability_is_calibrated_on_noise() {
        let span = 1000.0;
        let gti = Gti::single(0.0, span);
        let opts = PeriodOptions {
            fmax: Some(0.5),
            ..Default::default()
        };
        // the grid and level period_search uses for 200 events
        let fmin = z2_window_fmin(200, span);
        let grid = FrequencyGrid::default_for(span, None, 5.0, Some(fmin), opts.fmax).unwrap();
        let process = ChiSquareProcess::z2(2, gti_time_variance(&gti), grid.fmax() - grid.fmin);
        let level = process.power_level(FAP_3SIGMA);
        let plan = crate::timing::z2::Z2Plan::new(&grid, 1e-9).unwrap();
        let runs = 20_000u64;
        let above = (0..runs)
            .into_par_iter()
            .filter(|&seed| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let t = sinusoid_events(&mut rng, 200, 0.0, span, 0.0, 0.0);
                let z = plan.search(&t, 2).unwrap();
                z.into_iter().fold(0.0, f64::max) >= level
            })
            .count() as f64;
        let expected = runs as f64 * FAP_3SIGMA;
        let sd = (expected * (1.0 - FAP_3SIGMA)).sqrt();
        assert!(
            (above - expected).abs() < 4.0 * sd,
            "{above} above vs {expected:.1} ± {sd:.1}"
        );
        // the naive trial factor (f_max − f_min)·T is far off: ≥ 3× too many false alarms
        let naive = chi2_power_level(4.0, 1.0, grid.n_independent_trials(span), FAP_3SIGMA);
        assert!(naive < level - 3.0);
        // period_search uses the same level
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let t = sinusoid_events(&mut rng, 200, 0.0, span, 0.0, 0.0);
        let r = period_search(&t, &gti, &opts).unwrap();
        assert!((r.power_3sigma - level).abs() < 1e-9 * level);
        assert_eq!(r.n_frequencies, grid.n);
    }

    /// σ_f of step 5 against the scatter of recovered frequencies, and E[Z²₁] = 2 + N p²/2.
    #[test]
    fn frequency_error_and_mean_z2_match_simulations() {
        let (n, span, f0, p) = (2000, 2000.0, 0.1234, 0.3);
        let gti = Gti::single(0.0, span);
        let opts = PeriodOptions {
            method: PeriodMethod::Z2 { nharm: 1 },
            fmin: Some(0.12),
            fmax: Some(0.127),
            ..Default::default()
        };
        let runs: Vec<(f64, f64, f64, f64)> = (0..200u64)
            .into_par_iter()
            .map(|seed| {
                let mut rng = ChaCha8Rng::seed_from_u64(1000 + seed);
                let t = sinusoid_events(&mut rng, n, 0.0, span, f0, p);
                let r = period_search(&t, &gti, &opts).unwrap();
                let z_true = crate::timing::z2::z2_direct(&t, f0, 1);
                (
                    r.best_frequency_hz - f0,
                    r.frequency_error_hz,
                    z_true,
                    r.pulsed_fraction,
                )
            })
            .collect();
        let m = runs.len() as f64;
        let rms = (runs.iter().map(|r| r.0 * r.0).sum::<f64>() / m).sqrt();
        let sigma = runs.iter().map(|r| r.1).sum::<f64>() / m;
        assert!(
            (rms / sigma - 1.0).abs() < 0.3,
            "rms {rms:e} vs reported {sigma:e}"
        );
        // E[Z²₁] at the true frequency: 2 + N p²/2 = 92, sd of the mean √(2(2+2λ))/√200 ≈ 0.96
        let mean_z = runs.iter().map(|r| r.2).sum::<f64>() / m;
        assert!((mean_z - 92.0).abs() < 4.0, "{mean_z}");
        let mean_pf = runs.iter().map(|r| r.3).sum::<f64>() / m;
        assert!((mean_pf - p).abs() < 0.02, "{mean_pf}");
    }

    /// Coverage of the Z²₁ pulsed-fraction upper limit: at 90 % confidence the limit is above
    /// the true pulsed fraction in 90 % of the runs.
    #[test]
    fn pulsed_fraction_upper_limit_covers_the_truth() {
        let (n, span, f0, p) = (500, 1000.0, 0.2, 0.1);
        let covered = (0..2000u64)
            .into_par_iter()
            .filter(|&seed| {
                let mut rng = ChaCha8Rng::seed_from_u64(5000 + seed);
                let t = sinusoid_events(&mut rng, n, 0.0, span, f0, p);
                let z = crate::timing::z2::z2_direct(&t, f0, 1);
                let ul = crate::timing::significance::z2_pulsed_fraction_upper_limit(z, 1, n, 0.9)
                    .unwrap();
                ul >= p
            })
            .count() as f64
            / 2000.0;
        assert!((covered - 0.9).abs() < 0.03, "coverage {covered}");
    }

    #[test]
    fn every_method_finds_a_pulsar_and_serialises() {
        let span = 4000.0;
        let gti = Gti::from_rows(&[0.0, 2100.0], &[2000.0, span]).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(77);
        let mut t = sinusoid_events(&mut rng, 6000, 0.0, span, 0.0625, 0.4);
        t.retain(|&x| gti.contains(x));
        let methods = [
            PeriodMethod::Z2 { nharm: 2 },
            PeriodMethod::EpochFolding { nbin: 8 },
            PeriodMethod::LombScargle { dt: 1.0 },
            PeriodMethod::Leahy {
                dt: 1.0,
                segment_s: 256.0,
            },
        ];
        for m in methods {
            let opts = PeriodOptions {
                method: m,
                fmax: Some(0.2),
                ..Default::default()
            };
            let r = period_search(&t, &gti, &opts).unwrap();
            assert!(
                r.detected_5sigma && r.log10_fap < -10.0,
                "{m:?}: {}",
                r.log10_fap
            );
            assert!(r.pulsed_fraction_upper_limit.is_none());
            assert!(
                (r.best_frequency_hz - 0.0625).abs() < 5.0 * r.frequency_error_hz,
                "{m:?}"
            );
            assert!(
                (r.pulsed_fraction - 0.4).abs() < 0.05,
                "{m:?} {}",
                r.pulsed_fraction
            );
            assert_eq!(r.profile.counts.iter().sum::<u64>() as usize, r.n_events);
            let json = serde_json::to_value(&r).unwrap();
            for key in [
                "best_frequency_hz",
                "best_power",
                "n_events",
                "n_trials",
                "log10_fap",
            ] {
                assert!(json.get(key).is_some_and(|v| v.is_number()), "{key}");
            }
            assert!(json.get("powers").is_none());
        }
        // noise: no detection, an upper limit above the truth (0) and below 1
        let noise = sinusoid_events(&mut rng, 3000, 0.0, span, 0.0, 0.0);
        let r = period_search(
            &noise,
            &Gti::single(0.0, span),
            &PeriodOptions {
                fmax: Some(0.2),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(!r.detected_3sigma && r.log10_fap > -2.57);
        let ul = r.pulsed_fraction_upper_limit.unwrap();
        assert!(ul > 0.05 && ul < 0.3, "{ul}");
    }

    #[test]
    fn bad_options_are_errors() {
        let gti = Gti::single(0.0, 10.0);
        let t = [1.0, 2.0, 3.0];
        let bad = |method| PeriodOptions {
            method,
            fmax: Some(1.0),
            ..Default::default()
        };
        assert!(period_search(&t, &gti, &bad(PeriodMethod::Z2 { nharm: 0 })).is_err());
        assert!(period_search(&t, &gti, &bad(PeriodMethod::EpochFolding { nbin: 1 })).is_err());
        assert!(period_search(&t, &gti, &bad(PeriodMethod::LombScargle { dt: 0.0 })).is_err());
        assert!(period_search(&[1.0], &gti, &PeriodOptions::default()).is_err());
        assert!(period_search(&t, &Gti::default(), &PeriodOptions::default()).is_err());
        // no fmax and no frame time: the default grid has no Nyquist limit
        assert!(period_search(&t, &gti, &PeriodOptions::default()).is_err());
    }
}
