//! Inputs of the timing follow-up: the arrival times of any OGIP event list, and a spacecraft
//! orbit for the barycentric correction ([`exod_core::timesys`]).
//!
//! [`read_event_times`] needs only a TIME column: a full XMM-Newton EPIC list (imaging or
//! timing mode), a Chandra, NuSTAR, eROSITA or Swift list, or a timing-only file with nothing
//! but TIME and a GTI extension (as HENDRICS accepts). Every row is kept — no screening: filter
//! the list first (SAS `evselect`, CIAO `dmcopy`) when the analysis needs it.
//!
//! * **Table**: the `EVENTS` extension, else the first binary table with a TIME column.
//! * **Time keywords** (MJDREF or MJDREFI/MJDREFF, TIMEZERO, TIMESYS, TIMEREF, TIMEUNIT) from
//!   that table's header, a keyword absent there taken from the primary header; converted by
//!   [`TimeReference::from_keywords`] (its defaults become warnings).
//! * **GTIs**, in this order:
//!   1. an XMM-Newton EPIC list (`STDGTInn` per CCD): the union over CCDs of `STDGTInn`
//!      intersected with the flare GTIs the EVENTS data-subspace keywords (`nDSTYPi = TIME`,
//!      `nDSREFi = :GTI…`, CCD from `nDSVALj` of `DSTYPj = CCDNR`) attach to that CCD — the
//!      per-CCD rule of [`crate::events`], merged into one GTI for all events;
//!   2. otherwise every extension named `GTI`, `STDGTI`, `STDGTI…` or `GTI<digits>` (e.g. one
//!      per Chandra CCD): their union;
//!   3. none: [TSTART, TSTOP], with a warning; without those, the span of the events.
//!
//!   A GTI extension that exists is read or the read fails, never replaced by a fallback.
//! * **Frame time**: TIMEDEL (s), else FRAMETIM, which XMM-Newton and eROSITA write in ms.
//!
//! [`read_orbit`] reads a FITS table with TIME and X, Y, Z columns (geocentric, on J2000 or
//! ICRS axes: an equator of date is not detected, see [`exod_core::timesys`]), and VX, VY, VZ
//! when present (all three or none): the output of the XMM-Newton SAS
//! task `orbit` (GEI positions in km, velocities in km/s, 60 s steps) or a Chandra `orbitf…eph1`
//! file (positions in m). Units from TUNITn (`km`, `m`; `km/s`, `m/s`); without TUNITn, from
//! the size of the positions (6 000–3 000 000 km, or 10³ times that in m), with a logged
//! warning. Rows with a non-finite value or SAS's undefined value (|x| > 10³⁰) are dropped;
//! rows are sorted by time and exact repeats dropped. The ODF's raw Chebyshev orbit
//! (`*SC*ROS.ASC`) and vector POSITION columns (NuSTAR, Fermi) are not read: convert them to
//! X/Y/Z columns first. The table's own time keywords, when it has MJDREF, say how its TIME
//! counts ([`Orbit::with_time_ref`]); without them its TIME is taken in the event list's time.

use std::path::{Path, PathBuf};

use exod_core::gti::Gti;
use exod_core::instrument::{EpicCamera, Mission};
use exod_core::timesys::{Orbit, TimeKeywords, TimeReference};

use crate::error::IoError;
use crate::fits::{Fits, FitsError, HduKind};

/// The arrival times of an event list, with their GTIs and time reference.
#[derive(Debug, Clone)]
pub struct TimingEvents {
    /// The file.
    pub path: PathBuf,
    /// The HDU the times came from.
    pub hdu: String,
    /// Event times (s, mission time as written, TIMEZERO not added), sorted.
    pub times: Vec<f64>,
    /// Good time intervals (s, mission time).
    pub gti: Gti,
    /// Where the GTIs came from, in words.
    pub gti_source: String,
    /// MJDREF, TIMEZERO, TIMESYS, TIMEREF.
    pub time_ref: TimeReference,
    /// TIMEDEL, or FRAMETIM converted from ms (s).
    pub frame_time_s: Option<f64>,
    /// TELESCOP.
    pub telescope: Option<String>,
    /// INSTRUME.
    pub instrument: Option<String>,
    /// TSTART (s).
    pub tstart: Option<f64>,
    /// TSTOP (s).
    pub tstop: Option<f64>,
    /// What was assumed or could not be done as the file asks (each also logged).
    pub warnings: Vec<String>,
}

