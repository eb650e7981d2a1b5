//! The model components, with XSPEC's definitions (XSPEC manual, "Additive/Multiplicative Model Components";
//! the Fortran sources `xspow`-equivalent, `xsblbd.f`, `xsbbrd.f`, `xsbrms.f`/`xsbrmv.f`, `xsgaul`).
//!
//! All take bins `[lo, hi]` (keV) and return photons cm⁻² s⁻¹ per bin:
//!
//! | component | per bin |
//! |---|---|
//! | `powerlaw` (Γ, K) | exact: K·(hi^{1−Γ} − lo^{1−Γ})/(1−Γ), computed as K·lo^{a}·expm1(a·L)/a with a = 1−Γ, L = ln_1p((hi−lo)/lo) = ln(hi/lo) (no cancellation near Γ = 1 or in narrow bins); K·L when \|a\| < 1e-10 |
//! | `gaussian` (E_L, σ, K) | exact: K·[Φ((hi−E_L)/σ) − Φ((lo−E_L)/σ)] (erfc in the tails); σ ≤ 0: K in the bin lo ≤ E_L < hi |
//! | `bbody` (kT, K) | XSPEC trapezoid on the edges: ½·(8.0525·K/kT⁴)·(f(lo)+f(hi))·(hi−lo), f = E²/(e^{E/kT}−1) (E·kT when E/kT ≤ 1e-4); the bin is 0 if an edge has E/kT > 60 |
//! | `bbodyrad` (kT, K) | the same with 1.0344e-3·K instead of 8.0525·K/kT⁴ |
//! | `bremss` (kT, K) | trapezoid of K·(G(E,T,1) + 4·0.085·G(E,T,2))·T^{−½}·e^{−E/T}/E, 0 unless 0 < E < 50·T ([`super::gaunt`]) |
//!
//! A non-positive temperature gives 0 in every bin (XSPEC divides by it). The exact text, with every branch,
//! is also in `/work/wt/MODELDEFS.md` for the Python (Sherpa) ports.

use libm::erfc;

use super::absorption::AbsorptionKind;
use super::gaunt::gaunt;

/// A component type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    /// `powerlaw`: PhoIndex, norm.
    Powerlaw,
    /// `bbody`: kT, norm (L₃₉/D₁₀²).
    Bbody,
    /// `bbodyrad`: kT, norm (R_km²/D₁₀²).
    Bbodyrad,
    /// `bremss`: kT, norm (3.02e-15/(4πD²)∫n_e n_I dV).
    Bremss,
    /// `gaussian`: LineE, Sigma, norm (photons cm⁻² s⁻¹ in the line).
    Gaussian,
    /// `apec`: kT, Abundanc, Redshift, norm (needs AtomDB tables).
    Apec,
    /// Multiplicative photoelectric absorption: nH.
    Absorption(AbsorptionKind),
}

/// A parameter's defaults: XSPEC name, unit, default value, hard limits, frozen by default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    /// XSPEC name.
    pub name: &'static str,
    /// Unit.
    pub unit: &'static str,
    /// Default (start) value.
    pub default: f64,
    /// Hard lower limit.
    pub min: f64,
    /// Hard upper limit.
    pub max: f64,
    /// Frozen by default.
    pub frozen: bool,
}

const fn spec(
    name: &'static str,
    unit: &'static str,
    default: f64,
    min: f64,
    max: f64,
    frozen: bool,
) -> ParamSpec {
    ParamSpec {
        name,
        unit,
        default,
        min,
        max,
        frozen,
    }
}

const NORM: ParamSpec = spec("norm", "", 1.0, 0.0, 1e24, false);
const POWERLAW: [ParamSpec; 2] = [spec("PhoIndex", "", 1.0, -3.0, 10.0, false), NORM];
const BB: [ParamSpec; 2] = [spec("kT", "keV", 3.0, 1e-4, 200.0, false), NORM];
const BREMSS: [ParamSpec; 2] = [spec("kT", "keV", 7.0, 1e-4, 200.0, false), NORM];
const GAUSSIAN: [ParamSpec; 3] = [
    spec("LineE", "keV", 6.5, 0.0, 1e6, false),
    spec("Sigma", "keV", 0.1, 0.0, 20.0, false),
    NORM,
];
const APEC: [ParamSpec; 4] = [
    spec("kT", "keV", 1.0, 0.008, 64.0, false),
    spec("Abundanc", "", 1.0, 0.0, 5.0, true),
    spec("Redshift", "", 0.0, -0.999, 10.0, true),
    NORM,
];
const NH: [ParamSpec; 1] = [spec("nH", "10^22 cm^-2", 1.0, 0.0, 1e6, false)];

