//! Which camera CCDs see each sky cell, and with what weight (the cell terms of the exposure
//! model `L(x, t) = Σ w · GTI fraction`, paper §2.5).

/// Which camera CCDs see each cell, and with what weight: for every cell, per camera, the CCD
/// most of that camera's events in the cell come from, weighted by the camera's share of the
/// count rate (events per second of GTI). Weights of a cell sum to 1; `L(x, t) = Σ w · live`.
#[derive(Debug, Clone, Default)]
pub struct CcdCoverage {
    /// Per cell (`iy · nx + ix`): whether any camera with a non-zero count rate has events in it.
    pub covered: Vec<bool>,
    /// Per cell, the offset of its first term in `terms` (`n_cells + 1` entries, the last being
    /// `terms.len()`).
    pub term_start: Vec<u32>,
    /// (camera index, CCD, weight)
    pub terms: Vec<(u8, u8, f32)>,
}

impl CcdCoverage {
    pub(crate) fn build(
        cell: &[u32],
        cam: &[u8],
        ccd: &[u8],
        n_cells: usize,
        share: &[f64],
    ) -> CcdCoverage {
        // dense histogram cell × camera × CCD, O(events)
        let ncam = share.len().max(1);
        let nccd = ccd.iter().copied().max().unwrap_or(0) as usize + 1;
        let mut hist = vec![0u32; n_cells * ncam * nccd];
        for i in 0..cell.len() {
            hist[(cell[i] as usize * ncam + cam[i] as usize) * nccd + ccd[i] as usize] += 1;
        }
        let mut cov = CcdCoverage {
            covered: vec![false; n_cells],
            term_start: Vec::with_capacity(n_cells + 1),
            terms: Vec::new(),
        };
        let mut best: Vec<(u8, u8)> = Vec::with_capacity(ncam);
        for c in 0..n_cells {
            cov.term_start.push(cov.terms.len() as u32);
            best.clear();
            for cm in 0..ncam {
                let row = &hist[(c * ncam + cm) * nccd..(c * ncam + cm + 1) * nccd];
                // the CCD with most events (ties: the lower CCD number)
                let (k, &n) =
                    row.iter().enumerate().fold(
                        (0, &0u32),
                        |acc, (k, n)| if *n > *acc.1 { (k, n) } else { acc },
                    );
                if n > 0 {
                    best.push((cm as u8, k as u8));
                }
            }
            let wsum: f64 = best.iter().map(|b| share[b.0 as usize]).sum();
            if wsum > 0.0 {
                for &(cm, cd) in &best {
                    cov.terms.push((cm, cd, (share[cm as usize] / wsum) as f32));
                }
                cov.covered[c] = true;
            }
        }
        cov.term_start.push(cov.terms.len() as u32);
        cov
    }

    /// Terms of a cell.
    pub fn terms(&self, cell: usize) -> &[(u8, u8, f32)] {
        &self.terms[self.term_start[cell] as usize..self.term_start[cell + 1] as usize]
    }
}
