//! A small general minimiser for likelihood fits (flare profiles here, spectra later), and
//! profile-likelihood intervals.
//!
//! # Minimiser
//! [`minimize`] is the Nelder–Mead simplex method (Nelder & Mead 1965, Comput. J. 7, 308) with
//! the dimension-adaptive coefficients of Gao & Han (2012, Comput. Optim. Appl. 51, 259):
//! reflection 1, expansion 1 + 2/n, contraction 0.75 − 1/(2n), shrink 1 − 1/n.
//!
//! Box bounds are handled as MINUIT does (James & Roos 1975, Comput. Phys. Commun. 10, 343):
//! the simplex moves in unbounded internal coordinates `u` mapped onto the box,
//!
//! * both bounds finite: `x = lo + (hi − lo)(1 + sin u)/2`;
//! * only `lo` finite: `x = lo + √(u² + s²) − s` (only `hi`: the mirror image), `s` the
//!   start's distance from the bound (1 if the start is on it);
//! * no bound: `x = u`;
//! * `lo == hi`: the parameter is fixed and takes no part in the simplex.
//!
//! so every trial point is inside the box and a minimum on a bound is reached smoothly.
//!
//! After the first descent the simplex is rebuilt `restarts` times — first around the best point
//! itself (the classic cure for a collapsed simplex), then around points displaced from it by up to
//! one initial step in each coordinate, drawn from a SplitMix64 generator seeded with
//! [`MinimizeOptions::seed`] — and the best result is kept. Everything is deterministic.
//!
//! A NaN from the objective is treated as +∞ (the point is rejected).
//!
//! # Profile-likelihood intervals
//! [`profile_interval`] finds where the profile `P(v) = min over the other parameters of f(x | xᵢ = v)`
//! crosses `f_min + Δ` on each side of the best fit (Δ = 1 for 1σ on one parameter when `f` is a
//! −2 ln L such as C-stat or χ²; Δ = 2.706 for 90 %): step out from the best fit doubling the
//! step until the profile exceeds the target, then regula falsi with the Illinois modification
//! (Dowell & Jarratt 1971, BIT 11, 168) on the bracket; every trial re-minimises the other
//! parameters (warm-started from the previous trial). When the profile stays below the target
//! up to a bound, the bound is reported with `*_is_limit = true`.

#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x > 0.0)` rejects NaN on purpose

use serde::Serialize;

/// Errors of the minimiser.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimizeError {
    /// `x0` and `bounds` have different lengths.
    #[error(
        "the start has {x0} parameters but {bounds} bounds were given (one (lo, hi) per parameter)"
    )]
    Dimension {
        /// Length of the start vector.
        x0: usize,
        /// Number of bounds.
        bounds: usize,
    },
    /// A bound pair is not an interval.
    #[error("parameter {index}: bounds ({lo}, {hi}) are not an interval (need lo ≤ hi, not NaN; use ±inf for none)")]
    Bounds {
        /// Parameter index.
        index: usize,
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// The start is outside its bounds or not finite.
    #[error(
        "parameter {index}: start {value} is not a finite number inside its bounds ({lo}, {hi})"
    )]
    Start {
        /// Parameter index.
        index: usize,
        /// The start value.
        value: f64,
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// A parameter index past the end.
    #[error("parameter index {index} is out of range: the problem has {n} parameters")]
    Index {
        /// The index asked for.
        index: usize,
        /// Number of parameters.
        n: usize,
    },
    /// Δ is not a positive number.
    #[error("delta = {0} must be finite and > 0 (1.0 for a 1σ interval on one parameter, 2.706 for 90 %)")]
    Delta(f64),
    /// A numerical option is out of its domain.
    #[error("{0}")]
    Options(String),
}

/// Options of [`minimize`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MinimizeOptions {
    /// Number of simplex rebuilds after the first descent (default 3).
    pub restarts: usize,
    /// Maximum number of objective evaluations of one descent (default 20 000).
    pub max_evals: usize,
    /// Convergence in internal coordinates: every vertex within `xtol·(1 + |u_best|)` of the best
    /// one (default 1e-8).
    pub xtol: f64,
    /// Convergence in value: every vertex within `ftol·(1 + |f_best|)` of the best (default 1e-10).
    pub ftol: f64,
    /// Seed of the restart perturbations (default 0).
    pub seed: u64,
    /// Initial simplex step: a fraction of π in the sine coordinate of a doubly bounded
    /// parameter, of the scale (|x₀|, or the start's distance to its bound) otherwise (default 0.1).
    pub step: f64,
}

