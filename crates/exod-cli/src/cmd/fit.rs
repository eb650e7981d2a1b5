//! `exod fit`: fit XSPEC-convention models to an OGIP spectrum — C-stat, χ² (data variance, model
//! variance, Gehrels) or W-stat — with profile-likelihood errors, goodness of fit, fluxes with
//! errors, a comparison table of every model and the XSPEC-style plot (`ldata` + `delchi`).
//!
//! Responses and background default to the PHA header's RESPFILE/ANCRFILE/BACKFILE, resolved
//! next to the PHA file. The numbers follow Sherpa 4.19 where Sherpa and XSPEC differ (energy
//! filters, flux band edges, the keV→erg constant): see `docs/spectral.md`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use exod_core::spectral::data::Spectrum;
use exod_core::spectral::fit::{fit, FitOptions, FitResult};
use exod_core::spectral::fitdata::{FitData, FitDataOptions, Workspace};
use exod_core::spectral::flux::{flux, sample_flux, FluxKind, SampleOptions};
use exod_core::spectral::model::{Model, ModelOptions, SpectralModel};
use exod_core::spectral::stat::Statistic;
use serde_json::{json, Map, Value};

use super::fit_out;

#[derive(clap::Args)]
pub struct Args {
    /// Source spectrum: OGIP PHA type I (or type II with `--row`).
    pub pha: PathBuf,
    /// Row of a PHA type II file (1-based).
    #[arg(long)]
    pub row: Option<usize>,
    /// Redistribution matrix (default: the PHA's RESPFILE, next to it).
    #[arg(long)]
    pub rmf: Option<PathBuf>,
    /// Ancillary response (default: the PHA's ANCRFILE).
    #[arg(long)]
    pub arf: Option<PathBuf>,
    /// Background spectrum (default: the PHA's BACKFILE; used by wstat and χ² subtraction).
    #[arg(long)]
    pub bkg: Option<PathBuf>,
    /// Ignore any background.
    #[arg(long, conflicts_with = "bkg")]
    pub no_bkg: bool,
    /// Model expression in XSPEC syntax (`tbabs*powerlaw`, `tbabs*(bbody+powerlaw)`); repeat it
    /// to fit and compare several models.
    #[arg(long = "model", required = true)]
    pub models: Vec<String>,
    /// Statistic: cstat, wstat, chi2 (STAT_ERR), chi2datavar, chi2modvar, chi2gehrels.
    #[arg(long, default_value = "cstat")]
    pub stat: String,
    /// Energy range noticed, LO-HI keV (groups overlapping it are kept whole, as Sherpa's
    /// `notice`).
    #[arg(long)]
    pub energy: Option<String>,
    /// Regroup to at least N counts per group (grppha `min`), replacing the file's GROUPING.
    #[arg(long)]
    pub group_min: Option<u32>,
    /// Regroup by the optimal binning of Kaastra & Bleeker (2016).
    #[arg(long, conflicts_with = "group_min")]
    pub group_optimal: bool,
    /// Start value of a parameter, NAME=VALUE (`PhoIndex=2`, `powerlaw.norm=1e-4`); repeatable.
    #[arg(long = "set")]
    pub set: Vec<String>,
    /// Freeze a parameter (at its start value or `--set` value); repeatable.
    #[arg(long)]
    pub freeze: Vec<String>,
    /// Δstat of the profile-likelihood intervals: 1 (1σ, default) or 2.706 (90 %).
    #[arg(long, default_value_t = 1.0)]
    pub delta: f64,
    /// Flux bands LO-HI keV (energy flux absorbed and unabsorbed, photon flux).
    #[arg(long = "flux-band", value_delimiter = ',', default_values_t = ["0.2-12".to_string(), "2-10".to_string()])]
    pub flux_bands: Vec<String>,
    /// Parameter draws from the covariance for the flux errors (0: none).
    #[arg(long, default_value_t = 1000)]
    pub flux_samples: usize,
    /// Simulated spectra for the C-stat goodness of fit (parametric bootstrap; 0: Kaastra 2017 only).
    #[arg(long, default_value_t = 0)]
    pub goodness_sims: usize,
    /// Seed of the extra starts, the flux samples and the goodness simulations.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Directory of the AtomDB tables (`apec_*_coco.fits`, `apec_*_line.fits`) for `apec`.
    #[arg(long)]
    pub apec_dir: Option<PathBuf>,
    /// Output directory: fits.json, fits.ecsv (one row per model), fit.png.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace a non-empty output directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Print one JSON object (one model) or {"fits": [...], "likelihood_ratios": [...]}.
    #[arg(long)]
    pub json: bool,
}

