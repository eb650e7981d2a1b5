//! The files of a mission simulation, as each pipeline writes its cleaned event lists (columns,
//! types, keywords, GTI extensions), and `truth.ecsv`:
//!
//! | mission | file | EVENTS columns | GTIs | live time |
//! |---|---|---|---|---|
//! | Chandra (`TELESCOP CHANDRA`, `INSTRUME ACIS`, `DATAMODE FAINT`) | `acisf<obsid>_repro_evt2.fits` | time ccd_id expno x y energy pi grade status (lower case, as CIAO) | `GTI` per CCD, `CCD_ID` | `DTCOR`, `TIMEDEL 3.24104` |
//! | Swift (`SWIFT`, `XRT`, `PHOTON`) | `sw<obsid>xpcw3po_cl.evt` | TIME X Y PI GRADE | one `GTI` | `DEADC` 1, `TIMEDEL` |
//! | NuSTAR (`NuSTAR`, `FPMA`/`FPMB`) | `nu<obsid>A01_cl.evt`, `…B01_cl.evt` | TIME DET_ID X Y PI GRADE | one `GTI` (occultations) | `LIVETIME`, `ONTIME`, `DEADC` |
//! | eROSITA (`eROSITA`, `TM0` = merged) | `em01_<obsid>_020_EventList_c001.fits` | TIME RA DEC X Y PI TM_NR PAT_TYP FLAG | `GTI1` … `GTI7` | `DEADC` 1, `FRAMETIM` (ms) |
//!
//! Sky X/Y carry the TAN (SIN for eROSITA) frame of the description's pixel as `TCTYPn`,
//! `TCRPXn`, `TCRVLn`, `TCDLTn` (degrees) with `TLMINn`/`TLMAXn`; energies follow the
//! description's energy column (`E = offset + ev_per_unit · value`). Grades are drawn from fixed
//! shares of the allowed ones (stream 200 + list), so the screening keeps every event.

use std::path::Path;

use fitsio::errors::Result as FitsResult;
use fitsio::hdu::FitsHdu;
use fitsio::tables::{ColumnDataType, ColumnDescription};
use fitsio::FitsFile;
use rand::Rng;

use exod_core::instrument::{Instrument, NustarModule};

use super::geometry;
use super::sky::{Events, Field, Lists};
use super::{MissionOutput, SimMission};
use crate::simulate::{
    rng_for, write_fits_plain, write_truth_table, SimError, TruthLabels, TruthRow,
};

/// Write every list and the truth table into `out_dir`.
pub(super) fn write_all(
    f: &Field,
    lists: &Lists,
    truth: Vec<TruthRow>,
    out_dir: &Path,
) -> Result<MissionOutput, SimError> {
    let mut event_files = vec![];
    let mut n_events = vec![];
    for (l, ev) in lists.ev.iter().enumerate() {
        let instrument = lists.units[l][0].instrument;
        let path = out_dir.join(file_name(f.cfg.mission, &f.cfg.obs_id, instrument));
        let cols = columns(f, l, ev);
        write_fits_plain(&path, |tmp| {
            fill_list(f, instrument, lists.live[l], &cols, tmp)
        })?;
        n_events.push(ev.time.len());
        event_files.push(path);
    }
    let truth_path = out_dir.join("truth.ecsv");
    let config = serde_json::to_string(f.cfg).unwrap_or_default();
    let labels = TruthLabels {
        time: "mission time of the event lists (TIMESYS TT, their MJDREF)",
        counts: [
            "realised counts in the first event list (ACIS, XRT, FPMA, eROSITA merged TM1-7)",
            "realised counts in the second event list (NuSTAR FPMB; 0 otherwise)",
            "0 (no third event list)",
        ],
    };
    write_truth_table(&truth_path, &labels, f.cfg.seed, &config, false, &truth)?;
    Ok(MissionOutput {
        event_files,
        n_events,
        truth,
        truth_path,
    })
}

/// The pipeline file name of a list.
fn file_name(m: SimMission, obs_id: &str, instrument: Instrument) -> String {
    match (m, instrument) {
        (SimMission::Chandra, _) => format!("acisf{obs_id}_repro_evt2.fits"),
        (SimMission::Swift, _) => format!("sw{obs_id}xpcw3po_cl.evt"),
        (_, Instrument::Fpm(NustarModule::B)) => format!("nu{obs_id}B01_cl.evt"),
        (SimMission::Nustar, _) => format!("nu{obs_id}A01_cl.evt"),
        (SimMission::Erosita, _) => format!("em01_{obs_id}_020_EventList_c001.fits"),
    }
}

