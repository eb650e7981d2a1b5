//! The catalogue (paper §3, §6): detections with their source and flags, unique sources, and hot
//! areas, from the detections of any number of observations.
//!
//! [`build`] sorts the detections by `detid` first (canonical order), then:
//! 1. clusters them into sources ([`crate::catalog::cluster`]);
//! 2. computes each source's position ([`crate::catalog::position`]);
//! 3. numbers the sources 1..n by (RA, Dec, smallest detid) of the source, so the same
//!    detections in any order, or merged from any number of shards, give the same numbers;
//! 4. names them ([`crate::catalog::names`], suffixes in srcid order);
//! 5. finds hot areas ([`crate::catalog::hot`]) and sets the detection flags
//!    ([`crate::catalog::flags`]);
//! 6. summarises each source. A source flag is set when **every** detection of the source has it
//!    (a source seen once cleanly is not spoiled by a flagged detection elsewhere);
//!    `clean` is true when at least one detection has no flag at all.
//!
//! Detections come out ordered by (srcid, obsid, detid), sources by srcid.

use std::collections::BTreeSet;

use rayon::prelude::*;

use super::cluster::{friends_of_friends, LinkParams};
use super::flags::{crowded, DetFlags};
use super::hot::{find_hot_areas, HotArea, HotParams};
use super::names::unique_names;
use super::position::{mean_position, MeanPosition};
use super::problematic::ProblematicList;
use super::CatDetection;
use crate::search::Kind;
use crate::sky::separation_arcsec;

/// Parameters of the catalogue, each with its default.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CatalogParams {
    /// Linking rule of unique sources (default 20″, 3σ, cap 40″; [`LinkParams`]).
    pub link: LinkParams,
    /// Hot-area search (default 15″, 4 observations, p < 1e-3, centre 60″, field 900″;
    /// [`HotParams`]).
    pub hot: HotParams,
    /// An observation with more detections than this (all runs) is `crowded`. Default 20
    /// (paper Table 1).
    pub crowded_above: usize,
    /// Problematic observations. Default: the shipped list
    /// ([`ProblematicList::default_list`]).
    pub problematic: ProblematicList,
}

impl Default for CatalogParams {
    fn default() -> Self {
        CatalogParams {
            link: LinkParams::default(),
            hot: HotParams::default(),
            crowded_above: crate::flags::CROWDED_ABOVE,
            problematic: ProblematicList::default_list(),
        }
    }
}

/// One detection of the catalogue.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CatalogDetection {
    /// The input detection.
    #[serde(flatten)]
    pub det: CatDetection,
    /// Its unique source ([`UniqueSource::srcid`]).
    pub srcid: u32,
    /// The source's name.
    pub srcname: String,
    /// Table 1 `crowded`, recomputed on the merged table.
    pub flag_crowded: bool,
    /// In a hot area of its t_bin.
    pub flag_hot_area: bool,
    /// Its observation is problematic.
    pub flag_problematic: bool,
    /// The hot area it is in ([`HotArea::id`]).
    pub hot_area_id: Option<u32>,
    /// EPIC-frame position (arcsec), `None` without a pointing.
    pub epic_frame: Option<(f64, f64)>,
    /// Separation from its source's position (arcsec).
    pub sep_from_source: f64,
}

impl CatalogDetection {
    /// All six flags of paper Table 1.
    pub fn flags(&self) -> DetFlags {
        DetFlags {
            isolated: self.det.flag_isolated,
            last_bin: self.det.flag_last_bin,
            lt5_max: self.det.flag_lt5_max,
            crowded: self.flag_crowded,
            hot_area: self.flag_hot_area,
            problematic: self.flag_problematic,
        }
    }
}

