//! `exod spectrum` end to end on a small simulated observation: the PHA files exist and pass
//! fitsverify, their counts equal an independent count of the event list's events in the
//! aperture, BACKSCAL and EXPOSURE follow the extraction's areas and live time, time-resolved
//! spectra add up to the whole, and bad inputs are clear errors that leave nothing behind.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::exod_ok as exod;
use exod_io::fits::Fits;
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

struct Sim {
    _dir: tempfile::TempDir,
    root: PathBuf,
    dir: PathBuf,
    lists: Vec<String>,
    target: String,
}

/// One simulated observation (10 ks, no transients, no flares, legacy energies).
fn sim() -> &'static Sim {
    static SIM: OnceLock<Sim> = OnceLock::new();
    SIM.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("obs");
        exod(&[
            "-q",
            "simulate",
            "--out",
            s(&dir),
            "--exposure",
            "10000",
            "--seed",
            "7",
            "--no-transients",
            "--flares",
            "none",
            // no response beside the lists: the canned-RMF path (the simulator's responses are
            // exercised by tests/fit.rs)
            "--energy-model",
            "legacy",
        ]);
        let mut lists: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            .filter(|p| p.contains("EVLI") && p.ends_with(".FTZ"))
            .collect();
        lists.sort();
        let truth = std::fs::read_to_string(dir.join("truth.ecsv")).unwrap();
        let target = truth
            .lines()
            .find(|l| l.contains(",target,"))
            .map(|l| l.split(',').next().unwrap().to_string())
            .unwrap();
        Sim {
            root: d.path().to_path_buf(),
            dir,
            lists,
            target,
            _dir: d,
        }
    })
}

/// The `exod spectrum` arguments for the target with `extra` options and output prefix `out`.
fn args<'a>(sim: &'a Sim, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let truth = Box::leak(
        sim.dir
            .join("truth.ecsv")
            .display()
            .to_string()
            .into_boxed_str(),
    );
    let mut a = vec![
        "-q",
        "spectrum",
        "--source",
        &sim.target,
        "--catalog",
        truth,
        "--name-col",
        "id",
        "--out",
        out,
        "--json",
    ];
    a.extend(sim.lists.iter().map(|l| l.as_str()));
    a.extend_from_slice(extra);
    a
}

