//! From event lists to run units: the exposures of each observation are grouped into subsets of
//! cameras that overlap in time (connected components of their [TSTART, TSTOP] header ranges,
//! as the paper does), labelled `<obsid>_<k>` with k = 0, 1, … by start time; units are then
//! assigned to shards by the obsid alone.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::discover::Found;
use super::status::State;

/// One exposure of a unit: its header facts.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Exp {
    pub path: PathBuf,
    pub name: String,
    pub tstart: f64,
    pub tstop: f64,
    /// Rows of the EVENTS table (events before screening).
    pub rows: usize,
}

/// A run unit: exposures of one obsid that overlap in time, searched together (serialisable:
/// the Python package sends units to Dask workers as JSON).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Unit {
    pub obsid: String,
    pub k: usize,
    /// `<obsid>_<k>`: the run folder's name and the DETID prefix.
    pub label: String,
    pub exposures: Vec<Exp>,
    pub srclist: Option<PathBuf>,
    /// Estimated peak memory of its search (MB), see [`estimate_mb`].
    pub est_mb: f64,
}

/// An exposure left out at planning (header unreadable, no events, no time range).
#[derive(Debug, Clone)]
pub struct Dropped {
    pub obsid: String,
    pub name: String,
    pub state: State,
    pub reason: String,
}

/// Memory of one unit's search that depends on neither the events nor the grid (MB).
pub const BASE_MB: f64 = 15.0;
/// Memory per EVENTS row (bytes): the decompressed file, the columns, binning, the search.
pub const BYTES_PER_ROW: f64 = 66.0;
/// Memory per sky cell (bytes): images, masks, templates.
pub const BYTES_PER_CELL: f64 = 400.0;
/// Sky cells of an EPIC observation at 20″ (the 125 × 123 grid of a simulated one).
pub const EPIC_CELLS_AT_20: f64 = 15_400.0;

/// Estimated peak memory (MB) of searching `rows` events with cells of `cell_arcsec`:
/// [`BASE_MB`] + [`BYTES_PER_ROW`] × rows + [`BYTES_PER_CELL`] × cells, cells =
/// [`EPIC_CELLS_AT_20`] × (20″ / cell)². Measured with `/usr/bin/time -v exod detect` on
/// simulated observations (docs/batch.md): 10–25 % above the measured peaks.
pub fn estimate_mb(rows: usize, cell_arcsec: f64) -> f64 {
    let cells = EPIC_CELLS_AT_20 * (20.0 / cell_arcsec.max(1.0)).powi(2);
    BASE_MB + (BYTES_PER_ROW * rows as f64 + BYTES_PER_CELL * cells) / 1e6
}

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The shard (1-based, of `n`) of an obsid: FNV-1a 64 of its digits, mod n, + 1.
pub fn shard_of(obsid: &str, n: usize) -> usize {
    (fnv1a64(obsid.as_bytes()) % n as u64) as usize + 1
}

/// Read the headers of the lists (one at a time: cfitsio is not used from two threads).
pub fn read_headers(lists: &[Found], dropped: &mut Vec<Dropped>) -> Vec<(String, Exp)> {
    let mut out = Vec::new();
    for f in lists {
        let drop = |state, reason: String| Dropped {
            obsid: f.obsid.clone(),
            name: f.name.clone(),
            state,
            reason,
        };
        let h = {
            let _io = crate::cmd::detect::fits_lock();
            exod_io::header::events_header(&f.path)
        };
        match h {
            Err(e) => dropped.push(drop(State::Failed, e.to_string())),
            Ok(h) if h.rows == 0 => dropped.push(drop(
                State::NoEvents,
                format!("{}: the EVENTS table has no rows (zero events)", f.path.display()),
            )),
            Ok(h) => match (h.tstart, h.tstop) {
                (Some(a), Some(b)) if b > a => out.push((
                    f.obsid.clone(),
                    Exp {
                        path: f.path.clone(),
                        name: f.name.clone(),
                        tstart: a,
                        tstop: b,
                        rows: h.rows,
                    },
                )),
                _ => dropped.push(drop(
                    State::Failed,
                    format!(
                        "{}: no valid TSTART < TSTOP in the EVENTS header (TSTART {:?}, TSTOP {:?}): cannot group it in time",
                        f.path.display(),
                        h.tstart,
                        h.tstop
                    ),
                )),
            },
        }
    }
    out
}

/// Connected components of overlapping [tstart, tstop] (sorted by start time, then name).
pub fn group(mut exps: Vec<Exp>) -> Vec<Vec<Exp>> {
    exps.sort_by(|a, b| a.tstart.total_cmp(&b.tstart).then(a.name.cmp(&b.name)));
    let mut groups: Vec<Vec<Exp>> = Vec::new();
    let mut end = f64::NEG_INFINITY;
    for e in exps {
        match groups.last_mut() {
            Some(g) if e.tstart < end => {
                end = end.max(e.tstop);
                g.push(e);
            }
            _ => {
                end = e.tstop;
                groups.push(vec![e]);
            }
        }
    }
    for g in &mut groups {
        g.sort_by(|a, b| a.name.cmp(&b.name));
    }
    groups
}

/// The units of every obsid, in (obsid, k) order.
pub fn units(
    exps: Vec<(String, Exp)>,
    srclists: &BTreeMap<String, PathBuf>,
    cell_arcsec: f64,
) -> Vec<Unit> {
    let mut by_obs: BTreeMap<String, Vec<Exp>> = BTreeMap::new();
    for (o, e) in exps {
        by_obs.entry(o).or_default().push(e);
    }
    let mut out = Vec::new();
    for (obsid, exps) in by_obs {
        for (k, g) in group(exps).into_iter().enumerate() {
            let rows = g.iter().map(|e| e.rows).sum();
            out.push(Unit {
                label: format!("{obsid}_{k}"),
                obsid: obsid.clone(),
                k,
                exposures: g,
                srclist: srclists.get(&obsid).cloned(),
                est_mb: estimate_mb(rows, cell_arcsec),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, a: f64, b: f64) -> Exp {
        Exp {
            path: name.into(),
            name: name.into(),
            tstart: a,
            tstop: b,
            rows: 1,
        }
    }

    #[test]
    fn overlapping_exposures_form_one_unit() {
        let g = group(vec![
            e("m2b", 500.0, 600.0),
            e("pn", 0.0, 100.0),
            e("m1", 50.0, 200.0),
            e("m2", 150.0, 300.0),
            e("late", 300.0, 400.0),
        ]);
        let names: Vec<Vec<&str>> = g
            .iter()
            .map(|g| g.iter().map(|e| e.name.as_str()).collect())
            .collect();
        assert_eq!(
            names,
            vec![vec!["m1", "m2", "pn"], vec!["late"], vec!["m2b"]]
        );
    }

    #[test]
    fn shards_are_stable_and_spread() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        let n = 4;
        let mut count = [0usize; 4];
        for i in 0..400u64 {
            let s = shard_of(&format!("{:010}", 100_000_000 + i), n);
            assert!((1..=n).contains(&s));
            count[s - 1] += 1;
        }
        assert!(count.iter().all(|&c| c > 50), "{count:?}");
    }
}
