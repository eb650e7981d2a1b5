use super::render::{anchors, safe_href};
use super::*;

/// An independent base64 decoder (RFC 4648 §4), for checking the embedded figures.
fn decode64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let mut out = vec![];
    for q in s.as_bytes().chunks(4) {
        assert_eq!(q.len(), 4, "base64 length must be a multiple of 4");
        let pad = q.iter().filter(|&&c| c == b'=').count();
        let mut v = 0u32;
        for &c in &q[..4 - pad] {
            v = (v << 6) | val(c);
        }
        v <<= 6 * pad as u32;
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    out
}

/// The text between `start` and the next `end` after it, for each occurrence.
fn between<'a>(s: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    let mut v = vec![];
    let mut rest = s;
    while let Some(i) = rest.find(start) {
        let after = &rest[i + start.len()..];
        let j = after.find(end).expect("unterminated");
        v.push(&after[..j]);
        rest = &after[j..];
    }
    v
}

fn fake_png(n: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend((0..n).map(|i| (i * 37 % 256) as u8));
    v
}

fn sample() -> Document {
    let mut t = Table::new(&["class", "L_X (erg/s)", "verdict"]);
    t.sortable = true;
    t.caption = "Classes".into();
    t.rows = vec![
        vec![
            Cell::text("CV"),
            Cell::num(6.1e29, "6.1e29"),
            Cell::text("met").with_class("met"),
        ],
        vec![
            Cell::text("AGN"),
            Cell::num(f64::NAN, "—"),
            Cell::text("violated").with_class("violated"),
        ],
    ];
    Document {
        title: "0945060134-1".into(),
        subtitle: Some("X-ray follow-up report".into()),
        sections: vec![
            Section::new(
                "identification",
                "Identification",
                vec![
                    Block::Paragraph("A faint Galactic star.".into()),
                    Block::KeyValues(vec![("Parallax".into(), "2.941 ± 0.310 mas".into())]),
                ],
            ),
            Section::new("classes", "Classification", vec![Block::Table(t)]),
            Section::new(
                "xms",
                "X-ray main sequence",
                vec![Block::Figure(Figure {
                    png: fake_png(1000),
                    caption: "The source on the X-ray main sequence.".into(),
                    alt: "X-ray main-sequence diagram".into(),
                })],
            ),
            Section::not_run("timing", "Periodicity", "no event list given"),
        ],
    }
}

#[test]
fn html_base64_matches_rfc4648_vectors() {
    let vectors = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];
    for (plain, enc) in vectors {
        assert_eq!(base64(plain.as_bytes()), enc, "{plain:?}");
    }
    let all: Vec<u8> = (0..=255u8).collect();
    assert_eq!(decode64(&base64(&all)), all);
}

#[test]
fn html_every_section_is_in_the_toc_and_has_its_anchor() {
    let html = render(&sample());
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.trim_end().ends_with("</html>"));
    let toc = &html[html.find("<nav class=\"toc\"").unwrap()..html.find("</nav>").unwrap()];
    for id in ["identification", "classes", "xms", "timing"] {
        assert!(
            toc.contains(&format!("<a href=\"#{id}\">")),
            "{id} not in the TOC"
        );
        assert_eq!(html.matches(&format!("<section id=\"{id}\">")).count(), 1);
    }
    assert_eq!(toc.matches("<li>").count(), 4);
    // the title in the band and <title>, the subtitle, numbered sections
    assert!(html.contains("<title>0945060134-1</title>"));
    assert!(html.contains("<h1>0945060134-1</h1>"));
    assert!(html.contains("<p class=\"subtitle\">X-ray follow-up report</p>"));
    assert!(html.contains("<span class=\"secno\">4</span>Periodicity"));
    // the not-run section: a status notice and a TOC badge
    assert!(html.contains("not run: no event list given</p>"));
    assert_eq!(toc.matches("class=\"badge\"").count(), 1);
    assert!(toc.contains("Periodicity</a> <span class=\"badge\">not run</span>"));
    let mut failed = sample();
    failed.sections[0].status = Some("failed: Gaia file unreadable".into());
    failed.sections[1].status = Some("no prefix here".into());
    let failed = render(&failed);
    assert!(failed.contains("Identification</a> <span class=\"badge\">failed</span>"));
    assert!(failed.contains("Classification</a> <span class=\"badge\">not run</span>"));
    // blocks
    assert!(html.contains("<p>A faint Galactic star.</p>"));
    assert!(html.contains("<th scope=\"row\">Parallax</th><td>2.941 ± 0.310 mas</td>"));
    assert!(html.contains("<caption><span class=\"capno\">Table 1.</span> Classes</caption>"));
    assert!(html.contains("<span class=\"capno\">Figure 1.</span> The source on"));
    // same document, same page
    assert_eq!(html, render(&sample()));
}

