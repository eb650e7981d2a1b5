//! One camera's event list as the simulator fills it: which CCDs are live when (the camera's own
//! start/stop — pn starts 500 s after MOS and stops 200 s earlier — and a CCD switched off for part
//! of the exposure), frame-time quantisation, and the detector response given to every event:
//! energy resolution, PATTERN (photons mostly single, particles mostly multi-pixel, some above the
//! screening limits) and FLAG (some CLOSE_TO_CCD_BORDER, kept, and some bits rejected by
//! XMMEA_EP/XMMEA_EM) — the artefacts the screening of paper §2.2 must remove.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use exod_core::instrument::EpicCamera as XmmCamera;

use super::geometry::{ccds, frame_time, locate, Ccd, Frame};
use super::{SimConfig, SKY_CRPIX, SKY_PIXEL_ARCSEC};

/// The columns of an event list, in the order they are written.
#[derive(Default)]
pub(super) struct Events {
    pub(super) time: Vec<f64>,
    pub(super) rawx: Vec<i16>,
    pub(super) rawy: Vec<i16>,
    pub(super) detx: Vec<i16>,
    pub(super) dety: Vec<i16>,
    pub(super) x: Vec<i32>,
    pub(super) y: Vec<i32>,
    pub(super) pi: Vec<i16>,
    pub(super) flag: Vec<i32>,
    pub(super) pattern: Vec<u8>,
    pub(super) ccd: Vec<u8>,
}

impl Events {
    /// Append one event; `pos` gives its positions, `pi` its PI (eV).
    pub(super) fn push_row(&mut self, pos: &Hit, t: f64, pi: i16, pattern: u8, flag: i32) {
        let Hit {
            dx,
            dy,
            xi,
            eta,
            ccd,
            rawx,
            rawy,
        } = *pos;
        self.time.push(t);
        self.rawx.push(rawx);
        self.rawy.push(rawy);
        self.detx
            .push((dx / SKY_PIXEL_ARCSEC).round().clamp(-32768.0, 32767.0) as i16);
        self.dety
            .push((dy / SKY_PIXEL_ARCSEC).round().clamp(-32768.0, 32767.0) as i16);
        self.x
            .push((SKY_CRPIX - xi / SKY_PIXEL_ARCSEC).round() as i32);
        self.y
            .push((SKY_CRPIX + eta / SKY_PIXEL_ARCSEC).round() as i32);
        self.pi.push(pi);
        self.flag.push(flag);
        self.pattern.push(pattern);
        self.ccd.push(ccd);
    }

    /// Sort all columns by time, stably (ties keep the order the events were added in).
    pub(super) fn sort_by_time(&mut self) {
        let ev = self;
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
}

/// The PI (eV) of a measured energy `e` (keV), capped at 20 keV.
pub(super) fn pi_of_kev(e: f64) -> i16 {
    (e * 1000.0).round().min(20000.0) as i16
}

/// The energy given to [`Camera::add`]: a true photon energy, to which the camera applies its
/// Gaussian resolution (backgrounds, and sources with the legacy energy model), or a PI already
/// drawn through the response (sources with a physical spectrum, module `spectrum`).
#[derive(Clone, Copy)]
pub(super) enum Energy {
    /// True energy (keV).
    True(f64),
    /// Measured PI (eV).
    Pi(i16),
}

/// What produced an event (sets its PATTERN distribution).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Photon,
    Particle,
    HotPixel,
}

/// Where an event lands: detector (dx, dy) and tangent-plane (ξ, η) positions (arcsec), CCD and
/// raw pixel.
#[derive(Clone, Copy)]
pub(super) struct Hit {
    pub(super) dx: f64,
    pub(super) dy: f64,
    pub(super) xi: f64,
    pub(super) eta: f64,
    pub(super) ccd: u8,
    pub(super) rawx: i16,
    pub(super) rawy: i16,
}

