//! Everything that is not a source: the quiescent particle background (uniform on the CCDs, flat
//! 0.2–15 keV spectrum, many multi-pixel patterns), the unresolved cosmic X-ray background
//! (vignetted photons over the field of view), soft-proton flares (Gaussian flares in time with a
//! flatter spatial profile 1 − θ/60′ and a hard power-law spectrum: the bad time intervals of paper
//! §2.5.1), and hot pixels from the shipped 4XMM-DR14 tables (which screening, paper §2.2, must
//! remove).

use std::f64::consts::PI;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use exod_core::instrument::EpicCamera as XmmCamera;
use exod_core::screening::HotPixels;

use super::camera::{pi_of_kev, Camera, Energy, Hit, Kind};
use super::geometry::{area_factor, cam_index, to_radec, Frame};
use super::sources::{photon_energy, vignetting, Field};
use super::{
    poisson, rng_for, Flares, HotFlicker, SimConfig, TruthRow, FOV_RADIUS_ARCSEC, SKY_PIXEL_ARCSEC,
};
use exod_core::sky::epic_frame;

/// One soft-proton flare: Gaussian in time.
#[derive(Clone, Copy)]
struct Flare {
    /// Centre (s, mission time).
    centre: f64,
    /// σ (s).
    width: f64,
    /// Peak pn rate (ct/s).
    peak: f64,
}

/// Add the backgrounds of every camera: particles, cosmic background, soft protons, hot pixels,
/// in that order, from the camera's stream 100 + camera (flare components: stream 3).
pub(super) fn add_backgrounds(cfg: &SimConfig, frame: &Frame, cams: &mut [Camera]) {
    let mut rng_fl = rng_for(cfg.seed, 3);
    let flares = flare_components(cfg, &mut rng_fl);
    for cam in cams.iter_mut() {
        let ci = cam_index(cam.cam) as u64;
        let mut rng = rng_for(cfg.seed, 100 + ci);
        add_particles(cam, frame, &mut rng);
        add_cosmic_background(cam, frame, &mut rng);
        add_soft_protons(cam, frame, &flares, &mut rng);
        add_hot_pixels(cam, frame, cfg.revolution, &mut rng);
    }
}

/// Soft-proton flare components.
fn flare_components(cfg: &SimConfig, rng: &mut ChaCha8Rng) -> Vec<Flare> {
    let t = cfg.exposure;
    let (n, peak, width) = match cfg.flares {
        Flares::None => return vec![],
        Flares::Mild => (2, 30.0, 600.0),
        Flares::Strong => (5, 60.0, 1500.0),
        Flares::Brief => (1, 40.0, 60.0),
    };
    (0..n)
        .map(|k| {
            let c = cfg.tstart + t * (0.15 + 0.7 * (k as f64 + rng.gen::<f64>()) / n as f64);
            Flare {
                centre: c,
                width: width * (0.6 + 0.8 * rng.gen::<f64>()),
                peak: peak * (0.6 + 0.8 * rng.gen::<f64>()),
            }
        })
        .collect()
}

/// Quiescent particles: pn 0.8 ct/s, MOS 0.25 ct/s over the CCDs, flat 0.2–15 keV.
fn add_particles(cam: &mut Camera, frame: &Frame, rng: &mut ChaCha8Rng) {
    let dur = cam.t1 - cam.t0;
    let n = poisson(rng, if cam.cam == XmmCamera::Pn { 0.8 } else { 0.25 } * dur);
    let ccds = cam.ccds.clone();
    for _ in 0..n {
        let c = ccds[rng.gen_range(0..ccds.len())];
        let (hw, hh) = c.half();
        let dx = c.cx - hw + rng.gen::<f64>() * 2.0 * hw;
        let dy = c.cy - hh + rng.gen::<f64>() * 2.0 * hh;
        let (xi, eta) = frame.det_to_sky(cam.cam, dx, dy);
        let t = cam.t0 + rng.gen::<f64>() * dur;
        let e = 0.2 + rng.gen::<f64>() * 14.8;
        cam.add(frame, xi, eta, t, Energy::True(e), Kind::Particle, rng);
    }
}

