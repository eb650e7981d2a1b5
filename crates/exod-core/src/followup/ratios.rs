//! X-ray luminosity and X-ray-to-optical flux ratios, with errors.
//!
//! * `L_X = 4π d² F_X` (erg s⁻¹; isotropic emission), [`luminosity`]. Errors: the distance's
//!   lower/upper bounds are asymmetric (EDSD quantiles), so they are mapped through the
//!   monotonic L(d) ∝ d² as quantiles (`L(d_lo)`, `L(d_hi)` exactly when F_X has no error),
//!   and the flux error is added in quadrature in ln L (a log-normal approximation):
//!   `ln(L_hi/L) = √((2 ln(d_hi/d))² + (ln(1 + σ_F/F))²)`, `ln(L/L_lo) = √((2 ln(d/d_lo))² +
//!   (ln(1 + σ_F/F))²)` — deterministic, no sampling; checked against a seeded Monte Carlo in
//!   the tests.
//! * `F_X/F_opt` ([`fx_fopt`]) with `σ/ratio = √((σ_X/F_X)² + (σ_opt/F_opt)²)` (first
//!   order). The uncertainty of F₀ itself (±5 %, see [`super::optical`]) is a common scale,
//!   not added.
//! * `log(f_x/f_v) = log f_x + m_v/2.5 + 5.37` (Maccacaro et al. 1988, ApJ 326, 680, eq. 1 /
//!   Fig. 2 nomograph; f_x in 0.3–3.5 keV in erg cm⁻² s⁻¹, m_v the V magnitude), error
//!   `√((σ_f/(f ln 10))² + (σ_V/2.5)²)` ([`log_fx_fv`]). The seeds use Gaia G as m_v; exod
//!   uses V when given, else V from G and BP−RP ([`super::optical::v_from_g`]), else G, and
//!   says which ([`MvSource`]). For seed 000 (BP−RP = 2.416) V = G + 1.05, which raises
//!   log(f_x/f_v) by 0.42 dex over the seed's −0.20.

use super::distance::Distance;
use super::optical::{v_from_g, Flux, GbandFlux};
use super::Measured;
use crate::error::CoreError;

/// The Maccacaro et al. 1988 constant of log(f_x/f_v).
pub const MACCACARO_CONSTANT: f64 = 5.37;

/// An X-ray luminosity with its 16/84 % bounds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Luminosity {
    /// L_X (erg s⁻¹).
    pub lx_erg_s: f64,
    /// Lower bound (erg s⁻¹).
    pub lower_erg_s: f64,
    /// Upper bound (erg s⁻¹).
    pub upper_erg_s: f64,
    /// log₁₀ L_X.
    pub log_lx: f64,
}

/// L_X = 4π d² F_X (module docs). Errors without a distance or with a non-positive flux.
pub fn luminosity(fx: Measured, d: &Distance) -> Result<Luminosity, CoreError> {
    if !d.is_some() {
        return Err(CoreError::param("L_X needs a distance (there is none)"));
    }
    if !(fx.value.is_finite() && fx.value > 0.0) {
        return Err(CoreError::param(format!(
            "L_X needs a positive X-ray flux, got {}",
            fx.value
        )));
    }
    let dcm = d.distance_cm();
    let l = 4.0 * std::f64::consts::PI * dcm * dcm * fx.value;
    let sf = (fx.err0() / fx.value).ln_1p();
    let up_d = if d.upper_pc > d.distance_pc {
        2.0 * (d.upper_pc / d.distance_pc).ln()
    } else {
        0.0
    };
    let lo_d = if d.lower_pc > 0.0 && d.lower_pc < d.distance_pc {
        2.0 * (d.distance_pc / d.lower_pc).ln()
    } else if d.lower_pc <= 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    Ok(Luminosity {
        lx_erg_s: l,
        lower_erg_s: l * (-(lo_d.hypot(sf))).exp(),
        upper_erg_s: l * up_d.hypot(sf).exp(),
        log_lx: l.log10(),
    })
}

