//! Simulated observations of the other photon-counting missions exod searches — Chandra ACIS-I,
//! Swift-XRT in photon-counting mode, NuSTAR FPMA + FPMB and SRG/eROSITA (pointed, seven TMs) —
//! written as their pipelines write cleaned event lists, so that they load through the same
//! reader as real ones (the XMM simulator is [`crate::simulate`]).
//!
//! Every instrument number (sky pixel, projection, PSF HPD versus off-axis angle, field radius,
//! frame time, energy column and units, bands, chip column, GTI layout, live-time keyword) comes
//! from the instrument description `exod_core::instrument`; what the descriptions do not hold
//! (chip layouts, MJDREF, vignetting, background rates, source counts) is in module `geometry`
//! with its literature source.
//!
//! What is simulated (seeded and deterministic: the same configuration gives byte-identical
//! files):
//! * geometry: ACIS-I CCDs I0–I3 (CCD_ID 0–3, 1024² pixels of 0.492″, aimpoint on I3), the
//!   XRT's 600 × 600 CCD of 2.36″, NuSTAR's four detector quadrants (DET_ID 0–3) per module,
//!   eROSITA's seven 384² CCDs of 9.6″ overlaid with their own rotations inside a 30′ field;
//!   pointing and roll; no dither, so chip gaps stay empty;
//! * constant point sources from a log N–log S in the mission's count rate, and an optional
//!   target (`target_rate`, ct/s summed over the mission's lists); a King PSF whose HPD is the
//!   description's at each source's off-axis angle (module `psf`); vignetting
//!   1/(1 + (θ/θ_v)²) with a mission θ_v;
//! * photon energies from an absorbed power law (Γ = 1.9, nH = 0.05 × 10²² cm⁻², σ(E) =
//!   2.4 × 10⁻²² (E/keV)^-8/3 cm², an approximation of Morrison & McCammon 1983) in the
//!   mission's range, without redistribution (no response is written for these missions);
//! * particle background uniform on the chips (flat in energy) and unresolved cosmic background
//!   (Γ = 1.4, vignetted), with the rates of `geometry`;
//! * bursts ([`crate::simulate::Burst`]: expected counts summed over the lists, duration, box or
//!   FRED profile), at random positions on every list's chips away from bright sources;
//! * times: frames of 3.24104 s (ACIS), 2.507 s (XRT PC), 50 ms (eROSITA) to which times are
//!   quantised (frame middle); NuSTAR's event-by-event times thinned by a 2.5 ms dead time per
//!   recorded event, written as nupipeline does (`LIVETIME`, `ONTIME`, `DEADC` = their ratio);
//!   ACIS's frame-transfer loss as `DTCOR`; NuSTAR's Earth occultations (3480 s of every
//!   5800 s orbit are good time) as several GTI rows;
//! * GTIs in the description's layout: ACIS one `GTI` extension per CCD with `CCD_ID`, XRT and
//!   NuSTAR one `GTI`, eROSITA `GTI1` … `GTI7`.
//!
//! Files (in the output directory): `acisf<obsid>_repro_evt2.fits`, `sw<obsid>xpcw3po_cl.evt`,
//! `nu<obsid>A01_cl.evt` + `nu<obsid>B01_cl.evt`, `em01_<obsid>_020_EventList_c001.fits` (the
//! merged list, INSTRUME `TM0`, with TM_NR), and `truth.ecsv` with the columns of the XMM
//! simulator: `counts_pn` holds the counts of the first list (ACIS, XRT, FPMA, eROSITA merged),
//! `counts_m1` those of FPMB, `counts_m2` zero.
//!
//! Random streams: population 1, constant sources 1000 + 4 × source + list, bursts 20 000 +
//! burst, backgrounds 100 + list, event grades 200 + list.

use std::path::{Path, PathBuf};

use exod_core::instrument::{Description, Instrument, Mission};

use crate::simulate::{Burst, SimError, TruthRow};

mod background;
mod geometry;
mod psf;
mod sky;
mod writers;

