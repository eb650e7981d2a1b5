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
//! `:GTI…`) attach to that CCD when a list was filtered by time (SAS-cleaned lists); a CCD with
//! events but no `STDGTInn` is an error (its events would all fall outside the good time). For
//! other missions, the `GTI`/`STDGTI` extension (the union of them when there are several, e.g.
//! one per Chandra CCD), or [TSTART, TSTOP] when the file has none — never when one exists but
//! cannot be read. A GTI row far outside [TSTART, TSTOP] is a damaged column.
//!
//! Dead time: the live-time fraction of each CCD, `LIVETInn / ONTIMEnn` of the EVENTS header
//! (SAS writes both for the GTI of every CCD; the XMM lists in `testdata/real` have them for
//! all 7 MOS CCDs, 0.975–0.985), else the camera-wide `DEADC`, else none
//! ([`ExposureHeader::live_fraction`]).
//!
//! Damage is refused, never read as data: [`Fits::open`] checks every HDU and the file size
//! (truncation, a table larger than the file); every column read must hold one number per
//! row (a `2J` X is an error); the last row of the EVENTS and GTI tables must not be FITS fill
//! (an NAXIS2 larger than the rows written).

use std::collections::BTreeMap;
use std::path::Path;

use exod_core::exposure::{Exposure, ExposureHeader, ExposureParts, ReferenceFrames};
use exod_core::gti::Gti;
use exod_core::instrument::{
    Description, EnergyColumn, EpicCamera, Instrument, LiveTime, Mission, Screening,
};
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
    let desc = described(mission, &instrument);
    let camera = match (mission, EpicCamera::from_instrume(&instrument)) {
        (Mission::Xmm, Some(c)) => Some(c),
        (Mission::Xmm, None) => {
            let other = &instrument;
            return Err(IoError::Unsupported {
                path: f.path.clone(),
                reason: format!(
                "INSTRUME = {other:?}: only EPIC imaging lists (EPN, EMOS1, EMOS2) are supported"
            ),
            });
        }
        _ => None,
    };
    let num = |f: &mut Fits, k: &str| f.num(k, "a number");
    let mjdref_single = num(f, "MJDREF")?;
    let mjdref = match mjdref_single {
        Some(m) => Some(m),
        None => match (num(f, "MJDREFI")?, num(f, "MJDREFF")?) {
            (Some(i), ff) => Some(i + ff.unwrap_or(0.0)),
            _ => None,
        },
    };
    let frames = ReferenceFrames {
        timesys: get_s(f, "TIMESYS")?,
        timeref: get_s(f, "TIMEREF")?,
        tassign: get_s(f, "TASSIGN")?,
        radesys: get_s(f, "RADESYS")?.or(get_s(f, "RADECSYS")?),
        equinox: num(f, "EQUINOX")?,
        mjdref_split: mjdref_single.is_none() && mjdref.is_some(),
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
        timezero: num(f, "TIMEZERO")?,
        filter: get_s(f, "FILTER")?,
        ra_pnt,
        dec_pnt,
        pa_pnt: num(f, "PA_PNT")?,
        frames,
        live_fraction: live_fractions(f, camera, desc)?,
    })
}

/// The instrument description of a list, when exod has one.
fn described(mission: Mission, instrume: &str) -> Option<&'static Description> {
    Instrument::describe(mission, instrume)
        .ok()
        .map(|i| i.description())
}

