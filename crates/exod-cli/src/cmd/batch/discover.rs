//! Finding the XMM-Newton EPIC event lists of an archive: directory trees as the archive delivers
//! them (`<obsid>/pps/P<obsid>…{PIEVLI,MIEVLI}….FTZ` and `P<obsid>…OBSMLI….FTZ`), flat folders of
//! `P<obsid>*` files, single files, or a list file of paths and obsids. The obsid is the 10
//! digits after the leading `P` of the file name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::status::State;

/// One file found, named `P<obsid>…`.
#[derive(Debug, Clone)]
pub struct Found {
    pub obsid: String,
    pub path: PathBuf,
    /// File name.
    pub name: String,
}

/// Something asked for that cannot be processed: an obsid of the list found nowhere, a path
/// that does not exist, a file that is not named `P<obsid>…`, a second copy of a file name.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub obsid: String,
    /// The file name (or the list line) concerned; empty for a whole obsid.
    pub exposure: String,
    /// Missing, Duplicate or Failed (not an event list name).
    pub state: State,
    pub reason: String,
}

/// What was found under the inputs.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Event lists, sorted by (obsid, file name).
    pub lists: Vec<Found>,
    /// The first OBSMLI source list of each obsid.
    pub srclists: BTreeMap<String, PathBuf>,
    pub refused: Vec<Refusal>,
}

/// The obsid of a file name `P<10 digits>…`.
pub fn obsid_of(name: &str) -> Option<String> {
    let b = name.as_bytes();
    let ok =
        b.len() > 11 && (b[0] == b'P' || b[0] == b'p') && b[1..11].iter().all(u8::is_ascii_digit);
    ok.then(|| name[1..11].to_string())
}

fn is_event_list(name: &str) -> bool {
    crate::cmd::detect::is_event_list_name(name)
}

