//! Bayesian blocks: the optimal piecewise-constant segmentation of event times, binned counts or
//! point measurements (Scargle, Norris, Jackson & Chiang 2013, ApJ 764, 167), computed exactly
//! as astropy's `bayesian_blocks` does, but in near-linear time.
//!
//! # What is computed (astropy-compatible)
//! The data are *cells*: the sorted unique event times (a time repeated `w` times is one cell of
//! weight `w`), bin centres with their counts, or measurement times. Cell edges are the midpoints
//! between consecutive times, the first and last edges the first and last time (so the first and
//! last cells are half cells). A block is a run of cells `k..=R`; its fitness is
//!
//! * `events` (Scargle eq. 19, astropy `Events`): `N ln(N/T)`, `N` the events (or counts) in the
//!   block, `T` its length (`0` when `N = 0`);
//! * `measures` (eq. 41, astropy `PointMeasures`): `b²/4a`, `a = ½Σ1/σ²`, `b = −Σx/σ²`.
//!
//! The prior per block is `ncp_prior = 4 − ln(73.53 p0 N^−0.478)` (eq. 21 as corrected in
//! arXiv:1304.2818, astropy's `p0_prior`; `N` the number of cells), or `−ln γ`, or given.
//! The dynamic programme of the paper (§3) maximises the total fitness minus `ncp_prior` per block;
//! ties go to the earliest start, as `numpy.argmax`.
//!
//! Correspondence with astropy:
//! * [`bayesian_blocks_events`] = `bayesian_blocks(t, fitness='events', p0=p0)`;
//! * [`bayesian_blocks_binned`] = `bayesian_blocks(t_centres, counts, fitness='events', p0=p0)`:
//!   the bins are the cells, with astropy's midpoint edges (the first and last bins count half a
//!   bin); [`bayesian_blocks_bins`] takes the true bin edges (and live exposures) instead, which
//!   astropy cannot;
//! * [`bayesian_blocks_measures`] = `bayesian_blocks(t, x, sigma, fitness='measures', p0=p0)`.
//!
//! One deliberate difference: when *every* cell is its own block astropy's back-tracking array
//! (N slots for N + 1 edges) loses the second edge (e.g. `[0, 1000, 0]` counts give astropy
//! `[0, 1.5, 2]` for blocks `[0, 0.5, 1.5, 2]`); we return all edges. For a single cell we return
//! `[t, t]` where astropy returns `[t]`.
//!
//! # Exposure (optional, not in astropy)
//! With [`BlocksOptions::gti`] the events' block length `T` is the good time inside the block
//! (so a gap does not look like a dip), the first and last edges are the start and stop of the
//! GTI span, and every event must lie in a GTI. The default (no GTI) is astropy's.
//!
//! # Exact pruning
//! The plain programme costs O(N²): `best[R] = max_k A_R(k)`, `A_R(k) = F(k) + f(k..R) − ncp`,
//! `F(0) = 0`, `F(k) = best[k−1]`.
//!
//! *PELT* (Killick, Fearnhead & Eckley 2012, JASA 107, 1590) drops a start `k` at step `s` once
//! `F(k) + f(k..s) < F(s+1)`. That is exact because both fitnesses are superadditive — splitting
//! a block never lowers the summed fitness: `N₁ln(N₁/T₁) + N₂ln(N₂/T₂) ≥ (N₁+N₂)ln((N₁+N₂)/(T₁+T₂))`
//! (log-sum inequality) and `b₁²/a₁ + b₂²/a₂ ≥ (b₁+b₂)²/(a₁+a₂)` (Cauchy–Schwarz) — so for every
//! `R > s`, `A_R(k) ≤ F(k) + f(k..s) + f(s+1..R) − ncp < A_R(s+1)`. But inside a stretch of constant
//! rate the test never fires (there the split gain is ≥ 0 by the same inequality): PELT stays
//! quadratic when change points are few, which is the X-ray case (10⁶ events, tens of blocks).
//!
//! We therefore prune *functionally* (FPOP, Maidstone, Hocking, Rigaill & Fearnhead 2017, Stat.
//! Comput. 27, 519), which is just as exact and also prunes inside constant stretches. Both
//! fitnesses are maxima over the block's level θ (rate or mean) of a function additive over cells:
//! `f(k..R) = max_θ g_{k..R}(θ)` with `g = N ln θ − θT + N` (events) or `−aθ² − bθ` (measures),
//! both concave in θ. For `R > s`,
//! `A_R(k) + ncp = max_θ [Q_k(θ) + g_{s+1..R}(θ)]`, `Q_k(θ) = F(k) + g_{k..s}(θ)`, and the second
//! term is the same for all starts `k ≤ s + 1` (the new start has `Q_{s+1} = F(s+1)`, constant).
//! So if at every θ some other start beats `Q_k(θ)`, `k` loses at its own maximiser for every later
//! `R` and can never be the argmax again (strict: astropy's first-index tie rule is kept).
//!
//! For each live start we keep a set `S_k` (a union of θ intervals) holding every θ where `Q_k`
//! is within τ of `max_j Q_j`. When start `s+1` arrives with `L = best[s]`, each `S_k` is cut to
//! `{g_{k..s} ≥ L − F(k) − τ}` (an interval: `g` is concave; closed forms — roots of
//! `x − ln x = 1 + d` by Newton, or of a quadratic) and `S_{s+1}` is the union over all pieces of
//! `{g_{k..s} ≤ L − F(k) + τ}`; adding data adds the same function to every `Q` and preserves
//! the invariant. A start whose set is empty is beaten by more than τ everywhere and is dropped;
//! a start whose maximiser lies outside its set is beaten by more than τ now and is skipped when
//! computing `best[s]`. τ = 10⁻¹⁰ × a bound on |fitness sums| is ~10⁶ times larger than double
//! rounding, so rounding cannot make us drop a start that the plain programme (or astropy) would
//! pick. In a constant stretch of length m about O(log m) starts survive, so the cost is close to
//! linear: see `benches/blocks.rs`.

#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x > 0.0)` rejects NaN on purpose

use serde::Serialize;

use crate::gti::Gti;

