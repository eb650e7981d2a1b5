//! `exod followup`: one command from a source to its follow-up report (issue 14; what seeds 000
//! and 001 do by hand): counterparts from local catalogues with their chance-coincidence
//! probability, the Gaia distance, fluxes, L_X, F_X/F_opt, log(f_x/f_v), the X-ray main-sequence
//! position, the light curve and periodogram (`exod lc`, `exod period`), the spectrum and its fits
//! (`exod spectrum`, `exod fit`), and explainable class hints — as `DIR/report.html` (one
//! self-contained page) and `DIR/report.json`.
//!
//! The steps that need event lists run the same code as their own commands, into sub-folders of
//! `DIR` (`lc/`, `period/`, `spectrum/`, `fit/`); a step that cannot run says "not run: why" in
//! the report, and the report is still written. `--all CATALOG` writes one report per source and
//! an index page (`DIR/index.html`, sortable, with the best class hint of each).

mod page;
mod science;
mod steps;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

/// Arguments of `exod followup`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Event lists of the source's observation (pn, MOS1, MOS2 or a PPS folder); without them
    /// the timing and spectral sections say "not run".
    pub files: Vec<PathBuf>,
    /// The source: a DETID, NAME or row (1-based) of `--detections`, or a name/id of an exod
    /// catalogue given as `--detections`.
    #[arg(long, requires = "detections", conflicts_with = "ra")]
    pub source: Option<String>,
    /// `detections.fits` of `exod detect`, or a source catalogue (`exod catalog` output, any
    /// FITS/CSV/VOTable with a name column and RA/Dec).
    #[arg(long)]
    pub detections: Option<PathBuf>,
    /// Source right ascension (degrees or hh:mm:ss).
    #[arg(long, allow_hyphen_values = true, requires = "dec")]
    pub ra: Option<String>,
    /// Source declination (degrees or ±dd:mm:ss).
    #[arg(long, allow_hyphen_values = true, requires = "ra")]
    pub dec: Option<String>,
    /// 1σ X-ray position error (arcsec; default 1.5″, the XMM-Newton systematic floor).
    #[arg(long, default_value_t = 1.5)]
    pub pos_err: f64,
    /// Counterpart catalogue, `FILE` or `KIND=FILE` with KIND gaia, simbad, 4xmm, suss, other
    /// (default: guessed from the columns: parallax → gaia, main_id → simbad, EP_8_FLUX → 4xmm).
    #[arg(long = "catalog")]
    pub catalogs: Vec<String>,
    /// Also query Gaia DR3 (ESA archive TAP) and SIMBAD (CDS TAP) around the source, cached in
    /// `--cache` (a cached answer needs no network).
    #[arg(long)]
    pub online: bool,
    /// Cache folder of the online queries (default $XDG_CACHE_HOME/exod/online, else
    /// ~/.cache/exod/online).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Radius of the online cone searches (arcsec; the chance-probability annulus reaches 5′).
    #[arg(long, default_value_t = 300.0)]
    pub online_radius: f64,
    /// Write the reports of every source of this catalogue (exod catalogue or detections file)
    /// into DIR/<name>/, with DIR/index.html.
    #[arg(long, conflicts_with_all = ["source", "ra"])]
    pub all: Option<PathBuf>,
    /// X-ray flux 0.2–12 keV (erg/cm²/s) to use instead of the spectral fit's, `VALUE[,ERROR]`.
    #[arg(long, allow_hyphen_values = true)]
    pub fx: Option<String>,
    /// X-ray flux 0.3–3.5 keV (erg/cm²/s) for log(f_x/f_v), `VALUE[,ERROR]`.
    #[arg(long, allow_hyphen_values = true)]
    pub fx_03_35: Option<String>,
    /// N_H along the line of sight (1e22 cm⁻²), reported and frozen in the fits (default: fitted).
    #[arg(long)]
    pub nh: Option<f64>,
    /// Use G as m_v in log(f_x/f_v) (the seeds' convention) instead of V from G and BP−RP.
    #[arg(long)]
    pub g_as_v: bool,
    /// Parallax zero point (mas) subtracted from Gaia parallaxes (Lindegren et al. 2021).
    #[arg(long, default_value_t = -0.017, allow_hyphen_values = true)]
    pub parallax_zp: f64,
    /// Class table (CSV, the columns of crates/exod-core/data/classes/classes.csv).
    #[arg(long)]
    pub classes: Option<PathBuf>,
    /// Spectral models fitted (XSPEC expressions).
    #[arg(long = "model", default_values_t = ["tbabs*powerlaw".to_string(), "tbabs*bbody".to_string(), "tbabs*bremss".to_string()])]
    pub models: Vec<String>,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace an existing report.
    #[arg(long)]
    pub overwrite: bool,
}

