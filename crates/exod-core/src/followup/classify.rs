//! Classification hints: which source classes a source's measured quantities fit, criterion
//! by criterion, from a table of typical ranges with the literature source of every number.
//!
//! ## The table
//!
//! `crates/exod-core/data/classes/classes.csv` (embedded, [`ClassTable::default_table`]; an
//! astronomer's own file through [`ClassTable::parse`]): one row per (class, quantity) with
//! min, max (empty = unbounded), reference and note. Quantities ([`QUANTITIES`]): `kT_keV`,
//! `Gamma`, `log_Lx`, `log_fx_fopt`, `log_fx_fv`, `period_s`, `xms_side`,
//! `parallax_over_error`. Several rows of one class and quantity are alternatives (a CV's
//! period is orbital *or* a spin period).
//!
//! ## Verdicts and score
//!
//! For a measured value v ± σ (σ = 0 when unknown) a criterion [min, max] is **met** when the
//! interval [v − σ, v + σ] overlaps [min, max], **violated** otherwise, and **not measured**
//! when the source has no value. Each verdict carries a one-line reason naming the value, the
//! range and the reference. A class's score is `met − violated`; classes are ranked by score,
//! ties by fewest unmeasured criteria, then by table order. It is a hint for the astronomer,
//! not a probability.
//!
//! ## The X-ray main sequence
//!
//! `xms_side` is the height (dex) of the source above the empirical cut of Rodriguez 2024
//! (PASP 136, 054201) in the log(F_X/F_opt) vs BP−RP plane ([`xms_side`]); > 0 is the
//! accreting-compact-object side. The seed report (000, its Fig. 1 discussion) shows the
//! figure but not the equations, and the paper could not be consulted here (no network): the
//! cut used, `log(F_X/F_opt) = (BP−RP) − 3.5` for −0.5 ≤ BP−RP ≤ 4 ([`xms_cuts`]), is a
//! reconstruction of the paper's empirical cut from memory. It is consistent with the seed's
//! reading (seed 000: BP−RP = 2.416, F_X/F_opt ≈ 0.3 lies above the cut), but **must be checked
//! against the paper before it is trusted**; the theoretical (dotted) cut is not provided for
//! the same reason. Both are plain polylines so that a corrected cut is one edit
//! ([`XmsCut::linear`]).

use super::Measured;
use crate::error::CoreError;

/// The embedded default class table.
pub const DEFAULT_TABLE: &str = include_str!("../../data/classes/classes.csv");

/// The quantities a criterion may test.
pub const QUANTITIES: &[&str] = &[
    "kT_keV",
    "Gamma",
    "log_Lx",
    "log_fx_fopt",
    "log_fx_fv",
    "period_s",
    "xms_side",
    "parallax_over_error",
];

/// One row of the class table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Criterion {
    /// Class name.
    pub class: String,
    /// One of [`QUANTITIES`].
    pub quantity: String,
    /// Lower end (−∞ when empty in the file).
    pub min: f64,
    /// Upper end (+∞ when empty).
    pub max: f64,
    /// Literature source of the numbers.
    pub reference: String,
    /// What the range stands for (may be empty).
    pub note: String,
}

/// The class table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClassTable {
    /// The rows in file order.
    pub rows: Vec<Criterion>,
}

#[derive(serde::Deserialize)]
struct Row {
    class: String,
    quantity: String,
    min: String,
    max: String,
    reference: String,
    #[serde(default)]
    note: String,
}

fn bound(s: &str, inf: f64, origin: &str, line: u64, col: &str) -> Result<f64, CoreError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(inf);
    }
    t.parse::<f64>()
        .ok()
        .filter(|v| !v.is_nan())
        .ok_or_else(|| {
            CoreError::input(origin, format!("line {line}: {col} {t:?} is not a number"))
        })
}

impl ClassTable {
    /// The embedded table ([`DEFAULT_TABLE`]).
    pub fn default_table() -> ClassTable {
        // the embedded file is tested to parse
        ClassTable::parse(DEFAULT_TABLE, "classes.csv (embedded)")
            .unwrap_or(ClassTable { rows: Vec::new() })
    }

