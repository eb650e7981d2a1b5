//! A sky image of a search grid with its celestial coordinates: counts per cell on a log colour
//! scale with a colour bar, RA/Dec grid lines with tick labels from the grid's WCS, and numbered
//! marks listed beside the image (marks within 1.5 cells of each other share a number, so labels
//! never pile up where several runs detect the same source).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use exod_core::grid::SkyGrid;

use crate::plot::{cmap, err, fonts, Mark, PlotError};

/// Steps of the RA grid, in seconds of time.
const RA_STEPS_S: [f64; 16] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0,
    3600.0, 7200.0,
];
/// Steps of the Dec grid, in arcsec.
const DEC_STEPS_AS: [f64; 17] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0,
    3600.0, 7200.0, 18000.0,
];

/// The first step giving at most `max_ticks` intervals over `span`.
fn pick_step(span: f64, steps: &[f64], max_ticks: f64) -> f64 {
    steps
        .iter()
        .copied()
        .find(|s| span / s <= max_ticks)
        .unwrap_or(*steps.last().expect("steps"))
}

/// `10h01m10s` (or `10h01m` for steps of a minute or more) of an RA in degrees.
pub fn format_ra(ra_deg: f64, step_s: f64) -> String {
    let t = ra_deg.rem_euclid(360.0) / 15.0 * 3600.0;
    let t = ((t / step_s).round() * step_s).rem_euclid(86_400.0);
    let h = (t / 3600.0).floor();
    let m = ((t - h * 3600.0) / 60.0).floor();
    let s = t - h * 3600.0 - m * 60.0;
    if step_s >= 60.0 {
        format!("{h:.0}h{m:02.0}m")
    } else {
        format!("{h:.0}h{m:02.0}m{s:02.0}s")
    }
}

/// `+2°14′30″` (or `+2°14′`, `+2°` for coarser steps) of a Dec in degrees.
pub fn format_dec(dec_deg: f64, step_as: f64) -> String {
    let sign = if dec_deg < 0.0 { '-' } else { '+' };
    let a = ((dec_deg.abs() * 3600.0) / step_as).round() * step_as;
    let d = (a / 3600.0).floor();
    let m = ((a - d * 3600.0) / 60.0).floor();
    let s = a - d * 3600.0 - m * 60.0;
    if step_as >= 3600.0 {
        format!("{sign}{d:.0}°")
    } else if step_as >= 60.0 {
        format!("{sign}{d:.0}°{m:02.0}′")
    } else {
        format!("{sign}{d:.0}°{m:02.0}′{s:02.0}″")
    }
}

/// Group marks closer than `radius` cells (single linkage on the first mark of each group, in
/// the order given: pass the best first). Returns, per group, the indices of its marks.
pub fn group_marks(marks: &[Mark], radius: f64) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, m) in marks.iter().enumerate() {
        let hit = groups.iter_mut().find(|g| {
            let f = &marks[g[0]];
            (f.x - m.x).hypot(f.y - m.y) <= radius
        });
        match hit {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
}

/// Whether two pixel boxes `(x0, y0, x1, y1)` overlap.
fn overlaps(a: (i32, i32, i32, i32), b: (i32, i32, i32, i32)) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// The drawing area of a sky image.
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// The embedded sans-serif font at `size`.
fn font(size: u32) -> FontDesc<'static> {
    ("sans-serif", size).into_font()
}

/// The pixel layout of a sky image (image box, colour bar, list of marks) and the grid it shows.
struct Sky<'a> {
    /// The search grid (its WCS maps cells to RA/Dec).
    grid: &'a SkyGrid,
    /// Cells along x (at least 1).
    nx: usize,
    /// Cells along y (at least 1).
    ny: usize,
    /// Pixels per cell.
    scale: i32,
    /// Image width (px).
    iw: i32,
    /// Image height (px).
    ih: i32,
    /// Left edge of the image (px).
    left: i32,
    /// Top edge of the image (px).
    top: i32,
    /// Left edge of the colour bar (px).
    cb_x: i32,
    /// Width of the colour bar (px).
    cb_w: i32,
    /// Left edge of the list of marks (px).
    leg_x: i32,
    /// Width of the whole figure (px).
    width: i32,
    /// Height of the whole figure (px).
    height: i32,
}

