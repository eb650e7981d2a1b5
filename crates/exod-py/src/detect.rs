//! `detect` (the search of `exod detect`, same parameters and defaults) and `read_events` (an
//! event list read and screened as the search reads it).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::bail;
use exod_cli::cmd::detect::{self as d, SearchArgs};
use exod_io::table::{ColumnData, Table};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(detect, m)?)?;
    m.add_function(wrap_pyfunction!(search_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(read_events, m)?)?;
    Ok(())
}

/// The search parameters of `exod detect` (`SearchArgs`) from a JSON object of the options
/// given (names as `SearchArgs`' fields: tbin, band, sigma, rule, cell, lc_window, max_frames,
/// full_lightcurves); the others keep the CLI's defaults. An unknown name is an error.
pub fn search_args(json: &str) -> anyhow::Result<SearchArgs> {
    let mut v = serde_json::to_value(SearchArgs::default())?;
    let given: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)
        .map_err(|e| anyhow::anyhow!("search options {json:?}: not a JSON object ({e})"))?;
    for (k, x) in given {
        if v.get(&k).is_none() {
            bail!("unknown search option {k:?} (expected one of tbin, band, sigma, rule, cell, lc_window, max_frames, full_lightcurves)");
        }
        v[&k] = x;
    }
    serde_json::from_value(v).map_err(|e| anyhow::anyhow!("search options {json}: {e}"))
}

/// The defaults of the search parameters (those of `exod detect`), as JSON.
#[pyfunction]
fn search_defaults() -> PyResult<String> {
    serde_json::to_string(&SearchArgs::default()).map_err(|e| crate::to_py(e.into()))
}

/// Columns of a table as a list of (name, unit, description, numpy array or list of str);
/// `1J` integer columns become int32 arrays as FITS stores them.
pub fn columns<'py>(py: Python<'py>, t: Table) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for c in t.columns {
        let i32_col = c.tform.as_deref() == Some("1J");
        let values: Bound<'py, PyAny> = match c.data {
            ColumnData::F64(v) => PyArray1::from_vec(py, v).into_any(),
            ColumnData::I64(v) if i32_col => {
                PyArray1::from_vec(py, v.into_iter().map(|x| x as i32).collect()).into_any()
            }
            ColumnData::I64(v) => PyArray1::from_vec(py, v).into_any(),
            ColumnData::Bool(v) => PyArray1::from_vec(py, v).into_any(),
            ColumnData::Str(v) => PyList::new(py, v)?.into_any(),
        };
        out.append((c.name, c.unit, c.description, values))?;
    }
    Ok(out)
}

/// What one call searches and where it writes.
struct Call {
    files: Vec<PathBuf>,
    srclist: Option<PathBuf>,
    search: SearchArgs,
    label: Option<String>,
    out: Option<PathBuf>,
    overwrite: bool,
    plots: bool,
}

/// The `exod detect` command line equivalent to a call (recorded in the outputs).
fn command(c: &Call) -> Vec<String> {
    let mut v: Vec<String> = vec!["exod".into(), "detect".into()];
    v.extend(c.files.iter().map(|f| f.display().to_string()));
    if let Some(s) = &c.srclist {
        v.extend(["--srclist".into(), s.display().to_string()]);
    }
    v.extend(c.search.as_options());
    if !c.plots {
        v.push("--no-plots".into());
    }
    if let Some(l) = &c.label {
        v.extend(["--obs-label".into(), l.clone()]);
    }
    if let Some(o) = &c.out {
        v.extend(["--out".into(), o.display().to_string()]);
    }
    v
}

