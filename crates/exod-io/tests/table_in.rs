//! `exod_io::table_in` on real catalogues (copied into testdata/) and on fixtures made by
//! scripts/oracle_crossmatch.py (VOTables written by astropy, a sexagesimal CSV).

use std::path::PathBuf;

use exod_io::table_in::{parse_angle, read_table, ExtColumn, TableOptions};

fn td(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real")
        .join(p)
}

fn read(p: &str) -> exod_io::table_in::ExtTable {
    read_table(&td(p), &TableOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn xmm_atlas_fits_gz_reads_every_scalar_column() {
    let t = read("catalogues/xmmatlas_srclistnew_Legacy.fits.gz");
    assert_eq!(t.len(), 1127);
    assert_eq!(t.names.len(), 108, "every column is scalar");
    let (ra, dec) = t.positions(None, None).unwrap();
    assert!(ra.iter().all(|a| (134.6..137.7).contains(a)));
    assert!(dec.iter().all(|d| (-1.3..2.4).contains(d)));
    let uxid = t.find("uxid").unwrap();
    assert!(
        matches!(&t.columns[uxid], ExtColumn::Str(v) if v[0].len() == 8),
        "8A string"
    );
    // a 64-bit integer column (K) read as numbers
    let heal = t.find("HEAL").unwrap();
    assert!(matches!(&t.columns[heal], ExtColumn::F64(_)));
}

#[test]
fn erosita_catalogue_with_an_out_of_range_tnull() {
    // OWNER is a byte column with TNULL = -99 (astropy refuses to read it as a masked column)
    let t = read("erosita_edr_300003/SourceCatalog.fits.gz");
    assert_eq!(t.len(), 481);
    let (ra, _) = t.positions(None, None).unwrap();
    assert!(ra.iter().all(|a| (105.0..110.0).contains(a)));
    let e = t.numbers(t.find("RADEC_ERR").unwrap(), "error").unwrap();
    // astropy: 5 NaN errors, the others in (0, 19.13]
    assert_eq!(e.iter().filter(|x| x.is_nan()).count(), 5);
    let max = e
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(0.0, f64::max);
    assert!((max - 19.127556).abs() < 1e-5, "{max}");
}

#[test]
fn csv_votable_and_sexagesimal_agree() {
    let csv = read("xga_0201901401/0201901401_XGA_sources_radec.csv");
    let (ra, dec) = csv.positions(None, None).unwrap();
    assert_eq!(ra.len(), 16);
    let vot = read("catalogues/xga_0201901401_tabledata.vot");
    assert_eq!(
        vot.positions(None, None).unwrap(),
        (ra.clone(), dec.clone())
    );
    let name = vot.find("name").unwrap();
    assert_eq!(vot.texts(name)[0], "XGA01");
    let sexa = read("catalogues/xga_0201901401_sexagesimal.csv");
    let (sra, sdec) = sexa.positions(None, None).unwrap();
    for i in 0..16 {
        // 0.0001 s of RA and 0.001″ of Dec as written
        assert!(
            ((sra[i] - ra[i]) * 3600.0).abs() < 0.002,
            "{} vs {}",
            sra[i],
            ra[i]
        );
        assert!(((sdec[i] - dec[i]) * 3600.0).abs() < 0.001);
    }
}

#[test]
fn binary2_votable_is_refused_clearly() {
    let p = td("catalogues/xga_0201901401_binary2.vot");
    let e = read_table(&p, &TableOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("BINARY2") && e.contains("TABLEDATA") && e.contains("binary2.vot"),
        "{e}"
    );
}

#[test]
fn errors_name_the_file_and_the_column() {
    let t = read("catalogues/m82_chandra_sources.csv");
    let e = t.positions(Some("RA_NOPE"), None).unwrap_err().to_string();
    assert!(
        e.contains("m82_chandra_sources.csv") && e.contains("RA_NOPE"),
        "{e}"
    );
    let t = read("catalogues/xga_0201901401_tabledata.vot");
    let ds9 = t.find("ds9_color").unwrap();
    let e = t.numbers(ds9, "a position error").unwrap_err().to_string();
    assert!(e.contains("ds9_color") && e.contains("row 1"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nopos.csv");
    std::fs::write(&p, "# comment\nx,y\n1,2\n").unwrap();
    let t = read_table(&p, &TableOptions::default()).unwrap();
    let e = t.positions(None, None).unwrap_err().to_string();
    assert!(
        e.contains("nopos.csv")
            && e.contains("no RA column among RA, RA_DEG")
            && e.contains("--ra-col"),
        "{e}"
    );
    let e = read_table(&dir.path().join("missing.fits"), &TableOptions::default()).unwrap_err();
    assert!(e.to_string().contains("missing.fits"), "{e}");
}

#[test]
fn sexagesimal_forms() {
    let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-9;
    assert!(close(
        parse_angle("12:34:56.7", true),
        15.0 * (12.0 + 34.0 / 60.0 + 56.7 / 3600.0)
    ));
    assert!(close(
        parse_angle("+12 34 56", false),
        12.0 + 34.0 / 60.0 + 56.0 / 3600.0
    ));
    assert!(close(parse_angle("-00:30:00", false), -0.5));
    assert!(close(parse_angle("12h30m", true), 187.5));
    assert!(close(parse_angle("150.25", true), 150.25));
    assert!(parse_angle("12:61:00", false).is_none());
    assert!(parse_angle("abc", true).is_none());
    assert!(parse_angle("", true).unwrap().is_nan());
}

#[test]
fn ecsv_string_columns_stay_text_even_when_they_look_like_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.ecsv");
    let cols = [
        exod_io::ecsv::Column::new("obs_id", "string", None, "observation"),
        exod_io::ecsv::Column::new("ra", "float64", Some("deg"), "RA"),
        exod_io::ecsv::Column::new("dec", "float64", Some("deg"), "Dec"),
    ];
    let rows = vec![vec![
        exod_io::ecsv::Value::S("0800010001".into()),
        exod_io::ecsv::Value::F(10.5),
        exod_io::ecsv::Value::F(-3.0),
    ]];
    exod_io::ecsv::write(&p, &cols, &rows, &[]).unwrap();
    let t = exod_io::table_in::read_table(&p, &Default::default()).unwrap();
    let k = t.find("obs_id").unwrap();
    assert_eq!(
        t.texts(k),
        vec!["0800010001".to_string()],
        "leading zero kept"
    );
    assert_eq!(t.positions(None, None).unwrap(), (vec![10.5], vec![-3.0]));
}