    /// Parse a class table (CSV with a header `class,quantity,min,max,reference[,note]`, `#`
    /// comment lines). `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<ClassTable, CoreError> {
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for rec in rdr.deserialize::<Row>() {
            let r = rec.map_err(|e| {
                CoreError::input(
                    origin,
                    format!("{e} (expected columns class,quantity,min,max,reference,note)"),
                )
            })?;
            let line = rows.len() as u64 + 1;
            if !QUANTITIES.contains(&r.quantity.as_str()) {
                return Err(CoreError::input(
                    origin,
                    format!(
                        "row {line} ({}): unknown quantity {:?}; expected one of {}",
                        r.class,
                        r.quantity,
                        QUANTITIES.join(", ")
                    ),
                ));
            }
            let min = bound(&r.min, f64::NEG_INFINITY, origin, line, "min")?;
            let max = bound(&r.max, f64::INFINITY, origin, line, "max")?;
            if min > max {
                return Err(CoreError::input(
                    origin,
                    format!("row {line}: min {min} > max {max}"),
                ));
            }
            if r.reference.trim().is_empty() {
                return Err(CoreError::input(
                    origin,
                    format!("row {line} ({} {}): no reference", r.class, r.quantity),
                ));
            }
            rows.push(Criterion {
                class: r.class,
                quantity: r.quantity,
                min,
                max,
                reference: r.reference,
                note: r.note,
            });
        }
        if rows.is_empty() {
            return Err(CoreError::input(origin, "no criteria in the class table"));
        }
        Ok(ClassTable { rows })
    }

    /// The class names in table order.
    pub fn classes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.rows {
            if !out.contains(&r.class) {
                out.push(r.class.clone());
            }
        }
        out
    }
}

/// A source's measured quantities (each optional, with its 1σ error).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct SourceQuantities {
    /// Plasma temperature (keV).
    pub kt_kev: Option<Measured>,
    /// Photon index.
    pub gamma: Option<Measured>,
    /// log₁₀ L_X (erg s⁻¹).
    pub log_lx: Option<Measured>,
    /// log₁₀ F_X/F_opt.
    pub log_fx_fopt: Option<Measured>,
    /// log(f_x/f_v).
    pub log_fx_fv: Option<Measured>,
    /// Period (s).
    pub period_s: Option<Measured>,
    /// Height above the XMS empirical cut (dex), [`xms_side`].
    pub xms_side: Option<Measured>,
    /// Gaia parallax / its error.
    pub parallax_over_error: Option<Measured>,
}

impl SourceQuantities {
    /// The value of quantity `name` (one of [`QUANTITIES`]), if measured and finite.
    pub fn get(&self, name: &str) -> Option<Measured> {
        let v = match name {
            "kT_keV" => self.kt_kev,
            "Gamma" => self.gamma,
            "log_Lx" => self.log_lx,
            "log_fx_fopt" => self.log_fx_fopt,
            "log_fx_fv" => self.log_fx_fv,
            "period_s" => self.period_s,
            "xms_side" => self.xms_side,
            "parallax_over_error" => self.parallax_over_error,
            _ => None,
        };
        v.filter(|m| m.value.is_finite())
    }
}

/// The verdict of one criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The value (± error) is within the range.
    Met,
    /// The value (± error) is outside the range.
    Violated,
    /// The source has no value.
    NotMeasured,
}

/// One criterion of one class for the source (alternative rows merged).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CriterionVerdict {
    /// The quantity.
    pub quantity: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The source's value (None when not measured).
    pub value: Option<f64>,
    /// Its 1σ error (0 when unknown).
    pub error: Option<f64>,
    /// The ranges (min, max) tested (several when alternatives).
    pub ranges: Vec<(f64, f64)>,
    /// Their references.
    pub references: Vec<String>,
    /// One-line explanation.
    pub reason: String,
}

/// One class's hint for the source.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClassHint {
    /// Class name.
    pub class: String,
    /// 1 = best.
    pub rank: usize,
    /// Criteria met.
    pub met: usize,
    /// Criteria violated.
    pub violated: usize,
    /// Criteria not measured.
    pub not_measured: usize,
    /// `met − violated`.
    pub score: i64,
    /// Every criterion with its reason.
    pub verdicts: Vec<CriterionVerdict>,
}