/// The keywords a timing reader needs (None: absent).
#[derive(Debug, Clone, Default)]
struct Keys {
    mjdref: Option<f64>,
    mjdrefi: Option<f64>,
    mjdreff: Option<f64>,
    timezero: Option<f64>,
    tstart: Option<f64>,
    tstop: Option<f64>,
    timedel: Option<f64>,
    frametim: Option<f64>,
    timesys: Option<String>,
    timeref: Option<String>,
    timeunit: Option<String>,
    telescope: Option<String>,
    instrument: Option<String>,
}

impl Keys {
    /// The keywords of the current HDU.
    fn read(f: &mut Fits) -> Result<Keys, IoError> {
        let num = |f: &mut Fits, k: &str, what: &str| f.num(k, what);
        let s = |f: &mut Fits, k: &str| -> Result<Option<String>, FitsError> {
            Ok(f.string(k)?
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty()))
        };
        Ok(Keys {
            mjdref: num(f, "MJDREF", "the MJD of TIME = 0 (days)")?,
            mjdrefi: num(f, "MJDREFI", "the integer MJD of TIME = 0")?,
            mjdreff: num(f, "MJDREFF", "the fraction of a day of MJDREF")?,
            timezero: num(f, "TIMEZERO", "the offset of TIME (s)")?,
            tstart: num(f, "TSTART", "the start time (s)")?,
            tstop: num(f, "TSTOP", "the stop time (s)")?,
            timedel: num(f, "TIMEDEL", "the time resolution (s)")?,
            frametim: num(f, "FRAMETIM", "the frame time (ms)")?,
            timesys: s(f, "TIMESYS")?,
            timeref: s(f, "TIMEREF")?,
            timeunit: s(f, "TIMEUNIT")?,
            telescope: s(f, "TELESCOP")?,
            instrument: s(f, "INSTRUME")?,
        })
    }

    /// Each keyword from `self`, or else from `other`.
    fn or(self, other: Keys) -> Keys {
        Keys {
            mjdref: self.mjdref.or(other.mjdref),
            mjdrefi: self.mjdrefi.or(other.mjdrefi),
            mjdreff: self.mjdreff.or(other.mjdreff),
            timezero: self.timezero.or(other.timezero),
            tstart: self.tstart.or(other.tstart),
            tstop: self.tstop.or(other.tstop),
            timedel: self.timedel.or(other.timedel),
            frametim: self.frametim.or(other.frametim),
            timesys: self.timesys.or(other.timesys),
            timeref: self.timeref.or(other.timeref),
            timeunit: self.timeunit.or(other.timeunit),
            telescope: self.telescope.or(other.telescope),
            instrument: self.instrument.or(other.instrument),
        }
    }

    /// The keywords of HDU `hdu`, completed from the primary header; `hdu` stays selected.
    fn of_hdu(f: &mut Fits, hdu: usize) -> Result<Keys, IoError> {
        f.select_index(hdu)?;
        let own = Keys::read(f)?;
        f.select_index(0)?;
        let primary = Keys::read(f)?;
        f.select_index(hdu)?;
        Ok(own.or(primary))
    }

    fn time_keywords(&self) -> TimeKeywords {
        TimeKeywords {
            mjdref: self.mjdref,
            mjdrefi: self.mjdrefi,
            mjdreff: self.mjdreff,
            timezero: self.timezero,
            timesys: self.timesys.clone(),
            timeref: self.timeref.clone(),
            timeunit: self.timeunit.clone(),
            mission: self.telescope.as_deref().map(Mission::from_telescop),
        }
    }

    /// The observation's [TSTART, TSTOP], when both are known and TSTOP > TSTART.
    fn span(&self) -> Option<(f64, f64)> {
        match (self.tstart, self.tstop) {
            (Some(a), Some(b)) if b > a => Some((a, b)),
            _ => None,
        }
    }

    /// TIMEDEL (s), else FRAMETIM (ms), when positive.
    fn frame_time_s(&self) -> Option<f64> {
        let pos = |v: Option<f64>| v.filter(|x| *x > 0.0);
        pos(self.timedel).or(pos(self.frametim).map(|ms| ms / 1000.0))
    }
}

