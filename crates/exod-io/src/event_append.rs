//! Copy a real event list and append events to its EVENTS table — the FITS half of burst
//! injection (`exod inject`; the drawing of the bursts is `exod_sim::inject`).
//!
//! The copy goes through cfitsio (`fits_copy_file`): every HDU, every header card and every
//! byte of data is kept. Then, in the EVENTS table only:
//!
//! * each appended row starts as the raw bytes of a *donor* row of the same table (so every
//!   column the caller does not set — energies, grades, PI, PAT_TYP, FLAG, STATUS bits … — is
//!   exactly a real event's), then the caller's columns (TIME, sky X/Y, RA/DEC, the chip) are
//!   written through cfitsio, which applies TSCALn/TZEROn; integer columns get rounded values;
//! * all rows are re-sorted by TIME (a stable sort: original rows keep their order among
//!   themselves and come before appended rows of the same TIME), NAXIS2 grows, `HISTORY` cards
//!   say what was done;
//! * `CHECKSUM`/`DATASUM` are recomputed where the EVENTS header had a `CHECKSUM` (the other
//!   HDUs are byte-identical to the input and keep theirs; their comments keep their dates).
//!
//! Optionally a `GTI` extension is appended (OGIP `HDUCLAS1 = GTI`, one START/STOP row), for
//! lists that lost theirs (the partial eROSITA list of `testdata/real`). The output is written
//! to a temporary file beside it and renamed into place ([`crate::fits::write_atomic`]); nothing
//! in it depends on the clock, so the same inputs give byte-identical files. Gzip output is not
//! written (name the output `.fits`); gzip input is read (cfitsio decompresses it).
#![allow(clippy::result_large_err)] // IoError, as the other exod-io modules

use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_long};
use std::path::{Path, PathBuf};

use fitsio::sys as ffi;

use crate::error::IoError;
use crate::fits::{Fits, HduKind};

/// The columns of an EVENTS table that injection needs, for every row.
#[derive(Debug, Clone)]
pub struct EventColumns {
    /// The file.
    pub path: PathBuf,
    /// Number of rows.
    pub rows: usize,
    /// Column names as written (TTYPEn).
    pub names: Vec<String>,
    /// TIME (s).
    pub time: Vec<f64>,
    /// Sky X (pixels).
    pub x: Vec<f64>,
    /// Sky Y (pixels).
    pub y: Vec<f64>,
    /// The chip column (its name as written, and values), when asked for and present.
    pub chip: Option<(String, Vec<f64>)>,
    /// RA and DEC column names, when the table has both.
    pub radec: Option<(String, String)>,
    /// Names of the file's GTI extensions (`GTI`, `STDGTI…`, `GTI<n>`).
    pub gti_extensions: Vec<String>,
}

impl EventColumns {
    /// The actual name of a column, matched case-insensitively.
    pub fn column(&self, name: &str) -> Option<&str> {
        self.names
            .iter()
            .find(|c| c.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }
}

/// Read TIME, X, Y (and `chip_column`) of every row of the EVENTS table of `path`.
pub fn read_event_columns(path: &Path, chip_column: Option<&str>) -> Result<EventColumns, IoError> {
    let mut f = Fits::open(path)?;
    let gti_extensions = f
        .hdus()
        .iter()
        .filter(|h| h.kind == HduKind::BinaryTable && crate::timing_in::is_generic_gti(&h.name))
        .map(|h| h.name.clone())
        .collect();
    f.select("EVENTS", "the event table")?;
    let (rows, names) = f.table_info()?;
    let scalar = |f: &mut Fits, name: &str, what: &str| -> Result<Vec<f64>, IoError> {
        let (col, _) = f.column_req(name, what)?;
        f.require_scalar_number(&col, what)?;
        Ok(f.read_all::<f64>(&col)?)
    };
    let time = scalar(&mut f, "TIME", "event times (s)")?;
    let x = scalar(&mut f, "X", "sky X (pixels)")?;
    let y = scalar(&mut f, "Y", "sky Y (pixels)")?;
    let chip = match chip_column.map(|c| f.column(c)).transpose()?.flatten() {
        Some((name, _)) => Some((name.clone(), scalar(&mut f, &name, "chip numbers")?)),
        None => None,
    };
    let find = |n: &str| names.iter().find(|c| c.eq_ignore_ascii_case(n)).cloned();
    let radec = find("RA").zip(find("DEC"));
    Ok(EventColumns {
        path: path.into(),
        rows,
        names,
        time,
        x,
        y,
        chip,
        radec,
        gti_extensions,
    })
}

/// One appended event: a donor row (0-based) whose bytes it starts from, and the values of the
/// set columns ([`NewEvents::columns`], in that order).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Row (0-based) of the input EVENTS table copied for every column not set.
    pub donor: usize,
    /// Values of the set columns (physical units: cfitsio applies TSCALn/TZEROn).
    pub values: Vec<f64>,
}

