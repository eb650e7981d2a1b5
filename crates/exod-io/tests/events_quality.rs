//! Quality that used to be lost without a word (issue 9): modified copies of a real MOS list
//! (shipped in `testdata/real`), each handled right or reported as a warning.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use exod_core::observation::Observation;
use exod_io::events::{read, ReadOptions};
use fitsio::FitsFile;

mod common;
use common::real_mos_bytes;

fn copy(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, real_mos_bytes()).unwrap();
    p
}

fn status_ok(status: i32, what: &str) {
    assert_eq!(status, 0, "cfitsio status {status} while {what}");
}

/// Update a string keyword of the EVENTS header.
fn set_key(p: &Path, key: &str, value: &str) {
    let mut f = FitsFile::edit(p).unwrap();
    f.hdu("EVENTS").unwrap();
    let (k, v) = (CString::new(key).unwrap(), CString::new(value).unwrap());
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
    status_ok(status, key);
}

/// Delete keywords of the EVENTS header.
fn delete_keys(p: &Path, keys: &[&str]) {
    let mut f = FitsFile::edit(p).unwrap();
    f.hdu("EVENTS").unwrap();
    for key in keys {
        let k = CString::new(*key).unwrap();
        let mut status = 0;
        unsafe { fitsio::sys::ffdkey(f.as_raw(), k.as_ptr(), &mut status) };
        status_ok(status, key);
    }
}

fn exposure_of(p: &Path) -> std::collections::BTreeMap<u8, f64> {
    read(p, &ReadOptions::default())
        .unwrap()
        .gti()
        .iter()
        .map(|(c, g)| (*c, g.exposure()))
        .collect()
}

fn removed(e: &exod_core::exposure::Exposure, crit: &str) -> usize {
    e.screening()
        .removed
        .iter()
        .find(|(n, _)| n == crit)
        .map(|r| r.1)
        .unwrap()
}

#[test]
fn tnull_and_out_of_range_sky_positions_are_dropped_under_a_counted_criterion() {
    let dir = tempfile::tempdir().unwrap();
    let orig = read(&copy(dir.path(), "orig.fits"), &ReadOptions::default()).unwrap();
    let p = copy(dir.path(), "tnull.fits");
    {
        let mut f = FitsFile::edit(&p).unwrap();
        let hdu = f.hdu("EVENTS").unwrap();
        // SAS writes TNULL (−99999999) for an undefined sky position; 60000 > TLMAX = 51840
        hdu.write_col_range(&mut f, "X", &vec![-99_999_999i32; 20], &(0..20))
            .unwrap();
        hdu.write_col_range(&mut f, "Y", &vec![-99_999_999i32; 20], &(0..20))
            .unwrap();
        hdu.write_col_range(&mut f, "X", &vec![60_000i32; 20], &(100..120))
            .unwrap();
    }
    let e = read(&p, &ReadOptions::default()).unwrap();
    let undefined = removed(&e, "undefined sky X/Y");
    assert!(undefined >= 10, "{undefined}");
    assert_eq!(orig.len() - e.len(), undefined);
    assert_eq!(removed(&orig, "undefined sky X/Y"), 0);
    // the observation is still searchable on a field-sized grid
    let obs = Observation::new(&[e], 20.0).unwrap();
    assert!(
        obs.grid().nx < 200 && obs.grid().ny < 200,
        "{}×{}",
        obs.grid().nx,
        obs.grid().ny
    );
}

#[test]
fn a_data_subspace_ccd_range_applies_its_flare_gti_to_every_ccd_of_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let orig = exposure_of(&copy(dir.path(), "orig.fits"));
    // one component for CCDs 1–7 with component 1's flare GTI (GTI00006)
    let p = copy(dir.path(), "range.fits");
    set_key(&p, "DSVAL1", "1:7");
    let comps: Vec<String> = (2..=7)
        .flat_map(|k| [format!("{k}DSVAL1"), format!("{k}DSREF6")])
        .collect();
    delete_keys(&p, &comps.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    let range = exposure_of(&p);
    // CCD 1 keeps its exposure (same GTI as before), the other CCDs are cut by GTI00006 too:
    // never more than their own flare-filtered exposure... and not the full STDGTI
    let full = {
        let p = copy(dir.path(), "nodss.fits");
        let comps: Vec<String> = (1..=7)
            .flat_map(|k| {
                let pre = if k == 1 { String::new() } else { k.to_string() };
                [format!("{pre}DSREF6")]
            })
            .collect();
        delete_keys(&p, &comps.iter().map(|s| s.as_str()).collect::<Vec<_>>());
        exposure_of(&p)
    };
    assert!(
        (range[&1] - orig[&1]).abs() < 1e-6,
        "{} vs {}",
        range[&1],
        orig[&1]
    );
    for ccd in 1..=7u8 {
        assert!(
            range[&ccd] < full[&ccd] - 1000.0,
            "CCD {ccd}: {} vs full {}",
            range[&ccd],
            full[&ccd]
        );
        assert!(range[&ccd] <= range[&1] + 1e-6, "CCD {ccd}");
    }
}

