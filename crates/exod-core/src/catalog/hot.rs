//! Hot areas found from the data (paper §2.7.2). EXOD2 drew 43 rectangles by eye on maps of the
//! detections in the detector frame (reference §8.2); here the over-dense spots are found.
//!
//! Every detection with a pointing is placed in the EPIC frame ([`crate::sky::epic_frame`]):
//! offsets from the pointing in axes fixed to the detector. A detector defect stays at one place
//! there across observations; a sky source moves on a circle about the pointing as the roll
//! changes; targets sit at the centre, so detections within `exclude_center_arcsec` of it take no
//! part (as in the paper). Each t_bin class is searched on its own (defects differ by t_bin).
//!
//! **Background.** For each observation o of the class, `n_o` is its number of detections
//! between `exclude_center_arcsec` and `fov_radius_arcsec` (the field of view, area `A_fov`).
//! Spread uniformly, they put at least one detection in an area A with probability
//! `1 − exp(−n_o A / A_fov)`, so the number of distinct observations with a detection in A is a
//! sum of Bernoulli trials, taken as Poisson with mean `λ(A) = Σ_o (1 − exp(−n_o A / A_fov))`.
//! A detector-wide mean is the paper's reference too (it flagged over-dense areas against the
//! rest of the detector, including the wide MOS crescent).
//!
//! **Trials.** The whole field is searched, so a count is judged by its chance of appearing
//! *anywhere* in it: with `p` the probability of at least k observations in one area A, the
//! field holds `N = A_fov / A` such areas and the trials-corrected probability is
//! `1 − (1 − p)^N`. (At the test densities of 500 random detections in 25 observations, four
//! observations within 15″ somewhere is a 1-in-10 event; uncorrected, it would pass 10⁻³.)
//!
//! **Clustering.** A plain friends-of-friends at 15″ percolates at archive densities (tens of
//! detections within 15″ of any spot at 5 s), so it is run on *over-dense* detections only (as
//! in DBSCAN): detection i of observation o is a core point when the detections within
//! `link_arcsec` of it come from `k ≥ min_obs` distinct observations and the `k − 1` others are
//! improbable, trials-corrected `P(X ≥ k − 1 | λ(π link²) − term of o) < p_max`. Cores within
//! `link_arcsec` are friends; each other detection within `link_arcsec` of a core joins the
//! nearest core's group.
//!
//! **Decision.** A group is a hot area when it holds detections of at least `min_obs` distinct
//! observations and `p_value`, the trials-corrected `P(X ≥ n_obs | λ(A))` with
//! `A = π max(r, link)²` and `r` the largest distance of a member from the group's mean
//! position, is below `p_max`. Its members are flagged `hot_area`.
//! Defaults: 15″ (defects are sharp, narrower than the 20″ cells), 4 observations, 10⁻³, 60″,
//! 900″ (the 30′ EPIC field).

use std::collections::HashMap;
use std::f64::consts::PI;

use rayon::prelude::*;
use statrs::function::gamma::gamma_lr;

use super::cluster::UnionFind;
use super::CatDetection;
use crate::sky::{epic_frame, offset_position, SkyIndex};

/// Parameters of the hot-area search (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HotParams {
    /// Linking length in the EPIC frame (arcsec). Default 15.
    pub link_arcsec: f64,
    /// Fewest distinct observations of a hot area. Default 4.
    pub min_obs: usize,
    /// Largest chance probability of a hot area's number of observations. Default 1e-3.
    pub p_max: f64,
    /// Detections closer than this to the pointing are left out (arcsec). Default 60.
    pub exclude_center_arcsec: f64,
    /// Radius of the field of view for the background density (arcsec). Default 900.
    pub fov_radius_arcsec: f64,
}

impl Default for HotParams {
    fn default() -> Self {
        HotParams {
            link_arcsec: 15.0,
            min_obs: 4,
            p_max: 1e-3,
            exclude_center_arcsec: 60.0,
            fov_radius_arcsec: 900.0,
        }
    }
}

/// One hot area.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HotArea {
    /// 1-based, ordered by (t_bin, x_e, y_e).
    pub id: u32,
    /// The t_bin class (s).
    pub tbin: f64,
    /// Mean EPIC-frame x of its detections (arcsec).
    pub x_e: f64,
    /// Mean EPIC-frame y of its detections (arcsec).
    pub y_e: f64,
    /// Largest distance of a member from (x_e, y_e) (arcsec).
    pub radius_arcsec: f64,
    /// Number of detections in it.
    pub n_detections: usize,
    /// Number of distinct observations among them.
    pub n_obs: usize,
    /// Chance probability of `n_obs` (see the module docs).
    pub p_value: f64,
}

