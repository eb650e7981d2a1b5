//! The report page (`report.html`) and the index of `--all`, as `exod_io::html` documents.

use anyhow::Result;
use exod_core::followup::classify::Verdict;
use exod_core::followup::Measured;
use exod_io::html::{index_document, Block, Cell, Document, Figure, IndexRow, Section, Table};
use exod_plot::xms::{xms_png, CutStyle, XmsLine, XmsOptions, XmsPoint};
use serde_json::Value;

use super::science::Science;
use super::steps::{safe_name, Products, Step};
use super::Source;

/// `1.234e-14 ± 5.6e-15` (or the value alone, or "—").
fn pm(m: Measured, unit: &str) -> String {
    match (m.value.is_finite(), m.error.is_finite() && m.error > 0.0) {
        (false, _) => "—".into(),
        (true, true) => format!("{:.4e} ± {:.2e} {unit}", m.value, m.error),
        (true, false) => format!("{:.4e} {unit}", m.value),
    }
}

fn sexagesimal(ra: f64, dec: f64) -> String {
    let h = ra / 15.0;
    let (hh, mm) = (h.floor(), (h.fract() * 60.0).floor());
    let ss = ((h * 60.0).fract()) * 60.0;
    let s = if dec < 0.0 { '−' } else { '+' };
    let d = dec.abs();
    let (dd, dm) = (d.floor(), (d.fract() * 60.0).floor());
    let ds = ((d * 60.0).fract()) * 60.0;
    format!("{hh:02.0}h{mm:02.0}m{ss:05.2}s {s}{dd:02.0}°{dm:02.0}′{ds:04.1}″")
}

/// The whole report of one source.
pub fn document(src: &Source, s: &Science, p: &Products) -> Result<Document> {
    Ok(Document {
        title: format!("exod follow-up — {}", src.name),
        subtitle: Some(format!(
            "RA {:.5}° Dec {:+.5}° ({}) · position error {:.1}″ (1σ) · from {}",
            src.ra,
            src.dec,
            sexagesimal(src.ra, src.dec),
            src.pos_err_arcsec,
            src.origin
        )),
        sections: vec![
            counterparts(s),
            fluxes(s),
            xms(s)?,
            timing(p),
            spectral(s, p),
            classes(s),
            method(s),
        ],
    })
}

fn counterparts(s: &Science) -> Section {
    let mut t = Table::new(&[
        "#",
        "catalogue",
        "id",
        "separation (″)",
        "radius (″)",
        "P(chance)",
        "type / G",
        "parallax (mas)",
        "BP−RP",
    ]);
    t.sortable = true;
    t.caption = "Within k·√(σ_X² + σ_cat²) (k = 3, 5–60″), nearest first; P(chance) = 1 − exp(−π r² ρ) at the separation, ρ from the catalogue within 1′–5′.".into();
    for c in &s.counterparts {
        let n = |k: &str| c.numbers.get(k).copied().unwrap_or(f64::NAN);
        let kind = c.texts.get("main_type").cloned().unwrap_or_else(|| {
            if n("phot_g_mean_mag").is_finite() {
                format!("G = {:.3}", n("phot_g_mean_mag"))
            } else {
                String::new()
            }
        });
        let f = |x: f64, d: usize| {
            if x.is_finite() {
                format!("{x:.d$}")
            } else {
                "—".into()
            }
        };
        t.rows.push(vec![
            Cell::num(c.rank as f64, c.rank.to_string()),
            Cell::text(c.catalog.clone()),
            Cell::text(c.id.clone()),
            Cell::num(c.separation_arcsec, f(c.separation_arcsec, 2)),
            Cell::num(c.radius_arcsec, f(c.radius_arcsec, 1)),
            Cell::num(c.p_chance, format!("{:.2e}", c.p_chance)),
            Cell::text(kind),
            Cell::num(n("parallax"), f(n("parallax"), 3)),
            Cell::num(n("bp_rp"), f(n("bp_rp"), 3)),
        ]);
    }
    if s.counterparts.is_empty() {
        return Section::not_run(
            "counterparts",
            "Counterparts",
            "no catalogue entry within the match radius (or no --catalog given)",
        );
    }
    Section::new("counterparts", "Counterparts", vec![Block::Table(t)])
}

