//! The catalogue and cross-match on REAL data: the two XMM-Newton MOS epochs of the XGA field
//! (0201901401 and 0201903501, `testdata/real/`) searched with `exod detect`, merged by
//! `exod catalog`, and the XGA source list matched against the catalogue with
//! `exod crossmatch`; every pair and separation is checked against astropy's
//! `search_around_sky` run on the same files.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn real(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real")
        .join(p)
}

use common::exod_ok as exod;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const ASTROPY: &str = r#"
import sys, json, warnings
warnings.simplefilter("ignore")
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
src = Table.read(sys.argv[1], format="ascii.csv")
cat = Table.read(sys.argv[2], hdu="SOURCES")
a = SkyCoord(src["ra_deg"], src["dec_deg"], unit="deg")
b = SkyCoord(cat["RA"], cat["DEC"], unit="deg")
out = {}
for r in map(float, sys.argv[3:]):
    i, j, sep, _ = b.search_around_sky(a, r * u.arcsec) if len(b) else ([], [], [], None)
    out[str(r)] = sorted([int(x), int(y), float(z.to(u.arcsec).value)] for x, y, z in zip(i, j, sep))
print(json.dumps(out))
"#;

/// (source row, catalogue row, separation) of `matches.ecsv`, its 1-based rows made 0-based.
fn exod_pairs(x: &Path) -> Vec<(i64, i64, f64)> {
    let t = exod_io::table_in::read_table(&x.join("matches.ecsv"), &Default::default()).unwrap();
    let col = |n: &str| t.numbers(t.find(n).unwrap(), n).unwrap();
    let (a, b, sep) = (col("SRC_ROW"), col("CAT_ROW"), col("SEP"));
    let mut v: Vec<(i64, i64, f64)> = (0..t.len())
        .map(|k| (a[k] as i64 - 1, b[k] as i64 - 1, sep[k]))
        .collect();
    v.sort_by(|p, q| (p.0, p.1).cmp(&(q.0, q.1)));
    v
}

#[test]
fn the_xga_source_list_against_exods_catalogue_of_the_real_mos_epochs() {
    let d = tempfile::tempdir().unwrap();
    let xga = real("xga_0201901401/0201901401_XGA_sources_radec.csv");
    for o in ["0201901401", "0201903501"] {
        let (m1, m2) = (
            real(&format!("xga_{o}/mos1_exp1_clean_evts.fits.gz")),
            real(&format!("xga_{o}/mos2_exp1_clean_evts.fits.gz")),
        );
        let out = d.path().join(o);
        exod(&[
            "-q",
            "detect",
            s(&m1),
            s(&m2),
            "--srclist",
            s(&xga),
            "--rule",
            "exact",
            "--no-plots",
            "--out",
            s(&out),
        ]);
    }
    let cat = d.path().join("cat");
    // a damaged search output among the inputs is skipped with its reason, not fatal
    let bad = d.path().join("damaged");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("detections.fits"), b"SIMPLE  =  not a FITS file").unwrap();
    // and a copy of one epoch's outputs is not counted twice
    let copy = d.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    for f in ["detections.fits", "lightcurves.fits"] {
        std::fs::copy(d.path().join("0201903501").join(f), copy.join(f)).unwrap();
    }
    exod(&[
        "-q",
        "catalog",
        s(&d.path().join("0201901401")),
        s(&d.path().join("0201903501")),
        s(&bad),
        s(&copy),
        "--out",
        s(&cat),
        "--no-plots",
    ]);
    let js: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cat.join("catalog.json")).unwrap()).unwrap();
    let skipped = js["skipped_inputs"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    let reason = |k: usize| skipped[k]["reason"].as_str().unwrap().to_string();
    // files are read in sorted order: 0201903501/ before copy/ before damaged/
    assert!(
        reason(0).contains("copy/detections.fits") && reason(0).contains("already read"),
        "{}",
        reason(0)
    );
    assert!(
        reason(1).contains("damaged/detections.fits"),
        "{}",
        reason(1)
    );
    assert_eq!(js["inputs"].as_array().unwrap().len(), 2);
    // the catalogue holds both epochs' detections, each source inside the field
    let t =
        exod_io::table_in::read_table(&cat.join("exod_sources.fits"), &Default::default()).unwrap();
    assert!(t.len() >= 4, "{} sources", t.len());
    let obsids = t.texts(t.find("OBSIDS").unwrap()).join(",");
    assert!(
        obsids.contains("0201901401") && obsids.contains("0201903501"),
        "{obsids}"
    );
    let (ra, dec) = t.positions(None, None).unwrap();
    for (a, b) in ra.iter().zip(&dec) {
        assert!(
            exod_core::sky::separation_arcsec(*a, *b, 149.6, -11.07) < 1200.0,
            "({a}, {b}) outside the field"
        );
    }
    let Some(py) = common::python_with("astropy") else {
        return;
    };
    let radii = ["60", "600"];
    let o = Command::new(py)
        .args(["-c", ASTROPY])
        .arg(&xga)
        .arg(cat.join("exod_sources.fits"))
        .args(radii)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let oracle: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for r in radii {
        let x = d.path().join(format!("x{r}"));
        exod(&[
            "-q",
            "crossmatch",
            s(&xga),
            s(&cat.join("exod_sources.fits")),
            "--radius",
            r,
            "--no-mc",
            "--out",
            s(&x),
        ]);
        let ours = exod_pairs(&x);
        let theirs = oracle[format!("{}.0", r)].as_array().unwrap();
        assert_eq!(ours.len(), theirs.len(), "pairs within {r}″");
        for (p, q) in ours.iter().zip(theirs) {
            assert_eq!(
                (p.0, p.1),
                (q[0].as_i64().unwrap(), q[1].as_i64().unwrap()),
                "within {r}″"
            );
            assert!(
                (p.2 - q[2].as_f64().unwrap()).abs() < 1e-6,
                "separation {} vs {}",
                p.2,
                q[2]
            );
        }
        if r == "60" {
            // the XGA sources are masked: no transient of either epoch sits on one
            assert!(ours.is_empty(), "{ours:?}");
        } else {
            assert!(
                ours.len() >= 5,
                "a 10′ radius reaches across the field: {}",
                ours.len()
            );
        }
    }
}
