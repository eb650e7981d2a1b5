//! Long-term variability of a source across observations, and the long-term alerts of a new
//! observation — the method of STONKS (Quintin et al. 2024, A&A 687, A250, "STONKS:
//! Quasi-real time XMM-Newton transient detection system"), applied to exod's own photometry.
//!
//! ## The variability figure
//!
//! Each covered epoch of a source is a flux interval [`EpochFlux::bounds`]:
//!
//! * detected: `[F − σ⁻, F + σ⁺]`, the 1σ interval of the flux;
//! * not detected: `[0, F_UL]`, with the upper limit at the photometry's confidence (default
//!   3σ one-sided, 0.99865);
//! * not covered (off the cameras, in a gap): no interval, the epoch is ignored.
//!
//! The long-term variability of the source is the ratio between the **lower bound of its
//! highest flux state and the upper bound of its lowest flux state** (`../seeds/000`: "the
//! difference between the upper limit of the flux lowest value and the lower limit of the flux
//! highest value", a ratio in STONKS' alerts: 11.9, 8.1):
//!
//! `V = max_i L_i / min_j U_j`
//!
//! so that `V > 1` only when two epochs are inconsistent at their 1σ (or upper-limit) bounds,
//! and an alert needs `V ≥ 5` (STONKS' threshold, [`LongTermParams::threshold`]). Epochs
//! consistent with each other give `V < 1`; `V` is reported whatever its value when two or more
//! epochs are covered and some lower bound is positive.
//!
//! ## Alerts of a new observation ([`assess`])
//!
//! The new epoch `N` is compared with the earlier covered epochs `P` of the same source:
//!
//! | alert | condition |
//! |---|---|
//! | [`AlertKind::HighState`] | `L_N / min_P U ≥ 5` and the source was detected before |
//! | [`AlertKind::FirstDetection`] | `L_N / min_P U ≥ 5`, never detected before (only upper limits) |
//! | [`AlertKind::LowState`] | `max_P L / U_N ≥ 5`, detected now |
//! | [`AlertKind::Disappearance`] | `max_P L / U_N ≥ 5`, not detected now |
//! | [`AlertKind::NewSource`] | detected now, not in the archive's catalogue, covered before, no ≥ 5 ratio (the earlier upper limits allow it) |
//!
//! A source seen for the first time in a never-covered part of the sky raises no long-term alert:
//! nothing says it changed (STONKS needs archival data at the position too). Short-term
//! transients (EXOD detections) are alerts of their own, made by the alert stream.
//!
//! ## Short-term variability
//!
//! A new epoch whose light curve is inconsistent with a constant rate (χ² probability below
//! [`LongTermParams::short_term_p`], default 10⁻⁵, the 4XMM `VAR_FLAG` criterion) carries
//! the short-term flag on its alerts and in the long-term summary.

use serde::Serialize;

/// The flux of one source in one observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochFlux {
    /// Observation (or exposure unit) identifier.
    pub obs_id: String,
    /// Middle of the observation (MJD).
    pub mjd: f64,
    /// The flux measurement.
    pub state: FluxState,
    /// χ² probability of a constant rate within the observation (None: not measured).
    pub short_term_p: Option<f64>,
}

/// What one observation says of a source's flux (erg cm⁻² s⁻¹).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FluxState {
    /// Detected: the flux and its 1σ interval.
    Detected {
        /// Flux.
        flux: f64,
        /// Lower bound of the 1σ interval.
        lo: f64,
        /// Upper bound of the 1σ interval.
        hi: f64,
    },
    /// Not detected: the upper limit.
    UpperLimit {
        /// Upper limit on the flux.
        ul: f64,
    },
    /// The position was not covered by the observation.
    NotCovered,
}

impl EpochFlux {
    /// The epoch of a photometry result: its EPIC 0.2–12 keV (band 8) flux with its 1σ
    /// interval when detected, else its upper limit; not covered when no camera covers the
    /// position; the χ² probability of a constant rate as the short-term test. `mjd` dates it
    /// (the observation's middle; the photometry's own `mjd_mid` when NaN).
    pub fn from_photometry(p: &crate::photometry::SourcePhotometry, mjd: f64) -> EpochFlux {
        let state = match p.epic8() {
            Some(m) if p.covered && m.detected => FluxState::Detected {
                flux: m.flux,
                lo: m.flux_lo,
                hi: m.flux_hi,
            },
            Some(m) if p.covered && m.flux_ul.is_finite() => {
                FluxState::UpperLimit { ul: m.flux_ul }
            }
            _ => FluxState::NotCovered,
        };
        EpochFlux {
            obs_id: p.obs_id.clone(),
            mjd: if mjd.is_finite() { mjd } else { p.mjd_mid },
            state,
            short_term_p: p.chi2_const.map(|c| c.2),
        }
    }

