//! `exod alert`: simulated epochs of one field with a source that brightens ×10, one that
//! disappears, one that appears and a burst give exactly those alerts; a replay gives none; the
//! VOEvents validate against the VOEvent 2.0 schema (voevent-parse); the real RXCJ0958 epochs
//! give the photometry of the field's sources in both.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use exod_sim::simulate::{on_all_cameras, SimConfig};

/// The three fixed sources (RA, Dec): A brightens, B disappears, C appears.
const A: (f64, f64) = (150.1691, 2.2391);
const B: (f64, f64) = (150.0691, 2.2558);
const C: (f64, f64) = (150.1525, 2.1391);

fn simulate(dir: &Path, k: usize, rates: [f64; 3], burst: bool) -> PathBuf {
    let out = dir.join(format!("e{k}"));
    let src = |p: (f64, f64), r: f64| format!("{}:{}:{}", p.0, p.1, r);
    let obsid = format!("09999901{:02}", k);
    let tstart = format!("{}", 7.0e8 + k as f64 * 40.0 * 86_400.0);
    let seed = format!("{}", 100 + k);
    let mut args = vec![
        "simulate", "--out", out.to_str().unwrap(), "--seed", &seed, "--field-seed", "77",
        "--exposure", "10000", "--flares", "none", "--obsid", &obsid, "--tstart", &tstart,
    ];
    let (sa, sb, sc) = (src(A, rates[0]), src(B, rates[1]), src(C, rates[2]));
    args.extend(["--source", &sa, "--source", &sb, "--source", &sc]);
    if burst {
        args.extend(["--bursts", "1", "--burst-counts", "150", "--burst-duration", "30"]);
    } else {
        args.push("--no-transients");
    }
    common::exod_ok(&args);
    out
}

fn alerts(archive: &Path) -> Vec<BTreeMap<String, String>> {
    let p = archive.join("alerts.ecsv");
    if !p.exists() {
        return vec![];
    }
    let (names, rows) = exod_io::ecsv::read_rows(&p).unwrap();
    rows.into_iter()
        .map(|r| names.iter().cloned().zip(r).collect())
        .collect()
}

fn near(a: &BTreeMap<String, String>, p: (f64, f64), arcsec: f64) -> bool {
    let ra: f64 = a["ra"].parse().unwrap();
    let dec: f64 = a["dec"].parse().unwrap();
    exod_core::wcs::separation_arcsec(ra, dec, p.0, p.1) < arcsec
}

fn run_alert(epoch: &Path, archive: &Path) -> String {
    common::exod_ok(&[
        "alert",
        epoch.to_str().unwrap(),
        "--archive",
        archive.to_str().unwrap(),
        "--role",
        "test",
    ])
}

fn truth_burst(epoch: &Path) -> (f64, f64) {
    let (names, rows) = exod_io::ecsv::read_rows(&epoch.join("truth.ecsv")).unwrap();
    let col = |n: &str| names.iter().position(|x| x == n).unwrap();
    let r = rows.iter().find(|r| r[col("kind")] == "burst").unwrap();
    (r[col("ra")].parse().unwrap(), r[col("dec")].parse().unwrap())
}

fn validate_voevents(folder: &Path) {
    let Some(py) = common::python_with("voeventparse") else { return };
    let script = "import sys, voeventparse as vp\nbad = []\nfor f in sys.argv[1:]:\n    with open(f, 'rb') as h:\n        v = vp.load(h)\n    if not vp.valid_as_v2_0(v):\n        bad.append(f)\nprint(len(sys.argv) - 1, 'checked', bad)\nsys.exit(1 if bad else 0)\n";
    let mut files: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".xml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let o = std::process::Command::new(py).arg("-c").arg(script).args(&files).output().unwrap();
    assert!(
        o.status.success(),
        "VOEvent 2.0 schema: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn simulated_epochs_give_exactly_the_expected_alerts_and_replay_none() {
    let cfg = SimConfig::default();
    for p in [A, B, C] {
        assert!(on_all_cameras(&cfg, p.0, p.1), "{p:?} must be on every camera");
    }
    let dir = tempfile::tempdir().unwrap();
    let e1 = simulate(dir.path(), 1, [0.03, 0.05, 0.0], false);
    let e2 = simulate(dir.path(), 2, [0.03, 0.05, 0.0], false);
    let e3 = simulate(dir.path(), 3, [0.3, 0.0, 0.05], true);
    let ar = dir.path().join("archive");
    run_alert(&e1, &ar);
    run_alert(&e2, &ar);
    assert_eq!(alerts(&ar).len(), 0, "steady epochs: {:?}", alerts(&ar));
    run_alert(&e3, &ar);
    let got = alerts(&ar);
    let mut kinds: Vec<&str> = got.iter().map(|a| a["kind"].as_str()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["disappearance", "first_detection", "high_state", "short_term_transient"],
        "{got:#?}"
    );
    let by = |k: &str| got.iter().find(|a| a["kind"] == k).unwrap();
    assert!(near(by("high_state"), A, 10.0));
    assert!(near(by("disappearance"), B, 10.0));
    assert!(near(by("first_detection"), C, 10.0));
    assert!(near(by("short_term_transient"), truth_burst(&e3), 15.0));
    for k in ["high_state", "disappearance", "first_detection"] {
        let v: f64 = by(k)["variability"].parse().unwrap();
        assert!(v >= 5.0, "{k}: variability {v}");
    }
    assert_eq!(by("high_state")["compared_obs"].len(), 10);
    // every alert has its files; replaying the observation changes none and adds none
    let folder = ar.join("alerts");
    let snapshot: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    for a in &got {
        for ext in ["xml", "json"] {
            assert!(folder.join(format!("{}.{ext}", a["alert_id"])).exists());
        }
    }
    let table = std::fs::read(ar.join("alerts.ecsv")).unwrap();
    let out = run_alert(&e3, &ar);
    assert!(out.contains("0 new, 4 already emitted"), "{out}");
    assert_eq!(std::fs::read(ar.join("alerts.ecsv")).unwrap(), table);
    let again: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    assert_eq!(snapshot, again);
    let obs = common::ecsv_data_lines(&ar.join("archive/observations.ecsv"));
    assert_eq!(obs.len(), 4, "3 observations once each: {obs:?}");
    validate_voevents(&folder);
}