fn fluxes(s: &Science) -> Section {
    let mut kv = vec![
        ("F_X 0.2–12 keV".to_string(), pm(s.fx, "erg cm⁻² s⁻¹")),
        (
            "F_X 0.3–3.5 keV".to_string(),
            pm(s.fx_03_35, "erg cm⁻² s⁻¹"),
        ),
        ("F_X from".to_string(), s.fx_origin.clone()),
    ];
    if let Some((nh, how)) = &s.nh {
        kv.push(("N_H".into(), format!("{} ({how})", pm(*nh, "×10²² cm⁻²"))));
    }
    if let Some(d) = &s.distance {
        kv.push((
            "Distance".into(),
            if d.is_some() {
                format!(
                    "{:.1} pc [{:.1}, {:.1}] ({:?}; parallax zero point {} mas)",
                    d.distance_pc, d.lower_pc, d.upper_pc, d.method, d.zero_point_mas
                )
            } else {
                format!("none ({:?})", d.method)
            },
        ));
    }
    let r = &s.ratios;
    if let Some(l) = &r.lx {
        kv.push((
            "L_X = 4πd²F_X (0.2–12 keV)".into(),
            format!(
                "{:.3e} erg s⁻¹ [{:.3e}, {:.3e}]",
                l.lx_erg_s, l.lower_erg_s, l.upper_erg_s
            ),
        ));
    }
    if let Some(f) = &r.f_opt {
        kv.push((
            "F_opt (Gaia G)".into(),
            format!(
                "{} (F₀ = {:.4e})",
                pm(Measured::new(f.flux, f.error), "erg cm⁻² s⁻¹"),
                f.f0
            ),
        ));
    }
    if let Some(x) = &r.fx_fopt {
        kv.push((
            "F_X / F_opt".into(),
            format!("{:.3} ± {:.3} (log {:.2})", x.value, x.error, x.log10),
        ));
    }
    if let Some(x) = &r.log_fx_fv {
        kv.push((
            "log(f_x/f_v) (Maccacaro et al. 1988)".into(),
            format!(
                "{:.2} ± {:.2} (m_v = {:.3}, {:?})",
                x.value, x.error, x.m_v, x.m_v_source
            ),
        ));
    }
    let mut blocks = vec![Block::KeyValues(kv)];
    for n in &r.notes {
        blocks.push(Block::Notice(n.clone()));
    }
    Section::new("fluxes", "Distance, fluxes and ratios", blocks)
}

fn xms(s: &Science) -> Result<Section> {
    let (Some(r), true) = (&s.ratios.fx_fopt, s.bp_rp.value.is_finite()) else {
        return Ok(Section::not_run(
            "xms",
            "X-ray main sequence",
            "needs F_X/F_opt and the counterpart's BP−RP",
        ));
    };
    let mut pt = XmsPoint::new(s.bp_rp.value, r.log10);
    pt.log_ratio_err_lo = r.log10_error.max(0.0);
    pt.log_ratio_err_hi = r.log10_error.max(0.0);
    let lines: Vec<XmsLine> = s
        .xms_cuts
        .iter()
        .map(|c| XmsLine {
            label: format!("{} cut", c.name),
            points: c.points.clone(),
            style: CutStyle::Solid,
        })
        .collect();
    // the diagram's usual extent (Rodriguez 2024 Fig. 1), widened to hold the source and the
    // cuts' ends (a polyline leaving the axes would be clamped, not clipped)
    let (mut x0, mut x1, mut y0, mut y1) = (-0.6f64, 4.1f64, -5.0f64, 2.0f64);
    for &(x, y) in lines
        .iter()
        .flat_map(|l| l.points.iter())
        .chain([(pt.bp_rp, pt.log_ratio)].iter())
    {
        (x0, x1, y0, y1) = (
            x0.min(x - 0.1),
            x1.max(x + 0.1),
            y0.min(y - 0.3),
            y1.max(y + 0.3),
        );
    }
    let opts = XmsOptions {
        x_range: Some((x0, x1)),
        y_range: Some((y0, y1)),
        ..XmsOptions::default()
    };
    let png = xms_png(&[], &lines, Some(pt), &opts)?;
    let side = s
        .xms_side
        .map_or("—".into(), |m| format!("{:+.2} dex", m.value));
    let note = s
        .xms_cuts
        .first()
        .map(|c| c.note.clone())
        .unwrap_or_default();
    Ok(Section::new(
        "xms",
        "X-ray main sequence",
        vec![
            Block::Figure(Figure {
                png,
                caption: format!("F_X/F_opt against BP−RP (Rodriguez 2024); height above the cut {side} (> 0: the accreting compact-binary side)."),
                alt: "X-ray main-sequence diagram".into(),
            }),
            Block::Notice(note),
        ],
    ))
}

