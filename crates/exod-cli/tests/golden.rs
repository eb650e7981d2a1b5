//! Golden outputs: `exod demo`, `exod simulate` + `exod detect` (strong flares, exact rule) and
//! `exod detect` on a real MOS epoch must give byte-identical files to the ones recorded in
//! `testdata/golden/manifest.txt` (SHA-256 of every output file).
//!
//! Volatile content is the only thing normalised: `run.json` loses its wall-clock timings
//! (`timings_s`, `runs[].seconds`) before hashing. Every run uses argv[0] = `exod` and paths
//! relative to a scratch directory, so the COMMAND recorded in the outputs is the same on every
//! machine, and SOURCE_DATE_EPOCH = 0, so the DATE of the FITS headers (and their checksums) is
//! the same on every run.
//!
//! The manifest was first written by the code before the crate restructure (issue 8). A change
//! of science output must be deliberate: rerun with `EXOD_UPDATE_GOLDEN=1` and say in the commit
//! which outputs changed and why.
//!
//! Since issue 13 the demo draws source PI from physical spectra through the pn response (its
//! digests were re-recorded then, and it writes `X.rmf`/`X.arf`), while the `simulate` case runs
//! with `--energy-model legacy`: its outputs and the detections on them keep the digests recorded
//! before the restructure, which pins the legacy energy model byte for byte.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn exod(dir: &Path, args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_exod"))
        .arg0("exod")
        .env("SOURCE_DATE_EPOCH", "0")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("exod runs");
    assert!(
        o.status.success(),
        "exod {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn files_under(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(root, &p, out);
        } else {
            out.push(p.strip_prefix(root).expect("under root").to_path_buf());
        }
    }
}

/// run.json without the wall-clock timings.
fn normalised_run_json(bytes: &[u8]) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).expect("run.json is JSON");
    let o = v.as_object_mut().expect("object");
    o.remove("timings_s");
    if let Some(runs) = o.get_mut("runs").and_then(|r| r.as_array_mut()) {
        for r in runs {
            r.as_object_mut().expect("run object").remove("seconds");
        }
    }
    serde_json::to_vec_pretty(&v).expect("serialises")
}

fn digest(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("readable output");
    let bytes = if path.file_name().is_some_and(|n| n == "run.json") {
        normalised_run_json(&bytes)
    } else {
        bytes
    };
    format!("{:x}", Sha256::digest(&bytes))
}

fn produce(dir: &Path) {
    // 1. the demo (simulated observation + search)
    exod(dir, &["demo", "--out", "demo"]);
    // 2. a strong-flare observation with a cluster, searched with the exact rule
    exod(
        dir,
        &[
            "simulate",
            "--seed",
            "7",
            "--out",
            "sim",
            "--flares",
            "strong",
            "--cluster",
            "--bursts",
            "3",
            "--eclipses",
            "1",
            "--energy-model",
            "legacy",
        ],
    );
    let mut ev: Vec<String> = std::fs::read_dir(dir.join("sim"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("EVLI") && n.ends_with(".FTZ"))
        .map(|n| format!("sim/{n}"))
        .collect();
    ev.sort();
    let mut args: Vec<&str> = vec!["detect"];
    args.extend(ev.iter().map(|s| s.as_str()));
    args.extend([
        "--srclist",
        "sim/P0999990101EPX000OBSMLI0000.FTZ",
        "--rule",
        "exact",
        "--tbin",
        "5,50",
        "--out",
        "sim_detect",
    ]);
    exod(dir, &args);
    // 3. a real MOS epoch with the exact rule (7 low-significance detections)
    let real = repo().join("testdata/real/xga_0201903501");
    for f in [
        "mos1_exp1_clean_evts.fits.gz",
        "mos2_exp1_clean_evts.fits.gz",
    ] {
        std::fs::copy(real.join(f), dir.join(f)).expect("copy real list");
    }
    std::fs::copy(
        repo().join("testdata/real/xga_0201901401/0201901401_XGA_sources_radec.csv"),
        dir.join("xga_sources.csv"),
    )
    .expect("copy source list");
    exod(
        dir,
        &[
            "detect",
            "mos1_exp1_clean_evts.fits.gz",
            "mos2_exp1_clean_evts.fits.gz",
            "--srclist",
            "xga_sources.csv",
            "--rule",
            "exact",
            "--out",
            "real_detect",
        ],
    );
}

#[test]
fn outputs_are_byte_identical_to_the_recorded_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    produce(dir);
    let mut files = Vec::new();
    for case in ["demo", "sim", "sim_detect", "real_detect"] {
        files_under(dir, &dir.join(case), &mut files);
    }
    let got: BTreeMap<String, String> = files
        .iter()
        .map(|f| (f.display().to_string(), digest(&dir.join(f))))
        .collect();
    let manifest = repo().join("testdata/golden/manifest.txt");
    if std::env::var_os("EXOD_UPDATE_GOLDEN").is_some() {
        let text: String = got.iter().map(|(f, d)| format!("{d}  {f}\n")).collect();
        std::fs::create_dir_all(manifest.parent().unwrap()).unwrap();
        std::fs::write(&manifest, text).unwrap();
        return;
    }
    let want: BTreeMap<String, String> = std::fs::read_to_string(&manifest)
        .expect("testdata/golden/manifest.txt")
        .lines()
        .map(|l| {
            let (d, f) = l.split_once("  ").expect("digest  path");
            (f.to_string(), d.to_string())
        })
        .collect();
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    let changed: Vec<_> = want
        .iter()
        .filter(|(k, d)| got.get(*k).is_some_and(|g| g != *d))
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && changed.is_empty(),
        "outputs differ from testdata/golden/manifest.txt\n  missing: {missing:?}\n  new: {extra:?}\n  changed: {changed:?}"
    );
    assert!(want.len() > 60, "the manifest covers every output");
}
