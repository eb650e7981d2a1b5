use super::*;
use crate::spectral::fitdata::testutil::*;
use crate::spectral::fitdata::FitDataOptions;

/// 120 channels 0.3–12.3 keV, area 200 cm², neighbour leak 10 %.
fn setup(truth: &AbsPowerLaw, t: f64, seed: u64) -> FitData {
    let resp = toy_response(120, 0.3, 0.1, 0.1, 200.0);
    let empty = toy_spectrum("sim.pi", vec![0.0; 120], t);
    let fd0 = FitData::new(&empty, None, resp.clone(), &FitDataOptions::default()).unwrap();
    let x: Vec<f64> = truth.params.iter().map(|p| p.value).collect();
    let mean = fd0.model_counts(truth, &x);
    let spec = toy_spectrum("sim.pi", poisson(&mean, seed), t);
    FitData::new(&spec, None, resp, &FitDataOptions::default()).unwrap()
}

fn quick() -> FitOptions {
    FitOptions {
        profile_delta: None,
        ..Default::default()
    }
}

#[test]
fn a_far_start_reaches_the_same_optimum_as_the_truth() {
    let truth = AbsPowerLaw::new(0.5, 1.8, 1e-2);
    let fd = setup(&truth, 2e4, 1);
    let good = fit(&fd, &truth, Statistic::Cstat, &quick()).unwrap();
    let far = fit(
        &fd,
        &AbsPowerLaw::new(5.0, 8.0, 1e-10),
        Statistic::Cstat,
        &quick(),
    )
    .unwrap();
    assert!(
        (far.stat_value - good.stat_value).abs() < 1e-6 * good.stat_value,
        "{} vs {}",
        far.stat_value,
        good.stat_value
    );
    for (a, b) in far.params.iter().zip(&good.params) {
        assert!(
            (a.value - b.value).abs() < 1e-3 * b.sigma.max(1e-12),
            "{a:?} vs {b:?}"
        );
    }
    // and the optimum is a minimum: no nearby point is better
    let pb = Problem::new(&fd, &truth, Statistic::Cstat);
    let x = good.values();
    for i in 0..3 {
        for s in [-1.0, 1.0] {
            let mut y = x.clone();
            y[i] += s * 0.01 * good.params[i].sigma;
            assert!(pb.value(&y) >= good.stat_value - 1e-9);
        }
    }
    assert_eq!(good.dof, 117);
    assert!((good.aic - good.stat_value - 6.0).abs() < 1e-9);
    assert!((good.bic - good.stat_value - 3.0 * 120f64.ln()).abs() < 1e-9);
    let k = good.kaastra.as_ref().unwrap();
    assert!(
        k.z.abs() < 4.0 && k.expected > 90.0 && k.expected < 150.0,
        "{k:?}"
    );
}

#[test]
fn fits_cover_the_truth_across_seeds() {
    // 1σ covariance errors should cover the truth ~68 % of the time, 2σ ~95 %
    let truth = AbsPowerLaw::new(0.3, 1.7, 5e-3);
    let (mut in1, mut in2, n) = (0, 0, 30);
    for seed in 0..n {
        let fd = setup(&truth, 1e4, 100 + seed);
        let r = fit(
            &fd,
            &truth,
            Statistic::Cstat,
            &FitOptions {
                n_starts: 1,
                ..quick()
            },
        )
        .unwrap();
        let p = &r.params[1];
        let z = ((p.value - 1.7) / p.sigma).abs();
        in1 += (z < 1.0) as usize;
        in2 += (z < 2.0) as usize;
    }
    assert!((14..=27).contains(&in1), "{in1}/{n} within 1σ");
    assert!(in2 >= 25, "{in2}/{n} within 2σ");
}

