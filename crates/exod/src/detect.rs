//! The EXOD transient search (paper §2.3–2.5, §2.7): decisions, regions, detections, light curves.
//!
//! One read of the events serves every band × t_bin run (runs are independent and run in
//! parallel). In each run:
//! * **Decisions** through the exact lookup of [`crate::stats::Boundaries`], visiting only cells
//!   that can pass: peaks only at (cell, frame) pairs holding events (a cell with N = 0 is never a
//!   peak), eclipses only in cells whose μ can reach the smallest μ at which N = 0 is an eclipse
//!   (13.1 at 3σ). The cost grows with the events and the bright cells, not with the cube.
//! * **Regions**: flagged cells of one kind (peak or eclipse) connected in space *and time*
//!   (8-connectivity in the sky plane, and consecutive frames): a burst spread over adjacent
//!   cells or frames is one detection, while the same source flaring twice gives two (EXOD2 joins
//!   every flag of a pixel over the whole observation).
//! * **Position**: iterative photon centroid (paper §5.2.4) of the events within one cell size
//!   (20″) of the current estimate, in the flagged frames for peaks, outside them for eclipses
//!   (the eclipsed source); error = rms/√n per axis combined (1σ radial), floor 1″.
//! * **Significance**: of the region summed over its cells in its most significant frame (N, μ,
//!   log10 B, σ-equivalent, amplitude 16/50/84 %), and of the single triggering cell.
//! * **Light curve**: N and μ per frame summed over the region's cells (not a bounding box).
//! * **Quality flags** (paper Table 1): `isolated` — the bins before and after the peak bin hold 0
//!   counts; `last_bin` — the peak is in the last frame with live time; `lt5_max` — the light
//!   curve never reaches 5 counts in a bin; `crowded` — the observation has more than 20
//!   detections over all runs.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::cube::{Band, EventTable, Frames, LiveTime};
use crate::events::srclist::Source;
use crate::expectation::{self, Expectation, ExpectationParams};
use crate::stats::{self, Boundaries, Rule, Thresholds};

/// Parameters of a search, each with the paper's default.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DetectParams {
    /// Cell size (arcsec). Default 20.
    pub cell_arcsec: f64,
    /// Time bins (s). Default 5, 50, 200.
    pub tbins: Vec<f64>,
    /// Energy bands. Default 0.2–2, 2–12, 0.2–12 keV.
    pub bands: Vec<Band>,
    /// Detection threshold (σ-equivalent). Default 3; each detection reports its own σ.
    pub sigma: f64,
    /// Decision rule. Default EXOD2 parity (one extra count for peaks, which calibrates the
    /// paper's false-positive rate); `Rule::Exact` is the bare Bayes-factor rule.
    pub rule: Rule,
    pub expectation: ExpectationParams,
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
        }
    }
}

/// Peak or eclipse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Kind {
    Peak,
    Eclipse,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Peak => "peak",
            Kind::Eclipse => "eclipse",
        }
    }
}

/// One detection.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Detection {
    pub detid: String,
    pub name: String,
    pub kind: Kind,
    pub band: String,
    pub tbin: f64,
    pub ra: f64,
    pub dec: f64,
    /// 1σ radial position error (arcsec).
    pub pos_err: f64,
    /// Sky pixel position.
    pub x: f64,
    pub y: f64,
    /// Most significant frame: index, start and stop (s).
    pub frame: usize,
    pub t_peak_start: f64,
    pub t_peak_stop: f64,
    /// First and last flagged frame (start of first, end of last).
    pub t_start: f64,
    pub t_stop: f64,
    /// Region sums in the most significant frame.
    pub n: u64,
    pub mu: f64,
    pub log10_b: f64,
    pub sigma: f64,
    pub amp_p16: f64,
    pub amp_p50: f64,
    pub amp_p84: f64,
    /// The single most significant cell.
    pub cell_n: u64,
    pub cell_mu: f64,
    pub cell_log10_b: f64,
    pub n_cells: usize,
    pub n_frames: usize,
    /// Events within the centroid aperture in the flagged frames, per camera (pn, M1, M2 order of
    /// the inputs; up to 3).
    pub counts_cam: [u64; 3],
    pub bti: bool,
    pub flag_isolated: bool,
    pub flag_last_bin: bool,
    pub flag_lt5_max: bool,
    pub flag_crowded: bool,
    /// Spatial cells of the region (for light curves).
    #[serde(skip)]
    pub cells: Vec<u32>,
}

