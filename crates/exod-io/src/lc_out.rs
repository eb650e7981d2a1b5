//! Light curves of an extracted source ([`exod_core::timing::lightcurve`]) as OGIP FITS and as
//! one ECSV table, through [`crate::table`] (atomic writes, units and descriptions on every
//! column, `CHECKSUM`/`DATASUM`).
//!
//! ## FITS layout
//!
//! * HDU 0: primary, no data.
//! * `RATE`: the combined EPIC curve (when given), then `RATE_PN`, `RATE_M1`, `RATE_M2`: one
//!   OGIP light curve per camera (`HDUCLASS = 'OGIP'`, `HDUCLAS1 = 'LIGHTCURVE'`, `HDUCLAS2 =
//!   'NET'` (background subtracted), `HDUCLAS3 = 'RATE'`, `HDUVERS = '1.1.0'`). The first
//!   extension is what `stingray.Lightcurve.read(path, fmt='hea')` reads by default
//!   (`ratehdu=k` selects the k-th).
//! * `GTI` (the first curve's good time: for the combined curve the intersection of the
//!   cameras'), then `GTI_PN`, … (`HDUCLAS1 = 'GTI'`, `HDUCLAS2 = 'STANDARD'`, START/STOP).
//!   stingray takes its GTIs from the extension `GTI` (`gtistring='GTI_PN'` for a camera's).
//!
//! `scripts/check_lc_stingray.py` (output committed) reads a file written here with astropy
//! and stingray 2.3: stingray's count rate equals the net exposure-corrected rate recomputed
//! from the columns to 10⁻¹⁶ in the bins it keeps (FRACEXP ≥ 0.9; it zeroes the others).
//!
//! Columns of a `RATE` extension, in the convention of exod's other light curves
//! (`lightcurves.fits`, [`crate::output`]) and of OGIP readers (stingray's `lcurve_from_fits`
//! and HEASoft's lcurve divide RATE by FRACEXP):
//!
//! | column | unit | content |
//! |---|---|---|
//! | `TIME` | s | bin centre (the event lists' TIME, `TIMEPIXR = 0.5`; add `TIMEZERO`) |
//! | `RATE` | count/s | (COUNTS − ratio × BKG_COUNTS) / TIMEDEL: the net rate × FRACEXP; **the exposure-corrected net rate is RATE / FRACEXP** |
//! | `ERROR` | count/s | upper 1σ error of RATE (Gehrels or Bayesian, `ERRMETH`) |
//! | `ERR_LO`, `ERR_HI` | count/s | lower and upper 1σ errors of RATE |
//! | `FRACEXP` | | live time / TIMEDEL |
//! | `BACKV`, `BACKE` | count/s | background in the aperture (ratio × BKG_COUNTS / TIMEDEL) and its error |
//! | `COUNTS`, `BKG_COUNTS` | ct | events in the aperture and in the background region |
//! | `RATE_CORR` | count/s | the source's rate over its whole PSF: RATE / (FRACEXP × EEF) |
//! | `LOW_FRACEXP` | | FRACEXP < `MINFREXP`: leave out of variability statistics |
//!
//! Bins without live time have FRACEXP = 0 and NaN rates. For the combined curve RATE =
//! (Σ camera net rates) × FRACEXP, FRACEXP being the smallest of the cameras', and COUNTS the
//! sum of the cameras'.
//!
//! Keywords: every HDU carries `CREATOR`, `DATE`, `COMMAND`, `TELESCOP`, `OBS_ID`, `OBJECT`,
//! `RA_OBJ`/`DEC_OBJ` (the target), `RADESYS`, `EQUINOX`, `MJDREF` (or `MJDREFI` + `MJDREFF`,
//! as the event lists wrote it), `TIMESYS`, `TIMEREF`, `TASSIGN`, `TIMEUNIT = 's'`, `E_MIN`/
//! `E_MAX` (keV); each `RATE` extension `INSTRUME`, `TSTART`/`TSTOP` (its bins' span),
//! `TIMEDEL`, `TIMEZERO`, `TIMEPIXR = 0.5`, `EXPOSURE` (Σ FRACEXP × TIMEDEL), `ERRMETH`,
//! `MINFREXP`, and for a camera the aperture: `CCDID`, `SRC_RAD`, `BKG_RIN`, `BKG_ROUT`
//! (arcsec), `SRC_AREA`, `BKG_AREA` (arcsec²), `BACKRAT` (their ratio, BACKSCAL_src /
//! BACKSCAL_bkg), `EEF`, `OFFAXIS` (arcmin), `LIVEFRAC`, `NEXCL`.
//!
//! ## ECSV
//!
//! One table, the same columns after a `CAMERA` column (PN, M1, M2, EPIC), rows camera by
//! camera; the keywords as metadata, per-camera ones suffixed by the camera (`eef_pn`, ...).

