//! Figures of the timing follow-up: a light curve with errors, background, GTI gaps and
//! Bayesian blocks; a periodogram with its detection levels; a folded profile (two cycles).
//!
//! The functions take plain slices, so they draw any curve (exod's or another tool's).

use std::path::Path;

use plotters::prelude::*;

use crate::plot::{err, fonts, PlotError};

/// Colours of the successive series (pn, MOS1, MOS2, combined…).
const COLOURS: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(20, 20, 20),
    RGBColor(148, 103, 189),
];
/// Shading of the time outside the GTIs.
const GAP_FILL: RGBColor = RGBColor(225, 225, 225);
/// Colour of the Bayesian blocks.
const BLOCK_COL: RGBColor = RGBColor(214, 39, 40);

/// One binned rate series of a [`RatePlot`].
pub struct RateSeries<'a> {
    /// Legend (e.g. "PN", "EPIC").
    pub label: &'a str,
    /// Bin centres (x axis units, e.g. s since the start).
    pub t: &'a [f64],
    /// Half width of the bins (same units).
    pub half_width: f64,
    /// Rate per bin.
    pub rate: &'a [f64],
    /// Lower 1σ error per bin (≥ 0).
    pub err_lo: &'a [f64],
    /// Upper 1σ error per bin (≥ 0).
    pub err_hi: &'a [f64],
    /// Scaled background rate per bin, drawn as a dashed step line when given.
    pub background: Option<&'a [f64]>,
}

/// A light-curve figure: rate series, time outside the GTIs, Bayesian blocks.
pub struct RatePlot<'a> {
    /// Caption.
    pub title: &'a str,
    /// Label of the time axis (say what 0 is).
    pub x_desc: &'a str,
    /// Label of the rate axis.
    pub y_desc: &'a str,
    /// The series, drawn in order.
    pub series: Vec<RateSeries<'a>>,
    /// Intervals outside the good time (shaded grey).
    pub gaps: &'a [(f64, f64)],
    /// Bayesian blocks: `edges` (n + 1) and the rate of each of the n blocks.
    pub blocks: Option<(&'a [f64], &'a [f64])>,
}

/// The x range of a rate plot: the bins of every series.
fn x_range(p: &RatePlot) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in &p.series {
        for &t in s.t {
            lo = lo.min(t - s.half_width);
            hi = hi.max(t + s.half_width);
        }
    }
    if !(lo < hi) {
        (0.0, 1.0)
    } else {
        (lo, hi)
    }
}

/// The y range of a rate plot: from the lowest error bar (or 0) to the highest, with headroom.
fn y_range(p: &RatePlot) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, f64::NEG_INFINITY);
    for s in &p.series {
        for i in 0..s.rate.len() {
            if s.rate[i].is_finite() {
                lo = lo.min(s.rate[i] - s.err_lo[i]);
                hi = hi.max(s.rate[i] + s.err_hi[i]);
            }
        }
    }
    if let Some((_, r)) = p.blocks {
        hi = r.iter().cloned().fold(hi, f64::max);
    }
    if !hi.is_finite() || hi <= lo {
        hi = lo + 1.0;
    }
    (lo, hi + 0.3 * (hi - lo))
}

