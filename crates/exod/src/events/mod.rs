//! Photon event lists: reading, screening and GTIs (paper §2.2).
//!
//! One reader serves XMM-Newton EPIC pn/MOS imaging lists (pipeline `PIEVLI`/`MIEVLI` products,
//! gzip-compressed `.FTZ` included, and SAS `evselect`/`epchain`/`emchain` outputs), and the
//! Chandra, eROSITA and NuSTAR lists as far as TIME, sky X/Y, energy and WCS. Events come out
//! sorted by TIME. Unsupported data (timing, burst, small-window modes) is rejected per exposure
//! with the reason.
//!
//! GTIs: for EPIC, the per-CCD `STDGTInn` extensions, intersected with the flare-filtered GTI
//! extension that the EVENTS header's data-subspace keywords (`nDSVAL1` = CCD, `nDSREF6` =
//! `:GTI…`) attach to that CCD when a list was filtered by time (SAS-cleaned lists). For other
//! missions, the `GTI`/`STDGTI` extension, or [TSTART, TSTOP].

pub mod gti;
pub mod screen;
pub mod srclist;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::fits::{Fits, FitsError, HeaderValue};
use crate::wcs::{SkyWcs, WcsError, WcsParams};
pub use gti::Gti;
pub use screen::{ScreenOptions, ScreenReport};

/// Errors of the events layer.
#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error(transparent)]
    Fits(#[from] FitsError),
    #[error("{path}: unsupported data: {reason}")]
    Unsupported { path: PathBuf, reason: String },
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The mission an event list comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Mission {
    Xmm,
    Chandra,
    Erosita,
    Nustar,
    Swift,
    Other,
}

/// An EPIC camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum XmmCamera {
    Pn,
    Mos1,
    Mos2,
}

impl XmmCamera {
    /// The INSTRUME keyword value.
    pub fn instrume(self) -> &'static str {
        match self {
            XmmCamera::Pn => "EPN",
            XmmCamera::Mos1 => "EMOS1",
            XmmCamera::Mos2 => "EMOS2",
        }
    }

    /// Short name (pn, M1, M2).
    pub fn short(self) -> &'static str {
        match self {
            XmmCamera::Pn => "PN",
            XmmCamera::Mos1 => "M1",
            XmmCamera::Mos2 => "M2",
        }
    }

    /// Number of CCDs.
    pub fn n_ccd(self) -> u8 {
        match self {
            XmmCamera::Pn => 12,
            _ => 7,
        }
    }
}

/// Header facts of one exposure.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Header {
    pub mission: Mission,
    pub telescope: String,
    pub instrument: String,
    /// For XMM EPIC lists.
    pub camera: Option<XmmCamera>,
    pub datamode: Option<String>,
    pub submode: Option<String>,
    pub obs_id: Option<String>,
    pub exp_id: Option<String>,
    pub revolution: Option<i64>,
    pub object: Option<String>,
    pub date_obs: Option<String>,
    pub tstart: Option<f64>,
    pub tstop: Option<f64>,
    /// MJD of TIME = 0 (MJDREF, or MJDREFI + MJDREFF).
    pub mjdref: Option<f64>,
    pub ra_pnt: Option<f64>,
    pub dec_pnt: Option<f64>,
    pub pa_pnt: Option<f64>,
}

/// A screened, time-sorted event list of one exposure.
#[derive(Debug, Clone)]
pub struct EventList {
    pub path: PathBuf,
    pub header: Header,
    /// The sky WCS of the X/Y columns, or why it could not be built.
    pub wcs: Result<SkyWcs, WcsError>,
    /// Event times (s, mission time), sorted.
    pub time: Vec<f64>,
    /// Sky X/Y (pixels of the WCS; XMM: 0.05″ units).
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    /// Energy (eV). For lists without an energy column, from PI with the mission's channel width.
    pub energy: Vec<f32>,
    /// CCD number (0 when the list has none).
    pub ccd: Vec<u8>,
    /// GTIs per CCD (key 0 for lists without per-CCD GTIs).
    pub gti: BTreeMap<u8, Gti>,
    /// What screening removed.
    pub screening: ScreenReport,
    /// How energies were obtained ("PI (eV)", "energy column (eV)", ...).
    pub energy_source: String,
    /// Where the GTIs came from.
    pub gti_source: String,
}

impl EventList {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// No events?
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// The union of all CCD GTIs' span.
    pub fn time_span(&self) -> Option<(f64, f64)> {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for g in self.gti.values() {
            if let Some((a, b)) = g.span() {
                lo = lo.min(a);
                hi = hi.max(b);
            }
        }
        (lo < hi).then_some((lo, hi))
    }
}

