//! `exod crossmatch SOURCES CATALOG... --out DIR`: the counterparts of sources in external
//! catalogues and the expected number of chance matches (paper §3.3, Table 5), with
//! [`exod_core::crossmatch`] on tables read by [`exod_io::table_in`].
//!
//! Writes `matches.fits`/`.ecsv` (every pair), `nearest.fits`/`.ecsv` (one row per source) and
//! `summary.json` into DIR, through a staging folder: DIR holds either complete outputs or none.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use exod_core::crossmatch::{self as xm, ChanceMatches, ErrorRule, Pair, Radii, Summary};
use exod_core::sky::{tangent_offset, SkyIndex};
use exod_io::context::KeyValue;
use exod_io::table_in::{self, ExtColumn, ExtTable, TableOptions};
use exod_io::table_out::{self, OutColumn, OutData, OutMeta};

/// Options of `exod crossmatch`. Catalogue options are given once (for every catalogue) or
/// once per catalogue, in the order of the catalogues.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The sources (FITS, CSV/ECSV or VOTable), e.g. an exod catalogue with RA, DEC, POS_ERR.
    pub sources: PathBuf,
    /// Catalogues to match against (FITS, CSV/ECSV or VOTable).
    #[arg(required = true)]
    pub catalogs: Vec<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace a non-empty output folder.
    #[arg(long)]
    pub overwrite: bool,
    /// FITS HDU (EXTNAME) of the sources (default: the first table with rows).
    #[arg(long)]
    pub hdu: Option<String>,
    /// RA column of the sources (default: RA, RA_DEG, RAJ2000, … case-insensitive).
    #[arg(long)]
    pub ra_col: Option<String>,
    /// Dec column of the sources (default: DEC, DEC_DEG, DEJ2000, …).
    #[arg(long)]
    pub dec_col: Option<String>,
    /// 1σ position-error column of the sources, arcsec (default: POS_ERR, RADEC_ERR, …).
    #[arg(long)]
    pub err_col: Option<String>,
    /// Identifier column of the sources (default: SRCID, SRC_ID, NAME, …; else the row).
    #[arg(long)]
    pub id_col: Option<String>,
    /// FITS HDU of each catalogue.
    #[arg(long)]
    pub cat_hdu: Vec<String>,
    /// RA column of each catalogue.
    #[arg(long)]
    pub cat_ra_col: Vec<String>,
    /// Dec column of each catalogue.
    #[arg(long)]
    pub cat_dec_col: Vec<String>,
    /// 1σ position-error column (arcsec) of each catalogue.
    #[arg(long)]
    pub cat_err_col: Vec<String>,
    /// Fixed match radius (arcsec) of each catalogue, e.g. 20 as in the paper (default: from
    /// the position errors, max(--min-radius, --err-k × √(σ_src² + σ_cat²)) capped at
    /// --max-radius).
    #[arg(long)]
    pub radius: Vec<f64>,
    /// Catalogue columns copied into the outputs, comma-separated (per catalogue).
    #[arg(long)]
    pub columns: Vec<String>,
    /// Prefix of each catalogue's output columns (default: from the file name).
    #[arg(long)]
    pub prefix: Vec<String>,
    /// k of the error-based radius.
    #[arg(long, default_value_t = xm::DEFAULT_K)]
    pub err_k: f64,
    /// Smallest error-based radius (arcsec).
    #[arg(long, default_value_t = xm::DEFAULT_MIN_RADIUS)]
    pub min_radius: f64,
    /// Largest error-based radius (arcsec).
    #[arg(long, default_value_t = xm::DEFAULT_MAX_RADIUS)]
    pub max_radius: f64,
    /// Shifted-catalogue Monte Carlo: n × n offsets (n even) of ±(1 … n/2) × --mc-step.
    #[arg(long, default_value_t = xm::DEFAULT_GRID)]
    pub mc_offsets: usize,
    /// Step of the Monte Carlo grid (arcsec).
    #[arg(long, default_value_t = xm::DEFAULT_STEP_ARCSEC)]
    pub mc_step: f64,
    /// No Monte Carlo (expected chance matches are NaN).
    #[arg(long)]
    pub no_mc: bool,
}

