//! `exod spectrum`: source and background spectra of a position or detection, per camera, from
//! the screened event lists — OGIP PHA type I files ready for XSPEC, Sherpa or `exod fit`.
//!
//! The events are those of the extraction `exod lc` uses ([`exod_core::extract`]): the
//! source aperture and the background annulus on the source's CCD (minus the sources of the
//! OBSMLI list), inside the CCD's GTI, screened at reading (pn PATTERN ≤ 4, MOS PATTERN ≤ 12,
//! the `#XMMEA_EP`/`#XMMEA_EM` FLAG selection, PI 200–12000 eV, hot pixels, bad columns).
//!
//! Channels: pn 4096 channels of 5 eV (PI/5), MOS 800 channels of 15 eV (PI/15), numbered from 0
//! as SAS `evselect` writes them — unless a response is found beside the event list (`X.rmf`
//! and `X.arf` for `X.FTZ`, as `exod simulate` writes them): then its EBOUNDS give the channels,
//! the RMF is copied beside the spectra and the ARF written there multiplied by the aperture's
//! encircled-energy fraction (the PSF correction `arfgen` applies), and RESPFILE/ANCRFILE name
//! them. Without one, RESPFILE names the canned XMM RMF for the camera and mode, ANCRFILE is
//! `none`, and the SAS commands that make the proper RMF and ARF are printed (and in the JSON).
//! Channels outside the extraction band (whose events were not extracted) have QUALITY = 1.
//!
//! Keywords: EXPOSURE = live time of the source CCD's GTI (∩ the interval), ONTIME its good
//! time, BACKSCAL = the region's area on the CCD after gaps and excluded sources in sky pixels²
//! (0.05″ for XMM: SAS `backscale` units), BACKFILE the background spectrum.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use exod_core::exposure::Exposure;
use exod_core::extract::{livetime, CameraExtraction, Extraction};
use exod_core::gti::Gti;
use exod_core::spectral::group::{group_min_counts, group_optimal, Grouping};
use exod_core::timing::blocks::{bayesian_blocks_events_with, BlocksOptions, Prior};
use exod_io::context::{creation_date, KeyValue, MjdRef};
use exod_io::pha_out::{write_arf, write_pha, ArfData, Keywords, PhaData, PhaKind, PhaMeta};
use serde_json::{json, Value};

use super::followup::ExtractArgs;
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
    /// Group the source spectrum to at least N counts per group (grppha `group min`; an
    /// incomplete last group gets QUALITY 2).
    #[arg(long, value_name = "N", conflicts_with = "group_optimal")]
    pub group_min: Option<f64>,
    /// Group the source spectrum optimally (Kaastra & Bleeker 2016, ftgrouppha `opt`); needs
    /// the response beside the events.
    #[arg(long)]
    pub group_optimal: bool,
    /// Time-resolved spectra: intervals T0-T1[,T2-T3…] (mission s), one spectrum set each.
    #[arg(long, value_delimiter = ',', conflicts_with = "blocks")]
    pub intervals: Vec<String>,
    /// Time-resolved spectra: one set per Bayesian block of the combined source events.
    #[arg(long)]
    pub blocks: bool,
    /// False-alarm probability of a block change point (with --blocks).
    #[arg(long, default_value_t = 0.05)]
    pub p0: f64,
    /// Output prefix: PREFIX_pn_src.pha, PREFIX_pn_bkg.pha, … (its folder must exist).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace existing files of the same names.
    #[arg(long)]
    pub overwrite: bool,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The channels of a camera's spectra.
#[derive(Debug, Clone)]
struct Channels {
    first: i64,
    /// Channel bounds (eV).
    e_min: Vec<f64>,
    e_max: Vec<f64>,
    /// Uniform grid (first lower edge, width in eV), for direct binning.
    uniform: Option<(f64, f64)>,
}

impl Channels {
    fn uniform(n: usize, width_ev: f64) -> Channels {
        Channels::of(&exod_core::instrument::SpectrumChannels {
            first: 0,
            n,
            lo_ev: 0.0,
            width_ev,
            response_tool: "",
        })
    }

