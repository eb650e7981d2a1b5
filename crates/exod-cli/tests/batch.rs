//! `exod batch` on a small archive of simulated observations in both layouts (a PPS tree and
//! flat folders), with a truncated copy of one list and a garbage file named like a pn list:
//! every exposure and unit has its status row, good units equal `exod detect`, reruns reuse,
//! changed parameters recompute, shards and a kill -9 + rerun give byte-identical outputs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const A: &str = "0999990101"; // PPS tree arch/A/pps/
const B: &str = "0999990202"; // flat folder flat/, plus a truncated copy of its M1 list
const C: &str = "0999990303"; // flat folder flat2/, its pn list replaced by garbage

fn exod(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_exod"));
    c.env("SOURCE_DATE_EPOCH", "0").args(args);
    c
}

fn run_ok(args: &[&str]) -> String {
    let o = exod(args).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The archive, made once for all tests.
fn archive() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let sim = |dir: &Path, seed: &str, obsid: &str| {
            std::fs::create_dir_all(dir).unwrap();
            run_ok(&[
                "-q",
                "simulate",
                "--out",
                s(dir),
                "--seed",
                seed,
                "--exposure",
                "3000",
                "--bursts",
                "3",
                "--obsid",
                obsid,
                "--overwrite",
            ]);
        };
        sim(&d.path().join(format!("arch/{A}/pps")), "1", A);
        let flat = d.path().join("flat");
        sim(&flat, "2", B);
        let m1 = std::fs::read(flat.join(format!("P{B}M1S001MIEVLI0000.FTZ"))).unwrap();
        std::fs::write(
            flat.join(format!("P{B}M1S009MIEVLI0000.FTZ")),
            &m1[..m1.len() / 2],
        )
        .unwrap();
        let flat2 = d.path().join("flat2");
        sim(&flat2, "3", C);
        std::fs::write(
            flat2.join(format!("P{C}PNS003PIEVLI0000.FTZ")),
            b"this is not a FITS file\n".repeat(100),
        )
        .unwrap();
        d
    })
    .path()
}

fn inputs() -> Vec<String> {
    ["arch", "flat", "flat2"]
        .iter()
        .map(|n| archive().join(n).display().to_string())
        .collect()
}

fn batch(out: &Path, extra: &[&str]) -> String {
    let mut a: Vec<String> = vec!["batch".into()];
    a.extend(inputs());
    a.extend(["--out".into(), out.display().to_string()]);
    a.extend(extra.iter().map(|s| s.to_string()));
    run_ok(&a.iter().map(|s| s.as_str()).collect::<Vec<_>>())
}

/// status rows keyed by (unit, exposure): (obsid, state, reason, events, detections).
fn status(path: &Path) -> BTreeMap<(String, String), Vec<String>> {
    let (names, rows) = exod_rows(path);
    assert_eq!(
        names,
        [
            "obsid",
            "unit",
            "exposure",
            "state",
            "reason",
            "seconds",
            "events",
            "detections"
        ]
    );
    rows.into_iter()
        .map(|r| {
            (
                (r[1].clone(), r[2].clone()),
                vec![
                    r[0].clone(),
                    r[3].clone(),
                    r[4].clone(),
                    r[6].clone(),
                    r[7].clone(),
                ],
            )
        })
        .collect()
}

fn exod_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let split = |l: &str| -> Vec<String> {
        let mut out = vec![String::new()];
        let mut q = false;
        for c in l.chars() {
            match c {
                '"' => q = !q,
                ',' if !q => out.push(String::new()),
                c => out.last_mut().unwrap().push(c),
            }
        }
        out
    };
    let names = split(lines.next().unwrap());
    (names, lines.map(split).collect())
}

fn state<'a>(
    st: &'a BTreeMap<(String, String), Vec<String>>,
    unit: &str,
    exp: &str,
) -> &'a [String] {
    st.get(&(unit.to_string(), exp.to_string()))
        .unwrap_or_else(|| panic!("no status row ({unit:?}, {exp:?}) in {st:#?}"))
}

mod common;
use common::ecsv_data_lines as data_lines;

