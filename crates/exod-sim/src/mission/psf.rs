//! The point-spread function of the simulated missions: a King profile (surface brightness
//! ∝ (1 + r²/r_c²)^-1.5, the form EPIC's PSF is fitted with, Read et al. 2011, A&A 534, A34)
//! truncated at 10 × the HPD, with its core radius chosen so that its half-power diameter is
//! the instrument description's HPD at the source's off-axis angle
//! (`Description::psf.hpd_arcsec(θ)`): the profile of `exod_core::extract::psf::king_with_hpd`
//! (the apertures of the follow-up), sampled here by inverting its enclosed fraction.

use std::f64::consts::PI;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use exod_core::extract::psf::king_with_hpd;
use exod_core::instrument::Instrument;

/// A truncated King PSF of a given HPD.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KingPsf {
    /// Core radius (arcsec).
    pub rc: f64,
    /// Truncation radius (arcsec).
    pub r_max: f64,
}

impl KingPsf {
    /// The King PSF whose half-power diameter is `hpd` (arcsec): the profile of
    /// [`exod_core::extract::psf::king_with_hpd`], which extraction apertures use.
    pub fn for_hpd(hpd: f64) -> KingPsf {
        let k = king_with_hpd(hpd);
        KingPsf {
            rc: k.r_c_arcsec,
            r_max: k.r_max_arcsec,
        }
    }

    /// The PSF of `instrument` at `offaxis_arcmin` (its description's HPD there).
    pub fn of(instrument: Instrument, offaxis_arcmin: f64) -> KingPsf {
        KingPsf::for_hpd(instrument.description().psf.hpd_arcsec(offaxis_arcmin))
    }

    /// Fraction of the photons within `r` (arcsec).
    pub fn fraction_within(&self, r: f64) -> f64 {
        exod_core::extract::psf::KingPsf {
            r_c_arcsec: self.rc,
            alpha: 1.5,
            r_max_arcsec: self.r_max,
        }
        .eef(r)
    }

    /// One photon's offset (ξ, η) from the source (arcsec).
    pub fn offset(&self, rng: &mut ChaCha8Rng) -> (f64, f64) {
        let f = rng.gen::<f64>() * enclosed(self.r_max, self.rc);
        let r = self.rc * ((1.0 - f).powi(-2) - 1.0).max(0.0).sqrt();
        let phi = 2.0 * PI * rng.gen::<f64>();
        (r * phi.cos(), r * phi.sin())
    }
}

/// P(<r) of the untruncated King profile of core radius `rc`.
fn enclosed(r: f64, rc: f64) -> f64 {
    1.0 - (1.0 + (r / rc).powi(2)).powf(-0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::rng_for;

    #[test]
    fn sampled_photons_have_the_requested_hpd() {
        for hpd in [0.8, 18.0, 58.0] {
            let psf = KingPsf::for_hpd(hpd);
            assert!((psf.fraction_within(hpd / 2.0) - 0.5).abs() < 1e-9);
            let mut rng = rng_for(3, 0);
            let mut r: Vec<f64> = (0..40_000)
                .map(|_| {
                    let (a, b) = psf.offset(&mut rng);
                    a.hypot(b)
                })
                .collect();
            r.sort_by(f64::total_cmp);
            let measured = 2.0 * r[r.len() / 2];
            assert!((measured / hpd - 1.0).abs() < 0.02, "{hpd}: {measured}");
            assert!(r[r.len() - 1] <= psf.r_max);
        }
    }
}
