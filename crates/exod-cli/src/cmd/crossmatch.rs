//! `exod crossmatch SOURCES CATALOG... --out DIR`: the counterparts of sources in external
//! catalogues and the expected number of chance matches (paper §3.3, Table 5), with
//! [`exod_core::crossmatch`] on tables read by [`exod_io::table_in`], written with
//! [`exod_io::table`].
//!
//! Writes `matches.fits`/`.ecsv` (every pair), `nearest.fits`/`.ecsv` (one row per source) and
//! `summary.json` into DIR, through a staging folder: DIR holds either complete outputs or none.
//! Another command writes the same files into a folder of its own with [`crossmatch_into`]
//! (e.g. `crossmatch/` inside its staged output), with [`CrossmatchOptions`] (whose
//! `Default` is `exod crossmatch` without options).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use exod_core::crossmatch::{self as xm, ChanceMatches, ErrorRule, Pair, Radii, Summary};
use exod_core::sky::{tangent_offset, SkyIndex};
use exod_io::context::KeyValue;
use exod_io::table::{self, ColumnData, Table};
use exod_io::table_in::{self, ExtColumn, ExtTable, TableOptions};

/// Arguments of `exod crossmatch`.
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
    /// How to match.
    #[command(flatten)]
    pub options: CrossmatchOptions,
}

impl From<Args> for CrossmatchOptions {
    fn from(a: Args) -> CrossmatchOptions {
        a.options
    }
}

