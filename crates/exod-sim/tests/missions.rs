//! The mission simulator (Chandra ACIS-I, Swift-XRT PC, NuSTAR FPMA/B, eROSITA) against its own
//! truth and the pipelines' file layouts, read back through the same reader as real lists.

use std::path::Path;

use exod_core::instrument::Instrument;
use exod_core::wcs::separation_arcsec;
use exod_io::events::{read, ReadOptions};
use exod_sim::mission::{simulate_mission, MissionConfig, MissionOutput, SimMission};
use exod_sim::simulate::{Burst, Profile};
use fitsio::FitsFile;

/// A short observation of `m` with one bright burst, few sources.
fn small(m: SimMission, seed: u64) -> MissionConfig {
    let mut c = MissionConfig::new(m);
    c.seed = seed;
    c.exposure = match m {
        SimMission::Swift => 2000.0,
        _ => 3000.0,
    };
    c.bursts = vec![Burst {
        counts: 200.0,
        duration: 100.0,
        profile: Profile::Box,
        position: None,
        t_start: None,
    }];
    c
}

fn run(m: SimMission, seed: u64, dir: &Path) -> MissionOutput {
    simulate_mission(&small(m, seed), dir).unwrap()
}

fn key_s(f: &mut FitsFile, hdu: &str, k: &str) -> String {
    let h = f.hdu(hdu).unwrap();
    h.read_key::<String>(f, k).unwrap()
}

fn key_f(f: &mut FitsFile, hdu: &str, k: &str) -> f64 {
    let h = f.hdu(hdu).unwrap();
    h.read_key::<f64>(f, k).unwrap()
}

fn column_names(f: &mut FitsFile) -> Vec<String> {
    let h = f.hdu("EVENTS").unwrap();
    match &h.info {
        fitsio::hdu::HduInfo::TableInfo {
            column_descriptions,
            ..
        } => column_descriptions.iter().map(|c| c.name.clone()).collect(),
        _ => panic!("EVENTS is not a table"),
    }
}

/// The names of every extension after the primary HDU.
fn extensions(f: &mut FitsFile) -> Vec<(String, Option<i64>)> {
    let mut out = vec![];
    for i in 1.. {
        let Ok(h) = f.hdu(i) else { break };
        let name = h.read_key::<String>(f, "EXTNAME").unwrap();
        let chip = h
            .read_key::<i64>(f, "CCD_ID")
            .or_else(|_| h.read_key::<i64>(f, "TM_NR"))
            .ok();
        out.push((name, chip));
    }
    out
}

#[test]
fn every_mission_writes_its_pipeline_layout() {
    let cases = [
        (
            SimMission::Chandra,
            vec!["acisf99901_repro_evt2.fits"],
            "CHANDRA",
            "time,ccd_id,expno,x,y,energy,pi,grade,status",
            50814.0,
        ),
        (
            SimMission::Swift,
            vec!["sw00099990001xpcw3po_cl.evt"],
            "SWIFT",
            "TIME,X,Y,PI,GRADE",
            51910.00074287037,
        ),
        (
            SimMission::Nustar,
            vec!["nu90999001002A01_cl.evt", "nu90999001002B01_cl.evt"],
            "NuSTAR",
            "TIME,DET_ID,X,Y,PI,GRADE",
            55197.00076601852,
        ),
        (
            SimMission::Erosita,
            vec!["em01_700999_020_EventList_c001.fits"],
            "eROSITA",
            "TIME,RA,DEC,X,Y,PI,TM_NR,PAT_TYP,FLAG",
            51543.875,
        ),
    ];
    for (m, names, telescop, cols, mjdref) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = run(m, 3, dir.path());
        let got: Vec<String> = out
            .event_files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(got, names, "{m:?}");
        for p in &out.event_files {
            let mut f = FitsFile::open(p).unwrap();
            assert_eq!(key_s(&mut f, "EVENTS", "TELESCOP"), telescop);
            assert_eq!(column_names(&mut f).join(","), cols, "{m:?}");
            let mjd = match m {
                SimMission::Swift | SimMission::Nustar => {
                    key_f(&mut f, "EVENTS", "MJDREFI") + key_f(&mut f, "EVENTS", "MJDREFF")
                }
                _ => key_f(&mut f, "EVENTS", "MJDREF"),
            };
            assert!((mjd - mjdref).abs() < 1e-10, "{m:?} MJDREF {mjd}");
            // sky pixel in degrees, the description's projection
            let d = m.description();
            let xcol = cols.split(',').position(|c| c == "x" || c == "X").unwrap() + 1;
            let cdelt = key_f(&mut f, "EVENTS", &format!("TCDLT{xcol}"));
            assert!(
                (cdelt + d.sky_pixel_arcsec / 3600.0).abs() < 1e-12,
                "{m:?} {cdelt}"
            );
            assert!(key_s(&mut f, "EVENTS", &format!("TCTYP{xcol}")).ends_with(d.projection));
            let ext = extensions(&mut f);
            let expected: Vec<(String, Option<i64>)> = match m {
                SimMission::Chandra => (0..4).map(|c| ("GTI".to_string(), Some(c))).collect(),
                SimMission::Erosita => (1..=7).map(|t| (format!("GTI{t}"), Some(t))).collect(),
                _ => vec![("GTI".to_string(), None)],
            };
            assert_eq!(ext[0].0, "EVENTS");
            assert_eq!(&ext[1..], &expected[..], "{m:?}");
        }
    }
}

