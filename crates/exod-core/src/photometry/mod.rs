//! Aperture photometry of a known sky position in one observation: counts, background, exposure,
//! rate, flux, detection and Bayesian upper limit per EPIC camera and band, and the EPIC
//! combination — the fluxes or limits of every catalogued source in every observation that
//! long-term variability (`exod longterm`, STONKS-like) and the alert stream compare across
//! epochs (issue 15). RapidXMM (Ruiz et al. 2022) gives such upper limits for the archive from
//! the pipeline's maps; this computes them from the event lists.
//!
//! ## Per camera and band ([`measure`])
//!
//! The extraction ([`crate::extract::extract`], run once over 0.2–12 keV) gives the source CCD,
//! the PSF aperture, the background annulus avoiding sources, their area ratio r and the CCD's
//! GTI and live fraction. The band's events then give:
//!
//! * N (aperture counts), B (annulus counts), `bkg_expected` b = r·B;
//! * EEF: the King PSF ([`crate::extract::psf::epic_king`]) at the band's geometric-mean energy
//!   and the target's off-axis angle, over the aperture radius, times the share of the PSF on
//!   the CCD (from the extraction; band 8 uses the extraction's own EEF at the mean photon
//!   energy);
//! * vignetting V(θ) ([`vignetting`]), live time T = |GTI| × live fraction;
//! * exposure E = T·V·EEF (s): the on-axis-equivalent time of the whole PSF;
//! * net rate (N − b)/E; its 1σ interval from the KBN 68.27 % shortest interval on s
//!   ([`kbn::kbn_interval`]); the upper limit s_UL/E at `confidence` ([`kbn::kbn_upper_limit`]);
//! * flux = rate / (ECF·10¹¹) (erg cm⁻² s⁻¹; ECFs of [`ecf`] for the camera and filter),
//!   likewise its bounds and upper limit;
//! * detected ⇔ `p_bkg` = P(X ≥ N | b) < the one-sided p of `detect_sigma` (default 3σ:
//!   1.35 × 10⁻³).
//!
//! ## EPIC
//!
//! One flux F shared by the cameras: the expected source counts are s = F·Σ_c E_c·ECF_c·10¹¹, so
//! from the summed counts ΣN and background Σb: F = (ΣN − Σb)/W, W = Σ_c E_c·ECF_c·10¹¹, and
//! its interval and upper limit from KBN on (ΣN, Σb) — the limit uses every camera's photons.
//! The EPIC rate is on the scale of the sum of the cameras' rates (4XMM's EP rates): ECF_EPIC =
//! Σ_c ECF_c, exposure W/ECF_EPIC/10¹¹, so rate = F·ECF_EPIC·10¹¹.
//!
//! ## Bands
//!
//! The 4XMM bands 1–5 (0.2–0.5, 0.5–1, 1–2, 2–4.5, 4.5–12 keV) and 8 (0.2–12 keV) by default,
//! `lo ≤ E < hi` (12 keV kept in the top band, as [`crate::extract`]). 4XMM's band-8 flux is the
//! sum of bands 1–5; band 8 here is measured from its own counts with the ECF that gives that
//! sum for the reference spectrum ([`ecf`]), so its upper limit uses all its photons.
//!
//! ## Time domain ([`forced`])
//!
//! The EXOD Bayes factors on the source's own aperture light curve (forced photometry at known
//! positions, paper II §5.2.1), and the χ² test against a constant rate.
//!
//! A position no camera covers is a [`SourcePhotometry`] with `covered = false` and no bands.

pub mod ecf;
pub mod forced;
pub mod kbn;
pub mod vignetting;

use crate::exposure::Exposure;
use crate::extract::psf::epic_king;
use crate::extract::{extract, CameraExtraction, ExtractError, ExtractParams};
use crate::instrument::EpicCamera;

pub use ecf::EcfTable;
pub use forced::ForcedResult;
pub use vignetting::vignetting;