/// Events to append: the columns set (names as in the table, case-insensitive) and the rows.
#[derive(Debug, Clone, Default)]
pub struct NewEvents {
    /// Columns set on every appended row; one of them must be TIME.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<NewEvent>,
}

/// A GTI extension to append (one interval).
#[derive(Debug, Clone)]
pub struct GtiExtension {
    /// Start (s, mission time).
    pub start: f64,
    /// Stop (s).
    pub stop: f64,
    /// Why it was made, as a COMMENT card.
    pub comment: String,
}

/// Copy `input` to `output` with `new` events appended to its EVENTS table (and `gti` appended
/// as a `GTI` extension), rows sorted by TIME, `history` as HISTORY cards of EVENTS (module
/// docs). Written atomically.
pub fn write_with_events(
    input: &Path,
    output: &Path,
    new: &NewEvents,
    gti: Option<&GtiExtension>,
    history: &[String],
) -> Result<(), IoError> {
    let name = output.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".gz") || name.ends_with(".ftz") {
        return Err(IoError::output(
            output,
            "gzip output is not written: name the output .fits (gzip it afterwards if needed)",
        ));
    }
    // the input is checked as a whole (truncation, damaged HDUs) before it is copied
    let mut check = Fits::open(input)?;
    check.select("EVENTS", "the event table")?;
    let (rows, _) = check.table_info()?;
    if let Some(r) = new.rows.iter().find(|r| r.donor >= rows) {
        return Err(IoError::invalid(
            input,
            format!(
                "donor row {} of an appended event: the EVENTS table has {rows} rows",
                r.donor + 1
            ),
        ));
    }
    drop(check);
    crate::fits::write_atomic(output, |tmp| {
        let stamp = copy_and_append(input, tmp, new, gti, history).map_err(Step)?;
        crate::fitsw::stamp_checksums_of(tmp, Some(&stamp)).map_err(|e| {
            Step(IoError::output(
                output,
                format!("writing the checksums: {e}"),
            ))
        })
    })
    .map_err(|Step(e)| e)
}

/// An error of the atomic write (the rename's OS error becomes an [`IoError::Io`] on the output).
struct Step(IoError);

impl From<std::io::Error> for Step {
    fn from(error: std::io::Error) -> Step {
        Step(IoError::Io {
            path: PathBuf::from("(renaming the output into place)"),
            error,
        })
    }
}

/// A raw cfitsio handle, closed on drop; every call checks the status and names the step.
struct Raw {
    fptr: *mut ffi::fitsfile,
    path: PathBuf,
}

impl Drop for Raw {
    fn drop(&mut self) {
        if !self.fptr.is_null() {
            let mut s = 0;
            unsafe { ffi::ffclos(self.fptr, &mut s) };
        }
    }
}

fn cstr(s: &str) -> CString {
    CString::new(s.replace('\0', "?")).expect("NULs replaced")
}

impl Raw {
    fn open(path: &Path) -> Result<Raw, IoError> {
        let mut r = Raw {
            fptr: std::ptr::null_mut(),
            path: path.into(),
        };
        let name = cstr(&path.to_string_lossy());
        let mut status = 0;
        unsafe { ffi::ffdkopn(&mut r.fptr, name.as_ptr(), 0, &mut status) };
        r.check(status, "opening the input")?;
        Ok(r)
    }

    fn create(path: &Path) -> Result<Raw, IoError> {
        let mut r = Raw {
            fptr: std::ptr::null_mut(),
            path: path.into(),
        };
        let name = cstr(&path.to_string_lossy());
        let mut status = 0;
        unsafe { ffi::ffdkinit(&mut r.fptr, name.as_ptr(), &mut status) };
        r.check(status, "creating the output")?;
        Ok(r)
    }

