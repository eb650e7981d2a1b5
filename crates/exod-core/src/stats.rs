//! The statistics of EXOD: Bayes factors for peaks and eclipses, σ-equivalent thresholds,
//! exact integer decision boundaries and amplitude estimates (paper §2.4, eqs. 1–12, Appendix A).
//!
//! # Definitions
//! For a cell with `N` observed counts and expectation `μ`:
//!
//! * `log10 B_peak(N, μ)    = log10 Q(N+1, μ) − log10 Pois(N; μ)` (eq. 6, K = 1)
//! * `log10 B_eclipse(N, μ) = log10 P(N+1, μ) − log10 Pois(N; μ)` (eq. 7, K′ = 1)
//!
//! with `P`, `Q` the regularized lower/upper incomplete gamma functions. Both factors are
//! evaluated entirely in log space, so nothing underflows: `Q(N+1, μ)` can be 10^-40000 and the
//! Poisson probability 10^-10^7 and the answer is still exact to ~1e-12 in log10.
//!
//! # How the factors are computed
//! Dividing by `Pois(N; μ)` removes the common prefactor `e^-μ μ^N / N!`:
//!
//! * `B_eclipse = μ · Σ_{k≥0} μ^k / ((N+1)(N+2)…(N+1+k))` — the incomplete-gamma series,
//!   converging geometrically for `μ < N + 2`;
//! * `B_peak = μ · CF(N+1, μ)` — the Legendre continued fraction of `Q` (modified Lentz),
//!   converging for `μ ≥ N + 2`;
//! * `B_peak + B_eclipse = 1 / Pois(N; μ)`, so the other factor is
//!   `−ln Pois + ln(1 − B·Pois)`, computed with `ln_1p` on a probability that is ≤ 0.9 in the
//!   region where it is used.
//!
//! `ln Pois(N; μ)` uses Loader's saddle-point form (`stirlerr` and `bd0`), accurate to a few
//! ulps even for `N ~ μ ~ 10^6` where the naive `N ln μ − μ − ln N!` loses 7 digits.
//!
//! # Thresholds and σ-equivalents (eqs. 8–10)
//! A σ threshold is `log10 B` at `μ = 1000` and the Gaussian count `N = ⌈(2μ + s² + √(8μs² + s⁴))/2⌉`
//! for peaks (`⌊…−…⌋` for eclipses): 5.9410 / 5.7089 at 3σ, 13.2788 / 12.3805 at 5σ.
//! The σ-equivalent of a factor is the exact inverse of that step function (see
//! [`sigma_equivalent_peak`]), so `σ_eq(N, μ) ≥ s` ⇔ the cell passes the `s`-σ threshold.
//!
//! # Decisions
//! `B_peak(N, μ)` is non-increasing in μ for fixed N (d ln B/dμ = 1 − N/μ − 1/B ≤ 0) and
//! increasing in N; `B_eclipse` is increasing in μ and decreasing in N. Each decision
//! therefore reduces to one comparison of μ with a per-N boundary, which [`Boundaries`]
//! tabulates exactly (bisection to adjacent floating-point numbers of the same function used for
//! direct evaluation). A cell is a peak when `log10 B_peak ≥ threshold` and an eclipse when
//! `log10 B_eclipse ≥ threshold`.
//!
//! EXOD2 flags a peak only when N exceeds the first significant count — one count stricter
//! than its own rule — and uses the Gaussian counts above μ = 1000 (exod2-reference §6.3).
//! [`Rule::Exod2Parity`] reproduces that; [`Rule::Exact`] is the rule the paper states.

use std::f64::consts::{LN_10, PI};

use statrs::function::gamma::ln_gamma;

/// The μ at which σ thresholds are calibrated (paper §2.4.2).
pub const MU_CALIBRATION: f64 = 1000.0;

const EPS: f64 = 1e-17;
const MAX_ITER: usize = 10_000_000;

/// Errors of the statistics layer.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StatsError {
    /// An argument was outside the domain of the function.
    #[error("{what} = {value} is outside the allowed range ({expected})")]
    Domain {
        /// Name of the argument (e.g. `mu`).
        what: &'static str,
        /// The value given.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
}

