//! The thermally averaged free–free Gaunt factor of XSPEC's `bremss` model.
//!
//! A Rust re-implementation (in f64) of XSPEC's `gaunt(E, Q, Z)` (HEASoft `XSFunctions/gaunt.f`, read in the
//! public code index; called by `xsbrmv.f`, "16 Dec 1994 - kaa"): the polynomial fits of Kellogg, Baldwin & Koch
//! (1975, ApJ 199, 299) to the Karzas & Latter (1961, ApJS 6, 167) Gaunt factors, with the corrections by
//! L. Molnar and J. Hughes to the coefficients (the "39th values" and others: `A1[38] = 1.020`,
//! `A2[38] = 0.6017`, `A3[36] = −3.175`, `A3[38] = −0.2270`), the Born approximation
//! `0.5513·e^{u/2}·K₀(u/2)` (√3/π, K₀ by Abramowitz & Stegun 9.8.1, 9.8.5, 9.8.6) when γ² < 10⁻³, and Kurucz's
//! tabulation (supplied by L. Molnar) when γ² = Z²·0.01358/kT > 0.1. The branches and constants, including
//! XSPEC's `1.773` (not 1.7783) boundary of the first γ² interval and the clamp of u to ≥ 0.003 in the
//! polynomial branch, are kept as XSPEC has them; `/work/wt/MODELDEFS.md` spells them out.
//!
//! XSPEC evaluates this in single precision, so exod agrees with XSPEC to ~1e-6 relative, not better.

/// γ² interval widths (XSPEC `GAM2`).
const GAM2: [f64; 6] = [0.7783, 1.2217, 2.6234, 4.3766, 20., 70.];
/// γ² interval starts (XSPEC `GAM3`).
const GAM3: [f64; 6] = [1., 1.7783, 3., 5.6234, 10., 30.];

/// Constant coefficients, Fortran order `A(n, m, 1)` at `(n − 1) + 6·(m − 1)`.
const A1: [f64; 42] = [
    1.001, 1.004, 1.017, 1.036, 1.056, 1.121, 1.001, 1.005, 1.017, 1.046, 1.073, 1.115, 0.9991,
    1.005, 1.03, 1.055, 1.102, 1.176, 0.997, 1.005, 1.035, 1.069, 1.134, 1.186, 0.9962, 1.004,
    1.042, 1.1, 1.193, 1.306, 0.9874, 0.9962, 1.047, 1.156, 1.327, 1.485, 0.9681, 0.9755, 1.020,
    1.208, 1.525, 1.965,
];
/// Linear coefficients `A(n, m, 2)`.
const A2: [f64; 42] = [
    0.3029, 0.1616, 0.04757, 0.013, 0.0049, -0.0032, 0.4905, 0.2155, 0.08357, 0.02041, 0.00739,
    0.00029, 0.654, 0.2833, 0.08057, 0.03257, 0.00759, -0.00151, 1.029, 0.391, 0.1266, 0.05149,
    0.01274, 0.00324, 0.9569, 0.4891, 0.1764, 0.05914, 0.01407, -0.00024, 1.236, 0.7579, 0.326,
    0.1077, 0.028, 0.00548, 1.327, 1.017, 0.6017, 0.205, 0.0605, 0.00187,
];
/// Quadratic coefficients `A(n, m, 3)`.
const A3: [f64; 42] = [
    -1.323, -0.254, -0.01571, -0.001, -0.000184, 0.00008, -4.762, -0.3386, -0.03571, -0.001786,
    -0.0003, 0.00001, -6.349, -0.4206, -0.02571, -0.003429, -0.000234, 0.00005, -13.231, -0.59,
    -0.04571, -0.005714, -0.000445, -0.00004, -7.672, -0.6852, -0.0643, -0.005857, -0.00042,
    0.00004, -7.143, -0.9947, -0.12, -0.01007, -0.000851, -0.00004, -3.175, -1.116, -0.2270,
    -0.01821, -0.001729, 0.00023,
];

/// Kurucz's low-temperature table, Fortran order `YA(j, k)` at `(j − 1) + 7·(k − 1)`; j steps
/// log10 γ² by 0.5 from −1, k steps log10 u by 0.5 from −4.
const YA: [f64; 84] = [
    5.40, 5.25, 5.00, 4.69, 4.48, 4.16, 3.85, 4.77, 4.63, 4.40, 4.13, 3.87, 3.52, 3.27, 4.15, 4.02,
    3.80, 3.57, 3.27, 2.98, 2.70, 3.54, 3.41, 3.22, 2.97, 2.70, 2.45, 2.20, 2.94, 2.81, 2.65, 2.44,
    2.21, 2.01, 1.81, 2.41, 2.32, 2.19, 2.02, 1.84, 1.67, 1.50, 1.95, 1.90, 1.80, 1.68, 1.52, 1.41,
    1.30, 1.55, 1.56, 1.51, 1.42, 1.33, 1.25, 1.17, 1.17, 1.30, 1.32, 1.30, 1.20, 1.15, 1.11, 0.86,
    1.00, 1.15, 1.18, 1.15, 1.11, 1.08, 0.59, 0.76, 0.97, 1.09, 1.13, 1.10, 1.08, 0.38, 0.53, 0.76,
    0.96, 1.08, 1.09, 1.09,
];

