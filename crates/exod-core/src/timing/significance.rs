//! False-alarm probabilities, detection levels and pulsed-fraction upper limits of the
//! periodicity searches, in log space so that nothing underflows for huge powers.
//!
//! # Null distributions (no signal, Poisson events)
//! | statistic | null distribution |
//! |---|---|
//! | Z²ₙ | χ²_{2n} (Buccheri et al. 1983) |
//! | epoch folding χ² of `nbin` bins | χ²_{nbin−1} (Leahy et al. 1983, ApJ 266, 160) |
//! | Leahy power averaged over M segments, `P̄` | `M·P̄ ~ χ²_{2M}` (each Leahy power is χ²₂, their sum over M segments χ²_{2M}; van der Klis 1989) |
//! | Lomb–Scargle (standard normalisation) | Baluev (2008), in [`super::lomb`] |
//!
//! χ² tails are `Q(k/2, x/2)` from [`crate::stats::ln_gamma_pq`] (log space, valid for integer
//! and half-integer `k`).
//!
//! # Multi-trial probability
//! For `n` independent trials, `p_multi = 1 − (1 − p)ⁿ`, computed as `−expm1(n·ln1p(−p))`, and
//! as `ln n + ln p` once `p` underflows (`n·p ≪ 1` there). For oversampled χ² periodograms
//! (Z², epoch folding), which are continuous processes in frequency, [`ChiSquareProcess`]
//! counts the expected up-crossings of the level instead (Rice 1944; Baluev 2008 eq. 6):
//! `p_multi = 1 − (1 − p)·e^{−N(u)}`, `N(u) = B √(2/π) √(λ̄u) p_{χ²_k}(u)`.
//!
//! # Detection levels
//! 3σ and 5σ are the two-sided Gaussian probabilities `erfc(3/√2) = 2.6998e-3` ([`FAP_3SIGMA`],
//! the "0.27 %" of the issue) and `erfc(5/√2) = 5.733e-7` ([`FAP_5SIGMA`]), used as one-sided
//! multi-trial false-alarm probabilities: the power at the 3σ level is the one whose multi-trial
//! false-alarm probability is 2.7e-3.
//!
//! # Upper limits on the pulsed fraction (Brazier 1994, MNRAS 268, 709; Vaughan et al. 1994,
//! ApJ 435, 362, §5)
//! For events with rate `∝ 1 + p·sin(2πft + φ)` (the *pulsed fraction* `p`, the semi-amplitude
//! relative to the mean), `Σ_j e^{iφ_j}` has mean `N·p/2` (modulus), so Z²ₙ is distributed as a
//! non-central `χ²_{2n}(λ)` with `λ = N p²/2` and `E[Z²ₙ] = 2n + N p²/2` (checked by simulation
//! in the tests). Given the largest observed power `Z_obs` of the search, the upper limit at
//! confidence `C` is the signal `λ_UL` for which a power ≤ `Z_obs` would have been seen with
//! probability `1 − C`: `P(χ²_{2n}(λ_UL) ≤ Z_obs) = 1 − C` (λ_UL = 0 when even λ = 0 gives
//! less), and `p_UL = √(2λ_UL/N)`. The same construction for epoch folding uses
//! `λ = N p² sinc²(π/nbin)/2` (the sinusoid averaged over a phase bin, χ²_{nbin−1}) and for
//! the averaged Leahy spectrum `λ = N p² sinc²(π f dt)/2` (signal at a Fourier frequency,
//! `2M` degrees of freedom). The coverage of the Z² limit is checked by simulation.

// `!(x > 0.0)` is meant: it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use std::f64::consts::LN_10;

use crate::stats::ln_gamma_pq;

use super::period::TimingError;

/// Multi-trial false-alarm probability of a 3σ detection: `erfc(3/√2)`.
pub const FAP_3SIGMA: f64 = 2.699_796_063_260_207e-3;
/// Multi-trial false-alarm probability of a 5σ detection: `erfc(5/√2)`.
pub const FAP_5SIGMA: f64 = 5.733_031_437_583_878e-7;
/// Default confidence of the pulsed-fraction upper limits (3σ, `1 − FAP_3SIGMA`).
pub const DEFAULT_UL_CONFIDENCE: f64 = 1.0 - FAP_3SIGMA;

/// `ln P(χ²_k > x)` for `k > 0` degrees of freedom (0 for `x ≤ 0`).
pub fn chi2_ln_sf(dof: f64, x: f64) -> f64 {
    if !(x > 0.0) {
        return 0.0;
    }
    ln_gamma_pq(dof / 2.0 - 1.0, x / 2.0).1
}

/// `ln P(χ²_k ≤ x)`.
pub fn chi2_ln_cdf(dof: f64, x: f64) -> f64 {
    if !(x > 0.0) {
        return f64::NEG_INFINITY;
    }
    ln_gamma_pq(dof / 2.0 - 1.0, x / 2.0).0
}

