//! The Z²ₙ statistic of unbinned arrival times (Buccheri et al. 1983, A&A 128, 245, eq. 2):
//!
//! ```text
//! Z²ₙ(f) = (2/N) Σ_{k=1..n} [ (Σ_j cos kφ_j)² + (Σ_j sin kφ_j)² ],   φ_j = 2π f (t_j − t_ref)
//! ```
//!
//! with `t_ref` the first event (`times[0]`; Z²ₙ does not depend on it, only the rounding of
//! the phases does). Without a signal `Z²ₙ ~ χ²_{2n}`.
//!
//! # Exact search in O(N log N) per harmonic
//! On a uniform grid `f_m = f_c + m·df` (`m` centred on the block), harmonic `k`'s sum is
//! `S_k(m) = Σ_j [e^{2πi k f_c τ_j}] · e^{i m (2π k df τ_j)}` (`τ_j = t_j − t_ref`): a type-1
//! NUFFT ([`super::nufft`]) with weights `e^{2πi k f_c τ_j}` and phases `2π k df τ_j`. The
//! result is the exact statistic (no folding) to the NUFFT tolerance, ≈ 1e-12·N in `S_k`, which
//! is ≤ 1e-9 relative on Z² for N ≤ 10⁶ (checked against [`z2_direct`]). Grids longer than
//! 2²⁰ frequencies are cut into blocks; blocks and harmonics run in parallel with rayon (on the
//! current pool: `RAYON_NUM_THREADS=1` or `pool.install` for one core).
//!
//! # The stingray convention ([`Z2Convention::Stingray`])
//! stingray 2.x `z_n_search(times, frequencies, nharm, nbin=128)` (`stingray/pulse/search.py`,
//! `_folding_search` and `_profile_fast`; `stingray/pulse/pulsar.py`, `z_n_binned_events`) does,
//! for one segment (`segment_size = inf`):
//! 1. `τ = times − times[0]`, and keeps only `0 ≤ τ < τ_last` with `τ_last = times[-1] − times[0]`:
//!    **the last event is dropped** (with every event at the same time as it);
//! 2. phases `τ·f − ⌊τ·f⌋`, histogrammed into `nbin` bins by `⌊phase·nbin⌋`;
//! 3. the *binned* Z² of that profile (Bachetti et al. 2021): each bin's counts placed at the
//!    bin centre, `Z² = (2/N′) Σ_k |Σ_b n_b e^{2πi k (b + ½)/nbin}|²` with `N′ = N − 1` the kept
//!    events. (stingray's cached table uses the phases `(k·b mod nbin + ½)/nbin`, which differ
//!    from `k(b + ½)/nbin` by a constant per harmonic and give the same modulus.)
//!
//! The binning replaces each phase by its bin centre: harmonic `k` is attenuated by
//! `sinc(πk/nbin)` (0.9998 for k = 1, nbin = 128) and each value moves by up to a few
//! 1e-3 relative. [`z2_search_with`] reproduces it exactly, at stingray's `O(N·n_f)` cost.

// `!(x > 0.0)` is meant: it also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use rayon::prelude::*;

use super::freq::FrequencyGrid;
use super::nufft::{block_plans, grid_block_sums, DEFAULT_TOLERANCE};
use super::period::TimingError;

/// Which Z² is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Z2Convention {
    /// The exact statistic on every event (default).
    Exact,
    /// stingray's `z_n_search`: last event dropped, phases folded into `nbin` bins
    /// (stingray's default is 128).
    Stingray {
        /// Number of phase bins (stingray default 128).
        nbin: usize,
    },
}

/// Fractional part of `x` (in `[0, 1)`).
fn frac(x: f64) -> f64 {
    x - x.floor()
}

fn check_inputs(times: &[f64], nharm: usize) -> Result<(), TimingError> {
    if times.is_empty() {
        return Err(TimingError::input("Z² search: no events"));
    }
    if let Some(j) = times.iter().position(|t| !t.is_finite()) {
        return Err(TimingError::input(format!(
            "Z² search: event {j} has a non-finite time"
        )));
    }
    if nharm == 0 {
        return Err(TimingError::param(
            "Z² search: nharm = 0 (expected at least one harmonic, e.g. 2)",
        ));
    }
    Ok(())
}

