//! Binned, background-subtracted, exposure-corrected light curves of an extracted source
//! ([`crate::extract`]), per camera and combined (pn + MOS), with errors that are right at low
//! counts.
//!
//! ## Bins
//!
//! A [`BinGrid`]: bins [t₀ + k·Δt, t₀ + (k+1)·Δt), k = 0 … n−1, at any Δt. By default
//! ([`BinGrid::covering`]) t₀ is the earliest start of the GTIs given and n reaches their
//! latest stop, so curves of several cameras built on one grid align bin for bin (required
//! by [`combine`]). TIME is the bin centre.
//!
//! ## Per bin
//!
//! With N source-aperture counts, B background counts, the area ratio r = A_src/A_bkg (the
//! `BACKSCAL` ratio), FRACEXP f = live time / Δt ([`crate::extract::livetime`]) and the
//! aperture's encircled-energy fraction EEF:
//!
//! * net rate R = N/(f·Δt) − r·B/(f·Δt) (count/s, exposure-corrected), background rate
//!   r·B/(f·Δt); NaN where f = 0;
//! * `rate_corr` = R / EEF: the point source's rate over its whole PSF;
//! * errors (1σ, lower and upper), from the counts:
//!   - [`ErrorMethod::Gehrels`] (default): Gehrels (1986) eq. 7 for the upper limit,
//!     λ_u = N + 1 + √(N + ¾), and eq. 12 with S = 1 (β = 0) for the lower,
//!     λ_l = N (1 − 1/(9N) − 1/(3√N))³ (λ_l = 0 for N = 0): σ₊ = λ_u − N, σ₋ = N − λ_l;
//!   - [`ErrorMethod::Bayesian`]: the 68.27 % shortest (highest-posterior-density) interval
//!     [s₁, s₂] of the source counts s ≥ 0 given N and a known background b = r·B (Kraft,
//!     Burrows & Nousek 1991, eqs. 7–9: posterior ∝ e^−(s+b)(s+b)^N, flat prior): σ₋ =
//!     max(N − b − s₁, 0), σ₊ = s₂ − (N − b). The posterior's integral is closed-form,
//!     F(s) = 1 − Q(N+1, s+b)/Q(N+1, b) (Q the regularised upper incomplete gamma, from
//!     [`crate::stats::ln_gamma_pq`]); the bounds are found by bisection;
//!   - the background's own error (Gehrels on B, scaled by r) is added in quadrature, its
//!     upper error to the net rate's lower one and vice versa: e₋ = √(σ₋² + (r·σ_B₊)²),
//!     e₊ = √(σ₊² + (r·σ_B₋)²), then divided by f·Δt.
//! * bins with FRACEXP < `min_fracexp` (default 0.1: bins with less than a tenth of live time,
//!   at GTI edges, whose rates carry ten times the bin's Poisson error) are kept but flagged
//!   `low_exposure`: the caller leaves them out of variability statistics.
//!
//! ## Combined curve
//!
//! [`combine`] sums the cameras' exposure-corrected rates, background rates and corrected
//! rates bin by bin (the total EPIC rate of the source), adds their errors in quadrature
//! (lower with lower, upper with upper: exact for Gaussian errors, an approximation at low
//! counts), sums the counts, and takes the smallest FRACEXP of the cameras as its FRACEXP (a
//! bin is as good as its worst camera: where one camera is dead, the sum is not the EPIC rate;
//! such bins have FRACEXP 0 and NaN rates). Its GTI is the intersection of the cameras'.

use std::collections::HashMap;

use crate::extract::{livetime, CameraExtraction};
use crate::gti::Gti;
use crate::stats::ln_gamma_pq;

/// The confidence level of a 1σ interval, erf(1/√2).
pub const ONE_SIGMA: f64 = 0.682_689_492_137_086;

/// Errors of the light-curve module.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LcError {
    /// A parameter out of its domain.
    #[error("{0}")]
    Param(String),
    /// Curves that cannot be combined.
    #[error("cannot combine the light curves: {0}")]
    Mismatch(String),
}

/// How the 1σ errors of a bin are computed (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum ErrorMethod {
    /// Gehrels (1986) eqs. 7 and 12 (S = 1). The default.
    #[default]
    Gehrels,
    /// Kraft, Burrows & Nousek (1991): 68.27 % Bayesian interval with the background.
    Bayesian,
}

impl ErrorMethod {
    /// Name written in file headers: `GEHRELS` or `KBN`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorMethod::Gehrels => "GEHRELS",
            ErrorMethod::Bayesian => "KBN",
        }
    }
}

/// Light-curve parameters (defaults: Gehrels errors, `min_fracexp` 0.1).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LcParams {
    /// Error method. Default Gehrels.
    pub method: ErrorMethod,
    /// Bins with a smaller FRACEXP are flagged `low_exposure`. Default 0.1.
    pub min_fracexp: f64,
}

