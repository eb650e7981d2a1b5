//! Levenberg–Marquardt on a residual vector (Levenberg 1944; Marquardt 1963, SIAM J. Appl. Math.
//! 11, 431), with Marquardt's diagonal scaling and Nielsen's damping update (Nielsen 1999, IMM-REP
//! 1999-05; Madsen, Nielsen & Tingleff 2004, "Methods for non-linear least squares problems",
//! Algorithm 3.16).
//!
//! Box bounds are honoured by projection (the bound-constrained LM of Kanzow, Yamashita & Fukushima
//! 2004, J. Comput. Appl. Math. 172, 375, with an active set): in the parameters' own
//! coordinates, a parameter at a bound whose gradient points out of the box is held there, the
//! damped Gauss–Newton step is solved for the others, and the trial point is the step clipped into
//! the box. A parameter can therefore sit exactly on its limit (an unconstrained `nH = 0`,
//! `PhoIndex` at 10) and the descent still converges at the normal rate — a smooth transform into
//! an unbounded coordinate (MINUIT's sine) flattens the statistic near a limit and stalls there.
//! The Jacobian is by forward differences, stepping inward at an upper limit.

#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x > 0.0)` rejects NaN on purpose
#![allow(clippy::needless_range_loop)] // index loops over several parallel arrays

/// Options of [`levenberg_marquardt`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct LmOptions {
    /// Maximum iterations (accepted or rejected steps).
    pub max_iter: usize,
    /// Stop when an accepted step lowers ½|r|² by less than `ftol·(1 + ½|r|²)` twice in a row.
    pub ftol: f64,
}

