//! Live time of a time bin on the source's CCD, and the fractional exposure FRACEXP.
//!
//! live(t₀, t₁) = |GTI ∩ [t₀, t₁)| × f_live, FRACEXP = live / (t₁ − t₀),
//!
//! where the GTI is the CCD's (per-CCD GTIs of the event list: CCD gaps in time, dead CCDs and
//! flare cuts all show there) and f_live its live-time fraction, 1 − the dead-time fraction
//! (SAS: `LIVETInn / ONTIMEnn` of the EVENTS header; see [`live_fraction`]). This is the
//! exposure of OGIP light curves (`FRACEXP`, `EXPOSURE` = Σ FRACEXP·TIMEDEL) and of spectra
//! (`EXPOSURE` = |GTI| × f_live).

use crate::exposure::ExposureHeader;
use crate::gti::Gti;

/// The live-time fraction of `ccd` stated by the header: its `LIVETInn / ONTIMEnn`, else the
/// camera-wide value (key 0: `DEADC`), else 1 (no dead time stated).
pub fn live_fraction(header: &ExposureHeader, ccd: u8) -> f64 {
    header
        .live_fraction
        .get(&ccd)
        .or_else(|| header.live_fraction.get(&0))
        .copied()
        .unwrap_or(1.0)
}

/// Live time (s) in [t0, t1): the GTI overlap times the live fraction.
pub fn live_time(gti: &Gti, live_fraction: f64, t0: f64, t1: f64) -> f64 {
    if t1 <= t0 {
        return 0.0;
    }
    gti.overlap(t0, t1) * live_fraction
}

/// FRACEXP of the bin [t0, t1): live time / bin width (0 for an empty bin).
pub fn fracexp(gti: &Gti, live_fraction: f64, t0: f64, t1: f64) -> f64 {
    if t1 <= t0 {
        return 0.0;
    }
    live_time(gti, live_fraction, t0, t1) / (t1 - t0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::Mission;

    #[test]
    fn a_bin_straddling_a_gti_gap_has_the_exact_fraction() {
        let g = Gti::from_rows(&[0.0, 130.0], &[100.0, 300.0]).unwrap();
        // [90, 140): 10 s before the gap, 10 s after
        assert_eq!(fracexp(&g, 1.0, 90.0, 140.0), 20.0 / 50.0);
        assert_eq!(live_time(&g, 0.975, 90.0, 140.0), 20.0 * 0.975);
        assert_eq!(fracexp(&g, 1.0, 100.0, 130.0), 0.0);
        assert_eq!(fracexp(&g, 0.5, 0.0, 100.0), 0.5);
        assert_eq!(fracexp(&g, 1.0, 10.0, 10.0), 0.0);
    }

    #[test]
    fn live_fraction_per_ccd_then_camera_then_one() {
        let mut h = ExposureHeader::new(Mission::Xmm, "XMM", "EMOS1");
        assert_eq!(live_fraction(&h, 1), 1.0);
        h.live_fraction.insert(0, 0.99);
        assert_eq!(live_fraction(&h, 3), 0.99);
        h.live_fraction.insert(3, 0.975);
        assert_eq!(live_fraction(&h, 3), 0.975);
        assert_eq!(live_fraction(&h, 2), 0.99);
    }
}
