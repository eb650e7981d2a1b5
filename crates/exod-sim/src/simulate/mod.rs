//! Realistic simulated XMM-Newton EPIC observations, written in the pipeline's own formats, so
//! the whole detector can be developed and benchmarked although no real full-frame pn list
//! exists offline. The files load through the same reader as real ones, with no special path.
//!
//! What is simulated (all seeded and deterministic: same config → byte-identical files):
//! * geometry: pn (12 CCDs of 64×200 pixels of 4.1″, two rows of six) and MOS1/MOS2 (7 CCDs of
//!   600×600 pixels of 1.1″, MOS2 rotated by 90°), gaps between CCDs, a 15′-radius field of
//!   view, pointing and roll angle, the XMM sky frame (0.05″ pixels, TAN at RA_PNT/DEC_PNT), frame
//!   times (pn 73.4 ms, MOS 2.6 s) to which event times are quantised;
//! * point sources from a log N–log S (N(>S) = 40 (S / 10⁻³ ct/s)^-1.2 per field in pn counts),
//!   plus a bright on-axis target; a King PSF (r_c = 3.9″, index 1.5: FWHM 6″, 80 % within 20″);
//!   vignetting 1/(1 + (θ/13.5′)²) for photons; MOS collecting 0.35 of pn's photons;
//! * optionally an extended cluster-like source (β model, r_c = 30″, β = 2/3);
//! * quiescent particle background uniform on the CCDs (flat spectrum 0.2–15 keV, many
//!   multi-pixel patterns), unresolved cosmic background photons, and soft-proton flares
//!   (the BTIs) with a flatter spatial profile 1 − θ/60′ and a hard spectrum;
//! * hot pixels (from the shipped 4XMM-DR14 tables, valid at the revolution, which screening must
//!   remove), events with rejecting FLAG bits and high PATTERNs, energies outside 0.2–12 keV;
//! * a CCD switched off for part of the exposure (a hole in its STDGTI), and cameras with
//!   different start/stop times (pn starts 500 s after MOS and stops 200 s earlier);
//! * transients: bursts (expected detected counts over all cameras, duration, box or
//!   fast-rise exponential-decay profile) and eclipses of constant sources (depth, duration);
//! * periodic point sources ([`Periodic`]): a sinusoidal modulation or a narrow pulse of a given
//!   period and pulsed fraction (module `periodic`);
//! * flickering hot pixels ([`HotFlicker`]): a burst of events at one detector pixel (PATTERN 0,
//!   FLAG 0, 0.3–1.5 keV), absent from the shipped tables so that screening keeps it — the
//!   detector artefact a search finds as a transient; it is fixed in the EPIC frame of
//!   [`epic_frame`] (with [`SimConfig::xmm_roll_sense`]) but moves on the sky with the
//!   pointing and roll;
//! * multi-pointing fields ([`SimConfig::field`]): the constant sources drawn around the field's
//!   centre with the field's seed, so that overlapping pointings see the same sky (used by
//!   [`crate::archive`]).
//!
//! Outputs in a directory: `P<obsid>PNS003PIEVLI0000.FTZ`, `P<obsid>M1S001MIEVLI0000.FTZ`,
//! `P<obsid>M2S002MIEVLI0000.FTZ` (gzip-compressed FITS), `P<obsid>EPX000OBSMLI0000.FTZ` (source
//! list of the sources with ≥ 30 expected counts; its EP_DET_ML is a monotonic proxy of the counts,
//! not a likelihood fit), and `truth.ecsv`; with physical spectra (the default,
//! [`SimConfig::spectra`]), the response of each event list `X.FTZ` beside it as `X.rmf` and
//! `X.arf`, and the spectrum of every source (model, parameters, norm) in `truth.ecsv`.
//!
//! # Energies
//!
//! Source photons (target, population, cluster, bursts, periodic sources) take their PI from a
//! physical spectrum (default `tbabs*powerlaw`, nH = 0.05 × 10²² cm⁻², Γ = 1.9; the population
//! spread around it) folded through the real EPIC pn response (module `spectrum`); MOS with the
//! same pn response shape and 5 eV channels, its ARF scaled by 0.35. Backgrounds keep their own
//! energy model: true energies (particles flat 0.2–15 keV, cosmic background log-normal around
//! 1.2 keV, soft protons a power law of index 0.7, hot pixels 0.25 keV) measured with a Gaussian
//! resolution of 60 eV √E. With `spectra: None` the sources use the legacy log-normal energies
//! too, and the files are byte-identical to those of the simulator before issue 13.
//!
//! # Layout
//!
//! [`simulate`] is a short sequence of named steps; each step lives in the submodule that owns
//! its physics or format:
//!
//! | step | module |
//! |---|---|
//! | CCD layouts, camera angles and areas, frame times, sky ↔ tangent plane ↔ detector frames | `geometry` |
//! | one camera's event list: live CCDs, frame quantisation, energy resolution, PATTERN and FLAG draws, time sort | `camera` |
//! | the source field (log N–log S, target, cluster), King PSF, vignetting, photon energies, eclipses and bursts as light-curve modulations | `sources` |
//! | particle background, cosmic background, soft-proton flares, hot pixels | `background` |
//! | source spectra folded through the response: PI of source photons, norms, population spread | `spectrum` |
//! | gzip-compressed FITS event lists with per-CCD GTIs, OBSMLI source list, `truth.ecsv`, responses | `writers` |
//!
//! # Random streams
//!
//! Every component draws from its own ChaCha8 stream of the seed (sources 1, flare components 3,
//! eclipse windows 7, source list 9, population spectra 11, backgrounds 100 + camera, constant sources
//! 1000 + 4 × source + camera, bursts 20 000 + burst, periodic sources 25 000 + source, hot flickers
//! 30 000 + flicker), so that
//! adding a burst or a flicker does not move the photons of anything else. With
//! [`SimConfig::field`] the sources' positions and rates come from stream 1 of the field's seed
//! (their photons still from the observation's seed). Events are added to a camera in a fixed
//! order (constant sources, bursts, periodic sources, hot
//! flickers, backgrounds) and sorted stably by time, so the
//! files are byte-identical for a seed.
//!
//! # Roll sense
//!
//! The detector frame is R(+PA_PNT) · (ξ east, η north), as in real XMM files (DETX ∝ −x_E,
//! DETY ∝ y_E of [`epic_frame`], fitted on the real MOS1 list of 0201903501), so a detector
//! position stays at one place of the EPIC frame whatever the roll. (Until 2026-12 the
//! simulator rotated the other way, R(−roll); outputs of older versions differ for that reason.)

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

