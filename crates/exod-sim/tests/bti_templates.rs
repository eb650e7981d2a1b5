//! Background templates where counts are sparse (issue 9, defect 3): a cell whose template is 0
//! has μ = 0 and can never hold a peak. A burst during the BTI of a faint, short observation must
//! be found, and no covered cell may be blind.

use exod_core::band::Band;
use exod_core::expectation::{self, ExpectationParams};
use exod_core::observation::Observation;
use exod_core::search::{search, DetectParams, Kind};
use exod_core::wcs::separation_arcsec;
use exod_io::events::{read, ReadOptions};
use exod_sim::bench::{inject, Injection};
use exod_sim::simulate::{simulate, Flares, SimConfig};
use rand::SeedableRng;

fn faint_flaring_obs(seed: u64, dir: &std::path::Path) -> Observation {
    let cfg = SimConfig {
        seed,
        exposure: 12_000.0,
        flares: Flares::Brief,
        target_rate: 0.0,
        bursts: vec![],
        eclipses: vec![],
        ..SimConfig::default()
    };
    let out = simulate(&cfg, dir).unwrap();
    let lists: Vec<_> = out
        .event_files
        .iter()
        .map(|p| read(p, &ReadOptions::default()).unwrap())
        .collect();
    Observation::new(&lists, 20.0).unwrap()
}

#[test]
fn a_burst_during_the_bti_of_a_faint_observation_is_found() {
    let mut found = 0;
    let mut tried = 0;
    for seed in [11u64, 12, 13, 14] {
        let dir = tempfile::tempdir().unwrap();
        let ev = faint_flaring_obs(seed, dir.path());
        let band = Band::parse("0.2-12").unwrap();
        let tbin = 5.0;
        let ex = expectation::for_run(&ev, band, tbin, None, &ExpectationParams::default());
        let n_bti = ex.bti.iter().filter(|&&b| b).count();
        assert!(
            n_bti > 0 && n_bti < ex.frames.n / 10,
            "seed {seed}: {n_bti} BTI frames"
        );
        // one burst in each of up to 12 BTI frames (far apart in time, so that each frame's
        // background β is barely changed), each at a random covered unmasked cell
        use rand::Rng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let bti_frames: Vec<usize> = (0..ex.frames.n)
            .filter(|&k| ex.bti[k])
            .step_by(3)
            .take(12)
            .collect();
        let g = ev.grid();
        let mut bursts: Vec<Injection> = Vec::new();
        for &k in &bti_frames {
            let t0 = ex.frames.start(k);
            let c = loop {
                let c = rng.gen_range(0..g.n_cells());
                if ex.covered()[c] && !ex.mask[c] && ex.live(c, k) >= 0.99 {
                    break c;
                }
            };
            let (px, py) = g.centre(
                (c % g.nx) as f64 + 0.5 * rng.gen::<f64>(),
                (c / g.nx) as f64 + 0.5 * rng.gen::<f64>(),
            );
            let (ra, dec) = g.wcs.pix_to_world(px, py).unwrap();
            bursts.push(Injection {
                ra,
                dec,
                t_start: t0,
                t_stop: t0 + tbin,
                amplitude: 20.0,
                realised: 0,
            });
        }
        assert!(
            bursts.len() >= 4,
            "seed {seed}: {} usable cells",
            bursts.len()
        );
        let with_burst = inject(&ev, &mut bursts, &mut rng);
        let params = DetectParams {
            tbins: vec![tbin],
            bands: vec![band],
            ..DetectParams::default()
        };
        let res = search(&with_burst, None, &params, "bti").unwrap();
        for b in &bursts {
            tried += 1;
            let hit = res.detections.iter().any(|d| {
                d.kind == Kind::Peak
                    && d.bti
                    && separation_arcsec(d.ra, d.dec, b.ra, b.dec) < 20.0
                    && d.t_start < b.t_stop
                    && d.t_stop > b.t_start
            });
            eprintln!("seed {seed}: {} realised, found {hit}", b.realised);
            found += hit as usize;
            // 90 % completeness at 3σ and 5 s needs ~12 counts in GTIs (docs/bench); in a BTI
            // μ is higher, so only bursts of ≥ 15 realised counts are required one by one
            assert!(
                hit || b.realised < 15,
                "seed {seed}: a burst of {} counts in a BTI was missed",
                b.realised
            );
        }
    }
    assert!(
        found as f64 >= 0.9 * tried as f64,
        "{found} of {tried} bursts of 20 expected counts found"
    );
}

#[test]
fn no_covered_cell_is_blind() {
    let dir = tempfile::tempdir().unwrap();
    let ev = faint_flaring_obs(21, dir.path());
    for band in ["0.2-2", "2-12", "0.2-12"] {
        for tbin in [5.0, 50.0, 200.0] {
            let ex = expectation::for_run(
                &ev,
                Band::parse(band).unwrap(),
                tbin,
                None,
                &ExpectationParams::default(),
            );
            for s in 0..2 {
                if !ex.bti.iter().any(|&b| b as usize == s) {
                    continue;
                }
                let blind = (0..ex.covered().len())
                    .filter(|&c| ex.covered()[c] && ex.template[s][c] <= 0.0 && ex.src[c] <= 0.0)
                    .count();
                assert_eq!(
                    blind, 0,
                    "{band} keV, {tbin} s, class {s}: {blind} blind cells"
                );
            }
        }
    }
}