    /// The flux interval `[L, U]` of the epoch (None when not covered or not finite).
    pub fn bounds(&self) -> Option<(f64, f64)> {
        let (l, u) = match self.state {
            FluxState::Detected { lo, hi, .. } => (lo.max(0.0), hi),
            FluxState::UpperLimit { ul } => (0.0, ul),
            FluxState::NotCovered => return None,
        };
        (l.is_finite() && u.is_finite() && u > 0.0).then_some((l, u))
    }

    /// True when the source is detected in this epoch.
    pub fn detected(&self) -> bool {
        matches!(self.state, FluxState::Detected { .. })
    }

    /// The flux if detected, else the upper limit (for plots and tables).
    pub fn value(&self) -> Option<f64> {
        match self.state {
            FluxState::Detected { flux, .. } => Some(flux),
            FluxState::UpperLimit { ul } => Some(ul),
            FluxState::NotCovered => None,
        }
    }
}

/// The variability figure of a set of epochs, and the epochs that make it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Variability {
    /// `max L / min U`.
    pub ratio: f64,
    /// Index of the epoch with the largest lower bound (the highest state).
    pub high: usize,
    /// Index of the epoch with the smallest upper bound (the lowest state).
    pub low: usize,
}

/// The variability figure `V = max_i L_i / min_j U_j` over the covered epochs; None with fewer
/// than two covered epochs or when no lower bound is positive (all upper limits).
pub fn variability(epochs: &[EpochFlux]) -> Option<Variability> {
    let covered: Vec<(usize, (f64, f64))> = epochs
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.bounds().map(|b| (i, b)))
        .collect();
    if covered.len() < 2 {
        return None;
    }
    let (high, (lmax, _)) = *covered
        .iter()
        .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(b.0.cmp(&a.0)))?;
    let (low, (_, umin)) = *covered
        .iter()
        .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1).then(a.0.cmp(&b.0)))?;
    (lmax > 0.0).then_some(Variability {
        ratio: lmax / umin,
        high,
        low,
    })
}

/// Parameters of the long-term alerts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LongTermParams {
    /// Variability figure from which an alert is raised. Default 5 (STONKS).
    pub threshold: f64,
    /// χ² probability of a constant rate below which an epoch is short-term variable. Default
    /// 1e-5 (4XMM `VAR_FLAG`).
    pub short_term_p: f64,
}

impl Default for LongTermParams {
    fn default() -> Self {
        LongTermParams {
            threshold: 5.0,
            short_term_p: 1e-5,
        }
    }
}

/// The kinds of alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A short-term transient found by the EXOD search in the new observation (burst or eclipse).
    ShortTermTransient,
    /// Detected now, brighter than every earlier state by ≥ the threshold.
    HighState,
    /// Detected now for the first time, earlier upper limits ≥ the threshold below.
    FirstDetection,
    /// Detected now, fainter than an earlier state by ≥ the threshold.
    LowState,
    /// Not detected now, its upper limit ≥ the threshold below an earlier state.
    Disappearance,
    /// Detected now, unknown to the archive, covered before by observations whose upper limits
    /// allow it.
    NewSource,
}

impl AlertKind {
    /// The name used in files (`high_state`, …).
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::ShortTermTransient => "short_term_transient",
            AlertKind::HighState => "high_state",
            AlertKind::FirstDetection => "first_detection",
            AlertKind::LowState => "low_state",
            AlertKind::Disappearance => "disappearance",
            AlertKind::NewSource => "new_source",
        }
    }

    /// A short human description.
    pub fn describe(self) -> &'static str {
        match self {
            AlertKind::ShortTermTransient => "short-term transient found by the EXOD search",
            AlertKind::HighState => "high flux state",
            AlertKind::FirstDetection => "first detection (earlier upper limits are fainter)",
            AlertKind::LowState => "low flux state",
            AlertKind::Disappearance => "disappearance (not detected, earlier states brighter)",
            AlertKind::NewSource => "new source in a field covered before",
        }
    }

    /// Parse [`AlertKind::name`].
    pub fn from_name(s: &str) -> Option<AlertKind> {
        ALL_KINDS.iter().copied().find(|k| k.name() == s)
    }
}

