//! Benchmarks of the method (paper §2.6): completeness from injected bursts, false positives from
//! Poisson realisations of the expectation, position errors, speed.
//!
//! * **Missions**: a [`BenchSetup`] says how bursts are injected and matched for one
//!   instrument: XMM-Newton EPIC (the default, [`BenchSetup::xmm`]) as described here; the other
//!   missions ([`BenchSetup::for_mission`]) inject with a King PSF of the instrument
//!   description's HPD at the burst's off-axis angle (from the centre of the sky frame), energies
//!   from the simulator's absorbed power law in the mission's full band, search that band, and
//!   match within one default cell of the mission.
//! * **Injection** adds synthetic bursts to the merged event table of an observation (simulated
//!   or real): `Poisson(amplitude)` photons with the King PSF of the simulator around a random
//!   position inside a random cell (not the cell centre, which EXOD2 used and which is optimistic),
//!   split over the cameras by their share at that position, dropped where that camera's CCD is
//!   not live, with energies in 0.2–12 keV. The amplitude is the expected number of photons
//!   before the Poisson draw, as in the paper's Fig. 3.
//! * **Completeness**: a burst counts as detected when a peak at the chosen σ lies within 20″
//!   and overlaps it in time. Several bursts are injected per search, far apart in space and
//!   time, so that they are independent.
//! * **False positives**: for each observation and t_bin, the expectation μ is computed once, and
//!   each realisation draws every (cell, frame) count from Poisson(μ) — sparsely: per frame a
//!   Poisson total placed over the cells by alias tables of the background template and of the
//!   source map, thinned by the live fraction — then applies the same decisions. A realisation
//!   "has a spurious detection" when any cell is flagged.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

use exod_core::band::Band;
use exod_core::expectation::{self, Expectation};
use exod_core::grid::Frames;
use exod_core::observation::{NewEvent, Observation as EventTable};
use exod_core::search::{search, DetectParams, Kind};
use exod_core::source::Source;
use exod_core::stats::{Boundaries, Rule, Thresholds};
use exod_core::wcs::separation_arcsec;

use exod_core::instrument::Instrument;

use crate::mission::{KingPsf, SimMission};
use crate::simulate::king_offset;

/// How bursts are injected, searched and matched for one instrument (module docs).
#[derive(Debug, Clone, Copy)]
pub struct BenchSetup {
    /// The instrument whose PSF and band are used; None: XMM-Newton EPIC (the simulator's King
    /// PSF, 0.2–12 keV log-normal energies).
    pub instrument: Option<Instrument>,
    /// Band searched and injected.
    pub band: Band,
    /// A detection matches a burst within this distance (arcsec).
    pub match_radius: f64,
}

impl BenchSetup {
    /// XMM-Newton EPIC: 0.2–12 keV, matched within 20″ (paper §2.6).
    pub fn xmm() -> BenchSetup {
        BenchSetup {
            instrument: None,
            band: Band::parse("0.2-12").expect("valid"),
            match_radius: 20.0,
        }
    }

    /// Mission `m`: its description's full band (the last of `bands_kev`), matched within one
    /// default cell.
    pub fn for_mission(m: SimMission) -> BenchSetup {
        let d = m.description();
        let (lo, hi) = d.bands_kev[d.bands_kev.len() - 1];
        BenchSetup {
            instrument: Some(m.instrument()),
            band: Band::parse(&format!("{lo}-{hi}")).expect("the description's band is valid"),
            match_radius: d.default_cell_arcsec,
        }
    }
}

/// How a burst sits in time relative to the frames of its t_bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Timing {
    /// Uniform inside one frame (the paper's benchmark).
    OneBin,
    /// One t_bin long, starting in the middle of a frame (half in each of two frames).
    Straddle,
    /// A fixed duration in seconds starting at a random time inside a frame.
    Duration(u32),
}

impl Timing {
    /// Label used in the benchmark tables ("one-bin", "straddle", "10s").
    pub fn label(&self) -> String {
        match self {
            Timing::OneBin => "one-bin".into(),
            Timing::Straddle => "straddle".into(),
            Timing::Duration(d) => format!("{d}s"),
        }
    }
}