impl<'a> Sky<'a> {
    /// Lay out the figure of `grid`: at most 820 px of image, 1–12 px per cell.
    fn new(grid: &'a SkyGrid) -> Self {
        let (nx, ny) = (grid.nx.max(1), grid.ny.max(1));
        let scale = (820 / nx.max(ny)).clamp(1, 12) as i32;
        let (iw, ih) = (nx as i32 * scale, ny as i32 * scale);
        let (left, top, bottom) = (96i32, 48i32, 64i32);
        let cb_x = left + iw + 24;
        let cb_w = 18;
        let leg_x = cb_x + cb_w + 80;
        let leg_w = 400;
        let height = top + ih.max(320) + bottom;
        let width = leg_x + leg_w;
        Sky {
            grid,
            nx,
            ny,
            scale,
            iw,
            ih,
            left,
            top,
            cb_x,
            cb_w,
            leg_x,
            width,
            height,
        }
    }

    /// RA, Dec (deg) of a position in cell units, if the WCS maps it.
    fn to_world(&self, cx: f64, cy: f64) -> Option<(f64, f64)> {
        let grid = self.grid;
        grid.wcs
            .pix_to_world(grid.x0 + cx * grid.cell_px, grid.y0 + cy * grid.cell_px)
    }

    /// Position in cell units of an RA, Dec (deg), if the WCS maps it.
    fn to_cell(&self, ra: f64, dec: f64) -> Option<(f64, f64)> {
        let grid = self.grid;
        grid.wcs
            .world_to_pix(ra, dec)
            .map(|(x, y)| ((x - grid.x0) / grid.cell_px, (y - grid.y0) / grid.cell_px))
    }

    /// Figure pixel of a position in cell units (y up in cells, down in pixels).
    fn to_px(&self, cx: f64, cy: f64) -> (i32, i32) {
        let (left, top, scale, ny) = (self.left, self.top, self.scale, self.ny);
        (
            left + (cx * scale as f64).round() as i32,
            top + ((ny as f64 - cy) * scale as f64).round() as i32,
        )
    }

    /// Whether a position in cell units is on the image (edges included).
    fn inside(&self, (x, y): (f64, f64)) -> bool {
        let (nxf, nyf) = (self.nx as f64, self.ny as f64);
        (0.0..=nxf).contains(&x) && (0.0..=nyf).contains(&y)
    }
}

/// The RA/Dec range covered by a sky image, RA unwrapped around the centre's.
struct Bounds {
    /// RA of the image centre (deg).
    ra_c: f64,
    /// Smallest unwrapped RA on the border (deg).
    ra0: f64,
    /// Largest unwrapped RA on the border (deg).
    ra1: f64,
    /// Smallest Dec on the border (deg).
    de0: f64,
    /// Largest Dec on the border (deg).
    de1: f64,
}

impl Bounds {
    /// The range of RA/Dec along the image border (51 points per edge), if the centre maps.
    fn of(sky: &Sky) -> Option<Bounds> {
        let (nxf, nyf) = (sky.nx as f64, sky.ny as f64);
        let (ra_c, _) = sky.to_world(nxf / 2.0, nyf / 2.0)?;
        let mut b = Bounds {
            ra_c,
            ra0: f64::INFINITY,
            ra1: f64::NEG_INFINITY,
            de0: f64::INFINITY,
            de1: f64::NEG_INFINITY,
        };
        let border: Vec<(f64, f64)> = (0..=50)
            .flat_map(|k| {
                let f = k as f64 / 50.0;
                [
                    (f * nxf, 0.0),
                    (f * nxf, nyf),
                    (0.0, f * nyf),
                    (nxf, f * nyf),
                ]
            })
            .collect();
        let world: Vec<(f64, f64)> = border
            .iter()
            .filter_map(|&(x, y)| sky.to_world(x, y))
            .map(|(r, d)| (b.unwrap(r), d))
            .collect();
        for &(r, d) in &world {
            b.ra0 = b.ra0.min(r);
            b.ra1 = b.ra1.max(r);
            b.de0 = b.de0.min(d);
            b.de1 = b.de1.max(d);
        }
        Some(b)
    }

    /// An RA (deg) moved by whole turns to within 180° of the centre's.
    fn unwrap(&self, ra: f64) -> f64 {
        let ra_c = self.ra_c;
        ra_c + ((ra - ra_c + 540.0).rem_euclid(360.0) - 180.0)
    }
}