/// Live-time fractions per CCD from the EVENTS header (see
/// [`ExposureHeader::live_fraction`]): `LIVETInn / ONTIMEnn` for the CCDs that state both with
/// ONTIME > 0 and a ratio in (0, 1] (1e-6 tolerance), else the camera-wide `DEADC` in (0, 1]
/// under key 0, else nothing (live fraction 1). Implausible values are ignored. Instruments
/// whose description names a keyword ([`LiveTime::Keyword`]: Chandra `DTCOR`, NuSTAR `DEADC`)
/// take it, else `LIVETIME / ONTIME`, under key 0.
fn live_fractions(
    f: &mut Fits,
    camera: Option<EpicCamera>,
    desc: Option<&Description>,
) -> Result<BTreeMap<u8, f64>, IoError> {
    let mut out = BTreeMap::new();
    if let Some(LiveTime::Keyword(k)) = desc.map(|d| d.live_time) {
        let plausible = |v: f64| v > 0.0 && v <= 1.0 + 1e-6;
        let key = f
            .num(k, "a dead-time correction factor")?
            .filter(|v| plausible(*v));
        let ratio = match (
            f.num("LIVETIME", "a live time (s)")?,
            f.num("ONTIME", "an on time (s)")?,
        ) {
            (Some(l), Some(o)) if o > 0.0 => Some(l / o).filter(|v| plausible(*v)),
            _ => None,
        };
        if let Some(v) = key.or(ratio) {
            out.insert(0, v.min(1.0));
        }
        return Ok(out);
    }
    let n_ccd = camera.map_or(12, |c| c.n_ccd());
    for ccd in 1..=n_ccd {
        let live = f.num(&format!("LIVETI{ccd:02}"), "a live time (s)")?;
        let on = f.num(&format!("ONTIME{ccd:02}"), "an on time (s)")?;
        if let (Some(l), Some(o)) = (live, on) {
            let r = l / o;
            if o > 0.0 && r > 0.0 && r <= 1.0 + 1e-6 {
                out.insert(ccd, r.min(1.0));
            }
        }
    }
    if out.is_empty() {
        if let Some(d) = f.num("DEADC", "a dead-time correction factor")? {
            if d > 0.0 && d <= 1.0 {
                out.insert(0, d);
            }
        }
    }
    Ok(out)
}

