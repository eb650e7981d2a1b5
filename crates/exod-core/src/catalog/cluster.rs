//! Unique sources by friends-of-friends (paper §3.2, Table 3).
//!
//! Two detections are *friends* when their separation is at most
//!
//! `r(e₁, e₂) = max(link_arcsec, min(link_nsigma · √(e₁² + e₂²), link_max_arcsec))`,
//!
//! with `e₁`, `e₂` their 1σ radial position errors (a NaN error leaves `link_arcsec` alone). A
//! source is a connected component of the friendship graph (union–find), so the grouping is
//! transitive and independent of the input order, unlike EXOD2's ball assignment (reference §8.4).
//!
//! Why this rule: 20″ (`link_arcsec`) is the paper's clustering radius, one cell of the search
//! grid, below which two detections of one cell cannot be told apart; the error term joins faint
//! off-axis detections whose positions scatter by more than a cell (3σ of the combined error of
//! the pair); the cap (40″, two cells) stops a few very poor positions from chaining unrelated
//! sources together.
//!
//! The sky index ([`crate::sky::SkyIndex`]) is built once with the largest radius any pair can
//! use; each detection's query uses the largest radius its own error allows, queries run in
//! parallel on the current rayon pool, and unions are applied afterwards (their order does not
//! change the components). Unit vectors make RA = 0/360 and the poles ordinary places.

use rayon::prelude::*;

use crate::sky::SkyIndex;

/// The linking rule (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LinkParams {
    /// Linking length whatever the errors (arcsec). Default 20, the paper's radius (one cell).
    pub link_arcsec: f64,
    /// Multiple of the pair's combined 1σ error that also links them. Default 3.
    pub link_nsigma: f64,
    /// Cap on the error term (arcsec). Default 40.
    pub link_max_arcsec: f64,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            link_arcsec: 20.0,
            link_nsigma: 3.0,
            link_max_arcsec: 40.0,
        }
    }
}

impl LinkParams {
    /// The linking radius (arcsec) of two detections with errors `e1`, `e2` (arcsec).
    pub fn radius(&self, e1: f64, e2: f64) -> f64 {
        let term = self.link_nsigma * e1.hypot(e2);
        if term.is_finite() {
            self.link_arcsec.max(term.min(self.link_max_arcsec))
        } else {
            self.link_arcsec
        }
    }

    /// The largest radius any pair can use (arcsec).
    pub fn max_radius(&self) -> f64 {
        if self.link_nsigma > 0.0 {
            self.link_arcsec.max(self.link_max_arcsec)
        } else {
            self.link_arcsec
        }
    }
}

/// Union–find over `0..n` with the smallest index as the root of each set.
pub(crate) struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    pub(crate) fn find(&mut self, mut i: u32) -> u32 {
        while self.parent[i as usize] != i {
            let g = self.parent[self.parent[i as usize] as usize];
            self.parent[i as usize] = g;
            i = g;
        }
        i
    }

    pub(crate) fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi as usize] = lo;
        }
    }

    /// Component labels `0..k`, numbered by their first member.
    pub(crate) fn labels(mut self) -> Vec<u32> {
        let n = self.parent.len();
        let mut label = vec![u32::MAX; n];
        let mut next = 0u32;
        let mut out = Vec::with_capacity(n);
        for i in 0..n as u32 {
            let r = self.find(i) as usize;
            if label[r] == u32::MAX {
                label[r] = next;
                next += 1;
            }
            out.push(label[r]);
        }
        out
    }
}

