//! Source and background extraction for follow-up (timing and spectra): for a sky position,
//! per camera, the events of a circular source aperture and of a background annulus on the
//! same CCD, with their areas, the aperture's encircled-energy fraction and the CCD's good
//! time and live fraction — what a light curve ([`crate::timing::lightcurve`]) and a spectrum
//! (`BACKSCAL` from the areas, `EXPOSURE` from the GTI and live fraction, the events' energies)
//! are made of.
//!
//! Per camera ([`extract`]):
//!
//! 1. the target's sky pixel and off-axis angle (from `RA_PNT`/`DEC_PNT`, else the WCS
//!    reference point, with a warning);
//! 2. the source CCD: the one whose footprint ([`footprint`]: convex hull of its events)
//!    contains the target (most band events in the aperture if several); none — the target is
//!    off the camera or in a gap — skips the camera with a warning;
//! 3. the source radius ([`aperture`]: from the King PSF ([`psf`]) for an EEF, or given) and
//!    the background annulus minus the sources to avoid ([`background`]);
//! 4. the areas on the CCD by grid integration, the ratio src/bkg (`BACKSCAL` ratio), and the
//!    EEF of the aperture on the CCD: EEF(r) × the PSF's share of the disc on the CCD;
//! 5. the band's events of the CCD inside its GTI: in the aperture, and in the background
//!    region; the GTI and live fraction ([`livetime`]) of the CCD.
//!
//! Only the source CCD's events and area are used, so one GTI and one live fraction describe
//! them: an aperture crossing a CCD edge keeps its on-CCD part (its EEF says so).
//! [`extract`] fails only when no camera covers the target.

pub mod aperture;
pub mod background;
pub mod footprint;
pub mod livetime;
pub mod psf;

use std::collections::BTreeMap;

use crate::exposure::Exposure;
use crate::gti::Gti;
use crate::wcs::{separation_arcsec, SkyWcs};

pub use aperture::ExtractParams;
use aperture::{integrate_areas, SkyFrame};
use background::{sort_exclusions, BackgroundRegion};
use footprint::{ccd_footprints, Footprint};
use psf::{instrument_psf, KingPsf};

/// Errors of the extraction.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtractError {
    /// A parameter out of its domain.
    #[error("{0}")]
    Param(String),
    /// No camera covers the position.
    #[error("no camera covers RA = {ra}, Dec = {dec}: {reasons}")]
    NotCovered {
        /// RA of the target (deg).
        ra: f64,
        /// Dec of the target (deg).
        dec: f64,
        /// Why each camera was skipped.
        reasons: String,
    },
}

/// Events of one region: time (s), energy (eV) and sky pixel, in time order.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct EventSet {
    /// Arrival times (s, mission time), sorted.
    pub time: Vec<f64>,
    /// Energies (eV).
    pub energy: Vec<f32>,
    /// Sky X (pixels).
    pub x: Vec<f32>,
    /// Sky Y (pixels).
    pub y: Vec<f32>,
}

impl EventSet {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.time.len()
    }
    /// No events?
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }
    fn push(&mut self, t: f64, e: f32, x: f32, y: f32) {
        self.time.push(t);
        self.energy.push(e);
        self.x.push(x);
        self.y.push(y);
    }
}

