use std::collections::HashMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

use super::kbn::{kbn_upper_limit, one_sided_cl, one_sided_p, p_background};
use super::*;
use crate::extract::psf::KingPsf;
use crate::extract::testutil::{self, Scene, Source, CRPIX, PIX};
use crate::gti::Gti;

/// scripts/oracle_kbn_ul.py: scipy quadrature of the KBN posterior (not the closed form).
const ORACLE: &str = include_str!("../../../../scripts/oracle_kbn_ul.out");

#[test]
fn kbn_upper_limits_match_the_paper_and_an_independent_quadrature() {
    // Kraft, Burrows & Nousek 1991 Table 1/3 rows whose shortest interval starts at 0 (so it is
    // the one-sided limit): N = 5, B = 2.5, 99 % → 10.67; N = 1, B = 0.1, 99 % → 6.54;
    // N = 1, B = 0.5, 95 % → 4.36; and N = 0: −ln(1 − CL), 2.30 at 90 %, 4.61 at 99 %
    for (n, b, cl, want) in [
        (5, 2.5, 0.99, 10.67),
        (1, 0.1, 0.99, 6.54),
        (1, 0.5, 0.95, 4.36),
        (0, 0.0, 0.9, 2.30),
        (0, 0.0, 0.99, 4.61),
    ] {
        let got = kbn_upper_limit(n, b, cl).unwrap();
        assert!((got - want).abs() < 0.006, "{n} {b} {cl}: {got} vs {want}");
    }
    let mut rows = 0;
    for line in ORACLE.lines().filter(|l| !l.starts_with('#')) {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        let (n, b, cl, ul, p) = (v[0] as u64, v[1], v[2], v[3], v[4]);
        let got = kbn_upper_limit(n, b, cl).unwrap();
        assert!((got / ul - 1.0).abs() < 1e-7, "{n} {b} {cl}: {got} vs {ul}");
        let pb = p_background(n, b);
        assert!(
            (pb - p).abs() <= 1e-9 * p.max(1e-300) || (pb / p - 1.0).abs() < 1e-8,
            "{n} {b}: {pb} vs {p}"
        );
        rows += 1;
    }
    assert_eq!(rows, 36);
    assert!((one_sided_cl(3.0) - 0.998_650_101_968_369_9).abs() < 1e-12);
    assert!((one_sided_p(3.0) - 1.349_898_031_630_094_6e-3).abs() < 1e-15);
    assert!(kbn_upper_limit(2, -1.0, 0.9).is_err() && kbn_upper_limit(2, 1.0, 1.0).is_err());
}

#[test]
fn the_upper_limit_integrates_to_the_confidence_level() {
    // direct Simpson integration of the normalised posterior up to s_UL
    for (n, b) in [(0u64, 0.5), (3, 1.2), (12, 4.0), (30, 25.0)] {
        let cl = 0.99865;
        let ul = kbn_upper_limit(n, b, cl).unwrap();
        let post = |s: f64| (-(s + b) + n as f64 * (s + b).ln()).exp();
        let simpson = |a: f64, z: f64| {
            let m = 20_000;
            let h = (z - a) / m as f64;
            let mut acc = post(a) + post(z);
            for k in 1..m {
                acc += post(a + h * k as f64) * if k % 2 == 1 { 4.0 } else { 2.0 };
            }
            acc * h / 3.0
        };
        let top = ul + 40.0 * (n as f64 + 1.0).sqrt() + 40.0;
        let mass = simpson(0.0, ul) / simpson(0.0, top);
        assert!((mass - cl).abs() < 1e-8, "{n} {b}: {mass}");
    }
}

/// Coverage of the 3σ upper limit on Poisson trials with the background estimated from an
/// annulus 30× the aperture (the big study: scripts/photometry_calibration.out).
#[test]
fn the_3_sigma_upper_limit_covers_the_true_counts_at_least_nominally() {
    let cl = one_sided_cl(3.0);
    let r = 1.0 / 30.0;
    let trials = 20_000;
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let mut cache: HashMap<(u64, u64), f64> = HashMap::new();
    for (s, b) in [(0.5, 0.3), (2.0, 1.0), (5.0, 5.0), (3.0, 20.0)] {
        let src = Poisson::new(s + b).unwrap();
        let bkg = Poisson::new(b / r).unwrap();
        let mut covered = 0usize;
        for _ in 0..trials {
            let n = src.sample(&mut rng) as u64;
            let nb = bkg.sample(&mut rng) as u64;
            let ul = *cache
                .entry((n, nb))
                .or_insert_with(|| kbn_upper_limit(n, r * nb as f64, cl).unwrap());
            covered += (s <= ul) as usize;
        }
        let f = covered as f64 / trials as f64;
        let sigma = (cl * (1.0 - cl) / trials as f64).sqrt();
        assert!(
            f >= cl - 3.0 * sigma,
            "s {s}, b {b}: coverage {f} < {cl} − 3×{sigma}"
        );
    }
}

