//! Thin layer over cfitsio (the `fitsio` crate, bundled C library) used by every reader and
//! writer: typed header values read from the raw cards (so a number written as a string is
//! caught, not silently converted), case-insensitive column lookup, chunked column reads, and
//! atomic writes (temporary file, then rename).

use std::path::{Path, PathBuf};

use fitsio::hdu::{FitsHdu, HduInfo};
use fitsio::FitsFile;

/// Errors from FITS files, always naming the file and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum FitsError {
    /// The file does not exist or cfitsio cannot open it.
    #[error("{path}: cannot open as FITS: {msg}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why it cannot be opened.
        msg: String,
    },
    /// No HDU of that name.
    #[error("{path}: no HDU named {hdu} (expected {expected})")]
    MissingHdu {
        /// The file.
        path: PathBuf,
        /// The HDU name looked for.
        hdu: String,
        /// What the HDU should hold.
        expected: String,
    },
    /// A required keyword is absent.
    #[error("{path}[{hdu}]: missing keyword {key} ({expected})")]
    MissingKey {
        /// The file.
        path: PathBuf,
        /// The HDU searched.
        hdu: String,
        /// The keyword.
        key: String,
        /// What the keyword should hold.
        expected: String,
    },
    /// A keyword has the wrong type or value (e.g. a number written as a string).
    #[error("{path}[{hdu}]: keyword {key} = {found}: expected {expected}")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// The HDU.
        hdu: String,
        /// The keyword.
        key: String,
        /// The value found, as displayed by [`HeaderValue`].
        found: String,
        /// What was expected.
        expected: String,
    },
    /// A required column is absent.
    #[error("{path}[{hdu}]: no column {column} (expected {expected}; columns are {available})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The HDU.
        hdu: String,
        /// The column looked for.
        column: String,
        /// What the column should hold.
        expected: String,
        /// The table's columns, comma-separated.
        available: String,
    },
    /// The HDU's content is unusable (e.g. not a binary table).
    #[error("{path}[{hdu}]: {what}")]
    Content {
        /// The file.
        path: PathBuf,
        /// The HDU.
        hdu: String,
        /// What is wrong.
        what: String,
    },
    /// cfitsio failed during an operation.
    #[error("{path}: cfitsio error while {during}: {msg}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done, and in which HDU.
        during: String,
        /// cfitsio's message.
        msg: String,
    },
}

/// A header value as written on the card.
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderValue {
    /// A quoted string (quotes removed, `''` unescaped, trailing blanks trimmed), or an unquoted
    /// value that is not a number.
    Str(String),
    /// A logical, `T` or `F`.
    Bool(bool),
    /// A number (integer or real; `D` exponents accepted).
    Num(f64),
}

impl std::fmt::Display for HeaderValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderValue::Str(s) => write!(f, "'{s}' (a string)"),
            HeaderValue::Bool(b) => write!(f, "{}", if *b { "T" } else { "F" }),
            HeaderValue::Num(x) => write!(f, "{x}"),
        }
    }
}

/// An open FITS file positioned on one HDU, remembering names for error messages.
pub struct Fits {
    pub(crate) file: FitsFile,
    pub(crate) path: PathBuf,
    hdu: Option<FitsHdu>,
    hdu_name: String,
}

impl Fits {
    /// Open a FITS file (gzip-compressed files are read transparently by cfitsio).
    pub fn open(path: &Path) -> Result<Fits, FitsError> {
        if !path.exists() {
            return Err(FitsError::Open {
                path: path.into(),
                msg: "no such file".into(),
            });
        }
        let file = FitsFile::open(path).map_err(|e| FitsError::Open {
            path: path.into(),
            msg: format!("{e} (is it a complete FITS file?)"),
        })?;
        Ok(Fits {
            file,
            path: path.into(),
            hdu: None,
            hdu_name: "PRIMARY".into(),
        })
    }

    /// Names of all HDUs (EXTNAME, or `"PRIMARY"`/`"HDU<n>"`, n the 0-based HDU index).
    pub fn hdu_names(&mut self) -> Vec<String> {
        let mut names = Vec::new();
        let mut i = 0usize;
        loop {
            let Ok(hdu) = self.file.hdu(i) else { break };
            let name = hdu
                .read_key::<String>(&mut self.file, "EXTNAME")
                .unwrap_or_else(|_| {
                    if i == 0 {
                        "PRIMARY".into()
                    } else {
                        format!("HDU{i}")
                    }
                });
            names.push(name.trim().to_string());
            i += 1;
        }
        names
    }

