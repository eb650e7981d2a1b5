//! Catalogued sources, as read from a source list (paper §2.5.2: masked when building the
//! background templates).

/// One catalogued source.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Source {
    /// Right ascension (deg).
    pub ra: f64,
    /// Declination (deg).
    pub dec: f64,
    /// Detection likelihood (EP_DET_ML), if given.
    pub det_ml: Option<f64>,
    /// 0.2–12 keV EPIC count rate (ct/s; EP_8_RATE, else EP_TOT as EXOD2 reads it), if given.
    pub rate: Option<f64>,
    /// Extent (arcsec; 0 = point-like), if given.
    pub extent: Option<f64>,
}
