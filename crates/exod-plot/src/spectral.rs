//! The figure of a spectral fit, as XSPEC's `plot ldata delchi` (or `ldata ratio`): top panel
//! the data in counts s⁻¹ keV⁻¹ against energy on log axes, each group with its energy width
//! (x bar) and 1σ error (y bar), and one or more folded models as step lines (one colour each,
//! a legend with the model's name and statistic), optional model components dashed; bottom
//! panel the residuals of each model, (d − m)/σ or d/m, on a linear axis with its zero (or one)
//! line.
//!
//! The inputs are plain arrays (group energy bounds, rates, errors, model rates per group), so
//! any fitter's numbers can be drawn.

use std::path::Path;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

use crate::plot::{err, fonts, PlotError};

/// Colour of the data.
pub const DATA_COL: RGBColor = RGBColor(20, 20, 20);
/// Colours of the successive models.
pub const MODEL_COLOURS: [RGBColor; 5] = [
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
];

/// One folded model (or component) drawn as a step line over the groups.
pub struct ModelLine<'a> {
    /// Legend text: the model and its statistic, e.g. "tbabs*powerlaw  C = 512.3 / 480".
    pub label: &'a str,
    /// Model rate of each group (counts s⁻¹ keV⁻¹).
    pub rate: &'a [f64],
}

/// What the bottom panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Residuals {
    /// (data − model) / error (XSPEC `delchi`).
    DelChi,
    /// data / model with error / model (XSPEC `ratio`).
    Ratio,
}

/// A spectrum with its folded models, for [`spectrum_png`].
pub struct SpectrumPlot<'a> {
    /// Caption.
    pub title: &'a str,
    /// Lower energy of each group (keV).
    pub e_lo: &'a [f64],
    /// Upper energy of each group (keV).
    pub e_hi: &'a [f64],
    /// Data rate of each group (counts s⁻¹ keV⁻¹).
    pub rate: &'a [f64],
    /// 1σ error of each rate.
    pub rate_err: &'a [f64],
    /// Folded models (solid step lines, one colour each; residuals of each below).
    pub models: Vec<ModelLine<'a>>,
    /// Components, dashed, each in the colour of the model at the index given.
    pub components: Vec<(usize, ModelLine<'a>)>,
    /// Bottom panel.
    pub residuals: Residuals,
}

fn check(p: &SpectrumPlot, path: &Path) -> Result<usize, PlotError> {
    let n = p.e_lo.len();
    let same = p.e_hi.len() == n && p.rate.len() == n && p.rate_err.len() == n;
    let models_ok = p
        .models
        .iter()
        .chain(p.components.iter().map(|c| &c.1))
        .all(|m| m.rate.len() == n);
    if n == 0 || !same || !models_ok {
        return Err(err(
            path,
            format!("{n} groups: expected e_lo, e_hi, rate, rate_err and every model of the same non-zero length"),
        ));
    }
    if (0..n).any(|i| !(p.e_lo[i] > 0.0 && p.e_hi[i] > p.e_lo[i])) {
        return Err(err(path, "group energies: expected 0 < e_lo < e_hi (keV)"));
    }
    Ok(n)
}

/// The y range of the top panel (log): the positive data and model values, with margins.
fn y_range(p: &SpectrumPlot) -> (f64, f64) {
    let mut vals: Vec<f64> = vec![];
    for i in 0..p.rate.len() {
        if p.rate[i] > 0.0 {
            vals.push((p.rate[i] - p.rate_err[i]).max(p.rate[i] * 0.1));
            vals.push(p.rate[i] + p.rate_err[i]);
        }
    }
    for m in &p.models {
        vals.extend(m.rate.iter().filter(|v| **v > 0.0));
    }
    let lo = vals
        .iter()
        .cloned()
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let hi = vals
        .iter()
        .cloned()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if !(lo.is_finite() && hi > lo) {
        return (1e-3, 1.0);
    }
    (lo / 1.5, hi * 1.5)
}

/// The residual of group `i` for model `m` and its error.
fn residual(p: &SpectrumPlot, m: &[f64], i: usize) -> Option<(f64, f64)> {
    let (d, s) = (p.rate[i], p.rate_err[i]);
    match p.residuals {
        Residuals::DelChi => (s > 0.0).then(|| ((d - m[i]) / s, 1.0)),
        Residuals::Ratio => (m[i] > 0.0).then(|| (d / m[i], s / m[i])),
    }
}

fn residual_range(p: &SpectrumPlot) -> (f64, f64) {
    let centre = if p.residuals == Residuals::Ratio {
        1.0
    } else {
        0.0
    };
    let mut span: f64 = if p.residuals == Residuals::Ratio {
        0.5
    } else {
        3.0
    };
    for m in &p.models {
        for i in 0..p.rate.len() {
            if let Some((r, e)) = residual(p, m.rate, i) {
                if (r + e).is_finite() {
                    span = span.max((r - centre).abs() + e);
                }
            }
        }
    }
    (centre - 1.1 * span, centre + 1.1 * span)
}