/// Read options.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReadOptions {
    pub screen: ScreenOptions,
}

fn invalid(path: &Path, what: impl Into<String>) -> EventsError {
    EventsError::Invalid {
        path: path.into(),
        what: what.into(),
    }
}

fn detect_mission(telescope: &str) -> Mission {
    match telescope.to_ascii_uppercase().as_str() {
        "XMM" | "XMM-NEWTON" => Mission::Xmm,
        "CHANDRA" => Mission::Chandra,
        "EROSITA" | "SRG" | "SRG/EROSITA" => Mission::Erosita,
        "NUSTAR" => Mission::Nustar,
        "SWIFT" => Mission::Swift,
        _ => Mission::Other,
    }
}

/// Read the header facts of the EVENTS extension (falling back on the primary header).
fn read_header(f: &mut Fits) -> Result<Header, EventsError> {
    let get_s = |f: &mut Fits, k: &str| -> Result<Option<String>, FitsError> {
        let v = f.string(k)?;
        Ok(v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
    };
    let telescope = get_s(f, "TELESCOP")?.ok_or_else(|| {
        invalid(
            &f.path,
            "EVENTS header has no TELESCOP keyword: cannot tell the mission",
        )
    })?;
    let mission = detect_mission(&telescope);
    let instrument = get_s(f, "INSTRUME")?.unwrap_or_default();
    let camera = match (mission, instrument.as_str()) {
        (Mission::Xmm, "EPN") => Some(XmmCamera::Pn),
        (Mission::Xmm, "EMOS1") => Some(XmmCamera::Mos1),
        (Mission::Xmm, "EMOS2") => Some(XmmCamera::Mos2),
        (Mission::Xmm, other) => {
            return Err(EventsError::Unsupported {
                path: f.path.clone(),
                reason: format!(
                "INSTRUME = {other:?}: only EPIC imaging lists (EPN, EMOS1, EMOS2) are supported"
            ),
            })
        }
        _ => None,
    };
    let num = |f: &mut Fits, k: &str| f.num(k, "a number");
    let mjdref = match num(f, "MJDREF")? {
        Some(m) => Some(m),
        None => match (num(f, "MJDREFI")?, num(f, "MJDREFF")?) {
            (Some(i), ff) => Some(i + ff.unwrap_or(0.0)),
            _ => None,
        },
    };
    let obs_id = get_s(f, "OBS_ID")?.or(get_s(f, "OBSID")?);
    let revolution = match f.key("REVOLUT")? {
        Some(HeaderValue::Num(x)) => Some(x as i64),
        _ => None,
    };
    // pointing: only keep plausible values (NuSTAR solar files carry −100)
    let plausible = |v: Option<f64>, lim: f64| v.filter(|x| x.abs() <= lim);
    let ra_pnt = plausible(num(f, "RA_PNT")?, 360.0).filter(|x| *x >= 0.0);
    let dec_pnt = plausible(num(f, "DEC_PNT")?, 90.0);
    Ok(Header {
        mission,
        telescope,
        instrument,
        camera,
        datamode: get_s(f, "DATAMODE")?,
        submode: get_s(f, "SUBMODE")?,
        obs_id,
        exp_id: get_s(f, "EXP_ID")?,
        revolution,
        object: get_s(f, "OBJECT")?,
        date_obs: get_s(f, "DATE-OBS")?,
        tstart: num(f, "TSTART")?,
        tstop: num(f, "TSTOP")?,
        mjdref,
        ra_pnt,
        dec_pnt,
        pa_pnt: num(f, "PA_PNT")?,
    })
}

/// Reject unsupported EPIC modes with the reason.
fn check_mode(path: &Path, h: &Header) -> Result<(), EventsError> {
    let unsupported = |reason: String| EventsError::Unsupported {
        path: path.into(),
        reason,
    };
    if let Some(dm) = &h.datamode {
        let dm_u = dm.to_ascii_uppercase();
        if h.mission == Mission::Xmm && dm_u != "IMAGING" {
            return Err(unsupported(format!(
                "DATAMODE = {dm:?}: only IMAGING exposures can be binned into sky images (timing and burst modes have no Y position)"
            )));
        }
    }
    if let (Some(cam), Some(sub)) = (h.camera, &h.submode) {
        let ok = match cam {
            XmmCamera::Pn => matches!(
                sub.as_str(),
                "PrimeFullWindow" | "PrimeFullWindowExtended" | "PrimeLargeWindow"
            ),
            _ => sub.starts_with("PrimeFullWindow") || sub.starts_with("PrimePartial"),
        };
        if !ok {
            return Err(unsupported(format!(
                "{} SUBMODE = {sub:?} is not supported (pn: PrimeFullWindow, PrimeFullWindowExtended, PrimeLargeWindow; MOS: PrimeFullWindow, PrimePartial*): small windows cover too little sky and timing/burst modes have no imaging",
                cam.instrume()
            )));
        }
    }
    Ok(())
}

/// Build the sky WCS from the X/Y column keywords, or XMM's REFX*/REFY* primary keywords.
fn read_wcs(
    f: &mut Fits,
    xcol: usize,
    ycol: usize,
) -> Result<Result<SkyWcs, WcsError>, EventsError> {
    let (cx, cy) = (xcol, ycol);
    let tctyp_x = f.string(&format!("TCTYP{cx}"))?;
    let tctyp_y = f.string(&format!("TCTYP{cy}"))?;
    let mut keys: Vec<(String, String)> = vec![];
    let (ctx, cty, prefix_x, prefix_y) = match (tctyp_x, tctyp_y) {
        (Some(a), Some(b)) => (a, b, format!("T{{}}{cx}"), format!("T{{}}{cy}")),
        _ => {
            // XMM primary-header convention
            let hdu = f.hdu_name().to_string();
            f.select("PRIMARY", "a primary header")?;
            let a = f.string("REFXCTYP")?;
            let b = f.string("REFYCTYP")?;
            let r = match (a, b) {
                (Some(a), Some(b)) => (a, b, "REFX{}".to_string(), "REFY{}".to_string()),
                _ => {
                    f.select(&hdu, "the events table")?;
                    return Ok(Err(WcsError(format!(
                        "no sky WCS: neither TCTYP{cx}/TCTYP{cy} on the X/Y columns nor REFXCTYP/REFYCTYP in the primary header"
                    ))));
                }
            };
            keys.push(("hdu".into(), hdu));
            r
        }
    };
    let proj = match SkyWcs::projection_from_ctype(&ctx, &cty) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let mut vals = [[0.0f64; 2]; 3];
    for (i, what) in ["RVL", "RPX", "DLT"].iter().enumerate() {
        for (j, pre) in [&prefix_x, &prefix_y].iter().enumerate() {
            let key = pre.replace("{}", &format!("C{what}"));
            match f.key(&key)? {
                Some(HeaderValue::Num(v)) => vals[i][j] = v,
                Some(other) => {
                    restore(f, &keys)?;
                    return Ok(Err(WcsError(format!(
                        "{key} = {other}: expected a number ({})",
                        match *what {
                            "RVL" => "the reference RA/Dec in degrees",
                            "RPX" => "the reference pixel",
                            _ => "the pixel size in degrees",
                        }
                    ))));
                }
                None => {
                    restore(f, &keys)?;
                    return Ok(Err(WcsError(format!("missing WCS keyword {key}"))));
                }
            }
        }
    }
    restore(f, &keys)?;
    Ok(SkyWcs::new(WcsParams {
        projection: proj,
        crval: vals[0],
        crpix: vals[1],
        cdelt: vals[2],
    })
    .map_err(|e| WcsError(format!("{ctx}/{cty}: {}", e.0))))
}

fn restore(f: &mut Fits, keys: &[(String, String)]) -> Result<(), EventsError> {
    if let Some((_, hdu)) = keys.iter().find(|(k, _)| k == "hdu") {
        f.select(hdu, "the events table")?;
    }
    Ok(())
}

/// Read a GTI table (START/STOP) of the current HDU.
fn read_gti_table(f: &mut Fits) -> Result<Gti, EventsError> {
    let (start_c, _) = f.column_req("START", "GTI start times")?;
    let (stop_c, _) = f.column_req("STOP", "GTI stop times")?;
    let start: Vec<f64> = f.read_all(&start_c)?;
    let stop: Vec<f64> = f.read_all(&stop_c)?;
    Gti::from_rows(&start, &stop).map_err(|e| {
        invalid(
            &f.path,
            format!(
                "GTI extension {}: {e} (expected sorted, disjoint START < STOP rows)",
                f.hdu_name()
            ),
        )
    })
}

/// The data-subspace GTI references of the EVENTS header: CCD → extension name.
fn dss_gti_refs(f: &mut Fits) -> Result<BTreeMap<u8, String>, EventsError> {
    let mut out = BTreeMap::new();
    // Find which DSTYPn is TIME and which is CCDNR.
    let mut time_n = None;
    let mut ccd_n = None;
    for n in 1..=20 {
        match f.string(&format!("DSTYP{n}"))? {
            Some(s) if s.trim() == "TIME" => time_n = Some(n),
            Some(s) if s.trim() == "CCDNR" => ccd_n = Some(n),
            _ => {}
        }
    }
    let Some(tn) = time_n else { return Ok(out) };
    for set in 1..=64 {
        let pre = if set == 1 {
            String::new()
        } else {
            set.to_string()
        };
        let Some(r) = f.string(&format!("{pre}DSREF{tn}"))? else {
            if set == 1 {
                continue;
            }
            break;
        };
        let ccd = match ccd_n {
            Some(cn) => f
                .string(&format!("{pre}DSVAL{cn}"))?
                .and_then(|v| v.trim().parse::<u8>().ok())
                .unwrap_or(0),
            None => 0,
        };
        out.insert(ccd, r.trim().trim_start_matches(':').to_string());
    }
    Ok(out)
}

const CHUNK: usize = 1 << 20;

/// Read and screen one event list.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<EventList, EventsError> {
    let mut f = Fits::open(path)?;
    let names = f.hdu_names();
    let ev_name = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case("EVENTS"))
        .cloned()
        .ok_or_else(|| FitsError::MissingHdu {
            path: path.into(),
            hdu: "EVENTS".into(),
            expected: "a photon event list".into(),
        })?;
    f.select(&ev_name, "a photon event list")?;
    let header = read_header(&mut f)?;
    check_mode(path, &header)?;
    let (nrows, _) = f.table_info()?;
    if nrows == 0 {
        return Err(invalid(path, "the EVENTS table has no rows (zero events)"));
    }

    // Columns
    let (time_c, _) = f.column_req("TIME", "photon arrival times (s)")?;
    let (x_c, x_n) = f.column_req("X", "sky X pixel")?;
    let (y_c, y_n) = f.column_req("Y", "sky Y pixel")?;
    let wcs = read_wcs(&mut f, x_n, y_n)?;
    let is_xmm = header.mission == Mission::Xmm;
    // energy: XMM/eROSITA PI in eV; Chandra `energy` (eV) or PI × 14.6 eV; NuSTAR 1.6 keV + 40 eV × PI
    let (energy_c, energy_scale, energy_offset, energy_source) = match header.mission {
        Mission::Chandra => match f.column("ENERGY")? {
            Some((c, _)) => (Some(c), 1.0, 0.0, "energy column (eV)"),
            None => (
                f.column("PI")?.map(|c| c.0),
                14.6,
                0.0,
                "PI × 14.6 eV (ACIS channel width; no energy column)",
            ),
        },
        Mission::Nustar => (
            f.column("PI")?.map(|c| c.0),
            40.0,
            1600.0,
            "1.6 keV + 40 eV × PI (NuSTAR)",
        ),
        _ => (f.column("PI")?.map(|c| c.0), 1.0, 0.0, "PI (eV)"),
    };
    let energy_c = energy_c.ok_or_else(|| FitsError::MissingColumn {
        path: path.into(),
        hdu: ev_name.clone(),
        column: "PI".into(),
        expected: "event energies (PI in eV, or ENERGY)".into(),
        available: f.table_info().map(|t| t.1.join(", ")).unwrap_or_default(),
    })?;
    let ccd_c = ["CCDNR", "CCD_ID", "TM_NR", "DET_ID"]
        .iter()
        .find_map(|n| f.column(n).ok().flatten().map(|c| c.0));
    let cam = header.camera;
    let (pattern_c, flag_c, rawx_c, rawy_c) = if is_xmm {
        (
            Some(f.column_req("PATTERN", "EPIC event patterns")?.0),
            Some(f.column_req("FLAG", "EPIC event flags")?.0),
            Some(f.column_req("RAWX", "CCD raw column")?.0),
            Some(f.column_req("RAWY", "CCD raw row")?.0),
        )
    } else {
        (None, None, None, None)
    };
    if is_xmm && ccd_c.is_none() {
        return Err(FitsError::MissingColumn {
            path: path.into(),
            hdu: ev_name.clone(),
            column: "CCDNR".into(),
            expected: "the CCD of each event".into(),
            available: f.table_info().map(|t| t.1.join(", ")).unwrap_or_default(),
        }
        .into());
    }
    let flag_mask = if is_xmm {
        let key = if cam == Some(XmmCamera::Pn) {
            "XMMEA_EP"
        } else {
            "XMMEA_EM"
        };
        f.string(key)?
            .and_then(|c| screen::parse_xmmea(&c))
            .unwrap_or(if cam == Some(XmmCamera::Pn) {
                screen::XMMEA_EP_FALLBACK
            } else {
                screen::XMMEA_EM_FALLBACK
            })
    } else {
        0
    };
    let dss = if is_xmm {
        dss_gti_refs(&mut f)?
    } else {
        BTreeMap::new()
    };

    // GTIs
    let mut gti: BTreeMap<u8, Gti> = BTreeMap::new();
    let mut gti_source = String::new();
    if is_xmm {
        gti_source = if dss.is_empty() {
            "STDGTInn per CCD".into()
        } else {
            "STDGTInn ∩ data-subspace (DSREF) GTI per CCD".into()
        };
        let camera = cam.expect("XMM lists have a camera");
        for ccd in 1..=camera.n_ccd() {
            let name = format!("STDGTI{ccd:02}");
            if names.iter().any(|n| n == &name) {
                f.select(&name, "a per-CCD GTI")?;
                let mut g = read_gti_table(&mut f)?;
                if let Some(r) = dss.get(&ccd) {
                    if names.iter().any(|n| n == r) {
                        f.select(r, "the flare-filtered GTI named by DSREF")?;
                        g = g.intersect(&read_gti_table(&mut f)?);
                    } else {
                        return Err(invalid(path, format!("the EVENTS data subspace of CCD {ccd} refers to GTI extension {r}, which is not in the file")));
                    }
                }
                gti.insert(ccd, g);
            }
        }
        if gti.is_empty() {
            return Err(invalid(
                path,
                format!(
                    "no STDGTInn extension: an EPIC event list has one GTI per CCD (HDUs: {})",
                    names.join(", ")
                ),
            ));
        }
    } else {
        let gname = names.iter().find(|n| {
            n.eq_ignore_ascii_case("GTI") || n.to_ascii_uppercase().starts_with("STDGTI")
        });
        match gname {
            Some(g) => {
                let g = g.clone();
                f.select(&g, "a GTI table")?;
                gti.insert(0, read_gti_table(&mut f)?);
                gti_source = format!("{g} extension");
            }
            None => match (header.tstart, header.tstop) {
                (Some(a), Some(b)) if b > a => {
                    gti.insert(0, Gti::single(a, b));
                    gti_source = "TSTART–TSTOP (no GTI extension)".into();
                }
                _ => {
                    gti.insert(0, Gti::default());
                }
            },
        }
    }
    if gti.values().all(|g| g.is_empty()) && gti.len() > 0 && is_xmm {
        return Err(invalid(
            path,
            "every GTI is empty: the exposure has no good time",
        ));
    }
    f.select(&ev_name, "a photon event list")?;

    // Events, in chunks, screened on the fly
    let so = &opts.screen;
    let hot = match (is_xmm && so.hot_pixels, cam, header.revolution) {
        (true, Some(c), Some(rev)) => Some(screen::HotPixels::for_exposure(c, rev)),
        _ => None,
    };
    let max_pattern = match cam {
        Some(XmmCamera::Pn) => so.max_pattern_pn,
        _ => so.max_pattern_mos,
    };
    let partial_mos = matches!(cam, Some(XmmCamera::Mos1 | XmmCamera::Mos2))
        && header
            .submode
            .as_deref()
            .map(|s| s != "PrimeFullWindow")
            .unwrap_or(false);
    let crit_names = [
        "PATTERN",
        "PI range",
        "FLAG (XMMEA)",
        "hot pixels",
        "bad pn columns",
        "pn CCD edges",
        "MOS central CCD (partial window)",
        "outside CCD GTI",
        "NaN coordinates",
    ];
    let mut removed = [0usize; 9];
    let mut time = Vec::new();
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut energy = Vec::new();
    let mut ccd = Vec::new();
    let mut start = 0;
    while start < nrows {
        let end = (start + CHUNK).min(nrows);
        let t: Vec<f64> = f.read_range(&time_c, start, end)?;
        let cx: Vec<f64> = f.read_range(&x_c, start, end)?;
        let cy: Vec<f64> = f.read_range(&y_c, start, end)?;
        let e: Vec<f64> = f.read_range(&energy_c, start, end)?;
        let c: Vec<i32> = match &ccd_c {
            Some(n) => f.read_range(n, start, end)?,
            None => vec![0; end - start],
        };
        let (pat, flg, rx, ry): (Vec<i32>, Vec<i64>, Vec<i32>, Vec<i32>) = if is_xmm {
            (
                f.read_range(pattern_c.as_ref().expect("xmm"), start, end)?,
                f.read_range(flag_c.as_ref().expect("xmm"), start, end)?,
                f.read_range(rawx_c.as_ref().expect("xmm"), start, end)?,
                f.read_range(rawy_c.as_ref().expect("xmm"), start, end)?,
            )
        } else {
            (vec![], vec![], vec![], vec![])
        };
        for i in 0..t.len() {
            if !t[i].is_finite() {
                return Err(invalid(
                    path,
                    format!(
                        "TIME of row {} is {} (expected a finite time in s)",
                        start + i + 1,
                        t[i]
                    ),
                ));
            }
            let ev = e[i] * energy_scale + energy_offset;
            if is_xmm {
                let (p, fl, ccdn, rawx, rawy) = (pat[i], flg[i] as u32, c[i], rx[i], ry[i]);
                if p > max_pattern || p < 0 {
                    removed[0] += 1;
                    continue;
                }
                if !(ev >= so.pi_min_ev && ev <= so.pi_max_ev) {
                    removed[1] += 1;
                    continue;
                }
                if so.flag && fl & flag_mask != 0 {
                    removed[2] += 1;
                    continue;
                }
                if let Some(h) = &hot {
                    if h.contains(ccdn as u8, rawx as i16, rawy as i16) {
                        removed[3] += 1;
                        continue;
                    }
                }
                if cam == Some(XmmCamera::Pn) {
                    if so.bad_pn_columns
                        && screen::BAD_PN_COLUMNS.contains(&(ccdn as u8, rawx as i16))
                    {
                        removed[4] += 1;
                        continue;
                    }
                    let m = so.pn_edge_margin;
                    if m > 0 && (rawx <= m || rawx > 64 - m || rawy <= m || rawy > 200 - m) {
                        removed[5] += 1;
                        continue;
                    }
                }
                if partial_mos && so.mos_central_ccd_in_partial_modes && ccdn == 1 {
                    removed[6] += 1;
                    continue;
                }
                if so.outside_gti {
                    match gti.get(&(ccdn as u8)) {
                        Some(g) if g.contains(t[i]) => {}
                        _ => {
                            removed[7] += 1;
                            continue;
                        }
                    }
                }
            }
            if !(cx[i].is_finite() && cy[i].is_finite()) {
                removed[8] += 1;
                continue;
            }
            time.push(t[i]);
            x.push(cx[i] as f32);
            y.push(cy[i] as f32);
            energy.push(ev as f32);
            ccd.push(c[i].clamp(0, 255) as u8);
        }
        start = end;
    }
    // sort by time (SAS lists come in CCD blocks)
    let sorted = time.windows(2).all(|w| w[0] <= w[1]);
    if !sorted {
        let mut idx: Vec<u32> = (0..time.len() as u32).collect();
        idx.sort_by(|&a, &b| {
            time[a as usize]
                .total_cmp(&time[b as usize])
                .then(a.cmp(&b))
        });
        let perm = |v: &Vec<f32>| idx.iter().map(|&i| v[i as usize]).collect::<Vec<f32>>();
        x = perm(&x);
        y = perm(&y);
        energy = perm(&energy);
        ccd = idx.iter().map(|&i| ccd[i as usize]).collect();
        time = idx.iter().map(|&i| time[i as usize]).collect();
    }
    let report = ScreenReport {
        n_read: nrows,
        removed: crit_names
            .iter()
            .zip(removed)
            .filter(|(n, _)| is_xmm || **n == "NaN coordinates")
            .map(|(n, r)| (n.to_string(), r))
            .collect(),
        n_kept: time.len(),
    };
    // Non-XMM lists without GTI information: the span of the events
    if gti.get(&0).map(|g| g.is_empty()).unwrap_or(false) {
        if let (Some(a), Some(b)) = (time.first(), time.last()) {
            gti.insert(0, Gti::single(*a, *b));
            gti_source = "span of the events (no GTI extension, no TSTART/TSTOP)".into();
        }
    }
    Ok(EventList {
        path: path.into(),
        header,
        wcs,
        time,
        x,
        y,
        energy,
        ccd,
        gti,
        screening: report,
        energy_source: energy_source.into(),
        gti_source,
    })
}
