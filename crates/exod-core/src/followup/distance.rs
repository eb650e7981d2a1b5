//! Distance from a Gaia parallax.
//!
//! ## Zero point
//!
//! Gaia parallaxes are offset: the corrected parallax is `ϖ_c = ϖ − zp` (sign convention of
//! Lindegren et al. 2021, A&A 649, A4, §1: zp is the parallax a quasar shows, negative for
//! Gaia (E)DR3). Default `zp` = −0.017 mas, their global offset from quasars
//! ([`DEFAULT_ZERO_POINT_MAS`]); a source-dependent zp (their eqs. A.1–A.2 in G, colour and
//! ecliptic latitude) can be given instead through [`DistanceOptions::zero_point_mas`].
//!
//! ## Method
//!
//! With `f = σ_ϖ / ϖ_c`:
//!
//! * `0 < f < 0.1` ([`DEFAULT_MAX_FRACTIONAL_ERROR`]): inversion, `d = 1/ϖ_c` (1000 pc / mas),
//!   first-order error `σ_d = σ_ϖ / ϖ_c²`; lower/upper = `d ∓ σ_d`. Below 10 % the bias of
//!   the inverse and the asymmetry of its distribution are a few per cent (Bailer-Jones 2015,
//!   PASP 127, 994, §3, Fig. 4), within the first-order error.
//! * otherwise (f ≥ 0.1, or ϖ_c ≤ 0 with a finite positive error): the mode of the posterior
//!   with the exponentially decreasing space density prior (EDSD; Bailer-Jones 2015 eq. 17)
//!
//!   `P(r | ϖ, σ) ∝ r² e^{−r/L} exp(−(ϖ − 1/r)² / (2σ²))`, r > 0,
//!
//!   whose mode is the real root of the cubic (their eq. 19)
//!
//!   `r³/L − 2r² + (ϖ/σ²) r − 1/σ² = 0`
//!
//!   (r, L in kpc, ϖ, σ in mas; of several real positive roots the one of highest posterior),
//!   and lower/upper its 15.87 / 84.13 % quantiles computed by integrating the posterior
//!   numerically (trapezoid on a fine grid, inverted by linear interpolation; matches scipy
//!   quad to < 1e-5 relative, `tests/data/followup/edsd_oracle.csv`). L = 1.35 kpc by default
//!   ([`DEFAULT_LENGTH_SCALE_KPC`], Astraatmadja & Bailer-Jones 2016, ApJ 833, 119, the value
//!   fitted to the Milky Way model for the whole sky).
//! * a NaN parallax, or ϖ_c ≤ 0 without a usable error: no distance, with the reason.

use crate::error::CoreError;

/// Default parallax zero point (mas): Lindegren et al. 2021 global offset from quasars.
pub const DEFAULT_ZERO_POINT_MAS: f64 = -0.017;
/// Default EDSD length scale (kpc): Astraatmadja & Bailer-Jones 2016.
pub const DEFAULT_LENGTH_SCALE_KPC: f64 = 1.35;
/// Default largest fractional parallax error for plain inversion.
pub const DEFAULT_MAX_FRACTIONAL_ERROR: f64 = 0.1;

/// The quantile probabilities of ±1σ of a Gaussian: Φ(−1), Φ(1).
pub const Q16: f64 = 0.158_655_253_931_457_07;
/// Φ(1).
pub const Q84: f64 = 0.841_344_746_068_542_9;

/// Options of [`distance`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DistanceOptions {
    /// Parallax zero point (mas), ϖ_c = ϖ − zp. Default [`DEFAULT_ZERO_POINT_MAS`].
    pub zero_point_mas: f64,
    /// Largest σ_ϖ/ϖ_c for inversion. Default [`DEFAULT_MAX_FRACTIONAL_ERROR`].
    pub max_fractional_error: f64,
    /// EDSD length scale (kpc). Default [`DEFAULT_LENGTH_SCALE_KPC`].
    pub length_scale_kpc: f64,
}

impl Default for DistanceOptions {
    fn default() -> Self {
        DistanceOptions {
            zero_point_mas: DEFAULT_ZERO_POINT_MAS,
            max_fractional_error: DEFAULT_MAX_FRACTIONAL_ERROR,
            length_scale_kpc: DEFAULT_LENGTH_SCALE_KPC,
        }
    }
}

/// How a distance was obtained.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceMethod {
    /// 1/ϖ_c with the first-order error.
    Inversion,
    /// The mode of the EDSD posterior with its 16/84 % quantiles.
    Edsd {
        /// The length scale used (kpc).
        length_scale_kpc: f64,
    },
    /// No distance, and why.
    None {
        /// Why there is no distance.
        reason: String,
    },
}