/// Errors of photometry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PhotometryError {
    /// A parameter out of its domain.
    #[error("{0}")]
    Param(String),
    /// An ECF table that cannot be read.
    #[error("ECF table {table}: {what}")]
    Ecf {
        /// The table's name.
        table: String,
        /// What is wrong.
        what: String,
    },
    /// The extraction failed (other than "not covered").
    #[error("{0}")]
    Extract(#[from] ExtractError),
    /// The light-curve step failed.
    #[error("{0}")]
    Curve(String),
}

/// An energy band of the photometry.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PhotBand {
    /// 4XMM band number (1–5, 8), or any label number for other bands.
    pub id: u8,
    /// Lower edge (keV), inclusive.
    pub lo_kev: f64,
    /// Upper edge (keV), exclusive.
    pub hi_kev: f64,
}

impl PhotBand {
    /// The 4XMM bands 1–5 and 8.
    pub fn xmm_bands() -> Vec<PhotBand> {
        [
            (1, 0.2, 0.5),
            (2, 0.5, 1.0),
            (3, 1.0, 2.0),
            (4, 2.0, 4.5),
            (5, 4.5, 12.0),
            (8, 0.2, 12.0),
        ]
        .iter()
        .map(|&(id, lo_kev, hi_kev)| PhotBand { id, lo_kev, hi_kev })
        .collect()
    }

    fn contains(&self, e_ev: f32) -> bool {
        let e = e_ev as f64 / 1000.0;
        e >= self.lo_kev && e < self.hi_kev
    }
}

/// Parameters of [`measure`] (defaults in [`PhotometryParams::default`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhotometryParams {
    /// Confidence level of the upper limits. Default 0.99865 (3σ one-sided).
    pub confidence: f64,
    /// Detection threshold (Gaussian σ, one-sided) of the background-only Poisson test, and
    /// the σ of the forced-photometry Bayes-factor thresholds. Default 3.
    pub detect_sigma: f64,
    /// Bands. Default the 4XMM bands 1–5 and 8.
    pub bands: Vec<PhotBand>,
    /// ECFs. Default the embedded table ([`ecf`]).
    pub ecf: EcfTable,
    /// Filter when the event list states none the table knows. Default `Medium`.
    pub default_filter: String,
    /// Bin sizes (s) of the forced photometry (the most significant is reported). Default [50].
    pub tbins: Vec<f64>,
    /// Smallest bin (s) of the χ² test against a constant ([`forced`]). Default 500 s.
    pub chi2_tbin: f64,
    /// Expected counts per χ² bin: bins are widened to hold this many ([`forced`]). Default 10.
    pub chi2_min_counts: f64,
    /// Band of the time-domain tests (an id of `bands`). Default 8.
    pub time_band: u8,
    /// The extraction (aperture, annulus, exclusions); its band is replaced by the union of
    /// `bands`. Default [`ExtractParams::default`].
    pub extract: ExtractParams,
    /// [`measure_many`]: sources farther than this (arcmin) from every exposure's pointing
    /// are left out (EPIC's field of view has a 15′ radius). Default 20′.
    pub field_radius_arcmin: f64,
    /// [`measure_many`]: radius (arcsec) of the other catalogue sources the background
    /// avoids. Default 20″ (EXOD's mask radius of a faint source).
    pub avoid_radius_arcsec: f64,
}

impl Default for PhotometryParams {
    fn default() -> Self {
        PhotometryParams {
            confidence: kbn::one_sided_cl(3.0),
            detect_sigma: 3.0,
            bands: PhotBand::xmm_bands(),
            ecf: EcfTable::default(),
            default_filter: ecf::DEFAULT_FILTER.into(),
            tbins: vec![50.0],
            chi2_tbin: 500.0,
            chi2_min_counts: 10.0,
            time_band: 8,
            extract: ExtractParams::default(),
            field_radius_arcmin: 20.0,
            avoid_radius_arcsec: 20.0,
        }
    }
}

