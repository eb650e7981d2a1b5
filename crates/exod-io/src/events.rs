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
        live_fraction: live_fractions(f, camera)?,
    })
}

/// Live-time fractions per CCD from the EVENTS header (see
/// [`ExposureHeader::live_fraction`]): `LIVETInn / ONTIMEnn` for the CCDs that state both with
/// ONTIME > 0 and a ratio in (0, 1] (1e-6 tolerance), else the camera-wide `DEADC` in (0, 1]
/// under key 0, else nothing (live fraction 1). Implausible values are ignored.
fn live_fractions(f: &mut Fits, camera: Option<EpicCamera>) -> Result<BTreeMap<u8, f64>, IoError> {
    let mut out = BTreeMap::new();
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

/// Read a GTI table (START/STOP) of the current HDU. `span` is the observation's
/// [TSTART, TSTOP]: an interval far outside it (by more than the span itself, at least a day)
/// is not a good time of this observation but a damaged column or header.
fn read_gti_table(f: &mut Fits, span: Option<(f64, f64)>) -> Result<Gti, IoError> {
    let (start_c, _) = f.column_req("START", "GTI start times")?;
    let (stop_c, _) = f.column_req("STOP", "GTI stop times")?;
    f.require_scalar_number(&start_c, "GTI start times in s")?;
    f.require_scalar_number(&stop_c, "GTI stop times in s")?;
    f.check_last_row_not_fill()?;
    let start: Vec<f64> = f.read_all(&start_c)?;
    let stop: Vec<f64> = f.read_all(&stop_c)?;
    if let Some((t0, t1)) = span {
        let margin = (t1 - t0).max(86_400.0);
        let bad = start.iter().zip(&stop).position(|(&a, &b)| {
            a.is_finite() && b.is_finite() && (a < t0 - margin || b > t1 + margin)
        });
        if let Some(i) = bad {
            return Err(invalid(
                &f.path,
                format!(
                    "GTI extension {} row {}: [{}, {}] lies far outside the observation (TSTART–TSTOP = {t0}–{t1} s): a damaged column or header?",
                    f.hdu_name(),
                    i + 1,
                    start[i],
                    stop[i]
                ),
            ));
        }
    }
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

/// One component of the EVENTS header's data subspace (the OGIP DSS convention: components are
/// alternatives, their union is the subspace; a component's keywords default to component 1's).
#[derive(Debug, Clone, PartialEq)]
struct DssComponent {
    /// CCDs the component selects (None: no CCDNR selection, every CCD).
    ccds: Option<Vec<u8>>,
    /// The GTI extension its TIME selection refers to (None: no TIME selection).
    gti: Option<String>,
}

/// Parse a CCDNR data-subspace value: `3`, `1:7`, `:12`, `3:` or a comma list of those, within
/// 1..=`n_ccd`.
fn parse_ccd_selection(v: &str, n_ccd: u8) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (lo, hi) = match part.split_once(':') {
            Some((a, b)) => (
                if a.trim().is_empty() {
                    1
                } else {
                    a.trim().parse::<u8>().ok()?
                },
                if b.trim().is_empty() {
                    n_ccd
                } else {
                    b.trim().parse::<u8>().ok()?
                },
            ),
            None => {
                let c = part.parse::<u8>().ok()?;
                (c, c)
            }
        };
        out.extend(lo.max(1)..=hi.min(n_ccd));
    }
    (!out.is_empty()).then_some(out)
}

