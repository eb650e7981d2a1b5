//! One observation's events, merged over cameras, time-sorted and placed on one sky grid.
//!
//! The "data cube" of paper §2.3 is never materialised: the counts of a (cell, frame) are runs of
//! the time-sorted event list, and frames are made per t_bin by [`crate::grid::Frames`]. An
//! [`Observation`] is built by [`Observation::new`] from [`Exposure`]s that share one sky frame
//! and have an instrument description; its invariants (time order, every event inside the grid,
//! cells consistent with the grid) hold because nothing outside this module can change it.

use crate::coverage::CcdCoverage;
use crate::error::CoreError;
use crate::exposure::Exposure;
use crate::grid::SkyGrid;
use crate::gti::Gti;
use crate::instrument::{BtiRule, Instrument};

/// Largest number of sky cells of one observation (a 15′ EPIC field has ~10⁴ cells of 20″).
pub const MAX_CELLS: usize = 4_000_000;

/// Per-camera facts the pipeline needs.
#[derive(Debug, Clone)]
pub struct CameraInfo {
    /// The instrument description.
    pub instrument: Instrument,
    /// Short label (PN, M1, M2).
    pub label: String,
    /// GTI per CCD.
    pub gti: Vec<(u8, Gti)>,
    /// Screened events of the camera.
    pub n_events: usize,
}

/// One event to add to an observation (see [`Observation::with_events`]).
#[derive(Debug, Clone, Copy)]
pub struct NewEvent {
    /// Time (s).
    pub time: f64,
    /// Sky X.
    pub x: f32,
    /// Sky Y.
    pub y: f32,
    /// Energy (eV).
    pub energy: f32,
    /// Camera index into [`Observation::cameras`].
    pub cam: u8,
    /// CCD.
    pub ccd: u8,
}

/// All events of one observation, merged over cameras and sorted by time, with their cell.
#[derive(Debug, Clone)]
pub struct Observation {
    time: Vec<f64>,
    x: Vec<f32>,
    y: Vec<f32>,
    energy: Vec<f32>,
    cell: Vec<u32>,
    cam: Vec<u8>,
    ccd: Vec<u8>,
    cameras: Vec<CameraInfo>,
    grid: SkyGrid,
    coverage: CcdCoverage,
    bti_rule: Option<BtiRule>,
    bti_events: Vec<u32>,
}

impl Observation {
    /// The full band of the observation's instrument (EPIC 0.2–12 keV, ACIS 0.5–7 keV …), for
    /// images.
    pub fn full_band(&self) -> crate::band::Band {
        self.cameras
            .first()
            .map(|c| c.instrument.description().full_band())
            .unwrap_or(crate::band::Band {
                lo_ev: 200.0,
                hi_ev: 12_000.0,
            })
    }

    /// Merge the exposures of one observation onto one grid of `cell_arcsec` cells. All must
    /// share the sky frame (same WCS reference), as EPIC cameras of one observation do, and have
    /// an instrument description.
    pub fn new(lists: &[Exposure], cell_arcsec: f64) -> Result<Observation, CoreError> {
        if lists.is_empty() {
            return Err(CoreError::input("-", "no event list"));
        }
        let instruments = lists
            .iter()
            .map(|l| l.instrument())
            .collect::<Result<Vec<_>, _>>()?;
        check_one_observation(lists)?;
        let wcs = common_sky_frame(lists)?;
        if !(cell_arcsec > 0.0 && cell_arcsec.is_finite()) {
            return Err(CoreError::input(
                "-",
                format!("cell size {cell_arcsec}″ must be > 0"),
            ));
        }
        let grid = grid_over(lists, wcs, cell_arcsec)?;
        let cameras: Vec<CameraInfo> = lists
            .iter()
            .zip(&instruments)
            .map(|(l, &instrument)| CameraInfo {
                instrument,
                label: instrument.label().to_string(),
                gti: l.gti().iter().map(|(k, g)| (*k, g.clone())).collect(),
                n_events: l.len(),
            })
            .collect();
        let mut obs = Observation::without_events(
            cameras,
            grid,
            CcdCoverage::default(),
            instruments[0].bti_rule(),
        );
        obs.merge(lists);
        obs.coverage = CcdCoverage::build(
            &obs.cell,
            &obs.cam,
            &obs.ccd,
            obs.grid.n_cells(),
            &camera_shares(&obs.cameras),
        );
        obs.bti_events = obs.events_in_bti_band();
        tracing::debug!(
            events = obs.len(),
            cameras = obs.cameras.len(),
            nx = obs.grid.nx,
            ny = obs.grid.ny,
            "observation merged onto the sky grid"
        );
        Ok(obs)
    }