/// Every kind, in order.
pub const ALL_KINDS: [AlertKind; 6] = [
    AlertKind::ShortTermTransient,
    AlertKind::HighState,
    AlertKind::FirstDetection,
    AlertKind::LowState,
    AlertKind::Disappearance,
    AlertKind::NewSource,
];

/// A long-term alert of a new epoch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LongTermAlert {
    /// The kind.
    pub kind: AlertKind,
    /// The variability figure between the new epoch and the earlier ones (None for a new
    /// source whose earlier upper limits allow it).
    pub ratio: Option<f64>,
    /// The earlier epoch the new one is compared with (index into the `previous` slice).
    pub compared_with: Option<usize>,
    /// The new epoch is short-term variable.
    pub short_term: bool,
}

/// The long-term alert of the `new` epoch of a source against its `previous` epochs (at most
/// one: a high state and a low state cannot both hold). `known`: the source is in the
/// archive's catalogue.
pub fn assess(
    previous: &[EpochFlux],
    new: &EpochFlux,
    known: bool,
    p: &LongTermParams,
) -> Option<LongTermAlert> {
    let (ln, un) = new.bounds()?;
    let short_term = is_short_term(new, p);
    let prior: Vec<(usize, (f64, f64))> = previous
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.bounds().map(|b| (i, b)))
        .collect();
    if prior.is_empty() {
        return None;
    }
    let (i_low, (_, umin)) = *prior
        .iter()
        .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1).then(a.0.cmp(&b.0)))?;
    let (i_high, (lmax, _)) = *prior
        .iter()
        .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(b.0.cmp(&a.0)))?;
    let alert = |kind, ratio, with| LongTermAlert {
        kind,
        ratio,
        compared_with: with,
        short_term,
    };
    let up = ln / umin;
    if new.detected() && up >= p.threshold {
        let seen = previous.iter().any(EpochFlux::detected);
        let kind = if seen {
            AlertKind::HighState
        } else {
            AlertKind::FirstDetection
        };
        return Some(alert(kind, Some(up), Some(i_low)));
    }
    let down = lmax / un;
    if lmax > 0.0 && down >= p.threshold {
        let kind = if new.detected() {
            AlertKind::LowState
        } else {
            AlertKind::Disappearance
        };
        return Some(alert(kind, Some(down), Some(i_high)));
    }
    (new.detected() && !known).then(|| alert(AlertKind::NewSource, None, None))
}

/// True when the epoch's χ² probability of a constant rate is below the threshold.
pub fn is_short_term(e: &EpochFlux, p: &LongTermParams) -> bool {
    e.short_term_p.is_some_and(|q| q < p.short_term_p)
}

/// The long-term summary of one source over all its epochs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceHistory {
    /// Epochs with coverage.
    pub n_covered: usize,
    /// Epochs with a detection.
    pub n_detected: usize,
    /// The variability figure over all epochs.
    pub variability: Option<Variability>,
    /// Any epoch short-term variable.
    pub short_term: bool,
    /// The alerts each epoch would have raised when it arrived (epochs in time order), with the
    /// index of the epoch.
    pub alerts: Vec<(usize, LongTermAlert)>,
}

/// The summary of a source's epochs (sorted by MJD here; `known`: in the catalogue before
/// the first epoch, as an archival source is).
pub fn history(epochs: &[EpochFlux], known: bool, p: &LongTermParams) -> SourceHistory {
    let mut order: Vec<usize> = (0..epochs.len()).collect();
    order.sort_by(|&a, &b| epochs[a].mjd.total_cmp(&epochs[b].mjd).then(a.cmp(&b)));
    let sorted: Vec<EpochFlux> = order.iter().map(|&i| epochs[i].clone()).collect();
    let mut alerts = Vec::new();
    let mut seen = known;
    for k in 0..sorted.len() {
        if let Some(mut a) = assess(&sorted[..k], &sorted[k], seen, p) {
            a.compared_with = a.compared_with.map(|j| order[j]);
            alerts.push((order[k], a));
        }
        seen |= sorted[k].detected();
    }
    let v = variability(&sorted).map(|v| Variability {
        high: order[v.high],
        low: order[v.low],
        ..v
    });
    SourceHistory {
        n_covered: epochs.iter().filter(|e| e.bounds().is_some()).count(),
        n_detected: epochs.iter().filter(|e| e.detected()).count(),
        variability: v,
        short_term: epochs.iter().any(|e| is_short_term(e, p)),
        alerts,
    }
}

#[cfg(test)]
mod tests;
