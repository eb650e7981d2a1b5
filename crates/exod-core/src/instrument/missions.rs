//! The descriptions of every instrument exod searches, each number with its source.
//!
//! Cell sizes follow EXOD's choice for EPIC (paper §2.3: a 20″ cell for a PSF of 15″ HPD, so
//! that most of a point source's photons fall in one cell, or in the 3 × 3 block the search sums
//! when a source sits on a cell edge): the default cell is about 1.3 × the on-axis HPD, rounded.
//! Chandra's PSF grows forty-fold across the field, so no single cell fits it: its default (2″)
//! is the HPD at 4′ off axis, the middle of ACIS-S3 and of ACIS-I; sources much farther out spread
//! over several cells, and `--cell` (e.g. 4 or 8″ for θ > 6′) searches them at their own scale.

use super::description::{
    Description, EnergyColumn, GtiLayout, LiveTime, PsfSize, Screening, SpectrumChannels,
};
use super::{BtiRule, Mission};

const PI_EV: EnergyColumn = EnergyColumn::PI_EV;

/// The EPIC flare monitor of paper §2.5.1.
const EPIC_BTI: BtiRule = BtiRule {
    band_ev: (10_000.0, 12_000.0),
    rate_per_camera: 0.5,
    window_s: 100.0,
};

const EPIC_SOURCES: &str = "EXOD paper §2.2–2.5 (bands, cell, BTI rule, screening); XMM-Newton Users Handbook §3.2 (PSF HPD 16.6″ pn, 13″ MOS at 1.5 keV on axis, nearly constant to 10′) and §3.3 (frame times)";

fn epic(pn: bool) -> Description {
    Description {
        mission: Mission::Xmm,
        sky_pixel_arcsec: 0.05,
        projection: "TAN",
        psf: PsfSize {
            hpd_on_axis_arcsec: if pn { 16.6 } else { 13.0 },
            growth_arcsec_per_arcmin2: 0.02,
        },
        field_radius_arcmin: 15.0,
        frame_time_s: if pn { 0.0734 } else { 2.6 },
        energy: &[PI_EV],
        bands_kev: &[(0.2, 2.0), (2.0, 12.0), (0.2, 12.0)],
        chip_column: Some("CCDNR"),
        max_chip: if pn { 12 } else { 7 },
        gti: GtiLayout::PerCcdNumbered { prefix: "STDGTI" },
        screening: Screening::Epic,
        bti: Some(EPIC_BTI),
        bti_note: "10–12 keV rate above 0.5 ct/s per live camera over ≥ 100 s (paper §2.5.1)",
        live_time: LiveTime::PerCcdKeywords,
        default_cell_arcsec: 20.0,
        imaging_modes: &["IMAGING"],
        spectrum: SpectrumChannels {
            first: 0,
            n: if pn { 4096 } else { 800 },
            lo_ev: 0.0,
            width_ev: if pn { 5.0 } else { 15.0 },
            response_tool: "SAS rmfgen + arfgen",
        },
        sources: EPIC_SOURCES,
    }
}

/// XMM-Newton EPIC pn.
pub(super) static EPIC_PN: std::sync::LazyLock<Description> =
    std::sync::LazyLock::new(|| epic(true));
/// XMM-Newton EPIC MOS1 and MOS2.
pub(super) static EPIC_MOS: std::sync::LazyLock<Description> =
    std::sync::LazyLock::new(|| epic(false));

/// Chandra ACIS (imaging, timed exposure).
pub(super) static ACIS: Description = Description {
    mission: Mission::Chandra,
    sky_pixel_arcsec: 0.492,
    projection: "TAN",
    // POG §4.2.3 (Fig. 4.13, 50 % EEF radius at 1.49 keV): 0.4″ radius on axis, ~4″ at 10′
    psf: PsfSize {
        hpd_on_axis_arcsec: 0.8,
        growth_arcsec_per_arcmin2: 0.08,
    },
    field_radius_arcmin: 10.0,
    frame_time_s: 3.2,
    energy: &[
        EnergyColumn {
            columns: &["ENERGY"],
            ev_per_unit: 1.0,
            offset_ev: 0.0,
            what: "energy column (eV)",
        },
        EnergyColumn {
            columns: &["PI"],
            ev_per_unit: 14.6,
            offset_ev: 0.0,
            what: "PI × 14.6 eV (ACIS channel width; no energy column)",
        },
    ],
    bands_kev: &[(0.5, 2.0), (2.0, 7.0), (0.5, 7.0)],
    chip_column: Some("CCD_ID"),
    max_chip: 9,
    gti: GtiLayout::PerChipKeyword {
        extname: "GTI",
        chip_key: "CCD_ID",
    },
    screening: Screening::Grades {
        column: "GRADE",
        allowed: &[0, 2, 3, 4, 6],
        energy_ev: (300.0, 10_000.0),
    },
    bti: None,
    bti_note: "none: ACIS background flares are rare and are removed by the user's deflare/lc_clean (Chandra POG §6.16); evt2 GTIs are used as they are",
    live_time: LiveTime::Keyword("DTCOR"),
    default_cell_arcsec: 2.0,
    imaging_modes: &["FAINT", "VFAINT", "GRADED"],
    spectrum: SpectrumChannels {
        first: 1,
        n: 1024,
        lo_ev: 0.0,
        width_ev: 14.6,
        response_tool: "CIAO specextract (or mkacisrmf + mkarf)",
    },
    sources: "Chandra Proposers' Observatory Guide (POG) §4.2.3 (PSF vs off-axis angle), §6.12 (3.2 s full-frame time; TIMEDEL of the list overrides it), §6.3 (ASCA grades 0, 2, 3, 4, 6); CSC 2 bands (0.5–2, 2–7, 0.5–7 keV)",
};

