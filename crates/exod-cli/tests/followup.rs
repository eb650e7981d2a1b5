//! `exod followup` end to end: the report's numbers against hand calculations (seed 000's
//! source: parallax 2.941 mas, G = 19.6951, F_X ≈ 4.66e-14 → d ≈ 340 pc, L_X ≈ 6e29 erg/s,
//! log(f_x/f_v) ≈ −0.2), a detection of `exod demo` (light curve, periodogram,
//! spectrum, fits, counterpart, L_X), a source of the real XMM MOS field with the committed
//! field catalogues, `--all` with its index page, and clear errors.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::exod_ok as exod;
use serde_json::Value;

const PC_CM: f64 = 3.085_677_581_491_367e18;
/// The G-band F₀ of exod_core::followup::optical (Gaia EDR3 passband, erg cm⁻² s⁻¹).
const F0: f64 = 1.0275e-5;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

/// Angular separation (arcsec) by the haversine formula.
fn sep_arcsec(ra1: f64, de1: f64, ra2: f64, de2: f64) -> f64 {
    let (r1, d1, r2, d2) = (
        ra1.to_radians(),
        de1.to_radians(),
        ra2.to_radians(),
        de2.to_radians(),
    );
    let h = ((d2 - d1) / 2.0).sin().powi(2) + d1.cos() * d2.cos() * ((r2 - r1) / 2.0).sin().powi(2);
    2.0 * h.sqrt().asin().to_degrees() * 3600.0
}

