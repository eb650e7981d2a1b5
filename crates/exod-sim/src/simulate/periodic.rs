//! Periodic sources: a point source whose rate is modulated with a period — a sinusoid (an
//! orbital or spin modulation, e.g. the 5000 s modulation of seed 000) or a narrow pulse (a
//! pulsar, e.g. the 0.337 s period of seed 001) — so that `exod period` can be checked on the
//! simulator's truth.
//!
//! Photon times are drawn over the camera's time span and thinned by the camera's live CCD
//! time like every other photon, then quantised to the frame time (so a period close to the
//! frame time is smeared as in real data: pn 73.4 ms, MOS 2.6 s).
//!
//! Pulsed fraction, as written in the truth table:
//! * sinusoid: rate(t) = r̄ (1 + p sin 2π(t − t₀)/P + φ), p = (max − min)/(max + min);
//! * pulse: a fraction p of the photons in a Gaussian pulse of phase FWHM `width` (wrapped),
//!   the rest unpulsed — p is the "area" pulsed fraction.
//!
//! t₀ is [`crate::simulate::SimConfig::tstart`]. Each periodic source draws from stream 25 000 + its index; a
//! drawn position is ≥ 300″ from the periodic sources before it. Periodic sources are in the
//! OBSMLI source list (constant on average, as a pipeline would detect them).

use std::f64::consts::PI;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::camera::{Camera, Kind};
use super::geometry::{area_factor, cam_index, tangent};
use super::sources::{burst_position, king_offset, vignetting, Field};
use super::spectrum::photon;
use super::{poisson, rng_for, SimError, TruthRow};

/// The shape of a periodic modulation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum PulseShape {
    /// rate ∝ 1 + p sin(2π phase).
    Sinusoid,
    /// A Gaussian pulse of the given phase FWHM (0 < width ≤ 0.5) holding a fraction p of the
    /// photons, on a constant level.
    Pulse {
        /// FWHM of the pulse in phase units.
        width: f64,
    },
}

/// A periodic point source to inject.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Periodic {
    /// Mean pn count rate on axis (ct/s); MOS sees 0.35 of it, vignetting applies.
    pub rate_pn: f64,
    /// Period (s).
    pub period: f64,
    /// Pulsed fraction p in (0, 1] (see the module docs for its meaning per shape).
    pub pulsed_fraction: f64,
    /// Shape of the modulation.
    pub shape: PulseShape,
    /// Phase φ at TSTART (cycles, 0–1): the sinusoid's phase, or the pulse centre.
    pub phase: f64,
    /// (RA, Dec) in degrees; drawn like a burst position when `None` (on every camera's CCDs,
    /// ≥ 60″ from sources brighter than 5e-3 ct/s).
    pub position: Option<(f64, f64)>,
}

impl std::str::FromStr for Periodic {
    type Err = String;
    /// `PERIOD[:PF[:RATE[:SHAPE]]]`, SHAPE `sine` (default) or `pulse` (FWHM 0.1 in phase) or
    /// `pulseW` with W the phase FWHM; defaults PF 0.5, RATE 0.05 ct/s.
    fn from_str(s: &str) -> Result<Periodic, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let num = |i: usize, what: &str, default: f64| -> Result<f64, String> {
            match parts.get(i) {
                None => Ok(default),
                Some(v) => v
                    .parse::<f64>()
                    .map_err(|_| format!("periodic source {s:?}: {what} {v:?} is not a number")),
            }
        };
        if parts.len() > 4 {
            return Err(format!(
                "periodic source {s:?}: expected PERIOD[:PF[:RATE[:SHAPE]]]"
            ));
        }
        let shape = match parts.get(3).copied() {
            None | Some("sine") | Some("sin") => PulseShape::Sinusoid,
            Some("pulse") => PulseShape::Pulse { width: 0.1 },
            Some(p) if p.starts_with("pulse") => PulseShape::Pulse {
                width: p[5..].parse::<f64>().map_err(|_| {
                    format!("periodic source {s:?}: shape {p:?}: expected sine, pulse or pulseW (W the phase FWHM)")
                })?,
            },
            Some(p) => {
                return Err(format!(
                    "periodic source {s:?}: shape {p:?}: expected sine, pulse or pulseW"
                ))
            }
        };
        Ok(Periodic {
            period: num(0, "period", f64::NAN)?,
            pulsed_fraction: num(1, "pulsed fraction", 0.5)?,
            rate_pn: num(2, "rate", 0.05)?,
            shape,
            phase: 0.0,
            position: None,
        })
    }
}