/// Errors of the Bayesian-blocks functions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BlocksError {
    /// No data.
    #[error("no {0} given: Bayesian blocks need at least one")]
    Empty(&'static str),
    /// A value is NaN or infinite.
    #[error("{what}[{index}] = {value} is not a finite number")]
    NotFinite {
        /// Which input.
        what: &'static str,
        /// Index in it.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Inputs of different lengths.
    #[error("{what} has {got} values but {expected} were expected ({why})")]
    Length {
        /// Which input.
        what: &'static str,
        /// Its length.
        got: usize,
        /// The expected length.
        expected: usize,
        /// Why.
        why: &'static str,
    },
    /// A repeated time where each cell needs its own.
    #[error("time {0} is repeated: with counts or values given, each bin or measurement needs its own time (as in astropy)")]
    RepeatedTime(f64),
    /// An error bar that is not > 0.
    #[error("sigma[{index}] = {value}: measurement errors must be finite and > 0")]
    Sigma {
        /// Index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A prior parameter out of range.
    #[error("{0}")]
    Prior(String),
    /// A cell has zero length.
    #[error("cell {index} (at t = {time}) has zero length: {why}")]
    ZeroLength {
        /// Cell index.
        index: usize,
        /// Its time.
        time: f64,
        /// Why.
        why: &'static str,
    },
    /// An event outside the good time.
    #[error("event at t = {0} is outside the good time intervals given")]
    OutsideGti(f64),
    /// Bin edges not increasing.
    #[error("bin edges must increase strictly: edge {index} = {value} follows {previous}")]
    Edges {
        /// Index of the offending edge.
        index: usize,
        /// Its value.
        value: f64,
        /// The previous edge.
        previous: f64,
    },
}

/// The prior on the number of blocks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Prior {
    /// False-alarm probability p0 of one change point (eq. 21): `ncp_prior = 4 − ln(73.53 p0 N^−0.478)`.
    P0(f64),
    /// `ncp_prior = −ln γ`.
    Gamma(f64),
    /// The penalty per block itself.
    NcpPrior(f64),
}

impl Default for Prior {
    /// `P0(0.05)`, astropy's default.
    fn default() -> Self {
        Prior::P0(0.05)
    }
}

impl Prior {
    /// The penalty per block for `n_cells` cells.
    pub fn ncp_prior(self, n_cells: usize) -> Result<f64, BlocksError> {
        match self {
            Prior::P0(p0) if p0 > 0.0 && p0 < 1.0 => Ok(ncp_prior_p0(n_cells, p0)),
            Prior::P0(p0) => Err(BlocksError::Prior(format!(
                "p0 = {p0} must be a probability strictly between 0 and 1 (default 0.05)"
            ))),
            Prior::Gamma(g) if g > 0.0 && g.is_finite() => Ok(-g.ln()),
            Prior::Gamma(g) => Err(BlocksError::Prior(format!(
                "gamma = {g} must be finite and > 0"
            ))),
            Prior::NcpPrior(v) if v.is_finite() => Ok(v),
            Prior::NcpPrior(v) => Err(BlocksError::Prior(format!(
                "ncp_prior = {v} must be finite"
            ))),
        }
    }
}

/// `4 − ln(73.53 p0 N^−0.478)`: Scargle et al. (2013) eq. 21, corrected (astropy's `p0_prior`).
pub fn ncp_prior_p0(n_cells: usize, p0: f64) -> f64 {
    4.0 - (73.53 * p0 * (n_cells as f64).powf(-0.478)).ln()
}

/// Options of the `*_with` functions.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct BlocksOptions {
    /// Prior on the number of blocks (default `P0(0.05)`).
    pub prior: Prior,
    /// Use the plain O(N²) programme instead of the exact pruned one (default false; the two
    /// give identical edges — this exists for testing).
    pub no_pruning: bool,
    /// Events only: measure block lengths in good time (default None: astropy's wall time).
    pub gti: Option<Gti>,
}

/// The optimal blocks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blocks {
    /// Block edges (n_blocks + 1), in the time unit of the input.
    pub edges: Vec<f64>,
    /// Index of the first cell of each block.
    pub first_cell: Vec<usize>,
    /// Events or counts in each block (measures: number of points).
    pub counts: Vec<f64>,
    /// Length of each block as the fitness used it: wall time between its edges, or good time
    /// with a GTI, or summed exposure for [`bayesian_blocks_bins`].
    pub length: Vec<f64>,
    /// Events / binned: rate `counts / length`; measures: the weighted mean `Σ(x/σ²)/Σ(1/σ²)`.
    pub value: Vec<f64>,
    /// The penalty per block used.
    pub ncp_prior: f64,
    /// Number of cells (unique times, bins, measurements).
    pub n_cells: usize,
    /// Largest number of candidate block starts alive at one step (n_cells without pruning).
    pub max_candidates: usize,
}

// ---------------------------------------------------------------------------------------------
// Fitness functions
// ---------------------------------------------------------------------------------------------

/// A block fitness that is the maximum over a level θ of a concave function additive over cells.
trait Fitness {
    type Block: Copy;
    fn n_cells(&self) -> usize;
    fn block(&self, k: usize, r: usize) -> Self::Block {
        self.block_from(self.start(k), r)
    }
    /// The prefix sums at cell k (kept with a live start: no random access to them later).
    fn start(&self, k: usize) -> (f64, f64);
    /// The block from a start's prefix sums to cell r, as [`Fitness::block`].
    fn block_from(&self, start: (f64, f64), r: usize) -> Self::Block;
    /// The fitness `max_θ g(θ)`, in astropy's arithmetic.
    fn fit(&self, b: Self::Block) -> f64;
    /// The maximising level.
    fn theta_star(&self, b: Self::Block) -> f64;
    /// `g(θ)`; `aux` is [`Fitness::aux`] of θ (ln θ for events), cached with interval ends.
    fn g(&self, b: Self::Block, theta: f64, aux: f64) -> f64;
    fn aux(&self, theta: f64) -> f64;
    /// `g'(θ)`.
    fn slope(&self, b: Self::Block, theta: f64) -> f64;
    /// `aux(θ)` from `aux(θ_ref)` for θ within a small relative distance of `θ_ref`.
    fn aux_near(&self, theta: f64, theta_ref: f64, aux_ref: f64) -> f64;
    /// The solution of `g(θ) = y < max g` left (or right) of the maximum, with its aux and
    /// `g'(θ)`, to a residual of `eps` in g; None when there is none on that side.
    fn root(&self, b: Self::Block, f: f64, y: f64, left: bool, eps: f64) -> Option<Root>;
    fn domain(&self) -> (f64, f64);
    /// A bound on the magnitude of any sum of fitness values and penalties.
    fn scale(&self, ncp: f64) -> f64;
    /// (counts, length, value) of the block of cells `k..end`.
    fn summary(&self, k: usize, end: usize) -> (f64, f64, f64);
}

/// A closed θ interval with the aux values of its ends.
#[derive(Debug, Clone, Copy)]
struct Interval {
    lo: f64,
    hi: f64,
    alo: f64,
    ahi: f64,
}

/// A level crossing of g: θ, aux(θ), g'(θ).
#[derive(Debug, Clone, Copy)]
struct Root {
    theta: f64,
    aux: f64,
    slope: f64,
}

/// Events or counts in cells: prefix counts and astropy's `block_length = t_last − edges`.
struct Events {
    cum_n: Vec<f64>,
    block_length: Vec<f64>,
    theta_lo: f64,
    theta_max: f64,
    min_width: f64,
}