#[test]
fn html_figure_base64_decodes_to_the_png_bytes() {
    let doc = sample();
    let html = render(&doc);
    let srcs = between(&html, "<img src=\"data:image/png;base64,", "\"");
    assert_eq!(srcs.len(), 1);
    assert_eq!(decode64(srcs[0]), fake_png(1000));
    assert!(html.contains("alt=\"X-ray main-sequence diagram\""));
}

#[test]
fn html_sortable_table_has_data_sort_on_every_cell() {
    let html = render(&sample());
    assert!(html.contains("<table class=\"data sortable\">"));
    let body = between(&html, "<table class=\"data sortable\">", "</table>")[0];
    let tds = body.matches("<td").count();
    assert_eq!(tds, 6);
    assert_eq!(body.matches(" data-sort=\"").count(), tds);
    // a numeric key in exponent form, a non-finite key empty (sorts last), texts as they are
    assert!(body.contains("data-sort=\"6.1e29\">6.1e29</td>"));
    assert!(body.contains("data-sort=\"\">—</td>"));
    assert!(body.contains("<td class=\"met\" data-sort=\"met\">met</td>"));
    // the sorting script is there once; an unsorted table has no data-sort
    assert_eq!(html.matches("<script>").count(), 1);
    assert!(html.contains("querySelectorAll(\"table.sortable\")"));
    let mut plain = sample();
    if let Block::Table(t) = &mut plain.sections[1].blocks[0] {
        t.sortable = false;
    }
    let html = render(&plain);
    assert!(!html.contains("data-sort=\""));
    assert!(html.contains("<table class=\"data\">"));
}

#[test]
fn html_numbers_are_right_aligned_and_short_rows_padded() {
    let mut t = Table::new(&["name", "G (mag)", "note"]);
    t.rows = vec![
        vec![Cell::text("a"), Cell::text("19.6951"), Cell::text("x")],
        vec![Cell::text("b"), Cell::text("\u{2212}0.21 ± 0.05")],
        vec![Cell::text("c")],
    ];
    let doc = Document {
        title: "t".into(),
        sections: vec![Section::new("s", "S", vec![Block::Table(t)])],
        ..Document::default()
    };
    let html = render(&doc);
    assert!(html.contains("<th scope=\"col\" class=\"num\">G (mag)</th>"));
    assert!(html.contains("<th scope=\"col\">name</th>"));
    assert!(html.contains("<td class=\"num\">19.6951</td>"));
    assert!(html.contains("<td class=\"num\">\u{2212}0.21 ± 0.05</td>"));
    // every row has the three cells
    let body = between(&html, "<tbody>", "</tbody>")[0];
    for row in between(body, "<tr>", "</tr>") {
        assert_eq!(row.matches("<td").count(), 3, "{row}");
    }
}

