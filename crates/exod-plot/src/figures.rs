//! The figures of a search: `image.png` (0.2–12 keV counts per cell with the detections marked)
//! and `lc_<detid>.png` (each detection's light curve with μ and shaded BTIs).

use std::path::{Path, PathBuf};

use exod_core::band::Band;
use exod_core::observation::Observation;
use exod_core::search::{Kind, SearchResult};

use crate::plot::{image_png, lightcurve_png, Mark, PlotError};

/// PNG light curves of every detection and an image with the detections marked.
pub fn write_plots(
    out: &Path,
    ev: &Observation,
    res: &SearchResult,
) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = Vec::new();
    let g = ev.grid();
    let full = Band::parse("0.2-12").expect("valid");
    let mut img = vec![0f64; g.n_cells()];
    for i in 0..ev.len() {
        if full.contains(ev.energy()[i]) {
            img[ev.cell()[i] as usize] += 1.0;
        }
    }
    let marks: Vec<Mark> = res
        .detections
        .iter()
        .map(|d| Mark {
            x: (d.x - g.x0) / g.cell_px,
            y: (d.y - g.y0) / g.cell_px,
            label: format!("{} {:.1}σ {}s", d.kind.as_str(), d.sigma, d.tbin),
            red: d.kind == Kind::Peak,
        })
        .collect();
    let p = out.join("image.png");
    image_png(
        &p,
        &img,
        g.nx,
        g.ny,
        &format!(
            "0.2–12 keV counts in {}″ cells, {} detections",
            g.cell_arcsec,
            res.detections.len()
        ),
        &marks,
    )
    ?;
    written.push(p);
    for (d, l) in res.detections.iter().zip(&res.lightcurves) {
        let p = out.join(format!("lc_{}.png", d.detid));
        // seconds since the start of the run's frames
        let t: Vec<f64> = (0..l.n.len())
            .map(|k| (l.first_frame + k) as f64 * l.tbin)
            .collect();
        let n: Vec<f64> = l.n.iter().map(|&v| v as f64).collect();
        lightcurve_png(
            &p,
            &t,
            l.tbin,
            &n,
            &l.mu,
            &l.bti,
            d.frame.checked_sub(l.first_frame),
            &format!(
                "{} — {} {:.1}σ, {} keV, {} s bins",
                d.name,
                d.kind.as_str(),
                d.sigma,
                d.band,
                d.tbin
            ),
        )
        ?;
        written.push(p);
    }
    Ok(written)
}
