//! The EXOD transient search of one observation (paper §2.3–2.7): every band × t_bin run, each
//! a chain of named stages:
//!
//! [`crate::gti_coverage`] → [`crate::expectation`] (with [`crate::bti`], [`crate::mask`],
//! [`crate::template`]) → [`crate::decide`] → [`crate::regions`] → [`crate::measure`] →
//! [`crate::flags`].
//!
//! One read of the events serves every run; the band's events and source mask are shared by its
//! t_bins, and the GTI coverage of a t_bin by its bands. Runs are independent and run in parallel
//! on the current rayon pool ([`search_in`] takes a caller's pool).
//!
//! ```no_run
//! # fn f(obs: &exod_core::observation::Observation) -> Result<(), exod_core::CoreError> {
//! use exod_core::search::{search_in, DetectParams};
//! let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
//! let res = search_in(&pool, obs, None, &DetectParams::default(), "0201903501")?;
//! println!("{} detections", res.detections.len());
//! # Ok(()) }
//! ```

use std::collections::HashMap;

use rayon::prelude::*;

use crate::band::Band;
pub use crate::decide::Kind;
use crate::decide::{self, Flag};
use crate::error::CoreError;
use crate::expectation::{self, Expectation, ExpectationParams};
use crate::flags;
use crate::grid::Frames;
use crate::gti_coverage::GtiCoverage;
use crate::instrument::Instrument;
use crate::mask;
use crate::measure::{self, RegionCurve};
use crate::observation::Observation;
use crate::regions;
use crate::source::Source;
use crate::stats::{decision_sigma, Boundaries, Rule, Thresholds};

/// Parameters of a search, each with the paper's default.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DetectParams {
    /// Cell size (arcsec). Default 20 (EPIC's); 0 means "the instrument's", filled by
    /// [`DetectParams::for_instrument`].
    pub cell_arcsec: f64,
    /// Time bins (s). Default 5, 50, 200.
    pub tbins: Vec<f64>,
    /// Energy bands. Default 0.2–2, 2–12, 0.2–12 keV (EPIC's); empty means "the
    /// instrument's", filled by [`DetectParams::for_instrument`].
    pub bands: Vec<Band>,
    /// Detection threshold (σ-equivalent). Default 3; each detection reports its own σ.
    pub sigma: f64,
    /// Decision rule. Default EXOD2 parity (one extra count for peaks, which calibrates the
    /// paper's false-positive rate); `Rule::Exact` is the bare Bayes-factor rule.
    pub rule: Rule,
    /// Parameters of the expected counts μ (BTIs, source mask, templates; paper §2.5).
    pub expectation: ExpectationParams,
    /// Frames kept on each side of a detection's flagged frames in its stored light curve
    /// (default 100: ±500 s at 5 s, ±20 ks at 200 s); `None` keeps the whole observation (memory
    /// and `lightcurves.fits` then grow as detections × frames).
    pub lightcurve_window: Option<usize>,
    /// Largest number of frames of one run (default [`crate::grid::MAX_FRAMES`]): a t_bin that
    /// would make more is refused with a message instead of allocating without bound.
    pub max_frames: usize,
}

impl DetectParams {
    /// The parameters with what was left unset filled from the instrument searched: no bands →
    /// its default bands, a cell of 0 → its default cell ([`Instrument::description`]).
    pub fn for_instrument(&self, instrument: Instrument) -> DetectParams {
        let d = instrument.description();
        let mut p = self.clone();
        if p.bands.is_empty() {
            p.bands = d.bands();
        }
        if p.cell_arcsec == 0.0 {
            p.cell_arcsec = d.default_cell_arcsec;
        }
        p
    }

