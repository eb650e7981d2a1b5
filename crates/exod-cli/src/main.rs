//! `exod`: find faint, fast X-ray transients in photon event lists.
//!
//! Each subcommand lives in its own module under `cmd/` of the `exod_cli` library (shared with
//! the Python package); this binary parses the command line and sets up logging and signals.

use clap::{Parser, Subcommand};
use exod_cli::{cmd, signals};

#[derive(Parser)]
#[command(
    name = "exod",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("EXOD_GIT_COMMIT"), ")"),
    about = "Faint, fast X-ray transients in photon event lists (the EXOD method)"
)]
struct Cli {
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors on stderr (no progress, no warnings).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bayes factors, σ-equivalents, amplitudes and thresholds of the EXOD statistic (paper §2.4).
    Bayes(cmd::bayes::Args),
    /// What event lists contain: mission, mode, events before/after screening, GTIs, WCS.
    Info(cmd::info::Args),
    /// Append synthetic bursts to a real event list (any described mission), with their truth
    /// table: every original HDU, card and row kept, rows sorted by TIME.
    Inject(cmd::inject::Args),
    /// The instrument descriptions exod searches with: pixel, PSF vs off-axis, frame time,
    /// energy column, bands, cell, chips, GTIs, screening, BTI rule, live time.
    Missions(cmd::missions::Args),
    /// Simulate an XMM-Newton EPIC observation (pn, MOS1, MOS2) in pipeline formats, or one of
    /// Chandra ACIS-I, Swift-XRT, NuSTAR or eROSITA (`--mission`).
    Simulate(cmd::simulate::Args),
    /// Simulate an archive of overlapping observations with known transients, a flickering hot
    /// pixel and bad inputs (test input of batch processing, catalogue and cross-match).
    SimulateArchive(cmd::simulate_archive::Args),
    /// Search one observation's event lists for transients (the EXOD method).
    Detect(cmd::detect::Args),
    /// Search many observations (archive trees, folders, lists): units of overlapping exposures,
    /// parallel with bounded memory, resumable, shardable; exit 0 even if some units failed.
    Batch(cmd::batch::Args),
    /// The main job on an embedded default: simulate an observation with known transients,
    /// search it, compare with the truth.
    Demo(cmd::demo::Args),
    /// Merge the detections of many searches into a catalogue of unique sources with quality
    /// flags, hot areas, names, light curves and maps (paper §3).
    Catalog(cmd::catalog::Args),
    /// Counterparts of sources in external catalogues, with the expected number of chance
    /// matches from shifted positions (paper §3.3, Table 5).
    Crossmatch(cmd::crossmatch::Args),
    /// The light curve of a source: per camera and combined, live-time corrected, background
    /// subtracted, with Bayesian blocks, variability tests and flare fits (OGIP FITS, ECSV, PNG).
    Lc(cmd::lc::Args),
    /// Periodicity search of a source or of an event file: Z²ₙ, epoch folding, Lomb–Scargle,
    /// Leahy; false-alarm probabilities, best period, folded profile, pulsed fraction.
    Period(cmd::period::Args),
    /// Fluxes and Bayesian upper limits of catalogued sources (or a position) in one
    /// observation, per camera and band and EPIC combined, with forced photometry (issue 15).
    Photometry(cmd::photometry::Args),
    /// Source and background spectra of a source per camera (OGIP PHA), time-resolved and
    /// grouped on request, with the response files or the SAS commands that make them.
    Spectrum(cmd::spectrum::Args),
    /// Fit XSPEC-convention models to an OGIP spectrum (C-stat, χ², W-stat): parameters with
    /// profile-likelihood errors, goodness, model comparison, fluxes with errors, plot.
    Fit(cmd::fit::Args),
    /// The follow-up report of a source: counterparts, distance, fluxes, L_X, F_X/F_opt,
    /// log(f_x/f_v), X-ray main sequence, timing, spectral fits, class hints (HTML + JSON).
    Followup(cmd::report::Args),
    /// The alert stream: a new observation in (EXOD search, photometry of the archive's sources,
    /// long-term variability), VOEvent 2.0 + JSON alerts out, archive updated atomically.
    Alert(cmd::alert::Args),
    /// Long-term variability of every source over its epochs (alert archives, photometry
    /// tables, 4XMM-like catalogues): STONKS variability figure, alerts, light curves.
    Longterm(cmd::longterm::Args),
    /// Benchmarks: completeness, false positives, positions, speed (paper §2.6).
    #[command(subcommand)]
    Bench(cmd::bench::Bench),
}

fn main() {
    signals::install();
    let cli = Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (_, 0) => "info",
        (_, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    let result = match cli.command {
        Command::Bayes(a) => cmd::bayes::run(a),
        Command::Info(a) => cmd::info::run(a),
        Command::Inject(a) => cmd::inject::run(a),
        Command::Missions(a) => cmd::missions::run(a),
        Command::Simulate(a) => cmd::simulate::run(a),
        Command::SimulateArchive(a) => cmd::simulate_archive::run(a),
        Command::Detect(a) => cmd::detect::run(a).map(|o| cmd::detect::print_table(&o.result)),
        Command::Batch(a) => cmd::batch::run(a, cli.quiet),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Catalog(a) => cmd::catalog::run(a),
        Command::Crossmatch(a) => cmd::crossmatch::run(a),
        Command::Lc(a) => cmd::lc::run(a),
        Command::Period(a) => cmd::period::run(a),
        Command::Photometry(a) => cmd::photometry::run(a),
        Command::Spectrum(a) => cmd::spectrum::run(a),
        Command::Fit(a) => cmd::fit::run(a),
        Command::Followup(a) => cmd::report::run(a),
        Command::Alert(a) => cmd::alert::run(a),
        Command::Longterm(a) => cmd::longterm::run(a),
        Command::Bench(b) => cmd::bench::run(b),
    };
    // exit codes (README): 0 success, 1 an error (bad input, refused data, I/O), 2 a usage
    // error (clap), 128 + N interrupted by signal N (staging folders removed)
    if let Err(e) = result {
        if signals::interrupted() {
            // the signal thread is removing the unfinished outputs and will exit with 128 + N
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