/// The extraction of one camera.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CameraExtraction {
    /// Camera label: "PN", "M1", "M2" (INSTRUME for other instruments).
    pub camera: String,
    /// INSTRUME of the event list (EPN, EMOS1, EMOS2, ...).
    pub instrume: String,
    /// The source CCD.
    pub ccd: u8,
    /// Source radius (arcsec).
    pub src_radius_arcsec: f64,
    /// Inner radius of the background annulus (arcsec).
    pub bkg_inner_arcsec: f64,
    /// Outer radius of the background annulus (arcsec).
    pub bkg_outer_arcsec: f64,
    /// Area of the source disc on the CCD (arcsec²).
    pub src_area_arcsec2: f64,
    /// Area of the background region after exclusions and CCD clipping (arcsec²).
    pub bkg_area_arcsec2: f64,
    /// src_area / bkg_area: the factor that scales background counts to the aperture.
    pub backscal_ratio: f64,
    /// Encircled-energy fraction of the aperture on the CCD (NaN without a PSF model).
    pub eef: f64,
    /// The PSF used (None for instruments without a model, with a given radius).
    pub psf: Option<KingPsf>,
    /// Photon energy (keV) of the PSF.
    pub psf_energy_kev: f64,
    /// Off-axis angle of the target (arcmin).
    pub offaxis_arcmin: f64,
    /// The source CCD's GTI.
    pub gti: Gti,
    /// The CCD's live-time fraction.
    pub live_fraction: f64,
    /// Live time of the extraction: |GTI| × live fraction (s; a spectrum's EXPOSURE).
    pub live_time_s: f64,
    /// Band events of the CCD in the aperture (inside the GTI).
    pub src: EventSet,
    /// Band events of the CCD in the background region (inside the GTI).
    pub bkg: EventSet,
    /// Sources to avoid cut out of the background annulus.
    pub n_excluded: usize,
}

/// The extraction of a position from every camera that covers it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Extraction {
    /// RA of the target (deg).
    pub ra: f64,
    /// Dec of the target (deg).
    pub dec: f64,
    /// Energy band (eV).
    pub band_ev: (f64, f64),
    /// One per camera covering the target, in the order of the exposures.
    pub cameras: Vec<CameraExtraction>,
    /// Cameras skipped and other facts worth a user's attention.
    pub warnings: Vec<String>,
}

/// Extract the position (`ra`, `dec`) (deg) from each exposure (module docs), avoiding the
/// sources `exclude` (RA, Dec in degrees, radius in arcsec). A camera that does not cover the
/// target is skipped with a warning; an error when none does, or for invalid parameters.
pub fn extract(
    exposures: &[Exposure],
    ra: f64,
    dec: f64,
    params: &ExtractParams,
    exclude: &[(f64, f64, f64)],
) -> Result<Extraction, ExtractError> {
    params.validate()?;
    if !(ra.is_finite() && dec.is_finite() && (-90.0..=90.0).contains(&dec)) {
        return Err(ExtractError::Param(format!(
            "position RA = {ra}, Dec = {dec}: expected degrees with Dec in [−90, 90]"
        )));
    }
    let mut out = Extraction {
        ra,
        dec,
        band_ev: params.band_ev,
        cameras: vec![],
        warnings: vec![],
    };
    let mut skipped = vec![];
    for e in exposures {
        let label = camera_label(e);
        match extract_camera(e, ra, dec, params, exclude, &mut out.warnings) {
            Ok(c) => out.cameras.push(c),
            Err(why) => {
                let msg = format!("{label} ({}): skipped: {why}", e.path().display());
                out.warnings.push(msg.clone());
                skipped.push(msg);
            }
        }
    }
    if out.cameras.is_empty() {
        return Err(ExtractError::NotCovered {
            ra,
            dec,
            reasons: if skipped.is_empty() {
                "no exposure given".into()
            } else {
                skipped.join("; ")
            },
        });
    }
    Ok(out)
}

fn camera_label(e: &Exposure) -> String {
    e.header()
        .camera
        .map(|c| c.short().to_string())
        .unwrap_or_else(|| e.header().instrument.clone())
}

/// The pointing (deg) of `e`: RA_PNT/DEC_PNT, else the WCS reference point (with a warning).
fn pointing(e: &Exposure, wcs: &SkyWcs, label: &str, warnings: &mut Vec<String>) -> (f64, f64) {
    let h = e.header();
    match (h.ra_pnt, h.dec_pnt) {
        (Some(a), Some(d)) => (a, d),
        _ => {
            warnings.push(format!(
                "{label}: no RA_PNT/DEC_PNT: off-axis angle measured from the WCS reference point"
            ));
            (wcs.params().crval[0], wcs.params().crval[1])
        }
    }
}

