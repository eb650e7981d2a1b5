//! Instrument descriptions: everything the search needs to know about the detector that took an
//! exposure, in one place (paper §2.2–2.5 for XMM-Newton EPIC; the paper's conclusion for the
//! other photon-counting missions).
//!
//! An [`Instrument`] names one camera; its [`Description`] (module `missions`, one table entry per
//! instrument, each number with its source) says how large the sky pixels and the PSF are (and so
//! the default cell and the source-mask radii), what the frame time is, which column holds the
//! energy and in which units, the default bands, how GTI extensions map to chips, how events are
//! screened, which rule marks bad time intervals (BTIs) if any, and where the live time comes
//! from. Described: XMM-Newton EPIC (pn, MOS1, MOS2), Chandra ACIS, Swift-XRT in photon-counting
//! mode, NuSTAR FPMA/FPMB and SRG/eROSITA TM1–7 (pointed mode). Anything else is refused by
//! [`Instrument::describe`] with a message, instead of being searched with another mission's
//! assumptions. Adding a mission means adding a variant here and a description in `missions`.
//!
//! ```
//! use exod_core::instrument::{Instrument, Mission};
//! let pn = Instrument::describe(Mission::Xmm, "EPN").unwrap();
//! assert_eq!(pn.label(), "PN");
//! assert_eq!(pn.bti_rule().unwrap().band_ev, (10_000.0, 12_000.0));
//! let acis = Instrument::describe(Mission::Chandra, "ACIS").unwrap();
//! assert_eq!(acis.description().frame_time_s, 3.2);
//! assert!(acis.bti_rule().is_none());
//! assert!(Instrument::describe(Mission::Chandra, "HRC").is_err());
//! ```

mod description;
mod missions;

pub use description::{Description, EnergyColumn, GtiLayout, LiveTime, PsfSize, Screening};

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

/// A NuSTAR focal-plane module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum NustarModule {
    /// FPMA.
    A,
    /// FPMB.
    B,
}

/// An instrument with a description exod can search with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Instrument {
    /// XMM-Newton EPIC (pn, MOS1 or MOS2), imaging modes.
    Epic(EpicCamera),
    /// Chandra ACIS, timed-exposure imaging (FAINT, VFAINT, GRADED).
    Acis,
    /// Swift-XRT, photon-counting mode.
    XrtPc,
    /// NuSTAR FPMA or FPMB.
    Fpm(NustarModule),
    /// SRG/eROSITA telescope module 1–7, or 0 for a list merged over modules.
    Erosita(u8),
}

/// One instrument of every description, with the name docs use for the description (EPIC
/// MOS1 stands for MOS1 and MOS2, FPMA for both NuSTAR modules, TM1 for TM0–TM7).
pub const DESCRIBED: [(Instrument, &str); 6] = [
    (Instrument::Epic(EpicCamera::Pn), "XMM-Newton EPIC pn"),
    (
        Instrument::Epic(EpicCamera::Mos1),
        "XMM-Newton EPIC MOS1/MOS2",
    ),
    (Instrument::Acis, "Chandra ACIS"),
    (Instrument::XrtPc, "Swift-XRT PC"),
    (Instrument::Fpm(NustarModule::A), "NuSTAR FPMA/FPMB"),
    (Instrument::Erosita(1), "eROSITA TM1–TM7"),
];

const TM_LABELS: [&str; 8] = ["TM0", "TM1", "TM2", "TM3", "TM4", "TM5", "TM6", "TM7"];

