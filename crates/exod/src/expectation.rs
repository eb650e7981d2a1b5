//! The expected counts μ of every (cell, frame) — paper §2.5 — without materialising a cube:
//!
//! `μ(x, t) = L(x, t) · [ B_S(t)(x) · β(t) + R(x) ]`
//!
//! * `S(t)` ∈ {GTI, BTI}: a frame is a BTI when the 10–12 keV rate summed over cameras exceeds
//!   `0.5 ct/s ×` the number of live cameras, measured over the frame itself (t_bin ≥ 100 s) or
//!   over the ⌈100/t_bin⌉·t_bin window containing it (shorter bins; windows nest exactly, so a
//!   frame is classified with the frames around it — no one-bin shift as in EXOD2 §4). Each
//!   camera's rate is its counts over its live time, but over at least half the window, so that a
//!   window at a GTI edge with a few live seconds is not called a flare on one photon.
//! * `L(x, t)` ∈ [0, 1]: the live fraction of the cell in the frame, from the per-CCD GTIs of every
//!   camera covering the cell, weighted by the camera's share of the counts. A CCD or camera that
//!   is off, or a frame cut by a GTI edge, lowers μ instead of creating false eclipses
//!   (exod2-reference §11.3.4).
//! * `B_S(x)`: background template of the frames of class S: the image of those frames divided by
//!   its exposure-weighted background `Σ_t L(x,t) b_t`, source cells masked and filled by harmonic
//!   (Laplace) inpainting, smoothed by a 3×3 binomial kernel within the covered field (no mass
//!   leaks off the field), normalised to Σ over unmasked cells = 1. A BTI template with fewer than
//!   `min_bti_counts` background counts falls back to the GTI template.
//! * `β(t) = b_t / Σ_{x∉M} L(x,t) B_S(x)`, `b_t` the counts outside the mask in frame t.
//! * `R(x)`: constant-source counts per full frame inside the mask, net of background, from all
//!   frames with their live time (clipped at 0; 0 outside the mask).
//! * Mask M: catalogue sources (radius 20/40/80″ for EPIC rates < 0.1 / 0.1–1 / > 1 ct/s; 3×
//!   the extent for extended sources) OR cells whose counts are a > 5σ-equivalent Poisson excess
//!   over the median rate of the 7×7 cells around their 3×3 block (sources found in the data),
//!   dilated by one cell.

use crate::cube::{Band, EventTable, Frames, LiveTime};
use crate::events::srclist::Source;
use crate::stats;

/// Parameters of the expectation, with the paper's defaults.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExpectationParams {
    /// BTI threshold per live camera on the 10–12 keV rate (ct/s).
    pub bti_rate_per_camera: f64,
    /// Shortest window over which the 10–12 keV rate is measured (s).
    pub he_window: f64,
    /// Fewer background counts than this in BTI frames: use the GTI template for them.
    pub min_bti_counts: f64,
    /// ln p threshold of the data-driven source mask (one-sided Poisson p < 2.87e-7: 5σ).
    pub mask_ln_p: f64,
}

impl Default for ExpectationParams {
    fn default() -> Self {
        ExpectationParams {
            bti_rate_per_camera: 0.5,
            he_window: 100.0,
            min_bti_counts: 300.0,
            mask_ln_p: (2.87e-7f64).ln(),
        }
    }
}

/// The separable expectation of one run (one band and t_bin).
#[derive(Debug, Clone)]
pub struct Expectation {
    pub frames: Frames,
    pub nx: usize,
    pub ny: usize,
    /// BTI class of each frame.
    pub bti: Vec<bool>,
    /// Background amplitude per frame.
    pub beta: Vec<f64>,
    /// Background counts outside the mask per frame.
    pub b: Vec<f64>,
    /// Templates for GTI (0) and BTI (1) frames.
    pub template: [Vec<f64>; 2],
    /// Constant sources, counts per full frame.
    pub src: Vec<f64>,
    pub mask: Vec<bool>,
    /// Cells on at least one camera's CCDs.
    pub covered: Vec<bool>,
    /// Frames in which everything is live.
    pub nominal: Vec<bool>,
    /// Dead fraction (1 − live) per camera CCD row and frame, and the terms (row, weight) of
    /// each cell: `L(x, t) = 1 − Σ w · dead[row][t]`.
    dead: std::sync::Arc<Vec<Vec<f32>>>,
    term_start: Vec<u32>,
    terms: Vec<(u16, f32)>,
    /// Whether the BTI template fell back to the GTI one.
    pub bti_template_from_gti: bool,
    /// 10–12 keV summed rate per frame (ct/s) and the threshold used.
    pub he_rate: Vec<f64>,
    pub he_threshold: Vec<f64>,
}

