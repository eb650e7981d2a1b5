//! Each CCD's footprint on the sky, from its own events: the convex hull of their sky (x, y)
//! (an EPIC CCD is a rectangle on the sky, and so is its image over an observation without
//! dither), and a point-in-hull test.
//!
//! ## Accuracy
//!
//! The hull of N points drawn uniformly over a convex k-gon of area A misses on average
//! ≈ (2k/3)·A·ln N / N of it (Rényi & Sulanke 1963): for a CCD (k = 4) with N events, a
//! fraction ≈ 2.7 ln N / N of its area, in slivers along its edges ≈ 2.7·A·ln N / (N·P) wide
//! on average (P its perimeter). A MOS CCD (660″ side) with 3 000 events loses ≈ 0.7 % of its
//! area in slivers ≈ 1″ wide; a pn CCD (≈ 4.4′ × 13.6′) with 10⁵ events, slivers < 0.1″. Areas
//! clipped by the footprint are thus slightly small near CCD edges (as are the events counted
//! there: all of a CCD's events are inside its hull by construction). Bad columns and pixels
//! inside a CCD are not holes of the hull; a CCD with no events has no footprint.
//! The hull is computed by Andrew's monotone chain (O(N log N)), after keeping only the points
//! outside the quadrilateral of the four extreme points (Akl–Toussaint), which leaves few.

use std::collections::BTreeMap;

use crate::exposure::Exposure;

/// The convex hull of a CCD's events, in sky pixels, counter-clockwise without repeated or
/// collinear vertices.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Footprint {
    vertices: Vec<(f64, f64)>,
    bbox: [f64; 4],
}

fn cross(o: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
}

/// The points outside the quadrilateral of the extreme points in x and y (and those four).
fn akl_toussaint(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let pick = |key: &dyn Fn(&(f64, f64)) -> f64| {
        *pts.iter()
            .min_by(|a, b| key(a).total_cmp(&key(b)))
            .expect("non-empty")
    };
    let quad = [
        pick(&|p| p.0),
        pick(&|p| p.1),
        pick(&|p| -p.0),
        pick(&|p| -p.1),
    ];
    let strictly_inside =
        |p: &(f64, f64)| (0..4).all(|i| cross(quad[i], quad[(i + 1) % 4], *p) > 0.0);
    let mut keep: Vec<(f64, f64)> = pts
        .iter()
        .copied()
        .filter(|p| !strictly_inside(p))
        .collect();
    keep.extend_from_slice(&quad);
    keep
}

impl Footprint {
    /// The convex hull of `points` (sky pixels); None when they span no area (fewer than 3
    /// distinct, non-collinear points) or hold a non-finite value.
    pub fn from_points(points: &[(f64, f64)]) -> Option<Footprint> {
        if points.len() < 3 || points.iter().any(|p| !(p.0.is_finite() && p.1.is_finite())) {
            return None;
        }
        let mut p = akl_toussaint(points);
        p.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        p.dedup();
        if p.len() < 3 {
            return None;
        }
        let mut hull: Vec<(f64, f64)> = Vec::with_capacity(2 * p.len());
        for pass in 0..2 {
            let start = hull.len();
            let iter: Box<dyn Iterator<Item = &(f64, f64)>> = if pass == 0 {
                Box::new(p.iter())
            } else {
                Box::new(p.iter().rev())
            };
            for &q in iter {
                while hull.len() >= start + 2
                    && cross(hull[hull.len() - 2], hull[hull.len() - 1], q) <= 0.0
                {
                    hull.pop();
                }
                hull.push(q);
            }
            hull.pop(); // the last point starts the other chain
        }
        if hull.len() < 3 {
            return None;
        }
        let bbox = hull.iter().fold(
            [
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ],
            |b, v| [b[0].min(v.0), b[1].max(v.0), b[2].min(v.1), b[3].max(v.1)],
        );
        Some(Footprint {
            vertices: hull,
            bbox,
        })
    }

    /// The vertices (sky pixels), counter-clockwise.
    pub fn vertices(&self) -> &[(f64, f64)] {
        &self.vertices
    }