/// Everything about the target's place on one camera before events are counted.
struct Placement {
    frame: SkyFrame,
    ccd: u8,
    hull: Footprint,
    gti: Gti,
    offaxis_arcmin: f64,
}

/// The source CCD of the target on `e` and its footprint (module docs, steps 1–2).
fn place(
    e: &Exposure,
    ra: f64,
    dec: f64,
    params: &ExtractParams,
    label: &str,
    warnings: &mut Vec<String>,
) -> Result<Placement, String> {
    let wcs = e.wcs().as_ref().map_err(|w| format!("no sky WCS ({w})"))?;
    let frame =
        SkyFrame::new(wcs, ra, dec).ok_or("the target is on the far side of the sky projection")?;
    let (ra_p, dec_p) = pointing(e, wcs, label, warnings);
    let offaxis_arcmin = separation_arcsec(ra_p, dec_p, ra, dec) / 60.0;
    // CCDs with events near the target, then their footprints
    let reach = params.src_radius_range_arcsec.1.max(60.0);
    let mut near: Vec<u8> = e
        .ccd()
        .iter()
        .zip(e.x().iter().zip(e.y()))
        .filter(|(_, (&x, &y))| frame.distance(x as f64, y as f64) < reach)
        .map(|(&c, _)| c)
        .collect();
    near.sort_unstable();
    near.dedup();
    // no event near the target (a faint, short exposure): every CCD's footprint
    let hulls = ccd_footprints(e, (!near.is_empty()).then_some(near.as_slice()));
    let inside: Vec<u8> = hulls
        .iter()
        .filter(|(_, f)| f.contains(frame.x0, frame.y0))
        .map(|(&c, _)| c)
        .collect();
    let ccd = match inside.as_slice() {
        [] => return Err(off_ccd_reason(&hulls, &frame)),
        [c] => *c,
        many => busiest_ccd(e, &frame, many, params),
    };
    let gti = e
        .gti()
        .get(&ccd)
        .or_else(|| e.gti().get(&0))
        .cloned()
        .unwrap_or_default();
    if gti.is_empty() {
        return Err(format!("CCD {ccd} holding the target has no good time"));
    }
    let hull = hulls[&ccd].mapped(|x, y| frame.offset(x, y));
    Ok(Placement {
        frame,
        ccd,
        hull,
        gti,
        offaxis_arcmin,
    })
}

/// Why the target is on no CCD: the nearest footprint and how far it is.
fn off_ccd_reason(hulls: &BTreeMap<u8, Footprint>, frame: &SkyFrame) -> String {
    let nearest = hulls
        .iter()
        .map(|(&c, f)| (c, -f.edge_distance(frame.x0, frame.y0) * frame.sx))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    match nearest {
        Some((c, d)) => format!(
            "the target is on no CCD (in a gap or off the camera: {d:.1}″ outside CCD {c}'s footprint)"
        ),
        None => "the target is on no CCD (no CCD has events)".into(),
    }
}

/// Of several CCDs whose footprints contain the target, the one with most band events within
/// the smallest source radius.
fn busiest_ccd(e: &Exposure, frame: &SkyFrame, ccds: &[u8], params: &ExtractParams) -> u8 {
    let r = params.src_radius_range_arcsec.0;
    let mut n: BTreeMap<u8, usize> = ccds.iter().map(|&c| (c, 0)).collect();
    for i in 0..e.len() {
        let c = e.ccd()[i];
        if let Some(k) = n.get_mut(&c) {
            if params.in_band(e.energy()[i]) && frame.distance(e.x()[i] as f64, e.y()[i] as f64) < r
            {
                *k += 1;
            }
        }
    }
    // most events, lowest CCD number on ties
    n.iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(&c, _)| c)
        .expect("at least one CCD")
}

