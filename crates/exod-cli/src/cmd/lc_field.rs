//! `exod lc --ignore-wcs`: the whole-field light curve of every event of each file — no sky
//! region, no background, no PSF — for lists whose positions cannot be used (a malformed WCS:
//! the NuSTAR solar list of `testdata/real` has `TCRVL = '0.0'` as a string and TCDLT in arcsec
//! labelled deg). Events and GTIs come from `exod_io::timing_in` (TIME and the GTI extensions;
//! every row, no screening), the live fraction from the EVENTS `DEADC` keyword (1 without it).
//! Outputs as `exod lc`: `lc.fits` (OGIP RATE + GTI per file), `lc.ecsv`, `lc.json`; each says
//! that positions were ignored.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use exod_core::timing::lightcurve::{BinGrid, CurveInput, LcParams, LightCurve};
use exod_io::context::MjdRef;
use exod_io::lc_out::{write_ecsv, write_fits, LcFileMeta};
use exod_io::timing_in::{read_event_times, TimingEvents};

use super::lc::Args;

/// What the outputs say about the curve.
pub const NOTE: &str = "whole-field light curve (--ignore-wcs): every event of the file, no sky region and no background subtraction; the positions of the list were not used";

/// The live fraction of a list: EVENTS `DEADC`, else 1.
fn live_fraction(path: &Path) -> Result<f64> {
    let mut f = exod_io::fits::Fits::open(path)?;
    f.select("EVENTS", "the event table").ok();
    let d = f.num("DEADC", "the dead-time correction (live fraction)")?;
    match d {
        Some(d) if d > 0.0 && d <= 1.0 => Ok(d),
        Some(d) => bail!(
            "{}: DEADC = {d}: expected a live fraction in (0, 1]",
            path.display()
        ),
        None => Ok(1.0),
    }
}

/// The curve of one file on `grid`.
fn curve(ev: &TimingEvents, live: f64, grid: &BinGrid, params: &LcParams) -> Result<LightCurve> {
    let name = ev.instrument.clone().unwrap_or_else(|| "ALL".into());
    let input = CurveInput {
        src_times: &ev.times,
        bkg_times: &[],
        backscal_ratio: 0.0,
        gti: &ev.gti,
        live_fraction: live,
        eef: f64::NAN,
    };
    Ok(LightCurve::from_events(&name, &name, &input, grid, params)?)
}

/// The header facts of the curves' files.
fn meta(ev: &TimingEvents, command: &str) -> LcFileMeta {
    let mut m = LcFileMeta::from_exposures(&[], f64::NAN, f64::NAN, (f64::NAN, f64::NAN), command);
    m.telescope = ev.telescope.clone().unwrap_or_else(|| "UNKNOWN".into());
    m.object = Some("whole field (positions ignored)".into());
    let (day, frac) = ev.time_ref.mjdref_parts();
    m.mjdref = Some(if frac == 0.0 {
        MjdRef::Single(day)
    } else {
        MjdRef::Split {
            integer: day,
            fraction: frac,
        }
    });
    m.timesys = ev.time_ref.timesys.keyword().to_string();
    m.timeref = ev.time_ref.timeref.keyword().to_string();
    m.timezero = ev.time_ref.timezero;
    m
}

/// Run `exod lc --ignore-wcs`.
pub fn run(a: &Args, params: &LcParams) -> Result<()> {
    if a.barycenter || a.flare {
        bail!("--ignore-wcs makes a whole-field curve: --barycenter (needs a position) and --flare are not available with it");
    }
    let mut events = vec![];
    for p in &a.files {
        let ev = read_event_times(p)?;
        for w in &ev.warnings {
            tracing::warn!("{}: {w}", p.display());
        }
        events.push((live_fraction(p)?, ev));
    }
    tracing::warn!("{NOTE}");
    let gtis: Vec<_> = events.iter().map(|(_, e)| &e.gti).collect();
    let grid = BinGrid::covering(&gtis, a.tbin, a.t0)?;
    let curves = events
        .iter()
        .map(|(l, e)| curve(e, *l, &grid, params))
        .collect::<Result<Vec<_>>>()?;
    let stage = crate::staging::Staged::begin(&a.out, a.overwrite)?;
    let meta = meta(&events[0].1, &super::command_line());
    let dir = stage.path();
    write_fits(&dir.join("lc.fits"), &curves, None, &meta)?;
    write_ecsv(&dir.join("lc.ecsv"), &curves, None, &meta)?;
    let summary = summary(&a.files, &events, &curves);
    let text = serde_json::to_string_pretty(&summary)? + "\n";
    std::fs::write(dir.join("lc.json"), &text)
        .with_context(|| format!("{}: cannot write", dir.join("lc.json").display()))?;
    stage.commit()?;
    if a.json {
        print!("{text}");
    } else {
        for c in &curves {
            let n: u64 = c.counts.iter().sum();
            println!(
                "{:<6} {} bins of {} s, {n} events, live time {:.1} s",
                c.camera,
                c.len(),
                a.tbin,
                c.exposure()
            );
        }
        println!("{NOTE}\n{}", a.out.display());
    }
    Ok(())
}

fn summary(
    files: &[PathBuf],
    events: &[(f64, TimingEvents)],
    curves: &[LightCurve],
) -> serde_json::Value {
    let per: Vec<_> = files
        .iter()
        .zip(events)
        .zip(curves)
        .map(|((f, (live, e)), c)| {
            serde_json::json!({"file": f, "instrument": e.instrument, "events": e.times.len(),
                "gti_source": e.gti_source, "live_fraction": live, "exposure_s": c.exposure(),
                "bins": c.len(), "counts": c.counts, "warnings": e.warnings})
        })
        .collect();
    serde_json::json!({"mode": "whole field", "note": NOTE, "tbin_s": curves[0].grid.tbin,
        "t0": curves[0].grid.start(0), "files": per})
}
