//! The focal planes and sky frames of the simulated missions: chip layouts in the detector
//! plane, the sky pixel grid of each pipeline's event lists (projection and pixel from the
//! instrument description), and the numbers the instrument descriptions do not hold (MJDREF,
//! written frame time, vignetting scale, background rates, the source population), each with
//! its source.
//!
//! Detector coordinates are arcsec in the focal plane, rotated from the sky's tangent plane
//! (ξ east, η north) by the roll angle plus the unit's own rotation (eROSITA's TMs); chips are
//! squares centred at `(cx, cy)`. Photons falling between chips are lost (no dither).

use exod_core::instrument::{Description, Instrument, NustarModule};
use exod_core::wcs::{Projection, SkyWcs, WcsParams};

use super::SimMission;

/// One chip (CCD, NuSTAR detector quadrant) in the detector plane.
#[derive(Debug, Clone, Copy)]
pub(super) struct Chip {
    /// Chip number as the pipeline writes it (CCD_ID, DET_ID; 0 for Swift's single CCD).
    pub(super) id: u8,
    /// Centre (arcsec, detector frame).
    pub(super) cx: f64,
    pub(super) cy: f64,
    /// Half side (arcsec).
    pub(super) half: f64,
}

/// One telescope + detector unit: what records photons into one event list (several units
/// share the merged eROSITA list, one per TM).
#[derive(Debug, Clone)]
pub(super) struct Unit {
    /// The instrument.
    pub(super) instrument: Instrument,
    /// Chips.
    pub(super) chips: Vec<Chip>,
    /// Rotation of the unit's detector frame (deg), added to the roll.
    pub(super) angle: f64,
}

impl Unit {
    /// The chip hit at tangent-plane offset (ξ, η) (arcsec) under roll `roll` (deg).
    pub(super) fn chip_at(&self, roll: f64, xi: f64, eta: f64) -> Option<u8> {
        let a = -(roll + self.angle).to_radians();
        let (dx, dy) = (xi * a.cos() - eta * a.sin(), xi * a.sin() + eta * a.cos());
        self.chips
            .iter()
            .find(|c| (dx - c.cx).abs() < c.half && (dy - c.cy).abs() < c.half)
            .map(|c| c.id)
    }
}

/// Everything mission-specific the simulator needs beyond the instrument description.
#[derive(Debug, Clone)]
pub(super) struct Spec {
    /// The event lists: the units recorded in each (eROSITA: 7 units in one merged list).
    pub(super) lists: Vec<Vec<Unit>>,
    /// MJD of mission time 0.
    pub(super) mjdref: f64,
    /// Frame time written (TIMEDEL, s) and to which event times are quantised; 0: event by event.
    pub(super) frame_time: f64,
    /// Vignetting `1/(1 + (θ/θ_v)²)`: θ_v (arcmin).
    pub(super) vignetting_arcmin: f64,
    /// Energy range of the simulated photons (keV): a little wider than the screening range, so
    /// that screening has events to cut.
    pub(super) energy_kev: (f64, f64),
    /// Particle background (ct s⁻¹ arcmin⁻² per unit, over `energy_kev`, not vignetted).
    pub(super) particle: f64,
    /// Unresolved cosmic background (ct s⁻¹ arcmin⁻² per unit on axis, vignetted).
    pub(super) cosmic: f64,
    /// Source counts: N(>S) = `n_ref` (S / `s_ref`)^-`slope` per deg², S the instrument's
    /// count rate (ct/s, all units), drawn between `s_min` and `s_max`.
    pub(super) lognlogs: LogNLogS,
    /// Dead time per recorded event (s; NuSTAR 2.5 ms), 0 for none.
    pub(super) dead_time_per_event: f64,
    /// Fraction of the frame time lost to the frame transfer (Chandra 0.04104 / 3.24104).
    pub(super) dead_fraction: f64,
    /// Reference pixel of the sky frame (X and Y).
    pub(super) crpix: f64,
    /// TLMIN, TLMAX of the sky X and Y columns.
    pub(super) sky_limits: (f64, f64),
    /// Photons are kept only within the description's field radius (eROSITA's circular field).
    pub(super) circular_field: bool,
}

