//! The files of a catalogue (paper §3; EXOD2's `EXOD_DR1_cat.fits` and `_unique.fits`, §8.7 of
//! the reference, with their faults fixed: rows joined by DETID, never by position; every
//! column with a unit and a description; all Table 1 flags as columns):
//!
//! * `exod_detections.{fits,ecsv,parquet}` — one row per detection, ordered by (SRCID, OBSID,
//!   DETID): the search's measurements, the source it belongs to, its EPIC-frame position and
//!   hot area, the six flags of Table 1, light-curve statistics, and `LC_FIRST`/`LC_NBINS`, its
//!   rows in `exod_lightcurves.fits`.
//! * `exod_sources.{fits,ecsv,parquet}` — one row per unique source.
//! * `exod_hot_areas.ecsv` — the hot areas found in the data.
//! * `exod_lightcurves.fits` — every light curve in one table `LIGHTCURVES` (DETID, TIME, N,
//!   MU, BTI, LIVE), rows of a detection contiguous, plus an `INDEX` extension (DETID, FIRST
//!   (0-based row), NBINS, TBIN).
//! * `exod_sources.reg` — DS9 regions (fk5) of the sources, radius 3 × POS_ERR (at least 5″),
//!   named, flagged ones dashed.

use std::path::{Path, PathBuf};

use exod_core::catalog::flags::DESCRIPTIONS;
use exod_core::catalog::hot::HotArea;
use exod_core::catalog::{Catalog, CatalogDetection, UniqueSource};
use exod_core::search::LightCurve;

use crate::context::KeyValue;
use crate::error::IoError;
use crate::table::{self, Rows, Table};

/// Provenance keywords written to every table (CREATOR, DATE, COMMAND, parameters…).
pub type Keywords = Vec<(String, KeyValue, String)>;

fn mjd(t: f64, mjdref: f64) -> f64 {
    mjdref + t / 86_400.0
}

fn identity_columns(c: &mut Rows<CatalogDetection>) {
    c.s(
        "DETID",
        "detection id <obsid>_<unit>_<band>_<tbin>_<rank>",
        |d| d.det.detid.clone(),
    );
    c.i("SRCID", "", "unique source (row of exod_sources)", |d| {
        d.srcid as i64
    });
    c.s("SRCNAME", "IAU name of the unique source", |d| {
        d.srcname.clone()
    });
    c.s("OBSID", "observation identifier", |d| d.det.obsid.clone());
    c.s("UNIT", "searched camera subset <obsid>_<k>", |d| {
        d.det.unit.clone()
    });
    c.s("KIND", "peak (burst) or eclipse (dip)", |d| {
        d.det.kind.as_str().to_string()
    });
    c.s("BAND", "energy band of the run (keV)", |d| {
        d.det.band.clone()
    });
    c.f("TBIN", "s", "time bin of the run", |d| d.det.tbin);
}