    fn check(&self, status: c_int, during: &str) -> Result<(), IoError> {
        if status == 0 {
            Ok(())
        } else {
            Err(IoError::output(
                &self.path,
                format!("{during}: {}", crate::fitsw::status_text(status)),
            ))
        }
    }

    fn close(mut self) -> Result<(), IoError> {
        let mut status = 0;
        unsafe { ffi::ffclos(self.fptr, &mut status) };
        self.fptr = std::ptr::null_mut();
        self.check(status, "closing the output")
    }

    /// The card of `key` in the current header, if any.
    fn card(&self, key: &str) -> Option<String> {
        let mut buf = [0 as c_char; 81];
        let mut status = 0;
        let k = cstr(key);
        unsafe { ffi::ffgcrd(self.fptr, k.as_ptr(), buf.as_mut_ptr(), &mut status) };
        (status == 0).then(|| {
            buf.iter()
                .take_while(|&&c| c != 0)
                .map(|&c| c as u8 as char)
                .collect()
        })
    }

    fn put_card(&self, card: &str) -> Result<(), IoError> {
        let c = cstr(card);
        let mut status = 0;
        unsafe { ffi::ffprec(self.fptr, c.as_ptr(), &mut status) };
        self.check(status, &format!("writing the card {card:?}"))
    }

    fn history(&self, text: &str) -> Result<(), IoError> {
        let c = cstr(&crate::fitsw::ascii(text));
        let mut status = 0;
        unsafe { ffi::ffphis(self.fptr, c.as_ptr(), &mut status) };
        self.check(status, "writing a HISTORY card")
    }

    /// 1-based column number and whether the column holds integers.
    fn column(&self, name: &str) -> Result<(c_int, bool), IoError> {
        let mut t = cstr(name).into_bytes_with_nul();
        let (mut n, mut status) = (0, 0);
        unsafe {
            ffi::ffgcno(
                self.fptr,
                0,
                t.as_mut_ptr() as *mut c_char,
                &mut n,
                &mut status,
            )
        };
        self.check(status, &format!("finding the EVENTS column {name}"))?;
        let (mut code, mut repeat, mut width): (c_int, c_long, c_long) = (0, 0, 0);
        unsafe {
            ffi::ffgtcl(
                self.fptr,
                n,
                &mut code,
                &mut repeat,
                &mut width,
                &mut status,
            )
        };
        self.check(status, &format!("reading the type of column {name}"))?;
        let float = [ffi::TFLOAT as c_int, ffi::TDOUBLE as c_int].contains(&code.abs());
        if repeat != 1 {
            return Err(IoError::invalid(
                &self.path,
                format!("EVENTS column {name} has {repeat} elements per row: expected a scalar"),
            ));
        }
        Ok((n, !float))
    }
}

/// Copy, append, sort; returns the 0-based HDUs whose checksums must be recomputed.
fn copy_and_append(
    input: &Path,
    tmp: &Path,
    new: &NewEvents,
    gti: Option<&GtiExtension>,
    history: &[String],
) -> Result<Vec<usize>, IoError> {
    let src = Raw::open(input)?;
    let out = Raw::create(tmp)?;
    let mut status = 0;
    unsafe {
        ffi::ffmahd(src.fptr, 1, std::ptr::null_mut(), &mut status);
        ffi::ffcpfl(src.fptr, out.fptr, 1, 1, 1, &mut status);
    }
    out.check(status, "copying the HDUs")?;
    let mut stamp = Vec::new();
    let events = move_to_events(&out)?;
    if checksum_wanted(&out)? {
        stamp.push(events);
    }
    append_rows(&out, new)?;
    sort_by_time(&out)?;
    for h in history {
        out.history(h)?;
    }
    if let Some(g) = gti {
        stamp.push(append_gti(&out, g)?);
    }
    drop(src);
    out.close()?;
    Ok(stamp)
}

