//! exod_io::timing_in on small files made with astropy (`tests/data/timing/`, by
//! scripts/oracle_barycentre.py) and on the real lists of `testdata/real`, against facts
//! computed independently with astropy + numpy by the same script (`real_timing_facts.json`).

use std::path::PathBuf;

use exod_core::timesys::{Barycentre, TimeRef, TimeReference, TimeSys};
use exod_io::timing_in::{read_event_times, read_orbit};
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/timing")
        .join(name)
}

fn real(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real")
        .join(rel)
}

#[test]
fn time_only_list_with_a_gti_extension() {
    let ev = read_event_times(&data("time_only.fits")).unwrap();
    assert_eq!(ev.times.len(), 200);
    assert!(ev.times.windows(2).all(|w| w[0] <= w[1]), "sorted");
    let t0 = 200_506_085.0;
    assert!(ev.times[0] >= t0 && ev.times[199] <= t0 + 1000.0);
    assert_eq!(
        ev.gti.intervals(),
        &[(t0, t0 + 400.0), (t0 + 600.0, t0 + 1000.0)]
    );
    assert_eq!(ev.gti_source, "GTI extension");
    assert_eq!(ev.time_ref.mjdref_parts(), (50_814.0, 0.0));
    assert_eq!(
        (ev.time_ref.timesys, ev.time_ref.timeref),
        (TimeSys::Tt, TimeRef::Local)
    );
    assert_eq!(ev.frame_time_s, Some(0.0734));
    assert_eq!(ev.telescope.as_deref(), Some("XMM"));
    assert_eq!(ev.instrument.as_deref(), Some("EPN"));
    assert_eq!((ev.tstart, ev.tstop), (Some(t0), Some(t0 + 1000.0)));
    // uniform times over 1000 s, a 200 s gap: about 40 outside, reported and kept
    let outside = ev.times.iter().filter(|&&t| !ev.gti.contains(t)).count();
    assert!(outside > 10);
    assert!(
        ev.warnings
            .iter()
            .any(|w| w.starts_with(&format!("{outside} of 200 events"))),
        "{:?}",
        ev.warnings
    );
}

#[test]
fn split_mjdref_is_kept_split() {
    let ev = read_event_times(&data("mjdref_split.fits")).unwrap();
    assert_eq!(ev.time_ref.mjdref_parts(), (55_197.0, 7.6601852e-4));
    assert_eq!(ev.gti_source, "STDGTI extension");
    assert_eq!(ev.telescope, None);
    assert_eq!(ev.frame_time_s, None);
    // MJD of the first event, as astropy would compute it (MJDREFI + MJDREFF + t/86400)
    let t = ev.times[0];
    let (d, f) = ev.time_ref.mjd_tt_parts(t);
    let q = (t / 86_400.0).floor();
    assert_eq!(d, 55_197.0 + q);
    assert!((f - (7.6601852e-4 + (t - q * 86_400.0) / 86_400.0)).abs() < 1e-15);
}

#[test]
fn timezero_and_two_gti_extensions() {
    let ev = read_event_times(&data("timezero.fits")).unwrap();
    assert_eq!(ev.time_ref.timezero, 12.5);
    let t0 = 200_506_085.0;
    // STDGTI01 [0, 200] ∪ STDGTI02 [150, 300] ∪ [400, 500] (TELESCOP SWIFT: no per-CCD rule)
    assert_eq!(
        ev.gti.intervals(),
        &[(t0, t0 + 300.0), (t0 + 400.0, t0 + 500.0)]
    );
    assert!(
        ev.gti_source.contains("STDGTI01, STDGTI02"),
        "{}",
        ev.gti_source
    );
    let plain = TimeReference::xmm_default();
    let d = (ev.time_ref.mjd(ev.times[0]) - plain.mjd(ev.times[0])) * 86_400.0;
    assert!((d - 12.5).abs() < 1e-5, "{d}");
}

#[test]
fn no_gti_extension_falls_back_on_tstart_tstop() {
    let ev = read_event_times(&data("no_gti.fits")).unwrap();
    let t0 = 624_110_452.0;
    assert_eq!(ev.gti.intervals(), &[(t0, t0 + 300.0)]);
    assert!(
        ev.warnings.iter().any(|w| w.contains("no GTI extension")),
        "{:?}",
        ev.warnings
    );
    // FRAMETIM in ms (eROSITA)
    assert!((ev.frame_time_s.unwrap() - 0.0500584).abs() < 1e-12);
    // no TIMEREF: LOCAL, with a warning
    assert_eq!(ev.time_ref.timeref, TimeRef::Local);
    assert!(ev.warnings.iter().any(|w| w.contains("TIMEREF absent")));
    assert_eq!(ev.time_ref.mjdref_parts(), (51_543.0, 0.875));
}