/// A model with its fit and fluxes, ready to print.
pub struct Fitted {
    pub label: String,
    pub model: Model,
    pub result: FitResult,
    pub fluxes: Vec<Value>,
    pub bootstrap: Option<Value>,
}

pub fn run(a: Args) -> Result<()> {
    let stat: Statistic = a
        .stat
        .parse()
        .map_err(|e: exod_core::spectral::SpectralError| anyhow::anyhow!("--stat: {e}"))?;
    let data = load_data(&a, stat)?;
    let mopts = model_options(&a)?;
    let mut fitted = Vec::new();
    for expr in &a.models {
        fitted.push(fit_one(&a, &data, stat, expr, &mopts)?);
    }
    let lr = likelihood_ratios(&fitted);
    let doc = if fitted.len() == 1 {
        fit_json(&data, &fitted[0])
    } else {
        json!({"fits": fitted.iter().map(|f| fit_json(&data, f)).collect::<Vec<_>>(),
               "likelihood_ratios": lr})
    };
    if let Some(dir) = &a.out {
        fit_out::write_outputs(dir, a.overwrite, &data, &fitted, &doc)?;
    }
    if a.json {
        println!("{}", serde_json::to_string(&doc)?);
    } else {
        for f in &fitted {
            print!("{}", fit_out::text_table(&data, f));
        }
    }
    Ok(())
}

/// Read the spectrum, its responses and background, regroup, and notice the energy range.
pub fn load_data(a: &Args, stat: Statistic) -> Result<FitData> {
    let mut src = read_source(&a.pha, a.row)?;
    let paths = exod_io::ogip::resolve_response_paths(&a.pha, &src);
    let overridden = |kw: &str| match kw {
        "RESPFILE" => a.rmf.is_some(),
        "ANCRFILE" => a.arf.is_some(),
        _ => a.bkg.is_some() || a.no_bkg || !stat_uses_background(stat),
    };
    for m in paths.missing.iter().filter(|m| !overridden(m.keyword)) {
        tracing::warn!(
            "{}: {} = '{}' is named but missing (tried {}){}",
            a.pha.display(),
            m.keyword,
            m.named,
            m.tried
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if m.keyword == "BACKFILE" {
                ": fitting without a background"
            } else {
                ""
            }
        );
    }
    let rmf = match (&a.rmf, &paths.rmf) {
        (Some(r), _) | (None, Some(r)) => r.clone(),
        (None, None) => bail!(
            "{}: {}: give the response matrix with --rmf",
            a.pha.display(),
            match paths.missing.iter().find(|m| m.keyword == "RESPFILE") {
                Some(m) => format!("its RESPFILE '{}' does not exist", m.named),
                None => "no RESPFILE in the header".to_string(),
            }
        ),
    };
    let arf = a.arf.clone().or(paths.arf.clone());
    let response = exod_io::ogip::read_response(&rmf, arf.as_deref())?;
    regroup(a, &mut src, &response.rmf)?;
    let bkg_path = if a.no_bkg {
        None
    } else {
        a.bkg.clone().or(paths.bkg.clone())
    };
    let bkg = match &bkg_path {
        Some(p) if stat_uses_background(stat) => Some(read_source(p, a.row)?),
        Some(p) => {
            tracing::warn!(
                "{} ignores the background {} (use wstat, or a chi2 statistic to subtract it)",
                stat.name(),
                p.display()
            );
            None
        }
        None => None,
    };
    if stat == Statistic::Wstat && bkg.is_none() {
        bail!(
            "{}: wstat needs a background spectrum (BACKFILE or --bkg)",
            a.pha.display()
        );
    }
    let energy = a
        .energy
        .as_deref()
        .map(|s| parse_band(s, "--energy"))
        .transpose()?;
    Ok(FitData::new(
        &src,
        bkg.as_ref(),
        response,
        &FitDataOptions { energy },
    )?)
}

fn stat_uses_background(stat: Statistic) -> bool {
    stat == Statistic::Wstat || stat.is_chi2()
}