impl Events {
    fn new(weights: &[f64], block_length: Vec<f64>) -> Result<Events, (usize, &'static str)> {
        let mut cum_n = Vec::with_capacity(weights.len() + 1);
        let mut acc = 0.0;
        cum_n.push(0.0);
        for &w in weights {
            acc += w;
            cum_n.push(acc);
        }
        let mut min_width = f64::INFINITY;
        let (mut rate_lo, mut rate_hi) = (f64::INFINITY, 0.0f64);
        for i in 0..weights.len() {
            let w = block_length[i] - block_length[i + 1];
            if !(w > 0.0) {
                return Err((i, "its edges coincide"));
            }
            min_width = min_width.min(w);
            rate_lo = rate_lo.min(weights[i] / w);
            rate_hi = rate_hi.max(weights[i] / w);
        }
        // every block rate N/T is a mediant of cell rates, so lies between the extreme ones;
        // padded for the rounding of N/T computed from prefix sums (any superset is valid)
        Ok(Events {
            cum_n,
            block_length,
            theta_lo: if rate_lo > 0.0 { 0.5 * rate_lo } else { 0.0 },
            theta_max: 2.0 * rate_hi.max(f64::MIN_POSITIVE),
            min_width,
        })
    }
}

/// The root `x ≥ 1` of `h(x) = x − ln x − 1 − d` (d ≥ 0) and its ln, to `|h| ≤ eps`: series at
/// the branch point or the asymptotic form as a start, then Halley steps.
fn upper_unit_root(d: f64, eps: f64) -> (f64, f64) {
    let mut x = if d < 0.5 {
        let p = (2.0 * d).sqrt();
        1.0 + p * (1.0 + p * (1.0 / 3.0 + p * (1.0 / 36.0 - p / 270.0)))
    } else {
        let l = 1.0 + d;
        l + (l + l.ln()).ln()
    };
    for _ in 0..30 {
        let lx = x.ln();
        let h = x - lx - 1.0 - d;
        if h.abs() <= eps {
            return (x, lx);
        }
        // Halley: h' = 1 − 1/x, h'' = 1/x², multiplied through by x² (one division)
        let xm = x - 1.0;
        let next = x - 2.0 * h * x * xm / (2.0 * xm * xm - h);
        x = if next > 1.0 { next } else { 0.5 * (1.0 + x) };
    }
    (x, x.ln())
}

/// The root `x ≤ 1` of `x − ln x = 1 + d` and its ln, to a residual `eps` (Halley in x near
/// the branch point, in v = −ln x beyond).
fn lower_unit_root(d: f64, eps: f64) -> (f64, f64) {
    if d < 0.5 {
        let p = (2.0 * d).sqrt();
        let mut x = 1.0 - p * (1.0 - p * (1.0 / 3.0 - p * (1.0 / 36.0 + p / 270.0)));
        for _ in 0..30 {
            let lx = x.ln();
            let h = x - lx - 1.0 - d;
            if h.abs() <= eps {
                return (x, lx);
            }
            let xm = x - 1.0;
            let next = x - 2.0 * h * x * xm / (2.0 * xm * xm - h);
            x = if next > 0.0 && next < 1.0 {
                next
            } else {
                0.5 * x
            };
        }
        return (x, x.ln());
    }
    let mut v = 1.0 + d;
    for _ in 0..30 {
        // e^−v underflows (slowly, through libm's error path) far in the tail, where it is 0
        let e = if v < 700.0 { (-v).exp() } else { 0.0 };
        let h = v + e - 1.0 - d;
        if h.abs() <= eps {
            return (e, -v);
        }
        let h1 = 1.0 - e;
        v -= 2.0 * h * h1 / (2.0 * h1 * h1 - h * e);
    }
    ((-v).exp(), -v)
}

impl Fitness for Events {
    type Block = (f64, f64);

    fn n_cells(&self) -> usize {
        self.cum_n.len() - 1
    }

    #[inline]
    fn start(&self, k: usize) -> (f64, f64) {
        (self.cum_n[k], self.block_length[k])
    }

    #[inline]
    fn block_from(&self, (n0, l0): (f64, f64), r: usize) -> (f64, f64) {
        (self.cum_n[r + 1] - n0, l0 - self.block_length[r + 1])
    }

    #[inline]
    fn fit(&self, (n, t): (f64, f64)) -> f64 {
        if n > 0.0 {
            n * (n / t).ln()
        } else {
            0.0
        }
    }

    #[inline]
    fn theta_star(&self, (n, t): (f64, f64)) -> f64 {
        n / t
    }

    #[inline]
    fn g(&self, (n, t): (f64, f64), theta: f64, aux: f64) -> f64 {
        if n > 0.0 {
            n * aux - theta * t + n
        } else {
            -theta * t
        }
    }

    fn aux(&self, theta: f64) -> f64 {
        theta.ln()
    }

    #[inline]
    fn slope(&self, (n, t): (f64, f64), theta: f64) -> f64 {
        if n > 0.0 {
            n / theta - t
        } else {
            -t
        }
    }

    #[inline]
    fn aux_near(&self, theta: f64, theta_ref: f64, aux_ref: f64) -> f64 {
        if !(theta > 0.0) {
            return f64::NEG_INFINITY;
        }
        let u = (theta - theta_ref) / theta_ref;
        if u.abs() < 1e-3 {
            aux_ref + u * (1.0 - u * (0.5 - u / 3.0))
        } else {
            theta.ln()
        }
    }

    #[inline(never)]
    fn root(&self, (n, t): (f64, f64), f: f64, y: f64, left: bool, eps: f64) -> Option<Root> {
        if n <= 0.0 {
            // g = −θT: decreasing from 0 at θ = 0
            return (!left).then(|| {
                let theta = -y / t;
                Root {
                    theta,
                    aux: theta.ln(),
                    slope: -t,
                }
            });
        }
        let inv_n = 1.0 / n;
        let (d, lt) = ((f - y) * inv_n, f * inv_n);
        let (x, lx) = if left {
            lower_unit_root(d, eps * inv_n)
        } else {
            upper_unit_root(d, eps * inv_n)
        };
        let theta = (n / t) * x;
        Some(Root {
            theta,
            aux: lt + lx,
            slope: n / theta - t,
        })
    }

    fn domain(&self) -> (f64, f64) {
        (self.theta_lo, self.theta_max)
    }

    fn scale(&self, ncp: f64) -> f64 {
        let n = *self.cum_n.last().unwrap_or(&0.0);
        let t_total = self.block_length[0];
        let lo = if self.theta_lo > 0.0 {
            self.theta_lo.ln().abs()
        } else {
            0.0
        };
        let logs = 3.0
            + n.max(1.0).ln()
            + self.min_width.ln().abs()
            + t_total.ln().abs()
            + self.theta_max.ln().abs()
            + lo;
        n * logs + self.n_cells() as f64 * ncp.abs() + 1.0
    }

    fn summary(&self, k: usize, end: usize) -> (f64, f64, f64) {
        let n = self.cum_n[end] - self.cum_n[k];
        let t = self.block_length[k] - self.block_length[end];
        (n, t, n / t)
    }
}

/// Point measurements: prefix sums of 1/σ² and x/σ².
struct Measures {
    cum_w: Vec<f64>,
    cum_wx: Vec<f64>,
    edges: Vec<f64>,
    range: (f64, f64),
    scale: f64,
}

impl Fitness for Measures {
    type Block = (f64, f64);

    fn n_cells(&self) -> usize {
        self.cum_w.len() - 1
    }

