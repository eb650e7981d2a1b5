//! Fit statistics of grouped X-ray spectra, as XSPEC and Sherpa define them.
//!
//! Per noticed group: `d` source counts, `b` background counts, `s` the background scale
//! (`EXPOSURE·BACKSCAL·AREASCAL` of the source over the background's), `m` predicted source counts.
//!
//! * `cstat` (Cash 1979, ApJ 228, 939, in the XSPEC/Sherpa form): `2 Σ (m − d + d ln(d/m))`, `2m` where
//!   `d = 0`. Model values ≤ 0 are replaced by 1e-25 (Sherpa's `truncate` option), so the statistic
//!   stays finite. The background is ignored (as XSPEC's `cstat` without a background).
//! * `chi2datavar`: `Σ (d − s b − m)² / σ²` with `σ² = d + s² b` (Sherpa subtracts per channel,
//!   `Σ_c s_c b_c`, and scales the variance by the group's s; see [`BinData`]).
//! * `chi2modvar`: the same with `σ² = m + s² b`.
//! * `chi2gehrels` (Gehrels 1986, ApJ 303, 336, eq. 7): `σ_d = 1 + √(d + 0.75)`, likewise `σ_b`;
//!   `σ² = σ_d² + s² σ_b²`.
//! * `chi2`: the errors of the file (STAT_ERR, for POISSERR = F): `σ² = e_d² + s² e_b²`.
//! * `wstat`: the background profiled out, XSPEC manual, Appendix B "W statistic", with its special
//!   cases for `d = 0` and `b = 0` — the same as Sherpa's `wstat`. See [`wstat_bin`].
//!
//! A χ² statistic with a zero variance in a noticed group is an error (group the spectrum or use
//! `chi2gehrels`/`cstat`), not a silent infinity.

use super::SpectralError;

/// Sherpa's model floor for `cstat`/`wstat` (`truncate = True`, `trunc_value = 1e-25`).
pub const MODEL_FLOOR: f64 = 1e-25;

/// A fit statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Statistic {
    /// C-statistic (Poisson likelihood ratio to the saturated model).
    Cstat,
    /// χ² with the data variance (background-subtracted).
    Chi2DataVar,
    /// χ² with the model variance.
    Chi2ModVar,
    /// χ² with Gehrels' approximation of the Poisson upper error.
    Chi2Gehrels,
    /// χ² with the STAT_ERR column of the spectrum (POISSERR = F).
    Chi2,
    /// W-statistic: Poisson source and background, background profiled (XSPEC Appendix B).
    Wstat,
}

impl std::str::FromStr for Statistic {
    type Err = SpectralError;

    fn from_str(s: &str) -> Result<Statistic, SpectralError> {
        match s.to_ascii_lowercase().as_str() {
            "cstat" | "c" | "cash" => Ok(Statistic::Cstat),
            "chi2" | "chi" => Ok(Statistic::Chi2),
            "chi2datavar" | "datavar" => Ok(Statistic::Chi2DataVar),
            "chi2modvar" | "modvar" => Ok(Statistic::Chi2ModVar),
            "chi2gehrels" | "gehrels" => Ok(Statistic::Chi2Gehrels),
            "wstat" | "w" => Ok(Statistic::Wstat),
            _ => Err(SpectralError::param(format!(
                "unknown statistic '{s}': expected one of cstat, chi2, chi2datavar, chi2modvar, \
                 chi2gehrels, wstat"
            ))),
        }
    }
}

impl Statistic {
    /// The name used in tables and JSON (`cstat`, `chi2datavar`, …).
    pub fn name(self) -> &'static str {
        match self {
            Statistic::Cstat => "cstat",
            Statistic::Chi2DataVar => "chi2datavar",
            Statistic::Chi2ModVar => "chi2modvar",
            Statistic::Chi2Gehrels => "chi2gehrels",
            Statistic::Chi2 => "chi2",
            Statistic::Wstat => "wstat",
        }
    }

    /// Whether this is a χ² statistic (goodness from the χ² distribution).
    pub fn is_chi2(self) -> bool {
        !matches!(self, Statistic::Cstat | Statistic::Wstat)
    }

    /// Whether the statistic uses the background spectrum.
    pub fn uses_background(self) -> bool {
        !matches!(self, Statistic::Cstat)
    }
}

