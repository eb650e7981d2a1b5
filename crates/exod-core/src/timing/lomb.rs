//! The generalised Lomb–Scargle periodogram of binned data (floating mean, Zechmeister &
//! Kürster 2009, A&A 496, 577, eqs. 4–15) in the *standard* normalisation, and the Baluev (2008,
//! MNRAS 385, 1279) false-alarm probability of its highest peak.
//!
//! This is astropy's `LombScargle(t, y, dy, fit_mean=True, center_data=True,
//! normalization='standard')`. With weights `w_i = dy_i⁻²/Σdy⁻²` (uniform without `dy`), `y`
//! centred on its weighted mean, and at angular frequency ω the weighted sums
//! `C = Σw cos ωt`, `S = Σw sin ωt`, `YC = Σwy cos ωt`, `YS = Σwy sin ωt`, `YY = Σwy²`,
//! `ĈC = Σw cos² − C²`, `ŜS = Σw sin² − S²`, `ĈS = Σw cos sin − CS`, `D = ĈC·ŜS − ĈS²`:
//!
//! ```text
//! p(ω) = [ŜS·YC² + ĈC·YS² − 2 ĈS·YC·YS] / (YY · D)            (ZK09 eqs. 5, 12)
//! ```
//!
//! [`lomb_scargle_direct`] evaluates the sums directly (`O(N·n_f)`, rayon over frequencies);
//! [`lomb_scargle`] evaluates them on a uniform grid with three NUFFTs (`Σw e^{iωt}`,
//! `Σw e^{2iωt}`, `Σwy e^{iωt}`; `Σw cos² = (1 + Σw cos 2ωt)/2` …), exact to ~1e-12 in the sums.
//! Times are taken relative to the first one (the periodogram does not depend on it).
//!
//! # Baluev false-alarm probability (astropy `false_alarm_probability(method='baluev')`)
//! With `N` points, `N_H = N − 1`, `N_K = N − 3`, the single-frequency probability is
//! `fap_s = (1 − Z)^{N_K/2}`; with the effective baseline `T_eff = √(4π·Var_w(t))` and
//! `W = f_max·T_eff`,
//! `τ = γ(N_H)·W·(1 − Z)^{(N_K−1)/2}·√(N_H Z/2)`, `γ(N) = √(2/N)·Γ(N/2)/Γ((N−1)/2)`, and
//! `FAP = 1 − (1 − fap_s)e^{−τ}` (Baluev 2008 eq. 6, "alias-free"), computed here in log space.

// `!(x > 0.0)` is meant: it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use rayon::prelude::*;
use statrs::function::gamma::ln_gamma;

use super::freq::FrequencyGrid;
use super::nufft::{grid_sums, DEFAULT_TOLERANCE};
use super::period::TimingError;

/// Normalised weights, centred data and relative times.
struct Prepared {
    tau: Vec<f64>,
    w: Vec<f64>,
    wy: Vec<f64>,
    yy: f64,
    y_mean: f64,
}

fn prepare(t: &[f64], y: &[f64], dy: Option<&[f64]>) -> Result<Prepared, TimingError> {
    if t.len() < 4 || y.len() != t.len() {
        return Err(TimingError::input(format!(
            "Lomb–Scargle: {} times and {} values (expected equal lengths, at least 4 points)",
            t.len(),
            y.len()
        )));
    }
    if t.iter().chain(y).any(|v| !v.is_finite()) {
        return Err(TimingError::input(
            "Lomb–Scargle: a time or value is not finite",
        ));
    }
    let raw: Vec<f64> = match dy {
        Some(d) if d.len() != t.len() => {
            return Err(TimingError::input(format!(
                "Lomb–Scargle: {} errors for {} points",
                d.len(),
                t.len()
            )))
        }
        Some(d) if d.iter().any(|&e| !(e > 0.0 && e.is_finite())) => {
            return Err(TimingError::input(
                "Lomb–Scargle: an error dy is not finite and > 0",
            ))
        }
        Some(d) => d.iter().map(|e| 1.0 / (e * e)).collect(),
        None => vec![1.0; t.len()],
    };
    let sw: f64 = raw.iter().sum();
    let w: Vec<f64> = raw.iter().map(|v| v / sw).collect();
    let mean: f64 = w.iter().zip(y).map(|(a, b)| a * b).sum();
    let yc: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let wy: Vec<f64> = w.iter().zip(&yc).map(|(a, b)| a * b).collect();
    let yy: f64 = wy.iter().zip(&yc).map(|(a, b)| a * b).sum();
    let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if !(yy > (1e-13 * scale).powi(2)) {
        return Err(TimingError::input(
            "Lomb–Scargle: the data are constant (no variance to model)",
        ));
    }
    let y_mean = wy.iter().sum();
    let t0 = t[0];
    Ok(Prepared {
        tau: t.iter().map(|v| v - t0).collect(),
        w,
        wy,
        yy,
        y_mean,
    })
}

