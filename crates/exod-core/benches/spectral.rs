//! `cargo bench -p exod-core --bench spectral`: time per spectral fit on a pn-sized problem.
//!
//! Response: 1319 energy bins (0.05–15 keV, log-spaced) × 4096 channels of 5 eV, Gaussian
//! redistribution σ(E) = 0.04·√(E/1 keV)^0.8 keV truncated at ±4σ, a smooth ARF peaking at ~1300 cm².
//! Spectrum: an absorbed power law (nH = 0.3, Γ = 1.9) with ~4800 counts, Poisson-drawn (ChaCha8,
//! seed 1), grouped to ≥ 12 counts per group over 0.2–12 keV (~400 groups). The model is a local
//! `SpectralModel` (toy cross-section σ(E) = 2.2·E^−2.6 × 10⁻²² cm²) until the real components land.
//! Each fit starts from nH = 1, Γ = 3, norm = 1e-3 with the default [`FitOptions`] except where noted.

use std::hint::black_box;
use std::time::Instant;

use exod_core::spectral::data::{Arf, Response, Rmf, Spectrum};
use exod_core::spectral::fit::{fit, FitOptions};
use exod_core::spectral::fitdata::{FitData, FitDataOptions};
use exod_core::spectral::model::{Param, SpectralModel};
use exod_core::spectral::stat::Statistic;
use rand::SeedableRng;
use rand_distr::Distribution;

struct AbsPl {
    params: Vec<Param>,
}

fn par(component: &str, name: &str, value: f64, min: f64, max: f64) -> Param {
    Param {
        component: component.into(),
        name: name.into(),
        unit: String::new(),
        value,
        min,
        max,
        frozen: false,
    }
}

impl AbsPl {
    fn new(nh: f64, g: f64, n: f64) -> AbsPl {
        AbsPl {
            params: vec![
                par("tbabs", "nH", nh, 0.0, 1e6),
                par("powerlaw", "PhoIndex", g, -3.0, 10.0),
                par("powerlaw", "norm", n, 0.0, 1e24),
            ],
        }
    }
}

fn pl(g: f64, n: f64, lo: f64, hi: f64) -> f64 {
    n * (hi.powf(1.0 - g) - lo.powf(1.0 - g)) / (1.0 - g)
}

impl SpectralModel for AbsPl {
    fn params(&self) -> &[Param] {
        &self.params
    }
    fn eval(&self, p: &[f64], lo: &[f64], hi: &[f64], out: &mut [f64]) {
        for i in 0..lo.len() {
            let e = 0.5 * (lo[i] + hi[i]);
            out[i] = (-p[0] * 2.2 * e.powf(-2.6)).exp() * pl(p[1], p[2], lo[i], hi[i]);
        }
    }
    fn eval_unabsorbed(&self, p: &[f64], lo: &[f64], hi: &[f64], out: &mut [f64]) {
        for i in 0..lo.len() {
            out[i] = pl(p[1], p[2], lo[i], hi[i]);
        }
    }
}

fn response() -> Response {
    let (ne, nc) = (1319usize, 4096usize);
    let (e0, e1) = (0.05f64, 15.0f64);
    let edges: Vec<f64> = (0..=ne)
        .map(|i| e0 * (e1 / e0).powf(i as f64 / ne as f64))
        .collect();
    let (lo, hi) = (edges[..ne].to_vec(), edges[1..].to_vec());
    let cmin: Vec<f64> = (0..nc).map(|c| 0.005 * c as f64).collect();
    let cmax: Vec<f64> = cmin.iter().map(|e| e + 0.005).collect();
    let phi = |x: f64| 0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2);
    let rows = (0..ne)
        .map(|i| {
            let e = 0.5 * (lo[i] + hi[i]);
            let s = 0.04 * e.powf(0.4);
            let c0 = (((e - 4.0 * s) / 0.005).floor().max(0.0)) as usize;
            let c1 = (((e + 4.0 * s) / 0.005).ceil() as usize).min(nc - 1);
            let v: Vec<f64> = (c0..=c1)
                .map(|c| phi((cmax[c] - e) / s) - phi((cmin[c] - e) / s))
                .collect();
            vec![(c0, v)]
        })
        .collect();
    let rmf = Rmf::new("bench.rmf", lo.clone(), hi.clone(), 0, cmin, cmax, rows).unwrap();
    let area = lo
        .iter()
        .zip(&hi)
        .map(|(a, b)| {
            let e: f64 = 0.5 * (a + b);
            1300.0 * (-(e.ln() - 1.5f64.ln()).powi(2) / 1.2).exp() * (1.0 - (-e / 0.3).exp())
        })
        .collect();
    let arf = Arf {
        name: "bench.arf".into(),
        energ_lo: lo.clone(),
        energ_hi: hi,
        specresp: area,
    };
    Response::new(rmf, Some(arf)).unwrap()
}