    /// The channels of an instrument description.
    fn of(g: &exod_core::instrument::SpectrumChannels) -> Channels {
        let edge = |k: usize| g.lo_ev + k as f64 * g.width_ev;
        Channels {
            first: g.first,
            e_min: (0..g.n).map(edge).collect(),
            e_max: (0..g.n).map(|k| edge(k + 1)).collect(),
            uniform: Some((g.lo_ev, g.width_ev)),
        }
    }

    fn len(&self) -> usize {
        self.e_min.len()
    }

    /// Channel index of an energy (eV), if inside the channels.
    fn index(&self, e: f64) -> Option<usize> {
        let k = match self.uniform {
            Some((e0, w)) => ((e - e0) / w + 1e-9).floor(),
            None => self.e_min.partition_point(|&x| x <= e) as f64 - 1.0,
        };
        (k >= 0.0 && (k as usize) < self.len() && e < self.e_max[k as usize]).then(|| k as usize)
    }

    /// Histogram of the energies (eV) of `ev` at times in [t0, t1); events outside the channels.
    fn histogram(&self, time: &[f64], energy: &[f32], t0: f64, t1: f64) -> (Vec<i64>, usize) {
        let mut h = vec![0i64; self.len()];
        let mut outside = 0;
        for (&t, &e) in time.iter().zip(energy) {
            if t >= t0 && t < t1 {
                match self.index(e as f64) {
                    Some(k) => h[k] += 1,
                    None => outside += 1,
                }
            }
        }
        (h, outside)
    }

    /// QUALITY: 1 for channels not wholly inside the band (eV) whose events were extracted,
    /// within the screened range `kept` (eV; EPIC 0.2–12 keV).
    fn band_quality(&self, band: (f64, f64), kept: (f64, f64)) -> Vec<i32> {
        let lo = band.0.max(kept.0);
        let hi = band.1.min(kept.1 + 1e-6);
        (0..self.len())
            .map(|c| i32::from(!(self.e_min[c] >= lo - 1e-6 && self.e_max[c] <= hi + 1e-6)))
            .collect()
    }
}

/// A response found beside an event list.
struct Beside {
    rmf: PathBuf,
    arf: PathBuf,
}

fn response_beside(e: &Exposure) -> Option<Beside> {
    let rmf = e.path().with_extension("rmf");
    let arf = e.path().with_extension("arf");
    (rmf.is_file() && arf.is_file()).then_some(Beside { rmf, arf })
}

/// The channels of an RMF (its EBOUNDS, keV → eV).
fn rmf_channels(path: &Path) -> Result<Channels> {
    let mut f = exod_io::fits::Fits::open(path)?;
    f.select("EBOUNDS", "the channel bounds of a response")?;
    let ch: Vec<i64> = f.read_all("CHANNEL")?;
    let lo: Vec<f64> = f.read_all("E_MIN")?;
    let hi: Vec<f64> = f.read_all("E_MAX")?;
    if ch.is_empty() || lo.len() != ch.len() || hi.len() != ch.len() {
        bail!("{}: EBOUNDS has no channels", path.display());
    }
    if ch.windows(2).any(|w| w[1] != w[0] + 1) || lo.iter().zip(&hi).any(|(a, b)| !(b > a)) {
        bail!(
            "{}: EBOUNDS channels not consecutive or E_MAX ≤ E_MIN: expected a standard response",
            path.display()
        );
    }
    // SAS bins spectra by PI (`spectralbinsize`), not by the calibrated EBOUNDS energies (the pn
    // EBOUNDS run 5.5 eV wide at channel 0 and 5.0 eV at 10 keV): channel = PI / width
    let width = match ch.len() {
        4096 | 2400 => 5.0,
        800 => 15.0,
        n => bail!(
            "{}: {n} channels: expected an XMM response of 4096 (pn), 2400 or 800 (MOS) PI channels",
            path.display()
        ),
    };
    let mut c = Channels::uniform(ch.len(), width);
    c.first = ch[0];
    Ok(c)
}

