//! The alerts of a new observation as files: for each, `DIR/alerts/<id>.xml` (VOEvent 2.0),
//! `<id>.json` and `<id>.png` (the source's long-term light curve), and one row in
//! `DIR/alerts.ecsv`. An alert whose identifier is already in `alerts.ecsv` (a replay) is not
//! written again.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context as _, Result};
use exod_core::catalog::CatDetection;
use exod_core::longterm::{AlertKind, EpochFlux, FluxState, LongTermAlert};
use exod_io::ecsv::{self, Column, Value};
use exod_io::voevent::{AlertPacket, Link, Param};
use exod_plot::longterm::{longterm_png, LongTermPlot, LongTermPoint};

use super::archive::Archive;
use super::events::Event;
use super::sources::{Measured, Roles};
use super::NewObs;

/// An alert found, before it is written.
#[derive(Debug, Clone)]
pub struct Found {
    /// Its kind.
    pub kind: AlertKind,
    /// The archive source.
    pub source: String,
    /// Position (deg) and 1σ error (arcsec).
    pub ra: f64,
    /// Dec (deg).
    pub dec: f64,
    /// 1σ position error (arcsec).
    pub pos_err: f64,
    /// The best detection of a transient.
    pub detection: Option<CatDetection>,
    /// Every DETID of a transient.
    pub detids: Vec<String>,
    /// The new epoch's flux (long-term alerts).
    pub epoch: Option<EpochFlux>,
    /// The long-term comparison.
    pub long_term: Option<LongTermAlert>,
    /// The earlier epochs (for the plot and the comparison's observation).
    pub previous: Vec<EpochFlux>,
}

impl Found {
    /// The alert of the `k`-th short-term transient.
    pub fn transient(k: usize, e: &Event, roles: &Roles, ar: &Archive) -> Found {
        let source = roles.event_source[k].clone();
        let previous = ar.epochs_of(&source, &e.best.obsid);
        Found {
            kind: AlertKind::ShortTermTransient,
            source,
            ra: e.best.ra,
            dec: e.best.dec,
            pos_err: e.best.pos_err,
            detection: Some(e.best.clone()),
            detids: e.detids.clone(),
            epoch: None,
            long_term: None,
            previous,
        }
    }

    /// A long-term alert of a measured source.
    pub fn long_term(
        m: &Measured,
        x: LongTermAlert,
        previous: Vec<EpochFlux>,
        ar: &Archive,
    ) -> Found {
        let s = ar.sources.iter().find(|s| s.id == m.row.source);
        Found {
            kind: x.kind,
            source: m.row.source.clone(),
            ra: m.phot.ra,
            dec: m.phot.dec,
            pos_err: s.map_or(f64::NAN, |s| s.pos_err),
            detection: None,
            detids: vec![],
            epoch: Some(m.row.epoch.clone()),
            long_term: Some(x),
            previous,
        }
    }

    /// `<obsid>-<kind>-<source>` (transients: `-<t_peak>` in whole seconds).
    pub fn id(&self, obs_id: &str) -> String {
        let slug = super::archive::slug(&self.source);
        let mut id = format!("{obs_id}-{}-{slug}", self.kind.name());
        if let Some(d) = &self.detection {
            id.push_str(&format!("-{}", d.t_peak.round() as i64));
        }
        id
    }
}

/// Where and how the alerts are written.
pub struct Context<'a> {
    /// The archive folder.
    pub dir: &'a Path,
    /// The new observation.
    pub obs: &'a NewObs,
    /// VOEvent role.
    pub role: &'a str,
    /// IVORN base.
    pub ivorn: &'a str,
    /// Folder of follow-up reports.
    pub reports: Option<&'a Path>,
}

const FLUX_UNIT: &str = "erg/cm2/s";

