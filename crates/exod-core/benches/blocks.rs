//! `cargo bench -p exod-core --bench blocks`: Bayesian blocks (`events` fitness, p0 = 0.05) on
//! simulated event lists of a 100 ks observation — a constant source (0.1, 1 and 10 ct/s) plus
//! three flares: 1.1×10⁴, 1.1×10⁵ and 1.1×10⁶ events, and the first 10⁶ events of the last —
//! on one core; the plain O(N²) programme on the smallest list for comparison. Compare with
//! `scripts/bench_blocks_astropy.py` (astropy on the same lists: identical generator, identical
//! edges). `BLOCKS_BENCH_N=1000000` runs only the largest list (for profiling).

use std::hint::black_box;
use std::time::Instant;

use exod_core::timing::blocks::{bayesian_blocks_events_with, BlocksOptions};

/// xorshift64* uniform in [0, 1).
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Rate (ct/s) at t for the source: `base` plus three exponential flares.
fn rate(t: f64, base: f64) -> f64 {
    let flare = |t0: f64, amp: f64, tau: f64| {
        if t < t0 {
            amp * ((t - t0) / (0.1 * tau)).exp()
        } else {
            amp * (-(t - t0) / tau).exp()
        }
    };
    base + flare(20_000.0, 5.0 * base, 800.0)
        + flare(55_000.0, 2.0 * base, 3000.0)
        + flare(80_000.0, 10.0 * base, 200.0)
}

/// Events of a 100 ks observation by thinning, scaled so the list holds about `n` events.
pub fn simulate(n: usize, seed: u64) -> Vec<f64> {
    let duration = 100_000.0;
    let base = 10.0 * n as f64 / 1.0e6; // 10 ct/s gives ~1.07e6 events with the flares
    let max = 11.0 * base;
    let mut rng = Rng(seed | 1);
    let mut t = 0.0;
    let mut out = Vec::with_capacity(n + n / 4);
    loop {
        t -= rng.uniform().max(1e-300).ln() / max;
        if t >= duration {
            return out;
        }
        if rng.uniform() * max < rate(t, base) {
            out.push(6.5e8 + t); // XMM-like mission seconds
        }
    }
}

/// Best wall time of `reps` runs, the number of blocks, the largest number of live starts and
/// the first edges.
fn time_blocks(events: &[f64], opts: &BlocksOptions, reps: usize) -> (f64, usize, usize, Vec<f64>) {
    let mut best = f64::INFINITY;
    let mut out = (0, 0, vec![]);
    for _ in 0..reps {
        let t0 = Instant::now();
        let b = bayesian_blocks_events_with(black_box(events), opts).unwrap();
        best = best.min(t0.elapsed().as_secs_f64());
        out = (
            b.edges.len() - 1,
            b.max_candidates,
            b.edges[..4.min(b.edges.len())].to_vec(),
        );
    }
    (best, out.0, out.1, out.2)
}

fn main() {
    println!("Bayesian blocks, events fitness, p0 = 0.05, 100 ks, 10 ct/s-equivalent + 3 flares (best of 3)");
    println!(
        "{:>9} {:>10} {:>8} {:>14}",
        "events", "time (s)", "blocks", "max starts"
    );
    let pruned = BlocksOptions::default();
    let only: Option<usize> = std::env::var("BLOCKS_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok());
    for &n in &[10_000usize, 100_000, 1_000_000] {
        if only.is_some_and(|o| o != n) {
            continue;
        }
        let ev = simulate(n, 42);
        let (dt, nb, mc, first) = time_blocks(&ev, &pruned, 3);
        println!(
            "{:>9} {:>10.4} {:>8} {:>14}   first edges {first:.6?}",
            ev.len(),
            dt,
            nb,
            mc
        );
        if ev.len() > 1_000_000 {
            let (dt, nb, mc, _) = time_blocks(&ev[..1_000_000], &pruned, 3);
            println!(
                "{:>9} {:>10.4} {:>8} {:>14}   (the first 10⁶ of them)",
                1_000_000, dt, nb, mc
            );
        }
    }
    if only.is_some() {
        return;
    }
    let ev = simulate(10_000, 42);
    let plain = BlocksOptions {
        no_pruning: true,
        ..Default::default()
    };
    let (dt, nb, _, _) = time_blocks(&ev, &plain, 1);
    println!(
        "plain O(N²) programme on {} events: {:.4} s, {} blocks",
        ev.len(),
        dt,
        nb
    );
}