    /// Check the parameters against an observation: positive t_bins and cell size, no band or
    /// t_bin given twice (their detection ids would collide), frames within `max_frames`.
    pub fn validate(&self, ev: &Observation) -> Result<(), CoreError> {
        if self.tbins.is_empty() || self.bands.is_empty() {
            return Err(CoreError::param("no t_bin or no band to search"));
        }
        for (i, t) in self.tbins.iter().enumerate() {
            if self.tbins[..i].contains(t) {
                return Err(CoreError::param(format!("t_bin {t} s is given twice")));
            }
            Frames::checked(ev.span(), *t, self.max_frames)?;
        }
        for (i, b) in self.bands.iter().enumerate() {
            if self.bands[..i].contains(b) {
                return Err(CoreError::param(format!(
                    "band {} keV is given twice",
                    b.label()
                )));
            }
        }
        if !(self.cell_arcsec > 0.0 && self.cell_arcsec.is_finite()) {
            return Err(CoreError::param(format!(
                "cell size {}″: expected > 0",
                self.cell_arcsec
            )));
        }
        Ok(())
    }
}

impl Default for DetectParams {
    fn default() -> Self {
        DetectParams {
            cell_arcsec: 20.0,
            tbins: vec![5.0, 50.0, 200.0],
            bands: ["0.2-2", "2-12", "0.2-12"]
                .iter()
                .map(|b| Band::parse(b).expect("valid"))
                .collect(),
            sigma: 3.0,
            rule: Rule::Exod2Parity,
            expectation: ExpectationParams::default(),
            lightcurve_window: Some(100),
            max_frames: crate::grid::MAX_FRAMES,
        }
    }
}

/// One detection.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Detection {
    /// `<obs_label>_<band>_<tbin>_<rank>`, rank 1-based within the run (regions ordered by their
    /// first flag).
    pub detid: String,
    /// IAU-style name from `ra`, `dec` (see [`iau_name`]).
    pub name: String,
    /// Peak (burst) or eclipse (dip).
    pub kind: Kind,
    /// Energy band of the run in keV, e.g. `0.2-2` (see [`Band::label`]).
    pub band: String,
    /// Time bin of the run (s).
    pub tbin: f64,
    /// RA of the photon centroid (deg); NaN if the WCS cannot convert it.
    pub ra: f64,
    /// Dec of the photon centroid (deg); NaN if the WCS cannot convert it.
    pub dec: f64,
    /// 1σ radial position error (arcsec).
    pub pos_err: f64,
    /// Sky pixel X of the photon centroid (FITS 1-based).
    pub x: f64,
    /// Sky pixel Y of the photon centroid (FITS 1-based).
    pub y: f64,
    /// Most significant flagged frame of the region sum (0-based index into the run's frames and
    /// the light curve).
    pub frame: usize,
    /// Start of that frame (s, event TIME system).
    pub t_peak_start: f64,
    /// End of that frame (s).
    pub t_peak_stop: f64,
    /// Start of the first flagged frame (s).
    pub t_start: f64,
    /// End of the last flagged frame (s).
    pub t_stop: f64,
    /// The largest [`crate::stats::decision_sigma`] of the region's flagged (cell, frame)s: the
    /// statistic the search's `sigma` threshold applies to (for the EXOD2 rule, that of N − 1
    /// counts), so a cut `sigma ≥ 5` on a 3σ run keeps the detections a 5σ run makes.
    pub sigma: f64,
    /// Observed counts of the region (summed over its cells) in its most significant frame (ct).
    pub region_n: u64,
    /// Expected counts μ of the region in that frame (ct, paper §2.5).
    pub region_mu: f64,
    /// log10 of B_peak or B_eclipse (paper eqs. 6–7) of `region_n` given `region_mu`.
    pub region_log10_b: f64,
    /// σ-equivalent of `region_log10_b`.
    pub region_sigma: f64,
    /// 16 % quantile of the transient amplitude (ct, paper eqs. 11–12); NaN if not solvable.
    pub amp_p16: f64,
    /// Median transient amplitude (ct); NaN if not solvable.
    pub amp_p50: f64,
    /// 84 % quantile of the transient amplitude (ct); NaN if not solvable.
    pub amp_p84: f64,
    /// Counts of the region's most significant flagged (cell, frame) (ct; its frame may differ
    /// from `frame`).
    pub cell_n: u64,
    /// Expected counts μ of that (cell, frame) (ct).
    pub cell_mu: f64,
    /// log10 Bayes factor of that (cell, frame).
    pub cell_log10_b: f64,
    /// Number of distinct sky cells in the region.
    pub n_cells: usize,
    /// Number of distinct flagged frames in the region.
    pub n_frames: usize,
    /// Band events within the final centroid aperture, per camera (input order); for peaks those
    /// in the flagged frames, for eclipses those of the region cells outside them.
    pub counts_cam: Vec<u64>,
    /// The most significant frame is a bad time interval (flaring, paper §2.5.1).
    pub bti: bool,
    /// Table 1 `isolated`: a peak whose bins before and after hold 0 counts.
    pub flag_isolated: bool,
    /// Table 1 `last_bin`: the most significant frame is the last frame with live time.
    pub flag_last_bin: bool,
    /// Table 1 `lt5_max`: the region light curve never reaches 5 counts in a bin.
    pub flag_lt5_max: bool,
    /// Table 1 `crowded`: the observation has more than [`flags::CROWDED_ABOVE`] detections over
    /// all runs.
    pub flag_crowded: bool,
    /// Spatial cells of the region (for light curves).
    #[serde(skip)]
    pub cells: Vec<u32>,
}