    #[inline]
    fn start(&self, k: usize) -> (f64, f64) {
        (self.cum_w[k], self.cum_wx[k])
    }

    #[inline]
    fn block_from(&self, (w0, wx0): (f64, f64), r: usize) -> (f64, f64) {
        (0.5 * (self.cum_w[r + 1] - w0), -(self.cum_wx[r + 1] - wx0))
    }

    #[inline]
    fn fit(&self, (a, b): (f64, f64)) -> f64 {
        (b * b) / (4.0 * a)
    }

    #[inline]
    fn theta_star(&self, (a, b): (f64, f64)) -> f64 {
        -b / (2.0 * a)
    }

    #[inline]
    fn g(&self, (a, b): (f64, f64), theta: f64, _aux: f64) -> f64 {
        -a * theta * theta - b * theta
    }

    fn aux(&self, _theta: f64) -> f64 {
        0.0
    }

    #[inline]
    fn slope(&self, (a, b): (f64, f64), theta: f64) -> f64 {
        -2.0 * a * theta - b
    }

    fn aux_near(&self, _theta: f64, _theta_ref: f64, _aux_ref: f64) -> f64 {
        0.0
    }

    fn root(&self, (a, b): (f64, f64), f: f64, y: f64, left: bool, _eps: f64) -> Option<Root> {
        let w = ((f - y) / a).max(0.0).sqrt();
        let c = -b / (2.0 * a);
        let (theta, slope) = if left {
            (c - w, 2.0 * a * w)
        } else {
            (c + w, -2.0 * a * w)
        };
        Some(Root {
            theta,
            aux: 0.0,
            slope,
        })
    }

    fn domain(&self) -> (f64, f64) {
        self.range
    }

    fn scale(&self, ncp: f64) -> f64 {
        self.scale + self.n_cells() as f64 * ncp.abs() + 1.0
    }

    fn summary(&self, k: usize, end: usize) -> (f64, f64, f64) {
        let w = self.cum_w[end] - self.cum_w[k];
        let wx = self.cum_wx[end] - self.cum_wx[k];
        ((end - k) as f64, self.edges[end] - self.edges[k], wx / w)
    }
}

// ---------------------------------------------------------------------------------------------
// The dynamic programme
// ---------------------------------------------------------------------------------------------

/// `last[R]` of the programme (the best start of a block ending at R), and the largest number
/// of live starts.
struct Programme {
    last: Vec<usize>,
    max_candidates: usize,
}

/// The plain O(N²) programme, exactly astropy's loop.
fn programme_plain<F: Fitness>(fit: &F, ncp: f64) -> Programme {
    let n = fit.n_cells();
    let (mut best, mut last) = (vec![0.0; n], vec![0usize; n]);
    for r in 0..n {
        let (mut bv, mut arg) = (f64::NEG_INFINITY, 0);
        for k in 0..=r {
            let mut a = fit.fit(fit.block(k, r)) - ncp;
            if k > 0 {
                a += best[k - 1];
            }
            if a > bv {
                bv = a;
                arg = k;
            }
        }
        best[r] = bv;
        last[r] = arg;
    }
    Programme {
        last,
        max_candidates: n,
    }
}

/// A live block start: its index, `F(k)`, an upper bound `ub` on `f(k..R) − Σ_{i≤R} f(i..i)`
/// (valid for every later R: superadditivity), and its interval range in the interval buffer.
#[derive(Debug, Clone, Copy)]
struct Cand {
    k: usize,
    /// [`Fitness::start`] of k.
    s: (f64, f64),
    f: f64,
    ub: f64,
    start: usize,
    end: usize,
}

/// Buffers of the pruned programme (reused across steps: no allocation per step).
struct Pruner {
    cands: Vec<Cand>,
    ivs: Vec<Interval>,
    next_cands: Vec<Cand>,
    next_ivs: Vec<Interval>,
    new_parts: Vec<Interval>,
    /// Fitness of each live start at this step where [`Pruner::evaluate`] computed it (NaN else).
    fits: Vec<f64>,
    /// The best start at the previous step (evaluated first).
    prev_arg: usize,
    /// `f(i..i)` of every cell, and their prefix sums (compensated).
    single: Vec<f64>,
    cum_single: Vec<f64>,
    tol: f64,
}

/// The maximiser and maximum of g, unless the maximum is known. Not inlined: the compiler would
/// otherwise hoist the logarithm out of the loop that only sometimes needs it.
#[inline(never)]
fn peak<F: Fitness>(fit: &F, b: F::Block, known_f: f64) -> (f64, f64) {
    let f = if known_f.is_nan() {
        fit.fit(b)
    } else {
        known_f
    };
    (fit.theta_star(b), f)
}

/// The shape of one start's `g` at this step, computed on demand.
struct Shape<B> {
    b: B,
    peak: Option<(f64, f64)>,
    left: Option<Option<Root>>,
    right: Option<Option<Root>>,
}

impl Pruner {
    /// The best start for block end `r` among the live ones (astropy's arithmetic and tie rule).
    /// A start is evaluated only if its maximiser lies in its set and, once a value is known, if
    /// the tangent bound on its fitness (g concave: `max g ≤ g(e) + g'(e)(θ* − e)` at the ends
    /// e of that interval) can reach the best by more than τ; the fitness computed are kept for
    /// [`Pruner::update`].
    fn evaluate<F: Fitness>(
        &mut self,
        fit: &F,
        r: usize,
        ncp: f64,
        exhaustive: bool,
    ) -> (f64, usize) {
        self.fits.clear();
        self.fits.resize(self.cands.len(), f64::NAN);
        let (mut bv, mut arg) = (f64::NEG_INFINITY, usize::MAX);
        let first = self
            .cands
            .binary_search_by_key(&self.prev_arg, |c| c.k)
            .ok();
        let order = first
            .into_iter()
            .chain((0..self.cands.len()).filter(|&i| Some(i) != first));
        let cum = self.cum_single[r + 1];
        for ci in order {
            let c = self.cands[ci];
            if !exhaustive && c.f + c.ub + cum - ncp < bv - self.tol {
                continue;
            }
            let b = fit.block_from(c.s, r);
            if !exhaustive {
                let th = fit.theta_star(b);
                let Some(iv) = self.ivs[c.start..c.end]
                    .iter()
                    .find(|iv| iv.lo <= th && th <= iv.hi)
                else {
                    continue;
                };
                if bv > f64::NEG_INFINITY {
                    let tangent = |e: f64, ae: f64| fit.g(b, e, ae) + fit.slope(b, e) * (th - e);
                    let bound = tangent(iv.lo, iv.alo).min(tangent(iv.hi, iv.ahi));
                    if c.f + bound - ncp < bv - self.tol {
                        // a bound on f(k..r) is one on every later f(k..R) minus the cells added
                        if bound.is_finite() {
                            self.cands[ci].ub = self.cands[ci].ub.min(bound - cum);
                        }
                        continue;
                    }
                }
            }
            let f = if c.k == r { self.single[r] } else { fit.fit(b) };
            self.fits[ci] = f;
            self.cands[ci].ub = f - cum;
            let mut a = f - ncp;
            if c.k > 0 {
                a += c.f;
            }
            if a > bv || (a == bv && c.k < arg) {
                bv = a;
                arg = c.k;
            }
        }
        self.prev_arg = arg;
        (bv, arg)
    }

