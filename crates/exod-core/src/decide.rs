//! Peak and eclipse decisions of one run (paper §2.4), visiting only cells that can pass:
//!
//! * peaks only at (cell, frame) pairs holding events (a cell with N = 0 is never a peak);
//! * eclipses only in cells whose μ can reach the smallest μ at which N = 0 is an eclipse
//!   (13.1 at 3σ).
//!
//! Each decision is the exact lookup of [`crate::stats::Boundaries`]. The cost grows with the
//! events and the bright cells, not with the cube.

use std::collections::HashMap;

use crate::expectation::Expectation;
use crate::stats::{self, Boundaries};

/// Peak or eclipse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Kind {
    /// A burst: more counts than expected.
    Peak,
    /// A dip: fewer counts than expected.
    Eclipse,
}

impl Kind {
    /// "peak" or "eclipse".
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Peak => "peak",
            Kind::Eclipse => "eclipse",
        }
    }
}

/// One flagged (cell, frame).
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// Cell index.
    pub cell: u32,
    /// Frame index.
    pub frame: u32,
    /// Peak or eclipse.
    pub kind: Kind,
    /// Observed counts.
    pub n: u32,
    /// Expected counts.
    pub mu: f64,
    /// log10 of the Bayes factor of the kind.
    pub log10_b: f64,
}

/// The flags of one run and how many (cell, frame) pairs were visited.
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    /// Every flagged (cell, frame), peaks first (in frame order), then eclipses.
    pub flags: Vec<Flag>,
    /// Pairs evaluated for peaks.
    pub visited_peak: usize,
    /// Pairs evaluated for eclipses.
    pub visited_eclipse: usize,
}

/// Decide every (cell, frame) of one run. `in_band` are the indices of the band's events (in
/// time order), `event_cells` the cell of every event of the observation and `frames` the frame
/// of each band event (`u32::MAX` outside).
pub fn decide(
    ex: &Expectation,
    event_cells: &[u32],
    in_band: &[u32],
    frames: &[u32],
    bounds: &Boundaries,
) -> Decisions {
    let candidates = eclipse_candidates(ex, bounds);
    let mut is_cand = vec![false; ex.covered().len()];
    for &c in &candidates {
        is_cand[c as usize] = true;
    }
    let mut d = Decisions::default();
    let cand_counts = peaks(ex, event_cells, in_band, frames, bounds, &is_cand, &mut d);
    if !candidates.is_empty() {
        eclipses(ex, &candidates, &cand_counts, bounds, &mut d);
    }
    d
}

/// Cells whose μ can reach the N = 0 eclipse bound in some frame class.
fn eclipse_candidates(ex: &Expectation, bounds: &Boundaries) -> Vec<u32> {
    let mu_min = bounds.min_eclipse_mu();
    let beta_max = [0, 1].map(|s| {
        (0..ex.frames.n)
            .filter(|&k| ex.bti[k] as usize == s)
            .map(|k| ex.beta[k])
            .fold(0.0, f64::max)
    });
    (0..ex.covered().len() as u32)
        .filter(|&c| (0..2).any(|s| ex.mu_bound(c as usize, s, beta_max[s]) >= mu_min))
        .collect()
}

/// The peak pass over the (cell, frame) pairs holding events; returns the counts of the eclipse
/// candidates per frame, collected on the way.
fn peaks(
    ex: &Expectation,
    event_cells: &[u32],
    in_band: &[u32],
    frames: &[u32],
    bounds: &Boundaries,
    is_cand: &[bool],
    d: &mut Decisions,
) -> HashMap<(u32, u32), u32> {
    let mut cand_counts = HashMap::new();
    // dense per-cell counters, reset through the list of cells touched in the frame
    let mut count = vec![0u32; ex.covered().len()];
    let mut touched: Vec<u32> = Vec::new();
    let mut i = 0;
    while i < in_band.len() {
        let k = frames[i];
        if k == u32::MAX {
            i += 1;
            continue;
        }
        touched.clear();
        while i < in_band.len() && frames[i] == k {
            let c = event_cells[in_band[i] as usize];
            if count[c as usize] == 0 {
                touched.push(c);
            }
            count[c as usize] += 1;
            i += 1;
        }
        for &c in &touched {
            let n = std::mem::take(&mut count[c as usize]);
            if is_cand[c as usize] {
                cand_counts.insert((c, k), n);
            }
            d.visited_peak += 1;
            let mu = ex.mu(c as usize, k as usize);
            if bounds.is_peak(n as u64, mu) {
                d.flags.push(Flag {
                    cell: c,
                    frame: k,
                    kind: Kind::Peak,
                    n,
                    mu,
                    log10_b: stats::log10_b_peak(n as u64, mu),
                });
            }
        }
    }
    cand_counts
}

/// The eclipse pass over the candidate cells in every frame.
fn eclipses(
    ex: &Expectation,
    candidates: &[u32],
    cand_counts: &HashMap<(u32, u32), u32>,
    bounds: &Boundaries,
    d: &mut Decisions,
) {
    let mu_min = bounds.min_eclipse_mu();
    for k in 0..ex.frames.n {
        for &c in candidates {
            let mu = ex.mu(c as usize, k);
            if mu < mu_min {
                continue;
            }
            d.visited_eclipse += 1;
            let n = cand_counts.get(&(c, k as u32)).copied().unwrap_or(0);
            if bounds.is_eclipse(n as u64, mu) {
                d.flags.push(Flag {
                    cell: c,
                    frame: k as u32,
                    kind: Kind::Eclipse,
                    n,
                    mu,
                    log10_b: stats::log10_b_eclipse(n as u64, mu),
                });
            }
        }
    }
}
