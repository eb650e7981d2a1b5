//! Low-count statistics of an aperture with a known background: the Bayesian upper limit and
//! interval of the source counts (Kraft, Burrows & Nousek 1991, ApJ 374, 344, "KBN") and the
//! Poisson probability of the counts from background alone.
//!
//! With N counts in the aperture and an expected background b (known: b = r·B from the
//! annulus), a flat prior on the source counts s ≥ 0 gives the posterior (KBN eq. 7)
//! `p(s | N, b) = e^−(s+b) (s+b)^N / (N! · Q(N+1, b))`, whose integral is closed-form:
//! `∫₀^s p = 1 − Q(N+1, s+b) / Q(N+1, b)` (Q the regularised upper incomplete gamma).
//!
//! * [`kbn_upper_limit`]: s_UL with `∫₀^{s_UL} p = CL` (one-sided; N = 0 gives −ln(1 − CL)
//!   whatever b: 2.303 at 90 %, 4.605 at 99 %, 6.608 at 3σ = 99.865 %);
//! * [`kbn_interval`]: the shortest (highest-posterior-density) interval holding CL, KBN's
//!   choice (their eqs. 8–9; from [`crate::timing::lightcurve`]);
//! * [`p_background`]: `P(X ≥ N | b) = P(N, b)` (regularised lower incomplete gamma; 1 for
//!   N = 0), the false-alarm probability of the detection test.
//!
//! The background's own uncertainty (B is itself Poisson) is neglected, as in KBN: with the
//! default 60″–150″ annulus the background area is ≈ 30× the aperture's, so its relative
//! error on b is ≈ 1/√(30 b) and matters only for b ≲ 0.1.

use crate::stats::ln_gamma_pq;
use crate::timing::lightcurve::{bisect, ln_q};
pub use crate::timing::lightcurve::{kbn_interval, ONE_SIGMA};

use super::PhotometryError;

fn check(b: f64, cl: f64) -> Result<(), PhotometryError> {
    if !(b.is_finite() && b >= 0.0) {
        return Err(PhotometryError::Param(format!(
            "background {b}: expected a non-negative number of counts"
        )));
    }
    if !(cl > 0.0 && cl < 1.0) {
        return Err(PhotometryError::Param(format!(
            "confidence level {cl}: expected a number in (0, 1)"
        )));
    }
    Ok(())
}

/// The KBN upper limit s_UL on the source counts: `∫₀^{s_UL} p(s | n, b) ds = cl` (module docs).
pub fn kbn_upper_limit(n: u64, b: f64, cl: f64) -> Result<f64, PhotometryError> {
    check(b, cl)?;
    let lq_b = ln_q(n, b);
    // 1 − Q(n+1, s+b)/Q(n+1, b) − cl, increasing in s; compared in log space for cl near 1
    let ln_tail = (1.0 - cl).ln();
    let f = |s: f64| ln_tail - (ln_q(n, s + b) - lq_b);
    let nf = n as f64;
    let mut hi = nf + 10.0 * (nf + 1.0).sqrt() + 10.0;
    while f(hi) < 0.0 {
        hi *= 2.0;
    }
    Ok(bisect(0.0, hi, f))
}

/// `P(X ≥ n)` for X ~ Poisson(b): the probability of at least `n` counts from background alone.
pub fn p_background(n: u64, b: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    if b.is_nan() || b <= 0.0 {
        return 0.0;
    }
    // ln_gamma_pq(m, x) gives ln P(m+1, x); P(X ≥ n) = P(n, b)
    ln_gamma_pq((n - 1) as f64, b).0.exp()
}

/// The one-sided Gaussian tail probability of `sigma`: `½ erfc(σ/√2)` (1.35 × 10⁻³ at 3σ).
pub fn one_sided_p(sigma: f64) -> f64 {
    0.5 * libm::erfc(sigma / std::f64::consts::SQRT_2)
}

/// The confidence level of a one-sided `sigma` limit: `1 − ½ erfc(σ/√2)` (0.99865 at 3σ).
pub fn one_sided_cl(sigma: f64) -> f64 {
    1.0 - one_sided_p(sigma)
}