fn flux_params(e: &EpochFlux, out: &mut Vec<Param>) {
    match e.state {
        FluxState::Detected { flux, lo, hi } => {
            let d = "EPIC 0.2-12 keV flux in this observation";
            out.push(Param::float(
                "flux",
                flux,
                FLUX_UNIT,
                "phot.flux;em.X-ray",
                d,
            ));
            out.push(Param::float(
                "flux_lo",
                lo,
                FLUX_UNIT,
                "stat.error;phot.flux",
                "lower 1 sigma bound",
            ));
            out.push(Param::float(
                "flux_hi",
                hi,
                FLUX_UNIT,
                "stat.error;phot.flux",
                "upper 1 sigma bound",
            ));
        }
        FluxState::UpperLimit { ul } => out.push(Param::float(
            "flux_ul",
            ul,
            FLUX_UNIT,
            "phot.flux;stat.max",
            "EPIC 0.2-12 keV upper limit in this observation (3 sigma one-sided by default)",
        )),
        FluxState::NotCovered => {}
    }
}

fn transient_params(d: &CatDetection, detids: &[String], out: &mut Vec<Param>) {
    out.push(Param::text(
        "detid",
        &d.detid,
        "meta.id",
        "the most significant EXOD detection",
    ));
    out.push(Param::text(
        "detids",
        &detids.join(" "),
        "meta.id",
        "every detection of the event (band x t_bin runs)",
    ));
    out.push(Param::text(
        "transient",
        &format!("{:?}", d.kind).to_lowercase(),
        "meta.code",
        "peak (burst) or eclipse",
    ));
    out.push(Param::float(
        "sigma",
        d.sigma,
        "sigma",
        "stat.snr",
        "EXOD decision significance (Gaussian sigma equivalent)",
    ));
    out.push(Param::text(
        "band",
        &d.band,
        "em.energy",
        "energy band (keV)",
    ));
    out.push(Param::float(
        "t_bin",
        d.tbin,
        "s",
        "time.interval",
        "time bin of the search",
    ));
    out.push(Param::float(
        "t_start",
        d.t_start,
        "s",
        "time.start",
        "start of the first flagged frame (mission time)",
    ));
    out.push(Param::float(
        "t_stop",
        d.t_stop,
        "s",
        "time.end",
        "end of the last flagged frame (mission time)",
    ));
    out.push(Param::float(
        "region_counts",
        d.region_n as f64,
        "ct",
        "phot.count",
        "counts of the region in its peak frame",
    ));
    out.push(Param::float(
        "region_mu",
        d.region_mu,
        "ct",
        "phot.count;stat.expected",
        "expected counts there",
    ));
}

fn long_term_params(f: &Found, ar: &Archive, out: &mut Vec<Param>) {
    let Some(x) = &f.long_term else { return };
    if let Some(r) = x.ratio {
        out.push(Param::float("variability", r, "", "stat.value;src.var", "long-term variability: lower bound of the highest state / upper bound of the lowest (STONKS)"));
    }
    if let Some(e) = x.compared_with.and_then(|i| f.previous.get(i)) {
        out.push(Param::text(
            "compared_obs",
            &e.obs_id,
            "meta.id",
            "the earlier observation it is compared with",
        ));
        if let Some(v) = e.value() {
            let what = if e.detected() {
                "its flux"
            } else {
                "its upper limit"
            };
            out.push(Param::float(
                "compared_flux",
                v,
                FLUX_UNIT,
                "phot.flux",
                what,
            ));
        }
    }
    out.push(Param::text(
        "short_term_variable",
        if x.short_term { "true" } else { "false" },
        "meta.code",
        "chi2 probability of a constant rate < 1e-5 in this observation",
    ));
    if let Some(s) = ar.sources.iter().find(|s| s.id == f.source) {
        out.push(Param::text(
            "origin",
            &s.origin,
            "meta.note",
            "where the archive source comes from",
        ));
        if !s.label.is_empty() {
            out.push(Param::text(
                "catalog_name",
                &s.label,
                "meta.id",
                "its name in that catalogue",
            ));
        }
    }
}

/// The event time (MJD): a transient's peak frame, else the middle of the observation.
fn event_mjd(f: &Found, obs: &NewObs) -> f64 {
    match &f.detection {
        Some(d) if d.mjdref.is_finite() => d.mjdref + d.t_peak / 86_400.0,
        _ => obs.mjd,
    }
}

