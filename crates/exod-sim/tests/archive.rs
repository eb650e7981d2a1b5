//! The simulated archive: determinism, layouts, the repeating transient, the flickering hot
//! pixel's EPIC-frame position, the bad inputs as the reader sees them, and a search finding the
//! flicker.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use exod_core::exposure::Exposure;
use exod_core::observation::Observation;
use exod_core::search::{search, DetectParams};
use exod_core::wcs::separation_arcsec;
use exod_io::error::IoError;
use exod_io::events::{read, ReadOptions};
use exod_sim::archive::{
    simulate_archive, ArchiveConfig, ArchiveObs, ArchiveOutput, ArchiveRow, Defect, Layout,
};
use exod_sim::simulate::epic_frame;

/// The EPIC-frame offsets of the flicker pixel (pn CCD 4, RAWX 30, RAWY 160), from the layout:
/// x_E = −DETX, y_E = DETY of the pixel centre.
const FLICKER_EPIC: (f64, f64) = (-23.95, 356.95);

fn small(seed: u64, layout: Layout) -> ArchiveConfig {
    ArchiveConfig {
        seed,
        n_obs: 8,
        exposure: 1000.0,
        layout,
        ..ArchiveConfig::default()
    }
}

/// A 12-observation archive (flickers in observations 1, 4 and 7; bad inputs 8–11), shared.
fn shared() -> &'static ArchiveOutput {
    static OUT: OnceLock<ArchiveOutput> = OnceLock::new();
    OUT.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("archive12");
        let _ = std::fs::remove_dir_all(&root);
        let cfg = ArchiveConfig {
            seed: 3,
            n_obs: 12,
            exposure: 2000.0,
            ..ArchiveConfig::default()
        };
        simulate_archive(&cfg, &root).expect("archive")
    })
}

fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn rows<'a>(out: &'a ArchiveOutput, kind: &str) -> Vec<&'a ArchiveRow> {
    out.truth.iter().filter(|r| r.kind == kind).collect()
}

fn obs<'a>(out: &'a ArchiveOutput, id: &str) -> &'a ArchiveObs {
    out.observations.iter().find(|o| o.obs_id == id).unwrap()
}

fn pn(o: &ArchiveObs) -> Exposure {
    let f = o
        .good_event_files
        .iter()
        .find(|f| f.to_string_lossy().contains("PNS003PIEVLI"))
        .expect("a pn list");
    read(f, &ReadOptions::default()).unwrap()
}

/// (RA, Dec) of the screened events of `ev` within `r` arcsec of (ra, dec) in [t0, t1).
fn events_near(ev: &Exposure, ra: f64, dec: f64, r: f64, t0: f64, t1: f64) -> Vec<(f64, f64)> {
    let wcs = ev.wcs().as_ref().unwrap();
    let mut out = Vec::new();
    for k in 0..ev.time().len() {
        let t = ev.time()[k];
        if t < t0 || t >= t1 {
            continue;
        }
        let (a, d) = wcs
            .pix_to_world(ev.x()[k] as f64, ev.y()[k] as f64)
            .unwrap();
        if separation_arcsec(a, d, ra, dec) < r {
            out.push((a, d));
        }
    }
    out
}

#[test]
fn same_seed_gives_a_byte_identical_tree_and_another_seed_does_not() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    simulate_archive(&small(11, Layout::Pps), a.path()).unwrap();
    simulate_archive(&small(11, Layout::Pps), b.path()).unwrap();
    simulate_archive(&small(12, Layout::Pps), c.path()).unwrap();
    let (ta, tb, tc) = (tree(a.path()), tree(b.path()), tree(c.path()));
    assert!(ta.len() > 20, "{} files", ta.len());
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (k, v) in &ta {
        assert!(tb[k] == *v, "{} differs between two runs", k.display());
    }
    assert_ne!(ta.keys().collect::<Vec<_>>(), tc.keys().collect::<Vec<_>>());
}

