//! The source aperture: the extraction parameters, the radius from the PSF, the tangent-plane
//! frame of offsets around the target, and the areas of the source and background regions by
//! integration on a fine grid.
//!
//! ## Radius
//!
//! Given ([`ExtractParams::src_radius_arcsec`]), or the radius enclosing the fraction
//! [`ExtractParams::eef`] (default 0.8) of the camera's King PSF ([`super::psf::epic_king`]) at
//! the band's mean photon energy and the target's off-axis angle, clamped to [10″, 60″]. The
//! mean energy is that of the band's events of the source CCD inside a first aperture drawn at
//! the band's geometric-mean energy (√(E_lo·E_hi), 1.55 keV for 0.2–12 keV), or that
//! geometric mean when the aperture is empty. EEF 0.8 gives ≈ 28″ for pn and ≈ 25″ for MOS on
//! axis at 1.5 keV — the 28″ of the XMM pipeline's former fixed aperture; the pipeline's
//! optimised apertures now range over 12″–40″, which the clamp contains.
//!
//! ## Areas
//!
//! Areas (arcsec²) are sums over the cells of a square grid of step h (default 0.5″,
//! [`ExtractParams::grid_step_arcsec`]) in offsets from the target, of the cells whose centre
//! falls in the region — a disc, an annulus, minus excluded discs, clipped to the CCD's
//! footprint; a cell whose centre and corners disagree is crossed by a boundary and is summed
//! over 8 × 8 sub-cells. Measured against the analytic areas (tests): discs of 10″–60″ within
//! 4 × 10⁻⁴ at h = 0.5″ (1 × 10⁻⁴ at 0.25″), annuli 60″–150″ and a disc or annulus clipped by
//! a straight CCD edge within 3 × 10⁻⁵. A 150″ annulus costs ≈ 4 × 10⁵ cell tests.
//! The same grid weights the PSF to give the encircled fraction of a disc clipped by the CCD.
//! Geometry is done in the sky-pixel (tangent) plane of the event list: pixel offsets times
//! |CDELT| (distortion of the TAN projection < 10⁻⁵ within 150″ of a target 15′ off the
//! reference point).

use crate::wcs::SkyWcs;

use super::background::BackgroundRegion;
use super::footprint::Footprint;
use super::psf::KingPsf;
use super::ExtractError;

/// Parameters of an extraction (defaults in [`ExtractParams::default`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExtractParams {
    /// Energy band (eV) of the events kept, [lo, hi). Default 200–12 000 eV.
    pub band_ev: (f64, f64),
    /// Source radius (arcsec); None (default): from the PSF (see the module docs).
    pub src_radius_arcsec: Option<f64>,
    /// Encircled-energy fraction the PSF radius encloses. Default 0.8.
    pub eef: f64,
    /// Smallest and largest PSF radius (arcsec) of EPIC apertures. Default 10″ and 60″. The
    /// other instruments' radii are scaled by their PSF: the range × (their HPD at the position
    /// / EPIC pn's on-axis 16.6″), e.g. 0.5–2.9″ for Chandra on axis.
    pub src_radius_range_arcsec: (f64, f64),
    /// Photon energy (keV) of the PSF; None (default): the band's mean (module docs).
    pub psf_energy_kev: Option<f64>,
    /// Inner radius of the background annulus (arcsec), raised to 2 × the source radius when
    /// smaller. Default 60″ (the XMM pipeline's former annulus was 60″–180″; at 60″ a point
    /// source's wings hold < 8 % of its counts, spread over an area ~ 20 × the aperture's).
    pub bkg_inner_arcsec: f64,
    /// Outer radius of the background annulus (arcsec), raised to the inner radius + 60″ when
    /// smaller. Default 150″: the annulus then fits on a MOS CCD (660″ wide) for a target
    /// within 3′ of its centre, and is clipped to the source's CCD otherwise.
    pub bkg_outer_arcsec: f64,
    /// Sources to avoid closer than this (arcsec) to the target are the target itself and are
    /// not excluded. Default 10″ (≈ 3 × the 1σ position error of a faint EPIC source).
    pub self_match_arcsec: f64,
    /// Step (arcsec) of the area-integration grid. Default 0.5″.
    pub grid_step_arcsec: f64,
}