impl Default for LcParams {
    fn default() -> Self {
        LcParams {
            method: ErrorMethod::Gehrels,
            min_fracexp: 0.1,
        }
    }
}

/// The bins of a light curve: [t0 + k·tbin, t0 + (k+1)·tbin), k < n.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BinGrid {
    /// Start of the first bin (s, mission time).
    pub t0: f64,
    /// Bin width (s).
    pub tbin: f64,
    /// Number of bins.
    pub n: usize,
}

impl BinGrid {
    /// A grid of `n` bins of `tbin` seconds from `t0`.
    pub fn new(t0: f64, tbin: f64, n: usize) -> Result<BinGrid, LcError> {
        if !(t0.is_finite() && tbin.is_finite() && tbin > 0.0) {
            return Err(LcError::Param(format!(
                "bins from t0 = {t0} of {tbin} s: expected a finite t0 and a positive bin size"
            )));
        }
        if n == 0 || n > 100_000_000 {
            return Err(LcError::Param(format!(
                "{n} bins of {tbin} s: expected 1 to 10⁸ bins"
            )));
        }
        Ok(BinGrid { t0, tbin, n })
    }

    /// The grid of `tbin`-second bins covering the span of `gtis`, from `t0` (default: the
    /// earliest GTI start) to the latest GTI stop.
    pub fn covering(gtis: &[&Gti], tbin: f64, t0: Option<f64>) -> Result<BinGrid, LcError> {
        let spans: Vec<(f64, f64)> = gtis.iter().filter_map(|g| g.span()).collect();
        let (lo, hi) = spans
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| {
                (a.min(s.0), b.max(s.1))
            });
        if lo >= hi {
            return Err(LcError::Param("no good time to bin".into()));
        }
        let t0 = t0.unwrap_or(lo);
        if !(tbin.is_finite() && tbin > 0.0) {
            return Err(LcError::Param(format!(
                "bin size {tbin} s: expected a positive number of seconds"
            )));
        }
        if !(t0.is_finite() && t0 < hi) {
            return Err(LcError::Param(format!(
                "t0 = {t0}: expected a time before the last GTI stop {hi}"
            )));
        }
        let n = ((hi - t0) / tbin * (1.0 - 1e-12)).ceil().max(1.0) as usize;
        BinGrid::new(t0, tbin, n)
    }

    /// Start of bin k.
    pub fn start(&self, k: usize) -> f64 {
        self.t0 + k as f64 * self.tbin
    }

    /// Centre of bin k (TIME with TIMEPIXR = 0.5).
    pub fn centre(&self, k: usize) -> f64 {
        self.t0 + (k as f64 + 0.5) * self.tbin
    }

    /// End of the last bin.
    pub fn stop(&self) -> f64 {
        self.start(self.n)
    }

    /// The bin of time t, if inside the grid.
    pub fn index(&self, t: f64) -> Option<usize> {
        let k = ((t - self.t0) / self.tbin).floor();
        (k >= 0.0 && (k as usize) < self.n).then_some(k as usize)
    }

    fn same_as(&self, o: &BinGrid) -> bool {
        self.n == o.n
            && (self.tbin - o.tbin).abs() <= 1e-9 * self.tbin
            && (self.t0 - o.t0).abs() <= 1e-9 * self.tbin
    }
}

/// The aperture a camera's curve comes from (copied from its [`CameraExtraction`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ApertureInfo {
    /// Source CCD.
    pub ccd: u8,
    /// Source radius (arcsec).
    pub src_radius_arcsec: f64,
    /// Background annulus inner radius (arcsec).
    pub bkg_inner_arcsec: f64,
    /// Background annulus outer radius (arcsec).
    pub bkg_outer_arcsec: f64,
    /// Source area on the CCD (arcsec²).
    pub src_area_arcsec2: f64,
    /// Background area (arcsec²).
    pub bkg_area_arcsec2: f64,
    /// Off-axis angle (arcmin).
    pub offaxis_arcmin: f64,
    /// Live fraction of the CCD.
    pub live_fraction: f64,
    /// Sources cut out of the background.
    pub n_excluded: usize,
}