/// One EVENTS column: name, data, unit.
enum Data {
    D(Vec<f64>),
    E(Vec<f32>),
    J(Vec<i32>),
    I(Vec<i16>),
    B(Vec<u8>),
    /// A 32-bit status array left at zero (Chandra `status`, `32X`).
    Status,
}

struct Col {
    name: &'static str,
    data: Data,
    unit: Option<&'static str>,
}

fn col(name: &'static str, data: Data, unit: Option<&'static str>) -> Col {
    Col { name, data, unit }
}

/// Grades of the photons of list `l`, from fixed shares of the allowed grades (stream 200 + l).
fn grades(f: &Field, l: usize, n: usize) -> Vec<i16> {
    let shares: &[(i16, f64)] = match f.cfg.mission {
        // ASCA grades of an FI chip (POG §6.3): mostly singles
        SimMission::Chandra => &[(0, 0.55), (2, 0.15), (3, 0.1), (4, 0.1), (6, 0.1)],
        SimMission::Swift => &[(0, 0.6), (1, 0.1), (2, 0.1), (3, 0.05), (4, 0.05), (7, 0.1)],
        SimMission::Nustar => &[(0, 0.7), (1, 0.1), (2, 0.1), (5, 0.05), (26, 0.05)],
        // PAT_TYP 1 single, 2 double, 3 triple, 4 quadruple
        SimMission::Erosita => &[(1, 0.6), (2, 0.25), (3, 0.1), (4, 0.05)],
    };
    let mut rng = rng_for(f.cfg.seed, 200 + l as u64);
    (0..n)
        .map(|_| {
            let mut u: f64 = rng.gen();
            for &(g, w) in shares {
                if u < w {
                    return g;
                }
                u -= w;
            }
            shares[0].0
        })
        .collect()
}

/// PI channels of energies (keV) through the description's PI column (`E = offset +
/// ev_per_unit · PI`, the conversion the reader applies back), clamped to `lo..=hi`.
fn pi_channels(
    d: &exod_core::instrument::Description,
    e_kev: &[f64],
    lo: i32,
    hi: i32,
) -> Vec<i32> {
    let c = d
        .energy
        .iter()
        .find(|c| c.columns.contains(&"PI"))
        .expect("every simulated mission has a PI column");
    e_kev
        .iter()
        .map(|e| (((e * 1000.0 - c.offset_ev) / c.ev_per_unit).round() as i32).clamp(lo, hi))
        .collect()
}