/// How to cross-match: the options of `exod crossmatch` (its flags), for [`crossmatch_into`].
/// Catalogue options (`cat_*`, `radius`, `columns`, `prefix`) hold no value (the default), one
/// (for every catalogue) or one per catalogue, in the order of the catalogues. `Default` is
/// `exod crossmatch` without options: columns found by name, radii from the position errors,
/// the paper's 10 × 10 Monte Carlo grid of 3′ steps, prefixes from the file names.
#[derive(clap::Args, Debug, Clone, PartialEq)]
pub struct CrossmatchOptions {
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

impl Default for CrossmatchOptions {
    fn default() -> CrossmatchOptions {
        CrossmatchOptions {
            hdu: None,
            ra_col: None,
            dec_col: None,
            err_col: None,
            id_col: None,
            cat_hdu: Vec::new(),
            cat_ra_col: Vec::new(),
            cat_dec_col: Vec::new(),
            cat_err_col: Vec::new(),
            radius: Vec::new(),
            columns: Vec::new(),
            prefix: Vec::new(),
            err_k: xm::DEFAULT_K,
            min_radius: xm::DEFAULT_MIN_RADIUS,
            max_radius: xm::DEFAULT_MAX_RADIUS,
            mc_offsets: xm::DEFAULT_GRID,
            mc_step: xm::DEFAULT_STEP_ARCSEC,
            no_mc: false,
        }
    }
}

impl CrossmatchOptions {
    /// The prefix of the output columns of each of `catalogs` (checking the catalogue options
    /// against their number, and that the prefixes differ).
    pub fn prefixes(&self, catalogs: &[PathBuf]) -> Result<Vec<String>> {
        Ok(cat_opts(self, catalogs)?
            .into_iter()
            .map(|o| o.prefix)
            .collect())
    }
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

fn read_sources(path: &Path, a: &CrossmatchOptions) -> Result<Sources> {
    let opts = TableOptions { hdu: a.hdu.clone() };
    let t = table_in::read_table(path, &opts)?;
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
        path: path.into(),
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

fn cat_opts(a: &CrossmatchOptions, catalogs: &[PathBuf]) -> Result<Vec<CatOpts>> {
    let n = catalogs.len();
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
            .unwrap_or_else(|| default_prefix(&catalogs[k]));
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
    a: &CrossmatchOptions,
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

fn rule_text(a: &CrossmatchOptions) -> String {
    format!(
        "clamp({} x sqrt(err_src^2 + err_cat^2), {}, {}) arcsec",
        a.err_k, a.min_radius, a.max_radius
    )
}

fn match_catalogue(
    a: &CrossmatchOptions,
    src: &Sources,
    path: &Path,
    o: &CatOpts,
) -> Result<CatResult> {
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
fn copied(c: &ExtColumn, rows: &[Option<usize>]) -> ColumnData {
    match c {
        ExtColumn::F64(v) => {
            ColumnData::F64(rows.iter().map(|r| r.map_or(f64::NAN, |r| v[r])).collect())
        }
        ExtColumn::Str(v) => ColumnData::Str(
            rows.iter()
                .map(|r| r.map_or(String::new(), |r| v[r].clone()))
                .collect(),
        ),
    }
}

/// The `--columns` of catalogue `c` at its `rows` (None: no counterpart).
fn copied_columns(c: &CatResult, rows: &[Option<usize>], t: &mut Table) {
    for &k in &c.copy {
        let name = &c.table.names[k];
        t.push(
            &format!("{}_{}", c.prefix, name),
            "",
            &format!("{name} of the counterpart in {}", file_name(&c.path)),
            copied(&c.table.columns[k], rows),
        );
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

/// The first columns of both tables: the source of each row (`rows`: source indices).
fn source_columns(src: &Sources, rows: &[usize], t: &mut Table) {
    let f = |v: &[f64]| rows.iter().map(|&i| v[i]).collect();
    t.i64(
        "SRC_ROW",
        "",
        "row of the source in the sources table (1 = first)",
        rows.iter().map(|&i| i as i64 + 1).collect(),
    );
    t.str(
        "SRC_ID",
        "identifier of the source (its row when the table has none)",
        rows.iter().map(|&i| src.ids[i].clone()).collect(),
    );
    t.f64("SRC_RA", "deg", "right ascension of the source", f(&src.ra));
    t.f64("SRC_DEC", "deg", "declination of the source", f(&src.dec));
}

/// Every pair of every catalogue with the index of its catalogue: the rows of `matches`.
fn all_pairs(cats: &[CatResult]) -> Vec<(usize, &Pair)> {
    cats.iter()
        .enumerate()
        .flat_map(|(k, c)| c.pairs.iter().map(move |p| (k, p)))
        .collect()
}

/// `matches`: which counterpart each pair is (catalogue, row, position).
fn pair_columns(cats: &[CatResult], all: &[(usize, &Pair)], t: &mut Table) {
    t.str(
        "CATALOG",
        "prefix of the catalogue",
        all.iter().map(|&(k, _)| cats[k].prefix.clone()).collect(),
    );
    t.i64(
        "CAT_ROW",
        "",
        "row of the counterpart in its catalogue (1 = first)",
        all.iter().map(|&(_, p)| p.cat as i64 + 1).collect(),
    );
    t.f64(
        "CAT_RA",
        "deg",
        "right ascension of the counterpart",
        all.iter()
            .map(|&(k, p)| cats[k].ra[p.cat as usize])
            .collect(),
    );
    t.f64(
        "CAT_DEC",
        "deg",
        "declination of the counterpart",
        all.iter()
            .map(|&(k, p)| cats[k].dec[p.cat as usize])
            .collect(),
    );
}

/// `matches`: where the counterpart of each pair lies (separation, offsets, radius, rank).
fn geometry_columns(src: &Sources, cats: &[CatResult], all: &[(usize, &Pair)], t: &mut Table) {
    let off: Vec<(f64, f64)> = all
        .iter()
        .map(|&(k, p)| offsets(src, &cats[k], p))
        .collect();
    t.f64(
        "SEP",
        "arcsec",
        "angular separation of source and counterpart",
        all.iter().map(|&(_, p)| p.sep).collect(),
    );
    t.f64(
        "DRA_COSD",
        "arcsec",
        "offset of the counterpart east of the source (xi, = dRA cos Dec)",
        off.iter().map(|o| o.0).collect(),
    );
    t.f64(
        "DDEC",
        "arcsec",
        "offset of the counterpart north of the source (eta, = dDec)",
        off.iter().map(|o| o.1).collect(),
    );
    t.f64(
        "RADIUS",
        "arcsec",
        "match radius of this pair",
        all.iter().map(|&(_, p)| p.radius).collect(),
    );
    t.i64(
        "RANK",
        "",
        "rank of the counterpart by separation (1 = nearest)",
        all.iter().map(|&(_, p)| p.rank as i64).collect(),
    );
}

/// The table `MATCHES`: every pair of every catalogue, then each catalogue's `--columns`
/// (empty on the rows of the other catalogues).
fn matches_table(src: &Sources, cats: &[CatResult]) -> Table {
    let all = all_pairs(cats);
    let mut t = Table::new("MATCHES");
    let rows: Vec<usize> = all.iter().map(|(_, p)| p.source as usize).collect();
    source_columns(src, &rows, &mut t);
    pair_columns(cats, &all, &mut t);
    geometry_columns(src, cats, &all, &mut t);
    for (k, c) in cats.iter().enumerate() {
        let rows: Vec<Option<usize>> = all
            .iter()
            .map(|&(kk, p)| (kk == k).then_some(p.cat as usize))
            .collect();
        copied_columns(c, &rows, &mut t);
    }
    t
}

/// `nearest`: the counterparts of each source in catalogue `c` (`best`: the nearest one,
/// `count`: how many).
fn nearest_columns(
    src: &Sources,
    c: &CatResult,
    best: &[Option<Pair>],
    count: &[u32],
    t: &mut Table,
) {
    let p = &c.prefix;
    let off: Vec<(f64, f64)> = best
        .iter()
        .map(|b| b.map_or((f64::NAN, f64::NAN), |b| offsets(src, c, &b)))
        .collect();
    t.i64(
        &format!("{p}_N"),
        "",
        &format!("number of counterparts in {}", file_name(&c.path)),
        count.iter().map(|&k| k as i64).collect(),
    );
    t.i64(
        &format!("{p}_ROW"),
        "",
        "row of the nearest counterpart (1 = first; 0 = none)",
        best.iter()
            .map(|b| b.map_or(0, |b| b.cat as i64 + 1))
            .collect(),
    );
    t.f64(
        &format!("{p}_SEP"),
        "arcsec",
        "separation of the nearest counterpart (NaN: none)",
        best.iter().map(|b| b.map_or(f64::NAN, |b| b.sep)).collect(),
    );
    t.f64(
        &format!("{p}_DRA_COSD"),
        "arcsec",
        "offset of the nearest counterpart east (xi, = dRA cos Dec)",
        off.iter().map(|o| o.0).collect(),
    );
    t.f64(
        &format!("{p}_DDEC"),
        "arcsec",
        "offset of the nearest counterpart north (eta, = dDec)",
        off.iter().map(|o| o.1).collect(),
    );
    t.f64(
        &format!("{p}_RADIUS"),
        "arcsec",
        "largest match radius of the source",
        c.query.clone(),
    );
}

/// `nearest`: the Monte Carlo's chance counterparts of each source in catalogue `c` (NaN
/// without Monte Carlo).
fn chance_columns(c: &CatResult, n: usize, t: &mut Table) {
    let p = &c.prefix;
    let (exp, pch) = match &c.chance {
        Some(m) => (m.expected.clone(), m.p_chance.clone()),
        None => (vec![f64::NAN; n], vec![f64::NAN; n]),
    };
    t.f64(
        &format!("{p}_EXPECTED"),
        "",
        "expected number of chance counterparts (mean over the shifted positions)",
        exp,
    );
    t.f64(
        &format!("{p}_P_CHANCE"),
        "",
        "fraction of shifted positions with >= 1 counterpart",
        pch,
    );
}

/// The table `NEAREST`: one row per source, then per catalogue its nearest counterpart, the
/// chance counterparts and the `--columns` of the nearest.
fn nearest_table(src: &Sources, cats: &[CatResult]) -> Table {
    let n = src.ra.len();
    let mut t = Table::new("NEAREST");
    source_columns(src, &(0..n).collect::<Vec<_>>(), &mut t);
    for c in cats {
        let (best, count) = xm::nearest(&c.pairs, n);
        nearest_columns(src, c, &best, &count, &mut t);
        chance_columns(c, n, &mut t);
        let rows: Vec<Option<usize>> = best.iter().map(|b| b.map(|b| b.cat as usize)).collect();
        copied_columns(c, &rows, &mut t);
    }
    t
}

/// The keywords of every HDU (and the ECSV `meta`): provenance, the inputs, the radius rules
/// and the Monte Carlo grid.
fn keywords(
    date: &str,
    a: &CrossmatchOptions,
    src: &Sources,
    cats: &[CatResult],
) -> Vec<(String, KeyValue, String)> {
    let command: Vec<String> = std::env::args().collect();
    let mut keys = table::provenance(date, &command.join(" "));
    let mut key = |k: String, v: KeyValue, c: String| keys.push((k, v, c));
    key(
        "SOURCES".into(),
        file_name(&src.path).into(),
        "the sources matched".into(),
    );
    for (k, c) in cats.iter().enumerate() {
        key(
            format!("CAT{}", k + 1),
            file_name(&c.path).into(),
            format!("catalogue of prefix {}", c.prefix),
        );
        key(
            format!("RULE{}", k + 1),
            c.radius_rule.clone().into(),
            "match radius".into(),
        );
    }
    if !a.no_mc {
        key(
            "MCGRID".into(),
            a.mc_offsets.into(),
            "Monte Carlo: n x n source offsets".into(),
        );
        key(
            "MCSTEP".into(),
            a.mc_step.into(),
            "Monte Carlo grid step (arcsec)".into(),
        );
    }
    keys
}

fn summary_json(a: &CrossmatchOptions, src: &Sources, cats: &[CatResult]) -> serde_json::Value {
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

fn write_outputs(
    dir: &Path,
    a: &CrossmatchOptions,
    src: &Sources,
    cats: &[CatResult],
) -> Result<()> {
    let date = exod_io::context::creation_date();
    let keys = keywords(&date, a, src, cats);
    for (t, name) in [
        (matches_table(src, cats), "matches"),
        (nearest_table(src, cats), "nearest"),
    ] {
        table::write_fits(&dir.join(format!("{name}.fits")), &[&t], &keys, &date)?;
        table::write_ecsv(&dir.join(format!("{name}.ecsv")), &t, &keys)?;
    }
    let json = serde_json::to_string_pretty(&summary_json(a, src, cats))?;
    let p = dir.join("summary.json");
    std::fs::write(&p, json + "\n").with_context(|| format!("{}: cannot write", p.display()))?;
    Ok(())
}

/// A table like the paper's Table 5: one line per catalogue (`prefixes`, `summaries`).
fn print_table(prefixes: &[String], summaries: &[Summary]) {
    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>18} {:>9} {:>11}",
        "catalogue", "sources", "matched", "pairs", "chance (shifted)", "≈ real", "corrected"
    );
    for (prefix, s) in prefixes.iter().zip(summaries) {
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
            prefix,
            s.n_sources,
            s.n_with_match,
            s.n_pairs,
            chance,
            s.real_estimate,
            s.real_estimate_corrected
        );
    }
}

/// Cross-match `sources` against each of `catalogs` with `opts`, and write `matches.fits`/
/// `.ecsv`, `nearest.fits`/`.ecsv` and `summary.json` directly into the existing folder
/// `out_dir` (no staging: a caller that wants all-or-nothing outputs stages `out_dir` itself,
/// as [`run`] does). Returns the numbers of the paper's Table 5 for each catalogue, in order.
pub fn crossmatch_into(
    sources: &Path,
    catalogs: &[PathBuf],
    opts: &CrossmatchOptions,
    out_dir: &Path,
) -> Result<Vec<Summary>> {
    if !out_dir.is_dir() {
        bail!(
            "{}: not a folder (the cross-match is written into an existing folder)",
            out_dir.display()
        );
    }
    let per = cat_opts(opts, catalogs)?;
    let src = read_sources(sources, opts)?;
    let mut cats = Vec::with_capacity(per.len());
    for (path, o) in catalogs.iter().zip(&per) {
        cats.push(match_catalogue(opts, &src, path, o)?);
    }
    write_outputs(out_dir, opts, &src, &cats)
        .with_context(|| format!("writing the cross-match into {}", out_dir.display()))?;
    Ok(cats.iter().map(|c| c.summary).collect())
}

pub fn run(a: Args) -> Result<()> {
    let t = std::time::Instant::now();
    let prefixes = a.options.prefixes(&a.catalogs)?;
    let stage = crate::staging::Staged::begin(&a.out, a.overwrite)?;
    let summaries = crossmatch_into(&a.sources, &a.catalogs, &a.options, stage.path())?;
    stage.commit()?;
    print_table(&prefixes, &summaries);
    println!("{}  ({:.2} s)", a.out.display(), t.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        options: CrossmatchOptions,
    }

    #[test]
    fn default_options_are_those_of_no_flags() {
        let cli = Cli::parse_from(["exod-crossmatch"]);
        assert_eq!(cli.options, CrossmatchOptions::default());
    }

    #[test]
    fn crossmatch_into_writes_into_an_existing_folder() {
        let s = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/real/xga_0201901401/0201901401_XGA_sources_radec.csv");
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("crossmatch");
        let o = CrossmatchOptions {
            prefix: vec!["XGA".into()],
            no_mc: true,
            ..CrossmatchOptions::default()
        };
        let cats = [s.clone()];
        assert!(
            crossmatch_into(&s, &cats, &o, &out).is_err(),
            "no folder yet"
        );
        std::fs::create_dir(&out).unwrap();
        let sums = crossmatch_into(&s, &cats, &o, &out).unwrap();
        assert_eq!(sums.len(), 1);
        assert_eq!((sums[0].n_sources, sums[0].n_with_match), (16, 16));
        assert!(sums[0].expected_spurious.is_nan(), "no Monte Carlo");
        for f in [
            "matches.fits",
            "matches.ecsv",
            "nearest.fits",
            "nearest.ecsv",
            "summary.json",
        ] {
            assert!(out.join(f).is_file(), "{f}");
        }
    }

    #[test]
    fn prefixes_come_from_file_names_or_prefix() {
        let cats = [
            PathBuf::from("dir/xmmatlas_srclistnew_Legacy.fits.gz"),
            PathBuf::from("4xmm-dr13.csv"),
        ];
        let o = CrossmatchOptions::default();
        assert_eq!(
            o.prefixes(&cats).unwrap(),
            ["XMMATLAS_SRCLISTNEW_LEGACY", "C4XMM_DR13"]
        );
        let same = CrossmatchOptions {
            prefix: vec!["X".into()],
            ..CrossmatchOptions::default()
        };
        assert!(same.prefixes(&cats).is_err(), "two catalogues called X");
    }
}