/// One injected burst.
#[derive(Debug, Clone)]
pub struct Injection {
    /// Right ascension (deg).
    pub ra: f64,
    /// Declination (deg).
    pub dec: f64,
    /// Start of the burst (s, mission time).
    pub t_start: f64,
    /// End of the burst (s).
    pub t_stop: f64,
    /// Expected photons before the Poisson draw (all cameras).
    pub amplitude: f64,
    /// Photons actually added.
    pub realised: u64,
}

/// Add bursts to a copy of an event table (events stay time-sorted; grid and coverage unchanged),
/// with the XMM-Newton EPIC injection.
pub fn inject(base: &EventTable, bursts: &mut [Injection], rng: &mut ChaCha8Rng) -> EventTable {
    inject_with(&BenchSetup::xmm(), base, bursts, rng)
}

/// The PSF offset and energy draws of one setup: EPIC's King PSF and log-normal energies, or a
/// mission's King PSF of its HPD at the burst's off-axis angle and power-law energies in band.
enum Draws {
    Epic,
    Mission(KingPsf, (f64, f64)),
}

impl Draws {
    fn new(setup: &BenchSetup, base: &EventTable, b: &Injection) -> Draws {
        match setup.instrument {
            None => Draws::Epic,
            Some(ins) => {
                let c = base.grid().wcs.params().crval;
                let theta = separation_arcsec(c[0], c[1], b.ra, b.dec) / 60.0;
                let band = (setup.band.lo_ev / 1000.0, setup.band.hi_ev / 1000.0);
                Draws::Mission(KingPsf::of(ins, theta), band)
            }
        }
    }

    fn offset(&self, rng: &mut ChaCha8Rng) -> (f64, f64) {
        match self {
            Draws::Epic => king_offset(rng),
            Draws::Mission(psf, _) => psf.offset(rng),
        }
    }

    /// Energy (eV).
    fn energy(&self, rng: &mut ChaCha8Rng) -> f32 {
        match self {
            Draws::Epic => loop {
                let e = crate::simulate::photon_energy(rng) * 1000.0;
                if (200.0..=12_000.0).contains(&e) {
                    break e as f32;
                }
            },
            Draws::Mission(_, (lo, hi)) => {
                let e = crate::mission::absorbed_power_law(rng, 1.9, 0.05, (*lo, *hi));
                ((e * 1000.0) as f32).min((*hi * 1000.0) as f32 - 0.01)
            }
        }
    }
}

/// [`inject`] with the PSF and energies of `setup`.
pub fn inject_with(
    setup: &BenchSetup,
    base: &EventTable,
    bursts: &mut [Injection],
    rng: &mut ChaCha8Rng,
) -> EventTable {
    let g = base.grid();
    let px_arcsec = g.wcs.pixel_arcsec();
    let mut add: Vec<(f64, f32, f32, f32, u32, u8, u8)> = Vec::new();
    for b in bursts.iter_mut() {
        b.realised = 0;
        let Some((px, py)) = g.wcs.world_to_pix(b.ra, b.dec) else {
            continue;
        };
        let n = if b.amplitude > 0.0 {
            Poisson::new(b.amplitude)
                .map(|p| p.sample(rng) as u64)
                .unwrap_or(0)
        } else {
            0
        };
        let draws = Draws::new(setup, base, b);
        for _ in 0..n {
            let (dx, dy) = draws.offset(rng);
            // sky X increases to the west (east = −X)
            let (x, y) = (px - dx / px_arcsec, py + dy / px_arcsec);
            let Some((ix, iy)) = g.cell_of(x, y) else {
                continue;
            };
            let cell = iy * g.nx + ix;
            let terms = base.coverage().terms(cell);
            if terms.is_empty() {
                continue;
            }
            // camera by weight
            let u: f32 = rng.gen();
            let mut acc = 0.0;
            let mut pick = terms[terms.len() - 1];
            for &t in terms {
                acc += t.2;
                if u < acc {
                    pick = t;
                    break;
                }
            }
            let t = b.t_start + rng.gen::<f64>() * (b.t_stop - b.t_start);
            let live = base.cameras()[pick.0 as usize]
                .gti
                .iter()
                .find(|(c, _)| *c == pick.1)
                .map(|(_, gt)| gt.contains(t))
                .unwrap_or(false);
            if !live {
                continue;
            }
            let e = draws.energy(rng);
            add.push((t, x as f32, y as f32, e, cell as u32, pick.0, pick.1));
            b.realised += 1;
        }
    }
    let extra = add
        .into_iter()
        .map(|(time, x, y, energy, _cell, cam, ccd)| NewEvent {
            time,
            x,
            y,
            energy,
            cam,
            ccd,
        })
        .collect();
    base.with_events(extra).0
}

