//! Cross-matching sources against an external catalogue, and the shifted-catalogue Monte Carlo
//! estimate of chance matches (paper §3.3; what EXOD2 did: `docs/reference/exod2-reference.md`
//! §8.5–8.6).
//!
//! ## Matches
//!
//! Every catalogue entry within a source's radius is a counterpart ([`match_all`]): pairs with
//! their separation, ranked by separation (rank 1 = nearest; ties by catalogue row). The
//! catalogue is a [`SkyIndex`] built for the largest query radius ([`Radii::max_query`]).
//!
//! ## Radii
//!
//! [`Radii::fixed`] uses one radius (the paper's 20″). [`Radii::from_errors`] uses the 1σ
//! position errors of both sides: a pair (source i, catalogue row j) matches within
//!
//! `r_ij = clamp(k · √(σ_i² + σ_j²), min, max)`, default k = 3, min = 5″, max = 60″,
//!
//! (k = 3 keeps ≈ 99 % of true pairs for circular Gaussian errors, whose separation follows a
//! Rayleigh law: P(ρ < 3σ) = 1 − e^{−4.5} = 0.989; the 5″ floor covers the systematic error of
//! XMM-Newton positions, ~1–2″, and catalogues whose errors are understated; the cap keeps the
//! index small). A missing (NaN) or negative error counts as 0. A source is queried with its
//! largest radius, `clamp(k √(σ_i² + max_j σ_j²), min, max)`, and each pair is then kept only
//! within its own `r_ij`: the result is exact.
//!
//! ## Chance matches: the shifted-catalogue Monte Carlo
//!
//! The paper shifts the secondary catalogue by 10 × 10 offsets within ±15′ and counts matches
//! each time; real ≈ unshifted − mean(shifted). The paper does not say whether (0, 0) is used,
//! whether RA offsets are divided by cos δ, nor the spacing (reference §8.6). Here
//! ([`offset_grid`], [`chance_matches`]):
//!
//! * offsets on an n × n grid (default n = 10) of ±(1 … n/2) × 3′ along each axis, in true angle
//!   (arcsec on the sky, not degrees of RA): ±3′, ±6′ … ±15′; (0, 0) is not on the grid, so no
//!   real counterpart is ever counted (each offset is ≥ 3′, far beyond any match radius);
//! * the offsets move the *sources*, not the catalogue, along their tangent plane
//!   ([`offset_position`]: ξ east, η north). Moving every source by (−ξ, −η) relative to a
//!   catalogue is the same test as moving the catalogue by (ξ, η), without rebuilding the index.
//!   In RA degrees an east offset ξ is ξ / cos δ: done exactly by [`offset_position`], and
//!   correct at the poles and across RA = 0;
//! * for each offset, the number of sources with ≥ 1 counterpart is counted; the mean and the
//!   sample standard deviation (n − 1) over the offsets give the expected number of spurious
//!   matches, and `real ≈ observed − mean` ([`Summary`]). Per source, the mean number of
//!   counterparts at the shifted positions is its expected number of chance counterparts, and the
//!   fraction of offsets with ≥ 1 counterpart its chance-match probability.
//!
//! The shifted positions sample the catalogue density 3′–21′ around each source; where that
//! density changes over ~15′ (the edge of a survey, a cluster, M31) the estimate is local to that
//! scale, as in the paper. Work is spread over sources with rayon (the current pool).
//!
//! ## Real matches
//!
//! The paper's `real ≈ observed − mean(shifted)` ([`Summary::real_estimate`]) counts sources
//! with ≥ 1 counterpart. A source with a real counterpart is counted once whether or not a chance
//! one is also there, so the shifted positions, where no real counterpart is ever found, count
//! chance matches that the unshifted match partly hides. With a chance probability
//! p = mean(shifted) / N per source (N sources), on average
//!
//! `observed = R + (N − R) p`, hence `observed − N p = R (1 − p)`:
//!
//! the paper's estimate underestimates the R real matches by R p — negligible for p ≪ 1, but not
//! when many sources have a counterpart and the radii are large or the catalogue dense (p of a
//! few tens of per cent). [`Summary::real_estimate_corrected`]
//!
//! `R = (observed − N p) / (1 − p) = (observed − mean) / (1 − mean / N)`
//!
//! is unbiased under the same assumptions as the paper's (chance matches independent of real
//! ones; every source with a position counted in N).

