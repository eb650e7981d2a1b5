//! One exposure (one camera of one observation): its screened, time-sorted events, its GTIs per
//! CCD, its sky WCS and the header facts the search needs (paper §2.2).
//!
//! An [`Exposure`] is made once, by a reader, through [`Exposure::new`], which checks that the
//! columns agree and sorts the events by time; its fields cannot be changed afterwards.
//!
//! ```
//! use exod_core::exposure::{Exposure, ExposureHeader, ExposureParts};
//! use exod_core::instrument::Mission;
//! let parts = ExposureParts {
//!     time: vec![3.0, 1.0, 2.0],
//!     x: vec![0.0; 3],
//!     y: vec![0.0; 3],
//!     energy: vec![1000.0; 3],
//!     ccd: vec![1; 3],
//!     ..ExposureParts::empty("pn.fits", ExposureHeader::new(Mission::Xmm, "XMM", "EPN"))
//! };
//! let e = Exposure::new(parts).unwrap();
//! assert_eq!(e.time(), &[1.0, 2.0, 3.0]);
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::CoreError;
use crate::gti::Gti;
use crate::instrument::{EpicCamera, Instrument, Mission};
use crate::screening::ScreenReport;
use crate::wcs::{SkyWcs, WcsError};

/// Header facts of one exposure.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExposureHeader {
    /// Mission, from TELESCOP.
    pub mission: Mission,
    /// TELESCOP.
    pub telescope: String,
    /// INSTRUME.
    pub instrument: String,
    /// For XMM EPIC lists.
    pub camera: Option<EpicCamera>,
    /// DATAMODE.
    pub datamode: Option<String>,
    /// SUBMODE.
    pub submode: Option<String>,
    /// OBS_ID (or OBSID).
    pub obs_id: Option<String>,
    /// EXP_ID.
    pub exp_id: Option<String>,
    /// REVOLUT (XMM orbit).
    pub revolution: Option<i64>,
    /// OBJECT.
    pub object: Option<String>,
    /// DATE-OBS.
    pub date_obs: Option<String>,
    /// TSTART (s, mission time).
    pub tstart: Option<f64>,
    /// TSTOP (s, mission time).
    pub tstop: Option<f64>,
    /// MJD of TIME = 0 (MJDREF, or MJDREFI + MJDREFF).
    pub mjdref: Option<f64>,
    /// TIMEZERO (s), the offset to add to every TIME (None: absent, i.e. 0).
    pub timezero: Option<f64>,
    /// FILTER (EPIC optical blocking filter: Thin1, Thin2, Medium, Thick, …; photometry's ECFs).
    pub filter: Option<String>,
    /// Pointing RA (deg), when plausible.
    pub ra_pnt: Option<f64>,
    /// Pointing Dec (deg), when plausible.
    pub dec_pnt: Option<f64>,
    /// Position angle of the pointing (deg).
    pub pa_pnt: Option<f64>,
    /// The time and sky reference keywords as the file states them (TIMESYS, TIMEREF, TASSIGN,
    /// RADESYS or RADECSYS, EQUINOX, and whether MJDREF was split into MJDREFI + MJDREFF).
    pub frames: ReferenceFrames,
    /// Live-time fraction (live time / on time, i.e. 1 − dead-time fraction) per CCD, from the
    /// EVENTS header: `LIVETInn / ONTIMEnn` for each CCD nn that states both (SAS lists: the
    /// on time of the CCD's GTI and its live time); when no CCD does, the camera-wide `DEADC`
    /// under key 0 (meaning every CCD); empty when the header states neither (live fraction
    /// 1). See `exod_core::extract::livetime::live_fraction`.
    pub live_fraction: BTreeMap<u8, f64>,
}

/// The time and sky reference keywords of an event list, as written in it (None: absent).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ReferenceFrames {
    /// TIMESYS (e.g. TT).
    pub timesys: Option<String>,
    /// TIMEREF (e.g. LOCAL).
    pub timeref: Option<String>,
    /// TASSIGN (e.g. SATELLITE).
    pub tassign: Option<String>,
    /// RADESYS (or the older RADECSYS).
    pub radesys: Option<String>,
    /// EQUINOX (years).
    pub equinox: Option<f64>,
    /// MJDREF was written as MJDREFI + MJDREFF.
    pub mjdref_split: bool,
}

