//! Spectra (OGIP PHA type I), redistribution matrices (RMF), ancillary responses (ARF) and the folding
//! of a model photon spectrum through them (OGIP memos CAL/GEN/92-002, OGIP/92-007).
//!
//! Predicted source counts in channel c: `EXPOSURE · AREASCAL_c · Σ_e F_e · ARF_e · RMF_{e,c}` where
//! `F_e` is the model photon flux (photons cm⁻² s⁻¹) integrated over energy bin e of the RMF grid.

use super::SpectralError;

/// One PHA type I spectrum (or one row of a PHA type II file), as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// The file (and row) it came from: used in every error message.
    pub name: String,
    /// Channel numbers as written in the file (CHANNEL column).
    pub channel: Vec<i64>,
    /// Counts per channel (COUNTS, or RATE × EXPOSURE).
    pub counts: Vec<f64>,
    /// STAT_ERR per channel in counts, if the file has one (used by χ² only when POISSERR = F).
    pub stat_err: Option<Vec<f64>>,
    /// SYS_ERR (fractional) per channel, if any.
    pub sys_err: Option<Vec<f64>>,
    /// QUALITY per channel (0 good; anything else is ignored by fits). All 0 when absent.
    pub quality: Vec<i32>,
    /// GROUPING per channel (1 starts a group, −1 continues it, 0 = no grouping information:
    /// a group of one). All 1 when absent.
    pub grouping: Vec<i32>,
    /// EXPOSURE (s).
    pub exposure: f64,
    /// BACKSCAL per channel (the keyword broadcast when scalar).
    pub backscal: Vec<f64>,
    /// AREASCAL per channel (the keyword broadcast when scalar; 1 when absent).
    pub areascal: Vec<f64>,
    /// POISSERR: errors are Poisson.
    pub poisserr: bool,
    /// RESPFILE, ANCRFILE, BACKFILE keywords (None when absent, empty or `none`).
    pub respfile: Option<String>,
    /// ANCRFILE.
    pub ancrfile: Option<String>,
    /// BACKFILE.
    pub backfile: Option<String>,
    /// TELESCOP.
    pub telescope: String,
    /// INSTRUME.
    pub instrument: String,
}

/// A redistribution matrix in compressed sparse form: for each energy bin, runs of consecutive
/// channels with their probabilities (the F_CHAN/N_CHAN/MATRIX layout of the file).
#[derive(Debug, Clone, PartialEq)]
pub struct Rmf {
    /// The file it came from.
    pub name: String,
    /// Lower edges of the energy bins (keV), increasing.
    pub energ_lo: Vec<f64>,
    /// Upper edges of the energy bins (keV).
    pub energ_hi: Vec<f64>,
    /// The channel number of channel index 0 (TLMIN of F_CHAN, else of EBOUNDS CHANNEL, else 1).
    pub first_channel: i64,
    /// Lower energy bound of each channel (EBOUNDS E_MIN, keV).
    pub e_min: Vec<f64>,
    /// Upper energy bound of each channel (EBOUNDS E_MAX, keV).
    pub e_max: Vec<f64>,
    /// Row pointers: runs of energy bin i are `runs[row_ptr[i]..row_ptr[i + 1]]`.
    row_ptr: Vec<usize>,
    /// Runs: (first channel index, number of channels, offset into `values`).
    runs: Vec<(u32, u32, usize)>,
    /// Matrix values of all runs, concatenated.
    values: Vec<f64>,
}