fn check_mu(mu: f64) -> Result<(), StatsError> {
    if mu.is_finite() && mu > 0.0 {
        Ok(())
    } else {
        Err(StatsError::Domain {
            what: "mu",
            value: mu,
            expected: "a finite expectation > 0",
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Poisson probability in log space (Loader 2000, "Fast and accurate computation of binomial
// probabilities").
// ---------------------------------------------------------------------------------------------

/// ln(n!) − [(n + ½) ln n − n + ln √(2π)]: the error of Stirling's formula.
fn stirlerr(n: f64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15.0 {
        // exact: cancellation here costs at most ~1e-14 absolute.
        ln_gamma(n + 1.0) - (n + 0.5) * n.ln() + n - 0.5 * (2.0 * PI).ln()
    } else {
        let nn = n * n;
        if n > 500.0 {
            (S0 - S1 / nn) / n
        } else if n > 80.0 {
            (S0 - (S1 - S2 / nn) / nn) / n
        } else if n > 35.0 {
            (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
        } else {
            (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
        }
    }
}

/// x ln(x/np) + np − x, computed without cancellation when x ≈ np.
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        let mut ej = 2.0 * x * v;
        v *= v;
        let mut j = 1.0;
        loop {
            ej *= v;
            let s1 = s + ej / (2.0 * j + 1.0);
            if s1 == s {
                return s1;
            }
            s = s1;
            j += 1.0;
        }
    }
    x * (x / np).ln() + np - x
}

/// Natural log of the Poisson probability `Pois(n; mu) = e^-μ μ^n / n!`, for any n ≥ 0 and μ > 0.
pub fn ln_poisson_pmf(n: f64, mu: f64) -> f64 {
    if n == 0.0 {
        return -mu;
    }
    if mu < 1e-10 * n || n < 1.0 {
        // far from the saddle point: the plain form has no cancellation problem.
        return n * mu.ln() - mu - ln_gamma(n + 1.0);
    }
    -stirlerr(n) - bd0(n, mu) - 0.5 * (2.0 * PI * n).ln()
}

// ---------------------------------------------------------------------------------------------
// Bayes factors
// ---------------------------------------------------------------------------------------------

/// `ln B_eclipse(N, μ)` by the series (use for μ < N + 2).
fn ln_b_eclipse_series(n: f64, mu: f64) -> f64 {
    // B_e = μ Σ_k μ^k / ((N+1)…(N+1+k)); term_0 = 1/(N+1).
    let mut ap = n + 1.0;
    let mut del = 1.0 / ap;
    let mut sum = del;
    for _ in 0..MAX_ITER {
        ap += 1.0;
        del *= mu / ap;
        sum += del;
        if del < sum * EPS {
            break;
        }
    }
    mu.ln() + sum.ln()
}

/// `ln B_peak(N, μ)` by the continued fraction of Q(N+1, μ) (use for μ ≥ N + 2).
fn ln_b_peak_cf(n: f64, mu: f64) -> f64 {
    let a = n + 1.0;
    const TINY: f64 = 1e-300;
    let mut b = mu + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..MAX_ITER {
        let fi = i as f64;
        let an = -fi * (fi - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    mu.ln() + h.ln()
}

/// `ln(1/Pois − e^{ln_other})` = the complementary factor, given `ln` of the other one.
fn ln_complement(ln_pmf: f64, ln_other: f64) -> f64 {
    // 1/pmf − B_other = (1/pmf)(1 − B_other·pmf); B_other·pmf is P or Q, ≤ ~0.9 where used.
    let p = (ln_other + ln_pmf).exp();
    -ln_pmf + (-p).ln_1p()
}

/// Both `(ln B_peak, ln B_eclipse)` for real `n ≥ 0` (integers in EXOD) and μ > 0.
pub fn ln_bayes_factors(n: f64, mu: f64) -> (f64, f64) {
    let ln_pmf = ln_poisson_pmf(n, mu);
    if mu < n + 2.0 {
        let le = ln_b_eclipse_series(n, mu);
        (ln_complement(ln_pmf, le), le)
    } else {
        let lp = ln_b_peak_cf(n, mu);
        (lp, ln_complement(ln_pmf, lp))
    }
}

/// `log10 B_peak(N, μ)` (paper eq. 6 with K = 1). Panics never; returns NaN for μ ≤ 0 or NaN.
pub fn log10_b_peak(n: u64, mu: f64) -> f64 {
    if !(mu > 0.0) || !mu.is_finite() {
        return f64::NAN;
    }
    ln_bayes_factors(n as f64, mu).0 / LN_10
}

/// `log10 B_eclipse(N, μ)` (paper eq. 7 with K′ = 1). Returns NaN for μ ≤ 0 or NaN.
pub fn log10_b_eclipse(n: u64, mu: f64) -> f64 {
    if !(mu > 0.0) || !mu.is_finite() {
        return f64::NAN;
    }
    ln_bayes_factors(n as f64, mu).1 / LN_10
}

/// `ln P(a, x)` and `ln Q(a, x)` for integer `a = n + 1 ≥ 1`, x > 0 — the regularized incomplete
/// gamma functions in log space, derived from the Bayes factors.
pub fn ln_gamma_pq(n: f64, x: f64) -> (f64, f64) {
    let ln_pmf = ln_poisson_pmf(n, x);
    let (lp, le) = ln_bayes_factors(n, x);
    (le + ln_pmf, lp + ln_pmf)
}

// ---------------------------------------------------------------------------------------------
// Thresholds and σ-equivalents
// ---------------------------------------------------------------------------------------------

/// The real-valued count that departs by `s` Gaussian σ from μ (eq. 8 solved for N):
/// `(2μ + s² ± √(8μs² + s⁴)) / 2`, `+` for peaks and `−` for eclipses.
pub fn gaussian_count(mu: f64, s: f64, peak: bool) -> f64 {
    let r = (8.0 * mu * s * s + s.powi(4)).sqrt();
    if peak {
        (2.0 * mu + s * s + r) / 2.0
    } else {
        (2.0 * mu + s * s - r) / 2.0
    }
}

/// Eq. 8: `(N − μ)/√(N + μ)`.
pub fn gaussian_sigma(n: f64, mu: f64) -> f64 {
    (n - mu) / (n + mu).sqrt()
}

/// The pair of log10 Bayes-factor thresholds equivalent to a Gaussian `sigma` departure at μ = 1000
/// (paper eqs. 8–10): `log10 B_peak(⌈N+⌉, 1000)` and `log10 B_eclipse(⌊N−⌋, 1000)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Thresholds {
    /// The σ this pair is equivalent to.
    pub sigma: f64,
    /// log10 B_peak threshold.
    pub peak: f64,
    /// log10 B_eclipse threshold.
    pub eclipse: f64,
}

impl Thresholds {
    /// Thresholds for any σ > 0. Eclipse thresholds exist for σ < √1000 ≈ 31.6 (beyond, no count
    /// at μ = 1000 is that far below); the eclipse threshold is then +∞.
    pub fn for_sigma(sigma: f64) -> Result<Self, StatsError> {
        if !(sigma.is_finite() && sigma > 0.0 && sigma <= 1000.0) {
            return Err(StatsError::Domain {
                what: "sigma",
                value: sigma,
                expected: "0 < sigma <= 1000",
            });
        }
        let mu = MU_CALIBRATION;
        let np = gaussian_count(mu, sigma, true).ceil();
        let ne = gaussian_count(mu, sigma, false).floor();
        let peak = log10_b_peak(np as u64, mu);
        let eclipse = if ne >= 0.0 {
            log10_b_eclipse(ne as u64, mu)
        } else {
            f64::INFINITY
        };
        Ok(Thresholds {
            sigma,
            peak,
            eclipse,
        })
    }
}

/// σ-equivalent of a peak factor: the largest σ whose peak threshold `log10_b` reaches.
///
/// With `m` the largest count such that `log10 B_peak(m, 1000) ≤ log10_b`, this is
/// `(m − 1000)/√(m + 1000)`, clamped at 0. It is the exact inverse of [`Thresholds::for_sigma`]:
/// `sigma_equivalent_peak(L) ≥ s ⇔ L ≥ Thresholds::for_sigma(s).peak`. Its resolution is one
/// count at μ = 1000 (≈ 0.02 σ near 3σ).
pub fn sigma_equivalent_peak(log10_b: f64) -> f64 {
    if log10_b.is_nan() {
        return f64::NAN;
    }
    let mu = MU_CALIBRATION;
    let f = |n: u64| log10_b_peak(n, mu);
    // f is increasing in n; f(1000) ≈ 1.6. Find the largest n with f(n) ≤ L.
    if f(mu as u64) > log10_b {
        return 0.0;
    }
    if log10_b == f64::INFINITY {
        return f64::INFINITY;
    }
    let mut lo = mu as u64; // f(lo) ≤ L
    let mut hi = lo * 2;
    while f(hi) <= log10_b {
        lo = hi;
        hi *= 2;
        if hi > (1u64 << 50) {
            return f64::INFINITY;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if f(mid) <= log10_b {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    gaussian_sigma(lo as f64, mu).max(0.0)
}

/// σ-equivalent of an eclipse factor: `(1000 − m)/√(m + 1000)` with `m` the smallest count such
/// that `log10 B_eclipse(m, 1000) ≤ log10_b`; exact inverse of the eclipse threshold. At most
/// √1000 ≈ 31.6 (N = 0 at μ = 1000).
pub fn sigma_equivalent_eclipse(log10_b: f64) -> f64 {
    if log10_b.is_nan() {
        return f64::NAN;
    }
    let mu = MU_CALIBRATION;
    let f = |n: u64| log10_b_eclipse(n, mu);
    // f is decreasing in n. Smallest n in [0, 1000] with f(n) ≤ L.
    if f(mu as u64) > log10_b {
        return 0.0;
    }
    if f(0) <= log10_b {
        return gaussian_sigma(0.0, -mu);
    }
    let (mut lo, mut hi) = (0u64, mu as u64); // f(lo) > L, f(hi) ≤ L
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if f(mid) <= log10_b {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (-gaussian_sigma(hi as f64, mu)).max(0.0)
}

/// σ-equivalents of a cell `(N, μ)`: `(peak, eclipse)`.
pub fn sigma_equivalents(n: u64, mu: f64) -> (f64, f64) {
    (
        sigma_equivalent_peak(log10_b_peak(n, mu)),
        sigma_equivalent_eclipse(log10_b_eclipse(n, mu)),
    )
}

// ---------------------------------------------------------------------------------------------
// Exact decision boundaries
// ---------------------------------------------------------------------------------------------

/// Which decision rule turns Bayes factors into flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Rule {
    /// The paper's rule: a peak when `log10 B_peak(N, μ) ≥ threshold`, an eclipse when
    /// `log10 B_eclipse(N, μ) ≥ threshold`, for every μ.
    #[default]
    Exact,
    /// What EXOD2 does (exod2-reference §6.3): a peak needs one count more than the exact rule;
    /// above μ = 1000 both decisions use the Gaussian counts (`N > ⌈N+⌉`, `N < ⌊N−⌋`).
    Exod2Parity,
}

/// The σ-equivalent of the statistic `rule` thresholds for `n` counts given μ, so that
/// `decision_sigma(rule, n, μ, kind) ≥ s` exactly when `rule` at `s` σ flags the (cell, frame):
/// * `Exact`: the σ-equivalent of `log10 B(n, μ)` (eqs. 6–10);
/// * `Exod2Parity`, μ ≤ 1000: peaks are thresholded on `n − 1` counts, eclipses on `n`;
/// * `Exod2Parity`, μ > 1000: the Gaussian σ of eq. 8 at `n − 1` (peaks) or `n + 1` (eclipses),
///   the integer rounding of `N > ⌈N+⌉`, `N < ⌊N−⌋`.
pub fn decision_sigma(rule: Rule, n: u64, mu: f64, peak: bool) -> f64 {
    let exact = |n: u64| {
        if peak {
            sigma_equivalent_peak(log10_b_peak(n, mu))
        } else {
            sigma_equivalent_eclipse(log10_b_eclipse(n, mu))
        }
    };
    match rule {
        Rule::Exact => exact(n),
        Rule::Exod2Parity if mu > MU_CALIBRATION => {
            if peak {
                gaussian_sigma(n as f64 - 1.0, mu)
            } else {
                -gaussian_sigma(n as f64 + 1.0, mu)
            }
        }
        Rule::Exod2Parity if peak => {
            if n == 0 {
                f64::NEG_INFINITY
            } else {
                exact(n - 1)
            }
        }
        Rule::Exod2Parity => exact(n),
    }
}

/// Exact integer decision boundaries for one threshold pair: per count N, the largest μ at which
/// N is a peak and the smallest μ at which N is an eclipse. A decision is then one comparison,
/// identical to evaluating the Bayes factor (up to the last floating-point bit of the root).
///
/// The table covers `N < n_table`; larger N (rare: bright sources at long t_bin) are decided by
/// direct evaluation, so results never depend on the table size.
#[derive(Debug, Clone)]
pub struct Boundaries {
    thresholds: Thresholds,
    rule: Rule,
    /// `peak_mu_max[N]`: N is a peak ⇔ μ ≤ peak_mu_max[N] (0 when N can never be a peak).
    peak_mu_max: Vec<f64>,
    /// `eclipse_mu_min[N]`: N is an eclipse ⇔ μ ≥ eclipse_mu_min[N].
    eclipse_mu_min: Vec<f64>,
}

/// Bisect over f64 bit patterns (positive numbers order like their bits) until lo and hi are
/// adjacent floats; `pred(lo)` true and `pred(hi)` false on entry and on exit.
fn bisect_bits(mut lo: f64, mut hi: f64, pred: impl Fn(f64) -> bool) -> (f64, f64) {
    debug_assert!(lo > 0.0 && hi > lo);
    loop {
        let (bl, bh) = (lo.to_bits(), hi.to_bits());
        if bh - bl <= 1 {
            return (lo, hi);
        }
        let mid = f64::from_bits(bl + (bh - bl) / 2);
        if pred(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
}

/// The first n ≥ 0 for which a monotone (false…false true…true) predicate holds, by galloping
/// then bisection: O(log n) evaluations.
fn first_true(pred: impl Fn(u64) -> bool) -> u64 {
    if pred(0) {
        return 0;
    }
    let (mut lo, mut hi) = (0u64, 1u64); // pred(lo) false
    while !pred(hi) {
        lo = hi;
        hi = hi.saturating_mul(2);
        if hi == u64::MAX {
            return u64::MAX;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

const MU_MIN: f64 = 1e-300;
const MU_MAX: f64 = 1e300;

/// Largest μ with `log10 B_peak(n, μ) ≥ thr` (B_peak non-increasing in μ), 0 if none.
fn peak_root(n: u64, thr: f64) -> f64 {
    let ok = |mu: f64| log10_b_peak(n, mu) >= thr;
    if n == 0 || !ok(MU_MIN) {
        return 0.0;
    }
    // bracket in log μ, starting from a Gaussian guess
    let guess = (n as f64 / 2.0).max(1e-3);
    let (mut lo, mut hi) = (guess, guess);
    if ok(guess) {
        hi = guess * 2.0;
        while ok(hi) {
            lo = hi;
            hi *= 2.0;
        }
    } else {
        lo = guess / 2.0;
        while !ok(lo) {
            hi = lo;
            lo /= 2.0;
            if lo < MU_MIN {
                return 0.0;
            }
        }
    }
    bisect_bits(lo, hi, ok).0
}

/// Smallest μ with `log10 B_eclipse(n, μ) ≥ thr` (B_eclipse increasing in μ).
fn eclipse_root(n: u64, thr: f64) -> f64 {
    if thr == f64::INFINITY {
        return f64::INFINITY;
    }
    let ok = |mu: f64| log10_b_eclipse(n, mu) >= thr;
    let guess = (n as f64 + 1.0) * 2.0;
    let (mut lo, mut hi) = (guess, guess);
    if ok(guess) {
        lo = guess / 2.0;
        while ok(lo) {
            hi = lo;
            lo /= 2.0;
        }
    } else {
        hi = guess * 2.0;
        while !ok(hi) {
            lo = hi;
            hi *= 2.0;
            if hi > MU_MAX {
                return f64::INFINITY;
            }
        }
    }
    // pred true below the root: invert
    bisect_bits(lo, hi, |mu| !ok(mu)).1
}

impl Boundaries {
    /// Tabulate boundaries for counts `0..n_table` (≥ 1). Costs ~100 Bayes-factor evaluations per
    /// count; 10,000 counts take a fraction of a second.
    pub fn new(thresholds: Thresholds, rule: Rule, n_table: usize) -> Self {
        use rayon::prelude::*;
        let n_table = n_table.max(1);
        let (peak_mu_max, eclipse_mu_min): (Vec<f64>, Vec<f64>) = (0..n_table as u64)
            .into_par_iter()
            .map(|n| {
                (
                    peak_root(n, thresholds.peak),
                    eclipse_root(n, thresholds.eclipse),
                )
            })
            .unzip();
        Boundaries {
            thresholds,
            rule,
            peak_mu_max,
            eclipse_mu_min,
        }
    }

    /// The thresholds these boundaries implement.
    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// The decision rule.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// Number of tabulated counts.
    pub fn n_table(&self) -> usize {
        self.peak_mu_max.len()
    }

    #[inline]
    fn exact_peak(&self, n: u64, mu: f64) -> bool {
        match self.peak_mu_max.get(n as usize) {
            Some(&m) => mu <= m,
            None => log10_b_peak(n, mu) >= self.thresholds.peak,
        }
    }

    #[inline]
    fn exact_eclipse(&self, n: u64, mu: f64) -> bool {
        match self.eclipse_mu_min.get(n as usize) {
            Some(&m) => mu >= m,
            None => log10_b_eclipse(n, mu) >= self.thresholds.eclipse,
        }
    }

    /// Is `N` counts a significant peak at expectation μ? False for μ ≤ 0 or NaN.
    #[inline]
    pub fn is_peak(&self, n: u64, mu: f64) -> bool {
        if !(mu > 0.0) {
            return false;
        }
        match self.rule {
            Rule::Exact => self.exact_peak(n, mu),
            Rule::Exod2Parity => {
                if mu > MU_CALIBRATION {
                    n as f64 > gaussian_count(mu, self.thresholds.sigma, true).ceil()
                } else {
                    n >= 1 && self.exact_peak(n - 1, mu)
                }
            }
        }
    }

    /// Is `N` counts a significant eclipse at expectation μ? False for μ ≤ 0 or NaN.
    #[inline]
    pub fn is_eclipse(&self, n: u64, mu: f64) -> bool {
        if !(mu > 0.0) {
            return false;
        }
        match self.rule {
            Rule::Exod2Parity if mu > MU_CALIBRATION => {
                (n as f64) < gaussian_count(mu, self.thresholds.sigma, false).floor()
            }
            _ => self.exact_eclipse(n, mu),
        }
    }

    /// The smallest N that is a peak at μ (`u64::MAX` if μ is not a valid expectation).
    pub fn min_peak_count(&self, mu: f64) -> u64 {
        if !(mu > 0.0) || !mu.is_finite() {
            return u64::MAX;
        }
        first_true(|n| self.is_peak(n, mu))
    }

    /// The largest N that is an eclipse at μ, or `None` if even N = 0 is not.
    pub fn max_eclipse_count(&self, mu: f64) -> Option<u64> {
        if !self.is_eclipse(0, mu) {
            return None;
        }
        Some(first_true(|n| !self.is_eclipse(n, mu)) - 1)
    }

    /// The smallest μ at which N = 0 is an eclipse: below it no cell can be an eclipse, which
    /// lets the detector skip every cell with a smaller expectation.
    pub fn min_eclipse_mu(&self) -> f64 {
        self.eclipse_mu_min
            .first()
            .copied()
            .unwrap_or(f64::INFINITY)
    }
}

// ---------------------------------------------------------------------------------------------
// Amplitude estimation (eqs. 11–12, Appendix A)
// ---------------------------------------------------------------------------------------------

/// Quantiles of the transient amplitude (in counts) under a flat prior.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Amplitude {
    /// 16 % quantile.
    pub p16: f64,
    /// Median.
    pub p50: f64,
    /// 84 % quantile.
    pub p84: f64,
}

/// ln(e^a + e^b).
fn ln_add_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// Solve `g(x) = target` for x in (lo, hi) where g is monotone (increasing if `increasing`),
/// by bisection in x (log-spaced where the bracket spans decades). Precision ~1e-12 relative.
fn solve_monotone(
    g: impl Fn(f64) -> f64,
    target: f64,
    mut lo: f64,
    mut hi: f64,
    increasing: bool,
) -> f64 {
    for _ in 0..400 {
        let mid = if lo > 0.0 && hi / lo > 4.0 {
            (lo * hi).sqrt()
        } else {
            0.5 * (lo + hi)
        };
        if mid <= lo || mid >= hi {
            break;
        }
        let v = g(mid);
        if (v < target) == increasing {
            lo = mid;
        } else {
            hi = mid;
        }
        if (hi - lo) <= 1e-13 * hi.abs() {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Peak-amplitude quantile `UL_peak(f)` of eq. 11: the s ≥ 0 below which the amplitude lies with
/// probability f, `P(N+1, μ+s) = P(N+1, μ) + f·Q(N+1, μ)`. Solved in log space (on Q where
/// Q is small) so it works when Q(N+1, μ) underflows.
pub fn peak_amplitude_quantile(n: u64, mu: f64, f: f64) -> Result<f64, StatsError> {
    check_mu(mu)?;
    check_fraction(f)?;
    let nf = n as f64;
    let (lp_mu, lq_mu) = ln_gamma_pq(nf, mu);
    // target upper tail: Q(N+1, x) = (1 − f) Q(N+1, μ)
    let ln_tq = (1.0 - f).ln() + lq_mu;
    let ln_tp = ln_add_exp(lp_mu, f.ln() + lq_mu); // = ln(P + fQ)
    let use_q = ln_tq < (0.5f64).ln();
    let g = |x: f64| {
        let (lp, lq) = ln_gamma_pq(nf, x);
        if use_q {
            lq
        } else {
            lp
        }
    };
    // bracket: x ∈ (μ, hi); the posterior of μ+s is a Gamma(N+1) truncated at μ.
    let mut hi = (mu + nf + 1.0) * 2.0 + 10.0;
    let target = if use_q { ln_tq } else { ln_tp };
    let inc = !use_q;
    while (g(hi) < target) == inc {
        hi *= 2.0;
    }
    let x = solve_monotone(g, target, mu, hi, inc);
    Ok((x - mu).max(0.0))
}

/// Eclipse-amplitude quantile `UL_eclipse(f)` of eq. 12: `μ − x` with
/// `P(N+1, x) = (1 − f)·P(N+1, μ)`, x ∈ (0, μ].
pub fn eclipse_amplitude_quantile(n: u64, mu: f64, f: f64) -> Result<f64, StatsError> {
    check_mu(mu)?;
    check_fraction(f)?;
    let nf = n as f64;
    let (lp_mu, _) = ln_gamma_pq(nf, mu);
    let target = (1.0 - f).ln() + lp_mu;
    let g = |x: f64| ln_gamma_pq(nf, x).0;
    let lo = mu * 1e-300_f64.max(f64::MIN_POSITIVE);
    let x = solve_monotone(g, target, lo, mu, true);
    Ok((mu - x).clamp(0.0, mu))
}

fn check_fraction(f: f64) -> Result<(), StatsError> {
    if f > 0.0 && f < 1.0 {
        Ok(())
    } else {
        Err(StatsError::Domain {
            what: "f",
            value: f,
            expected: "a probability strictly between 0 and 1",
        })
    }
}

/// 16/50/84 % quantiles of the peak amplitude (eq. 11).
pub fn peak_amplitude(n: u64, mu: f64) -> Result<Amplitude, StatsError> {
    Ok(Amplitude {
        p16: peak_amplitude_quantile(n, mu, 0.16)?,
        p50: peak_amplitude_quantile(n, mu, 0.50)?,
        p84: peak_amplitude_quantile(n, mu, 0.84)?,
    })
}

/// 16/50/84 % quantiles of the eclipse amplitude (eq. 12).
pub fn eclipse_amplitude(n: u64, mu: f64) -> Result<Amplitude, StatsError> {
    Ok(Amplitude {
        p16: eclipse_amplitude_quantile(n, mu, 0.16)?,
        p50: eclipse_amplitude_quantile(n, mu, 0.50)?,
        p84: eclipse_amplitude_quantile(n, mu, 0.84)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_pmf_matches_direct_form_where_that_is_accurate() {
        for &(n, mu) in &[
            (0.0, 3.0),
            (1.0, 0.5),
            (10.0, 10.0),
            (50.0, 20.0),
            (200.0, 180.0),
        ] {
            let direct = n * f64::ln(mu) - mu - ln_gamma(n + 1.0);
            assert!((ln_poisson_pmf(n, mu) - direct).abs() < 1e-11, "{n} {mu}");
        }
    }

    #[test]
    fn complementary_factors_sum_to_inverse_pmf() {
        // B_peak + B_eclipse = 1/Pois on both sides of the series/CF switch.
        for &(n, mu) in &[(5.0, 6.9), (5.0, 7.1), (100.0, 90.0), (100.0, 120.0)] {
            let (lp, le) = ln_bayes_factors(n, mu);
            let sum = lp.exp() + le.exp();
            let inv = (-ln_poisson_pmf(n, mu)).exp();
            assert!((sum / inv - 1.0).abs() < 1e-12, "{n} {mu}: {sum} vs {inv}");
        }
    }
}