impl Expectation {
    /// Live fraction of a cell in a frame.
    #[inline]
    pub fn live(&self, cell: usize, t: usize) -> f64 {
        if !self.covered[cell] {
            return 0.0;
        }
        if self.nominal[t] {
            return 1.0;
        }
        let (a, b) = (
            self.term_start[cell] as usize,
            self.term_start[cell + 1] as usize,
        );
        let d: f64 = self.terms[a..b]
            .iter()
            .map(|&(r, w)| w as f64 * self.dead[r as usize][t] as f64)
            .sum();
        (1.0 - d).max(0.0)
    }

    /// μ of a (cell, frame).
    #[inline]
    pub fn mu(&self, cell: usize, t: usize) -> f64 {
        let l = self.live(cell, t);
        if l <= 0.0 {
            return 0.0;
        }
        let s = self.bti[t] as usize;
        l * (self.template[s][cell] * self.beta[t] + self.src[cell])
    }

    /// The largest μ a cell can have in class S (for choosing eclipse candidates).
    pub fn mu_bound(&self, cell: usize, s: usize, beta_max: f64) -> f64 {
        self.template[s][cell] * beta_max + self.src[cell]
    }

    /// Σ over a cell's terms of w · per_row[row].
    #[inline]
    fn row_sum(&self, cell: usize, per_row: &[f64]) -> f64 {
        let (a, b) = (
            self.term_start[cell] as usize,
            self.term_start[cell + 1] as usize,
        );
        self.terms[a..b]
            .iter()
            .map(|&(r, w)| w as f64 * per_row[r as usize])
            .sum()
    }
}

fn neighbours8(nx: usize, ny: usize, c: usize) -> impl Iterator<Item = usize> {
    let (x, y) = ((c % nx) as isize, (c / nx) as isize);
    (-1isize..=1)
        .flat_map(move |dy| (-1isize..=1).map(move |dx| (dx, dy)))
        .filter_map(move |(dx, dy)| {
            let (a, b) = (x + dx, y + dy);
            ((dx, dy) != (0, 0) && a >= 0 && b >= 0 && (a as usize) < nx && (b as usize) < ny)
                .then(|| b as usize * nx + a as usize)
        })
}