const BKG: f64 = 0.004; // events per arcsec² over the GTI

fn gti() -> Gti {
    Gti::from_rows(&[1000.0, 6000.0], &[5000.0, 11000.0]).unwrap()
}

fn scene(instrume: &'static str, sources: Vec<Source>, seed: u64) -> Scene {
    Scene {
        instrume,
        ccds: testutil::two_ccds(),
        bkg_per_arcsec2: BKG,
        sources,
        gti: gti(),
        live_fraction: 0.975,
        pointing: testutil::CRVAL,
        seed,
    }
}

fn psf() -> KingPsf {
    crate::extract::psf::epic_king(EpicCamera::Mos1, 1.5, 0.0)
}

fn source(x: f64, counts: usize, window: Option<(f64, f64)>) -> Source {
    Source {
        x,
        y: CRPIX,
        counts,
        psf: psf(),
        energy_ev: 1500.0,
        window,
    }
}

#[test]
fn per_camera_counts_exposure_rate_and_flux_and_the_epic_combination() {
    // a 1.5 keV source 4′ off axis (the scene has no vignetting: its photons are the truth ×
    // the extraction's EEF × live fraction), seen by MOS1 and MOS2
    let x0 = CRPIX + 240.0 / PIX;
    let n_true = 600;
    let exps = [
        testutil::exposure(&scene("EMOS1", vec![source(x0, n_true, None)], 1)),
        testutil::exposure(&scene("EMOS2", vec![source(x0, n_true, None)], 2)),
    ];
    let (ra, dec) = testutil::radec(x0, CRPIX);
    let p = PhotometryParams::default();
    let ph = measure(&exps, "S1", "0123", ra, dec, &[], &p).unwrap();
    assert!(ph.covered && ph.obs_id == "0123" && ph.bands.len() == 6);
    assert!(
        ph.warnings
            .iter()
            .any(|w| w.contains("FILTER") && w.contains("Medium")),
        "{:?}",
        ph.warnings
    );
    assert_eq!((ph.tstart, ph.tstop), (1000.0, 11000.0));
    let m = ph.get(3, "M1").unwrap();
    // the definitions, term by term
    let v = vignetting(m.offaxis_arcmin * 60.0);
    assert!((m.offaxis_arcmin - 4.0).abs() < 0.01 && m.vignetting == v);
    assert!((m.live_time - 9000.0 * 0.975).abs() < 1e-9);
    assert!((m.exposure - m.live_time * v * m.eef).abs() < 1e-9 * m.exposure);
    assert!((m.bkg_expected - m.area_ratio * m.bkg_counts as f64).abs() < 1e-12);
    assert!((m.net_rate - (m.counts as f64 - m.bkg_expected) / m.exposure).abs() < 1e-15);
    assert_eq!(m.ecf, 1.993); // Watson et al. 2009 Table 1, MOS1, Medium, 1–2 keV
    assert!((m.flux - m.net_rate / 1.993e11).abs() < 1e-12 * m.flux.abs());
    assert!((m.flux_ul - m.rate_ul / 1.993e11).abs() < 1e-12 * m.flux_ul);
    assert!(m.rate_lo < m.net_rate && m.net_rate < m.rate_hi && m.rate_hi < m.rate_ul);
    assert!(m.detected && m.p_bkg < 1e-30);
    // against the truth: the rate of the whole PSF, on axis-equivalent, is n_true / 9000 s
    // divided by the vignetting the scene did not apply
    let want = n_true as f64 / 9000.0 / v;
    let sigma = (m.counts as f64).sqrt() / m.exposure;
    assert!(
        (m.net_rate - want).abs() < 3.0 * sigma,
        "{} vs {want} ± {sigma}",
        m.net_rate
    );
    // the EEF at 1.5 keV is the PSF's over the radius used (on one CCD: all of the disc)
    let r = {
        let ext = extract(&exps[..1], ra, dec, &ExtractParams::default(), &[]).unwrap();
        ext.cameras[0].src_radius_arcsec
    };
    let k = epic_king(EpicCamera::Mos1, (1.0f64 * 2.0).sqrt(), m.offaxis_arcmin);
    assert!((m.eef - k.eef(r)).abs() < 0.01, "{} vs {}", m.eef, k.eef(r));
    // EPIC: summed counts, one flux through Σ exposure·ECF
    let (m1, m2, e) = (m, ph.get(3, "M2").unwrap(), ph.get(3, "EPIC").unwrap());
    assert_eq!(e.counts, m1.counts + m2.counts);
    let w = (m1.exposure * m1.ecf + m2.exposure * m2.ecf) * 1e11;
    let f = (e.counts as f64 - m1.bkg_expected - m2.bkg_expected) / w;
    assert!((e.flux / f - 1.0).abs() < 1e-12, "{} vs {f}", e.flux);
    assert!((e.net_rate - f * (m1.ecf + m2.ecf) * 1e11).abs() < 1e-12 * e.net_rate);
    let s_ul = kbn_upper_limit(e.counts, e.bkg_expected, p.confidence).unwrap();
    assert!((e.flux_ul - s_ul / w).abs() < 1e-12 * e.flux_ul);
    // band 8 holds the counts of bands 1–5 (they tile 0.2–12 keV)
    let sum: u64 = (1..=5).map(|b| ph.get(b, "M1").unwrap().counts).sum();
    assert_eq!(ph.epic8().unwrap().camera, "EPIC");
    assert_eq!(ph.get(8, "M1").unwrap().counts, sum);
    // no source photons above 2 keV: band 4 is background only, with a limit above zero
    let b4 = ph.get(4, "EPIC").unwrap();
    assert!(!b4.detected && b4.flux_ul > 0.0 && b4.flux_ul > b4.flux);
}

