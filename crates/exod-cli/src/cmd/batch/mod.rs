//! `exod batch`: the EXOD search over many observations — discovery, grouping into run units,
//! sharding, bounded-memory parallel workers, per-unit failure isolation, resumable outputs.
//! Layout, states and formats: docs/batch.md.

pub mod digest;
pub mod discover;
pub mod plan;
pub mod schedule;
pub mod status;
pub mod worker;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::cmd::detect::{self, SearchArgs};
use status::{Row, State, Status};

const AFTER_HELP: &str = "\
Output: OUT/runs/<obsid>_<k>/ (the files of exod detect, plus digest.json), OUT/status.ecsv \
(OUT/status-shard-I-of-N.ecsv with --shard), OUT/batch.json (batch-shard-I-of-N.json). \
A unit is a subset of one observation's EPIC exposures that overlap in time ([TSTART, TSTOP]); \
its DETIDs start with <obsid>_<k>.

States in status.ecsv: done, reused (complete folder made from the same inputs, parameters and \
exod version), failed (unreadable/damaged file, search error, internal error), unsupported \
(mode exod does not search), no_events, duplicate (second file of the same name), missing \
(obsid or path of --list not found, or an observation with a source list but no event list), pending (not finished: the batch was killed).

Memory: a unit is estimated at 15 MB + 66 bytes per EVENTS row (NAXIS2 of its lists) + 400 \
bytes per sky cell (15,400 cells at 20″ for EPIC); units start only while the sum of the estimates of the running units stays under --memory-budget \
(one unit always runs). A rerun reuses finished units and recomputes the others.

Sharding: a unit belongs to shard (FNV-1a 64 of its obsid) mod N + 1: all units of an obsid go \
to the same shard, and the assignment does not change when the archive grows.

Exit status: 0 when the batch ran to its end, even if some units failed (see status.ecsv); \
1 for an output-folder error or when no event list is found; 2 for a usage error; 128+N when \
interrupted by signal N (unfinished run folders removed, finished ones kept).";

#[derive(clap::Args, Clone)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Archive trees (<obsid>/pps/P<obsid>…), flat folders of P<obsid>* files, or event lists;
    /// with --list, the roots its obsids are looked up under.
    pub inputs: Vec<PathBuf>,
    /// A text file of paths or obsids (10 digits), one per line; `#` starts a comment.
    #[arg(long)]
    pub list: Option<PathBuf>,
    #[command(flatten)]
    pub search: SearchArgs,
    /// Draw the PNG plots of every unit (off by default).
    #[arg(long)]
    pub plots: bool,
    /// Output folder (created; finished units found there are reused).
    #[arg(long)]
    pub out: PathBuf,
    /// Units searched at the same time (default: the number of cores).
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Memory budget (MB) for the units running at the same time (default: half the physical
    /// memory, /proc/meminfo).
    #[arg(long)]
    pub memory_budget: Option<f64>,
    /// Process only shard I of N (1-based): the units whose obsid's FNV-1a 64 hash mod N is I-1.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,
}

fn parse_shard(s: &str) -> std::result::Result<(usize, usize), String> {
    let bad = || format!("{s:?}: expected I/N with 1 ≤ I ≤ N (e.g. 3/100)");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n) = (
        i.trim().parse::<usize>().map_err(|_| bad())?,
        n.trim().parse::<usize>().map_err(|_| bad())?,
    );
    if i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Half the physical memory (MB), from /proc/meminfo (4096 MB if unknown).
pub fn default_budget_mb() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let l = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            l.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map(|kb| kb / 1024.0 / 2.0)
        .unwrap_or(4096.0)
}

fn pools() -> schedule::Pools {
    match std::env::var("EXOD_BATCH_POOLS").as_deref() {
        Ok("worker") => schedule::Pools::PerWorker,
        _ => schedule::Pools::Global,
    }
}

/// A planned batch: its units (this shard's), the workers' context and the status table with
/// the refusals of discovery and planning and every unit pending (written, with batch.json, by
/// [`Batch::plan`]). `exod batch` runs the units on threads ([`schedule::run`]), the Python
/// package (`exod.dask`) on Dask workers ([`worker::run_unit`] in each); both record every
/// report with [`Batch::record`], which rewrites status.ecsv.
pub struct Batch {
    pub units: Vec<plan::Unit>,
    pub ctx: worker::Ctx,
    /// Units searched at the same time, memory budget (MB), as recorded in batch.json.
    pub jobs: usize,
    pub budget_mb: f64,
    status: Status,
    t0: Instant,
}