use std::path::Path;

use exod_core::exposure::Exposure;
use exod_core::gti::Gti;
use exod_core::instrument::Mission;
use exod_core::timing::lightcurve::LightCurve;

use crate::context::{creation_date, KeyValue, MjdRef};
use crate::error::IoError;
use crate::table::{self, Table};

/// Header keywords: (key, value, comment).
pub type Keywords = Vec<(String, KeyValue, String)>;

/// What a light-curve file says about where it comes from (build with
/// [`LcFileMeta::from_exposures`], then adjust the public fields).
#[derive(Debug, Clone, PartialEq)]
pub struct LcFileMeta {
    /// TELESCOP.
    pub telescope: String,
    /// OBS_ID.
    pub obs_id: Option<String>,
    /// OBJECT: the target's name (default: the observation's OBJECT).
    pub object: Option<String>,
    /// RA of the target (deg).
    pub ra: f64,
    /// Dec of the target (deg).
    pub dec: f64,
    /// RADESYS.
    pub radesys: String,
    /// EQUINOX.
    pub equinox: f64,
    /// MJDREF as the event lists wrote it.
    pub mjdref: Option<MjdRef>,
    /// TIMESYS.
    pub timesys: String,
    /// TIMEREF.
    pub timeref: String,
    /// TASSIGN.
    pub tassign: String,
    /// TIMEZERO (s) written with the curves: that of the event lists, whose TIME the curves'
    /// TIME and GTIs keep (0 for XMM; default 0).
    pub timezero: f64,
    /// Band (keV).
    pub band_kev: (f64, f64),
    /// DATE of the file (also in the checksum comments).
    pub date: String,
    /// CREATOR, DATE, COMMAND and any run parameters (written to every HDU).
    pub provenance: Keywords,
}

impl LcFileMeta {
    /// The facts of `exposures` for a target at (`ra`, `dec`) in the band `band_ev` (eV),
    /// made by `command`: the first stated TELESCOP, OBS_ID, OBJECT, MJDREF, TIMESYS, TIMEREF,
    /// TASSIGN, RADESYS, EQUINOX, else the XMM conventions (50814.0, TT, LOCAL, SATELLITE,
    /// FK5, 2000); DATE from [`creation_date`] (`SOURCE_DATE_EPOCH`).
    pub fn from_exposures(
        exposures: &[Exposure],
        ra: f64,
        dec: f64,
        band_ev: (f64, f64),
        command: &str,
    ) -> LcFileMeta {
        let hs: Vec<_> = exposures.iter().map(|e| e.header()).collect();
        let first = |f: &dyn Fn(&exod_core::exposure::ExposureHeader) -> Option<String>,
                     default: &str| {
            hs.iter()
                .find_map(|h| f(h))
                .unwrap_or_else(|| default.to_string())
        };
        let mjdref = hs
            .iter()
            .find(|h| h.mjdref.is_some())
            .map(|h| {
                let m = h.mjdref.expect("found");
                if h.frames.mjdref_split {
                    MjdRef::Split {
                        integer: m.floor(),
                        fraction: m - m.floor(),
                    }
                } else {
                    MjdRef::Single(m)
                }
            })
            .or_else(|| {
                let xmm = hs.is_empty() || hs.iter().any(|h| h.mission == Mission::Xmm);
                xmm.then_some(MjdRef::Single(50814.0))
            });
        let date = creation_date();
        LcFileMeta {
            telescope: first(&|h| Some(h.telescope.clone()), "XMM"),
            obs_id: hs.iter().find_map(|h| h.obs_id.clone()),
            object: hs.iter().find_map(|h| h.object.clone()),
            ra,
            dec,
            radesys: first(&|h| h.frames.radesys.clone(), "FK5"),
            equinox: hs.iter().find_map(|h| h.frames.equinox).unwrap_or(2000.0),
            mjdref,
            timesys: first(&|h| h.frames.timesys.clone(), "TT"),
            timeref: first(&|h| h.frames.timeref.clone(), "LOCAL"),
            tassign: first(&|h| h.frames.tassign.clone(), "SATELLITE"),
            timezero: 0.0,
            band_kev: (band_ev.0 / 1000.0, band_ev.1 / 1000.0),
            provenance: table::provenance(&date, command),
            date,
        }
    }