/// A distance from a parallax (all NaN with [`DistanceMethod::None`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Distance {
    /// Distance (pc): 1/ϖ_c or the EDSD mode.
    pub distance_pc: f64,
    /// Lower bound (pc): d − σ_d or the 15.87 % quantile.
    pub lower_pc: f64,
    /// Upper bound (pc): d + σ_d or the 84.13 % quantile.
    pub upper_pc: f64,
    /// How.
    pub method: DistanceMethod,
    /// The zero point subtracted (mas).
    pub zero_point_mas: f64,
    /// The corrected parallax ϖ_c (mas).
    pub parallax_corrected_mas: f64,
    /// σ_ϖ / ϖ_c (NaN without error).
    pub fractional_error: f64,
}

impl Distance {
    /// Whether a distance was obtained.
    pub fn is_some(&self) -> bool {
        !matches!(self.method, DistanceMethod::None { .. })
    }

    /// The distance in cm (NaN without one).
    pub fn distance_cm(&self) -> f64 {
        self.distance_pc * super::PC_CM
    }
}

/// The distance of a source of parallax `parallax_mas` ± `error_mas` (module docs).
/// Errors only for options out of their domain (L ≤ 0, threshold ≤ 0, non-finite zp).
pub fn distance(
    parallax_mas: f64,
    error_mas: f64,
    opts: &DistanceOptions,
) -> Result<Distance, CoreError> {
    check_options(opts)?;
    let zp = opts.zero_point_mas;
    let w = parallax_mas - zp;
    let has_err = error_mas.is_finite() && error_mas > 0.0;
    let frac = if has_err { error_mas / w } else { f64::NAN };
    let none = |reason: String| Distance {
        distance_pc: f64::NAN,
        lower_pc: f64::NAN,
        upper_pc: f64::NAN,
        method: DistanceMethod::None { reason },
        zero_point_mas: zp,
        parallax_corrected_mas: w,
        fractional_error: frac,
    };
    if !parallax_mas.is_finite() {
        return Ok(none("no parallax (NaN)".into()));
    }
    if w > 0.0 && (!has_err || frac < opts.max_fractional_error) {
        let d = 1000.0 / w;
        let sd = if has_err { d * error_mas / w } else { 0.0 };
        return Ok(Distance {
            distance_pc: d,
            lower_pc: d - sd,
            upper_pc: d + sd,
            method: DistanceMethod::Inversion,
            zero_point_mas: zp,
            parallax_corrected_mas: w,
            fractional_error: frac,
        });
    }
    if !has_err {
        return Ok(none(format!(
            "corrected parallax {w} mas is not positive and has no error: no distance"
        )));
    }
    let l = opts.length_scale_kpc;
    let mode = edsd_mode_kpc(w, error_mas, l);
    let (q16, q84) = edsd_quantiles_kpc(w, error_mas, l, mode, &[Q16, Q84]);
    Ok(Distance {
        distance_pc: mode * 1000.0,
        lower_pc: q16 * 1000.0,
        upper_pc: q84 * 1000.0,
        method: DistanceMethod::Edsd {
            length_scale_kpc: l,
        },
        zero_point_mas: zp,
        parallax_corrected_mas: w,
        fractional_error: if w > 0.0 { frac } else { f64::NAN },
    })
}

fn check_options(o: &DistanceOptions) -> Result<(), CoreError> {
    if !o.zero_point_mas.is_finite() {
        return Err(CoreError::param("parallax zero point must be finite (mas)"));
    }
    if !(o.length_scale_kpc.is_finite() && o.length_scale_kpc > 0.0) {
        return Err(CoreError::param(format!(
            "EDSD length scale must be > 0 kpc, got {}",
            o.length_scale_kpc
        )));
    }
    if !(o.max_fractional_error.is_finite() && o.max_fractional_error > 0.0) {
        return Err(CoreError::param(format!(
            "the inversion threshold σ_ϖ/ϖ must be > 0, got {}",
            o.max_fractional_error
        )));
    }
    Ok(())
}

/// ln of the unnormalised EDSD posterior at r (kpc).
pub fn edsd_ln_posterior(r_kpc: f64, parallax_mas: f64, error_mas: f64, l_kpc: f64) -> f64 {
    if r_kpc <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let z = (parallax_mas - 1.0 / r_kpc) / error_mas;
    2.0 * r_kpc.ln() - r_kpc / l_kpc - 0.5 * z * z
}

