//! `status.ecsv`: one row per exposure and per unit (and per obsid or list line that could not be
//! used at all), sorted by (obsid, unit, exposure), rewritten atomically after every finished
//! unit so that nothing finished is lost by a kill.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use exod_io::ecsv::{self, Column, Value};

/// The state of a row (documented in docs/batch.md and `exod batch --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Searched now (a unit), or read and searched in its unit (an exposure).
    Done,
    /// The unit's run folder was complete and made from the same inputs, parameters and exod
    /// version: kept as it is.
    Reused,
    /// Could not be searched: unreadable, damaged or truncated file, error in the search, or an
    /// internal error (the reason says which).
    Failed,
    /// A mode or instrument exod does not search (timing, burst, small window …).
    Unsupported,
    /// An EVENTS table without rows.
    NoEvents,
    /// A second file of the same name for the same obsid (not searched).
    Duplicate,
    /// An obsid of the list found nowhere, or a path that does not exist.
    Missing,
    /// Planned, not finished yet (seen only while the batch runs, or after it was killed).
    Pending,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Done => "done",
            State::Reused => "reused",
            State::Failed => "failed",
            State::Unsupported => "unsupported",
            State::NoEvents => "no_events",
            State::Duplicate => "duplicate",
            State::Missing => "missing",
            State::Pending => "pending",
        }
    }
}

/// One row of status.ecsv.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Row {
    pub obsid: String,
    /// (k, `<obsid>_<k>`), or None for rows outside any unit.
    pub unit: Option<(usize, String)>,
    /// File name, or empty for a unit's (or an obsid's) own row.
    pub exposure: String,
    pub state: State,
    pub reason: String,
    pub seconds: f64,
    pub events: u64,
    pub detections: u64,
}

type Key = (String, i64, String);

/// The table, kept in memory and written to `path`.
pub struct Status {
    path: PathBuf,
    meta: Vec<(String, String)>,
    rows: BTreeMap<Key, Row>,
}

fn columns() -> Vec<Column> {
    vec![
        Column::new(
            "obsid",
            "string",
            None,
            "observation (the 10 digits of P<obsid>)",
        ),
        Column::new(
            "unit",
            "string",
            None,
            "run unit <obsid>_<k> (folder runs/<unit>), empty outside units",
        ),
        Column::new(
            "exposure",
            "string",
            None,
            "event list file name; empty on the row of the unit itself",
        ),
        Column::new(
            "state",
            "string",
            None,
            "done, reused, failed, unsupported, no_events, duplicate, missing or pending",
        ),
        Column::new(
            "reason",
            "string",
            None,
            "why it failed or was refused (names the file), empty otherwise",
        ),
        Column::new(
            "seconds",
            "float64",
            Some("s"),
            "wall time: of the unit, or of reading the exposure",
        ),
        Column::new(
            "events",
            "int64",
            None,
            "events searched (after screening); 0 when not read",
        ),
        Column::new(
            "detections",
            "int64",
            None,
            "detections of the unit (0 on exposure rows)",
        ),
    ]
}

impl Status {
    pub fn new(path: &Path, meta: Vec<(String, String)>) -> Status {
        Status {
            path: path.to_path_buf(),
            meta,
            rows: BTreeMap::new(),
        }
    }

    /// Add or replace a row.
    pub fn set(&mut self, mut r: Row) {
        // one line per row: reasons lose their line breaks
        r.reason = r.reason.replace(['\n', '\r'], " ");
        let k = r.unit.as_ref().map(|u| u.0 as i64).unwrap_or(-1);
        self.rows
            .insert((r.obsid.clone(), k, r.exposure.clone()), r);
    }

    /// Count of unit rows per state.
    pub fn unit_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for r in self
            .rows
            .values()
            .filter(|r| r.exposure.is_empty() && r.unit.is_some())
        {
            *m.entry(r.state.as_str()).or_insert(0) += 1;
        }
        m
    }

    /// Write the table atomically (temporary file, then rename).
    pub fn write(&self) -> Result<()> {
        let rows: Vec<Vec<Value>> = self
            .rows
            .values()
            .map(|r| {
                vec![
                    Value::S(r.obsid.clone()),
                    Value::S(r.unit.as_ref().map(|u| u.1.clone()).unwrap_or_default()),
                    Value::S(r.exposure.clone()),
                    Value::S(r.state.as_str().into()),
                    Value::S(r.reason.clone()),
                    Value::F((r.seconds * 1000.0).round() / 1000.0),
                    Value::I(r.events as i64),
                    Value::I(r.detections as i64),
                ]
            })
            .collect();
        let meta: Vec<(&str, String)> = self
            .meta
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        ecsv::write(&self.path, &columns(), &rows, &meta)
            .with_context(|| format!("{}: cannot write the status table", self.path.display()))
    }
}