/// Draw a [`RatePlot`] (1000 × 480 PNG), written atomically to `path`.
pub fn rate_curve_png(path: &Path, p: &RatePlot) -> Result<(), PlotError> {
    fonts();
    let tmp = path.with_extension("tmp.png");
    {
        let root = BitMapBackend::new(&tmp, (1000, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(path, e))?;
        let (x0, x1) = x_range(p);
        let (y0, y1) = y_range(p);
        let mut chart = ChartBuilder::on(&root)
            .caption(p.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| err(path, e))?;
        chart
            .configure_mesh()
            .x_desc(p.x_desc)
            .y_desc(p.y_desc)
            .light_line_style(RGBColor(238, 238, 238))
            .draw()
            .map_err(|e| err(path, e))?;
        let gaps = chart
            .draw_series(p.gaps.iter().map(|&(a, b)| {
                Rectangle::new([(a.max(x0), y0), (b.min(x1), y1)], GAP_FILL.filled())
            }))
            .map_err(|e| err(path, e))?;
        if !p.gaps.is_empty() {
            gaps.label("outside GTI")
                .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], GAP_FILL.filled()));
        }
        for (k, s) in p.series.iter().enumerate() {
            draw_series(&mut chart, path, s, COLOURS[k % COLOURS.len()])?;
        }
        if let Some((edges, rates)) = p.blocks {
            let mut pts = Vec::new();
            for (i, &r) in rates.iter().enumerate() {
                pts.push((edges[i], r));
                pts.push((edges[i + 1], r));
            }
            chart
                .draw_series(LineSeries::new(pts, BLOCK_COL.stroke_width(3)))
                .map_err(|e| err(path, e))?
                .label("Bayesian blocks")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], BLOCK_COL.stroke_width(3))
                });
        }
        legend(&mut chart, path)?;
        root.present().map_err(|e| err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

type Chart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// One series: error bars with a bin-width bar, and its dashed background.
fn draw_series<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    path: &Path,
    s: &RateSeries,
    col: RGBColor,
) -> Result<(), PlotError> {
    let n = s.rate.len().min(s.t.len());
    let ok = |i: &usize| s.rate[*i].is_finite();
    chart
        .draw_series((0..n).filter(ok).map(|i| {
            ErrorBar::new_vertical(
                s.t[i],
                s.rate[i] - s.err_lo[i],
                s.rate[i],
                s.rate[i] + s.err_hi[i],
                col.stroke_width(1),
                if n > 150 { 0 } else { 4 },
            )
        }))
        .map_err(|e| err(path, e))?
        .label(s.label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], col.stroke_width(2)));
    chart
        .draw_series((0..n).filter(ok).map(|i| {
            PathElement::new(
                vec![
                    (s.t[i] - s.half_width, s.rate[i]),
                    (s.t[i] + s.half_width, s.rate[i]),
                ],
                col.stroke_width(1),
            )
        }))
        .map_err(|e| err(path, e))?;
    if let Some(b) = s.background {
        let pts: Vec<(f64, f64)> = (0..n.min(b.len()))
            .filter(|&i| b[i].is_finite())
            .flat_map(|i| [(s.t[i] - s.half_width, b[i]), (s.t[i] + s.half_width, b[i])])
            .collect();
        chart
            .draw_series(DashedLineSeries::new(
                pts,
                4,
                3,
                col.mix(0.6).stroke_width(1),
            ))
            .map_err(|e| err(path, e))?
            .label(format!("{} background (scaled)", s.label))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], col.mix(0.6).stroke_width(1))
            });
    }
    Ok(())
}

fn legend<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, path: &Path) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|e| err(path, e))
}

/// A periodogram for [`periodogram_png`].
pub struct Periodogram<'a> {
    /// Caption.
    pub title: &'a str,
    /// Frequencies (Hz).
    pub frequency: &'a [f64],
    /// Power at each frequency.
    pub power: &'a [f64],
    /// Label of the power axis (e.g. "Z²₂").
    pub y_desc: &'a str,
    /// Horizontal detection levels: (legend, power), e.g. ("3σ (multi-trial)", 31.2).
    pub levels: &'a [(String, f64)],
    /// The best frequency, marked by a vertical line.
    pub best: Option<f64>,
    /// Logarithmic frequency axis.
    pub log_x: bool,
}