    /// The keywords of every HDU (module docs).
    pub fn common_keywords(&self) -> Keywords {
        let mut k = self.provenance.clone();
        let mut add = |key: &str, v: KeyValue, c: &str| k.push((key.into(), v, c.into()));
        add("TELESCOP", self.telescope.as_str().into(), "mission");
        if let Some(o) = &self.obs_id {
            add("OBS_ID", o.into(), "observation identifier");
        }
        if let Some(o) = &self.object {
            add("OBJECT", o.into(), "name of the target");
        }
        add("RA_OBJ", self.ra.into(), "[deg] RA of the target (RADESYS)");
        add(
            "DEC_OBJ",
            self.dec.into(),
            "[deg] Dec of the target (RADESYS)",
        );
        add(
            "RADESYS",
            self.radesys.as_str().into(),
            "celestial frame of RA, Dec",
        );
        add(
            "EQUINOX",
            self.equinox.into(),
            "equinox of the celestial frame",
        );
        match self.mjdref {
            Some(MjdRef::Single(m)) => add("MJDREF", m.into(), "MJD of TIME = 0 (TIMESYS)"),
            Some(MjdRef::Split { integer, fraction }) => {
                add(
                    "MJDREFI",
                    (integer as i64).into(),
                    "integer part of the MJD of TIME = 0",
                );
                add(
                    "MJDREFF",
                    fraction.into(),
                    "fractional part of the MJD of TIME = 0",
                );
            }
            None => {}
        }
        add(
            "TIMESYS",
            self.timesys.as_str().into(),
            "time system of TIME",
        );
        add(
            "TIMEREF",
            self.timeref.as_str().into(),
            "reference frame of the times",
        );
        add(
            "TASSIGN",
            self.tassign.as_str().into(),
            "where the times are assigned",
        );
        add(
            "TIMEUNIT",
            "s".into(),
            "unit of TIME, TSTART, TSTOP, TIMEDEL",
        );
        add(
            "E_MIN",
            self.band_kev.0.into(),
            "[keV] lower edge of the band",
        );
        add(
            "E_MAX",
            self.band_kev.1.into(),
            "[keV] upper edge of the band",
        );
        k
    }
}

/// `value × fracexp`: a rate in the per-TIMEDEL convention of RATE (module docs).
fn per_timedel(v: &[f64], fracexp: &[f64]) -> Vec<f64> {
    v.iter().zip(fracexp).map(|(x, f)| x * f).collect()
}

/// The columns of one curve (module docs), after an optional CAMERA column.
fn columns(lc: &LightCurve, t: &mut Table) {
    let f = &lc.fracexp;
    t.f64(
        "TIME",
        "s",
        "centre of the bin (the event lists' TIME; TIMEPIXR = 0.5; add TIMEZERO)",
        lc.time.clone(),
    );
    t.f64(
        "RATE",
        "count/s",
        "(COUNTS - BACKRAT x BKG_COUNTS) / TIMEDEL: net rate x FRACEXP; exposure-corrected net rate = RATE / FRACEXP",
        per_timedel(&lc.rate, f),
    );
    t.f64(
        "ERROR",
        "count/s",
        "upper 1-sigma error of RATE (ERRMETH)",
        per_timedel(&lc.err_hi, f),
    );
    t.f64(
        "ERR_LO",
        "count/s",
        "lower 1-sigma error of RATE",
        per_timedel(&lc.err_lo, f),
    );
    t.f64(
        "ERR_HI",
        "count/s",
        "upper 1-sigma error of RATE",
        per_timedel(&lc.err_hi, f),
    );
    t.f64(
        "FRACEXP",
        "",
        "live time / TIMEDEL (GTI overlap x live fraction)",
        f.clone(),
    );
    t.f64(
        "BACKV",
        "count/s",
        "background in the source aperture: BACKRAT x BKG_COUNTS / TIMEDEL",
        per_timedel(&lc.bkg_rate, f),
    );
    t.f64(
        "BACKE",
        "count/s",
        "1-sigma error of BACKV (Gehrels, upper)",
        per_timedel(&lc.bkg_err, f),
    );
    t.i64(
        "COUNTS",
        "ct",
        "events in the source aperture",
        lc.counts.iter().map(|&c| c as i64).collect(),
    );
    t.tform("1J");
    t.i64(
        "BKG_COUNTS",
        "ct",
        "events in the background region",
        lc.bkg_counts.iter().map(|&c| c as i64).collect(),
    );
    t.tform("1J");
    t.f64(
        "RATE_CORR",
        "count/s",
        "source rate over the whole PSF: RATE / (FRACEXP x EEF)",
        lc.rate_corr.clone(),
    );
    t.bool(
        "LOW_FRACEXP",
        "FRACEXP < MINFREXP: left out of variability statistics",
        lc.low_exposure.clone(),
    );
}

