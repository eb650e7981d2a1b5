//! `cargo bench -p exod --bench stats`: decisions per second through the exact lookup path,
//! and Bayes-factor evaluations per second by direct computation, on one core.
//! Cells are drawn like a 5 s EXOD cube: μ log-uniform in [1e-4, 1e2], N Poisson-like small.

use std::hint::black_box;
use std::time::Instant;

use exod_core::stats::{log10_b_peak, Boundaries, Rule, Thresholds};

fn main() {
    let b = Boundaries::new(Thresholds::for_sigma(3.0).unwrap(), Rule::Exact, 4096);
    // deterministic pseudo-random cells (xorshift)
    let mut s = 0x9E3779B97F4A7C15u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let n_cells = 1 << 22;
    let cells: Vec<(u64, f64)> = (0..n_cells)
        .map(|_| {
            let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
            let mu = 10f64.powf(-4.0 + 6.0 * u);
            let n = next() % 40;
            (n, mu)
        })
        .collect();
    let reps = 50;
    let t0 = Instant::now();
    let mut hits = 0u64;
    for _ in 0..reps {
        for &(n, mu) in &cells {
            hits += b.is_peak(black_box(n), black_box(mu)) as u64 + b.is_eclipse(n, mu) as u64;
        }
    }
    let dt = t0.elapsed().as_secs_f64();
    let decisions = 2.0 * (reps * n_cells) as f64;
    println!(
        "lookup decisions (peak+eclipse): {:.0} M/s on one core ({} flagged)",
        decisions / dt / 1e6,
        hits
    );
    let t0 = Instant::now();
    let mut acc = 0.0;
    let m = 200_000;
    for &(n, mu) in cells.iter().take(m) {
        acc += log10_b_peak(black_box(n), black_box(mu));
    }
    let dt = t0.elapsed().as_secs_f64();
    println!(
        "direct log10 B_peak evaluations: {:.2} M/s ({acc:.1})",
        m as f64 / dt / 1e6
    );
    let t0 = Instant::now();
    let bb = Boundaries::new(Thresholds::for_sigma(5.0).unwrap(), Rule::Exact, 4096);
    println!(
        "building a 4096-count boundary table: {:.3} s ({} counts)",
        t0.elapsed().as_secs_f64(),
        bb.n_table()
    );
}