fn unit_dirs(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn mtime(p: &Path) -> std::time::SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

#[test]
fn every_exposure_has_its_state_and_good_units_equal_detect() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let log = batch(&out, &["-j", "2"]);
    assert!(log.contains(&format!("{A}_0: done, 3 exposures")), "{log}");
    let st = status(&out.join("status.ecsv"));
    let (a, b, c) = (format!("{A}_0"), format!("{B}_0"), format!("{C}_0"));
    for u in [&a, &b, &c] {
        assert_eq!(state(&st, u, "")[1], "done", "{u}");
    }
    for cam in ["PNS003PIEVLI", "M1S001MIEVLI", "M2S002MIEVLI"] {
        assert_eq!(state(&st, &a, &format!("P{A}{cam}0000.FTZ"))[1], "done");
        assert_eq!(state(&st, &b, &format!("P{B}{cam}0000.FTZ"))[1], "done");
    }
    // the truncated copy and the garbage file: failed before grouping, the reason names them
    let trunc = format!("P{B}M1S009MIEVLI0000.FTZ");
    let r = state(&st, "", &trunc);
    assert_eq!(r[1], "failed");
    assert!(r[2].contains(&trunc), "{r:?}");
    let garbage = format!("P{C}PNS003PIEVLI0000.FTZ");
    let r = state(&st, "", &garbage);
    assert_eq!((r[0].as_str(), r[1].as_str()), (C, "failed"));
    assert!(r[2].contains(&garbage), "{r:?}");
    assert_eq!(
        state(&st, &c, &format!("P{C}M1S001MIEVLI0000.FTZ"))[1],
        "done"
    );
    assert_eq!(st.len(), 3 + 3 + 3 + 2 + 2, "{st:#?}");
    // the unit equals exod detect on the same files with the same label
    let pps = archive().join(format!("arch/{A}/pps"));
    let det = tmp.path().join("detect");
    let mut args: Vec<String> = ["detect"].iter().map(|s| s.to_string()).collect();
    for cam in ["M1S001MIEVLI", "M2S002MIEVLI", "PNS003PIEVLI"] {
        args.push(pps.join(format!("P{A}{cam}0000.FTZ")).display().to_string());
    }
    args.extend([
        "--srclist".into(),
        pps.join(format!("P{A}EPX000OBSMLI0000.FTZ"))
            .display()
            .to_string(),
    ]);
    args.extend(["--no-plots", "--obs-label", &a, "--out", s(&det)].map(String::from));
    run_ok(&args.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    let unit = out.join("runs").join(&a);
    let got = data_lines(&unit.join("detections.ecsv"));
    assert_eq!(got, data_lines(&det.join("detections.ecsv")));
    assert!(got.len() > 1, "the simulated bursts are detected");
    assert_eq!(state(&st, &a, "")[4], (got.len() - 1).to_string());
    // a rerun reuses everything and touches nothing
    let before = mtime(&unit.join("detections.fits"));
    batch(&out, &[]);
    let st2 = status(&out.join("status.ecsv"));
    for u in [&a, &b, &c] {
        assert_eq!(state(&st2, u, "")[1], "reused", "{u}");
    }
    assert_eq!(
        state(&st2, &a, &format!("P{A}PNS003PIEVLI0000.FTZ"))[1],
        "reused"
    );
    assert_eq!(mtime(&unit.join("detections.fits")), before);
    // a changed parameter recomputes
    batch(&out, &["--sigma", "4"]);
    let st3 = status(&out.join("status.ecsv"));
    assert_eq!(state(&st3, &a, "")[1], "done");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(unit.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["parameters"]["sigma"], 4.0);
}

/// The files of each run folder compared for byte identity (run.json holds timings).
fn science(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for u in unit_dirs(out) {
        for f in [
            "detections.fits",
            "lightcurves.fits",
            "detections.ecsv",
            "digest.json",
        ] {
            let p = out.join("runs").join(&u).join(f);
            m.insert(
                format!("{u}/{f}"),
                std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            );
        }
    }
    m
}

#[test]
fn shards_and_a_killed_batch_give_the_outputs_of_one_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    batch(&one, &["-j", "1"]);
    let want = science(&one);
    assert_eq!(want.len(), 3 * 4);
    // two shards into one folder
    let sharded = tmp.path().join("sharded");
    batch(&sharded, &["--shard", "1/2"]);
    batch(&sharded, &["--shard", "2/2"]);
    assert!(
        sharded.join("status-shard-1-of-2.ecsv").exists()
            && sharded.join("status-shard-2-of-2.ecsv").exists()
    );
    assert_eq!(unit_dirs(&sharded), unit_dirs(&one));
    assert!(
        science(&sharded) == want,
        "sharded outputs differ from one batch"
    );
    // kill -9 once the first unit is in place, then rerun
    let killed = tmp.path().join("killed");
    let mut a: Vec<String> = vec!["batch".into()];
    a.extend(inputs());
    a.extend(["--out".into(), s(&killed).into(), "-j".into(), "1".into()]);
    let mut child = exod(&a.iter().map(|s| s.as_str()).collect::<Vec<_>>())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        let done =
            killed.join("runs").exists() && unit_dirs(&killed).iter().any(|n| !n.starts_with('.'));
        if done {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    let st = status(&killed.join("status.ecsv"));
    let pending = st
        .iter()
        .filter(|(k, v)| k.1.is_empty() && v[1] == "pending")
        .count();
    assert!(
        pending > 0,
        "the kill came after the batch finished: {st:#?}"
    );
    let log = batch(&killed, &["-j", "1"]);
    assert!(log.contains("reused"), "{log}");
    assert!(
        unit_dirs(&killed).iter().all(|n| !n.contains(".staging-")),
        "{:?}",
        unit_dirs(&killed)
    );
    assert!(
        science(&killed) == want,
        "killed + rerun outputs differ from one batch"
    );
    let st = status(&killed.join("status.ecsv"));
    assert!(st
        .iter()
        .filter(|(k, _)| k.1.is_empty() && !k.0.is_empty())
        .all(|(_, v)| v[1] == "done" || v[1] == "reused"));
}
