//! The data of one fit: the noticed groups of a source spectrum (and its background) with the
//! response that predicts them.
//!
//! * Grouping from the GROUPING column (1 starts a group, −1 continues it, 0 a group of one);
//!   channels with QUALITY ≠ 0 are left out of the group sums (Sherpa's `ignore_bad`), and a group
//!   with no good channel is dropped.
//! * Energy filter `lo–hi` keV as Sherpa's `notice(lo, hi)` on grouped data (`DataPHA.notice` →
//!   `filter_bins(integrated=True)`): a group is kept whole when `lo < e_hi` and `e_lo < hi`, with
//!   `e_lo`/`e_hi` the smallest E_MIN / largest E_MAX (RMF EBOUNDS) of its good channels, and the
//!   comparisons fuzzy as Sherpa's ([`sao_fcmp`], ~1.2e-7 relative): a group ending exactly at `lo`
//!   or starting exactly at `hi` is dropped.
//! * Predicted source counts of a group: `Σ_c EXPOSURE · AREASCAL_c · fold(model)_c` over its good
//!   channels ([`Response::fold`]).
//! * Background (as Sherpa, `astro/data.py`): subtracted counts per channel
//!   `s_c b_c`, `s_c = (EXPOSURE·BACKSCAL_c·AREASCAL_c)_src / (EXPOSURE·BACKSCAL_c·AREASCAL_c)_bkg`,
//!   summed over the group ([`BinData::sb`]); the group's scale for the χ² variances and wstat is
//!   `s = (EXPOSURE·B_g·A_g)_src / (EXPOSURE·B_g·A_g)_bkg` with array BACKSCAL/AREASCAL reduced per
//!   group to `(min + max)/2` (Sherpa's `_middle`; with scalar keywords all agree). Background counts
//!   and STAT_ERR (in quadrature) are summed over the same good channels. Sherpa replaces
//!   BACKSCAL/AREASCAL ≤ 0 by 1; here they are an error.

#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x > 0.0)` rejects NaN on purpose
#![allow(clippy::needless_range_loop)] // index loops over several parallel arrays

use super::data::{Response, Spectrum};
use super::model::SpectralModel;
use super::stat::BinData;
use super::SpectralError;

/// Options of [`FitData::new`].
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct FitDataOptions {
    /// Energy range (keV) noticed, Sherpa `notice(lo, hi)` semantics (default None: every group
    /// with a good channel).
    pub energy: Option<(f64, f64)>,
}

/// One noticed group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Group {
    /// Index (0-based) of the group's first channel in the spectrum.
    pub first_channel_index: usize,
    /// Index of its last channel (inclusive, bad channels included in the span).
    pub last_channel_index: usize,
    /// Lower energy bound (keV, E_MIN of its first good channel).
    pub e_lo: f64,
    /// Upper energy bound (keV, E_MAX of its last good channel).
    pub e_hi: f64,
}

/// The noticed groups of a spectrum with their response, ready for a fit.
#[derive(Debug, Clone)]
pub struct FitData {
    /// Name of the source spectrum.
    pub name: String,
    /// Source EXPOSURE (s).
    pub exposure: f64,
    /// The noticed groups.
    pub groups: Vec<Group>,
    /// Counts, background and errors per noticed group (for the statistics).
    pub bins: Vec<BinData>,
    /// Whether a background spectrum was given.
    pub has_background: bool,
    /// Whether the source has STAT_ERR and POISSERR = F (the `chi2` statistic is usable).
    pub has_stat_err: bool,
    /// The response (model energy grid and folding).
    pub response: Response,
    /// Good channel indices of all groups, concatenated.
    chan: Vec<usize>,
    /// EXPOSURE·AREASCAL of each entry of `chan`.
    weight: Vec<f64>,
    /// Group g uses `chan[offset[g]..offset[g + 1]]`.
    offset: Vec<usize>,
    /// The response summed into the noticed groups, one dense segment of groups per energy bin:
    /// `G[e, g] = Σ_{c ∈ g} EXPOSURE·AREASCAL_c·(RMF × ARF)[e, c]` for
    /// `g = gfirst[e] .. gfirst[e] + (gptr[e + 1] − gptr[e])`, values `gvals[gptr[e]..gptr[e + 1]]`
    /// (zeros inside a segment kept: a channel response is contiguous, so are the groups).
    gptr: Vec<usize>,
    gfirst: Vec<u32>,
    gvals: Vec<f64>,
}

