//! `cargo bench -p exod-io --no-default-features --bench spectral_fit`: the 11 Sherpa oracle cases
//! (`testdata/spectral/sherpa/*.json`: real XMM pn and Chandra 3C 273 spectra, the case's model,
//! statistic, band and start values) fitted with default [`FitOptions`]. Per case: ms per fit
//! without profile intervals (minimisation + covariance), ms with profile intervals (Δstat = 1),
//! the statistic reached vs Sherpa's best (`fit.stat`), and Sherpa 4.19's CPU time of
//! levmar + neldermead from `scripts/bench_fit_sherpa.out` where it was measured. Times are the
//! thread's CPU time (best of a few repeats), comparable with Sherpa's `process_time`; the load
//! average is printed.

use std::hint::black_box;
use std::path::PathBuf;

use exod_core::spectral::fit::{fit, FitOptions};
use exod_core::spectral::fitdata::{FitData, FitDataOptions};
use exod_core::spectral::model::{Model, ModelOptions};
use exod_core::spectral::stat::Statistic;
use exod_io::ogip::{read_pha, read_response};
use serde_json::Value;

const CASES: [&str; 11] = [
    "pn_tbabs_powerlaw_cstat",
    "pn_tbabs_bbody_powerlaw_cstat",
    "pn_tbabs_bremss_cstat",
    "pn_phabs_gaussian_powerlaw_cstat",
    "pn_wabs_bbodyrad_chi2gehrels",
    "pn_tbabs_powerlaw_chi2datavar",
    "3c273_tbabs_powerlaw_chi2datavar_bkgsub",
    "3c273_tbabs_powerlaw_chi2gehrels_bkgsub",
    "3c273_tbabs_powerlaw_wstat",
    "3c273_tbabs_powerlaw_cstat_nobkg",
    "3c273_tbabs_powerlaw_gaussian_cstat_nobkg",
];

fn spectral_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/spectral")
}