fn range_text(lo: f64, hi: f64) -> String {
    match (lo.is_finite(), hi.is_finite()) {
        (true, true) => format!("[{lo}, {hi}]"),
        (true, false) => format!("≥ {lo}"),
        (false, true) => format!("≤ {hi}"),
        (false, false) => "any".into(),
    }
}

fn judge(quantity: &str, rows: &[&Criterion], q: &SourceQuantities) -> CriterionVerdict {
    let ranges: Vec<(f64, f64)> = rows.iter().map(|r| (r.min, r.max)).collect();
    let references: Vec<String> = rows.iter().map(|r| r.reference.clone()).collect();
    let rtext = ranges
        .iter()
        .zip(rows)
        .map(|(&(a, b), r)| {
            let note = if r.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.note)
            };
            format!("{}{note}", range_text(a, b))
        })
        .collect::<Vec<_>>()
        .join(" or ");
    let short_ref = rows
        .iter()
        .map(|r| short(&r.reference))
        .collect::<Vec<_>>()
        .join("; ");
    let Some(m) = q.get(quantity) else {
        return CriterionVerdict {
            quantity: quantity.into(),
            verdict: Verdict::NotMeasured,
            value: None,
            error: None,
            ranges,
            references,
            reason: format!("{quantity} not measured; typical {rtext} ({short_ref})"),
        };
    };
    let s = m.err0();
    let ok = ranges
        .iter()
        .any(|&(a, b)| m.value + s >= a && m.value - s <= b);
    let val = if s > 0.0 {
        format!("{:.4} ± {:.2}", m.value, s)
    } else {
        format!("{:.4}", m.value)
    };
    let (verdict, word) = if ok {
        (Verdict::Met, "within")
    } else {
        (Verdict::Violated, "outside")
    };
    CriterionVerdict {
        quantity: quantity.into(),
        verdict,
        value: Some(m.value),
        error: Some(s),
        ranges,
        references,
        reason: format!("{quantity} = {val} is {word} {rtext} ({short_ref})"),
    }
}

/// A reference cut at its first parenthesis (the author-year part).
fn short(reference: &str) -> String {
    reference
        .split(" (")
        .next()
        .unwrap_or(reference)
        .trim()
        .to_string()
}

/// Every class of `table` judged on `q`, ranked (module docs).
pub fn classify(q: &SourceQuantities, table: &ClassTable) -> Vec<ClassHint> {
    let mut hints: Vec<ClassHint> = table
        .classes()
        .into_iter()
        .map(|class| {
            let rows: Vec<&Criterion> = table.rows.iter().filter(|r| r.class == class).collect();
            let mut quantities: Vec<&str> = Vec::new();
            for r in &rows {
                if !quantities.contains(&r.quantity.as_str()) {
                    quantities.push(&r.quantity);
                }
            }
            let verdicts: Vec<CriterionVerdict> = quantities
                .iter()
                .map(|qn| {
                    let alt: Vec<&Criterion> =
                        rows.iter().copied().filter(|r| r.quantity == *qn).collect();
                    judge(qn, &alt, q)
                })
                .collect();
            let count = |v: Verdict| verdicts.iter().filter(|x| x.verdict == v).count();
            let (met, violated, not_measured) = (
                count(Verdict::Met),
                count(Verdict::Violated),
                count(Verdict::NotMeasured),
            );
            ClassHint {
                class,
                rank: 0,
                met,
                violated,
                not_measured,
                score: met as i64 - violated as i64,
                verdicts,
            }
        })
        .collect();
    // stable: ties keep table order
    hints.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.not_measured.cmp(&b.not_measured))
    });
    for (i, h) in hints.iter_mut().enumerate() {
        h.rank = i + 1;
    }
    hints
}

/// A dividing line of the X-ray main sequence, as a polyline in the (BP−RP, log F_X/F_opt)
/// plane.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct XmsCut {
    /// Name ("empirical").
    pub name: String,
    /// (BP−RP, log₁₀ F_X/F_opt) points, BP−RP increasing.
    pub points: Vec<(f64, f64)>,
    /// Source of the line.
    pub reference: String,
    /// Caveat.
    pub note: String,
}