/// Move to EVENTS; its 0-based HDU number.
fn move_to_events(out: &Raw) -> Result<usize, IoError> {
    let mut name = cstr("EVENTS").into_bytes_with_nul();
    let (mut status, mut hdu) = (0, 0);
    unsafe {
        ffi::ffmnhd(
            out.fptr,
            ffi::BINARY_TBL as c_int,
            name.as_mut_ptr() as *mut c_char,
            0,
            &mut status,
        );
        ffi::ffghdn(out.fptr, &mut hdu);
    }
    out.check(status, "moving to the EVENTS table")?;
    let mut pcount: c_long = 0;
    let key = cstr("PCOUNT");
    unsafe {
        ffi::ffgkyj(
            out.fptr,
            key.as_ptr(),
            &mut pcount,
            std::ptr::null_mut(),
            &mut status,
        )
    };
    out.check(status, "reading PCOUNT of EVENTS")?;
    if pcount != 0 {
        return Err(IoError::invalid(
            &out.path,
            format!("the EVENTS table has a heap (PCOUNT = {pcount}, variable-length columns): appending rows to it is not supported"),
        ));
    }
    Ok(hdu as usize - 1)
}

/// Whether the EVENTS header has a CHECKSUM (then its DATASUM must exist too: added if not).
fn checksum_wanted(out: &Raw) -> Result<bool, IoError> {
    if out.card("CHECKSUM").is_none() {
        return Ok(false);
    }
    if out.card("DATASUM").is_none() {
        out.put_card("DATASUM = '0         '         / data unit checksum")?;
    }
    Ok(true)
}

/// Raw row length (NAXIS1) and row count (NAXIS2) of the current table.
fn table_shape(out: &Raw) -> Result<(usize, usize), IoError> {
    let (mut w, mut n, mut status): (c_long, c_long, c_int) = (0, 0, 0);
    let (k1, k2) = (cstr("NAXIS1"), cstr("NAXIS2"));
    unsafe {
        ffi::ffgkyj(
            out.fptr,
            k1.as_ptr(),
            &mut w,
            std::ptr::null_mut(),
            &mut status,
        );
        ffi::ffgkyj(
            out.fptr,
            k2.as_ptr(),
            &mut n,
            std::ptr::null_mut(),
            &mut status,
        );
    }
    out.check(status, "reading NAXIS1/NAXIS2 of EVENTS")?;
    Ok((w as usize, n as usize))
}

fn read_bytes(out: &Raw, first: usize, n: usize, width: usize) -> Result<Vec<u8>, IoError> {
    let mut buf = vec![0u8; n * width];
    let mut status = 0;
    if n > 0 {
        unsafe {
            ffi::ffgtbb(
                out.fptr,
                first as i64 + 1,
                1,
                (n * width) as i64,
                buf.as_mut_ptr(),
                &mut status,
            )
        };
    }
    out.check(status, "reading EVENTS rows")?;
    Ok(buf)
}

fn write_bytes(out: &Raw, first: usize, bytes: &mut [u8]) -> Result<(), IoError> {
    let mut status = 0;
    if !bytes.is_empty() {
        unsafe {
            ffi::ffptbb(
                out.fptr,
                first as i64 + 1,
                1,
                bytes.len() as i64,
                bytes.as_mut_ptr(),
                &mut status,
            )
        };
    }
    out.check(status, "writing EVENTS rows")
}

/// Insert the new rows after the last one: donor bytes, then the set columns.
fn append_rows(out: &Raw, new: &NewEvents) -> Result<(), IoError> {
    let (width, n0) = table_shape(out)?;
    let k = new.rows.len();
    if k == 0 {
        return Ok(());
    }
    let original = read_bytes(out, 0, n0, width)?;
    let mut status = 0;
    unsafe { ffi::ffirow(out.fptr, n0 as i64, k as i64, &mut status) };
    out.check(status, "inserting EVENTS rows")?;
    let mut bytes = Vec::with_capacity(k * width);
    for r in &new.rows {
        bytes.extend_from_slice(&original[r.donor * width..(r.donor + 1) * width]);
    }
    write_bytes(out, n0, &mut bytes)?;
    for (j, name) in new.columns.iter().enumerate() {
        let (col, integer) = out.column(name)?;
        let mut v: Vec<f64> = new
            .rows
            .iter()
            .map(|r| {
                if integer {
                    r.values[j].round()
                } else {
                    r.values[j]
                }
            })
            .collect();
        unsafe {
            ffi::ffpcld(
                out.fptr,
                col,
                n0 as i64 + 1,
                1,
                k as i64,
                v.as_mut_ptr(),
                &mut status,
            )
        };
        out.check(
            status,
            &format!("writing column {name} of the appended rows"),
        )?;
    }
    Ok(())
}

