//! The catalogue end to end: determinism under shuffles and shards, source summaries, flags.

use exod_core::catalog::{build, CatDetection, CatalogParams, CurveStats, Pointing};
use exod_core::search::Kind;
use exod_core::sky::{from_epic_frame, offset_position, separation_arcsec};

fn lcg(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

fn det(detid: &str, obsid: &str, ra: f64, dec: f64) -> CatDetection {
    CatDetection {
        detid: detid.to_string(),
        obsid: obsid.to_string(),
        unit: format!("{obsid}_0"),
        kind: Kind::Peak,
        band: "0.2-12".to_string(),
        tbin: 5.0,
        ra,
        dec,
        pos_err: 2.0,
        sigma: 4.0,
        region_sigma: 4.0,
        region_n: 10,
        region_mu: 1.0,
        t_start: 86400.0,
        t_stop: 2.0 * 86400.0,
        t_peak: 1.5 * 86400.0,
        mjdref: 50814.0,
        pointing: None,
        bti: false,
        flag_isolated: false,
        flag_last_bin: false,
        flag_lt5_max: false,
        curve: None,
    }
}

/// Clumps of 1–4 detections at 300 places, some straddling RA = 0 and near the poles.
fn sample() -> Vec<CatDetection> {
    let mut s = 3u64;
    let mut out = Vec::new();
    for k in 0..300 {
        let (ra0, dec0) = match k % 10 {
            0 => (0.0, lcg(&mut s) * 60.0 - 30.0),
            // rings 180″ apart about the north pole, the first 18″ from it
            1 => (lcg(&mut s) * 360.0, 89.995 - 0.05 * (k / 10) as f64),
            _ => (
                lcg(&mut s) * 360.0,
                (lcg(&mut s) * 2.0 - 1.0).asin().to_degrees(),
            ),
        };
        let pnt = Pointing {
            ra: ra0,
            dec: dec0,
            pa: lcg(&mut s) * 360.0,
        };
        for j in 0..1 + (k % 4) {
            let (ra, dec) = offset_position(
                ra0,
                dec0,
                (lcg(&mut s) - 0.5) * 8.0,
                (lcg(&mut s) - 0.5) * 8.0,
            );
            let mut d = det(
                &format!("{k:04}_{j}"),
                &format!("{:010}", k * 10 + j),
                ra,
                dec,
            );
            d.pointing = Some(pnt);
            d.tbin = [5.0, 50.0, 200.0][j % 3];
            d.pos_err = if j == 2 {
                f64::NAN
            } else {
                1.0 + lcg(&mut s) * 3.0
            };
            out.push(d);
        }
        // a detector defect at EPIC (400″, −300″) in the first 8 observations
        if k < 8 {
            let (ra, dec) = from_epic_frame(400.0 + lcg(&mut s), -300.0, pnt.ra, pnt.dec, pnt.pa);
            let mut d = det(&format!("hot{k}"), &format!("{:010}", k * 10), ra, dec);
            d.pointing = Some(pnt);
            out.push(d);
        }
    }
    out
}

fn shuffled(mut v: Vec<CatDetection>, seed: u64) -> Vec<CatDetection> {
    let mut s = seed;
    for i in (1..v.len()).rev() {
        let j = (lcg(&mut s) * (i + 1) as f64) as usize;
        v.swap(i, j);
    }
    v
}

#[test]
fn any_order_and_any_sharding_give_the_same_catalogue() {
    let p = CatalogParams::default();
    let reference = format!("{:?}", build(sample(), &p));
    for seed in [1, 2, 3] {
        let got = format!("{:?}", build(shuffled(sample(), seed), &p));
        assert!(got == reference, "shuffle {seed} changed the catalogue");
    }
    // three shards concatenated in reverse order
    let all = shuffled(sample(), 9);
    let (a, rest) = all.split_at(200);
    let (b, c) = rest.split_at(300);
    let merged: Vec<CatDetection> = [c, a, b].concat();
    assert!(format!("{:?}", build(merged, &p)) == reference);
    // and the catalogue itself is sensible: one source per clump (and per defect detection),
    // ids by RA
    let cat = build(sample(), &p);
    assert_eq!(cat.sources.len(), 308);
    assert_eq!(cat.hot_areas.len(), 1);
    let flagged = cat.detections.iter().filter(|d| d.flag_hot_area);
    assert!(
        flagged.clone().count() == 8 && flagged.clone().all(|d| d.det.detid.starts_with("hot"))
    );
    assert!(flagged.clone().all(|d| d.hot_area_id == Some(1)));
    assert!(cat
        .sources
        .windows(2)
        .all(|w| w[0].ra <= w[1].ra && w[0].srcid + 1 == w[1].srcid));
    let mut names: Vec<&str> = cat.sources.iter().map(|s| s.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 308, "names are unique");
    assert!(cat
        .detections
        .windows(2)
        .all(|w| (w[0].srcid, &w[0].det.obsid, &w[0].det.detid)
            < (w[1].srcid, &w[1].det.obsid, &w[1].det.detid)));
    assert!(cat
        .detections
        .iter()
        .all(|d| d.sep_from_source < 10.0 && d.epic_frame.is_some()));
}

#[test]
fn sources_summarise_their_detections() {
    // source A: 3 detections straddling RA = 0 in 2 observations; source B: one eclipse
    let mut a1 = det("a1", "0000000001", 359.9999, 10.0);
    a1.band = "2-12".into();
    a1.sigma = 5.5;
    a1.curve = Some(CurveStats {
        peak_rate: 0.7,
        ..zero_stats()
    });
    a1.flag_isolated = true;
    let mut a2 = det("a2", "0000000001", 0.0001, 10.0);
    a2.tbin = 50.0;
    a2.sigma = 3.2;
    a2.t_stop = 5.0 * 86400.0;
    a2.flag_isolated = true;
    let mut a3 = det("a3", "0823432701", 0.0, 10.0 + 1.0 / 3600.0);
    a3.kind = Kind::Eclipse;
    a3.sigma = 3.9;
    a3.t_start = 0.0;
    a3.flag_isolated = true;
    let mut b = det("b1", "0000000002", 180.0, -45.0);
    b.flag_lt5_max = true;
    let cat = build(vec![b, a3, a2, a1], &CatalogParams::default());
    assert_eq!(cat.sources.len(), 2);
    let (sa, sb) = (&cat.sources[0], &cat.sources[1]);
    // srcid by RA: A sits at RA ≈ 0 (not 180, which a plain mean of 359.9999 and 0.0001 gives)
    assert!(sa.ra < 1e-3 || sa.ra > 359.999, "{}", sa.ra);
    assert_eq!((sa.srcid, sb.srcid), (1, 2));
    assert_eq!(
        (sa.n_detections, sa.n_obs, sa.n_units, sa.n_runs),
        (3, 2, 2, 3)
    );
    assert_eq!(sa.bands, vec!["0.2-12".to_string(), "2-12".to_string()]);
    assert_eq!(sa.tbins, vec![5.0, 50.0]);
    assert_eq!((sa.n_peaks, sa.n_eclipses), (2, 1));
    assert_eq!((sa.max_sigma_peak, sa.max_sigma_eclipse), (5.5, 3.9));
    assert!(sb.max_sigma_eclipse.is_nan());
    assert_eq!((sa.mjd_first, sa.mjd_last), (50814.0, 50819.0));
    assert_eq!(sa.peak_rate, 0.7);
    assert!(sb.peak_rate.is_nan());
    assert_eq!(sa.detids, "a1,a2,a3");
    assert_eq!(sa.obsids, "0000000001,0823432701");
    // flags: every detection of A is isolated, one is in a problematic observation
    assert_eq!(sa.n_flagged, [3, 0, 0, 0, 0, 1]);
    assert!(sa.flags.isolated && !sa.flags.problematic && !sa.clean);
    assert!(sb.flags.lt5_max && !sb.clean);
    let d3 = cat.detections.iter().find(|d| d.det.detid == "a3").unwrap();
    assert!(d3.flag_problematic && d3.flags().problematic && d3.srcname == sa.name);
    assert!(
        (d3.sep_from_source - separation_arcsec(0.0, 10.0 + 1.0 / 3600.0, sa.ra, sa.dec)).abs()
            < 1e-9
    );
    // detections by (srcid, obsid, detid)
    let order: Vec<&str> = cat
        .detections
        .iter()
        .map(|d| d.det.detid.as_str())
        .collect();
    assert_eq!(order, vec!["a1", "a2", "a3", "b1"]);
}

fn zero_stats() -> CurveStats {
    exod_core::catalog::curve_stats(&[0], &[1.0], &[false], &[1.0], 5.0)
}

#[test]
fn crowded_is_recomputed_on_the_merged_table_and_clean_needs_one_unflagged_detection() {
    // 21 detections of one observation spread over runs, far apart: all crowded
    let mut dets: Vec<CatDetection> = (0..21)
        .map(|k| {
            let mut d = det(
                &format!("c{k:02}"),
                "0000000005",
                10.0 + k as f64 * 0.01,
                0.0,
            );
            d.tbin = [5.0, 50.0, 200.0][k % 3];
            d
        })
        .collect();
    // one more detection of the first source in a quiet observation: that source is clean
    dets.push(det("q", "0000000006", 10.0, 1.0 / 3600.0));
    let cat = build(dets, &CatalogParams::default());
    assert_eq!(cat.detections.iter().filter(|d| d.flag_crowded).count(), 21);
    let s1 = cat.sources.iter().find(|s| s.detids.contains('q')).unwrap();
    assert!(s1.clean && !s1.flags.crowded && s1.n_flagged[3] == 1);
    assert!(cat
        .sources
        .iter()
        .filter(|s| !s.detids.contains('q'))
        .all(|s| s.flags.crowded && !s.clean));
}