fn measure_columns(c: &mut Rows<CatalogDetection>) {
    c.f("RA", "deg", "right ascension of the photon centroid", |d| {
        d.det.ra
    });
    c.f("DEC", "deg", "declination of the photon centroid", |d| {
        d.det.dec
    });
    c.f("POS_ERR", "arcsec", "1-sigma radial position error", |d| {
        d.det.pos_err
    });
    c.f(
        "SEP_SRC",
        "arcsec",
        "separation from its source's position",
        |d| d.sep_from_source,
    );
    c.f(
        "SIGMA",
        "",
        "decision sigma-equivalent (the threshold's statistic)",
        |d| d.det.sigma,
    );
    c.f(
        "REGION_SIGMA",
        "",
        "sigma-equivalent of the region's Bayes factor",
        |d| d.det.region_sigma,
    );
    c.i(
        "REGION_N",
        "ct",
        "observed counts of the region in its peak frame",
        |d| d.det.region_n as i64,
    );
    c.f(
        "REGION_MU",
        "ct",
        "expected counts of the region in its peak frame",
        |d| d.det.region_mu,
    );
    c.f(
        "T_START",
        "s",
        "start of the first flagged frame (mission time)",
        |d| d.det.t_start,
    );
    c.f(
        "T_STOP",
        "s",
        "end of the last flagged frame (mission time)",
        |d| d.det.t_stop,
    );
    c.f(
        "T_PEAK",
        "s",
        "centre of the most significant frame (mission time)",
        |d| d.det.t_peak,
    );
    c.f(
        "MJD_START",
        "d",
        "T_START as MJD (TIMESYS of the observation)",
        |d| mjd(d.det.t_start, d.det.mjdref),
    );
    c.f("MJD_STOP", "d", "T_STOP as MJD", |d| {
        mjd(d.det.t_stop, d.det.mjdref)
    });
    c.f("MJD_PEAK", "d", "T_PEAK as MJD", |d| {
        mjd(d.det.t_peak, d.det.mjdref)
    });
    c.b(
        "BTI",
        "the most significant frame is a bad (flaring) time interval",
        |d| d.det.bti,
    );
}

fn frame_columns(c: &mut Rows<CatalogDetection>) {
    let p = |d: &CatalogDetection, k: usize| {
        d.det.pointing.map_or(f64::NAN, |p| [p.ra, p.dec, p.pa][k])
    };
    c.f(
        "RA_PNT",
        "deg",
        "RA of the observation's pointing",
        move |d| p(d, 0),
    );
    c.f(
        "DEC_PNT",
        "deg",
        "Dec of the observation's pointing",
        move |d| p(d, 1),
    );
    c.f(
        "PA_PNT",
        "deg",
        "position angle (roll) of the pointing",
        move |d| p(d, 2),
    );
    c.f(
        "X_EPIC",
        "arcsec",
        "x in the detector-fixed EPIC frame",
        |d| d.epic_frame.map_or(f64::NAN, |e| e.0),
    );
    c.f(
        "Y_EPIC",
        "arcsec",
        "y in the detector-fixed EPIC frame",
        |d| d.epic_frame.map_or(f64::NAN, |e| e.1),
    );
    c.i(
        "HOT_AREA",
        "",
        "hot area it falls in (exod_hot_areas.ecsv id), 0 if none",
        |d| d.hot_area_id.map_or(0, |h| h as i64),
    );
    for (k, (name, desc)) in DESCRIPTIONS.iter().enumerate() {
        c.b(
            &format!("FLAG_{}", name.to_ascii_uppercase()),
            desc,
            move |d| d.flags().as_array()[k],
        );
    }
}

fn curve_columns(c: &mut Rows<CatalogDetection>) {
    let g = |d: &CatalogDetection, f: &dyn Fn(&exod_core::catalog::CurveStats) -> f64| {
        d.det.curve.as_ref().map_or(f64::NAN, f)
    };
    c.f(
        "LC_N_MAX",
        "ct",
        "largest count in a light-curve bin",
        move |d| g(d, &|s| s.n_max as f64),
    );
    c.f(
        "LC_N_MIN",
        "ct",
        "smallest count in a light-curve bin",
        move |d| g(d, &|s| s.n_min as f64),
    );
    c.f(
        "LC_N_SUM",
        "ct",
        "total counts of the light curve",
        move |d| g(d, &|s| s.n_sum as f64),
    );
    c.f("LC_N_MEAN", "ct", "mean counts per bin", move |d| {
        g(d, &|s| s.n_mean)
    });
    c.f(
        "LC_N_STD",
        "ct",
        "standard deviation of the counts per bin",
        move |d| g(d, &|s| s.n_std),
    );
    c.f(
        "LC_MU_SUM",
        "ct",
        "total expected counts of the light curve",
        move |d| g(d, &|s| s.mu_sum),
    );
    c.f(
        "LC_PEAK_RATE",
        "ct/s",
        "peak count rate, live-time corrected",
        move |d| g(d, &|s| s.peak_rate),
    );
    c.f(
        "LC_RATIO_BTI",
        "",
        "fraction of the bins in bad time intervals (0-1)",
        move |d| g(d, &|s| s.ratio_bti),
    );
    c.f(
        "LC_CHI2",
        "",
        "Pearson chi2 of the counts against mu",
        move |d| g(d, &|s| s.chi2),
    );
    c.f(
        "LC_CSTAT",
        "",
        "Poisson likelihood-ratio (Cash) statistic against mu",
        move |d| g(d, &|s| s.cstat),
    );
    c.f("LC_DOF", "", "bins in LC_CHI2 and LC_CSTAT", move |d| {
        g(d, &|s| s.dof as f64)
    });
    c.f(
        "LC_P_CONST",
        "",
        "probability of a curve this far from mu (chi2 of LC_CSTAT)",
        move |d| g(d, &|s| s.p_const),
    );
    c.f(
        "LC_N_PEAKS",
        "",
        "runs of significant bins in the light curve",
        move |d| g(d, &|s| s.n_peaks as f64),
    );
}

