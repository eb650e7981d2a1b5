//! The readers on the real event lists shipped in `testdata/real` (gzip-compressed copies of
//! `shared/data/real`, see `testdata/README.md`), against facts computed
//! independently with astropy + numpy by `scripts/real_data_facts.py` (committed output:
//! `tests/data/real_facts.json`).

use std::path::PathBuf;

use exod_core::instrument::Mission;
use exod_core::wcs::separation_arcsec;
use exod_io::events::{read, ReadOptions};
use serde_json::Value;

/// The shipped copy of a real file (`.gz` beside the name for FITS files; cfitsio reads gzip).
fn shared(rel: &str) -> PathBuf {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real");
    let gz = base.join(format!("{rel}.gz"));
    let p = if gz.exists() { gz } else { base.join(rel) };
    assert!(p.exists(), "test data missing: {}", p.display());
    p
}

fn facts() -> Value {
    serde_json::from_str(include_str!("data/real_facts.json")).unwrap()
}

const MOS: [&str; 4] = [
    "xga_0201901401/mos1_exp1_clean_evts.fits",
    "xga_0201901401/mos2_exp1_clean_evts.fits",
    "xga_0201903501/mos1_exp1_clean_evts.fits",
    "xga_0201903501/mos2_exp1_clean_evts.fits",
];

#[test]
fn mos_lists_screen_exactly_like_the_independent_computation() {
    let f = facts();
    for rel in MOS {
        let want = &f["files"][rel];
        let ev = read(&shared(rel), &ReadOptions::default()).unwrap();
        assert_eq!(ev.header().mission, Mission::Xmm);
        assert_eq!(
            ev.screening().n_read as u64,
            want["rows"].as_u64().unwrap(),
            "{rel}"
        );
        assert_eq!(ev.len() as u64, want["kept"].as_u64().unwrap(), "{rel}");
        for (crit, n) in &ev.screening().removed {
            if let Some(w) = want["removed"].get(crit) {
                assert_eq!(*n as u64, w.as_u64().unwrap(), "{rel}: {crit}");
            } else {
                assert_eq!(
                    *n, 0,
                    "{rel}: {crit} should remove nothing from a SAS-cleaned MOS list"
                );
            }
        }
        // sorted, although the file is not
        assert!(!want["time_sorted_in_file"].as_bool().unwrap());
        assert!(
            ev.time().windows(2).all(|w| w[0] <= w[1]),
            "{rel}: not sorted"
        );
        assert_eq!(
            *ev.time().first().unwrap(),
            want["time_min"].as_f64().unwrap()
        );
        assert_eq!(
            *ev.time().last().unwrap(),
            want["time_max"].as_f64().unwrap()
        );
        // per-CCD exposure = STDGTI ∩ the DSREF flare GTI
        for (ccd, g) in ev.gti() {
            let w = want["gti_exposure"][ccd.to_string()].as_f64().unwrap();
            assert!(
                (g.exposure() - w).abs() < 1e-6,
                "{rel} ccd {ccd}: {} vs {w}",
                g.exposure()
            );
        }
        assert_eq!(ev.header().revolution, want["revolution"].as_i64());
        assert_eq!(ev.header().submode.as_deref(), Some("PrimeFullWindow"));
        // WCS against astropy all_pix2world
        assert_sky_matches(ev.wcs().as_ref().unwrap(), &want["sky"], rel);
    }
}

/// Every (x, y, ra, dec) row of an astropy sample maps through our WCS to within 1e-6″.
fn assert_sky_matches(wcs: &exod_core::wcs::SkyWcs, sky: &Value, rel: &str) {
    for s in sky.as_array().unwrap() {
        let s: Vec<f64> = s
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let (ra, dec) = wcs.pix_to_world(s[0], s[1]).unwrap();
        assert!(
            separation_arcsec(ra, dec, s[2], s[3]) < 1e-6,
            "{rel}: ({ra},{dec}) vs ({},{})",
            s[2],
            s[3]
        );
    }
}

/// XGA's source list records how many MOS1 events of 0201901401 lie within 10″ of each source;
/// count them through our WCS (RA/Dec → sky pixel) on the unscreened list.
#[test]
fn source_neighbourhoods_match_the_xga_counts() {
    let rel = "xga_0201901401/mos1_exp1_clean_evts.fits";
    let mut opts = ReadOptions::default();
    opts.screen.pi_min_ev = f64::NEG_INFINITY;
    opts.screen.pi_max_ev = f64::INFINITY;
    opts.screen.hot_pixels = false;
    let ev = read(&shared(rel), &opts).unwrap();
    assert_eq!(ev.len(), 22124);
    let wcs = ev.wcs().as_ref().unwrap();
    let csv =
        std::fs::read_to_string(shared("xga_0201901401/0201901401_XGA_sources_radec.csv")).unwrap();
    let mut n_checked = 0;
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (ra, dec): (f64, f64) = (f[0].parse().unwrap(), f[1].parse().unwrap());
        let want: usize = f[8].trim().parse().unwrap();
        let (px, py) = wcs.world_to_pix(ra, dec).unwrap();
        let r = 10.0 / wcs.pixel_arcsec();
        let got = ev
            .x()
            .iter()
            .zip(ev.y())
            .filter(|(x, y)| {
                let (dx, dy) = (**x as f64 - px, **y as f64 - py);
                dx * dx + dy * dy <= r * r
            })
            .count();
        // a tangent-plane circle vs XGA's own count: equal, or off by an event on the rim
        assert!(
            (got as i64 - want as i64).abs() <= 1 + want as i64 / 100,
            "source at {ra},{dec}: {got} vs {want}"
        );
        n_checked += 1;
    }
    assert_eq!(n_checked, 16);
}

