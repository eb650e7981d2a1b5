//! Damaged or inconsistent input (issue 10): every reproducer gives ONE clear error naming the
//! file, what is wrong and what was expected — never a panic, never events lost with success.
//! Every damaged file is made here from the shipped real lists (`testdata/real`), by cutting
//! bytes or rewriting header cards as damage does; nothing damaged is committed.

mod common;

use std::path::Path;

use common::*;
use exod_io::events::{read, ReadOptions};
use exod_io::fits::Fits;
use exod_io::srclist::read_sources;
use fitsio::FitsFile;

/// The error of reading `p`, which must be refused; checks it names the file once and carries
/// no Rust Debug text.
fn err_of(p: &Path) -> String {
    let s = match read(p, &ReadOptions::default()) {
        Ok(e) => panic!(
            "{} must be rejected, but {} events were read",
            p.display(),
            e.len()
        ),
        Err(e) => {
            // one message: no source() chain that a `{:#}` printer would repeat
            assert!(std::error::Error::source(&e).is_none(), "{e}");
            e.to_string()
        }
    };
    assert_clean(&s, p);
    s
}

/// One message: the file named exactly once, no `FitsError { … }`/`IndexError` Debug text.
fn assert_clean(s: &str, p: &Path) {
    let name = p.display().to_string();
    assert_eq!(
        s.matches(&name).count(),
        1,
        "the file must be named once: {s}"
    );
    for debug in [
        "FitsError {",
        "IndexError",
        "Error {",
        "status:",
        "Fits error",
        "Some(",
        "Error: ",
    ] {
        assert!(!s.contains(debug), "Rust Debug text {debug:?} in: {s}");
    }
}

fn events_of(p: &Path) -> exod_core::exposure::Exposure {
    read(p, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn gti_exposures(e: &exod_core::exposure::Exposure) -> Vec<(u8, f64)> {
    e.gti().iter().map(|(c, g)| (*c, g.exposure())).collect()
}

// ---------------------------------------------------------------- 1. the HDU scan, truncation

#[test]
fn a_truncated_list_is_said_to_be_truncated_with_the_declared_and_actual_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let b = real_mos_bytes();
    assert_eq!(b.len(), 1_454_400);
    // cut inside the EVENTS data: plain, and a complete gzip of the cut file
    let plain = write(dir.path(), "cut.fits", &b[..700_000]);
    let s = err_of(&plain);
    assert!(
        s.contains("file is truncated: its headers declare 789,120 bytes, the file has 700,000"),
        "{s}"
    );
    assert!(
        s.contains("HDU 1 (EVENTS)") && s.contains("22,124 rows"),
        "{s}"
    );
    let gz = write(dir.path(), "cut.fits.gz", &gzip(&b[..700_000]));
    let s = err_of(&gz);
    assert!(
        s.contains("file is truncated: its headers declare 789,120 bytes, the file has 700,000 once decompressed"),
        "{s}"
    );
    // cut inside the data of the last HDU: all 32 headers are there
    let s = err_of(&write(dir.path(), "cutlast.fits", &b[..b.len() - 1000]));
    assert!(
        s.contains("its headers declare 1,454,400 bytes, the file has 1,453,400")
            && s.contains("HDU 31 (GTI00606)"),
        "{s}"
    );
    // cut inside a header
    let l = layout(&b);
    let g5 = hdu(&l, "STDGTI05");
    for (name, bytes) in [
        ("cuthdr.fits", b[..g5.header_start + 1000].to_vec()),
        ("cuthdr.FTZ", gzip(&b[..g5.header_start + 1000])),
    ] {
        let s = err_of(&write(dir.path(), name, &bytes));
        assert!(
            s.contains("file is truncated: it ends 1,000 bytes into the header of HDU 21"),
            "{name}: {s}"
        );
    }
}

#[test]
fn a_list_cut_after_four_of_its_seven_ccd_gtis_is_refused() {
    // a pipeline list (no flare GTI in the data subspace: the STDGTInn alone are the GTIs),
    // cut after STDGTI04: plain and gzip (.FTZ), at the HDU boundary and inside STDGTI05
    let dir = tempfile::tempdir().unwrap();
    let b = mos_without_dsref();
    let whole = events_of(&write(dir.path(), "whole.fits", &b));
    assert_eq!(whole.gti().len(), 7);
    let l = layout(&b);
    let g5 = hdu(&l, "STDGTI05").clone();
    for (i, cut) in [
        g5.header_start,
        g5.header_start + 1000,
        g5.header_start + 2880,
        g5.data_start + 40,
    ]
    .into_iter()
    .enumerate()
    {
        for gz in [false, true] {
            let (name, bytes) = if gz {
                (format!("P{i}MIEVLI.FTZ"), gzip(&b[..cut]))
            } else {
                (format!("cut{i}.fits"), b[..cut].to_vec())
            };
            let s = err_of(&write(dir.path(), &name, &bytes));
            if cut == g5.header_start {
                // a complete FITS file of 21 HDUs: the CCDs without GTI are named
                assert!(
                    s.contains("CCD 5 (1,849 events, no STDGTI05)")
                        && s.contains("CCD 6")
                        && s.contains("CCD 7")
                        && s.contains("STDGTInn"),
                    "{name}: {s}"
                );
            } else {
                assert!(s.contains("file is truncated"), "{name}: {s}");
            }
        }
    }
}

#[test]
fn a_truncated_gzip_stream_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let gz = std::fs::read(real_mos()).unwrap();
    for cut in [gz.len() / 2, gz.len() - 100, gz.len() - 4, gz.len() - 1] {
        let p = write(dir.path(), "cut.fits.gz", &gz[..cut]);
        let s = err_of(&p);
        assert!(
            s.contains("gzip data is truncated or corrupt"),
            "cut at {cut}: {s}"
        );
    }
}