/// One camera being simulated: its CCDs, live time and the events collected so far.
pub(super) struct Camera {
    pub(super) cam: XmmCamera,
    pub(super) ccds: Vec<Ccd>,
    pub(super) t0: f64,
    pub(super) t1: f64,
    /// (ccd, off_start, off_stop)
    pub(super) off: Option<(u8, f64, f64)>,
    pub(super) ev: Events,
}

/// The cameras of `cfg`, empty, with their start/stop times and switched-off CCD.
pub(super) fn cameras(cfg: &SimConfig) -> Vec<Camera> {
    let (t_start, t_stop) = (cfg.tstart, cfg.tstart + cfg.exposure);
    cfg.cameras
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
        .collect()
}

impl Camera {
    /// Whether `ccd` records events at time `t`.
    pub(super) fn live(&self, ccd: u8, t: f64) -> bool {
        if t < self.t0 || t >= self.t1 {
            return false;
        }
        match self.off {
            Some((c, a, b)) if c == ccd => !(t >= a && t < b),
            _ => true,
        }
    }

    /// The time `t` quantised to the middle of its frame.
    pub(super) fn quantise(&self, t: f64) -> f64 {
        let ft = frame_time(self.cam);
        self.t0 + (((t - self.t0) / ft).floor() + 0.5) * ft
    }

    /// Add one event at tangent-plane offset (ξ, η) and time t; false if it falls off the CCDs or
    /// the CCD is not live.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add(
        &mut self,
        frame: &Frame,
        xi: f64,
        eta: f64,
        t: f64,
        energy: Energy,
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
        let hit = Hit {
            dx,
            dy,
            xi,
            eta,
            ccd,
            rawx,
            rawy,
        };
        self.push(&hit, self.quantise(t), energy, kind, rng);
        true
    }

    /// Record an event at `hit` and (already quantised) time `t`, drawing its measured energy
    /// (for a true energy), PATTERN and FLAG.
    pub(super) fn push(
        &mut self,
        hit: &Hit,
        t: f64,
        energy: Energy,
        kind: Kind,
        rng: &mut ChaCha8Rng,
    ) {
        let is_pn = self.cam == XmmCamera::Pn;
        let pi = match energy {
            Energy::True(e_kev) => pi_of_kev(measured_energy(e_kev, rng)),
            Energy::Pi(pi) => pi,
        };
        let pattern = draw_pattern(kind, is_pn, rng);
        let flag = draw_flag(is_pn, rng);
        self.ev.push_row(hit, t, pi, pattern, flag);
    }
}

/// The measured energy (keV) of a true energy `e_kev`: energy resolution σ = 60 eV √(E/keV).
fn measured_energy(e_kev: f64, rng: &mut ChaCha8Rng) -> f64 {
    let sigma = 0.06 * e_kev.max(0.05).sqrt();
    (e_kev + sigma * Normal::new(0.0, 1.0).expect("unit normal").sample(rng)).max(0.02)
}

/// PATTERN of an event: photons mostly single-pixel, particles mostly multi-pixel, and a few
/// beyond the screening limits (pn > 4 for photons, MOS > 12).
fn draw_pattern(kind: Kind, is_pn: bool, rng: &mut ChaCha8Rng) -> u8 {
    let u: f64 = rng.gen();
    match (kind, is_pn) {
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
    }
}

/// FLAG of an event: 2 % CLOSE_TO_CCD_BORDER, 1 % with a bit rejected by the XMMEA mask.
fn draw_flag(is_pn: bool, rng: &mut ChaCha8Rng) -> i32 {
    let v: f64 = rng.gen();
    if v < 0.02 {
        0x2 // CLOSE_TO_CCD_BORDER: kept by both XMMEA masks
    } else if v < 0.03 {
        if is_pn {
            0x80000
        } else {
            0x10000
        } // rejected by XMMEA_EP / XMMEA_EM
    } else {
        0
    }
}
