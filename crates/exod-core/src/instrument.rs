//! Instrument descriptions: everything the search needs to know about the detector that took an
//! exposure, in one place (paper §2.2–2.5 for XMM-Newton EPIC).
//!
//! An [`Instrument`] says how CCDs map to GTI extensions, how PI channels convert to energy, how
//! events are screened, which rule marks bad time intervals (BTIs), how large the PSF is (and so
//! the default cell and the source-mask radii) and what the frame time is. XMM-Newton EPIC
//! (pn, MOS1, MOS2) is the first description. A mission without one is refused by
//! [`Instrument::describe`] with a message, instead of being searched with another mission's
//! assumptions.
//!
//! ```
//! use exod_core::instrument::{Instrument, Mission};
//! let pn = Instrument::describe(Mission::Xmm, "EPN").unwrap();
//! assert_eq!(pn.label(), "PN");
//! assert_eq!(pn.bti_rule().unwrap().band_ev, (10_000.0, 12_000.0));
//! assert!(Instrument::describe(Mission::Chandra, "ACIS").is_err());
//! ```

use crate::error::CoreError;

/// The mission an event list comes from (from TELESCOP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Mission {
    /// XMM-Newton.
    Xmm,
    /// Chandra.
    Chandra,
    /// SRG/eROSITA.
    Erosita,
    /// NuSTAR.
    Nustar,
    /// Swift.
    Swift,
    /// Anything else.
    Other,
}

impl Mission {
    /// The mission named by a TELESCOP value.
    pub fn from_telescop(telescope: &str) -> Mission {
        match telescope.to_ascii_uppercase().as_str() {
            "XMM" | "XMM-NEWTON" => Mission::Xmm,
            "CHANDRA" => Mission::Chandra,
            "EROSITA" | "SRG" | "SRG/EROSITA" => Mission::Erosita,
            "NUSTAR" => Mission::Nustar,
            "SWIFT" => Mission::Swift,
            _ => Mission::Other,
        }
    }

    /// Human name.
    pub fn name(self) -> &'static str {
        match self {
            Mission::Xmm => "XMM-Newton",
            Mission::Chandra => "Chandra",
            Mission::Erosita => "eROSITA",
            Mission::Nustar => "NuSTAR",
            Mission::Swift => "Swift",
            Mission::Other => "an unknown mission",
        }
    }
}

/// An EPIC camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum EpicCamera {
    /// EPIC pn.
    Pn,
    /// EPIC MOS1.
    Mos1,
    /// EPIC MOS2.
    Mos2,
}

impl EpicCamera {
    /// The INSTRUME keyword value.
    pub fn instrume(self) -> &'static str {
        match self {
            EpicCamera::Pn => "EPN",
            EpicCamera::Mos1 => "EMOS1",
            EpicCamera::Mos2 => "EMOS2",
        }
    }

    /// Short name (PN, M1, M2).
    pub fn short(self) -> &'static str {
        match self {
            EpicCamera::Pn => "PN",
            EpicCamera::Mos1 => "M1",
            EpicCamera::Mos2 => "M2",
        }
    }

    /// Number of CCDs.
    pub fn n_ccd(self) -> u8 {
        match self {
            EpicCamera::Pn => 12,
            _ => 7,
        }
    }

    /// Largest RAWX, RAWY an event of the camera can have: pn CCDs have 64 × 200 pixels; MOS
    /// CCDs 600 × 600, and SAS lists declare RAWX up to 605 and RAWY up to 602 (TLMAX).
    pub fn raw_max(self) -> (i32, i32) {
        match self {
            EpicCamera::Pn => (64, 200),
            _ => (610, 610),
        }
    }

    /// The camera of an INSTRUME value.
    pub fn from_instrume(instrume: &str) -> Option<EpicCamera> {
        match instrume {
            "EPN" => Some(EpicCamera::Pn),
            "EMOS1" => Some(EpicCamera::Mos1),
            "EMOS2" => Some(EpicCamera::Mos2),
            _ => None,
        }
    }
}

