//! A simulated XMM-Newton **archive**: many observations of several overlapping fields, with
//! known repeating transients, one-off bursts, a flickering hot pixel and deliberately bad
//! inputs — the test input of `exod batch` → `exod catalog` → `exod crossmatch`.
//!
//! Every observation is a [`crate::simulate::simulate`] run (pn + MOS1 + MOS2 by default, 5 ks,
//! rolled in the sense of real XMM files); the archive chooses their pointings,
//! times and contents. Same seed → byte-identical tree (observations are generated in parallel,
//! each from its own seeds, into its own folder).
//!
//! # Layouts
//!
//! * [`Layout::Pps`]: `<root>/<obsid>/pps/P<obsid>PNS003PIEVLI0000.FTZ`, `…M1S001MIEVLI…`,
//!   `…M2S002MIEVLI…`, `P<obsid>EPX000OBSMLI0000.FTZ` — as the XMM archive delivers them;
//! * [`Layout::Flat`]: all `P<obsid>*` files in `<root>`.
//!
//! Beside the lists, each observation has its own truth `P<obsid>_truth.ecsv` (the
//! simulator's table, renamed so that flat layouts do not collide). At the root,
//! `archive_truth.ecsv` lists every injected item (one row each, see [`ArchiveRow`]) and
//! `archive_observations.ecsv` every observation (pointing, roll, times, defect).
//!
//! # Contents (for `n_obs` observations, numbered 0 … n_obs − 1 in obsid order)
//!
//! * **Fields**: field 0 straddles RA = 0/360 (pointings at RA 359.97° and 0.03°, Dec −30°, and
//!   a third at Dec −29.94°), field 1 is at Dec +80°, the others at random RA and Dec
//!   (|Dec| < 60°); each field has 2–5 pointings (3 for fields 0 and 1; the last field takes
//!   what remains, possibly one) offset by 2–6′ from its centre, with random roll angles and
//!   start times spread over 2001–2023 (consecutive pointings of a field days to years apart).
//!   The constant sources (a target of 0.02–0.3 ct/s 25″ from the centre and a log N–log S
//!   population) are drawn once per field ([`crate::simulate::FieldSky`]), so overlapping
//!   pointings see the same sources at the same RA/Dec; each observation draws its own photons.
//! * **Obsids**: `08PPPPPPNN` with PPPPPP = 100 × (seed mod 9000) + field and NN the pointing
//!   number (01, 02, …): distinct and deterministic.
//! * **Repeating transient** (kind `repeat`): one fixed position of field 0, 150 counts in 50 s
//!   (box) in the middle of observations 0 and 1, on every camera's CCDs in both and ≥ 60″ from
//!   sources brighter than 5 × 10⁻³ ct/s.
//! * **One-off bursts** (kind `burst`): in observations 2, 9, 16, … (i mod 7 = 2), 100–200 counts
//!   in 20–100 s, box or FRED, at a random position on all cameras.
//! * **Flickering hot pixel** (kind `hot_pixel`): pn CCD 4, RAWX 30, RAWY 160 (5.3′ off-axis, not in
//!   the shipped hot-pixel tables), 40 counts in 10 s, in every good observation with
//!   i mod 3 = 1 (15 of 50). Its sky position differs between observations; its EPIC-frame
//!   offsets ([`crate::simulate::epic_frame`]) are the same in all: x_E = −23.95″,
//!   y_E = +356.95″ (x_E = 0.05″·[(X−X0) cos(−a) − (Y−Y0) sin(−a)], y_E = 0.05″·[(X−X0) sin(−a)
//!   + (Y−Y0) cos(−a)], a = PA_PNT, X0 = Y0 = 25921).
//! * **Soft-proton flares**: brief in observations with i mod 5 = 3, mild with i mod 11 = 7,
//!   none otherwise.
//! * **Bad inputs** (the last four observations, kinds below; each has a truth row with the
//!   file and the reason):
//!   * `corrupt`: its last event list (MOS2) truncated to half its bytes, the others intact;
//!   * `garbage`: pn and MOS1 fine, a text file named like its MOS2 event list;
//!   * `unsupported`: only a pn list, in timing mode (DATAMODE = TIMING, SUBMODE =
//!     PrimeTiming), which the reader refuses as unsupported;
//!   * `empty`: no event list at all, only its OBSMLI source list.
//!
//! Source rows are given for every observation with readable event lists (not for `unsupported`
//! and `empty`), only for the sources within its field of view.

use std::path::{Path, PathBuf};

use exod_core::instrument::EpicCamera as XmmCamera;

use crate::simulate::{SimConfig, SimError};

mod plan;
mod write;

/// How the observations' files are laid out under the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Layout {
    /// `<root>/<obsid>/pps/P<obsid>…FTZ`, as the XMM archive delivers them.
    Pps,
    /// Every `P<obsid>…` file in `<root>`.
    Flat,
}

/// What defines a simulated archive.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArchiveConfig {
    /// Seed of every choice and of every observation's seeds.
    pub seed: u64,
    /// Number of observations (at least [`MIN_OBSERVATIONS`]).
    pub n_obs: usize,
    /// Exposure of every observation (s, the MOS exposure; pn is 700 s shorter).
    pub exposure: f64,
    /// Layout of the files.
    pub layout: Layout,
    /// Cameras of the (good) observations.
    pub cameras: Vec<XmmCamera>,
}

