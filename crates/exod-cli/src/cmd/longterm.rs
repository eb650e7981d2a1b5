//! `exod longterm INPUT... --out DIR`: the long-term variability of every source over all the
//! epochs its inputs give (STONKS, [`exod_core::longterm`]): the variability figure, the alerts
//! each epoch would have raised when it arrived, the short-term flag, and the long-term light
//! curve (flux or upper limit per epoch).
//!
//! Inputs, by what they are:
//!
//! * an `exod alert` archive folder (`DIR/archive/*.ecsv`);
//! * an `exod photometry` table (FITS or ECSV with `SOURCE`, `OBS_ID`, `COVERED`, `EP_8_CTS` …):
//!   one epoch per row, its EPIC band-8 flux or upper limit;
//! * a 4XMM-like catalogue of detections (FITS, CSV/ECSV, VOTable; e.g. 4XMM-DR14's detection
//!   table or an OBSMLI list): RA/Dec, `EP_8_FLUX` and `EP_8_FLUX_ERR` (erg cm⁻² s⁻¹), `OBS_ID`
//!   and the epoch as `MJD_START` (and `MJD_STOP`: the middle is used) or `MJD`; a column
//!   `EP_8_FLUX_UL` gives upper limits for rows whose `EP_8_FLUX` is empty (RapidXMM-like rows).
//!   Columns can be absent in an OBSMLI list: then `OBS_ID` and `MJD-OBS`/`MJD_OBS`… come from
//!   the file's header (`--obs-id`/`--mjd` override). A numeric `OBS_ID` column (CSV) is read back
//!   with its leading zeros (10 digits, XMM-Newton's form).
//!
//! Rows of all inputs are the same source when their positions match (within max(`--match`,
//! 3·√(σ₁² + σ₂²))); each source is named after its first position.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use exod_core::longterm::{history, EpochFlux, FluxState, LongTermParams, SourceHistory};
use exod_io::ecsv::{Column, Value};
use exod_io::table_in::{read_table, ExtTable};
use exod_plot::longterm::{longterm_png, LongTermPlot, LongTermPoint};

use super::alert::archive::{slug, ArchSource, Archive, EpochRow};
use super::alert::sources::DEFAULT_POS_ERR;

#[derive(clap::Args, Clone)]
pub struct Args {
    /// Inputs: alert archive folders, photometry tables, 4XMM-like catalogues.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output folder (`longterm.ecsv`, `longterm.json`, `lc/<source>.png`).
    #[arg(long)]
    pub out: PathBuf,
    /// Variability threshold of the alerts (STONKS: 5).
    #[arg(long, default_value_t = 5.0)]
    pub threshold: f64,
    /// Match radius floor (arcsec).
    #[arg(long, default_value = "10")]
    pub r#match: f64,
    /// OBS_ID of a catalogue without one (an OBSMLI list whose header has none).
    #[arg(long)]
    pub obs_id: Option<String>,
    /// MJD of a catalogue without one.
    #[arg(long)]
    pub mjd: Option<f64>,
    /// Do not draw the light curves.
    #[arg(long)]
    pub no_plots: bool,
    /// Replace a non-empty output folder.
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(a: Args) -> Result<()> {
    if !(a.threshold > 1.0) {
        bail!(
            "--threshold {}: expected a ratio > 1 (STONKS uses 5)",
            a.threshold
        );
    }
    let mut ar = Archive::default();
    for i in &a.inputs {
        add_input(&mut ar, i, &a).with_context(|| format!("{}: reading", i.display()))?;
    }
    let p = LongTermParams {
        threshold: a.threshold,
        ..LongTermParams::default()
    };
    let stage = crate::staging::Staged::begin(&a.out, a.overwrite)?;
    let mut rows = Vec::new();
    for s in &ar.sources {
        let epochs: Vec<EpochFlux> = ar.epochs_of(&s.id, "");
        // every source of an input is listed somewhere: its history has no "new source"
        let h = history(&epochs, true, &p);
        if !a.no_plots && h.n_covered >= 2 {
            let dir = stage.path().join("lc");
            std::fs::create_dir_all(&dir)?;
            plot(&dir.join(format!("{}.png", slug(&s.id))), s, &epochs, &h)?;
        }
        rows.push((s, epochs, h));
    }
    write_table(&stage.path().join("longterm.ecsv"), &rows, a.threshold)?;
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|(s, e, h)| serde_json::json!({"source": s.id, "ra": s.ra, "dec": s.dec, "epochs": e, "history": h}))
        .collect();
    std::fs::write(
        stage.path().join("longterm.json"),
        serde_json::to_string_pretty(&json)? + "\n",
    )?;
    stage.commit()?;
    let alerts: usize = rows.iter().map(|r| r.2.alerts.len()).sum();
    println!(
        "{} source(s), {} epoch(s), {alerts} alert(s) over their history → {}",
        rows.len(),
        ar.epochs.len(),
        a.out.display()
    );
    Ok(())
}