fn read_source(path: &Path, row: Option<usize>) -> Result<Spectrum> {
    match row {
        None => Ok(exod_io::ogip::read_pha(path)?),
        Some(r) => {
            let rows = exod_io::ogip::read_pha_rows(path)?;
            let n = rows.len();
            rows.into_iter().nth(r.wrapping_sub(1)).with_context(|| {
                format!(
                    "{}: --row {r} but the PHA type II file has {n} rows (1-based)",
                    path.display()
                )
            })
        }
    }
}

fn regroup(a: &Args, src: &mut Spectrum, rmf: &exod_core::spectral::data::Rmf) -> Result<()> {
    use exod_core::spectral::group;
    let g = if let Some(n) = a.group_min {
        group::group_min_counts(&src.counts, n as f64, Some(&src.quality))?
    } else if a.group_optimal {
        group::group_optimal(&src.counts, rmf, Some(&src.quality))?
    } else {
        return Ok(());
    };
    src.grouping = g.grouping;
    src.quality = g.quality;
    Ok(())
}

/// `LO-HI` in keV.
pub fn parse_band(s: &str, what: &str) -> Result<(f64, f64)> {
    let (lo, hi) = s
        .split_once('-')
        .with_context(|| format!("{what} {s:?}: expected LO-HI in keV, e.g. 0.5-7"))?;
    let lo: f64 = lo
        .trim()
        .parse()
        .with_context(|| format!("{what} {s:?}: LO is not a number"))?;
    let hi: f64 = hi
        .trim()
        .parse()
        .with_context(|| format!("{what} {s:?}: HI is not a number"))?;
    if !(lo >= 0.0 && hi > lo && hi.is_finite()) {
        bail!("{what} {s:?}: expected 0 ≤ LO < HI");
    }
    Ok((lo, hi))
}

fn model_options(a: &Args) -> Result<ModelOptions> {
    let mut o = ModelOptions::default();
    if let Some(dir) = &a.apec_dir {
        o.apec = Some(std::sync::Arc::new(exod_io::atomdb::read_apec_dir(dir)?));
    } else if a
        .models
        .iter()
        .any(|m| m.to_ascii_lowercase().contains("apec"))
    {
        bail!("apec needs the AtomDB tables: give --apec-dir DIR holding apec_*_coco.fits and apec_*_line.fits (they are not shipped)");
    }
    Ok(o)
}

/// Parse, set start values and frozen parameters, fit, and compute the fluxes of one model.
pub fn fit_one(
    a: &Args,
    data: &FitData,
    stat: Statistic,
    expr: &str,
    mopts: &ModelOptions,
) -> Result<Fitted> {
    let mut model = Model::parse(expr, mopts).with_context(|| format!("--model {expr:?}"))?;
    apply_overrides(&mut model, &a.set, &a.freeze)?;
    let opts = FitOptions {
        seed: a.seed,
        profile_delta: Some(a.delta),
        ..FitOptions::default()
    };
    let result =
        fit(data, &model, stat, &opts).with_context(|| format!("{}: fitting {expr}", data.name))?;
    let fluxes = a
        .flux_bands
        .iter()
        .map(|b| flux_entry(a, data, &model, &result, b))
        .collect::<Result<Vec<_>>>()?;
    let bootstrap = if a.goodness_sims > 0 && !stat.is_chi2() {
        let g = exod_core::spectral::fit::bootstrap_goodness(
            data,
            &model,
            stat,
            &result,
            a.goodness_sims,
            a.seed,
        )?;
        Some(serde_json::to_value(g)?)
    } else {
        None
    };
    Ok(Fitted {
        label: expr.to_string(),
        model,
        result,
        fluxes,
        bootstrap,
    })
}

/// `--set NAME=VALUE` and `--freeze NAME`, applied to the parameters this model has (a name
/// no model has is an error, caught by [`check_overrides_used`]).
fn apply_overrides(model: &mut Model, set: &[String], freeze: &[String]) -> Result<()> {
    for s in set {
        let (name, value) = s
            .split_once('=')
            .with_context(|| format!("--set {s:?}: expected NAME=VALUE, e.g. PhoIndex=2"))?;
        let v: f64 = value
            .trim()
            .parse()
            .with_context(|| format!("--set {s:?}: VALUE is not a number"))?;
        if model.param_index(name.trim()).is_some() {
            model.set(name.trim(), v)?;
        }
    }
    for f in freeze {
        if model.param_index(f.trim()).is_some() {
            model.freeze(f.trim())?;
        }
    }
    Ok(())
}

