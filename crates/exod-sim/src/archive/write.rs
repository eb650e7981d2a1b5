//! Writing an archive: every observation simulated (in parallel) into a scratch folder under the
//! root, its files moved into the layout's folder, its defect applied; then the archive's truth
//! and observation tables.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use exod_io::ecsv::{self, Column, Value};

use super::plan::Planned;
use super::{ArchiveConfig, ArchiveObs, ArchiveRow, Defect, Layout};
use crate::simulate::{epic_frame, simulate_in_mode, SimError, SimOutput, TruthRow, XMM_MJDREF};

/// A written observation and the simulator's truth rows of it.
pub(super) struct Written {
    pub(super) obs: ArchiveObs,
    pub(super) truth: Vec<TruthRow>,
}

/// The content of the `garbage` input: an HTML error page saved under an event list's name
/// (what a failed download leaves).
const GARBAGE: &str = "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n<body><h1>Service Unavailable</h1><p>The archive is busy; please try again later.</p></body></html>\n";

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: path.into(),
        source,
    }
}

/// Simulate and lay out every planned observation (in parallel; the output does not depend on
/// the order), then remove the scratch folder.
pub(super) fn write_all(
    cfg: &ArchiveConfig,
    planned: &[Planned],
    root: &Path,
) -> Result<Vec<Written>, SimError> {
    let scratch = root.join(".exod-archive-work");
    let written = planned
        .par_iter()
        .map(|p| write_one(cfg, p, root, &scratch))
        .collect::<Result<Vec<_>, _>>();
    let _ = std::fs::remove_dir_all(&scratch);
    written
}

/// The folder of an observation's files.
fn folder_of(cfg: &ArchiveConfig, root: &Path, obs_id: &str) -> PathBuf {
    match cfg.layout {
        Layout::Pps => root.join(obs_id).join("pps"),
        Layout::Flat => root.to_path_buf(),
    }
}

/// Simulate one observation into `scratch/<obsid>`, move its files into place and break it as
/// planned.
fn write_one(
    cfg: &ArchiveConfig,
    p: &Planned,
    root: &Path,
    scratch: &Path,
) -> Result<Written, SimError> {
    let sim = &p.sim;
    let work = scratch.join(&sim.obs_id);
    let _ = std::fs::remove_dir_all(&work);
    let mode = (p.defect == Some(Defect::Unsupported)).then_some(("TIMING", "PrimeTiming"));
    let out = simulate_in_mode(sim, &work, mode)?;
    let folder = folder_of(cfg, root, &sim.obs_id);
    std::fs::create_dir_all(&folder).map_err(io_err(&folder))?;
    let (mut files, mut good) = move_files(p, &out, &folder)?;
    let defect = match p.defect {
        None => None,
        Some(d) => Some((d, break_observation(d, &sim.obs_id, &folder, &mut good)?)),
    };
    if let Some((_, Some(f))) = &defect {
        if !files.contains(f) {
            files.push(f.clone());
        }
    }
    files.sort();
    let _ = std::fs::remove_dir_all(&work);
    let obs = ArchiveObs {
        obs_id: sim.obs_id.clone(),
        field: p.field,
        folder,
        pointing: (sim.ra, sim.dec),
        roll: sim.roll,
        span: (sim.tstart, sim.tstart + sim.exposure),
        files,
        good_event_files: good,
        defect,
        config: sim.clone(),
    };
    Ok(Written {
        obs,
        truth: out.truth,
    })
}

/// Move the simulator's files into `folder` (its truth renamed `P<obsid>_truth.ecsv`; an
/// `empty` observation keeps only its source list). Returns all files and the event lists.
fn move_files(
    p: &Planned,
    out: &SimOutput,
    folder: &Path,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), SimError> {
    let mv = |from: &Path, name: String| -> Result<PathBuf, SimError> {
        let to = folder.join(name);
        std::fs::rename(from, &to).map_err(io_err(&to))?;
        Ok(to)
    };
    let name = |f: &Path| f.file_name().map(|n| n.to_string_lossy().into_owned());
    let mut files = Vec::new();
    let mut events = Vec::new();
    let empty = p.defect == Some(Defect::Empty);
    if !empty {
        for f in &out.event_files {
            events.push(mv(f, name(f).unwrap_or_default())?);
        }
        files.extend(events.iter().cloned());
        files.push(mv(
            &out.truth_path,
            format!("P{}_truth.ecsv", p.sim.obs_id),
        )?);
    }
    files.push(mv(&out.srclist, name(&out.srclist).unwrap_or_default())?);
    Ok((files, events))
}

