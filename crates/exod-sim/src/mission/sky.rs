//! The sky of a mission simulation and the events it puts in each list: the source field (a
//! target and a log N–log S population), photons through the King PSF of the description's HPD
//! and the mission's vignetting, absorbed power-law energies, bursts, and the recording of an
//! event (GTI, field, chip, frame quantisation), time sorting and NuSTAR's dead time.

use std::f64::consts::PI;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use exod_core::instrument::Description;
use exod_core::wcs::SkyWcs;

use super::geometry::{self, Spec, Unit};
use super::psf::KingPsf;
use super::MissionConfig;
use crate::simulate::{burst_offset, poisson, rng_for, Burst, TruthRow};

/// The fixed context of one simulation.
pub(super) struct Field<'a> {
    pub(super) cfg: &'a MissionConfig,
    pub(super) spec: Spec,
    pub(super) desc: &'static Description,
    pub(super) wcs: SkyWcs,
    /// GTIs (mission time) shared by every unit.
    pub(super) gti: Vec<(f64, f64)>,
    /// Radius (arcsec) of the disc holding every chip, whatever the roll.
    pub(super) reach: f64,
    /// The constant sources.
    pub(super) sources: Vec<Source>,
}

/// A constant point source.
#[derive(Debug, Clone, Copy)]
pub(super) struct Source {
    /// Tangent-plane offset (arcsec).
    pub(super) xi: f64,
    pub(super) eta: f64,
    /// Count rate on axis (ct/s, all lists).
    pub(super) rate: f64,
}

/// Good time of NuSTAR's orbit: 3480 s visible of every 5800 s (low-Earth orbit at 6° incl.,
/// Earth occultation of a typical target; NuSTAR Observatory Guide §2).
const NUSTAR_ORBIT: (f64, f64) = (5800.0, 3480.0);

