//! Counterparts of one position in local catalogues, nearest first, with the probability that
//! each is a chance coincidence.
//!
//! ## Radius
//!
//! The crossmatch rule ([`crate::crossmatch`], [`Radii::from_errors`]): a catalogue row j
//! matches the position (1σ error σ_x) within `r_j = clamp(k √(σ_x² + σ_j²), min, max)`,
//! defaults k = 3, 5″, 60″ ([`crate::crossmatch::DEFAULT_K`] …).
//!
//! ## Chance coincidence
//!
//! The catalogue's local surface density ρ is the number of its rows in the annulus
//! `r_in < θ ≤ r_out` around the position divided by the annulus' solid angle
//! `2π (cos r_in − cos r_out)` (exact on the sphere), defaults 1′ and 5′
//! ([`DEFAULT_ANNULUS_ARCSEC`]): the inner radius keeps the counterpart itself and its close
//! companions out of the count, the outer one keeps the density local (a cluster, the edge of
//! a survey). For Poisson-distributed unrelated sources the probability of at least one within
//! the separation s of a counterpart is
//!
//! `P = 1 − exp(−π s² ρ)`
//!
//! (e.g. Pineau et al. 2017, A&A 597, A89, §2; flat-sky area, s ≪ 1°). [`Counterpart`] also
//! gives the same at the match radius, and the catalogue's shifted-catalogue chance rate
//! (the crossmatch Monte Carlo, [`crate::crossmatch::chance_matches`]) when the caller has
//! one.

use std::collections::BTreeMap;

use crate::crossmatch::{ErrorRule, Radii, DEFAULT_K, DEFAULT_MAX_RADIUS, DEFAULT_MIN_RADIUS};
use crate::error::CoreError;
use crate::sky::{SkyIndex, ARCSEC};

/// Default density annulus (inner, outer) in arcsec: 1′–5′.
pub const DEFAULT_ANNULUS_ARCSEC: (f64, f64) = (60.0, 300.0);

/// What kind of catalogue a table is (sets the default columns of `exod_io::counterparts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogKind {
    /// Gaia DR3 (archive column names).
    Gaia,
    /// SIMBAD.
    Simbad,
    /// 4XMM-DR.
    Xmm4,
    /// XMM-OM SUSS.
    Suss,
    /// Anything else (RA/Dec and an id).
    Other,
}

/// A catalogue in memory: positions, ids, errors, and named extra columns.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Catalog {
    /// Catalogue name (shown in reports: "Gaia DR3", a file stem …).
    pub name: String,
    /// Kind.
    pub kind: CatalogKind,
    /// Row identifiers.
    pub ids: Vec<String>,
    /// RA (deg).
    pub ra: Vec<f64>,
    /// Dec (deg).
    pub dec: Vec<f64>,
    /// 1σ position error (arcsec; NaN = 0).
    pub pos_err_arcsec: Vec<f64>,
    /// Numeric columns by standard name (`parallax`, `parallax_error`, `phot_g_mean_mag`,
    /// `bp_rp`, `phot_g_mean_flux_over_error`, `ep_8_flux` …).
    pub numbers: BTreeMap<String, Vec<f64>>,
    /// Text columns by standard name (`main_type` …).
    pub texts: BTreeMap<String, Vec<String>>,
    /// The shifted-catalogue chance-match probability of this catalogue, if known.
    pub shifted_rate: Option<f64>,
}

impl Catalog {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ra.len()
    }

    /// Whether the catalogue has no rows.
    pub fn is_empty(&self) -> bool {
        self.ra.is_empty()
    }

    /// Check that every column has one value per row.
    pub fn validate(&self) -> Result<(), CoreError> {
        let n = self.ra.len();
        let bad = |what: &str, m: usize| {
            CoreError::input(
                &self.name,
                format!("column {what} has {m} rows, RA has {n}"),
            )
        };
        for (w, m) in [
            ("dec", self.dec.len()),
            ("id", self.ids.len()),
            ("pos_err", self.pos_err_arcsec.len()),
        ] {
            if m != n {
                return Err(bad(w, m));
            }
        }
        for (k, v) in &self.numbers {
            if v.len() != n {
                return Err(bad(k, v.len()));
            }
        }
        for (k, v) in &self.texts {
            if v.len() != n {
                return Err(bad(k, v.len()));
            }
        }
        Ok(())
    }
}

