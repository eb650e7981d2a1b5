//! Photon spectra folded through a response: the PI of a simulated source photon is drawn from
//! its model spectrum (XSPEC conventions, `exod_core::spectral::model`) folded through an OGIP
//! response (RMF × ARF), so that the spectrum extracted from the simulated events can be fitted
//! back with the same response and give back the injected parameters (issue 13).
//!
//! The forward-folding of OGIP memo CAL/GEN/92-002, drawn instead of summed: for a model photon
//! flux `F_e` in the energy bins of the response, the expected count rate of channel c is
//! `m_c = Σ_e F_e · A_e · R_{e,c}` (`Response::fold`: ARF A, RMF R); a photon's channel is drawn
//! with probability `m_c / Σ_c' m_c'` by a cumulative table over the channels and a binary
//! search (12 steps for the 4096 pn channels). This is the marginal of the two-stage draw
//! (energy bin ∝ F_e A_e Σ_c R_{e,c}, then channel ∝ R_{e,c}) but exact for the real pn matrix,
//! which holds 50 106 small negative elements (down to −1.05e-3, compensating the
//! redistribution tails) that no per-row draw can honour. A channel whose folded rate is
//! negative is given probability 0 ([`SpectralSampler::clipped`]: 8e-10 of the rate of the
//! default `tbabs*powerlaw`).
//!
//! A source's count rate is `Σ_c m_c`: the rate of photons detected anywhere in the response.
//! PI is in eV: `5 · channel + u`, u uniform in 0–4, the 5 eV channels of the EPIC pn matrices
//! (`PI / 5` gives the channel back, as SAS `evselect` bins spectra with `spectralbinsize=5`).
//! Vignetting is energy independent, as elsewhere in the simulator: it scales the rate, not the
//! spectrum.
//!
//! In a simulation ([`crate::simulate::Spectra`]): the response is the one written beside the
//! first camera's event list, read back with `exod_io::ogip` (the pn one, or a MOS one whose ARF
//! is 0.35 × pn: the same shape). Every source photon (target, population, cluster, bursts,
//! periodic sources) takes its PI from its source's sampler; the backgrounds (particles, cosmic
//! background, soft protons, hot pixels) keep their own energy model, not folded through the
//! ARF. A source's norms are set so that its count rate through the pn response,
//! `Σ_c fold(F)_c`, is its on-axis pn rate; that is the truth recorded.

use rand::Rng;

use exod_core::spectral::data::Response;
use exod_core::spectral::model::{Model, ModelOptions, SpectralModel};
use exod_core::spectral::SpectralError;
use rand_distr::{Distribution, Normal};

use super::camera::Energy;
use super::geometry::area_factor;
use super::sources::photon_energy;
use super::{rng_for, SimConfig, SimError, SimSource, Spectra, SpectrumTruth};

/// Width of a PI channel (eV): PI = `PI_CHANNEL_EV · channel + u`, u uniform in 0..`PI_CHANNEL_EV`.
pub const PI_CHANNEL_EV: i64 = 5;

/// Draws the channels (and PI) of the photons of one source: its model at fixed parameters,
/// folded through a response.
#[derive(Debug, Clone)]
pub struct SpectralSampler {
    /// The channel number of channel index 0 (0 for the pn matrices).
    first_channel: i64,
    /// Cumulative folded count rate over the channels (counts s⁻¹; negative channels as 0).
    cum: Vec<f64>,
    /// `Σ_c m_c` (negative channels included).
    rate: f64,
    /// `Σ_c max(−m_c, 0)`: the folded rate of the channels given probability 0.
    clipped: f64,
}

