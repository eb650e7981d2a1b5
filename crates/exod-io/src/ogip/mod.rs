//! # OGIP spectral files: PHA spectra (type I and II), RMF, ARF
//!
//! Readers of the files an X-ray spectral fit needs, into the types of
//! [`exod_core::spectral::data`], following the OGIP memos OGIP/92-007 (PHA, with the type II
//! extension 92-007a) and CAL/GEN/92-002 (RMF and ARF, with 92-002a):
//!
//! * [`read_pha`], [`read_pha_rows`] — spectra ([`pha`] lists what is read from where, and
//!   the defaults);
//! * [`read_rmf`] — redistribution matrices, with the channel offset rule of [`rmf`] (the pn RMF
//!   of `testdata/spectral` is 0-based without TLMIN on F_CHAN);
//! * [`read_arf`] — effective areas;
//! * [`read_response`] — RMF and optional ARF as a [`Response`];
//! * [`resolve_response_paths`] — the RESPFILE, ANCRFILE, BACKFILE a spectrum names, found next
//!   to it; a file named but missing is reported, not fatal ([`paths`]);
//! * [`check_channels`] — a spectrum and an RMF on the same channels.
//!
//! Every error names the file, what is wrong and what was expected; a damaged file is an
//! error, never a panic.
//!
//! ```no_run
//! use std::path::Path;
//! use exod_io::ogip::{read_pha, read_response, resolve_response_paths};
//! let pha = Path::new("testdata/spectral/chandra_3c273/3c273.pi.gz");
//! let spec = read_pha(pha).unwrap();
//! let paths = resolve_response_paths(pha, &spec);
//! for w in paths.warnings() { eprintln!("warning: {w}"); }
//! let resp = read_response(paths.rmf.as_deref().unwrap(), paths.arf.as_deref()).unwrap();
//! assert_eq!(resp.rmf.n_channels(), spec.counts.len());
//! ```

// IoError is the crate's error type (its size is not this module's to change)
#![allow(clippy::result_large_err)]

mod arf;
mod columns;
pub mod paths;
pub mod pha;
pub mod rmf;

use std::path::Path;

use exod_core::spectral::data::{Response, Rmf, Spectrum};
use exod_core::spectral::SpectralError;

use crate::error::IoError;

pub use arf::read_arf;
pub use paths::{resolve_named, resolve_response_paths, MissingFile, ResponsePaths};
pub use pha::{read_pha, read_pha_rows};
pub use rmf::read_rmf;

/// Read an RMF and (optionally) an ARF on its energy grid into a [`Response`].
pub fn read_response(rmf: &Path, arf: Option<&Path>) -> Result<Response, IoError> {
    let r = read_rmf(rmf)?;
    let a = arf.map(read_arf).transpose()?;
    Response::new(r, a).map_err(spectral_error)
}

/// A spectrum and an RMF describe the same channels: as many, and the spectrum's first
/// channel number is the RMF's [`Rmf::first_channel`].
pub fn check_channels(spectrum: &Spectrum, rmf: &Rmf) -> Result<(), IoError> {
    let n = spectrum.channel.len();
    if n != rmf.n_channels() {
        return Err(IoError::invalid(
            &spectrum.name,
            format!(
                "{n} channels, the RMF {} has {}: expected the response of this spectrum",
                rmf.name,
                rmf.n_channels()
            ),
        ));
    }
    match spectrum.channel.first() {
        Some(&c) if c != rmf.first_channel => Err(IoError::invalid(
            &spectrum.name,
            format!(
                "channels start at {c}, those of the RMF {} at {}: expected the same channel numbering",
                rmf.name, rmf.first_channel
            ),
        )),
        _ => Ok(()),
    }
}

/// A spectral-module error about a file as an I/O error about that file.
pub(crate) fn spectral_error(e: SpectralError) -> IoError {
    match e {
        SpectralError::Input { source_name, what } => IoError::invalid(source_name, what),
        other => IoError::invalid("", other.to_string()),
    }
}

/// ENERG_LO/ENERG_HI: as many, finite, ≥ 0, each bin non-empty, increasing without overlap
/// (1e-6 relative tolerance), as [`Rmf::new`] requires.
pub(crate) fn check_energy_grid(path: &Path, lo: &[f64], hi: &[f64]) -> Result<(), IoError> {
    exod_core::spectral::data::check_energy_grid(&path.display().to_string(), lo, hi)
        .map_err(spectral_error)
}