/// Draw a [`Periodogram`] (1000 × 440 PNG), written atomically to `path`. Long periodograms
/// are drawn as the maximum of each pixel column's frequencies, so no peak is lost.
pub fn periodogram_png(path: &Path, p: &Periodogram) -> Result<(), PlotError> {
    fonts();
    let tmp = path.with_extension("tmp.png");
    {
        let root = BitMapBackend::new(&tmp, (1000, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(path, e))?;
        let f0 = p.frequency.first().copied().unwrap_or(1e-3).max(1e-12);
        let f1 = p.frequency.last().copied().unwrap_or(1.0).max(f0 * 1.0001);
        let top = p
            .power
            .iter()
            .chain(p.levels.iter().map(|l| &l.1))
            .cloned()
            .filter(|v| v.is_finite())
            .fold(1.0, f64::max)
            * 1.25;
        let pts = column_maxima(p, 1600);
        let mut cb = ChartBuilder::on(&root);
        cb.caption(p.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64);
        if p.log_x {
            let mut chart = cb
                .build_cartesian_2d((f0..f1).log_scale(), 0.0..top)
                .map_err(|e| err(path, e))?;
            chart
                .configure_mesh()
                .x_desc("frequency (Hz)")
                .y_desc(p.y_desc)
                .x_label_formatter(&|x| format!("{x:.3e}"))
                .draw()
                .map_err(|e| err(path, e))?;
            draw_periodogram(&mut chart, path, p, pts, top)?;
        } else {
            let mut chart = cb
                .build_cartesian_2d(f0..f1, 0.0..top)
                .map_err(|e| err(path, e))?;
            chart
                .configure_mesh()
                .x_desc("frequency (Hz)")
                .y_desc(p.y_desc)
                .draw()
                .map_err(|e| err(path, e))?;
            draw_periodogram(&mut chart, path, p, pts, top)?;
        }
        root.present().map_err(|e| err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

/// The periodogram reduced to at most `2 n` points: the minimum and maximum of each of `n`
/// groups of consecutive frequencies (in order), so a narrow peak survives.
fn column_maxima(p: &Periodogram, n: usize) -> Vec<(f64, f64)> {
    let m = p.frequency.len().min(p.power.len());
    if m <= 2 * n {
        return (0..m).map(|i| (p.frequency[i], p.power[i])).collect();
    }
    let per = m.div_ceil(n);
    let mut out = Vec::with_capacity(2 * n);
    for c in (0..m).step_by(per) {
        let end = (c + per).min(m);
        let (mut imin, mut imax) = (c, c);
        for i in c..end {
            if p.power[i] < p.power[imin] {
                imin = i;
            }
            if p.power[i] > p.power[imax] {
                imax = i;
            }
        }
        let (a, b) = if imin < imax {
            (imin, imax)
        } else {
            (imax, imin)
        };
        out.push((p.frequency[a], p.power[a]));
        out.push((p.frequency[b], p.power[b]));
    }
    out
}

fn draw_periodogram<'a, 'b: 'a, X>(
    chart: &mut ChartContext<
        'a,
        BitMapBackend<'b>,
        Cartesian2d<X, plotters::coord::types::RangedCoordf64>,
    >,
    path: &Path,
    p: &Periodogram,
    pts: Vec<(f64, f64)>,
    top: f64,
) -> Result<(), PlotError>
where
    X: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    if let Some(b) = p.best {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(b, 0.0), (b, top)],
                COLOURS[2].mix(0.35).stroke_width(1),
            )))
            .map_err(|e| err(path, e))?
            .label(format!("best {b:.6e} Hz"))
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], COLOURS[2].stroke_width(2))
            });
    }
    let col = COLOURS[0];
    chart
        .draw_series(LineSeries::new(pts, col.stroke_width(1)))
        .map_err(|e| err(path, e))?
        .label(p.y_desc)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], col.stroke_width(2)));
    let (f0, f1) = (
        p.frequency.first().copied().unwrap_or(0.0),
        p.frequency.last().copied().unwrap_or(1.0),
    );
    for (k, (label, level)) in p.levels.iter().enumerate() {
        let c = [BLOCK_COL, COLOURS[4], COLOURS[1]][k % 3];
        chart
            .draw_series(DashedLineSeries::new(
                vec![(f0, *level), (f1, *level)],
                6,
                4,
                c.stroke_width(2),
            ))
            .map_err(|e| err(path, e))?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], c.stroke_width(2)));
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

