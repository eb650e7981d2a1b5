//! The expected counts μ of every (cell, frame) — paper §2.5 — without materialising a cube:
//!
//! `μ(x, t) = L(x, t) · [ B_S(t)(x) · β(t) + R(x) ]`
//!
//! * `S(t)` ∈ {GTI, BTI}: the frame's class ([`crate::bti`]).
//! * `L(x, t)` ∈ [0, 1]: the live fraction of the cell in the frame ([`crate::exposure_model`]).
//! * `B_S(x)`: the background template of class S ([`crate::template`]): counts and exposure
//!   smoothed separately, adaptively, so that no covered cell is blind; BTI cells the BTI counts
//!   cannot measure take the GTI shape.
//! * `β(t) = b_t / Σ_{x∉M} L(x,t) B_S(x)`, `b_t` the counts outside the mask M in frame t.
//! * `R(x)`: constant-source counts per full frame inside the mask, net of background, from all
//!   frames with their live time (clipped at 0; 0 outside the mask).
//! * M: the band's source mask ([`crate::mask`]).

use crate::band::Band;
use crate::bti::{self, BtiClassification};
use crate::exposure_model::ExposureModel;
use crate::grid::Frames;
use crate::gti_coverage::GtiCoverage;
use crate::mask;
use crate::observation::Observation;
use crate::source::Source;
use crate::template::{self, ClassData, TemplateParams, TemplateStats};

/// Parameters of the expectation, with the paper's defaults.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExpectationParams {
    /// BTI threshold per live camera on the flare-monitor rate (ct/s). Default 0.5 (EPIC).
    pub bti_rate_per_camera: f64,
    /// Shortest window over which the flare-monitor rate is measured (s). Default 100.
    pub he_window: f64,
    /// Adaptive smoothing of the background templates (defaults: 10 counts, up to 8 cells).
    pub template: TemplateParams,
    /// ln p threshold of the data-driven source mask (one-sided Poisson p < 2.87e-7: 5σ).
    pub mask_ln_p: f64,
}

impl Default for ExpectationParams {
    fn default() -> Self {
        ExpectationParams {
            bti_rate_per_camera: 0.5,
            he_window: 100.0,
            template: TemplateParams::default(),
            mask_ln_p: (2.87e-7f64).ln(),
        }
    }
}

/// The separable expectation of one run (one band and t_bin).
#[derive(Debug, Clone)]
pub struct Expectation {
    /// The frames of the run.
    pub frames: Frames,
    /// Grid width (cells).
    pub nx: usize,
    /// Grid height (cells).
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
    /// Source mask (covered cells only).
    pub mask: Vec<bool>,
    /// `L(x, t)`.
    pub model: ExposureModel,
    /// How many covered cells of the GTI (0) and BTI (1) templates used each smoothing rule.
    pub template_stats: [TemplateStats; 2],
    /// Flare-monitor summed rate per frame (ct/s) and the threshold used.
    pub he_rate: Vec<f64>,
    /// Threshold of the flare-monitor rate per frame (ct/s).
    pub he_threshold: Vec<f64>,
}

impl Expectation {
    /// Cells on at least one camera's CCDs.
    pub fn covered(&self) -> &[bool] {
        &self.model.covered
    }

    /// Frames in which everything is live.
    pub fn nominal(&self) -> &[bool] {
        &self.model.nominal
    }