    /// Cut every live start's set at level `l = best[r]` and build the new start's set.
    fn update<F: Fitness>(&mut self, fit: &F, r: usize, l: f64) {
        self.next_cands.clear();
        self.next_ivs.clear();
        self.new_parts.clear();
        for ci in 0..self.cands.len() {
            let c = self.cands[ci];
            let start = self.next_ivs.len();
            let known = if c.k == r {
                self.single[r]
            } else {
                self.fits.get(ci).copied().unwrap_or(f64::NAN)
            };
            self.cut(fit, fit.block_from(c.s, r), known, l - c.f, c.start..c.end);
            if self.next_ivs.len() > start {
                self.next_cands.push(Cand {
                    start,
                    end: self.next_ivs.len(),
                    ..c
                });
            }
        }
        self.add_new_start(r + 1, fit.start(r + 1), l);
        std::mem::swap(&mut self.cands, &mut self.next_cands);
        std::mem::swap(&mut self.ivs, &mut self.next_ivs);
    }

    /// One start's intervals: keep (a superset of) `{g ≥ y − τ}`, give the new start (a superset
    /// of) `{g ≤ y + τ}`. Both come from the crossings of the level y itself: pushed outwards
    /// along the tangent for the kept set (a concave g lies below its tangents) and inwards
    /// along the chord to the peak for the given set (and above its chords).
    fn cut<F: Fitness>(
        &mut self,
        fit: &F,
        b: F::Block,
        known_f: f64,
        y: f64,
        range: std::ops::Range<usize>,
    ) {
        let high = y + self.tol;
        let mut sh = Shape {
            b,
            peak: None,
            left: None,
            right: None,
        };
        for i in range {
            let iv = self.ivs[i];
            let gl = fit.g(b, iv.lo, iv.alo);
            let gr = fit.g(b, iv.hi, iv.ahi);
            if gl > high && gr > high {
                // above the band at both ends, so everywhere (concave): kept whole, nothing given
                self.next_ivs.push(iv);
            } else {
                self.cut_piece(fit, &mut sh, known_f, y, iv, gl, gr);
            }
        }
    }

    /// The slow path of [`Pruner::cut`] for one piece that meets the band `y ± τ`.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn cut_piece<F: Fitness>(
        &mut self,
        fit: &F,
        sh: &mut Shape<F::Block>,
        known_f: f64,
        y: f64,
        iv: Interval,
        gl: f64,
        gr: f64,
    ) {
        let tol = self.tol;
        let keep_all = gl >= y - tol && gr >= y - tol;
        if keep_all {
            self.next_ivs.push(iv);
        }
        let (th, f) = *sh.peak.get_or_insert_with(|| peak(fit, sh.b, known_f));
        if f < y + 2.0 * tol {
            // the whole block is within 3τ of the level: both sets may take the whole piece
            if !keep_all && f >= y - tol {
                self.next_ivs.push(iv);
            }
            self.new_parts.push(iv);
            return;
        }
        let eps = 1e-3 * tol;
        let b = sh.b;
        // a side whose end is above the band stays above it up to the peak: nothing to do there
        let high = y + tol;
        let rl = if iv.lo < th && gl <= high {
            *sh.left.get_or_insert_with(|| fit.root(b, f, y, true, eps))
        } else {
            None
        };
        let rr = if iv.hi > th && gr <= high {
            *sh.right
                .get_or_insert_with(|| fit.root(b, f, y, false, eps))
        } else {
            None
        };
        if !keep_all {
            self.keep_part(fit, iv, rl, rr);
        }
        self.give_parts(fit, iv, th, f - y, rl, rr);
    }

    fn keep_part<F: Fitness>(&mut self, fit: &F, iv: Interval, rl: Option<Root>, rr: Option<Root>) {
        let tol = self.tol;
        let mut part = iv;
        if let Some(r) = rl {
            let lo = r.theta - tol / r.slope;
            if lo > iv.lo {
                part.lo = lo;
                part.alo = fit.aux_near(lo, r.theta, r.aux);
            }
        }
        if let Some(r) = rr {
            let hi = r.theta - tol / r.slope;
            if hi < iv.hi {
                part.hi = hi;
                part.ahi = fit.aux_near(hi, r.theta, r.aux);
            }
        }
        if part.lo <= part.hi {
            self.next_ivs.push(part);
        }
    }

    fn give_parts<F: Fitness>(
        &mut self,
        fit: &F,
        iv: Interval,
        th: f64,
        rise: f64,
        rl: Option<Root>,
        rr: Option<Root>,
    ) {
        let tol = self.tol;
        if let Some(r) = rl {
            let a = r.theta + tol * (th - r.theta) / rise;
            if a >= iv.lo {
                let (hi, ahi) = if a < iv.hi {
                    (a, fit.aux_near(a, r.theta, r.aux))
                } else {
                    (iv.hi, iv.ahi)
                };
                self.new_parts.push(Interval { hi, ahi, ..iv });
            }
        }
        if let Some(r) = rr {
            let bnd = r.theta - tol * (r.theta - th) / rise;
            if bnd <= iv.hi {
                let (lo, alo) = if bnd > iv.lo {
                    (bnd, fit.aux_near(bnd, r.theta, r.aux))
                } else {
                    (iv.lo, iv.alo)
                };
                self.new_parts.push(Interval { lo, alo, ..iv });
            }
        }
    }

    /// The new start `k` (prefix sums `s`) with `F(k) = l`: the union of the parts given up.
    fn add_new_start(&mut self, k: usize, s: (f64, f64), l: f64) {
        self.new_parts
            .sort_unstable_by(|a, b| a.lo.total_cmp(&b.lo));
        let start = self.next_ivs.len();
        for p in self.new_parts.drain(..) {
            let own = self.next_ivs.len() > start;
            match self.next_ivs.last_mut() {
                Some(last) if own && p.lo <= last.hi => {
                    if p.hi > last.hi {
                        last.hi = p.hi;
                        last.ahi = p.ahi;
                    }
                }
                _ => self.next_ivs.push(p),
            }
        }
        if self.next_ivs.len() > start {
            self.next_cands.push(Cand {
                k,
                s,
                f: l,
                ub: -self.cum_single[k],
                start,
                end: self.next_ivs.len(),
            });
        }
    }
}

/// Prefix sums `[0, x0, x0 + x1, …]` with Kahan–Babuška compensation.
fn prefix_sums(x: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len() + 1);
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    out.push(0.0);
    for &v in x {
        let t = sum + v;
        comp += if sum.abs() >= v.abs() {
            (sum - t) + v
        } else {
            (v - t) + sum
        };
        sum = t;
        out.push(sum + comp);
    }
    out
}