/// Mean energy (keV) of the band events of `ccd` in GTI within `r` of the target, if any.
fn mean_energy_kev(e: &Exposure, p: &Placement, r: f64, params: &ExtractParams) -> Option<f64> {
    let (mut s, mut n) = (0.0, 0usize);
    for i in 0..e.len() {
        if e.ccd()[i] == p.ccd
            && params.in_band(e.energy()[i])
            && p.frame.distance(e.x()[i] as f64, e.y()[i] as f64) < r
            && p.gti.contains(e.time()[i])
        {
            s += e.energy()[i] as f64;
            n += 1;
        }
    }
    (n > 0).then(|| s / n as f64 / 1000.0)
}

/// The PSF, its energy and the source radius (module docs, step 3).
fn source_radius(
    e: &Exposure,
    p: &Placement,
    params: &ExtractParams,
) -> Result<(Option<KingPsf>, f64, f64), String> {
    let inst = e.instrument().ok();
    let (lo, hi) = params.band_ev;
    let e_geo = (lo.max(100.0) * hi).sqrt() / 1000.0;
    let energy = match (params.psf_energy_kev, inst) {
        (Some(e), _) => e,
        (None, Some(i)) => {
            let first = params
                .psf_radius(&instrument_psf(i, e_geo, p.offaxis_arcmin))
                .map_err(|x| x.to_string())?;
            mean_energy_kev(e, p, first, params).unwrap_or(e_geo)
        }
        (None, None) => e_geo,
    };
    let psf = inst.map(|i| instrument_psf(i, energy, p.offaxis_arcmin));
    let r = match (params.src_radius_arcsec, &psf) {
        (Some(r), _) => r,
        (None, Some(k)) => params
            .psf_radius_scaled(k, radius_scale(inst, p.offaxis_arcmin))
            .map_err(|x| x.to_string())?,
        (None, None) => {
            return Err(format!(
                "no PSF model for INSTRUME {}: give the source radius",
                e.header().instrument
            ))
        }
    };
    Ok((psf, energy, r))
}

/// The factor of the aperture-radius range of an instrument: 1 for EPIC, the instrument's HPD
/// at `offaxis_arcmin` over EPIC pn's on-axis HPD (16.6″) for the others.
fn radius_scale(inst: Option<crate::instrument::Instrument>, offaxis_arcmin: f64) -> f64 {
    use crate::instrument::{EpicCamera, Instrument};
    let pn = Instrument::Epic(EpicCamera::Pn)
        .description()
        .psf
        .hpd_on_axis_arcsec;
    match inst {
        Some(i) if i.epic_camera().is_none() => {
            i.description().psf.hpd_arcsec(offaxis_arcmin.max(0.0)) / pn
        }
        _ => 1.0,
    }
}

/// The band events of the source CCD inside its GTI, in the aperture and in the background.
fn select_events(
    e: &Exposure,
    p: &Placement,
    r_src: f64,
    bkg: &BackgroundRegion,
    params: &ExtractParams,
) -> (EventSet, EventSet) {
    let (mut src, mut back) = (EventSet::default(), EventSet::default());
    for i in 0..e.len() {
        let (t, en) = (e.time()[i], e.energy()[i]);
        if e.ccd()[i] != p.ccd || !params.in_band(en) {
            continue;
        }
        let (x, y) = (e.x()[i], e.y()[i]);
        let (u, v) = p.frame.offset(x as f64, y as f64);
        let r = u.hypot(v);
        let in_src = r < r_src;
        if !(in_src || bkg.contains(u, v)) || !p.gti.contains(t) {
            continue;
        }
        if in_src {
            src.push(t, en, x, y);
        } else {
            back.push(t, en, x, y);
        }
    }
    (src, back)
}