/// Record a warning about the file and log it.
fn warn(path: &Path, warnings: &mut Vec<String>, msg: String) {
    tracing::warn!("{}: {msg}", path.display());
    warnings.push(msg);
}

/// The index of the event table: `EVENTS`, else the first binary table with a TIME column.
fn find_event_table(f: &mut Fits) -> Result<usize, IoError> {
    let hdus: Vec<(usize, String, HduKind)> = f
        .hdus()
        .iter()
        .map(|h| (h.index, h.name.clone(), h.kind))
        .collect();
    if let Some((i, _, _)) = hdus.iter().find(|h| h.1.eq_ignore_ascii_case("EVENTS")) {
        return Ok(*i);
    }
    for (i, _, kind) in &hdus {
        if *kind == HduKind::BinaryTable {
            f.select_index(*i)?;
            if f.column("TIME")?.is_some() {
                return Ok(*i);
            }
        }
    }
    let names: Vec<&str> = hdus.iter().map(|h| h.1.as_str()).collect();
    Err(IoError::invalid(
        &f.path,
        format!(
            "no EVENTS extension and no binary table with a TIME column (HDUs: {}): expected an OGIP event list",
            names.join(", ")
        ),
    ))
}

/// Read, check (finite) and sort the TIME column of the selected table.
fn read_times(f: &mut Fits) -> Result<Vec<f64>, IoError> {
    let what = "photon arrival times (s)";
    let (col, _) = f.column_req("TIME", what)?;
    f.require_scalar_number(&col, what)?;
    let (rows, _) = f.table_info()?;
    if rows == 0 {
        return Err(IoError::invalid(
            &f.path,
            format!("the {} table has no rows (zero events)", f.hdu_name()),
        ));
    }
    f.check_last_row_not_fill()?;
    let mut times: Vec<f64> = f.read_all(&col)?;
    if let Some(i) = times.iter().position(|t| !t.is_finite()) {
        return Err(IoError::invalid(
            &f.path,
            format!(
                "{} row {}: TIME = {} (expected a finite time in s)",
                f.hdu_name(),
                i + 1,
                times[i]
            ),
        ));
    }
    times.sort_by(f64::total_cmp);
    Ok(times)
}

/// Read the event times, GTIs and time reference of any OGIP event list (see the module docs).
pub fn read_event_times(path: &Path) -> Result<TimingEvents, IoError> {
    let mut f = Fits::open(path)?;
    let ev = find_event_table(&mut f)?;
    let keys = Keys::of_hdu(&mut f, ev)?;
    let hdu = f.hdu_name().to_string();
    let times = read_times(&mut f)?;
    let time_ref = TimeReference::from_keywords(&keys.time_keywords())
        .map_err(|e| IoError::invalid(path, format!("{hdu} header: {e}")))?;
    let mut warnings = Vec::new();
    for n in &time_ref.notes {
        warn(path, &mut warnings, n.clone());
    }
    let (gti, gti_source) = read_gtis(&mut f, ev, &keys, &times, &mut warnings)?;
    let outside = times.iter().filter(|&&t| !gti.contains(t)).count();
    if outside > 0 {
        warn(
            path,
            &mut warnings,
            format!(
                "{outside} of {} events lie outside the GTIs (kept in the times)",
                times.len()
            ),
        );
    }
    Ok(TimingEvents {
        path: path.into(),
        hdu,
        times,
        gti,
        gti_source,
        time_ref,
        frame_time_s: keys.frame_time_s(),
        telescope: keys.telescope,
        instrument: keys.instrument,
        tstart: keys.tstart,
        tstop: keys.tstop,
        warnings,
    })
}

