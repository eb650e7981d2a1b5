//! Standard screening of EPIC events (paper §2.2), every criterion optional with a documented
//! default, and a count of what each one removed.
//!
//! Order: PATTERN → PI → FLAG (XMMEA_EP/EM) → hot pixels → bad pn columns → pn CCD edges →
//! MOS central CCD in partial windows → outside the CCD's GTI.

use std::collections::HashSet;

use std::collections::BTreeMap;

use crate::gti::Gti;
use crate::instrument::EpicCamera;

/// Screening options. `Default` gives the EXOD defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScreenOptions {
    /// Keep PATTERN ≤ this for pn (default 4: singles and doubles).
    pub max_pattern_pn: i32,
    /// Keep PATTERN ≤ this for MOS (default 12).
    pub max_pattern_mos: i32,
    /// Keep `pi_min_ev ≤ PI ≤ pi_max_ev` (eV, both edges **inclusive**, as SAS's `PI in [200:12000]`;
    /// default 200–12000).
    pub pi_min_ev: f64,
    /// Upper PI edge (eV, inclusive; default 12000). See `pi_min_ev`.
    pub pi_max_ev: f64,
    /// Apply the XMMEA_EP / XMMEA_EM FLAG selection (the mask is read from the file's own
    /// `XMMEA_EP`/`XMMEA_EM` card; fallback 0xfa000c for pn, 0x766ba000 for MOS). Default on.
    pub flag: bool,
    /// Remove the 4XMM-DR14 hot pixels and columns valid at the exposure's REVOLUT. Default on.
    pub hot_pixels: bool,
    /// Remove the known bad pn columns (CCD 4 RAWX 12, CCD 5 RAWX 11, CCD 10 RAWX 28). Default on.
    pub bad_pn_columns: bool,
    /// Remove this many pixels at each edge of every pn CCD (RAWX 1..64, RAWY 1..200; paper: 3).
    pub pn_edge_margin: i32,
    /// Remove MOS CCD 1 when the MOS submode is not PrimeFullWindow (partial windows). Default on.
    pub mos_central_ccd_in_partial_modes: bool,
    /// Remove events outside their CCD's GTI. Default on.
    pub outside_gti: bool,
    /// Lists of the other described instruments (Chandra, Swift, NuSTAR, eROSITA): keep only the
    /// grades and the energy range of their description (`instrument::Screening::Grades`).
    /// Default on.
    pub grades: bool,
}

impl Default for ScreenOptions {
    fn default() -> Self {
        ScreenOptions {
            max_pattern_pn: 4,
            max_pattern_mos: 12,
            pi_min_ev: 200.0,
            pi_max_ev: 12000.0,
            flag: true,
            hot_pixels: true,
            bad_pn_columns: true,
            pn_edge_margin: 3,
            mos_central_ccd_in_partial_modes: true,
            outside_gti: true,
            grades: true,
        }
    }
}

/// What screening removed, criterion by criterion, in order.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ScreenReport {
    /// Rows in the file.
    pub n_read: usize,
    /// (criterion, events removed by it among those that passed the previous ones).
    pub removed: Vec<(String, usize)>,
    /// Events kept.
    pub n_kept: usize,
}

/// Default XMMEA masks when the file has no card.
pub const XMMEA_EP_FALLBACK: u32 = 0x00fa_000c;
/// `XMMEA_EM= '(FLAG & 0x766ba000) == 0'`, as on the real MOS lists.
pub const XMMEA_EM_FALLBACK: u32 = 0x766b_a000;

/// Parse `(FLAG & 0x766ba000) == 0` into the mask.
pub fn parse_xmmea(card: &str) -> Option<u32> {
    let s = card.replace(' ', "");
    let start = s.find("FLAG&0x")? + "FLAG&0x".len();
    let hex: String = s[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    if !s[start + hex.len()..].starts_with(")==0") {
        return None;
    }
    u32::from_str_radix(&hex, 16).ok()
}

/// Hot pixels for one camera and revolution: a set of (CCDNR, RAWX, RAWY).
#[derive(Debug, Default)]
pub struct HotPixels {
    set: HashSet<(u8, i16, i16)>,
}

const HOT_PN: &str = include_str!("../data/hotpixels/4xmmdr14_hotpixels_PN.csv");
const HOT_M1: &str = include_str!("../data/hotpixels/4xmmdr14_hotpixels_M1.csv");
const HOT_M2: &str = include_str!("../data/hotpixels/4xmmdr14_hotpixels_M2.csv");

impl HotPixels {
    /// The 4XMM-DR14 hot pixels of `camera` valid at `revolution` (REV1 ≤ rev ≤ REV2).
    pub fn for_exposure(camera: EpicCamera, revolution: i64) -> HotPixels {
        let text = match camera {
            EpicCamera::Pn => HOT_PN,
            EpicCamera::Mos1 => HOT_M1,
            EpicCamera::Mos2 => HOT_M2,
        };
        let mut set = HashSet::new();
        for line in text.lines().skip(1) {
            let f: Vec<i64> = line
                .split(',')
                .filter_map(|v| v.trim().parse().ok())
                .collect();
            if f.len() != 7 {
                continue;
            }
            let (ccd, rawx, y1, y2, r1, r2) = (f[0], f[2], f[3], f[4], f[5], f[6]);
            if r1 <= revolution && revolution <= r2 {
                for y in y1..=y2 {
                    set.insert((ccd as u8, rawx as i16, y as i16));
                }
            }
        }
        HotPixels { set }
    }

    /// Number of pixels.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Empty?
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Is (ccd, rawx, rawy) hot?
    pub fn contains(&self, ccd: u8, rawx: i16, rawy: i16) -> bool {
        self.set.contains(&(ccd, rawx, rawy))
    }
}

/// The known bad pn columns (Strüder et al. 2001): (CCDNR, RAWX).
pub const BAD_PN_COLUMNS: [(u8, i16); 3] = [(4, 12), (5, 11), (10, 28)];

/// The screening criteria of an EPIC event list, in the order they are applied (the names are
/// those of [`ScreenReport::removed`]).
pub const EPIC_CRITERIA: [&str; 9] = [
    "PATTERN",
    "PI range",
    "FLAG (XMMEA)",
    "hot pixels",
    "bad pn columns",
    "pn CCD edges",
    "MOS central CCD (partial window)",
    "outside CCD GTI",
    "undefined sky X/Y",
];

/// Index of the "undefined sky X/Y" criterion (NaN, TNULL, outside TLMIN–TLMAX) in [`EPIC_CRITERIA`] (applied to every mission).
pub const UNDEFINED_SKY: usize = 8;

/// One EPIC event as screening sees it.
#[derive(Debug, Clone, Copy)]
pub struct EpicEvent {
    /// TIME (s).
    pub time: f64,
    /// Energy (eV).
    pub energy_ev: f64,
    /// PATTERN.
    pub pattern: i32,
    /// FLAG.
    pub flag: u32,
    /// CCDNR.
    pub ccd: i32,
    /// RAWX.
    pub rawx: i32,
    /// RAWY.
    pub rawy: i32,
}

/// The screening of one EPIC exposure: options, camera, the FLAG mask of its `XMMEA_EP/EM`
/// card, its hot pixels and CCD GTIs.
#[derive(Debug)]
pub struct EpicScreen<'a> {
    opts: &'a ScreenOptions,
    camera: EpicCamera,
    flag_mask: u32,
    hot: Option<HotPixels>,
    partial_mos: bool,
    gti: &'a BTreeMap<u8, Gti>,
}