/// The ARF at `path`: bins (keV) and effective area (the OGIP reader, grid checked).
fn read_arf(path: &Path) -> Result<ArfData> {
    let a = exod_io::ogip::read_arf(path)?;
    Ok(ArfData {
        energ_lo: a.energ_lo,
        energ_hi: a.energ_hi,
        specresp: a.specresp,
    })
}

/// The default channels of a camera (module docs): its instrument description's (pn 4096 of
/// 5 eV, MOS 800 of 15 eV, ACIS 1024 of 14.6 eV from 1, XRT 1024 of 10 eV, NuSTAR 4096 of 40 eV
/// from 1.6 keV, eROSITA 1024 of 10 eV).
fn default_channels(e: &Exposure) -> Channels {
    match e.instrument() {
        Ok(i) => Channels::of(&i.description().spectrum),
        Err(_) => Channels::uniform(4096, 5.0),
    }
}

/// The energy range (eV) screening keeps for a list's instrument (EPIC 0.2–12 keV).
fn kept_range(e: &Exposure) -> (f64, f64) {
    match e.instrument().map(|i| i.description().screening) {
        Ok(exod_core::instrument::Screening::Grades { energy_ev, .. }) => energy_ev,
        _ => (200.0, 12_000.0),
    }
}

/// The canned XMM RMF of a camera and mode (the calibration portal's names; the RAWY region
/// Y9 and the pattern selection of the screening: pn singles+doubles, MOS all patterns).
fn canned_rmf(c: &CameraExtraction, e: &Exposure) -> String {
    let mode = match e.header().submode.as_deref().unwrap_or("") {
        "PrimeFullWindowExtended" => "ef",
        "PrimeLargeWindow" => "lw",
        "PrimeSmallWindow" => "sw",
        _ => "ff",
    };
    match c.camera.as_str() {
        "PN" => format!("epn_{mode}20_sdY9.rmf"),
        "M1" => "m1_r6_all_15.rsp".into(),
        "M2" => "m2_r6_all_15.rsp".into(),
        other => format!("{}_canned.rmf", other.to_ascii_lowercase()),
    }
}

/// The SAS commands that make the RMF and ARF of a spectrum (for EPIC; the other instruments:
/// the name of their mission's tool).
fn sas_commands(src: &str, stem: &str, e: &Exposure) -> Vec<String> {
    let ev = e.path().display();
    if let Some(i) = e.instrument().ok().filter(|i| i.epic_camera().is_none()) {
        return vec![format!(
            "make the RMF and ARF of {src} with {} ({} data), then set RESPFILE/ANCRFILE",
            i.description().spectrum.response_tool,
            i.mission().name()
        )];
    }
    vec![
        format!("backscale spectrumset={src} badpixlocation={ev}"),
        format!("rmfgen spectrumset={src} rmfset={stem}.rmf"),
        format!(
            "arfgen spectrumset={src} arfset={stem}.arf withrmfset=yes rmfset={stem}.rmf badpixlocation={ev} detmaptype=psf"
        ),
    ]
}

/// Parse `T0-T1` (mission s; a '-' after an exponent 'e' is part of the number).
fn parse_interval(s: &str) -> Result<(f64, f64)> {
    let b = s.as_bytes();
    let cut = (1..b.len()).find(|&i| b[i] == b'-' && !matches!(b[i - 1], b'e' | b'E'));
    let parsed = cut.and_then(|i| {
        let a: f64 = s[..i].trim().parse().ok()?;
        let z: f64 = s[i + 1..].trim().parse().ok()?;
        Some((a, z))
    });
    match parsed {
        Some((a, z)) if a.is_finite() && z.is_finite() && z > a => Ok((a, z)),
        _ => bail!("--intervals {s:?}: expected T0-T1 in mission seconds with T1 > T0"),
    }
}

