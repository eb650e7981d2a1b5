//! # exod-sim — simulated EPIC observations and the EXOD benchmarks
//!
//! * [`simulate`] — realistic XMM-Newton EPIC pn/MOS observations in pipeline formats.
//! * [`bench`] — the paper's §2.6 benchmarks: injections into real or simulated observations,
//!   false-positive realisations of μ.
//!
//! ```no_run
//! use exod_sim::simulate::{simulate, SimConfig};
//! let out = simulate(&SimConfig { seed: 1, ..SimConfig::default() }, std::path::Path::new("sim")).unwrap();
//! println!("{:?}", out.event_files);
//! ```
#![warn(missing_docs)]

pub mod bench;
pub mod simulate;
