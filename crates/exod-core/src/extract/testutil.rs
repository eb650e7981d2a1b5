//! Synthetic exposures for the extraction and light-curve tests: a point source drawn from a
//! King PSF (seeded ChaCha8), a uniform background over rectangular CCDs, a GTI with a gap;
//! each event is recorded with probability `live_fraction` (dead time).

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::exposure::{Exposure, ExposureHeader, ExposureParts};
use crate::gti::Gti;
use crate::instrument::Mission;
use crate::wcs::{Projection, SkyWcs, WcsParams};

use super::psf::KingPsf;

/// Sky pixel size (arcsec) of the synthetic lists (XMM's 0.05″).
pub const PIX: f64 = 0.05;
/// Reference pixel and point of the WCS.
pub const CRPIX: f64 = 25_921.0;
/// WCS reference point (deg).
pub const CRVAL: (f64, f64) = (150.0, 2.0);

/// The synthetic lists' WCS.
pub fn wcs() -> SkyWcs {
    SkyWcs::new(WcsParams {
        projection: Projection::Tan,
        crval: [CRVAL.0, CRVAL.1],
        crpix: [CRPIX, CRPIX],
        cdelt: [-PIX / 3600.0, PIX / 3600.0],
    })
    .unwrap()
}

/// A rectangular CCD: number, sky-pixel bounds [x0, x1) × [y0, y1).
#[derive(Debug, Clone, Copy)]
pub struct Ccd {
    pub id: u8,
    pub x: (f64, f64),
    pub y: (f64, f64),
}

/// A point source: position (sky pixels), counts over the GTI (before dead time), its PSF, energy (eV), and an
/// optional time window [a, b) outside which it is off (a flare), else constant.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub x: f64,
    pub y: f64,
    pub counts: usize,
    pub psf: KingPsf,
    pub energy_ev: f32,
    pub window: Option<(f64, f64)>,
}

/// What to simulate.
pub struct Scene {
    pub instrume: &'static str,
    pub ccds: Vec<Ccd>,
    /// Background events per arcsec² over the whole GTI (before dead time), per CCD.
    pub bkg_per_arcsec2: f64,
    pub sources: Vec<Source>,
    pub gti: Gti,
    pub live_fraction: f64,
    /// Pointing (deg).
    pub pointing: (f64, f64),
    pub seed: u64,
}

/// A uniform time in the GTI (or in `window` ∩ GTI).
fn time_in(g: &Gti, rng: &mut ChaCha8Rng) -> f64 {
    let total = g.exposure();
    let mut u = rng.gen::<f64>() * total;
    for &(a, b) in g.intervals() {
        if u < b - a {
            return a + u;
        }
        u -= b - a;
    }
    g.intervals().last().unwrap().1
}

struct Cols {
    time: Vec<f64>,
    x: Vec<f32>,
    y: Vec<f32>,
    energy: Vec<f32>,
    ccd: Vec<u8>,
}

fn add_background(s: &Scene, rng: &mut ChaCha8Rng, c: &mut Cols) {
    for ccd in &s.ccds {
        let area = (ccd.x.1 - ccd.x.0) * (ccd.y.1 - ccd.y.0) * PIX * PIX;
        let n = (s.bkg_per_arcsec2 * area).round() as usize;
        for _ in 0..n {
            if rng.gen::<f64>() >= s.live_fraction {
                continue;
            }
            c.time.push(time_in(&s.gti, rng));
            c.x.push(rng.gen_range(ccd.x.0..ccd.x.1) as f32);
            c.y.push(rng.gen_range(ccd.y.0..ccd.y.1) as f32);
            c.energy.push(rng.gen_range(300.0..9000.0));
            c.ccd.push(ccd.id);
        }
    }
}

fn add_source(s: &Scene, src: &Source, rng: &mut ChaCha8Rng, c: &mut Cols) {
    let g = match src.window {
        Some((a, b)) => s.gti.intersect(&Gti::single(a, b)),
        None => s.gti.clone(),
    };
    for _ in 0..src.counts {
        if rng.gen::<f64>() >= s.live_fraction {
            continue;
        }
        let u: f64 = 1.0 - rng.gen::<f64>(); // (0, 1]
        let r = src.psf.radius_for_eef(u).unwrap() / PIX;
        let phi = rng.gen::<f64>() * std::f64::consts::TAU;
        let (x, y) = (src.x + r * phi.cos(), src.y + r * phi.sin());
        // photons land on the CCD they fall on (lost in gaps)
        if let Some(ccd) = s
            .ccds
            .iter()
            .find(|k| x >= k.x.0 && x < k.x.1 && y >= k.y.0 && y < k.y.1)
        {
            c.time.push(time_in(&g, rng));
            c.x.push(x as f32);
            c.y.push(y as f32);
            c.energy.push(src.energy_ev);
            c.ccd.push(ccd.id);
        }
    }
}

/// The exposure of `s`.
pub fn exposure(s: &Scene) -> Exposure {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let mut c = Cols {
        time: vec![],
        x: vec![],
        y: vec![],
        energy: vec![],
        ccd: vec![],
    };
    add_background(s, &mut rng, &mut c);
    for src in &s.sources {
        add_source(s, src, &mut rng, &mut c);
    }
    let mut h = ExposureHeader::new(Mission::Xmm, "XMM", s.instrume);
    h.ra_pnt = Some(s.pointing.0);
    h.dec_pnt = Some(s.pointing.1);
    let mut gti = BTreeMap::new();
    for ccd in &s.ccds {
        gti.insert(ccd.id, s.gti.clone());
        h.live_fraction.insert(ccd.id, s.live_fraction);
    }
    Exposure::new(ExposureParts {
        time: c.time,
        x: c.x,
        y: c.y,
        energy: c.energy,
        ccd: c.ccd,
        gti,
        wcs: Ok(wcs()),
        ..ExposureParts::empty(format!("{}.fits", s.instrume), h)
    })
    .unwrap()
}

/// Two 600″ × 600″ CCDs side by side along X with a 20″ gap: CCD 1 centred on the reference
/// pixel, CCD 2 to its +X side.
pub fn two_ccds() -> Vec<Ccd> {
    let side = 600.0 / PIX;
    let gap = 20.0 / PIX;
    vec![
        Ccd {
            id: 1,
            x: (CRPIX - side / 2.0, CRPIX + side / 2.0),
            y: (CRPIX - side / 2.0, CRPIX + side / 2.0),
        },
        Ccd {
            id: 2,
            x: (CRPIX + side / 2.0 + gap, CRPIX + 1.5 * side + gap),
            y: (CRPIX - side / 2.0, CRPIX + side / 2.0),
        },
    ]
}

/// The position (deg) of sky pixel (x, y).
pub fn radec(x: f64, y: f64) -> (f64, f64) {
    wcs().pix_to_world(x, y).unwrap()
}