use rayon::prelude::*;

use crate::sky::{offset_position, SkyIndex};

/// Default grid size n of the Monte Carlo (n × n offsets).
pub const DEFAULT_GRID: usize = 10;
/// Default grid step (arcsec): 3′, so the 10 × 10 grid spans ±15′ as in the paper.
pub const DEFAULT_STEP_ARCSEC: f64 = 180.0;
/// Default k of [`Radii::from_errors`].
pub const DEFAULT_K: f64 = 3.0;
/// Default floor (arcsec) of [`Radii::from_errors`].
pub const DEFAULT_MIN_RADIUS: f64 = 5.0;
/// Default cap (arcsec) of [`Radii::from_errors`].
pub const DEFAULT_MAX_RADIUS: f64 = 60.0;

/// One counterpart of a source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// Source index.
    pub source: u32,
    /// Catalogue index.
    pub cat: u32,
    /// Separation (arcsec).
    pub sep: f64,
    /// The radius the pair was matched within (arcsec).
    pub radius: f64,
    /// 1 for the nearest counterpart of the source, 2 for the next …
    pub rank: u32,
}

/// Error-based radii: `clamp(k √(σ_src² + σ_cat²), min, max)`.
#[derive(Debug, Clone, Copy)]
pub struct ErrorRule<'a> {
    /// Multiple of the combined 1σ error.
    pub k: f64,
    /// Smallest radius (arcsec).
    pub min: f64,
    /// Largest radius (arcsec).
    pub max: f64,
    /// 1σ position error of each source (arcsec; NaN = 0).
    pub src_err: &'a [f64],
    /// 1σ position error of each catalogue row (arcsec; NaN = 0), or None (0 for all).
    pub cat_err: Option<&'a [f64]>,
}

/// The match radius of every source (and, with errors, of every pair): see the module docs.
#[derive(Debug, Clone)]
pub struct Radii<'a> {
    query: Vec<f64>,
    rule: Option<ErrorRule<'a>>,
}

fn err0(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

impl<'a> Radii<'a> {
    /// The same radius (arcsec) for all `n` sources.
    pub fn fixed(n: usize, radius: f64) -> Radii<'static> {
        Radii {
            query: vec![radius.max(0.0); n],
            rule: None,
        }
    }

    /// One radius (arcsec) per source.
    pub fn per_source(radius: Vec<f64>) -> Radii<'static> {
        Radii {
            query: radius,
            rule: None,
        }
    }

    /// Radii from the position errors of both sides (module docs).
    pub fn from_errors(rule: ErrorRule<'a>) -> Radii<'a> {
        let cat_max = rule
            .cat_err
            .map(|e| e.iter().copied().map(err0).fold(0.0, f64::max))
            .unwrap_or(0.0);
        let query = rule
            .src_err
            .iter()
            .map(|&s| (rule.k * err0(s).hypot(cat_max)).clamp(rule.min, rule.max))
            .collect();
        Radii {
            query,
            rule: Some(rule),
        }
    }

    /// The query radius of source `i` (the largest of its pairs).
    pub fn query(&self, i: usize) -> f64 {
        self.query[i]
    }

    /// The radius of the pair (source `i`, catalogue row `j`).
    pub fn pair(&self, i: usize, j: u32) -> f64 {
        match &self.rule {
            None => self.query[i],
            Some(r) => {
                let sc = r.cat_err.map(|e| err0(e[j as usize])).unwrap_or(0.0);
                (r.k * err0(r.src_err[i]).hypot(sc)).clamp(r.min, r.max)
            }
        }
    }

    /// The largest query radius: build the catalogue's [`SkyIndex`] for it.
    pub fn max_query(&self) -> f64 {
        self.query.iter().copied().fold(0.0, f64::max)
    }

    /// Number of sources.
    pub fn len(&self) -> usize {
        self.query.len()
    }

    /// Whether there is no source.
    pub fn is_empty(&self) -> bool {
        self.query.is_empty()
    }
}