impl XmsCut {
    /// A straight cut `log(F_X/F_opt) = slope (BP−RP) + intercept` drawn over `x_range`.
    pub fn linear(
        name: &str,
        slope: f64,
        intercept: f64,
        x_range: (f64, f64),
        reference: &str,
        note: &str,
    ) -> XmsCut {
        XmsCut {
            name: name.into(),
            points: vec![
                (x_range.0, slope * x_range.0 + intercept),
                (x_range.1, slope * x_range.1 + intercept),
            ],
            reference: reference.into(),
            note: note.into(),
        }
    }

    /// The cut's log(F_X/F_opt) at `bp_rp` (linear in the polyline, extrapolated by its end
    /// segments).
    pub fn at(&self, bp_rp: f64) -> f64 {
        let p = &self.points;
        if p.len() == 1 {
            return p[0].1;
        }
        let k = p.partition_point(|&(x, _)| x < bp_rp).clamp(1, p.len() - 1);
        let ((x0, y0), (x1, y1)) = (p[k - 1], p[k]);
        y0 + (y1 - y0) * (bp_rp - x0) / (x1 - x0)
    }
}

/// The X-ray main-sequence cuts to draw and to test against (module docs: reconstructed,
/// to be verified against Rodriguez 2024).
pub fn xms_cuts() -> Vec<XmsCut> {
    vec![XmsCut::linear(
        "empirical",
        1.0,
        -3.5,
        (-0.5, 4.0),
        "Rodriguez 2024, PASP 136, 054201, Fig. 1 (empirical cut)",
        "reconstructed from memory without network access: verify against the paper",
    )]
}

