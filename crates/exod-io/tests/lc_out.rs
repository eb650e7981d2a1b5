//! Light-curve files (`exod_io::lc_out`): OGIP FITS that fitsverify passes and that reads back
//! to the curves written, ECSV, and a real MOS1 list extracted end to end. The sample file
//! `tests/data/lc/sample_lc.fits` is what `scripts/check_lc_stingray.py` reads with stingray
//! and astropy (output committed beside the script); `EXOD_REGEN_LC_SAMPLE=1` rewrites it.

use std::path::{Path, PathBuf};
use std::process::Command;

use exod_core::extract::{extract, ExtractParams};
use exod_core::gti::Gti;
use exod_core::timing::lightcurve::{combine, BinGrid, CurveInput, LcParams, LightCurve};
use exod_core::wcs::separation_arcsec;
use exod_io::context::{KeyValue, MjdRef};
use exod_io::events::{read, ReadOptions};
use exod_io::lc_out::{self, LcFileMeta};

/// fitsverify (HEASARC), installed by scripts/test-deps.sh (`EXOD_FITSVERIFY` overrides):
/// required, not skipped.
fn fitsverify(path: &Path) -> String {
    let exe = std::env::var("EXOD_FITSVERIFY").unwrap_or_else(|_| "fitsverify".into());
    let out = Command::new(&exe).arg(path).output().unwrap_or_else(|e| {
        panic!("{exe}: {e} (run scripts/test-deps.sh, or set EXOD_FITSVERIFY)")
    });
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn assert_verifies(path: &Path) {
    let report = fitsverify(path);
    assert!(
        report.contains("0 warning(s) and 0 error(s)"),
        "{}: {report}",
        path.display()
    );
}

fn meta() -> LcFileMeta {
    let date = "2024-01-01T00:00:00".to_string();
    LcFileMeta {
        telescope: "XMM".into(),
        obs_id: Some("0123456789".into()),
        object: Some("sample".into()),
        ra: 150.0,
        dec: 2.0,
        radesys: "FK5".into(),
        equinox: 2000.0,
        mjdref: Some(MjdRef::Single(50814.0)),
        timesys: "TT".into(),
        timeref: "LOCAL".into(),
        tassign: "SATELLITE".into(),
        timezero: 0.0,
        band_kev: (0.2, 12.0),
        provenance: vec![
            (
                "CREATOR".into(),
                KeyValue::Str("exod (test)".into()),
                "".into(),
            ),
            ("DATE".into(), KeyValue::Str(date.clone()), "".into()),
            (
                "COMMAND".into(),
                KeyValue::Str("cargo test".into()),
                "".into(),
            ),
        ],
        date,
    }
}

/// Two cameras on one grid: pn all the time, MOS1 with a GTI gap, a flare in 600–800 s.
fn sample_curves() -> (Vec<LightCurve>, LightCurve) {
    let t0 = 700_000_000.0;
    let g_pn = Gti::from_rows(&[t0], &[t0 + 2000.0]).unwrap();
    let g_m1 = Gti::from_rows(&[t0, t0 + 1130.0], &[t0 + 1050.0, t0 + 2000.0]).unwrap();
    let grid = BinGrid::covering(&[&g_pn, &g_m1], 100.0, None).unwrap();
    let times = |step: f64, flare: f64, g: &Gti| -> Vec<f64> {
        let mut v: Vec<f64> = (0..)
            .map(|i| t0 + 0.37 + i as f64 * step)
            .take_while(|&t| t < t0 + 2000.0)
            .collect();
        v.extend(
            (0..)
                .map(|i| t0 + 600.0 + i as f64 * flare)
                .take_while(|&t| t < t0 + 800.0),
        );
        v.retain(|&t| g.contains(t));
        v.sort_by(f64::total_cmp);
        v
    };
    let params = LcParams::default();
    let mk = |cam: &str, ins: &str, g: &Gti, step: f64, flare: f64, r: f64, eef: f64| {
        let src = times(step, flare, g);
        let bkg = times(step * 0.7, 1e9, g);
        let input = CurveInput {
            src_times: &src,
            bkg_times: &bkg,
            backscal_ratio: r,
            gti: g,
            live_fraction: 0.975,
            eef,
        };
        LightCurve::from_events(cam, ins, &input, &grid, &params).unwrap()
    };
    let pn = mk("PN", "EPN", &g_pn, 9.0, 2.0, 0.05, 0.82);
    let m1 = mk("M1", "EMOS1", &g_m1, 25.0, 6.0, 0.04, 0.78);
    let epic = combine(&[pn.clone(), m1.clone()]).unwrap();
    (vec![pn, m1], epic)
}

fn column(f: &mut fitsio::FitsFile, hdu: &str, col: &str) -> Vec<f64> {
    f.hdu(hdu).unwrap().read_col::<f64>(f, col).unwrap()
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-12 * x.abs().max(1.0))
}