/// Fewest observations an archive can have: the repeat, a flicker and the four bad ones.
pub const MIN_OBSERVATIONS: usize = 8;

impl Default for ArchiveConfig {
    fn default() -> Self {
        ArchiveConfig {
            seed: 1,
            n_obs: 50,
            exposure: 5000.0,
            layout: Layout::Pps,
            cameras: vec![XmmCamera::Pn, XmmCamera::Mos1, XmmCamera::Mos2],
        }
    }
}

/// A deliberately bad observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Defect {
    /// One event list truncated to half its bytes.
    Corrupt,
    /// A non-FITS file named like an event list.
    Garbage,
    /// The only (pn) list in timing mode.
    Unsupported,
    /// No event list at all.
    Empty,
}

impl Defect {
    /// The truth kind: `corrupt`, `garbage`, `unsupported` or `empty`.
    pub fn kind(self) -> &'static str {
        match self {
            Defect::Corrupt => "corrupt",
            Defect::Garbage => "garbage",
            Defect::Unsupported => "unsupported",
            Defect::Empty => "empty",
        }
    }
}

/// One observation of the archive.
#[derive(Debug, Clone)]
pub struct ArchiveObs {
    /// Observation identifier (10 digits).
    pub obs_id: String,
    /// Index of its field.
    pub field: usize,
    /// The folder of its files.
    pub folder: PathBuf,
    /// Pointing (RA_PNT, DEC_PNT, deg).
    pub pointing: (f64, f64),
    /// Roll angle (PA_PNT, deg).
    pub roll: f64,
    /// Start and stop (s, mission time: the MOS exposure).
    pub span: (f64, f64),
    /// Every file written for it (event lists, source list, its truth), sorted.
    pub files: Vec<PathBuf>,
    /// Its event lists that the reader accepts.
    pub good_event_files: Vec<PathBuf>,
    /// What is wrong with it, and the file concerned (None for `empty`).
    pub defect: Option<(Defect, Option<PathBuf>)>,
    /// The configuration it was simulated with.
    pub config: SimConfig,
}

/// One row of `archive_truth.ecsv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveRow {
    /// The observation.
    pub obs_id: String,
    /// `source`, `burst`, `repeat`, `hot_pixel`, `corrupt`, `garbage`, `unsupported` or `empty`.
    pub kind: String,
    /// Right ascension (deg; the pointing for bad inputs).
    pub ra: f64,
    /// Declination (deg; the pointing for bad inputs).
    pub dec: f64,
    /// Start (s, mission time; the observation's for sources and bad inputs).
    pub t_start: f64,
    /// Stop (s, mission time).
    pub t_stop: f64,
    /// MJD of the start.
    pub mjd_start: f64,
    /// MJD of the stop.
    pub mjd_stop: f64,
    /// Expected counts (transients: over all cameras; sources: pn rate × exposure; 0 for bad
    /// inputs).
    pub expected: f64,
    /// Realised counts (pn, MOS1, MOS2).
    pub counts: [u64; 3],
    /// EPIC-frame offsets (x_E, y_E, arcsec) of (ra, dec) in this observation.
    pub epic: (f64, f64),
    /// Details: profile, rates, detector pixel, file and reason.
    pub note: String,
}

/// What [`simulate_archive`] produced.
#[derive(Debug, Clone)]
pub struct ArchiveOutput {
    /// The observations, in obsid order.
    pub observations: Vec<ArchiveObs>,
    /// Every injected item.
    pub truth: Vec<ArchiveRow>,
    /// `archive_truth.ecsv`.
    pub truth_path: PathBuf,
    /// `archive_observations.ecsv`.
    pub observations_path: PathBuf,
}

/// Simulate the archive of `cfg` under `root` (created if needed; existing files of the same
/// names are replaced).
pub fn simulate_archive(cfg: &ArchiveConfig, root: &Path) -> Result<ArchiveOutput, SimError> {
    validate(cfg)?;
    std::fs::create_dir_all(root).map_err(|source| SimError::Io {
        path: root.into(),
        source,
    })?;
    let planned = plan::plan(cfg)?;
    let written = write::write_all(cfg, &planned, root)?;
    let truth = write::truth_rows(&planned, &written)?;
    let observations: Vec<ArchiveObs> = written.into_iter().map(|w| w.obs).collect();
    let truth_path = root.join("archive_truth.ecsv");
    write::write_truth(cfg, &truth, &truth_path)?;
    let observations_path = root.join("archive_observations.ecsv");
    write::write_observations(cfg, &observations, root, &observations_path)?;
    Ok(ArchiveOutput {
        observations,
        truth,
        truth_path,
        observations_path,
    })
}

fn validate(cfg: &ArchiveConfig) -> Result<(), SimError> {
    if cfg.n_obs < MIN_OBSERVATIONS || cfg.n_obs > 2000 {
        return Err(SimError::Config(format!(
            "{} observations: expected {MIN_OBSERVATIONS}–2000 (the repeat, a flicker and four bad inputs need {MIN_OBSERVATIONS})",
            cfg.n_obs
        )));
    }
    if !cfg.cameras.contains(&XmmCamera::Pn) {
        return Err(SimError::Config(
            "the archive needs the pn camera (its hot flicker and its timing-mode list)".into(),
        ));
    }
    Ok(())
}