/// Reject unsupported EPIC modes with the reason.
fn check_mode(path: &Path, h: &ExposureHeader) -> Result<(), IoError> {
    let unsupported = |reason: String| IoError::Unsupported {
        path: path.into(),
        reason,
    };
    if let (Some(d), Some(dm)) = (described(h.mission, &h.instrument), &h.datamode) {
        let dm_u = dm.to_ascii_uppercase();
        let imaging = d.imaging_modes.iter().any(|m| dm_u.starts_with(m));
        if h.mission != Mission::Xmm && !d.imaging_modes.is_empty() && !imaging {
            return Err(unsupported(format!(
                "DATAMODE = {dm:?}: only imaging modes ({}) are searched for {} {} (continuous-clocking and windowed-timing modes have no 2-D sky position)",
                d.imaging_modes.join(", "),
                d.mission.name(),
                h.instrument
            )));
        }
    }
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
fn read_wcs(f: &mut Fits, xcol: usize, ycol: usize) -> Result<Result<SkyWcs, WcsError>, IoError> {
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

/// The observation's [TSTART, TSTOP], when both are known and TSTOP > TSTART.
fn obs_span(h: &ExposureHeader) -> Option<(f64, f64)> {
    match (h.tstart, h.tstop) {
        (Some(a), Some(b)) if b > a => Some((a, b)),
        _ => None,
    }
}

pub(crate) mod gti;

pub(crate) use gti::epic_gtis;
use gti::other_gtis;

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
    /// Grade screening of the other missions: the grade column (when the list has it), the
    /// grades kept and the energy range kept (eV).
    grade: Option<(Option<String>, &'static [i32], (f64, f64))>,
    /// Valid sky X and Y: the TNULL value (integer columns) and the TLMIN–TLMAX range.
    sky: [SkyRange; 2],
}

/// The valid values of a sky coordinate column.
#[derive(Debug, Clone, Copy)]
struct SkyRange {
    tnull: Option<f64>,
    lo: f64,
    hi: f64,
}

impl SkyRange {
    fn of_column(f: &mut Fits, n: usize) -> Result<SkyRange, IoError> {
        Ok(SkyRange {
            tnull: f.num(&format!("TNULL{n}"), "the null value of an integer column")?,
            lo: f
                .num(&format!("TLMIN{n}"), "the legal minimum of the column")?
                .unwrap_or(f64::NEG_INFINITY),
            hi: f
                .num(&format!("TLMAX{n}"), "the legal maximum of the column")?
                .unwrap_or(f64::INFINITY),
        })
    }

    #[inline]
    fn valid(&self, v: f64) -> bool {
        v.is_finite() && Some(v) != self.tnull && v >= self.lo && v <= self.hi
    }
}

/// Open the file (which checks every HDU and the file size) and select its EVENTS extension;
/// returns the HDU names.
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

/// The energy column of a list and its conversion to eV: the description's columns in order
/// (Chandra `energy` in eV, else PI × 14.6 eV; NuSTAR 1.6 keV + 40 eV × PI; Swift PI × 10 eV;
/// EPIC and eROSITA PI in eV), or PI in eV for a mission exod does not describe.
fn energy_column(
    f: &mut Fits,
    desc: Option<&Description>,
) -> Result<Option<(String, EnergyColumn)>, IoError> {
    const GENERIC: [EnergyColumn; 1] = [EnergyColumn::PI_EV];
    let convs: &[EnergyColumn] = desc.map_or(&GENERIC, |d| d.energy);
    for conv in convs {
        for c in conv.columns {
            if let Some((name, _)) = f.column(c)? {
                return Ok(Some((name, *conv)));
            }
        }
    }
    Ok(None)
}

/// Find the columns: TIME, X, Y, the energy ([`energy_column`]), the chip column of the
/// instrument, EPIC's PATTERN/FLAG/RAWX/RAWY, the grade column of the others.
fn find_columns(
    f: &mut Fits,
    h: &ExposureHeader,
    ev_name: &str,
) -> Result<(EventColumns, usize, usize), IoError> {
    let (time, _) = f.column_req("TIME", "photon arrival times (s)")?;
    let (x, x_n) = f.column_req("X", "sky X pixel")?;
    let (y, y_n) = f.column_req("Y", "sky Y pixel")?;
    let desc = described(h.mission, &h.instrument);
    let Some((energy, conv)) = energy_column(f, desc)? else {
        return Err(missing_column(
            f,
            ev_name,
            "PI",
            "event energies (PI in eV, or ENERGY)",
        ));
    };
    let mut ccd = None;
    let chip_names: &[&str] = match desc {
        Some(d) => d.chip_column.as_slice(),
        None => &["CCDNR", "CCD_ID", "TM_NR", "DET_ID"],
    };
    for n in chip_names {
        if let Some((c, _)) = f.column(n)? {
            ccd = Some(c);
            break;
        }
    }
    let grade = match desc.map(|d| d.screening) {
        Some(Screening::Grades {
            column,
            allowed,
            energy_ev,
        }) => Some((f.column(column)?.map(|c| c.0), allowed, energy_ev)),
        _ => None,
    };
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
    // one number per event in every column read (a `2J` X would be read as a scalar)
    let mut scalars: Vec<(&str, &str)> = vec![
        (&time, "photon arrival times (s)"),
        (&x, "sky X pixel"),
        (&y, "sky Y pixel"),
        (&energy, "event energies"),
    ];
    if let Some(c) = &ccd {
        scalars.push((c, "the CCD of each event"));
    }
    if let Some((Some(g), _, _)) = &grade {
        scalars.push((g, "event grades"));
    }
    if let Some([p, fl, rx, ry]) = &epic {
        scalars.extend([
            (p.as_str(), "EPIC event patterns"),
            (fl.as_str(), "EPIC event flags"),
            (rx.as_str(), "CCD raw column"),
            (ry.as_str(), "CCD raw row"),
        ]);
    }
    for (c, what) in scalars {
        f.require_scalar_number(c, what)?;
    }
    let sky = [SkyRange::of_column(f, x_n)?, SkyRange::of_column(f, y_n)?];
    let cols = EventColumns {
        time,
        x,
        y,
        energy,
        energy_scale: conv.ev_per_unit,
        energy_offset: conv.offset_ev,
        energy_source: conv.what,
        ccd,
        epic,
        grade,
        sky,
    };
    Ok((cols, x_n, y_n))
}

/// The FLAG mask of the file's own `XMMEA_EP`/`XMMEA_EM` card, or the documented fallback.
fn epic_flag_mask(
    f: &mut Fits,
    cam: EpicCamera,
    warnings: &mut Vec<String>,
) -> Result<u32, IoError> {
    let (key, fallback) = if cam == EpicCamera::Pn {
        ("XMMEA_EP", screening::XMMEA_EP_FALLBACK)
    } else {
        ("XMMEA_EM", screening::XMMEA_EM_FALLBACK)
    };
    match f.string(key)?.and_then(|c| screening::parse_xmmea(&c)) {
        Some(m) => Ok(m),
        None => {
            let path = f.path.clone();
            warn(
                &path,
                warnings,
                format!("no parsable {key} card: FLAG mask falls back to {fallback:#x}"),
            );
            Ok(fallback)
        }
    }
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
    /// EPIC events whose RAWX/RAWY/CCDNR do not exist on the camera named by INSTRUME.
    off_camera: usize,
    /// Rows read per CCDNR value 0..=255 (EPIC), before any screening.
    rows_per_ccd: Vec<usize>,
    max_raw: (i32, i32, i32),
    /// Other missions: events removed by grade, by energy range.
    removed_grade: [usize; 2],
}

/// One chunk of raw columns.
struct Chunk {
    t: Vec<f64>,
    x: Vec<f64>,
    y: Vec<f64>,
    e: Vec<f64>,
    ccd: Vec<i32>,
    epic: Option<(Vec<i32>, Vec<i64>, Vec<i32>, Vec<i32>)>,
    grade: Option<Vec<i32>>,
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
        grade: match &c.grade {
            Some((Some(g), _, _)) => Some(f.read_range(g, start, end)?),
            _ => None,
        },
    })
}

