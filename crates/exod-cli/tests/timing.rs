//! The timing follow-up end to end: `exod lc` and `exod period` on a simulated observation with
//! a pulsar (0.337 s, pulsed) and a 5000 s sinusoidal modulation (`exod simulate --periodic`),
//! on a detection of `exod detect`, on a TIME-only event file and on the real MOS lists of
//! 0201901401 — checked against the injected truth, direct summation and external readers.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::exod_ok as exod;
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

struct Sim {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    lists: Vec<String>,
    /// truth.ecsv ids of the pulsar and of the 5000 s source
    pulsar: String,
    slow: String,
    det: PathBuf,
}

/// One simulated observation (30 ks) with both periodic sources and a FRED burst, searched once.
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
            "30000",
            "--seed",
            "5",
            "--periodic",
            "0.337:0.4:0.5:pulse",
            "--periodic",
            "5000:0.6:0.05",
            "--bursts",
            "1",
            "--burst-counts",
            "300",
            "--burst-duration",
            "600",
            "--burst-profile",
            "fred",
        ]);
        let mut lists: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            .filter(|p| p.contains("EVLI") && p.ends_with(".FTZ"))
            .collect();
        lists.sort();
        let truth = std::fs::read_to_string(dir.join("truth.ecsv")).unwrap();
        let id_of = |needle: &str| {
            truth
                .lines()
                .find(|l| l.contains(",periodic,") && l.contains(needle))
                .map(|l| l.split(',').next().unwrap().to_string())
                .unwrap()
        };
        let det = d.path().join("det");
        let mut args = vec!["-q", "detect", "--out", s(&det), "--no-plots"];
        args.extend(lists.iter().map(|l| l.as_str()));
        exod(&args);
        Sim {
            pulsar: id_of("period=0.337"),
            slow: id_of("period=5000"),
            dir,
            lists,
            det: det.join("detections.fits"),
            _dir: d,
        }
    })
}