/// One unique source.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UniqueSource {
    /// 1-based, by (RA, Dec, smallest detid).
    pub srcid: u32,
    /// Unique IAU name.
    pub name: String,
    /// RA (deg).
    pub ra: f64,
    /// Dec (deg).
    pub dec: f64,
    /// 1σ radial position error (arcsec).
    pub pos_err: f64,
    /// Number of detections.
    pub n_detections: usize,
    /// Number of distinct observations.
    pub n_obs: usize,
    /// Number of distinct searched camera subsets.
    pub n_units: usize,
    /// Number of distinct band × t_bin runs.
    pub n_runs: usize,
    /// Distinct bands, sorted.
    pub bands: Vec<String>,
    /// Distinct t_bins (s), ascending.
    pub tbins: Vec<f64>,
    /// Number of peak detections.
    pub n_peaks: usize,
    /// Number of eclipse detections.
    pub n_eclipses: usize,
    /// Largest decision σ of its peaks (NaN if none).
    pub max_sigma_peak: f64,
    /// Largest decision σ of its eclipses (NaN if none).
    pub max_sigma_eclipse: f64,
    /// Earliest `t_start` (MJD; NaN if no detection has an MJDREF).
    pub mjd_first: f64,
    /// Latest `t_stop` (MJD).
    pub mjd_last: f64,
    /// Largest light-curve peak rate (ct/s; NaN without curves).
    pub peak_rate: f64,
    /// Detections with each flag, in [`super::flags::DESCRIPTIONS`] order.
    pub n_flagged: [usize; 6],
    /// The flags every detection has.
    pub flags: DetFlags,
    /// At least one detection has no flag.
    pub clean: bool,
    /// Its detids, comma-joined (canonical order).
    pub detids: String,
    /// Its distinct obsids, sorted, comma-joined.
    pub obsids: String,
}

/// The catalogue.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Catalog {
    /// Detections by (srcid, obsid, detid).
    pub detections: Vec<CatalogDetection>,
    /// Unique sources by srcid.
    pub sources: Vec<UniqueSource>,
    /// Hot areas by id.
    pub hot_areas: Vec<HotArea>,
}

fn canonical_sort(dets: &mut [CatDetection]) {
    dets.par_sort_by(|a, b| {
        a.detid
            .cmp(&b.detid)
            .then(a.obsid.cmp(&b.obsid))
            .then(a.t_peak.total_cmp(&b.t_peak))
            .then(a.ra.total_cmp(&b.ra))
            .then(a.dec.total_cmp(&b.dec))
    });
}

/// Sources as member lists (indices into `dets`, ascending), numbered by srcid − 1, with their
/// positions.
fn sources_of(dets: &[CatDetection], link: &LinkParams) -> (Vec<Vec<usize>>, Vec<MeanPosition>) {
    let ra: Vec<f64> = dets.iter().map(|d| d.ra).collect();
    let dec: Vec<f64> = dets.iter().map(|d| d.dec).collect();
    let err: Vec<f64> = dets.iter().map(|d| d.pos_err).collect();
    let labels = friends_of_friends(&ra, &dec, &err, link);
    let k = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &l) in labels.iter().enumerate() {
        groups[l as usize].push(i);
    }
    let pos: Vec<MeanPosition> = groups
        .par_iter()
        .map(|g| {
            let pick = |v: &[f64]| g.iter().map(|&i| v[i]).collect::<Vec<f64>>();
            mean_position(&pick(&ra), &pick(&dec), &pick(&err))
        })
        .collect();
    let mut order: Vec<usize> = (0..k).collect();
    order.par_sort_by(|&a, &b| {
        (pos[a].ra.total_cmp(&pos[b].ra))
            .then(pos[a].dec.total_cmp(&pos[b].dec))
            .then(groups[a][0].cmp(&groups[b][0]))
    });
    let groups_sorted = order
        .iter()
        .map(|&s| std::mem::take(&mut groups[s]))
        .collect();
    let pos_sorted = order.iter().map(|&s| pos[s]).collect();
    (groups_sorted, pos_sorted)
}