fn packet(ctx: &Context, f: &Found, id: &str, ar: &Archive, links: Vec<Link>) -> AlertPacket {
    let mut params = vec![
        Param::text(
            "alert_type",
            f.kind.name(),
            "meta.code.class",
            f.kind.describe(),
        ),
        Param::text(
            "obs_id",
            &ctx.obs.obs_id,
            "meta.id;obs",
            "XMM-Newton observation",
        ),
        Param::text("source", &f.source, "meta.id", "archive source"),
    ];
    if let Some(d) = &f.detection {
        transient_params(d, &f.detids, &mut params);
    }
    if let Some(e) = &f.epoch {
        flux_params(e, &mut params);
    }
    long_term_params(f, ar, &mut params);
    let concept = match f.kind {
        AlertKind::ShortTermTransient => "process.variation.burst",
        _ => "process.variation",
    };
    let err = if f.pos_err.is_finite() {
        f.pos_err
    } else {
        super::sources::DEFAULT_POS_ERR
    };
    AlertPacket {
        id: id.to_string(),
        ivorn_base: ctx.ivorn.to_string(),
        role: ctx.role.to_string(),
        date: exod_io::context::creation_date(),
        kind: f.kind.name().to_string(),
        concept: concept.into(),
        ra: f.ra,
        dec: f.dec,
        pos_err_arcsec: err,
        time_iso: exod_io::context::iso_from_mjd(event_mjd(f, ctx.obs), 0.0),
        how: "XMM-Newton EPIC event lists; exod (EXOD search, aperture photometry, STONKS-like long-term variability)".into(),
        params,
        links,
        description: format!("{} of {} in observation {}", f.kind.describe(), f.source, ctx.obs.obs_id),
    }
}

/// The long-term light curve of the alert's source (earlier epochs and the new one).
fn plot(path: &Path, f: &Found, obs: &NewObs) -> Result<()> {
    let mut pts: Vec<LongTermPoint> = f.previous.iter().filter_map(|e| point(e, false)).collect();
    if let Some(e) = &f.epoch {
        pts.extend(point(e, true));
    }
    let title = match f.long_term.as_ref().and_then(|x| x.ratio) {
        Some(r) => format!(
            "{} — {} in {} (variability {r:.1})",
            f.source,
            f.kind.name(),
            obs.obs_id
        ),
        None => format!("{} — {} in {}", f.source, f.kind.name(), obs.obs_id),
    };
    longterm_png(
        path,
        &LongTermPlot {
            title: &title,
            y_desc: "EPIC 0.2–12 keV flux (erg cm⁻² s⁻¹)",
            points: &pts,
        },
    )
    .with_context(|| format!("{}: drawing the long-term light curve", path.display()))
}

fn point(e: &EpochFlux, highlight: bool) -> Option<LongTermPoint> {
    let interval = match e.state {
        FluxState::Detected { lo, hi, .. } => Some((lo, hi)),
        _ => None,
    };
    Some(LongTermPoint {
        mjd: e.mjd,
        value: e.value()?,
        interval,
        highlight,
    })
}

/// The links of an alert: its light curves and, when it exists, its follow-up report.
fn links(ctx: &Context, f: &Found, id: &str) -> Vec<Link> {
    let mut out = Vec::new();
    if !f.previous.is_empty() || f.epoch.is_some() {
        out.push(Link {
            kind: "longterm_lightcurve".into(),
            uri: format!("{id}.png"),
        });
    }
    if let Some(d) = &f.detection {
        let lc = format!("obs/{}/detect/lc_{}.png", ctx.obs.obs_id, d.detid);
        if ctx.dir.join(&lc).exists() {
            out.push(Link {
                kind: "lightcurve".into(),
                uri: format!("../{lc}"),
            });
        }
    }
    if let Some(r) = ctx.reports {
        let key = f
            .detection
            .as_ref()
            .map_or(f.source.clone(), |d| d.detid.clone());
        let html = r.join(&key).join("report.html");
        if let Ok(abs) = std::fs::canonicalize(&html) {
            out.push(Link {
                kind: "report".into(),
                uri: abs.display().to_string(),
            });
        }
    }
    out
}

