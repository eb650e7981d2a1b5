//! Column reads the OGIP readers need beyond [`crate::fits::Fits`]'s scalar columns: fixed
//! vector columns and variable-length arrays, read in bulk through cfitsio (one call per fixed
//! column, one call per row of a variable-length column, descriptors in one call), with every
//! variable-length descriptor checked against the heap the header declares before anything is
//! allocated.

use std::os::raw::{c_int, c_void};
use std::path::Path;

use fitsio::sys;

use crate::error::IoError;
use crate::fits::{cfitsio_error, ColumnValue, Fits, FitsError, HduKind, HeaderValue};

/// A column of the current HDU.
#[derive(Debug, Clone)]
pub(super) struct Col {
    /// Its name as written.
    pub name: String,
    /// 1-based column number.
    pub num: usize,
    /// Elements per row (for a variable-length array: the maximum TFORM declares).
    pub repeat: usize,
    /// A variable-length array (`P`/`Q` TFORM).
    pub vla: bool,
    /// Bytes of one element as stored (for the heap check).
    elem_bytes: u64,
    /// The table it belongs to.
    table: Table,
}

/// Values per row: row `i` is `values[starts[i]..starts[i + 1]]`.
#[derive(Debug, Clone)]
pub(super) struct Ragged<T> {
    starts: Vec<usize>,
    values: Vec<T>,
}

impl<T> Ragged<T> {
    /// The values of row `i` (0-based).
    pub fn row(&self, i: usize) -> &[T] {
        &self.values[self.starts[i]..self.starts[i + 1]]
    }
}

/// Select binary table HDU `index` (0-based) and return its rows and PCOUNT.
pub(super) fn select_table(f: &mut Fits, index: usize) -> Result<Table, IoError> {
    f.select_index(index)?;
    match f.hdus().get(index) {
        Some(h) if h.kind == HduKind::BinaryTable => Ok(Table {
            index,
            rows: h.rows,
            pcount: h.pcount,
        }),
        _ => Err(bad(f, "is not a binary table: expected an OGIP table")),
    }
}

/// The selected binary table: what the reads need of its geometry.
#[derive(Debug, Clone, Copy)]
pub(super) struct Table {
    /// 0-based HDU index.
    pub index: usize,
    /// NAXIS2.
    pub rows: u64,
    /// PCOUNT: the heap bytes (and gap) after the rows.
    pcount: u64,
}

fn io_error(f: &Fits, during: String, status: c_int) -> IoError {
    IoError::Fits(FitsError::Io {
        path: f.path.clone(),
        during: format!("{during} in HDU {}", f.hdu_name()),
        msg: cfitsio_error(status),
    })
}

/// An error about the current HDU of `f`.
pub(super) fn bad(f: &Fits, what: impl Into<String>) -> IoError {
    IoError::Fits(FitsError::Content {
        path: f.path.clone(),
        hdu: f.hdu_name().to_string(),
        what: what.into(),
    })
}

/// A numeric column by name (case-insensitive), None when absent; a string, logical, bit or
/// complex column is an error naming `expected`.
pub(super) fn find(
    f: &mut Fits,
    table: Table,
    name: &str,
    expected: &str,
) -> Result<Option<Col>, IoError> {
    let Some((actual, num)) = f.column(name)? else {
        return Ok(None);
    };
    let (typecode, repeat) = f.column_type(num)?;
    let kind = match typecode.abs() {
        1 => Some("a bit (X)"),
        14 => Some("a logical (L)"),
        16 => Some("a string (A)"),
        83 | 163 => Some("a complex (C/M)"),
        _ => None,
    };
    if let Some(k) = kind {
        return Err(bad(
            f,
            format!("column {actual} is {k} column: expected numbers ({expected})"),
        ));
    }
    let elem_bytes = stored_bytes(f, num)?;
    Ok(Some(Col {
        name: actual,
        num,
        repeat: repeat.max(0) as usize,
        vla: typecode < 0,
        elem_bytes,
        table,
    }))
}

/// Like [`find`], an error listing the table's columns when absent.
pub(super) fn require(
    f: &mut Fits,
    table: Table,
    name: &str,
    expected: &str,
) -> Result<Col, IoError> {
    match find(f, table, name, expected)? {
        Some(c) => Ok(c),
        None => {
            f.column_req(name, expected)?;
            Err(bad(f, format!("no column {name} ({expected})")))
        }
    }
}

/// Bytes of one stored element of column `num` (its TFORM type, not the scaled one).
fn stored_bytes(f: &mut Fits, num: usize) -> Result<u64, IoError> {
    let fptr = unsafe { f.file.as_raw() };
    let (mut typecode, mut repeat, mut width) = (0, 0, 0);
    let mut status = 0;
    unsafe {
        sys::ffgtclll(
            fptr,
            num as c_int,
            &mut typecode,
            &mut repeat,
            &mut width,
            &mut status,
        )
    };
    if status != 0 {
        return Err(io_error(
            f,
            format!("reading the type of column {num}"),
            status,
        ));
    }
    Ok(match typecode.abs() {
        21 => 2,
        41 | 42 => 4,
        81 | 82 | 83 => 8,
        163 => 16,
        _ => 1,
    })
}