fn spectrum(resp: &Response) -> Spectrum {
    let nc = resp.rmf.n_channels();
    let t = 1.0e4;
    let mut s = Spectrum {
        name: "bench.pi".into(),
        channel: (0..nc as i64).collect(),
        counts: vec![0.0; nc],
        stat_err: None,
        sys_err: None,
        quality: vec![0; nc],
        grouping: vec![1; nc],
        exposure: t,
        backscal: vec![1.0; nc],
        areascal: vec![1.0; nc],
        poisserr: true,
        respfile: None,
        ancrfile: None,
        backfile: None,
        telescope: "XMM".into(),
        instrument: "EPN".into(),
    };
    let fd = FitData::new(&s, None, resp.clone(), &FitDataOptions::default()).unwrap();
    let mean = fd.model_counts(&AbsPl::new(0.3, 1.9, 1.0), &[0.3, 1.9, 1.0]);
    let scale = 4800.0 / mean.iter().sum::<f64>();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    for (c, m) in mean.iter().enumerate() {
        let m = m * scale;
        s.counts[c] = if m > 1e-10 {
            rand_distr::Poisson::new(m).unwrap().sample(&mut rng)
        } else {
            0.0
        };
    }
    // ≥ 12 counts per group over 0.2–12 keV; channels outside are bad
    let (mut acc, mut open) = (0.0, false);
    for c in 0..nc {
        let e = 0.005 * c as f64;
        if !(0.2..12.0).contains(&e) {
            s.quality[c] = 2;
            s.grouping[c] = 1;
            open = false;
            continue;
        }
        s.grouping[c] = if open { -1 } else { 1 };
        if !open {
            acc = 0.0;
        }
        acc += s.counts[c];
        open = acc < 12.0;
    }
    s
}

fn main() {
    let t0 = Instant::now();
    let resp = response();
    let nnz: usize = (0..resp.rmf.n_energies())
        .map(|i| resp.rmf.row(i).map(|(_, v)| v.len()).sum::<usize>())
        .sum();
    let spec = spectrum(&resp);
    let fd = FitData::new(
        &spec,
        None,
        resp,
        &FitDataOptions {
            energy: Some((0.3, 10.0)),
        },
    )
    .unwrap();
    let counts: f64 = fd.bins.iter().map(|b| b.d).sum();
    println!(
        "setup {:.2} s: {} energies × {} channels ({} matrix elements), {} counts in {} groups (0.3–10 keV)",
        t0.elapsed().as_secs_f64(),
        fd.response.rmf.n_energies(),
        fd.response.rmf.n_channels(),
        nnz,
        counts,
        fd.n_bins()
    );
    let start = AbsPl::new(1.0, 3.0, 1e-3);
    let t0 = Instant::now();
    let reps = 200;
    for _ in 0..reps {
        black_box(fd.model_counts(&start, black_box(&[1.0, 3.0, 1e-3])));
    }
    println!(
        "model evaluation + fold + group sums: {:.1} µs",
        t0.elapsed().as_secs_f64() / reps as f64 * 1e6
    );
    let cases = [
        (
            "cstat, covariance",
            Statistic::Cstat,
            FitOptions {
                profile_delta: None,
                ..Default::default()
            },
        ),
        (
            "chi2datavar, covariance",
            Statistic::Chi2DataVar,
            FitOptions {
                profile_delta: None,
                ..Default::default()
            },
        ),
        (
            "cstat, covariance, 1 start",
            Statistic::Cstat,
            FitOptions {
                profile_delta: None,
                n_starts: 0,
                ..Default::default()
            },
        ),
        (
            "cstat, covariance + profile Δ=1",
            Statistic::Cstat,
            FitOptions::default(),
        ),
        (
            "chi2datavar, covariance + profile Δ=1",
            Statistic::Chi2DataVar,
            FitOptions::default(),
        ),
    ];
    for (label, stat, opts) in cases {
        let reps = if opts.profile_delta.is_some() { 3 } else { 20 };
        let t0 = Instant::now();
        let mut r = None;
        for _ in 0..reps {
            r = Some(fit(&fd, &start, stat, &opts).unwrap());
        }
        let dt = t0.elapsed().as_secs_f64() / reps as f64;
        let r = r.unwrap();
        println!(
            "{label}: {:.2} ms per fit ({} evaluations), {} = {:.4} / {} dof, nH = {:.4} ± {:.4}, Γ = {:.4} ± {:.4}",
            dt * 1e3,
            r.n_evals,
            r.statistic,
            r.stat_value,
            r.dof,
            r.params[0].value,
            r.params[0].sigma,
            r.params[1].value,
            r.params[1].sigma
        );
    }
}
