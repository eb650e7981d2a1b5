//! The science of the automated follow-up report (issue 14): what an astronomer computes by
//! hand for every alert, from a source's X-ray fluxes and its catalogue counterparts.
//!
//! | step | module | source |
//! |---|---|---|
//! | distance from a Gaia parallax (inversion or EDSD prior) | [`distance`] | Lindegren et al. 2021; Bailer-Jones 2015 |
//! | G-band flux, V from G and BP−RP | [`optical`] | Riello et al. 2021 |
//! | L_X, F_X/F_opt, log(f_x/f_v) with errors | [`ratios`] | Maccacaro et al. 1988 |
//! | class hints from a table of typical ranges | [`classify`] | `data/classes/classes.csv` |
//! | counterparts within combined errors, chance probability | [`counterparts`] | crossmatch rule |
//!
//! Everything returned is a plain `serde::Serialize` struct; nothing here reads a file (the
//! catalogues are loaded by `exod_io::counterparts`) or renders HTML.

pub mod classify;
pub mod counterparts;
pub mod distance;
pub mod optical;
pub mod ratios;

/// A value with a 1σ error (NaN = unknown error), used for the inputs of the follow-up.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Measured {
    /// The value.
    pub value: f64,
    /// Its 1σ error (NaN or 0 when unknown).
    pub error: f64,
}

impl Measured {
    /// A value with a 1σ error.
    pub fn new(value: f64, error: f64) -> Measured {
        Measured { value, error }
    }

    /// A value without error.
    pub fn exact(value: f64) -> Measured {
        Measured {
            value,
            error: f64::NAN,
        }
    }

    /// The error, 0 when unknown or negative.
    pub fn err0(&self) -> f64 {
        if self.error.is_finite() && self.error > 0.0 {
            self.error
        } else {
            0.0
        }
    }
}

/// One parsec in cm (IAU 2015 B2: 648000/π au, au = 1.495978707e13 cm).
pub const PC_CM: f64 = 3.085_677_581_491_367e18;
