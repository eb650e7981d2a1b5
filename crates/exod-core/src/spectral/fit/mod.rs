//! Fitting a spectral model to a [`FitData`] with a [`Statistic`]: minimisation, errors, goodness.
//!
//! # Minimisation ([`fit`])
//! 1. Starts: the model's parameter values, then `n_starts` more, deterministic: point k of the
//!    Halton sequence (bases 2, 3, 5, … one per parameter; index offset `seed`) mapped onto each
//!    free parameter's plausible range by XSPEC name — `nH` log-uniform 1e-3..1e2, `PhoIndex`
//!    uniform −1..4, `kT` log-uniform 0.05..30 keV, `LineE` uniform over the noticed band, `Sigma`
//!    log-uniform 1e-3..1 keV, `norm` ×10^±2 around its value; other parameters uniform within
//!    narrow limits, else ×10^±2 — clamped into the hard limits.
//!    Before each start's descent, the parameters named `norm` (XSPEC's convention) are rescaled
//!    together so the predicted counts equal the observed counts: a start at `norm = 1e-10` costs
//!    nothing.
//! 2. From each start, a short Levenberg–Marquardt scout ([`lm`], 5 iterations) on the residual
//!    vector whose squares sum to the statistic: `(d − s b − m)/σ` for χ², the signed deviance
//!    residuals `sign(d − m)√c_i` for cstat and wstat. The 3 best distinct scouted points (differing
//!    by > 1 % in some parameter) get a full LM descent.
//! 3. The LM is projected onto the box (a parameter can rest on a limit and the descent still
//!    converges); a model with one additive component gets the Jacobian column of its `norm` from
//!    the counts already computed. When the best descent did not converge, Nelder–Mead
//!    ([`crate::optimize::minimize`]) polishes it and LM runs again from there.
//!
//! Bounds: the parameters' hard limits ([`Param::min`], [`Param::max`]); a limit more than 1e8 times
//! the start's distance to the other limit away (e.g. `norm ≤ 1e24`) is treated as absent by the
//! minimisers (the sine transform cannot resolve a norm of 1e-3 inside [0, 1e24]) and enforced by
//! clamping. Frozen parameters ([`Param::frozen`]) are fixed.
//!
//! # Errors
//! Covariance: `(H/2)⁻¹` with H the finite-difference Hessian of the statistic ([`errors`]); `sigma`
//! is the square root of its diagonal. Profile likelihood ([`crate::optimize::profile_interval_with`], the other parameters
//! re-minimised by the same projected LM) for
//! `Δstat = profile_delta` (default 1.0: 1σ for one parameter; 2.706: 90 %), ends reported with
//! `*_is_limit` when the profile stays below the target up to a hard limit. If the profile meets a
//! better minimum, the fit is redone from it (at most twice) and the errors recomputed. Without a
//! profile, `lower/upper = value ∓ sigma` clipped to the limits.
//!
//! # Goodness
//! `q_value = Q(dof/2, χ²/2)` for χ² statistics; `AIC = S + 2k`, `BIC = S + k ln N` (k free parameters,
//! N groups; Sherpa's definitions); for cstat the Kaastra (2017) calibration ([`goodness`]) and, on
//! request, a parametric bootstrap ([`bootstrap_goodness`]).

#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x > 0.0)` rejects NaN on purpose
#![allow(clippy::needless_range_loop)] // index loops over several parallel arrays

pub mod errors;
pub mod goodness;
pub(crate) mod lm;

use std::cell::{Cell, RefCell};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::fitdata::{FitData, Workspace};
use super::model::{Param, SpectralModel};
use super::stat::{self, Statistic};
use super::SpectralError;
use crate::optimize::{minimize, profile_interval_with, MinimizeOptions, Minimum};

pub use goodness::{BootstrapGoodness, KaastraGoodness};