    /// Is (x, y) inside the hull or on its boundary?
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let [x0, x1, y0, y1] = self.bbox;
        if !(x >= x0 && x <= x1 && y >= y0 && y <= y1) {
            return false;
        }
        let n = self.vertices.len();
        (0..n).all(|i| cross(self.vertices[i], self.vertices[(i + 1) % n], (x, y)) >= 0.0)
    }

    /// Area (square sky pixels).
    pub fn area(&self) -> f64 {
        let n = self.vertices.len();
        0.5 * (0..n)
            .map(|i| {
                let (a, b) = (self.vertices[i], self.vertices[(i + 1) % n]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum::<f64>()
    }

    /// Distance (sky pixels) from (x, y) to the nearest edge of the hull (positive inside,
    /// negative outside: the distance to the hull then, as far as the nearest edge tells).
    pub fn edge_distance(&self, x: f64, y: f64) -> f64 {
        let n = self.vertices.len();
        let d = (0..n)
            .map(|i| {
                let (a, b) = (self.vertices[i], self.vertices[(i + 1) % n]);
                let (ex, ey) = (b.0 - a.0, b.1 - a.1);
                let len2 = ex * ex + ey * ey;
                let t = (((x - a.0) * ex + (y - a.1) * ey) / len2).clamp(0.0, 1.0);
                (x - a.0 - t * ex).hypot(y - a.1 - t * ey)
            })
            .fold(f64::INFINITY, f64::min);
        if self.contains(x, y) {
            d
        } else {
            -d
        }
    }

    /// The hull mapped by `f` (an affine map that keeps orientation, e.g. pixels → arcsec
    /// offsets with the same sign on both axes; a reflection is fixed by reversing the order).
    pub(crate) fn mapped(&self, f: impl Fn(f64, f64) -> (f64, f64)) -> Footprint {
        let mut v: Vec<(f64, f64)> = self.vertices.iter().map(|&(x, y)| f(x, y)).collect();
        let signed: f64 = (0..v.len())
            .map(|i| {
                let (a, b) = (v[i], v[(i + 1) % v.len()]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum();
        if signed < 0.0 {
            v.reverse();
        }
        let bbox = v.iter().fold(
            [
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ],
            |b, p| [b[0].min(p.0), b[1].max(p.0), b[2].min(p.1), b[3].max(p.1)],
        );
        Footprint { vertices: v, bbox }
    }
}

/// The footprint of every CCD of `exposure` among `ccds` (all when None) that has at least
/// three events spanning an area.
pub fn ccd_footprints(exposure: &Exposure, ccds: Option<&[u8]>) -> BTreeMap<u8, Footprint> {
    let mut points: BTreeMap<u8, Vec<(f64, f64)>> = BTreeMap::new();
    for ((&c, &x), &y) in exposure.ccd().iter().zip(exposure.x()).zip(exposure.y()) {
        if ccds.is_none_or(|s| s.contains(&c)) {
            points.entry(c).or_default().push((x as f64, y as f64));
        }
    }
    points
        .into_iter()
        .filter_map(|(c, p)| Footprint::from_points(&p).map(|f| (c, f)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic low-discrepancy fill of [0, w) × [0, h) (Weyl sequence).
    fn fill(n: usize, w: f64, h: f64) -> Vec<(f64, f64)> {
        let (a, b) = (0.754_877_666_246_692_8, 0.569_840_290_998_053_2);
        (0..n)
            .map(|i| {
                let i = i as f64 + 0.5;
                (((i * a) % 1.0) * w, ((i * b) % 1.0) * h)
            })
            .collect()
    }

    #[test]
    fn hull_of_a_square_with_interior_points() {
        let mut p = vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (1.0, 0.0)];
        p.extend(fill(50, 2.0, 2.0));
        let f = Footprint::from_points(&p).unwrap();
        assert_eq!(f.vertices().len(), 4, "{:?}", f.vertices());
        assert!((f.area() - 4.0).abs() < 1e-12);
        assert!(f.contains(1.0, 1.0) && f.contains(2.0, 1.0) && f.contains(0.0, 0.0));
        assert!(!f.contains(2.0001, 1.0) && !f.contains(-0.1, 1.0) && !f.contains(1.0, 2.5));
        assert!((f.edge_distance(1.0, 0.5) - 0.5).abs() < 1e-12);
        assert!((f.edge_distance(3.0, 1.0) + 1.0).abs() < 1e-12);
        assert!(Footprint::from_points(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]).is_none());
        assert!(Footprint::from_points(&[(0.0, 0.0), (1.0, 0.0)]).is_none());
        assert!(Footprint::from_points(&[(0.0, 0.0), (1.0, 0.0), (f64::NAN, 1.0)]).is_none());
    }

    #[test]
    fn a_rotated_rectangle_filled_with_events_is_recovered_to_the_expected_accuracy() {
        // 13 200 × 5 280 pixels (a pn-like CCD of 660″ × 264″ in 0.05″ pixels), rotated 30°
        let (w, h) = (13_200.0, 5_280.0);
        let (s, c) = 30f64.to_radians().sin_cos();
        for n in [300, 3_000, 30_000] {
            let p: Vec<(f64, f64)> = fill(n, w, h)
                .into_iter()
                .map(|(x, y)| (25_000.0 + c * x - s * y, 20_000.0 + s * x + c * y))
                .collect();
            let f = Footprint::from_points(&p).unwrap();
            let missed = 1.0 - f.area() / (w * h);
            // Rényi–Sulanke for a k = 4 polygon: ≈ (8/3) ln N / N (random points; the
            // quasi-random fill here does at least as well)
            let expected = 8.0 / 3.0 * (n as f64).ln() / n as f64;
            assert!(
                missed > 0.0 && missed < 1.5 * expected,
                "n {n}: {missed} vs {expected}"
            );
            for q in &p {
                assert!(f.contains(q.0, q.1));
            }
            // the CCD's centre and a point outside
            assert!(f.contains(
                25_000.0 + c * w / 2.0 - s * h / 2.0,
                20_000.0 + s * w / 2.0 + c * h / 2.0
            ));
            assert!(!f.contains(25_000.0 - 100.0, 20_000.0));
        }
    }

    #[test]
    fn mapping_by_a_reflection_keeps_the_hull_counter_clockwise() {
        let f = Footprint::from_points(&[(0.0, 0.0), (4.0, 0.0), (4.0, 2.0), (0.0, 2.0)]).unwrap();
        let g = f.mapped(|x, y| (-0.5 * x, 0.5 * y));
        assert!((g.area() - 2.0).abs() < 1e-12);
        assert!(g.contains(-1.0, 0.5) && !g.contains(1.0, 0.5));
    }
}