#[test]
fn pps_and_flat_layouts_hold_the_same_files_in_their_folders() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let pps = simulate_archive(&small(5, Layout::Pps), a.path()).unwrap();
    let flat = simulate_archive(&small(5, Layout::Flat), b.path()).unwrap();
    let ids: Vec<&str> = pps.observations.iter().map(|o| o.obs_id.as_str()).collect();
    let uniq: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(uniq.len(), 8);
    assert!(ids
        .iter()
        .all(|i| i.len() == 10 && i.chars().all(|c| c.is_ascii_digit())));
    let (tp, tf) = (tree(a.path()), tree(b.path()));
    let mut from_pps: Vec<String> = Vec::new();
    for k in tp.keys() {
        let parts: Vec<_> = k.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        if parts.len() == 1 {
            assert!(parts[0].starts_with("archive_"), "{parts:?} at the root");
            continue;
        }
        assert_eq!(parts.len(), 3, "{parts:?}");
        assert_eq!(parts[1], "pps");
        assert!(parts[2].starts_with(&format!("P{}", parts[0])), "{parts:?}");
        from_pps.push(parts[2].clone());
    }
    let mut from_flat: Vec<String> = tf
        .keys()
        .map(|k| k.display().to_string())
        .filter(|k| !k.starts_with("archive_"))
        .collect();
    assert!(from_flat.iter().all(|k| !k.contains('/')));
    from_pps.sort();
    from_flat.sort();
    assert_eq!(from_pps, from_flat);
    // the event lists themselves are the same files
    for o in &flat.observations {
        for f in &o.good_event_files {
            let name = f.file_name().unwrap();
            let p = a.path().join(&o.obs_id).join("pps").join(name);
            assert!(std::fs::read(&p).unwrap() == std::fs::read(f).unwrap());
        }
    }
    assert!(!a.path().join(".exod-archive-work").exists());
    assert_eq!(rows(&pps, "repeat").len(), 2);
}

#[test]
fn the_repeating_transient_is_seen_by_both_of_its_observations() {
    let out = shared();
    let reps = rows(out, "repeat");
    assert_eq!(reps.len(), 2);
    assert_ne!(reps[0].obs_id, reps[1].obs_id);
    assert_eq!((reps[0].ra, reps[0].dec), (reps[1].ra, reps[1].dec));
    let (o0, o1) = (obs(out, &reps[0].obs_id), obs(out, &reps[1].obs_id));
    assert_eq!(o0.field, o1.field);
    assert!(
        (o0.roll - o1.roll).abs() > 1.0 && o0.pointing != o1.pointing && o0.span.0 != o1.span.0
    );
    for r in &reps {
        let ev = pn(obs(out, &r.obs_id));
        let near = events_near(&ev, r.ra, r.dec, 15.0, r.t_start, r.t_stop);
        // 150 counts over pn+MOS1+MOS2: pn gets 1/1.7 of them
        assert!(near.len() >= 50, "{}: {} pn events", r.obs_id, near.len());
        let before = events_near(&ev, r.ra, r.dec, 15.0, r.t_start - 500.0, r.t_start);
        assert!(before.len() <= 5, "{}: {} before", r.obs_id, before.len());
    }
}