/// A cumulative log N–log S in count rate (see [`Spec::lognlogs`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct LogNLogS {
    pub(super) n_ref: f64,
    pub(super) s_ref: f64,
    pub(super) slope: f64,
    pub(super) s_min: f64,
    pub(super) s_max: f64,
}

/// The four squares of a 2 × 2 array of side `side` (arcsec) with `gap` between them, centred
/// at `(ox, oy)`; ids in the order (+,+), (−,+), (−,−), (+,−) shifted by `first`.
fn quad(side: f64, gap: f64, (ox, oy): (f64, f64), ids: [u8; 4]) -> Vec<Chip> {
    let d = (side + gap) / 2.0;
    [(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)]
        .iter()
        .zip(ids)
        .map(|(&(sx, sy), id)| Chip {
            id,
            cx: ox + sx * d,
            cy: oy + sy * d,
            half: side / 2.0,
        })
        .collect()
}

/// A cumulative soft-band log N–log S: N(>F) ≈ 150 deg⁻² (F / 10⁻¹⁴ erg cm⁻² s⁻¹)^-1.3, within
/// a factor ~1.5 of Moretti et al. 2003 (ApJ 588, 696) and Hasinger et al. 2005 between 10⁻¹⁵
/// and 10⁻¹² (0.5–2 keV), put in count rate by `ct_per_flux` (ct/s per 10⁻¹⁴ erg cm⁻² s⁻¹).
fn soft_counts(ct_per_flux: f64, s_min: f64, s_max: f64) -> LogNLogS {
    LogNLogS {
        n_ref: 150.0,
        s_ref: ct_per_flux,
        slope: 1.3,
        s_min,
        s_max,
    }
}

/// The simulation numbers of `m`.
pub(super) fn spec(m: SimMission) -> Spec {
    match m {
        SimMission::Chandra => chandra(),
        SimMission::Swift => swift(),
        SimMission::Nustar => nustar(),
        SimMission::Erosita => erosita(),
    }
}

/// ACIS-I: CCDs I0–I3 (CCD_ID 0–3), 1024² pixels of 0.492″ (8.4′), ~18″ gaps (POG §6.1,
/// Fig. 6.1), the aimpoint on I3 ~40″ from the array's centre.
fn chandra() -> Spec {
    let side = 1024.0 * Instrument::Acis.description().sky_pixel_arcsec;
    Spec {
        lists: vec![vec![Unit {
            instrument: Instrument::Acis,
            chips: quad(side, 18.0, (-50.0, 50.0), [1, 0, 2, 3]),
            angle: 0.0,
        }]],
        mjdref: 50814.0,
        // 3.2 s exposure + 41.04 ms frame transfer (POG §6.12): TIMEDEL of real evt2 lists
        frame_time: 3.24104,
        // POG §4.2.4 (Fig. 4.6): ~85 % of the on-axis area at 10′, 1.5 keV
        vignetting_arcmin: 24.0,
        energy_kev: (0.3, 10.0),
        // FI chips, quiescent: 0.3 ct/s per chip at 0.3–10 keV, good grades (Markevitch,
        // "ACIS background", CXC calibration pages), i.e. 4.3e-3 ct s⁻¹ arcmin⁻²; below 2 keV the
        // cosmic background is about as large as the particle one
        particle: 3.0e-3,
        cosmic: 1.3e-3,
        // PIMMS: ACIS-I ≈ 0.1 ct/s per 10⁻¹² erg cm⁻² s⁻¹ (0.5–7 keV, Γ = 1.9, recent cycles)
        lognlogs: soft_counts(1.0e-3, 2.0e-4, 0.05),
        dead_time_per_event: 0.0,
        dead_fraction: 0.041_04 / 3.241_04,
        crpix: 4096.5,
        sky_limits: (0.5, 8192.5),
        circular_field: false,
    }
}

