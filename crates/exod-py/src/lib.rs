//! `exod._exod`: the compiled part of the Python package `exod` (PyO3, stable ABI ≥ 3.9).
//!
//! Thin bindings over the `exod-cli` library (the same functions the `exod` command calls, so
//! there is one copy of the pipeline): the search of one observation ([`detect`]), the units of
//! `exod batch` for Dask workers ([`batch`]), the Bayes-factor statistics of the paper's §2.4
//! vectorised over numpy arrays ([`stats`]), timing ([`timing`]) and the simulator ([`sim`]).
//! The pure-Python layer (`python/exod/__init__.py`, `exod/dask.py`) builds astropy tables
//! from the numpy arrays returned here. Every error becomes `exod.ExodError` with the whole
//! message chain of the library (`format!("{e:#}")`: file name, what is wrong, what was
//! expected); panics are caught and reported the same way, never crossing into Python.
//! Long calls release the GIL (`Python::detach`).

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

mod batch;
mod detect;
mod sim;
mod stats;
mod timing;

create_exception!(
    _exod,
    ExodError,
    PyException,
    "An error of exod: the message names the file, what is wrong and what was expected."
);

/// The Python exception of an anyhow error, with its whole chain.
pub(crate) fn to_py(e: anyhow::Error) -> PyErr {
    ExodError::new_err(format!("{e:#}"))
}

/// Run `f` (the GIL released), turning its errors and any panic into `ExodError`.
pub(crate) fn guarded<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> anyhow::Result<T> + Send,
) -> PyResult<T> {
    let r = py.detach(|| catch_unwind(AssertUnwindSafe(f)));
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py(e)),
        Err(p) => Err(ExodError::new_err(format!(
            "internal error (a bug of exod, please report it): {}",
            exod_cli::cmd::batch::worker::panic_message(p.as_ref())
        ))),
    }
}

/// Parse `argv` (options of the `exod` subcommand `name`, without the program and subcommand
/// names) with the command's own clap definition, so that defaults are the CLI's.
pub(crate) fn parse_args<A: clap::Args + clap::FromArgMatches>(
    name: &'static str,
    argv: Vec<String>,
) -> PyResult<A> {
    let cmd = A::augment_args(clap::Command::new(name).no_binary_name(true));
    let m = cmd
        .try_get_matches_from(argv)
        .map_err(|e| ExodError::new_err(e.render().to_string()))?;
    A::from_arg_matches(&m).map_err(|e| ExodError::new_err(e.render().to_string()))
}

#[pymodule]
fn _exod(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ExodError", m.py().get_type::<ExodError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    detect::register(m)?;
    batch::register(m)?;
    stats::register(m)?;
    timing::register(m)?;
    sim::register(m)?;
    Ok(())
}
