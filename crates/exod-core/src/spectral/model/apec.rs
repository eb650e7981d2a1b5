//! `apec`: a collisional-ionisation-equilibrium plasma from the AtomDB tables (Smith et al. 2001, ApJ 556,
//! L91; Foster et al. 2012, ApJ 756, 128), computed the way XSPEC's `apec` does (HEASoft
//! `XSFunctions/apec.cxx` → `vapec.cxx` → `Aped::SumSpectra` in `Aped.cxx`, read in the public code index).
//!
//! **Not verified against real AtomDB tables or XSPEC** — neither is available offline. What is tested is the
//! arithmetic below on small synthetic tables (`exod_io::atomdb` reads the standard `apec_*_coco.fits` /
//! `apec_*_line.fits` files into [`ApecTables`]).
//!
//! For parameters kT (keV), Abundanc A, Redshift z, norm K and an observed bin [lo, hi]:
//! 1. **Temperature**: the two tabulated temperatures T₀ ≤ kT < T₁ bracketing kT are combined linearly in T
//!    with weights (T₁ − kT)/(T₁ − T₀) and (kT − T₀)/(T₁ − T₀) (XSPEC's default; `APECLOGTINTERP` not
//!    supported); a tabulated kT uses that table alone; outside the tabulated range the end table is used
//!    (XSPEC does the same, with a warning).
//! 2. **Elements**: those of XSPEC's `apec`: H, He, C, N, O, Ne, Mg, Al, Si, S, Ar, Ca, Fe, Ni (Z = 1, 2, 6, 7,
//!    8, 10, 12, 13, 14, 16, 18, 20, 26, 28); H and He at abundance 1, the others at A. Abundances are relative
//!    to Anders & Grevesse (1989), the set the AtomDB emissivities are computed with (XSPEC `abund angr`), so
//!    no further conversion is applied.
//! 3. **Continuum and pseudo-continuum** (per element, photons cm³ s⁻¹ keV⁻¹ at the tabulated energies): the
//!    exact integral over the source-frame bin [lo·(1+z), hi·(1+z)] of the piecewise-linear interpolation,
//!    0 outside the tabulated range. (XSPEC's `apedInterpFlux` is the same integral inside the table; in the
//!    bins holding the table's first or last point it extrapolates the end value as a constant — not done
//!    here; AtomDB tables span far beyond X-ray response grids.)
//! 4. **Lines** (Epsilon, photons cm³ s⁻¹, at E = 12.398419843320026/Lambda keV): added to the source-frame
//!    bin lo·(1+z) ≤ E < hi·(1+z); no thermal or velocity broadening (XSPEC's default, `APECTHERMAL` off).
//! 5. **Normalisation**: the sum times K·1e14/(1+z), with K = 1e-14/(4π(D_A(1+z))²)·∫n_e n_H dV (cm⁻⁵).

use crate::spectral::SpectralError;

/// h·c in keV·Å (CODATA 2018), to turn Lambda into energy.
pub const HC_KEV_ANGSTROM: f64 = 12.398419843320026;

/// The elements of XSPEC's `apec` (atomic numbers).
pub const APEC_ELEMENTS: [u32; 14] = [1, 2, 6, 7, 8, 10, 12, 13, 14, 16, 18, 20, 26, 28];

/// One emission line of one temperature table.
#[derive(Debug, Clone, PartialEq)]
pub struct ApecLine {
    /// Energy (keV) = hc/Lambda.
    pub energy: f64,
    /// Emissivity Epsilon (photons cm³ s⁻¹).
    pub epsilon: f64,
    /// Atomic number of the emitting element.
    pub element: u32,
}

/// The continuum and pseudo-continuum of one element at one temperature (photons cm³ s⁻¹ keV⁻¹).
#[derive(Debug, Clone, PartialEq)]
pub struct ApecContinuum {
    /// Atomic number.
    pub element: u32,
    /// Continuum energies (keV, increasing) and values.
    pub e_cont: Vec<f64>,
    /// Continuum values.
    pub continuum: Vec<f64>,
    /// Pseudo-continuum (weak lines) energies (keV, increasing).
    pub e_pseudo: Vec<f64>,
    /// Pseudo-continuum values.
    pub pseudo: Vec<f64>,
}

