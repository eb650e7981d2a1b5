//! The data cube of paper §2.3, kept sparse: events of all cameras binned once onto one sky grid
//! of square cells and onto frames of `t_bin` seconds aligned across cameras.
//!
//! * Cells are `cell_arcsec` wide (default 20″), anchored on the sky reference pixel, so the grid
//!   is the same for every camera and run (EXOD2's 51840/129-pixel cells are 20.093″; ours are
//!   exactly the requested size).
//! * Frames start at the earliest GTI start of any camera and cover every camera's GTIs; a frame
//!   cut by a GTI edge keeps its partial live time (see [`LiveTime`]) instead of being dropped.
//! * Nothing dense in time is materialised: the counts of a (cell, frame) are runs of the
//!   time-sorted event list.

use crate::events::{EventList, Gti, XmmCamera};
use crate::wcs::SkyWcs;

/// An energy band in eV, `lo ≤ E < hi` (half-open, so 2 keV belongs to exactly one of
/// 0.2–2 and 2–12; 12 keV itself is kept in the top band).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Band {
    pub lo_ev: f64,
    pub hi_ev: f64,
}

impl Band {
    /// Parse "0.2-2" (keV).
    pub fn parse(s: &str) -> Result<Band, String> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| format!("band {s:?}: expected LO-HI in keV, e.g. 0.2-2"))?;
        let lo: f64 = a
            .trim()
            .parse()
            .map_err(|_| format!("band {s:?}: {a:?} is not a number"))?;
        let hi: f64 = b
            .trim()
            .parse()
            .map_err(|_| format!("band {s:?}: {b:?} is not a number"))?;
        if !(lo >= 0.0 && hi > lo && hi <= 100.0) {
            return Err(format!("band {s:?}: expected 0 ≤ LO < HI ≤ 100 keV"));
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

/// The sky grid.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Cell size in sky pixels.
    pub cell_px: f64,
    pub cell_arcsec: f64,
    /// Sky pixel coordinate of the lower edge of cell 0 (x and y).
    pub x0: f64,
    pub y0: f64,
    pub nx: usize,
    pub ny: usize,
    pub wcs: SkyWcs,
}

impl Grid {
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

    pub fn n_cells(&self) -> usize {
        self.nx * self.ny
    }
}

/// Which camera CCDs see each cell, and with what weight: for every cell, per camera, the CCD
/// most of that camera's events in the cell come from, weighted by the camera's share of the
/// count rate (events per second of GTI). Weights of a cell sum to 1; `L(x, t) = Σ w · live`.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    pub covered: Vec<bool>,
    pub term_start: Vec<u32>,
    /// (camera index, CCD, weight)
    pub terms: Vec<(u8, u8, f32)>,
}

impl Coverage {
    fn build(cell: &[u32], cam: &[u8], ccd: &[u8], n_cells: usize, share: &[f64]) -> Coverage {
        // dense histogram cell × camera × CCD, O(events)
        let ncam = share.len().max(1);
        let nccd = ccd.iter().copied().max().unwrap_or(0) as usize + 1;
        let mut hist = vec![0u32; n_cells * ncam * nccd];
        for i in 0..cell.len() {
            hist[(cell[i] as usize * ncam + cam[i] as usize) * nccd + ccd[i] as usize] += 1;
        }
        let mut cov = Coverage {
            covered: vec![false; n_cells],
            term_start: Vec::with_capacity(n_cells + 1),
            terms: Vec::new(),
        };
        let mut best: Vec<(u8, u8)> = Vec::with_capacity(ncam);
        for c in 0..n_cells {
            cov.term_start.push(cov.terms.len() as u32);
            best.clear();
            for cm in 0..ncam {
                let row = &hist[(c * ncam + cm) * nccd..(c * ncam + cm + 1) * nccd];
                // the CCD with most events (ties: the lower CCD number)
                let (k, &n) =
                    row.iter().enumerate().fold(
                        (0, &0u32),
                        |acc, (k, n)| if *n > *acc.1 { (k, n) } else { acc },
                    );
                if n > 0 {
                    best.push((cm as u8, k as u8));
                }
            }
            let wsum: f64 = best.iter().map(|b| share[b.0 as usize]).sum();
            if wsum > 0.0 {
                for &(cm, cd) in &best {
                    cov.terms.push((cm, cd, (share[cm as usize] / wsum) as f32));
                }
                cov.covered[c] = true;
            }
        }
        cov.term_start.push(cov.terms.len() as u32);
        cov
    }