/// One camera's extraction (module docs); Err(reason) to skip it.
fn extract_camera(
    e: &Exposure,
    ra: f64,
    dec: f64,
    params: &ExtractParams,
    exclude: &[(f64, f64, f64)],
    warnings: &mut Vec<String>,
) -> Result<CameraExtraction, String> {
    let label = camera_label(e);
    let p = place(e, ra, dec, params, &label, warnings)?;
    let (psf, psf_energy_kev, r_src) = source_radius(e, &p, params)?;
    let (inner, outer) = params.bkg_radii(r_src);
    let wcs = e.wcs().as_ref().expect("placed: the WCS exists");
    let exc = sort_exclusions(
        exclude,
        wcs,
        &p.frame,
        r_src,
        (inner, outer),
        params.self_match_arcsec,
    );
    for (a, d, sep) in &exc.in_aperture {
        warnings.push(format!(
            "{label}: a source to avoid at RA {a:.5}, Dec {d:.5} ({sep:.1}″ away) reaches into the {r_src:.1}″ source aperture"
        ));
    }
    let bkg = BackgroundRegion {
        inner,
        outer,
        exclusions: exc.cut,
    };
    let areas = integrate_areas(r_src, &bkg, &p.hull, psf.as_ref(), params.grid_step_arcsec);
    if areas.bkg <= 0.0 || areas.src_on_ccd <= 0.0 {
        return Err(format!(
            "no background area left on CCD {} ({inner:.0}″–{outer:.0}″ annulus, {} sources cut out)",
            p.ccd,
            bkg.exclusions.len()
        ));
    }
    area_warnings(&label, &p, &areas, warnings);
    let (src, back) = select_events(e, &p, r_src, &bkg, params);
    let live_fraction = livetime::live_fraction(e.header(), p.ccd);
    Ok(CameraExtraction {
        camera: label,
        instrume: e.header().instrument.clone(),
        ccd: p.ccd,
        src_radius_arcsec: r_src,
        bkg_inner_arcsec: inner,
        bkg_outer_arcsec: outer,
        src_area_arcsec2: areas.src_on_ccd,
        bkg_area_arcsec2: areas.bkg,
        backscal_ratio: areas.src_on_ccd / areas.bkg,
        eef: psf.map_or(f64::NAN, |k| k.eef(r_src) * areas.psf_on_ccd),
        psf,
        psf_energy_kev,
        offaxis_arcmin: p.offaxis_arcmin,
        live_time_s: p.gti.exposure() * live_fraction,
        gti: p.gti,
        live_fraction,
        src,
        bkg: back,
        n_excluded: bkg.exclusions.len(),
    })
}

/// Warnings about an aperture crossing the CCD edge or a background mostly lost.
fn area_warnings(label: &str, p: &Placement, a: &aperture::Areas, warnings: &mut Vec<String>) {
    if a.src_on_ccd < 0.99 * a.src_full {
        warnings.push(format!(
            "{label}: {:.0} % of the source aperture is off CCD {} (its EEF accounts for it)",
            100.0 * (1.0 - a.src_on_ccd / a.src_full),
            p.ccd
        ));
    }
    if a.bkg < 0.2 * a.bkg_full {
        warnings.push(format!(
            "{label}: only {:.0} % of the background annulus is usable on CCD {}",
            100.0 * a.bkg / a.bkg_full,
            p.ccd
        ));
    }
}

#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
mod tests {
    use super::testutil::{self, Ccd, Scene, Source, CRPIX, PIX};
    use super::*;
    use crate::gti::Gti;
    use crate::instrument::EpicCamera;
    use psf::epic_king;
    use std::f64::consts::PI;

    const BKG: f64 = 0.02; // events per arcsec² over the GTI

    fn gti() -> Gti {
        Gti::from_rows(&[1000.0, 6000.0], &[5000.0, 11000.0]).unwrap()
    }