#[test]
fn html_hostile_text_is_escaped_everywhere() {
    let evil = "<script>alert('x')</script>&\"";
    let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;";
    let mut t = Table::new(&[evil]);
    t.caption = evil.into();
    t.sortable = true;
    t.rows = vec![vec![Cell {
        text: evil.into(),
        class: Some(format!("met\" onclick=\"{evil}")),
        href: Some(format!("x.html?{evil}")),
        sort_key: None,
    }]];
    let doc = Document {
        title: evil.into(),
        subtitle: Some(evil.into()),
        sections: vec![
            Section {
                id: evil.into(),
                title: evil.into(),
                blocks: vec![
                    Block::Paragraph(evil.into()),
                    Block::Notice(evil.into()),
                    Block::KeyValues(vec![(evil.into(), evil.into())]),
                    Block::Table(t),
                    Block::Figure(Figure {
                        png: vec![1, 2, 3],
                        caption: evil.into(),
                        alt: evil.into(),
                    }),
                ],
                status: Some(evil.into()),
            },
            Section::new(
                "links",
                "Links",
                vec![Block::Table(Table {
                    columns: vec!["a".into()],
                    rows: vec![vec![Cell::link("click", "JavaScript:alert(1)")]],
                    ..Table::default()
                })],
            ),
        ],
    };
    let html = render(&doc);
    // only our own script element; the evil text never appears raw
    assert_eq!(html.matches("<script").count(), 1);
    assert!(!html.contains("alert('x')"));
    assert!(!html.contains("onclick="));
    // title, subtitle, section title, TOC, paragraph, notice, status, key, value, header,
    // caption, cell, data-sort, figure caption and alt: 16 escaped copies; the href one more
    assert_eq!(html.matches(escaped).count(), 17);
    assert!(html.contains(&format!("href=\"x.html?{escaped}\"")));
    // the id became attribute-safe and the TOC links to it
    let id = &anchors(&doc.sections)[0];
    assert!(id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    assert!(html.contains(&format!("<section id=\"{id}\">")));
    assert!(html.contains(&format!("<a href=\"#{id}\">")));
    // the cell class lost its quotes; the javascript: link is dropped, its text kept
    assert!(html.contains("<td class=\"met onclickscriptalertxscript\" data-sort=\""));
    assert!(!html.to_ascii_lowercase().contains("javascript:"));
    assert!(html.contains("<td>click</td>"));
}

#[test]
fn html_loads_nothing_from_outside_the_file() {
    let mut doc = sample();
    doc.sections[0].blocks.push(Block::Table(Table {
        columns: vec!["archive".into()],
        rows: vec![vec![Cell::link(
            "XMM-Newton Science Archive",
            "https://nxsa.esac.esa.int/nxsa-web/",
        )]],
        ..Table::default()
    }));
    let html = render(&doc).to_ascii_lowercase();
    // the external link is a plain anchor …
    assert!(html.contains("<a href=\"https://nxsa.esac.esa.int/nxsa-web/\">"));
    // … and nothing is fetched: no src/href/url()/@import pointing outside, no <link>
    for bad in [
        "src=\"http",
        "src='http",
        "src=http",
        "<link",
        "@import",
        "url(",
        "//cdn",
    ] {
        assert!(!html.contains(bad), "{bad}");
    }
    for src in between(&html, "src=\"", "\"") {
        assert!(src.starts_with("data:image/png;base64,"), "{src}");
    }
}

#[test]
fn html_anchors_are_unique_and_safe() {
    let s = |id: &str| Section::new(id, "t", vec![]);
    let ids = anchors(&[s("a"), s("a"), s(""), s("x y"), s("a"), s("a-2")]);
    assert_eq!(ids, ["a", "a-2", "section-3", "x-y", "a-3", "a-2-2"]);
}

#[test]
fn html_links_keep_relative_and_web_targets_only() {
    for ok in [
        "src1/report.html",
        "#classes",
        "../x.html?a=b:c",
        "https://sky.esa.int/esasky/?target=53.6%20-28.9",
        "HTTP://example.org",
        "mailto:someone@example.org",
    ] {
        assert!(safe_href(ok), "{ok}");
    }
    for bad in [
        "javascript:alert(1)",
        " data:text/html,x",
        "vbscript:x",
        "file:///etc/passwd",
        "",
    ] {
        assert!(!safe_href(bad), "{bad}");
    }
}

#[test]
fn html_index_links_each_source_to_its_report() {
    let rows = vec![
        IndexRow {
            report_href: "src-0001/report.html".into(),
            cells: vec![Cell::text("34-1"), Cell::text("CV").with_class("met")],
        },
        IndexRow {
            report_href: "src-0002/report.html".into(),
            cells: vec![Cell::text("33-5"), Cell::text("active star")],
        },
    ];
    let doc = index_document(
        "exod follow-up: field 0945060134",
        &["source", "best class"],
        rows,
    );
    assert_eq!(doc.sections.len(), 1);
    let Block::Table(t) = &doc.sections[0].blocks[0] else {
        panic!("expected a table")
    };
    assert!(t.sortable);
    assert_eq!(t.columns, ["source", "best class"]);
    assert_eq!(t.rows[0][0].href.as_deref(), Some("src-0001/report.html"));
    assert_eq!(t.rows[1][0].href.as_deref(), Some("src-0002/report.html"));
    assert_eq!(t.rows[1][1].href, None);
    let html = render(&doc);
    assert!(html.contains("<td data-sort=\"34-1\"><a href=\"src-0001/report.html\">34-1</a></td>"));
    assert!(html.contains("<td data-sort=\"33-5\"><a href=\"src-0002/report.html\">33-5</a></td>"));
    assert!(html.contains("2 sources: click a column header to sort."));
    // one section: no table of contents, the table uses the full width
    assert!(!html.contains("<nav class=\"toc\""));
    assert!(html.contains("<div class=\"wrap layout single\">"));
}

#[test]
fn html_write_is_atomic_and_names_the_file_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("report.html");
    write_html(&p, &sample()).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), render(&sample()));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["report.html"], "no temporary file left");
    let missing = dir.path().join("no/such/dir/report.html");
    let e = write_html(&missing, &sample()).unwrap_err().to_string();
    assert!(e.contains("no/such/dir/report.html"), "{e}");
    assert!(!missing.exists());
}