fn figures(step: &Step) -> Vec<Block> {
    let Step::Done { png, .. } = step else {
        return vec![];
    };
    png.iter()
        .filter_map(|(caption, path)| {
            std::fs::read(path).ok().map(|png| {
                Block::Figure(Figure {
                    png,
                    caption: caption.clone(),
                    alt: caption.clone(),
                })
            })
        })
        .collect()
}

fn timing(p: &Products) -> Section {
    let (lc, per) = (p.lc.reason(), p.period.reason());
    if let (Some(a), Some(b)) = (&lc, &per) {
        return Section::not_run(
            "timing",
            "Light curve and periodicity",
            &format!("{a}; {b}"),
        );
    }
    let mut blocks = figures(&p.lc);
    if let Some(r) = lc {
        blocks.push(Block::Notice(format!("light curve not run: {r}")));
    }
    match &p.period {
        Step::Done { json, .. } => {
            let g = |k: &str| json[k].as_f64().unwrap_or(f64::NAN);
            blocks.push(Block::KeyValues(vec![
                (
                    "Method".into(),
                    json["method"].as_str().unwrap_or("?").to_string(),
                ),
                (
                    "Best period".into(),
                    format!("{:.6} ± {:.2e} s", g("best_period_s"), g("period_error_s")),
                ),
                (
                    "Power, log10 FAP (multi-trial)".into(),
                    format!("{:.2}, {:.2}", g("best_power"), g("log10_fap")),
                ),
                (
                    "Detected at 3σ".into(),
                    json["detected_3sigma"]
                        .as_bool()
                        .unwrap_or(false)
                        .to_string(),
                ),
                (
                    "Pulsed fraction".into(),
                    format!(
                        "{:.3} ± {:.3}",
                        g("pulsed_fraction"),
                        g("pulsed_fraction_error")
                    ),
                ),
            ]));
            blocks.extend(figures(&p.period));
            blocks.push(Block::Notice("The periodicity tests are against a constant rate: a flare or a burst in the light curve also gives a detection at low frequency (look at the light curve before trusting a period).".into()));
        }
        other => blocks.push(Block::Notice(format!(
            "periodicity search not run: {}",
            other.reason().unwrap_or_default()
        ))),
    }
    Section::new("timing", "Light curve and periodicity", blocks)
}

