//! Bad input gives one clear error naming the file and the problem — never a panic.
//! Every file here is derived from a real MOS list by cutting or editing it with cfitsio.

use std::path::{Path, PathBuf};

use exod_io::events::{read, ReadOptions};
use fitsio::FitsFile;

mod common;
use common::{real_mos, real_mos_bytes};

fn copy_to(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, real_mos_bytes()).unwrap();
    p
}

/// Update (not append) a string keyword of the EVENTS header.
fn set_events_key(p: &Path, key: &str, value: &str) {
    let mut f = FitsFile::edit(p).unwrap();
    f.hdu("EVENTS").unwrap();
    let (k, v) = (
        std::ffi::CString::new(key).unwrap(),
        std::ffi::CString::new(value).unwrap(),
    );
    let mut status = 0;
    unsafe {
        fitsio::sys::ffukys(
            f.as_raw(),
            k.as_ptr(),
            v.as_ptr(),
            std::ptr::null(),
            &mut status,
        )
    };
    assert_eq!(status, 0);
}

fn err_of(p: &Path) -> String {
    let e = match read(p, &ReadOptions::default()) {
        Ok(_) => panic!("{} must be rejected", p.display()),
        Err(e) => e,
    };
    let s = e.to_string();
    assert!(
        s.contains(&p.display().to_string()),
        "error does not name the file: {s}"
    );
    s
}

#[test]
fn truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("truncated.fits");
    let bytes = real_mos_bytes();
    for cut in [100, 2880 * 3 + 17, bytes.len() / 2] {
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let s = err_of(&p);
        assert!(!s.is_empty());
    }
}

#[test]
fn not_fits_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.fits");
    std::fs::write(&p, "this is not a FITS file\n").unwrap();
    assert!(err_of(&p).contains("cannot open as FITS"));
    let missing = dir.path().join("absent.fits");
    assert!(err_of(&missing).contains("no such file"));
}

#[test]
fn missing_column_keyword_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    // delete the PATTERN column
    let p = copy_to(dir.path(), "nopattern.fits");
    {
        let mut f = FitsFile::edit(&p).unwrap();
        let hdu = f.hdu("EVENTS").unwrap();
        hdu.delete_column(&mut f, "PATTERN").unwrap();
    }
    let s = err_of(&p);
    assert!(s.contains("PATTERN") && s.contains("no column"), "{s}");
    // timing mode
    let p = copy_to(dir.path(), "timing.fits");
    set_events_key(&p, "DATAMODE", "TIMING");
    let s = err_of(&p);
    assert!(s.contains("unsupported") && s.contains("TIMING"), "{s}");
    // small window
    let p = copy_to(dir.path(), "small.fits");
    set_events_key(&p, "SUBMODE", "PrimeSmallWindow");
    assert!(err_of(&p).contains("PrimeSmallWindow"));
    // no TELESCOP
    let p = copy_to(dir.path(), "notelescop.fits");
    {
        let mut f = FitsFile::edit(&p).unwrap();
        f.hdu("EVENTS").unwrap();
        let mut status = 0;
        let k = std::ffi::CString::new("TELESCOP").unwrap();
        unsafe { fitsio::sys::ffdkey(f.as_raw(), k.as_ptr(), &mut status) };
        assert_eq!(status, 0);
    }
    assert!(err_of(&p).contains("TELESCOP"));
}

