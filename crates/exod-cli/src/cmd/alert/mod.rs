//! `exod alert EVENTFILE... --archive DIR`: the alert stream. A new observation's event lists
//! arrive; the EXOD search runs on them, the archive's sources in the field are measured
//! (aperture photometry, fluxes or upper limits), new sources (the observation's pipeline source
//! list, EXOD transients) join the archive — measured back in the earlier observations of the
//! archive so that a first detection is a first detection — and alerts are emitted for
//! (a) short-term transients found by EXOD, (b) long-term variability ≥ the threshold
//! (STONKS, [`exod_core::longterm`]), (c) new sources in a field covered before. Then the
//! archive is updated as a whole, so the next observation is compared with it.
//!
//! Layout of `DIR`:
//!
//! ```text
//! DIR/archive/{sources,epochs,observations}.ecsv   the archive (replaced atomically)
//! DIR/obs/<obsid>/detect/                         exod detect's outputs
//! DIR/obs/<obsid>/photometry.ecsv                 the fluxes of this observation
//! DIR/alerts/<alert-id>.xml, .json, .png          VOEvent 2.0, JSON, long-term light curve
//! DIR/alerts.ecsv                                 one row per alert, in order of emission
//! ```
//!
//! Alert identifiers are `<obsid>-<kind>-<source>` (transients: `-<t_peak>` added), so replaying
//! an observation makes the same identifiers and no duplicate: an alert whose files exist is not
//! written again, nor added again to `alerts.ecsv`. Two runs on one archive at once are refused
//! (a lock file).

pub mod archive;
mod events;
mod packets;
pub mod sources;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use exod_core::longterm::{self, LongTermParams};
use exod_core::photometry::PhotometryParams;

use archive::{Archive, ObsRow};

#[derive(clap::Args, Clone)]
pub struct Args {
    /// Event lists of the new observation (pn, MOS1, MOS2), or its PPS folder.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The archive folder (created on first use).
    #[arg(long)]
    pub archive: PathBuf,
    /// Pipeline source list of the observation (OBSMLI FITS or CSV); default: the `…OBSMLI…`
    /// file of a PPS folder or beside the lists. Its sources join the archive.
    #[arg(long)]
    pub srclist: Option<PathBuf>,
    /// A catalogue of known sources (FITS/CSV/VOTable with RA/Dec) to add to the archive
    /// before measuring (e.g. 4XMM, or a field's source list); sources already in the archive
    /// (within the match radius) are not added twice.
    #[arg(long)]
    pub catalog: Vec<PathBuf>,
    /// Long-term variability threshold (STONKS: 5).
    #[arg(long, default_value_t = 5.0)]
    pub threshold: f64,
    /// σ of EXOD detections that make a short-term transient alert (the paper's 5σ: no false
    /// positive in 2,400 simulated observations).
    #[arg(long, default_value_t = 5.0)]
    pub alert_sigma: f64,
    /// Confidence level of the upper limits (3σ one-sided).
    #[arg(long, default_value_t = 0.99865)]
    pub confidence: f64,
    /// Match radius floor (arcsec): a position within max(this, 3·√(σ₁² + σ₂²)) of an archive
    /// source is that source.
    #[arg(long, default_value_t = 10.0)]
    pub match_radius: f64,
    /// VOEvent role: observation, or test (for simulated data).
    #[arg(long, default_value = "observation")]
    pub role: String,
    /// IVORN base of the alerts.
    #[arg(long, default_value = "ivo://exod/alerts")]
    pub ivorn: String,
    /// Folder of follow-up reports (`exod followup --all`): an alert links
    /// `<DIR>/<source>/report.html` when it exists.
    #[arg(long)]
    pub reports: Option<PathBuf>,
    #[command(flatten)]
    pub search: super::detect::SearchArgs,
}

/// One new observation, read.
pub struct NewObs {
    /// Its lists, screened.
    pub exposures: Vec<exod_core::exposure::Exposure>,
    /// The event lists (absolute paths).
    pub files: Vec<PathBuf>,
    /// Its pipeline source list, if any.
    pub srclist: Option<PathBuf>,
    /// OBS_ID.
    pub obs_id: String,
    /// MJD of the middle of the observation.
    pub mjd: f64,
    /// Pointing (deg).
    pub pointing: (f64, f64),
}