/// Options of [`fit`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitOptions {
    /// Extra starts after the model's own values (default 8), spread over the plausible ranges.
    pub n_starts: usize,
    /// Offset into the Halton sequence of the extra starts (default 0).
    pub seed: u64,
    /// Levenberg–Marquardt iterations per start (default 200).
    pub lm_max_iter: usize,
    /// The Nelder–Mead fallback when the final Levenberg–Marquardt descent does not converge
    /// (default: `MinimizeOptions` with 1 restart).
    pub nm: MinimizeOptions,
    /// Compute the covariance matrix (default true).
    pub covariance: bool,
    /// Δstat of the profile-likelihood intervals, None for none (default Some(1.0)).
    pub profile_delta: Option<f64>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            n_starts: 8,
            seed: 0,
            lm_max_iter: 200,
            nm: MinimizeOptions {
                restarts: 1,
                ..Default::default()
            },
            covariance: true,
            profile_delta: Some(1.0),
        }
    }
}

/// One parameter of a fit result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitParam {
    /// Component (`powerlaw`, `apec_1`, …).
    pub component: String,
    /// XSPEC name (`PhoIndex`, `nH`, `norm`, …).
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Best-fit value.
    pub value: f64,
    /// √ of the covariance diagonal (NaN when frozen or the covariance failed).
    pub sigma: f64,
    /// Lower end of the interval (profile likelihood if computed, else value − sigma).
    pub lower: f64,
    /// Upper end.
    pub upper: f64,
    /// `lower` is the hard limit: a one-sided interval (an upper limit on the parameter).
    pub lower_is_limit: bool,
    /// `upper` is the hard limit.
    pub upper_is_limit: bool,
    /// Frozen (not fitted).
    pub frozen: bool,
}

/// The result of [`fit`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitResult {
    /// Statistic name (`cstat`, `chi2datavar`, …).
    pub statistic: String,
    /// The statistic at the optimum.
    pub stat_value: f64,
    /// Degrees of freedom: groups − free parameters.
    pub dof: usize,
    /// `stat_value / dof` (NaN for dof 0).
    pub reduced_stat: f64,
    /// χ² null-hypothesis probability `Q(dof/2, χ²/2)`; None for cstat and wstat.
    pub q_value: Option<f64>,
    /// Akaike information criterion `S + 2k`.
    pub aic: f64,
    /// Bayesian information criterion `S + k ln N`.
    pub bic: f64,
    /// Noticed groups N.
    pub n_bins: usize,
    /// Free parameters k.
    pub n_free: usize,
    /// All parameters, in the model's order.
    pub params: Vec<FitParam>,
    /// Indices (into `params`) of the free parameters: the order of `covariance`.
    pub free: Vec<usize>,
    /// Covariance matrix of the free parameters (empty when not computed or not positive definite).
    pub covariance: Vec<Vec<f64>>,
    /// Δstat of the intervals (None: intervals from sigma).
    pub profile_delta: Option<f64>,
    /// Kaastra (2017) calibration of C (cstat only).
    pub kaastra: Option<KaastraGoodness>,
    /// Statistic evaluations spent.
    pub n_evals: usize,
    /// Whether the final descent met its tolerances.
    pub converged: bool,
}

impl FitResult {
    /// Best-fit values of all parameters, in the model's order.
    pub fn values(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.value).collect()
    }
}

/// The statistic as a function of the parameters.
pub(crate) struct Problem<'a> {
    pub data: &'a FitData,
    pub model: &'a dyn SpectralModel,
    pub stat: Statistic,
    pub hard: Vec<(f64, f64)>,
    buf: RefCell<(Workspace, Vec<f64>, Vec<f64>)>,
    pub evals: Cell<usize>,
    /// [`SpectralModel::scale_param`], looked up once.
    scale: Option<usize>,
}