/// Build the expectation of one band and t_bin. `band_events` are the indices of the events in
/// the band and `band_frames` their frame (`u32::MAX` outside the frames); `mask` is the band's
/// [`source_mask`].
pub fn build(
    ev: &EventTable,
    band_events: &[u32],
    band_frames: &[u32],
    frames: Frames,
    live: &LiveTime,
    mask: &[bool],
    p: &ExpectationParams,
) -> Expectation {
    let (nx, ny) = (ev.grid.nx, ev.grid.ny);
    let nc = nx * ny;
    let nf = frames.n;
    let ncam = ev.cameras.len();
    let cov = &ev.coverage;

    // --- live-time rows (shared by the bands through `LiveTime`) and cell terms ------------------
    let mut row_index = vec![[u16::MAX; 256]; ncam];
    for (r, ((cam, ccd), _)) in live.ccd_live.iter().enumerate() {
        row_index[*cam as usize][*ccd as usize] = r as u16;
    }
    let mut term_start = Vec::with_capacity(nc + 1);
    let mut terms: Vec<(u16, f32)> = Vec::with_capacity(cov.terms.len());
    let mut covered = vec![false; nc];
    for c in 0..nc {
        term_start.push(terms.len() as u32);
        for &(cam, ccd, w) in cov.terms(c) {
            let r = row_index[cam as usize][ccd as usize];
            if r != u16::MAX {
                terms.push((r, w));
                covered[c] = true;
            }
        }
    }
    term_start.push(terms.len() as u32);
    let nrow = live.ccd_live.len();
    let dead_rows = live.dead_rows.clone();
    let mut ex = Expectation {
        frames,
        nx,
        ny,
        bti: vec![false; nf],
        beta: vec![0.0; nf],
        b: vec![0.0; nf],
        template: [vec![0.0; nc], vec![0.0; nc]],
        src: vec![0.0; nc],
        mask: vec![false; nc],
        covered,
        nominal: live.nominal.clone(),
        dead: live.dead.clone(),
        term_start,
        terms,
        bti_template_from_gti: false,
        he_rate: vec![0.0; nf],
        he_threshold: vec![0.0; nf],
    };
    // Σ_t dead_r(t) · f(t) over frames of class s, per row
    let row_acc = |ex: &Expectation, f: &dyn Fn(usize) -> f64, s: Option<usize>| -> Vec<f64> {
        let mut acc = vec![0f64; nrow];
        for (k, rows) in dead_rows.iter().enumerate() {
            if s.map(|s| ex.bti[k] as usize != s).unwrap_or(false) {
                continue;
            }
            let fk = f(k);
            if fk == 0.0 {
                continue;
            }
            for &r in rows {
                acc[r as usize] += ex.dead[r as usize][k] as f64 * fk;
            }
        }
        acc
    };

    // --- GTI / BTI from the 10–12 keV rate ---------------------------------------------------
    let per = if frames.tbin >= p.he_window {
        1
    } else {
        (p.he_window / frames.tbin).ceil() as usize
    };
    let nwin = nf.div_ceil(per);
    let mut he = vec![vec![0f64; nwin]; ncam];
    for &i in &ev.high_energy {
        if let Some(k) = frames.of(ev.time[i as usize]) {
            he[ev.cam[i as usize] as usize][k / per] += 1.0;
        }
    }
    for w in 0..nwin {
        let (a, b) = (w * per, ((w + 1) * per).min(nf));
        // rate: Σ over live cameras of (10–12 keV counts / live time); threshold: 0.5 ct/s per
        // live camera (a camera counts as live in a window if it has any live time there)
        let mut rate = 0.0;
        let mut n_live = 0.0;
        for c in 0..ncam {
            let lt: f64 = live.camera_live[c][a..b]
                .iter()
                .map(|&v| v as f64)
                .sum::<f64>()
                * frames.tbin;
            if lt > 0.0 {
                // a rate over a few live seconds is noise: divide by at least half the window
                rate += he[c][w] / lt.max(0.5 * (b - a) as f64 * frames.tbin);
                n_live += 1.0;
            }
        }
        let thr = p.bti_rate_per_camera * n_live;
        for k in a..b {
            ex.he_rate[k] = rate;
            ex.he_threshold[k] = thr;
            ex.bti[k] = n_live > 0.0 && rate > thr;
        }
    }

    // --- images and background counts per frame, in one pass ---------------------------------------
    ex.mask = mask
        .iter()
        .zip(&ex.covered)
        .map(|(&m, &c)| m && c)
        .collect();
    let mut img = [vec![0f64; nc], vec![0f64; nc]];
    for (j, &i) in band_events.iter().enumerate() {
        let k = band_frames[j];
        if k != u32::MAX {
            let c = ev.cell[i as usize] as usize;
            img[ex.bti[k as usize] as usize][c] += 1.0;
            if !ex.mask[c] {
                ex.b[k as usize] += 1.0;
            }
        }
    }
    let total: Vec<f64> = (0..nc).map(|c| img[0][c] + img[1][c]).collect();

    // live frames of each cell: nf − Σ_r w Σ_t dead_r(t)
    let dead_total = row_acc(&ex, &|_| 1.0, None);
    let cell_live: Vec<f64> = (0..nc)
        .map(|c| {
            if ex.covered[c] {
                (nf as f64 - ex.row_sum(c, &dead_total)).max(0.0)
            } else {
                0.0
            }
        })
        .collect();

    // --- templates: B_S(x) = I_S(x) / D_S(x), D_S(x) = Σ_{t∈S} L(x,t) b_t --------------------------
    let mut bsum = [0f64; 2];
    for k in 0..nf {
        bsum[ex.bti[k] as usize] += ex.b[k];
    }
    ex.bti_template_from_gti = bsum[1] < p.min_bti_counts;
    for s in 0..2 {
        if s == 1 && ex.bti_template_from_gti {
            ex.template[1] = ex.template[0].clone();
            continue;
        }
        let bk = ex.b.clone();
        let acc = row_acc(&ex, &|k| bk[k], Some(s));
        let mut tpl = vec![0f64; nc];
        for c in 0..nc {
            if !ex.covered[c] || ex.mask[c] {
                continue;
            }
            let d = bsum[s] - ex.row_sum(c, &acc);
            if d > 0.0 {
                tpl[c] = img[s][c] / d;
            }
        }
        inpaint(&mut tpl, &ex.mask, &ex.covered, nx, ny);
        let mut tpl = smooth(&tpl, &ex.covered, nx, ny);
        let norm: f64 = (0..nc).filter(|&c| !ex.mask[c]).map(|c| tpl[c]).sum();
        if norm > 0.0 {
            tpl.iter_mut().for_each(|v| *v /= norm);
        }
        ex.template[s] = tpl;
    }

    // --- β(t) = b_t / Σ_{x∉M} L(x,t) B_S(x) ---------------------------------------------------------
    let unmasked: Vec<usize> = (0..nc).filter(|&c| ex.covered[c] && !ex.mask[c]).collect();
    let norm: [f64; 2] = [0, 1].map(|s| unmasked.iter().map(|&c| ex.template[s][c]).sum());
    // per row: Σ_{x∉M} w B_S(x)
    let mut g = [vec![0f64; nrow], vec![0f64; nrow]];
    for &c in &unmasked {
        let (a, b) = (ex.term_start[c] as usize, ex.term_start[c + 1] as usize);
        for &(r, w) in &ex.terms[a..b] {
            for s in 0..2 {
                g[s][r as usize] += w as f64 * ex.template[s][c];
            }
        }
    }
    for k in 0..nf {
        let s = ex.bti[k] as usize;
        let den = norm[s]
            - dead_rows[k]
                .iter()
                .map(|&r| ex.dead[r as usize][k] as f64 * g[s][r as usize])
                .sum::<f64>();
        ex.beta[k] = if den > 1e-12 { ex.b[k] / den } else { 0.0 };
    }

    // --- R(x) inside the mask: (I − Σ_t L B β) / Σ_t L -------------------------------------------
    let beta = ex.beta.clone();
    let beta_sum: [f64; 2] = [0, 1].map(|s| {
        (0..nf)
            .filter(|&k| ex.bti[k] as usize == s)
            .map(|k| beta[k])
            .sum()
    });
    let beta_acc = [0, 1].map(|s| row_acc(&ex, &|k| beta[k], Some(s)));
    for c in 0..nc {
        if !ex.mask[c] || cell_live[c] <= 0.0 {
            continue;
        }
        let bkg: f64 = (0..2)
            .map(|s| ex.template[s][c] * (beta_sum[s] - ex.row_sum(c, &beta_acc[s])))
            .sum();
        ex.src[c] = ((total[c] - bkg) / cell_live[c]).max(0.0);
    }
    ex
}