/// The keywords of one curve's RATE extension (module docs); `suffix` is appended to the
/// per-camera keys (ECSV metadata).
fn curve_keywords(lc: &LightCurve, meta: &LcFileMeta, suffix: &str) -> Keywords {
    let mut k: Keywords = Vec::new();
    let mut add = |key: &str, v: KeyValue, c: &str| k.push((format!("{key}{suffix}"), v, c.into()));
    add(
        "INSTRUME",
        lc.instrume.as_str().into(),
        "camera(s) of the curve, joined by +",
    );
    add(
        "TSTART",
        lc.grid.t0.into(),
        "start of the first bin (mission time)",
    );
    add(
        "TSTOP",
        lc.grid.stop().into(),
        "end of the last bin (mission time)",
    );
    add("TIMEDEL", lc.grid.tbin.into(), "[s] bin size");
    add(
        "TIMEZERO",
        meta.timezero.into(),
        "[s] added to TIME, TSTART, TSTOP",
    );
    add("TIMEPIXR", 0.5.into(), "TIME is the centre of the bin");
    add(
        "EXPOSURE",
        lc.exposure().into(),
        "[s] sum of FRACEXP x TIMEDEL",
    );
    add(
        "ERRMETH",
        lc.method.name().into(),
        "errors: GEHRELS (1986) or KBN (Kraft+ 1991)",
    );
    add(
        "MINFREXP",
        lc.min_fracexp.into(),
        "LOW_FRACEXP below this FRACEXP",
    );
    if lc.backscal_ratio.is_finite() {
        add(
            "BACKRAT",
            lc.backscal_ratio.into(),
            "source / background area (BACKSCAL ratio)",
        );
    }
    if lc.eef.is_finite() {
        add(
            "EEF",
            lc.eef.into(),
            "encircled-energy fraction of the aperture on the CCD",
        );
    }
    if let Some(a) = &lc.aperture {
        add("CCDID", i64::from(a.ccd).into(), "source CCD");
        add(
            "SRC_RAD",
            a.src_radius_arcsec.into(),
            "[arcsec] source aperture radius",
        );
        add(
            "BKG_RIN",
            a.bkg_inner_arcsec.into(),
            "[arcsec] background annulus inner radius",
        );
        add(
            "BKG_ROUT",
            a.bkg_outer_arcsec.into(),
            "[arcsec] background annulus outer radius",
        );
        add(
            "SRC_AREA",
            a.src_area_arcsec2.into(),
            "[arcsec2] source aperture on the CCD",
        );
        add(
            "BKG_AREA",
            a.bkg_area_arcsec2.into(),
            "[arcsec2] background region used",
        );
        add(
            "OFFAXIS",
            a.offaxis_arcmin.into(),
            "[arcmin] off-axis angle of the target",
        );
        add(
            "LIVEFRAC",
            a.live_fraction.into(),
            "live-time fraction of the CCD",
        );
        add(
            "NEXCL",
            a.n_excluded.into(),
            "sources cut out of the background",
        );
    }
    k
}

/// The OGIP RATE table of one curve.
pub fn rate_table(lc: &LightCurve, meta: &LcFileMeta, extname: &str) -> Table {
    let mut t = Table::new(extname);
    columns(lc, &mut t);
    t.keyword("HDUCLASS", "OGIP", "format conforms to OGIP standard");
    t.keyword("HDUCLAS1", "LIGHTCURVE", "light curve");
    t.keyword("HDUCLAS2", "NET", "background subtracted");
    t.keyword("HDUCLAS3", "RATE", "RATE column in count/s");
    t.keyword("HDUVERS", "1.1.0", "version of the OGIP light-curve format");
    t.keywords.extend(curve_keywords(lc, meta, ""));
    t
}