/// Unresolved cosmic background photons: 0.6 ct/s pn-equivalent over the FOV, vignetted.
fn add_cosmic_background(cam: &mut Camera, frame: &Frame, rng: &mut ChaCha8Rng) {
    let af = area_factor(cam.cam);
    let dur = cam.t1 - cam.t0;
    let n = poisson(rng, 0.6 * af * dur);
    for _ in 0..n {
        let r = FOV_RADIUS_ARCSEC * rng.gen::<f64>().sqrt();
        if rng.gen::<f64>() > vignetting(r) {
            continue;
        }
        let phi = 2.0 * PI * rng.gen::<f64>();
        let t = cam.t0 + rng.gen::<f64>() * dur;
        let e = photon_energy(rng);
        cam.add(
            frame,
            r * phi.cos(),
            r * phi.sin(),
            t,
            Energy::True(e),
            Kind::Photon,
            rng,
        );
    }
}

/// Soft protons: flatter vignetting, hard spectrum (power law index 0.7, 0.2–15 keV).
fn add_soft_protons(cam: &mut Camera, frame: &Frame, flares: &[Flare], rng: &mut ChaCha8Rng) {
    let af = area_factor(cam.cam);
    for fl in flares {
        let (c, w, peak) = (fl.centre, fl.width, fl.peak);
        let n = poisson(rng, peak * af.sqrt() * w * (2.0 * PI).sqrt());
        let nd = Normal::new(c, w).expect("flare width > 0");
        for _ in 0..n {
            let t = nd.sample(rng);
            let r = FOV_RADIUS_ARCSEC * rng.gen::<f64>().sqrt();
            if rng.gen::<f64>() > sp_vignetting(r) {
                continue;
            }
            let phi = 2.0 * PI * rng.gen::<f64>();
            let e = powerlaw_energy(rng, 0.7, 0.2, 15.0);
            cam.add(
                frame,
                r * phi.cos(),
                r * phi.sin(),
                t,
                Energy::True(e),
                Kind::Particle,
                rng,
            );
        }
    }
}

/// Spatial profile of soft protons, 1 − θ/60′ at off-axis angle θ (arcsec).
fn sp_vignetting(theta_arcsec: f64) -> f64 {
    (1.0 - theta_arcsec / 3600.0).max(0.0)
}

/// An energy (keV) from a power law of photon index `gamma` between `lo` and `hi`.
fn powerlaw_energy(rng: &mut ChaCha8Rng, gamma: f64, lo: f64, hi: f64) -> f64 {
    let u: f64 = rng.gen();
    let g = 1.0 - gamma;
    (lo.powf(g) + u * (hi.powf(g) - lo.powf(g))).powf(1.0 / g)
}

/// Up to three hot pixels of the DR14 table valid at `revolution`, on the middle row of the CCDs.
fn pick_hot_pixels(cam: &Camera, revolution: i64) -> Vec<(u8, i16, i16)> {
    let hot = HotPixels::for_exposure(cam.cam, revolution);
    let mut picked: Vec<(u8, i16, i16)> = Vec::new();
    for c in &cam.ccds {
        for rx in 1..=c.nx as i16 {
            for ry in [c.ny as i16 / 2] {
                if hot.contains(c.id, rx, ry) && picked.len() < 3 {
                    picked.push((c.id, rx, ry));
                }
            }
        }
    }
    picked
}

/// Hot pixels from the DR14 table valid at this revolution (screening removes them): 0.02 ct/s
/// each at 0.25 keV, only while their CCD is live.
fn add_hot_pixels(cam: &mut Camera, frame: &Frame, revolution: i64, rng: &mut ChaCha8Rng) {
    let dur = cam.t1 - cam.t0;
    let picked = pick_hot_pixels(cam, revolution);
    let ccds = cam.ccds.clone();
    for (ccd, rx, ry) in picked {
        let c = ccds
            .iter()
            .find(|c| c.id == ccd)
            .expect("picked from the list");
        let (hw, hh) = c.half();
        let dx = c.cx - hw + (rx as f64 - 0.5) * c.pixel;
        let dy = c.cy - hh + (ry as f64 - 0.5) * c.pixel;
        let (xi, eta) = frame.det_to_sky(cam.cam, dx, dy);
        let hit = Hit {
            dx,
            dy,
            xi,
            eta,
            ccd,
            rawx: rx,
            rawy: ry,
        };
        let n = poisson(rng, 0.02 * dur);
        for _ in 0..n {
            let t = cam.t0 + rng.gen::<f64>() * dur;
            if cam.live(ccd, t) {
                let tq = cam.quantise(t);
                cam.push(&hit, tq, Energy::True(0.25), Kind::HotPixel, rng);
            }
        }
    }
}