/// The source a report is about.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Source {
    /// Name shown in the report.
    pub name: String,
    /// Right ascension (deg).
    pub ra: f64,
    /// Declination (deg).
    pub dec: f64,
    /// 1σ position error (arcsec).
    pub pos_err_arcsec: f64,
    /// Where it came from.
    pub origin: String,
    /// The detection's flagged interval (mission s), if a detection.
    pub window: Option<(f64, f64)>,
    /// How to select it for the commands it runs (`--detection`/`--source`/`--ra`).
    #[serde(skip)]
    pub select: Vec<String>,
}

pub fn run(a: Args) -> Result<()> {
    if let Some(cat) = &a.all {
        return steps::run_all(&a, cat);
    }
    let src = resolve(&a)?;
    let doc = report_one(&a, &src, &a.out)?;
    println!(
        "{}: report.html and report.json ({} counterparts; best class hint: {})",
        a.out.display(),
        doc["counterparts"].as_array().map_or(0, |c| c.len()),
        doc["class_hints"][0]["class"].as_str().unwrap_or("none")
    );
    Ok(())
}

/// Resolve `--source`/`--detections` or `--ra`/`--dec` into a [`Source`].
fn resolve(a: &Args) -> Result<Source> {
    use super::target::{resolve as resolve_target, TargetArgs};
    let (t, select, origin) = match (&a.source, &a.ra) {
        (Some(name), None) => {
            let det = a.detections.clone().context("--source needs --detections")?;
            let as_det = TargetArgs {
                detection: Some(name.clone()),
                detections: Some(det.clone()),
                ..Default::default()
            };
            match resolve_target(&as_det) {
                Ok(t) => (t, vec!["--detection".into(), name.clone(), "--detections".into(), path_arg(&det)], det),
                Err(_) => {
                    let as_cat = TargetArgs {
                        source: Some(name.clone()),
                        catalog: Some(det.clone()),
                        ..Default::default()
                    };
                    let t = resolve_target(&as_cat).with_context(|| {
                        format!("{}: no detection or catalogue source {name:?}", det.display())
                    })?;
                    (t, vec!["--source".into(), name.clone(), "--catalog".into(), path_arg(&det)], det)
                }
            }
        }
        (None, Some(ra)) => {
            let ta = TargetArgs {
                ra: Some(ra.clone()),
                dec: a.dec.clone(),
                ..Default::default()
            };
            let t = resolve_target(&ta)?;
            let sel = vec![format!("--ra={}", t.ra), format!("--dec={}", t.dec)];
            (t, sel, PathBuf::from("--ra/--dec"))
        }
        _ => bail!("give the source as --source NAME --detections FILE, or --ra RA --dec DEC (or --all CATALOG)"),
    };
    if !(a.pos_err.is_finite() && a.pos_err > 0.0) {
        bail!(
            "--pos-err {}: expected a positive number of arcsec",
            a.pos_err
        );
    }
    Ok(Source {
        name: t.label.clone(),
        ra: t.ra,
        dec: t.dec,
        pos_err_arcsec: a.pos_err,
        origin: origin.display().to_string(),
        window: t.window,
        select,
    })
}

fn path_arg(p: &Path) -> String {
    p.display().to_string()
}

/// Every step for one source, then `dir/report.json` and `dir/report.html`; returns the JSON.
pub fn report_one(a: &Args, src: &Source, dir: &Path) -> Result<Value> {
    prepare_dir(dir, a.overwrite)?;
    let products = steps::run_steps(a, src, dir);
    let sci = science::compute(a, src, &products)?;
    let doc = science::to_json(src, &sci, &products);
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    exod_io::fits::write_atomic(&dir.join("report.json"), |p| std::fs::write(p, &text))
        .with_context(|| format!("{}: cannot write", dir.join("report.json").display()))?;
    let html = page::document(src, &sci, &products)?;
    exod_io::html::write_html(&dir.join("report.html"), &html)?;
    Ok(doc)
}

/// Create `dir`; refuse a previous report unless `overwrite`.
fn prepare_dir(dir: &Path, overwrite: bool) -> Result<()> {
    if dir.join("report.json").exists() && !overwrite {
        bail!(
            "{}: a report exists already (expected a new folder, or --overwrite)",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))
}

/// `VALUE[,ERROR]` of a flux option.
fn parse_measured(s: &str, what: &str) -> Result<(f64, f64)> {
    let mut it = s.split(',').map(|x| x.trim().parse::<f64>());
    let v = it.next().and_then(|r| r.ok());
    let e = it.next().map(|r| r.ok());
    match (v, e) {
        (Some(v), None) if v.is_finite() && v > 0.0 => Ok((v, f64::NAN)),
        (Some(v), Some(Some(e))) if v.is_finite() && v > 0.0 && e >= 0.0 => Ok((v, e)),
        _ => bail!("{what} {s:?}: expected VALUE or VALUE,ERROR with VALUE > 0 (erg/cm²/s)"),
    }
}

/// A JSON number, null when not finite.
fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}