    /// Move to the HDU whose EXTNAME is `name` (`"PRIMARY"` for the primary HDU); `expected`
    /// says what it should hold, for the error message.
    pub fn select(&mut self, name: &str, expected: &str) -> Result<(), FitsError> {
        let hdu = if name == "PRIMARY" {
            self.file.primary_hdu()
        } else {
            self.file.hdu(name)
        };
        let hdu = hdu.map_err(|_| FitsError::MissingHdu {
            path: self.path.clone(),
            hdu: name.into(),
            expected: expected.into(),
        })?;
        self.hdu = Some(hdu);
        self.hdu_name = name.into();
        Ok(())
    }

    /// Current HDU name.
    pub fn hdu_name(&self) -> &str {
        &self.hdu_name
    }

    fn hdu(&mut self) -> Result<&FitsHdu, FitsError> {
        if self.hdu.is_none() {
            self.select("PRIMARY", "a primary header")?;
        }
        Ok(self.hdu.as_ref().expect("selected above"))
    }

    /// The raw value of a keyword of the current HDU, or None if absent.
    pub fn key(&mut self, key: &str) -> Result<Option<HeaderValue>, FitsError> {
        let number = self.hdu()?.number; // make the HDU current in cfitsio
        self.file
            .hdu(number)
            .map_err(|e| self.io("selecting an HDU", e))?;
        let mut value = vec![0 as std::os::raw::c_char; 81];
        let mut comment = vec![0 as std::os::raw::c_char; 81];
        let mut status = 0;
        let ckey = std::ffi::CString::new(key).expect("keyword names have no NUL");
        unsafe {
            fitsio::sys::ffgkey(
                self.file.as_raw(),
                ckey.as_ptr(),
                value.as_mut_ptr(),
                comment.as_mut_ptr(),
                &mut status,
            );
        }
        if status != 0 {
            return Ok(None); // KEY_NO_EXIST (202) or similar: absent
        }
        let raw: String = value
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8 as char)
            .collect();
        Ok(Some(parse_card_value(raw.trim())))
    }

    fn missing(&self, key: &str, expected: &str) -> FitsError {
        FitsError::MissingKey {
            path: self.path.clone(),
            hdu: self.hdu_name.clone(),
            key: key.into(),
            expected: expected.into(),
        }
    }

    pub(crate) fn bad_key(&self, key: &str, found: &HeaderValue, expected: &str) -> FitsError {
        FitsError::BadKey {
            path: self.path.clone(),
            hdu: self.hdu_name.clone(),
            key: key.into(),
            found: found.to_string(),
            expected: expected.into(),
        }
    }

    /// A numeric keyword; a quoted string (even '0.0') is an error.
    pub fn num(&mut self, key: &str, expected: &str) -> Result<Option<f64>, FitsError> {
        match self.key(key)? {
            None => Ok(None),
            Some(HeaderValue::Num(x)) if x.is_finite() => Ok(Some(x)),
            Some(v) => Err(self.bad_key(key, &v, expected)),
        }
    }

    /// A numeric keyword that must be present.
    pub fn num_req(&mut self, key: &str, expected: &str) -> Result<f64, FitsError> {
        self.num(key, expected)?
            .ok_or_else(|| self.missing(key, expected))
    }

    /// A string keyword (trimmed); numbers are accepted and formatted.
    pub fn string(&mut self, key: &str) -> Result<Option<String>, FitsError> {
        Ok(self.key(key)?.map(|v| match v {
            HeaderValue::Str(s) => s,
            HeaderValue::Num(x) => format!("{x}"),
            HeaderValue::Bool(b) => (if b { "T" } else { "F" }).into(),
        }))
    }

    /// A string keyword that must be present.
    pub fn string_req(&mut self, key: &str, expected: &str) -> Result<String, FitsError> {
        self.string(key)?.ok_or_else(|| self.missing(key, expected))
    }

    /// Rows and column names of the current binary table.
    pub fn table_info(&mut self) -> Result<(usize, Vec<String>), FitsError> {
        let hdu = self.hdu()?;
        match &hdu.info {
            HduInfo::TableInfo {
                column_descriptions,
                num_rows,
            } => Ok((
                *num_rows,
                column_descriptions.iter().map(|c| c.name.clone()).collect(),
            )),
            _ => Err(FitsError::Content {
                path: self.path.clone(),
                hdu: self.hdu_name.clone(),
                what: "is not a binary table".into(),
            }),
        }
    }

    /// The actual name and 1-based number of a column, matched case-insensitively.
    pub fn column(&mut self, name: &str) -> Result<Option<(String, usize)>, FitsError> {
        let (_, cols) = self.table_info()?;
        Ok(cols
            .iter()
            .enumerate()
            .find(|(_, c)| c.eq_ignore_ascii_case(name))
            .map(|(i, c)| (c.clone(), i + 1)))
    }

    /// Like [`Fits::column`] but an error naming what was expected when absent.
    pub fn column_req(&mut self, name: &str, expected: &str) -> Result<(String, usize), FitsError> {
        match self.column(name)? {
            Some(c) => Ok(c),
            None => {
                let (_, cols) = self.table_info()?;
                Err(FitsError::MissingColumn {
                    path: self.path.clone(),
                    hdu: self.hdu_name.clone(),
                    column: name.into(),
                    expected: expected.into(),
                    available: cols.join(", "),
                })
            }
        }
    }

    /// Read rows `start..end` of a column (by its actual name), converted by cfitsio.
    pub fn read_range<T: fitsio::tables::ReadsCol>(
        &mut self,
        column: &str,
        start: usize,
        end: usize,
    ) -> Result<Vec<T>, FitsError> {
        let number = self.hdu()?.number;
        let hdu: FitsHdu = self
            .file
            .hdu(number)
            .map_err(|e| self.io("selecting an HDU", e))?;
        hdu.read_col_range::<T>(&mut self.file, column, &(start..end))
            .map_err(|e| self.io(&format!("reading column {column} rows {start}..{end}"), e))
    }

    /// Read a whole column.
    pub fn read_all<T: fitsio::tables::ReadsCol>(
        &mut self,
        column: &str,
    ) -> Result<Vec<T>, FitsError> {
        let (n, _) = self.table_info()?;
        if n == 0 {
            return Ok(Vec::new());
        }
        self.read_range(column, 0, n)
    }

    pub(crate) fn io(&self, during: &str, e: fitsio::errors::Error) -> FitsError {
        FitsError::Io {
            path: self.path.clone(),
            during: format!("{during} in {}", self.hdu_name),
            msg: e.to_string(),
        }
    }
}

