//! `exod photometry`: fluxes and upper limits of catalogued sources (or one position) in one
//! observation — per camera, band and EPIC combined, with forced photometry and a χ² test of
//! each source's light curve ([`exod_core::photometry`]) — as `photometry.fits`,
//! `photometry.ecsv` ([`exod_io::photometry`]) and `photometry.json` (parameters, ECF source,
//! summary).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use exod_core::photometry::{
    kbn, measure_many, EcfTable, PhotometryParams, SourcePhotometry, Target,
};
use exod_io::context::{creation_date, KeyValue};
use exod_io::photometry::{write, PhotometryMeta};
use exod_io::table::provenance;
use exod_io::table_in::{read_table, TableOptions, ID_NAMES};
use serde_json::json;

use super::followup::{self, ExtractArgs};

#[derive(clap::Args)]
pub struct Args {
    /// Event lists of one observation (pn, MOS1, MOS2), or a PPS folder.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Sources to measure: a catalogue (FITS, CSV, ECSV, VOTable) with RA/Dec columns (found
    /// by name) and a name/id column, e.g. `exod_sources.fits` of `exod catalog`, an OBSMLI
    /// list or a 4XMM extract.
    #[arg(long, conflicts_with_all = ["ra", "dec"])]
    pub catalog: Option<PathBuf>,
    /// RA column of `--catalog` (default: RA, RA_DEG, RAJ2000, …).
    #[arg(long, requires = "catalog")]
    pub ra_col: Option<String>,
    /// Dec column of `--catalog` (default: DEC, DEC_DEG, DEJ2000, …).
    #[arg(long, requires = "catalog")]
    pub dec_col: Option<String>,
    /// Name/id column of `--catalog` (default: the first of NAME, IAUNAME, SRCID, ID, … present;
    /// the row number without one).
    #[arg(long, requires = "catalog")]
    pub name_col: Option<String>,
    /// One position: right ascension (degrees, or sexagesimal hours "10:00:28.6").
    #[arg(long, allow_hyphen_values = true, requires = "dec")]
    pub ra: Option<String>,
    /// One position: declination (degrees, or sexagesimal "+02:12:21").
    #[arg(long, allow_hyphen_values = true, requires = "ra")]
    pub dec: Option<String>,
    /// Name of the `--ra/--dec` position in the table.
    #[arg(long, default_value = "target")]
    pub name: String,
    /// Confidence level of the upper limits (Kraft, Burrows & Nousek 1991). Default 3σ one-sided.
    #[arg(long, default_value_t = 0.998_650_101_968_369_9)]
    pub confidence: f64,
    /// Detection threshold (σ, one-sided) of the background-only Poisson test and of the forced
    /// photometry's Bayes factors.
    #[arg(long, default_value_t = 3.0)]
    pub sigma: f64,
    /// Bin sizes (s) of the forced photometry (comma-separated; the most significant is kept).
    #[arg(long, value_delimiter = ',', default_value = "50")]
    pub tbin: Vec<f64>,
    /// Smallest bin (s) of the χ² test against a constant (widened to ≥ 10 expected counts).
    #[arg(long, default_value_t = 500.0)]
    pub chi2_tbin: f64,
    /// Label of the observation in the table (default: OBS_ID of the event lists).
    #[arg(long)]
    pub obs_label: Option<String>,
    /// ECF table (CSV: band,e_lo_kev,e_hi_kev,filter,pn,m1,m2; units 1e11 ct cm² erg⁻¹); default
    /// the embedded Watson et al. 2009 Table 1.
    #[arg(long)]
    pub ecf: Option<PathBuf>,
    /// Filter whose ECFs are used when the event list's FILTER is absent or unknown.
    #[arg(long, default_value = "Medium")]
    pub default_filter: String,
    /// Catalogue sources farther than this from the pointing (arcmin) are left out.
    #[arg(long, default_value_t = 20.0)]
    pub field_radius: f64,
    /// Source aperture radius (arcsec); default: the radius holding `--eef` of the PSF.
    #[arg(long)]
    pub src_radius: Option<f64>,
    /// Encircled-energy fraction of the default source radius.
    #[arg(long, default_value_t = 0.8)]
    pub eef: f64,
    /// Background annulus inner radius (arcsec; raised to 2× the source radius).
    #[arg(long, default_value_t = 60.0)]
    pub bkg_inner: f64,
    /// Background annulus outer radius (arcsec).
    #[arg(long, default_value_t = 150.0)]
    pub bkg_outer: f64,
    /// Source list whose sources the background also avoids (default: a PPS folder's OBSMLI).
    #[arg(long)]
    pub srclist: Option<PathBuf>,
    /// Cameras to use (comma-separated pn,m1,m2; default all the lists given).
    #[arg(long, value_delimiter = ',')]
    pub camera: Vec<String>,
    /// Output directory: photometry.fits, photometry.ecsv, photometry.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace a non-empty output directory.
    #[arg(long)]
    pub overwrite: bool,
}

