//! Bad time intervals (paper §2.5.1): frames whose flare-monitor rate (EPIC: 10–12 keV) summed
//! over the live cameras exceeds the instrument's threshold per live camera (EPIC: 0.5 ct/s).
//!
//! The rate is measured over the frame itself (t_bin ≥ the rule's window, 100 s for EPIC) or over
//! the ⌈window/t_bin⌉·t_bin window containing it (shorter bins; windows nest exactly, so a frame
//! is classified with the frames around it — no one-bin shift as in EXOD2, exod2-reference §4).
//! Each camera's rate is its counts over its GTI coverage, but over at least half the window, so
//! that a window at a GTI edge with a few live seconds is not called a flare on one photon.

use crate::grid::Frames;
use crate::gti_coverage::GtiCoverage;
use crate::observation::Observation;

/// The BTI class of every frame of one t_bin.
#[derive(Debug, Clone)]
pub struct BtiClassification {
    /// Is frame k a BTI?
    pub bti: Vec<bool>,
    /// Flare-monitor rate summed over cameras per frame (ct/s).
    pub rate: Vec<f64>,
    /// The threshold used per frame (ct/s).
    pub threshold: Vec<f64>,
}

impl BtiClassification {
    /// Number of BTI frames.
    pub fn n_bti(&self) -> usize {
        self.bti.iter().filter(|&&b| b).count()
    }
}

/// Classify the frames of `frames`. `rate_per_camera` and `window_s` come from the search
/// parameters (defaults: the instrument's [`crate::instrument::BtiRule`]). An observation whose
/// instrument has no BTI rule has no BTI frame.
pub fn classify(
    ev: &Observation,
    frames: &Frames,
    live: &GtiCoverage,
    rate_per_camera: f64,
    window_s: f64,
) -> BtiClassification {
    let nf = frames.n;
    let mut out = BtiClassification {
        bti: vec![false; nf],
        rate: vec![0.0; nf],
        threshold: vec![0.0; nf],
    };
    if ev.bti_rule().is_none() {
        return out;
    }
    let ncam = ev.cameras().len();
    let per = if frames.tbin >= window_s {
        1
    } else {
        (window_s / frames.tbin).ceil() as usize
    };
    let nwin = nf.div_ceil(per);
    let mut counts = vec![vec![0f64; nwin]; ncam];
    for &i in ev.bti_events() {
        if let Some(k) = frames.of(ev.time()[i as usize]) {
            counts[ev.cam()[i as usize] as usize][k / per] += 1.0;
        }
    }
    for w in 0..nwin {
        let (a, b) = (w * per, ((w + 1) * per).min(nf));
        let (rate, n_live) = window_rate(live, &counts, w, a, b, frames.tbin);
        let thr = rate_per_camera * n_live;
        for k in a..b {
            out.rate[k] = rate;
            out.threshold[k] = thr;
            out.bti[k] = n_live > 0.0 && rate > thr;
        }
    }
    out
}

/// Σ over live cameras of counts / live time in frames a..b, and the number of live cameras (a
/// camera is live in a window if it has any live time there).
fn window_rate(
    live: &GtiCoverage,
    counts: &[Vec<f64>],
    w: usize,
    a: usize,
    b: usize,
    tbin: f64,
) -> (f64, f64) {
    let mut rate = 0.0;
    let mut n_live = 0.0;
    for (c, cam_counts) in counts.iter().enumerate() {
        let lt: f64 = live.camera_live[c][a..b]
            .iter()
            .map(|&v| v as f64)
            .sum::<f64>()
            * tbin;
        if lt > 0.0 {
            // a rate over a few live seconds is noise: divide by at least half the window
            rate += cam_counts[w] / lt.max(0.5 * (b - a) as f64 * tbin);
            n_live += 1.0;
        }
    }
    (rate, n_live)
}
