//! The figures of a search: `image.png` (0.2–12 keV counts per cell with RA/Dec axes, a colour
//! bar and the detections marked and listed) and `lc_<detid>.png` (each detection's light curve
//! with μ and shaded BTIs, time in seconds since the observation start, whose mission time is
//! given on the axis).

use std::path::{Path, PathBuf};

use exod_core::grid::SkyGrid;
use exod_core::observation::Observation;
use exod_core::search::{Kind, SearchResult};

use crate::plot::{curve_png, Curve, Mark, PlotError};
use crate::sky::sky_image_png;

/// PNG light curves of every detection and an image with the detections marked.
pub fn write_plots(
    out: &Path,
    ev: &Observation,
    res: &SearchResult,
) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = Vec::new();
    let g = ev.grid();
    let img = full_band_image(ev);
    let marks = detection_marks(res, g);
    let p = out.join("image.png");
    sky_image_png(
        &p,
        &img,
        g,
        &format!(
            "{} keV counts in {}″ cells (image.fits)",
            ev.full_band().label().replace('-', "–"),
            g.cell_arcsec
        ),
        &marks,
    )?;
    written.push(p);
    let t_obs = ev.span().0;
    let x_desc = format!("time since the observation start (s); start = mission time {t_obs:.0} s");
    for (d, l) in res.detections.iter().zip(&res.lightcurves) {
        let p = out.join(format!("lc_{}.png", d.detid));
        let t: Vec<f64> = (0..l.n.len())
            .map(|k| l.t0 - t_obs + k as f64 * l.tbin)
            .collect();
        let n: Vec<f64> = l.n.iter().map(|&v| v as f64).collect();
        curve_png(
            &p,
            &Curve {
                t: &t,
                tbin: l.tbin,
                observed: (&n, "N (observed)"),
                expected: (&l.mu, "μ (expected)"),
                bti: &l.bti,
                highlight: d.frame.checked_sub(l.first_frame),
                title: &format!(
                    "{} — {} {:.1}σ, {} keV, {} s bins",
                    d.name,
                    d.kind.as_str(),
                    d.sigma,
                    d.band,
                    d.tbin
                ),
                x_desc: &x_desc,
            },
        )?;
        written.push(p);
    }
    Ok(written)
}

/// Counts per cell of the events in the full band (EPIC 0.2–12 keV; row-major, as the grid's
/// cells).
fn full_band_image(ev: &Observation) -> Vec<f64> {
    let g = ev.grid();
    let full = ev.full_band();
    let mut img = vec![0f64; g.n_cells()];
    for i in 0..ev.len() {
        if full.contains(ev.energy()[i]) {
            img[ev.cell()[i] as usize] += 1.0;
        }
    }
    img
}

/// The marks of the detections on grid `g`, red for peaks, most significant first.
fn detection_marks(res: &SearchResult, g: &SkyGrid) -> Vec<Mark> {
    // the most significant detection first: it names its position in the image's list
    let mut order: Vec<usize> = (0..res.detections.len()).collect();
    order.sort_by(|&a, &b| {
        res.detections[b]
            .sigma
            .total_cmp(&res.detections[a].sigma)
            .then(a.cmp(&b))
    });
    order
        .iter()
        .map(|&k| {
            let d = &res.detections[k];
            Mark {
                x: (d.x - g.x0) / g.cell_px,
                y: (d.y - g.y0) / g.cell_px,
                label: format!(
                    "{} {:.1}σ, {} s, {} keV  {}",
                    d.kind.as_str(),
                    d.sigma,
                    d.tbin,
                    d.band,
                    d.name.trim_start_matches("EXOD ")
                ),
                red: d.kind == Kind::Peak,
            }
        })
        .collect()
}