/// A light curve of one detection.
#[derive(Debug, Clone)]
pub struct LightCurve {
    /// The [`Detection::detid`] it belongs to.
    pub detid: String,
    /// Start of the curve's first bin (s, event TIME system).
    pub t0: f64,
    /// Index of the curve's first bin among the run's frames.
    pub first_frame: usize,
    /// Bin length (s); bin k is `[t0 + k·tbin, t0 + (k+1)·tbin)`.
    pub tbin: f64,
    /// Observed counts per frame, summed over the region's cells (ct).
    pub n: Vec<u32>,
    /// Expected counts μ per frame, summed over the region's cells (ct).
    pub mu: Vec<f64>,
    /// Whether each frame is a bad time interval.
    pub bti: Vec<bool>,
    /// Mean live fraction `L` (0–1) of the region's cells per frame.
    pub live: Vec<f32>,
}

/// Numbers about one run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunStats {
    /// Energy band in keV, e.g. `0.2-2`.
    pub band: String,
    /// Time bin (s).
    pub tbin: f64,
    /// Number of frames.
    pub n_frames: usize,
    /// Frames classified as bad time intervals (paper §2.5.1).
    pub n_bti_frames: usize,
    /// Events in the band.
    pub n_events_band: usize,
    /// (cell, frame) pairs evaluated for peaks.
    pub cells_visited_peak: usize,
    /// (cell, frame) pairs evaluated for eclipses.
    pub cells_visited_eclipse: usize,
    /// (cell, frame) pairs of the whole cube: cells × frames.
    pub n_cells_total: u64,
    /// Flagged (cell, frame) pairs, peaks and eclipses.
    pub n_flagged_cells: usize,
    /// Detections (regions) of the run.
    pub n_detections: usize,
    /// Sky cells in the band's source mask (covered cells only).
    pub n_masked_cells: usize,
    /// Covered cells of the GTI (0) and BTI (1) templates per smoothing rule (local 3×3, wide
    /// window, fallback), see [`crate::template`].
    pub template_cells: [crate::template::TemplateStats; 2],
    /// Fraction of the covered cells where μ = 0 in a frame class that occurs (a peak could never
    /// be found there): 0 unless the band has no counts at all.
    pub blind_cell_fraction: f64,
    /// Wall-clock time of the run (s).
    pub seconds: f64,
}

/// The result of a search.
pub struct SearchResult {
    /// Detections of every run, run by run (bands in order, t_bins within each band).
    pub detections: Vec<Detection>,
    /// One light curve per detection, in the same order.
    pub lightcurves: Vec<LightCurve>,
    /// One entry per band × t_bin run, in that order.
    pub runs: Vec<RunStats>,
    /// Expectations of the runs (same order as `runs`), for plots and benchmarks.
    pub expectations: Vec<Expectation>,
}

/// IAU-style name: `EXOD Jhhmmss.s±ddmmss`, truncated (moved to [`crate::catalog::names`]).
pub use crate::catalog::names::iau_name;

/// What one run needs that is shared with other runs.
struct RunInput<'a> {
    ev: &'a Observation,
    band: Band,
    tbin: f64,
    in_band: &'a [u32],
    mask: &'a [bool],
    live: &'a GtiCoverage,
    params: &'a DetectParams,
    bounds: &'a Boundaries,
    obs_label: &'a str,
}