#[test]
fn an_uncovered_position_is_a_row_without_bands() {
    let exps = [testutil::exposure(&scene("EMOS1", vec![], 3))];
    let (ra, dec) = testutil::radec(CRPIX - 2000.0 / PIX, CRPIX);
    let ph = measure(&exps, "far", "", ra, dec, &[], &PhotometryParams::default()).unwrap();
    assert!(!ph.covered && ph.bands.is_empty() && ph.epic8().is_none());
    assert!(
        ph.warnings[0].starts_with("not covered"),
        "{:?}",
        ph.warnings
    );
    let bad = PhotometryParams {
        confidence: 1.5,
        ..Default::default()
    };
    let e = measure(&exps, "x", "", ra, dec, &[], &bad).unwrap_err();
    assert!(e.to_string().contains("confidence 1.5"), "{e}");
}

#[test]
fn forced_photometry_confirms_a_burst_and_not_a_constant_source() {
    // a 100 s burst of 40 photons and, 3′ away, a constant source of 2000 photons
    let xb = CRPIX + 180.0 / PIX;
    let srcs = vec![
        source(CRPIX, 2000, None),
        source(xb, 40, Some((3000.0, 3100.0))),
    ];
    let exps = [testutil::exposure(&scene("EMOS1", srcs, 4))];
    let p = PhotometryParams::default();
    let (ra, dec) = testutil::radec(xb, CRPIX);
    let (ra0, dec0) = testutil::CRVAL;
    let avoid = [(ra0, dec0, 40.0), (ra, dec, 20.0)];
    let burst = measure(&exps, "burst", "", ra, dec, &avoid, &p).unwrap();
    let f = burst.forced.unwrap();
    assert!(f.transient && f.sigma_peak >= 3.0, "{f:?}");
    assert!(
        (3000.0..3100.0).contains(&f.t_peak) || (f.t_peak - 3050.0).abs() <= 50.0,
        "{f:?}"
    );
    let (_, _, pb) = burst.chi2_const.unwrap();
    assert!(pb < 1e-6, "{pb}");
    let steady = measure(&exps, "steady", "", ra0, dec0, &avoid, &p).unwrap();
    let g = steady.forced.unwrap();
    assert!(!g.transient && g.sigma_peak < 3.0, "{g:?}");
    let (chi2, dof, pc) = steady.chi2_const.unwrap();
    assert!(pc > 1e-3 && dof >= 15, "{chi2} {dof} {pc}");
}