/// One completeness trial: where a burst went and whether it was found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Trial {
    /// Index of the observation.
    pub obs: usize,
    /// Time bin of the search (s).
    pub tbin: f64,
    /// Detection threshold (σ).
    pub sigma: f64,
    /// [`Timing::label`] of the burst.
    pub timing: String,
    /// Expected photons of the burst.
    pub amplitude: f64,
    /// Photons actually added.
    pub realised: u64,
    /// The burst's frame is a BTI.
    pub bti: bool,
    /// A peak at `sigma` within 20″ overlapping the burst in time was found.
    pub detected: bool,
    /// Offset of the best matching detection (arcsec), NaN if none.
    pub offset: f64,
}

/// Choose `k` burst positions and frames in an observation: covered cells outside the source
/// mask, ≥ 90″ apart, at a random point inside the cell, in frames where the cell is fully live,
/// far apart in time.
#[allow(clippy::too_many_arguments)]
pub fn draw_bursts(
    base: &EventTable,
    ex: &Expectation,
    frames: &Frames,
    timing: Timing,
    amplitudes: &[f64],
    rng: &mut ChaCha8Rng,
) -> Vec<Injection> {
    let g = base.grid();
    let nc = g.n_cells();
    let ok_cells: Vec<usize> = (0..nc)
        .filter(|&c| ex.covered()[c] && !ex.mask[c])
        .collect();
    let mut out: Vec<Injection> = Vec::new();
    if ok_cells.is_empty() || frames.n < 4 {
        tracing::warn!("no covered unmasked cell or fewer than 4 frames: no burst injected");
        return out;
    }
    let mut used_frames: Vec<usize> = Vec::new();
    let gap = (frames.n / (amplitudes.len() * 2 + 1)).max(3);
    for &amp in amplitudes {
        for _attempt in 0..500 {
            let c = ok_cells[rng.gen_range(0..ok_cells.len())];
            let k = rng.gen_range(1..frames.n.saturating_sub(2).max(2));
            if used_frames
                .iter()
                .any(|&u| (u as i64 - k as i64).unsigned_abs() < gap as u64)
            {
                continue;
            }
            if ex.live(c, k) < 1.0 || ex.live(c, k + 1) < 1.0 || ex.live(c, k - 1) < 1.0 {
                continue;
            }
            let (ix, iy) = (
                (c % g.nx) as f64 + rng.gen::<f64>(),
                (c / g.nx) as f64 + rng.gen::<f64>(),
            );
            let (px, py) = (g.x0 + ix * g.cell_px, g.y0 + iy * g.cell_px);
            let Some((ra, dec)) = g.wcs.pix_to_world(px, py) else {
                continue;
            };
            if out
                .iter()
                .any(|b| separation_arcsec(b.ra, b.dec, ra, dec) < 90.0)
            {
                continue;
            }
            let f0 = frames.start(k);
            let (t0, t1) = match timing {
                Timing::OneBin => (f0, f0 + frames.tbin),
                Timing::Straddle => (f0 + 0.5 * frames.tbin, f0 + 1.5 * frames.tbin),
                Timing::Duration(d) => {
                    let s = f0 + rng.gen::<f64>() * frames.tbin;
                    (s, s + d as f64)
                }
            };
            used_frames.push(k);
            out.push(Injection {
                ra,
                dec,
                t_start: t0,
                t_stop: t1,
                amplitude: amp,
                realised: 0,
            });
            break;
        }
    }
    out
}

