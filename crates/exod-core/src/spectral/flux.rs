//! Model fluxes in an energy band, with errors, and the count-rate-to-flux conversion factor.
//!
//! Follows Sherpa's `calc_photon_flux` / `calc_energy_flux` (`sherpa.astro.utils._flux`): the model
//! is evaluated on the response's energy grid (photons cm⁻² s⁻¹ per bin `y_i`); each bin is weighted
//! by the fraction of it inside the band (`range_overlap_1dint`: 1 inside, `(edge − lo)/width` and
//! `(hi − edge)/width` for the bins straddling the band's ends — linear interpolation within the
//! bin); the photon flux is `Σ w_i y_i`, the energy flux `Σ w_i y_i (lo_i + hi_i)/2 · 1.60217653e-9`
//! erg/keV (Sherpa's `charge_e`; CODATA 2018's 1.602176634e-9 differs by 6.5e-8 relative).
//! A band entirely outside the grid gives 0. Unabsorbed fluxes use
//! [`SpectralModel::eval_unabsorbed`] (every multiplicative component set to 1).
//!
//! Errors as Sherpa's `sample_flux`: `n_samples` parameter vectors of the free parameters drawn
//! (ChaCha8, seeded) from a normal centred on the best fit — by default independent with the
//! covariance's σ (Sherpa's default `correlated=False`), or from the full covariance — draws outside
//! the parameter limits are dropped (Sherpa's clipping flags and excludes them); the median and the
//! central `level` interval (default 68 %, Sherpa's `confidence=68`) of the sampled fluxes, by linear
//! interpolation between order statistics (`numpy.percentile`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

use super::fit::lm::cholesky;
use super::fit::FitResult;
use super::fitdata::FitData;
use super::model::SpectralModel;
use super::SpectralError;

/// keV → erg as Sherpa (`sherpa.astro.charge_e`).
pub const KEV_TO_ERG: f64 = 1.60217653e-9;

/// Which flux.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FluxKind {
    /// photons cm⁻² s⁻¹.
    Photon,
    /// erg cm⁻² s⁻¹.
    Energy,
}

/// Fraction of each bin `[e_lo[i], e_hi[i]]` (contiguous, increasing) inside `[lo, hi]`: Sherpa's
/// `range_overlap_1dint`. Empty when the band misses the grid.
pub fn band_weights(e_lo: &[f64], e_hi: &[f64], lo: f64, hi: f64) -> Vec<f64> {
    let n = e_lo.len();
    let mut w = vec![0.0; n];
    if n == 0 {
        return w;
    }
    let mut edges = e_lo.to_vec();
    edges.push(e_hi[n - 1]);
    let (axmin, axmax) = (edges[0], edges[n]);
    if lo >= axmax || hi < axmin || (hi == axmin && lo < hi) {
        return w;
    }
    if lo <= axmin && hi >= axmax {
        return vec![1.0; n];
    }
    let (lo, hi) = (lo.max(axmin), hi.min(axmax));
    // numpy.digitize(x, edges, right=False): the number of edges ≤ x
    let digitize = |x: f64| edges.partition_point(|&e| e <= x);
    let (blo, bhi) = (digitize(lo), digitize(hi));
    let ilo = blo - 1;
    if blo == bhi {
        w[ilo] = (hi - lo) / (edges[blo] - edges[ilo]);
        return w;
    }
    let ihi = bhi - 1;
    w[blo..ihi].iter_mut().for_each(|v| *v = 1.0);
    w[ilo] = (edges[blo] - lo) / (edges[blo] - edges[ilo]);
    if bhi <= n {
        w[ihi] = (hi - edges[ihi]) / (edges[bhi] - edges[ihi]);
    }
    w
}

fn check_band((lo, hi): (f64, f64)) -> Result<(), SpectralError> {
    if !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && hi > lo) {
        return Err(SpectralError::param(format!(
            "flux band {lo}–{hi} keV: expected 0 ≤ lo < hi"
        )));
    }
    Ok(())
}