impl<'a> Problem<'a> {
    pub fn new(data: &'a FitData, model: &'a dyn SpectralModel, stat: Statistic) -> Problem<'a> {
        Problem {
            data,
            model,
            stat,
            hard: model.params().iter().map(|p| (p.min, p.max)).collect(),
            buf: RefCell::new((Workspace::new(data), vec![0.0; data.n_bins()], vec![])),
            evals: Cell::new(0),
            scale: model.scale_param(),
        }
    }

    /// Model counts per group at `x` (clamped into the hard limits) into the internal buffer, then `f`.
    fn with_counts<T>(&self, x: &[f64], f: impl FnOnce(&[f64]) -> T) -> T {
        self.evals.set(self.evals.get() + 1);
        let mut b = self.buf.borrow_mut();
        let (ws, m, xc) = &mut *b;
        xc.clear();
        xc.extend(
            x.iter()
                .zip(&self.hard)
                .map(|(&v, &(lo, hi))| v.clamp(lo, hi)),
        );
        ws.counts(self.data, self.model, xc, m);
        f(m)
    }

    pub fn value(&self, x: &[f64]) -> f64 {
        let v = self.with_counts(x, |m| stat::total(self.stat, &self.data.bins, m));
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    }

    pub fn residuals(&self, x: &[f64], out: &mut [f64]) {
        self.with_counts(x, |m| {
            for ((o, b), &mi) in out.iter_mut().zip(&self.data.bins).zip(m) {
                *o = stat::bin_residual(self.stat, b, mi);
            }
        })
    }

    /// Residuals of the model last evaluated times `k`, if that was at `x` (clamped): no model
    /// evaluation (for a parameter scaling the whole model, [`SpectralModel::scale_param`]).
    pub fn residuals_scaled(&self, x: &[f64], k: f64, out: &mut [f64]) -> bool {
        let b = self.buf.borrow();
        let (_, m, xc) = &*b;
        let same = xc.len() == x.len()
            && x.iter()
                .zip(&self.hard)
                .zip(xc)
                .all(|((&v, &(lo, hi)), &c)| v.clamp(lo, hi) == c);
        if same {
            for ((o, bin), &mi) in out.iter_mut().zip(&self.data.bins).zip(m) {
                *o = stat::bin_residual(self.stat, bin, k * mi);
            }
        }
        same
    }

    /// Levenberg–Marquardt on the residuals from `x` within `bounds` (see [`lm`]).
    pub fn lm(&self, x: &[f64], bounds: &[(f64, f64)], max_iter: usize, ftol: f64) -> lm::LmResult {
        let resid = |x: &[f64], out: &mut [f64]| self.residuals(x, out);
        let scaled = |x: &[f64], k: f64, out: &mut [f64]| self.residuals_scaled(x, k, out);
        let column = self.scale.map(|index| lm::ScaleColumn {
            index,
            resid_scaled: &scaled,
        });
        let opts = lm::LmOptions { max_iter, ftol };
        lm::levenberg_marquardt(&resid, self.data.n_bins(), x, bounds, opts, column.as_ref())
    }

    pub fn counts(&self, x: &[f64]) -> Vec<f64> {
        self.with_counts(x, |m| m.to_vec())
    }
}

/// Bounds the minimisers use: frozen parameters fixed, unusably far limits dropped (module docs).
fn working_bounds(params: &[Param], x0: &[f64]) -> Vec<(f64, f64)> {
    params
        .iter()
        .zip(x0)
        .map(|(p, &x)| {
            if p.frozen {
                return (x, x);
            }
            let (mut lo, mut hi) = (p.min, p.max);
            if hi.is_finite() && lo.is_finite() {
                let (dl, dh) = (x - lo, hi - x);
                if hi - lo > 1e8 * dl.max(1e-300) && dh > dl {
                    hi = f64::INFINITY;
                } else if hi - lo > 1e8 * dh.max(1e-300) {
                    lo = f64::NEG_INFINITY;
                }
            }
            (lo, hi)
        })
        .collect()
}