/// The power from the sums `(C, S)`, `(C2, S2)` at 2ω and `(YC, YS)` (see module docs).
fn power_from_sums(p: &Prepared, c: f64, s: f64, c2: f64, s2: f64, yc: f64, ys: f64) -> f64 {
    let yc = yc - p.y_mean * c;
    let ys = ys - p.y_mean * s;
    let cc = 0.5 * (1.0 + c2) - c * c;
    let ss = 0.5 * (1.0 - c2) - s * s;
    let cs = 0.5 * s2 - c * s;
    let d = cc * ss - cs * cs;
    (ss * yc * yc + cc * ys * ys - 2.0 * cs * yc * ys) / (p.yy * d)
}

/// Generalised Lomb–Scargle power (standard normalisation) at arbitrary `freqs` (Hz), direct
/// sums; `dy = None` for equal weights.
pub fn lomb_scargle_direct(
    t: &[f64],
    y: &[f64],
    dy: Option<&[f64]>,
    freqs: &[f64],
) -> Result<Vec<f64>, TimingError> {
    let p = prepare(t, y, dy)?;
    Ok(freqs
        .par_iter()
        .map(|&f| {
            let mut acc = [0.0; 6];
            for ((&tt, &w), &wy) in p.tau.iter().zip(&p.w).zip(&p.wy) {
                let (sn, cs) = (2.0 * std::f64::consts::PI * f * tt).sin_cos();
                let (s2, c2) = (2.0 * sn * cs, cs * cs - sn * sn);
                acc[0] += w * cs;
                acc[1] += w * sn;
                acc[2] += w * c2;
                acc[3] += w * s2;
                acc[4] += wy * cs;
                acc[5] += wy * sn;
            }
            power_from_sums(&p, acc[0], acc[1], acc[2], acc[3], acc[4], acc[5])
        })
        .collect())
}

/// Generalised Lomb–Scargle power on a uniform `grid` by NUFFT (same definition as
/// [`lomb_scargle_direct`]).
pub fn lomb_scargle(
    t: &[f64],
    y: &[f64],
    dy: Option<&[f64]>,
    grid: &FrequencyGrid,
) -> Result<Vec<f64>, TimingError> {
    let p = prepare(t, y, dy)?;
    let tol = DEFAULT_TOLERANCE;
    let (s1, (s2, sy)) = rayon::join(
        || grid_sums(&p.tau, Some(&p.w), grid, 1.0, tol),
        || {
            rayon::join(
                || grid_sums(&p.tau, Some(&p.w), grid, 2.0, tol),
                || grid_sums(&p.tau, Some(&p.wy), grid, 1.0, tol),
            )
        },
    );
    let (s1, s2, sy) = (s1?, s2?, sy?);
    Ok((0..grid.n)
        .map(|i| {
            power_from_sums(
                &p, s1[i].re, s1[i].im, s2[i].re, s2[i].im, sy[i].re, sy[i].im,
            )
        })
        .collect())
}

/// `ln` of the single-frequency false-alarm probability `(1 − Z)^{(N−3)/2}`.
pub fn ln_fap_single(z: f64, n: usize) -> f64 {
    let nk = n as f64 - 3.0;
    if z <= 0.0 {
        return 0.0;
    }
    0.5 * nk * (-z.min(1.0)).ln_1p()
}