#[test]
fn a_damaged_tfields_pcount_or_extname_in_a_later_hdu_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let b = mos_without_dsref();
    let l = layout(&b);
    let g5 = hdu(&l, "STDGTI05").clone();
    let damaged = |key: &str, value: &str| {
        let mut x = b.clone();
        set_value(&mut x, g5.card(key), value);
        write(dir.path(), &format!("{key}.fits"), &x)
    };
    let s = err_of(&damaged("TFIELDS", "X"));
    assert!(
        s.contains("HDU 21 (EXTNAME 'STDGTI05')")
            && s.contains("cannot be read: cfitsio status 209"),
        "{s}"
    );
    let s = err_of(&damaged("TFIELDS", "3"));
    assert!(s.contains("HDU 21") && s.contains("TFORM3"), "{s}");
    let s = err_of(&damaged("PCOUNT", "X"));
    assert!(s.contains("HDU 21") && s.contains("PCOUNT"), "{s}");
    // a PCOUNT that moves the next header: the HDU after it is not a header
    let s = err_of(&damaged("PCOUNT", "50000"));
    assert!(s.contains("HDU 22") && s.contains("PCOUNT = 50,000"), "{s}");
    // an EXTNAME damaged into another name
    let s = err_of(&damaged("EXTNAME", "'STDGTX05'"));
    assert!(s.contains("CCD 5 (1,849 events, no STDGTI05)"), "{s}");
    let s = err_of(&damaged("EXTNAME", "'STDGTI06'"));
    assert!(s.contains("2 HDUs are named STDGTI06 (HDUs 21, 22)"), "{s}");
    let s = err_of(&damaged("EXTNAME", "42"));
    assert!(
        s.contains("HDU 21: EXTNAME = 42: expected a quoted string"),
        "{s}"
    );
    // damage that changes nothing read is not an error: the same events and GTIs
    let whole = events_of(&write(dir.path(), "whole.fits", &b));
    let same = events_of(&damaged("PCOUNT", "5"));
    assert_eq!(same.len(), whole.len());
    assert_eq!(gti_exposures(&same), gti_exposures(&whole));
}

#[test]
fn trailing_zero_fill_after_the_last_hdu_is_accepted_and_trailing_junk_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let b = real_mos_bytes();
    let whole = events_of(&real_mos());
    let mut x = b.clone();
    x.extend_from_slice(&[0u8; 2880]);
    assert_eq!(
        events_of(&write(dir.path(), "fill.fits", &x)).len(),
        whole.len()
    );
    let mut x = b.clone();
    x.extend_from_slice(&[b'A'; 3000]);
    let s = err_of(&write(dir.path(), "junk.fits", &x));
    assert!(s.contains("HDU 32") && s.contains("cannot be read"), "{s}");
}

// ------------------------------------------------------------- 2. GTIs: EPIC and the others

