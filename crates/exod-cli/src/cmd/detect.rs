//! `exod detect`: the EXOD transient search on one observation's event lists.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use exod_core::band::Band;
use exod_core::exposure::Exposure;
use exod_core::observation::Observation;
use exod_core::search::{self as detect, DetectParams, SearchResult};
use exod_core::stats::Rule;
use exod_io::events::{self, ReadOptions};
use exod_io::srclist;

/// The search parameters shared by `exod detect` and `exod batch` (and the Python package).
#[derive(clap::Args, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SearchArgs {
    /// Time bins (s), comma-separated.
    #[arg(long, default_value = "5,50,200", value_delimiter = ',')]
    pub tbin: Vec<f64>,
    /// Energy bands (keV), comma-separated LO-HI (default: the instrument's — EPIC
    /// 0.2-2,2-12,0.2-12; ACIS 0.5-2,2-7,0.5-7; XRT 0.3-2,2-10,0.3-10; NuSTAR 3-10,10-79,3-79;
    /// eROSITA 0.2-2.3,2.3-5,0.2-5).
    #[arg(long, value_delimiter = ',')]
    pub band: Vec<String>,
    /// Detection threshold (σ-equivalent); every detection reports its own σ.
    #[arg(long, default_value_t = 3.0)]
    pub sigma: f64,
    /// Decision rule: exod2 (EXOD2's calibrated counts, default) or exact (bare Bayes factor).
    #[arg(long, default_value = "exod2")]
    pub rule: String,
    /// Cell size (arcsec; default: the instrument's — EPIC 20, ACIS 2, XRT 24, NuSTAR 60,
    /// eROSITA 20, chosen from the PSF: see docs/missions.md).
    #[arg(long)]
    pub cell: Option<f64>,
    /// Frames kept on each side of a detection's flagged frames in lightcurves.fits.
    #[arg(long, default_value_t = 100)]
    pub lc_window: usize,
    /// Largest number of frames of one run (t_bins that would make more are refused).
    #[arg(long, default_value_t = exod_core::grid::MAX_FRAMES)]
    pub max_frames: usize,
    /// Store every detection's light curve over the whole observation (lightcurves.fits then
    /// grows as detections × frames).
    #[arg(long)]
    pub full_lightcurves: bool,
}

impl Default for SearchArgs {
    fn default() -> Self {
        SearchArgs {
            tbin: vec![5.0, 50.0, 200.0],
            band: Vec::new(),
            sigma: 3.0,
            rule: "exod2".into(),
            cell: None,
            lc_window: 100,
            max_frames: exod_core::grid::MAX_FRAMES,
            full_lightcurves: false,
        }
    }
}

impl SearchArgs {
    /// The options as `exod detect` takes them (recorded in the outputs of `exod batch`).
    pub fn as_options(&self) -> Vec<String> {
        let join = |v: Vec<String>| v.join(",");
        let mut o = vec![
            "--tbin".into(),
            join(self.tbin.iter().map(|t| t.to_string()).collect()),
        ];
        if !self.band.is_empty() {
            o.extend(["--band".into(), join(self.band.clone())]);
        }
        o.extend([
            "--sigma".into(),
            self.sigma.to_string(),
            "--rule".into(),
            self.rule.clone(),
        ]);
        if let Some(c) = self.cell {
            o.extend(["--cell".into(), c.to_string()]);
        }
        if self.full_lightcurves {
            o.push("--full-lightcurves".into());
        } else {
            o.extend(["--lc-window".into(), self.lc_window.to_string()]);
        }
        o.extend(["--max-frames".into(), self.max_frames.to_string()]);
        o
    }
}

