//! What every output of a search says about where it comes from: the observation's header facts
//! (mission, cameras, OBS_ID, time system and reference, span, sky frame), the program and
//! command that made it, the run's parameters and the file's date. Built once by the caller from
//! the exposures and the observation ([`OutputContext::new`]) and handed to
//! [`crate::output::write_all`].
//!
//! Facts an [`Exposure`] header carries are taken from it: TELESCOP, OBJECT, OBS_ID, DATE-OBS
//! (the earliest), TSTART (the earliest), TSTOP (the latest), MJDREF (as one keyword or as
//! `MJDREFI` + `MJDREFF`, as the input wrote it), TIMESYS, TIMEREF, TASSIGN, RADESYS (or
//! RADECSYS) and EQUINOX. Where the inputs do not state one, the mission's convention applies:
//! `MJDREF = 50814.0` for XMM-Newton and Chandra (split for the other missions), `TIMESYS = 'TT'`,
//! `TIMEREF = 'LOCAL'`, `TASSIGN = 'SATELLITE'`, `RADESYS = 'FK5'` (Chandra: ICRS),
//! `EQUINOX = 2000.0`. INSTRUME and the per-camera columns
//! come from the observation's cameras, in a fixed order (PN, M1, M2) whatever the order of the
//! input files.
//!
//! ## DATE and reproducible outputs
//!
//! `DATE` (the file's creation time, UTC, ISO 8601) is the only fact of the FITS headers that
//! changes from one run to the next; it also appears in the comments of `CHECKSUM`/`DATASUM`,
//! and so changes the checksums (the ECSV table does not carry it). When the environment
//! variable `SOURCE_DATE_EPOCH` holds a number of seconds since 1970-01-01T00:00:00 UTC (the
//! reproducible-builds convention, <https://reproducible-builds.org/specs/source-date-epoch/>),
//! that time is written instead, so that the same input gives byte-identical files;
//! [`OutputContext::with_date`] sets it explicitly.

use exod_core::exposure::{Exposure, ExposureHeader};
use exod_core::instrument::{Instrument, Mission};
use exod_core::observation::Observation;

/// The MJD of TIME = 0, in the form the mission writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MjdRef {
    /// One keyword, `MJDREF` (XMM-Newton, Chandra).
    Single(f64),
    /// `MJDREFI` (integer part) + `MJDREFF` (fraction), as eROSITA, NuSTAR and Swift write it.
    Split {
        /// Integer part (day).
        integer: f64,
        /// Fraction of a day.
        fraction: f64,
    },
}

impl MjdRef {
    /// The MJD.
    pub fn value(&self) -> f64 {
        match *self {
            MjdRef::Single(m) => m,
            MjdRef::Split { integer, fraction } => integer + fraction,
        }
    }
}

/// A typed header value.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    /// A character string.
    Str(String),
    /// A real number (NaN and infinities are written as undefined values).
    Real(f64),
    /// An integer.
    Int(i64),
    /// A logical.
    Bool(bool),
}

impl KeyValue {
    /// The value as text (ECSV metadata).
    pub fn render(&self) -> String {
        match self {
            KeyValue::Str(s) => s.clone(),
            KeyValue::Real(x) => format!("{x}"),
            KeyValue::Int(i) => i.to_string(),
            KeyValue::Bool(b) => b.to_string(),
        }
    }
}

impl From<f64> for KeyValue {
    fn from(x: f64) -> Self {
        KeyValue::Real(x)
    }
}
impl From<i64> for KeyValue {
    fn from(x: i64) -> Self {
        KeyValue::Int(x)
    }
}
impl From<usize> for KeyValue {
    fn from(x: usize) -> Self {
        KeyValue::Int(x as i64)
    }
}
impl From<bool> for KeyValue {
    fn from(x: bool) -> Self {
        KeyValue::Bool(x)
    }
}
impl From<&str> for KeyValue {
    fn from(x: &str) -> Self {
        KeyValue::Str(x.to_string())
    }
}
impl From<String> for KeyValue {
    fn from(x: String) -> Self {
        KeyValue::Str(x)
    }
}
impl From<&String> for KeyValue {
    fn from(x: &String) -> Self {
        KeyValue::Str(x.clone())
    }
}

