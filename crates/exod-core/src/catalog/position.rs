//! The position of a unique source from those of its detections (paper §3.2; EXOD2 took the plain
//! mean of RA and Dec, which breaks across RA = 0/360, reference §8.4).
//!
//! * weights `wᵢ = 1/σᵢ²` from the 1σ radial errors; an error that is NaN, infinite or ≤ 0 is
//!   replaced by the median of the source's valid errors; with no valid error at all every
//!   detection weighs the same (the plain mean);
//! * the position is the weighted mean of the unit vectors, normalised (no wrap, no pole issue);
//! * its error is the larger of the statistical error `σ_stat = (Σ 1/σᵢ²)^(−1/2)` and, for n ≥ 2
//!   detections, the scatter error `σ_scat = √(Σ wᵢ dᵢ² / ((n − 1) Σ wᵢ))`, `dᵢ` the separation of
//!   detection i from the mean (arcsec). The scatter term takes over when the detections disagree
//!   by more than their errors say (systematics, or two blended sources), so the error is never
//!   smaller than the evidence allows. With no valid error, only `σ_scat` (NaN for one detection).

use crate::sky::{radec, separation_arcsec, unit_vector};

/// A mean position.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MeanPosition {
    /// RA (deg, [0, 360)).
    pub ra: f64,
    /// Dec (deg).
    pub dec: f64,
    /// 1σ radial error (arcsec), see the module docs.
    pub pos_err: f64,
}

fn valid(e: f64) -> bool {
    e.is_finite() && e > 0.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// The mean position of detections (`ra`, `dec` in deg, `err` 1σ radial in arcsec). Detections
/// whose position is not finite are ignored; all NaN if none is left. Summation follows the
/// slice order, so equal inputs in equal order give bit-identical results.
///
/// # Panics
/// If the slices differ in length.
pub fn mean_position(ra: &[f64], dec: &[f64], err: &[f64]) -> MeanPosition {
    assert!(
        ra.len() == dec.len() && err.len() == ra.len(),
        "mean_position: lengths differ"
    );
    let keep: Vec<usize> = (0..ra.len())
        .filter(|&i| ra[i].is_finite() && dec[i].is_finite())
        .collect();
    let nan = MeanPosition {
        ra: f64::NAN,
        dec: f64::NAN,
        pos_err: f64::NAN,
    };
    if keep.is_empty() {
        return nan;
    }
    let good: Vec<f64> = keep.iter().map(|&i| err[i]).filter(|&e| valid(e)).collect();
    let has_errors = !good.is_empty();
    let fill = if has_errors { median(good) } else { 1.0 };
    let w: Vec<f64> = keep
        .iter()
        .map(|&i| if valid(err[i]) { err[i] } else { fill })
        .map(|e| 1.0 / (e * e))
        .collect();
    let mut v = [0.0; 3];
    for (k, &i) in keep.iter().enumerate() {
        let u = unit_vector(ra[i], dec[i]);
        for a in 0..3 {
            v[a] += w[k] * u[a];
        }
    }
    let (mra, mdec) = radec(v);
    let sw: f64 = w.iter().sum();
    let n = keep.len();
    let scat = if n >= 2 {
        let s: f64 = keep
            .iter()
            .enumerate()
            .map(|(k, &i)| w[k] * separation_arcsec(mra, mdec, ra[i], dec[i]).powi(2))
            .sum();
        (s / ((n - 1) as f64 * sw)).sqrt()
    } else {
        f64::NAN
    };
    let pos_err = if has_errors {
        sw.powf(-0.5).max(if scat.is_nan() { 0.0 } else { scat })
    } else {
        scat
    };
    MeanPosition {
        ra: mra,
        dec: mdec,
        pos_err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detections_either_side_of_ra_zero_average_to_zero() {
        let m = mean_position(&[359.999, 0.001], &[5.0, 5.0], &[2.0, 2.0]);
        let d_ra = if m.ra > 180.0 { m.ra - 360.0 } else { m.ra };
        assert!(d_ra.abs() < 1e-9, "{}", m.ra);
        assert!((m.dec - 5.0).abs() < 1e-6);
        // the two are 7.17″ apart: the scatter (3.59″ each side, n − 1 = 1) beats 2/√2 = 1.41″
        let half = separation_arcsec(359.999, 5.0, 0.001, 5.0) / 2.0;
        assert!((m.pos_err - half).abs() < 1e-6, "{} vs {half}", m.pos_err);
    }

    #[test]
    fn weights_follow_the_errors() {
        // 10″ apart in Dec, errors 1″ and 3″: the mean sits 1/10 of the way from the first
        let (d0, d1) = (20.0, 20.0 + 10.0 / 3600.0);
        let m = mean_position(&[100.0, 100.0], &[d0, d1], &[1.0, 3.0]);
        let off = (m.dec - d0) * 3600.0;
        assert!((off - 1.0).abs() < 1e-6, "{off}");
        // consistent detections: the statistical error (Σ 1/σ²)^(−1/2) wins
        let m = mean_position(&[100.0, 100.0], &[d0, d0 + 0.1 / 3600.0], &[1.0, 1.0]);
        assert!((m.pos_err - 0.5f64.sqrt()).abs() < 1e-9, "{}", m.pos_err);
        // a NaN error takes the median of the others (here 1″): equal weights
        let m = mean_position(&[100.0, 100.0], &[d0, d1], &[1.0, f64::NAN]);
        assert!(((m.dec - d0) * 3600.0 - 5.0).abs() < 1e-6);
    }

    #[test]
    fn no_errors_gives_the_plain_mean() {
        let m = mean_position(
            &[50.0, 50.0, 50.0],
            &[0.0, 0.0, 9.0 / 3600.0],
            &[f64::NAN; 3],
        );
        assert!(((m.dec) * 3600.0 - 3.0).abs() < 1e-6);
        assert!(m.pos_err.is_finite() && m.pos_err > 0.0);
        let one = mean_position(&[50.0], &[1.0], &[f64::NAN]);
        assert!((one.ra - 50.0).abs() < 1e-9 && one.pos_err.is_nan());
        assert!(mean_position(&[f64::NAN], &[1.0], &[1.0]).ra.is_nan());
    }
}
