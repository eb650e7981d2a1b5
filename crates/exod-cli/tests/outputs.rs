//! The FITS outputs of `exod detect` are standard and self-describing: fitsverify passes every
//! file, stingray reads every light curve, every HDU carries the observation's facts and the
//! run's provenance (read back with cfitsio), flags are logical columns, per-camera columns
//! follow the cameras whatever the order of the input files, and image.fits's WCS puts each
//! detection on its cell.
//!
//! External tools come from `scripts/test-deps.sh`: fitsverify (Debian package, path in
//! EXOD_FITSVERIFY) and stingray (in the Python of EXOD_PYTHON). Without them a test is skipped
//! with a message, except in CI (env CI set), where it fails.

use std::ffi::{CStr, CString};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use fitsio::FitsFile;

const EPOCH_DATE: &str = "1970-01-01T00:00:00";

/// Run `exod` in `dir` as a user would type it (argv[0] = `exod`), with SOURCE_DATE_EPOCH = 0.
fn exod(dir: &Path, args: &[&str]) -> std::process::Output {
    let o = Command::new(env!("CARGO_BIN_EXE_exod"))
        .arg0("exod")
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "0")
        .args(args)
        .output()
        .expect("exod runs");
    assert!(
        o.status.success(),
        "exod {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A simulated observation (pn, MOS1, MOS2 with bursts) in `dir/sim`: the event lists, relative
/// to `dir`, in the order pn, MOS1, MOS2.
fn simulate(dir: &Path) -> Vec<String> {
    exod(
        dir,
        &[
            "simulate",
            "--seed",
            "3",
            "--exposure",
            "20000",
            "--bursts",
            "4",
            "--burst-counts",
            "40",
            "--out",
            "sim",
        ],
    );
    let mut files: Vec<String> = std::fs::read_dir(dir.join("sim"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("EVLI") && n.ends_with(".FTZ"))
        .map(|n| format!("sim/{n}"))
        .collect();
    let rank = |n: &str| {
        ["PN", "M1", "M2"]
            .iter()
            .position(|c| n.contains(&format!("{c}S")))
            .unwrap()
    };
    files.sort_by_key(|n| rank(n));
    assert_eq!(files.len(), 3, "{files:?}");
    files
}

/// `exod detect FILES --no-plots --out OUT` in `dir`.
fn detect(dir: &Path, files: &[String], out: &str) -> PathBuf {
    detect_with(dir, files, out, &[])
}

/// `exod detect FILES EXTRA... --no-plots --out OUT` in `dir`.
fn detect_with(dir: &Path, files: &[String], out: &str, extra: &[&str]) -> PathBuf {
    let mut args: Vec<&str> = vec!["detect"];
    args.extend(files.iter().map(|s| s.as_str()));
    args.extend(extra);
    args.extend(["--no-plots", "--out", out]);
    exod(dir, &args);
    dir.join(out)
}

/// The two real MOS lists, copied into `dir` (relative names).
fn real_mos(dir: &Path) -> Vec<String> {
    let real = repo().join("testdata/real/xga_0201903501");
    [
        "mos1_exp1_clean_evts.fits.gz",
        "mos2_exp1_clean_evts.fits.gz",
    ]
    .iter()
    .map(|f| {
        std::fs::copy(real.join(f), dir.join(f)).unwrap();
        f.to_string()
    })
    .collect()
}

const FITS_OUTPUTS: [&str; 3] = ["detections.fits", "lightcurves.fits", "image.fits"];

mod common;
use common::fitsverify;

fn stingray_python() -> Option<String> {
    common::python_with("stingray")
}

/// fitsverify passes every FITS output: no error, no warning (checksums included).
#[test]
fn every_fits_output_passes_fitsverify() {
    let Some(fv) = fitsverify() else { return };
    let d = tempfile::tempdir().unwrap();
    let sim = simulate(d.path());
    let real = real_mos(d.path());
    // the real epoch gives no detection with the default rule (empty tables) and 7 with the
    // exact rule (curves with partial exposure)
    let outs = [
        detect(d.path(), &sim, "sim_det"),
        detect(d.path(), &real, "real_det"),
        detect_with(d.path(), &real, "real_exact", &["--rule", "exact"]),
    ];
    for out in &outs {
        for name in FITS_OUTPUTS {
            let p = out.join(name);
            assert!(p.exists(), "{} is missing", p.display());
            let o = Command::new(&fv).arg(&p).output().unwrap();
            let text = String::from_utf8_lossy(&o.stdout);
            assert!(
                o.status.success()
                    && text.contains("Verification found 0 warning(s) and 0 error(s)"),
                "fitsverify {}:\n{text}",
                p.display()
            );
        }
    }
}

/// stingray's `Lightcurve.read` reads every light curve of lightcurves.fits, with the file's
/// times, bin, MJDREF and counts (scripts/check_lightcurves_stingray.py).
#[test]
fn stingray_reads_every_light_curve() {
    let Some(py) = stingray_python() else { return };
    let d = tempfile::tempdir().unwrap();
    let sim = simulate(d.path());
    let outs = [
        detect(d.path(), &sim, "sim_det"),
        detect_with(
            d.path(),
            &real_mos(d.path()),
            "real_det",
            &["--rule", "exact"],
        ),
    ];
    let script = repo().join("scripts/check_lightcurves_stingray.py");
    for out in &outs {
        let o = Command::new(&py).arg(&script).arg(out).output().unwrap();
        assert!(
            o.status.success(),
            "stingray on {}: {}",
            out.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let n = fits_rows(&out.join("detections.fits"), "DETECTIONS");
        assert!(n > 0);
        assert_eq!(
            v["curves"].as_u64().unwrap() + v["skipped"].as_u64().unwrap(),
            n as u64,
            "{v}"
        );
        assert!(v["curves"].as_u64().unwrap() > 0, "{v}");
    }
}

fn fits_rows(p: &Path, ext: &str) -> usize {
    let mut f = FitsFile::open(p).unwrap();
    let h = f.hdu(ext).unwrap();
    match h.info {
        fitsio::hdu::HduInfo::TableInfo { num_rows, .. } => num_rows,
        _ => panic!("{ext} is not a table"),
    }
}

/// The raw value text of a keyword of the current HDU (quotes kept), or None.
fn raw_key(f: &mut FitsFile, key: &str) -> Option<String> {
    let mut value = vec![0 as std::os::raw::c_char; 81];
    let mut status = 0;
    let k = CString::new(key).unwrap();
    unsafe {
        fitsio::sys::ffgkey(
            f.as_raw(),
            k.as_ptr(),
            value.as_mut_ptr(),
            std::ptr::null_mut(),
            &mut status,
        )
    };
    (status == 0).then(|| {
        unsafe { CStr::from_ptr(value.as_ptr()) }
            .to_string_lossy()
            .trim()
            .to_string()
    })
}

/// A string keyword: quoted in the header; its value, trailing blanks removed.
fn string_key(f: &mut FitsFile, key: &str) -> String {
    let raw = raw_key(f, key).unwrap_or_else(|| panic!("no {key}"));
    assert!(raw.starts_with('\''), "{key} = {raw} is not a string");
    raw.trim_matches('\'')
        .replace("''", "'")
        .trim_end()
        .to_string()
}

/// A numeric keyword: not quoted in the header.
fn number_key(f: &mut FitsFile, key: &str) -> f64 {
    let raw = raw_key(f, key).unwrap_or_else(|| panic!("no {key}"));
    assert!(
        !raw.starts_with('\''),
        "{key} = {raw} is a string, not a number"
    );
    raw.parse().unwrap_or_else(|_| panic!("{key} = {raw}"))
}

/// A string keyword in full, long-string (CONTINUE) convention included.
fn long_string_key(f: &mut FitsFile, key: &str) -> String {
    let mut value: *mut std::os::raw::c_char = std::ptr::null_mut();
    let mut status = 0;
    let k = CString::new(key).unwrap();
    unsafe {
        fitsio::sys::ffgkls(
            f.as_raw(),
            k.as_ptr(),
            &mut value,
            std::ptr::null_mut(),
            &mut status,
        )
    };
    assert_eq!(status, 0, "{key}");
    let s = unsafe { CStr::from_ptr(value) }
        .to_string_lossy()
        .into_owned();
    unsafe { fitsio::sys::fffree(value as *mut _, &mut status) };
    s
}

/// cfitsio's verdict on CHECKSUM and DATASUM of the current HDU (1 = correct).
fn checksums(f: &mut FitsFile) -> (i32, i32) {
    let (mut d, mut h, mut status) = (0, 0, 0);
    unsafe { fitsio::sys::ffvcks(f.as_raw(), &mut d, &mut h, &mut status) };
    assert_eq!(status, 0);
    (d, h)
}

fn n_hdus(f: &mut FitsFile) -> usize {
    let mut n = 0;
    while f.hdu(n).is_ok() {
        n += 1;
    }
    n
}

/// Column names and TFORMs of the current table HDU.
fn columns(f: &mut FitsFile) -> Vec<(String, String)> {
    let n = number_key(f, "TFIELDS") as usize;
    (1..=n)
        .map(|k| {
            (
                string_key(f, &format!("TTYPE{k}")),
                string_key(f, &format!("TFORM{k}")),
            )
        })
        .collect()
}

/// Every HDU of every FITS output carries the facts of the input lists (read from the lists
/// here), DATE from SOURCE_DATE_EPOCH, CREATOR, the whole COMMAND, a numeric SIGMA and correct
/// checksums; flags are logical columns; the light-curve HDUs are OGIP light curves that
/// cfitsio's extended file names reach by DETID.
#[test]
fn headers_describe_the_observation_and_the_run() {
    let d = tempfile::tempdir().unwrap();
    let sim = simulate(d.path());
    // a long output name: COMMAND needs CONTINUE cards
    let out_name = "outputs_of_a_run_whose_folder_name_is_long_enough_to_need_several_cards";
    let out = detect(d.path(), &sim, out_name);
    let command = format!("exod detect {} --no-plots --out {out_name}", sim.join(" "));
    assert!(command.len() > 68);
    let heads: Vec<_> = sim
        .iter()
        .map(|p| {
            exod_io::events::read(&d.path().join(p), &Default::default())
                .unwrap()
                .header()
                .clone()
        })
        .collect();
    let tstart = heads
        .iter()
        .map(|h| h.tstart.unwrap())
        .fold(f64::INFINITY, f64::min);
    let tstop = heads
        .iter()
        .map(|h| h.tstop.unwrap())
        .fold(f64::NEG_INFINITY, f64::max);
    let date_obs = heads
        .iter()
        .map(|h| h.date_obs.clone().unwrap())
        .min()
        .unwrap();
    assert_eq!(heads[0].mjdref, Some(50814.0));
    let n_det = fits_rows(&out.join("detections.fits"), "DETECTIONS");
    assert!(n_det >= 4);
    let mut n_rate = 0;
    for name in FITS_OUTPUTS {
        let p = out.join(name);
        let mut f = FitsFile::open(&p).unwrap();
        let n = n_hdus(&mut f);
        for i in 0..n {
            f.hdu(i).unwrap();
            let at = format!("{name} HDU {i}");
            assert_eq!(string_key(&mut f, "TELESCOP"), "XMM", "{at}");
            assert_eq!(string_key(&mut f, "INSTRUME"), "EPN+EMOS1+EMOS2", "{at}");
            assert_eq!(string_key(&mut f, "OBS_ID"), "0999990101", "{at}");
            assert_eq!(string_key(&mut f, "DATE-OBS"), date_obs, "{at}");
            assert_eq!(number_key(&mut f, "MJDREF"), 50814.0, "{at}");
            assert_eq!(string_key(&mut f, "TIMESYS"), "TT", "{at}");
            assert_eq!(string_key(&mut f, "TIMEREF"), "LOCAL", "{at}");
            assert_eq!(string_key(&mut f, "TIMEUNIT"), "s", "{at}");
            assert_eq!(string_key(&mut f, "RADESYS"), "FK5", "{at}");
            assert_eq!(number_key(&mut f, "EQUINOX"), 2000.0, "{at}");
            assert_eq!(string_key(&mut f, "DATE"), EPOCH_DATE, "{at}");
            assert_eq!(
                string_key(&mut f, "CREATOR"),
                format!("exod {}", env!("CARGO_PKG_VERSION")),
                "{at}"
            );
            assert_eq!(long_string_key(&mut f, "COMMAND"), command, "{at}");
            assert_eq!(number_key(&mut f, "SIGMA"), 3.0, "{at}");
            assert_eq!(string_key(&mut f, "RULE"), "exod2", "{at}");
            assert_eq!(checksums(&mut f), (1, 1), "{at}: DATASUM, CHECKSUM");
            assert!(
                raw_key(&mut f, "CHECKSUM").is_some() && raw_key(&mut f, "DATASUM").is_some(),
                "{at}"
            );
            let is_rate = raw_key(&mut f, "HDUCLAS1").is_some_and(|v| v.contains("LIGHTCURVE"));
            let (t0, t1) = (number_key(&mut f, "TSTART"), number_key(&mut f, "TSTOP"));
            if is_rate {
                n_rate += 1;
                assert_eq!(i, n_rate, "light curve {i} is the HDU of its detection row");
                assert_eq!(string_key(&mut f, "HDUCLASS"), "OGIP");
                assert_eq!(string_key(&mut f, "HDUCLAS3"), "RATE");
                assert_eq!(number_key(&mut f, "TIMEZERO"), 0.0);
                assert_eq!(number_key(&mut f, "TIMEPIXR"), 0.5);
                let dt = number_key(&mut f, "TIMEDEL");
                let h = f.hdu(i).unwrap();
                let time: Vec<f64> = h.read_col(&mut f, "TIME").unwrap();
                assert!(
                    (t0 - (time[0] - dt / 2.0)).abs() < 1e-6,
                    "{at}: TSTART of the curve"
                );
                assert!(
                    (t1 - (time[time.len() - 1] + dt / 2.0)).abs() < 1e-6,
                    "{at}"
                );
                assert!(t0 >= tstart - 1e3 && t1 <= tstop + 1e3, "{at}");
                let cols = columns(&mut f);
                let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
                assert_eq!(
                    names,
                    ["TIME", "RATE", "ERROR", "FRACEXP", "COUNTS", "MU", "BTI"]
                );
                assert_eq!(cols[6].1, "1L", "{at}: BTI is logical");
                // lcurve-style extended file names reach the curve by its EXTNAME (the DETID)
                let detid = string_key(&mut f, "DETID");
                assert_eq!(string_key(&mut f, "EXTNAME"), detid);
                let mut g = FitsFile::open(format!("{}[{detid}]", p.display())).unwrap();
                assert_eq!(number_key(&mut g, "DET") as usize, i, "{detid}");
            } else {
                assert_eq!(
                    (t0, t1),
                    (tstart, tstop),
                    "{at}: TSTART/TSTOP of the observation"
                );
            }
        }
        if name == "detections.fits" {
            f.hdu("DETECTIONS").unwrap();
            for (c, form) in columns(&mut f) {
                if c == "BTI" || c.starts_with("FLAG_") {
                    assert_eq!(form, "1L", "{c} is a logical column");
                }
            }
        }
        if name == "lightcurves.fits" {
            assert_eq!(
                n,
                n_det + 2,
                "primary, one curve per detection, the index table"
            );
            f.hdu("LIGHTCURVES").unwrap();
            let cols = columns(&mut f);
            assert!(cols.contains(&("BTI".into(), "1L".into())), "{cols:?}");
        }
    }
    assert_eq!(n_rate, n_det);
}

/// Per-camera count columns: (name, values).
type CountColumns = Vec<(String, Vec<i64>)>;

/// INSTRUME, DETIDs and the per-camera count columns of detections.fits.
fn camera_counts(p: &Path) -> (String, Vec<String>, CountColumns) {
    let mut f = FitsFile::open(p).unwrap();
    f.primary_hdu().unwrap();
    let instrume = string_key(&mut f, "INSTRUME");
    let h = f.hdu("DETECTIONS").unwrap();
    let names: Vec<String> = columns(&mut f)
        .into_iter()
        .map(|c| c.0)
        .filter(|c| c.starts_with("COUNTS_"))
        .collect();
    let detid: Vec<String> = h.read_col(&mut f, "DETID").unwrap();
    let cols = names
        .iter()
        .map(|c| (c.clone(), h.read_col::<i64>(&mut f, c).unwrap()))
        .collect();
    (instrume, detid, cols)
}

/// Per-camera counts are named by camera and follow it, not the order of the files: the same
/// observation given as pn, MOS1, MOS2 and as MOS2, pn, MOS1 gives the same COUNTS_PN/M1/M2 for
/// each detection (pn, the larger effective area, collects the most); a MOS-only run has
/// COUNTS_M1 and COUNTS_M2 only.
#[test]
fn camera_columns_follow_the_cameras_not_the_file_order() {
    let d = tempfile::tempdir().unwrap();
    let sim = simulate(d.path());
    let a = detect(d.path(), &sim, "a");
    let b = detect(
        d.path(),
        &[sim[2].clone(), sim[0].clone(), sim[1].clone()],
        "b",
    );
    let (ia, da, ca) = camera_counts(&a.join("detections.fits"));
    let (ib, db, cb) = camera_counts(&b.join("detections.fits"));
    assert_eq!(
        (ia.as_str(), ib.as_str()),
        ("EPN+EMOS1+EMOS2", "EPN+EMOS1+EMOS2")
    );
    let names = |c: &[(String, Vec<i64>)]| c.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ca), ["COUNTS_PN", "COUNTS_M1", "COUNTS_M2"]);
    assert_eq!(names(&cb), names(&ca));
    assert_eq!(
        da, db,
        "the same detections whatever the order of the files"
    );
    assert!(!da.is_empty());
    for k in 0..3 {
        assert_eq!(
            ca[k].1, cb[k].1,
            "{} depends on the order of the files",
            ca[k].0
        );
    }
    let total = |k: usize| ca[k].1.iter().sum::<i64>();
    assert!(
        total(0) > total(1) && total(0) > total(2),
        "pn {} M1 {} M2 {}",
        total(0),
        total(1),
        total(2)
    );
    let m = detect(d.path(), &real_mos(d.path()), "mos");
    let (im, _, cm) = camera_counts(&m.join("detections.fits"));
    assert_eq!(im, "EMOS1+EMOS2");
    assert_eq!(names(&cm), ["COUNTS_M1", "COUNTS_M2"]);
}

/// image.fits holds the 0.2–12 keV counts of the search grid; its celestial WCS (rebuilt here
/// from CRPIX/CRVAL/CDELT) maps each detection's RA/Dec onto the image pixel its sky X/Y gives
/// through the physical coordinates (LTV/LTM), and onto a cell with counts.
#[test]
fn image_fits_wcs_puts_detections_on_their_cells() {
    use exod_core::wcs::{Projection, SkyWcs, WcsParams};
    let d = tempfile::tempdir().unwrap();
    let sim = simulate(d.path());
    let out = detect(d.path(), &sim, "det");
    let lists: Vec<_> = sim
        .iter()
        .map(|p| exod_io::events::read(&d.path().join(p), &Default::default()).unwrap())
        .collect();
    let obs = exod_core::observation::Observation::new(&lists, 20.0).unwrap();
    let band = exod_core::band::Band::parse("0.2-12").unwrap();
    let in_band = obs.energy().iter().filter(|&&e| band.contains(e)).count();

    let mut f = FitsFile::open(out.join("image.fits")).unwrap();
    let h = f.primary_hdu().unwrap();
    let (nx, ny) = (
        number_key(&mut f, "NAXIS1") as usize,
        number_key(&mut f, "NAXIS2") as usize,
    );
    assert_eq!((nx, ny), (obs.grid().nx, obs.grid().ny));
    assert_eq!(number_key(&mut f, "BITPIX"), 32.0);
    let img: Vec<i32> = h.read_image(&mut f).unwrap();
    assert_eq!(img.iter().map(|&c| c as usize).sum::<usize>(), in_band);
    assert_eq!(string_key(&mut f, "CTYPE1"), "RA---TAN");
    assert_eq!(string_key(&mut f, "CTYPE2"), "DEC--TAN");
    assert_eq!(string_key(&mut f, "BUNIT"), "count");
    let k = |f: &mut FitsFile, key: &str| number_key(f, key);
    let wcs = SkyWcs::new(WcsParams {
        projection: Projection::Tan,
        crval: [k(&mut f, "CRVAL1"), k(&mut f, "CRVAL2")],
        crpix: [k(&mut f, "CRPIX1"), k(&mut f, "CRPIX2")],
        cdelt: [k(&mut f, "CDELT1"), k(&mut f, "CDELT2")],
    })
    .unwrap();
    assert!(
        (k(&mut f, "CDELT2") * 3600.0 - 20.0).abs() < 1e-9,
        "20″ cells"
    );
    let (ltv1, ltv2, ltm1, ltm2) = (
        k(&mut f, "LTV1"),
        k(&mut f, "LTV2"),
        k(&mut f, "LTM1_1"),
        k(&mut f, "LTM2_2"),
    );
    let mut t = FitsFile::open(out.join("detections.fits")).unwrap();
    let th = t.hdu("DETECTIONS").unwrap();
    let col = |t: &mut FitsFile, c: &str| -> Vec<f64> { th.read_col(t, c).unwrap() };
    let (ra, dec, x, y) = (
        col(&mut t, "RA"),
        col(&mut t, "DEC"),
        col(&mut t, "X"),
        col(&mut t, "Y"),
    );
    assert!(!ra.is_empty());
    for j in 0..ra.len() {
        let (px, py) = wcs.world_to_pix(ra[j], dec[j]).unwrap();
        let (lx, ly) = (ltm1 * x[j] + ltv1, ltm2 * y[j] + ltv2);
        assert!(
            (px - lx).abs() < 1e-6 && (py - ly).abs() < 1e-6,
            "detection {j}: ({px}, {py}) vs ({lx}, {ly})"
        );
        let (ix, iy) = ((px.round() as usize) - 1, (py.round() as usize) - 1);
        assert!(img[iy * nx + ix] > 0, "detection {j} on an empty cell");
    }
}
