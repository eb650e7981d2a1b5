//! Optical fluxes from Gaia photometry: the G-band flux and V from G and BP−RP.
//!
//! ## G-band flux
//!
//! `F_opt = F₀ · 10^(−G/2.5)` (erg cm⁻² s⁻¹), the energy flux in the G band of a source of
//! magnitude G with a flat f_λ across the band. F₀ is derived from the Gaia EDR3 (= DR3)
//! photometric system of Riello et al. 2021 (A&A 649, A3; passband and zero points of VizieR
//! J/A+A/649/A3), by `scripts/oracle_followup.py` (output `scripts/oracle_followup.out`):
//!
//! 1. G = −2.5 log₁₀ N + ZP, N the count rate (e⁻ s⁻¹) = P_A/(hc) ∫ f_λ S(λ) λ dλ, with S
//!    the passband, P_A = 0.7278 m² the telescope pupil area (Riello 2021 §5) and
//!    ZP_Vega = 25.6874, ZP_AB = 25.8010 (their Table 2 / zeropt.dat). Check: integrating a
//!    3631 Jy source over S gives back ZP_AB = 25.8014 (0.0004 mag off).
//! 2. The photon-weighted mean flux density of a G = 0 source, ⟨f_λ⟩ = 10^(0.4 ZP_Vega) hc /
//!    (P_A ∫ S λ dλ) = 2.535 × 10⁻⁹ erg cm⁻² s⁻¹ Å⁻¹ (the same to 0.03 % as f_λ at the pivot
//!    wavelength 6217.6 Å from the AB−Vega offset: 2.536 × 10⁻⁹).
//! 3. The effective width of the energy-counting passband, W = ∫ λS dλ / max(λS) = 4053.0 Å
//!    (the convention of the SVO Filter Profile Service for GAIA/GAIA3.G; the photon-counting
//!    curve's ∫S dλ / max S is 4415.9 Å).
//! 4. F₀ = ⟨f_λ⟩ · W = 1.0275 × 10⁻⁵ erg cm⁻² s⁻¹ ([`DEFAULT_F0`]); with the photon width
//!    it would be 1.119 × 10⁻⁵.
//!
//! The seed reports' F₀ = 1.05 × 10⁻⁵ (its source is not given) is 2.2 % above the default:
//! it is ⟨f_λ⟩ times a width of 4142 Å, between the two width conventions above, so the two
//! agree within the convention of the band width (±5 %), which is the real uncertainty of a
//! "flux in the G band". F_X/F_opt made with the default is 2.2 % above the seed's (0.343
//! against 0.335 for seed 000). [`GbandFlux::with_f0`] sets F₀ (e.g. 1.05e-5 to reproduce
//! the seed exactly).
//!
//! ## V from G and BP−RP
//!
//! `G − V = −0.02704 + 0.01424 x − 0.2156 x² + 0.01426 x³`, x = BP−RP, σ = 0.03017 mag
//! (Riello et al. 2021, Table C.2, valid for −0.5 < BP−RP < 5.0 per their Fig. C.2); V's error
//! is the quadrature sum of σ_G, the polynomial's scatter and dpoly/dx · σ_x ([`v_from_g`]).

use super::Measured;
use crate::error::CoreError;

/// Default G-band flux of G = 0 (erg cm⁻² s⁻¹): module docs.
pub const DEFAULT_F0: f64 = 1.0275e-5;
/// The seed reports' F₀ (erg cm⁻² s⁻¹), for comparison.
pub const SEED_F0: f64 = 1.05e-5;
/// Riello et al. 2021 Table C.2: G − V polynomial coefficients in BP−RP (ascending powers).
pub const G_MINUS_V: [f64; 4] = [-0.02704, 0.01424, -0.2156, 0.01426];
/// The scatter (mag) of the G − V polynomial (Riello et al. 2021 Table C.2).
pub const G_MINUS_V_SIGMA: f64 = 0.03017;
/// The BP−RP range of validity of the G − V polynomial.
pub const G_MINUS_V_RANGE: (f64, f64) = (-0.5, 5.0);

/// The G-band flux converter.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GbandFlux {
    /// F₀ (erg cm⁻² s⁻¹). Default [`DEFAULT_F0`].
    pub f0: f64,
}

impl Default for GbandFlux {
    fn default() -> Self {
        GbandFlux { f0: DEFAULT_F0 }
    }
}

/// A flux with its 1σ error.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Flux {
    /// Flux (erg cm⁻² s⁻¹).
    pub flux: f64,
    /// 1σ error (erg cm⁻² s⁻¹; 0 without magnitude error).
    pub error: f64,
    /// The F₀ used.
    pub f0: f64,
}

impl GbandFlux {
    /// A converter with a user F₀ (erg cm⁻² s⁻¹, > 0).
    pub fn with_f0(f0: f64) -> Result<GbandFlux, CoreError> {
        if !(f0.is_finite() && f0 > 0.0) {
            return Err(CoreError::param(format!(
                "the G-band F0 must be a positive flux in erg/cm2/s, got {f0}"
            )));
        }
        Ok(GbandFlux { f0 })
    }