impl ExposureHeader {
    /// A header with only the mission, telescope and instrument set.
    pub fn new(mission: Mission, telescope: &str, instrument: &str) -> ExposureHeader {
        ExposureHeader {
            mission,
            telescope: telescope.into(),
            instrument: instrument.into(),
            camera: match mission {
                Mission::Xmm => EpicCamera::from_instrume(instrument),
                _ => None,
            },
            datamode: None,
            submode: None,
            obs_id: None,
            exp_id: None,
            revolution: None,
            object: None,
            date_obs: None,
            tstart: None,
            tstop: None,
            mjdref: None,
            timezero: None,
            filter: None,
            ra_pnt: None,
            dec_pnt: None,
            pa_pnt: None,
            frames: ReferenceFrames::default(),
            live_fraction: BTreeMap::new(),
        }
    }
}

/// The parts a reader assembles into an [`Exposure`].
#[derive(Debug, Clone)]
pub struct ExposureParts {
    /// The file the exposure came from (for messages).
    pub path: PathBuf,
    /// Header facts.
    pub header: ExposureHeader,
    /// The sky WCS of the X/Y columns, or why it could not be built.
    pub wcs: Result<SkyWcs, WcsError>,
    /// Event times (s, mission time), any order.
    pub time: Vec<f64>,
    /// Sky X (pixels of the WCS; XMM: 0.05″ units).
    pub x: Vec<f32>,
    /// Sky Y.
    pub y: Vec<f32>,
    /// Energy (eV).
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
    /// What the reader could not do as the file asked, or assumed (each also logged).
    pub warnings: Vec<String>,
}

impl ExposureParts {
    /// No events, no GTI, no WCS: a starting point for struct-update syntax.
    pub fn empty(path: impl Into<PathBuf>, header: ExposureHeader) -> ExposureParts {
        ExposureParts {
            path: path.into(),
            header,
            wcs: Err(WcsError("no WCS".into())),
            time: vec![],
            x: vec![],
            y: vec![],
            energy: vec![],
            ccd: vec![],
            gti: BTreeMap::new(),
            screening: ScreenReport::default(),
            energy_source: String::new(),
            gti_source: String::new(),
            warnings: vec![],
        }
    }
}

/// A screened, time-sorted event list of one exposure.
#[derive(Debug, Clone)]
pub struct Exposure {
    p: ExposureParts,
}

impl Exposure {
    /// Check that the event columns have one length and finite times, and sort the events by
    /// time (stable: equal times keep their order in the file).
    pub fn new(mut p: ExposureParts) -> Result<Exposure, CoreError> {
        let n = p.time.len();
        if [p.x.len(), p.y.len(), p.energy.len(), p.ccd.len()] != [n; 4] {
            return Err(CoreError::input(
                p.path.display(),
                format!(
                    "event columns of different lengths (TIME {n}, X {}, Y {}, energy {}, CCD {})",
                    p.x.len(),
                    p.y.len(),
                    p.energy.len(),
                    p.ccd.len()
                ),
            ));
        }
        if let Some(i) = p.time.iter().position(|t| !t.is_finite()) {
            return Err(CoreError::input(
                p.path.display(),
                format!(
                    "TIME of event {} is {} (expected a finite time in s)",
                    i + 1,
                    p.time[i]
                ),
            ));
        }
        if let Some(i) = (0..n).find(|&i| !(p.x[i].is_finite() && p.y[i].is_finite())) {
            return Err(CoreError::input(
                p.path.display(),
                format!(
                    "sky X/Y of event {} is {}/{} (expected finite pixel coordinates)",
                    i + 1,
                    p.x[i],
                    p.y[i]
                ),
            ));
        }
        sort_by_time(&mut p);
        Ok(Exposure { p })
    }