/// The real roots of `a x³ + b x² + c x + d = 0` (a ≠ 0), by the trigonometric / Cardano
/// formulae, each polished by two Newton steps.
pub fn cubic_real_roots(a: f64, b: f64, c: f64, d: f64) -> Vec<f64> {
    let (b, c, d) = (b / a, c / a, d / a);
    // x = t − b/3: t³ + p t + q = 0
    let p = c - b * b / 3.0;
    let q = 2.0 * b * b * b / 27.0 - b * c / 3.0 + d;
    let disc = (q / 2.0).powi(2) + (p / 3.0).powi(3);
    let shift = -b / 3.0;
    let mut roots = if disc > 0.0 {
        let s = disc.sqrt();
        vec![(-q / 2.0 + s).cbrt() + (-q / 2.0 - s).cbrt() + shift]
    } else if p == 0.0 {
        vec![shift]
    } else {
        let m = 2.0 * (-p / 3.0).sqrt();
        let th = (3.0 * q / (p * m)).clamp(-1.0, 1.0).acos() / 3.0;
        (0..3)
            .map(|k| m * (th - 2.0 * std::f64::consts::PI * k as f64 / 3.0).cos() + shift)
            .collect()
    };
    for x in roots.iter_mut() {
        for _ in 0..2 {
            let f = ((*x + b) * *x + c) * *x + d;
            let df = (3.0 * *x + 2.0 * b) * *x + c;
            if df != 0.0 {
                *x -= f / df;
            }
        }
    }
    roots
}

/// The mode (kpc) of the EDSD posterior: Bailer-Jones 2015 eq. 19.
pub fn edsd_mode_kpc(parallax_mas: f64, error_mas: f64, l_kpc: f64) -> f64 {
    let s2 = error_mas * error_mas;
    cubic_real_roots(1.0 / l_kpc, -2.0, parallax_mas / s2, -1.0 / s2)
        .into_iter()
        .filter(|&r| r > 0.0)
        .max_by(|&a, &b| {
            edsd_ln_posterior(a, parallax_mas, error_mas, l_kpc).total_cmp(&edsd_ln_posterior(
                b,
                parallax_mas,
                error_mas,
                l_kpc,
            ))
        })
        // the cubic has a positive root whenever σ > 0 (its value at 0 is −1/σ² < 0 and it
        // grows to +∞): this is never reached
        .unwrap_or(f64::NAN)
}

const GRID: usize = 200_000;

