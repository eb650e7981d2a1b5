//! The sky: the source field (a bright target, a log N–log S population, optionally a β-model
//! cluster), the EPIC-like King PSF, photon vignetting and the photon spectrum, and the
//! transients the benchmarks of paper §2.6 inject as light-curve modulations: eclipses (a fraction
//! of a constant source's photons removed in a window) and bursts (box or FRED profiles), whose
//! peaks and eclipses the decisions of paper §2.4 must find.

use std::f64::consts::PI;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use exod_core::wcs::SkyWcs;

use super::camera::{Camera, Kind};
use super::geometry::{
    area_factor, cam_index, locate, tan_wcs, tangent, to_radec, try_tangent, Frame,
};
use super::spectrum::{photon, SimSpectra};
use super::{
    poisson, rng_for, Burst, Profile, SimConfig, SimError, SimSource, TruthRow, FOV_RADIUS_ARCSEC,
};

/// The fixed context of one simulation: its configuration, frames and constant sources.
pub(super) struct Field<'a> {
    pub(super) cfg: &'a SimConfig,
    pub(super) wcs: &'a SkyWcs,
    pub(super) frame: &'a Frame,
    pub(super) sources: &'a [SimSource],
    /// The physical spectra of the photon sources (`None`: the legacy energy model).
    pub(super) spectra: Option<&'a SimSpectra>,
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

/// Photon vignetting 1/(1 + (θ/13.5′)²) at off-axis angle θ (arcsec): the one model of
/// `exod_core::photometry::vignetting`, shared with photometry.
pub(super) use exod_core::photometry::vignetting::vignetting;

/// A photon energy (keV) from the simulator's log-normal spectrum around 1.2 keV.
pub fn photon_energy(rng: &mut ChaCha8Rng) -> f64 {
    // log-normal around 1.2 keV: ~20 % above 2 keV, a few % below 0.2 keV
    let z: f64 = Normal::new(0.0, 1.0).expect("unit normal").sample(rng);
    (1.2f64.ln() + 0.75 * z).exp().clamp(0.1, 15.0)
}

/// The sources of a simulated field: the target, a log N–log S population, and (optionally)
/// the cluster. Deterministic in the seed: [`SimConfig::seed`] around the pointing `wcs`, or,
/// when [`SimConfig::field`] is set, the field's seed around the field's centre (the target and
/// cluster then sit at their offsets from the field's centre, and the population covers the
/// field's radius at the same density).
pub fn draw_sources(cfg: &SimConfig, wcs: &SkyWcs) -> Vec<SimSource> {
    match &cfg.field {
        None => draw_population(cfg, wcs, cfg.seed, None),
        Some(f) => draw_population(cfg, &tan_wcs(f.ra, f.dec), f.seed, Some(f.radius)),
    }
}

/// The sources drawn from stream 1 of `seed` around the centre of `wcs`, within the field of
/// view or `radius` (arcsec).
fn draw_population(
    cfg: &SimConfig,
    wcs: &SkyWcs,
    seed: u64,
    radius: Option<f64>,
) -> Vec<SimSource> {
    let mut rng = rng_for(seed, 1);
    let mut out = Vec::new();
    if cfg.target_rate > 0.0 {
        let (ra, dec) = to_radec(wcs, cfg.target_offset[0], cfg.target_offset[1]);
        out.push(SimSource {
            ra,
            dec,
            rate_pn: cfg.target_rate,
            extent: 0.0,
        });
    }
    // N(>S) = 40 (S/1e-3)^-1.2 over the whole field, S from 3e-4 to 0.1 ct/s
    let (smin, smax, alpha) = (3e-4, 0.1, 1.2);
    let mut n_mean = 40.0 * (smin / 1e-3f64).powf(-alpha) - 40.0 * (smax / 1e-3f64).powf(-alpha);
    let r_max = radius.unwrap_or(FOV_RADIUS_ARCSEC);
    if radius.is_some() {
        n_mean *= (r_max / FOV_RADIUS_ARCSEC).powi(2);
    }
    let n = poisson(&mut rng, n_mean);
    for _ in 0..n {
        let u: f64 = rng.gen();
        let hi = (smax / smin).powf(-alpha);
        let s = smin * (1.0 - u * (1.0 - hi)).powf(-1.0 / alpha);
        let r = r_max * rng.gen::<f64>().sqrt();
        let phi = 2.0 * PI * rng.gen::<f64>();
        let (ra, dec) = to_radec(wcs, r * phi.cos(), r * phi.sin());
        out.push(SimSource {
            ra,
            dec,
            rate_pn: s,
            extent: 0.0,
        });
    }
    if cfg.cluster {
        let (ra, dec) = to_radec(wcs, -300.0, 200.0);
        out.push(SimSource {
            ra,
            dec,
            rate_pn: 0.6,
            extent: 30.0,
        });
    }
    out
}

