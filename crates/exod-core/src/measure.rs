//! Measurements of one region (paper §2.7, §5.2.4): its light curve, its most significant frame
//! and significance, its amplitude, and the photon-centroid position.
//!
//! * **Light curve**: N and μ per frame summed over the region's cells (not a bounding box), and
//!   the mean live fraction of the cells.
//! * **Significance**: of the region sum in its most significant flagged frame (N, μ, log10 B,
//!   σ-equivalent, amplitude 16/50/84 % of eqs. 11–12).
//! * **Position**: iterative photon centroid of the events within one cell size (20″) of the
//!   current estimate, in the flagged frames for peaks, outside them for eclipses (the eclipsed
//!   source); error = rms/√n per axis combined (1σ radial), floor 1″; with fewer than 3 photons,
//!   8″/√n (the PSF rms within the aperture).

use std::collections::HashMap;

use crate::decide::Kind;
use crate::expectation::Expectation;
use crate::grid::Frames;
use crate::observation::Observation;
use crate::stats;

/// Counts, μ and live fraction per frame of a region, over a window of frames.
#[derive(Debug, Clone)]
pub struct RegionCurve {
    /// Index of the window's first frame.
    pub first: usize,
    /// Observed counts per frame of the window.
    pub n: Vec<u32>,
    /// Expected counts per frame of the window.
    pub mu: Vec<f64>,
    /// Mean live fraction of the region cells per frame of the window.
    pub live: Vec<f32>,
    /// Largest count in any frame of the observation.
    pub max_n: u32,
    /// Last frame of the observation in which a region cell is live.
    pub last_live: usize,
    /// Number of frames of the observation.
    pub n_frames: usize,
}