impl Default for MinimizeOptions {
    fn default() -> Self {
        MinimizeOptions {
            restarts: 3,
            max_evals: 20_000,
            xtol: 1e-8,
            ftol: 1e-10,
            seed: 0,
            step: 0.1,
        }
    }
}

impl MinimizeOptions {
    fn check(&self) -> Result<(), OptimizeError> {
        let ok = |v: f64| v.is_finite() && v > 0.0;
        if !ok(self.xtol) || !ok(self.ftol) || !ok(self.step) || self.max_evals == 0 {
            return Err(OptimizeError::Options(format!(
                "xtol = {}, ftol = {}, step = {} must be finite and > 0, max_evals = {} ≥ 1",
                self.xtol, self.ftol, self.step, self.max_evals
            )));
        }
        Ok(())
    }
}

/// The result of [`minimize`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Minimum {
    /// The best point found (inside the bounds).
    pub x: Vec<f64>,
    /// The objective there.
    pub f: f64,
    /// Objective evaluations spent (all descents).
    pub n_evals: usize,
    /// Whether the descent that found `x` met the tolerances before `max_evals`.
    pub converged: bool,
}

/// One parameter's map between internal (unbounded) and external (bounded) coordinates.
#[derive(Debug, Clone, Copy)]
enum Map {
    Fixed(f64),
    Free,
    Both { lo: f64, hi: f64 },
    Lower { lo: f64, s: f64 },
    Upper { hi: f64, s: f64 },
}

impl Map {
    fn new(lo: f64, hi: f64, x0: f64) -> Map {
        match (lo.is_finite(), hi.is_finite()) {
            _ if lo == hi => Map::Fixed(lo),
            (true, true) => Map::Both { lo, hi },
            (true, false) => Map::Lower {
                lo,
                s: if x0 > lo { x0 - lo } else { 1.0 },
            },
            (false, true) => Map::Upper {
                hi,
                s: if x0 < hi { hi - x0 } else { 1.0 },
            },
            (false, false) => Map::Free,
        }
    }

    fn to_x(self, u: f64) -> f64 {
        match self {
            Map::Fixed(v) => v,
            Map::Free => u,
            Map::Both { lo, hi } => (lo + (hi - lo) * 0.5 * (1.0 + u.sin())).clamp(lo, hi),
            Map::Lower { lo, s } => lo + (u.hypot(s) - s).max(0.0),
            Map::Upper { hi, s } => hi - (u.hypot(s) - s).max(0.0),
        }
    }

    fn to_u(self, x: f64) -> f64 {
        match self {
            Map::Fixed(_) => 0.0,
            Map::Free => x,
            Map::Both { lo, hi } => (2.0 * (x - lo) / (hi - lo) - 1.0).clamp(-1.0, 1.0).asin(),
            Map::Lower { lo, s } => ((x - lo + s).powi(2) - s * s).max(0.0).sqrt(),
            Map::Upper { hi, s } => ((hi - x + s).powi(2) - s * s).max(0.0).sqrt(),
        }
    }

    /// Initial simplex step in internal coordinates.
    fn step(self, u0: f64, rel: f64) -> f64 {
        match self {
            Map::Fixed(_) => 0.0,
            Map::Free => rel * if u0 != 0.0 { u0.abs() } else { 1.0 },
            Map::Both { .. } => rel * std::f64::consts::PI,
            Map::Lower { s, .. } | Map::Upper { s, .. } => rel * u0.abs().max(s),
        }
    }
}

/// The free parameters of a problem in internal coordinates.
struct Internal {
    maps: Vec<Map>,
    free: Vec<usize>,
}

