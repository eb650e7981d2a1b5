//! The X-ray main sequence (Rodriguez 2024, "From Active Stars to Black Holes: A Discovery Tool
//! for Galactic X-Ray Sources", arXiv:2408.16053, Figs. 1–2): x = Gaia BP − RP colour (mag),
//! y = log₁₀(F_X / F_opt). Coronally active stars lie on a "main sequence" at low F_X/F_opt
//! (lower right); accreting compact-object binaries (CVs, X-ray binaries) sit above it (upper
//! left), separated by the paper's "empirical cut" and "theoretical cut".
//!
//! [`xms_png`] draws the diagram: an optional background population in grey, the cut lines the
//! caller passes as polylines (solid or dotted, each named in the legend: the numbers of the
//! cuts belong to the science code, not to the plot), and the source as a large coloured
//! marker with its error bars and faint guide lines to both axes. The PNG is made in memory
//! and returned as bytes (same plotting crate, embedded DejaVu fonts and PNG encoder as the
//! other figures: the bytes depend only on the inputs). [`xms_layout`] gives the axis ranges
//! and the plotting area's pixels, so a caller (or a test) can map a point to its pixel.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::{err, fonts, PlotError};

/// Colour of the source's marker and error bars.
pub const SOURCE_COL: RGBColor = RGBColor(214, 24, 120);
/// Colour of the background population (drawn at 50 % opacity).
pub const BACKGROUND_COL: RGBColor = RGBColor(120, 120, 120);
/// Colour of the cut lines.
pub const CUT_COL: RGBColor = RGBColor(25, 25, 25);

/// The name used in error messages (the figure is not a file).
const WHAT: &str = "X-ray main-sequence plot";

/// A position on the diagram, with 1σ errors (zero: no bar).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct XmsPoint {
    /// Gaia BP − RP colour (mag).
    pub bp_rp: f64,
    /// log₁₀(F_X / F_opt).
    pub log_ratio: f64,
    /// 1σ error of the colour (mag); default 0.
    pub bp_rp_err: f64,
    /// Lower 1σ error of log₁₀(F_X / F_opt) (dex, positive); default 0.
    pub log_ratio_err_lo: f64,
    /// Upper 1σ error of log₁₀(F_X / F_opt) (dex, positive); default 0.
    pub log_ratio_err_hi: f64,
}

impl XmsPoint {
    /// A point without errors.
    pub fn new(bp_rp: f64, log_ratio: f64) -> XmsPoint {
        XmsPoint {
            bp_rp,
            log_ratio,
            ..XmsPoint::default()
        }
    }
}

/// How a cut line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutStyle {
    /// A solid line (Rodriguez 2024's "empirical cut").
    Solid,
    /// A dotted line (Rodriguez 2024's "theoretical cut").
    Dotted,
}

/// A labelled line on the diagram: (BP − RP, log₁₀ F_X/F_opt) vertices, drawn in order and
/// clipped to the axes.
#[derive(Debug, Clone, PartialEq)]
pub struct XmsLine {
    /// Legend text, e.g. "empirical cut (Rodriguez 2024)".
    pub label: String,
    /// The polyline's vertices (at least two, finite).
    pub points: Vec<(f64, f64)>,
    /// Solid or dotted.
    pub style: CutStyle,
}

/// The look of [`xms_png`].
#[derive(Debug, Clone, PartialEq)]
pub struct XmsOptions {
    /// Caption; default "X-ray main sequence".
    pub title: String,
    /// Legend of the source's marker; default "this source".
    pub source_label: String,
    /// Legend of the background points; default "Galactic X-ray sources".
    pub background_label: String,
    /// Image size in pixels (width, height); default (900, 640), at least (300, 240).
    pub size: (u32, u32),
    /// BP − RP axis range; default `None`: the points and the source with their errors,
    /// widened by 6 % on each side (at least 1 mag wide), or −0.5 … 4 without any point.
    pub x_range: Option<(f64, f64)>,
    /// log₁₀(F_X / F_opt) axis range; default `None`: as `x_range` (at least 2 dex), or −6 … 2.
    pub y_range: Option<(f64, f64)>,
    /// Texts at (BP − RP, log ratio) positions, e.g. region names; default none.
    pub annotations: Vec<(f64, f64, String)>,
}

