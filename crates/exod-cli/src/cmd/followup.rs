//! What the follow-up commands (`exod lc`, `exod period`, later `exod spectrum`) share: reading
//! one observation's event lists, the sources to avoid, the extraction of a target's source and
//! background events, and the barycentric correction of the extracted times.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use exod_core::band::Band;
use exod_core::exposure::Exposure;
use exod_core::extract::{extract, ExtractParams, Extraction};
use exod_core::instrument::Instrument;

use super::target::Target;

/// The extraction options of a follow-up command.
#[derive(clap::Args, Debug, Clone)]
pub struct ExtractArgs {
    /// Energy band (keV; default the instrument's full band: EPIC 0.2-12, ACIS 0.5-7, XRT
    /// 0.3-10, NuSTAR 3-79, eROSITA 0.2-5).
    #[arg(long)]
    pub band: Option<String>,
    /// Source aperture radius (arcsec); default: the radius holding `--eef` of the PSF at the
    /// off-axis angle (EPIC King PSF, within 10–60″; other instruments: a King profile of their
    /// HPD, within the range scaled by their HPD over EPIC's).
    #[arg(long)]
    pub src_radius: Option<f64>,
    /// Encircled-energy fraction of the default source radius.
    #[arg(long, default_value_t = 0.8)]
    pub eef: f64,
    /// Background annulus inner radius (arcsec; raised to 2× the source radius).
    #[arg(long, default_value_t = 60.0)]
    pub bkg_inner: f64,
    /// Background annulus outer radius (arcsec); the annulus is clipped to the source's CCD.
    #[arg(long, default_value_t = 150.0)]
    pub bkg_outer: f64,
    /// Source list (OBSMLI or any FITS list with RA/DEC) whose sources the background avoids;
    /// default: the `…OBSMLI…` file of a PPS folder given as input.
    #[arg(long)]
    pub srclist: Option<PathBuf>,
    /// Cameras to use (comma-separated pn,m1,m2; default all the lists given).
    #[arg(long, value_delimiter = ',')]
    pub camera: Vec<String>,
}

impl ExtractArgs {
    /// The library parameters of these options (band default: EPIC's 0.2–12 keV).
    pub fn params(&self) -> Result<ExtractParams> {
        self.params_for(None)
    }

    /// The library parameters of these options for lists of `instrument` (band default: its
    /// full band).
    pub fn params_for(&self, instrument: Option<Instrument>) -> Result<ExtractParams> {
        let band = match (&self.band, instrument) {
            (Some(b), _) => Band::parse(b)?,
            (None, Some(i)) => i.description().full_band(),
            (None, None) => Band::parse("0.2-12")?,
        };
        let p = ExtractParams {
            band_ev: (band.lo_ev, band.hi_ev),
            src_radius_arcsec: self.src_radius,
            eef: self.eef,
            bkg_inner_arcsec: self.bkg_inner,
            bkg_outer_arcsec: self.bkg_outer,
            ..ExtractParams::default()
        };
        p.validate()?;
        Ok(p)
    }
}

/// Read the event lists `files` (PPS folders expand to their lists and OBSMLI source list),
/// keeping the cameras of `--camera`.
pub fn read_exposures(
    files: &[PathBuf],
    ex: &ExtractArgs,
) -> Result<(Vec<Exposure>, Option<PathBuf>)> {
    let mut srclist = ex.srclist.clone();
    let files = super::detect::expand_pps_dirs(files, &mut srclist)?;
    if srclist.is_none() {
        srclist = obsmli_beside(&files);
        if let Some(s) = &srclist {
            tracing::info!("background avoids the sources of {} (beside the lists; --srclist to choose another)", s.display());
        }
    }
    let lists = super::detect::read_lists(&files, false)?.lists;
    let wanted: Vec<String> = ex
        .camera
        .iter()
        .map(|c| camera_short(c))
        .collect::<Result<_>>()?;
    let kept: Vec<Exposure> = lists
        .into_iter()
        .filter(|e| {
            let short = e.header().camera.map(|c| c.short().to_string());
            wanted.is_empty() || short.is_some_and(|s| wanted.contains(&s))
        })
        .collect();
    if kept.is_empty() {
        bail!(
            "no supported event list {}among {} file(s)",
            if wanted.is_empty() {
                String::new()
            } else {
                format!("of camera(s) {} ", wanted.join(","))
            },
            files.len()
        );
    }
    Ok((kept, srclist))
}

/// The one `…OBSMLI…` source list in the folder of the event lists, if they share a folder.
pub fn obsmli_beside(files: &[PathBuf]) -> Option<PathBuf> {
    let dir = files.first()?.parent()?.to_path_buf();
    if files.iter().any(|f| f.parent() != Some(dir.as_path())) {
        return None;
    }
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().to_ascii_uppercase().contains("OBSMLI"))
        })
        .collect();
    found.sort();
    (found.len() == 1).then(|| found.remove(0))
}

/// The EPIC short name ("PN", "M1", "M2") of a `--camera` value.
fn camera_short(c: &str) -> Result<String> {
    Ok(match c.to_ascii_lowercase().as_str() {
        "pn" => "PN",
        "m1" | "mos1" => "M1",
        "m2" | "mos2" => "M2",
        other => bail!("--camera {other:?}: expected pn, m1 or m2"),
    }
    .to_string())
}

/// The sources the background avoids: those of the source list, each with the EXOD mask
/// radius of its rate and extent (20/40/80″, 3× the extent; paper §2.5.2).
pub fn exclusions(
    srclist: Option<&PathBuf>,
    exposures: &[Exposure],
) -> Result<Vec<(f64, f64, f64)>> {
    let Some(path) = srclist else {
        return Ok(vec![]);
    };
    let sources = exod_io::srclist::read_sources(path)?;
    let inst = exposures[0]
        .instrument()
        .with_context(|| format!("{}: instrument", exposures[0].path().display()))?;
    Ok(sources
        .iter()
        .map(|s| (s.ra, s.dec, inst.mask_radius_arcsec(s.rate, s.extent)))
        .collect())
}

/// Extract `target` from `exposures` (warnings logged).
pub fn extract_target(
    exposures: &[Exposure],
    target: &Target,
    ex: &ExtractArgs,
    exclude: &[(f64, f64, f64)],
) -> Result<Extraction> {
    let inst = exposures.first().and_then(|e| e.instrument().ok());
    let ext = extract(
        exposures,
        target.ra,
        target.dec,
        &ex.params_for(inst)?,
        exclude,
    )
    .with_context(|| format!("extracting {}", target.label))?;
    for w in &ext.warnings {
        tracing::warn!("{w}");
    }
    for c in &ext.cameras {
        tracing::info!(
            "{}: CCD {}, r = {:.1}″ (EEF {:.2}), background {:.0}–{:.0}″ ({:.0} arcsec², {} source(s) avoided), {} source / {} background events",
            c.camera,
            c.ccd,
            c.src_radius_arcsec,
            c.eef,
            c.bkg_inner_arcsec,
            c.bkg_outer_arcsec,
            c.bkg_area_arcsec2,
            c.n_excluded,
            c.src.len(),
            c.bkg.len()
        );
    }
    Ok(ext)
}