impl PhotometryParams {
    /// Check every parameter's domain.
    pub fn validate(&self) -> Result<(), PhotometryError> {
        let bad = |w: String| Err(PhotometryError::Param(w));
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return bad(format!(
                "confidence {}: expected a level in (0, 1), e.g. 0.99865",
                self.confidence
            ));
        }
        if !(self.detect_sigma > 0.0 && self.detect_sigma <= 30.0) {
            return bad(format!(
                "detection σ {}: expected (0, 30]",
                self.detect_sigma
            ));
        }
        if self.bands.is_empty()
            || self
                .bands
                .iter()
                .any(|b| !(b.lo_kev >= 0.0 && b.hi_kev > b.lo_kev))
        {
            return bad(format!(
                "bands {:?}: expected ≥ 1 band with 0 ≤ lo < hi (keV)",
                self.bands
            ));
        }
        if self.tbins.is_empty() || self.tbins.iter().any(|t| !(t.is_finite() && *t > 0.0)) {
            return bad(format!(
                "forced t_bin {:?}: expected positive seconds",
                self.tbins
            ));
        }
        if !(self.chi2_tbin.is_finite() && self.chi2_tbin > 0.0) {
            return bad(format!(
                "χ² t_bin {}: expected positive seconds",
                self.chi2_tbin
            ));
        }
        if !(self.chi2_min_counts.is_finite() && self.chi2_min_counts >= 1.0) {
            return bad(format!(
                "χ² counts per bin {}: expected ≥ 1",
                self.chi2_min_counts
            ));
        }
        if !self.bands.iter().any(|b| b.id == self.time_band) {
            return bad(format!(
                "time band {}: expected the id of one of the bands",
                self.time_band
            ));
        }
        if !(self.field_radius_arcmin > 0.0 && self.avoid_radius_arcsec >= 0.0) {
            return bad(format!(
                "field radius {}′ / avoid radius {}″: expected > 0 and ≥ 0",
                self.field_radius_arcmin, self.avoid_radius_arcsec
            ));
        }
        if ecf::normalise_filter(&self.default_filter).is_none() {
            return bad(format!(
                "default filter {:?}: expected Open, Thin, Medium or Thick",
                self.default_filter
            ));
        }
        Ok(())
    }

    fn band_union_ev(&self) -> (f64, f64) {
        let lo = self
            .bands
            .iter()
            .map(|b| b.lo_kev)
            .fold(f64::INFINITY, f64::min);
        let hi = self.bands.iter().map(|b| b.hi_kev).fold(0.0, f64::max);
        (lo * 1000.0, hi * 1000.0)
    }
}

/// One camera's (or the EPIC combination's) photometry in one band (module docs). Rates in
/// count/s, fluxes in erg cm⁻² s⁻¹, times in s; NaN where a quantity does not exist.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Measurement {
    /// "PN", "M1", "M2" or "EPIC".
    pub camera: String,
    /// Aperture counts N.
    pub counts: u64,
    /// Background-region counts B.
    pub bkg_counts: u64,
    /// r = A_src / A_bkg (NaN for EPIC).
    pub area_ratio: f64,
    /// Expected background in the aperture, b = r·B.
    pub bkg_expected: f64,
    /// Encircled-energy fraction of the aperture (NaN for EPIC).
    pub eef: f64,
    /// Vignetting at the off-axis angle (NaN for EPIC).
    pub vignetting: f64,
    /// Live time |GTI| × live fraction (s; the cameras' sum for EPIC).
    pub live_time: f64,
    /// Exposure live × vignetting × EEF (s; for EPIC W/ECF_EPIC, module docs).
    pub exposure: f64,
    /// ECF (10¹¹ counts cm² erg⁻¹; Σ of the cameras' for EPIC).
    pub ecf: f64,
    /// Off-axis angle (arcmin; NaN for EPIC).
    pub offaxis_arcmin: f64,
    /// Source aperture radius (arcsec; NaN for EPIC).
    pub src_radius_arcsec: f64,
    /// Source CCD (0 for EPIC).
    pub ccd: u8,
    /// Net rate (N − b)/exposure.
    pub net_rate: f64,
    /// Lower end of the 1σ (68.27 %) KBN interval of the rate.
    pub rate_lo: f64,
    /// Upper end of the 1σ KBN interval of the rate.
    pub rate_hi: f64,
    /// Upper limit of the rate at the `confidence` level.
    pub rate_ul: f64,
    /// Flux.
    pub flux: f64,
    /// Lower end of the 1σ interval of the flux.
    pub flux_lo: f64,
    /// Upper end of the 1σ interval of the flux.
    pub flux_hi: f64,
    /// Upper limit of the flux at the `confidence` level.
    pub flux_ul: f64,
    /// p_bkg below the threshold of `detect_sigma`.
    pub detected: bool,
    /// P(X ≥ N | b): the probability of the counts from background alone.
    pub p_bkg: f64,
}