impl Instrument {
    /// The description of `instrume` on `mission`, or why there is none.
    pub fn describe(mission: Mission, instrume: &str) -> Result<Instrument, CoreError> {
        let undescribed = |what: String| CoreError::Undescribed { what };
        let up = instrume.trim().to_ascii_uppercase();
        match mission {
            Mission::Xmm => EpicCamera::from_instrume(instrume)
                .map(Instrument::Epic)
                .ok_or_else(|| undescribed(format!(
                    "XMM-Newton INSTRUME = {instrume:?}: only EPIC imaging lists (EPN, EMOS1, EMOS2) are described"
                ))),
            Mission::Chandra if up.starts_with("ACIS") => Ok(Instrument::Acis),
            Mission::Swift if up == "XRT" => Ok(Instrument::XrtPc),
            Mission::Nustar if up == "FPMA" => Ok(Instrument::Fpm(NustarModule::A)),
            Mission::Nustar if up == "FPMB" => Ok(Instrument::Fpm(NustarModule::B)),
            Mission::Erosita => match up.as_str() {
                "MERGED" | "TM0" | "" => Ok(Instrument::Erosita(0)),
                t => match t.strip_prefix("TM").and_then(|n| n.parse::<u8>().ok()) {
                    Some(n @ 1..=7) => Ok(Instrument::Erosita(n)),
                    _ => Err(undescribed(format!(
                        "eROSITA INSTRUME = {instrume:?}: expected TM1 … TM7, or TM0/merged for a list merged over modules"
                    ))),
                },
            },
            Mission::Other => Err(undescribed(format!(
                "{} {instrume}: exod has no instrument description for this mission (PSF and cell size, frame time, screening, BTI rule); its events can be read (`exod info`) but not searched — described: XMM-Newton EPIC, Chandra ACIS, Swift-XRT, NuSTAR FPMA/FPMB, eROSITA TM1–7",
                mission.name()
            ))),
            m => Err(undescribed(format!(
                "{} INSTRUME = {instrume:?} has no instrument description (described: Chandra ACIS, Swift XRT, NuSTAR FPMA/FPMB); its events can be read (`exod info`) but not searched",
                m.name()
            ))),
        }
    }

