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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposure::{Exposure, ExposureHeader, ExposureParts};
    use crate::gti::Gti;
    use crate::instrument::Mission;
    use crate::wcs::{Projection, SkyWcs, WcsParams};

    /// A MOS exposure with CCD 1 live over `gti` and 10–12 keV events at `times`.
    fn mos(instrume: &str, gti: (f64, f64), times: &[f64]) -> Exposure {
        let n = times.len();
        let mut g = std::collections::BTreeMap::new();
        g.insert(1, Gti::single(gti.0, gti.1));
        Exposure::new(ExposureParts {
            wcs: Ok(SkyWcs::new(WcsParams {
                projection: Projection::Tan,
                crval: [10.0, 20.0],
                crpix: [25921.0, 25921.0],
                cdelt: [-1.0 / 72000.0, 1.0 / 72000.0],
            })
            .unwrap()),
            time: times.to_vec(),
            x: vec![25921.0; n],
            y: vec![25921.0; n],
            energy: vec![11_000.0; n],
            ccd: vec![1; n],
            gti: g,
            ..ExposureParts::empty(instrume, ExposureHeader::new(Mission::Xmm, "XMM", instrume))
        })
        .unwrap()
    }

    fn spread(n: usize, a: f64, b: f64) -> Vec<f64> {
        (0..n)
            .map(|i| a + (b - a) * (i as f64 + 0.5) / n as f64)
            .collect()
    }

    /// The rule when one camera is partly live: its rate is its counts over its live time, but
    /// over at least half the window, and the threshold counts the cameras live in the window.
    #[test]
    fn bti_rule_with_a_partly_live_camera() {
        // M1 live 0–1000 s; M2 live 0–520 s. Windows of 100 s (t_bin 100).
        let mut m1 = spread(10, 500.0, 600.0); // 0.1 ct/s in [500, 600)
        m1.extend(spread(60, 600.0, 700.0)); // 0.6 ct/s in [600, 700), M2 off there
        m1.extend(spread(10, 800.0, 900.0));
        let mut m2 = spread(45, 500.0, 520.0); // 45 in 20 live s: 2.25 ct/s over the live time
        m2.extend(spread(3, 300.0, 305.0));
        let ev = Observation::new(
            &[
                mos("EMOS1", (0.0, 1000.0), &m1),
                mos("EMOS2", (0.0, 520.0), &m2),
            ],
            20.0,
        )
        .unwrap();
        let frames = Frames::new((0.0, 1000.0), 100.0);
        let live = GtiCoverage::new(&ev, &frames);
        let c = classify(&ev, &frames, &live, 0.5, 100.0);
        // [500, 600): M2 live 20 s of 100, so its rate is taken over 50 s (half the window):
        // 0.1 + 45/50 = 1.0, threshold 0.5 × 2 live cameras = 1.0: not above (45/20 would be)
        assert!(
            (c.rate[5] - 1.0).abs() < 1e-9 && c.threshold[5] == 1.0 && !c.bti[5],
            "{:?}",
            &c.rate
        );
        // [600, 700): only M1 is live: threshold 0.5, rate 0.6
        assert!((c.rate[6] - 0.6).abs() < 1e-9 && c.threshold[6] == 0.5 && c.bti[6]);
        // [300, 400): both live all along: 3 photons over 100 s
        assert!(
            (c.rate[3] - 3.0 / 100.0).abs() < 1e-9 && !c.bti[3],
            "{}",
            c.rate[3]
        );
        assert_eq!(c.n_bti(), 1);
    }
}
