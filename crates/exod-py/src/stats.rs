//! The EXOD statistic of the paper's §2.4 over numpy arrays: log10 Bayes factors of a peak and
//! of an eclipse (eqs. 9–10), their σ-equivalents, the thresholds of a σ and the amplitude
//! quantiles (eqs. 11–12), each element computed by `exod_core::stats` exactly as the search and
//! `exod bayes` compute it. The arrays come flattened and broadcast from Python
//! (`exod/stats.py`).

use anyhow::bail;
use exod_core::stats;
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use rayon::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(log10_b_peak, m)?)?;
    m.add_function(wrap_pyfunction!(log10_b_eclipse, m)?)?;
    m.add_function(wrap_pyfunction!(sigma_equivalents, m)?)?;
    m.add_function(wrap_pyfunction!(thresholds, m)?)?;
    m.add_function(wrap_pyfunction!(amplitude_quantile, m)?)?;
    Ok(())
}

/// The (n, μ) pairs, checked: μ finite and > 0, equal lengths.
fn pairs(n: &[u64], mu: &[f64]) -> anyhow::Result<()> {
    if n.len() != mu.len() {
        bail!(
            "n has {} values and mu {}: expected equal lengths",
            n.len(),
            mu.len()
        );
    }
    if let Some(j) = mu.iter().position(|m| !(m.is_finite() && *m > 0.0)) {
        bail!(
            "mu[{j}] = {}: the expectation must be a finite number > 0",
            mu[j]
        );
    }
    Ok(())
}

/// `f(n_i, μ_i)` for every pair, in parallel, the GIL released.
fn map<'py>(
    py: Python<'py>,
    n: PyReadonlyArray1<'py, u64>,
    mu: PyReadonlyArray1<'py, f64>,
    f: impl Fn(u64, f64) -> anyhow::Result<f64> + Sync + Send,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (n, mu) = (n.as_slice()?, mu.as_slice()?);
    let v = crate::guarded(py, || {
        pairs(n, mu)?;
        n.par_iter()
            .zip(mu.par_iter())
            .map(|(&n, &m)| f(n, m))
            .collect::<anyhow::Result<Vec<f64>>>()
    })?;
    Ok(PyArray1::from_vec(py, v))
}

/// log10 B_peak(N, μ) (paper eq. 9).
#[pyfunction]
fn log10_b_peak<'py>(
    py: Python<'py>,
    n: PyReadonlyArray1<'py, u64>,
    mu: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    map(py, n, mu, |n, m| Ok(stats::log10_b_peak(n, m)))
}

/// log10 B_eclipse(N, μ) (paper eq. 10).
#[pyfunction]
fn log10_b_eclipse<'py>(
    py: Python<'py>,
    n: PyReadonlyArray1<'py, u64>,
    mu: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    map(py, n, mu, |n, m| Ok(stats::log10_b_eclipse(n, m)))
}

/// σ-equivalents of the peak and of the eclipse Bayes factors.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn sigma_equivalents<'py>(
    py: Python<'py>,
    n: PyReadonlyArray1<'py, u64>,
    mu: PyReadonlyArray1<'py, f64>,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)> {
    let (ns, ms) = (n.as_slice()?, mu.as_slice()?);
    let (p, e): (Vec<f64>, Vec<f64>) = crate::guarded(py, || {
        pairs(ns, ms)?;
        Ok(ns
            .par_iter()
            .zip(ms.par_iter())
            .map(|(&n, &m)| stats::sigma_equivalents(n, m))
            .unzip())
    })?;
    Ok((PyArray1::from_vec(py, p), PyArray1::from_vec(py, e)))
}

/// The log10 B thresholds (peak, eclipse) equivalent to `sigma`.
#[pyfunction]
fn thresholds(sigma: f64) -> PyResult<(f64, f64, f64)> {
    let t = stats::Thresholds::for_sigma(sigma).map_err(|e| crate::to_py(e.into()))?;
    Ok((t.sigma, t.peak, t.eclipse))
}

/// Quantile `q` (0–1) of the amplitude of a peak (`peak`) or an eclipse (paper eqs. 11–12).
#[pyfunction]
fn amplitude_quantile<'py>(
    py: Python<'py>,
    n: PyReadonlyArray1<'py, u64>,
    mu: PyReadonlyArray1<'py, f64>,
    q: f64,
    peak: bool,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    map(py, n, mu, move |n, m| {
        Ok(if peak {
            stats::peak_amplitude_quantile(n, m, q)?
        } else {
            stats::eclipse_amplitude_quantile(n, m, q)?
        })
    })
}
