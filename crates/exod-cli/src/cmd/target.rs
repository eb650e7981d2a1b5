//! The position a follow-up command (`exod lc`, `exod period`, later `exod spectrum`) works on:
//! given as RA/Dec, as a detection of an `exod detect` run, or as a source of a catalogue.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use exod_io::table_in::{parse_angle, read_table, TableOptions, ID_NAMES};

/// How the target is given (one of three ways).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TargetArgs {
    /// Target right ascension (degrees, or sexagesimal hours "10:00:28.6").
    #[arg(long, allow_hyphen_values = true, requires = "dec")]
    pub ra: Option<String>,
    /// Target declination (degrees, or sexagesimal "+02:12:21").
    #[arg(long, allow_hyphen_values = true, requires = "ra")]
    pub dec: Option<String>,
    /// A detection of an `exod detect` run: its DETID, its NAME, or its row number (1-based) in
    /// `--detections`.
    #[arg(long, requires = "detections", conflicts_with_all = ["ra", "source"])]
    pub detection: Option<String>,
    /// The `detections.fits` of an `exod detect` run (with `--detection`).
    #[arg(long)]
    pub detections: Option<PathBuf>,
    /// A source of a catalogue (`--catalog`), by the text of its name/id column.
    #[arg(long, requires = "catalog", conflicts_with = "ra")]
    pub source: Option<String>,
    /// A catalogue (FITS, CSV, ECSV, VOTable) with a name/id column and RA/Dec columns, e.g.
    /// `exod_sources.fits` of `exod catalog` (with `--source`).
    #[arg(long)]
    pub catalog: Option<PathBuf>,
    /// Name/id column of `--catalog` (default: the first of NAME, IAUNAME, SRCID, ID, … present).
    #[arg(long)]
    pub name_col: Option<String>,
}

/// A resolved target.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Target {
    /// Right ascension (deg).
    pub ra: f64,
    /// Declination (deg).
    pub dec: f64,
    /// How it was given, for captions and headers (e.g. a DETID or a name).
    pub label: String,
    /// For a detection: its flagged interval (mission s).
    pub window: Option<(f64, f64)>,
}

/// `--ra`/`--dec` as degrees or sexagesimal (RA in hours), checked to be on the sky.
pub fn parse_position(ra: &str, dec: &str) -> Result<(f64, f64)> {
    let r = parse_angle(ra, true)
        .filter(|r| (0.0..=360.0).contains(r))
        .with_context(|| format!("--ra {ra:?}: expected degrees in [0, 360] or hh:mm:ss"))?;
    let d = parse_angle(dec, false)
        .filter(|d| d.abs() <= 90.0)
        .with_context(|| format!("--dec {dec:?}: expected degrees in [-90, 90] or ±dd:mm:ss"))?;
    Ok((r, d))
}

/// Resolve the target of `a` (exactly one of the three ways must be given).
pub fn resolve(a: &TargetArgs) -> Result<Target> {
    match (&a.ra, &a.detection, &a.source) {
        (Some(ra), None, None) => {
            let (r, d) = parse_position(ra, a.dec.as_deref().unwrap_or_default())?;
            Ok(Target {
                ra: r,
                dec: d,
                label: format!("RA {r:.5} Dec {d:+.5}"),
                window: None,
            })
        }
        (None, Some(id), None) => from_detection(a.detections.as_ref().expect("clap"), id),
        (None, None, Some(name)) => from_catalog(a, name),
        _ => bail!("give the target as --ra/--dec, --detection with --detections, or --source with --catalog"),
    }
}

/// The detection `id` (DETID, NAME or 1-based row) of `detections.fits`.
fn from_detection(path: &std::path::Path, id: &str) -> Result<Target> {
    let run = exod_io::detections_in::read_run(path)?;
    let names = read_table(
        path,
        &TableOptions {
            hdu: Some("DETECTIONS".into()),
        },
    )
    .ok()
    .and_then(|t| t.find("NAME").map(|i| t.texts(i)))
    .unwrap_or_default();
    let row = run
        .detections
        .iter()
        .position(|d| d.detid == id)
        .or_else(|| names.iter().position(|n| n.trim() == id.trim()))
        .or_else(|| {
            id.parse::<usize>()
                .ok()
                .filter(|&k| k >= 1 && k <= run.detections.len())
                .map(|k| k - 1)
        });
    let Some(i) = row else {
        bail!(
            "{}: no detection {id:?} (expected a DETID, a NAME or a row number 1–{})",
            path.display(),
            run.detections.len()
        );
    };
    let d = &run.detections[i];
    Ok(Target {
        ra: d.ra,
        dec: d.dec,
        label: d.detid.clone(),
        window: Some((d.t_start, d.t_stop)),
    })
}

/// The source `name` of a catalogue.
fn from_catalog(a: &TargetArgs, name: &str) -> Result<Target> {
    let path = a.catalog.as_ref().expect("clap");
    let t = read_table(path, &TableOptions::default())?;
    let mut names = vec!["NAME", "IAUNAME", "SRCNAME", "SOURCE"];
    names.extend_from_slice(ID_NAMES);
    let cols: Vec<usize> = match &a.name_col {
        Some(c) => vec![t.pick(Some(c), &names, "name or id", "--name-col")?],
        None => names.iter().filter_map(|n| t.find(n)).collect(),
    };
    if cols.is_empty() {
        bail!(
            "{}: no name or id column among {} (columns are {}): give --name-col",
            path.display(),
            names.join(", "),
            t.names.join(", ")
        );
    }
    // the first candidate column that holds the name
    let mut found = None;
    for &c in &cols {
        let texts = t.texts(c);
        let rows: Vec<usize> = (0..texts.len())
            .filter(|&i| texts[i].trim() == name.trim())
            .collect();
        if !rows.is_empty() {
            found = Some((c, rows));
            break;
        }
    }
    let i = match found {
        Some((_, rows)) if rows.len() == 1 => rows[0],
        Some((c, rows)) => bail!(
            "{}: {} rows have {name:?} in column {}: give --ra/--dec instead",
            path.display(),
            rows.len(),
            t.names[c]
        ),
        None => bail!(
            "{}: no source {name:?} in column(s) {} ({} rows)",
            path.display(),
            cols.iter()
                .map(|&c| t.names[c].as_str())
                .collect::<Vec<_>>()
                .join(", "),
            t.len()
        ),
    };
    let (ra, dec) = t.positions(None, None)?;
    if !(ra[i].is_finite() && dec[i].is_finite()) {
        bail!("{}: source {name:?} has no position", path.display());
    }
    Ok(Target {
        ra: ra[i],
        dec: dec[i],
        label: name.trim().to_string(),
        window: None,
    })
}
