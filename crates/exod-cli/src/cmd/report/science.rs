//! The numbers of a report: counterparts, distance, fluxes, ratios, X-ray main-sequence position
//! and class hints, from `exod_core::followup` and the steps' outputs.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use exod_core::followup::classify::{
    classify, xms_cuts, xms_side, ClassHint, ClassTable, SourceQuantities, XmsCut,
};
use exod_core::followup::counterparts::{
    find_all, Catalog, CatalogKind, Counterpart, MatchOptions,
};
use exod_core::followup::distance::{distance, Distance, DistanceOptions};
use exod_core::followup::optical::GbandFlux;
use exod_core::followup::ratios::{ratios, RatioInputs, Ratios};
use exod_core::followup::Measured;
use exod_io::counterparts::{load_catalog, LoadOptions};
use serde_json::{json, Value};

use super::steps::{Products, Step};
use super::{num, parse_measured, Args, Source};

/// Everything computed for one source.
#[derive(Debug, serde::Serialize)]
pub struct Science {
    /// Counterparts of every catalogue, nearest first.
    pub counterparts: Vec<Counterpart>,
    /// The Gaia counterpart used (nearest with a parallax or G), index into `counterparts`.
    pub optical: Option<usize>,
    /// Distance from its parallax.
    pub distance: Option<Distance>,
    /// F_X 0.2–12 keV and 0.3–3.5 keV (value, 1σ), and where they come from.
    pub fx: Measured,
    pub fx_03_35: Measured,
    pub fx_origin: String,
    /// N_H (1e22 cm⁻²) and where it comes from.
    pub nh: Option<(Measured, String)>,
    /// L_X, F_opt, F_X/F_opt, log(f_x/f_v).
    pub ratios: Ratios,
    /// BP−RP of the optical counterpart.
    pub bp_rp: Measured,
    /// The X-ray main-sequence cuts and the source's height above the first (dex).
    pub xms_cuts: Vec<XmsCut>,
    pub xms_side: Option<Measured>,
    /// The quantities the classification used, and its verdicts.
    pub quantities: SourceQuantities,
    pub class_hints: Vec<ClassHint>,
    /// The best fit (lowest AIC) of the spectral step.
    pub best_fit: Option<Value>,
    /// Best period (s) if detected at 3σ.
    pub period: Option<Measured>,
}

/// Load `--catalog` entries (`KIND=FILE` or `FILE`, kind guessed from the columns).
pub fn load_catalogs(specs: &[String]) -> Result<Vec<Catalog>> {
    specs
        .iter()
        .map(|s| {
            let (kind, path) = match s.split_once('=') {
                Some((k, p)) if !k.contains('/') && !k.contains('.') => {
                    (Some(parse_kind(k)?), PathBuf::from(p))
                }
                _ => (None, PathBuf::from(s)),
            };
            let kind = match kind {
                Some(k) => k,
                None => guess_kind(&path)?,
            };
            Ok(load_catalog(&path, &LoadOptions::new(kind))?)
        })
        .collect()
}

fn parse_kind(k: &str) -> Result<CatalogKind> {
    Ok(match k.to_ascii_lowercase().as_str() {
        "gaia" => CatalogKind::Gaia,
        "simbad" => CatalogKind::Simbad,
        "4xmm" | "xmm" => CatalogKind::Xmm4,
        "suss" | "om" => CatalogKind::Suss,
        "other" => CatalogKind::Other,
        _ => bail!("--catalog {k}=…: unknown kind (expected gaia, simbad, 4xmm, suss or other)"),
    })
}

/// The kind of a table from its columns.
fn guess_kind(path: &std::path::Path) -> Result<CatalogKind> {
    use exod_io::table_in::{read_table, TableOptions};
    let t = read_table(path, &TableOptions::default())
        .with_context(|| format!("--catalog {}", path.display()))?;
    let has = |c: &str| t.find(c).is_some();
    Ok(if has("parallax") && has("phot_g_mean_mag") {
        CatalogKind::Gaia
    } else if has("main_id") {
        CatalogKind::Simbad
    } else if has("EP_8_FLUX") {
        CatalogKind::Xmm4
    } else if has("UVW1_AB_MAG") || has("V_AB_MAG") {
        CatalogKind::Suss
    } else {
        CatalogKind::Other
    })
}

/// Gaia DR3 and SIMBAD cone searches around `src` (cached; `exod_io::online`).
fn online_catalogs(a: &Args, src: &Source) -> Result<Vec<Catalog>> {
    use exod_io::online::{cone_search, Service};
    let dir = match &a.cache {
        Some(d) => d.clone(),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .context("--online: no --cache folder and neither XDG_CACHE_HOME nor HOME is set")?
            .join("exod/online"),
    };
    [
        (Service::GaiaDr3, CatalogKind::Gaia),
        (Service::Simbad, CatalogKind::Simbad),
    ]
    .into_iter()
    .map(|(service, kind)| {
        let csv = cone_search(service, src.ra, src.dec, a.online_radius, &dir)?;
        let mut o = LoadOptions::new(kind);
        o.name = Some(format!(
            "{} (online)",
            if kind == CatalogKind::Gaia {
                "Gaia DR3"
            } else {
                "SIMBAD"
            }
        ));
        Ok(load_catalog(&csv, &o)?)
    })
    .collect()
}

