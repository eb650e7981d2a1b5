//! A small VOTable reader (IVOA VOTable 1.x) for [`crate::table_in`]: the first `TABLE` of the
//! file, its `FIELD`s and its `TABLEDATA` rows. Scalar numeric fields become numbers (empty
//! cells NaN), `char`/`unicodeChar`/`boolean` fields text; numeric arrays are skipped. The
//! `BINARY`, `BINARY2` and `FITS` serializations are refused with an error saying so (write the
//! table with `TABLEDATA`, e.g. astropy `votable.writeto(..., tabledata_format="tabledata")`, or
//! as FITS). Namespace prefixes (`vot:TD`) are accepted; no external library is used.

use std::path::Path;

use crate::error::IoError;
use crate::table_in::{parse_number, ExtColumn, ExtTable};

/// One tag: its name without namespace prefix, whether it closes (`</X>`) or is empty (`<X/>`),
/// its attribute text and where it ends.
struct Tag<'a> {
    name: &'a str,
    closing: bool,
    empty: bool,
    attrs: &'a str,
    end: usize,
}

/// The next tag at or after `pos` (comments, `<?…?>` and `<!…>` skipped).
fn next_tag(s: &str, mut pos: usize) -> Option<Tag<'_>> {
    loop {
        let start = pos + s[pos..].find('<')?;
        let rest = &s[start..];
        if rest.starts_with("<!--") {
            pos = start + rest.find("-->")? + 3;
            continue;
        }
        if rest.starts_with("<![CDATA[") {
            pos = start + rest.find("]]>")? + 3;
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            pos = start + rest.find('>')? + 1;
            continue;
        }
        let close = start + rest.find('>')?;
        let inner = &s[start + 1..close];
        let closing = inner.starts_with('/');
        let empty = inner.ends_with('/');
        let inner = inner.trim_start_matches('/').trim_end_matches('/');
        let name_end = inner
            .find(|c: char| c.is_whitespace())
            .unwrap_or(inner.len());
        let full = &inner[..name_end];
        let name = full.rsplit(':').next().unwrap_or(full);
        return Some(Tag {
            name,
            closing,
            empty,
            attrs: &inner[name_end..],
            end: close + 1,
        });
    }
}

/// The value of attribute `key` in an attribute text.
fn attr(attrs: &str, key: &str) -> Option<String> {
    let mut rest = attrs;
    while let Some(eq) = rest.find('=') {
        let k = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let q = after.chars().next()?;
        if q != '"' && q != '\'' {
            return None;
        }
        let v_end = after[1..].find(q)?;
        if k.eq_ignore_ascii_case(key) {
            return Some(decode(&after[1..1 + v_end]));
        }
        rest = &after[1 + v_end + 1..];
    }
    None
}

/// XML entities decoded (`&amp;` `&lt;` `&gt;` `&quot;` `&apos;` `&#N;` `&#xN;`), CDATA unwrapped.
fn decode(s: &str) -> String {
    let s = s.trim();
    if let Some(inner) = s
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
    {
        return inner.to_string();
    }
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(semi) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let ent = &tail[1..semi];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=semi]),
        }
        rest = &tail[semi + 1..];
    }
    out.push_str(rest);
    out
}

struct Field {
    name: String,
    /// Numeric scalar (number column), text, or skipped (with the reason).
    kind: Result<bool, String>,
}

fn field(attrs: &str, k: usize) -> Field {
    let name = attr(attrs, "name")
        .or_else(|| attr(attrs, "ID"))
        .unwrap_or_else(|| format!("col{}", k + 1));
    let datatype = attr(attrs, "datatype").unwrap_or_else(|| "char".into());
    let arraysize = attr(attrs, "arraysize");
    let text = matches!(datatype.as_str(), "char" | "unicodeChar" | "boolean");
    let scalar = arraysize.as_deref().map_or(true, |a| a == "1");
    let kind = if text {
        Ok(false)
    } else if scalar {
        Ok(true)
    } else {
        Err(format!(
            "a {datatype} array (arraysize {}) column (not read)",
            arraysize.unwrap_or_default()
        ))
    };
    Field { name, kind }
}