impl SpectralSampler {
    /// A sampler of `model` at parameters `p` (in the order of `model.params()`) through
    /// `response`. Errors when the model gives a negative or non-finite flux, or no count at
    /// all through the response.
    pub fn new(
        response: &Response,
        model: &dyn SpectralModel,
        p: &[f64],
    ) -> Result<SpectralSampler, SpectralError> {
        let fold = folded(response, model, p)?;
        let (mut acc, mut rate, mut clipped) = (0.0, 0.0, 0.0);
        let cum: Vec<f64> = fold
            .iter()
            .map(|&m| {
                rate += m;
                if m > 0.0 {
                    acc += m;
                } else {
                    clipped -= m;
                }
                acc
            })
            .collect();
        if !(acc > 0.0 && acc.is_finite()) {
            return Err(SpectralError::param(format!(
                "the model predicts a count rate of {acc} through the response {}: expected a positive rate",
                response.rmf.name
            )));
        }
        Ok(SpectralSampler {
            first_channel: response.rmf.first_channel,
            cum,
            rate,
            clipped,
        })
    }

    /// The count rate (counts s⁻¹) summed over all channels: `Σ_c Response::fold(F)_c`.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The folded rate of the channels given probability 0 because it is negative (counts s⁻¹).
    pub fn clipped(&self) -> f64 {
        self.clipped
    }

    /// One channel index (0-based), with probability `max(fold(F)_c, 0) / Σ`.
    pub fn channel_index<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let total = self.cum[self.cum.len() - 1];
        let x = rng.gen::<f64>() * total;
        self.cum
            .partition_point(|&c| c <= x)
            .min(self.cum.len() - 1)
    }

    /// One PI value (eV): `5 · (first channel + channel index) + u`, u uniform in 0–4.
    pub fn pi<R: Rng + ?Sized>(&self, rng: &mut R) -> i64 {
        let c = self.first_channel + self.channel_index(rng) as i64;
        PI_CHANNEL_EV * c + rng.gen_range(0..PI_CHANNEL_EV)
    }
}

/// `Response::fold` of `model` at `p`, after checking the parameters and the flux.
fn folded(
    response: &Response,
    model: &dyn SpectralModel,
    p: &[f64],
) -> Result<Vec<f64>, SpectralError> {
    if p.len() != model.params().len() {
        return Err(SpectralError::param(format!(
            "{} parameter values for a model of {} parameters",
            p.len(),
            model.params().len()
        )));
    }
    let (lo, hi) = (response.energ_lo(), response.energ_hi());
    let mut flux = vec![0.0; lo.len()];
    model.eval(p, lo, hi, &mut flux);
    if let Some(e) = flux.iter().position(|f| !(f.is_finite() && *f >= 0.0)) {
        return Err(SpectralError::param(format!(
            "model flux {} in the energy bin {}–{} keV: expected a finite flux ≥ 0",
            flux[e], lo[e], hi[e]
        )));
    }
    let mut out = vec![0.0; response.rmf.n_channels()];
    response.fold(&flux, &mut out);
    Ok(out)
}

/// Which parameters of `model` are normalisations (XSPEC's `norm` of every additive component).
pub fn norm_indices(model: &dyn SpectralModel) -> Vec<usize> {
    model
        .params()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.name.eq_ignore_ascii_case("norm"))
        .map(|(i, _)| i)
        .collect()
}

/// The parameters `p` with every `norm` multiplied by one factor so that the model's count rate
/// through `response` is `rate` (counts s⁻¹ summed over all channels, ≥ 0), and the sampler at
/// them. The spectral shape does not change (the models are linear in their norms jointly).
pub fn normalised_to_rate(
    response: &Response,
    model: &dyn SpectralModel,
    p: &[f64],
    rate: f64,
) -> Result<(Vec<f64>, SpectralSampler), SpectralError> {
    if !(rate >= 0.0 && rate.is_finite()) {
        return Err(SpectralError::param(format!(
            "count rate {rate}: expected a finite rate ≥ 0"
        )));
    }
    let norms = norm_indices(model);
    if norms.is_empty() {
        return Err(SpectralError::param(
            "the model has no norm parameter: a simulated source needs one to set its rate",
        ));
    }
    let sampler = SpectralSampler::new(response, model, p)?;
    let k = rate / sampler.rate();
    let mut q = p.to_vec();
    for i in norms {
        q[i] *= k;
    }
    Ok((q, sampler))
}