/// The EVENTS columns of list `l`.
fn columns(f: &Field, l: usize, ev: &Events) -> Vec<Col> {
    let d = f.desc;
    let (x, y): (Vec<f64>, Vec<f64>) = ev
        .xi
        .iter()
        .zip(&ev.eta)
        .map(|(&a, &b)| geometry::sky_pixel(d, f.spec.crpix, a, b))
        .unzip();
    let round = |v: &[f64]| v.iter().map(|p| p.round() as i32).collect::<Vec<_>>();
    let short = |v: &[f64]| v.iter().map(|p| p.round() as i16).collect::<Vec<_>>();
    let ev_of = |e: &f64| e * 1000.0;
    let g = grades(f, l, ev.time.len());
    let px = Some("pixel");
    let pi = |lo: i32, hi: i32| pi_channels(d, &ev.energy_kev, lo, hi);
    match f.cfg.mission {
        SimMission::Chandra => {
            let t0 = f.gti[0].0;
            vec![
                col("time", Data::D(ev.time.clone()), Some("s")),
                col(
                    "ccd_id",
                    Data::I(ev.chip.iter().map(|&c| c as i16).collect()),
                    None,
                ),
                col(
                    "expno",
                    Data::J(
                        ev.time
                            .iter()
                            .map(|t| ((t - t0) / f.spec.frame_time) as i32)
                            .collect(),
                    ),
                    None,
                ),
                col("x", Data::E(x.iter().map(|&v| v as f32).collect()), px),
                col("y", Data::E(y.iter().map(|&v| v as f32).collect()), px),
                col(
                    "energy",
                    Data::E(ev.energy_kev.iter().map(|e| ev_of(e) as f32).collect()),
                    Some("eV"),
                ),
                col("pi", Data::J(pi(1, 1024)), Some("chan")),
                col("grade", Data::I(g), None),
                col("status", Data::Status, None),
            ]
        }
        SimMission::Swift => vec![
            col("TIME", Data::D(ev.time.clone()), Some("s")),
            col("X", Data::I(short(&x)), px),
            col("Y", Data::I(short(&y)), px),
            col("PI", Data::J(pi(0, 1023)), Some("chan")),
            col("GRADE", Data::I(g), None),
        ],
        SimMission::Nustar => vec![
            col("TIME", Data::D(ev.time.clone()), Some("s")),
            col("DET_ID", Data::B(ev.chip.clone()), None),
            col("X", Data::I(short(&x)), px),
            col("Y", Data::I(short(&y)), px),
            col("PI", Data::J(pi(0, 4095)), Some("chan")),
            col("GRADE", Data::I(g), None),
        ],
        SimMission::Erosita => {
            let (ra, dec): (Vec<f64>, Vec<f64>) = x
                .iter()
                .zip(&y)
                .map(|(&a, &b)| f.wcs.pix_to_world(a, b).unwrap_or((f64::NAN, f64::NAN)))
                .unzip();
            vec![
                col("TIME", Data::D(ev.time.clone()), Some("s")),
                col("RA", Data::D(ra), Some("deg")),
                col("DEC", Data::D(dec), Some("deg")),
                col("X", Data::J(round(&x)), px),
                col("Y", Data::J(round(&y)), px),
                col(
                    "PI",
                    Data::E(ev.energy_kev.iter().map(|e| ev_of(e) as f32).collect()),
                    Some("eV"),
                ),
                col(
                    "TM_NR",
                    Data::B(ev.unit.iter().map(|u| u + 1).collect()),
                    None,
                ),
                col("PAT_TYP", Data::I(g), None),
                col("FLAG", Data::J(vec![0; ev.time.len()]), None),
            ]
        }
    }
}

/// The FITS content of one list: primary header, EVENTS, GTI extensions.
fn fill_list(
    f: &Field,
    instrument: Instrument,
    live: f64,
    cols: &[Col],
    tmp: &Path,
) -> FitsResult<()> {
    let mut fits = FitsFile::create(tmp).open()?;
    let keys = header_keys(f, instrument, live);
    let ph = fits.primary_hdu()?;
    write_keys(&mut fits, &ph, &keys)?;
    let hdu = event_table(&mut fits, cols)?;
    write_keys(&mut fits, &hdu, &keys)?;
    hdu.write_key(&mut fits, "HDUCLAS1", "EVENTS")?;
    sky_column_keys(&mut fits, &hdu, f, cols)?;
    write_gtis(&mut fits, f)
}

/// A header keyword value.
enum Key {
    S(String),
    F(f64),
    I(i64),
}

fn write_keys(fits: &mut FitsFile, hdu: &FitsHdu, keys: &[(&str, Key)]) -> FitsResult<()> {
    for (k, v) in keys {
        match v {
            Key::S(s) => hdu.write_key(fits, k, s.as_str())?,
            Key::F(x) => hdu.write_key(fits, k, *x)?,
            Key::I(i) => hdu.write_key(fits, k, *i)?,
        }
    }
    Ok(())
}