impl Batch {
    /// Discovery, headers, units of this shard; batch.json and the first status table written,
    /// stale staging folders of the units removed. `command` is recorded in batch.json and
    /// status.ecsv (`exod batch` gives its command line).
    pub fn plan(a: &Args, command: &[String]) -> Result<Batch> {
        let params = detect::params(&a.search)?;
        if a.inputs.is_empty() && a.list.is_none() {
            bail!("no input: give archive folders, event lists, or --list FILE");
        }
        let runs = a.out.join("runs");
        std::fs::create_dir_all(&runs)
            .with_context(|| format!("{}: cannot create the output folder", runs.display()))?;
        let t0 = Instant::now();
        let jobs = a.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        let budget_mb = a.memory_budget.unwrap_or_else(default_budget_mb);
        let (units, status) = plan_batch(a, &params, (jobs, budget_mb), command)?;
        tracing::info!(
            "{} unit(s) of {} observation(s) planned in {:.1} s",
            units.len(),
            units
                .iter()
                .map(|u| &u.obsid)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            t0.elapsed().as_secs_f64(),
        );
        for u in &units {
            crate::staging::remove_stale(&runs.join(&u.label));
        }
        let ctx = worker::Ctx::new(&a.out, &a.search, a.plots)?;
        Ok(Batch {
            units,
            ctx,
            jobs,
            budget_mb,
            status,
            t0,
        })
    }

    /// Record the report of a unit and rewrite status.ecsv.
    pub fn record(&mut self, r: worker::Report) -> Result<()> {
        self.status.set(r.unit);
        for e in r.exposures {
            self.status.set(e);
        }
        self.status.write()
    }

    /// Units per state (done, reused, failed, …), the summary logged.
    pub fn finish(&self) -> std::collections::BTreeMap<&'static str, usize> {
        let counts = self.status.unit_counts();
        let c = |s: &str| counts.get(s).copied().unwrap_or(0);
        tracing::info!(
            "batch finished in {:.1} s: {} unit(s): {} done, {} reused, {} failed, {} unsupported → {}",
            self.t0.elapsed().as_secs_f64(),
            self.units.len(),
            c("done"),
            c("reused"),
            c("failed"),
            c("unsupported"),
            self.ctx.runs.parent().unwrap_or(&self.ctx.runs).display()
        );
        counts
    }
}

/// Run the batch. Errors only for the output folder and the inputs as a whole.
pub fn run(a: Args, quiet: bool) -> Result<()> {
    let command: Vec<String> = std::env::args().collect();
    let mut b = Batch::plan(&a, &command)?;
    let pb = progress_bar(b.units.len(), quiet);
    let mut write_err = None;
    let units = std::mem::take(&mut b.units);
    let ctx = worker::Ctx::new(&a.out, &a.search, a.plots)?;
    schedule::run(&units, &ctx, b.jobs, b.budget_mb, pools(), |r| {
        pb.suspend(|| log_unit(&r));
        if let Err(e) = b.record(r) {
            write_err.get_or_insert(e);
        }
        pb.inc(1);
    });
    b.units = units;
    pb.finish_and_clear();
    if let Some(e) = write_err {
        return Err(e);
    }
    b.finish();
    Ok(())
}

fn in_shard(shard: Option<(usize, usize)>, obsid: &str) -> bool {
    shard.is_none_or(|(i, n)| obsid.is_empty() || plan::shard_of(obsid, n) == i)
}

/// Discovery, headers, units of this shard; batch.json and the first status table written.
fn plan_batch(
    a: &Args,
    params: &exod_core::search::DetectParams,
    (jobs, budget): (usize, f64),
    command: &[String],
) -> Result<(Vec<plan::Unit>, Status)> {
    let found = discover::discover(&a.inputs, a.list.as_deref(), &a.out)?;
    if found.lists.is_empty() && found.refused.is_empty() {
        bail!("no XMM-Newton EPIC event list (P<obsid>…PIEVLI…/…MIEVLI…) under the inputs");
    }
    let in_shard = |obsid: &str| in_shard(a.shard, obsid);
    let lists: Vec<_> = found
        .lists
        .iter()
        .filter(|f| in_shard(&f.obsid))
        .cloned()
        .collect();
    let mut dropped = Vec::new();
    let exps = plan::read_headers(&lists, &mut dropped);
    // the memory plan needs a cell: the one given, else EPIC's 20″ (batch archives are EPIC's)
    let cell = if params.cell_arcsec > 0.0 {
        params.cell_arcsec
    } else {
        20.0
    };
    let units = plan::units(exps, &found.srclists, cell);
    let suffix = a
        .shard
        .map(|(i, n)| format!("-shard-{i}-of-{n}"))
        .unwrap_or_default();
    let bj = a.out.join(format!("batch{suffix}.json"));
    write_batch_json(a, params, &bj, &units, (jobs, budget), command)?;
    let mut st = Status::new(
        &a.out.join(format!("status{suffix}.ecsv")),
        meta(a, command),
    );
    initial_rows(&mut st, &found, &dropped, &units, &in_shard);
    st.write()?;
    Ok((units, st))
}