/// Canonical names with their aliases (lower case), in the order listed in errors.
pub const NAMES: [(&str, &[&str], ComponentKind); 9] = [
    ("powerlaw", &["po", "pow"], ComponentKind::Powerlaw),
    ("bbody", &["bb"], ComponentKind::Bbody),
    ("bbodyrad", &["bbodyr"], ComponentKind::Bbodyrad),
    ("bremss", &["brems"], ComponentKind::Bremss),
    ("gaussian", &["gauss", "ga"], ComponentKind::Gaussian),
    ("apec", &[], ComponentKind::Apec),
    (
        "tbabs",
        &[],
        ComponentKind::Absorption(AbsorptionKind::Tbabs),
    ),
    (
        "phabs",
        &[],
        ComponentKind::Absorption(AbsorptionKind::Phabs),
    ),
    ("wabs", &[], ComponentKind::Absorption(AbsorptionKind::Wabs)),
];

impl ComponentKind {
    /// The component named `name` (case-insensitive, aliases accepted).
    pub fn from_name(name: &str) -> Option<ComponentKind> {
        let lower = name.to_ascii_lowercase();
        NAMES
            .iter()
            .find(|(canon, aliases, _)| *canon == lower || aliases.contains(&lower.as_str()))
            .map(|&(_, _, kind)| kind)
    }

    /// The canonical name (`powerlaw`, `tbabs`, …).
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, _, k)| *k == self)
            .map(|(n, _, _)| *n)
            .unwrap_or("?")
    }

    /// Multiplicative (absorption) rather than additive.
    pub fn is_multiplicative(self) -> bool {
        matches!(self, ComponentKind::Absorption(_))
    }

    /// Its parameters in XSPEC's order with their defaults.
    pub fn params(self) -> &'static [ParamSpec] {
        match self {
            ComponentKind::Powerlaw => &POWERLAW,
            ComponentKind::Bbody | ComponentKind::Bbodyrad => &BB,
            ComponentKind::Bremss => &BREMSS,
            ComponentKind::Gaussian => &GAUSSIAN,
            ComponentKind::Apec => &APEC,
            ComponentKind::Absorption(_) => &NH,
        }
    }
}