#[test]
fn chi2_and_wstat_fits_recover_the_truth() {
    let truth = AbsPowerLaw::new(0.4, 2.0, 2e-2);
    let resp = toy_response(120, 0.3, 0.1, 0.1, 200.0);
    let t = 2e4;
    let empty = toy_spectrum("sim.pi", vec![0.0; 120], t);
    let fd0 = FitData::new(&empty, None, resp.clone(), &FitDataOptions::default()).unwrap();
    let m = fd0.model_counts(&truth, &[0.4, 2.0, 2e-2]);
    // background: 3 counts per channel in an area 4× the source's
    let bmean = vec![3.0; 120];
    let src_mean: Vec<f64> = m.iter().zip(&bmean).map(|(a, b)| a + b / 4.0).collect();
    let mut src = toy_spectrum("src.pi", poisson(&src_mean, 7), t);
    let mut bkg = toy_spectrum("bkg.pi", poisson(&bmean, 8), t);
    src.backscal = vec![1.0; 120];
    bkg.backscal = vec![4.0; 120];
    // group pairs of channels so χ² has no empty group
    src.grouping = (0..120).map(|i| if i % 4 == 0 { 1 } else { -1 }).collect();
    let fd = FitData::new(
        &src,
        Some(&bkg),
        resp,
        &FitDataOptions {
            energy: Some((0.5, 10.0)),
        },
    )
    .unwrap();
    for st in [
        Statistic::Wstat,
        Statistic::Chi2DataVar,
        Statistic::Chi2Gehrels,
    ] {
        let r = fit(&fd, &AbsPowerLaw::new(1.0, 3.0, 1e-3), st, &quick()).unwrap();
        let g = &r.params[1];
        assert!((g.value - 2.0).abs() < 4.0 * g.sigma, "{st:?}: {g:?}");
        assert!(g.sigma > 0.005 && g.sigma < 0.2, "{st:?}: {g:?}");
        if st.is_chi2() {
            let q = r.q_value.unwrap();
            assert!(q > 1e-4 && q <= 1.0, "{st:?} q = {q}");
            assert!((q - goodness::chi2_q(r.stat_value, r.dof)).abs() < 1e-15);
        } else {
            assert!(r.q_value.is_none());
            assert!((r.reduced_stat - r.stat_value / r.dof as f64).abs() < 1e-12);
        }
    }
}