#[test]
fn seed_000_numbers_by_hand() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    let cat = repo().join("testdata/followup/seed000_gaia.csv");
    exod(&[
        "-q",
        "followup",
        "--ra",
        "53.5946667",
        "--dec",
        "-28.9027778",
        "--catalog",
        cat.to_str().unwrap(),
        "--fx",
        "4.66e-14",
        "--fx-03-35",
        "3.5e-14",
        "--g-as-v",
        "--parallax-zp",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    let j = report(&out);
    let c = &j["counterparts"][0];
    assert_eq!(c["catalog"], "Gaia DR3");
    assert_eq!(c["id"], "seed000");
    assert!(c["separation_arcsec"].as_f64().unwrap() < 0.01);
    // hand: d = 1/ϖ, L = 4πd²F, F_opt = F0 10^(−G/2.5), log(fx/fv) = log fx + G/2.5 + 5.37
    let dist = 1000.0 / 2.941;
    assert!(rel(j["distance_pc"].as_f64().unwrap(), dist) < 1e-9);
    let lx = 4.0 * std::f64::consts::PI * (dist * PC_CM).powi(2) * 4.66e-14;
    assert!(rel(j["lx_erg_s"].as_f64().unwrap(), lx) < 1e-9);
    let fopt = F0 * 10f64.powf(-19.6951 / 2.5);
    assert!(rel(j["fx_fopt"].as_f64().unwrap(), 4.66e-14 / fopt) < 1e-9);
    let lfv = 3.5e-14f64.log10() + 19.6951 / 2.5 + 5.37;
    assert!((j["log_fx_fv"].as_f64().unwrap() - lfv).abs() < 1e-9);
    // the seed's own statements
    assert!(
        (dist * PC_CM / 1.05e21 - 1.0).abs() < 0.01,
        "d ≈ 1.05e21 cm"
    );
    assert!(lx > 5.5e29 && lx < 7e29, "L_X ≈ 6e29 erg/s");
    assert!((lfv + 0.2).abs() < 0.02, "log(f_x/f_v) ≈ −0.2");
    assert!(j["class_hints"].as_array().unwrap().len() >= 4);
    assert_eq!(j["steps"]["fit"], "not run: no event lists given");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for needle in [
        "seed000",
        "Counterparts",
        "Classification hints",
        "not run",
        "data:image/png;base64,",
    ] {
        assert!(html.contains(needle), "report.html lacks {needle}");
    }
    assert!(
        !html.contains("src=\"http"),
        "the page must not fetch anything"
    );
}

/// `exod demo`'s output (50 ks pn+MOS1+MOS2 with bursts): its detection 1 followed up with every
/// step, against a Gaia-like catalogue holding one star at the detection (parallax 5 ± 0.1 mas).
#[test]
fn a_detection_of_exod_demo_gets_a_full_report() {
    let d = tempfile::tempdir().unwrap();
    let demo = d.path().join("demo");
    exod(&["-q", "demo", "--out", demo.to_str().unwrap()]);
    let lists = common::event_lists(&demo.join("simulated"));
    let det = demo.join("detections");
    let dets = det.join("detections.fits");
    // the detection's position, from its ECSV
    let ecsv = std::fs::read_to_string(det.join("detections.ecsv")).unwrap();
    let first = ecsv
        .lines()
        .find(|l| {
            !l.starts_with('#')
                && !l.starts_with("DETID")
                && !l.starts_with("detid")
                && l.contains(',')
        })
        .unwrap();
    let header = ecsv.lines().find(|l| !l.starts_with('#')).unwrap();
    let cols: Vec<&str> = header.split(',').collect();
    let vals: Vec<&str> = first.split(',').collect();
    let col = |n: &str| {
        vals[cols.iter().position(|c| c.eq_ignore_ascii_case(n)).unwrap()]
            .parse::<f64>()
            .unwrap()
    };
    let (ra, dec) = (col("RA"), col("DEC"));
    let gaia = d.path().join("gaia.csv");
    std::fs::write(
        &gaia,
        format!("source_id,ra,dec,parallax,parallax_error,phot_g_mean_mag,bp_rp\n1234567890123456789,{:.7},{:.7},5.0,0.1,17.0,2.0\n", ra + 0.5 / 3600.0, dec),
    )
    .unwrap();
    let out = d.path().join("rep");
    let mut args = vec![
        "-q",
        "followup",
        "--source",
        "1",
        "--detections",
        dets.to_str().unwrap(),
        "--catalog",
        gaia.to_str().unwrap(),
        "--model",
        "tbabs*powerlaw",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(lists.iter().map(|s| s.as_str()));
    exod(&args);
    let j = report(&out);
    for step in ["lc", "period", "fit"] {
        assert_eq!(j["steps"][step], "done", "{step}: {}", j["steps"][step]);
    }
    assert_eq!(
        j["counterparts"][0]["id"], "1234567890123456789",
        "19-digit id kept exactly"
    );
    // F_X is the fit's absorbed 0.2–12 keV flux; L_X = 4πd²F_X with d = 1/(ϖ − zp)
    let fits: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("fit/fits.json")).unwrap()).unwrap();
    let fx = fits["flux"]["0.2-12"]["absorbed"]["value"]
        .as_f64()
        .unwrap();
    assert!(rel(j["fx_erg_cm2_s"].as_f64().unwrap(), fx) < 1e-12);
    let dist = 1000.0 / (5.0 + 0.017);
    assert!(rel(j["distance_pc"].as_f64().unwrap(), dist) < 1e-9);
    let lx = 4.0 * std::f64::consts::PI * (dist * PC_CM).powi(2) * fx;
    assert!(rel(j["lx_erg_s"].as_f64().unwrap(), lx) < 1e-9);
    for f in [
        "lc/lc.png",
        "period/periodogram.png",
        "fit/fit.png",
        "spectrum/src_pn_src.pha",
        "report.html",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    // --all: one report per detection (no event lists: counterparts and ratios only) and the index
    let all = d.path().join("all");
    exod(&[
        "-q",
        "followup",
        "--all",
        dets.to_str().unwrap(),
        "--catalog",
        gaia.to_str().unwrap(),
        "--fx",
        "1e-13",
        "--out",
        all.to_str().unwrap(),
    ]);
    let index = std::fs::read_to_string(all.join("index.html")).unwrap();
    let n_links = index.matches("/report.html\"").count();
    let n_dirs = std::fs::read_dir(&all)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("report.json").exists())
        .count();
    assert!(
        n_dirs >= 2 && n_links == n_dirs,
        "{n_links} links, {n_dirs} reports"
    );
}

