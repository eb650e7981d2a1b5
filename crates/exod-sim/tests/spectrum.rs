//! Physical spectra of simulated sources (issue 13): the PI of a simulated source follows its
//! model folded through the response written beside its events, the written responses are the
//! embedded pn ones (MOS: ARF × 0.35), the truth norms give the sources' count rates, and the
//! legacy energy model leaves no response behind.

use exod_core::instrument::EpicCamera as XmmCamera;
use exod_core::spectral::data::Response;
use exod_core::spectral::model::SpectralModel;
use exod_core::wcs::separation_arcsec;
use exod_io::events::{read, ReadOptions};
use exod_sim::simulate::spectrum::{parse_model, SpectralSampler};
use exod_sim::simulate::{
    embedded_pn_arf, embedded_pn_rmf, simulate, Flares, SimConfig, SimOutput, SpectrumTruth,
};

fn bright_target(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        exposure: 20_000.0,
        cameras: vec![XmmCamera::Pn, XmmCamera::Mos1],
        flares: Flares::None,
        target_rate: 3.0,
        ccd_off: None,
        ..SimConfig::default()
    }
}

fn response(out: &SimOutput, cam: usize) -> Response {
    let (r, a) = &out.responses[cam];
    Response::new(
        exod_io::ogip::read_rmf(r).unwrap(),
        Some(exod_io::ogip::read_arf(a).unwrap()),
    )
    .unwrap()
}

/// The folded count rate per channel of a truth spectrum through `r`.
fn folded(truth: &SpectrumTruth, r: &Response) -> Vec<f64> {
    let model = parse_model(&truth.model).unwrap();
    let p: Vec<f64> = model
        .params()
        .iter()
        .map(|q| truth.get(&q.full_name()).unwrap())
        .collect();
    let mut flux = vec![0.0; r.energ_lo().len()];
    model.eval(&p, r.energ_lo(), r.energ_hi(), &mut flux);
    let mut out = vec![0.0; r.rmf.n_channels()];
    r.fold(&flux, &mut out);
    out
}

/// χ² of a histogram against expectations grouped to ≥ 20 expected counts: (χ², dof).
fn chi2(hist: &[f64], expected: &[f64]) -> (f64, usize) {
    let (mut c2, mut groups, mut o, mut e) = (0.0, 0usize, 0.0, 0.0);
    for (h, x) in hist.iter().zip(expected) {
        o += h;
        e += x;
        if e >= 20.0 {
            c2 += (o - e).powi(2) / e;
            groups += 1;
            (o, e) = (0.0, 0.0);
        }
    }
    (c2, groups - 1)
}

