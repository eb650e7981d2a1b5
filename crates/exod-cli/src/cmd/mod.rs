//! One module per subcommand.
pub mod alert;
pub mod batch;
pub mod bayes;
pub mod bench;
pub mod catalog;
pub mod crossmatch;
pub mod demo;
pub mod detect;
pub mod fit;
pub mod fit_out;
pub mod followup;
pub mod info;
pub mod inject;
pub mod lc;
pub mod lc_analysis;
pub mod lc_field;
pub mod lc_stats;
pub mod longterm;
pub mod missions;
pub mod period;
pub mod photometry;
pub mod report;
pub mod simulate;
pub mod simulate_archive;
pub mod spectrum;
pub mod target;

/// Peak resident memory of this process so far (MB, Linux `VmHWM`; NaN elsewhere).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// The command line of this process, as one string (for the provenance of tables).
pub fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}