    /// The file the exposure came from.
    pub fn path(&self) -> &Path {
        &self.p.path
    }
    /// Header facts.
    pub fn header(&self) -> &ExposureHeader {
        &self.p.header
    }
    /// The instrument description, or why there is none.
    pub fn instrument(&self) -> Result<Instrument, CoreError> {
        Instrument::describe(self.p.header.mission, &self.p.header.instrument)
            .map_err(|e| CoreError::input(self.p.path.display(), e.to_string()))
    }
    /// The sky WCS, or why it could not be built.
    pub fn wcs(&self) -> &Result<SkyWcs, WcsError> {
        &self.p.wcs
    }
    /// Event times (s), sorted.
    pub fn time(&self) -> &[f64] {
        &self.p.time
    }
    /// Sky X.
    pub fn x(&self) -> &[f32] {
        &self.p.x
    }
    /// Sky Y.
    pub fn y(&self) -> &[f32] {
        &self.p.y
    }
    /// Energy (eV).
    pub fn energy(&self) -> &[f32] {
        &self.p.energy
    }
    /// CCD numbers.
    pub fn ccd(&self) -> &[u8] {
        &self.p.ccd
    }
    /// GTIs per CCD.
    pub fn gti(&self) -> &BTreeMap<u8, Gti> {
        &self.p.gti
    }
    /// What screening removed.
    pub fn screening(&self) -> &ScreenReport {
        &self.p.screening
    }
    /// How energies were obtained.
    pub fn energy_source(&self) -> &str {
        &self.p.energy_source
    }
    /// Where the GTIs came from.
    pub fn gti_source(&self) -> &str {
        &self.p.gti_source
    }

    /// What the reader could not do as the file asked, or assumed.
    pub fn warnings(&self) -> &[String] {
        &self.p.warnings
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.p.time.len()
    }

    /// No events?
    pub fn is_empty(&self) -> bool {
        self.p.time.is_empty()
    }

    /// The span of the union of all CCD GTIs.
    pub fn time_span(&self) -> Option<(f64, f64)> {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for g in self.p.gti.values() {
            if let Some((a, b)) = g.span() {
                lo = lo.min(a);
                hi = hi.max(b);
            }
        }
        (lo < hi).then_some((lo, hi))
    }
}

/// Sort the event columns by time (SAS lists come in CCD blocks); stable on ties.
fn sort_by_time(p: &mut ExposureParts) {
    if p.time.windows(2).all(|w| w[0] <= w[1]) {
        return;
    }
    let time = &p.time;
    let mut idx: Vec<u32> = (0..time.len() as u32).collect();
    idx.sort_by(|&a, &b| {
        time[a as usize]
            .total_cmp(&time[b as usize])
            .then(a.cmp(&b))
    });
    let perm = |v: &Vec<f32>| idx.iter().map(|&i| v[i as usize]).collect::<Vec<f32>>();
    p.x = perm(&p.x);
    p.y = perm(&p.y);
    p.energy = perm(&p.energy);
    p.ccd = idx.iter().map(|&i| p.ccd[i as usize]).collect();
    p.time = idx.iter().map(|&i| p.time[i as usize]).collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_of_different_lengths_are_refused() {
        let parts = ExposureParts {
            time: vec![1.0, 2.0],
            x: vec![0.0],
            y: vec![0.0; 2],
            energy: vec![0.0; 2],
            ccd: vec![0; 2],
            ..ExposureParts::empty("a.fits", ExposureHeader::new(Mission::Xmm, "XMM", "EPN"))
        };
        let e = Exposure::new(parts).unwrap_err().to_string();
        assert!(e.contains("a.fits") && e.contains("X 1"), "{e}");
    }

    #[test]
    fn sorting_keeps_rows_together_and_ties_in_file_order() {
        let parts = ExposureParts {
            time: vec![2.0, 1.0, 2.0, 0.5],
            x: vec![20.0, 10.0, 21.0, 5.0],
            y: vec![0.0; 4],
            energy: vec![0.0; 4],
            ccd: vec![2, 1, 3, 0],
            ..ExposureParts::empty("a.fits", ExposureHeader::new(Mission::Xmm, "XMM", "EPN"))
        };
        let e = Exposure::new(parts).unwrap();
        assert_eq!(e.time(), &[0.5, 1.0, 2.0, 2.0]);
        assert_eq!(e.x(), &[5.0, 10.0, 20.0, 21.0]);
        assert_eq!(e.ccd(), &[0, 1, 2, 3]);
    }
}
