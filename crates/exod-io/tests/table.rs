//! Catalogue tables written as FITS, ECSV and Parquet, read back by independent readers
//! (astropy for FITS and ECSV, pyarrow for Parquet; `scripts/test-deps.sh` installs them in
//! target/py-venv) and by exod's own FITS reader.

use std::path::PathBuf;
use std::process::Command;

use exod_io::context::KeyValue;
use exod_io::table::{self, Table};

fn python() -> Option<String> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/py-venv/bin/python");
    let exe = std::env::var("EXOD_PYTHON").unwrap_or_else(|_| venv.display().to_string());
    let ok = Command::new(&exe)
        .args(["-c", "import astropy, pyarrow"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok && std::env::var_os("CI").is_some() {
        panic!("CI: astropy and pyarrow are required (scripts/test-deps.sh)");
    }
    ok.then_some(exe)
}

fn sample() -> Table {
    let mut t = Table::new("SOURCES");
    t.i64("SRCID", "", "source number", vec![1, 2, 3]);
    t.str(
        "NAME",
        "IAU name",
        vec![
            "EXOD J000000.0+000000".into(),
            "EXOD J235959.9-895959".into(),
            "x".into(),
        ],
    );
    t.f64(
        "RA",
        "deg",
        "right ascension",
        vec![0.0, 359.9999, f64::NAN],
    );
    t.bool("FLAG_HOT", "in a hot area", vec![true, false, true]);
    t.keyword("LINK", 20.0, "linking length (arcsec)");
    t
}

const READ: &str = r#"
import sys, json, math, warnings
warnings.simplefilter("ignore")
from astropy.table import Table
import pyarrow.parquet as pq
out = {}
for fmt, p in (("fits", sys.argv[1]), ("ecsv", sys.argv[2])):
    t = Table.read(p, hdu="SOURCES") if fmt == "fits" else Table.read(p, format="ascii.ecsv")
    out[fmt] = {
        "names": t.colnames,
        "srcid": [int(x) for x in t["SRCID"]],
        "name": [str(x) for x in t["NAME"]],
        "ra": [None if math.isnan(float(x)) else float(x) for x in t["RA"]],
        "hot": [bool(x) for x in t["FLAG_HOT"]],
        "unit_ra": str(t["RA"].unit),
        "desc_ra": t["RA"].description if fmt == "ecsv" else None,
        "link": float(t.meta.get("LINK", t.meta.get("link", "nan"))),
    }
pt = pq.read_table(sys.argv[3])
md = {k.decode(): v.decode() for k, v in pt.schema.metadata.items()}
out["parquet"] = {
    "names": pt.column_names,
    "srcid": pt.column("SRCID").to_pylist(),
    "name": pt.column("NAME").to_pylist(),
    "ra": [None if math.isnan(x) else x for x in pt.column("RA").to_pylist()],
    "hot": pt.column("FLAG_HOT").to_pylist(),
    "unit_ra": md["exod:unit:RA"],
    "desc_ra": md["exod:description:RA"],
    "link": float(md["LINK"]),
}
print(json.dumps(out))
"#;

#[test]
fn the_three_formats_hold_the_same_columns_units_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let t = sample();
    let prim = vec![(
        "CREATOR".to_string(),
        KeyValue::from("exod test"),
        "program".to_string(),
    )];
    let (pf, pe, pp) = (
        dir.path().join("s.fits"),
        dir.path().join("s.ecsv"),
        dir.path().join("s.parquet"),
    );
    table::write_fits(&pf, &[&t], &prim, "2026-12-01T00:00:00").unwrap();
    table::write_ecsv(&pe, &t, &prim).unwrap();
    table::write_parquet(&pp, &t, &prim).unwrap();
    // exod's own reader
    let mut f = exod_io::fits::Fits::open(&pf).unwrap();
    f.select("SOURCES", "test").unwrap();
    assert_eq!(f.read_strings("NAME").unwrap()[1], "EXOD J235959.9-895959");
    assert_eq!(f.read_bools("FLAG_HOT").unwrap(), vec![true, false, true]);
    assert_eq!(f.read_all::<i64>("SRCID").unwrap(), vec![1, 2, 3]);
    let Some(py) = python() else { return };
    let o = Command::new(py)
        .args(["-c", READ])
        .args([&pf, &pe, &pp])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for fmt in ["fits", "ecsv", "parquet"] {
        let r = &v[fmt];
        assert_eq!(
            r["names"],
            serde_json::json!(["SRCID", "NAME", "RA", "FLAG_HOT"]),
            "{fmt}"
        );
        assert_eq!(r["srcid"], serde_json::json!([1, 2, 3]), "{fmt}");
        assert_eq!(r["name"][1], "EXOD J235959.9-895959", "{fmt}");
        assert_eq!(r["ra"], serde_json::json!([0.0, 359.9999, null]), "{fmt}");
        assert_eq!(r["hot"], serde_json::json!([true, false, true]), "{fmt}");
        assert_eq!(r["unit_ra"], "deg", "{fmt}");
        assert_eq!(r["link"], 20.0, "{fmt}");
    }
    assert_eq!(v["ecsv"]["desc_ra"], "right ascension");
    assert_eq!(v["parquet"]["desc_ra"], "right ascension");
}

#[test]
fn a_table_written_twice_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let t = sample();
    let mut bytes = Vec::new();
    for k in 0..2 {
        let p = dir.path().join(format!("{k}.parquet"));
        table::write_parquet(&p, &t, &[]).unwrap();
        let f = dir.path().join(format!("{k}.fits"));
        table::write_fits(&f, &[&t], &[], "2026-12-01T00:00:00").unwrap();
        bytes.push((std::fs::read(p).unwrap(), std::fs::read(f).unwrap()));
    }
    assert_eq!(bytes[0], bytes[1]);
}