// ---------------------------------------------------------------------------------------------
// The spectra of a simulation
// ---------------------------------------------------------------------------------------------

/// One source's spectrum in a simulation: its truth and its sampler.
pub(super) struct SourceSpectrum {
    pub(super) truth: SpectrumTruth,
    sampler: SpectralSampler,
}

/// The spectra of every photon source of a simulation, parallel to the constant sources, the
/// bursts and the periodic sources of the configuration.
pub(super) struct SimSpectra {
    pub(super) sources: Vec<SourceSpectrum>,
    pub(super) bursts: Vec<SourceSpectrum>,
    pub(super) periodic: Vec<SourceSpectrum>,
}

/// The energy of one photon of a source: a PI through its spectrum, or (legacy energy model,
/// `None`) a true energy from the log-normal spectrum.
pub(super) fn photon(s: Option<&SourceSpectrum>, rng: &mut rand_chacha::ChaCha8Rng) -> Energy {
    match s {
        Some(s) => Energy::Pi(s.sampler.pi(rng) as i16),
        None => Energy::True(photon_energy(rng)),
    }
}

/// Parse a model expression (`tbabs*powerlaw`, XSPEC syntax) with the embedded absorption
/// tables (no AtomDB: `apec` is refused).
pub fn parse_model(expr: &str) -> Result<Model, SpectralError> {
    Model::parse(expr, &ModelOptions::default())
}

/// The parameter values of `model` with the configured ones set (by XSPEC or full name,
/// case-insensitive). Refuses unknown, ambiguous, out-of-range and `norm` parameters.
pub fn configured_params(
    model: &dyn SpectralModel,
    given: &[(String, f64)],
) -> Result<Vec<f64>, SpectralError> {
    let ps = model.params();
    let mut p: Vec<f64> = ps.iter().map(|q| q.value).collect();
    for (name, v) in given {
        let hits: Vec<usize> = (0..ps.len())
            .filter(|&i| {
                ps[i].full_name().eq_ignore_ascii_case(name)
                    || ps[i].name.eq_ignore_ascii_case(name)
            })
            .collect();
        let names: Vec<String> = ps.iter().map(|q| q.full_name()).collect();
        let i = match hits.as_slice() {
            [i] => *i,
            [] => {
                return Err(SpectralError::param(format!(
                "spectrum parameter {name:?}: not a parameter of the model (its parameters: {})",
                names.join(", ")
            )))
            }
            _ => {
                return Err(SpectralError::param(format!(
                    "spectrum parameter {name:?} is ambiguous: give component.name (one of {})",
                    names.join(", ")
                )))
            }
        };
        if ps[i].name.eq_ignore_ascii_case("norm") {
            return Err(SpectralError::param(format!(
                "spectrum parameter {name:?}: norms are set from the sources' count rates"
            )));
        }
        if !(v.is_finite() && *v >= ps[i].min && *v <= ps[i].max) {
            return Err(SpectralError::param(format!(
                "spectrum parameter {} = {v}: expected {}–{}",
                ps[i].full_name(),
                ps[i].min,
                ps[i].max
            )));
        }
        p[i] = *v;
    }
    Ok(p)
}

/// Read the response written at `(rmf, arf)` back, as the fitter will read it.
fn read_back(rmf: &std::path::Path, arf: &std::path::Path) -> Result<Response, SimError> {
    exod_io::ogip::read_response(rmf, Some(arf)).map_err(|e| SimError::Response {
        path: rmf.to_path_buf(),
        msg: e.to_string(),
    })
}