/// Options of [`find`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MatchOptions {
    /// Multiple of the combined 1σ error. Default [`DEFAULT_K`].
    pub k: f64,
    /// Smallest radius (arcsec). Default [`DEFAULT_MIN_RADIUS`].
    pub min_radius: f64,
    /// Largest radius (arcsec). Default [`DEFAULT_MAX_RADIUS`].
    pub max_radius: f64,
    /// Density annulus (arcsec). Default [`DEFAULT_ANNULUS_ARCSEC`].
    pub annulus: (f64, f64),
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            k: DEFAULT_K,
            min_radius: DEFAULT_MIN_RADIUS,
            max_radius: DEFAULT_MAX_RADIUS,
            annulus: DEFAULT_ANNULUS_ARCSEC,
        }
    }
}

/// One counterpart.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Counterpart {
    /// Catalogue name.
    pub catalog: String,
    /// Catalogue kind.
    pub kind: CatalogKind,
    /// Row id.
    pub id: String,
    /// Row index in the catalogue.
    pub row: usize,
    /// RA (deg).
    pub ra: f64,
    /// Dec (deg).
    pub dec: f64,
    /// Separation (arcsec).
    pub separation_arcsec: f64,
    /// The match radius of the pair (arcsec).
    pub radius_arcsec: f64,
    /// 1 = nearest in this catalogue.
    pub rank: u32,
    /// Local density (per arcsec²) in the annulus.
    pub density_per_arcsec2: f64,
    /// Rows counted in the annulus.
    pub annulus_count: usize,
    /// `1 − exp(−π s² ρ)` at the separation.
    pub p_chance: f64,
    /// The same at the match radius.
    pub p_chance_radius: f64,
    /// The catalogue's shifted-catalogue chance rate, when given.
    pub shifted_rate: Option<f64>,
    /// The row's numeric columns (NaN dropped).
    pub numbers: BTreeMap<String, f64>,
    /// The row's text columns (empty dropped).
    pub texts: BTreeMap<String, String>,
}

/// Local density (per arcsec²) of `index`'s positions in the annulus (r_in, r_out] around
/// (ra, dec), and the count. The index must be built for ≥ r_out.
pub fn local_density(index: &SkyIndex, ra: f64, dec: f64, annulus: (f64, f64)) -> (f64, usize) {
    let (r_in, r_out) = annulus;
    let mut buf = Vec::new();
    index.within_unsorted(ra, dec, r_out, &mut buf);
    let n = buf.iter().filter(|&&(_, s)| s > r_in).count();
    let omega_sr = 2.0 * std::f64::consts::PI * ((r_in * ARCSEC).cos() - (r_out * ARCSEC).cos());
    (n as f64 / (omega_sr / (ARCSEC * ARCSEC)), n)
}

/// `1 − exp(−π r² ρ)`, r in arcsec, ρ per arcsec².
pub fn chance_probability(r_arcsec: f64, density_per_arcsec2: f64) -> f64 {
    -(-std::f64::consts::PI * r_arcsec * r_arcsec * density_per_arcsec2).exp_m1()
}

fn check(opts: &MatchOptions, err: f64) -> Result<(), CoreError> {
    let (a, b) = opts.annulus;
    if !(opts.k > 0.0 && opts.min_radius >= 0.0 && opts.max_radius >= opts.min_radius) {
        return Err(CoreError::param(format!(
            "match radius: need k > 0 and 0 ≤ min ≤ max, got k = {}, min = {}, max = {}",
            opts.k, opts.min_radius, opts.max_radius
        )));
    }
    if !(a >= 0.0 && b > a && b < 3.6e5) {
        return Err(CoreError::param(format!(
            "density annulus must be 0 ≤ inner < outer < 100°, got {a}″–{b}″"
        )));
    }
    if err.is_finite() && err < 0.0 {
        return Err(CoreError::param(format!(
            "position error must be ≥ 0 arcsec, got {err}"
        )));
    }
    Ok(())
}

