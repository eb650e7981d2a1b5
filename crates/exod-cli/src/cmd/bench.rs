//! `exod bench`: completeness, false positives, positions and speed — paper §2.6 in one command.
//! Every output is ECSV whose header says how it was made (command, version, seed).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use exod_core::observation::Observation as EventTable;
use exod_core::stats::Rule;
use exod_io::ecsv::{self, Column, Value};
use exod_io::events::{self, ReadOptions};
use exod_io::srclist;
use exod_sim::bench::{self, BenchSetup, Timing, Trial};
use exod_sim::mission::{simulate_mission, MissionConfig, SimMission};
use exod_sim::simulate::{simulate, Flares, SimConfig};
use rayon::prelude::*;

#[derive(clap::Subcommand)]
pub enum Bench {
    /// Detection fraction of injected bursts vs amplitude, per t_bin, at 3σ and 5σ, GTI/BTI.
    Completeness(Common),
    /// Fraction of observations with a spurious detection in Poisson realisations of μ.
    FalsePositives(Common),
    /// Offset between detected and true positions vs counts.
    Positions(Common),
    /// Wall time per stage and peak memory on a simulated 130 ks pn+MOS1+MOS2 observation.
    Speed(Common),
}

#[derive(clap::Args, Clone)]
pub struct Common {
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Reduced grid that runs in a couple of minutes (checks the machinery, not the numbers).
    #[arg(long)]
    pub quick: bool,
    /// Base seed (observation i uses seed + i).
    #[arg(long, default_value_t = 1000)]
    pub seed: u64,
    /// Number of simulated observations (default: 10 for completeness/positions, 20 for false
    /// positives; --quick: 2).
    #[arg(long)]
    pub obs: Option<usize>,
    /// Realisations per observation and t_bin for false positives (default 120; --quick: 10).
    #[arg(long)]
    pub realisations: Option<usize>,
    /// Real observations to inject into as well: comma-separated event files of one observation
    /// (repeat the option for several observations).
    #[arg(long, value_delimiter = ';')]
    pub real: Vec<String>,
    /// Mission of the simulated observations (completeness and false positives): xmm (default),
    /// chandra, swift, nustar or erosita — simulated with `exod simulate --mission`'s defaults
    /// and no transient, searched in the mission's full band with its default cell, bursts
    /// injected with its PSF (`exod_sim::bench::BenchSetup`).
    #[arg(long, default_value = "xmm")]
    pub mission: String,
}

/// The mission of `--mission` (None: XMM-Newton).
fn mission_of(c: &Common) -> Result<Option<SimMission>> {
    if c.mission.eq_ignore_ascii_case("xmm") {
        return Ok(None);
    }
    c.mission
        .parse::<SimMission>()
        .map(Some)
        .map_err(|e| anyhow::anyhow!("--mission: {e} (or xmm)"))
}

/// The injection and matching of the benchmark's mission.
fn setup_of(c: &Common) -> Result<BenchSetup> {
    Ok(mission_of(c)?.map_or_else(BenchSetup::xmm, BenchSetup::for_mission))
}

/// Read the event lists `paths` with the default options.
fn read_lists(paths: &[PathBuf]) -> Result<Vec<exod_core::exposure::Exposure>> {
    paths
        .iter()
        .map(|p| events::read(p, &ReadOptions::default()).map_err(anyhow::Error::from))
        .collect()
}

/// A simulated observation of a non-XMM mission, without transients, merged into an event
/// table with the mission's default cell (no source list: the pipelines of these missions
/// write none beside the events). The `exod simulate --mission` defaults, except Swift: 10 ks
/// (a long pointing), as the 2 ks snapshot has too few 50 and 200 s frames to hold one burst
/// per amplitude far apart in time.
fn sim_mission_obs(m: SimMission, seed: u64, i: usize, dir: &Path) -> Result<EventTable> {
    let mut cfg = MissionConfig::new(m);
    cfg.seed = seed;
    if m == SimMission::Swift {
        cfg.exposure = 10_000.0;
    }
    let d = dir.join(format!("obs{i}"));
    let out = simulate_mission(&cfg, &d)?;
    let lists = read_lists(&out.event_files)?;
    let ev = EventTable::new(&lists, m.description().default_cell_arcsec)?;
    let _ = std::fs::remove_dir_all(&d);
    Ok(ev)
}