/// One band: every camera covering the position, and their combination.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BandPhotometry {
    /// The band.
    pub band: PhotBand,
    /// Per camera, in the order of the exposures.
    pub cameras: Vec<Measurement>,
    /// The EPIC combination (module docs).
    pub epic: Measurement,
}

/// The photometry of one position in one observation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SourcePhotometry {
    /// Source name (the catalogue's, or a label).
    pub source: String,
    /// RA (deg).
    pub ra: f64,
    /// Dec (deg).
    pub dec: f64,
    /// OBS_ID (or the label given).
    pub obs_id: String,
    /// Earliest GTI start of the cameras used (s, mission time; NaN when not covered).
    pub tstart: f64,
    /// Latest GTI stop (s).
    pub tstop: f64,
    /// MJD of the middle of [tstart, tstop] (NaN without MJDREF).
    pub mjd_mid: f64,
    /// Some camera covers the position.
    pub covered: bool,
    /// Per band (empty when not covered).
    pub bands: Vec<BandPhotometry>,
    /// χ² of the time-band EPIC light curve against a constant: (χ², dof, p).
    pub chi2_const: Option<(f64, usize, f64)>,
    /// Forced photometry (EXOD Bayes factors on the aperture's light curve).
    pub forced: Option<ForcedResult>,
    /// Cameras skipped and other facts for the user.
    pub warnings: Vec<String>,
}

impl SourcePhotometry {
    /// The measurement of `camera` ("PN", "M1", "M2", "EPIC") in band `id`.
    pub fn get(&self, id: u8, camera: &str) -> Option<&Measurement> {
        let b = self.bands.iter().find(|b| b.band.id == id)?;
        if camera == "EPIC" {
            return Some(&b.epic);
        }
        b.cameras.iter().find(|m| m.camera == camera)
    }

    /// The EPIC band-8 (0.2–12 keV) measurement, the one long-term variability compares.
    pub fn epic8(&self) -> Option<&Measurement> {
        self.get(8, "EPIC")
    }
}