/// The per-harmonic terms `z_k = (2/N)|Σ_j e^{i k φ_j}|²`, `k = 1…nharm`, at frequency `f` with
/// phases from `t_ref` (direct summation). `Z²ₙ = Σ_{k≤n} z_k`; empty input gives zeros.
pub fn z2_harmonics(times: &[f64], t_ref: f64, f: f64, nharm: usize) -> Vec<f64> {
    let n = times.len() as f64;
    (1..=nharm)
        .map(|k| {
            let (mut c, mut s) = (0.0, 0.0);
            for &t in times {
                let (sn, cs) =
                    (2.0 * std::f64::consts::PI * frac(k as f64 * f * (t - t_ref))).sin_cos();
                c += cs;
                s += sn;
            }
            if n > 0.0 {
                2.0 * (c * c + s * s) / n
            } else {
                0.0
            }
        })
        .collect()
}

/// Z²ₙ at one frequency by the plain double loop over harmonics and events (the oracle);
/// `t_ref = times[0]`; 0 for no events.
pub fn z2_direct(times: &[f64], f: f64, nharm: usize) -> f64 {
    match times.first() {
        Some(&t0) => z2_harmonics(times, t0, f, nharm).iter().sum(),
        None => 0.0,
    }
}

/// Exact Z²ₙ on every frequency of `grid` (NUFFT, tolerance 1e-12), `t_ref = times[0]`.
pub fn z2_search(
    times: &[f64],
    grid: &FrequencyGrid,
    nharm: usize,
) -> Result<Vec<f64>, TimingError> {
    z2_search_with(times, grid, nharm, Z2Convention::Exact, DEFAULT_TOLERANCE)
}

/// Z²ₙ on `grid` in the given convention; `tol` is the NUFFT tolerance of the exact search
/// (default 1e-12, ignored by the stingray convention).
pub fn z2_search_with(
    times: &[f64],
    grid: &FrequencyGrid,
    nharm: usize,
    convention: Z2Convention,
    tol: f64,
) -> Result<Vec<f64>, TimingError> {
    check_inputs(times, nharm)?;
    match convention {
        Z2Convention::Exact => z2_search_exact(times, grid, nharm, tol),
        Z2Convention::Stingray { nbin } => z2_search_stingray(times, grid, nharm, nbin),
    }
}

fn z2_search_exact(
    times: &[f64],
    grid: &FrequencyGrid,
    nharm: usize,
    tol: f64,
) -> Result<Vec<f64>, TimingError> {
    Z2Plan::new(grid, tol)?.search(times, nharm)
}

/// NUFFT plans for exact Z² searches on one grid, reusable for many event lists (the plans
/// cost more than a search of a few hundred events).
pub struct Z2Plan {
    grid: FrequencyGrid,
    plans: Vec<(usize, std::sync::Arc<super::nufft::NufftPlan>)>,
}

impl Z2Plan {
    /// Plans for `grid` at NUFFT tolerance `tol` (default 1e-12).
    pub fn new(grid: &FrequencyGrid, tol: f64) -> Result<Z2Plan, TimingError> {
        Ok(Z2Plan {
            grid: *grid,
            plans: block_plans(grid.n, tol)?,
        })
    }

    /// Exact Z²ₙ of `times` on the plan's grid (`t_ref = times[0]`).
    pub fn search(&self, times: &[f64], nharm: usize) -> Result<Vec<f64>, TimingError> {
        check_inputs(times, nharm)?;
        let grid = &self.grid;
        let t0 = times[0];
        let tau: Vec<f64> = times.iter().map(|&t| t - t0).collect();
        let jobs: Vec<(usize, usize)> = (1..=nharm)
            .flat_map(|k| (0..self.plans.len()).map(move |b| (k, b)))
            .collect();
        let blocks: Vec<(usize, Vec<f64>)> = jobs
            .par_iter()
            .map(|&(k, b)| {
                let (start, plan) = &self.plans[b];
                grid_block_sums(&tau, None, grid, k as f64, *start, plan)
                    .map(|s| (*start, s.into_iter().map(|v| v.norm_sqr()).collect()))
            })
            .collect::<Result<_, _>>()?;
        let mut z = vec![0.0; grid.n];
        let norm = 2.0 / times.len() as f64;
        for (s, p) in blocks {
            for (zi, pi) in z[s..].iter_mut().zip(p) {
                *zi += norm * pi;
            }
        }
        Ok(z)
    }
}

