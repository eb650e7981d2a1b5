//! Redistribution matrices (OGIP CAL/GEN/92-002 and its 92-002a update).
//!
//! * **Matrix extension**: the first binary table named `MATRIX` or `SPECRESP MATRIX`, else the
//!   first with `HDUCLAS1 = 'RESPONSE'` and `HDUCLAS2 = 'RSP_MATRIX'`. Columns ENERG_LO,
//!   ENERG_HI (keV), N_GRP (absent: as many groups as F_CHAN has elements), F_CHAN and N_CHAN
//!   (scalar, fixed vector or variable-length), MATRIX (fixed or variable-length). The N_CHAN
//!   runs of a row are read consecutively from its MATRIX values; groups with N_CHAN = 0 and rows
//!   with N_GRP = 0 (or no MATRIX values) are empty. Elements below LO_THRES were left out by the
//!   writer and are zero here, as in XSPEC and Sherpa. Values must be finite; small negative
//!   values (calibration ripples: the pn RMF has some, ≈ −1e-5, near 0.17 keV) are kept as
//!   written, as XSPEC and Sherpa keep them.
//! * **EBOUNDS**: the table named `EBOUNDS` (or `HDUCLAS2 = 'EBOUNDS'`), columns CHANNEL, E_MIN,
//!   E_MAX. Its CHANNEL values must be consecutive from the first channel, and its row count equal
//!   to DETCHANS when the matrix header has it.
//! * **First channel** ([`Rmf::first_channel`], the channel number of channel index 0): TLMIN of
//!   F_CHAN; else TLMIN of EBOUNDS CHANNEL; else the first EBOUNDS CHANNEL value; else 1. XSPEC
//!   and Sherpa stop at TLMIN of F_CHAN, then take 1: they would shift the pn RMF of
//!   `testdata/spectral` (no TLMIN on F_CHAN, EBOUNDS from 0) by one channel.
//!
//! Everything is read in bulk (one cfitsio call per fixed column, one per row of a
//! variable-length column); the 1319 × 4096 EPIC pn matrix loads in a few tens of ms.

use std::path::Path;

use exod_core::spectral::data::Rmf;

use super::columns::{self, find, read_fixed, read_ragged, require, select_table, Ragged, Table};
use super::spectral_error;
use crate::error::IoError;
use crate::fits::{Fits, HduKind};

/// EBOUNDS as read.
struct Ebounds {
    channel: Vec<f64>,
    e_min: Vec<f64>,
    e_max: Vec<f64>,
    tlmin: Option<i64>,
}

/// The matrix extension's columns as read.
struct MatrixCols {
    energ_lo: Vec<f64>,
    energ_hi: Vec<f64>,
    n_grp: Option<Vec<i64>>,
    f_chan: Ragged<i64>,
    n_chan: Ragged<i64>,
    matrix: Ragged<f64>,
    f_chan_tlmin: Option<i64>,
    detchans: Option<f64>,
}

/// Read an OGIP RMF (see the module documentation for the rules).
pub fn read_rmf(path: &Path) -> Result<Rmf, IoError> {
    let mut f = Fits::open(path)?;
    let (m_index, e_index) = find_extensions(&mut f, path)?;
    let eb = read_ebounds(&mut f, e_index)?;
    let t = select_table(&mut f, m_index)?;
    let m = read_matrix(&mut f, t)?;
    super::check_energy_grid(path, &m.energ_lo, &m.energ_hi)?;
    let (first, source) = first_channel(&m, &eb);
    check_ebounds(path, &eb, first, source, m.detchans)?;
    let rows = build_rows(path, &m, first, eb.e_min.len())?;
    Rmf::new(
        path.display().to_string(),
        m.energ_lo,
        m.energ_hi,
        first,
        eb.e_min,
        eb.e_max,
        rows,
    )
    .map_err(spectral_error)
}

