//! What an event list's EVENTS header says without reading its events: observation, instrument,
//! [TSTART, TSTOP] and the number of rows — enough to group the exposures of an archive in time
//! and to estimate the memory of their search before anything is read. The file is still opened
//! and checked as a whole by [`Fits::open`] (a truncated or damaged file is an error here).

use std::path::Path;

use crate::error::IoError;
use crate::fits::{Fits, FitsError};

/// The header facts of one event list.
#[derive(Debug, Clone, PartialEq)]
pub struct EventsHeader {
    /// OBS_ID (or OBSID), if present.
    pub obs_id: Option<String>,
    /// INSTRUME (e.g. EPN, EMOS1), empty if absent.
    pub instrument: String,
    /// DATAMODE, if present.
    pub datamode: Option<String>,
    /// TSTART (s, mission time).
    pub tstart: Option<f64>,
    /// TSTOP (s, mission time).
    pub tstop: Option<f64>,
    /// NAXIS2 of the EVENTS table: events before screening.
    pub rows: usize,
}

/// Read the EVENTS header of `path` (falling back on the primary header for the keywords).
pub fn events_header(path: &Path) -> Result<EventsHeader, IoError> {
    let mut f = Fits::open(path)?;
    let ev = f
        .hdu_names()
        .into_iter()
        .find(|n| n.eq_ignore_ascii_case("EVENTS"))
        .ok_or_else(|| FitsError::MissingHdu {
            path: path.into(),
            hdu: "EVENTS".into(),
            expected: "a photon event list".into(),
        })?;
    f.select(&ev, "a photon event list")?;
    let s = |f: &mut Fits, k: &str| -> Result<Option<String>, FitsError> {
        Ok(f.string(k)?
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()))
    };
    let obs_id = s(&mut f, "OBS_ID")?.or(s(&mut f, "OBSID")?);
    let instrument = s(&mut f, "INSTRUME")?.unwrap_or_default();
    let datamode = s(&mut f, "DATAMODE")?;
    let tstart = f.num("TSTART", "the start time (s)")?;
    let tstop = f.num("TSTOP", "the stop time (s)")?;
    let (rows, _) = f.table_info()?;
    Ok(EventsHeader {
        obs_id,
        instrument,
        datamode,
        tstart,
        tstop,
        rows,
    })
}