/// The keywords of the primary header and of EVENTS.
fn header_keys(f: &Field, instrument: Instrument, live: f64) -> Vec<(&'static str, Key)> {
    let cfg = f.cfg;
    let (t0, t1) = f.span();
    let ontime: f64 = f.gti.iter().map(|(a, b)| b - a).sum();
    let s = |v: &str| Key::S(v.to_string());
    let (telescop, instrume) = match cfg.mission {
        SimMission::Chandra => ("CHANDRA", "ACIS"),
        SimMission::Swift => ("SWIFT", "XRT"),
        SimMission::Nustar => ("NuSTAR", instrument.instrume()),
        SimMission::Erosita => ("eROSITA", "TM0"),
    };
    let mut k = vec![
        ("TELESCOP", s(telescop)),
        ("INSTRUME", s(instrume)),
        ("OBS_ID", s(&cfg.obs_id)),
        ("OBJECT", s("EXOD SIMULATION")),
        ("DATE-OBS", Key::S(civil_date(f.spec.mjdref + t0 / 86400.0))),
        ("DATE-END", Key::S(civil_date(f.spec.mjdref + t1 / 86400.0))),
        ("TIMESYS", s("TT")),
        ("TIMEUNIT", s("s")),
        ("TIMEREF", s("LOCAL")),
        ("RADESYS", s("ICRS")),
        ("EQUINOX", Key::F(2000.0)),
        ("TSTART", Key::F(t0)),
        ("TSTOP", Key::F(t1)),
        ("RA_PNT", Key::F(cfg.ra)),
        ("DEC_PNT", Key::F(cfg.dec)),
        ("PA_PNT", Key::F(cfg.roll)),
        ("ONTIME", Key::F(ontime)),
        ("LIVETIME", Key::F(live)),
        ("EXPOSURE", Key::F(live)),
        (
            "CREATOR",
            Key::S(format!(
                "exod simulate --mission {} {} (seed {})",
                cfg.mission.name(),
                env!("CARGO_PKG_VERSION"),
                cfg.seed
            )),
        ),
    ];
    let mjdref = f.spec.mjdref;
    match cfg.mission {
        SimMission::Chandra | SimMission::Erosita => k.push(("MJDREF", Key::F(mjdref))),
        _ => {
            k.push(("MJDREFI", Key::I(mjdref.floor() as i64)));
            k.push(("MJDREFF", Key::F(mjdref - mjdref.floor())));
        }
    }
    let deadc = live / ontime;
    match cfg.mission {
        SimMission::Chandra => k.extend([
            ("DATAMODE", s("FAINT")),
            ("READMODE", s("TIMED")),
            ("DETNAM", s("ACIS-0123")),
            ("RA_NOM", Key::F(cfg.ra)),
            ("DEC_NOM", Key::F(cfg.dec)),
            ("ROLL_NOM", Key::F(cfg.roll)),
            ("TIMEDEL", Key::F(f.spec.frame_time)),
            ("DTCOR", Key::F(deadc)),
        ]),
        SimMission::Swift => k.extend([
            ("DATAMODE", s("PHOTON")),
            ("TIMEDEL", Key::F(f.spec.frame_time)),
            ("DEADC", Key::F(deadc)),
        ]),
        SimMission::Nustar => k.push(("DEADC", Key::F(deadc))),
        SimMission::Erosita => k.extend([
            ("FRAMETIM", Key::F(f.spec.frame_time * 1000.0)),
            ("DEADC", Key::F(deadc)),
        ]),
    }
    k
}

/// The EVENTS table.
fn event_table(fits: &mut FitsFile, cols: &[Col]) -> FitsResult<FitsHdu> {
    let descs: Vec<_> = cols
        .iter()
        .map(|c| {
            let (t, rep) = match c.data {
                Data::D(_) => (ColumnDataType::Double, 1),
                Data::E(_) => (ColumnDataType::Float, 1),
                Data::J(_) => (ColumnDataType::Int, 1),
                Data::I(_) => (ColumnDataType::Short, 1),
                Data::B(_) => (ColumnDataType::Byte, 1),
                Data::Status => (ColumnDataType::Bit, 32),
            };
            ColumnDescription::new(c.name)
                .with_type(t)
                .that_repeats(rep)
                .create()
        })
        .collect::<Result<_, _>>()?;
    let hdu = fits.create_table("EVENTS", &descs)?;
    for c in cols {
        match &c.data {
            Data::D(v) => {
                hdu.write_col(fits, c.name, v)?;
            }
            Data::E(v) => {
                hdu.write_col(fits, c.name, v)?;
            }
            Data::J(v) => {
                hdu.write_col(fits, c.name, v)?;
            }
            Data::I(v) => {
                hdu.write_col(fits, c.name, v)?;
            }
            Data::B(v) => {
                hdu.write_col(fits, c.name, v)?;
            }
            Data::Status => {}
        }
    }
    for (i, c) in cols.iter().enumerate() {
        if let Some(u) = c.unit {
            hdu.write_key(fits, &format!("TUNIT{}", i + 1), u)?;
        }
    }
    Ok(hdu)
}

