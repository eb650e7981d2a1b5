//! Background templates of paper §2.5.2: the spatial shape `B_S(x)` of the background in the
//! frames of class S ∈ {GTI, BTI}, normalised to Σ over unmasked covered cells = 1.
//!
//! The template is a rate: the counts `C_S(x)` of the class divided by its exposure-weighted
//! background `D_S(x) = Σ_{t∈S} L(x,t) b_t`. Counts and exposure are smoothed **separately** and
//! then divided (the ratio of sums, not the sum of ratios, so that a cell with little exposure
//! does not dominate), over unmasked covered cells only. The smoothing adapts to the counts, so
//! that no covered cell is blind (a template of 0 makes μ = 0, where no peak can ever pass):
//!
//! 1. **local**: the 3×3 binomial kernel (weights 1-2-1 × 1-2-1), when the 3×3 window holds at
//!    least `min_counts` counts (default 10, i.e. ≈ 30 % noise);
//! 2. **wide**: otherwise the smallest square window of half-size 2…`max_radius` cells (default
//!    8: 17 × 17 cells, 5.7′ at 20″) that holds `min_counts` counts, box weights;
//! 3. **fallback**: otherwise the GTI template's shape there, scaled to the class's level over
//!    the cells it measured (for BTIs), or the mean rate of the field (for GTIs).
//!
//! Masked cells (sources) get their value from the unmasked cells around them in the same way,
//! which replaces inpainting. The rule each cell used is counted ([`TemplateStats`]).

use crate::exposure_model::ExposureModel;

/// Parameters of the templates, with their defaults.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct TemplateParams {
    /// Counts a smoothing window must hold. Default 10.
    pub min_counts: f64,
    /// Largest half-size of the wide window (cells). Default 8.
    pub max_radius: usize,
}

impl Default for TemplateParams {
    fn default() -> Self {
        TemplateParams {
            min_counts: 10.0,
            max_radius: 8,
        }
    }
}

/// How many covered cells of a template used each rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TemplateStats {
    /// 3×3 binomial kernel.
    pub local: usize,
    /// A wider square window.
    pub wide: usize,
    /// The GTI shape (BTI class) or the field mean (GTI class).
    pub fallback: usize,
}

/// The inputs of one class's template.
pub struct ClassData<'a> {
    /// Counts per cell in the frames of the class.
    pub img: &'a [f64],
    /// Background counts outside the mask per frame (all frames).
    pub b: &'a [f64],
    /// Is frame k of this class?
    pub in_class: &'a dyn Fn(usize) -> bool,
    /// Σ of `b` over the frames of the class.
    pub bsum: f64,
}

/// Square-window sums over an `nx × ny` grid in O(1) per window (summed-area table).
struct BoxSums {
    nx: usize,
    ny: usize,
    s: Vec<f64>,
}

impl BoxSums {
    fn new(v: &[f64], nx: usize, ny: usize) -> BoxSums {
        let mut s = vec![0.0; (nx + 1) * (ny + 1)];
        for y in 0..ny {
            let mut row = 0.0;
            for x in 0..nx {
                row += v[y * nx + x];
                s[(y + 1) * (nx + 1) + x + 1] = s[y * (nx + 1) + x + 1] + row;
            }
        }
        BoxSums { nx, ny, s }
    }

    /// Σ over the cells within `r` of (x, y) (clipped to the grid).
    fn around(&self, x: usize, y: usize, r: usize) -> f64 {
        let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
        let (x1, y1) = ((x + r + 1).min(self.nx), (y + r + 1).min(self.ny));
        let w = self.nx + 1;
        self.s[y1 * w + x1] - self.s[y0 * w + x1] - self.s[y1 * w + x0] + self.s[y0 * w + x0]
    }
}

/// 3×3 binomial sums of `c` and `d` around cell (x, y).
fn binomial3(c: &[f64], d: &[f64], x: usize, y: usize, nx: usize, ny: usize) -> (f64, f64) {
    let w = [1.0, 2.0, 1.0];
    let (mut sc, mut sd) = (0.0, 0.0);
    for dy in 0..3 {
        for dx in 0..3 {
            let (a, b) = (x as isize + dx as isize - 1, y as isize + dy as isize - 1);
            if a >= 0 && b >= 0 && (a as usize) < nx && (b as usize) < ny {
                let k = b as usize * nx + a as usize;
                let wk = w[dx] * w[dy];
                sc += wk * c[k];
                sd += wk * d[k];
            }
        }
    }
    (sc, sd)
}