/// One temperature of the tables.
#[derive(Debug, Clone, PartialEq)]
pub struct ApecTemperature {
    /// kT (keV).
    pub kt: f64,
    /// Its lines.
    pub lines: Vec<ApecLine>,
    /// Its continua, one per element.
    pub continua: Vec<ApecContinuum>,
}

/// AtomDB tables (one entry per temperature, increasing kT), as read from a user's directory.
#[derive(Debug, Clone, PartialEq)]
pub struct ApecTables {
    /// Where they came from (for messages).
    pub source: String,
    temperatures: Vec<ApecTemperature>,
}

fn check_curve(source: &str, what: &str, x: &[f64], y: &[f64]) -> Result<(), SpectralError> {
    if x.len() != y.len() {
        return Err(SpectralError::input(
            source,
            format!("{what}: {} energies but {} values", x.len(), y.len()),
        ));
    }
    if x.windows(2).any(|w| w[1] <= w[0] || w[1].is_nan())
        || x.iter().chain(y).any(|v| !v.is_finite())
    {
        return Err(SpectralError::input(
            source,
            format!("{what}: energies must be finite and strictly increasing, values finite"),
        ));
    }
    Ok(())
}

impl ApecTables {
    /// Tables from their temperatures; errors unless there is at least one, kT is finite, > 0 and strictly
    /// increasing, and every curve has matching, increasing energies.
    pub fn new(
        source: &str,
        temperatures: Vec<ApecTemperature>,
    ) -> Result<ApecTables, SpectralError> {
        if temperatures.is_empty() {
            return Err(SpectralError::input(
                source,
                "no temperature in the AtomDB tables",
            ));
        }
        if temperatures
            .iter()
            .any(|t| !(t.kt > 0.0 && t.kt.is_finite()))
            || temperatures.windows(2).any(|w| w[1].kt <= w[0].kt)
        {
            return Err(SpectralError::input(
                source,
                "the tables' kT must be > 0 and strictly increasing",
            ));
        }
        for t in &temperatures {
            for c in &t.continua {
                let what = format!("kT = {} keV, element {}", t.kt, c.element);
                check_curve(
                    source,
                    &format!("{what} continuum"),
                    &c.e_cont,
                    &c.continuum,
                )?;
                check_curve(
                    source,
                    &format!("{what} pseudo-continuum"),
                    &c.e_pseudo,
                    &c.pseudo,
                )?;
            }
            if let Some(l) = t
                .lines
                .iter()
                .find(|l| !(l.energy > 0.0 && l.energy.is_finite() && l.epsilon.is_finite()))
            {
                return Err(SpectralError::input(
                    source,
                    format!(
                        "kT = {} keV: line of element {} with energy {} keV, emissivity {}",
                        t.kt, l.element, l.energy, l.epsilon
                    ),
                ));
            }
        }
        Ok(ApecTables {
            source: source.to_string(),
            temperatures,
        })
    }

    /// The temperature tables, increasing kT.
    pub fn temperatures(&self) -> &[ApecTemperature] {
        &self.temperatures
    }

    /// The tables and weights combined at `kt` (step 1 of the module docs).
    pub fn weights(&self, kt: f64) -> [(usize, f64); 2] {
        let t = &self.temperatures;
        let n = t.len();
        if kt <= t[0].kt {
            return [(0, 1.0), (0, 0.0)];
        }
        if kt >= t[n - 1].kt {
            return [(n - 1, 1.0), (n - 1, 0.0)];
        }
        let i1 = t.partition_point(|x| x.kt <= kt);
        let i0 = i1 - 1;
        if t[i0].kt == kt {
            return [(i0, 1.0), (i0, 0.0)];
        }
        let d = t[i1].kt - t[i0].kt;
        [(i0, (t[i1].kt - kt) / d), (i1, (kt - t[i0].kt) / d)]
    }

