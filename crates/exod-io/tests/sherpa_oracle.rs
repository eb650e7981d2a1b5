//! The spectral fitter against Sherpa 4.19 on the real spectra of `testdata/spectral` (XMM pn with
//! its ARF/RMF, Chandra 3C 273 with background): the reference numbers were made on this machine
//! by `scripts/oracle_spectral*.py` (user models written to XSPEC's definitions,
//! `scripts/xspec_models.py`) and are stored in `testdata/spectral/sherpa/*.json`.
//!
//! Exact checks (≤ 1e-10 relative): the folding of a known model, the noticed groups, the
//! per-group model counts and the statistic at fixed parameters, the fluxes at Sherpa's best
//! fit. Fit checks (≤ 1e-4 relative): the statistic at the optimum and the well-constrained
//! parameters, in `fits_reach_the_sherpa_optimum`.

use std::path::PathBuf;

use exod_core::spectral::data::Spectrum;
use exod_core::spectral::fit::{fit, FitOptions};
use exod_core::spectral::fitdata::{FitData, FitDataOptions, Workspace};
use exod_core::spectral::flux::{flux, FluxKind};
use exod_core::spectral::model::{Model, ModelOptions, SpectralModel};
use exod_core::spectral::stat::{total, Statistic};
use exod_io::ogip::{read_pha, read_response};
use serde_json::Value;

fn spectral_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/spectral")
}

