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
//!   fast-rise exponential-decay profile) and eclipses of constant sources (depth, duration).
//!
//! Outputs in a directory: `P<obsid>PNS003PIEVLI0000.FTZ`, `P<obsid>M1S001MIEVLI0000.FTZ`,
//! `P<obsid>M2S002MIEVLI0000.FTZ` (gzip-compressed FITS), `P<obsid>EPX000OBSMLI0000.FTZ` (source
//! list of the sources with ≥ 30 expected counts; its EP_DET_ML is a monotonic proxy of the counts,
//! not a likelihood fit), and `truth.ecsv`.

use std::f64::consts::PI;
use std::io::Write;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};

use exod_core::instrument::EpicCamera as XmmCamera;
use exod_core::screening::HotPixels;
use exod_core::wcs::{Projection, SkyWcs, WcsParams};
use exod_io::ecsv::{self, Column, Value};

/// XMM sky pixel size (arcsec) and reference pixel.
pub const SKY_PIXEL_ARCSEC: f64 = 0.05;
pub const SKY_CRPIX: f64 = 25921.0;
/// Field-of-view radius (arcsec).
pub const FOV_RADIUS_ARCSEC: f64 = 900.0;
/// MJD of XMM time 0.
pub const XMM_MJDREF: f64 = 50814.0;

/// Errors of the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cfitsio error: {msg}")]
    Fits { path: PathBuf, msg: String },
    #[error("invalid simulation parameter: {0}")]
    Config(String),
}

/// Soft-proton flaring level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Flares {
    None,
    Mild,
    Strong,
}

impl std::str::FromStr for Flares {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Flares::None),
            "mild" => Ok(Flares::Mild),
            "strong" => Ok(Flares::Strong),
            _ => Err(format!("flares must be none, mild or strong, not {s:?}")),
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
    pub profile: Profile,
    /// (RA, Dec) in degrees.
    pub position: Option<(f64, f64)>,
    /// Start time (s, mission time).
    pub t_start: Option<f64>,
}

/// An eclipse of a constant source: during the eclipse a fraction `depth` of its photons is lost.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Eclipse {
    pub depth: f64,
    pub duration: f64,
    /// Index of the eclipsed source in the source list (None: the brightest after the target).
    pub source: Option<usize>,
    pub t_start: Option<f64>,
}

/// Everything that defines a simulated observation. `Default` is a 50 ks pn+MOS1+MOS2 pointing
/// with mild flares and no transients.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SimConfig {
    pub seed: u64,
    pub obs_id: String,
    /// Exposure of the MOS cameras (s); pn is 700 s shorter.
    pub exposure: f64,
    pub cameras: Vec<XmmCamera>,
    /// Pointing (deg) and roll (PA_PNT, deg).
    pub ra: f64,
    pub dec: f64,
    pub roll: f64,
    /// Mission time of the start (s).
    pub tstart: f64,
    pub revolution: i64,
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
    pub bursts: Vec<Burst>,
    pub eclipses: Vec<Eclipse>,
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
        }
    }
}

/// A simulated constant source.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SimSource {
    pub ra: f64,
    pub dec: f64,
    /// pn count rate (ct/s) on axis; MOS rates are 0.35 of it.
    pub rate_pn: f64,
    /// Extent (arcsec; 0 for a point source).
    pub extent: f64,
}

/// One row of the truth table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TruthRow {
    pub id: usize,
    /// "source", "target", "cluster", "burst" or "eclipse".
    pub kind: String,
    pub ra: f64,
    pub dec: f64,
    pub t_start: f64,
    pub t_stop: f64,
    /// Expected counts (bursts: injected amplitude; sources: pn rate × exposure).
    pub expected: f64,
    /// Realised counts per camera (pn, MOS1, MOS2); for eclipses, the photons removed.
    pub counts: [u64; 3],
    /// Profile or extra information.
    pub note: String,
}

/// What a simulation produced.
#[derive(Debug, Clone)]
pub struct SimOutput {
    pub event_files: Vec<PathBuf>,
    pub srclist: PathBuf,
    pub truth: Vec<TruthRow>,
    pub truth_path: PathBuf,
    pub n_events: Vec<usize>,
}

// ---------------------------------------------------------------------------------------------
// Geometry
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Ccd {
    id: u8,
    /// Centre in camera detector coordinates (arcsec).
    cx: f64,
    cy: f64,
    nx: i32,
    ny: i32,
    pixel: f64,
}

impl Ccd {
    fn half(&self) -> (f64, f64) {
        (
            self.nx as f64 * self.pixel / 2.0,
            self.ny as f64 * self.pixel / 2.0,
        )
    }
}

fn ccds(cam: XmmCamera) -> Vec<Ccd> {
    let gap = 6.0;
    match cam {
        XmmCamera::Pn => {
            // the boresight falls on CCD 4 (RAWX ≈ 24, RAWY ≈ 73), as on the real pn
            let (pix, w, h) = (4.1, 64.0 * 4.1, 200.0 * 4.1);
            let (ox, oy) = (-100.0, -300.0);
            let mut v = Vec::new();
            for row in 0..2 {
                for k in 0..6 {
                    let cx = ox + (k as f64 - 2.5) * (w + gap);
                    let cy = oy
                        + if row == 0 {
                            (h + gap) / 2.0
                        } else {
                            -(h + gap) / 2.0
                        };
                    v.push(Ccd {
                        id: (row * 6 + k + 1) as u8,
                        cx,
                        cy,
                        nx: 64,
                        ny: 200,
                        pixel: pix,
                    });
                }
            }
            v
        }
        _ => {
            let s = 600.0 * 1.1 + gap;
            let pos = [
                (0.0, 0.0),
                (0.0, s),
                (-s, s / 2.0),
                (-s, -s / 2.0),
                (0.0, -s),
                (s, -s / 2.0),
                (s, s / 2.0),
            ];
            pos.iter()
                .enumerate()
                .map(|(i, &(cx, cy))| Ccd {
                    id: i as u8 + 1,
                    cx,
                    cy,
                    nx: 600,
                    ny: 600,
                    pixel: 1.1,
                })
                .collect()
        }
    }
}

/// Rotation of the camera in the detector plane (deg).
fn camera_angle(cam: XmmCamera) -> f64 {
    match cam {
        XmmCamera::Mos2 => 90.0,
        _ => 0.0,
    }
}

