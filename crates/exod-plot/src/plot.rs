//! PNG plots with an embedded font (plotters + ab_glyph + DejaVu: no system library):
//! sky images with marked positions, and light curves with μ and shaded BTIs.

use std::path::Path;
use std::sync::Once;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// A plotting error, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot draw the plot: {msg}")]
pub struct PlotError {
    /// The file being drawn.
    pub path: String,
    /// The drawing backend's message.
    pub msg: String,
}

pub(crate) fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

pub(crate) fn err(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError {
        path: path.display().to_string(),
        msg: e.to_string(),
    }
}

/// Viridis-like colour map on [0, 1].
pub(crate) fn cmap(v: f64) -> RGBColor {
    let stops = [
        (68, 1, 84),
        (59, 82, 139),
        (33, 145, 140),
        (94, 201, 98),
        (253, 231, 37),
    ];
    let v = v.clamp(0.0, 1.0) * (stops.len() - 1) as f64;
    let i = (v.floor() as usize).min(stops.len() - 2);
    let f = v - i as f64;
    let lerp = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    RGBColor(
        lerp(stops[i].0, stops[i + 1].0),
        lerp(stops[i].1, stops[i + 1].1),
        lerp(stops[i].2, stops[i + 1].2),
    )
}

/// A marker on an image: cell coordinates, label, colour (true = red, false = cyan).
pub struct Mark {
    /// X in cell units from the image's left edge (cell column `ix` spans `[ix, ix + 1)`).
    pub x: f64,
    /// Y in cell units from the image's bottom edge (cell row `iy` spans `[iy, iy + 1)`).
    pub y: f64,
    /// Text drawn next to the circle.
    pub label: String,
    /// Red circle when true (peaks in [`crate::figures::write_plots`]), cyan when false.
    pub red: bool,
}

