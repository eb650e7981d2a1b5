//! A sample follow-up page with every block type (paragraphs, key/value lists, a sortable table
//! with classification cells, an embedded X-ray main-sequence figure, notices, sections that
//! did not run) and the index page linking to it, for checking the look in a browser:
//!
//! ```text
//! cargo run -p exod-io --example html_sample -- target/html-sample
//! scripts/screenshot_report.sh target/html-sample/report.html target/html-sample/report.png
//! ```
//!
//! The numbers are those of the hand-written seed report 000 (source 0945060134-1) rounded, and
//! the background population and the cut lines are ILLUSTRATIVE shapes, not the Rodriguez
//! (2024) values: this page shows the layout, not a result.

use std::path::PathBuf;

use exod_io::html::{
    index_document, write_html, Block, Cell, Document, Figure, IndexRow, Section, Table,
};
use exod_plot::xms::{xms_png, CutStyle, XmsLine, XmsOptions, XmsPoint};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/html-sample".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let doc = report(figure()?);
    write_html(&dir.join("report.html"), &doc)?;
    let index = index_document(
        "exod follow-up: sample field",
        &["source", "best class", "F_X (erg/cm²/s)", "d (pc)"],
        vec![IndexRow {
            report_href: "report.html".into(),
            cells: vec![
                Cell::text("0945060134-1"),
                Cell::text("cataclysmic variable").with_class("met"),
                Cell::num(4.0e-14, "4.0e-14"),
                Cell::num(340.0, "340"),
            ],
        }],
    );
    write_html(&dir.join("index.html"), &index)?;
    println!("{}", dir.join("report.html").display());
    Ok(())
}

