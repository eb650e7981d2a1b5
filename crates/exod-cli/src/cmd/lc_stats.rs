//! The variability tests and flare fits of `exod lc`, as JSON values.

use anyhow::{Context, Result};
use exod_core::extract::Extraction;
use exod_core::gti::Gti;
use exod_core::timing::flare::{
    compare_fits, fit_flare, FlareData, FlareFitOptions, FlareModel, Rise,
};
use exod_core::timing::lightcurve::LightCurve;
use exod_core::timing::variability::{chi2_constant, excess_variance, ks_constant_rate};
use serde_json::{json, Value};

/// Bins of `lc` the statistics use: well exposed, finite rate and positive errors.
fn usable(lc: &LightCurve) -> Vec<usize> {
    (0..lc.len())
        .filter(|&i| {
            !lc.low_exposure[i]
                && lc.rate[i].is_finite()
                && lc.err_lo[i].is_finite()
                && lc.err_hi[i].is_finite()
                && lc.err_lo[i] + lc.err_hi[i] > 0.0
        })
        .collect()
}

/// The source events of `camera` ("EPIC": every camera's, inside the common good time) and
/// their good time.
fn events_of(ext: &Extraction, camera: &str) -> (Vec<f64>, Gti) {
    if let Some(c) = ext.cameras.iter().find(|c| c.camera == camera) {
        return (c.src.time.clone(), c.gti.clone());
    }
    let mut gti = ext.cameras[0].gti.clone();
    for c in &ext.cameras[1..] {
        gti = gti.intersect(&c.gti);
    }
    let mut t: Vec<f64> = ext
        .cameras
        .iter()
        .flat_map(|c| c.src.time.iter().copied())
        .filter(|&x| gti.contains(x))
        .collect();
    t.sort_by(f64::total_cmp);
    (t, gti)
}

/// χ² against a constant, F_var (Vaughan et al. 2003) and the KS test of the arrival times
/// against the exposure-weighted constant, for one curve. A test that cannot be made (too few
/// bins or events) is reported as `{"error": why}`.
pub fn variability(lc: &LightCurve, ext: &Extraction) -> Result<Value> {
    let idx = usable(lc);
    let rate: Vec<f64> = idx.iter().map(|&i| lc.rate[i]).collect();
    let err: Vec<f64> = idx
        .iter()
        .map(|&i| 0.5 * (lc.err_lo[i] + lc.err_hi[i]))
        .collect();
    let as_value = |r: Result<Value, String>| r.unwrap_or_else(|e| json!({ "error": e }));
    let chi2 = as_value(
        chi2_constant(&rate, &err)
            .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
            .map_err(|e| e.to_string()),
    );
    let fvar = as_value(
        excess_variance(&rate, &err)
            .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
            .map_err(|e| e.to_string()),
    );
    let (t, gti) = events_of(ext, &lc.camera);
    let inside: Vec<f64> = t.into_iter().filter(|&x| gti.contains(x)).collect();
    let ks = as_value(
        ks_constant_rate(&inside, &gti, &[])
            .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
            .map_err(|e| e.to_string()),
    );
    Ok(json!({
        "n_bins_used": idx.len(),
        "chi2_constant": chi2,
        "excess_variance": fvar,
        "ks_arrival_times": ks,
    }))
}

/// One line of the table: the three probabilities.
pub fn one_line(v: &Value) -> String {
    let lp = |k: &str, f: &str| {
        v[k][f]
            .as_f64()
            .map(|x| format!("{x:.1}"))
            .unwrap_or("-".into())
    };
    let fv = v["excess_variance"]["f_var"]
        .as_f64()
        .map(|x| format!("{x:.3}"))
        .unwrap_or("-".into());
    format!(
        "log10 p(χ²) {}  log10 p(KS) {}  F_var {fv}",
        lp("chi2_constant", "log10_p_value"),
        lp("ks_arrival_times", "log10_p_value")
    )
}

/// The flare data of one camera's curve inside `window`: its bins with live time, the
/// background fixed at the camera's mean scaled background rate (as in seed 003 §3.1.2).
fn flare_data(lc: &LightCurve, window: (f64, f64)) -> FlareData {
    let live_total: f64 = (0..lc.len()).map(|i| lc.fracexp[i] * lc.grid.tbin).sum();
    let bkg_rate = lc.bkg_scaled.iter().sum::<f64>() / live_total.max(1e-9);
    let mut d = FlareData::default();
    for i in 0..lc.len() {
        let live = lc.fracexp[i] * lc.grid.tbin;
        let (a, b) = (lc.grid.start(i), lc.grid.start(i) + lc.grid.tbin);
        if live <= 0.0 || b <= window.0 || a >= window.1 {
            continue;
        }
        d.t_start.push(a);
        d.t_stop.push(b);
        d.counts.push(lc.counts[i]);
        d.exposure.push(live.min(lc.grid.tbin));
        d.background_rate.push(bkg_rate);
    }
    d
}

/// Flare-profile fits (C-stat, profile-likelihood errors) of the camera curve with the most
/// source counts, in `window` (mission s): constant, rise + exponential decay, rise + double exponential decay, FRED;
/// with the comparisons constant → single → double (likelihood ratio, AIC, BIC).
pub fn flare_fits(curves: &[LightCurve], window: (f64, f64)) -> Result<Value> {
    let lc = curves
        .iter()
        .max_by_key(|c| c.counts.iter().sum::<u64>())
        .context("no light curve")?;
    let data = flare_data(lc, window);
    let opts = FlareFitOptions::default();
    let models = [
        FlareModel::Constant,
        FlareModel::ExpDecay {
            rise: Rise::Exponential,
        },
        FlareModel::DoubleExpDecay {
            rise: Rise::Exponential,
        },
        FlareModel::Fred,
    ];
    let fits = models
        .iter()
        .map(|&m| fit_flare(&data, m, &opts))
        .collect::<Result<Vec<_>, _>>()?;
    let cmp = |a: usize, b: usize| {
        compare_fits(&fits[a], &fits[b])
            .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
            .unwrap_or_else(|e| json!({"error": e.to_string()}))
    };
    Ok(json!({
        "camera": lc.camera,
        "statistic": "cstat",
        "window": [window.0, window.1],
        "n_bins": data.counts.len(),
        "fits": fits,
        "comparisons": {
            "constant_vs_exp_decay": cmp(0, 1),
            "exp_decay_vs_double_exp_decay": cmp(1, 2),
        },
    }))
}