/// The source label (`0..k`, numbered by the first member in input order) of each detection
/// (`ra`, `dec` in deg, `err` the 1σ radial error in arcsec, may be NaN). Positions that are not
/// finite are sources of their own.
///
/// # Panics
/// If the slices differ in length.
pub fn friends_of_friends(ra: &[f64], dec: &[f64], err: &[f64], p: &LinkParams) -> Vec<u32> {
    assert!(
        ra.len() == dec.len() && err.len() == ra.len(),
        "friends_of_friends: lengths differ"
    );
    let n = ra.len();
    let index = SkyIndex::new(ra, dec, p.max_radius());
    let e_max = err
        .iter()
        .filter(|e| e.is_finite())
        .fold(0.0f64, |a, &e| a.max(e));
    let chunks: Vec<(usize, usize)> = (0..n)
        .step_by(4096)
        .map(|s| (s, (s + 4096).min(n)))
        .collect();
    let edges: Vec<Vec<(u32, u32)>> = chunks
        .par_iter()
        .map(|&(s, e)| {
            let mut out = Vec::new();
            let mut found = Vec::new();
            for i in s..e {
                let r = p.radius(err[i], e_max);
                index.within_unsorted(ra[i], dec[i], r, &mut found);
                for &(j, sep) in &found {
                    if (j as usize) > i && sep <= p.radius(err[i], err[j as usize]) {
                        out.push((i as u32, j));
                    }
                }
            }
            out
        })
        .collect();
    let mut uf = UnionFind::new(n);
    for (a, b) in edges.into_iter().flatten() {
        uf.union(a, b);
    }
    uf.labels()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testutil::lcg;
    use crate::sky::{offset_position, separation_arcsec};

    /// Components by brute force (every pair), for comparison.
    fn brute(ra: &[f64], dec: &[f64], err: &[f64], p: &LinkParams) -> Vec<u32> {
        let mut uf = UnionFind::new(ra.len());
        for i in 0..ra.len() {
            for j in i + 1..ra.len() {
                if separation_arcsec(ra[i], dec[i], ra[j], dec[j]) <= p.radius(err[i], err[j]) {
                    uf.union(i as u32, j as u32);
                }
            }
        }
        uf.labels()
    }

    #[test]
    fn the_linking_rule() {
        let p = LinkParams::default();
        assert_eq!(p.radius(1.0, 1.0), 20.0);
        assert!((p.radius(6.0, 8.0) - 30.0).abs() < 1e-12);
        assert_eq!(p.radius(30.0, 30.0), 40.0);
        assert_eq!(p.radius(f64::NAN, 30.0), 20.0);
    }

    #[test]
    fn chains_link_transitively() {
        // 15″ steps along a line: each pair of neighbours is linked, the ends are 45″ apart
        let ra: Vec<f64> = (0..4).map(|k| 10.0 + k as f64 * 15.0 / 3600.0).collect();
        let dec = vec![0.0; 4];
        let l = friends_of_friends(&ra, &dec, &[f64::NAN; 4], &LinkParams::default());
        assert_eq!(l, vec![0, 0, 0, 0]);
        // 25″ apart: linked only through their errors (3 · √(5² + 5²) = 21.2″)
        let ra = [10.0, 10.0 + 25.0 / 3600.0];
        let l = friends_of_friends(&ra, &[0.0; 2], &[5.0, 5.0], &LinkParams::default());
        assert_eq!(l, vec![0, 1]);
        let l = friends_of_friends(&ra, &[0.0; 2], &[6.0, 6.0], &LinkParams::default());
        assert_eq!(l, vec![0, 0]);
    }

    #[test]
    fn agrees_with_brute_force_across_the_wrap_and_at_the_poles() {
        let mut s = 11u64;
        let (mut ra, mut dec, mut err) = (Vec::new(), Vec::new(), Vec::new());
        for &(a0, d0) in &[(0.0, 0.0), (0.0, 60.0), (30.0, 90.0), (200.0, -89.99)] {
            for _ in 0..150 {
                let (x, y) = ((lcg(&mut s) - 0.5) * 400.0, (lcg(&mut s) - 0.5) * 400.0);
                let (a, d) = offset_position(a0, d0, x, y);
                ra.push(a);
                dec.push(d);
                err.push(if lcg(&mut s) < 0.2 {
                    f64::NAN
                } else {
                    lcg(&mut s) * 12.0
                });
            }
        }
        let p = LinkParams::default();
        let got = friends_of_friends(&ra, &dec, &err, &p);
        assert_eq!(got, brute(&ra, &dec, &err, &p));
        let k = *got.iter().max().unwrap() as usize + 1;
        assert!(k > 20 && k < ra.len() - 20, "a non-trivial partition: {k}");
        // a pair straddling RA = 0 and a pair across the pole are one source each
        let ra = [359.999, 0.001, 0.0, 180.0];
        let dec = [10.0, 10.0, 89.999, 89.999];
        let l = friends_of_friends(&ra, &dec, &[f64::NAN; 4], &p);
        assert_eq!(l, vec![0, 0, 1, 1]);
    }
}