/// The data of one group the statistics need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinData {
    /// Source counts.
    pub d: f64,
    /// Background counts (0 without a background).
    pub b: f64,
    /// Background scale s of the group (0 without a background): used by the χ² variances and wstat.
    pub s: f64,
    /// Subtracted background counts `Σ_c s_c b_c` over the group's channels (χ² numerators; equal
    /// to `s·b` when the scale is the same in every channel).
    pub sb: f64,
    /// STAT_ERR of the source (counts), NaN if none.
    pub err_d: f64,
    /// STAT_ERR of the background (counts), 0 if none.
    pub err_b: f64,
}

/// `2 (m − d + d ln(d/m))` (`2m` where d = 0), m floored at [`MODEL_FLOOR`].
pub fn cstat_bin(d: f64, m: f64) -> f64 {
    let m = m.max(MODEL_FLOOR);
    if d > 0.0 {
        2.0 * (m - d + d * (d / m).ln())
    } else {
        2.0 * m
    }
}

/// One group's W-statistic (XSPEC manual Appendix B) for source counts `d`, background counts `b`,
/// predicted source counts `m` and background scale `s` (source exposure·area over background's).
///
/// With `t_s = s`, `t_b = 1` and model rate `μ = m/s` (only the ratios matter), the background rate
/// `f` maximising the joint Poisson likelihood is `f = (d + b − (t_s + t_b)μ + r)/(2(t_s + t_b))`,
/// `r = √(((t_s + t_b)μ − d − b)² + 4(t_s + t_b) b μ)`, and
/// `W = 2[t_s μ + (t_s + t_b) f − d ln(t_s μ + t_s f) − b ln(t_b f) − d(1 − ln d) − b(1 − ln b)]`.
/// Special cases: `d = 0`: `W = 2[t_s μ − b ln(t_b/(t_s + t_b))]`; `b = 0` and `μ < d/(t_s + t_b)`:
/// `W = 2[−t_b μ − d ln(t_s/(t_s + t_b))]`; `b = 0` otherwise: `W = 2[t_s μ + d(ln d − ln(t_s μ) − 1)]`.
/// Without a background (`s = 0`) it is [`cstat_bin`].
pub fn wstat_bin(d: f64, b: f64, m: f64, s: f64) -> f64 {
    if s <= 0.0 {
        return cstat_bin(d, m);
    }
    let (ts, tb) = (s, 1.0);
    let tt = ts + tb;
    let m = m.max(MODEL_FLOOR);
    let mu = m / ts;
    if d == 0.0 {
        return 2.0 * (ts * mu - b * (tb / tt).ln());
    }
    if b == 0.0 {
        return if mu < d / tt {
            2.0 * (-tb * mu - d * (ts / tt).ln())
        } else {
            2.0 * (ts * mu + d * (d.ln() - (ts * mu).ln() - 1.0))
        };
    }
    let f = wstat_background(d, b, m, s);
    let w = ts * mu + tt * f
        - d * (ts * mu + ts * f).ln()
        - b * (tb * f).ln()
        - d * (1.0 - d.ln())
        - b * (1.0 - b.ln());
    (2.0 * w).max(0.0)
}

/// The profiled background rate `f` of [`wstat_bin`] (background counts expected in the background
/// spectrum, with `t_b = 1`).
pub fn wstat_background(d: f64, b: f64, m: f64, s: f64) -> f64 {
    let (ts, tb) = (s, 1.0);
    let tt = ts + tb;
    let mu = m.max(MODEL_FLOOR) / ts;
    let a = tt * mu - d - b;
    let r = (a * a + 4.0 * tt * b * mu).sqrt();
    // (d + b − tt μ + r) / (2 tt), written without cancellation when tt μ ≫ d + b
    let num = if a <= 0.0 {
        -a + r
    } else {
        4.0 * tt * b * mu / (a + r)
    };
    (num / (2.0 * tt)).max(0.0) / tb
}

/// σ² of a group for a χ² statistic, or None for a non-χ² statistic.
pub fn chi2_variance(stat: Statistic, bin: &BinData, m: f64) -> Option<f64> {
    let s2 = bin.s * bin.s;
    let gehrels = |x: f64| (1.0 + (x + 0.75).sqrt()).powi(2);
    match stat {
        Statistic::Chi2DataVar => Some(bin.d + s2 * bin.b),
        Statistic::Chi2ModVar => Some(m + s2 * bin.b),
        Statistic::Chi2Gehrels => Some(
            gehrels(bin.d)
                + if bin.s > 0.0 {
                    s2 * gehrels(bin.b)
                } else {
                    0.0
                },
        ),
        Statistic::Chi2 => Some(bin.err_d * bin.err_d + s2 * bin.err_b * bin.err_b),
        Statistic::Cstat | Statistic::Wstat => None,
    }
}