/// A run parameter written to every header (e.g. `SIGMA = 3.0`).
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// FITS keyword (at most 8 characters, upper case).
    pub key: String,
    /// Its value.
    pub value: KeyValue,
    /// What it means.
    pub comment: String,
}

/// One camera of the observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Camera {
    /// Short label (PN, M1, M2): names the per-camera columns, e.g. `COUNTS_PN`.
    pub label: String,
    /// Its INSTRUME value (EPN, EMOS1, EMOS2).
    pub instrume: String,
    /// The instrument (fixes the order of cameras in the outputs).
    pub instrument: Instrument,
}

/// The header facts and provenance of a search's outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputContext {
    /// TELESCOP.
    pub telescope: String,
    /// The observation's cameras in its order (that of `Detection::counts_cam`).
    pub cameras: Vec<Camera>,
    /// OBS_ID.
    pub obs_id: Option<String>,
    /// OBJECT (the observation's target).
    pub object: Option<String>,
    /// DATE-OBS: start of the observation (in TIMESYS).
    pub date_obs: Option<String>,
    /// TSTART (s, mission time).
    pub tstart: f64,
    /// TSTOP (s, mission time).
    pub tstop: f64,
    /// MJDREF, or MJDREFI + MJDREFF.
    pub mjdref: Option<MjdRef>,
    /// TIMESYS.
    pub timesys: String,
    /// TIMEREF.
    pub timeref: String,
    /// TASSIGN.
    pub tassign: String,
    /// RADESYS.
    pub radesys: String,
    /// EQUINOX.
    pub equinox: f64,
    /// CREATOR: `exod <version>`.
    pub creator: String,
    /// COMMAND: the command line, arguments quoted for a POSIX shell where needed.
    pub command: String,
    /// DATE: the file's creation time (UTC, `YYYY-MM-DDThh:mm:ss`).
    pub date: String,
    /// Run parameters.
    pub params: Vec<Param>,
    /// RA_PNT, DEC_PNT and PA_PNT (deg) of the first exposure that states all three: the
    /// pointing and roll, from which the catalogue maps detections into the detector-fixed EPIC
    /// frame ([`exod_core::sky::epic_frame`]) to find hot areas.
    pub pointing: Option<[f64; 3]>,
}

/// TIMESYS, TIMEREF, TASSIGN, RADESYS, EQUINOX and MJDREF of a mission's event lists.
struct Conventions {
    timesys: &'static str,
    timeref: &'static str,
    tassign: &'static str,
    radesys: &'static str,
    equinox: f64,
    split_mjdref: bool,
    default_mjdref: Option<f64>,
}

fn conventions(m: Mission) -> Conventions {
    let base = Conventions {
        timesys: "TT",
        timeref: "LOCAL",
        tassign: "SATELLITE",
        radesys: "FK5",
        equinox: 2000.0,
        split_mjdref: true,
        default_mjdref: None,
    };
    match m {
        Mission::Xmm => Conventions {
            split_mjdref: false,
            default_mjdref: Some(50814.0),
            ..base
        },
        Mission::Chandra => Conventions {
            radesys: "ICRS",
            split_mjdref: false,
            default_mjdref: Some(50814.0),
            ..base
        },
        _ => base,
    }
}

