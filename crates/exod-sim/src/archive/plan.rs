//! The plan of an archive: its fields and pointings, every observation's [`SimConfig`], which
//! ones carry the repeat, the bursts and the flicker, and which are bad. Pure and deterministic
//! in the archive's seed (each choice from its own ChaCha8 stream).

use std::f64::consts::PI;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use exod_core::instrument::EpicCamera as XmmCamera;

use super::{ArchiveConfig, Defect};
use crate::simulate::{
    draw_sources, epic_frame, on_all_cameras, sky_wcs, tan_wcs, to_radec, Burst, FieldSky, Flares,
    HotFlicker, Profile, SimConfig, FOV_RADIUS_ARCSEC,
};

/// The flickering pn pixel: CCD 4, RAWX 30, RAWY 160 (not in the shipped hot-pixel tables).
pub(super) const FLICKER_PIXEL: (u8, u16, u16) = (4, 30, 160);
/// Its EPIC-frame offsets (arcsec): x_E = −DETX, y_E = DETY of the pixel centre.
pub(super) const FLICKER_EPIC: (f64, f64) = (-23.95, 356.95);
/// Largest offset of a pointing from its field's centre (arcsec).
const MAX_OFFSET: f64 = 360.0;

/// One planned observation.
pub(super) struct Planned {
    /// Its field.
    pub(super) field: usize,
    /// What to simulate.
    pub(super) sim: SimConfig,
    /// What to break afterwards.
    pub(super) defect: Option<Defect>,
    /// Whether its first burst is the repeating transient.
    pub(super) repeat: bool,
}

/// A field: its centre, its sources' seed and its pointings.
struct Field {
    centre: (f64, f64),
    seed: u64,
    pointings: Vec<(f64, f64)>,
}

/// SplitMix64 of `a` and `b`: independent seeds from the archive's.
pub(super) fn mix(a: u64, b: u64) -> u64 {
    let mut z = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream `stream` of the archive's seed.
fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(mix(seed, 0x00A2_C41E));
    r.set_stream(stream);
    r
}

/// (RA, Dec) at tangent-plane offset (ξ east, η north, arcsec) from `centre`.
fn offset(centre: (f64, f64), xi: f64, eta: f64) -> (f64, f64) {
    to_radec(&tan_wcs(centre.0, centre.1), xi, eta)
}

/// `n` pointings 2–6′ from `centre` in random directions (stream of the field).
fn pointings_around(centre: (f64, f64), n: usize, r: &mut ChaCha8Rng) -> Vec<(f64, f64)> {
    (0..n)
        .map(|_| {
            let d = 120.0 + r.gen::<f64>() * (MAX_OFFSET - 120.0);
            let phi = 2.0 * PI * r.gen::<f64>();
            offset(centre, d * phi.cos(), d * phi.sin())
        })
        .collect()
}

/// Fields until they hold at least `n_obs` pointings: RA 0/360, Dec +80, then random ones.
fn fields(cfg: &ArchiveConfig) -> Vec<Field> {
    let mut r = rng(cfg.seed, 1);
    let wrap = (0.0, -30.0);
    let high = (r.gen::<f64>() * 360.0, 80.0);
    let mut out = vec![
        Field {
            centre: wrap,
            seed: 0,
            pointings: vec![(359.97, -30.0), (0.03, -30.0), (0.0, -29.94)],
        },
        Field {
            centre: high,
            seed: 0,
            pointings: pointings_around(high, 3, &mut r),
        },
    ];
    let total = |f: &[Field]| f.iter().map(|x| x.pointings.len()).sum::<usize>();
    while total(&out) < cfg.n_obs {
        let s60 = 60f64.to_radians().sin();
        let centre = (
            5.0 + r.gen::<f64>() * 350.0,
            ((2.0 * r.gen::<f64>() - 1.0) * s60).asin().to_degrees(),
        );
        let n = r.gen_range(2..=5);
        out.push(Field {
            centre,
            seed: 0,
            pointings: pointings_around(centre, n, &mut r),
        });
    }
    for (k, f) in out.iter_mut().enumerate() {
        f.seed = mix(cfg.seed, 1_000 + k as u64);
    }
    out
}

