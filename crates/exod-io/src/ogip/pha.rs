//! PHA spectra, type I (one spectrum, a row per channel) and type II (a spectrum per row, vector
//! columns), after OGIP/92-007 and its type II extension (OGIP/92-007a).
//!
//! The extension is the first binary table with `HDUCLAS1 = 'SPECTRUM'`, else the one named
//! `SPECTRUM`. Each quantity is read from a column if there is one, else from the keyword of the
//! same name (a scalar broadcast to every channel), else takes its default:
//!
//! | quantity | source | default when absent |
//! |---|---|---|
//! | counts | COUNTS, else RATE × EXPOSURE | — (one of them is required) |
//! | STAT_ERR | column or keyword (× EXPOSURE with RATE) | None (a keyword of 0 is None too) |
//! | SYS_ERR (fractional) | column or keyword | None (a keyword of 0 is None too) |
//! | QUALITY | column or keyword | 0 (good) |
//! | GROUPING | column or keyword | 1 (every channel its own group) |
//! | EXPOSURE (s) | keyword (type II: column or keyword) | — (required, > 0) |
//! | BACKSCAL, AREASCAL | column or keyword (type II: vector, per-row scalar or keyword) | 1 |
//! | POISSERR | keyword | true when there is no STAT_ERR, else false |
//! | RESPFILE, ANCRFILE, BACKFILE | keyword (type II: string column or keyword) | None (also for '', 'none', 'NONE') |
//! | TELESCOP, INSTRUME | keyword of the extension, else of the primary header | "" |
//! | channel numbers | CHANNEL | 1, 2, … |
//!
//! Channel numbers must be consecutive and increasing (channel index k ↔ channel number
//! `channel[0] + k`, as the RMF's channels are); a CHANNEL outside its TLMIN/TLMAX is logged.
//! Counts and errors must be finite, COUNTS ≥ 0, errors, BACKSCAL and AREASCAL ≥ 0, QUALITY
//! and GROUPING integers, GROUPING in {−1, 0, 1}.

use std::path::{Path, PathBuf};

use exod_core::spectral::data::Spectrum;

use super::columns::{self, bad, find, read_fixed, select_table, Table};
use crate::error::IoError;
use crate::fits::{Fits, HduKind, HeaderValue};

/// How the spectra lie in the table.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// Spectra in the file (type I: 1).
    n_spec: usize,
    /// Channels per spectrum.
    n_chan: usize,
    /// Type II: a spectrum per row.
    type2: bool,
    /// The counts are a RATE column (counts s⁻¹).
    rate: bool,
}

/// Per-channel values of every spectrum (`[spectrum][channel]`).
type Grid = Vec<Vec<f64>>;

/// Everything read from the table before it is checked and split into spectra.
struct Raw {
    channel: Option<Grid>,
    counts: Grid,
    stat_err: Option<Grid>,
    sys_err: Option<Grid>,
    quality: Option<Grid>,
    grouping: Option<Grid>,
    backscal: Option<Grid>,
    areascal: Option<Grid>,
    exposure: Vec<f64>,
    poisserr: Option<bool>,
    files: [Vec<Option<String>>; 3],
    telescope: String,
    instrument: String,
    channel_limits: (Option<i64>, Option<i64>),
}

/// Read a PHA type I spectrum. A type II file is an error pointing to [`read_pha_rows`].
pub fn read_pha(path: &Path) -> Result<Spectrum, IoError> {
    let (mut f, t) = open_spectrum(path)?;
    let lay = layout(&mut f, t)?;
    if lay.type2 {
        return Err(columns::invalid(
            path,
            format!(
                "is a PHA type II file ({} spectra of {} channels, one per row): expected type I (a row per channel); read it with read_pha_rows",
                lay.n_spec, lay.n_chan
            ),
        ));
    }
    read_spectra(&mut f, path, t, lay)?
        .into_iter()
        .next()
        .ok_or_else(|| columns::invalid(path, "no spectrum in the SPECTRUM extension"))
}