/// Read the GTI table (START, STOP) of HDU `index` (see `events::gti::read_gti_table`: an
/// interval far outside [TSTART, TSTOP] is a damaged column or header).
fn read_gti_table(f: &mut Fits, index: usize, span: Option<(f64, f64)>) -> Result<Gti, IoError> {
    f.select_index(index)?;
    crate::events::gti::read_gti_table(f, span)
}

/// The CCD number of an `STDGTInn` extension name.
fn stdgti_ccd(name: &str) -> Option<u8> {
    let u = name.to_ascii_uppercase();
    let digits = u.strip_prefix("STDGTI")?;
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// A GTI extension of the generic rule: GTI, STDGTI, STDGTI…, GTI<digits>.
pub(crate) fn is_generic_gti(name: &str) -> bool {
    let u = name.to_ascii_uppercase();
    u == "GTI"
        || u.starts_with("STDGTI")
        || u.strip_prefix("GTI")
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

/// The GTIs of the file (see the module docs for the rule).
fn read_gtis(
    f: &mut Fits,
    ev: usize,
    keys: &Keys,
    times: &[f64],
    warnings: &mut Vec<String>,
) -> Result<(Gti, String), IoError> {
    let path = f.path.clone();
    let hdus: Vec<(usize, String)> = f.hdus().iter().map(|h| (h.index, h.name.clone())).collect();
    let per_ccd: Vec<(u8, usize)> = hdus
        .iter()
        .filter_map(|(i, n)| stdgti_ccd(n).map(|c| (c, *i)))
        .collect();
    let xmm = keys.telescope.as_deref().map(Mission::from_telescop) == Some(Mission::Xmm);
    let camera = keys
        .instrument
        .as_deref()
        .and_then(EpicCamera::from_instrume);
    if let (true, false, Some(cam)) = (xmm, per_ccd.is_empty(), camera) {
        // the event reader's per-CCD GTIs (STDGTInn ∩ the data-subspace flare GTI), united
        f.select_index(ev)?;
        let names: Vec<String> = hdus.iter().map(|(_, n)| n.clone()).collect();
        let (per, _) = crate::events::epic_gtis(f, &names, cam, keys.span(), warnings)?;
        let all = per.values().fold(Gti::default(), |a, g| a.union(g));
        return Ok((
            all,
            "union over CCDs of STDGTInn ∩ the data-subspace (DSREF) GTI of the CCD".into(),
        ));
    }
    let generic: Vec<&(usize, String)> = hdus.iter().filter(|(_, n)| is_generic_gti(n)).collect();
    if !generic.is_empty() {
        let mut all = Gti::default();
        for (i, _) in &generic {
            all = all.union(&read_gti_table(f, *i, keys.span())?);
        }
        let list: Vec<&str> = generic.iter().map(|(_, n)| n.as_str()).collect();
        let source = match list.as_slice() {
            [one] => format!("{one} extension"),
            many => format!("union of the GTI extensions {}", many.join(", ")),
        };
        return Ok((all, source));
    }
    if let Some((a, b)) = keys.span() {
        warn(
            &path,
            warnings,
            "no GTI extension: GTI = [TSTART, TSTOP]".into(),
        );
        return Ok((Gti::single(a, b), "TSTART–TSTOP (no GTI extension)".into()));
    }
    warn(
        &path,
        warnings,
        "no GTI extension and no TSTART/TSTOP: GTI = span of the events".into(),
    );
    Ok((
        Gti::single(times[0], times[times.len() - 1]),
        "span of the events (no GTI extension, no TSTART/TSTOP)".into(),
    ))
}

/// Metres or km per unit of a length TUNIT (None: not a length unit exod knows).
fn km_per_unit(unit: &str, per_second: bool) -> Option<f64> {
    let u = unit.trim().to_ascii_lowercase().replace(' ', "");
    let (base, ok) = match u.strip_suffix("/s").or_else(|| u.strip_suffix("s-1")) {
        Some(b) => (b.to_string(), per_second),
        None => (u.clone(), !per_second),
    };
    if !ok {
        return None;
    }
    match base.as_str() {
        "km" => Some(1.0),
        "m" => Some(1e-3),
        _ => None,
    }
}

/// The first binary table with TIME, X, Y, Z columns.
fn find_orbit_table(f: &mut Fits) -> Result<usize, IoError> {
    let tables: Vec<usize> = f
        .hdus()
        .iter()
        .filter(|h| h.kind == HduKind::BinaryTable)
        .map(|h| h.index)
        .collect();
    for i in tables {
        f.select_index(i)?;
        let mut all = true;
        for c in ["TIME", "X", "Y", "Z"] {
            all &= f.column(c)?.is_some();
        }
        if all {
            return Ok(i);
        }
    }
    Err(IoError::invalid(
        &f.path,
        "no binary table with TIME, X, Y and Z columns: expected a spacecraft orbit (SAS `orbit` output, Chandra eph1)",
    ))
}

/// Three columns' values and their TUNITs (None: absent).
type Columns3 = (Vec<Vec<f64>>, Vec<Option<String>>);

/// Read the columns `names` (scalar numbers) of the selected table, with their TUNITs.
fn read_columns(f: &mut Fits, names: [&str; 3], what: &str) -> Result<Columns3, IoError> {
    let mut values = Vec::new();
    let mut units = Vec::new();
    for name in names {
        let (col, n) = f.column_req(name, what)?;
        f.require_scalar_number(&col, what)?;
        values.push(f.read_all(&col)?);
        units.push(
            f.string(&format!("TUNIT{n}"))?
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty()),
        );
    }
    Ok((values, units))
}

/// The km factor of three columns' units; without TUNIT, from the size of `sample` (km).
fn unit_factor(
    path: &Path,
    names: [&str; 3],
    units: &[Option<String>],
    per_second: bool,
    guess: impl Fn() -> Option<f64>,
) -> Result<f64, IoError> {
    let expected = if per_second {
        "'km/s' or 'm/s'"
    } else {
        "'km' or 'm'"
    };
    let mut factor = None;
    for (name, u) in names.iter().zip(units) {
        let Some(u) = u else { continue };
        let k = km_per_unit(u, per_second).ok_or_else(|| {
            IoError::invalid(
                path,
                format!("column {name} has TUNIT = {u:?}: expected {expected}"),
            )
        })?;
        if factor.is_some_and(|f| f != k) {
            return Err(IoError::invalid(
                path,
                format!("columns {} have different units", names.join(", ")),
            ));
        }
        factor = Some(k);
    }
    match factor.or_else(&guess) {
        Some(k) => {
            if factor.is_none() {
                tracing::warn!("{}: columns {} have no TUNIT: taken as {}", path.display(), names.join(", "), if k == 1.0 { "km" } else { "m" });
            }
            Ok(k)
        }
        None => Err(IoError::invalid(path, format!("columns {} have no TUNIT and values of no plausible size: expected TUNIT {expected}", names.join(", ")))),
    }
}

/// km or m from the median geocentric distance of the samples.
fn guess_length_unit(x: &[f64], y: &[f64], z: &[f64]) -> Option<f64> {
    let mut r: Vec<f64> = (0..x.len())
        .map(|i| (x[i] * x[i] + y[i] * y[i] + z[i] * z[i]).sqrt())
        .filter(|r| r.is_finite() && *r < 1e30)
        .collect();
    if r.is_empty() {
        return None;
    }
    r.sort_by(f64::total_cmp);
    let med = r[r.len() / 2];
    if (6.0e3..=3.0e6).contains(&med) {
        Some(1.0)
    } else if (6.0e6..=3.0e9).contains(&med) {
        Some(1e-3)
    } else {
        None
    }
}

/// Read a spacecraft orbit table (see the module docs).
pub fn read_orbit(path: &Path) -> Result<Orbit, IoError> {
    let mut f = Fits::open(path)?;
    let index = find_orbit_table(&mut f)?;
    let keys = Keys::of_hdu(&mut f, index)?;
    let (tc, _) = f.column_req("TIME", "orbit sample times (s)")?;
    f.require_scalar_number(&tc, "orbit sample times (s)")?;
    f.check_last_row_not_fill()?;
    let time: Vec<f64> = f.read_all(&tc)?;
    let (p, pu) = read_columns(&mut f, ["X", "Y", "Z"], "geocentric positions")?;
    let pk = unit_factor(path, ["X", "Y", "Z"], &pu, false, || {
        guess_length_unit(&p[0], &p[1], &p[2])
    })?;
    let vel_cols: Vec<bool> = ["VX", "VY", "VZ"]
        .iter()
        .map(|c| f.column(c).map(|o| o.is_some()))
        .collect::<Result<_, _>>()?;
    let v = match vel_cols.iter().filter(|b| **b).count() {
        0 => None,
        3 => {
            let (v, vu) = read_columns(&mut f, ["VX", "VY", "VZ"], "geocentric velocities")?;
            let vk = unit_factor(path, ["VX", "VY", "VZ"], &vu, true, || Some(pk))?;
            Some((v, vk))
        }
        _ => return Err(IoError::invalid(
            path,
            "only some of the VX, VY, VZ columns: expected all three velocity components or none",
        )),
    };
    let orbit = assemble_orbit(path, &time, &p, pk, v.as_ref())?;
    if keys.mjdref.is_none() && keys.mjdrefi.is_none() {
        return Ok(orbit);
    }
    let tr = TimeReference::from_keywords(&keys.time_keywords())
        .map_err(|e| IoError::invalid(path, format!("{} header: {e}", f.hdu_name())))?;
    Ok(orbit.with_time_ref(tr))
}

/// Rows kept (finite, defined), sorted by time, exact repeats dropped, converted to km.
fn assemble_orbit(
    path: &Path,
    time: &[f64],
    p: &[Vec<f64>],
    pk: f64,
    v: Option<&(Vec<Vec<f64>>, f64)>,
) -> Result<Orbit, IoError> {
    let defined = |x: f64| x.is_finite() && x.abs() < 1e30;
    let mut rows: Vec<(f64, [f64; 3], [f64; 3])> = Vec::with_capacity(time.len());
    let mut dropped = 0usize;
    for i in 0..time.len() {
        let pos = [p[0][i], p[1][i], p[2][i]];
        let vel = v.map_or([0.0; 3], |(v, _)| [v[0][i], v[1][i], v[2][i]]);
        if defined(time[i]) && pos.iter().chain(&vel).all(|&x| defined(x)) {
            rows.push((
                time[i],
                pos.map(|x| x * pk),
                vel.map(|x| x * v.map_or(1.0, |v| v.1)),
            ));
        } else {
            dropped += 1;
        }
    }
    if dropped > 0 {
        tracing::warn!(
            "{}: {dropped} orbit rows with undefined values dropped",
            path.display()
        );
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut kept: Vec<(f64, [f64; 3], [f64; 3])> = Vec::with_capacity(rows.len());
    for r in rows {
        match kept.last() {
            Some(last) if last.0 == r.0 && last.1 == r.1 => continue,
            Some(last) if last.0 == r.0 => {
                return Err(IoError::invalid(path, format!(
                    "two orbit rows at TIME = {} s with different positions: expected one position per time",
                    r.0
                )))
            }
            _ => kept.push(r),
        }
    }
    Orbit::new(
        kept.iter().map(|r| r.0).collect(),
        kept.iter().map(|r| r.1).collect(),
        v.map(|_| kept.iter().map(|r| r.2).collect()),
    )
    .map_err(|e| IoError::invalid(path, e.to_string()))
}