/// The data-subspace components of the EVENTS header, as far as CCDNR and TIME go.
fn dss_components(
    f: &mut Fits,
    n_ccd: u8,
    warnings: &mut Vec<String>,
) -> Result<Vec<DssComponent>, IoError> {
    let mut time_n = None;
    let mut ccd_n = None;
    for n in 1..=20 {
        match f.string(&format!("DSTYP{n}"))? {
            Some(s) if s.trim() == "TIME" => time_n = Some(n),
            Some(s) if s.trim() == "CCDNR" => ccd_n = Some(n),
            _ => {}
        }
    }
    let mut out: Vec<DssComponent> = Vec::new();
    for k in 1..=999 {
        let pre = if k == 1 { String::new() } else { k.to_string() };
        let gti = match time_n {
            Some(tn) => f.string(&format!("{pre}DSREF{tn}"))?,
            None => None,
        };
        let ccd_val = match ccd_n {
            Some(cn) => f.string(&format!("{pre}DSVAL{cn}"))?,
            None => None,
        };
        if k > 1 && gti.is_none() && ccd_val.is_none() {
            break;
        }
        let first = out.first().cloned();
        let ccds = match ccd_val {
            Some(v) => match parse_ccd_selection(&v, n_ccd) {
                Some(c) => Some(c),
                None => {
                    warnings.push(format!("data-subspace CCDNR value {v:?} of component {k} is not a CCD selection (expected N, A:B or a comma list): taken as every CCD"));
                    None
                }
            },
            None => first.as_ref().and_then(|c| c.ccds.clone()),
        };
        let gti = gti
            .map(|r| r.trim().trim_start_matches(':').to_string())
            .or_else(|| first.and_then(|c| c.gti));
        out.push(DssComponent { ccds, gti });
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
        Mission::Nustar => (
            f.column("PI")?.map(|c| c.0),
            40.0,
            1600.0,
            "1.6 keV + 40 eV × PI (NuSTAR)",
        ),
        Mission::Swift => (
            f.column("PI")?.map(|c| c.0),
            10.0,
            0.0,
            "PI × 10 eV (Swift-XRT channel width)",
        ),
        _ => (f.column("PI")?.map(|c| c.0), 1.0, 0.0, "PI (eV)"),
    };
    let Some(energy) = energy else {
        return Err(missing_column(
            f,
            ev_name,
            "PI",
            "event energies (PI in eV, or ENERGY)",
        ));
    };
    let mut ccd = None;
    for n in ["CCDNR", "CCD_ID", "TM_NR", "DET_ID"] {
        if let Some((c, _)) = f.column(n)? {
            ccd = Some(c);
            break;
        }
    }
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
        energy_scale,
        energy_offset,
        energy_source,
        ccd,
        epic,
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

/// EPIC GTIs: `STDGTInn` per CCD, intersected with the flare GTI the data-subspace keywords
/// attach to that CCD.
pub(crate) fn epic_gtis(
    f: &mut Fits,
    names: &[String],
    cam: EpicCamera,
    span: Option<(f64, f64)>,
    warnings: &mut Vec<String>,
) -> Result<(BTreeMap<u8, Gti>, String), IoError> {
    let path = f.path.clone();
    let dss = dss_components(f, cam.n_ccd(), warnings)?;
    let timed = dss.iter().any(|c| c.gti.is_some());
    let source = if timed {
        "STDGTInn ∩ data-subspace (DSREF) GTI per CCD"
    } else {
        "STDGTInn per CCD"
    };
    let mut gti = BTreeMap::new();
    for ccd in 1..=cam.n_ccd() {
        let name = format!("STDGTI{ccd:02}");
        if !names.iter().any(|n| n == &name) {
            continue;
        }
        f.select(&name, "a per-CCD GTI")?;
        let mut g = read_gti_table(f, span)?;
        if timed {
            if let Some(allowed) = dss_time(f, names, &dss, ccd, span, warnings)? {
                g = g.intersect(&allowed);
            }
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
        return Err(invalid(
            &path,
            "every GTI is empty: the exposure has no good time",
        ));
    }
    Ok((gti, source.into()))
}

/// The times the data subspace allows on `ccd`: the union of the GTIs of the components that
/// select it (None: no restriction).
fn dss_time(
    f: &mut Fits,
    names: &[String],
    dss: &[DssComponent],
    ccd: u8,
    span: Option<(f64, f64)>,
    warnings: &mut Vec<String>,
) -> Result<Option<Gti>, IoError> {
    let mine: Vec<&DssComponent> = dss
        .iter()
        .filter(|c| c.ccds.as_ref().map_or(true, |s| s.contains(&ccd)))
        .collect();
    if mine.is_empty() {
        warnings.push(format!("CCD {ccd} is in no data-subspace component: its STDGTI{ccd:02} is used without a flare GTI"));
        return Ok(None);
    }
    let mut allowed = Gti::default();
    for c in mine {
        let Some(r) = &c.gti else { return Ok(None) };
        if !names.iter().any(|n| n.eq_ignore_ascii_case(r)) {
            return Err(invalid(&f.path, format!(
                "the EVENTS data subspace of CCD {ccd} refers to GTI extension {r}, which is not in the file (its {} HDUs end with {}: is the file cut short?)",
                names.len(),
                names.last().map(String::as_str).unwrap_or("?")
            )));
        }
        f.select(r, "the flare-filtered GTI named by DSREF")?;
        allowed = allowed.union(&read_gti_table(f, span)?);
    }
    Ok(Some(allowed))
}

/// Other missions: the `GTI`/`STDGTI` extension, or [TSTART, TSTOP], or (after the events are
/// read) their span.
fn other_gtis(
    f: &mut Fits,
    h: &ExposureHeader,
    warnings: &mut Vec<String>,
) -> Result<(BTreeMap<u8, Gti>, String), IoError> {
    let mut gti = BTreeMap::new();
    let is_gti =
        |n: &str| n.eq_ignore_ascii_case("GTI") || n.to_ascii_uppercase().starts_with("STDGTI");
    let found: Vec<(usize, String)> = f
        .hdus()
        .iter()
        .filter(|e| is_gti(&e.name))
        .map(|e| (e.index, e.name.clone()))
        .collect();
    // a GTI extension that exists is read, or the read fails: never a fallback to TSTART–TSTOP
    let source = match found.as_slice() {
        [(i, g)] => {
            f.select_index(*i)?;
            gti.insert(0, read_gti_table(f, obs_span(h))?);
            format!("{g} extension")
        }
        [_, _, ..] => {
            // e.g. Chandra: one GTI extension per CCD (CCD_ID keyword); their union
            let mut all = Gti::default();
            for (i, _) in &found {
                f.select_index(*i)?;
                all = all.union(&read_gti_table(f, obs_span(h))?);
            }
            gti.insert(0, all);
            let list = found
                .iter()
                .map(|(i, g)| format!("{g} (HDU {i})"))
                .collect::<Vec<_>>()
                .join(", ");
            let path = f.path.clone();
            warn(
                &path,
                warnings,
                format!(
                    "{} GTI extensions ({list}): their union is used for every event",
                    found.len()
                ),
            );
            format!("union of the GTI extensions {list}")
        }
        [] => match (h.tstart, h.tstop) {
            (Some(a), Some(b)) if b > a => {
                gti.insert(0, Gti::single(a, b));
                let path = f.path.clone();
                warn(
                    &path,
                    warnings,
                    "no GTI extension: GTI = [TSTART, TSTOP]".into(),
                );
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
    /// EPIC events whose RAWX/RAWY/CCDNR do not exist on the camera named by INSTRUME.
    off_camera: usize,
    /// Rows read per CCDNR value 0..=255 (EPIC), before any screening.
    rows_per_ccd: Vec<usize>,
    max_raw: (i32, i32, i32),
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
        (m, _) => warn(
            &path,
            warnings,
            format!("no event screening for {} lists (grade/status cuts are the pipeline's): only undefined sky positions are removed", m.name()),
        ),
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

/// Read and screen one event list.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<Exposure, IoError> {
    let (mut f, names, ev_name) = open_events(path)?;
    let header = read_header(&mut f)?;
    check_mode(path, &header)?;
    let (nrows, _) = f.table_info()?;
    if nrows == 0 {
        return Err(invalid(path, "the EVENTS table has no rows (zero events)"));
    }
    let mut warnings = Vec::new();
    let (cols, x_n, y_n) = find_columns(&mut f, &header, &ev_name)?;
    let wcs = read_wcs(&mut f, x_n, y_n)?;
    let cam = header.camera;
    screening_warnings(&mut f, &header, opts, &mut warnings)?;
    let flag_mask = match cam {
        Some(c) => epic_flag_mask(&mut f, c, &mut warnings)?,
        None => 0,
    };
    let (mut gti, mut gti_source) = match cam {
        Some(c) => epic_gtis(&mut f, &names, c, obs_span(&header), &mut warnings)?,
        None => other_gtis(&mut f, &header, &mut warnings)?,
    };
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
    let is_xmm = cam.is_some();
    let screening = ScreenReport {
        n_read: nrows,
        removed: screening::EPIC_CRITERIA
            .iter()
            .zip(s.removed)
            .filter(|(n, _)| is_xmm || **n == screening::EPIC_CRITERIA[screening::UNDEFINED_SKY])
            .map(|(n, r)| (n.to_string(), r))
            .collect(),
        n_kept: s.time.len(),
    };
    // lists without GTI information: the span of the events
    if gti.get(&0).map(|g| g.is_empty()).unwrap_or(false) {
        if let (Some(a), Some(b)) = (
            s.time.iter().copied().reduce(f64::min),
            s.time.iter().copied().reduce(f64::max),
        ) {
            gti.insert(0, Gti::single(a, b));
            warn(
                path,
                &mut warnings,
                "no GTI extension and no TSTART/TSTOP: GTI = span of the events".into(),
            );
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
        warnings,
    })?)
}