/// Draw an `nx × ny` counts image (row-major, index y·nx + x; x increasing to the right, y up) on
/// a log scale, with circles and labels at `marks`, written atomically to `path`.
pub fn image_png(
    path: &Path,
    counts: &[f64],
    nx: usize,
    ny: usize,
    title: &str,
    marks: &[Mark],
) -> Result<(), PlotError> {
    fonts();
    let tmp = path.with_extension("tmp.png");
    {
        let scale = (900 / nx.max(ny)).clamp(1, 12) as u32;
        let (w, h) = (nx as u32 * scale + 80, ny as u32 * scale + 70);
        let root = BitMapBackend::new(&tmp, (w, h)).into_drawing_area();
        root.fill(&BLACK).map_err(|e| err(path, e))?;
        root.draw(&Text::new(
            title.to_string(),
            (10, 8),
            ("sans-serif", 18).into_font().color(&WHITE),
        ))
        .map_err(|e| err(path, e))?;
        let vmax = counts.iter().cloned().fold(0.0, f64::max).max(1.0);
        let (ox, oy) = (40i32, 40i32);
        for j in 0..ny {
            for i in 0..nx {
                let c = counts[j * nx + i];
                if c <= 0.0 {
                    continue;
                }
                let v = (1.0 + c).ln() / (1.0 + vmax).ln();
                let x0 = ox + (i as u32 * scale) as i32;
                let y0 = oy + ((ny - 1 - j) as u32 * scale) as i32;
                root.draw(&Rectangle::new(
                    [(x0, y0), (x0 + scale as i32, y0 + scale as i32)],
                    cmap(v).filled(),
                ))
                .map_err(|e| err(path, e))?;
            }
        }
        for m in marks {
            let px = ox + (m.x * scale as f64) as i32;
            let py = oy + ((ny as f64 - m.y) * scale as f64) as i32;
            let col = if m.red { RED } else { CYAN };
            root.draw(&Circle::new(
                (px, py),
                (2 * scale as i32).max(8),
                col.stroke_width(2),
            ))
            .map_err(|e| err(path, e))?;
            root.draw(&Text::new(
                m.label.clone(),
                (px + 10, py - 16),
                ("sans-serif", 13).into_font().color(&col),
            ))
            .map_err(|e| err(path, e))?;
        }
        root.present().map_err(|e| err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

/// A light curve: bin left edges `t` (s from the start), observed counts `n`, expectation `mu`,
/// BTI flags, an optional highlighted bin, written atomically to `path`.
#[allow(clippy::too_many_arguments)]
pub fn lightcurve_png(
    path: &Path,
    t: &[f64],
    tbin: f64,
    n: &[f64],
    mu: &[f64],
    bti: &[bool],
    highlight: Option<usize>,
    title: &str,
) -> Result<(), PlotError> {
    curve_png(
        path,
        &Curve {
            t,
            tbin,
            observed: (n, "N (observed)"),
            expected: (mu, "μ (expected)"),
            bti,
            highlight,
            title,
            x_desc: "time since start (s)",
        },
    )
}

/// Two step series over the same bins (grey histogram, and a blue line), BTIs shaded, one bin
/// highlighted.
#[allow(clippy::too_many_arguments)]
pub fn series_png(
    path: &Path,
    t: &[f64],
    tbin: f64,
    a: (&[f64], &str),
    b: (&[f64], &str),
    bti: &[bool],
    highlight: Option<usize>,
    title: &str,
) -> Result<(), PlotError> {
    curve_png(
        path,
        &Curve {
            t,
            tbin,
            observed: a,
            expected: b,
            bti,
            highlight,
            title,
            x_desc: "time since start (s)",
        },
    )
}

/// A binned curve for [`curve_png`].
pub struct Curve<'a> {
    /// Left edges of the bins (the x axis, e.g. s since the observation start).
    pub t: &'a [f64],
    /// Bin length (s).
    pub tbin: f64,
    /// Observed values per bin and their legend (drawn as a grey histogram).
    pub observed: (&'a [f64], &'a str),
    /// Expected values per bin and their legend (drawn as a thick blue line, on top).
    pub expected: (&'a [f64], &'a str),
    /// Bins shaded as bad time intervals.
    pub bti: &'a [bool],
    /// A bin shaded in yellow (the most significant one).
    pub highlight: Option<usize>,
    /// Caption.
    pub title: &'a str,
    /// Label of the time axis (say what 0 is).
    pub x_desc: &'a str,
}

/// Fill of the observed histogram.
const HIST_FILL: RGBColor = RGBColor(205, 205, 205);
/// Shading of bad time intervals.
const BTI_FILL: RGBColor = RGBColor(255, 210, 210);
/// Shading of the highlighted bin.
const HI_FILL: RGBColor = RGBColor(255, 226, 110);
/// Colour of the expected line.
const MU_COL: RGBColor = RGBColor(20, 80, 220);

/// A chart of a [`Curve`]: time on x, counts on a linear or logarithmic `Y`.
type CurveChart<'a, 'b, Y> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, Y>>;

/// The y axis of a [`Curve`]'s chart.
struct YAxis {
    /// Logarithmic (else linear from 0).
    log: bool,
    /// Bottom of the axis (0 when linear): values are drawn no lower.
    floor: f64,
    /// Top of the axis, with headroom for the legend.
    y_max: f64,
    /// Description of the axis.
    y_desc: String,
}

impl YAxis {
    /// Log when the expected values are all below 25 % of the largest value, else linear.
    fn of(c: &Curve) -> YAxis {
        let (n, mu, tbin) = (c.observed.0, c.expected.0, c.tbin);
        let data_max = n.iter().chain(mu.iter()).cloned().fold(1.0, f64::max);
        let mu_max = mu.iter().cloned().fold(0.0, f64::max);
        let mu_min_pos = mu
            .iter()
            .cloned()
            .filter(|&m| m > 0.0)
            .fold(f64::INFINITY, f64::min);
        let log = mu_max > 0.0 && mu_max < 0.25 * data_max;
        let y_desc = if log {
            format!("counts per {tbin} s bin (log scale)")
        } else {
            format!("counts per {tbin} s bin")
        };
        let floor = if log {
            (mu_min_pos.min(0.5) / 2.0).max(1e-4)
        } else {
            0.0
        };
        let y_max = if log { data_max * 8.0 } else { data_max * 1.45 };
        YAxis {
            log,
            floor,
            y_max,
            y_desc,
        }
    }

    /// A value raised to the floor of the axis.
    fn clamp(&self, y: f64) -> f64 {
        y.max(self.floor)
    }

    /// The step line of per-bin values `v` over the bins of `c`.
    fn steps(&self, c: &Curve, v: &[f64]) -> Vec<(f64, f64)> {
        let (t, tbin) = (c.t, c.tbin);
        let mut pts = Vec::with_capacity(2 * v.len());
        for (i, &y) in v.iter().enumerate() {
            pts.push((t[i], self.clamp(y)));
            pts.push((t[i] + tbin, self.clamp(y)));
        }
        pts
    }
}

/// Draw a [`Curve`], written atomically to `path`. The y axis is logarithmic when the expected
/// values would hug the axis of a linear one (all below 25 % of the largest value): bins of 0
/// counts then sit on its floor. The legend sits in headroom above the data.
pub fn curve_png(path: &Path, c: &Curve) -> Result<(), PlotError> {
    let (t, tbin) = (c.t, c.tbin);
    fonts();
    let tmp = path.with_extension("tmp.png");
    {
        let root = BitMapBackend::new(&tmp, (1000, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(path, e))?;
        let t_min = t.first().copied().unwrap_or(0.0);
        let t_max = t.last().map(|x| x + tbin).unwrap_or(1.0).max(t_min + tbin);
        let ax = YAxis::of(c);
        let mut cb = ChartBuilder::on(&root);
        cb.caption(c.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64);
        if ax.log {
            let mut chart = cb
                .build_cartesian_2d(t_min..t_max, (ax.floor..ax.y_max).log_scale())
                .map_err(|e| err(path, e))?;
            draw_curve(&mut chart, path, c, &ax)?;
        } else {
            let mut chart = cb
                .build_cartesian_2d(t_min..t_max, 0.0..ax.y_max)
                .map_err(|e| err(path, e))?;
            draw_curve(&mut chart, path, c, &ax)?;
        }
        root.present().map_err(|e| err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

/// The mesh, the shaded bins, the two series and the legend of a [`Curve`] on `chart`.
fn draw_curve<'a, 'b: 'a, Y>(
    chart: &mut CurveChart<'a, 'b, Y>,
    path: &Path,
    c: &Curve,
    ax: &YAxis,
) -> Result<(), PlotError>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(c.x_desc)
        .y_desc(ax.y_desc.as_str())
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| {
            let s = format!("{y:.3}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        })
        .light_line_style(RGBColor(238, 238, 238))
        .draw()
        .map_err(|e| err(path, e))?;
    draw_shading(chart, path, c, ax)?;
    draw_values(chart, path, c, ax)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|e| err(path, e))?;
    Ok(())
}

/// Full-height shading of the BTIs, then of the highlighted bin, each with its legend entry.
fn draw_shading<'a, 'b: 'a, Y>(
    chart: &mut CurveChart<'a, 'b, Y>,
    path: &Path,
    c: &Curve,
    ax: &YAxis,
) -> Result<(), PlotError>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (t, tbin, floor, y_max) = (c.t, c.tbin, ax.floor, ax.y_max);
    let shaded = chart
        .draw_series(
            t.iter()
                .zip(c.bti)
                .filter(|(_, b)| **b)
                .map(|(&x, _)| Rectangle::new([(x, floor), (x + tbin, y_max)], BTI_FILL.filled())),
        )
        .map_err(|e| err(path, e))?;
    if c.bti.iter().any(|&b| b) {
        shaded
            .label("BTI (flaring)")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], BTI_FILL.filled()));
    }
    if let Some(h) = c.highlight.filter(|&h| h < t.len()) {
        let x = t[h];
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x, floor), (x + tbin, y_max)],
                HI_FILL.filled(),
            )))
            .map_err(|e| err(path, e))?
            .label("most significant bin")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], HI_FILL.filled()));
    }
    Ok(())
}

