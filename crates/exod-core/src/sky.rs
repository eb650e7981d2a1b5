//! Positions on the celestial sphere: unit vectors, separations, tangent-plane offsets, and
//! [`SkyIndex`], a spatial index of unit vectors for radius queries (cross-matching, clustering
//! into unique sources; paper §3, §3.3).
//!
//! Everything works on unit vectors `(cos δ cos α, cos δ sin α, sin δ)`, so there is no special
//! case at RA = 0/360 or at the poles. Separations come from the chord `c = |u − v|` as
//! `θ = 2 asin(c / 2)`, which is accurate to rounding for arcsecond angles (unlike `acos(u·v)`).
//!
//! [`SkyIndex`] cuts the cube [−1, 1]³ into cubic cells whose side is the chord of the largest
//! search radius; a point's neighbours within that radius lie in the 3 × 3 × 3 cells around its
//! own. Cells are keyed `(ix, iy, iz)` packed in a `u64` and sorted, so the nine `(ix, iy)`
//! columns of a query are nine binary searches over contiguous key ranges. Building is one sort
//! (10⁷ positions ≈ 1 s); a query costs nine binary searches plus the candidates it checks.
//! Positions that are not finite are kept out of the index (they never match).

use std::f64::consts::PI;

/// One arcsecond in radians.
pub const ARCSEC: f64 = PI / (180.0 * 3600.0);

/// Smallest cell of a [`SkyIndex`], as an angle (arcsec): 21 bits per axis hold cells down to
/// about 0.2″; smaller radii use cells of this size (correct, slightly more candidates).
const MIN_CELL_ARCSEC: f64 = 0.25;

/// The unit vector of (`ra`, `dec`) in degrees.
pub fn unit_vector(ra: f64, dec: f64) -> [f64; 3] {
    let (sa, ca) = ra.to_radians().sin_cos();
    let (sd, cd) = dec.to_radians().sin_cos();
    [cd * ca, cd * sa, sd]
}

/// (RA in [0, 360), Dec) in degrees of a (not necessarily unit) vector.
pub fn radec(v: [f64; 3]) -> (f64, f64) {
    let rho = v[0].hypot(v[1]);
    let ra = v[1].atan2(v[0]).to_degrees().rem_euclid(360.0);
    let dec = v[2].atan2(rho).to_degrees();
    // rem_euclid can round -tiny up to 360.0 itself
    (if ra >= 360.0 { 0.0 } else { ra }, dec)
}

/// The angle (arcsec) subtended by a chord of length `c` of the unit sphere.
pub fn chord_to_arcsec(c: f64) -> f64 {
    2.0 * (c / 2.0).min(1.0).asin() / ARCSEC
}

/// The chord of the unit sphere that subtends `arcsec`.
pub fn arcsec_to_chord(arcsec: f64) -> f64 {
    2.0 * (arcsec * ARCSEC / 2.0).min(PI / 2.0).sin()
}

