//! Ancillary responses (OGIP CAL/GEN/92-002): the `SPECRESP` extension (by EXTNAME, else
//! `HDUCLAS2 = 'SPECRESP'`), columns ENERG_LO, ENERG_HI (keV) and SPECRESP (cm²). The energy bins
//! must increase without overlapping (as the RMF's), the areas be finite and ≥ 0.

use std::path::Path;

use exod_core::spectral::data::Arf;

use super::columns::{self, read_fixed, require, select_table};
use crate::error::IoError;
use crate::fits::{Fits, HduKind};

/// Read an OGIP ARF.
pub fn read_arf(path: &Path) -> Result<Arf, IoError> {
    let mut f = Fits::open(path)?;
    let index = find_specresp(&mut f, path)?;
    let t = select_table(&mut f, index)?;
    let mut cols = Vec::with_capacity(3);
    for (name, expected) in [
        ("ENERG_LO", "the lower edge of each energy bin in keV"),
        ("ENERG_HI", "the upper edge of each energy bin in keV"),
        ("SPECRESP", "the effective area in cm2"),
    ] {
        let c = require(&mut f, t, name, expected)?;
        if c.vla || c.repeat != 1 {
            return Err(columns::bad(
                &f,
                format!(
                    "column {} is a vector column: expected one number per row ({expected})",
                    c.name
                ),
            ));
        }
        cols.push(read_fixed::<f64>(&mut f, &c)?);
    }
    let specresp = cols.pop().unwrap_or_default();
    let energ_hi = cols.pop().unwrap_or_default();
    let energ_lo = cols.pop().unwrap_or_default();
    super::check_energy_grid(path, &energ_lo, &energ_hi)?;
    if let Some(k) = specresp.iter().position(|a| !a.is_finite() || *a < 0.0) {
        return Err(columns::invalid(
            path,
            format!(
                "SPECRESP row {}: {} cm2: expected a finite area ≥ 0",
                k + 1,
                specresp[k]
            ),
        ));
    }
    Ok(Arf {
        name: path.display().to_string(),
        energ_lo,
        energ_hi,
        specresp,
    })
}

/// HDU index of the SPECRESP extension.
fn find_specresp(f: &mut Fits, path: &Path) -> Result<usize, IoError> {
    let tables: Vec<(usize, String)> = f
        .hdus()
        .iter()
        .filter(|h| h.kind == HduKind::BinaryTable)
        .map(|h| (h.index, h.name.trim().to_ascii_uppercase()))
        .collect();
    if let Some((i, _)) = tables.iter().find(|(_, n)| n == "SPECRESP") {
        return Ok(*i);
    }
    for (i, _) in &tables {
        f.select_index(*i)?;
        let c2 = f.string("HDUCLAS2")?.unwrap_or_default();
        if c2.trim().eq_ignore_ascii_case("SPECRESP") {
            return Ok(*i);
        }
    }
    Err(columns::invalid(
        path,
        format!(
            "no SPECRESP extension: expected the effective area (a table SPECRESP with ENERG_LO, ENERG_HI, SPECRESP; HDUs are {})",
            f.hdu_names().join(", ")
        ),
    ))
}
