//! Background templates of paper §2.5.2: for each frame class S ∈ {GTI, BTI}, the image of the
//! frames of class S divided by its exposure-weighted background `D_S(x) = Σ_{t∈S} L(x,t) b_t`,
//! source cells masked and filled by harmonic (Laplace) inpainting, smoothed by a 3×3 binomial
//! kernel within the covered field (no mass leaks off the field), normalised to Σ over unmasked
//! cells = 1.

use crate::exposure_model::ExposureModel;
use crate::mask::neighbours8;

/// The template of class `s` (0 = GTI, 1 = BTI) from the class image `img`, the per-frame
/// background counts `b`, the class of every frame and its total background counts `bsum`.
pub fn background_template(
    model: &ExposureModel,
    img: &[f64],
    b: &[f64],
    bti: &[bool],
    s: usize,
    bsum: f64,
    mask: &[bool],
    nx: usize,
    ny: usize,
) -> Vec<f64> {
    let nc = img.len();
    let covered = &model.covered;
    let acc = model.dead_weighted(&|k| b[k], &|k| bti[k] as usize == s);
    let mut tpl = vec![0f64; nc];
    for c in 0..nc {
        if !covered[c] || mask[c] {
            continue;
        }
        let d = bsum - model.row_sum(c, &acc);
        if d > 0.0 {
            tpl[c] = img[c] / d;
        }
    }
    inpaint(&mut tpl, mask, covered, nx, ny);
    let mut tpl = smooth(&tpl, covered, nx, ny);
    let norm: f64 = (0..nc).filter(|&c| !mask[c]).map(|c| tpl[c]).sum();
    if norm > 0.0 {
        tpl.iter_mut().for_each(|v| *v /= norm);
    }
    tpl
}

/// Harmonic inpainting: masked covered cells take the mean of their covered neighbours,
/// iterated to convergence (Jacobi on the discrete Laplace equation).
pub fn inpaint(v: &mut [f64], mask: &[bool], covered: &[bool], nx: usize, ny: usize) {
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
pub fn smooth(v: &[f64], covered: &[bool], nx: usize, ny: usize) -> Vec<f64> {
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