/// The unnormalised rate template of one class (NaN where only the fallback can tell) and the
/// number of cells per rule.
#[allow(clippy::too_many_arguments)]
fn class_rates(
    model: &ExposureModel,
    data: &ClassData,
    mask: &[bool],
    nx: usize,
    ny: usize,
    p: &TemplateParams,
) -> (Vec<f64>, TemplateStats) {
    let nc = data.img.len();
    let covered = &model.covered;
    let acc = model.dead_weighted(&|k| data.b[k], data.in_class);
    // counts and exposure of the unmasked covered cells (0 elsewhere)
    let mut c = vec![0f64; nc];
    let mut d = vec![0f64; nc];
    for x in 0..nc {
        if covered[x] && !mask[x] {
            c[x] = data.img[x];
            d[x] = (data.bsum - model.row_sum(x, &acc)).max(0.0);
        }
    }
    let (bc, bd) = (BoxSums::new(&c, nx, ny), BoxSums::new(&d, nx, ny));
    let mut rate = vec![0f64; nc];
    let mut st = TemplateStats::default();
    for x in 0..nc {
        if !covered[x] {
            continue;
        }
        let (ix, iy) = (x % nx, x / nx);
        if bc.around(ix, iy, 1) >= p.min_counts {
            let (sc, sd) = binomial3(&c, &d, ix, iy, nx, ny);
            if sd > 0.0 {
                rate[x] = sc / sd;
                st.local += 1;
                continue;
            }
        }
        let wide = (2..=p.max_radius).find_map(|r| {
            let (sc, sd) = (bc.around(ix, iy, r), bd.around(ix, iy, r));
            (sc >= p.min_counts && sd > 0.0).then(|| sc / sd)
        });
        match wide {
            Some(v) => {
                rate[x] = v;
                st.wide += 1;
            }
            None => {
                rate[x] = f64::NAN;
                st.fallback += 1;
            }
        }
    }
    (rate, st)
}

/// The template of one class. `gti` is the GTI template for the BTI class (None for the GTI
/// class itself): cells the BTI counts cannot measure take its shape, scaled to the BTI level
/// over the cells both measure; for the GTI class, such cells take the field's mean rate.
pub fn background_template(
    model: &ExposureModel,
    data: &ClassData,
    mask: &[bool],
    nx: usize,
    ny: usize,
    gti: Option<&[f64]>,
    p: &TemplateParams,
) -> (Vec<f64>, TemplateStats) {
    let (mut rate, st) = class_rates(model, data, mask, nx, ny, p);
    let covered = &model.covered;
    let measured = |x: usize| covered[x] && !rate[x].is_nan();
    let fill = match gti {
        // BTI: the GTI shape, scaled over the cells both measure
        Some(g) => {
            let (mut num, mut den) = (0.0, 0.0);
            for x in (0..rate.len()).filter(|&x| measured(x)) {
                num += rate[x];
                den += g[x];
            }
            let k = if num > 0.0 && den > 0.0 {
                num / den
            } else {
                1.0
            };
            for x in 0..rate.len() {
                if covered[x] && rate[x].is_nan() {
                    rate[x] = k * g[x];
                }
            }
            None
        }
        // GTI: the mean rate of the measured cells (flat where nothing is measured)
        None => {
            let m: Vec<f64> = (0..rate.len())
                .filter(|&x| measured(x))
                .map(|x| rate[x])
                .collect();
            Some(if m.is_empty() {
                1.0
            } else {
                m.iter().sum::<f64>() / m.len() as f64
            })
        }
    };
    if let Some(v) = fill {
        rate.iter_mut().filter(|r| r.is_nan()).for_each(|r| *r = v);
    }
    let norm: f64 = (0..rate.len())
        .filter(|&x| covered[x] && !mask[x])
        .map(|x| rate[x])
        .sum();
    if norm > 0.0 {
        rate.iter_mut().for_each(|v| *v /= norm);
    }
    (rate, st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_sums_match_direct_sums() {
        let (nx, ny) = (7, 5);
        let v: Vec<f64> = (0..nx * ny).map(|k| (k * 7 % 11) as f64).collect();
        let b = BoxSums::new(&v, nx, ny);
        for y in 0..ny {
            for x in 0..nx {
                for r in 0..4 {
                    let mut s = 0.0;
                    for yy in y.saturating_sub(r)..(y + r + 1).min(ny) {
                        for xx in x.saturating_sub(r)..(x + r + 1).min(nx) {
                            s += v[yy * nx + xx];
                        }
                    }
                    assert_eq!(b.around(x, y, r), s, "({x},{y}) r={r}");
                }
            }
        }
    }
}
