//! Generic output tables (used by `exod crossmatch`): named columns of numbers, integers, text
//! or flags, each with a unit and a description, written as a FITS binary table (`TUNITn`,
//! `TCOMMn`, `CHECKSUM`/`DATASUM`, `CREATOR`/`DATE`/`COMMAND` and the run's parameters as keys)
//! and as Astropy ECSV with the same columns. Every file is written atomically.

use std::path::Path;

use crate::context::KeyValue;
use crate::ecsv::{self, Column, Value};
use crate::error::IoError;
use crate::fitsw::{ColSpec, FitsWriter};

/// The values of one output column.
#[derive(Debug, Clone, PartialEq)]
pub enum OutData {
    /// `1D` / `float64` (NaN: undefined).
    F64(Vec<f64>),
    /// `1K` / `int64`.
    I64(Vec<i64>),
    /// `nA` / `string`.
    Str(Vec<String>),
    /// `1L` / `bool`.
    Bool(Vec<bool>),
}

impl OutData {
    fn len(&self) -> usize {
        match self {
            OutData::F64(v) => v.len(),
            OutData::I64(v) => v.len(),
            OutData::Str(v) => v.len(),
            OutData::Bool(v) => v.len(),
        }
    }
}

/// One output column.
#[derive(Debug, Clone)]
pub struct OutColumn {
    /// Name (TTYPE).
    pub name: String,
    /// Unit (empty: none).
    pub unit: String,
    /// One-line description (TCOMM, ECSV description).
    pub description: String,
    /// Values.
    pub data: OutData,
}

impl OutColumn {
    /// A column.
    pub fn new(name: &str, unit: &str, description: &str, data: OutData) -> OutColumn {
        OutColumn {
            name: name.into(),
            unit: unit.into(),
            description: description.into(),
            data,
        }
    }
}

/// The header facts of an output file: keywords (key, value, comment), also written as ECSV
/// `meta`, and the `DATE` of the checksum comments.
#[derive(Debug, Clone, Default)]
pub struct OutMeta {
    /// Keywords of every HDU, in order.
    pub keys: Vec<(String, KeyValue, String)>,
    /// Creation date (ISO), also a key.
    pub date: String,
}

fn spec(c: &OutColumn) -> ColSpec {
    let tform = match &c.data {
        OutData::F64(_) => "1D".to_string(),
        OutData::I64(_) => "1K".to_string(),
        OutData::Bool(_) => "1L".to_string(),
        OutData::Str(v) => format!("{}A", v.iter().map(|s| s.len()).max().unwrap_or(0).max(1)),
    };
    ColSpec {
        name: c.name.clone(),
        tform,
        unit: c.unit.clone(),
        comment: c.description.clone(),
    }
}

fn check(path: &Path, cols: &[OutColumn]) -> Result<usize, IoError> {
    let n = cols.first().map(|c| c.data.len()).unwrap_or(0);
    match cols.iter().find(|c| c.data.len() != n) {
        Some(c) => Err(IoError::output(
            path,
            format!("column {} has {} rows, expected {n}", c.name, c.data.len()),
        )),
        None => Ok(n),
    }
}

/// Write `cols` as the binary table `extname` (after an empty primary HDU) of a new FITS file,
/// atomically.
pub fn write_fits(
    path: &Path,
    extname: &str,
    cols: &[OutColumn],
    meta: &OutMeta,
) -> Result<(), IoError> {
    let n = check(path, cols)?;
    let fill = |tmp: &Path| {
        let mut w = FitsWriter::create(tmp)?;
        w.empty_primary();
        keys(&mut w, meta);
        w.checksum_placeholders(&meta.date);
        let specs: Vec<ColSpec> = cols.iter().map(spec).collect();
        w.table(extname, &specs, n);
        keys(&mut w, meta);
        w.checksum_placeholders(&meta.date);
        for (k, c) in cols.iter().enumerate() {
            match &c.data {
                OutData::F64(v) => w.col_f64(k + 1, 0, v),
                OutData::I64(v) => w.col_i64(k + 1, 0, v),
                OutData::Str(v) => w.col_str(k + 1, 0, v),
                OutData::Bool(v) => w.col_bool(k + 1, 0, v),
            }
        }
        w.close()
    };
    crate::fits::write_atomic(path, fill)
        .map_err(|e| IoError::output(path, format!("cfitsio: {e}")))
}

fn keys(w: &mut FitsWriter, meta: &OutMeta) {
    for (k, v, c) in &meta.keys {
        w.key(k, v.clone(), c);
    }
}

/// Write `cols` as an ECSV table, atomically; the keys of `meta` become its `meta`.
pub fn write_ecsv(path: &Path, cols: &[OutColumn], meta: &OutMeta) -> Result<(), IoError> {
    let n = check(path, cols)?;
    let columns: Vec<Column> = cols
        .iter()
        .map(|c| {
            let dt = match c.data {
                OutData::F64(_) => "float64",
                OutData::I64(_) => "int64",
                OutData::Str(_) => "string",
                OutData::Bool(_) => "bool",
            };
            let unit = (!c.unit.is_empty()).then_some(c.unit.as_str());
            Column::new(&c.name, dt, unit, &c.description)
        })
        .collect();
    let rows: Vec<Vec<Value>> = (0..n)
        .map(|r| {
            cols.iter()
                .map(|c| match &c.data {
                    OutData::F64(v) => Value::F(v[r]),
                    OutData::I64(v) => Value::I(v[r]),
                    OutData::Str(v) => Value::S(v[r].clone()),
                    OutData::Bool(v) => Value::B(v[r]),
                })
                .collect()
        })
        .collect();
    let m: Vec<(String, String)> = meta
        .keys
        .iter()
        .map(|(k, v, _)| (k.to_ascii_lowercase(), v.render()))
        .collect();
    let m: Vec<(&str, String)> = m.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    ecsv::write(path, &columns, &rows, &m).map_err(|e| IoError::output(path, e))
}
