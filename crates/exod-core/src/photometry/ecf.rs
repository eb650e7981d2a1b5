//! Energy conversion factors (ECFs): count rate → flux, `flux = rate / (ECF · 10¹¹)` with ECF in
//! units of 10¹¹ counts cm² erg⁻¹, per camera, optical filter and band — the XMM serendipitous
//! catalogues' convention.
//!
//! The embedded table (`crates/exod-core/data/ecf/2xmm_watson2009.csv`) is Table 1 of Watson et
//! al. 2009, A&A 493, 339 (2XMM): bands 1–5, pn/MOS1/MOS2, Open/Thin/Medium/Thick filters, for an
//! absorbed power law of photon index Γ = 1.7 and N_H = 3 × 10²⁰ cm⁻². The 4XMM catalogue (Webb
//! et al. 2020, A&A 641, A136) revised them for Γ = 1.42, N_H = 1.7 × 10²⁰ cm⁻²; those numbers
//! were not available to this project, so fluxes here are on the 2XMM scale (a user table with
//! the same columns replaces it: [`EcfTable::parse`]).
//!
//! Band 8 (0.2–12 keV): 4XMM's band-8 flux is the sum of the band 1–5 fluxes. The table has no
//! band-8 ECF; exod derives the one that gives that sum for a source of the reference spectrum,
//! `ECF₈ = Σ_b ECF_b·F_b / Σ_b F_b`, with F_b the reference spectrum's (absorbed) energy flux in
//! band b (numerical integral of E·E^−Γ·exp(−N_H σ_tbabs(E)), Wilms et al. 2000
//! cross-sections). A table may also state band 8 directly (a row with band 8).
//!
//! Filters: the event list's FILTER keyword; `Thin1`/`Thin2` are `Thin`; a missing or unknown
//! filter uses [`DEFAULT_FILTER`] (with a warning from the caller).

use crate::instrument::EpicCamera;
use crate::spectral::model::{AbsorptionKind, CrossSection};

use super::PhotometryError;

/// The embedded table (module docs).
pub const EMBEDDED_CSV: &str = include_str!("../../data/ecf/2xmm_watson2009.csv");

/// Its name in outputs.
pub const EMBEDDED_SOURCE: &str =
    "Watson et al. 2009, A&A 493, 339, Table 1 (2XMM; power law Γ = 1.7, N_H = 3e20 cm-2)";

/// Filter used when the event list states none or one the table lacks. Default `Medium`.
pub const DEFAULT_FILTER: &str = "Medium";

/// One row: a band, a filter and the three cameras' ECFs (10¹¹ counts cm² erg⁻¹).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EcfRow {
    /// Band number (1–5, 8).
    pub band: u8,
    /// Band edges (keV).
    pub e_kev: (f64, f64),
    /// Filter name (Open, Thin, Medium, Thick).
    pub filter: String,
    /// pn, MOS1, MOS2.
    pub ecf: [f64; 3],
}

/// A table of ECFs and its reference spectrum.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EcfTable {
    /// Where the numbers come from (file name or citation).
    pub source: String,
    /// The rows.
    pub rows: Vec<EcfRow>,
    /// Photon index of the reference spectrum (for band 8). Default 1.7.
    pub gamma: f64,
    /// Its absorbing column (cm⁻²). Default 3 × 10²⁰.
    pub nh_cm2: f64,
}

impl Default for EcfTable {
    fn default() -> Self {
        EcfTable::parse(EMBEDDED_CSV, EMBEDDED_SOURCE).expect("the embedded ECF table parses")
    }
}

fn cam_index(c: EpicCamera) -> usize {
    match c {
        EpicCamera::Pn => 0,
        EpicCamera::Mos1 => 1,
        EpicCamera::Mos2 => 2,
    }
}

/// The table's filter name for a FILTER keyword value, if it is one of the four.
pub fn normalise_filter(f: &str) -> Option<&'static str> {
    let f = f.trim().to_ascii_lowercase();
    if f.starts_with("thin") {
        Some("Thin")
    } else if f.starts_with("med") {
        Some("Medium")
    } else if f.starts_with("thick") {
        Some("Thick")
    } else if f == "open" {
        Some("Open")
    } else {
        None
    }
}