#[test]
fn damaged_and_unsupported_files_are_refused_by_name() {
    let p = data("no_time.fits");
    let e = read_event_times(&p).unwrap_err().to_string();
    assert!(
        e.contains("no_time.fits") && e.contains("no column TIME") && e.contains("TIMES, PI"),
        "{e}"
    );
    let e = read_event_times(&data("utc.fits")).unwrap_err().to_string();
    assert!(
        e.contains("utc.fits") && e.contains("TIMESYS: 'UTC' is not supported"),
        "{e}"
    );
    let e = read_event_times(&data("mjdref_conflict.fits"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("mjdref_conflict.fits") && e.contains("MJDREF = 55197.5 but MJDREFI + MJDREFF"),
        "{e}"
    );
    let e = read_event_times(&data("does_not_exist.fits"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("does_not_exist.fits"), "{e}");
    // an orbit file is not an event list: no EVENTS, but a TIME column: read as times, with
    // no GTI extension (TSTART/TSTOP of the orbit)
    let o = read_event_times(&data("orbit_m.fits")).unwrap();
    assert_eq!(o.hdu, "EPHEM");
    // an event list is not an orbit
    let e = read_orbit(&data("time_only.fits")).unwrap_err().to_string();
    assert!(e.contains("no binary table with TIME, X, Y and Z"), "{e}");
}

fn facts() -> Value {
    serde_json::from_str(include_str!("data/timing/real_timing_facts.json")).unwrap()
}

#[test]
fn real_lists_match_the_independent_facts() {
    let f = facts();
    for (rel, want) in f.as_object().unwrap() {
        let ev = read_event_times(&real(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let n = want["n"].as_u64().unwrap() as usize;
        assert_eq!(ev.times.len(), n, "{rel}");
        assert_eq!(ev.times[0], want["first"].as_f64().unwrap(), "{rel}");
        assert_eq!(ev.times[n - 1], want["last"].as_f64().unwrap(), "{rel}");
        assert_eq!(ev.times[n / 2], want["median"].as_f64().unwrap(), "{rel}");
        let gti: Vec<(f64, f64)> = want["gti"]
            .as_array()
            .unwrap()
            .iter()
            .map(|iv| (iv[0].as_f64().unwrap(), iv[1].as_f64().unwrap()))
            .collect();
        assert_eq!(
            ev.gti.intervals(),
            gti.as_slice(),
            "{rel}: GTIs ({})",
            ev.gti_source
        );
        assert!(
            (ev.gti.exposure() - want["exposure"].as_f64().unwrap()).abs() < 1e-6,
            "{rel}"
        );
        let m = want["mjdref"].as_array().unwrap();
        assert_eq!(
            ev.time_ref.mjdref_parts(),
            (m[0].as_f64().unwrap(), m[1].as_f64().unwrap()),
            "{rel}"
        );
        match want["frame_time_s"].as_f64() {
            Some(w) => assert!((ev.frame_time_s.unwrap() - w).abs() < 1e-12, "{rel}"),
            None => assert_eq!(ev.frame_time_s, None, "{rel}"),
        }
        let outside = ev.times.iter().filter(|&&t| !ev.gti.contains(t)).count();
        assert_eq!(
            outside as u64,
            want["outside_gti"].as_u64().unwrap(),
            "{rel}"
        );
        assert_eq!(ev.time_ref.timesys, TimeSys::Tt, "{rel}");
    }
}

#[test]
fn real_xmm_list_uses_the_flare_filtered_gtis() {
    let ev = read_event_times(&real("xga_0201901401/mos1_exp1_clean_evts.fits.gz")).unwrap();
    assert!(ev.gti_source.contains("data-subspace"), "{}", ev.gti_source);
    // the flare-filtered exposure (≈ 5.1 ks), not the 13.4 ks span of STDGTInn
    assert!((ev.gti.exposure() - 5150.0).abs() < 1e-6);
    assert!(ev.warnings.is_empty(), "{:?}", ev.warnings);
}

/// The exact positions of `orbit_check.csv` (t, x, y, z in km).
fn orbit_check() -> Vec<[f64; 4]> {
    std::fs::read_to_string(data("orbit_check.csv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            [v[0], v[1], v[2], v[3]]
        })
        .collect()
}

#[test]
fn orbit_files_in_km_and_in_m() {
    let km = read_orbit(&data("orbit_km.fits")).unwrap();
    assert_eq!(km.times().len(), 361);
    assert!(km.velocities_km_s().is_some());
    assert_eq!(km.time_ref().unwrap().mjdref(), 50_814.0);
    let m = read_orbit(&data("orbit_m.fits")).unwrap();
    assert_eq!(m.times().len(), 73);
    assert!(m.velocities_km_s().is_none());
    let mut worst = (0f64, 0f64);
    for [t, x, y, z] in orbit_check() {
        for (k, o) in [&km, &m].iter().enumerate() {
            let p = o.position_km(t).unwrap();
            let d = ((p[0] - x).powi(2) + (p[1] - y).powi(2) + (p[2] - z).powi(2)).sqrt();
            if k == 0 {
                worst.0 = worst.0.max(d);
            } else {
                worst.1 = worst.1.max(d);
            }
        }
    }
    eprintln!(
        "orbit files vs exact Kepler: km/Hermite 60 s {:.2e} km, m/Lagrange 300 s {:.2e} km",
        worst.0, worst.1
    );
    assert!(worst.0 < 1e-3, "{}", worst.0); // 1 m
    assert!(worst.1 < 2e-2, "{}", worst.1); // 20 m (0.07 µs)
                                            // the orbit serves a barycentric correction of times in the event list's reference
    let tr = TimeReference::xmm_default();
    let t = km.times()[100];
    let b = Barycentre::new(149.58, -11.06, &tr, Some(km.clone())).unwrap();
    let terms = b.terms(t).unwrap();
    let p = km.positions_km()[100];
    let n = b.direction();
    let expected = (p[0] * n[0] + p[1] * n[1] + p[2] * n[2]) / exod_core::timesys::C_KM_S;
    assert!((terms.roemer_spacecraft_s - expected).abs() < 1e-12);
    assert!(b.correct(km.times()[360] + 1.0).is_err());
}
