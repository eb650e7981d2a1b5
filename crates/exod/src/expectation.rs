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
//!   over the median of their 7×7 neighbourhood (sources found in the data), dilated by one cell.

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
    /// Live fraction rows (per camera CCD) and the terms (row, weight) of each cell.
    live_rows: Vec<Vec<f32>>,
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
        self.terms[a..b]
            .iter()
            .map(|&(r, w)| w as f64 * self.live_rows[r as usize][t] as f64)
            .sum()
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

/// Build the expectation of one band and t_bin.
pub fn build(
    ev: &EventTable,
    band: Band,
    frames: Frames,
    live: &LiveTime,
    sources: Option<&[Source]>,
    p: &ExpectationParams,
) -> Expectation {
    let (nx, ny) = (ev.grid.nx, ev.grid.ny);
    let nc = nx * ny;
    let nf = frames.n;
    let ncam = ev.cameras.len();

    // --- coverage: per camera, the CCD most of its events in a cell come from ---------------
    let mut ccd_hist: Vec<std::collections::HashMap<(u8, u8), u32>> = vec![Default::default(); nc];
    let mut cam_counts = vec![0f64; ncam];
    for i in 0..ev.len() {
        *ccd_hist[ev.cell[i] as usize]
            .entry((ev.cam[i], ev.ccd[i]))
            .or_insert(0) += 1;
        cam_counts[ev.cam[i] as usize] += 1.0;
    }
    let cam_live_total: Vec<f64> = (0..ncam)
        .map(|c| {
            live.camera_live[c]
                .iter()
                .map(|&v| v as f64)
                .sum::<f64>()
                .max(1e-9)
        })
        .collect();
    let share: Vec<f64> = (0..ncam)
        .map(|c| cam_counts[c] / cam_live_total[c])
        .collect();
    let live_rows: Vec<Vec<f32>> = live.ccd_live.iter().map(|(_, v)| v.clone()).collect();
    let row_of = |cam: u8, ccd: u8| live.ccd_live.iter().position(|(k, _)| *k == (cam, ccd));
    let mut term_start = Vec::with_capacity(nc + 1);
    let mut terms: Vec<(u16, f32)> = Vec::new();
    let mut covered = vec![false; nc];
    for (cell, h) in ccd_hist.iter().enumerate() {
        term_start.push(terms.len() as u32);
        let mut best: Vec<(u8, u8, u32)> = Vec::new(); // per camera, the dominant CCD
        for (&(cam, ccd), &n) in h {
            match best.iter_mut().find(|b| b.0 == cam) {
                Some(b) if n > b.2 || (n == b.2 && ccd < b.1) => *b = (cam, ccd, n),
                Some(_) => {}
                None => best.push((cam, ccd, n)),
            }
        }
        best.sort();
        let wsum: f64 = best.iter().map(|b| share[b.0 as usize]).sum();
        for (cam, ccd, _) in best {
            if let Some(r) = row_of(cam, ccd) {
                terms.push((r as u16, (share[cam as usize] / wsum) as f32));
                covered[cell] = true;
            }
        }
    }
    term_start.push(terms.len() as u32);
    drop(ccd_hist);
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
        live_rows,
        term_start,
        terms,
        bti_template_from_gti: false,
        he_rate: vec![0.0; nf],
        he_threshold: vec![0.0; nf],
    };

    // --- GTI / BTI from the 10–12 keV rate ---------------------------------------------------
    let per = if frames.tbin >= p.he_window {
        1
    } else {
        (p.he_window / frames.tbin).ceil() as usize
    };
    let nwin = nf.div_ceil(per);
    let mut he = vec![vec![0f64; nwin]; ncam];
    for i in 0..ev.len() {
        let e = ev.energy[i];
        if (10_000.0..=12_000.0).contains(&e) {
            if let Some(k) = frames.of(ev.time[i]) {
                he[ev.cam[i] as usize][k / per] += 1.0;
            }
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

    // --- images ------------------------------------------------------------------------------
    let in_band = |i: usize| band.contains(ev.energy[i]);
    let mut img = [vec![0f64; nc], vec![0f64; nc]];
    for i in 0..ev.len() {
        if !in_band(i) {
            continue;
        }
        if let Some(k) = frames.of(ev.time[i]) {
            img[ex.bti[k] as usize][ev.cell[i] as usize] += 1.0;
        }
    }
    let total: Vec<f64> = (0..nc).map(|c| img[0][c] + img[1][c]).collect();

    // --- mask ----------------------------------------------------------------------------------
    // live time of each cell over all frames (for exposure-normalised images)
    let mut cell_live = vec![0f64; nc];
    let nominal_frames = ex.nominal.iter().filter(|&&b| b).count() as f64;
    let non_nominal: Vec<usize> = (0..nf).filter(|&k| !ex.nominal[k]).collect();
    for c in 0..nc {
        if ex.covered[c] {
            cell_live[c] = nominal_frames + non_nominal.iter().map(|&k| ex.live(c, k)).sum::<f64>();
        }
    }
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
    let mut found = vec![false; nc];
    let mut window = Vec::with_capacity(49);
    for c in 0..nc {
        if !ex.covered[c] || total[c] < 3.0 {
            continue;
        }
        let (x, y) = ((c % nx) as isize, (c / nx) as isize);
        window.clear();
        for dy in -3isize..=3 {
            for dx in -3isize..=3 {
                let (a, b) = (x + dx, y + dy);
                if a >= 0 && b >= 0 && (a as usize) < nx && (b as usize) < ny {
                    let k = b as usize * nx + a as usize;
                    if ex.covered[k] && cell_live[k] > 0.0 {
                        window.push(rate[k]);
                    }
                }
            }
        }
        if window.len() < 5 {
            continue;
        }
        window.sort_by(f64::total_cmp);
        let med = window[window.len() / 2].max(0.5 / cell_live[c].max(1.0));
        let lam = med * cell_live[c];
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
        mask[c] &= ex.covered[c];
    }
    ex.mask = mask;

    // --- background counts per frame --------------------------------------------------------------
    for i in 0..ev.len() {
        if !in_band(i) || ex.mask[ev.cell[i] as usize] {
            continue;
        }
        if let Some(k) = frames.of(ev.time[i]) {
            ex.b[k] += 1.0;
        }
    }

    // --- templates --------------------------------------------------------------------------------
    let mut bsum = [0f64; 2];
    for k in 0..nf {
        if ex.nominal[k] {
            bsum[ex.bti[k] as usize] += ex.b[k];
        }
    }
    ex.bti_template_from_gti =
        ex.b.iter()
            .zip(&ex.bti)
            .filter(|(_, &s)| s)
            .map(|(b, _)| b)
            .sum::<f64>()
            < p.min_bti_counts;
    for s in 0..2 {
        if s == 1 && ex.bti_template_from_gti {
            ex.template[1] = ex.template[0].clone();
            continue;
        }
        // D_S(x) = Σ_{t∈S} L(x,t) b_t
        let mut tpl = vec![0f64; nc];
        for c in 0..nc {
            if !ex.covered[c] || ex.mask[c] {
                continue;
            }
            let mut d = bsum[s];
            for &k in &non_nominal {
                if ex.bti[k] as usize == s && ex.b[k] > 0.0 {
                    d += ex.live(c, k) * ex.b[k];
                }
            }
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

    // --- β(t) ------------------------------------------------------------------------------------
    let unmasked: Vec<usize> = (0..nc).filter(|&c| ex.covered[c] && !ex.mask[c]).collect();
    let norm_nominal: [f64; 2] = [0, 1].map(|s| unmasked.iter().map(|&c| ex.template[s][c]).sum());
    for k in 0..nf {
        let s = ex.bti[k] as usize;
        let den = if ex.nominal[k] {
            norm_nominal[s]
        } else {
            unmasked
                .iter()
                .map(|&c| ex.live(c, k) * ex.template[s][c])
                .sum()
        };
        ex.beta[k] = if den > 0.0 { ex.b[k] / den } else { 0.0 };
    }

    // --- R(x) inside the mask ----------------------------------------------------------------------
    let nominal_beta: [f64; 2] = [0, 1].map(|s| {
        (0..nf)
            .filter(|&k| ex.nominal[k] && ex.bti[k] as usize == s)
            .map(|k| ex.beta[k])
            .sum()
    });
    for c in 0..nc {
        if !ex.mask[c] {
            continue;
        }
        let mut lb = nominal_beta;
        let mut l_total = nominal_frames;
        for &k in &non_nominal {
            let l = ex.live(c, k);
            lb[ex.bti[k] as usize] += l * ex.beta[k];
            l_total += l;
        }
        if l_total > 0.0 {
            let bkg = ex.template[0][c] * lb[0] + ex.template[1][c] * lb[1];
            ex.src[c] = ((total[c] - bkg) / l_total).max(0.0);
        }
    }
    ex
}

/// Harmonic inpainting: masked covered cells take the mean of their covered neighbours,
/// iterated to convergence (Jacobi on the discrete Laplace equation).
fn inpaint(v: &mut [f64], mask: &[bool], covered: &[bool], nx: usize, ny: usize) {
    let holes: Vec<usize> = (0..v.len()).filter(|&c| mask[c] && covered[c]).collect();
    if holes.is_empty() {
        return;
    }
    // start from the mean of the unmasked field
    let known: Vec<f64> = (0..v.len())
        .filter(|&c| covered[c] && !mask[c])
        .map(|c| v[c])
        .collect();
    let mean = if known.is_empty() {
        0.0
    } else {
        known.iter().sum::<f64>() / known.len() as f64
    };
    for &c in &holes {
        v[c] = mean;
    }
    for _ in 0..500 {
        let mut change = 0f64;
        for &c in &holes {
            let (mut s, mut n) = (0.0, 0.0);
            for k in neighbours8(nx, ny, c) {
                if covered[k] {
                    s += v[k];
                    n += 1.0;
                }
            }
            if n > 0.0 {
                let new = s / n;
                change = change.max((new - v[c]).abs());
                v[c] = new;
            }
        }
        if change <= 1e-6 * mean.abs().max(1e-300) {
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