/// One group's contribution to the statistic at predicted source counts `m`.
pub fn bin_stat(stat: Statistic, bin: &BinData, m: f64) -> f64 {
    match stat {
        Statistic::Cstat => cstat_bin(bin.d, m),
        Statistic::Wstat => wstat_bin(bin.d, bin.b, m, bin.s),
        _ => {
            let v = chi2_variance(stat, bin, m).unwrap_or(f64::NAN);
            let r = bin.d - bin.sb - m;
            if v > 0.0 {
                r * r / v
            } else {
                f64::INFINITY
            }
        }
    }
}

/// The signed residual of a group whose square is its contribution: `(d − s b − m)/σ` for χ²,
/// `sign(d − s b − m)·√(contribution)` (the deviance residual) for cstat and wstat.
pub fn bin_residual(stat: Statistic, bin: &BinData, m: f64) -> f64 {
    let net = bin.d
        - if stat == Statistic::Cstat {
            0.0
        } else {
            bin.sb
        };
    let c = bin_stat(stat, bin, m);
    if stat.is_chi2() {
        let v = chi2_variance(stat, bin, m).unwrap_or(f64::NAN);
        return if v > 0.0 {
            (net - m) / v.sqrt()
        } else {
            f64::INFINITY
        };
    }
    let mag = c.max(0.0).sqrt();
    if net >= m {
        mag
    } else {
        -mag
    }
}

/// The statistic summed over groups (`bins` and `model` of equal length).
pub fn total(stat: Statistic, bins: &[BinData], model: &[f64]) -> f64 {
    bins.iter()
        .zip(model)
        .map(|(b, &m)| bin_stat(stat, b, m))
        .sum()
}