    /// Live fraction of a cell in a frame.
    #[inline]
    pub fn live(&self, cell: usize, t: usize) -> f64 {
        self.model.live(cell, t)
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

/// Build the expectation of one band and t_bin. `band_events` are the indices of the events in
/// the band and `band_frames` their frame (`u32::MAX` outside the frames); `mask` is the band's
/// [`mask::source_mask`].
pub fn build(
    ev: &Observation,
    band_events: &[u32],
    band_frames: &[u32],
    frames: Frames,
    live: &GtiCoverage,
    mask: &[bool],
    p: &ExpectationParams,
) -> Expectation {
    let model = ExposureModel::new(ev, live);
    let BtiClassification {
        bti,
        rate,
        threshold,
    } = bti::classify(ev, &frames, live, p.bti_rate_per_camera, p.he_window);
    let mask: Vec<bool> = mask
        .iter()
        .zip(&model.covered)
        .map(|(&m, &c)| m && c)
        .collect();
    let (img, b) = class_images(ev, band_events, band_frames, &bti, &mask);
    let mut bsum = [0f64; 2];
    for k in 0..frames.n {
        bsum[bti[k] as usize] += b[k];
    }
    let (nx, ny) = (ev.grid().nx, ev.grid().ny);
    let class = |s: usize| {
        let bti = &bti;
        move |k: usize| bti[k] as usize == s
    };
    let (in_gti, in_bti) = (class(0), class(1));
    let gti_data = ClassData {
        img: &img[0],
        b: &b,
        in_class: &in_gti,
        bsum: bsum[0],
    };
    let (gti_tpl, gti_st) =
        template::background_template(&model, &gti_data, &mask, nx, ny, None, &p.template);
    let bti_data = ClassData {
        img: &img[1],
        b: &b,
        in_class: &in_bti,
        bsum: bsum[1],
    };
    let (bti_tpl, bti_st) = template::background_template(
        &model,
        &bti_data,
        &mask,
        nx,
        ny,
        Some(&gti_tpl),
        &p.template,
    );
    if bti.iter().any(|&x| x) && bti_st.fallback > 0 {
        tracing::debug!(
            bti_counts = bsum[1],
            cells_from_gti = bti_st.fallback,
            "BTI template: cells without enough BTI counts take the GTI shape"
        );
    }
    let mut ex = Expectation {
        frames,
        nx,
        ny,
        bti,
        beta: vec![],
        b,
        template: [gti_tpl, bti_tpl],
        src: vec![],
        mask,
        model,
        template_stats: [gti_st, bti_st],
        he_rate: rate,
        he_threshold: threshold,
    };
    ex.beta = background_amplitudes(&ex);
    let total: Vec<f64> = (0..nx * ny).map(|c| img[0][c] + img[1][c]).collect();
    ex.src = constant_sources(&ex, &total);
    ex
}

/// Images of the GTI and BTI frames, and the counts outside the mask per frame, in one pass.
fn class_images(
    ev: &Observation,
    band_events: &[u32],
    band_frames: &[u32],
    bti: &[bool],
    mask: &[bool],
) -> ([Vec<f64>; 2], Vec<f64>) {
    let nc = ev.grid().n_cells();
    let mut img = [vec![0f64; nc], vec![0f64; nc]];
    let mut b = vec![0f64; bti.len()];
    for (j, &i) in band_events.iter().enumerate() {
        let k = band_frames[j];
        if k != u32::MAX {
            let c = ev.cell()[i as usize] as usize;
            img[bti[k as usize] as usize][c] += 1.0;
            if !mask[c] {
                b[k as usize] += 1.0;
            }
        }
    }
    (img, b)
}

/// β(t) = b_t / Σ_{x∉M} L(x,t) B_S(x).
fn background_amplitudes(ex: &Expectation) -> Vec<f64> {
    let m = &ex.model;
    let nc = ex.nx * ex.ny;
    let unmasked: Vec<usize> = (0..nc).filter(|&c| m.covered[c] && !ex.mask[c]).collect();
    let norm: [f64; 2] = [0, 1].map(|s| unmasked.iter().map(|&c| ex.template[s][c]).sum());
    // per row: Σ_{x∉M} w B_S(x)
    let mut g = [vec![0f64; m.n_rows()], vec![0f64; m.n_rows()]];
    for &c in &unmasked {
        for &(r, w) in m.terms(c) {
            for s in 0..2 {
                g[s][r as usize] += w as f64 * ex.template[s][c];
            }
        }
    }
    (0..ex.frames.n)
        .map(|k| {
            let s = ex.bti[k] as usize;
            let den = norm[s] - m.dead_in(k).map(|(r, d)| d * g[s][r]).sum::<f64>();
            if den > 1e-12 {
                ex.b[k] / den
            } else {
                0.0
            }
        })
        .collect()
}

/// R(x) inside the mask: (I − Σ_t L B β) / Σ_t L, clipped at 0.
fn constant_sources(ex: &Expectation, total: &[f64]) -> Vec<f64> {
    let m = &ex.model;
    let nf = ex.frames.n;
    let nc = ex.nx * ex.ny;
    // live frames of each cell: nf − Σ_r w Σ_t dead_r(t)
    let dead_total = m.dead_weighted(&|_| 1.0, &|_| true);
    let cell_live: Vec<f64> = (0..nc)
        .map(|c| {
            if m.covered[c] {
                (nf as f64 - m.row_sum(c, &dead_total)).max(0.0)
            } else {
                0.0
            }
        })
        .collect();
    let beta = &ex.beta;
    let beta_sum: [f64; 2] = [0, 1].map(|s| {
        (0..nf)
            .filter(|&k| ex.bti[k] as usize == s)
            .map(|k| beta[k])
            .sum()
    });
    let beta_acc = [0, 1].map(|s| m.dead_weighted(&|k| beta[k], &|k| ex.bti[k] as usize == s));
    let mut src = vec![0.0; nc];
    for c in 0..nc {
        if !ex.mask[c] || cell_live[c] <= 0.0 {
            continue;
        }
        let bkg: f64 = (0..2)
            .map(|s| ex.template[s][c] * (beta_sum[s] - m.row_sum(c, &beta_acc[s])))
            .sum();
        src[c] = ((total[c] - bkg) / cell_live[c]).max(0.0);
    }
    src
}

/// Indices of the events in a band (time order kept).
pub fn band_events(ev: &Observation, band: Band) -> Vec<u32> {
    (0..ev.len() as u32)
        .filter(|&i| band.contains(ev.energy()[i as usize]))
        .collect()
}

/// The frame of each of `events` (`u32::MAX` outside the frames).
pub fn frames_of(ev: &Observation, events: &[u32], frames: &Frames) -> Vec<u32> {
    events
        .iter()
        .map(|&i| {
            frames
                .of(ev.time()[i as usize])
                .map(|k| k as u32)
                .unwrap_or(u32::MAX)
        })
        .collect()
}

/// Everything one run needs, from the events: the expectation of `band` at `tbin`, with the
/// band's source mask (the search shares the mask and the GTI coverage between runs instead).
pub fn for_run(
    ev: &Observation,
    band: Band,
    tbin: f64,
    sources: Option<&[Source]>,
    p: &ExpectationParams,
) -> Expectation {
    let frames = Frames::new(ev.span(), tbin);
    let live = GtiCoverage::new(ev, &frames);
    let events = band_events(ev, band);
    let ef = frames_of(ev, &events, &frames);
    let mask = mask::source_mask(ev, &events, sources, p.mask_ln_p);
    build(ev, &events, &ef, frames, &live, &mask, p)
}
