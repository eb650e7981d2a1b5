//! The archive's sources in a new observation: catalogues and the observation's own sources
//! joining the archive (matched by position), the photometry of every source in the new
//! observation, and of the sources new to the archive in the earlier observations.
//!
//! Matching: a position is an archive source when it lies within max(`match_radius`,
//! 3·√(σ₁² + σ₂²)) of it (σ the 1σ position errors; 99 % of true pairs for circular Gaussian
//! errors), the nearest one if several.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use exod_core::catalog::names::iau_name;
use exod_core::longterm::EpochFlux;
use exod_core::photometry::{measure_many, PhotometryParams, SourcePhotometry, Target};
use exod_core::wcs::separation_arcsec;

use super::archive::{ArchSource, Archive, EpochRow};
use super::events::Event;
use super::NewObs;

/// Position error assumed for a catalogue row without one (arcsec; XMM's systematic ~1.5″).
pub const DEFAULT_POS_ERR: f64 = 1.5;

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

/// The library's targets for archive sources.
fn targets<'a>(sources: impl Iterator<Item = &'a ArchSource>) -> Vec<Target> {
    sources
        .map(|s| Target {
            name: s.id.clone(),
            ra: s.ra,
            dec: s.dec,
        })
        .collect()
}

/// The photometry of every archive source within the field of the new observation
/// ([`measure_many`]: within `field_radius_arcmin` of the pointing, the background avoiding
/// the other sources by `avoid_radius_arcsec`), in id order.
pub fn measure_all(ar: &Archive, obs: &NewObs, pp: &PhotometryParams) -> Result<Vec<Measured>> {
    let t = targets(ar.sources.iter());
    let phot = measure_many(&obs.exposures, &obs.obs_id, &t, &[], pp)
        .with_context(|| format!("photometry of the archive's sources in {}", obs.obs_id))?;
    let mut out: Vec<Measured> = phot
        .into_iter()
        .map(|p| Measured {
            row: epoch_row(&p.source, &obs.obs_id, obs.mjd, &p),
            phot: p,
        })
        .collect();
    out.sort_by(|a, b| a.row.source.cmp(&b.row.source));
    Ok(out)
}

/// The photometry of the sources new to the archive (not transients of this observation) in
/// the earlier observations whose event lists are still where they were; an observation whose
/// pointing is farther than the field radius from all of them is not read.
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
    // the background avoids every archive source, not only the new ones measured
    let avoid: Vec<(f64, f64, f64)> = ar
        .sources
        .iter()
        .map(|s| (s.ra, s.dec, pp.avoid_radius_arcsec))
        .collect();
    for o in ar.observations.iter().filter(|o| o.obs_id != obs.obs_id) {
        let near = |s: &&&ArchSource| {
            !o.ra_pnt.is_finite()
                || separation_arcsec(s.ra, s.dec, o.ra_pnt, o.dec_pnt)
                    <= pp.field_radius_arcmin * 60.0
        };
        if !fresh.iter().any(|s| near(&s)) {
            continue;
        }
        let files: Vec<PathBuf> = o.files.split(';').map(PathBuf::from).collect();
        if !files.iter().all(|f| f.exists()) {
            tracing::warn!(
                "{}: event lists moved or gone; new sources not measured in it",
                o.obs_id
            );
            continue;
        }
        let exposures = super::super::detect::read_lists(&files, false)?.lists;
        let t = targets(fresh.iter().filter(near).copied());
        let phot = measure_many(&exposures, &o.obs_id, &t, &avoid, pp)
            .with_context(|| format!("photometry of the new sources in {}", o.obs_id))?;
        out.extend(
            phot.iter()
                .map(|p| epoch_row(&p.source, &o.obs_id, o.mjd, p)),
        );
    }
    Ok(out)
}

/// Write the new observation's photometry, `DIR/obs/<obsid>/photometry.{fits,ecsv}` (every
/// camera and band, as `exod photometry` writes it), in the order of `rows` ([`measure_all`]:
/// id order).
pub fn write_photometry(dir: &Path, obs: &NewObs, rows: &[Measured]) -> Result<()> {
    let folder = dir.join("obs").join(&obs.obs_id);
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("{}: creating the folder", folder.display()))?;
    let phot: Vec<SourcePhotometry> = rows.iter().map(|m| m.phot.clone()).collect();
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