/// The counterparts of one position for source `i`, each within its pair radius: (row, sep).
fn counterparts(
    index: &SkyIndex,
    radii: &Radii,
    i: usize,
    ra: f64,
    dec: f64,
    buf: &mut Vec<(u32, f64)>,
) {
    index.within(ra, dec, radii.query(i), buf);
    if radii.rule.is_some() {
        buf.retain(|&(j, sep)| sep <= radii.pair(i, j));
    }
}

/// Every counterpart of every source, sorted by source then separation (then catalogue row),
/// ranked. `ra`/`dec` in degrees; `index` must be built for at least [`Radii::max_query`].
pub fn match_all(ra: &[f64], dec: &[f64], radii: &Radii, index: &SkyIndex) -> Vec<Pair> {
    assert_eq!(ra.len(), dec.len(), "match_all: RA and Dec lengths differ");
    assert_eq!(ra.len(), radii.len(), "match_all: one radius per source");
    let per: Vec<Vec<Pair>> = (0..ra.len())
        .into_par_iter()
        .map_init(Vec::new, |buf, i| {
            counterparts(index, radii, i, ra[i], dec[i], buf);
            buf.iter()
                .enumerate()
                .map(|(k, &(j, sep))| Pair {
                    source: i as u32,
                    cat: j,
                    sep,
                    radius: radii.pair(i, j),
                    rank: k as u32 + 1,
                })
                .collect()
        })
        .collect();
    per.into_iter().flatten().collect()
}

/// The nearest counterpart of each of `n` sources (rank 1 of `pairs`) and the number of
/// counterparts.
pub fn nearest(pairs: &[Pair], n: usize) -> (Vec<Option<Pair>>, Vec<u32>) {
    let mut best = vec![None; n];
    let mut count = vec![0u32; n];
    for p in pairs {
        let i = p.source as usize;
        count[i] += 1;
        if p.rank == 1 {
            best[i] = Some(*p);
        }
    }
    (best, count)
}

/// The n × n grid of offsets (ξ east, η north, arcsec): ±(1 … n/2) × `step` on each axis, (0, 0)
/// excluded. `n` must be even and ≥ 2 (None otherwise).
pub fn offset_grid(n: usize, step: f64) -> Option<Vec<(f64, f64)>> {
    if n < 2 || n % 2 != 0 || !(step.is_finite() && step > 0.0) {
        return None;
    }
    let h = (n / 2) as i64;
    let axis: Vec<f64> = (-h..=h)
        .filter(|&k| k != 0)
        .map(|k| k as f64 * step)
        .collect();
    Some(
        axis.iter()
            .flat_map(|&x| axis.iter().map(move |&y| (x, y)))
            .collect(),
    )
}

/// The result of [`chance_matches`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChanceMatches {
    /// The offsets used (ξ, η) in arcsec.
    pub offsets: Vec<(f64, f64)>,
    /// Per offset: the number of sources with ≥ 1 counterpart.
    pub with_match: Vec<u64>,
    /// Per offset: the number of pairs.
    pub pairs: Vec<u64>,
    /// Per source: the mean number of counterparts over the offsets.
    pub expected: Vec<f64>,
    /// Per source: the fraction of offsets with ≥ 1 counterpart.
    pub p_chance: Vec<f64>,
}

impl ChanceMatches {
    /// Mean and sample standard deviation over the offsets of the sources with a match.
    pub fn spurious(&self) -> (f64, f64) {
        mean_std(&self.with_match)
    }
}

