//! The EXOD catalogue: detections of many observations merged into unique sources, with the
//! quality flags of paper Table 1 and the hot areas of §2.7.2 found from the data (paper §3,
//! Tables 1–3). No I/O: another crate fills [`CatDetection`]s from `detections.fits` files.
//!
//! | concern | module | paper |
//! |---|---|---|
//! | light-curve statistics of one detection | [`lcstats`] | §8.1 of the EXOD2 reference |
//! | unique sources by friends-of-friends | [`cluster`] | §3.2, Table 3 |
//! | error-weighted source positions | [`position`] | §3.2 |
//! | IAU names, unique | [`names`] | §5 |
//! | hot areas in the detector frame | [`hot`] | §2.7.2 |
//! | detection flags | [`flags`] | Table 1 |
//! | problematic observations | [`problematic`] | §2.7, Table 1 |
//! | the catalogue: detections, sources, hot areas | [`summary`] | §3, §6 |
//!
//! Everything is deterministic: [`summary::build`] sorts its input by `detid` before anything,
//! so the same detections in any order (or concatenated from any number of shards) give the
//! same catalogue, bit for bit.
//!
//! ```
//! use exod_core::catalog::{build, CatalogParams};
//! let cat = build(Vec::new(), &CatalogParams::default());
//! assert!(cat.sources.is_empty());
//! ```

pub mod cluster;
pub mod flags;
pub mod hot;
pub mod lcstats;
pub mod names;
pub mod position;
pub mod problematic;
pub mod summary;

pub use lcstats::{curve_stats, CurveStats};
pub use summary::{build, Catalog, CatalogDetection, CatalogParams, UniqueSource};

/// The pointing of an observation (deg): RA_PNT, DEC_PNT and the roll PA_PNT, which define the
/// detector-fixed EPIC frame ([`crate::sky::epic_frame`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Pointing {
    /// RA_PNT (deg).
    pub ra: f64,
    /// DEC_PNT (deg).
    pub dec: f64,
    /// PA_PNT (deg east of north).
    pub pa: f64,
}

/// One detection of one run, as the catalogue needs it (filled from `detections.fits`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CatDetection {
    /// Unique across the archive, e.g. `0123456789_0_0.2-2_5_3`.
    pub detid: String,
    /// 10-digit OBS_ID.
    pub obsid: String,
    /// The searched camera subset, `<obsid>_<k>`.
    pub unit: String,
    /// Peak or eclipse.
    pub kind: crate::search::Kind,
    /// Energy band (keV), e.g. `0.2-2`.
    pub band: String,
    /// Time bin (s).
    pub tbin: f64,
    /// RA (deg).
    pub ra: f64,
    /// Dec (deg).
    pub dec: f64,
    /// 1σ radial position error (arcsec); may be NaN.
    pub pos_err: f64,
    /// Decision σ ([`crate::search::Detection::sigma`]).
    pub sigma: f64,
    /// σ-equivalent of the region's Bayes factor in its peak frame.
    pub region_sigma: f64,
    /// Counts of the region in its peak frame (ct).
    pub region_n: u64,
    /// Expected counts of the region in its peak frame (ct).
    pub region_mu: f64,
    /// Start of the first flagged frame (mission s).
    pub t_start: f64,
    /// End of the last flagged frame (mission s).
    pub t_stop: f64,
    /// Start of the most significant frame (mission s).
    pub t_peak: f64,
    /// MJD of mission time 0 (NaN if unknown).
    pub mjdref: f64,
    /// The observation's pointing, if known.
    pub pointing: Option<Pointing>,
    /// The most significant frame is a bad time interval.
    pub bti: bool,
    /// Table 1 `isolated` (from the search).
    pub flag_isolated: bool,
    /// Table 1 `last_bin` (from the search).
    pub flag_last_bin: bool,
    /// Table 1 `lt5_max` (from the search).
    pub flag_lt5_max: bool,
    /// Statistics of its light curve ([`curve_stats`]), `None` if absent.
    pub curve: Option<CurveStats>,
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Builders for catalogue tests.
    use super::*;

    /// A deterministic pseudo-random stream in [0, 1).
    pub fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A plain peak detection at (`ra`, `dec`).
    pub fn det(detid: &str, obsid: &str, ra: f64, dec: f64, pos_err: f64) -> CatDetection {
        CatDetection {
            detid: detid.to_string(),
            obsid: obsid.to_string(),
            unit: format!("{obsid}_0"),
            kind: crate::search::Kind::Peak,
            band: "0.2-12".to_string(),
            tbin: 5.0,
            ra,
            dec,
            pos_err,
            sigma: 4.0,
            region_sigma: 4.0,
            region_n: 10,
            region_mu: 1.0,
            t_start: 1000.0,
            t_stop: 1010.0,
            t_peak: 1005.0,
            mjdref: 50814.0,
            pointing: None,
            bti: false,
            flag_isolated: false,
            flag_last_bin: false,
            flag_lt5_max: false,
            curve: None,
        }
    }
}
