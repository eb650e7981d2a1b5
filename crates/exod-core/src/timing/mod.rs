//! Timing follow-up of a source: light curves, variability, Bayesian blocks, flare profiles and
//! periodicity searches with false-alarm probabilities.
//!
//! The extraction of a source's events (apertures, backgrounds, live time) lives in
//! [`crate::extract`], shared with the spectral follow-up; time systems and the barycentric
//! correction in [`crate::timesys`].

pub mod blocks;
pub mod flare;
pub mod fold;
pub mod freq;
pub mod lightcurve;
pub mod lomb;
pub mod nufft;
pub mod pds;
pub mod period;
pub mod significance;
pub mod variability;
pub mod z2;