    /// Terms of a cell.
    pub fn terms(&self, cell: usize) -> &[(u8, u8, f32)] {
        &self.terms[self.term_start[cell] as usize..self.term_start[cell + 1] as usize]
    }
}

/// All events of one observation, merged over cameras and sorted by time, with their cell.
#[derive(Debug, Clone)]
pub struct EventTable {
    pub time: Vec<f64>,
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub energy: Vec<f32>,
    pub cell: Vec<u32>,
    /// Camera index into `cameras`.
    pub cam: Vec<u8>,
    pub ccd: Vec<u8>,
    pub cameras: Vec<CameraInfo>,
    pub grid: Grid,
    pub coverage: Coverage,
    /// Indices of the events with 10 ≤ E ≤ 12 keV (for the BTI rate).
    pub high_energy: Vec<u32>,
}

/// Per-camera facts the pipeline needs.
#[derive(Debug, Clone)]
pub struct CameraInfo {
    pub camera: Option<XmmCamera>,
    pub label: String,
    /// GTI per CCD.
    pub gti: Vec<(u8, Gti)>,
    pub n_events: usize,
}

/// Why events cannot be binned.
#[derive(Debug, thiserror::Error)]
pub enum CubeError {
    #[error("{path}: {what}")]
    Input { path: String, what: String },
}