impl Default for ExtractParams {
    fn default() -> Self {
        ExtractParams {
            band_ev: (200.0, 12_000.0),
            src_radius_arcsec: None,
            eef: 0.8,
            src_radius_range_arcsec: (10.0, 60.0),
            psf_energy_kev: None,
            bkg_inner_arcsec: 60.0,
            bkg_outer_arcsec: 150.0,
            self_match_arcsec: 10.0,
            grid_step_arcsec: 0.5,
        }
    }
}

impl ExtractParams {
    /// Check every parameter's domain.
    pub fn validate(&self) -> Result<(), ExtractError> {
        let bad = |what: String| Err(ExtractError::Param(what));
        let (lo, hi) = self.band_ev;
        if !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && hi > lo) {
            return bad(format!("band {lo}–{hi} eV: expected 0 ≤ lo < hi (eV)"));
        }
        if let Some(r) = self.src_radius_arcsec {
            if !(r.is_finite() && r > 0.0) {
                return bad(format!(
                    "source radius {r}″: expected a positive number of arcsec"
                ));
            }
        }
        if !(self.eef > 0.0 && self.eef < 1.0) {
            return bad(format!("EEF {}: expected a fraction in (0, 1)", self.eef));
        }
        let (a, b) = self.src_radius_range_arcsec;
        if !(a.is_finite() && b.is_finite() && a > 0.0 && b >= a) {
            return bad(format!(
                "source radius range {a}″–{b}″: expected 0 < min ≤ max"
            ));
        }
        if let Some(e) = self.psf_energy_kev {
            if !(e.is_finite() && e > 0.0) {
                return bad(format!("PSF energy {e} keV: expected a positive energy"));
            }
        }
        let (i, o) = (self.bkg_inner_arcsec, self.bkg_outer_arcsec);
        if !(i.is_finite() && o.is_finite() && i >= 0.0 && o > i) {
            return bad(format!(
                "background annulus {i}″–{o}″: expected 0 ≤ inner < outer"
            ));
        }
        if !(self.self_match_arcsec.is_finite() && self.self_match_arcsec >= 0.0) {
            return bad(format!(
                "self-match radius {}″: expected ≥ 0",
                self.self_match_arcsec
            ));
        }
        let h = self.grid_step_arcsec;
        if !(h.is_finite() && h > 0.0 && h <= 5.0) {
            return bad(format!("grid step {h}″: expected a step in (0, 5] arcsec"));
        }
        Ok(())
    }

    /// The background annulus (inner, outer) in arcsec for a source radius `r_src`: at least
    /// 2·r_src inside, at least 60″ wide.
    pub fn bkg_radii(&self, r_src: f64) -> (f64, f64) {
        let inner = self.bkg_inner_arcsec.max(2.0 * r_src);
        (inner, self.bkg_outer_arcsec.max(inner + 60.0))
    }

    /// Is an energy (eV) in the band?
    pub fn in_band(&self, e_ev: f32) -> bool {
        let e = e_ev as f64;
        e >= self.band_ev.0 && e < self.band_ev.1
    }

    /// The PSF radius for `psf`: the EEF radius clamped to the range.
    pub fn psf_radius(&self, psf: &KingPsf) -> Result<f64, ExtractError> {
        self.psf_radius_scaled(psf, 1.0)
    }

    /// The PSF radius for `psf` with the range scaled by `scale` (see
    /// [`ExtractParams::src_radius_range_arcsec`]).
    pub fn psf_radius_scaled(&self, psf: &KingPsf, scale: f64) -> Result<f64, ExtractError> {
        let (a, b) = self.src_radius_range_arcsec;
        Ok(psf.radius_for_eef(self.eef)?.clamp(a * scale, b * scale))
    }
}