fn meta(c: &Common, what: &str) -> Vec<(&'static str, String)> {
    let mut m = meta_xmm(c, what);
    if !c.mission.eq_ignore_ascii_case("xmm") {
        m.push(("mission", c.mission.to_ascii_lowercase()));
    }
    m
}

fn meta_xmm(c: &Common, what: &str) -> Vec<(&'static str, String)> {
    vec![
        ("software", format!("exod {}", env!("CARGO_PKG_VERSION"))),
        ("command", std::env::args().collect::<Vec<_>>().join(" ")),
        ("seed", c.seed.to_string()),
        ("benchmark", what.to_string()),
        (
            "grid",
            if c.quick {
                "quick".into()
            } else {
                "full".into()
            },
        ),
    ]
}

/// A simulated observation without transients, merged into an event table.
fn sim_obs(
    seed: u64,
    exposure: f64,
    i: usize,
    dir: &Path,
) -> Result<(EventTable, Vec<srclist::Source>)> {
    let flares = match i % 3 {
        0 => Flares::Mild,
        1 => Flares::None,
        _ => Flares::Strong,
    };
    let cfg = SimConfig {
        seed,
        exposure,
        flares,
        cluster: i % 4 == 3,
        ..SimConfig::default()
    };
    let d = dir.join(format!("obs{i}"));
    let out = simulate(&cfg, &d)?;
    let lists = read_lists(&out.event_files)?;
    let ev = EventTable::new(&lists, 20.0)?;
    let src = srclist::read_sources(&out.srclist)?;
    let _ = std::fs::remove_dir_all(&d);
    Ok((ev, src))
}

/// A real observation of `--real`, binned with its instrument's cell; its lists must be of the
/// benchmark's mission (the injection and matching are the mission's).
fn real_obs(spec: &str, mission: Option<SimMission>) -> Result<EventTable> {
    let lists: Vec<_> = spec
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|p| events::read(Path::new(p), &ReadOptions::default()))
        .collect::<Result<_, _>>()?;
    let want = mission.map_or(exod_core::instrument::Mission::Xmm, |m| m.mission());
    let mut cell = 20.0;
    for l in &lists {
        let i = l.instrument()?;
        if i.mission() != want {
            bail!(
                "{}: a {} list; benchmark it with --mission {}",
                l.path().display(),
                i.mission().name(),
                format!("{:?}", i.mission()).to_ascii_lowercase()
            );
        }
        cell = i.default_cell_arcsec();
    }
    Ok(EventTable::new(&lists, cell)?)
}

fn observations(
    c: &Common,
    default_n: usize,
    exposure: f64,
) -> Result<Vec<(String, EventTable, Option<Vec<srclist::Source>>)>> {
    let n = c.obs.unwrap_or(if c.quick { 2 } else { default_n });
    let tmp = scratch("sim");
    let mission = mission_of(c)?;
    let mut v: Vec<_> = (0..n)
        .into_par_iter()
        .map(|i| match mission {
            None => sim_obs(c.seed + i as u64, exposure, i, &tmp)
                .map(|(e, s)| (format!("sim{i}"), e, Some(s))),
            Some(m) => {
                sim_mission_obs(m, c.seed + i as u64, i, &tmp).map(|e| (format!("sim{i}"), e, None))
            }
        })
        .collect::<Result<_>>()?;
    let _ = std::fs::remove_dir_all(&tmp);
    for (k, r) in c.real.iter().enumerate() {
        v.push((
            format!("real{k}"),
            real_obs(r, mission).context("an observation of --real")?,
            None,
        ));
    }
    Ok(v)
}

fn amplitudes(quick: bool) -> Vec<f64> {
    let n = if quick { 8 } else { 15 };
    (0..n)
        .map(|i| (10f64.powf(2.0 * i as f64 / (n - 1) as f64) * 100.0).round() / 100.0)
        .collect()
}