/// Apply defect `d` to the observation in `folder`: returns the file concerned, and removes it
/// from the `good` event lists.
fn break_observation(
    d: Defect,
    obs_id: &str,
    folder: &Path,
    good: &mut Vec<PathBuf>,
) -> Result<Option<PathBuf>, SimError> {
    match d {
        Defect::Corrupt => {
            let Some(f) = good.pop() else {
                return Ok(None);
            };
            let bytes = std::fs::read(&f).map_err(io_err(&f))?;
            std::fs::write(&f, &bytes[..bytes.len() / 2]).map_err(io_err(&f))?;
            Ok(Some(f))
        }
        Defect::Garbage => {
            let f = folder.join(format!("P{obs_id}M2S002MIEVLI0000.FTZ"));
            std::fs::write(&f, GARBAGE).map_err(io_err(&f))?;
            Ok(Some(f))
        }
        Defect::Unsupported => Ok(good.pop()),
        Defect::Empty => Ok(None),
    }
}

/// MJD of XMM mission time `t`.
fn mjd(t: f64) -> f64 {
    XMM_MJDREF + t / 86_400.0
}

/// The archive's truth: per observation its sources (when it has readable lists), bursts,
/// repeat and flicker, then its defect.
pub(super) fn truth_rows(
    planned: &[Planned],
    written: &[Written],
) -> Result<Vec<ArchiveRow>, SimError> {
    let mut rows = Vec::new();
    for (p, w) in planned.iter().zip(written) {
        let sim = &p.sim;
        let row = |kind: &str, t: &TruthRow, note: String| ArchiveRow {
            obs_id: sim.obs_id.clone(),
            kind: kind.into(),
            ra: t.ra,
            dec: t.dec,
            t_start: t.t_start,
            t_stop: t.t_stop,
            mjd_start: mjd(t.t_start),
            mjd_stop: mjd(t.t_stop),
            expected: t.expected,
            counts: t.counts,
            epic: epic_frame(t.ra, t.dec, sim.ra, sim.dec, sim.roll)
                .unwrap_or((f64::NAN, f64::NAN)),
            note,
        };
        let usable = !matches!(p.defect, Some(Defect::Unsupported | Defect::Empty));
        let mut n_burst = 0;
        for t in &w.truth {
            match t.kind.as_str() {
                "target" | "source" | "cluster" if usable => {
                    rows.push(row("source", t, format!("{}; {}", t.kind, t.note)))
                }
                "burst" => {
                    let kind = if p.repeat && n_burst == 0 {
                        "repeat"
                    } else {
                        "burst"
                    };
                    n_burst += 1;
                    rows.push(row(kind, t, t.note.clone()));
                }
                "hot_pixel" => rows.push(row("hot_pixel", t, t.note.clone())),
                _ => {}
            }
        }
        if let Some((d, file)) = &w.obs.defect {
            rows.push(defect_row(p, *d, file.as_deref()));
        }
    }
    Ok(rows)
}