/// Offsets (arcsec) from the target in the sky-pixel plane of one event list: u along +X, v
/// along +Y (pixel offsets × |CDELT|; orientation kept, so hulls stay counter-clockwise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkyFrame {
    /// Target X (pixels).
    pub x0: f64,
    /// Target Y (pixels).
    pub y0: f64,
    /// Arcsec per pixel along X.
    pub sx: f64,
    /// Arcsec per pixel along Y.
    pub sy: f64,
}

impl SkyFrame {
    /// The frame of `wcs` around (ra, dec); None on the far side of the projection.
    pub fn new(wcs: &SkyWcs, ra: f64, dec: f64) -> Option<SkyFrame> {
        let (x0, y0) = wcs.world_to_pix(ra, dec)?;
        let p = wcs.params();
        Some(SkyFrame {
            x0,
            y0,
            sx: p.cdelt[0].abs() * 3600.0,
            sy: p.cdelt[1].abs() * 3600.0,
        })
    }

    /// Offset (arcsec) of pixel (x, y).
    pub fn offset(&self, x: f64, y: f64) -> (f64, f64) {
        ((x - self.x0) * self.sx, (y - self.y0) * self.sy)
    }

    /// Distance (arcsec) of pixel (x, y) from the target.
    pub fn distance(&self, x: f64, y: f64) -> f64 {
        let (u, v) = self.offset(x, y);
        u.hypot(v)
    }
}

/// Areas (arcsec²) of an extraction's regions, by grid integration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Areas {
    /// The full source disc (π r² up to the grid's accuracy).
    pub src_full: f64,
    /// The source disc on the CCD.
    pub src_on_ccd: f64,
    /// The background annulus on the CCD minus the excluded discs.
    pub bkg: f64,
    /// The full annulus, as if nothing were cut.
    pub bkg_full: f64,
    /// Fraction of the PSF inside the source disc that falls on the CCD (1 without a PSF).
    pub psf_on_ccd: f64,
}

/// Which regions an offset belongs to (bits): the source disc, the disc on the CCD, the full
/// annulus, the usable background (annulus, on the CCD, not excluded).
const SRC: u8 = 1;
const SRC_ON: u8 = 2;
const RING: u8 = 4;
const BKG: u8 = 8;

struct Regions<'a> {
    rs2: f64,
    ri2: f64,
    ro2: f64,
    bkg: &'a BackgroundRegion,
    ccd: &'a Footprint,
}

impl Regions<'_> {
    fn classify(&self, u: f64, v: f64) -> u8 {
        let r2 = u * u + v * v;
        let (in_src, in_ring) = (r2 < self.rs2, r2 >= self.ri2 && r2 < self.ro2);
        if !(in_src || in_ring) {
            return 0;
        }
        let on = self.ccd.contains(u, v);
        let mut m = 0;
        if in_src {
            m |= SRC | if on { SRC_ON } else { 0 };
        }
        if in_ring {
            m |= RING
                | if on && !self.bkg.excluded(u, v) {
                    BKG
                } else {
                    0
                };
        }
        m
    }
}

/// Sub-cells per side of a cell crossed by a boundary.
const REFINE: i64 = 8;

/// Accumulated areas and PSF weights.
#[derive(Default)]
struct Sums {
    src_full: f64,
    src_on: f64,
    ring: f64,
    bkg: f64,
    w_all: f64,
    w_on: f64,
}

impl Sums {
    fn add(&mut self, m: u8, area: f64, w: f64) {
        if m & SRC != 0 {
            self.src_full += area;
            self.w_all += w * area;
        }
        if m & SRC_ON != 0 {
            self.src_on += area;
            self.w_on += w * area;
        }
        if m & RING != 0 {
            self.ring += area;
        }
        if m & BKG != 0 {
            self.bkg += area;
        }
    }
}

