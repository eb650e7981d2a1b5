//! `exod catalog`: every detection of many searches merged into one detection table and a table
//! of unique sources, with the quality flags of paper Table 1, hot areas found in the data
//! (§2.7.2), names, light curves, regions and maps (paper §3; files in
//! [`exod_io::catalog_out`]).

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use exod_core::catalog::problematic::ProblematicList;
use exod_core::catalog::{build, CatDetection, Catalog, CatalogParams};
use exod_core::search::LightCurve;
use exod_io::context::KeyValue;
use exod_io::detections_in::{find_detection_files, read_run};

#[derive(clap::Args)]
pub struct Args {
    /// Outputs of `exod batch` (folders, searched recursively for detections.fits; shards of one
    /// archive can be given together) or detections.fits files of `exod detect`.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output directory (written as a whole through a staging folder).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace a non-empty output directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Keep only detections with SIGMA ≥ this (e.g. 5 for the paper's 5σ catalogue).
    #[arg(long, default_value_t = 0.0)]
    pub min_sigma: f64,
    /// Linking length of unique sources (arcsec): detections closer than this are one source.
    #[arg(long, default_value_t = 20.0)]
    pub link: f64,
    /// Link also within this many combined position errors…
    #[arg(long, default_value_t = 3.0)]
    pub link_nsigma: f64,
    /// …up to this separation (arcsec).
    #[arg(long, default_value_t = 40.0)]
    pub link_max: f64,
    /// A hot area needs detections from at least this many observations.
    #[arg(long, default_value_t = 4)]
    pub hot_min_obs: usize,
    /// …and a chance probability below this for sky sources.
    #[arg(long, default_value_t = 1e-3)]
    pub hot_p: f64,
    /// Observations with more detections than this are flagged crowded.
    #[arg(long, default_value_t = 20)]
    pub crowded_above: usize,
    /// Problematic observations (text: `obsid category [comment]`); default: the shipped list.
    #[arg(long)]
    pub problematic: Option<PathBuf>,
    /// Do not write the Parquet tables.
    #[arg(long)]
    pub no_parquet: bool,
    /// Do not draw the sky map and the EPIC-frame map.
    #[arg(long)]
    pub no_plots: bool,
    /// Cross-match the unique sources with these catalogues (FITS, CSV/ECSV, VOTable) into
    /// `crossmatch/` of the output, as `exod crossmatch OUT/exod_sources.fits CATALOG…` would.
    #[arg(long = "match", value_name = "CATALOG")]
    pub match_catalogs: Vec<PathBuf>,
    /// Options of the cross-match (see `exod crossmatch --help`).
    #[command(flatten, next_help_heading = "Cross-match (--match)")]
    pub xmatch: super::crossmatch::CrossmatchOptions,
}

pub fn params(a: &Args) -> Result<CatalogParams> {
    let mut p = CatalogParams::default();
    p.link.link_arcsec = a.link;
    p.link.link_nsigma = a.link_nsigma;
    p.link.link_max_arcsec = a.link_max;
    p.hot.min_obs = a.hot_min_obs;
    p.hot.p_max = a.hot_p;
    p.crowded_above = a.crowded_above;
    if let Some(f) = &a.problematic {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("{}: cannot read the list", f.display()))?;
        p.problematic =
            ProblematicList::parse(&text).with_context(|| format!("{}", f.display()))?;
    }
    Ok(p)
}

/// The detections of every input with their light curves, and the files skipped with why.
pub struct Inputs {
    pub detections: Vec<CatDetection>,
    pub curves: HashMap<String, LightCurve>,
    pub files: Vec<PathBuf>,
    pub skipped: Vec<(PathBuf, String)>,
}