/// A flux ratio with its first-order error.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Ratio {
    /// The ratio.
    pub value: f64,
    /// 1σ error.
    pub error: f64,
    /// log₁₀ of the ratio.
    pub log10: f64,
    /// 1σ error of log₁₀ (σ / (ratio ln 10)).
    pub log10_error: f64,
}

/// F_X / F_opt (module docs).
pub fn fx_fopt(fx: Measured, fopt: &Flux) -> Result<Ratio, CoreError> {
    if !(fx.value.is_finite() && fx.value > 0.0 && fopt.flux > 0.0) {
        return Err(CoreError::param(format!(
            "F_X/F_opt needs positive fluxes, got F_X = {}, F_opt = {}",
            fx.value, fopt.flux
        )));
    }
    let r = fx.value / fopt.flux;
    let rel = (fx.err0() / fx.value).hypot(fopt.error.max(0.0) / fopt.flux);
    Ok(Ratio {
        value: r,
        error: r * rel,
        log10: r.log10(),
        log10_error: rel / std::f64::consts::LN_10,
    })
}

/// Where m_v came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MvSource {
    /// A V magnitude given by the user or a catalogue.
    V,
    /// V from G and BP−RP (Riello et al. 2021 Table C.2).
    VFromGaia,
    /// Gaia G used as m_v (the seeds' convention).
    G,
}

/// log(f_x/f_v) and its error.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LogFxFv {
    /// log₁₀(f_x/f_v).
    pub value: f64,
    /// 1σ error (dex).
    pub error: f64,
    /// m_v used (mag).
    pub m_v: f64,
    /// Where it came from.
    pub m_v_source: MvSource,
}

/// `log f_x + m_v/2.5 + 5.37` with `fx_03_35` the 0.3–3.5 keV flux (erg cm⁻² s⁻¹).
pub fn log_fx_fv(fx_03_35: Measured, m_v: Measured, src: MvSource) -> Result<LogFxFv, CoreError> {
    if !(fx_03_35.value.is_finite() && fx_03_35.value > 0.0 && m_v.value.is_finite()) {
        return Err(CoreError::param(format!(
            "log(f_x/f_v) needs a positive 0.3–3.5 keV flux and a magnitude, got {} and {}",
            fx_03_35.value, m_v.value
        )));
    }
    let e_f = fx_03_35.err0() / (fx_03_35.value * std::f64::consts::LN_10);
    Ok(LogFxFv {
        value: fx_03_35.value.log10() + m_v.value / 2.5 + MACCACARO_CONSTANT,
        error: e_f.hypot(m_v.err0() / 2.5),
        m_v: m_v.value,
        m_v_source: src,
    })
}

/// The inputs of [`ratios`] (each optional: NaN values mean "not measured").
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RatioInputs {
    /// X-ray flux 0.2–12 keV (erg cm⁻² s⁻¹).
    pub fx: Measured,
    /// X-ray flux 0.3–3.5 keV (erg cm⁻² s⁻¹), for log(f_x/f_v).
    pub fx_03_35: Measured,
    /// Gaia G (mag).
    pub g: Measured,
    /// Gaia BP−RP (mag).
    pub bp_rp: Measured,
    /// A V magnitude, if known (NaN otherwise).
    pub v: Measured,
    /// Use G as m_v even when BP−RP is known (the seeds' convention). Default false.
    pub g_as_v: bool,
}

/// All the ratios of a source; each None with a note when its inputs are missing.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ratios {
    /// L_X (needs a distance and F_X).
    pub lx: Option<Luminosity>,
    /// The G-band flux.
    pub f_opt: Option<Flux>,
    /// F_X/F_opt.
    pub fx_fopt: Option<Ratio>,
    /// log(f_x/f_v).
    pub log_fx_fv: Option<LogFxFv>,
    /// Why a quantity is missing, one line each.
    pub notes: Vec<String>,
}