/// The spectra of every photon source of `cfg`, through the response written for its first
/// camera (`response`): configured parameters for the target, cluster, bursts and periodic
/// sources, the seeded spread for the population (stream 11 of the population's seed).
pub(super) fn source_spectra(
    cfg: &SimConfig,
    sp: &Spectra,
    response: &(std::path::PathBuf, std::path::PathBuf),
    sources: &[SimSource],
) -> Result<SimSpectra, SimError> {
    let model = parse_model(&sp.model)?;
    let base = configured_params(&model, &sp.params)?;
    validate_spread(sp)?;
    let response = read_back(&response.0, &response.1)?;
    // rates are pn rates; the response is the first camera's
    let cam_factor = area_factor(cfg.cameras[0]);
    let make = |p: &[f64], rate_pn: f64| -> Result<SourceSpectrum, SimError> {
        let (q, sampler) = normalised_to_rate(&response, &model, p, rate_pn * cam_factor)?;
        let params = model
            .params()
            .iter()
            .zip(&q)
            .map(|(par, &v)| (par.full_name(), v))
            .collect();
        Ok(SourceSpectrum {
            truth: SpectrumTruth {
                model: sp.model.clone(),
                params,
            },
            sampler,
        })
    };
    let pop_seed = cfg.field.as_ref().map_or(cfg.seed, |f| f.seed);
    let mut rng = rng_for(pop_seed, 11);
    let mut out = SimSpectra {
        sources: Vec::with_capacity(sources.len()),
        bursts: Vec::new(),
        periodic: Vec::new(),
    };
    for (si, s) in sources.iter().enumerate() {
        let population = s.extent == 0.0 && !(si == 0 && cfg.target_rate > 0.0);
        let p = if population {
            spread(&model, &base, sp, &mut rng)
        } else {
            base.clone()
        };
        out.sources.push(make(&p, s.rate_pn)?);
    }
    let total_area: f64 = cfg.cameras.iter().map(|&c| area_factor(c)).sum();
    for b in &cfg.bursts {
        out.bursts
            .push(make(&base, b.counts / total_area / b.duration)?);
    }
    for p in &cfg.periodic {
        out.periodic.push(make(&base, p.rate_pn)?);
    }
    Ok(out)
}

/// Reject a spread the simulator cannot draw from.
fn validate_spread(sp: &Spectra) -> Result<(), SimError> {
    let ok_sigma = sp.photon_index_sigma >= 0.0 && sp.photon_index_sigma.is_finite();
    let ok_nh = sp
        .nh_range
        .is_none_or(|(a, b)| a > 0.0 && b >= a && b.is_finite());
    if !(ok_sigma && ok_nh) {
        return Err(SimError::Config(format!(
            "population spectra: PhoIndex σ {} and nH range {:?}: expected σ ≥ 0 and 0 < nH_min ≤ nH_max",
            sp.photon_index_sigma, sp.nh_range
        )));
    }
    Ok(())
}