/// The flux of `model` at parameters `p` in `band` (keV) on the energy grid `e_lo/e_hi` (the
/// response's), absorbed or not.
#[allow(clippy::too_many_arguments)]
pub fn flux(
    model: &dyn SpectralModel,
    p: &[f64],
    e_lo: &[f64],
    e_hi: &[f64],
    band: (f64, f64),
    kind: FluxKind,
    unabsorbed: bool,
) -> Result<f64, SpectralError> {
    check_band(band)?;
    let w = band_weights(e_lo, e_hi, band.0, band.1);
    Ok(flux_with_weights(
        model,
        p,
        e_lo,
        e_hi,
        &w,
        kind,
        unabsorbed,
        &mut vec![0.0; e_lo.len()],
    ))
}

#[allow(clippy::too_many_arguments)]
fn flux_with_weights(
    model: &dyn SpectralModel,
    p: &[f64],
    e_lo: &[f64],
    e_hi: &[f64],
    w: &[f64],
    kind: FluxKind,
    unabsorbed: bool,
    y: &mut [f64],
) -> f64 {
    if unabsorbed {
        model.eval_unabsorbed(p, e_lo, e_hi, y);
    } else {
        model.eval(p, e_lo, e_hi, y);
    }
    let mut s = 0.0;
    for i in 0..w.len() {
        if w[i] != 0.0 {
            let e = match kind {
                FluxKind::Photon => 1.0,
                FluxKind::Energy => 0.5 * (e_lo[i] + e_hi[i]),
            };
            s += w[i] * y[i] * e;
        }
    }
    match kind {
        FluxKind::Photon => s,
        FluxKind::Energy => s * KEV_TO_ERG,
    }
}

/// Options of [`sample_flux`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleOptions {
    /// Parameter draws (default 1000).
    pub n_samples: usize,
    /// Seed (default 0).
    pub seed: u64,
    /// Central probability of the interval (default 0.68, Sherpa's `confidence = 68`).
    pub level: f64,
    /// Draw from the full covariance matrix; false: independent normals with its σ (default false,
    /// Sherpa's `correlated=False`).
    pub correlated: bool,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            n_samples: 1000,
            seed: 0,
            level: 0.68,
            correlated: false,
        }
    }
}

/// A flux with its sampled distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FluxEstimate {
    /// Band (keV).
    pub band: (f64, f64),
    /// Photon or energy flux.
    pub kind: FluxKind,
    /// Unabsorbed.
    pub unabsorbed: bool,
    /// The flux at the best fit.
    pub value: f64,
    /// Median of the samples.
    pub median: f64,
    /// Lower end of the central `level` interval of the samples.
    pub lower: f64,
    /// Upper end.
    pub upper: f64,
    /// Samples used (inside the limits).
    pub n_samples: usize,
    /// Samples dropped for falling outside a parameter limit.
    pub n_clipped: usize,
}