/// Channel-level arrays of the background.
struct Background<'a> {
    spec: &'a Spectrum,
}

impl FitData {
    /// Noticed groups of `src` (background `bkg`, response `response`); see the module docs.
    pub fn new(
        src: &Spectrum,
        bkg: Option<&Spectrum>,
        response: Response,
        opts: &FitDataOptions,
    ) -> Result<FitData, SpectralError> {
        check_spectrum(src, &response)?;
        if let Some(b) = bkg {
            check_background(src, b)?;
        }
        let bkg = bkg.map(|spec| Background { spec });
        let spans = group_spans(src)?;
        let rmf = &response.rmf;
        let mut fd = FitData {
            name: src.name.clone(),
            exposure: src.exposure,
            groups: vec![],
            bins: vec![],
            has_background: bkg.is_some(),
            has_stat_err: src.stat_err.is_some() && !src.poisserr,
            chan: vec![],
            weight: vec![],
            offset: vec![0],
            gptr: vec![],
            gfirst: vec![],
            gvals: vec![],
            response: response.clone(),
        };
        for (a, b) in spans {
            let good: Vec<usize> = (a..=b).filter(|&c| src.quality[c] == 0).collect();
            if good.is_empty() {
                continue;
            }
            let e_lo = good
                .iter()
                .map(|&c| rmf.e_min[c])
                .fold(f64::INFINITY, f64::min);
            let e_hi = good
                .iter()
                .map(|&c| rmf.e_max[c])
                .fold(f64::NEG_INFINITY, f64::max);
            if let Some((lo, hi)) = opts.energy {
                if !(sao_fcmp(lo, e_hi) < 0 && sao_fcmp(e_lo, hi) < 0) {
                    continue;
                }
            }
            fd.push_group(src, bkg.as_ref(), &good, a, b, (e_lo, e_hi));
        }
        if fd.groups.is_empty() {
            return Err(SpectralError::input(
                &src.name,
                format!(
                    "no group left to fit after the quality and energy filters ({:?} keV)",
                    opts.energy
                ),
            ));
        }
        fd.build_grouped_response();
        Ok(fd)
    }

    /// Fill `gptr`/`gfirst`/`gvals` from the effective matrix and the groups' channels and weights.
    fn build_grouped_response(&mut self) {
        let eff = self.response.effective();
        let n_chan = eff.n_channels();
        let mut owner = vec![(u32::MAX, 0.0); n_chan];
        for g in 0..self.groups.len() {
            for k in self.offset[g]..self.offset[g + 1] {
                owner[self.chan[k]] = (g as u32, self.weight[k]);
            }
        }
        let mut acc = vec![0.0; self.groups.len()];
        let mut touched: Vec<u32> = vec![];
        self.gptr = Vec::with_capacity(eff.n_energies() + 1);
        self.gptr.push(0);
        for e in 0..eff.n_energies() {
            for (c0, vals) in eff.row(e) {
                for (c, &v) in (c0..).zip(vals) {
                    let (g, w) = owner[c];
                    if g != u32::MAX && v != 0.0 {
                        if acc[g as usize] == 0.0 {
                            touched.push(g);
                        }
                        acc[g as usize] += w * v;
                    }
                }
            }
            let first = touched.iter().min().copied().unwrap_or(0);
            let last = touched.iter().max().map_or(first, |&g| g + 1);
            for g in first..last {
                self.gvals.push(acc[g as usize]);
                acc[g as usize] = 0.0;
            }
            touched.clear();
            self.gfirst.push(first);
            self.gptr.push(self.gvals.len());
        }
    }