/// `ln(e^a + e^b)`.
fn log_add_exp(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// Weighted variance of the times (two-pass), weights `dy⁻²` or uniform.
fn weighted_time_variance(t: &[f64], dy: Option<&[f64]>) -> f64 {
    let w: Vec<f64> = match dy {
        Some(d) => d.iter().map(|e| 1.0 / (e * e)).collect(),
        None => vec![1.0; t.len()],
    };
    let sw: f64 = w.iter().sum();
    let mean = w.iter().zip(t).map(|(a, b)| a * b).sum::<f64>() / sw;
    w.iter()
        .zip(t)
        .map(|(a, b)| a * (b - mean).powi(2))
        .sum::<f64>()
        / sw
}

/// `ln FAP` of a peak `z` by Baluev's alias-free approximation (see the module docs), for the
/// data times `t` (and errors `dy`) of the periodogram searched up to `fmax` (Hz).
pub fn baluev_ln_fap(z: f64, fmax: f64, t: &[f64], dy: Option<&[f64]>) -> f64 {
    let n = t.len() as f64;
    if z <= 0.0 {
        return 0.0;
    }
    if z >= 1.0 {
        return f64::NEG_INFINITY;
    }
    let (nh, nk) = (n - 1.0, n - 3.0);
    let ln_gamma_nh = 0.5 * (2.0 / nh).ln() + ln_gamma(nh / 2.0) - ln_gamma((nh - 1.0) / 2.0);
    let t_eff = (4.0 * std::f64::consts::PI * weighted_time_variance(t, dy)).sqrt();
    let l1mz = (-z).ln_1p();
    let ln_tau =
        ln_gamma_nh + (fmax * t_eff).ln() + 0.5 * (nk - 1.0) * l1mz + 0.5 * (0.5 * nh * z).ln();
    let tau = ln_tau.exp();
    let ln_a = if ln_tau < -20.0 {
        ln_tau - 0.5 * tau
    } else {
        (-(-tau).exp_m1()).ln()
    };
    let ln_b = ln_fap_single(z, t.len()) - tau;
    log_add_exp(ln_a, ln_b).min(0.0)
}

/// The power whose Baluev false-alarm probability is `fap` (bisection in `(0, 1)`).
pub fn baluev_power_level(fap: f64, fmax: f64, t: &[f64], dy: Option<&[f64]>) -> f64 {
    let target = fap.ln();
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if baluev_ln_fap(mid, fmax, t, dy) > target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-15 {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut s = 99u64;
        let mut rnd = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut t: Vec<f64> = (0..n).map(|_| 1e6 + 500.0 * rnd()).collect();
        t.sort_by(f64::total_cmp);
        let y = t
            .iter()
            .map(|&x| 3.0 + (2.0 * std::f64::consts::PI * 0.05 * x).sin() + rnd() - 0.5)
            .collect();
        let dy = (0..n).map(|_| 0.5 + rnd()).collect();
        (t, y, dy)
    }

    #[test]
    fn nufft_periodogram_equals_the_direct_one() {
        let (t, y, dy) = data(400);
        let grid = FrequencyGrid::new(0.002, 4e-4, 500).unwrap();
        for d in [None, Some(&dy[..])] {
            let fast = lomb_scargle(&t, &y, d, &grid).unwrap();
            let slow = lomb_scargle_direct(&t, &y, d, &grid.frequencies()).unwrap();
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a - b).abs() < 1e-9 * b.max(1e-3), "{a} vs {b}");
            }
            let imax = (0..grid.n)
                .max_by(|&a, &b| slow[a].total_cmp(&slow[b]))
                .unwrap();
            assert!((grid.freq(imax) - 0.05).abs() < 1e-3 && slow[imax] > 0.5);
        }
    }

    #[test]
    fn power_matches_a_least_squares_fit() {
        // standard power = 1 − χ²(mean + sinusoid)/χ²(mean) at one frequency
        let (t, y, dy) = data(60);
        let f = 0.0371;
        let p = lomb_scargle_direct(&t, &y, Some(&dy), &[f]).unwrap()[0];
        let w: Vec<f64> = dy.iter().map(|e| 1.0 / (e * e)).collect();
        let basis = |x: f64| {
            let a = 2.0 * std::f64::consts::PI * f * (x - t[0]);
            [1.0, a.cos(), a.sin()]
        };
        // normal equations, 3×3, by Cramer's rule
        let mut m = [[0.0; 3]; 3];
        let mut v = [0.0; 3];
        for i in 0..t.len() {
            let b = basis(t[i]);
            for r in 0..3 {
                v[r] += w[i] * b[r] * y[i];
                for c in 0..3 {
                    m[r][c] += w[i] * b[r] * b[c];
                }
            }
        }
        let det = |a: [[f64; 3]; 3]| {
            a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
                - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
        };
        let d0 = det(m);
        let coef: Vec<f64> = (0..3)
            .map(|k| {
                let mut a = m;
                for r in 0..3 {
                    a[r][k] = v[r];
                }
                det(a) / d0
            })
            .collect();
        let wmean = w.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>() / w.iter().sum::<f64>();
        let (mut chi_model, mut chi_mean) = (0.0, 0.0);
        for i in 0..t.len() {
            let b = basis(t[i]);
            let model: f64 = (0..3).map(|k| coef[k] * b[k]).sum();
            chi_model += w[i] * (y[i] - model).powi(2);
            chi_mean += w[i] * (y[i] - wmean).powi(2);
        }
        assert!((p - (1.0 - chi_model / chi_mean)).abs() < 1e-10);
    }

    #[test]
    fn baluev_limits_and_level() {
        let (t, _, _) = data(200);
        assert_eq!(baluev_ln_fap(0.0, 1.0, &t, None), 0.0);
        assert_eq!(baluev_ln_fap(1.0, 1.0, &t, None), f64::NEG_INFINITY);
        // huge peaks do not underflow: ln FAP ≈ ln τ for tiny τ, finite
        let l = baluev_ln_fap(0.9999, 1.0, &t, None);
        assert!(l.is_finite() && l < -700.0);
        let z3 = baluev_power_level(2.7e-3, 0.5, &t, None);
        assert!((baluev_ln_fap(z3, 0.5, &t, None) - 2.7e-3f64.ln()).abs() < 1e-9);
        assert!(lomb_scargle_direct(&t[..3], &t[..3], None, &[1.0]).is_err());
        assert!(lomb_scargle_direct(&t, &vec![1.0; 200], None, &[1.0]).is_err());
    }
}