    /// Photons cm⁻² s⁻¹ per observed bin (module docs), written to `out`.
    #[allow(clippy::too_many_arguments)]
    pub fn eval(
        &self,
        kt: f64,
        abundance: f64,
        redshift: f64,
        norm: f64,
        e_lo: &[f64],
        e_hi: &[f64],
        out: &mut [f64],
    ) {
        out.fill(0.0);
        let z1 = 1.0 + redshift;
        if z1.is_nan() || z1 <= 0.0 {
            return;
        }
        let lo: Vec<f64> = e_lo.iter().map(|e| e * z1).collect();
        let hi: Vec<f64> = e_hi.iter().map(|e| e * z1).collect();
        for (it, w) in self.weights(kt) {
            if w == 0.0 {
                continue;
            }
            let table = &self.temperatures[it];
            for c in &table.continua {
                let a = element_abundance(c.element, abundance) * w;
                if a != 0.0 {
                    add_linear_integral(&c.e_cont, &c.continuum, a, &lo, &hi, out);
                    add_linear_integral(&c.e_pseudo, &c.pseudo, a, &lo, &hi, out);
                }
            }
            for l in &table.lines {
                let a = element_abundance(l.element, abundance) * w;
                if a == 0.0 {
                    continue;
                }
                let i = lo.partition_point(|&x| x <= l.energy);
                if i > 0 && l.energy < hi[i - 1] {
                    out[i - 1] += a * l.epsilon;
                }
            }
        }
        let scale = norm * 1e14 / z1;
        out.iter_mut().for_each(|o| *o *= scale);
    }
}

/// Abundance of element `z` in `apec`: 1 for H and He, `metals` for the other apec elements, 0 otherwise.
pub fn element_abundance(z: u32, metals: f64) -> f64 {
    match z {
        1 | 2 => 1.0,
        z if APEC_ELEMENTS.contains(&z) => metals,
        _ => 0.0,
    }
}