fn spectral(s: &Science, p: &Products) -> Section {
    let Step::Done { json, .. } = &p.fit else {
        return Section::not_run(
            "spectral",
            "Spectral fits",
            &p.fit.reason().unwrap_or_default(),
        );
    };
    let fits: Vec<&Value> = json
        .get("fits")
        .and_then(Value::as_array)
        .map_or(vec![json], |f| f.iter().collect());
    let best = s
        .best_fit
        .as_ref()
        .and_then(|b| b["model"].as_str())
        .unwrap_or_default();
    let mut t = Table::new(&[
        "model",
        "statistic",
        "stat / dof",
        "AIC",
        "parameters (1σ profile)",
        "F_X 0.2–12 keV (abs.)",
    ]);
    for f in fits {
        let model = f["model"].as_str().unwrap_or("?").to_string();
        let params: Vec<String> = f["params"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| v["frozen"].as_bool() != Some(true))
                    .map(|(k, v)| {
                        let g = |x: &str| short(v[x].as_f64().unwrap_or(f64::NAN));
                        format!("{k} {} [{}, {}]", g("value"), g("lower"), g("upper"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let fx = f["flux"]["0.2-12"]["absorbed"]["value"]
            .as_f64()
            .unwrap_or(f64::NAN);
        let cell = |c: Cell| {
            if model == best {
                c.with_class("best")
            } else {
                c
            }
        };
        t.rows.push(vec![
            cell(Cell::text(model.clone())),
            Cell::text(f["statistic"].as_str().unwrap_or("?").to_string()),
            Cell::text(format!(
                "{:.2} / {}",
                f["stat_value"].as_f64().unwrap_or(f64::NAN),
                f["dof"]
            )),
            Cell::num(
                f["aic"].as_f64().unwrap_or(f64::NAN),
                format!("{:.2}", f["aic"].as_f64().unwrap_or(f64::NAN)),
            ),
            Cell::text(params.join("; ")),
            Cell::num(fx, format!("{fx:.3e}")),
        ]);
    }
    t.caption = format!("Best (lowest AIC, bold): {best}.");
    let mut blocks = vec![Block::Table(t)];
    blocks.extend(figures(&p.fit));
    Section::new("spectral", "Spectral fits", blocks)
}

/// 4 significant digits, in exponent form when small or large.
fn short(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-2 || x.abs() >= 1e4) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}

fn classes(s: &Science) -> Section {
    let mut t = Table::new(&[
        "rank",
        "class",
        "score",
        "met",
        "violated",
        "not measured",
        "reasons",
    ]);
    t.sortable = true;
    for h in &s.class_hints {
        let reasons: Vec<String> = h
            .verdicts
            .iter()
            .filter(|v| v.verdict != Verdict::NotMeasured)
            .map(|v| v.reason.clone())
            .collect();
        let class = if h.violated == 0 && h.met > 0 {
            "met"
        } else if h.met == 0 {
            "violated"
        } else {
            "partial"
        };
        t.rows.push(vec![
            Cell::num(h.rank as f64, h.rank.to_string()),
            Cell::text(h.class.clone()).with_class(class),
            Cell::num(h.score as f64, h.score.to_string()),
            Cell::num(h.met as f64, h.met.to_string()).with_class("met"),
            Cell::num(h.violated as f64, h.violated.to_string()).with_class("violated"),
            Cell::num(h.not_measured as f64, h.not_measured.to_string()).with_class("unmeasured"),
            Cell::text(reasons.join(" · ")),
        ]);
    }
    t.caption = "Each class's typical ranges (crates/exod-core/data/classes/classes.csv, with the literature source of every row); score = met − violated.".into();
    Section::new(
        "classification",
        "Classification hints",
        vec![Block::Table(t)],
    )
}

fn method(s: &Science) -> Section {
    let f0 = s
        .ratios
        .f_opt
        .as_ref()
        .map_or(String::from("—"), |f| format!("{:.4e}", f.f0));
    Section::new(
        "method",
        "Method and constants",
        vec![Block::KeyValues(vec![
            ("Counterparts".into(), "local catalogue files (offline); radius k·√(σ_X² + σ_cat²), k = 3, clamped to 5–60″".into()),
            ("Distance".into(), "1/ϖ when σ_ϖ/ϖ < 0.1, else the mode of the exponentially decreasing space density posterior (Bailer-Jones 2015, L = 1.35 kpc); parallax zero point subtracted (Lindegren et al. 2021)".into()),
            ("F_opt".into(), format!("F₀·10^(−G/2.5), F₀ = {f0} erg cm⁻² s⁻¹ from the Gaia EDR3 G passband (Riello et al. 2021); the seeds use 1.05e-5")),
            ("log(f_x/f_v)".into(), "log f_x(0.3–3.5 keV) + m_v/2.5 + 5.37 (Maccacaro et al. 1988)".into()),
            ("L_X".into(), "4πd²F_X, F_X absorbed 0.2–12 keV".into()),
        ])],
    )
}

/// The index page of `--all`: one row per source with its best class hint.
pub fn index(results: &[(String, anyhow::Result<Value>)]) -> Document {
    let rows = results
        .iter()
        .map(|(name, r)| {
            let href = format!("{}/report.html", safe_name(name));
            match r {
                Ok(doc) => {
                    let g = |k: &str| doc[k].as_f64().unwrap_or(f64::NAN);
                    let e = |x: f64| {
                        if x.is_finite() {
                            format!("{x:.3e}")
                        } else {
                            "—".into()
                        }
                    };
                    IndexRow {
                        report_href: href,
                        cells: vec![
                            Cell::text(name.clone()),
                            Cell::num(
                                doc["counterparts"].as_array().map_or(0, |c| c.len()) as f64,
                                doc["counterparts"]
                                    .as_array()
                                    .map_or(0, |c| c.len())
                                    .to_string(),
                            ),
                            Cell::num(g("fx_erg_cm2_s"), e(g("fx_erg_cm2_s"))),
                            Cell::num(g("lx_erg_s"), e(g("lx_erg_s"))),
                            Cell::text(
                                doc["class_hints"][0]["class"]
                                    .as_str()
                                    .unwrap_or("—")
                                    .to_string(),
                            ),
                        ],
                    }
                }
                Err(err) => IndexRow {
                    report_href: href,
                    cells: vec![
                        Cell::text(name.clone()),
                        Cell::text("—"),
                        Cell::text("—"),
                        Cell::text("—"),
                        Cell::text(format!("failed: {err:#}")).with_class("violated"),
                    ],
                },
            }
        })
        .collect();
    index_document(
        "exod follow-up: all sources",
        &[
            "source",
            "counterparts",
            "F_X 0.2–12 keV",
            "L_X (erg/s)",
            "best class hint",
        ],
        rows,
    )
}
