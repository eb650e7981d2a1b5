//! Outputs of `exod fit`: the comparison table (ECSV, one row per model, the numbers the
//! follow-up reports tabulate), the JSON document, the XSPEC-style figure (data in counts s⁻¹
//! keV⁻¹ with the folded models and components, residuals below) and the text table printed
//! to the terminal.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use exod_core::spectral::fitdata::FitData;
use exod_io::ecsv::{Column, Value as Cell};
use exod_plot::spectral::{spectrum_png, ModelLine, Residuals, SpectrumPlot};
use serde_json::Value;

use super::fit::{group_counts, Fitted};

/// fits.json, fits.ecsv and fit.png in `dir` (staged: the folder appears complete or not at all).
pub fn write_outputs(
    dir: &Path,
    overwrite: bool,
    data: &FitData,
    fitted: &[Fitted],
    doc: &Value,
) -> Result<()> {
    let stage = crate::staging::Staged::begin(dir, overwrite)?;
    let d = stage.path();
    let text = serde_json::to_string_pretty(doc)? + "\n";
    std::fs::write(d.join("fits.json"), text)
        .with_context(|| format!("{}: cannot write", d.join("fits.json").display()))?;
    write_table(&d.join("fits.ecsv"), data, fitted)?;
    plot(&d.join("fit.png"), data, fitted)?;
    stage.commit()?;
    Ok(())
}

fn write_table(path: &Path, data: &FitData, fitted: &[Fitted]) -> Result<()> {
    let mut cols = vec![
        Column::new("model", "string", None, "model expression (XSPEC syntax)"),
        Column::new("statistic", "string", None, "fit statistic"),
        Column::new("stat_value", "float64", None, "statistic at the best fit"),
        Column::new("dof", "int64", None, "degrees of freedom"),
        Column::new("reduced_stat", "float64", None, "statistic / dof"),
        Column::new(
            "q_value",
            "float64",
            None,
            "chi2 null-hypothesis probability (nan for cstat/wstat)",
        ),
        Column::new("aic", "float64", None, "Akaike information criterion"),
        Column::new("bic", "float64", None, "Bayesian information criterion"),
        Column::new(
            "params",
            "string",
            None,
            "name=value[lower,upper] of every parameter (< or > marks a limit)",
        ),
    ];
    let bands: Vec<String> = fitted
        .first()
        .map(|f| f.fluxes.iter().map(band_key).collect())
        .unwrap_or_default();
    for b in &bands {
        for (k, unit) in [
            ("absorbed", "erg cm-2 s-1"),
            ("unabsorbed", "erg cm-2 s-1"),
            ("photon", "ph cm-2 s-1"),
        ] {
            cols.push(Column::new(
                &format!("flux_{k}_{b}"),
                "float64",
                Some(unit),
                &format!("{k} flux {b} keV"),
            ));
            cols.push(Column::new(
                &format!("flux_{k}_{b}_lo"),
                "float64",
                Some(unit),
                "lower end of the sampled 68 % interval",
            ));
            cols.push(Column::new(
                &format!("flux_{k}_{b}_hi"),
                "float64",
                Some(unit),
                "upper end of the sampled 68 % interval",
            ));
        }
    }
    let rows: Vec<Vec<Cell>> = fitted.iter().map(|f| table_row(f)).collect();
    let meta = [
        ("spectrum", data.name.clone()),
        ("software", format!("exod {}", env!("CARGO_PKG_VERSION"))),
    ];
    exod_io::ecsv::write(path, &cols, &rows, &meta)
        .with_context(|| format!("{}: cannot write", path.display()))
}

fn band_key(fl: &Value) -> String {
    let end = |i: usize| fl["band_kev"][i].as_f64().unwrap_or(f64::NAN);
    super::fit::band_label(end(0), end(1))
}

fn table_row(f: &Fitted) -> Vec<Cell> {
    let r = &f.result;
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let mut row = vec![
        Cell::S(f.label.clone()),
        Cell::S(r.statistic.clone()),
        Cell::F(r.stat_value),
        Cell::I(r.dof as i64),
        Cell::F(r.reduced_stat),
        Cell::F(r.q_value.unwrap_or(f64::NAN)),
        Cell::F(r.aic),
        Cell::F(r.bic),
        Cell::S(param_summary(f)),
    ];
    for fl in &f.fluxes {
        for k in ["absorbed", "unabsorbed", "photon"] {
            row.push(Cell::F(num(&fl[k]["value"])));
            row.push(Cell::F(num(&fl[k]["lower"])));
            row.push(Cell::F(num(&fl[k]["upper"])));
        }
    }
    row
}