/// The photometry of (`ra`, `dec`) in the observation `exposures` (module docs), avoiding the
/// sources `avoid` (RA, Dec deg, radius arcsec) in the background. `source` and `obs_id` label
/// the row (`obs_id` empty: the first exposure's OBS_ID).
pub fn measure(
    exposures: &[Exposure],
    source: &str,
    obs_id: &str,
    ra: f64,
    dec: f64,
    avoid: &[(f64, f64, f64)],
    params: &PhotometryParams,
) -> Result<SourcePhotometry, PhotometryError> {
    params.validate()?;
    let mut xp = params.extract.clone();
    xp.band_ev = params.band_union_ev();
    let obs = if obs_id.is_empty() {
        exposures
            .iter()
            .find_map(|e| e.header().obs_id.clone())
            .unwrap_or_default()
    } else {
        obs_id.to_string()
    };
    let mut out = SourcePhotometry {
        source: source.to_string(),
        ra,
        dec,
        obs_id: obs,
        tstart: f64::NAN,
        tstop: f64::NAN,
        mjd_mid: f64::NAN,
        covered: false,
        bands: vec![],
        chi2_const: None,
        forced: None,
        warnings: vec![],
    };
    let ext = match extract(exposures, ra, dec, &xp, avoid) {
        Ok(x) => x,
        Err(ExtractError::NotCovered { reasons, .. }) => {
            out.warnings.push(format!("not covered: {reasons}"));
            return Ok(out);
        }
        Err(e) => return Err(e.into()),
    };
    out.warnings = ext.warnings.clone();
    let mut cams = epic_cameras(exposures, &ext.cameras, params, &mut out.warnings);
    // PN, M1, M2 whatever the order of the exposures
    cams.sort_by_key(|c| c.camera);
    if cams.is_empty() {
        out.warnings
            .push("not covered: no EPIC camera with a PSF model covers the position".into());
        return Ok(out);
    }
    out.covered = true;
    set_times(&mut out, exposures, &cams);
    for band in &params.bands {
        let ms = cams
            .iter()
            .map(|c| camera_measurement(c, band, params))
            .collect::<Result<Vec<_>, _>>()?;
        let epic = combine(&ms, params)?;
        out.bands.push(BandPhotometry {
            band: *band,
            cameras: ms,
            epic,
        });
    }
    let tb = params
        .bands
        .iter()
        .find(|b| b.id == params.time_band)
        .expect("validated");
    let series: Vec<forced::CameraSeries> = cams.iter().map(|c| c.series(tb)).collect();
    out.forced = forced::forced(&series, params)?;
    out.chi2_const = forced::chi2_const(&series, params)?;
    Ok(out)
}

/// A camera's extraction with what photometry needs beside it.
pub(crate) struct Cam<'a> {
    pub(crate) ext: &'a CameraExtraction,
    pub(crate) camera: EpicCamera,
    pub(crate) filter: String,
}

impl Cam<'_> {
    fn series(&self, band: &PhotBand) -> forced::CameraSeries {
        let times = |ev: &crate::extract::EventSet| -> Vec<f64> {
            (0..ev.len())
                .filter(|&i| band.contains(ev.energy[i]))
                .map(|i| ev.time[i])
                .collect()
        };
        forced::CameraSeries {
            camera: self.ext.camera.clone(),
            src_times: times(&self.ext.src),
            bkg_times: times(&self.ext.bkg),
            area_ratio: self.ext.backscal_ratio,
            gti: self.ext.gti.clone(),
            live_fraction: self.ext.live_fraction,
            eef: self.ext.eef,
        }
    }
}

/// The EPIC cameras among the extractions, with their filters (warnings for the others).
fn epic_cameras<'a>(
    exposures: &[Exposure],
    exts: &'a [CameraExtraction],
    params: &PhotometryParams,
    warnings: &mut Vec<String>,
) -> Vec<Cam<'a>> {
    let mut out = vec![];
    for c in exts {
        let hdr = exposures
            .iter()
            .map(|e| e.header())
            .find(|h| h.camera.map(|k| k.short()) == Some(c.camera.as_str()));
        let Some(h) = hdr.filter(|_| c.psf.is_some()) else {
            warnings.push(format!(
                "{} ({}): skipped: photometry needs an EPIC camera (PSF and ECFs)",
                c.camera, c.instrume
            ));
            continue;
        };
        let stated = h.filter.as_deref().and_then(ecf::normalise_filter);
        let filter = match stated {
            Some(f) if params.ecf.filters().iter().any(|g| g == f) => f.to_string(),
            _ => {
                warnings.push(format!(
                    "{}: FILTER {:?} not in the ECF table ({}): ECFs of the {} filter used",
                    c.camera,
                    h.filter.as_deref().unwrap_or("absent"),
                    params.ecf.filters().join(", "),
                    params.default_filter
                ));
                ecf::normalise_filter(&params.default_filter)
                    .expect("validated")
                    .to_string()
            }
        };
        out.push(Cam {
            ext: c,
            camera: h.camera.expect("found by camera"),
            filter,
        });
    }
    out
}

