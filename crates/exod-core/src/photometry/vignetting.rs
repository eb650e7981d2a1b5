//! Telescope vignetting: the fraction of on-axis effective area left at off-axis angle θ.
//!
//! Model: `V(θ) = 1 / (1 + (θ / θ₀)²)` with θ₀ = 13.5′ ([`VIGNETTING_SCALE_ARCMIN`]), the shape
//! the simulator (`exod simulate`) draws its source and sky photons with, so photometry of
//! simulated data is unbiased. It is energy independent: the real XMM-Newton mirror vignetting
//! is steeper at high energy (at 10′ off axis ≈ 0.75 of on-axis area at 1.5 keV, ≈ 0.6 at
//! 8 keV; XMM-Newton Users Handbook §3.2.1.1, Fig. 13) and differs a little between the three
//! telescopes; the MOS RGA obscuration is not modelled either. On real data, fluxes of sources
//! far off axis in bands 4–5 are therefore over-estimated by up to ~20–30 %; bands 1–3 within
//! ~10 % inside 10′. A calibrated vignetting (SAS's CCF XRT*_XAREAEF) would replace this function.

/// θ₀ of the model (arcmin). 13.5′.
pub const VIGNETTING_SCALE_ARCMIN: f64 = 13.5;

/// `1/(1 + (θ/13.5′)²)` at off-axis angle θ in arcsec (module docs).
pub fn vignetting(theta_arcsec: f64) -> f64 {
    let t = theta_arcsec / 60.0 / VIGNETTING_SCALE_ARCMIN;
    1.0 / (1.0 + t * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_on_axis_half_at_the_scale_and_decreasing() {
        assert_eq!(vignetting(0.0), 1.0);
        assert!((vignetting(13.5 * 60.0) - 0.5).abs() < 1e-15);
        assert!((vignetting(600.0) - 1.0 / (1.0 + (10.0f64 / 13.5).powi(2))).abs() < 1e-15);
        assert!(vignetting(900.0) < vignetting(600.0));
    }
}