/// Swift-XRT in photon-counting (PC) mode.
pub(super) static XRT_PC: Description = Description {
    mission: Mission::Swift,
    sky_pixel_arcsec: 2.357,
    projection: "TAN",
    // Moretti et al. 2005 (SPIE 5898): HPD 18″ at 1.5 keV on axis, ~22″ at 12′
    psf: PsfSize {
        hpd_on_axis_arcsec: 18.0,
        growth_arcsec_per_arcmin2: 0.03,
    },
    field_radius_arcmin: 11.8,
    frame_time_s: 2.507,
    energy: &[EnergyColumn {
        columns: &["PI"],
        ev_per_unit: 10.0,
        offset_ev: 0.0,
        what: "PI × 10 eV (Swift-XRT channel width)",
    }],
    bands_kev: &[(0.3, 2.0), (2.0, 10.0), (0.3, 10.0)],
    chip_column: None,
    max_chip: 0,
    gti: GtiLayout::Single,
    screening: Screening::Grades {
        column: "GRADE",
        allowed: &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        energy_ev: (300.0, 10_000.0),
    },
    bti: None,
    bti_note: "none: xrtpipeline removes SAA, bright-Earth and hot-CCD intervals from the GTIs; PC mode has no soft-proton flares",
    live_time: LiveTime::Keyword("DEADC"),
    default_cell_arcsec: 24.0,
    imaging_modes: &["PHOTON"],
    spectrum: SpectrumChannels {
        first: 0,
        n: 1024,
        lo_ev: 0.0,
        width_ev: 10.0,
        response_tool: "xrtmkarf with the CALDB RMF (quzcif)",
    },
    sources: "Swift-XRT Users' Guide (2.36″ pixels, 2.507 s PC frame, grades 0–12, 0.3–10 keV); Moretti et al. 2005 (HPD 18″); Evans et al. 2009 (1SXPS bands)",
};

/// NuSTAR focal-plane modules A and B.
pub(super) static FPM: Description = Description {
    mission: Mission::Nustar,
    sky_pixel_arcsec: 2.458,
    projection: "TAN",
    // Harrison et al. 2013 §4: HPD 58″, FWHM 18″, nearly constant over the 12′ field
    psf: PsfSize {
        hpd_on_axis_arcsec: 58.0,
        growth_arcsec_per_arcmin2: 0.1,
    },
    field_radius_arcmin: 6.5,
    frame_time_s: 0.0,
    energy: &[EnergyColumn {
        columns: &["PI"],
        ev_per_unit: 40.0,
        offset_ev: 1600.0,
        what: "1.6 keV + 40 eV × PI (NuSTAR)",
    }],
    bands_kev: &[(3.0, 10.0), (10.0, 79.0), (3.0, 79.0)],
    chip_column: Some("DET_ID"),
    max_chip: 3,
    gti: GtiLayout::Single,
    screening: Screening::Grades {
        column: "GRADE",
        allowed: &[
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
            24, 25, 26,
        ],
        energy_ev: (3000.0, 79_000.0),
    },
    bti: None,
    bti_note: "none: nupipeline removes SAA passages (saamode) and occultations from the GTIs; no rate-based flare rule",
    live_time: LiveTime::Keyword("DEADC"),
    default_cell_arcsec: 60.0,
    imaging_modes: &[],
    spectrum: SpectrumChannels {
        first: 0,
        n: 4096,
        lo_ev: 1600.0,
        width_ev: 40.0,
        response_tool: "nuproducts (numkrmf + numkarf)",
    },
    sources: "Harrison et al. 2013, ApJ 770, 103 (HPD 58″, 12′ field, 3–79 keV, 2.5 ms dead time per event); NuSTAR Observatory Guide (PI → energy, grades 0–26, DEADC = LIVETIME / ONTIME)",
};

/// SRG/eROSITA telescope modules (pointed observations).
pub(super) static EROSITA: Description = Description {
    mission: Mission::Erosita,
    sky_pixel_arcsec: 0.05,
    projection: "SIN",
    // Predehl et al. 2021 §5: HPD 16″ on axis at 1.49 keV, 26″ averaged over the 1° field
    // (16 + k · ⟨θ²⟩ = 26 with ⟨θ²⟩ = 30′² / 2 gives k = 0.022)
    psf: PsfSize {
        hpd_on_axis_arcsec: 16.0,
        growth_arcsec_per_arcmin2: 0.022,
    },
    field_radius_arcmin: 30.0,
    frame_time_s: 0.05,
    energy: &[PI_EV],
    bands_kev: &[(0.2, 2.3), (2.3, 5.0), (0.2, 5.0)],
    chip_column: Some("TM_NR"),
    max_chip: 7,
    gti: GtiLayout::PerModuleNumbered { prefix: "GTI" },
    screening: Screening::Grades {
        column: "PAT_TYP",
        allowed: &[1, 2, 3, 4],
        energy_ev: (200.0, 10_000.0),
    },
    bti: None,
    bti_note: "none: eSASS flaregti leaves its flare-filtered GTIs in the list; pointed-mode flares are cut there",
    live_time: LiveTime::Keyword("DEADC"),
    default_cell_arcsec: 20.0,
    imaging_modes: &[],
    spectrum: SpectrumChannels {
        first: 0,
        n: 1024,
        lo_ev: 0.0,
        width_ev: 10.0,
        response_tool: "eSASS srctool",
    },
    sources: "Predehl et al. 2021, A&A 647, A1 (PSF, 1.03° field, 50 ms frames); Merloni et al. 2024 (eRASS1 bands 0.2–2.3, 2.3–5 keV); eSASS event-file format (X/Y in 0.05″, SIN projection, PAT_TYP 1–4 valid patterns, TM_NR)",
};
