//! `exod crossmatch` on real catalogues: the pairs and separations of astropy's
//! `search_around_sky` (scripts/oracle_crossmatch.out), XMM-ATLAS against itself moved, the XGA
//! source list of obs 0201901401 against itself, and bad inputs.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn td(p: &str) -> String {
    root().join("testdata/real").join(p).display().to_string()
}

fn exod(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_exod"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run exod")
}

fn ok(args: &[&str]) -> String {
    let o = exod(args);
    assert!(
        o.status.success(),
        "exod {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Columns of an ECSV output by name.
fn ecsv(p: &Path) -> HashMap<String, Vec<String>> {
    let (names, rows) = exod_io::ecsv::read_rows(p).unwrap();
    names
        .iter()
        .enumerate()
        .map(|(k, n)| (n.clone(), rows.iter().map(|r| r[k].clone()).collect()))
        .collect()
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// The oracle's pairs of each case: (source row, catalogue row) → separation.
fn oracle() -> HashMap<String, (usize, HashMap<(usize, usize), f64>)> {
    let text = std::fs::read_to_string(root().join("scripts/oracle_crossmatch.out")).unwrap();
    let mut out: HashMap<String, (usize, HashMap<(usize, usize), f64>)> = HashMap::new();
    for l in text.lines() {
        let w: Vec<&str> = l.split_whitespace().collect();
        match w.first() {
            Some(&"case") => {
                out.insert(w[1].into(), (w[5].parse().unwrap(), HashMap::new()));
            }
            Some(&"pair") => {
                let key = (w[2].parse().unwrap(), w[3].parse().unwrap());
                out.get_mut(w[1])
                    .unwrap()
                    .1
                    .insert(key, w[4].parse().unwrap());
            }
            _ => {}
        }
    }
    out
}

#[test]
fn pairs_and_separations_are_astropys() {
    let cases = [
        (
            "xmmatlas_shifted_10",
            "catalogues/xmmatlas_srclistnew_Legacy.fits.gz",
            "catalogues/xmmatlas_shifted.csv",
            "10",
        ),
        (
            "xmmatlas_shifted_30",
            "catalogues/xmmatlas_srclistnew_Legacy.fits.gz",
            "catalogues/xmmatlas_shifted.csv",
            "30",
        ),
        (
            "m82_shifted_2",
            "catalogues/m82_chandra_sources.csv",
            "catalogues/m82_shifted.csv",
            "2",
        ),
        (
            "erosita_self_15",
            "erosita_edr_300003/SourceCatalog.fits.gz",
            "erosita_edr_300003/SourceCatalog.fits.gz",
            "15",
        ),
        (
            "xmmatlas_m82_60",
            "catalogues/xmmatlas_srclistnew_Legacy.fits.gz",
            "catalogues/m82_chandra_sources.csv",
            "60",
        ),
        (
            "xmmatlas_erosita_60",
            "catalogues/xmmatlas_srclistnew_Legacy.fits.gz",
            "erosita_edr_300003/SourceCatalog.fits.gz",
            "60",
        ),
    ];
    let want = oracle();
    let dir = tempfile::tempdir().unwrap();
    for (name, s, c, r) in cases {
        let out = dir.path().join(name);
        let o = out.display().to_string();
        ok(&[
            "crossmatch",
            &td(s),
            &td(c),
            "--radius",
            r,
            "--no-mc",
            "--prefix",
            "C",
            "--out",
            &o,
        ]);
        let (n, pairs) = &want[name];
        let m = ecsv(&out.join("matches.ecsv"));
        assert_eq!(m["SEP"].len(), *n, "{name}: pair count");
        assert_eq!(pairs.len(), *n);
        for k in 0..*n {
            let i: usize = m["SRC_ROW"][k].parse::<usize>().unwrap() - 1;
            let j: usize = m["CAT_ROW"][k].parse::<usize>().unwrap() - 1;
            let sep: f64 = m["SEP"][k].parse().unwrap();
            let want = pairs
                .get(&(i, j))
                .unwrap_or_else(|| panic!("{name}: pair {i},{j} not astropy's"));
            assert!(
                (sep - want).abs() <= 1e-6,
                "{name}: {i},{j}: {sep} vs {want}"
            );
        }
        let sm = summary(&out);
        let with: usize = pairs
            .keys()
            .map(|p| p.0)
            .collect::<std::collections::HashSet<_>>()
            .len();
        assert_eq!(sm["catalogues"][0]["n_with_match"], with, "{name}");
    }
}

#[test]
fn xmm_atlas_against_itself_moved_7_arcsec() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let o = out.display().to_string();
    let s = td("catalogues/xmmatlas_srclistnew_Legacy.fits.gz");
    let c = td("catalogues/xmmatlas_shifted.csv");
    let table = ok(&["crossmatch", &s, &c, "--radius", "30", "--out", &o]);
    assert!(
        table.contains("XMMATLAS_SHIFTED") && table.contains("chance (shifted)"),
        "{table}"
    );
    let sm = &summary(&out)["catalogues"][0];
    // 590 sources have a counterpart within 30″ (astropy); the chance ones are few: 1,127
    // sources at ~100 per deg² in a 30″ disc expect ≈ 1127 × 100 × π (30/3600)² ≈ 25
    assert_eq!(sm["n_with_match"], 590);
    let chance = sm["expected_spurious"].as_f64().unwrap();
    assert!(chance > 5.0 && chance < 60.0, "{sm}");
    assert!(sm["expected_spurious_std"].as_f64().unwrap() > 0.0);
    assert_eq!(sm["mc_offsets"], 100);
    // nearest: one row per source, its counterpart the same source (row i ↔ row i) when within 30″
    let n = ecsv(&out.join("nearest.ecsv"));
    assert_eq!(n["SRC_ROW"].len(), 1127);
    let p = "XMMATLAS_SHIFTED";
    let same = (0..1127)
        .filter(|&k| n[&format!("{p}_ROW")][k] == n["SRC_ROW"][k])
        .count();
    assert!(
        same >= 560,
        "{same} of 590 nearest counterparts are the moved source itself (rotation: edge sources move ~50″)"
    );
    assert_eq!(n["SRC_ID"][0].len(), 8, "UXID is the identifier");
    // the FITS tables read in astropy with units on every position column
    if let Some(py) = common::python_with("astropy") {
        let code = format!(
            "from astropy.table import Table; m = Table.read('{0}/matches.fits'); n = Table.read('{0}/nearest.fits'); \
             print(len(m), len(n), m['SEP'].unit, m['DRA_COSD'].unit, Table.read('{0}/nearest.ecsv')['{p}_EXPECTED'].description)",
            o
        );
        let r = Command::new(py).args(["-c", &code]).output().unwrap();
        let text = String::from_utf8_lossy(&r.stdout);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        assert!(
            text.starts_with(&format!("{} 1127 arcsec arcsec expected", sm["n_pairs"])),
            "{text}"
        );
    }
}

#[test]
fn xga_source_list_against_itself() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let o = out.display().to_string();
    let s = td("xga_0201901401/0201901401_XGA_sources_radec.csv");
    ok(&[
        "crossmatch",
        &s,
        &s,
        "--prefix",
        "XGA",
        "--columns",
        "ds9_color",
        "--out",
        &o,
    ]);
    let n = ecsv(&out.join("nearest.ecsv"));
    assert_eq!(n["SRC_ROW"].len(), 16);
    for k in 0..16 {
        assert_eq!(
            n["XGA_ROW"][k], n["SRC_ROW"][k],
            "each source is its own nearest counterpart"
        );
        assert_eq!(n["XGA_SEP"][k], "0");
        assert_eq!(n["XGA_RADIUS"][k], "5", "no position errors: the 5″ floor");
        assert!(["red", "green"].contains(&n["XGA_ds9_color"][k].as_str()));
    }
    let sm = &summary(&out)["catalogues"][0];
    assert_eq!(sm["n_with_match"], 16);
    assert_eq!(sm["n_pairs"], 16, "the sources are more than 5″ apart");
    // 16 sources in ~0.2 deg²: no chance counterpart within 5″ over 100 offsets is likely
    assert!(sm["expected_spurious"].as_f64().unwrap() < 0.5, "{sm}");
}

/// (name, ECSV datatype, unit, description) of every column of `matches` and `nearest` of
/// `exod crossmatch S S --prefix XGA --columns ds9_color`.
fn xga_schema() -> [Vec<(&'static str, &'static str, &'static str, String)>; 2] {
    let c = |n, d, u, t: &str| (n, d, u, t.to_string());
    let f = "0201901401_XGA_sources_radec.csv";
    let source = vec![
        c(
            "SRC_ROW",
            "int64",
            "",
            "row of the source in the sources table (1 = first)",
        ),
        c(
            "SRC_ID",
            "string",
            "",
            "identifier of the source (its row when the table has none)",
        ),
        c("SRC_RA", "float64", "deg", "right ascension of the source"),
        c("SRC_DEC", "float64", "deg", "declination of the source"),
    ];
    let mut matches = source.clone();
    matches.extend([
        c("CATALOG", "string", "", "prefix of the catalogue"),
        c(
            "CAT_ROW",
            "int64",
            "",
            "row of the counterpart in its catalogue (1 = first)",
        ),
        c(
            "CAT_RA",
            "float64",
            "deg",
            "right ascension of the counterpart",
        ),
        c(
            "CAT_DEC",
            "float64",
            "deg",
            "declination of the counterpart",
        ),
        c(
            "SEP",
            "float64",
            "arcsec",
            "angular separation of source and counterpart",
        ),
        c(
            "DRA_COSD",
            "float64",
            "arcsec",
            "offset of the counterpart east of the source (xi, = dRA cos Dec)",
        ),
        c(
            "DDEC",
            "float64",
            "arcsec",
            "offset of the counterpart north of the source (eta, = dDec)",
        ),
        c("RADIUS", "float64", "arcsec", "match radius of this pair"),
        c(
            "RANK",
            "int64",
            "",
            "rank of the counterpart by separation (1 = nearest)",
        ),
        c(
            "XGA_ds9_color",
            "string",
            "",
            &format!("ds9_color of the counterpart in {f}"),
        ),
    ]);
    let mut nearest = source;
    nearest.extend([
        c(
            "XGA_N",
            "int64",
            "",
            &format!("number of counterparts in {f}"),
        ),
        c(
            "XGA_ROW",
            "int64",
            "",
            "row of the nearest counterpart (1 = first; 0 = none)",
        ),
        c(
            "XGA_SEP",
            "float64",
            "arcsec",
            "separation of the nearest counterpart (NaN: none)",
        ),
        c(
            "XGA_DRA_COSD",
            "float64",
            "arcsec",
            "offset of the nearest counterpart east (xi, = dRA cos Dec)",
        ),
        c(
            "XGA_DDEC",
            "float64",
            "arcsec",
            "offset of the nearest counterpart north (eta, = dDec)",
        ),
        c(
            "XGA_RADIUS",
            "float64",
            "arcsec",
            "largest match radius of the source",
        ),
        c(
            "XGA_EXPECTED",
            "float64",
            "",
            "expected number of chance counterparts (mean over the shifted positions)",
        ),
        c(
            "XGA_P_CHANCE",
            "float64",
            "",
            "fraction of shifted positions with >= 1 counterpart",
        ),
        c(
            "XGA_ds9_color",
            "string",
            "",
            &format!("ds9_color of the counterpart in {f}"),
        ),
    ]);
    [matches, nearest]
}

/// A keyword of the current HDU of `f` as text, long strings (`CONTINUE`) whole; None if absent.
fn long_key(f: &mut fitsio::FitsFile, key: &str) -> Option<String> {
    let k = std::ffi::CString::new(key).unwrap();
    let mut value: *mut std::os::raw::c_char = std::ptr::null_mut();
    let mut status = 0;
    // SAFETY: cfitsio allocates `value` (freed below with fffree) and writes no comment.
    unsafe {
        fitsio::sys::ffgkls(
            f.as_raw(),
            k.as_ptr(),
            &mut value,
            std::ptr::null_mut(),
            &mut status,
        );
    }
    if status != 0 || value.is_null() {
        return None;
    }
    let v = unsafe { std::ffi::CStr::from_ptr(value) }
        .to_string_lossy()
        .trim_end()
        .to_string();
    unsafe { fitsio::sys::fffree(value.cast(), &mut status) };
    Some(v)
}

#[test]
fn every_column_has_its_unit_and_description_in_fits_and_ecsv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let o = out.display().to_string();
    let s = td("xga_0201901401/0201901401_XGA_sources_radec.csv");
    let cmd = [
        "crossmatch",
        &s,
        &s,
        "--prefix",
        "XGA",
        "--columns",
        "ds9_color",
        "--out",
        &o,
    ];
    ok(&cmd);
    for (name, cols) in ["matches", "nearest"].into_iter().zip(xga_schema()) {
        // ECSV: one header line per column, in order
        let text = std::fs::read_to_string(out.join(format!("{name}.ecsv"))).unwrap();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("# - {name: "))
            .collect();
        assert_eq!(lines.len(), cols.len(), "{name}: {lines:#?}");
        for (l, (n, dt, u, d)) in lines.iter().zip(&cols) {
            let unit = if u.is_empty() {
                String::new()
            } else {
                format!(" unit: '{u}',")
            };
            let want = format!("# - {{name: {n}, datatype: {dt},{unit} description: '{d}'}}");
            assert_eq!(*l, want, "{name}.ecsv");
        }
        assert!(text.contains("# - {command: '"), "{name}.ecsv: provenance");
        // FITS: TTYPE, TFORM (integers 1K, floats 1D, strings wA), TUNIT, TCOMM
        let mut f = fitsio::FitsFile::open(out.join(format!("{name}.fits"))).unwrap();
        f.hdu(name.to_ascii_uppercase().as_str()).unwrap();
        let key = |f: &mut fitsio::FitsFile, k: String| long_key(f, &k);
        assert_eq!(
            key(&mut f, "TFIELDS".into()).map(|v| v.trim().to_string()),
            Some(cols.len().to_string()),
            "{name}.fits"
        );
        for (k, (n, dt, u, d)) in cols.iter().enumerate() {
            let i = k + 1;
            assert_eq!(key(&mut f, format!("TTYPE{i}")).as_deref(), Some(*n));
            let tform = key(&mut f, format!("TFORM{i}")).unwrap();
            match *dt {
                "int64" => assert_eq!(tform, "1K", "{n}"),
                "float64" => assert_eq!(tform, "1D", "{n}"),
                _ => assert!(tform.ends_with('A'), "{n}: {tform}"),
            }
            assert_eq!(
                key(&mut f, format!("TUNIT{i}")).unwrap_or_default(),
                *u,
                "{n}"
            );
            assert_eq!(
                key(&mut f, format!("TCOMM{i}")).as_deref(),
                Some(d.as_str()),
                "{n}"
            );
        }
        for k in ["CREATOR", "DATE", "COMMAND", "SOURCES", "CAT1", "RULE1"] {
            assert!(key(&mut f, k.into()).is_some(), "{name}.fits: no {k}");
        }
        assert_eq!(
            key(&mut f, "DATE".into()).as_deref(),
            Some("2023-11-14T22:13:20")
        );
    }
}

