//! The periodicity search against stingray 2.3 and astropy 8 on committed data
//! (`scripts/oracle_period.py`, its output `scripts/oracle_period.out`).

use std::path::PathBuf;

use exod_core::gti::Gti;
use exod_core::timing::fold::epoch_folding_search_with;
use exod_core::timing::freq::FrequencyGrid;
use exod_core::timing::lomb::{baluev_ln_fap, baluev_power_level, lomb_scargle};
use exod_core::timing::pds::leahy_averaged;
use exod_core::timing::period::{period_search, PeriodOptions};
use exod_core::timing::z2::{z2_direct, z2_search, z2_search_with, Z2Convention};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/timing/period")
}

fn column_file(name: &str) -> Vec<Vec<f64>> {
    std::fs::read_to_string(dir().join(name))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            l.split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect()
        })
        .collect()
}

fn times(name: &str) -> Vec<f64> {
    column_file(name).into_iter().map(|r| r[0]).collect()
}

fn oracle() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("oracle.json")).unwrap()).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// The stingray frequencies as one-point grids (exactly the same doubles).
fn at(f: f64) -> FrequencyGrid {
    FrequencyGrid::new(f, 1.0, 1).unwrap()
}

#[test]
fn exact_z2_matches_direct_summation_and_stingray_unbinned_z_n() {
    let t = times("pulsar.txt");
    let rows = column_file("pulsar_z2_stingray.csv");
    let grid = FrequencyGrid::new(rows[0][0], 2e-6, rows.len()).unwrap();
    let z = z2_search(&t, &grid, 2).unwrap();
    let worst = (0..grid.n)
        .map(|i| rel(z[i], z2_direct(&t, grid.freq(i), 2)))
        .fold(0.0, f64::max);
    assert!(worst < 1e-9, "NUFFT vs direct: {worst:e}");
    // stingray's unbinned z_n (all events, phases from the first) at the spot frequencies
    let o = oracle();
    let freqs = o["pulsar"]["spot_freqs"].as_array().unwrap();
    let want = o["pulsar"]["z2_unbinned_stingray_z_n"].as_array().unwrap();
    for (f, w) in freqs.iter().zip(want) {
        let (f, w) = (f.as_f64().unwrap(), w.as_f64().unwrap());
        assert!(rel(z2_direct(&t, f, 2), w) < 1e-9, "f = {f}");
    }
}

#[test]
fn stingray_convention_reproduces_z_n_search_and_epoch_folding_search() {
    let t = times("pulsar.txt");
    let (mut worst_z, mut worst_ef, mut worst_exact) = (0.0f64, 0.0f64, 0.0f64);
    for r in column_file("pulsar_z2_stingray.csv") {
        let conv = Z2Convention::Stingray { nbin: 128 };
        let z = z2_search_with(&t, &at(r[0]), 2, conv, 1e-12).unwrap()[0];
        worst_z = worst_z.max(rel(z, r[1]));
        let ef = epoch_folding_search_with(&t, None, &at(r[0]), 16, true).unwrap()[0];
        worst_ef = worst_ef.max(rel(ef, r[2]));
        worst_exact = worst_exact.max(rel(z2_direct(&t, r[0], 2), r[1]));
    }
    // same arithmetic as stingray: agreement to rounding
    assert!(worst_z < 1e-10, "Z² stingray convention: {worst_z:e}");
    assert!(worst_ef < 1e-10, "EF stingray convention: {worst_ef:e}");
    // the exact statistic differs from stingray's binned one by its binning and the dropped
    // event: not zero, < 1 % at the peak (Z² ≈ 244), up to ~20 % where Z² is noise-small
    assert!(
        worst_exact > 1e-3 && worst_exact < 0.3,
        "exact vs stingray: {worst_exact:e}"
    );
    let rows = column_file("pulsar_z2_stingray.csv");
    let peak = rows.iter().max_by(|a, b| a[1].total_cmp(&b[1])).unwrap();
    assert!(peak[1] > 200.0 && rel(z2_direct(&t, peak[0], 2), peak[1]) < 0.01);
}