/// The good time common to every camera.
fn common_gti(ext: &Extraction) -> Gti {
    let mut g = ext.cameras[0].gti.clone();
    for c in &ext.cameras[1..] {
        g = g.intersect(&c.gti);
    }
    g
}

/// The Bayesian blocks of the source events of all cameras in their common good time.
fn block_intervals(ext: &Extraction, p0: f64) -> Result<Vec<(f64, f64)>> {
    let gti = common_gti(ext);
    let mut t: Vec<f64> = ext
        .cameras
        .iter()
        .flat_map(|c| c.src.time.iter().copied())
        .filter(|&x| gti.contains(x))
        .collect();
    if t.len() < 2 {
        bail!(
            "--blocks: {} source event(s) in the cameras' common good time: too few for blocks",
            t.len()
        );
    }
    t.sort_by(f64::total_cmp);
    let opts = BlocksOptions {
        prior: Prior::P0(p0),
        gti: Some(gti),
        ..Default::default()
    };
    let b = bayesian_blocks_events_with(&t, &opts)?;
    Ok(b.edges.windows(2).map(|w| (w[0], w[1])).collect())
}

/// The intervals of the run: given, blocks, or None (the whole good time).
fn intervals(a: &Args, ext: &Extraction) -> Result<Option<Vec<(f64, f64)>>> {
    if a.blocks {
        if !(a.p0 > 0.0 && a.p0 < 1.0) {
            bail!("--p0 {}: expected a probability in (0, 1)", a.p0);
        }
        return Ok(Some(block_intervals(ext, a.p0)?));
    }
    if a.intervals.is_empty() {
        return Ok(None);
    }
    let iv = a
        .intervals
        .iter()
        .map(|s| parse_interval(s))
        .collect::<Result<Vec<_>>>()?;
    for &(t0, t1) in &iv {
        let live: f64 = ext.cameras.iter().map(|c| c.gti.overlap(t0, t1)).sum();
        if live <= 0.0 {
            let spans: Vec<String> = ext
                .cameras
                .iter()
                .filter_map(|c| {
                    c.gti
                        .span()
                        .map(|(s, e)| format!("{} CCD {}: {s}–{e}", c.camera, c.ccd))
                })
                .collect();
            bail!(
                "--intervals {t0}-{t1}: no good time of any camera in it (GTIs: {})",
                spans.join("; ")
            );
        }
    }
    Ok(Some(iv))
}

/// The grouping of a source spectrum (None: not asked).
fn grouping(
    a: &Args,
    counts: &[i64],
    quality: &[i32],
    rmf: Option<&Path>,
) -> Result<Option<Grouping>> {
    let c: Vec<f64> = counts.iter().map(|&x| x as f64).collect();
    if let Some(n) = a.group_min {
        return Ok(Some(group_min_counts(&c, n, Some(quality))?));
    }
    if a.group_optimal {
        let Some(path) = rmf else {
            bail!("--group-optimal needs the response: none beside the event list (X.rmf, X.arf); make it with rmfgen, then run ftgrouppha grouptype=opt");
        };
        let rmf = read_rmf_matrix(path)?;
        return Ok(Some(group_optimal(&c, &rmf, Some(quality))?));
    }
    Ok(None)
}

/// The full RMF (matrix and EBOUNDS).
fn read_rmf_matrix(path: &Path) -> Result<exod_core::spectral::data::Rmf> {
    Ok(exod_io::ogip::read_rmf(path)?)
}

/// The output files, written in a staging folder beside them and moved into place at the end.
struct Outputs {
    dir: PathBuf,
    stem: String,
    staging: PathBuf,
    files: Vec<String>,
    overwrite: bool,
}