/// Validate the model's parameters and the data against the statistic.
fn check_inputs(
    data: &FitData,
    model: &dyn SpectralModel,
    stat: Statistic,
) -> Result<(), SpectralError> {
    for p in model.params() {
        if !(p.value.is_finite() && p.min <= p.value && p.value <= p.max) {
            return Err(SpectralError::param(format!(
                "{} = {} is outside its limits [{}, {}]: expected a finite start inside them",
                p.full_name(),
                p.value,
                p.min,
                p.max
            )));
        }
    }
    let n_free = model.params().iter().filter(|p| !p.frozen).count();
    if n_free > data.n_bins() {
        return Err(SpectralError::input(
            &data.name,
            format!("{n_free} free parameters but only {} noticed groups: expected at least as many groups", data.n_bins()),
        ));
    }
    stat::check_usable(
        stat,
        &data.bins,
        data.has_background,
        data.has_stat_err,
        &data.name,
    )
}

/// Fit `model` to `data` by minimising `stat`; see the module docs.
pub fn fit(
    data: &FitData,
    model: &dyn SpectralModel,
    stat: Statistic,
    opts: &FitOptions,
) -> Result<FitResult, SpectralError> {
    check_inputs(data, model, stat)?;
    let pb = Problem::new(data, model, stat);
    let x0: Vec<f64> = model.params().iter().map(|p| p.value).collect();
    let bounds = working_bounds(model.params(), &x0);
    let mut best = minimise(&pb, &x0, &bounds, opts)?;
    let mut intervals = None;
    for _round in 0..3 {
        match (
            opts.profile_delta,
            best.x.iter().zip(&bounds).any(|(_, b)| b.0 != b.1),
        ) {
            (Some(delta), true) => match profiles(&pb, &best, &bounds, delta, opts)? {
                Ok(iv) => {
                    intervals = Some(iv);
                    break;
                }
                Err(better) => best = minimise(&pb, &better.x, &bounds, opts)?,
            },
            _ => break,
        }
    }
    Ok(build_result(&pb, &best, &bounds, intervals, opts))
}

/// Starts spread over the plausible ranges, a short LM from each, full LM from the few best
/// distinct points, NM polish of the best, LM again (module docs).
fn minimise(
    pb: &Problem,
    x0: &[f64],
    bounds: &[(f64, f64)],
    opts: &FitOptions,
) -> Result<Minimum, SpectralError> {
    let run_lm = |x: &[f64], max_iter: usize, ftol: f64| {
        let r = pb.lm(x, bounds, max_iter, ftol);
        (r.x, r.f, r.converged)
    };
    let mut starts = vec![x0.to_vec()];
    starts.extend(spread_starts(pb, x0, bounds, opts.n_starts, opts.seed));
    let mut scouts: Vec<(Vec<f64>, f64, bool)> = starts
        .iter()
        .map(|s| run_lm(&rescale_norms(pb, s, bounds), SCOUT_ITER, 1e-6))
        .collect();
    scouts.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut kept: Vec<(Vec<f64>, f64, bool)> = Vec::new();
    for c in scouts {
        if kept.len() >= N_POLISH {
            break;
        }
        if c.1.is_finite() && kept.iter().all(|k| distinct(&k.0, &c.0, bounds)) {
            kept.push(c);
        }
    }
    if kept.is_empty() {
        kept.push((x0.to_vec(), pb.value(x0), false));
    }
    let mut best = kept
        .iter()
        .map(|k| run_lm(&k.0, opts.lm_max_iter, 1e-10))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or_else(|| kept[0].clone());
    // the projected LM stops at a stationary point of the box (limits included); Nelder–Mead is
    // the fallback when it did not converge
    let mut converged = best.2;
    if !converged {
        let polished = minimize(|x: &[f64]| pb.value(x), &best.0, bounds, &opts.nm)?;
        converged = polished.converged;
        if polished.f < best.1 {
            best = (polished.x, polished.f, polished.converged);
            let again = run_lm(&best.0, opts.lm_max_iter, 1e-10);
            if again.1 < best.1 {
                best = again;
                converged = true;
            }
        }
    }
    Ok(Minimum {
        x: best.0,
        f: best.1,
        n_evals: 0,
        converged,
    })
}