/// The sources, read once.
struct Sources {
    path: PathBuf,
    ra: Vec<f64>,
    dec: Vec<f64>,
    /// 1σ errors (arcsec; 0 when the table has none).
    err: Vec<f64>,
    has_err: bool,
    ids: Vec<String>,
}

/// One catalogue and its match.
struct CatResult {
    path: PathBuf,
    prefix: String,
    table: ExtTable,
    ra: Vec<f64>,
    dec: Vec<f64>,
    copy: Vec<usize>,
    radius_rule: String,
    query: Vec<f64>,
    pairs: Vec<Pair>,
    chance: Option<ChanceMatches>,
    summary: Summary,
}

/// One value per catalogue from an option given 0, 1 or n times.
fn per_cat<T: Clone>(v: &[T], n: usize, flag: &str) -> Result<Vec<Option<T>>> {
    match v.len() {
        0 => Ok(vec![None; n]),
        1 => Ok(vec![Some(v[0].clone()); n]),
        k if k == n => Ok(v.iter().cloned().map(Some).collect()),
        k => bail!("{flag} given {k} times for {n} catalogues: give it once (all catalogues) or once per catalogue"),
    }
}

/// `xmmatlas_srclistnew_Legacy.fits.gz` → `XMMATLAS_SRCLISTNEW_LEGACY`.
fn default_prefix(path: &Path) -> String {
    let mut name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let exts = [
        ".gz", ".fits", ".fit", ".fts", ".ftz", ".csv", ".ecsv", ".vot", ".xml",
    ];
    while let Some(e) = exts
        .iter()
        .find(|e| name.to_ascii_lowercase().ends_with(*e))
    {
        name.truncate(name.len() - e.len());
    }
    let p: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if p.is_empty() || p.starts_with(|c: char| c.is_ascii_digit()) {
        format!("C{p}")
    } else {
        p
    }
}

fn read_sources(a: &Args) -> Result<Sources> {
    let opts = TableOptions { hdu: a.hdu.clone() };
    let t = table_in::read_table(&a.sources, &opts)?;
    let (ra, dec) = t.positions(a.ra_col.as_deref(), a.dec_col.as_deref())?;
    let err = match t.pick_optional(a.err_col.as_deref(), table_in::ERR_NAMES) {
        Some(i) => Some(t.numbers(i, "a position error in arcsec")?),
        None if a.err_col.is_some() => {
            t.pick(a.err_col.as_deref(), &[], "position error", "--err-col")?;
            None
        }
        None => None,
    };
    let ids = match t.pick_optional(a.id_col.as_deref(), table_in::ID_NAMES) {
        Some(i) => t.texts(i),
        None if a.id_col.is_some() => {
            t.pick(a.id_col.as_deref(), &[], "identifier", "--id-col")?;
            unreachable!("pick fails for a missing column")
        }
        None => (1..=t.len()).map(|r| r.to_string()).collect(),
    };
    Ok(Sources {
        path: a.sources.clone(),
        has_err: err.is_some(),
        err: err.unwrap_or_else(|| vec![0.0; ra.len()]),
        ra,
        dec,
        ids,
    })
}

/// Per-catalogue options, resolved.
struct CatOpts {
    hdu: Option<String>,
    ra: Option<String>,
    dec: Option<String>,
    err: Option<String>,
    radius: Option<f64>,
    columns: Vec<String>,
    prefix: String,
}

fn cat_opts(a: &Args) -> Result<Vec<CatOpts>> {
    let n = a.catalogs.len();
    let hdu = per_cat(&a.cat_hdu, n, "--cat-hdu")?;
    let ra = per_cat(&a.cat_ra_col, n, "--cat-ra-col")?;
    let dec = per_cat(&a.cat_dec_col, n, "--cat-dec-col")?;
    let err = per_cat(&a.cat_err_col, n, "--cat-err-col")?;
    let radius = per_cat(&a.radius, n, "--radius")?;
    let columns = per_cat(&a.columns, n, "--columns")?;
    let prefix = per_cat(&a.prefix, n, "--prefix")?;
    let mut out: Vec<CatOpts> = Vec::with_capacity(n);
    for k in 0..n {
        if let Some(r) = radius[k].filter(|r| !(r.is_finite() && *r > 0.0)) {
            bail!("--radius {r}: expected a positive number of arcsec");
        }
        let p = prefix[k]
            .clone()
            .unwrap_or_else(|| default_prefix(&a.catalogs[k]));
        if out.iter().any(|o| o.prefix == p) {
            bail!("two catalogues have the prefix {p}: give --prefix once per catalogue");
        }
        let cols = columns[k].as_deref().unwrap_or("");
        out.push(CatOpts {
            hdu: hdu[k].clone(),
            ra: ra[k].clone(),
            dec: dec[k].clone(),
            err: err[k].clone(),
            radius: radius[k],
            columns: cols
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect(),
            prefix: p,
        });
    }
    Ok(out)
}