/// The observed values as a grey histogram outlined in black, then the expected as a thick
/// blue step line, each with its legend entry.
fn draw_values<'a, 'b: 'a, Y>(
    chart: &mut CurveChart<'a, 'b, Y>,
    path: &Path,
    c: &Curve,
    ax: &YAxis,
) -> Result<(), PlotError>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (t, tbin, floor) = (c.t, c.tbin, ax.floor);
    let ((n, la), (mu, lb)) = (c.observed, c.expected);
    chart
        .draw_series(
            n.iter()
                .enumerate()
                .filter(|(_, &y)| ax.clamp(y) > floor)
                .map(|(i, &y)| {
                    Rectangle::new([(t[i], floor), (t[i] + tbin, y)], HIST_FILL.filled())
                }),
        )
        .map_err(|e| err(path, e))?;
    chart
        .draw_series(LineSeries::new(ax.steps(c, n), BLACK.stroke_width(1)))
        .map_err(|e| err(path, e))?
        .label(la)
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], HIST_FILL.filled()));
    chart
        .draw_series(LineSeries::new(ax.steps(c, mu), MU_COL.stroke_width(3)))
        .map_err(|e| err(path, e))?
        .label(lb)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], MU_COL.stroke_width(3)));
    Ok(())
}

/// Colours of the successive series of [`curves_png`].
const COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