fn trials(c: &Common, timings: &[Timing], batches: usize) -> Result<Vec<Trial>> {
    let obs = observations(c, 10, if c.quick { 20_000.0 } else { 50_000.0 })?;
    let amps = amplitudes(c.quick);
    let tbins = [5.0, 50.0, 200.0];
    let setup = setup_of(c)?;
    let mut jobs = Vec::new();
    for (oi, _) in obs.iter().enumerate() {
        for &t in &tbins {
            for &tm in timings {
                jobs.push((oi, t, tm));
            }
        }
    }
    let pb = indicatif::ProgressBar::new(jobs.len() as u64);
    let res: Vec<Vec<Trial>> = jobs
        .par_iter()
        .map(|&(oi, t, tm)| {
            let (_, ev, src) = &obs[oi];
            let r = bench::completeness_trials(
                &setup,
                oi,
                ev,
                src.as_deref(),
                t,
                tm,
                &amps,
                batches,
                &[3.0, 5.0],
                c.seed + oi as u64,
            );
            pb.inc(1);
            r
        })
        .collect();
    pb.finish_and_clear();
    Ok(res.into_iter().flatten().collect())
}

/// The `t_bin` and `sigma` columns every benchmark table starts with.
fn tbin_sigma_columns() -> [Column; 2] {
    [
        Column::new("t_bin", "float64", Some("s"), "time bin of the search"),
        Column::new(
            "sigma",
            "float64",
            None,
            "detection threshold (sigma-equivalent)",
        ),
    ]
}

fn write(path: &Path, cols: &[Column], rows: &[Vec<Value>], meta: &[(&str, String)]) -> Result<()> {
    ecsv::write(path, cols, rows, meta).with_context(|| format!("writing {}", path.display()))
}

/// Amplitude at which the detection fraction first reaches `level` (linear interpolation in
/// log amplitude), NaN if never.
fn level_crossing(points: &[(f64, f64)], level: f64) -> f64 {
    for w in points.windows(2) {
        let ((a0, f0), (a1, f1)) = (w[0], w[1]);
        if f0 < level && f1 >= level {
            let x = (level - f0) / (f1 - f0);
            return (a0.ln() + x * (a1.ln() - a0.ln())).exp();
        }
    }
    if points.first().map(|p| p.1 >= level).unwrap_or(false) {
        return points[0].0;
    }
    f64::NAN
}