/// The flux at the best fit of `result` with errors by sampling the covariance (module docs).
/// Errors when the fit has no covariance matrix.
pub fn sample_flux(
    model: &dyn SpectralModel,
    result: &FitResult,
    e_lo: &[f64],
    e_hi: &[f64],
    band: (f64, f64),
    kind: FluxKind,
    unabsorbed: bool,
    opts: &SampleOptions,
) -> Result<FluxEstimate, SpectralError> {
    check_band(band)?;
    if opts.n_samples == 0 || !(opts.level > 0.0 && opts.level < 1.0) {
        return Err(SpectralError::param(format!(
            "n_samples = {} and level = {}: expected ≥ 1 and in (0, 1)",
            opts.n_samples, opts.level
        )));
    }
    let x = result.values();
    let w = band_weights(e_lo, e_hi, band.0, band.1);
    let mut y = vec![0.0; e_lo.len()];
    let value = flux_with_weights(model, &x, e_lo, e_hi, &w, kind, unabsorbed, &mut y);
    let l = draw_matrix(result, opts.correlated)?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let limits: Vec<(f64, f64)> = model.params().iter().map(|p| (p.min, p.max)).collect();
    let mut samples = Vec::with_capacity(opts.n_samples);
    let mut z = vec![0.0; result.free.len()];
    let mut n_clipped = 0;
    for _ in 0..opts.n_samples {
        z.iter_mut()
            .for_each(|v| *v = StandardNormal.sample(&mut rng));
        let mut p = x.clone();
        for (a, &i) in result.free.iter().enumerate() {
            p[i] = x[i] + (0..=a).map(|b| l[a][b] * z[b]).sum::<f64>();
        }
        if p.iter()
            .zip(&limits)
            .any(|(v, &(lo, hi))| !(*v >= lo && *v <= hi))
        {
            n_clipped += 1;
            continue;
        }
        samples.push(flux_with_weights(
            model, &p, e_lo, e_hi, &w, kind, unabsorbed, &mut y,
        ));
    }
    if samples.is_empty() {
        return Err(SpectralError::param(format!(
            "all {} parameter draws fell outside the parameter limits",
            opts.n_samples
        )));
    }
    samples.sort_by(f64::total_cmp);
    Ok(FluxEstimate {
        band,
        kind,
        unabsorbed,
        value,
        median: percentile(&samples, 0.5),
        lower: percentile(&samples, 0.5 * (1.0 - opts.level)),
        upper: percentile(&samples, 0.5 * (1.0 + opts.level)),
        n_samples: samples.len(),
        n_clipped,
    })
}

/// Lower-triangular matrix turning standard normals into parameter offsets: the Cholesky factor of
/// the covariance, or its diagonal of σ when not `correlated`.
fn draw_matrix(result: &FitResult, correlated: bool) -> Result<Vec<Vec<f64>>, SpectralError> {
    let k = result.free.len();
    if k == 0 {
        return Ok(vec![]);
    }
    let none = || {
        SpectralError::param(
            "the fit has no positive-definite covariance matrix to sample flux errors from",
        )
    };
    if result.covariance.len() != k {
        return Err(none());
    }
    if correlated {
        return cholesky(&result.covariance).ok_or_else(none);
    }
    let mut l = vec![vec![0.0; k]; k];
    for a in 0..k {
        let v = result.covariance[a][a];
        if !(v > 0.0 && v.is_finite()) {
            return Err(none());
        }
        l[a][a] = v.sqrt();
    }
    Ok(l)
}

/// `numpy.percentile` (linear) of sorted values at fraction `q`.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let i = pos.floor() as usize;
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] + (pos - i as f64) * (sorted[j] - sorted[i])
}