pub use psf::KingPsf;
pub(crate) use sky::absorbed_power_law;

/// A mission the simulator can write (besides XMM-Newton, module [`crate::simulate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SimMission {
    /// Chandra ACIS-I.
    Chandra,
    /// Swift-XRT, photon-counting mode.
    Swift,
    /// NuSTAR FPMA + FPMB.
    Nustar,
    /// SRG/eROSITA, pointed, TM1–7 merged.
    Erosita,
}

impl std::str::FromStr for SimMission {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "chandra" => Ok(SimMission::Chandra),
            "swift" => Ok(SimMission::Swift),
            "nustar" => Ok(SimMission::Nustar),
            "erosita" => Ok(SimMission::Erosita),
            _ => Err(format!(
                "mission {s:?}: expected chandra, swift, nustar or erosita"
            )),
        }
    }
}

impl SimMission {
    /// Every simulated mission.
    pub const ALL: [SimMission; 4] = [
        SimMission::Chandra,
        SimMission::Swift,
        SimMission::Nustar,
        SimMission::Erosita,
    ];

    /// The first instrument of the mission's lists (ACIS, XRT, FPMA, TM1).
    pub fn instrument(self) -> Instrument {
        match self {
            SimMission::Chandra => Instrument::Acis,
            SimMission::Swift => Instrument::XrtPc,
            SimMission::Nustar => Instrument::Fpm(exod_core::instrument::NustarModule::A),
            SimMission::Erosita => Instrument::Erosita(1),
        }
    }

    /// The instrument description (shared by every list of the mission).
    pub fn description(self) -> &'static Description {
        self.instrument().description()
    }

    /// The mission.
    pub fn mission(self) -> Mission {
        self.description().mission
    }

    /// Lower-case name (`chandra`, …), as `--mission` takes it.
    pub fn name(self) -> &'static str {
        match self {
            SimMission::Chandra => "chandra",
            SimMission::Swift => "swift",
            SimMission::Nustar => "nustar",
            SimMission::Erosita => "erosita",
        }
    }
}

/// Everything that defines a simulated observation of a mission. [`MissionConfig::new`] gives
/// each mission's defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MissionConfig {
    /// The mission.
    pub mission: SimMission,
    /// Seed of every random stream.
    pub seed: u64,
    /// Observation identifier, as the mission writes it (Chandra 5 digits, Swift and NuSTAR 11,
    /// eROSITA 6).
    pub obs_id: String,
    /// Good time (s): the GTI total (NuSTAR's elapsed time is longer, with occultations).
    pub exposure: f64,
    /// Pointing right ascension (deg).
    pub ra: f64,
    /// Pointing declination (deg).
    pub dec: f64,
    /// Roll angle (deg).
    pub roll: f64,
    /// Mission time of the start (s).
    pub tstart: f64,
    /// Count rate of the target (ct/s summed over the lists, on axis; 0 for none).
    pub target_rate: f64,
    /// Offset of the target from the pointing (ξ east, η north, arcsec).
    pub target_offset: [f64; 2],
    /// Draw the log N–log S population of constant sources.
    pub population: bool,
    /// Bursts to inject (counts summed over the lists).
    pub bursts: Vec<Burst>,
    /// Photon index of the source spectra.
    pub photon_index: f64,
    /// Absorbing column of the source spectra (10²² cm⁻²).
    pub nh: f64,
}

impl MissionConfig {
    /// The defaults of `mission`: Chandra 20 ks, Swift a 2 ks snapshot, NuSTAR 20 ks, eROSITA
    /// 10 ks; the pointing of the XMM simulator (COSMOS), roll 62°, seed 1, population on, a
    /// target 20″ off axis (Chandra 0.02 ct/s, Swift 0.3, NuSTAR 0.2, eROSITA 1 ct/s), no burst.
    pub fn new(mission: SimMission) -> MissionConfig {
        let (obs_id, exposure, tstart, target_rate) = match mission {
            SimMission::Chandra => ("99901", 20_000.0, 7.0e8, 0.02),
            SimMission::Swift => ("00099990001", 2_000.0, 6.0e8, 0.3),
            SimMission::Nustar => ("90999001002", 20_000.0, 4.0e8, 0.2),
            SimMission::Erosita => ("700999", 10_000.0, 6.5e8, 1.0),
        };
        MissionConfig {
            mission,
            seed: 1,
            obs_id: obs_id.into(),
            exposure,
            ra: 150.1191,
            dec: 2.2058,
            roll: 62.0,
            tstart,
            target_rate,
            target_offset: [20.0, -15.0],
            population: true,
            bursts: vec![],
            photon_index: 1.9,
            nh: 0.05,
        }
    }
}

