//! The simulator against its own truth, read back through the same reader as real files.

use exod_core::instrument::EpicCamera as XmmCamera;
use exod_core::wcs::separation_arcsec;
use exod_io::events::{read, ReadOptions};
use exod_sim::simulate::{simulate, Burst, Eclipse, Flares, Profile, SimConfig};

fn small(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        exposure: 20_000.0,
        bursts: vec![Burst {
            counts: 80.0,
            duration: 30.0,
            profile: Profile::Box,
            position: None,
            t_start: None,
        }],
        eclipses: vec![Eclipse {
            depth: 1.0,
            duration: 2000.0,
            source: None,
            t_start: None,
        }],
        ..SimConfig::default()
    }
}

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_does_not() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let oa = simulate(&small(7), a.path()).unwrap();
    let ob = simulate(&small(7), b.path()).unwrap();
    let oc = simulate(&small(8), c.path()).unwrap();
    let mut files = oa.event_files.clone();
    files.push(oa.srclist.clone());
    files.push(oa.truth_path.clone());
    for f in files {
        let name = f.file_name().unwrap();
        let x = std::fs::read(&f).unwrap();
        assert_eq!(
            x,
            std::fs::read(b.path().join(name)).unwrap(),
            "{name:?} differs between two runs"
        );
        assert_ne!(
            x,
            std::fs::read(c.path().join(name)).unwrap(),
            "{name:?} does not depend on the seed"
        );
    }
    assert_eq!(oa.n_events, ob.n_events);
    assert_ne!(oa.n_events, oc.n_events);
}

#[test]
fn simulated_files_read_back_like_epic_observations() {
    let dir = tempfile::tempdir().unwrap();
    let out = simulate(&small(3), dir.path()).unwrap();
    assert!(out.event_files[0]
        .to_string_lossy()
        .ends_with("PNS003PIEVLI0000.FTZ"));
    // gzip on disk, read transparently
    assert_eq!(
        &std::fs::read(&out.event_files[0]).unwrap()[..2],
        &[0x1f, 0x8b]
    );
    let lists: Vec<_> = out
        .event_files
        .iter()
        .map(|p| read(p, &ReadOptions::default()).unwrap())
        .collect();
    let cams: Vec<_> = lists.iter().map(|l| l.header().camera.unwrap()).collect();
    assert_eq!(cams, vec![XmmCamera::Pn, XmmCamera::Mos1, XmmCamera::Mos2]);
    for l in &lists {
        let removed = |c: &str| {
            l.screening()
                .removed
                .iter()
                .find(|(k, _)| k == c)
                .unwrap()
                .1
        };
        // every screening path is exercised
        for c in ["PATTERN", "PI range", "FLAG (XMMEA)", "hot pixels"] {
            assert!(
                removed(c) > 0,
                "{:?}: nothing removed by {c}",
                l.header().camera
            );
        }
        assert_eq!(
            removed("outside CCD GTI"),
            0,
            "simulated events are inside their GTIs"
        );
        assert!(l.time().windows(2).all(|w| w[0] <= w[1]));
        assert!(l.energy().iter().all(|&e| (200.0..=12000.0).contains(&e)));
    }
    // pn: 12 CCDs, exposure 700 s shorter than MOS; MOS1 CCD 4 switched off for 7 % of the time
    assert_eq!(lists[0].gti().len(), 12);
    assert!((lists[0].gti()[&1].exposure() - 19_300.0).abs() < 1e-6);
    let g4 = &lists[1].gti()[&4];
    assert_eq!(g4.intervals().len(), 2);
    assert!((g4.exposure() - 0.93 * 20_000.0).abs() < 1e-6);
    let (off0, off1) = (g4.intervals()[0].1, g4.intervals()[1].0);
    assert!(!lists[1]
        .time()
        .iter()
        .zip(lists[1].ccd())
        .any(|(t, c)| *c == 4 && *t > off0 && *t < off1));
    // MOS event times are quantised to 2.6 s frames
    let t0 = lists[1].gti()[&1].intervals()[0].0;
    assert!(lists[1].time().iter().take(200).all(|t| {
        let k = (t - t0) / 2.6 - 0.5;
        (k - k.round()).abs() < 1e-5
    }));
}