impl EcfTable {
    /// Parse a CSV table: `#` comment lines (a line `# exod-ecf: gamma=G nh_cm2=N` sets the
    /// reference spectrum), the header `band,e_lo_kev,e_hi_kev,filter,pn,m1,m2`, one row per band
    /// and filter. `source` names the table in errors and outputs.
    pub fn parse(text: &str, source: &str) -> Result<EcfTable, PhotometryError> {
        let bad = |line: usize, what: String| PhotometryError::Ecf {
            table: source.to_string(),
            what: format!("line {line}: {what}"),
        };
        let mut t = EcfTable {
            source: source.to_string(),
            rows: vec![],
            gamma: 1.7,
            nh_cm2: 3e20,
        };
        let mut header_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if let Some(c) = line.strip_prefix('#') {
                if let Some(spec) = c.trim().strip_prefix("exod-ecf:") {
                    t.reference(spec).map_err(|w| bad(i + 1, w))?;
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            if !header_seen {
                if f != ["band", "e_lo_kev", "e_hi_kev", "filter", "pn", "m1", "m2"] {
                    return Err(bad(
                        i + 1,
                        format!("header {line:?}: expected band,e_lo_kev,e_hi_kev,filter,pn,m1,m2"),
                    ));
                }
                header_seen = true;
                continue;
            }
            t.rows.push(parse_row(&f).map_err(|w| bad(i + 1, w))?);
        }
        if t.rows.is_empty() {
            return Err(bad(
                0,
                "no rows: expected one row per band and filter".into(),
            ));
        }
        Ok(t)
    }

    fn reference(&mut self, spec: &str) -> Result<(), String> {
        for kv in spec.split_whitespace() {
            let (k, v) = kv
                .split_once('=')
                .ok_or(format!("{kv:?}: expected key=value"))?;
            let v: f64 = v.parse().map_err(|_| format!("{kv:?}: not a number"))?;
            match k {
                "gamma" => self.gamma = v,
                "nh_cm2" if v >= 0.0 => self.nh_cm2 = v,
                _ => return Err(format!("{kv:?}: expected gamma=G or nh_cm2=N ≥ 0")),
            }
        }
        Ok(())
    }

    /// The ECF (10¹¹ counts cm² erg⁻¹) of `camera` in the band [lo, hi] keV (matched to a row's
    /// edges within 1 eV) for `filter` (table name); band 8 derived when not tabulated.
    pub fn ecf(&self, camera: EpicCamera, filter: &str, e_kev: (f64, f64)) -> Option<f64> {
        let k = cam_index(camera);
        let same = |a: (f64, f64)| (a.0 - e_kev.0).abs() < 1e-3 && (a.1 - e_kev.1).abs() < 1e-3;
        let rows: Vec<&EcfRow> = self.rows.iter().filter(|r| r.filter == filter).collect();
        if let Some(r) = rows.iter().find(|r| same(r.e_kev)) {
            return Some(r.ecf[k]);
        }
        // a band covering several tabulated bands exactly: the flux-weighted ECF
        let mut parts: Vec<&&EcfRow> = rows
            .iter()
            .filter(|r| r.e_kev.0 >= e_kev.0 - 1e-3 && r.e_kev.1 <= e_kev.1 + 1e-3)
            .collect();
        parts.sort_by(|a, b| a.e_kev.0.total_cmp(&b.e_kev.0));
        let tiles = !parts.is_empty()
            && (parts[0].e_kev.0 - e_kev.0).abs() < 1e-3
            && (parts[parts.len() - 1].e_kev.1 - e_kev.1).abs() < 1e-3
            && parts
                .windows(2)
                .all(|w| (w[0].e_kev.1 - w[1].e_kev.0).abs() < 1e-3);
        if !tiles {
            return None;
        }
        let (mut num, mut den) = (0.0, 0.0);
        for r in parts {
            let f = reference_flux(self.gamma, self.nh_cm2, r.e_kev);
            num += r.ecf[k] * f;
            den += f;
        }
        Some(num / den)
    }

    /// The filters the table has.
    pub fn filters(&self) -> Vec<String> {
        let mut f: Vec<String> = self.rows.iter().map(|r| r.filter.clone()).collect();
        f.sort();
        f.dedup();
        f
    }
}

fn parse_row(f: &[&str]) -> Result<EcfRow, String> {
    if f.len() != 7 {
        return Err(format!("{} fields: expected 7", f.len()));
    }
    let num = |s: &str, what: &str| -> Result<f64, String> {
        s.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or(format!("{what} {s:?}: expected a number"))
    };
    let band: u8 = f[0]
        .parse()
        .map_err(|_| format!("band {:?}: expected 1–5 or 8", f[0]))?;
    let e_kev = (num(f[1], "e_lo_kev")?, num(f[2], "e_hi_kev")?);
    if !(e_kev.0 >= 0.0 && e_kev.1 > e_kev.0) {
        return Err(format!("band edges {e_kev:?}: expected 0 ≤ lo < hi (keV)"));
    }
    let filter = normalise_filter(f[3]).ok_or(format!(
        "filter {:?}: expected Open, Thin, Medium or Thick",
        f[3]
    ))?;
    let mut ecf = [0.0; 3];
    for (k, s) in f[4..].iter().enumerate() {
        ecf[k] = num(s, "ECF")?;
        if ecf[k] <= 0.0 {
            return Err(format!("ECF {s}: expected > 0"));
        }
    }
    Ok(EcfRow {
        band,
        e_kev,
        filter: filter.to_string(),
        ecf,
    })
}

/// Energy flux (arbitrary units) of the absorbed power law E^−Γ·exp(−N_H σ_tbabs(E)) in [lo, hi]
/// keV: ∫ E·N(E) dE by the trapezoid rule on 4000 log-spaced points.
pub fn reference_flux(gamma: f64, nh_cm2: f64, e_kev: (f64, f64)) -> f64 {
    let xs = CrossSection::embedded(AbsorptionKind::Tbabs);
    let nh = nh_cm2 / 1e22;
    let f = |e: f64| e.powf(1.0 - gamma) * (-nh * xs.sigma(e)).exp();
    let n = 4000;
    let (a, b) = (e_kev.0.ln(), e_kev.1.ln());
    let h = (b - a) / n as f64;
    // in ln E: ∫ E·f(E) d(ln E)
    let g = |k: usize| {
        let e = (a + h * k as f64).exp();
        e * f(e)
    };
    let inner: f64 = (1..n).map(g).sum();
    h * (inner + 0.5 * (g(0) + g(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_holds_watson_2009_table_1() {
        let t = EcfTable::default();
        assert_eq!(t.rows.len(), 20);
        assert_eq!(t.filters(), ["Medium", "Open", "Thick", "Thin"]);
        // three cells of the paper's table, verbatim
        assert_eq!(t.ecf(EpicCamera::Pn, "Thin", (0.2, 0.5)), Some(9.056));
        assert_eq!(t.ecf(EpicCamera::Mos2, "Medium", (2.0, 4.5)), Some(0.742));
        assert_eq!(t.ecf(EpicCamera::Mos1, "Thick", (4.5, 12.0)), Some(0.141));
        assert_eq!(t.ecf(EpicCamera::Pn, "Thin", (0.3, 10.0)), None);
    }

    #[test]
    fn band_8_is_the_flux_weighted_ecf_so_rate8_over_ecf8_is_the_band_sum() {
        let t = EcfTable::default();
        let bands = [(0.2, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.5), (4.5, 12.0)];
        let e8 = t.ecf(EpicCamera::Pn, "Medium", (0.2, 12.0)).unwrap();
        // a source of the reference spectrum with total flux 1: band fluxes f_b, rates f_b·ECF_b
        let f: Vec<f64> = bands
            .iter()
            .map(|&b| reference_flux(1.7, 3e20, b))
            .collect();
        let tot: f64 = f.iter().sum();
        let rate: f64 = bands
            .iter()
            .zip(&f)
            .map(|(&b, fb)| fb / tot * t.ecf(EpicCamera::Pn, "Medium", b).unwrap())
            .sum();
        assert!((rate / e8 - 1.0).abs() < 1e-12, "{rate} {e8}");
        assert!(e8 > 0.554 && e8 < 7.995, "{e8}");
        // the power law's energy flux against its closed form (no absorption)
        let exact = (12.0f64.powf(0.3) - 0.2f64.powf(0.3)) / 0.3;
        assert!((reference_flux(1.7, 0.0, (0.2, 12.0)) / exact - 1.0).abs() < 1e-6);
        // absorption removes flux where σ is large (band 1) and hardly any above 2 keV
        let r1 = reference_flux(1.7, 3e20, (0.2, 0.5)) / reference_flux(1.7, 0.0, (0.2, 0.5));
        let r4 = reference_flux(1.7, 3e20, (2.0, 4.5)) / reference_flux(1.7, 0.0, (2.0, 4.5));
        assert!(r1 < 0.9 && r1 > 0.3 && r4 > 0.99, "{r1} {r4}");
    }

    #[test]
    fn bad_tables_are_refused_with_the_line() {
        let e = EcfTable::parse(
            "band,e_lo_kev,e_hi_kev,filter,pn,m1,m2\n1,0.2,0.5,Thin,x,1,1\n",
            "u.csv",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("u.csv") && e.contains("line 2") && e.contains("ECF"),
            "{e}"
        );
        let e = EcfTable::parse("a,b\n", "v.csv").unwrap_err().to_string();
        assert!(e.contains("v.csv") && e.contains("header"), "{e}");
        let e = EcfTable::parse(
            "band,e_lo_kev,e_hi_kev,filter,pn,m1,m2\n1,0.2,0.5,Purple,1,1,1\n",
            "w",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("filter"), "{e}");
        assert_eq!(normalise_filter("Thin1"), Some("Thin"));
        assert_eq!(normalise_filter("CalClosed"), None);
    }
}