/// The events stingray keeps: `τ = t − t₀` with `τ < τ_last`.
pub fn stingray_kept_times(times: &[f64]) -> Vec<f64> {
    let t0 = times[0];
    let last = times[times.len() - 1] - t0;
    times
        .iter()
        .map(|&t| t - t0)
        .filter(|&tau| (0.0..last).contains(&tau))
        .collect()
}

/// stingray's binned Z² of a folded profile (bin-centre phases), given the cos/sin tables.
fn binned_z2(profile: &[u64], table: &[(f64, f64)], nharm: usize) -> f64 {
    let nbin = profile.len();
    let total: u64 = profile.iter().sum();
    if total == 0 {
        return 0.0;
    }
    let mut z = 0.0;
    for k in 0..nharm {
        let row = &table[k * nbin..(k + 1) * nbin];
        let (mut c, mut s) = (0.0, 0.0);
        for (&n, &(cs, sn)) in profile.iter().zip(row) {
            c += cs * n as f64;
            s += sn * n as f64;
        }
        z += c * c + s * s;
    }
    z * 2.0 / total as f64
}

fn z2_search_stingray(
    times: &[f64],
    grid: &FrequencyGrid,
    nharm: usize,
    nbin: usize,
) -> Result<Vec<f64>, TimingError> {
    if nbin < 2 {
        return Err(TimingError::param(format!(
            "stingray Z²: nbin = {nbin} (expected ≥ 2, stingray's default is 128)"
        )));
    }
    let tau = stingray_kept_times(times);
    let table: Vec<(f64, f64)> = (1..=nharm)
        .flat_map(|k| {
            (0..nbin).map(move |b| {
                let (s, c) = (2.0 * std::f64::consts::PI * k as f64 * (b as f64 + 0.5)
                    / nbin as f64)
                    .sin_cos();
                (c, s)
            })
        })
        .collect();
    Ok((0..grid.n)
        .into_par_iter()
        .map_init(
            || vec![0u64; nbin],
            |profile, i| {
                fold_counts_stingray(&tau, grid.freq(i), profile);
                binned_z2(profile, &table, nharm)
            },
        )
        .collect())
}