pub fn read_inputs(inputs: &[PathBuf], min_sigma: f64) -> Result<Inputs> {
    let files = find_detection_files(inputs)?;
    anyhow::ensure!(
        !files.is_empty(),
        "no detections.fits under {}",
        inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut out = Inputs {
        detections: Vec::new(),
        curves: HashMap::new(),
        files: Vec::new(),
        skipped: Vec::new(),
    };
    // DETIDs are unique across an archive: a file whose DETIDs were read already (the same run
    // copied elsewhere, or an unsharded and a sharded output given together) would count its
    // detections twice
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for f in files {
        match read_run(&f) {
            Ok(run) => {
                if let Some(first) = run.detections.iter().find_map(|d| seen.get(&d.detid)) {
                    let why = format!(
                        "{}: its DETIDs were already read from {} (not counted twice)",
                        f.display(),
                        first.display()
                    );
                    tracing::warn!("skipping {why}");
                    out.skipped.push((f, why));
                    continue;
                }
                seen.extend(run.detections.iter().map(|d| (d.detid.clone(), f.clone())));
                for (d, c) in run.detections.into_iter().zip(run.curves) {
                    if d.sigma >= min_sigma {
                        if let Some(c) = c {
                            out.curves.insert(d.detid.clone(), c);
                        }
                        out.detections.push(d);
                    }
                }
                out.files.push(f);
            }
            Err(e) => {
                tracing::warn!("skipping {e}");
                out.skipped.push((f, e.to_string()));
            }
        }
    }
    Ok(out)
}

/// Provenance (CREATOR, DATE, COMMAND) and the catalogue's parameters, for every table.
fn keywords(a: &Args, p: &CatalogParams, date: &str) -> Vec<(String, KeyValue, String)> {
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let kv = |k: &str, v: KeyValue, c: &str| (k.to_string(), v, c.to_string());
    let mut keys = exod_io::table::provenance(date, &command);
    keys.extend([
        kv(
            "RADESYS",
            "FK5".into(),
            "celestial frame of RA, Dec (that of the inputs)",
        ),
        kv(
            "LINK",
            p.link.link_arcsec.into(),
            "[arcsec] linking length of unique sources",
        ),
        kv(
            "LINKNSIG",
            p.link.link_nsigma.into(),
            "link within this many combined errors",
        ),
        kv(
            "LINKMAX",
            p.link.link_max_arcsec.into(),
            "[arcsec] largest linking length",
        ),
        kv(
            "HOTMINOB",
            (p.hot.min_obs as i64).into(),
            "observations a hot area needs",
        ),
        kv(
            "HOTPMAX",
            p.hot.p_max.into(),
            "chance probability below which an area is hot",
        ),
        kv(
            "CROWDED",
            (p.crowded_above as i64).into(),
            "crowded: more detections in the observation",
        ),
        kv(
            "MINSIGMA",
            a.min_sigma.into(),
            "detections kept have SIGMA >= MINSIGMA",
        ),
    ]);
    keys
}

pub fn run(a: Args) -> Result<()> {
    let p = params(&a)?;
    let t0 = std::time::Instant::now();
    let inputs = read_inputs(&a.inputs, a.min_sigma)?;
    let n_in = inputs.detections.len();
    let t_read = t0.elapsed().as_secs_f64();
    let cat = build(inputs.detections, &p);
    let t_build = t0.elapsed().as_secs_f64() - t_read;
    let curves: Vec<Option<&LightCurve>> = cat
        .detections
        .iter()
        .map(|d| inputs.curves.get(&d.det.detid))
        .collect();
    let stage = crate::staging::Staged::begin(&a.out, a.overwrite)?;
    let date = exod_io::context::creation_date();
    let prov = keywords(&a, &p, &date);
    let parquet = !a.no_parquet && cfg!(feature = "parquet");
    if !a.no_parquet && !parquet {
        tracing::info!("this exod is built without the `parquet` feature: no Parquet tables");
    }
    let mut written =
        exod_io::catalog_out::write_catalog(stage.path(), &cat, &curves, &prov, &date, parquet)?;
    if !a.no_plots {
        written.extend(draw(stage.path(), &cat)?);
    }
    if !a.match_catalogs.is_empty() {
        let dir = stage.path().join("crossmatch");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let srcs = stage.path().join("exod_sources.fits");
        super::crossmatch::crossmatch_into(&srcs, &a.match_catalogs, &a.xmatch, &dir)?;
    }
    let summary = summary_json(
        &a,
        &p,
        &cat,
        &inputs.files,
        &inputs.skipped,
        n_in,
        [t_read, t_build],
    );
    let js = stage.path().join("catalog.json");
    exod_io::fits::write_atomic(&js, |tmp| {
        std::fs::write(tmp, serde_json::to_string_pretty(&summary)?)
    })
    .with_context(|| format!("writing {}", js.display()))?;
    stage.commit()?;
    tracing::info!(
        "{} detections of {} files → {} unique sources, {} hot areas → {} ({:.2} s)",
        cat.detections.len(),
        inputs.files.len(),
        cat.sources.len(),
        cat.hot_areas.len(),
        a.out.display(),
        t0.elapsed().as_secs_f64()
    );
    print_table1(&cat);
    Ok(())
}

fn draw(out: &std::path::Path, cat: &Catalog) -> Result<Vec<PathBuf>> {
    use exod_plot::catalog::{epic_frame_png, sky_map_png, SkyPoint};
    let pts: Vec<SkyPoint> = cat
        .sources
        .iter()
        .map(|s| SkyPoint {
            ra: s.ra,
            dec: s.dec,
            n_detections: s.n_detections,
            flagged: !s.clean,
        })
        .collect();
    let sky = out.join("exod_sky_map.png");
    sky_map_png(
        &sky,
        &pts,
        &format!("exod unique sources ({})", cat.sources.len()),
    )?;
    let frame: Vec<(f64, f64, bool)> = cat
        .detections
        .iter()
        .filter_map(|d| d.epic_frame.map(|e| (e.0, e.1, d.flag_hot_area)))
        .collect();
    let areas = frame_areas(&cat.hot_areas);
    let hot = out.join("exod_hot_areas.png");
    epic_frame_png(
        &hot,
        &frame,
        &areas,
        960.0,
        "detections in the EPIC frame; hot areas in red",
    )?;
    Ok(vec![sky, hot])
}

/// The hot areas to circle on the EPIC-frame map: areas of several t_bins at one place (within
/// 30″) share one circle and one label.
fn frame_areas(hot: &[exod_core::catalog::hot::HotArea]) -> Vec<exod_plot::catalog::FrameArea> {
    let mut groups: Vec<Vec<&exod_core::catalog::hot::HotArea>> = Vec::new();
    for h in hot {
        match groups
            .iter_mut()
            .find(|g| (g[0].x_e - h.x_e).hypot(g[0].y_e - h.y_e) < 30.0)
        {
            Some(g) => g.push(h),
            None => groups.push(vec![h]),
        }
    }
    groups
        .iter()
        .map(|g| {
            let ids: Vec<String> = g.iter().map(|h| format!("H{}", h.id)).collect();
            let tbins: Vec<String> = g.iter().map(|h| format!("{}", h.tbin)).collect();
            let n_obs = g.iter().map(|h| h.n_obs).max().unwrap_or(0);
            exod_plot::catalog::FrameArea {
                x: g[0].x_e,
                y: g[0].y_e,
                radius: g.iter().map(|h| h.radius_arcsec).fold(10.0, f64::max),
                label: format!("{} ({} s; {n_obs} obs)", ids.join(","), tbins.join(", ")),
            }
        })
        .collect()
}

/// Paper Table 1 (flags), Table 2 (detections per band × t_bin) and Table 3 (unique sources per
/// band × t_bin), at the threshold of the inputs and at 5σ.
fn summary_json(
    a: &Args,
    p: &CatalogParams,
    cat: &Catalog,
    files: &[PathBuf],
    skipped: &[(PathBuf, String)],
    n_in: usize,
    t: [f64; 2],
) -> serde_json::Value {
    let mut runs: std::collections::BTreeMap<String, (usize, std::collections::BTreeSet<u32>)> =
        Default::default();
    for d in &cat.detections {
        let e = runs
            .entry(format!("{} keV, {} s", d.det.band, d.det.tbin))
            .or_default();
        e.0 += 1;
        e.1.insert(d.srcid);
    }
    serde_json::json!({
        "software": format!("exod {}", env!("CARGO_PKG_VERSION")),
        "command": std::env::args().collect::<Vec<_>>(),
        "parameters": p,
        "min_sigma": a.min_sigma,
        "inputs": files,
        "skipped_inputs": skipped.iter().map(|(f, e)| serde_json::json!({"file": f, "reason": e})).collect::<Vec<_>>(),
        "n_detections": n_in,
        "n_sources": cat.sources.len(),
        "n_hot_areas": cat.hot_areas.len(),
        "table1_flags": flag_counts(cat, 0.0),
        "table1_flags_5sigma": flag_counts(cat, 5.0),
        "per_run": runs.iter().map(|(k, v)| (k.clone(), serde_json::json!({"detections": v.0, "unique_sources": v.1.len()}))).collect::<serde_json::Map<_, _>>(),
        "timings_s": {"read": t[0], "build": t[1], "peak_rss_mb": super::peak_rss_mb()},
    })
}

fn flag_counts(cat: &Catalog, min_sigma: f64) -> serde_json::Value {
    let dets: Vec<_> = cat
        .detections
        .iter()
        .filter(|d| d.det.sigma >= min_sigma)
        .collect();
    let mut m = serde_json::Map::new();
    m.insert("detections".into(), dets.len().into());
    for (k, (name, _)) in exod_core::catalog::flags::DESCRIPTIONS.iter().enumerate() {
        m.insert(
            name.to_string(),
            dets.iter()
                .filter(|d| d.flags().as_array()[k])
                .count()
                .into(),
        );
    }
    m.insert(
        "no_flag".into(),
        dets.iter().filter(|d| !d.flags().any()).count().into(),
    );
    serde_json::Value::Object(m)
}

fn print_table1(cat: &Catalog) {
    let all = flag_counts(cat, 0.0);
    let five = flag_counts(cat, 5.0);
    println!("{:<14} {:>10} {:>10}", "flag", "all", "5 sigma");
    for k in [
        "detections",
        "isolated",
        "last_bin",
        "lt5_max",
        "crowded",
        "hot_area",
        "problematic",
        "no_flag",
    ] {
        let n = |v: &serde_json::Value| v[k].as_u64().unwrap_or(0);
        println!("{:<14} {:>10} {:>10}", k, n(&all), n(&five));
    }
    println!(
        "{} unique sources, {} hot areas",
        cat.sources.len(),
        cat.hot_areas.len()
    );
}