/// A binned light curve (module docs). Rates in count/s, exposure-corrected.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LightCurve {
    /// "PN", "M1", "M2", or "EPIC" for a combined curve.
    pub camera: String,
    /// INSTRUME (cameras joined by `+` for a combined curve).
    pub instrume: String,
    /// The bins.
    pub grid: BinGrid,
    /// Bin centres (s, mission time).
    pub time: Vec<f64>,
    /// Source-aperture counts N.
    pub counts: Vec<u64>,
    /// Background-region counts B.
    pub bkg_counts: Vec<u64>,
    /// Background counts scaled to the aperture, r·B.
    pub bkg_scaled: Vec<f64>,
    /// Live time / bin width.
    pub fracexp: Vec<f64>,
    /// Net rate (count/s); NaN without live time.
    pub rate: Vec<f64>,
    /// Lower 1σ error of `rate`.
    pub err_lo: Vec<f64>,
    /// Upper 1σ error of `rate`.
    pub err_hi: Vec<f64>,
    /// Background rate in the aperture, r·B/(f·Δt).
    pub bkg_rate: Vec<f64>,
    /// 1σ error of `bkg_rate` (Gehrels upper error of B, scaled).
    pub bkg_err: Vec<f64>,
    /// Rate corrected for the EEF: `rate / eef`.
    pub rate_corr: Vec<f64>,
    /// FRACEXP < `min_fracexp`: leave out of variability statistics.
    pub low_exposure: Vec<bool>,
    /// r = A_src / A_bkg (NaN for a combined curve).
    pub backscal_ratio: f64,
    /// EEF of the aperture (NaN for a combined curve or without a PSF).
    pub eef: f64,
    /// Good time (the source CCD's; the intersection for a combined curve).
    pub gti: Gti,
    /// Error method.
    pub method: ErrorMethod,
    /// FRACEXP threshold of `low_exposure`.
    pub min_fracexp: f64,
    /// The aperture (None for a combined curve).
    pub aperture: Option<ApertureInfo>,
}

/// Gehrels (1986) eq. 7 (S = 1): the 1σ (84.13 %) upper limit of a Poisson mean given n counts.
pub fn gehrels_upper(n: u64) -> f64 {
    let n = n as f64;
    n + 1.0 + (n + 0.75).sqrt()
}

/// Gehrels (1986) eq. 12 (S = 1, β = 0): the 1σ lower limit of a Poisson mean given n counts
/// (0 for n = 0).
pub fn gehrels_lower(n: u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    n * (1.0 - 1.0 / (9.0 * n) - 1.0 / (3.0 * n.sqrt())).powi(3)
}

/// ln Q(n+1, x), Q(n+1, 0) = 1.
pub(crate) fn ln_q(n: u64, x: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else {
        ln_gamma_pq(n as f64, x).1
    }
}

/// Bisection for the root of an increasing `f` in [a, b].
pub(crate) fn bisect(mut a: f64, mut b: f64, f: impl Fn(f64) -> f64) -> f64 {
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if m <= a || m >= b {
            break;
        }
        if f(m) < 0.0 {
            a = m;
        } else {
            b = m;
        }
    }
    0.5 * (a + b)
}

/// The shortest interval [s₁, s₂] holding `cl` of the posterior of the source counts s ≥ 0
/// given `n` counts and a known background `b` ≥ 0 (Kraft, Burrows & Nousek 1991; module docs).
pub fn kbn_interval(n: u64, b: f64, cl: f64) -> Result<(f64, f64), LcError> {
    if !(b.is_finite() && b >= 0.0) {
        return Err(LcError::Param(format!(
            "background {b}: expected a non-negative number of counts"
        )));
    }
    if !(cl > 0.0 && cl < 1.0) {
        return Err(LcError::Param(format!(
            "confidence level {cl}: expected a number in (0, 1)"
        )));
    }
    let lq_b = ln_q(n, b);
    // posterior mass in [0, s]: 1 − Q(n+1, s+b)/Q(n+1, b)
    let mass = |s: f64| -(ln_q(n, s + b) - lq_b).exp_m1();
    let nf = n as f64;
    let mode = (nf - b).max(0.0);
    let hi_bound = mode + 20.0 * (nf + 1.0).sqrt() + 20.0;
    if mode == 0.0 {
        // decreasing posterior: [0, s₂]
        return Ok((0.0, bisect(0.0, hi_bound, |s| mass(s) - cl)));
    }
    // ln f(s) up to a constant: n ln(s+b) − s, increasing on [0, mode]
    let ln_f = |s: f64| nf * (s + b).ln() - s;
    let lower_for = |s2: f64| {
        let target = ln_f(s2);
        if ln_f(0.0) >= target {
            0.0
        } else {
            bisect(0.0, mode, |s| ln_f(s) - target)
        }
    };
    let s2 = bisect(mode, hi_bound, |s2| mass(s2) - mass(lower_for(s2)) - cl);
    Ok((lower_for(s2), s2))
}

/// (σ₋, σ₊) of the net counts N − r·B (module docs).
fn count_errors(
    n: u64,
    nb: u64,
    ratio: f64,
    method: ErrorMethod,
    kbn: &mut HashMap<(u64, u64), (f64, f64)>,
) -> (f64, f64) {
    let (nf, bf) = (n as f64, nb as f64);
    let (sb_lo, sb_hi) = (bf - gehrels_lower(nb), gehrels_upper(nb) - bf);
    let (s_lo, s_hi) = match method {
        ErrorMethod::Gehrels => (nf - gehrels_lower(n), gehrels_upper(n) - nf),
        ErrorMethod::Bayesian => {
            let b = ratio * bf;
            let (s1, s2) = *kbn
                .entry((n, nb))
                .or_insert_with(|| kbn_interval(n, b, ONE_SIGMA).expect("valid b and cl"));
            let net = nf - b;
            ((net - s1).max(0.0), (s2 - net).max(0.0))
        }
    };
    (s_lo.hypot(ratio * sb_hi), s_hi.hypot(ratio * sb_lo))
}