impl RegionCurve {
    /// Counts in frame `k` of the run (0 outside the window).
    pub fn n_at(&self, k: usize) -> u32 {
        k.checked_sub(self.first)
            .and_then(|i| self.n.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// μ in frame `k` of the run (`k` inside the window).
    pub fn mu_at(&self, k: usize) -> f64 {
        self.mu[k - self.first]
    }
}

/// The light curve over the region `cells` (sorted), from the events of each cell, over the
/// frames `window`; counts are also scanned over the whole run for `max_n`.
pub fn region_curve(
    ev: &Observation,
    ex: &Expectation,
    cells: &[u32],
    cell_events: &HashMap<u32, Vec<u32>>,
    window: std::ops::Range<usize>,
) -> RegionCurve {
    let frames = &ex.frames;
    let mut n = vec![0u32; window.len()];
    let mut all = HashMap::<usize, u32>::new();
    for c in cells {
        for &e in &cell_events[c] {
            if let Some(k) = frames.of(ev.time()[e as usize]) {
                *all.entry(k).or_default() += 1;
                if window.contains(&k) {
                    n[k - window.start] += 1;
                }
            }
        }
    }
    // in nominal frames μ summed over the cells factorises: β(t) Σ B_S + Σ R (covered cells)
    let covered = ex.covered();
    let nominal = ex.nominal();
    let cov_cells: Vec<usize> = cells
        .iter()
        .map(|&c| c as usize)
        .filter(|&c| covered[c])
        .collect();
    let sum_t = [0, 1].map(|s| cov_cells.iter().map(|&c| ex.template[s][c]).sum::<f64>());
    let sum_r: f64 = cov_cells.iter().map(|&c| ex.src[c]).sum();
    let cov_frac = cov_cells.len() as f64 / cells.len() as f64;
    let live_at = |k: usize| -> f64 {
        if nominal[k] {
            cov_frac
        } else {
            cells.iter().map(|&c| ex.live(c as usize, k)).sum::<f64>() / cells.len() as f64
        }
    };
    let mu: Vec<f64> = window
        .clone()
        .map(|k| {
            if nominal[k] {
                sum_t[ex.bti[k] as usize] * ex.beta[k] + sum_r
            } else {
                cells.iter().map(|&c| ex.mu(c as usize, k)).sum()
            }
        })
        .collect();
    let live: Vec<f32> = window.clone().map(|k| live_at(k) as f32).collect();
    let last_live = (0..frames.n)
        .rev()
        .find(|&k| live_at(k) as f32 > 0.0)
        .unwrap_or(frames.n - 1);
    RegionCurve {
        first: window.start,
        n,
        mu,
        live,
        max_n: all.values().copied().max().unwrap_or(0),
        last_live,
        n_frames: frames.n,
    }
}

/// The significance of a region in its most significant frame.
#[derive(Debug, Clone, Copy)]
pub struct Significance {
    /// The frame.
    pub frame: usize,
    /// Region counts in it.
    pub n: u64,
    /// Region μ in it.
    pub mu: f64,
    /// log10 Bayes factor of the kind.
    pub log10_b: f64,
    /// σ-equivalent.
    pub sigma: f64,
    /// Amplitude quantiles (NaN where they cannot be solved).
    pub amplitude: stats::Amplitude,
}

/// The most significant of the flagged frames `flagged` (sorted) of the region sum `curve`
/// (ties: the earlier frame).
pub fn significance(kind: Kind, curve: &RegionCurve, flagged: &[u32]) -> Significance {
    let score = |k: usize| match kind {
        Kind::Peak => stats::log10_b_peak(curve.n_at(k) as u64, curve.mu_at(k)),
        Kind::Eclipse => stats::log10_b_eclipse(curve.n_at(k) as u64, curve.mu_at(k)),
    };
    let kbest = *flagged
        .iter()
        .max_by(|&&a, &&b| {
            score(a as usize)
                .total_cmp(&score(b as usize))
                .then(b.cmp(&a))
        })
        .expect("a region has a flagged frame") as usize;
    let (n, mu) = (curve.n_at(kbest) as u64, curve.mu_at(kbest));
    let lb = score(kbest);
    let (sigma, amp) = match kind {
        Kind::Peak => (
            stats::sigma_equivalent_peak(lb),
            stats::peak_amplitude(n, mu),
        ),
        Kind::Eclipse => (
            stats::sigma_equivalent_eclipse(lb),
            stats::eclipse_amplitude(n, mu),
        ),
    };
    Significance {
        frame: kbest,
        n,
        mu,
        log10_b: lb,
        sigma,
        amplitude: amp.unwrap_or(stats::Amplitude {
            p16: f64::NAN,
            p50: f64::NAN,
            p84: f64::NAN,
        }),
    }
}

/// A photon-centroid position.
#[derive(Debug, Clone)]
pub struct Centroid {
    /// Sky X.
    pub x: f64,
    /// Sky Y.
    pub y: f64,
    /// 1σ radial error (arcsec).
    pub err_arcsec: f64,
    /// Events within the final aperture, per camera (input order).
    pub counts_per_camera: Vec<u64>,
}

/// The candidate events of a centroid: peaks — all band events in the flagged frames;
/// eclipses — the events of the region cells outside the flagged frames.
fn centroid_candidates(
    ev: &Observation,
    frames: &Frames,
    in_band: &[u32],
    cells: &[u32],
    flagged: &[usize],
    kind: Kind,
    cell_events: &HashMap<u32, Vec<u32>>,
) -> Vec<u32> {
    let time = ev.time();
    let mut cand: Vec<u32> = Vec::new();
    match kind {
        Kind::Peak => {
            for &k in flagged {
                let (a, b) = (frames.start(k), frames.start(k + 1));
                let lo = in_band.partition_point(|&e| time[e as usize] < a);
                let hi = in_band.partition_point(|&e| time[e as usize] < b);
                cand.extend_from_slice(&in_band[lo..hi]);
            }
        }
        Kind::Eclipse => {
            for c in cells {
                for &e in &cell_events[c] {
                    if let Some(k) = frames.of(time[e as usize]) {
                        if !flagged.contains(&k) {
                            cand.push(e);
                        }
                    }
                }
            }
        }
    }
    cand
}

/// Iterative centroid within one cell size of the estimate, starting from the mean position of
/// the candidates inside the region cells (or the first cell's centre).
#[allow(clippy::too_many_arguments)]
pub fn centroid(
    ev: &Observation,
    frames: &Frames,
    in_band: &[u32],
    cells: &[u32],
    flagged: &[usize],
    kind: Kind,
    cell_events: &HashMap<u32, Vec<u32>>,
) -> Centroid {
    let g = ev.grid();
    let (xs, ys) = (ev.x(), ev.y());
    let cand = centroid_candidates(ev, frames, in_band, cells, flagged, kind, cell_events);
    let (mut sx, mut sy, mut sn) = (0.0, 0.0, 0.0);
    for &e in &cand {
        if cells.binary_search(&ev.cell()[e as usize]).is_ok() {
            sx += xs[e as usize] as f64;
            sy += ys[e as usize] as f64;
            sn += 1.0;
        }
    }
    let (mut cx, mut cy) = if sn > 0.0 {
        (sx / sn, sy / sn)
    } else {
        let c = cells[0] as usize;
        g.centre((c % g.nx) as f64, (c / g.nx) as f64)
    };
    let r = g.cell_px;
    let mut sel: Vec<u32> = Vec::new();
    for _ in 0..10 {
        sel = cand
            .iter()
            .copied()
            .filter(|&e| {
                let (dx, dy) = (xs[e as usize] as f64 - cx, ys[e as usize] as f64 - cy);
                dx * dx + dy * dy <= r * r
            })
            .collect();
        if sel.is_empty() {
            break;
        }
        let n = sel.len() as f64;
        let nx = sel.iter().map(|&e| xs[e as usize] as f64).sum::<f64>() / n;
        let ny = sel.iter().map(|&e| ys[e as usize] as f64).sum::<f64>() / n;
        let moved = ((nx - cx).powi(2) + (ny - cy).powi(2)).sqrt();
        cx = nx;
        cy = ny;
        if moved < 0.01 * r {
            break;
        }
    }
    let err = centroid_error(ev, &sel, cx, cy);
    let mut counts = vec![0u64; ev.cameras().len()];
    for &e in &sel {
        counts[ev.cam()[e as usize] as usize] += 1;
    }
    Centroid {
        x: cx,
        y: cy,
        err_arcsec: err.max(1.0),
        counts_per_camera: counts,
    }
}

/// rms/√n per axis combined (arcsec); 8″/√n with fewer than 3 photons.
fn centroid_error(ev: &Observation, sel: &[u32], cx: f64, cy: f64) -> f64 {
    let n = sel.len() as f64;
    if n < 3.0 {
        return 8.0 / n.max(1.0).sqrt();
    }
    let var = |v: &[f32], c: f64| {
        sel.iter()
            .map(|&e| (v[e as usize] as f64 - c).powi(2))
            .sum::<f64>()
            / (n - 1.0)
    };
    let (vx, vy) = (var(ev.x(), cx), var(ev.y(), cy));
    ((vx + vy) / n).sqrt() * ev.grid().wcs.pixel_arcsec()
}
