//! The steps of a report that run other commands (`exod lc`, `exod period`, `exod spectrum`,
//! `exod fit`) into sub-folders, each allowed to fail ("not run: why"), and `--all`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Parser;
use rayon::prelude::*;
use serde_json::Value;

use super::{report_one, Args, Source};

/// What the steps produced (paths of their outputs), or why they did not run.
#[derive(Debug, Default)]
pub struct Products {
    /// `lc/lc.json` and `lc/lc.png`.
    pub lc: Step,
    /// `period/period.json` and `period/periodogram.png`.
    pub period: Step,
    /// `fit/fits.json` and `fit/fit.png` (the spectrum of the camera with most counts).
    pub fit: Step,
}

/// One step's outcome.
#[derive(Debug, Default)]
pub enum Step {
    /// Not attempted or failed: the reason.
    #[default]
    NoEvents,
    Failed(String),
    Done {
        json: Value,
        png: Vec<(String, PathBuf)>,
    },
}

impl Step {
    /// The reason shown for a step that did not run.
    pub fn reason(&self) -> Option<String> {
        match self {
            Step::NoEvents => Some("no event lists given".into()),
            Step::Failed(e) => Some(e.clone()),
            Step::Done { .. } => None,
        }
    }
}

#[derive(Parser)]
struct LcCmd {
    #[command(flatten)]
    a: crate::cmd::lc::Args,
}
#[derive(Parser)]
struct PeriodCmd {
    #[command(flatten)]
    a: crate::cmd::period::Args,
}
#[derive(Parser)]
struct SpectrumCmd {
    #[command(flatten)]
    a: crate::cmd::spectrum::Args,
}
#[derive(Parser)]
struct FitCmd {
    #[command(flatten)]
    a: crate::cmd::fit::Args,
}

fn argv(cmd: &str, files: &[PathBuf], rest: &[String]) -> Vec<String> {
    let mut v = vec![cmd.to_string()];
    v.extend(files.iter().map(|f| f.display().to_string()));
    v.extend(rest.iter().cloned());
    v
}

/// `cmd FILES… <target selection> --out OUT --overwrite`: a timing command on the source.
fn target_argv(cmd: &str, a: &Args, src: &Source, out: &Path) -> Vec<String> {
    let mut rest = src.select.clone();
    rest.extend([
        "--out".into(),
        out.display().to_string(),
        "--overwrite".into(),
    ]);
    argv(cmd, &a.files, &rest)
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))
}

fn done(json_path: &Path, pngs: &[(&str, PathBuf)]) -> Result<Step> {
    Ok(Step::Done {
        json: read_json(json_path)?,
        png: pngs
            .iter()
            .filter(|(_, p)| p.exists())
            .map(|(c, p)| (c.to_string(), p.clone()))
            .collect(),
    })
}

fn outcome(r: Result<Step>) -> Step {
    r.unwrap_or_else(|e| Step::Failed(format!("{e:#}")))
}

/// Run the timing and spectral steps of `src` into `dir`.
pub fn run_steps(a: &Args, src: &Source, dir: &Path) -> Products {
    if a.files.is_empty() {
        return Products::default();
    }
    Products {
        lc: outcome(light_curve(a, src, &dir.join("lc"))),
        period: outcome(period(a, src, &dir.join("period"))),
        fit: outcome(spectrum_and_fit(a, src, dir)),
    }
}

fn light_curve(a: &Args, src: &Source, out: &Path) -> Result<Step> {
    let c = LcCmd::try_parse_from(target_argv("lc", a, src, out))?;
    crate::cmd::lc::run(c.a)?;
    done(
        &out.join("lc.json"),
        &[("Light curve (exod lc)", out.join("lc.png"))],
    )
}

fn period(a: &Args, src: &Source, out: &Path) -> Result<Step> {
    let c = PeriodCmd::try_parse_from(target_argv("period", a, src, out))?;
    crate::cmd::period::run(c.a)?;
    done(
        &out.join("period.json"),
        &[
            (
                "Periodogram (exod period, Z²₂)",
                out.join("periodogram.png"),
            ),
            ("Folded profile at the best period", out.join("profile.png")),
        ],
    )
}