/// The hot areas and where every detection falls.
#[derive(Debug, Clone, Default)]
pub struct HotAreas {
    /// Hot areas ordered by id.
    pub areas: Vec<HotArea>,
    /// EPIC-frame position (arcsec) of each input detection, `None` without a pointing.
    pub epic: Vec<Option<(f64, f64)>>,
    /// Hot-area id of each input detection, if it is in one.
    pub area_of: Vec<Option<u32>>,
}

/// EPIC-frame positions (arcsec) of `dets` (`None` without a pointing or a finite position).
pub fn epic_positions(dets: &[CatDetection]) -> Vec<Option<(f64, f64)>> {
    dets.iter()
        .map(|d| {
            let p = d.pointing?;
            epic_frame(d.ra, d.dec, p.ra, p.dec, p.pa)
                .filter(|(x, y)| x.is_finite() && y.is_finite())
        })
        .collect()
}

/// `P(X ≥ k)` for X Poisson with mean `lambda`.
pub fn poisson_sf(k: usize, lambda: f64) -> f64 {
    if k == 0 {
        1.0
    } else if lambda.is_nan() || lambda <= 0.0 {
        0.0
    } else {
        gamma_lr(k as f64, lambda)
    }
}

/// The chance of `k` or more observations in some area `area` of a field of `a_fov`, when one
/// such area holds a Poisson number of mean `lambda` (see the module docs).
pub fn trials_sf(k: usize, lambda: f64, area: f64, a_fov: f64) -> f64 {
    let p = poisson_sf(k, lambda);
    let n = (a_fov / area).max(1.0);
    (-(n * (-p).ln_1p()).exp_m1()).clamp(0.0, 1.0)
}

/// Find the hot areas of `dets` (see the module docs).
pub fn find_hot_areas(dets: &[CatDetection], p: &HotParams) -> HotAreas {
    let epic = epic_positions(dets);
    let mut classes: Vec<(f64, Vec<usize>)> = Vec::new();
    for (i, d) in dets.iter().enumerate() {
        let Some((x, y)) = epic[i] else { continue };
        if x.hypot(y) < p.exclude_center_arcsec || !d.tbin.is_finite() {
            continue;
        }
        match classes.iter_mut().find(|c| c.0 == d.tbin) {
            Some(c) => c.1.push(i),
            None => classes.push((d.tbin, vec![i])),
        }
    }
    classes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut found: Vec<(HotArea, Vec<usize>)> = Vec::new();
    for (tbin, members) in &classes {
        found.extend(search_class(dets, &epic, *tbin, members, p));
    }
    found.sort_by(|a, b| {
        (a.0.tbin.total_cmp(&b.0.tbin))
            .then(a.0.x_e.total_cmp(&b.0.x_e))
            .then(a.0.y_e.total_cmp(&b.0.y_e))
    });
    let mut area_of = vec![None; dets.len()];
    let mut areas = Vec::with_capacity(found.len());
    for (k, (mut a, m)) in found.into_iter().enumerate() {
        a.id = k as u32 + 1;
        for i in m {
            area_of[i] = Some(a.id);
        }
        areas.push(a);
    }
    HotAreas {
        areas,
        epic,
        area_of,
    }
}

/// The background of one t_bin class: detections per observation in the field of view.
struct Background {
    n_obs: Vec<f64>,
    a_fov: f64,
}

impl Background {
    fn term(&self, o: usize, area: f64) -> f64 {
        1.0 - (-self.n_obs[o] * area / self.a_fov).exp()
    }

    fn lambda(&self, area: f64) -> f64 {
        (0..self.n_obs.len()).map(|o| self.term(o, area)).sum()
    }
}

