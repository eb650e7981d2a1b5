//! A small, generic, self-contained HTML report: the document model of the follow-up report
//! (issue #14) and of its index page, and the renderer that turns it into one static HTML5 file.
//!
//! The model knows nothing of the science: a [`Document`] is a title (the source's name, shown
//! in the header band), a subtitle and [`Section`]s; a section holds [`Block`]s — paragraphs,
//! key/value lists, [`Table`]s (column headers, per-cell CSS class and link, optional
//! client-side sorting), [`Figure`]s (PNG bytes, embedded as `data:image/png;base64`) and
//! notices. A section that could not be computed carries a `status` ("not run: <reason>"),
//! shown as a styled notice above whatever blocks it still has.
//!
//! [`render`] writes one file that needs no network to be viewed: the CSS (`style.css`) and the
//! few lines of vanilla JavaScript that sort tables are inline, figures are data URIs, and no
//! `src`/`<link>` points outside the file (links the caller gives stay plain `<a href>`, never
//! fetched). Every text is escaped (`&`, `<`, `>`, `"`, `'`); links with a scheme other than
//! `http`, `https` or `mailto` (e.g. `javascript:`) are dropped, the text kept. Tables stay
//! readable without JavaScript (the rows in the order given); with it, a click on a column
//! header sorts by the cells' `sort_key` (else their text).
//!
//! [`write_html`] writes a document atomically (temporary file renamed into place, like every
//! exod output); [`index_document`] builds the index page of `exod followup --all`.
//!
//! ```
//! use exod_io::html::{render, Block, Cell, Document, Section, Table};
//! let mut t = Table::new(&["class", "verdict"]);
//! t.rows.push(vec![Cell::text("CV"), Cell::text("met").with_class("met")]);
//! let doc = Document {
//!     title: "0945060134-1".into(),
//!     subtitle: Some("X-ray follow-up report".into()),
//!     sections: vec![Section::new("class", "Classification", vec![Block::Table(t)])],
//! };
//! let html = render(&doc);
//! assert!(html.contains("<section id=\"class\">"));
//! assert!(html.contains("<td class=\"met\">met</td>"));
//! ```

use std::path::Path;

use crate::IoError;

mod render;

pub use render::{esc as escape, render};

/// A report: one HTML page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// The page's title, shown large in the header band (the source's name); also the
    /// `<title>`.
    pub title: String,
    /// A line under the title (position, observation, "X-ray follow-up report" …); default none.
    pub subtitle: Option<String>,
    /// The sections, in order; each gets an entry in the table of contents.
    pub sections: Vec<Section>,
}

/// One section of a [`Document`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    /// The anchor of the section (`#id`), linked from the table of contents. Characters other
    /// than ASCII letters, digits, `-` and `_` are replaced by `-`; an empty or repeated id gets
    /// a `-N` suffix, so every anchor is unique.
    pub id: String,
    /// The heading.
    pub title: String,
    /// The content, in order.
    pub blocks: Vec<Block>,
    /// `Some("not run: <reason>")` when the section's computation did not run or failed: shown
    /// as a styled notice, and marked in the table of contents by the words before the first
    /// `:` ("not run", "failed" …). Default `None`.
    pub status: Option<String>,
}

impl Section {
    /// A section with blocks and no status.
    pub fn new(id: &str, title: &str, blocks: Vec<Block>) -> Section {
        Section {
            id: id.to_string(),
            title: title.to_string(),
            blocks,
            status: None,
        }
    }

    /// A section that did not run: no blocks, status `"not run: <reason>"`.
    pub fn not_run(id: &str, title: &str, reason: &str) -> Section {
        Section {
            status: Some(format!("not run: {reason}")),
            ..Section::new(id, title, vec![])
        }
    }
}

/// A piece of a section's content.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph of plain text (escaped; no markup).
    Paragraph(String),
    /// A two-column list of (name, value), e.g. "Parallax" → "2.941 ± 0.310 mas".
    KeyValues(Vec<(String, String)>),
    /// A table.
    Table(Table),
    /// A PNG figure.
    Figure(Figure),
    /// A highlighted remark (an assumption, a caveat, a missing input).
    Notice(String),
}

