//! The archive the alert stream compares new observations with: its sources, the flux of every
//! source in every observation (EPIC 0.2–12 keV), and the observations ingested — three ECSV
//! tables in `DIR/archive/`, replaced as one folder (a staging folder exchanged atomically with
//! the old one, [`crate::staging`]), so a crash leaves either the previous archive or the new one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use exod_core::longterm::{EpochFlux, FluxState};
use exod_io::ecsv::{self, Column, Value};

/// A file-name-safe form of a source id (`EXOD J095822.1-110334` → `J095822.1-110334`): the
/// alert ids and the light-curve file names.
pub fn slug(id: &str) -> String {
    id.trim_start_matches("EXOD ")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A source of the archive.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchSource {
    /// Identifier: the IAU-style name of its first position (`EXOD Jhhmmss.s±ddmmss`).
    pub id: String,
    /// RA (deg).
    pub ra: f64,
    /// Dec (deg).
    pub dec: f64,
    /// 1σ position error (arcsec).
    pub pos_err: f64,
    /// Where it comes from: `catalog`, `srclist` (the observation's pipeline list) or `exod`
    /// (a transient found by the search).
    pub origin: String,
    /// The observation it was added with (empty for a seed catalogue).
    pub first_obs: String,
    /// Its name in the catalogue it came from (may be empty).
    pub label: String,
}

/// The flux of one source in one observation.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochRow {
    /// Source id.
    pub source: String,
    /// The flux.
    pub epoch: EpochFlux,
    /// Forced-photometry σ of the most significant peak (NaN when not measured).
    pub forced_sigma: f64,
}

/// An observation ingested.
#[derive(Debug, Clone, PartialEq)]
pub struct ObsRow {
    /// OBS_ID.
    pub obs_id: String,
    /// MJD of the middle of the observation.
    pub mjd: f64,
    /// Pointing RA, Dec (deg).
    pub ra_pnt: f64,
    /// Pointing Dec (deg).
    pub dec_pnt: f64,
    /// The event lists (absolute paths, `;`-separated), to measure later sources in it.
    pub files: String,
    /// Alerts it raised.
    pub n_alerts: i64,
}

/// The whole archive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Archive {
    /// Sources.
    pub sources: Vec<ArchSource>,
    /// Fluxes.
    pub epochs: Vec<EpochRow>,
    /// Observations.
    pub observations: Vec<ObsRow>,
}

fn col(name: &str, t: &'static str, unit: Option<&str>, d: &str) -> Column {
    Column::new(name, t, unit, d)
}

fn sources_columns() -> Vec<Column> {
    vec![
        col(
            "id",
            "string",
            None,
            "source identifier (IAU-style name of its first position)",
        ),
        col("ra", "float64", Some("deg"), "right ascension (FK5 J2000)"),
        col("dec", "float64", Some("deg"), "declination"),
        col(
            "pos_err",
            "float64",
            Some("arcsec"),
            "1 sigma position error",
        ),
        col(
            "origin",
            "string",
            None,
            "catalog, srclist (pipeline source list) or exod (transient)",
        ),
        col("first_obs", "string", None, "observation it was added with"),
        col(
            "label",
            "string",
            None,
            "its name in the catalogue it came from",
        ),
    ]
}

fn epochs_columns() -> Vec<Column> {
    vec![
        col("source", "string", None, "source id"),
        col("obs_id", "string", None, "observation"),
        col(
            "mjd",
            "float64",
            Some("d"),
            "middle of the observation (MJD)",
        ),
        col(
            "state",
            "string",
            None,
            "detected, upper_limit or not_covered",
        ),
        col(
            "flux",
            "float64",
            Some("erg/(cm2 s)"),
            "EPIC 0.2-12 keV flux (nan unless detected)",
        ),
        col(
            "flux_lo",
            "float64",
            Some("erg/(cm2 s)"),
            "lower bound of its 1 sigma interval",
        ),
        col(
            "flux_hi",
            "float64",
            Some("erg/(cm2 s)"),
            "upper bound of its 1 sigma interval",
        ),
        col(
            "flux_ul",
            "float64",
            Some("erg/(cm2 s)"),
            "upper limit (not detected)",
        ),
        col(
            "chi2_p",
            "float64",
            None,
            "chi2 probability of a constant rate in the observation",
        ),
        col(
            "forced_sigma",
            "float64",
            None,
            "forced photometry: sigma of the most significant peak",
        ),
    ]
}

fn observations_columns() -> Vec<Column> {
    vec![
        col("obs_id", "string", None, "OBS_ID"),
        col(
            "mjd",
            "float64",
            Some("d"),
            "middle of the observation (MJD)",
        ),
        col("ra_pnt", "float64", Some("deg"), "pointing RA"),
        col("dec_pnt", "float64", Some("deg"), "pointing Dec"),
        col(
            "files",
            "string",
            None,
            "event lists (absolute paths, ;-separated)",
        ),
        col(
            "n_alerts",
            "int64",
            None,
            "alerts raised by this observation",
        ),
    ]
}