fn chord(u: &[f64; 3], v: &[f64; 3]) -> f64 {
    let d = [u[0] - v[0], u[1] - v[1], u[2] - v[2]];
    (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt()
}

/// Angular separation (arcsec) of two positions in degrees.
pub fn separation_arcsec(ra1: f64, dec1: f64, ra2: f64, dec2: f64) -> f64 {
    chord_to_arcsec(chord(&unit_vector(ra1, dec1), &unit_vector(ra2, dec2)))
}

/// Gnomonic (TAN) projection of (`ra`, `dec`) about (`ra0`, `dec0`): the standard coordinates
/// (ξ east, η north) in arcsec. `None` for a point 90° or more from the centre.
pub fn tangent_offset(ra0: f64, dec0: f64, ra: f64, dec: f64) -> Option<(f64, f64)> {
    let (sd0, cd0) = dec0.to_radians().sin_cos();
    let (sd, cd) = dec.to_radians().sin_cos();
    let (sda, cda) = (ra - ra0).to_radians().sin_cos();
    let cos_c = sd0 * sd + cd0 * cd * cda;
    if cos_c <= 0.0 {
        return None;
    }
    let xi = cd * sda / cos_c;
    let eta = (cd0 * sd - sd0 * cd * cda) / cos_c;
    Some((xi / ARCSEC, eta / ARCSEC))
}

/// The inverse of [`tangent_offset`]: the position (deg) whose standard coordinates about
/// (`ra0`, `dec0`) are (ξ east, η north) in arcsec. At the poles "east" follows the RA = `ra0` + 90°
/// meridian, as in the TAN projection.
pub fn offset_position(ra0: f64, dec0: f64, xi: f64, eta: f64) -> (f64, f64) {
    let (x, y) = (xi * ARCSEC, eta * ARCSEC);
    let (sd0, cd0) = dec0.to_radians().sin_cos();
    let (sa0, ca0) = ra0.to_radians().sin_cos();
    // the tangent point, its east and north unit vectors, then the projected point
    let p = [cd0 * ca0, cd0 * sa0, sd0];
    let e = [-sa0, ca0, 0.0];
    let n = [-sd0 * ca0, -sd0 * sa0, cd0];
    radec([
        p[0] + x * e[0] + y * n[0],
        p[1] + x * e[1] + y * n[1],
        p[2] + x * e[2] + y * n[2],
    ])
}

/// The EPIC frame: the offset (arcsec) of (`ra`, `dec`) from the pointing (`ra_pnt`, `dec_pnt`)
/// in axes fixed to the detector, whatever the roll of the observation (`pa_pnt`, PA_PNT in
/// degrees east of north). Detector defects (hot or flickering pixels, readout streaks) stay at
/// one place in this frame across observations; sky sources do not (paper §2.7.2).
///
/// With the standard coordinates (ξ east, η north) of the position about the pointing and
/// a = PA_PNT, the frame is EXOD2's (`hot_regions.py`, applied to sky pixels X = X₀ − ξ/0.05″,
/// Y = Y₀ + η/0.05″ and rotated by −a):
///
/// `x_E = −ξ cos a + η sin a`, `y_E = ξ sin a + η cos a`,
///
/// so `y_E` is the offset along the detector axis that points at position angle a, and `x_E`
/// the one 90° west of it (the sky X direction at a = 0). On real files (fitted on the MOS1
/// list of 0201903501 in `testdata/real`) DETX · 0.05″ = −x_E and DETY · 0.05″ = y_E up to a
/// constant. `None` for a point 90° or more away.
pub fn epic_frame(ra: f64, dec: f64, ra_pnt: f64, dec_pnt: f64, pa_pnt: f64) -> Option<(f64, f64)> {
    let (xi, eta) = tangent_offset(ra_pnt, dec_pnt, ra, dec)?;
    let (s, c) = pa_pnt.to_radians().sin_cos();
    Some((-xi * c + eta * s, xi * s + eta * c))
}

/// The inverse of [`epic_frame`]: the sky position (deg) at EPIC-frame offset (`x_e`, `y_e`)
/// (arcsec) of an observation pointed at (`ra_pnt`, `dec_pnt`) with roll `pa_pnt`.
pub fn from_epic_frame(x_e: f64, y_e: f64, ra_pnt: f64, dec_pnt: f64, pa_pnt: f64) -> (f64, f64) {
    let (s, c) = pa_pnt.to_radians().sin_cos();
    let xi = -x_e * c + y_e * s;
    let eta = x_e * s + y_e * c;
    offset_position(ra_pnt, dec_pnt, xi, eta)
}

/// A spatial index of positions for radius queries (see the module docs).
#[derive(Debug, Clone)]
pub struct SkyIndex {
    /// Cell side (chord).
    cell: f64,
    /// Largest radius a query may ask (arcsec).
    max_radius: f64,
    /// Sorted cell keys, one per indexed position.
    keys: Vec<u64>,
    /// Index of the position of each key, in the caller's numbering.
    ids: Vec<u32>,
    /// Unit vector of each key.
    vecs: Vec<[f64; 3]>,
    /// Number of positions given (finite or not).
    n_input: usize,
}

const AXIS_BITS: u32 = 21;
const AXIS_MASK: u64 = (1 << AXIS_BITS) - 1;

impl SkyIndex {
    /// Index the positions (`ra[i]`, `dec[i]`) in degrees for queries of radius up to
    /// `max_radius_arcsec`. Returned indices are positions in these slices.
    ///
    /// # Panics
    /// If the slices differ in length or hold more than `u32::MAX` positions.
    pub fn new(ra: &[f64], dec: &[f64], max_radius_arcsec: f64) -> SkyIndex {
        assert_eq!(ra.len(), dec.len(), "SkyIndex: RA and Dec lengths differ");
        assert!(ra.len() < u32::MAX as usize, "SkyIndex: too many positions");
        let max_radius = max_radius_arcsec.max(0.0);
        let cell = arcsec_to_chord(max_radius.max(MIN_CELL_ARCSEC));
        let mut entries: Vec<(u64, u32, [f64; 3])> = (0..ra.len())
            .filter(|&i| ra[i].is_finite() && dec[i].is_finite())
            .map(|i| {
                let v = unit_vector(ra[i], dec[i]);
                (key(cell_of(&v, cell)), i as u32, v)
            })
            .collect();
        entries.sort_unstable_by_key(|e| (e.0, e.1));
        SkyIndex {
            cell,
            max_radius,
            keys: entries.iter().map(|e| e.0).collect(),
            ids: entries.iter().map(|e| e.1).collect(),
            vecs: entries.iter().map(|e| e.2).collect(),
            n_input: ra.len(),
        }
    }

    /// Number of positions given to [`SkyIndex::new`] (indexed or not).
    pub fn len(&self) -> usize {
        self.n_input
    }

    /// Whether no position was given.
    pub fn is_empty(&self) -> bool {
        self.n_input == 0
    }

    /// The largest radius (arcsec) a query may use.
    pub fn max_radius(&self) -> f64 {
        self.max_radius
    }

    /// Every indexed position within `radius_arcsec` (≤ [`SkyIndex::max_radius`], larger radii
    /// are clamped to it) of (`ra`, `dec`), as (index, separation in arcsec), sorted by
    /// separation then index. `out` is cleared first.
    pub fn within(&self, ra: f64, dec: f64, radius_arcsec: f64, out: &mut Vec<(u32, f64)>) {
        self.within_unsorted(ra, dec, radius_arcsec, out);
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    }

    /// As [`SkyIndex::within`], in the index's own (deterministic) order: for callers that
    /// count or union the neighbours and need no sort.
    pub fn within_unsorted(
        &self,
        ra: f64,
        dec: f64,
        radius_arcsec: f64,
        out: &mut Vec<(u32, f64)>,
    ) {
        out.clear();
        if !(ra.is_finite() && dec.is_finite()) || self.keys.is_empty() {
            return;
        }
        let r = radius_arcsec.min(self.max_radius);
        if r < 0.0 {
            return;
        }
        let q = unit_vector(ra, dec);
        // a small margin on the chord so rounding never drops a pair at exactly `r`
        let limit = arcsec_to_chord(r) * (1.0 + 1e-12) + 1e-15;
        let c = cell_of(&q, self.cell);
        for dx in -1i64..=1 {
            for dy in -1i64..=1 {
                let (x, y) = (c[0] + dx, c[1] + dy);
                if !(0..=AXIS_MASK as i64).contains(&x) || !(0..=AXIS_MASK as i64).contains(&y) {
                    continue;
                }
                let z0 = (c[2] - 1).max(0);
                let z1 = (c[2] + 1).min(AXIS_MASK as i64);
                let lo = self.keys.partition_point(|&k| k < key([x, y, z0]));
                let hi = lo + self.keys[lo..].partition_point(|&k| k <= key([x, y, z1]));
                for j in lo..hi {
                    let d = chord(&q, &self.vecs[j]);
                    if d <= limit {
                        out.push((self.ids[j], chord_to_arcsec(d).min(r)));
                    }
                }
            }
        }
    }

    /// The nearest indexed position within `radius_arcsec` of (`ra`, `dec`) (ties: the lower
    /// index), as (index, separation in arcsec).
    pub fn nearest(&self, ra: f64, dec: f64, radius_arcsec: f64) -> Option<(u32, f64)> {
        let mut out = Vec::new();
        self.within(ra, dec, radius_arcsec, &mut out);
        out.first().copied()
    }
}

fn cell_of(v: &[f64; 3], cell: f64) -> [i64; 3] {
    let f = |x: f64| (((x + 1.0) / cell).floor() as i64).clamp(0, AXIS_MASK as i64);
    [f(v[0]), f(v[1]), f(v[2])]
}

fn key(c: [i64; 3]) -> u64 {
    ((c[0] as u64) << (2 * AXIS_BITS)) | ((c[1] as u64) << AXIS_BITS) | c[2] as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::catalog::testutil::lcg;

    #[test]
    fn separation_matches_the_haversine_formula() {
        let cases = [
            (10.0, 20.0, 10.001, 20.002),
            (359.999, -30.0, 0.001, -30.0),
            (0.0, 89.999, 180.0, 89.999),
            (123.0, -45.0, 124.0, -46.0),
        ];
        for (a1, d1, a2, d2) in cases {
            let (a1, d1, a2, d2): (f64, f64, f64, f64) = (a1, d1, a2, d2);
            let (p1, p2) = (f64::to_radians(d1), f64::to_radians(d2));
            let dl = (a2 - a1).to_radians();
            let h =
                ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
            let hav = 2.0 * h.sqrt().asin() / ARCSEC;
            let s = separation_arcsec(a1, d1, a2, d2);
            assert!((s - hav).abs() < 1e-6 * hav.max(1.0), "{s} vs {hav}");
        }
        // across RA = 0: 0.002° of RA at Dec −30 is 7.2″ cos 30°
        let s = separation_arcsec(359.999, -30.0, 0.001, -30.0);
        assert!((s - 7.2 * 30f64.to_radians().cos()).abs() < 1e-4, "{s}");
    }

    #[test]
    fn tangent_offsets_round_trip_everywhere() {
        for &(ra0, dec0) in &[(0.0, 0.0), (359.99, -30.0), (150.0, 89.9), (10.0, -89.95)] {
            for &(xi, eta) in &[(0.0, 0.0), (300.0, -200.0), (-900.0, 900.0)] {
                let (ra, dec) = offset_position(ra0, dec0, xi, eta);
                let (x, y) = tangent_offset(ra0, dec0, ra, dec).unwrap();
                assert!((x - xi).abs() < 1e-6 && (y - eta).abs() < 1e-6, "{x},{y}");
                // the offset's length is the separation (TAN: tan θ = ρ)
                let rho = (xi * xi + eta * eta).sqrt() * ARCSEC;
                let sep = separation_arcsec(ra0, dec0, ra, dec);
                assert!((sep - rho.atan() / ARCSEC).abs() < 1e-6, "{sep}");
            }
        }
        // east is increasing RA
        let (ra, _) = offset_position(100.0, 0.0, 36.0, 0.0);
        assert!((ra - 100.01).abs() < 1e-9);
    }

    fn brute(ra: &[f64], dec: &[f64], q: (f64, f64), r: f64) -> Vec<u32> {
        (0..ra.len())
            .filter(|&i| ra[i].is_finite() && separation_arcsec(q.0, q.1, ra[i], dec[i]) <= r)
            .map(|i| i as u32)
            .collect()
    }

    #[test]
    fn index_agrees_with_brute_force_at_the_wrap_and_the_poles() {
        let mut s = 7u64;
        let mut ra = Vec::new();
        let mut dec = Vec::new();
        // clumps at RA = 0 (both sides), at both poles and in an ordinary field, 60″ wide
        for &(a0, d0) in &[
            (0.0, 0.0),
            (0.0, -30.0),
            (45.0, 89.99),
            (200.0, -89.995),
            (150.0, 2.0),
        ] {
            for _ in 0..400 {
                let (x, y) = ((lcg(&mut s) - 0.5) * 120.0, (lcg(&mut s) - 0.5) * 120.0);
                let (a, d) = offset_position(a0, d0, x, y);
                ra.push(a);
                dec.push(d);
            }
        }
        ra.push(f64::NAN);
        dec.push(10.0);
        let idx = SkyIndex::new(&ra, &dec, 20.0);
        assert_eq!(idx.len(), ra.len());
        let mut out = Vec::new();
        for q in 0..ra.len() - 1 {
            for r in [0.0, 3.0, 20.0] {
                idx.within(ra[q], dec[q], r, &mut out);
                let mut got: Vec<u32> = out.iter().map(|m| m.0).collect();
                got.sort();
                assert_eq!(got, brute(&ra, &dec, (ra[q], dec[q]), r), "query {q} r {r}");
                assert!(out.windows(2).all(|w| w[0].1 <= w[1].1));
            }
        }
        // a NaN query finds nothing; the NaN position is never found
        idx.within(f64::NAN, 0.0, 20.0, &mut out);
        assert!(out.is_empty());
        let near = idx.nearest(ra[5] + 1e-6, dec[5], 20.0).unwrap();
        assert_eq!(near.0, 5);
    }

    #[test]
    fn radius_is_clamped_to_the_index_maximum() {
        let ra = [10.0, 10.0];
        let dec = [0.0, 30.0 / 3600.0];
        let idx = SkyIndex::new(&ra, &dec, 20.0);
        let mut out = Vec::new();
        idx.within(10.0, 0.0, 60.0, &mut out);
        assert_eq!(out.len(), 1, "the 30″ neighbour is beyond the 20″ maximum");
        let idx = SkyIndex::new(&ra, &dec, 60.0);
        idx.within(10.0, 0.0, 60.0, &mut out);
        assert_eq!(out.len(), 2);
        assert!((out[1].1 - 30.0).abs() < 1e-6);
    }

    #[test]
    fn epic_frame_is_fixed_to_the_detector() {
        // a detector spot 5′ along the axis at position angle PA: the sky position moves with the
        // roll, the EPIC-frame position does not
        for &(ra0, dec0) in &[(150.0, 2.0), (359.99, -30.0), (20.0, 80.0)] {
            let mut sky = Vec::new();
            for pa in [0.0, 62.0, 200.0, 300.0] {
                let (ra, dec) = from_epic_frame(120.0, 300.0, ra0, dec0, pa);
                let (x, y) = epic_frame(ra, dec, ra0, dec0, pa).unwrap();
                assert!((x - 120.0).abs() < 1e-6 && (y - 300.0).abs() < 1e-6);
                sky.push((ra, dec));
            }
            let s = separation_arcsec(sky[0].0, sky[0].1, sky[1].0, sky[1].1);
            assert!(s > 100.0, "the sky position moves with the roll: {s}");
        }
        // at PA = 0 the detector axis y_E is north and x_E is west (sky pixel X)
        let (ra, dec) = offset_position(10.0, 0.0, -60.0, 0.0); // 60″ west
        let (x, y) = epic_frame(ra, dec, 10.0, 0.0, 0.0).unwrap();
        assert!((x - 60.0).abs() < 1e-6 && y.abs() < 1e-6);
        // at PA = 90° the axis y_E points east
        let (ra, dec) = offset_position(10.0, 0.0, 60.0, 0.0);
        let (x, y) = epic_frame(ra, dec, 10.0, 0.0, 90.0).unwrap();
        assert!(x.abs() < 1e-6 && (y - 60.0).abs() < 1e-6, "{x} {y}");
    }

    #[test]
    fn radec_inverts_unit_vector() {
        for &(a, d) in &[(0.0, 0.0), (359.9999, -12.0), (180.0, 89.0), (75.0, -90.0)] {
            let (a2, d2) = radec(unit_vector(a, d));
            assert!((d2 - d).abs() < 1e-9);
            if d.abs() < 90.0 {
                assert!((a2 - a).abs() < 1e-9, "{a2} vs {a}");
            }
        }
    }
}
