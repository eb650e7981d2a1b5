//! Problematic observations (paper §2.7, Table 1): observations whose detections are dominated by
//! spurious alerts — galaxy clusters, supernova remnants, comets and other moving targets,
//! Jupiter and the planets, optical loading, bright extended sources. The list is a text file a
//! user edits (format in [`ProblematicList::parse`]); the default, [`DEFAULT_LIST`], holds the
//! two observations the paper names (EXOD2's 196-entry list is not public here).

use std::collections::BTreeMap;

use crate::error::CoreError;

/// The default list, `crates/exod-core/data/problematic_obs.txt`.
pub const DEFAULT_LIST: &str = include_str!("../../data/problematic_obs.txt");

/// One problematic observation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProblematicObs {
    /// 10-digit OBS_ID.
    pub obsid: String,
    /// Why it is problematic, one word (e.g. `moving_target`).
    pub category: String,
    /// Free text (may be empty).
    pub comment: String,
    /// Line of the list it came from (1-based).
    pub line: usize,
}

/// A set of problematic observations.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ProblematicList {
    entries: BTreeMap<String, ProblematicObs>,
}

impl ProblematicList {
    /// Parse a list: one `obsid category [comment]` a line, `#` to the end of a line is a
    /// comment, blank lines are skipped. An obsid is 10 digits and appears once. Errors name the
    /// line.
    pub fn parse(text: &str) -> Result<ProblematicList, CoreError> {
        let mut entries: BTreeMap<String, ProblematicObs> = BTreeMap::new();
        for (k, raw) in text.lines().enumerate() {
            let line = k + 1;
            let body = raw.split('#').next().unwrap_or("").trim();
            if body.is_empty() {
                continue;
            }
            let err = |what: String| {
                CoreError::input("problematic observations", format!("line {line}: {what}"))
            };
            let mut parts = body.splitn(3, char::is_whitespace);
            let obsid = parts.next().unwrap_or("");
            if obsid.len() != 10 || !obsid.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(format!("`{obsid}` is not a 10-digit OBS_ID")));
            }
            let category = parts.next().map(str::trim).unwrap_or("");
            if category.is_empty() {
                return Err(err(format!(
                    "{obsid} has no category (expected `obsid category [comment]`)"
                )));
            }
            if let Some(prev) = entries.get(obsid) {
                return Err(err(format!(
                    "{obsid} is already listed on line {}",
                    prev.line
                )));
            }
            let comment = parts.next().unwrap_or("").trim().to_string();
            entries.insert(
                obsid.to_string(),
                ProblematicObs {
                    obsid: obsid.to_string(),
                    category: category.to_string(),
                    comment,
                    line,
                },
            );
        }
        Ok(ProblematicList { entries })
    }

    /// The shipped list ([`DEFAULT_LIST`]).
    pub fn default_list() -> ProblematicList {
        ProblematicList::parse(DEFAULT_LIST).expect("the shipped list parses")
    }

    /// Whether `obsid` is listed.
    pub fn contains(&self, obsid: &str) -> bool {
        self.entries.contains_key(obsid)
    }

    /// The entry of `obsid`.
    pub fn get(&self, obsid: &str) -> Option<&ProblematicObs> {
        self.entries.get(obsid)
    }

    /// Entries by obsid.
    pub fn entries(&self) -> impl Iterator<Item = &ProblematicObs> {
        self.entries.values()
    }

    /// Number of observations listed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_holds_the_papers_two_observations() {
        let l = ProblematicList::default_list();
        assert_eq!(l.len(), 2);
        assert_eq!(l.get("0823432701").unwrap().category, "optical_loading");
        let c = l.get("0864840301").unwrap();
        assert_eq!(c.category, "moving_target");
        assert!(c.comment.contains("21P"));
        assert!(!l.contains("0123456789"));
        for cat in [
            "galaxy_cluster",
            "snr",
            "moving_target",
            "planet",
            "optical_loading",
            "bright_extended",
        ] {
            assert!(DEFAULT_LIST.contains(&format!("# --- {cat} ---")), "{cat}");
        }
    }

    #[test]
    fn parses_comments_and_blank_lines_and_names_bad_lines() {
        let text = "# header\n\n0123456789 snr  Cas A # trailing\n  0000000001\tplanet\n";
        let l = ProblematicList::parse(text).unwrap();
        assert_eq!(l.len(), 2);
        let e = l.get("0123456789").unwrap();
        assert_eq!(
            (e.category.as_str(), e.comment.as_str(), e.line),
            ("snr", "Cas A", 3)
        );
        assert_eq!(l.get("0000000001").unwrap().comment, "");
        let bad = |t: &str| ProblematicList::parse(t).unwrap_err().to_string();
        assert!(
            bad("\n12345 snr\n").contains("line 2"),
            "{}",
            bad("\n12345 snr\n")
        );
        assert!(bad("0123456789\n").contains("line 1: 0123456789 has no category"));
        let dup = bad("0123456789 snr\n# x\n0123456789 planet\n");
        assert!(dup.contains("line 3") && dup.contains("line 1"), "{dup}");
    }
}
