//! The seed-003 case on simulated NuSTAR data: a stellar flare of a few hundred counts, ~600 s
//! long, on a quiescent star 100″ from a source ten times brighter, in FPMA + FPMB. `exod detect`
//! finds it in the NuSTAR bands with the NuSTAR cell, and `exod lc --flare` fits its decay: the
//! single exponential the simulation drew (rise 60 s, e-folding 200 s) is recovered, and the
//! double exponential is not preferred.

use std::path::Path;
use std::process::Command;

use exod_core::wcs::separation_arcsec;
use exod_sim::mission::{simulate_mission, MissionConfig, SimMission};
use exod_sim::simulate::{Burst, Profile};

fn exod(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_exod"))
        .args(args)
        .output()
        .expect("exod runs")
}

/// (flare start, star RA, Dec, bright source RA, Dec)
fn simulate(dir: &Path) -> (f64, f64, f64, f64, f64) {
    let mut c = MissionConfig::new(SimMission::Nustar);
    c.seed = 3;
    c.population = false;
    c.target_rate = 0.5;
    c.target_offset = [0.0, 0.0];
    let (ra0, dec0) = (c.ra, c.dec);
    // the star 100″ east of the bright source
    let dra = 100.0 / 3600.0 / dec0.to_radians().cos();
    let (ra, dec) = (ra0 + dra, dec0);
    let t_flare = c.tstart + 8_000.0;
    // quiescence: 0.003 ct/s through the elapsed time (31.6 ks with occultations), as four
    // constant pieces (a burst lasts at most half the exposure)
    c.bursts = (0..4)
        .map(|k| Burst {
            counts: 0.003 * 7_900.0,
            duration: 7_900.0,
            profile: Profile::Box,
            position: Some((ra, dec)),
            t_start: Some(c.tstart + 7_900.0 * k as f64),
        })
        .collect();
    c.bursts.extend([
        // the flare: 300 counts, linear rise over 60 s, exponential decay with e-folding 200 s
        Burst {
            counts: 300.0,
            duration: 600.0,
            profile: Profile::Fred,
            position: Some((ra, dec)),
            t_start: Some(t_flare),
        },
    ]);
    simulate_mission(&c, dir).unwrap();
    (t_flare, ra, dec, ra0, dec0)
}