#[test]
fn an_epic_ccd_with_events_but_no_gti_extension_is_an_error() {
    // the SAS-cleaned list (flare GTIs in the data subspace) with STDGTI05 renamed
    let dir = tempfile::tempdir().unwrap();
    let mut b = real_mos_bytes();
    let l = layout(&b);
    set_value(&mut b, hdu(&l, "STDGTI05").card("EXTNAME"), "'STDGTX05'");
    let s = err_of(&write(dir.path(), "nogti5.fits", &b));
    assert!(
        s.contains("CCD 5 (1,849 events, no STDGTI05)")
            && s.contains("every EPIC CCD with events needs its STDGTInn extension"),
        "{s}"
    );
}

#[test]
fn a_chandra_list_whose_gti_is_cut_off_is_refused_not_given_tstart_tstop() {
    let dir = tempfile::tempdir().unwrap();
    let c = gunzip_file(&testdata("stingray_chandra/chandra_test.fits.gz"));
    let whole = events_of(&write(dir.path(), "chandra.fits", &c));
    assert_eq!(whole.gti_source(), "GTI per chip (CCD_ID keyword)");
    let l = layout(&c);
    let g = hdu(&l, "GTI").clone();
    for (name, bytes) in [
        ("hdr.fits", c[..g.header_start + 1000].to_vec()),
        ("data.fits", c[..g.data_start + 8].to_vec()),
        ("hdr.fits.gz", gzip(&c[..g.header_start + 1000])),
        ("data.fits.gz", gzip(&c[..g.data_start + 8])),
    ] {
        let s = err_of(&write(dir.path(), name, &bytes));
        assert!(s.contains("file is truncated"), "{name}: {s}");
    }
    // a damaged GTI header is an error too, not a fallback
    let mut x = c.clone();
    set_value(&mut x, g.card("TFIELDS"), "X");
    let s = err_of(&write(dir.path(), "tfields.fits", &x));
    assert!(
        s.contains("HDU 2 (EXTNAME 'GTI')") && s.contains("cannot be read"),
        "{s}"
    );
}

#[test]
fn a_gti_far_outside_the_observation_is_a_damaged_column() {
    // STOP read as a 64-bit integer (TFORM2 'D' → 'K', the same width) gives 4.7e18 s
    let dir = tempfile::tempdir().unwrap();
    let mut b = mos_without_dsref();
    let l = layout(&b);
    set_value(&mut b, hdu(&l, "STDGTI02").card("TFORM2"), "'K'");
    let s = err_of(&write(dir.path(), "k.fits", &b));
    assert!(
        s.contains("STDGTI02 row 1") && s.contains("far outside the observation"),
        "{s}"
    );
}

// ------------------------------------------------------------------------------ 3. columns

/// Make column `name` of EVENTS a `len`-element vector (cfitsio keeps the values in element 1).
fn vectorize(p: &Path, name: &str, len: i64) {
    let mut f = FitsFile::edit(p).unwrap();
    f.hdu("EVENTS").unwrap();
    let mut colnum = 0;
    let mut status = 0;
    let c = std::ffi::CString::new(name).unwrap();
    unsafe {
        fitsio::sys::ffgcno(
            f.as_raw(),
            0,
            c.as_ptr() as *mut _,
            &mut colnum,
            &mut status,
        );
        fitsio::sys::ffmvec(f.as_raw(), colnum, len, &mut status);
    }
    assert_eq!(status, 0);
}

#[test]
fn vector_event_columns_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for col in ["X", "TIME", "PI", "CCDNR", "FLAG", "RAWY"] {
        let p = write(dir.path(), &format!("vec{col}.fits"), &real_mos_bytes());
        vectorize(&p, col, 2);
        let s = err_of(&p);
        assert!(
            s.contains(&format!(
                "{col} is a 2-element vector column: expected a scalar"
            )),
            "{col}: {s}"
        );
    }
}

#[test]
fn an_naxis2_larger_than_the_data_reads_no_fill_row_as_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let b = real_mos_bytes();
    let l = layout(&b);
    let ev = hdu(&l, "EVENTS").clone();
    // one row more: it fits in the 2880-byte padding, whose zeros would be read as an event
    let mut x = b.clone();
    set_value(&mut x, ev.card("NAXIS2"), "22125");
    let s = err_of(&write(dir.path(), "plus1.fits", &x));
    assert!(
        s.contains("[EVENTS]")
            && s.contains("NAXIS2 = 22,125 counts rows that are not in the file"),
        "{s}"
    );
    // 100 rows more: the next header is no longer where the data ends
    let mut x = b.clone();
    set_value(&mut x, ev.card("NAXIS2"), "22224");
    let s = err_of(&write(dir.path(), "plus100.fits", &x));
    assert!(
        s.contains("HDU 2") && s.contains("NAXIS2 = 22,224 rows"),
        "{s}"
    );
    // the last HDU, 1,000 times too many rows: beyond the end of the file
    let last = l.last().unwrap().clone();
    let mut x = b.clone();
    set_value(&mut x, last.card("NAXIS2"), "26000");
    let s = err_of(&write(dir.path(), "lastbig.fits", &x));
    assert!(
        s.contains("file is truncated") && s.contains("HDU 31 (GTI00606)"),
        "{s}"
    );
}

