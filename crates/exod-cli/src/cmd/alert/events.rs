//! The short-term transients of a new observation: its EXOD detections at or above the alert σ,
//! grouped into events — one transient is usually found in several band × t_bin runs, so
//! detections within 20″ (the cell size) of the most significant one whose flagged times overlap
//! it (within one t_bin) are the same event. The most significant detection names the event.

use exod_core::catalog::CatDetection;
use exod_core::wcs::separation_arcsec;

/// Distance (arcsec) within which two detections can be one event (one EXOD cell).
pub const SAME_EVENT_ARCSEC: f64 = 20.0;

/// One short-term transient.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its most significant detection.
    pub best: CatDetection,
    /// The DETIDs of every detection of the event.
    pub detids: Vec<String>,
}

fn overlaps(a: &CatDetection, b: &CatDetection) -> bool {
    let slack = a.tbin.max(b.tbin);
    a.t_start <= b.t_stop + slack && b.t_start <= a.t_stop + slack
}

/// The events of `dets` with σ ≥ `sigma`, most significant first (ties by DETID).
pub fn group(dets: &[CatDetection], sigma: f64) -> Vec<Event> {
    let mut kept: Vec<&CatDetection> = dets.iter().filter(|d| d.sigma >= sigma).collect();
    kept.sort_by(|a, b| b.sigma.total_cmp(&a.sigma).then(a.detid.cmp(&b.detid)));
    let mut events: Vec<Event> = Vec::new();
    for d in kept {
        let same = events.iter_mut().find(|e| {
            separation_arcsec(e.best.ra, e.best.dec, d.ra, d.dec) <= SAME_EVENT_ARCSEC
                && e.best.kind == d.kind
                && overlaps(&e.best, d)
        });
        match same {
            Some(e) => e.detids.push(d.detid.clone()),
            None => events.push(Event {
                best: d.clone(),
                detids: vec![d.detid.clone()],
            }),
        }
    }
    events
}
