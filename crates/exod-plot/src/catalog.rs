//! Figures of a catalogue (paper §3, Fig. 4 and Fig. 15): the unique sources on an all-sky
//! Hammer–Aitoff map in equatorial coordinates, and every detection in the detector-fixed EPIC
//! frame with the hot areas found in the data (see `exod_core::sky::epic_frame`).

use std::path::Path;

use plotters::prelude::*;

use crate::plot::{cmap, err, fonts, PlotError};

/// A source on the sky map.
pub struct SkyPoint {
    /// Right ascension (deg).
    pub ra: f64,
    /// Declination (deg).
    pub dec: f64,
    /// Number of detections (sets the colour, on a log scale).
    pub n_detections: usize,
    /// Drawn in grey when every detection carries a quality flag.
    pub flagged: bool,
}

/// Hammer–Aitoff projection of (RA, Dec) in degrees, RA = 0 at the centre and increasing to the
/// left (as on the sky): x ∈ [−2√2, 2√2], y ∈ [−√2, √2].
pub fn hammer_aitoff(ra: f64, dec: f64) -> (f64, f64) {
    let l = -((ra + 180.0).rem_euclid(360.0) - 180.0).to_radians();
    let b = dec.to_radians();
    let d = (1.0 + b.cos() * (l / 2.0).cos()).sqrt();
    (
        2.0 * 2f64.sqrt() * b.cos() * (l / 2.0).sin() / d,
        2f64.sqrt() * b.sin() / d,
    )
}

const SKY_W: u32 = 1000;
const SKY_H: u32 = 560;

/// Pixel of a projected point on the sky map.
fn sky_px(p: (f64, f64)) -> (i32, i32) {
    let sx = (SKY_W as f64 - 40.0) / (4.0 * 2f64.sqrt());
    let sy = (SKY_H as f64 - 80.0) / (2.0 * 2f64.sqrt());
    (
        (SKY_W as f64 / 2.0 + p.0 * sx) as i32,
        (SKY_H as f64 / 2.0 + 20.0 - p.1 * sy) as i32,
    )
}

type Root<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// Meridians every 2 h and parallels every 30°, with hour labels on the equator.
fn sky_grid(root: &Root, path: &Path) -> Result<(), PlotError> {
    let grey = RGBColor(90, 90, 90);
    for k in 0..=12 {
        let ra = k as f64 * 30.0 - 180.0 + 1e-9;
        let line: Vec<(i32, i32)> = (-90..=90)
            .map(|d| sky_px(hammer_aitoff(ra, d as f64)))
            .collect();
        root.draw(&PathElement::new(line, grey))
            .map_err(|e| err(path, e))?;
        let h = (ra.rem_euclid(360.0) / 15.0).round() as u32 % 24;
        if k % 2 == 1 {
            let (x, y) = sky_px(hammer_aitoff(ra, 0.0));
            root.draw(&Text::new(
                format!("{h}h"),
                (x + 2, y + 2),
                ("sans-serif", 12).into_font().color(&grey),
            ))
            .map_err(|e| err(path, e))?;
        }
    }
    for d in [-60, -30, 0, 30, 60] {
        let line: Vec<(i32, i32)> = (0..=360)
            .map(|a| sky_px(hammer_aitoff(a as f64 - 180.0 + 1e-9, d as f64)))
            .collect();
        root.draw(&PathElement::new(line, grey))
            .map_err(|e| err(path, e))?;
    }
    Ok(())
}

