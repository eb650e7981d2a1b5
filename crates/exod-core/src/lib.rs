//! # exod-core — the EXOD method without I/O
//!
//! The EXOD search for faint, fast X-ray transients (Khan, Quintin, Webb et al., *The EXOD
//! search for faint transients in XMM-Newton observations, Part II*), one stage per module,
//! data flowing one way. No file is read or written here, nothing is drawn, and every random draw
//! (spectral flux errors, C-stat bootstrap) comes from a caller-given seed: readers (`exod-io`), plots (`exod-plot`) and simulations (`exod-sim`) live in crates
//! that depend on this one, never the other way round.
//!
//! | stage | module | paper |
//! |---|---|---|
//! | what the detector is | [`instrument`] | §2.2 |
//! | one camera's screened events and GTIs | [`exposure`], [`screening`], [`gti`] | §2.2 |
//! | events of all cameras on one sky grid | [`observation`], [`grid`], [`coverage`], [`band`] | §2.3 |
//! | GTI coverage of every CCD per frame, `L(x, t)` | [`gti_coverage`], [`exposure_model`] | §2.5 |
//! | bad time intervals | [`bti`] | §2.5.1 |
//! | source mask | [`mask`] | §2.5.2 |
//! | background templates | [`template`] | §2.5.2 |
//! | expected counts μ | [`expectation`] | §2.5 |
//! | Bayes factors and thresholds | [`stats`] | §2.4 |
//! | peak and eclipse decisions | [`decide`] | §2.4 |
//! | regions in space and time | [`regions`] | §2.7 |
//! | light curves, significance, positions | [`measure`] | §2.7, §5.2.4 |
//! | quality flags | [`flags`] | Table 1 |
//! | the search of one observation | [`search`] | §2.3–2.7 |
//! | positions on the sphere, a sky index for radius queries | [`sky`] | §3, §3.3 |
//! | the catalogue: unique sources, names, hot areas, flags | [`catalog`] | §2.7, §3, Tables 1–3 |
//! | cross-matches with catalogues, shifted-catalogue chance matches | [`crossmatch`] | §3.3 |
//! | time systems (MJDREF, TIMESYS, TIMEREF), barycentric correction | [`timesys`] | |
//! | spectra, responses, XSPEC models, C-stat/χ²/W-stat fits, fluxes | [`spectral`] | |
//! | follow-up: distance, optical flux, L_X and flux ratios, class hints, counterparts | [`followup`] | |
//! | long-term variability across observations, alert kinds (STONKS) | [`longterm`] | Quintin et al. 2024 |
//!
//! ```
//! use exod_core::stats::{log10_b_peak, Thresholds};
//! // 12 photons where 1 is expected: a 3σ peak (paper eqs. 6, 9)
//! let t = Thresholds::for_sigma(3.0).unwrap();
//! assert!(log10_b_peak(12, 1.0) > t.peak);
//! ```
//!
//! Threads: [`search::search`] runs its band × t_bin runs with rayon on the current pool; call
//! it inside `pool.install(...)` (or use [`search::search_in`]) to bound the threads, as a Dask
//! worker or a Python caller must.
#![warn(missing_docs)]

pub mod band;
pub mod bti;
pub mod catalog;
pub mod coverage;
pub mod crossmatch;
pub mod decide;
pub mod error;
pub mod expectation;
pub mod exposure;
pub mod exposure_model;
pub mod extract;
pub mod flags;
pub mod followup;
pub mod grid;
pub mod gti;
pub mod gti_coverage;
pub mod instrument;
pub mod longterm;
pub mod mask;
pub mod measure;
pub mod observation;
pub mod optimize;
pub mod photometry;
pub mod regions;
pub mod screening;
pub mod search;
pub mod sky;
pub mod source;
pub mod spectral;
pub mod stats;
pub mod template;
pub mod timesys;
pub mod timing;
pub mod wcs;

pub use error::CoreError;