/// Draw the `grid.nx × grid.ny` counts image (row-major, index iy·nx + ix) with celestial axes,
/// a colour bar and the numbered `marks` (x, y in cell units, as for
/// [`crate::plot::image_png`]), written atomically to `path`.
pub fn sky_image_png(
    path: &Path,
    counts: &[f64],
    grid: &SkyGrid,
    title: &str,
    marks: &[Mark],
) -> Result<(), PlotError> {
    fonts();
    let sky = Sky::new(grid);
    let groups = group_marks(marks, 1.5);
    let tmp = path.with_extension("tmp.png");
    {
        let size = (sky.width as u32, sky.height as u32);
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        let e = |x| err(path, x);
        root.fill(&WHITE).map_err(e)?;
        root.draw(&Text::new(
            title.to_string(),
            (sky.left, 12),
            font(18).color(&BLACK),
        ))
        .map_err(e)?;
        let vmax = counts.iter().cloned().fold(0.0, f64::max).max(1.0);
        let lv = (1.0 + vmax).ln();
        draw_cells(&root, path, &sky, counts, lv)?;
        draw_celestial_grid(&root, path, &sky)?;
        draw_axis_titles(&root, path, &sky)?;
        draw_marks(&root, path, &sky, marks, &groups)?;
        draw_colour_bar(&root, path, &sky, vmax, lv)?;
        draw_mark_list(&root, path, &sky, marks, &groups)?;
        root.present().map_err(e)?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

/// The image: a black box, then every cell with counts coloured by ln(1 + c) / `lv`.
fn draw_cells(
    root: &Area,
    path: &Path,
    sky: &Sky,
    counts: &[f64],
    lv: f64,
) -> Result<(), PlotError> {
    let e = |x| err(path, x);
    let (nx, ny, scale) = (sky.nx, sky.ny, sky.scale);
    let (left, top, iw, ih) = (sky.left, sky.top, sky.iw, sky.ih);
    root.draw(&Rectangle::new(
        [(left, top), (left + iw, top + ih)],
        BLACK.filled(),
    ))
    .map_err(e)?;
    for j in 0..ny {
        for i in 0..nx {
            let c = counts.get(j * nx + i).copied().unwrap_or(0.0);
            if c <= 0.0 {
                continue;
            }
            let x0 = left + i as i32 * scale;
            let y0 = top + (ny - 1 - j) as i32 * scale;
            root.draw(&Rectangle::new(
                [(x0, y0), (x0 + scale, y0 + scale)],
                cmap((1.0 + c).ln() / lv).filled(),
            ))
            .map_err(e)?;
        }
    }
    Ok(())
}

/// Celestial grid: lines of constant RA and Dec, labelled where they leave the image.
fn draw_celestial_grid(root: &Area, path: &Path, sky: &Sky) -> Result<(), PlotError> {
    let Some(b) = Bounds::of(sky) else {
        return Ok(());
    };
    if b.ra0 < b.ra1 && b.de0 < b.de1 {
        let ra_step_s = pick_step((b.ra1 - b.ra0) * 240.0, &RA_STEPS_S, 7.0);
        let dec_step_as = pick_step((b.de1 - b.de0) * 3600.0, &DEC_STEPS_AS, 6.0);
        draw_ra_lines(root, path, sky, &b, ra_step_s)?;
        draw_dec_lines(root, path, sky, &b, dec_step_as)?;
    }
    Ok(())
}

/// A faint grid line through cell positions, broken where points are missing or off the image.
fn polyline(
    root: &Area,
    path: &Path,
    sky: &Sky,
    pts: Vec<Option<(f64, f64)>>,
) -> Result<(), PlotError> {
    let line_col = WHITE.mix(0.35);
    let mut seg: Vec<(i32, i32)> = Vec::new();
    for p in pts.into_iter().chain(std::iter::once(None)) {
        match p.filter(|&q| sky.inside(q)) {
            Some((x, y)) => seg.push(sky.to_px(x, y)),
            None => {
                if seg.len() > 1 {
                    root.draw(&PathElement::new(seg.clone(), line_col.stroke_width(1)))
                        .map_err(|x| err(path, x))?;
                }
                seg.clear();
            }
        }
    }
    Ok(())
}

/// RA lines every `ra_step_s` seconds of time, labelled along the bottom edge.
fn draw_ra_lines(
    root: &Area,
    path: &Path,
    sky: &Sky,
    b: &Bounds,
    ra_step_s: f64,
) -> Result<(), PlotError> {
    let e = |x| err(path, x);
    let tick_font = font(13).color(&BLACK);
    let nxf = sky.nx as f64;
    let (ra1, de0, de1) = (b.ra1, b.de0, b.de1);
    let step = ra_step_s / 240.0;
    let mut a = (b.ra0 / step).ceil() * step;
    let bottom_ra: Vec<Option<f64>> = (0..=400)
        .map(|k| {
            sky.to_world(k as f64 / 400.0 * nxf, 0.0)
                .map(|(r, _)| b.unwrap(r))
        })
        .collect();
    while a <= ra1 {
        polyline(
            root,
            path,
            sky,
            (0..=120)
                .map(|k| sky.to_cell(a.rem_euclid(360.0), de0 + (de1 - de0) * k as f64 / 120.0))
                .collect(),
        )?;
        for k in 0..400 {
            if let (Some(r0), Some(r1)) = (bottom_ra[k], bottom_ra[k + 1]) {
                if (r0 - a) * (r1 - a) <= 0.0 && r0 != r1 {
                    let cx = (k as f64 + (a - r0) / (r1 - r0)) / 400.0 * nxf;
                    let (px, py) = sky.to_px(cx, 0.0);
                    root.draw(&PathElement::new(vec![(px, py), (px, py + 6)], BLACK))
                        .map_err(e)?;
                    root.draw(&Text::new(
                        format_ra(a, ra_step_s),
                        (px, py + 9),
                        tick_font.pos(Pos::new(HPos::Center, VPos::Top)),
                    ))
                    .map_err(e)?;
                    break;
                }
            }
        }
        a += step;
    }
    Ok(())
}

/// Dec lines every `dec_step_as` arcsec, labelled along the left edge.
fn draw_dec_lines(
    root: &Area,
    path: &Path,
    sky: &Sky,
    b: &Bounds,
    dec_step_as: f64,
) -> Result<(), PlotError> {
    let e = |x| err(path, x);
    let tick_font = font(13).color(&BLACK);
    let nyf = sky.ny as f64;
    let (ra0, ra1, de1) = (b.ra0, b.ra1, b.de1);
    let step = dec_step_as / 3600.0;
    let mut d = (b.de0 / step).ceil() * step;
    let left_dec: Vec<Option<f64>> = (0..=400)
        .map(|k| sky.to_world(0.0, k as f64 / 400.0 * nyf).map(|(_, d)| d))
        .collect();
    while d <= de1 {
        polyline(
            root,
            path,
            sky,
            (0..=120)
                .map(|k| sky.to_cell((ra0 + (ra1 - ra0) * k as f64 / 120.0).rem_euclid(360.0), d))
                .collect(),
        )?;
        for k in 0..400 {
            if let (Some(d0), Some(d1)) = (left_dec[k], left_dec[k + 1]) {
                if (d0 - d) * (d1 - d) <= 0.0 && d0 != d1 {
                    let cy = (k as f64 + (d - d0) / (d1 - d0)) / 400.0 * nyf;
                    let (px, py) = sky.to_px(0.0, cy);
                    root.draw(&PathElement::new(vec![(px - 6, py), (px, py)], BLACK))
                        .map_err(e)?;
                    root.draw(&Text::new(
                        format_dec(d, dec_step_as),
                        (px - 9, py),
                        tick_font.pos(Pos::new(HPos::Right, VPos::Center)),
                    ))
                    .map_err(e)?;
                    break;
                }
            }
        }
        d += step;
    }
    Ok(())
}

/// The axis titles, then the frame around the image.
fn draw_axis_titles(root: &Area, path: &Path, sky: &Sky) -> Result<(), PlotError> {
    let e = |x| err(path, x);
    let (left, top, iw, ih) = (sky.left, sky.top, sky.iw, sky.ih);
    root.draw(&Text::new(
        "RA (J2000)",
        (left + iw / 2, top + ih + 34),
        font(14)
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))
    .map_err(e)?;
    root.draw(&Text::new(
        "Dec (J2000)",
        (14, top + ih / 2),
        font(14)
            .transform(FontTransform::Rotate270)
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))
    .map_err(e)?;
    root.draw(&Rectangle::new(
        [(left, top), (left + iw, top + ih)],
        BLACK.stroke_width(1),
    ))
    .map_err(e)?;
    Ok(())
}

/// Marks: one circle and number per group, numbers placed where they cover nothing.
fn draw_marks(
    root: &Area,
    path: &Path,
    sky: &Sky,
    marks: &[Mark],
    groups: &[Vec<usize>],
) -> Result<(), PlotError> {
    let e = |x| err(path, x);
    let r = (2 * sky.scale).max(8);
    let mut taken: Vec<(i32, i32, i32, i32)> = Vec::new();
    let centres: Vec<(i32, i32)> = groups
        .iter()
        .map(|g| sky.to_px(marks[g[0]].x, marks[g[0]].y))
        .collect();
    for &(px, py) in &centres {
        taken.push((px - r, py - r, px + r, py + r));
    }
    let num_font = font(13).style(FontStyle::Bold);
    for (k, g) in groups.iter().enumerate() {
        let m = &marks[g[0]];
        let col = if m.red { RED } else { CYAN };
        let (px, py) = centres[k];
        root.draw(&Circle::new((px, py), r, col.stroke_width(2)))
            .map_err(e)?;
        let label = format!("{}", k + 1);
        let (tw, th) = root
            .estimate_text_size(&label, &num_font.color(&BLACK))
            .map_err(e)?;
        let (bw, bh) = (tw as i32 + 6, th as i32 + 2);
        let (bx, by) = place_number(sky, &taken, k, (px, py), r, (bw, bh));
        taken.push((bx, by, bx + bw, by + bh));
        root.draw(&Rectangle::new(
            [(bx, by), (bx + bw, by + bh)],
            col.filled(),
        ))
        .map_err(e)?;
        root.draw(&Text::new(
            label,
            (bx + bw / 2, by + bh / 2),
            num_font
                .color(if m.red { &WHITE } else { &BLACK })
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))
        .map_err(e)?;
    }
    Ok(())
}

/// Top-left corner of the `bw × bh` number box of mark `k` (circle of radius `r` at `px, py`):
/// the first of eight places around the circle that is on the image and overlaps no other box
/// in `taken`, else the first on the image, else the first.
fn place_number(
    sky: &Sky,
    taken: &[(i32, i32, i32, i32)],
    k: usize,
    (px, py): (i32, i32),
    r: i32,
    (bw, bh): (i32, i32),
) -> (i32, i32) {
    let (left, top, iw, ih) = (sky.left, sky.top, sky.iw, sky.ih);
    let d = (r as f64 * 0.75) as i32 + 2;
    let candidates = [
        (px + d, py - d - bh),
        (px + d, py + d),
        (px - d - bw, py - d - bh),
        (px - d - bw, py + d),
        (px + r + 3, py - bh / 2),
        (px - r - 3 - bw, py - bh / 2),
        (px - bw / 2, py - r - 3 - bh),
        (px - bw / 2, py + r + 3),
    ];
    let fits =
        |&(x, y): &(i32, i32)| x >= left && y >= top && x + bw <= left + iw && y + bh <= top + ih;
    let free = |&(x, y): &(i32, i32)| {
        let b = (x, y, x + bw, y + bh);
        taken
            .iter()
            .enumerate()
            .all(|(j, &t)| j == k || !overlaps(b, t))
    };
    candidates
        .iter()
        .copied()
        .find(|c| fits(c) && free(c))
        .or_else(|| candidates.iter().copied().find(fits))
        .unwrap_or(candidates[0])
}

/// Colour bar: 120 steps of the map, a frame, ticks at 0, 1, 3, 10, 30… up to `vmax` (at
/// least 16 px apart) and its title.
fn draw_colour_bar(
    root: &Area,
    path: &Path,
    sky: &Sky,
    vmax: f64,
    lv: f64,
) -> Result<(), PlotError> {
    let e = |x| err(path, x);
    let (cb_x, cb_w, top, ih) = (sky.cb_x, sky.cb_w, sky.top, sky.ih);
    let steps = 120;
    for s in 0..steps {
        let y1 = top + ih - (s * ih) / steps;
        let y0 = top + ih - ((s + 1) * ih) / steps;
        root.draw(&Rectangle::new(
            [(cb_x, y0), (cb_x + cb_w, y1)],
            cmap((s as f64 + 0.5) / steps as f64).filled(),
        ))
        .map_err(e)?;
    }
    root.draw(&Rectangle::new(
        [(cb_x, top), (cb_x + cb_w, top + ih)],
        BLACK.stroke_width(1),
    ))
    .map_err(e)?;
    let mut last_y = i32::MAX;
    for t in colour_bar_ticks(vmax) {
        let y = top + ih - ((1.0 + t).ln() / lv * ih as f64).round() as i32;
        if last_y - y < 16 {
            continue;
        }
        last_y = y;
        root.draw(&PathElement::new(
            vec![(cb_x + cb_w, y), (cb_x + cb_w + 5, y)],
            BLACK,
        ))
        .map_err(e)?;
        root.draw(&Text::new(
            format!("{t}"),
            (cb_x + cb_w + 8, y),
            font(12)
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(e)?;
    }
    root.draw(&Text::new(
        "counts / cell",
        (cb_x - 6, top - 8),
        font(12)
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Bottom)),
    ))
    .map_err(e)?;
    Ok(())
}

/// Ticks of the colour bar: 0, 1, 3, 10, 30… up to `vmax`.
fn colour_bar_ticks(vmax: f64) -> Vec<f64> {
    let mut ticks = vec![0.0];
    let mut v = 1.0;
    while v <= vmax {
        ticks.push(v);
        ticks.push(3.0 * v);
        v *= 10.0;
    }
    ticks.retain(|&t| t <= vmax);
    ticks
}

/// The list of marks beside the colour bar: a heading, one line per group (as many as fit),
/// and how many more there are.
fn draw_mark_list(
    root: &Area,
    path: &Path,
    sky: &Sky,
    marks: &[Mark],
    groups: &[Vec<usize>],
) -> Result<(), PlotError> {
    let e = |x| err(path, x);
    let (leg_x, top, ih) = (sky.leg_x, sky.top, sky.ih);
    let line_h = 17;
    let max_lines = ((ih.max(320) - 30) / line_h).max(1) as usize;
    root.draw(&Text::new(
        format!("{} detections at {} positions", marks.len(), groups.len()),
        (leg_x, top),
        font(14).style(FontStyle::Bold).color(&BLACK),
    ))
    .map_err(e)?;
    let dark_cyan = RGBColor(0, 130, 150);
    let shown = if groups.len() > max_lines {
        max_lines - 1
    } else {
        groups.len()
    };
    for (k, g) in groups.iter().take(shown).enumerate() {
        let m = &marks[g[0]];
        let more = if g.len() > 1 {
            format!(" (+{} more)", g.len() - 1)
        } else {
            String::new()
        };
        root.draw(&Text::new(
            format!("{:>2}  {}{more}", k + 1, m.label),
            (leg_x, top + 24 + k as i32 * line_h),
            font(13).color(if m.red { &RED } else { &dark_cyan }),
        ))
        .map_err(e)?;
    }
    if shown < groups.len() {
        root.draw(&Text::new(
            format!("… and {} more positions", groups.len() - shown),
            (leg_x, top + 24 + shown as i32 * line_h),
            font(13).color(&BLACK),
        ))
        .map_err(e)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_sexagesimal() {
        assert_eq!(format_ra(150.28725, 10.0), "10h01m10s");
        assert_eq!(format_ra(150.25, 60.0), "10h01m");
        assert_eq!(format_ra(359.9999, 60.0), "0h00m");
        assert_eq!(format_dec(2.23141, 60.0), "+2°14′");
        assert_eq!(format_dec(-11.0868, 30.0), "-11°05′00″");
        assert_eq!(format_dec(-1.0, 3600.0), "-1°");
    }

    #[test]
    fn close_marks_share_a_number() {
        let m = |x, y| Mark {
            x,
            y,
            label: String::new(),
            red: true,
        };
        let g = group_marks(
            &[m(10.0, 10.0), m(30.0, 5.0), m(10.5, 11.0), m(11.0, 10.0)],
            1.5,
        );
        assert_eq!(g, vec![vec![0, 2, 3], vec![1]]);
    }
}