/// Whether source `s` is reported for this pointing: always for a single field; for a
/// multi-pointing field, when it lies within the pointing's field of view.
pub(super) fn in_view(cfg: &SimConfig, wcs: &SkyWcs, s: &SimSource) -> bool {
    cfg.field.is_none()
        || try_tangent(wcs, s.ra, s.dec)
            .is_some_and(|(a, b)| (a * a + b * b).sqrt() <= FOV_RADIUS_ARCSEC)
}

// ---------------------------------------------------------------------------------------------
// Constant sources and their eclipses
// ---------------------------------------------------------------------------------------------

/// An eclipse placed on a source: during [start, stop) a fraction `depth` of its photons is lost.
pub(super) struct EclipseWindow {
    host: usize,
    start: f64,
    stop: f64,
    depth: f64,
}

/// Choose the host and window of every eclipse of the configuration (stream 7).
pub(super) fn eclipse_windows(field: &Field) -> Result<Vec<EclipseWindow>, SimError> {
    let (cfg, sources) = (field.cfg, field.sources);
    let t_start = cfg.tstart;
    let mut rng_tr = rng_for(cfg.seed, 7);
    let brightest = {
        let mut idx: Vec<usize> = (0..sources.len())
            .filter(|&i| sources[i].extent == 0.0)
            .collect();
        idx.sort_by(|&a, &b| sources[b].rate_pn.total_cmp(&sources[a].rate_pn));
        idx
    };
    let mut windows = Vec::new();
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
        windows.push(EclipseWindow {
            host,
            start: ts,
            stop: ts + e.duration,
            depth: e.depth,
        });
    }
    Ok(windows)
}

/// Add the photons of every constant source to every camera, thinned by the eclipses; return the
/// truth rows of the sources then of the eclipses.
pub(super) fn add_constant_sources(
    field: &Field,
    eclipses: &[EclipseWindow],
    cams: &mut [Camera],
) -> Vec<TruthRow> {
    let sources = field.sources;
    let mut src_counts: Vec<[u64; 3]> = vec![[0; 3]; sources.len()];
    let mut removed_by_eclipse = vec![[0u64; 3]; eclipses.len()];
    for (si, s) in sources.iter().enumerate() {
        let (xi0, eta0) = tangent(field.wcs, s.ra, s.dec);
        for cam in cams.iter_mut() {
            let ci = cam_index(cam.cam);
            src_counts[si][ci] += add_source_photons(
                field,
                si,
                (xi0, eta0),
                cam,
                eclipses,
                &mut removed_by_eclipse,
            );
        }
    }
    let mut truth = source_truth(field, &src_counts);
    for (k, w) in eclipses.iter().enumerate() {
        let host = &sources[w.host];
        let (a, b, depth) = (w.start, w.stop, w.depth);
        truth.push(TruthRow {
            id: truth.len(),
            kind: "eclipse".into(),
            ra: host.ra,
            dec: host.dec,
            t_start: a,
            t_stop: b,
            expected: host.rate_pn * depth * (b - a) * (1.0 + 2.0 * 0.35),
            counts: removed_by_eclipse[k],
            note: format!("depth={depth}; source={}", w.host),
            spectrum: None,
        });
    }
    truth
}

/// Add the photons of source `si` (at tangent-plane offset `at`) to one camera (stream
/// 1000 + 4 si + camera); photons removed by an eclipse are counted in `removed`. Returns the
/// number of photons recorded.
fn add_source_photons(
    field: &Field,
    si: usize,
    at: (f64, f64),
    cam: &mut Camera,
    eclipses: &[EclipseWindow],
    removed: &mut [[u64; 3]],
) -> u64 {
    let s = &field.sources[si];
    let (xi0, eta0) = at;
    let ci = cam_index(cam.cam);
    let mut rng = rng_for(field.cfg.seed, 1000 + si as u64 * 4 + ci as u64);
    let theta = (xi0 * xi0 + eta0 * eta0).sqrt();
    let mean = s.rate_pn * area_factor(cam.cam) * vignetting(theta) * (cam.t1 - cam.t0);
    let n = poisson(&mut rng, mean);
    let mut recorded = 0;
    for _ in 0..n {
        let t = cam.t0 + rng.gen::<f64>() * (cam.t1 - cam.t0);
        let (dx, dy) = if s.extent > 0.0 {
            // β model with β = 2/3: surface brightness ∝ (1 + r²/rc²)^-1.5 — a King law
            let (a, b) = king_offset(&mut rng);
            (a * s.extent / 3.9, b * s.extent / 3.9)
        } else {
            king_offset(&mut rng)
        };
        let e = photon(field.spectra.map(|sp| &sp.sources[si]), &mut rng);
        let eclipsed = eclipses
            .iter()
            .position(|w| w.host == si && t >= w.start && t < w.stop);
        if let Some(k) = eclipsed {
            if rng.gen::<f64>() < eclipses[k].depth {
                removed[k][ci] += 1;
                continue;
            }
        }
        if cam.add(
            field.frame,
            xi0 + dx,
            eta0 + dy,
            t,
            e,
            Kind::Photon,
            &mut rng,
        ) {
            recorded += 1;
        }
    }
    recorded
}