/// `exod spectrum` (grouped to ≥ 1 count) then `exod fit` of the camera with most counts.
fn spectrum_and_fit(a: &Args, src: &Source, dir: &Path) -> Result<Step> {
    let sdir = dir.join("spectrum");
    std::fs::create_dir_all(&sdir).with_context(|| format!("{}: cannot create", sdir.display()))?;
    let mut rest = src.select.clone();
    rest.extend([
        "--out".into(),
        sdir.join("src").display().to_string(),
        "--overwrite".into(),
        "--group-min".into(),
        "1".into(),
    ]);
    let c = SpectrumCmd::try_parse_from(argv("spectrum", &a.files, &rest))?;
    crate::cmd::spectrum::run(c.a)?;
    let pha = best_spectrum(&sdir)?;
    let fdir = dir.join("fit");
    let mut rest = vec![pha.display().to_string()];
    for m in &a.models {
        rest.extend(["--model".into(), m.clone()]);
    }
    rest.extend([
        "--flux-band".into(),
        "0.2-12,0.3-3.5".into(),
        "--energy".into(),
        "0.2-12".into(),
    ]);
    if let Some(nh) = a.nh {
        rest.extend([
            "--set".into(),
            format!("nH={nh}"),
            "--freeze".into(),
            "nH".into(),
        ]);
    }
    rest.extend([
        "--out".into(),
        fdir.display().to_string(),
        "--overwrite".into(),
    ]);
    let c = FitCmd::try_parse_from(std::iter::once("fit".to_string()).chain(rest))?;
    crate::cmd::fit::run(c.a)?;
    done(
        &fdir.join("fits.json"),
        &[("Spectrum and fits (exod fit)", fdir.join("fit.png"))],
    )
}

/// The source spectrum with most counts among `dir/src_*_src.pha`.
fn best_spectrum(dir: &Path) -> Result<PathBuf> {
    let mut best: Option<(f64, PathBuf)> = None;
    for e in std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))? {
        let p = e?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !(name.starts_with("src_") && name.ends_with("_src.pha")) {
            continue;
        }
        let s = exod_io::ogip::read_pha(&p)?;
        let n: f64 = s.counts.iter().sum();
        if best.as_ref().is_none_or(|(m, _)| n > *m) {
            best = Some((n, p));
        }
    }
    match best {
        Some((n, p)) if n > 0.0 => Ok(p),
        _ => bail!("{}: no source spectrum with counts", dir.display()),
    }
}

/// `--all CATALOG`: a report per source (in parallel), then `index.html`.
pub fn run_all(a: &Args, cat: &Path) -> Result<()> {
    let names = catalogue_names(cat)?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("{}: cannot create", a.out.display()))?;
    let results: Vec<(String, Result<Value>)> = names
        .par_iter()
        .map(|n| {
            let one = Args {
                source: Some(n.clone()),
                detections: Some(cat.to_path_buf()),
                all: None,
                ..a.clone()
            };
            let dir = a.out.join(safe_name(n));
            let r = super::resolve(&one).and_then(|s| report_one(&one, &s, &dir));
            (n.clone(), r)
        })
        .collect();
    let page = super::page::index(&results);
    exod_io::html::write_html(&a.out.join("index.html"), &page)?;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(n, r)| r.as_ref().err().map(|e| format!("{n}: {e:#}")))
        .collect();
    println!(
        "{}: {} reports and index.html{}",
        a.out.display(),
        results.len() - failed.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!("; failed: {}", failed.join("; "))
        }
    );
    Ok(())
}

/// The source names of a catalogue or detections file (DETID, else NAME, IAUNAME …), each once.
fn catalogue_names(path: &Path) -> Result<Vec<String>> {
    use exod_io::table_in::{read_table, TableOptions};
    let mut hdus = vec![None];
    hdus.insert(0, Some("DETECTIONS".to_string()));
    for hdu in hdus {
        let Ok(t) = read_table(path, &TableOptions { hdu: hdu.clone() }) else {
            continue;
        };
        // DETID first: a detections file repeats a source's NAME for each band and t_bin
        for col in ["DETID", "NAME", "IAUNAME", "SRCNAME", "SOURCE", "ID"] {
            if let Some(i) = t.find(col) {
                let mut seen = std::collections::BTreeSet::new();
                let v: Vec<String> = t
                    .texts(i)
                    .into_iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty() && seen.insert(s.clone()))
                    .collect();
                if !v.is_empty() {
                    return Ok(v);
                }
            }
        }
    }
    bail!(
        "{}: no source names (expected a NAME, DETID or IAUNAME column)",
        path.display()
    )
}

/// A folder name for a source name (`/` and spaces replaced).
pub fn safe_name(n: &str) -> String {
    n.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