/// All the numbers of the report of `src`.
pub fn compute(a: &Args, src: &Source, p: &Products) -> Result<Science> {
    let mut cats = load_catalogs(&a.catalogs)?;
    if a.online {
        cats.extend(online_catalogs(a, src)?);
    }
    let counterparts = find_all(
        src.ra,
        src.dec,
        src.pos_err_arcsec,
        &cats,
        &MatchOptions::default(),
    )?;
    let optical = counterparts
        .iter()
        .position(|c| c.kind == CatalogKind::Gaia);
    let gaia = |k: &str| {
        optical
            .and_then(|i| counterparts[i].numbers.get(k).copied())
            .unwrap_or(f64::NAN)
    };
    let dopts = DistanceOptions {
        zero_point_mas: a.parallax_zp,
        ..DistanceOptions::default()
    };
    let distance = match optical {
        Some(_) if gaia("parallax").is_finite() => {
            Some(distance(gaia("parallax"), gaia("parallax_error"), &dopts)?)
        }
        _ => None,
    };
    let best_fit = best_fit(&p.fit);
    let (fx, fx_03_35, fx_origin) = fluxes(a, best_fit.as_ref())?;
    let g_err = exod_core::followup::optical::g_error_from_flux_over_error(gaia(
        "phot_g_mean_flux_over_error",
    ));
    let bp_rp = Measured::new(gaia("bp_rp"), f64::NAN);
    let inputs = RatioInputs {
        fx,
        fx_03_35,
        g: Measured::new(gaia("phot_g_mean_mag"), g_err),
        bp_rp,
        v: Measured::new(f64::NAN, f64::NAN),
        g_as_v: a.g_as_v,
    };
    let rat = ratios(
        &inputs,
        distance.as_ref().filter(|d| d.is_some()),
        &GbandFlux::default(),
    );
    let cuts = xms_cuts();
    let side = match (&rat.fx_fopt, cuts.first()) {
        (Some(r), Some(cut)) if bp_rp.value.is_finite() => Some(xms_side(
            bp_rp.value,
            Measured::new(r.log10, r.log10_error),
            cut,
        )),
        _ => None,
    };
    let period = detected_period(&p.period);
    let quantities = quantities(best_fit.as_ref(), &rat, side, period, distance.as_ref());
    let table = match &a.classes {
        Some(f) => exod_io::counterparts::load_class_table(f)?,
        None => ClassTable::default_table(),
    };
    let class_hints = classify(&quantities, &table);
    let nh = nh_of(a, best_fit.as_ref());
    Ok(Science {
        counterparts,
        optical,
        distance,
        fx,
        fx_03_35,
        fx_origin,
        nh,
        ratios: rat,
        bp_rp,
        xms_cuts: cuts,
        xms_side: side,
        quantities,
        class_hints,
        best_fit,
        period,
    })
}

/// The fit with the lowest AIC of the spectral step.
fn best_fit(step: &Step) -> Option<Value> {
    let Step::Done { json, .. } = step else {
        return None;
    };
    let fits: Vec<&Value> = match json.get("fits").and_then(Value::as_array) {
        Some(f) => f.iter().collect(),
        None => vec![json],
    };
    fits.into_iter()
        .filter(|f| f["aic"].as_f64().is_some_and(f64::is_finite))
        .min_by(|x, y| {
            x["aic"]
                .as_f64()
                .unwrap_or(f64::INFINITY)
                .total_cmp(&y["aic"].as_f64().unwrap_or(f64::INFINITY))
        })
        .cloned()
}

/// F_X in both bands: the options if given, else the best fit's absorbed fluxes (1σ from the
/// half-width of its sampled interval).
fn fluxes(a: &Args, fit: Option<&Value>) -> Result<(Measured, Measured, String)> {
    let from_fit = |band: &str| -> Measured {
        let e = fit.map(|f| &f["flux"][band]["absorbed"]);
        let v = e.and_then(|e| e["value"].as_f64()).unwrap_or(f64::NAN);
        let (lo, hi) = e.map_or((f64::NAN, f64::NAN), |e| {
            (
                e["lower"].as_f64().unwrap_or(f64::NAN),
                e["upper"].as_f64().unwrap_or(f64::NAN),
            )
        });
        Measured::new(v, 0.5 * (hi - lo))
    };
    let opt = |o: &Option<String>, what: &str| -> Result<Option<Measured>> {
        o.as_deref()
            .map(|s| parse_measured(s, what).map(|(v, e)| Measured::new(v, e)))
            .transpose()
    };
    let user = (opt(&a.fx, "--fx")?, opt(&a.fx_03_35, "--fx-03-35")?);
    let origin = match (&user, fit) {
        ((Some(_), _), _) | ((_, Some(_)), _) => "given (--fx / --fx-03-35)".to_string(),
        (_, Some(f)) => format!(
            "absorbed flux of the best fit ({}, lowest AIC)",
            f["model"].as_str().unwrap_or("?")
        ),
        _ => "not measured".to_string(),
    };
    Ok((
        user.0.unwrap_or_else(|| from_fit("0.2-12")),
        user.1.unwrap_or_else(|| from_fit("0.3-3.5")),
        origin,
    ))
}