/// A point source of the real MOS field (XGA source 2 of 0201901401) with the committed field
/// catalogues: its SYNTHETIC Gaia-like star, the separation by hand, the distance by inversion,
/// and the light curve of the real events.
#[test]
fn a_source_of_the_real_mos_field() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    let real = repo().join("testdata/real/xga_0201901401");
    let (m1, m2) = (
        real.join("mos1_exp1_clean_evts.fits.gz"),
        real.join("mos2_exp1_clean_evts.fits.gz"),
    );
    let fu = repo().join("testdata/followup");
    let (ra, dec) = (149.520137, -11.100512);
    exod(&[
        "-q",
        "followup",
        "--ra",
        "149.520137",
        "--dec",
        "-11.100512",
        m1.to_str().unwrap(),
        m2.to_str().unwrap(),
        "--catalog",
        fu.join("rxcj0958_gaia_SYNTHETIC.csv").to_str().unwrap(),
        "--catalog",
        fu.join("rxcj0958_simbad.csv").to_str().unwrap(),
        "--fx",
        "2e-14",
        "--model",
        "tbabs*powerlaw",
        "--out",
        out.to_str().unwrap(),
    ]);
    let j = report(&out);
    let c = &j["counterparts"][0];
    assert_eq!(c["id"], "9000000000000000001");
    let sep = sep_arcsec(ra, dec, 149.5197245, -11.1005013);
    assert!(
        (c["separation_arcsec"].as_f64().unwrap() - sep).abs() < 1e-3,
        "{c} vs {sep}"
    );
    let p = c["p_chance"].as_f64().unwrap();
    assert!(
        p > 0.0 && p < 0.01,
        "a bright star 1.5″ away is no chance match: {p}"
    );
    assert!(rel(j["distance_pc"].as_f64().unwrap(), 1000.0 / (2.1 + 0.017)) < 1e-9);
    assert_eq!(j["steps"]["lc"], "done");
    // the real lists come without responses: the fit says why it did not run
    assert!(
        j["steps"]["fit"].as_str().unwrap().contains("not run"),
        "{}",
        j["steps"]["fit"]
    );
    assert!(out.join("lc/lc.png").exists());
}

/// `--online`: the Gaia DR3 and SIMBAD cone searches are answered from the cache folder (as a
/// previous online run leaves it), so no network is needed; the query text sits beside each.
#[test]
fn online_queries_are_answered_from_the_cache() {
    let d = tempfile::tempdir().unwrap();
    let cache = d.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    let (ra, dec) = ("53.5946667", "-28.9027778");
    let q_gaia = format!("SELECT source_id, ra, dec, ra_error, dec_error, parallax, parallax_error, phot_g_mean_mag, phot_g_mean_flux_over_error, bp_rp, ruwe FROM gaiadr3.gaia_source WHERE CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {ra}, {dec}, 0.0833333)) = 1");
    let q_simbad = format!("SELECT main_id, ra, dec, otype AS main_type FROM basic WHERE CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {ra}, {dec}, 0.0833333)) = 1");
    let gaia = exod_io::online::cache_path(&cache, exod_io::online::Service::GaiaDr3, &q_gaia);
    let simbad = exod_io::online::cache_path(&cache, exod_io::online::Service::Simbad, &q_simbad);
    std::fs::write(&gaia, "source_id,ra,dec,ra_error,dec_error,parallax,parallax_error,phot_g_mean_mag,phot_g_mean_flux_over_error,bp_rp,ruwe\n5068777809824976256,53.5946667,-28.9027778,0.3,0.3,2.941,0.31,19.6951,50.0,2.416,1.0\n").unwrap();
    std::fs::write(
        &simbad,
        "main_id,ra,dec,main_type\n\"Gaia DR3 5068777809824976256\",53.5946670,-28.9027790,Star\n",
    )
    .unwrap();
    let out = d.path().join("r");
    exod(&[
        "-q",
        "followup",
        "--ra",
        ra,
        "--dec",
        dec,
        "--online",
        "--cache",
        cache.to_str().unwrap(),
        "--fx",
        "4.66e-14",
        "--out",
        out.to_str().unwrap(),
    ]);
    let j = report(&out);
    let cats: Vec<&str> = j["counterparts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["catalog"].as_str().unwrap())
        .collect();
    assert!(
        cats.contains(&"Gaia DR3 (online)") && cats.contains(&"SIMBAD (online)"),
        "{cats:?}"
    );
    // σ_ϖ/ϖ = 0.105 > 0.1: the EDSD prior, not 1/ϖ
    assert!(
        j["distance"]["method"].to_string().contains("edsd"),
        "{}",
        j["distance"]
    );
}

#[test]
fn bad_inputs_are_clear_errors_and_write_no_report() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    let missing = d.path().join("nope.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_exod"))
        .args([
            "followup",
            "--ra",
            "10",
            "--dec",
            "10",
            "--catalog",
            missing.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("nope.csv"), "{err}");
    assert!(!out.join("report.json").exists() && !out.join("report.html").exists());
    let o = Command::new(env!("CARGO_BIN_EXE_exod"))
        .args([
            "followup",
            "--ra",
            "10",
            "--dec",
            "10",
            "--fx",
            "-1",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--fx"));
}