    fn push_group(
        &mut self,
        src: &Spectrum,
        bkg: Option<&Background>,
        good: &[usize],
        a: usize,
        b: usize,
        (e_lo, e_hi): (f64, f64),
    ) {
        let mut bin = BinData {
            d: 0.0,
            b: 0.0,
            s: 0.0,
            sb: 0.0,
            err_d: if self.has_stat_err { 0.0 } else { f64::NAN },
            err_b: 0.0,
        };
        let mut mid = [Middle::default(); 4]; // BACKSCAL, AREASCAL of source and background
        for &c in good {
            bin.d += src.counts[c];
            if let (true, Some(e)) = (self.has_stat_err, &src.stat_err) {
                bin.err_d += e[c] * e[c];
            }
            if let Some(bg) = bkg {
                let bs = bg.spec;
                bin.b += bs.counts[c];
                if let (false, Some(e)) = (bs.poisserr, &bs.stat_err) {
                    bin.err_b += e[c] * e[c];
                }
                let s = (src.exposure * src.backscal[c] * src.areascal[c])
                    / (bs.exposure * bs.backscal[c] * bs.areascal[c]);
                bin.sb += s * bs.counts[c];
                for (m, v) in mid.iter_mut().zip([
                    src.backscal[c],
                    src.areascal[c],
                    bs.backscal[c],
                    bs.areascal[c],
                ]) {
                    m.add(v);
                }
            }
            self.chan.push(c);
            self.weight.push(src.exposure * src.areascal[c]);
        }
        if let Some(bg) = bkg {
            let m: Vec<f64> = mid.iter().map(Middle::value).collect();
            bin.s = (src.exposure * m[0] * m[1]) / (bg.spec.exposure * m[2] * m[3]);
        }
        bin.err_d = bin.err_d.sqrt();
        bin.err_b = bin.err_b.sqrt();
        self.offset.push(self.chan.len());
        self.bins.push(bin);
        self.groups.push(Group {
            first_channel_index: a,
            last_channel_index: b,
            e_lo,
            e_hi,
        });
    }

    /// Number of noticed groups.
    pub fn n_bins(&self) -> usize {
        self.groups.len()
    }

    /// Predicted source counts per group from a model photon flux per energy bin of the response
    /// (`flux.len()` = energy bins); `out` gets one value per noticed group. Uses the response summed
    /// into the groups once at construction (the same sums as folding into channels first).
    pub fn counts_from_flux(&self, flux: &[f64], out: &mut [f64]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        for (e, &f) in flux.iter().enumerate() {
            if f == 0.0 {
                continue;
            }
            let vals = &self.gvals[self.gptr[e]..self.gptr[e + 1]];
            let g0 = self.gfirst[e] as usize;
            for (o, &v) in out[g0..g0 + vals.len()].iter_mut().zip(vals) {
                *o += f * v;
            }
        }
    }

    /// The same by folding into every channel and summing the groups' channels (the reference
    /// path, slower): `scratch` is resized to the channel count.
    pub fn counts_from_flux_by_channel(
        &self,
        flux: &[f64],
        scratch: &mut Vec<f64>,
        out: &mut [f64],
    ) {
        scratch.resize(self.response.rmf.n_channels(), 0.0);
        self.response.fold(flux, scratch);
        for (g, o) in out.iter_mut().enumerate() {
            let r = self.offset[g]..self.offset[g + 1];
            *o = self.chan[r.clone()]
                .iter()
                .zip(&self.weight[r])
                .map(|(&c, &w)| w * scratch[c])
                .sum();
        }
    }

    /// Predicted source counts per noticed group of `model` at parameters `p`.
    pub fn model_counts(&self, model: &dyn SpectralModel, p: &[f64]) -> Vec<f64> {
        let mut ws = Workspace::new(self);
        let mut out = vec![0.0; self.n_bins()];
        ws.counts(self, model, p, &mut out);
        out
    }

