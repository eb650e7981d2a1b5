//! # exod — faint, fast X-ray transients in photon event lists
//!
//! The EXOD method (Khan, Quintin, Webb et al., *The EXOD search for faint transients in
//! XMM-Newton observations, Part II*), one stage per module, data flowing one way:
//!
//! `events` (read, screen, GTI) → `cube` → `expectation` → `stats` → `detect` → catalogue.
//!
//! * [`events`] — event lists of XMM-Newton EPIC (and Chandra, eROSITA, NuSTAR), screening, GTIs.
//! * [`wcs`] — sky pixel ↔ RA/Dec (TAN, SIN).
//! * [`stats`] — Bayes factors, thresholds, decision boundaries, amplitudes (paper §2.4).
//! * [`simulate`] — realistic simulated EPIC observations in pipeline formats.
//! * [`fits`] — the cfitsio layer shared by readers and writers.

pub mod bench;
pub mod cube;
pub mod detect;
pub mod ecsv;
pub mod events;
pub mod expectation;
pub mod fits;
pub mod plot;
pub mod report;
pub mod simulate;
pub mod stats;
pub mod wcs;
