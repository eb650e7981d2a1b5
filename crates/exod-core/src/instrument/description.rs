//! The fields of an instrument description (one value of [`Description`] per instrument, in
//! module `missions`).

use super::{BtiRule, Mission};

/// Size of the PSF as a function of off-axis angle: the half-power diameter (HPD, the diameter
/// holding half of a point source's photons) at 1.5 keV, modelled as `hpd_on_axis + growth · θ²`
/// (arcsec, θ in arcmin). A quadratic growth is what Wolter-I optics do off axis (coma and
/// field curvature); the coefficients of every instrument come with their source in `missions`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PsfSize {
    /// HPD on axis (arcsec).
    pub hpd_on_axis_arcsec: f64,
    /// Growth of the HPD (arcsec per arcmin²).
    pub growth_arcsec_per_arcmin2: f64,
}

impl PsfSize {
    /// HPD (arcsec) at `offaxis_arcmin`.
    pub fn hpd_arcsec(&self, offaxis_arcmin: f64) -> f64 {
        self.hpd_on_axis_arcsec + self.growth_arcsec_per_arcmin2 * offaxis_arcmin.powi(2)
    }

    /// The off-axis angle (arcmin) at which the HPD reaches `hpd_arcsec` (0 when it is already
    /// that large on axis; infinite when the PSF does not grow).
    pub fn offaxis_for_hpd(&self, hpd_arcsec: f64) -> f64 {
        let d = hpd_arcsec - self.hpd_on_axis_arcsec;
        if d <= 0.0 {
            0.0
        } else if self.growth_arcsec_per_arcmin2 > 0.0 {
            (d / self.growth_arcsec_per_arcmin2).sqrt()
        } else {
            f64::INFINITY
        }
    }
}

/// Where an event's energy is and how it converts to eV: `E = offset_ev + ev_per_unit · value`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EnergyColumn {
    /// Column names tried in order (case-insensitive).
    pub columns: &'static [&'static str],
    /// eV per unit of the column.
    pub ev_per_unit: f64,
    /// Energy of value 0 (eV).
    pub offset_ev: f64,
    /// How the energy is obtained, as the outputs record it.
    pub what: &'static str,
}

impl EnergyColumn {
    /// PI in eV (EPIC, eROSITA, and lists of missions exod does not describe).
    pub const PI_EV: EnergyColumn = EnergyColumn {
        columns: &["PI"],
        ev_per_unit: 1.0,
        offset_ev: 0.0,
        what: "PI (eV)",
    };
}

/// How an instrument's GTI extensions map onto its chips.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum GtiLayout {
    /// One extension per CCD, `{prefix}{ccd:02}` (EPIC `STDGTI01…`), intersected with the
    /// flare GTI named by the data-subspace keywords.
    PerCcdNumbered {
        /// Extension name prefix.
        prefix: &'static str,
    },
    /// Extensions named `extname`, each saying its chip in the keyword `chip_key` (Chandra:
    /// one `GTI` per CCD with `CCD_ID`). Without the keyword an extension applies to every chip.
    PerChipKeyword {
        /// Extension name.
        extname: &'static str,
        /// Header keyword of the chip.
        chip_key: &'static str,
    },
    /// One extension per telescope module, `{prefix}{tm}` (eROSITA `GTI1…GTI7`); a single
    /// `GTI` extension applies to every module.
    PerModuleNumbered {
        /// Extension name prefix.
        prefix: &'static str,
    },
    /// One `GTI` extension for the whole exposure (Swift-XRT, NuSTAR).
    Single,
}

/// Event screening an instrument's cleaned lists still need.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Screening {
    /// The EXOD EPIC screening (PATTERN, FLAG, energy, hot pixels, GTI: module `screening`).
    Epic,
    /// Keep events whose grade column is in `allowed` (when the column exists) and whose
    /// energy is in `energy_ev`; the rest of the cleaning is the mission pipeline's.
    Grades {
        /// Grade column.
        column: &'static str,
        /// Grades kept.
        allowed: &'static [i32],
        /// Energy range kept (eV, both edges inclusive): the instrument's calibrated range,
        /// wider than its default bands so that other bands can be asked for.
        energy_ev: (f64, f64),
    },
}

