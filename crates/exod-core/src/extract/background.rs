//! The background region: an annulus around the target on the source's CCD, minus discs around
//! the sources to avoid, minus whatever of it is off the CCD's footprint.
//!
//! The sources to avoid are the caller's (`exclude`: known sources of an OBSMLI list,
//! detections, a catalogue), each a disc (RA, Dec, radius). Those closer to the target than
//! [`super::ExtractParams::self_match_arcsec`] are the target itself and are never cut out; those
//! whose disc does not reach the annulus do not matter. A source whose disc reaches into the
//! source aperture contaminates it: it is reported (a warning), not cut from the aperture.
//! The background is scaled to the source aperture by the ratio of their areas on the CCD
//! (`BACKSCAL` ratio, [`super::aperture`] for the areas); the exposure is the same CCD's, so no
//! exposure scaling is needed.

use crate::wcs::SkyWcs;

use super::aperture::SkyFrame;

/// A disc in offsets (arcsec) from the target.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Circle {
    /// Offset along +X (arcsec).
    pub u: f64,
    /// Offset along +Y (arcsec).
    pub v: f64,
    /// Radius (arcsec).
    pub r: f64,
}

impl Circle {
    /// Is the offset (u, v) inside (boundary included)?
    pub fn contains(&self, u: f64, v: f64) -> bool {
        (u - self.u).powi(2) + (v - self.v).powi(2) <= self.r * self.r
    }

    /// Distance (arcsec) of the centre from the target.
    pub fn distance(&self) -> f64 {
        self.u.hypot(self.v)
    }
}

/// The background annulus (offsets from the target, arcsec) and the discs cut out of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BackgroundRegion {
    /// Inner radius (arcsec).
    pub inner: f64,
    /// Outer radius (arcsec).
    pub outer: f64,
    /// Discs cut out (only those reaching the annulus).
    pub exclusions: Vec<Circle>,
}

impl BackgroundRegion {
    /// Is the offset (u, v) inside one of the excluded discs?
    pub fn excluded(&self, u: f64, v: f64) -> bool {
        self.exclusions.iter().any(|c| c.contains(u, v))
    }

    /// Is the offset (u, v) in the annulus and not excluded (the CCD is not checked here)?
    pub fn contains(&self, u: f64, v: f64) -> bool {
        let r = u.hypot(v);
        r >= self.inner && r < self.outer && !self.excluded(u, v)
    }
}

/// What the sources to avoid mean for one extraction.
#[derive(Debug, Clone, PartialEq)]
pub struct Exclusions {
    /// The discs reaching the background annulus (cut out of it).
    pub cut: Vec<Circle>,
    /// Sources (RA, Dec, separation from the target in arcsec) whose disc reaches into the
    /// source aperture.
    pub in_aperture: Vec<(f64, f64, f64)>,
    /// Sources taken for the target itself (within the self-match radius).
    pub n_self: usize,
}

/// Sort the sources to avoid `exclude` (RA, Dec in degrees, radius in arcsec) for a target at
/// `frame`'s origin with a source radius `r_src` and annulus `inner`–`outer` (arcsec). Sources
/// that cannot be projected (far side of `wcs`) or have a non-finite or negative radius are
/// ignored.
pub fn sort_exclusions(
    exclude: &[(f64, f64, f64)],
    wcs: &SkyWcs,
    frame: &SkyFrame,
    r_src: f64,
    (inner, outer): (f64, f64),
    self_match_arcsec: f64,
) -> Exclusions {
    let mut out = Exclusions {
        cut: vec![],
        in_aperture: vec![],
        n_self: 0,
    };
    for &(ra, dec, r) in exclude {
        if !(r.is_finite() && r >= 0.0) {
            continue;
        }
        let Some((x, y)) = wcs.world_to_pix(ra, dec) else {
            continue;
        };
        let (u, v) = frame.offset(x, y);
        let c = Circle { u, v, r };
        let d = c.distance();
        if d < self_match_arcsec {
            out.n_self += 1;
            continue;
        }
        if d < r_src + r {
            out.in_aperture.push((ra, dec, d));
        }
        if d < outer + r && d + r > inner {
            out.cut.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wcs::{Projection, WcsParams};

    #[test]
    fn exclusions_are_sorted_by_where_they_fall() {
        let wcs = SkyWcs::new(WcsParams {
            projection: Projection::Tan,
            crval: [150.0, 2.0],
            crpix: [25921.0, 25921.0],
            cdelt: [-0.05 / 3600.0, 0.05 / 3600.0],
        })
        .unwrap();
        let frame = SkyFrame::new(&wcs, 150.0, 2.0).unwrap();
        let north = |arcsec: f64| (150.0, 2.0 + arcsec / 3600.0);
        let src = |a: f64, r: f64| {
            let (ra, dec) = north(a);
            (ra, dec, r)
        };
        let list = [
            src(3.0, 20.0),   // the target itself
            src(35.0, 10.0),  // reaches the aperture (r_src 30)
            src(100.0, 10.0), // in the annulus
            src(55.0, 10.0),  // reaches the annulus from inside
            src(400.0, 20.0), // beyond
            src(100.0, f64::NAN),
        ];
        let e = sort_exclusions(&list, &wcs, &frame, 30.0, (60.0, 150.0), 10.0);
        assert_eq!(e.n_self, 1);
        assert_eq!(e.in_aperture.len(), 1);
        assert!((e.in_aperture[0].2 - 35.0).abs() < 1e-6);
        assert_eq!(e.cut.len(), 2);
        // north is +Y (CDELT2 > 0)
        // (the gnomonic projection of 100″ is tan(100″): 8e-6″ more)
        assert!(e.cut[0].u.abs() < 1e-6 && (e.cut[0].v - 100.0).abs() < 1e-4);
        let region = BackgroundRegion {
            inner: 60.0,
            outer: 150.0,
            exclusions: e.cut,
        };
        assert!(!region.contains(0.0, 100.0) && region.contains(0.0, -100.0));
        assert!(!region.contains(0.0, 30.0) && !region.contains(0.0, 151.0));
    }
}
