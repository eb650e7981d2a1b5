//! The real Chandra, eROSITA and NuSTAR lists of `testdata/real` end to end: bursts injected
//! into them (`exod inject`) and what `exod lc`/`exod period` make of the NuSTAR solar list
//! whose WCS is malformed. Every number is checked against an independent count: the bytes of
//! the input file (decompressed here with flate2, parsed here card by card), the truth table.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn exod(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_exod"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("runs")
}

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "exod failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A real file shipped in `testdata/real` (gzip-compressed).
fn real(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real")
        .join(format!("{rel}.gz"))
}

const CHANDRA: &str = "stingray_chandra/chandra_test.fits";
const EROSITA: &str = "erosita_edr_300003/em01_300003_EventList_021_PARTIAL.fits";
const NUSTAR: &str = "nustar_solar_90410111001/nu90410111001A06_cl_sunpos.evt";

/// Three bursts in the Chandra M82 clip (GTI 339469168.6–339470114.0 s): two on empty parts of
/// the S3 subarray strip (sky pixels (4125, 4125) and (4625, 3625)) and one on the M82 source
/// J095552.80+694045.35 (33 events of the clip within 2″).
const CHANDRA_BURSTS: [&str; 3] = [
    "149.08762:69.71925:50:339469300:50",
    "148.89115:69.65079:80:339469600:100",
    "148.97:69.679264:80:339469900:40",
];

/// Three bursts in the eROSITA list (events 624110452.8–624111086.4 s): on the target
/// 1H0707-495, and 14′ and 24′ off axis (sky pixels (12000, 12000) and (-20000, -20000)).
const EROSITA_BURSTS: [&str; 3] = [
    "107.1727:-49.5518:60:624110850:50",
    "106.91439:-49.38472:40:624110600:60",
    "107.60103:-49.82865:50:624110700:40",
];