/// Reject a periodic source the simulator cannot honour.
pub(super) fn validate(p: &Periodic) -> Result<(), SimError> {
    let ok_shape = match p.shape {
        PulseShape::Sinusoid => true,
        PulseShape::Pulse { width } => width > 0.0 && width <= 0.5,
    };
    if !(p.period > 0.0 && p.period.is_finite())
        || !(p.pulsed_fraction > 0.0 && p.pulsed_fraction <= 1.0)
        || !(p.rate_pn > 0.0 && p.rate_pn <= 100.0)
        || !(0.0..=1.0).contains(&p.phase)
        || !ok_shape
    {
        return Err(SimError::Config(format!(
            "periodic source period {} s, pulsed fraction {}, rate {} ct/s, phase {}, shape {:?}: \
             expected a positive period, 0 < pulsed fraction ≤ 1, 0 < rate ≤ 100 ct/s, phase in \
             [0, 1] and a pulse FWHM in (0, 0.5]",
            p.period, p.pulsed_fraction, p.rate_pn, p.phase, p.shape
        )));
    }
    Ok(())
}

/// Inject periodic source number `k` into every camera (stream 25 000 + k); its truth row is
/// numbered `id`. A drawn position is ≥ 300″ from the periodic sources already `placed`.
pub(super) fn add_periodic(
    field: &Field,
    k: usize,
    p: &Periodic,
    id: usize,
    placed: &[(f64, f64)],
    cams: &mut [Camera],
) -> TruthRow {
    let mut rng = rng_for(field.cfg.seed, 25_000 + k as u64);
    let (ra, dec) = match p.position {
        Some(pos) => pos,
        None => loop {
            let (ra, dec) = burst_position(field, cams, &mut rng);
            if placed
                .iter()
                .all(|&(a, d)| exod_core::sky::separation_arcsec(ra, dec, a, d) > 300.0)
            {
                break (ra, dec);
            }
        },
    };
    let (xi0, eta0) = tangent(field.wcs, ra, dec);
    let theta = (xi0 * xi0 + eta0 * eta0).sqrt();
    let mut counts = [0u64; 3];
    for cam in cams.iter_mut() {
        let ci = cam_index(cam.cam);
        let mean = p.rate_pn * area_factor(cam.cam) * vignetting(theta) * (cam.t1 - cam.t0);
        let n = poisson(&mut rng, mean);
        for _ in 0..n {
            let t = photon_time(p, field.cfg.tstart, cam.t0, cam.t1, &mut rng);
            let (dx, dy) = king_offset(&mut rng);
            let e = photon(field.spectra.map(|sp| &sp.periodic[k]), &mut rng);
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
    let shape = match p.shape {
        PulseShape::Sinusoid => "sine".to_string(),
        PulseShape::Pulse { width } => format!("pulse(fwhm={width})"),
    };
    TruthRow {
        id,
        kind: "periodic".into(),
        ra,
        dec,
        t_start: field.cfg.tstart,
        t_stop: field.cfg.tstart + field.cfg.exposure,
        expected: p.rate_pn * field.cfg.exposure,
        counts,
        note: format!(
            "period={} s; pulsed_fraction={}; shape={shape}; phase={}; rate_pn={} ct/s",
            p.period, p.pulsed_fraction, p.phase, p.rate_pn
        ),
        spectrum: field.spectra.map(|sp| sp.periodic[k].truth.clone()),
    }
}

/// One photon time in [t0, t1) from the modulated rate (phase counted from `epoch`).
fn photon_time(p: &Periodic, epoch: f64, t0: f64, t1: f64, rng: &mut ChaCha8Rng) -> f64 {
    match p.shape {
        PulseShape::Sinusoid => loop {
            // thinning against the maximum rate 1 + p
            let t = t0 + rng.gen::<f64>() * (t1 - t0);
            let phase = (t - epoch) / p.period + p.phase;
            let rate = 1.0 + p.pulsed_fraction * (2.0 * PI * phase).sin();
            if rng.gen::<f64>() * (1.0 + p.pulsed_fraction) < rate {
                break t;
            }
        },
        PulseShape::Pulse { width } => loop {
            let t = t0 + rng.gen::<f64>() * (t1 - t0);
            if rng.gen::<f64>() >= p.pulsed_fraction {
                break t;
            }
            // move the photon into the pulse of its own cycle
            let sigma = width / (8.0 * 2f64.ln()).sqrt();
            let z: f64 = Normal::new(0.0, sigma).expect("positive width").sample(rng);
            let cycle = ((t - epoch) / p.period).floor();
            let phase = (p.phase + z).rem_euclid(1.0);
            let tp = epoch + (cycle + phase) * p.period;
            if tp >= t0 && tp < t1 {
                break tp;
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z2_1(times: &[f64], f: f64) -> f64 {
        let (mut c, mut s) = (0.0, 0.0);
        for &t in times {
            let ph = 2.0 * PI * f * t;
            c += ph.cos();
            s += ph.sin();
        }
        2.0 / times.len() as f64 * (c * c + s * s)
    }

    #[test]
    fn sinusoid_photons_have_the_injected_amplitude() {
        // For rate ∝ 1 + p sin, E[Σ sin φ] = N p / 2: Z²₁/N → p²/2 for large N.
        let p = Periodic {
            rate_pn: 1.0,
            period: 100.0,
            pulsed_fraction: 0.4,
            shape: PulseShape::Sinusoid,
            phase: 0.0,
            position: None,
        };
        let mut rng = rng_for(3, 0);
        let times: Vec<f64> = (0..40_000)
            .map(|_| photon_time(&p, 0.0, 0.0, 10_000.0, &mut rng))
            .collect();
        let z = z2_1(&times, 0.01) / times.len() as f64;
        assert!(
            (z - 0.08).abs() < 0.006,
            "Z²₁/N = {z}, expected p²/2 = 0.08"
        );
        // and nothing at another frequency
        assert!(z2_1(&times, 0.0137) < 30.0);
    }

    #[test]
    fn pulse_photons_sit_in_the_pulse() {
        let p = Periodic {
            rate_pn: 1.0,
            period: 2.0,
            pulsed_fraction: 0.3,
            shape: PulseShape::Pulse { width: 0.1 },
            phase: 0.25,
            position: None,
        };
        let mut rng = rng_for(4, 0);
        let n = 50_000;
        let in_pulse = (0..n)
            .map(|_| photon_time(&p, 0.0, 0.0, 5_000.0, &mut rng))
            .filter(|t| ((t / 2.0).rem_euclid(1.0) - 0.25).abs() < 0.1)
            .count() as f64
            / n as f64;
        // pulse: 0.3 × P(|z| < 0.1, σ = 0.1/2.355) ≈ 0.3 × 0.9815; unpulsed: 0.7 × 0.2
        let expected = 0.3 * 0.98150 + 0.7 * 0.2;
        assert!(
            (in_pulse - expected).abs() < 0.006,
            "{in_pulse} vs {expected}"
        );
    }

    #[test]
    fn specs_parse_and_bad_ones_are_refused() {
        let p: Periodic = "5000:0.6:0.02:sine".parse().unwrap();
        assert_eq!(
            (p.period, p.pulsed_fraction, p.rate_pn),
            (5000.0, 0.6, 0.02)
        );
        let q: Periodic = "0.337:0.3:1:pulse0.05".parse().unwrap();
        assert_eq!(q.shape, PulseShape::Pulse { width: 0.05 });
        assert!("abc".parse::<Periodic>().is_err());
        assert!("1:2:3:square".parse::<Periodic>().is_err());
        assert!(validate(&"10:1.5".parse().unwrap()).is_err());
    }
}
