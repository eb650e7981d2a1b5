//! The `exod` binary as a user runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn exod(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_exod"))
        .args(args)
        .output()
        .expect("runs")
}

/// A real file shipped in `testdata/real` (gzip-compressed; cfitsio reads it transparently).
fn real(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real")
        .join(format!("{rel}.gz"))
}

#[test]
fn bayes_json_has_the_documented_keys_and_values() {
    let o = exod(&["bayes", "--mu", "1000", "--n", "1139", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!((v["log10_b_peak"].as_f64().unwrap() - 5.940969).abs() < 1e-6);
    assert!(v["log10_b_eclipse"].as_f64().unwrap() < 1.0);
    assert!((v["sigma"].as_f64().unwrap() - 139.0 / 2139f64.sqrt()).abs() < 1e-9);
    let a = &v["amplitude"];
    let (p16, p50, p84) = (
        a["p16"].as_f64().unwrap(),
        a["p50"].as_f64().unwrap(),
        a["p84"].as_f64().unwrap(),
    );
    assert!(p16 < p50 && p50 < p84 && (p50 - 139.0).abs() < 5.0, "{a}");
    let o = exod(&["bayes", "--thresholds", "--sigma", "3", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        format!(
            "{:.4} {:.4}",
            v["peak"].as_f64().unwrap(),
            v["eclipse"].as_f64().unwrap()
        ),
        "5.9410 5.7089"
    );
    // parity changes the decision for the first significant count
    let exact: serde_json::Value =
        serde_json::from_slice(&exod(&["bayes", "--mu", "1", "--n", "9", "--json"]).stdout)
            .unwrap();
    let parity: serde_json::Value = serde_json::from_slice(
        &exod(&["bayes", "--mu", "1", "--n", "9", "--json", "--parity-exod2"]).stdout,
    )
    .unwrap();
    assert_eq!(
        (exact["is_peak"].as_bool(), parity["is_peak"].as_bool()),
        (Some(true), Some(false))
    );
    let bad = exod(&["bayes", "--mu=-1", "--n", "3"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--mu"));
}

#[test]
fn info_reports_real_files_and_rejects_bad_ones_with_the_file_name() {
    let f = real("xga_0201903501/mos2_exp1_clean_evts.fits");
    let o = exod(&["info", "--json", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["instrument"], "EMOS2");
    assert_eq!(v["events_read"], 32339);
    assert_eq!(v["events_kept"], 30208); // independent astropy count, tests/data/real_facts.json
    assert_eq!(v["wcs"]["valid"], true);
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.fits");
    std::fs::write(&bad, b"SIMPLE  = garbage").unwrap();
    let o = exod(&["info", f.to_str().unwrap(), bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("broken.fits"), "{err}");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("EMOS2"),
        "the good file is still reported"
    );
}

fn read_all(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn simulate_is_byte_identical_for_a_seed_and_info_reads_it_back() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for d in [&a, &b] {
        let o = exod(&[
            "simulate",
            "--out",
            d.path().to_str().unwrap(),
            "--seed",
            "1",
            "--exposure",
            "10000",
            "--bursts",
            "2",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (fa, fb) = (read_all(a.path()), read_all(b.path()));
    // 3 event lists, OBSMLI, truth.ecsv, and the response beside each list (X.rmf, X.arf)
    assert_eq!(fa.len(), 11);
    assert_eq!(
        fa.iter()
            .filter(|(n, _)| n.ends_with(".rmf") || n.ends_with(".arf"))
            .count(),
        6
    );
    assert_eq!(fa, fb);
    let pn = a.path().join("P0999990101PNS003PIEVLI0000.FTZ");
    let o = exod(&["info", "--json", pn.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["instrument"], "EPN");
    assert_eq!(v["gti"].as_object().unwrap().len(), 12);
}

#[test]
fn bench_quick_writes_self_describing_ecsv() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().to_str().unwrap();
    for (b, file, cols) in [
        (
            "completeness",
            "completeness.ecsv",
            vec![
                "t_bin",
                "sigma",
                "interval",
                "counts",
                "n_injected",
                "n_detected",
                "fraction",
            ],
        ),
        (
            "false-positives",
            "false_positives.ecsv",
            vec![
                "t_bin",
                "sigma",
                "n_obs",
                "n_obs_with_detection",
                "fraction",
            ],
        ),
        (
            "positions",
            "positions.ecsv",
            vec!["counts", "n", "median_offset_arcsec"],
        ),
    ] {
        let o = exod(&["bench", b, "--quick", "--out", out, "--seed", "5"]);
        assert!(
            o.status.success(),
            "{b}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = std::fs::read_to_string(d.path().join(file)).unwrap();
        assert!(text.starts_with("# %ECSV 1.0"));
        for m in ["command:", "software:", "seed: '5'"] {
            assert!(text.contains(m), "{file} header lacks {m}");
        }
        let (names, rows) = exod_io::ecsv::read_rows(&d.path().join(file)).unwrap();
        for c in cols {
            assert!(names.iter().any(|n| n == c), "{file} has no column {c}");
        }
        assert!(!rows.is_empty());
        // fractions are fractions, counts add up
        if let (Some(i), Some(j), Some(k)) = (
            names.iter().position(|n| n == "fraction"),
            names
                .iter()
                .position(|n| n.starts_with("n_") && n != "n_injected" && n != "n_obs"),
            names.iter().position(|n| n == "n_injected" || n == "n_obs"),
        ) {
            for r in &rows {
                let (num, den): (f64, f64) = (r[j].parse().unwrap(), r[k].parse().unwrap());
                if den > 0.0 {
                    assert!((r[i].parse::<f64>().unwrap() - num / den).abs() < 1e-12);
                }
            }
        }
    }
    assert!(d.path().join("completeness_5sigma.png").exists());
}

/// The real Chandra ACIS clip and eROSITA list are searched with their own instrument's bands
/// and cell (run.json's grid, the detection table's bands); the NuSTAR solar list is refused
/// with the malformed keyword named; an instrument exod has no description for (Chandra HRC,
/// Swift BAT) is refused with a message naming the file and the instrument, instead of being
/// searched with another instrument's rules.
#[test]
fn detect_searches_described_missions_and_refuses_the_others() {
    let out = tempfile::tempdir().unwrap();
    for (rel, cell, band) in [
        ("stingray_chandra/chandra_test.fits", 2.0, "0.5-2"),
        (
            "erosita_edr_300003/em01_300003_EventList_021_PARTIAL.fits",
            20.0,
            "0.2-2.3",
        ),
    ] {
        let o = out.path().join(cell.to_string());
        let r = exod(&[
            "detect",
            real(rel).to_str().unwrap(),
            "--out",
            o.to_str().unwrap(),
        ]);
        assert!(
            r.status.success(),
            "{rel}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let run: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(o.join("run.json")).unwrap()).unwrap();
        assert_eq!(run["grid"]["cell_arcsec"].as_f64(), Some(cell), "{rel}");
        assert_eq!(
            run["parameters"]["cell_arcsec"].as_f64(),
            Some(cell),
            "{rel}"
        );
        // the soft band searched is the instrument's first default band
        let (lo, hi) = band.split_once('-').unwrap();
        let b0 = &run["parameters"]["bands"][0];
        assert_eq!(
            b0["lo_ev"].as_f64(),
            Some(lo.parse::<f64>().unwrap() * 1000.0),
            "{rel}"
        );
        assert_eq!(
            b0["hi_ev"].as_f64(),
            Some(hi.parse::<f64>().unwrap() * 1000.0),
            "{rel}"
        );
        assert_eq!(
            run["parameters"]["bands"].as_array().unwrap().len(),
            3,
            "{rel}"
        );
    }
    let f = real("nustar_solar_90410111001/nu90410111001A06_cl_sunpos.evt");
    let r = exod(&[
        "detect",
        f.to_str().unwrap(),
        "--out",
        out.path().join("n").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success());
    assert!(
        err.contains("nu90410111001A06_cl_sunpos.evt") && err.contains("TCRVL13"),
        "{err}"
    );
    for (telescop, instrume) in [("CHANDRA", "HRC"), ("SWIFT", "BAT")] {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("list.evt");
        minimal_list(&p, telescop, instrume);
        let o = exod(&[
            "detect",
            p.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success());
        assert!(
            err.contains(instrume)
                && err.contains("no instrument description")
                && err.contains("list.evt"),
            "{err}"
        );
        assert!(!dir.path().join("o/detections.fits").exists());
    }
}

/// A two-event list with TIME, X, Y, PI and the given TELESCOP/INSTRUME.
fn minimal_list(p: &std::path::Path, telescop: &str, instrume: &str) {
    use fitsio::tables::{ColumnDataType, ColumnDescription};
    let mut f = fitsio::FitsFile::create(p).open().unwrap();
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
    for n in ["TIME", "X", "Y", "PI"] {
        hdu.write_col(&mut f, n, &[1.0f64, 2.0]).unwrap();
    }
    hdu.write_key(&mut f, "TELESCOP", telescop).unwrap();
    hdu.write_key(&mut f, "INSTRUME", instrume).unwrap();
}

/// The core crate stays free of I/O and plotting: `cargo tree -p exod-core` (normal dependencies,
/// the features actually enabled) contains neither cfitsio (`fitsio`, `fitsio-sys`), `plotters`,
/// `flate2` nor the I/O crate. (Seeded `rand_chacha` draws are allowed since the spectral flux
/// errors and C-stat bootstrap: every draw comes from a caller-given seed.)
#[test]
fn core_crate_depends_on_no_io_plotting_or_rand() {
    let o = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "exod-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tree = String::from_utf8_lossy(&o.stdout);
    let names: std::collections::BTreeSet<&str> =
        tree.lines().filter_map(|l| l.split(' ').next()).collect();
    assert!(
        names.contains("statrs") && names.contains("mapproj"),
        "{names:?}"
    );
    for banned in ["fitsio", "fitsio-sys", "plotters", "flate2", "exod-io"] {
        assert!(
            !names.contains(banned),
            "exod-core depends on {banned}: {names:?}"
        );
    }
}

mod common;

/// The Python with astropy that scripts/test-deps.sh prepares, or None.
fn astropy_python() -> Option<String> {
    common::python_with("astropy")
}

/// The detection tables read back by astropy (an independent reader): ECSV types and units,
/// FITS verification, the same values in both.
#[test]
fn detection_outputs_read_back_with_astropy() {
    let Some(py) = astropy_python() else {
        eprintln!("astropy not available: run the tests through scripts/test-deps.sh");
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let sim = d.path().join("sim");
    let o = exod(&[
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
        sim.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut args: Vec<String> = vec!["detect".into()];
    for e in std::fs::read_dir(&sim).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().contains("EVLI") && p.to_string_lossy().ends_with(".FTZ") {
            args.push(p.display().to_string());
        }
    }
    let out = d.path().join("det");
    args.extend([
        "--no-plots".into(),
        "--out".into(),
        out.display().to_string(),
    ]);
    let o = exod(&args.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/check_outputs_astropy.py");
    let o = Command::new(py).arg(script).arg(&out).output().unwrap();
    assert!(
        o.status.success(),
        "astropy: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["rows"].as_u64().unwrap() >= 4, "{v}");
}

/// An unsupported exposure (timing mode) among the inputs is skipped with a warning naming it;
/// the others are searched.
#[test]
fn detect_skips_unsupported_exposures_and_searches_the_rest() {
    let d = tempfile::tempdir().unwrap();
    let good = real("xga_0201903501/mos1_exp1_clean_evts.fits");
    let timing = d.path().join("timing.fits");
    {
        use std::io::Read;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(real("xga_0201903501/mos2_exp1_clean_evts.fits")).unwrap(),
        )
        .read_to_end(&mut bytes)
        .unwrap();
        std::fs::write(&timing, bytes).unwrap();
        let mut f = fitsio::FitsFile::edit(&timing).unwrap();
        f.hdu("EVENTS").unwrap();
        let (k, v) = (
            std::ffi::CString::new("DATAMODE").unwrap(),
            std::ffi::CString::new("TIMING").unwrap(),
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
    let out = d.path().join("o");
    let o = exod(&[
        "detect",
        good.to_str().unwrap(),
        timing.to_str().unwrap(),
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("skipping") && err.contains("timing.fits") && err.contains("DATAMODE"),
        "{err}"
    );
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["events_per_camera"].as_array().unwrap().len(), 1);
}

/// The command line as the issue asks (exit codes, -q, colour, version) and the remaining
/// reproducers of bad input at the command level: no panic, one clear message, non-zero exit.
#[test]
fn command_line_conventions_and_refusals() {
    let d = tempfile::tempdir().unwrap();
    // --version names the commit
    let o = exod(&["--version"]);
    let v = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && v.contains("commit "), "{v}");
    // a usage error exits with 2
    assert_eq!(exod(&["detect", "--no-such-flag"]).status.code(), Some(2));
    // stderr is not a terminal here: no ANSI colour codes, and -q leaves it empty on success
    let sim = d.path().join("sim");
    let o = exod(&[
        "simulate",
        "--seed",
        "2",
        "--exposure",
        "5000",
        "--out",
        sim.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let files: Vec<String> = std::fs::read_dir(&sim)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.contains("EVLI") && p.ends_with(".FTZ"))
        .collect();
    let mut args: Vec<&str> = vec!["detect"];
    args.extend(files.iter().map(|s| s.as_str()));
    let out = d.path().join("o");
    args.extend(["--no-plots", "--out", out.to_str().unwrap()]);
    let o = exod(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && !err.contains('\u{1b}'), "{err}");
    assert!(
        err.contains("detections"),
        "info line expected without -q: {err}"
    );
    let mut q = vec!["-q"];
    q.extend(args.iter().copied());
    q.push("--overwrite");
    let o = exod(&q);
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // a simulated burst of 10⁹ photons is refused with the limit, not an out-of-memory
    let o = exod(&[
        "simulate",
        "--bursts",
        "1",
        "--burst-counts",
        "1e9",
        "--out",
        d.path().join("big").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("limit") && err.contains("1000000000"), "{err}");
    assert!(!d.path().join("big").exists());
    // the (XMM) completeness benchmark on a Chandra list: refused with its reason, no panic
    let chandra = real("stingray_chandra/chandra_test.fits");
    let o = exod(&[
        "bench",
        "completeness",
        "--quick",
        "--real",
        chandra.to_str().unwrap(),
        "--out",
        d.path().join("b").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("a Chandra list; benchmark it with --mission chandra")
            && err.contains("chandra_test.fits")
            && !err.contains("panicked"),
        "{err}"
    );
}

/// docs/missions.md shows the instrument descriptions as `exod missions` prints them from the
/// code, so the numbers in the docs are the numbers searched with.
#[test]
fn the_missions_doc_table_is_the_code() {
    let o = exod(&["missions"]);
    assert!(o.status.success());
    let table = String::from_utf8(o.stdout).unwrap();
    assert_eq!(table.lines().count(), 8, "{table}");
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/missions.md"),
    )
    .unwrap();
    assert!(
        doc.contains(&table),
        "docs/missions.md does not show `exod missions`:\n{table}"
    );
    let j = exod(&["missions", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 6);
    assert_eq!(
        v[2]["description"]["default_cell_arcsec"].as_f64(),
        Some(2.0)
    );
}