/// The outcome of one run.
struct RunOutput {
    detections: Vec<Detection>,
    lightcurves: Vec<LightCurve>,
    stats: RunStats,
    expectation: Expectation,
}

/// Run one band × t_bin: expectation, decisions, regions, measurements.
fn run_one(r: &RunInput) -> RunOutput {
    let t_run = std::time::Instant::now();
    let ev = r.ev;
    let frames = Frames::new(ev.span(), r.tbin);
    let band_frames = expectation::frames_of(ev, r.in_band, &frames);
    let ex = expectation::build(
        ev,
        r.in_band,
        &band_frames,
        frames,
        r.live,
        r.mask,
        &r.params.expectation,
    );
    let d = decide::decide(&ex, ev.cell(), r.in_band, &band_frames, r.bounds);
    let groups = regions::connect(&d.flags, ev.grid().nx, ev.grid().ny);
    let cell_events = region_cell_events(ev, &d.flags, r.in_band);
    let mut detections = Vec::with_capacity(groups.len());
    let mut lightcurves = Vec::with_capacity(groups.len());
    for (rank, members) in groups.iter().enumerate() {
        let (det, lc) = measure_region(r, &ex, &d.flags, members, &cell_events, rank);
        detections.push(det);
        lightcurves.push(lc);
    }
    let stats = RunStats {
        band: r.band.label(),
        tbin: r.tbin,
        n_frames: frames.n,
        n_bti_frames: ex.bti.iter().filter(|&&b| b).count(),
        n_events_band: r.in_band.len(),
        cells_visited_peak: d.visited_peak,
        cells_visited_eclipse: d.visited_eclipse,
        n_cells_total: (ev.grid().n_cells() * frames.n) as u64,
        n_flagged_cells: d.flags.len(),
        n_detections: detections.len(),
        n_masked_cells: ex.mask.iter().filter(|&&m| m).count(),
        template_cells: ex.template_stats,
        blind_cell_fraction: blind_fraction(&ex),
        seconds: t_run.elapsed().as_secs_f64(),
    };
    tracing::debug!(
        band = %stats.band,
        tbin = stats.tbin,
        frames = stats.n_frames,
        bti_frames = stats.n_bti_frames,
        flagged = stats.n_flagged_cells,
        detections = stats.n_detections,
        "run done"
    );
    RunOutput {
        detections,
        lightcurves,
        stats,
        expectation: ex,
    }
}

/// Fraction of covered cells with μ ≡ 0 (template and constant source 0) in a class with frames.
fn blind_fraction(ex: &Expectation) -> f64 {
    let covered = ex.covered();
    let n_cov = covered.iter().filter(|&&c| c).count();
    if n_cov == 0 {
        return 0.0;
    }
    let classes: Vec<usize> = (0..2)
        .filter(|&s| ex.bti.iter().any(|&b| b as usize == s))
        .collect();
    let blind = (0..covered.len())
        .filter(|&c| {
            covered[c] && ex.src[c] <= 0.0 && classes.iter().any(|&s| ex.template[s][c] <= 0.0)
        })
        .count();
    blind as f64 / n_cov as f64
}

/// The band events of every flagged cell, for light curves and eclipse centroids.
fn region_cell_events(ev: &Observation, flags: &[Flag], in_band: &[u32]) -> HashMap<u32, Vec<u32>> {
    let mut region_cells: Vec<u32> = flags.iter().map(|f| f.cell).collect();
    region_cells.sort_unstable();
    region_cells.dedup();
    let mut cell_events: HashMap<u32, Vec<u32>> =
        region_cells.iter().map(|&c| (c, Vec::new())).collect();
    if !region_cells.is_empty() {
        let mut in_region = vec![false; ev.grid().n_cells()];
        for &c in &region_cells {
            in_region[c as usize] = true;
        }
        for &e in in_band {
            let c = ev.cell()[e as usize];
            if in_region[c as usize] {
                cell_events.get_mut(&c).expect("region cell").push(e);
            }
        }
    }
    cell_events
}

/// What a region is made of: its cells and flagged frames (sorted, unique), its best flag.
struct RegionParts {
    kind: Kind,
    cells: Vec<u32>,
    frames: Vec<u32>,
    best: usize,
    sigma: f64,
}