/// Every ratio that the inputs allow (module docs).
pub fn ratios(inp: &RatioInputs, distance: Option<&Distance>, gband: &GbandFlux) -> Ratios {
    let mut notes = Vec::new();
    let lx = match distance {
        Some(d) => luminosity(inp.fx, d)
            .map_err(|e| notes.push(format!("L_X: {e}")))
            .ok(),
        None => {
            notes.push("L_X: no distance".into());
            None
        }
    };
    let f_opt = gband
        .flux(inp.g)
        .map_err(|e| notes.push(format!("F_opt: {e}")))
        .ok();
    let fx_fopt = f_opt.as_ref().and_then(|f| {
        fx_fopt(inp.fx, f)
            .map_err(|e| notes.push(format!("F_X/F_opt: {e}")))
            .ok()
    });
    let mv = if inp.v.value.is_finite() {
        Some((inp.v, MvSource::V))
    } else if !inp.g_as_v && inp.bp_rp.value.is_finite() && inp.g.value.is_finite() {
        v_from_g(inp.g, inp.bp_rp)
            .ok()
            .map(|v| (Measured::new(v.v, v.error), MvSource::VFromGaia))
    } else if inp.g.value.is_finite() {
        Some((inp.g, MvSource::G))
    } else {
        None
    };
    let log_fx_fv = match mv {
        Some((m, s)) => log_fx_fv(inp.fx_03_35, m, s)
            .map_err(|e| notes.push(format!("log(f_x/f_v): {e}")))
            .ok(),
        None => {
            notes.push("log(f_x/f_v): no V or G magnitude".into());
            None
        }
    };
    Ratios {
        lx,
        f_opt,
        fx_fopt,
        log_fx_fv,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::super::distance::{distance, DistanceOptions};
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    fn seed_distance() -> Distance {
        let o = DistanceOptions {
            zero_point_mas: 0.0,
            ..Default::default()
        };
        distance(2.941, 0.2, &o).unwrap()
    }

    #[test]
    fn seed_000_luminosity() {
        // seed 000: d = 1000/2.941 pc, F_X = 4.66e-14 → L_X = 6.44e29 (oracle 6.44625e29);
        // 4.06e-14 → 5.616e29 (the seed's 5.63e29 used d rounded to 1.05e21 cm: 0.25 % more)
        let d = seed_distance();
        let l = luminosity(Measured::exact(4.66e-14), &d).unwrap();
        assert!((l.lx_erg_s / 6.44625e29 - 1.0).abs() < 1e-5);
        let l2 = luminosity(Measured::exact(4.06e-14), &d).unwrap();
        assert!((l2.lx_erg_s / 5.63e29 - 1.0).abs() < 0.004);
        assert!((l2.lx_erg_s / 5.61626e29 - 1.0).abs() < 1e-5);
        // no flux error: the bounds are L at the distance bounds (quantile mapping)
        let k = 4.0 * std::f64::consts::PI * 4.66e-14 * crate::followup::PC_CM.powi(2);
        assert!((l.lower_erg_s / (k * d.lower_pc.powi(2)) - 1.0).abs() < 1e-12);
        assert!((l.upper_erg_s / (k * d.upper_pc.powi(2)) - 1.0).abs() < 1e-12);
        assert!((l.log_lx - 6.44625e29f64.log10()).abs() < 1e-5);
    }

    #[test]
    fn luminosity_errors_match_monte_carlo() {
        // log-normal distance (quantiles d·e^{∓s}) and log-normal flux (σ_lnF = ln(1+r)):
        // L = 4π d² F is log-normal with σ = √((2s)² + σ_lnF²): the formula is exact there.
        let (dpc, s, f, r): (f64, f64, f64, f64) = (500.0, 0.2, 1e-13, 0.3);
        let d = Distance {
            distance_pc: dpc,
            lower_pc: dpc * (-s).exp(),
            upper_pc: dpc * s.exp(),
            ..seed_distance()
        };
        let l = luminosity(Measured::new(f, f * r), &d).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let n01 = Normal::new(0.0, 1.0).unwrap();
        let sf = (1.0f64 + r).ln();
        let mut v: Vec<f64> = (0..200_000)
            .map(|_| {
                let dd = dpc * (s * n01.sample(&mut rng)).exp() * crate::followup::PC_CM;
                let ff = f * (sf * n01.sample(&mut rng)).exp();
                4.0 * std::f64::consts::PI * dd * dd * ff
            })
            .collect();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[(p * v.len() as f64) as usize];
        assert!((q(0.158655) / l.lower_erg_s - 1.0).abs() < 0.01);
        assert!((q(0.841345) / l.upper_erg_s - 1.0).abs() < 0.01);
        assert!((q(0.5) / l.lx_erg_s - 1.0).abs() < 0.01);
    }

    #[test]
    fn seed_000_ratios() {
        // F_X/F_opt: seed says 0.34 (power law, 4.66e-14) with F0 = 1.05e-5; the default F0
        // (1.0275e-5, derived from Riello 2021) gives 1.05/1.0275 × 0.33515 = 0.3425
        let fx = Measured::exact(4.66e-14);
        let seed_f = GbandFlux::with_f0(1.05e-5).unwrap();
        let r = fx_fopt(fx, &seed_f.flux(Measured::exact(19.6951)).unwrap()).unwrap();
        assert!((r.value - 0.33515).abs() < 1e-4);
        let r = fx_fopt(
            fx,
            &GbandFlux::default().flux(Measured::exact(19.6951)).unwrap(),
        )
        .unwrap();
        assert!((r.value - 0.33515 * 1.05 / 1.0275).abs() < 1e-4);
        assert!((r.value - 0.3).abs() < 0.05);
        // log(f_x/f_v) = −0.203 with m_v = G (seed): oracle −0.20296
        let l = log_fx_fv(
            Measured::exact(3.54e-14),
            Measured::exact(19.6951),
            MvSource::G,
        )
        .unwrap();
        assert!((l.value + 0.20296).abs() < 1e-5);
        // bremsstrahlung: 3.59e-14 → −0.196 (seed)
        let l = log_fx_fv(
            Measured::exact(3.59e-14),
            Measured::exact(19.6951),
            MvSource::G,
        )
        .unwrap();
        assert!((l.value + 0.196).abs() < 1e-3);
    }

    #[test]
    fn ratio_errors_first_order() {
        let fopt = Flux {
            flux: 2e-13,
            error: 2e-14,
            f0: 1e-5,
        };
        let r = fx_fopt(Measured::new(1e-13, 3e-14), &fopt).unwrap();
        assert!((r.error / r.value - (0.3f64.hypot(0.1))).abs() < 1e-12);
        let l = log_fx_fv(
            Measured::new(1e-13, 1e-14),
            Measured::new(15.0, 0.25),
            MvSource::V,
        )
        .unwrap();
        let want = (0.1 / std::f64::consts::LN_10).hypot(0.1);
        assert!((l.error - want).abs() < 1e-12);
        assert!((l.value - (-13.0 + 6.0 + 5.37)).abs() < 1e-12);
    }

    #[test]
    fn ratios_pick_m_v_and_note_missing() {
        let inp = RatioInputs {
            fx: Measured::exact(4.66e-14),
            fx_03_35: Measured::exact(3.54e-14),
            g: Measured::exact(19.6951),
            bp_rp: Measured::exact(2.416),
            v: Measured::exact(f64::NAN),
            g_as_v: false,
        };
        let r = ratios(&inp, Some(&seed_distance()), &GbandFlux::default());
        let l = r.log_fx_fv.unwrap();
        assert_eq!(l.m_v_source, MvSource::VFromGaia);
        assert!((l.value - (-0.20296 + 1.050006 / 2.5)).abs() < 1e-5);
        assert!(r.lx.is_some() && r.fx_fopt.is_some() && r.notes.is_empty());
        let seedlike = ratios(
            &RatioInputs {
                g_as_v: true,
                ..inp
            },
            None,
            &GbandFlux::default(),
        );
        assert_eq!(seedlike.log_fx_fv.unwrap().m_v_source, MvSource::G);
        assert!(seedlike.lx.is_none());
        assert_eq!(seedlike.notes, vec!["L_X: no distance".to_string()]);
    }
}