/// LM iterations of each scouting descent (from every start).
const SCOUT_ITER: usize = 5;
/// Distinct scouted minima refined by a full LM descent.
const N_POLISH: usize = 3;

/// Two points differ by more than 1 % of a parameter's scale (relative, or of the range).
fn distinct(a: &[f64], b: &[f64], bounds: &[(f64, f64)]) -> bool {
    a.iter().zip(b).zip(bounds).any(|((&x, &y), &(lo, hi))| {
        if lo == hi {
            return false;
        }
        let scale = x.abs().max(y.abs()).max(1e-3);
        (x - y).abs() > 1e-2 * scale
    })
}

/// The `k`-th point (k ≥ 1) of the Halton sequence in base `base`.
fn halton(mut k: u64, base: u64) -> f64 {
    let (mut f, mut r) = (1.0, 0.0);
    while k > 0 {
        f /= base as f64;
        r += f * (k % base) as f64;
        k /= base;
    }
    r
}

const PRIMES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];

/// `n` deterministic starts: Halton points (index offset `seed`) mapped onto each free
/// parameter's plausible range (module docs).
fn spread_starts(
    pb: &Problem,
    x0: &[f64],
    bounds: &[(f64, f64)],
    n: usize,
    seed: u64,
) -> Vec<Vec<f64>> {
    let params = pb.model.params();
    let (e_lo, e_hi) = pb
        .data
        .groups
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), g| {
            (a.min(g.e_lo), b.max(g.e_hi))
        });
    (1..=n as u64)
        .map(|k| {
            x0.iter()
                .enumerate()
                .map(|(i, &v)| {
                    let (lo, hi) = bounds[i];
                    if lo == hi {
                        return v;
                    }
                    let u = halton(k + seed, PRIMES[i % PRIMES.len()]);
                    let (hlo, hhi) = pb.hard[i];
                    let log = |a: f64, b: f64| (a.ln() + u * (b / a).ln()).exp();
                    let x = match params[i].name.to_ascii_lowercase().as_str() {
                        "nh" => log(1e-3, 1e2),
                        "phoindex" => -1.0 + 5.0 * u,
                        "kt" => log(0.05, 30.0),
                        "linee" if e_hi > e_lo => e_lo + u * (e_hi - e_lo),
                        "sigma" => log(1e-3, 1.0),
                        "norm" => v.max(1e-30) * 10f64.powf(4.0 * u - 2.0),
                        _ if hi - lo <= 1e3 * v.abs().max(1e-3) => lo + u * (hi - lo),
                        _ => v.abs().max(1e-3) * 10f64.powf(4.0 * u - 2.0),
                    };
                    x.clamp(hlo, hhi)
                })
                .collect()
        })
        .collect()
}

/// Scale the `norm` parameters together so predicted counts match the observed total.
fn rescale_norms(pb: &Problem, x: &[f64], bounds: &[(f64, f64)]) -> Vec<f64> {
    let params = pb.model.params();
    let norms: Vec<usize> = (0..x.len())
        .filter(|&i| {
            params[i].name.eq_ignore_ascii_case("norm") && bounds[i].0 != bounds[i].1 && x[i] > 0.0
        })
        .collect();
    let data: f64 = pb
        .data
        .bins
        .iter()
        .map(|b| {
            b.d - if pb.stat == Statistic::Cstat {
                0.0
            } else {
                b.s * b.b
            }
        })
        .sum();
    let model: f64 = pb.counts(x).iter().sum();
    let k = data / model;
    if norms.is_empty() || !(k.is_finite() && k > 0.0) {
        return x.to_vec();
    }
    let mut y = x.to_vec();
    for i in norms {
        y[i] = (x[i] * k).clamp(pb.hard[i].0, pb.hard[i].1);
    }
    y
}