/// The truth rows of the constant sources (target, population, cluster).
fn source_truth(field: &Field, src_counts: &[[u64; 3]]) -> Vec<TruthRow> {
    let cfg = field.cfg;
    let (t_start, t_stop) = (cfg.tstart, cfg.tstart + cfg.exposure);
    let mut truth = Vec::new();
    for (si, s) in field.sources.iter().enumerate() {
        if !in_view(cfg, field.wcs, s) {
            continue;
        }
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
            spectrum: field.spectra.map(|sp| sp.sources[si].truth.clone()),
        });
    }
    truth
}

// ---------------------------------------------------------------------------------------------
// Bursts
// ---------------------------------------------------------------------------------------------

/// Inject burst number `k` into every camera (stream 20 000 + k); return its truth row, numbered
/// `id`.
pub(super) fn add_burst(
    field: &Field,
    k: usize,
    b: &Burst,
    id: usize,
    cams: &mut [Camera],
) -> TruthRow {
    let mut rng = rng_for(field.cfg.seed, 20_000 + k as u64);
    let (ra, dec) = match b.position {
        Some(p) => p,
        None => burst_position(field, cams, &mut rng),
    };
    let common0 = cams.iter().map(|c| c.t0).fold(f64::NEG_INFINITY, f64::max);
    let common1 = cams.iter().map(|c| c.t1).fold(f64::INFINITY, f64::min);
    let ts = b.t_start.unwrap_or_else(|| {
        common0 + 200.0 + rng.gen::<f64>() * (common1 - common0 - 400.0 - b.duration).max(0.0)
    });
    let (xi0, eta0) = tangent(field.wcs, ra, dec);
    let total_area: f64 = cams.iter().map(|c| area_factor(c.cam)).sum();
    let mut counts = [0u64; 3];
    for cam in cams.iter_mut() {
        let ci = cam_index(cam.cam);
        let mean = b.counts * area_factor(cam.cam) / total_area;
        let n = poisson(&mut rng, mean);
        for _ in 0..n {
            let t = ts + burst_offset(b, &mut rng);
            let (dx, dy) = king_offset(&mut rng);
            let e = photon(field.spectra.map(|sp| &sp.bursts[k]), &mut rng);
            if cam.add(
                field.frame,
                xi0 + dx,
                eta0 + dy,
                t,
                e,
                Kind::Photon,
                &mut rng,
            ) {
                counts[ci] += 1;
            }
        }
    }
    TruthRow {
        id,
        kind: "burst".into(),
        ra,
        dec,
        t_start: ts,
        t_stop: ts + b.duration,
        expected: b.counts,
        counts,
        note: format!("profile={:?}", b.profile).to_lowercase(),
        spectrum: field.spectra.map(|sp| sp.bursts[k].truth.clone()),
    }
}

/// A random burst position: on every camera's CCDs, ≥ 60″ from sources brighter than 5e-3 ct/s.
pub(super) fn burst_position(field: &Field, cams: &[Camera], rng: &mut ChaCha8Rng) -> (f64, f64) {
    loop {
        let r = 720.0 * rng.gen::<f64>().sqrt();
        let phi = 2.0 * PI * rng.gen::<f64>();
        let (xi, eta) = (r * phi.cos(), r * phi.sin());
        let on_ccds = cams.iter().all(|c| {
            let (dx, dy) = field.frame.sky_to_det(c.cam, xi, eta);
            locate(&c.ccds, dx, dy).is_some()
        });
        let clear = field.sources.iter().filter(|s| s.rate_pn > 5e-3).all(|s| {
            let (a, bb) = tangent(field.wcs, s.ra, s.dec);
            ((a - xi).powi(2) + (bb - eta).powi(2)).sqrt() > 60.0
        });
        if on_ccds && clear {
            break to_radec(field.wcs, xi, eta);
        }
    }
}

/// The time of one burst photon after the burst's start (s), drawn from its profile.
pub(crate) fn burst_offset(b: &Burst, rng: &mut ChaCha8Rng) -> f64 {
    match b.profile {
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
                    * (1.0 - rng.gen::<f64>() * (1.0 - (-(b.duration - rise) / tau).exp())).ln()
            };
            if t < b.duration {
                break t;
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn king_psf_puts_81_percent_within_20_arcsec() {
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
    }
}