impl Internal {
    fn new(x0: &[f64], bounds: &[(f64, f64)]) -> Result<Internal, OptimizeError> {
        if x0.len() != bounds.len() {
            return Err(OptimizeError::Dimension {
                x0: x0.len(),
                bounds: bounds.len(),
            });
        }
        let mut maps = Vec::with_capacity(x0.len());
        for (index, (&x, &(lo, hi))) in x0.iter().zip(bounds).enumerate() {
            if lo.is_nan()
                || hi.is_nan()
                || lo > hi
                || lo == f64::INFINITY
                || hi == f64::NEG_INFINITY
            {
                return Err(OptimizeError::Bounds { index, lo, hi });
            }
            if !x.is_finite() || x < lo || x > hi {
                return Err(OptimizeError::Start {
                    index,
                    value: x,
                    lo,
                    hi,
                });
            }
            maps.push(Map::new(lo, hi, x));
        }
        let free = (0..maps.len())
            .filter(|&i| !matches!(maps[i], Map::Fixed(_)))
            .collect();
        Ok(Internal { maps, free })
    }

    fn to_x(&self, u: &[f64], x: &mut [f64]) {
        for (i, m) in self.maps.iter().enumerate() {
            if let Map::Fixed(v) = m {
                x[i] = *v;
            }
        }
        for (j, &i) in self.free.iter().enumerate() {
            x[i] = self.maps[i].to_x(u[j]);
        }
    }