fn mean_std(v: &[u64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    if v.len() < 2 {
        return (m, f64::NAN);
    }
    let var = v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

/// Per-source counts of one chunk of sources: counterparts and ≥ 1 flags per offset.
struct Chunk {
    expected: Vec<f64>,
    p_chance: Vec<f64>,
    with_match: Vec<u64>,
    pairs: Vec<u64>,
}

fn chance_chunk(
    range: std::ops::Range<usize>,
    ra: &[f64],
    dec: &[f64],
    radii: &Radii,
    index: &SkyIndex,
    offsets: &[(f64, f64)],
) -> Chunk {
    let mut c = Chunk {
        expected: Vec::with_capacity(range.len()),
        p_chance: Vec::with_capacity(range.len()),
        with_match: vec![0; offsets.len()],
        pairs: vec![0; offsets.len()],
    };
    let mut buf = Vec::new();
    let n_off = offsets.len().max(1) as f64;
    for i in range {
        let (mut total, mut hits) = (0u64, 0u64);
        if ra[i].is_finite() && dec[i].is_finite() {
            for (k, &(xi, eta)) in offsets.iter().enumerate() {
                let (a, d) = offset_position(ra[i], dec[i], xi, eta);
                counterparts(index, radii, i, a, d, &mut buf);
                let m = buf.len() as u64;
                total += m;
                c.pairs[k] += m;
                if m > 0 {
                    hits += 1;
                    c.with_match[k] += 1;
                }
            }
        }
        c.expected.push(total as f64 / n_off);
        c.p_chance.push(hits as f64 / n_off);
    }
    c
}

/// The shifted-catalogue Monte Carlo (module docs): the sources moved by each of `offsets`
/// (ξ east, η north, arcsec; e.g. [`offset_grid`]) and matched again.
pub fn chance_matches(
    ra: &[f64],
    dec: &[f64],
    radii: &Radii,
    index: &SkyIndex,
    offsets: &[(f64, f64)],
) -> ChanceMatches {
    assert_eq!(
        ra.len(),
        dec.len(),
        "chance_matches: RA and Dec lengths differ"
    );
    assert_eq!(
        ra.len(),
        radii.len(),
        "chance_matches: one radius per source"
    );
    const CHUNK: usize = 256;
    let chunks: Vec<Chunk> = (0..ra.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let r = c * CHUNK..((c + 1) * CHUNK).min(ra.len());
            chance_chunk(r, ra, dec, radii, index, offsets)
        })
        .collect();
    let mut out = ChanceMatches {
        offsets: offsets.to_vec(),
        with_match: vec![0; offsets.len()],
        pairs: vec![0; offsets.len()],
        expected: Vec::with_capacity(ra.len()),
        p_chance: Vec::with_capacity(ra.len()),
    };
    for c in chunks {
        for k in 0..offsets.len() {
            out.with_match[k] += c.with_match[k];
            out.pairs[k] += c.pairs[k];
        }
        out.expected.extend(c.expected);
        out.p_chance.extend(c.p_chance);
    }
    out
}

/// The numbers of the paper's Table 5 for one catalogue.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Sources (rows, positions finite or not).
    pub n_sources: usize,
    /// Sources with ≥ 1 counterpart.
    pub n_with_match: usize,
    /// All pairs.
    pub n_pairs: usize,
    /// Mean over the offsets of the sources with ≥ 1 counterpart (NaN without Monte Carlo).
    pub expected_spurious: f64,
    /// Its sample standard deviation over the offsets.
    pub expected_spurious_std: f64,
    /// `n_with_match − expected_spurious`: the paper's estimate of the real matches.
    pub real_estimate: f64,
    /// `(n_with_match − expected_spurious) / (1 − expected_spurious / n)`: the same corrected
    /// for sources whose real counterpart hides a chance one (see [the module
    /// docs](crate::crossmatch#real-matches)).
    pub real_estimate_corrected: f64,
}

