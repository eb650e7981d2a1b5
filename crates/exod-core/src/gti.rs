//! Good time intervals: sorted, disjoint [start, stop) intervals, with the operations the
//! pipeline needs (intersection, exposure inside a time bin, membership).

/// A set of disjoint, sorted time intervals (s).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Gti {
    intervals: Vec<(f64, f64)>,
}

/// Why a GTI table is invalid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GtiError {
    /// A row has START > STOP.
    #[error("row {row}: START = {start} is not before STOP = {stop}")]
    Inverted {
        /// Row of the GTI table (1-based).
        row: usize,
        /// Its START (s).
        start: f64,
        /// Its STOP (s).
        stop: f64,
    },
    /// A row has a NaN or infinite START or STOP.
    #[error("row {row}: START or STOP is not a finite number")]
    NotFinite {
        /// Row of the GTI table (1-based).
        row: usize,
    },
    /// A row starts before the previous row's STOP (by more than 1 µs).
    #[error("row {row}: intervals are not sorted or overlap (START {start} < previous STOP {prev_stop})")]
    Unsorted {
        /// Row of the GTI table (1-based).
        row: usize,
        /// Its START (s).
        start: f64,
        /// STOP of the previous kept interval (s).
        prev_stop: f64,
    },
}

impl Gti {
    /// Build from a GTI table's rows, which must be finite, START ≤ STOP, sorted and
    /// non-overlapping (OGIP). Zero-length rows are dropped; touching rows are merged.
    pub fn from_rows(start: &[f64], stop: &[f64]) -> Result<Gti, GtiError> {
        let mut intervals: Vec<(f64, f64)> = Vec::with_capacity(start.len());
        for (row, (&a, &b)) in start.iter().zip(stop).enumerate() {
            if !a.is_finite() || !b.is_finite() {
                return Err(GtiError::NotFinite { row: row + 1 });
            }
            if a > b {
                return Err(GtiError::Inverted {
                    row: row + 1,
                    start: a,
                    stop: b,
                });
            }
            if let Some(&(_, prev)) = intervals.last() {
                if a < prev - 1e-6 {
                    return Err(GtiError::Unsorted {
                        row: row + 1,
                        start: a,
                        prev_stop: prev,
                    });
                }
            }
            if b > a {
                match intervals.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => intervals.push((a, b)),
                }
            }
        }
        Ok(Gti { intervals })
    }

    /// A single interval.
    pub fn single(start: f64, stop: f64) -> Gti {
        Gti {
            intervals: if stop > start {
                vec![(start, stop)]
            } else {
                vec![]
            },
        }
    }

    /// The intervals.
    pub fn intervals(&self) -> &[(f64, f64)] {
        &self.intervals
    }

    /// True when there is no good time.
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }

    /// Total good time (s).
    pub fn exposure(&self) -> f64 {
        self.intervals.iter().map(|(a, b)| b - a).sum()
    }

    /// First start and last stop.
    pub fn span(&self) -> Option<(f64, f64)> {
        Some((self.intervals.first()?.0, self.intervals.last()?.1))
    }

    /// Intersection of two GTIs.
    pub fn intersect(&self, other: &Gti) -> Gti {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < self.intervals.len() && j < other.intervals.len() {
            let (a0, a1) = self.intervals[i];
            let (b0, b1) = other.intervals[j];
            let (lo, hi) = (a0.max(b0), a1.min(b1));
            if hi > lo {
                out.push((lo, hi));
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        Gti { intervals: out }
    }

    /// Union of two GTIs (touching or overlapping intervals merge).
    pub fn union(&self, other: &Gti) -> Gti {
        let mut all: Vec<(f64, f64)> = self
            .intervals
            .iter()
            .chain(&other.intervals)
            .copied()
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out: Vec<(f64, f64)> = Vec::with_capacity(all.len());
        for (a, b) in all {
            match out.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        Gti { intervals: out }
    }

    /// Is time t inside a good interval ([start, stop])?
    pub fn contains(&self, t: f64) -> bool {
        let k = self.intervals.partition_point(|&(_, b)| b < t);
        k < self.intervals.len() && self.intervals[k].0 <= t
    }

    /// Good time inside [t0, t1) (s).
    pub fn overlap(&self, t0: f64, t1: f64) -> f64 {
        let mut k = self.intervals.partition_point(|&(_, b)| b <= t0);
        let mut sum = 0.0;
        while k < self.intervals.len() && self.intervals[k].0 < t1 {
            let (a, b) = self.intervals[k];
            sum += b.min(t1) - a.max(t0);
            k += 1;
        }
        sum.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_merges_overlaps_and_keeps_gaps() {
        let a = Gti::from_rows(&[0.0, 10.0], &[5.0, 20.0]).unwrap();
        let b = Gti::from_rows(&[4.0, 30.0], &[8.0, 40.0]).unwrap();
        assert_eq!(
            a.union(&b).intervals(),
            &[(0.0, 8.0), (10.0, 20.0), (30.0, 40.0)]
        );
        assert_eq!(a.union(&Gti::default()), a);
    }

    #[test]
    fn intersection_overlap_and_validation() {
        let a = Gti::from_rows(&[0.0, 10.0, 30.0], &[5.0, 20.0, 40.0]).unwrap();
        let b = Gti::from_rows(&[3.0, 15.0], &[12.0, 35.0]).unwrap();
        let c = a.intersect(&b);
        assert_eq!(
            c.intervals(),
            &[(3.0, 5.0), (10.0, 12.0), (15.0, 20.0), (30.0, 35.0)]
        );
        assert_eq!(c.exposure(), 2.0 + 2.0 + 5.0 + 5.0);
        assert_eq!(a.overlap(4.0, 12.0), 1.0 + 2.0);
        assert_eq!(a.overlap(50.0, 60.0), 0.0);
        assert!(a.contains(10.0) && !a.contains(7.0) && a.contains(40.0));
        assert!(matches!(
            Gti::from_rows(&[5.0], &[1.0]),
            Err(GtiError::Inverted { .. })
        ));
        assert!(matches!(
            Gti::from_rows(&[0.0, 3.0], &[5.0, 8.0]),
            Err(GtiError::Unsorted { .. })
        ));
        assert!(matches!(
            Gti::from_rows(&[f64::NAN], &[1.0]),
            Err(GtiError::NotFinite { .. })
        ));
    }
}