/// Hot areas (without ids) of one t_bin class and their members (indices into `dets`).
fn search_class(
    dets: &[CatDetection],
    epic: &[Option<(f64, f64)>],
    tbin: f64,
    members: &[usize],
    p: &HotParams,
) -> Vec<(HotArea, Vec<usize>)> {
    // queries in rows of the plane, so consecutive ones touch the same part of the index
    let row = |i: usize| (epic[i].expect("has a frame").1 / p.link_arcsec).floor();
    let mut members = members.to_vec();
    members.sort_by(|&a, &b| {
        (row(a).total_cmp(&row(b)))
            .then(epic[a].unwrap().0.total_cmp(&epic[b].unwrap().0))
            .then(a.cmp(&b))
    });
    let members = &members[..];
    let mut obs_ids: HashMap<&str, usize> = HashMap::new();
    let obs: Vec<usize> = members
        .iter()
        .map(|&i| {
            let n = obs_ids.len();
            *obs_ids.entry(dets[i].obsid.as_str()).or_insert(n)
        })
        .collect();
    let xy: Vec<(f64, f64)> = members
        .iter()
        .map(|&i| epic[i].expect("has a frame"))
        .collect();
    let mut bg = Background {
        n_obs: vec![0.0; obs_ids.len()],
        a_fov: PI * (p.fov_radius_arcsec.powi(2) - p.exclude_center_arcsec.powi(2)).max(1.0),
    };
    for (k, &(x, y)) in xy.iter().enumerate() {
        if x.hypot(y) <= p.fov_radius_arcsec {
            bg.n_obs[obs[k]] += 1.0;
        }
    }
    // the plane as a tangent plane at (0, 0): separations equal plane distances to < 1e-4″
    let (ra, dec): (Vec<f64>, Vec<f64>) = xy
        .iter()
        .map(|&(x, y)| offset_position(0.0, 0.0, x, y))
        .unzip();
    let index = SkyIndex::new(&ra, &dec, p.link_arcsec);
    let core = core_points(&index, &ra, &dec, &obs, &bg, p);
    let groups = group_cores(&index, &ra, &dec, &core, p.link_arcsec);
    groups
        .into_iter()
        .filter_map(|g| {
            let area = summarize(&g, &xy, &obs, &bg, tbin, p)?;
            Some((area, g.iter().map(|&k| members[k]).collect()))
        })
        .collect()
}

/// Whether each detection of the class is a core point (over-dense, see the module docs).
fn core_points(
    index: &SkyIndex,
    ra: &[f64],
    dec: &[f64],
    obs: &[usize],
    bg: &Background,
    p: &HotParams,
) -> Vec<bool> {
    let a_link = PI * p.link_arcsec.powi(2);
    let lambda = bg.lambda(a_link);
    // the tail grows with λ, and λ of the others lies in [λ − largest term, λ]: counts from
    // `k_sure` on are cores whatever the observation, counts below `k_never` never are
    let max_term = (0..bg.n_obs.len())
        .map(|o| bg.term(o, a_link))
        .fold(0.0, f64::max);
    let smallest_k = |lam: f64| {
        (1usize..)
            .find(|&k| trials_sf(k - 1, lam, a_link, bg.a_fov) < p.p_max)
            .expect("the tail vanishes")
    };
    let k_sure = smallest_k(lambda).max(p.min_obs);
    let k_never = smallest_k((lambda - max_term).max(0.0));
    (0..ra.len())
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(found, seen): &mut (Vec<(u32, f64)>, Vec<usize>), k| {
                index.within_unsorted(ra[k], dec[k], p.link_arcsec, found);
                // distinct observations are at most the detections found
                if found.len() < p.min_obs.max(k_never) {
                    return false;
                }
                seen.clear();
                seen.extend(found.iter().map(|&(j, _)| obs[j as usize]));
                seen.sort_unstable();
                seen.dedup();
                let n = seen.len();
                if n < p.min_obs.max(k_never) {
                    return false;
                }
                if n >= k_sure {
                    return true;
                }
                let others = (lambda - bg.term(obs[k], a_link)).max(0.0);
                trials_sf(n - 1, others, a_link, bg.a_fov) < p.p_max
            },
        )
        .collect()
}

