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
        "simulate",
        "--out",
        out.to_str().unwrap(),
        "--seed",
        &seed,
        "--field-seed",
        "77",
        "--exposure",
        "10000",
        "--flares",
        "none",
        "--obsid",
        &obsid,
        "--tstart",
        &tstart,
    ];
    let (sa, sb, sc) = (src(A, rates[0]), src(B, rates[1]), src(C, rates[2]));
    args.extend(["--source", &sa, "--source", &sb, "--source", &sc]);
    if burst {
        args.extend([
            "--bursts",
            "1",
            "--burst-counts",
            "150",
            "--burst-duration",
            "30",
        ]);
    } else {
        args.push("--no-transients");
    }
    common::exod_ok(&args);
    out
}

/// The rows of an ECSV table, cells by column name.
fn rows_of(p: &Path) -> Vec<BTreeMap<String, String>> {
    let (names, rows) = exod_io::ecsv::read_rows(p).unwrap();
    rows.into_iter()
        .map(|r| names.iter().cloned().zip(r).collect())
        .collect()
}

fn alerts(archive: &Path) -> Vec<BTreeMap<String, String>> {
    let p = archive.join("alerts.ecsv");
    if p.exists() {
        rows_of(&p)
    } else {
        vec![]
    }
}

/// `exod longterm INPUT --out OUT`, and the rows of its `longterm.ecsv`.
fn longterm(input: &Path, out: &Path) -> Vec<BTreeMap<String, String>> {
    common::exod_ok(&[
        "longterm",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    rows_of(&out.join("longterm.ecsv"))
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
    (
        r[col("ra")].parse().unwrap(),
        r[col("dec")].parse().unwrap(),
    )
}

fn validate_voevents(folder: &Path) {
    let Some(py) = common::python_with("voeventparse") else {
        return;
    };
    let script = "import sys, voeventparse as vp\nbad = []\nfor f in sys.argv[1:]:\n    with open(f, 'rb') as h:\n        v = vp.load(h)\n    if not vp.valid_as_v2_0(v):\n        bad.append(f)\nprint(len(sys.argv) - 1, 'checked', bad)\nsys.exit(1 if bad else 0)\n";
    let mut files: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".xml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let o = std::process::Command::new(py)
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
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
        assert!(
            on_all_cameras(&cfg, p.0, p.1),
            "{p:?} must be on every camera"
        );
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
        [
            "disappearance",
            "first_detection",
            "high_state",
            "short_term_transient"
        ],
        "{got:#?}"
    );
    let by = |k: &str| got.iter().find(|a| a["kind"] == k).unwrap();
    assert!(near(by("high_state"), A, 10.0));
    assert!(near(by("disappearance"), B, 10.0));
    assert!(near(by("first_detection"), C, 10.0));
    assert!(near(by("short_term_transient"), truth_burst(&e3), 15.0));
    // the figures quoted in docs/alerts.md (see them with --nocapture)
    for a in &got {
        println!(
            "{}: variability {} sigma {}",
            a["kind"], a["variability"], a["sigma"]
        );
    }
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
    // with --reports, an alert links the follow-up report that exists for it
    let detid = std::fs::read_to_string(
        folder.join(format!("{}.json", by("short_term_transient")["alert_id"])),
    )
    .unwrap()
    .split("\"detid\"")
    .nth(1)
    .and_then(|t| t.split("\"value\": \"").nth(1))
    .and_then(|t| t.split('"').next())
    .unwrap()
    .to_string();
    let reports = dir.path().join("reports");
    std::fs::create_dir_all(reports.join(&detid)).unwrap();
    std::fs::write(reports.join(&detid).join("report.html"), "<html></html>").unwrap();
    std::fs::remove_dir_all(&folder).unwrap();
    std::fs::remove_file(ar.join("alerts.ecsv")).unwrap();
    common::exod_ok(&[
        "alert",
        e3.to_str().unwrap(),
        "--archive",
        ar.to_str().unwrap(),
        "--role",
        "test",
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let xml = std::fs::read_to_string(
        folder.join(format!("{}.xml", by("short_term_transient")["alert_id"])),
    )
    .unwrap();
    assert!(
        xml.contains(&format!("{detid}/report.html\" type=\"report\"")),
        "{xml}"
    );
    // exod longterm on the archive: exactly A, B and C are variable, with the same alerts
    let lt = dir.path().join("lt");
    let rows = longterm(&ar, &lt);
    let variable: Vec<_> = rows.iter().filter(|r| r["variable"] == "True").collect();
    assert_eq!(variable.len(), 3, "{variable:?}");
    let mut kinds: Vec<String> = variable.iter().map(|r| r["alerts"].clone()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "disappearance@0999990103",
            "first_detection@0999990103",
            "high_state@0999990103"
        ]
    );
    assert!(lt.join("lc").read_dir().unwrap().count() >= 3);
}

#[test]
fn longterm_reads_a_4xmm_like_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("4xmm.csv");
    // one source at three epochs (the last ×10: its lower bound 0.9e-13 over the lowest upper
    // bound, 1.0e-14 + 0.1e-14, of the first), one steady,
    // one with an upper limit only in its last row (disappearance: 2e-13 − 0.2 against 1e-14)
    std::fs::write(
        &cat,
        "SRCID,RA,DEC,OBS_ID,MJD_START,MJD_STOP,EP_8_FLUX,EP_8_FLUX_ERR,EP_8_FLUX_UL\n\
         1,10.0,20.0,0100000101,51000,51001,1.0e-14,0.1e-14,\n\
         1,10.0,20.0,0100000201,52000,52001,1.1e-14,0.2e-14,\n\
         1,10.00001,20.0,0100000301,53000,53001,1.0e-13,0.1e-13,\n\
         2,10.1,20.0,0100000101,51000,51001,5e-14,1e-14,\n\
         2,10.1,20.0,0100000301,53000,53001,6e-14,1e-14,\n\
         3,10.2,20.0,0100000101,51000,51001,2e-13,0.2e-13,\n\
         3,10.2,20.0,0100000301,53000,53001,,,1e-14\n",
    )
    .unwrap();
    let rows = longterm(&cat, &dir.path().join("lt"));
    assert_eq!(rows.len(), 3);
    let by = |label: &str| rows.iter().find(|r| r["label"] == label).unwrap();
    let v: f64 = by("1")["variability"].parse().unwrap();
    assert!((v - 0.9e-13 / 1.1e-14).abs() < 1e-9, "{v}");
    assert_eq!(by("1")["alerts"], "high_state@0100000301");
    assert_eq!(by("2")["variable"], "False");
    let v3: f64 = by("3")["variability"].parse().unwrap();
    assert!((v3 - 18.0).abs() < 1e-9, "{v3}");
    assert_eq!(by("3")["alerts"], "disappearance@0100000301");
    // a catalogue without fluxes is refused with its name
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "RA,DEC\n1,2\n").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_exod"))
        .args([
            "longterm",
            bad.to_str().unwrap(),
            "--out",
            dir.path().join("x").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("bad.csv") && err.contains("EP_8_FLUX"),
        "{err}"
    );
    assert!(!dir.path().join("x").exists());
}

/// The hand counts of `scripts/oracle_photometry_xga.py` (astropy): obs → (camera, catalogue
/// row) → (N, B, live time).
fn oracle() -> BTreeMap<(String, String, usize), (u64, u64, f64)> {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/oracle_photometry_xga.out");
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let row: usize = f[2].trim_start_matches("row").parse().unwrap();
            (
                (f[0].into(), f[1].into(), row),
                (
                    f[5].parse().unwrap(),
                    f[6].parse().unwrap(),
                    f[7].parse().unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn real_epochs_of_rxcj0958_give_the_photometry_of_the_field_in_both() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real");
    let cat = root.join("xga_0201901401/0201901401_XGA_sources_radec.csv");
    let dir = tempfile::tempdir().unwrap();
    let ar = dir.path().join("archive");
    for (k, e) in ["0201901401", "0201903501"].iter().enumerate() {
        let m1 = root.join(format!("xga_{e}/mos1_exp1_clean_evts.fits.gz"));
        let m2 = root.join(format!("xga_{e}/mos2_exp1_clean_evts.fits.gz"));
        let mut args = vec![
            "alert",
            m1.to_str().unwrap(),
            m2.to_str().unwrap(),
            "--archive",
            ar.to_str().unwrap(),
        ];
        if k == 0 {
            args.extend(["--catalog", cat.to_str().unwrap()]);
        }
        common::exod_ok(&args);
    }
    // the catalogue's positions, by row (1-based, as the oracle names them)
    let (names, rows) = exod_io::ecsv::read_rows(&cat).unwrap();
    let (ira, idec) = (
        names.iter().position(|n| n == "ra_deg").unwrap(),
        names.iter().position(|n| n == "dec_deg").unwrap(),
    );
    let pos: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (r[ira].parse().unwrap(), r[idec].parse().unwrap()))
        .collect();
    let want = oracle();
    let mut checked = 0;
    for e in ["0201901401", "0201903501"] {
        let phot = exod_io::photometry::read(&ar.join(format!("obs/{e}/photometry.fits"))).unwrap();
        assert_eq!(phot.len(), pos.len(), "{e}: every field source measured");
        for p in &phot {
            let row = 1 + pos
                .iter()
                .position(|q| (q.0 - p.ra).abs() < 1e-9 && (q.1 - p.dec).abs() < 1e-9)
                .unwrap();
            let b8 = p.bands.iter().find(|b| b.band.id == 8).unwrap();
            for m in &b8.cameras {
                let Some(&(n, b, live)) = want.get(&(e.to_string(), m.camera.clone(), row)) else {
                    continue;
                };
                assert_eq!(
                    (m.counts, m.bkg_counts),
                    (n, b),
                    "{e} {} row {row}",
                    m.camera
                );
                assert!(
                    (m.live_time - live).abs() < 1e-3,
                    "{e} {} row {row}: {} vs {live}",
                    m.camera,
                    m.live_time
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, want.len(), "every hand count checked");
    // the field is steady at the STONKS threshold: no alert (the largest change, a factor 4.4 in
    // flux, has V = 4.1 < 5 at the 1-sigma bounds)
    assert!(
        !ar.join("alerts.ecsv").exists()
            || common::ecsv_data_lines(&ar.join("alerts.ecsv")).len() == 1
    );
    let epochs = common::ecsv_data_lines(&ar.join("archive/epochs.ecsv"));
    assert_eq!(epochs.len(), 1 + 2 * pos.len());
    // the largest long-term change of the field: one source, below the threshold
    let rows = longterm(&ar, &dir.path().join("lt"));
    let v = |r: &BTreeMap<String, String>| r["variability"].parse::<f64>().unwrap_or(f64::NAN);
    let top = rows
        .iter()
        .filter(|r| v(r).is_finite())
        .max_by(|a, b| v(a).total_cmp(&v(b)))
        .unwrap();
    println!("largest change: {} V = {}", top["source"], v(top));
    assert_eq!(top["source"], "EXOD J095841.1-110430");
    assert!(v(top) > 4.0 && v(top) < 5.0, "{}", v(top));
    let others = rows
        .iter()
        .filter(|r| r["source"] != top["source"])
        .filter_map(|r| Some(v(r)).filter(|x| x.is_finite()));
    assert!(others.fold(0.0f64, f64::max) < 1.2);
}