type LogChart<'a, 'b, Y> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<LogCoord<f64>, Y>>;

/// A step line over the groups.
fn steps(p: &SpectrumPlot, v: &[f64]) -> Vec<(f64, f64)> {
    (0..v.len())
        .filter(|&i| v[i] > 0.0 && v[i].is_finite())
        .flat_map(|i| [(p.e_lo[i], v[i]), (p.e_hi[i], v[i])])
        .collect()
}

/// The data: x bars (group width) and y bars (1σ), black.
fn draw_data<'a, 'b: 'a, Y>(
    chart: &mut LogChart<'a, 'b, Y>,
    path: &Path,
    pts: Vec<(f64, f64, f64, f64, f64)>,
) -> Result<(), PlotError>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let st = DATA_COL.stroke_width(1);
    chart
        .draw_series(
            pts.iter()
                .map(|&(lo, hi, y, _, _)| PathElement::new(vec![(lo, y), (hi, y)], st)),
        )
        .map_err(|e| err(path, e))?
        .label("data")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], st));
    chart
        .draw_series(pts.iter().map(|&(lo, hi, _, y0, y1)| {
            let xc = (lo * hi).sqrt();
            PathElement::new(vec![(xc, y0), (xc, y1)], st)
        }))
        .map_err(|e| err(path, e))?;
    Ok(())
}

fn top_panel(
    area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    p: &SpectrumPlot,
    path: &Path,
    x: (f64, f64),
) -> Result<(), PlotError> {
    let (y0, y1) = y_range(p);
    let mut chart = ChartBuilder::on(area)
        .caption(p.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(10)
        .y_label_area_size(80)
        .build_cartesian_2d((x.0..x.1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| err(path, e))?;
    chart
        .configure_mesh()
        .y_desc("counts s^-1 keV^-1")
        .x_labels(0)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .light_line_style(RGBColor(238, 238, 238))
        .draw()
        .map_err(|e| err(path, e))?;
    let pts: Vec<(f64, f64, f64, f64, f64)> = (0..p.rate.len())
        .filter(|&i| p.rate[i] > 0.0)
        .map(|i| {
            let lo = (p.rate[i] - p.rate_err[i]).max(y0);
            (
                p.e_lo[i],
                p.e_hi[i],
                p.rate[i],
                lo,
                (p.rate[i] + p.rate_err[i]).min(y1),
            )
        })
        .collect();
    draw_data(&mut chart, path, pts)?;
    for (k, m) in p.models.iter().enumerate() {
        let col = MODEL_COLOURS[k % MODEL_COLOURS.len()];
        chart
            .draw_series(LineSeries::new(steps(p, m.rate), col.stroke_width(2)))
            .map_err(|e| err(path, e))?
            .label(m.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], col.stroke_width(2)));
    }
    for (k, c) in &p.components {
        let col = MODEL_COLOURS[k % MODEL_COLOURS.len()];
        chart
            .draw_series(DashedLineSeries::new(
                steps(p, c.rate),
                5,
                4,
                col.mix(0.8).stroke_width(1),
            ))
            .map_err(|e| err(path, e))?
            .label(c.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], col.mix(0.8).stroke_width(1))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|e| err(path, e))
}

fn bottom_panel(
    area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    p: &SpectrumPlot,
    path: &Path,
    x: (f64, f64),
) -> Result<(), PlotError> {
    let (r0, r1) = residual_range(p);
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .margin_top(0)
        .x_label_area_size(44)
        .y_label_area_size(80)
        .build_cartesian_2d((x.0..x.1).log_scale(), r0..r1)
        .map_err(|e| err(path, e))?;
    let desc = match p.residuals {
        Residuals::DelChi => "(data-model)/error",
        Residuals::Ratio => "ratio",
    };
    chart
        .configure_mesh()
        .x_desc("Energy (keV)")
        .y_desc(desc)
        .x_label_formatter(&|v| format!("{v}"))
        .light_line_style(RGBColor(238, 238, 238))
        .draw()
        .map_err(|e| err(path, e))?;
    let centre = if p.residuals == Residuals::Ratio {
        1.0
    } else {
        0.0
    };
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(x.0, centre), (x.1, centre)],
            RGBColor(120, 120, 120).stroke_width(1),
        )))
        .map_err(|e| err(path, e))?;
    for (k, m) in p.models.iter().enumerate() {
        let col = MODEL_COLOURS[k % MODEL_COLOURS.len()];
        let st = col.stroke_width(1);
        let pts: Vec<(f64, f64, f64, f64)> = (0..p.rate.len())
            .filter_map(|i| residual(p, m.rate, i).map(|(r, e)| (p.e_lo[i], p.e_hi[i], r, e)))
            .filter(|v| v.2.is_finite() && v.3.is_finite())
            .collect();
        chart
            .draw_series(
                pts.iter()
                    .map(|&(lo, hi, r, _)| PathElement::new(vec![(lo, r), (hi, r)], st)),
            )
            .map_err(|e| err(path, e))?;
        chart
            .draw_series(pts.iter().map(|&(lo, hi, r, e)| {
                let xc = (lo * hi).sqrt();
                PathElement::new(vec![(xc, (r - e).max(r0)), (xc, (r + e).min(r1))], st)
            }))
            .map_err(|e| err(path, e))?;
    }
    Ok(())
}