#[test]
fn light_curves_write_verify_and_read_back() {
    let (cams, epic) = sample_curves();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("lc.fits");
    lc_out::write_fits(&p, &cams, Some(&epic), &meta()).unwrap();
    assert_verifies(&p);
    let mut f = fitsio::FitsFile::open(&p).unwrap();
    let names: Vec<String> = (1..7)
        .map(|i| {
            let h = f.hdu(i).unwrap();
            h.read_key::<String>(&mut f, "EXTNAME").unwrap()
        })
        .collect();
    assert_eq!(
        names,
        ["RATE", "RATE_PN", "RATE_M1", "GTI", "GTI_PN", "GTI_M1"]
    );
    assert!(f.hdu(7).is_err());
    for (hdu, lc) in [
        ("RATE", &epic),
        ("RATE_PN", &cams[0]),
        ("RATE_M1", &cams[1]),
    ] {
        let rate = column(&mut f, hdu, "RATE");
        let fr = column(&mut f, hdu, "FRACEXP");
        let corrected: Vec<f64> = rate.iter().zip(&fr).map(|(r, f)| r / f).collect();
        let want: Vec<f64> = lc
            .rate
            .iter()
            .zip(&lc.fracexp)
            .map(|(r, &f)| if f > 0.0 { *r } else { f64::NAN })
            .collect();
        assert!(same(&corrected, &want), "{hdu}: {corrected:?} vs {want:?}");
        assert!(
            same(&column(&mut f, hdu, "RATE_CORR"), &lc.rate_corr),
            "{hdu}"
        );
        assert!(same(&column(&mut f, hdu, "TIME"), &lc.time), "{hdu}");
        let h = f.hdu(hdu).unwrap();
        assert_eq!(h.read_key::<String>(&mut f, "HDUCLAS2").unwrap(), "NET");
        assert_eq!(h.read_key::<f64>(&mut f, "TIMEDEL").unwrap(), 100.0);
        assert_eq!(h.read_key::<f64>(&mut f, "TIMEPIXR").unwrap(), 0.5);
        assert!((h.read_key::<f64>(&mut f, "EXPOSURE").unwrap() - lc.exposure()).abs() < 1e-9);
        let counts = h.read_col::<i64>(&mut f, "COUNTS").unwrap();
        assert_eq!(
            counts,
            lc.counts.iter().map(|&c| c as i64).collect::<Vec<_>>()
        );
    }
    let h = f.hdu("RATE_M1").unwrap();
    assert_eq!(h.read_key::<f64>(&mut f, "BACKRAT").unwrap(), 0.04);
    assert_eq!(h.read_key::<String>(&mut f, "INSTRUME").unwrap(), "EMOS1");
    let h = f.hdu("RATE").unwrap();
    assert_eq!(
        h.read_key::<String>(&mut f, "INSTRUME").unwrap(),
        "EPN+EMOS1"
    );
    // the combined curve's GTI: the intersection
    let start = column(&mut f, "GTI", "START");
    assert_eq!(start, vec![700_000_000.0, 700_001_130.0]);
    // the sample read by scripts/check_lc_stingray.py is what this code writes
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/lc/sample_lc.fits");
    if std::env::var_os("EXOD_REGEN_LC_SAMPLE").is_some() {
        std::fs::copy(&p, &sample).unwrap();
    }
    let mut g = fitsio::FitsFile::open(&sample)
        .expect("tests/data/lc/sample_lc.fits (EXOD_REGEN_LC_SAMPLE=1 writes it)");
    for hdu in ["RATE", "RATE_PN", "RATE_M1"] {
        for col in ["TIME", "RATE", "ERROR", "FRACEXP", "BACKV", "RATE_CORR"] {
            assert!(
                same(&column(&mut g, hdu, col), &column(&mut f, hdu, col)),
                "sample {hdu} {col}: regenerate with EXOD_REGEN_LC_SAMPLE=1"
            );
        }
    }
}

