//! `cargo bench -p exod-core --bench crossmatch`: 10⁵ sources against 10⁷ catalogue rows
//! (LCG-random over the sphere, half of them in 10⁴ clusters of 500 within 10′), 20″ radius:
//! index build, matching, and the shifted-catalogue Monte Carlo with 100 offsets (paper §3.3),
//! on the current rayon pool (RAYON_NUM_THREADS). Prints the peak resident memory (VmHWM).

use std::time::Instant;

use exod_core::crossmatch::{chance_matches, match_all, offset_grid, Radii};
use exod_core::sky::{offset_position, SkyIndex};

fn lcg(s: &mut u64) -> f64 {
    *s = s
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*s >> 11) as f64 / (1u64 << 53) as f64
}

/// A uniform position on the sphere.
fn sphere(s: &mut u64) -> (f64, f64) {
    let ra = 360.0 * lcg(s);
    let dec = (2.0 * lcg(s) - 1.0).asin().to_degrees();
    (ra, dec)
}

fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let l = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_string();
            l.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let (n_src, n_cat, radius) = (100_000usize, 10_000_000usize, 20.0);
    let mut s = 42u64;
    let t = Instant::now();
    let mut cra = Vec::with_capacity(n_cat);
    let mut cdec = Vec::with_capacity(n_cat);
    for _ in 0..n_cat / 2 {
        let (a, d) = sphere(&mut s);
        cra.push(a);
        cdec.push(d);
    }
    let centres: Vec<(f64, f64)> = (0..10_000).map(|_| sphere(&mut s)).collect();
    for k in 0..n_cat / 2 {
        let c = centres[k % centres.len()];
        let (x, y) = ((lcg(&mut s) - 0.5) * 1200.0, (lcg(&mut s) - 0.5) * 1200.0);
        let (a, d) = offset_position(c.0, c.1, x, y);
        cra.push(a);
        cdec.push(d);
    }
    // sources: half uniform, half in the clusters
    let (mut sra, mut sdec) = (Vec::with_capacity(n_src), Vec::with_capacity(n_src));
    for k in 0..n_src {
        let (a, d) = if k % 2 == 0 {
            sphere(&mut s)
        } else {
            let c = centres[k % centres.len()];
            offset_position(
                c.0,
                c.1,
                (lcg(&mut s) - 0.5) * 1200.0,
                (lcg(&mut s) - 0.5) * 1200.0,
            )
        };
        sra.push(a);
        sdec.push(d);
    }
    println!("positions: {:.2} s", t.elapsed().as_secs_f64());
    println!("threads: {}", rayon::current_num_threads());

    let t = Instant::now();
    let index = SkyIndex::new(&cra, &cdec, radius);
    println!("index of {n_cat} rows: {:.2} s", t.elapsed().as_secs_f64());

    let radii = Radii::fixed(n_src, radius);
    let t = Instant::now();
    let pairs = match_all(&sra, &sdec, &radii, &index);
    let dt = t.elapsed().as_secs_f64();
    println!(
        "match {n_src} sources: {dt:.3} s ({} pairs, {:.2} M queries/s)",
        pairs.len(),
        n_src as f64 / dt / 1e6
    );

    let offsets = offset_grid(10, 180.0).expect("10 × 10");
    let t = Instant::now();
    let mc = chance_matches(&sra, &sdec, &radii, &index, &offsets);
    let dt = t.elapsed().as_secs_f64();
    let (m, sd) = mc.spurious();
    let q = (n_src * offsets.len()) as f64;
    println!(
        "Monte Carlo, {} offsets: {dt:.2} s ({:.2} M queries/s); chance matches {m:.1} ± {sd:.1}",
        offsets.len(),
        q / dt / 1e6
    );
    println!("peak memory (VmHWM): {:.0} MB", peak_mb());
}
