//! The source mask of one band (paper §2.5.2; it does not depend on t_bin): cells masked when
//! building the background templates.
//!
//! A cell is masked if it lies within the instrument's mask radius of a catalogued source
//! ([`crate::instrument::Instrument::mask_radius_arcsec`]: EPIC 20/40/80″ by count rate, 3× the
//! extent for extended sources), or if it is a source found in the data: its counts are a
//! Poisson excess (p < `exp(mask_ln_p)`, default 2.87·10⁻⁷, one-sided 5σ) over the median rate
//! of the 7×7 cells around its 3×3 block; found cells are dilated by one cell.

use crate::observation::Observation;
use crate::source::Source;
use crate::stats;

/// The 8 neighbours of cell `c` inside an `nx × ny` grid.
pub fn neighbours8(nx: usize, ny: usize, c: usize) -> impl Iterator<Item = usize> {
    let (x, y) = ((c % nx) as isize, (c / nx) as isize);
    (-1isize..=1)
        .flat_map(move |dy| (-1isize..=1).map(move |dx| (dx, dy)))
        .filter_map(move |(dx, dy)| {
            let (a, b) = (x + dx, y + dy);
            ((dx, dy) != (0, 0) && a >= 0 && b >= 0 && (a as usize) < nx && (b as usize) < ny)
                .then(|| b as usize * nx + a as usize)
        })
}

/// The source mask of the band whose events are `band_events` (indices into `ev`).
pub fn source_mask(
    ev: &Observation,
    band_events: &[u32],
    sources: Option<&[Source]>,
    mask_ln_p: f64,
) -> Vec<bool> {
    let nc = ev.grid().n_cells();
    let cell_exposure = cell_gti_exposure(ev);
    let mut total = vec![0f64; nc];
    for &i in band_events {
        total[ev.cell()[i as usize] as usize] += 1.0;
    }
    let mut mask = vec![false; nc];
    if let Some(src) = sources {
        mask_catalogue(ev, src, &mut mask);
    }
    let found = poisson_excess(ev, &total, &cell_exposure, mask_ln_p);
    let (nx, ny) = (ev.grid().nx, ev.grid().ny);
    for c in 0..nc {
        if found[c] {
            mask[c] = true;
            for k in neighbours8(nx, ny, c) {
                mask[k] = true;
            }
        }
    }
    let covered = &ev.coverage().covered;
    for c in 0..nc {
        mask[c] &= covered[c];
    }
    tracing::debug!(
        masked = mask.iter().filter(|&&m| m).count(),
        found_in_data = found.iter().filter(|&&m| m).count(),
        "source mask"
    );
    mask
}

/// GTI exposure (s) of every cell: Σ over its terms of weight × the CCD's GTI exposure.
fn cell_gti_exposure(ev: &Observation) -> Vec<f64> {
    let exposure: Vec<Vec<(u8, f64)>> = ev
        .cameras()
        .iter()
        .map(|c| c.gti.iter().map(|(k, g)| (*k, g.exposure())).collect())
        .collect();
    let cov = ev.coverage();
    (0..ev.grid().n_cells())
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
        .collect()
}

/// Mask the cells whose centre lies within the mask radius + half a cell of a source.
fn mask_catalogue(ev: &Observation, sources: &[Source], mask: &mut [bool]) {
    let g = ev.grid();
    let (nx, ny) = (g.nx, g.ny);
    let r_cell = g.cell_arcsec;
    let instrument = ev.cameras()[0].instrument;
    for s in sources {
        let radius = instrument.mask_radius_arcsec(s.rate, s.extent);
        let Some((px, py)) = g.wcs.world_to_pix(s.ra, s.dec) else {
            continue;
        };
        let reach = (radius / r_cell).ceil() as isize + 1;
        let fx = (px - g.x0) / g.cell_px;
        let fy = (py - g.y0) / g.cell_px;
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let (ix, iy) = (fx.floor() as isize + dx, fy.floor() as isize + dy);
                if ix < 0 || iy < 0 || ix as usize >= nx || iy as usize >= ny {
                    continue;
                }
                let d = (((ix as f64 + 0.5 - fx).powi(2) + (iy as f64 + 0.5 - fy).powi(2)).sqrt())
                    * r_cell;
                if d <= radius + 0.5 * r_cell {
                    mask[iy as usize * nx + ix as usize] = true;
                }
            }
        }
    }
}