/// HDU indices of the matrix and of EBOUNDS.
fn find_extensions(f: &mut Fits, path: &Path) -> Result<(usize, usize), IoError> {
    let tables: Vec<(usize, String)> = f
        .hdus()
        .iter()
        .filter(|h| h.kind == HduKind::BinaryTable)
        .map(|h| (h.index, h.name.trim().to_ascii_uppercase()))
        .collect();
    let (mut by_name, mut by_class, mut ebounds) = (None, None, None);
    for (i, name) in &tables {
        f.select_index(*i)?;
        let c1 = f
            .string("HDUCLAS1")?
            .unwrap_or_default()
            .trim()
            .to_ascii_uppercase();
        let c2 = f
            .string("HDUCLAS2")?
            .unwrap_or_default()
            .trim()
            .to_ascii_uppercase();
        if by_name.is_none() && (name == "MATRIX" || name == "SPECRESP MATRIX") {
            by_name = Some(*i);
        }
        if by_class.is_none() && c1 == "RESPONSE" && c2 == "RSP_MATRIX" {
            by_class = Some(*i);
        }
        if ebounds.is_none() && (name == "EBOUNDS" || c2 == "EBOUNDS") {
            ebounds = Some(*i);
        }
    }
    let hdus = f.hdu_names().join(", ");
    let Some(m) = by_name.or(by_class) else {
        return Err(columns::invalid(
            path,
            format!("no matrix extension: expected a table named MATRIX or SPECRESP MATRIX, or with HDUCLAS1 = 'RESPONSE' and HDUCLAS2 = 'RSP_MATRIX' (HDUs are {hdus})"),
        ));
    };
    let Some(e) = ebounds else {
        return Err(columns::invalid(
            path,
            format!("no EBOUNDS extension: expected the channel energy bounds (a table EBOUNDS with CHANNEL, E_MIN, E_MAX; HDUs are {hdus})"),
        ));
    };
    Ok((m, e))
}

/// A scalar numeric column as f64.
fn scalar(f: &mut Fits, t: Table, name: &str, expected: &str) -> Result<Vec<f64>, IoError> {
    let col = require(f, t, name, expected)?;
    if col.vla || col.repeat != 1 {
        return Err(columns::bad(
            f,
            format!(
                "column {} is a vector column: expected one number per row ({expected})",
                col.name
            ),
        ));
    }
    read_fixed(f, &col)
}

fn read_ebounds(f: &mut Fits, index: usize) -> Result<Ebounds, IoError> {
    let t = select_table(f, index)?;
    let chan_col = require(f, t, "CHANNEL", "the channel numbers")?;
    let tlmin = columns::tlmin(f, &chan_col)?;
    let eb = Ebounds {
        channel: scalar(f, t, "CHANNEL", "the channel numbers")?,
        e_min: scalar(f, t, "E_MIN", "the lower energy of each channel in keV")?,
        e_max: scalar(f, t, "E_MAX", "the upper energy of each channel in keV")?,
        tlmin,
    };
    if eb.channel.is_empty() {
        return Err(columns::bad(
            f,
            "EBOUNDS has no rows: expected one row per channel",
        ));
    }
    let bad = eb
        .e_min
        .iter()
        .zip(&eb.e_max)
        .position(|(a, b)| !(a.is_finite() && b.is_finite() && a <= b));
    if let Some(k) = bad {
        return Err(columns::bad(
            f,
            format!(
                "row {}: E_MIN = {}, E_MAX = {}: expected finite energies with E_MIN ≤ E_MAX",
                k + 1,
                eb.e_min[k],
                eb.e_max[k]
            ),
        ));
    }
    Ok(eb)
}

fn read_matrix(f: &mut Fits, t: Table) -> Result<MatrixCols, IoError> {
    let energ_lo = scalar(f, t, "ENERG_LO", "the lower edge of each energy bin in keV")?;
    let energ_hi = scalar(f, t, "ENERG_HI", "the upper edge of each energy bin in keV")?;
    let n_grp = match find(f, t, "N_GRP", "the number of channel groups per row")? {
        Some(c) if !c.vla && c.repeat == 1 => Some(read_fixed::<i64>(f, &c)?),
        Some(c) => {
            return Err(columns::bad(
                f,
                format!(
                    "column {} is a vector column: expected one number of groups per row",
                    c.name
                ),
            ))
        }
        None => None,
    };
    let f_col = require(f, t, "F_CHAN", "the first channel of each group")?;
    let f_chan_tlmin = columns::tlmin(f, &f_col)?;
    let n_col = require(f, t, "N_CHAN", "the number of channels of each group")?;
    let m_col = require(f, t, "MATRIX", "the matrix elements of each group")?;
    Ok(MatrixCols {
        energ_lo,
        energ_hi,
        n_grp,
        f_chan: read_ragged(f, &f_col)?,
        n_chan: read_ragged(f, &n_col)?,
        matrix: read_ragged(f, &m_col)?,
        f_chan_tlmin,
        detchans: f.num("DETCHANS", "the number of channels")?,
    })
}

/// The first channel number and where it came from.
fn first_channel(m: &MatrixCols, eb: &Ebounds) -> (i64, &'static str) {
    if let Some(t) = m.f_chan_tlmin {
        (t, "TLMIN of F_CHAN")
    } else if let Some(t) = eb.tlmin {
        (t, "TLMIN of EBOUNDS CHANNEL")
    } else if let Some(&c) = eb
        .channel
        .first()
        .filter(|c| c.fract() == 0.0 && c.abs() < 1e15)
    {
        (c as i64, "the first EBOUNDS CHANNEL")
    } else {
        (1, "the OGIP default")
    }
}

