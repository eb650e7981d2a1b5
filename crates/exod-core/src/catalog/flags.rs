//! Detection flags of the catalogue (paper Table 1), each a bool with a one-line definition
//! ([`DESCRIPTIONS`], for column descriptions). `isolated`, `last_bin` and `lt5_max` come from
//! the search ([`crate::flags`]); `crowded` is recomputed here on the merged table, over all
//! runs of an observation; `hot_area` comes from [`crate::catalog::hot`]; `problematic` from
//! [`crate::catalog::problematic`].

use std::collections::HashMap;

use super::CatDetection;

/// `isolated`: one line definition.
pub const ISOLATED: &str = "peak whose light-curve bins before and after hold 0 counts";
/// `last_bin`: one line definition.
pub const LAST_BIN: &str = "most significant frame is the last frame with live time";
/// `lt5_max`: one line definition.
pub const LT5_MAX: &str = "light curve never reaches 5 counts in a bin";
/// `crowded`: one line definition.
pub const CROWDED: &str =
    "observation has more than crowded_above (default 20) detections over all runs";
/// `hot_area`: one line definition.
pub const HOT_AREA: &str = "position in the EPIC frame falls in a hot area of its time bin";
/// `problematic`: one line definition.
pub const PROBLEMATIC: &str = "observation is in the list of problematic observations";

/// (flag name, definition), in [`DetFlags`] field order.
pub const DESCRIPTIONS: [(&str, &str); 6] = [
    ("isolated", ISOLATED),
    ("last_bin", LAST_BIN),
    ("lt5_max", LT5_MAX),
    ("crowded", CROWDED),
    ("hot_area", HOT_AREA),
    ("problematic", PROBLEMATIC),
];

/// The flags of one detection (or, for a source, those every detection has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct DetFlags {
    /// See [`ISOLATED`].
    pub isolated: bool,
    /// See [`LAST_BIN`].
    pub last_bin: bool,
    /// See [`LT5_MAX`].
    pub lt5_max: bool,
    /// See [`CROWDED`] (threshold [`crate::catalog::CatalogParams::crowded_above`]).
    pub crowded: bool,
    /// See [`HOT_AREA`].
    pub hot_area: bool,
    /// See [`PROBLEMATIC`].
    pub problematic: bool,
}

impl DetFlags {
    /// The flags as an array, in [`DESCRIPTIONS`] order.
    pub fn as_array(&self) -> [bool; 6] {
        [
            self.isolated,
            self.last_bin,
            self.lt5_max,
            self.crowded,
            self.hot_area,
            self.problematic,
        ]
    }

    /// Whether any flag is set.
    pub fn any(&self) -> bool {
        self.as_array().iter().any(|&b| b)
    }

    /// The flags set in both `self` and `other`.
    pub fn and(&self, o: &DetFlags) -> DetFlags {
        DetFlags {
            isolated: self.isolated && o.isolated,
            last_bin: self.last_bin && o.last_bin,
            lt5_max: self.lt5_max && o.lt5_max,
            crowded: self.crowded && o.crowded,
            hot_area: self.hot_area && o.hot_area,
            problematic: self.problematic && o.problematic,
        }
    }

    /// All flags set (the identity of [`DetFlags::and`]).
    pub fn all() -> DetFlags {
        DetFlags {
            isolated: true,
            last_bin: true,
            lt5_max: true,
            crowded: true,
            hot_area: true,
            problematic: true,
        }
    }
}

/// `crowded` for each detection: its observation (`obsid`) has more than `above` detections in
/// `dets`, over all runs (bands, t_bins, camera subsets).
pub fn crowded(dets: &[CatDetection], above: usize) -> Vec<bool> {
    let mut per_obs: HashMap<&str, usize> = HashMap::new();
    for d in dets {
        *per_obs.entry(d.obsid.as_str()).or_insert(0) += 1;
    }
    dets.iter()
        .map(|d| per_obs[d.obsid.as_str()] > above)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testutil::det;

    #[test]
    fn crowded_counts_every_run_of_an_observation() {
        let mut dets = Vec::new();
        for k in 0..21 {
            let mut d = det(&format!("a{k}"), "0000000001", 10.0, 0.0, 1.0);
            d.tbin = [5.0, 50.0, 200.0][k % 3];
            dets.push(d);
        }
        for k in 0..20 {
            dets.push(det(&format!("b{k}"), "0000000002", 20.0, 0.0, 1.0));
        }
        let c = crowded(&dets, 20);
        assert!(c[..21].iter().all(|&b| b), "21 > 20 over all runs");
        assert!(c[21..].iter().all(|&b| !b), "20 is not more than 20");
    }

    #[test]
    fn flag_algebra() {
        let a = DetFlags {
            isolated: true,
            hot_area: true,
            ..Default::default()
        };
        let b = DetFlags {
            isolated: true,
            ..Default::default()
        };
        assert_eq!(a.and(&b), b);
        assert_eq!(DetFlags::all().and(&a), a);
        assert!(a.any() && !DetFlags::default().any());
        assert_eq!(DESCRIPTIONS[4].0, "hot_area");
        assert_eq!(a.as_array(), [true, false, false, false, true, false]);
    }
}