/// Mission start times of a field's `n` pointings: a base in 2001–2021, then gaps of 1 day to
/// 3 years (log-uniform), kept before 2024.
fn start_times(n: usize, r: &mut ChaCha8Rng) -> Vec<f64> {
    let (lo, hi) = (1.0e8, 8.2e8);
    let mut t = lo + r.gen::<f64>() * 6.0e8;
    (0..n)
        .map(|_| {
            let this = t;
            t += 86_400.0 * 10f64.powf(r.gen::<f64>() * 1100f64.log10());
            if t > hi {
                t = lo + (t - lo) % (hi - lo - 1.0e7);
            }
            this.round()
        })
        .collect()
}

/// The XMM revolution (≈ 47.9 h orbits from launch) at mission time `t`.
fn revolution(t: f64) -> i64 {
    (((t - 6.3e7) / 172_296.0).floor() as i64).max(1)
}

/// The plan of every observation of `cfg`.
pub(super) fn plan(cfg: &ArchiveConfig) -> Result<Vec<Planned>, crate::simulate::SimError> {
    let mut out = Vec::new();
    let mut r = rng(cfg.seed, 2);
    for (fi, f) in fields(cfg).iter().enumerate() {
        let times = start_times(f.pointings.len(), &mut r);
        for (j, &(ra, dec)) in f.pointings.iter().enumerate() {
            if out.len() == cfg.n_obs {
                break;
            }
            let i = out.len();
            let sim = base_config(cfg, i, (fi, f), j, (ra, dec), times[j], &mut r);
            let defect = (i + 4 >= cfg.n_obs).then(|| {
                [
                    Defect::Corrupt,
                    Defect::Garbage,
                    Defect::Unsupported,
                    Defect::Empty,
                ][i + 4 - cfg.n_obs]
            });
            out.push(Planned {
                field: fi,
                sim,
                defect,
                repeat: false,
            });
        }
    }
    for (i, p) in out.iter_mut().enumerate() {
        add_contents(i, p, &mut r);
    }
    add_repeat(cfg, &mut out)?;
    Ok(out)
}

/// The configuration of observation `i`, pointing `j` of field `field`, before transients.
fn base_config(
    cfg: &ArchiveConfig,
    i: usize,
    field: (usize, &Field),
    j: usize,
    pointing: (f64, f64),
    tstart: f64,
    r: &mut ChaCha8Rng,
) -> SimConfig {
    let (fi, f) = field;
    let mut fr = ChaCha8Rng::seed_from_u64(f.seed);
    let flares = if i % 11 == 7 {
        Flares::Mild
    } else if i % 5 == 3 {
        Flares::Brief
    } else {
        Flares::None
    };
    SimConfig {
        seed: mix(cfg.seed, 100_000 + i as u64),
        obs_id: format!("08{:06}{:02}", (cfg.seed % 9000) * 100 + fi as u64, j + 1),
        exposure: cfg.exposure,
        cameras: cfg.cameras.clone(),
        ra: pointing.0,
        dec: pointing.1,
        roll: (r.gen::<f64>() * 3600.0).round() / 10.0,
        tstart,
        revolution: revolution(tstart),
        flares,
        target_rate: 0.02 + 0.28 * fr.gen::<f64>(),
        field: Some(FieldSky {
            ra: f.centre.0,
            dec: f.centre.1,
            seed: f.seed,
            radius: FOV_RADIUS_ARCSEC + MAX_OFFSET + 120.0,
        }),
        // the archive tests batch runs, catalogues and cross-matching, not spectra: the legacy
        // energy model (no response files to carry; outputs as before issue 13)
        spectra: None,
        ..SimConfig::default()
    }
}