fn frame_time(cam: XmmCamera) -> f64 {
    match cam {
        XmmCamera::Pn => 0.0734,
        _ => 2.6,
    }
}

fn area_factor(cam: XmmCamera) -> f64 {
    match cam {
        XmmCamera::Pn => 1.0,
        _ => 0.35,
    }
}

fn cam_index(cam: XmmCamera) -> usize {
    match cam {
        XmmCamera::Pn => 0,
        XmmCamera::Mos1 => 1,
        XmmCamera::Mos2 => 2,
    }
}

/// Tangent-plane offsets (ξ east, η north, arcsec) ↔ camera detector coordinates.
struct Frame {
    roll: f64,
}

impl Frame {
    fn sky_to_det(&self, cam: XmmCamera, xi: f64, eta: f64) -> (f64, f64) {
        let a = -(self.roll + camera_angle(cam)).to_radians();
        (xi * a.cos() - eta * a.sin(), xi * a.sin() + eta * a.cos())
    }
    fn det_to_sky(&self, cam: XmmCamera, dx: f64, dy: f64) -> (f64, f64) {
        let a = (self.roll + camera_angle(cam)).to_radians();
        (dx * a.cos() - dy * a.sin(), dx * a.sin() + dy * a.cos())
    }
}

/// Which CCD and raw pixel a detector position falls on (None in gaps / outside).
fn locate(ccds: &[Ccd], dx: f64, dy: f64) -> Option<(u8, i16, i16)> {
    for c in ccds {
        let (hw, hh) = c.half();
        let (u, v) = (dx - (c.cx - hw), dy - (c.cy - hh));
        if u >= 0.0 && v >= 0.0 && u < 2.0 * hw && v < 2.0 * hh {
            return Some((c.id, (u / c.pixel) as i16 + 1, (v / c.pixel) as i16 + 1));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Event generation
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Events {
    time: Vec<f64>,
    rawx: Vec<i16>,
    rawy: Vec<i16>,
    detx: Vec<i16>,
    dety: Vec<i16>,
    x: Vec<i32>,
    y: Vec<i32>,
    pi: Vec<i16>,
    flag: Vec<i32>,
    pattern: Vec<u8>,
    ccd: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Photon,
    Particle,
    HotPixel,
}

struct Camera {
    cam: XmmCamera,
    ccds: Vec<Ccd>,
    t0: f64,
    t1: f64,
    /// (ccd, off_start, off_stop)
    off: Option<(u8, f64, f64)>,
    ev: Events,
}

impl Camera {
    fn live(&self, ccd: u8, t: f64) -> bool {
        if t < self.t0 || t >= self.t1 {
            return false;
        }
        match self.off {
            Some((c, a, b)) if c == ccd => !(t >= a && t < b),
            _ => true,
        }
    }

    fn quantise(&self, t: f64) -> f64 {
        let ft = frame_time(self.cam);
        self.t0 + (((t - self.t0) / ft).floor() + 0.5) * ft
    }

    /// Add one event at tangent-plane offset (ξ, η) and time t; false if it falls off the CCDs or
    /// the CCD is not live.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        frame: &Frame,
        xi: f64,
        eta: f64,
        t: f64,
        energy_kev: f64,
        kind: Kind,
        rng: &mut ChaCha8Rng,
    ) -> bool {
        let (dx, dy) = frame.sky_to_det(self.cam, xi, eta);
        let Some((ccd, rawx, rawy)) = locate(&self.ccds, dx, dy) else {
            return false;
        };
        if !self.live(ccd, t) {
            return false;
        }
        self.push(
            dx,
            dy,
            xi,
            eta,
            ccd,
            rawx,
            rawy,
            self.quantise(t),
            energy_kev,
            kind,
            rng,
        );
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        dx: f64,
        dy: f64,
        xi: f64,
        eta: f64,
        ccd: u8,
        rawx: i16,
        rawy: i16,
        t: f64,
        e_kev: f64,
        kind: Kind,
        rng: &mut ChaCha8Rng,
    ) {
        let is_pn = self.cam == XmmCamera::Pn;
        // energy resolution: σ = 60 eV √(E/keV)
        let sigma = 0.06 * e_kev.max(0.05).sqrt();
        let e = (e_kev + sigma * Normal::new(0.0, 1.0).expect("unit normal").sample(rng)).max(0.02);
        let u: f64 = rng.gen();
        let pattern: u8 = match (kind, is_pn) {
            (Kind::HotPixel, _) => 0,
            (Kind::Photon, true) => {
                if u < 0.70 {
                    0
                } else if u < 0.97 {
                    rng.gen_range(1..=4)
                } else {
                    rng.gen_range(5..=12)
                }
            }
            (Kind::Photon, false) => {
                if u < 0.75 {
                    0
                } else if u < 0.99 {
                    rng.gen_range(1..=12)
                } else {
                    rng.gen_range(25..=31)
                }
            }
            (Kind::Particle, true) => {
                if u < 0.5 {
                    0
                } else if u < 0.7 {
                    rng.gen_range(1..=4)
                } else {
                    rng.gen_range(5..=12)
                }
            }
            (Kind::Particle, false) => {
                if u < 0.5 {
                    0
                } else if u < 0.9 {
                    rng.gen_range(1..=12)
                } else {
                    rng.gen_range(25..=31)
                }
            }
        };
        let v: f64 = rng.gen();
        let flag: i32 = if v < 0.02 {
            0x2 // CLOSE_TO_CCD_BORDER: kept by both XMMEA masks
        } else if v < 0.03 {
            if is_pn {
                0x80000
            } else {
                0x10000
            } // rejected by XMMEA_EP / XMMEA_EM
        } else {
            0
        };
        let ev = &mut self.ev;
        ev.time.push(t);
        ev.rawx.push(rawx);
        ev.rawy.push(rawy);
        ev.detx
            .push((dx / SKY_PIXEL_ARCSEC).round().clamp(-32768.0, 32767.0) as i16);
        ev.dety
            .push((dy / SKY_PIXEL_ARCSEC).round().clamp(-32768.0, 32767.0) as i16);
        ev.x.push((SKY_CRPIX - xi / SKY_PIXEL_ARCSEC).round() as i32);
        ev.y.push((SKY_CRPIX + eta / SKY_PIXEL_ARCSEC).round() as i32);
        ev.pi.push((e * 1000.0).round().min(20000.0) as i16);
        ev.flag.push(flag);
        ev.pattern.push(pattern);
        ev.ccd.push(ccd);
    }
}

/// An offset (arcsec) drawn from the EPIC-like King PSF (r_c = 3.9″, index 1.5), truncated at 5′.
pub fn king_offset(rng: &mut ChaCha8Rng) -> (f64, f64) {
    // King profile (1 + r²/rc²)^-1.5: P(<r) = 1 − (1 + r²/rc²)^-0.5
    let rc = 3.9;
    loop {
        let u: f64 = rng.gen();
        let q = 1.0 - u;
        let r = rc * ((1.0 / (q * q)) - 1.0).sqrt();
        if r < 300.0 {
            let phi = 2.0 * PI * rng.gen::<f64>();
            return (r * phi.cos(), r * phi.sin());
        }
    }
}

fn vignetting(theta_arcsec: f64) -> f64 {
    let t = theta_arcsec / 60.0 / 13.5;
    1.0 / (1.0 + t * t)
}

fn sp_vignetting(theta_arcsec: f64) -> f64 {
    (1.0 - theta_arcsec / 3600.0).max(0.0)
}

/// A photon energy (keV) from the simulator's log-normal spectrum around 1.2 keV.
pub fn photon_energy(rng: &mut ChaCha8Rng) -> f64 {
    // log-normal around 1.2 keV: ~20 % above 2 keV, a few % below 0.2 keV
    let z: f64 = Normal::new(0.0, 1.0).expect("unit normal").sample(rng);
    (1.2f64.ln() + 0.75 * z).exp().clamp(0.1, 15.0)
}

fn powerlaw_energy(rng: &mut ChaCha8Rng, gamma: f64, lo: f64, hi: f64) -> f64 {
    let u: f64 = rng.gen();
    let g = 1.0 - gamma;
    (lo.powf(g) + u * (hi.powf(g) - lo.powf(g))).powf(1.0 / g)
}

fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    Poisson::new(mean)
        .map(|p| p.sample(rng) as u64)
        .unwrap_or(0)
}

fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// The sources of a simulated field: the target, a log N–log S population, and (optionally)
/// the cluster. Deterministic in the seed.
pub fn draw_sources(cfg: &SimConfig, wcs: &SkyWcs) -> Vec<SimSource> {
    let mut rng = rng_for(cfg.seed, 1);
    let mut out = Vec::new();
    let to_radec = |xi: f64, eta: f64| {
        wcs.pix_to_world(
            SKY_CRPIX - xi / SKY_PIXEL_ARCSEC,
            SKY_CRPIX + eta / SKY_PIXEL_ARCSEC,
        )
        .expect("inside the projection")
    };
    if cfg.target_rate > 0.0 {
        let (ra, dec) = to_radec(cfg.target_offset[0], cfg.target_offset[1]);
        out.push(SimSource {
            ra,
            dec,
            rate_pn: cfg.target_rate,
            extent: 0.0,
        });
    }
    // N(>S) = 40 (S/1e-3)^-1.2 over the whole field, S from 3e-4 to 0.1 ct/s
    let (smin, smax, alpha) = (3e-4, 0.1, 1.2);
    let n_mean = 40.0 * (smin / 1e-3f64).powf(-alpha) - 40.0 * (smax / 1e-3f64).powf(-alpha);
    let n = poisson(&mut rng, n_mean);
    for _ in 0..n {
        let u: f64 = rng.gen();
        let hi = (smax / smin).powf(-alpha);
        let s = smin * (1.0 - u * (1.0 - hi)).powf(-1.0 / alpha);
        let r = FOV_RADIUS_ARCSEC * rng.gen::<f64>().sqrt();
        let phi = 2.0 * PI * rng.gen::<f64>();
        let (ra, dec) = to_radec(r * phi.cos(), r * phi.sin());
        out.push(SimSource {
            ra,
            dec,
            rate_pn: s,
            extent: 0.0,
        });
    }
    if cfg.cluster {
        let (ra, dec) = to_radec(-300.0, 200.0);
        out.push(SimSource {
            ra,
            dec,
            rate_pn: 0.6,
            extent: 30.0,
        });
    }
    out
}

/// The sky WCS of a simulated observation.
pub fn sky_wcs(cfg: &SimConfig) -> SkyWcs {
    SkyWcs::new(WcsParams {
        projection: Projection::Tan,
        crval: [cfg.ra, cfg.dec],
        crpix: [SKY_CRPIX, SKY_CRPIX],
        cdelt: [-SKY_PIXEL_ARCSEC / 3600.0, SKY_PIXEL_ARCSEC / 3600.0],
    })
    .expect("simulation pointing is valid")
}

fn tangent(wcs: &SkyWcs, ra: f64, dec: f64) -> (f64, f64) {
    let (x, y) = wcs.world_to_pix(ra, dec).expect("near the pointing");
    (
        (SKY_CRPIX - x) * SKY_PIXEL_ARCSEC,
        (y - SKY_CRPIX) * SKY_PIXEL_ARCSEC,
    )
}

/// Soft-proton flare components: (centre, σ, peak pn rate in ct/s).
fn flare_components(cfg: &SimConfig, rng: &mut ChaCha8Rng) -> Vec<(f64, f64, f64)> {
    let t = cfg.exposure;
    let (n, peak, width) = match cfg.flares {
        Flares::None => return vec![],
        Flares::Mild => (2, 30.0, 600.0),
        Flares::Strong => (5, 60.0, 1500.0),
    };
    (0..n)
        .map(|k| {
            let c = cfg.tstart + t * (0.15 + 0.7 * (k as f64 + rng.gen::<f64>()) / n as f64);
            (
                c,
                width * (0.6 + 0.8 * rng.gen::<f64>()),
                peak * (0.6 + 0.8 * rng.gen::<f64>()),
            )
        })
        .collect()
}

/// Simulate an observation into `out_dir` (created if needed).
pub fn simulate(cfg: &SimConfig, out_dir: &Path) -> Result<SimOutput, SimError> {
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
        if !(b.counts >= 0.0 && b.duration > 0.0) {
            return Err(SimError::Config(format!(
                "burst counts {} / duration {} s",
                b.counts, b.duration
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
    std::fs::create_dir_all(out_dir).map_err(|source| SimError::Io {
        path: out_dir.into(),
        source,
    })?;
    let wcs = sky_wcs(cfg);
    let frame = Frame { roll: cfg.roll };
    let sources = draw_sources(cfg, &wcs);
    let (t_start, t_stop) = (cfg.tstart, cfg.tstart + cfg.exposure);

    let mut cams: Vec<Camera> = cfg
        .cameras
        .iter()
        .map(|&cam| {
            let (t0, t1) = if cam == XmmCamera::Pn {
                (t_start + 500.0, t_stop - 200.0)
            } else {
                (t_start, t_stop)
            };
            let off = cfg.ccd_off.filter(|o| o.0 == cam).map(|(_, ccd, a, b)| {
                (ccd, t_start + a * cfg.exposure, t_start + b * cfg.exposure)
            });
            Camera {
                cam,
                ccds: ccds(cam),
                t0,
                t1,
                off,
                ev: Events::default(),
            }
        })
        .collect();

    let mut truth: Vec<TruthRow> = Vec::new();
    let mut src_counts: Vec<[u64; 3]> = vec![[0; 3]; sources.len()];

    // eclipses: choose hosts and windows first (they thin the host's photons)
    let mut rng_tr = rng_for(cfg.seed, 7);
    let brightest = {
        let mut idx: Vec<usize> = (0..sources.len())
            .filter(|&i| sources[i].extent == 0.0)
            .collect();
        idx.sort_by(|&a, &b| sources[b].rate_pn.total_cmp(&sources[a].rate_pn));
        idx
    };
    let mut eclipse_windows: Vec<(usize, f64, f64, f64)> = Vec::new();
    for (k, e) in cfg.eclipses.iter().enumerate() {
        let host = e
            .source
            .unwrap_or_else(|| brightest.get(k).copied().unwrap_or(0));
        if host >= sources.len() {
            return Err(SimError::Config(format!(
                "eclipse source {host} does not exist ({} sources)",
                sources.len()
            )));
        }
        let ts = e.t_start.unwrap_or_else(|| {
            t_start + 1000.0 + rng_tr.gen::<f64>() * (cfg.exposure - 2000.0 - e.duration).max(0.0)
        });
        eclipse_windows.push((host, ts, ts + e.duration, e.depth));
    }

    // constant sources
    let mut removed_by_eclipse = vec![[0u64; 3]; eclipse_windows.len()];
    for (si, s) in sources.iter().enumerate() {
        let (xi0, eta0) = tangent(&wcs, s.ra, s.dec);
        for cam in cams.iter_mut() {
            let ci = cam_index(cam.cam);
            let mut rng = rng_for(cfg.seed, 1000 + si as u64 * 4 + ci as u64);
            let theta = (xi0 * xi0 + eta0 * eta0).sqrt();
            let mean = s.rate_pn * area_factor(cam.cam) * vignetting(theta) * (cam.t1 - cam.t0);
            let n = poisson(&mut rng, mean);
            for _ in 0..n {
                let t = cam.t0 + rng.gen::<f64>() * (cam.t1 - cam.t0);
                let (dx, dy) = if s.extent > 0.0 {
                    // β model with β = 2/3: surface brightness ∝ (1 + r²/rc²)^-1.5 — a King law
                    let (a, b) = king_offset(&mut rng);
                    (a * s.extent / 3.9, b * s.extent / 3.9)
                } else {
                    king_offset(&mut rng)
                };
                let e = photon_energy(&mut rng);
                let eclipsed = eclipse_windows
                    .iter()
                    .position(|&(h, a, b, _)| h == si && t >= a && t < b);
                if let Some(k) = eclipsed {
                    if rng.gen::<f64>() < eclipse_windows[k].3 {
                        removed_by_eclipse[k][ci] += 1;
                        continue;
                    }
                }
                if cam.add(&frame, xi0 + dx, eta0 + dy, t, e, Kind::Photon, &mut rng) {
                    src_counts[si][ci] += 1;
                }
            }
        }
    }
    for (si, s) in sources.iter().enumerate() {
        let kind = if s.extent > 0.0 {
            "cluster"
        } else if si == 0 && cfg.target_rate > 0.0 {
            "target"
        } else {
            "source"
        };
        truth.push(TruthRow {
            id: truth.len(),
            kind: kind.into(),
            ra: s.ra,
            dec: s.dec,
            t_start,
            t_stop,
            expected: s.rate_pn * cfg.exposure,
            counts: src_counts[si],
            note: format!("rate_pn={:.6} ct/s; extent={} arcsec", s.rate_pn, s.extent),
        });
    }
    for (k, &(host, a, b, depth)) in eclipse_windows.iter().enumerate() {
        truth.push(TruthRow {
            id: truth.len(),
            kind: "eclipse".into(),
            ra: sources[host].ra,
            dec: sources[host].dec,
            t_start: a,
            t_stop: b,
            expected: sources[host].rate_pn * depth * (b - a) * (1.0 + 2.0 * 0.35),
            counts: removed_by_eclipse[k],
            note: format!("depth={depth}; source={host}"),
        });
    }

    // bursts
    for (k, b) in cfg.bursts.iter().enumerate() {
        let mut rng = rng_for(cfg.seed, 20_000 + k as u64);
        let (ra, dec) = match b.position {
            Some(p) => p,
            None => loop {
                // on every camera's CCDs, ≥ 60″ from sources brighter than 5e-3 ct/s
                let r = 720.0 * rng.gen::<f64>().sqrt();
                let phi = 2.0 * PI * rng.gen::<f64>();
                let (xi, eta) = (r * phi.cos(), r * phi.sin());
                let on_ccds = cams.iter().all(|c| {
                    let (dx, dy) = frame.sky_to_det(c.cam, xi, eta);
                    locate(&c.ccds, dx, dy).is_some()
                });
                let clear = sources.iter().filter(|s| s.rate_pn > 5e-3).all(|s| {
                    let (a, bb) = tangent(&wcs, s.ra, s.dec);
                    ((a - xi).powi(2) + (bb - eta).powi(2)).sqrt() > 60.0
                });
                if on_ccds && clear {
                    break wcs
                        .pix_to_world(
                            SKY_CRPIX - xi / SKY_PIXEL_ARCSEC,
                            SKY_CRPIX + eta / SKY_PIXEL_ARCSEC,
                        )
                        .expect("projection");
                }
            },
        };
        let common0 = cams.iter().map(|c| c.t0).fold(f64::NEG_INFINITY, f64::max);
        let common1 = cams.iter().map(|c| c.t1).fold(f64::INFINITY, f64::min);
        let ts = b.t_start.unwrap_or_else(|| {
            common0 + 200.0 + rng.gen::<f64>() * (common1 - common0 - 400.0 - b.duration).max(0.0)
        });
        let (xi0, eta0) = tangent(&wcs, ra, dec);
        let total_area: f64 = cams.iter().map(|c| area_factor(c.cam)).sum();
        let mut counts = [0u64; 3];
        for cam in cams.iter_mut() {
            let ci = cam_index(cam.cam);
            let mean = b.counts * area_factor(cam.cam) / total_area;
            let n = poisson(&mut rng, mean);
            for _ in 0..n {
                let t = ts
                    + match b.profile {
                        Profile::Box => rng.gen::<f64>() * b.duration,
                        Profile::Fred => loop {
                            // rise over 10 % then decay with τ = duration/3, truncated at the duration
                            let rise = 0.1 * b.duration;
                            let tau = b.duration / 3.0;
                            let w_rise = rise / 2.0;
                            let w_decay = tau * (1.0 - (-(b.duration - rise) / tau).exp());
                            let t = if rng.gen::<f64>() < w_rise / (w_rise + w_decay) {
                                rise * rng.gen::<f64>().sqrt()
                            } else {
                                rise - tau
                                    * (1.0
                                        - rng.gen::<f64>()
                                            * (1.0 - (-(b.duration - rise) / tau).exp()))
                                    .ln()
                            };
                            if t < b.duration {
                                break t;
                            }
                        },
                    };
                let (dx, dy) = king_offset(&mut rng);
                let e = photon_energy(&mut rng);
                if cam.add(&frame, xi0 + dx, eta0 + dy, t, e, Kind::Photon, &mut rng) {
                    counts[ci] += 1;
                }
            }
        }
        truth.push(TruthRow {
            id: truth.len(),
            kind: "burst".into(),
            ra,
            dec,
            t_start: ts,
            t_stop: ts + b.duration,
            expected: b.counts,
            counts,
            note: format!("profile={:?}", b.profile).to_lowercase(),
        });
    }

    // backgrounds, hot pixels, flares
    let mut rng_fl = rng_for(cfg.seed, 3);
    let flares = flare_components(cfg, &mut rng_fl);
    for cam in cams.iter_mut() {
        let ci = cam_index(cam.cam) as u64;
        let mut rng = rng_for(cfg.seed, 100 + ci);
        let af = area_factor(cam.cam);
        let dur = cam.t1 - cam.t0;
        // quiescent particles: pn 0.8 ct/s, MOS 0.25 ct/s over the CCDs, flat 0.2–15 keV
        let n = poisson(
            &mut rng,
            if cam.cam == XmmCamera::Pn { 0.8 } else { 0.25 } * dur,
        );
        let ccds = cam.ccds.clone();
        for _ in 0..n {
            let c = ccds[rng.gen_range(0..ccds.len())];
            let (hw, hh) = c.half();
            let dx = c.cx - hw + rng.gen::<f64>() * 2.0 * hw;
            let dy = c.cy - hh + rng.gen::<f64>() * 2.0 * hh;
            let (xi, eta) = frame.det_to_sky(cam.cam, dx, dy);
            let t = cam.t0 + rng.gen::<f64>() * dur;
            let e = 0.2 + rng.gen::<f64>() * 14.8;
            cam.add(&frame, xi, eta, t, e, Kind::Particle, &mut rng);
        }
        // unresolved cosmic background photons: 0.6 ct/s pn-equivalent over the FOV, vignetted
        let n = poisson(&mut rng, 0.6 * af * dur);
        for _ in 0..n {
            let r = FOV_RADIUS_ARCSEC * rng.gen::<f64>().sqrt();
            if rng.gen::<f64>() > vignetting(r) {
                continue;
            }
            let phi = 2.0 * PI * rng.gen::<f64>();
            let t = cam.t0 + rng.gen::<f64>() * dur;
            let e = photon_energy(&mut rng);
            cam.add(
                &frame,
                r * phi.cos(),
                r * phi.sin(),
                t,
                e,
                Kind::Photon,
                &mut rng,
            );
        }
        // soft protons: flatter vignetting, hard spectrum (power law index 0.7, 0.2–15 keV)
        for &(c, w, peak) in &flares {
            let n = poisson(&mut rng, peak * af.sqrt() * w * (2.0 * PI).sqrt());
            let nd = Normal::new(c, w).expect("flare width > 0");
            for _ in 0..n {
                let t = nd.sample(&mut rng);
                let r = FOV_RADIUS_ARCSEC * rng.gen::<f64>().sqrt();
                if rng.gen::<f64>() > sp_vignetting(r) {
                    continue;
                }
                let phi = 2.0 * PI * rng.gen::<f64>();
                let e = powerlaw_energy(&mut rng, 0.7, 0.2, 15.0);
                cam.add(
                    &frame,
                    r * phi.cos(),
                    r * phi.sin(),
                    t,
                    e,
                    Kind::Particle,
                    &mut rng,
                );
            }
        }
        // hot pixels from the DR14 table valid at this revolution (screening removes them)
        let hot = HotPixels::for_exposure(cam.cam, cfg.revolution);
        let mut picked: Vec<(u8, i16, i16)> = Vec::new();
        for c in &ccds {
            for rx in 1..=c.nx as i16 {
                for ry in [c.ny as i16 / 2] {
                    if hot.contains(c.id, rx, ry) && picked.len() < 3 {
                        picked.push((c.id, rx, ry));
                    }
                }
            }
        }
        for (ccd, rx, ry) in picked {
            let c = ccds
                .iter()
                .find(|c| c.id == ccd)
                .expect("picked from the list");
            let (hw, hh) = c.half();
            let dx = c.cx - hw + (rx as f64 - 0.5) * c.pixel;
            let dy = c.cy - hh + (ry as f64 - 0.5) * c.pixel;
            let (xi, eta) = frame.det_to_sky(cam.cam, dx, dy);
            let n = poisson(&mut rng, 0.02 * dur);
            for _ in 0..n {
                let t = cam.t0 + rng.gen::<f64>() * dur;
                if cam.live(ccd, t) {
                    let tq = cam.quantise(t);
                    cam.push(
                        dx,
                        dy,
                        xi,
                        eta,
                        ccd,
                        rx,
                        ry,
                        tq,
                        0.25,
                        Kind::HotPixel,
                        &mut rng,
                    );
                }
            }
        }
    }

    // write
    let mut event_files = Vec::new();
    let mut n_events = Vec::new();
    for cam in cams.iter_mut() {
        sort_events(&mut cam.ev);
        let (tag, ext) = match cam.cam {
            XmmCamera::Pn => ("PNS003", "PIEVLI"),
            XmmCamera::Mos1 => ("M1S001", "MIEVLI"),
            XmmCamera::Mos2 => ("M2S002", "MIEVLI"),
        };
        let path = out_dir.join(format!("P{}{tag}{ext}0000.FTZ", cfg.obs_id));
        write_events(cfg, cam, &path)?;
        n_events.push(cam.ev.time.len());
        event_files.push(path);
    }
    let srclist = out_dir.join(format!("P{}EPX000OBSMLI0000.FTZ", cfg.obs_id));
    write_srclist(cfg, &sources, &srclist)?;
    let truth_path = out_dir.join("truth.ecsv");
    write_truth(cfg, &truth, &truth_path)?;
    Ok(SimOutput {
        event_files,
        srclist,
        truth,
        truth_path,
        n_events,
    })
}

fn sort_events(ev: &mut Events) {
    let mut idx: Vec<u32> = (0..ev.time.len() as u32).collect();
    idx.sort_by(|&a, &b| {
        ev.time[a as usize]
            .total_cmp(&ev.time[b as usize])
            .then(a.cmp(&b))
    });
    fn perm<T: Copy>(v: &mut Vec<T>, idx: &[u32]) {
        *v = idx.iter().map(|&i| v[i as usize]).collect();
    }
    perm(&mut ev.time, &idx);
    perm(&mut ev.rawx, &idx);
    perm(&mut ev.rawy, &idx);
    perm(&mut ev.detx, &idx);
    perm(&mut ev.dety, &idx);
    perm(&mut ev.x, &idx);
    perm(&mut ev.y, &idx);
    perm(&mut ev.pi, &idx);
    perm(&mut ev.flag, &idx);
    perm(&mut ev.pattern, &idx);
    perm(&mut ev.ccd, &idx);
}

fn fits_err(path: &Path) -> impl Fn(fitsio::errors::Error) -> SimError + '_ {
    move |e| SimError::Fits {
        path: path.into(),
        msg: e.to_string(),
    }
}

/// Write a FITS file through a temporary plain file, then gzip it deterministically (mtime 0)
/// into `dest` (atomic rename).
fn write_fits_gz(
    dest: &Path,
    fill: impl FnOnce(&Path) -> Result<(), SimError>,
) -> Result<(), SimError> {
    let tmp_plain = dest.with_extension("tmp.fits");
    let _ = std::fs::remove_file(&tmp_plain);
    fill(&tmp_plain)?;
    let io = |source| SimError::Io {
        path: dest.into(),
        source,
    };
    let bytes = std::fs::read(&tmp_plain).map_err(io)?;
    let _ = std::fs::remove_file(&tmp_plain);
    exod_io::fits::write_atomic(dest, |tmp| -> std::io::Result<()> {
        let f = std::fs::File::create(tmp)?;
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(f, flate2::Compression::new(6));
        gz.write_all(&bytes)?;
        gz.finish()?;
        Ok(())
    })
    .map_err(io)
}

fn date_of(t: f64) -> String {
    // XMM time 0 = 1998-01-01T00:00:00 TT; civil date by days since then
    let days = (t / 86400.0).floor() as i64;
    let secs = t - days as f64 * 86400.0;
    let (mut y, mut d) = (1998i64, days);
    loop {
        let len = if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
            366
        } else {
            365
        };
        if d < len {
            break;
        }
        d -= len;
        y += 1;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let months = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut m = 0;
    while d >= months[m] {
        d -= months[m];
        m += 1;
    }
    let (h, mi, s) = (
        (secs / 3600.0) as i64,
        ((secs % 3600.0) / 60.0) as i64,
        (secs % 60.0) as i64,
    );
    format!("{y:04}-{:02}-{:02}T{h:02}:{mi:02}:{s:02}", m + 1, d + 1)
}

fn write_events(cfg: &SimConfig, cam: &Camera, path: &Path) -> Result<(), SimError> {
    use fitsio::tables::{ColumnDataType, ColumnDescription};
    write_fits_gz(path, |tmp| {
        let e = fits_err(tmp);
        let mut f = fitsio::FitsFile::create(tmp).open().map_err(&e)?;
        let inst = cam.cam.instrume();
        let exp_id = format!(
            "{}{}",
            cfg.obs_id,
            match cam.cam {
                XmmCamera::Pn => "003",
                XmmCamera::Mos1 => "001",
                XmmCamera::Mos2 => "002",
            }
        );
        let common: Vec<(&str, String)> = vec![
            ("TELESCOP", "XMM".into()),
            ("INSTRUME", inst.into()),
            ("DATAMODE", "IMAGING".into()),
            ("SUBMODE", "PrimeFullWindow".into()),
            ("OBS_ID", cfg.obs_id.clone()),
            ("EXP_ID", exp_id),
            ("OBJECT", "EXOD SIMULATION".into()),
            ("DATE-OBS", date_of(cam.t0)),
            ("DATE-END", date_of(cam.t1)),
            ("TIMESYS", "TT".into()),
            (
                "CREATOR",
                format!(
                    "exod simulate {} (seed {})",
                    env!("CARGO_PKG_VERSION"),
                    cfg.seed
                ),
            ),
        ];
        let ph = f.primary_hdu().map_err(&e)?;
        for (k, v) in &common {
            ph.write_key(&mut f, k, v.as_str()).map_err(&e)?;
        }
        ph.write_key(&mut f, "REVOLUT", cfg.revolution)
            .map_err(&e)?;
        ph.write_key(&mut f, "REFXCTYP", "RA---TAN").map_err(&e)?;
        ph.write_key(&mut f, "REFYCTYP", "DEC--TAN").map_err(&e)?;
        ph.write_key(&mut f, "REFXCRPX", SKY_CRPIX).map_err(&e)?;
        ph.write_key(&mut f, "REFYCRPX", SKY_CRPIX).map_err(&e)?;
        ph.write_key(&mut f, "REFXCRVL", cfg.ra).map_err(&e)?;
        ph.write_key(&mut f, "REFYCRVL", cfg.dec).map_err(&e)?;
        ph.write_key(&mut f, "REFXCDLT", -SKY_PIXEL_ARCSEC / 3600.0)
            .map_err(&e)?;
        ph.write_key(&mut f, "REFYCDLT", SKY_PIXEL_ARCSEC / 3600.0)
            .map_err(&e)?;
        let col =
            |name: &str, t: ColumnDataType| ColumnDescription::new(name).with_type(t).create();
        let cols = [
            col("TIME", ColumnDataType::Double),
            col("RAWX", ColumnDataType::Short),
            col("RAWY", ColumnDataType::Short),
            col("DETX", ColumnDataType::Short),
            col("DETY", ColumnDataType::Short),
            col("X", ColumnDataType::Int),
            col("Y", ColumnDataType::Int),
            col("PI", ColumnDataType::Short),
            col("FLAG", ColumnDataType::Int),
            col("PATTERN", ColumnDataType::Byte),
            col("CCDNR", ColumnDataType::Byte),
        ];
        let cols: Vec<_> = cols.into_iter().collect::<Result<_, _>>().map_err(&e)?;
        let hdu = f.create_table("EVENTS", &cols).map_err(&e)?;
        let ev = &cam.ev;
        hdu.write_col(&mut f, "TIME", &ev.time).map_err(&e)?;
        hdu.write_col(&mut f, "RAWX", &ev.rawx).map_err(&e)?;
        hdu.write_col(&mut f, "RAWY", &ev.rawy).map_err(&e)?;
        hdu.write_col(&mut f, "DETX", &ev.detx).map_err(&e)?;
        hdu.write_col(&mut f, "DETY", &ev.dety).map_err(&e)?;
        hdu.write_col(&mut f, "X", &ev.x).map_err(&e)?;
        hdu.write_col(&mut f, "Y", &ev.y).map_err(&e)?;
        hdu.write_col(&mut f, "PI", &ev.pi).map_err(&e)?;
        hdu.write_col(&mut f, "FLAG", &ev.flag).map_err(&e)?;
        hdu.write_col(&mut f, "PATTERN", &ev.pattern).map_err(&e)?;
        hdu.write_col(&mut f, "CCDNR", &ev.ccd).map_err(&e)?;
        for (k, v) in &common {
            hdu.write_key(&mut f, k, v.as_str()).map_err(&e)?;
        }
        let units = [
            (1, "s"),
            (2, "pixel"),
            (3, "pixel"),
            (4, "pixel"),
            (5, "pixel"),
            (6, "pixel"),
            (7, "pixel"),
            (8, "eV"),
        ];
        for (i, u) in units {
            hdu.write_key(&mut f, &format!("TUNIT{i}"), u).map_err(&e)?;
        }
        for (i, ctype, crval, cdelt) in [
            (6, "RA---TAN", cfg.ra, -SKY_PIXEL_ARCSEC / 3600.0),
            (7, "DEC--TAN", cfg.dec, SKY_PIXEL_ARCSEC / 3600.0),
        ] {
            hdu.write_key(&mut f, &format!("TCTYP{i}"), ctype)
                .map_err(&e)?;
            hdu.write_key(&mut f, &format!("TCRPX{i}"), SKY_CRPIX)
                .map_err(&e)?;
            hdu.write_key(&mut f, &format!("TCRVL{i}"), crval)
                .map_err(&e)?;
            hdu.write_key(&mut f, &format!("TCDLT{i}"), cdelt)
                .map_err(&e)?;
            hdu.write_key(&mut f, &format!("TLMIN{i}"), 1i64)
                .map_err(&e)?;
            hdu.write_key(&mut f, &format!("TLMAX{i}"), 51840i64)
                .map_err(&e)?;
        }
        hdu.write_key(&mut f, "REVOLUT", cfg.revolution)
            .map_err(&e)?;
        hdu.write_key(&mut f, "TSTART", cam.t0).map_err(&e)?;
        hdu.write_key(&mut f, "TSTOP", cam.t1).map_err(&e)?;
        hdu.write_key(&mut f, "MJDREF", XMM_MJDREF).map_err(&e)?;
        hdu.write_key(&mut f, "RA_PNT", cfg.ra).map_err(&e)?;
        hdu.write_key(&mut f, "DEC_PNT", cfg.dec).map_err(&e)?;
        hdu.write_key(&mut f, "PA_PNT", cfg.roll).map_err(&e)?;
        hdu.write_key(&mut f, "FRMTIME", frame_time(cam.cam) * 1000.0)
            .map_err(&e)?;
        hdu.write_key(&mut f, "XMMEA_EP", "(FLAG & 0xfa000c) == 0")
            .map_err(&e)?;
        hdu.write_key(&mut f, "XMMEA_EM", "(FLAG & 0x766ba000) == 0")
            .map_err(&e)?;
        // per-CCD GTIs
        for c in &cam.ccds {
            let mut starts = vec![cam.t0];
            let mut stops = vec![cam.t1];
            if let Some((ccd, a, b)) = cam.off {
                if ccd == c.id {
                    starts = vec![cam.t0, b];
                    stops = vec![a, cam.t1];
                }
            }
            let gcols = [
                ColumnDescription::new("START")
                    .with_type(ColumnDataType::Double)
                    .create()
                    .map_err(&e)?,
                ColumnDescription::new("STOP")
                    .with_type(ColumnDataType::Double)
                    .create()
                    .map_err(&e)?,
            ];
            let g = f
                .create_table(format!("STDGTI{:02}", c.id), &gcols)
                .map_err(&e)?;
            g.write_col(&mut f, "START", &starts).map_err(&e)?;
            g.write_col(&mut f, "STOP", &stops).map_err(&e)?;
            g.write_key(&mut f, "CCDID", c.id as i64).map_err(&e)?;
            g.write_key(&mut f, "HDUCLAS1", "GTI").map_err(&e)?;
        }
        Ok(())
    })
}

fn write_srclist(cfg: &SimConfig, sources: &[SimSource], path: &Path) -> Result<(), SimError> {
    use fitsio::tables::{ColumnDataType, ColumnDescription};
    // sources with ≥ 30 expected EPIC counts, positions blurred by 1″ (a pipeline's error)
    let mut rng = rng_for(cfg.seed, 9);
    let mut rows: Vec<(f64, f64, f64, f64, f64)> = Vec::new();
    for s in sources {
        let rate = s.rate_pn * (1.0 + 2.0 * 0.35);
        let counts = rate * cfg.exposure;
        if counts < 30.0 {
            continue;
        }
        let n = Normal::new(0.0, 1.0 / 3600.0).expect("positive width");
        let ra = s.ra + n.sample(&mut rng) / s.dec.to_radians().cos();
        let dec = s.dec + n.sample(&mut rng);
        rows.push((ra, dec, 2.0 * counts.powf(0.75), rate, s.extent));
    }
    write_fits_gz(path, |tmp| {
        let e = fits_err(tmp);
        let mut f = fitsio::FitsFile::create(tmp).open().map_err(&e)?;
        let cols: Vec<_> = ["RA", "DEC", "EP_DET_ML", "EP_8_RATE", "EP_EXTENT"]
            .iter()
            .map(|n| {
                ColumnDescription::new(*n)
                    .with_type(ColumnDataType::Double)
                    .create()
            })
            .collect::<Result<_, _>>()
            .map_err(&e)?;
        let h = f.create_table("SRCLIST", &cols).map_err(&e)?;
        h.write_col(&mut f, "RA", &rows.iter().map(|r| r.0).collect::<Vec<_>>())
            .map_err(&e)?;
        h.write_col(&mut f, "DEC", &rows.iter().map(|r| r.1).collect::<Vec<_>>())
            .map_err(&e)?;
        h.write_col(
            &mut f,
            "EP_DET_ML",
            &rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        )
        .map_err(&e)?;
        h.write_col(
            &mut f,
            "EP_8_RATE",
            &rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        )
        .map_err(&e)?;
        h.write_col(
            &mut f,
            "EP_EXTENT",
            &rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        )
        .map_err(&e)?;
        h.write_key(&mut f, "OBS_ID", cfg.obs_id.as_str())
            .map_err(&e)?;
        h.write_key(&mut f, "CREATOR", "exod simulate")
            .map_err(&e)?;
        Ok(())
    })
}

fn write_truth(cfg: &SimConfig, truth: &[TruthRow], path: &Path) -> Result<(), SimError> {
    let cols = [
        Column::new("id", "int64", None, "row number"),
        Column::new("kind", "string", None, "target, source, cluster, burst or eclipse"),
        Column::new("ra", "float64", Some("deg"), "right ascension (ICRS)"),
        Column::new("dec", "float64", Some("deg"), "declination (ICRS)"),
        Column::new("t_start", "float64", Some("s"), "start (XMM mission time, TT)"),
        Column::new("t_stop", "float64", Some("s"), "stop (XMM mission time, TT)"),
        Column::new("expected", "float64", Some("ct"), "expected counts: burst amplitude over all cameras; pn rate x exposure for sources; photons lost for eclipses"),
        Column::new("counts_pn", "int64", Some("ct"), "realised pn counts (eclipse: photons removed)"),
        Column::new("counts_m1", "int64", Some("ct"), "realised MOS1 counts"),
        Column::new("counts_m2", "int64", Some("ct"), "realised MOS2 counts"),
        Column::new("note", "string", None, "profile, rates, depth"),
    ];
    let rows: Vec<Vec<Value>> = truth
        .iter()
        .map(|t| {
            vec![
                Value::I(t.id as i64),
                Value::S(t.kind.clone()),
                Value::F(t.ra),
                Value::F(t.dec),
                Value::F(t.t_start),
                Value::F(t.t_stop),
                Value::F(t.expected),
                Value::I(t.counts[0] as i64),
                Value::I(t.counts[1] as i64),
                Value::I(t.counts[2] as i64),
                Value::S(t.note.clone()),
            ]
        })
        .collect();
    let config = serde_json::to_string(cfg).unwrap_or_default();
    ecsv::write(
        path,
        &cols,
        &rows,
        &[
            ("software", format!("exod {}", env!("CARGO_PKG_VERSION"))),
            ("seed", cfg.seed.to_string()),
            ("config", config),
        ],
    )
    .map_err(|source| SimError::Io {
        path: path.into(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ccd_layouts_have_gaps_and_the_right_sizes() {
        let pn = ccds(XmmCamera::Pn);
        assert_eq!(pn.len(), 12);
        // the boresight is on CCD 4; the rows are separated by a gap 300″ below it
        assert_eq!(locate(&pn, 0.0, 0.0).map(|c| c.0), Some(4));
        assert!(locate(&pn, 0.0, -300.0).is_none());
        let mos = ccds(XmmCamera::Mos1);
        assert_eq!(locate(&mos, 0.0, 0.0).map(|c| c.0), Some(1));
        assert!(
            locate(&mos, 332.0, 0.0).is_none(),
            "gap between CCD 1 and its neighbour"
        );
        // RAW coordinates stay in range
        for x in (-800..800).step_by(37) {
            for y in (-800..800).step_by(41) {
                if let Some((_, rx, ry)) = locate(&pn, x as f64, y as f64) {
                    assert!((1..=64).contains(&rx) && (1..=200).contains(&ry));
                }
            }
        }
    }

    #[test]
    fn king_psf_has_6_arcsec_fwhm_and_80_percent_within_20() {
        let mut rng = rng_for(5, 0);
        let n = 200_000;
        let r: Vec<f64> = (0..n)
            .map(|_| {
                let (a, b) = king_offset(&mut rng);
                (a * a + b * b).sqrt()
            })
            .collect();
        let within20 = r.iter().filter(|&&x| x < 20.0).count() as f64 / n as f64;
        assert!((within20 - 0.81).abs() < 0.01, "{within20}");
        // FWHM of (1 + r²/rc²)^-1.5 with rc = 3.9: 2 rc √(2^(2/3) − 1) = 6.0″
        assert!((2.0 * 3.9 * (2f64.powf(2.0 / 3.0) - 1.0).sqrt() - 6.0).abs() < 0.05);
    }

    #[test]
    fn xmm_dates() {
        assert_eq!(date_of(0.0), "1998-01-01T00:00:00");
        assert_eq!(date_of(86400.0 * 366.0 + 3661.0), "1999-01-02T01:01:01");
    }
}