/// The detection table (without the light-curve index columns).
pub fn detections_table(cat: &Catalog) -> Table {
    let mut c = Rows::new(&cat.detections, "DETECTIONS");
    identity_columns(&mut c);
    measure_columns(&mut c);
    frame_columns(&mut c);
    curve_columns(&mut c);
    c.table
}

fn source_counts(c: &mut Rows<UniqueSource>) {
    c.i("SRCID", "", "source number", |s| s.srcid as i64);
    c.s("NAME", "IAU name EXOD JHHMMSS.s+DDMMSS (truncated)", |s| {
        s.name.clone()
    });
    c.f("RA", "deg", "error-weighted mean right ascension", |s| s.ra);
    c.f("DEC", "deg", "error-weighted mean declination", |s| s.dec);
    c.f(
        "POS_ERR",
        "arcsec",
        "1-sigma radial error of the position",
        |s| s.pos_err,
    );
    c.i("N_DETECTIONS", "", "detections of the source", |s| {
        s.n_detections as i64
    });
    c.i("N_OBS", "", "observations it is detected in", |s| {
        s.n_obs as i64
    });
    c.i("N_UNITS", "", "camera subsets it is detected in", |s| {
        s.n_units as i64
    });
    c.i(
        "N_RUNS",
        "",
        "distinct band x t_bin runs it is detected in",
        |s| s.n_runs as i64,
    );
    c.s(
        "BANDS",
        "energy bands where seen (keV, comma-separated)",
        |s| s.bands.join(","),
    );
    c.s("TBINS", "time bins where seen (s, comma-separated)", |s| {
        s.tbins
            .iter()
            .map(|t| format!("{t}"))
            .collect::<Vec<_>>()
            .join(",")
    });
    c.i("N_PEAKS", "", "peak detections", |s| s.n_peaks as i64);
    c.i("N_ECLIPSES", "", "eclipse detections", |s| {
        s.n_eclipses as i64
    });
}

