//! Quality flags of paper Table 1, per detection:
//!
//! * `isolated` — a peak whose bins before and after hold 0 counts;
//! * `last_bin` — the most significant frame is the last frame with live time;
//! * `lt5_max` — the light curve never reaches 5 counts in a bin;
//! * `crowded` — the observation has more than 20 detections over all runs (set by the search).
//!
//! Not implemented yet: hot areas (detections piling up at one detector position across
//! observations) and problematic observations (a curated list); both need the catalogue.

use crate::decide::Kind;
use crate::measure::RegionCurve;

/// More detections than this in one observation: every detection is `crowded`.
pub const CROWDED_ABOVE: usize = 20;

/// The flags a region carries by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QualityFlags {
    /// Peak bin between two 0-count bins.
    pub isolated: bool,
    /// Peak in the last live frame.
    pub last_bin: bool,
    /// The light curve never reaches 5 counts in a bin.
    pub lt5_max: bool,
}

/// The flags of a region of `kind` whose most significant frame is `best`.
pub fn quality(kind: Kind, curve: &RegionCurve, best: usize) -> QualityFlags {
    let nf = curve.n_frames;
    let n = |k: usize| curve.n_at(k);
    QualityFlags {
        isolated: kind == Kind::Peak
            && (best == 0 || n(best - 1) == 0)
            && (best + 1 >= nf || n(best + 1) == 0),
        last_bin: best == curve.last_live,
        lt5_max: curve.max_n < 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(n: &[u32], live: &[f32]) -> RegionCurve {
        RegionCurve {
            first: 0,
            n: n.to_vec(),
            mu: vec![0.1; n.len()],
            live: live.to_vec(),
            max_n: n.iter().copied().max().unwrap_or(0),
            last_live: (0..n.len())
                .rev()
                .find(|&k| live[k] > 0.0)
                .unwrap_or(n.len() - 1),
            n_frames: n.len(),
        }
    }

    #[test]
    fn each_flag_follows_its_definition() {
        let c = curve(&[0, 3, 0, 1], &[1.0, 1.0, 1.0, 1.0]);
        let f = quality(Kind::Peak, &c, 1);
        assert!(f.isolated && !f.last_bin && f.lt5_max);
        // an eclipse is never "isolated"
        assert!(!quality(Kind::Eclipse, &c, 1).isolated);
        // a neighbour with counts breaks isolation
        let c = curve(&[1, 7, 0, 0], &[1.0, 1.0, 1.0, 0.0]);
        let f = quality(Kind::Peak, &c, 1);
        assert!(!f.isolated && !f.lt5_max);
        // last live frame: frame 3 is dead, so frame 2 is the last one
        assert!(quality(Kind::Peak, &c, 2).last_bin);
        assert!(!quality(Kind::Peak, &c, 3).last_bin);
        // peak at the first frame, next bin empty: isolated
        assert!(quality(Kind::Peak, &curve(&[6, 0, 2], &[1.0; 3]), 0).isolated);
    }
}
