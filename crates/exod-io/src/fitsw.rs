//! A small FITS writer over cfitsio's C API, for exod's own outputs: files are created with
//! `fits_create_diskfile` (the path is never parsed for cfitsio's extended syntax, so `[`/`]` in
//! a folder name are harmless), every keyword gets a comment, numbers are written in the
//! shortest form that reads back to the same `f64`, strings longer than a card use the
//! long-string (`CONTINUE`) convention, logical columns are `L`, and each HDU ends with
//! `CHECKSUM`/`DATASUM` placeholders that [`stamp_checksums`] fills once the file is closed.
//!
//! cfitsio's own `ffpcks` is not used: it writes the wall-clock time into the comments of
//! `CHECKSUM` and `DATASUM`, which would make two runs on the same input differ. The comments
//! written here carry the file's `DATE` instead (see [`crate::context`]), and the checksums are
//! computed with the same algorithm (the 32-bit 1's complement sum of the FITS checksum
//! convention, ASCII-encoded as cfitsio's `ffesum` does; tested against cfitsio).

use std::ffi::CString;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::raw::{c_char, c_int, c_long};
use std::path::{Path, PathBuf};

use fitsio::sys as ffi;

use crate::context::KeyValue;

/// Why a FITS output could not be written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FitsWriteError(pub String);

impl std::fmt::Display for FitsWriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for FitsWriteError {
    fn from(e: std::io::Error) -> Self {
        FitsWriteError(e.to_string())
    }
}

/// One column of a binary table: name, TFORM (`1D`, `1J`, `1L`, `24A`, ...), unit, description.
pub(crate) struct ColSpec {
    pub name: String,
    pub tform: String,
    pub unit: String,
    pub comment: String,
}

/// Printable ASCII only (FITS headers allow 0x20–0x7E): common non-ASCII symbols of exod's
/// texts are spelled out, anything else becomes `?`.
pub(crate) fn ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' '..='~' => out.push(c),
            'σ' => out.push_str("sigma"),
            'μ' => out.push_str("mu"),
            '″' => out.push_str("arcsec"),
            '′' => out.push_str("arcmin"),
            '–' | '—' | '−' => out.push('-'),
            '×' => out.push('x'),
            '≥' => out.push_str(">="),
            '≤' => out.push_str("<="),
            '±' => out.push_str("+/-"),
            '°' => out.push_str("deg"),
            '\t' | '\n' | '\r' => out.push(' '),
            _ => out.push('?'),
        }
    }
    out
}