/// Run completeness trials on one observation for one t_bin and timing: `batches` searches, each
/// with one burst per amplitude, at 3σ and 5σ, with the injection, band and match radius of
/// `setup` ([`BenchSetup::xmm`] for EPIC). Returns one trial per burst and σ.
#[allow(clippy::too_many_arguments)]
pub fn completeness_trials(
    setup: &BenchSetup,
    obs: usize,
    base: &EventTable,
    sources: Option<&[Source]>,
    tbin: f64,
    timing: Timing,
    amplitudes: &[f64],
    batches: usize,
    sigmas: &[f64],
    seed: u64,
) -> Vec<Trial> {
    let band = setup.band;
    let frames = Frames::new(base.span(), tbin);
    let ex = expectation::for_run(
        base,
        band,
        tbin,
        sources,
        &DetectParams::default().expectation,
    );
    let mut trials = Vec::new();
    for batch in 0..batches {
        let mut rng = ChaCha8Rng::seed_from_u64(
            seed ^ ((obs as u64) << 40) ^ ((tbin as u64) << 20) ^ batch as u64,
        );
        let mut bursts = draw_bursts(base, &ex, &frames, timing, amplitudes, &mut rng);
        let ev = inject_with(setup, base, &mut bursts, &mut rng);
        for &sigma in sigmas {
            let params = DetectParams {
                tbins: vec![tbin],
                bands: vec![band],
                sigma,
                ..DetectParams::default()
            };
            let Ok(res) = search(&ev, sources, &params, "bench") else {
                continue;
            };
            let bti = &res.expectations[0].bti;
            for b in &bursts {
                let best = res
                    .detections
                    .iter()
                    .filter(|d| {
                        d.kind == Kind::Peak && d.t_start < b.t_stop && d.t_stop > b.t_start
                    })
                    .map(|d| separation_arcsec(d.ra, d.dec, b.ra, b.dec))
                    .filter(|&s| s < setup.match_radius)
                    .fold(
                        f64::NAN,
                        |a: f64, s| if a.is_nan() || s < a { s } else { a },
                    );
                let k = frames.of(0.5 * (b.t_start + b.t_stop)).unwrap_or(0);
                trials.push(Trial {
                    obs,
                    tbin,
                    sigma,
                    timing: timing.label(),
                    amplitude: b.amplitude,
                    realised: b.realised,
                    bti: bti[k],
                    detected: !best.is_nan(),
                    offset: best,
                });
            }
        }
    }
    trials
}

/// Walker alias table for sampling cells by weight.
struct Alias {
    prob: Vec<f64>,
    alias: Vec<u32>,
    items: Vec<u32>,
    total: f64,
}