fn json(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// `exod period --json` on the simulated lists for truth source `id`, with `extra` options.
fn period_of(id: &str, extra: &[&str]) -> Value {
    let sim = sim();
    let truth = sim.dir.join("truth.ecsv");
    let mut args = vec![
        "-q",
        "period",
        "--source",
        id,
        "--catalog",
        s(&truth),
        "--name-col",
        "id",
        "--json",
    ];
    args.extend(sim.lists.iter().map(|l| l.as_str()));
    args.extend_from_slice(extra);
    json(&exod(&args))
}

#[test]
fn period_recovers_the_injected_pulsar() {
    let r = period_of(
        &sim().pulsar,
        &["--camera", "pn", "--fmin", "2.9", "--fmax", "3.05"],
    );
    let f = r["best_frequency_hz"].as_f64().unwrap();
    let sf = r["frequency_error_hz"].as_f64().unwrap();
    let f_true = 1.0 / 0.337;
    assert!(sf > 0.0 && sf < 1e-5, "σ_f = {sf}");
    assert!(
        (f - f_true).abs() < 3.0 * sf,
        "f = {f} ± {sf}, injected {f_true}"
    );
    assert!(r["log10_fap"].as_f64().unwrap() < -10.0);
    assert_eq!(r["detected_5sigma"], true);
    assert!(r["n_events"].as_u64().unwrap() > 5000);
    assert!(r["n_trials"].as_f64().unwrap() >= 1.0);
    // the multi-trial FAP is never smaller than the single-trial one
    assert!(r["log10_fap"].as_f64().unwrap() >= r["log10_fap_single"].as_f64().unwrap());
    // the default grid of pn (to 1/(2·2·73.4 ms) for Z²₂, so no harmonic reaches the frame
    // frequency) finds it too
    let d = period_of(&sim().pulsar, &["--camera", "pn"]);
    let f = d["best_frequency_hz"].as_f64().unwrap();
    assert!(
        (f - f_true).abs() < 3.0 * d["frequency_error_hz"].as_f64().unwrap(),
        "{f}"
    );
    assert!((d["fmax_hz"].as_f64().unwrap() - 0.25 / 0.0734).abs() < 1e-3);
    // the MOS frame time (2.6 s) forbids this frequency: pn+MOS are limited to its Nyquist
    let all = period_of(&sim().pulsar, &[]);
    assert!(all["fmax_hz"].as_f64().unwrap() <= 1.0 / 10.4 + 1e-9);
}

#[test]
fn period_recovers_the_5000_s_modulation() {
    // Z²₁ and Lomb–Scargle from 1e-4 Hz (≥ 3 cycles in 30 ks): the period itself
    for extra in [
        [
            "--method", "z2", "--nharm", "1", "--fmin", "1e-4", "--fmax", "0.005",
        ],
        [
            "--method", "ls", "--dt", "100", "--fmin", "1e-4", "--fmax", "0.005",
        ],
    ] {
        let r = period_of(&sim().slow, &extra);
        let p = r["best_period_s"].as_f64().unwrap();
        let sp = r["period_error_s"].as_f64().unwrap();
        assert!(
            (p - 5000.0).abs() < 3.0 * sp && sp < 300.0,
            "{extra:?}: P = {p} ± {sp}"
        );
        assert_eq!(r["detected_3sigma"], true, "{extra:?}");
    }
    // epoch folding, on the pulsar (thousands of cycles; with the 5000 s modulation's 6
    // cycles it cannot tell P from its multiples, as a folded sinusoid at 2P has the same χ²)
    // (band 2.95–2.99 Hz: no f = (p/q)/t_frame with q ≤ 16 there, where frame-quantised pn
    // times take fewer than 16 phases and epoch folding has spurious peaks, see docs/timing.md)
    let ef = period_of(
        &sim().pulsar,
        &[
            "--method", "ef", "--nbin", "16", "--camera", "pn", "--fmin", "2.95", "--fmax", "2.99",
        ],
    );
    let f = ef["best_frequency_hz"].as_f64().unwrap();
    let sf = ef["frequency_error_hz"].as_f64().unwrap();
    assert!((f - 1.0 / 0.337).abs() < 3.0 * sf, "f = {f} ± {sf}");
    assert_eq!(ef["detected_5sigma"], true);
    // pulsed fraction of the 60 % sinusoid (the background in the aperture dilutes it)
    let z = period_of(
        &sim().slow,
        &[
            "--method", "z2", "--nharm", "1", "--fmin", "1e-4", "--fmax", "0.005",
        ],
    );
    let pf = z["pulsed_fraction"].as_f64().unwrap();
    assert!(pf > 0.3 && pf < 0.75, "{pf}");
}

#[test]
fn a_constant_source_is_not_periodic_and_gets_an_upper_limit() {
    let truth = std::fs::read_to_string(sim().dir.join("truth.ecsv")).unwrap();
    let target = truth
        .lines()
        .find(|l| l.contains(",target,"))
        .map(|l| l.split(',').next().unwrap().to_string())
        .unwrap();
    let r = period_of(
        &target,
        &["--camera", "pn", "--fmin", "0.01", "--fmax", "5"],
    );
    assert_eq!(r["detected_3sigma"], false, "{r}");
    let ul = r["pulsed_fraction_upper_limit"].as_f64().unwrap();
    assert!(ul > 0.0 && ul < 0.3, "{ul}");
}

#[test]
fn period_reads_a_time_only_file_and_matches_direct_summation() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../exod-io/tests/data/timing/time_only.fits");
    let ev = exod_io::timing_in::read_event_times(&file).unwrap();
    let t: Vec<f64> = ev
        .times
        .iter()
        .copied()
        .filter(|&x| ev.gti.contains(x))
        .collect();
    let span = ev.gti.span().unwrap();
    let (f1, f2) = (20.0 / (span.1 - span.0), 200.0 / (span.1 - span.0));
    let df = (f2 - f1) / 400.0;
    let r = json(&exod(&[
        "-q",
        "period",
        s(&file),
        "--method",
        "z2",
        "--nharm",
        "2",
        "--fmin",
        &f1.to_string(),
        "--fmax",
        &f2.to_string(),
        "--df",
        &df.to_string(),
        "--json",
    ]));
    assert_eq!(r["n_events"].as_u64().unwrap() as usize, t.len());
    // the highest Z²₂ of the grid, by direct summation
    let n = r["n_frequencies"].as_u64().unwrap() as usize;
    let direct = (0..n)
        .map(|i| exod_core::timing::z2::z2_direct(&t, f1 + i as f64 * df, 2))
        .fold(0.0, f64::max);
    let best = r["best_power"].as_f64().unwrap();
    assert!((best - direct).abs() <= 1e-6 * direct, "{best} vs {direct}");
    for k in ["best_frequency_hz", "n_trials", "log10_fap"] {
        assert!(r[k].is_number(), "{k}");
    }
    for extra in [
        ["--method", "ef", "--nbin", "16"],
        ["--method", "ls", "--dt", "10"],
    ] {
        let mut a = vec!["-q", "period", s(&file), "--json"];
        a.extend_from_slice(&extra);
        let r = json(&exod(&a));
        assert!(r["best_frequency_hz"].as_f64().unwrap() > 0.0);
        assert!(r["log10_fap"].as_f64().unwrap() <= 0.0);
    }
}