/// The bad-time-interval (BTI) rule of an instrument: a frame is a BTI when the count rate in
/// `band_ev`, summed over the live cameras, exceeds `rate_per_camera` × the number of live
/// cameras, measured over at least `window_s` (paper §2.5.1 for EPIC: 10–12 keV, 0.5 ct/s, 100 s).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BtiRule {
    /// Energy band of the flare monitor (eV, both edges inclusive).
    pub band_ev: (f64, f64),
    /// Threshold per live camera (ct/s).
    pub rate_per_camera: f64,
    /// Shortest window over which the rate is measured (s).
    pub window_s: f64,
}

/// An instrument with a description exod can search with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Instrument {
    /// XMM-Newton EPIC (pn, MOS1 or MOS2), imaging modes.
    Epic(EpicCamera),
}

impl Instrument {
    /// The description of `instrume` on `mission`, or why there is none.
    pub fn describe(mission: Mission, instrume: &str) -> Result<Instrument, CoreError> {
        match mission {
            Mission::Xmm => EpicCamera::from_instrume(instrume)
                .map(Instrument::Epic)
                .ok_or_else(|| CoreError::Undescribed {
                    what: format!(
                        "XMM-Newton INSTRUME = {instrume:?}: only EPIC imaging lists (EPN, EMOS1, EMOS2) are described"
                    ),
                }),
            other => Err(CoreError::Undescribed {
                what: format!(
                    "{} {instrume}: exod has no instrument description for this mission yet (PSF and cell size, frame time, screening, BTI rule); its events can be read (`exod info`) but not searched — only XMM-Newton EPIC is searched",
                    other.name()
                ),
            }),
        }
    }

    /// The EPIC camera, for EPIC exposures.
    pub fn epic_camera(self) -> Option<EpicCamera> {
        match self {
            Instrument::Epic(c) => Some(c),
        }
    }

    /// Short label of the camera (PN, M1, M2).
    pub fn label(self) -> &'static str {
        match self {
            Instrument::Epic(c) => c.short(),
        }
    }

    /// Number of CCDs (GTI extensions `STDGTI01…` for EPIC).
    pub fn n_ccd(self) -> u8 {
        match self {
            Instrument::Epic(c) => c.n_ccd(),
        }
    }

    /// Name of the GTI extension of a CCD.
    pub fn gti_extension(self, ccd: u8) -> String {
        match self {
            Instrument::Epic(_) => format!("STDGTI{ccd:02}"),
        }
    }

    /// Energy (eV) of a PI channel: EPIC PI is in eV.
    pub fn pi_to_ev(self, pi: f64) -> f64 {
        match self {
            Instrument::Epic(_) => pi,
        }
    }

    /// Frame time of the full-frame imaging mode (s): pn 73.4 ms, MOS 2.6 s.
    pub fn frame_time_s(self) -> f64 {
        match self {
            Instrument::Epic(EpicCamera::Pn) => 0.0734,
            Instrument::Epic(_) => 2.6,
        }
    }

    /// The BTI rule (paper §2.5.1), if the instrument has one.
    pub fn bti_rule(self) -> Option<BtiRule> {
        match self {
            Instrument::Epic(_) => Some(BtiRule {
                band_ev: (10_000.0, 12_000.0),
                rate_per_camera: 0.5,
                window_s: 100.0,
            }),
        }
    }

    /// Default cell size (arcsec): 20″, about 3× the EPIC on-axis PSF FWHM (6″), so that a point
    /// source puts ~80 % of its photons in one cell (paper §2.3).
    pub fn default_cell_arcsec(self) -> f64 {
        match self {
            Instrument::Epic(_) => 20.0,
        }
    }

    /// Radius (arcsec) masked around a catalogued source when building background templates
    /// (paper §2.5.2): 3× the extent for extended sources, else 20/40/80″ for 0.2–12 keV EPIC
    /// count rates < 0.1 / 0.1–1 / > 1 ct/s.
    pub fn mask_radius_arcsec(self, rate: Option<f64>, extent: Option<f64>) -> f64 {
        match self {
            Instrument::Epic(_) => match (extent, rate) {
                (Some(e), _) if e > 0.0 => 3.0 * e,
                (_, Some(r)) if r > 1.0 => 80.0,
                (_, Some(r)) if r > 0.1 => 40.0,
                _ => 20.0,
            },
        }
    }
}
