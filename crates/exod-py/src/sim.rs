//! The simulator: one observation (`exod simulate`, same options and defaults), the demo's
//! observation (`exod demo`'s seed and injections) and an archive (`exod simulate-archive`),
//! and the catalogue of batch outputs (`exod catalog`).

use std::path::PathBuf;

use exod_cli::cmd;
use pyo3::prelude::*;
use pyo3::types::PyDict;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(simulate_demo, m)?)?;
    m.add_function(wrap_pyfunction!(simulate_archive, m)?)?;
    m.add_function(wrap_pyfunction!(catalog, m)?)?;
    Ok(())
}

fn files<'py>(py: Python<'py>, s: exod_sim::simulate::SimOutput) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("event_files", s.event_files)?;
    d.set_item("n_events", s.n_events)?;
    d.set_item("srclist", s.srclist)?;
    d.set_item("truth", s.truth_path)?;
    Ok(d)
}

/// `exod simulate` with these options (argv); the files written.
#[pyfunction]
fn simulate<'py>(py: Python<'py>, argv: Vec<String>) -> PyResult<Bound<'py, PyDict>> {
    let a: cmd::simulate::Args = crate::parse_args("simulate", argv)?;
    let s = crate::guarded(py, || cmd::simulate::simulate_into(&a))?;
    files(py, s)
}

/// The observation of `exod demo` (seed 2026, six bursts, an eclipse, mild flares) into `out`.
#[pyfunction]
#[pyo3(signature = (out, overwrite=false))]
fn simulate_demo(py: Python<'_>, out: PathBuf, overwrite: bool) -> PyResult<Bound<'_, PyDict>> {
    let s = crate::guarded(py, || cmd::demo::simulate_demo(&out, overwrite))?;
    files(py, s)
}

/// `exod simulate-archive` with these options (argv).
#[pyfunction]
fn simulate_archive(py: Python<'_>, argv: Vec<String>) -> PyResult<()> {
    let a: cmd::simulate_archive::Args = crate::parse_args("simulate-archive", argv)?;
    crate::guarded(py, || cmd::simulate_archive::run(a))
}

/// `exod catalog` with these options (argv).
#[pyfunction]
fn catalog(py: Python<'_>, argv: Vec<String>) -> PyResult<()> {
    let a: cmd::catalog::Args = crate::parse_args("catalog", argv)?;
    crate::guarded(py, || cmd::catalog::run(a))
}