impl Outputs {
    fn new(prefix: &Path, overwrite: bool) -> Result<Outputs> {
        let dir = match prefix.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let Some(stem) = prefix.file_name().map(|s| s.to_string_lossy().into_owned()) else {
            bail!(
                "--out {}: expected a prefix ending in a file name",
                prefix.display()
            );
        };
        if !dir.is_dir() {
            bail!(
                "--out {}: folder {} does not exist",
                prefix.display(),
                dir.display()
            );
        }
        let staging = dir.join(format!(".{stem}.spectrum-staging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir(&staging).with_context(|| {
            format!(
                "--out {}: cannot write in {}",
                prefix.display(),
                dir.display()
            )
        })?;
        Ok(Outputs {
            dir,
            stem,
            staging,
            files: vec![],
            overwrite,
        })
    }

    /// The staging path of the output called `PREFIX_{suffix}` (refused if it exists).
    fn path(&mut self, suffix: &str) -> Result<(String, PathBuf)> {
        let name = format!("{}_{suffix}", self.stem);
        if self.dir.join(&name).exists() && !self.overwrite {
            bail!(
                "{}: exists (give --overwrite to replace it)",
                self.dir.join(&name).display()
            );
        }
        self.files.push(name.clone());
        Ok((name.clone(), self.staging.join(name)))
    }

    /// Move every file into place.
    fn commit(self) -> Result<Vec<PathBuf>> {
        let mut out = vec![];
        for f in &self.files {
            let dest = self.dir.join(f);
            std::fs::rename(self.staging.join(f), &dest)
                .with_context(|| format!("{}: cannot move into place", dest.display()))?;
            out.push(dest);
        }
        Ok(out)
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// What one camera's spectra share.
struct CameraSetup<'a> {
    c: &'a CameraExtraction,
    e: &'a Exposure,
    channels: Channels,
    quality: Vec<i32>,
    respfile: String,
    ancrfile: String,
    rmf_path: Option<PathBuf>,
    pix2_arcsec2: f64,
    filter: String,
}

/// The exposure a camera's extraction came from.
fn exposure_of<'a>(exposures: &'a [Exposure], c: &CameraExtraction) -> Result<&'a Exposure> {
    exposures
        .iter()
        .find(|e| e.header().instrument == c.instrume)
        .with_context(|| format!("no event list of {} among the inputs", c.instrume))
}

fn filter_of(e: &Exposure) -> String {
    let read = || -> Option<String> {
        let mut f = exod_io::fits::Fits::open(e.path()).ok()?;
        f.select("EVENTS", "events").ok()?;
        f.string("FILTER").ok()?
    };
    read().unwrap_or_else(|| "NONE".into())
}

/// Channels, response files and area unit of one camera; copies its response beside the
/// spectra when one is beside the events.
fn setup<'a>(
    c: &'a CameraExtraction,
    e: &'a Exposure,
    ext: &Extraction,
    out: &mut Outputs,
    kw: &Keywords,
    warnings: &mut Vec<String>,
) -> Result<CameraSetup<'a>> {
    let cam = c.camera.to_ascii_lowercase();
    let (channels, respfile, ancrfile, rmf_path) = match response_beside(e) {
        Some(b) => {
            let ch = rmf_channels(&b.rmf)?;
            let (rmf_name, rmf_dst) = out.path(&format!("{cam}.rmf"))?;
            std::fs::copy(&b.rmf, &rmf_dst).with_context(|| {
                format!("{}: cannot copy to {}", b.rmf.display(), rmf_dst.display())
            })?;
            let mut arf = read_arf(&b.arf)?;
            if c.eef.is_finite() && c.eef > 0.0 {
                arf.specresp.iter_mut().for_each(|v| *v *= c.eef);
            } else {
                warnings.push(format!(
                    "{}: no PSF model: the ARF is not corrected for the aperture's EEF",
                    c.camera
                ));
            }
            let (arf_name, arf_dst) = out.path(&format!("{cam}.arf"))?;
            let mut k = kw.clone();
            k.push((
                "EEF".into(),
                c.eef.into(),
                "ARF multiplied by the aperture's EEF".into(),
            ));
            k.push((
                "INSTRUME".into(),
                c.instrume.as_str().into(),
                "camera".into(),
            ));
            write_arf(&arf_dst, &arf, &k, &creation_date())?;
            (ch, rmf_name, arf_name, Some(rmf_dst))
        }
        None => (default_channels(e), canned_rmf(c, e), "none".into(), None),
    };
    let pix = e
        .wcs()
        .as_ref()
        .map(|w| w.params().cdelt[0].abs() * 3600.0)
        .unwrap_or(0.05);
    let quality = channels.band_quality(ext.band_ev, kept_range(e));
    Ok(CameraSetup {
        c,
        e,
        quality,
        channels,
        respfile,
        ancrfile,
        rmf_path,
        pix2_arcsec2: pix * pix,
        filter: filter_of(e),
    })
}

