//! `cargo bench -p exod-io --bench spectral_fit`: the real spectra of `testdata/spectral` read
//! from their files (OGIP readers, responses resolved next to the spectrum) and fitted, one fit
//! per model: tbabs*powerlaw with cstat on the XMM pn spectrum (0.3–10 keV, no background: its
//! BACKFILE is not shipped), and tbabs*powerlaw with chi2datavar and the background on Chandra
//! 3C 273 (0.5–7 keV). Prints ms per read and per fit (default options: covariance and
//! profile-likelihood intervals included; then the minimisation alone).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use exod_core::spectral::data::Response;
use exod_core::spectral::fit::{fit, FitOptions};
use exod_core::spectral::fitdata::{FitData, FitDataOptions};
use exod_core::spectral::model::{Model, ModelOptions};
use exod_core::spectral::stat::Statistic;
use exod_io::ogip::{read_arf, read_pha, read_rmf, resolve_response_paths};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/spectral")
        .join(rel)
}

/// Best of `reps` wall times of `f`, in ms.
fn best_ms<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn load(pha: &str, rmf: Option<&str>, energy: (f64, f64)) -> FitData {
    let p = data(pha);
    let src = read_pha(&p).unwrap();
    let paths = resolve_response_paths(&p, &src);
    for w in paths.warnings() {
        println!("  warning: {w}");
    }
    let rmf_path = rmf.map(data).or(paths.rmf.clone()).unwrap();
    let response = Response::new(
        read_rmf(&rmf_path).unwrap(),
        paths.arf.as_deref().map(|a| read_arf(a).unwrap()),
    )
    .unwrap();
    let bkg = paths.bkg.as_deref().map(|b| read_pha(b).unwrap());
    let opts = FitDataOptions {
        energy: Some(energy),
    };
    FitData::new(&src, bkg.as_ref(), response, &opts).unwrap()
}

fn time_fit(label: &str, data: &FitData, stat: Statistic, reps: usize) {
    let model = Model::parse("tbabs*powerlaw", &ModelOptions::default()).unwrap();
    let full = FitOptions::default();
    let bare = FitOptions {
        covariance: false,
        profile_delta: None,
        ..FitOptions::default()
    };
    let r = fit(data, &model, stat, &full).unwrap();
    let values: Vec<String> = r
        .params
        .iter()
        .map(|p| format!("{} {:.5}", p.name, p.value))
        .collect();
    println!(
        "{label}: {} = {:.4} ({} bins, dof {}), {}",
        r.statistic,
        r.stat_value,
        r.n_bins,
        r.dof,
        values.join(", ")
    );
    let t_full = best_ms(reps, || fit(data, &model, stat, &full).unwrap());
    let t_bare = best_ms(reps, || fit(data, &model, stat, &bare).unwrap());
    println!("  {t_full:.2} ms per fit with errors (covariance + profile), {t_bare:.2} ms minimisation only (best of {reps})");
}

fn main() {
    let pn_rmf = data("xmm_pn/epn_ff20_dY9.rmf.gz");
    println!(
        "read_rmf pn (1319 x 4096): {:.1} ms; read_pha pn: {:.2} ms; read_rmf 3C 273: {:.1} ms (best of 5)",
        best_ms(5, || read_rmf(&pn_rmf).unwrap()),
        best_ms(5, || read_pha(&data("xmm_pn/pn_pi_src_bin10.ds.gz")).unwrap()),
        best_ms(5, || read_rmf(&data("chandra_3c273/3c273.rmf.gz")).unwrap()),
    );
    let pn = load(
        "xmm_pn/pn_pi_src_bin10.ds.gz",
        Some("xmm_pn/epn_ff20_dY9.rmf.gz"),
        (0.3, 10.0),
    );
    time_fit(
        "pn tbabs*powerlaw cstat 0.3-10 keV",
        &pn,
        Statistic::Cstat,
        5,
    );
    let c3 = load("chandra_3c273/3c273.pi.gz", None, (0.5, 7.0));
    time_fit(
        "3C 273 tbabs*powerlaw chi2datavar + background 0.5-7 keV",
        &c3,
        Statistic::Chi2DataVar,
        5,
    );
}