fn state_cells(e: &EpochFlux) -> (String, [f64; 4]) {
    let nan = f64::NAN;
    match e.state {
        FluxState::Detected { flux, lo, hi } => ("detected".into(), [flux, lo, hi, nan]),
        FluxState::UpperLimit { ul } => ("upper_limit".into(), [nan, nan, nan, ul]),
        FluxState::NotCovered => ("not_covered".into(), [nan; 4]),
    }
}

impl Archive {
    /// Folder of the archive's tables in `dir`.
    pub fn folder(dir: &Path) -> PathBuf {
        dir.join("archive")
    }

    /// Load the archive of `dir` (empty when it has none yet).
    pub fn load(dir: &Path) -> Result<Archive> {
        let f = Archive::folder(dir);
        if !f.join("observations.ecsv").exists() {
            return Ok(Archive::default());
        }
        Ok(Archive {
            sources: read(&f.join("sources.ecsv"), parse_source)?,
            epochs: read(&f.join("epochs.ecsv"), parse_epoch)?,
            observations: read(&f.join("observations.ecsv"), parse_obs)?,
        })
    }

    /// Write the archive into `dir/archive`, replacing the previous one as a whole.
    pub fn save(&self, dir: &Path, meta: &[(&str, String)]) -> Result<()> {
        let dest = Archive::folder(dir);
        let stage = crate::staging::Staged::begin(&dest, true)?;
        let p = stage.path();
        let srows: Vec<Vec<Value>> = self
            .sources
            .iter()
            .map(|s| {
                vec![
                    Value::S(s.id.clone()),
                    Value::F(s.ra),
                    Value::F(s.dec),
                    Value::F(s.pos_err),
                    Value::S(s.origin.clone()),
                    Value::S(s.first_obs.clone()),
                    Value::S(s.label.clone()),
                ]
            })
            .collect();
        ecsv::write(&p.join("sources.ecsv"), &sources_columns(), &srows, meta)?;
        let erows: Vec<Vec<Value>> = self.epochs.iter().map(epoch_cells).collect();
        ecsv::write(&p.join("epochs.ecsv"), &epochs_columns(), &erows, meta)?;
        let orows: Vec<Vec<Value>> = self
            .observations
            .iter()
            .map(|o| {
                vec![
                    Value::S(o.obs_id.clone()),
                    Value::F(o.mjd),
                    Value::F(o.ra_pnt),
                    Value::F(o.dec_pnt),
                    Value::S(o.files.clone()),
                    Value::I(o.n_alerts),
                ]
            })
            .collect();
        ecsv::write(
            &p.join("observations.ecsv"),
            &observations_columns(),
            &orows,
            meta,
        )?;
        stage.commit()
    }

    /// The epochs of `source`, except those of observation `except`.
    pub fn epochs_of(&self, source: &str, except: &str) -> Vec<EpochFlux> {
        self.epochs
            .iter()
            .filter(|e| e.source == source && e.epoch.obs_id != except)
            .map(|e| e.epoch.clone())
            .collect()
    }

    /// Add `rows`, each replacing the row of the same source and observation if there is one;
    /// the epochs stay sorted by source, time and observation.
    pub fn upsert(&mut self, rows: Vec<EpochRow>) {
        let keys: HashSet<(String, String)> = rows
            .iter()
            .map(|r| (r.source.clone(), r.epoch.obs_id.clone()))
            .collect();
        self.epochs
            .retain(|e| !keys.contains(&(e.source.clone(), e.epoch.obs_id.clone())));
        self.epochs.extend(rows);
        self.epochs.sort_by(|a, b| {
            a.source
                .cmp(&b.source)
                .then(a.epoch.mjd.total_cmp(&b.epoch.mjd))
                .then(a.epoch.obs_id.cmp(&b.epoch.obs_id))
        });
    }

    /// Record observation `o` with its epochs `rows` (a replay replaces both).
    pub fn replace_observation(&mut self, o: ObsRow, rows: Vec<EpochRow>) {
        self.upsert(rows);
        self.observations.retain(|x| x.obs_id != o.obs_id);
        self.observations.push(o);
        self.observations
            .sort_by(|a, b| a.mjd.total_cmp(&b.mjd).then(a.obs_id.cmp(&b.obs_id)));
    }
}

fn epoch_cells(e: &EpochRow) -> Vec<Value> {
    let (state, [f, lo, hi, ul]) = state_cells(&e.epoch);
    vec![
        Value::S(e.source.clone()),
        Value::S(e.epoch.obs_id.clone()),
        Value::F(e.epoch.mjd),
        Value::S(state),
        Value::F(f),
        Value::F(lo),
        Value::F(hi),
        Value::F(ul),
        Value::F(e.epoch.short_term_p.unwrap_or(f64::NAN)),
        Value::F(e.forced_sigma),
    ]
}

/// The rows of an archive table, each parsed by `parse` (cells by column name).
fn read<T>(path: &Path, parse: fn(&Cells) -> Result<T>) -> Result<Vec<T>> {
    let (names, rows) = ecsv::read_rows(path)
        .with_context(|| format!("{}: reading the archive table", path.display()))?;
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            parse(&Cells {
                names: &names,
                row: r,
            })
            .with_context(|| format!("{}: row {}", path.display(), i + 1))
        })
        .collect()
}