#[test]
fn lc_of_the_modulated_source_is_variable_and_readable() {
    let sim = sim();
    let out = sim.dir.parent().unwrap().join("lc_slow");
    let truth = sim.dir.join("truth.ecsv");
    let mut args = vec![
        "-q",
        "lc",
        "--source",
        &sim.slow,
        "--catalog",
        s(&truth),
        "--name-col",
        "id",
        "--tbin",
        "500",
        "--out",
        s(&out),
        "--json",
    ];
    args.extend(sim.lists.iter().map(|l| l.as_str()));
    let r = json(&exod(&args));
    let var = r["variability"].as_array().unwrap();
    let epic = var.iter().find(|v| v["curve"] == "EPIC").unwrap();
    assert!(
        epic["tests"]["chi2_constant"]["log10_p_value"]
            .as_f64()
            .unwrap()
            < -5.0
    );
    // F_var of a 60 % sinusoid is 0.6/√2 ≈ 0.42, diluted by noise and background
    let fv = epic["tests"]["excess_variance"]["f_var"].as_f64().unwrap();
    assert!(fv > 0.25 && fv < 0.6, "{fv}");
    // the blocks follow the modulation: several changes in 6 cycles
    assert!(r["bayesian_blocks"]["edges"].as_array().unwrap().len() >= 6);
    for f in ["lc.fits", "lc.ecsv", "lc.json", "lc.png"] {
        assert!(out.join(f).exists(), "{f}");
    }
    if let Some(fv) = common::fitsverify() {
        let o = Command::new(fv).arg(out.join("lc.fits")).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("0 error(s)"), "{text}");
    }
    if let Some(py) = common::python_with("stingray") {
        let code = format!(
            "from stingray import Lightcurve\nlc = Lightcurve.read({:?}, fmt='hea')\nprint(len(lc.time), lc.dt)",
            out.join("lc.fits").display()
        );
        let o = Command::new(py).args(["-c", &code]).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "60 500.0");
    }
}

#[test]
fn lc_of_a_detection() {
    let sim = sim();
    let out = sim.dir.parent().unwrap().join("lc_det");
    let mut args = vec![
        "-q",
        "lc",
        "--detection",
        "1",
        "--detections",
        s(&sim.det),
        "--tbin",
        "100",
        "--out",
        s(&out),
        "--json",
    ];
    args.extend(sim.lists.iter().map(|l| l.as_str()));
    let r = json(&exod(&args));
    assert!(r["target"]["window"].is_array());
    assert!(r["cameras"].as_array().unwrap().len() >= 2);
}

#[test]
fn lc_and_period_on_the_real_mos_lists() {
    let real = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real/xga_0201901401");
    let (m1, m2) = (
        real.join("mos1_exp1_clean_evts.fits.gz"),
        real.join("mos2_exp1_clean_evts.fits.gz"),
    );
    let out = tempfile::tempdir().unwrap();
    // the XGA source with the most MOS1 events
    let args = |bary: bool| {
        let mut a = vec![
            "-q".to_string(),
            "lc".into(),
            s(&m1).into(),
            s(&m2).into(),
            "--ra".into(),
            "149.671472".into(),
            "--dec".into(),
            "-11.075164".into(),
            "--tbin".into(),
            "200".into(),
            "--out".into(),
            out.path()
                .join(if bary { "b" } else { "t" })
                .display()
                .to_string(),
            "--json".into(),
        ];
        if bary {
            a.push("--barycenter".into());
        }
        a
    };
    let run = |a: Vec<String>| json(&exod(&a.iter().map(|x| x.as_str()).collect::<Vec<_>>()));
    let r = run(args(false));
    let cams = r["cameras"].as_array().unwrap();
    assert_eq!(cams.len(), 2);
    // 728 MOS1 events in the aperture (counted independently by spherical separation)
    assert_eq!(cams[0]["n_src"].as_u64().unwrap(), 728, "{}", cams[0]);
    assert_eq!(r["time"]["timesys"], "TT");
    let b = run(args(true));
    assert_eq!(b["time"]["timesys"], "TDB");
    assert_eq!(b["time"]["timeref"], "SOLARSYSTEM");
    // barycentric times differ by the light travel time across the Earth's orbit (< 500 s)
    let d = b["time"]["start_s"].as_f64().unwrap() - r["time"]["start_s"].as_f64().unwrap();
    assert!(d.abs() > 1.0 && d.abs() < 500.0, "{d}");
    let p = json(&exod(&[
        "-q",
        "period",
        s(&m1),
        s(&m2),
        "--ra",
        "149.671472",
        "--dec",
        "-11.075164",
        "--method",
        "z2",
        "--json",
    ]));
    assert!(p["n_events"].as_u64().unwrap() > 700);
    assert!(p["log10_fap"].as_f64().unwrap() <= 0.0);
}

#[test]
fn bad_inputs_are_clear_errors() {
    let file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../exod-io/tests/data/timing/no_time.fits");
    let o = Command::new(env!("CARGO_BIN_EXE_exod"))
        .args(["period", s(&file), "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no_time.fits") && err.contains("TIME"),
        "{err}"
    );
    // a target off every camera
    let sim = sim();
    let mut a = vec![
        "lc",
        "--ra",
        "10.0",
        "--dec",
        "-40.0",
        "--out",
        "/nonexistent/x",
    ];
    a.extend(sim.lists.iter().map(|l| l.as_str()));
    let o = Command::new(env!("CARGO_BIN_EXE_exod"))
        .args(&a)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no camera covers"));
}