impl RegionParts {
    fn new(flags: &[Flag], members: &[usize], rule: Rule) -> RegionParts {
        let kind = flags[members[0]].kind;
        let mut cells: Vec<u32> = members.iter().map(|&j| flags[j].cell).collect();
        cells.sort_unstable();
        cells.dedup();
        let mut frames: Vec<u32> = members.iter().map(|&j| flags[j].frame).collect();
        frames.sort_unstable();
        frames.dedup();
        let best = *members
            .iter()
            .max_by(|&&a, &&b| {
                flags[a]
                    .log10_b
                    .total_cmp(&flags[b].log10_b)
                    .then(b.cmp(&a))
            })
            .expect("a region has a flag");
        let sigma = members
            .iter()
            .map(|&j| decision_sigma(rule, flags[j].n as u64, flags[j].mu, kind == Kind::Peak))
            .fold(f64::NEG_INFINITY, f64::max);
        RegionParts {
            kind,
            cells,
            frames,
            best,
            sigma,
        }
    }

    /// The light-curve window: the flagged frames ± `w` (all frames for `None`).
    fn window(&self, w: Option<usize>, n_frames: usize) -> std::ops::Range<usize> {
        match w {
            Some(w) => {
                let first = self.frames[0] as usize;
                let last = *self.frames.last().expect("a region has a frame") as usize;
                first.saturating_sub(w)..(last + 1 + w).min(n_frames)
            }
            None => 0..n_frames,
        }
    }
}

/// The detection and light curve of one region.
fn measure_region(
    r: &RunInput,
    ex: &Expectation,
    flags: &[Flag],
    members: &[usize],
    cell_events: &HashMap<u32, Vec<u32>>,
    rank: usize,
) -> (Detection, LightCurve) {
    let (ev, frames) = (r.ev, &ex.frames);
    let reg = RegionParts::new(flags, members, r.params.rule);
    let window = reg.window(r.params.lightcurve_window, frames.n);
    let curve = measure::region_curve(ev, ex, &reg.cells, cell_events, window);
    let sig = measure::significance(reg.kind, &curve, &reg.frames);
    let flagged: Vec<usize> = reg.frames.iter().map(|&k| k as usize).collect();
    let pos = measure::centroid(
        ev,
        frames,
        r.in_band,
        &reg.cells,
        &flagged,
        reg.kind,
        cell_events,
    );
    let q = flags::quality(reg.kind, &curve, sig.frame);
    let detid = format!("{}_{}_{}_{}", r.obs_label, r.band.label(), r.tbin, rank + 1);
    let lc = light_curve(&detid, r.tbin, ex, curve);
    let det = detection(r, ex, &flags[reg.best], reg, sig, pos, q, detid);
    (det, lc)
}

/// The stored light curve of a region.
fn light_curve(detid: &str, tbin: f64, ex: &Expectation, curve: RegionCurve) -> LightCurve {
    let RegionCurve {
        first, n, mu, live, ..
    } = curve;
    LightCurve {
        detid: detid.to_string(),
        t0: ex.frames.start(first),
        first_frame: first,
        tbin,
        bti: ex.bti[first..first + n.len()].to_vec(),
        n,
        mu,
        live,
    }
}