    fn mos_psf() -> KingPsf {
        epic_king(EpicCamera::Mos1, 1.5, 0.0)
    }

    fn scene(sources: Vec<Source>, seed: u64) -> Scene {
        Scene {
            instrume: "EMOS1",
            ccds: testutil::two_ccds(),
            bkg_per_arcsec2: BKG,
            sources,
            gti: gti(),
            live_fraction: 0.975,
            pointing: testutil::CRVAL,
            seed,
        }
    }

    fn source(x: f64, y: f64, counts: usize) -> Source {
        Source {
            x,
            y,
            counts,
            psf: mos_psf(),
            energy_ev: 1500.0,
            window: None,
        }
    }

    /// |got − want| ≤ 3σ.
    fn within_3_sigma(got: f64, want: f64, sigma: f64, what: &str) {
        assert!(
            (got - want).abs() <= 3.0 * sigma,
            "{what}: {got} vs {want} ± {sigma}"
        );
    }

    #[test]
    fn an_on_axis_point_source_and_its_background_are_recovered() {
        let n = 3000;
        let e = testutil::exposure(&scene(vec![source(CRPIX, CRPIX, n)], 1));
        let (ra, dec) = testutil::CRVAL;
        let x = extract(&[e], ra, dec, &ExtractParams::default(), &[]).unwrap();
        assert_eq!(x.cameras.len(), 1, "{:?}", x.warnings);
        let c = &x.cameras[0];
        assert_eq!(
            (c.camera.as_str(), c.instrume.as_str(), c.ccd),
            ("M1", "EMOS1", 1)
        );
        assert!(c.offaxis_arcmin < 1e-6);
        // the mean band energy in the aperture is the source's 1.5 keV plus a little background
        assert!(
            c.psf_energy_kev > 1.5 && c.psf_energy_kev < 1.7,
            "{}",
            c.psf_energy_kev
        );
        let r = c.psf.unwrap().radius_for_eef(0.8).unwrap();
        assert!(
            (c.src_radius_arcsec - r).abs() < 1e-9 && (18.0..30.0).contains(&r),
            "{r}"
        );
        // areas: the whole disc and annulus are on CCD 1
        let r = c.src_radius_arcsec;
        assert!((c.src_area_arcsec2 / (PI * r * r) - 1.0).abs() < 1e-3);
        let ann = PI * (150.0f64.powi(2) - 60.0f64.powi(2));
        assert!((c.bkg_area_arcsec2 / ann - 1.0).abs() < 1e-3);
        assert_eq!((c.bkg_inner_arcsec, c.bkg_outer_arcsec), (60.0, 150.0));
        assert!((c.backscal_ratio - c.src_area_arcsec2 / c.bkg_area_arcsec2).abs() < 1e-15);
        // net counts against the truth: n × EEF of the simulated PSF at the radius used
        let truth_psf = mos_psf();
        let net = c.src.len() as f64 - c.backscal_ratio * c.bkg.len() as f64;
        let sigma = (c.src.len() as f64 + c.backscal_ratio.powi(2) * c.bkg.len() as f64).sqrt();
        let lf = 0.975;
        within_3_sigma(net, n as f64 * lf * truth_psf.eef(r), sigma, "net counts");
        assert!((c.eef / truth_psf.eef(r) - 1.0).abs() < 0.01, "{}", c.eef);
        // background per arcsec²: the uniform background plus the source's wings in the ring
        let wings = n as f64 * (truth_psf.eef(150.0) - truth_psf.eef(60.0));
        let want = (BKG + wings / c.bkg_area_arcsec2) * lf;
        let got = c.bkg.len() as f64 / c.bkg_area_arcsec2;
        within_3_sigma(
            got,
            want,
            (c.bkg.len() as f64).sqrt() / c.bkg_area_arcsec2,
            "bkg",
        );
        // time: the CCD's GTI and live fraction
        assert_eq!(c.gti, gti());
        assert_eq!(c.live_fraction, 0.975);
        assert!((c.live_time_s - 9000.0 * 0.975).abs() < 1e-9);
        // the events: sorted, in band, inside their regions
        let frame = SkyFrame::new(&testutil::wcs(), ra, dec).unwrap();
        assert!(c.src.time.windows(2).all(|w| w[0] <= w[1]));
        for i in 0..c.src.len() {
            assert!(frame.distance(c.src.x[i] as f64, c.src.y[i] as f64) < r);
            assert!(c.src.energy[i] >= 200.0 && c.src.energy[i] < 12_000.0);
        }
        for i in 0..c.bkg.len() {
            let d = frame.distance(c.bkg.x[i] as f64, c.bkg.y[i] as f64);
            assert!((60.0..150.0).contains(&d), "{d}");
        }
    }