/// Profile intervals of every free parameter, or the better minimum met on the way.
#[allow(clippy::type_complexity)]
fn profiles(
    pb: &Problem,
    best: &Minimum,
    bounds: &[(f64, f64)],
    delta: f64,
    opts: &FitOptions,
) -> Result<Result<Vec<Option<crate::optimize::ProfileInterval>>, Minimum>, SpectralError> {
    let mut out = Vec::with_capacity(best.x.len());
    for i in 0..best.x.len() {
        if bounds[i].0 == bounds[i].1 {
            out.push(None);
            continue;
        }
        let inner = |x: &[f64], b: &[(f64, f64)]| {
            let r = pb.lm(x, b, opts.lm_max_iter, 1e-14);
            Minimum {
                x: r.x,
                f: r.f,
                n_evals: 0,
                converged: r.converged,
            }
        };
        let iv = profile_interval_with(|x: &[f64]| pb.value(x), &inner, best, i, delta, bounds)?;
        if let Some(b) = iv.better_minimum.clone() {
            return Ok(Err(b));
        }
        out.push(Some(iv));
    }
    Ok(Ok(out))
}

fn build_result(
    pb: &Problem,
    best: &Minimum,
    bounds: &[(f64, f64)],
    intervals: Option<Vec<Option<crate::optimize::ProfileInterval>>>,
    opts: &FitOptions,
) -> FitResult {
    let params = pb.model.params();
    let free: Vec<usize> = (0..params.len())
        .filter(|&i| bounds[i].0 != bounds[i].1)
        .collect();
    let x: Vec<f64> = best
        .x
        .iter()
        .zip(&pb.hard)
        .map(|(&v, &(lo, hi))| v.clamp(lo, hi))
        .collect();
    let f = |y: &[f64]| pb.value(y);
    let cov = if opts.covariance && !free.is_empty() {
        errors::covariance(&f, &x, &free, &pb.hard).unwrap_or_default()
    } else {
        vec![]
    };
    let mut out_params = Vec::with_capacity(params.len());
    for (i, p) in params.iter().enumerate() {
        let j = free.iter().position(|&k| k == i);
        let sigma = match (j, cov.is_empty()) {
            (Some(j), false) => cov[j][j].sqrt(),
            _ => f64::NAN,
        };
        let iv = intervals.as_ref().and_then(|v| v[i].clone());
        let (lower, upper, lil, uil) = match iv {
            Some(iv) => (
                iv.lower,
                iv.upper,
                iv.lower_is_limit && iv.lower <= p.min,
                iv.upper_is_limit && iv.upper >= p.max,
            ),
            None if j.is_some() && sigma.is_finite() => {
                let (lo, hi) = (x[i] - sigma, x[i] + sigma);
                (lo.max(p.min), hi.min(p.max), lo <= p.min, hi >= p.max)
            }
            None if j.is_none() => (x[i], x[i], false, false),
            None => (f64::NAN, f64::NAN, false, false),
        };
        out_params.push(FitParam {
            component: p.component.clone(),
            name: p.name.clone(),
            unit: p.unit.clone(),
            value: x[i],
            sigma,
            lower,
            upper,
            lower_is_limit: lil,
            upper_is_limit: uil,
            frozen: j.is_none(),
        });
    }
    let stat_value = pb.value(&x);
    let (n_bins, k) = (pb.data.n_bins(), free.len());
    let dof = n_bins - k;
    FitResult {
        statistic: pb.stat.name().to_string(),
        stat_value,
        dof,
        reduced_stat: if dof > 0 {
            stat_value / dof as f64
        } else {
            f64::NAN
        },
        q_value: pb.stat.is_chi2().then(|| goodness::chi2_q(stat_value, dof)),
        aic: stat_value + 2.0 * k as f64,
        bic: stat_value + k as f64 * (n_bins as f64).ln(),
        n_bins,
        n_free: k,
        params: out_params,
        free,
        covariance: cov,
        profile_delta: opts.profile_delta,
        kaastra: (pb.stat == Statistic::Cstat)
            .then(|| goodness::kaastra(stat_value, &pb.counts(&x))),
        n_evals: pb.evals.get(),
        converged: best.converged,
    }
}