/// Read every spectrum of a PHA type II file, named `file[row n]` (n from 1); a type I file
/// gives its one spectrum, named after the file.
pub fn read_pha_rows(path: &Path) -> Result<Vec<Spectrum>, IoError> {
    let (mut f, t) = open_spectrum(path)?;
    let lay = layout(&mut f, t)?;
    read_spectra(&mut f, path, t, lay)
}

/// Open the file and select its spectrum extension.
fn open_spectrum(path: &Path) -> Result<(Fits, Table), IoError> {
    let mut f = Fits::open(path)?;
    let tables: Vec<(usize, String)> = f
        .hdus()
        .iter()
        .filter(|h| h.kind == HduKind::BinaryTable)
        .map(|h| (h.index, h.name.clone()))
        .collect();
    for &(i, _) in &tables {
        f.select_index(i)?;
        if let Some(c) = f.string("HDUCLAS1")? {
            if c.trim().eq_ignore_ascii_case("SPECTRUM") {
                let t = select_table(&mut f, i)?;
                return Ok((f, t));
            }
        }
    }
    if let Some(&(i, _)) = tables
        .iter()
        .find(|(_, n)| n.trim().eq_ignore_ascii_case("SPECTRUM"))
    {
        let t = select_table(&mut f, i)?;
        return Ok((f, t));
    }
    let names: Vec<String> = f.hdu_names();
    Err(columns::invalid(
        path,
        format!(
            "no spectrum extension: expected a binary table with HDUCLAS1 = 'SPECTRUM' or EXTNAME = 'SPECTRUM' (HDUs are {})",
            names.join(", ")
        ),
    ))
}

/// Type I or II, from the counts column (a vector column: type II).
fn layout(f: &mut Fits, t: Table) -> Result<Layout, IoError> {
    let expected = "the counts per channel (COUNTS) or the count rate (RATE)";
    let (col, rate) = match find(f, t, "COUNTS", expected)? {
        Some(c) => (c, false),
        None => match find(f, t, "RATE", expected)? {
            Some(c) => (c, true),
            None => {
                let (_, cols) = f.table_info()?;
                return Err(bad(
                    f,
                    format!(
                        "no COUNTS or RATE column: expected {expected} (columns are {})",
                        cols.join(", ")
                    ),
                ));
            }
        },
    };
    if col.vla {
        return Err(bad(
            f,
            format!(
                "{} is a variable-length array column: expected one value per channel (type I) or a fixed vector per row (type II)",
                col.name
            ),
        ));
    }
    let rows = t.rows as usize;
    let type2 = col.repeat > 1 || is_type2_keyword(f)?;
    Ok(if type2 {
        Layout {
            n_spec: rows,
            n_chan: col.repeat,
            type2,
            rate,
        }
    } else {
        Layout {
            n_spec: 1,
            n_chan: rows,
            type2,
            rate,
        }
    })
}