/// Re-sort every row of the current table by TIME (stable).
fn sort_by_time(out: &Raw) -> Result<(), IoError> {
    let (width, n) = table_shape(out)?;
    let (col, _) = out.column("TIME")?;
    let mut time = vec![0f64; n];
    let (mut anynul, mut status) = (0, 0);
    if n > 0 {
        unsafe {
            ffi::ffgcvd(
                out.fptr,
                col,
                1,
                1,
                n as i64,
                f64::NAN,
                time.as_mut_ptr(),
                &mut anynul,
                &mut status,
            )
        };
    }
    out.check(status, "reading TIME")?;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| time[a].total_cmp(&time[b]));
    if order.iter().enumerate().all(|(i, &o)| i == o) {
        return Ok(());
    }
    let all = read_bytes(out, 0, n, width)?;
    let mut sorted = Vec::with_capacity(all.len());
    for &o in &order {
        sorted.extend_from_slice(&all[o * width..(o + 1) * width]);
    }
    write_bytes(out, 0, &mut sorted)
}

/// Append the GTI extension after the last HDU (the EVENTS time keywords copied); its 0-based
/// HDU number.
fn append_gti(out: &Raw, g: &GtiExtension) -> Result<usize, IoError> {
    // the time cards of EVENTS, copied verbatim
    let keys = [
        "TELESCOP", "INSTRUME", "OBS_ID", "MJDREF", "MJDREFI", "MJDREFF", "TIMESYS", "TIMEUNIT",
        "TIMEREF", "TIMEZERO",
    ];
    let cards: Vec<String> = keys.iter().filter_map(|k| out.card(k)).collect();
    let mut status = 0;
    let mut nhdu = 0;
    unsafe { ffi::ffthdu(out.fptr, &mut nhdu, &mut status) };
    unsafe { ffi::ffmahd(out.fptr, nhdu, std::ptr::null_mut(), &mut status) };
    out.check(status, "moving to the last HDU")?;
    let names = [cstr("START"), cstr("STOP")];
    let forms = [cstr("1D"), cstr("1D")];
    let units = [cstr("s"), cstr("s")];
    let mut tt: Vec<*mut c_char> = names.iter().map(|c| c.as_ptr() as *mut c_char).collect();
    let mut tf: Vec<*mut c_char> = forms.iter().map(|c| c.as_ptr() as *mut c_char).collect();
    let mut tu: Vec<*mut c_char> = units.iter().map(|c| c.as_ptr() as *mut c_char).collect();
    let ext = cstr("GTI");
    unsafe {
        ffi::ffcrtb(
            out.fptr,
            ffi::BINARY_TBL as c_int,
            1,
            2,
            tt.as_mut_ptr(),
            tf.as_mut_ptr(),
            tu.as_mut_ptr(),
            ext.as_ptr(),
            &mut status,
        )
    };
    out.check(status, "creating the GTI extension")?;
    for card in [
        "HDUCLASS= 'OGIP    '           / format conforms to OGIP standard",
        "HDUCLAS1= 'GTI     '           / table contains Good Time Intervals",
        "HDUCLAS2= 'STANDARD'           / standard Good Time Interval table",
    ] {
        out.put_card(card)?;
    }
    for c in &cards {
        out.put_card(c)?;
    }
    for (k, v) in [("TSTART", g.start), ("TSTOP", g.stop)] {
        let real = crate::fitsw::fits_real(v).unwrap_or_else(|| "0.0".into());
        out.put_card(&format!("{k:<8}= {real:>20} / [s] GTI span"))?;
    }
    for chunk in crate::fitsw::ascii(&g.comment).as_bytes().chunks(70) {
        let c = cstr(&String::from_utf8_lossy(chunk));
        unsafe { ffi::ffpcom(out.fptr, c.as_ptr(), &mut status) };
    }
    let (mut a, mut b) = ([g.start], [g.stop]);
    unsafe {
        ffi::ffpcld(out.fptr, 1, 1, 1, 1, a.as_mut_ptr(), &mut status);
        ffi::ffpcld(out.fptr, 2, 1, 1, 1, b.as_mut_ptr(), &mut status);
    }
    out.check(status, "writing the GTI row")?;
    out.put_card("CHECKSUM= '0000000000000000'   / HDU checksum")?;
    out.put_card("DATASUM = '0         '         / data unit checksum")?;
    Ok(nhdu as usize)
}
