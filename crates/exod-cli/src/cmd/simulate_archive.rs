//! `exod simulate-archive`: a simulated XMM-Newton archive of overlapping observations with known
//! transients, a flickering hot pixel and bad inputs (see `exod_sim::archive`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use exod_sim::archive::{simulate_archive, ArchiveConfig, Layout};

#[derive(clap::Args)]
pub struct Args {
    /// Output directory (written as a whole: a staging folder is moved into place when complete).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of observations (at least 8: the repeat, a flicker and the four bad inputs).
    #[arg(long, default_value_t = 50)]
    pub observations: usize,
    /// Random seed: the same seed gives a byte-identical tree.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Exposure of every observation (s, MOS; pn is 700 s shorter).
    #[arg(long, default_value_t = 5000.0)]
    pub exposure: f64,
    /// All files in one folder instead of `<obsid>/pps/`.
    #[arg(long)]
    pub flat: bool,
    /// Replace a non-empty output directory (its files stay until the new ones are complete).
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(a: Args) -> Result<()> {
    let cfg = ArchiveConfig {
        seed: a.seed,
        n_obs: a.observations,
        exposure: a.exposure,
        layout: if a.flat { Layout::Flat } else { Layout::Pps },
        ..ArchiveConfig::default()
    };
    let t = std::time::Instant::now();
    let stage = crate::staging::Staged::begin(&a.out, a.overwrite)?;
    let out = simulate_archive(&cfg, stage.path())
        .with_context(|| format!("simulating an archive into {}", a.out.display()))?;
    let truth_path = stage.final_path(&out.truth_path);
    let observations_path = stage.final_path(&out.observations_path);
    stage.commit()?;
    let n_bad = out
        .observations
        .iter()
        .filter(|o| o.defect.is_some())
        .count();
    let n_fields = out
        .observations
        .iter()
        .map(|o| o.field)
        .max()
        .map_or(0, |f| f + 1);
    let kinds = |k: &str| out.truth.iter().filter(|t| t.kind == k).count();
    println!(
        "{}  {} observations of {n_fields} fields ({n_bad} bad inputs)",
        observations_path.display(),
        out.observations.len()
    );
    println!(
        "{}  {} sources, {} bursts, {} repeats, {} hot-pixel flickers  ({:.2} s)",
        truth_path.display(),
        kinds("source"),
        kinds("burst"),
        kinds("repeat"),
        kinds("hot_pixel"),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
