//! Calibration of the photometry's upper limits and intervals on Poisson trials (docs/photometry.md):
//! for each (s, b) pair, 10⁵ trials of N ~ Poisson(s + b) aperture counts and B ~ Poisson(b/r)
//! annulus counts (r = 1/30, the default annulus's area ratio), the background estimated as r·B
//! as `exod photometry` does, and the fraction of trials whose KBN 3σ upper limit is ≥ s and whose
//! 68.27 % shortest interval contains s.
//!
//!     cargo run --release -p exod-core --example photometry_calibration > scripts/photometry_calibration.out

use std::collections::HashMap;

use exod_core::photometry::kbn::{kbn_interval, kbn_upper_limit, one_sided_cl, ONE_SIGMA};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

fn main() {
    let cl = one_sided_cl(3.0);
    let r = 1.0 / 30.0;
    let trials = 100_000;
    let pairs = [
        (0.5, 0.1),
        (0.5, 1.0),
        (1.0, 1.0),
        (2.0, 0.2),
        (3.0, 3.0),
        (5.0, 10.0),
        (10.0, 2.0),
        (10.0, 30.0),
        (20.0, 20.0),
        (50.0, 100.0),
    ];
    println!(
        "# exod photometry calibration: {trials} Poisson trials per (s, b), r = 1/30, seed 15"
    );
    println!(
        "# CL = {cl:.6}; binomial 1σ of the UL coverage = {:.2e}",
        (cl * (1.0 - cl) / trials as f64).sqrt()
    );
    println!("# s b ul_coverage interval68_coverage");
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let mut min_cov: f64 = 1.0;
    for (s, b) in pairs {
        let src = Poisson::new(s + b).unwrap();
        let bkg = Poisson::new(b / r).unwrap();
        let mut cache: HashMap<(u64, u64), (f64, f64, f64)> = HashMap::new();
        let (mut ul_ok, mut int_ok) = (0usize, 0usize);
        for _ in 0..trials {
            let n = src.sample(&mut rng) as u64;
            let nb = bkg.sample(&mut rng) as u64;
            let &mut (ul, lo, hi) = cache.entry((n, nb)).or_insert_with(|| {
                let bb = r * nb as f64;
                let (lo, hi) = kbn_interval(n, bb, ONE_SIGMA).unwrap();
                (kbn_upper_limit(n, bb, cl).unwrap(), lo, hi)
            });
            ul_ok += (s <= ul) as usize;
            int_ok += (lo <= s && s <= hi) as usize;
        }
        let cov = ul_ok as f64 / trials as f64;
        min_cov = min_cov.min(cov);
        println!("{s} {b} {cov:.5} {:.4}", int_ok as f64 / trials as f64);
    }
    println!("# smallest UL coverage {min_cov:.5} (nominal {cl:.5})");
}