/// The count-rate-to-flux conversion factor (erg cm⁻² per count): the energy flux of `model` at `p`
/// in `band` divided by its predicted source count rate (counts s⁻¹, AREASCAL included) summed over
/// the noticed groups of `data` — the factor turning an observed rate in that channel range into a
/// flux in `band` for this spectral shape.
pub fn ecf(
    data: &FitData,
    model: &dyn SpectralModel,
    p: &[f64],
    band: (f64, f64),
    unabsorbed: bool,
) -> Result<f64, SpectralError> {
    let f = flux(
        model,
        p,
        data.response.energ_lo(),
        data.response.energ_hi(),
        band,
        FluxKind::Energy,
        unabsorbed,
    )?;
    let rate: f64 = data.model_counts(model, p).iter().sum::<f64>() / data.exposure;
    if !(rate > 0.0) {
        return Err(SpectralError::param(format!(
            "the model predicts {rate} counts/s in the noticed channels: no conversion factor"
        )));
    }
    Ok(f / rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::fit::{fit, FitOptions};
    use crate::spectral::fitdata::testutil::*;
    use crate::spectral::fitdata::FitDataOptions;
    use crate::spectral::stat::Statistic;

    #[test]
    fn band_weights_follow_sherpa_range_overlap() {
        let lo = [1.0, 2.0, 3.0, 4.0];
        let hi = [2.0, 3.0, 4.0, 5.0];
        assert_eq!(band_weights(&lo, &hi, 0.0, 10.0), vec![1.0; 4]);
        assert_eq!(band_weights(&lo, &hi, 1.5, 3.25), vec![0.5, 1.0, 0.25, 0.0]);
        let w = band_weights(&lo, &hi, 2.2, 2.7);
        assert!(
            w[0] == 0.0 && (w[1] - 0.5).abs() < 1e-12 && w[2] == 0.0 && w[3] == 0.0,
            "{w:?}"
        );
        assert_eq!(band_weights(&lo, &hi, 2.0, 4.0), vec![0.0, 1.0, 1.0, 0.0]);
        assert_eq!(band_weights(&lo, &hi, 3.5, 9.0), vec![0.0, 0.0, 0.5, 1.0]);
        assert_eq!(band_weights(&lo, &hi, 5.0, 9.0), vec![0.0; 4]);
        assert_eq!(band_weights(&lo, &hi, 0.1, 1.0), vec![0.0; 4]);
    }

    #[test]
    fn power_law_fluxes_match_the_analytic_integrals() {
        // on a fine grid from 0.1 to 20 keV, partial bins at the band ends
        let n = 1990;
        let e_lo: Vec<f64> = (0..n).map(|i| 0.1 + 0.01 * i as f64).collect();
        let e_hi: Vec<f64> = e_lo.iter().map(|e| e + 0.01).collect();
        let m = AbsPowerLaw::new(0.0, 1.7, 1e-2);
        let p = [0.0, 1.7, 1e-2];
        let (a, b) = (2.003, 9.9951);
        let ph = flux(&m, &p, &e_lo, &e_hi, (a, b), FluxKind::Photon, false).unwrap();
        let want_ph = 1e-2 * (b.powf(-0.7) - a.powf(-0.7)) / -0.7;
        assert!((ph / want_ph - 1.0).abs() < 1e-5, "{ph} vs {want_ph}");
        let en = flux(&m, &p, &e_lo, &e_hi, (a, b), FluxKind::Energy, false).unwrap();
        let want_en = 1e-2 * (b.powf(0.3) - a.powf(0.3)) / 0.3 * KEV_TO_ERG;
        assert!((en / want_en - 1.0).abs() < 1e-5, "{en} vs {want_en}");
        // absorbed < unabsorbed
        let ma = AbsPowerLaw::new(1.0, 1.7, 1e-2);
        let fa = flux(
            &ma,
            &[1.0, 1.7, 1e-2],
            &e_lo,
            &e_hi,
            (0.5, 2.0),
            FluxKind::Energy,
            false,
        )
        .unwrap();
        let fu = flux(
            &ma,
            &[1.0, 1.7, 1e-2],
            &e_lo,
            &e_hi,
            (0.5, 2.0),
            FluxKind::Energy,
            true,
        )
        .unwrap();
        assert!(fa < 0.9 * fu);
        assert!(flux(&m, &p, &e_lo, &e_hi, (3.0, 2.0), FluxKind::Energy, false).is_err());
    }

    #[test]
    fn sampled_flux_errors_match_the_propagated_norm_error_and_ecf_inverts() {
        let truth = AbsPowerLaw::new(0.3, 1.8, 1e-2);
        let resp = toy_response(120, 0.3, 0.1, 0.1, 200.0);
        let empty = toy_spectrum("sim.pi", vec![0.0; 120], 1e4);
        let fd0 = FitData::new(&empty, None, resp.clone(), &FitDataOptions::default()).unwrap();
        let mean = fd0.model_counts(&truth, &[0.3, 1.8, 1e-2]);
        let fd = FitData::new(
            &toy_spectrum("s.pi", poisson(&mean, 3), 1e4),
            None,
            resp,
            &FitDataOptions::default(),
        )
        .unwrap();
        // only the norm free: the flux is linear in it, so its sampled 1σ half-width = flux·σ_n/n
        let mut m = AbsPowerLaw::new(0.3, 1.8, 1e-3);
        m.params[0].frozen = true;
        m.params[1].frozen = true;
        let r = fit(
            &fd,
            &m,
            Statistic::Cstat,
            &FitOptions {
                profile_delta: None,
                ..Default::default()
            },
        )
        .unwrap();
        let (lo, hi) = (fd.response.energ_lo(), fd.response.energ_hi());
        let est = sample_flux(
            &m,
            &r,
            lo,
            hi,
            (2.0, 10.0),
            FluxKind::Energy,
            false,
            &SampleOptions {
                n_samples: 4000,
                level: 0.682689492,
                ..Default::default()
            },
        )
        .unwrap();
        let rel = r.params[2].sigma / r.params[2].value;
        let half = 0.5 * (est.upper - est.lower) / est.value;
        assert!((half / rel - 1.0).abs() < 0.05, "{half} vs {rel}");
        assert!((est.median / est.value - 1.0).abs() < 0.2 * rel);
        let again = sample_flux(
            &m,
            &r,
            lo,
            hi,
            (2.0, 10.0),
            FluxKind::Energy,
            false,
            &SampleOptions {
                n_samples: 4000,
                level: 0.682689492,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(est, again);
        assert_eq!((est.n_samples, est.n_clipped), (4000, 0));
        // ECF × rate = flux
        let x = r.values();
        let c = ecf(&fd, &m, &x, (2.0, 10.0), false).unwrap();
        let rate: f64 = fd.model_counts(&m, &x).iter().sum::<f64>() / 1e4;
        assert!((c * rate / est.value - 1.0).abs() < 1e-12);
    }

    #[test]
    fn sampled_errors_match_linear_propagation_with_and_without_correlations() {
        let truth = AbsPowerLaw::new(0.3, 1.8, 1e-2);
        let resp = toy_response(120, 0.3, 0.1, 0.1, 200.0);
        let empty = toy_spectrum("sim.pi", vec![0.0; 120], 3e4);
        let fd0 = FitData::new(&empty, None, resp.clone(), &FitDataOptions::default()).unwrap();
        let mean = fd0.model_counts(&truth, &[0.3, 1.8, 1e-2]);
        let spec = toy_spectrum("s.pi", poisson(&mean, 8), 3e4);
        let fd = FitData::new(&spec, None, resp, &FitDataOptions::default()).unwrap();
        let mut m = AbsPowerLaw::new(0.3, 1.8, 1e-3);
        m.params[0].frozen = true;
        let opts = FitOptions {
            profile_delta: None,
            ..Default::default()
        };
        let r = fit(&fd, &m, Statistic::Cstat, &opts).unwrap();
        let (lo, hi) = (fd.response.energ_lo(), fd.response.energ_hi());
        let band = (5.0, 10.0);
        let f = |p: &[f64]| flux(&m, p, lo, hi, band, FluxKind::Energy, false).unwrap();
        let x = r.values();
        // gradient over the free parameters (Γ, norm) by central differences
        let g: Vec<f64> = r
            .free
            .iter()
            .map(|&i| {
                let h = 1e-5 * x[i].abs();
                let (mut a, mut b) = (x.clone(), x.clone());
                a[i] += h;
                b[i] -= h;
                (f(&a) - f(&b)) / (2.0 * h)
            })
            .collect();
        let c = &r.covariance;
        let full =
            (g[0] * g[0] * c[0][0] + 2.0 * g[0] * g[1] * c[0][1] + g[1] * g[1] * c[1][1]).sqrt();
        let diag = (g[0] * g[0] * c[0][0] + g[1] * g[1] * c[1][1]).sqrt();
        assert!(
            full < 0.9 * diag,
            "{full} {diag}: the errors should be correlated"
        );
        for (correlated, want) in [(true, full), (false, diag)] {
            let so = SampleOptions {
                n_samples: 4000,
                level: 0.682689492,
                correlated,
                ..Default::default()
            };
            let est = sample_flux(&m, &r, lo, hi, band, FluxKind::Energy, false, &so).unwrap();
            let half = 0.5 * (est.upper - est.lower);
            assert!(
                (half / want - 1.0).abs() < 0.06,
                "correlated {correlated}: {half} vs {want}"
            );
        }
    }
}
