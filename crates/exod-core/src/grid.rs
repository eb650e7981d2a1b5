//! The sky grid of square cells (paper §2.3: 20″) and the frames of one t_bin.
//!
//! Cells are anchored on the sky reference pixel, so the grid is the same for every camera and
//! run. Frames start at the earliest GTI start of any camera.

use crate::wcs::SkyWcs;

/// The sky grid.
#[derive(Debug, Clone)]
pub struct SkyGrid {
    /// Cell size in sky pixels.
    pub cell_px: f64,
    /// Cell size (arcsec; paper default 20″).
    pub cell_arcsec: f64,
    /// Sky pixel X of the lower edge of cell column 0 (cell edges fall on the reference pixel).
    pub x0: f64,
    /// Sky pixel Y of the lower edge of cell row 0.
    pub y0: f64,
    /// Number of cells along X (`ix` in `0..nx`).
    pub nx: usize,
    /// Number of cells along Y (`iy` in `0..ny`).
    pub ny: usize,
    /// The sky WCS of the events' X/Y, shared by every camera.
    pub wcs: SkyWcs,
}

impl SkyGrid {
    /// Cell (ix, iy) of a sky position, if inside.
    #[inline]
    pub fn cell_of(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let ix = ((x - self.x0) / self.cell_px).floor();
        let iy = ((y - self.y0) / self.cell_px).floor();
        if ix >= 0.0 && iy >= 0.0 && (ix as usize) < self.nx && (iy as usize) < self.ny {
            Some((ix as usize, iy as usize))
        } else {
            None
        }
    }

    /// Sky pixel of the centre of a cell.
    pub fn centre(&self, ix: f64, iy: f64) -> (f64, f64) {
        (
            self.x0 + (ix + 0.5) * self.cell_px,
            self.y0 + (iy + 0.5) * self.cell_px,
        )
    }

    /// Number of cells, `nx · ny` (cell index `iy · nx + ix`).
    pub fn n_cells(&self) -> usize {
        self.nx * self.ny
    }
}

/// The frames of one run.
#[derive(Debug, Clone, Copy)]
pub struct Frames {
    /// Start of frame 0 (s, event TIME system): the earliest GTI start of any camera.
    pub t0: f64,
    /// Frame length t_bin (s).
    pub tbin: f64,
    /// Number of frames; the last one may extend past the end of the span.
    pub n: usize,
}

/// Default largest number of frames of one run (DetectParams::max_frames): 2·10⁶, e.g. 130 ks
/// at 65 ms; the per-frame arrays of a run then take ~0.2 GB.
pub const MAX_FRAMES: usize = 2_000_000;

impl Frames {
    /// The frames of `tbin` over `span`, or why there would be too many (more than `max`).
    pub fn checked(span: (f64, f64), tbin: f64, max: usize) -> Result<Frames, crate::CoreError> {
        if !(tbin > 0.0 && tbin.is_finite()) {
            return Err(crate::CoreError::param(format!(
                "t_bin {tbin} s: expected a positive number of seconds"
            )));
        }
        let n = ((span.1 - span.0) / tbin).ceil();
        if !(n <= max as f64) {
            return Err(crate::CoreError::param(format!(
                "t_bin {tbin} s over the {:.0} s spanned by the GTIs makes {n:.3e} frames, more than the limit of {max} (raise max_frames / --max-frames, or use a longer t_bin)",
                span.1 - span.0
            )));
        }
        Ok(Frames::new(span, tbin))
    }

    /// Frames of `tbin` seconds from `span.0`, `⌈(span.1 − span.0) / tbin⌉` of them (at least 1).
    pub fn new(span: (f64, f64), tbin: f64) -> Frames {
        let n = (((span.1 - span.0) / tbin).ceil() as usize).max(1);
        Frames {
            t0: span.0,
            tbin,
            n,
        }
    }

    /// 0-based frame of time `t` (s); frame k is `[start(k), start(k + 1))`. None outside the frames.
    #[inline]
    pub fn of(&self, t: f64) -> Option<usize> {
        let k = ((t - self.t0) / self.tbin).floor();
        (k >= 0.0 && (k as usize) < self.n).then_some(k as usize)
    }

    /// Start of frame `k` (s); `start(k + 1)` is its end.
    pub fn start(&self, k: usize) -> f64 {
        self.t0 + k as f64 * self.tbin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_cover_the_span() {
        let f = Frames::new((100.0, 212.0), 5.0);
        assert_eq!(f.n, 23);
        assert_eq!(f.of(100.0), Some(0));
        assert_eq!(f.of(104.999), Some(0));
        assert_eq!(f.of(211.9), Some(22));
        assert_eq!(f.of(99.0), None);
    }
}