/// Inject flicker number `k` (stream 30 000 + k): Poisson(`counts`) events at its pixel (positions
/// uniform within the pixel, as SAS randomises them), times uniform over its window (while the
/// CCD is live), PATTERN 0, FLAG 0, energies uniform in 0.3–1.5 keV. Returns its truth row
/// (kind `hot_pixel`, the pixel centre's RA/Dec, the detector and EPIC-frame coordinates in the
/// note), numbered `id`.
pub(super) fn add_hot_flicker(
    field: &Field,
    k: usize,
    h: &HotFlicker,
    id: usize,
    cams: &mut [Camera],
) -> TruthRow {
    let cfg = field.cfg;
    let mut rng = rng_for(cfg.seed, 30_000 + k as u64);
    let mut counts = [0u64; 3];
    let cam = cams
        .iter_mut()
        .find(|c| c.cam == h.camera)
        .expect("validated: the flicker's camera is simulated");
    let c = *cam
        .ccds
        .iter()
        .find(|c| c.id == h.ccd)
        .expect("validated: the flicker's CCD exists");
    let ts = h.t_start.unwrap_or_else(|| {
        cam.t0 + 200.0 + rng.gen::<f64>() * (cam.t1 - cam.t0 - 400.0 - h.duration).max(0.0)
    });
    let (hw, hh) = c.half();
    let corner = (
        c.cx - hw + (h.rawx as f64 - 1.0) * c.pixel,
        c.cy - hh + (h.rawy as f64 - 1.0) * c.pixel,
    );
    let n = poisson(&mut rng, h.counts);
    for _ in 0..n {
        let t = ts + rng.gen::<f64>() * h.duration;
        let dx = corner.0 + rng.gen::<f64>() * c.pixel;
        let dy = corner.1 + rng.gen::<f64>() * c.pixel;
        let e = 0.3 + 1.2 * rng.gen::<f64>();
        if !cam.live(c.id, t) {
            continue;
        }
        let (xi, eta) = field.frame.det_to_sky(cam.cam, dx, dy);
        let hit = Hit {
            dx,
            dy,
            xi,
            eta,
            ccd: c.id,
            rawx: h.rawx as i16,
            rawy: h.rawy as i16,
        };
        let tq = cam.quantise(t);
        cam.ev.push_row(&hit, tq, pi_of_kev(e), 0, 0);
        counts[cam_index(cam.cam)] += 1;
    }
    let centre = (corner.0 + c.pixel / 2.0, corner.1 + c.pixel / 2.0);
    let (xi, eta) = field.frame.det_to_sky(cam.cam, centre.0, centre.1);
    let (ra, dec) = to_radec(field.wcs, xi, eta);
    let (ex, ey) = epic_frame(ra, dec, cfg.ra, cfg.dec, cfg.roll).unwrap_or((f64::NAN, f64::NAN));
    TruthRow {
        id,
        kind: "hot_pixel".into(),
        ra,
        dec,
        t_start: ts,
        t_stop: ts + h.duration,
        expected: h.counts,
        counts,
        note: format!(
            "camera={}; ccd={}; rawx={}; rawy={}; detx={:.0}; dety={:.0}; epic_x={ex:.2}; epic_y={ey:.2} arcsec",
            h.camera.instrume(),
            h.ccd,
            h.rawx,
            h.rawy,
            centre.0 / SKY_PIXEL_ARCSEC,
            centre.1 / SKY_PIXEL_ARCSEC,
        ),
        spectrum: None,
    }
}
