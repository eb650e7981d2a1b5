//! # exod-plot — PNG figures of exod results
//!
//! [`plot`] holds the drawing primitives (a counts image with marks, a light curve with μ and
//! shaded BTIs, series and curves for benchmarks); [`sky`] draws a search grid's image with
//! RA/Dec axes, a colour bar and numbered marks; [`figures`] draws the figures of a search;
//! [`catalog`] draws a catalogue's all-sky map and the EPIC-frame map of hot areas; [`timing`]
//! draws light curves with Bayesian blocks, periodograms with detection levels and folded profiles;
//! [`xms`] draws the X-ray main sequence (Rodriguez 2024) with a source on it; [`longterm`]
//! draws a source's flux or upper limit per observation.
//! Fonts are embedded (DejaVu), so no system font library is needed.
//!
//! ```no_run
//! let png = std::path::Path::new("lc.png");
//! exod_plot::plot::lightcurve_png(png, &[0.0, 5.0], 5.0, &[1.0, 4.0], &[1.2, 1.1],
//!     &[false, false], Some(1), "a burst").unwrap();
//! ```
#![warn(missing_docs)]

pub mod catalog;
pub mod figures;
pub mod longterm;
pub mod plot;
pub mod sky;
pub mod spectral;
pub mod timing;
pub mod xms;

pub use plot::PlotError;
