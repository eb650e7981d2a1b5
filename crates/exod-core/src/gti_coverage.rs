//! The GTI coverage of every camera CCD in every frame of one t_bin: the fraction of the frame
//! inside the CCD's good time intervals. This is not LIVETIME (= ONTIME × DEADC): dead time within
//! a GTI is not modelled. It is the `L(x, t)` of the exposure model (paper §2.5).

use crate::grid::Frames;
use crate::observation::Observation;

/// Live time of every camera's CCDs per frame, as a fraction of `t_bin`.
#[derive(Debug, Clone)]
pub struct GtiCoverage {
    /// (camera index, ccd) → live fraction per frame.
    pub ccd_live: Vec<((u8, u8), Vec<f32>)>,
    /// Frames in which every CCD of every camera is fully live.
    pub nominal: Vec<bool>,
    /// Mean live fraction per camera and frame (for HE rates).
    pub camera_live: Vec<Vec<f32>>,
    /// Dead fraction (1 − live) per frame of every row of `ccd_live`.
    pub dead: std::sync::Arc<Vec<Vec<f32>>>,
    /// Per frame, the rows of `ccd_live` with some dead time in it (empty in nominal frames).
    pub dead_rows: std::sync::Arc<Vec<Vec<u16>>>,
}

impl GtiCoverage {
    /// The GTI coverage of every CCD of `ev`'s cameras over `frames` (one t_bin).
    pub fn new(ev: &Observation, frames: &Frames) -> GtiCoverage {
        let mut ccd_live = Vec::new();
        let mut nominal = vec![true; frames.n];
        let mut camera_live = vec![vec![0f32; frames.n]; ev.cameras().len()];
        for (ci, cam) in ev.cameras().iter().enumerate() {
            let nccd = cam.gti.len().max(1) as f32;
            for (ccd, g) in &cam.gti {
                // sweep the intervals over the frames: O(frames + intervals)
                let mut v = vec![0f32; frames.n];
                for &(a, b) in g.intervals() {
                    let k0 = (((a - frames.t0) / frames.tbin).floor().max(0.0)) as usize;
                    let mut k = k0;
                    while k < frames.n && frames.start(k) < b {
                        let (fa, fb) = (frames.start(k), frames.start(k + 1));
                        let o = (b.min(fb) - a.max(fa)).max(0.0);
                        v[k] = (v[k] as f64 + o / frames.tbin).clamp(0.0, 1.0) as f32;
                        k += 1;
                    }
                }
                for (k, &f) in v.iter().enumerate() {
                    if f < 0.999_999 {
                        nominal[k] = false;
                    }
                    camera_live[ci][k] += f / nccd;
                }
                ccd_live.push(((ci as u8, *ccd), v));
            }
        }
        let dead: Vec<Vec<f32>> = ccd_live
            .iter()
            .map(|(_, v)| v.iter().map(|&l| 1.0 - l).collect())
            .collect();
        let dead_rows: Vec<Vec<u16>> = (0..frames.n)
            .map(|k| {
                if nominal[k] {
                    Vec::new()
                } else {
                    (0..dead.len())
                        .filter(|&r| dead[r][k] > 0.0)
                        .map(|r| r as u16)
                        .collect()
                }
            })
            .collect();
        GtiCoverage {
            ccd_live,
            nominal,
            camera_live,
            dead: std::sync::Arc::new(dead),
            dead_rows: std::sync::Arc::new(dead_rows),
        }
    }
}