fn completeness(c: &Common) -> Result<()> {
    let timings: Vec<Timing> = if c.quick {
        vec![Timing::OneBin, Timing::Straddle]
    } else {
        vec![
            Timing::OneBin,
            Timing::Straddle,
            Timing::Duration(10),
            Timing::Duration(100),
        ]
    };
    let batches = if c.quick { 1 } else { 15 };
    let t0 = Instant::now();
    let tr = trials(c, &timings, batches)?;
    let amps = amplitudes(c.quick);
    let mut rows = Vec::new();
    let mut summary = Vec::new();
    for &tbin in &[5.0, 50.0, 200.0] {
        for &sigma in &[3.0, 5.0] {
            for tm in &timings {
                for interval in ["all", "gti", "bti"] {
                    let mut curve = Vec::new();
                    for &a in &amps {
                        let sel: Vec<&Trial> = tr
                            .iter()
                            .filter(|t| {
                                t.tbin == tbin
                                    && t.sigma == sigma
                                    && t.timing == tm.label()
                                    && t.amplitude == a
                            })
                            .filter(|t| interval == "all" || (interval == "bti") == t.bti)
                            .collect();
                        let n = sel.len();
                        let k = sel.iter().filter(|t| t.detected).count();
                        // spread over observations
                        let mut per_obs: Vec<f64> = Vec::new();
                        let mut obs_ids: Vec<usize> = sel.iter().map(|t| t.obs).collect();
                        obs_ids.sort_unstable();
                        obs_ids.dedup();
                        for o in obs_ids {
                            let s: Vec<&&Trial> = sel.iter().filter(|t| t.obs == o).collect();
                            per_obs.push(
                                s.iter().filter(|t| t.detected).count() as f64 / s.len() as f64,
                            );
                        }
                        let mean = per_obs.iter().sum::<f64>() / per_obs.len().max(1) as f64;
                        let sd = (per_obs.iter().map(|f| (f - mean).powi(2)).sum::<f64>()
                            / per_obs.len().max(1) as f64)
                            .sqrt();
                        let frac = if n > 0 { k as f64 / n as f64 } else { f64::NAN };
                        if n > 0 {
                            curve.push((a, frac));
                        }
                        rows.push(vec![
                            Value::F(tbin),
                            Value::F(sigma),
                            Value::S(interval.into()),
                            Value::S(tm.label()),
                            Value::F(a),
                            Value::F(a / tbin),
                            Value::I(n as i64),
                            Value::I(k as i64),
                            Value::F(frac),
                            Value::F(if per_obs.len() > 1 { sd } else { f64::NAN }),
                        ]);
                    }
                    if interval == "all" {
                        summary.push(vec![
                            Value::F(tbin),
                            Value::F(sigma),
                            Value::S(tm.label()),
                            Value::F(level_crossing(&curve, 0.5)),
                            Value::F(level_crossing(&curve, 0.9)),
                        ]);
                    }
                }
            }
        }
    }
    std::fs::create_dir_all(&c.out)?;
    let [c_tbin, c_sigma] = tbin_sigma_columns();
    let cols = [
        c_tbin,
        c_sigma,
        Column::new(
            "interval",
            "string",
            None,
            "gti, bti or all: class of the frame holding the burst",
        ),
        Column::new(
            "timing",
            "string",
            None,
            "one-bin (inside one frame), straddle (across a frame edge), or a fixed duration",
        ),
        Column::new(
            "counts",
            "float64",
            Some("ct"),
            "burst amplitude: expected photons before the Poisson draw",
        ),
        Column::new("rate", "float64", Some("ct/s"), "counts / t_bin"),
        Column::new("n_injected", "int64", None, "bursts injected"),
        Column::new(
            "n_detected",
            "int64",
            None,
            "bursts with a peak detection within 20 arcsec overlapping in time",
        ),
        Column::new("fraction", "float64", None, "n_detected / n_injected"),
        Column::new(
            "fraction_std",
            "float64",
            None,
            "standard deviation of the fraction over observations",
        ),
    ];
    let m = meta(c, "completeness");
    write(&c.out.join("completeness.ecsv"), &cols, &rows, &m)?;
    let scols = [
        Column::new("t_bin", "float64", Some("s"), "time bin"),
        Column::new("sigma", "float64", None, "threshold"),
        Column::new("timing", "string", None, "burst timing"),
        Column::new(
            "counts_50",
            "float64",
            Some("ct"),
            "amplitude at 50% completeness (all intervals)",
        ),
        Column::new(
            "counts_90",
            "float64",
            Some("ct"),
            "amplitude at 90% completeness (all intervals)",
        ),
    ];
    write(
        &c.out.join("completeness_summary.ecsv"),
        &scols,
        &summary,
        &m,
    )?;
    plot_completeness(c, &tr, &amps)?;
    println!(
        "completeness: {} trials in {:.1} s → {}",
        tr.len(),
        t0.elapsed().as_secs_f64(),
        c.out.display()
    );
    for s in &summary {
        if let (Value::F(t), Value::F(sg), Value::S(tm), Value::F(c50), Value::F(c90)) =
            (&s[0], &s[1], &s[2], &s[3], &s[4])
        {
            println!("  t_bin {t:>5} s  {sg}σ  {tm:<9} 50%: {c50:>6.1} ct   90%: {c90:>6.1} ct");
        }
    }
    Ok(())
}

fn plot_completeness(c: &Common, tr: &[Trial], amps: &[f64]) -> Result<()> {
    for sigma in [3.0, 5.0] {
        let series: Vec<(String, Vec<(f64, f64)>)> = [5.0, 50.0, 200.0]
            .iter()
            .map(|&tbin| {
                let pts = amps
                    .iter()
                    .filter_map(|&a| {
                        let sel: Vec<&Trial> = tr
                            .iter()
                            .filter(|t| {
                                t.tbin == tbin
                                    && t.sigma == sigma
                                    && t.timing == "one-bin"
                                    && t.amplitude == a
                            })
                            .collect();
                        (!sel.is_empty()).then(|| {
                            (
                                a,
                                sel.iter().filter(|t| t.detected).count() as f64 / sel.len() as f64,
                            )
                        })
                    })
                    .collect();
                (format!("t_bin = {tbin} s"), pts)
            })
            .collect();
        let p = c
            .out
            .join(format!("completeness_{}sigma.png", sigma as u32));
        exod_plot::plot::curves_png(
            &p,
            &series,
            "burst amplitude (counts)",
            "detection fraction",
            &format!("Completeness at {sigma}σ (bursts inside one bin)"),
            true,
        )?;
        let rate_series: Vec<(String, Vec<(f64, f64)>)> = series
            .iter()
            .zip([5.0, 50.0, 200.0])
            .map(|((l, pts), tbin)| (l.clone(), pts.iter().map(|&(a, f)| (a / tbin, f)).collect()))
            .collect();
        let p = c
            .out
            .join(format!("completeness_rate_{}sigma.png", sigma as u32));
        exod_plot::plot::curves_png(
            &p,
            &rate_series,
            "burst count rate (counts / t_bin, ct/s)",
            "detection fraction",
            &format!("Completeness at {sigma}σ vs count rate"),
            true,
        )?;
    }
    Ok(())
}