/// The counterparts of (ra, dec) ± `pos_err_arcsec` (1σ) in `cat`, nearest first (module
/// docs).
pub fn find(
    ra: f64,
    dec: f64,
    pos_err_arcsec: f64,
    cat: &Catalog,
    opts: &MatchOptions,
) -> Result<Vec<Counterpart>, CoreError> {
    check(opts, pos_err_arcsec)?;
    cat.validate()?;
    if !(ra.is_finite() && dec.is_finite() && dec.abs() <= 90.0) {
        return Err(CoreError::param(format!(
            "position ({ra}, {dec}) is not a sky position in degrees"
        )));
    }
    let src_err = [pos_err_arcsec];
    let radii = Radii::from_errors(ErrorRule {
        k: opts.k,
        min: opts.min_radius,
        max: opts.max_radius,
        src_err: &src_err,
        cat_err: Some(&cat.pos_err_arcsec),
    });
    let index = SkyIndex::new(&cat.ra, &cat.dec, radii.max_query().max(opts.annulus.1));
    let pairs = crate::crossmatch::match_all(&[ra], &[dec], &radii, &index);
    let (rho, count) = local_density(&index, ra, dec, opts.annulus);
    Ok(pairs
        .iter()
        .map(|p| {
            let j = p.cat as usize;
            Counterpart {
                catalog: cat.name.clone(),
                kind: cat.kind,
                id: cat.ids[j].clone(),
                row: j,
                ra: cat.ra[j],
                dec: cat.dec[j],
                separation_arcsec: p.sep,
                radius_arcsec: p.radius,
                rank: p.rank,
                density_per_arcsec2: rho,
                annulus_count: count,
                p_chance: chance_probability(p.sep, rho),
                p_chance_radius: chance_probability(p.radius, rho),
                shifted_rate: cat.shifted_rate,
                numbers: cat
                    .numbers
                    .iter()
                    .filter(|(_, v)| v[j].is_finite())
                    .map(|(k, v)| (k.clone(), v[j]))
                    .collect(),
                texts: cat
                    .texts
                    .iter()
                    .filter(|(_, v)| !v[j].is_empty())
                    .map(|(k, v)| (k.clone(), v[j].clone()))
                    .collect(),
            }
        })
        .collect())
}