/// Build the catalogue of `dets` (see the module docs).
pub fn build(mut dets: Vec<CatDetection>, params: &CatalogParams) -> Catalog {
    canonical_sort(&mut dets);
    let (groups, pos) = sources_of(&dets, &params.link);
    let names = unique_names(&pos.iter().map(|p| (p.ra, p.dec)).collect::<Vec<_>>());
    let hot = find_hot_areas(&dets, &params.hot);
    let crowd = crowded(&dets, params.crowded_above);
    let mut srcid = vec![0u32; dets.len()];
    for (s, g) in groups.iter().enumerate() {
        for &i in g {
            srcid[i] = s as u32 + 1;
        }
    }
    let flags: Vec<DetFlags> = dets
        .iter()
        .enumerate()
        .map(|(i, d)| DetFlags {
            isolated: d.flag_isolated,
            last_bin: d.flag_last_bin,
            lt5_max: d.flag_lt5_max,
            crowded: crowd[i],
            hot_area: hot.area_of[i].is_some(),
            problematic: params.problematic.contains(&d.obsid),
        })
        .collect();
    let sources: Vec<UniqueSource> = groups
        .par_iter()
        .enumerate()
        .map(|(s, g)| summarize(s as u32 + 1, &names[s], &pos[s], g, &dets, &flags))
        .collect();
    let mut detections: Vec<CatalogDetection> = dets
        .into_iter()
        .enumerate()
        .map(|(i, det)| {
            let s = srcid[i] as usize - 1;
            CatalogDetection {
                sep_from_source: separation_arcsec(det.ra, det.dec, pos[s].ra, pos[s].dec),
                det,
                srcid: srcid[i],
                srcname: names[s].clone(),
                flag_crowded: flags[i].crowded,
                flag_hot_area: flags[i].hot_area,
                flag_problematic: flags[i].problematic,
                hot_area_id: hot.area_of[i],
                epic_frame: hot.epic[i],
            }
        })
        .collect();
    // canonical order is by detid, so a stable sort by (srcid, obsid) gives (srcid, obsid, detid)
    detections.par_sort_by(|a, b| a.srcid.cmp(&b.srcid).then(a.det.obsid.cmp(&b.det.obsid)));
    Catalog {
        detections,
        sources,
        hot_areas: hot.areas,
    }
}

fn max_or_nan(it: impl Iterator<Item = f64>) -> f64 {
    it.filter(|x| !x.is_nan()).fold(f64::NAN, f64::max)
}

fn min_or_nan(it: impl Iterator<Item = f64>) -> f64 {
    it.filter(|x| !x.is_nan()).fold(f64::NAN, f64::min)
}

fn summarize(
    srcid: u32,
    name: &str,
    pos: &MeanPosition,
    g: &[usize],
    dets: &[CatDetection],
    flags: &[DetFlags],
) -> UniqueSource {
    let m = || g.iter().map(|&i| &dets[i]);
    let distinct = |f: &dyn Fn(&CatDetection) -> String| m().map(f).collect::<BTreeSet<String>>();
    let obsids = distinct(&|d| d.obsid.clone());
    let mut tbins: Vec<f64> = m().map(|d| d.tbin).collect();
    tbins.sort_by(f64::total_cmp);
    tbins.dedup();
    let sigma_of = |k: Kind| max_or_nan(m().filter(|d| d.kind == k).map(|d| d.sigma));
    let mut n_flagged = [0usize; 6];
    let mut all = DetFlags::all();
    for &i in g {
        for (c, f) in n_flagged.iter_mut().zip(flags[i].as_array()) {
            *c += f as usize;
        }
        all = all.and(&flags[i]);
    }
    UniqueSource {
        srcid,
        name: name.to_string(),
        ra: pos.ra,
        dec: pos.dec,
        pos_err: pos.pos_err,
        n_detections: g.len(),
        n_obs: obsids.len(),
        n_units: distinct(&|d| d.unit.clone()).len(),
        n_runs: distinct(&|d| format!("{}_{}", d.band, d.tbin)).len(),
        bands: distinct(&|d| d.band.clone()).into_iter().collect(),
        tbins,
        n_peaks: m().filter(|d| d.kind == Kind::Peak).count(),
        n_eclipses: m().filter(|d| d.kind == Kind::Eclipse).count(),
        max_sigma_peak: sigma_of(Kind::Peak),
        max_sigma_eclipse: sigma_of(Kind::Eclipse),
        mjd_first: min_or_nan(m().map(|d| d.mjdref + d.t_start / 86400.0)),
        mjd_last: max_or_nan(m().map(|d| d.mjdref + d.t_stop / 86400.0)),
        peak_rate: max_or_nan(m().filter_map(|d| d.curve.map(|c| c.peak_rate))),
        n_flagged,
        flags: all,
        clean: g.iter().any(|&i| !flags[i].any()),
        detids: m().map(|d| d.detid.as_str()).collect::<Vec<_>>().join(","),
        obsids: obsids.into_iter().collect::<Vec<_>>().join(","),
    }
}