#[test]
fn sources_bursts_and_eclipses_are_where_the_truth_says() {
    let dir = tempfile::tempdir().unwrap();
    let out = simulate(&small(4), dir.path()).unwrap();
    let pn = read(&out.event_files[0], &ReadOptions::default()).unwrap();
    let wcs = pn.wcs().as_ref().unwrap();
    let radec: Vec<(f64, f64)> = pn
        .x()
        .iter()
        .zip(pn.y())
        .map(|(&x, &y)| wcs.pix_to_world(x as f64, y as f64).unwrap())
        .collect();
    let near = |ra: f64, dec: f64, r: f64, t0: f64, t1: f64| {
        radec
            .iter()
            .zip(pn.time())
            .filter(|((a, d), t)| **t >= t0 && **t < t1 && separation_arcsec(*a, *d, ra, dec) < r)
            .count()
    };
    let target = out.truth.iter().find(|t| t.kind == "target").unwrap();
    // 80 % of the PSF within 20″ (a little lost to PATTERN/PI screening and CCD edges)
    let n20 = near(target.ra, target.dec, 20.0, 0.0, f64::INFINITY) as f64;
    let ratio = n20 / target.counts[0] as f64;
    assert!(
        ratio > 0.55 && ratio < 0.85,
        "target: {n20} within 20″ of {} simulated",
        target.counts[0]
    );
    let burst = out.truth.iter().find(|t| t.kind == "burst").unwrap();
    let total: u64 = burst.counts.iter().sum();
    assert!(
        (total as f64 - 80.0).abs() < 4.0 * 80f64.sqrt(),
        "burst realised {total} of 80"
    );
    let nb = near(burst.ra, burst.dec, 20.0, burst.t_start, burst.t_stop);
    assert!(
        nb as f64 > 0.5 * burst.counts[0] as f64,
        "burst: {nb} pn events within 20″ of {}",
        burst.counts[0]
    );
    // eclipse: the host loses its photons inside the window
    let ecl = out.truth.iter().find(|t| t.kind == "eclipse").unwrap();
    let inside = near(ecl.ra, ecl.dec, 20.0, ecl.t_start, ecl.t_stop);
    let before = near(ecl.ra, ecl.dec, 20.0, ecl.t_start - 2000.0, ecl.t_start);
    assert!(ecl.counts[0] > 20, "eclipse removed only {:?}", ecl.counts);
    assert!(
        (inside as f64) < 0.3 * before as f64 + 3.0,
        "inside {inside} vs before {before}"
    );
}

#[test]
fn flares_raise_the_10_to_12_kev_rate_above_the_bti_threshold() {
    let dir = tempfile::tempdir().unwrap();
    for (flares, expect_bti) in [(Flares::None, false), (Flares::Mild, true)] {
        let cfg = SimConfig {
            seed: 11,
            exposure: 30_000.0,
            flares,
            ..SimConfig::default()
        };
        let out = simulate(&cfg, dir.path()).unwrap();
        let mut he = vec![0u32; 300]; // 100 s bins
        for f in &out.event_files {
            let l = read(f, &ReadOptions::default()).unwrap();
            for (t, e) in l.time().iter().zip(l.energy()) {
                if *e > 10_000.0 {
                    he[((t - cfg.tstart) / 100.0) as usize] += 1;
                }
            }
        }
        let max_rate = *he.iter().max().unwrap() as f64 / 100.0;
        let median = {
            let mut v = he.clone();
            v.sort();
            v[150] as f64 / 100.0
        };
        assert!(median < 0.5, "quiescent 10–12 keV rate {median} ct/s");
        assert_eq!(
            max_rate > 1.5,
            expect_bti,
            "{flares:?}: peak 10–12 keV rate {max_rate} ct/s"
        );
    }
}

#[test]
fn bad_configurations_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = SimConfig {
        exposure: 10.0,
        ..SimConfig::default()
    };
    assert!(simulate(&c, dir.path()).is_err());
    c.exposure = 10_000.0;
    c.eclipses = vec![Eclipse {
        depth: 1.5,
        duration: 10.0,
        source: None,
        t_start: None,
    }];
    assert!(simulate(&c, dir.path())
        .unwrap_err()
        .to_string()
        .contains("depth"));
}