/// A table with column headers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows of cells; a row shorter than `columns` is padded with empty cells.
    pub rows: Vec<Vec<Cell>>,
    /// Sortable by a click on a column header (every cell gets a `data-sort` attribute). Default
    /// false.
    pub sortable: bool,
    /// Caption shown above the table ("Table N. caption"); empty: none (the default).
    pub caption: String,
}

impl Table {
    /// An empty, unsorted, uncaptioned table with these column headers.
    pub fn new(columns: &[&str]) -> Table {
        Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            ..Table::default()
        }
    }
}

/// One table cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    /// The text shown (escaped). Numbers are right-aligned.
    pub text: String,
    /// A CSS class for the cell; the style sheet colours `met` (green), `violated` (red),
    /// `unmeasured` (grey), `partial` (amber) and `best` (bold). Characters other than ASCII
    /// letters, digits, `-`, `_` and space are dropped. Default none.
    pub class: Option<String>,
    /// A link target for the cell's text (relative path, `#anchor`, `http(s):` or `mailto:`;
    /// other schemes are dropped). Default none.
    pub href: Option<String>,
    /// The value a sortable table sorts this cell by (numerically); default none: the cell
    /// sorts by its text (numerically when the text is a number). A non-finite key sorts last.
    pub sort_key: Option<f64>,
}

impl Cell {
    /// A text cell.
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    /// A number shown as `text` and sorted by `value`.
    pub fn num(value: f64, text: impl Into<String>) -> Cell {
        Cell {
            sort_key: Some(value),
            ..Cell::text(text)
        }
    }

    /// A link.
    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Cell {
        Cell {
            href: Some(href.into()),
            ..Cell::text(text)
        }
    }

    /// The same cell with a CSS class (`met`, `violated`, `unmeasured`, …).
    pub fn with_class(mut self, class: impl Into<String>) -> Cell {
        self.class = Some(class.into());
        self
    }
}

/// An embedded PNG figure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figure {
    /// The PNG file's bytes (embedded as base64; nothing is checked but the size).
    pub png: Vec<u8>,
    /// Caption shown under the figure ("Figure N. caption"); empty: none.
    pub caption: String,
    /// Alternative text for readers that do not show images.
    pub alt: String,
}

/// One row of [`index_document`]: the report's relative path and the row's cells (the first is
/// the source's name, linked to the report).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexRow {
    /// Path of the source's report relative to the index page, e.g. `"src-0001/report.html"`.
    pub report_href: String,
    /// The cells, in the order of the columns; the first one gets the link.
    pub cells: Vec<Cell>,
}

/// The index page of a set of reports: one sortable table, `columns` as headers, one row per
/// source whose first cell links to the source's report (`IndexRow::report_href`, relative).
pub fn index_document(title: &str, columns: &[&str], rows: Vec<IndexRow>) -> Document {
    let n = rows.len();
    let mut table = Table::new(columns);
    table.sortable = true;
    table.caption = format!("{n} source{}: click a column header to sort.", plural(n));
    table.rows = rows
        .into_iter()
        .map(|r| {
            let mut cells = r.cells;
            if cells.is_empty() {
                cells.push(Cell::text(r.report_href.clone()));
            }
            cells[0].href = Some(r.report_href);
            cells
        })
        .collect();
    Document {
        title: title.to_string(),
        subtitle: Some(format!("Index of {n} follow-up report{}", plural(n))),
        sections: vec![Section::new(
            "sources",
            "Sources",
            vec![Block::Table(table)],
        )],
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Render `doc` ([`render`]) and write it to `path` atomically (a temporary file in the same
/// directory, renamed into place: a failure leaves nothing half-written).
#[allow(clippy::result_large_err)] // the crate's one error type, as every exod-io writer returns
pub fn write_html(path: &Path, doc: &Document) -> Result<(), IoError> {
    let text = render(doc);
    crate::fits::write_atomic(path, |tmp| std::fs::write(tmp, text.as_bytes())).map_err(|error| {
        IoError::Io {
            path: path.to_path_buf(),
            error,
        }
    })
}

/// Standard base64 (RFC 4648 §4, with `=` padding) of `bytes`.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((v >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
