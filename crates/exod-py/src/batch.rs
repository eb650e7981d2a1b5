//! The units of `exod batch` for Dask: [`plan_batch`] does discovery and planning with the
//! batch's own code and writes batch.json and the first status.ecsv; [`run_unit`] runs one unit
//! with the batch's worker (`OUT/runs/<unit>/`, digest.json, reuse of finished units) on
//! whichever process calls it; [`BatchPlan::record`] rewrites status.ecsv after each unit as
//! the batch does. Units, contexts and reports travel between processes as JSON strings.

use std::path::PathBuf;

use exod_cli::cmd::batch::{self, plan::Unit, worker, Batch};
use pyo3::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BatchPlan>()?;
    m.add_function(wrap_pyfunction!(plan_batch, m)?)?;
    m.add_function(wrap_pyfunction!(run_unit, m)?)?;
    Ok(())
}

/// A planned batch (in the client process): its units and status table.
#[pyclass(module = "exod._exod")]
pub struct BatchPlan {
    batch: Batch,
    context: String,
}

/// What every unit needs, sent to the workers.
#[derive(serde::Serialize, serde::Deserialize)]
struct Context {
    out: PathBuf,
    search: exod_cli::cmd::detect::SearchArgs,
    plots: bool,
}

fn json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| crate::to_py(e.into()))
}

#[pymethods]
impl BatchPlan {
    /// The units (JSON), largest estimated memory first (the order `exod batch` starts them).
    fn units(&self) -> PyResult<Vec<String>> {
        let mut order: Vec<&Unit> = self.batch.units.iter().collect();
        order.sort_by(|a, b| b.est_mb.total_cmp(&a.est_mb));
        order.into_iter().map(json).collect()
    }

    /// The unit labels (`<obsid>_<k>`), in the order of [`BatchPlan::units`].
    fn labels(&self) -> Vec<String> {
        let mut order: Vec<&Unit> = self.batch.units.iter().collect();
        order.sort_by(|a, b| b.est_mb.total_cmp(&a.est_mb));
        order.into_iter().map(|u| u.label.clone()).collect()
    }

    /// The context every unit runs with (JSON), for [`run_unit`].
    fn context(&self) -> String {
        self.context.clone()
    }

    /// Record a unit's report (JSON from [`run_unit`]) and rewrite status.ecsv.
    fn record(&mut self, py: Python<'_>, report: String) -> PyResult<()> {
        let r: worker::Report = serde_json::from_str(&report)
            .map_err(|e| crate::to_py(anyhow::anyhow!("a unit report that is not one: {e}")))?;
        batch::log_unit(&r);
        let b = &mut self.batch;
        crate::guarded(py, || b.record(r))
    }

    /// Units per state (done, reused, failed, unsupported, …).
    fn finish(&self) -> std::collections::BTreeMap<String, usize> {
        self.batch
            .finish()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }
}

/// Discovery and planning of `exod batch` (its options as a list of strings, e.g.
/// `["ARCHIVE", "--out", "OUT", "--tbin", "50"]`); `command` is what batch.json and
/// status.ecsv record as the command.
#[pyfunction]
fn plan_batch(py: Python<'_>, argv: Vec<String>, command: Vec<String>) -> PyResult<BatchPlan> {
    let a: batch::Args = crate::parse_args("batch", argv)?;
    let context = json(&Context {
        out: a.out.clone(),
        search: a.search.clone(),
        plots: a.plots,
    })?;
    let batch = crate::guarded(py, || Batch::plan(&a, &command))?;
    Ok(BatchPlan { batch, context })
}

/// Run one unit (JSON of [`BatchPlan::units`]) with the batch's worker; its report as JSON.
/// Failures of the unit are in the report, as in `exod batch`; only a malformed unit or
/// context raises.
#[pyfunction]
fn run_unit(py: Python<'_>, unit: String, context: String) -> PyResult<String> {
    let report = crate::guarded(py, || {
        let u: Unit = serde_json::from_str(&unit)?;
        let c: Context = serde_json::from_str(&context)?;
        let ctx = worker::Ctx::new(&c.out, &c.search, c.plots)?;
        Ok(worker::run_unit(&u, &ctx))
    })?;
    json(&report)
}
