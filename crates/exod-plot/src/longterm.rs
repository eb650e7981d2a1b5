//! The long-term light curve of a source (STONKS-like, Quintin et al. 2024, Fig. 5): its flux in
//! each observation against time — detections as points with their 1σ error bars, upper limits
//! as downward arrows from the limit — on a logarithmic flux axis, with the new observation in
//! another colour and the variability figure in the caption.

use std::path::Path;

use plotters::prelude::*;

use crate::plot::{err, fonts, PlotError};

/// Colour of the earlier epochs.
const EARLIER: RGBColor = RGBColor(31, 119, 180);
/// Colour of the highlighted (new) epoch.
const NEW: RGBColor = RGBColor(214, 39, 40);

/// One epoch of a [`LongTermPlot`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongTermPoint {
    /// Time (MJD).
    pub mjd: f64,
    /// Flux if detected, else the upper limit (> 0).
    pub value: f64,
    /// Lower and upper bounds of the 1σ interval (detections only).
    pub interval: Option<(f64, f64)>,
    /// Drawn in the highlight colour (the new observation).
    pub highlight: bool,
}

/// A long-term light curve.
pub struct LongTermPlot<'a> {
    /// Caption (source name, variability figure).
    pub title: &'a str,
    /// Label of the flux axis (band and units).
    pub y_desc: &'a str,
    /// The epochs.
    pub points: &'a [LongTermPoint],
}

fn ranges(points: &[LongTermPoint]) -> ((f64, f64), (f64, f64)) {
    let (mut t0, mut t1) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut f0, mut f1) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in points
        .iter()
        .filter(|p| p.value > 0.0 && p.value.is_finite())
    {
        t0 = t0.min(p.mjd);
        t1 = t1.max(p.mjd);
        let (lo, hi) = p.interval.unwrap_or((p.value / 3.0, p.value));
        f0 = f0.min(lo.max(p.value / 10.0));
        f1 = f1.max(hi);
    }
    if !(t0.is_finite() && f0.is_finite()) {
        return ((0.0, 1.0), (1e-16, 1e-12));
    }
    let pad = ((t1 - t0) * 0.08).max(5.0);
    ((t0 - pad, t1 + pad), (f0 / 2.0, f1 * 2.0))
}

/// Draw a [`LongTermPlot`] (900 × 460 PNG), written atomically to `path`.
pub fn longterm_png(path: &Path, p: &LongTermPlot) -> Result<(), PlotError> {
    fonts();
    let tmp = path.with_extension("tmp.png");
    {
        let root = BitMapBackend::new(&tmp, (900, 460)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(path, e))?;
        let ((t0, t1), (f0, f1)) = ranges(p.points);
        let mut chart = ChartBuilder::on(&root)
            .caption(p.title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(t0..t1, (f0..f1).log_scale())
            .map_err(|e| err(path, e))?;
        chart
            .configure_mesh()
            .x_desc("time (MJD)")
            .y_desc(p.y_desc)
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .light_line_style(RGBColor(238, 238, 238))
            .draw()
            .map_err(|e| err(path, e))?;
        for pt in p
            .points
            .iter()
            .filter(|q| q.value > 0.0 && q.value.is_finite())
        {
            let col = if pt.highlight { NEW } else { EARLIER };
            match pt.interval {
                Some((lo, hi)) => {
                    chart
                        .draw_series(std::iter::once(ErrorBar::new_vertical(
                            pt.mjd,
                            lo.max(f0),
                            pt.value,
                            hi,
                            col.stroke_width(2),
                            8,
                        )))
                        .map_err(|e| err(path, e))?;
                    chart
                        .draw_series(std::iter::once(Circle::new(
                            (pt.mjd, pt.value),
                            5,
                            col.filled(),
                        )))
                        .map_err(|e| err(path, e))?;
                }
                None => {
                    let foot = (pt.value / 2.5).max(f0);
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(pt.mjd, pt.value), (pt.mjd, foot)],
                            col.stroke_width(2),
                        )))
                        .map_err(|e| err(path, e))?;
                    chart
                        .draw_series(std::iter::once(TriangleMarker::new(
                            (pt.mjd, foot),
                            -7,
                            col.filled(),
                        )))
                        .map_err(|e| err(path, e))?;
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![
                                (pt.mjd - (t1 - t0) * 0.01, pt.value),
                                (pt.mjd + (t1 - t0) * 0.01, pt.value),
                            ],
                            col.stroke_width(2),
                        )))
                        .map_err(|e| err(path, e))?;
                }
            }
        }
        root.present().map_err(|e| err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_detections_and_limits_in_their_colours() {
        let dir = std::env::temp_dir().join(format!("exod-plot-longterm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let png = dir.join("lt.png");
        let pts = [
            LongTermPoint {
                mjd: 53134.0,
                value: 1e-14,
                interval: Some((8e-15, 1.2e-14)),
                highlight: false,
            },
            LongTermPoint {
                mjd: 53173.0,
                value: 1e-13,
                interval: Some((9e-14, 1.1e-13)),
                highlight: true,
            },
            LongTermPoint {
                mjd: 53200.0,
                value: 3e-15,
                interval: None,
                highlight: false,
            },
        ];
        let p = LongTermPlot {
            title: "test",
            y_desc: "F (erg/cm2/s)",
            points: &pts,
        };
        longterm_png(&png, &p).unwrap();
        let img = image_pixels(&png);
        let has = |c: RGBColor| img.iter().any(|&(r, g, b)| (r, g, b) == (c.0, c.1, c.2));
        assert!(has(NEW) && has(EARLIER));
        // no points at all still draws an empty frame rather than failing
        longterm_png(
            &png,
            &LongTermPlot {
                title: "empty",
                y_desc: "F",
                points: &[],
            },
        )
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn image_pixels(p: &Path) -> Vec<(u8, u8, u8)> {
        let img = image::open(p).unwrap().to_rgb8();
        img.pixels().map(|q| (q[0], q[1], q[2])).collect()
    }
}