/// The summary of a match of `n_sources` (and of its Monte Carlo, if run): the paper's estimate
/// of the real matches and the corrected one ([module docs](crate::crossmatch#real-matches)).
pub fn summarize(pairs: &[Pair], n_sources: usize, chance: Option<&ChanceMatches>) -> Summary {
    let n_with_match = pairs.iter().filter(|p| p.rank == 1).count();
    let (m, s) = chance
        .map(ChanceMatches::spurious)
        .unwrap_or((f64::NAN, f64::NAN));
    Summary {
        n_sources,
        n_with_match,
        n_pairs: pairs.len(),
        expected_spurious: m,
        expected_spurious_std: s,
        real_estimate: n_with_match as f64 - m,
        real_estimate_corrected: (n_with_match as f64 - m) / (1.0 - m / n_sources as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sky::{separation_arcsec, ARCSEC};

    use crate::catalog::testutil::lcg;

    /// Uniform positions in RA [a0, a1] × sin Dec over [d0, d1] (degrees).
    fn uniform(s: &mut u64, n: usize, a: (f64, f64), d: (f64, f64)) -> (Vec<f64>, Vec<f64>) {
        let (z0, z1) = (d.0.to_radians().sin(), d.1.to_radians().sin());
        (0..n)
            .map(|_| {
                let ra = a.0 + (a.1 - a.0) * lcg(s);
                let z = z0 + (z1 - z0) * lcg(s);
                (ra, z.asin().to_degrees())
            })
            .unzip()
    }

    #[test]
    fn the_grid_is_the_papers() {
        let g = offset_grid(10, 180.0).unwrap();
        assert_eq!(g.len(), 100);
        assert!(g.iter().all(|&(x, y)| x != 0.0 && y != 0.0));
        let max = g
            .iter()
            .map(|o| o.0.abs().max(o.1.abs()))
            .fold(0.0, f64::max);
        assert_eq!(max, 900.0, "±15′");
        assert!(offset_grid(9, 180.0).is_none() && offset_grid(0, 180.0).is_none());
    }

    #[test]
    fn matches_agree_with_brute_force_including_error_radii() {
        let mut s = 11u64;
        let (cra, cdec) = uniform(&mut s, 3000, (359.8, 360.2), (-0.2, 0.2));
        let cra: Vec<f64> = cra.iter().map(|a| a.rem_euclid(360.0)).collect();
        let (sra, sdec) = uniform(&mut s, 400, (359.85, 360.15), (-0.15, 0.15));
        let sra: Vec<f64> = sra.iter().map(|a| a.rem_euclid(360.0)).collect();
        let serr: Vec<f64> = (0..400)
            .map(|i| {
                if i % 7 == 0 {
                    f64::NAN
                } else {
                    1.0 + lcg(&mut s) * 8.0
                }
            })
            .collect();
        let cerr: Vec<f64> = (0..3000).map(|_| lcg(&mut s) * 6.0).collect();
        for radii in [
            Radii::fixed(400, 20.0),
            Radii::from_errors(ErrorRule {
                k: 3.0,
                min: 5.0,
                max: 60.0,
                src_err: &serr,
                cat_err: Some(&cerr),
            }),
        ] {
            let idx = SkyIndex::new(&cra, &cdec, radii.max_query());
            let pairs = match_all(&sra, &sdec, &radii, &idx);
            let mut brute = Vec::new();
            for i in 0..400 {
                let mut v: Vec<(u32, f64)> = (0..3000u32)
                    .map(|j| {
                        (
                            j,
                            separation_arcsec(sra[i], sdec[i], cra[j as usize], cdec[j as usize]),
                        )
                    })
                    .filter(|&(j, d)| d <= radii.pair(i, j))
                    .collect();
                v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                brute.extend(
                    v.into_iter()
                        .enumerate()
                        .map(|(k, (j, d))| (i as u32, j, d, k as u32 + 1)),
                );
            }
            assert!(!brute.is_empty());
            assert_eq!(pairs.len(), brute.len());
            for (p, b) in pairs.iter().zip(&brute) {
                assert_eq!((p.source, p.cat, p.rank), (b.0, b.1, b.3));
                assert!((p.sep - b.2).abs() < 1e-6);
            }
            let (best, count) = nearest(&pairs, 400);
            for i in 0..400 {
                let n = brute.iter().filter(|b| b.0 == i as u32).count();
                assert_eq!(count[i] as usize, n);
                assert_eq!(best[i].is_some(), n > 0);
            }
        }
    }

    #[test]
    fn monte_carlo_agrees_with_density_times_area() {
        // 500 sources in a 1.3° × 1° field at Dec 40, half with a true counterpart 1.5″ away,
        // plus 200,000 unrelated catalogue entries uniform over a 3.4° × 2° field around it
        let n = 500;
        let mut s = 5u64;
        let (sra, sdec) = uniform(&mut s, n, (149.35, 150.65), (39.5, 40.5));
        let (mut cra, mut cdec) = uniform(&mut s, 200_000, (148.3, 151.7), (39.0, 41.0));
        let n_true = n / 2;
        for i in 0..n_true {
            let t = i as f64;
            let (a, d) = offset_position(sra[i], sdec[i], 1.5 * t.cos(), 1.5 * t.sin());
            cra.push(a);
            cdec.push(d);
        }
        let r = 10.0;
        let radii = Radii::fixed(n, r);
        let idx = SkyIndex::new(&cra, &cdec, r);
        let pairs = match_all(&sra, &sdec, &radii, &idx);
        let offsets = offset_grid(10, 180.0).unwrap();
        let mc = chance_matches(&sra, &sdec, &radii, &idx, &offsets);
        let area = |a: (f64, f64), d: (f64, f64)| {
            (a.1 - a.0).to_radians() * (d.1.to_radians().sin() - d.0.to_radians().sin())
                / (ARCSEC * ARCSEC)
        };
        let disc = std::f64::consts::PI * r * r;
        // density × area: the uniform field, plus the other sources' true counterparts, of
        // which a shifted position sees on average (1 − 0.15/L) per axis of an L° wide field
        // (offsets of 0.05° × 1 … 5)
        let l_ra = 1.3 * 40f64.to_radians().cos();
        let cover = (1.0 - 0.15 / l_ra) * (1.0 - 0.15 / 1.0);
        let lambda = 200_000.0 / area((148.3, 151.7), (39.0, 41.0)) * disc
            + cover * n_true as f64 / area((149.35, 150.65), (39.5, 40.5)) * disc;
        let p = 1.0 - (-lambda).exp();
        let expect_with = n as f64 * p;
        let (m, sd) = mc.spurious();
        // the mean of 100 (nearly independent) binomial counts: σ ≈ √(N p (1 − p)) / 10
        let sd_expect = (n as f64 * p * (1.0 - p)).sqrt();
        let tol = 4.0 * sd_expect / 10.0;
        assert!(
            (m - expect_with).abs() < tol,
            "MC {m} vs analytic {expect_with} ± {tol}"
        );
        assert!(
            (sd - sd_expect).abs() < 0.3 * sd_expect,
            "std {sd} vs {sd_expect}"
        );
        let mean_exp = mc.expected.iter().sum::<f64>() / n as f64;
        assert!(
            (mean_exp - lambda).abs() < 0.05 * lambda,
            "{mean_exp} vs {lambda}"
        );
        let sum = summarize(&pairs, n, Some(&mc));
        // observed = the true ones + chance ones among the others
        let obs = n_true as f64 + (n - n_true) as f64 * p;
        assert!(
            (sum.n_with_match as f64 - obs).abs() < 4.0 * sd_expect,
            "{sum:?} vs {obs}"
        );
        // the paper's observed − mean(shifted) is n_true (1 − p) on average; the corrected
        // estimate n_true
        let paper = n_true as f64 * (1.0 - p);
        assert!(
            (sum.real_estimate - paper).abs() < 4.0 * sd_expect,
            "{sum:?} vs {paper}"
        );
        let c = sum.real_estimate_corrected;
        assert!(
            (c - n_true as f64).abs() < 4.0 * sd_expect / (1.0 - p),
            "{sum:?}"
        );
    }
}
