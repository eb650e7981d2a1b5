//! # Spectral follow-up: OGIP spectra and responses, XSPEC-convention models, fit statistics, fits, fluxes
//!
//! The X-ray spectra of the follow-up reports (seeds `000`, `001`, `003`): a source (and background) PHA
//! spectrum, its response (RMF × ARF), a model made of XSPEC components (`tbabs*(bbody+powerlaw)`), fitted
//! with C-stat, χ² or W-stat, then compared and turned into fluxes.
//!
//! | what | module |
//! |---|---|
//! | spectra, responses, folding, channel filters | [`data`] |
//! | grouping (minimum counts, Kaastra & Bleeker 2016 optimal binning) | [`group`] |
//! | model components and expressions (XSPEC definitions) | [`model`] |
//! | statistics: cstat, chi2 (data/model variance, Gehrels), wstat (XSPEC Appendix B) | [`stat`] |
//! | fitting, errors, goodness, model comparison | [`fit`] |
//! | fluxes with errors | [`flux`] |
//! | the noticed groups of a fit | [`fitdata`] |
//! | fitting a list of models, likelihood-ratio tests | [`compare`] |
//!
//! No file is read here: OGIP readers and writers are in `exod_io::ogip`.

pub mod compare;
pub mod data;
pub mod fit;
pub mod fitdata;
pub mod flux;
pub mod model;
pub mod stat;

/// Errors of the spectral module.
#[derive(Debug, thiserror::Error)]
pub enum SpectralError {
    /// A spectrum, response or table that cannot be used as given.
    #[error("{source_name}: {what}")]
    Input {
        /// The file (or label) the data came from.
        source_name: String,
        /// What is wrong and what was expected.
        what: String,
    },
    /// A parameter, model expression or option out of its domain.
    #[error("{0}")]
    Param(String),
    /// The minimiser failed.
    #[error(transparent)]
    Optimize(#[from] crate::optimize::OptimizeError),
}

impl SpectralError {
    /// An input error about `source_name`.
    pub fn input(source_name: impl std::fmt::Display, what: impl Into<String>) -> SpectralError {
        SpectralError::Input {
            source_name: source_name.to_string(),
            what: what.into(),
        }
    }

    /// A parameter error.
    pub fn param(msg: impl Into<String>) -> SpectralError {
        SpectralError::Param(msg.into())
    }
}