/// A FITS real: the shortest decimal that reads back to `x` (`50814.0`, `700000500.0`,
/// `1.38888888888889E-5`), or None for NaN and infinities (written as undefined values).
pub(crate) fn fits_real(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    let a = x.abs();
    let s = if a == 0.0 || (1e-4..1e15).contains(&a) {
        let s = format!("{x}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // `{:E}` is the shortest round-trip mantissa with an upper-case exponent: 1.5E-7
        let s = format!("{x:E}");
        match s.split_once('E') {
            Some((m, e)) if !m.contains('.') => format!("{m}.0E{e}"),
            _ => s,
        }
    };
    Some(s)
}

/// An open FITS file being written. cfitsio's status is carried along: after the first failure
/// every later call does nothing (cfitsio's convention), and [`FitsWriter::close`] reports the
/// first failed operation.
pub(crate) struct FitsWriter {
    fptr: *mut ffi::fitsfile,
    path: PathBuf,
    status: c_int,
    failed_at: Option<String>,
    long_strings: bool,
}

impl Drop for FitsWriter {
    fn drop(&mut self) {
        if !self.fptr.is_null() {
            let mut s = 0;
            unsafe { ffi::ffclos(self.fptr, &mut s) };
            self.fptr = std::ptr::null_mut();
        }
    }
}

fn cstr(s: &str) -> CString {
    CString::new(s.replace('\0', "?")).expect("NULs replaced")
}

impl FitsWriter {
    /// Create a new file (it must not exist).
    pub fn create(path: &Path) -> Result<FitsWriter, FitsWriteError> {
        let name = cstr(&path.to_string_lossy());
        let mut fptr = std::ptr::null_mut();
        let mut status = 0;
        unsafe { ffi::ffdkinit(&mut fptr, name.as_ptr(), &mut status) };
        if status != 0 || fptr.is_null() {
            return Err(FitsWriteError(format!(
                "cannot create the file: {}",
                status_text(status)
            )));
        }
        Ok(FitsWriter {
            fptr,
            path: path.to_path_buf(),
            status: 0,
            failed_at: None,
            long_strings: false,
        })
    }

    fn track(&mut self, what: impl FnOnce() -> String) {
        if self.status != 0 && self.failed_at.is_none() {
            self.failed_at = Some(what());
        }
    }

    /// A primary HDU without data (`NAXIS = 0`).
    pub fn empty_primary(&mut self) {
        unsafe { ffi::ffcrim(self.fptr, 8, 0, std::ptr::null_mut(), &mut self.status) };
        self.long_strings = false;
        self.track(|| "creating the primary HDU".into());
    }

    /// A primary image of 32-bit integers, `nx` × `ny`, row-major from the bottom row
    /// (`data[iy · nx + ix]`, FITS order).
    pub fn image_i32(&mut self, nx: usize, ny: usize, data: &[i32]) {
        assert_eq!(data.len(), nx * ny, "image size");
        let mut naxes = [nx as c_long, ny as c_long];
        unsafe {
            ffi::ffcrim(self.fptr, 32, 2, naxes.as_mut_ptr(), &mut self.status);
        }
        self.long_strings = false;
        self.track(|| "creating the image".into());
        if !data.is_empty() {
            let mut buf = data.to_vec();
            unsafe {
                ffi::ffpprk(
                    self.fptr,
                    0,
                    1,
                    buf.len() as i64,
                    buf.as_mut_ptr(),
                    &mut self.status,
                )
            };
            self.track(|| "writing the image".into());
        }
    }

    /// A binary table extension of `nrows` rows (more may be written later), with units and
    /// `TCOMMn` descriptions.
    pub fn table(&mut self, extname: &str, cols: &[ColSpec], nrows: usize) {
        let names: Vec<CString> = cols.iter().map(|c| cstr(&c.name)).collect();
        let forms: Vec<CString> = cols.iter().map(|c| cstr(&c.tform)).collect();
        let units: Vec<CString> = cols.iter().map(|c| cstr(&c.unit)).collect();
        let mut pn: Vec<*mut c_char> = names.iter().map(|c| c.as_ptr() as *mut c_char).collect();
        let mut pf: Vec<*mut c_char> = forms.iter().map(|c| c.as_ptr() as *mut c_char).collect();
        let mut pu: Vec<*mut c_char> = units.iter().map(|c| c.as_ptr() as *mut c_char).collect();
        let ext = cstr(&ascii(extname));
        unsafe {
            ffi::ffcrtb(
                self.fptr,
                2, // BINARY_TBL
                nrows as i64,
                cols.len() as c_int,
                pn.as_mut_ptr(),
                pf.as_mut_ptr(),
                pu.as_mut_ptr(),
                ext.as_ptr(),
                &mut self.status,
            )
        };
        self.long_strings = false;
        self.track(|| format!("creating the table {extname}"));
        for (k, c) in cols.iter().enumerate() {
            if !c.comment.is_empty() {
                self.key(&format!("TCOMM{}", k + 1), c.comment.as_str(), "");
            }
        }
    }

    /// Write a keyword at the end of the current header. Strings too long for one card are
    /// continued (`CONTINUE`, with `LONGSTRN` announcing the convention once per HDU).
    pub fn key(&mut self, key: &str, value: impl Into<KeyValue>, comment: &str) {
        let value = value.into();
        let comment = ascii(comment);
        match &value {
            KeyValue::Str(s) => {
                let s = ascii(s);
                if s.len() > 68 && !self.long_strings {
                    unsafe { ffi::ffplsw(self.fptr, &mut self.status) };
                    self.long_strings = true;
                }
                let (k, v, c) = (cstr(key), cstr(&s), cstr(&comment));
                unsafe {
                    ffi::ffpkls(
                        self.fptr,
                        k.as_ptr(),
                        v.as_ptr(),
                        c.as_ptr(),
                        &mut self.status,
                    )
                };
            }
            KeyValue::Real(x) => match fits_real(*x) {
                Some(v) => self.card(key, &v, &comment),
                None => {
                    let (k, c) = (cstr(key), cstr(&comment));
                    unsafe { ffi::ffpkyu(self.fptr, k.as_ptr(), c.as_ptr(), &mut self.status) };
                }
            },
            KeyValue::Int(i) => self.card(key, &i.to_string(), &comment),
            KeyValue::Bool(b) => self.card(key, if *b { "T" } else { "F" }, &comment),
        }
        self.track(|| format!("writing the keyword {key}"));
    }

    /// A fixed-format card: value right-justified in columns 11–30, then ` / comment`.
    fn card(&mut self, key: &str, value: &str, comment: &str) {
        let mut card = format!("{key:<8}= {value:>20}");
        if !comment.is_empty() {
            card.push_str(" / ");
            card.push_str(comment);
        }
        card.truncate(80);
        let c = cstr(&card);
        unsafe { ffi::ffprec(self.fptr, c.as_ptr(), &mut self.status) };
    }

    /// `COMMENT` cards: the text split between words over as many cards as needed.
    pub fn comment(&mut self, text: &str) {
        let mut line = String::new();
        let mut lines = Vec::new();
        for word in ascii(text).split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > 70 {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
        for l in lines {
            let c = cstr(&l);
            unsafe { ffi::ffpcom(self.fptr, c.as_ptr(), &mut self.status) };
        }
        self.track(|| "writing a COMMENT".into());
    }

    /// Close the header of the current HDU with `CHECKSUM`/`DATASUM` placeholders, to be filled
    /// by [`stamp_checksums`]; their comments carry `date` (the file's DATE).
    pub fn checksum_placeholders(&mut self, date: &str) {
        let date = ascii(date);
        let cards = [
            format!("CHECKSUM= '0000000000000000'   / HDU checksum updated {date}"),
            format!("DATASUM = '0         '         / data unit checksum updated {date}"),
        ];
        for card in cards {
            let mut card = card;
            card.truncate(80);
            let c = cstr(&card);
            unsafe { ffi::ffprec(self.fptr, c.as_ptr(), &mut self.status) };
        }
        self.track(|| "writing CHECKSUM/DATASUM".into());
    }

    /// Write `v` into column `col` (1-based) from row `first_row` (0-based).
    pub fn col_f64(&mut self, col: usize, first_row: usize, v: &[f64]) {
        if v.is_empty() {
            return;
        }
        let mut buf = v.to_vec();
        unsafe {
            ffi::ffpcld(
                self.fptr,
                col as c_int,
                first_row as i64 + 1,
                1,
                buf.len() as i64,
                buf.as_mut_ptr(),
                &mut self.status,
            )
        };
        self.track(|| format!("writing column {col}"));
    }

    /// Integers into a `J` or `K` column.
    pub fn col_i64(&mut self, col: usize, first_row: usize, v: &[i64]) {
        if v.is_empty() {
            return;
        }
        let mut buf = v.to_vec();
        unsafe {
            ffi::ffpcljj(
                self.fptr,
                col as c_int,
                first_row as i64 + 1,
                1,
                buf.len() as i64,
                buf.as_mut_ptr(),
                &mut self.status,
            )
        };
        self.track(|| format!("writing column {col}"));
    }

    /// Booleans into an `L` column.
    pub fn col_bool(&mut self, col: usize, first_row: usize, v: &[bool]) {
        if v.is_empty() {
            return;
        }
        let mut buf: Vec<c_char> = v.iter().map(|&b| b as c_char).collect();
        unsafe {
            ffi::ffpcll(
                self.fptr,
                col as c_int,
                first_row as i64 + 1,
                1,
                buf.len() as i64,
                buf.as_mut_ptr(),
                &mut self.status,
            )
        };
        self.track(|| format!("writing column {col}"));
    }

    /// Strings into an `nA` column (ASCII only; longer strings are cut by cfitsio).
    pub fn col_str(&mut self, col: usize, first_row: usize, v: &[String]) {
        if v.is_empty() {
            return;
        }
        let owned: Vec<CString> = v.iter().map(|s| cstr(&ascii(s))).collect();
        let mut ptrs: Vec<*mut c_char> = owned.iter().map(|c| c.as_ptr() as *mut c_char).collect();
        unsafe {
            ffi::ffpcls(
                self.fptr,
                col as c_int,
                first_row as i64 + 1,
                1,
                ptrs.len() as i64,
                ptrs.as_mut_ptr(),
                &mut self.status,
            )
        };
        self.track(|| format!("writing column {col}"));
    }

    /// Close the file, then fill its checksums. Reports the first failed operation.
    pub fn close(mut self) -> Result<(), FitsWriteError> {
        let mut status = self.status;
        unsafe { ffi::ffclos(self.fptr, &mut status) };
        self.fptr = std::ptr::null_mut();
        if status != 0 {
            let at = self
                .failed_at
                .take()
                .unwrap_or_else(|| "closing the file".into());
            return Err(FitsWriteError(format!("{at}: {}", status_text(status))));
        }
        stamp_checksums(&self.path)?;
        Ok(())
    }
}

/// cfitsio's text for a status code.
pub(crate) fn status_text(status: c_int) -> String {
    let mut buf = [0 as c_char; 81];
    unsafe { ffi::ffgerr(status, buf.as_mut_ptr()) };
    let text: String = buf
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8 as char)
        .collect();
    format!("{text} (cfitsio status {status})")
}

const BLOCK: usize = 2880;

/// Add 32-bit big-endian words of `bytes` (a multiple of 4 long) to a 1's complement sum.
fn ones_sum(mut sum: u32, bytes: &[u8]) -> u32 {
    let mut acc = sum as u64;
    for w in bytes.chunks_exact(4) {
        acc += u32::from_be_bytes([w[0], w[1], w[2], w[3]]) as u64;
    }
    while acc >> 32 != 0 {
        acc = (acc & 0xFFFF_FFFF) + (acc >> 32);
    }
    sum = acc as u32;
    sum
}

/// The 1's complement sum of two partial sums.
fn ones_add(a: u32, b: u32) -> u32 {
    let s = a as u64 + b as u64;
    ((s & 0xFFFF_FFFF) + (s >> 32)) as u32
}

/// The 16-character ASCII encoding of the complement of `sum` (cfitsio's `ffesum` with
/// `complm = 1`): written into CHECKSUM, it makes the HDU's sum −0.
pub(crate) fn encode_checksum(sum: u32) -> [u8; 16] {
    const EXCLUDE: [u8; 13] = [
        0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60,
    ];
    let value = 0xFFFF_FFFFu32 - sum;
    let mut asc = [0u8; 16];
    for ii in 0..4 {
        let byte = ((value >> (24 - 8 * ii)) & 0xff) as i32;
        let quotient = byte / 4 + 0x30;
        let remainder = byte % 4;
        let mut ch = [quotient; 4];
        ch[0] += remainder;
        loop {
            let mut check = 0;
            for &ex in &EXCLUDE {
                for jj in (0..4).step_by(2) {
                    if ch[jj] as u8 == ex || ch[jj + 1] as u8 == ex {
                        ch[jj] += 1;
                        ch[jj + 1] -= 1;
                        check += 1;
                    }
                }
            }
            if check == 0 {
                break;
            }
        }
        for jj in 0..4 {
            asc[4 * jj + ii] = ch[jj] as u8;
        }
    }
    let mut out = [0u8; 16];
    for ii in 0..16 {
        out[ii] = asc[(ii + 15) % 16];
    }
    out
}

/// The integer value of a header card (`KEY     =                  123 / ...`).
fn card_int(card: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(card.get(10..)?).ok()?;
    let v = text.split('/').next()?.trim();
    v.parse::<i64>().ok()
}

/// Fill the CHECKSUM and DATASUM placeholders of every HDU of a closed FITS file, streaming
/// through it (memory does not grow with the file). HDUs without placeholders are left alone.
pub(crate) fn stamp_checksums(path: &Path) -> std::io::Result<()> {
    stamp_checksums_of(path, None)
}

/// [`stamp_checksums`] of the HDUs numbered (0-based) in `only` (all HDUs: None); the others
/// are read past, untouched.
pub(crate) fn stamp_checksums_of(path: &Path, only: Option<&[usize]>) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    let len = f.metadata()?.len();
    let bad = |what: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {what}", path.display()),
        )
    };
    let mut pos = 0u64;
    let mut first = true;
    let mut hdu = 0usize;
    let mut buf = vec![0u8; BLOCK * 64];
    while pos < len {
        // the header: blocks up to the one holding END
        f.seek(SeekFrom::Start(pos))?;
        let mut header = Vec::new();
        loop {
            let mut block = [0u8; BLOCK];
            f.read_exact(&mut block)
                .map_err(|_| bad("header without END"))?;
            header.extend_from_slice(&block);
            if block
                .chunks(80)
                .any(|c| c.starts_with(b"END") && c[3..].iter().all(|&b| b == b' '))
            {
                break;
            }
        }
        let key = |name: &str| -> Option<i64> {
            header
                .chunks(80)
                .find(|c| c.len() >= 8 && c[..8] == format!("{name:<8}").as_bytes()[..8])
                .and_then(card_int)
        };
        let bitpix = key("BITPIX").ok_or_else(|| bad("no BITPIX"))?;
        let naxis = key("NAXIS").ok_or_else(|| bad("no NAXIS"))?;
        let mut n: i64 = if naxis == 0 { 0 } else { 1 };
        for k in 1..=naxis {
            n *= key(&format!("NAXIS{k}")).ok_or_else(|| bad("no NAXISn"))?;
        }
        let (pcount, gcount) = if first {
            (0, 1)
        } else {
            (key("PCOUNT").unwrap_or(0), key("GCOUNT").unwrap_or(1))
        };
        let data_len = (bitpix.unsigned_abs() as i64 / 8) * gcount * (pcount + n);
        let data_len = data_len.max(0) as u64;
        let data_blocks = data_len.div_ceil(BLOCK as u64);
        let data_start = pos + header.len() as u64;
        // the data sum, streamed
        let mut dsum = 0u32;
        let mut left = (data_blocks * BLOCK as u64) as usize;
        while left > 0 {
            let take = left.min(buf.len());
            f.read_exact(&mut buf[..take])
                .map_err(|_| bad("data unit cut short"))?;
            dsum = ones_sum(dsum, &buf[..take]);
            left -= take;
        }
        let find = |h: &[u8], k: &[u8]| h.chunks(80).position(|c| c.starts_with(k));
        let wanted = only.is_none_or(|o| o.contains(&hdu));
        hdu += 1;
        if let (true, Some(ci), Some(di)) = (
            wanted,
            find(&header, b"CHECKSUM= '"),
            find(&header, b"DATASUM = '"),
        ) {
            let (ci, di) = (ci * 80, di * 80);
            let ds = format!("{dsum:<10}");
            header[di + 11..di + 21].copy_from_slice(ds.as_bytes());
            header[ci + 11..ci + 27].copy_from_slice(b"0000000000000000");
            let sum = ones_add(ones_sum(0, &header), dsum);
            header[ci + 11..ci + 27].copy_from_slice(&encode_checksum(sum));
            f.seek(SeekFrom::Start(pos))?;
            f.write_all(&header)?;
        }
        pos = data_start + data_blocks * BLOCK as u64;
        first = false;
    }
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_encoding_matches_cfitsio() {
        for sum in [
            0u32,
            1,
            0x1234_5678,
            0xFFFF_FFFE,
            0xFFFF_FFFF,
            0x8000_0000,
            0xdead_beef,
        ] {
            let mut c = [0 as c_char; 17];
            unsafe { ffi::ffesum(sum as std::os::raw::c_ulong, 1, c.as_mut_ptr()) };
            let want: Vec<u8> = c[..16].iter().map(|&x| x as u8).collect();
            assert_eq!(encode_checksum(sum).to_vec(), want, "sum {sum:#x}");
        }
    }

    #[test]
    fn ones_complement_sum_folds_carries() {
        assert_eq!(ones_sum(0, &[0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2]), 2);
        assert_eq!(ones_add(0xFFFF_FFFF, 1), 1);
    }

    #[test]
    fn reals_are_shortest_round_trip_with_a_point_or_exponent() {
        assert_eq!(fits_real(50814.0).unwrap(), "50814.0");
        assert_eq!(fits_real(200506085.074207).unwrap(), "200506085.074207");
        assert_eq!(
            fits_real(-1.38888888888889e-05).unwrap(),
            "-1.38888888888889E-5"
        );
        assert_eq!(fits_real(1e20).unwrap(), "1.0E20");
        assert_eq!(fits_real(0.0).unwrap(), "0.0");
        assert!(fits_real(f64::NAN).is_none());
        for x in [
            0.1,
            1.0 / 3.0,
            7.428703703703703e-4,
            123_456_789.123_456_79,
            1e-300,
        ] {
            assert_eq!(fits_real(x).unwrap().parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn texts_become_printable_ascii() {
        assert_eq!(
            ascii("3σ, μ, 20″, 0.2–12 keV"),
            "3sigma, mu, 20arcsec, 0.2-12 keV"
        );
        assert_eq!(ascii("é"), "?");
    }

    /// A file with a long string, a logical column and a NaN keyword: cfitsio verifies the
    /// checksums of every HDU and reads the long string back whole.
    #[test]
    fn written_files_verify_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t[1].fits");
        let long = "exod detect ".to_string() + &"a/very/long/path/".repeat(12);
        let mut w = FitsWriter::create(&p).unwrap();
        w.empty_primary();
        w.key("COMMAND", long.as_str(), "command line");
        w.key("SIGMA", 3.0, "threshold");
        w.key("UNDEF", f64::NAN, "not a number");
        w.checksum_placeholders("1970-01-01T00:00:00");
        let cols = [
            ColSpec {
                name: "A".into(),
                tform: "1D".into(),
                unit: "s".into(),
                comment: "a".into(),
            },
            ColSpec {
                name: "F".into(),
                tform: "1L".into(),
                unit: "".into(),
                comment: "flag".into(),
            },
        ];
        w.table("T", &cols, 3);
        w.col_f64(1, 0, &[1.0, 2.0, 3.0]);
        w.col_bool(2, 0, &[true, false, true]);
        w.checksum_placeholders("1970-01-01T00:00:00");
        w.close().unwrap();
        let name = CString::new(p.to_string_lossy().as_bytes()).unwrap();
        let mut fptr = std::ptr::null_mut();
        let mut status = 0;
        unsafe { ffi::ffdkopn(&mut fptr, name.as_ptr(), 0, &mut status) };
        assert_eq!(status, 0);
        for hdu in 1..=2 {
            let (mut d, mut h) = (0, 0);
            unsafe {
                ffi::ffmahd(fptr, hdu, std::ptr::null_mut(), &mut status);
                ffi::ffvcks(fptr, &mut d, &mut h, &mut status);
            }
            assert_eq!((status, d, h), (0, 1, 1), "HDU {hdu}");
        }
        unsafe { ffi::ffmahd(fptr, 1, std::ptr::null_mut(), &mut status) };
        let mut value: *mut c_char = std::ptr::null_mut();
        let key = CString::new("COMMAND").unwrap();
        unsafe {
            ffi::ffgkls(
                fptr,
                key.as_ptr(),
                &mut value,
                std::ptr::null_mut(),
                &mut status,
            )
        };
        let got = unsafe { std::ffi::CStr::from_ptr(value) }
            .to_string_lossy()
            .into_owned();
        unsafe {
            ffi::fffree(value as *mut _, &mut status);
            ffi::ffclos(fptr, &mut status);
        }
        assert_eq!(got, long);
        let text = std::fs::read(&p).unwrap();
        let header = String::from_utf8_lossy(&text[..2880]);
        assert!(header.contains("CHECKSUM= '") && header.contains("updated 1970-01-01T00:00:00"));
        assert!(
            header.contains("SIGMA   =                  3.0"),
            "{header}"
        );
    }
}
