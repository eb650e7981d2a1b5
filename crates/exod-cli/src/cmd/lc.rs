//! `exod lc`: the light curve of a source from the event lists — per camera and combined EPIC,
//! live-time corrected and background subtracted, with low-count errors, Bayesian blocks,
//! variability tests and (with `--flare`) flare-profile fits — as OGIP FITS, ECSV, JSON and PNG.
//! With `--ignore-wcs`, the whole-field curve of every event instead (module `lc_field`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use exod_core::extract::Extraction;
use exod_core::gti::Gti;
use exod_core::timesys::{Barycentre, TimeReference};
use exod_core::timing::lightcurve::{combine, BinGrid, ErrorMethod, LcParams, LightCurve};
use exod_io::lc_out::{write_ecsv, write_fits, LcFileMeta};

use super::followup::{self, ExtractArgs};
use super::target::{self, Target, TargetArgs};

#[derive(clap::Args)]
pub struct Args {
    /// Event lists of one observation (pn, MOS1, MOS2), or a PPS folder.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub extract: ExtractArgs,
    /// Bin size (s).
    #[arg(long, default_value_t = 100.0)]
    pub tbin: f64,
    /// Start of the first bin (mission s; default the earliest GTI start).
    #[arg(long)]
    pub t0: Option<f64>,
    /// Errors of the rates: gehrels (Gehrels 1986 1σ) or bayes (Kraft, Burrows & Nousek 1991
    /// 68.3 % interval with the background).
    #[arg(long, default_value = "gehrels")]
    pub errors: String,
    /// Bins with less than this fraction of live time are kept in the files but left out of
    /// the variability statistics and the plot.
    #[arg(long, default_value_t = 0.1)]
    pub min_fracexp: f64,
    /// False-alarm probability of a Bayesian-block change point (Scargle et al. 2013).
    #[arg(long, default_value_t = 0.05)]
    pub p0: f64,
    /// Fit flare profiles (exponential, double exponential, FRED) by C-stat.
    #[arg(long)]
    pub flare: bool,
    /// Interval of the flare fit, START,STOP (mission s); default: a detection's interval
    /// widened by 3× its length (≥ 20 bins) on each side, else the whole curve.
    #[arg(long, value_delimiter = ',', requires = "flare")]
    pub flare_window: Option<Vec<f64>>,
    /// Correct the times to the solar-system barycentre (TDB).
    #[arg(long)]
    pub barycenter: bool,
    /// Spacecraft orbit file (TIME, X, Y, Z) for `--barycenter` (without it, XMM times are off
    /// by up to 0.38 s).
    #[arg(long, requires = "barycenter")]
    pub orbit: Option<PathBuf>,
    /// Output directory: lc.fits, lc.ecsv, lc.json, lc.png.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace a non-empty output directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Print the summary (lc.json) on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Timing only: the whole-field light curve of every event of each file (no sky region, no
    /// background), for lists whose positions are unusable (a malformed WCS, as the NuSTAR
    /// solar list's); no target is given.
    #[arg(long, conflicts_with_all = ["ra", "detection", "source"])]
    pub ignore_wcs: bool,
}

/// The barycentric correction of every time of an extraction (events and GTIs), in place.
pub fn barycentre_extraction(
    ext: &mut Extraction,
    tref: &TimeReference,
    orbit: Option<&Path>,
) -> Result<TimeReference> {
    let orbit = orbit.map(exod_io::timing_in::read_orbit).transpose()?;
    let bary = Barycentre::new(ext.ra, ext.dec, tref, orbit)?;
    for w in bary.warnings() {
        tracing::warn!("{w}");
    }
    for c in &mut ext.cameras {
        c.src.time = bary.correct_all(&c.src.time)?;
        c.bkg.time = bary.correct_all(&c.bkg.time)?;
        c.gti = barycentre_gti(&c.gti, &bary)?;
    }
    Ok(bary.output_time_ref())
}

/// A GTI with both ends of each interval corrected.
pub fn barycentre_gti(g: &Gti, bary: &Barycentre) -> Result<Gti> {
    let (mut a, mut b) = (vec![], vec![]);
    for &(s, e) in g.intervals() {
        a.push(bary.correct(s)?);
        b.push(bary.correct(e)?);
    }
    Ok(Gti::from_rows(&a, &b)?)
}