#[test]
fn leahy_spectrum_matches_stingray_averaged_powerspectrum() {
    let t = times("leahy_events.txt");
    let g = column_file("leahy_gti.txt");
    let gti = Gti::from_rows(&[g[0][0], g[1][0]], &[g[0][1], g[1][1]]).unwrap();
    let rows = column_file("leahy_stingray.csv");
    let o = oracle();
    for (common, col) in [(true, 1), (false, 2)] {
        let p = leahy_averaged(&t, &gti, 1.0 / 16.0, 256.0, common).unwrap();
        assert_eq!(p.m_segments as u64, o["leahy"]["m"].as_u64().unwrap());
        assert_eq!(
            p.n_bins_per_segment as u64,
            o["leahy"]["n"].as_u64().unwrap()
        );
        assert_eq!(p.freq.len(), rows.len());
        for (i, r) in rows.iter().enumerate() {
            assert!(rel(p.freq[i], r[0]) < 1e-12);
            assert!(
                rel(p.power[i], r[col]) < 1e-9,
                "bin {i}: {} vs {}",
                p.power[i],
                r[col]
            );
        }
    }
}

#[test]
fn lomb_scargle_and_baluev_match_astropy() {
    let t = times("modulation.txt");
    let o = oracle();
    let t0 = 1.0e8;
    let nbins = 600;
    let mut counts = vec![0.0; nbins];
    for &x in &t {
        let k = ((x - t0) / 100.0).floor() as usize;
        counts[k.min(nbins - 1)] += 1.0;
    }
    let centres: Vec<f64> = (0..nbins).map(|k| 100.0 * k as f64 + 50.0).collect();
    let rows = column_file("ls_astropy.csv");
    let grid = FrequencyGrid::new(1.0 / 60000.0, 1.0 / 300000.0, rows.len()).unwrap();
    let p = lomb_scargle(&centres, &counts, None, &grid).unwrap();
    let pmax = rows.iter().map(|r| r[1]).fold(0.0, f64::max);
    for (i, r) in rows.iter().enumerate() {
        assert!(rel(grid.freq(i), r[0]) < 1e-12);
        // at the Nyquist frequency of the 100 s bins (0.005 Hz) the sine/cosine model is
        // degenerate (D = 0): both codes return rounding noise there
        if ((2.0 * r[0] * 100.0) - (2.0 * r[0] * 100.0).round()).abs() < 1e-6 {
            continue;
        }
        let d = (p[i] - r[1]).abs();
        assert!(
            d < 1e-8 * r[1] + 1e-12 * pmax,
            "f = {}: {} vs {}",
            r[0],
            p[i],
            r[1]
        );
    }
    // astropy evaluates Baluev's formula with the last frequency of its autofrequency grid
    let fmax = o["ls"]["fmax_autofrequency"].as_f64().unwrap();
    let zs = o["ls"]["baluev_z"].as_array().unwrap();
    let faps = o["ls"]["baluev_fap"].as_array().unwrap();
    for (z, fap) in zs.iter().zip(faps) {
        let (z, fap) = (z.as_f64().unwrap(), fap.as_f64().unwrap());
        let mine = baluev_ln_fap(z, fmax, &centres, None).exp();
        assert!(rel(mine, fap) < 1e-8, "z = {z}: {mine:e} vs {fap:e}");
    }
    // astropy inverts by scipy.optimize.root (method 'lm'): agreement to its tolerance
    let level = baluev_power_level(2.699796063260207e-3, fmax, &centres, None);
    assert!(rel(level, o["ls"]["level_3sigma"].as_f64().unwrap()) < 1e-6);
    assert!(
        rel(
            baluev_ln_fap(level, fmax, &centres, None).exp(),
            2.699796063260207e-3
        ) < 1e-9
    );
}

#[test]
fn period_search_recovers_the_simulated_pulsar() {
    let t = times("pulsar.txt");
    let gti = Gti::single(1.0e8, 1.0e8 + 20000.0);
    let opts = PeriodOptions {
        fmin: Some(2.9),
        fmax: Some(3.0),
        ..Default::default()
    };
    let r = period_search(&t, &gti, &opts).unwrap();
    assert!(r.detected_5sigma);
    assert!((r.best_frequency_hz - 2.9673).abs() < 4.0 * r.frequency_error_hz);
    assert!((r.pulsed_fraction - 0.3).abs() < 4.0 * r.pulsed_fraction_error);
}