/// One row of a table, by column name.
struct Cells<'a> {
    names: &'a [String],
    row: &'a [String],
}

impl Cells<'_> {
    fn s(&self, name: &str) -> Result<String> {
        let i = self.names.iter().position(|n| n == name).with_context(|| {
            format!("no column {name:?} (an archive written by exod alert has it)")
        })?;
        Ok(self.row.get(i).cloned().unwrap_or_default())
    }

    fn f(&self, name: &str) -> Result<f64> {
        let s = self.s(name)?;
        if s == "nan" || s.is_empty() {
            return Ok(f64::NAN);
        }
        s.parse()
            .with_context(|| format!("column {name}: {s:?} is not a number"))
    }
}

fn parse_source(c: &Cells) -> Result<ArchSource> {
    Ok(ArchSource {
        id: c.s("id")?,
        ra: c.f("ra")?,
        dec: c.f("dec")?,
        pos_err: c.f("pos_err")?,
        origin: c.s("origin")?,
        first_obs: c.s("first_obs")?,
        label: c.s("label")?,
    })
}

fn parse_epoch(c: &Cells) -> Result<EpochRow> {
    let state = match c.s("state")?.as_str() {
        "detected" => FluxState::Detected {
            flux: c.f("flux")?,
            lo: c.f("flux_lo")?,
            hi: c.f("flux_hi")?,
        },
        "upper_limit" => FluxState::UpperLimit {
            ul: c.f("flux_ul")?,
        },
        "not_covered" => FluxState::NotCovered,
        other => bail!("state {other:?}: expected detected, upper_limit or not_covered"),
    };
    let p = c.f("chi2_p")?;
    Ok(EpochRow {
        source: c.s("source")?,
        epoch: EpochFlux {
            obs_id: c.s("obs_id")?,
            mjd: c.f("mjd")?,
            state,
            short_term_p: p.is_finite().then_some(p),
        },
        forced_sigma: c.f("forced_sigma")?,
    })
}

fn parse_obs(c: &Cells) -> Result<ObsRow> {
    Ok(ObsRow {
        obs_id: c.s("obs_id")?,
        mjd: c.f("mjd")?,
        ra_pnt: c.f("ra_pnt")?,
        dec_pnt: c.f("dec_pnt")?,
        files: c.s("files")?,
        n_alerts: c.f("n_alerts")? as i64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_round_trips_through_its_tables() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Archive::default();
        a.sources.push(ArchSource {
            id: "EXOD J095822.1-110334".into(),
            ra: 149.59208333333334,
            dec: -11.059444,
            pos_err: 1.5,
            origin: "catalog".into(),
            first_obs: String::new(),
            label: "src 1, bright".into(),
        });
        let ep = |obs: &str, mjd: f64, state| EpochRow {
            source: "EXOD J095822.1-110334".into(),
            epoch: EpochFlux {
                obs_id: obs.into(),
                mjd,
                state,
                short_term_p: Some(0.25),
            },
            forced_sigma: 1.5,
        };
        let o = |obs: &str, mjd| ObsRow {
            obs_id: obs.into(),
            mjd,
            ra_pnt: 149.6,
            dec_pnt: -11.06,
            files: "/a/m1.fits;/a/m2.fits".into(),
            n_alerts: 0,
        };
        a.replace_observation(
            o("0201903501", 53173.5),
            vec![ep(
                "0201903501",
                53173.5,
                FluxState::UpperLimit { ul: 3e-15 },
            )],
        );
        a.replace_observation(
            o("0201901401", 53134.2),
            vec![ep(
                "0201901401",
                53134.2,
                FluxState::Detected {
                    flux: 1.25e-14,
                    lo: 1e-14,
                    hi: 1.5e-14,
                },
            )],
        );
        a.save(dir.path(), &[]).unwrap();
        let b = Archive::load(dir.path()).unwrap();
        assert_eq!(a, b);
        // sorted by time, and a replay of one observation replaces its rows
        assert_eq!(b.observations[0].obs_id, "0201901401");
        let mut c = b.clone();
        c.replace_observation(
            o("0201903501", 53173.5),
            vec![ep("0201903501", 53173.5, FluxState::NotCovered)],
        );
        assert_eq!(c.epochs.len(), 2);
        assert_eq!(c.observations.len(), 2);
        assert_eq!(c.epochs_of("EXOD J095822.1-110334", "0201903501").len(), 1);
    }

    #[test]
    fn a_damaged_table_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        Archive::default().save(dir.path(), &[]).unwrap();
        let p = Archive::folder(dir.path()).join("epochs.ecsv");
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, text + "X,0101,53000,bright,1,1,1,1,1,1\n").unwrap();
        let e = format!("{:#}", Archive::load(dir.path()).unwrap_err());
        assert!(e.contains("epochs.ecsv") && e.contains("bright"), "{e}");
    }
}