#[test]
fn a_stellar_flare_near_a_bright_source_is_found_and_its_decay_fitted() {
    let d = tempfile::tempdir().unwrap();
    let sim = d.path().join("sim");
    let (t_flare, ra, dec, ra0, dec0) = simulate(&sim);
    let lists: Vec<String> = ["A01", "B01"]
        .iter()
        .map(|m| {
            sim.join(format!("nu90999001002{m}_cl.evt"))
                .display()
                .to_string()
        })
        .collect();
    // 1. the search, with the NuSTAR defaults (3-10, 10-79, 3-79 keV; 60″ cells)
    let det = d.path().join("det");
    let mut args = vec!["detect"];
    args.extend(lists.iter().map(String::as_str));
    args.extend([
        "--out",
        det.to_str().unwrap(),
        "--no-plots",
        "--tbin",
        "50,200",
    ]);
    let o = exod(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t = std::fs::read_to_string(det.join("detections.ecsv")).unwrap();
    let rows: Vec<Vec<&str>> = t
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(',').collect())
        .collect();
    let col = |n: &str| rows[0].iter().position(|c| *c == n).unwrap();
    let (cra, cdec, csig, cband, ct0) = (
        col("RA"),
        col("DEC"),
        col("SIGMA"),
        col("BAND"),
        col("T_START"),
    );
    let hits: Vec<&Vec<&str>> = rows[1..]
        .iter()
        .filter(|r| {
            let (r_ra, r_dec): (f64, f64) = (r[cra].parse().unwrap(), r[cdec].parse().unwrap());
            separation_arcsec(r_ra, r_dec, ra, dec) < 60.0
        })
        .collect();
    assert!(!hits.is_empty(), "the flare is not detected:\n{t}");
    let best = hits
        .iter()
        .max_by(|a, b| {
            a[csig]
                .parse::<f64>()
                .unwrap()
                .total_cmp(&b[csig].parse().unwrap())
        })
        .unwrap();
    let sigma: f64 = best[csig].parse().unwrap();
    assert!(sigma >= 5.0, "best {sigma}σ");
    assert!(
        ["3-10", "3-79", "10-79"].contains(&best[cband]),
        "{}",
        best[cband]
    );
    let t0: f64 = best[ct0].parse().unwrap();
    assert!(
        (t0 - t_flare).abs() < 400.0,
        "detected at {t0}, flare at {t_flare}"
    );
    // the bright constant source is not a transient
    assert!(
        rows[1..].iter().all(|r| {
            let (r_ra, r_dec): (f64, f64) = (r[cra].parse().unwrap(), r[cdec].parse().unwrap());
            separation_arcsec(r_ra, r_dec, ra0, dec0) > 40.0
        }),
        "{t}"
    );
    // 2. the light curve and the flare fits, background avoiding the bright source
    let src = d.path().join("bright.csv");
    std::fs::write(&src, format!("ra,dec\n{ra0},{dec0}\n")).unwrap();
    let lc = d.path().join("lc");
    let (ras, decs) = (ra.to_string(), dec.to_string());
    let win = format!("{},{}", t_flare - 2000.0, t_flare + 3000.0);
    let mut args = vec!["lc"];
    args.extend(lists.iter().map(String::as_str));
    args.extend([
        "--ra",
        &ras,
        "--dec",
        &decs,
        "--src-radius",
        "30",
        "--srclist",
        src.to_str().unwrap(),
        "--tbin",
        "25",
        "--flare",
        "--flare-window",
        &win,
        "--out",
        lc.to_str().unwrap(),
        "--json",
    ]);
    let o = exod(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lc.join("lc.json")).unwrap()).unwrap();
    let f = &j["flare_fits"];
    let cmp = &f["comparisons"];
    // a flare, not a constant: the likelihood ratio rejects the constant overwhelmingly
    assert!(
        cmp["constant_vs_exp_decay"]["lr_log10_p_value"]
            .as_f64()
            .unwrap()
            < -10.0
    );
    // the truth is one exponential: a second decay is not significant (p > 1 %)
    let p2 = cmp["exp_decay_vs_double_exp_decay"]["lr_p_value"]
        .as_f64()
        .unwrap();
    assert!(p2 > 0.01, "double exponential preferred, p = {p2}");
    let fits = f["fits"].as_array().unwrap();
    let single = fits
        .iter()
        .find(|x| x["model"].get("ExpDecay").is_some())
        .unwrap();
    // an acceptable fit (Kaastra 2017 z-score), and the e-folding time of the simulation
    assert!(
        single["goodness"]["z"].as_f64().unwrap().abs() < 3.0,
        "{single}"
    );
    let par = |n: &str| {
        single["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .unwrap()
            .clone()
    };
    let tau = par("tau_decay_s");
    let (v, lo, hi) = (
        tau["value"].as_f64().unwrap(),
        tau["lower"].as_f64().unwrap(),
        tau["upper"].as_f64().unwrap(),
    );
    // within two of its 1σ (ΔC = 1) errors of the true 200 s
    let (el, eu) = (v - lo, hi - v);
    assert!(
        200.0 > v - 2.0 * el && 200.0 < v + 2.0 * eu,
        "tau_decay {v} (-{el} +{eu}) vs 200 s"
    );
    // the peak after the 60 s linear rise
    let t_peak = par("t_peak")["value"].as_f64().unwrap();
    assert!((t_peak - (t_flare + 60.0)).abs() < 60.0, "peak {t_peak}");
    // 3. the spectrum of the flare: NuSTAR's 4096 PI channels of 40 eV from 1.6 keV, good in
    // 3–79 keV (1900 channels), and the response left to nuproducts
    let sp = d.path().join("sp");
    std::fs::create_dir(&sp).unwrap();
    let iv = format!("{}-{}", t_flare, t_flare + 600.0);
    let prefix = sp.join("s");
    let mut args = vec!["spectrum"];
    args.extend(lists.iter().map(String::as_str));
    args.extend([
        "--ra",
        &ras,
        "--dec",
        &decs,
        "--src-radius",
        "30",
        "--intervals",
        &iv,
        "--out",
        prefix.to_str().unwrap(),
    ]);
    let o = exod(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("nuproducts"));
    let mut fits = fitsio::FitsFile::open(sp.join("s_fpma_i1_src.pha")).unwrap();
    let hdu = fits.hdu("SPECTRUM").unwrap();
    let detchans: i64 = hdu.read_key(&mut fits, "DETCHANS").unwrap();
    let quality: Vec<i32> = hdu.read_col(&mut fits, "QUALITY").unwrap();
    let counts: Vec<i64> = hdu.read_col(&mut fits, "COUNTS").unwrap();
    assert_eq!(detchans, 4096);
    assert_eq!(quality.iter().filter(|&&q| q == 0).count(), 1900);
    let first_good = quality.iter().position(|&q| q == 0).unwrap();
    assert_eq!(first_good, 35, "3 keV = 1.6 + 0.04 × 35");
    assert!(counts.iter().sum::<i64>() > 30);
    println!(
        "003 case: detected at {sigma:.1}σ ({}); tau_decay = {v:.0} (-{el:.0} +{eu:.0}) s (truth 200); double-exponential p = {p2:.2}",
        best[cband]
    );
}
