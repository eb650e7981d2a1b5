//! Levenberg–Marquardt on a residual vector (Levenberg 1944; Marquardt 1963, SIAM J. Appl. Math.
//! 11, 431), with Marquardt's diagonal scaling and Nielsen's damping update (Nielsen 1999, IMM-REP
//! 1999-05; Madsen, Nielsen & Tingleff 2004, "Methods for non-linear least squares problems",
//! Algorithm 3.16).
//!
//! Box bounds are honoured by working in the same unbounded internal coordinates as
//! [`crate::optimize`] (MINUIT's transforms: sine for two bounds, `√(u² + s²) − s` for one), so every
//! trial point is inside the box. The Jacobian is by forward differences in internal coordinates.

#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x > 0.0)` rejects NaN on purpose
#![allow(clippy::needless_range_loop)] // index loops over several parallel arrays

/// One parameter's internal ↔ external map (see `optimize`'s module docs).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Map {
    Free,
    Both { lo: f64, hi: f64 },
    Lower { lo: f64, s: f64 },
    Upper { hi: f64, s: f64 },
}

impl Map {
    pub(crate) fn new(lo: f64, hi: f64, x0: f64) -> Map {
        match (lo.is_finite(), hi.is_finite()) {
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

    pub(crate) fn to_x(self, u: f64) -> f64 {
        match self {
            Map::Free => u,
            Map::Both { lo, hi } => (lo + (hi - lo) * 0.5 * (1.0 + u.sin())).clamp(lo, hi),
            Map::Lower { lo, s } => lo + (u.hypot(s) - s).max(0.0),
            Map::Upper { hi, s } => hi - (u.hypot(s) - s).max(0.0),
        }
    }

    pub(crate) fn to_u(self, x: f64) -> f64 {
        match self {
            Map::Free => x,
            Map::Both { lo, hi } => (2.0 * (x - lo) / (hi - lo) - 1.0).clamp(-1.0, 1.0).asin(),
            Map::Lower { lo, s } => ((x - lo + s).powi(2) - s * s).max(0.0).sqrt(),
            Map::Upper { hi, s } => ((hi - x + s).powi(2) - s * s).max(0.0).sqrt(),
        }
    }

    /// A natural scale of u for finite differences.
    fn scale(self, u: f64) -> f64 {
        match self {
            Map::Free => u.abs().max(1e-12),
            Map::Both { .. } => 1.0,
            Map::Lower { s, .. } | Map::Upper { s, .. } => u.abs().max(s),
        }
    }
}

/// Options of [`levenberg_marquardt`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct LmOptions {
    /// Maximum iterations (accepted or rejected steps).
    pub max_iter: usize,
    /// Stop when an accepted step lowers ½|r|² by less than `ftol·(1 + ½|r|²)` twice in a row.
    pub ftol: f64,
}

/// Outcome: the best point (external coordinates) and its Σ r².
#[derive(Debug, Clone)]
pub(crate) struct LmResult {
    pub x: Vec<f64>,
    pub f: f64,
    pub converged: bool,
}

/// Minimise `Σ r(x)²` from `x0` within `bounds`; `resid(x, out)` fills the residuals (`n_res` of
/// them). Parameters whose bounds are equal are fixed.
pub(crate) fn levenberg_marquardt(
    resid: &dyn Fn(&[f64], &mut [f64]),
    n_res: usize,
    x0: &[f64],
    bounds: &[(f64, f64)],
    opts: LmOptions,
) -> LmResult {
    let free: Vec<usize> = (0..x0.len())
        .filter(|&i| bounds[i].0 != bounds[i].1)
        .collect();
    let maps: Vec<Map> = free
        .iter()
        .map(|&i| Map::new(bounds[i].0, bounds[i].1, x0[i]))
        .collect();
    let n = free.len();
    let mut x = x0.to_vec();
    let eval = |u: &[f64], x: &mut Vec<f64>, r: &mut Vec<f64>| -> f64 {
        for (j, &i) in free.iter().enumerate() {
            x[i] = maps[j].to_x(u[j]);
        }
        resid(x, r);
        let f: f64 = r.iter().map(|v| v * v).sum();
        if f.is_nan() {
            f64::INFINITY
        } else {
            f
        }
    };
    let mut u: Vec<f64> = free
        .iter()
        .zip(&maps)
        .map(|(&i, m)| m.to_u(x0[i]))
        .collect();
    let mut r = vec![0.0; n_res];
    let mut f = eval(&u, &mut x, &mut r);
    let mut converged = n == 0 || !f.is_finite();
    let (mut jac, mut rt) = (vec![vec![0.0; n_res]; n], vec![0.0; n_res]);
    let (mut mu, mut nu) = (1e-3, 2.0);
    let mut small = 0;
    let mut need_jac = true;
    let mut iter = 0;
    while !converged && iter < opts.max_iter {
        iter += 1;
        if need_jac {
            forward_jacobian(&eval, &maps, &u, &r, &mut x, &mut rt, &mut jac);
            need_jac = false;
        }
        let (a, g) = normal_equations(&jac, &r);
        if g.iter().all(|v| v.abs() <= 1e-14 * (1.0 + f)) {
            converged = true;
            break;
        }
        let mut ad = a.clone();
        for j in 0..n {
            ad[j][j] += mu * a[j][j].max(1e-300);
        }
        let Some(h) = solve_spd(&ad, &g.iter().map(|v| -v).collect::<Vec<_>>()) else {
            mu *= nu;
            nu *= 2.0;
            continue;
        };
        let ut: Vec<f64> = u.iter().zip(&h).map(|(a, b)| a + b).collect();
        let f_new = eval(&ut, &mut x, &mut rt);
        // predicted decrease of Σ r²: hᵀ(μ D h − g)·… (×2 for Σ r² rather than ½ Σ r²)
        let pred: f64 = (0..n)
            .map(|j| h[j] * (mu * a[j][j].max(1e-300) * h[j] - g[j]))
            .sum();
        let rho = if pred > 0.0 { (f - f_new) / pred } else { -1.0 };
        if f_new.is_finite() && rho > 0.0 {
            let gain = f - f_new;
            u = ut;
            std::mem::swap(&mut r, &mut rt);
            f = f_new;
            need_jac = true;
            mu *= (1.0f64 / 3.0).max(1.0 - (2.0 * rho - 1.0).powi(3));
            nu = 2.0;
            small = if gain <= opts.ftol * (1.0 + f) {
                small + 1
            } else {
                0
            };
            if small >= 2 {
                converged = true;
            }
        } else {
            mu *= nu;
            nu *= 2.0;
            if mu > 1e20 {
                converged = true; // no descent direction left at this resolution
            }
        }
    }
    for (j, &i) in free.iter().enumerate() {
        x[i] = maps[j].to_x(u[j]);
    }
    LmResult { x, f, converged }
}

/// Forward-difference Jacobian of the residuals at `u` (internal coordinates), column j in `jac[j]`.
fn forward_jacobian(
    eval: &dyn Fn(&[f64], &mut Vec<f64>, &mut Vec<f64>) -> f64,
    maps: &[Map],
    u: &[f64],
    r: &[f64],
    x: &mut Vec<f64>,
    rt: &mut Vec<f64>,
    jac: &mut [Vec<f64>],
) {
    for (j, col) in jac.iter_mut().enumerate() {
        let h = 1e-7 * maps[j].scale(u[j]);
        let mut ut = u.to_vec();
        ut[j] += h;
        eval(&ut, x, rt);
        for (c, (a, b)) in col.iter_mut().zip(rt.iter().zip(r)) {
            *c = (a - b) / h;
        }
    }
}

/// `JᵀJ` (2× the Gauss–Newton Hessian of ½Σr²) and `Jᵀr` with `jac[j]` the column of parameter j.
fn normal_equations(jac: &[Vec<f64>], r: &[f64]) -> (Vec<Vec<f64>>, Vec<f64>) {
    let n = jac.len();
    let mut a = vec![vec![0.0; n]; n];
    let mut g = vec![0.0; n];
    for i in 0..n {
        g[i] = jac[i].iter().zip(r).map(|(a, b)| a * b).sum();
        for j in 0..=i {
            let v: f64 = jac[i].iter().zip(&jac[j]).map(|(a, b)| a * b).sum();
            a[i][j] = v;
            a[j][i] = v;
        }
    }
    (a, g)
}

/// Solve `A x = b` for a symmetric positive definite `A` by Cholesky; None if not positive definite.
pub(crate) fn solve_spd(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    let l = cholesky(a)?;
    let mut y = vec![0.0; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i][k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k][i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i][i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Lower-triangular Cholesky factor, None if `a` is not (numerically) positive definite.
pub(crate) fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - s;
                if !(d > 0.0) || !d.is_finite() {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_an_exponential_decay_inside_bounds() {
        // y = 3 e^{−0.7 t} exactly; start far away; the rate is bounded in [0, 5]
        let t: Vec<f64> = (0..20).map(|i| i as f64 * 0.3).collect();
        let y: Vec<f64> = t.iter().map(|t| 3.0 * (-0.7 * t).exp()).collect();
        let resid = |p: &[f64], out: &mut [f64]| {
            for k in 0..t.len() {
                out[k] = y[k] - p[0] * (-p[1] * t[k]).exp();
            }
        };
        let r = levenberg_marquardt(
            &resid,
            t.len(),
            &[0.01, 4.0],
            &[(0.0, f64::INFINITY), (0.0, 5.0)],
            LmOptions {
                max_iter: 500,
                ftol: 1e-14,
            },
        );
        assert!(
            (r.x[0] - 3.0).abs() < 1e-6 && (r.x[1] - 0.7).abs() < 1e-6,
            "{r:?}"
        );
        // the optimum outside the box: the rate pins at its upper bound 0.5
        let r = levenberg_marquardt(
            &resid,
            t.len(),
            &[1.0, 0.2],
            &[(0.0, f64::INFINITY), (0.0, 0.5)],
            LmOptions {
                max_iter: 500,
                ftol: 1e-14,
            },
        );
        assert!(r.x[1] <= 0.5 && r.x[1] > 0.49, "{r:?}");
    }

    #[test]
    fn cholesky_solves_and_refuses_indefinite() {
        let a = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let x = solve_spd(&a, &[2.0, 1.0]).unwrap();
        assert!(
            (4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-14
                && (2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-14
        );
        assert!(solve_spd(&[vec![1.0, 2.0], vec![2.0, 1.0]], &[1.0, 1.0]).is_none());
    }
}