    #[test]
    fn a_neighbour_in_the_annulus_is_cut_out_and_the_target_never_is() {
        // a bright neighbour 100″ along +Y; exclusions: it (40″) and the target itself (30″)
        let ny = CRPIX + 100.0 / PIX;
        let e = testutil::exposure(&scene(
            vec![source(CRPIX, CRPIX, 1000), source(CRPIX, ny, 5000)],
            2,
        ));
        let (ra, dec) = testutil::CRVAL;
        let (nra, ndec) = testutil::radec(CRPIX, ny);
        let exclude = [(ra, dec, 30.0), (nra, ndec, 40.0)];
        let x = extract(&[e], ra, dec, &ExtractParams::default(), &exclude).unwrap();
        let c = &x.cameras[0];
        assert_eq!(c.n_excluded, 1);
        let want = PI * (150.0f64.powi(2) - 3600.0 - 1600.0);
        assert!(
            (c.bkg_area_arcsec2 / want - 1.0).abs() < 2e-3,
            "{}",
            c.bkg_area_arcsec2
        );
        let frame = SkyFrame::new(&testutil::wcs(), ra, dec).unwrap();
        for i in 0..c.bkg.len() {
            let (u, v) = frame.offset(c.bkg.x[i] as f64, c.bkg.y[i] as f64);
            assert!(u.hypot(v - 100.0) > 40.0);
        }
        // the background density: uniform + the wings of both sources left in the region
        let psf = mos_psf();
        let lf = 0.975;
        let wings_target = 1000.0 * (psf.eef(150.0) - psf.eef(60.0));
        let got = c.bkg.len() as f64;
        let floor = (BKG * c.bkg_area_arcsec2 + 0.5 * wings_target) * lf;
        // the neighbour's wings beyond 40″ (< 5000 × (1 − EEF(40″))) are an upper allowance
        let ceiling =
            (BKG * c.bkg_area_arcsec2 + wings_target + 5000.0 * (1.0 - psf.eef(40.0))) * lf;
        let s = got.sqrt();
        assert!(
            got > floor - 3.0 * s && got < ceiling + 3.0 * s,
            "{got}: {floor}–{ceiling}"
        );
        // without the exclusion the neighbour's core is in the background
        let y = extract(
            &[testutil::exposure(&scene(
                vec![source(CRPIX, CRPIX, 1000), source(CRPIX, ny, 5000)],
                2,
            ))],
            ra,
            dec,
            &ExtractParams::default(),
            &[],
        )
        .unwrap();
        assert!(y.cameras[0].bkg.len() as f64 > got + 0.8 * lf * 5000.0 * psf.eef(40.0));
    }

