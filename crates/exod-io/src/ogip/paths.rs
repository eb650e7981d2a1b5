//! The files a spectrum's header names (RESPFILE, ANCRFILE, BACKFILE), found next to it.
//!
//! Rule (XSPEC's and Sherpa's): a relative name is taken relative to the directory of the PHA
//! file (not the working directory); an absolute name as it is. A trailing extension specifier
//! (`file.rmf[1]`, `file.pha{3}`) is dropped. The name is tried as written, then with `.gz`
//! appended (the files of `testdata/spectral` are gzipped, their headers name them without).
//! A file named but found nowhere is a [`MissingFile`]: [`resolve_response_paths`] collects
//! them so that a caller can warn and go on (the pn spectrum names a BACKFILE that is not
//! shipped), or make them errors with [`ResponsePaths::require_all`].

use std::path::{Path, PathBuf};

use exod_core::spectral::data::Spectrum;

use crate::error::IoError;

/// The files a spectrum names, resolved (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponsePaths {
    /// RESPFILE, found (None: not named, or named but missing — then in `missing`).
    pub rmf: Option<PathBuf>,
    /// ANCRFILE, found.
    pub arf: Option<PathBuf>,
    /// BACKFILE, found.
    pub bkg: Option<PathBuf>,
    /// The files named but not found, in the order RESPFILE, ANCRFILE, BACKFILE.
    pub missing: Vec<MissingFile>,
}

/// A file a spectrum's header names that does not exist.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingFile {
    /// The spectrum whose header names it.
    pub pha: PathBuf,
    /// `RESPFILE`, `ANCRFILE` or `BACKFILE`.
    pub keyword: &'static str,
    /// The name as written in the header.
    pub named: String,
    /// The paths tried, in order.
    pub tried: Vec<PathBuf>,
}

impl std::fmt::Display for MissingFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tried: Vec<String> = self.tried.iter().map(|p| p.display().to_string()).collect();
        write!(
            f,
            "{}: {} = '{}' is named but missing (tried {}): expected the file next to the spectrum, or give it explicitly",
            self.pha.display(),
            self.keyword,
            self.named,
            tried.join(", ")
        )
    }
}

impl MissingFile {
    /// The same as an [`IoError::Invalid`] about the spectrum.
    pub fn to_error(&self) -> IoError {
        let msg = self.to_string();
        let prefix = format!("{}: ", self.pha.display());
        IoError::invalid(&self.pha, msg.strip_prefix(&prefix).unwrap_or(&msg))
    }
}

impl ResponsePaths {
    /// An error for the first file named but missing, if any.
    pub fn require_all(&self) -> Result<(), IoError> {
        match self.missing.first() {
            Some(m) => Err(m.to_error()),
            None => Ok(()),
        }
    }

    /// The missing files as warning lines (one per file).
    pub fn warnings(&self) -> Vec<String> {
        self.missing.iter().map(|m| m.to_string()).collect()
    }
}

/// Resolve the RESPFILE, ANCRFILE and BACKFILE of `spectrum`, read from `pha_path`.
/// Never fails: a file named but not found is left `None` and listed in
/// [`ResponsePaths::missing`].
pub fn resolve_response_paths(pha_path: &Path, spectrum: &Spectrum) -> ResponsePaths {
    let mut out = ResponsePaths::default();
    let named = [
        ("RESPFILE", &spectrum.respfile),
        ("ANCRFILE", &spectrum.ancrfile),
        ("BACKFILE", &spectrum.backfile),
    ];
    for (keyword, name) in named {
        let Some(name) = name else { continue };
        let found = match resolve_named(pha_path, keyword, name) {
            Ok(p) => Some(p),
            Err(m) => {
                out.missing.push(m);
                None
            }
        };
        match keyword {
            "RESPFILE" => out.rmf = found,
            "ANCRFILE" => out.arf = found,
            _ => out.bkg = found,
        }
    }
    out
}

/// One name of `pha_path`'s header (`keyword` is for the message), resolved.
pub fn resolve_named(
    pha_path: &Path,
    keyword: &'static str,
    name: &str,
) -> Result<PathBuf, MissingFile> {
    let bare = strip_specifier(name.trim());
    let dir = pha_path.parent().unwrap_or(Path::new(""));
    let base = if Path::new(bare).is_absolute() {
        PathBuf::from(bare)
    } else {
        dir.join(bare)
    };
    let gz = PathBuf::from(format!("{}.gz", base.display()));
    let tried = vec![base, gz];
    match tried.iter().find(|p| p.is_file()) {
        Some(p) => Ok(p.clone()),
        None => Err(MissingFile {
            pha: pha_path.to_path_buf(),
            keyword,
            named: name.to_string(),
            tried,
        }),
    }
}

/// `a.rmf[1]` → `a.rmf`, `a.pha{3}` → `a.pha`; anything else unchanged.
fn strip_specifier(name: &str) -> &str {
    for (open, close) in [('[', ']'), ('{', '}')] {
        if name.ends_with(close) {
            if let Some(i) = name.rfind(open) {
                if i > 0 {
                    return name[..i].trim_end();
                }
            }
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifiers_are_dropped() {
        assert_eq!(strip_specifier("a.rmf[1]"), "a.rmf");
        assert_eq!(strip_specifier("a.pha{3}"), "a.pha");
        assert_eq!(strip_specifier("a.rmf[MATRIX]"), "a.rmf");
        assert_eq!(strip_specifier("a.rmf"), "a.rmf");
        assert_eq!(strip_specifier("[1]"), "[1]");
    }
}