/// The exact pruned programme (module docs).
fn programme_pruned<F: Fitness>(fit: &F, ncp: f64) -> Programme {
    let n = fit.n_cells();
    let single: Vec<f64> = (0..n).map(|i| fit.fit(fit.block(i, i))).collect();
    let (lo, hi) = fit.domain();
    let whole = Interval {
        lo,
        hi,
        alo: fit.aux(lo),
        ahi: fit.aux(hi),
    };
    let mut p = Pruner {
        cands: vec![Cand {
            k: 0,
            s: fit.start(0),
            f: 0.0,
            ub: 0.0,
            start: 0,
            end: 1,
        }],
        ivs: vec![whole],
        next_cands: vec![],
        next_ivs: vec![],
        new_parts: vec![],
        fits: vec![],
        prev_arg: 0,
        cum_single: prefix_sums(&single),
        single,
        tol: 1e-12 * fit.scale(ncp),
    };
    let mut last = vec![0usize; n];
    let mut max_candidates = 1;
    #[allow(clippy::needless_range_loop)] // r is the block end, not just an index of `last`
    for r in 0..n {
        let (mut bv, mut arg) = p.evaluate(fit, r, ncp, false);
        if arg == usize::MAX {
            // cannot happen in exact arithmetic (the argmax owns its maximiser); be safe
            (bv, arg) = p.evaluate(fit, r, ncp, true);
        }
        last[r] = arg;
        if r + 1 < n {
            p.update(fit, r, bv);
            max_candidates = max_candidates.max(p.cands.len());
        }
    }
    Programme {
        last,
        max_candidates,
    }
}

/// Cell indices where blocks start, plus `n` at the end (all of them: see the module docs).
fn change_points(last: &[usize]) -> Vec<usize> {
    let mut cp = vec![last.len()];
    let mut ind = last.len();
    while ind > 0 {
        ind = last[ind - 1];
        cp.push(ind);
    }
    cp.reverse();
    cp
}

fn solve<F: Fitness>(fit: &F, edges: &[f64], ncp: f64, no_pruning: bool) -> Blocks {
    let prog = if no_pruning {
        programme_plain(fit, ncp)
    } else {
        programme_pruned(fit, ncp)
    };
    let cp = change_points(&prog.last);
    let mut out = Blocks {
        edges: cp.iter().map(|&i| edges[i]).collect(),
        first_cell: cp[..cp.len() - 1].to_vec(),
        counts: vec![],
        length: vec![],
        value: vec![],
        ncp_prior: ncp,
        n_cells: fit.n_cells(),
        max_candidates: prog.max_candidates,
    };
    for w in cp.windows(2) {
        let (c, l, v) = fit.summary(w[0], w[1]);
        out.counts.push(c);
        out.length.push(l);
        out.value.push(v);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

fn check_finite(what: &'static str, v: &[f64]) -> Result<(), BlocksError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(BlocksError::NotFinite {
            what,
            index,
            value: v[index],
        }),
        None => Ok(()),
    }
}

/// astropy's cell edges: first time, midpoints, last time.
fn midpoint_edges(t: &[f64]) -> Vec<f64> {
    let mut e = Vec::with_capacity(t.len() + 1);
    e.push(t[0]);
    e.extend(t.windows(2).map(|w| 0.5 * (w[1] + w[0])));
    e.push(t[t.len() - 1]);
    e
}

/// Sorted unique times and their multiplicities.
fn unique_weights(times: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut t = times.to_vec();
    t.sort_unstable_by(f64::total_cmp);
    let (mut u, mut w): (Vec<f64>, Vec<f64>) =
        (Vec::with_capacity(t.len()), Vec::with_capacity(t.len()));
    for x in t {
        match u.last() {
            Some(&last) if last == x => *w.last_mut().unwrap() += 1.0,
            _ => {
                u.push(x);
                w.push(1.0);
            }
        }
    }
    (u, w)
}

/// Sort `(t, values…)` by t; repeated t is an error.
fn sort_unique_by_time(
    t: &[f64],
    cols: &[&[f64]],
) -> Result<(Vec<f64>, Vec<Vec<f64>>), BlocksError> {
    let mut order: Vec<usize> = (0..t.len()).collect();
    order.sort_unstable_by(|&a, &b| t[a].total_cmp(&t[b]));
    let ts: Vec<f64> = order.iter().map(|&i| t[i]).collect();
    if let Some(w) = ts.windows(2).find(|w| w[0] == w[1]) {
        return Err(BlocksError::RepeatedTime(w[0]));
    }
    let out = cols
        .iter()
        .map(|c| order.iter().map(|&i| c[i]).collect())
        .collect();
    Ok((ts, out))
}

