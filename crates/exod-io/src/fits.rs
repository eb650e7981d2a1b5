//! Thin layer over cfitsio (the `fitsio` crate, bundled C library) used by every reader and
//! writer: typed header values read from the raw cards (so a number written as a string is
//! caught, not silently converted), case-insensitive column lookup, chunked column reads, and
//! atomic writes (temporary file, then rename).
//!
//! Opening a file checks it as a whole before anything is read from it:
//!
//! * the path is taken literally (`fits_open_diskfile`: no cfitsio extended filename syntax, so
//!   `a[1].fits` is the file `a[1].fits`, not HDU 1 of `a`); gzip and the other compressions
//!   cfitsio knows are still decompressed (into memory);
//! * every HDU is scanned: an HDU cfitsio cannot read is an error, never the silent end of the
//!   file; the byte size each header declares (header blocks + NAXIS1 × NAXIS2 + PCOUNT, padded to
//!   2880) is compared with the bytes the file (decompressed) really has, so a truncated file is
//!   said to be truncated and a table claiming more rows than the file holds is refused before
//!   anything is allocated;
//! * a gzip file whose trailer is inconsistent with its content is truncated or corrupt.
//!
//! Selecting an HDU also checks that the fill bytes after its data are zero (or blank), which
//! catches an NAXIS2 that was lowered within the last 2880-byte block. Errors never carry Rust
//! Debug text: cfitsio failures read "cfitsio status 108: error reading from FITS file", with
//! the HDU and column they happened in.

use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_void};
use std::path::{Path, PathBuf};

use fitsio::sys;
use fitsio::{FileOpenMode, FitsFile};

/// Errors from FITS files, always naming the file and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum FitsError {
    /// The file does not exist or cfitsio cannot open it.
    #[error("{path}: cannot open as FITS: {msg}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why it cannot be opened.
        msg: String,
    },
    /// No HDU of that name.
    #[error("{path}: no HDU named {hdu} (expected {expected})")]
    MissingHdu {
        /// The file.
        path: PathBuf,
        /// The HDU name looked for.
        hdu: String,
        /// What the HDU should hold.
        expected: String,
    },
    /// A required keyword is absent.
    #[error("{path}[{hdu}]: missing keyword {key} ({expected})")]
    MissingKey {
        /// The file.
        path: PathBuf,
        /// The HDU searched.
        hdu: String,
        /// The keyword.
        key: String,
        /// What the keyword should hold.
        expected: String,
    },
    /// A keyword has the wrong type or value (e.g. a number written as a string).
    #[error("{path}[{hdu}]: keyword {key} = {found}: expected {expected}")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// The HDU.
        hdu: String,
        /// The keyword.
        key: String,
        /// The value found, as displayed by [`HeaderValue`].
        found: String,
        /// What was expected.
        expected: String,
    },
    /// A required column is absent.
    #[error("{path}[{hdu}]: no column {column} (expected {expected}; columns are {available})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The HDU.
        hdu: String,
        /// The column looked for.
        column: String,
        /// What the column should hold.
        expected: String,
        /// The table's columns, comma-separated.
        available: String,
    },
    /// The HDU's content is unusable (e.g. not a binary table, a vector column).
    #[error("{path}[{hdu}]: {what}")]
    Content {
        /// The file.
        path: PathBuf,
        /// The HDU.
        hdu: String,
        /// What is wrong.
        what: String,
    },
    /// The file as a whole is damaged: truncated, an unreadable HDU, sizes that do not add up.
    #[error("{path}: {what}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong and what was expected.
        what: String,
    },
    /// cfitsio failed during an operation.
    #[error("{path}: {during}: {msg}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done, and in which HDU.
        during: String,
        /// cfitsio's status and message ("cfitsio status 108: error reading from FITS file").
        msg: String,
    },
}

/// A header value as written on the card.
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderValue {
    /// A quoted string (quotes removed, `''` unescaped, trailing blanks trimmed), or an unquoted
    /// value that is not a number.
    Str(String),
    /// A logical, `T` or `F`.
    Bool(bool),
    /// A number (integer or real; `D` exponents accepted).
    Num(f64),
}

impl std::fmt::Display for HeaderValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderValue::Str(s) => write!(f, "'{s}' (a string)"),
            HeaderValue::Bool(b) => write!(f, "{}", if *b { "T" } else { "F" }),
            HeaderValue::Num(x) => write!(f, "{x}"),
        }
    }
}

/// The kind of an HDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HduKind {
    /// The primary array or an IMAGE extension.
    Image,
    /// An ASCII table (`XTENSION = 'TABLE'`).
    AsciiTable,
    /// A binary table (`XTENSION = 'BINTABLE'`).
    BinaryTable,
}

/// One HDU as found by the scan made when the file is opened.
#[derive(Debug, Clone)]
pub struct HduEntry {
    /// 0-based index (0 = primary).
    pub index: usize,
    /// EXTNAME (trimmed), or `"PRIMARY"` / `"HDU<n>"`.
    pub name: String,
    /// Image or table.
    pub kind: HduKind,
    /// Byte offset of the header.
    pub header_start: u64,
    /// Byte offset of the data.
    pub data_start: u64,
    /// Data bytes the header declares (NAXIS1 × … × NAXISn × |BITPIX|/8 + PCOUNT, × GCOUNT),
    /// before padding to 2880.
    pub data_bytes: u64,
    /// Tables: NAXIS1, the bytes of a row.
    pub row_bytes: u64,
    /// Tables: NAXIS2, the rows.
    pub rows: u64,
    /// Tables: PCOUNT, the heap (and gap) bytes after the rows.
    pub pcount: u64,
}

/// FITS block size.
const BLOCK: u64 = 2880;
/// cfitsio status codes handled specially.
const END_OF_FILE: c_int = 107;
const READ_ERROR: c_int = 108;
const KEY_NO_EXIST: c_int = 202;
const NO_END: c_int = 210;
/// cfitsio's raw reads stay below its direct-I/O threshold (MINDIRECT = 8640).
const MAX_RAW: usize = 8000;
/// The largest expansion deflate can achieve (≈ 1032:1), for the gzip trailer check.
const DEFLATE_MAX_RATIO: u64 = 1032;