/// Read the first table of a VOTable (see the module docs).
pub fn read(path: &Path) -> Result<ExtTable, IoError> {
    let text = std::fs::read_to_string(path).map_err(|error| IoError::Io {
        path: path.into(),
        error,
    })?;
    let bad = |what: String| IoError::invalid(path, what);
    let mut pos = 0;
    let mut fields = Vec::new();
    let mut in_table = false;
    let data_start = loop {
        let Some(t) = next_tag(&text, pos) else {
            return Err(bad(if in_table {
                "the TABLE has no DATA (expected TABLEDATA rows)".into()
            } else {
                "no VOTable TABLE element (expected a VOTable with a TABLE)".into()
            }));
        };
        pos = t.end;
        match (t.name, t.closing) {
            ("TABLE", false) => in_table = true,
            ("FIELD", false) if in_table => fields.push(field(t.attrs, fields.len())),
            ("TABLEDATA", false) if in_table => break t.end,
            ("BINARY" | "BINARY2" | "FITS", false) if in_table => {
                return Err(IoError::Unsupported {
                    path: path.into(),
                    reason: format!(
                        "VOTable {} serialization: only TABLEDATA is read (write the table with tabledata_format=\"tabledata\", or as FITS or CSV)",
                        t.name
                    ),
                })
            }
            ("TABLE", true) if in_table && fields.is_empty() => in_table = false,
            _ => {}
        }
    };
    if fields.is_empty() {
        return Err(bad(
            "the TABLE has no FIELD (expected column definitions)".into()
        ));
    }
    let rows = read_rows(&text, data_start, fields.len()).map_err(bad)?;
    Ok(assemble(path, fields, rows))
}

/// The cells of every `TR` until `</TABLEDATA>`.
fn read_rows(text: &str, mut pos: usize, nf: usize) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row: Option<Vec<String>> = None;
    loop {
        let t = next_tag(text, pos).ok_or("the TABLEDATA is not closed (a truncated file?)")?;
        pos = t.end;
        match (t.name, t.closing) {
            ("TR", false) => row = Some(Vec::with_capacity(nf)),
            ("TD", false) => {
                let r = row.as_mut().ok_or("a TD outside a TR")?;
                if t.empty {
                    r.push(String::new());
                    continue;
                }
                let close = next_closing(text, pos, "TD").ok_or("a TD is not closed")?;
                r.push(decode(&text[pos..close.0]));
                pos = close.1;
            }
            ("TR", true) => {
                let r = row.take().ok_or("a </TR> without <TR>")?;
                if r.len() != nf {
                    return Err(format!(
                        "row {} has {} cells, the TABLE has {nf} FIELDs",
                        rows.len() + 1,
                        r.len()
                    ));
                }
                rows.push(r);
            }
            ("TABLEDATA", true) => return Ok(rows),
            _ => {}
        }
    }
}

/// Where the closing tag `</name>` (any prefix) after `pos` starts and ends.
fn next_closing(text: &str, pos: usize, name: &str) -> Option<(usize, usize)> {
    let mut p = pos;
    loop {
        let rel = text[p..].find("</")?;
        let start = p + rel;
        let t = next_tag(text, start)?;
        if t.closing && t.name == name {
            return Some((start, t.end));
        }
        p = t.end;
    }
}

fn assemble(path: &Path, fields: Vec<Field>, rows: Vec<Vec<String>>) -> ExtTable {
    let mut t = ExtTable {
        path: path.into(),
        names: Vec::new(),
        columns: Vec::new(),
        skipped: Vec::new(),
    };
    for (k, f) in fields.into_iter().enumerate() {
        let cells = rows.iter().map(|r| r[k].clone());
        match f.kind {
            Ok(true) => {
                let v: Vec<Option<f64>> = cells.clone().map(|c| parse_number(&c)).collect();
                // a numeric field holding text (e.g. "inf" spelled oddly) stays text
                let col = match v.into_iter().collect::<Option<Vec<f64>>>() {
                    Some(v) => ExtColumn::F64(v),
                    None => ExtColumn::Str(cells.collect()),
                };
                t.names.push(f.name);
                t.columns.push(col);
            }
            Ok(false) => {
                t.names.push(f.name);
                t.columns.push(ExtColumn::Str(cells.collect()));
            }
            Err(why) => t.skipped.push((f.name, why)),
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_and_attributes() {
        assert_eq!(decode("a &amp; b &lt;c&gt; &#65;&#x42;"), "a & b <c> AB");
        assert_eq!(
            attr(r#" name="RA" datatype='double'"#, "datatype").unwrap(),
            "double"
        );
        assert_eq!(attr(r#" name="a&amp;b""#, "name").unwrap(), "a&b");
    }
}
