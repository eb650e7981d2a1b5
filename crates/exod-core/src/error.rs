//! The one error type of the core crate. Every variant carries a message a user can act on; a
//! Python binding maps each variant to an exception class.

/// Errors of the core crate.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A parameter out of its domain (a band, a t_bin, σ, μ …).
    #[error("{0}")]
    Param(String),
    /// Input data that cannot be searched as given (no events, inconsistent exposures …).
    #[error("{source_name}: {what}")]
    Input {
        /// The file or exposure the data came from.
        source_name: String,
        /// What is wrong and what was expected.
        what: String,
    },
    /// An instrument with no description: refused instead of searched wrongly.
    #[error("{what}")]
    Undescribed {
        /// What was found and what is supported.
        what: String,
    },
    /// Statistics of the EXOD method (paper §2.4).
    #[error(transparent)]
    Stats(#[from] crate::stats::StatsError),
}

impl CoreError {
    /// A parameter error.
    pub fn param(msg: impl Into<String>) -> CoreError {
        CoreError::Param(msg.into())
    }

    /// An input error about `source_name`.
    pub fn input(source_name: impl std::fmt::Display, what: impl Into<String>) -> CoreError {
        CoreError::Input {
            source_name: source_name.to_string(),
            what: what.into(),
        }
    }
}