#[derive(clap::Args, Clone)]
pub struct Args {
    /// Event lists of one observation (pn, MOS1, MOS2; FITS, gzip-compressed or not).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Source list (EPIC OBSMLI FITS, or CSV with ra/dec) used to mask constant sources.
    #[arg(long)]
    pub srclist: Option<PathBuf>,
    #[command(flatten)]
    pub search: SearchArgs,
    /// Do not draw PNG plots.
    #[arg(long)]
    pub no_plots: bool,
    /// Label of the observation in the detection IDs (DETID = LABEL_band_tbin_rank; default:
    /// the OBS_ID of the first list).
    #[arg(long)]
    pub obs_label: Option<String>,
    /// Output directory (written as a whole: a staging folder is moved into place when complete).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace a non-empty output directory (its files stay until the new outputs are complete).
    #[arg(long)]
    pub overwrite: bool,
}

pub struct Outcome {
    pub result: SearchResult,
    /// Events searched (all cameras, after screening).
    pub n_events: usize,
}

/// Why an event list was not searched.
#[derive(Debug, Clone)]
pub enum Refused {
    /// A mode or instrument exod does not search (timing, burst, small window …).
    Unsupported(String),
    /// Unreadable, damaged or empty.
    Failed(String),
}

/// How one event list was read: its events after screening, or why it was refused.
#[derive(Debug, Clone)]
pub struct ExposureRead {
    pub seconds: f64,
    pub outcome: std::result::Result<usize, Refused>,
}

/// The event lists of one observation, read.
pub struct Lists {
    pub lists: Vec<Exposure>,
    pub reads: Vec<ExposureRead>,
    /// Reading time (s).
    pub seconds: f64,
}

/// What a search records besides its science: inputs, label, command line, plots.
pub struct Job<'a> {
    /// Every event list given (refused ones included), as recorded in run.json.
    pub files: &'a [PathBuf],
    pub srclist: Option<&'a Path>,
    /// DETID prefix (None: the OBS_ID of the first list, or "obs").
    pub label: Option<&'a str>,
    /// The command line recorded in the outputs (program first).
    pub command: Vec<String>,
    pub plots: bool,
    /// The --rule option as given.
    pub rule: &'a str,
    /// Log the search summary at info level (`exod detect`), else at debug level.
    pub log_summary: bool,
}

static FITS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Held around every use of cfitsio (reading lists and headers, writing FITS outputs): its
/// process-global lock once deadlocked when two threads used it, so `exod batch`'s workers take
/// turns for their I/O and run their searches in parallel.
pub fn fits_lock() -> std::sync::MutexGuard<'static, ()> {
    FITS.lock().unwrap_or_else(|e| e.into_inner())
}

