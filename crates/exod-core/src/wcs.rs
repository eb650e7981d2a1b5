//! Sky pixel ↔ RA/Dec for event lists: the zenithal TAN (XMM, Chandra, NuSTAR) and SIN
//! (eROSITA) projections of the X/Y columns (`TCTYPn/TCRPXn/TCRVLn/TCDLTn`), or of XMM's
//! `REFX*/REFY*` primary-header keywords. FITS 1-based pixel convention (as CRPIX).
//! The spherical projection is delegated to the `mapproj` crate; this module validates the
//! keywords so that a malformed header gives a precise reason instead of silent garbage.

use mapproj::img2celestial::Img2Celestial;
use mapproj::img2proj::WcsImgXY2ProjXY;
use mapproj::zenithal::{sin::Sin, tan::Tan};
use mapproj::{CenteredProjection, ImgXY, LonLat};

/// Why a sky WCS cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct WcsError(pub String);

/// Supported projections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Projection {
    /// Gnomonic (`RA---TAN`/`DEC--TAN`): XMM-Newton, Chandra, NuSTAR.
    Tan,
    /// Orthographic (`RA---SIN`/`DEC--SIN`): eROSITA.
    Sin,
}

/// The keywords of a 2-D celestial WCS on sky pixels.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WcsParams {
    /// The projection of the CTYPE pair.
    pub projection: Projection,
    /// RA, Dec of the reference point (deg).
    pub crval: [f64; 2],
    /// Reference pixel (1-based).
    pub crpix: [f64; 2],
    /// Pixel size (deg/pixel), X is normally negative (east to the left).
    pub cdelt: [f64; 2],
}

enum Inner {
    Tan(Img2Celestial<Tan, WcsImgXY2ProjXY>),
    Sin(Img2Celestial<Sin, WcsImgXY2ProjXY>),
}

/// A validated sky WCS.
pub struct SkyWcs {
    params: WcsParams,
    inner: Inner,
}

impl std::fmt::Debug for SkyWcs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.params.fmt(f)
    }
}

impl Clone for SkyWcs {
    fn clone(&self) -> Self {
        SkyWcs::new(self.params.clone()).expect("already validated")
    }
}

impl SkyWcs {
    /// Parse the projection from a CTYPE pair like `RA---TAN` / `DEC--TAN`.
    pub fn projection_from_ctype(ctype_x: &str, ctype_y: &str) -> Result<Projection, WcsError> {
        let (x, y) = (ctype_x.trim(), ctype_y.trim());
        if !x.starts_with("RA--") || !y.starts_with("DEC-") {
            return Err(WcsError(format!(
                "sky axes are {x:?}/{y:?}, expected RA---TAN/DEC--TAN or RA---SIN/DEC--SIN"
            )));
        }
        // the last three characters (not bytes: a damaged header may hold any UTF-8)
        let last3 = |s: &str| {
            let n = s.chars().count();
            s.chars().skip(n.saturating_sub(3)).collect::<String>()
        };
        match (last3(x).as_str(), last3(y).as_str()) {
            ("TAN", "TAN") => Ok(Projection::Tan),
            ("SIN", "SIN") => Ok(Projection::Sin),
            _ => Err(WcsError(format!(
                "projection {x:?}/{y:?} is not supported (TAN and SIN are)"
            ))),
        }
    }

    /// Validate the keywords and build the transformation.
    pub fn new(p: WcsParams) -> Result<SkyWcs, WcsError> {
        let [ra, dec] = p.crval;
        if !(ra.is_finite() && dec.is_finite() && (-90.0..=90.0).contains(&dec)) {
            return Err(WcsError(format!(
                "reference point RA={ra}, Dec={dec} is not a sky position"
            )));
        }
        for (i, d) in p.cdelt.iter().enumerate() {
            if !d.is_finite() || *d == 0.0 {
                return Err(WcsError(format!(
                    "pixel size of axis {} is {d}: expected a non-zero number of deg/pixel",
                    i + 1
                )));
            }
            if d.abs() > 0.1 {
                return Err(WcsError(format!(
                    "pixel size of axis {} is {d} deg/pixel ({:.1}′): implausible for a sky pixel of an X-ray camera (expected < 0.1 deg; is it in arcsec?)",
                    i + 1,
                    d.abs() * 60.0
                )));
            }
        }
        if !(p.crpix[0].is_finite() && p.crpix[1].is_finite()) {
            return Err(WcsError("reference pixel is not finite".into()));
        }
        let center = LonLat::new(ra.to_radians(), dec.to_radians());
        let img2proj =
            WcsImgXY2ProjXY::from_cd(p.crpix[0], p.crpix[1], p.cdelt[0], 0.0, 0.0, p.cdelt[1]);
        let inner = match p.projection {
            Projection::Tan => {
                let mut proj = CenteredProjection::new(Tan::default());
                proj.set_proj_center_from_lonlat(&center);
                Inner::Tan(Img2Celestial::new(img2proj, proj))
            }
            Projection::Sin => {
                let mut proj = CenteredProjection::new(Sin::default());
                proj.set_proj_center_from_lonlat(&center);
                Inner::Sin(Img2Celestial::new(img2proj, proj))
            }
        };
        Ok(SkyWcs { params: p, inner })
    }