/// SplitMix64: a fixed sequence of uniform numbers in [0, 1) (no dependency, no seed to vary).
fn uniforms(n: usize) -> Vec<f64> {
    let mut z: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((x ^ (x >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// An illustrative population: a "main sequence" of active stars and a few accretors above it.
fn population() -> Vec<XmsPoint> {
    let u = uniforms(3 * 1600);
    let gauss = |a: f64, b: f64| (-2.0 * (1.0 - a).ln()).sqrt() * (std::f64::consts::TAU * b).cos();
    (0..1600)
        .map(|i| {
            let (a, b, c) = (u[3 * i], u[3 * i + 1], u[3 * i + 2]);
            if i % 25 == 0 {
                XmsPoint::new(-0.3 + 1.6 * a, -1.3 + 0.9 * gauss(b, c))
            } else {
                let x = 0.5 + 2.6 * a.powf(0.8);
                XmsPoint::new(x, -4.6 + 0.9 * x - 0.1 * x * x + 0.55 * gauss(b, c))
            }
        })
        .collect()
}

fn figure() -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let cuts = vec![
        XmsLine {
            label: "empirical cut (illustrative)".into(),
            points: vec![(-0.5, -0.7), (1.0, -1.5), (3.5, -2.9)],
            style: CutStyle::Solid,
        },
        XmsLine {
            label: "theoretical cut (illustrative)".into(),
            points: vec![(-0.5, -0.3), (1.5, -1.6), (3.5, -2.4)],
            style: CutStyle::Dotted,
        },
    ];
    let source = XmsPoint {
        bp_rp: 2.416,
        log_ratio: -0.52,
        bp_rp_err: 0.11,
        log_ratio_err_lo: 0.25,
        log_ratio_err_hi: 0.18,
    };
    let opts = XmsOptions {
        source_label: "0945060134-1".into(),
        background_label: "Galactic X-ray sources (illustrative)".into(),
        x_range: Some((-0.5, 3.5)),
        y_range: Some((-6.0, 1.5)),
        annotations: vec![
            (-0.35, 1.0, "accreting compact objects".into()),
            (1.9, -5.3, "active stars".into()),
        ],
        ..XmsOptions::default()
    };
    Ok(xms_png(&population(), &cuts, Some(source), &opts)?)
}

fn kv(pairs: &[(&str, &str)]) -> Block {
    Block::KeyValues(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn counterparts() -> Table {
    let mut t = Table::new(&["catalogue", "id", "separation (″)", "G (mag)", "P(chance)"]);
    t.sortable = true;
    t.caption = "Counterparts within 3σ of the X-ray position, nearest first.".into();
    let row = |cat: &str, id: &str, sep: f64, g: &str, p: &str| {
        vec![
            Cell::text(cat),
            Cell::text(id),
            Cell::num(sep, format!("{sep:.2}")),
            Cell::text(g),
            Cell::text(p),
        ]
    };
    t.rows = vec![
        row("Gaia DR3", "5053781316580513664", 0.84, "19.695", "0.004"),
        row(
            "XMM-OM SUSS 6.2",
            "XMMOM J033422.7-285410",
            2.31,
            "",
            "0.05",
        ),
        row("2MASS", "03342272-2854098", 1.12, "", "0.01"),
    ];
    t
}

fn classes() -> Table {
    let mut t = Table::new(&[
        "class",
        "score",
        "kT / Γ",
        "L_X",
        "F_X/F_opt",
        "period",
        "XMS side",
    ]);
    t.sortable = true;
    t.caption = "Classification hints: which typical ranges the source meets.".into();
    let m = |s: &str| Cell::text(s).with_class("met");
    let v = |s: &str| Cell::text(s).with_class("violated");
    let u = || Cell::text("not measured").with_class("unmeasured");
    t.rows = vec![
        vec![
            Cell::text("cataclysmic variable").with_class("best"),
            Cell::num(4.0, "4 / 5"),
            m("met"),
            m("met"),
            m("met"),
            m("met"),
            u(),
        ],
        vec![
            Cell::text("active star"),
            Cell::num(2.0, "2 / 5"),
            m("met"),
            m("met"),
            v("violated"),
            v("violated"),
            v("violated"),
        ],
        vec![
            Cell::text("X-ray binary"),
            Cell::num(1.0, "1 / 5"),
            v("violated"),
            v("violated"),
            m("met"),
            Cell::text("partial").with_class("partial"),
            u(),
        ],
        vec![
            Cell::text("AGN"),
            Cell::num(0.0, "0 / 5"),
            u(),
            v("violated"),
            v("violated"),
            v("violated"),
            v("violated"),
        ],
    ];
    t
}

fn report(png: Vec<u8>) -> Document {
    Document {
        title: "0945060134-1".into(),
        subtitle: Some("X-ray follow-up report · RA 53.59467° Dec −28.90278° (J2000) · sample page, illustrative numbers".into()),
        sections: vec![
            Section::new("identification", "Identification", vec![
                Block::Paragraph("First detection in observation 0945060134 (EPIC pn, MOS1, MOS2); the same source is detected in 0945060133 as source 5. Long-term variability 11.9; no short-term variability.".into()),
                kv(&[("Position (J2000)", "03h34m22.72s −28°54′10.0″ ± 1.1″"), ("Observation", "0945060134"), ("Detection likelihood", "pn 514.4, MOS2 132.2")]),
            ]),
            Section::new("counterparts", "Counterparts", vec![
                Block::Table(counterparts()),
                Block::Notice("No SIMBAD object within 10″ (offline SIMBAD dump of the field).".into()),
            ]),
            Section::new("fluxes", "Distance, fluxes and ratios", vec![
                kv(&[
                    ("Parallax", "2.941 ± 0.310 mas"),
                    ("Distance", "340 (+40 / −32) pc"),
                    ("F_X (0.2–12 keV)", "(4.0 ± 0.5) × 10⁻¹⁴ erg cm⁻² s⁻¹"),
                    ("F_X (0.3–3.5 keV)", "(3.5 ± 0.4) × 10⁻¹⁴ erg cm⁻² s⁻¹"),
                    ("L_X (0.2–12 keV)", "(5.5 ± 1.3) × 10²⁹ erg s⁻¹"),
                    ("F_X / F_opt", "0.30 ± 0.05"),
                    ("log(f_x/f_v)", "−0.21 ± 0.06 (Maccacaro et al. 1988)"),
                ]),
                Block::Notice("Distance by parallax inversion (fractional error 0.11 < 0.2), parallax zero point −0.017 mas.".into()),
            ]),
            Section::new("xms", "X-ray main sequence", vec![
                Block::Figure(Figure {
                    png,
                    caption: "The source on the X-ray main sequence (Rodriguez 2024): BP − RP against log₁₀(F_X/F_opt). Accreting compact objects lie above the cuts, active stars below. Background and cuts here are illustrative.".into(),
                    alt: "X-ray main-sequence diagram with the source marked".into(),
                }),
            ]),
            Section::new("classes", "Classification hints", vec![
                Block::Table(classes()),
                Block::Paragraph("A cataclysmic variable meets the most criteria: F_X/F_opt above the main sequence and a 5000 s modulation within the CV orbital-period range (80 min – 10 h).".into()),
            ]),
            Section::not_run("timing", "Periodicity", "no event list given on the command line"),
            Section {
                status: Some("not run: spectral fitting needs the source spectrum (exod spectrum)".into()),
                ..Section::new("spectra", "Spectral fits", vec![Block::Notice("The fluxes above come from the detection's count rate with an assumed Γ = 1.7, N_H = 3 × 10²⁰ cm⁻² spectrum.".into())])
            },
        ],
    }
}