/// The cameras, bursts and flicker of observation `i` (one-off bursts: i mod 7 = 2; flicker:
/// i mod 3 = 1; none on bad inputs, whose cameras are set by their defect).
fn add_contents(i: usize, p: &mut Planned, r: &mut ChaCha8Rng) {
    match p.defect {
        Some(Defect::Garbage) => p.sim.cameras.retain(|&c| c != XmmCamera::Mos2),
        Some(Defect::Unsupported | Defect::Empty) => p.sim.cameras = vec![XmmCamera::Pn],
        _ => {}
    }
    if p.defect.is_some() {
        return;
    }
    if i % 7 == 2 {
        p.sim.bursts.push(Burst {
            counts: (100.0 + 100.0 * r.gen::<f64>()).round(),
            duration: (20.0 + 80.0 * r.gen::<f64>()).round(),
            profile: if (i / 7) % 2 == 0 {
                Profile::Box
            } else {
                Profile::Fred
            },
            position: None,
            t_start: None,
        });
    }
    if i % 3 == 1 {
        let (ccd, rawx, rawy) = FLICKER_PIXEL;
        p.sim.hot_flickers.push(HotFlicker {
            camera: XmmCamera::Pn,
            ccd,
            rawx,
            rawy,
            counts: 40.0,
            duration: 10.0,
            t_start: None,
        });
    }
}

/// Put the repeating transient (150 counts in 50 s) in observations 0 and 1 (field 0): at a
/// position on every camera of both, ≥ 60″ from sources brighter than 5e-3 ct/s and ≥ 120″
/// from the flicker.
fn add_repeat(cfg: &ArchiveConfig, out: &mut [Planned]) -> Result<(), crate::simulate::SimError> {
    let mut r = rng(cfg.seed, 3);
    let (a, b) = (&out[0].sim, &out[1].sim);
    let centre = out[0]
        .sim
        .field
        .as_ref()
        .map(|f| (f.ra, f.dec))
        .unwrap_or((a.ra, a.dec));
    let bright: Vec<(f64, f64)> = draw_sources(a, &sky_wcs(a))
        .iter()
        .filter(|s| s.rate_pn > 5e-3)
        .map(|s| (s.ra, s.dec))
        .collect();
    let clear_of = |p: (f64, f64), q: (f64, f64), d: f64| {
        exod_core::wcs::separation_arcsec(p.0, p.1, q.0, q.1) >= d
    };
    let far_from_flicker = |c: &SimConfig, p: (f64, f64)| {
        epic_frame(p.0, p.1, c.ra, c.dec, c.roll).is_some_and(|(x, y)| {
            ((x - FLICKER_EPIC.0).powi(2) + (y - FLICKER_EPIC.1).powi(2)).sqrt() >= 120.0
        })
    };
    let pos = (0..20_000)
        .map(|_| {
            let d = 400.0 * r.gen::<f64>().sqrt();
            let phi = 2.0 * PI * r.gen::<f64>();
            offset(centre, d * phi.cos(), d * phi.sin())
        })
        .find(|&p| {
            on_all_cameras(a, p.0, p.1)
                && on_all_cameras(b, p.0, p.1)
                && bright.iter().all(|&q| clear_of(p, q, 60.0))
                && far_from_flicker(a, p)
                && far_from_flicker(b, p)
        })
        .ok_or_else(|| {
            crate::simulate::SimError::Config("no position for the repeating transient".into())
        })?;
    for p in out.iter_mut().take(2) {
        let t = p.sim.tstart + 500.0 + 0.5 * (p.sim.exposure - 750.0);
        p.sim.bursts.insert(
            0,
            Burst {
                counts: 150.0,
                duration: 50.0,
                profile: Profile::Box,
                position: Some(pos),
                t_start: Some(t.round()),
            },
        );
        p.repeat = true;
    }
    Ok(())
}
