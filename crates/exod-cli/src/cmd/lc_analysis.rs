//! The analysis `exod lc` makes of its curves: Bayesian blocks of the source events, the
//! variability tests, flare fits; the JSON summary, the table and the plot.

use std::path::Path;

use anyhow::Result;
use exod_core::extract::Extraction;
use exod_core::gti::Gti;
use exod_core::timesys::TimeReference;
use exod_core::timing::blocks::{bayesian_blocks_events_with, BlocksOptions, Prior};
use exod_core::timing::lightcurve::LightCurve;
use serde_json::{json, Value};

use super::lc::Args;
use super::target::Target;

/// Bayesian blocks of the source events of all cameras together.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BlocksSummary {
    /// Block edges (mission s).
    pub edges: Vec<f64>,
    /// Net rate of each block (count/s: source-aperture events minus the cameras' background
    /// events of the block scaled by their area ratios, per live second).
    pub net_rate: Vec<f64>,
    /// Source-aperture events per block.
    pub counts: Vec<f64>,
    /// Good time of each block (s).
    pub good_time: Vec<f64>,
    /// The penalty per block (ncp_prior).
    pub ncp_prior: f64,
    /// p0.
    pub p0: f64,
}

/// Everything `exod lc` derives from its curves.
pub struct Analysis {
    pub blocks: Option<BlocksSummary>,
    pub variability: Vec<(String, Value)>,
    pub flares: Option<Value>,
}

/// The good time common to every camera.
fn common_gti(ext: &Extraction) -> Gti {
    let mut g = ext.cameras[0].gti.clone();
    for c in &ext.cameras[1..] {
        g = g.intersect(&c.gti);
    }
    g
}

/// Bayesian blocks of every camera's source events inside the common good time, block lengths
/// in good time (Scargle et al. 2013 `events` fitness, exposure-aware).
fn blocks(ext: &Extraction, p0: f64) -> Result<Option<BlocksSummary>> {
    let gti = common_gti(ext);
    let mut t: Vec<f64> = ext
        .cameras
        .iter()
        .flat_map(|c| c.src.time.iter().copied())
        .filter(|&x| gti.contains(x))
        .collect();
    if t.len() < 2 {
        return Ok(None);
    }
    t.sort_by(f64::total_cmp);
    let opts = BlocksOptions {
        prior: Prior::P0(p0),
        gti: Some(gti.clone()),
        ..Default::default()
    };
    let b = bayesian_blocks_events_with(&t, &opts)?;
    // the scaled background of each block: every camera's background events inside the block
    // and the common good time, × its area ratio — so a soft-proton flare raises the block's
    // aperture rate but not its net rate
    let live: f64 =
        ext.cameras.iter().map(|c| c.live_fraction).sum::<f64>() / ext.cameras.len() as f64;
    let net_rate = (0..b.counts.len())
        .map(|k| {
            let (t0, t1) = (b.edges[k], b.edges[k + 1]);
            let bkg: f64 = ext
                .cameras
                .iter()
                .map(|c| {
                    let n = c
                        .bkg
                        .time
                        .iter()
                        .filter(|&&t| t >= t0 && t < t1 && gti.contains(t))
                        .count();
                    c.backscal_ratio * n as f64
                })
                .sum();
            (b.counts[k] - bkg) / (b.length[k] * live).max(1e-9)
        })
        .collect();
    Ok(Some(BlocksSummary {
        edges: b.edges.clone(),
        net_rate,
        counts: b.counts.clone(),
        good_time: b.length.clone(),
        ncp_prior: b.ncp_prior,
        p0,
    }))
}

/// The interval of the flare fit: `--flare-window`, else a detection's flagged interval widened
/// by three times its length (at least 20 bins) on each side, else the whole curve.
fn flare_window(curves: &[LightCurve], tgt: &Target, a: &Args) -> (f64, f64) {
    let g = &curves[0].grid;
    let whole = (g.t0, g.t0 + g.tbin * g.n as f64);
    if let Some(w) = a.flare_window.as_ref().filter(|w| w.len() == 2) {
        return (w[0], w[1]);
    }
    match tgt.window {
        Some((t0, t1)) => {
            let pad = (3.0 * (t1 - t0)).max(20.0 * g.tbin);
            ((t0 - pad).max(whole.0), (t1 + pad).min(whole.1))
        }
        None => whole,
    }
}