/// `log10 P(χ²_k > x)`.
pub fn chi2_log10_sf(dof: f64, x: f64) -> f64 {
    chi2_ln_sf(dof, x) / LN_10
}

/// The `x` with `ln P(χ²_k > x) = ln_p` (`ln_p ≤ 0`), by bracketing and bisection to 1e-13
/// relative.
pub fn chi2_isf_ln(dof: f64, ln_p: f64) -> f64 {
    if ln_p >= 0.0 {
        return 0.0;
    }
    let mut hi = dof.max(1.0);
    while chi2_ln_sf(dof, hi) > ln_p {
        hi *= 2.0;
    }
    bisect(0.0, hi, |x| chi2_ln_sf(dof, x) > ln_p)
}

/// Bisection for the boundary of a predicate true at `lo` and false at `hi`.
fn bisect(mut lo: f64, mut hi: f64, below: impl Fn(f64) -> bool) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if below(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-13 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// `ln p_multi` for `n_trials` independent trials of single-trial `ln p` (`n_trials < 1`
/// counts as 1).
pub fn ln_multi_trial(ln_p_single: f64, n_trials: f64) -> f64 {
    let n = n_trials.max(1.0);
    if ln_p_single >= 0.0 {
        return 0.0;
    }
    if ln_p_single < -700.0 {
        return n.ln() + ln_p_single;
    }
    let p = ln_p_single.exp();
    let pm = -(n * (-p).ln_1p()).exp_m1();
    if pm > 0.0 {
        pm.ln().min(0.0)
    } else {
        n.ln() + ln_p_single
    }
}

/// `log10 p_multi` from `log10 p_single`.
pub fn log10_multi_trial(log10_p_single: f64, n_trials: f64) -> f64 {
    ln_multi_trial(log10_p_single * LN_10, n_trials) / LN_10
}

/// The single-trial `ln p` whose multi-trial probability is `ln p_multi`: the inverse of
/// [`ln_multi_trial`], `p = −expm1(ln1p(−p_multi)/n)`.
pub fn ln_single_trial_for(ln_p_multi: f64, n_trials: f64) -> f64 {
    let n = n_trials.max(1.0);
    if ln_p_multi < -700.0 {
        return ln_p_multi - n.ln();
    }
    let pm = ln_p_multi.exp().min(1.0);
    let p = -((-pm).ln_1p() / n).exp_m1();
    if p > 0.0 {
        p.ln()
    } else {
        ln_p_multi - n.ln()
    }
}

/// The power `P` whose multi-trial false-alarm probability is `fap_multi` when
/// `scale·P ~ χ²_dof` under the null hypothesis (Z²ₙ: scale 1, dof 2n; epoch folding: 1,
/// nbin − 1; Leahy average of M: M, 2M).
pub fn chi2_power_level(dof: f64, scale: f64, n_trials: f64, fap_multi: f64) -> f64 {
    chi2_isf_ln(dof, ln_single_trial_for(fap_multi.ln(), n_trials)) / scale
}

/// `P(χ'²_k(λ) ≤ x)`: the non-central χ² distribution function, as the Poisson mixture
/// `Σ_j Pois(j; λ/2) P(k/2 + j, x/2)`.
pub fn noncentral_chi2_cdf(dof: f64, lambda: f64, x: f64) -> f64 {
    if !(x > 0.0) {
        return 0.0;
    }
    if !(lambda > 0.0) {
        return chi2_ln_cdf(dof, x).exp();
    }
    let half = lambda / 2.0;
    let j_max = (half + 12.0 * half.sqrt() + 30.0).ceil() as usize;
    let j_min = (half - 12.0 * half.sqrt()).floor().max(0.0) as usize;
    (j_min..=j_max)
        .map(|j| {
            let ln_w = crate::stats::ln_poisson_pmf(j as f64, half);
            let ln_p = ln_gamma_pq(dof / 2.0 + j as f64 - 1.0, x / 2.0).0;
            (ln_w + ln_p).exp()
        })
        .sum::<f64>()
        .min(1.0)
}

/// The largest non-centrality `λ_UL ≥ 0` with `P(χ'²_dof(λ_UL) ≤ x_obs) = 1 − confidence`
/// (0 when even λ = 0 gives less): the upper limit on the signal part of a power `x_obs`.
pub fn noncentrality_upper_limit(
    dof: f64,
    x_obs: f64,
    confidence: f64,
) -> Result<f64, TimingError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(TimingError::param(format!(
            "upper-limit confidence {confidence} is outside (0, 1) (default 0.9973)"
        )));
    }
    if !(x_obs.is_finite() && x_obs >= 0.0) {
        return Err(TimingError::param(format!(
            "upper limit: observed power {x_obs} (expected a finite power ≥ 0)"
        )));
    }
    let target = 1.0 - confidence;
    if noncentral_chi2_cdf(dof, 0.0, x_obs) <= target {
        return Ok(0.0);
    }
    let mut hi = (x_obs + dof).max(1.0);
    while noncentral_chi2_cdf(dof, hi, x_obs) > target {
        hi *= 2.0;
    }
    Ok(bisect(0.0, hi, |l| {
        noncentral_chi2_cdf(dof, l, x_obs) > target
    }))
}

