//! External catalogue tables for cross-matching (paper §3.3): FITS (the first table HDU with
//! rows, or a named one; every scalar column of any TFORM, gzip included), CSV (a header row,
//! `#` comment lines; ECSV files read this way too) and VOTable (`TABLEDATA`; `BINARY`,
//! `BINARY2` and `FITS` serializations are refused with a clear error) → [`ExtTable`].
//!
//! Each column is either numbers ([`ExtColumn::F64`], FITS nulls and empty CSV cells are NaN) or
//! text ([`ExtColumn::Str`]). Position columns are found by [`ExtTable::positions`]: a name given
//! by the caller, else the first of [`RA_NAMES`] / [`DEC_NAMES`] present (case-insensitive).
//! Positions in text are parsed as degrees (`150.25`) or sexagesimal, RA in hours
//! (`09:58:12.3`, `09 58 12.3`, `09h58m12.3s`) and Dec in degrees (`-11:03:02`, `+11 03 02`,
//! `-11d03m02s`).
//!
//! FITS vector columns (repeat > 1, other than strings) are not read: they are listed in
//! [`ExtTable::skipped`] and asking for one is an error naming it.

use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};
use std::path::{Path, PathBuf};

use fitsio::sys;

use crate::error::IoError;
use crate::fits::{Fits, HduKind};

/// Default names of the right-ascension column, tried in order (case-insensitive).
pub const RA_NAMES: &[&str] = &[
    "RA",
    "RA_DEG",
    "RAJ2000",
    "RA_ICRS",
    "SC_RA",
    "RA_OBJ",
    "RA_J2000",
    "ALPHA_J2000",
    "RA_PNT",
    "_RAJ2000",
    "RAdeg",
    "RA_CORR",
];
/// Default names of the declination column, tried in order (case-insensitive).
pub const DEC_NAMES: &[&str] = &[
    "DEC",
    "DEC_DEG",
    "DEJ2000",
    "DECJ2000",
    "DE_ICRS",
    "DEC_ICRS",
    "SC_DEC",
    "DEC_OBJ",
    "DEC_J2000",
    "DELTA_J2000",
    "DEC_PNT",
    "_DEJ2000",
    "DEdeg",
    "DEC_CORR",
];
/// Default names of the 1σ position-error column (arcsec), tried in order.
pub const ERR_NAMES: &[&str] = &[
    "POS_ERR",
    "RADEC_ERR",
    "SC_POSERR",
    "POSERR",
    "ERR_RADEC",
    "E_POS",
    "POS_ERROR",
    "RA_DEC_ERR",
];
/// Default names of a source identifier column, tried in order.
pub const ID_NAMES: &[&str] = &[
    "SRCID", "SRC_ID", "NAME", "SRC_NAME", "IAUNAME", "ID", "DETID", "UXID", "MAIN_ID", "OBJID",
];

/// One column of an external table.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtColumn {
    /// Numbers (NaN where undefined).
    F64(Vec<f64>),
    /// Text (trimmed).
    Str(Vec<String>),
}

