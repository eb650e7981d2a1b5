//! # exod-io — exod's inputs and outputs
//!
//! * [`fits`] — the cfitsio layer (through the `fitsio` crate, cfitsio bundled): opening with
//!   messages that name the file, raw header cards, atomic writes.
//! * [`events`] — event lists of XMM-Newton EPIC (and Chandra, eROSITA, NuSTAR, Swift) →
//!   [`exod_core::exposure::Exposure`].
//! * [`event_append`] — a real event list copied with events appended to its EVENTS table
//!   (burst injection, `exod inject`), rows re-sorted by TIME, checksums updated.
//! * [`header`] — an event list's EVENTS header facts without its events (batch planning).
//! * [`srclist`] — source lists (EPIC OBSMLI FITS, CSV).
//! * [`ecsv`] — Astropy ECSV tables.
//! * [`table_in`] — external catalogues (FITS, CSV/ECSV, VOTable) for cross-matching.
//! * [`counterparts`] — Gaia/SIMBAD/4XMM/SUSS-like catalogues for the follow-up report.
//! * [`output`] — the files of a search: `detections.fits`/`.ecsv`, `lightcurves.fits` (OGIP
//!   light curves), `image.fits` (counts with WCS), `regions.reg`.
//! * [`lc_out`] — light curves of an extracted source (`exod lc`): OGIP FITS (one `RATE`
//!   extension per camera and combined, GTIs) and ECSV.
//! * [`detections_in`] — the detections of searches read back for the catalogue;
//!   [`catalog_out`] — the catalogue's files (detections, unique sources, hot areas, light
//!   curves, regions).
//! * [`table`] — column tables with unit and description on every column, as FITS, ECSV and
//!   Parquet (feature `parquet`): the catalogue and the cross-match outputs.
//! * [`timing_in`] — arrival times of any OGIP event list (a TIME column and GTIs), and
//!   spacecraft orbits, for the timing follow-up and its barycentric correction.
//! * [`ogip`] — OGIP spectral files: PHA spectra (type I and II), RMF, ARF, and the responses a
//!   spectrum names.
//! * [`html`] — self-contained static HTML reports (document model, renderer, index page).
//! * [`voevent`] — alerts as IVOA VOEvent 2.0 packets and JSON.
//! * [`context`] — what the outputs' headers say about the observation and the run
//!   ([`context::OutputContext`]; `SOURCE_DATE_EPOCH` fixes their `DATE`).
//!
//! ```no_run
//! use exod_io::events::{read, ReadOptions};
//! let pn = read(std::path::Path::new("P0123PNS003PIEVLI0000.FTZ"), &ReadOptions::default()).unwrap();
//! println!("{} events kept", pn.len());
//! ```
#![warn(missing_docs)]

pub mod atomdb;
pub mod catalog_out;
pub mod context;
pub mod counterparts;
pub mod detections_in;
pub mod ecsv;
pub mod error;
pub mod event_append;
pub mod events;
pub mod fits;
mod fitsw;
pub mod header;
pub mod html;
pub mod lc_out;
pub mod ogip;
pub mod online;
pub mod output;
#[cfg(feature = "parquet")]
mod parquet_out;
pub mod pha_out;
pub mod photometry;
pub mod srclist;
pub mod table;
pub mod table_in;
pub mod timing_in;
pub mod voevent;
mod votable;

pub use error::IoError;