/// Grade and energy screening of the other missions: the index into
/// [`Screened::removed_grade`] of the criterion that removes the event, if any.
#[inline]
fn grade_reject(c: &EventColumns, k: &Chunk, i: usize, ev: f64) -> Option<usize> {
    let (_, allowed, (lo, hi)) = c.grade.as_ref()?;
    if let Some(g) = &k.grade {
        if !allowed.contains(&g[i]) {
            return Some(0);
        }
    }
    (!(ev >= *lo && ev <= *hi)).then_some(1)
}

/// Read the events in chunks, screened on the fly.
fn read_events(
    f: &mut Fits,
    c: &EventColumns,
    nrows: usize,
    screen: Option<&EpicScreen>,
) -> Result<Screened, IoError> {
    let mut out = Screened {
        rows_per_ccd: vec![0; 256],
        ..Screened::default()
    };
    let mut start = 0;
    while start < nrows {
        let end = (start + CHUNK).min(nrows);
        let k = read_chunk(f, c, start, end)?;
        for i in 0..k.t.len() {
            if !k.t[i].is_finite() {
                return Err(invalid(
                    &f.path,
                    format!(
                        "TIME of row {} is {} (expected a finite time in s)",
                        start + i + 1,
                        k.t[i]
                    ),
                ));
            }
            let ev = k.e[i] * c.energy_scale + c.energy_offset;
            if let (Some(s), Some((pat, flg, rx, ry))) = (screen, &k.epic) {
                out.rows_per_ccd[k.ccd[i].clamp(0, 255) as usize] += 1;
                let (w, h) = s.camera().raw_max();
                if rx[i] > w || ry[i] > h || k.ccd[i] > s.camera().n_ccd() as i32 {
                    out.off_camera += 1;
                    let m = &mut out.max_raw;
                    *m = (m.0.max(rx[i]), m.1.max(ry[i]), m.2.max(k.ccd[i]));
                }
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
            if let Some(crit) = grade_reject(c, &k, i, ev) {
                out.removed_grade[crit] += 1;
                continue;
            }
            if !(c.sky[0].valid(k.x[i]) && c.sky[1].valid(k.y[i])) {
                out.removed[screening::UNDEFINED_SKY] += 1;
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

/// Record a warning about the file and log it.
fn warn(path: &Path, warnings: &mut Vec<String>, msg: String) {
    tracing::warn!("{}: {msg}", path.display());
    warnings.push(msg);
}

/// Warnings about what screening cannot do on this file.
fn screening_warnings(
    f: &mut Fits,
    h: &ExposureHeader,
    opts: &ReadOptions,
    warnings: &mut Vec<String>,
) -> Result<(), IoError> {
    let path = f.path.clone();
    match (h.mission, h.camera) {
        (Mission::Xmm, Some(_)) => {
            if opts.screen.hot_pixels && h.revolution.is_none() {
                let why = match f.key("REVOLUT")? {
                    Some(v) => format!("REVOLUT = {v} is not a number"),
                    None => "no REVOLUT keyword".into(),
                };
                warn(&path, warnings, format!("{why}: the 4XMM hot pixels (valid by revolution) are not screened"));
            }
        }
        (Mission::Other, _) => warn(
            &path,
            warnings,
            format!("TELESCOP = {:?} is not a mission exod knows: no event screening, energies taken as PI in eV", h.telescope),
        ),
        (m, _) if described(m, &h.instrument).is_none() => warn(
            &path,
            warnings,
            format!("no event screening for {} {} lists (no instrument description): only undefined sky positions are removed", m.name(), h.instrument),
        ),
        _ => {}
    }
    Ok(())
}

/// An EPIC list whose RAW coordinates do not fit the camera INSTRUME names is refused (MOS
/// data labelled EPN would get pn cuts).
fn check_camera(path: &Path, cam: Option<EpicCamera>, s: &Screened) -> Result<(), IoError> {
    let Some(cam) = cam else { return Ok(()) };
    if s.off_camera == 0 {
        return Ok(());
    }
    let (w, h) = cam.raw_max();
    Err(invalid(
        path,
        format!(
            "INSTRUME = {} but {} events lie outside its CCDs (RAWX ≤ {w}, RAWY ≤ {h}, CCDNR ≤ {}; largest seen RAWX {}, RAWY {}, CCDNR {}): the list is not from this camera",
            cam.instrume(), s.off_camera, cam.n_ccd(), s.max_raw.0, s.max_raw.1, s.max_raw.2
        ),
    ))
}

/// Every EPIC CCD with events must have its `STDGTInn`: without it the events would all be
/// dropped as outside the good time, without a word.
fn check_ccd_gtis(
    path: &Path,
    cam: Option<EpicCamera>,
    s: &Screened,
    gti: &BTreeMap<u8, Gti>,
    names: &[String],
) -> Result<(), IoError> {
    let Some(cam) = cam else { return Ok(()) };
    let missing: Vec<(u8, usize)> = (1..=cam.n_ccd())
        .filter(|c| !gti.contains_key(c))
        .map(|c| (c, s.rows_per_ccd[c as usize]))
        .filter(|&(_, n)| n > 0)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing
        .iter()
        .map(|(c, n)| {
            format!(
                "CCD {c} ({} events, no STDGTI{c:02})",
                crate::fits::thousands(*n as u64)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    Err(invalid(
        path,
        format!(
            "{list}: every EPIC CCD with events needs its STDGTInn extension, or its events would be lost as outside the good time (the file's {} HDUs end with {}: is it cut short, or an EXTNAME damaged?)",
            names.len(),
            names.last().map(String::as_str).unwrap_or("?")
        ),
    ))
}

/// The GTIs of the list, by its instrument's layout.
fn read_gtis(
    f: &mut Fits,
    names: &[String],
    h: &ExposureHeader,
    warnings: &mut Vec<String>,
) -> Result<(BTreeMap<u8, Gti>, String), IoError> {
    match (h.camera, described(h.mission, &h.instrument)) {
        (Some(c), _) => epic_gtis(f, names, c, obs_span(h), warnings),
        (None, Some(d)) => gti::mission_gtis(f, h, d.gti, warnings),
        (None, None) => other_gtis(f, h, warnings),
    }
}

/// What screening removed: EPIC's criteria, the grade and energy cuts of the other described
/// instruments, and undefined sky positions for every list.
fn screen_report(nrows: usize, h: &ExposureHeader, s: &Screened) -> ScreenReport {
    let sky = screening::EPIC_CRITERIA[screening::UNDEFINED_SKY];
    let removed = if h.camera.is_some() {
        screening::EPIC_CRITERIA
            .iter()
            .zip(s.removed)
            .map(|(n, r)| (n.to_string(), r))
            .collect()
    } else {
        let mut v = Vec::new();
        if described(h.mission, &h.instrument).is_some() {
            v.push(("grade".to_string(), s.removed_grade[0]));
            v.push(("energy range".to_string(), s.removed_grade[1]));
        }
        v.push((sky.to_string(), s.removed[screening::UNDEFINED_SKY]));
        v
    };
    ScreenReport {
        n_read: nrows,
        removed,
        n_kept: s.time.len(),
    }
}

/// A list without GTI information (no extension, no TSTART/TSTOP) gets the span of its events;
/// the GTI of a described instrument's whole exposure is given to each of its chips.
fn complete_gtis(
    path: &Path,
    h: &ExposureHeader,
    s: &Screened,
    gti: &mut BTreeMap<u8, Gti>,
    gti_source: &mut String,
    warnings: &mut Vec<String>,
) -> Result<(), IoError> {
    if gti.get(&0).map(|g| g.is_empty()).unwrap_or(false) {
        if let (Some(a), Some(b)) = (
            s.time.iter().copied().reduce(f64::min),
            s.time.iter().copied().reduce(f64::max),
        ) {
            gti.insert(0, Gti::single(a, b));
            warn(
                path,
                warnings,
                "no GTI extension and no TSTART/TSTOP: GTI = span of the events".into(),
            );
            *gti_source = "span of the events (no GTI extension, no TSTART/TSTOP)".into();
        }
    }
    if h.camera.is_none() && described(h.mission, &h.instrument).is_some() {
        let mut chips: Vec<u8> = s.ccd.clone();
        chips.sort_unstable();
        chips.dedup();
        gti::spread_to_chips(path, gti, &chips)?;
    }
    Ok(())
}

/// eROSITA survey (scanning) lists are refused: every source drifts through the field in a
/// ~40 s pass every 4 h, so its exposure varies within a frame and needs the attitude, which the
/// pointed-mode search does not model.
fn check_pointed(f: &mut Fits, path: &Path, h: &ExposureHeader) -> Result<(), IoError> {
    if h.mission != Mission::Erosita {
        return Ok(());
    }
    match f.string("OBS_MODE")? {
        Some(m) if m.trim().eq_ignore_ascii_case("SURVEY") => Err(IoError::Unsupported {
            path: path.into(),
            reason: "OBS_MODE = SURVEY: eROSITA scanning data need an exposure that follows each source through the ~40 s scans (attitude file, per-frame exposure map); only pointed observations are searched".into(),
        }),
        _ => Ok(()),
    }
}

/// Read and screen one event list.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Exposure, IoError> {
    let (mut f, names, ev_name) = open_events(path)?;
    let header = read_header(&mut f)?;
    check_mode(path, &header)?;
    check_pointed(&mut f, path, &header)?;
    let (nrows, _) = f.table_info()?;
    if nrows == 0 {
        return Err(invalid(path, "the EVENTS table has no rows (zero events)"));
    }
    let mut warnings = Vec::new();
    let (mut cols, x_n, y_n) = find_columns(&mut f, &header, &ev_name)?;
    if !opts.screen.grades {
        cols.grade = None;
    }
    let wcs = read_wcs(&mut f, x_n, y_n)?;
    let cam = header.camera;
    screening_warnings(&mut f, &header, opts, &mut warnings)?;
    let flag_mask = match cam {
        Some(c) => epic_flag_mask(&mut f, c, &mut warnings)?,
        None => 0,
    };
    let (mut gti, mut gti_source) = read_gtis(&mut f, &names, &header, &mut warnings)?;
    f.select(&ev_name, "a photon event list")?;
    f.check_last_row_not_fill()?;
    let screen = cam.map(|c| {
        EpicScreen::new(
            &opts.screen,
            c,
            header.revolution,
            header.submode.as_deref(),
            flag_mask,
            &gti,
        )
    });
    let s = read_events(&mut f, &cols, nrows, screen.as_ref())?;
    drop(screen);
    check_camera(path, cam, &s)?;
    check_ccd_gtis(path, cam, &s, &gti, &names)?;
    let screening = screen_report(nrows, &header, &s);
    complete_gtis(path, &header, &s, &mut gti, &mut gti_source, &mut warnings)?;
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
        warnings,
    })?)
}