/// XSPEC's Gaunt factor at photon energy `e` (keV), temperature `q` (keV), ion charge `z`.
/// 0 when `q == 0`, `e == 0` or `e > 50·q`.
pub fn gaunt(e: f64, q: f64, z: f64) -> f64 {
    if q == 0.0 || e > 50.0 * q || e == 0.0 {
        return 0.0;
    }
    let u = e / q;
    let gam = z * z * 0.01358 / q;
    let gam1 = (gam * 1000.0).min(100.0);
    if gam > 0.1 {
        return kurucz(u, gam);
    }
    let born = born(u);
    if gam1 < 1.0 {
        return born;
    }
    polynomial(u, gam1, born)
}

/// Born approximation `0.5513·e^{u/2}·K₀(u/2)` with XSPEC's polynomial K₀.
fn born(u: f64) -> f64 {
    let u1 = u * 0.5;
    let t = u1 / 3.75;
    let u12 = u1 * 0.5;
    let ak = if u12 <= 1.0 {
        let t2 = t * t;
        let t4 = t2 * t2;
        let t8 = t4 * t4;
        let ai = 1.0
            + 3.5156229 * t2
            + 3.089942 * t4
            + 1.2067492 * t2 * t4
            + 0.2659732 * t8
            + 0.0360768 * t8 * t2
            + 0.0045813 * t8 * t4;
        let v = u12 * u12;
        -u12.ln() * ai - 0.57721566
            + v * (0.4227842
                + v * (0.23069756
                    + v * (0.0348859 + v * (0.00262698 + v * (0.0001075 + v * 0.0000074)))))
    } else {
        let w = -1.0 / u12;
        let ak = 1.25331414
            + w * (0.07832358
                + w * (0.02189568
                    + w * (0.01062446 + w * (0.00587872 + w * (0.0025154 + w * 0.00053208)))));
        ak / (u1.exp() * u1.sqrt())
    };
    0.5513 * u1.exp() * ak
}

/// The Kellogg et al. polynomial correction to the Born approximation, interpolated in γ².
fn polynomial(u: f64, gam1: f64, born: f64) -> f64 {
    let u = if u < 0.003 { 0.003 } else { u };
    let u2 = u * u;
    let n = match u {
        x if x <= 0.03 => 1,
        x if x <= 0.30 => 2,
        x if x <= 1.0 => 3,
        x if x <= 5.0 => 4,
        x if x <= 15.0 => 5,
        _ => 6,
    };
    let m = match gam1 {
        g if g <= 1.773 => 1,
        g if g <= 3.0 => 2,
        g if g <= 5.6234 => 3,
        g if g <= 10.0 => 4,
        g if g <= 30.0 => 5,
        _ => 6,
    };
    let at = |m: usize| {
        let i = (n - 1) + 6 * (m - 1);
        (A1[i] + A2[i] * u + A3[i] * u2) * born
    };
    let g1 = at(m);
    let g2 = at(m + 1);
    let p = (gam1 - GAM3[m - 1]) / GAM2[m - 1];
    (1.0 - p) * g1 + p * g2
}