    fn to_u(&self, x: &[f64]) -> Vec<f64> {
        self.free.iter().map(|&i| self.maps[i].to_u(x[i])).collect()
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny deterministic generator for restart offsets.
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One Nelder–Mead descent's outcome in internal coordinates.
struct Descent {
    u: Vec<f64>,
    f: f64,
    evals: usize,
    converged: bool,
}

/// Tolerances and budget of one descent.
#[derive(Clone, Copy)]
struct Stop {
    max_evals: usize,
    xtol: f64,
    ftol: f64,
}

fn simplex_converged(simplex: &[Vec<f64>], fv: &[f64], best: usize, stop: Stop) -> bool {
    let fb = fv[best];
    let fspread = fv.iter().map(|f| (f - fb).abs()).fold(0.0, f64::max);
    if !(fspread <= stop.ftol * (1.0 + fb.abs())) {
        return false;
    }
    let ub = &simplex[best];
    let scale = 1.0 + ub.iter().map(|v| v.abs()).fold(0.0, f64::max);
    simplex.iter().all(|p| {
        p.iter()
            .zip(ub)
            .all(|(a, b)| (a - b).abs() <= stop.xtol * scale)
    })
}

/// Nelder–Mead from `u0` with initial steps `steps` (internal coordinates).
fn nelder_mead(g: &mut dyn FnMut(&[f64]) -> f64, u0: &[f64], steps: &[f64], stop: Stop) -> Descent {
    let n = u0.len();
    let mut eval = |u: &[f64], count: &mut usize| {
        *count += 1;
        let v = g(u);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    let mut evals = 0;
    let mut simplex = initial_simplex(u0, steps);
    let mut fv: Vec<f64> = simplex.iter().map(|p| eval(p, &mut evals)).collect();
    if n == 0 {
        return Descent {
            u: vec![],
            f: fv[0],
            evals,
            converged: true,
        };
    }
    let nf = n as f64;
    let (alpha, beta, gamma, delta) = (1.0, 1.0 + 2.0 / nf, 0.75 - 0.5 / nf, 1.0 - 1.0 / nf);
    let mut order: Vec<usize> = (0..=n).collect();
    let mut centroid = vec![0.0; n];
    let trial = |c: &[f64], from: &[f64], t: f64, out: &mut Vec<f64>| {
        out.clear();
        out.extend(c.iter().zip(from).map(|(ci, fi)| ci + t * (fi - ci)));
    };
    let (mut xr, mut xe, mut xc) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        order.sort_by(|&a, &b| fv[a].total_cmp(&fv[b]));
        let (best, worst, second) = (order[0], order[n], order[n - 1]);
        let converged = simplex_converged(&simplex, &fv, best, stop);
        if converged || evals >= stop.max_evals {
            return Descent {
                u: simplex[best].clone(),
                f: fv[best],
                evals,
                converged,
            };
        }
        centroid.iter_mut().for_each(|c| *c = 0.0);
        for &i in &order[..n] {
            for (c, v) in centroid.iter_mut().zip(&simplex[i]) {
                *c += v / nf;
            }
        }
        trial(&centroid, &simplex[worst], -alpha, &mut xr);
        let fr = eval(&xr, &mut evals);
        if fr < fv[best] {
            trial(&centroid, &xr, beta, &mut xe);
            let fe = eval(&xe, &mut evals);
            if fe < fr {
                simplex[worst].clone_from(&xe);
                fv[worst] = fe;
            } else {
                simplex[worst].clone_from(&xr);
                fv[worst] = fr;
            }
            continue;
        }
        if fr < fv[second] {
            simplex[worst].clone_from(&xr);
            fv[worst] = fr;
            continue;
        }
        let (from, f_ref) = if fr < fv[worst] {
            (&xr, fr) // outside contraction
        } else {
            (&simplex[worst], fv[worst]) // inside contraction
        };
        trial(&centroid, from, gamma, &mut xc);
        let fc = eval(&xc, &mut evals);
        if fc < f_ref || (fc <= f_ref && fr < fv[worst]) {
            simplex[worst].clone_from(&xc);
            fv[worst] = fc;
            continue;
        }
        shrink(&mut simplex, &order, delta);
        for &i in &order[1..] {
            fv[i] = eval(&simplex[i], &mut evals);
        }
    }
}

/// The start simplex: `u0` and one vertex per coordinate moved by its step (1e-3 when 0).
fn initial_simplex(u0: &[f64], steps: &[f64]) -> Vec<Vec<f64>> {
    let mut simplex = vec![u0.to_vec()];
    for j in 0..u0.len() {
        let mut p = u0.to_vec();
        p[j] += if steps[j] != 0.0 { steps[j] } else { 1e-3 };
        simplex.push(p);
    }
    simplex
}

/// Shrink every vertex but the best (`order[0]`) towards it by `delta`.
fn shrink(simplex: &mut [Vec<f64>], order: &[usize], delta: f64) {
    let ub = simplex[order[0]].clone();
    for &i in &order[1..] {
        for (v, b) in simplex[i].iter_mut().zip(&ub) {
            *v = b + delta * (*v - b);
        }
    }
}

/// Minimise `f` from `x0` inside `bounds` (one `(lo, hi)` per parameter; ±∞ for none; `lo == hi`
/// fixes the parameter). See the module docs for the method.
pub fn minimize(
    f: impl Fn(&[f64]) -> f64,
    x0: &[f64],
    bounds: &[(f64, f64)],
    opts: &MinimizeOptions,
) -> Result<Minimum, OptimizeError> {
    opts.check()?;
    let int = Internal::new(x0, bounds)?;
    let mut x = x0.to_vec();
    let mut g = |u: &[f64]| {
        int.to_x(u, &mut x);
        f(&x)
    };
    let u0 = int.to_u(x0);
    let steps: Vec<f64> = int
        .free
        .iter()
        .zip(&u0)
        .map(|(&i, &u)| int.maps[i].step(u, opts.step))
        .collect();
    let stop = Stop {
        max_evals: opts.max_evals,
        xtol: opts.xtol,
        ftol: opts.ftol,
    };
    let mut best = nelder_mead(&mut g, &u0, &steps, stop);
    let mut total = best.evals;
    let mut rng = SplitMix(opts.seed);
    for r in 0..opts.restarts {
        let start: Vec<f64> = best
            .u
            .iter()
            .zip(&steps)
            .map(|(u, s)| {
                if r == 0 {
                    *u
                } else {
                    u + s * (2.0 * rng.next_f64() - 1.0)
                }
            })
            .collect();
        let d = nelder_mead(&mut g, &start, &steps, stop);
        total += d.evals;
        if d.f < best.f || (d.f == best.f && d.converged && !best.converged) {
            best = d;
        }
    }
    let mut xb = x0.to_vec();
    int.to_x(&best.u, &mut xb);
    Ok(Minimum {
        x: xb,
        f: best.f,
        n_evals: total,
        converged: best.converged,
    })
}

/// A profile-likelihood interval of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileInterval {
    /// Lower end: where the profile crosses `f_min + Δ`, or the lower bound.
    pub lower: f64,
    /// Upper end: where the profile crosses `f_min + Δ`, or the upper bound.
    pub upper: f64,
    /// The profile stays below `f_min + Δ` down to the lower bound: `lower` is that bound and
    /// the interval is a one-sided limit on that side.
    pub lower_is_limit: bool,
    /// Same on the upper side.
    pub upper_is_limit: bool,
    /// Objective evaluations spent.
    pub n_evals: usize,
    /// A point better than the given minimum met on the way (by more than 1e-6·(1 + |f|)): the
    /// fit had not converged to the global minimum; refit from here and recompute the interval.
    pub better_minimum: Option<Minimum>,
}

/// Profile of `f` in parameter `index` at fixed values, warm-started.
struct Profiler<'a, F: Fn(&[f64]) -> f64> {
    f: &'a F,
    /// A caller's minimiser of `f` from a full point within bounds (the profiled parameter's
    /// bounds pinned to its value); None: Nelder–Mead over the others ([`minimize`]).
    inner: Option<&'a InnerMinimizer<'a>>,
    /// All bounds (for `inner`).
    bounds: Vec<(f64, f64)>,
    index: usize,
    others_bounds: Vec<(f64, f64)>,
    warm: Vec<f64>,
    opts: MinimizeOptions,
    evals: usize,
    f_min: f64,
    better: Option<Minimum>,
}

