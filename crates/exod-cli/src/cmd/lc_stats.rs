//! The variability tests and flare fits of `exod lc`, as JSON values.

use anyhow::Result;
use exod_core::extract::Extraction;
use exod_core::gti::Gti;
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

/// Flare-profile fits (placeholder until the flare module lands).
pub fn flare_fits(_ext: &Extraction, _curves: &[LightCurve], _tbin: f64) -> Result<Value> {
    anyhow::bail!("--flare: flare fits are not available yet")
}