fn progress(msg: &str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// The search parameters of the options; bands and cell left unset (empty, 0) when not given,
/// for [`DetectParams::for_instrument`] to fill from the instrument searched.
pub fn params(a: &SearchArgs) -> Result<DetectParams> {
    let bands = a
        .band
        .iter()
        .map(|b| Band::parse(b).map_err(anyhow::Error::from))
        .collect::<Result<Vec<_>>>()?;
    for &t in &a.tbin {
        if !(t > 0.0 && t.is_finite()) {
            bail!("--tbin {t}: time bins must be positive numbers of seconds");
        }
    }
    let rule = match a.rule.as_str() {
        "exod2" => Rule::Exod2Parity,
        "exact" => Rule::Exact,
        other => bail!("--rule {other:?}: expected exod2 or exact"),
    };
    Ok(DetectParams {
        cell_arcsec: a.cell.unwrap_or(0.0),
        tbins: a.tbin.clone(),
        bands,
        sigma: a.sigma,
        rule,
        lightcurve_window: (!a.full_lightcurves).then_some(a.lc_window),
        max_frames: a.max_frames,
        ..DetectParams::default()
    })
}

/// Run the search, writing into a staging folder that replaces `--out` when complete.
pub fn run(mut a: Args) -> Result<Outcome> {
    a.files = expand_pps_dirs(&a.files, &mut a.srclist)?;
    let stage = crate::staging::Staged::begin(&a.out, a.overwrite)?;
    let outcome = run_in(&a, &stage)?;
    stage.commit()?;
    tracing::info!(
        "{} detections → {}",
        outcome.result.detections.len(),
        a.out.display()
    );
    Ok(outcome)
}

/// An EPIC event-list file name (`…PIEVLI…`, `…MIEVLI…`), not a response or spectrum written
/// beside it (`X.rmf`, `X.arf` of `exod simulate`, `.rsp`, `.pha`, `.pi`).
pub fn is_event_list_name(name: &str) -> bool {
    let u = name.to_ascii_uppercase();
    let beside = [".RMF", ".ARF", ".RSP", ".PHA", ".PI"]
        .iter()
        .any(|e| u.ends_with(e));
    (u.contains("PIEVLI") || u.contains("MIEVLI")) && !beside
}

/// Event lists of PPS folders given as inputs: `P<obsid>…{PN,M1,M2}…{PIEVLI,MIEVLI}….FTZ` (and
/// `.FIT`, `.fits`), and their `…OBSMLI…` source list when `--srclist` is not given.
pub fn expand_pps_dirs(inputs: &[PathBuf], srclist: &mut Option<PathBuf>) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for i in inputs {
        if !i.is_dir() {
            files.push(i.clone());
            continue;
        }
        let mut names: Vec<PathBuf> = std::fs::read_dir(i)
            .with_context(|| format!("{}: cannot list the folder", i.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        let name_of = |p: &Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().to_ascii_uppercase())
                .unwrap_or_default()
        };
        let lists: Vec<PathBuf> = names
            .iter()
            .filter(|p| is_event_list_name(&name_of(p)))
            .cloned()
            .collect();
        if lists.is_empty() {
            bail!(
                "{}: no EPIC event list (P<obsid>…PIEVLI…/…MIEVLI…) in the folder",
                i.display()
            );
        }
        if srclist.is_none() {
            *srclist = names
                .iter()
                .find(|p| name_of(p).contains("OBSMLI"))
                .cloned();
        }
        files.extend(lists);
    }
    Ok(files)
}

fn run_in(a: &Args, stage: &crate::staging::Staged) -> Result<Outcome> {
    let p = params(&a.search)?;
    let t_all = Instant::now();
    let pb = progress("reading event lists");
    let lists = read_lists(&a.files, false)?;
    if lists.lists.is_empty() {
        bail!("no supported event list among {} file(s)", a.files.len());
    }
    let job = Job {
        files: &a.files,
        srclist: a.srclist.as_deref(),
        label: a.obs_label.as_deref(),
        command: std::env::args().collect(),
        plots: !a.no_plots,
        rule: &a.search.rule,
        log_summary: true,
    };
    let outcome = search_lists(lists, &job, &p, stage, t_all, Some(&pb))?;
    pb.finish_and_clear();
    Ok(outcome)
}