/// The search (and the outputs when `out` is given); the detection table and, on request,
/// the light-curve index table.
fn run(c: Call, lightcurves: bool, say: &dyn Fn(String)) -> anyhow::Result<(Table, Option<Table>)> {
    let t_all = Instant::now();
    let mut srclist = c.srclist.clone();
    let files = d::expand_pps_dirs(&c.files, &mut srclist)?;
    let c = Call {
        files,
        srclist,
        ..c
    };
    let p = d::params(&c.search)?;
    let stage = match &c.out {
        Some(o) => Some(exod_cli::staging::Staged::begin(o, c.overwrite)?),
        None => None,
    };
    say("reading event lists".into());
    let lists = d::read_lists(&c.files, false)?;
    if lists.lists.is_empty() {
        bail!("no supported event list among {} file(s)", c.files.len());
    }
    let job = d::Job {
        files: &c.files,
        srclist: c.srclist.as_deref(),
        label: c.label.as_deref(),
        command: command(&c),
        plots: c.plots,
        rule: &c.search.rule,
        log_summary: false,
    };
    let s = d::search_read(lists, &job, &p, say)?;
    if let Some(stage) = stage {
        say("writing outputs".into());
        d::write_searched(&s, &job, &stage, t_all)?;
        stage.commit()?;
    }
    let table = exod_io::output::detection_table(&s.result.detections, &s.ctx);
    let lcs = lightcurves.then(|| exod_io::output::lightcurve_table(&s.result.lightcurves, 0));
    Ok((table, lcs))
}

/// The stages a search reports: reading, binning, searching, writing.
const STAGES: usize = 4;

/// The EXOD search of one observation (see `exod.detect` in `python/exod/__init__.py`).
#[pyfunction]
#[pyo3(signature = (paths, srclist=None, search="{}", obs_label=None, out=None, overwrite=false, plots=true, lightcurves=false, progress=None))]
#[allow(clippy::too_many_arguments)]
fn detect<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    srclist: Option<PathBuf>,
    search: &str,
    obs_label: Option<String>,
    out: Option<PathBuf>,
    overwrite: bool,
    plots: bool,
    lightcurves: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let call = Call {
        files: paths,
        srclist,
        search: search_args(search).map_err(crate::to_py)?,
        label: obs_label,
        out,
        overwrite,
        plots,
    };
    let done = AtomicUsize::new(0);
    let cb_err: Mutex<Option<PyErr>> = Mutex::new(None);
    let say = |msg: String| {
        let k = done.fetch_add(1, Ordering::SeqCst);
        if let Some(cb) = &progress {
            Python::attach(|py| {
                if let Err(e) = cb.call1(py, (k.min(STAGES), STAGES, msg)) {
                    cb_err
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_or_insert(e);
                }
            });
        }
    };
    let (table, lcs) = crate::guarded(py, || run(call, lightcurves, &say))?;
    if let Some(cb) = &progress {
        cb.call1(py, (STAGES, STAGES, "done"))?;
    }
    if let Some(e) = cb_err.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let out = PyDict::new(py);
    out.set_item("detections", columns(py, table)?)?;
    match lcs {
        Some(t) => out.set_item("lightcurves", columns(py, t)?)?,
        None => out.set_item("lightcurves", py.None())?,
    }
    Ok(out)
}

/// One event list read and screened as the search reads it: TIME, X, Y, PI (eV), CCDNR as
/// numpy arrays, the header, screening counts and warnings as JSON, GTIs per CCD.
#[pyfunction]
fn read_events<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let ev = crate::guarded(py, || {
        let _io = d::fits_lock();
        Ok(exod_io::events::read(
            &path,
            &exod_io::events::ReadOptions::default(),
        )?)
    })?;
    let out = PyDict::new(py);
    out.set_item("TIME", PyArray1::from_slice(py, ev.time()))?;
    out.set_item("X", PyArray1::from_slice(py, ev.x()))?;
    out.set_item("Y", PyArray1::from_slice(py, ev.y()))?;
    out.set_item("PI", PyArray1::from_slice(py, ev.energy()))?;
    out.set_item("CCDNR", PyArray1::from_slice(py, ev.ccd()))?;
    let json = |v: serde_json::Result<String>| v.map_err(|e| crate::to_py(e.into()));
    out.set_item("header", json(serde_json::to_string(ev.header()))?)?;
    out.set_item("screening", json(serde_json::to_string(ev.screening()))?)?;
    out.set_item("warnings", ev.warnings().to_vec())?;
    let gti = PyDict::new(py);
    for (ccd, g) in ev.gti() {
        let (a, b): (Vec<f64>, Vec<f64>) = g.intervals().iter().copied().unzip();
        gti.set_item(*ccd, (PyArray1::from_vec(py, a), PyArray1::from_vec(py, b)))?;
    }
    out.set_item("gti", gti)?;
    out.set_item("energy_source", ev.energy_source())?;
    out.set_item("gti_source", ev.gti_source())?;
    Ok(out)
}