impl Default for XmsOptions {
    fn default() -> Self {
        XmsOptions {
            title: "X-ray main sequence".into(),
            source_label: "this source".into(),
            background_label: "Galactic X-ray sources".into(),
            size: (900, 640),
            x_range: None,
            y_range: None,
            annotations: vec![],
        }
    }
}

/// Where the diagram's axes are: the data ranges and the plotting area's pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct XmsLayout {
    /// BP − RP at the left and right edges of the plotting area.
    pub x_range: (f64, f64),
    /// log₁₀(F_X / F_opt) at the bottom and top edges.
    pub y_range: (f64, f64),
    /// Pixel columns of the plotting area, left to right (end exclusive).
    pub px_x: (i32, i32),
    /// Pixel rows of the plotting area, top to bottom (end exclusive).
    pub px_y: (i32, i32),
}

fn bad(what: impl std::fmt::Display) -> PlotError {
    err(Path::new(WHAT), what)
}

fn check(
    cuts: &[XmsLine],
    highlight: Option<&XmsPoint>,
    opts: &XmsOptions,
) -> Result<(), PlotError> {
    if opts.size.0 < 300 || opts.size.1 < 240 {
        return Err(bad(format!(
            "size {:?}: expected at least 300 × 240 pixels",
            opts.size
        )));
    }
    for (name, r) in [("x_range", opts.x_range), ("y_range", opts.y_range)] {
        if let Some((a, b)) = r {
            if !(a.is_finite() && b.is_finite() && b > a) {
                return Err(bad(format!("{name} ({a}, {b}): expected finite lo < hi")));
            }
        }
    }
    for c in cuts {
        if c.points.len() < 2
            || c.points
                .iter()
                .any(|p| !(p.0.is_finite() && p.1.is_finite()))
        {
            return Err(bad(format!(
                "cut line \"{}\": expected at least two finite vertices",
                c.label
            )));
        }
    }
    if let Some(h) = highlight {
        let errs = [h.bp_rp_err, h.log_ratio_err_lo, h.log_ratio_err_hi];
        if !(h.bp_rp.is_finite() && h.log_ratio.is_finite())
            || errs.iter().any(|e| !(e.is_finite() && *e >= 0.0))
        {
            return Err(bad(format!(
                "source at ({}, {}) with errors {errs:?}: expected finite values and errors ≥ 0",
                h.bp_rp, h.log_ratio
            )));
        }
    }
    Ok(())
}

/// The axis range of one coordinate: the finite values widened by 6 % (at least `min_span`),
/// or `default` without any.
fn auto_range(vals: impl Iterator<Item = f64>, min_span: f64, default: (f64, f64)) -> (f64, f64) {
    let (lo, hi) = vals
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo > hi {
        return default;
    }
    let pad = 0.06 * (hi - lo);
    let (mut a, mut b) = (lo - pad, hi + pad);
    if b - a < min_span {
        let mid = 0.5 * (a + b);
        (a, b) = (mid - 0.5 * min_span, mid + 0.5 * min_span);
    }
    (a, b)
}

fn ranges(
    points: &[XmsPoint],
    highlight: Option<&XmsPoint>,
    opts: &XmsOptions,
) -> ((f64, f64), (f64, f64)) {
    let h: Vec<XmsPoint> = highlight.copied().into_iter().collect();
    let xs = points.iter().map(|p| p.bp_rp).chain(
        h.iter()
            .flat_map(|p| [p.bp_rp - p.bp_rp_err, p.bp_rp + p.bp_rp_err]),
    );
    let ys = points
        .iter()
        .map(|p| p.log_ratio)
        .chain(h.iter().flat_map(|p| {
            [
                p.log_ratio - p.log_ratio_err_lo,
                p.log_ratio + p.log_ratio_err_hi,
            ]
        }));
    let x = opts
        .x_range
        .unwrap_or_else(|| auto_range(xs, 1.0, (-0.5, 4.0)));
    let y = opts
        .y_range
        .unwrap_or_else(|| auto_range(ys, 2.0, (-6.0, 2.0)));
    (x, y)
}