fn error_method(s: &str) -> Result<ErrorMethod> {
    match s {
        "gehrels" => Ok(ErrorMethod::Gehrels),
        "bayes" | "bayesian" | "kbn" => Ok(ErrorMethod::Bayesian),
        other => bail!("--errors {other:?}: expected gehrels or bayes"),
    }
}

/// The extraction of the target, barycentred when asked; with the time reference of its times.
pub fn extraction(
    files: &[PathBuf],
    tgt: &Target,
    ex: &ExtractArgs,
    barycenter: bool,
    orbit: Option<&Path>,
) -> Result<(
    Vec<exod_core::exposure::Exposure>,
    Extraction,
    TimeReference,
)> {
    let (exposures, srclist) = followup::read_exposures(files, ex)?;
    let exclude = followup::exclusions(srclist.as_ref(), &exposures)?;
    let mut ext = followup::extract_target(&exposures, tgt, ex, &exclude)?;
    let mut tref = TimeReference::from_header(exposures[0].header())
        .with_context(|| format!("{}: time keywords", exposures[0].path().display()))?;
    if barycenter {
        tref = barycentre_extraction(&mut ext, &tref, orbit)?;
    }
    Ok((exposures, ext, tref))
}

pub fn run(a: Args) -> Result<()> {
    if !(a.tbin > 0.0 && a.tbin.is_finite()) {
        bail!("--tbin {}: expected a positive number of seconds", a.tbin);
    }
    let method = error_method(&a.errors)?;
    if let Some(w) = &a.flare_window {
        if w.len() != 2 || !(w[1] > w[0]) {
            bail!("--flare-window {w:?}: expected START,STOP (mission s) with STOP > START");
        }
    }
    let params = LcParams {
        method,
        min_fracexp: a.min_fracexp,
    };
    if a.ignore_wcs {
        return super::lc_field::run(&a, &params);
    }
    let tgt = target::resolve(&a.target)?;
    let (exposures, ext, tref) =
        extraction(&a.files, &tgt, &a.extract, a.barycenter, a.orbit.as_deref())?;
    let gtis: Vec<&Gti> = ext.cameras.iter().map(|c| &c.gti).collect();
    let grid = BinGrid::covering(&gtis, a.tbin, a.t0)?;
    let curves = ext
        .cameras
        .iter()
        .map(|c| LightCurve::from_extraction(c, &grid, &params))
        .collect::<Result<Vec<_>, _>>()?;
    let combined = if curves.len() > 1 {
        Some(combine(&curves)?)
    } else {
        None
    };
    let analysis = super::lc_analysis::analyse(&ext, &curves, combined.as_ref(), &tgt, &a)?;
    let stage = crate::staging::Staged::begin(&a.out, a.overwrite)?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let mut meta = LcFileMeta::from_exposures(&exposures, tgt.ra, tgt.dec, ext.band_ev, &command);
    meta.object = Some(tgt.label.clone());
    meta.timesys = tref.timesys.keyword().to_string();
    meta.timeref = tref.timeref.keyword().to_string();
    meta.timezero = tref.timezero;
    let dir = stage.path();
    write_fits(&dir.join("lc.fits"), &curves, combined.as_ref(), &meta)?;
    write_ecsv(&dir.join("lc.ecsv"), &curves, combined.as_ref(), &meta)?;
    let summary = super::lc_analysis::summary_json(&tgt, &ext, &curves, &analysis, &tref, &a);
    let text = serde_json::to_string_pretty(&summary)? + "\n";
    std::fs::write(dir.join("lc.json"), &text)
        .with_context(|| format!("{}: cannot write", dir.join("lc.json").display()))?;
    super::lc_analysis::plot(
        &dir.join("lc.png"),
        &tgt,
        &curves,
        combined.as_ref(),
        &analysis,
    )?;
    stage.commit()?;
    if a.json {
        print!("{text}");
    } else {
        super::lc_analysis::print_table(&curves, combined.as_ref(), &analysis);
        println!("{}", a.out.display());
    }
    Ok(())
}
