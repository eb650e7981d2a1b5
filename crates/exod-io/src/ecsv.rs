//! Astropy ECSV 1.0 tables (a YAML header in `# ` comments, then CSV), written atomically.
//! Every table says how it was made (`meta`: command, software version, seed, ...).

use std::fmt::Write as _;
use std::path::Path;

/// One column: name, ECSV datatype (`float64`, `int64`, `string`, `bool`), unit, description.
#[derive(Debug, Clone)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// ECSV datatype: `float64`, `int64`, `string` or `bool`.
    pub datatype: &'static str,
    /// Unit (e.g. `s`, `deg`, `arcsec`, `ct`), or None when dimensionless.
    pub unit: Option<String>,
    /// One-line description.
    pub description: String,
}

impl Column {
    /// A column from borrowed strings.
    pub fn new(
        name: &str,
        datatype: &'static str,
        unit: Option<&str>,
        description: &str,
    ) -> Column {
        Column {
            name: name.into(),
            datatype,
            unit: unit.map(Into::into),
            description: description.into(),
        }
    }
}

/// A cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A `float64` cell (NaN written as `nan`).
    F(f64),
    /// An `int64` cell.
    I(i64),
    /// A `string` cell (quoted when empty or holding commas, quotes, spaces or newlines).
    S(String),
    /// A `bool` cell (`True`/`False`).
    B(bool),
}

impl Value {
    fn render(&self) -> String {
        match self {
            Value::F(x) => number(*x),
            Value::I(i) => i.to_string(),
            Value::B(b) => (if *b { "True" } else { "False" }).into(),
            Value::S(s) => {
                if s.contains([',', '"', ' ', '\n']) || s.is_empty() {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s.clone()
                }
            }
        }
    }
}

/// A number in shortest round-trip digits, in exponent form for tiny and huge magnitudes
/// (Rust's `{}` would spell 1e-35 with 35 zeros); NaN as `nan`.
pub fn number(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x != 0.0 && !(1e-4..1e15).contains(&x.abs()) && x.is_finite() {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn yaml_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Render a table as ECSV text.
pub fn render(columns: &[Column], rows: &[Vec<Value>], meta: &[(&str, String)]) -> String {
    let mut s = String::from("# %ECSV 1.0\n# ---\n# delimiter: ','\n# datatype:\n");
    for c in columns {
        let _ = write!(s, "# - {{name: {}, datatype: {}", c.name, c.datatype);
        if let Some(u) = &c.unit {
            let _ = write!(s, ", unit: {}", yaml_str(u));
        }
        let _ = writeln!(s, ", description: {}}}", yaml_str(&c.description));
    }
    if !meta.is_empty() {
        s.push_str("# meta: !!omap\n");
        for (k, v) in meta {
            let _ = writeln!(s, "# - {{{k}: {}}}", yaml_str(v));
        }
    }
    s.push_str("# schema: astropy-2.0\n");
    s.push_str(
        &columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    s.push('\n');
    for r in rows {
        s.push_str(&r.iter().map(Value::render).collect::<Vec<_>>().join(","));
        s.push('\n');
    }
    s
}

/// Write a table atomically.
pub fn write(
    path: &Path,
    columns: &[Column],
    rows: &[Vec<Value>],
    meta: &[(&str, String)],
) -> std::io::Result<()> {
    let text = render(columns, rows, meta);
    crate::fits::write_atomic(path, |tmp| std::fs::write(tmp, text.as_bytes()))
}

/// Read the data rows of an ECSV file written by [`write()`] (header skipped): column names and
/// string cells. Enough for tests and for reading our own truth tables back.
pub fn read_rows(path: &Path) -> std::io::Result<(Vec<String>, Vec<Vec<String>>)> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let names: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(String::from)
        .collect();
    let rows = lines.map(split_csv_line).collect();
    Ok((names, rows))
}

/// The (name, datatype) of every column an ECSV header declares (`# - {name: X, datatype: Y…}`),
/// in order; empty when `text` does not start with `# %ECSV`.
pub fn declared_columns(text: &str) -> Vec<(String, String)> {
    let mut lines = text.lines();
    if !lines.next().is_some_and(|l| l.starts_with("# %ECSV")) {
        return Vec::new();
    }
    let field = |entry: &str, key: &str| {
        let at = entry.find(&format!("{key}: "))? + key.len() + 2;
        let v = entry[at..].split([',', '}']).next()?.trim();
        Some(v.trim_matches(|c| c == '\'' || c == '"').to_string())
    };
    lines
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| {
            l.trim_start_matches('#')
                .trim()
                .strip_prefix("- {")
                .map(String::from)
        })
        .filter_map(|e| Some((field(&e, "name")?, field(&e, "datatype")?)))
        .collect()
}

fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_quoting() {
        let cols = [
            Column::new("name", "string", None, "a name"),
            Column::new("x", "float64", Some("arcsec"), "it's a value"),
        ];
        let rows = vec![
            vec![Value::S("a, b".into()), Value::F(1.5)],
            vec![Value::S("plain".into()), Value::F(f64::NAN)],
        ];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.ecsv");
        write(&p, &cols, &rows, &[("command", "exod test".into())]).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.starts_with("# %ECSV 1.0\n# ---\n# delimiter: ','\n"),
            "astropy needs the delimiter for CSV bodies"
        );
        assert!(text.contains("description: 'it''s a value'"));
        let (names, got) = read_rows(&p).unwrap();
        assert_eq!(names, vec!["name", "x"]);
        assert_eq!(got[0], vec!["a, b", "1.5"]);
        assert_eq!(got[1], vec!["plain", "nan"]);
        assert_eq!(
            declared_columns(&text),
            vec![
                ("name".to_string(), "string".to_string()),
                ("x".to_string(), "float64".to_string())
            ]
        );
        assert!(
            declared_columns("name,x\na,1\n").is_empty(),
            "a plain CSV declares nothing"
        );
    }
}