impl<'a> EpicScreen<'a> {
    /// The screening of an exposure of `camera` at `revolution` (hot pixels off without one) in
    /// `submode`, with FLAG mask `flag_mask` and CCD GTIs `gti`.
    pub fn new(
        opts: &'a ScreenOptions,
        camera: EpicCamera,
        revolution: Option<i64>,
        submode: Option<&str>,
        flag_mask: u32,
        gti: &'a BTreeMap<u8, Gti>,
    ) -> EpicScreen<'a> {
        let hot = match (opts.hot_pixels, revolution) {
            (true, Some(rev)) => Some(HotPixels::for_exposure(camera, rev)),
            _ => None,
        };
        let partial_mos = matches!(camera, EpicCamera::Mos1 | EpicCamera::Mos2)
            && submode.map(|s| s != "PrimeFullWindow").unwrap_or(false);
        EpicScreen {
            opts,
            camera,
            flag_mask,
            hot,
            partial_mos,
            gti,
        }
    }

    /// The camera screened.
    pub fn camera(&self) -> EpicCamera {
        self.camera
    }

    /// The first criterion of [`EPIC_CRITERIA`] that removes the event, if any.
    #[inline]
    pub fn reject(&self, e: &EpicEvent) -> Option<usize> {
        let so = self.opts;
        let pn = self.camera == EpicCamera::Pn;
        let max_pattern = if pn {
            so.max_pattern_pn
        } else {
            so.max_pattern_mos
        };
        if e.pattern > max_pattern || e.pattern < 0 {
            return Some(0);
        }
        if !(e.energy_ev >= so.pi_min_ev && e.energy_ev <= so.pi_max_ev) {
            return Some(1);
        }
        if so.flag && e.flag & self.flag_mask != 0 {
            return Some(2);
        }
        if let Some(h) = &self.hot {
            if h.contains(e.ccd as u8, e.rawx as i16, e.rawy as i16) {
                return Some(3);
            }
        }
        if pn {
            if so.bad_pn_columns && BAD_PN_COLUMNS.contains(&(e.ccd as u8, e.rawx as i16)) {
                return Some(4);
            }
            let m = so.pn_edge_margin;
            if m > 0 && (e.rawx <= m || e.rawx > 64 - m || e.rawy <= m || e.rawy > 200 - m) {
                return Some(5);
            }
        }
        if self.partial_mos && so.mos_central_ccd_in_partial_modes && e.ccd == 1 {
            return Some(6);
        }
        if so.outside_gti {
            match self.gti.get(&(e.ccd as u8)) {
                Some(g) if g.contains(e.time) => {}
                _ => return Some(7),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmmea_cards_parse() {
        assert_eq!(parse_xmmea("(FLAG & 0x766ba000) == 0"), Some(0x766ba000));
        assert_eq!(parse_xmmea("(FLAG & 0x1) != 0"), None);
        assert_eq!(parse_xmmea("nonsense"), None);
    }

    #[test]
    fn hot_pixel_tables_expand_ranges_and_respect_revolutions() {
        // first M1 row: CCD 1, RAWX 497, RAWY 99..102, revs 4124..10000
        let late = HotPixels::for_exposure(EpicCamera::Mos1, 5000);
        let early = HotPixels::for_exposure(EpicCamera::Mos1, 800);
        assert!(late.contains(1, 497, 99) && late.contains(1, 497, 102));
        assert!(!late.contains(1, 497, 103));
        assert!(!early.contains(1, 497, 100));
        // inclusive bounds
        assert!(HotPixels::for_exposure(EpicCamera::Mos1, 4124).contains(1, 497, 100));
        // EXOD2's expansion has 10,078 M1 pixel-rows (all revolutions); ours at rev 5000 is a subset
        assert!(late.len() > 1000 && late.len() <= 10_078, "{}", late.len());
    }
}