#[test]
fn the_flicker_is_fixed_in_the_epic_frame_but_moves_on_the_sky() {
    let out = shared();
    let hot = rows(out, "hot_pixel");
    assert_eq!(hot.len(), 3, "flickers in observations 1, 4 and 7");
    let mut sky = Vec::new();
    for r in &hot {
        let ev = pn(obs(out, &r.obs_id));
        let h = ev.header();
        let (ra_p, dec_p, pa) = (h.ra_pnt.unwrap(), h.dec_pnt.unwrap(), h.pa_pnt.unwrap());
        let near = events_near(&ev, r.ra, r.dec, 10.0, r.t_start, r.t_stop);
        assert!(near.len() >= 25, "{}: {} events", r.obs_id, near.len());
        let n = near.len() as f64;
        let (mut mx, mut my) = (0.0, 0.0);
        for &(a, d) in &near {
            let (x, y) = epic_frame(a, d, ra_p, dec_p, pa).unwrap();
            mx += x / n;
            my += y / n;
        }
        let off = ((mx - FLICKER_EPIC.0).powi(2) + (my - FLICKER_EPIC.1).powi(2)).sqrt();
        assert!(
            off < 1.0,
            "{}: EPIC frame ({mx:.2}, {my:.2}), {off:.2}″ off",
            r.obs_id
        );
        assert!(
            (r.epic.0 - FLICKER_EPIC.0).abs() < 0.01 && (r.epic.1 - FLICKER_EPIC.1).abs() < 0.01
        );
        sky.push((r.ra, r.dec));
    }
    for i in 0..sky.len() {
        for j in 0..i {
            let d = separation_arcsec(sky[i].0, sky[i].1, sky[j].0, sky[j].1);
            assert!(
                d > 60.0,
                "flickers {i} and {j} only {d:.1}″ apart on the sky"
            );
        }
    }
}

#[test]
fn bad_inputs_are_refused_by_the_reader_with_the_expected_errors() {
    let out = shared();
    let opts = ReadOptions::default();
    let mut seen = Vec::new();
    for o in &out.observations {
        for f in &o.good_event_files {
            read(f, &opts).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        }
        let Some((d, file)) = &o.defect else {
            continue;
        };
        seen.push(*d);
        let lists: Vec<_> = o
            .files
            .iter()
            .filter(|f| f.to_string_lossy().contains("EVLI"))
            .collect();
        match d {
            Defect::Empty => {
                assert!(lists.is_empty() && file.is_none());
                assert!(o
                    .files
                    .iter()
                    .any(|f| f.to_string_lossy().contains("OBSMLI")));
            }
            Defect::Unsupported => {
                assert_eq!(lists.len(), 1);
                let e = read(file.as_ref().unwrap(), &opts).unwrap_err();
                assert!(
                    matches!(&e, IoError::Unsupported { reason, .. } if reason.contains("TIMING")),
                    "{e}"
                );
            }
            Defect::Corrupt | Defect::Garbage => {
                assert_eq!(lists.len(), 3);
                assert_eq!(o.good_event_files.len(), 2);
                let e = read(file.as_ref().unwrap(), &opts).unwrap_err();
                assert!(matches!(&e, IoError::Fits(_)), "{d:?}: {e:?}");
                eprintln!("{d:?}: {e}");
            }
        }
        let row = out
            .truth
            .iter()
            .find(|r| r.obs_id == o.obs_id && r.kind == d.kind())
            .expect("a truth row");
        if let Some(f) = file {
            assert!(row
                .note
                .contains(&*f.file_name().unwrap().to_string_lossy()));
        }
    }
    assert_eq!(
        seen,
        [
            Defect::Corrupt,
            Defect::Garbage,
            Defect::Unsupported,
            Defect::Empty
        ]
    );
}

#[test]
fn a_search_at_5_s_finds_the_flicker_within_10_arcsec() {
    let out = shared();
    let r = rows(out, "hot_pixel")[0];
    let o = obs(out, &r.obs_id);
    let lists: Vec<_> = o
        .good_event_files
        .iter()
        .map(|p| read(p, &ReadOptions::default()).unwrap())
        .collect();
    let ev = Observation::new(&lists, 20.0).unwrap();
    let params = DetectParams {
        tbins: vec![5.0],
        ..DetectParams::default()
    };
    let res = search(&ev, None, &params, "test").unwrap();
    let best = res
        .detections
        .iter()
        .filter(|d| d.t_start < r.t_stop && d.t_stop > r.t_start)
        .map(|d| (separation_arcsec(d.ra, d.dec, r.ra, r.dec), d.sigma))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let (sep, sigma) = best.expect("a detection during the flicker");
    assert!(sep < 10.0, "nearest detection {sep:.1}″ away");
    assert!(sigma >= 5.0, "σ {sigma:.1}");
}