type XmsChart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// The chart (caption, label areas, axes) on `root`: the one mapping used for drawing and for
/// [`xms_layout`].
fn chart<'a, 'b>(
    root: &DrawingArea<BitMapBackend<'b>, Shift>,
    opts: &XmsOptions,
    x: (f64, f64),
    y: (f64, f64),
) -> Result<XmsChart<'a, 'b>, PlotError>
where
    'b: 'a,
{
    ChartBuilder::on(root)
        .caption(&opts.title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(52)
        .y_label_area_size(70)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .map_err(bad)
}

/// The axis ranges and plotting-area pixels [`xms_png`] uses for these inputs and options.
pub fn xms_layout(
    points: &[XmsPoint],
    highlight: Option<XmsPoint>,
    opts: &XmsOptions,
) -> Result<XmsLayout, PlotError> {
    check(&[], highlight.as_ref(), opts)?;
    fonts();
    let (x, y) = ranges(points, highlight.as_ref(), opts);
    let (w, h) = opts.size;
    let mut buf = vec![255u8; (w * h * 3) as usize];
    let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
    let c = chart(&root, opts, x, y)?;
    let (px, py) = c.plotting_area().get_pixel_range();
    Ok(XmsLayout {
        x_range: x,
        y_range: y,
        px_x: (px.start, px.end),
        px_y: (py.start, py.end),
    })
}

/// Draw the X-ray main-sequence diagram and return it as PNG bytes (`opts.size`, default
/// 900 × 640): `points` (background population, grey; non-finite ones skipped), `cuts` (black,
/// solid or dotted, in the legend), `highlight` (the source: a [`SOURCE_COL`] disc of radius
/// 7 px with its error bars). Errors on invalid options, cuts or source values, never a panic.
pub fn xms_png(
    points: &[XmsPoint],
    cuts: &[XmsLine],
    highlight: Option<XmsPoint>,
    opts: &XmsOptions,
) -> Result<Vec<u8>, PlotError> {
    check(cuts, highlight.as_ref(), opts)?;
    fonts();
    let (x, y) = ranges(points, highlight.as_ref(), opts);
    let (w, h) = opts.size;
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(bad)?;
        let mut c = chart(&root, opts, x, y)?;
        c.configure_mesh()
            .x_desc("BP − RP (mag)")
            .y_desc("log₁₀ (F_X / F_opt)")
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(232, 232, 232))
            .draw()
            .map_err(bad)?;
        draw_background(&mut c, points, opts)?;
        draw_cuts(&mut c, cuts)?;
        draw_annotations(&mut c, opts)?;
        if let Some(hp) = highlight {
            draw_source(&mut c, &hp, opts, (x, y))?;
        }
        legend(&mut c)?;
        root.present().map_err(bad)?;
    }
    encode(buf, w, h)
}

fn encode(buf: Vec<u8>, w: u32, h: u32) -> Result<Vec<u8>, PlotError> {
    let img = image::RgbImage::from_raw(w, h, buf).ok_or_else(|| bad("pixel buffer size"))?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageOutputFormat::Png)
        .map_err(bad)?;
    Ok(out.into_inner())
}

fn draw_background<'a, 'b: 'a>(
    c: &mut XmsChart<'a, 'b>,
    points: &[XmsPoint],
    opts: &XmsOptions,
) -> Result<(), PlotError> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.bp_rp.is_finite() && p.log_ratio.is_finite())
        .map(|p| (p.bp_rp, p.log_ratio))
        .collect();
    if pts.is_empty() {
        return Ok(());
    }
    let st = BACKGROUND_COL.mix(0.5).filled();
    c.draw_series(pts.iter().map(|&p| Circle::new(p, 2, st)))
        .map_err(bad)?
        .label(opts.background_label.as_str())
        .legend(move |(x, y)| Circle::new((x + 7, y), 3, BACKGROUND_COL.filled()));
    Ok(())
}