/// Kurucz's bilinear interpolation in (log10 γ², log10 u) for γ² > 0.1; 0 outside the table
/// (γ² ≥ 100 or u ≥ 10^1.5), extrapolated linearly below u = 10⁻⁴ as XSPEC does.
fn kurucz(uin: f64, gam: f64) -> f64 {
    let lg = gam.log10();
    let lu = uin.log10();
    let j = (2.0 * lg + 3.0).trunc();
    let k = (2.0 * lu + 9.0).trunc().max(1.0);
    if j >= 7.0 || j < 1.0 || k >= 12.0 {
        return 0.0;
    }
    let t = (lg - (j - 3.0) / 2.0) / 0.5;
    let s = (lu - (k - 9.0) / 2.0) / 0.5;
    let (j, k) = (j as usize, k as usize);
    let ya = |j: usize, k: usize| YA[(j - 1) + 7 * (k - 1)];
    (1.0 - t) * (1.0 - s) * ya(j, k)
        + t * (1.0 - s) * ya(j + 1, k)
        + t * s * ya(j + 1, k + 1)
        + (1.0 - t) * s * ya(j, k + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agreement claimed for the polynomial fits (measured worst case in the test's docs).
    const TOL_PUBLISHED: f64 = 0.05;

    /// K₀ by direct quadrature of K₀(x) = ∫₀^∞ exp(−x·cosh t) dt (A&S 9.6.24), composite Simpson.
    fn k0_quadrature(x: f64) -> f64 {
        let (a, b, n) = (0.0, 30.0_f64.min((60.0 / x).acosh() + 1.0), 20_000);
        let h = (b - a) / n as f64;
        let f = |t: f64| (-x * t.cosh()).exp();
        let mut s = f(a) + f(b);
        for i in 1..n {
            s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * h / 3.0
    }

    #[test]
    fn born_branch_is_sqrt3_over_pi_exp_k0() {
        // High temperature (γ² < 1e-3): g = (√3/π)·e^{u/2}·K₀(u/2); 0.5513 is √3/π rounded (5e-5 rel.) and the
        // A&S polynomials are accurate to ~1e-7, so the check is at 2e-4.
        let q: f64 = 20.0; // keV: γ² = 6.8e-4
        for &e in &[0.05_f64, 0.5, 2.0, 3.9, 4.1, 10.0, 40.0, 200.0] {
            let u = e / q;
            let direct =
                3.0_f64.sqrt() / std::f64::consts::PI * (u / 2.0).exp() * k0_quadrature(u / 2.0);
            let g = gaunt(e, q, 1.0);
            assert!((g / direct - 1.0).abs() < 2e-4, "e={e}: {g} vs {direct}");
        }
    }

    #[test]
    fn matches_published_thermally_averaged_gaunt_factors() {
        // Sutherland (1998, MNRAS 300, 321), Table 2: thermally averaged non-relativistic free–free Gaunt factors
        // recomputed from the Karzas & Latter formalism, on a grid of log γ² (columns) and log u (rows); the values
        // as transcribed in STELLOPT's `LIBSTELL/Sources/Miscel/gaunt_freefree.f90`. The KBK polynomial fits (and
        // Kurucz's table for γ² > 0.1) claim a few per cent; γ² here uses XSPEC's 0.01358 keV for the Rydberg.
        // (log10 u, log10 γ², Sutherland ⟨g⟩)
        let table = [
            (-2.0, -3.0, 3.0125),
            (-2.0, -2.0, 3.0152),
            (-1.0, -3.0, 1.8367),
            (-1.0, -2.0, 1.8880),
            (0.0, -4.0, 0.85314),
            (0.0, -3.0, 0.88152),
            (0.0, -2.0, 0.96975),
            (0.5, -2.0, 0.63267),
            (1.0, -3.0, 0.32829),
            (1.0, -2.0, 0.39000),
            (-2.0, 0.0, 2.6560),
            (-1.0, 0.0, 1.7825),
            (0.0, 0.0, 1.2939),
            (1.0, 0.0, 0.97254),
        ];
        for &(lu, lg, published) in &table {
            let q = 0.01358 / 10f64.powf(lg);
            let e = 10f64.powf(lu) * q;
            let g = gaunt(e, q, 1.0);
            let rel = g / published - 1.0;
            assert!(
                rel.abs() < TOL_PUBLISHED,
                "log u={lu} log γ²={lg}: {g} vs {published} ({rel:+.4})"
            );
        }
    }

    #[test]
    fn branches_and_limits() {
        assert_eq!(gaunt(1.0, 0.0, 1.0), 0.0);
        assert_eq!(gaunt(0.0, 1.0, 1.0), 0.0);
        assert_eq!(gaunt(50.01, 1.0, 1.0), 0.0);
        assert!(gaunt(50.0, 1.0, 1.0) > 0.0);
        // Kurucz branch: at a table node (log γ² = 0, log u = 0 → j = 3, k = 9) the value is YA(3, 9) = 1.32
        // (t = s = 0 exactly only if the logs are exact: γ² = 1 ⇔ q = 0.01358, u = 1).
        let g = gaunt(0.01358, 0.01358, 1.0);
        assert!((g - 1.32).abs() < 1e-9, "{g}");
        // Continuity of the γ² interpolation across the polynomial intervals (XSPEC's 1.773 boundary leaves a
        // small step; the others are continuous to the fit accuracy).
        let e = 1.0;
        for &g1 in &[3.0, 5.6234, 10.0, 30.0] {
            let q_at = |gg: f64| 0.01358 * 1000.0 / gg;
            let below = gaunt(e, q_at(g1 * (1.0 - 1e-9)), 1.0);
            let above = gaunt(e, q_at(g1 * (1.0 + 1e-9)), 1.0);
            assert!(
                (below / above - 1.0).abs() < 0.03,
                "step at γ²·1e3 = {g1}: {below} vs {above}"
            );
        }
    }
}