/// The radii of one catalogue, and the rule as text for the summary.
fn radii<'a>(
    a: &Args,
    src: &'a Sources,
    o: &CatOpts,
    cat_err: Option<&'a [f64]>,
) -> Result<(Radii<'a>, String)> {
    if let Some(r) = o.radius {
        return Ok((Radii::fixed(src.ra.len(), r), format!("fixed {r} arcsec")));
    }
    if !(a.err_k > 0.0 && a.min_radius >= 0.0 && a.max_radius >= a.min_radius) {
        bail!("--err-k must be > 0 and 0 ≤ --min-radius ≤ --max-radius");
    }
    if !src.has_err && cat_err.is_none() {
        tracing::warn!(
            "no position errors in {} nor in the catalogue: every radius is --min-radius = {}″ (give --radius, --err-col or --cat-err-col)",
            src.path.display(),
            a.min_radius
        );
    }
    let src_err: &[f64] = &src.err;
    Ok((
        Radii::from_errors(ErrorRule {
            k: a.err_k,
            min: a.min_radius,
            max: a.max_radius,
            src_err,
            cat_err,
        }),
        rule_text(a),
    ))
}

fn rule_text(a: &Args) -> String {
    format!(
        "clamp({} x sqrt(err_src^2 + err_cat^2), {}, {}) arcsec",
        a.err_k, a.min_radius, a.max_radius
    )
}

fn match_catalogue(a: &Args, src: &Sources, path: &Path, o: &CatOpts) -> Result<CatResult> {
    let table = table_in::read_table(path, &TableOptions { hdu: o.hdu.clone() })?;
    let (ra, dec) = table.positions(o.ra.as_deref(), o.dec.as_deref())?;
    let err = match table.pick_optional(o.err.as_deref(), table_in::ERR_NAMES) {
        Some(i) => Some(table.numbers(i, "a position error in arcsec")?),
        None if o.err.is_some() => {
            table.pick(o.err.as_deref(), &[], "position error", "--cat-err-col")?;
            None
        }
        None => None,
    };
    let copy = o
        .columns
        .iter()
        .map(|c| table.pick(Some(c), &[], "requested by --columns", "--columns"))
        .collect::<Result<Vec<_>, _>>()?;
    let (radii, radius_rule) = radii(a, src, o, err.as_deref())?;
    let index = SkyIndex::new(&ra, &dec, radii.max_query());
    let pairs = xm::match_all(&src.ra, &src.dec, &radii, &index);
    let chance = if a.no_mc {
        None
    } else {
        let grid = xm::offset_grid(a.mc_offsets, a.mc_step).with_context(|| {
            format!(
                "--mc-offsets {} --mc-step {}: expected an even grid size ≥ 2 and a positive step",
                a.mc_offsets, a.mc_step
            )
        })?;
        Some(xm::chance_matches(&src.ra, &src.dec, &radii, &index, &grid))
    };
    let summary = xm::summarize(&pairs, src.ra.len(), chance.as_ref());
    let query = (0..radii.len()).map(|i| radii.query(i)).collect();
    Ok(CatResult {
        path: path.into(),
        prefix: o.prefix.clone(),
        table,
        ra,
        dec,
        copy,
        radius_rule,
        query,
        pairs,
        chance,
        summary,
    })
}

/// Catalogue column `col` at `rows` (None: no counterpart → NaN or empty).
fn copied(c: &ExtColumn, rows: &[Option<usize>]) -> OutData {
    match c {
        ExtColumn::F64(v) => {
            OutData::F64(rows.iter().map(|r| r.map_or(f64::NAN, |r| v[r])).collect())
        }
        ExtColumn::Str(v) => OutData::Str(
            rows.iter()
                .map(|r| r.map_or(String::new(), |r| v[r].clone()))
                .collect(),
        ),
    }
}