fn parse_card_value(raw: &str) -> HeaderValue {
    if let Some(rest) = raw.strip_prefix('\'') {
        let inner = rest.strip_suffix('\'').unwrap_or(rest);
        return HeaderValue::Str(inner.replace("''", "'").trim_end().to_string());
    }
    match raw {
        "T" => return HeaderValue::Bool(true),
        "F" => return HeaderValue::Bool(false),
        _ => {}
    }
    match raw.replace(['D', 'd'], "E").parse::<f64>() {
        Ok(x) => HeaderValue::Num(x),
        Err(_) => HeaderValue::Str(raw.to_string()),
    }
}

/// Write a file atomically: `write` fills a temporary path in the same directory, which is
/// renamed onto `dest` only if it succeeded. Nothing half-written is ever left at `dest`.
pub fn write_atomic<E>(dest: &Path, write: impl FnOnce(&Path) -> Result<(), E>) -> Result<(), E>
where
    E: From<std::io::Error>,
{
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    match write(&tmp) {
        Ok(()) => {
            std::fs::rename(&tmp, dest)?;
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_values_keep_their_type() {
        assert_eq!(
            parse_card_value("'0.0     '"),
            HeaderValue::Str("0.0".into())
        );
        assert_eq!(parse_card_value("1.5E+02"), HeaderValue::Num(150.0));
        assert_eq!(parse_card_value("1.5D+02"), HeaderValue::Num(150.0));
        assert_eq!(parse_card_value("T"), HeaderValue::Bool(true));
        assert_eq!(parse_card_value("'it''s'"), HeaderValue::Str("it's".into()));
        assert_eq!(parse_card_value("25921"), HeaderValue::Num(25921.0));
    }
}
