//! `cargo bench -p exod-core --bench catalog`: the catalogue of 10⁶ synthetic detections.
//!
//! 10⁴ fields spread uniformly over the sphere, each observed 3 times at different rolls; 3×10⁵
//! sky positions (30 a field, within 14′ of its centre) each detected 1–5 times (observations of
//! its field in turn, random band and t_bin, 1–5″ errors, scatter of a few arcsec), plus 10⁵
//! single detections anywhere in a field: 10⁶ detections. Prints the seconds and detections per
//! second of [`exod_core::catalog::build`] end to end, of the clustering alone and of the hot
//! areas alone, and the rate of [`exod_core::catalog::curve_stats`].

use std::hint::black_box;
use std::time::Instant;

use exod_core::catalog::cluster::{friends_of_friends, LinkParams};
use exod_core::catalog::hot::{find_hot_areas, HotParams};
use exod_core::catalog::{build, curve_stats, CatDetection, CatalogParams, Pointing};
use exod_core::search::Kind;
use exod_core::sky::{from_epic_frame, offset_position};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

const FIELDS: usize = 10_000;
const POSITIONS: usize = 300_000;
const SINGLES: usize = 100_000;

fn detection(r: &mut Lcg, id: usize, obs: usize, pnt: Pointing, ra: f64, dec: f64) -> CatDetection {
    let tbin = [5.0, 50.0, 200.0][(r.next() * 3.0) as usize];
    let t0 = r.next() * 1e5;
    CatDetection {
        detid: format!("{obs:010}_0_{id}"),
        obsid: format!("{obs:010}"),
        unit: format!("{obs:010}_0"),
        kind: if r.next() < 0.9 {
            Kind::Peak
        } else {
            Kind::Eclipse
        },
        band: ["0.2-2", "2-12", "0.2-12"][(r.next() * 3.0) as usize].to_string(),
        tbin,
        ra,
        dec,
        pos_err: 1.0 + 4.0 * r.next(),
        sigma: 3.0 + 3.0 * r.next(),
        region_sigma: 3.0,
        region_n: 10,
        region_mu: 1.0,
        t_start: t0,
        t_stop: t0 + tbin,
        t_peak: t0,
        mjdref: 50814.0,
        pointing: Some(pnt),
        bti: false,
        flag_isolated: r.next() < 0.3,
        flag_last_bin: false,
        flag_lt5_max: r.next() < 0.2,
        curve: None,
    }
}

fn synthetic() -> Vec<CatDetection> {
    let mut r = Lcg(0x5EED);
    let centres: Vec<(f64, f64)> = (0..FIELDS)
        .map(|_| (r.next() * 360.0, (2.0 * r.next() - 1.0).asin().to_degrees()))
        .collect();
    let rolls: Vec<f64> = (0..3 * FIELDS).map(|_| r.next() * 360.0).collect();
    let pointing = |o: usize| Pointing {
        ra: centres[o / 3].0,
        dec: centres[o / 3].1,
        pa: rolls[o],
    };
    let in_field = |r: &mut Lcg| {
        let (rho, t) = (840.0 * r.next().sqrt(), r.next() * std::f64::consts::TAU);
        (rho * t.cos(), rho * t.sin())
    };
    let mut out = Vec::with_capacity(POSITIONS * 3 + SINGLES);
    for p in 0..POSITIONS {
        let f = p % FIELDS;
        let (x, y) = in_field(&mut r);
        let (ra, dec) = offset_position(centres[f].0, centres[f].1, x, y);
        for j in 0..1 + (r.next() * 5.0) as usize {
            let o = 3 * f + j % 3;
            let (dra, ddec) =
                offset_position(ra, dec, 3.0 * (r.next() - 0.5), 3.0 * (r.next() - 0.5));
            let id = out.len();
            out.push(detection(&mut r, id, o, pointing(o), dra, ddec));
        }
    }
    for _ in 0..SINGLES {
        let o = (r.next() * (3 * FIELDS) as f64) as usize;
        let (x, y) = in_field(&mut r);
        let pnt = pointing(o);
        let (ra, dec) = from_epic_frame(x, y, pnt.ra, pnt.dec, pnt.pa);
        let id = out.len();
        out.push(detection(&mut r, id, o, pnt, ra, dec));
    }
    out
}

fn main() {
    let t = Instant::now();
    let dets = synthetic();
    let n = dets.len();
    println!(
        "{n} synthetic detections in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    println!("threads: {}", rayon::current_num_threads());

    let ra: Vec<f64> = dets.iter().map(|d| d.ra).collect();
    let dec: Vec<f64> = dets.iter().map(|d| d.dec).collect();
    let err: Vec<f64> = dets.iter().map(|d| d.pos_err).collect();
    let t = Instant::now();
    let labels = friends_of_friends(&ra, &dec, &err, &LinkParams::default());
    let dt = t.elapsed().as_secs_f64();
    let k = labels.iter().max().map_or(0, |&l| l + 1);
    println!(
        "clustering alone: {dt:.2} s, {:.2e} detections/s, {k} sources",
        n as f64 / dt
    );

    let t = Instant::now();
    let hot = find_hot_areas(&dets, &HotParams::default());
    let dt = t.elapsed().as_secs_f64();
    println!(
        "hot areas alone: {dt:.2} s, {:.2e} detections/s, {} areas",
        n as f64 / dt,
        hot.areas.len()
    );

    let p = CatalogParams::default();
    let t = Instant::now();
    let cat = build(dets, &p);
    let dt = t.elapsed().as_secs_f64();
    println!(
        "build end to end: {dt:.2} s, {:.2e} detections/s ({} sources, {} hot areas)",
        n as f64 / dt,
        cat.sources.len(),
        cat.hot_areas.len()
    );

    let mut r = Lcg(7);
    let nb = 400;
    let curves: Vec<Vec<u32>> = (0..10_000)
        .map(|_| {
            (0..nb)
                .map(|_| (r.next() * r.next() * 6.0) as u32)
                .collect()
        })
        .collect();
    let (mu, bti, live) = (vec![1.0; nb], vec![false; nb], vec![1.0f32; nb]);
    let t = Instant::now();
    let mut acc = 0usize;
    for c in &curves {
        acc += black_box(curve_stats(c, &mu, &bti, &live, 5.0)).n_peaks;
    }
    let dt = t.elapsed().as_secs_f64();
    println!(
        "curve_stats ({nb} bins): {:.2e} curves/s ({acc})",
        curves.len() as f64 / dt
    );
}