impl Args {
    fn extract_args(&self) -> ExtractArgs {
        ExtractArgs {
            band: Some("0.2-12".into()),
            src_radius: self.src_radius,
            eef: self.eef,
            bkg_inner: self.bkg_inner,
            bkg_outer: self.bkg_outer,
            srclist: self.srclist.clone(),
            camera: self.camera.clone(),
        }
    }

    /// The library parameters of these options.
    pub fn params(&self) -> Result<PhotometryParams> {
        let ecf = match &self.ecf {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("{}: cannot read the ECF table", p.display()))?;
                EcfTable::parse(&text, &p.display().to_string())?
            }
            None => EcfTable::default(),
        };
        let p = PhotometryParams {
            confidence: self.confidence,
            detect_sigma: self.sigma,
            ecf,
            default_filter: self.default_filter.clone(),
            tbins: self.tbin.clone(),
            chi2_tbin: self.chi2_tbin,
            field_radius_arcmin: self.field_radius,
            extract: self.extract_args().params()?,
            ..PhotometryParams::default()
        };
        p.validate()?;
        Ok(p)
    }
}

/// The targets of `a`: the catalogue's rows or the one position.
fn targets(a: &Args) -> Result<Vec<Target>> {
    if let (Some(ra), Some(dec)) = (&a.ra, &a.dec) {
        let (r, d) = super::target::parse_position(ra, dec)?;
        return Ok(vec![Target {
            name: a.name.clone(),
            ra: r,
            dec: d,
        }]);
    }
    let Some(path) = &a.catalog else {
        bail!("give the sources as --catalog FILE or one position as --ra RA --dec DEC");
    };
    let t = read_table(path, &TableOptions::default())?;
    let (ra, dec) = t.positions(a.ra_col.as_deref(), a.dec_col.as_deref())?;
    let mut names = vec!["NAME", "IAUNAME", "SRCNAME", "SOURCE"];
    names.extend_from_slice(ID_NAMES);
    let col = match &a.name_col {
        Some(c) => Some(t.pick(Some(c), &names, "name or id", "--name-col")?),
        None => t.pick_optional(None, &names),
    };
    let texts = col.map(|c| t.texts(c));
    let out: Vec<Target> = (0..t.len())
        .filter(|&i| ra[i].is_finite() && dec[i].is_finite())
        .map(|i| Target {
            name: texts
                .as_ref()
                .map_or_else(|| format!("row{}", i + 1), |v| v[i].trim().to_string()),
            ra: ra[i],
            dec: dec[i],
        })
        .collect();
    if out.is_empty() {
        bail!(
            "{}: no source with a position ({} rows)",
            path.display(),
            t.len()
        );
    }
    Ok(out)
}

/// The header keywords of the outputs: provenance and parameters.
fn meta(p: &PhotometryParams, obs: &str, date: &str) -> PhotometryMeta {
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let mut k = provenance(date, &command);
    let mut add = |key: &str, v: KeyValue, c: &str| k.push((key.into(), v, c.into()));
    add("OBS_ID", obs.into(), "observation");
    add(
        "CONFLEV",
        p.confidence.into(),
        "confidence level of the KBN upper limits",
    );
    add(
        "DETSIGMA",
        p.detect_sigma.into(),
        "detection threshold (sigma, one-sided)",
    );
    add(
        "ECFSRC",
        p.ecf.source.clone().into(),
        "source of the energy conversion factors",
    );
    add(
        "ECFGAMMA",
        p.ecf.gamma.into(),
        "photon index of the ECF reference spectrum",
    );
    add(
        "ECFNH",
        p.ecf.nh_cm2.into(),
        "[cm-2] N_H of the ECF reference spectrum",
    );
    let tb: Vec<String> = p.tbins.iter().map(|t| t.to_string()).collect();
    add(
        "TBINS",
        tb.join(",").into(),
        "[s] bin sizes of the forced photometry",
    );
    add(
        "CHI2TBIN",
        p.chi2_tbin.into(),
        "[s] smallest bin of the chi2 test",
    );
    add(
        "VIGNET",
        "1/(1+(theta/13.5arcmin)^2)".into(),
        "vignetting model (energy independent)",
    );
    PhotometryMeta { keywords: k }
}