    /// Everything exod knows about the instrument.
    pub fn description(self) -> &'static Description {
        match self {
            Instrument::Epic(EpicCamera::Pn) => &missions::EPIC_PN,
            Instrument::Epic(_) => &missions::EPIC_MOS,
            Instrument::Acis => &missions::ACIS,
            Instrument::XrtPc => &missions::XRT_PC,
            Instrument::Fpm(_) => &missions::FPM,
            Instrument::Erosita(_) => &missions::EROSITA,
        }
    }

    /// The mission.
    pub fn mission(self) -> Mission {
        self.description().mission
    }

    /// The EPIC camera, for EPIC exposures.
    pub fn epic_camera(self) -> Option<EpicCamera> {
        match self {
            Instrument::Epic(c) => Some(c),
            _ => None,
        }
    }

    /// Short label of the camera (PN, M1, M2, ACIS, XRT, FPMA, FPMB, TM1 … TM7, TM0).
    pub fn label(self) -> &'static str {
        match self {
            Instrument::Epic(c) => c.short(),
            Instrument::Acis => "ACIS",
            Instrument::XrtPc => "XRT",
            Instrument::Fpm(NustarModule::A) => "FPMA",
            Instrument::Fpm(NustarModule::B) => "FPMB",
            Instrument::Erosita(n) => TM_LABELS[(n as usize).min(7)],
        }
    }

    /// The INSTRUME keyword value of the instrument's lists.
    pub fn instrume(self) -> &'static str {
        match self {
            Instrument::Epic(c) => c.instrume(),
            other => other.label(),
        }
    }

    /// Largest chip number (CCDs for EPIC: GTI extensions `STDGTI01…`).
    pub fn n_ccd(self) -> u8 {
        match self {
            Instrument::Epic(c) => c.n_ccd(),
            other => other.description().max_chip,
        }
    }

    /// Frame time of the imaging mode (s; 0 for NuSTAR's event-by-event timing).
    pub fn frame_time_s(self) -> f64 {
        self.description().frame_time_s
    }

    /// The BTI rule (paper §2.5.1), if the instrument has one.
    pub fn bti_rule(self) -> Option<BtiRule> {
        self.description().bti
    }

    /// Default cell size (arcsec): EPIC 20″, about 3× the on-axis PSF FWHM (6″), so that a
    /// point source puts ~80 % of its photons in one cell (paper §2.3); the other missions
    /// scale it with their PSF (module `missions`).
    pub fn default_cell_arcsec(self) -> f64 {
        self.description().default_cell_arcsec
    }

    /// Radius (arcsec) masked around a catalogued source when building background templates
    /// (paper §2.5.2): 3× the extent for extended sources, else 20/40/80″ for 0.2–12 keV EPIC
    /// count rates < 0.1 / 0.1–1 / > 1 ct/s; the other missions scale 20″ by their default cell
    /// over EPIC's (the rate thresholds apply to the source list's own rates).
    pub fn mask_radius_arcsec(self, rate: Option<f64>, extent: Option<f64>) -> f64 {
        let base = self.default_cell_arcsec();
        match (extent, rate) {
            (Some(e), _) if e > 0.0 => 3.0 * e,
            (_, Some(r)) if r > 1.0 => 4.0 * base,
            (_, Some(r)) if r > 0.1 => 2.0 * base,
            _ => base,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mission_instrument_is_described_and_labelled() {
        let cases = [
            (Mission::Xmm, "EMOS2", "M2", 20.0),
            (Mission::Chandra, "ACIS", "ACIS", 2.0),
            (Mission::Swift, "XRT", "XRT", 24.0),
            (Mission::Nustar, "FPMB", "FPMB", 60.0),
            (Mission::Erosita, "TM3", "TM3", 20.0),
            (Mission::Erosita, "merged", "TM0", 20.0),
        ];
        for (m, ins, label, cell) in cases {
            let i = Instrument::describe(m, ins).unwrap();
            assert_eq!(i.label(), label);
            assert_eq!(i.mission(), m);
            assert_eq!(i.default_cell_arcsec(), cell);
            assert_eq!(i.description().bands_kev.len(), 3);
        }
        for (m, ins) in [
            (Mission::Chandra, "HRC"),
            (Mission::Erosita, "TM8"),
            (Mission::Swift, "BAT"),
            (Mission::Other, "X"),
        ] {
            let e = Instrument::describe(m, ins).unwrap_err().to_string();
            assert!(e.contains(ins), "{e}");
        }
    }

    #[test]
    fn cells_follow_the_psf() {
        // every default cell is 1–1.6 × the on-axis HPD, except Chandra's, which is the HPD
        // at 4′ (the PSF grows from 0.8″ to ~9″ at 10′)
        for i in [
            Instrument::Epic(EpicCamera::Pn),
            Instrument::Epic(EpicCamera::Mos1),
            Instrument::XrtPc,
            Instrument::Fpm(NustarModule::A),
            Instrument::Erosita(1),
        ] {
            let r = i.default_cell_arcsec() / i.description().psf.hpd_arcsec(0.0);
            assert!((1.0..=1.6).contains(&r), "{i:?}: {r}");
        }
        let psf = Instrument::Acis.description().psf;
        assert!((psf.hpd_arcsec(4.0) - 2.08).abs() < 1e-9);
        assert!((psf.offaxis_for_hpd(2.08) - 4.0).abs() < 1e-9);
        assert!((8.0..10.0).contains(&psf.hpd_arcsec(10.0)));
    }

    #[test]
    fn epic_masks_keep_the_paper_radii_and_others_scale() {
        let pn = Instrument::Epic(EpicCamera::Pn);
        assert_eq!(pn.mask_radius_arcsec(Some(3.0), None), 80.0);
        let fpm = Instrument::Fpm(NustarModule::A);
        assert_eq!(fpm.mask_radius_arcsec(None, None), 60.0);
        assert_eq!(fpm.mask_radius_arcsec(Some(0.5), None), 120.0);
    }
}