#[test]
fn light_curves_as_one_ecsv_table() {
    let (cams, epic) = sample_curves();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("lc.ecsv");
    lc_out::write_ecsv(&p, &cams, Some(&epic), &meta()).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(
        rows[0].starts_with("CAMERA,TIME,RATE,ERROR,ERR_LO,ERR_HI,FRACEXP,BACKV"),
        "{}",
        rows[0]
    );
    assert_eq!(rows.len(), 1 + 3 * epic.len());
    assert_eq!(
        rows.iter().filter(|r| r.starts_with("M1,")).count(),
        epic.len()
    );
    for key in [
        "{backrat_pn: '0.05'}",
        "{eef_m1: '0.78'}",
        "{instrume_epic: 'EPN+EMOS1'}",
        "{timedel_pn: '100'}",
    ] {
        assert!(text.contains(key), "{key} missing");
    }
}

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real")
        .join(rel)
}

/// The XGA source list of 0201901401 (RA, Dec; the last row is the cluster).
fn xga_sources() -> Vec<(f64, f64)> {
    let text = std::fs::read_to_string(testdata("xga_0201901401/0201901401_XGA_sources_radec.csv"))
        .unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].parse().unwrap(), f[1].parse().unwrap())
        })
        .collect()
}

#[test]
fn a_real_mos1_source_is_extracted_and_its_curve_verifies() {
    let ev = read(
        &testdata("xga_0201901401/mos1_exp1_clean_evts.fits.gz"),
        &ReadOptions::default(),
    )
    .unwrap();
    // LIVETI01 / ONTIME01 of the EVENTS header (values read with astropy)
    let lf = ev.header().live_fraction[&1];
    assert_eq!(lf, 5006.56608128548 / 5135.29250851274);
    assert_eq!(ev.header().live_fraction.len(), 7);
    // the brightest point source of the XGA list; the others (20″) and the cluster (120″)
    // avoided
    let src = xga_sources();
    let (ra, dec) = src[14];
    let mut exclude: Vec<(f64, f64, f64)> = src[..15].iter().map(|&(a, d)| (a, d, 20.0)).collect();
    exclude.push((src[15].0, src[15].1, 120.0));
    let x = extract(
        std::slice::from_ref(&ev),
        ra,
        dec,
        &ExtractParams::default(),
        &exclude,
    )
    .unwrap();
    let c = &x.cameras[0];
    assert_eq!(c.camera, "M1");
    assert!(c.src.len() > 300, "{} events", c.src.len());
    // the aperture's events counted independently: spherical separations of the events'
    // sky positions from the target
    let wcs = ev.wcs().as_ref().unwrap();
    let n = (0..ev.len())
        .filter(|&i| {
            let e = ev.energy()[i] as f64;
            let (a, d) = wcs
                .pix_to_world(ev.x()[i] as f64, ev.y()[i] as f64)
                .unwrap();
            ev.ccd()[i] == c.ccd
                && (200.0..12_000.0).contains(&e)
                && c.gti.contains(ev.time()[i])
                && separation_arcsec(a, d, ra, dec) < c.src_radius_arcsec
        })
        .count();
    assert_eq!(n, c.src.len());
    assert!((c.live_fraction - ev.header().live_fraction[&c.ccd]).abs() < 1e-15);
    assert!((c.live_time_s - c.gti.exposure() * c.live_fraction).abs() < 1e-9);
    // a 500 s curve, written and verified
    let grid = BinGrid::covering(&[&c.gti], 500.0, None).unwrap();
    let lc = LightCurve::from_extraction(c, &grid, &LcParams::default()).unwrap();
    assert!((lc.exposure() - c.live_time_s).abs() < 1e-6);
    assert_eq!(lc.counts.iter().sum::<u64>() as usize, c.src.len());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("real_lc.fits");
    let meta = LcFileMeta::from_exposures(
        std::slice::from_ref(&ev),
        ra,
        dec,
        (200.0, 12_000.0),
        "test",
    );
    assert_eq!(meta.mjdref, Some(MjdRef::Single(50814.0)));
    assert_eq!(
        (meta.timesys.as_str(), meta.obs_id.as_deref()),
        ("TT", Some("0201901401"))
    );
    lc_out::write_fits(&p, std::slice::from_ref(&lc), None, &meta).unwrap();
    assert_verifies(&p);
    lc_out::write_ecsv(
        &dir.path().join("real_lc.ecsv"),
        std::slice::from_ref(&lc),
        None,
        &meta,
    )
    .unwrap();
}