#[test]
fn nan_time_inverted_gti_and_zero_events() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_to(dir.path(), "nan.fits");
    {
        let mut f = FitsFile::edit(&p).unwrap();
        let hdu = f.hdu("EVENTS").unwrap();
        hdu.write_col_range(&mut f, "TIME", &[f64::NAN], &(5..6))
            .unwrap();
    }
    let s = err_of(&p);
    assert!(s.contains("TIME of row 6"), "{s}");
    let p = copy_to(dir.path(), "gti.fits");
    {
        let mut f = FitsFile::edit(&p).unwrap();
        let hdu = f.hdu("STDGTI02").unwrap();
        hdu.write_col_range(&mut f, "START", &[3.0e8], &(0..1))
            .unwrap();
    }
    let s = err_of(&p);
    assert!(s.contains("STDGTI02") && s.contains("START"), "{s}");
    let p = copy_to(dir.path(), "empty.fits");
    {
        let mut f = FitsFile::edit(&p).unwrap();
        f.hdu("EVENTS").unwrap();
        let mut status = 0;
        unsafe { fitsio::sys::ffdrow(f.as_raw(), 1, 22124, &mut status) };
        assert_eq!(status, 0);
    }
    assert!(err_of(&p).contains("zero events"));
}

#[test]
fn wcs_falls_back_on_the_primary_refx_keywords() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_to(dir.path(), "norefcol.fits");
    {
        let mut f = FitsFile::edit(&p).unwrap();
        f.hdu("EVENTS").unwrap();
        for k in ["TCTYP6", "TCTYP7"] {
            let mut status = 0;
            let c = std::ffi::CString::new(k).unwrap();
            unsafe { fitsio::sys::ffdkey(f.as_raw(), c.as_ptr(), &mut status) };
            assert_eq!(status, 0);
        }
    }
    let a = read(&real_mos(), &ReadOptions::default()).unwrap();
    let b = read(&p, &ReadOptions::default()).unwrap();
    let (wa, wb) = (a.wcs().as_ref().unwrap(), b.wcs().as_ref().unwrap());
    assert_eq!(
        wa.params(),
        wb.params(),
        "REFX*/REFY* give the same WCS as the column keywords"
    );
}

#[test]
fn empty_gtis_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy_to(dir.path(), "nogti.fits");
    {
        let mut f = FitsFile::edit(&p).unwrap();
        for ccd in 1..=7 {
            let h = f.hdu(format!("STDGTI{ccd:02}").as_str()).unwrap();
            let n = match &h.info {
                fitsio::hdu::HduInfo::TableInfo { num_rows, .. } => *num_rows,
                _ => unreachable!(),
            };
            let mut status = 0;
            unsafe { fitsio::sys::ffdrow(f.as_raw(), 1, n as i64, &mut status) };
            assert_eq!(status, 0);
        }
    }
    assert!(err_of(&p).contains("no good time"));
}

mod fuzz {
    //! Random corruption of a real EPIC list: the reader returns Ok or an error naming the file,
    //! never panics. The stricter fuzzing (damage in later HDUs must give an error or exactly
    //! the undamaged events) and its named regression cases are in `damaged_fuzz.rs`.
    use super::*;
    use proptest::prelude::*;

    fn check(bytes: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fuzz.fits");
        std::fs::write(&p, bytes).unwrap();
        if let Err(e) = read(&p, &ReadOptions::default()) {
            assert!(
                e.to_string().contains("fuzz.fits"),
                "error does not name the file: {e}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 120, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn truncations(frac in 0.0f64..1.0) {
            let bytes = real_mos_bytes();
            check(&bytes[..(bytes.len() as f64 * frac) as usize]);
        }

        #[test]
        fn corrupted_bytes(edits in proptest::collection::vec((0usize..120_000, any::<u8>()), 1..40)) {
            let mut bytes = real_mos_bytes();
            for (pos, v) in edits {
                let i = pos % bytes.len();
                bytes[i] = v;
            }
            check(&bytes);
        }

        #[test]
        fn corrupted_header_digits(pos in 0usize..2880 * 40, digit in b'0'..=b'9') {
            // rewrite one digit of a header card value: numbers become other numbers
            let mut bytes = real_mos_bytes();
            let i = pos % bytes.len();
            if bytes[i].is_ascii_digit() {
                bytes[i] = digit;
            }
            check(&bytes);
        }
    }
}
