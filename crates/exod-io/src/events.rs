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

use std::collections::BTreeMap;
use std::path::Path;

use exod_core::exposure::{Exposure, ExposureHeader, ExposureParts};
use exod_core::gti::Gti;
use exod_core::instrument::{EpicCamera, Mission};
use exod_core::screening::{self, EpicEvent, EpicScreen, ScreenOptions, ScreenReport};
use exod_core::wcs::{SkyWcs, WcsError, WcsParams};

use crate::error::IoError;
use crate::fits::{Fits, FitsError, HeaderValue};

/// The error of reading an event list.
pub type EventsError = IoError;

/// Read options.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReadOptions {
    /// Screening criteria (defaults: the EXOD ones).
    pub screen: ScreenOptions,
}

fn invalid(path: &Path, what: impl Into<String>) -> IoError {
    IoError::invalid(path, what)
}

/// Read the header facts of the EVENTS extension (falling back on the primary header).
fn read_header(f: &mut Fits) -> Result<ExposureHeader, IoError> {
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
    let mission = Mission::from_telescop(&telescope);
    let instrument = get_s(f, "INSTRUME")?.unwrap_or_default();
    let camera = match (mission, EpicCamera::from_instrume(&instrument)) {
        (Mission::Xmm, Some(c)) => Some(c),
        (Mission::Xmm, None) => {
            let other = &instrument;
            return Err(IoError::Unsupported {
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
    Ok(ExposureHeader {
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
fn check_mode(path: &Path, h: &ExposureHeader) -> Result<(), IoError> {
    let unsupported = |reason: String| IoError::Unsupported {
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
            EpicCamera::Pn => matches!(
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
) -> Result<Result<SkyWcs, WcsError>, IoError> {
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

fn restore(f: &mut Fits, keys: &[(String, String)]) -> Result<(), IoError> {
    if let Some((_, hdu)) = keys.iter().find(|(k, _)| k == "hdu") {
        f.select(hdu, "the events table")?;
    }
    Ok(())
}

/// Read a GTI table (START/STOP) of the current HDU.
fn read_gti_table(f: &mut Fits) -> Result<Gti, IoError> {
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
fn dss_gti_refs(f: &mut Fits) -> Result<BTreeMap<u8, String>, IoError> {
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

/// The columns of an EVENTS table and how to turn PI into energy.
struct EventColumns {
    time: String,
    x: String,
    y: String,
    energy: String,
    energy_scale: f64,
    energy_offset: f64,
    energy_source: &'static str,
    ccd: Option<String>,
    /// PATTERN, FLAG, RAWX, RAWY (EPIC only).
    epic: Option<[String; 4]>,
}

/// Open the file and select its EVENTS extension; returns the HDU names.
fn open_events(path: &Path) -> Result<(Fits, Vec<String>, String), IoError> {
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
    Ok((f, names, ev_name))
}

fn missing_column(f: &mut Fits, hdu: &str, column: &str, expected: &str) -> IoError {
    FitsError::MissingColumn {
        path: f.path.clone(),
        hdu: hdu.into(),
        column: column.into(),
        expected: expected.into(),
        available: f.table_info().map(|t| t.1.join(", ")).unwrap_or_default(),
    }
    .into()
}

/// Find the columns: energy from XMM/eROSITA PI in eV; Chandra `energy` (eV) or PI × 14.6 eV;
/// NuSTAR 1.6 keV + 40 eV × PI.
fn find_columns(
    f: &mut Fits,
    h: &ExposureHeader,
    ev_name: &str,
) -> Result<(EventColumns, usize, usize), IoError> {
    let (time, _) = f.column_req("TIME", "photon arrival times (s)")?;
    let (x, x_n) = f.column_req("X", "sky X pixel")?;
    let (y, y_n) = f.column_req("Y", "sky Y pixel")?;
    let (energy, energy_scale, energy_offset, energy_source) = match h.mission {
        Mission::Chandra => match f.column("ENERGY")? {
            Some((c, _)) => (Some(c), 1.0, 0.0, "energy column (eV)"),
            None => (
                f.column("PI")?.map(|c| c.0),
                14.6,
                0.0,
                "PI × 14.6 eV (ACIS channel width; no energy column)",
            ),
        },
        Mission::Nustar => (f.column("PI")?.map(|c| c.0), 40.0, 1600.0, "1.6 keV + 40 eV × PI (NuSTAR)"),
        _ => (f.column("PI")?.map(|c| c.0), 1.0, 0.0, "PI (eV)"),
    };
    let Some(energy) = energy else {
        return Err(missing_column(f, ev_name, "PI", "event energies (PI in eV, or ENERGY)"));
    };
    let ccd = ["CCDNR", "CCD_ID", "TM_NR", "DET_ID"]
        .iter()
        .find_map(|n| f.column(n).ok().flatten().map(|c| c.0));
    let is_xmm = h.mission == Mission::Xmm;
    let epic = if is_xmm {
        Some([
            f.column_req("PATTERN", "EPIC event patterns")?.0,
            f.column_req("FLAG", "EPIC event flags")?.0,
            f.column_req("RAWX", "CCD raw column")?.0,
            f.column_req("RAWY", "CCD raw row")?.0,
        ])
    } else {
        None
    };
    if is_xmm && ccd.is_none() {
        return Err(missing_column(f, ev_name, "CCDNR", "the CCD of each event"));
    }
    let cols = EventColumns {
        time,
        x,
        y,
        energy,
        energy_scale,
        energy_offset,
        energy_source,
        ccd,
        epic,
    };
    Ok((cols, x_n, y_n))
}

/// The FLAG mask of the file's own `XMMEA_EP`/`XMMEA_EM` card, or the documented fallback.
fn epic_flag_mask(f: &mut Fits, cam: EpicCamera) -> Result<u32, IoError> {
    let (key, fallback) = if cam == EpicCamera::Pn {
        ("XMMEA_EP", screening::XMMEA_EP_FALLBACK)
    } else {
        ("XMMEA_EM", screening::XMMEA_EM_FALLBACK)
    };
    match f.string(key)?.and_then(|c| screening::parse_xmmea(&c)) {
        Some(m) => Ok(m),
        None => {
            tracing::warn!(
                "{}: no parsable {key} card: FLAG mask falls back to {fallback:#x}",
                f.path.display()
            );
            Ok(fallback)
        }
    }
}

/// EPIC GTIs: `STDGTInn` per CCD, intersected with the flare GTI the data-subspace keywords
/// attach to that CCD.
fn epic_gtis(
    f: &mut Fits,
    names: &[String],
    cam: EpicCamera,
) -> Result<(BTreeMap<u8, Gti>, String), IoError> {
    let path = f.path.clone();
    let dss = dss_gti_refs(f)?;
    let source = if dss.is_empty() {
        "STDGTInn per CCD"
    } else {
        "STDGTInn ∩ data-subspace (DSREF) GTI per CCD"
    };
    let mut gti = BTreeMap::new();
    for ccd in 1..=cam.n_ccd() {
        let name = format!("STDGTI{ccd:02}");
        if !names.iter().any(|n| n == &name) {
            continue;
        }
        f.select(&name, "a per-CCD GTI")?;
        let mut g = read_gti_table(f)?;
        if let Some(r) = dss.get(&ccd) {
            if !names.iter().any(|n| n == r) {
                return Err(invalid(&path, format!("the EVENTS data subspace of CCD {ccd} refers to GTI extension {r}, which is not in the file")));
            }
            f.select(r, "the flare-filtered GTI named by DSREF")?;
            g = g.intersect(&read_gti_table(f)?);
        }
        gti.insert(ccd, g);
    }
    if gti.is_empty() {
        return Err(invalid(
            &path,
            format!(
                "no STDGTInn extension: an EPIC event list has one GTI per CCD (HDUs: {})",
                names.join(", ")
            ),
        ));
    }
    if gti.values().all(|g| g.is_empty()) {
        return Err(invalid(&path, "every GTI is empty: the exposure has no good time"));
    }
    Ok((gti, source.into()))
}

/// Other missions: the `GTI`/`STDGTI` extension, or [TSTART, TSTOP], or (after the events are
/// read) their span.
fn other_gtis(
    f: &mut Fits,
    names: &[String],
    h: &ExposureHeader,
) -> Result<(BTreeMap<u8, Gti>, String), IoError> {
    let mut gti = BTreeMap::new();
    let gname = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case("GTI") || n.to_ascii_uppercase().starts_with("STDGTI"));
    let source = match gname {
        Some(g) => {
            let g = g.clone();
            f.select(&g, "a GTI table")?;
            gti.insert(0, read_gti_table(f)?);
            format!("{g} extension")
        }
        None => match (h.tstart, h.tstop) {
            (Some(a), Some(b)) if b > a => {
                gti.insert(0, Gti::single(a, b));
                tracing::warn!("{}: no GTI extension: GTI = [TSTART, TSTOP]", f.path.display());
                "TSTART–TSTOP (no GTI extension)".into()
            }
            _ => {
                gti.insert(0, Gti::default());
                String::new()
            }
        },
    };
    Ok((gti, source))
}

/// Screened event columns and the count removed by each criterion.
#[derive(Default)]
struct Screened {
    time: Vec<f64>,
    x: Vec<f32>,
    y: Vec<f32>,
    energy: Vec<f32>,
    ccd: Vec<u8>,
    removed: [usize; 9],
}

/// One chunk of raw columns.
struct Chunk {
    t: Vec<f64>,
    x: Vec<f64>,
    y: Vec<f64>,
    e: Vec<f64>,
    ccd: Vec<i32>,
    epic: Option<(Vec<i32>, Vec<i64>, Vec<i32>, Vec<i32>)>,
}

fn read_chunk(f: &mut Fits, c: &EventColumns, start: usize, end: usize) -> Result<Chunk, IoError> {
    Ok(Chunk {
        t: f.read_range(&c.time, start, end)?,
        x: f.read_range(&c.x, start, end)?,
        y: f.read_range(&c.y, start, end)?,
        e: f.read_range(&c.energy, start, end)?,
        ccd: match &c.ccd {
            Some(n) => f.read_range(n, start, end)?,
            None => vec![0; end - start],
        },
        epic: match &c.epic {
            Some([p, fl, rx, ry]) => Some((
                f.read_range(p, start, end)?,
                f.read_range(fl, start, end)?,
                f.read_range(rx, start, end)?,
                f.read_range(ry, start, end)?,
            )),
            None => None,
        },
    })
}

/// Read the events in chunks, screened on the fly.
fn read_events(
    f: &mut Fits,
    c: &EventColumns,
    nrows: usize,
    screen: Option<&EpicScreen>,
) -> Result<Screened, IoError> {
    let mut out = Screened::default();
    let mut start = 0;
    while start < nrows {
        let end = (start + CHUNK).min(nrows);
        let k = read_chunk(f, c, start, end)?;
        for i in 0..k.t.len() {
            if !k.t[i].is_finite() {
                return Err(invalid(
                    &f.path,
                    format!("TIME of row {} is {} (expected a finite time in s)", start + i + 1, k.t[i]),
                ));
            }
            let ev = k.e[i] * c.energy_scale + c.energy_offset;
            if let (Some(s), Some((pat, flg, rx, ry))) = (screen, &k.epic) {
                let e = EpicEvent {
                    time: k.t[i],
                    energy_ev: ev,
                    pattern: pat[i],
                    flag: flg[i] as u32,
                    ccd: k.ccd[i],
                    rawx: rx[i],
                    rawy: ry[i],
                };
                if let Some(crit) = s.reject(&e) {
                    out.removed[crit] += 1;
                    continue;
                }
            }
            if !(k.x[i].is_finite() && k.y[i].is_finite()) {
                out.removed[screening::NAN_COORDINATES] += 1;
                continue;
            }
            out.time.push(k.t[i]);
            out.x.push(k.x[i] as f32);
            out.y.push(k.y[i] as f32);
            out.energy.push(ev as f32);
            out.ccd.push(k.ccd[i].clamp(0, 255) as u8);
        }
        start = end;
    }
    Ok(out)
}

/// Read and screen one event list.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Exposure, IoError> {
    let (mut f, names, ev_name) = open_events(path)?;
    let header = read_header(&mut f)?;
    check_mode(path, &header)?;
    let (nrows, _) = f.table_info()?;
    if nrows == 0 {
        return Err(invalid(path, "the EVENTS table has no rows (zero events)"));
    }
    let (cols, x_n, y_n) = find_columns(&mut f, &header, &ev_name)?;
    let wcs = read_wcs(&mut f, x_n, y_n)?;
    let cam = header.camera;
    let flag_mask = match cam {
        Some(c) => epic_flag_mask(&mut f, c)?,
        None => 0,
    };
    let (mut gti, mut gti_source) = match cam {
        Some(c) => epic_gtis(&mut f, &names, c)?,
        None => other_gtis(&mut f, &names, &header)?,
    };
    f.select(&ev_name, "a photon event list")?;
    let screen = cam.map(|c| {
        if opts.screen.hot_pixels && header.revolution.is_none() {
            tracing::warn!("{}: no REVOLUT: hot pixels are not screened", path.display());
        }
        EpicScreen::new(&opts.screen, c, header.revolution, header.submode.as_deref(), flag_mask, &gti)
    });
    let s = read_events(&mut f, &cols, nrows, screen.as_ref())?;
    drop(screen);
    let is_xmm = cam.is_some();
    let screening = ScreenReport {
        n_read: nrows,
        removed: screening::EPIC_CRITERIA
            .iter()
            .zip(s.removed)
            .filter(|(n, _)| is_xmm || **n == "NaN coordinates")
            .map(|(n, r)| (n.to_string(), r))
            .collect(),
        n_kept: s.time.len(),
    };
    // lists without GTI information: the span of the events
    if gti.get(&0).map(|g| g.is_empty()).unwrap_or(false) {
        if let (Some(a), Some(b)) = (s.time.iter().copied().reduce(f64::min), s.time.iter().copied().reduce(f64::max)) {
            gti.insert(0, Gti::single(a, b));
            tracing::warn!("{}: no GTI extension and no TSTART/TSTOP: GTI = span of the events", path.display());
            gti_source = "span of the events (no GTI extension, no TSTART/TSTOP)".into();
        }
    }
    tracing::debug!(path = %path.display(), read = nrows, kept = s.time.len(), "event list read");
    Ok(Exposure::new(ExposureParts {
        path: path.into(),
        header,
        wcs,
        time: s.time,
        x: s.x,
        y: s.y,
        energy: s.energy,
        ccd: s.ccd,
        gti,
        screening,
        energy_source: cols.energy_source.into(),
        gti_source,
    })?)
}