    fn without_events(
        cameras: Vec<CameraInfo>,
        grid: SkyGrid,
        coverage: CcdCoverage,
        bti_rule: Option<BtiRule>,
    ) -> Observation {
        Observation {
            time: vec![],
            x: vec![],
            y: vec![],
            energy: vec![],
            cell: vec![],
            cam: vec![],
            ccd: vec![],
            cameras,
            grid,
            coverage,
            bti_rule,
            bti_events: vec![],
        }
    }

    /// k-way merge of the time-sorted exposures (ties by camera order).
    fn merge(&mut self, lists: &[Exposure]) {
        let total: usize = lists.iter().map(|l| l.len()).sum();
        self.reserve(total);
        let mut pos = vec![0usize; lists.len()];
        let head = |c: usize, p: usize| lists[c].time().get(p).copied().unwrap_or(f64::INFINITY);
        let mut heads: Vec<f64> = (0..lists.len()).map(|c| head(c, 0)).collect();
        for _ in 0..total {
            let mut c = 0;
            for k in 1..heads.len() {
                if heads[k] < heads[c] {
                    c = k;
                }
            }
            let (l, i) = (&lists[c], pos[c]);
            self.push(
                l.time()[i],
                l.x()[i],
                l.y()[i],
                l.energy()[i],
                c as u8,
                l.ccd()[i],
            );
            pos[c] += 1;
            heads[c] = head(c, pos[c]);
        }
    }

    fn reserve(&mut self, n: usize) {
        self.time.reserve(n);
        self.x.reserve(n);
        self.y.reserve(n);
        self.energy.reserve(n);
        self.cell.reserve(n);
        self.cam.reserve(n);
        self.ccd.reserve(n);
    }

    /// Append one event (its position must be inside the grid: checked by the grid's bounds).
    fn push(&mut self, time: f64, x: f32, y: f32, energy: f32, cam: u8, ccd: u8) {
        let (ix, iy) = self
            .grid
            .cell_of(x as f64, y as f64)
            .expect("the grid is built over every event");
        self.time.push(time);
        self.x.push(x);
        self.y.push(y);
        self.energy.push(energy);
        self.cell.push((iy * self.grid.nx + ix) as u32);
        self.cam.push(cam);
        self.ccd.push(ccd);
    }

    /// Indices of the events in the BTI band of the instruments.
    fn events_in_bti_band(&self) -> Vec<u32> {
        let Some(rule) = self.bti_rule else {
            return vec![];
        };
        let (lo, hi) = rule.band_ev;
        (0..self.len() as u32)
            .filter(|&i| (lo as f32..=hi as f32).contains(&self.energy[i as usize]))
            .collect()
    }

    /// A copy with `extra` events added (time order kept; grid, cameras and coverage unchanged).
    /// Events outside the grid or with an unknown camera are dropped; the number kept is returned.
    /// For injection benchmarks.
    pub fn with_events(&self, mut extra: Vec<NewEvent>) -> (Observation, usize) {
        extra.retain(|e| {
            (e.cam as usize) < self.cameras.len()
                && self.grid.cell_of(e.x as f64, e.y as f64).is_some()
        });
        extra.sort_by(|a, b| a.time.total_cmp(&b.time));
        let mut out = Observation::without_events(
            self.cameras.clone(),
            self.grid.clone(),
            self.coverage.clone(),
            self.bti_rule,
        );
        out.reserve(self.len() + extra.len());
        let (mut i, mut j) = (0, 0);
        while i < self.len() || j < extra.len() {
            if j >= extra.len() || (i < self.len() && self.time[i] <= extra[j].time) {
                out.time.push(self.time[i]);
                out.x.push(self.x[i]);
                out.y.push(self.y[i]);
                out.energy.push(self.energy[i]);
                out.cell.push(self.cell[i]);
                out.cam.push(self.cam[i]);
                out.ccd.push(self.ccd[i]);
                i += 1;
            } else {
                let e = extra[j];
                out.push(e.time, e.x, e.y, e.energy, e.cam, e.ccd);
                j += 1;
            }
        }
        out.bti_events = out.events_in_bti_band();
        let kept = extra.len();
        (out, kept)
    }