/// Solve `D (r − 1 − ln r) = Δ/2` for r on the side `above` of 1.
fn cstat_ratio_root(d: f64, delta: f64, above: bool) -> f64 {
    let (mut lo, mut hi): (f64, f64) = if above { (1.0, 10.0) } else { (1e-6, 1.0) };
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let g = d * (mid - 1.0 - mid.ln()) - 0.5 * delta;
        if (g > 0.0) == above {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

#[test]
fn profile_interval_of_a_poisson_norm_is_the_analytic_root() {
    // only the norm is free: C(n) − C(n̂) = 2 D (r − 1 − ln r), r = n/n̂, D = Σ d
    let mut model = AbsPowerLaw::new(0.2, 1.9, 1e-3);
    model.params[0].frozen = true;
    model.params[1].frozen = true;
    let fd = setup(&model, 1e4, 5);
    let dsum: f64 = fd.bins.iter().map(|b| b.d).sum();
    for delta in [1.0, 2.706] {
        let r = fit(
            &fd,
            &model,
            Statistic::Cstat,
            &FitOptions {
                profile_delta: Some(delta),
                ..Default::default()
            },
        )
        .unwrap();
        let n = &r.params[2];
        // n̂ makes the predicted total equal the observed total
        let mtot: f64 = fd.model_counts(&model, &r.values()).iter().sum();
        assert!((mtot - dsum).abs() < 1e-6 * dsum, "{mtot} vs {dsum}");
        let up = n.value * cstat_ratio_root(dsum, delta, true);
        let lo = n.value * cstat_ratio_root(dsum, delta, false);
        assert!(
            (n.upper - up).abs() < 1e-4 * up,
            "Δ {delta}: upper {} vs {up}",
            n.upper
        );
        assert!(
            (n.lower - lo).abs() < 1e-4 * lo,
            "Δ {delta}: lower {} vs {lo}",
            n.lower
        );
        assert!(!n.lower_is_limit && !n.upper_is_limit);
        // covariance: σ = n̂/√D for a Poisson norm
        assert!(
            (n.sigma - n.value / dsum.sqrt()).abs() < 1e-3 * n.sigma,
            "{n:?}"
        );
        assert!(r.params[0].frozen && r.params[0].value == 0.2 && r.params[1].sigma.is_nan());
        assert_eq!(r.free, vec![2]);
    }
}

#[test]
fn a_line_norm_pinned_at_zero_is_reported_as_an_upper_limit() {
    let truth = PowerLawLine::new(1.8, 1e-2, 6.4, 0.0);
    let resp = toy_response(120, 0.3, 0.1, 0.0, 200.0);
    let empty = toy_spectrum("sim.pi", vec![0.0; 120], 1e4);
    let fd0 = FitData::new(&empty, None, resp.clone(), &FitDataOptions::default()).unwrap();
    let mut d: Vec<f64> = fd0
        .model_counts(&truth, &[1.8, 1e-2, 6.4, 0.0])
        .iter()
        .map(|m| m.round())
        .collect();
    // a deficit at the line energy: the best line norm is 0
    for c in 59..62 {
        d[c] = (d[c] * 0.7).round();
    }
    let fd = FitData::new(
        &toy_spectrum("src.pi", d, 1e4),
        None,
        resp,
        &FitDataOptions::default(),
    )
    .unwrap();
    let start = PowerLawLine::new(2.5, 1e-3, 6.4, 1e-4);
    let r = fit(&fd, &start, Statistic::Cstat, &FitOptions::default()).unwrap();
    let ln = &r.params[3];
    assert!(ln.value < 1e-9, "{ln:?}");
    assert!(
        ln.lower_is_limit && ln.lower == 0.0 && !ln.upper_is_limit && ln.upper > 0.0,
        "{ln:?}"
    );
    // the upper end is where the profile reaches +1 (checked directly: fix the line norm there)
    let mut fixed = PowerLawLine::new(r.params[0].value, r.params[1].value, 6.4, ln.upper);
    fixed.params[3].frozen = true;
    let rf = fit(&fd, &fixed, Statistic::Cstat, &quick()).unwrap();
    assert!(
        (rf.stat_value - r.stat_value - 1.0).abs() < 2e-3,
        "{} vs {}",
        rf.stat_value,
        r.stat_value
    );
    assert!(r.params[2].frozen);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let truth = AbsPowerLaw::new(0.5, 1.8, 1e-2);
    let fd = setup(&truth, 1e3, 2);
    let bad = AbsPowerLaw::new(0.5, 11.0, 1e-2);
    let e = fit(&fd, &bad, Statistic::Cstat, &quick())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("powerlaw.PhoIndex") && e.contains("limits"),
        "{e}"
    );
    let e = fit(&fd, &truth, Statistic::Chi2, &quick())
        .unwrap_err()
        .to_string();
    assert!(e.contains("STAT_ERR"), "{e}");
    let e = fit(&fd, &truth, Statistic::Wstat, &quick())
        .unwrap_err()
        .to_string();
    assert!(e.contains("background"), "{e}");
    let small = FitData::new(
        &toy_spectrum("s.pi", vec![3.0; 120], 1e3),
        None,
        toy_response(120, 0.3, 0.1, 0.1, 200.0),
        &FitDataOptions {
            energy: Some((0.3, 0.45)),
        },
    )
    .unwrap();
    assert_eq!(small.n_bins(), 2);
    let e = fit(&small, &truth, Statistic::Cstat, &quick())
        .unwrap_err()
        .to_string();
    assert!(e.contains("free parameters"), "{e}");
    assert!(bootstrap_goodness(
        &fd,
        &truth,
        Statistic::Cstat,
        &fit(&fd, &truth, Statistic::Cstat, &quick()).unwrap(),
        0,
        1
    )
    .is_err());
}

#[test]
fn bootstrap_is_deterministic_and_calibrated() {
    let truth = AbsPowerLaw::new(0.5, 1.8, 1e-2);
    let fd = setup(&truth, 5e3, 11);
    let r = fit(&fd, &truth, Statistic::Cstat, &quick()).unwrap();
    let a = bootstrap_goodness(&fd, &truth, Statistic::Cstat, &r, 40, 9).unwrap();
    let b = bootstrap_goodness(&fd, &truth, Statistic::Cstat, &r, 40, 9).unwrap();
    assert_eq!(a, b);
    // data drawn from the model: the simulated mean is near Kaastra's expectation minus ~k
    let k = r.kaastra.unwrap();
    assert!(
        (a.mean - (k.expected - 3.0)).abs() < 3.0 * (k.variance / 40.0).sqrt() + 1.0,
        "{a:?} {k:?}"
    );
    assert!(a.fraction_ge > 0.0 && a.fraction_ge < 1.0, "{a:?}");
}
