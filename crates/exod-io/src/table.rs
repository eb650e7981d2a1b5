//! Column tables written as FITS binary tables, Astropy ECSV and (cargo feature `parquet`)
//! Apache Parquet, with the same columns, units and descriptions in all three: the catalogue
//! and cross-match outputs (paper §3, Tables 1–5).
//!
//! * FITS: primary HDU without data, then one `BINTABLE` per [`Table`] (`EXTNAME` = its name),
//!   `TUNITn` and `TCOMMn` (the description) on every column, the table's keywords, then
//!   `CHECKSUM`/`DATASUM`. Floats are `1D` (NaN is the null), integers `1K`, flags `1L`, strings
//!   `wA` with w their longest length. astropy and TOPCAT read them.
//! * ECSV 1.0 ([`crate::ecsv`]): the same columns with `unit` and `description`; the keywords
//!   become `meta`.
//! * Parquet (feature `parquet`, default in the `exod` binary): one row group, columns
//!   `DOUBLE`, `INT64`, `BOOLEAN` and `BYTE_ARRAY` (UTF-8), uncompressed; each column's unit and
//!   description and the table's keywords are stored in the file's key–value metadata
//!   (`exod:unit:<column>`, `exod:description:<column>`, the keyword names), which pandas,
//!   polars and DuckDB keep as schema metadata.
//!
//! Every file is written atomically (a temporary file renamed into place).

use std::path::Path;

use crate::context::KeyValue;
use crate::ecsv::{self, Column, Value};
use crate::error::IoError;
use crate::fitsw::{ColSpec, FitsWriter};

/// The values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// 64-bit floats (NaN for a missing value).
    F64(Vec<f64>),
    /// 64-bit integers.
    I64(Vec<i64>),
    /// Strings (ASCII in FITS; anything else is spelled out or replaced).
    Str(Vec<String>),
    /// Flags.
    Bool(Vec<bool>),
}

impl ColumnData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::F64(v) => v.len(),
            ColumnData::I64(v) => v.len(),
            ColumnData::Str(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
        }
    }

    /// Whether the column is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One column: name (FITS `TTYPE`), unit (FITS/VOUnit string, empty for none), description.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    /// Column name.
    pub name: String,
    /// Unit (`deg`, `arcsec`, `s`, `ct`, `ct/s`, `d`…; empty when dimensionless).
    pub unit: String,
    /// What the column holds.
    pub description: String,
    /// The values.
    pub data: ColumnData,
    /// FITS `TFORM` when not the default of the data (e.g. `1J` integers, or a fixed string
    /// width so that a table streamed in pieces has its width before its rows).
    pub tform: Option<String>,
}

/// A table: a name (FITS `EXTNAME`), columns of equal length, and header keywords.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// `EXTNAME` of the FITS extension.
    pub name: String,
    /// The columns, in order.
    pub columns: Vec<TableColumn>,
    /// Header keywords (key of ≤ 8 characters, value, comment).
    pub keywords: Vec<(String, KeyValue, String)>,
}

impl Table {
    /// An empty table called `name`.
    pub fn new(name: &str) -> Table {
        Table {
            name: name.into(),
            ..Table::default()
        }
    }