/// ∫ of a piecewise-linear curve (x, y) (0 outside [x₀, x_last]) over each bin, times `coeff`, added to `out`.
fn add_linear_integral(x: &[f64], y: &[f64], coeff: f64, lo: &[f64], hi: &[f64], out: &mut [f64]) {
    if x.len() < 2 {
        return;
    }
    for ((o, &a), &b) in out.iter_mut().zip(lo).zip(hi) {
        let (a, b) = (a.max(x[0]), b.min(x[x.len() - 1]));
        if b <= a || b.is_nan() || a.is_nan() {
            continue;
        }
        let mut j = x.partition_point(|&v| v <= a).max(1) - 1;
        let mut s = 0.0;
        let mut left = a;
        while left < b && j + 1 < x.len() {
            let right = b.min(x[j + 1]);
            if right > left {
                let slope = (y[j + 1] - y[j]) / (x[j + 1] - x[j]);
                let mid = 0.5 * (left + right);
                s += (right - left) * (y[j] + slope * (mid - x[j]));
            }
            left = right;
            j += 1;
        }
        *o += coeff * s;
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;

    fn tables() -> ApecTables {
        let cont = |z: u32, v: f64| ApecContinuum {
            element: z,
            e_cont: vec![0.5, 1.0, 3.0],
            continuum: vec![v, 2.0 * v, 0.0],
            e_pseudo: vec![0.5, 3.0],
            pseudo: vec![0.1 * v, 0.1 * v],
        };
        let t = |kt: f64, s: f64| ApecTemperature {
            kt,
            lines: vec![
                ApecLine {
                    energy: 1.5,
                    epsilon: 2.0 * s,
                    element: 8,
                },
                ApecLine {
                    energy: 2.5,
                    epsilon: 1.0 * s,
                    element: 1,
                },
                ApecLine {
                    energy: 1.6,
                    epsilon: 7.0,
                    element: 11,
                }, // Na: not in apec
            ],
            continua: vec![cont(1, s), cont(26, 10.0 * s)],
        };
        ApecTables::new("synthetic", vec![t(1.0, 1.0), t(2.0, 3.0)]).unwrap()
    }

    #[test]
    fn weights_are_linear_in_kt_and_clamped() {
        let t = tables();
        assert_eq!(t.weights(1.25), [(0, 0.75), (1, 0.25)]);
        assert_eq!(t.weights(1.0), [(0, 1.0), (0, 0.0)]);
        assert_eq!(t.weights(0.5), [(0, 1.0), (0, 0.0)]);
        assert_eq!(t.weights(9.0), [(1, 1.0), (1, 0.0)]);
    }

    #[test]
    fn spectrum_by_hand() {
        let t = tables();
        // bins: [0.25,0.75] [0.75,1.25] [1.25,1.75] [1.75,2.75]; kT = 1 (s = 1), A = 0.5, z = 0, K = 2e-14
        let lo = [0.25, 0.75, 1.25, 1.75];
        let hi = [0.75, 1.25, 1.75, 2.75];
        let mut out = [0.0; 4];
        t.eval(1.0, 0.5, 0.0, 2e-14, &lo, &hi, &mut out);
        // continuum of H (v = 1) + 0.5 × Fe (v = 10) = 6 × curve(v = 1); curve: 1 → 2 on [0.5, 1], 2 → 0 on [1, 3]
        // bin 0: ∫_{0.5}^{0.75} (1 + 2(e − 0.5)) = 0.25 + 0.0625 = 0.3125; pseudo 0.1 × 0.25 = 0.025
        // bin 1: ∫_{0.75}^{1} (1 + 2(e − 0.5)) = 0.25·1.75 = 0.4375; ∫_1^{1.25} (2 − (e − 1)) = 0.5 − 0.03125
        //        = 0.46875; total 0.90625; pseudo 0.05
        // bin 2: ∫_{1.25}^{1.75} (2 − (e − 1)) = 0.5·(2 − 0.5) = 0.75; pseudo 0.05; + O line 0.5 × 2
        // bin 3: ∫_{1.75}^{2.75} (2 − (e − 1)) = 1·(2 − 1.25) = 0.75; pseudo 0.1; + H line 1
        let scale = 2e-14 * 1e14;
        let expect = [
            6.0 * (0.3125 + 0.025) * scale,
            6.0 * (0.90625 + 0.05) * scale,
            (6.0 * (0.75 + 0.05) + 1.0) * scale,
            (6.0 * (0.75 + 0.1) + 1.0) * scale,
        ];
        for i in 0..4 {
            assert!(
                (out[i] - expect[i]).abs() < 1e-13 * expect[i],
                "bin {i}: {} vs {}",
                out[i],
                expect[i]
            );
        }
        // kT between the tables: 0.75 × table 0 + 0.25 × table 1 (= 1.5 × table 0 here: table 1 has s = 3)
        let mut mid = [0.0; 4];
        t.eval(1.25, 0.5, 0.0, 2e-14, &lo, &hi, &mut mid);
        for i in 0..4 {
            assert!((mid[i] - 1.5 * out[i]).abs() < 1e-13 * out[i], "bin {i}");
        }
        // redshift: observed bins map to source-frame bins ×(1+z), flux ÷(1+z)
        let z = 0.25;
        let lo_z: Vec<f64> = lo.iter().map(|e| e / (1.0 + z)).collect();
        let hi_z: Vec<f64> = hi.iter().map(|e| e / (1.0 + z)).collect();
        let mut red = [0.0; 4];
        t.eval(1.0, 0.5, z, 2e-14, &lo_z, &hi_z, &mut red);
        for i in 0..4 {
            assert!(
                (red[i] * (1.0 + z) - out[i]).abs() < 1e-12 * out[i],
                "bin {i}"
            );
        }
    }

    #[test]
    fn bad_tables_are_refused() {
        assert!(ApecTables::new("x", vec![]).is_err());
        let t = ApecTemperature {
            kt: 1.0,
            lines: vec![],
            continua: vec![],
        };
        assert!(ApecTables::new("x", vec![t.clone(), t.clone()]).is_err());
        let bad = ApecTemperature {
            kt: 1.0,
            lines: vec![],
            continua: vec![ApecContinuum {
                element: 1,
                e_cont: vec![2.0, 1.0],
                continuum: vec![1.0, 1.0],
                e_pseudo: vec![],
                pseudo: vec![],
            }],
        };
        assert!(ApecTables::new("x", vec![bad]).is_err());
    }
}