/// tstart/tstop from the cameras' GTIs and the MJD of their middle.
fn set_times(out: &mut SourcePhotometry, exposures: &[Exposure], cams: &[Cam]) {
    let spans: Vec<(f64, f64)> = cams.iter().filter_map(|c| c.ext.gti.span()).collect();
    out.tstart = spans.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
    out.tstop = spans.iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max);
    if let Some(mjdref) = exposures.iter().find_map(|e| e.header().mjdref) {
        out.mjd_mid = mjdref + 0.5 * (out.tstart + out.tstop) / 86_400.0;
    }
}

/// The EEF of the aperture in `band`: the King PSF at the band's geometric-mean energy, times
/// the extraction's share of the PSF on the CCD; band 8 (or a band equal to the extraction's)
/// keeps the extraction's EEF.
fn band_eef(c: &Cam, band: &PhotBand, params: &PhotometryParams) -> f64 {
    let x = c.ext;
    let (lo, hi) = params.band_union_ev();
    if (band.lo_kev * 1000.0 - lo).abs() < 1e-6 && (band.hi_kev * 1000.0 - hi).abs() < 1e-6 {
        return x.eef;
    }
    let psf = x.psf.expect("EPIC cameras have a PSF");
    let on_ccd = x.eef / psf.eef(x.src_radius_arcsec);
    let e = (band.lo_kev.max(0.1) * band.hi_kev).sqrt();
    epic_king(c.camera, e, x.offaxis_arcmin).eef(x.src_radius_arcsec) * on_ccd
}

/// The counts part of a measurement and its conversion by `exposure` and `per_flux` (rate per
/// unit flux, counts s⁻¹ per erg cm⁻² s⁻¹).
struct Counts {
    n: u64,
    nb: u64,
    b: f64,
}

fn fill(
    camera: &str,
    k: &Counts,
    exposure: f64,
    ecf: f64,
    params: &PhotometryParams,
) -> Result<Measurement, PhotometryError> {
    let (s1, s2) = kbn::kbn_interval(k.n, k.b, kbn::ONE_SIGMA)
        .map_err(|e| PhotometryError::Param(e.to_string()))?;
    let s_ul = kbn::kbn_upper_limit(k.n, k.b, params.confidence)?;
    let per = |s: f64| {
        if exposure > 0.0 {
            s / exposure
        } else {
            f64::NAN
        }
    };
    let to_flux = |r: f64| r / (ecf * 1e11);
    let net = per(k.n as f64 - k.b);
    let p_bkg = kbn::p_background(k.n, k.b);
    Ok(Measurement {
        camera: camera.to_string(),
        counts: k.n,
        bkg_counts: k.nb,
        area_ratio: f64::NAN,
        bkg_expected: k.b,
        eef: f64::NAN,
        vignetting: f64::NAN,
        live_time: f64::NAN,
        exposure,
        ecf,
        offaxis_arcmin: f64::NAN,
        src_radius_arcsec: f64::NAN,
        ccd: 0,
        net_rate: net,
        rate_lo: per(s1),
        rate_hi: per(s2),
        rate_ul: per(s_ul),
        flux: to_flux(net),
        flux_lo: to_flux(per(s1)),
        flux_hi: to_flux(per(s2)),
        flux_ul: to_flux(per(s_ul)),
        detected: p_bkg < kbn::one_sided_p(params.detect_sigma),
        p_bkg,
    })
}