/// Several (x, y) curves with markers on one chart (log x when `log_x`), y in [0, 1.05].
pub fn curves_png(
    path: &Path,
    series: &[(String, Vec<(f64, f64)>)],
    x_desc: &str,
    y_desc: &str,
    title: &str,
    log_x: bool,
) -> Result<(), PlotError> {
    fonts();
    let tmp = path.with_extension("tmp.png");
    {
        let root = BitMapBackend::new(&tmp, (900, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(path, e))?;
        let (xmin, xmax) = x_range(series);
        let mut cb = ChartBuilder::on(&root);
        cb.caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(55);
        let descs = (x_desc, y_desc);
        if log_x {
            let mut chart = cb
                .build_cartesian_2d((xmin..xmax).log_scale(), 0.0..1.05)
                .map_err(|e| err(path, e))?;
            draw_curves(&mut chart, path, series, descs)?;
        } else {
            let mut chart = cb
                .build_cartesian_2d(xmin..xmax, 0.0..1.05)
                .map_err(|e| err(path, e))?;
            draw_curves(&mut chart, path, series, descs)?;
        }
        root.present().map_err(|e| err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

/// The x range of [`curves_png`]: the positive x values widened by 0.8 and 1.25, else 0.1–100.
fn x_range(series: &[(String, Vec<(f64, f64)>)]) -> (f64, f64) {
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0))
        .filter(|x| *x > 0.0)
        .collect();
    let (xmin, xmax) = (
        xs.iter().cloned().fold(f64::INFINITY, f64::min),
        xs.iter().cloned().fold(0.0, f64::max),
    );
    if xmin.is_finite() && xmax > xmin {
        (xmin * 0.8, xmax * 1.25)
    } else {
        (0.1, 100.0)
    }
}

/// The mesh (with the axis descriptions `(x, y)`), each series as a line with markers, and the
/// legend of [`curves_png`] on `chart`.
fn draw_curves<'a, 'b: 'a, X>(
    chart: &mut ChartContext<'a, BitMapBackend<'b>, Cartesian2d<X, RangedCoordf64>>,
    path: &Path,
    series: &[(String, Vec<(f64, f64)>)],
    (x_desc, y_desc): (&str, &str),
) -> Result<(), PlotError>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()
        .map_err(|e| err(path, e))?;
    for (k, (label, pts)) in series.iter().enumerate() {
        let col = COLOURS[k % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(pts.iter().cloned(), col.stroke_width(2)))
            .map_err(|e| err(path, e))?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], col.stroke_width(2)));
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 4, col.filled())))
            .map_err(|e| err(path, e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(path, e))?;
    Ok(())
}