    /// The data with other source counts (same groups): for simulations.
    pub fn with_counts(&self, d: &[f64], b: Option<&[f64]>) -> FitData {
        let mut out = self.clone();
        for (i, bin) in out.bins.iter_mut().enumerate() {
            bin.d = d[i];
            if let Some(b) = b {
                bin.b = b[i];
            }
        }
        out
    }
}

/// Buffers for repeated model evaluations on a [`FitData`].
#[derive(Debug, Clone)]
pub struct Workspace {
    flux: Vec<f64>,
    /// The energy bins `span.0..span.1` are the only ones whose response reaches a noticed group:
    /// the model is evaluated there only (the others stay 0 and are never read).
    span: (usize, usize),
}

impl Workspace {
    /// Buffers sized for `data`.
    pub fn new(data: &FitData) -> Workspace {
        let n = data.response.rmf.n_energies();
        let reaches = |e: &usize| data.gptr.get(e + 1).is_some_and(|&end| end > data.gptr[*e]);
        let first = (0..n).find(reaches).unwrap_or(0);
        let last = (0..n).rev().find(reaches).map_or(first, |e| e + 1);
        Workspace {
            flux: vec![0.0; n],
            span: (first, last),
        }
    }

    /// Predicted source counts per group of `model` at `p`, into `out`.
    pub fn counts(
        &mut self,
        data: &FitData,
        model: &dyn SpectralModel,
        p: &[f64],
        out: &mut [f64],
    ) {
        let (a, b) = self.span;
        model.eval(
            p,
            &data.response.energ_lo()[a..b],
            &data.response.energ_hi()[a..b],
            &mut self.flux[a..b],
        );
        data.counts_from_flux(&self.flux, out);
    }
}

/// Running `(min + max)/2` of a group's values (Sherpa's `_middle`).
#[derive(Debug, Clone, Copy)]
struct Middle(f64, f64);

impl Default for Middle {
    fn default() -> Self {
        Middle(f64::INFINITY, f64::NEG_INFINITY)
    }
}

impl Middle {
    fn add(&mut self, v: f64) {
        self.0 = self.0.min(v);
        self.1 = self.1.max(v);
    }
    fn value(&self) -> f64 {
        0.5 * (self.0 + self.1)
    }
}

/// Sherpa's `sao_fcmp(x, y, ε)` with ε = 1.1920929e-7 (float32 epsilon): 0 when
/// `|x − y| ≤ ε·2^k` (k the binary exponent of the larger magnitude, as `frexp`), else the sign of
/// `x − y`. Sherpa's filters compare energies with it.
pub fn sao_fcmp(x: f64, y: f64) -> i32 {
    let big = if x.abs() > y.abs() { x } else { y };
    // frexp: big = m·2^k with 0.5 ≤ |m| < 1
    let k = if big == 0.0 || !big.is_finite() {
        0
    } else {
        big.abs().log2().floor() as i32 + 1
    };
    let delta = f32::EPSILON as f64 * 2f64.powi(k);
    let d = x - y;
    if d > delta {
        1
    } else if d < -delta {
        -1
    } else {
        0
    }
}

/// Group spans `(first, last)` channel indices from GROUPING.
fn group_spans(src: &Spectrum) -> Result<Vec<(usize, usize)>, SpectralError> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (c, &g) in src.grouping.iter().enumerate() {
        match g {
            -1 => {
                match spans.last_mut() {
                    Some(last) => last.1 = c,
                    None => return Err(SpectralError::input(
                        &src.name,
                        "GROUPING starts with −1 (continue): expected 1 to start the first group",
                    )),
                }
            }
            1 | 0 => spans.push((c, c)),
            other => {
                return Err(SpectralError::input(
                    &src.name,
                    format!("GROUPING value {other} in channel index {c}: expected 1, −1 or 0"),
                ))
            }
        }
    }
    Ok(spans)
}