    /// `F₀ 10^(−G/2.5)` and its first-order error `0.4 ln10 F σ_G`.
    pub fn flux(&self, g: Measured) -> Result<Flux, CoreError> {
        if !g.value.is_finite() {
            return Err(CoreError::param("no G magnitude (NaN)"));
        }
        let f = self.f0 * 10f64.powf(-0.4 * g.value);
        Ok(Flux {
            flux: f,
            error: 0.4 * std::f64::consts::LN_10 * f * g.err0(),
            f0: self.f0,
        })
    }
}

/// The G error from `phot_g_mean_flux_over_error` (the Gaia archive's column):
/// σ_G = 2.5 / (ln 10 · S/N) (first order; the archive's G has no error column).
pub fn g_error_from_flux_over_error(flux_over_error: f64) -> f64 {
    if flux_over_error.is_finite() && flux_over_error > 0.0 {
        2.5 / (std::f64::consts::LN_10 * flux_over_error)
    } else {
        f64::NAN
    }
}

/// A V magnitude and how it was obtained.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VMag {
    /// V (mag).
    pub v: f64,
    /// 1σ error (mag).
    pub error: f64,
    /// G − V used (mag).
    pub g_minus_v: f64,
    /// Whether BP−RP is outside the polynomial's range (extrapolated).
    pub extrapolated: bool,
}

/// G − V of a colour (Riello et al. 2021 Table C.2) and its derivative.
pub fn g_minus_v(bp_rp: f64) -> (f64, f64) {
    let c = G_MINUS_V;
    let x = bp_rp;
    (
        c[0] + x * (c[1] + x * (c[2] + x * c[3])),
        c[1] + x * (2.0 * c[2] + 3.0 * x * c[3]),
    )
}

/// V = G − (G − V)(BP−RP) with its error (module docs).
pub fn v_from_g(g: Measured, bp_rp: Measured) -> Result<VMag, CoreError> {
    if !(g.value.is_finite() && bp_rp.value.is_finite()) {
        return Err(CoreError::param(
            "V from G needs finite G and BP−RP (one is NaN)",
        ));
    }
    let (gv, dgv) = g_minus_v(bp_rp.value);
    let err = (g.err0().powi(2) + G_MINUS_V_SIGMA.powi(2) + (dgv * bp_rp.err0()).powi(2)).sqrt();
    Ok(VMag {
        v: g.value - gv,
        error: err,
        g_minus_v: gv,
        extrapolated: !(G_MINUS_V_RANGE.0..=G_MINUS_V_RANGE.1).contains(&bp_rp.value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_000_optical_flux() {
        // seed 000: G = 19.6951 with F0 = 1.05e-5 gives F_opt ≈ 1.39e-13 (oracle: 1.39043e-13)
        let seed = GbandFlux::with_f0(SEED_F0).unwrap();
        let f = seed.flux(Measured::exact(19.6951)).unwrap();
        assert!((f.flux / 1.39043e-13 - 1.0).abs() < 1e-5);
        assert_eq!(f.error, 0.0);
        // the default F0 (derived from Riello 2021) is 2.2 % lower
        let d = GbandFlux::default().flux(Measured::exact(19.6951)).unwrap();
        assert!((f.flux / d.flux - 1.05 / 1.0275).abs() < 1e-12);
        // G = 0 → F0; 5 mag → factor 100
        let z = GbandFlux::default().flux(Measured::exact(5.0)).unwrap();
        assert!((z.flux / (DEFAULT_F0 / 100.0) - 1.0).abs() < 1e-12);
        assert!(GbandFlux::with_f0(-1.0).is_err());
        assert!(GbandFlux::default()
            .flux(Measured::exact(f64::NAN))
            .is_err());
    }

    #[test]
    fn flux_error_first_order_matches_finite_difference() {
        let c = GbandFlux::default();
        let f = c.flux(Measured::new(18.0, 0.01)).unwrap();
        let lo = c.flux(Measured::exact(18.01)).unwrap().flux;
        let hi = c.flux(Measured::exact(17.99)).unwrap().flux;
        assert!(((hi - lo) / 2.0 / f.error - 1.0).abs() < 1e-4);
        // S/N 100 → σ_G = 1.0857/100
        assert!((g_error_from_flux_over_error(100.0) - 0.010857362).abs() < 1e-8);
    }

    #[test]
    fn v_from_g_oracle() {
        // oracle (scripts/oracle_followup.out): G − V(2.416) = −1.050006, G − V(0.82) = −0.152470
        let v = v_from_g(Measured::exact(19.6951), Measured::exact(2.416)).unwrap();
        assert!((v.g_minus_v + 1.050006).abs() < 1e-6);
        assert!((v.v - (19.6951 + 1.050006)).abs() < 1e-6);
        assert!((v.error - G_MINUS_V_SIGMA).abs() < 1e-12);
        assert!(!v.extrapolated);
        assert!((g_minus_v(0.82).0 + 0.152470).abs() < 1e-6);
        // the colour error enters through the derivative (numerical check)
        let v2 = v_from_g(Measured::new(19.0, 0.02), Measured::new(1.0, 0.05)).unwrap();
        let d = (g_minus_v(1.0 + 1e-6).0 - g_minus_v(1.0 - 1e-6).0) / 2e-6;
        let want = (0.02f64.powi(2) + G_MINUS_V_SIGMA.powi(2) + (d * 0.05).powi(2)).sqrt();
        assert!((v2.error - want).abs() < 1e-9);
        assert!(
            v_from_g(Measured::exact(19.0), Measured::exact(6.0))
                .unwrap()
                .extrapolated
        );
    }
}