    /// Number of rows (that of the first column; 0 without columns).
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.data.len())
    }

    /// Add a column.
    ///
    /// # Panics
    /// If its length differs from the columns already there (a programming error).
    pub fn push(&mut self, name: &str, unit: &str, description: &str, data: ColumnData) {
        if let Some(first) = self.columns.first() {
            assert_eq!(
                first.data.len(),
                data.len(),
                "column {name} of table {}: length differs",
                self.name
            );
        }
        self.columns.push(TableColumn {
            name: name.into(),
            unit: unit.into(),
            description: description.into(),
            data,
            tform: None,
        });
    }

    /// Set the FITS `TFORM` of the last column added (see [`TableColumn::tform`]).
    pub fn tform(&mut self, tform: &str) {
        if let Some(c) = self.columns.last_mut() {
            c.tform = Some(tform.into());
        }
    }

    /// Add a float column.
    pub fn f64(&mut self, name: &str, unit: &str, description: &str, v: Vec<f64>) {
        self.push(name, unit, description, ColumnData::F64(v));
    }

    /// Add an integer column.
    pub fn i64(&mut self, name: &str, unit: &str, description: &str, v: Vec<i64>) {
        self.push(name, unit, description, ColumnData::I64(v));
    }

    /// Add a string column.
    pub fn str(&mut self, name: &str, description: &str, v: Vec<String>) {
        self.push(name, "", description, ColumnData::Str(v));
    }

    /// Add a flag column.
    pub fn bool(&mut self, name: &str, description: &str, v: Vec<bool>) {
        self.push(name, "", description, ColumnData::Bool(v));
    }

    /// Add a header keyword.
    pub fn keyword(&mut self, key: &str, value: impl Into<KeyValue>, comment: &str) {
        self.keywords
            .push((key.to_ascii_uppercase(), value.into(), comment.into()));
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnData> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.data)
    }
}

/// The provenance keywords a table file starts with (pass them as the `primary` keywords of
/// [`write_fits`] and the `meta` of [`write_ecsv`], then add the run's parameters):
/// `CREATOR = 'exod <version>'`, `DATE = date` (e.g. [`crate::context::creation_date`], which
/// follows `SOURCE_DATE_EPOCH`) and `COMMAND = command` (the command line).
pub fn provenance(date: &str, command: &str) -> Vec<(String, KeyValue, String)> {
    vec![
        (
            "CREATOR".into(),
            format!("exod {}", env!("CARGO_PKG_VERSION")).into(),
            "program that made the file".into(),
        ),
        (
            "DATE".into(),
            date.into(),
            "file creation (UTC) or SOURCE_DATE_EPOCH".into(),
        ),
        ("COMMAND".into(), command.into(), "command line".into()),
    ]
}

fn spec(c: &TableColumn) -> ColSpec {
    let tform = c.tform.clone().unwrap_or_else(|| match &c.data {
        ColumnData::F64(_) => "1D".to_string(),
        ColumnData::I64(_) => "1K".to_string(),
        ColumnData::Bool(_) => "1L".to_string(),
        ColumnData::Str(v) => {
            let w = v.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
            format!("{w}A")
        }
    });
    ColSpec {
        name: c.name.clone(),
        tform,
        unit: c.unit.clone(),
        comment: c.description.clone(),
    }
}

/// The FITS column specifications of `t`.
pub(crate) fn column_specs(t: &Table) -> Vec<ColSpec> {
    t.columns.iter().map(spec).collect()
}

/// Write the values of `t` into the current table HDU of `w` from row `first_row` (0-based): a
/// table can be streamed in pieces of rows into an HDU made with [`column_specs`].
pub(crate) fn write_columns(w: &mut FitsWriter, t: &Table, first_row: usize) {
    for (k, c) in t.columns.iter().enumerate() {
        match &c.data {
            ColumnData::F64(v) => w.col_f64(k + 1, first_row, v),
            ColumnData::I64(v) => w.col_i64(k + 1, first_row, v),
            ColumnData::Str(v) => w.col_str(k + 1, first_row, v),
            ColumnData::Bool(v) => w.col_bool(k + 1, first_row, v),
        }
    }
}

/// Builds a table of one row per item of `rows`, each column from a getter.
pub(crate) struct Rows<'a, T> {
    rows: &'a [T],
    /// The table being built.
    pub table: Table,
    /// TFORM of the integer columns (None: `1K`).
    int_tform: Option<&'static str>,
}