fn is_srclist(name: &str) -> bool {
    name.to_ascii_uppercase().contains("OBSMLI")
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Files under `dir` (recursively, sorted; hidden entries and `skip` left out).
fn walk(dir: &Path, skip: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<()> {
    if depth > 12 {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list the folder", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !name_of(p).starts_with('.'))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.canonicalize().ok().as_deref() != Some(skip) {
                walk(&p, skip, depth + 1, out)?;
            }
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Lines of a list file: paths and obsids, `#` comments.
fn read_list(list: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(list)
        .with_context(|| format!("{}: cannot read the list", list.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect())
}

fn is_obsid(s: &str) -> bool {
    s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Find the lists under `inputs` (folders or files), or, with `list`, the paths and obsids it
/// names (obsids looked up under `inputs`). `out` (the output folder) is never searched.
pub fn discover(inputs: &[PathBuf], list: Option<&Path>, out: &Path) -> Result<Discovery> {
    let skip = out.canonicalize().unwrap_or_else(|_| out.to_path_buf());
    let mut d = Discovery::default();
    let mut files = Vec::new();
    let mut wanted = BTreeSet::new();
    let roots: Vec<PathBuf> = match list {
        None => inputs.to_vec(),
        Some(l) => {
            let base = l.parent().unwrap_or(Path::new("."));
            let mut paths = Vec::new();
            for line in read_list(l)? {
                let p = PathBuf::from(&line);
                if p.exists() {
                    paths.push(p);
                } else if base.join(&p).exists() {
                    paths.push(base.join(&p));
                } else if is_obsid(&line) {
                    wanted.insert(line);
                } else {
                    d.refused.push(Refusal {
                        obsid: String::new(),
                        exposure: line.clone(),
                        state: State::Missing,
                        reason: format!(
                            "{}: {line:?} is neither an existing path nor an obsid (10 digits)",
                            l.display()
                        ),
                    });
                }
            }
            collect(&paths, &skip, &mut files, &mut d)?;
            paths
        }
    };
    if list.is_none() {
        collect(&roots, &skip, &mut files, &mut d)?;
    } else if !wanted.is_empty() {
        let mut under = Vec::new();
        collect(inputs, &skip, &mut under, &mut d)?;
        files.extend(under.into_iter().filter(|f| wanted.contains(&f.obsid)));
    }
    sort_and_dedup(files, &mut d);
    no_event_list(&mut d);
    for o in &wanted {
        if !d.lists.iter().any(|f| &f.obsid == o) {
            d.refused.push(Refusal {
                obsid: o.clone(),
                exposure: String::new(),
                state: State::Missing,
                reason: format!(
                    "obsid {o}: no P{o}…PIEVLI/MIEVLI… event list under {}",
                    inputs
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    Ok(d)
}

/// The `P<obsid>…` event lists and source lists under `paths`.
fn collect(paths: &[PathBuf], skip: &Path, out: &mut Vec<Found>, d: &mut Discovery) -> Result<()> {
    for p in paths {
        let mut all = Vec::new();
        let explicit = !p.is_dir();
        if explicit {
            if !p.exists() {
                d.refused.push(Refusal {
                    obsid: obsid_of(&name_of(p)).unwrap_or_default(),
                    exposure: name_of(p),
                    state: State::Missing,
                    reason: format!("{}: no such file or folder", p.display()),
                });
                continue;
            }
            all.push(p.clone());
        } else {
            walk(p, skip, 0, &mut all)?;
        }
        for f in all {
            let name = name_of(&f);
            match obsid_of(&name) {
                Some(obsid) if is_event_list(&name) => out.push(Found {
                    obsid,
                    path: f,
                    name,
                }),
                Some(obsid) if is_srclist(&name) => {
                    d.srclists.entry(obsid).or_insert(f);
                }
                _ if explicit => d.refused.push(Refusal {
                    obsid: String::new(),
                    exposure: name,
                    state: State::Failed,
                    reason: format!(
                        "{}: not an XMM-Newton EPIC event list name (P<obsid>…PIEVLI… or …MIEVLI…)",
                        f.display()
                    ),
                }),
                _ => {}
            }
        }
    }
    Ok(())
}

/// An observation that delivered a source list but no event list (an empty or partial download)
/// is recorded as `missing`, so it is not silently absent from the status table.
fn no_event_list(d: &mut Discovery) {
    for (o, src) in &d.srclists {
        if !d.lists.iter().any(|f| &f.obsid == o) && !d.refused.iter().any(|r| &r.obsid == o) {
            d.refused.push(Refusal {
                obsid: o.clone(),
                exposure: String::new(),
                state: State::Missing,
                reason: format!(
                    "obsid {o}: no EPIC event list (P{o}…PIEVLI…/…MIEVLI…) beside its source list {}",
                    src.display()
                ),
            });
        }
    }
}

/// Sort by (obsid, name, path); the same file reached twice is kept once, a second file of the
/// same name for the same obsid is refused as a duplicate (its events would count twice).
fn sort_and_dedup(mut files: Vec<Found>, d: &mut Discovery) {
    files.sort_by(|a, b| (&a.obsid, &a.name, &a.path).cmp(&(&b.obsid, &b.name, &b.path)));
    let mut seen_paths = BTreeSet::new();
    let mut by_name: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    for f in files {
        let canon = f.path.canonicalize().unwrap_or_else(|_| f.path.clone());
        if !seen_paths.insert(canon) {
            continue;
        }
        let key = (f.obsid.clone(), f.name.clone());
        if let Some(first) = by_name.get(&key) {
            d.refused.push(Refusal {
                obsid: f.obsid.clone(),
                exposure: f.name.clone(),
                state: State::Duplicate,
                reason: format!(
                    "{}: a second copy of {} (not searched, its events would count twice)",
                    f.path.display(),
                    first.display()
                ),
            });
            continue;
        }
        by_name.insert(key, f.path.clone());
        d.lists.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obsids_come_from_p_names() {
        assert_eq!(
            obsid_of("P0999990101PNS003PIEVLI0000.FTZ").as_deref(),
            Some("0999990101")
        );
        assert_eq!(obsid_of("P09999PNS003PIEVLI0000.FTZ"), None);
        assert_eq!(obsid_of("mos1.fits"), None);
        assert!(is_event_list("P0999990101M1S001MIEVLI0000.FTZ"));
        assert!(!is_event_list("P0999990101M1S001MIEVLI0000.arf"));
        assert!(!is_event_list("P0999990101PNS003PIEVLI0000.rmf"));
        assert!(is_srclist("P0999990101EPX000OBSMLI0000.FTZ"));
    }
}