/// Common keywords of the run (provenance and target).
fn run_keywords(tgt: &Target, command: &str) -> Keywords {
    let date = creation_date();
    let mut k = exod_io::table::provenance(&date, command);
    k.push((
        "RA_OBJ".into(),
        tgt.ra.into(),
        "[deg] RA of the target".into(),
    ));
    k.push((
        "DEC_OBJ".into(),
        tgt.dec.into(),
        "[deg] Dec of the target".into(),
    ));
    k
}

fn mjdref(e: &Exposure) -> Option<MjdRef> {
    let h = e.header();
    h.mjdref.map(|m| {
        if h.frames.mjdref_split {
            MjdRef::Split {
                integer: m.floor(),
                fraction: m - m.floor(),
            }
        } else {
            MjdRef::Single(m)
        }
    })
}

/// The aperture keywords of a camera.
fn aperture_keywords(c: &CameraExtraction) -> Keywords {
    let k = |key: &str, v: KeyValue, c: &str| (key.to_string(), v, c.to_string());
    vec![
        k("CCDID", i64::from(c.ccd).into(), "source CCD"),
        k(
            "SRC_RAD",
            c.src_radius_arcsec.into(),
            "[arcsec] source aperture radius",
        ),
        k(
            "BKG_RIN",
            c.bkg_inner_arcsec.into(),
            "[arcsec] background annulus inner radius",
        ),
        k(
            "BKG_ROUT",
            c.bkg_outer_arcsec.into(),
            "[arcsec] background annulus outer radius",
        ),
        k(
            "SRC_AREA",
            c.src_area_arcsec2.into(),
            "[arcsec2] source aperture on the CCD",
        ),
        k(
            "BKG_AREA",
            c.bkg_area_arcsec2.into(),
            "[arcsec2] background region used",
        ),
        k(
            "EEF",
            c.eef.into(),
            "encircled-energy fraction of the aperture",
        ),
        k(
            "LIVEFRAC",
            c.live_fraction.into(),
            "live-time fraction of the CCD",
        ),
        k(
            "NEXCL",
            c.n_excluded.into(),
            "sources cut out of the background",
        ),
    ]
}

