//! Uniform trial-frequency grids for periodicity searches, and the number of independent
//! trials they represent.
//!
//! The default grid a user can trust (issue 12): from the lowest frequency with one full cycle in
//! the span, `1/T`, to the Nyquist frequency of the frame time, `1/(2·t_frame)`, with a step
//! `df = 1/(oversample·T)` (default oversampling 5, so a peak of width ~1/T is sampled at five
//! points and loses at most ~6 % of a sinusoid's Z²₁ power between grid points).
//!
//! The number of *independent* trials is the number of independent Fourier frequencies in the
//! band, `(f_max − f_min)·T` (at least 1): oversampling adds correlated trials, not independent
//! ones. It is *not* the right trial factor for the maximum of an oversampled Z² or epoch-folding
//! periodogram (it gives ~4× too many false alarms at 3σ for Z²₂): see
//! [`crate::timing::period`] and [`crate::timing::significance::ChiSquareProcess`], whose
//! calibration is checked by simulation (noise runs above the 3σ level ≈ 0.27 %).

// `!(x > 0.0)` is meant: it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use super::period::TimingError;

/// Default oversampling of the frequency step (`df = 1/(5T)`).
pub const DEFAULT_OVERSAMPLE: f64 = 5.0;

/// `n` frequencies `fmin + i·df`, `i = 0 … n−1` (Hz).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FrequencyGrid {
    /// First frequency (Hz), > 0.
    pub fmin: f64,
    /// Step (Hz), > 0.
    pub df: f64,
    /// Number of frequencies, ≥ 1.
    pub n: usize,
}

impl FrequencyGrid {
    /// A grid from its parts, checked: `fmin > 0`, `df > 0` finite, `n ≥ 1`.
    pub fn new(fmin: f64, df: f64, n: usize) -> Result<FrequencyGrid, TimingError> {
        if !(fmin > 0.0 && fmin.is_finite()) {
            return Err(TimingError::param(format!(
                "frequency grid: fmin = {fmin} Hz (expected a finite frequency > 0)"
            )));
        }
        if !(df > 0.0 && df.is_finite()) {
            return Err(TimingError::param(format!(
                "frequency grid: df = {df} Hz (expected a finite step > 0)"
            )));
        }
        if n == 0 {
            return Err(TimingError::param(
                "frequency grid: n = 0 (expected at least one frequency)",
            ));
        }
        Ok(FrequencyGrid { fmin, df, n })
    }

    /// The grid from `fmin` to `fmax` inclusive (up to rounding) with step `df`.
    pub fn from_range(fmin: f64, fmax: f64, df: f64) -> Result<FrequencyGrid, TimingError> {
        if !(fmax >= fmin) {
            return Err(TimingError::param(format!(
                "frequency grid: fmax = {fmax} Hz is below fmin = {fmin} Hz"
            )));
        }
        let n = ((fmax - fmin) / df * (1.0 + 1e-12)).floor() as usize + 1;
        FrequencyGrid::new(fmin, df, n)
    }

    /// The default grid for events spanning `t_span_s` seconds (last minus first good time):
    ///
    /// * `fmin`: given, else `1/T`;
    /// * `fmax`: given, else the frame-time Nyquist frequency `1/(2·frame_time_s)`; one of the
    ///   two is required;
    /// * `df = 1/(oversample·T)`, `oversample ≥ 1` (use [`DEFAULT_OVERSAMPLE`] = 5).
    pub fn default_for(
        t_span_s: f64,
        frame_time_s: Option<f64>,
        oversample: f64,
        fmin: Option<f64>,
        fmax: Option<f64>,
    ) -> Result<FrequencyGrid, TimingError> {
        if !(t_span_s > 0.0 && t_span_s.is_finite()) {
            return Err(TimingError::param(format!(
                "frequency grid: time span {t_span_s} s (expected a finite span > 0)"
            )));
        }
        if !(oversample >= 1.0 && oversample.is_finite()) {
            return Err(TimingError::param(format!(
                "frequency grid: oversample = {oversample} (expected ≥ 1, default 5)"
            )));
        }
        let fmax = match (fmax, frame_time_s) {
            (Some(f), _) => f,
            (None, Some(ft)) if ft > 0.0 && ft.is_finite() => 0.5 / ft,
            (None, Some(ft)) => {
                return Err(TimingError::param(format!(
                    "frequency grid: frame time {ft} s (expected a finite time > 0)"
                )))
            }
            (None, None) => {
                return Err(TimingError::param(
                    "frequency grid: neither fmax nor a frame time was given (one is needed \
                     for the Nyquist frequency)",
                ))
            }
        };
        let fmin = fmin.unwrap_or(1.0 / t_span_s);
        FrequencyGrid::from_range(fmin, fmax, 1.0 / (oversample * t_span_s))
    }

    /// The `i`-th frequency (Hz).
    pub fn freq(&self, i: usize) -> f64 {
        self.fmin + i as f64 * self.df
    }

    /// The last frequency (Hz).
    pub fn fmax(&self) -> f64 {
        self.freq(self.n - 1)
    }

    /// All frequencies (Hz).
    pub fn frequencies(&self) -> Vec<f64> {
        (0..self.n).map(|i| self.freq(i)).collect()
    }

    /// Number of independent Fourier frequencies in the band for a span `t_span_s`:
    /// `max(1, (f_max − f_min)·T)` — the trial factor of the multi-trial false-alarm
    /// probability (not the number of grid points, which oversampling inflates).
    pub fn n_independent_trials(&self, t_span_s: f64) -> f64 {
        ((self.fmax() - self.fmin) * t_span_s).max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_grid_from_one_over_t_to_nyquist() {
        // 1000 s, 0.1 s frames: 1 mHz … 5 Hz in steps of 0.2 mHz
        let g = FrequencyGrid::default_for(1000.0, Some(0.1), 5.0, None, None).unwrap();
        assert_eq!(g.fmin, 1e-3);
        assert!((g.df - 2e-4).abs() < 1e-18);
        assert_eq!(g.n, 24_996);
        assert!((g.fmax() - 5.0).abs() < 1e-9);
        assert!((g.n_independent_trials(1000.0) - 4999.0).abs() < 1e-6);
        // explicit limits win over the frame time
        let g = FrequencyGrid::default_for(100.0, Some(0.1), 2.0, Some(0.5), Some(1.0)).unwrap();
        assert_eq!((g.fmin, g.n), (0.5, 101));
        assert_eq!(g.n_independent_trials(100.0), 50.0);
        // a single frequency is one trial
        let g = FrequencyGrid::new(1.0, 1e-3, 1).unwrap();
        assert_eq!(g.n_independent_trials(10.0), 1.0);
    }

    #[test]
    fn bad_grids_are_refused() {
        assert!(FrequencyGrid::default_for(1000.0, None, 5.0, None, None).is_err());
        assert!(FrequencyGrid::default_for(0.0, Some(1.0), 5.0, None, None).is_err());
        assert!(FrequencyGrid::default_for(10.0, Some(1.0), 0.5, None, None).is_err());
        assert!(FrequencyGrid::default_for(10.0, Some(-1.0), 5.0, None, None).is_err());
        assert!(FrequencyGrid::from_range(2.0, 1.0, 0.1).is_err());
        assert!(FrequencyGrid::new(0.0, 1.0, 3).is_err());
        assert!(FrequencyGrid::new(1.0, 1.0, 0).is_err());
    }
}