fn case(name: &str) -> Value {
    let p = spectral_dir().join("sherpa").join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

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

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// The data, model (at Sherpa's start values, frozen as Sherpa had them) and statistic of a case.
struct Setup {
    data: FitData,
    model: Model,
    stat: Statistic,
}

fn path_of(c: &Value, key: &str) -> Option<PathBuf> {
    c["data"][key].as_str().map(|s| spectral_dir().join(s))
}

fn setup(c: &Value) -> Setup {
    let src: Spectrum = read_pha(&path_of(c, "pha").unwrap()).unwrap();
    let resp = read_response(&path_of(c, "rmf").unwrap(), path_of(c, "arf").as_deref()).unwrap();
    let bkg = match c["background"].as_str().unwrap() {
        "none" => None,
        _ => Some(read_pha(&path_of(c, "bkg").unwrap()).unwrap()),
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
    let stat: Statistic = c["statistic"].as_str().unwrap().parse().unwrap();
    Setup { data, model, stat }
}

fn sherpa_values(params: &Value) -> Vec<f64> {
    params
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .collect()
}

fn group_counts(s: &Setup, p: &[f64]) -> Vec<f64> {
    let mut ws = Workspace::new(&s.data);
    let mut out = vec![0.0; s.data.groups.len()];
    ws.counts(&s.data, &s.model, p, &mut out);
    out
}

#[test]
fn folding_a_known_model_matches_sherpa_to_1e_10() {
    for (name, rmf, arf) in [
        (
            "fold_pn",
            "xmm_pn/epn_ff20_dY9.rmf.gz",
            "xmm_pn/pn_pi_src.arf.gz",
        ),
        (
            "fold_3c273",
            "chandra_3c273/3c273.rmf.gz",
            "chandra_3c273/3c273.arf.gz",
        ),
    ] {
        let c = case(name);
        let d = spectral_dir();
        let resp = read_response(&d.join(rmf), Some(&d.join(arf))).unwrap();
        let m = Model::parse("tbabs*powerlaw", &ModelOptions::default()).unwrap();
        let p = [0.1, 2.0, 1e-3];
        let mut photons = vec![0.0; resp.rmf.n_energies()];
        m.eval(&p, resp.energ_lo(), resp.energ_hi(), &mut photons);
        let want = floats(&c["model_photons"]);
        assert_eq!(photons.len(), want.len(), "{name}");
        for (i, (a, b)) in photons.iter().zip(&want).enumerate() {
            assert!(
                rel(*a, *b) < 1e-10 || (a - b).abs() < 1e-300,
                "{name} energy bin {i}: {a} vs {b}"
            );
        }
        let mut rate = vec![0.0; resp.rmf.n_channels()];
        resp.fold(&photons, &mut rate);
        let exposure = c["exposure"].as_f64().unwrap();
        let want = floats(&c["counts"]);
        let biggest = want.iter().cloned().fold(0.0, f64::max);
        for (ch, (r, b)) in rate.iter().zip(&want).enumerate() {
            let got = r * exposure;
            assert!(
                (got - b).abs() <= 1e-10 * b.abs().max(1e-6 * biggest),
                "{name} channel {ch}: {got} vs {b}"
            );
        }
    }
}

#[test]
fn noticed_groups_model_counts_and_statistics_at_fixed_parameters_match_sherpa() {
    for name in CASES {
        let c = case(name);
        let s = setup(&c);
        let noticed = &c["noticed"];
        let offset = noticed["rmf_offset"].as_i64().unwrap();
        let first: Vec<i64> = s
            .data
            .groups
            .iter()
            .map(|g| g.first_channel_index as i64 + offset)
            .collect();
        let want: Vec<i64> = noticed["first_channel"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(first, want, "{name}: first channels of the noticed groups");
        let p = sherpa_values(&c["at_start"]["params"]);
        let counts = group_counts(&s, &p);
        for (g, (a, b)) in counts
            .iter()
            .zip(floats(&c["at_start"]["model_counts"]))
            .enumerate()
        {
            assert!(
                rel(*a, b) < 1e-10,
                "{name} group {g}: model counts {a} vs Sherpa {b}"
            );
        }
        let st = total(s.stat, &s.data.bins, &counts);
        let want = c["at_start"]["stat"].as_f64().unwrap();
        assert!(
            rel(st, want) < 1e-10,
            "{name}: {} at the start {st} vs Sherpa {want}",
            s.stat.name()
        );
    }
}

#[test]
fn fluxes_at_the_sherpa_best_fit_match_sherpa_to_1e_10() {
    for name in CASES {
        let c = case(name);
        let s = setup(&c);
        let p = sherpa_values(&c["fit"]["params"]);
        let (lo, hi) = (s.data.response.energ_lo(), s.data.response.energ_hi());
        for f in c["flux"].as_array().unwrap() {
            let band = (f["lo"].as_f64().unwrap(), f["hi"].as_f64().unwrap());
            for (key, kind, unabs) in [
                ("energy_absorbed", FluxKind::Energy, false),
                ("energy_unabsorbed", FluxKind::Energy, true),
                ("photon_absorbed", FluxKind::Photon, false),
                ("photon_unabsorbed", FluxKind::Photon, true),
            ] {
                let got = flux(&s.model, &p, lo, hi, band, kind, unabs).unwrap();
                let want = f[key].as_f64().unwrap();
                assert!(
                    rel(got, want) < 1e-10,
                    "{name} {key} {band:?}: {got} vs Sherpa {want}"
                );
            }
        }
    }
}

/// A parameter is compared where Sherpa's 1σ interval is two-sided and away from the hard limits.
fn well_constrained(c: &Value, i: usize) -> bool {
    let e = &c["errors"]["conf_1sigma"]["params"][i];
    !e.is_null() && e["lower_is_limit"] == false && e["upper_is_limit"] == false
}

#[test]
fn fits_reach_the_sherpa_optimum() {
    let opts = FitOptions {
        profile_delta: None,
        ..FitOptions::default()
    };
    for name in CASES {
        let c = case(name);
        let s = setup(&c);
        let r = fit(&s.data, &s.model, s.stat, &opts).unwrap();
        let want = c["fit"]["stat"].as_f64().unwrap();
        assert!(
            rel(r.stat_value, want) < 1e-4,
            "{name}: optimum {} vs Sherpa {want}",
            r.stat_value
        );
        assert_eq!(
            r.dof as i64,
            c["fit"]["dof"].as_i64().unwrap(),
            "{name}: dof"
        );
        let free: Vec<&Value> = c["fit"]["params"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["frozen"] == false)
            .collect();
        for (i, p) in free.iter().enumerate() {
            let idx = s.model.param_index(p["name"].as_str().unwrap()).unwrap();
            let (got, want) = (r.params[idx].value, p["value"].as_f64().unwrap());
            // Sherpa's covariance σ (ours is NaN when another parameter sits at its limit)
            let sigma = c["errors"]["covar"]["sigma_plus"][i]
                .as_f64()
                .unwrap_or(r.params[idx].sigma);
            if well_constrained(&c, i) {
                // same optimum: within 1e-4 relative, or within 1 % of σ (a flat direction)
                assert!(
                    rel(got, want) < 1e-4 || (got - want).abs() < 1e-2 * sigma,
                    "{name} {}: {got} vs Sherpa {want} (σ {sigma})",
                    p["name"]
                );
            }
        }
    }
}

#[test]
fn profile_intervals_match_sherpa_conf_on_3c273() {
    let opts = FitOptions {
        profile_delta: Some(1.0),
        ..FitOptions::default()
    };
    for name in [
        "3c273_tbabs_powerlaw_chi2datavar_bkgsub",
        "3c273_tbabs_powerlaw_wstat",
    ] {
        let c = case(name);
        let s = setup(&c);
        let r = fit(&s.data, &s.model, s.stat, &opts).unwrap();
        for e in c["errors"]["conf_1sigma"]["params"].as_array().unwrap() {
            let idx = s.model.param_index(e["name"].as_str().unwrap()).unwrap();
            let p = &r.params[idx];
            let width = e["upper"].as_f64().unwrap() - e["lower"].as_f64().unwrap();
            for (got, key) in [(p.lower, "lower"), (p.upper, "upper")] {
                let want = e[key].as_f64().unwrap();
                // Sherpa's conf() stops at its own tolerance (~1e-2 of the step): 1 % of the width
                assert!(
                    (got - want).abs() < 0.01 * width,
                    "{name} {} {key}: {got} vs Sherpa {want}",
                    e["name"]
                );
            }
        }
    }
}