fn progress_bar(n: usize, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(n as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {pos}/{len} units, ETA {eta}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

/// `<unit>: done, 3 exposures, 123456 events, 4 detections, 2.1 s` (or the reason).
pub fn log_unit(r: &worker::Report) {
    let u = &r.unit;
    let label = u.unit.as_ref().map(|x| x.1.as_str()).unwrap_or("");
    match u.state {
        State::Done | State::Reused => tracing::info!(
            "{label}: {}, {} exposures, {} events, {} detections, {:.1} s",
            u.state.as_str(),
            r.exposures.len(),
            u.events,
            u.detections,
            u.seconds
        ),
        _ => tracing::warn!("{label}: {}: {}", u.state.as_str(), u.reason),
    }
}

fn meta(a: &Args, command: &[String]) -> Vec<(String, String)> {
    let mut m = vec![
        (
            "software".to_string(),
            format!("exod {}", env!("CARGO_PKG_VERSION")),
        ),
        ("command".to_string(), command.join(" ")),
    ];
    if let Some((i, n)) = a.shard {
        m.push(("shard".into(), format!("{i}/{n}")));
    }
    m
}

/// Rows known before any search: refusals of discovery and planning, units pending.
fn initial_rows(
    st: &mut Status,
    found: &discover::Discovery,
    dropped: &[plan::Dropped],
    units: &[plan::Unit],
    in_shard: &dyn Fn(&str) -> bool,
) {
    let base = |obsid: &str, exposure: &str, state, reason: &str| Row {
        obsid: obsid.into(),
        unit: None,
        exposure: exposure.into(),
        state,
        reason: reason.into(),
        seconds: 0.0,
        events: 0,
        detections: 0,
    };
    for r in found.refused.iter().filter(|r| in_shard(&r.obsid)) {
        let state = r.state;
        st.set(base(&r.obsid, &r.exposure, state, &r.reason));
    }
    for d in dropped {
        st.set(base(&d.obsid, &d.name, d.state, &d.reason));
    }
    // an observation none of whose lists could be used gets a row of its own
    let obsids: std::collections::BTreeSet<&str> =
        dropped.iter().map(|d| d.obsid.as_str()).collect();
    for o in obsids {
        if !units.iter().any(|u| u.obsid == o) {
            st.set(base(
                o,
                "",
                State::Failed,
                &format!("obsid {o}: no usable EPIC event list (see its exposure rows)"),
            ));
        }
    }
    for u in units {
        let mut r = base(&u.obsid, "", State::Pending, "");
        r.unit = Some((u.k, u.label.clone()));
        st.set(r);
        for e in &u.exposures {
            let mut x = base(&u.obsid, &e.name, State::Pending, "");
            x.unit = Some((u.k, u.label.clone()));
            st.set(x);
        }
    }
}

fn write_batch_json(
    a: &Args,
    p: &exod_core::search::DetectParams,
    path: &Path,
    units: &[plan::Unit],
    (jobs, budget): (usize, f64),
    command: &[String],
) -> Result<()> {
    let v = serde_json::json!({
        "software": format!("exod {}", env!("CARGO_PKG_VERSION")),
        "command": command,
        "inputs": a.inputs,
        "list": a.list,
        "parameters": p,
        "plots": a.plots,
        "shard": a.shard.map(|(i, n)| serde_json::json!({"index": i, "count": n})),
        "units": units.len(),
        "jobs": jobs,
        "memory_budget_mb": budget,
        "memory_estimate": {"base_mb": plan::BASE_MB, "bytes_per_row": plan::BYTES_PER_ROW, "bytes_per_cell": plan::BYTES_PER_CELL, "epic_cells_at_20_arcsec": plan::EPIC_CELLS_AT_20, "units_mb": units.iter().map(|u| u.est_mb).sum::<f64>()},
    });
    let text = serde_json::to_string_pretty(&v)? + "\n";
    exod_io::fits::write_atomic(path, |tmp| std::fs::write(tmp, &text))
        .with_context(|| format!("{}: cannot write", path.display()))
}