/// Add one input's sources and epochs.
fn add_input(ar: &mut Archive, path: &std::path::Path, a: &Args) -> Result<()> {
    if path.is_dir() {
        let other = Archive::load(path)?;
        if other.observations.is_empty() {
            bail!("not an exod alert archive (no archive/observations.ecsv)");
        }
        merge(ar, other.sources, other.epochs, a.r#match);
        return Ok(());
    }
    let t = read_table(path, &Default::default())?;
    if t.find("EP_8_CTS").is_some() && t.find("COVERED").is_some() {
        let phot = exod_io::photometry::read(path)?;
        let mut srcs = Vec::new();
        let mut eps = Vec::new();
        for p in &phot {
            let id = format!("{}@{}", p.source, srcs.len());
            srcs.push(source(
                &id,
                p.ra,
                p.dec,
                DEFAULT_POS_ERR,
                "photometry",
                &p.source,
            ));
            eps.push(super::alert::sources::epoch_row(
                &id,
                &p.obs_id,
                f64::NAN,
                p,
            ));
        }
        merge(ar, srcs, eps, a.r#match);
        return Ok(());
    }
    let (srcs, eps) = catalogue_epochs(&t, path, a)?;
    merge(ar, srcs, eps, a.r#match);
    Ok(())
}

fn source(id: &str, ra: f64, dec: f64, err: f64, origin: &str, label: &str) -> ArchSource {
    ArchSource {
        id: id.into(),
        ra,
        dec,
        pos_err: err,
        origin: origin.into(),
        first_obs: String::new(),
        label: label.into(),
    }
}

/// Merge sources (with provisional ids) and their epochs into the archive, matching positions.
fn merge(ar: &mut Archive, srcs: Vec<ArchSource>, mut eps: Vec<EpochRow>, floor: f64) {
    let mut map = std::collections::HashMap::new();
    for s in srcs {
        let tmp = s.id.clone();
        let (id, _) = super::alert::sources::add(
            ar,
            ArchSource {
                id: String::new(),
                ..s
            },
            floor,
        );
        map.insert(tmp, id);
    }
    for e in &mut eps {
        if let Some(id) = map.get(&e.source) {
            e.source = id.clone();
        }
    }
    ar.upsert(eps);
}

/// The epochs of a 4XMM-like catalogue (module docs).
fn catalogue_epochs(
    t: &ExtTable,
    path: &std::path::Path,
    a: &Args,
) -> Result<(Vec<ArchSource>, Vec<EpochRow>)> {
    let (ra, dec) = t.positions(None, None)?;
    let num = |n: &str| -> Result<Option<Vec<f64>>> {
        Ok(match t.find(n) {
            Some(i) => Some(t.numbers(i, n)?),
            None => None,
        })
    };
    let flux =
        num("EP_8_FLUX")?.with_context(|| "no EP_8_FLUX column (4XMM-like catalogues have one)")?;
    let err = num("EP_8_FLUX_ERR")?.unwrap_or_else(|| vec![f64::NAN; flux.len()]);
    let ul = num("EP_8_FLUX_UL")?;
    let mjd = match (num("MJD_START")?, num("MJD_STOP")?, num("MJD")?) {
        (Some(s), Some(e), _) => s.iter().zip(&e).map(|(s, e)| 0.5 * (s + e)).collect(),
        (Some(s), None, _) => s,
        (None, _, Some(m)) => m,
        _ => vec![header_mjd(path, a)?; flux.len()],
    };
    // a numeric OBS_ID column loses its leading zeros: XMM-Newton's are 10 digits
    let pad = |s: String| {
        if !s.is_empty() && s.len() < 10 && s.bytes().all(|b| b.is_ascii_digit()) {
            format!("{s:0>10}")
        } else {
            s
        }
    };
    let obs: Vec<String> = match t.find("OBS_ID") {
        Some(i) => t.texts(i).into_iter().map(pad).collect(),
        None => vec![header_obs(path, a)?; flux.len()],
    };
    let perr = t
        .pick_optional(None, exod_io::table_in::ERR_NAMES)
        .map(|i| t.numbers(i, "position error"))
        .transpose()?;
    let ids = t
        .pick_optional(None, exod_io::table_in::ID_NAMES)
        .map(|i| t.texts(i));
    let mut srcs = Vec::new();
    let mut eps = Vec::new();
    for i in 0..flux.len() {
        let state = if flux[i].is_finite() {
            let e = if err[i].is_finite() { err[i] } else { 0.0 };
            FluxState::Detected {
                flux: flux[i],
                lo: flux[i] - e,
                hi: flux[i] + e,
            }
        } else if let Some(u) = ul.as_ref().map(|u| u[i]).filter(|u| u.is_finite()) {
            FluxState::UpperLimit { ul: u }
        } else {
            continue;
        };
        let id = format!("row{i}");
        let pe = perr.as_ref().map_or(f64::NAN, |p| p[i]);
        let label = ids.as_ref().map(|v| v[i].clone()).unwrap_or_default();
        srcs.push(source(
            &id,
            ra[i],
            dec[i],
            if pe > 0.0 { pe } else { DEFAULT_POS_ERR },
            "catalog",
            &label,
        ));
        eps.push(EpochRow {
            source: id,
            epoch: EpochFlux {
                obs_id: obs[i].clone(),
                mjd: mjd[i],
                state,
                short_term_p: None,
            },
            forced_sigma: f64::NAN,
        });
    }
    Ok((srcs, eps))
}

fn header_obs(path: &std::path::Path, a: &Args) -> Result<String> {
    if let Some(o) = &a.obs_id {
        return Ok(o.clone());
    }
    let mut f = exod_io::fits::Fits::open(path)?;
    f.string("OBS_ID")?
        .with_context(|| "no OBS_ID column nor keyword: give --obs-id")
}

fn header_mjd(path: &std::path::Path, a: &Args) -> Result<f64> {
    if let Some(m) = a.mjd {
        return Ok(m);
    }
    let mut f = exod_io::fits::Fits::open(path)?;
    for k in ["MJD-OBS", "MJD_OBS", "MJD-BEG", "MJD_START"] {
        if let Some(m) = f.num(k, "MJD of the observation")? {
            return Ok(m);
        }
    }
    bail!("no MJD_START/MJD column nor MJD-OBS keyword: give --mjd")
}

fn plot(
    png: &std::path::Path,
    s: &ArchSource,
    epochs: &[EpochFlux],
    h: &SourceHistory,
) -> Result<()> {
    let pts: Vec<LongTermPoint> = epochs
        .iter()
        .filter_map(|e| {
            Some(LongTermPoint {
                mjd: e.mjd,
                value: e.value()?,
                interval: match e.state {
                    FluxState::Detected { lo, hi, .. } => Some((lo, hi)),
                    _ => None,
                },
                highlight: false,
            })
        })
        .collect();
    let title = match &h.variability {
        Some(v) => format!("{} — variability {:.2}", s.id, v.ratio),
        None => s.id.clone(),
    };
    longterm_png(
        png,
        &LongTermPlot {
            title: &title,
            y_desc: "EPIC 0.2–12 keV flux (erg cm⁻² s⁻¹)",
            points: &pts,
        },
    )?;
    Ok(())
}

fn write_table(
    path: &std::path::Path,
    rows: &[(&ArchSource, Vec<EpochFlux>, SourceHistory)],
    threshold: f64,
) -> Result<()> {
    let c = Column::new;
    let cols = vec![
        c(
            "source",
            "string",
            None,
            "source (IAU-style name of its first position)",
        ),
        c("label", "string", None, "its name in its first input"),
        c("ra", "float64", Some("deg"), "right ascension"),
        c("dec", "float64", Some("deg"), "declination"),
        c("n_epochs", "int64", None, "epochs given"),
        c("n_covered", "int64", None, "epochs covering the position"),
        c("n_detected", "int64", None, "epochs with a detection"),
        c(
            "variability",
            "float64",
            None,
            "lower bound of the highest state / upper bound of the lowest (STONKS)",
        ),
        c(
            "high_obs",
            "string",
            None,
            "observation of the highest state",
        ),
        c("low_obs", "string", None, "observation of the lowest state"),
        c("variable", "bool", None, "variability >= the threshold"),
        c(
            "short_term",
            "bool",
            None,
            "some epoch short-term variable (chi2 probability < 1e-5)",
        ),
        c(
            "alerts",
            "string",
            None,
            "alerts over the history: kind@obs_id, space-separated",
        ),
    ];
    let thr = |v: f64| v >= threshold;
    let data: Vec<Vec<Value>> = rows
        .iter()
        .map(|(s, e, h)| {
            let v = h.variability;
            vec![
                Value::S(s.id.clone()),
                Value::S(s.label.clone()),
                Value::F(s.ra),
                Value::F(s.dec),
                Value::I(e.len() as i64),
                Value::I(h.n_covered as i64),
                Value::I(h.n_detected as i64),
                Value::F(v.map_or(f64::NAN, |v| v.ratio)),
                Value::S(v.map_or(String::new(), |v| e[v.high].obs_id.clone())),
                Value::S(v.map_or(String::new(), |v| e[v.low].obs_id.clone())),
                Value::B(v.is_some_and(|v| thr(v.ratio)) || !h.alerts.is_empty()),
                Value::B(h.short_term),
                Value::S(
                    h.alerts
                        .iter()
                        .map(|(i, x)| format!("{}@{}", x.kind.name(), e[*i].obs_id))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            ]
        })
        .collect();
    exod_io::ecsv::write(path, &cols, &data, &[("command", super::command_line())])?;
    Ok(())
}