impl Rmf {
    /// A matrix from its energy grid, channel bounds and, per energy bin, its runs
    /// `(first channel index (0-based), values)`. Checks the grid is increasing and every run lies
    /// inside the channels.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: impl Into<String>,
        energ_lo: Vec<f64>,
        energ_hi: Vec<f64>,
        first_channel: i64,
        e_min: Vec<f64>,
        e_max: Vec<f64>,
        rows: Vec<Vec<(usize, Vec<f64>)>>,
    ) -> Result<Rmf, SpectralError> {
        let name = name.into();
        check_energy_grid(&name, &energ_lo, &energ_hi)?;
        let n_chan = e_min.len();
        if e_max.len() != n_chan || rows.len() != energ_lo.len() {
            return Err(SpectralError::input(
                &name,
                format!(
                    "{} E_MIN, {} E_MAX and {} matrix rows for {} energy bins: expected equal counts",
                    n_chan,
                    e_max.len(),
                    rows.len(),
                    energ_lo.len()
                ),
            ));
        }
        let mut row_ptr = Vec::with_capacity(rows.len() + 1);
        let mut runs = Vec::new();
        let mut values = Vec::new();
        row_ptr.push(0);
        for (i, row) in rows.into_iter().enumerate() {
            for (c0, v) in row {
                if c0 + v.len() > n_chan {
                    return Err(SpectralError::input(
                        &name,
                        format!(
                            "energy bin {i}: channels {c0}..{} beyond the {n_chan} channels",
                            c0 + v.len()
                        ),
                    ));
                }
                if v.iter().any(|x| !x.is_finite()) {
                    return Err(SpectralError::input(
                        &name,
                        format!("energy bin {i}: non-finite matrix value"),
                    ));
                }
                runs.push((c0 as u32, v.len() as u32, values.len()));
                values.extend_from_slice(&v);
            }
            row_ptr.push(runs.len());
        }
        Ok(Rmf {
            name,
            energ_lo,
            energ_hi,
            first_channel,
            e_min,
            e_max,
            row_ptr,
            runs,
            values,
        })
    }

    /// Number of channels.
    pub fn n_channels(&self) -> usize {
        self.e_min.len()
    }

    /// Number of energy bins.
    pub fn n_energies(&self) -> usize {
        self.energ_lo.len()
    }

    /// The runs of energy bin `i`: `(first channel index, values)`.
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, &[f64])> + '_ {
        self.runs[self.row_ptr[i]..self.row_ptr[i + 1]]
            .iter()
            .map(move |&(c0, n, off)| (c0 as usize, &self.values[off..off + n as usize]))
    }

    /// Add `Σ_e weight_e · RMF_{e,c}` to `out[c]` (`weight.len()` = energy bins, `out.len()` = channels).
    pub fn fold_into(&self, weight: &[f64], out: &mut [f64]) {
        debug_assert_eq!(weight.len(), self.n_energies());
        debug_assert_eq!(out.len(), self.n_channels());
        for (i, &w) in weight.iter().enumerate() {
            if w == 0.0 {
                continue;
            }
            for &(c0, n, off) in &self.runs[self.row_ptr[i]..self.row_ptr[i + 1]] {
                let (c0, n) = (c0 as usize, n as usize);
                for (o, &v) in out[c0..c0 + n].iter_mut().zip(&self.values[off..off + n]) {
                    *o += w * v;
                }
            }
        }
    }

    /// The same matrix with each energy bin's row multiplied by `factor[e]` (an ARF folded in).
    pub fn scaled_rows(&self, factor: &[f64]) -> Rmf {
        let mut out = self.clone();
        for (i, &f) in factor.iter().enumerate() {
            for &(_, n, off) in &self.runs[self.row_ptr[i]..self.row_ptr[i + 1]] {
                out.values[off..off + n as usize]
                    .iter_mut()
                    .for_each(|v| *v *= f);
            }
        }
        out
    }
}

/// An ancillary response: effective area (cm²) per energy bin.
#[derive(Debug, Clone, PartialEq)]
pub struct Arf {
    /// The file it came from.
    pub name: String,
    /// Lower edges (keV).
    pub energ_lo: Vec<f64>,
    /// Upper edges (keV).
    pub energ_hi: Vec<f64>,
    /// SPECRESP (cm²).
    pub specresp: Vec<f64>,
}

/// A response: an RMF with (optionally) an ARF on the same energy grid, pre-multiplied for folding.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The redistribution matrix (probabilities, as read).
    pub rmf: Rmf,
    /// The ancillary response, if any.
    pub arf: Option<Arf>,
    /// RMF rows × ARF (cm² per channel per photon): what [`Response::fold`] uses.
    effective: Rmf,
}

impl Response {
    /// A response from an RMF and an optional ARF; the ARF must be on the RMF's energy grid
    /// (edges equal to 1e-5 relative).
    pub fn new(rmf: Rmf, arf: Option<Arf>) -> Result<Response, SpectralError> {
        let effective = match &arf {
            None => rmf.clone(),
            Some(a) => {
                check_same_grid(&rmf, a)?;
                rmf.scaled_rows(&a.specresp)
            }
        };
        Ok(Response {
            rmf,
            arf,
            effective,
        })
    }

    /// Lower edges of the model energy grid (keV).
    pub fn energ_lo(&self) -> &[f64] {
        &self.rmf.energ_lo
    }

    /// Upper edges of the model energy grid (keV).
    pub fn energ_hi(&self) -> &[f64] {
        &self.rmf.energ_hi
    }

    /// Count rate per channel (counts s⁻¹, before EXPOSURE and AREASCAL) of a model photon flux
    /// per energy bin `flux` (photons cm⁻² s⁻¹ in each bin), written to `out` (one per channel).
    pub fn fold(&self, flux: &[f64], out: &mut [f64]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        self.effective.fold_into(flux, out);
    }