impl ExtColumn {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ExtColumn::F64(v) => v.len(),
            ExtColumn::Str(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i` as text (numbers in their shortest form, integers without `.0`, NaN as empty).
    pub fn text(&self, i: usize) -> String {
        match self {
            ExtColumn::Str(v) => v[i].clone(),
            ExtColumn::F64(v) => number_text(v[i]),
        }
    }
}

/// A number as text: integers without `.0`, NaN as an empty string.
pub fn number_text(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// A table read by [`read_table`].
#[derive(Debug, Clone)]
pub struct ExtTable {
    /// The file (for messages).
    pub path: PathBuf,
    /// Column names as written in the file.
    pub names: Vec<String>,
    /// The columns, in the order of `names`.
    pub columns: Vec<ExtColumn>,
    /// Columns present but not read (FITS vector columns), with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Options of [`read_table`].
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    /// FITS: the HDU (EXTNAME, case-insensitive) to read instead of the first table with rows.
    pub hdu: Option<String>,
}

/// The format of a table file, from its first bytes (and `.csv`/`.ecsv`/`.vot`/`.xml` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// FITS (plain or compressed).
    Fits,
    /// CSV or ECSV.
    Csv,
    /// VOTable (XML).
    VoTable,
}

/// Guess the format of `path` from its content: gzip or `SIMPLE  =` is FITS, `<` is XML
/// (VOTable), anything else is CSV.
pub fn sniff_format(path: &Path) -> Result<TableFormat, IoError> {
    use std::io::Read;
    let io = |error| IoError::Io {
        path: path.into(),
        error,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut head = [0u8; 512];
    let n = f.read(&mut head).map_err(io)?;
    let head = &head[..n];
    if head.starts_with(b"SIMPLE  =") || head.starts_with(&[0x1f, 0x8b]) || head.starts_with(b"BZ")
    {
        return Ok(TableFormat::Fits);
    }
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('<') {
        return Ok(TableFormat::VoTable);
    }
    Ok(TableFormat::Csv)
}

/// Read a table file (FITS, CSV/ECSV or VOTable, by content).
pub fn read_table(path: &Path, opts: &TableOptions) -> Result<ExtTable, IoError> {
    let table = match sniff_format(path)? {
        TableFormat::Fits => read_fits(path, opts)?,
        TableFormat::Csv => read_csv(path)?,
        TableFormat::VoTable => crate::votable::read(path)?,
    };
    if let Some(h) = &opts.hdu {
        if sniff_format(path)? != TableFormat::Fits {
            return Err(IoError::invalid(
                path,
                format!("--hdu {h} given but the file is not FITS"),
            ));
        }
    }
    Ok(table)
}

impl ExtTable {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.columns.first().map(ExtColumn::len).unwrap_or(0)
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of column `name` (case-insensitive; an exact match wins).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.names
            .iter()
            .position(|n| n == name)
            .or_else(|| self.names.iter().position(|n| n.eq_ignore_ascii_case(name)))
    }

    /// The column named `given`, or else the first of `defaults` present; `what` and `flag`
    /// make the error ("no RA column among RA, RA_DEG, …: give --ra-col").
    pub fn pick(
        &self,
        given: Option<&str>,
        defaults: &[&str],
        what: &str,
        flag: &str,
    ) -> Result<usize, IoError> {
        if let Some(g) = given {
            return self.find(g).ok_or_else(|| self.missing(g, what));
        }
        defaults.iter().find_map(|d| self.find(d)).ok_or_else(|| {
            IoError::invalid(
                &self.path,
                format!(
                    "no {what} column among {} (columns are {}): give {flag}",
                    defaults.join(", "),
                    self.names_list()
                ),
            )
        })
    }

    /// The first of `defaults` present, if any (for optional columns).
    pub fn pick_optional(&self, given: Option<&str>, defaults: &[&str]) -> Option<usize> {
        match given {
            Some(g) => self.find(g),
            None => defaults.iter().find_map(|d| self.find(d)),
        }
    }

    fn names_list(&self) -> String {
        let mut s = self.names.join(", ");
        if s.len() > 400 {
            let cut = (0..=400)
                .rev()
                .find(|&i| s.is_char_boundary(i))
                .unwrap_or(0);
            s.truncate(cut);
            s.push_str(", …");
        }
        s
    }

    fn missing(&self, name: &str, what: &str) -> IoError {
        if let Some((_, why)) = self
            .skipped
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            return IoError::invalid(&self.path, format!("column {name} ({what}): {why}"));
        }
        IoError::invalid(
            &self.path,
            format!(
                "no column {name} ({what}); columns are {}",
                self.names_list()
            ),
        )
    }

    /// Column `index` as numbers: numeric columns as they are, text parsed as numbers (empty →
    /// NaN); text that is not a number is an error naming the column, the row and `what`.
    pub fn numbers(&self, index: usize, what: &str) -> Result<Vec<f64>, IoError> {
        match &self.columns[index] {
            ExtColumn::F64(v) => Ok(v.clone()),
            ExtColumn::Str(v) => v
                .iter()
                .enumerate()
                .map(|(i, s)| parse_number(s).ok_or_else(|| self.bad_cell(index, i, s, what)))
                .collect(),
        }
    }

    fn bad_cell(&self, col: usize, row: usize, cell: &str, what: &str) -> IoError {
        IoError::invalid(
            &self.path,
            format!(
                "column {} row {}: {cell:?} is not {what}",
                self.names[col],
                row + 1
            ),
        )
    }

    /// Right ascensions and declinations (degrees) from the columns `ra_col`/`dec_col` or the
    /// defaults ([`RA_NAMES`], [`DEC_NAMES`]). Text columns may be sexagesimal (RA in hours).
    /// A position outside RA ∈ [0, 360], |Dec| ≤ 90 is an error; NaN is kept (never matches).
    pub fn positions(
        &self,
        ra_col: Option<&str>,
        dec_col: Option<&str>,
    ) -> Result<(Vec<f64>, Vec<f64>), IoError> {
        let ira = self.pick(ra_col, RA_NAMES, "RA", "--ra-col")?;
        let idec = self.pick(dec_col, DEC_NAMES, "Dec", "--dec-col")?;
        let ra = self.angle_column(ira, true)?;
        let dec = self.angle_column(idec, false)?;
        for (i, (&a, &d)) in ra.iter().zip(&dec).enumerate() {
            if a.is_finite() && !(0.0..=360.0).contains(&a) {
                return Err(self.bad_cell(
                    ira,
                    i,
                    &a.to_string(),
                    "a right ascension in [0, 360]°",
                ));
            }
            if d.is_finite() && d.abs() > 90.0 {
                return Err(self.bad_cell(idec, i, &d.to_string(), "a declination in [−90, 90]°"));
            }
        }
        Ok((ra, dec))
    }

    fn angle_column(&self, index: usize, is_ra: bool) -> Result<Vec<f64>, IoError> {
        let what = if is_ra {
            "a right ascension (degrees, or sexagesimal hours 12:34:56.7)"
        } else {
            "a declination (degrees, or sexagesimal degrees +12:34:56)"
        };
        match &self.columns[index] {
            ExtColumn::F64(v) => Ok(v.clone()),
            ExtColumn::Str(v) => v
                .iter()
                .enumerate()
                .map(|(i, s)| parse_angle(s, is_ra).ok_or_else(|| self.bad_cell(index, i, s, what)))
                .collect(),
        }
    }

    /// Text of column `index` row by row (numbers formatted by [`number_text`]).
    pub fn texts(&self, index: usize) -> Vec<String> {
        let c = &self.columns[index];
        (0..c.len()).map(|i| c.text(i)).collect()
    }
}

/// A number, or NaN for an empty cell (and `nan`, `null`, `--`); None when not a number.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("null") || t == "--" {
        return Some(f64::NAN);
    }
    t.parse::<f64>().ok()
}

/// An angle in degrees from text: a plain number is degrees; sexagesimal (`:`/space/`hms`/`dms`
/// separated, 2 or 3 fields) is hours for an RA (`is_ra`), degrees for a Dec. Empty → NaN.
pub fn parse_angle(s: &str, is_ra: bool) -> Option<f64> {
    let t = s.trim();
    if let Some(x) = parse_number(t) {
        return Some(x);
    }
    let (neg, body) = match t.strip_prefix('-').or_else(|| t.strip_prefix('−')) {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let cleaned: String = body
        .chars()
        .map(|c| match c {
            ':' | 'h' | 'H' | 'd' | 'D' | 'm' | 'M' | '°' | '\'' | '′' => ' ',
            's' | 'S' | '"' | '″' => ' ',
            c => c,
        })
        .collect();
    let parts: Vec<f64> = cleaned
        .split_whitespace()
        .map(|p| p.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0))
        .collect::<Option<Vec<f64>>>()?;
    if !(2..=3).contains(&parts.len())
        || parts[1] >= 60.0
        || parts.get(2).is_some_and(|&x| x >= 60.0)
    {
        return None;
    }
    let v = parts[0] + parts[1] / 60.0 + parts.get(2).copied().unwrap_or(0.0) / 3600.0;
    let v = if is_ra { v * 15.0 } else { v };
    Some(if neg { -v } else { v })
}

/// Read a CSV (or ECSV) table: a header row, `#` comment lines; a column whose cells are all
/// numbers (or empty) is numeric, otherwise text.
fn read_csv(path: &Path) -> Result<ExtTable, IoError> {
    let bad = |what: String| IoError::invalid(path, what);
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| bad(format!("cannot read as CSV: {e}")))?;
    let names: Vec<String> = rdr
        .headers()
        .map_err(|e| bad(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(String::from)
        .collect();
    if names.is_empty() || names.iter().all(|n| n.is_empty()) {
        return Err(bad(
            "no header row (expected column names on the first line)".into(),
        ));
    }
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); names.len()];
    for rec in rdr.records() {
        let rec = rec.map_err(|e| bad(format!("not valid CSV: {e}")))?;
        for (k, c) in cells.iter_mut().enumerate() {
            c.push(rec.get(k).unwrap_or("").to_string());
        }
    }
    let text_cols = ecsv_string_columns(path);
    let columns = names
        .iter()
        .zip(cells)
        .map(|(n, c)| {
            if text_cols.contains(n) {
                ExtColumn::Str(c)
            } else {
                typed_column(c)
            }
        })
        .collect();
    Ok(ExtTable {
        path: path.into(),
        names,
        columns,
        skipped: Vec::new(),
    })
}

/// The columns an ECSV header declares as `datatype: string` (kept as text even when they look
/// like numbers, e.g. obsids with leading zeros); empty for a plain CSV.
fn ecsv_string_columns(path: &Path) -> std::collections::HashSet<String> {
    use std::io::Read;
    // the header is at the top: its first 64 kB are plenty
    let mut head = Vec::new();
    let _ = std::fs::File::open(path).and_then(|f| f.take(65_536).read_to_end(&mut head));
    crate::ecsv::declared_columns(&String::from_utf8_lossy(&head))
        .into_iter()
        .filter(|(_, t)| t == "string")
        .map(|(n, _)| n)
        .collect()
}

/// Text cells → numbers when every cell is a number or empty, else text.
pub(crate) fn typed_column(cells: Vec<String>) -> ExtColumn {
    let nums: Option<Vec<f64>> = cells.iter().map(|s| parse_number(s)).collect();
    match nums {
        Some(v) if cells.iter().any(|s| !s.trim().is_empty()) || cells.is_empty() => {
            ExtColumn::F64(v)
        }
        _ => ExtColumn::Str(cells),
    }
}

/// The HDU to read: the named one, else the first table with rows, else the first table.
fn choose_hdu(f: &mut Fits, path: &Path, opts: &TableOptions) -> Result<usize, IoError> {
    if let Some(h) = &opts.hdu {
        f.select(h, "a catalogue table")?;
        let i = f.hdus().iter().position(|e| e.name.eq_ignore_ascii_case(h));
        return Ok(i.unwrap_or(0));
    }
    let tables: Vec<(usize, u64)> = f
        .hdus()
        .iter()
        .filter(|e| e.kind != HduKind::Image)
        .map(|e| (e.index, e.rows))
        .collect();
    match tables.iter().find(|t| t.1 > 0).or(tables.first()) {
        Some(t) => Ok(t.0),
        None => Err(IoError::invalid(
            path,
            "no table HDU (expected a binary or ASCII table of sources)",
        )),
    }
}

/// Read a FITS table: every scalar numeric or logical column as numbers (nulls → NaN), string
/// columns as text; vector columns are skipped.
fn read_fits(path: &Path, opts: &TableOptions) -> Result<ExtTable, IoError> {
    let mut f = Fits::open(path)?;
    let index = choose_hdu(&mut f, path, opts)?;
    f.select_index(index)?;
    f.check_last_row_not_fill()?;
    let (nrows, all) = f.table_info()?;
    let mut t = ExtTable {
        path: path.into(),
        names: Vec::new(),
        columns: Vec::new(),
        skipped: Vec::new(),
    };
    for (k, name) in all.iter().enumerate() {
        let (typecode, repeat) = f.column_type(k + 1)?;
        let skip = match typecode {
            t if t < 0 => Some("a variable-length array column (not read)".to_string()),
            16 => None,
            1 | 83 | 163 => Some("a bit or complex column (not read)".to_string()),
            _ if repeat != 1 => Some(format!("a {repeat}-element vector column (not read)")),
            _ => None,
        };
        if let Some(why) = skip {
            t.skipped.push((name.clone(), why));
            continue;
        }
        // strings as text, logicals as T/F text, everything else as numbers
        let col = match typecode {
            16 | 14 => ExtColumn::Str(read_fits_strings(&mut f, k + 1, name, nrows)?),
            _ => ExtColumn::F64(read_fits_numbers(&mut f, k + 1, name, nrows)?),
        };
        t.names.push(name.clone());
        t.columns.push(col);
    }
    Ok(t)
}

/// Rows per cfitsio read.
const CHUNK: usize = 65_536;

fn fits_status(f: &Fits, during: String, status: c_int) -> IoError {
    IoError::Fits(crate::fits::FitsError::Io {
        path: f.path.clone(),
        during: format!("{during} in HDU {}", f.hdu_name()),
        msg: crate::fits::cfitsio_error(status),
    })
}

/// A scalar numeric column as f64, undefined values (TNULL, NaN) as NaN.
fn read_fits_numbers(
    f: &mut Fits,
    colnum: usize,
    name: &str,
    nrows: usize,
) -> Result<Vec<f64>, IoError> {
    let mut out = vec![0.0f64; nrows];
    let mut nulval = f64::NAN;
    for start in (0..nrows).step_by(CHUNK) {
        let n = CHUNK.min(nrows - start);
        let (mut anynul, mut status) = (0, 0);
        unsafe {
            sys::ffgcv(
                f.file.as_raw(),
                82, // TDOUBLE
                colnum as c_int,
                (start + 1) as sys::LONGLONG,
                1,
                n as sys::LONGLONG,
                &mut nulval as *mut f64 as *mut c_void,
                out[start..].as_mut_ptr() as *mut c_void,
                &mut anynul,
                &mut status,
            )
        };
        if status != 0 {
            return Err(fits_status(f, format!("reading column {name}"), status));
        }
    }
    Ok(out)
}

/// A string (or logical) column as trimmed text; undefined values are empty.
fn read_fits_strings(
    f: &mut Fits,
    colnum: usize,
    name: &str,
    nrows: usize,
) -> Result<Vec<String>, IoError> {
    let (mut width, mut status) = (0, 0);
    unsafe { sys::ffgcdw(f.file.as_raw(), colnum as c_int, &mut width, &mut status) };
    if status != 0 {
        return Err(fits_status(
            f,
            format!("reading the width of column {name}"),
            status,
        ));
    }
    let w = width.max(1) as usize + 1;
    let mut out = Vec::with_capacity(nrows);
    let mut buf = vec![0 as c_char; w * CHUNK.min(nrows.max(1))];
    let empty = CString::new("").expect("no NUL");
    for start in (0..nrows).step_by(CHUNK) {
        let n = CHUNK.min(nrows - start);
        let mut ptrs: Vec<*mut c_char> = (0..n).map(|i| buf[i * w..].as_mut_ptr()).collect();
        let mut anynul = 0;
        unsafe {
            sys::ffgcvs(
                f.file.as_raw(),
                colnum as c_int,
                (start + 1) as sys::LONGLONG,
                1,
                n as sys::LONGLONG,
                empty.as_ptr() as *mut c_char,
                ptrs.as_mut_ptr(),
                &mut anynul,
                &mut status,
            )
        };
        if status != 0 {
            return Err(fits_status(f, format!("reading column {name}"), status));
        }
        for i in 0..n {
            let cell = &buf[i * w..(i + 1) * w];
            let bytes: Vec<u8> = cell
                .iter()
                .take_while(|&&c| c != 0)
                .map(|&c| c as u8)
                .collect();
            out.push(String::from_utf8_lossy(&bytes).trim().to_string());
        }
    }
    Ok(out)
}