/// The sky frame of the X/Y columns (and, for eROSITA, its RA/DEC reference).
fn sky_column_keys(fits: &mut FitsFile, hdu: &FitsHdu, f: &Field, cols: &[Col]) -> FitsResult<()> {
    let d = f.desc;
    let p = d.sky_pixel_arcsec / 3600.0;
    let (lo, hi) = f.spec.sky_limits;
    for (axis, ctype, crval, cdelt) in [
        ("x", format!("RA---{}", d.projection), f.cfg.ra, -p),
        ("y", format!("DEC--{}", d.projection), f.cfg.dec, p),
    ] {
        let i = cols
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(axis))
            .expect("every list has X and Y")
            + 1;
        hdu.write_key(fits, &format!("TCTYP{i}"), ctype.as_str())?;
        hdu.write_key(fits, &format!("TCRPX{i}"), f.spec.crpix)?;
        hdu.write_key(fits, &format!("TCRVL{i}"), crval)?;
        hdu.write_key(fits, &format!("TCDLT{i}"), cdelt)?;
        hdu.write_key(fits, &format!("TCUNI{i}"), "deg")?;
        hdu.write_key(fits, &format!("TLMIN{i}"), lo)?;
        hdu.write_key(fits, &format!("TLMAX{i}"), hi)?;
    }
    Ok(())
}

/// The GTI extensions in the description's layout.
fn write_gtis(fits: &mut FitsFile, f: &Field) -> FitsResult<()> {
    let gti_cols = || -> FitsResult<Vec<_>> {
        ["START", "STOP"]
            .iter()
            .map(|n| {
                ColumnDescription::new(*n)
                    .with_type(ColumnDataType::Double)
                    .create()
            })
            .collect()
    };
    let starts: Vec<f64> = f.gti.iter().map(|g| g.0).collect();
    let stops: Vec<f64> = f.gti.iter().map(|g| g.1).collect();
    let one = |fits: &mut FitsFile, name: String, key: Option<(&str, i64)>| -> FitsResult<()> {
        let g = fits.create_table(name, &gti_cols()?)?;
        g.write_col(fits, "START", &starts)?;
        g.write_col(fits, "STOP", &stops)?;
        g.write_key(fits, "HDUCLAS1", "GTI")?;
        g.write_key(fits, "TUNIT1", "s")?;
        g.write_key(fits, "TUNIT2", "s")?;
        if let Some((k, v)) = key {
            g.write_key(fits, k, v)?;
        }
        Ok(())
    };
    match f.cfg.mission {
        SimMission::Chandra => {
            for ccd in 0..4 {
                one(fits, "GTI".into(), Some(("CCD_ID", ccd)))?;
            }
        }
        SimMission::Erosita => {
            for tm in 1..=7 {
                one(fits, format!("GTI{tm}"), Some(("TM_NR", tm)))?;
            }
        }
        _ => one(fits, "GTI".into(), None)?,
    }
    Ok(())
}

/// The civil date (`YYYY-MM-DDThh:mm:ss`) of a Modified Julian Date (Fliegel & Van Flandern
/// 1968 on the Julian day number).
pub(super) fn civil_date(mjd: f64) -> String {
    let days = mjd.floor();
    let secs = ((mjd - days) * 86400.0).floor() as i64;
    let jd = days as i64 + 2_400_001;
    let l = jd + 68_569;
    let n = 4 * l / 146_097;
    let l = l - (146_097 * n + 3) / 4;
    let i = 4000 * (l + 1) / 1_461_001;
    let l = l - 1461 * i / 4 + 31;
    let j = 80 * l / 2447;
    let day = l - 2447 * j / 80;
    let l = j / 11;
    let month = j + 2 - 12 * l;
    let year = 100 * (n - 49) + i + l;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_of_the_mission_epochs() {
        assert_eq!(civil_date(50814.0), "1998-01-01T00:00:00");
        // eROSITA time 0: 2000-01-01T00:00 Moscow time
        assert_eq!(civil_date(51543.875), "1999-12-31T21:00:00");
        assert_eq!(civil_date(55197.5), "2010-01-01T12:00:00");
    }
}