    #[test]
    fn an_aperture_across_a_ccd_edge_keeps_its_on_ccd_part_and_eef() {
        // the target 8″ inside CCD 1's −X edge; photons beyond the edge are lost
        let x0 = testutil::two_ccds()[0].x.0 + 8.0 / PIX;
        let n = 4000;
        let e = testutil::exposure(&scene(vec![source(x0, CRPIX, n)], 3));
        let (ra, dec) = testutil::radec(x0, CRPIX);
        let p = ExtractParams {
            src_radius_arcsec: Some(25.0),
            ..Default::default()
        };
        let x = extract(&[e], ra, dec, &p, &[]).unwrap();
        let c = &x.cameras[0];
        let seg = 625.0 * (8.0f64 / 25.0).acos() - 8.0 * (625.0f64 - 64.0).sqrt();
        let want = PI * 625.0 - seg;
        assert!(
            (c.src_area_arcsec2 / want - 1.0).abs() < 2e-3,
            "{} vs {want}",
            c.src_area_arcsec2
        );
        assert!(
            x.warnings.iter().any(|w| w.contains("off CCD 1")),
            "{:?}",
            x.warnings
        );
        // the EEF on the CCD against the photons that landed there (binomial truth)
        let net = c.src.len() as f64 - c.backscal_ratio * c.bkg.len() as f64;
        let sigma = (c.src.len() as f64 + c.backscal_ratio.powi(2) * c.bkg.len() as f64).sqrt();
        within_3_sigma(net, n as f64 * 0.975 * c.eef, sigma, "clipped net counts");
        // 30 % of the disc's area is off the CCD, but less of the PSF (it is concentrated)
        let full = c.psf.unwrap().eef(25.0);
        let area_share = c.src_area_arcsec2 / (PI * 625.0);
        assert!(
            c.eef < 0.95 * full && c.eef > area_share * full,
            "{} vs {full}",
            c.eef
        );
    }

    #[test]
    fn a_camera_with_the_target_in_a_gap_is_skipped_and_none_left_is_an_error() {
        // the target in the 20″ gap between CCD 1 and CCD 2
        let xg = testutil::two_ccds()[0].x.1 + 10.0 / PIX;
        let (ra, dec) = testutil::radec(xg, CRPIX);
        let gapped = testutil::exposure(&scene(vec![], 4));
        let mut s = scene(vec![], 5);
        s.instrume = "EMOS2";
        s.ccds = vec![Ccd {
            id: 4,
            x: (xg - 6000.0, xg + 6000.0),
            y: (CRPIX - 6000.0, CRPIX + 6000.0),
        }];
        let covering = testutil::exposure(&s);
        let x = extract(
            &[gapped.clone(), covering],
            ra,
            dec,
            &ExtractParams::default(),
            &[],
        )
        .unwrap();
        assert_eq!(x.cameras.len(), 1);
        assert_eq!((x.cameras[0].camera.as_str(), x.cameras[0].ccd), ("M2", 4));
        assert!(
            x.warnings
                .iter()
                .any(|w| w.starts_with("M1") && w.contains("gap")),
            "{:?}",
            x.warnings
        );
        match extract(&[gapped], ra, dec, &ExtractParams::default(), &[]) {
            Err(ExtractError::NotCovered { reasons, .. }) => {
                assert!(reasons.contains("″ outside CCD"), "{reasons}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            extract(&[], ra, 95.0, &ExtractParams::default(), &[]),
            Err(ExtractError::Param(_))
        ));
    }

    #[test]
    fn aperture_ranges_scale_with_the_instruments_psf() {
        use crate::instrument::Instrument;
        let (a, b) = ExtractParams::default().src_radius_range_arcsec;
        let k = radius_scale(Some(Instrument::Acis), 0.0);
        // the docs' 0.5–2.9″ for ACIS on axis (0.8″ HPD over pn's 16.6″)
        assert_eq!(
            (format!("{:.1}", a * k), format!("{:.1}", b * k)),
            ("0.5".into(), "2.9".into())
        );
        assert_eq!(
            radius_scale(Some(Instrument::Epic(EpicCamera::Pn)), 5.0),
            1.0
        );
        assert_eq!(radius_scale(None, 5.0), 1.0);
    }
}
