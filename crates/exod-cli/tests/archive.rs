//! The archive chain end to end (paper §2.8, §3): a simulated archive of 50 observations
//! (`exod simulate-archive`: 16 fields, overlapping pointings, one field across RA = 0, one at
//! Dec +80, a transient repeating in two observations, bursts, a flickering pixel at one
//! detector spot in 15 observations, a truncated, a garbage, an unsupported and an empty
//! observation) through `exod batch` → `exod catalog` → `exod crossmatch`, checked against the
//! injected truth; the same archive in 4 shards gives the same catalogue.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use exod_core::sky::separation_arcsec;
use exod_io::table_in::{read_table, ExtTable, TableOptions};

use common::exod_ok as exod;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

struct Run {
    _dir: tempfile::TempDir,
    arch: PathBuf,
    batch: PathBuf,
    cat: PathBuf,
    cat4: PathBuf,
}

/// The archive, searched whole and in 4 shards, and both catalogues: made once for all tests.
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let p = |n: &str| d.path().join(n);
        exod(&[
            "-q",
            "simulate-archive",
            "--out",
            s(&p("arch")),
            "--observations",
            "50",
            "--seed",
            "1",
        ]);
        exod(&["-q", "batch", s(&p("arch")), "--out", s(&p("batch"))]);
        for i in 1..=4 {
            exod(&[
                "-q",
                "batch",
                s(&p("arch")),
                "--out",
                s(&p("batch4")),
                "--shard",
                &format!("{i}/4"),
            ]);
        }
        let truth = p("arch").join("archive_truth.ecsv");
        exod(&[
            "-q",
            "catalog",
            s(&p("batch")),
            "--out",
            s(&p("cat")),
            "--match",
            s(&truth),
            "--columns",
            "kind,obs_id",
        ]);
        exod(&[
            "-q",
            "catalog",
            s(&p("batch4")),
            "--out",
            s(&p("cat4")),
            "--no-plots",
        ]);
        Run {
            arch: p("arch"),
            batch: p("batch"),
            cat: p("cat"),
            cat4: p("cat4"),
            _dir: d,
        }
    })
}

