//! Oracle tests of the statistics module (issue #3).
//!
//! Oracles: the mpmath table `tests/data/bayes_reference.csv` (50 digits, made by
//! `scripts/bayes_reference.py`); the paper's thresholds (eqs. 9–10); EXOD2's table of decision
//! counts (exod2-reference §6.3); direct numerical integration of the amplitude posterior.

use exod_core::stats::*;

fn reference() -> Vec<(u64, f64, f64, f64)> {
    let text = include_str!("data/bayes_reference.csv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("n,"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn bayes_factors_match_mpmath_to_1e_6_over_the_whole_domain() {
    let rows = reference();
    assert!(
        rows.len() > 250,
        "reference table too short: {}",
        rows.len()
    );
    let mut worst = 0.0f64;
    for (n, mu, bp, be) in rows {
        let p = log10_b_peak(n, mu);
        let e = log10_b_eclipse(n, mu);
        // 1e-6 absolute, or 1e-12 relative for the huge values (1e7 in log10 at N = 1e6, μ = 1e-7).
        let tol = |r: f64| 1e-6f64.max(1e-12 * r.abs());
        assert!((p - bp).abs() <= tol(bp), "peak N={n} mu={mu}: {p} vs {bp}");
        assert!(
            (e - be).abs() <= tol(be),
            "eclipse N={n} mu={mu}: {e} vs {be}"
        );
        worst = worst.max((p - bp).abs() / bp.abs().max(1.0));
        worst = worst.max((e - be).abs() / be.abs().max(1.0));
    }
    // far better than required: keep it that way
    assert!(worst < 1e-9, "worst relative error {worst}");
}

#[test]
fn thresholds_reproduce_the_paper() {
    let t3 = Thresholds::for_sigma(3.0).unwrap();
    let t5 = Thresholds::for_sigma(5.0).unwrap();
    assert_eq!(format!("{:.4}", t3.peak), "5.9410");
    assert_eq!(format!("{:.4}", t3.eclipse), "5.7089");
    assert_eq!(format!("{:.4}", t5.peak), "13.2788");
    assert_eq!(format!("{:.4}", t5.eclipse), "12.3805");
    // and the 15-digit values EXOD2 computes with scipy
    assert!((t3.peak - 5.940968916584189).abs() < 1e-9);
    assert!((t5.eclipse - 12.380488516107011).abs() < 1e-9);
    // the Gaussian counts of eq. 8 at μ = 1000
    assert_eq!(gaussian_count(1000.0, 3.0, true).ceil(), 1139.0);
    assert_eq!(gaussian_count(1000.0, 3.0, false).floor(), 870.0);
    assert_eq!(gaussian_count(1000.0, 5.0, true).ceil(), 1237.0);
    assert_eq!(gaussian_count(1000.0, 5.0, false).floor(), 788.0);
    assert!(Thresholds::for_sigma(0.0).is_err());
    assert!(Thresholds::for_sigma(f64::NAN).is_err());
}

fn mu_grid() -> Vec<f64> {
    // dense log grid 1e-7..1e6, plus integers and half-integers to land near the diagonal
    let mut v: Vec<f64> = (0..=26_000)
        .map(|i| 10f64.powf(-7.0 + i as f64 * 13.0 / 26_000.0))
        .collect();
    v.extend((1..2000).map(|i| i as f64 * 0.5));
    v.sort_by(f64::total_cmp);
    v
}

#[test]
fn boundaries_give_exactly_the_decision_of_direct_evaluation() {
    for sigma in [3.0, 5.0, 2.0, 4.5] {
        let t = Thresholds::for_sigma(sigma).unwrap();
        let b = Boundaries::new(t, Rule::Exact, 3000);
        let mut checked = 0u64;
        for mu in mu_grid() {
            // every N where a decision could flip: around both boundaries, and a few in between
            let np = b.min_peak_count(mu);
            assert!(
                log10_b_peak(np, mu) >= t.peak,
                "mu={mu} N={np} should be a peak"
            );
            if np > 0 {
                assert!(
                    log10_b_peak(np - 1, mu) < t.peak,
                    "mu={mu} N={} must not be a peak",
                    np - 1
                );
            }
            let lo = np.saturating_sub(3);
            for n in lo..np + 3 {
                assert_eq!(
                    b.is_peak(n, mu),
                    log10_b_peak(n, mu) >= t.peak,
                    "sigma {sigma} mu={mu} n={n}"
                );
                checked += 1;
            }
            match b.max_eclipse_count(mu) {
                Some(ne) => {
                    assert!(log10_b_eclipse(ne, mu) >= t.eclipse);
                    assert!(log10_b_eclipse(ne + 1, mu) < t.eclipse);
                    for n in ne.saturating_sub(3)..ne + 3 {
                        assert_eq!(
                            b.is_eclipse(n, mu),
                            log10_b_eclipse(n, mu) >= t.eclipse,
                            "mu={mu} n={n}"
                        );
                        checked += 1;
                    }
                }
                None => assert!(
                    log10_b_eclipse(0, mu) < t.eclipse,
                    "mu={mu}: N=0 is an eclipse"
                ),
            }
        }
        assert!(checked > 100_000);
    }
}

#[test]
fn decisions_beyond_the_table_fall_back_to_direct_evaluation() {
    let t = Thresholds::for_sigma(3.0).unwrap();
    let small = Boundaries::new(t, Rule::Exact, 8);
    let big = Boundaries::new(t, Rule::Exact, 2000);
    for mu in [0.5, 3.0, 20.0, 150.0, 999.0] {
        for n in 0..1500u64 {
            assert_eq!(small.is_peak(n, mu), big.is_peak(n, mu), "mu {mu} n {n}");
            assert_eq!(
                small.is_eclipse(n, mu),
                big.is_eclipse(n, mu),
                "mu {mu} n {n}"
            );
        }
    }
}

#[test]
fn boundaries_are_monotone_and_approach_the_gaussian_counts() {
    let t = Thresholds::for_sigma(3.0).unwrap();
    let b = Boundaries::new(t, Rule::Exact, 4096);
    let mut last_p = 0;
    let mut last_e: Option<u64> = None;
    for mu in mu_grid() {
        let p = b.min_peak_count(mu);
        assert!(p >= last_p, "min peak count decreased at mu={mu}");
        last_p = p;
        let e = b.max_eclipse_count(mu);
        if let Some(l) = last_e {
            assert!(e.unwrap() >= l, "max eclipse count decreased at mu={mu}");
        }
        if e.is_some() {
            last_e = e;
        }
    }
    // At large μ the boundaries approach eq. 8 relatively (both → μ), and they follow the
    // Gaussian law of the Bayes factor: for N > μ, B_peak ≈ 1/Pois ≈ √(2πμ)·e^{z²/2} with
    // z = (N − μ)/√μ, so the boundary solves z²/(2 ln 10) + ½ log10(2πμ) = threshold. A fixed B
    // therefore means a σ (eq. 8) that slowly drifts with μ: equal at μ = 1000 by construction.
    let (mut last_gap, mut last_egap) = (f64::INFINITY, f64::INFINITY);
    for mu in [1e4, 1e5, 1e6] {
        let gp = gaussian_count(mu, 3.0, true);
        let p = b.min_peak_count(mu) as f64;
        let gap = (p - gp).abs() / gp;
        assert!(gap < last_gap && gap < 3e-3, "mu {mu}: {p} vs eq. 8 {gp}");
        last_gap = gap;
        let z = (p - mu) / mu.sqrt();
        let law = z * z / (2.0 * std::f64::consts::LN_10)
            + 0.5 * (2.0 * std::f64::consts::PI * mu).log10();
        assert!(
            (law - t.peak).abs() < 0.05 + 3.0 * z / mu.sqrt(),
            "mu {mu}: law {law} vs {}",
            t.peak
        );
        let ge = gaussian_count(mu, 3.0, false);
        let e = b.max_eclipse_count(mu).unwrap() as f64;
        let egap = (e - ge).abs() / ge;
        assert!(
            egap < last_egap && egap < 5e-3,
            "mu {mu}: {e} vs eq. 8 {ge}"
        );
        last_egap = egap;
    }
    assert_eq!(b.min_peak_count(1000.0), 1139);
    assert_eq!(b.max_eclipse_count(1000.0), Some(870));
}

#[test]
fn b_peak_increases_with_n_and_b_eclipse_decreases() {
    for mu in [1e-6, 0.01, 1.0, 7.5, 100.0, 2500.0] {
        let mut lp = f64::NEG_INFINITY;
        let mut le = f64::INFINITY;
        for n in 0..400u64 {
            let p = log10_b_peak(n, mu);
            let e = log10_b_eclipse(n, mu);
            assert!(p >= lp, "B_peak not increasing at mu={mu} n={n}");
            assert!(e <= le, "B_eclipse not decreasing at mu={mu} n={n}");
            lp = p;
            le = e;
        }
    }
}

/// EXOD2's table of flagged counts (exod2-reference §6.3): its peak flag needs N > first
/// significant count, so under `Rule::Exact` our minimum is one less; the eclipse column is exact.
#[test]
fn exod2_parity_reproduces_the_reference_table() {
    // (mu, 3σ peak N≥, 3σ eclipse N<, 5σ peak N≥, 5σ eclipse N<), 0 = no eclipse possible
    let table = [
        (1e-7, 2, 0, 3, 0),
        (1e-3, 3, 0, 5, 0),
        (0.01, 4, 0, 7, 0),
        (0.1, 6, 0, 10, 0),
        (0.5, 8, 0, 14, 0),
        (1.0, 10, 0, 17, 0),
        (2.0, 14, 0, 22, 0),
        (5.0, 20, 0, 31, 0),
        (10.0, 30, 0, 43, 0),
        (20.0, 46, 3, 63, 0),
        (50.0, 87, 22, 112, 9),
        (100.0, 150, 59, 184, 38),
    ];
    for (sigma, col_p, col_e) in [(3.0, 1, 2), (5.0, 3, 4)] {
        let t = Thresholds::for_sigma(sigma).unwrap();
        let parity = Boundaries::new(t, Rule::Exod2Parity, 512);
        let exact = Boundaries::new(t, Rule::Exact, 512);
        for row in table {
            let (mu, vals) = (row.0, [row.1, row.2, row.3, row.4]);
            let p = vals[col_p - 1] as u64;
            let e = vals[col_e - 1] as u64;
            assert_eq!(
                parity.min_peak_count(mu),
                p,
                "parity peak sigma {sigma} mu {mu}"
            );
            assert_eq!(
                exact.min_peak_count(mu),
                p - 1,
                "exact peak sigma {sigma} mu {mu}"
            );
            let want_e = if e == 0 { None } else { Some(e - 1) };
            assert_eq!(
                parity.max_eclipse_count(mu),
                want_e,
                "eclipse sigma {sigma} mu {mu}"
            );
            assert_eq!(
                exact.max_eclipse_count(mu),
                want_e,
                "eclipse sigma {sigma} mu {mu}"
            );
        }
    }
    // the smallest μ where N = 0 is an eclipse: 13.145 (3σ), 28.507 (5σ)
    let b3 = Boundaries::new(Thresholds::for_sigma(3.0).unwrap(), Rule::Exact, 4);
    let b5 = Boundaries::new(Thresholds::for_sigma(5.0).unwrap(), Rule::Exact, 4);
    assert!(
        (b3.min_eclipse_mu() - 13.145).abs() < 1e-3,
        "{}",
        b3.min_eclipse_mu()
    );
    assert!(
        (b5.min_eclipse_mu() - 28.507).abs() < 1e-3,
        "{}",
        b5.min_eclipse_mu()
    );
}

#[test]
fn sigma_equivalent_is_the_exact_inverse_of_the_thresholds() {
    for s in [1.0, 2.0, 2.5, 3.0, 3.3, 4.0, 5.0, 7.0, 10.0] {
        let t = Thresholds::for_sigma(s).unwrap();
        assert!(sigma_equivalent_peak(t.peak) >= s, "peak at threshold {s}");
        assert!(
            sigma_equivalent_peak(t.peak - 1e-9) < s,
            "peak below threshold {s}"
        );
        assert!(
            sigma_equivalent_eclipse(t.eclipse) >= s,
            "eclipse at threshold {s}"
        );
        assert!(
            sigma_equivalent_eclipse(t.eclipse - 1e-9) < s,
            "eclipse below threshold {s}"
        );
    }
    // the paper's calibration points map back onto their σ (eq. 8 at μ = 1000)
    let (p, _) = sigma_equivalents(1139, 1000.0);
    assert!((p - 139.0 / 2139f64.sqrt()).abs() < 1e-12);
    let (_, e) = sigma_equivalents(788, 1000.0);
    assert!((e - 212.0 / 1788f64.sqrt()).abs() < 1e-12);
    // EXOD2's examples (§6.4), within its one-count step resolution
    assert!((sigma_equivalent_peak(10.0) - 4.22).abs() < 0.03);
    assert!((sigma_equivalent_peak(20.0) - 6.27).abs() < 0.03);
    assert_eq!(sigma_equivalent_peak(0.5), 0.0);
}

/// Amplitude posterior ∝ e^{-(μ+s)}(μ+s)^N on s ≥ 0 (peak) or s ∈ [0, μ] (eclipse, μ − s),
/// integrated numerically with composite Simpson on a fine grid, in log-normalised form.
fn numeric_quantiles(n: u64, mu: f64, eclipse: bool) -> [f64; 3] {
    let nf = n as f64;
    let logpost = |s: f64| {
        let lam = if eclipse { mu - s } else { mu + s };
        if lam <= 0.0 {
            if n == 0 {
                -lam
            } else {
                f64::NEG_INFINITY
            }
        } else {
            nf * lam.ln() - lam
        }
    };
    let upper = if eclipse {
        mu
    } else {
        nf + 60.0 * (nf + 1.0).sqrt() + 60.0
    };
    let m = 400_000usize;
    let h = upper / m as f64;
    let lmax = (0..=m)
        .map(|i| logpost(i as f64 * h))
        .fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = (0..=m)
        .map(|i| (logpost(i as f64 * h) - lmax).exp())
        .collect();
    // cumulative trapezoid (Simpson-level accuracy is not needed at this step size)
    let mut cum = vec![0.0; m + 1];
    for i in 1..=m {
        cum[i] = cum[i - 1] + 0.5 * h * (w[i] + w[i - 1]);
    }
    let total = cum[m];
    [0.16, 0.5, 0.84].map(|f| {
        let target = f * total;
        let i = cum.partition_point(|&c| c < target).min(m);
        let (c0, c1) = (cum[i - 1], cum[i]);
        (i - 1) as f64 * h + h * (target - c0) / (c1 - c0)
    })
}

#[test]
fn amplitudes_match_numerical_integration_of_the_posterior() {
    for &(n, mu) in &[
        (10u64, 1.0),
        (3, 0.001),
        (30, 5.0),
        (139, 1000.0),
        (1139, 1000.0),
        (0, 0.5),
        (50, 60.0),
    ] {
        let a = peak_amplitude(n, mu).unwrap();
        let q = numeric_quantiles(n, mu, false);
        for (got, want) in [a.p16, a.p50, a.p84].iter().zip(q) {
            assert!(
                (got - want).abs() < 1e-3 * want.max(1.0),
                "peak N={n} mu={mu}: {got} vs {want}"
            );
        }
    }
    // EXOD2's worked example (§6.5): N=10, μ=1 → 6.75 / 9.67 / 13.25
    let a = peak_amplitude(10, 1.0).unwrap();
    assert_eq!(
        format!("{:.2} {:.2} {:.2}", a.p16, a.p50, a.p84),
        "6.75 9.67 13.25"
    );
    for &(n, mu) in &[
        (0u64, 20.0),
        (3, 30.0),
        (870, 1000.0),
        (10, 12.0),
        (788, 1000.0),
    ] {
        let a = eclipse_amplitude(n, mu).unwrap();
        let q = numeric_quantiles(n, mu, true);
        for (got, want) in [a.p16, a.p50, a.p84].iter().zip(q) {
            assert!(
                (got - want).abs() < 1e-3 * want.max(1.0),
                "eclipse N={n} mu={mu}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn amplitudes_survive_underflowing_tails() {
    // Q(101, 1e4) ~ 1e-4000. With N << μ the posterior of s is ≈ exponential with rate
    // 1 − N/μ (since (μ+s)^N ≈ μ^N e^{sN/μ}), so the quantiles are −ln(1 − f)/(1 − N/μ).
    let a = peak_amplitude(100, 1e4).unwrap();
    let rate = 1.0 - 100.0 / 1e4;
    for (got, f) in [(a.p16, 0.16f64), (a.p50, 0.5), (a.p84, 0.84)] {
        let want = -(1.0 - f).ln() / rate;
        assert!((got - want).abs() < 2e-3 * want, "f={f}: {got} vs {want}");
    }
    // a 5σ peak at μ = 1e-3 with 8 counts: amplitude ≈ N
    let a = peak_amplitude(8, 1e-3).unwrap();
    assert!(a.p16 > 4.0 && a.p84 < 13.0, "{a:?}");
    assert!(peak_amplitude(3, 0.0).is_err());
    assert!(eclipse_amplitude(3, f64::NAN).is_err());
    assert!(peak_amplitude_quantile(3, 1.0, 1.0).is_err());
}

#[test]
fn invalid_expectations_never_flag_and_never_panic() {
    let b = Boundaries::new(Thresholds::for_sigma(3.0).unwrap(), Rule::Exact, 64);
    for mu in [0.0, -1.0, f64::NAN] {
        assert!(!b.is_peak(5, mu));
        assert!(!b.is_eclipse(0, mu));
        assert!(log10_b_peak(5, mu).is_nan());
    }
}

/// `decision_sigma ≥ s` exactly when the rule flags the cell at s σ, for both rules, below and
/// above μ = 1000 (where the EXOD2 rule switches to eq. 8's Gaussian counts).
#[test]
fn decision_sigma_is_the_inverse_of_each_rule() {
    use exod_core::stats::decision_sigma;
    for rule in [Rule::Exact, Rule::Exod2Parity] {
        for s in [3.0, 4.0, 5.0] {
            let b = Boundaries::new(Thresholds::for_sigma(s).unwrap(), rule, 64);
            for mu in [0.01, 0.3, 2.0, 40.0, 999.0, 1000.5, 5000.0, 20000.0] {
                let lo = (mu - 8.0 * (mu as f64).sqrt() - 10.0).max(0.0) as u64;
                let hi = (mu + 8.0 * (mu as f64).sqrt() + 30.0) as u64;
                for n in lo..hi {
                    let ds_p = decision_sigma(rule, n, mu, true);
                    let ds_e = decision_sigma(rule, n, mu, false);
                    // skip values within rounding of the threshold itself
                    if (ds_p - s).abs() > 1e-9 {
                        assert_eq!(
                            ds_p >= s,
                            b.is_peak(n, mu),
                            "{rule:?} {s}σ peak n={n} μ={mu}: {ds_p}"
                        );
                    }
                    if (ds_e - s).abs() > 1e-9 {
                        assert_eq!(
                            ds_e >= s,
                            b.is_eclipse(n, mu),
                            "{rule:?} {s}σ eclipse n={n} μ={mu}: {ds_e}"
                        );
                    }
                }
            }
        }
    }
}