/// The unique sources on an all-sky map (RA/Dec, Hammer–Aitoff), coloured by their number of
/// detections, flagged ones in grey; written atomically to `path`.
pub fn sky_map_png(path: &Path, points: &[SkyPoint], title: &str) -> Result<(), PlotError> {
    fonts();
    let tmp = path.with_extension("tmp.png");
    {
        let root = BitMapBackend::new(&tmp, (SKY_W, SKY_H)).into_drawing_area();
        root.fill(&BLACK).map_err(|e| err(path, e))?;
        root.draw(&Text::new(
            title.to_string(),
            (10, 8),
            ("sans-serif", 18).into_font().color(&WHITE),
        ))
        .map_err(|e| err(path, e))?;
        sky_grid(&root, path)?;
        let nmax = points
            .iter()
            .map(|p| p.n_detections)
            .max()
            .unwrap_or(1)
            .max(2);
        for p in points
            .iter()
            .filter(|p| p.ra.is_finite() && p.dec.is_finite())
        {
            let c = if p.flagged {
                RGBColor(120, 120, 120)
            } else {
                cmap((p.n_detections.max(1) as f64).ln() / (nmax as f64).ln())
            };
            root.draw(&Circle::new(
                sky_px(hammer_aitoff(p.ra, p.dec)),
                3,
                c.filled(),
            ))
            .map_err(|e| err(path, e))?;
        }
        root.draw(&Text::new(
            format!(
                "{} sources; colour: detections (1–{nmax}, log); grey: flagged",
                points.len()
            ),
            (10, SKY_H as i32 - 22),
            ("sans-serif", 13).into_font().color(&WHITE),
        ))
        .map_err(|e| err(path, e))?;
        root.present().map_err(|e| err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

/// A circle on the EPIC-frame map (a hot area).
pub struct FrameArea {
    /// Centre x_E (arcsec).
    pub x: f64,
    /// Centre y_E (arcsec).
    pub y: f64,
    /// Radius (arcsec).
    pub radius: f64,
    /// Label drawn beside it.
    pub label: String,
}

/// Every detection at its EPIC-frame position (x_E, y_E in arcsec, ±`half_width`), those in
/// hot areas in red, and the hot areas circled; written atomically to `path`.
pub fn epic_frame_png(
    path: &Path,
    points: &[(f64, f64, bool)],
    areas: &[FrameArea],
    half_width: f64,
    title: &str,
) -> Result<(), PlotError> {
    fonts();
    let tmp = path.with_extension("tmp.png");
    {
        let root = BitMapBackend::new(&tmp, (760, 800)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(path, e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(-half_width..half_width, -half_width..half_width)
            .map_err(|e| err(path, e))?;
        chart
            .configure_mesh()
            .x_desc("x_E (arcsec)")
            .y_desc("y_E (arcsec)")
            .draw()
            .map_err(|e| err(path, e))?;
        let (normal, hot): (Vec<&(f64, f64, bool)>, Vec<_>) = points.iter().partition(|p| !p.2);
        chart
            .draw_series(
                normal
                    .iter()
                    .map(|p| Circle::new((p.0, p.1), 2, BLUE.mix(0.5).filled())),
            )
            .map_err(|e| err(path, e))?;
        chart
            .draw_series(hot.iter().map(|p| Circle::new((p.0, p.1), 2, RED.filled())))
            .map_err(|e| err(path, e))?;
        for a in areas {
            let ring: Vec<(f64, f64)> = (0..=64)
                .map(|k| {
                    let t = k as f64 / 64.0 * std::f64::consts::TAU;
                    (a.x + a.radius * t.cos(), a.y + a.radius * t.sin())
                })
                .collect();
            chart
                .draw_series(std::iter::once(PathElement::new(ring, RED.stroke_width(2))))
                .map_err(|e| err(path, e))?;
            chart
                .draw_series(std::iter::once(Text::new(
                    a.label.clone(),
                    (a.x + a.radius, a.y + a.radius),
                    ("sans-serif", 13).into_font().color(&RED),
                )))
                .map_err(|e| err(path, e))?;
        }
        root.present().map_err(|e| err(path, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hammer_aitoff_has_its_known_values() {
        // centre, the edge of the equator, the pole
        let (x, y) = hammer_aitoff(0.0, 0.0);
        assert!(x.abs() < 1e-12 && y.abs() < 1e-12);
        let (x, _) = hammer_aitoff(180.0 - 1e-9, 0.0);
        assert!(
            (x + 2.0 * 2f64.sqrt()).abs() < 1e-6,
            "RA 180 at the left edge: {x}"
        );
        let (x, y) = hammer_aitoff(77.0, 90.0);
        assert!(x.abs() < 1e-12 && (y - 2f64.sqrt()).abs() < 1e-12);
        // RA increases to the left; both sides of RA = 0 are neighbours
        assert!(hammer_aitoff(10.0, 0.0).0 < 0.0);
        let (a, b) = (hammer_aitoff(359.99, -30.0), hammer_aitoff(0.01, -30.0));
        assert!((a.0 - b.0).abs() < 1e-3 && (a.1 - b.1).abs() < 1e-9);
    }

    #[test]
    fn maps_are_drawn() {
        let dir = std::env::temp_dir().join(format!("exod-plot-cat-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pts: Vec<SkyPoint> = (0..50)
            .map(|k| SkyPoint {
                ra: k as f64 * 7.0,
                dec: k as f64 * 3.0 - 75.0,
                n_detections: 1 + k % 5,
                flagged: k % 7 == 0,
            })
            .collect();
        let p = dir.join("sky.png");
        sky_map_png(&p, &pts, "test").unwrap();
        assert!(std::fs::metadata(&p).unwrap().len() > 10_000);
        let q = dir.join("frame.png");
        let area = FrameArea {
            x: 100.0,
            y: -50.0,
            radius: 15.0,
            label: "H1".into(),
        };
        epic_frame_png(
            &q,
            &[(100.0, -50.0, true), (0.0, 0.0, false)],
            &[area],
            960.0,
            "t",
        )
        .unwrap();
        assert!(std::fs::metadata(&q).unwrap().len() > 10_000);
        if std::env::var_os("EXOD_KEEP_PLOTS").is_none() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}