/// Integrate the source disc of radius `r_src` and the background region `bkg` (offsets from
/// the target, arcsec) clipped to `ccd` (in the same offsets) on a grid of step `h`, weighting
/// the disc by `psf` (module docs). A cell whose centre and four corners do not all fall in
/// the same regions is crossed by a boundary and is integrated on 8 × 8 sub-cells.
pub fn integrate_areas(
    r_src: f64,
    bkg: &BackgroundRegion,
    ccd: &Footprint,
    psf: Option<&KingPsf>,
    h: f64,
) -> Areas {
    let g = Regions {
        rs2: r_src * r_src,
        ri2: bkg.inner * bkg.inner,
        ro2: bkg.outer * bkg.outer,
        bkg,
        ccd,
    };
    let weight = |u: f64, v: f64| psf.map_or(1.0, |p| p.density(u.hypot(v)));
    let n = (r_src.max(bkg.outer) / h).ceil() as i64 + 1;
    let mut s = Sums::default();
    // corner classes of the grid lines, one row at a time
    let corner = |i: i64, j: i64| g.classify(i as f64 * h, j as f64 * h);
    let mut below: Vec<u8> = (-n..=n).map(|i| corner(i, -n)).collect();
    for j in -n..n {
        let above: Vec<u8> = (-n..=n).map(|i| corner(i, j + 1)).collect();
        for (k, i) in (-n..n).enumerate() {
            let (u, v) = ((i as f64 + 0.5) * h, (j as f64 + 0.5) * h);
            let m = g.classify(u, v);
            let corners = [below[k], below[k + 1], above[k], above[k + 1]];
            if corners.iter().all(|&c| c == m) {
                if m != 0 {
                    s.add(m, h * h, weight(u, v));
                }
                continue;
            }
            let hs = h / REFINE as f64;
            for b in 0..REFINE {
                for a in 0..REFINE {
                    let (us, vs) = (
                        i as f64 * h + (a as f64 + 0.5) * hs,
                        j as f64 * h + (b as f64 + 0.5) * hs,
                    );
                    let ms = g.classify(us, vs);
                    if ms != 0 {
                        s.add(ms, hs * hs, weight(us, vs));
                    }
                }
            }
        }
        below = above;
    }
    Areas {
        src_full: s.src_full,
        src_on_ccd: s.src_on,
        bkg: s.bkg,
        bkg_full: s.ring,
        psf_on_ccd: if s.w_all > 0.0 { s.w_on / s.w_all } else { 1.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::super::background::Circle;
    use super::*;
    use std::f64::consts::PI;

    fn square(half: f64) -> Footprint {
        Footprint::from_points(&[(-half, -half), (half, -half), (half, half), (-half, half)])
            .unwrap()
    }

    fn ring(inner: f64, outer: f64, exclusions: Vec<Circle>) -> BackgroundRegion {
        BackgroundRegion {
            inner,
            outer,
            exclusions,
        }
    }

    /// Area of the disc of radius r centred at distance d (< r) from a straight edge, on the
    /// far side of the edge (the circular segment).
    fn segment(r: f64, d: f64) -> f64 {
        r * r * (d / r).acos() - d * (r * r - d * d).sqrt()
    }

    #[test]
    fn disc_and_annulus_areas_match_the_analytic_ones() {
        let ccd = square(1000.0);
        for (r, i, o) in [
            (10.0, 60.0, 150.0),
            (28.3, 60.0, 150.0),
            (60.0, 120.0, 180.0),
        ] {
            let a = integrate_areas(r, &ring(i, o, vec![]), &ccd, None, 0.5);
            let (disc, ann) = (PI * r * r, PI * (o * o - i * i));
            assert!(
                (a.src_full / disc - 1.0).abs() < 5e-4,
                "r {r}: {} vs {disc}",
                a.src_full
            );
            assert_eq!(a.src_on_ccd, a.src_full);
            assert!(
                (a.bkg / ann - 1.0).abs() < 5e-4,
                "{i}-{o}: {} vs {ann}",
                a.bkg
            );
            assert_eq!(a.psf_on_ccd, 1.0);
        }
    }

    #[test]
    fn areas_clipped_by_a_ccd_edge_and_cut_by_exclusions_match_the_analytic_ones() {
        // the CCD's edge 20″ from the target: the disc of 30″ loses a segment, the annulus
        // 60–150″ loses the difference of two segments
        let ccd = Footprint::from_points(&[
            (-500.0, -500.0),
            (20.0, -500.0),
            (20.0, 500.0),
            (-500.0, 500.0),
        ])
        .unwrap();
        let exc = vec![Circle {
            u: -100.0,
            v: 0.0,
            r: 15.0,
        }];
        let a = integrate_areas(30.0, &ring(60.0, 150.0, exc), &ccd, None, 0.5);
        let src = PI * 900.0 - segment(30.0, 20.0);
        let bkg = PI * (150.0f64.powi(2) - 3600.0)
            - (segment(150.0, 20.0) - segment(60.0, 20.0))
            - PI * 225.0;
        assert!(
            (a.src_on_ccd / src - 1.0).abs() < 2e-3,
            "{} vs {src}",
            a.src_on_ccd
        );
        assert!((a.bkg / bkg - 1.0).abs() < 2e-3, "{} vs {bkg}", a.bkg);
        assert!((a.bkg_full / (PI * (150.0f64.powi(2) - 3600.0)) - 1.0).abs() < 5e-4);
    }

    #[test]
    fn the_psf_share_on_the_ccd_of_a_disc_cut_through_its_centre_is_one_half() {
        // an edge through the target: by symmetry half of the PSF in the disc is on the CCD
        let ccd = Footprint::from_points(&[
            (-500.0, -500.0),
            (0.0, -500.0),
            (0.0, 500.0),
            (-500.0, 500.0),
        ])
        .unwrap();
        let psf = KingPsf::new(3.9, 1.5).unwrap();
        let a = integrate_areas(20.0, &ring(60.0, 150.0, vec![]), &ccd, Some(&psf), 0.5);
        // (the column of cells on the edge is refined, its mirror is not: 1e-4 of asymmetry)
        assert!((a.psf_on_ccd - 0.5).abs() < 1e-4, "{}", a.psf_on_ccd);
        // and the PSF weights sum to the EEF: ∑ density h² over the full disc
        let w: f64 = {
            let n = 40;
            let mut s = 0.0;
            for j in -n..n {
                for i in -n..n {
                    let (u, v) = ((i as f64 + 0.5) * 0.5, (j as f64 + 0.5) * 0.5);
                    let r = u.hypot(v);
                    if r < 20.0 {
                        s += psf.density(r) * 0.25;
                    }
                }
            }
            s
        };
        assert!(
            (w / psf.eef(20.0) - 1.0).abs() < 2e-3,
            "{w} vs {}",
            psf.eef(20.0)
        );
    }

    #[test]
    fn parameters_are_checked() {
        assert!(ExtractParams::default().validate().is_ok());
        let bad = [
            ExtractParams {
                band_ev: (2000.0, 500.0),
                ..Default::default()
            },
            ExtractParams {
                eef: 1.0,
                ..Default::default()
            },
            ExtractParams {
                src_radius_arcsec: Some(-3.0),
                ..Default::default()
            },
            ExtractParams {
                bkg_outer_arcsec: 30.0,
                ..Default::default()
            },
            ExtractParams {
                grid_step_arcsec: 0.0,
                ..Default::default()
            },
        ];
        for p in bad {
            assert!(p.validate().is_err(), "{p:?}");
        }
        let p = ExtractParams::default();
        assert_eq!(p.bkg_radii(20.0), (60.0, 150.0));
        assert_eq!(p.bkg_radii(50.0), (100.0, 160.0));
    }
}