#[test]
fn bad_inputs_fail_naming_the_file_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let o = out.display().to_string();
    let s = td("xga_0201901401/0201901401_XGA_sources_radec.csv");
    let missing = dir
        .path()
        .join("no_such_catalogue.fits")
        .display()
        .to_string();
    let bad_csv = dir.path().join("bad.csv");
    std::fs::write(&bad_csv, "ra,dec\n10.0,abc\n").unwrap();
    let bad_csv = bad_csv.display().to_string();
    let bin2 = td("catalogues/xga_0201901401_binary2.vot");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![&s, &missing], "no_such_catalogue.fits"),
        (vec![&s, &s, "--cat-ra-col", "NOPE"], "NOPE"),
        (vec![&s, &bad_csv], "bad.csv"),
        (vec![&s, &s, "--columns", "NOT_A_COLUMN"], "NOT_A_COLUMN"),
        (vec![&s, &bin2], "BINARY2"),
        (vec![&s, &s, "--mc-offsets", "7"], "--mc-offsets"),
    ];
    for (args, needle) in cases {
        let mut a = vec!["crossmatch"];
        a.extend(args);
        a.extend(["--out", &o]);
        let r = exod(&a);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{a:?}: {err}");
        assert!(err.contains(needle), "{a:?}: {err}");
        assert!(!out.exists(), "{a:?} left an output folder");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains("never"))
            .collect();
        assert!(left.is_empty(), "staging left behind");
    }
}