impl EventTable {
    /// Merge event lists of one observation onto one grid of `cell_arcsec` cells.
    /// All lists must share the sky frame (same WCS reference), as EPIC cameras of one
    /// observation do.
    pub fn build(lists: &[EventList], cell_arcsec: f64) -> Result<EventTable, CubeError> {
        let first = lists.first().ok_or_else(|| CubeError::Input {
            path: "-".into(),
            what: "no event list".into(),
        })?;
        let wcs = first.wcs.clone().map_err(|e| CubeError::Input {
            path: first.path.display().to_string(),
            what: format!("cannot place events on the sky: {e}"),
        })?;
        for l in &lists[1..] {
            let w = l.wcs.as_ref().map_err(|e| CubeError::Input {
                path: l.path.display().to_string(),
                what: format!("cannot place events on the sky: {e}"),
            })?;
            let (a, b) = (w.params(), wcs.params());
            let same = (a.crval[0] - b.crval[0]).abs() < 1e-9
                && (a.crval[1] - b.crval[1]).abs() < 1e-9
                && (a.crpix[0] - b.crpix[0]).abs() < 1e-6
                && (a.cdelt[0] - b.cdelt[0]).abs() < 1e-12;
            if !same {
                return Err(CubeError::Input {
                    path: l.path.display().to_string(),
                    what: format!(
                        "its sky frame (RA {} Dec {} at pixel {}) differs from {}'s: the cameras of one run must come from one observation",
                        a.crval[0], a.crval[1], a.crpix[0], first.path.display()
                    ),
                });
            }
        }
        if !(cell_arcsec > 0.0 && cell_arcsec.is_finite()) {
            return Err(CubeError::Input {
                path: "-".into(),
                what: format!("cell size {cell_arcsec}″ must be > 0"),
            });
        }
        let cell_px = cell_arcsec / wcs.pixel_arcsec();
        // grid anchored on the reference pixel, covering every event
        let (mut xmin, mut xmax, mut ymin, mut ymax) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for l in lists {
            for (&x, &y) in l.x.iter().zip(&l.y) {
                xmin = xmin.min(x as f64);
                xmax = xmax.max(x as f64);
                ymin = ymin.min(y as f64);
                ymax = ymax.max(y as f64);
            }
        }
        if !xmin.is_finite() {
            return Err(CubeError::Input {
                path: first.path.display().to_string(),
                what: "no event left after screening".into(),
            });
        }
        let crpix = wcs.params().crpix;
        let kx0 = ((xmin - crpix[0]) / cell_px).floor();
        let ky0 = ((ymin - crpix[1]) / cell_px).floor();
        let x0 = crpix[0] + kx0 * cell_px;
        let y0 = crpix[1] + ky0 * cell_px;
        let nx = (((xmax - x0) / cell_px).floor() as usize) + 1;
        let ny = (((ymax - y0) / cell_px).floor() as usize) + 1;
        if nx * ny > 4_000_000 {
            return Err(CubeError::Input {
                path: first.path.display().to_string(),
                what: format!("events span {nx}×{ny} cells of {cell_arcsec}″: too large a field for one cube (stray coordinates?)"),
            });
        }
        let grid = Grid {
            cell_px,
            cell_arcsec,
            x0,
            y0,
            nx,
            ny,
            wcs,
        };
        let total: usize = lists.iter().map(|l| l.len()).sum();
        let mut t = EventTable {
            time: Vec::with_capacity(total),
            x: Vec::with_capacity(total),
            y: Vec::with_capacity(total),
            energy: Vec::with_capacity(total),
            cell: Vec::with_capacity(total),
            cam: Vec::with_capacity(total),
            ccd: Vec::with_capacity(total),
            cameras: lists
                .iter()
                .map(|l| CameraInfo {
                    camera: l.header.camera,
                    label: l
                        .header
                        .camera
                        .map(|c| c.short().to_string())
                        .unwrap_or_else(|| l.header.instrument.clone()),
                    gti: l.gti.iter().map(|(k, g)| (*k, g.clone())).collect(),
                    n_events: l.len(),
                })
                .collect(),
            grid,
            coverage: Coverage::default(),
            high_energy: Vec::new(),
        };
        // merge the time-sorted lists (k-way over the list heads; ties by camera order)
        let mut pos = vec![0usize; lists.len()];
        let head = |c: usize, p: usize| lists[c].time.get(p).copied().unwrap_or(f64::INFINITY);
        let mut heads: Vec<f64> = (0..lists.len()).map(|c| head(c, 0)).collect();
        for _ in 0..total {
            let mut c = 0;
            for k in 1..heads.len() {
                if heads[k] < heads[c] {
                    c = k;
                }
            }
            let (l, i) = (&lists[c], pos[c]);
            let (ix, iy) = t
                .grid
                .cell_of(l.x[i] as f64, l.y[i] as f64)
                .expect("grid covers every event");
            t.time.push(l.time[i]);
            t.x.push(l.x[i]);
            t.y.push(l.y[i]);
            t.energy.push(l.energy[i]);
            t.cell.push((iy * t.grid.nx + ix) as u32);
            t.cam.push(c as u8);
            t.ccd.push(l.ccd[i]);
            pos[c] += 1;
            heads[c] = head(c, pos[c]);
        }
        // camera share: events per second of (mean CCD) GTI
        let share: Vec<f64> = t
            .cameras
            .iter()
            .map(|c| {
                let exp = c.gti.iter().map(|(_, g)| g.exposure()).sum::<f64>()
                    / c.gti.len().max(1) as f64;
                if exp > 0.0 {
                    c.n_events as f64 / exp
                } else {
                    0.0
                }
            })
            .collect();
        t.coverage = Coverage::build(&t.cell, &t.cam, &t.ccd, t.grid.n_cells(), &share);
        t.high_energy = (0..t.len() as u32)
            .filter(|&i| (10_000.0..=12_000.0).contains(&t.energy[i as usize]))
            .collect();
        Ok(t)
    }

