//! Photoelectric absorption: `tbabs` (wilm abundances), `phabs` and `wabs` (angr), from tabulated
//! cross-sections.
//!
//! Transmission in a bin `[lo, hi]`: `exp(−nH·σ(E_c))`, `E_c = 0.5·(lo + hi)`, nH in 1e22 cm⁻² and σ the
//! cross-section per H atom in 1e-22 cm², linearly interpolated between the table points with
//! `numpy.interp` semantics (end values outside the table; the exact arithmetic is in [`CrossSection::sigma`]).
//!
//! The tables are the astromodels package's `xsect_tbabs_wilm.fits`, `xsect_phabs_angr.fits`,
//! `xsect_wabs_angr.fits` (BSD-3-Clause; provenance, licence and conversion in
//! `crates/exod-core/data/absorption/README.md`), embedded as little-endian f32 pairs that are bit-identical to
//! the FITS columns (`crates/exod-io/tests/absorption_tables.rs`). Cross-sections: tbabs — Wilms, Allen &
//! McCray 2000, ApJ 542, 914; phabs — Balucinska-Church & McCammon 1992 with Anders & Grevesse 1989
//! abundances; wabs — Morrison & McCammon 1983, ApJ 270, 119.

use std::sync::{Arc, OnceLock};

use crate::spectral::SpectralError;

/// Which absorption table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AbsorptionKind {
    /// `tbabs`, Wilms et al. 2000 abundances (`wilm`).
    Tbabs,
    /// `phabs`, Anders & Grevesse 1989 abundances (`angr`).
    Phabs,
    /// `wabs`, Morrison & McCammon 1983 (`angr`).
    Wabs,
}

impl AbsorptionKind {
    /// The table's name, `tbabs_wilm`, `phabs_angr`, `wabs_angr`.
    pub fn table_name(self) -> &'static str {
        match self {
            AbsorptionKind::Tbabs => "tbabs_wilm",
            AbsorptionKind::Phabs => "phabs_angr",
            AbsorptionKind::Wabs => "wabs_angr",
        }
    }

    fn embedded_bytes(self) -> &'static [u8] {
        match self {
            AbsorptionKind::Tbabs => TBABS_WILM,
            AbsorptionKind::Phabs => PHABS_ANGR,
            AbsorptionKind::Wabs => WABS_ANGR,
        }
    }
}

static TBABS_WILM: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/absorption/tbabs_wilm.f32le"
));
static PHABS_ANGR: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/absorption/phabs_angr.f32le"
));
static WABS_ANGR: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/absorption/wabs_angr.f32le"
));

/// A cross-section table: σ (1e-22 cm² per H atom) at increasing energies (keV).
#[derive(Debug, Clone, PartialEq)]
pub struct CrossSection {
    /// Table name (`tbabs_wilm`, or the label given to [`CrossSection::new`]).
    pub name: String,
    energy: Vec<f64>,
    sigma: Vec<f64>,
}

impl CrossSection {
    /// A table from its columns. Errors unless both have the same length ≥ 2, the energies are finite and
    /// strictly increasing and the cross-sections finite and ≥ 0.
    pub fn new(
        name: &str,
        energy: Vec<f64>,
        sigma: Vec<f64>,
    ) -> Result<CrossSection, SpectralError> {
        if energy.len() != sigma.len() || energy.len() < 2 {
            return Err(SpectralError::input(
                name,
                format!(
                    "cross-section table needs ≥ 2 (energy, sigma) pairs of equal length, got {} and {}",
                    energy.len(),
                    sigma.len()
                ),
            ));
        }
        if let Some(i) =
            (1..energy.len()).find(|&i| energy[i] <= energy[i - 1] || !energy[i].is_finite())
        {
            return Err(SpectralError::input(
                name,
                format!("energies must be finite and strictly increasing (row {i})"),
            ));
        }
        if let Some(i) = sigma.iter().position(|s| !(s.is_finite() && *s >= 0.0)) {
            return Err(SpectralError::input(
                name,
                format!(
                    "cross-section at row {i} is {} (expected finite ≥ 0)",
                    sigma[i]
                ),
            ));
        }
        Ok(CrossSection {
            name: name.to_string(),
            energy,
            sigma,
        })
    }

    /// The embedded table of `kind` (parsed once, shared).
    pub fn embedded(kind: AbsorptionKind) -> Arc<CrossSection> {
        static TABLES: [OnceLock<Arc<CrossSection>>; 3] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let slot = match kind {
            AbsorptionKind::Tbabs => &TABLES[0],
            AbsorptionKind::Phabs => &TABLES[1],
            AbsorptionKind::Wabs => &TABLES[2],
        };
        slot.get_or_init(|| {
            let (energy, sigma) = embedded_f32(kind);
            let table = CrossSection::new(
                kind.table_name(),
                energy.iter().map(|&e| e as f64).collect(),
                sigma.iter().map(|&s| s as f64).collect(),
            );
            Arc::new(table.expect("embedded absorption tables are valid (tested)"))
        })
        .clone()
    }

    /// Table energies (keV).
    pub fn energy(&self) -> &[f64] {
        &self.energy
    }