pub fn run(a: Args) -> Result<()> {
    if !(a.threshold > 1.0) {
        bail!(
            "--threshold {}: expected a ratio > 1 (STONKS uses 5)",
            a.threshold
        );
    }
    if a.role != "observation" && a.role != "test" {
        bail!("--role {:?}: expected observation or test", a.role);
    }
    std::fs::create_dir_all(&a.archive)
        .with_context(|| format!("{}: creating the archive folder", a.archive.display()))?;
    let _lock = lock(&a.archive)?;
    let mut ar = Archive::load(&a.archive)?;
    let obs = read_new(&a)?;
    for c in &a.catalog {
        sources::add_catalog(&mut ar, c, a.match_radius)?;
    }
    let dets = run_detect(&a, &obs)?;
    let events = events::group(&dets, a.alert_sigma);
    let roles = sources::add_new(&mut ar, &obs, &events, a.match_radius)?;
    let pp = PhotometryParams {
        confidence: a.confidence,
        ..PhotometryParams::default()
    };
    let rows = sources::measure_all(&ar, &obs, &pp)?;
    sources::write_photometry(&a.archive, &obs, &rows)?;
    let back = sources::backfill(&ar, &obs, &roles, &pp)?;
    let lt = LongTermParams {
        threshold: a.threshold,
        ..LongTermParams::default()
    };
    let mut found = Vec::new();
    for (k, e) in events.iter().enumerate() {
        found.push(packets::Found::transient(k, e, &roles, &ar));
    }
    for m in &rows {
        let id = &m.row.source;
        if roles.transient_now.contains(id) {
            continue;
        }
        let mut prev = ar.epochs_of(id, &obs.obs_id);
        prev.extend(
            back.iter()
                .filter(|b| &b.source == id)
                .map(|b| b.epoch.clone()),
        );
        let known = !roles.new_now.contains(id);
        if let Some(x) = longterm::assess(&prev, &m.row.epoch, known, &lt) {
            found.push(packets::Found::long_term(m, x, prev, &ar));
        }
    }
    let ctx = packets::Context {
        dir: &a.archive,
        obs: &obs,
        role: &a.role,
        ivorn: &a.ivorn,
        reports: a.reports.as_deref(),
    };
    let (written, replayed) = packets::emit(&ctx, &found, &ar)?;
    let n_alerts = found.len() as i64;
    ar.replace_observation(
        obs_row(&obs, n_alerts),
        rows.into_iter().map(|m| m.row).collect(),
    );
    ar.upsert(back);
    ar.save(&a.archive, &[("command", super::command_line())])?;
    println!(
        "{}: {} alert(s) ({} new, {} already emitted), {} archive source(s), {} observation(s)",
        obs.obs_id,
        found.len(),
        written,
        replayed,
        ar.sources.len(),
        ar.observations.len()
    );
    Ok(())
}

fn obs_row(obs: &NewObs, n_alerts: i64) -> ObsRow {
    ObsRow {
        obs_id: obs.obs_id.clone(),
        mjd: obs.mjd,
        ra_pnt: obs.pointing.0,
        dec_pnt: obs.pointing.1,
        files: obs
            .files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(";"),
        n_alerts,
    }
}

/// Refuse a second `exod alert` on the same archive while one runs (an exclusive `flock` on
/// `DIR/.lock`, released when the process ends, even by `kill -9`).
fn lock(dir: &Path) -> Result<std::fs::File> {
    use std::os::unix::io::AsRawFd;
    let p = dir.join(".lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .with_context(|| format!("{}: opening the archive's lock file", p.display()))?;
    // SAFETY: flock on a file descriptor this process owns.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        bail!(
            "{}: another exod alert is updating this archive (wait for it to finish)",
            dir.display()
        );
    }
    Ok(f)
}

/// Read the new observation: its lists, source list, OBS_ID, time and pointing.
fn read_new(a: &Args) -> Result<NewObs> {
    let mut srclist = a.srclist.clone();
    let files = super::detect::expand_pps_dirs(&a.files, &mut srclist)?;
    let files: Vec<PathBuf> = files
        .iter()
        .map(|f| {
            std::fs::canonicalize(f).with_context(|| format!("{}: no such event list", f.display()))
        })
        .collect::<Result<_>>()?;
    if srclist.is_none() {
        srclist = super::followup::obsmli_beside(&files);
    }
    let exposures = super::detect::read_lists(&files, false)?.lists;
    if exposures.is_empty() {
        bail!("no supported event list among {} file(s)", files.len());
    }
    let h = exposures[0].header();
    let obs_id = h.obs_id.clone().with_context(|| {
        format!(
            "{}: no OBS_ID keyword (the archive keys observations by it)",
            files[0].display()
        )
    })?;
    let mjd = obs_mjd(&exposures).with_context(|| {
        format!(
            "{}: no MJDREF/TSTART/TSTOP to date the observation",
            files[0].display()
        )
    })?;
    let pointing = (h.ra_pnt.unwrap_or(f64::NAN), h.dec_pnt.unwrap_or(f64::NAN));
    Ok(NewObs {
        exposures,
        files,
        srclist,
        obs_id,
        mjd,
        pointing,
    })
}

/// MJD of the middle of the span of the lists.
pub fn obs_mjd(exposures: &[exod_core::exposure::Exposure]) -> Option<f64> {
    let h = exposures.iter().map(|e| e.header());
    let t0 = h
        .clone()
        .filter_map(|h| h.tstart)
        .fold(f64::INFINITY, f64::min);
    let t1 = h
        .clone()
        .filter_map(|h| h.tstop)
        .fold(f64::NEG_INFINITY, f64::max);
    let mjdref = exposures.iter().find_map(|e| e.header().mjdref)?;
    (t0.is_finite() && t1.is_finite()).then(|| mjdref + 0.5 * (t0 + t1) / 86_400.0)
}

/// Run the EXOD search into `DIR/obs/<obsid>/detect` and read its detections back.
fn run_detect(a: &Args, obs: &NewObs) -> Result<Vec<exod_core::catalog::CatDetection>> {
    let out = a.archive.join("obs").join(&obs.obs_id).join("detect");
    std::fs::create_dir_all(out.parent().unwrap_or(&a.archive))?;
    let d = super::detect::Args {
        files: obs.files.clone(),
        srclist: obs.srclist.clone(),
        search: a.search.clone(),
        no_plots: false,
        obs_label: None,
        out: out.clone(),
        overwrite: true,
    };
    super::detect::run(d).context("the EXOD search of the new observation")?;
    let run = exod_io::detections_in::read_run(&out.join("detections.fits"))?;
    Ok(run.detections)
}