/// Assemble a detection from the measurements of its region.
#[allow(clippy::too_many_arguments)]
fn detection(
    r: &RunInput,
    ex: &Expectation,
    best: &Flag,
    reg: RegionParts,
    sig: measure::Significance,
    pos: measure::Centroid,
    q: flags::QualityFlags,
    detid: String,
) -> Detection {
    let frames = &ex.frames;
    let (ra, dec) =
        r.ev.grid()
            .wcs
            .pix_to_world(pos.x, pos.y)
            .unwrap_or((f64::NAN, f64::NAN));
    let last = *reg.frames.last().expect("a region has a frame") as usize;
    Detection {
        detid,
        name: iau_name(ra, dec),
        kind: reg.kind,
        band: r.band.label(),
        tbin: r.tbin,
        ra,
        dec,
        pos_err: pos.err_arcsec,
        x: pos.x,
        y: pos.y,
        frame: sig.frame,
        t_peak_start: frames.start(sig.frame),
        t_peak_stop: frames.start(sig.frame + 1),
        t_start: frames.start(reg.frames[0] as usize),
        t_stop: frames.start(last + 1),
        sigma: reg.sigma,
        region_n: sig.n,
        region_mu: sig.mu,
        region_log10_b: sig.log10_b,
        region_sigma: sig.sigma,
        amp_p16: sig.amplitude.p16,
        amp_p50: sig.amplitude.p50,
        amp_p84: sig.amplitude.p84,
        cell_n: best.n as u64,
        cell_mu: best.mu,
        cell_log10_b: best.log10_b,
        n_cells: reg.cells.len(),
        n_frames: reg.frames.len(),
        counts_cam: pos.counts_per_camera,
        bti: ex.bti[sig.frame],
        flag_isolated: q.isolated,
        flag_last_bin: q.last_bin,
        flag_lt5_max: q.lt5_max,
        flag_crowded: false,
        cells: reg.cells,
    }
}

/// Search one observation's events for transients with every band × t_bin of `params`, on the
/// current rayon pool.
pub fn search(
    ev: &Observation,
    sources: Option<&[Source]>,
    params: &DetectParams,
    obs_label: &str,
) -> Result<SearchResult, CoreError> {
    params.validate(ev)?;
    let thresholds = Thresholds::for_sigma(params.sigma)?;
    // counts beyond the table are decided by direct evaluation (rare: bright cells at long t_bin)
    let bounds = Boundaries::new(thresholds, params.rule, 128);
    tracing::debug!(
        events = ev.len(),
        runs = params.bands.len() * params.tbins.len(),
        sigma = params.sigma,
        "searching"
    );
    // per band: its events and its source mask, shared by the band's t_bin runs
    let per_band: Vec<(Band, Vec<u32>, Vec<bool>)> = params
        .bands
        .par_iter()
        .map(|&band| {
            let in_band = expectation::band_events(ev, band);
            let mask = mask::source_mask(ev, &in_band, sources, params.expectation.mask_ln_p);
            (band, in_band, mask)
        })
        .collect();
    // per t_bin: the GTI coverage of every CCD in every frame, shared by the bands
    let lives: Vec<GtiCoverage> = params
        .tbins
        .par_iter()
        .map(|&t| GtiCoverage::new(ev, &Frames::new(ev.span(), t)))
        .collect();
    let combos: Vec<(usize, usize)> = (0..per_band.len())
        .flat_map(|b| (0..params.tbins.len()).map(move |t| (b, t)))
        .collect();
    let outputs: Vec<RunOutput> = combos
        .par_iter()
        .map(|&(b, t)| {
            let (band, in_band, mask) = &per_band[b];
            run_one(&RunInput {
                ev,
                band: *band,
                tbin: params.tbins[t],
                in_band,
                mask,
                live: &lives[t],
                params,
                bounds: &bounds,
                obs_label,
            })
        })
        .collect();
    Ok(collect(outputs))
}

/// Search on a caller's thread pool (a Dask worker or a Python caller bounds its threads).
pub fn search_in(
    pool: &rayon::ThreadPool,
    ev: &Observation,
    sources: Option<&[Source]>,
    params: &DetectParams,
    obs_label: &str,
) -> Result<SearchResult, CoreError> {
    pool.install(|| search(ev, sources, params, obs_label))
}

/// Join the runs' outputs and set the observation-level flags.
fn collect(outputs: Vec<RunOutput>) -> SearchResult {
    let mut res = SearchResult {
        detections: vec![],
        lightcurves: vec![],
        runs: vec![],
        expectations: vec![],
    };
    for o in outputs {
        res.detections.extend(o.detections);
        res.lightcurves.extend(o.lightcurves);
        res.runs.push(o.stats);
        res.expectations.push(o.expectation);
    }
    let crowded = res.detections.len() > flags::CROWDED_ABOVE;
    for d in &mut res.detections {
        d.flag_crowded = crowded;
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iau_names() {
        assert_eq!(iau_name(150.1191, 2.2058), "EXOD J100028.5+021220");
        assert_eq!(iau_name(0.0, -0.5), "EXOD J000000.0-003000");
    }
}