fn run_json(a: &[&str]) -> Value {
    let out = exod(a);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Run and expect a failure; its stderr.
fn run_err(a: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_exod"))
        .args(a)
        .output()
        .unwrap();
    assert!(!o.status.success(), "{a:?} succeeded");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

struct Pha {
    counts: Vec<i64>,
    quality: Option<Vec<i64>>,
    grouping: Option<Vec<i64>>,
    num: std::collections::HashMap<String, f64>,
    text: std::collections::HashMap<String, String>,
}

fn read_pha(p: &Path) -> Pha {
    let mut f = Fits::open(p).unwrap();
    f.select("SPECTRUM", "spectrum").unwrap();
    let mut num = std::collections::HashMap::new();
    for k in [
        "EXPOSURE", "ONTIME", "BACKSCAL", "AREASCAL", "CCDID", "SRC_RAD", "SRC_AREA", "BKG_AREA",
        "EEF", "LIVEFRAC", "DETCHANS", "TLMIN1", "TLMAX1", "TSTART", "TSTOP",
    ] {
        if let Some(v) = f.num(k, "").unwrap() {
            num.insert(k.to_string(), v);
        }
    }
    let mut text = std::collections::HashMap::new();
    for k in [
        "HDUCLAS2", "BACKFILE", "RESPFILE", "ANCRFILE", "INSTRUME", "CHANTYPE",
    ] {
        if let Some(v) = f.string(k).unwrap() {
            text.insert(k.to_string(), v);
        }
    }
    let opt = |f: &mut Fits, c: &str| f.column(c).unwrap().map(|_| f.read_all::<i64>(c).unwrap());
    Pha {
        counts: f.read_all("COUNTS").unwrap(),
        quality: opt(&mut f, "QUALITY"),
        grouping: opt(&mut f, "GROUPING"),
        num,
        text,
    }
}

fn fitsverify_clean(p: &Path) {
    if let Some(fv) = common::fitsverify() {
        let o = Command::new(fv).arg(p).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("0 error(s)"), "{}: {text}", p.display());
    }
}

/// Events of the list of `instrume` on `ccd` within `r` arcsec of (ra, dec), in the CCD's GTI
/// and the 0.2–12 keV band, counted directly from the event list.
fn direct_count(
    sim: &Sim,
    instrume: &str,
    ccd: u8,
    ra: f64,
    dec: f64,
    r: f64,
    t: (f64, f64),
) -> usize {
    for l in &sim.lists {
        let e = exod_io::events::read(Path::new(l), &Default::default()).unwrap();
        if e.header().instrument != instrume {
            continue;
        }
        let w = e.wcs().as_ref().unwrap();
        let (x0, y0) = w.world_to_pix(ra, dec).unwrap();
        let pix = w.pixel_arcsec();
        let gti = &e.gti()[&ccd];
        return (0..e.len())
            .filter(|&i| {
                let (x, y) = (e.x()[i] as f64, e.y()[i] as f64);
                let en = e.energy()[i] as f64;
                e.ccd()[i] == ccd
                    && ((x - x0).hypot(y - y0) * pix) < r
                    && gti.contains(e.time()[i])
                    && e.time()[i] >= t.0
                    && e.time()[i] < t.1
                    && (200.0..12_000.0).contains(&en)
            })
            .count();
    }
    panic!("no list of {instrume}");
}

#[test]
fn spectra_of_the_target_match_the_event_list() {
    let sim = sim();
    let out = sim.root.join("sp").join("tgt");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let r = run_json(&args(sim, s(&out), &["--group-min", "20"]));
    let spectra = r["spectra"].as_array().unwrap();
    assert_eq!(spectra.len(), 3, "{r}");
    let (ra, dec) = (
        r["target"]["ra"].as_f64().unwrap(),
        r["target"]["dec"].as_f64().unwrap(),
    );
    for sp in spectra {
        let dir = out.parent().unwrap();
        let src_path = dir.join(sp["src_file"].as_str().unwrap());
        let bkg_path = dir.join(sp["bkg_file"].as_str().unwrap());
        fitsverify_clean(&src_path);
        fitsverify_clean(&bkg_path);
        let src = read_pha(&src_path);
        let bkg = read_pha(&bkg_path);
        let inst = src.text["INSTRUME"].clone();
        // channels: pn 4096 × 5 eV, MOS 800 × 15 eV, from 0
        let n = if inst == "EPN" { 4096 } else { 800 };
        assert_eq!(src.counts.len(), n);
        assert_eq!(
            (src.num["TLMIN1"], src.num["TLMAX1"]),
            (0.0, n as f64 - 1.0)
        );
        assert_eq!(src.text["HDUCLAS2"], "TOTAL");
        assert_eq!(bkg.text["HDUCLAS2"], "BKG");
        assert_eq!(src.text["BACKFILE"], sp["bkg_file"].as_str().unwrap());
        // counts = the events in the aperture, counted from the event list
        let total: i64 = src.counts.iter().sum();
        let ccd = src.num["CCDID"] as u8;
        let want = direct_count(
            sim,
            &inst,
            ccd,
            ra,
            dec,
            src.num["SRC_RAD"],
            (f64::MIN, f64::MAX),
        );
        assert_eq!(total as usize, want, "{inst}");
        assert!(total > 100, "{inst}: {total}");
        assert_eq!(sp["src_counts"].as_i64().unwrap(), total);
        // BACKSCAL: the areas in 0.05″ pixels², their ratio the extraction's
        let pix2 = 0.05f64 * 0.05;
        assert!((src.num["BACKSCAL"] * pix2 / src.num["SRC_AREA"] - 1.0).abs() < 1e-12);
        assert!((bkg.num["BACKSCAL"] * pix2 / src.num["BKG_AREA"] - 1.0).abs() < 1e-12);
        let ratio = src.num["BACKSCAL"] / bkg.num["BACKSCAL"];
        assert!((ratio - src.num["SRC_AREA"] / src.num["BKG_AREA"]).abs() < 1e-12 * ratio);
        // an aperture inside the CCD: its area is the disc's (grid integration, 4e-4)
        let disc = std::f64::consts::PI * src.num["SRC_RAD"].powi(2);
        assert!((src.num["SRC_AREA"] / disc - 1.0).abs() < 2e-3, "{inst}");
        // EXPOSURE: the CCD's good time × live fraction, from the event list
        let e = sim
            .lists
            .iter()
            .map(|l| exod_io::events::read(Path::new(l), &Default::default()).unwrap())
            .find(|e| e.header().instrument == inst)
            .unwrap();
        let gti = e.gti()[&ccd].exposure();
        let lf = exod_core::extract::livetime::live_fraction(e.header(), ccd);
        assert!((src.num["EXPOSURE"] - gti * lf).abs() < 1e-6, "{inst}");
        assert!((src.num["ONTIME"] - gti).abs() < 1e-6);
        assert_eq!(src.num["EXPOSURE"], bkg.num["EXPOSURE"]);
        // QUALITY: channels below 200 eV bad; grouping ≥ 20 counts in every good group
        let q = src.quality.as_ref().unwrap();
        let g = src.grouping.as_ref().unwrap();
        assert_eq!(q[0], 1);
        let mut sum = 0;
        let mut start_good = false;
        for c in 0..n {
            if g[c] == 1 {
                if start_good {
                    assert!(sum >= 20, "{inst}: a group of {sum} counts");
                }
                sum = 0;
                start_good = q[c] == 0;
            }
            sum += src.counts[c];
        }
        // no response beside the events: the canned RMF, no ARF, SAS commands printed
        assert_eq!(src.text["ANCRFILE"], "none");
        assert!(src.text["RESPFILE"].ends_with(".rmf") || src.text["RESPFILE"].ends_with(".rsp"));
    }
    let cmds = r["sas_commands"]["PN"].as_array().unwrap();
    assert!(cmds.iter().any(|c| c
        .as_str()
        .unwrap()
        .starts_with("rmfgen spectrumset=tgt_pn_src.pha")));
    assert!(cmds
        .iter()
        .any(|c| c.as_str().unwrap().contains("detmaptype=psf")));
    // the same run again refuses to overwrite, and does with --overwrite
    let e = run_err(&args(sim, s(&out), &[]));
    assert!(e.contains("exists") && e.contains("--overwrite"), "{e}");
    run_json(&args(sim, s(&out), &["--overwrite"]));
}

#[test]
fn time_resolved_spectra_add_up_to_the_whole() {
    let sim = sim();
    let dir = sim.root.join("tr");
    std::fs::create_dir_all(&dir).unwrap();
    let whole = run_json(&args(sim, s(&dir.join("all")), &["--camera", "pn"]));
    let w = &whole["spectra"][0];
    let (a, b) = (
        w["interval"][0].as_f64().unwrap(),
        w["interval"][1].as_f64().unwrap(),
    );
    let m = 0.5 * (a + b);
    let iv = format!("{a}-{m},{m}-{b}");
    let parts = run_json(&args(
        sim,
        s(&dir.join("part")),
        &["--camera", "pn", "--intervals", &iv],
    ));
    let sp = parts["spectra"].as_array().unwrap();
    assert_eq!(sp.len(), 2);
    let sum = |k: &str| sp.iter().map(|v| v[k].as_f64().unwrap()).sum::<f64>();
    assert_eq!(sum("src_counts"), w["src_counts"].as_f64().unwrap());
    assert_eq!(sum("bkg_counts"), w["bkg_counts"].as_f64().unwrap());
    assert!((sum("exposure_s") - w["exposure_s"].as_f64().unwrap()).abs() < 1e-6);
    // each part's counts against the event list in its interval
    let p1 = read_pha(&dir.join(sp[0]["src_file"].as_str().unwrap()));
    let direct = direct_count(
        sim,
        "EPN",
        p1.num["CCDID"] as u8,
        whole["target"]["ra"].as_f64().unwrap(),
        whole["target"]["dec"].as_f64().unwrap(),
        p1.num["SRC_RAD"],
        (a, m),
    );
    assert_eq!(p1.counts.iter().sum::<i64>() as usize, direct);
    assert!(p1.num["TSTOP"] <= m + 1e-6 && p1.num["TSTART"] >= a - 1e-6);
    // Bayesian blocks: intervals that tile the common good time; counts add up
    let bl = run_json(&args(
        sim,
        s(&dir.join("bl")),
        &["--camera", "pn", "--blocks"],
    ));
    let ivs = bl["intervals"].as_array().unwrap();
    assert!(!ivs.is_empty());
    let total: f64 = bl["spectra"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["src_counts"].as_f64().unwrap())
        .sum();
    assert_eq!(total, w["src_counts"].as_f64().unwrap());
}

#[test]
fn bad_inputs_are_clear_errors_and_leave_nothing() {
    let sim = sim();
    let dir = sim.root.join("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("x");
    // no event in the aperture (a 3″ aperture in a 10 eV band)
    let e = run_err(&args(
        sim,
        s(&out),
        &["--band", "11.99-12", "--src-radius", "3"],
    ));
    assert!(e.contains("no event in the source aperture"), "{e}");
    // an interval outside the good time
    let e = run_err(&args(sim, s(&out), &["--intervals", "10-20"]));
    assert!(
        e.contains("--intervals") && e.contains("no good time"),
        "{e}"
    );
    // a malformed interval, a bad grouping
    let e = run_err(&args(sim, s(&out), &["--intervals", "20-10"]));
    assert!(e.contains("T1 > T0"), "{e}");
    let e = run_err(&args(sim, s(&out), &["--group-min", "0"]));
    assert!(e.contains("--group-min"), "{e}");
    // an output folder that does not exist
    let nowhere = dir.join("missing").join("x");
    let e = run_err(&args(sim, s(&nowhere), &[]));
    assert!(e.contains("does not exist"), "{e}");
    // --group-optimal without a response beside the events
    let e = run_err(&args(sim, s(&out), &["--group-optimal"]));
    assert!(e.contains("response"), "{e}");
    // nothing was left in the output folder
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