fn positions(c: &Common) -> Result<()> {
    let t0 = Instant::now();
    let batches = if c.quick { 1 } else { 10 };
    let tr = trials(c, &[Timing::OneBin], batches)?;
    let amps = amplitudes(c.quick);
    let mut rows = Vec::new();
    for &a in &amps {
        let mut off: Vec<f64> = tr
            .iter()
            .filter(|t| t.sigma == 5.0 && t.amplitude == a && t.detected)
            .map(|t| t.offset)
            .collect();
        off.sort_by(f64::total_cmp);
        let q = |f: f64| {
            if off.is_empty() {
                f64::NAN
            } else {
                off[((off.len() - 1) as f64 * f).round() as usize]
            }
        };
        rows.push(vec![
            Value::F(a),
            Value::I(off.len() as i64),
            Value::F(q(0.5)),
            Value::F(q(0.68)),
            Value::F(q(0.9)),
        ]);
    }
    std::fs::create_dir_all(&c.out)?;
    let cols = [
        Column::new(
            "counts",
            "float64",
            Some("ct"),
            "burst amplitude (expected photons)",
        ),
        Column::new(
            "n",
            "int64",
            None,
            "bursts detected at 5 sigma (all t_bins, one-bin timing)",
        ),
        Column::new(
            "median_offset_arcsec",
            "float64",
            Some("arcsec"),
            "median offset detected - true position",
        ),
        Column::new(
            "p68_offset_arcsec",
            "float64",
            Some("arcsec"),
            "68% quantile of the offset",
        ),
        Column::new(
            "p90_offset_arcsec",
            "float64",
            Some("arcsec"),
            "90% quantile of the offset",
        ),
    ];
    write(
        &c.out.join("positions.ecsv"),
        &cols,
        &rows,
        &meta(c, "positions"),
    )?;
    println!(
        "positions: {} trials in {:.1} s → {}",
        tr.len(),
        t0.elapsed().as_secs_f64(),
        c.out.display()
    );
    for r in &rows {
        if let (Value::F(a), Value::I(n), Value::F(m)) = (&r[0], &r[1], &r[2]) {
            println!("  {a:>7.2} ct  n = {n:>4}  median offset {m:>5.2}″");
        }
    }
    Ok(())
}