/// What a mission simulation produced.
#[derive(Debug, Clone)]
pub struct MissionOutput {
    /// The event lists (NuSTAR: FPMA then FPMB).
    pub event_files: Vec<PathBuf>,
    /// Events written per list.
    pub n_events: Vec<usize>,
    /// The truth table (also in `truth_path`).
    pub truth: Vec<TruthRow>,
    /// `truth.ecsv`.
    pub truth_path: PathBuf,
}

impl MissionOutput {
    /// The same outputs after their folder `from` was moved to `to`.
    pub fn relocated(self, from: &Path, to: &Path) -> MissionOutput {
        let mv = |p: PathBuf| match p.strip_prefix(from) {
            Ok(rel) => to.join(rel),
            Err(_) => p,
        };
        MissionOutput {
            event_files: self.event_files.into_iter().map(mv).collect(),
            truth_path: mv(self.truth_path),
            ..self
        }
    }
}

/// Simulate an observation of `cfg.mission` into `out_dir` (created if needed).
pub fn simulate_mission(cfg: &MissionConfig, out_dir: &Path) -> Result<MissionOutput, SimError> {
    validate(cfg)?;
    std::fs::create_dir_all(out_dir).map_err(|source| SimError::Io {
        path: out_dir.into(),
        source,
    })?;
    let field = sky::Field::new(cfg);
    let mut lists = sky::Lists::new(&field);
    let mut truth = sky::add_constant_sources(&field, &mut lists);
    for (k, b) in cfg.bursts.iter().enumerate() {
        let row = sky::add_burst(&field, k, b, truth.len(), &mut lists);
        truth.push(row);
    }
    background::add_backgrounds(&field, &mut lists);
    lists.finish(&field);
    lists.count_truth(&mut truth);
    let _turn = crate::fits_turn();
    writers::write_all(&field, &lists, truth, out_dir)
}

/// Reject configurations the simulator cannot honour.
fn validate(cfg: &MissionConfig) -> Result<(), SimError> {
    let bad = |m: String| Err(SimError::Config(m));
    if !(cfg.exposure >= 500.0 && cfg.exposure <= 500_000.0) {
        return bad(format!(
            "exposure {} s: expected 500–500000 s",
            cfg.exposure
        ));
    }
    let digits = match cfg.mission {
        SimMission::Chandra => 5,
        SimMission::Swift | SimMission::Nustar => 11,
        SimMission::Erosita => 6,
    };
    if cfg.obs_id.len() != digits || !cfg.obs_id.chars().all(|c| c.is_ascii_digit()) {
        return bad(format!(
            "observation id {:?}: a {} observation id is {digits} digits",
            cfg.obs_id,
            cfg.mission.mission().name()
        ));
    }
    if !(cfg.target_rate >= 0.0 && cfg.nh >= 0.0 && cfg.photon_index.is_finite()) {
        return bad("target rate and nH must be ≥ 0, the photon index finite".into());
    }
    for b in &cfg.bursts {
        if !(b.counts >= 0.0
            && b.counts <= crate::simulate::MAX_BURST_COUNTS
            && b.duration > 0.0
            && b.duration < cfg.exposure / 2.0)
        {
            return bad(format!(
                "burst counts {} / duration {} s: expected 0–{} counts and a duration below half the exposure",
                b.counts,
                b.duration,
                crate::simulate::MAX_BURST_COUNTS
            ));
        }
    }
    Ok(())
}