impl<'a> Field<'a> {
    pub(super) fn new(cfg: &'a MissionConfig) -> Field<'a> {
        let spec = geometry::spec(cfg.mission);
        let desc = cfg.mission.description();
        let wcs = geometry::sky_wcs(desc, spec.crpix, cfg.ra, cfg.dec);
        let gti = good_time(cfg, spec.dead_time_per_event > 0.0);
        let reach = spec
            .lists
            .iter()
            .flatten()
            .flat_map(|u| &u.chips)
            .map(|c| (c.cx.abs() + c.half).hypot(c.cy.abs() + c.half))
            .fold(0.0, f64::max);
        let mut f = Field {
            cfg,
            spec,
            desc,
            wcs,
            gti,
            reach,
            sources: vec![],
        };
        f.sources = draw_sources(&f);
        f
    }

    /// Start and stop of the observation.
    pub(super) fn span(&self) -> (f64, f64) {
        (self.gti[0].0, self.gti[self.gti.len() - 1].1)
    }

    /// (RA, Dec) of a tangent-plane offset.
    pub(super) fn radec(&self, xi: f64, eta: f64) -> (f64, f64) {
        let (x, y) = geometry::sky_pixel(self.desc, self.spec.crpix, xi, eta);
        self.wcs.pix_to_world(x, y).expect("inside the projection")
    }

    /// Vignetting at off-axis angle `theta` (arcsec).
    pub(super) fn vignetting(&self, theta: f64) -> f64 {
        1.0 / (1.0 + (theta / 60.0 / self.spec.vignetting_arcmin).powi(2))
    }
}

/// The GTIs: one interval of `exposure`, or NuSTAR's orbits adding up to it.
fn good_time(cfg: &MissionConfig, orbits: bool) -> Vec<(f64, f64)> {
    if !orbits {
        return vec![(cfg.tstart, cfg.tstart + cfg.exposure)];
    }
    let (period, good) = NUSTAR_ORBIT;
    let mut out = vec![];
    let mut left = cfg.exposure;
    let mut t = cfg.tstart;
    while left > 0.0 {
        let d = left.min(good);
        out.push((t, t + d));
        left -= d;
        t += period;
    }
    out
}

/// The target and the log N–log S population (stream 1), within the disc of the chips.
fn draw_sources(f: &Field) -> Vec<Source> {
    let cfg = f.cfg;
    let mut out = vec![];
    if cfg.target_rate > 0.0 {
        out.push(Source {
            xi: cfg.target_offset[0],
            eta: cfg.target_offset[1],
            rate: cfg.target_rate,
        });
    }
    if !cfg.population {
        return out;
    }
    let mut rng = rng_for(cfg.seed, 1);
    let l = f.spec.lognlogs;
    let area_deg2 = PI * (f.reach / 3600.0).powi(2);
    let n_mean = l.n_ref
        * ((l.s_min / l.s_ref).powf(-l.slope) - (l.s_max / l.s_ref).powf(-l.slope))
        * area_deg2;
    let hi = (l.s_max / l.s_min).powf(-l.slope);
    for _ in 0..poisson(&mut rng, n_mean) {
        let u: f64 = rng.gen();
        let rate = l.s_min * (1.0 - u * (1.0 - hi)).powf(-1.0 / l.slope);
        let r = f.reach * rng.gen::<f64>().sqrt();
        let phi = 2.0 * PI * rng.gen::<f64>();
        out.push(Source {
            xi: r * phi.cos(),
            eta: r * phi.sin(),
            rate,
        });
    }
    out
}

/// A photon energy (keV) from an absorbed power law of index `gamma` and column `nh`
/// (10²² cm⁻²) between `lo` and `hi` keV (module docs).
pub(crate) fn absorbed_power_law(
    rng: &mut ChaCha8Rng,
    gamma: f64,
    nh: f64,
    (lo, hi): (f64, f64),
) -> f64 {
    loop {
        let u: f64 = rng.gen();
        let e = if (gamma - 1.0).abs() < 1e-9 {
            lo * (hi / lo).powf(u)
        } else {
            let g = 1.0 - gamma;
            (lo.powf(g) + u * (hi.powf(g) - lo.powf(g))).powf(1.0 / g)
        };
        let tau = nh * 1e22 * 2.4e-22 * e.powf(-8.0 / 3.0);
        if rng.gen::<f64>() < (-tau).exp() {
            return e;
        }
    }
}

/// The events of one list.
#[derive(Debug, Default)]
pub(super) struct Events {
    pub(super) time: Vec<f64>,
    pub(super) xi: Vec<f64>,
    pub(super) eta: Vec<f64>,
    pub(super) energy_kev: Vec<f64>,
    pub(super) chip: Vec<u8>,
    /// Index of the unit in its list (eROSITA: TM − 1).
    pub(super) unit: Vec<u8>,
    /// Truth row of the photon's source, `u32::MAX` for background.
    pub(super) origin: Vec<u32>,
}

/// The event lists being filled, with their units.
pub(super) struct Lists {
    pub(super) units: Vec<Vec<Unit>>,
    pub(super) ev: Vec<Events>,
    /// Recorded live time per list (s), after [`Lists::finish`].
    pub(super) live: Vec<f64>,
}

/// Origin of background events.
pub(super) const BACKGROUND: u32 = u32::MAX;

impl Lists {
    pub(super) fn new(f: &Field) -> Lists {
        let n = f.spec.lists.len();
        Lists {
            units: f.spec.lists.clone(),
            ev: (0..n).map(|_| Events::default()).collect(),
            live: vec![0.0; n],
        }
    }

    /// Record one photon in unit `u` of list `l`: false (dropped) outside the GTIs, the field
    /// or the chips. Times are quantised to the middle of their frame.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(
        &mut self,
        f: &Field,
        (l, u): (usize, usize),
        (xi, eta): (f64, f64),
        t: f64,
        e_kev: f64,
        origin: u32,
    ) -> bool {
        if !f.gti.iter().any(|&(a, b)| t >= a && t < b) {
            return false;
        }
        if f.spec.circular_field && xi.hypot(eta) > f.desc.field_radius_arcmin * 60.0 {
            return false;
        }
        let Some(chip) = self.units[l][u].chip_at(f.cfg.roll, xi, eta) else {
            return false;
        };
        let ft = f.spec.frame_time;
        let t0 = f.gti[0].0;
        let t = if ft > 0.0 {
            t0 + (((t - t0) / ft).floor() + 0.5) * ft
        } else {
            t
        };
        let ev = &mut self.ev[l];
        ev.time.push(t);
        ev.xi.push(xi);
        ev.eta.push(eta);
        ev.energy_kev.push(e_kev);
        ev.chip.push(chip);
        ev.unit.push(u as u8);
        ev.origin.push(origin);
        true
    }