/// A model with its parameters set to given values (frozen flags and limits kept).
struct AtValues<'a> {
    inner: &'a dyn SpectralModel,
    params: Vec<Param>,
}

impl<'a> AtValues<'a> {
    fn new(inner: &'a dyn SpectralModel, x: &[f64]) -> AtValues<'a> {
        let mut params = inner.params().to_vec();
        for (p, &v) in params.iter_mut().zip(x) {
            p.value = v;
        }
        AtValues { inner, params }
    }
}

impl SpectralModel for AtValues<'_> {
    fn params(&self) -> &[Param] {
        &self.params
    }
    fn eval(&self, p: &[f64], lo: &[f64], hi: &[f64], out: &mut [f64]) {
        self.inner.eval(p, lo, hi, out)
    }
    fn eval_unabsorbed(&self, p: &[f64], lo: &[f64], hi: &[f64], out: &mut [f64]) {
        self.inner.eval_unabsorbed(p, lo, hi, out)
    }
}

/// Parametric bootstrap of the goodness of fit: `n_sims` spectra drawn from the best fit `result`
/// (Poisson source counts; with a background statistic also Poisson background counts from the
/// profiled background), each refitted from the best fit (no extra starts, no errors); the fraction
/// of simulated statistics ≥ the observed one. Simulation i uses ChaCha8 seeded with `seed + i`.
pub fn bootstrap_goodness(
    data: &FitData,
    model: &dyn SpectralModel,
    stat: Statistic,
    result: &FitResult,
    n_sims: usize,
    seed: u64,
) -> Result<BootstrapGoodness, SpectralError> {
    use rand_distr::{Distribution, Poisson};
    if n_sims == 0 {
        return Err(SpectralError::param(
            "bootstrap needs n_sims ≥ 1 (e.g. 1000)",
        ));
    }
    let x = result.values();
    let start = AtValues::new(model, &x);
    let m = data.model_counts(model, &x);
    let bkg = stat.uses_background() && data.has_background;
    let opts = FitOptions {
        n_starts: 0,
        covariance: false,
        profile_delta: None,
        nm: MinimizeOptions {
            restarts: 1,
            ..Default::default()
        },
        ..Default::default()
    };
    // means below 1e-10 give 0 (rand_distr's Poisson is not reliable for vanishing means)
    let draw = |mean: f64, rng: &mut ChaCha8Rng| {
        if mean > 1e-10 {
            Poisson::new(mean)
                .map(|p| p.sample(rng))
                .unwrap_or(mean.round())
                .max(0.0)
        } else {
            0.0
        }
    };
    let mut sims = Vec::with_capacity(n_sims);
    for i in 0..n_sims {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(i as u64));
        let (mut d, mut b) = (Vec::with_capacity(m.len()), Vec::with_capacity(m.len()));
        for (bin, &mi) in data.bins.iter().zip(&m) {
            if bkg {
                let f = stat::wstat_background(bin.d, bin.b, mi, bin.s);
                b.push(draw(f, &mut rng));
                d.push(draw(mi + bin.s * f, &mut rng));
            } else {
                d.push(draw(mi, &mut rng));
            }
        }
        let sim = data.with_counts(&d, bkg.then_some(&b[..]));
        let r = fit(&sim, &start, stat, &opts)?;
        sims.push(r.stat_value);
    }
    let ge = sims.iter().filter(|&&c| c >= result.stat_value).count();
    Ok(BootstrapGoodness {
        n_sims,
        fraction_ge: ge as f64 / n_sims as f64,
        mean: sims.iter().sum::<f64>() / n_sims as f64,
        seed,
    })
}

#[cfg(test)]
mod tests;