impl<'a, T> Rows<'a, T> {
    /// An empty table `name` over `rows`.
    pub fn new(rows: &'a [T], name: &str) -> Self {
        Rows {
            rows,
            table: Table::new(name),
            int_tform: None,
        }
    }
    /// Integer columns written with `tform` (e.g. `1J`).
    pub fn ints_as(mut self, tform: &'static str) -> Self {
        self.int_tform = Some(tform);
        self
    }
    /// A float column.
    pub fn f(&mut self, name: &str, unit: &str, desc: &str, get: impl Fn(&T) -> f64) {
        let v = self.rows.iter().map(get).collect();
        self.table.f64(name, unit, desc, v);
    }
    /// An integer column.
    pub fn i(&mut self, name: &str, unit: &str, desc: &str, get: impl Fn(&T) -> i64) {
        let v = self.rows.iter().map(get).collect();
        self.table.i64(name, unit, desc, v);
        if let Some(f) = self.int_tform {
            self.table.tform(f);
        }
    }
    /// A string column (its width is the longest value).
    pub fn s(&mut self, name: &str, desc: &str, get: impl Fn(&T) -> String) {
        let v = self.rows.iter().map(get).collect();
        self.table.str(name, desc, v);
    }
    /// A string column of a fixed width (longer values are cut by cfitsio).
    pub fn s_width(&mut self, name: &str, desc: &str, width: usize, get: impl Fn(&T) -> String) {
        self.s(name, desc, get);
        self.table.tform(&format!("{width}A"));
    }
    /// A flag column.
    pub fn b(&mut self, name: &str, desc: &str, get: impl Fn(&T) -> bool) {
        let v = self.rows.iter().map(get).collect();
        self.table.bool(name, desc, v);
    }
}

/// Write `tables` as the extensions of one FITS file; `primary` keywords go to every HDU
/// (provenance: `CREATOR`, `DATE`, parameters…), `date` into the checksum comments.
pub fn write_fits(
    path: &Path,
    tables: &[&Table],
    primary: &[(String, KeyValue, String)],
    date: &str,
) -> Result<(), IoError> {
    crate::fits::write_atomic(path, |tmp| {
        let mut w = FitsWriter::create(tmp)?;
        w.empty_primary();
        for (k, v, c) in primary {
            w.key(k, v.clone(), c);
        }
        w.checksum_placeholders(date);
        for t in tables {
            w.table(&t.name, &column_specs(t), t.n_rows());
            for (k, v, c) in primary.iter().chain(&t.keywords) {
                w.key(k, v.clone(), c);
            }
            w.checksum_placeholders(date);
            write_columns(&mut w, t, 0);
        }
        w.close()
    })
    .map_err(|e| IoError::output(path, format!("cfitsio: {e}")))
}

/// Write `table` as ECSV, `meta` (e.g. the FITS primary keywords) first in its metadata.
pub fn write_ecsv(
    path: &Path,
    table: &Table,
    meta: &[(String, KeyValue, String)],
) -> Result<(), IoError> {
    let cols: Vec<Column> = table
        .columns
        .iter()
        .map(|c| {
            let dt = match c.data {
                ColumnData::F64(_) => "float64",
                ColumnData::I64(_) => "int64",
                ColumnData::Str(_) => "string",
                ColumnData::Bool(_) => "bool",
            };
            Column::new(
                &c.name,
                dt,
                (!c.unit.is_empty()).then_some(c.unit.as_str()),
                &c.description,
            )
        })
        .collect();
    let rows: Vec<Vec<Value>> = (0..table.n_rows())
        .map(|r| {
            table
                .columns
                .iter()
                .map(|c| match &c.data {
                    ColumnData::F64(v) => Value::F(v[r]),
                    ColumnData::I64(v) => Value::I(v[r]),
                    ColumnData::Str(v) => Value::S(v[r].clone()),
                    ColumnData::Bool(v) => Value::B(v[r]),
                })
                .collect()
        })
        .collect();
    let meta: Vec<(String, String)> = meta
        .iter()
        .chain(&table.keywords)
        .map(|(k, v, _)| (k.to_ascii_lowercase(), v.render()))
        .collect();
    let meta: Vec<(&str, String)> = meta.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    ecsv::write(path, &cols, &rows, &meta).map_err(|e| IoError::output(path, e))
}

#[cfg(feature = "parquet")]
pub use crate::parquet_out::write_parquet;