/// Upper limit on the sinusoidal pulsed fraction `p` (rate ∝ 1 + p sin) from the largest
/// observed Z²ₙ of a search of `n_events` events: `p_UL = √(2λ_UL/N)`, λ_UL from
/// [`noncentrality_upper_limit`] with 2n degrees of freedom.
pub fn z2_pulsed_fraction_upper_limit(
    z2_obs: f64,
    nharm: usize,
    n_events: usize,
    confidence: f64,
) -> Result<f64, TimingError> {
    let lambda = noncentrality_upper_limit(2.0 * nharm as f64, z2_obs, confidence)?;
    Ok((2.0 * lambda / n_events.max(1) as f64).sqrt())
}

/// `ln` of the χ²_k density at `u > 0`.
fn chi2_ln_pdf(dof: f64, u: f64) -> f64 {
    (0.5 * dof - 1.0) * u.ln()
        - 0.5 * u
        - 0.5 * dof * std::f64::consts::LN_2
        - statrs::function::gamma::ln_gamma(0.5 * dof)
}

/// A χ² periodogram seen as a random process in frequency, for its multi-trial
/// false-alarm probability by Rice's formula (see [`ChiSquareProcess::ln_fap`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquareProcess {
    /// Degrees of freedom of the statistic at one frequency (Z²ₙ: 2n; EF: nbin − 1).
    pub dof: f64,
    /// Mean squared harmonic number of its components (Z²ₙ: Σk²/n; see [`ef_mean_k2`]).
    pub mean_k2: f64,
    /// Variance of the observing times (s²), from the GTIs.
    pub var_t: f64,
    /// Width of the searched band (Hz).
    pub band_hz: f64,
}

impl ChiSquareProcess {
    /// The process of Z²ₙ.
    pub fn z2(nharm: usize, var_t: f64, band_hz: f64) -> ChiSquareProcess {
        let n = nharm as f64;
        ChiSquareProcess {
            dof: 2.0 * n,
            mean_k2: (n + 1.0) * (2.0 * n + 1.0) / 6.0,
            var_t,
            band_hz,
        }
    }

    /// `ln` of the expected number of up-crossings of level `u` over the band (Rice 1944):
    /// `N(u) = B · √(2/π) · √(λ̄ u) · p_{χ²_k}(u)`, `λ̄ = 4π² Var(t) ⟨k²⟩` the mean second
    /// spectral moment of the Gaussian components (exact for equal moments, an upper bound by
    /// Jensen's inequality otherwise).
    pub fn ln_upcrossings(&self, u: f64) -> f64 {
        let lambda = 4.0 * std::f64::consts::PI.powi(2) * self.var_t * self.mean_k2;
        self.band_hz.ln()
            + 0.5 * (2.0 / std::f64::consts::PI).ln()
            + 0.5 * (lambda * u).ln()
            + chi2_ln_pdf(self.dof, u)
    }

    /// `(ln p_single, ln p_multi)` of a power `u`: `p_multi = 1 − (1 − p_single)·e^{−N(u)}`
    /// (Baluev 2008 eq. 6, the "alias-free" approximation astropy uses for Lomb–Scargle, here
    /// for a χ²_k process).
    pub fn ln_fap(&self, u: f64) -> (f64, f64) {
        let ls = chi2_ln_sf(self.dof, u);
        if !(u > 0.0) || !(self.band_hz > 0.0) {
            return (ls, ls);
        }
        let ln_n = self.ln_upcrossings(u);
        let n = ln_n.exp();
        let ln_a = if ln_n < -20.0 {
            ln_n - 0.5 * n
        } else {
            (-(-n).exp_m1()).ln()
        };
        let ln_b = ls - n;
        let m = ln_a.max(ln_b);
        (
            ls,
            (m + ((ln_a - m).exp() + (ln_b - m).exp()).ln()).min(0.0),
        )
    }

    /// The effective number of trials at level `u`: `N(u)/p_single(u)` (at least 1).
    pub fn n_trials(&self, u: f64) -> f64 {
        if !(self.band_hz > 0.0) {
            return 1.0;
        }
        (self.ln_upcrossings(u) - chi2_ln_sf(self.dof, u))
            .exp()
            .max(1.0)
    }