#[test]
fn chandra_lists_load_with_lower_case_columns_and_float_pixels() {
    let f = facts();
    for rel in [
        "stingray_chandra/chandra_test.fits",
        "stingray_chandra/chandra_noener_test.fits",
    ] {
        let want = &f["files"][rel];
        // every row, as the file holds them (grade and energy screening off)
        let mut opts = ReadOptions::default();
        opts.screen.grades = false;
        let ev = read(&shared(rel), &opts).unwrap();
        assert_eq!(ev.header().mission, Mission::Chandra);
        assert_eq!(ev.len() as u64, want["rows"].as_u64().unwrap());
        // the one GTI extension says CCD_ID = 7, the chip of every event
        assert_eq!(ev.gti().keys().copied().collect::<Vec<_>>(), vec![7]);
        assert!(ev.ccd().iter().all(|&c| c == 7));
        assert_eq!(
            *ev.time().first().unwrap(),
            want["time_min"].as_f64().unwrap()
        );
        assert!(
            (ev.gti()[&7].exposure() - want["gti_exposure"]["0"].as_f64().unwrap()).abs() < 1e-6
        );
        let wcs = ev.wcs().as_ref().unwrap();
        assert!((wcs.pixel_arcsec() - 0.492).abs() < 1e-3);
        assert_sky_matches(wcs, &want["sky"], rel);
        if let Some(sum) = want["energy_sum_kev"].as_f64() {
            let ours: f64 = ev.energy().iter().map(|&e| e as f64).sum::<f64>() / 1000.0;
            assert!((ours - sum).abs() / sum < 1e-6, "{ours} vs {sum}");
            assert_eq!(ev.energy_source(), "energy column (eV)");
        } else {
            assert!(ev.energy_source().contains("PI"), "{}", ev.energy_source());
        }
    }
}

#[test]
fn erosita_sin_projection_matches_astropy_and_the_files_own_radec() {
    let f = facts();
    let rel = "erosita_edr_300003/em01_300003_EventList_021_PARTIAL.fits";
    let want = &f["files"][rel];
    let ev = read(&shared(rel), &ReadOptions::default()).unwrap();
    assert_eq!(ev.header().mission, Mission::Erosita);
    assert_eq!(ev.len(), 1244);
    let wcs = ev.wcs().as_ref().unwrap();
    assert_eq!(wcs.params().projection, exod_core::wcs::Projection::Sin);
    assert_sky_matches(wcs, &want["sky"], rel);
    // the file's own RA/DEC columns agree to the 0.05″ quantisation of X/Y
    let sky = want["sky"].as_array().unwrap();
    let radec = want["radec_columns"].as_array().unwrap();
    assert_eq!(sky.len(), radec.len());
    for (s, rd) in sky.iter().zip(radec) {
        let (ra, dec) = wcs
            .pix_to_world(s[0].as_f64().unwrap(), s[1].as_f64().unwrap())
            .unwrap();
        let (r2, d2) = (rd[0].as_f64().unwrap(), rd[1].as_f64().unwrap());
        assert!(
            separation_arcsec(ra, dec, r2, d2) < 0.05,
            "vs RA/DEC columns"
        );
    }
}

#[test]
fn nustar_malformed_wcs_is_reported_not_used() {
    let rel = "nustar_solar_90410111001/nu90410111001A06_cl_sunpos.evt";
    let mut opts = ReadOptions::default();
    opts.screen.grades = false;
    let ev = read(&shared(rel), &opts).unwrap();
    assert_eq!(ev.header().mission, Mission::Nustar);
    assert_eq!(ev.len(), 9442);
    let err = ev.wcs().as_ref().unwrap_err();
    assert!(
        err.0.contains("TCRVL13") && err.0.contains("string"),
        "{err}"
    );
    // and RA_PNT = -100 is not taken as a pointing
    assert_eq!(ev.header().ra_pnt, None);
}

/// The grade and energy screening of the instrument descriptions, against counts made with
/// astropy on the same files (scripts/real_data_facts.py, `screened`): Chandra ACIS keeps ASCA
/// grades 0, 2, 3, 4, 6 in 0.3–10 keV; NuSTAR keeps grades 0–26 in 3–79 keV (1.6 + 0.04 PI
/// keV); the eROSITA list keeps PAT_TYP 1–4 in 0.2–10 keV (all of its 1,244 events).
#[test]
fn mission_screening_keeps_the_described_grades_and_energies() {
    let f = facts();
    for rel in [
        "stingray_chandra/chandra_test.fits",
        "nustar_solar_90410111001/nu90410111001A06_cl_sunpos.evt",
        "erosita_edr_300003/em01_300003_EventList_021_PARTIAL.fits",
    ] {
        let want = f["files"][rel]["screened"].as_u64().unwrap();
        let ev = read(&shared(rel), &ReadOptions::default()).unwrap();
        assert_eq!(ev.len() as u64, want, "{rel}");
        let r = ev.screening();
        let removed: usize = r.removed.iter().map(|(_, n)| n).sum();
        assert_eq!(r.n_read - removed, r.n_kept, "{rel}");
        assert!(r.removed.iter().any(|(n, _)| n == "grade"), "{rel}");
    }
}