use exod_core::instrument::EpicCamera as XmmCamera;

mod background;
mod camera;
mod geometry;
mod periodic;
mod sources;
pub mod spectrum;
mod writers;

pub use exod_core::sky::epic_frame;
pub use geometry::sky_wcs;
pub(crate) use geometry::{tan_wcs, to_radec};
pub use periodic::{Periodic, PulseShape};
pub(crate) use sources::burst_offset;
pub use sources::{draw_sources, king_offset, photon_energy};
pub use writers::{embedded_pn_arf, embedded_pn_rmf, response_paths};
pub(crate) use writers::{write_fits_plain, write_truth_table, TruthLabels};

use geometry::Frame;

/// XMM sky pixel size (arcsec).
pub const SKY_PIXEL_ARCSEC: f64 = 0.05;
/// Reference pixel of the XMM sky frame (X and Y, 1-based), where the pointing projects.
pub const SKY_CRPIX: f64 = 25921.0;
/// Field-of-view radius (arcsec).
pub const FOV_RADIUS_ARCSEC: f64 = 900.0;
/// MJD of XMM time 0.
pub const XMM_MJDREF: f64 = 50814.0;

/// Errors of the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A file or directory could not be created, written or read back.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// cfitsio refused to write a FITS file.
    #[error("{path}: cfitsio error: {msg}")]
    Fits {
        /// The (temporary, uncompressed) FITS file being written.
        path: PathBuf,
        /// cfitsio's message.
        msg: String,
    },
    /// A parameter of the [`SimConfig`] is out of range.
    #[error("invalid simulation parameter: {0}")]
    Config(String),
    /// A spectral model, its parameters or the response could not be used.
    #[error("{0}")]
    Spectral(#[from] exod_core::spectral::SpectralError),
    /// A response written beside the events could not be read back.
    #[error("{path}: {msg}")]
    Response {
        /// The response file.
        path: PathBuf,
        /// What went wrong.
        msg: String,
    },
}

