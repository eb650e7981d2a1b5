//! `exod photometry` end to end: the two real MOS1+MOS2 epochs of RXCJ0958 against independent
//! astropy hand counts (scripts/oracle_photometry_xga.py), forced photometry on a simulated
//! observation (a catalogued burst confirmed, the constant target not), byte-identical reruns,
//! and bad inputs failing with the file named.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{event_lists, exod_ok, fitsverify};
use exod_core::photometry::SourcePhotometry;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn epoch(dir: &Path, obs: &str) -> Vec<SourcePhotometry> {
    let data = root().join(format!("testdata/real/xga_{obs}"));
    let cat = root().join("testdata/real/xga_0201901401/0201901401_XGA_sources_radec.csv");
    let out = dir.join(obs);
    exod_ok(&[
        "-q",
        "photometry",
        s(&data.join("mos1_exp1_clean_evts.fits.gz")),
        s(&data.join("mos2_exp1_clean_evts.fits.gz")),
        "--catalog",
        s(&cat),
        "--out",
        s(&out),
    ]);
    if let Some(fv) = fitsverify() {
        let o = Command::new(fv)
            .arg(out.join("photometry.fits"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success() && text.contains("Verification found 0 warning(s) and 0 error(s)"),
            "{text}"
        );
    }
    let fits = exod_io::photometry::read(&out.join("photometry.fits")).unwrap();
    let ecsv = exod_io::photometry::read(&out.join("photometry.ecsv")).unwrap();
    let (a, b) = (format!("{fits:?}"), format!("{ecsv:?}"));
    if a != b {
        let k = a
            .bytes()
            .zip(b.bytes())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        panic!(
            "FITS and ECSV differ at {k}: {} | {}",
            &a[k.saturating_sub(80)..(k + 40).min(a.len())],
            &b[k.saturating_sub(80)..(k + 40).min(b.len())]
        );
    }
    fits
}

#[test]
fn real_epochs_match_independent_hand_counts() {
    let d = tempfile::tempdir().unwrap();
    let rows = [
        ("0201901401", epoch(d.path(), "0201901401")),
        ("0201903501", epoch(d.path(), "0201903501")),
    ];
    let oracle = std::fs::read_to_string(root().join("scripts/oracle_photometry_xga.out")).unwrap();
    let mut checked = 0;
    for line in oracle.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (obs, cam, src) = (f[0], f[1], f[2]);
        let (ccd, r, n, b, live): (u8, f64, u64, u64, f64) = (
            f[3].parse().unwrap(),
            f[4].parse().unwrap(),
            f[5].parse().unwrap(),
            f[6].parse().unwrap(),
            f[7].parse().unwrap(),
        );
        let table = &rows.iter().find(|(o, _)| *o == obs).unwrap().1;
        let row = table.iter().find(|x| x.source == src).unwrap();
        assert_eq!(row.obs_id, obs);
        let m = row.get(8, cam).unwrap();
        let what = format!("{obs} {cam} {src}");
        assert_eq!((m.ccd, m.counts, m.bkg_counts), (ccd, n, b), "{what}");
        assert!((m.src_radius_arcsec - r).abs() < 1e-5, "{what}: radius");
        assert!(
            (m.live_time - live).abs() < 1e-5,
            "{what}: live {} vs {live}",
            m.live_time
        );
        checked += 1;
    }
    assert_eq!(checked, 61);
    for (obs, table) in &rows {
        assert_eq!(table.len(), 16, "{obs}");
        for r in table {
            // FILTER = Thin1 in both epochs: the Thin ECFs, no filter warning
            assert!(
                !r.warnings.iter().any(|w| w.contains("FILTER")),
                "{:?}",
                r.warnings
            );
            if let Some(m) = r.get(3, "M1") {
                assert_eq!(
                    m.ecf, 2.028,
                    "Watson et al. 2009 Table 1, MOS1 Thin 1–2 keV"
                );
            }
            if let Some(e) = r.epic8() {
                // the EPIC limit sits above the flux, and a detection has p_bkg below 3σ's
                assert!(
                    e.flux_ul > e.flux && e.rate_ul > e.rate_hi,
                    "{obs} {}",
                    r.source
                );
                assert_eq!(e.detected, e.p_bkg < 1.349_898e-3);
            }
        }
    }
    // the cluster core (row16) and the bright point source (row15) are detected in both epochs
    for (_, table) in &rows {
        for name in ["row15", "row16"] {
            let e = table
                .iter()
                .find(|r| r.source == name)
                .unwrap()
                .epic8()
                .unwrap();
            assert!(e.detected && e.counts > 500, "{name}: {e:?}");
        }
    }
}