/// Indices of the events in a band (time order kept).
pub fn band_events(ev: &EventTable, band: Band) -> Vec<u32> {
    (0..ev.len() as u32)
        .filter(|&i| band.contains(ev.energy[i as usize]))
        .collect()
}

/// The frame of each of `events` (`u32::MAX` outside the frames).
pub fn frames_of(ev: &EventTable, events: &[u32], frames: &Frames) -> Vec<u32> {
    events
        .iter()
        .map(|&i| {
            frames
                .of(ev.time[i as usize])
                .map(|k| k as u32)
                .unwrap_or(u32::MAX)
        })
        .collect()
}

/// Everything one run needs, from the events: the expectation of `band` at `tbin`, with the
/// band's source mask (the detector shares the mask and the live time between runs instead).
pub fn for_run(
    ev: &EventTable,
    band: Band,
    tbin: f64,
    sources: Option<&[Source]>,
    p: &ExpectationParams,
) -> Expectation {
    let frames = Frames::new(ev.span(), tbin);
    let live = LiveTime::new(ev, &frames);
    let events = band_events(ev, band);
    let ef = frames_of(ev, &events, &frames);
    let mask = source_mask(ev, &events, sources, p);
    build(ev, &events, &ef, frames, &live, &mask, p)
}

/// The source mask of one band (it does not depend on t_bin): catalogue sources, OR cells whose
/// counts are a Poisson excess (p < `mask_ln_p`) over the median rate of their 7×7
/// neighbourhood, dilated by one cell. Rates use each cell's GTI exposure in seconds.
pub fn source_mask(
    ev: &EventTable,
    band_events: &[u32],
    sources: Option<&[Source]>,
    p: &ExpectationParams,
) -> Vec<bool> {
    let (nx, ny) = (ev.grid.nx, ev.grid.ny);
    let nc = nx * ny;
    let cov = &ev.coverage;
    let exposure: Vec<Vec<(u8, f64)>> = ev
        .cameras
        .iter()
        .map(|c| c.gti.iter().map(|(k, g)| (*k, g.exposure())).collect())
        .collect();
    let cell_live: Vec<f64> = (0..nc)
        .map(|c| {
            cov.terms(c)
                .iter()
                .map(|&(cam, ccd, w)| {
                    w as f64
                        * exposure[cam as usize]
                            .iter()
                            .find(|e| e.0 == ccd)
                            .map(|e| e.1)
                            .unwrap_or(0.0)
                })
                .sum()
        })
        .collect();
    let mut total = vec![0f64; nc];
    for &i in band_events {
        total[ev.cell[i as usize] as usize] += 1.0;
    }
    let covered = &cov.covered;
    let mut mask = vec![false; nc];
    if let Some(src) = sources {
        let r_cell = ev.grid.cell_arcsec;
        for s in src {
            let radius = match (s.extent, s.rate) {
                (Some(e), _) if e > 0.0 => 3.0 * e,
                (_, Some(r)) if r > 1.0 => 80.0,
                (_, Some(r)) if r > 0.1 => 40.0,
                _ => 20.0,
            };
            let Some((px, py)) = ev.grid.wcs.world_to_pix(s.ra, s.dec) else {
                continue;
            };
            let reach = (radius / r_cell).ceil() as isize + 1;
            let fx = (px - ev.grid.x0) / ev.grid.cell_px;
            let fy = (py - ev.grid.y0) / ev.grid.cell_px;
            for dy in -reach..=reach {
                for dx in -reach..=reach {
                    let (ix, iy) = (fx.floor() as isize + dx, fy.floor() as isize + dy);
                    if ix < 0 || iy < 0 || ix as usize >= nx || iy as usize >= ny {
                        continue;
                    }
                    // cell centre within radius + half a cell of the source
                    let d = (((ix as f64 + 0.5 - fx).powi(2) + (iy as f64 + 0.5 - fy).powi(2))
                        .sqrt())
                        * r_cell;
                    if d <= radius + 0.5 * r_cell {
                        mask[iy as usize * nx + ix as usize] = true;
                    }
                }
            }
        }
    }
    // data-driven: Poisson excess over the local median rate
    let rate: Vec<f64> = (0..nc)
        .map(|c| {
            if cell_live[c] > 0.0 {
                total[c] / cell_live[c]
            } else {
                0.0
            }
        })
        .collect();
    // local background: the median rate of the 7×7 cells around each 3×3 block (computed once
    // per block: the background varies over arcminutes, not over one cell)
    let (bx, by) = (nx.div_ceil(3), ny.div_ceil(3));
    let mut block_median = vec![f64::NAN; bx * by];
    let mut window = Vec::with_capacity(49);
    for j in 0..by {
        for i in 0..bx {
            let (x, y) = ((3 * i + 1) as isize, (3 * j + 1) as isize);
            window.clear();
            for dy in -3isize..=3 {
                for dx in -3isize..=3 {
                    let (a, b) = (x + dx, y + dy);
                    if a >= 0 && b >= 0 && (a as usize) < nx && (b as usize) < ny {
                        let k = b as usize * nx + a as usize;
                        if covered[k] && cell_live[k] > 0.0 {
                            window.push(rate[k]);
                        }
                    }
                }
            }
            if window.len() >= 5 {
                let mid = window.len() / 2;
                block_median[j * bx + i] = *window.select_nth_unstable_by(mid, f64::total_cmp).1;
            }
        }
    }
    let mut found = vec![false; nc];
    for c in 0..nc {
        if !covered[c] || total[c] < 3.0 {
            continue;
        }
        let bm = block_median[(c / nx / 3) * bx + (c % nx) / 3];
        if bm.is_nan() {
            continue;
        }
        let med = bm.max(0.5 / cell_live[c].max(1.0));
        let lam = med * cell_live[c];
        // Chernoff bound ln P(X ≥ N) ≤ −λ + N (1 + ln λ − ln N) for N > λ: most cells cannot pass
        let n_obs = total[c];
        if n_obs <= lam || -lam + n_obs * (1.0 + lam.ln() - n_obs.ln()) >= p.mask_ln_p {
            continue;
        }
        // ln P(X ≥ N | λ) = ln P(N, λ) (regularised lower incomplete gamma with a = N)
        let ln_p = stats::ln_gamma_pq(total[c] - 1.0, lam).0;
        if ln_p < p.mask_ln_p {
            found[c] = true;
        }
    }
    for c in 0..nc {
        if found[c] {
            mask[c] = true;
            for k in neighbours8(nx, ny, c) {
                mask[k] = true;
            }
        }
    }
    for c in 0..nc {
        mask[c] &= covered[c];
    }
    mask
}