/// stingray's `_profile_fast`: counts in `⌊(τf − ⌊τf⌋)·nbin⌋`.
pub(crate) fn fold_counts_stingray(tau: &[f64], f: f64, profile: &mut [u64]) {
    let nbin = profile.len();
    profile.iter_mut().for_each(|p| *p = 0);
    for &t in tau {
        let ph = frac(t * f);
        let b = ((ph * nbin as f64).floor() as usize).min(nbin - 1);
        profile[b] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// N events over `span` s, a fraction `pf` of them from a sinusoid at `f0`.
    fn events(n: usize, span: f64, f0: f64, pf: f64, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut t: Vec<f64> = (0..n)
            .map(|_| loop {
                let t = rng.gen_range(0.0..span);
                let r = 1.0 + pf * (2.0 * std::f64::consts::PI * f0 * t).sin();
                if rng.gen_range(0.0..1.0 + pf) < r {
                    break 1e8 + t;
                }
            })
            .collect();
        t.sort_by(f64::total_cmp);
        t
    }

    fn check_against_direct(times: &[f64], grid: &FrequencyGrid, nharm: usize) -> f64 {
        let z = z2_search(times, grid, nharm).unwrap();
        let mut worst = 0.0f64;
        for i in (0..grid.n).step_by(grid.n / 200) {
            let d = z2_direct(times, grid.freq(i), nharm);
            worst = worst.max((z[i] - d).abs() / d);
        }
        worst
    }

    #[test]
    fn exact_search_matches_direct_summation_to_1e_minus_6() {
        // 10⁴ events over 10⁴ s (times near 1e8 s as in a real mission), 10⁴ frequencies
        let sig = events(10_000, 1e4, 0.123_456, 0.3, 7);
        let noise = events(10_000, 1e4, 0.0, 0.0, 8);
        let grid = FrequencyGrid::new(0.1, 2e-5, 10_000).unwrap();
        let z = z2_search(&sig, &grid, 2).unwrap();
        let imax = (0..grid.n).max_by(|&a, &b| z[a].total_cmp(&z[b])).unwrap();
        assert!((grid.freq(imax) - 0.123_456).abs() < 5e-5 && z[imax] > 100.0);
        for nh in [1, 2, 3] {
            for times in [&sig, &noise] {
                let w = check_against_direct(times, &grid, nh);
                assert!(w < 1e-6, "n = {nh}: worst relative deviation {w:e}");
            }
        }
        // the peak itself
        let d = z2_direct(&sig, grid.freq(imax), 2);
        assert!((z[imax] - d).abs() < 1e-9 * d);
    }

    #[test]
    fn blocks_and_grid_edges_are_right() {
        let t = events(300, 500.0, 0.0, 0.0, 3);
        for n in [1, 2, 7] {
            let grid = FrequencyGrid::new(0.37, 1e-3, n).unwrap();
            let z = z2_search(&t, &grid, 2).unwrap();
            for (i, zi) in z.iter().enumerate() {
                let d = z2_direct(&t, grid.freq(i), 2);
                assert!(
                    (zi - d).abs() < 1e-9 * d.max(1e-3),
                    "n={n} i={i}: {zi} vs {d}"
                );
            }
        }
    }

    #[test]
    fn stingray_convention_drops_the_last_event_and_bins() {
        let t = events(2000, 1000.0, 0.5, 0.4, 11);
        let grid = FrequencyGrid::new(0.45, 1e-3, 101).unwrap();
        let s = z2_search_with(&t, &grid, 2, Z2Convention::Stingray { nbin: 128 }, 1e-12).unwrap();
        let e = z2_search(&t, &grid, 2).unwrap();
        let kept = stingray_kept_times(&t);
        assert_eq!(kept.len(), t.len() - 1);
        for (i, &si) in s.iter().enumerate() {
            // independent: fold by hand, bin-centre phases, direct Z² of N − 1 events
            let f = grid.freq(i);
            let centres: Vec<f64> = kept
                .iter()
                .map(|&x| {
                    let b = ((x * f - (x * f).floor()) * 128.0).floor();
                    (b + 0.5) / 128.0 / f
                })
                .collect();
            let d = z2_harmonics(&centres, 0.0, f, 2).iter().sum::<f64>();
            assert!((si - d).abs() < 1e-9 * d.max(1.0), "{si} vs {d}");
        }
        // close to, but not equal to, the exact statistic: at the peak (Z² ≈ 160) to < 1 %
        let ip = (0..grid.n).max_by(|&a, &b| e[a].total_cmp(&e[b])).unwrap();
        assert!(e[ip] > 100.0 && (s[ip] - e[ip]).abs() < 0.01 * e[ip]);
        assert!(s
            .iter()
            .zip(&e)
            .all(|(a, b)| (a - b).abs() < 0.1 * b.max(4.0)));
        assert!(s.iter().zip(&e).any(|(a, b)| (a - b).abs() > 1e-3));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let g = FrequencyGrid::new(1.0, 0.1, 3).unwrap();
        assert!(z2_search(&[], &g, 2).is_err());
        assert!(z2_search(&[1.0, f64::NAN], &g, 2).is_err());
        assert!(z2_search(&[1.0, 2.0], &g, 0).is_err());
        let st = Z2Convention::Stingray { nbin: 1 };
        assert!(z2_search_with(&[1.0, 2.0], &g, 1, st, 1e-12).is_err());
        assert_eq!(z2_direct(&[], 1.0, 2), 0.0);
    }
}