#[test]
fn an_naxis2_smaller_than_the_data_loses_no_event_silently() {
    let dir = tempfile::tempdir().unwrap();
    let b = real_mos_bytes();
    let l = layout(&b);
    let mut x = b.clone();
    set_value(&mut x, hdu(&l, "EVENTS").card("NAXIS2"), "22120");
    let s = err_of(&write(dir.path(), "minus4.fits", &x));
    assert!(
        s.contains("HDU 1 (EVENTS)") && s.contains("is not fill"),
        "{s}"
    );
    let mut x = b.clone();
    set_value(&mut x, hdu(&l, "STDGTI05").card("NAXIS2"), "3");
    let s = err_of(&write(dir.path(), "gti3.fits", &x));
    assert!(
        s.contains("HDU 21 (STDGTI05)") && s.contains("is not fill"),
        "{s}"
    );
}

// ---------------------------------------------------------------------- 4. allocation limits

#[test]
fn a_gti_table_claiming_2_to_the_32_rows_is_refused_before_anything_is_allocated() {
    let dir = tempfile::tempdir().unwrap();
    let b = real_mos_bytes();
    let l = layout(&b);
    for name in ["STDGTI05", "GTI00606"] {
        let mut x = b.clone();
        set_value(&mut x, hdu(&l, name).card("NAXIS2"), "4294967296");
        let p = write(dir.path(), &format!("{name}.fits"), &x);
        let t = std::time::Instant::now();
        let s = err_of(&p);
        assert!(
            s.contains("file is truncated")
                && s.contains(&format!("({name}) declares 68,719,476,736 data bytes"))
                && s.contains("4,294,967,296 rows")
                && s.contains("the file has 1,454,400")
                && s.contains("nothing was read"),
            "{s}"
        );
        // `exod info` opens the file the same way
        let e = Fits::open(&p).err().expect("refused at open").to_string();
        assert!(e.contains("nothing was read"), "{e}");
        assert!(t.elapsed().as_secs() < 5, "refused without reading");
    }
}

// ------------------------------------------------------------------------------- 5. messages

#[test]
fn cfitsio_errors_are_text_with_their_context_not_rust_debug() {
    let dir = tempfile::tempdir().unwrap();
    let b = real_mos_bytes();
    let l = layout(&b);
    // a cut in the data of STDGTI01 used to give `FitsError { status: 108, … }`
    let s01 = hdu(&l, "STDGTI01");
    let s = err_of(&write(dir.path(), "gti01.fits", &b[..s01.data_start + 100]));
    assert!(s.contains("file is truncated"), "{s}");
    // cfitsio's own errors: status, text and cfitsio's detail, with the HDU
    let mut x = b.clone();
    set_value(&mut x, hdu(&l, "STDGTI03").card("NAXIS1"), "19");
    let s = err_of(&write(dir.path(), "naxis1.fits", &x));
    // (cfitsio's detail line, "NAXIS1 = 19 is not equal to the sum of column widths: 16", comes
    // from its process-global error stack, which tests running in parallel threads share: it is
    // not asserted)
    assert!(
        s.contains("cfitsio status 241: row width not = field widths")
            && s.contains("HDU 19 (EXTNAME 'STDGTI03')"),
        "{s}"
    );
    // a complex column read as a number
    let mut x = b.clone();
    set_value(&mut x, hdu(&l, "STDGTI03").card("TFORM2"), "'C'");
    let s = err_of(&write(dir.path(), "complex.fits", &x));
    assert!(
        s.contains("[STDGTI03]: STOP is a complex (C/M) column: expected a scalar number"),
        "{s}"
    );
    // not FITS at all
    let p = write(dir.path(), "text.fits", b"this is not a FITS file\n");
    let s = err_of(&p);
    assert!(s.contains("cannot open as FITS: cfitsio status"), "{s}");
}

