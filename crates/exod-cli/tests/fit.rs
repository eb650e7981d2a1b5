//! `exod fit` end to end on the real Chandra 3C 273 spectrum: the JSON document scripts read
//! (`statistic`, `stat_value`, `dof`, `params` by XSPEC name with `value`/`lower`/`upper`, `flux`
//! by band), the files of `--out` (JSON, ECSV table, PNG), the comparison of several models, and
//! clear errors for bad input. The numbers are checked against Sherpa 4.19
//! (`testdata/spectral/sherpa/*.json`, made by `scripts/oracle_spectral.py` on this machine).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::exod_ok as exod;
use serde_json::Value;

fn spectral() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/spectral")
}

fn sherpa(case: &str) -> Value {
    let p = spectral().join("sherpa").join(format!("{case}.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn pha() -> String {
    spectral()
        .join("chandra_3c273/3c273.pi.gz")
        .display()
        .to_string()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

fn sherpa_param(c: &Value, name: &str) -> f64 {
    let ps = c["fit"]["params"].as_array().unwrap();
    ps.iter().find(|p| p["par"] == name).unwrap()["value"]
        .as_f64()
        .unwrap()
}

fn sherpa_conf(c: &Value, name: &str) -> (f64, f64) {
    let ps = c["errors"]["conf_1sigma"]["params"].as_array().unwrap();
    let p = ps
        .iter()
        .find(|p| p["name"].as_str().unwrap().ends_with(&format!(".{name}")))
        .unwrap();
    (p["lower"].as_f64().unwrap(), p["upper"].as_f64().unwrap())
}

#[test]
fn the_json_of_a_chi2_fit_with_background_reproduces_sherpa() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("fit");
    let text = exod(&[
        "-q",
        "fit",
        &pha(),
        "--model",
        "tbabs*powerlaw",
        "--stat",
        "chi2datavar",
        "--energy",
        "0.5-7",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    let j: Value = serde_json::from_str(&text).unwrap();
    let c = sherpa("3c273_tbabs_powerlaw_chi2datavar_bkgsub");
    assert_eq!(j["statistic"], "chi2datavar");
    let stat = j["stat_value"].as_f64().unwrap();
    assert!(
        rel(stat, c["fit"]["stat"].as_f64().unwrap()) < 1e-4,
        "χ² {stat}"
    );
    assert_eq!(j["dof"], 39);
    let q = j["q_value"].as_f64().unwrap();
    assert!(
        rel(q, c["fit"]["qval"].as_f64().unwrap()) < 1e-3,
        "null hypothesis probability {q}"
    );
    for name in ["nH", "PhoIndex", "norm"] {
        let p = &j["params"][name];
        let v = p["value"].as_f64().unwrap();
        assert!(rel(v, sherpa_param(&c, name)) < 1e-3, "{name} = {v}");
        let (lo, hi) = sherpa_conf(&c, name);
        let w = hi - lo;
        assert!(
            (p["lower"].as_f64().unwrap() - lo).abs() < 0.01 * w,
            "{name} lower {p}"
        );
        assert!(
            (p["upper"].as_f64().unwrap() - hi).abs() < 0.01 * w,
            "{name} upper {p}"
        );
    }
    // fluxes at the optimum: Sherpa's calc_energy_flux, absorbed and unabsorbed
    let f = &c["flux"][0];
    assert_eq!(f["lo"], 0.2);
    for (key, sherpa_key) in [
        ("absorbed", "energy_absorbed"),
        ("unabsorbed", "energy_unabsorbed"),
        ("photon", "photon_absorbed"),
    ] {
        let got = j["flux"]["0.2-12"][key]["value"].as_f64().unwrap();
        let want = f[sherpa_key].as_f64().unwrap();
        assert!(rel(got, want) < 1e-4, "flux 0.2-12 {key}: {got} vs {want}");
        let (lo, hi) = (
            j["flux"]["0.2-12"][key]["lower"].as_f64().unwrap(),
            j["flux"]["0.2-12"][key]["upper"].as_f64().unwrap(),
        );
        assert!(
            lo < got && got < hi,
            "flux 0.2-12 {key}: {lo} < {got} < {hi}"
        );
    }
    let f2 = j["flux"]["2-10"]["absorbed"]["value"].as_f64().unwrap();
    assert!(
        rel(f2, c["flux"][1]["energy_absorbed"].as_f64().unwrap()) < 1e-4,
        "flux 2-10 {f2}"
    );
    // the files of --out
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("fits.json")).unwrap()).unwrap();
    assert_eq!(doc, j);
    let rows = common::ecsv_data_lines(&out.join("fits.ecsv"));
    assert_eq!(rows.len(), 2, "the column names and one model");
    assert!(
        rows[0].starts_with("model,statistic,stat_value,dof"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with("tbabs*powerlaw,chi2datavar,35.11"),
        "{}",
        rows[1]
    );
    let png = std::fs::read(out.join("fit.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(
        png.len() > 10_000,
        "a drawn figure, not an empty canvas: {} bytes",
        png.len()
    );
}

#[test]
fn several_models_are_fitted_and_the_nested_pair_is_tested() {
    let text = exod(&[
        "-q",
        "fit",
        &pha(),
        "--no-bkg",
        "--model",
        "tbabs*powerlaw",
        "--model",
        "tbabs*(powerlaw+gaussian)",
        "--set",
        "LineE=6.4",
        "--set",
        "Sigma=0.1",
        "--freeze",
        "LineE",
        "--freeze",
        "Sigma",
        "--stat",
        "cstat",
        "--energy",
        "0.5-7",
        "--flux-samples",
        "0",
        "--json",
    ]);
    let j: Value = serde_json::from_str(&text).unwrap();
    let fits = j["fits"].as_array().unwrap();
    assert_eq!(fits.len(), 2);
    let simple = sherpa("3c273_tbabs_powerlaw_cstat_nobkg")["fit"]["stat"]
        .as_f64()
        .unwrap();
    let line = sherpa("3c273_tbabs_powerlaw_gaussian_cstat_nobkg")["fit"]["stat"]
        .as_f64()
        .unwrap();
    assert!(rel(fits[0]["stat_value"].as_f64().unwrap(), simple) < 1e-4);
    assert!(rel(fits[1]["stat_value"].as_f64().unwrap(), line) < 1e-4);
    assert_eq!(fits[1]["params"]["LineE"]["frozen"], true);
    // the line's norm is pinned at 0 from below: an upper limit
    assert_eq!(
        fits[1]["params"]["norm"].is_null(),
        true,
        "norm repeats: keys are component-qualified"
    );
    assert_eq!(fits[1]["params"]["gaussian.norm"]["lower_is_limit"], true);
    let lr = &j["likelihood_ratios"][0];
    assert_eq!(lr["simple"], "tbabs*powerlaw");
    assert_eq!(lr["delta_dof"], 1);
    assert!(
        (lr["delta_stat"].as_f64().unwrap() - (simple - line)).abs() < 1e-3,
        "{lr}"
    );
    assert_eq!(
        lr["approximate"], true,
        "an added norm ≥ 0 tested at 0 is a boundary case"
    );
}

fn exod_err(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_exod"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{args:?} should fail with exit 1");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_inputs_are_clear_errors_and_write_nothing() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("fit");
    let o = out.to_str().unwrap();
    let e = exod_err(&["fit", "missing.pi", "--model", "powerlaw", "--out", o]);
    assert!(e.contains("missing.pi"), "{e}");
    let e = exod_err(&["fit", &pha(), "--model", "tbabs*blackbodyz", "--out", o]);
    assert!(
        e.contains("blackbodyz") && e.contains("powerlaw"),
        "names the unknown component and the known ones: {e}"
    );
    let e = exod_err(&[
        "fit",
        &pha(),
        "--model",
        "powerlaw",
        "--energy",
        "7-0.5",
        "--out",
        o,
    ]);
    assert!(e.contains("--energy") && e.contains("LO < HI"), "{e}");
    let e = exod_err(&[
        "fit",
        &pha(),
        "--model",
        "powerlaw",
        "--stat",
        "chi3",
        "--out",
        o,
    ]);
    assert!(e.contains("chi3"), "{e}");
    let pn = spectral()
        .join("xmm_pn/pn_pi_src_bin10.ds.gz")
        .display()
        .to_string();
    let e = exod_err(&["fit", &pn, "--model", "powerlaw", "--out", o]);
    assert!(
        e.contains("RESPFILE") && e.contains("--rmf"),
        "the pn spectrum names a response that is not there: {e}"
    );
    let rmf = spectral()
        .join("xmm_pn/epn_ff20_dY9.rmf.gz")
        .display()
        .to_string();
    let e = exod_err(&[
        "fit", &pn, "--rmf", &rmf, "--model", "powerlaw", "--stat", "wstat", "--out", o,
    ]);
    assert!(e.contains("wstat") && e.contains("background"), "{e}");
    let e = exod_err(&[
        "fit",
        &pha(),
        "--model",
        "powerlaw",
        "--set",
        "PhoIndex=abc",
        "--out",
        o,
    ]);
    assert!(e.contains("PhoIndex=abc"), "{e}");
    assert!(!out.exists(), "nothing written by failed runs");
}

/// Truth of the simulated target: (ra, dec, nH, PhoIndex, norm) from truth.ecsv.
fn target_truth(dir: &std::path::Path) -> (String, String, f64, f64, f64) {
    let truth = std::fs::read_to_string(dir.join("truth.ecsv")).unwrap();
    let row = truth.lines().find(|l| l.contains(",target,")).unwrap();
    let f: Vec<&str> = row.split(',').collect();
    let par = |name: &str| -> f64 {
        let key = format!("{name}=");
        let at = row.find(&key).unwrap() + key.len();
        row[at..]
            .split(|c| c == ';' || c == '"')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (
        f[2].into(),
        f[3].into(),
        par("tbabs.nH"),
        par("powerlaw.PhoIndex"),
        par("powerlaw.norm"),
    )
}

/// The simulator draws PI from tbabs*powerlaw folded through the pn response and writes that
/// response beside the events; `exod spectrum` picks it up (EEF-scaled ARF), and `exod fit`
/// recovers the injected parameters within 3σ on pn and on MOS1. A detection of `exod detect`
/// (a burst) is also extracted and fitted end to end.
#[test]
fn a_simulated_source_is_fitted_back_to_its_injected_spectrum() {
    let d = tempfile::tempdir().unwrap();
    let obs = d.path().join("obs");
    let o = obs.to_str().unwrap();
    exod(&[
        "-q",
        "simulate",
        "--out",
        o,
        "--exposure",
        "30000",
        "--seed",
        "21",
        "--flares",
        "none",
        "--spectrum-params",
        "nH=0.3,PhoIndex=1.7",
        "--bursts",
        "1",
        "--burst-counts",
        "400",
        "--burst-duration",
        "600",
    ]);
    let lists = common::event_lists(&obs);
    let (ra, dec, nh, gamma, norm) = target_truth(&obs);
    let spec = d.path().join("spec");
    std::fs::create_dir(&spec).unwrap();
    let prefix = spec.join("t").display().to_string();
    let mut args = vec![
        "-q",
        "spectrum",
        "--ra",
        &ra,
        "--dec",
        &dec,
        "--out",
        &prefix,
        "--group-min",
        "20",
    ];
    args.extend(lists.iter().map(|s| s.as_str()));
    exod(&args);
    for cam in ["pn", "m1"] {
        let pha = spec.join(format!("t_{cam}_src.pha")).display().to_string();
        let j: Value = serde_json::from_str(&exod(&[
            "-q",
            "fit",
            &pha,
            "--model",
            "tbabs*powerlaw",
            "--stat",
            "wstat",
            "--energy",
            "0.3-10",
            "--flux-samples",
            "0",
            "--json",
        ]))
        .unwrap();
        for (name, truth) in [("nH", nh), ("PhoIndex", gamma), ("norm", norm)] {
            let p = &j["params"][name];
            let (v, sigma) = (p["value"].as_f64().unwrap(), p["sigma"].as_f64().unwrap());
            assert!(
                (v - truth).abs() < 3.0 * sigma,
                "{cam} {name}: fitted {v} ± {sigma}, injected {truth}"
            );
        }
        let red = j["reduced_stat"].as_f64().unwrap();
        assert!(
            red > 0.5 && red < 1.5,
            "{cam}: a good fit of the right model, reduced wstat {red}"
        );
    }
    // a detection of exod detect, extracted and fitted
    let det = d.path().join("det");
    let mut args = vec!["-q", "detect", "--out", det.to_str().unwrap(), "--no-plots"];
    args.extend(lists.iter().map(|s| s.as_str()));
    exod(&args);
    let dets = det.join("detections.fits").display().to_string();
    let burst = spec.join("b").display().to_string();
    let mut args = vec![
        "-q",
        "spectrum",
        "--detection",
        "1",
        "--detections",
        &dets,
        "--out",
        &burst,
        "--group-min",
        "1",
    ];
    args.extend(lists.iter().map(|s| s.as_str()));
    exod(&args);
    let pha = spec.join("b_pn_src.pha").display().to_string();
    let j: Value = serde_json::from_str(&exod(&[
        "-q",
        "fit",
        &pha,
        "--model",
        "tbabs*powerlaw",
        "--stat",
        "cstat",
        "--energy",
        "0.3-10",
        "--json",
    ]))
    .unwrap();
    assert!(
        j["stat_value"].as_f64().unwrap().is_finite() && j["dof"].as_u64().unwrap() > 5,
        "{j}"
    );
    assert!(j["flux"]["0.2-12"]["absorbed"]["value"].as_f64().unwrap() > 0.0);
}