/// Soft-proton flaring level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Flares {
    /// No flare: a quiescent background only.
    None,
    /// Two flares peaking around 30 ct/s (pn), σ around 600 s.
    Mild,
    /// Five flares peaking around 60 ct/s (pn), σ around 1500 s.
    Strong,
    /// One brief flare peaking around 40 ct/s (pn), σ around 60 s: a BTI of a few 100-s windows
    /// with few counts (the case where a BTI template is sparse).
    Brief,
}

impl std::str::FromStr for Flares {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Flares::None),
            "mild" => Ok(Flares::Mild),
            "strong" => Ok(Flares::Strong),
            "brief" => Ok(Flares::Brief),
            _ => Err(format!(
                "flares must be none, mild, strong or brief, not {s:?}"
            )),
        }
    }
}

/// Time profile of a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Profile {
    /// Constant rate over the duration.
    Box,
    /// Fast rise (10 % of the duration, linear) then exponential decay (e-folding a third of the
    /// duration), truncated at the duration.
    Fred,
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "box" => Ok(Profile::Box),
            "fred" => Ok(Profile::Fred),
            _ => Err(format!("profile must be box or fred, not {s:?}")),
        }
    }
}

/// A burst to inject. Position and time are drawn when `None`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Burst {
    /// Expected detected counts summed over all cameras (before the Poisson draw).
    pub counts: f64,
    /// Duration (s).
    pub duration: f64,
    /// Time profile over the duration.
    pub profile: Profile,
    /// (RA, Dec) in degrees.
    pub position: Option<(f64, f64)>,
    /// Start time (s, mission time).
    pub t_start: Option<f64>,
}

/// An eclipse of a constant source: during the eclipse a fraction `depth` of its photons is lost.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Eclipse {
    /// Fraction of the source's photons lost during the eclipse, in (0, 1].
    pub depth: f64,
    /// Duration (s).
    pub duration: f64,
    /// Index of the eclipsed source in the source list (None: the brightest after the target).
    pub source: Option<usize>,
    /// Start time (s, mission time); drawn when `None`.
    pub t_start: Option<f64>,
}

/// Everything that defines a simulated observation. `Default` is a 50 ks pn+MOS1+MOS2 pointing
/// with mild flares and no transients.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SimConfig {
    /// Seed of every random stream.
    pub seed: u64,
    /// Observation identifier (10 digits), used in the file names and headers.
    pub obs_id: String,
    /// Exposure of the MOS cameras (s); pn is 700 s shorter.
    pub exposure: f64,
    /// Cameras to simulate (one event list each).
    pub cameras: Vec<XmmCamera>,
    /// Pointing right ascension (RA_PNT, deg).
    pub ra: f64,
    /// Pointing declination (DEC_PNT, deg).
    pub dec: f64,
    /// Roll angle (PA_PNT, deg).
    pub roll: f64,
    /// Mission time of the start (s).
    pub tstart: f64,
    /// Revolution number (selects the hot-pixel table; written as REVOLUT).
    pub revolution: i64,
    /// Soft-proton flaring level.
    pub flares: Flares,
    /// Add a cluster-like extended source 6′ off-axis.
    pub cluster: bool,
    /// pn count rate of the on-axis target (ct/s; 0 for none).
    pub target_rate: f64,
    /// Switch one CCD off for part of the exposure: (camera, CCD, start, stop) with start/stop as
    /// fractions of the exposure. Default: MOS1 CCD 4 from 55 % to 62 %.
    pub ccd_off: Option<(XmmCamera, u8, f64, f64)>,
    /// Offset of the target from the pointing (ξ east, η north, arcsec).
    pub target_offset: [f64; 2],
    /// Bursts to inject.
    pub bursts: Vec<Burst>,
    /// Eclipses of constant sources to inject.
    pub eclipses: Vec<Eclipse>,
    /// Flickering hot pixels to inject (detector defects absent from the shipped hot-pixel
    /// tables, so screening keeps them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hot_flickers: Vec<HotFlicker>,
    /// Periodic point sources to inject (sinusoidal modulations and pulsars).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub periodic: Vec<Periodic>,
    /// The sky of a field observed by several pointings: when set, the constant sources are
    /// drawn around the field's centre with the field's seed, so overlapping pointings see the
    /// same sources at the same RA/Dec (None: around the pointing with [`SimConfig::seed`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldSky>,
    /// The energies of source photons: `Some` (default [`Spectra::default`]): PI drawn from a
    /// physical spectrum folded through the pn response written beside the events (module
    /// `spectrum`); `None`: the legacy energy model (log-normal true energies around 1.2 keV and
    /// a Gaussian resolution of 60 eV √E), byte-identical to the simulator before issue 13.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spectra: Option<Spectra>,
    /// Constant point sources at given positions, added after the drawn population (the
    /// epochs of a field whose sources change: brighten, fade, appear). A rate of 0 leaves the
    /// source out (and out of the source list). Default: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_sources: Vec<FixedSource>,
}