/// Draw a [`SpectrumPlot`] (1000 × 760 PNG: data and models above, residuals below), written
/// atomically to `path`.
pub fn spectrum_png(path: &Path, p: &SpectrumPlot) -> Result<(), PlotError> {
    check(p, path)?;
    fonts();
    let x0 = p.e_lo.iter().cloned().fold(f64::INFINITY, f64::min) / 1.05;
    let x1 = p.e_hi.iter().cloned().fold(0.0, f64::max) * 1.05;
    let tmp = path.with_extension("tmp.png");
    {
        let root = BitMapBackend::new(&tmp, (1000, 760)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(path, e))?;
        let (top, bottom) = root.split_vertically(530);
        top_panel(&top, p, path, (x0, x1))?;
        bottom_panel(&bottom, p, path, (x0, x1))?;
        root.present().map_err(|e| err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixels of colour `c` in rows [r0, r1) of the PNG (decoded independently).
    fn count(path: &Path, c: RGBColor, rows: (u32, u32)) -> usize {
        let img = image::open(path).unwrap().to_rgb8();
        img.enumerate_pixels()
            .filter(|(_, y, px)| *y >= rows.0 && *y < rows.1 && px.0 == [c.0, c.1, c.2])
            .count()
    }

    fn groups() -> (Vec<f64>, Vec<f64>) {
        let edges: Vec<f64> = (0..=40)
            .map(|i| 0.3 * (30.0f64).powf(i as f64 / 40.0))
            .collect();
        (edges[..40].to_vec(), edges[1..].to_vec())
    }

    #[test]
    fn data_models_and_residuals_are_drawn_in_their_panels() {
        let dir = std::env::temp_dir().join(format!("exod-plot-spectral-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (lo, hi) = groups();
        let model: Vec<f64> = lo
            .iter()
            .zip(&hi)
            .map(|(a, b)| 0.5 * ((a * b) as f64).sqrt().powf(-1.7))
            .collect();
        let flat: Vec<f64> = model.iter().map(|m| m * 1.3).collect();
        let rate: Vec<f64> = model
            .iter()
            .enumerate()
            .map(|(i, m)| m * (1.0 + 0.1 * ((i % 3) as f64 - 1.0)))
            .collect();
        let err: Vec<f64> = rate.iter().map(|r| 0.1 * r).collect();
        let comp: Vec<f64> = model.iter().map(|m| 0.5 * m).collect();
        let plot = SpectrumPlot {
            title: "PN: tbabs*powerlaw",
            e_lo: &lo,
            e_hi: &hi,
            rate: &rate,
            rate_err: &err,
            models: vec![
                ModelLine {
                    label: "tbabs*powerlaw  C = 40.1 / 38",
                    rate: &model,
                },
                ModelLine {
                    label: "tbabs*bbody  C = 80.5 / 38",
                    rate: &flat,
                },
            ],
            components: vec![(
                0,
                ModelLine {
                    label: "powerlaw",
                    rate: &comp,
                },
            )],
            residuals: Residuals::DelChi,
        };
        let p = dir.join("spec.png");
        spectrum_png(&p, &plot).unwrap();
        let (top, bottom) = ((0, 530), (530, 760));
        // data (black), both models in the top panel; residuals of both below
        assert!(count(&p, DATA_COL, top) > 300);
        assert!(count(&p, MODEL_COLOURS[0], top) > 500);
        assert!(count(&p, MODEL_COLOURS[1], top) > 500);
        assert!(count(&p, MODEL_COLOURS[0], bottom) > 100);
        assert!(count(&p, MODEL_COLOURS[1], bottom) > 100);
        // the ratio panel of a perfect model sits on 1: model-0 residual pixels in a narrow band
        let exact = SpectrumPlot {
            rate: &model,
            models: vec![ModelLine {
                label: "m",
                rate: &model,
            }],
            components: vec![],
            residuals: Residuals::Ratio,
            ..plot
        };
        let q = dir.join("ratio.png");
        spectrum_png(&q, &exact).unwrap();
        assert!(count(&q, MODEL_COLOURS[0], bottom) > 100);
        assert_eq!(count(&q, MODEL_COLOURS[1], (0, 760)), 0);
        // mismatched arrays are an error, not a panic
        let bad = SpectrumPlot {
            rate: &model[..3],
            ..exact
        };
        assert!(spectrum_png(&dir.join("bad.png"), &bad).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