#[test]
fn pi_of_a_simulated_target_follows_its_folded_spectrum_and_norm() {
    let dir = tempfile::tempdir().unwrap();
    let out = simulate(&bright_target(5), dir.path()).unwrap();
    let target = out.truth.iter().find(|t| t.kind == "target").unwrap();
    let truth = target.spectrum.as_ref().unwrap();
    assert_eq!(truth.model, "tbabs*powerlaw");
    assert_eq!(truth.get("nH"), Some(0.05));
    assert_eq!(truth.get("PhoIndex"), Some(1.9));
    for (cam, factor) in [(0, 1.0), (1, 0.35)] {
        let r = response(&out, cam);
        let fold = folded(truth, &r);
        // the norm gives the pn rate through pn's response, 0.35 of it through the MOS ARF
        let rate: f64 = fold.iter().sum();
        assert!(
            (rate - 3.0 * factor).abs() < 1e-5 * rate,
            "camera {cam}: folded rate {rate}"
        );
        let ev = read(&out.event_files[cam], &ReadOptions::default()).unwrap();
        let wcs = ev.wcs().as_ref().unwrap();
        let mut hist = vec![0.0; fold.len()];
        for (i, (&x, &y)) in ev.x().iter().zip(ev.y()).enumerate() {
            let (ra, dec) = wcs.pix_to_world(x as f64, y as f64).unwrap();
            let e = ev.energy()[i];
            if separation_arcsec(ra, dec, target.ra, target.dec) < 40.0 && e < 12_000.0 {
                hist[(e / 5.0).floor() as usize] += 1.0;
            }
        }
        // the screened band: PI 200–11999 eV, channels 40–2399
        let (c0, c1) = (40, 2400);
        let n: f64 = hist[c0..c1].iter().sum();
        assert!(n > 10_000.0, "camera {cam}: {n} target events");
        let band: f64 = fold[c0..c1].iter().sum();
        let expected: Vec<f64> = fold[c0..c1].iter().map(|f| f / band * n).collect();
        let (c2, dof) = chi2(&hist[c0..c1], &expected);
        let q = exod_core::stats::ln_gamma_pq(dof as f64 / 2.0, c2 / 2.0)
            .1
            .exp();
        assert!(
            q > 1e-3,
            "camera {cam}: χ² = {c2:.1} for {dof} dof (Q = {q:.2e})"
        );
        // a spectrum 0.2 softer is rejected by the same test
        let mut softer = truth.clone();
        for (name, v) in softer.params.iter_mut() {
            if name.ends_with("PhoIndex") {
                *v += 0.2;
            }
        }
        let fs = folded(&softer, &r);
        let bs: f64 = fs[c0..c1].iter().sum();
        let es: Vec<f64> = fs[c0..c1].iter().map(|f| f / bs * n).collect();
        let (c2s, dofs) = chi2(&hist[c0..c1], &es);
        let qs = exod_core::stats::ln_gamma_pq(dofs as f64 / 2.0, c2s / 2.0)
            .1
            .exp();
        assert!(
            qs < 1e-6,
            "camera {cam}: Γ + 0.2 not rejected (χ² = {c2s:.1})"
        );
        // the channels of this spectrum that fold to a negative rate (the pn matrix has negative
        // elements) hold < 1e-9 of it (measured 8.3e-10): the draw is the folded model
        let model = parse_model(&truth.model).unwrap();
        let p: Vec<f64> = model
            .params()
            .iter()
            .map(|q| truth.get(&q.full_name()).unwrap())
            .collect();
        let sampler = SpectralSampler::new(&r, &model, &p).unwrap();
        assert!(
            sampler.clipped() < 1e-9 * sampler.rate(),
            "{}",
            sampler.clipped()
        );
    }
}

#[test]
fn written_responses_are_the_embedded_pn_ones_and_runs_are_reproducible() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cfg = SimConfig {
        exposure: 5_000.0,
        ..bright_target(9)
    };
    let oa = simulate(&cfg, a.path()).unwrap();
    let ob = simulate(&cfg, b.path()).unwrap();
    assert_eq!(oa.responses.len(), 2);
    let (pn_rmf, pn_arf) = &oa.responses[0];
    assert!(pn_rmf.to_string_lossy().ends_with("PNS003PIEVLI0000.rmf"));
    assert!(pn_arf.to_string_lossy().ends_with("PNS003PIEVLI0000.arf"));
    assert_eq!(std::fs::read(pn_rmf).unwrap(), embedded_pn_rmf());
    assert_eq!(std::fs::read(pn_arf).unwrap(), embedded_pn_arf());
    assert_eq!(
        std::fs::read(&oa.responses[1].0).unwrap(),
        embedded_pn_rmf()
    );
    // read back, they equal the shipped files (the MOS ARF is 0.35 × pn's, in float32)
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/spectral/xmm_pn/"
    );
    let rmf0 = exod_io::ogip::read_rmf(std::path::Path::new(&format!("{dir}epn_ff20_dY9.rmf.gz")))
        .unwrap();
    let arf0 =
        exod_io::ogip::read_arf(std::path::Path::new(&format!("{dir}pn_pi_src.arf.gz"))).unwrap();
    let rmf = exod_io::ogip::read_rmf(pn_rmf).unwrap();
    let arf = exod_io::ogip::read_arf(pn_arf).unwrap();
    assert_eq!(rmf.first_channel, 0);
    assert_eq!(rmf.n_channels(), 4096);
    let mut want = rmf0.clone();
    want.name = rmf.name.clone();
    assert_eq!(rmf, want);
    assert_eq!(arf.specresp, arf0.specresp);
    assert_eq!(arf.energ_hi, arf0.energ_hi);
    let mos = exod_io::ogip::read_arf(&oa.responses[1].1).unwrap();
    assert_eq!(mos.energ_lo, arf0.energ_lo);
    for (m, p) in mos.specresp.iter().zip(&arf0.specresp) {
        assert_eq!(*m, ((*p as f32 as f64) * 0.35) as f32 as f64);
    }
    // same seed: byte-identical events, truth and responses
    let mut files = oa.event_files.clone();
    files.push(oa.truth_path.clone());
    for (r, a) in &oa.responses {
        files.extend([r.clone(), a.clone()]);
    }
    for f in files {
        let name = f.file_name().unwrap();
        assert_eq!(
            std::fs::read(&f).unwrap(),
            std::fs::read(b.path().join(name)).unwrap(),
            "{name:?} differs between two runs"
        );
    }
    assert_eq!(oa.n_events, ob.n_events);
}