/// Write the source and background spectra of one camera over [t0, t1); their summary.
#[allow(clippy::too_many_arguments)]
fn write_pair(
    s: &CameraSetup,
    a: &Args,
    tgt: &Target,
    (t0, t1): (f64, f64),
    tag: &str,
    out: &mut Outputs,
    kw: &Keywords,
    warnings: &mut Vec<String>,
) -> Result<Option<Value>> {
    let c = s.c;
    let ontime = c.gti.overlap(t0, t1);
    let exposure = livetime::live_time(&c.gti, c.live_fraction, t0, t1);
    if exposure <= 0.0 {
        warnings.push(format!(
            "{}: no good time in {t0}–{t1}: no spectrum",
            c.camera
        ));
        return Ok(None);
    }
    let (src, out_s) = s.channels.histogram(&c.src.time, &c.src.energy, t0, t1);
    let (bkg, out_b) = s.channels.histogram(&c.bkg.time, &c.bkg.energy, t0, t1);
    if out_s + out_b > 0 {
        warnings.push(format!(
            "{}: {} event(s) outside the channels left out",
            c.camera,
            out_s + out_b
        ));
    }
    let cam = c.camera.to_ascii_lowercase();
    let (src_name, src_path) = out.path(&format!("{cam}{tag}_src.pha"))?;
    let (bkg_name, bkg_path) = out.path(&format!("{cam}{tag}_bkg.pha"))?;
    let g = grouping(a, &src, &s.quality, s.rmf_path.as_deref())?;
    let span = c
        .gti
        .intersect(&Gti::from_rows(&[t0], &[t1])?)
        .span()
        .unwrap_or((t0, t1));
    let mut meta = PhaMeta {
        kind: PhaKind::Total,
        telescope: s.e.header().telescope.clone(),
        instrume: c.instrume.clone(),
        filter: s.filter.clone(),
        object: tgt.label.clone(),
        ra_obj: tgt.ra,
        dec_obj: tgt.dec,
        exposure,
        ontime,
        backscal: c.src_area_arcsec2 / s.pix2_arcsec2,
        areascal: 1.0,
        corrscal: 0.0,
        backfile: bkg_name.clone(),
        respfile: s.respfile.clone(),
        ancrfile: s.ancrfile.clone(),
        corrfile: "none".into(),
        tstart: span.0,
        tstop: span.1,
        mjdref: mjdref(s.e),
        provenance: kw.clone(),
        date: creation_date(),
        extra: aperture_keywords(c),
    };
    let n_groups = g.as_ref().map(|g| g.groups().len());
    let data = PhaData {
        first_channel: s.channels.first,
        counts: src.clone(),
        quality: Some(g.as_ref().map_or(s.quality.clone(), |g| g.quality.clone())),
        grouping: g.map(|g| g.grouping),
    };
    write_pha(&src_path, &data, &meta)?;
    let backscal_src = meta.backscal;
    meta.kind = PhaKind::Background;
    meta.backscal = c.bkg_area_arcsec2 / s.pix2_arcsec2;
    meta.backfile = "none".into();
    let bdata = PhaData {
        first_channel: s.channels.first,
        counts: bkg.clone(),
        quality: Some(s.quality.clone()),
        grouping: None,
    };
    write_pha(&bkg_path, &bdata, &meta)?;
    Ok(Some(json!({
        "camera": c.camera, "ccd": c.ccd, "interval": [t0, t1],
        "src_file": src_name, "bkg_file": bkg_name,
        "src_counts": src.iter().sum::<i64>(), "bkg_counts": bkg.iter().sum::<i64>(),
        "exposure_s": exposure, "ontime_s": ontime,
        "backscal_src": backscal_src, "backscal_bkg": meta.backscal,
        "backscal_ratio": backscal_src / meta.backscal,
        "n_channels": s.channels.len(), "n_groups": n_groups,
        "respfile": s.respfile, "ancrfile": s.ancrfile, "eef": c.eef,
    })))
}

fn check_args(a: &Args) -> Result<()> {
    if let Some(n) = a.group_min {
        if !(n.is_finite() && n >= 1.0) {
            bail!("--group-min {n}: expected a number of counts ≥ 1");
        }
    }
    Ok(())
}

