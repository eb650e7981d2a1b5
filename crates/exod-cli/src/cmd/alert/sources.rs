//! The archive's sources in a new observation: catalogues and the observation's own sources
//! joining the archive (matched by position), the photometry of every source in the new
//! observation, and of the sources new to the archive in the earlier observations.
//!
//! Matching: a position is an archive source when it lies within max(`match_radius`,
//! 3·√(σ₁² + σ₂²)) of it (σ the 1σ position errors; 99 % of true pairs for circular Gaussian
//! errors), the nearest one if several.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use exod_core::catalog::names::iau_name;
use exod_core::exposure::Exposure;
use exod_core::longterm::EpochFlux;
use exod_core::photometry::{measure, PhotometryParams, SourcePhotometry};
use exod_core::wcs::separation_arcsec;
use rayon::prelude::*;

use super::archive::{ArchSource, Archive, EpochRow};
use super::events::Event;
use super::NewObs;

/// Position error assumed for a catalogue row without one (arcsec; XMM's systematic ~1.5″).
pub const DEFAULT_POS_ERR: f64 = 1.5;
/// Radius (arcsec) of the other sources the photometry's background avoids.
pub const AVOID_RADIUS: f64 = 20.0;
/// Sources farther than this from an observation's pointing (arcmin) are not measured in it
/// (the EPIC field of view is 15′ in radius).
pub const FIELD_RADIUS_ARCMIN: f64 = 16.0;

/// What the new observation did to the archive's sources.
#[derive(Debug, Default)]
pub struct Roles {
    /// Sources added by this observation (not known before it).
    pub new_now: HashSet<String>,
    /// Sources added by this observation's EXOD transients.
    pub transient_now: HashSet<String>,
    /// The source of each event, in the order of the events.
    pub event_source: Vec<String>,
}

/// The archive source matching (`ra`, `dec`, `err`), if any.
fn matching(ar: &Archive, ra: f64, dec: f64, err: f64, floor: f64) -> Option<usize> {
    ar.sources
        .iter()
        .enumerate()
        .map(|(i, s)| (i, separation_arcsec(s.ra, s.dec, ra, dec), s.pos_err))
        .filter(|&(_, d, e)| d <= floor.max(3.0 * (e * e + err * err).sqrt()))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _, _)| i)
}

/// Add `src` to the archive unless it matches a source there; its id either way.
pub fn add(ar: &mut Archive, src: ArchSource, floor: f64) -> (String, bool) {
    if let Some(i) = matching(ar, src.ra, src.dec, src.pos_err, floor) {
        return (ar.sources[i].id.clone(), false);
    }
    let mut id = iau_name(src.ra, src.dec);
    let mut k = 1;
    while ar.sources.iter().any(|s| s.id == id) {
        k += 1;
        id = format!("{} ({k})", iau_name(src.ra, src.dec));
    }
    ar.sources.push(ArchSource {
        id: id.clone(),
        ..src
    });
    (id, true)
}

/// Add the sources of a catalogue file (RA/Dec found by name; error and id columns if any).
pub fn add_catalog(ar: &mut Archive, path: &Path, floor: f64) -> Result<()> {
    let t = exod_io::table_in::read_table(path, &Default::default())?;
    let (ra, dec) = t
        .positions(None, None)
        .with_context(|| format!("{}: the catalogue's positions", path.display()))?;
    use exod_io::table_in::{ERR_NAMES, ID_NAMES};
    let err = match t.pick_optional(None, ERR_NAMES) {
        Some(i) => Some(t.numbers(i, "position error")?),
        None => None,
    };
    let ids = t.pick_optional(None, ID_NAMES).map(|i| t.texts(i));
    let before = ar.sources.len();
    for i in 0..ra.len() {
        let e = err.as_ref().map_or(f64::NAN, |e| e[i]);
        let src = ArchSource {
            id: String::new(),
            ra: ra[i],
            dec: dec[i],
            pos_err: if e.is_finite() && e > 0.0 {
                e
            } else {
                DEFAULT_POS_ERR
            },
            origin: "catalog".into(),
            first_obs: String::new(),
            label: ids.as_ref().map(|v| v[i].clone()).unwrap_or_default(),
        };
        add(ar, src, floor);
    }
    tracing::info!(
        "{}: {} source(s), {} new to the archive",
        path.display(),
        ra.len(),
        ar.sources.len() - before
    );
    Ok(())
}

/// Add the observation's pipeline sources and its transients; which sources are new.
pub fn add_new(ar: &mut Archive, obs: &NewObs, events: &[Event], floor: f64) -> Result<Roles> {
    let mut roles = Roles::default();
    // sources first added by this observation in an earlier run (a replay) stay "new now"
    for s in ar.sources.iter().filter(|s| s.first_obs == obs.obs_id) {
        roles.new_now.insert(s.id.clone());
        if s.origin == "exod" {
            roles.transient_now.insert(s.id.clone());
        }
    }
    if let Some(list) = &obs.srclist {
        for s in exod_io::srclist::read_sources(list)? {
            let src = ArchSource {
                id: String::new(),
                ra: s.ra,
                dec: s.dec,
                pos_err: DEFAULT_POS_ERR,
                origin: "srclist".into(),
                first_obs: obs.obs_id.clone(),
                label: String::new(),
            };
            if let (id, true) = add(ar, src, floor) {
                roles.new_now.insert(id);
            }
        }
    }
    for e in events {
        let d = &e.best;
        let err = if d.pos_err.is_finite() {
            d.pos_err
        } else {
            5.0
        };
        let src = ArchSource {
            id: String::new(),
            ra: d.ra,
            dec: d.dec,
            pos_err: err,
            origin: "exod".into(),
            first_obs: obs.obs_id.clone(),
            label: d.detid.clone(),
        };
        let (id, added) = add(ar, src, floor);
        if added {
            roles.new_now.insert(id.clone());
            roles.transient_now.insert(id.clone());
        }
        roles.event_source.push(id);
    }
    Ok(roles)
}