    /// The power whose multi-trial probability is `fap_multi`.
    pub fn power_level(&self, fap_multi: f64) -> f64 {
        let target = fap_multi.ln();
        let mut hi = 2.0 * self.dof + 10.0;
        while self.ln_fap(hi).1 > target {
            hi *= 2.0;
        }
        bisect(self.dof, hi, |u| self.ln_fap(u).1 > target)
    }
}

/// `⟨k²⟩` of the `nbin − 1` components of an epoch-folding χ² (harmonics `1…⌊(nbin−1)/2⌋` in
/// pairs, plus the Nyquist harmonic `nbin/2` for even `nbin`).
pub fn ef_mean_k2(nbin: usize) -> f64 {
    let pairs = (nbin - 1) / 2;
    let mut s: f64 = (1..=pairs).map(|k| 2.0 * (k * k) as f64).sum();
    if nbin % 2 == 0 {
        s += ((nbin / 2) * (nbin / 2)) as f64;
    }
    s / (nbin - 1) as f64
}

/// `sin(x)/x`.
pub fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-8 {
        1.0
    } else {
        x.sin() / x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{ChiSquared, ContinuousCDF};

    #[test]
    fn chi2_tails_match_statrs_and_do_not_underflow() {
        for &k in &[1.0, 2.0, 3.0, 4.0, 15.0, 31.0, 200.0] {
            let d = ChiSquared::new(k).unwrap();
            for &x in &[0.1, 1.0, 3.0, 10.0, 30.0, 80.0] {
                let want = d.sf(x);
                let got = chi2_ln_sf(k, x).exp();
                assert!((got - want).abs() <= 1e-10 * want + 1e-300, "k={k} x={x}");
                let got = chi2_ln_cdf(k, x).exp();
                assert!((got - d.cdf(x)).abs() <= 1e-10 * d.cdf(x) + 1e-300);
            }
        }
        // χ²₂ tail is exactly e^{−x/2}, far below the smallest double
        assert!((chi2_log10_sf(2.0, 10_000.0) + 5000.0 / LN_10).abs() < 1e-9);
        assert_eq!(chi2_ln_sf(4.0, 0.0), 0.0);
    }

    #[test]
    fn inverse_tail_and_multi_trial() {
        for &k in &[2.0, 4.0, 15.0] {
            for &lp in &[-1.0, -10.0, -500.0] {
                let x = chi2_isf_ln(k, lp);
                assert!((chi2_ln_sf(k, x) - lp).abs() < 1e-9 * lp.abs());
            }
        }
        // 1 − (1 − p)^n for moderate p, n·p for tiny p, and the inverse
        let lm = ln_multi_trial(0.01f64.ln(), 10.0);
        assert!((lm.exp() - (1.0 - 0.99f64.powi(10))).abs() < 1e-15);
        assert!((ln_multi_trial(-800.0, 1e4) - (-800.0 + 1e4f64.ln())).abs() < 1e-12);
        assert_eq!(ln_multi_trial(-3.0, 0.5), -3.0);
        for &(lp, n) in &[(-3.0, 100.0), (-30.0, 1e5), (-900.0, 10.0)] {
            let back = ln_single_trial_for(ln_multi_trial(lp, n), n);
            assert!((back - lp).abs() < 1e-9 * lp.abs(), "{lp} {n}: {back}");
        }
        // the 3σ level of χ²₂ with 1 trial: e^{−x/2} = 2.7e-3
        let x = chi2_power_level(2.0, 1.0, 1.0, FAP_3SIGMA);
        assert!((x - (-2.0 * FAP_3SIGMA.ln())).abs() < 1e-9);
    }

    #[test]
    fn noncentral_cdf_matches_simulation_free_identities() {
        // λ = 0 is the central χ²; for k = 2 the mean of χ'² is k + λ: check through the
        // numerically integrated survival function ∫ P(X > x) dx = E[X].
        let (k, lambda) = (2.0, 7.0);
        let dx = 0.01;
        let mean: f64 = (0..20_000)
            .map(|i| (1.0 - noncentral_chi2_cdf(k, lambda, (i as f64 + 0.5) * dx)) * dx)
            .sum();
        assert!((mean - (k + lambda)).abs() < 1e-3, "{mean}");
        assert!(
            (noncentral_chi2_cdf(4.0, 0.0, 3.0) - ChiSquared::new(4.0).unwrap().cdf(3.0)).abs()
                < 1e-12
        );
        // the upper limit reproduces its defining probability
        let l = noncentrality_upper_limit(4.0, 9.0, 0.95).unwrap();
        assert!((noncentral_chi2_cdf(4.0, l, 9.0) - 0.05).abs() < 1e-9);
        assert_eq!(noncentrality_upper_limit(4.0, 0.05, 0.95).unwrap(), 0.0);
        assert!(noncentrality_upper_limit(4.0, 9.0, 1.0).is_err());
    }
}