    pub fn len(&self) -> usize {
        self.time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Earliest GTI start and latest GTI stop over all cameras and CCDs.
    pub fn span(&self) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for c in &self.cameras {
            for (_, g) in &c.gti {
                if let Some((a, b)) = g.span() {
                    lo = lo.min(a);
                    hi = hi.max(b);
                }
            }
        }
        if !lo.is_finite() {
            lo = *self.time.first().unwrap_or(&0.0);
            hi = *self.time.last().unwrap_or(&0.0);
        }
        (lo, hi)
    }
}

/// The frames of one run.
#[derive(Debug, Clone, Copy)]
pub struct Frames {
    pub t0: f64,
    pub tbin: f64,
    pub n: usize,
}

impl Frames {
    pub fn new(span: (f64, f64), tbin: f64) -> Frames {
        let n = (((span.1 - span.0) / tbin).ceil() as usize).max(1);
        Frames {
            t0: span.0,
            tbin,
            n,
        }
    }

    #[inline]
    pub fn of(&self, t: f64) -> Option<usize> {
        let k = ((t - self.t0) / self.tbin).floor();
        (k >= 0.0 && (k as usize) < self.n).then_some(k as usize)
    }

    pub fn start(&self, k: usize) -> f64 {
        self.t0 + k as f64 * self.tbin
    }
}

/// Live time of every camera's CCDs per frame, as a fraction of `t_bin`.
#[derive(Debug, Clone)]
pub struct LiveTime {
    /// (camera index, ccd) → live fraction per frame.
    pub ccd_live: Vec<((u8, u8), Vec<f32>)>,
    /// Frames in which every CCD of every camera is fully live.
    pub nominal: Vec<bool>,
    /// Mean live fraction per camera and frame (for HE rates).
    pub camera_live: Vec<Vec<f32>>,
    /// Dead fraction (1 − live) of every row of `ccd_live`, and per frame the rows that are
    /// partly dead (empty in nominal frames).
    pub dead: std::sync::Arc<Vec<Vec<f32>>>,
    pub dead_rows: std::sync::Arc<Vec<Vec<u16>>>,
}

impl LiveTime {
    pub fn new(ev: &EventTable, frames: &Frames) -> LiveTime {
        let mut ccd_live = Vec::new();
        let mut nominal = vec![true; frames.n];
        let mut camera_live = vec![vec![0f32; frames.n]; ev.cameras.len()];
        for (ci, cam) in ev.cameras.iter().enumerate() {
            let nccd = cam.gti.len().max(1) as f32;
            for (ccd, g) in &cam.gti {
                // sweep the intervals over the frames: O(frames + intervals)
                let mut v = vec![0f32; frames.n];
                for &(a, b) in g.intervals() {
                    let k0 = (((a - frames.t0) / frames.tbin).floor().max(0.0)) as usize;
                    let mut k = k0;
                    while k < frames.n && frames.start(k) < b {
                        let (fa, fb) = (frames.start(k), frames.start(k + 1));
                        let o = (b.min(fb) - a.max(fa)).max(0.0);
                        v[k] = (v[k] as f64 + o / frames.tbin).clamp(0.0, 1.0) as f32;
                        k += 1;
                    }
                }
                for (k, &f) in v.iter().enumerate() {
                    if f < 0.999_999 {
                        nominal[k] = false;
                    }
                    camera_live[ci][k] += f / nccd;
                }
                ccd_live.push(((ci as u8, *ccd), v));
            }
        }
        let dead: Vec<Vec<f32>> = ccd_live
            .iter()
            .map(|(_, v)| v.iter().map(|&l| 1.0 - l).collect())
            .collect();
        let dead_rows: Vec<Vec<u16>> = (0..frames.n)
            .map(|k| {
                if nominal[k] {
                    Vec::new()
                } else {
                    (0..dead.len())
                        .filter(|&r| dead[r][k] > 0.0)
                        .map(|r| r as u16)
                        .collect()
                }
            })
            .collect();
        LiveTime {
            ccd_live,
            nominal,
            camera_live,
            dead: std::sync::Arc::new(dead),
            dead_rows: std::sync::Arc::new(dead_rows),
        }
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