/// A constant point source at a given position (`--source RA:DEC:RATE`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FixedSource {
    /// Right ascension (deg).
    pub ra: f64,
    /// Declination (deg).
    pub dec: f64,
    /// pn count rate on axis (ct/s); MOS sees 0.35 of it, vignetting applies.
    pub rate_pn: f64,
}

impl std::str::FromStr for FixedSource {
    type Err = String;
    /// `RA:DEC:RATE` (deg, deg, pn ct/s on axis).
    fn from_str(s: &str) -> Result<FixedSource, String> {
        let v: Vec<f64> = s
            .split(':')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("source {s:?}: expected RA:DEC:RATE (three numbers)"))?;
        match v[..] {
            [ra, dec, rate_pn]
                if (0.0..360.0).contains(&ra) && dec.abs() <= 90.0 && rate_pn >= 0.0 =>
            {
                Ok(FixedSource { ra, dec, rate_pn })
            }
            [_, _, _] => Err(format!(
                "source {s:?}: expected 0 <= RA < 360, |Dec| <= 90 and RATE >= 0"
            )),
            _ => Err(format!(
                "source {s:?}: expected RA:DEC:RATE (three numbers)"
            )),
        }
    }
}

/// The physical spectra of the simulated sources (see module `spectrum`).
///
/// The target, the cluster, the bursts and the periodic sources have the spectrum `model` at
/// `params`; the log N–log S population the same model with, per source, PhoIndex drawn from
/// N(PhoIndex, `photon_index_sigma`) and nH log-uniform in `nh_range` (where the model has
/// those parameters), from stream 11 of the population's seed. Norms are never given: each
/// source's norms are set so that its count rate through the pn response is its pn rate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Spectra {
    /// Model expression, XSPEC syntax. Default `tbabs*powerlaw`.
    pub model: String,
    /// Parameter values by XSPEC name (`nH`, `PhoIndex`, …) or full name (`powerlaw.PhoIndex`);
    /// parameters not given keep the model's defaults; `norm` may not be given. Default
    /// nH = 0.05 (10²² cm⁻²), PhoIndex = 1.9.
    pub params: Vec<(String, f64)>,
    /// σ of the population's PhoIndex around the configured one (default 0.2; 0: no spread).
    pub photon_index_sigma: f64,
    /// Range of the population's nH (10²² cm⁻², log-uniform; default 0.01–0.3; `None`: the
    /// configured nH for every source).
    pub nh_range: Option<(f64, f64)>,
}

impl Default for Spectra {
    fn default() -> Self {
        Spectra {
            model: "tbabs*powerlaw".into(),
            params: vec![("nH".into(), 0.05), ("PhoIndex".into(), 1.9)],
            photon_index_sigma: 0.2,
            nh_range: Some((0.01, 0.3)),
        }
    }
}

/// A flickering hot pixel: `counts` expected events at one detector pixel within `duration`,
/// PATTERN 0, FLAG 0, energies uniform in 0.3–1.5 keV (stream 30 000 + its index).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HotFlicker {
    /// The camera.
    pub camera: XmmCamera,
    /// CCD number (pn 1–12, MOS 1–7).
    pub ccd: u8,
    /// RAWX (1-based: pn 1–64, MOS 1–600).
    pub rawx: u16,
    /// RAWY (1-based: pn 1–200, MOS 1–600).
    pub rawy: u16,
    /// Expected number of events (before the Poisson draw).
    pub counts: f64,
    /// Duration (s).
    pub duration: f64,
    /// Start (s, mission time); drawn inside the camera's exposure when `None`.
    pub t_start: Option<f64>,
}