#[test]
fn chandra_and_nustar_write_their_live_time_and_frames() {
    let dir = tempfile::tempdir().unwrap();
    let c = run(SimMission::Chandra, 4, dir.path());
    let mut f = FitsFile::open(&c.event_files[0]).unwrap();
    assert_eq!(key_f(&mut f, "EVENTS", "TIMEDEL"), 3.24104);
    let dtcor = key_f(&mut f, "EVENTS", "DTCOR");
    assert!((dtcor - 3.2 / 3.24104).abs() < 1e-9, "{dtcor}");
    assert_eq!(key_s(&mut f, "EVENTS", "DATAMODE"), "FAINT");
    // times at frame middles
    let h = f.hdu("EVENTS").unwrap();
    let t: Vec<f64> = h.read_col(&mut f, "time").unwrap();
    let t0 = key_f(&mut f, "EVENTS", "TSTART");
    let phase = |x: f64| ((x - t0) / 3.24104).fract();
    assert!(t.iter().all(|&x| (phase(x) - 0.5).abs() < 1e-6));

    let dir = tempfile::tempdir().unwrap();
    let n = run(SimMission::Nustar, 4, dir.path());
    for p in &n.event_files {
        let mut f = FitsFile::open(p).unwrap();
        let (live, on, deadc) = (
            key_f(&mut f, "EVENTS", "LIVETIME"),
            key_f(&mut f, "EVENTS", "ONTIME"),
            key_f(&mut f, "EVENTS", "DEADC"),
        );
        let h = f.hdu("EVENTS").unwrap();
        let t: Vec<f64> = h.read_col(&mut f, "TIME").unwrap();
        // 2.5 ms per recorded event, and no two events closer than that
        assert!((on - live - 2.5e-3 * t.len() as f64).abs() < 1e-6);
        assert!((deadc - live / on).abs() < 1e-12);
        assert!(t.windows(2).all(|w| w[1] - w[0] >= 2.5e-3 - 1e-9));
        assert_eq!(on, 3000.0);
        // event-by-event: times are not on a frame lattice
        assert!(t.windows(2).any(|w| ((w[1] - w[0]) * 1e3).fract() > 0.01));
    }
}

#[test]
fn every_mission_reads_back_with_its_instrument_chips_and_gtis() {
    for m in SimMission::ALL {
        let dir = tempfile::tempdir().unwrap();
        let out = run(m, 5, dir.path());
        for (k, p) in out.event_files.iter().enumerate() {
            let e = read(p, &ReadOptions::default()).unwrap();
            assert_eq!(e.header().mission, m.mission(), "{m:?}");
            let ins = e.instrument().unwrap();
            let expected = match (m, k) {
                (SimMission::Nustar, 1) => "FPMB",
                (SimMission::Nustar, _) => "FPMA",
                (SimMission::Erosita, _) => "TM0",
                _ => m.instrument().label(),
            };
            assert_eq!(ins.label(), expected, "{m:?}");
            assert_eq!(
                e.len(),
                in_screening_range(p, m),
                "{m:?}: screening keeps the events in range"
            );
            // energies through the description's column and units: inside the simulated range
            // (0.15–80 keV over the missions) within a channel
            let (lo, hi) = energy_range(m);
            assert!(
                e.energy().iter().all(|&x| (lo..hi).contains(&(x as f64))),
                "{m:?}"
            );
            let gti: f64 = e.gti().values().next().unwrap().exposure();
            assert!((gti - small(m, 5).exposure).abs() < 1e-6, "{m:?}: {gti}");
            let chips: std::collections::BTreeSet<u8> = e.ccd().iter().copied().collect();
            let want: Vec<u8> = match m {
                SimMission::Chandra | SimMission::Nustar => vec![0, 1, 2, 3],
                SimMission::Swift => vec![0],
                SimMission::Erosita => (1..=7).collect(),
            };
            assert_eq!(chips.into_iter().collect::<Vec<_>>(), want, "{m:?}");
            let _ = Instrument::describe(m.mission(), &e.header().instrument).unwrap();
        }
    }
}

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_does_not() {
    for m in SimMission::ALL {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let oa = run(m, 7, a.path());
        run(m, 7, b.path());
        run(m, 8, c.path());
        let mut files = oa.event_files.clone();
        files.push(oa.truth_path.clone());
        for f in files {
            let name = f.file_name().unwrap();
            let x = std::fs::read(&f).unwrap();
            assert_eq!(x, std::fs::read(b.path().join(name)).unwrap(), "{name:?}");
            assert_ne!(x, std::fs::read(c.path().join(name)).unwrap(), "{name:?}");
        }
    }
}