/// What `photometry.json` says: parameters, ECF source and a summary.
fn summary(
    a: &Args,
    p: &PhotometryParams,
    obs: &str,
    rows: &[SourcePhotometry],
) -> serde_json::Value {
    let covered = rows.iter().filter(|r| r.covered).count();
    let detected = rows
        .iter()
        .filter(|r| r.epic8().is_some_and(|m| m.detected))
        .count();
    let transient: Vec<&str> = rows
        .iter()
        .filter(|r| r.forced.as_ref().is_some_and(|f| f.transient))
        .map(|r| r.source.as_str())
        .collect();
    json!({
        "obs_id": obs,
        "inputs": a.files,
        "catalog": a.catalog,
        "parameters": {
            "confidence": p.confidence,
            "detect_sigma": p.detect_sigma,
            "detect_p": kbn::one_sided_p(p.detect_sigma),
            "bands": p.bands,
            "tbins": p.tbins,
            "chi2_tbin": p.chi2_tbin,
            "chi2_min_counts": p.chi2_min_counts,
            "default_filter": p.default_filter,
            "field_radius_arcmin": p.field_radius_arcmin,
            "avoid_radius_arcsec": p.avoid_radius_arcsec,
            "extract": p.extract,
            "vignetting": "1/(1 + (theta/13.5')^2), energy independent",
        },
        "ecf": {"source": p.ecf.source, "gamma": p.ecf.gamma, "nh_cm2": p.ecf.nh_cm2, "rows": p.ecf.rows},
        "n_rows": rows.len(),
        "n_covered": covered,
        "n_detected_epic_band8": detected,
        "forced_transients": transient,
        "warnings": rows.iter().flat_map(|r| r.warnings.iter().map(move |w| format!("{}: {w}", r.source))).collect::<Vec<_>>(),
    })
}

pub fn run(a: Args) -> Result<()> {
    let params = a.params()?;
    let tgts = targets(&a)?;
    let ex = a.extract_args();
    let (exposures, srclist) = followup::read_exposures(&a.files, &ex)?;
    let avoid = followup::exclusions(srclist.as_ref(), &exposures)?;
    let obs = a.obs_label.clone().unwrap_or_else(|| {
        exposures
            .iter()
            .find_map(|e| e.header().obs_id.clone())
            .unwrap_or_default()
    });
    let rows = measure_many(&exposures, &obs, &tgts, &avoid, &params)?;
    if rows.is_empty() {
        tracing::warn!(
            "none of the {} source(s) is within {}′ of the pointing: the table is empty",
            tgts.len(),
            params.field_radius_arcmin
        );
    }
    let stage = crate::staging::Staged::begin(&a.out, a.overwrite)?;
    let dir = stage.path();
    let date = creation_date();
    write(
        &dir.join("photometry.fits"),
        &dir.join("photometry.ecsv"),
        &rows,
        &meta(&params, &obs, &date),
        &date,
    )?;
    let text = serde_json::to_string_pretty(&summary(&a, &params, &obs, &rows))? + "\n";
    let jp = dir.join("photometry.json");
    std::fs::write(&jp, text).with_context(|| format!("{}: cannot write", jp.display()))?;
    stage.commit()?;
    print_table(&rows);
    println!("{}", a.out.display());
    Ok(())
}

/// One line per source: EPIC band-8 counts, background, flux or upper limit, forced σ.
fn print_table(rows: &[SourcePhotometry]) {
    println!(
        "{:<24} {:>6} {:>8} {:>10} {:>12} {:>6}",
        "source", "N", "b", "p_bkg", "F or UL", "σ_fp"
    );
    for r in rows {
        match r.epic8() {
            Some(m) => {
                let f = if m.detected {
                    format!("{:.3e}", m.flux)
                } else {
                    format!("<{:.3e}", m.flux_ul)
                };
                let s = r.forced.as_ref().map_or(f64::NAN, |f| f.sigma_peak);
                println!(
                    "{:<24} {:>6} {:>8.2} {:>10.2e} {:>12} {:>6.2}",
                    r.source, m.counts, m.bkg_expected, m.p_bkg, f, s
                );
            }
            None => println!("{:<24} not covered", r.source),
        }
    }
}