fn false_positives(c: &Common) -> Result<()> {
    let t0 = Instant::now();
    let obs = observations(c, 20, if c.quick { 20_000.0 } else { 50_000.0 })?;
    let n_real = c.realisations.unwrap_or(if c.quick { 10 } else { 120 });
    let cases: Vec<(f64, Rule, &str)> = vec![
        (3.0, Rule::Exod2Parity, "exod2"),
        (5.0, Rule::Exod2Parity, "exod2"),
        (3.0, Rule::Exact, "exact"),
        (5.0, Rule::Exact, "exact"),
    ];
    let bounds: Vec<_> = cases
        .iter()
        .map(|&(s, r, _)| bench::boundaries(s, r))
        .collect();
    let brefs: Vec<&exod_core::stats::Boundaries> = bounds.iter().collect();
    let band = setup_of(c)?.band;
    let mut rows = Vec::new();
    for &tbin in &[5.0, 50.0, 200.0] {
        let per_obs: Vec<Vec<usize>> = obs
            .par_iter()
            .enumerate()
            .map(|(oi, (_, ev, src))| {
                let ex = bench::expectation_in(ev, src.as_deref(), tbin, band);
                bench::false_positive_realisations(
                    &ex,
                    &brefs,
                    n_real,
                    c.seed ^ (oi as u64) << 32 ^ tbin as u64,
                )
            })
            .collect();
        for (ci, &(sigma, _, rule)) in cases.iter().enumerate() {
            let n = obs.len() * n_real;
            let k: usize = per_obs.iter().map(|h| h[ci]).sum();
            rows.push(vec![
                Value::F(tbin),
                Value::F(sigma),
                Value::S(rule.into()),
                Value::I(n as i64),
                Value::I(k as i64),
                Value::F(k as f64 / n as f64),
            ]);
        }
    }
    std::fs::create_dir_all(&c.out)?;
    let [c_tbin, c_sigma] = tbin_sigma_columns();
    let cols = [
        c_tbin,
        c_sigma,
        Column::new(
            "rule",
            "string",
            None,
            "exod2 (default detector rule) or exact (bare Bayes-factor rule)",
        ),
        Column::new(
            "n_obs",
            "int64",
            None,
            "simulated observations: Poisson realisations of the expectation",
        ),
        Column::new(
            "n_obs_with_detection",
            "int64",
            None,
            "realisations with at least one flagged cell",
        ),
        Column::new("fraction", "float64", None, "n_obs_with_detection / n_obs"),
    ];
    write(
        &c.out.join("false_positives.ecsv"),
        &cols,
        &rows,
        &meta(c, "false-positives"),
    )?;
    println!(
        "false positives: {} observations × {} realisations × 3 t_bins in {:.1} s → {}",
        obs.len(),
        n_real,
        t0.elapsed().as_secs_f64(),
        c.out.display()
    );
    for r in &rows {
        if let (Value::F(t), Value::F(s), Value::S(rule), Value::I(n), Value::I(k), Value::F(f)) =
            (&r[0], &r[1], &r[2], &r[3], &r[4], &r[5])
        {
            println!(
                "  t_bin {t:>5} s  {s}σ  {rule:<6} {k:>5} / {n:<5} = {:>6.2} %",
                100.0 * f
            );
        }
    }
    Ok(())
}

/// The observations of the speed benchmark: an average one (30 ks, strong flares: ~1.5 M rows,
/// ~1 M screened events) and a heavy one (130 ks, strong flares: ~2.2 M rows, ~1.6 M events).
fn speed_cases(quick: bool) -> Vec<(&'static str, f64)> {
    if quick {
        vec![("quick", 10_000.0)]
    } else {
        vec![("average", 30_000.0), ("heavy", 130_000.0)]
    }
}

/// In-process stage timings of one case: read (best of 3), bin, search (best of 3), write.
fn speed_stages(sim: &exod_sim::simulate::SimOutput) -> Result<Vec<(&'static str, f64, usize)>> {
    let mut t_read = f64::INFINITY;
    let mut lists = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        lists = sim
            .event_files
            .iter()
            .map(|p| events::read(p, &ReadOptions::default()))
            .collect::<Result<Vec<_>, _>>()?;
        t_read = t_read.min(t.elapsed().as_secs_f64());
    }
    let n_events: usize = lists.iter().map(|l| l.len()).sum();
    let n_rows: usize = lists.iter().map(|l| l.screening().n_read).sum();
    let t = Instant::now();
    let ev = EventTable::new(&lists, 20.0)?;
    let t_bin = t.elapsed().as_secs_f64();
    drop(lists);
    let src = srclist::read_sources(&sim.srclist)?;
    let params = exod_core::search::DetectParams::default();
    let mut t_search = f64::INFINITY;
    let mut res = None;
    for _ in 0..3 {
        let t = Instant::now();
        res = Some(exod_core::search::search(
            &ev,
            Some(&src),
            &params,
            "bench",
        )?);
        t_search = t_search.min(t.elapsed().as_secs_f64());
    }
    let res = res.expect("ran");
    let det_dir = scratch("detect");
    let t = Instant::now();
    exod_io::output::write_all(
        &det_dir,
        &res,
        &ev,
        &exod_io::output::OutputContext::new(&[], &ev, ["exod", "bench"]),
    )?;
    let t_write = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&det_dir);
    Ok(vec![
        ("read (3 event lists, screening)", t_read, n_rows),
        ("bin (merge onto the sky grid)", t_bin, n_events),
        ("search (9 band x t_bin runs)", t_search, n_events),
        ("write outputs (no plots)", t_write, res.detections.len()),
    ])
}