fn zero_length(t: &[f64]) -> impl Fn((usize, &'static str)) -> BlocksError + '_ {
    move |(index, why)| BlocksError::ZeroLength {
        index,
        time: t[index],
        why,
    }
}

/// One cell only: a single block of zero length (astropy returns `[t]`).
fn single_cell(t: f64, counts: f64, ncp: f64) -> Blocks {
    Blocks {
        edges: vec![t, t],
        first_cell: vec![0],
        counts: vec![counts],
        length: vec![0.0],
        value: vec![f64::INFINITY],
        ncp_prior: ncp,
        n_cells: 1,
        max_candidates: 1,
    }
}

/// Cumulative good time from `edges[0]` to each edge.
fn live_block_length(edges: &[f64], gti: &Gti) -> Vec<f64> {
    let mut cum = Vec::with_capacity(edges.len());
    let mut acc = 0.0;
    cum.push(0.0);
    for w in edges.windows(2) {
        acc += gti.overlap(w[0], w[1]);
        cum.push(acc);
    }
    cum.iter().map(|c| acc - c).collect()
}

/// Bayesian blocks of event times with the `events` fitness and false-alarm probability `p0`
/// (astropy default 0.05): the block edges. See [`bayesian_blocks_events_with`].
pub fn bayesian_blocks_events(times: &[f64], p0: f64) -> Result<Vec<f64>, BlocksError> {
    let opts = BlocksOptions {
        prior: Prior::P0(p0),
        ..Default::default()
    };
    Ok(bayesian_blocks_events_with(times, &opts)?.edges)
}

/// Bayesian blocks of event times (any order; repeated times are weights), astropy's
/// `bayesian_blocks(t, fitness='events')`, or exposure-aware with `opts.gti`.
pub fn bayesian_blocks_events_with(
    times: &[f64],
    opts: &BlocksOptions,
) -> Result<Blocks, BlocksError> {
    if times.is_empty() {
        return Err(BlocksError::Empty("event times"));
    }
    check_finite("times", times)?;
    let (t, w) = unique_weights(times);
    let ncp = opts.prior.ncp_prior(t.len())?;
    let mut edges = midpoint_edges(&t);
    let block_length = match &opts.gti {
        None => {
            if t.len() == 1 {
                return Ok(single_cell(t[0], w[0], ncp));
            }
            let last = t[t.len() - 1];
            edges.iter().map(|e| last - e).collect()
        }
        Some(gti) => {
            if let Some(&bad) = t.iter().find(|&&x| !gti.contains(x)) {
                return Err(BlocksError::OutsideGti(bad));
            }
            let (a, b) = gti
                .span()
                .ok_or(BlocksError::Empty("good time intervals"))?;
            edges[0] = a;
            *edges.last_mut().unwrap() = b;
            live_block_length(&edges, gti)
        }
    };
    let zl = |(i, _): (usize, &'static str)| BlocksError::ZeroLength {
        index: i,
        time: t[i],
        why: if opts.gti.is_some() {
            "no good time in it"
        } else {
            "its neighbours are closer than floating-point resolution"
        },
    };
    let fit = Events::new(&w, block_length).map_err(zl)?;
    Ok(solve(&fit, &edges, ncp, opts.no_pruning))
}

/// Bayesian blocks of binned counts, astropy's `bayesian_blocks(t_centres, counts,
/// fitness='events', p0=p0)`: the bins are the cells, with midpoint edges (module docs).
pub fn bayesian_blocks_binned(
    t_centres: &[f64],
    counts: &[u64],
    p0: f64,
) -> Result<Vec<f64>, BlocksError> {
    let opts = BlocksOptions {
        prior: Prior::P0(p0),
        ..Default::default()
    };
    Ok(bayesian_blocks_binned_with(t_centres, counts, &opts)?.edges)
}

/// [`bayesian_blocks_binned`] with options (`opts.gti` is not used).
pub fn bayesian_blocks_binned_with(
    t_centres: &[f64],
    counts: &[u64],
    opts: &BlocksOptions,
) -> Result<Blocks, BlocksError> {
    if t_centres.is_empty() {
        return Err(BlocksError::Empty("bins"));
    }
    if counts.len() != t_centres.len() {
        return Err(BlocksError::Length {
            what: "counts",
            got: counts.len(),
            expected: t_centres.len(),
            why: "one per bin centre",
        });
    }
    check_finite("t_centres", t_centres)?;
    let c: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let (t, cols) = sort_unique_by_time(t_centres, &[&c])?;
    let ncp = opts.prior.ncp_prior(t.len())?;
    if t.len() == 1 {
        return Ok(single_cell(t[0], cols[0][0], ncp));
    }
    let edges = midpoint_edges(&t);
    let last = t[t.len() - 1];
    let fit =
        Events::new(&cols[0], edges.iter().map(|e| last - e).collect()).map_err(zero_length(&t))?;
    Ok(solve(&fit, &edges, ncp, opts.no_pruning))
}

/// Bayesian blocks of contiguous bins given by their `edges` (n + 1, increasing), with the
/// `events` fitness on the counts and block length = summed `exposure` (live seconds per bin;
/// default the bin widths). Not in astropy: this is the exposure-correct binned form.
pub fn bayesian_blocks_bins(
    edges: &[f64],
    counts: &[u64],
    exposure: Option<&[f64]>,
    opts: &BlocksOptions,
) -> Result<Blocks, BlocksError> {
    if counts.is_empty() {
        return Err(BlocksError::Empty("bins"));
    }
    if edges.len() != counts.len() + 1 {
        return Err(BlocksError::Length {
            what: "edges",
            got: edges.len(),
            expected: counts.len() + 1,
            why: "one more than the bins",
        });
    }
    check_finite("edges", edges)?;
    if let Some(i) = (1..edges.len()).find(|&i| !(edges[i] > edges[i - 1])) {
        return Err(BlocksError::Edges {
            index: i,
            value: edges[i],
            previous: edges[i - 1],
        });
    }
    let widths: Vec<f64> = match exposure {
        None => edges.windows(2).map(|w| w[1] - w[0]).collect(),
        Some(e) if e.len() == counts.len() => {
            check_finite("exposure", e)?;
            e.to_vec()
        }
        Some(e) => {
            return Err(BlocksError::Length {
                what: "exposure",
                got: e.len(),
                expected: counts.len(),
                why: "one per bin",
            })
        }
    };
    let mut block_length = vec![0.0; widths.len() + 1];
    for i in (0..widths.len()).rev() {
        block_length[i] = block_length[i + 1] + widths[i];
    }
    let ncp = opts.prior.ncp_prior(counts.len())?;
    let c: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let fit = Events::new(&c, block_length).map_err(|(index, _)| BlocksError::ZeroLength {
        index,
        time: edges[index],
        why: "bins need an exposure > 0 (drop empty bins)",
    })?;
    Ok(solve(&fit, edges, ncp, opts.no_pruning))
}

/// Bayesian blocks of point measurements `x ± sigma` at times `t` (sigma: one per point, or one
/// for all), astropy's `bayesian_blocks(t, x, sigma, fitness='measures', p0=p0)`.
pub fn bayesian_blocks_measures(
    t: &[f64],
    x: &[f64],
    sigma: &[f64],
    p0: f64,
) -> Result<Vec<f64>, BlocksError> {
    let opts = BlocksOptions {
        prior: Prior::P0(p0),
        ..Default::default()
    };
    Ok(bayesian_blocks_measures_with(t, x, sigma, &opts)?.edges)
}

/// [`bayesian_blocks_measures`] with options (`opts.gti` is not used).
pub fn bayesian_blocks_measures_with(
    t: &[f64],
    x: &[f64],
    sigma: &[f64],
    opts: &BlocksOptions,
) -> Result<Blocks, BlocksError> {
    if t.is_empty() {
        return Err(BlocksError::Empty("measurements"));
    }
    if x.len() != t.len() {
        return Err(BlocksError::Length {
            what: "x",
            got: x.len(),
            expected: t.len(),
            why: "one value per time",
        });
    }
    let sig: Vec<f64> = match sigma.len() {
        1 => vec![sigma[0]; t.len()],
        n if n == t.len() => sigma.to_vec(),
        n => {
            return Err(BlocksError::Length {
                what: "sigma",
                got: n,
                expected: t.len(),
                why: "one per value, or a single one for all",
            })
        }
    };
    check_finite("t", t)?;
    check_finite("x", x)?;
    if let Some(index) = sig.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(BlocksError::Sigma {
            index,
            value: sig[index],
        });
    }
    let (ts, cols) = sort_unique_by_time(t, &[x, &sig])?;
    let ncp = opts.prior.ncp_prior(ts.len())?;
    let edges = midpoint_edges(&ts);
    Ok(solve(
        &measures(&cols[0], &cols[1], edges.clone()),
        &edges,
        ncp,
        opts.no_pruning,
    ))
}

fn measures(x: &[f64], sigma: &[f64], edges: Vec<f64>) -> Measures {
    let (mut cum_w, mut cum_wx) = (vec![0.0], vec![0.0]);
    let (mut aw, mut awx, mut s_abs, mut s_sq) = (0.0, 0.0, 0.0, 0.0);
    for (&xi, &si) in x.iter().zip(sigma) {
        let w = 1.0 / (si * si);
        aw += w;
        awx += xi * w;
        s_abs += xi.abs() * w;
        s_sq += xi * xi * w;
        cum_w.push(aw);
        cum_wx.push(awx);
    }
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let m = lo.abs().max(hi.abs()) * 2.0;
    // every block mean lies in [lo, hi], but computed from prefix sums it can fall just outside:
    // pad the domain (any superset is valid)
    let pad = 0.5 * (hi - lo) + 1e-6 * m.max(f64::MIN_POSITIVE) + 1e-300;
    Measures {
        cum_w,
        cum_wx,
        edges,
        range: (lo - pad, hi + pad),
        scale: aw * m * m + s_abs * m + s_sq,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_roots_solve_the_equation() {
        for &d in &[
            0.0, 1e-12, 1e-9, 1e-6, 1e-3, 0.1, 0.49, 0.51, 1.0, 7.0, 50.0, 800.0,
        ] {
            let (xl, lxl) = lower_unit_root(d, 1e-14);
            let (xu, lxu) = upper_unit_root(d, 1e-14);
            assert!(xl <= 1.0 && xu >= 1.0, "{d}");
            let hl = xl - lxl - 1.0 - d;
            let hu = xu - lxu - 1.0 - d;
            assert!(
                hl.abs() < 1e-13 * (1.0 + d) && hu.abs() < 1e-13 * (1.0 + d),
                "{d}: {hl} {hu}"
            );
            assert!((lxu - xu.ln()).abs() < 1e-12 * (1.0 + lxu.abs()));
            if xl > 0.0 {
                assert!((lxl - xl.ln()).abs() < 1e-12 * (1.0 + lxl.abs()));
            }
        }
    }

    #[test]
    fn backtracking_keeps_every_edge_when_every_cell_is_a_block() {
        // astropy drops the 0.5 edge here (module docs)
        let b = bayesian_blocks_binned(&[0.0, 1.0, 2.0, 3.0], &[0, 1000, 0, 1000], 0.5).unwrap();
        assert_eq!(b, vec![0.0, 0.5, 1.5, 2.5, 3.0]);
    }

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal, Poisson};

    /// Events of a rate `f(t)` ≤ `fmax` on [0, t_end) by thinning.
    fn events(rng: &mut ChaCha8Rng, t_end: f64, fmax: f64, f: impl Fn(f64) -> f64) -> Vec<f64> {
        let n = Poisson::new(fmax * t_end).unwrap().sample(rng) as usize;
        let mut t = Vec::with_capacity(n);
        for _ in 0..n {
            let (x, u): (f64, f64) = (rng.gen::<f64>() * t_end, rng.gen());
            if u * fmax < f(x) {
                t.push(x);
            }
        }
        t.sort_by(f64::total_cmp);
        t
    }

    /// A random light curve shape: constant, step, or flare (exponential decay), ≤ 1.
    fn shape(rng: &mut ChaCha8Rng, t_end: f64) -> impl Fn(f64) -> f64 {
        let kind = rng.gen_range(0..3);
        let (t0, a, tau) = (
            rng.gen::<f64>() * t_end,
            rng.gen_range(0.1..0.9),
            rng.gen_range(0.01..0.3) * t_end,
        );
        move |t: f64| match kind {
            0 => 1.0,
            1 => {
                if t < t0 {
                    1.0 - a
                } else {
                    1.0
                }
            }
            _ => {
                1.0 - a
                    + if t >= t0 {
                        a * (-(t - t0) / tau).exp()
                    } else {
                        0.0
                    }
            }
        }
    }

    fn both(f: impl Fn(&BlocksOptions) -> Blocks, prior: Prior) -> (Blocks, Blocks) {
        let mut o = BlocksOptions {
            prior,
            ..Default::default()
        };
        let pruned = f(&o);
        o.no_pruning = true;
        (pruned, f(&o))
    }

    #[test]
    fn pruned_and_plain_programmes_agree_on_random_inputs() {
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let priors = [
            Prior::P0(0.01),
            Prior::P0(0.05),
            Prior::P0(0.3),
            Prior::NcpPrior(1.0),
        ];
        let mut n_blocks = 0;
        for case in 0..72 {
            let prior = priors[case % priors.len()];
            let t_end = rng.gen_range(100.0..2000.0);
            let rate = rng.gen_range(0.05..1.5);
            let sh = shape(&mut rng, t_end);
            let (a, b) = match case % 6 {
                // events, some at mission-time offsets, some on a frame grid (repeated times)
                0..=2 => {
                    let mut t = events(&mut rng, t_end, rate, |x| rate * sh(x));
                    if case % 6 == 1 {
                        t.iter_mut().for_each(|x| *x += 6.9e8);
                    }
                    if case % 6 == 2 {
                        t.iter_mut().for_each(|x| *x = (*x / 2.6).round() * 2.6);
                    }
                    if t.len() < 2 {
                        continue;
                    }
                    both(|o| bayesian_blocks_events_with(&t, o).unwrap(), prior)
                }
                // events in good time with gaps, block lengths in good time
                3 => {
                    let gti = Gti::from_rows(&[0.0, 0.4 * t_end], &[0.3 * t_end, t_end]).unwrap();
                    let t: Vec<f64> = events(&mut rng, t_end, rate, |x| rate * sh(x))
                        .into_iter()
                        .filter(|&x| gti.contains(x))
                        .collect();
                    if t.len() < 2 {
                        continue;
                    }
                    both(
                        |o| {
                            let o = BlocksOptions {
                                gti: Some(gti.clone()),
                                ..o.clone()
                            };
                            bayesian_blocks_events_with(&t, &o).unwrap()
                        },
                        prior,
                    )
                }
                // binned counts with zeros
                4 => {
                    let nb = rng.gen_range(20..400);
                    let tc: Vec<f64> = (0..nb).map(|i| i as f64 + 0.5).collect();
                    let c: Vec<u64> = tc
                        .iter()
                        .map(|&x| {
                            Poisson::new(3.0 * rate * sh(x * t_end / nb as f64) + 1e-9)
                                .unwrap()
                                .sample(&mut rng) as u64
                        })
                        .collect();
                    both(|o| bayesian_blocks_binned_with(&tc, &c, o).unwrap(), prior)
                }
                // point measurements with errors
                _ => {
                    let n = rng.gen_range(20..500);
                    let mut t: Vec<f64> = (0..n).map(|_| rng.gen::<f64>() * t_end).collect();
                    t.sort_by(f64::total_cmp);
                    t.dedup();
                    let sig: Vec<f64> = t.iter().map(|_| rng.gen_range(0.05..0.5)).collect();
                    let x: Vec<f64> = t
                        .iter()
                        .zip(&sig)
                        .map(|(&ti, &s)| {
                            3.0 * sh(ti) + Normal::new(0.0, s).unwrap().sample(&mut rng)
                        })
                        .collect();
                    both(
                        |o| bayesian_blocks_measures_with(&t, &x, &sig, o).unwrap(),
                        prior,
                    )
                }
            };
            assert_eq!(a.edges, b.edges, "case {case} ({prior:?})");
            assert_eq!(a.first_cell, b.first_cell);
            assert!(a.max_candidates <= b.max_candidates);
            n_blocks += a.edges.len() - 1;
        }
        assert!(
            n_blocks > 150,
            "the random cases should have structure: {n_blocks} blocks"
        );
    }
}
