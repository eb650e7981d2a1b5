//! The exposure model `L(x, t)` of paper §2.5: the live fraction of every sky cell in every
//! frame, from the GTI coverage of the CCDs that see the cell, weighted by each camera's share of
//! the counts. A CCD or camera that is off, or a frame cut by a GTI edge, lowers `L` instead of
//! creating false eclipses (exod2-reference §11.3.4).
//!
//! Stored sparsely: per cell, the (CCD row, weight) terms; per CCD row and frame, the dead
//! fraction `1 − GTI fraction`; per frame, the rows that are partly dead. So
//! `L(x, t) = 1 − Σ_terms w · dead[row][t]`, and `L = 1` in nominal frames.

use std::sync::Arc;

use crate::gti_coverage::GtiCoverage;
use crate::observation::Observation;

/// `L(x, t)` for every covered cell of one t_bin.
#[derive(Debug, Clone)]
pub struct ExposureModel {
    /// Cells on at least one camera's CCDs.
    pub covered: Vec<bool>,
    /// Frames in which everything is live.
    pub nominal: Vec<bool>,
    dead: Arc<Vec<Vec<f32>>>,
    dead_rows: Arc<Vec<Vec<u16>>>,
    term_start: Vec<u32>,
    terms: Vec<(u16, f32)>,
}

impl ExposureModel {
    /// The model of `ev`'s cells over the frames of `live`.
    pub fn new(ev: &Observation, live: &GtiCoverage) -> ExposureModel {
        let nc = ev.grid().n_cells();
        let cov = ev.coverage();
        let mut row_index = vec![[u16::MAX; 256]; ev.cameras().len()];
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
        ExposureModel {
            covered,
            nominal: live.nominal.clone(),
            dead: live.dead.clone(),
            dead_rows: live.dead_rows.clone(),
            term_start,
            terms,
        }
    }

    /// Number of frames.
    pub fn n_frames(&self) -> usize {
        self.nominal.len()
    }

    /// Number of CCD rows.
    pub fn n_rows(&self) -> usize {
        self.dead.len()
    }

    /// The (row, weight) terms of a cell.
    #[inline]
    pub fn terms(&self, cell: usize) -> &[(u16, f32)] {
        &self.terms[self.term_start[cell] as usize..self.term_start[cell + 1] as usize]
    }

    /// The rows partly dead in frame `k`, with their dead fraction.
    #[inline]
    pub fn dead_in(&self, k: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.dead_rows[k]
            .iter()
            .map(move |&r| (r as usize, self.dead[r as usize][k] as f64))
    }

    /// Live fraction of a cell in a frame.
    #[inline]
    pub fn live(&self, cell: usize, t: usize) -> f64 {
        if !self.covered[cell] {
            return 0.0;
        }
        if self.nominal[t] {
            return 1.0;
        }
        let d: f64 = self
            .terms(cell)
            .iter()
            .map(|&(r, w)| w as f64 * self.dead[r as usize][t] as f64)
            .sum();
        (1.0 - d).max(0.0)
    }

    /// Σ over a cell's terms of w · `per_row[row]`.
    #[inline]
    pub fn row_sum(&self, cell: usize, per_row: &[f64]) -> f64 {
        self.terms(cell)
            .iter()
            .map(|&(r, w)| w as f64 * per_row[r as usize])
            .sum()
    }

    /// Per row: Σ_t dead_r(t) · f(t) over the frames `include` accepts.
    pub fn dead_weighted(
        &self,
        f: &dyn Fn(usize) -> f64,
        include: &dyn Fn(usize) -> bool,
    ) -> Vec<f64> {
        let mut acc = vec![0f64; self.n_rows()];
        for (k, rows) in self.dead_rows.iter().enumerate() {
            if !include(k) {
                continue;
            }
            let fk = f(k);
            if fk == 0.0 {
                continue;
            }
            for &r in rows {
                acc[r as usize] += self.dead[r as usize][k] as f64 * fk;
            }
        }
        acc
    }
}