fn camera_measurement(
    c: &Cam,
    band: &PhotBand,
    params: &PhotometryParams,
) -> Result<Measurement, PhotometryError> {
    let x = c.ext;
    let n = x.src.energy.iter().filter(|&&e| band.contains(e)).count() as u64;
    let nb = x.bkg.energy.iter().filter(|&&e| band.contains(e)).count() as u64;
    let k = Counts {
        n,
        nb,
        b: x.backscal_ratio * nb as f64,
    };
    let eef = band_eef(c, band, params);
    let vig = vignetting(x.offaxis_arcmin * 60.0);
    let exposure = x.live_time_s * vig * eef;
    let ecf = params
        .ecf
        .ecf(c.camera, &c.filter, (band.lo_kev, band.hi_kev))
        .ok_or_else(|| PhotometryError::Ecf {
            table: params.ecf.source.clone(),
            what: format!(
                "no ECF for {} filter {} in {}–{} keV (the table's bands must match or tile it)",
                x.camera, c.filter, band.lo_kev, band.hi_kev
            ),
        })?;
    let mut m = fill(&x.camera, &k, exposure, ecf, params)?;
    m.area_ratio = x.backscal_ratio;
    m.eef = eef;
    m.vignetting = vig;
    m.live_time = x.live_time_s;
    m.offaxis_arcmin = x.offaxis_arcmin;
    m.src_radius_arcsec = x.src_radius_arcsec;
    m.ccd = x.ccd;
    Ok(m)
}

/// The EPIC combination of the cameras' measurements (module docs).
fn combine(ms: &[Measurement], params: &PhotometryParams) -> Result<Measurement, PhotometryError> {
    let k = Counts {
        n: ms.iter().map(|m| m.counts).sum(),
        nb: ms.iter().map(|m| m.bkg_counts).sum(),
        b: ms.iter().map(|m| m.bkg_expected).sum(),
    };
    let ecf: f64 = ms.iter().map(|m| m.ecf).sum();
    let w: f64 = ms.iter().map(|m| m.exposure * m.ecf).sum();
    let mut m = fill("EPIC", &k, w / ecf, ecf, params)?;
    m.live_time = ms.iter().map(|m| m.live_time).sum();
    Ok(m)
}

/// A position to measure: name, RA, Dec (deg).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Target {
    /// Name (catalogue name or id).
    pub name: String,
    /// RA (deg).
    pub ra: f64,
    /// Dec (deg).
    pub dec: f64,
}

/// The photometry of every target within `field_radius_arcmin` of some exposure's pointing
/// (in the order of `targets`), the background avoiding the other targets
/// (`avoid_radius_arcsec`) and `avoid` (RA, Dec, radius″, e.g. the observation's source list).
/// What `exod photometry` and `exod alert` run on an observation; the targets are measured in
/// parallel on the current rayon pool, the result in their order.
pub fn measure_many(
    exposures: &[Exposure],
    obs_id: &str,
    targets: &[Target],
    avoid: &[(f64, f64, f64)],
    params: &PhotometryParams,
) -> Result<Vec<SourcePhotometry>, PhotometryError> {
    params.validate()?;
    let pointings: Vec<(f64, f64)> = exposures
        .iter()
        .filter_map(|e| Some((e.header().ra_pnt?, e.header().dec_pnt?)))
        .collect();
    let in_field = |t: &Target| {
        pointings.is_empty()
            || pointings.iter().any(|&(a, d)| {
                crate::wcs::separation_arcsec(a, d, t.ra, t.dec)
                    <= params.field_radius_arcmin * 60.0
            })
    };
    let near: Vec<&Target> = targets.iter().filter(|t| in_field(t)).collect();
    let mut all_avoid: Vec<(f64, f64, f64)> = near
        .iter()
        .map(|t| (t.ra, t.dec, params.avoid_radius_arcsec))
        .collect();
    all_avoid.extend_from_slice(avoid);
    use rayon::prelude::*;
    // targets in parallel (on the caller's rayon pool); collect keeps their order
    near.par_iter()
        .map(|t| {
            tracing::debug!(
                "photometry of {} at RA {:.5} Dec {:+.5}",
                t.name,
                t.ra,
                t.dec
            );
            measure(exposures, &t.name, obs_id, t.ra, t.dec, &all_avoid, params)
        })
        .collect()
}

#[cfg(test)]
mod tests;