/// HDUCLAS4 = 'TYPE:II' (or HDUCLAS3, where some writers put it).
fn is_type2_keyword(f: &mut Fits) -> Result<bool, IoError> {
    for k in ["HDUCLAS4", "HDUCLAS3"] {
        if let Some(v) = f.string(k)? {
            if v.trim().eq_ignore_ascii_case("TYPE:II") {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// A column's values per spectrum and channel, None when there is no such column. Type I: one
/// value per row; type II: a vector of `n_chan` per row, or a scalar per row (broadcast).
fn per_channel(
    f: &mut Fits,
    t: Table,
    lay: Layout,
    name: &str,
    expected: &str,
) -> Result<Option<Grid>, IoError> {
    let Some(col) = find(f, t, name, expected)? else {
        return Ok(None);
    };
    let shape_ok = !col.vla && (col.repeat == 1 || (lay.type2 && col.repeat == lay.n_chan));
    if !shape_ok {
        let want = if lay.type2 {
            format!("{} values per row (one per channel) or 1", lay.n_chan)
        } else {
            "one value per row (type I)".to_string()
        };
        let has = if col.vla {
            "variable-length arrays".to_string()
        } else {
            format!("{} values per row", col.repeat)
        };
        return Err(bad(
            f,
            format!(
                "column {} has {has}: expected {want} ({expected})",
                col.name
            ),
        ));
    }
    let v: Vec<f64> = read_fixed(f, &col)?;
    Ok(Some(if !lay.type2 {
        vec![v]
    } else if col.repeat == 1 {
        v.iter().map(|&x| vec![x; lay.n_chan]).collect()
    } else {
        v.chunks(lay.n_chan).map(|c| c.to_vec()).collect()
    }))
}

/// A column, else the keyword broadcast to every channel (None: neither). `key_zero_is_none`:
/// a keyword equal to 0 counts as absent (STAT_ERR, SYS_ERR).
fn column_or_key(
    f: &mut Fits,
    t: Table,
    lay: Layout,
    name: &str,
    expected: &str,
    key_zero_is_none: bool,
) -> Result<Option<Grid>, IoError> {
    if let Some(g) = per_channel(f, t, lay, name, expected)? {
        return Ok(Some(g));
    }
    Ok(match f.num(name, expected)? {
        Some(x) if key_zero_is_none && x == 0.0 => None,
        Some(x) => Some(vec![vec![x; lay.n_chan]; lay.n_spec]),
        None => None,
    })
}

/// A number per spectrum: type II column (one per row), else the keyword.
fn per_spectrum(
    f: &mut Fits,
    t: Table,
    lay: Layout,
    name: &str,
    expected: &str,
) -> Result<Option<Vec<f64>>, IoError> {
    if lay.type2 {
        if let Some(col) = find(f, t, name, expected)? {
            if col.vla || col.repeat != 1 {
                return Err(bad(
                    f,
                    format!(
                        "column {} is a vector column: expected one {expected} per row",
                        col.name
                    ),
                ));
            }
            return Ok(Some(read_fixed(f, &col)?));
        }
    }
    Ok(f.num(name, expected)?.map(|x| vec![x; lay.n_spec]))
}

/// A file name per spectrum (RESPFILE, …): type II string column, else the keyword; '', 'none'
/// and 'NONE' are None.
fn file_names(f: &mut Fits, lay: Layout, key: &str) -> Result<Vec<Option<String>>, IoError> {
    let clean = |s: String| {
        let s = s.trim().to_string();
        (!s.is_empty() && !s.eq_ignore_ascii_case("none")).then_some(s)
    };
    if lay.type2 {
        if let Some((actual, _)) = f.column(key)? {
            let v = f.read_strings(&actual)?;
            return Ok(v.into_iter().map(clean).collect());
        }
    }
    let k = f.string(key)?.and_then(clean);
    Ok(vec![k; lay.n_spec])
}

/// TELESCOP/INSTRUME of the extension, else of the primary header, else "".
fn mission_key(f: &mut Fits, t_index: usize, key: &str) -> Result<String, IoError> {
    if let Some(s) = f.string(key)? {
        return Ok(s);
    }
    f.select_index(0)?;
    let s = f.string(key)?.unwrap_or_default();
    f.select_index(t_index)?;
    Ok(s)
}

/// Read every quantity of the table (not yet checked).
fn read_raw(f: &mut Fits, t: Table, lay: Layout) -> Result<Raw, IoError> {
    let counts_col = if lay.rate { "RATE" } else { "COUNTS" };
    let counts = per_channel(f, t, lay, counts_col, "the counts per channel")?
        .ok_or_else(|| bad(f, format!("no {counts_col} column")))?;
    let channel = per_channel(f, t, lay, "CHANNEL", "the channel numbers")?;
    let channel_limits = match f.column("CHANNEL")? {
        Some((_, n)) => (
            int_key(f, &format!("TLMIN{n}"))?,
            int_key(f, &format!("TLMAX{n}"))?,
        ),
        None => (None, None),
    };
    let exposure =
        per_spectrum(f, t, lay, "EXPOSURE", "the exposure time in s")?.ok_or_else(|| {
            bad(
                f,
                "no EXPOSURE keyword (or column): expected the exposure time in s, > 0",
            )
        })?;
    let poisserr = match f.key("POISSERR")? {
        None => None,
        Some(HeaderValue::Bool(b)) => Some(b),
        Some(v) => {
            return Err(f
                .bad_key("POISSERR", &v, "a logical, T when the errors are Poisson")
                .into())
        }
    };
    Ok(Raw {
        channel,
        counts,
        stat_err: column_or_key(
            f,
            t,
            lay,
            "STAT_ERR",
            "the statistical error per channel",
            true,
        )?,
        sys_err: column_or_key(
            f,
            t,
            lay,
            "SYS_ERR",
            "the fractional systematic error",
            true,
        )?,
        quality: column_or_key(f, t, lay, "QUALITY", "the quality flag per channel", false)?,
        grouping: column_or_key(
            f,
            t,
            lay,
            "GROUPING",
            "the grouping flag per channel",
            false,
        )?,
        backscal: column_or_key(f, t, lay, "BACKSCAL", "the background scaling", false)?,
        areascal: column_or_key(f, t, lay, "AREASCAL", "the area scaling", false)?,
        exposure,
        poisserr,
        files: [
            file_names(f, lay, "RESPFILE")?,
            file_names(f, lay, "ANCRFILE")?,
            file_names(f, lay, "BACKFILE")?,
        ],
        telescope: mission_key(f, t.index, "TELESCOP")?,
        instrument: mission_key(f, t.index, "INSTRUME")?,
        channel_limits,
    })
}

/// An integer keyword (None: absent or not an integer).
fn int_key(f: &mut Fits, key: &str) -> Result<Option<i64>, IoError> {
    Ok(match f.key(key)? {
        Some(HeaderValue::Num(x)) if x.fract() == 0.0 && x.abs() < 1e15 => Some(x as i64),
        _ => None,
    })
}

/// Read the table and check and split it into spectra.
fn read_spectra(
    f: &mut Fits,
    path: &Path,
    t: Table,
    lay: Layout,
) -> Result<Vec<Spectrum>, IoError> {
    if lay.n_chan == 0 {
        return Err(columns::invalid(
            path,
            "the spectrum has no channels: expected at least one",
        ));
    }
    let raw = read_raw(f, t, lay)?;
    (0..lay.n_spec)
        .map(|s| {
            let name = if lay.type2 {
                format!("{}[row {}]", path.display(), s + 1)
            } else {
                path.display().to_string()
            };
            build(&name, &raw, lay, s)
        })
        .collect()
}

/// Spectrum `s` of the table, checked.
fn build(name: &str, raw: &Raw, lay: Layout, s: usize) -> Result<Spectrum, IoError> {
    let err = |what: String| IoError::invalid(PathBuf::from(name), what);
    let exposure = raw.exposure[s];
    if !(exposure.is_finite() && exposure > 0.0) {
        return Err(err(format!(
            "EXPOSURE = {exposure}: expected the exposure time in s, > 0"
        )));
    }
    let scale = if lay.rate { exposure } else { 1.0 };
    let col = if lay.rate { "RATE" } else { "COUNTS" };
    let counts: Vec<f64> = raw.counts[s].iter().map(|&x| x * scale).collect();
    check_values(&err, col, &raw.counts[s], !lay.rate)?;
    let stat_err = match &raw.stat_err {
        Some(g) => {
            check_values(&err, "STAT_ERR", &g[s], true)?;
            Some(g[s].iter().map(|&x| x * scale).collect())
        }
        None => None,
    };
    let sys_err = match &raw.sys_err {
        Some(g) => {
            check_values(&err, "SYS_ERR", &g[s], true)?;
            Some(g[s].clone())
        }
        None => None,
    };
    let n = lay.n_chan;
    let quality = integers(&err, "QUALITY", raw.quality.as_ref().map(|g| &g[s]), n, 0)?;
    let grouping = integers(&err, "GROUPING", raw.grouping.as_ref().map(|g| &g[s]), n, 1)?;
    if let Some(k) = grouping.iter().position(|g| !(-1..=1).contains(g)) {
        return Err(err(format!(
            "GROUPING = {} in channel index {k}: expected 1 (a group starts), -1 (it continues) or 0",
            grouping[k]
        )));
    }
    let backscal = scaling(&err, "BACKSCAL", raw.backscal.as_ref().map(|g| &g[s]), n)?;
    let areascal = scaling(&err, "AREASCAL", raw.areascal.as_ref().map(|g| &g[s]), n)?;
    let channel = channels(name, &err, raw, s, n)?;
    let poisserr = raw.poisserr.unwrap_or(stat_err.is_none());
    Ok(Spectrum {
        name: name.to_string(),
        channel,
        counts,
        stat_err,
        sys_err,
        quality,
        grouping,
        exposure,
        backscal,
        areascal,
        poisserr,
        respfile: raw.files[0][s].clone(),
        ancrfile: raw.files[1][s].clone(),
        backfile: raw.files[2][s].clone(),
        telescope: raw.telescope.clone(),
        instrument: raw.instrument.clone(),
    })
}

/// Every value finite (and ≥ 0 when `non_negative`).
fn check_values(
    err: &dyn Fn(String) -> IoError,
    col: &str,
    v: &[f64],
    non_negative: bool,
) -> Result<(), IoError> {
    let bad = v
        .iter()
        .position(|x| !x.is_finite() || (non_negative && *x < 0.0));
    match bad {
        Some(k) => Err(err(format!(
            "{col} = {} in channel index {k}: expected a finite value{}",
            v[k],
            if non_negative { " ≥ 0" } else { "" }
        ))),
        None => Ok(()),
    }
}

/// Integer flags (QUALITY, GROUPING), `default` where absent.
fn integers(
    err: &dyn Fn(String) -> IoError,
    col: &str,
    v: Option<&Vec<f64>>,
    n: usize,
    default: i32,
) -> Result<Vec<i32>, IoError> {
    let Some(v) = v else {
        return Ok(vec![default; n]);
    };
    v.iter()
        .enumerate()
        .map(|(k, &x)| {
            if x.fract() == 0.0 && x.abs() <= i32::MAX as f64 {
                Ok(x as i32)
            } else {
                Err(err(format!(
                    "{col} = {x} in channel index {k}: expected an integer flag"
                )))
            }
        })
        .collect()
}

/// BACKSCAL/AREASCAL per channel (1 where absent), finite and ≥ 0.
fn scaling(
    err: &dyn Fn(String) -> IoError,
    col: &str,
    v: Option<&Vec<f64>>,
    n: usize,
) -> Result<Vec<f64>, IoError> {
    match v {
        None => Ok(vec![1.0; n]),
        Some(v) => {
            check_values(err, col, v, true)?;
            Ok(v.clone())
        }
    }
}

/// Channel numbers: CHANNEL (integers, consecutive, increasing), else 1, 2, …
fn channels(
    name: &str,
    err: &dyn Fn(String) -> IoError,
    raw: &Raw,
    s: usize,
    n: usize,
) -> Result<Vec<i64>, IoError> {
    let Some(g) = &raw.channel else {
        return Ok((1..=n as i64).collect());
    };
    let v = &g[s];
    let first = v[0];
    for (k, &c) in v.iter().enumerate() {
        if c != first + k as f64 || c.fract() != 0.0 || c.abs() > 1e15 {
            return Err(err(format!(
                "CHANNEL = {c} at index {k} (the first is {first}): expected consecutive increasing integer channel numbers"
            )));
        }
    }
    let (first, last) = (first as i64, first as i64 + n as i64 - 1);
    let (lo, hi) = raw.channel_limits;
    if lo.is_some_and(|lo| first < lo) || hi.is_some_and(|hi| last > hi) {
        tracing::warn!(
            "{name}: CHANNEL runs {first}–{last}, outside its TLMIN/TLMAX {lo:?}–{hi:?}"
        );
    }
    Ok((first..=last).collect())
}