/// The truth row of a bad observation: at its pointing, over its exposure.
fn defect_row(p: &Planned, d: Defect, file: Option<&Path>) -> ArchiveRow {
    let sim = &p.sim;
    let name = file
        .and_then(|f| f.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let note = match d {
        Defect::Corrupt => format!("{name}: truncated to half its bytes (the other event lists are intact); the reader must refuse it"),
        Defect::Garbage => format!("{name}: not FITS (an HTML error page); the other event lists are intact"),
        Defect::Unsupported => format!("{name}: the only event list, pn in timing mode (DATAMODE = TIMING, SUBMODE = PrimeTiming): refused as unsupported"),
        Defect::Empty => "no event list: only the OBSMLI source list".into(),
    };
    let (t0, t1) = (sim.tstart, sim.tstart + sim.exposure);
    ArchiveRow {
        obs_id: sim.obs_id.clone(),
        kind: d.kind().into(),
        ra: sim.ra,
        dec: sim.dec,
        t_start: t0,
        t_stop: t1,
        mjd_start: mjd(t0),
        mjd_stop: mjd(t1),
        expected: 0.0,
        counts: [0; 3],
        epic: (0.0, 0.0),
        note,
    }
}

/// The metadata of both archive tables.
fn meta(cfg: &ArchiveConfig) -> Vec<(&'static str, String)> {
    vec![
        ("software", format!("exod {}", env!("CARGO_PKG_VERSION"))),
        ("seed", cfg.seed.to_string()),
        ("config", serde_json::to_string(cfg).unwrap_or_default()),
        ("epic_frame", "x_E = 0.05 arcsec * ((X-X0) cos(-a) - (Y-Y0) sin(-a)), y_E = 0.05 arcsec * ((X-X0) sin(-a) + (Y-Y0) cos(-a)); X, Y the XMM sky pixel (TAN at RA_PNT/DEC_PNT, 0.05 arcsec, X0 = Y0 = 25921), a = PA_PNT".into()),
    ]
}

/// The columns of `archive_truth.ecsv`.
fn truth_columns() -> [Column; 15] {
    [
        Column::new("obs_id", "string", None, "observation identifier"),
        Column::new(
            "kind",
            "string",
            None,
            "source, burst, repeat, hot_pixel, corrupt, garbage, unsupported or empty",
        ),
        Column::new(
            "ra",
            "float64",
            Some("deg"),
            "right ascension (ICRS; the pointing for bad inputs)",
        ),
        Column::new(
            "dec",
            "float64",
            Some("deg"),
            "declination (ICRS; the pointing for bad inputs)",
        ),
        Column::new(
            "t_start",
            "float64",
            Some("s"),
            "start (XMM mission time, TT)",
        ),
        Column::new(
            "t_stop",
            "float64",
            Some("s"),
            "stop (XMM mission time, TT)",
        ),
        Column::new("mjd_start", "float64", Some("d"), "start (MJD, TT)"),
        Column::new("mjd_stop", "float64", Some("d"), "stop (MJD, TT)"),
        Column::new(
            "expected",
            "float64",
            Some("ct"),
            "expected counts: transients over all cameras; sources pn rate x exposure",
        ),
        Column::new("counts_pn", "int64", Some("ct"), "realised pn counts"),
        Column::new("counts_m1", "int64", Some("ct"), "realised MOS1 counts"),
        Column::new("counts_m2", "int64", Some("ct"), "realised MOS2 counts"),
        Column::new(
            "epic_x",
            "float64",
            Some("arcsec"),
            "EPIC-frame x_E of (ra, dec) in this observation",
        ),
        Column::new(
            "epic_y",
            "float64",
            Some("arcsec"),
            "EPIC-frame y_E of (ra, dec) in this observation",
        ),
        Column::new(
            "note",
            "string",
            None,
            "profile, rates, detector pixel, file and reason",
        ),
    ]
}

/// Write `archive_truth.ecsv`.
pub(super) fn write_truth(
    cfg: &ArchiveConfig,
    rows: &[ArchiveRow],
    path: &Path,
) -> Result<(), SimError> {
    let cols = truth_columns();
    let cells: Vec<Vec<Value>> = rows
        .iter()
        .map(|r| {
            vec![
                Value::S(r.obs_id.clone()),
                Value::S(r.kind.clone()),
                Value::F(r.ra),
                Value::F(r.dec),
                Value::F(r.t_start),
                Value::F(r.t_stop),
                Value::F(r.mjd_start),
                Value::F(r.mjd_stop),
                Value::F(r.expected),
                Value::I(r.counts[0] as i64),
                Value::I(r.counts[1] as i64),
                Value::I(r.counts[2] as i64),
                Value::F(r.epic.0),
                Value::F(r.epic.1),
                Value::S(r.note.clone()),
            ]
        })
        .collect();
    ecsv::write(path, &cols, &cells, &meta(cfg)).map_err(io_err(path))
}

/// The columns of `archive_observations.ecsv`.
fn observation_columns() -> [Column; 13] {
    [
        Column::new("obs_id", "string", None, "observation identifier"),
        Column::new(
            "field",
            "int64",
            None,
            "field index (overlapping pointings share it)",
        ),
        Column::new(
            "folder",
            "string",
            None,
            "folder of its files, relative to the archive root",
        ),
        Column::new("ra_pnt", "float64", Some("deg"), "RA_PNT"),
        Column::new("dec_pnt", "float64", Some("deg"), "DEC_PNT"),
        Column::new("pa_pnt", "float64", Some("deg"), "PA_PNT (roll angle)"),
        Column::new(
            "t_start",
            "float64",
            Some("s"),
            "start (XMM mission time, TT; MOS)",
        ),
        Column::new(
            "t_stop",
            "float64",
            Some("s"),
            "stop (XMM mission time, TT; MOS)",
        ),
        Column::new("mjd_start", "float64", Some("d"), "start (MJD, TT)"),
        Column::new("revolution", "int64", None, "REVOLUT"),
        Column::new(
            "n_good_lists",
            "int64",
            None,
            "event lists the reader accepts",
        ),
        Column::new(
            "defect",
            "string",
            None,
            "corrupt, garbage, unsupported, empty, or empty string",
        ),
        Column::new("defect_file", "string", None, "the bad file"),
    ]
}

/// Write `archive_observations.ecsv`: one row per observation.
pub(super) fn write_observations(
    cfg: &ArchiveConfig,
    obs: &[ArchiveObs],
    root: &Path,
    path: &Path,
) -> Result<(), SimError> {
    let cols = observation_columns();
    let rel = |p: &Path| {
        p.strip_prefix(root)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| p.display().to_string())
    };
    let cells: Vec<Vec<Value>> = obs
        .iter()
        .map(|o| {
            let (kind, file) = match &o.defect {
                Some((d, f)) => (d.kind().to_string(), f.as_deref().map(rel)),
                None => (String::new(), None),
            };
            vec![
                Value::S(o.obs_id.clone()),
                Value::I(o.field as i64),
                Value::S(rel(&o.folder)),
                Value::F(o.pointing.0),
                Value::F(o.pointing.1),
                Value::F(o.roll),
                Value::F(o.span.0),
                Value::F(o.span.1),
                Value::F(mjd(o.span.0)),
                Value::I(o.config.revolution),
                Value::I(o.good_event_files.len() as i64),
                Value::S(kind),
                Value::S(file.unwrap_or_default()),
            ]
        })
        .collect();
    ecsv::write(path, &cols, &cells, &meta(cfg)).map_err(io_err(path))
}