    /// Sort every list by time (stably) and apply NuSTAR's dead time: an event within the dead
    /// time after the last recorded one is lost. Records each list's live time.
    pub(super) fn finish(&mut self, f: &Field) {
        let ontime: f64 = f.gti.iter().map(|(a, b)| b - a).sum();
        let tau = f.spec.dead_time_per_event;
        for (l, ev) in self.ev.iter_mut().enumerate() {
            let mut idx: Vec<usize> = (0..ev.time.len()).collect();
            idx.sort_by(|&a, &b| ev.time[a].total_cmp(&ev.time[b]));
            if tau > 0.0 {
                let mut last = f64::NEG_INFINITY;
                idx.retain(|&i| {
                    let keep = ev.time[i] - last >= tau;
                    if keep {
                        last = ev.time[i];
                    }
                    keep
                });
            }
            *ev = permuted(ev, &idx);
            self.live[l] = ontime * (1.0 - f.spec.dead_fraction) - tau * ev.time.len() as f64;
        }
    }

    /// Fill the realised counts of the truth rows from the recorded events (after dead time).
    pub(super) fn count_truth(&self, truth: &mut [TruthRow]) {
        for row in truth.iter_mut() {
            row.counts = [0; 3];
        }
        for (l, ev) in self.ev.iter().enumerate() {
            for &o in &ev.origin {
                if let Some(row) = truth.get_mut(o as usize) {
                    row.counts[l.min(2)] += 1;
                }
            }
        }
    }
}

/// The events `idx` of `ev`, in that order.
fn permuted(ev: &Events, idx: &[usize]) -> Events {
    fn pick<T: Copy>(v: &[T], idx: &[usize]) -> Vec<T> {
        idx.iter().map(|&i| v[i]).collect()
    }
    Events {
        time: pick(&ev.time, idx),
        xi: pick(&ev.xi, idx),
        eta: pick(&ev.eta, idx),
        energy_kev: pick(&ev.energy_kev, idx),
        chip: pick(&ev.chip, idx),
        unit: pick(&ev.unit, idx),
        origin: pick(&ev.origin, idx),
    }
}

/// Add `n` photons of a point source at (ξ₀, η₀) to list `l`, each at time `time(rng)`,
/// spread over the list's units; returns nothing (the counts come from the events).
#[allow(clippy::too_many_arguments)]
fn add_photons(
    f: &Field,
    lists: &mut Lists,
    l: usize,
    at: (f64, f64),
    n: u64,
    origin: u32,
    rng: &mut ChaCha8Rng,
    time: &dyn Fn(&mut ChaCha8Rng) -> f64,
) {
    let theta_arcmin = at.0.hypot(at.1) / 60.0;
    let n_units = lists.units[l].len();
    let psf = KingPsf::of(lists.units[l][0].instrument, theta_arcmin);
    let cfg = f.cfg;
    for _ in 0..n {
        let u = if n_units > 1 {
            rng.gen_range(0..n_units)
        } else {
            0
        };
        let t = time(rng);
        let (dx, dy) = psf.offset(rng);
        let e = absorbed_power_law(rng, cfg.photon_index, cfg.nh, f.spec.energy_kev);
        lists.record(f, (l, u), (at.0 + dx, at.1 + dy), t, e, origin);
    }
}

/// Add the photons of every constant source (stream 1000 + 4 × source + list); return their
/// truth rows (target first), counts filled later.
pub(super) fn add_constant_sources(f: &Field, lists: &mut Lists) -> Vec<TruthRow> {
    let (t0, t1) = f.span();
    let n_lists = lists.ev.len();
    let mut truth = vec![];
    for (si, s) in f.sources.iter().enumerate() {
        let theta = s.xi.hypot(s.eta);
        let mean = s.rate * f.vignetting(theta) * (t1 - t0) / n_lists as f64;
        for l in 0..n_lists {
            let mut rng = rng_for(f.cfg.seed, 1000 + 4 * si as u64 + l as u64);
            let n = poisson(&mut rng, mean);
            let time = |r: &mut ChaCha8Rng| t0 + r.gen::<f64>() * (t1 - t0);
            add_photons(f, lists, l, (s.xi, s.eta), n, si as u32, &mut rng, &time);
        }
        let (ra, dec) = f.radec(s.xi, s.eta);
        let kind = if si == 0 && f.cfg.target_rate > 0.0 {
            "target"
        } else {
            "source"
        };
        truth.push(TruthRow {
            id: si,
            kind: kind.into(),
            ra,
            dec,
            t_start: t0,
            t_stop: t1,
            expected: s.rate * f.cfg.exposure,
            counts: [0; 3],
            note: format!(
                "rate={:.6} ct/s (on axis, all lists); theta={:.2} arcmin",
                s.rate,
                theta / 60.0
            ),
            spectrum: None,
        });
    }
    truth
}