/// EBOUNDS channels consecutive from the first channel; as many as DETCHANS says.
fn check_ebounds(
    path: &Path,
    eb: &Ebounds,
    first: i64,
    source: &str,
    detchans: Option<f64>,
) -> Result<(), IoError> {
    let n = eb.channel.len();
    if let Some(d) = detchans {
        if d != n as f64 {
            return Err(columns::invalid(
                path,
                format!(
                    "DETCHANS = {d} but EBOUNDS has {n} rows: expected one EBOUNDS row per channel"
                ),
            ));
        }
    }
    for (k, &c) in eb.channel.iter().enumerate() {
        if c != (first + k as i64) as f64 {
            return Err(columns::invalid(
                path,
                format!(
                    "EBOUNDS row {}: CHANNEL = {c}, expected {} (channels consecutive from the first channel {first}, {source})",
                    k + 1,
                    first + k as i64
                ),
            ));
        }
    }
    Ok(())
}

/// The runs of every energy bin, as (0-based first channel, values).
#[allow(clippy::type_complexity)]
fn build_rows(
    path: &Path,
    m: &MatrixCols,
    first: i64,
    n_chan: usize,
) -> Result<Vec<Vec<(usize, Vec<f64>)>>, IoError> {
    let n = m.energ_lo.len();
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let ctx = RowContext {
            path,
            row: i,
            lo: m.energ_lo[i],
            hi: m.energ_hi[i],
            first,
            n_chan,
        };
        let (fch, nch, mat) = (m.f_chan.row(i), m.n_chan.row(i), m.matrix.row(i));
        let n_grp = m.n_grp.as_ref().map_or(fch.len() as i64, |g| g[i]);
        rows.push(ctx.runs(n_grp, fch, nch, mat)?);
    }
    Ok(rows)
}

/// What an error about one matrix row says.
struct RowContext<'a> {
    path: &'a Path,
    row: usize,
    lo: f64,
    hi: f64,
    first: i64,
    n_chan: usize,
}

impl RowContext<'_> {
    fn err(&self, what: String) -> IoError {
        columns::invalid(
            self.path,
            format!(
                "MATRIX row {} ({}–{} keV): {what}",
                self.row + 1,
                self.lo,
                self.hi
            ),
        )
    }

    /// The runs of one row, checked.
    fn runs(
        &self,
        n_grp: i64,
        fch: &[i64],
        nch: &[i64],
        mat: &[f64],
    ) -> Result<Vec<(usize, Vec<f64>)>, IoError> {
        if n_grp < 0 || n_grp as usize > fch.len().min(nch.len()) {
            return Err(self.err(format!(
                "N_GRP = {n_grp} with {} F_CHAN and {} N_CHAN values: expected 0 ≤ N_GRP ≤ both",
                fch.len(),
                nch.len()
            )));
        }
        let mut runs = Vec::with_capacity(n_grp as usize);
        let mut off = 0usize;
        let last = self.first + self.n_chan as i64 - 1;
        for j in 0..n_grp as usize {
            let (fc, nc) = (fch[j], nch[j]);
            if nc < 0 {
                return Err(self.err(format!("group {}: N_CHAN = {nc}: expected ≥ 0", j + 1)));
            }
            if nc == 0 {
                continue;
            }
            if fc < self.first || fc.saturating_add(nc - 1) > last {
                return Err(self.err(format!(
                    "group {}: F_CHAN = {fc}, N_CHAN = {nc} covers channels {fc}–{}, outside the {} channels {}–{last} of EBOUNDS: expected runs inside the channels",
                    j + 1,
                    fc.saturating_add(nc - 1),
                    self.n_chan,
                    self.first
                )));
            }
            let nc = nc as usize;
            if off + nc > mat.len() {
                return Err(self.err(format!(
                    "the N_CHAN runs need at least {} MATRIX values, the row has {}: expected Σ N_CHAN ≤ the MATRIX values of the row",
                    off + nc,
                    mat.len()
                )));
            }
            let v = &mat[off..off + nc];
            if let Some(k) = v.iter().position(|x| !x.is_finite()) {
                return Err(self.err(format!(
                    "MATRIX value {} = {}: expected a finite value",
                    off + k + 1,
                    v[k]
                )));
            }
            runs.push(((fc - self.first) as usize, v.to_vec()));
            off += nc;
        }
        Ok(runs)
    }
}
