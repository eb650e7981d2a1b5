//! Energy bands (paper §2.3: 0.2–2, 2–12 and 0.2–12 keV by default).

use crate::error::CoreError;

/// An energy band in eV, `lo ≤ E < hi` (half-open, so 2 keV belongs to exactly one of
/// 0.2–2 and 2–12; 12 keV itself is kept in the top band).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Band {
    /// Lower edge (eV, inclusive).
    pub lo_ev: f64,
    /// Upper edge (eV, exclusive; inclusive when ≥ 12 keV, see [`Band::contains`]).
    pub hi_ev: f64,
}

impl Band {
    /// Parse "0.2-2" (keV).
    pub fn parse(s: &str) -> Result<Band, CoreError> {
        let (a, b) = s.split_once('-').ok_or_else(|| {
            CoreError::param(format!("band {s:?}: expected LO-HI in keV, e.g. 0.2-2"))
        })?;
        let lo: f64 = a
            .trim()
            .parse()
            .map_err(|_| CoreError::param(format!("band {s:?}: {a:?} is not a number")))?;
        let hi: f64 = b
            .trim()
            .parse()
            .map_err(|_| CoreError::param(format!("band {s:?}: {b:?} is not a number")))?;
        if !(lo >= 0.0 && hi > lo && hi <= 100.0) {
            return Err(CoreError::param(format!(
                "band {s:?}: expected 0 ≤ LO < HI ≤ 100 keV"
            )));
        }
        Ok(Band {
            lo_ev: lo * 1000.0,
            hi_ev: hi * 1000.0,
        })
    }

    /// Does an energy (eV) fall in the band? The upper edge is inclusive only at 12 keV (the top
    /// of the screened range), so that 0.2–12 keeps every screened event.
    #[inline]
    pub fn contains(&self, e: f32) -> bool {
        let e = e as f64;
        e >= self.lo_ev && (e < self.hi_ev || (self.hi_ev >= 12_000.0 && e <= self.hi_ev))
    }

    /// "0.2-2" style label.
    pub fn label(&self) -> String {
        format!("{}-{}", self.lo_ev / 1000.0, self.hi_ev / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_partition_the_screened_range() {
        let soft = Band::parse("0.2-2").unwrap();
        let hard = Band::parse("2-12").unwrap();
        let full = Band::parse("0.2-12").unwrap();
        for e in [200.0f32, 1999.9, 2000.0, 11999.0, 12000.0] {
            assert_eq!(soft.contains(e) as u8 + hard.contains(e) as u8, 1, "{e}");
            assert!(full.contains(e), "{e}");
        }
        assert!(Band::parse("2").is_err());
        assert!(Band::parse("5-2").is_err());
    }
}
