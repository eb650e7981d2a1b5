//! Geometry of the EPIC cameras and of the sky: the CCD layouts (pn: 12 CCDs of 64×200 pixels of
//! 4.1″ in two rows of six; MOS: 7 CCDs of 600×600 pixels of 1.1″), the rotation of each camera in
//! the detector plane, frame times and relative collecting areas, the XMM sky frame (TAN at the
//! pointing, 0.05″ pixels), and the conversions sky ↔ tangent plane (ξ east, η north) ↔ camera
//! detector coordinates, with [`locate`] telling which CCD and raw pixel a detector position hits.

use exod_core::instrument::EpicCamera as XmmCamera;
use exod_core::wcs::{Projection, SkyWcs, WcsParams};

use super::{SimConfig, SKY_CRPIX, SKY_PIXEL_ARCSEC};

/// One CCD of a camera.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ccd {
    pub(super) id: u8,
    /// Centre in camera detector coordinates (arcsec).
    pub(super) cx: f64,
    pub(super) cy: f64,
    pub(super) nx: i32,
    pub(super) ny: i32,
    pub(super) pixel: f64,
}

impl Ccd {
    /// Half-width and half-height (arcsec).
    pub(super) fn half(&self) -> (f64, f64) {
        (
            self.nx as f64 * self.pixel / 2.0,
            self.ny as f64 * self.pixel / 2.0,
        )
    }
}

/// The CCD layout of a camera, with 6″ gaps between CCDs.
pub(super) fn ccds(cam: XmmCamera) -> Vec<Ccd> {
    let gap = 6.0;
    match cam {
        XmmCamera::Pn => pn_ccds(gap),
        _ => mos_ccds(gap),
    }
}

/// pn: two rows of six 64×200 CCDs of 4.1″ pixels.
fn pn_ccds(gap: f64) -> Vec<Ccd> {
    // the boresight falls on CCD 4 (RAWX ≈ 24, RAWY ≈ 73), as on the real pn
    let (pix, w, h) = (4.1, 64.0 * 4.1, 200.0 * 4.1);
    let (ox, oy) = (-100.0, -300.0);
    let mut v = Vec::new();
    for row in 0..2 {
        for k in 0..6 {
            let cx = ox + (k as f64 - 2.5) * (w + gap);
            let cy = oy
                + if row == 0 {
                    (h + gap) / 2.0
                } else {
                    -(h + gap) / 2.0
                };
            v.push(Ccd {
                id: (row * 6 + k + 1) as u8,
                cx,
                cy,
                nx: 64,
                ny: 200,
                pixel: pix,
            });
        }
    }
    v
}

/// MOS: a central 600×600 CCD of 1.1″ pixels surrounded by six others.
fn mos_ccds(gap: f64) -> Vec<Ccd> {
    let s = 600.0 * 1.1 + gap;
    let pos = [
        (0.0, 0.0),
        (0.0, s),
        (-s, s / 2.0),
        (-s, -s / 2.0),
        (0.0, -s),
        (s, -s / 2.0),
        (s, s / 2.0),
    ];
    pos.iter()
        .enumerate()
        .map(|(i, &(cx, cy))| Ccd {
            id: i as u8 + 1,
            cx,
            cy,
            nx: 600,
            ny: 600,
            pixel: 1.1,
        })
        .collect()
}

/// Rotation of the camera in the detector plane (deg).
pub(super) fn camera_angle(cam: XmmCamera) -> f64 {
    match cam {
        XmmCamera::Mos2 => 90.0,
        _ => 0.0,
    }
}

/// Frame time (s) to which event times are quantised: pn 73.4 ms, MOS 2.6 s.
pub(super) fn frame_time(cam: XmmCamera) -> f64 {
    match cam {
        XmmCamera::Pn => 0.0734,
        _ => 2.6,
    }
}

/// Collecting area relative to pn (MOS: 0.35).
pub(super) fn area_factor(cam: XmmCamera) -> f64 {
    match cam {
        XmmCamera::Pn => 1.0,
        _ => 0.35,
    }
}

/// Index of the camera in per-camera arrays (pn, MOS1, MOS2).
pub(super) fn cam_index(cam: XmmCamera) -> usize {
    match cam {
        XmmCamera::Pn => 0,
        XmmCamera::Mos1 => 1,
        XmmCamera::Mos2 => 2,
    }
}

/// Tangent-plane offsets (ξ east, η north, arcsec) ↔ camera detector coordinates.
pub(super) struct Frame {
    /// Roll angle (deg).
    pub(super) roll: f64,
}