/// Draw a folded profile over two cycles (rate with error bars per phase bin), written
/// atomically to `path` (900 × 420 PNG). `phase` are the bin centres in [0, 1).
pub fn profile_png(
    path: &Path,
    title: &str,
    y_desc: &str,
    phase: &[f64],
    rate: &[f64],
    error: &[f64],
) -> Result<(), PlotError> {
    let n = phase.len().min(rate.len()).min(error.len());
    let half = if n > 0 { 0.5 / n as f64 } else { 0.5 };
    let t: Vec<f64> = (0..2 * n).map(|i| phase[i % n] + (i / n) as f64).collect();
    let r: Vec<f64> = (0..2 * n).map(|i| rate[i % n]).collect();
    let e: Vec<f64> = (0..2 * n).map(|i| error[i % n]).collect();
    let plot = RatePlot {
        title,
        x_desc: "phase (cycles)",
        y_desc,
        series: vec![RateSeries {
            label: "folded",
            t: &t,
            half_width: half,
            rate: &r,
            err_lo: &e,
            err_hi: &e,
            background: None,
        }],
        gaps: &[],
        blocks: None,
    };
    rate_curve_png(path, &plot)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The number of pixels of colour `c` in the PNG at `path` (decoded independently).
    fn count_colour(path: &Path, c: RGBColor) -> usize {
        let img = image::open(path).unwrap().to_rgb8();
        img.pixels().filter(|p| p.0 == [c.0, c.1, c.2]).count()
    }

    #[test]
    fn periodogram_reduction_keeps_the_peak() {
        let f: Vec<f64> = (0..100_000).map(|i| 1e-3 + i as f64 * 1e-5).collect();
        let mut pw = vec![1.0; f.len()];
        pw[54_321] = 80.0;
        let p = Periodogram {
            title: "t",
            frequency: &f,
            power: &pw,
            y_desc: "Z²",
            levels: &[],
            best: None,
            log_x: false,
        };
        let pts = column_maxima(&p, 800);
        assert!(pts.len() <= 1600);
        assert!(pts.iter().any(|&(x, y)| y == 80.0 && x == f[54_321]));
        // frequencies stay in order
        assert!(pts.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn figures_are_written() {
        let dir = std::env::temp_dir().join(format!("exod-plot-timing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let t: Vec<f64> = (0..50).map(|i| i as f64 * 100.0 + 50.0).collect();
        let r: Vec<f64> = t.iter().map(|x| 1.0 + (x / 500.0).sin()).collect();
        let e = vec![0.2; 50];
        let edges = [0.0, 2500.0, 5000.0];
        let rates = [1.2, 0.8];
        let plot = RatePlot {
            title: "lc",
            x_desc: "s",
            y_desc: "ct/s",
            series: vec![RateSeries {
                label: "PN",
                t: &t,
                half_width: 50.0,
                rate: &r,
                err_lo: &e,
                err_hi: &e,
                background: Some(&e),
            }],
            gaps: &[(1000.0, 1400.0)],
            blocks: Some((&edges, &rates)),
        };
        let p1 = dir.join("lc.png");
        rate_curve_png(&p1, &plot).unwrap();
        let p2 = dir.join("prof.png");
        let ph: Vec<f64> = (0..8).map(|i| (i as f64 + 0.5) / 8.0).collect();
        profile_png(&p2, "profile", "ct/s", &ph, &r[..8], &e[..8]).unwrap();
        // the blocks (red), the gap (grey) and the series (blue) are drawn
        assert!(count_colour(&p1, BLOCK_COL) > 1_000);
        assert!(count_colour(&p1, GAP_FILL) > 20_000);
        assert!(count_colour(&p1, COLOURS[0]) > 500);
        assert!(count_colour(&p2, COLOURS[0]) > 200);
        assert_eq!(count_colour(&p2, BLOCK_COL), 0);
        // a path that cannot be written is an error naming it, not a panic
        let bad = dir.join("missing-dir").join("x.png");
        let e = rate_curve_png(&bad, &plot).unwrap_err();
        assert!(e.to_string().contains("missing-dir"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
