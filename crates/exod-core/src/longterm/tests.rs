use super::*;

fn det(obs: &str, mjd: f64, flux: f64, err: f64) -> EpochFlux {
    EpochFlux {
        obs_id: obs.into(),
        mjd,
        state: FluxState::Detected {
            flux,
            lo: flux - err,
            hi: flux + err,
        },
        short_term_p: None,
    }
}

fn ul(obs: &str, mjd: f64, ul: f64) -> EpochFlux {
    EpochFlux {
        obs_id: obs.into(),
        mjd,
        state: FluxState::UpperLimit { ul },
        short_term_p: None,
    }
}

fn off(obs: &str, mjd: f64) -> EpochFlux {
    EpochFlux {
        obs_id: obs.into(),
        mjd,
        state: FluxState::NotCovered,
        short_term_p: None,
    }
}

const P: LongTermParams = LongTermParams {
    threshold: 5.0,
    short_term_p: 1e-5,
};

#[test]
fn variability_is_lower_bound_of_the_high_over_upper_bound_of_the_low() {
    // highest state 10 ± 2 (L = 8), lowest 1 ± 0.6 (U = 1.6): V = 8 / 1.6 = 5
    let e = [
        det("a", 1.0, 1.0, 0.6),
        det("b", 2.0, 10.0, 2.0),
        det("c", 3.0, 3.0, 1.0),
    ];
    let v = variability(&e).unwrap();
    assert!((v.ratio - 5.0).abs() < 1e-12, "{v:?}");
    assert_eq!((v.high, v.low), (1, 0));
    // an upper limit is [0, UL]: a 0.5 limit is the lowest state
    let e2 = [e[0].clone(), e[1].clone(), ul("d", 4.0, 0.5)];
    let v2 = variability(&e2).unwrap();
    assert!((v2.ratio - 16.0).abs() < 1e-12);
    assert_eq!(v2.low, 2);
}

#[test]
fn consistent_epochs_give_a_ratio_below_one_and_gaps_are_ignored() {
    let e = [
        det("a", 1.0, 5.0, 1.0),
        det("b", 2.0, 5.5, 1.0),
        off("c", 3.0),
    ];
    let v = variability(&e).unwrap();
    assert!(v.ratio < 1.0, "{v:?}");
    assert!(variability(&e[..1]).is_none());
    assert!(variability(&[e[0].clone(), off("x", 5.0)]).is_none());
    // only upper limits: no positive lower bound
    assert!(variability(&[ul("a", 1.0, 1.0), ul("b", 2.0, 3.0)]).is_none());
}

#[test]
fn assess_names_each_kind_of_change() {
    let base = [det("a", 1.0, 1.0, 0.2), det("b", 2.0, 1.1, 0.2)];
    // ×10: L = 8 over U = 1.2 → 6.7
    let a = assess(&base, &det("n", 3.0, 10.0, 2.0), true, &P).unwrap();
    assert_eq!(a.kind, AlertKind::HighState);
    assert!((a.ratio.unwrap() - 8.0 / 1.2).abs() < 1e-12);
    assert_eq!(a.compared_with, Some(0));
    // gone: upper limit 0.1 under L = 0.9 (epoch b) → 9
    let a = assess(&base, &ul("n", 3.0, 0.1), true, &P).unwrap();
    assert_eq!(a.kind, AlertKind::Disappearance);
    assert!((a.ratio.unwrap() - 9.0).abs() < 1e-12);
    assert_eq!(a.compared_with, Some(1));
    // fainter but still detected: 0.1 ± 0.05 → 0.9 / 0.15 = 6
    let a = assess(&base, &det("n", 3.0, 0.1, 0.05), true, &P).unwrap();
    assert_eq!(a.kind, AlertKind::LowState);
    // a steady source: nothing
    assert!(assess(&base, &det("n", 3.0, 1.2, 0.2), true, &P).is_none());
    // an upper limit that does not constrain: nothing
    assert!(assess(&base, &ul("n", 3.0, 2.0), true, &P).is_none());
}

#[test]
fn first_detection_new_source_and_unseen_sky() {
    let uls = [ul("a", 1.0, 0.5), ul("b", 2.0, 0.8)];
    let a = assess(&uls, &det("n", 3.0, 5.0, 1.0), false, &P).unwrap();
    assert_eq!(a.kind, AlertKind::FirstDetection);
    assert!((a.ratio.unwrap() - 8.0).abs() < 1e-12);
    // the earlier limits allow it: a new source if unknown, nothing if catalogued
    let a = assess(&uls, &det("n", 3.0, 1.0, 0.5), false, &P).unwrap();
    assert_eq!((a.kind, a.ratio), (AlertKind::NewSource, None));
    assert!(assess(&uls, &det("n", 3.0, 1.0, 0.5), true, &P).is_none());
    // never covered before: no long-term alert at all
    assert!(assess(&[off("a", 1.0)], &det("n", 3.0, 50.0, 1.0), false, &P).is_none());
    assert!(assess(&[], &det("n", 3.0, 50.0, 1.0), false, &P).is_none());
    // the new epoch not covered: nothing
    assert!(assess(&uls, &off("n", 3.0), false, &P).is_none());
}

#[test]
fn threshold_is_inclusive_and_configurable() {
    let base = [det("a", 1.0, 1.0, 0.0)];
    let at5 = det("n", 2.0, 5.0, 0.0);
    assert_eq!(
        assess(&base, &at5, true, &P).unwrap().kind,
        AlertKind::HighState
    );
    let strict = LongTermParams {
        threshold: 5.000001,
        ..P
    };
    assert!(assess(&base, &at5, true, &strict).is_none());
}

#[test]
fn short_term_flag_follows_the_chi2_probability() {
    let base = [det("a", 1.0, 1.0, 0.1)];
    let mut n = det("n", 2.0, 10.0, 1.0);
    n.short_term_p = Some(1e-7);
    assert!(assess(&base, &n, true, &P).unwrap().short_term);
    n.short_term_p = Some(1e-3);
    assert!(!assess(&base, &n, true, &P).unwrap().short_term);
}

#[test]
fn history_replays_epochs_in_time_order() {
    // given out of order: the ×10 state (mjd 3) comes after two quiet epochs
    let e = [
        det("c", 3.0, 10.0, 1.0),
        det("a", 1.0, 1.0, 0.1),
        det("b", 2.0, 1.0, 0.1),
    ];
    let h = history(&e, true, &P);
    assert_eq!((h.n_covered, h.n_detected), (3, 3));
    assert_eq!(h.alerts.len(), 1);
    assert_eq!(h.alerts[0].0, 0);
    assert_eq!(h.alerts[0].1.kind, AlertKind::HighState);
    assert_eq!(h.alerts[0].1.compared_with, Some(1));
    let v = h.variability.unwrap();
    assert_eq!((v.high, v.low), (0, 1));
    assert!((v.ratio - 9.0 / 1.1).abs() < 1e-12);
}

#[test]
fn kind_names_round_trip() {
    for k in ALL_KINDS {
        assert_eq!(AlertKind::from_name(k.name()), Some(k));
    }
    assert_eq!(AlertKind::from_name("bogus"), None);
}