impl<F: Fn(&[f64]) -> f64> Profiler<'_, F> {
    fn full(&self, v: f64, others: &[f64]) -> Vec<f64> {
        let mut x = others.to_vec();
        x.insert(self.index, v);
        x
    }

    fn at(&mut self, v: f64) -> f64 {
        let (p, x) = if self.warm.is_empty() {
            self.evals += 1;
            ((self.f)(&[v]), vec![v])
        } else {
            let idx = self.index;
            if let Some(inner) = self.inner {
                let mut b = self.bounds.clone();
                b[idx] = (v, v);
                let m = inner(&self.full(v, &self.warm), &b);
                self.evals += m.n_evals;
                let mut others = m.x.clone();
                others.remove(idx);
                self.warm = others;
                let p = if m.f.is_nan() { f64::INFINITY } else { m.f };
                return self.record(p, m.x);
            }
            let g = |y: &[f64]| {
                let mut x = y.to_vec();
                x.insert(idx, v);
                (self.f)(&x)
            };
            match minimize(g, &self.warm, &self.others_bounds, &self.opts) {
                Ok(m) => {
                    self.evals += m.n_evals;
                    self.warm.clone_from(&m.x);
                    (m.f, self.full(v, &m.x))
                }
                Err(_) => (f64::INFINITY, vec![]),
            }
        };
        let p = if p.is_nan() { f64::INFINITY } else { p };
        self.record(p, x)
    }

    /// Keep `x` as a better minimum if it beats the fit's by more than the tolerance.
    fn record(&mut self, p: f64, x: Vec<f64>) -> f64 {
        let better_f = self.better.as_ref().map_or(self.f_min, |b| b.f);
        if p < better_f - 1e-6 * (1.0 + self.f_min.abs()) && !x.is_empty() {
            self.better = Some(Minimum {
                x,
                f: p,
                n_evals: 0,
                converged: true,
            });
        }
        p
    }
}

/// One side of the interval: returns (end, is_limit).
fn profile_side<F: Fn(&[f64]) -> f64>(
    pr: &mut Profiler<F>,
    x_best: f64,
    h0: f64,
    bound: f64,
    target: f64,
    start_warm: &[f64],
) -> (f64, bool) {
    pr.warm = start_warm.to_vec();
    if x_best == bound {
        return (bound, true);
    }
    let dir = if bound > x_best { 1.0 } else { -1.0 };
    let (mut a, mut pa) = (x_best, pr.f_min);
    let mut h = h0;
    let (b, pb) = loop {
        let mut v = x_best + dir * h;
        if (v - bound) * dir >= 0.0 || !v.is_finite() {
            v = bound;
        }
        let p = pr.at(v);
        if p >= target {
            break (v, p);
        }
        if v == bound {
            return (bound, true);
        }
        a = v;
        pa = p;
        h *= 2.0;
    };
    (illinois(pr, (a, pa), (b, pb), target), false)
}