/// A list of the known components and aliases, for error messages.
pub fn known_components() -> String {
    NAMES
        .iter()
        .map(|(n, a, _)| {
            if a.is_empty() {
                n.to_string()
            } else {
                format!("{n} ({})", a.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `powerlaw`: exact bin integral of K·E^{−Γ}.
pub fn powerlaw(gamma: f64, norm: f64, e_lo: &[f64], e_hi: &[f64], out: &mut [f64]) {
    let logs = PowerlawLogs::new(e_lo, e_hi);
    powerlaw_logs(gamma, norm, &logs, out);
}

/// The logarithms a power-law integral needs on a grid, computed once per grid:
/// `ln E_lo` and `ln(E_hi/E_lo)` (as `ln_1p((E_hi − E_lo)/E_lo)`, accurate for narrow bins).
#[derive(Debug, Clone, PartialEq)]
pub struct PowerlawLogs {
    ln_lo: Vec<f64>,
    ln_ratio: Vec<f64>,
    /// `ln E` of the n + 1 edges when the grid is contiguous (`E_hi[i] = E_lo[i + 1]`).
    ln_edges: Option<Vec<f64>>,
}

impl PowerlawLogs {
    /// The logarithms of the grid `e_lo`–`e_hi` (keV).
    pub fn new(e_lo: &[f64], e_hi: &[f64]) -> PowerlawLogs {
        let contiguous = !e_lo.is_empty() && e_hi[..e_hi.len() - 1] == e_lo[1..];
        let ln_edges = contiguous.then(|| {
            let mut v: Vec<f64> = e_lo.iter().map(|e| e.ln()).collect();
            v.push(e_hi[e_hi.len() - 1].ln());
            v
        });
        PowerlawLogs {
            ln_edges,
            ln_lo: e_lo.iter().map(|e| e.ln()).collect(),
            ln_ratio: e_lo
                .iter()
                .zip(e_hi)
                .map(|(&lo, &hi)| ((hi - lo) / lo).ln_1p())
                .collect(),
        }
    }
}

/// [`powerlaw`] on a grid's precomputed logarithms:
/// `K ∫ E^{−Γ} dE = K E_lo^a (e^{a ln(E_hi/E_lo)} − 1)/a`, a = 1 − Γ (`K ln(E_hi/E_lo)` at a = 0).
/// On a contiguous grid with |a| ≥ 0.05 the edges' powers are shared between bins, XSPEC's
/// `(E_hi^a − E_lo^a)/a` (one exponential per bin; the difference loses at most
/// ~1e-16/(|a| ln(E_hi/E_lo)) ≲ 1e-13 relative on response grids).
pub fn powerlaw_logs(gamma: f64, norm: f64, logs: &PowerlawLogs, out: &mut [f64]) {
    let a = 1.0 - gamma;
    if let (Some(edges), true) = (&logs.ln_edges, a.abs() >= 0.05) {
        let k = norm / a;
        let mut prev = (a * edges[0]).exp();
        for (o, &l) in out.iter_mut().zip(&edges[1..]) {
            let next = (a * l).exp();
            *o = k * (next - prev);
            prev = next;
        }
        return;
    }
    let bins = out.iter_mut().zip(&logs.ln_lo).zip(&logs.ln_ratio);
    if a.abs() < 1e-10 {
        for ((o, _), &r) in bins {
            *o = norm * r;
        }
    } else {
        let k = norm / a;
        for ((o, &l), &r) in bins {
            *o = k * (a * l).exp() * (a * r).exp_m1();
        }
    }
}

/// `gaussian`: exact bin integral of a normalised line of centre `line_e` and width `sigma`.
pub fn gaussian(line_e: f64, sigma: f64, norm: f64, e_lo: &[f64], e_hi: &[f64], out: &mut [f64]) {
    if sigma <= 0.0 {
        for ((o, &lo), &hi) in out.iter_mut().zip(e_lo).zip(e_hi) {
            *o = if lo <= line_e && line_e < hi {
                norm
            } else {
                0.0
            };
        }
        return;
    }
    let inv = 1.0 / sigma;
    let mut prev: Option<(f64, f64)> = None;
    for ((o, &lo), &hi) in out.iter_mut().zip(e_lo).zip(e_hi) {
        let (a, b) = ((lo - line_e) * inv, (hi - line_e) * inv);
        // beyond 38σ the tail is below 1e-315: exactly 0 in double precision
        if a > 38.0 || b < -38.0 {
            *o = 0.0;
            prev = None;
            continue;
        }
        // contiguous grids: reuse the previous bin's upper-edge tail
        let ta = match prev {
            Some((e, t)) if e == lo => t,
            _ => normal_tail(a),
        };
        let tb = normal_tail(b);
        prev = Some((hi, tb));
        *o = norm * between_from_tails(a, b, ta, tb);
    }
}

/// `0.5 erfc(|x|/√2)`: the standard normal tail beyond |x|, accurate far out.
fn normal_tail(x: f64) -> f64 {
    0.5 * erfc(x.abs() * std::f64::consts::FRAC_1_SQRT_2)
}

/// The normal probability between `a < b` from the tails beyond |a| and |b| ([`normal_tail`]):
/// a difference of tails on one side of 0, else 1 minus both tails.
fn between_from_tails(a: f64, b: f64, ta: f64, tb: f64) -> f64 {
    if a >= 0.0 {
        ta - tb
    } else if b <= 0.0 {
        tb - ta
    } else {
        1.0 - ta - tb
    }
}

/// The integrand of `bbody`/`bbodyrad` without its constant: E²/(e^{E/kT} − 1), E·kT for E/kT ≤ 1e-4,
/// `None` for E/kT > 60 (the bin is then 0, as in XSPEC).
fn planck(e: f64, kt: f64, tinv: f64) -> Option<f64> {
    let x = e * tinv;
    if x <= 1e-4 {
        Some(e * kt)
    } else if x > 60.0 {
        None
    } else {
        Some(e * e / (x.exp() - 1.0))
    }
}

fn blackbody(kt: f64, anorm: f64, e_lo: &[f64], e_hi: &[f64], out: &mut [f64]) {
    if kt.is_nan() || kt <= 0.0 {
        out.fill(0.0);
        return;
    }
    let tinv = 1.0 / kt;
    let half = 0.5 * anorm;
    let mut prev: Option<(f64, Option<f64>)> = None;
    for ((o, &lo), &hi) in out.iter_mut().zip(e_lo).zip(e_hi) {
        // contiguous grids: reuse the previous bin's upper-edge value
        let a = match prev {
            Some((e, v)) if e == lo => v,
            _ => planck(lo, kt, tinv),
        };
        let b = planck(hi, kt, tinv);
        prev = Some((hi, b));
        *o = match (a, b) {
            (Some(a), Some(b)) => half * (a + b) * (hi - lo),
            _ => 0.0,
        };
    }
}

/// `bbody`: XSPEC `xsblbd`, K = L₃₉/D₁₀².
pub fn bbody(kt: f64, norm: f64, e_lo: &[f64], e_hi: &[f64], out: &mut [f64]) {
    let t2 = kt * kt;
    blackbody(kt, 8.0525 * norm / (t2 * t2), e_lo, e_hi, out);
}

/// `bbodyrad`: XSPEC `xsbbrd`, K = R_km²/D₁₀².
pub fn bbodyrad(kt: f64, norm: f64, e_lo: &[f64], e_hi: &[f64], out: &mut [f64]) {
    blackbody(kt, 1.0344e-3 * norm, e_lo, e_hi, out);
}

/// He/H number ratio of XSPEC's `bremss` (`xsbrms` calls `xsbrmv` with 0.085).
pub const BREMSS_HE_H: f64 = 0.085;

/// The `bremss` photon spectrum at `e` without its norm (XSPEC `xsbrmv`): 0 unless 0 < e < 50·kT.
pub fn bremss_spectrum(e: f64, kt: f64) -> f64 {
    if kt > 0.0 && e < 50.0 * kt && e > 0.0 {
        (gaunt(e, kt, 1.0) + 4.0 * BREMSS_HE_H * gaunt(e, kt, 2.0))
            * (1.0 / kt.sqrt())
            * (-e / kt).exp()
            / e
    } else {
        0.0
    }
}

/// `bremss`: trapezoid on the bin edges of [`bremss_spectrum`].
pub fn bremss(kt: f64, norm: f64, e_lo: &[f64], e_hi: &[f64], out: &mut [f64]) {
    if kt.is_nan() || kt <= 0.0 {
        out.fill(0.0);
        return;
    }
    let mut prev: Option<(f64, f64)> = None;
    for ((o, &lo), &hi) in out.iter_mut().zip(e_lo).zip(e_hi) {
        // contiguous grids: reuse the previous bin's upper-edge value
        let a = match prev {
            Some((e, v)) if e == lo => v,
            _ => bremss_spectrum(lo, kt),
        };
        let b = bremss_spectrum(hi, kt);
        *o = norm * 0.5 * (a + b) * (hi - lo);
        prev = Some((hi, b));
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;

    /// n-point Gauss–Legendre nodes and weights on [−1, 1] (Newton on P_n; Numerical Recipes `gauleg`).
    fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
                let mut dp = 0.0;
                for _ in 0..100 {
                    let (mut p0, mut p1) = (1.0, 0.0);
                    for j in 0..n {
                        let p2 = p1;
                        p1 = p0;
                        p0 = ((2 * j + 1) as f64 * x * p1 - j as f64 * p2) / (j + 1) as f64;
                    }
                    dp = n as f64 * (x * p0 - p1) / (x * x - 1.0);
                    let dx = p0 / dp;
                    x -= dx;
                    if dx.abs() < 1e-16 {
                        break;
                    }
                }
                (x, 2.0 / ((1.0 - x * x) * dp * dp))
            })
            .collect()
    }

    /// Composite 16-point Gauss–Legendre quadrature of `f` on [a, b] with `panels` equal panels (in ln E when
    /// `log` is set, for power laws).
    fn quad(f: &dyn Fn(f64) -> f64, a: f64, b: f64, panels: usize, log: bool) -> f64 {
        let gl = gauss_legendre(16);
        let (ta, tb) = if log { (a.ln(), b.ln()) } else { (a, b) };
        let h = (tb - ta) / panels as f64;
        let mut s = 0.0;
        for k in 0..panels {
            let c = ta + (k as f64 + 0.5) * h;
            for &(x, w) in &gl {
                let t = c + 0.5 * h * x;
                s += if log {
                    w * f(t.exp()) * t.exp()
                } else {
                    w * f(t)
                };
            }
        }
        s * 0.5 * h
    }

    fn grid() -> (Vec<f64>, Vec<f64>) {
        // log-spaced bins 0.05–18 keV plus a few wide ones
        let mut lo = Vec::new();
        let mut hi = Vec::new();
        let n = 60;
        for i in 0..n {
            let a = 0.05 * (360.0f64).powf(i as f64 / n as f64);
            let b = 0.05 * (360.0f64).powf((i + 1) as f64 / n as f64);
            lo.push(a);
            hi.push(b);
        }
        lo.push(0.3);
        hi.push(10.0);
        (lo, hi)
    }

    #[test]
    fn powerlaw_matches_quadrature() {
        let (lo, hi) = grid();
        let mut out = vec![0.0; lo.len()];
        for &gamma in &[-2.5, 0.0, 0.5, 1.0, 1.0 + 1e-8, 1.7, 2.0, 3.3, 9.0] {
            powerlaw(gamma, 2.5, &lo, &hi, &mut out);
            for i in 0..lo.len() {
                let q = quad(&|e: f64| 2.5 * e.powf(-gamma), lo[i], hi[i], 64, true);
                let rel = out[i] / q - 1.0;
                assert!(
                    rel.abs() < 1e-10,
                    "Γ={gamma} bin {i}: {} vs {q} ({rel:e})",
                    out[i]
                );
            }
        }
    }

    #[test]
    fn gaussian_matches_quadrature() {
        let (lo, hi) = grid();
        let mut out = vec![0.0; lo.len()];
        for &(le, sig) in &[(6.4, 0.05), (0.6, 0.2), (1.0, 0.01), (15.0, 2.0)] {
            gaussian(le, sig, 3.0, &lo, &hi, &mut out);
            let pdf = |e: f64| {
                3.0 * (-0.5 * ((e - le) / sig).powi(2)).exp()
                    / (sig * (2.0 * std::f64::consts::PI).sqrt())
            };
            for i in 0..lo.len() {
                let (za, zb) = ((lo[i] - le) / sig, (hi[i] - le) / sig);
                let z = if za < 0.0 && zb > 0.0 {
                    0.0
                } else {
                    za.abs().min(zb.abs())
                };
                if z > 30.0 {
                    assert!(out[i] < 1e-190, "far tail should underflow to ~0");
                    continue;
                }
                // panels of ≤ σ/2 over the part of the bin within 40σ of the line (the rest is < 1e-300)
                let (a, b) = (lo[i].max(le - 40.0 * sig), hi[i].min(le + 40.0 * sig));
                let q = quad(
                    &pdf,
                    a,
                    b,
                    ((b - a) / (0.5 * sig)).ceil().max(4.0) as usize,
                    false,
                );
                let rel = out[i] / q - 1.0;
                assert!(
                    rel.abs() < 1e-10,
                    "line {le}/{sig} bin {i}: {} vs {q} ({rel:e})",
                    out[i]
                );
            }
            // the whole line is in the grid: total = norm
            let total: f64 = out[..60].iter().sum();
            if le - 8.0 * sig > 0.05 && le + 8.0 * sig < 18.0 {
                assert!((total / 3.0 - 1.0).abs() < 1e-12, "total {total}");
            }
        }
        gaussian(
            6.4,
            0.0,
            2.0,
            &[6.0, 6.4, 7.0],
            &[6.4, 7.0, 8.0],
            &mut out[..3],
        );
        assert_eq!(&out[..3], &[0.0, 2.0, 0.0]);
    }

    #[test]
    fn blackbody_trapezoid_formula_and_xspec_cuts() {
        let (kt, norm) = (0.5, 2.0);
        let lo = [1e-6, 0.1, 1.0, 29.0, 29.999, 30.5];
        let hi = [1e-5, 0.2, 2.0, 29.999, 30.5, 31.0];
        let mut out = [0.0; 6];
        bbody(kt, norm, &lo, &hi, &mut out);
        let k = 8.0525 * norm / kt.powi(4);
        let f = |e: f64| {
            if e / kt <= 1e-4 {
                e * kt
            } else {
                e * e / ((e / kt).exp() - 1.0)
            }
        };
        for i in 0..4 {
            let expect = 0.5 * k * (f(lo[i]) + f(hi[i])) * (hi[i] - lo[i]);
            assert!((out[i] / expect - 1.0).abs() < 1e-15, "bin {i}");
        }
        // an edge above 60·kT = 30 keV zeroes the bin (XSPEC), not half a trapezoid
        assert_eq!(out[4], 0.0);
        assert_eq!(out[5], 0.0);
        bbodyrad(kt, norm, &lo[1..2], &hi[1..2], &mut out[..1]);
        let expect = 0.5 * 1.0344e-3 * norm * (f(0.1) + f(0.2)) * 0.1;
        assert!((out[0] / expect - 1.0).abs() < 1e-15);
        bbody(0.0, 1.0, &lo, &hi, &mut out);
        assert!(out.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn bbody_norm_is_l39_over_d10_squared() {
        // norm = 1 ⇔ L = 1e39 erg/s at D = 10 kpc. The total energy flux of the XSPEC spectrum is
        // 8.0525·π⁴/15 keV cm⁻² s⁻¹ whatever kT (∫x³/(eˣ−1) = π⁴/15); a fine trapezoid grid to 60 kT (the rest is
        // e⁻⁶⁰) reproduces it to 1e-6. XSPEC's rounded 8.0525 then exceeds 1e39/(4π(10 kpc)²) by 2.4e-3.
        let kpc_cm: f64 = 3.0856775814913673e21;
        let kev_erg = 1.602176634e-9;
        let nominal = 1e39 / (4.0 * std::f64::consts::PI * (10.0 * kpc_cm).powi(2));
        let xspec = 8.0525 * std::f64::consts::PI.powi(4) / 15.0 * kev_erg;
        for &kt in &[0.1, 1.0, 7.0] {
            let n = 200_000;
            let emax = 59.99 * kt;
            let lo: Vec<f64> = (0..n).map(|i| emax * i as f64 / n as f64 + 1e-9).collect();
            let hi: Vec<f64> = (0..n)
                .map(|i| emax * (i + 1) as f64 / n as f64 + 1e-9)
                .collect();
            let mut out = vec![0.0; n];
            bbody(kt, 1.0, &lo, &hi, &mut out);
            let flux: f64 = (0..n)
                .map(|i| out[i] * 0.5 * (lo[i] + hi[i]) * kev_erg)
                .sum();
            assert!(
                (flux / xspec - 1.0).abs() < 1e-6,
                "kT={kt}: {flux:e} vs {xspec:e}"
            );
            let rel = flux / nominal - 1.0;
            assert!(
                rel > 0.0 && rel < 3e-3,
                "kT={kt}: {flux:e} vs {nominal:e} ({rel:+e})"
            );
        }
    }

    #[test]
    fn bremss_trapezoid_of_its_spectrum() {
        let lo = [0.1, 0.5, 2.0, 9.9, 349.0];
        let hi = [0.5, 2.0, 9.9, 12.0, 351.0];
        let mut out = [0.0; 5];
        let (kt, norm) = (7.0, 1.5);
        bremss(kt, norm, &lo, &hi, &mut out);
        for i in 0..5 {
            let g = |e: f64| {
                if e < 50.0 * kt {
                    (gaunt(e, kt, 1.0) + 0.34 * gaunt(e, kt, 2.0)) / kt.sqrt() * (-e / kt).exp() / e
                } else {
                    0.0
                }
            };
            let expect = norm * 0.5 * (g(lo[i]) + g(hi[i])) * (hi[i] - lo[i]);
            assert!(
                (out[i] - expect).abs() <= 1e-15 * expect.abs(),
                "bin {i}: {} vs {expect}",
                out[i]
            );
        }
        // the straddling bin keeps half a trapezoid (no zeroing, unlike bbody)
        assert!(out[4] > 0.0);
        // the spectrum at a point: Born-regime T, Z = 1 and 2 add as 1 + 0.34
        let s = bremss_spectrum(1.0, 7.0);
        assert!(s > 0.0 && s.is_finite());
        assert_eq!(bremss_spectrum(0.0, 7.0), 0.0);
        assert_eq!(bremss_spectrum(350.0, 7.0), 0.0);
    }
}