    /// The effective matrix (RMF × ARF).
    pub fn effective(&self) -> &Rmf {
        &self.effective
    }
}

/// ENERG_LO/ENERG_HI: as many, finite, ≥ 0, each bin non-empty, increasing without overlap (1e-6
/// relative tolerance) — what [`Rmf::new`] requires; readers check a file's grid with it.
pub fn check_energy_grid(name: &str, lo: &[f64], hi: &[f64]) -> Result<(), SpectralError> {
    if lo.is_empty() || lo.len() != hi.len() {
        return Err(SpectralError::input(
            name,
            format!(
                "{} ENERG_LO and {} ENERG_HI values: expected equal, non-zero counts",
                lo.len(),
                hi.len()
            ),
        ));
    }
    for i in 0..lo.len() {
        let ok = lo[i].is_finite() && hi[i].is_finite() && lo[i] >= 0.0 && hi[i] > lo[i];
        if !ok || (i > 0 && lo[i] < hi[i - 1] * (1.0 - 1e-6)) {
            return Err(SpectralError::input(
                name,
                format!(
                    "energy bin {} (row, 1-based) [{}, {}] keV: expected increasing, non-overlapping bins ≥ 0",
                    i + 1,
                    lo[i],
                    hi[i]
                ),
            ));
        }
    }
    Ok(())
}

fn check_same_grid(rmf: &Rmf, arf: &Arf) -> Result<(), SpectralError> {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1e-30);
    let same = arf.energ_lo.len() == rmf.energ_lo.len()
        && arf.specresp.len() == rmf.energ_lo.len()
        && arf
            .energ_lo
            .iter()
            .zip(&rmf.energ_lo)
            .all(|(&a, &b)| close(a, b))
        && arf
            .energ_hi
            .iter()
            .zip(&rmf.energ_hi)
            .all(|(&a, &b)| close(a, b));
    if !same {
        return Err(SpectralError::input(
            &arf.name,
            format!(
                "ARF energy grid ({} bins) differs from the RMF {} ({} bins): expected the same ENERG_LO/ENERG_HI",
                arf.energ_lo.len(),
                rmf.name,
                rmf.energ_lo.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Rmf {
        // 3 energy bins, 4 channels
        Rmf::new(
            "toy",
            vec![1.0, 2.0, 3.0],
            vec![2.0, 3.0, 4.0],
            1,
            vec![1.0, 2.0, 3.0, 4.0],
            vec![2.0, 3.0, 4.0, 5.0],
            vec![
                vec![(0, vec![0.5, 0.5])],
                vec![(1, vec![1.0])],
                vec![(0, vec![0.1]), (2, vec![0.2, 0.7])],
            ],
        )
        .unwrap()
    }

    #[test]
    fn folding_is_the_dense_matrix_product() {
        let dense = [
            [0.5, 0.5, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.1, 0.0, 0.2, 0.7],
        ];
        let arf = Arf {
            name: "a".into(),
            energ_lo: vec![1.0, 2.0, 3.0],
            energ_hi: vec![2.0, 3.0, 4.0],
            specresp: vec![10.0, 20.0, 30.0],
        };
        let r = Response::new(toy(), Some(arf)).unwrap();
        let flux = [1.0, 2.0, 3.0];
        let mut out = vec![0.0; 4];
        r.fold(&flux, &mut out);
        for c in 0..4 {
            let want: f64 = (0..3)
                .map(|e| flux[e] * [10.0, 20.0, 30.0][e] * dense[e][c])
                .sum();
            assert!(
                (out[c] - want).abs() < 1e-12,
                "channel {c}: {} vs {want}",
                out[c]
            );
        }
    }

    #[test]
    fn runs_beyond_the_channels_and_mismatched_arfs_are_refused() {
        let bad = Rmf::new(
            "bad",
            vec![1.0],
            vec![2.0],
            1,
            vec![1.0],
            vec![2.0],
            vec![vec![(0, vec![0.5, 0.5])]],
        );
        assert!(bad.unwrap_err().to_string().contains("beyond"));
        let arf = Arf {
            name: "a.arf".into(),
            energ_lo: vec![1.0, 2.0],
            energ_hi: vec![2.0, 3.0],
            specresp: vec![1.0, 1.0],
        };
        let e = Response::new(toy(), Some(arf)).unwrap_err().to_string();
        assert!(e.contains("a.arf") && e.contains("grid"), "{e}");
    }
}