/// Regula falsi with the Illinois modification for `P(v) = target` on a bracket.
fn illinois<F: Fn(&[f64]) -> f64>(
    pr: &mut Profiler<F>,
    (mut a, mut pa): (f64, f64),
    (mut b, mut pb): (f64, f64),
    target: f64,
) -> f64 {
    let tol = 1e-4 * (target - pr.f_min).abs().max(1e-12);
    let mut side = 0i8;
    for _ in 0..60 {
        let (fa, fb) = (pa - target, pb - target);
        let mut v = if fb.is_finite() && fa.is_finite() && fb != fa {
            b - fb * (b - a) / (fb - fa)
        } else {
            0.5 * (a + b)
        };
        let (lo, hi) = (a.min(b), a.max(b));
        if !(v > lo && v < hi) {
            v = 0.5 * (a + b);
        }
        let p = pr.at(v);
        if (p - target).abs() <= tol || (hi - lo) <= 1e-12 * (1.0 + v.abs()) {
            return v;
        }
        if p < target {
            a = v;
            pa = p;
            if side == -1 {
                pb = target + 0.5 * (pb - target);
            }
            side = -1;
        } else {
            b = v;
            pb = p;
            if side == 1 {
                pa = target + 0.5 * (pa - target);
            }
            side = 1;
        }
    }
    if (pa - target).abs() < (pb - target).abs() {
        a
    } else {
        b
    }
}

/// Initial step for the profile search: the half-width `√(2Δ/f'')` of the conditional parabola
/// (other parameters fixed), which is never wider than the profile.
fn conditional_step(
    f: &impl Fn(&[f64]) -> f64,
    best: &Minimum,
    index: usize,
    delta: f64,
    lo: f64,
    hi: f64,
) -> f64 {
    let xi = best.x[index];
    let mut e = 1e-4 * xi.abs().max(1e-8);
    if lo.is_finite() && hi.is_finite() {
        e = e.max(1e-6 * (hi - lo)).min(0.25 * (hi - lo));
    }
    let eval = |v: f64| {
        let mut x = best.x.clone();
        x[index] = v.clamp(lo, hi);
        f(&x)
    };
    let (fp, fm) = (eval(xi + e), eval(xi - e));
    let (dp, dm) = ((xi + e).min(hi) - xi, xi - (xi - e).max(lo));
    let curv = if dp > 0.0 && dm > 0.0 {
        2.0 * (dp * (fm - best.f) + dm * (fp - best.f)) / (dp * dm * (dp + dm))
    } else {
        f64::NAN
    };
    if curv.is_finite() && curv > 0.0 {
        (2.0 * delta / curv).sqrt().max(e)
    } else {
        10.0 * e
    }
}

/// A minimiser given to [`profile_interval_with`]: from a full start point within `bounds` (the
/// profiled parameter's bounds equal: it is fixed), the minimum found.
pub type InnerMinimizer<'a> = dyn Fn(&[f64], &[(f64, f64)]) -> Minimum + 'a;

/// Profile-likelihood interval of parameter `index`: the set where
/// `min over the others of f ≤ best.f + delta`. `best` must be (close to) the minimum of `f` in
/// `bounds`; `opts` drive the re-minimisations (fewer restarts than the fit are usually enough).
pub fn profile_interval(
    f: impl Fn(&[f64]) -> f64,
    best: &Minimum,
    index: usize,
    delta: f64,
    bounds: &[(f64, f64)],
    opts: &MinimizeOptions,
) -> Result<ProfileInterval, OptimizeError> {
    profile_interval_impl(&f, None, best, index, delta, bounds, opts)
}

/// [`profile_interval`] with the caller's re-minimisation of the other parameters (e.g. a
/// least-squares descent where the objective is a sum of squares); `f` is still used for the
/// initial step.
pub fn profile_interval_with(
    f: impl Fn(&[f64]) -> f64,
    inner: &InnerMinimizer,
    best: &Minimum,
    index: usize,
    delta: f64,
    bounds: &[(f64, f64)],
) -> Result<ProfileInterval, OptimizeError> {
    profile_interval_impl(
        &f,
        Some(inner),
        best,
        index,
        delta,
        bounds,
        &MinimizeOptions::default(),
    )
}