fn source_stats(c: &mut Rows<UniqueSource>) {
    c.f(
        "MAX_SIGMA_PEAK",
        "",
        "largest decision sigma of its peaks (NaN if none)",
        |s| s.max_sigma_peak,
    );
    c.f(
        "MAX_SIGMA_ECLIPSE",
        "",
        "largest decision sigma of its eclipses (NaN if none)",
        |s| s.max_sigma_eclipse,
    );
    c.f("MJD_FIRST", "d", "start of its first detection", |s| {
        s.mjd_first
    });
    c.f("MJD_LAST", "d", "end of its last detection", |s| s.mjd_last);
    c.f(
        "PEAK_RATE",
        "ct/s",
        "largest live-time corrected peak rate of its light curves",
        |s| s.peak_rate,
    );
    for (k, (name, desc)) in DESCRIPTIONS.iter().enumerate() {
        let n = name.to_ascii_uppercase();
        c.i(
            &format!("N_{n}"),
            "",
            &format!("detections with flag {name}: {desc}"),
            move |s| s.n_flagged[k] as i64,
        );
    }
    for (k, (name, desc)) in DESCRIPTIONS.iter().enumerate() {
        let n = name.to_ascii_uppercase();
        c.b(
            &format!("FLAG_{n}"),
            &format!("every detection has flag {name} ({desc})"),
            move |s| s.flags.as_array()[k],
        );
    }
    c.b("CLEAN", "at least one detection has no flag", |s| s.clean);
    c.s("DETIDS", "its detections (comma-separated DETIDs)", |s| {
        s.detids.clone()
    });
    c.s("OBSIDS", "its observations (comma-separated)", |s| {
        s.obsids.clone()
    });
}

/// The unique-source table.
pub fn sources_table(cat: &Catalog) -> Table {
    let mut c = Rows::new(&cat.sources, "SOURCES");
    source_counts(&mut c);
    source_stats(&mut c);
    c.table
}

/// The hot-area table.
pub fn hot_areas_table(areas: &[HotArea]) -> Table {
    let mut c = Rows::new(areas, "HOT_AREAS");
    c.i("ID", "", "hot area number", |a| a.id as i64);
    c.f("TBIN", "s", "time-bin class it was found in", |a| a.tbin);
    c.f("X_EPIC", "arcsec", "centre x in the EPIC frame", |a| a.x_e);
    c.f("Y_EPIC", "arcsec", "centre y in the EPIC frame", |a| a.y_e);
    c.f(
        "RADIUS",
        "arcsec",
        "largest distance of a member from the centre",
        |a| a.radius_arcsec,
    );
    c.i("N_DETECTIONS", "", "detections in it", |a| {
        a.n_detections as i64
    });
    c.i("N_OBS", "", "distinct observations among them", |a| {
        a.n_obs as i64
    });
    c.f(
        "P_VALUE",
        "",
        "chance probability of N_OBS for sky sources (trials-corrected)",
        |a| a.p_value,
    );
    c.table
}

/// The light curves of the catalogue's detections, in its order, as the `LIGHTCURVES` and
/// `INDEX` tables; also returns each detection's (first row, number of bins).
fn lightcurve_tables(
    cat: &Catalog,
    curves: &[Option<&LightCurve>],
) -> (Table, Table, Vec<(i64, i64)>) {
    let (mut id, mut time, mut n, mut mu, mut bti, mut live) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut index = Vec::with_capacity(curves.len());
    for (d, c) in cat.detections.iter().zip(curves) {
        let first = time.len() as i64;
        if let Some(l) = c {
            for k in 0..l.n.len() {
                id.push(d.det.detid.clone());
                time.push(l.t0 + k as f64 * l.tbin);
                n.push(l.n[k] as i64);
                mu.push(l.mu[k]);
                bti.push(l.bti[k]);
                live.push(l.live[k] as f64);
            }
        }
        index.push((first, time.len() as i64 - first));
    }
    let mut t = Table::new("LIGHTCURVES");
    t.str("DETID", "detection (exod_detections DETID)", id);
    t.f64("TIME", "s", "start of the bin (mission time)", time);
    t.i64("N", "ct", "observed counts over the region cells", n);
    t.f64("MU", "ct", "expected counts over the region cells", mu);
    t.bool("BTI", "bin in a bad (flaring) time interval", bti);
    t.f64("LIVE", "", "mean live fraction of the region cells", live);
    let mut x = Table::new("INDEX");
    x.str(
        "DETID",
        "detection",
        cat.detections.iter().map(|d| d.det.detid.clone()).collect(),
    );
    x.i64(
        "FIRST",
        "",
        "first row (0-based) of its curve in LIGHTCURVES",
        index.iter().map(|i| i.0).collect(),
    );
    x.i64(
        "NBINS",
        "",
        "number of bins of its curve (0: none)",
        index.iter().map(|i| i.1).collect(),
    );
    x.f64(
        "TBIN",
        "s",
        "bin length",
        cat.detections.iter().map(|d| d.det.tbin).collect(),
    );
    (t, x, index)
}