/// The median rate of the 7×7 cells around each 3×3 block (NaN with fewer than 5 covered cells):
/// the background varies over arcminutes, not over one cell.
fn block_medians(ev: &Observation, rate: &[f64], cell_exposure: &[f64]) -> Vec<f64> {
    let (nx, ny) = (ev.grid().nx, ev.grid().ny);
    let covered = &ev.coverage().covered;
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
                        if covered[k] && cell_exposure[k] > 0.0 {
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
    block_median
}

/// Cells whose counts are a Poisson excess over their block's median rate.
fn poisson_excess(
    ev: &Observation,
    total: &[f64],
    cell_exposure: &[f64],
    mask_ln_p: f64,
) -> Vec<bool> {
    let nx = ev.grid().nx;
    let nc = total.len();
    let covered = &ev.coverage().covered;
    let rate: Vec<f64> = (0..nc)
        .map(|c| {
            if cell_exposure[c] > 0.0 {
                total[c] / cell_exposure[c]
            } else {
                0.0
            }
        })
        .collect();
    let block_median = block_medians(ev, &rate, cell_exposure);
    let bx = nx.div_ceil(3);
    let mut found = vec![false; nc];
    for c in 0..nc {
        if !covered[c] || total[c] < 3.0 {
            continue;
        }
        let bm = block_median[(c / nx / 3) * bx + (c % nx) / 3];
        if bm.is_nan() {
            continue;
        }
        let med = bm.max(0.5 / cell_exposure[c].max(1.0));
        let lam = med * cell_exposure[c];
        found[c] = is_excess(total[c], lam, mask_ln_p);
    }
    found
}

/// Is `n` counts a Poisson excess over `lam`, i.e. `ln P(X ≥ n | λ) < ln_thr`? Exact, with two
/// bounds used only on the side where each is valid (`ln_thr` < ln 0.2):
/// * reject when `n ≤ λ` (then `P(X ≥ n) ≥ P(X ≥ ⌈λ⌉) > 0.26`) or when the lower bound
///   `P(X ≥ n) ≥ P(X = n)` is already above the threshold;
/// * accept when the Chernoff upper bound `ln P(X ≥ n) ≤ −λ + n (1 + ln λ − ln n)` is below it;
/// * otherwise evaluate `ln P(X ≥ n | λ) = ln P(n, λ)` (regularised lower incomplete gamma).
pub fn is_excess(n: f64, lam: f64, ln_thr: f64) -> bool {
    debug_assert!(ln_thr < 0.2f64.ln());
    if n <= lam || !(lam > 0.0) {
        return false;
    }
    if stats::ln_poisson_pmf(n, lam) >= ln_thr {
        return false;
    }
    if -lam + n * (1.0 + lam.ln() - n.ln()) < ln_thr {
        return true;
    }
    stats::ln_gamma_pq(n - 1.0, lam).0 < ln_thr
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: the decision equals `ln P(X ≥ n | λ) < ln p` evaluated directly (sum of the
    /// Poisson terms from n up, in log space), on a grid that includes the cells the wrong-way
    /// Chernoff filter used to skip (n = 10, λ ≈ 0.89–1.11).
    #[test]
    fn excess_decision_matches_direct_summation() {
        let ln_thr = (2.87e-7f64).ln();
        let direct = |n: u64, lam: f64| {
            let terms: Vec<f64> = (n..n + 400)
                .map(|k| stats::ln_poisson_pmf(k as f64, lam))
                .collect();
            let m = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln()
        };
        let mut checked = 0;
        for n in 3u64..80 {
            for j in 0..400 {
                let lam = 10f64.powf(-2.0 + 3.5 * j as f64 / 400.0);
                let want = direct(n, lam) < ln_thr;
                // stay away from the exact boundary, where summation error could flip the answer
                if (direct(n, lam) - ln_thr).abs() < 1e-6 {
                    continue;
                }
                assert_eq!(is_excess(n as f64, lam, ln_thr), want, "n = {n}, λ = {lam}");
                checked += 1;
            }
        }
        assert!(checked > 30_000);
        // the case of the review: 10 counts on λ = 1 is p ≈ 1.0e-7 < 2.87e-7, an excess
        assert!(is_excess(10.0, 1.0, ln_thr));
        assert!(direct(10, 1.0) < ln_thr && direct(10, 1.0) > (5e-8f64).ln());
    }

    #[test]
    fn catalogue_mask_radii_follow_the_epic_rates() {
        use crate::instrument::{EpicCamera, Instrument};
        let pn = Instrument::Epic(EpicCamera::Pn);
        assert_eq!(pn.mask_radius_arcsec(None, None), 20.0);
        assert_eq!(pn.mask_radius_arcsec(Some(0.05), None), 20.0);
        assert_eq!(pn.mask_radius_arcsec(Some(0.5), None), 40.0);
        assert_eq!(pn.mask_radius_arcsec(Some(3.0), None), 80.0);
        assert_eq!(pn.mask_radius_arcsec(Some(3.0), Some(30.0)), 90.0);
        assert_eq!(pn.mask_radius_arcsec(Some(3.0), Some(0.0)), 80.0);
    }
}
