//! Spectral models with XSPEC's definitions and normalisations (XSPEC manual, "Models").
//!
//! A model maps parameters to the photon flux in each bin of an energy grid (photons cm⁻² s⁻¹ per
//! bin, the integral over the bin of the photon spectrum N(E)), what XSPEC calls `photar`.
//! Multiplicative components (absorption) multiply it.
//!
//! | what | module |
//! |---|---|
//! | expressions (`tbabs*(bbody+powerlaw)`), [`Model`], parameters by name | [`expr`] |
//! | additive components: powerlaw, bbody, bbodyrad, bremss, gaussian (definitions and sources) | [`components`] |
//! | XSPEC's Kellogg–Baldwin–Koch Gaunt factor of `bremss` | [`gaunt`] |
//! | tbabs / phabs / wabs and their embedded cross-section tables | [`absorption`] |
//! | apec from user-given AtomDB tables (not verified against real AtomDB/XSPEC) | [`apec`] |
//!
//! ```
//! use exod_core::spectral::model::{Model, ModelOptions, SpectralModel};
//! let mut m = Model::parse("tbabs*(bbody+powerlaw)", &ModelOptions::default()).unwrap();
//! m.set("nH", 0.5).unwrap();
//! m.set("powerlaw.PhoIndex", 1.8).unwrap();
//! let (lo, hi) = ([1.0, 2.0], [2.0, 3.0]);
//! let mut out = [0.0; 2];
//! m.eval(&m.values(), &lo, &hi, &mut out);
//! assert!(out[0] > out[1]);
//! ```

pub mod absorption;
pub mod apec;
pub mod components;
pub mod expr;
pub mod gaunt;

pub use absorption::{AbsorptionKind, AbsorptionTables, CrossSection};
pub use apec::ApecTables;
pub use components::ComponentKind;
pub use expr::{Component, Model, ModelOptions};

/// One model parameter, named as XSPEC names it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Param {
    /// The component it belongs to, as in the expression, numbered when repeated
    /// (`powerlaw`, `apec_1`, `apec_2`).
    pub component: String,
    /// XSPEC's parameter name (`nH`, `PhoIndex`, `kT`, `LineE`, `Sigma`, `norm`, …).
    pub name: String,
    /// Unit (`10^22 cm^-2`, `keV`, ``).
    pub unit: String,
    /// Value (start value before a fit).
    pub value: f64,
    /// Hard lower limit.
    pub min: f64,
    /// Hard upper limit.
    pub max: f64,
    /// Frozen: not fitted.
    pub frozen: bool,
}

impl Param {
    /// `component.name`, e.g. `powerlaw.PhoIndex`.
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.component, self.name)
    }
}

/// What a fit, a flux or a simulation needs of a model.
pub trait SpectralModel: Send + Sync {
    /// The parameters in order; `p` slices given to the evaluators follow this order (frozen
    /// ones included).
    fn params(&self) -> &[Param];

    /// Photon flux (photons cm⁻² s⁻¹) in each bin `[e_lo[i], e_hi[i]]` (keV) at parameters `p`,
    /// written to `out`.
    fn eval(&self, p: &[f64], e_lo: &[f64], e_hi: &[f64], out: &mut [f64]);

    /// The same with every multiplicative (absorption) component set to 1: the unabsorbed model.
    fn eval_unabsorbed(&self, p: &[f64], e_lo: &[f64], e_hi: &[f64], out: &mut [f64]);

    /// The parameter that multiplies the whole model (the `norm` of a model with a single additive
    /// component): the model is `p[k] × f(other parameters)`, so its derivative is the model over
    /// `p[k]` and a fit needs no evaluation for it. Default None.
    fn scale_param(&self) -> Option<usize> {
        None
    }
}
