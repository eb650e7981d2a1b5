//! The OGIP readers on the real spectra and responses of `testdata/spectral`, against the facts
//! astropy reads from the same files (`scripts/oracle_ogip.py` → `testdata/spectral/ogip_oracle.json`),
//! on PHA type II and RATE files written here, and on damaged copies (errors naming the file and
//! the problem).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use exod_io::ogip::{
    check_channels, read_arf, read_pha, read_pha_rows, read_response, read_rmf,
    resolve_response_paths,
};
use fitsio::sys;
use serde_json::Value;

/// cfitsio is not re-entrant here: one test at a time touches it.
static CFITSIO: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    CFITSIO.lock().unwrap_or_else(|e| e.into_inner())
}

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/spectral")
        .join(rel)
}

/// Equal to the last bits: serde_json's default float parsing may be off by one ulp from the
/// shortest round-trip text Python writes.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs())
}

fn oracle() -> Value {
    let text = std::fs::read_to_string(data("ogip_oracle.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn oracle_entry(kind: &str, file: &str) -> Value {
    oracle()[kind]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"] == file)
        .unwrap_or_else(|| panic!("{file} not in the oracle"))
        .clone()
}

const PN_PHA: &str = "xmm_pn/pn_pi_src_bin10.ds.gz";
const PN_RMF: &str = "xmm_pn/epn_ff20_dY9.rmf.gz";
const PN_ARF: &str = "xmm_pn/pn_pi_src.arf.gz";
const C3_PHA: &str = "chandra_3c273/3c273.pi.gz";
const C3_BKG: &str = "chandra_3c273/3c273_bg.pi.gz";
const C3_RMF: &str = "chandra_3c273/3c273.rmf.gz";
const C3_ARF: &str = "chandra_3c273/3c273.arf.gz";

#[test]
fn pn_spectrum() {
    let _g = lock();
    let o = oracle_entry("spectra", PN_PHA);
    let s = read_pha(&data(PN_PHA)).unwrap();
    assert_eq!(s.channel.len(), 4096);
    assert_eq!((s.channel[0], s.channel[4095]), (0, 4095));
    let total: f64 = s.counts.iter().sum();
    assert_eq!(total, 4784.0);
    assert_eq!(total, o["total_counts"].as_f64().unwrap());
    for (c, v) in o["counts_sample"].as_object().unwrap() {
        let c: usize = c.parse().unwrap();
        assert_eq!(s.counts[c], v.as_f64().unwrap(), "channel {c}");
    }
    assert_eq!(s.exposure, 11754.644199453);
    let bad: Vec<i64> = (0..4096)
        .filter(|&k| s.quality[k] != 0)
        .map(|k| s.channel[k])
        .collect();
    assert_eq!(bad, (4090..=4095).collect::<Vec<_>>());
    assert!(s.quality[4090..].iter().all(|&q| q == 2));
    // GROUPING of 10 channels: a group starts every 10 channels
    let starts: Vec<usize> = (0..4096).filter(|&k| s.grouping[k] == 1).collect();
    assert_eq!(starts.len() as u64, o["n_groups"].as_u64().unwrap());
    assert!(
        starts
            .iter()
            .take(400)
            .enumerate()
            .all(|(i, &k)| k == 10 * i),
        "{:?}",
        &starts[..5]
    );
    assert!(s.grouping.iter().all(|&g| g == 1 || g == -1));
    assert!(s.poisserr);
    assert_eq!(
        s.stat_err.as_ref().map(|e| e.iter().sum::<f64>()),
        Some(0.0)
    );
    assert_eq!(
        s.sys_err, None,
        "SYS_ERR = 0 keyword is no systematic error"
    );
    assert!(s.backscal.iter().all(|&b| b == 278600.0) && s.backscal.len() == 4096);
    assert!(s.areascal.iter().all(|&a| a == 1.0));
    assert_eq!(s.ancrfile.as_deref(), Some("pn_pi_src.arf"));
    assert_eq!(s.backfile.as_deref(), Some("pn_pi_bgd.ds"));
    assert_eq!(
        s.respfile.as_deref(),
        Some("/data/anto/xmm/rmf/epn_ff20_sdY9.rmf")
    );
    assert_eq!(
        (s.telescope.as_str(), s.instrument.as_str()),
        ("XMM", "EPN")
    );
    assert!(s.name.ends_with("pn_pi_src_bin10.ds.gz"));
}

#[test]
fn chandra_3c273_spectrum_and_background() {
    let _g = lock();
    let src = read_pha(&data(C3_PHA)).unwrap();
    let bkg = read_pha(&data(C3_BKG)).unwrap();
    for (s, file) in [(&src, C3_PHA), (&bkg, C3_BKG)] {
        let o = oracle_entry("spectra", file);
        assert_eq!(s.channel.len(), 1024);
        assert_eq!((s.channel[0], s.channel[1023]), (1, 1024));
        assert_eq!(
            s.counts.iter().sum::<f64>(),
            o["total_counts"].as_f64().unwrap()
        );
        assert!(
            same(s.backscal[0], o["backscal"].as_f64().unwrap()),
            "backscal"
        );
        assert!(
            same(s.exposure, o["exposure"].as_f64().unwrap()),
            "exposure"
        );
        let se: f64 = s.stat_err.as_ref().unwrap().iter().sum();
        let want = o["stat_err_sum"].as_f64().unwrap();
        assert!((se - want).abs() <= 1e-9 * want, "{se} vs {want}");
        assert!(!s.poisserr);
        assert!(s.quality.iter().all(|&q| q == 0));
    }
    assert_eq!(src.grouping.iter().filter(|&&g| g == 1).count(), 46);
    assert_eq!(src.backscal[0], 2.5264364698914e-06);
    assert_eq!(bkg.backscal[0], 1.872535141462e-05);
    assert_eq!(src.backfile.as_deref(), Some("3c273_bg.pi"));
    assert_eq!(
        (src.respfile.as_deref(), src.ancrfile.as_deref()),
        (Some("3c273.rmf"), Some("3c273.arf"))
    );
    assert_eq!(
        (
            bkg.respfile.clone(),
            bkg.ancrfile.clone(),
            bkg.backfile.clone()
        ),
        (None, None, None)
    );
    // a type I file read as rows: its one spectrum
    let rows = read_pha_rows(&data(C3_PHA)).unwrap();
    assert_eq!(rows, vec![src]);
}

#[test]
fn response_files_are_found_next_to_the_spectrum() {
    let _g = lock();
    let p = data(C3_PHA);
    let s = read_pha(&p).unwrap();
    let r = resolve_response_paths(&p, &s);
    assert_eq!(r.rmf, Some(data(C3_RMF)));
    assert_eq!(r.arf, Some(data(C3_ARF)));
    assert_eq!(r.bkg, Some(data(C3_BKG)));
    assert!(r.missing.is_empty() && r.require_all().is_ok());

    // the pn spectrum names an absolute RESPFILE and a BACKFILE that are not shipped
    let p = data(PN_PHA);
    let s = read_pha(&p).unwrap();
    let r = resolve_response_paths(&p, &s);
    assert_eq!(r.arf, Some(data(PN_ARF)));
    assert_eq!((r.rmf.clone(), r.bkg.clone()), (None, None));
    let kw: Vec<&str> = r.missing.iter().map(|m| m.keyword).collect();
    assert_eq!(kw, ["RESPFILE", "BACKFILE"]);
    let w = r.warnings();
    assert!(
        w[1].contains("pn_pi_src_bin10.ds.gz")
            && w[1].contains("BACKFILE = 'pn_pi_bgd.ds' is named but missing"),
        "{}",
        w[1]
    );
    assert!(
        w[1].contains(&data("xmm_pn/pn_pi_bgd.ds.gz").display().to_string()),
        "{}",
        w[1]
    );
    let e = r.require_all().unwrap_err().to_string();
    assert!(
        e.contains("pn_pi_src_bin10.ds.gz")
            && e.contains("RESPFILE")
            && e.contains("epn_ff20_sdY9.rmf"),
        "{e}"
    );

    // an extension specifier is dropped
    let mut s2 = s.clone();
    s2.respfile = Some("epn_ff20_dY9.rmf[1]".into());
    s2.backfile = None;
    let r = resolve_response_paths(&p, &s2);
    assert_eq!(r.rmf, Some(data(PN_RMF)));
    assert!(r.missing.is_empty());
}

/// Every oracle element, row sum and peak of one RMF.
fn check_rmf_against_oracle(rmf: &exod_core::spectral::data::Rmf, o: &Value) {
    assert_eq!(rmf.n_energies() as u64, o["n_energies"].as_u64().unwrap());
    assert_eq!(rmf.n_channels() as u64, o["n_channels"].as_u64().unwrap());
    assert!(
        same(rmf.energ_lo[0], o["energ_lo_first"].as_f64().unwrap()),
        "energ_lo_first"
    );
    assert!(
        same(
            *rmf.energ_hi.last().unwrap(),
            o["energ_hi_last"].as_f64().unwrap()
        ),
        "energ_hi_last"
    );
    assert!(
        same(rmf.e_min[0], o["e_min_first"].as_f64().unwrap()),
        "e_min_first"
    );
    assert!(
        same(
            *rmf.e_max.last().unwrap(),
            o["e_max_last"].as_f64().unwrap()
        ),
        "e_max_last"
    );
    let sums: Vec<f64> = (0..rmf.n_energies())
        .map(|i| rmf.row(i).flat_map(|(_, v)| v.iter()).sum())
        .collect();
    let n_elements: usize = (0..rmf.n_energies())
        .map(|i| rmf.row(i).map(|(_, v)| v.len()).sum::<usize>())
        .sum();
    assert_eq!(n_elements as u64, o["n_elements"].as_u64().unwrap());
    assert_eq!(
        sums.iter().filter(|&&s| s == 0.0).count() as u64,
        o["n_empty_rows"].as_u64().unwrap()
    );
    let max = sums.iter().cloned().fold(0.0, f64::max);
    assert!(
        (max - o["max_row_sum"].as_f64().unwrap()).abs() < 1e-6,
        "{max}"
    );
    for row in o["rows"].as_array().unwrap() {
        let i = row["row"].as_u64().unwrap() as usize;
        let dense = dense_row(rmf, i);
        assert!(
            (sums[i] - row["row_sum"].as_f64().unwrap()).abs() < 1e-6,
            "row {i}"
        );
        for (c, v) in row["elements"].as_object().unwrap() {
            let idx = c.parse::<i64>().unwrap() - rmf.first_channel;
            let got = usize::try_from(idx)
                .ok()
                .and_then(|k| dense.get(k).copied())
                .unwrap_or(0.0);
            assert!(
                same(got, v.as_f64().unwrap()),
                "row {i}, channel {c}: {got} vs {v}"
            );
        }
        // independent check of the channel mapping: the peak of the row lies in (or next to)
        // the EBOUNDS channel that holds the bin's centre energy
        let peak = dense
            .iter()
            .enumerate()
            .fold((0, -1.0), |b, (k, &v)| if v > b.1 { (k, v) } else { b })
            .0;
        let e = 0.5 * (rmf.energ_lo[i] + rmf.energ_hi[i]);
        let holds = (0..rmf.n_channels())
            .find(|&k| rmf.e_min[k] <= e && e < rmf.e_max[k])
            .unwrap();
        assert!(
            peak.abs_diff(holds) <= 3,
            "row {i}: peak index {peak}, EBOUNDS index {holds}"
        );
        assert_eq!(
            peak as i64 + rmf.first_channel,
            row["peak_channel"].as_i64().unwrap()
        );
        assert_eq!(
            holds as i64 + rmf.first_channel,
            row["ebounds_channel_of_centre"].as_i64().unwrap()
        );
    }
}

fn dense_row(rmf: &exod_core::spectral::data::Rmf, i: usize) -> Vec<f64> {
    let mut d = vec![0.0; rmf.n_channels()];
    for (c0, v) in rmf.row(i) {
        d[c0..c0 + v.len()].copy_from_slice(v);
    }
    d
}

#[test]
fn pn_rmf_is_zero_based_and_matches_astropy() {
    let _g = lock();
    let rmf = read_rmf(&data(PN_RMF)).unwrap();
    assert_eq!(rmf.first_channel, 0, "no TLMIN on F_CHAN: EBOUNDS says 0");
    assert_eq!((rmf.n_energies(), rmf.n_channels()), (1319, 4096));
    check_rmf_against_oracle(&rmf, &oracle_entry("rmfs", PN_RMF));
    // redistribution only: above 0.3 keV each row sums to 0.999…1 (events lost outside the
    // channels, nothing created); only a few rows near 0.2 keV exceed 1 (by ≤ 2.6 %, as written)
    for i in 0..rmf.n_energies() {
        let s: f64 = rmf.row(i).flat_map(|(_, v)| v.iter()).sum();
        assert!(s <= 1.0258, "row {i}: {s}");
        if rmf.energ_lo[i] >= 0.3 && rmf.energ_hi[i] <= 12.0 {
            assert!(
                (0.99..=1.0 + 1e-6).contains(&s),
                "row {i} ({} keV): {s}",
                rmf.energ_lo[i]
            );
        }
    }
}

#[test]
fn chandra_rmf_is_one_based_and_matches_astropy() {
    let _g = lock();
    let rmf = read_rmf(&data(C3_RMF)).unwrap();
    assert_eq!(rmf.first_channel, 1);
    assert_eq!((rmf.n_energies(), rmf.n_channels()), (1090, 1024));
    check_rmf_against_oracle(&rmf, &oracle_entry("rmfs", C3_RMF));
}

#[test]
fn arfs_and_responses() {
    let _g = lock();
    for file in [PN_ARF, C3_ARF] {
        let o = oracle_entry("arfs", file);
        let a = read_arf(&data(file)).unwrap();
        assert_eq!(a.specresp.len() as u64, o["n_energies"].as_u64().unwrap());
        for (i, v) in o["specresp_at"].as_object().unwrap() {
            let got = a.specresp[i.parse::<usize>().unwrap()];
            assert!(
                same(got, v.as_f64().unwrap()),
                "{file} row {i}: {got} vs {v}"
            );
        }
        let sum: f64 = a.specresp.iter().sum();
        assert!((sum - o["specresp_sum"].as_f64().unwrap()).abs() < 1e-9 * sum);
    }
    let r = read_response(&data(PN_RMF), Some(&data(PN_ARF))).unwrap();
    assert!(r.arf.is_some());
    let pn = read_pha(&data(PN_PHA)).unwrap();
    let c3 = read_pha(&data(C3_PHA)).unwrap();
    check_channels(&pn, &r.rmf).unwrap();
    let e = check_channels(&c3, &r.rmf).unwrap_err().to_string();
    assert!(
        e.contains("3c273.pi.gz") && e.contains("1024 channels") && e.contains("4096"),
        "{e}"
    );
    // an ARF on another grid is refused, naming it
    let e = read_response(&data(PN_RMF), Some(&data(C3_ARF)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("3c273.arf.gz") && e.contains("grid"), "{e}");
}

// ---------- files written here ----------

fn gunzip_to(src: &Path, dir: &Path, name: &str) -> PathBuf {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(src).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    let out = dir.join(name);
    std::fs::write(&out, bytes).unwrap();
    out
}

/// Run raw cfitsio edits on a file opened read-write.
fn edit(path: &Path, f: impl FnOnce(*mut sys::fitsfile, &mut i32)) {
    let mut file = fitsio::FitsFile::edit(path).unwrap();
    let fptr = unsafe { file.as_raw() };
    let mut status = 0;
    f(fptr, &mut status);
    assert_eq!(status, 0, "cfitsio edit failed");
}

fn move_to(fptr: *mut sys::fitsfile, hdu: i32, status: &mut i32) {
    unsafe { sys::ffmahd(fptr, hdu, std::ptr::null_mut(), status) };
}

fn put_i32(fptr: *mut sys::fitsfile, col: i32, row: i64, values: &[i32], status: &mut i32) {
    unsafe {
        sys::ffpcl(
            fptr,
            31,
            col,
            row,
            1,
            values.len() as i64,
            values.as_ptr() as *mut _,
            status,
        )
    };
}

fn put_f64(fptr: *mut sys::fitsfile, col: i32, row: i64, values: &[f64], status: &mut i32) {
    unsafe {
        sys::ffpcl(
            fptr,
            82,
            col,
            row,
            1,
            values.len() as i64,
            values.as_ptr() as *mut _,
            status,
        )
    };
}

fn c(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s).unwrap()
}

/// A binary table from TTYPE/TFORM lists, in a new file (primary HDU empty).
fn new_table(path: &Path, extname: &str, cols: &[(&str, &str)], rows: i64) -> fitsio::FitsFile {
    let mut file = fitsio::FitsFile::create(path).open().unwrap();
    let fptr = unsafe { file.as_raw() };
    let names: Vec<_> = cols.iter().map(|(n, _)| c(n)).collect();
    let forms: Vec<_> = cols.iter().map(|(_, f)| c(f)).collect();
    let mut np: Vec<*mut i8> = names.iter().map(|s| s.as_ptr() as *mut i8).collect();
    let mut fp: Vec<*mut i8> = forms.iter().map(|s| s.as_ptr() as *mut i8).collect();
    let ext = c(extname);
    let mut status = 0;
    unsafe {
        sys::ffcrtb(
            fptr,
            2, // BINARY_TBL
            rows,
            cols.len() as i32,
            np.as_mut_ptr(),
            fp.as_mut_ptr(),
            std::ptr::null_mut(),
            ext.as_ptr(),
            &mut status,
        )
    };
    assert_eq!(status, 0);
    file
}

fn key_f64(fptr: *mut sys::fitsfile, key: &str, v: f64, status: &mut i32) {
    unsafe { sys::ffpkyd(fptr, c(key).as_ptr(), v, 12, std::ptr::null(), status) };
}

fn key_str(fptr: *mut sys::fitsfile, key: &str, v: &str, status: &mut i32) {
    unsafe {
        sys::ffpkys(
            fptr,
            c(key).as_ptr(),
            c(v).as_ptr(),
            std::ptr::null(),
            status,
        )
    };
}

#[test]
fn pha_type_ii_rows() {
    let _g = lock();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pha2.fits");
    {
        let cols = [
            ("SPEC_NUM", "1I"),
            ("CHANNEL", "4I"),
            ("COUNTS", "4J"),
            ("EXPOSURE", "1D"),
            ("BACKSCAL", "1D"),
            ("QUALITY", "4I"),
            ("RESPFILE", "12A"),
        ];
        let mut file = new_table(&path, "SPECTRUM", &cols, 2);
        let fptr = unsafe { file.as_raw() };
        let mut st = 0;
        put_i32(fptr, 1, 1, &[1, 2], &mut st);
        put_i32(fptr, 2, 1, &[1, 2, 3, 4, 1, 2, 3, 4], &mut st);
        put_i32(fptr, 3, 1, &[5, 6, 7, 8, 0, 1, 0, 2], &mut st);
        put_f64(fptr, 4, 1, &[100.0, 250.0], &mut st);
        put_f64(fptr, 5, 1, &[0.5, 0.25], &mut st);
        put_i32(fptr, 6, 1, &[0, 0, 0, 5, 0, 0, 0, 0], &mut st);
        let names = [c("a.rmf"), c("none")];
        let mut p: Vec<*mut i8> = names.iter().map(|s| s.as_ptr() as *mut i8).collect();
        unsafe { sys::ffpcls(fptr, 7, 1, 1, 2, p.as_mut_ptr(), &mut st) };
        key_str(fptr, "HDUCLAS1", "SPECTRUM", &mut st);
        key_str(fptr, "HDUCLAS4", "TYPE:II", &mut st);
        key_str(fptr, "ANCRFILE", "a.arf", &mut st);
        key_f64(fptr, "SYS_ERR", 0.03, &mut st);
        key_str(fptr, "TELESCOP", "TEST", &mut st);
        assert_eq!(st, 0);
    }
    let rows = read_pha_rows(&path).unwrap();
    assert_eq!(rows.len(), 2);
    let (a, b) = (&rows[0], &rows[1]);
    assert!(
        a.name.ends_with("pha2.fits[row 1]") && b.name.ends_with("pha2.fits[row 2]"),
        "{}",
        a.name
    );
    assert_eq!(a.channel, vec![1, 2, 3, 4]);
    assert_eq!(a.counts, vec![5.0, 6.0, 7.0, 8.0]);
    assert_eq!(b.counts, vec![0.0, 1.0, 0.0, 2.0]);
    assert_eq!((a.exposure, b.exposure), (100.0, 250.0));
    assert_eq!(
        (a.backscal.clone(), b.backscal.clone()),
        (vec![0.5; 4], vec![0.25; 4])
    );
    assert_eq!(
        (a.quality.clone(), b.quality.clone()),
        (vec![0, 0, 0, 5], vec![0; 4])
    );
    assert_eq!(a.grouping, vec![1; 4]);
    assert_eq!(a.areascal, vec![1.0; 4]);
    assert_eq!(a.sys_err, Some(vec![0.03; 4]));
    assert_eq!((a.stat_err.clone(), a.poisserr), (None, true));
    assert_eq!(
        (a.respfile.as_deref(), b.respfile.as_deref()),
        (Some("a.rmf"), None)
    );
    assert_eq!(
        (a.ancrfile.as_deref(), b.ancrfile.as_deref()),
        (Some("a.arf"), Some("a.arf"))
    );
    assert_eq!(a.telescope, "TEST");
    let e = read_pha(&path).unwrap_err().to_string();
    assert!(
        e.contains("pha2.fits") && e.contains("type II") && e.contains("read_pha_rows"),
        "{e}"
    );
}

#[test]
fn rate_spectra_are_turned_into_counts() {
    let _g = lock();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rate.pha");
    {
        let cols = [
            ("CHANNEL", "1J"),
            ("RATE", "1E"),
            ("STAT_ERR", "1E"),
            ("GROUPING", "1I"),
        ];
        let mut file = new_table(&path, "SPECTRUM", &cols, 3);
        let fptr = unsafe { file.as_raw() };
        let mut st = 0;
        put_i32(fptr, 1, 1, &[0, 1, 2], &mut st);
        put_f64(fptr, 2, 1, &[0.5, 0.25, 0.0], &mut st);
        put_f64(fptr, 3, 1, &[0.125, 0.0625, 0.0], &mut st);
        put_i32(fptr, 4, 1, &[1, -1, 1], &mut st);
        key_f64(fptr, "EXPOSURE", 8.0, &mut st);
        key_f64(fptr, "AREASCAL", 0.5, &mut st);
        key_str(fptr, "BACKFILE", "  ", &mut st);
        assert_eq!(st, 0);
    }
    let s = read_pha(&path).unwrap();
    assert_eq!(s.counts, vec![4.0, 2.0, 0.0]);
    assert_eq!(s.stat_err, Some(vec![1.0, 0.5, 0.0]));
    assert!(!s.poisserr, "STAT_ERR given, no POISSERR: not Poisson");
    assert_eq!(s.grouping, vec![1, -1, 1]);
    assert_eq!(s.areascal, vec![0.5; 3]);
    assert_eq!(s.backscal, vec![1.0; 3]);
    assert_eq!(s.backfile, None);
    assert_eq!(s.channel, vec![0, 1, 2]);
}

// ---------- damaged files ----------

/// The error of reading `path`, which must name the file and contain every `words`.
fn assert_error(e: exod_io::IoError, path: &Path, words: &[&str]) {
    let e = e.to_string();
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(e.contains(&*name), "no file name in: {e}");
    for w in words {
        assert!(e.contains(w), "no '{w}' in: {e}");
    }
}

#[test]
fn rmf_without_ebounds() {
    let _g = lock();
    let dir = tempfile::tempdir().unwrap();
    let p = gunzip_to(&data(C3_RMF), dir.path(), "no_ebounds.rmf");
    edit(&p, |f, st| {
        move_to(f, 3, st);
        unsafe { sys::ffdhdu(f, std::ptr::null_mut(), st) };
    });
    assert_error(
        read_rmf(&p).unwrap_err(),
        &p,
        &["no EBOUNDS extension", "E_MIN"],
    );
}

#[test]
fn rmf_runs_beyond_the_channels_or_the_matrix() {
    let _g = lock();
    let dir = tempfile::tempdir().unwrap();
    // F_CHAN moved near the last channel: the run of 7 channels ends beyond channel 1024
    let p = gunzip_to(&data(C3_RMF), dir.path(), "beyond.rmf");
    edit(&p, |f, st| {
        move_to(f, 2, st);
        put_i32(f, 4, 1, &[1020], st);
    });
    assert_error(
        read_rmf(&p).unwrap_err(),
        &p,
        &[
            "MATRIX row 1",
            "F_CHAN = 1020",
            "N_CHAN = 7",
            "outside the 1024 channels 1–1024",
        ],
    );
    // N_CHAN larger than the MATRIX values of the row
    let p = gunzip_to(&data(C3_RMF), dir.path(), "short.rmf");
    edit(&p, |f, st| {
        move_to(f, 2, st);
        put_i32(f, 5, 2, &[50], st);
    });
    assert_error(
        read_rmf(&p).unwrap_err(),
        &p,
        &["MATRIX row 2", "need at least 50 MATRIX values", "has 8"],
    );
}

#[test]
fn rmf_with_non_monotonic_energies() {
    let _g = lock();
    let dir = tempfile::tempdir().unwrap();
    let p = gunzip_to(&data(C3_RMF), dir.path(), "energies.rmf");
    edit(&p, |f, st| {
        move_to(f, 2, st);
        put_f64(f, 1, 101, &[0.5], st);
        put_f64(f, 2, 101, &[0.51], st);
    });
    assert_error(
        read_rmf(&p).unwrap_err(),
        &p,
        &["energy bin 101", "expected increasing"],
    );
}

#[test]
fn pha_without_exposure_or_with_bad_grouping() {
    let _g = lock();
    let dir = tempfile::tempdir().unwrap();
    let p = gunzip_to(&data(C3_PHA), dir.path(), "no_exposure.pi");
    edit(&p, |f, st| {
        move_to(f, 2, st);
        unsafe { sys::ffdkey(f, c("EXPOSURE").as_ptr(), st) };
    });
    assert_error(
        read_pha(&p).unwrap_err(),
        &p,
        &["EXPOSURE", "exposure time in s"],
    );
    let p = gunzip_to(&data(C3_PHA), dir.path(), "grouping.pi");
    edit(&p, |f, st| {
        move_to(f, 2, st);
        put_i32(f, 6, 17, &[3], st);
    });
    assert_error(
        read_pha(&p).unwrap_err(),
        &p,
        &["GROUPING = 3", "channel index 16"],
    );
    let p = gunzip_to(&data(C3_PHA), dir.path(), "no_counts.pi");
    edit(&p, |f, st| {
        move_to(f, 2, st);
        unsafe { sys::ffdcol(f, 3, st) };
    });
    assert_error(read_pha(&p).unwrap_err(), &p, &["no COUNTS or RATE column"]);
}

#[test]
fn truncated_rmf_is_an_error_not_a_panic() {
    let _g = lock();
    let dir = tempfile::tempdir().unwrap();
    let full = gunzip_to(&data(C3_RMF), dir.path(), "full.rmf");
    let bytes = std::fs::read(&full).unwrap();
    let p = dir.path().join("truncated.rmf");
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    assert_error(read_rmf(&p).unwrap_err(), &p, &["truncated"]);
    let e = read_arf(&full).unwrap_err();
    assert_error(e, &full, &["no SPECRESP extension"]);
}