/// Quantiles (kpc) of the EDSD posterior at the probabilities `p` (first two returned), by
/// numerical integration on [0, 60 L + 30 mode].
pub fn edsd_quantiles_kpc(
    parallax_mas: f64,
    error_mas: f64,
    l_kpc: f64,
    mode_kpc: f64,
    p: &[f64; 2],
) -> (f64, f64) {
    let hi = 60.0 * l_kpc + 30.0 * mode_kpc;
    let h = hi / GRID as f64;
    let lnp_mode = edsd_ln_posterior(mode_kpc, parallax_mas, error_mas, l_kpc);
    let f = |r: f64| (edsd_ln_posterior(r, parallax_mas, error_mas, l_kpc) - lnp_mode).exp();
    let mut cdf = Vec::with_capacity(GRID + 1);
    cdf.push(0.0);
    let mut prev = 0.0;
    let mut acc = 0.0;
    for i in 1..=GRID {
        let y = f(i as f64 * h);
        acc += 0.5 * (prev + y) * h;
        prev = y;
        cdf.push(acc);
    }
    let q = |pr: f64| {
        let target = pr * acc;
        let k = cdf.partition_point(|&c| c < target).clamp(1, GRID);
        let (c0, c1) = (cdf[k - 1], cdf[k]);
        let t = if c1 > c0 {
            (target - c0) / (c1 - c0)
        } else {
            0.0
        };
        ((k - 1) as f64 + t) * h
    };
    (q(p[0]), q(p[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORACLE: &str = include_str!("../../tests/data/followup/edsd_oracle.csv");

    #[test]
    fn seed_000_inversion_340_pc() {
        // seed 000: ϖ = 2.941 mas → d ≈ 340 pc, 1.05e21 cm. zp = 0 reproduces the seed;
        // the default zp = −0.017 mas gives 1000/2.958 = 338.07 pc.
        let o = DistanceOptions {
            zero_point_mas: 0.0,
            ..Default::default()
        };
        let d = distance(2.941, 0.2, &o).unwrap();
        assert_eq!(d.method, DistanceMethod::Inversion);
        assert!((d.distance_pc - 340.0204).abs() < 1e-3);
        assert!((d.distance_cm() / 1.05e21 - 1.0).abs() < 0.005);
        let d = distance(2.941, 0.2, &DistanceOptions::default()).unwrap();
        assert!((d.distance_pc - 338.0663).abs() < 1e-3);
        assert!((d.parallax_corrected_mas - 2.958).abs() < 1e-12);
        // first order: σ_d = 1000 σ / ϖ² = 1000·0.2/2.958²
        let sd = 1000.0 * 0.2 / (2.958f64 * 2.958);
        assert!((d.upper_pc - d.distance_pc - sd).abs() < 1e-9);
        assert!((d.distance_pc - d.lower_pc - sd).abs() < 1e-9);
        assert!((d.fractional_error - 0.2 / 2.958).abs() < 1e-12);
    }

    #[test]
    fn threshold_switches_to_edsd() {
        let o = DistanceOptions::default();
        // 0.29/2.958 = 0.098 < 0.1: inversion; 0.4/2.958 = 0.135: EDSD
        assert_eq!(
            distance(2.941, 0.29, &o).unwrap().method,
            DistanceMethod::Inversion
        );
        let d = distance(2.941, 0.4, &o).unwrap();
        assert!(matches!(d.method, DistanceMethod::Edsd { .. }));
        assert!(d.lower_pc < d.distance_pc && d.distance_pc < d.upper_pc);
    }

    #[test]
    fn edsd_against_scipy_oracle() {
        let mut n = 0;
        for line in ORACLE.lines().filter(|l| !l.starts_with('#')).skip(1) {
            let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
            let (w, s, l) = (v[0], v[1], v[2]);
            let mode = edsd_mode_kpc(w, s, l);
            assert!(
                (mode / v[3] - 1.0).abs() < 1e-9,
                "mode {mode} vs cubic {}",
                v[3]
            );
            assert!(
                (mode / v[4] - 1.0).abs() < 1e-7,
                "mode {mode} vs brute {}",
                v[4]
            );
            let (q16, q84) = edsd_quantiles_kpc(w, s, l, mode, &[Q16, Q84]);
            assert!((q16 / v[5] - 1.0).abs() < 2e-5, "q16 {q16} vs {}", v[5]);
            assert!((q84 / v[7] - 1.0).abs() < 2e-5, "q84 {q84} vs {}", v[7]);
            let (q50, _) = edsd_quantiles_kpc(w, s, l, mode, &[0.5, 0.9]);
            assert!((q50 / v[6] - 1.0).abs() < 2e-5);
            n += 1;
        }
        assert_eq!(n, 7);
    }

    #[test]
    fn mode_is_a_maximum_of_the_posterior() {
        // brute force on a grid, independent of the cubic
        for &(w, s) in &[(0.3, 0.2), (-0.1, 0.3), (1.2, 0.6)] {
            let m = edsd_mode_kpc(w, s, 1.35);
            let best = (1..200_000)
                .map(|i| i as f64 * 1e-4)
                .max_by(|a, b| {
                    edsd_ln_posterior(*a, w, s, 1.35).total_cmp(&edsd_ln_posterior(*b, w, s, 1.35))
                })
                .unwrap();
            assert!((m - best).abs() < 2e-4, "{w} {s}: {m} vs {best}");
        }
    }

    #[test]
    fn cubic_roots_are_roots() {
        // (x−1)(x−2)(x−3) = x³ − 6x² + 11x − 6
        let mut r = cubic_real_roots(1.0, -6.0, 11.0, -6.0);
        r.sort_by(f64::total_cmp);
        assert_eq!(r.len(), 3);
        for (a, b) in r.iter().zip([1.0, 2.0, 3.0]) {
            assert!((a - b).abs() < 1e-12);
        }
        let r = cubic_real_roots(2.0, 0.0, 0.0, -16.0); // x³ = 8
        assert_eq!(r.len(), 1);
        assert!((r[0] - 2.0).abs() < 1e-12);
    }

    #[test]
    fn negative_and_nan_parallaxes() {
        let o = DistanceOptions::default();
        let d = distance(f64::NAN, 0.1, &o).unwrap();
        assert!(!d.is_some() && d.distance_pc.is_nan());
        let d = distance(-0.5, f64::NAN, &o).unwrap();
        match &d.method {
            DistanceMethod::None { reason } => assert!(reason.contains("not positive")),
            m => panic!("{m:?}"),
        }
        // a negative parallax with an error still has an EDSD posterior (prior-dominated)
        let d = distance(-0.2, 0.3, &o).unwrap();
        assert!(matches!(d.method, DistanceMethod::Edsd { .. }));
        assert!(d.distance_pc > 1000.0);
        assert!(distance(
            1.0,
            0.1,
            &DistanceOptions {
                length_scale_kpc: 0.0,
                ..o
            }
        )
        .is_err());
    }
}