impl Alias {
    fn new(weights: &[(u32, f64)]) -> Alias {
        let n = weights.len();
        let total: f64 = weights.iter().map(|w| w.1).sum();
        let mut prob: Vec<f64> = weights
            .iter()
            .map(|w| w.1 * n as f64 / total.max(1e-300))
            .collect();
        let mut alias = vec![0u32; n];
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| prob[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            alias[s] = l as u32;
            prob[l] -= 1.0 - prob[s];
            if prob[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        for i in large.into_iter().chain(small) {
            prob[i] = 1.0;
        }
        Alias {
            prob,
            alias,
            items: weights.iter().map(|w| w.0).collect(),
            total,
        }
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> u32 {
        let i = rng.gen_range(0..self.prob.len());
        if rng.gen::<f64>() < self.prob[i] {
            self.items[i]
        } else {
            self.items[self.alias[i] as usize]
        }
    }
}

/// For each realisation of Poisson(μ) of one expectation, whether any cell is flagged under each
/// of `bounds`. Returns, per bound, the number of realisations with ≥ 1 flagged cell.
pub fn false_positive_realisations(
    ex: &Expectation,
    bounds: &[&Boundaries],
    n_real: usize,
    seed: u64,
) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sampler = CellSampler::new(ex);
    // eclipse candidates: cells whose μ can reach the N = 0 eclipse bound of the loosest bound
    let mu_min = bounds
        .iter()
        .map(|b| b.min_eclipse_mu())
        .fold(f64::INFINITY, f64::min);
    let beta_max = ex.beta.iter().cloned().fold(0.0, f64::max);
    let cand: Vec<usize> = (0..ex.covered().len())
        .filter(|&c| (0..2).any(|s| ex.mu_bound(c, s, beta_max) >= mu_min))
        .collect();
    let mut hits = vec![0usize; bounds.len()];
    let mut cells: Vec<u32> = Vec::new();
    for _ in 0..n_real {
        let mut flagged = vec![false; bounds.len()];
        for k in 0..ex.frames.n {
            if flagged.iter().all(|&f| f) {
                break;
            }
            sampler.draw_frame(ex, k, &mut rng, &mut cells);
            flag_frame(ex, k, &cells, &cand, mu_min, bounds, &mut flagged);
        }
        for (h, f) in hits.iter_mut().zip(&flagged) {
            *h += *f as usize;
        }
    }
    hits
}

/// Alias tables of the background templates and of the constant sources of an expectation.
struct CellSampler {
    tpl: [Alias; 2],
    src: Alias,
}

impl CellSampler {
    fn new(ex: &Expectation) -> CellSampler {
        let nc = ex.covered().len();
        let tpl: [Alias; 2] = [0, 1].map(|s| {
            Alias::new(
                &(0..nc)
                    .filter(|&c| ex.covered()[c] && ex.template[s][c] > 0.0)
                    .map(|c| (c as u32, ex.template[s][c]))
                    .collect::<Vec<_>>(),
            )
        });
        let src = Alias::new(
            &(0..nc)
                .filter(|&c| ex.src[c] > 0.0)
                .map(|c| (c as u32, ex.src[c]))
                .collect::<Vec<_>>(),
        );
        CellSampler { tpl, src }
    }

    /// The cells of the photons of frame `k` (sorted): background part β(t) Σ B_S and source part
    /// Σ R, both thinned by the live fraction.
    fn draw_frame(&self, ex: &Expectation, k: usize, rng: &mut ChaCha8Rng, cells: &mut Vec<u32>) {
        let s = ex.bti[k] as usize;
        cells.clear();
        for (alias, scale) in [(&self.tpl[s], ex.beta[k]), (&self.src, 1.0)] {
            let m = alias.total * scale;
            if m <= 0.0 || alias.prob.is_empty() {
                continue;
            }
            let n = Poisson::new(m).map(|p| p.sample(rng) as u64).unwrap_or(0);
            for _ in 0..n {
                let c = alias.sample(rng);
                if ex.nominal()[k] || rng.gen::<f64>() < ex.live(c as usize, k) {
                    cells.push(c);
                }
            }
        }
        cells.sort_unstable();
    }
}

/// Apply every bound's peak and eclipse decisions to the counts `cells` (sorted) of frame `k`.
fn flag_frame(
    ex: &Expectation,
    k: usize,
    cells: &[u32],
    cand: &[usize],
    mu_min: f64,
    bounds: &[&Boundaries],
    flagged: &mut [bool],
) {
    let mut j = 0;
    while j < cells.len() {
        let c = cells[j];
        let mut n = 0u64;
        while j < cells.len() && cells[j] == c {
            n += 1;
            j += 1;
        }
        let mu = ex.mu(c as usize, k);
        for (b, f) in bounds.iter().zip(flagged.iter_mut()) {
            if !*f && (b.is_peak(n, mu) || b.is_eclipse(n, mu)) {
                *f = true;
            }
        }
    }
    for &c in cand {
        let mu = ex.mu(c, k);
        if mu < mu_min {
            continue;
        }
        let n = cells.partition_point(|&x| x < c as u32);
        let n = cells[n..].iter().take_while(|&&x| x == c as u32).count() as u64;
        for (b, f) in bounds.iter().zip(flagged.iter_mut()) {
            if !*f && b.is_eclipse(n, mu) {
                *f = true;
            }
        }
    }
}

/// The expectation of the full band for a t_bin (the false-positive experiment's μ), XMM-Newton
/// EPIC's 0.2–12 keV.
pub fn expectation_for(base: &EventTable, sources: Option<&[Source]>, tbin: f64) -> Expectation {
    expectation_in(base, sources, tbin, BenchSetup::xmm().band)
}

/// The expectation of `band` for a t_bin.
pub fn expectation_in(
    base: &EventTable,
    sources: Option<&[Source]>,
    tbin: f64,
    band: Band,
) -> Expectation {
    expectation::for_run(
        base,
        band,
        tbin,
        sources,
        &DetectParams::default().expectation,
    )
}

/// Thresholds helper: boundaries for a σ and rule.
pub fn boundaries(sigma: f64, rule: Rule) -> Boundaries {
    Boundaries::new(
        Thresholds::for_sigma(sigma).expect("valid sigma"),
        rule,
        512,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_sampling_follows_the_weights() {
        let a = Alias::new(&[(7, 1.0), (8, 3.0), (9, 6.0)]);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut n = [0usize; 3];
        for _ in 0..100_000 {
            n[(a.sample(&mut rng) - 7) as usize] += 1;
        }
        for (k, w) in [0.1, 0.3, 0.6].iter().enumerate() {
            assert!((n[k] as f64 / 1e5 - w).abs() < 0.01, "{n:?}");
        }
    }
}
