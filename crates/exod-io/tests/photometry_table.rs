//! The photometry table: written as FITS and ECSV and read back into the same rows (every
//! field, NaN included), an uncovered row kept as such, and a file that is not a photometry
//! table refused with its name.

use exod_core::photometry::{
    BandPhotometry, ForcedResult, Measurement, PhotBand, SourcePhotometry,
};
use exod_io::photometry::{read, write, PhotometryMeta};

fn meas(camera: &str, k: f64) -> Measurement {
    let epic = camera == "EPIC";
    let nan_if = |x: f64| if epic { f64::NAN } else { x };
    Measurement {
        camera: camera.into(),
        counts: (17.0 * k) as u64,
        bkg_counts: (90.0 * k) as u64,
        area_ratio: nan_if(0.0312 * k),
        bkg_expected: 2.81 * k,
        eef: nan_if(0.79 + 0.001 * k),
        vignetting: nan_if(0.91),
        live_time: 31_234.5 * k,
        exposure: 2.2e4 / k,
        ecf: 1.993 * k,
        offaxis_arcmin: nan_if(4.2),
        src_radius_arcsec: nan_if(24.6),
        ccd: if epic { 0 } else { 1 + k as u8 },
        net_rate: 6.1e-4 * k,
        rate_lo: 4.9e-4,
        rate_hi: 7.5e-4,
        rate_ul: 1.1e-3,
        flux: 3.06e-15 * k,
        flux_lo: 2.4e-15,
        flux_hi: 3.8e-15,
        flux_ul: 5.5e-15 / 3.0,
        detected: k > 1.5,
        p_bkg: 1.234_567_890_123e-9 / k,
    }
}

fn covered(name: &str, forced: bool) -> SourcePhotometry {
    let bands = PhotBand::xmm_bands()
        .into_iter()
        .enumerate()
        .map(|(i, band)| BandPhotometry {
            band,
            cameras: vec![meas("M1", 1.0 + i as f64), meas("M2", 2.0 + i as f64)],
            epic: meas("EPIC", 3.0 + i as f64),
        })
        .collect();
    SourcePhotometry {
        source: name.into(),
        ra: 149.759_036,
        dec: -11.195_641,
        obs_id: "0201901401".into(),
        tstart: 2.1e8 + 0.25,
        tstop: 2.1e8 + 41_000.5,
        mjd_mid: 53_111.123_456_789,
        covered: true,
        bands,
        chi2_const: Some((21.3, 14, 0.094)),
        forced: forced.then_some(ForcedResult {
            tbin: 50.0,
            n_bins: 820,
            max_log10_b_peak: 6.7,
            sigma_peak: 3.3,
            t_peak: 2.1e8 + 1025.0,
            n_peak: 9,
            mu_peak: 0.41,
            max_log10_b_eclipse: 0.12,
            sigma_eclipse: 0.0,
            t_eclipse: 2.1e8 + 75.0,
            transient: true,
        }),
        warnings: vec![
            "M1: FILTER \"Thin1\" ok".into(),
            "PN: skipped: not given".into(),
        ],
    }
}

fn uncovered() -> SourcePhotometry {
    SourcePhotometry {
        source: "far away".into(),
        ra: 10.0,
        dec: 20.0,
        obs_id: "0201901401".into(),
        tstart: f64::NAN,
        tstop: f64::NAN,
        mjd_mid: f64::NAN,
        covered: false,
        bands: vec![],
        chi2_const: None,
        forced: None,
        warnings: vec!["not covered: M1: the target is on no CCD".into()],
    }
}

#[test]
fn fits_and_ecsv_round_trip_every_field() {
    let rows = vec![covered("XGA 1", true), uncovered(), covered("2", false)];
    let dir = tempfile::tempdir().unwrap();
    let (f, e) = (dir.path().join("p.fits"), dir.path().join("p.ecsv"));
    let meta = PhotometryMeta {
        keywords: vec![(
            "CONFLEV".into(),
            0.99865.into(),
            "confidence of the limits".into(),
        )],
    };
    write(&f, &e, &rows, &meta, "2026-12-01T00:00:00").unwrap();
    for path in [&f, &e] {
        let back = read(path).unwrap();
        // NaN ≠ NaN: compare the Debug forms, which spell every field
        assert_eq!(
            format!("{back:?}"),
            format!("{rows:?}"),
            "{}",
            path.display()
        );
    }
    let text = std::fs::read_to_string(&e).unwrap();
    assert!(text.contains("{name: EP_8_FLUX_UL, datatype: float64, unit: 'erg/(cm2 s)'"));
    assert!(text.contains("CONFLEV"));
}

#[test]
fn a_table_that_is_not_photometry_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("other.csv");
    std::fs::write(&p, "ra,dec\n1,2\n").unwrap();
    let e = read(&p).unwrap_err().to_string();
    assert!(e.contains("other.csv") && e.contains("photometry"), "{e}");
    let e = read(&dir.path().join("missing.fits"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.fits"), "{e}");
}