/// The parameters of one population source: every `PhoIndex` moved by one N(0, σ) draw, every
/// `nH` replaced by one log-uniform draw in the range (both drawn even when the model has no
/// such parameter, so the stream does not depend on the model), clamped to the hard limits.
fn spread(
    model: &dyn SpectralModel,
    base: &[f64],
    sp: &Spectra,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> Vec<f64> {
    use rand::Rng as _;
    let z: f64 = Normal::new(0.0, 1.0).expect("unit normal").sample(rng);
    let u: f64 = rng.gen();
    let mut p = base.to_vec();
    for (i, par) in model.params().iter().enumerate() {
        let v = if par.name.eq_ignore_ascii_case("PhoIndex") {
            base[i] + sp.photon_index_sigma * z
        } else if par.name.eq_ignore_ascii_case("nH") {
            match sp.nh_range {
                Some((a, b)) => a * (b / a).powf(u),
                None => base[i],
            }
        } else {
            continue;
        };
        p[i] = v.clamp(par.min, par.max);
    }
    p
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use exod_core::spectral::data::{Arf, Rmf};
    use exod_core::spectral::model::Param;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// A power law `norm · E^-Γ` integrated exactly over each bin (params PhoIndex, norm).
    pub(crate) struct TestPowerlaw {
        params: Vec<Param>,
    }

    impl TestPowerlaw {
        pub(crate) fn new() -> TestPowerlaw {
            let p = |name: &str, value: f64| Param {
                component: "powerlaw".into(),
                name: name.into(),
                unit: String::new(),
                value,
                min: -3.0,
                max: 1e24,
                frozen: false,
            };
            TestPowerlaw {
                params: vec![p("PhoIndex", 1.7), p("norm", 1.0)],
            }
        }
    }

    impl SpectralModel for TestPowerlaw {
        fn params(&self) -> &[Param] {
            &self.params
        }
        fn eval(&self, p: &[f64], lo: &[f64], hi: &[f64], out: &mut [f64]) {
            let g = 1.0 - p[0];
            for i in 0..lo.len() {
                out[i] = p[1] * (hi[i].powf(g) - lo[i].powf(g)) / g;
            }
        }
        fn eval_unabsorbed(&self, p: &[f64], lo: &[f64], hi: &[f64], out: &mut [f64]) {
            self.eval(p, lo, hi, out)
        }
    }

    /// A Gaussian-resolution response: 200 energy bins 0.2–10.2 keV, 400 channels of 25 eV
    /// (0-based), σ = 0.1 √E keV truncated at 4σ, rows scaled to sum to 0.9, an ARF rising then
    /// falling.
    pub(crate) fn toy_response() -> Response {
        let n_e = 200;
        let lo: Vec<f64> = (0..n_e).map(|i| 0.2 + 0.05 * i as f64).collect();
        let hi: Vec<f64> = lo.iter().map(|l| l + 0.05).collect();
        let n_c = 480;
        let e_min: Vec<f64> = (0..n_c).map(|c| 0.025 * c as f64).collect();
        let e_max: Vec<f64> = e_min.iter().map(|e| e + 0.025).collect();
        let rows = (0..n_e)
            .map(|i| {
                let e = 0.5 * (lo[i] + hi[i]);
                let s = 0.1 * e.sqrt();
                let c_lo = (((e - 4.0 * s) / 0.025).floor().max(0.0)) as usize;
                let c_hi = (((e + 4.0 * s) / 0.025).ceil() as usize).min(n_c);
                let mut v: Vec<f64> = (c_lo..c_hi)
                    .map(|c| {
                        let x = (e_min[c] + 0.0125 - e) / s;
                        (-0.5 * x * x).exp()
                    })
                    .collect();
                let t: f64 = v.iter().sum();
                v.iter_mut().for_each(|x| *x *= 0.9 / t);
                vec![(c_lo, v)]
            })
            .collect();
        let rmf = Rmf::new("toy.rmf", lo.clone(), hi.clone(), 0, e_min, e_max, rows).unwrap();
        let specresp = lo
            .iter()
            .map(|&l| 400.0 * l / (1.0 + (l / 2.0).powi(2)))
            .collect();
        let arf = Arf {
            name: "toy.arf".into(),
            energ_lo: lo,
            energ_hi: hi,
            specresp,
        };
        Response::new(rmf, Some(arf)).unwrap()
    }

    /// χ² of a histogram against its expectation, over channels grouped to ≥ 20 expected
    /// counts; returns (χ², dof).
    pub(crate) fn chi2(hist: &[u64], expected: &[f64]) -> (f64, usize) {
        let (mut chi2, mut groups, mut o, mut e) = (0.0, 0usize, 0.0, 0.0);
        for (h, x) in hist.iter().zip(expected) {
            o += *h as f64;
            e += x;
            if e >= 20.0 {
                chi2 += (o - e).powi(2) / e;
                groups += 1;
                o = 0.0;
                e = 0.0;
            }
        }
        assert!(o == 0.0 || e > 0.0, "counts {o} where none is expected");
        (chi2, groups - 1)
    }

    /// Survival probability of χ² with `dof` degrees of freedom.
    pub(crate) fn chi2_q(chi2: f64, dof: usize) -> f64 {
        exod_core::stats::ln_gamma_pq(dof as f64 / 2.0, chi2 / 2.0)
            .1
            .exp()
    }

    #[test]
    fn channel_histogram_of_a_million_draws_follows_the_folded_model() {
        let r = toy_response();
        let m = TestPowerlaw::new();
        let p = [1.7, 1e-3];
        let s = SpectralSampler::new(&r, &m, &p).unwrap();
        let mut flux = vec![0.0; r.energ_lo().len()];
        m.eval(&p, r.energ_lo(), r.energ_hi(), &mut flux);
        let mut fold = vec![0.0; r.rmf.n_channels()];
        r.fold(&flux, &mut fold);
        let total: f64 = fold.iter().sum();
        assert!(
            (s.rate() - total).abs() < 1e-12 * total,
            "{} {total}",
            s.rate()
        );
        let n = 1_000_000u64;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut hist = vec![0u64; fold.len()];
        for _ in 0..n {
            hist[s.channel_index(&mut rng)] += 1;
        }
        let expected: Vec<f64> = fold.iter().map(|f| f / total * n as f64).collect();
        let (c2, dof) = chi2(&hist, &expected);
        let q = chi2_q(c2, dof);
        assert!(dof > 300, "{dof}");
        assert!(q > 1e-3, "χ² = {c2:.1} for {dof} dof, Q = {q:.2e}");
        // a slightly different index is rejected by the same test: the test has power
        let wrong = SpectralSampler::new(&r, &m, &[1.75, 1e-3]).unwrap();
        let mut hist = vec![0u64; fold.len()];
        for _ in 0..n {
            hist[wrong.channel_index(&mut rng)] += 1;
        }
        let (c2w, dofw) = chi2(&hist, &expected);
        assert!(chi2_q(c2w, dofw) < 1e-6, "χ² = {c2w:.1} for {dofw} dof");
    }

    #[test]
    fn pi_is_five_ev_channels_with_a_uniform_offset() {
        let r = toy_response();
        let s = SpectralSampler::new(&r, &TestPowerlaw::new(), &[2.0, 1.0]).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut offsets = [0u32; 5];
        for _ in 0..50_000 {
            let mut r1 = rng.clone();
            let c = s.channel_index(&mut r1) as i64;
            let pi = s.pi(&mut rng);
            assert_eq!(pi.div_euclid(5), c, "PI {pi} is not in channel {c}");
            offsets[pi.rem_euclid(5) as usize] += 1;
        }
        for o in offsets {
            assert!((o as f64 - 10_000.0).abs() < 500.0, "{offsets:?}");
        }
    }

    #[test]
    fn norms_are_scaled_to_the_requested_count_rate() {
        let r = toy_response();
        let m = TestPowerlaw::new();
        let (q, s) = normalised_to_rate(&r, &m, &[1.9, 1.0], 0.25).unwrap();
        assert_eq!(q[0], 1.9);
        // direct computation: Σ_e F_e(norm) · (ARF_e × 0.9)
        let mut flux = vec![0.0; 200];
        m.eval(&q, r.energ_lo(), r.energ_hi(), &mut flux);
        let direct: f64 = flux
            .iter()
            .zip(&r.arf.as_ref().unwrap().specresp)
            .map(|(f, a)| f * a * 0.9)
            .sum();
        assert!((direct - 0.25).abs() < 1e-12, "{direct}");
        assert!((s.rate() * q[1] - 0.25).abs() < 1e-12);
        // a source of no counts (a burst of 0 counts) has norm 0; a negative rate is refused
        let (q0, _) = normalised_to_rate(&r, &m, &[1.9, 1.0], 0.0).unwrap();
        assert_eq!(q0, vec![1.9, 0.0]);
        assert!(normalised_to_rate(&r, &m, &[1.9, 1.0], -1.0).is_err());
        let e = SpectralSampler::new(&r, &m, &[1.9, -1.0]).unwrap_err();
        assert!(e.to_string().contains("finite flux"), "{e}");
    }
}