/// An OGIP GTI table.
pub fn gti_table(gti: &Gti, meta: &LcFileMeta, extname: &str, instrume: &str) -> Table {
    let mut t = Table::new(extname);
    let iv = gti.intervals();
    t.f64(
        "START",
        "s",
        "start of a good time interval",
        iv.iter().map(|i| i.0).collect(),
    );
    t.f64(
        "STOP",
        "s",
        "end of a good time interval",
        iv.iter().map(|i| i.1).collect(),
    );
    t.keyword("HDUCLASS", "OGIP", "format conforms to OGIP standard");
    t.keyword("HDUCLAS1", "GTI", "good time intervals");
    t.keyword("HDUCLAS2", "STANDARD", "");
    t.keyword("INSTRUME", instrume, "camera(s) of the intervals");
    t.keyword("TIMEZERO", meta.timezero, "[s] added to START, STOP");
    if let Some((a, b)) = gti.span() {
        t.keyword("TSTART", a, "first START");
        t.keyword("TSTOP", b, "last STOP");
    }
    t
}

/// The curves in file order: the combined one first, then the cameras.
fn in_order<'a>(
    cameras: &'a [LightCurve],
    combined: Option<&'a LightCurve>,
) -> Vec<&'a LightCurve> {
    combined.into_iter().chain(cameras).collect()
}

fn extname(prefix: &str, lc: &LightCurve) -> String {
    if lc.aperture.is_none() && lc.camera == "EPIC" {
        prefix.to_string()
    } else {
        format!("{prefix}_{}", lc.camera)
    }
}

/// Write `cameras` (and `combined`, the EPIC curve, when given) as an OGIP FITS file at
/// `path` (module docs).
pub fn write_fits(
    path: &Path,
    cameras: &[LightCurve],
    combined: Option<&LightCurve>,
    meta: &LcFileMeta,
) -> Result<(), IoError> {
    let curves = in_order(cameras, combined);
    if curves.is_empty() {
        return Err(IoError::output(path, "no light curve to write"));
    }
    let mut tables: Vec<Table> = curves
        .iter()
        .map(|lc| rate_table(lc, meta, &extname("RATE", lc)))
        .collect();
    for (i, lc) in curves.iter().enumerate() {
        let name = if i == 0 {
            "GTI".to_string()
        } else {
            extname("GTI", lc)
        };
        tables.push(gti_table(&lc.gti, meta, &name, &lc.instrume));
    }
    let refs: Vec<&Table> = tables.iter().collect();
    table::write_fits(path, &refs, &meta.common_keywords(), &meta.date)
}

/// Write every curve (cameras, then `combined`) as one ECSV table at `path` (module docs).
pub fn write_ecsv(
    path: &Path,
    cameras: &[LightCurve],
    combined: Option<&LightCurve>,
    meta: &LcFileMeta,
) -> Result<(), IoError> {
    let curves: Vec<&LightCurve> = cameras.iter().chain(combined).collect();
    if curves.is_empty() {
        return Err(IoError::output(path, "no light curve to write"));
    }
    let mut all = Table::new("LIGHTCURVES");
    for (i, lc) in curves.iter().enumerate() {
        let mut t = Table::new("");
        t.str(
            "CAMERA",
            "PN, M1, M2, or EPIC (combined)",
            vec![lc.camera.clone(); lc.len()],
        );
        columns(lc, &mut t);
        if i == 0 {
            all.columns = t.columns;
        } else {
            append(&mut all, t);
        }
        let suffix = format!("_{}", lc.camera.to_ascii_lowercase());
        all.keywords.extend(curve_keywords(lc, meta, &suffix));
    }
    let mut m = meta.common_keywords();
    m.retain(|(k, _, _)| k != "DATE");
    table::write_ecsv(path, &all, &m)
}

/// Append the rows of `t` (same columns) to `all`.
fn append(all: &mut Table, t: Table) {
    use crate::table::ColumnData as D;
    for (a, b) in all.columns.iter_mut().zip(t.columns) {
        match (&mut a.data, b.data) {
            (D::F64(x), D::F64(y)) => x.extend(y),
            (D::I64(x), D::I64(y)) => x.extend(y),
            (D::Str(x), D::Str(y)) => x.extend(y),
            (D::Bool(x), D::Bool(y)) => x.extend(y),
            _ => unreachable!("the same columns in the same order"),
        }
    }
}