/// Harmonic inpainting: masked covered cells take the mean of their covered neighbours,
/// iterated to convergence (Jacobi on the discrete Laplace equation).
fn inpaint(v: &mut [f64], mask: &[bool], covered: &[bool], nx: usize, ny: usize) {
    let holes: Vec<usize> = (0..v.len()).filter(|&c| mask[c] && covered[c]).collect();
    if holes.is_empty() {
        return;
    }
    // start from the mean of the unmasked field
    let (mut sum, mut n) = (0.0, 0usize);
    for c in 0..v.len() {
        if covered[c] && !mask[c] {
            sum += v[c];
            n += 1;
        }
    }
    let mean = if n == 0 { 0.0 } else { sum / n as f64 };
    // covered neighbours of every hole, once
    let mut start = Vec::with_capacity(holes.len() + 1);
    let mut nb: Vec<u32> = Vec::with_capacity(holes.len() * 8);
    for &c in &holes {
        start.push(nb.len());
        nb.extend(
            neighbours8(nx, ny, c)
                .filter(|&k| covered[k])
                .map(|k| k as u32),
        );
        v[c] = mean;
    }
    start.push(nb.len());
    // successive over-relaxation (Gauss–Seidel, ω = 1.6) to 1e-4 of the field's mean: far below
    // the Poisson noise of a template
    let omega = 1.6;
    for _ in 0..2000 {
        let mut change = 0f64;
        for (h, &c) in holes.iter().enumerate() {
            let ns = &nb[start[h]..start[h + 1]];
            if ns.is_empty() {
                continue;
            }
            let s: f64 = ns.iter().map(|&k| v[k as usize]).sum();
            let step = omega * (s / ns.len() as f64 - v[c]);
            change = change.max(step.abs());
            v[c] += step;
        }
        if change <= 1e-4 * mean.abs().max(1e-300) {
            break;
        }
    }
}

