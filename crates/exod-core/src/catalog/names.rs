//! IAU names of EXOD sources, `EXOD JHHMMSS.s±DDMMSS` (paper §5; IAU Specifications for
//! Nomenclature): RA in hours to 0.1 s of time, Dec to 1″, both **truncated**, never rounded, so
//! a name never points at a place the source is not in (59.99 s reads 59.9, not 60.0). The sign
//! is that of the declination, kept for small negative values (−0°0′5″ reads `-000005`).
//!
//! Names must be unique in a catalogue. When several sources truncate to the same name, the
//! first in source order (lowest `srcid`) keeps it and the others get a letter appended, `A`,
//! `B`, …, `Z`, `AA`, `AB`, … in source order (the IAU allows a suffix letter to
//! distinguish sources that share a designation). Bare names never end in a letter, so a
//! suffixed name cannot collide with one.

use std::collections::HashMap;

/// Tolerance on the truncated units: a value within 1e-6 of a unit (0.1 s of time, 1″) is counted
/// as reaching it, so a coordinate written as exactly 12.3 s but stored as 12.299999… still reads
/// 12.3. 1e-6 of 0.1 s is 1.5e-5″ on the sky, far below any position error.
const UNIT_TOLERANCE: f64 = 1e-6;

/// `EXOD Jhhmmss.s±ddmmss` of (`ra`, `dec`) in deg, truncated (see the module docs). Positions
/// that are not finite give `EXOD J??????.?+??????`.
pub fn iau_name(ra: f64, dec: f64) -> String {
    if !(ra.is_finite() && dec.is_finite()) {
        return "EXOD J??????.?+??????".to_string();
    }
    // RA in tenths of a second of time, truncated; 24 h · 36000 = 864000
    let tenths = ((ra / 15.0).rem_euclid(24.0) * 36000.0 + UNIT_TOLERANCE).floor() as u64;
    let tenths = tenths.min(863_999);
    let (h, m, s10) = (tenths / 36000, (tenths / 600) % 60, tenths % 600);
    let sign = if dec < 0.0 { '-' } else { '+' };
    let arcsec = ((dec.abs().min(90.0)) * 3600.0 + UNIT_TOLERANCE).floor() as u64;
    let (d, dm, ds) = (arcsec / 3600, (arcsec / 60) % 60, arcsec % 60);
    format!(
        "EXOD J{h:02}{m:02}{:02}.{}{sign}{d:02}{dm:02}{ds:02}",
        s10 / 10,
        s10 % 10
    )
}

/// The suffix of the `k`-th repeat (k ≥ 1): `A`…`Z`, `AA`, `AB`, ….
fn suffix(mut k: usize) -> String {
    let mut s = Vec::new();
    while k > 0 {
        k -= 1;
        s.push(b'A' + (k % 26) as u8);
        k /= 26;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII")
}

/// Unique names of sources at `positions` (deg), in source order (see the module docs).
pub fn unique_names(positions: &[(f64, f64)]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    positions
        .iter()
        .map(|&(ra, dec)| {
            let base = iau_name(ra, dec);
            let k = seen.entry(base.clone()).or_insert(0);
            let name = if *k == 0 {
                base
            } else {
                format!("{base}{}", suffix(*k))
            };
            *k += 1;
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_truncate() {
        assert_eq!(iau_name(150.1191, 2.2058), "EXOD J100028.5+021220");
        assert_eq!(iau_name(0.0, -0.5), "EXOD J000000.0-003000");
        // 59.99 s of time truncates to 59.9, never rounds to 60.0 (or to the next minute)
        let ra = (10.0 + 0.0 / 60.0 + 59.99 / 3600.0) * 15.0;
        assert_eq!(iau_name(ra, 0.0), "EXOD J100059.9+000000");
        // 59.99″ of Dec reads 59
        assert_eq!(
            iau_name(0.0, 12.0 + 59.99 / 3600.0),
            "EXOD J000000.0+120059"
        );
        // just below 24 h
        assert_eq!(iau_name(359.999_999_9, 0.0), "EXOD J235959.9+000000");
        // a small negative Dec keeps its sign
        assert_eq!(iau_name(0.0, -5.0 / 3600.0), "EXOD J000000.0-000005");
        assert_eq!(iau_name(0.0, -0.5 / 3600.0), "EXOD J000000.0-000000");
        // exact decimal values survive representation error: 12.3 s, 7″
        let ra = (1.0 + 2.0 / 60.0 + 12.3 / 3600.0) * 15.0;
        assert_eq!(
            iau_name(ra, -(3.0 + 4.0 / 60.0 + 7.0 / 3600.0)),
            "EXOD J010212.3-030407"
        );
    }

    #[test]
    fn repeated_names_get_letters_in_source_order() {
        let p = [
            (150.0, 2.0),
            (150.0 + 0.1 / 3600.0, 2.0),
            (10.0, 10.0),
            (150.0 + 0.2 / 3600.0, 2.0 + 0.5 / 3600.0),
        ];
        let n = unique_names(&p);
        assert_eq!(n[0], "EXOD J100000.0+020000");
        assert_eq!(n[1], "EXOD J100000.0+020000A");
        assert_eq!(n[2], "EXOD J004000.0+100000");
        assert_eq!(n[3], "EXOD J100000.0+020000B");
        assert_eq!(suffix(26), "Z");
        assert_eq!(suffix(27), "AA");
    }
}
