//! Running one unit (hash its inputs, reuse its folder or search it into a staging folder that
//! is moved into place when complete), isolated from the others: every failure, panics
//! included, becomes the unit's report.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use exod_core::search::DetectParams;
use serde_json::{json, Value};

use super::digest;
use super::plan::Unit;
use super::status::{Row, State};
use crate::cmd::detect::{self, ExposureRead, Refused, SearchArgs};

/// What every unit shares.
pub struct Ctx {
    /// `OUT/runs`.
    pub runs: PathBuf,
    pub search: SearchArgs,
    pub params: DetectParams,
    pub params_json: Value,
    pub plots: bool,
}

/// The outcome of one unit: its own row, then one row per exposure.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub unit: Row,
    pub exposures: Vec<Row>,
}

impl Ctx {
    /// The context of the units of a batch writing into `out` (`OUT/runs/<unit>/`).
    pub fn new(out: &std::path::Path, search: &SearchArgs, plots: bool) -> Result<Ctx> {
        let params = detect::params(search)?;
        Ok(Ctx {
            runs: out.join("runs"),
            search: search.clone(),
            params_json: serde_json::to_value(&params)?,
            params,
            plots,
        })
    }
}

fn row(u: &Unit, exposure: &str, state: State, reason: String) -> Row {
    Row {
        obsid: u.obsid.clone(),
        unit: Some((u.k, u.label.clone())),
        exposure: exposure.into(),
        state,
        reason,
        seconds: 0.0,
        events: 0,
        detections: 0,
    }
}

/// Run one unit; never panics, never returns an error: failures are the report.
pub fn run_unit(u: &Unit, ctx: &Ctx) -> Report {
    let t0 = Instant::now();
    let mut r = match catch_unwind(AssertUnwindSafe(|| try_unit(u, ctx))) {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => failed(u, format!("{e:#}")),
        Err(p) => failed(
            u,
            format!(
                "internal error (a bug of exod, please report it): {}",
                panic_message(p.as_ref())
            ),
        ),
    };
    r.unit.seconds = t0.elapsed().as_secs_f64();
    r
}

/// The message of a caught panic (its `&str` or `String` payload; empty otherwise).
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Every exposure of a failed unit shares the unit's reason unless it has its own.
fn failed(u: &Unit, reason: String) -> Report {
    Report {
        unit: row(u, "", State::Failed, reason.clone()),
        exposures: u
            .exposures
            .iter()
            .map(|e| {
                row(
                    u,
                    &e.name,
                    State::Failed,
                    format!("{}: unit {} failed: {reason}", e.path.display(), u.label),
                )
            })
            .collect(),
    }
}

fn try_unit(u: &Unit, ctx: &Ctx) -> Result<Report> {
    let files: Vec<PathBuf> = u.exposures.iter().map(|e| e.path.clone()).collect();
    let key = digest::key(&ctx.params_json, ctx.plots, &files, u.srclist.as_deref())?;
    let dest = ctx.runs.join(&u.label);
    if let Some(result) = digest::reusable(&dest, &key) {
        return Ok(reused(u, &result));
    }
    let stage = crate::staging::Staged::begin(&dest, true)?;
    let t_all = Instant::now();
    let lists = detect::read_lists(&files, true)?;
    let mut exposures: Vec<Row> = u
        .exposures
        .iter()
        .zip(&lists.reads)
        .map(|(e, r)| exposure_row(u, &e.name, r))
        .collect();
    if lists.lists.is_empty() {
        drop(stage);
        // an outdated folder of this unit would contradict the status: it goes
        let _ = std::fs::remove_dir_all(&dest);
        return Ok(Report {
            unit: no_usable(u, &exposures),
            exposures,
        });
    }
    let command = command(u, ctx, &files);
    let job = detect::Job {
        files: &files,
        srclist: u.srclist.as_deref(),
        label: Some(&u.label),
        command,
        plots: ctx.plots,
        rule: &ctx.search.rule,
        log_summary: false,
    };
    let out = detect::search_lists(lists, &job, &ctx.params, &stage, t_all, None)?;
    let n_det = out.result.detections.len() as u64;
    let mut unit = row(u, "", State::Done, String::new());
    unit.events = out.n_events as u64;
    unit.detections = n_det;
    let result = json!({
        "events": unit.events,
        "detections": n_det,
        "exposures": exposures.iter().map(|r| json!({"exposure": r.exposure, "state": r.state.as_str(), "reason": r.reason, "events": r.events})).collect::<Vec<_>>(),
    });
    digest::write(stage.path(), &key, &files, result)?;
    stage.commit()?;
    exposures.sort_by(|a, b| a.exposure.cmp(&b.exposure));
    Ok(Report { unit, exposures })
}

fn exposure_row(u: &Unit, name: &str, r: &ExposureRead) -> Row {
    let mut row = match &r.outcome {
        Ok(n) => {
            let mut x = row(u, name, State::Done, String::new());
            x.events = *n as u64;
            x
        }
        Err(Refused::Unsupported(why)) => row(u, name, State::Unsupported, why.clone()),
        Err(Refused::Failed(why)) => row(u, name, State::Failed, why.clone()),
    };
    row.seconds = r.seconds;
    row
}

/// The unit row when none of its exposures could be read: unsupported if all were refused for
/// their mode, else failed.
fn no_usable(u: &Unit, exposures: &[Row]) -> Row {
    let all_unsupported = exposures.iter().all(|r| r.state == State::Unsupported);
    let reasons: Vec<&str> = exposures.iter().map(|r| r.reason.as_str()).collect();
    let state = if all_unsupported {
        State::Unsupported
    } else {
        State::Failed
    };
    row(
        u,
        "",
        state,
        format!("no usable event list: {}", reasons.join("; ")),
    )
}

/// A reused folder: its recorded result.
fn reused(u: &Unit, result: &Value) -> Report {
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    let mut unit = row(u, "", State::Reused, String::new());
    unit.events = n(&result["events"]);
    unit.detections = n(&result["detections"]);
    let exposures = result["exposures"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or(&[])
        .iter()
        .map(|e| {
            let state = match e["state"].as_str() {
                Some("done") => State::Reused,
                Some("unsupported") => State::Unsupported,
                _ => State::Failed,
            };
            let mut r = row(
                u,
                e["exposure"].as_str().unwrap_or(""),
                state,
                e["reason"].as_str().unwrap_or("").into(),
            );
            r.events = n(&e["events"]);
            r
        })
        .collect();
    Report { unit, exposures }
}

/// The command recorded in the unit's outputs: the `exod detect` that makes the same search, its
/// `--out` relative to the batch output folder (the same for every batch, shard or rerun that
/// makes this unit, wherever the output folder is, so outputs are reproducible).
fn command(u: &Unit, ctx: &Ctx, files: &[PathBuf]) -> Vec<String> {
    let mut c: Vec<String> = vec!["exod".into(), "detect".into()];
    c.extend(files.iter().map(|f| f.display().to_string()));
    if let Some(s) = &u.srclist {
        c.extend(["--srclist".into(), s.display().to_string()]);
    }
    c.extend(ctx.search.as_options());
    if !ctx.plots {
        c.push("--no-plots".into());
    }
    c.extend(["--obs-label".into(), u.label.clone()]);
    c.extend(["--out".into(), format!("runs/{}", u.label)]);
    c
}