/// Events per bin of `grid` (times outside the grid are ignored).
fn histogram(times: &[f64], grid: &BinGrid) -> Vec<u64> {
    let mut h = vec![0u64; grid.n];
    for &t in times {
        if let Some(k) = grid.index(t) {
            h[k] += 1;
        }
    }
    h
}

/// What a camera's curve is built from.
#[derive(Debug, Clone, Copy)]
pub struct CurveInput<'a> {
    /// Source-aperture event times (s).
    pub src_times: &'a [f64],
    /// Background-region event times (s).
    pub bkg_times: &'a [f64],
    /// r = A_src / A_bkg.
    pub backscal_ratio: f64,
    /// The source CCD's GTI.
    pub gti: &'a Gti,
    /// Its live fraction.
    pub live_fraction: f64,
    /// EEF of the aperture (NaN: no correction known).
    pub eef: f64,
}

impl LightCurve {
    /// The curve of a camera's extraction on `grid`.
    pub fn from_extraction(
        ext: &CameraExtraction,
        grid: &BinGrid,
        params: &LcParams,
    ) -> Result<LightCurve, LcError> {
        let input = CurveInput {
            src_times: &ext.src.time,
            bkg_times: &ext.bkg.time,
            backscal_ratio: ext.backscal_ratio,
            gti: &ext.gti,
            live_fraction: ext.live_fraction,
            eef: ext.eef,
        };
        let mut lc = LightCurve::from_events(&ext.camera, &ext.instrume, &input, grid, params)?;
        lc.aperture = Some(ApertureInfo {
            ccd: ext.ccd,
            src_radius_arcsec: ext.src_radius_arcsec,
            bkg_inner_arcsec: ext.bkg_inner_arcsec,
            bkg_outer_arcsec: ext.bkg_outer_arcsec,
            src_area_arcsec2: ext.src_area_arcsec2,
            bkg_area_arcsec2: ext.bkg_area_arcsec2,
            offaxis_arcmin: ext.offaxis_arcmin,
            live_fraction: ext.live_fraction,
            n_excluded: ext.n_excluded,
        });
        Ok(lc)
    }

    /// The curve of source and background events (module docs).
    pub fn from_events(
        camera: &str,
        instrume: &str,
        input: &CurveInput,
        grid: &BinGrid,
        params: &LcParams,
    ) -> Result<LightCurve, LcError> {
        check_input(input, params)?;
        let counts = histogram(input.src_times, grid);
        let bkg_counts = histogram(input.bkg_times, grid);
        let r = input.backscal_ratio;
        let mut lc = LightCurve::empty(camera, instrume, grid, params, input.gti.clone());
        lc.backscal_ratio = r;
        lc.eef = input.eef;
        let mut cache = HashMap::new();
        for k in 0..grid.n {
            let (a, b) = (grid.start(k), grid.start(k + 1));
            let f = livetime::fracexp(input.gti, input.live_fraction, a, b);
            let live = f * grid.tbin;
            let (n, nb) = (counts[k], bkg_counts[k]);
            let scaled = r * nb as f64;
            let (e_lo, e_hi) = count_errors(n, nb, r, params.method, &mut cache);
            let per = |c: f64| if live > 0.0 { c / live } else { f64::NAN };
            let rate = per(n as f64 - scaled);
            lc.fracexp.push(f);
            lc.bkg_scaled.push(scaled);
            lc.rate.push(rate);
            lc.err_lo.push(per(e_lo));
            lc.err_hi.push(per(e_hi));
            lc.bkg_rate.push(per(scaled));
            lc.bkg_err.push(per(r * (gehrels_upper(nb) - nb as f64)));
            lc.rate_corr.push(rate / input.eef);
            lc.low_exposure.push(f < params.min_fracexp);
        }
        lc.counts = counts;
        lc.bkg_counts = bkg_counts;
        Ok(lc)
    }

    fn empty(camera: &str, instrume: &str, grid: &BinGrid, p: &LcParams, gti: Gti) -> LightCurve {
        let cap = grid.n;
        LightCurve {
            camera: camera.into(),
            instrume: instrume.into(),
            grid: *grid,
            time: (0..grid.n).map(|k| grid.centre(k)).collect(),
            counts: Vec::with_capacity(cap),
            bkg_counts: Vec::with_capacity(cap),
            bkg_scaled: Vec::with_capacity(cap),
            fracexp: Vec::with_capacity(cap),
            rate: Vec::with_capacity(cap),
            err_lo: Vec::with_capacity(cap),
            err_hi: Vec::with_capacity(cap),
            bkg_rate: Vec::with_capacity(cap),
            bkg_err: Vec::with_capacity(cap),
            rate_corr: Vec::with_capacity(cap),
            low_exposure: Vec::with_capacity(cap),
            backscal_ratio: f64::NAN,
            eef: f64::NAN,
            gti,
            method: p.method,
            min_fracexp: p.min_fracexp,
            aperture: None,
        }
    }