fn gunzip(p: &Path) -> Vec<u8> {
    let mut out = vec![];
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// One HDU of a FITS file parsed from its bytes: header cards (END excluded) and data bytes.
struct Hdu {
    cards: Vec<String>,
    data: Vec<u8>,
}

impl Hdu {
    fn int(&self, key: &str) -> i64 {
        self.value(key).parse().unwrap()
    }

    fn value(&self, key: &str) -> String {
        let c = self
            .cards
            .iter()
            .find(|c| c[..8].trim_end() == key)
            .unwrap_or_else(|| panic!("no {key}"));
        c[10..]
            .split('/')
            .next()
            .unwrap()
            .trim()
            .trim_matches('\'')
            .trim()
            .to_string()
    }
}

fn hdus(bytes: &[u8]) -> Vec<Hdu> {
    let mut out = vec![];
    let mut pos = 0;
    while pos < bytes.len() {
        let mut cards = vec![];
        loop {
            let c = String::from_utf8_lossy(&bytes[pos..pos + 80]).into_owned();
            pos += 80;
            if c.trim_end() == "END" {
                break;
            }
            cards.push(c);
        }
        pos = pos.div_ceil(2880) * 2880;
        let mut h = Hdu {
            cards,
            data: vec![],
        };
        let n = if h.int("NAXIS") == 0 {
            0
        } else {
            (h.int("NAXIS1") * h.int("NAXIS2")) as usize
        };
        h.data = bytes[pos..pos + n].to_vec();
        pos += n.div_ceil(2880) * 2880;
        out.push(h);
    }
    out
}

fn inject(input: &Path, out: &Path, bursts: &[&str], extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "inject".to_string(),
        input.display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    for b in bursts {
        args.push("--burst".into());
        args.push(b.to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    exod(&refs)
}

/// The truth table: column name → values, one entry per burst.
fn truth(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let (names, rows) = exod_io::ecsv::read_rows(path).unwrap();
    rows.into_iter()
        .map(|r| names.iter().cloned().zip(r).collect())
        .collect()
}

fn num(row: &std::collections::HashMap<String, String>, k: &str) -> f64 {
    row[k].parse().unwrap()
}

/// cfitsio verifies the checksum of HDU `hdu` (1-based): (datasum ok, checksum ok).
fn verify_checksum(path: &Path, hdu: i32) -> (i32, i32) {
    use fitsio::sys as ffi;
    let name = std::ffi::CString::new(path.to_string_lossy().as_bytes()).unwrap();
    let (mut fptr, mut status) = (std::ptr::null_mut(), 0);
    let (mut d, mut h) = (0, 0);
    unsafe {
        ffi::ffdkopn(&mut fptr, name.as_ptr(), 0, &mut status);
        ffi::ffmahd(fptr, hdu, std::ptr::null_mut(), &mut status);
        ffi::ffvcks(fptr, &mut d, &mut h, &mut status);
        ffi::ffclos(fptr, &mut status);
    }
    assert_eq!(status, 0);
    (d, h)
}

/// The injected Chandra clip is the original plus exactly the drawn rows: the primary and GTI
/// HDUs byte-identical, the EVENTS header the same cards but NAXIS2, CHECKSUM, DATASUM and the
/// added HISTORY, every original row unchanged and in order, each appended row inside its
/// burst's time span, near its position, with the columns not set (pha, energy, pi, grade)
/// copied from a real row; checksums valid; `exod info` reads it; byte-identical for a seed.
#[test]
fn injection_into_the_chandra_clip_appends_exactly_the_drawn_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = real(CHANDRA);
    let out = dir.path().join("a/injected.fits");
    ok(&inject(&input, &out, &CHANDRA_BURSTS, &["--seed", "7"]));
    let t = truth(&dir.path().join("a/truth.ecsv"));
    assert_eq!(t.len(), 3);
    let drawn: Vec<usize> = t.iter().map(|r| num(r, "COUNTS") as usize).collect();
    let orig = hdus(&gunzip(&input));
    let new = hdus(&std::fs::read(&out).unwrap());
    assert_eq!(orig.len(), new.len());
    for i in [0, 2] {
        assert_eq!(orig[i].cards, new[i].cards, "HDU {i} header");
        assert_eq!(orig[i].data, new[i].data, "HDU {i} data");
    }
    let (oe, ne) = (&orig[1], &new[1]);
    let changed = ["NAXIS2", "CHECKSUM", "DATASUM"];
    let keep = |cards: &[String]| -> Vec<String> {
        cards
            .iter()
            .filter(|c| {
                !changed.contains(&c[..8].trim_end()) && !c.starts_with("HISTORY exod inject")
            })
            .filter(|c| !c.starts_with("HISTORY n copied"))
            // blank cards are reserved space, which cfitsio fills with the added HISTORY
            .filter(|c| !c.trim().is_empty())
            .cloned()
            .collect()
    };
    assert_eq!(keep(&oe.cards), keep(&ne.cards), "EVENTS cards");
    let history = format!(
        "HISTORY exod inject: {} events of 3 bursts appended (seed 7)",
        drawn.iter().sum::<usize>()
    );
    assert!(ne.cards.iter().any(|c| c.starts_with(&history)));
    let w = 32;
    let n0 = oe.int("NAXIS2") as usize;
    assert_eq!(n0, 4612);
    assert_eq!(ne.int("NAXIS2") as usize, n0 + drawn.iter().sum::<usize>());
    let orows: Vec<&[u8]> = oe.data.chunks(w).collect();
    let nrows: Vec<&[u8]> = ne.data.chunks(w).collect();
    let time = |r: &[u8]| f64::from_be_bytes(r[..8].try_into().unwrap());
    let f32at = |r: &[u8], o: usize| f32::from_be_bytes(r[o..o + 4].try_into().unwrap()) as f64;
    // original rows: a subsequence, in order; the rest are the appended ones
    let (mut j, mut added) = (0, vec![]);
    for r in &nrows {
        if j < n0 && *r == orows[j] {
            j += 1;
        } else {
            added.push(*r);
        }
    }
    assert_eq!(j, n0, "every original row, unchanged and in order");
    assert!(
        nrows.windows(2).all(|p| time(p[0]) <= time(p[1])),
        "sorted by TIME"
    );
    for (k, b) in t.iter().enumerate() {
        let (t0, d) = (num(b, "T0"), num(b, "DURATION"));
        let (x0, y0, hpd) = (num(b, "X"), num(b, "Y"), num(b, "HPD"));
        let rows: Vec<&&[u8]> = added
            .iter()
            .filter(|r| (t0..=t0 + d).contains(&time(r)))
            .collect();
        assert_eq!(rows.len(), drawn[k], "burst {k}: rows inside its span");
        // within 1.5 HPD: 81 % of the King profile of index 1.5
        let near = rows
            .iter()
            .filter(|r| {
                let r = (f32at(r, 10) - x0).hypot(f32at(r, 14) - y0) * 0.492;
                r < 1.5 * hpd
            })
            .count() as f64
            / rows.len() as f64;
        assert!(near > 0.6, "burst {k}: {near} of the events within 1.5 HPD");
        for r in rows {
            assert_eq!(
                i16::from_be_bytes([r[8], r[9]]),
                7,
                "ccd_id of the nearest real event"
            );
            assert!(
                orows.iter().any(|o| o[18..] == r[18..]),
                "pha/energy/pi/grade of a real row"
            );
        }
    }
    assert_eq!(verify_checksum(&out, 2), (1, 1));
    let info = ok(&exod(&["info", out.to_str().unwrap(), "--json"]));
    let v: serde_json::Value = serde_json::from_str(info.lines().next().unwrap()).unwrap();
    assert_eq!(v["events_read"], (n0 + drawn.iter().sum::<usize>()) as u64);
    // the same seed: byte-identical files; the truth rows too
    let again = dir.path().join("b/injected.fits");
    ok(&inject(&input, &again, &CHANDRA_BURSTS, &["--seed", "7"]));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
    assert_eq!(
        exod_io::ecsv::read_rows(&dir.path().join("a/truth.ecsv")).unwrap(),
        exod_io::ecsv::read_rows(&dir.path().join("b/truth.ecsv")).unwrap()
    );
    // another seed draws other events
    let other = dir.path().join("c/injected.fits");
    ok(&inject(&input, &other, &CHANDRA_BURSTS, &["--seed", "8"]));
    assert_ne!(std::fs::read(&out).unwrap(), std::fs::read(&other).unwrap());
}

/// The eROSITA list lost its GTIs: without --gti-from-events the injection is refused, with it
/// the output gains a GTI extension equal to the span of the input's events; the RA/DEC columns
/// of the appended rows agree with their X/Y through the file's SIN WCS.
#[test]
fn injection_into_the_erosita_list_writes_the_gti_of_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let input = real(EROSITA);
    let out = dir.path().join("e.fits");
    let o = inject(&input, &out, &EROSITA_BURSTS, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("--gti-from-events") && err.contains("em01_300003"),
        "{err}"
    );
    assert!(!out.exists());
    ok(&inject(
        &input,
        &out,
        &EROSITA_BURSTS,
        &["--gti-from-events"],
    ));
    let orig = hdus(&gunzip(&input));
    let new = hdus(&std::fs::read(&out).unwrap());
    assert_eq!((orig.len(), new.len()), (2, 3));
    assert_eq!(new[2].value("EXTNAME"), "GTI");
    assert_eq!(new[2].value("HDUCLAS1"), "GTI");
    let w = orig[1].int("NAXIS1") as usize;
    assert_eq!(w, 94);
    let time = |r: &[u8]| f64::from_be_bytes(r[..8].try_into().unwrap());
    let t: Vec<f64> = orig[1].data.chunks(w).map(time).collect();
    let (t0, t1) = t
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    let g = &new[2].data;
    assert_eq!(f64::from_be_bytes(g[..8].try_into().unwrap()), t0);
    assert_eq!(f64::from_be_bytes(g[8..16].try_into().unwrap()), t1);
    assert_eq!(verify_checksum(&out, 3), (1, 1));
    // appended rows: RA/DEC (J with TSCAL 1e-6 → stored as D here, TFORM D) vs X/Y
    let wcs = exod_core::wcs::SkyWcs::new(exod_core::wcs::WcsParams {
        projection: exod_core::wcs::Projection::Sin,
        crval: [107.170417, -49.551667],
        crpix: [0.0, 0.0],
        cdelt: [-1.3888889095849e-05, 1.3888889095849e-05],
    })
    .unwrap();
    let orows: Vec<&[u8]> = orig[1].data.chunks(w).collect();
    let added: Vec<&[u8]> = new[1]
        .data
        .chunks(w)
        .filter(|r| !orows.contains(r))
        .collect();
    let truth = truth(&dir.path().join("truth.ecsv"));
    let drawn: usize = truth.iter().map(|r| num(r, "COUNTS") as usize).sum();
    assert_eq!(added.len(), drawn);
    let d = |r: &[u8], o: usize| f64::from_be_bytes(r[o..o + 8].try_into().unwrap());
    for r in &added {
        // TSCAL2/3 = 1e-6, TZERO = 0: stored RA = RA / 1e-6
        let (ra, dec) = (d(r, 8) * 1e-6, d(r, 16) * 1e-6);
        let (wra, wdec) = wcs.pix_to_world(d(r, 24), d(r, 32)).unwrap();
        let sep = exod_core::wcs::separation_arcsec(ra, dec, wra, wdec);
        assert!(sep < 0.01, "RA/DEC vs X/Y: {sep}″");
        let tm = r[73];
        assert!((5..=7).contains(&tm), "TM_NR {tm}");
    }
    // every appended row inside the GTI written
    assert!(added.iter().all(|r| (t0..=t1).contains(&time(r))));
    // the Chandra clip has GTIs: --gti-from-events is refused there
    let o = inject(
        &real(CHANDRA),
        &dir.path().join("c/c.fits"),
        &CHANDRA_BURSTS,
        &["--gti-from-events"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("has GTI extensions"),
        "{err}"
    );
}

/// Bad input: each refusal names the file or the burst, says what is wrong, writes nothing.
#[test]
fn injection_refuses_bad_bursts_and_files_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.fits");
    let chandra = real(CHANDRA);
    let cases: Vec<(PathBuf, &str, &str)> = vec![
        (
            chandra.clone(),
            "150.5:69.7:50:339469300:50",
            "outside the field",
        ),
        (
            chandra.clone(),
            "149.08762:69.71925:50:339480000:50",
            "outside the GTIs",
        ),
        (
            chandra.clone(),
            "149.08762:69.71925:50:339469300",
            "expected RA:DEC:COUNTS:T0:DURATION",
        ),
        (
            chandra.clone(),
            "149.08762:69.71925:-5:339469300:50",
            "COUNTS = -5",
        ),
        (
            real("erosita_edr_300003/SourceCatalog.fits"),
            CHANDRA_BURSTS[0],
            "EVENTS",
        ),
        (real(NUSTAR), "185.1:-2.2:50:275856520:20", "TCRVL13"),
    ];
    for (file, burst, want) in cases {
        let o = inject(&file, &out, &[burst], &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{burst}: {err}");
        assert!(err.contains(want), "{burst}: {err}");
        assert!(!out.exists() && !dir.path().join("truth.ecsv").exists());
    }
    let o = inject(&chandra, &out, &["149.08762:69.71925:50:339480000:50"], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("chandra_test.fits.gz") && err.contains("burst 1"),
        "{err}"
    );
    // an existing output is kept without --overwrite
    std::fs::write(&out, b"keep").unwrap();
    let o = inject(&chandra, &out, &CHANDRA_BURSTS, &[]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), b"keep");
}

/// `exod lc --ignore-wcs` on the NuSTAR solar list: the counts of every bin are a direct count
/// of the file's TIME column (read here from the decompressed bytes), the live time its GTI ×
/// DEADC; without the option the light curve names the malformed TCRVL; `exod period
/// --ignore-wcs` reads the same events.
#[test]
fn nustar_solar_list_gives_a_whole_field_light_curve_with_positions_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let f = real(NUSTAR);
    let out = dir.path().join("lc");
    let o = exod(&[
        "lc",
        f.to_str().unwrap(),
        "--ignore-wcs",
        "--tbin",
        "10",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    assert!(v["note"]
        .as_str()
        .unwrap()
        .contains("positions of the list were not used"));
    let h = hdus(&gunzip(&f));
    let ev = &h[1];
    let w = ev.int("NAXIS1") as usize;
    let times: Vec<f64> = ev
        .data
        .chunks(w)
        .map(|r| f64::from_be_bytes(r[..8].try_into().unwrap()))
        .collect();
    assert_eq!(times.len(), 9442);
    let g = &h[2].data;
    let (g0, g1) = (
        f64::from_be_bytes(g[..8].try_into().unwrap()),
        f64::from_be_bytes(g[8..16].try_into().unwrap()),
    );
    let mut want = vec![0u64; ((g1 - g0) / 10.0).ceil() as usize];
    for t in &times {
        want[((t - g0) / 10.0).floor() as usize] += 1;
    }
    let file = &v["files"][0];
    let got: Vec<u64> = file["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    assert_eq!(got, want);
    assert_eq!(got.len(), 11);
    let deadc: f64 = ev.value("DEADC").parse().unwrap();
    assert!((file["exposure_s"].as_f64().unwrap() - (g1 - g0) * deadc).abs() < 1e-6);
    for name in ["lc.fits", "lc.ecsv", "lc.json"] {
        assert!(out.join(name).exists(), "{name}");
    }
    // without --ignore-wcs: the reason is the WCS
    let o = exod(&[
        "lc",
        f.to_str().unwrap(),
        "--ra",
        "185.1",
        "--dec",
        "-2.2",
        "--out",
        dir.path().join("no").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("TCRVL13"), "{err}");
    // the period search reads all 9442 events
    let o = exod(&[
        "period",
        f.to_str().unwrap(),
        "--ignore-wcs",
        "--fmin",
        "0.05",
        "--fmax",
        "1",
        "--json",
    ]);
    let p: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(
        p["n_events"].as_u64().or(p["events"].as_u64()),
        Some(9442),
        "{p}"
    );
}

/// The detections of a search: RA, Dec, T_START, T_STOP of every row of detections.ecsv.
fn detections(dir: &Path) -> Vec<[f64; 4]> {
    let (names, rows) = exod_io::ecsv::read_rows(&dir.join("detections.ecsv")).unwrap();
    let col = |n: &str| names.iter().position(|c| c == n).unwrap();
    let (ra, dec, t0, t1) = (col("RA"), col("DEC"), col("T_START"), col("T_STOP"));
    rows.iter()
        .map(|r| [ra, dec, t0, t1].map(|i| r[i].parse::<f64>().unwrap()))
        .collect()
}

fn detect(file: &Path, out: &Path) -> Vec<[f64; 4]> {
    let (f, o) = (file.to_str().unwrap(), out.to_str().unwrap());
    ok(&exod(&["detect", f, "--out", o, "--no-plots"]));
    detections(out)
}

/// Every injected burst is found within 2 cells of its position, in a detection whose interval
/// overlaps the burst; returns how many detections match no burst.
fn recovered(truth_file: &Path, found: &[[f64; 4]], cell: f64) -> usize {
    let t = truth(truth_file);
    let near = |d: &[f64; 4], b: &std::collections::HashMap<String, String>| {
        let sep = exod_core::wcs::separation_arcsec(d[0], d[1], num(b, "RA"), num(b, "DEC"));
        let (t0, t1) = (num(b, "T0"), num(b, "T0") + num(b, "DURATION"));
        sep <= 2.0 * cell && d[2] < t1 && d[3] > t0
    };
    for b in &t {
        let spec = &b["SPEC"];
        assert!(
            found.iter().any(|d| near(d, b)),
            "burst {spec} not recovered: {found:?}"
        );
    }
    found
        .iter()
        .filter(|d| !t.iter().any(|b| near(d, b)))
        .count()
}

/// `exod detect` with the instrument defaults (ACIS: 2″ cells, 0.5–2, 2–7, 0.5–7 keV; t_bin
/// 5, 50, 200 s) finds nothing in the original M82 clip at 3σ and recovers each of the three
/// injected bursts at its position and time, with no other detection.
#[test]
fn detect_recovers_the_bursts_injected_into_the_chandra_clip() {
    let dir = tempfile::tempdir().unwrap();
    assert!(detect(&real(CHANDRA), &dir.path().join("orig")).is_empty());
    let inj = dir.path().join("inj/c.fits");
    ok(&inject(
        &real(CHANDRA),
        &inj,
        &CHANDRA_BURSTS,
        &["--seed", "7"],
    ));
    let found = detect(&inj, &dir.path().join("det"));
    let truth = dir.path().join("inj/truth.ecsv");
    assert_eq!(recovered(&truth, &found, 2.0), 0, "{found:?}");
}

/// The eROSITA list without its GTIs: read as TSTART–TSTOP (50 ks for 634 s of events) its
/// target 1H0707-495 looks like a transient; with the GTI of its events written
/// (`--gti-from-events`, no burst) nothing is found; the three injected bursts are recovered
/// (eROSITA defaults: 20″ cells, 0.2–2.3, 2.3–5, 0.2–5 keV).
#[test]
fn detect_recovers_the_bursts_injected_into_the_erosita_list() {
    let dir = tempfile::tempdir().unwrap();
    let input = real(EROSITA);
    let lost = detect(&input, &dir.path().join("lost"));
    let on_target =
        |d: &[f64; 4]| exod_core::wcs::separation_arcsec(d[0], d[1], 107.1727, -49.5518) < 60.0;
    assert!(!lost.is_empty() && lost.iter().all(on_target), "{lost:?}");
    let gti = dir.path().join("gti/e.fits");
    let (i, g) = (input.to_str().unwrap(), gti.to_str().unwrap());
    ok(&exod(&["inject", i, "--out", g, "--gti-from-events"]));
    assert!(detect(&gti, &dir.path().join("orig")).is_empty());
    let inj = dir.path().join("inj/e.fits");
    let extra = ["--gti-from-events", "--seed", "7"];
    ok(&inject(&input, &inj, &EROSITA_BURSTS, &extra));
    let found = detect(&inj, &dir.path().join("det"));
    let truth = dir.path().join("inj/truth.ecsv");
    assert_eq!(recovered(&truth, &found, 20.0), 0, "{found:?}");
}

/// The NuSTAR solar list is refused by `exod detect` with a message naming the file and the
/// malformed TCRVL.
#[test]
fn detect_refuses_the_nustar_solar_list_for_its_wcs() {
    let dir = tempfile::tempdir().unwrap();
    let (f, o) = (real(NUSTAR), dir.path().join("o"));
    let out = exod(&["detect", f.to_str().unwrap(), "--out", o.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let named = err.contains("nu90410111001A06_cl_sunpos.evt.gz");
    assert!(named && err.contains("TCRVL13 = '0.0'"), "{err}");
    assert!(!o.exists());
}
