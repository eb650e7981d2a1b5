//! Regions (paper §2.7): flagged cells of one kind (peak or eclipse) connected in space *and
//! time* — 8-connectivity in the sky plane and consecutive frames. A burst spread over adjacent
//! cells or frames is one detection, while the same source flaring twice gives two (EXOD2 joins
//! every flag of a pixel over the whole observation).

use std::collections::HashMap;

use crate::decide::{Flag, Kind};

/// The regions of `flags` on an `nx × ny` grid: lists of flag indices, each sorted, ordered by
/// their first flag.
pub fn connect(flags: &[Flag], nx: usize, ny: usize) -> Vec<Vec<usize>> {
    let index: HashMap<(u32, u32, Kind), usize> = flags
        .iter()
        .enumerate()
        .map(|(j, f)| ((f.cell, f.frame, f.kind), j))
        .collect();
    let mut parent: Vec<usize> = (0..flags.len()).collect();
    for (j, f) in flags.iter().enumerate() {
        let (x, y) = (
            (f.cell as usize % nx) as isize,
            (f.cell as usize / nx) as isize,
        );
        for dt in [0i64, 1] {
            for dy in -1isize..=1 {
                for dx in -1isize..=1 {
                    let (a, b) = (x + dx, y + dy);
                    if a < 0 || b < 0 || a as usize >= nx || b as usize >= ny {
                        continue;
                    }
                    let c = (b as usize * nx + a as usize) as u32;
                    if let Some(&o) = index.get(&(c, (f.frame as i64 + dt) as u32, f.kind)) {
                        union(&mut parent, j, o);
                    }
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for j in 0..flags.len() {
        let r = find(&mut parent, j);
        groups.entry(r).or_default().push(j);
    }
    let mut roots: Vec<usize> = groups.keys().copied().collect();
    roots.sort_unstable();
    roots
        .into_iter()
        .map(|r| groups.remove(&r).expect("root"))
        .collect()
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Join the sets of `a` and `b`, the smaller index becoming the root.
fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(cell: u32, frame: u32, kind: Kind) -> Flag {
        Flag {
            cell,
            frame,
            kind,
            n: 1,
            mu: 0.1,
            log10_b: 1.0,
        }
    }

    #[test]
    fn regions_join_in_space_and_consecutive_frames_only() {
        let nx = 10;
        let flags = vec![
            flag(11, 5, Kind::Peak),    // 0
            flag(22, 5, Kind::Peak),    // 1: diagonal neighbour of 0, same frame
            flag(22, 6, Kind::Peak),    // 2: same cell, next frame
            flag(22, 8, Kind::Peak),    // 3: two frames later: a new region
            flag(12, 5, Kind::Eclipse), // 4: neighbour of 0 but another kind
            flag(14, 5, Kind::Peak),    // 5: two cells away
            flag(29, 5, Kind::Peak),    // 6: x = 9, y = 2
            flag(30, 5, Kind::Peak),    // 7: x = 0, y = 3: no wrap-around from 29
        ];
        let r = connect(&flags, nx, 10);
        assert_eq!(
            r,
            vec![vec![0, 1, 2], vec![3], vec![4], vec![5], vec![6], vec![7]]
        );
    }
}