// ------------------------------------------------------------------- 6. literal file names

#[test]
fn file_names_with_brackets_are_taken_literally_plain_and_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let want = events_of(&real_mos());
    let gz = std::fs::read(real_mos()).unwrap();
    for (name, bytes) in [
        ("a[1].fits", real_mos_bytes()),
        ("b[EVENTS][col X].fits", real_mos_bytes()),
        ("a[1].fits.gz", gz.clone()),
        ("P0201901401M1S002MIEVLI0000[2].FTZ", gz.clone()),
        ("with space+plus.FTZ", gz.clone()),
    ] {
        let p = write(dir.path(), name, &bytes);
        let e = events_of(&p);
        assert_eq!(e.len(), want.len(), "{name}");
        assert_eq!(gti_exposures(&e), gti_exposures(&want), "{name}");
    }
    // the syntax is not applied to a missing file either
    let s = err_of(&dir.path().join("a.fits[1]"));
    assert!(s.contains("no such file"), "{s}");
}

// ----------------------------------------------------------------------- 7. source lists

#[test]
fn csv_source_lists_with_nan_inf_or_impossible_positions_are_refused_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    for (row, why) in [
        ("nan,-11.2", "RA = NaN is not a finite number"),
        ("inf,-11.2", "RA = inf is not a finite number"),
        ("149.7,-inf", "Dec = -inf is not a finite number"),
        ("149.7,NaN", "Dec = NaN is not a finite number"),
        ("400,-11.2", "RA = 400° is outside [0, 360)"),
        ("360,-11.2", "RA = 360° is outside [0, 360)"),
        ("-0.5,-11.2", "RA = -0.5° is outside [0, 360)"),
        ("149.7,91", "Dec = 91° is outside [−90, 90]"),
    ] {
        let p = dir.path().join("src.csv");
        std::fs::write(
            &p,
            format!("# a comment\nra_deg,dec_deg\n149.759036,-11.195641\n{row}\n"),
        )
        .unwrap();
        let s = read_sources(&p).expect_err(row).to_string();
        assert_clean(&s, &p);
        assert!(s.contains("line 4") && s.contains(why), "{row}: {s}");
    }
    let p = dir.path().join("rate.csv");
    std::fs::write(&p, "ra,dec,rate\n149.7,-11.2,nan\n").unwrap();
    let s = read_sources(&p).expect_err("nan rate").to_string();
    assert!(s.contains("line 2") && s.contains("rate"), "{s}");
    // the shipped list is fine
    assert_eq!(
        read_sources(&testdata("xga_0201901401/0201901401_XGA_sources_radec.csv"))
            .unwrap()
            .len(),
        16
    );
}

#[test]
fn fits_source_lists_with_nan_inf_or_impossible_positions_are_refused_with_the_row() {
    use fitsio::tables::{ColumnDataType, ColumnDescription};
    let dir = tempfile::tempdir().unwrap();
    for (k, (ra, dec, why)) in [
        (f64::NAN, 10.0, "RA = NaN"),
        (f64::INFINITY, 10.0, "RA = inf"),
        (400.0, 10.0, "RA = 400° is outside [0, 360)"),
        (10.0, -91.0, "Dec = -91° is outside [−90, 90]"),
        (10.0, f64::NAN, "Dec = NaN"),
    ]
    .into_iter()
    .enumerate()
    {
        let p = dir.path().join(format!("obsmli{k}.fits"));
        {
            let mut f = FitsFile::create(&p).open().unwrap();
            let cols: Vec<_> = ["RA", "DEC", "EP_8_RATE"]
                .iter()
                .map(|n| {
                    ColumnDescription::new(*n)
                        .with_type(ColumnDataType::Double)
                        .create()
                        .unwrap()
                })
                .collect();
            let h = f.create_table("SRCLIST", &cols).unwrap();
            h.write_col(&mut f, "RA", &[150.0, 150.1, ra]).unwrap();
            h.write_col(&mut f, "DEC", &[2.0, 2.1, dec]).unwrap();
            h.write_col(&mut f, "EP_8_RATE", &[0.1, f64::NAN, 0.3])
                .unwrap();
        }
        let s = read_sources(&p).expect_err(why).to_string();
        assert_clean(&s, &p);
        assert!(s.contains("SRCLIST row 3") && s.contains(why), "{s}");
    }
}