/// Where an exposure's live-time fraction (1 − dead-time fraction) comes from.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum LiveTime {
    /// `LIVETInn / ONTIMEnn` per CCD, else `DEADC` (SAS).
    PerCcdKeywords,
    /// A camera-wide keyword (Chandra `DTCOR`, NuSTAR and Swift `DEADC`), else
    /// `LIVETIME / ONTIME`, else 1.
    Keyword(&'static str),
}

/// The PI channels of an instrument's spectra: channel `first + k` covers
/// [`lo_ev + k·width_ev`, `lo_ev + (k+1)·width_ev`), and the tool that makes its responses.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SpectrumChannels {
    /// Number of the first channel (TLMIN of CHANNEL).
    pub first: i64,
    /// Number of channels.
    pub n: usize,
    /// Lower edge of the first channel (eV).
    pub lo_ev: f64,
    /// Channel width (eV).
    pub width_ev: f64,
    /// The mission tool that makes the RMF and ARF of a spectrum.
    pub response_tool: &'static str,
}

/// Everything the search needs to know about one instrument.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Description {
    /// Mission.
    pub mission: Mission,
    /// Nominal sky pixel (arcsec) of the pipeline's event lists (the file's own WCS is what the
    /// search uses; this is what the simulator writes and what docs quote).
    pub sky_pixel_arcsec: f64,
    /// Sky projection of the pipeline's X/Y columns (`TAN`, `SIN`).
    pub projection: &'static str,
    /// PSF size versus off-axis angle.
    pub psf: PsfSize,
    /// Radius of the field of view (arcmin), for vignetting, the simulator and docs.
    pub field_radius_arcmin: f64,
    /// Frame time of the imaging mode (s; 0 for event-by-event timing). A list's own `TIMEDEL`
    /// overrides it where the mode has other frame times (ACIS subarrays).
    pub frame_time_s: f64,
    /// Energy columns and units, tried in order (Chandra: ENERGY in eV, else PI).
    pub energy: &'static [EnergyColumn],
    /// Default energy bands (keV): soft, hard, full, as EXOD's 0.2–2, 2–12, 0.2–12 for EPIC.
    pub bands_kev: &'static [(f64, f64)],
    /// Chip column (CCDNR, CCD_ID, DET_ID, TM_NR), if the instrument has several chips.
    pub chip_column: Option<&'static str>,
    /// Largest chip number.
    pub max_chip: u8,
    /// GTI extensions.
    pub gti: GtiLayout,
    /// Event screening.
    pub screening: Screening,
    /// BTI rule, or None when the instrument's pipeline leaves no background flares to mark
    /// (said in `bti_note`).
    pub bti: Option<BtiRule>,
    /// Why the BTI rule is what it is.
    pub bti_note: &'static str,
    /// Live-time source.
    pub live_time: LiveTime,
    /// Default cell side (arcsec), chosen from the PSF (see `missions`).
    pub default_cell_arcsec: f64,
    /// Data modes (DATAMODE values, case-insensitive prefixes) that can be searched; empty:
    /// any.
    pub imaging_modes: &'static [&'static str],
    /// Channels of its spectra.
    pub spectrum: SpectrumChannels,
    /// Where the numbers come from.
    pub sources: &'static str,
}

impl Description {
    /// The full band (the last default band: EPIC 0.2–12 keV), of the images and of the
    /// injected bursts of the benchmarks.
    pub fn full_band(&self) -> crate::band::Band {
        self.bands()[self.bands_kev.len() - 1]
    }

    /// The default bands.
    pub fn bands(&self) -> Vec<crate::band::Band> {
        self.bands_kev
            .iter()
            .map(|&(lo, hi)| crate::band::Band {
                lo_ev: lo * 1000.0,
                hi_ev: hi * 1000.0,
            })
            .collect()
    }
}
