//! The one error type of the I/O crate: every variant names the file (once), what is wrong and
//! what was expected, in words — cfitsio failures as "cfitsio status N: text", never Rust Debug
//! text — and carries no `source()` chain that would repeat the message. A Python binding maps
//! each variant to an exception class.

use std::path::PathBuf;

use exod_core::CoreError;

pub use crate::fits::FitsError;

/// Errors of reading and writing.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// A FITS-level problem (cannot open, missing HDU, keyword or column …).
    #[error(transparent)]
    Fits(#[from] FitsError),
    /// Data exod does not support (timing mode, small window …), with the reason.
    #[error("{path}: unsupported data: {reason}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Why, and what is supported.
        reason: String,
    },
    /// Invalid content.
    #[error("{path}: {what}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong and what was expected.
        what: String,
    },
    /// An operating-system error on a file. The OS error is part of the message, not a
    /// `source()`: a chain printer (`{:#}`) would otherwise show it twice.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// An output that could not be written.
    #[error("{path}: {msg}")]
    Output {
        /// The file.
        path: PathBuf,
        /// What failed.
        msg: String,
    },
    /// The core refused the data.
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl IoError {
    /// An [`IoError::Invalid`] about `path`.
    pub fn invalid(path: impl Into<PathBuf>, what: impl Into<String>) -> IoError {
        IoError::Invalid {
            path: path.into(),
            what: what.into(),
        }
    }

    /// An [`IoError::Output`] about `path`.
    pub fn output(path: impl Into<PathBuf>, msg: impl std::fmt::Display) -> IoError {
        IoError::Output {
            path: path.into(),
            msg: msg.to_string(),
        }
    }
}