fn nh_of(a: &Args, fit: Option<&Value>) -> Option<(Measured, String)> {
    if let Some(nh) = a.nh {
        return Some((
            Measured::new(nh, f64::NAN),
            "given (--nh), frozen in the fits".into(),
        ));
    }
    let p = &fit?["params"]["nH"];
    let v = p["value"].as_f64()?;
    let e = p["sigma"].as_f64().unwrap_or(f64::NAN);
    Some((Measured::new(v, e), "fitted (best model)".into()))
}

/// The best period if the periodicity search found one at ≥ 3σ.
fn detected_period(step: &Step) -> Option<Measured> {
    let Step::Done { json, .. } = step else {
        return None;
    };
    if json["detected_3sigma"].as_bool() != Some(true) {
        return None;
    }
    Some(Measured::new(
        json["best_period_s"].as_f64()?,
        json["period_error_s"].as_f64().unwrap_or(f64::NAN),
    ))
}

/// The measured quantities of the class table.
fn quantities(
    fit: Option<&Value>,
    r: &Ratios,
    side: Option<Measured>,
    period: Option<Measured>,
    d: Option<&Distance>,
) -> SourceQuantities {
    let param = |name: &str| -> Option<Measured> {
        let p = &fit?["params"][name];
        Some(Measured::new(
            p["value"].as_f64()?,
            p["sigma"].as_f64().unwrap_or(f64::NAN),
        ))
    };
    let model = fit.and_then(|f| f["model"].as_str()).unwrap_or_default();
    SourceQuantities {
        kt_kev: if model.contains("powerlaw") {
            None
        } else {
            param("kT")
        },
        gamma: param("PhoIndex"),
        log_lx: r.lx.as_ref().map(|l| {
            Measured::new(
                l.log_lx,
                0.5 * (l.upper_erg_s.log10() - l.lower_erg_s.log10()),
            )
        }),
        log_fx_fopt: r
            .fx_fopt
            .as_ref()
            .map(|x| Measured::new(x.log10, x.log10_error)),
        log_fx_fv: r
            .log_fx_fv
            .as_ref()
            .map(|x| Measured::new(x.value, x.error)),
        period_s: period,
        xms_side: side,
        parallax_over_error: d
            .filter(|d| d.fractional_error.is_finite())
            .map(|d| Measured::new(1.0 / d.fractional_error, f64::NAN)),
    }
}

/// The machine-readable report (issue 14's keys first).
pub fn to_json(src: &Source, s: &Science, p: &Products) -> Value {
    let lx = s.ratios.lx.as_ref();
    json!({
        "source": src,
        "counterparts": s.counterparts,
        "distance_pc": s.distance.as_ref().map_or(Value::Null, |d| num(d.distance_pc)),
        "distance": s.distance,
        "fx_erg_cm2_s": num(s.fx.value),
        "fx_err_erg_cm2_s": num(s.fx.error),
        "fx_03_35_erg_cm2_s": num(s.fx_03_35.value),
        "fx_03_35_err_erg_cm2_s": num(s.fx_03_35.error),
        "fx_origin": s.fx_origin,
        "nh_1e22": s.nh.as_ref().map_or(Value::Null, |(m, _)| num(m.value)),
        "lx_erg_s": lx.map_or(Value::Null, |l| num(l.lx_erg_s)),
        "lx": lx,
        "fx_fopt": s.ratios.fx_fopt.as_ref().map_or(Value::Null, |r| num(r.value)),
        "log_fx_fv": s.ratios.log_fx_fv.as_ref().map_or(Value::Null, |r| num(r.value)),
        "ratios": s.ratios,
        "xms_side_dex": s.xms_side.map_or(Value::Null, |m| num(m.value)),
        "xms_cuts": s.xms_cuts,
        "class_hints": s.class_hints,
        "quantities": s.quantities,
        "period_s": s.period.map_or(Value::Null, |m| num(m.value)),
        "spectral_fit": s.best_fit,
        "steps": {
            "lc": p.lc.reason().map_or(json!("done"), |r| json!(format!("not run: {r}"))),
            "period": p.period.reason().map_or(json!("done"), |r| json!(format!("not run: {r}"))),
            "fit": p.fit.reason().map_or(json!("done"), |r| json!(format!("not run: {r}"))),
        },
    })
}
