//! Fitting a list of models to one spectrum and comparing them (the tables of the follow-up
//! reports: statistic, dof, reduced statistic, null-hypothesis probability, AIC, BIC, parameters
//! with errors), with likelihood-ratio tests for nested pairs.
//!
//! Nesting is recognised from the parameters: model A is nested in B when every free parameter of A
//! (by `component.name`) is a free parameter of B and B has more. The likelihood-ratio statistic
//! `Δ = S_A − S_B` is compared with a χ² of `Δdof` degrees of freedom (Wilks 1938). That asymptotic
//! distribution does not hold when the simpler model sits on the boundary of the larger one's
//! parameter space — an added component's norm ≥ 0 is 0 under the null (Protassov et al. 2002, ApJ
//! 571, 545): such tests are flagged `approximate` (the χ² probability is then conservative,
//! roughly twice the true one for one parameter); calibrate them by simulation when it matters.

use rayon::prelude::*;
use serde::Serialize;

use super::fit::{fit, goodness::chi2_q, FitOptions, FitResult};
use super::fitdata::FitData;
use super::model::SpectralModel;
use super::stat::Statistic;
use super::SpectralError;

/// One row of a comparison: a labelled fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareRow {
    /// The model's label (its expression, e.g. `tbabs*powerlaw`).
    pub model: String,
    /// Its fit.
    #[serde(flatten)]
    pub fit: FitResult,
}

/// A likelihood-ratio test of a nested pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LikelihoodRatio {
    /// The simpler model.
    pub simple: String,
    /// The larger model.
    pub complex: String,
    /// `S_simple − S_complex`.
    pub delta_stat: f64,
    /// Difference of free parameters.
    pub delta_dof: usize,
    /// `Q(Δdof/2, Δ/2)`: probability of a Δ this large if the simpler model is true.
    pub p_value: f64,
    /// The null is on a parameter boundary (added norm ≥ 0 at 0): the χ² reference is approximate.
    pub approximate: bool,
}

/// A comparison table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// One row per model, in the order given.
    pub rows: Vec<CompareRow>,
    /// Tests of every nested pair.
    pub likelihood_ratios: Vec<LikelihoodRatio>,
}

/// Fit every `(label, model)` to `data` with `stat` (in parallel; each fit is deterministic) and
/// test the nested pairs.
pub fn compare(
    data: &FitData,
    models: &[(&str, &dyn SpectralModel)],
    stat: Statistic,
    opts: &FitOptions,
) -> Result<Comparison, SpectralError> {
    let fits: Vec<Result<FitResult, SpectralError>> = models
        .par_iter()
        .map(|(_, m)| fit(data, *m, stat, opts))
        .collect();
    let mut rows = Vec::with_capacity(models.len());
    for ((label, _), r) in models.iter().zip(fits) {
        let fit = r.map_err(|e| SpectralError::param(format!("model {label}: {e}")))?;
        rows.push(CompareRow {
            model: label.to_string(),
            fit,
        });
    }
    let mut likelihood_ratios = vec![];
    for a in &rows {
        for b in &rows {
            if let Some(t) = likelihood_ratio(&a.model, &a.fit, &b.model, &b.fit) {
                likelihood_ratios.push(t);
            }
        }
    }
    Ok(Comparison {
        rows,
        likelihood_ratios,
    })
}

fn free_names(r: &FitResult) -> Vec<String> {
    r.free
        .iter()
        .map(|&i| format!("{}.{}", r.params[i].component, r.params[i].name))
        .collect()
}

/// The likelihood-ratio test of `simple` against `complex`, None when they are not nested (module
/// docs) or were fitted with different statistics.
pub fn likelihood_ratio(
    simple_label: &str,
    simple: &FitResult,
    complex_label: &str,
    complex: &FitResult,
) -> Option<LikelihoodRatio> {
    let (fs, fc) = (free_names(simple), free_names(complex));
    if simple.statistic != complex.statistic
        || simple.n_bins != complex.n_bins
        || fc.len() <= fs.len()
        || !fs.iter().all(|n| fc.contains(n))
    {
        return None;
    }
    let delta_dof = fc.len() - fs.len();
    let delta_stat = simple.stat_value - complex.stat_value;
    let approximate = complex.free.iter().any(|&i| {
        let p = &complex.params[i];
        !fs.contains(&format!("{}.{}", p.component, p.name)) && p.name.eq_ignore_ascii_case("norm")
    });
    Some(LikelihoodRatio {
        simple: simple_label.to_string(),
        complex: complex_label.to_string(),
        delta_stat,
        delta_dof,
        p_value: chi2_q(delta_stat.max(0.0), delta_dof),
        approximate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::fitdata::testutil::*;
    use crate::spectral::fitdata::FitDataOptions;

    #[test]
    fn a_real_line_is_preferred_and_the_test_is_flagged_approximate() {
        let resp = toy_response(120, 0.3, 0.1, 0.0, 200.0);
        let truth = PowerLawLine::new(1.8, 1e-2, 6.4, 2e-4);
        let empty = toy_spectrum("s.pi", vec![0.0; 120], 2e4);
        let fd0 = FitData::new(&empty, None, resp.clone(), &FitDataOptions::default()).unwrap();
        let mean = fd0.model_counts(&truth, &[1.8, 1e-2, 6.4, 2e-4]);
        let fd = FitData::new(
            &toy_spectrum("s.pi", poisson(&mean, 4), 2e4),
            None,
            resp,
            &FitDataOptions::default(),
        )
        .unwrap();
        let mut pl = PowerLawLine::new(2.0, 1e-3, 6.4, 0.0);
        pl.params[3].frozen = true;
        let line = PowerLawLine::new(2.0, 1e-3, 6.4, 1e-5);
        let opts = FitOptions {
            profile_delta: None,
            ..Default::default()
        };
        let c = compare(
            &fd,
            &[("powerlaw", &pl), ("gauss+powerlaw", &line)],
            Statistic::Cstat,
            &opts,
        )
        .unwrap();
        assert_eq!(c.rows.len(), 2);
        assert_eq!(c.likelihood_ratios.len(), 1);
        let t = &c.likelihood_ratios[0];
        assert_eq!(
            (t.simple.as_str(), t.complex.as_str(), t.delta_dof),
            ("powerlaw", "gauss+powerlaw", 1)
        );
        assert!(
            (t.delta_stat - (c.rows[0].fit.stat_value - c.rows[1].fit.stat_value)).abs() < 1e-12
        );
        assert!(
            t.delta_stat > 20.0 && t.p_value < 1e-5 && t.approximate,
            "{t:?}"
        );
        // the same fit one by one (compared as JSON: frozen sigmas are NaN)
        let single = fit(&fd, &line, Statistic::Cstat, &opts).unwrap();
        assert_eq!(
            serde_json::to_string(&single).unwrap(),
            serde_json::to_string(&c.rows[1].fit).unwrap()
        );
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"model\":\"powerlaw\"") && json.contains("\"stat_value\""));
    }
}