/// Every element of a fixed-width column, rows one after the other (`rows × repeat` values),
/// in one cfitsio call.
pub(super) fn read_fixed<T: ColumnValue>(f: &mut Fits, col: &Col) -> Result<Vec<T>, IoError> {
    if col.vla {
        return Err(bad(
            f,
            format!(
                "column {} is a variable-length array: expected a fixed-width column",
                col.name
            ),
        ));
    }
    let n = col.table.rows as usize * col.repeat;
    let mut out = vec![T::default(); n];
    if n > 0 {
        read_into(f, col, 1, &mut out)?;
    }
    Ok(out)
}

/// `out.len()` elements of `col` from row `row` (1-based), element 1.
fn read_into<T: ColumnValue>(
    f: &mut Fits,
    col: &Col,
    row: u64,
    out: &mut [T],
) -> Result<(), IoError> {
    f.column_type(col.num)?; // makes the HDU cfitsio's current one
    let fptr = unsafe { f.file.as_raw() };
    let (mut anynul, mut status) = (0, 0);
    unsafe {
        sys::ffgcv(
            fptr,
            T::DATATYPE,
            col.num as c_int,
            row as sys::LONGLONG,
            1,
            out.len() as sys::LONGLONG,
            std::ptr::null_mut(),
            out.as_mut_ptr() as *mut c_void,
            &mut anynul,
            &mut status,
        );
    }
    if status != 0 {
        return Err(io_error(
            f,
            format!("reading column {} from row {row}", col.name),
            status,
        ));
    }
    Ok(())
}

/// The per-row values of a fixed-width or variable-length column.
pub(super) fn read_ragged<T: ColumnValue>(f: &mut Fits, col: &Col) -> Result<Ragged<T>, IoError> {
    if !col.vla {
        let values = read_fixed::<T>(f, col)?;
        let rows = col.table.rows as usize;
        let starts = (0..=rows).map(|i| i * col.repeat).collect();
        return Ok(Ragged { starts, values });
    }
    let lengths = descriptors(f, col)?;
    let mut starts = Vec::with_capacity(lengths.len() + 1);
    starts.push(0usize);
    for &l in &lengths {
        starts.push(starts.last().copied().unwrap_or(0) + l);
    }
    let mut values = vec![T::default(); *starts.last().unwrap_or(&0)];
    for (i, w) in starts.windows(2).enumerate() {
        if w[1] > w[0] {
            read_into(f, col, i as u64 + 1, &mut values[w[0]..w[1]])?;
        }
    }
    Ok(Ragged { starts, values })
}

/// Lengths of a variable-length column's arrays, each checked to lie inside the heap.
fn descriptors(f: &mut Fits, col: &Col) -> Result<Vec<usize>, IoError> {
    let (n, pcount) = (col.table.rows as usize, col.table.pcount);
    let mut len = vec![0 as sys::LONGLONG; n];
    let mut addr = vec![0 as sys::LONGLONG; n];
    if n == 0 {
        return Ok(Vec::new());
    }
    f.column_type(col.num)?;
    let fptr = unsafe { f.file.as_raw() };
    let mut status = 0;
    unsafe {
        sys::ffgdessll(
            fptr,
            col.num as c_int,
            1,
            n as sys::LONGLONG,
            len.as_mut_ptr(),
            addr.as_mut_ptr(),
            &mut status,
        )
    };
    if status != 0 {
        return Err(io_error(
            f,
            format!("reading the array descriptors of column {}", col.name),
            status,
        ));
    }
    for i in 0..n {
        let (l, a) = (len[i], addr[i]);
        let end = (l.max(0) as u64)
            .checked_mul(col.elem_bytes)
            .and_then(|b| b.checked_add(a.max(0) as u64));
        if l < 0 || a < 0 || end.is_none_or(|e| e > pcount) {
            return Err(bad(
                f,
                format!(
                    "row {}: column {} declares an array of {l} elements at heap byte {a}, outside the {pcount}-byte heap (PCOUNT): a damaged descriptor?",
                    i + 1,
                    col.name
                ),
            ));
        }
    }
    Ok(len.into_iter().map(|l| l as usize).collect())
}

/// The TLMINn of a column, if it has one (a number).
pub(super) fn tlmin(f: &mut Fits, col: &Col) -> Result<Option<i64>, IoError> {
    let key = format!("TLMIN{}", col.num);
    match f.key(&key)? {
        None => Ok(None),
        Some(HeaderValue::Num(x)) if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 => {
            Ok(Some(x as i64))
        }
        Some(v) => Err(f
            .bad_key(
                &key,
                &v,
                &format!("an integer, the first channel of {}", col.name),
            )
            .into()),
    }
}

/// An `IoError::Invalid` about `path`.
pub(super) fn invalid(path: &Path, what: impl Into<String>) -> IoError {
    IoError::invalid(path, what)
}