fn table(p: &Path) -> ExtTable {
    read_table(p, &TableOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn col_f(t: &ExtTable, name: &str) -> Vec<f64> {
    t.numbers(t.find(name).unwrap_or_else(|| panic!("no {name}")), name)
        .unwrap()
}

fn col_s(t: &ExtTable, name: &str) -> Vec<String> {
    t.texts(t.find(name).unwrap_or_else(|| panic!("no {name}")))
}

/// Truth rows of `kinds`: (obs_id, kind, ra, dec, epic_x, epic_y).
fn truth(kinds: &[&str]) -> Vec<(String, String, f64, f64, f64, f64)> {
    let t = table(&run().arch.join("archive_truth.ecsv"));
    let (obs, kind) = (col_s(&t, "obs_id"), col_s(&t, "kind"));
    let (ra, dec) = (col_f(&t, "ra"), col_f(&t, "dec"));
    let (ex, ey) = (col_f(&t, "epic_x"), col_f(&t, "epic_y"));
    (0..t.len())
        .filter(|&i| kinds.contains(&kind[i].as_str()))
        .map(|i| (obs[i].clone(), kind[i].clone(), ra[i], dec[i], ex[i], ey[i]))
        .collect()
}

struct Sources {
    ra: Vec<f64>,
    dec: Vec<f64>,
    n_obs: Vec<f64>,
    obsids: Vec<String>,
    hot: Vec<bool>,
}

fn sources() -> Sources {
    let t = table(&run().cat.join("exod_sources.fits"));
    Sources {
        ra: col_f(&t, "RA"),
        dec: col_f(&t, "DEC"),
        n_obs: col_f(&t, "N_OBS"),
        obsids: col_s(&t, "OBSIDS"),
        hot: col_s(&t, "FLAG_HOT_AREA")
            .iter()
            .map(|v| v == "T" || v == "true")
            .collect(),
    }
}

/// Indices of the sources within `r` arcsec of (ra, dec).
fn near(s: &Sources, ra: f64, dec: f64, r: f64) -> Vec<usize> {
    (0..s.ra.len())
        .filter(|&k| separation_arcsec(ra, dec, s.ra[k], s.dec[k]) < r)
        .collect()
}

#[test]
fn every_bad_input_has_its_status_and_the_good_exposures_are_searched() {
    let st = table(&run().batch.join("status.ecsv"));
    let (obs, unit, exp, state, reason) = (
        col_s(&st, "obsid"),
        col_s(&st, "unit"),
        col_s(&st, "exposure"),
        col_s(&st, "state"),
        col_s(&st, "reason"),
    );
    for (o, kind, ..) in truth(&["corrupt", "garbage", "unsupported", "empty"]) {
        let rows: Vec<usize> = (0..st.len()).filter(|&i| obs[i] == o).collect();
        let bad: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| ["failed", "unsupported", "missing"].contains(&state[i].as_str()))
            .collect();
        assert!(
            !bad.is_empty(),
            "{kind} observation {o}: no failed row in status.ecsv"
        );
        for &i in &bad {
            assert!(
                !reason[i].is_empty(),
                "{kind} {o}: a failure without a reason"
            );
            if !exp[i].is_empty() {
                assert!(
                    reason[i].contains(&exp[i]),
                    "{kind} {o}: the reason {:?} does not name {}",
                    reason[i],
                    exp[i]
                );
            }
        }
        if kind == "corrupt" || kind == "garbage" {
            // the other exposures of the observation are still searched
            assert!(
                rows.iter()
                    .any(|&i| exp[i].is_empty() && !unit[i].is_empty() && state[i] == "done"),
                "{kind} {o}: its good exposures were not searched"
            );
        }
    }
    let done = (0..st.len())
        .filter(|&i| exp[i].is_empty() && state[i] == "done")
        .count();
    assert!(done >= 46, "only {done} units done of 46 good observations");
}

#[test]
fn unique_sources_are_the_injected_transients() {
    let s = sources();
    let mut explained = BTreeSet::new();
    for (o, kind, ra, dec, ..) in truth(&["burst"]) {
        let k = near(&s, ra, dec, 10.0);
        assert_eq!(
            k.len(),
            1,
            "burst of {o} at ({ra}, {dec}): {} sources within 10″",
            k.len()
        );
        assert_eq!(s.n_obs[k[0]], 1.0, "{kind} of {o}");
        assert!(!s.hot[k[0]], "a sky burst is not in a hot area");
        explained.insert(k[0]);
    }
    let rep = truth(&["repeat"]);
    assert_eq!(rep.len(), 2);
    let k = near(&s, rep[0].2, rep[0].3, 10.0);
    assert_eq!(k.len(), 1, "the repeating transient is one source");
    assert_eq!(s.n_obs[k[0]], 2.0, "seen in its two observations");
    for r in &rep {
        assert!(
            s.obsids[k[0]].contains(&r.0),
            "{} missing from {}",
            r.0,
            s.obsids[k[0]]
        );
    }
    explained.insert(k[0]);
    for (o, _, ra, dec, ..) in truth(&["hot_pixel"]) {
        let k = near(&s, ra, dec, 10.0);
        assert_eq!(k.len(), 1, "flicker of {o}");
        assert!(s.hot[k[0]], "the flicker of {o} is flagged as a hot area");
        explained.insert(k[0]);
    }
    assert_eq!(
        explained.len(),
        s.ra.len(),
        "a source that was not injected"
    );
}

#[test]
fn the_flickering_pixel_is_found_as_a_hot_area_at_its_detector_position() {
    let flick = truth(&["hot_pixel"]);
    assert!(flick.len() >= 10);
    let (x, y) = (flick[0].4, flick[0].5);
    let h = table(&run().cat.join("exod_hot_areas.ecsv"));
    let (hx, hy, n_obs) = (col_f(&h, "X_EPIC"), col_f(&h, "Y_EPIC"), col_f(&h, "N_OBS"));
    assert!(!hx.is_empty(), "no hot area found");
    for k in 0..hx.len() {
        assert!(
            (hx[k] - x).hypot(hy[k] - y) < 5.0,
            "hot area {k} at ({}, {}) is not the flicker's ({x}, {y})",
            hx[k],
            hy[k]
        );
        assert_eq!(
            n_obs[k] as usize,
            flick.len(),
            "every observation of the flicker"
        );
    }
    // the Parquet tables hold the same rows as the FITS ones (read by pyarrow, as pandas would)
    if let Some(py) = common::python_with("pyarrow") {
        let code = "import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); print(t.num_rows, ','.join(t.column('NAME').to_pylist()))";
        let o = Command::new(py)
            .args(["-c", code])
            .arg(run().cat.join("exod_sources.parquet"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let src = table(&run().cat.join("exod_sources.fits"));
        let want = format!("{} {}\n", src.len(), col_s(&src, "NAME").join(","));
        assert_eq!(String::from_utf8_lossy(&o.stdout), want);
    }
    for f in ["exod_hot_areas.png", "exod_sky_map.png"] {
        assert!(
            std::fs::metadata(run().cat.join(f)).unwrap().len() > 10_000,
            "{f}"
        );
    }
}

use common::ecsv_data_lines as ecsv_body;

#[test]
fn one_shard_and_four_shards_give_the_same_catalogue() {
    let r = run();
    for f in [
        "exod_detections.ecsv",
        "exod_sources.ecsv",
        "exod_hot_areas.ecsv",
        "exod_sources.reg",
    ] {
        let (a, b) = (ecsv_body(&r.cat.join(f)), ecsv_body(&r.cat4.join(f)));
        assert!(a.len() > 1, "{f} is empty");
        assert_eq!(a, b, "{f} differs between 1 and 4 shards");
    }
    // and the shards' run folders are the same set
    let runs = |p: &Path| -> BTreeSet<String> {
        std::fs::read_dir(p.join("runs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into())
            .collect()
    };
    assert_eq!(runs(&r.batch), runs(&r.batch.with_file_name("batch4")));
}

#[test]
fn crossmatch_against_the_truth_finds_every_source_its_transient() {
    let r = run();
    let x = r.cat.with_file_name("xmatch");
    exod(&[
        "-q",
        "crossmatch",
        s(&r.cat.join("exod_sources.fits")),
        s(&r.arch.join("archive_truth.ecsv")),
        "--columns",
        "kind,obs_id",
        "--out",
        s(&x),
    ]);
    let n = table(&x.join("nearest.ecsv"));
    let kinds = col_s(&n, "ARCHIVE_TRUTH_kind");
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for k in &kinds {
        *count.entry(k.clone()).or_default() += 1;
    }
    assert_eq!(kinds.len(), sources().ra.len());
    for (k, c) in &count {
        assert!(
            ["burst", "repeat", "hot_pixel"].contains(&k.as_str()),
            "{c} sources matched to a {k:?}"
        );
    }
    // `exod catalog --match` writes the same cross-match into the catalogue
    for f in ["nearest.ecsv", "matches.ecsv"] {
        assert_eq!(
            ecsv_body(&r.cat.join("crossmatch").join(f)),
            ecsv_body(&x.join(f)),
            "{f}"
        );
    }
    // obsids keep their leading zero through the ECSV reader
    assert!(col_s(&n, "ARCHIVE_TRUTH_obs_id")
        .iter()
        .all(|o| o.len() == 10 && o.starts_with('0')));
}

/// fitsverify passes every FITS file of the catalogue and of its cross-match: no error, no
/// warning (checksums included).
#[test]
fn every_catalogue_fits_file_passes_fitsverify() {
    let Some(fv) = common::fitsverify() else {
        return;
    };
    let c = &run().cat;
    let files = [
        c.join("exod_detections.fits"),
        c.join("exod_sources.fits"),
        c.join("exod_lightcurves.fits"),
        c.join("crossmatch/matches.fits"),
        c.join("crossmatch/nearest.fits"),
    ];
    for p in &files {
        let o = Command::new(&fv).arg(p).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success() && text.contains("Verification found 0 warning(s) and 0 error(s)"),
            "fitsverify {}:\n{text}",
            p.display()
        );
    }
}
