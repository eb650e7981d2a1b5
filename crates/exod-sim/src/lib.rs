//! # exod-sim — simulated EPIC observations and the EXOD benchmarks
//!
//! * [`simulate`] — realistic XMM-Newton EPIC pn/MOS observations in pipeline formats.
//! * [`archive`] — a simulated archive of overlapping observations with known transients, a
//!   flickering hot pixel and bad inputs (the test input of batch, catalogue and cross-match).
//! * [`inject`] — synthetic bursts injected into a real event list of any described mission
//!   (`exod inject`), with their truth table.
//! * [`mission`] — Chandra ACIS-I, Swift-XRT PC, NuSTAR FPMA/B and eROSITA observations in
//!   their pipelines' formats.
//! * [`bench`] — the paper's §2.6 benchmarks: injections into real or simulated observations,
//!   false-positive realisations of μ.
//!
//! ```no_run
//! use exod_sim::simulate::{simulate, SimConfig};
//! let out = simulate(&SimConfig { seed: 1, ..SimConfig::default() }, std::path::Path::new("sim")).unwrap();
//! println!("{:?}", out.event_files);
//! ```
#![warn(missing_docs)]

pub mod archive;
pub mod bench;
pub mod inject;
pub mod mission;
pub mod simulate;

/// The simulator's FITS writing takes turns through this lock: with two threads opening files at
/// once, cfitsio's process-global lock has been seen to stay held, both threads then waiting in
/// `ffopen` for ever (two tests simulating in parallel; `exod bench` simulates its observations
/// in parallel too). Taken around each top-level write step (responses, event lists, mission
/// lists, injected copies), never nested.
pub(crate) fn fits_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}
