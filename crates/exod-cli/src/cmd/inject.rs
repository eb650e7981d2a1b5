//! `exod inject`: synthetic bursts appended to a REAL event list (any described mission:
//! XMM-Newton EPIC, Chandra ACIS, eROSITA, Swift-XRT, NuSTAR with a valid WCS), with a truth
//! table — to test a search on the mission's own data. The drawing is `exod_sim::inject`, the
//! FITS copy `exod_io::event_append`: the output is the input (every HDU, every header card,
//! every row unchanged) plus the burst rows, sorted by TIME, checksums updated.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use exod_sim::inject::{inject, write_truth, Burst, InjectConfig};

#[derive(clap::Args)]
pub struct Args {
    /// The real event list (FITS, gzip-compressed or not).
    pub input: PathBuf,
    /// The event list to write (uncompressed FITS), atomically (temporary file + rename).
    #[arg(long)]
    pub out: PathBuf,
    /// A burst RA:DEC:COUNTS:T0:DURATION — position (deg), expected counts (Poisson mean),
    /// start (the file's mission time, s) and duration (s). Repeatable; none with
    /// --gti-from-events writes the copy with only the GTI added.
    #[arg(long = "burst", required_unless_present = "gti_from_events")]
    pub bursts: Vec<String>,
    /// Seed of the draws: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// For a list without any GTI extension (the partial eROSITA list of testdata/real): write
    /// a GTI extension equal to the span of its events (readers otherwise fall back to
    /// TSTART–TSTOP, 50 ks for that list's 634 s of events).
    #[arg(long)]
    pub gti_from_events: bool,
    /// Truth table (ECSV; default `truth.ecsv` beside the output).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Replace an existing output (and truth table).
    #[arg(long)]
    pub overwrite: bool,
}

/// The truth table's path: `--truth`, else `truth.ecsv` beside the output.
pub fn truth_path(a: &Args) -> PathBuf {
    a.truth.clone().unwrap_or_else(|| {
        a.out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .join("truth.ecsv")
    })
}

pub fn run(a: Args) -> Result<()> {
    let truth = truth_path(&a);
    for p in [&a.out, &truth] {
        if p.exists() && !a.overwrite {
            bail!("{}: exists (give --overwrite to replace it)", p.display());
        }
    }
    if a.out.canonicalize().ok() == a.input.canonicalize().ok() && a.out.exists() {
        bail!("{}: the output would replace the input", a.out.display());
    }
    for p in [&a.out, &truth] {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create the folder", dir.display()))?;
        }
    }
    let bursts = a
        .bursts
        .iter()
        .map(|s| s.parse::<Burst>())
        .collect::<Result<Vec<_>, _>>()?;
    let cfg = InjectConfig {
        bursts,
        seed: a.seed,
        gti_from_events: a.gti_from_events,
    };
    let rows = inject(&a.input, &a.out, &cfg)?;
    let meta = [
        ("command", super::command_line()),
        ("version", env!("CARGO_PKG_VERSION").to_string()),
        ("input", a.input.display().to_string()),
        ("output", a.out.display().to_string()),
        ("seed", a.seed.to_string()),
        ("gti_from_events", a.gti_from_events.to_string()),
    ];
    write_truth(&truth, &rows, &meta).with_context(|| "writing the truth table")?;
    println!("burst        RA         Dec   off-axis  HPD   counts (expected)   T0 .. T0+D (s)");
    for t in &rows {
        println!(
            "{:>5} {:>10.5} {:>+10.5} {:>7.2}′ {:>5.1}″ {:>6} ({:>6}) {:.1} .. {:.1}",
            t.index,
            t.ra,
            t.dec,
            t.offaxis_arcmin,
            t.hpd_arcsec,
            t.counts_drawn,
            t.counts_expected,
            t.t0,
            t.t0 + t.duration
        );
    }
    println!("{}\n{}", a.out.display(), truth.display());
    Ok(())
}