impl Frame {
    /// Tangent-plane offsets → detector coordinates of `cam` (arcsec).
    pub(super) fn sky_to_det(&self, cam: XmmCamera, xi: f64, eta: f64) -> (f64, f64) {
        let a = -(self.roll + camera_angle(cam)).to_radians();
        (xi * a.cos() - eta * a.sin(), xi * a.sin() + eta * a.cos())
    }
    /// Detector coordinates of `cam` → tangent-plane offsets (arcsec).
    pub(super) fn det_to_sky(&self, cam: XmmCamera, dx: f64, dy: f64) -> (f64, f64) {
        let a = (self.roll + camera_angle(cam)).to_radians();
        (dx * a.cos() - dy * a.sin(), dx * a.sin() + dy * a.cos())
    }
}

/// Which CCD and raw pixel a detector position falls on (None in gaps / outside).
pub(super) fn locate(ccds: &[Ccd], dx: f64, dy: f64) -> Option<(u8, i16, i16)> {
    for c in ccds {
        let (hw, hh) = c.half();
        let (u, v) = (dx - (c.cx - hw), dy - (c.cy - hh));
        if u >= 0.0 && v >= 0.0 && u < 2.0 * hw && v < 2.0 * hh {
            return Some((c.id, (u / c.pixel) as i16 + 1, (v / c.pixel) as i16 + 1));
        }
    }
    None
}

/// The sky WCS of a simulated observation.
pub fn sky_wcs(cfg: &SimConfig) -> SkyWcs {
    tan_wcs(cfg.ra, cfg.dec)
}

/// The XMM sky frame (TAN, 0.05″ pixels, reference pixel [`SKY_CRPIX`]) centred on (RA, Dec).
pub(crate) fn tan_wcs(ra: f64, dec: f64) -> SkyWcs {
    SkyWcs::new(WcsParams {
        projection: Projection::Tan,
        crval: [ra, dec],
        crpix: [SKY_CRPIX, SKY_CRPIX],
        cdelt: [-SKY_PIXEL_ARCSEC / 3600.0, SKY_PIXEL_ARCSEC / 3600.0],
    })
    .expect("simulation pointing is valid")
}

/// (RA, Dec) → tangent-plane offsets (ξ east, η north, arcsec) through the sky pixel grid.
pub(super) fn tangent(wcs: &SkyWcs, ra: f64, dec: f64) -> (f64, f64) {
    let (x, y) = wcs.world_to_pix(ra, dec).expect("near the pointing");
    (
        (SKY_CRPIX - x) * SKY_PIXEL_ARCSEC,
        (y - SKY_CRPIX) * SKY_PIXEL_ARCSEC,
    )
}

/// [`tangent`], or None where the projection fails (the far hemisphere).
pub(super) fn try_tangent(wcs: &SkyWcs, ra: f64, dec: f64) -> Option<(f64, f64)> {
    let (x, y) = wcs.world_to_pix(ra, dec)?;
    Some((
        (SKY_CRPIX - x) * SKY_PIXEL_ARCSEC,
        (y - SKY_CRPIX) * SKY_PIXEL_ARCSEC,
    ))
}

/// Tangent-plane offsets (arcsec) → (RA, Dec) through the sky pixel grid.
pub(crate) fn to_radec(wcs: &SkyWcs, xi: f64, eta: f64) -> (f64, f64) {
    wcs.pix_to_world(
        SKY_CRPIX - xi / SKY_PIXEL_ARCSEC,
        SKY_CRPIX + eta / SKY_PIXEL_ARCSEC,
    )
    .expect("inside the projection")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ccd_layouts_have_gaps_and_the_right_sizes() {
        let pn = ccds(XmmCamera::Pn);
        assert_eq!(pn.len(), 12);
        // the boresight is on CCD 4; the rows are separated by a gap 300″ below it
        assert_eq!(locate(&pn, 0.0, 0.0).map(|c| c.0), Some(4));
        assert!(locate(&pn, 0.0, -300.0).is_none());
        let mos = ccds(XmmCamera::Mos1);
        assert_eq!(locate(&mos, 0.0, 0.0).map(|c| c.0), Some(1));
        assert!(
            locate(&mos, 332.0, 0.0).is_none(),
            "gap between CCD 1 and its neighbour"
        );
        // RAW coordinates stay in range
        for x in (-800..800).step_by(37) {
            for y in (-800..800).step_by(41) {
                if let Some((_, rx, ry)) = locate(&pn, x as f64, y as f64) {
                    assert!((1..=64).contains(&rx) && (1..=200).contains(&ry));
                }
            }
        }
    }
}