pub fn run(a: Args) -> Result<()> {
    check_args(&a)?;
    let tgt = target::resolve(&a.target)?;
    let (exposures, ext, _tref) = super::lc::extraction(&a.files, &tgt, &a.extract, false, None)?;
    let n_src: usize = ext.cameras.iter().map(|c| c.src.len()).sum();
    if n_src == 0 {
        bail!(
            "no event in the source aperture of any camera at RA {:.5}, Dec {:+.5} ({}): nothing to make a spectrum of",
            tgt.ra,
            tgt.dec,
            tgt.label
        );
    }
    let ivs = intervals(&a, &ext)?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let kw = run_keywords(&tgt, &command);
    let mut out = Outputs::new(&a.out, a.overwrite)?;
    let mut warnings: Vec<String> = ext.warnings.clone();
    let mut spectra = vec![];
    let mut sas = serde_json::Map::new();
    for c in &ext.cameras {
        let e = exposure_of(&exposures, c)?;
        let s = setup(c, e, &ext, &mut out, &kw, &mut warnings)?;
        let whole = [c.gti.span().expect("placed: a GTI")];
        let list: Vec<(f64, f64)> = ivs.clone().unwrap_or_else(|| whole.to_vec());
        for (k, &iv) in list.iter().enumerate() {
            let tag = if ivs.is_some() {
                format!("_i{}", k + 1)
            } else {
                String::new()
            };
            if let Some(v) = write_pair(&s, &a, &tgt, iv, &tag, &mut out, &kw, &mut warnings)? {
                spectra.push(v);
            }
        }
        if s.rmf_path.is_none() {
            let cam = c.camera.to_ascii_lowercase();
            let stem = format!("{}_{cam}", out.stem);
            let src = format!("{stem}{}_src.pha", if ivs.is_some() { "_i1" } else { "" });
            sas.insert(c.camera.clone(), json!(sas_commands(&src, &stem, e)));
        }
    }
    let dir = out.dir.clone();
    let files = out.commit()?;
    report(
        &a,
        &tgt,
        &ext,
        ivs.as_deref(),
        &spectra,
        &sas,
        &warnings,
        &files,
        &dir,
    )
}

/// Print the summary (JSON or a table) and the SAS commands.
#[allow(clippy::too_many_arguments)]
fn report(
    a: &Args,
    tgt: &Target,
    ext: &Extraction,
    ivs: Option<&[(f64, f64)]>,
    spectra: &[Value],
    sas: &serde_json::Map<String, Value>,
    warnings: &[String],
    files: &[PathBuf],
    _dir: &Path,
) -> Result<()> {
    for w in warnings {
        tracing::warn!("{w}");
    }
    if a.json {
        let v = json!({
            "target": tgt,
            "band_kev": [ext.band_ev.0 / 1000.0, ext.band_ev.1 / 1000.0],
            "intervals": ivs,
            "spectra": spectra,
            "files": files,
            "sas_commands": sas,
            "warnings": warnings,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("camera  interval                      src_counts  bkg_counts  exposure_s  backscal_ratio  file");
    for s in spectra {
        println!(
            "{:<7} {:>13.1}-{:<13.1} {:>10} {:>11} {:>11.1} {:>15.5}  {}",
            s["camera"].as_str().unwrap_or(""),
            s["interval"][0].as_f64().unwrap_or(f64::NAN),
            s["interval"][1].as_f64().unwrap_or(f64::NAN),
            s["src_counts"],
            s["bkg_counts"],
            s["exposure_s"].as_f64().unwrap_or(f64::NAN),
            s["backscal_ratio"].as_f64().unwrap_or(f64::NAN),
            s["src_file"].as_str().unwrap_or("")
        );
    }
    for (cam, cmds) in sas {
        println!("# {cam}: no response beside the events; make the RMF and ARF:");
        for c in cmds.as_array().into_iter().flatten() {
            println!("  {}", c.as_str().unwrap_or(""));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_with_exponents() {
        assert_eq!(parse_interval("100-200").unwrap(), (100.0, 200.0));
        assert_eq!(parse_interval("1.5e8-1.6e8").unwrap(), (1.5e8, 1.6e8));
        assert_eq!(parse_interval("1e-3-2").unwrap(), (1e-3, 2.0));
        assert!(parse_interval("200-100").is_err());
        assert!(parse_interval("abc").is_err());
    }

    #[test]
    fn channels_bin_pi_as_sas() {
        let pn = Channels::uniform(4096, 5.0);
        assert_eq!(pn.index(1000.0), Some(200));
        assert_eq!(pn.index(1004.0), Some(200));
        assert_eq!(pn.index(20479.0), Some(4095));
        assert_eq!(pn.index(20480.0), None);
        let mos = Channels::uniform(800, 15.0);
        let q = mos.band_quality((200.0, 12000.0), (200.0, 12000.0));
        // 195–210 straddles 200 eV: bad; 210–225 good; 11985–12000 good
        assert_eq!((q[13], q[14], q[799]), (1, 0, 0));
    }
}