#[test]
fn burst_photons_sit_at_the_truth_position_with_the_description_hpd() {
    for m in SimMission::ALL {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = small(m, 11);
        cfg.bursts[0].counts = 3000.0;
        cfg.population = false;
        cfg.target_rate = 0.0;
        let out = simulate_mission(&cfg, dir.path()).unwrap();
        let b = out.truth.iter().find(|t| t.kind == "burst").unwrap();
        let mut r = vec![];
        for p in &out.event_files {
            let e = read(p, &ReadOptions::default()).unwrap();
            let wcs = e.wcs().as_ref().unwrap();
            for i in 0..e.len() {
                let t = e.time()[i];
                if t < b.t_start || t > b.t_stop {
                    continue;
                }
                let (ra, dec) = wcs.pix_to_world(e.x()[i] as f64, e.y()[i] as f64).unwrap();
                r.push(separation_arcsec(ra, dec, b.ra, b.dec));
            }
        }
        // the burst's photons are most of the events in its window: the background in the
        // window and within 10 HPD is < 2 % of 3000 for every mission
        let d = m.description();
        let center = wcs_center(&out);
        let theta = separation_arcsec(b.ra, b.dec, center.0, center.1) / 60.0;
        let hpd = d.psf.hpd_arcsec(theta);
        r.retain(|&x| x < 10.0 * hpd);
        r.sort_by(f64::total_cmp);
        let n_in = r.len() as f64;
        // screening keeps the photons inside the mission's energy range: ≥ 80 % of them
        let sd = 4.0 * 3000f64.sqrt();
        assert!(n_in > 2400.0 - sd && n_in < 3000.0 + sd, "{m:?}: {n_in}");
        let measured = 2.0 * r[r.len() / 2];
        // integer sky pixels (Swift, NuSTAR) add their quantisation to small PSFs only
        assert!(
            (measured / hpd - 1.0).abs() < 0.10,
            "{m:?}: HPD {measured} vs {hpd} at {theta}′"
        );
        let realised: u64 = b.counts.iter().sum();
        let kept = n_in / realised as f64;
        assert!(
            (0.8..=1.01).contains(&kept),
            "{m:?}: truth {realised} vs {n_in}"
        );
    }
}

/// The events of `path` whose energy (from the raw column through the description's units) is
/// inside the description's screening range: the grades simulated are all allowed ones, so
/// this is what the reader must keep.
fn in_screening_range(path: &Path, m: SimMission) -> usize {
    let d = m.description();
    let exod_core::instrument::Screening::Grades { energy_ev, .. } = d.screening else {
        panic!("grade screening expected")
    };
    let ec = d.energy[0];
    let mut f = FitsFile::open(path).unwrap();
    let h = f.hdu("EVENTS").unwrap();
    let raw: Vec<f64> = h.read_col(&mut f, ec.columns[0]).unwrap_or_else(|_| {
        h.read_col(&mut f, &ec.columns[0].to_ascii_lowercase())
            .unwrap()
    });
    raw.iter()
        .map(|v| ec.offset_ev + ec.ev_per_unit * v)
        .filter(|e| (energy_ev.0..=energy_ev.1).contains(e))
        .count()
}

/// The simulated photon energies (eV) of `m`, widened by one channel.
fn energy_range(m: SimMission) -> (f64, f64) {
    match m {
        SimMission::Chandra => (300.0 - 15.0, 10_000.0 + 15.0),
        SimMission::Swift => (200.0 - 10.0, 10_200.0 + 10.0),
        SimMission::Nustar => (2500.0 - 40.0, 80_000.0 + 40.0),
        SimMission::Erosita => (150.0, 10_000.0),
    }
}

fn wcs_center(out: &MissionOutput) -> (f64, f64) {
    let mut f = FitsFile::open(&out.event_files[0]).unwrap();
    (
        key_f(&mut f, "EVENTS", "RA_PNT"),
        key_f(&mut f, "EVENTS", "DEC_PNT"),
    )
}