/// The height (dex) of (bp_rp, log_fx_fopt ± err) above `cut`, as a [`Measured`] for the
/// `xms_side` criterion (the error is the log(F_X/F_opt) error; the colour error is
/// neglected).
pub fn xms_side(bp_rp: f64, log_fx_fopt: Measured, cut: &XmsCut) -> Measured {
    Measured::new(log_fx_fopt.value - cut.at(bp_rp), log_fx_fopt.error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses_with_references() {
        let t = ClassTable::parse(DEFAULT_TABLE, "embedded").unwrap();
        assert_eq!(t, ClassTable::default_table());
        assert!(t.rows.len() >= 25);
        assert!(t.rows.iter().all(|r| !r.reference.is_empty()));
        let c = t.classes();
        for want in ["active star / flare star", "cataclysmic variable", "AGN"] {
            assert!(c.iter().any(|x| x == want), "{want}");
        }
        let cv_side = t
            .rows
            .iter()
            .find(|r| r.class == "cataclysmic variable" && r.quantity == "xms_side")
            .unwrap();
        assert_eq!((cv_side.min, cv_side.max), (0.0, f64::INFINITY));
    }

    #[test]
    fn bad_tables_are_refused_with_the_row() {
        let head = "class,quantity,min,max,reference,note\n";
        let e = ClassTable::parse(&format!("{head}CV,colour,1,2,ref,\n"), "my.csv").unwrap_err();
        assert!(e.to_string().contains("my.csv") && e.to_string().contains("colour"));
        let e = ClassTable::parse(&format!("{head}CV,Gamma,x,2,ref,\n"), "my.csv").unwrap_err();
        assert!(e.to_string().contains("\"x\""));
        let e = ClassTable::parse(&format!("{head}CV,Gamma,3,2,ref,\n"), "my.csv").unwrap_err();
        assert!(e.to_string().contains("min 3 > max 2"));
        assert!(ClassTable::parse(&format!("{head}CV,Gamma,1,2,,\n"), "f").is_err());
        assert!(ClassTable::parse(head, "f").is_err());
    }

    fn seed000() -> SourceQuantities {
        // seed 000: kT 1.6 ± 0.4, Γ 2.6 ± 0.3, L_X 6e29, F_X/F_opt 0.34, log fx/fv −0.20,
        // P = 5000 s, BP−RP 2.416
        let lfo = Measured::new(0.3425f64.log10(), 0.05);
        SourceQuantities {
            kt_kev: Some(Measured::new(1.617, 0.42)),
            gamma: Some(Measured::new(2.6, 0.316)),
            log_lx: Some(Measured::new(6.44e29f64.log10(), 0.1)),
            log_fx_fopt: Some(lfo),
            log_fx_fv: Some(Measured::new(-0.203, 0.05)),
            period_s: Some(Measured::exact(5000.0)),
            xms_side: Some(xms_side(2.416, lfo, &xms_cuts()[0])),
            parallax_over_error: Some(Measured::exact(2.941 / 0.2)),
        }
    }

    #[test]
    fn seed_000_ranks_cv_first_and_explains() {
        let hints = classify(&seed000(), &ClassTable::default_table());
        assert_eq!(hints[0].class, "cataclysmic variable");
        let cv = &hints[0];
        // CV: kT, log_fx_fv, log_fx_fopt, period (orbital 4500–86400 s), xms met; L_X
        // 10^29.81 < 29.5? no: 29.81 ≥ 29.5 is met as well → 6 met, 0 violated
        assert_eq!((cv.met, cv.violated, cv.not_measured), (6, 0, 0));
        let star = hints
            .iter()
            .find(|h| h.class.starts_with("active star"))
            .unwrap();
        let v = |q: &str| {
            star.verdicts
                .iter()
                .find(|v| v.quantity == q)
                .unwrap()
                .clone()
        };
        assert_eq!(v("log_fx_fv").verdict, Verdict::Violated);
        assert!(
            v("log_fx_fv").reason.contains("outside [-5, -1]"),
            "{}",
            v("log_fx_fv").reason
        );
        assert!(v("log_fx_fv").reason.contains("Maccacaro"));
        assert_eq!(v("log_Lx").verdict, Verdict::Met);
        assert_eq!(v("period_s").verdict, Verdict::Violated);
        let agn = hints.iter().find(|h| h.class == "AGN").unwrap();
        let p = agn
            .verdicts
            .iter()
            .find(|v| v.quantity == "parallax_over_error")
            .unwrap();
        assert_eq!(p.verdict, Verdict::Violated);
        assert!(agn.score < cv.score && star.score < cv.score);
        for (i, h) in hints.iter().enumerate() {
            assert_eq!(h.rank, i + 1);
            assert_eq!(h.score, h.met as i64 - h.violated as i64);
        }
    }

    #[test]
    fn errors_widen_and_alternatives_or() {
        let t = ClassTable::parse(
            "class,quantity,min,max,reference,note\nA,Gamma,1.5,2.0,r1,\nA,period_s,10,20,r2,\nA,period_s,100,200,r3,\nB,Gamma,3,4,r4,\n",
            "t",
        )
        .unwrap();
        let q = SourceQuantities {
            gamma: Some(Measured::new(2.2, 0.25)),
            period_s: Some(Measured::exact(150.0)),
            ..Default::default()
        };
        let h = classify(&q, &t);
        // A: Γ 2.2 ± 0.25 overlaps [1.5, 2] → met; 150 s in the second alternative → met
        assert_eq!(h[0].class, "A");
        assert_eq!((h[0].met, h[0].violated), (2, 0));
        assert_eq!(h[0].verdicts[1].ranges.len(), 2);
        // without the error Γ = 2.2 is outside
        let q2 = SourceQuantities {
            gamma: Some(Measured::exact(2.2)),
            ..Default::default()
        };
        let h2 = classify(&q2, &t);
        let a = h2.iter().find(|x| x.class == "A").unwrap();
        assert_eq!((a.met, a.violated, a.not_measured), (0, 1, 1));
        // tie A (−1, 1 unmeasured) vs B (−1, 0 unmeasured): B first (fewest unmeasured)
        assert_eq!(h2[0].class, "B");
        assert!(a.verdicts[1].reason.contains("not measured"));
    }

    #[test]
    fn xms_cut_geometry() {
        let c = &xms_cuts()[0];
        assert!((c.at(2.416) - (2.416 - 3.5)).abs() < 1e-12);
        assert!((c.at(5.0) - 1.5).abs() < 1e-12); // extrapolated
        let s = xms_side(2.416, Measured::new(0.3f64.log10(), 0.1), c);
        assert!((s.value - (0.3f64.log10() - (2.416 - 3.5))).abs() < 1e-12);
        assert!(s.value > 0.0, "seed 000 is on the accreting side");
        let poly = XmsCut {
            points: vec![(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)],
            ..c.clone()
        };
        assert!((poly.at(1.5) - 0.5).abs() < 1e-12);
    }
}