fn check_spectrum(src: &Spectrum, response: &Response) -> Result<(), SpectralError> {
    let rmf = &response.rmf;
    let n = src.channel.len();
    let lens = [
        src.counts.len(),
        src.quality.len(),
        src.grouping.len(),
        src.backscal.len(),
        src.areascal.len(),
    ];
    if lens.iter().any(|&l| l != n) || src.stat_err.as_ref().is_some_and(|e| e.len() != n) {
        return Err(SpectralError::input(
            &src.name,
            format!("column lengths {lens:?} differ from the {n} channels"),
        ));
    }
    if n != rmf.n_channels() {
        return Err(SpectralError::input(
            &src.name,
            format!(
                "{n} channels but the RMF {} has {}: expected the same channels",
                rmf.name,
                rmf.n_channels()
            ),
        ));
    }
    if let Some(i) = (0..n).find(|&i| src.channel[i] != rmf.first_channel + i as i64) {
        return Err(SpectralError::input(
            &src.name,
            format!(
                "channel number {} at row {i}, expected {} (the RMF {} starts at channel {})",
                src.channel[i],
                rmf.first_channel + i as i64,
                rmf.name,
                rmf.first_channel
            ),
        ));
    }
    if !(src.exposure.is_finite() && src.exposure > 0.0) {
        return Err(SpectralError::input(
            &src.name,
            format!("EXPOSURE = {}: expected > 0 s", src.exposure),
        ));
    }
    if let Some(c) = (0..n).find(|&c| !(src.counts[c].is_finite() && src.counts[c] >= 0.0)) {
        return Err(SpectralError::input(
            &src.name,
            format!(
                "counts {} in channel index {c}: expected finite ≥ 0",
                src.counts[c]
            ),
        ));
    }
    if let Some(c) = (0..n).find(|&c| !(src.areascal[c] > 0.0 && src.areascal[c].is_finite())) {
        return Err(SpectralError::input(
            &src.name,
            format!(
                "AREASCAL {} in channel index {c}: expected > 0",
                src.areascal[c]
            ),
        ));
    }
    Ok(())
}

