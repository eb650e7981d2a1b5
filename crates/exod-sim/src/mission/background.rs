//! The background of a mission simulation (rates in module `geometry`, with their sources):
//! particles, uniform on the chips, flat in energy over the simulated range, not vignetted; and
//! the unresolved cosmic background, a Γ = 1.4 power law through nH = 0.02 × 10²² cm⁻²,
//! uniform on the sky and vignetted. One stream per list (100 + list).

use std::f64::consts::PI;

use rand::Rng;

use super::sky::{absorbed_power_law, Field, Lists, BACKGROUND};
use crate::simulate::{poisson, rng_for};

/// Add the particle and cosmic backgrounds of every unit of every list.
pub(super) fn add_backgrounds(f: &Field, lists: &mut Lists) {
    let (t0, t1) = f.span();
    let (lo, hi) = f.spec.energy_kev;
    let disc_arcmin2 = PI * (f.reach / 60.0).powi(2);
    for l in 0..lists.ev.len() {
        let mut rng = rng_for(f.cfg.seed, 100 + l as u64);
        for u in 0..lists.units[l].len() {
            // drawn over the disc holding the chips; record() keeps those on a chip
            let rate = (f.spec.particle + f.spec.cosmic) * disc_arcmin2;
            let n = poisson(&mut rng, rate * (t1 - t0));
            let p_particle = f.spec.particle / (f.spec.particle + f.spec.cosmic);
            for _ in 0..n {
                let r = f.reach * rng.gen::<f64>().sqrt();
                let phi = 2.0 * PI * rng.gen::<f64>();
                let (xi, eta) = (r * phi.cos(), r * phi.sin());
                let t = t0 + rng.gen::<f64>() * (t1 - t0);
                let e = if rng.gen::<f64>() < p_particle {
                    lo + rng.gen::<f64>() * (hi - lo)
                } else {
                    if rng.gen::<f64>() >= f.vignetting(r) {
                        continue;
                    }
                    absorbed_power_law(&mut rng, 1.4, 0.02, (lo, hi))
                };
                lists.record(f, (l, u), (xi, eta), t, e, BACKGROUND);
            }
        }
    }
}