/// Quote an argument for a POSIX shell when it needs it.
fn shell_quote(a: &str) -> String {
    let plain = !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./=:,+@%-".contains(c));
    if plain {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `YYYY-MM-DDThh:mm:ss` of a number of seconds since 1970-01-01T00:00:00.
pub fn iso_from_unix(secs: i64) -> String {
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `YYYY-MM-DDThh:mm:ss` of an MJD plus `secs` seconds (whole seconds, rounded).
pub fn iso_from_mjd(mjd: f64, secs: f64) -> String {
    let day = mjd.floor();
    let s = ((mjd - day) * 86_400.0 + secs).round() as i64;
    iso_from_unix((day as i64 - 40_587) * 86_400 + s)
}

/// The DATE of files written now: `SOURCE_DATE_EPOCH` when set to an integer, else the clock.
pub fn creation_date() -> String {
    if let Ok(v) = std::env::var("SOURCE_DATE_EPOCH") {
        match v.trim().parse::<i64>() {
            Ok(s) => return iso_from_unix(s),
            Err(_) => tracing::warn!(
                "SOURCE_DATE_EPOCH = {v:?} is not a number of seconds: DATE is the current time"
            ),
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    iso_from_unix(now)
}

impl OutputContext {
    /// The facts of the observation `obs` made of `exposures` (may be empty when they are gone:
    /// the header facts then follow the cameras' mission and the GTI span of the observation),
    /// and the command line `command` (argv, program first).
    pub fn new<I, S>(exposures: &[Exposure], obs: &Observation, command: I) -> OutputContext
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cameras = cameras_of(obs);
        let headers: Vec<_> = exposures.iter().map(|e| e.header()).collect();
        let mission = headers.first().map(|h| h.mission).unwrap_or_else(|| {
            cameras
                .first()
                .map_or(Mission::Other, |c| c.instrument.mission())
        });
        let conv = conventions(mission);
        let telescope =
            headers
                .first()
                .map(|h| h.telescope.clone())
                .unwrap_or_else(|| match mission {
                    Mission::Xmm => "XMM".into(),
                    other => other.name().to_ascii_uppercase(),
                });
        let first = |f: &dyn Fn(&exod_core::exposure::ExposureHeader) -> Option<String>| {
            headers.iter().find_map(|h| f(h))
        };
        let mjd = headers
            .iter()
            .find_map(|h| h.mjdref)
            .or(conv.default_mjdref);
        // the input's own keywords first, the mission's conventions where it has none
        let stated = |f: &dyn Fn(&exod_core::exposure::ReferenceFrames) -> Option<String>,
                      default: &str| {
            headers
                .iter()
                .find_map(|h| f(&h.frames))
                .unwrap_or_else(|| default.to_string())
        };
        let mjdref = mjd.map(|m| mjdref_as_written(m, &headers, &conv));
        let (tstart, tstop) = time_span(&headers, obs);
        let date_obs = headers
            .iter()
            .filter_map(|h| h.date_obs.clone())
            .min()
            .or_else(|| mjd.map(|m| iso_from_mjd(m, tstart)));
        OutputContext {
            telescope,
            cameras,
            obs_id: first(&|h| h.obs_id.clone()),
            object: first(&|h| h.object.clone()),
            date_obs,
            tstart,
            tstop,
            mjdref,
            timesys: stated(&|r| r.timesys.clone(), conv.timesys),
            timeref: stated(&|r| r.timeref.clone(), conv.timeref),
            tassign: stated(&|r| r.tassign.clone(), conv.tassign),
            radesys: stated(&|r| r.radesys.clone(), conv.radesys),
            equinox: headers
                .iter()
                .find_map(|h| h.frames.equinox)
                .unwrap_or(conv.equinox),
            creator: format!("exod {}", env!("CARGO_PKG_VERSION")),
            command: command
                .into_iter()
                .map(|a| shell_quote(a.as_ref()))
                .collect::<Vec<_>>()
                .join(" "),
            date: creation_date(),
            params: Vec::new(),
            pointing: headers
                .iter()
                .find_map(|h| Some([h.ra_pnt?, h.dec_pnt?, h.pa_pnt?])),
        }
    }

    /// Add a run parameter (written to every header and to the ECSV metadata). `key` is a FITS
    /// keyword of at most 8 characters.
    pub fn with_param(mut self, key: &str, value: impl Into<KeyValue>, comment: &str) -> Self {
        let key = key.to_ascii_uppercase();
        assert!(
            key.len() <= 8 && !key.is_empty(),
            "FITS keyword {key:?} must have 1 to 8 characters"
        );
        self.params.retain(|p| p.key != key);
        self.params.push(Param {
            key,
            value: value.into(),
            comment: comment.into(),
        });
        self
    }

    /// Set DATE to `unix_seconds` after 1970-01-01T00:00:00 UTC (as `SOURCE_DATE_EPOCH` does).
    pub fn with_date(mut self, unix_seconds: i64) -> Self {
        self.date = iso_from_unix(unix_seconds);
        self
    }

    /// Indices into [`OutputContext::cameras`] in the outputs' fixed order (PN, M1, M2).
    pub fn camera_order(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.cameras.len()).collect();
        idx.sort_by_key(|&i| (self.cameras[i].instrument, i));
        idx
    }

    /// INSTRUME of the outputs: the cameras' INSTRUME values in the fixed order, joined by `+`
    /// (`EPN+EMOS1+EMOS2`).
    pub fn instrume(&self) -> String {
        self.camera_order()
            .iter()
            .map(|&i| self.cameras[i].instrume.as_str())
            .collect::<Vec<_>>()
            .join("+")
    }

    /// The facts as ECSV metadata (`key: value` strings, keys in lower case). DATE is left out:
    /// an ECSV table is the same for the same input whatever the clock.
    pub fn ecsv_meta(&self) -> Vec<(String, String)> {
        let mut m: Vec<(String, String)> = vec![
            ("creator".into(), self.creator.clone()),
            ("command".into(), self.command.clone()),
            ("telescop".into(), self.telescope.clone()),
            ("instrume".into(), self.instrume()),
        ];
        if let Some(o) = &self.obs_id {
            m.push(("obs_id".into(), o.clone()));
        }
        if let Some(d) = &self.date_obs {
            m.push(("date_obs".into(), d.clone()));
        }
        m.push(("tstart".into(), format!("{}", self.tstart)));
        m.push(("tstop".into(), format!("{}", self.tstop)));
        match self.mjdref {
            Some(MjdRef::Single(x)) => m.push(("mjdref".into(), format!("{x}"))),
            Some(MjdRef::Split { integer, fraction }) => {
                m.push(("mjdrefi".into(), format!("{integer}")));
                m.push(("mjdreff".into(), format!("{fraction}")));
            }
            None => {}
        }
        m.push(("timesys".into(), self.timesys.clone()));
        m.push(("timeref".into(), self.timeref.clone()));
        m.push(("timeunit".into(), "s".into()));
        m.push(("radesys".into(), self.radesys.clone()));
        m.push(("equinox".into(), format!("{}", self.equinox)));
        if let Some([ra, dec, pa]) = self.pointing {
            m.push(("ra_pnt".into(), format!("{ra}")));
            m.push(("dec_pnt".into(), format!("{dec}")));
            m.push(("pa_pnt".into(), format!("{pa}")));
        }
        for p in &self.params {
            m.push((p.key.to_ascii_lowercase(), p.value.render()));
        }
        m
    }
}

/// The observation's cameras, with their INSTRUME values.
fn cameras_of(obs: &Observation) -> Vec<Camera> {
    obs.cameras()
        .iter()
        .map(|c| Camera {
            label: c.label.clone(),
            instrume: c.instrument.instrume().to_string(),
            instrument: c.instrument,
        })
        .collect()
}

/// MJDREF `m` as one keyword or split into MJDREFI + MJDREFF, as the inputs wrote it (the
/// mission's convention when they wrote none).
fn mjdref_as_written(m: f64, headers: &[&ExposureHeader], conv: &Conventions) -> MjdRef {
    let split = match headers.iter().find(|h| h.mjdref.is_some()) {
        Some(h) => h.frames.mjdref_split,
        None => conv.split_mjdref,
    };
    if split {
        MjdRef::Split {
            integer: m.floor(),
            fraction: m - m.floor(),
        }
    } else {
        MjdRef::Single(m)
    }
}

/// TSTART (earliest) and TSTOP (latest) of the inputs, or the observation's GTI span.
fn time_span(headers: &[&ExposureHeader], obs: &Observation) -> (f64, f64) {
    let tstart = headers
        .iter()
        .filter_map(|h| h.tstart)
        .fold(f64::INFINITY, f64::min);
    let tstop = headers
        .iter()
        .filter_map(|h| h.tstop)
        .fold(f64::NEG_INFINITY, f64::max);
    if tstart.is_finite() && tstop.is_finite() && tstop >= tstart {
        (tstart, tstop)
    } else {
        obs.span()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_utc() {
        assert_eq!(iso_from_unix(0), "1970-01-01T00:00:00");
        assert_eq!(iso_from_unix(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(iso_from_unix(1_700_000_000), "2023-11-14T22:13:20");
        assert_eq!(iso_from_unix(-1), "1969-12-31T23:59:59");
        // XMM-Newton: MJDREF 50814.0 is 1998-01-01T00:00:00 (TT); the simulator's TSTART
        assert_eq!(iso_from_mjd(50814.0, 0.0), "1998-01-01T00:00:00");
        assert_eq!(iso_from_mjd(50814.0, 700_000_500.0), "2020-03-07T20:35:00");
    }

    #[test]
    fn arguments_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("--tbin=5,50"), "--tbin=5,50");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("f[1].fits"), "'f[1].fits'");
    }
}