/// The analysis of `curves` (see the module docs).
pub fn analyse(
    ext: &Extraction,
    curves: &[LightCurve],
    combined: Option<&LightCurve>,
    tgt: &Target,
    a: &Args,
) -> Result<Analysis> {
    let blocks = blocks(ext, a.p0)?;
    let variability = curves
        .iter()
        .chain(combined)
        .map(|lc| Ok((lc.camera.clone(), super::lc_stats::variability(lc, ext)?)))
        .collect::<Result<Vec<_>>>()?;
    let flares = if a.flare {
        Some(super::lc_stats::flare_fits(
            curves,
            flare_window(curves, tgt, a),
        )?)
    } else {
        None
    };
    Ok(Analysis {
        blocks,
        variability,
        flares,
    })
}

/// The JSON summary written as lc.json.
pub fn summary_json(
    tgt: &Target,
    ext: &Extraction,
    curves: &[LightCurve],
    an: &Analysis,
    tref: &TimeReference,
    a: &Args,
) -> Value {
    let cams: Vec<Value> = ext
        .cameras
        .iter()
        .zip(curves)
        .map(|(c, lc)| {
            json!({
                "camera": c.camera, "ccd": c.ccd,
                "src_radius_arcsec": c.src_radius_arcsec, "eef": c.eef,
                "bkg_inner_arcsec": c.bkg_inner_arcsec, "bkg_outer_arcsec": c.bkg_outer_arcsec,
                "src_area_arcsec2": c.src_area_arcsec2, "bkg_area_arcsec2": c.bkg_area_arcsec2,
                "backscal_ratio": c.backscal_ratio, "offaxis_arcmin": c.offaxis_arcmin,
                "live_fraction": c.live_fraction, "live_time_s": c.live_time_s,
                "n_src": c.src.len(), "n_bkg": c.bkg.len(), "n_excluded": c.n_excluded,
                "mean_net_rate": mean_net_rate(lc),
            })
        })
        .collect();
    let (t0, t1) = (
        curves[0].grid.t0,
        curves[0].grid.t0 + curves[0].grid.tbin * curves[0].grid.n as f64,
    );
    json!({
        "target": tgt,
        "band_kev": [ext.band_ev.0 / 1000.0, ext.band_ev.1 / 1000.0],
        "tbin_s": a.tbin,
        "errors": a.errors,
        "time": {
            "timesys": tref.timesys.keyword(), "timeref": tref.timeref.keyword(),
            "mjdref": tref.mjdref(), "barycentred": a.barycenter,
            "start_s": t0, "stop_s": t1,
            "start_mjd": tref.mjd(t0), "stop_mjd": tref.mjd(t1),
        },
        "cameras": cams,
        "variability": an.variability.iter().map(|(k, v)| json!({"curve": k, "tests": v})).collect::<Vec<_>>(),
        "bayesian_blocks": an.blocks,
        "flare_fits": an.flares,
        "warnings": ext.warnings,
    })
}

/// Mean net rate of a curve over its well-exposed bins, weighted by live time.
fn mean_net_rate(lc: &LightCurve) -> f64 {
    let (mut n, mut b, mut live) = (0.0, 0.0, 0.0);
    for i in 0..lc.len() {
        if !lc.low_exposure[i] {
            n += lc.counts[i] as f64;
            b += lc.bkg_scaled[i];
            live += lc.fracexp[i] * lc.grid.tbin;
        }
    }
    if live > 0.0 {
        (n - b) / live
    } else {
        f64::NAN
    }
}