/// Check the statistic can be evaluated on these groups: a χ² with data-based variance needs
/// σ² > 0 in every group, `chi2` needs STAT_ERR, `wstat` a background. `source_name` names the
/// spectrum in the error.
pub fn check_usable(
    stat: Statistic,
    bins: &[BinData],
    has_background: bool,
    has_stat_err: bool,
    source_name: &str,
) -> Result<(), SpectralError> {
    match stat {
        Statistic::Wstat if !has_background => {
            return Err(SpectralError::input(
                source_name,
                "wstat needs a background spectrum (BACKFILE or --bkg); use cstat without one",
            ))
        }
        Statistic::Chi2 if !has_stat_err => {
            return Err(SpectralError::input(
                source_name,
                "chi2 uses the STAT_ERR column (POISSERR = F) and this spectrum has none; \
                 use chi2datavar, chi2gehrels or cstat",
            ))
        }
        _ => {}
    }
    if matches!(stat, Statistic::Chi2DataVar | Statistic::Chi2) {
        if let Some(i) = bins
            .iter()
            .position(|b| !(chi2_variance(stat, b, 0.0).unwrap_or(0.0) > 0.0))
        {
            return Err(SpectralError::input(
                source_name,
                format!(
                    "{}: noticed group {i} has zero variance (counts {}); group the spectrum \
                     (e.g. --group-min 20) or use chi2gehrels or cstat",
                    stat.name(),
                    bins[i].d
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// −ln of the joint Poisson likelihood of (d, b) given source counts m and background counts f
    /// in the background spectrum, minus its saturated value, × 2 — profiled over f numerically
    /// (golden section on ln f). The independent oracle of `wstat_bin`.
    fn wstat_numerical(d: f64, b: f64, m: f64, s: f64) -> f64 {
        let nll = |f: f64| {
            let lam = m + s * f;
            let mut v = lam + f;
            if d > 0.0 {
                v -= d * lam.ln();
            }
            if b > 0.0 {
                v -= b * f.ln();
            }
            v
        };
        let sat = |x: f64| if x > 0.0 { x - x * x.ln() } else { 0.0 };
        // f = 0 is allowed (b = 0): compare the interior optimum with the boundary
        let (mut lo, mut hi) = (-40.0f64, 15.0f64);
        let g = 0.5 * (5f64.sqrt() - 1.0);
        for _ in 0..300 {
            let a = hi - g * (hi - lo);
            let c = lo + g * (hi - lo);
            if nll(a.exp()) < nll(c.exp()) {
                hi = c;
            } else {
                lo = a;
            }
        }
        let mut best = nll((0.5 * (lo + hi)).exp());
        if b == 0.0 {
            best = best.min(nll(0.0));
        }
        2.0 * (best - sat(d) - sat(b))
    }

    #[test]
    fn wstat_matches_a_numerical_profile_in_every_case() {
        let cases = [
            (10.0, 5.0, 7.0, 0.5),  // general
            (3.0, 40.0, 0.2, 0.1),  // general, model below background
            (0.0, 6.0, 2.0, 0.3),   // d = 0
            (0.0, 0.0, 2.0, 0.3),   // d = 0, b = 0
            (8.0, 0.0, 1.0, 0.25),  // b = 0, μ < d/(ts + tb)
            (8.0, 0.0, 30.0, 0.25), // b = 0, μ ≥ d/(ts + tb)
            (1.0, 1.0, 1e-3, 2.0),  // tiny model
            (500.0, 300.0, 420.0, 1.5),
        ];
        for &(d, b, m, s) in &cases {
            let w = wstat_bin(d, b, m, s);
            let n = wstat_numerical(d, b, m, s);
            assert!(
                (w - n).abs() < 1e-7 * (1.0 + n.abs()),
                "{d} {b} {m} {s}: {w} vs {n}"
            );
        }
    }

    #[test]
    fn cstat_and_chi2_match_direct_formulas() {
        assert!(
            (cstat_bin(5.0, 3.0) - 2.0 * (3.0 - 5.0 + 5.0 * (5.0f64 / 3.0).ln())).abs() < 1e-14
        );
        assert_eq!(cstat_bin(0.0, 2.5), 5.0);
        assert!(cstat_bin(4.0, 4.0).abs() < 1e-15);
        let bin = BinData {
            d: 20.0,
            b: 8.0,
            s: 0.5,
            sb: 4.0,
            err_d: 4.0,
            err_b: 3.0,
        };
        let m = 12.0;
        let net: f64 = 20.0 - 4.0 - 12.0;
        let close = |a: f64, b: f64| (a - b).abs() < 1e-13 * b.abs().max(1.0);
        assert!(close(
            bin_stat(Statistic::Chi2DataVar, &bin, m),
            net * net / (20.0 + 0.25 * 8.0)
        ));
        assert!(close(
            bin_stat(Statistic::Chi2ModVar, &bin, m),
            net * net / (12.0 + 0.25 * 8.0)
        ));
        let gd = (1.0 + 20.75f64.sqrt()).powi(2);
        let gb = (1.0 + 8.75f64.sqrt()).powi(2);
        assert!(close(
            bin_stat(Statistic::Chi2Gehrels, &bin, m),
            net * net / (gd + 0.25 * gb)
        ));
        assert!(close(
            bin_stat(Statistic::Chi2, &bin, m),
            net * net / (16.0 + 0.25 * 9.0)
        ));
        for st in [
            Statistic::Chi2DataVar,
            Statistic::Cstat,
            Statistic::Wstat,
            Statistic::Chi2Gehrels,
        ] {
            let r = bin_residual(st, &bin, m);
            assert!(close(r * r, bin_stat(st, &bin, m)), "{st:?}");
        }
        // deviance residual sign follows the net counts
        assert!(bin_residual(Statistic::Cstat, &bin, 30.0) < 0.0);
    }

    #[test]
    fn parsing_and_unusable_data_are_errors() {
        for (s, st) in [
            ("cstat", Statistic::Cstat),
            ("CHI2", Statistic::Chi2),
            ("wstat", Statistic::Wstat),
            ("chi2gehrels", Statistic::Chi2Gehrels),
        ] {
            assert_eq!(s.parse::<Statistic>().unwrap(), st);
            assert_eq!(st.name().parse::<Statistic>().unwrap(), st);
        }
        assert!("lstat"
            .parse::<Statistic>()
            .unwrap_err()
            .to_string()
            .contains("cstat"));
        let zero = [BinData {
            d: 0.0,
            b: 0.0,
            s: 0.0,
            sb: 0.0,
            err_d: f64::NAN,
            err_b: 0.0,
        }];
        let e = check_usable(Statistic::Chi2DataVar, &zero, false, false, "src.pi").unwrap_err();
        assert!(e.to_string().contains("src.pi") && e.to_string().contains("zero variance"));
        assert!(check_usable(Statistic::Wstat, &zero, false, false, "x").is_err());
        assert!(check_usable(Statistic::Chi2, &zero, false, false, "x").is_err());
        assert!(check_usable(Statistic::Cstat, &zero, false, false, "x").is_ok());
    }
}