fn flux_entry(a: &Args, data: &FitData, model: &Model, r: &FitResult, band: &str) -> Result<Value> {
    let b = parse_band(band, "--flux-band")?;
    let (lo, hi) = (data.response.energ_lo(), data.response.energ_hi());
    let p = r.values();
    let mut m = Map::new();
    m.insert("band_kev".into(), json!([b.0, b.1]));
    for (key, kind, unabs) in [
        ("absorbed", FluxKind::Energy, false),
        ("unabsorbed", FluxKind::Energy, true),
        ("photon", FluxKind::Photon, false),
    ] {
        let value = flux(model, &p, lo, hi, b, kind, unabs)?;
        let mut e = json!({"value": value});
        if a.flux_samples > 0 && !r.covariance.is_empty() {
            let so = SampleOptions {
                n_samples: a.flux_samples,
                seed: a.seed,
                ..SampleOptions::default()
            };
            let s = sample_flux(model, r, lo, hi, b, kind, unabs, &so)?;
            e = json!({"value": value, "median": s.median, "lower": s.lower, "upper": s.upper, "n_samples": s.n_samples});
        }
        m.insert(key.into(), e);
    }
    Ok(Value::Object(m))
}

/// Likelihood-ratio tests of every nested pair of the fitted models (either order).
fn likelihood_ratios(fitted: &[Fitted]) -> Value {
    use exod_core::spectral::compare::likelihood_ratio;
    let mut tests = Vec::new();
    for a in fitted {
        for b in fitted {
            if let Some(t) = likelihood_ratio(&a.label, &a.result, &b.label, &b.result) {
                tests.push(t);
            }
        }
    }
    serde_json::to_value(tests).unwrap_or(Value::Null)
}

/// The JSON object of one fit: `statistic`, `stat_value`, `dof`, `params` keyed by XSPEC name
/// (component-qualified when a name repeats), `flux` keyed by band, goodness, fit diagnostics.
pub fn fit_json(data: &FitData, f: &Fitted) -> Value {
    let r = &f.result;
    let mut params = Map::new();
    for p in &r.params {
        let unique = r.params.iter().filter(|q| q.name == p.name).count() == 1;
        let key = if unique {
            p.name.clone()
        } else {
            format!("{}.{}", p.component, p.name)
        };
        params.insert(
            key,
            json!({"component": p.component, "unit": p.unit, "value": p.value, "sigma": finite(p.sigma),
                   "lower": p.lower, "upper": p.upper, "lower_is_limit": p.lower_is_limit,
                   "upper_is_limit": p.upper_is_limit, "frozen": p.frozen}),
        );
    }
    let mut flux = Map::new();
    for fl in &f.fluxes {
        let b = &fl["band_kev"];
        flux.insert(
            band_label(
                b[0].as_f64().unwrap_or(f64::NAN),
                b[1].as_f64().unwrap_or(f64::NAN),
            ),
            fl.clone(),
        );
    }
    json!({
        "model": f.label, "spectrum": data.name, "statistic": r.statistic, "stat_value": r.stat_value,
        "dof": r.dof, "reduced_stat": finite(r.reduced_stat), "q_value": r.q_value, "aic": r.aic, "bic": r.bic,
        "n_bins": r.n_bins, "n_free": r.n_free, "exposure_s": data.exposure,
        "energy_kev": [data.groups.first().map(|g| g.e_lo), data.groups.last().map(|g| g.e_hi)],
        "params": params, "flux": flux, "kaastra": r.kaastra, "bootstrap": f.bootstrap,
        "profile_delta": r.profile_delta, "covariance": r.covariance, "n_evals": r.n_evals, "converged": r.converged,
    })
}

/// `0.2-12`: a band as a key (shortest decimal form of each end).
pub fn band_label(lo: f64, hi: f64) -> String {
    format!("{lo}-{hi}")
}

fn finite(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

/// Per-group model counts of `model` at `p` (for plots and tables).
pub fn group_counts(data: &FitData, model: &dyn SpectralModel, p: &[f64]) -> Vec<f64> {
    let mut ws = Workspace::new(data);
    let mut out = vec![0.0; data.groups.len()];
    ws.counts(data, model, p, &mut out);
    out
}