/// Swift-XRT PC: one 600 × 600 CCD of 2.36″ (23.6′ field), boresight at its centre (Swift
/// Technical Handbook, XRT).
fn swift() -> Spec {
    let side = 600.0 * Instrument::XrtPc.description().sky_pixel_arcsec;
    Spec {
        lists: vec![vec![Unit {
            instrument: Instrument::XrtPc,
            chips: vec![Chip {
                id: 0,
                cx: 0.0,
                cy: 0.0,
                half: side / 2.0,
            }],
            angle: 0.0,
        }]],
        mjdref: 51910.00074287037,
        frame_time: Instrument::XrtPc.description().frame_time_s,
        // Moretti et al. 2005 (SPIE 5898): ~0.7 of the on-axis area at 10′, 1.5 keV
        vignetting_arcmin: 15.0,
        energy_kev: (0.2, 10.2),
        // XRT PC background ~3e-4 ct s⁻¹ arcmin⁻² at 0.3–10 keV, about half of it particles
        // (order of magnitude: Hill et al. 2004, SPIE 5165; Moretti et al. 2009, A&A 493, 501)
        particle: 1.5e-4,
        cosmic: 1.5e-4,
        // 1 ct/s ≈ 4e-11 erg cm⁻² s⁻¹ (0.3–10 keV, Γ = 1.9; Swift XRT Users' Guide / PIMMS)
        lognlogs: soft_counts(2.5e-4, 2.0e-3, 0.5),
        dead_time_per_event: 0.0,
        dead_fraction: 0.0,
        crpix: 500.5,
        sky_limits: (1.0, 1000.0),
        circular_field: false,
    }
}

/// NuSTAR FPMA and FPMB: each a 2 × 2 array of CdZnTe detectors (DET_ID 0–3) of 32 × 32
/// pixels of 12.3″ (0.605 mm at 10.14 m; Harrison et al. 2013 §3), the optical axis on DET0
/// about 1′ from the array's centre.
fn nustar() -> Spec {
    let unit = |m| Unit {
        instrument: Instrument::Fpm(m),
        chips: quad(32.0 * 12.3, 0.0, (-45.0, -45.0), [0, 1, 2, 3]),
        angle: 0.0,
    };
    Spec {
        lists: vec![vec![unit(NustarModule::A)], vec![unit(NustarModule::B)]],
        mjdref: 55197.00076601852,
        frame_time: 0.0,
        // Harrison et al. 2013 Fig. 8: ~0.5 of the on-axis area at ~4′ (10 keV)
        vignetting_arcmin: 4.5,
        energy_kev: (2.5, 80.0),
        // ~1e-3 ct s⁻¹ arcmin⁻² per module at 3–79 keV: internal (dominant above 20 keV) and
        // aperture stray light + CXB (Wik et al. 2014, ApJ 792, 48; order of magnitude)
        particle: 6.0e-4,
        cosmic: 4.0e-4,
        // hard counts: N(>F) ≈ 5 deg⁻² (F / 10⁻¹³)^-1.5 (NuSTAR serendipitous survey, Lansbury
        // et al. 2017, 8–24 keV); 10⁻¹³ erg cm⁻² s⁻¹ ≈ 7e-4 ct/s per module, 1.4e-3 for both
        lognlogs: LogNLogS {
            n_ref: 5.0,
            s_ref: 1.4e-3,
            slope: 1.5,
            s_min: 5.0e-4,
            s_max: 0.1,
        },
        // Harrison et al. 2013 §5: 2.5 ms per event
        dead_time_per_event: 2.5e-3,
        dead_fraction: 0.0,
        crpix: 500.5,
        sky_limits: (1.0, 1000.0),
        circular_field: false,
    }
}

