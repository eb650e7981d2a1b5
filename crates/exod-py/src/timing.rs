//! Timing: Z²ₙ of photon times at given frequencies (direct sums, `exod_core::timing::z2`),
//! the exact Z²ₙ periodogram on a regular grid (NUFFT), and the whole periodicity search of
//! `exod period` (same options and defaults, result as period.json holds it).

use exod_core::timing::freq::FrequencyGrid;
use exod_core::timing::z2;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use rayon::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(z2_at, m)?)?;
    m.add_function(wrap_pyfunction!(z2_search, m)?)?;
    m.add_function(wrap_pyfunction!(period, m)?)?;
    Ok(())
}

/// Z²ₙ at each frequency of `freqs` (Hz), phases from `times[0]` (direct summation).
#[pyfunction]
fn z2_at<'py>(
    py: Python<'py>,
    times: PyReadonlyArray1<'py, f64>,
    freqs: PyReadonlyArray1<'py, f64>,
    nharm: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (t, f) = (times.as_slice()?, freqs.as_slice()?);
    let v = crate::guarded(py, || {
        anyhow::ensure!(
            nharm >= 1,
            "nharm = 0: expected at least one harmonic (e.g. 2)"
        );
        anyhow::ensure!(!t.is_empty(), "Z²: no event times");
        if let Some(j) = f.iter().position(|x| !x.is_finite()) {
            anyhow::bail!("freqs[{j}] = {}: expected finite frequencies (Hz)", f[j]);
        }
        Ok(f.par_iter()
            .map(|&fr| z2::z2_direct(t, fr, nharm))
            .collect())
    })?;
    Ok(PyArray1::from_vec(py, v))
}

/// Exact Z²ₙ on the grid fmin, fmin + df, … ≤ fmax (NUFFT, tolerance 1e-12): (freqs, powers).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn z2_search<'py>(
    py: Python<'py>,
    times: PyReadonlyArray1<'py, f64>,
    fmin: f64,
    fmax: f64,
    df: f64,
    nharm: usize,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)> {
    let t = times.as_slice()?;
    let (f, p) = crate::guarded(py, || {
        let g = FrequencyGrid::from_range(fmin, fmax, df)?;
        Ok((g.frequencies(), z2::z2_search(t, &g, nharm)?))
    })?;
    Ok((PyArray1::from_vec(py, f), PyArray1::from_vec(py, p)))
}

/// `exod period` with these options (argv without the program name); period.json as JSON.
#[pyfunction]
fn period(py: Python<'_>, argv: Vec<String>) -> PyResult<String> {
    let a: exod_cli::cmd::period::Args = crate::parse_args("period", argv)?;
    crate::guarded(py, || {
        let (_, v) = exod_cli::cmd::period::analyse(&a)?;
        Ok(serde_json::to_string(&v)?)
    })
}
