//! `exod demo`: the main job on an embedded default — simulate a 50 ks pn+MOS1+MOS2 observation
//! with known transients (seed and injections fixed here), search it, and compare the detections
//! with the injected truth.

use std::path::PathBuf;

use anyhow::Result;
use exod_core::wcs::separation_arcsec;
use exod_sim::simulate::{simulate, Burst, Eclipse, Flares, Profile, SimConfig};

#[derive(clap::Args)]
pub struct Args {
    /// Output directory for the simulated files and the search results.
    #[arg(long, default_value = "exod-demo")]
    pub out: PathBuf,
    /// Replace a non-empty output directory (a previous demo's is replaced without asking).
    #[arg(long)]
    pub overwrite: bool,
}

/// The demo observation: seed 2026, mild flares, six bursts of several sizes and durations, and
/// an eclipse of the brightest field source.
pub fn demo_config() -> SimConfig {
    let b = |counts: f64, duration: f64, profile: Profile| Burst {
        counts,
        duration,
        profile,
        position: None,
        t_start: None,
    };
    SimConfig {
        seed: 2026,
        exposure: 50_000.0,
        flares: Flares::Mild,
        bursts: vec![
            b(15.0, 5.0, Profile::Box),
            b(30.0, 5.0, Profile::Box),
            b(50.0, 20.0, Profile::Fred),
            b(80.0, 50.0, Profile::Box),
            b(120.0, 300.0, Profile::Fred),
            b(60.0, 150.0, Profile::Box),
        ],
        eclipses: vec![Eclipse {
            depth: 1.0,
            duration: 2000.0,
            source: Some(0),
            t_start: None,
        }],
        ..SimConfig::default()
    }
}

/// Simulate the demo observation ([`demo_config`]) into `dir` (through a staging folder).
pub fn simulate_demo(
    dir: &std::path::Path,
    overwrite: bool,
) -> Result<exod_sim::simulate::SimOutput> {
    let stage = crate::staging::Staged::begin(dir, overwrite)?;
    let sim = simulate(&demo_config(), stage.path())?.relocated(stage.path(), dir);
    stage.commit()?;
    Ok(sim)
}

pub fn run(a: Args) -> Result<()> {
    let cfg = demo_config();
    let sim_dir = a.out.join("simulated");
    eprintln!(
        "simulating a 50 ks EPIC observation (seed {}) into {}",
        cfg.seed,
        sim_dir.display()
    );
    // a previous demo's output is replaced; anything else needs --overwrite
    let previous_demo = a.out.join("simulated/truth.ecsv").exists();
    let overwrite = a.overwrite || previous_demo;
    let sim = simulate_demo(&sim_dir, overwrite)?;
    let det_args = super::detect::Args {
        files: sim.event_files.clone(),
        srclist: Some(sim.srclist.clone()),
        search: super::detect::SearchArgs::default(),
        no_plots: false,
        obs_label: None,
        overwrite,
        out: a.out.join("detections"),
    };
    let out = super::detect::run(det_args)?;
    let dets = &out.result.detections;
    println!("\nInjected transients and their best detection (within 20″, overlapping in time):");
    println!(
        "{:<8} {:>7} {:>8} {:>8} {:>9} {:>7} {:>6} {:>8} {:>8}",
        "kind", "counts", "dur(s)", "real.", "detected", "sigma", "tbin", "band", "offset\""
    );
    let mut matched = vec![false; dets.len()];
    for t in sim
        .truth
        .iter()
        .filter(|t| t.kind == "burst" || t.kind == "eclipse")
    {
        let want = if t.kind == "burst" {
            exod_core::search::Kind::Peak
        } else {
            exod_core::search::Kind::Eclipse
        };
        let hits: Vec<usize> = (0..dets.len())
            .filter(|&j| {
                let d = &dets[j];
                d.kind == want
                    && separation_arcsec(d.ra, d.dec, t.ra, t.dec) < 20.0
                    && d.t_start < t.t_stop
                    && d.t_stop > t.t_start
            })
            .collect();
        for &j in &hits {
            matched[j] = true;
        }
        let best = hits
            .iter()
            .copied()
            .max_by(|&a, &b| dets[a].sigma.total_cmp(&dets[b].sigma));
        let realised: u64 = t.counts.iter().sum();
        match best {
            Some(j) => {
                let d = &dets[j];
                println!(
                    "{:<8} {:>7.0} {:>8.0} {:>8} {:>9} {:>7.2} {:>6} {:>8} {:>8.1}",
                    t.kind,
                    t.expected,
                    t.t_stop - t.t_start,
                    realised,
                    "yes",
                    d.sigma,
                    d.tbin,
                    d.band,
                    separation_arcsec(d.ra, d.dec, t.ra, t.dec)
                );
            }
            None => println!(
                "{:<8} {:>7.0} {:>8.0} {:>8} {:>9}",
                t.kind,
                t.expected,
                t.t_stop - t.t_start,
                realised,
                "no"
            ),
        }
    }
    let unmatched: Vec<usize> = (0..dets.len()).filter(|&j| !matched[j]).collect();
    let n5 = unmatched.iter().filter(|&&j| dets[j].sigma >= 5.0).count();
    println!(
        "\n{} detections in total; {} match an injection; {} do not ({} of them at ≥ 5σ).",
        dets.len(),
        dets.len() - unmatched.len(),
        unmatched.len(),
        n5
    );
    if !unmatched.is_empty() {
        println!("Detections without an injected counterpart:");
        let sub = exod_core::search::SearchResult {
            detections: unmatched.iter().map(|&j| dets[j].clone()).collect(),
            lightcurves: vec![],
            runs: vec![],
            expectations: vec![],
        };
        super::detect::print_table(&sub);
    }
    println!("\nOutputs: {} (detections.fits, detections.ecsv, lightcurves.fits, regions.reg, run.json, PNGs)", a.out.join("detections").display());
    Ok(())
}