/// A 10 ks simulation with one 100 s burst of 60 photons (all cameras); the catalogue holds the
/// constant target (0.25 ct/s pn) and the burst's position.
#[test]
fn forced_photometry_confirms_a_catalogued_burst_and_reruns_are_identical() {
    let d = tempfile::tempdir().unwrap();
    let obs = d.path().join("obs");
    exod_ok(&[
        "-q",
        "simulate",
        "--out",
        s(&obs),
        "--seed",
        "3",
        "--exposure",
        "10000",
        "--bursts",
        "1",
        "--burst-counts",
        "60",
        "--burst-duration",
        "100",
        "--eclipses",
        "0",
        "--flares",
        "none",
    ]);
    let truth = std::fs::read_to_string(obs.join("truth.ecsv")).unwrap();
    let pos = |kind: &str| {
        let l = truth
            .lines()
            .find(|l| l.split(',').nth(1) == Some(kind))
            .unwrap();
        let f: Vec<&str> = l.split(',').collect();
        (
            f[2].to_string(),
            f[3].to_string(),
            f[4].parse::<f64>().unwrap(),
        )
    };
    let (tra, tdec, _) = pos("target");
    let (bra, bdec, bt0) = pos("burst");
    let cat = d.path().join("cat.csv");
    std::fs::write(
        &cat,
        format!("name,ra,dec\ntarget,{tra},{tdec}\nburst,{bra},{bdec}\n"),
    )
    .unwrap();
    let run = |out: &Path| {
        let mut args = vec!["-q", "photometry"];
        let lists = event_lists(&obs);
        args.extend(lists.iter().map(|x| x.as_str()));
        args.extend(["--catalog", s(&cat), "--out", s(out), "--overwrite"]);
        exod_ok(&args);
        exod_io::photometry::read(&out.join("photometry.fits")).unwrap()
    };
    // the same command twice (SOURCE_DATE_EPOCH = 0): byte-identical files
    let a = d.path().join("a");
    let rows = run(&a);
    let first: Vec<Vec<u8>> = ["photometry.fits", "photometry.ecsv", "photometry.json"]
        .iter()
        .map(|f| std::fs::read(a.join(f)).unwrap())
        .collect();
    run(&a);
    for (k, f) in ["photometry.fits", "photometry.ecsv", "photometry.json"]
        .iter()
        .enumerate()
    {
        assert!(
            first[k] == std::fs::read(a.join(f)).unwrap(),
            "{f} differs between runs"
        );
    }
    let burst = rows.iter().find(|r| r.source == "burst").unwrap();
    let fb = burst.forced.as_ref().unwrap();
    assert!(fb.transient && fb.sigma_peak >= 3.0, "{fb:?}");
    assert!(
        (fb.t_peak - (bt0 + 50.0)).abs() <= 100.0,
        "{fb:?} vs burst at {bt0}"
    );
    let target = rows.iter().find(|r| r.source == "target").unwrap();
    let ft = target.forced.as_ref().unwrap();
    assert!(!ft.transient && ft.sigma_peak < 3.0, "{ft:?}");
    assert!(
        target.chi2_const.unwrap().2 > 1e-3,
        "{:?}",
        target.chi2_const
    );
    assert!(burst.chi2_const.unwrap().2 < 1e-3, "{:?}", burst.chi2_const);
    // the three cameras measured, PN first; the simulator writes no FILTER: Medium, said so
    let e = target.epic8().unwrap();
    assert!(
        e.detected
            && target.bands[0].cameras.len() == 3
            && target.bands[0].cameras[0].camera == "PN"
    );
    assert!(target
        .warnings
        .iter()
        .any(|w| w.contains("FILTER") && w.contains("Medium")));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("photometry.json")).unwrap()).unwrap();
    assert!(json["ecf"]["source"]
        .as_str()
        .unwrap()
        .contains("Watson et al. 2009"));
    assert_eq!(json["forced_transients"], serde_json::json!(["burst"]));
}

fn fails(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_exod"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{args:?}");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_inputs_fail_with_the_file_named() {
    let d = tempfile::tempdir().unwrap();
    let ev = root().join("testdata/real/xga_0201901401/mos1_exp1_clean_evts.fits.gz");
    let out = d.path().join("out");
    let missing = d.path().join("nothere.fits");
    let e = fails(&[
        "photometry",
        s(&missing),
        "--ra",
        "149.7",
        "--dec",
        "-11.1",
        "--out",
        s(&out),
    ]);
    assert!(e.contains("nothere.fits"), "{e}");
    let cat = d.path().join("bad.csv");
    std::fs::write(&cat, "name,flux\na,1\n").unwrap();
    let e = fails(&["photometry", s(&ev), "--catalog", s(&cat), "--out", s(&out)]);
    assert!(
        e.contains("bad.csv") && e.to_lowercase().contains("ra"),
        "{e}"
    );
    let ecf = d.path().join("ecf.csv");
    std::fs::write(
        &ecf,
        "band,e_lo_kev,e_hi_kev,filter,pn,m1,m2\n1,0.2,0.5,Thin,-1,1,1\n",
    )
    .unwrap();
    let e = fails(&[
        "photometry",
        s(&ev),
        "--ra",
        "149.7",
        "--dec",
        "-11.1",
        "--ecf",
        s(&ecf),
        "--out",
        s(&out),
    ]);
    assert!(e.contains("ecf.csv") && e.contains("line 2"), "{e}");
    let e = fails(&[
        "photometry",
        s(&ev),
        "--ra",
        "149.7",
        "--dec",
        "-11.1",
        "--confidence",
        "2",
        "--out",
        s(&out),
    ]);
    assert!(e.contains("confidence 2"), "{e}");
    assert!(!out.exists());
}