/// Inject burst `k` (stream 20 000 + k) split evenly over the lists; its truth row is `id`.
pub(super) fn add_burst(f: &Field, k: usize, b: &Burst, id: usize, lists: &mut Lists) -> TruthRow {
    let mut rng = rng_for(f.cfg.seed, 20_000 + k as u64);
    let (xi, eta) = match b.position {
        Some((ra, dec)) => {
            let (x, y) = f.wcs.world_to_pix(ra, dec).unwrap_or((f64::NAN, f64::NAN));
            geometry::offset_of_pixel(f.desc, f.spec.crpix, x, y)
        }
        None => burst_position(f, lists, &mut rng),
    };
    let ts = b
        .t_start
        .unwrap_or_else(|| burst_start(f, b.duration, &mut rng));
    let n_lists = lists.ev.len();
    for l in 0..n_lists {
        let n = poisson(&mut rng, b.counts / n_lists as f64);
        let time = |r: &mut ChaCha8Rng| ts + burst_offset(b, r);
        add_photons(f, lists, l, (xi, eta), n, id as u32, &mut rng, &time);
    }
    let (ra, dec) = f.radec(xi, eta);
    TruthRow {
        id,
        kind: "burst".into(),
        ra,
        dec,
        t_start: ts,
        t_stop: ts + b.duration,
        expected: b.counts,
        counts: [0; 3],
        note: format!("profile={:?}", b.profile).to_lowercase(),
        spectrum: None,
    }
}

/// A random burst position: within 0.7 of the field radius, on a chip of every unit, at least
/// 3 HPD from the target and from sources brighter than 20 × the faintest.
fn burst_position(f: &Field, lists: &Lists, rng: &mut ChaCha8Rng) -> (f64, f64) {
    let r_max = 0.7 * f.desc.field_radius_arcmin * 60.0;
    let bright = 20.0 * f.spec.lognlogs.s_min;
    for _ in 0..10_000 {
        let r = r_max * rng.gen::<f64>().sqrt();
        let phi = 2.0 * PI * rng.gen::<f64>();
        let (xi, eta) = (r * phi.cos(), r * phi.sin());
        let on_chips = lists
            .units
            .iter()
            .flatten()
            .all(|u| u.chip_at(f.cfg.roll, xi, eta).is_some());
        let clear_of = 3.0 * f.desc.psf.hpd_arcsec(r / 60.0);
        let clear = f
            .sources
            .iter()
            .enumerate()
            .filter(|(i, s)| s.rate > bright || (*i == 0 && f.cfg.target_rate > 0.0))
            .all(|(_, s)| (s.xi - xi).hypot(s.eta - eta) > clear_of);
        // a chip edge within the PSF would cut the burst: keep 2 HPD of chip around it
        let inside = [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)]
            .iter()
            .all(|(dx, dy)| {
                let (a, b) = (
                    xi + 2.0 * clear_of / 3.0 * dx,
                    eta + 2.0 * clear_of / 3.0 * dy,
                );
                lists
                    .units
                    .iter()
                    .flatten()
                    .all(|u| u.chip_at(f.cfg.roll, a, b).is_some())
            });
        if on_chips && clear && inside {
            return (xi, eta);
        }
    }
    (0.0, 0.0)
}

/// A random burst start: the burst lies inside one GTI, ≥ 100 s from its edges when it can.
fn burst_start(f: &Field, duration: f64, rng: &mut ChaCha8Rng) -> f64 {
    let fits: Vec<&(f64, f64)> = f
        .gti
        .iter()
        .filter(|(a, b)| b - a >= duration + 200.0)
        .collect();
    match fits.as_slice() {
        [] => f.gti[0].0,
        g => {
            let (a, b) = *g[rng.gen_range(0..g.len())];
            a + 100.0 + rng.gen::<f64>() * (b - a - 200.0 - duration)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absorbed_power_law_follows_its_index_and_absorption() {
        // unabsorbed Γ = 2 between 1 and 10 keV: P(E < 2) = (1 − 1/2) / (1 − 1/10) = 5/9
        let mut rng = rng_for(1, 0);
        let n = 50_000;
        let below2 = (0..n)
            .filter(|_| absorbed_power_law(&mut rng, 2.0, 0.0, (1.0, 10.0)) < 2.0)
            .count() as f64
            / n as f64;
        assert!((below2 - 5.0 / 9.0).abs() < 0.01, "{below2}");
        // a large column removes the soft photons
        let soft = (0..2000)
            .filter(|_| absorbed_power_law(&mut rng, 2.0, 5.0, (0.3, 10.0)) < 1.0)
            .count();
        assert!(soft < 20, "{soft}");
    }
}