fn param_summary(f: &Fitted) -> String {
    f.result
        .params
        .iter()
        .map(|p| {
            let lo = if p.lower_is_limit { "<" } else { "" };
            let hi = if p.upper_is_limit { ">" } else { "" };
            if p.frozen {
                format!("{}.{}={:.6} frozen", p.component, p.name, p.value)
            } else {
                format!(
                    "{}.{}={:.6}[{lo}{:.6},{:.6}{hi}]",
                    p.component, p.name, p.value, p.lower, p.upper
                )
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The figure: data (background-subtracted when a background was used), every model folded,
/// the additive components of the first model dashed, (d − m)/σ below.
fn plot(path: &Path, data: &FitData, fitted: &[Fitted]) -> Result<()> {
    let (e_lo, e_hi): (Vec<f64>, Vec<f64>) = data.groups.iter().map(|g| (g.e_lo, g.e_hi)).unzip();
    let norm: Vec<f64> = e_lo
        .iter()
        .zip(&e_hi)
        .map(|(l, h)| 1.0 / ((h - l) * data.exposure))
        .collect();
    let rate: Vec<f64> = data
        .bins
        .iter()
        .zip(&norm)
        .map(|(b, k)| (b.d - b.s * b.b) * k)
        .collect();
    let err: Vec<f64> = data
        .bins
        .iter()
        .zip(&norm)
        .map(|(b, k)| (b.d.max(1.0) + b.s * b.s * b.b).sqrt() * k)
        .collect();
    let scale = |c: Vec<f64>| -> Vec<f64> { c.iter().zip(&norm).map(|(m, k)| m * k).collect() };
    let model_rates: Vec<Vec<f64>> = fitted
        .iter()
        .map(|f| scale(group_counts(data, &f.model, &f.result.values())))
        .collect();
    let labels: Vec<String> = fitted
        .iter()
        .map(|f| {
            format!(
                "{}  {} = {:.2} / {}",
                f.label, f.result.statistic, f.result.stat_value, f.result.dof
            )
        })
        .collect();
    let comps = component_rates(data, &fitted[0])
        .into_iter()
        .map(|(n, c)| (n, scale(c)))
        .collect::<Vec<_>>();
    let name = Path::new(&data.name)
        .file_name()
        .map_or(data.name.clone(), |n| n.to_string_lossy().into_owned());
    let title = format!("{name}  ({} s)", data.exposure.round());
    let p = SpectrumPlot {
        title: &title,
        e_lo: &e_lo,
        e_hi: &e_hi,
        rate: &rate,
        rate_err: &err,
        models: labels
            .iter()
            .zip(&model_rates)
            .map(|(l, r)| ModelLine { label: l, rate: r })
            .collect(),
        components: comps
            .iter()
            .map(|(n, r)| (0, ModelLine { label: n, rate: r }))
            .collect(),
        residuals: Residuals::DelChi,
    };
    spectrum_png(path, &p).with_context(|| format!("{}: cannot draw", path.display()))?;
    Ok(())
}

/// Group counts of each additive term of a model with more than one.
fn component_rates(data: &FitData, f: &Fitted) -> Vec<(String, Vec<f64>)> {
    let p = f.result.values();
    let terms = f
        .model
        .eval_additive_terms(&p, data.response.energ_lo(), data.response.energ_hi());
    if terms.len() < 2 {
        return Vec::new();
    }
    terms
        .into_iter()
        .map(|(name, flux)| {
            let mut out = vec![0.0; data.groups.len()];
            data.counts_from_flux(&flux, &mut out);
            (name, out)
        })
        .collect()
}

/// The terminal table: XSPEC's parameter listing and fit summary.
pub fn text_table(data: &FitData, f: &Fitted) -> String {
    let r = &f.result;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Model {}   ({}, {} groups {:.3}–{:.3} keV)",
        f.label,
        data.name,
        r.n_bins,
        data.groups.first().map_or(f64::NAN, |g| g.e_lo),
        data.groups.last().map_or(f64::NAN, |g| g.e_hi)
    );
    let delta = r
        .profile_delta
        .map_or("σ".to_string(), |d| format!("Δstat = {d}"));
    let _ = writeln!(
        s,
        "  {:<4} {:<10} {:<9} {:<12} {:>13} {:>13} {:>13}",
        "par", "comp", "name", "unit", "value", "lower", "upper"
    );
    for (i, p) in r.params.iter().enumerate() {
        let (lo, hi) = if p.frozen {
            ("frozen".to_string(), String::new())
        } else {
            (
                limit(p.lower, p.lower_is_limit),
                limit(p.upper, p.upper_is_limit),
            )
        };
        let _ = writeln!(
            s,
            "  {:<4} {:<10} {:<9} {:<12} {:>13.6e} {:>13} {:>13}",
            i + 1,
            p.component,
            p.name,
            p.unit,
            p.value,
            lo,
            hi
        );
    }
    let q = r.q_value.map_or(String::new(), |q| {
        format!("   null hypothesis probability {q:.3e}")
    });
    let _ = writeln!(
        s,
        "  {} = {:.4} for {} dof (reduced {:.4}){q}   [intervals: {delta}]",
        r.statistic, r.stat_value, r.dof, r.reduced_stat
    );
    for fl in &f.fluxes {
        let g = |k: &str| fl[k]["value"].as_f64().unwrap_or(f64::NAN);
        let _ = writeln!(s, "  flux {:>8} keV: absorbed {:.4e}  unabsorbed {:.4e} erg/cm²/s   photon {:.4e} ph/cm²/s",
            band_key(fl), g("absorbed"), g("unabsorbed"), g("photon"));
    }
    s
}

fn limit(x: f64, is_limit: bool) -> String {
    if is_limit {
        format!("({x:.4e})")
    } else {
        format!("{x:.6e}")
    }
}
