//! Goodness of fit.
//!
//! * χ²: the null-hypothesis probability `Q(dof/2, χ²/2)` (regularised upper incomplete gamma).
//! * C-stat: Kaastra (2017, A&A 605, A51): for Poisson data drawn from the best-fit model, the
//!   expected value `C_e = Σ_i E[c(μ_i)]` and variance `C_v = Σ_i Var[c(μ_i)]` of the statistic,
//!   `c(μ) = 2(μ − k + k ln(k/μ))` with `k ~ Poisson(μ)` (his eqs. 4–6). Here both are computed
//!   exactly per bin by summing the Poisson series (Kaastra's eqs. 8–22 are approximations of these
//!   sums); `z = (C − C_e)/√C_v` and the one-sided probability `P(Z ≥ z)` of a normal Z. As Kaastra
//!   notes, this ignores the fitted parameters (a few units of C), so it is approximate for few bins.
//! * Parametric bootstrap: simulate Poisson spectra from the best fit, refit each, and report the
//!   fraction of simulated statistics ≥ the observed one (seeded ChaCha8; deterministic).

use serde::Serialize;
use statrs::function::gamma::ln_gamma;

use crate::stats::ln_gamma_pq;

/// `Q(dof/2, χ²/2)`: the probability of a χ² ≥ `chi2` with `dof` degrees of freedom (NaN for dof 0).
pub fn chi2_q(chi2: f64, dof: usize) -> f64 {
    if dof == 0 || !chi2.is_finite() {
        return f64::NAN;
    }
    if chi2 <= 0.0 {
        return 1.0;
    }
    // ln_gamma_pq(n, x) is P and Q of a = n + 1
    ln_gamma_pq(0.5 * dof as f64 - 1.0, 0.5 * chi2).1.exp()
}

/// Mean and variance of `c(μ) = 2(μ − k + k ln(k/μ))`, `k ~ Poisson(μ)`, by direct summation.
pub fn cstat_moments(mu: f64) -> (f64, f64) {
    if !(mu > 0.0) {
        return (0.0, 0.0);
    }
    let sd = mu.sqrt();
    let k_hi = (mu + 40.0 + 12.0 * sd).ceil() as u64;
    let k_lo = (mu - 12.0 * sd - 40.0).max(0.0).floor() as u64;
    let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
    let lmu = mu.ln();
    for k in k_lo..=k_hi {
        let kf = k as f64;
        let p = (kf * lmu - mu - ln_gamma(kf + 1.0)).exp();
        let c = if k == 0 {
            2.0 * mu
        } else {
            2.0 * (mu - kf + kf * (kf / mu).ln())
        };
        s0 += p;
        s1 += p * c;
        s2 += p * c * c;
    }
    let mean = s1 / s0;
    (mean, (s2 / s0 - mean * mean).max(0.0))
}

/// Kaastra (2017) calibration of an observed C-stat.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KaastraGoodness {
    /// Expected C for data drawn from the best-fit model.
    pub expected: f64,
    /// Its variance.
    pub variance: f64,
    /// `(C − expected)/√variance`.
    pub z: f64,
    /// `P(Z ≥ z)` for a standard normal Z: small when the fit is poor.
    pub probability: f64,
}

/// Kaastra's calibration of `c_obs` for model counts `model` per bin.
pub fn kaastra(c_obs: f64, model: &[f64]) -> KaastraGoodness {
    let (mut e, mut v) = (0.0, 0.0);
    for &m in model {
        let (a, b) = cstat_moments(m);
        e += a;
        v += b;
    }
    let z = (c_obs - e) / v.sqrt();
    KaastraGoodness {
        expected: e,
        variance: v,
        z,
        probability: 0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2),
    }
}

/// Parametric-bootstrap goodness.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapGoodness {
    /// Simulations run.
    pub n_sims: usize,
    /// Fraction of simulated statistics ≥ the observed one.
    pub fraction_ge: f64,
    /// Mean of the simulated statistics.
    pub mean: f64,
    /// Seed used.
    pub seed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi2_q_matches_statrs_for_even_and_odd_dof() {
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        for dof in [1usize, 2, 3, 7, 40, 399] {
            for x in [0.3, 1.0, 5.0, 30.0, 420.0] {
                let want = 1.0 - ChiSquared::new(dof as f64).unwrap().cdf(x);
                let got = chi2_q(x, dof);
                assert!(
                    (got - want).abs() < 1e-9 * want.max(1e-300) + 1e-14,
                    "dof {dof} x {x}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn cstat_moments_match_monte_carlo_and_the_large_mu_limit() {
        // large μ: E[c] → 1 + 1/(6μ) (Kaastra 2017 eq. 8 leading terms), Var → 2
        let (e, v) = cstat_moments(1e4);
        assert!((e - 1.0).abs() < 1e-3 && (v - 2.0).abs() < 1e-2, "{e} {v}");
        // small μ: against a direct simulation
        use rand::SeedableRng;
        use rand_distr::Distribution;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for mu in [0.1, 1.0, 4.0] {
            let pois = rand_distr::Poisson::new(mu).unwrap();
            let n = 200_000;
            let (mut s1, mut s2) = (0.0, 0.0);
            for _ in 0..n {
                let k: f64 = pois.sample(&mut rng);
                let c = super::super::super::stat::cstat_bin(k, mu);
                s1 += c;
                s2 += c * c;
            }
            let m = s1 / n as f64;
            let var = s2 / n as f64 - m * m;
            let (e, v) = cstat_moments(mu);
            assert!(
                (e - m).abs() < 4.0 * (var / n as f64).sqrt(),
                "μ {mu}: {e} vs {m}"
            );
            assert!((v - var).abs() < 0.03 * var, "μ {mu}: {v} vs {var}");
        }
    }
}