    /// Number of bins.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// No bins?
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Live time of the curve, Σ FRACEXP·Δt (s): the OGIP `EXPOSURE`.
    pub fn exposure(&self) -> f64 {
        self.fracexp.iter().sum::<f64>() * self.grid.tbin
    }
}

fn check_input(input: &CurveInput, params: &LcParams) -> Result<(), LcError> {
    let r = input.backscal_ratio;
    if !(r.is_finite() && r >= 0.0) {
        return Err(LcError::Param(format!(
            "BACKSCAL ratio {r}: expected a finite ratio ≥ 0 of areas"
        )));
    }
    let f = input.live_fraction;
    if !(f > 0.0 && f <= 1.0) {
        return Err(LcError::Param(format!(
            "live fraction {f}: expected a fraction in (0, 1]"
        )));
    }
    if !(params.min_fracexp >= 0.0 && params.min_fracexp <= 1.0) {
        return Err(LcError::Param(format!(
            "min_fracexp {}: expected a fraction in [0, 1]",
            params.min_fracexp
        )));
    }
    Ok(())
}

/// The camera order of combined outputs: PN, M1, M2, then others by name.
fn camera_rank(c: &str) -> (usize, String) {
    let r = ["PN", "M1", "M2"].iter().position(|x| *x == c).unwrap_or(3);
    (r, c.to_string())
}

