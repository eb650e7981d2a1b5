//! `cargo bench -p exod-sim --bench spectrum`: PI draws per second of a `tbabs*powerlaw` source
//! (nH = 0.05, Γ = 1.9) through the real EPIC pn response (1319 energies × 4096 channels), on one
//! core, and the time to build one source's sampler (its model folded through the response).

use std::hint::black_box;
use std::time::Instant;

use exod_core::spectral::data::Response;
use exod_sim::simulate::spectrum::{configured_params, parse_model, SpectralSampler};
use rand::SeedableRng;

fn main() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/spectral/xmm_pn/"
    );
    let rmf = exod_io::ogip::read_rmf(std::path::Path::new(&format!("{dir}epn_ff20_dY9.rmf.gz")))
        .expect("pn RMF");
    let arf = exod_io::ogip::read_arf(std::path::Path::new(&format!("{dir}pn_pi_src.arf.gz")))
        .expect("pn ARF");
    let response = Response::new(rmf, Some(arf)).expect("response");
    let model = parse_model("tbabs*powerlaw").expect("model");
    let p = configured_params(&model, &[("nH".into(), 0.05), ("PhoIndex".into(), 1.9)])
        .expect("params");
    let t1 = Instant::now();
    let reps_s = 200;
    for _ in 0..reps_s {
        black_box(SpectralSampler::new(&response, &model, black_box(&p)).expect("sampler"));
    }
    let t_sampler = t1.elapsed().as_secs_f64() / reps_s as f64;
    let s = SpectralSampler::new(&response, &model, &p).expect("sampler");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let n = 10_000_000u64;
    let t2 = Instant::now();
    let mut sum = 0i64;
    for _ in 0..n {
        sum += s.pi(&mut rng);
    }
    let dt = t2.elapsed().as_secs_f64();
    println!(
        "PI draws: {:.1} M/s on one core ({} draws in {dt:.3} s, mean PI {:.0} eV); 10^6 draws take {:.1} ms",
        n as f64 / dt / 1e6,
        n,
        sum as f64 / n as f64,
        dt / n as f64 * 1e6 * 1e3
    );
    println!(
        "one source's sampler (model evaluation + folding): {:.3} ms",
        t_sampler * 1e3
    );
}