    /// Event times (s), sorted.
    pub fn time(&self) -> &[f64] {
        &self.time
    }
    /// Sky X of each event.
    pub fn x(&self) -> &[f32] {
        &self.x
    }
    /// Sky Y of each event.
    pub fn y(&self) -> &[f32] {
        &self.y
    }
    /// Energy (eV) of each event.
    pub fn energy(&self) -> &[f32] {
        &self.energy
    }
    /// Cell of each event (`iy · nx + ix`).
    pub fn cell(&self) -> &[u32] {
        &self.cell
    }
    /// Camera index of each event into [`Observation::cameras`].
    pub fn cam(&self) -> &[u8] {
        &self.cam
    }
    /// CCD of each event.
    pub fn ccd(&self) -> &[u8] {
        &self.ccd
    }
    /// The cameras, in input order.
    pub fn cameras(&self) -> &[CameraInfo] {
        &self.cameras
    }
    /// The sky grid.
    pub fn grid(&self) -> &SkyGrid {
        &self.grid
    }
    /// Which CCDs see each cell.
    pub fn coverage(&self) -> &CcdCoverage {
        &self.coverage
    }
    /// The BTI rule of the instruments (None: no flare screening).
    pub fn bti_rule(&self) -> Option<BtiRule> {
        self.bti_rule
    }
    /// Indices of the events in the BTI band (EPIC: 10 ≤ E ≤ 12 keV).
    pub fn bti_events(&self) -> &[u32] {
        &self.bti_events
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// No events?
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

/// Longest gap allowed between the GTI spans of two exposures of one observation (s): an XMM
/// revolution is 2 days; exposures further apart are different observations.
pub const MAX_EXPOSURE_GAP_S: f64 = 172_800.0;

/// The exposures must be one observation: not the same file or exposure twice, one list per
/// camera, one OBS_ID, and time spans within [`MAX_EXPOSURE_GAP_S`] of each other.
fn check_one_observation(lists: &[Exposure]) -> Result<(), CoreError> {
    for (i, b) in lists.iter().enumerate() {
        for a in &lists[..i] {
            let (ha, hb) = (a.header(), b.header());
            // paths as given (the caller resolves links: no file system access here)
            let same_file = a.path() == b.path();
            if same_file
                || (ha.exp_id.is_some() && ha.exp_id == hb.exp_id && ha.instrument == hb.instrument)
            {
                return Err(CoreError::input(
                    b.path().display(),
                    format!("the same exposure as {} (given twice)", a.path().display()),
                ));
            }
            if ha.instrument == hb.instrument {
                return Err(CoreError::input(b.path().display(), format!(
                    "a second {} list (the first is {}): an observation is searched with one list per camera; search the other exposure separately",
                    hb.instrument, a.path().display()
                )));
            }
            if let (Some(oa), Some(ob)) = (&ha.obs_id, &hb.obs_id) {
                if oa != ob {
                    return Err(CoreError::input(b.path().display(), format!("OBS_ID {ob} differs from {}'s {oa}: lists of different observations cannot be searched together", a.path().display())));
                }
            }
            if let (Some((a0, a1)), Some((b0, b1))) = (a.time_span(), b.time_span()) {
                let gap = (b0 - a1).max(a0 - b1);
                if gap > MAX_EXPOSURE_GAP_S {
                    return Err(CoreError::input(b.path().display(), format!(
                        "its GTIs start {:.1} days away from {}'s: different observations cannot be searched together (limit {} days)",
                        gap / 86_400.0, a.path().display(), MAX_EXPOSURE_GAP_S / 86_400.0
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The sky frame shared by every exposure, or which one differs.
fn common_sky_frame(lists: &[Exposure]) -> Result<crate::wcs::SkyWcs, CoreError> {
    let first = &lists[0];
    let no_sky = |l: &Exposure, e: &dyn std::fmt::Display| {
        CoreError::input(
            l.path().display(),
            format!("cannot place events on the sky: {e}"),
        )
    };
    let wcs = first.wcs().clone().map_err(|e| no_sky(first, &e))?;
    for l in &lists[1..] {
        let w = l.wcs().as_ref().map_err(|e| no_sky(l, e))?;
        let (a, b) = (w.params(), wcs.params());
        let same = (a.crval[0] - b.crval[0]).abs() < 1e-9
            && (a.crval[1] - b.crval[1]).abs() < 1e-9
            && (a.crpix[0] - b.crpix[0]).abs() < 1e-6
            && (a.cdelt[0] - b.cdelt[0]).abs() < 1e-12;
        if !same {
            return Err(CoreError::input(
                l.path().display(),
                format!(
                    "its sky frame (RA {} Dec {} at pixel {}) differs from {}'s: the cameras of one run must come from one observation",
                    a.crval[0], a.crval[1], a.crpix[0], first.path().display()
                ),
            ));
        }
    }
    Ok(wcs)
}

/// Where cell edges are anchored: half a pixel off the integer pixel nearest below the reference
/// pixel. Sky X/Y of XMM lists are integers; with edges on half-integers (20″ = 400 pixels of
/// 0.05″ exactly), no event lies on an edge, so the last digit of TCDLT cannot move an event from
/// one cell to the next (an edge on the integer lattice did, for 0.45 % of the real MOS events).
pub fn grid_anchor(crpix: [f64; 2]) -> [f64; 2] {
    [crpix[0].floor() + 0.5, crpix[1].floor() + 0.5]
}

/// The grid of `cell_arcsec` cells anchored at [`grid_anchor`], covering every event.
fn grid_over(
    lists: &[Exposure],
    wcs: crate::wcs::SkyWcs,
    cell_arcsec: f64,
) -> Result<SkyGrid, CoreError> {
    let cell_px = cell_arcsec / wcs.pixel_arcsec();
    let (mut xmin, mut xmax, mut ymin, mut ymax) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for l in lists {
        for (&x, &y) in l.x().iter().zip(l.y()) {
            xmin = xmin.min(x as f64);
            xmax = xmax.max(x as f64);
            ymin = ymin.min(y as f64);
            ymax = ymax.max(y as f64);
        }
    }
    let name = lists[0].path().display();
    if !xmin.is_finite() {
        return Err(CoreError::input(name, "no event left after screening"));
    }
    let [ax, ay] = grid_anchor(wcs.params().crpix);
    let kx0 = ((xmin - ax) / cell_px).floor();
    let ky0 = ((ymin - ay) / cell_px).floor();
    let x0 = ax + kx0 * cell_px;
    let y0 = ay + ky0 * cell_px;
    // sizes in floating point first: a stray coordinate or a tiny cell must not overflow
    let (fx, fy) = (
        ((xmax - x0) / cell_px).floor() + 1.0,
        ((ymax - y0) / cell_px).floor() + 1.0,
    );
    if !(fx * fy <= MAX_CELLS as f64) {
        return Err(CoreError::input(
            name,
            format!(
                "events span {fx:.3e} × {fy:.3e} cells of {cell_arcsec}″ (sky X {xmin}–{xmax}, Y {ymin}–{ymax}): more than the limit of {MAX_CELLS} cells for one observation (stray coordinates, or a cell size too small?)"
            ),
        ));
    }
    let (nx, ny) = (fx as usize, fy as usize);
    Ok(SkyGrid {
        cell_px,
        cell_arcsec,
        x0,
        y0,
        nx,
        ny,
        wcs,
    })
}

/// Each camera's share of the count rate: events per second of (mean CCD) GTI.
fn camera_shares(cameras: &[CameraInfo]) -> Vec<f64> {
    cameras
        .iter()
        .map(|c| {
            let exp =
                c.gti.iter().map(|(_, g)| g.exposure()).sum::<f64>() / c.gti.len().max(1) as f64;
            if exp > 0.0 {
                c.n_events as f64 / exp
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposure::{ExposureHeader, ExposureParts};
    use crate::instrument::Mission;
    use crate::wcs::{Projection, SkyWcs, WcsParams};

    fn exposure(x: &[f32], cdelt: f64) -> Exposure {
        let n = x.len();
        let mut gti = std::collections::BTreeMap::new();
        gti.insert(1, Gti::single(0.0, 100.0));
        Exposure::new(ExposureParts {
            wcs: SkyWcs::new(WcsParams {
                projection: Projection::Tan,
                crval: [150.0, 2.0],
                crpix: [25921.0, 25921.0],
                cdelt: [-cdelt, cdelt],
            })
            .map_err(|e| crate::wcs::WcsError(e.0)),
            time: (0..n).map(|i| i as f64).collect(),
            x: x.to_vec(),
            y: x.to_vec(),
            energy: vec![1000.0; n],
            ccd: vec![1; n],
            gti,
            ..ExposureParts::empty("m1.fits", ExposureHeader::new(Mission::Xmm, "XMM", "EMOS1"))
        })
        .unwrap()
    }

    /// Integer sky pixels that sat exactly on the old edges (CRPIX + k·400) keep their cell when
    /// TCDLT loses its last digit (as when astropy rewrites a header with 13 instead of 14
    /// digits), and no integer pixel is within 0.4 px of an edge.
    #[test]
    fn cell_edges_never_fall_on_integer_pixels() {
        let x: Vec<f32> = (-5..=5)
            .flat_map(|k| [-1.0f32, 0.0, 1.0].map(|d| 25921.0 + 400.0 * k as f32 + d))
            .collect();
        // 0.05″ in degrees is 1.3888…e-05: the last written digit rounds it up in one header and
        // down in another, so the cell size is 400 px ± 1e-9 either way
        let exact = 1.38888888888889e-05;
        let short = 1.38888888888888e-05;
        let a = Observation::new(&[exposure(&x, exact)], 20.0).unwrap();
        let b = Observation::new(&[exposure(&x, short)], 20.0).unwrap();
        assert_eq!(a.cell(), b.cell());
        let g = a.grid();
        for &xi in &x {
            let f = (xi as f64 - g.x0) / g.cell_px;
            let frac = f - f.floor();
            assert!(
                frac > 0.4 / 400.0 && frac < 1.0 - 0.4 / 400.0,
                "{xi} at {frac}"
            );
        }
    }
}

#[cfg(test)]
mod checks {
    use super::*;
    use crate::exposure::{ExposureHeader, ExposureParts};
    use crate::instrument::Mission;
    use crate::wcs::{Projection, SkyWcs, WcsParams};

    fn exp(path: &str, instrume: &str, obs: &str, t0: f64, x: Vec<f32>) -> Exposure {
        let n = x.len();
        let mut gti = std::collections::BTreeMap::new();
        gti.insert(1, Gti::single(t0, t0 + 1000.0));
        let mut h = ExposureHeader::new(Mission::Xmm, "XMM", instrume);
        h.obs_id = Some(obs.into());
        Exposure::new(ExposureParts {
            wcs: Ok(SkyWcs::new(WcsParams {
                projection: Projection::Tan,
                crval: [150.0, 2.0],
                crpix: [25921.0, 25921.0],
                cdelt: [-1.0 / 72000.0, 1.0 / 72000.0],
            })
            .unwrap()),
            time: (0..n).map(|i| t0 + i as f64).collect(),
            y: x.clone(),
            x,
            energy: vec![1000.0; n],
            ccd: vec![1; n],
            gti,
            ..ExposureParts::empty(path, h)
        })
        .unwrap()
    }

    fn err(lists: &[Exposure], cell: f64) -> String {
        Observation::new(lists, cell).unwrap_err().to_string()
    }

    #[test]
    fn exposures_of_one_observation_only() {
        let x = vec![25000.0f32, 26000.0];
        let m1 = exp("m1.fits", "EMOS1", "0123", 0.0, x.clone());
        let m2 = exp("m2.fits", "EMOS2", "0123", 0.0, x.clone());
        assert!(Observation::new(&[m1.clone(), m2.clone()], 20.0).is_ok());
        let e = err(&[m1.clone(), m1.clone()], 20.0);
        assert!(e.contains("given twice"), "{e}");
        let e = err(
            &[m1.clone(), exp("m1b.fits", "EMOS1", "0123", 0.0, x.clone())],
            20.0,
        );
        assert!(e.contains("m1b.fits") && e.contains("second EMOS1"), "{e}");
        let e = err(
            &[m1.clone(), exp("m2.fits", "EMOS2", "0999", 0.0, x.clone())],
            20.0,
        );
        assert!(e.contains("OBS_ID 0999"), "{e}");
        // 35 days apart
        let e = err(
            &[m1, exp("m2.fits", "EMOS2", "0123", 35.0 * 86_400.0, x)],
            20.0,
        );
        assert!(e.contains("35.0 days"), "{e}");
    }

    #[test]
    fn stray_coordinates_and_tiny_cells_are_refused_not_a_panic() {
        let m1 = exp("m1.fits", "EMOS1", "0123", 0.0, vec![25000.0, 1.0e30]);
        let e = err(&[m1], 20.0);
        assert!(
            e.contains("m1.fits") && e.contains("limit of 4000000 cells"),
            "{e}"
        );
        let m1 = exp("m1.fits", "EMOS1", "0123", 0.0, vec![25000.0, 26000.0]);
        let e = err(&[m1], 1e-300);
        assert!(e.contains("cell size too small"), "{e}");
    }

    #[test]
    fn too_many_frames_is_refused_with_the_limit() {
        let m1 = exp("m1.fits", "EMOS1", "0123", 0.0, vec![25000.0, 26000.0]);
        let ev = Observation::new(&[m1], 20.0).unwrap();
        for (tbins, want) in [
            (vec![1e-6], "limit of 2000000"),
            (vec![1e-300], "limit of 2000000"),
            (vec![5.0, 5.0], "given twice"),
            (vec![-1.0], "positive"),
        ] {
            let p = crate::search::DetectParams {
                tbins,
                ..Default::default()
            };
            let e = crate::search::search(&ev, None, &p, "t")
                .err()
                .expect("refused")
                .to_string();
            assert!(e.contains(want), "{e}");
        }
    }
}