/// The combined (EPIC) curve of camera curves on one grid (module docs).
pub fn combine(curves: &[LightCurve]) -> Result<LightCurve, LcError> {
    let first = curves
        .first()
        .ok_or_else(|| LcError::Mismatch("no curve given".into()))?;
    for c in &curves[1..] {
        if !c.grid.same_as(&first.grid) {
            return Err(LcError::Mismatch(format!(
                "{} has bins {:?}, {} has {:?}: build every camera on one BinGrid",
                first.camera, first.grid, c.camera, c.grid
            )));
        }
        if c.method != first.method {
            return Err(LcError::Mismatch(format!(
                "{} has {} errors, {} has {}",
                first.camera,
                first.method.name(),
                c.camera,
                c.method.name()
            )));
        }
    }
    let mut order: Vec<&LightCurve> = curves.iter().collect();
    order.sort_by_key(|c| camera_rank(&c.camera));
    let instrume = order
        .iter()
        .map(|c| c.instrume.as_str())
        .collect::<Vec<_>>()
        .join("+");
    let gti = curves[1..]
        .iter()
        .fold(first.gti.clone(), |g, c| g.intersect(&c.gti));
    let params = LcParams {
        method: first.method,
        min_fracexp: first.min_fracexp,
    };
    let mut lc = LightCurve::empty("EPIC", &instrume, &first.grid, &params, gti);
    let sum = |f: &dyn Fn(&LightCurve) -> f64| curves.iter().map(f).sum::<f64>();
    let quad =
        |f: &dyn Fn(&LightCurve) -> f64| curves.iter().map(|c| f(c).powi(2)).sum::<f64>().sqrt();
    for k in 0..first.grid.n {
        lc.counts.push(curves.iter().map(|c| c.counts[k]).sum());
        lc.bkg_counts
            .push(curves.iter().map(|c| c.bkg_counts[k]).sum());
        lc.bkg_scaled.push(sum(&|c| c.bkg_scaled[k]));
        let f = curves
            .iter()
            .map(|c| c.fracexp[k])
            .fold(f64::INFINITY, f64::min);
        lc.fracexp.push(f);
        lc.rate.push(sum(&|c| c.rate[k]));
        lc.err_lo.push(quad(&|c| c.err_lo[k]));
        lc.err_hi.push(quad(&|c| c.err_hi[k]));
        lc.bkg_rate.push(sum(&|c| c.bkg_rate[k]));
        lc.bkg_err.push(quad(&|c| c.bkg_err[k]));
        lc.rate_corr.push(sum(&|c| c.rate_corr[k]));
        lc.low_exposure
            .push(f < params.min_fracexp || curves.iter().any(|c| c.low_exposure[k]));
    }
    Ok(lc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gehrels (1986) Tables 1 and 2, confidence level 0.8413 (S = 1): exact Poisson upper and
    /// lower limits for n = 0 … 10 (also in astropy's test suite).
    const GEHRELS_TABLE: [(u64, f64, f64); 11] = [
        (0, 0.0, 1.841),
        (1, 0.173, 3.300),
        (2, 0.708, 4.638),
        (3, 1.367, 5.918),
        (4, 2.086, 7.163),
        (5, 2.840, 8.382),
        (6, 3.620, 9.584),
        (7, 4.419, 10.77),
        (8, 5.232, 11.95),
        (9, 6.057, 13.11),
        (10, 6.891, 14.27),
    ];

    #[test]
    fn gehrels_approximations_match_his_tables() {
        for (n, lo, hi) in GEHRELS_TABLE {
            // eq. 7: within 1.4 % (worst at n = 0); eq. 12: within 1 %
            let u = gehrels_upper(n);
            assert!((u / hi - 1.0).abs() < 0.014, "n {n}: upper {u} vs {hi}");
            let l = gehrels_lower(n);
            if n == 0 {
                assert_eq!(l, 0.0);
            } else {
                assert!((l / lo - 1.0).abs() < 0.01, "n {n}: lower {l} vs {lo}");
            }
        }
    }

    /// Kraft, Burrows & Nousek (1991) Tables 1 and 3 (as quoted in astropy's tests): (N, B,
    /// CL, S_min, S_max).
    const KBN_TABLE: [(u64, f64, f64, f64, f64); 5] = [
        (5, 2.5, 0.99, 0.0, 10.67),
        (1, 0.1, 0.99, 0.0, 6.54),
        (1, 0.5, 0.95, 0.0, 4.36),
        (5, 0.0, 0.99, 1.17, 13.32),
        (6, 2.0, 0.90, 0.81, 8.99),
    ];

    /// astropy 8.0.2 `poisson_conf_interval(n, 'kraft-burrows-nousek', background=b,
    /// confidence_level=0.6827)` (scripts/check_lc_stingray.py, .out): (N, B, lo, hi).
    const ASTROPY_KBN_1SIGMA: [(u64, f64, f64, f64); 9] = [
        (1, 1e-9, 0.2682351302125779, 2.500695252792161),
        (2, 0.5, 0.3809238854018297, 3.30947449276),
        (3, 2.0, 0.0, 2.9510452416579986),
        (5, 0.5, 2.5573127490847267, 7.130203822504821),
        (5, 2.5, 0.6519947465041183, 4.958769473526906),
        (10, 3.0, 4.141859977589743, 10.534681326679726),
        (20, 5.0, 10.838775035841554, 19.8331146634021),
        (4, 6.0, 0.0, 2.167260705887046),
        (98, 3.8, 84.62293440217202, 104.44481985148563),
    ];

    #[test]
    fn kbn_intervals_match_the_papers_tables_and_astropy() {
        for (n, b, cl, lo, hi) in KBN_TABLE {
            let (a, z) = kbn_interval(n, b, cl).unwrap();
            // the tables give two decimals (13.3266 is printed 13.32)
            assert!(
                (a - lo).abs() < 0.01 && (z - hi).abs() < 0.01,
                "{n} {b} {cl}: {a}, {z}"
            );
        }
        for (n, b, lo, hi) in ASTROPY_KBN_1SIGMA {
            let (a, z) = kbn_interval(n, b, 0.6827).unwrap();
            assert!(
                (a - lo).abs() < 1e-4 && (z - hi).abs() < 1e-4,
                "{n} {b}: {a}, {z} vs {lo}, {hi}"
            );
        }
        // N = 0: posterior e^−s whatever b: [0, −ln(1 − CL)]
        let (a, z) = kbn_interval(0, 3.0, ONE_SIGMA).unwrap();
        assert!(a == 0.0 && (z + (1.0 - ONE_SIGMA).ln()).abs() < 1e-9);
        assert!(kbn_interval(3, -1.0, 0.68).is_err() && kbn_interval(3, 1.0, 1.0).is_err());
    }

    fn gti() -> Gti {
        Gti::from_rows(&[0.0, 130.0], &[100.0, 300.0]).unwrap()
    }

    #[test]
    fn rates_errors_and_fracexp_per_bin() {
        let grid = BinGrid::covering(&[&gti()], 50.0, None).unwrap();
        assert_eq!((grid.t0, grid.n), (0.0, 6));
        // 10 source events in bin 0, 4 in bin 2 (which straddles the gap 100–130)
        let mut src: Vec<f64> = (0..10).map(|i| 1.0 + i as f64).collect();
        src.extend([101.0, 135.0, 140.0, 149.0]);
        let bkg: Vec<f64> = (0..20).map(|i| 2.0 + i as f64).collect();
        let input = CurveInput {
            src_times: &src,
            bkg_times: &bkg,
            backscal_ratio: 0.1,
            gti: &gti(),
            live_fraction: 0.9,
            eef: 0.8,
        };
        let lc = LightCurve::from_events("PN", "EPN", &input, &grid, &LcParams::default()).unwrap();
        assert_eq!(lc.counts, vec![10, 0, 4, 0, 0, 0]);
        assert_eq!(lc.time[2], 125.0);
        // bin 2 = [100, 150): 20 s of GTI × 0.9 live
        assert!((lc.fracexp[2] - 20.0 * 0.9 / 50.0).abs() < 1e-15);
        assert!((lc.fracexp[0] - 0.9).abs() < 1e-15);
        let live0 = 45.0;
        assert!((lc.rate[0] - (10.0 - 0.1 * 20.0) / live0).abs() < 1e-12);
        assert!((lc.rate[2] - 4.0 / 18.0).abs() < 1e-12);
        assert!((lc.rate_corr[0] - lc.rate[0] / 0.8).abs() < 1e-15);
        assert!((lc.bkg_rate[0] - 2.0 / live0).abs() < 1e-12);
        // Gehrels with the background's error in quadrature
        let s_hi = 1.0 + (10.75f64).sqrt();
        let b_lo = 20.0 - gehrels_lower(20);
        assert!((lc.err_hi[0] - s_hi.hypot(0.1 * b_lo) / live0).abs() < 1e-12);
        assert!(lc.low_exposure.iter().all(|&x| !x));
        assert!((lc.exposure() - 270.0 * 0.9).abs() < 1e-9);
        // the bins after the data: live, empty
        assert_eq!(lc.rate[5], 0.0);
        // Bayesian errors: the KBN interval, at b = r·B
        let p = LcParams {
            method: ErrorMethod::Bayesian,
            ..Default::default()
        };
        let lb = LightCurve::from_events("PN", "EPN", &input, &grid, &p).unwrap();
        let (s1, s2) = kbn_interval(10, 2.0, ONE_SIGMA).unwrap();
        let want_hi = (s2 - 8.0).hypot(0.1 * b_lo) / live0;
        assert!((lb.err_hi[0] - want_hi).abs() < 1e-12 && (8.0 - s1) > 0.0);
    }

    #[test]
    fn a_bin_without_live_time_has_no_rate_and_is_flagged() {
        let g = Gti::from_rows(&[0.0, 200.0], &[100.0, 300.0]).unwrap();
        let grid = BinGrid::new(0.0, 50.0, 6).unwrap();
        let input = CurveInput {
            src_times: &[10.0],
            bkg_times: &[],
            backscal_ratio: 0.05,
            gti: &g,
            live_fraction: 1.0,
            eef: 0.8,
        };
        let lc =
            LightCurve::from_events("M1", "EMOS1", &input, &grid, &LcParams::default()).unwrap();
        assert_eq!(lc.fracexp[2], 0.0);
        assert!(lc.rate[2].is_nan() && lc.err_hi[2].is_nan() && lc.low_exposure[2]);
        assert!(!lc.low_exposure[0]);
        assert!(BinGrid::new(0.0, 0.0, 3).is_err() && BinGrid::covering(&[], 10.0, None).is_err());
    }

    #[test]
    fn the_combined_curve_is_the_sum_of_the_cameras() {
        let g1 = Gti::from_rows(&[0.0], &[1000.0]).unwrap();
        let g2 = Gti::from_rows(&[0.0, 520.0], &[480.0, 1000.0]).unwrap();
        let grid = BinGrid::covering(&[&g1, &g2], 100.0, None).unwrap();
        let s1: Vec<f64> = (0..300).map(|i| i as f64 * 3.3).collect();
        let s2: Vec<f64> = (0..150)
            .map(|i| i as f64 * 6.6 + 0.1)
            .filter(|t| g2.contains(*t))
            .collect();
        let b: Vec<f64> = (0..100).map(|i| i as f64 * 9.9).collect();
        let mk = |cam: &str, ins: &str, s: &[f64], g: &Gti, r: f64| {
            let input = CurveInput {
                src_times: s,
                bkg_times: &b,
                backscal_ratio: r,
                gti: g,
                live_fraction: 0.99,
                eef: 0.85,
            };
            LightCurve::from_events(cam, ins, &input, &grid, &LcParams::default()).unwrap()
        };
        let m1 = mk("M1", "EMOS1", &s2, &g2, 0.04);
        let pn = mk("PN", "EPN", &s1, &g1, 0.05);
        let c = combine(&[m1.clone(), pn.clone()]).unwrap();
        assert_eq!(
            (c.camera.as_str(), c.instrume.as_str()),
            ("EPIC", "EPN+EMOS1")
        );
        for k in 0..grid.n {
            assert_eq!(c.counts[k], pn.counts[k] + m1.counts[k]);
            assert!((c.rate[k] - (pn.rate[k] + m1.rate[k])).abs() < 1e-12);
            assert!((c.rate_corr[k] - (pn.rate_corr[k] + m1.rate_corr[k])).abs() < 1e-12);
            assert!((c.err_hi[k] - pn.err_hi[k].hypot(m1.err_hi[k])).abs() < 1e-12);
            assert_eq!(c.fracexp[k], pn.fracexp[k].min(m1.fracexp[k]));
        }
        // bin 4 = [400, 500) has MOS1's 20 s gap: FRACEXP 0.8 × 0.99
        assert!((c.fracexp[4] - 0.8 * 0.99).abs() < 1e-12);
        assert_eq!(c.gti, g1.intersect(&g2));
        let other = mk("M2", "EMOS2", &s1, &g1, 0.04);
        let coarse = LightCurve::from_events(
            "M2",
            "EMOS2",
            &CurveInput {
                src_times: &s1,
                bkg_times: &b,
                backscal_ratio: 0.04,
                gti: &g1,
                live_fraction: 1.0,
                eef: 0.8,
            },
            &BinGrid::new(0.0, 200.0, 5).unwrap(),
            &LcParams::default(),
        )
        .unwrap();
        assert!(combine(&[pn.clone(), other]).is_ok());
        assert!(matches!(combine(&[pn, coarse]), Err(LcError::Mismatch(_))));
        assert!(combine(&[]).is_err());
    }
}

#[cfg(test)]
mod extraction_tests {
    use super::*;
    use crate::extract::psf::epic_king;
    use crate::extract::testutil::{self, Scene, Source, CRPIX};
    use crate::extract::{extract, ExtractParams};
    use crate::instrument::EpicCamera;

    /// A constant source seen by pn and MOS1 (1.5 keV, on axis), GTI 1000–5000, 6000–11000 s.
    fn cameras() -> Vec<crate::exposure::Exposure> {
        let gti = Gti::from_rows(&[1000.0, 6000.0], &[5000.0, 11000.0]).unwrap();
        [
            ("EPN", EpicCamera::Pn, 9000, 11),
            ("EMOS1", EpicCamera::Mos1, 3000, 12),
        ]
        .into_iter()
        .map(|(ins, cam, n, seed)| {
            testutil::exposure(&Scene {
                instrume: ins,
                ccds: testutil::two_ccds(),
                bkg_per_arcsec2: 0.02,
                sources: vec![Source {
                    x: CRPIX,
                    y: CRPIX,
                    counts: n,
                    psf: epic_king(cam, 1.5, 0.0),
                    energy_ev: 1500.0,
                    window: None,
                }],
                gti: gti.clone(),
                live_fraction: 0.95,
                pointing: testutil::CRVAL,
                seed,
            })
        })
        .collect()
    }

    #[test]
    fn curves_of_a_constant_source_recover_its_rate_and_combine_to_the_sum() {
        let exps = cameras();
        let (ra, dec) = testutil::CRVAL;
        let x = extract(&exps, ra, dec, &ExtractParams::default(), &[]).unwrap();
        let gtis: Vec<&Gti> = x.cameras.iter().map(|c| &c.gti).collect();
        let grid = BinGrid::covering(&gtis, 200.0, None).unwrap();
        assert_eq!((grid.t0, grid.n), (1000.0, 50));
        let p = LcParams::default();
        let curves: Vec<LightCurve> = x
            .cameras
            .iter()
            .map(|c| LightCurve::from_extraction(c, &grid, &p).unwrap())
            .collect();
        for (lc, n) in curves.iter().zip([9000.0, 3000.0]) {
            // the bin [4800, 5000) is all live, [5000, 5200) is in the gap, the GTI's
            // exposure is 9000 s and the live fraction 0.95
            assert!((lc.fracexp[19] - 0.95).abs() < 1e-12 && lc.fracexp[20] == 0.0);
            assert!((lc.exposure() - 9000.0 * 0.95).abs() < 1e-6);
            // the truth: n photons over 9000 s; the rate corrected for EEF and dead time
            let truth = n / 9000.0;
            let good: Vec<usize> = (0..lc.len()).filter(|&k| !lc.low_exposure[k]).collect();
            assert_eq!(good.len(), 45);
            let chi2: f64 = good
                .iter()
                .map(|&k| {
                    let e = 0.5 * (lc.err_lo[k] + lc.err_hi[k]) / lc.eef;
                    ((lc.rate_corr[k] - truth) / e).powi(2)
                })
                .sum();
            assert!(
                chi2 / 45.0 > 0.4 && chi2 / 45.0 < 1.7,
                "{}: χ²/45 = {}",
                lc.camera,
                chi2 / 45.0
            );
            let net: f64 = good
                .iter()
                .map(|&k| lc.counts[k] as f64 - lc.bkg_scaled[k])
                .sum();
            let want = n * 0.95 * lc.eef;
            let total: f64 = good.iter().map(|&k| lc.counts[k] as f64).sum();
            assert!(
                (net - want).abs() < 3.0 * total.sqrt(),
                "{}: {net} vs {want}",
                lc.camera
            );
        }
        let epic = combine(&curves).unwrap();
        assert_eq!(epic.instrume, "EPN+EMOS1");
        for k in 0..grid.n {
            assert_eq!(epic.counts[k], curves[0].counts[k] + curves[1].counts[k]);
            let want = curves[0].rate_corr[k] + curves[1].rate_corr[k];
            assert!(epic.rate_corr[k] == want || (want.is_nan() && epic.rate_corr[k].is_nan()));
        }
    }
}