/// Groups of class members: cores linked within `link`, plus every other member within `link` of
/// a core (joining the nearest core's group). Each group's members are sorted.
fn group_cores(
    index: &SkyIndex,
    ra: &[f64],
    dec: &[f64],
    core: &[bool],
    link: f64,
) -> Vec<Vec<usize>> {
    let n = ra.len();
    let mut uf = UnionFind::new(n);
    if !core.contains(&true) {
        return Vec::new();
    }
    let mut found = Vec::new();
    for k in (0..n).filter(|&k| core[k]) {
        index.within_unsorted(ra[k], dec[k], link, &mut found);
        for &(j, _) in &found {
            if core[j as usize] {
                uf.union(k as u32, j);
            }
        }
    }
    let nearest_core: Vec<Option<u32>> = (0..n)
        .into_par_iter()
        .map_init(Vec::new, |found, k| {
            if core[k] {
                return None;
            }
            index.within(ra[k], dec[k], link, found);
            found
                .iter()
                .find(|&&(j, _)| core[j as usize])
                .map(|&(j, _)| j)
        })
        .collect();
    let labels = uf.labels();
    let mut groups: HashMap<u32, Vec<usize>> = HashMap::new();
    for k in 0..n {
        let anchor = if core[k] {
            Some(k as u32)
        } else {
            nearest_core[k]
        };
        if let Some(a) = anchor {
            groups.entry(labels[a as usize]).or_default().push(k);
        }
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().collect();
    out.sort();
    out
}

/// The hot area of a group, if it is one (see the module docs).
fn summarize(
    g: &[usize],
    xy: &[(f64, f64)],
    obs: &[usize],
    bg: &Background,
    tbin: f64,
    p: &HotParams,
) -> Option<HotArea> {
    let m = g.len() as f64;
    let x_e = g.iter().map(|&k| xy[k].0).sum::<f64>() / m;
    let y_e = g.iter().map(|&k| xy[k].1).sum::<f64>() / m;
    let radius = g
        .iter()
        .map(|&k| (xy[k].0 - x_e).hypot(xy[k].1 - y_e))
        .fold(0.0f64, f64::max);
    let mut o: Vec<usize> = g.iter().map(|&k| obs[k]).collect();
    o.sort_unstable();
    o.dedup();
    let r = radius.max(p.link_arcsec);
    let a = PI * r * r;
    let p_value = trials_sf(o.len(), bg.lambda(a), a, bg.a_fov);
    (o.len() >= p.min_obs && p_value < p.p_max).then_some(HotArea {
        id: 0,
        tbin,
        x_e,
        y_e,
        radius_arcsec: radius,
        n_detections: g.len(),
        n_obs: o.len(),
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testutil::{det, lcg};
    use crate::catalog::Pointing;
    use crate::sky::from_epic_frame;

    /// `n_obs` observations of random fields and rolls, `per_obs` random sky detections in each
    /// (uniform over the 60″–900″ annulus).
    fn random_sky(n_obs: usize, per_obs: usize, s: &mut u64) -> Vec<CatDetection> {
        let mut out = Vec::new();
        for o in 0..n_obs {
            let pnt = Pointing {
                ra: lcg(s) * 360.0,
                dec: (lcg(s) * 2.0 - 1.0).asin().to_degrees(),
                pa: lcg(s) * 360.0,
            };
            for k in 0..per_obs {
                let r = (60f64.powi(2) + lcg(s) * (900f64.powi(2) - 60f64.powi(2))).sqrt();
                let t = lcg(s) * 2.0 * PI;
                let (ra, dec) = from_epic_frame(r * t.cos(), r * t.sin(), pnt.ra, pnt.dec, pnt.pa);
                let mut d = det(&format!("sky_{o}_{k}"), &format!("{o:010}"), ra, dec, 2.0);
                d.pointing = Some(pnt);
                out.push(d);
            }
        }
        out
    }

    /// A defect at EPIC (x, y) seen in the first `n` observations of `sky` (their pointings),
    /// two detections each with 2″ of scatter.
    fn defect(
        sky: &[CatDetection],
        per_obs: usize,
        n: usize,
        x: f64,
        y: f64,
        s: &mut u64,
    ) -> Vec<CatDetection> {
        let mut out = Vec::new();
        for o in 0..n {
            let pnt = sky[o * per_obs].pointing.unwrap();
            for k in 0..2 {
                let (dx, dy) = ((lcg(s) - 0.5) * 4.0, (lcg(s) - 0.5) * 4.0);
                let (ra, dec) = from_epic_frame(x + dx, y + dy, pnt.ra, pnt.dec, pnt.pa);
                let mut d = det(&format!("hot_{o}_{k}"), &format!("{o:010}"), ra, dec, 2.0);
                d.pointing = Some(pnt);
                out.push(d);
            }
        }
        out
    }

    #[test]
    fn a_defect_in_eight_observations_is_found_and_random_sky_is_not() {
        let mut s = 5u64;
        let mut dets = random_sky(25, 20, &mut s); // 500 random sky detections
        let hot = defect(&dets, 20, 8, 420.0, -310.0, &mut s);
        dets.extend(hot);
        let res = find_hot_areas(&dets, &HotParams::default());
        assert_eq!(res.areas.len(), 1, "{:?}", res.areas);
        let a = &res.areas[0];
        assert_eq!((a.id, a.n_obs, a.tbin), (1, 8, 5.0));
        assert!(
            (a.x_e - 420.0).abs() < 2.0 && (a.y_e + 310.0).abs() < 2.0,
            "{a:?}"
        );
        assert!(a.p_value < 1e-6 && a.radius_arcsec < 4.0, "{a:?}");
        // the defect's detections are flagged; the random ones are not (none falls within 15″)
        for (i, d) in dets.iter().enumerate() {
            let (x, y) = res.epic[i].unwrap();
            let near = (x - 420.0).hypot(y + 310.0) < 20.0;
            assert_eq!(
                res.area_of[i].is_some(),
                d.detid.starts_with("hot"),
                "{} {near}",
                d.detid
            );
        }
        // the same defect in 3 observations only: too few
        let mut dets = random_sky(25, 20, &mut s);
        let hot = defect(&dets, 20, 3, 420.0, -310.0, &mut s);
        dets.extend(hot);
        assert!(find_hot_areas(&dets, &HotParams::default())
            .areas
            .is_empty());
    }

    #[test]
    fn a_bright_sky_source_seen_at_many_rolls_is_not_a_hot_area() {
        // one field, 12 observations 30° of roll apart; the target at the centre and a bright
        // source 8′ off axis, three detections (bands) each per observation
        let (ra0, dec0) = (83.6, 22.0);
        let (src_ra, src_dec) = offset_position(ra0, dec0, 300.0, 375.0);
        let mut dets = Vec::new();
        for o in 0..12 {
            let pnt = Pointing {
                ra: ra0,
                dec: dec0,
                pa: 30.0 * o as f64 + 7.0,
            };
            for b in 0..3 {
                for (name, ra, dec) in [("src", src_ra, src_dec), ("tgt", ra0, dec0 + 1e-4)] {
                    let mut d = det(
                        &format!("{name}_{o}_{b}"),
                        &format!("{o:010}"),
                        ra,
                        dec,
                        1.0,
                    );
                    d.pointing = Some(pnt);
                    dets.push(d);
                }
            }
        }
        let res = find_hot_areas(&dets, &HotParams::default());
        assert!(res.areas.is_empty(), "{:?}", res.areas);
        assert!(res.area_of.iter().all(Option::is_none));
        // the same detections with a fixed roll would pile up in the EPIC frame: a hot area
        for d in &mut dets {
            d.pointing.as_mut().unwrap().pa = 7.0;
        }
        let res = find_hot_areas(&dets, &HotParams::default());
        assert_eq!(res.areas.len(), 1, "the control: a fixed spot is found");
        assert_eq!(res.areas[0].n_obs, 12);
        // ... but never the target at the centre
        let tgt = dets
            .iter()
            .position(|d| d.detid.starts_with("tgt"))
            .unwrap();
        assert!(res.area_of[tgt].is_none());
    }

    #[test]
    fn t_bin_classes_are_searched_apart_and_poisson_tail_is_right() {
        assert!((poisson_sf(1, 0.5) - (1.0 - (-0.5f64).exp())).abs() < 1e-12);
        let p3 = 1.0 - (-2.0f64).exp() * (1.0 + 2.0 + 2.0);
        assert!((poisson_sf(3, 2.0) - p3).abs() < 1e-12);
        assert_eq!(poisson_sf(0, 0.0), 1.0);
        assert_eq!(poisson_sf(2, 0.0), 0.0);
        // the trials factor: p in one of 100 areas is 1 − (1 − p)¹⁰⁰
        let p = poisson_sf(2, 0.15);
        let t = trials_sf(2, 0.15, 1.0, 100.0);
        assert!((t - (1.0 - (1.0 - p).powi(100))).abs() < 1e-12 && t > 50.0 * p);
        // a defect split 7 + 7 over two t_bins with min_obs 8: neither class holds a hot area
        let mut s = 9u64;
        let mut dets = random_sky(25, 20, &mut s);
        let mut hot = defect(&dets, 20, 14, -500.0, 100.0, &mut s);
        for (k, d) in hot.iter_mut().enumerate() {
            d.tbin = if k < 14 { 5.0 } else { 50.0 };
        }
        dets.extend(hot);
        let p = HotParams {
            min_obs: 8,
            ..Default::default()
        };
        assert!(find_hot_areas(&dets, &p).areas.is_empty());
        let p = HotParams {
            min_obs: 4,
            ..Default::default()
        };
        let res = find_hot_areas(&dets, &p);
        let tb: Vec<f64> = res.areas.iter().map(|a| a.tbin).collect();
        assert_eq!(tb, vec![5.0, 50.0]);
    }
}