/// A light curve of one detection.
#[derive(Debug, Clone)]
pub struct LightCurve {
    pub detid: String,
    pub t0: f64,
    pub tbin: f64,
    pub n: Vec<u32>,
    pub mu: Vec<f64>,
    pub bti: Vec<bool>,
    pub live: Vec<f32>,
}

/// Numbers about one run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunStats {
    pub band: String,
    pub tbin: f64,
    pub n_frames: usize,
    pub n_bti_frames: usize,
    pub n_events_band: usize,
    pub cells_visited_peak: usize,
    pub cells_visited_eclipse: usize,
    pub n_cells_total: u64,
    pub n_flagged_cells: usize,
    pub n_detections: usize,
    pub n_masked_cells: usize,
    pub bti_template_from_gti: bool,
    pub seconds: f64,
}

/// The result of a search.
pub struct SearchResult {
    pub detections: Vec<Detection>,
    pub lightcurves: Vec<LightCurve>,
    pub runs: Vec<RunStats>,
    /// Expectations of the runs (same order as `runs`), for plots and benchmarks.
    pub expectations: Vec<Expectation>,
}

/// IAU-style name: `EXOD Jhhmmss.s±ddmmss`.
pub fn iau_name(ra: f64, dec: f64) -> String {
    let ra_h = (ra / 15.0).rem_euclid(24.0);
    let h = ra_h.floor();
    let m = ((ra_h - h) * 60.0).floor();
    let s = (((ra_h - h) * 60.0 - m) * 60.0 * 10.0).floor() / 10.0;
    let sign = if dec < 0.0 { '-' } else { '+' };
    let d_abs = dec.abs();
    let d = d_abs.floor();
    let dm = ((d_abs - d) * 60.0).floor();
    let ds = (((d_abs - d) * 60.0 - dm) * 60.0).floor();
    format!(
        "EXOD J{:02}{:02}{:04.1}{sign}{:02}{:02}{:02}",
        h as u32, m as u32, s, d as u32, dm as u32, ds as u32
    )
}