/// A parameter that multiplies every residual's model (a lone additive component's `norm`): its
/// Jacobian column needs no model evaluation. `resid_scaled(x, k, out)` writes the residuals of
/// the model at `x` times `k` if it still holds that model (the last point evaluated), else
/// returns false.
pub(crate) struct ScaleColumn<'a> {
    pub index: usize,
    pub resid_scaled: &'a dyn Fn(&[f64], f64, &mut [f64]) -> bool,
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
    scale_column: Option<&ScaleColumn>,
) -> LmResult {
    let free: Vec<usize> = (0..x0.len())
        .filter(|&i| bounds[i].0 != bounds[i].1)
        .collect();
    let n = free.len();
    let box_: Vec<(f64, f64)> = free.iter().map(|&i| bounds[i]).collect();
    let mut x: Vec<f64> = x0
        .iter()
        .zip(bounds)
        .map(|(&v, &(lo, hi))| v.clamp(lo, hi))
        .collect();
    let scale: Vec<f64> = free.iter().map(|&i| x[i].abs()).collect();
    let eval = |x: &[f64], r: &mut Vec<f64>| -> f64 {
        resid(x, r);
        let f: f64 = r.iter().map(|v| v * v).sum();
        if f.is_nan() {
            f64::INFINITY
        } else {
            f
        }
    };
    let mut r = vec![0.0; n_res];
    let mut f = eval(&x, &mut r);
    let mut converged = n == 0 || !f.is_finite();
    let (mut jac, mut rt) = (vec![vec![0.0; n_res]; n], vec![0.0; n_res]);
    let mut xt = x.clone();
    let (mut mu, mut nu) = (1e-3, 2.0);
    let mut small = 0;
    let mut need_jac = true;
    let mut iter = 0;
    let (mut a, mut g) = (vec![], vec![]);
    while !converged && iter < opts.max_iter {
        iter += 1;
        if need_jac {
            let sets = JacSetup {
                free: &free,
                box_: &box_,
                scale: &scale,
                scale_column,
            };
            forward_jacobian(&eval, &sets, &x, &r, &mut xt, &mut rt, &mut jac);
            (a, g) = normal_equations(&jac, &r);
            need_jac = false;
        }
        let active = active_set(&free, &box_, &x, &g);
        if stationary(&a, &g, &active, f, opts.ftol) {
            converged = true;
            break;
        }
        let Some(s) = projected_step(&a, &g, &active, mu, &free, &box_, &x) else {
            mu *= nu;
            nu *= 2.0;
            continue;
        };
        xt.copy_from_slice(&x);
        for (j, &i) in free.iter().enumerate() {
            xt[i] += s[j];
        }
        let f_new = eval(&xt, &mut rt);
        let pred = predicted_decrease(&a, &g, &s);
        let rho = if pred > 0.0 { (f - f_new) / pred } else { -1.0 };
        if f_new.is_finite() && rho > 0.0 {
            let gain = f - f_new;
            std::mem::swap(&mut x, &mut xt);
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
    LmResult { x, f, converged }
}

/// A free parameter is held at its limit when the gradient of Σr² (2g) points out of the box.
fn active_set(free: &[usize], box_: &[(f64, f64)], x: &[f64], g: &[f64]) -> Vec<bool> {
    free.iter()
        .enumerate()
        .map(|(j, &i)| (x[i] <= box_[j].0 && g[j] > 0.0) || (x[i] >= box_[j].1 && g[j] < 0.0))
        .collect()
}

/// Stationary: the Gauss–Newton decrease available along each inactive parameter,
/// `Σ g_j²/A_jj`, is below `ftol·(1 + Σr²)` (a scale-free projected-gradient test).
fn stationary(a: &[Vec<f64>], g: &[f64], active: &[bool], f: f64, ftol: f64) -> bool {
    let gain: f64 = (0..g.len())
        .filter(|&j| !active[j])
        .map(|j| {
            if a[j][j] > 0.0 {
                g[j] * g[j] / a[j][j]
            } else {
                0.0
            }
        })
        .sum();
    gain <= 1e-3 * ftol * (1.0 + f)
}

/// The damped Gauss–Newton step of the inactive parameters, `(A + μ diag A) h = −g`, clipped
/// into the box (active parameters do not move); None when the system is singular.
fn projected_step(
    a: &[Vec<f64>],
    g: &[f64],
    active: &[bool],
    mu: f64,
    free: &[usize],
    box_: &[(f64, f64)],
    x: &[f64],
) -> Option<Vec<f64>> {
    let idx: Vec<usize> = (0..g.len())
        .filter(|&j| !active[j] && a[j][j] > 0.0)
        .collect();
    if idx.is_empty() {
        return None;
    }
    let ad: Vec<Vec<f64>> = idx
        .iter()
        .map(|&j| {
            idx.iter()
                .map(|&k| {
                    if j == k {
                        a[j][j] * (1.0 + mu)
                    } else {
                        a[j][k]
                    }
                })
                .collect()
        })
        .collect();
    let h = solve_spd(&ad, &idx.iter().map(|&j| -g[j]).collect::<Vec<_>>())?;
    let mut s = vec![0.0; g.len()];
    for (&j, &hj) in idx.iter().zip(&h) {
        let xi = x[free[j]];
        s[j] = (xi + hj).clamp(box_[j].0, box_[j].1) - xi;
    }
    s.iter().any(|&v| v != 0.0).then_some(s)
}

/// Decrease of Σr² predicted by the linearised residuals for the step `s`: `−2gᵀs − sᵀAs`.
fn predicted_decrease(a: &[Vec<f64>], g: &[f64], s: &[f64]) -> f64 {
    let n = s.len();
    let gs: f64 = (0..n).map(|j| g[j] * s[j]).sum();
    let sas: f64 = (0..n)
        .map(|j| s[j] * (0..n).map(|k| a[j][k] * s[k]).sum::<f64>())
        .sum();
    -2.0 * gs - sas
}

/// What the Jacobian needs to know of the free parameters.
struct JacSetup<'a> {
    free: &'a [usize],
    box_: &'a [(f64, f64)],
    /// |x| at the start of the descent: the step floor near 0 is 1e-3 of it.
    scale: &'a [f64],
    scale_column: Option<&'a ScaleColumn<'a>>,
}

/// Forward-difference Jacobian of the residuals at `x`, column j (free parameter j) in `jac[j]`:
/// step `1e-7·max(|x|, 1e-3·|x_start|, 1e-3·min(1, hi − lo))`, taken inward at an upper limit.
fn forward_jacobian(
    eval: &dyn Fn(&[f64], &mut Vec<f64>) -> f64,
    set: &JacSetup,
    x: &[f64],
    r: &[f64],
    xt: &mut [f64],
    rt: &mut Vec<f64>,
    jac: &mut [Vec<f64>],
) {
    // the scale column first: the model at x is still the last one evaluated
    let mut done = None;
    if let Some(sc) = set.scale_column {
        if let Some(j) = set.free.iter().position(|&i| i == sc.index) {
            let (i, eps) = (sc.index, 1e-7);
            let h = x[i] * eps;
            if h != 0.0 && x[i] + h <= set.box_[j].1 && (sc.resid_scaled)(x, 1.0 + eps, rt) {
                for (c, (a, b)) in jac[j].iter_mut().zip(rt.iter().zip(r)) {
                    *c = (a - b) / h;
                }
                done = Some(j);
            }
        }
    }
    for (j, col) in jac.iter_mut().enumerate() {
        if done == Some(j) {
            continue;
        }
        let i = set.free[j];
        // near 0 the step floor is absolute (1e-10 for a parameter of unit range: nH, PhoIndex):
        // a relative step at nH = 0 would be below the rounding of the counts
        let (lo, hi) = set.box_[j];
        let floor = 1e-3 * (hi - lo).min(1.0);
        let mut h = 1e-7 * x[i].abs().max(1e-3 * set.scale[j]).max(floor);
        if x[i] + h > set.box_[j].1 {
            h = -h;
        }
        xt.copy_from_slice(x);
        xt[i] = x[i] + h;
        let h = xt[i] - x[i]; // the step actually represented
        eval(xt, rt);
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
            None,
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
            None,
        );
        // projected: it rests exactly on the limit, and the descent converged there
        assert!(r.x[1] == 0.5 && r.converged, "{r:?}");
        // a start exactly on a limit (nH = 0) whose minimum is inside: it must leave the limit
        // (a relative finite-difference step at 0 would see no slope)
        let r = levenberg_marquardt(
            &resid,
            t.len(),
            &[1.0, 0.0],
            &[(0.0, f64::INFINITY), (0.0, 5.0)],
            LmOptions {
                max_iter: 500,
                ftol: 1e-14,
            },
            None,
        );
        assert!((r.x[1] - 0.7).abs() < 1e-6, "{r:?}");
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