fn draw_cuts<'a, 'b: 'a>(c: &mut XmsChart<'a, 'b>, cuts: &[XmsLine]) -> Result<(), PlotError> {
    for cut in cuts {
        let pts = cut.points.clone();
        match cut.style {
            CutStyle::Solid => {
                c.draw_series(LineSeries::new(pts, CUT_COL.stroke_width(2)))
                    .map_err(bad)?
                    .label(cut.label.as_str())
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], CUT_COL.stroke_width(2))
                    });
            }
            CutStyle::Dotted => {
                c.draw_series(DottedLineSeries::new(pts, 0, 7, |p| {
                    Circle::new(p, 1, CUT_COL.filled())
                }))
                .map_err(bad)?
                .label(cut.label.as_str())
                .legend(|(x, y)| {
                    EmptyElement::at((x, y))
                        + Circle::new((1, 0), 1, CUT_COL.filled())
                        + Circle::new((8, 0), 1, CUT_COL.filled())
                        + Circle::new((15, 0), 1, CUT_COL.filled())
                });
            }
        }
    }
    Ok(())
}

fn draw_annotations<'a, 'b: 'a>(
    c: &mut XmsChart<'a, 'b>,
    opts: &XmsOptions,
) -> Result<(), PlotError> {
    let style = TextStyle::from(("sans-serif", 15).into_font()).color(&RGBColor(90, 90, 90));
    c.draw_series(
        opts.annotations
            .iter()
            .filter(|a| a.0.is_finite() && a.1.is_finite())
            .map(|a| Text::new(a.2.clone(), (a.0, a.1), style.clone())),
    )
    .map_err(bad)?;
    Ok(())
}

/// The source: faint dashed guides to both axes, 1σ bars with caps, a disc with a dark rim.
fn draw_source<'a, 'b: 'a>(
    c: &mut XmsChart<'a, 'b>,
    p: &XmsPoint,
    opts: &XmsOptions,
    (x, y): ((f64, f64), (f64, f64)),
) -> Result<(), PlotError> {
    let guide = SOURCE_COL.mix(0.45).stroke_width(1);
    c.draw_series(DashedLineSeries::new(
        vec![(p.bp_rp, y.0), (p.bp_rp, y.1)],
        6,
        4,
        guide,
    ))
    .map_err(bad)?;
    c.draw_series(DashedLineSeries::new(
        vec![(x.0, p.log_ratio), (x.1, p.log_ratio)],
        6,
        4,
        guide,
    ))
    .map_err(bad)?;
    let bar = SOURCE_COL.stroke_width(2);
    let (x0, x1) = (p.bp_rp - p.bp_rp_err, p.bp_rp + p.bp_rp_err);
    let (y0, y1) = (
        p.log_ratio - p.log_ratio_err_lo,
        p.log_ratio + p.log_ratio_err_hi,
    );
    let hcap = |at: (f64, f64)| EmptyElement::at(at) + PathElement::new(vec![(0, -5), (0, 5)], bar);
    let vcap = |at: (f64, f64)| EmptyElement::at(at) + PathElement::new(vec![(-5, 0), (5, 0)], bar);
    if p.bp_rp_err > 0.0 {
        c.draw_series([PathElement::new(
            vec![(x0, p.log_ratio), (x1, p.log_ratio)],
            bar,
        )])
        .map_err(bad)?;
        c.draw_series([hcap((x0, p.log_ratio)), hcap((x1, p.log_ratio))])
            .map_err(bad)?;
    }
    if p.log_ratio_err_lo > 0.0 || p.log_ratio_err_hi > 0.0 {
        c.draw_series([PathElement::new(vec![(p.bp_rp, y0), (p.bp_rp, y1)], bar)])
            .map_err(bad)?;
        c.draw_series([vcap((p.bp_rp, y0)), vcap((p.bp_rp, y1))])
            .map_err(bad)?;
    }
    let at = (p.bp_rp, p.log_ratio);
    c.draw_series([EmptyElement::at(at)
        + Circle::new((0, 0), 8, RGBColor(60, 0, 30).filled())
        + Circle::new((0, 0), 7, SOURCE_COL.filled())])
        .map_err(bad)?
        .label(opts.source_label.as_str())
        .legend(|(x, y)| {
            EmptyElement::at((x + 7, y))
                + Circle::new((0, 0), 6, RGBColor(60, 0, 30).filled())
                + Circle::new((0, 0), 5, SOURCE_COL.filled())
        });
    Ok(())
}