fn check_background(src: &Spectrum, b: &Spectrum) -> Result<(), SpectralError> {
    let n = src.channel.len();
    if b.channel != src.channel {
        return Err(SpectralError::input(
            &b.name,
            format!(
                "background has {} channels ({:?}…), the source {} has {n} ({:?}…): expected the same channels",
                b.channel.len(),
                b.channel.first(),
                src.name,
                src.channel.first()
            ),
        ));
    }
    if b.counts.len() != n || b.backscal.len() != n || b.areascal.len() != n {
        return Err(SpectralError::input(
            &b.name,
            "column lengths differ from the channel count",
        ));
    }
    if !(b.exposure.is_finite() && b.exposure > 0.0) {
        return Err(SpectralError::input(
            &b.name,
            format!("background EXPOSURE = {}: expected > 0 s", b.exposure),
        ));
    }
    for c in 0..n {
        let ok = |v: f64| v.is_finite() && v > 0.0;
        if src.quality[c] == 0 && !(ok(b.backscal[c]) && ok(b.areascal[c]) && ok(src.backscal[c])) {
            return Err(SpectralError::input(
                &b.name,
                format!(
                    "channel index {c}: BACKSCAL {} / {} (source / background) and AREASCAL {}: expected > 0",
                    src.backscal[c], b.backscal[c], b.areascal[c]
                ),
            ));
        }
        if !(b.counts[c].is_finite() && b.counts[c] >= 0.0) {
            return Err(SpectralError::input(
                &b.name,
                format!("counts {} in channel index {c}: expected ≥ 0", b.counts[c]),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Toy responses, spectra and models for the tests of the spectral fit modules.
    use super::*;
    use crate::spectral::data::{Arf, Rmf};
    use crate::spectral::model::Param;

    /// A diagonal-ish response: `n` energy bins of width `de` from `e0`, channel i = energy bin i,
    /// with a fraction `leak` spread to each neighbour; constant ARF `area`.
    pub fn toy_response(n: usize, e0: f64, de: f64, leak: f64, area: f64) -> Response {
        let lo: Vec<f64> = (0..n).map(|i| e0 + de * i as f64).collect();
        let hi: Vec<f64> = lo.iter().map(|l| l + de).collect();
        let rows = (0..n)
            .map(|i| {
                let mut v = vec![];
                let c0 = i.saturating_sub(1);
                for c in c0..(i + 2).min(n) {
                    v.push(if c == i { 1.0 - 2.0 * leak } else { leak });
                }
                vec![(c0, v)]
            })
            .collect();
        let rmf = Rmf::new(
            "toy.rmf",
            lo.clone(),
            hi.clone(),
            1,
            lo.clone(),
            hi.clone(),
            rows,
        )
        .unwrap();
        let arf = Arf {
            name: "toy.arf".into(),
            energ_lo: lo,
            energ_hi: hi,
            specresp: vec![area; n],
        };
        Response::new(rmf, Some(arf)).unwrap()
    }

    /// A spectrum of `counts`, channels 1.., ungrouped, exposure `t`.
    pub fn toy_spectrum(name: &str, counts: Vec<f64>, t: f64) -> Spectrum {
        let n = counts.len();
        Spectrum {
            name: name.into(),
            channel: (1..=n as i64).collect(),
            counts,
            stat_err: None,
            sys_err: None,
            quality: vec![0; n],
            grouping: vec![1; n],
            exposure: t,
            backscal: vec![1.0; n],
            areascal: vec![1.0; n],
            poisserr: true,
            respfile: None,
            ancrfile: None,
            backfile: None,
            telescope: "TOY".into(),
            instrument: "TOY".into(),
        }
    }

    fn par(component: &str, name: &str, value: f64, min: f64, max: f64) -> Param {
        Param {
            component: component.into(),
            name: name.into(),
            unit: String::new(),
            value,
            min,
            max,
            frozen: false,
        }
    }

    /// Absorbed power law: `exp(−nH·σ(E)) · norm·E^−Γ` integrated exactly over each bin, with a toy
    /// cross-section σ(E) = E^−2.5 (10^22 cm² units).
    pub struct AbsPowerLaw {
        pub params: Vec<Param>,
    }

    impl AbsPowerLaw {
        pub fn new(nh: f64, gamma: f64, norm: f64) -> AbsPowerLaw {
            AbsPowerLaw {
                params: vec![
                    par("tbabs", "nH", nh, 0.0, 1e6),
                    par("powerlaw", "PhoIndex", gamma, -3.0, 10.0),
                    par("powerlaw", "norm", norm, 0.0, 1e24),
                ],
            }
        }
    }

    pub fn powerlaw_bin(gamma: f64, norm: f64, lo: f64, hi: f64) -> f64 {
        if (1.0 - gamma).abs() < 1e-10 {
            norm * (hi / lo).ln()
        } else {
            norm * (hi.powf(1.0 - gamma) - lo.powf(1.0 - gamma)) / (1.0 - gamma)
        }
    }

    impl SpectralModel for AbsPowerLaw {
        fn params(&self) -> &[Param] {
            &self.params
        }
        fn eval(&self, p: &[f64], lo: &[f64], hi: &[f64], out: &mut [f64]) {
            for i in 0..lo.len() {
                let e = 0.5 * (lo[i] + hi[i]);
                out[i] = (-p[0] * e.powf(-2.5)).exp() * powerlaw_bin(p[1], p[2], lo[i], hi[i]);
            }
        }
        fn eval_unabsorbed(&self, p: &[f64], lo: &[f64], hi: &[f64], out: &mut [f64]) {
            for i in 0..lo.len() {
                out[i] = powerlaw_bin(p[1], p[2], lo[i], hi[i]);
            }
        }
    }

    /// Power law plus a Gaussian line of fixed width σ = 0.05 keV at `line_e` (norm free, ≥ 0).
    pub struct PowerLawLine {
        pub params: Vec<Param>,
    }

    impl PowerLawLine {
        pub fn new(gamma: f64, norm: f64, line_e: f64, line_norm: f64) -> PowerLawLine {
            let mut e = par("gaussian", "LineE", line_e, 0.0, 1e6);
            e.frozen = true;
            PowerLawLine {
                params: vec![
                    par("powerlaw", "PhoIndex", gamma, -3.0, 10.0),
                    par("powerlaw", "norm", norm, 0.0, 1e24),
                    e,
                    par("gaussian", "norm", line_norm, 0.0, 1e24),
                ],
            }
        }
    }

    impl SpectralModel for PowerLawLine {
        fn params(&self) -> &[Param] {
            &self.params
        }
        fn eval(&self, p: &[f64], lo: &[f64], hi: &[f64], out: &mut [f64]) {
            let sig = 0.05;
            let phi = |x: f64| 0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2);
            for i in 0..lo.len() {
                out[i] = powerlaw_bin(p[0], p[1], lo[i], hi[i])
                    + p[3] * (phi((hi[i] - p[2]) / sig) - phi((lo[i] - p[2]) / sig));
            }
        }
        fn eval_unabsorbed(&self, p: &[f64], lo: &[f64], hi: &[f64], out: &mut [f64]) {
            self.eval(p, lo, hi, out)
        }
    }

    /// Poisson draws of `mean` with a seeded ChaCha generator.
    pub fn poisson(mean: &[f64], seed: u64) -> Vec<f64> {
        use rand::SeedableRng;
        use rand_distr::Distribution;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        mean.iter()
            .map(|&m| {
                if m > 0.0 {
                    rand_distr::Poisson::new(m).unwrap().sample(&mut rng)
                } else {
                    0.0
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    #[test]
    fn groups_quality_and_sherpa_notice() {
        let resp = toy_response(10, 1.0, 0.5, 0.0, 1.0); // channels [1, 1.5), …, [5.5, 6)
        let mut src = toy_spectrum("src.pi", (1..=10).map(|c| c as f64).collect(), 100.0);
        src.grouping = vec![1, -1, -1, 1, -1, 1, 1, -1, -1, -1];
        src.quality = vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
        let all = FitData::new(&src, None, resp.clone(), &FitDataOptions::default()).unwrap();
        assert_eq!(all.n_bins(), 4);
        let d: Vec<f64> = all.bins.iter().map(|b| b.d).collect();
        assert_eq!(d, vec![6.0, 9.0, 6.0, 7.0 + 8.0 + 9.0]); // channel 10 is bad
        assert_eq!((all.groups[3].e_lo, all.groups[3].e_hi), (4.0, 5.5));
        // 2.6–3.6 keV: group [1, 2.5] is out, [2.5, 3.5] and [3.5, 4] overlap partly and are kept
        // whole, [4, 5.5] is out
        let f = FitData::new(
            &src,
            None,
            resp.clone(),
            &FitDataOptions {
                energy: Some((2.6, 3.6)),
            },
        )
        .unwrap();
        assert_eq!(f.n_bins(), 2);
        assert_eq!(f.groups[0].first_channel_index, 3);
        assert_eq!(f.groups[1].first_channel_index, 5);
        // band edges equal to group edges: the groups ending at lo / starting at hi are dropped
        let f = FitData::new(
            &src,
            None,
            resp.clone(),
            &FitDataOptions {
                energy: Some((2.5, 3.5)),
            },
        )
        .unwrap();
        assert_eq!(f.n_bins(), 1);
        assert_eq!((f.groups[0].e_lo, f.groups[0].e_hi), (2.5, 3.5));
        // … also within Sherpa's float32-epsilon tolerance, not beyond it
        let f = FitData::new(
            &src,
            None,
            resp.clone(),
            &FitDataOptions {
                energy: Some((2.5 + 1e-7, 3.5)),
            },
        )
        .unwrap();
        assert_eq!(f.n_bins(), 1);
        let f = FitData::new(
            &src,
            None,
            resp.clone(),
            &FitDataOptions {
                energy: Some((2.5 - 1e-5, 3.5)),
            },
        )
        .unwrap();
        assert_eq!(f.n_bins(), 2);
        assert_eq!(sao_fcmp(1.0, 1.0 + 2e-7), 0);
        assert_eq!(sao_fcmp(1000.0, 1000.0002), -1);
        assert_eq!(sao_fcmp(3.0, 2.0), 1);
        // model counts: flat flux 1 per energy bin, area 1, exposure 100 → 100 per channel
        let mut out = vec![0.0; 4];
        all.counts_from_flux(&[1.0; 10], &mut out);
        assert_eq!(out, vec![300.0, 200.0, 100.0, 300.0]);
        // with redistribution, AREASCAL and a filter: the grouped response equals folding first
        let resp = toy_response(10, 1.0, 0.5, 0.15, 7.0);
        src.areascal = (0..10).map(|c| 0.5 + 0.1 * c as f64).collect();
        let f = FitData::new(
            &src,
            None,
            resp,
            &FitDataOptions {
                energy: Some((2.6, 6.0)),
            },
        )
        .unwrap();
        let flux: Vec<f64> = (0..10).map(|e| 1.0 + (e as f64).sin()).collect();
        let (mut a, mut b, mut scratch) = (vec![0.0; f.n_bins()], vec![0.0; f.n_bins()], vec![]);
        f.counts_from_flux(&flux, &mut a);
        f.counts_from_flux_by_channel(&flux, &mut scratch, &mut b);
        let mut direct = vec![0.0; 10];
        f.response.fold(&flux, &mut direct);
        for g in 0..f.n_bins() {
            let gr = &f.groups[g];
            let want: f64 = (gr.first_channel_index..=gr.last_channel_index)
                .filter(|&c| src.quality[c] == 0)
                .map(|c| 100.0 * src.areascal[c] * direct[c])
                .sum();
            assert!(
                (a[g] - want).abs() < 1e-12 * want && (b[g] - want).abs() < 1e-12 * want,
                "{g}: {} {} {want}",
                a[g],
                b[g]
            );
        }
    }

    #[test]
    fn background_scale_and_bad_inputs() {
        let resp = toy_response(4, 1.0, 1.0, 0.1, 1.0);
        let mut src = toy_spectrum("src.pi", vec![5.0; 4], 1000.0);
        src.backscal = vec![2.0; 4];
        let mut bkg = toy_spectrum("bkg.pi", vec![3.0; 4], 500.0);
        bkg.backscal = vec![8.0; 4];
        let fd = FitData::new(&src, Some(&bkg), resp.clone(), &FitDataOptions::default()).unwrap();
        assert!((fd.bins[0].s - 1000.0 * 2.0 / (500.0 * 8.0)).abs() < 1e-15);
        assert_eq!(fd.bins[0].b, 3.0);
        let mut bad = src.clone();
        bad.exposure = 0.0;
        let e = FitData::new(&bad, None, resp.clone(), &FitDataOptions::default()).unwrap_err();
        assert!(e.to_string().contains("src.pi") && e.to_string().contains("EXPOSURE"));
        let mut bad = src.clone();
        bad.channel = vec![0, 1, 2, 3];
        let e = FitData::new(&bad, None, resp.clone(), &FitDataOptions::default()).unwrap_err();
        assert!(e.to_string().contains("toy.rmf"), "{e}");
        let short = toy_spectrum("bkg.pi", vec![3.0; 3], 500.0);
        let e =
            FitData::new(&src, Some(&short), resp.clone(), &FitDataOptions::default()).unwrap_err();
        assert!(e.to_string().contains("bkg.pi"), "{e}");
        let e = FitData::new(
            &src,
            None,
            resp.clone(),
            &FitDataOptions {
                energy: Some((20.0, 30.0)),
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("no group"), "{e}");
        let mut g = src.clone();
        g.grouping = vec![-1, 1, 1, 1];
        assert!(FitData::new(&g, None, resp, &FitDataOptions::default()).is_err());
    }
}