/// eROSITA, pointed: seven TMs looking at the same field, each a 384 × 384 pnCCD of 9.6″
/// (61.4′; Meidinger et al. 2021), the field cut at the description's 30′ radius; the TM
/// detector frames are rotated against each other (multiples of 360°/7 here: the exact angles
/// do not matter for a circular field).
fn erosita() -> Spec {
    let side = 384.0 * 9.6;
    let units = (1..=7u8)
        .map(|tm| Unit {
            instrument: Instrument::Erosita(tm),
            chips: vec![Chip {
                id: tm,
                cx: 0.0,
                cy: 0.0,
                half: side / 2.0,
            }],
            angle: (tm - 1) as f64 * 360.0 / 7.0,
        })
        .collect();
    Spec {
        lists: vec![units],
        mjdref: 51543.875,
        frame_time: Instrument::Erosita(1).description().frame_time_s,
        // Predehl et al. 2021 Fig. 9: ~0.6 of the on-axis area at 25′ (1.5 keV)
        vignetting_arcmin: 30.0,
        energy_kev: (0.15, 10.0),
        // filter-wheel-closed rate 90–170 ct/min per TM at 0.5–10 keV over the CCD (eROSITA DR1
        // FWC pages; Freyberg et al. 2020): ~2 ct/s / 3770 arcmin²; cosmic: order of magnitude
        particle: 5.3e-4,
        cosmic: 2.0e-4,
        // 1 ct/s (all TMs, 0.2–2.3 keV) ≈ 1e-12 erg cm⁻² s⁻¹ (Merloni et al. 2024 ECF)
        lognlogs: soft_counts(1.0e-2, 5.0e-3, 2.0),
        dead_time_per_event: 0.0,
        dead_fraction: 0.0,
        crpix: 0.0,
        sky_limits: (-108_000.0, 108_000.0),
        circular_field: true,
    }
}

/// The sky frame of the pipeline's X/Y columns: the description's projection and pixel at
/// `crpix`, centred on (RA, Dec), X increasing to the west.
pub(super) fn sky_wcs(d: &Description, crpix: f64, ra: f64, dec: f64) -> SkyWcs {
    let projection = if d.projection == "SIN" {
        Projection::Sin
    } else {
        Projection::Tan
    };
    let p = d.sky_pixel_arcsec / 3600.0;
    SkyWcs::new(WcsParams {
        projection,
        crval: [ra, dec],
        crpix: [crpix, crpix],
        cdelt: [-p, p],
    })
    .expect("the simulated pointing is valid")
}

/// Sky pixel (x, y) of tangent-plane offset (ξ east, η north; arcsec, intermediate world
/// coordinates of the projection).
pub(super) fn sky_pixel(d: &Description, crpix: f64, xi: f64, eta: f64) -> (f64, f64) {
    let p = d.sky_pixel_arcsec;
    (crpix - xi / p, crpix + eta / p)
}

/// Tangent-plane offset (arcsec) of sky pixel (x, y): the inverse of [`sky_pixel`].
pub(super) fn offset_of_pixel(d: &Description, crpix: f64, x: f64, y: f64) -> (f64, f64) {
    let p = d.sky_pixel_arcsec;
    ((crpix - x) * p, (y - crpix) * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_have_the_documented_chips_and_the_boresight_on_the_aimpoint_chip() {
        let c = spec(SimMission::Chandra);
        let u = &c.lists[0][0];
        assert_eq!(u.chip_at(0.0, 0.0, 0.0), Some(3), "aimpoint on I3");
        assert_eq!(u.chip_at(0.0, 300.0, 300.0), Some(1));
        assert_eq!(u.chip_at(0.0, -50.0, 50.0), None, "gap at the array centre");
        let n = spec(SimMission::Nustar);
        assert_eq!(n.lists.len(), 2);
        assert_eq!(n.lists[0][0].chip_at(0.0, 0.0, 0.0), Some(0));
        let e = spec(SimMission::Erosita);
        assert_eq!(e.lists[0].len(), 7);
        let s = spec(SimMission::Swift);
        // the square CCD turns with the roll: 800″ east is off it at roll 0, on it at 45°
        assert_eq!(s.lists[0][0].chip_at(0.0, 800.0, 0.0), None);
        assert_eq!(s.lists[0][0].chip_at(45.0, 800.0, 0.0), Some(0));
    }
}
