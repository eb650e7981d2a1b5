//! `RAYON_NUM_THREADS=1 cargo bench -p exod-core --bench timing`: exact Z²₂ of 10⁵ photons
//! (uniform over 10⁵ s plus a weak 0.2 Hz pulse) on 10⁵ frequencies, single core, and its
//! maximum relative deviation from direct summation on 100 spot frequencies.
//! Peer: `scripts/bench_z2_stingray.py` (stingray `z_n_search`, n = 2, nbin = 128, numba).

use std::hint::black_box;
use std::time::Instant;

use exod_core::timing::freq::FrequencyGrid;
use exod_core::timing::z2::{z2_direct, z2_search};

fn main() {
    // deterministic pseudo-random events (xorshift), 2 % of them pulsed at 0.2 Hz
    let mut s = 0x9E3779B97F4A7C15u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let (n, span, f0) = (100_000usize, 1e5, 0.2);
    let mut times: Vec<f64> = (0..n)
        .map(|i| {
            let t = span * next();
            if i % 50 == 0 {
                // pulsed photon: snap to phase 0.25 ± 0.05 of the 0.2 Hz pulse
                ((t * f0).floor() + 0.2 + 0.1 * next()) / f0
            } else {
                t
            }
        })
        .map(|t| 5e8 + t)
        .collect();
    times.sort_by(f64::total_cmp);
    // 10⁵ frequencies from 0.15 Hz, step 1/(5T) = 2e-6 Hz (0.15 … 0.35 Hz)
    let grid = FrequencyGrid::new(0.15, 1.0 / (5.0 * span), 100_000).unwrap();
    let threads = rayon::current_num_threads();
    let _ = z2_search(&times, &FrequencyGrid::new(0.15, 2e-6, 1000).unwrap(), 2).unwrap();
    let reps = 5;
    let mut best = f64::INFINITY;
    let mut z = Vec::new();
    for _ in 0..reps {
        let t0 = Instant::now();
        z = z2_search(black_box(&times), &grid, 2).unwrap();
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let imax = (0..grid.n).max_by(|&a, &b| z[a].total_cmp(&z[b])).unwrap();
    let mut worst = 0.0f64;
    let t0 = Instant::now();
    for i in (0..grid.n).step_by(grid.n / 100).chain([imax]) {
        let d = z2_direct(&times, grid.freq(i), 2);
        worst = worst.max((z[i] - d).abs() / d);
    }
    let direct_per_f = t0.elapsed().as_secs_f64() / 101.0;
    println!(
        "exact Z²_2, {n} photons × {} frequencies, {threads} thread(s): {best:.3} s (best of {reps})",
        grid.n
    );
    println!(
        "  peak Z²_2 = {:.1} at {:.6} Hz; max relative deviation from direct summation on 101 \
         frequencies: {worst:.2e}",
        z[imax],
        grid.freq(imax)
    );
    println!(
        "  direct summation: {:.2} ms per frequency, i.e. {:.0} s for the grid",
        direct_per_f * 1e3,
        direct_per_f * grid.n as f64
    );
}
