//! Parameter errors at the optimum of a fit statistic `S` (a −2 ln L such as C-stat, W-stat or χ²).
//!
//! * Covariance: the inverse of the Hessian of `S/2` (the observed information, as Sherpa's `covar`
//!   and XSPEC), by second-order finite differences. Each parameter's step gives a change of `S`
//!   of about 0.1 (its conditional curvature measured first); a parameter within a step of a bound
//!   uses a one-sided stencil pointing into the box (forward `(0, h, 2h)` weights `(−3, 4, −1)/2h`
//!   for first derivatives), so every evaluation is inside the box.
//! * Profile likelihood: [`crate::optimize::profile_interval`].

use super::lm::cholesky;

/// The three points and first-derivative weights of one parameter's stencil.
#[derive(Debug, Clone, Copy)]
struct Stencil {
    t: [f64; 3],
    w: [f64; 3],
    /// Second-derivative weights on the same points.
    w2: [f64; 3],
}

impl Stencil {
    fn new(x: f64, h: f64, lo: f64, hi: f64) -> Stencil {
        let h2 = h * h;
        if x - h >= lo && x + h <= hi {
            Stencil {
                t: [-h, 0.0, h],
                w: [-0.5 / h, 0.0, 0.5 / h],
                w2: [1.0 / h2, -2.0 / h2, 1.0 / h2],
            }
        } else if x + 2.0 * h <= hi {
            Stencil {
                t: [0.0, h, 2.0 * h],
                w: [-1.5 / h, 2.0 / h, -0.5 / h],
                w2: [1.0 / h2, -2.0 / h2, 1.0 / h2],
            }
        } else {
            Stencil {
                t: [-2.0 * h, -h, 0.0],
                w: [0.5 / h, -2.0 / h, 1.5 / h],
                w2: [1.0 / h2, -2.0 / h2, 1.0 / h2],
            }
        }
    }
}

/// A step for parameter `i` giving `f(x ± h) − f(x) ≈ 0.1`, kept inside the bounds where possible.
fn step(f: &dyn Fn(&[f64]) -> f64, x: &[f64], f0: f64, i: usize, (lo, hi): (f64, f64)) -> f64 {
    let xi = x[i];
    let span = if lo.is_finite() && hi.is_finite() {
        hi - lo
    } else {
        f64::INFINITY
    };
    let mut h = (1e-4 * xi.abs()).max(1e-10).min(0.1 * span);
    for _ in 0..3 {
        let mut y = x.to_vec();
        let (a, b) = if xi + h <= hi {
            (xi, xi + h)
        } else {
            (xi - h, xi)
        };
        y[i] = if a == xi { b } else { a };
        let df = (f(&y) - f0).abs();
        if !(df.is_finite() && df > 0.0) {
            break;
        }
        // df ≈ c h²/2 (or linear near a bound): aim at 0.1
        let target = (0.2 * h * h / df).sqrt();
        let h_new = target.clamp(0.01 * h, 100.0 * h).min(0.25 * span);
        if (h_new / h - 1.0).abs() < 0.3 {
            h = h_new;
            break;
        }
        h = h_new;
    }
    h
}

/// The Hessian of `f` at `x` over the parameters `free` (indices into `x`), in that order.
pub fn hessian(
    f: &dyn Fn(&[f64]) -> f64,
    x: &[f64],
    free: &[usize],
    bounds: &[(f64, f64)],
) -> Vec<Vec<f64>> {
    let n = free.len();
    let f0 = f(x);
    let st: Vec<Stencil> = free
        .iter()
        .map(|&i| Stencil::new(x[i], step(f, x, f0, i, bounds[i]), bounds[i].0, bounds[i].1))
        .collect();
    let at = |shifts: &[(usize, f64)]| {
        let mut y = x.to_vec();
        for &(i, d) in shifts {
            y[i] += d;
        }
        if shifts.iter().all(|s| s.1 == 0.0) {
            f0
        } else {
            f(&y)
        }
    };
    let mut h = vec![vec![0.0; n]; n];
    for a in 0..n {
        let ia = free[a];
        h[a][a] = (0..3).map(|k| st[a].w2[k] * at(&[(ia, st[a].t[k])])).sum();
        for b in 0..a {
            let ib = free[b];
            let mut v = 0.0;
            for ka in 0..3 {
                for kb in 0..3 {
                    let w = st[a].w[ka] * st[b].w[kb];
                    if w != 0.0 {
                        v += w * at(&[(ia, st[a].t[ka]), (ib, st[b].t[kb])]);
                    }
                }
            }
            h[a][b] = v;
            h[b][a] = v;
        }
    }
    h
}

/// The inverse of a symmetric positive definite matrix, None if it is not positive definite.
pub fn invert_spd(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let l = cholesky(a)?;
    // inverse of L, then (L⁻¹)ᵀ L⁻¹
    let mut li = vec![vec![0.0; n]; n];
    for j in 0..n {
        li[j][j] = 1.0 / l[j][j];
        for i in j + 1..n {
            let s: f64 = (j..i).map(|k| l[i][k] * li[k][j]).sum();
            li[i][j] = -s / l[i][i];
        }
    }
    let mut inv = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let v: f64 = (i..n).map(|k| li[k][i] * li[k][j]).sum();
            inv[i][j] = v;
            inv[j][i] = v;
        }
    }
    Some(inv)
}

/// Covariance of the free parameters: `(H/2)⁻¹` with H the Hessian of the statistic `f` (a −2 ln L).
/// None when the Hessian is not positive definite (a parameter unconstrained or on a bound).
pub fn covariance(
    f: &dyn Fn(&[f64]) -> f64,
    x: &[f64],
    free: &[usize],
    bounds: &[(f64, f64)],
) -> Option<Vec<Vec<f64>>> {
    let h = hessian(f, x, free, bounds);
    let half: Vec<Vec<f64>> = h
        .iter()
        .map(|r| r.iter().map(|v| 0.5 * v).collect())
        .collect();
    invert_spd(&half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covariance_of_a_correlated_gaussian_and_one_sided_stencils() {
        // −2 ln L of a Gaussian with σ = (2, 0.5), ρ = 0.8 centred on (1, −3)
        let f = |x: &[f64]| {
            let (dx, dy) = ((x[0] - 1.0) / 2.0, (x[1] + 3.0) / 0.5);
            (dx * dx - 1.6 * dx * dy + dy * dy) / 0.36
        };
        let free = [0, 1];
        let unb = [(f64::NEG_INFINITY, f64::INFINITY); 2];
        let c = covariance(&f, &[1.0, -3.0], &free, &unb).unwrap();
        assert!(
            (c[0][0] - 4.0).abs() < 1e-6
                && (c[1][1] - 0.25).abs() < 1e-7
                && (c[0][1] - 0.8).abs() < 1e-6,
            "{c:?}"
        );
        // the centre on a bound of x: forward stencil, same answer for a quadratic
        let c = covariance(&f, &[1.0, -3.0], &free, &[(1.0, 10.0), (-3.0, 0.0)]).unwrap();
        assert!(
            (c[0][0] - 4.0).abs() < 1e-5 && (c[0][1] - 0.8).abs() < 1e-5,
            "{c:?}"
        );
        assert!(invert_spd(&[vec![1.0, 0.0], vec![0.0, -1.0]]).is_none());
    }
}
