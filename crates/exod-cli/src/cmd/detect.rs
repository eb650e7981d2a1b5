//! `exod detect`: the EXOD transient search on one observation's event lists.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use exod_core::band::Band;
use exod_core::observation::Observation;
use exod_core::search::{self as detect, DetectParams, SearchResult};
use exod_core::stats::Rule;
use exod_io::events::{self, ReadOptions};
use exod_io::srclist;

#[derive(clap::Args, Clone)]
pub struct Args {
    /// Event lists of one observation (pn, MOS1, MOS2; FITS, gzip-compressed or not).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Source list (EPIC OBSMLI FITS, or CSV with ra/dec) used to mask constant sources.
    #[arg(long)]
    pub srclist: Option<PathBuf>,
    /// Time bins (s), comma-separated.
    #[arg(long, default_value = "5,50,200", value_delimiter = ',')]
    pub tbin: Vec<f64>,
    /// Energy bands (keV), comma-separated LO-HI.
    #[arg(long, default_value = "0.2-2,2-12,0.2-12", value_delimiter = ',')]
    pub band: Vec<String>,
    /// Detection threshold (σ-equivalent); every detection reports its own σ.
    #[arg(long, default_value_t = 3.0)]
    pub sigma: f64,
    /// Decision rule: exod2 (EXOD2's calibrated counts, default) or exact (bare Bayes factor).
    #[arg(long, default_value = "exod2")]
    pub rule: String,
    /// Cell size (arcsec).
    #[arg(long, default_value_t = 20.0)]
    pub cell: f64,
    /// Do not draw PNG plots.
    #[arg(long)]
    pub no_plots: bool,
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
    /// Output directory (written as a whole: a staging folder is moved into place when complete).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace a non-empty output directory (its files stay until the new outputs are complete).
    #[arg(long)]
    pub overwrite: bool,
}

pub struct Outcome {
    pub result: SearchResult,
}

fn progress(msg: &str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

pub fn params(a: &Args) -> Result<DetectParams> {
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
        cell_arcsec: a.cell,
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
    let dest = std::mem::replace(&mut a.out, stage.path().to_path_buf());
    let outcome = run_in(a, &stage)?;
    stage.commit()?;
    tracing::info!(
        "{} detections → {}",
        outcome.result.detections.len(),
        dest.display()
    );
    Ok(outcome)
}

/// Event lists of PPS folders given as inputs: `P<obsid>…{PN,M1,M2}…{PIEVLI,MIEVLI}….FTZ` (and
/// `.FIT`, `.fits`), and their `…OBSMLI…` source list when `--srclist` is not given.
fn expand_pps_dirs(inputs: &[PathBuf], srclist: &mut Option<PathBuf>) -> Result<Vec<PathBuf>> {
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
            .filter(|p| {
                let n = name_of(p);
                n.contains("EVLI") && (n.contains("PIEVLI") || n.contains("MIEVLI"))
            })
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

fn run_in(a: Args, stage: &crate::staging::Staged) -> Result<Outcome> {
    let p = params(&a)?;
    let t_all = Instant::now();
    let pb = progress("reading event lists");
    let t0 = Instant::now();
    // an unsupported exposure (timing, burst, small window) is skipped with its reason; the
    // other exposures of the observation are still searched
    let mut lists = Vec::new();
    for f in &a.files {
        match events::read(f, &ReadOptions::default()) {
            Ok(l) => lists.push(l),
            Err(e @ exod_io::IoError::Unsupported { .. }) => {
                tracing::warn!("skipping {e}");
            }
            Err(e) => return Err(e.into()),
        }
    }
    if lists.is_empty() {
        bail!("no supported event list among {} file(s)", a.files.len());
    }
    // a mission without an instrument description is refused, not searched with EPIC's rules
    for l in &lists {
        l.instrument()?;
    }
    let input_warnings: Vec<_> = lists
        .iter()
        .filter(|l| !l.warnings().is_empty())
        .map(|l| serde_json::json!({"file": l.path(), "warnings": l.warnings()}))
        .collect();
    let t_read = t0.elapsed().as_secs_f64();
    let sources = match &a.srclist {
        Some(s) => Some(srclist::read_sources(s)?),
        None => None,
    };
    pb.set_message("binning");
    let t0 = Instant::now();
    let ev = Observation::new(&lists, p.cell_arcsec)?;
    let obs = lists[0]
        .header()
        .obs_id
        .clone()
        .unwrap_or_else(|| "obs".into());
    let t_bin = t0.elapsed().as_secs_f64();
    let out_ctx = exod_io::output::OutputContext::new(&lists, &ev, std::env::args())
        .with_param("SIGMA", p.sigma, "detection threshold (sigma-equivalent)")
        .with_param("RULE", a.rule.as_str(), "decision rule (exod2 or exact)");
    drop(lists);
    pb.set_message(format!(
        "searching {} band × t_bin runs",
        p.bands.len() * p.tbins.len()
    ));
    let t0 = Instant::now();
    let res = detect::search(&ev, sources.as_deref(), &p, &obs)?;
    let t_search = t0.elapsed().as_secs_f64();
    pb.set_message("writing outputs");
    let t0 = Instant::now();
    let mut written = exod_io::output::write_all(&a.out, &res, &ev, &out_ctx)?;
    if !a.no_plots {
        written.extend(exod_plot::figures::write_plots(&a.out, &ev, &res)?);
    }
    let t_write = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    let run_json = serde_json::json!({
        "software": format!("exod {}", env!("CARGO_PKG_VERSION")),
        "command": std::env::args().collect::<Vec<_>>(),
        "inputs": {"event_files": a.files, "srclist": a.srclist, "warnings": input_warnings},
        "parameters": p,
        "events_per_camera": ev.cameras().iter().map(|c| serde_json::json!({"camera": c.label, "events": c.n_events})).collect::<Vec<_>>(),
        "grid": {"nx": ev.grid().nx, "ny": ev.grid().ny, "cell_arcsec": ev.grid().cell_arcsec},
        "runs": res.runs,
        "n_detections": res.detections.len(),
        "timings_s": {"read": t_read, "bin": t_bin, "search": t_search, "write": t_write, "total": t_all.elapsed().as_secs_f64(), "peak_rss_mb": super::peak_rss_mb()},
        "outputs": written.iter().map(|p| stage.final_path(p)).collect::<Vec<_>>(),
    });
    let rp = a.out.join("run.json");
    write_text(&rp, &serde_json::to_string_pretty(&run_json)?)?;
    tracing::info!(
        "{} detections in {} runs ({} events; read {:.2} s, search {:.2} s)",
        res.detections.len(),
        res.runs.len(),
        ev.len(),
        t_read,
        t_search,
    );
    Ok(Outcome { result: res })
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