extern "C" {
    /// cfitsio's raw byte read from the current position (set by `ffmbyt`); declared in
    /// cfitsio's `fitsio2.h`, exported by the library the `fitsio` crate links.
    fn ffgbyt(
        fptr: *mut sys::fitsfile,
        nbytes: sys::LONGLONG,
        buffer: *mut c_void,
        status: *mut c_int,
    ) -> c_int;
}

fn padded(n: u64) -> u64 {
    n.div_ceil(BLOCK).saturating_mul(BLOCK)
}

/// `1454400` → `"1,454,400"`.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn c_buf_to_string(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Empty cfitsio's error-message stack (messages of expected failures, e.g. a keyword looked
/// for and absent, must not end up in a later error).
fn clear_messages() {
    unsafe { sys::ffcmsg() };
}

/// "cfitsio status 108: error reading from FITS file", with the most specific message of
/// cfitsio's stack when it adds something; the stack is emptied.
pub(crate) fn cfitsio_error(status: c_int) -> String {
    let mut text = [0 as c_char; 32];
    unsafe { sys::ffgerr(status, text.as_mut_ptr()) };
    let text = c_buf_to_string(&text).trim().to_string();
    let mut details: Vec<String> = Vec::new();
    for _ in 0..32 {
        let mut m = [0 as c_char; 96];
        if unsafe { sys::ffgmsg(m.as_mut_ptr()) } == 0 {
            break;
        }
        let m = c_buf_to_string(&m);
        // drop the "(ffbinit)"-style routine tags and uninformative lines
        let m = match m.rfind(" (ff") {
            Some(i) if m.trim_end().ends_with(')') || m.trim_end().ends_with(").") => {
                m[..i].to_string()
            }
            _ => m,
        };
        let m = m.trim().trim_end_matches('.').trim().to_string();
        // cfitsio also stacks the file name: the caller names the file, once
        if m.len() > 3
            && !m.contains('/')
            && !m.contains('\\')
            && !m.eq_ignore_ascii_case(&text)
            && !m.starts_with("ffopen")
            && !details.contains(&m)
        {
            details.push(m);
        }
    }
    clear_messages();
    match details.first() {
        Some(d) => format!("cfitsio status {status}: {text} ({d})"),
        None => format!("cfitsio status {status}: {text}"),
    }
}

/// A `fitsio` error as text, without Rust Debug formatting.
pub(crate) fn describe(e: &fitsio::errors::Error) -> String {
    use fitsio::errors::Error;
    match e {
        Error::Fits(f) => format!("cfitsio status {}: {}", f.status, f.message),
        Error::Index(i) => format!("{} (rows {}..{})", i.message, i.given.start, i.given.end),
        Error::Message(m) => m.clone(),
        other => other.to_string(),
    }
}

/// How the file on disk is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    Plain,
    /// gzip, with the uncompressed size of its trailer (ISIZE, modulo 2³²).
    Gzip {
        isize: u32,
    },
    /// Another compression cfitsio decompresses (compress, pack, zip, bzip2).
    OtherCompressed(&'static str),
}

impl Storage {
    fn sniff(path: &Path, len: u64) -> std::io::Result<Storage> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open(path)?;
        let mut magic = [0u8; 2];
        if len < 2 || f.read_exact(&mut magic).is_err() {
            return Ok(Storage::Plain);
        }
        Ok(match magic {
            [0x1f, 0x8b] => {
                let mut t = [0u8; 4];
                if len >= 18 {
                    f.seek(SeekFrom::End(-4))?;
                    f.read_exact(&mut t)?;
                }
                Storage::Gzip {
                    isize: u32::from_le_bytes(t),
                }
            }
            [0x1f, 0x9d] => Storage::OtherCompressed("compress (.Z)"),
            [0x1f, 0x1e] => Storage::OtherCompressed("pack"),
            [0x1f, 0xa0] => Storage::OtherCompressed("LZH"),
            [b'P', b'K'] => Storage::OtherCompressed("zip"),
            [b'B', b'Z'] => Storage::OtherCompressed("bzip2"),
            _ => Storage::Plain,
        })
    }
}

/// The bytes the (decompressed) file really has.
#[derive(Debug, Clone, Copy)]
struct ActualSize {
    bytes: u64,
    /// False for compressions whose size is known only to a 2880-byte block.
    exact: bool,
    compressed: bool,
}

impl ActualSize {
    fn describe(&self) -> String {
        match (self.compressed, self.exact) {
            (false, _) => format!("the file has {}", thousands(self.bytes)),
            (true, true) => format!("the file has {} once decompressed", thousands(self.bytes)),
            (true, false) => format!(
                "the file has {} complete 2880-byte blocks ({} bytes) once decompressed",
                thousands(self.bytes / BLOCK),
                thousands(self.bytes)
            ),
        }
    }
}

/// An open FITS file positioned on one HDU, remembering names for error messages.
pub struct Fits {
    pub(crate) file: FitsFile,
    pub(crate) path: PathBuf,
    hdus: Vec<HduEntry>,
    current: Option<usize>,
    fill_checked: Vec<bool>,
    hdu_name: String,
}

#[cfg(unix)]
fn c_path(path: &Path) -> Option<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).ok()
}

#[cfg(not(unix))]
fn c_path(path: &Path) -> Option<CString> {
    CString::new(path.to_str()?).ok()
}