fn legend<'a, 'b: 'a>(c: &mut XmsChart<'a, 'b>) -> Result<(), PlotError> {
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.92))
        .border_style(RGBColor(150, 150, 150))
        .label_font(("sans-serif", 14))
        .margin(10)
        .draw()
        .map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic grey population along a "main sequence" (no randomness).
    fn population() -> Vec<XmsPoint> {
        (0..400)
            .map(|i| {
                let t = i as f64 / 400.0;
                let wobble = ((i * 7919) % 101) as f64 / 101.0 - 0.5;
                XmsPoint::new(0.3 + 3.0 * t, -4.5 + 1.2 * t + 1.5 * wobble)
            })
            .collect()
    }

    fn cuts() -> Vec<XmsLine> {
        vec![
            XmsLine {
                label: "empirical cut".into(),
                points: vec![(-0.5, -1.0), (4.0, -3.2)],
                style: CutStyle::Solid,
            },
            XmsLine {
                label: "theoretical cut".into(),
                points: vec![(-0.5, -0.6), (1.5, -1.8), (4.0, -2.6)],
                style: CutStyle::Dotted,
            },
        ]
    }

    fn source() -> XmsPoint {
        XmsPoint {
            bp_rp: 2.416,
            log_ratio: -0.52,
            bp_rp_err: 0.12,
            log_ratio_err_lo: 0.3,
            log_ratio_err_hi: 0.2,
        }
    }

    /// The pixel of (x, y) by the linear mapping of the layout (independent of plotters).
    fn pixel(l: &XmsLayout, x: f64, y: f64) -> (u32, u32) {
        let fx = (x - l.x_range.0) / (l.x_range.1 - l.x_range.0);
        let fy = (l.y_range.1 - y) / (l.y_range.1 - l.y_range.0);
        let px = l.px_x.0 as f64 + fx * (l.px_x.1 - l.px_x.0 - 1) as f64;
        let py = l.px_y.0 as f64 + fy * (l.px_y.1 - l.px_y.0 - 1) as f64;
        (px.round() as u32, py.round() as u32)
    }

    #[test]
    fn xms_marks_the_source_at_its_coordinates() {
        let opts = XmsOptions::default();
        let png = xms_png(&population(), &cuts(), Some(source()), &opts).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (900, 640));
        let l = xms_layout(&population(), Some(source()), &opts).unwrap();
        // the automatic range holds every point and the source's bars
        assert!(l.x_range.0 < 0.3 && l.x_range.1 > 3.3 && l.y_range.1 > -0.32);
        let col = |(x, y): (u32, u32)| img.get_pixel(x, y).0;
        let s = source();
        let marker = [SOURCE_COL.0, SOURCE_COL.1, SOURCE_COL.2];
        let centre = pixel(&l, s.bp_rp, s.log_ratio);
        assert_eq!(col(centre), marker, "marker at {centre:?}");
        // the bar ends (x ± σ, y − σ_lo, y + σ_hi) are in the marker colour, well outside the disc
        for (x, y) in [
            (s.bp_rp - s.bp_rp_err * 0.9, s.log_ratio),
            (s.bp_rp + s.bp_rp_err * 0.9, s.log_ratio),
            (s.bp_rp, s.log_ratio - s.log_ratio_err_lo * 0.9),
            (s.bp_rp, s.log_ratio + s.log_ratio_err_hi * 0.9),
        ] {
            let p = pixel(&l, x, y);
            let near = (-1i32..=1)
                .flat_map(|d| [(p.0 as i32 + d, p.1 as i32), (p.0 as i32, p.1 as i32 + d)])
                .any(|q| col((q.0 as u32, q.1 as u32)) == marker);
            assert!(near, "bar end at {p:?}");
        }
        // away from the source's cross there is no marker colour in the plotting area
        let off = pixel(&l, s.bp_rp - 0.5, s.log_ratio - 1.0);
        assert_ne!(col(off), marker);
        let inside = img
            .enumerate_pixels()
            .filter(|(x, y, px)| {
                (*x as i32) >= l.px_x.0 + 200
                    && (*x as i32) < l.px_x.1 - 300
                    && (*y as i32) > l.px_y.1 - 120
                    && (*y as i32) < l.px_y.1
                    && px.0 == marker
            })
            .count();
        assert_eq!(inside, 0, "marker colour far from the source");
        // the cut lines and the grey population are drawn
        let cut = img
            .pixels()
            .filter(|p| p.0 == [CUT_COL.0, CUT_COL.1, CUT_COL.2])
            .count();
        assert!(cut > 500, "{cut} cut-line pixels");
        let grey = img
            .pixels()
            .filter(|p| p.0[0] == p.0[1] && p.0[1] == p.0[2] && (150..=200).contains(&p.0[0]))
            .count();
        assert!(grey > 1000, "{grey} background pixels");
    }

    #[test]
    fn xms_bytes_are_identical_across_calls() {
        let opts = XmsOptions {
            annotations: vec![(0.0, 1.0, "accreting binaries".into())],
            ..XmsOptions::default()
        };
        let a = xms_png(&population(), &cuts(), Some(source()), &opts).unwrap();
        let b = xms_png(&population(), &cuts(), Some(source()), &opts).unwrap();
        assert_eq!(a, b);
        assert_eq!(&a[..8], b"\x89PNG\r\n\x1a\n");
        // a different source gives different bytes
        let moved = XmsPoint {
            bp_rp: 1.0,
            ..source()
        };
        assert_ne!(
            a,
            xms_png(&population(), &cuts(), Some(moved), &opts).unwrap()
        );
    }

    #[test]
    fn xms_size_and_ranges_follow_the_options() {
        let opts = XmsOptions {
            size: (640, 480),
            x_range: Some((-1.0, 5.0)),
            y_range: Some((-7.0, 3.0)),
            ..XmsOptions::default()
        };
        let png = xms_png(&[], &[], Some(source()), &opts).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (640, 480));
        let l = xms_layout(&[], Some(source()), &opts).unwrap();
        assert_eq!((l.x_range, l.y_range), ((-1.0, 5.0), (-7.0, 3.0)));
        let c = pixel(&l, source().bp_rp, source().log_ratio);
        assert_eq!(
            img.get_pixel(c.0, c.1).0,
            [SOURCE_COL.0, SOURCE_COL.1, SOURCE_COL.2]
        );
        // nothing at all: the default window
        let l = xms_layout(&[], None, &XmsOptions::default()).unwrap();
        assert_eq!((l.x_range, l.y_range), ((-0.5, 4.0), (-6.0, 2.0)));
        assert!(xms_png(&[], &[], None, &XmsOptions::default()).is_ok());
    }

    #[test]
    fn xms_bad_inputs_are_errors() {
        let o = XmsOptions::default();
        let nan = XmsPoint {
            log_ratio: f64::NAN,
            ..source()
        };
        let e = xms_png(&[], &[], Some(nan), &o).unwrap_err().to_string();
        assert!(e.contains("expected finite values"), "{e}");
        let neg = XmsPoint {
            bp_rp_err: -0.1,
            ..source()
        };
        assert!(xms_png(&[], &[], Some(neg), &o).is_err());
        let short = XmsLine {
            label: "one point".into(),
            points: vec![(0.0, 0.0)],
            style: CutStyle::Solid,
        };
        let e = xms_png(&[], &[short], None, &o).unwrap_err().to_string();
        assert!(
            e.contains("one point") && e.contains("two finite vertices"),
            "{e}"
        );
        let tiny = XmsOptions {
            size: (10, 10),
            ..XmsOptions::default()
        };
        assert!(xms_png(&[], &[], None, &tiny).is_err());
        let flipped = XmsOptions {
            x_range: Some((3.0, 1.0)),
            ..XmsOptions::default()
        };
        assert!(xms_png(&[], &[], None, &flipped).is_err());
        // non-finite background points are skipped, not an error
        let pts = [XmsPoint::new(f64::NAN, 0.0), XmsPoint::new(1.0, -3.0)];
        assert!(xms_png(&pts, &cuts(), None, &o).is_ok());
    }
}