/// CPU time of this thread (s): what a fit costs, whatever else runs on the machine.
fn thread_cpu_s() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid pointer given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Best of `reps` thread-CPU times of `f`, in ms (the fits are single-threaded).
fn best_ms<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..reps)
        .map(|_| {
            let t = thread_cpu_s();
            black_box(f());
            (thread_cpu_s() - t) * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Data, model at Sherpa's start and statistic of a case (as the oracle test sets them up).
fn setup(c: &Value) -> (FitData, Model, Statistic) {
    let path = |k: &str| c["data"][k].as_str().map(|s| spectral_dir().join(s));
    let src = read_pha(&path("pha").unwrap()).unwrap();
    let resp = read_response(&path("rmf").unwrap(), path("arf").as_deref()).unwrap();
    let bkg = match c["background"].as_str().unwrap() {
        "none" => None,
        _ => Some(read_pha(&path("bkg").unwrap()).unwrap()),
    };
    let band = floats(&c["band_kev"]);
    let opts = FitDataOptions {
        energy: Some((band[0], band[1])),
    };
    let data = FitData::new(&src, bkg.as_ref(), resp, &opts).unwrap();
    let mut model = Model::parse(c["model"].as_str().unwrap(), &ModelOptions::default()).unwrap();
    for p in c["at_start"]["params"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        model.set(name, p["value"].as_f64().unwrap()).unwrap();
        if p["frozen"].as_bool().unwrap() {
            model.freeze(name).unwrap();
        }
    }
    (
        data,
        model,
        c["statistic"].as_str().unwrap().parse().unwrap(),
    )
}

/// Sherpa's levmar + neldermead CPU seconds for `name` from scripts/bench_fit_sherpa.out.
fn sherpa_cpu(name: &str) -> Option<f64> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench_fit_sherpa.out");
    let text = std::fs::read_to_string(p).ok()?;
    let mut total = 0.0;
    let mut found = 0;
    for line in text.lines() {
        let mut w = line.split_whitespace();
        if w.next() != Some(name) {
            continue;
        }
        let toks: Vec<&str> = line.split_whitespace().collect();
        let i = toks.iter().position(|&t| t == "cpu")?;
        total += toks.get(i + 2)?.parse::<f64>().ok()?;
        found += 1;
    }
    (found == 2).then_some(total)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// `BENCH_EVAL=1`: cost of one statistic evaluation split into model, fold and statistic (µs).
fn eval_profile(name: &str, data: &FitData, model: &Model, stat: Statistic) {
    use exod_core::spectral::fitdata::Workspace;
    use exod_core::spectral::model::SpectralModel;
    let p = model.values();
    let (lo, hi) = (data.response.energ_lo(), data.response.energ_hi());
    let mut flux = vec![0.0; lo.len()];
    let mut out = vec![0.0; data.n_bins()];
    let mut ws = Workspace::new(data);
    let reps = 2000;
    let us = |ms: f64| ms * 1e3 / reps as f64;
    let t_model = best_ms(3, || {
        (0..reps).for_each(|_| model.eval(&p, lo, hi, &mut flux))
    });
    let t_fold = best_ms(3, || {
        (0..reps).for_each(|_| data.counts_from_flux(&flux, &mut out))
    });
    let t_all = best_ms(3, || {
        (0..reps).for_each(|_| {
            ws.counts(data, model, &p, &mut out);
            black_box(exod_core::spectral::stat::total(stat, &data.bins, &out));
        })
    });
    println!(
        "  {name}: energies {} groups {}  model(all energies) {:.1} µs  fold {:.1} µs  eval total {:.1} µs",
        lo.len(),
        data.n_bins(),
        us(t_model),
        us(t_fold),
        us(t_all)
    );
}

fn main() {
    println!("load average at start: {}", loadavg());
    println!(
        "{:<44} {:>6} {:>9} {:>10} {:>14} {:>14} {:>9} {:>11} {:>9}",
        "case",
        "evals",
        "fit ms",
        "+prof ms",
        "stat exod",
        "stat Sherpa",
        "rel",
        "Sherpa s",
        "speedup"
    );
    let bare = FitOptions {
        profile_delta: None,
        ..FitOptions::default()
    };
    let full = FitOptions::default();
    for name in CASES {
        let p = spectral_dir().join("sherpa").join(format!("{name}.json"));
        let c: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let (data, model, stat) = setup(&c);
        if std::env::var_os("BENCH_EVAL").is_some() {
            eval_profile(name, &data, &model, stat);
            continue;
        }
        let r = fit(&data, &model, stat, &bare).unwrap();
        let want = c["fit"]["stat"].as_f64().unwrap();
        if let Some(n) = std::env::var("BENCH_SEEDS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            // robustness of the multi-start: the worst optimum over n Halton offsets
            let worst = (0..n)
                .map(|seed| {
                    let o = FitOptions {
                        seed: 1000 * seed,
                        ..bare.clone()
                    };
                    fit(&data, &model, stat, &o).unwrap().stat_value
                })
                .fold(f64::NEG_INFINITY, f64::max);
            println!(
                "  {name}: worst of {n} start sets {worst:.6} vs Sherpa {want:.6} (rel {:.1e})",
                (worst - want) / want
            );
        }
        if std::env::var_os("BENCH_PARAMS").is_some() {
            let v: Vec<String> = r
                .params
                .iter()
                .map(|p| format!("{} {:.6}", p.name, p.value))
                .collect();
            let sv: Vec<String> = c["fit"]["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    format!(
                        "{} {:.6}",
                        p["name"].as_str().unwrap(),
                        p["value"].as_f64().unwrap()
                    )
                })
                .collect();
            println!(
                "  {name}: exod {} | Sherpa {} | evals {}",
                v.join(", "),
                sv.join(", "),
                r.n_evals
            );
        }
        let t_bare = best_ms(3, || fit(&data, &model, stat, &bare).unwrap());
        let t_full = best_ms(2, || fit(&data, &model, stat, &full).unwrap());
        let sherpa = sherpa_cpu(name);
        let (s_txt, sp_txt) = match sherpa {
            Some(s) => (format!("{s:.3}"), format!("{:.0}x", s * 1e3 / t_bare)),
            None => ("-".to_string(), "-".to_string()),
        };
        println!(
            "{:<44} {:>6} {:>9.2} {:>10.1} {:>14.6} {:>14.6} {:>9.1e} {:>11} {:>9}",
            name,
            r.n_evals,
            t_bare,
            t_full,
            r.stat_value,
            want,
            (r.stat_value - want) / want,
            s_txt,
            sp_txt
        );
    }
    println!("load average at end: {}", loadavg());
    println!("(fit ms: minimisation + covariance, no profile, best of 3; +prof ms: with profile intervals Δstat = 1 for every free parameter, best of 2; Sherpa s: levmar + neldermead CPU s from scripts/bench_fit_sherpa.out; speedup = Sherpa / exod fit)");
}