#[test]
fn missing_or_non_numeric_revolut_is_a_warning_and_hot_pixels_are_not_screened() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy(dir.path(), "norev.fits");
    delete_keys(&p, &["REVOLUT"]);
    let e = read(&p, &ReadOptions::default()).unwrap();
    assert!(
        e.warnings()
            .iter()
            .any(|w| w.contains("no REVOLUT") && w.contains("hot pixels")),
        "{:?}",
        e.warnings()
    );
    assert_eq!(removed(&e, "hot pixels"), 0);
    let p = copy(dir.path(), "strrev.fits");
    delete_keys(&p, &["REVOLUT"]);
    set_key(&p, "REVOLUT", "abc");
    let e = read(&p, &ReadOptions::default()).unwrap();
    assert!(
        e.warnings()
            .iter()
            .any(|w| w.contains("REVOLUT = 'abc'") && w.contains("not a number")),
        "{:?}",
        e.warnings()
    );
    // the original has its revolution and no warning about it
    let e = read(&copy(dir.path(), "orig.fits"), &ReadOptions::default()).unwrap();
    assert!(e.warnings().is_empty(), "{:?}", e.warnings());
    assert!(removed(&e, "hot pixels") > 0);
}

#[test]
fn an_unknown_telescop_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy(dir.path(), "foo.fits");
    set_key(&p, "TELESCOP", "FOO");
    let e = read(&p, &ReadOptions::default()).unwrap();
    assert!(
        e.warnings()
            .iter()
            .any(|w| w.contains("TELESCOP = \"FOO\"") && w.contains("no event screening")),
        "{:?}",
        e.warnings()
    );
    assert!(e.instrument().is_err());
}

#[test]
fn mos_data_labelled_epn_is_refused_instead_of_getting_pn_cuts() {
    let dir = tempfile::tempdir().unwrap();
    let p = copy(dir.path(), "epn.fits");
    set_key(&p, "INSTRUME", "EPN");
    let e = read(&p, &ReadOptions::default()).unwrap_err().to_string();
    assert!(
        e.contains("epn.fits")
            && e.contains("INSTRUME = EPN")
            && e.contains("not from this camera"),
        "{e}"
    );
}

#[test]
fn swift_xrt_pi_channels_are_10_ev() {
    use fitsio::tables::{ColumnDataType, ColumnDescription};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sw00012345000xpcw3po_cl.evt");
    {
        let mut f = FitsFile::create(&p).open().unwrap();
        let cols: Vec<_> = ["TIME", "X", "Y", "PI"]
            .iter()
            .map(|n| {
                ColumnDescription::new(*n)
                    .with_type(ColumnDataType::Double)
                    .create()
                    .unwrap()
            })
            .collect();
        let hdu = f.create_table("EVENTS", &cols).unwrap();
        hdu.write_col(&mut f, "TIME", &[1.0f64, 2.0, 3.0]).unwrap();
        hdu.write_col(&mut f, "X", &[500.0f64; 3]).unwrap();
        hdu.write_col(&mut f, "Y", &[500.0f64; 3]).unwrap();
        hdu.write_col(&mut f, "PI", &[30.0f64, 100.0, 1000.0])
            .unwrap();
        hdu.write_key(&mut f, "TELESCOP", "SWIFT").unwrap();
        hdu.write_key(&mut f, "INSTRUME", "XRT").unwrap();
    }
    let e = read(&p, &ReadOptions::default()).unwrap();
    assert_eq!(e.energy(), &[300.0, 1000.0, 10_000.0]);
    assert!(e.energy_source().contains("10 eV"));
}