fn profile_interval_impl<F: Fn(&[f64]) -> f64>(
    f: &F,
    inner: Option<&InnerMinimizer>,
    best: &Minimum,
    index: usize,
    delta: f64,
    bounds: &[(f64, f64)],
    opts: &MinimizeOptions,
) -> Result<ProfileInterval, OptimizeError> {
    opts.check()?;
    let n = best.x.len();
    Internal::new(&best.x, bounds)?;
    if index >= n {
        return Err(OptimizeError::Index { index, n });
    }
    if !(delta.is_finite() && delta > 0.0) {
        return Err(OptimizeError::Delta(delta));
    }
    let (lo, hi) = bounds[index];
    let h0 = conditional_step(f, best, index, delta, lo, hi);
    let mut others: Vec<f64> = best.x.clone();
    others.remove(index);
    let mut others_bounds = bounds.to_vec();
    others_bounds.remove(index);
    let mut pr = Profiler {
        f,
        inner,
        bounds: bounds.to_vec(),
        index,
        others_bounds,
        warm: vec![],
        opts: opts.clone(),
        evals: 0,
        f_min: best.f,
        better: None,
    };
    let target = best.f + delta;
    let xi = best.x[index];
    let (upper, upper_is_limit) = profile_side(&mut pr, xi, h0, hi, target, &others);
    let (lower, lower_is_limit) = profile_side(&mut pr, xi, h0, lo, target, &others);
    Ok(ProfileInterval {
        lower,
        upper,
        lower_is_limit,
        upper_is_limit,
        n_evals: pr.evals,
        better_minimum: pr.better,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FREE: (f64, f64) = (f64::NEG_INFINITY, f64::INFINITY);

    #[test]
    fn maps_round_trip_and_stay_inside() {
        for &(lo, hi, x) in &[
            (0.0, 1.0, 0.3),
            (0.0, f64::INFINITY, 2.5),
            (f64::NEG_INFINITY, 3.0, -1.0),
            (f64::NEG_INFINITY, f64::INFINITY, 7.0),
        ] {
            let m = Map::new(lo, hi, x);
            assert!((m.to_x(m.to_u(x)) - x).abs() < 1e-12, "{lo} {hi} {x}");
            for u in [-50.0, -3.0, 0.0, 1.0, 40.0] {
                let v = m.to_x(u);
                assert!(v >= lo && v <= hi);
            }
        }
    }

    fn rosenbrock(x: &[f64]) -> f64 {
        x.windows(2)
            .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
            .sum()
    }

    #[test]
    fn rosenbrock_minimum_is_found_in_2_and_4_dimensions() {
        let m = minimize(
            rosenbrock,
            &[-1.2, 1.0],
            &[FREE; 2],
            &MinimizeOptions::default(),
        )
        .unwrap();
        assert!(m.converged && m.f < 1e-10, "{m:?}");
        assert!(m.x.iter().all(|v| (v - 1.0).abs() < 1e-5), "{:?}", m.x);
        let opts = MinimizeOptions {
            max_evals: 50_000,
            restarts: 6,
            ..Default::default()
        };
        let m = minimize(
            rosenbrock,
            &[-1.0, 1.5, 0.5, -0.5],
            &[(-5.0, 5.0); 4],
            &opts,
        )
        .unwrap();
        assert!(m.f < 1e-8, "{m:?}");
        assert!(m.x.iter().all(|v| (v - 1.0).abs() < 1e-3), "{:?}", m.x);
    }

    /// −2 ln L of a correlated 2-D Gaussian: σx = 2, σy = 0.5, ρ = 0.8, centre (1, −3).
    fn gaussian(x: &[f64]) -> f64 {
        let (sx, sy, rho) = (2.0, 0.5, 0.8);
        let (dx, dy) = ((x[0] - 1.0) / sx, (x[1] + 3.0) / sy);
        (dx * dx - 2.0 * rho * dx * dy + dy * dy) / (1.0 - rho * rho)
    }

    #[test]
    fn profile_interval_of_a_correlated_gaussian_is_sqrt_delta_sigma() {
        let opts = MinimizeOptions::default();
        let best = minimize(gaussian, &[0.0, 0.0], &[FREE; 2], &opts).unwrap();
        assert!((best.x[0] - 1.0).abs() < 1e-6 && (best.x[1] + 3.0).abs() < 1e-6);
        for (delta, sigmas) in [(1.0, 1.0), (2.706, 2.706f64.sqrt()), (9.0, 3.0)] {
            let iv = profile_interval(gaussian, &best, 0, delta, &[FREE; 2], &opts).unwrap();
            // the marginal σx = 2, not the conditional 2·√(1 − ρ²) = 1.2
            assert!(
                (iv.upper - (1.0 + 2.0 * sigmas)).abs() < 2e-3,
                "{delta}: {iv:?}"
            );
            assert!(
                (iv.lower - (1.0 - 2.0 * sigmas)).abs() < 2e-3,
                "{delta}: {iv:?}"
            );
            assert!(!iv.lower_is_limit && !iv.upper_is_limit && iv.better_minimum.is_none());
            let iy = profile_interval(gaussian, &best, 1, delta, &[FREE; 2], &opts).unwrap();
            assert!((iy.upper + 3.0 - 0.5 * sigmas).abs() < 1e-3, "{iy:?}");
        }
    }

    #[test]
    fn a_minimum_on_a_bound_gives_a_one_sided_limit() {
        let f = |x: &[f64]| (x[0] + 1.0).powi(2) + (x[1] - 3.0).powi(2);
        let bounds = [(0.0, 5.0), FREE];
        let opts = MinimizeOptions::default();
        let best = minimize(f, &[2.0, 0.0], &bounds, &opts).unwrap();
        assert!(
            best.x[0].abs() < 1e-6 && (best.x[1] - 3.0).abs() < 1e-5 && (best.f - 1.0).abs() < 1e-9,
            "{best:?}"
        );
        let iv = profile_interval(f, &best, 0, 1.0, &bounds, &opts).unwrap();
        assert!(iv.lower_is_limit && iv.lower == 0.0 && !iv.upper_is_limit);
        // (x + 1)² = 2 → x = √2 − 1
        assert!((iv.upper - (2f64.sqrt() - 1.0)).abs() < 1e-4, "{iv:?}");
        // a parameter whose profile never reaches Δ inside its bounds: limits on both sides
        let flat = |x: &[f64]| 0.01 * x[0] * x[0] + (x[1] - 1.0).powi(2);
        let b2 = [(-1.0, 1.0), FREE];
        let m = minimize(flat, &[0.5, 0.0], &b2, &opts).unwrap();
        let iv = profile_interval(flat, &m, 0, 1.0, &b2, &opts).unwrap();
        assert!(iv.lower_is_limit && iv.upper_is_limit && iv.lower == -1.0 && iv.upper == 1.0);
    }

    #[test]
    fn fixed_parameters_and_determinism() {
        let f = |x: &[f64]| (x[0] - 2.0).powi(2) + (x[1] - x[0]).powi(2) + (x[2] + 1.0).powi(2);
        let bounds = [FREE, (0.5, 0.5), FREE];
        let opts = MinimizeOptions {
            seed: 7,
            ..Default::default()
        };
        let a = minimize(f, &[0.0, 0.5, 0.0], &bounds, &opts).unwrap();
        assert_eq!(a.x[1], 0.5);
        // with x1 = 0.5 fixed: minimise (x0 − 2)² + (0.5 − x0)² → x0 = 1.25
        assert!(
            (a.x[0] - 1.25).abs() < 1e-6 && (a.x[2] + 1.0).abs() < 1e-6,
            "{a:?}"
        );
        let b = minimize(f, &[0.0, 0.5, 0.0], &bounds, &opts).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let f = |x: &[f64]| x[0] * x[0];
        let o = MinimizeOptions::default();
        assert!(matches!(
            minimize(f, &[1.0], &[FREE, FREE], &o),
            Err(OptimizeError::Dimension { .. })
        ));
        assert!(matches!(
            minimize(f, &[3.0], &[(0.0, 1.0)], &o),
            Err(OptimizeError::Start { .. })
        ));
        assert!(matches!(
            minimize(f, &[0.5], &[(1.0, 0.0)], &o),
            Err(OptimizeError::Bounds { .. })
        ));
        let m = minimize(f, &[0.5], &[FREE], &o).unwrap();
        assert!(matches!(
            profile_interval(f, &m, 1, 1.0, &[FREE], &o),
            Err(OptimizeError::Index { .. })
        ));
        assert!(matches!(
            profile_interval(f, &m, 0, -1.0, &[FREE], &o),
            Err(OptimizeError::Delta(_))
        ));
    }
}