/// DS9 regions (fk5) of the sources: circles of 3 × POS_ERR (≥ 5″), named; dashed when every
/// detection is flagged.
pub fn sources_regions(sources: &[UniqueSource]) -> String {
    let mut s = String::from("# Region file format: DS9 version 4.1\n# exod unique sources\nglobal color=green width=2\nfk5\n");
    for src in sources
        .iter()
        .filter(|s| s.ra.is_finite() && s.dec.is_finite())
    {
        let r = if src.pos_err.is_finite() {
            (3.0 * src.pos_err).max(5.0)
        } else {
            10.0
        };
        let dash = if src.clean { "" } else { " dash=1 color=red" };
        s.push_str(&format!(
            "circle({:.6},{:+.6},{:.2}\") # text={{{}}}{dash}\n",
            src.ra, src.dec, r, src.name
        ));
    }
    s
}

/// Write every table of the catalogue into `out` (which must exist), `prov` on every table,
/// `date` in the checksum comments; Parquet too when `parquet`. Returns the files written.
pub fn write_catalog(
    out: &Path,
    cat: &Catalog,
    curves: &[Option<&LightCurve>],
    prov: &Keywords,
    date: &str,
    parquet: bool,
) -> Result<Vec<PathBuf>, IoError> {
    let (lcs, index, rows) = lightcurve_tables(cat, curves);
    let mut dets = detections_table(cat);
    dets.i64(
        "LC_FIRST",
        "",
        "first row (0-based) of its curve in exod_lightcurves.fits",
        rows.iter().map(|r| r.0).collect(),
    );
    dets.i64(
        "LC_NBINS",
        "",
        "bins of its curve in exod_lightcurves.fits (0: none)",
        rows.iter().map(|r| r.1).collect(),
    );
    let srcs = sources_table(cat);
    let mut written = Vec::new();
    for (stem, t) in [("exod_detections", &dets), ("exod_sources", &srcs)] {
        let p = out.join(format!("{stem}.fits"));
        table::write_fits(&p, &[t], prov, date)?;
        let e = out.join(format!("{stem}.ecsv"));
        table::write_ecsv(&e, t, prov)?;
        written.extend([p, e]);
        if parquet {
            written.push(write_parquet(out, stem, t, prov)?);
        }
    }
    let h = out.join("exod_hot_areas.ecsv");
    table::write_ecsv(&h, &hot_areas_table(&cat.hot_areas), prov)?;
    let l = out.join("exod_lightcurves.fits");
    table::write_fits(&l, &[&lcs, &index], prov, date)?;
    let r = out.join("exod_sources.reg");
    crate::fits::write_atomic(&r, |tmp| std::fs::write(tmp, sources_regions(&cat.sources)))
        .map_err(|error| IoError::Io {
            path: r.clone(),
            error,
        })?;
    written.extend([h, l, r]);
    Ok(written)
}

#[cfg(feature = "parquet")]
fn write_parquet(out: &Path, stem: &str, t: &Table, prov: &Keywords) -> Result<PathBuf, IoError> {
    let p = out.join(format!("{stem}.parquet"));
    table::write_parquet(&p, t, prov)?;
    Ok(p)
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(
    out: &Path,
    _stem: &str,
    _t: &Table,
    _prov: &Keywords,
) -> Result<PathBuf, IoError> {
    Err(IoError::Output {
        path: out.into(),
        msg: "Parquet outputs need exod built with the `parquet` feature".into(),
    })
}