struct Flag {
    cell: u32,
    frame: u32,
    kind: Kind,
    n: u32,
    mu: f64,
    log10_b: f64,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Run one band × t_bin.
#[allow(clippy::too_many_arguments)]
fn run_one(
    ev: &EventTable,
    band: Band,
    tbin: f64,
    in_band: &[u32],
    mask: &[bool],
    live: &LiveTime,
    params: &DetectParams,
    bounds: &Boundaries,
    obs_label: &str,
) -> (Vec<Detection>, Vec<LightCurve>, RunStats, Expectation) {
    let t_run = std::time::Instant::now();
    let frames = Frames::new(ev.span(), tbin);
    let nx = ev.grid.nx;
    let band_frames = expectation::frames_of(ev, in_band, &frames);
    let ex = expectation::build(
        ev,
        &in_band,
        &band_frames,
        frames,
        &live,
        mask,
        &params.expectation,
    );

    // --- eclipse candidates: only cells whose μ can reach the N = 0 eclipse bound --------------------
    let mu_min = bounds.min_eclipse_mu();
    let beta_max = [0, 1].map(|s| {
        (0..frames.n)
            .filter(|&k| ex.bti[k] as usize == s)
            .map(|k| ex.beta[k])
            .fold(0.0, f64::max)
    });
    let candidates: Vec<u32> = (0..ex.covered.len() as u32)
        .filter(|&c| (0..2).any(|s| ex.mu_bound(c as usize, s, beta_max[s]) >= mu_min))
        .collect();
    let mut is_cand = vec![false; ex.covered.len()];
    for &c in &candidates {
        is_cand[c as usize] = true;
    }
    // counts of the candidate cells per frame, collected during the peak pass
    let mut cand_counts: HashMap<(u32, u32), u32> = HashMap::new();

    // --- peaks: only (cell, frame) pairs holding events -------------------------------------------
    let mut flags: Vec<Flag> = Vec::new();
    let mut visited_peak = 0usize;
    let mut i = 0;
    // dense per-cell counters, reset through the list of cells touched in the frame
    let mut count = vec![0u32; ev.grid.n_cells()];
    let mut touched: Vec<u32> = Vec::new();
    while i < in_band.len() {
        let k = band_frames[i];
        if k == u32::MAX {
            i += 1;
            continue;
        }
        touched.clear();
        while i < in_band.len() && band_frames[i] == k {
            let c = ev.cell[in_band[i] as usize];
            if count[c as usize] == 0 {
                touched.push(c);
            }
            count[c as usize] += 1;
            i += 1;
        }
        let k = k as usize;
        for &c in &touched {
            let n = std::mem::take(&mut count[c as usize]);
            if is_cand[c as usize] {
                cand_counts.insert((c, k as u32), n);
            }
            visited_peak += 1;
            let mu = ex.mu(c as usize, k);
            if bounds.is_peak(n as u64, mu) {
                flags.push(Flag {
                    cell: c,
                    frame: k as u32,
                    kind: Kind::Peak,
                    n,
                    mu,
                    log10_b: stats::log10_b_peak(n as u64, mu),
                });
            }
        }
    }

    // --- eclipses ------------------------------------------------------------------------------------
    let mut visited_ecl = 0usize;
    if !candidates.is_empty() {
        for k in 0..frames.n {
            for &c in &candidates {
                let mu = ex.mu(c as usize, k);
                if mu < mu_min {
                    continue;
                }
                visited_ecl += 1;
                let n = cand_counts.get(&(c, k as u32)).copied().unwrap_or(0);
                if bounds.is_eclipse(n as u64, mu) {
                    flags.push(Flag {
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

    // --- regions: connected in (x, y) with 8-neighbours and in consecutive frames ------------------
    let index: HashMap<(u32, u32, Kind), usize> = flags
        .iter()
        .enumerate()
        .map(|(j, f)| ((f.cell, f.frame, f.kind), j))
        .collect();
    let mut parent: Vec<usize> = (0..flags.len()).collect();
    for (j, f) in flags.iter().enumerate() {
        let (x, y) = (
            (f.cell as usize % nx) as isize,
            (f.cell as usize / nx) as isize,
        );
        for dt in [0i64, 1] {
            for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    let (a, b) = (x + dx, y + dy);
                    if a < 0 || b < 0 || a as usize >= nx || b as usize >= ev.grid.ny {
                        continue;
                    }
                    let c = (b as usize * nx + a as usize) as u32;
                    if let Some(&o) = index.get(&(c, (f.frame as i64 + dt) as u32, f.kind)) {
                        let (ra, rb) = (find(&mut parent, j), find(&mut parent, o));
                        if ra != rb {
                            parent[ra.max(rb)] = ra.min(rb);
                        }
                    }
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for j in 0..flags.len() {
        let r = find(&mut parent, j);
        groups.entry(r).or_default().push(j);
    }
    let mut roots: Vec<usize> = groups.keys().copied().collect();
    roots.sort_unstable();

    // events of the region cells, for light curves
    let mut region_cells: Vec<u32> = flags.iter().map(|f| f.cell).collect();
    region_cells.sort_unstable();
    region_cells.dedup();
    let mut cell_events: HashMap<u32, Vec<u32>> =
        region_cells.iter().map(|&c| (c, Vec::new())).collect();
    if !region_cells.is_empty() {
        let mut in_region = vec![false; ex.covered.len()];
        for &c in &region_cells {
            in_region[c as usize] = true;
        }
        for &e in in_band {
            let c = ev.cell[e as usize];
            if in_region[c as usize] {
                cell_events.get_mut(&c).expect("region cell").push(e);
            }
        }
    }

    let mut dets = Vec::new();
    let mut lcs = Vec::new();
    for (rank, root) in roots.iter().enumerate() {
        let members = &groups[root];
        let kind = flags[members[0]].kind;
        let mut cells: Vec<u32> = members.iter().map(|&j| flags[j].cell).collect();
        cells.sort_unstable();
        cells.dedup();
        let mut fr: Vec<u32> = members.iter().map(|&j| flags[j].frame).collect();
        fr.sort_unstable();
        fr.dedup();
        let best = *members
            .iter()
            .max_by(|&&a, &&b| {
                flags[a]
                    .log10_b
                    .total_cmp(&flags[b].log10_b)
                    .then(b.cmp(&a))
            })
            .expect("non-empty");
        // light curve over the region cells
        let mut lc_n = vec![0u32; frames.n];
        for c in &cells {
            for &e in &cell_events[c] {
                if let Some(k) = frames.of(ev.time[e as usize]) {
                    lc_n[k] += 1;
                }
            }
        }
        // in nominal frames μ summed over the cells factorises: β(t) Σ B_S + Σ R (covered cells)
        let cov_cells: Vec<usize> = cells
            .iter()
            .map(|&c| c as usize)
            .filter(|&c| ex.covered[c])
            .collect();
        let sum_t = [0, 1].map(|s| cov_cells.iter().map(|&c| ex.template[s][c]).sum::<f64>());
        let sum_r: f64 = cov_cells.iter().map(|&c| ex.src[c]).sum();
        let cov_frac = cov_cells.len() as f64 / cells.len() as f64;
        let lc_mu: Vec<f64> = (0..frames.n)
            .map(|k| {
                if ex.nominal[k] {
                    sum_t[ex.bti[k] as usize] * ex.beta[k] + sum_r
                } else {
                    cells.iter().map(|&c| ex.mu(c as usize, k)).sum()
                }
            })
            .collect();
        let lc_live: Vec<f32> = (0..frames.n)
            .map(|k| {
                let l: f64 = if ex.nominal[k] {
                    cov_frac
                } else {
                    cells.iter().map(|&c| ex.live(c as usize, k)).sum::<f64>() / cells.len() as f64
                };
                l as f32
            })
            .collect();
        // most significant frame of the region sum
        let score = |k: usize| match kind {
            Kind::Peak => stats::log10_b_peak(lc_n[k] as u64, lc_mu[k]),
            Kind::Eclipse => stats::log10_b_eclipse(lc_n[k] as u64, lc_mu[k]),
        };
        let kbest = *fr
            .iter()
            .max_by(|&&a, &&b| {
                score(a as usize)
                    .total_cmp(&score(b as usize))
                    .then(b.cmp(&a))
            })
            .expect("non-empty") as usize;
        let (n_sum, mu_sum) = (lc_n[kbest] as u64, lc_mu[kbest]);
        let lb = score(kbest);
        let (sig, amp) = match kind {
            Kind::Peak => (
                stats::sigma_equivalent_peak(lb),
                stats::peak_amplitude(n_sum, mu_sum),
            ),
            Kind::Eclipse => (
                stats::sigma_equivalent_eclipse(lb),
                stats::eclipse_amplitude(n_sum, mu_sum),
            ),
        };
        let amp = amp.unwrap_or(stats::Amplitude {
            p16: f64::NAN,
            p50: f64::NAN,
            p84: f64::NAN,
        });
        // position: iterative centroid
        let flagged_frames: Vec<usize> = fr.iter().map(|&k| k as usize).collect();
        let (px, py, perr, ncam) = centroid(
            ev,
            &frames,
            &in_band,
            &cells,
            &flagged_frames,
            kind,
            &cell_events,
        );
        let (ra, dec) = ev
            .grid
            .wcs
            .pix_to_world(px, py)
            .unwrap_or((f64::NAN, f64::NAN));
        let last_live = (0..frames.n)
            .rev()
            .find(|&k| lc_live[k] > 0.0)
            .unwrap_or(frames.n - 1);
        let isolated = kind == Kind::Peak
            && (kbest == 0 || lc_n[kbest - 1] == 0)
            && (kbest + 1 >= frames.n || lc_n[kbest + 1] == 0);
        let lt5 = lc_n.iter().copied().max().unwrap_or(0) < 5;
        let detid = format!("{obs_label}_{}_{}_{}", band.label(), tbin, rank + 1);
        let f = &flags[best];
        dets.push(Detection {
            detid: detid.clone(),
            name: iau_name(ra, dec),
            kind,
            band: band.label(),
            tbin,
            ra,
            dec,
            pos_err: perr,
            x: px,
            y: py,
            frame: kbest,
            t_peak_start: frames.start(kbest),
            t_peak_stop: frames.start(kbest + 1),
            t_start: frames.start(fr[0] as usize),
            t_stop: frames.start(*fr.last().expect("non-empty") as usize + 1),
            n: n_sum,
            mu: mu_sum,
            log10_b: lb,
            sigma: sig,
            amp_p16: amp.p16,
            amp_p50: amp.p50,
            amp_p84: amp.p84,
            cell_n: f.n as u64,
            cell_mu: f.mu,
            cell_log10_b: f.log10_b,
            n_cells: cells.len(),
            n_frames: fr.len(),
            counts_cam: ncam,
            bti: ex.bti[kbest],
            flag_isolated: isolated,
            flag_last_bin: kbest == last_live,
            flag_lt5_max: lt5,
            flag_crowded: false,
            cells: cells.clone(),
        });
        lcs.push(LightCurve {
            detid,
            t0: frames.t0,
            tbin,
            n: lc_n,
            mu: lc_mu,
            bti: ex.bti.clone(),
            live: lc_live,
        });
    }
    let stats = RunStats {
        band: band.label(),
        tbin,
        n_frames: frames.n,
        n_bti_frames: ex.bti.iter().filter(|&&b| b).count(),
        n_events_band: in_band.len(),
        cells_visited_peak: visited_peak,
        cells_visited_eclipse: visited_ecl,
        n_cells_total: (ev.grid.n_cells() * frames.n) as u64,
        n_flagged_cells: flags.len(),
        n_detections: dets.len(),
        n_masked_cells: ex.mask.iter().filter(|&&m| m).count(),
        bti_template_from_gti: ex.bti_template_from_gti,
        seconds: t_run.elapsed().as_secs_f64(),
    };
    (dets, lcs, stats, ex)
}

/// Iterative centroid within one cell size of the estimate. Returns (x, y, 1σ error in arcsec,
/// counts per camera).
fn centroid(
    ev: &EventTable,
    frames: &Frames,
    in_band: &[u32],
    cells: &[u32],
    flagged: &[usize],
    kind: Kind,
    cell_events: &HashMap<u32, Vec<u32>>,
) -> (f64, f64, f64, [u64; 3]) {
    let g = &ev.grid;
    // candidate events: peaks — all band events in the flagged frames (time ranges);
    // eclipses — events of the region cells and their neighbours outside the flagged frames
    let mut cand: Vec<u32> = Vec::new();
    match kind {
        Kind::Peak => {
            for &k in flagged {
                let (a, b) = (frames.start(k), frames.start(k + 1));
                let lo = in_band.partition_point(|&e| ev.time[e as usize] < a);
                let hi = in_band.partition_point(|&e| ev.time[e as usize] < b);
                cand.extend_from_slice(&in_band[lo..hi]);
            }
        }
        Kind::Eclipse => {
            for c in cells {
                for &e in &cell_events[c] {
                    if let Some(k) = frames.of(ev.time[e as usize]) {
                        if !flagged.contains(&k) {
                            cand.push(e);
                        }
                    }
                }
            }
        }
    }
    // start: centre of the cells weighted by their candidate counts
    let (mut sx, mut sy, mut sn) = (0.0, 0.0, 0.0);
    for &e in &cand {
        if cells.binary_search(&ev.cell[e as usize]).is_ok() {
            sx += ev.x[e as usize] as f64;
            sy += ev.y[e as usize] as f64;
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
                let (dx, dy) = (ev.x[e as usize] as f64 - cx, ev.y[e as usize] as f64 - cy);
                dx * dx + dy * dy <= r * r
            })
            .collect();
        if sel.is_empty() {
            break;
        }
        let n = sel.len() as f64;
        let nx = sel.iter().map(|&e| ev.x[e as usize] as f64).sum::<f64>() / n;
        let ny = sel.iter().map(|&e| ev.y[e as usize] as f64).sum::<f64>() / n;
        let moved = ((nx - cx).powi(2) + (ny - cy).powi(2)).sqrt();
        cx = nx;
        cy = ny;
        if moved < 0.01 * r {
            break;
        }
    }
    let n = sel.len() as f64;
    let px_arcsec = g.wcs.pixel_arcsec();
    let err = if n >= 3.0 {
        let vx = sel
            .iter()
            .map(|&e| (ev.x[e as usize] as f64 - cx).powi(2))
            .sum::<f64>()
            / (n - 1.0);
        let vy = sel
            .iter()
            .map(|&e| (ev.y[e as usize] as f64 - cy).powi(2))
            .sum::<f64>()
            / (n - 1.0);
        ((vx + vy) / n).sqrt() * px_arcsec
    } else {
        // PSF rms within the aperture (≈ 8″) over √n
        8.0 / n.max(1.0).sqrt()
    };
    let mut counts = [0u64; 3];
    for &e in &sel {
        let c = ev.cam[e as usize] as usize;
        if c < 3 {
            counts[c] += 1;
        }
    }
    (cx, cy, err.max(1.0), counts)
}

/// Search one observation's events for transients with every band × t_bin of `params`.
pub fn search(
    ev: &EventTable,
    sources: Option<&[Source]>,
    params: &DetectParams,
    obs_label: &str,
) -> Result<SearchResult, stats::StatsError> {
    let thresholds = Thresholds::for_sigma(params.sigma)?;
    // counts beyond the table are decided by direct evaluation (rare: bright cells at long t_bin)
    let bounds = Boundaries::new(thresholds, params.rule, 128);
    // per band: its events and its source mask, shared by the band's t_bin runs
    let per_band: Vec<(Band, Vec<u32>, Vec<bool>)> = params
        .bands
        .par_iter()
        .map(|&band| {
            let in_band = expectation::band_events(ev, band);
            let mask = expectation::source_mask(ev, &in_band, sources, &params.expectation);
            (band, in_band, mask)
        })
        .collect();
    // per t_bin: the live fraction of every CCD in every frame, shared by the bands
    let lives: Vec<LiveTime> = params
        .tbins
        .par_iter()
        .map(|&t| LiveTime::new(ev, &Frames::new(ev.span(), t)))
        .collect();
    let combos: Vec<(usize, usize)> = (0..per_band.len())
        .flat_map(|b| (0..params.tbins.len()).map(move |t| (b, t)))
        .collect();
    let results: Vec<_> = combos
        .par_iter()
        .map(|&(b, t)| {
            let (band, in_band, mask) = &per_band[b];
            run_one(
                ev,
                *band,
                params.tbins[t],
                in_band,
                mask,
                &lives[t],
                params,
                &bounds,
                obs_label,
            )
        })
        .collect();
    let mut detections = Vec::new();
    let mut lightcurves = Vec::new();
    let mut runs = Vec::new();
    let mut expectations = Vec::new();
    for (d, l, s, e) in results {
        detections.extend(d);
        lightcurves.extend(l);
        runs.push(s);
        expectations.push(e);
    }
    let crowded = detections.len() > 20;
    for d in &mut detections {
        d.flag_crowded = crowded;
    }
    Ok(SearchResult {
        detections,
        lightcurves,
        runs,
        expectations,
    })
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