/// `exod detect` in a child process (so that its peak memory is its own): wall time, peak MB
/// and number of detections, from its run.json.
fn detect_subprocess(
    sim: &exod_sim::simulate::SimOutput,
    extra: &[&str],
) -> Result<(f64, f64, usize)> {
    let out = scratch("detect-child");
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("-q")
        .arg("detect")
        .args(&sim.event_files)
        .arg("--srclist")
        .arg(&sim.srclist);
    cmd.args(extra).args(["--no-plots", "--out"]).arg(&out);
    let t = Instant::now();
    let o = cmd.output()?;
    let secs = t.elapsed().as_secs_f64();
    if !o.status.success() {
        bail!("exod detect failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json"))?)?;
    let _ = std::fs::remove_dir_all(&out);
    Ok((
        secs,
        run["timings_s"]["peak_rss_mb"].as_f64().unwrap_or(f64::NAN),
        run["n_detections"].as_u64().unwrap_or(0) as usize,
    ))
}

fn speed(c: &Common) -> Result<()> {
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut m = meta(c, "speed");
    for (case, exposure) in speed_cases(c.quick) {
        let dir = scratch(case);
        let cfg = SimConfig {
            seed: c.seed,
            exposure,
            flares: Flares::Strong,
            ..SimConfig::default()
        };
        let sim = simulate(&cfg, &dir)?;
        let stages = speed_stages(&sim)?;
        let t_read = stages[0].1;
        let (n_rows, n_events) = (stages[0].2, stages[1].2);
        println!("{case}: simulated {:.0} ks pn+MOS1+MOS2, strong flares ({n_rows} rows, {n_events} screened events):", exposure / 1000.0);
        for &(s, t, n) in &stages {
            println!(
                "  {s:<40} {t:>8.3} s  ({:>5.2}× read, {:.2e} /s)",
                t / t_read,
                n as f64 / t
            );
            rows.push(vec![
                Value::S(case.into()),
                Value::S(s.into()),
                Value::F(t),
                Value::I(n as i64),
                Value::F(n as f64 / t),
                Value::F(t / t_read),
                Value::F(f64::NAN),
            ]);
        }
        let ratio = (stages[0].1 + stages[1].1 + stages[2].1) / t_read;
        println!("  read+bin+search = {ratio:.2}× read");
        m.push((
            if case == "heavy" {
                "ratio_heavy"
            } else {
                "ratio"
            },
            format!("{ratio:.3}"),
        ));
        for (label, extra) in [
            ("exod detect, defaults (child process)", vec![]),
            (
                "exod detect --rule exact --tbin 1,5 (child)",
                vec!["--rule", "exact", "--tbin", "1,5"],
            ),
        ] {
            let (secs, mb, n_det) = detect_subprocess(&sim, &extra)?;
            println!("  {label:<40} {secs:>8.3} s, peak memory {mb:.0} MB, {n_det} detections");
            rows.push(vec![
                Value::S(case.into()),
                Value::S(label.into()),
                Value::F(secs),
                Value::I(n_det as i64),
                Value::F(n_det as f64 / secs),
                Value::F(secs / t_read),
                Value::F(mb),
            ]);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let cols = [
        Column::new(
            "case",
            "string",
            None,
            "average: 30 ks, heavy: 130 ks simulated observation, strong flares",
        ),
        Column::new(
            "stage",
            "string",
            None,
            "pipeline stage (in process), or a whole exod detect run in a child process",
        ),
        Column::new(
            "seconds",
            "float64",
            Some("s"),
            "wall time (best of 3 for read and search), 2 cores",
        ),
        Column::new(
            "items",
            "int64",
            None,
            "rows read, events binned/searched, or detections",
        ),
        Column::new("items_per_s", "float64", Some("1/s"), "items / seconds"),
        Column::new(
            "relative_to_read",
            "float64",
            None,
            "seconds / read seconds",
        ),
        Column::new(
            "peak_rss_mb",
            "float64",
            Some("MB"),
            "peak resident memory of the child exod detect (VmHWM)",
        ),
    ];
    std::fs::create_dir_all(&c.out)?;
    write(&c.out.join("speed.ecsv"), &cols, &rows, &m)?;
    Ok(())
}

/// A scratch directory for simulated inputs, outside the output directory.
fn scratch(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("exod-bench-{}-{what}", std::process::id()))
}

pub fn run(b: Bench) -> Result<()> {
    match b {
        Bench::Completeness(c) => completeness(&c),
        Bench::FalsePositives(c) => false_positives(&c),
        Bench::Positions(c) => positions(&c),
        Bench::Speed(c) => speed(&c),
    }
}