fn copied_columns(c: &CatResult, rows: &[Option<usize>], out: &mut Vec<OutColumn>) {
    for &k in &c.copy {
        let name = &c.table.names[k];
        out.push(OutColumn::new(
            &format!("{}_{}", c.prefix, name),
            "",
            &format!("{name} of the counterpart in {}", file_name(&c.path)),
            copied(&c.table.columns[k], rows),
        ));
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The standard coordinates (ξ ≈ ΔRA cos δ, η ≈ ΔDec, arcsec) of a counterpart about its source.
fn offsets(src: &Sources, c: &CatResult, p: &Pair) -> (f64, f64) {
    let (i, j) = (p.source as usize, p.cat as usize);
    tangent_offset(src.ra[i], src.dec[i], c.ra[j], c.dec[j]).unwrap_or((f64::NAN, f64::NAN))
}

fn source_columns(src: &Sources, rows: &[usize], out: &mut Vec<OutColumn>) {
    let f = |v: &[f64]| OutData::F64(rows.iter().map(|&i| v[i]).collect());
    out.push(OutColumn::new(
        "SRC_ROW",
        "",
        "row of the source in the sources table (1 = first)",
        OutData::I64(rows.iter().map(|&i| i as i64 + 1).collect()),
    ));
    out.push(OutColumn::new(
        "SRC_ID",
        "",
        "identifier of the source (its row when the table has none)",
        OutData::Str(rows.iter().map(|&i| src.ids[i].clone()).collect()),
    ));
    out.push(OutColumn::new(
        "SRC_RA",
        "deg",
        "right ascension of the source",
        f(&src.ra),
    ));
    out.push(OutColumn::new(
        "SRC_DEC",
        "deg",
        "declination of the source",
        f(&src.dec),
    ));
}

/// The rows of `matches`: every pair of every catalogue.
fn matches_table(src: &Sources, cats: &[CatResult]) -> Vec<OutColumn> {
    let all: Vec<(usize, &Pair)> = cats
        .iter()
        .enumerate()
        .flat_map(|(k, c)| c.pairs.iter().map(move |p| (k, p)))
        .collect();
    let mut out = Vec::new();
    let rows: Vec<usize> = all.iter().map(|(_, p)| p.source as usize).collect();
    source_columns(src, &rows, &mut out);
    let off: Vec<(f64, f64)> = all
        .iter()
        .map(|&(k, p)| offsets(src, &cats[k], p))
        .collect();
    let fv =
        |g: &dyn Fn(usize, &Pair) -> f64| OutData::F64(all.iter().map(|&(k, p)| g(k, p)).collect());
    let iv =
        |g: &dyn Fn(usize, &Pair) -> i64| OutData::I64(all.iter().map(|&(k, p)| g(k, p)).collect());
    out.push(OutColumn::new(
        "CATALOG",
        "",
        "prefix of the catalogue",
        OutData::Str(all.iter().map(|&(k, _)| cats[k].prefix.clone()).collect()),
    ));
    out.push(OutColumn::new(
        "CAT_ROW",
        "",
        "row of the counterpart in its catalogue (1 = first)",
        iv(&|_, p| p.cat as i64 + 1),
    ));
    out.push(OutColumn::new(
        "CAT_RA",
        "deg",
        "right ascension of the counterpart",
        fv(&|k, p| cats[k].ra[p.cat as usize]),
    ));
    out.push(OutColumn::new(
        "CAT_DEC",
        "deg",
        "declination of the counterpart",
        fv(&|k, p| cats[k].dec[p.cat as usize]),
    ));
    out.push(OutColumn::new(
        "SEP",
        "arcsec",
        "angular separation of source and counterpart",
        fv(&|_, p| p.sep),
    ));
    out.push(OutColumn::new(
        "DRA_COSD",
        "arcsec",
        "offset of the counterpart east of the source (xi, = dRA cos Dec)",
        OutData::F64(off.iter().map(|o| o.0).collect()),
    ));
    out.push(OutColumn::new(
        "DDEC",
        "arcsec",
        "offset of the counterpart north of the source (eta, = dDec)",
        OutData::F64(off.iter().map(|o| o.1).collect()),
    ));
    out.push(OutColumn::new(
        "RADIUS",
        "arcsec",
        "match radius of this pair",
        fv(&|_, p| p.radius),
    ));
    out.push(OutColumn::new(
        "RANK",
        "",
        "rank of the counterpart by separation (1 = nearest)",
        iv(&|_, p| p.rank as i64),
    ));
    for (k, c) in cats.iter().enumerate() {
        let rows: Vec<Option<usize>> = all
            .iter()
            .map(|&(kk, p)| (kk == k).then_some(p.cat as usize))
            .collect();
        copied_columns(c, &rows, &mut out);
    }
    out
}

/// One row per source: the nearest counterpart in each catalogue.
fn nearest_table(src: &Sources, cats: &[CatResult]) -> Vec<OutColumn> {
    let n = src.ra.len();
    let mut out = Vec::new();
    source_columns(src, &(0..n).collect::<Vec<_>>(), &mut out);
    for c in cats {
        let (best, count) = xm::nearest(&c.pairs, n);
        let p = &c.prefix;
        let off: Vec<(f64, f64)> = best
            .iter()
            .map(|b| b.map_or((f64::NAN, f64::NAN), |b| offsets(src, c, &b)))
            .collect();
        let f = |g: &dyn Fn(&Pair) -> f64| {
            OutData::F64(
                best.iter()
                    .map(|b| b.as_ref().map_or(f64::NAN, g))
                    .collect(),
            )
        };
        let (exp, pch) = match &c.chance {
            Some(m) => (m.expected.clone(), m.p_chance.clone()),
            None => (vec![f64::NAN; n], vec![f64::NAN; n]),
        };
        let name = file_name(&c.path);
        out.push(OutColumn::new(
            &format!("{p}_N"),
            "",
            &format!("number of counterparts in {name}"),
            OutData::I64(count.iter().map(|&k| k as i64).collect()),
        ));
        out.push(OutColumn::new(
            &format!("{p}_ROW"),
            "",
            "row of the nearest counterpart (1 = first; 0 = none)",
            OutData::I64(
                best.iter()
                    .map(|b| b.map_or(0, |b| b.cat as i64 + 1))
                    .collect(),
            ),
        ));
        out.push(OutColumn::new(
            &format!("{p}_SEP"),
            "arcsec",
            "separation of the nearest counterpart (NaN: none)",
            f(&|b| b.sep),
        ));
        out.push(OutColumn::new(
            &format!("{p}_DRA_COSD"),
            "arcsec",
            "offset of the nearest counterpart east (xi, = dRA cos Dec)",
            OutData::F64(off.iter().map(|o| o.0).collect()),
        ));
        out.push(OutColumn::new(
            &format!("{p}_DDEC"),
            "arcsec",
            "offset of the nearest counterpart north (eta, = dDec)",
            OutData::F64(off.iter().map(|o| o.1).collect()),
        ));
        out.push(OutColumn::new(
            &format!("{p}_RADIUS"),
            "arcsec",
            "largest match radius of the source",
            OutData::F64(c.query.clone()),
        ));
        out.push(OutColumn::new(
            &format!("{p}_EXPECTED"),
            "",
            "expected number of chance counterparts (mean over the shifted positions)",
            OutData::F64(exp),
        ));
        out.push(OutColumn::new(
            &format!("{p}_P_CHANCE"),
            "",
            "fraction of shifted positions with >= 1 counterpart",
            OutData::F64(pch),
        ));
        let rows: Vec<Option<usize>> = best.iter().map(|b| b.map(|b| b.cat as usize)).collect();
        copied_columns(c, &rows, &mut out);
    }
    out
}

/// DATE of the outputs: SOURCE_DATE_EPOCH when set, else now.
fn creation_date() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    exod_io::context::iso_from_unix(secs)
}

fn meta(a: &Args, cats: &[CatResult]) -> OutMeta {
    let date = creation_date();
    let command: Vec<String> = std::env::args().collect();
    let mut keys: Vec<(String, KeyValue, String)> = vec![
        (
            "CREATOR".into(),
            format!("exod {}", env!("CARGO_PKG_VERSION")).into(),
            "program that made the file".into(),
        ),
        (
            "DATE".into(),
            date.clone().into(),
            "file creation (UTC) or SOURCE_DATE_EPOCH".into(),
        ),
        (
            "COMMAND".into(),
            command.join(" ").into(),
            "command line".into(),
        ),
        (
            "SOURCES".into(),
            file_name(&a.sources).into(),
            "the sources matched".into(),
        ),
    ];
    for (k, c) in cats.iter().enumerate() {
        keys.push((
            format!("CAT{}", k + 1),
            file_name(&c.path).into(),
            format!("catalogue of prefix {}", c.prefix),
        ));
        keys.push((
            format!("RULE{}", k + 1),
            c.radius_rule.clone().into(),
            "match radius".into(),
        ));
    }
    if !a.no_mc {
        keys.push((
            "MCGRID".into(),
            (a.mc_offsets as i64).into(),
            "Monte Carlo: n x n source offsets".into(),
        ));
        keys.push((
            "MCSTEP".into(),
            a.mc_step.into(),
            "Monte Carlo grid step (arcsec)".into(),
        ));
    }
    OutMeta { keys, date }
}

fn summary_json(a: &Args, src: &Sources, cats: &[CatResult]) -> serde_json::Value {
    let per: Vec<serde_json::Value> = cats
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c.summary).expect("plain numbers");
            v["catalogue"] = c.path.display().to_string().into();
            v["prefix"] = c.prefix.clone().into();
            v["n_rows"] = c.ra.len().into();
            v["radius"] = c.radius_rule.clone().into();
            v["mc_offsets"] = c.chance.as_ref().map_or(0, |m| m.offsets.len()).into();
            v["mc_step_arcsec"] = a.mc_step.into();
            v
        })
        .collect();
    serde_json::json!({
        "sources": src.path.display().to_string(),
        "n_sources": src.ra.len(),
        "catalogues": per,
        "exod": env!("CARGO_PKG_VERSION"),
    })
}