impl Fits {
    /// Open a FITS file, literally by its path (gzip-compressed files are decompressed by
    /// cfitsio), and check its HDUs and size as a whole (see the module documentation).
    pub fn open(path: &Path) -> Result<Fits, FitsError> {
        let open_err = |msg: String| FitsError::Open {
            path: path.into(),
            msg,
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(open_err("no such file".into()))
            }
            Err(e) => return Err(open_err(e.to_string())),
        };
        if meta.is_dir() {
            return Err(open_err("is a directory, not a file".into()));
        }
        let disk_len = meta.len();
        if disk_len == 0 {
            return Err(open_err("the file is empty (0 bytes)".into()));
        }
        let storage = Storage::sniff(path, disk_len).map_err(|e| open_err(e.to_string()))?;
        if let Storage::Gzip { isize } = storage {
            // cfitsio allocates the trailer's size before decompressing: refuse an impossible
            // one (the last 4 bytes of a truncated gzip file are arbitrary)
            let mut want = isize as u64;
            if disk_len > 10_000 {
                while want < disk_len {
                    want += 1 << 32;
                }
            }
            let limit = DEFLATE_MAX_RATIO * disk_len + (1 << 20);
            if want > limit {
                return Err(FitsError::Damaged {
                    path: path.into(),
                    what: format!(
                        "the gzip data is truncated or corrupt: its trailer declares {} uncompressed bytes, more than deflate can produce from {} compressed bytes (at most {}); nothing was decompressed",
                        thousands(want),
                        thousands(disk_len),
                        thousands(limit)
                    ),
                });
            }
        }
        let mut f = Fits::open_handle(path, storage)?;
        let size = match storage {
            Storage::Plain => ActualSize {
                bytes: disk_len,
                exact: true,
                compressed: false,
            },
            Storage::Gzip { isize } => {
                let blocks = f.readable_blocks(isize as u64);
                let base = blocks * BLOCK;
                // the one size ≥ base (blocks complete) that matches the trailer modulo 2^32
                let exact = base + ((isize as u64).wrapping_sub(base) & 0xffff_ffff);
                if exact >= base + BLOCK {
                    return Err(f.damaged(format!(
                        "the gzip data is truncated or corrupt: its trailer declares {} uncompressed bytes (modulo 2^32), but it decompresses to {} complete 2880-byte blocks ({} bytes)",
                        thousands(isize as u64),
                        thousands(blocks),
                        thousands(base)
                    )));
                }
                if exact != base {
                    // the probe has read the incomplete last block, which leaves cfitsio's
                    // buffer of it stale: start again from a fresh handle
                    drop(f);
                    f = Fits::open_handle(path, storage)?;
                }
                ActualSize {
                    bytes: exact,
                    exact: true,
                    compressed: true,
                }
            }
            Storage::OtherCompressed(_) => {
                let blocks = f.readable_blocks(disk_len.saturating_mul(3));
                drop(f);
                f = Fits::open_handle(path, storage)?;
                ActualSize {
                    bytes: blocks * BLOCK,
                    exact: false,
                    compressed: true,
                }
            }
        };
        f.scan(size)?;
        Ok(f)
    }

    /// Open the file with cfitsio, literally by its name (`fits_open_diskfile`).
    fn open_handle(path: &Path, storage: Storage) -> Result<Fits, FitsError> {
        let open_err = |msg: String| FitsError::Open {
            path: path.into(),
            msg,
        };
        let Some(cpath) = c_path(path) else {
            return Err(open_err("the path contains a NUL byte".into()));
        };
        clear_messages();
        let mut fptr: *mut sys::fitsfile = std::ptr::null_mut();
        let mut status = 0;
        // fits_open_diskfile: the name is the file's name, no extended syntax
        unsafe { sys::ffdkopn(&mut fptr, cpath.as_ptr(), 0, &mut status) };
        if status != 0 || fptr.is_null() {
            let mut msg = cfitsio_error(status);
            if matches!(status, END_OF_FILE | READ_ERROR | NO_END) {
                msg.push_str(" (the file ends before its primary header does: truncated, or not a FITS file)");
            } else if matches!(storage, Storage::Gzip { .. } | Storage::OtherCompressed(_)) {
                msg.push_str(
                    " (the compressed data cannot be decompressed: is it truncated or corrupt?)",
                );
            } else {
                msg.push_str(" (is it a complete FITS file?)");
            }
            if !fptr.is_null() {
                let mut s = 0;
                unsafe { sys::ffclos(fptr, &mut s) };
            }
            return Err(open_err(msg));
        }
        let file = match unsafe { FitsFile::from_raw(fptr, FileOpenMode::READONLY) } {
            Ok(f) => f,
            Err(e) => {
                let mut s = 0;
                unsafe { sys::ffclos(fptr, &mut s) };
                return Err(open_err(describe(&e)));
            }
        };
        Ok(Fits {
            file,
            path: path.into(),
            hdus: Vec::new(),
            current: None,
            fill_checked: Vec::new(),
            hdu_name: "PRIMARY".into(),
        })
    }

    fn raw_ptr(&mut self) -> *mut sys::fitsfile {
        unsafe { self.file.as_raw() }
    }

    fn damaged(&self, what: String) -> FitsError {
        FitsError::Damaged {
            path: self.path.clone(),
            what,
        }
    }

    /// Read `buf.len()` (≤ 8000) raw bytes at `pos`; Err(status) past the end of the file.
    fn raw_read(&mut self, pos: u64, buf: &mut [u8]) -> Result<(), c_int> {
        debug_assert!(buf.len() <= MAX_RAW);
        let fptr = self.raw_ptr();
        let mut status = 0;
        unsafe {
            sys::ffmbyt(fptr, pos as sys::LONGLONG, 0, &mut status);
            if status == 0 {
                ffgbyt(
                    fptr,
                    buf.len() as sys::LONGLONG,
                    buf.as_mut_ptr() as *mut c_void,
                    &mut status,
                );
            }
        }
        clear_messages();
        if status == 0 {
            Ok(())
        } else {
            Err(status)
        }
    }

    /// Number of complete 2880-byte blocks cfitsio can read (for compressed files, whose
    /// decompressed size is only in memory). Blocks past the end fail cleanly; a failed read of
    /// an incomplete last block leaves cfitsio's buffer of it stale (the caller reopens).
    fn readable_blocks(&mut self, hint: u64) -> u64 {
        let mut byte = [0u8; 1];
        let mut ok = |f: &mut Fits, b: u64| f.raw_read(b * BLOCK, &mut byte).is_ok();
        if !ok(self, 0) {
            return 0;
        }
        let (mut lo, mut hi) = (0u64, hint / BLOCK + 1); // lo readable
        while ok(self, hi) {
            lo = hi;
            hi = hi.saturating_mul(2).max(1);
            if hi > (1 << 40) {
                return lo + 1;
            }
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if ok(self, mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo + 1
    }

    /// A required integer keyword of the current HDU (cfitsio's parse).
    fn key_ll(&mut self, key: &str) -> Result<Option<i64>, c_int> {
        let fptr = self.raw_ptr();
        let ckey = CString::new(key).expect("keyword names have no NUL");
        let mut v: sys::LONGLONG = 0;
        let mut status = 0;
        unsafe {
            sys::ffgkyjj(
                fptr,
                ckey.as_ptr(),
                &mut v,
                std::ptr::null_mut(),
                &mut status,
            )
        };
        match status {
            0 => Ok(Some(v)),
            KEY_NO_EXIST => {
                clear_messages();
                Ok(None)
            }
            s => Err(s),
        }
    }

    /// The EXTNAME of HDU `index` (`PRIMARY` or `HDUn` when it has none); a damaged card is an
    /// error.
    fn extname(&mut self, index: usize) -> Result<String, FitsError> {
        Ok(match self.raw_key("EXTNAME") {
            Ok(None) => {
                if index == 0 {
                    "PRIMARY".to_string()
                } else {
                    format!("HDU{index}")
                }
            }
            Ok(Some(raw)) => match parse_card_value(raw.trim()) {
                HeaderValue::Str(s) if raw.trim().starts_with('\'') => s.trim().to_string(),
                other => {
                    return Err(self.damaged(format!(
                        "HDU {index}: EXTNAME = {other}: expected a quoted string (the header is damaged)"
                    )))
                }
            },
            Err(s) => {
                return Err(self.damaged(format!(
                    "HDU {index}: the EXTNAME card cannot be read: {} (the header is damaged)",
                    cfitsio_error(s)
                )))
            }
        })
    }

    /// Describe the current HDU (just moved to by the scan).
    fn describe_hdu(&mut self, index: usize, hdutype: c_int) -> Result<HduEntry, FitsError> {
        let fptr = self.raw_ptr();
        let (mut hs, mut ds, mut de) = (0, 0, 0);
        let mut status = 0;
        unsafe { sys::ffghadll(fptr, &mut hs, &mut ds, &mut de, &mut status) };
        if status != 0 {
            return Err(self.damaged(format!(
                "HDU {index}: cannot locate its header and data: {}",
                cfitsio_error(status)
            )));
        }
        let kind = match hdutype {
            1 => HduKind::AsciiTable,
            2 => HduKind::BinaryTable,
            _ => HduKind::Image,
        };
        let name = self.extname(index)?;
        let label = format!("HDU {index} ({name})");
        let get = |f: &mut Fits, key: &str, default: Option<i64>| -> Result<i64, FitsError> {
            match f.key_ll(key) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => default.ok_or_else(|| {
                    f.damaged(format!("{label}: no {key} keyword (the header is damaged)"))
                }),
                Err(s) => Err(f.damaged(format!(
                    "{label}: keyword {key} cannot be read as an integer: {} (the header is damaged)",
                    cfitsio_error(s)
                ))),
            }
        };
        let bitpix = get(self, "BITPIX", None)?;
        let naxis = get(self, "NAXIS", None)?;
        if !(0..=999).contains(&naxis) {
            return Err(self.damaged(format!("{label}: NAXIS = {naxis}: expected 0 to 999")));
        }
        let mut axes = Vec::with_capacity(naxis as usize);
        for n in 1..=naxis {
            let a = get(self, &format!("NAXIS{n}"), None)?;
            if a < 0 {
                return Err(self.damaged(format!("{label}: NAXIS{n} = {a}: expected a length ≥ 0")));
            }
            axes.push(a as u128);
        }
        let pcount = get(self, "PCOUNT", Some(0))?;
        let gcount = get(self, "GCOUNT", Some(1))?;
        if pcount < 0 || gcount < 0 {
            return Err(self.damaged(format!(
                "{label}: PCOUNT = {pcount}, GCOUNT = {gcount}: expected counts ≥ 0"
            )));
        }
        // FITS 4.0 §4.4.1: |BITPIX| × GCOUNT × (PCOUNT + NAXIS1 × … × NAXISn) bits; random
        // groups (NAXIS1 = 0 in the primary header) leave NAXIS1 out
        let groups = index == 0
            && axes.first() == Some(&0)
            && naxis > 1
            && matches!(self.raw_key("GROUPS"), Ok(Some(v)) if v.trim() == "T");
        let prod: u128 = if axes.is_empty() {
            0
        } else {
            axes.iter()
                .skip(groups as usize)
                .fold(1u128, |p, &a| p.saturating_mul(a))
        };
        let bytes = ((bitpix.unsigned_abs() / 8) as u128)
            .saturating_mul(gcount as u128)
            .saturating_mul((pcount as u128).saturating_add(prod));
        let data_bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        let entry = HduEntry {
            index,
            name,
            kind,
            header_start: hs.max(0) as u64,
            data_start: ds.max(0) as u64,
            data_bytes,
            row_bytes: if kind == HduKind::Image {
                0
            } else {
                axes.first().copied().unwrap_or(0) as u64
            },
            rows: if kind == HduKind::Image {
                0
            } else {
                axes.get(1).copied().unwrap_or(0) as u64
            },
            pcount: pcount as u64,
        };
        // cfitsio computes the same end with 64-bit arithmetic: a difference means an overflow
        let cfitsio_bytes = (de - ds).max(0) as u64;
        if data_bytes == u64::MAX || padded(data_bytes) != cfitsio_bytes {
            return Err(self.damaged(format!(
                "{label}: its header declares {} data bytes ({}), which cannot be a FITS file (the header is damaged)",
                if data_bytes == u64::MAX { "more than 2^64".to_string() } else { thousands(data_bytes) },
                entry.geometry()
            )));
        }
        Ok(entry)
    }

    /// Scan every HDU; see the module documentation.
    fn scan(&mut self, size: ActualSize) -> Result<(), FitsError> {
        let (hdus, end_status) = self.walk_hdus()?;
        self.check_declared_sizes(&hdus, end_status, &size)?;
        self.check_end_of_scan(hdus, end_status, &size)
    }

    /// Move to every HDU in turn and describe it; returns them and the cfitsio status that
    /// stopped the walk.
    fn walk_hdus(&mut self) -> Result<(Vec<HduEntry>, c_int), FitsError> {
        let fptr = self.raw_ptr();
        let mut hdus: Vec<HduEntry> = Vec::new();
        loop {
            let i = hdus.len();
            let mut hdutype = 0;
            let mut status = 0;
            clear_messages();
            unsafe { sys::ffmahd(fptr, (i + 1) as c_int, &mut hdutype, &mut status) };
            if status != 0 {
                return Ok((hdus, status));
            }
            let e = self.describe_hdu(i, hdutype)?;
            hdus.push(e);
        }
    }

    /// Every HDU's data must be in the file (and there must be a primary header).
    fn check_declared_sizes(
        &self,
        hdus: &[HduEntry],
        end_status: c_int,
        size: &ActualSize,
    ) -> Result<(), FitsError> {
        let Some(last) = hdus.last() else {
            return Err(FitsError::Open {
                path: self.path.clone(),
                msg: format!(
                    "{} (the primary header cannot be read)",
                    cfitsio_error(end_status)
                ),
            });
        };
        let declared = last.data_end();
        // every HDU's data must be in the file
        if let Some(e) = hdus.iter().find(|e| e.data_end() > size.bytes) {
            return Err(self.damaged(format!(
                "file is truncated: its headers declare {} bytes, {} ({} declares {} data bytes, {}, from byte {} to {}); nothing was read (no table can hold more bytes than the file: it is cut short, or that header's size is damaged)",
                thousands(declared),
                size.describe(),
                e.label(),
                thousands(e.data_bytes),
                e.geometry(),
                thousands(e.data_start),
                thousands(e.data_end()),
            )));
        }
        Ok(())
    }

    /// What ended the scan: the end of the file, trailing fill, a cut header or a damaged one.
    fn check_end_of_scan(
        &mut self,
        hdus: Vec<HduEntry>,
        end_status: c_int,
        size: &ActualSize,
    ) -> Result<(), FitsError> {
        let next = hdus.len();
        let start = hdus.last().expect("checked: a primary header").data_end();
        let prev = hdus.last().expect("not empty").clone();
        let after = |p: &HduEntry| {
            format!(
                "after {}, which declares {} data bytes ({})",
                p.label(),
                thousands(p.data_bytes),
                p.geometry()
            )
        };
        if size.bytes <= start {
            if end_status == END_OF_FILE {
                self.hdus = hdus;
                self.fill_checked = vec![false; next];
                return Ok(());
            }
            return Err(self.damaged(format!(
                "HDU {next} cannot be read: {}",
                cfitsio_error(end_status)
            )));
        }
        let tail = size.bytes - start;
        let mut block = vec![0u8; BLOCK.min(tail) as usize];
        let have_block = if !size.compressed {
            read_bytes_at(&self.path, start, &mut block).is_ok()
        } else {
            // a complete block (an incomplete one cannot be read reliably after a failed read)
            tail >= BLOCK && self.raw_read(start, &mut block).is_ok()
        };
        let peeked = if have_block {
            peek_extname(&block)
        } else {
            None
        };
        let next_label = match &peeked {
            Some(n) => format!("HDU {next} (EXTNAME '{n}')"),
            None => format!("HDU {next}"),
        };
        let first = have_block.then(|| block[0]);
        match first {
            // cfitsio's rule: bytes after the last HDU that start with NUL or a newline are fill
            Some(0) | Some(10) => {
                self.hdus = hdus;
                self.fill_checked = vec![false; next];
                Ok(())
            }
            Some(b'X') | None if matches!(end_status, END_OF_FILE | READ_ERROR | NO_END) => Err(self.damaged(format!(
                "file is truncated: it ends {} bytes into the header of {next_label}, which starts at byte {} ({}); {}",
                thousands(tail),
                thousands(start),
                after(&prev),
                size.describe()
            ))),
            _ => Err(self.damaged(format!(
                "{next_label}, at byte {} {}, cannot be read: {}: either its header is damaged or the data size declared before it is wrong",
                thousands(start),
                after(&prev),
                cfitsio_error(end_status)
            ))),
        }
    }

    /// Names of all HDUs (EXTNAME, or `"PRIMARY"`/`"HDU<n>"`, n the 0-based HDU index), as
    /// found when the file was opened (every HDU was readable, or the open failed).
    pub fn hdu_names(&mut self) -> Vec<String> {
        self.hdus.iter().map(|h| h.name.clone()).collect()
    }

    /// The HDUs found when the file was opened.
    pub fn hdus(&self) -> &[HduEntry] {
        &self.hdus
    }

    /// Move to the HDU whose EXTNAME is `name` (`"PRIMARY"` for the primary HDU), matched
    /// case-insensitively; `expected` says what it should hold, for the error message. Two HDUs
    /// of that name are an error (which one is meant?).
    pub fn select(&mut self, name: &str, expected: &str) -> Result<(), FitsError> {
        let matches: Vec<usize> = if name == "PRIMARY" {
            vec![0]
        } else {
            self.hdus
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case(name.trim()))
                .map(|h| h.index)
                .collect()
        };
        match matches.as_slice() {
            [] => Err(FitsError::MissingHdu {
                path: self.path.clone(),
                hdu: name.into(),
                expected: expected.into(),
            }),
            [i] => self.select_index(*i),
            many => Err(self.damaged(format!(
                "{} HDUs are named {name} (HDUs {}): cannot tell which holds {expected} (a damaged EXTNAME?)",
                many.len(),
                many.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// Move to HDU `index` (0-based), checking the fill bytes after its data.
    pub fn select_index(&mut self, index: usize) -> Result<(), FitsError> {
        let Some(e) = self.hdus.get(index).cloned() else {
            return Err(FitsError::MissingHdu {
                path: self.path.clone(),
                hdu: format!("number {index}"),
                expected: format!("one of the {} HDUs", self.hdus.len()),
            });
        };
        self.current = Some(index);
        self.hdu_name = e.name.clone();
        self.make_current()?;
        if !self.fill_checked[index] {
            self.check_fill(&e)?;
            self.fill_checked[index] = true;
        }
        Ok(())
    }

    /// The fill after the data of an HDU must be zero (blank is tolerated): otherwise the
    /// header's sizes do not describe the data (e.g. an NAXIS2 lowered by a damaged digit).
    fn check_fill(&mut self, e: &HduEntry) -> Result<(), FitsError> {
        let from = e.data_start + e.data_bytes;
        let to = e.data_end();
        if to <= from {
            return Ok(());
        }
        let mut buf = vec![0u8; (to - from) as usize];
        if let Err(s) = self.raw_read(from, &mut buf) {
            return Err(self.damaged(format!(
                "{}: the fill after its data (bytes {}–{}) cannot be read: {}",
                e.label(),
                thousands(from),
                thousands(to),
                cfitsio_error(s)
            )));
        }
        if let Some(k) = buf.iter().position(|&b| b != 0 && b != b' ') {
            return Err(self.damaged(format!(
                "{}: byte {} after the {} data bytes it declares ({}) is not fill (0x{:02x}, expected zero): its header does not describe its data (a damaged NAXIS2, NAXIS1 or PCOUNT?)",
                e.label(),
                thousands(from + k as u64),
                thousands(e.data_bytes),
                e.geometry(),
                buf[k]
            )));
        }
        Ok(())
    }

    /// Current HDU name.
    pub fn hdu_name(&self) -> &str {
        &self.hdu_name
    }

    fn current_entry(&mut self) -> Result<HduEntry, FitsError> {
        if self.current.is_none() {
            self.select_index(0)?;
        }
        Ok(self.hdus[self.current.expect("selected above")].clone())
    }

    /// Make the selected HDU cfitsio's current one.
    fn make_current(&mut self) -> Result<(), FitsError> {
        let index = match self.current {
            Some(i) => i,
            None => return self.select_index(0),
        };
        let fptr = self.raw_ptr();
        let mut status = 0;
        unsafe {
            sys::ffmahd(
                fptr,
                (index + 1) as c_int,
                std::ptr::null_mut(),
                &mut status,
            )
        };
        if status != 0 {
            return Err(self.io_status("moving to the HDU", status));
        }
        Ok(())
    }

    /// The raw value text of a keyword of the current cfitsio HDU (None: absent).
    fn raw_key(&mut self, key: &str) -> Result<Option<String>, c_int> {
        let fptr = self.raw_ptr();
        let mut value = [0 as c_char; 81];
        let mut status = 0;
        let ckey = CString::new(key).expect("keyword names have no NUL");
        unsafe {
            sys::ffgkey(
                fptr,
                ckey.as_ptr(),
                value.as_mut_ptr(),
                std::ptr::null_mut(),
                &mut status,
            );
        }
        match status {
            0 => Ok(Some(c_buf_to_string(&value))),
            KEY_NO_EXIST => {
                clear_messages();
                Ok(None)
            }
            s => Err(s),
        }
    }

    /// The raw value of a keyword of the current HDU, or None if absent; a card cfitsio cannot
    /// parse is an error.
    pub fn key(&mut self, key: &str) -> Result<Option<HeaderValue>, FitsError> {
        if self.current.is_none() {
            self.select_index(0)?;
        }
        self.make_current()?;
        match self.raw_key(key) {
            Ok(v) => Ok(v.map(|raw| parse_card_value(raw.trim()))),
            Err(s) => Err(self.io_status(&format!("reading keyword {key}"), s)),
        }
    }

    fn missing(&self, key: &str, expected: &str) -> FitsError {
        FitsError::MissingKey {
            path: self.path.clone(),
            hdu: self.hdu_name.clone(),
            key: key.into(),
            expected: expected.into(),
        }
    }

    pub(crate) fn bad_key(&self, key: &str, found: &HeaderValue, expected: &str) -> FitsError {
        FitsError::BadKey {
            path: self.path.clone(),
            hdu: self.hdu_name.clone(),
            key: key.into(),
            found: found.to_string(),
            expected: expected.into(),
        }
    }

    fn content(&self, what: String) -> FitsError {
        FitsError::Content {
            path: self.path.clone(),
            hdu: self.hdu_name.clone(),
            what,
        }
    }

    /// A numeric keyword; a quoted string (even '0.0') is an error.
    pub fn num(&mut self, key: &str, expected: &str) -> Result<Option<f64>, FitsError> {
        match self.key(key)? {
            None => Ok(None),
            Some(HeaderValue::Num(x)) if x.is_finite() => Ok(Some(x)),
            Some(v) => Err(self.bad_key(key, &v, expected)),
        }
    }

    /// A numeric keyword that must be present.
    pub fn num_req(&mut self, key: &str, expected: &str) -> Result<f64, FitsError> {
        self.num(key, expected)?
            .ok_or_else(|| self.missing(key, expected))
    }

    /// A string keyword (trimmed); numbers are accepted and formatted.
    pub fn string(&mut self, key: &str) -> Result<Option<String>, FitsError> {
        Ok(self.key(key)?.map(|v| match v {
            HeaderValue::Str(s) => s,
            HeaderValue::Num(x) => format!("{x}"),
            HeaderValue::Bool(b) => (if b { "T" } else { "F" }).into(),
        }))
    }

    /// A string keyword that must be present.
    pub fn string_req(&mut self, key: &str, expected: &str) -> Result<String, FitsError> {
        self.string(key)?.ok_or_else(|| self.missing(key, expected))
    }

    /// Rows and column names of the current table.
    pub fn table_info(&mut self) -> Result<(usize, Vec<String>), FitsError> {
        let e = self.current_entry()?;
        if e.kind == HduKind::Image {
            return Err(self.content("is not a binary table".into()));
        }
        self.make_current()?;
        let fptr = self.raw_ptr();
        let mut ncols = 0;
        let mut status = 0;
        unsafe { sys::ffgncl(fptr, &mut ncols, &mut status) };
        if status != 0 {
            return Err(self.io_status("counting the columns", status));
        }
        let mut names = Vec::with_capacity(ncols.max(0) as usize);
        for n in 1..=ncols {
            let name = match self.key(&format!("TTYPE{n}"))? {
                Some(HeaderValue::Str(s)) => s.trim().to_string(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            names.push(name);
        }
        Ok((e.rows as usize, names))
    }

    /// The actual name and 1-based number of a column, matched case-insensitively.
    pub fn column(&mut self, name: &str) -> Result<Option<(String, usize)>, FitsError> {
        let (_, cols) = self.table_info()?;
        Ok(cols
            .iter()
            .enumerate()
            .find(|(_, c)| c.eq_ignore_ascii_case(name))
            .map(|(i, c)| (c.clone(), i + 1)))
    }

    /// Like [`Fits::column`] but an error naming what was expected when absent.
    pub fn column_req(&mut self, name: &str, expected: &str) -> Result<(String, usize), FitsError> {
        match self.column(name)? {
            Some(c) => Ok(c),
            None => {
                let (_, cols) = self.table_info()?;
                Err(FitsError::MissingColumn {
                    path: self.path.clone(),
                    hdu: self.hdu_name.clone(),
                    column: name.into(),
                    expected: expected.into(),
                    available: cols.join(", "),
                })
            }
        }
    }

    /// cfitsio's type code and repeat count of a column (1-based number).
    pub(crate) fn column_type(&mut self, colnum: usize) -> Result<(c_int, i64), FitsError> {
        self.make_current()?;
        let fptr = self.raw_ptr();
        let (mut typecode, mut repeat, mut width) = (0, 0, 0);
        let mut status = 0;
        unsafe {
            sys::ffeqtyll(
                fptr,
                colnum as c_int,
                &mut typecode,
                &mut repeat,
                &mut width,
                &mut status,
            )
        };
        if status != 0 {
            return Err(self.io_status(&format!("reading the type of column {colnum}"), status));
        }
        Ok((typecode, repeat))
    }

    /// A column that must hold one number per row: vector, string, logical, bit, complex and
    /// variable-length columns are errors naming the column and `expected`.
    pub fn require_scalar_number(&mut self, column: &str, expected: &str) -> Result<(), FitsError> {
        let colnum = self.colnum(column)?;
        let (typecode, repeat) = self.column_type(colnum)?;
        let kind = match typecode.abs() {
            1 => Some("a bit (X)"),
            14 => Some("a logical (L)"),
            16 => Some("a string (A)"),
            83 | 163 => Some("a complex (C/M)"),
            _ => None,
        };
        let what = if typecode < 0 {
            Some("a variable-length array column".to_string())
        } else if let Some(k) = kind {
            Some(format!("{k} column"))
        } else if repeat != 1 {
            Some(format!("a {repeat}-element vector column"))
        } else {
            None
        };
        match what {
            Some(w) => Err(self.content(format!(
                "{column} is {w}: expected a scalar number per row ({expected})"
            ))),
            None => Ok(()),
        }
    }

    fn colnum(&mut self, column: &str) -> Result<usize, FitsError> {
        match self.column(column)? {
            Some((_, n)) => Ok(n),
            None => Err(self.content(format!("no column {column}"))),
        }
    }

    /// Read rows `start..end` (0-based) of a scalar column (by its actual name), converted by
    /// cfitsio.
    pub fn read_range<T: ColumnValue>(
        &mut self,
        column: &str,
        start: usize,
        end: usize,
    ) -> Result<Vec<T>, FitsError> {
        let e = self.current_entry()?;
        if end < start || end as u64 > e.rows {
            return Err(self.content(format!(
                "rows {}..{} of column {column} requested, the table has {} rows",
                start + 1,
                end,
                e.rows
            )));
        }
        let colnum = self.colnum(column)?;
        let (_, repeat) = self.column_type(colnum)?;
        if repeat != 1 {
            return Err(self.content(format!(
                "{column} is a {repeat}-element vector column: expected a scalar"
            )));
        }
        let n = end - start;
        let mut out = vec![T::default(); n];
        if n == 0 {
            return Ok(out);
        }
        self.make_current()?;
        let fptr = self.raw_ptr();
        let mut anynul = 0;
        let mut status = 0;
        unsafe {
            sys::ffgcv(
                fptr,
                T::DATATYPE,
                colnum as c_int,
                (start + 1) as sys::LONGLONG,
                1,
                n as sys::LONGLONG,
                std::ptr::null_mut(),
                out.as_mut_ptr() as *mut c_void,
                &mut anynul,
                &mut status,
            );
        }
        if status != 0 {
            return Err(self.io_status(
                &format!("reading column {column} rows {}–{end}", start + 1),
                status,
            ));
        }
        Ok(out)
    }

    /// Read a whole scalar column.
    pub fn read_all<T: ColumnValue>(&mut self, column: &str) -> Result<Vec<T>, FitsError> {
        let (n, _) = self.table_info()?;
        self.read_range(column, 0, n)
    }

    /// Read a whole string (`wA`) column, trailing blanks removed.
    pub fn read_strings(&mut self, column: &str) -> Result<Vec<String>, FitsError> {
        let (n, _) = self.table_info()?;
        let colnum = self.colnum(column)?;
        let (typecode, width) = self.column_type(colnum)?;
        if typecode != 16 {
            return Err(self.content(format!("{column} is not a string (A) column")));
        }
        let width = width.max(1) as usize;
        let mut bufs: Vec<Vec<u8>> = vec![vec![0u8; width + 1]; n];
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut ptrs: Vec<*mut c_char> = bufs
            .iter_mut()
            .map(|b| b.as_mut_ptr() as *mut c_char)
            .collect();
        self.make_current()?;
        let fptr = self.raw_ptr();
        let (mut anynul, mut status) = (0, 0);
        let mut nul = [0 as c_char; 1];
        unsafe {
            sys::ffgcvs(
                fptr,
                colnum as c_int,
                1,
                1,
                n as sys::LONGLONG,
                nul.as_mut_ptr(),
                ptrs.as_mut_ptr(),
                &mut anynul,
                &mut status,
            );
        }
        if status != 0 {
            return Err(self.io_status(&format!("reading column {column}"), status));
        }
        Ok(bufs
            .iter()
            .map(|b| {
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                String::from_utf8_lossy(&b[..end]).trim_end().to_string()
            })
            .collect())
    }

    /// Read a whole logical (`L`) column (undefined values read as false).
    pub fn read_bools(&mut self, column: &str) -> Result<Vec<bool>, FitsError> {
        let (n, _) = self.table_info()?;
        let colnum = self.colnum(column)?;
        let (typecode, _) = self.column_type(colnum)?;
        if typecode != 14 {
            return Err(self.content(format!("{column} is not a logical (L) column")));
        }
        let mut out = vec![0 as c_char; n];
        if n == 0 {
            return Ok(Vec::new());
        }
        self.make_current()?;
        let fptr = self.raw_ptr();
        let (mut anynul, mut status) = (0, 0);
        unsafe {
            sys::ffgcvl(
                fptr,
                colnum as c_int,
                1,
                1,
                n as sys::LONGLONG,
                0,
                out.as_mut_ptr(),
                &mut anynul,
                &mut status,
            );
        }
        if status != 0 {
            return Err(self.io_status(&format!("reading column {column}"), status));
        }
        Ok(out.iter().map(|&c| c != 0).collect())
    }

    /// The last row of the current binary table must not be all zero bytes: that is FITS fill,
    /// read as a row when NAXIS2 counts more rows than were written.
    pub fn check_last_row_not_fill(&mut self) -> Result<(), FitsError> {
        let e = self.current_entry()?;
        if e.kind != HduKind::BinaryTable || e.rows == 0 || e.row_bytes == 0 {
            return Ok(());
        }
        let mut buf = vec![0u8; (e.row_bytes as usize).min(MAX_RAW)];
        let pos = e.data_start + (e.rows - 1) * e.row_bytes;
        if let Err(s) = self.raw_read(pos, &mut buf) {
            return Err(self.io_status(&format!("reading row {}", e.rows), s));
        }
        if buf.iter().all(|&b| b == 0) {
            return Err(self.content(format!(
                "its last row ({}) is all zero bytes, the FITS fill after a table: NAXIS2 = {} counts rows that are not in the file (a damaged header?)",
                thousands(e.rows),
                thousands(e.rows)
            )));
        }
        Ok(())
    }

    fn io_status(&self, during: &str, status: c_int) -> FitsError {
        FitsError::Io {
            path: self.path.clone(),
            during: format!("{during} in HDU {}", self.hdu_name),
            msg: cfitsio_error(status),
        }
    }
}

impl HduEntry {
    /// Where the HDU (padded data included) ends.
    pub fn data_end(&self) -> u64 {
        self.data_start.saturating_add(padded(self.data_bytes))
    }

    fn label(&self) -> String {
        format!("HDU {} ({})", self.index, self.name)
    }

    fn geometry(&self) -> String {
        match self.kind {
            HduKind::Image => "an image".into(),
            _ => {
                let mut s = format!(
                    "NAXIS2 = {} row{} × NAXIS1 = {} bytes",
                    thousands(self.rows),
                    if self.rows == 1 { "" } else { "s" },
                    thousands(self.row_bytes)
                );
                if self.pcount > 0 {
                    s.push_str(&format!(" + PCOUNT = {}", thousands(self.pcount)));
                }
                s
            }
        }
    }
}

fn read_bytes_at(path: &Path, pos: u64, buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(pos))?;
    f.read_exact(buf)
}

/// The EXTNAME of a header block cfitsio could not read, for the message (best effort).
fn peek_extname(block: &[u8]) -> Option<String> {
    block.chunks_exact(80).find_map(|card| {
        let card = std::str::from_utf8(card).ok()?;
        let v = card
            .strip_prefix("EXTNAME = ")?
            .trim_start()
            .strip_prefix('\'')?;
        let v = &v[..v.find('\'')?];
        let v = v.trim();
        (!v.is_empty() && v.chars().all(|c| c.is_ascii_graphic() || c == ' '))
            .then(|| v.to_string())
    })
}

/// The Rust types a column can be read as (cfitsio converts).
pub trait ColumnValue: Copy + Default {
    /// cfitsio's datatype code.
    const DATATYPE: c_int;
}

impl ColumnValue for f64 {
    const DATATYPE: c_int = 82; // TDOUBLE
}
impl ColumnValue for f32 {
    const DATATYPE: c_int = 42; // TFLOAT
}
impl ColumnValue for i64 {
    const DATATYPE: c_int = 81; // TLONGLONG
}
impl ColumnValue for i32 {
    const DATATYPE: c_int = 31; // TINT
}
impl ColumnValue for i16 {
    const DATATYPE: c_int = 21; // TSHORT
}
impl ColumnValue for u8 {
    const DATATYPE: c_int = 11; // TBYTE
}

fn parse_card_value(raw: &str) -> HeaderValue {
    if let Some(rest) = raw.strip_prefix('\'') {
        let inner = rest.strip_suffix('\'').unwrap_or(rest);
        return HeaderValue::Str(inner.replace("''", "'").trim_end().to_string());
    }
    match raw {
        "T" => return HeaderValue::Bool(true),
        "F" => return HeaderValue::Bool(false),
        _ => {}
    }
    match raw.replace(['D', 'd'], "E").parse::<f64>() {
        Ok(x) => HeaderValue::Num(x),
        Err(_) => HeaderValue::Str(raw.to_string()),
    }
}

/// Write a file atomically: `write` fills a temporary path in the same directory, which is
/// renamed onto `dest` only if it succeeded. Nothing half-written is ever left at `dest`.
pub fn write_atomic<E>(dest: &Path, write: impl FnOnce(&Path) -> Result<(), E>) -> Result<(), E>
where
    E: From<std::io::Error>,
{
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    match write(&tmp) {
        Ok(()) => {
            std::fs::rename(&tmp, dest)?;
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_values_keep_their_type() {
        assert_eq!(
            parse_card_value("'0.0     '"),
            HeaderValue::Str("0.0".into())
        );
        assert_eq!(parse_card_value("1.5E+02"), HeaderValue::Num(150.0));
        assert_eq!(parse_card_value("1.5D+02"), HeaderValue::Num(150.0));
        assert_eq!(parse_card_value("T"), HeaderValue::Bool(true));
        assert_eq!(parse_card_value("'it''s'"), HeaderValue::Str("it's".into()));
        assert_eq!(parse_card_value("25921"), HeaderValue::Num(25921.0));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_454_400), "1,454,400");
    }

    #[test]
    fn cfitsio_errors_read_as_text() {
        let s = cfitsio_error(108);
        assert!(
            s.starts_with("cfitsio status 108: error reading from FITS file"),
            "{s}"
        );
    }
}
