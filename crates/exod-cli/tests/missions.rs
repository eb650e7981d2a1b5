//! `exod simulate --mission` and `exod detect` end to end on every non-XMM mission: the
//! injected burst is found at its position (within the PSF) and time, and the files are the
//! pipelines' (names, read back with the mission's instrument).

mod common;

use common::exod_ok;
use exod_core::search::Kind;
use exod_core::wcs::separation_arcsec;
use exod_sim::mission::{simulate_mission, MissionConfig, SimMission};
use exod_sim::simulate::{Burst, Profile};

/// A 2 ks observation of `m` with one burst of `counts` photons over 40 s.
fn config(m: SimMission, counts: f64) -> MissionConfig {
    let mut c = MissionConfig::new(m);
    c.seed = 21;
    c.exposure = 2000.0;
    c.bursts = vec![Burst {
        counts,
        duration: 40.0,
        profile: Profile::Box,
        position: None,
        t_start: None,
    }];
    c
}

#[test]
fn detect_finds_the_injected_burst_of_every_mission() {
    // counts: found at ≥ 3.5σ in 50 s frames of a 2 ks observation (in so short an observation
    // the burst also raises its own cell's constant-source μ)
    for (m, counts) in [
        (SimMission::Chandra, 80.0),
        (SimMission::Swift, 40.0),
        (SimMission::Nustar, 80.0),
        (SimMission::Erosita, 80.0),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(m, counts);
        let sim = simulate_mission(&cfg, &dir.path().join("sim")).unwrap();
        let b = sim.truth.iter().find(|t| t.kind == "burst").unwrap();
        let out = dir.path().join("det");
        let mut args: Vec<String> = vec!["-q".into(), "detect".into()];
        args.extend(sim.event_files.iter().map(|p| p.display().to_string()));
        args.extend(["--no-plots", "--out"].map(String::from));
        args.push(out.display().to_string());
        exod_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let run = exod_io::detections_in::read_run(&out.join("detections.fits")).unwrap();
        let theta = separation_arcsec(b.ra, b.dec, cfg.ra, cfg.dec) / 60.0;
        let hpd = m.description().psf.hpd_arcsec(theta);
        let best = run
            .detections
            .iter()
            .filter(|d| d.kind == Kind::Peak && d.t_start < b.t_stop && d.t_stop > b.t_start)
            .map(|d| separation_arcsec(d.ra, d.dec, b.ra, b.dec))
            .fold(f64::INFINITY, f64::min);
        assert!(
            best < hpd,
            "{m:?}: nearest peak overlapping the burst in time at {best:.1}″ (HPD {hpd:.1}″ at {theta:.1}′; {} detections)",
            run.detections.len()
        );
        // the search ran in the mission's bands (from its description)
        let d = m.description();
        let full = d.bands_kev[d.bands_kev.len() - 1];
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
        let text = json.to_string();
        assert!(
            text.contains(&format!("{}", full.1)),
            "{m:?}: run.json does not name the band edge {}",
            full.1
        );
    }
}

#[test]
fn simulate_mission_writes_the_pipeline_names_and_refuses_xmm_only_options() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nu");
    let stdout = exod_ok(&[
        "simulate",
        "--mission",
        "nustar",
        "--exposure",
        "1000",
        "--bursts",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    for name in [
        "nu90999001002A01_cl.evt",
        "nu90999001002B01_cl.evt",
        "truth.ecsv",
    ] {
        assert!(out.join(name).exists(), "{name}: {stdout}");
    }
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_exod"))
        .args(["simulate", "--mission", "chandra", "--cluster", "--out"])
        .arg(dir.path().join("c"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--cluster"), "{err}");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_exod"))
        .args(["simulate", "--mission", "rosat", "--out"])
        .arg(dir.path().join("r"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("rosat"), "{err}");
}

/// The per-mission benchmark tables of docs/missions.md are the committed outputs of the
/// commands it quotes (docs/bench/missions/<m>/*.ecsv): every number, in order.
#[test]
fn the_mission_benchmark_tables_are_the_committed_outputs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/missions.md")).unwrap();
    let rows = |p: &std::path::Path| -> Vec<Vec<String>> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .skip(1)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    };
    for (m, name) in [
        ("chandra", "Chandra ACIS-I"),
        ("swift", "Swift-XRT PC"),
        ("nustar", "NuSTAR FPMA+B"),
        ("erosita", "eROSITA TM1–7"),
    ] {
        let dir = root.join("docs/bench/missions").join(m);
        let c = rows(&dir.join("completeness_summary.ecsv"));
        let fmt = |v: &str| match v.parse::<f64>() {
            Ok(x) if x.is_finite() => format!("{x:.1}"),
            _ => "—".into(),
        };
        let mut cells = Vec::new();
        for sigma in ["5", "3"] {
            for t in ["5", "50", "200"] {
                let r = c
                    .iter()
                    .find(|r| r[0] == t && r[1] == sigma && r[2] == "one-bin")
                    .unwrap();
                cells.push(format!("{} / {}", fmt(&r[3]), fmt(&r[4])));
            }
        }
        let want = format!("| {name} | {} |", cells.join(" | "));
        assert!(doc.contains(&want), "{m}: no row {want}");
        let fp = rows(&dir.join("false_positives.ecsv"));
        let pct = |t: &str, s: &str, rule: &str| {
            let r = fp
                .iter()
                .find(|r| r[0] == t && r[1] == s && r[2] == rule)
                .unwrap();
            let f: f64 = r[5].parse().unwrap();
            (format!("{:.2} %", 100.0 * f), r[4].clone(), r[3].clone())
        };
        let mut cells = vec![pct("5", "3", "exod2").2];
        for t in ["5", "50", "200"] {
            for s in ["3", "5"] {
                let (p, n, _) = pct(t, s, "exod2");
                cells.push(format!("{p} ({n})"));
            }
        }
        let exact: Vec<String> = ["5", "50", "200"]
            .iter()
            .map(|t| pct(t, "3", "exact").0)
            .collect();
        cells.push(exact.join(" / "));
        let want = format!("| {name} | {} |", cells.join(" | "));
        assert!(doc.contains(&want), "{m}: no row {want}");
    }
}