fn write_outputs(dir: &Path, a: &Args, src: &Sources, cats: &[CatResult]) -> Result<()> {
    let m = meta(a, cats);
    let matches = matches_table(src, cats);
    table_out::write_fits(&dir.join("matches.fits"), "MATCHES", &matches, &m)?;
    table_out::write_ecsv(&dir.join("matches.ecsv"), &matches, &m)?;
    let nearest = nearest_table(src, cats);
    table_out::write_fits(&dir.join("nearest.fits"), "NEAREST", &nearest, &m)?;
    table_out::write_ecsv(&dir.join("nearest.ecsv"), &nearest, &m)?;
    let json = serde_json::to_string_pretty(&summary_json(a, src, cats))?;
    let p = dir.join("summary.json");
    std::fs::write(&p, json + "\n").with_context(|| format!("{}: cannot write", p.display()))?;
    Ok(())
}

/// A table like the paper's Table 5.
fn print_table(cats: &[CatResult]) {
    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>18} {:>9} {:>11}",
        "catalogue", "sources", "matched", "pairs", "chance (shifted)", "≈ real", "corrected"
    );
    for c in cats {
        let s = &c.summary;
        let chance = if s.expected_spurious.is_nan() {
            "-".to_string()
        } else {
            format!(
                "{:.1} ± {:.1}",
                s.expected_spurious, s.expected_spurious_std
            )
        };
        println!(
            "{:<28} {:>8} {:>8} {:>8} {:>18} {:>9.1} {:>11.1}",
            c.prefix,
            s.n_sources,
            s.n_with_match,
            s.n_pairs,
            chance,
            s.real_estimate,
            s.real_estimate_corrected
        );
    }
}

pub fn run(a: Args) -> Result<()> {
    let t = std::time::Instant::now();
    let opts = cat_opts(&a)?;
    let src = read_sources(&a)?;
    let mut cats = Vec::with_capacity(opts.len());
    for (path, o) in a.catalogs.iter().zip(&opts) {
        cats.push(match_catalogue(&a, &src, path, o)?);
    }
    let stage = crate::staging::Staged::begin(&a.out, a.overwrite)?;
    write_outputs(stage.path(), &a, &src, &cats)
        .with_context(|| format!("writing the cross-match into {}", a.out.display()))?;
    stage.commit()?;
    print_table(&cats);
    println!("{}  ({:.2} s)", a.out.display(), t.elapsed().as_secs_f64());
    Ok(())
}