/// The sky of a multi-pointing field: where and with which seed its constant sources are drawn.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldSky {
    /// Centre right ascension (deg).
    pub ra: f64,
    /// Centre declination (deg).
    pub dec: f64,
    /// Seed of the field's source population (stream 1 of it).
    pub seed: u64,
    /// Radius (arcsec) within which sources are drawn, at the density of a single field of view;
    /// it must reach beyond every pointing's field of view.
    pub radius: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            obs_id: "0999990101".into(),
            exposure: 50_000.0,
            cameras: vec![XmmCamera::Pn, XmmCamera::Mos1, XmmCamera::Mos2],
            ra: 150.1191,
            dec: 2.2058,
            roll: 62.0,
            tstart: 7.0e8,
            revolution: 3500,
            flares: Flares::Mild,
            cluster: false,
            target_rate: 0.25,
            ccd_off: Some((XmmCamera::Mos1, 4, 0.55, 0.62)),
            target_offset: [20.0, -15.0],
            bursts: vec![],
            eclipses: vec![],
            hot_flickers: vec![],
            periodic: vec![],
            field: None,
            spectra: Some(Spectra::default()),
            extra_sources: vec![],
        }
    }
}

/// A simulated constant source.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SimSource {
    /// Right ascension (deg).
    pub ra: f64,
    /// Declination (deg).
    pub dec: f64,
    /// pn count rate (ct/s) on axis; MOS rates are 0.35 of it.
    pub rate_pn: f64,
    /// Extent (arcsec; 0 for a point source).
    pub extent: f64,
}

/// One row of the truth table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TruthRow {
    /// Row number (0-based).
    pub id: usize,
    /// "source", "target", "cluster", "burst" or "eclipse".
    pub kind: String,
    /// Right ascension (deg).
    pub ra: f64,
    /// Declination (deg).
    pub dec: f64,
    /// Start (s, mission time): the observation's for sources.
    pub t_start: f64,
    /// Stop (s, mission time): the observation's for sources.
    pub t_stop: f64,
    /// Expected counts (bursts: injected amplitude; sources: pn rate × exposure).
    pub expected: f64,
    /// Realised counts per camera (pn, MOS1, MOS2); for eclipses, the photons removed.
    pub counts: [u64; 3],
    /// Profile or extra information.
    pub note: String,
    /// The physical spectrum of a source (model, parameters with its norm); `None` for rows that
    /// are not photons of a source (eclipses, hot pixels) and with the legacy energy model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spectrum: Option<SpectrumTruth>,
}

/// The spectrum a source's photons were drawn from, as a fit would report it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SpectrumTruth {
    /// Model expression (`tbabs*powerlaw`).
    pub model: String,
    /// Every parameter by full name (`tbabs.nH`, `powerlaw.PhoIndex`, `powerlaw.norm`), in the
    /// model's order. The norms are on-axis values: at off-axis angle θ the detected rate is
    /// further multiplied by the vignetting 1/(1 + (θ/13.5′)²), and for MOS the written ARF is
    /// 0.35 × the pn one.
    pub params: Vec<(String, f64)>,
}

impl SpectrumTruth {
    /// The value of parameter `name` (full name, or XSPEC name when unambiguous).
    pub fn get(&self, name: &str) -> Option<f64> {
        if let Some((_, v)) = self.params.iter().find(|(n, _)| n == name) {
            return Some(*v);
        }
        let mut hits = self
            .params
            .iter()
            .filter(|(n, _)| n.rsplit('.').next() == Some(name));
        match (hits.next(), hits.next()) {
            (Some((_, v)), None) => Some(*v),
            _ => None,
        }
    }