    /// Table cross-sections (1e-22 cm²).
    pub fn sigma_table(&self) -> &[f64] {
        &self.sigma
    }

    /// σ(e) with `numpy.interp(e, energy, sigma)` semantics and arithmetic: `sigma[0]` below the table,
    /// `sigma[n-1]` at and above its last point, `sigma[j]` at a table point, otherwise
    /// `slope·(e − energy[j]) + sigma[j]` with `slope = (sigma[j+1] − sigma[j])/(energy[j+1] − energy[j])`.
    pub fn sigma(&self, e: f64) -> f64 {
        let n = self.energy.len();
        if e.is_nan() {
            return f64::NAN;
        }
        if e < self.energy[0] {
            return self.sigma[0];
        }
        if e >= self.energy[n - 1] {
            return self.sigma[n - 1];
        }
        // j: last index with energy[j] <= e (0 <= j < n-1)
        let j = self.energy.partition_point(|&x| x <= e) - 1;
        if self.energy[j] == e {
            return self.sigma[j];
        }
        let slope = (self.sigma[j + 1] - self.sigma[j]) / (self.energy[j + 1] - self.energy[j]);
        slope * (e - self.energy[j]) + self.sigma[j]
    }

    /// σ at the centre `0.5·(lo + hi)` of each bin, written to `out`.
    pub fn sigma_at_centres(&self, e_lo: &[f64], e_hi: &[f64], out: &mut [f64]) {
        for ((o, &lo), &hi) in out.iter_mut().zip(e_lo).zip(e_hi) {
            *o = self.sigma(0.5 * (lo + hi));
        }
    }
}

/// The embedded `(ENERGY, SIGMA)` columns of `kind` as stored: exactly the f32 values of the FITS table.
pub fn embedded_f32(kind: AbsorptionKind) -> (Vec<f32>, Vec<f32>) {
    let bytes = kind.embedded_bytes();
    let mut energy = Vec::with_capacity(bytes.len() / 8);
    let mut sigma = Vec::with_capacity(bytes.len() / 8);
    for rec in bytes.chunks_exact(8) {
        energy.push(f32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]));
        sigma.push(f32::from_le_bytes([rec[4], rec[5], rec[6], rec[7]]));
    }
    (energy, sigma)
}

/// The three tables used by the absorption components.
#[derive(Debug, Clone)]
pub struct AbsorptionTables {
    /// For `tbabs` (default: embedded `tbabs_wilm`).
    pub tbabs: Arc<CrossSection>,
    /// For `phabs` (default: embedded `phabs_angr`).
    pub phabs: Arc<CrossSection>,
    /// For `wabs` (default: embedded `wabs_angr`).
    pub wabs: Arc<CrossSection>,
}

impl Default for AbsorptionTables {
    fn default() -> Self {
        AbsorptionTables {
            tbabs: CrossSection::embedded(AbsorptionKind::Tbabs),
            phabs: CrossSection::embedded(AbsorptionKind::Phabs),
            wabs: CrossSection::embedded(AbsorptionKind::Wabs),
        }
    }
}

impl AbsorptionTables {
    /// The table of `kind`.
    pub fn get(&self, kind: AbsorptionKind) -> &Arc<CrossSection> {
        match kind {
            AbsorptionKind::Tbabs => &self.tbabs,
            AbsorptionKind::Phabs => &self.phabs,
            AbsorptionKind::Wabs => &self.wabs,
        }
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tables_have_the_documented_shape() {
        for kind in [
            AbsorptionKind::Tbabs,
            AbsorptionKind::Phabs,
            AbsorptionKind::Wabs,
        ] {
            let t = CrossSection::embedded(kind);
            assert_eq!(t.energy().len(), 10_000);
            assert_eq!(t.energy()[0], 0.100026496_f32 as f64);
            assert_eq!(t.energy()[9_999], 19.994703_f32 as f64);
        }
        let t = CrossSection::embedded(AbsorptionKind::Tbabs);
        assert_eq!(t.sigma_table()[0], 608.9205_f32 as f64);
        let w = CrossSection::embedded(AbsorptionKind::Wabs);
        assert_eq!(w.sigma_table()[9_999], 0.0011926121_f32 as f64);
    }

    #[test]
    fn interpolation_follows_numpy_interp() {
        let t = CrossSection::new("t", vec![1.0, 2.0, 4.0], vec![10.0, 6.0, 2.0]).unwrap();
        assert_eq!(t.sigma(0.5), 10.0);
        assert_eq!(t.sigma(1.0), 10.0);
        assert_eq!(t.sigma(1.5), 8.0);
        assert_eq!(t.sigma(2.0), 6.0);
        assert_eq!(t.sigma(3.0), 4.0);
        assert_eq!(t.sigma(4.0), 2.0);
        assert_eq!(t.sigma(9.0), 2.0);
        assert!(CrossSection::new("bad", vec![1.0, 1.0], vec![1.0, 1.0]).is_err());
        assert!(CrossSection::new("bad", vec![1.0, 2.0], vec![1.0, -1.0]).is_err());
        assert!(CrossSection::new("bad", vec![1.0], vec![1.0]).is_err());
    }
}