/// The counterparts in every catalogue, merged nearest first (ties by catalogue order).
pub fn find_all(
    ra: f64,
    dec: f64,
    pos_err_arcsec: f64,
    cats: &[Catalog],
    opts: &MatchOptions,
) -> Result<Vec<Counterpart>, CoreError> {
    let mut all = Vec::new();
    for c in cats {
        all.extend(find(ra, dec, pos_err_arcsec, c, opts)?);
    }
    // stable: equal separations keep catalogue then rank order
    all.sort_by(|a, b| a.separation_arcsec.total_cmp(&b.separation_arcsec));
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sky::offset_position;
    use rand::{Rng, SeedableRng};

    fn catalog(ra: Vec<f64>, dec: Vec<f64>) -> Catalog {
        let n = ra.len();
        Catalog {
            name: "test".into(),
            kind: CatalogKind::Other,
            ids: (0..n).map(|i| format!("s{i}")).collect(),
            ra,
            dec,
            pos_err_arcsec: vec![0.0; n],
            numbers: BTreeMap::new(),
            texts: BTreeMap::new(),
            shifted_rate: None,
        }
    }

    /// Uniform random positions in a 0.4° × 0.4° box (tangent plane) around (150, −11).
    fn uniform(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>, f64) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let half = 720.0; // arcsec
        let (mut ra, mut dec) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let (a, d) = offset_position(
                150.0,
                -11.0,
                rng.gen_range(-half..half),
                rng.gen_range(-half..half),
            );
            ra.push(a);
            dec.push(d);
        }
        (ra, dec, n as f64 / (2.0 * half).powi(2))
    }

    #[test]
    fn density_and_probability_against_the_formula() {
        let (ra, dec, rho) = uniform(20_000, 1);
        let cat = catalog(ra, dec);
        let idx = SkyIndex::new(&cat.ra, &cat.dec, 300.0);
        // average over several positions: the estimate is Poisson around ρ
        let mut sum = 0.0;
        for k in 0..9 {
            let (a, d) = offset_position(150.0, -11.0, (k as f64 - 4.0) * 60.0, 30.0);
            sum += local_density(&idx, a, d, DEFAULT_ANNULUS_ARCSEC).0;
        }
        let est = sum / 9.0;
        // ~ρ · π(300² − 60²) ≈ 2600 per position, 9 positions (overlapping): < 3 % off
        assert!((est / rho - 1.0).abs() < 0.03, "{est} vs {rho}");
        // P at 10″ vs the formula with the true density
        let p = chance_probability(10.0, est);
        let want = 1.0 - (-std::f64::consts::PI * 100.0 * rho).exp();
        assert!((p / want - 1.0).abs() < 0.03);
        // exact arithmetic of the formula
        assert!(
            (chance_probability(2.0, 0.01) - (1.0 - (-0.04 * std::f64::consts::PI).exp())).abs()
                < 1e-15
        );
    }

    #[test]
    fn chance_probability_matches_simulated_frequency() {
        // fraction of random positions with ≥ 1 source within 8″: 1 − exp(−π 8² ρ)
        let (ra, dec, rho) = uniform(8_000, 2);
        let idx = SkyIndex::new(&ra, &dec, 10.0);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let trials = 20_000;
        let mut hits = 0;
        for _ in 0..trials {
            let (a, d) = offset_position(
                150.0,
                -11.0,
                rng.gen_range(-600.0..600.0),
                rng.gen_range(-600.0..600.0),
            );
            if idx.nearest(a, d, 8.0).is_some() {
                hits += 1;
            }
        }
        let f = hits as f64 / trials as f64;
        let p = chance_probability(8.0, rho);
        // binomial σ ≈ √(p(1−p)/n) ≈ 0.003
        assert!((f - p).abs() < 0.012, "{f} vs {p}");
    }

    #[test]
    fn nearest_first_with_combined_error_radius() {
        // counterparts at 2″, 7″, 4″ east; a 4th at 20″; source error 2″, catalogue errors 0,
        // 0, 0, 6″ → radii 6″ → clamp(6, 5, 60) = 6 for the first three: only 2″ and 4″ match;
        // the 4th: 3√(4 + 36) = 18.97″ < 20″: no match
        let pos: Vec<(f64, f64)> = [2.0, 7.0, 4.0, 20.0]
            .iter()
            .map(|&x| offset_position(150.0, -11.0, x, 0.0))
            .collect();
        let mut cat = catalog(
            pos.iter().map(|p| p.0).collect(),
            pos.iter().map(|p| p.1).collect(),
        );
        cat.pos_err_arcsec = vec![0.0, 0.0, 0.0, 6.0];
        cat.numbers
            .insert("parallax".into(), vec![1.0, 2.0, f64::NAN, 4.0]);
        let c = find(150.0, -11.0, 2.0, &cat, &MatchOptions::default()).unwrap();
        assert_eq!(
            c.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
            vec!["s0", "s2"]
        );
        assert!(
            (c[0].separation_arcsec - 2.0).abs() < 1e-6
                && (c[1].separation_arcsec - 4.0).abs() < 1e-6
        );
        assert_eq!((c[0].rank, c[1].rank), (1, 2));
        assert!((c[0].radius_arcsec - 6.0).abs() < 1e-12);
        assert_eq!(c[0].numbers["parallax"], 1.0);
        assert!(!c[1].numbers.contains_key("parallax"));
        // with a 7″ source error the 20″ row (3√(49+36) = 27.7″) matches too, and the 7″ one
        let c = find(150.0, -11.0, 7.0, &cat, &MatchOptions::default()).unwrap();
        assert_eq!(
            c.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
            vec!["s0", "s2", "s1", "s3"]
        );
        assert!(c
            .windows(2)
            .all(|w| w[0].separation_arcsec <= w[1].separation_arcsec));
    }

    #[test]
    fn find_all_merges_catalogues_and_refuses_bad_input() {
        let a = catalog(vec![offset_position(150.0, -11.0, 3.0, 0.0).0], vec![-11.0]);
        let mut b = catalog(vec![offset_position(150.0, -11.0, 1.0, 0.0).0], vec![-11.0]);
        b.name = "other".into();
        b.shifted_rate = Some(0.02);
        let all = find_all(150.0, -11.0, 1.0, &[a.clone(), b], &MatchOptions::default()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].catalog, "other");
        assert_eq!(all[0].shifted_rate, Some(0.02));
        assert!(find(150.0, 95.0, 1.0, &a, &MatchOptions::default()).is_err());
        let bad = MatchOptions {
            annulus: (300.0, 60.0),
            ..Default::default()
        };
        assert!(find(150.0, -11.0, 1.0, &a, &bad).is_err());
        let mut broken = a;
        broken.ids.pop();
        assert!(find(150.0, -11.0, 1.0, &broken, &MatchOptions::default())
            .unwrap_err()
            .to_string()
            .contains("id"));
    }
}