    /// The keywords.
    pub fn params(&self) -> &WcsParams {
        &self.params
    }

    /// Sky pixel (1-based) → (RA, Dec) in degrees, RA in [0, 360).
    pub fn pix_to_world(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let xy = ImgXY::new(x, y);
        let ll = match &self.inner {
            Inner::Tan(t) => t.img2lonlat(&xy),
            Inner::Sin(s) => s.img2lonlat(&xy),
        }?;
        let mut ra = ll.lon().to_degrees();
        if ra < 0.0 {
            ra += 360.0;
        }
        if ra >= 360.0 {
            ra -= 360.0;
        }
        Some((ra, ll.lat().to_degrees()))
    }

    /// (RA, Dec) in degrees → sky pixel (1-based); None on the far side of the projection.
    pub fn world_to_pix(&self, ra: f64, dec: f64) -> Option<(f64, f64)> {
        let ll = LonLat::new(ra.to_radians(), dec.to_radians());
        let xy = match &self.inner {
            Inner::Tan(t) => t.lonlat2img(&ll),
            Inner::Sin(s) => s.lonlat2img(&ll),
        }?;
        Some((xy.x(), xy.y()))
    }

    /// Pixel size in arcsec (of the X axis).
    pub fn pixel_arcsec(&self) -> f64 {
        self.params.cdelt[0].abs() * 3600.0
    }
}

/// Angular separation in arcsec between two sky positions (deg), by the haversine formula.
pub fn separation_arcsec(ra1: f64, dec1: f64, ra2: f64, dec2: f64) -> f64 {
    let (p1, p2) = (dec1.to_radians(), dec2.to_radians());
    let dra = (ra2 - ra1).to_radians();
    let a = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dra / 2.0).sin().powi(2);
    2.0 * a.sqrt().min(1.0).asin().to_degrees() * 3600.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_pixel_maps_to_reference_point_and_round_trips() {
        let w = SkyWcs::new(WcsParams {
            projection: Projection::Tan,
            crval: [149.6005, -11.0868055555556],
            crpix: [25921.0, 25921.0],
            cdelt: [-1.38888888888889e-05, 1.38888888888889e-05],
        })
        .unwrap();
        let (ra, dec) = w.pix_to_world(25921.0, 25921.0).unwrap();
        assert!((ra - 149.6005).abs() < 1e-12 && (dec + 11.0868055555556).abs() < 1e-12);
        // 1200 pixels of 0.05″; X increases to the west (CDELT1 < 0)
        let (ra2, dec2) = w.pix_to_world(25921.0 - 1200.0, 25921.0).unwrap();
        assert!(ra2 > ra, "east is towards smaller X");
        // gnomonic: a plane offset of 60″ is an angle of atan(60″)
        let want = (60.0f64 / 3600.0).to_radians().atan().to_degrees() * 3600.0;
        let sep = separation_arcsec(ra, dec, ra2, dec2);
        assert!((sep - want).abs() < 1e-9, "{sep} vs {want}");
        let (x, y) = w.world_to_pix(ra2, dec2).unwrap();
        assert!((x - (25921.0 - 1200.0)).abs() < 1e-6 && (y - 25921.0).abs() < 1e-6);
    }

    #[test]
    fn ctypes_with_multibyte_characters_are_an_error_not_a_panic() {
        assert!(SkyWcs::projection_from_ctype("RA---T\u{80}N", "DEC--TAN").is_err());
        assert!(SkyWcs::projection_from_ctype("RA--\u{fffd}", "DEC-\u{fffd}").is_err());
        assert_eq!(
            SkyWcs::projection_from_ctype("RA---SIN", "DEC--SIN").unwrap(),
            Projection::Sin
        );
    }

    #[test]
    fn implausible_keywords_are_rejected_with_a_reason() {
        let e = SkyWcs::new(WcsParams {
            projection: Projection::Tan,
            crval: [0.0, 0.0],
            crpix: [1500.0, 1500.0],
            cdelt: [-2.45810736, 2.45810736],
        })
        .unwrap_err();
        assert!(e.0.contains("implausible") && e.0.contains("arcsec"), "{e}");
        assert!(SkyWcs::projection_from_ctype("RA---CAR", "DEC--CAR").is_err());
        assert!(SkyWcs::projection_from_ctype("DETX", "DETY").is_err());
    }
}