/// A source measured in an observation.
pub struct Measured {
    /// The photometry.
    pub phot: SourcePhotometry,
    /// Its archive row.
    pub row: EpochRow,
}

/// The archive row of a photometry result (EPIC band 8).
pub fn epoch_row(id: &str, obs_id: &str, mjd: f64, p: &SourcePhotometry) -> EpochRow {
    let mut epoch = EpochFlux::from_photometry(p, mjd);
    epoch.obs_id = obs_id.to_string();
    EpochRow {
        source: id.to_string(),
        epoch,
        forced_sigma: p.forced.as_ref().map_or(f64::NAN, |f| f.sigma_peak),
    }
}

/// The sources within the field of a pointing.
fn in_field(ar: &Archive, ra: f64, dec: f64) -> Vec<&ArchSource> {
    ar.sources
        .iter()
        .filter(|s| {
            !ra.is_finite() || separation_arcsec(s.ra, s.dec, ra, dec) <= FIELD_RADIUS_ARCMIN * 60.0
        })
        .collect()
}

fn measure_one(
    exposures: &[Exposure],
    s: &ArchSource,
    ar: &Archive,
    obs_id: &str,
    pp: &PhotometryParams,
) -> Result<SourcePhotometry> {
    let avoid: Vec<(f64, f64, f64)> = ar
        .sources
        .iter()
        .filter(|o| o.id != s.id && separation_arcsec(o.ra, o.dec, s.ra, s.dec) < 600.0)
        .map(|o| (o.ra, o.dec, AVOID_RADIUS))
        .collect();
    measure(exposures, &s.id, obs_id, s.ra, s.dec, &avoid, pp)
        .with_context(|| format!("photometry of {} in {obs_id}", s.id))
}

/// The photometry of every archive source in the field of the new observation.
pub fn measure_all(ar: &Archive, obs: &NewObs, pp: &PhotometryParams) -> Result<Vec<Measured>> {
    in_field(ar, obs.pointing.0, obs.pointing.1)
        .par_iter()
        .map(|s| {
            let phot = measure_one(&obs.exposures, s, ar, &obs.obs_id, pp)?;
            let row = epoch_row(&s.id, &obs.obs_id, obs.mjd, &phot);
            Ok(Measured { phot, row })
        })
        .collect()
}

/// The photometry of the sources new to the archive (not transients of this observation) in
/// the earlier observations whose event lists are still where they were.
pub fn backfill(
    ar: &Archive,
    obs: &NewObs,
    roles: &Roles,
    pp: &PhotometryParams,
) -> Result<Vec<EpochRow>> {
    let fresh: Vec<&ArchSource> = ar
        .sources
        .iter()
        .filter(|s| roles.new_now.contains(&s.id) && !roles.transient_now.contains(&s.id))
        .collect();
    let mut out = Vec::new();
    if fresh.is_empty() {
        return Ok(out);
    }
    for o in ar.observations.iter().filter(|o| o.obs_id != obs.obs_id) {
        let targets: Vec<&&ArchSource> = fresh
            .iter()
            .filter(|s| {
                !o.ra_pnt.is_finite()
                    || separation_arcsec(s.ra, s.dec, o.ra_pnt, o.dec_pnt)
                        <= FIELD_RADIUS_ARCMIN * 60.0
            })
            .collect();
        let files: Vec<PathBuf> = o.files.split(';').map(PathBuf::from).collect();
        if targets.is_empty() || !files.iter().all(|f| f.exists()) {
            if !targets.is_empty() {
                tracing::warn!(
                    "{}: event lists moved or gone; new sources not measured in it",
                    o.obs_id
                );
            }
            continue;
        }
        let exposures = super::super::detect::read_lists(&files, false)?.lists;
        let rows: Vec<EpochRow> = targets
            .par_iter()
            .map(|s| {
                let p = measure_one(&exposures, s, ar, &o.obs_id, pp)?;
                Ok(epoch_row(&s.id, &o.obs_id, o.mjd, &p))
            })
            .collect::<Result<_>>()?;
        out.extend(rows);
    }
    Ok(out)
}

/// Write the new observation's photometry, `DIR/obs/<obsid>/photometry.{fits,ecsv}` (every
/// camera and band, as `exod photometry` writes it), sources in id order.
pub fn write_photometry(dir: &Path, obs: &NewObs, rows: &[Measured]) -> Result<()> {
    let folder = dir.join("obs").join(&obs.obs_id);
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("{}: creating the folder", folder.display()))?;
    let mut by_source: BTreeMap<&str, &SourcePhotometry> = BTreeMap::new();
    for m in rows {
        by_source.insert(m.row.source.as_str(), &m.phot);
    }
    let phot: Vec<SourcePhotometry> = by_source.values().map(|p| (*p).clone()).collect();
    let date = exod_io::context::creation_date();
    let meta = exod_io::photometry::PhotometryMeta {
        keywords: exod_io::table::provenance(&date, &super::super::command_line()),
    };
    let (fits, ecsv) = (
        folder.join("photometry.fits"),
        folder.join("photometry.ecsv"),
    );
    exod_io::photometry::write(&fits, &ecsv, &phot, &meta, &date)
        .with_context(|| format!("{}: writing the photometry", fits.display()))
}