#[test]
fn the_population_spreads_its_spectra_without_moving_its_sources() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cfg = SimConfig {
        exposure: 2_000.0,
        cameras: vec![XmmCamera::Pn],
        ..SimConfig::default()
    };
    let phys = simulate(&cfg, a.path()).unwrap();
    let legacy = simulate(
        &SimConfig {
            spectra: None,
            ..cfg.clone()
        },
        b.path(),
    )
    .unwrap();
    // the legacy model writes no response and no spectral truth
    assert!(legacy.responses.is_empty());
    assert!(legacy.truth.iter().all(|t| t.spectrum.is_none()));
    let text = std::fs::read_to_string(&legacy.truth_path).unwrap();
    assert!(!text.contains("model_params"));
    assert!(std::fs::read_to_string(&phys.truth_path)
        .unwrap()
        .contains("powerlaw.PhoIndex="));
    // same sources at the same places and rates
    assert_eq!(phys.truth.len(), legacy.truth.len());
    for (p, l) in phys.truth.iter().zip(&legacy.truth) {
        assert_eq!((p.ra, p.dec, p.expected), (l.ra, l.dec, l.expected));
    }
    let pop: Vec<&SpectrumTruth> = phys
        .truth
        .iter()
        .filter(|t| t.kind == "source")
        .map(|t| t.spectrum.as_ref().unwrap())
        .collect();
    assert!(pop.len() > 50, "{} population sources", pop.len());
    let g: Vec<f64> = pop.iter().map(|s| s.get("PhoIndex").unwrap()).collect();
    let mean = g.iter().sum::<f64>() / g.len() as f64;
    let sd = (g.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (g.len() - 1) as f64).sqrt();
    let n = g.len() as f64;
    assert!((mean - 1.9).abs() < 4.0 * 0.2 / n.sqrt(), "mean Γ {mean}");
    assert!((sd - 0.2).abs() < 0.05, "σ(Γ) {sd}");
    let nh: Vec<f64> = pop.iter().map(|s| s.get("nH").unwrap()).collect();
    assert!(nh.iter().all(|&x| (0.01..=0.3).contains(&x)));
    // log-uniform: the median of ln nH is the middle of the range
    let mut l: Vec<f64> = nh.iter().map(|x| x.ln()).collect();
    l.sort_by(f64::total_cmp);
    let mid = 0.5 * (0.01f64.ln() + 0.3f64.ln());
    assert!(
        (l[l.len() / 2] - mid).abs() < 0.5,
        "median ln nH {}",
        l[l.len() / 2]
    );
    // every norm gives its source's rate through the response
    let r = response(&phys, 0);
    for t in phys.truth.iter().filter(|t| t.kind == "source").take(10) {
        let rate: f64 = folded(t.spectrum.as_ref().unwrap(), &r).iter().sum();
        let want = t.expected / cfg.exposure;
        assert!((rate - want).abs() < 1e-9 * want, "{rate} vs {want}");
    }
}