/// Read the event lists of one observation. An unsupported exposure (timing, burst, small
/// window) is skipped with its reason, the others are still searched; any other error stops the
/// reading, unless `lenient` (then the list is recorded as failed and the others are read).
pub fn read_lists(files: &[PathBuf], lenient: bool) -> Result<Lists> {
    let t0 = Instant::now();
    let mut lists = Vec::new();
    let mut reads = Vec::new();
    for f in files {
        let t = Instant::now();
        let read = {
            let _io = fits_lock();
            events::read(f, &ReadOptions::default())
        };
        let outcome = match read {
            Ok(l) => {
                let n = l.len();
                lists.push(l);
                Ok(n)
            }
            Err(e @ exod_io::IoError::Unsupported { .. }) => {
                if lenient {
                    tracing::debug!("skipping {e}");
                } else {
                    tracing::warn!("skipping {e}");
                }
                Err(Refused::Unsupported(e.to_string()))
            }
            Err(e) if lenient => Err(Refused::Failed(e.to_string())),
            Err(e) => return Err(e.into()),
        };
        reads.push(ExposureRead {
            seconds: t.elapsed().as_secs_f64(),
            outcome,
        });
    }
    Ok(Lists {
        lists,
        reads,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Refuse a mission without an instrument description (it is not searched with EPIC's rules)
/// and lists of several missions; the input warnings of each list, for run.json.
fn checked_inputs(lists: &[Exposure]) -> Result<Vec<serde_json::Value>> {
    let first = lists[0].instrument()?;
    for l in lists {
        let i = l.instrument()?;
        if i.mission() != first.mission() {
            bail!(
                "{}: a {} list cannot be searched with the {} list {} (one observation, one mission)",
                l.path().display(),
                i.mission().name(),
                first.mission().name(),
                lists[0].path().display()
            );
        }
    }
    Ok(lists
        .iter()
        .filter(|l| !l.warnings().is_empty())
        .map(|l| serde_json::json!({"file": l.path(), "warnings": l.warnings()}))
        .collect())
}

/// A search done, its outputs not written yet ([`search_read`], then [`write_searched`]).
pub struct Searched {
    pub result: SearchResult,
    /// The binned events (the image and light curves are drawn from it).
    pub obs: Observation,
    /// The header facts of the outputs (also the units and frame of the detection table).
    pub ctx: exod_io::output::OutputContext,
    /// Input warnings, for run.json.
    pub warnings: Vec<serde_json::Value>,
    /// Reading, binning and search times (s).
    pub seconds: [f64; 3],
    /// The DETID prefix used.
    pub label: String,
    /// The parameters searched with (bands and cell filled from the instrument).
    pub params: DetectParams,
}

/// Search the lists read by [`read_lists`] (at least one); `say` hears the stage names
/// (`binning`, `searching …`).
pub fn search_read(
    read: Lists,
    job: &Job,
    p: &DetectParams,
    say: &dyn Fn(String),
) -> Result<Searched> {
    let lists = read.lists;
    let warnings = checked_inputs(&lists)?;
    let p = &p.for_instrument(lists[0].instrument()?);
    let t_read = read.seconds;
    let sources = match job.srclist {
        Some(s) => {
            let _io = fits_lock();
            Some(srclist::read_sources(s)?)
        }
        None => None,
    };
    say("binning".into());
    let t0 = Instant::now();
    let ev = Observation::new(&lists, p.cell_arcsec)?;
    let obs = match job.label {
        Some(l) => l.to_string(),
        None => lists[0]
            .header()
            .obs_id
            .clone()
            .unwrap_or_else(|| "obs".into()),
    };
    let t_bin = t0.elapsed().as_secs_f64();
    let ctx = exod_io::output::OutputContext::new(&lists, &ev, job.command.iter())
        .with_param("SIGMA", p.sigma, "detection threshold (sigma-equivalent)")
        .with_param("RULE", job.rule, "decision rule (exod2 or exact)");
    drop(lists);
    say(format!(
        "searching {} band × t_bin runs",
        p.bands.len() * p.tbins.len()
    ));
    let t0 = Instant::now();
    let result = detect::search(&ev, sources.as_deref(), p, &obs)?;
    let t_search = t0.elapsed().as_secs_f64();
    Ok(Searched {
        result,
        obs: ev,
        ctx,
        warnings,
        seconds: [t_read, t_bin, t_search],
        label: obs,
        params: p.clone(),
    })
}

/// Search the lists read by [`read_lists`] (at least one) and write the outputs and run.json
/// into `stage` (`t_all`: when the work began, for the total time).
pub fn search_lists(
    read: Lists,
    job: &Job,
    p: &DetectParams,
    stage: &crate::staging::Staged,
    t_all: Instant,
    pb: Option<&indicatif::ProgressBar>,
) -> Result<Outcome> {
    let say = |m: String| {
        if let Some(pb) = pb {
            pb.set_message(m);
        }
    };
    let searched = search_read(read, job, p, &say)?;
    say("writing outputs".into());
    write_searched(&searched, job, stage, t_all)?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    Ok(Outcome {
        n_events: searched.obs.len(),
        result: searched.result,
    })
}

/// Write the outputs of a search and its run.json into `stage`, and log its summary.
pub fn write_searched(
    s: &Searched,
    job: &Job,
    stage: &crate::staging::Staged,
    t_all: Instant,
) -> Result<()> {
    let (res, ev, p) = (&s.result, &s.obs, &s.params);
    let [t_read, t_bin, t_search] = s.seconds;
    let t0 = Instant::now();
    let out = stage.path();
    let mut written = {
        let _io = fits_lock();
        exod_io::output::write_all(out, res, ev, &s.ctx)?
    };
    if job.plots {
        written.extend(exod_plot::figures::write_plots(out, ev, res)?);
    }
    let t_write = t0.elapsed().as_secs_f64();
    let outputs: Vec<PathBuf> = written.iter().map(|p| stage.final_path(p)).collect();
    let timings = [
        t_read,
        t_bin,
        t_search,
        t_write,
        t_all.elapsed().as_secs_f64(),
    ];
    let run = RunFacts {
        job,
        p,
        ev,
        res,
        warnings: s.warnings.clone(),
        timings,
        outputs,
    };
    write_run_json(&out.join("run.json"), run)?;
    let line = format!(
        "{} detections in {} runs ({} events; read {:.2} s, search {:.2} s)",
        res.detections.len(),
        res.runs.len(),
        ev.len(),
        t_read,
        t_search,
    );
    if job.log_summary {
        tracing::info!("{line}");
    } else {
        tracing::debug!("{}: {line}", s.label);
    }
    Ok(())
}

/// What run.json records of a search.
struct RunFacts<'a> {
    job: &'a Job<'a>,
    p: &'a DetectParams,
    ev: &'a Observation,
    res: &'a SearchResult,
    warnings: Vec<serde_json::Value>,
    /// read, bin, search, write, total (s).
    timings: [f64; 5],
    outputs: Vec<PathBuf>,
}

fn write_run_json(rp: &Path, f: RunFacts) -> Result<()> {
    let (job, p, ev, res) = (f.job, f.p, f.ev, f.res);
    let [t_read, t_bin, t_search, t_write, t_total] = f.timings;
    let run_json = serde_json::json!({
        "software": format!("exod {}", env!("CARGO_PKG_VERSION")),
        "command": job.command,
        "inputs": {"event_files": job.files, "srclist": job.srclist, "warnings": f.warnings},
        "parameters": p,
        "events_per_camera": ev.cameras().iter().map(|c| serde_json::json!({"camera": c.label, "events": c.n_events})).collect::<Vec<_>>(),
        "grid": {"nx": ev.grid().nx, "ny": ev.grid().ny, "cell_arcsec": ev.grid().cell_arcsec},
        "runs": res.runs,
        "n_detections": res.detections.len(),
        "timings_s": {"read": t_read, "bin": t_bin, "search": t_search, "write": t_write, "total": t_total, "peak_rss_mb": super::peak_rss_mb()},
        "outputs": f.outputs,
    });
    write_text(rp, &serde_json::to_string_pretty(&run_json)?)
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    exod_io::fits::write_atomic(path, |tmp| std::fs::write(tmp, text))
        .with_context(|| format!("writing {}", path.display()))
}

pub fn print_table(res: &SearchResult) {
    println!(
        "{:<34} {:<8} {:>7} {:>5} {:>10} {:>10} {:>6} {:>5} {:>8} {:>6} {:>4}",
        "name", "kind", "band", "tbin", "ra", "dec", "err\"", "N_reg", "mu_reg", "sigma", "BTI"
    );
    for d in &res.detections {
        println!(
            "{:<34} {:<8} {:>7} {:>5} {:>10.5} {:>10.5} {:>6.1} {:>5} {:>8.3} {:>6.2} {:>4}",
            d.name,
            d.kind.as_str(),
            d.band,
            d.tbin,
            d.ra,
            d.dec,
            d.pos_err,
            d.region_n,
            d.region_mu,
            d.sigma,
            if d.bti { "yes" } else { "" }
        );
    }
}