    /// The parameters as written in `truth.ecsv`: `tbabs.nH=0.05; powerlaw.PhoIndex=1.9; …`
    /// (shortest round-trip decimal values).
    pub fn params_text(&self) -> String {
        self.params
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What a simulation produced.
#[derive(Debug, Clone)]
pub struct SimOutput {
    /// The event lists, one per camera in the order of [`SimConfig::cameras`].
    pub event_files: Vec<PathBuf>,
    /// The OBSMLI source list.
    pub srclist: PathBuf,
    /// The truth table (also written to `truth_path`).
    pub truth: Vec<TruthRow>,
    /// `truth.ecsv` in the output directory.
    pub truth_path: PathBuf,
    /// Number of events written per camera, in the order of `event_files`.
    pub n_events: Vec<usize>,
    /// The response (RMF, ARF) written beside each event list, in the order of `event_files`
    /// (`X.rmf` and `X.arf` for `X.FTZ`); empty with the legacy energy model.
    pub responses: Vec<(PathBuf, PathBuf)>,
}

impl SimOutput {
    /// The same outputs after their folder `from` was moved to `to`.
    pub fn relocated(self, from: &Path, to: &Path) -> SimOutput {
        let mv = |p: PathBuf| match p.strip_prefix(from) {
            Ok(rel) => to.join(rel),
            Err(_) => p,
        };
        SimOutput {
            event_files: self.event_files.into_iter().map(mv).collect(),
            srclist: mv(self.srclist),
            truth_path: mv(self.truth_path),
            responses: self
                .responses
                .into_iter()
                .map(|(r, a)| (mv(r), mv(a)))
                .collect(),
            ..self
        }
    }
}

/// Simulate an observation into `out_dir` (created if needed).
pub fn simulate(cfg: &SimConfig, out_dir: &Path) -> Result<SimOutput, SimError> {
    simulate_in_mode(cfg, out_dir, None)
}

/// [`simulate`], with the event lists' DATAMODE and SUBMODE replaced by `mode` when given (the
/// archive's unsupported timing-mode exposure).
pub(crate) fn simulate_in_mode(
    cfg: &SimConfig,
    out_dir: &Path,
    mode: Option<(&str, &str)>,
) -> Result<SimOutput, SimError> {
    validate(cfg)?;
    std::fs::create_dir_all(out_dir).map_err(|source| SimError::Io {
        path: out_dir.into(),
        source,
    })?;
    let wcs = sky_wcs(cfg);
    let frame = frame_of(cfg);
    let mut sources = draw_sources(cfg, &wcs);
    sources.extend(
        cfg.extra_sources
            .iter()
            .filter(|s| s.rate_pn > 0.0)
            .map(|s| SimSource {
                ra: s.ra,
                dec: s.dec,
                rate_pn: s.rate_pn,
                extent: 0.0,
            }),
    );
    let mut cams = camera::cameras(cfg);
    let (responses, spectra) = match &cfg.spectra {
        None => (vec![], None),
        Some(sp) => {
            let responses = {
                let _turn = crate::fits_turn();
                writers::write_responses(cfg, out_dir)?
            };
            let spectra = spectrum::source_spectra(cfg, sp, &responses[0], &sources)?;
            (responses, Some(spectra))
        }
    };
    let field = sources::Field {
        cfg,
        wcs: &wcs,
        frame: &frame,
        sources: &sources,
        spectra: spectra.as_ref(),
    };

    // eclipses: choose hosts and windows first (they thin the host's photons)
    let eclipses = sources::eclipse_windows(&field)?;
    let mut truth = sources::add_constant_sources(&field, &eclipses, &mut cams);
    for (k, b) in cfg.bursts.iter().enumerate() {
        let row = sources::add_burst(&field, k, b, truth.len(), &mut cams);
        truth.push(row);
    }
    // periodic sources are constant on average: the source list has them too
    let mut listed = sources.clone();
    for (k, p) in cfg.periodic.iter().enumerate() {
        let placed: Vec<(f64, f64)> = listed[sources.len()..]
            .iter()
            .map(|s| (s.ra, s.dec))
            .collect();
        let row = periodic::add_periodic(&field, k, p, truth.len(), &placed, &mut cams);
        listed.push(SimSource {
            ra: row.ra,
            dec: row.dec,
            rate_pn: p.rate_pn,
            extent: 0.0,
        });
        truth.push(row);
    }
    for (k, h) in cfg.hot_flickers.iter().enumerate() {
        let row = background::add_hot_flicker(&field, k, h, truth.len(), &mut cams);
        truth.push(row);
    }
    background::add_backgrounds(cfg, &frame, &mut cams);
    let mut out = {
        let _turn = crate::fits_turn();
        writers::write_outputs(cfg, out_dir, &mut cams, &listed, truth, mode)?
    };
    out.responses = responses;
    Ok(out)
}

/// The detector frame of `cfg`: detector = R(+PA_PNT) · (ξ east, η north), the sense of real
/// XMM files (see "Roll sense" in the module docs).
fn frame_of(cfg: &SimConfig) -> Frame {
    Frame { roll: -cfg.roll }
}

/// Whether (RA, Dec) falls on a CCD of every camera of `cfg` (its pointing, roll and layouts).
pub fn on_all_cameras(cfg: &SimConfig, ra: f64, dec: f64) -> bool {
    let wcs = sky_wcs(cfg);
    let frame = frame_of(cfg);
    let Some((xi, eta)) = geometry::try_tangent(&wcs, ra, dec) else {
        return false;
    };
    cfg.cameras.iter().all(|&cam| {
        let (dx, dy) = frame.sky_to_det(cam, xi, eta);
        geometry::locate(&geometry::ccds(cam), dx, dy).is_some()
    })
}

/// Reject configurations the simulator cannot honour.
/// Largest expected number of photons of one burst (bounds the memory of a simulation).
pub const MAX_BURST_COUNTS: f64 = 1.0e7;

fn validate(cfg: &SimConfig) -> Result<(), SimError> {
    if !(cfg.exposure >= 1000.0 && cfg.exposure <= 500_000.0) {
        return Err(SimError::Config(format!(
            "exposure {} s: expected 1000–500000 s",
            cfg.exposure
        )));
    }
    if cfg.cameras.is_empty() {
        return Err(SimError::Config("no camera".into()));
    }
    for b in &cfg.bursts {
        if !(b.counts >= 0.0 && b.duration > 0.0 && b.duration.is_finite()) {
            return Err(SimError::Config(format!(
                "burst counts {} / duration {} s: expected counts ≥ 0 and a positive duration",
                b.counts, b.duration
            )));
        }
        if b.counts > MAX_BURST_COUNTS {
            return Err(SimError::Config(format!(
                "burst counts {}: more than the limit of {MAX_BURST_COUNTS} expected photons per burst (a bright source's whole observation is ~10⁵; the limit bounds memory)",
                b.counts
            )));
        }
    }
    for h in &cfg.hot_flickers {
        validate_flicker(cfg, h)?;
    }
    for p in &cfg.periodic {
        periodic::validate(p)?;
    }
    if let Some(f) = &cfg.field {
        if !(f.radius >= FOV_RADIUS_ARCSEC && f.radius <= 3.0 * FOV_RADIUS_ARCSEC) {
            return Err(SimError::Config(format!(
                "field radius {} arcsec: expected {FOV_RADIUS_ARCSEC}–{}",
                f.radius,
                3.0 * FOV_RADIUS_ARCSEC
            )));
        }
    }
    for e in &cfg.eclipses {
        if !(e.depth > 0.0 && e.depth <= 1.0 && e.duration > 0.0) {
            return Err(SimError::Config(format!(
                "eclipse depth {} (0–1] / duration {}",
                e.depth, e.duration
            )));
        }
    }
    Ok(())
}

/// Reject a flicker off its camera's CCDs or with a bad amplitude or duration.
fn validate_flicker(cfg: &SimConfig, h: &HotFlicker) -> Result<(), SimError> {
    if !cfg.cameras.contains(&h.camera) {
        return Err(SimError::Config(format!(
            "hot flicker on {}: the camera is not simulated",
            h.camera.instrume()
        )));
    }
    let on_ccd = geometry::ccds(h.camera).iter().any(|c| {
        c.id == h.ccd
            && (1..=c.nx).contains(&(h.rawx as i32))
            && (1..=c.ny).contains(&(h.rawy as i32))
    });
    if !on_ccd {
        return Err(SimError::Config(format!(
            "hot flicker at {} CCD {} RAWX {} RAWY {}: not a pixel of the camera",
            h.camera.instrume(),
            h.ccd,
            h.rawx,
            h.rawy
        )));
    }
    if !(h.counts >= 0.0
        && h.counts <= MAX_BURST_COUNTS
        && h.duration > 0.0
        && h.duration.is_finite())
    {
        return Err(SimError::Config(format!(
            "hot flicker counts {} / duration {} s: expected 0–{MAX_BURST_COUNTS} counts and a positive duration",
            h.counts, h.duration
        )));
    }
    Ok(())
}

/// A Poisson draw of mean `mean` (0 for a non-positive mean).
pub(crate) fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    Poisson::new(mean)
        .map(|p| p.sample(rng) as u64)
        .unwrap_or(0)
}

/// The random stream `stream` of `seed`.
pub(crate) fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}