/// The table printed by `exod lc`.
pub fn print_table(curves: &[LightCurve], combined: Option<&LightCurve>, an: &Analysis) {
    println!(
        "{:<6} {:>6} {:>8} {:>8} {:>10}  variability",
        "curve", "bins", "counts", "bkg", "rate"
    );
    for lc in curves.iter().chain(combined) {
        let var = an
            .variability
            .iter()
            .find(|(k, _)| *k == lc.camera)
            .map(|(_, v)| super::lc_stats::one_line(v))
            .unwrap_or_default();
        println!(
            "{:<6} {:>6} {:>8} {:>8.1} {:>10.5}  {var}",
            lc.camera,
            lc.len(),
            lc.counts.iter().sum::<u64>(),
            lc.bkg_scaled.iter().sum::<f64>(),
            mean_net_rate(lc),
        );
    }
    if let Some(b) = &an.blocks {
        println!(
            "Bayesian blocks (p0 = {}): {} block(s)",
            b.p0,
            b.net_rate.len()
        );
    }
}

/// lc.png: every curve (well-exposed bins), the combined one's background, the time outside
/// the common good time, the Bayesian blocks.
pub fn plot(
    path: &Path,
    tgt: &Target,
    curves: &[LightCurve],
    combined: Option<&LightCurve>,
    an: &Analysis,
) -> Result<()> {
    use exod_plot::timing::{rate_curve_png, RatePlot, RateSeries};
    let t0 = curves[0].grid.t0;
    let mut all: Vec<&LightCurve> = curves.iter().chain(combined).collect();
    if curves[0].grid.n > 150 {
        // more than 150 bins: only the combined (or single) curve stays readable
        all = vec![all[all.len() - 1]];
    }
    let rel: Vec<Vec<f64>> = all
        .iter()
        .map(|lc| lc.time.iter().map(|t| t - t0).collect())
        .collect();
    let masked: Vec<[Vec<f64>; 4]> = all
        .iter()
        .map(|lc| {
            let m = |v: &[f64]| -> Vec<f64> {
                (0..lc.len())
                    .map(|i| if lc.low_exposure[i] { f64::NAN } else { v[i] })
                    .collect()
            };
            [m(&lc.rate), m(&lc.err_lo), m(&lc.err_hi), m(&lc.bkg_rate)]
        })
        .collect();
    let series = all
        .iter()
        .enumerate()
        .map(|(k, lc)| RateSeries {
            label: &lc.camera,
            t: &rel[k],
            half_width: lc.grid.tbin / 2.0,
            rate: &masked[k][0],
            err_lo: &masked[k][1],
            err_hi: &masked[k][2],
            background: (k + 1 == all.len()).then_some(masked[k][3].as_slice()),
        })
        .collect();
    let last = all[all.len() - 1];
    let gaps = gaps(&last.gti, t0, t0 + last.grid.tbin * last.grid.n as f64);
    let (edges, rates): (Vec<f64>, Vec<f64>) = match &an.blocks {
        Some(b) => (b.edges.iter().map(|e| e - t0).collect(), b.net_rate.clone()),
        None => (vec![], vec![]),
    };
    let title = format!("{} — net rate, {} s bins", tgt.label, curves[0].grid.tbin);
    let x_desc = format!("time − {t0:.1} s (mission time)");
    let plot = RatePlot {
        title: &title,
        x_desc: &x_desc,
        y_desc: "net count rate (ct/s)",
        series,
        gaps: &gaps,
        blocks: an
            .blocks
            .as_ref()
            .map(|_| (edges.as_slice(), rates.as_slice())),
    };
    rate_curve_png(path, &plot)?;
    Ok(())
}

/// The intervals of [t0, t1] outside `gti`, relative to `t0`.
fn gaps(gti: &Gti, t0: f64, t1: f64) -> Vec<(f64, f64)> {
    let mut out = vec![];
    let mut at = t0;
    for &(s, e) in gti.intervals() {
        if s > at {
            out.push((at - t0, s.min(t1) - t0));
        }
        at = at.max(e);
    }
    if at < t1 {
        out.push((at - t0, t1 - t0));
    }
    out
}