/// 3×3 binomial smoothing within the covered field, renormalised by the covered weight.
fn smooth(v: &[f64], covered: &[bool], nx: usize, ny: usize) -> Vec<f64> {
    let w = [1.0, 2.0, 1.0];
    let mut out = vec![0.0; v.len()];
    for c in 0..v.len() {
        if !covered[c] {
            continue;
        }
        let (x, y) = ((c % nx) as isize, (c / nx) as isize);
        let (mut s, mut n) = (0.0, 0.0);
        for dy in -1isize..=1 {
            for dx in -1isize..=1 {
                let (a, b) = (x + dx, y + dy);
                if a >= 0 && b >= 0 && (a as usize) < nx && (b as usize) < ny {
                    let k = b as usize * nx + a as usize;
                    if covered[k] {
                        let wk = w[(dx + 1) as usize] * w[(dy + 1) as usize];
                        s += wk * v[k];
                        n += wk;
                    }
                }
            }
        }
        out[c] = if n > 0.0 { s / n } else { 0.0 };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inpainting_fills_a_hole_in_a_linear_field_exactly() {
        let (nx, ny) = (12, 10);
        let mut v: Vec<f64> = (0..nx * ny)
            .map(|c| 1.0 + 0.1 * (c % nx) as f64 + 0.05 * (c / nx) as f64)
            .collect();
        let truth = v.clone();
        let covered = vec![true; nx * ny];
        let mut mask = vec![false; nx * ny];
        for y in 3..6 {
            for x in 4..8 {
                mask[y * nx + x] = true;
                v[y * nx + x] = 0.0;
            }
        }
        inpaint(&mut v, &mask, &covered, nx, ny);
        for c in 0..nx * ny {
            assert!(
                (v[c] - truth[c]).abs() < 1e-4,
                "cell {c}: {} vs {}",
                v[c],
                truth[c]
            );
        }
    }

    #[test]
    fn smoothing_conserves_a_flat_field_up_to_the_edge_of_coverage() {
        let (nx, ny) = (8, 8);
        let covered: Vec<bool> = (0..64).map(|c| c % nx < 6).collect();
        let v: Vec<f64> = covered.iter().map(|&c| if c { 2.0 } else { 0.0 }).collect();
        let s = smooth(&v, &covered, nx, ny);
        for c in 0..64 {
            assert_eq!(s[c], v[c], "no leak into or from uncovered cells");
        }
    }
}