fn summary_columns() -> Vec<Column> {
    let c = Column::new;
    vec![
        c(
            "alert_id",
            "string",
            None,
            "alert identifier (<obsid>-<kind>-<source>[-<t_peak>])",
        ),
        c("kind", "string", None, "alert type"),
        c("obs_id", "string", None, "observation"),
        c("source", "string", None, "archive source"),
        c("ra", "float64", Some("deg"), "right ascension"),
        c("dec", "float64", Some("deg"), "declination"),
        c(
            "pos_err",
            "float64",
            Some("arcsec"),
            "1 sigma position error",
        ),
        c("time", "string", None, "time of the event (ISO 8601, TT)"),
        c("sigma", "float64", None, "EXOD significance (transients)"),
        c(
            "flux",
            "float64",
            Some("erg/(cm2 s)"),
            "EPIC 0.2-12 keV flux (detected)",
        ),
        c(
            "flux_ul",
            "float64",
            Some("erg/(cm2 s)"),
            "upper limit (not detected)",
        ),
        c(
            "variability",
            "float64",
            None,
            "long-term variability figure",
        ),
        c(
            "compared_obs",
            "string",
            None,
            "observation it is compared with",
        ),
        c(
            "short_term",
            "bool",
            None,
            "short-term variable in this observation",
        ),
        c(
            "voevent",
            "string",
            None,
            "the VOEvent file (relative to the archive)",
        ),
    ]
}

fn summary_row(ctx: &Context, f: &Found, id: &str) -> Vec<Value> {
    let (flux, ul) = match f.epoch.as_ref().map(|e| e.state) {
        Some(FluxState::Detected { flux, .. }) => (flux, f64::NAN),
        Some(FluxState::UpperLimit { ul }) => (f64::NAN, ul),
        _ => (f64::NAN, f64::NAN),
    };
    let lt = f.long_term.as_ref();
    let compared = lt
        .and_then(|x| x.compared_with)
        .and_then(|i| f.previous.get(i))
        .map_or(String::new(), |e| e.obs_id.clone());
    vec![
        Value::S(id.into()),
        Value::S(f.kind.name().into()),
        Value::S(ctx.obs.obs_id.clone()),
        Value::S(f.source.clone()),
        Value::F(f.ra),
        Value::F(f.dec),
        Value::F(f.pos_err),
        Value::S(exod_io::context::iso_from_mjd(event_mjd(f, ctx.obs), 0.0)),
        Value::F(f.detection.as_ref().map_or(f64::NAN, |d| d.sigma)),
        Value::F(flux),
        Value::F(ul),
        Value::F(lt.and_then(|x| x.ratio).unwrap_or(f64::NAN)),
        Value::S(compared),
        Value::B(lt.is_some_and(|x| x.short_term)),
        Value::S(format!("alerts/{id}.xml")),
    ]
}

/// Write the alerts not emitted before; (written, already emitted).
pub fn emit(ctx: &Context, found: &[Found], ar: &Archive) -> Result<(usize, usize)> {
    let table = ctx.dir.join("alerts.ecsv");
    let (names, mut old) = if table.exists() {
        ecsv::read_rows(&table).with_context(|| format!("{}: reading", table.display()))?
    } else {
        (vec![], vec![])
    };
    let cols = summary_columns();
    if !names.is_empty() && names.len() != cols.len() {
        anyhow::bail!(
            "{}: {} columns where exod alert writes {}",
            table.display(),
            names.len(),
            cols.len()
        );
    }
    let seen: HashSet<String> = old.iter().filter_map(|r| r.first().cloned()).collect();
    let folder = ctx.dir.join("alerts");
    let mut rows: Vec<Vec<Value>> = old
        .drain(..)
        .map(|r| r.into_iter().map(Value::S).collect())
        .collect();
    if !found.is_empty() {
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("{}: creating the alerts folder", folder.display()))?;
    }
    let mut written = 0;
    for f in found {
        let id = f.id(&ctx.obs.obs_id);
        if seen.contains(&id) {
            continue;
        }
        let links = links(ctx, f, &id);
        if links.iter().any(|l| l.kind == "longterm_lightcurve") {
            plot(&folder.join(format!("{id}.png")), f, ctx.obs)?;
        }
        exod_io::voevent::write(&folder, &packet(ctx, f, &id, ar, links))?;
        rows.push(summary_row(ctx, f, &id));
        written += 1;
    }
    ecsv::write(&table, &cols, &rows, &[])
        .with_context(|| format!("{}: writing", table.display()))?;
    Ok((written, found.len() - written))
}
