//! Synthetic bursts injected into a REAL event list (`exod inject`): the test of a search on a
//! mission's own data, where the truth is known and everything else (background, sources,
//! chips, GTIs, energies, grades) is real.
//!
//! A burst `RA:DEC:COUNTS:T0:DURATION` gives `Poisson(COUNTS)` events (COUNTS is the expected
//! number, as the amplitude of the paper's §2.6 injections):
//!
//! * **times** uniform over the part of [T0, T0 + DURATION] inside the file's GTIs (the union of
//!   its `GTI`/`STDGTI…` extensions; a burst that misses them is an error). A file without any
//!   GTI extension (the partial eROSITA list of `testdata/real`, which lost them) needs
//!   `gti_from_events`: a GTI equal to the span of its events is then written into the output
//!   (without it, readers fall back to TSTART–TSTOP: 50 ks for 634 s of events);
//! * **positions** from a King profile `(1 + r²/r_c²)^-1.5` (the index of the simulator's EPIC
//!   PSF, [`crate::simulate::king_offset`]) scaled so that its half-power diameter is the
//!   instrument description's HPD at the burst's off-axis angle
//!   (`exod_core::instrument::Description::psf`, r_c = HPD / (2√3)), truncated at 20 HPD; the
//!   off-axis angle is measured from RA_PNT/DEC_PNT, or from the WCS reference point when the
//!   pointing is missing or not a sky position (NuSTAR writes −100). Offsets are drawn on the
//!   sky pixels (isotropic, so the sign convention of X does not matter) and the file's own WCS
//!   (TAN or SIN, `exod_core::wcs`) gives RA/DEC, written too when the table has RA/DEC columns;
//! * **every other column** from a real event of the file drawn at random (energy, PI, grade,
//!   PAT_TYP, FLAG, STATUS …: the burst has the spectrum of the file's events), except the chip
//!   column of the description (CCD_ID, TM_NR, DET_ID), taken from the real event nearest to
//!   the injected one on the sky. eROSITA's FRAMETIME/RECORDTIME stay the donor's.
//!
//! A burst must lie inside the field: some real event must be within `max(4 cells, 2 ×
//! the mean event spacing)` of it (the spacing √(area of the events' bounding box / N); for the
//! 945 s Chandra clip ~12″, for the 634 s eROSITA list ~200″). Burst k draws from its own
//! ChaCha8 stream (seed, k), so adding a burst changes none of the others.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

use exod_core::gti::Gti;
use exod_core::instrument::{Description, Instrument};
use exod_core::wcs::{separation_arcsec, SkyWcs};

use crate::mission::KingPsf;
use exod_io::ecsv::{self, Column, Value};
use exod_io::event_append::{self, EventColumns, GtiExtension, NewEvent, NewEvents};
use exod_io::IoError;

/// Largest expected count of one burst (memory guard, as the simulator's).
pub const MAX_BURST_COUNTS: f64 = 1e7;

/// Why an injection failed.
#[derive(Debug, thiserror::Error)]
pub enum InjectError {
    /// Reading or writing a file (boxed: IoError is large).
    #[error(transparent)]
    Io(Box<IoError>),
    /// A burst that cannot be injected into this file.
    #[error("{path}: burst {index} ({spec}): {what}")]
    Burst {
        /// The input file.
        path: PathBuf,
        /// 1-based number of the burst.
        index: usize,
        /// The burst as given.
        spec: String,
        /// What is wrong and what was expected.
        what: String,
    },
    /// An unparsable `--burst`.
    #[error("--burst {spec:?}: {what}")]
    Spec {
        /// The text given.
        spec: String,
        /// What is wrong.
        what: String,
    },
}

impl From<IoError> for InjectError {
    fn from(e: IoError) -> InjectError {
        InjectError::Io(Box::new(e))
    }
}

/// One burst to inject.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    /// Right ascension (deg).
    pub ra: f64,
    /// Declination (deg).
    pub dec: f64,
    /// Expected number of events (Poisson mean).
    pub counts: f64,
    /// Start (s, the file's mission time).
    pub t0: f64,
    /// Duration (s).
    pub duration: f64,
}

impl std::fmt::Display for Burst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}:{}",
            self.ra, self.dec, self.counts, self.t0, self.duration
        )
    }
}

impl FromStr for Burst {
    type Err = InjectError;

    /// `RA:DEC:COUNTS:T0:DURATION`, RA/Dec in degrees, times in s.
    fn from_str(s: &str) -> Result<Burst, InjectError> {
        let bad = |what: String| InjectError::Spec {
            spec: s.into(),
            what,
        };
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 5 {
            return Err(bad(format!(
                "{} fields: expected RA:DEC:COUNTS:T0:DURATION (degrees, degrees, expected counts, mission s, s)",
                parts.len()
            )));
        }
        let names = ["RA", "DEC", "COUNTS", "T0", "DURATION"];
        let mut v = [0.0; 5];
        for (i, p) in parts.iter().enumerate() {
            v[i] = p
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad(format!("{} = {p:?} is not a number", names[i])))?;
        }
        let b = Burst {
            ra: v[0],
            dec: v[1],
            counts: v[2],
            t0: v[3],
            duration: v[4],
        };
        if !(0.0..360.0).contains(&b.ra) || b.dec.abs() > 90.0 {
            return Err(bad(format!(
                "RA {} / DEC {}: expected degrees in [0, 360) and [-90, 90]",
                b.ra, b.dec
            )));
        }
        if !(b.counts > 0.0 && b.counts <= MAX_BURST_COUNTS) {
            return Err(bad(format!(
                "COUNTS = {}: expected 0 < COUNTS ≤ {MAX_BURST_COUNTS:e}",
                b.counts
            )));
        }
        if b.duration <= 0.0 {
            return Err(bad(format!(
                "DURATION = {}: expected a positive number of seconds",
                b.duration
            )));
        }
        Ok(b)
    }
}

/// What to inject.
#[derive(Debug, Clone, Default)]
pub struct InjectConfig {
    /// The bursts.
    pub bursts: Vec<Burst>,
    /// Seed of the draws (default 1 in the CLI).
    pub seed: u64,
    /// Write a GTI extension equal to the span of the events (for a file that has none).
    pub gti_from_events: bool,
}

/// The truth of one injected burst.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BurstTruth {
    /// 1-based number (order of the bursts given).
    pub index: usize,
    /// The burst as given.
    pub burst: String,
    /// Position (deg).
    pub ra: f64,
    /// Position (deg).
    pub dec: f64,
    /// Sky pixel of the position (the file's X/Y, 1-based FITS convention).
    pub x: f64,
    /// Sky pixel Y.
    pub y: f64,
    /// Off-axis angle (arcmin) from the pointing.
    pub offaxis_arcmin: f64,
    /// HPD of the drawn PSF (arcsec).
    pub hpd_arcsec: f64,
    /// Expected counts.
    pub counts_expected: f64,
    /// Counts drawn (rows appended).
    pub counts_drawn: usize,
    /// Start (s).
    pub t0: f64,
    /// Duration (s).
    pub duration: f64,
    /// Good time inside [t0, t0 + duration] (s).
    pub gti_overlap_s: f64,
    /// First drawn event time (s; NaN without events).
    pub t_first: f64,
    /// Last drawn event time (s; NaN without events).
    pub t_last: f64,
    /// Chip of the real event nearest to the burst position (NaN without a chip column).
    pub chip: f64,
}

/// What `inject` needs of the input list.
struct Input {
    path: PathBuf,
    cols: EventColumns,
    wcs: SkyWcs,
    pointing: (f64, f64),
    description: &'static Description,
    gti: Gti,
    field_radius_arcsec: f64,
}

fn read_input(path: &Path, gti_from_events: bool) -> Result<Input, InjectError> {
    let bad = |what: String| InjectError::from(IoError::invalid(path, what));
    let exposure = exod_io::events::read(path, &Default::default())?;
    let instrument: Instrument = exposure
        .instrument()
        .map_err(|e| bad(format!("{e}: the PSF of the bursts is unknown")))?;
    let description = instrument.description();
    let wcs = exposure.wcs().clone().map_err(|e| {
        bad(format!(
            "no usable sky WCS ({}): burst positions cannot be placed on the sky pixels",
            e.0
        ))
    })?;
    let h = exposure.header();
    let pointing = match (h.ra_pnt, h.dec_pnt) {
        (Some(r), Some(d)) if (0.0..=360.0).contains(&r) && d.abs() <= 90.0 => (r, d),
        _ => (wcs.params().crval[0], wcs.params().crval[1]),
    };
    let cols = {
        let _turn = crate::fits_turn();
        event_append::read_event_columns(path, description.chip_column)?
    };
    if cols.rows == 0 {
        return Err(bad(
            "the EVENTS table has no rows: there is no real event to copy".into(),
        ));
    }
    let gti = input_gti(path, &cols, gti_from_events)?;
    let field_radius_arcsec = field_radius(&cols, &wcs, description);
    Ok(Input {
        path: path.into(),
        cols,
        wcs,
        pointing,
        description,
        gti,
        field_radius_arcsec,
    })
}

/// The file's GTIs, or the span of its events with `gti_from_events` (module docs).
fn input_gti(path: &Path, cols: &EventColumns, from_events: bool) -> Result<Gti, InjectError> {
    let bad = |what: String| InjectError::from(IoError::invalid(path, what));
    match (from_events, cols.gti_extensions.is_empty()) {
        (true, true) => {
            let (t0, t1) = span(&cols.time);
            Gti::from_rows(&[t0], &[t1]).map_err(|e| bad(format!("the span of the events: {e}")))
        }
        (true, false) => Err(bad(format!(
            "--gti-from-events: the file has GTI extensions ({}): it is for lists that lost theirs",
            cols.gti_extensions.join(", ")
        ))),
        (false, true) => Err(bad(
            "no GTI extension: the good time is unknown (readers fall back to TSTART–TSTOP); give --gti-from-events to write a GTI equal to the span of the events".into(),
        )),
        (false, false) => Ok(exod_io::timing_in::read_event_times(path)?.gti),
    }
}

fn span(v: &[f64]) -> (f64, f64) {
    v.iter()
        .filter(|t| t.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| {
            (a.min(t), b.max(t))
        })
}

/// `max(4 cells, 2 × mean event spacing)` (arcsec, module docs).
fn field_radius(cols: &EventColumns, wcs: &SkyWcs, d: &Description) -> f64 {
    let (x0, x1) = span(&cols.x);
    let (y0, y1) = span(&cols.y);
    let pix = wcs.pixel_arcsec();
    let area = ((x1 - x0) * pix).max(pix) * ((y1 - y0) * pix).max(pix);
    let spacing = (area / cols.rows as f64).sqrt();
    (4.0 * d.default_cell_arcsec).max(2.0 * spacing)
}

/// Index of the real event nearest to sky pixel (x, y), and its distance (pixels).
fn nearest(cols: &EventColumns, x: f64, y: f64) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (i, (&ex, &ey)) in cols.x.iter().zip(&cols.y).enumerate() {
        let d2 = (ex - x).powi(2) + (ey - y).powi(2);
        if d2 < best.1 {
            best = (i, d2);
        }
    }
    (best.0, best.1.sqrt())
}

/// A time uniform over the intervals `parts` (total length `live`).
fn uniform_time(rng: &mut ChaCha8Rng, parts: &[(f64, f64)], live: f64) -> f64 {
    let mut u = rng.gen::<f64>() * live;
    for &(a, b) in parts {
        if u < b - a {
            return a + u;
        }
        u -= b - a;
    }
    parts.last().map_or(f64::NAN, |p| p.1)
}

/// The rows of one burst, with its truth.
fn draw_burst(
    inp: &Input,
    index: usize,
    b: &Burst,
    seed: u64,
    set: &SetColumns,
) -> Result<(Vec<NewEvent>, BurstTruth), InjectError> {
    let err = |what: String| InjectError::Burst {
        path: inp.path.clone(),
        index,
        spec: b.to_string(),
        what,
    };
    let (x0, y0) = inp
        .wcs
        .world_to_pix(b.ra, b.dec)
        .ok_or_else(|| err("on the far side of the file's sky projection".into()))?;
    let pix = inp.wcs.pixel_arcsec();
    let (near, dist) = nearest(&inp.cols, x0, y0);
    if dist * pix > inp.field_radius_arcsec {
        return Err(err(format!(
            "outside the field: the nearest real event is {:.1}″ away (a burst must have one within {:.1}″)",
            dist * pix,
            inp.field_radius_arcsec
        )));
    }
    let parts: Vec<(f64, f64)> = inp
        .gti
        .intervals()
        .iter()
        .map(|&(s, e)| (s.max(b.t0), e.min(b.t0 + b.duration)))
        .filter(|(s, e)| e > s)
        .collect();
    let live: f64 = parts.iter().map(|(s, e)| e - s).sum();
    if live <= 0.0 {
        let (g0, g1) = (inp.gti.intervals().first(), inp.gti.intervals().last());
        return Err(err(format!(
            "[{}, {}] s is outside the GTIs (good time from {} to {} s, {} intervals)",
            b.t0,
            b.t0 + b.duration,
            g0.map_or(f64::NAN, |g| g.0),
            g1.map_or(f64::NAN, |g| g.1),
            inp.gti.intervals().len()
        )));
    }
    let offaxis = separation_arcsec(b.ra, b.dec, inp.pointing.0, inp.pointing.1) / 60.0;
    let hpd = inp.description.psf.hpd_arcsec(offaxis);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index as u64);
    let n = Poisson::new(b.counts)
        .map_err(|e| err(e.to_string()))?
        .sample(&mut rng) as usize;
    let psf = KingPsf::for_hpd(hpd);
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        let t = uniform_time(&mut rng, &parts, live);
        let (dx, dy) = psf.offset(&mut rng);
        let (x, y) = (x0 + dx / pix, y0 + dy / pix);
        let donor = rng.gen_range(0..inp.cols.rows);
        rows.push(set.row(inp, donor, t, x, y));
    }
    let times: Vec<f64> = rows.iter().map(|r| r.values[0]).collect();
    let (t_first, t_last) = if n > 0 {
        span(&times)
    } else {
        (f64::NAN, f64::NAN)
    };
    let truth = BurstTruth {
        index,
        burst: b.to_string(),
        ra: b.ra,
        dec: b.dec,
        x: x0,
        y: y0,
        offaxis_arcmin: offaxis,
        hpd_arcsec: hpd,
        counts_expected: b.counts,
        counts_drawn: n,
        t0: b.t0,
        duration: b.duration,
        gti_overlap_s: live,
        t_first,
        t_last,
        chip: inp.cols.chip.as_ref().map_or(f64::NAN, |(_, c)| c[near]),
    };
    Ok((rows, truth))
}

/// The columns every appended row sets: TIME, X, Y, then RA/DEC and the chip when present.
struct SetColumns {
    names: Vec<String>,
    radec: bool,
    chip: bool,
}

impl SetColumns {
    fn of(cols: &EventColumns) -> SetColumns {
        let mut names: Vec<String> = ["TIME", "X", "Y"]
            .iter()
            .map(|n| cols.column(n).unwrap_or(n).to_string())
            .collect();
        if let Some((r, d)) = &cols.radec {
            names.push(r.clone());
            names.push(d.clone());
        }
        if let Some((c, _)) = &cols.chip {
            names.push(c.clone());
        }
        SetColumns {
            names,
            radec: cols.radec.is_some(),
            chip: cols.chip.is_some(),
        }
    }

    fn row(&self, inp: &Input, donor: usize, t: f64, x: f64, y: f64) -> NewEvent {
        let mut values = vec![t, x, y];
        if self.radec {
            let (ra, dec) = inp.wcs.pix_to_world(x, y).unwrap_or((f64::NAN, f64::NAN));
            values.extend([ra, dec]);
        }
        if let (true, Some((_, chips))) = (self.chip, &inp.cols.chip) {
            values.push(chips[nearest(&inp.cols, x, y).0]);
        }
        NewEvent { donor, values }
    }
}

/// Inject `cfg.bursts` into the event list `input`, writing `output` (module docs); the truth
/// of every burst.
pub fn inject(
    input: &Path,
    output: &Path,
    cfg: &InjectConfig,
) -> Result<Vec<BurstTruth>, InjectError> {
    if cfg.bursts.is_empty() && !cfg.gti_from_events {
        return Err(InjectError::Spec {
            spec: String::new(),
            what: "no burst given: expected at least one --burst RA:DEC:COUNTS:T0:DURATION (or --gti-from-events alone, to write only the GTI)".into(),
        });
    }
    let inp = read_input(input, cfg.gti_from_events)?;
    let set = SetColumns::of(&inp.cols);
    let mut new = NewEvents {
        columns: set.names.clone(),
        rows: vec![],
    };
    let mut truth = vec![];
    for (k, b) in cfg.bursts.iter().enumerate() {
        let (rows, t) = draw_burst(&inp, k + 1, b, cfg.seed, &set)?;
        tracing::info!(
            "burst {}: {} events (expected {}) at RA {:.5} Dec {:+.5}, {:.2}′ off axis, HPD {:.1}″",
            k + 1,
            t.counts_drawn,
            b.counts,
            b.ra,
            b.dec,
            t.offaxis_arcmin,
            t.hpd_arcsec
        );
        new.rows.extend(rows);
        truth.push(t);
    }
    let gti = cfg.gti_from_events.then(|| {
        let (s, e) = inp.gti.intervals()[0];
        GtiExtension {
            start: s,
            stop: e,
            comment: "GTI written by exod inject --gti-from-events: the span of the input's events (the list had no GTI extension; TSTART-TSTOP does not describe its events)".into(),
        }
    });
    let history = vec![format!(
        "exod inject: {} events of {} bursts appended (seed {}), every other column copied from a random real event; rows sorted by TIME",
        new.rows.len(),
        cfg.bursts.len(),
        cfg.seed
    )];
    {
        let _turn = crate::fits_turn();
        event_append::write_with_events(input, output, &new, gti.as_ref(), &history)?;
    }
    Ok(truth)
}

/// The columns of the truth table: name, ECSV datatype, unit, description.
const TRUTH_COLUMNS: [(&str, &str, Option<&str>, &str); 16] = [
    (
        "BURST",
        "int64",
        None,
        "1-based number of the burst, in the order given",
    ),
    (
        "SPEC",
        "string",
        None,
        "the burst as given: RA:DEC:COUNTS:T0:DURATION",
    ),
    ("RA", "float64", Some("deg"), "injected position"),
    ("DEC", "float64", Some("deg"), "injected position"),
    (
        "X",
        "float64",
        Some("pixel"),
        "sky X of the position in the file's WCS (1-based)",
    ),
    ("Y", "float64", Some("pixel"), "sky Y of the position"),
    (
        "OFFAXIS",
        "float64",
        Some("arcmin"),
        "off-axis angle from the pointing",
    ),
    (
        "HPD",
        "float64",
        Some("arcsec"),
        "half-power diameter of the drawn PSF",
    ),
    (
        "COUNTS_EXPECTED",
        "float64",
        Some("ct"),
        "Poisson mean of the burst",
    ),
    ("COUNTS", "int64", Some("ct"), "events drawn and appended"),
    (
        "T0",
        "float64",
        Some("s"),
        "start of the burst (mission time)",
    ),
    ("DURATION", "float64", Some("s"), "duration of the burst"),
    (
        "GTI_OVERLAP",
        "float64",
        Some("s"),
        "good time inside [T0, T0 + DURATION]",
    ),
    ("T_FIRST", "float64", Some("s"), "first drawn event time"),
    ("T_LAST", "float64", Some("s"), "last drawn event time"),
    (
        "CHIP",
        "float64",
        None,
        "chip of the nearest real event (NaN: no chip column)",
    ),
];

/// Write the truth table (ECSV) atomically; `meta` records how it was made.
pub fn write_truth(
    path: &Path,
    truth: &[BurstTruth],
    meta: &[(&str, String)],
) -> Result<(), InjectError> {
    let cols: Vec<Column> = TRUTH_COLUMNS
        .iter()
        .map(|&(name, datatype, unit, what)| Column::new(name, datatype, unit, what))
        .collect();
    let rows: Vec<Vec<Value>> = truth
        .iter()
        .map(|t| {
            vec![
                Value::I(t.index as i64),
                Value::S(t.burst.clone()),
                Value::F(t.ra),
                Value::F(t.dec),
                Value::F(t.x),
                Value::F(t.y),
                Value::F(t.offaxis_arcmin),
                Value::F(t.hpd_arcsec),
                Value::F(t.counts_expected),
                Value::I(t.counts_drawn as i64),
                Value::F(t.t0),
                Value::F(t.duration),
                Value::F(t.gti_overlap_s),
                Value::F(t.t_first),
                Value::F(t.t_last),
                Value::F(t.chip),
            ]
        })
        .collect();
    ecsv::write(path, &cols, &rows, meta).map_err(|error| {
        InjectError::from(IoError::Io {
            path: path.into(),
            error,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_parse_and_bad_ones_say_why() {
        let b: Burst = "148.96:69.68:50:339469500:60".parse().unwrap();
        assert_eq!(
            (b.ra, b.dec, b.counts, b.t0, b.duration),
            (148.96, 69.68, 50.0, 339469500.0, 60.0)
        );
        for (s, want) in [
            ("1:2:3:4", "4 fields"),
            ("x:2:3:4:5", "RA = \"x\""),
            ("10:95:3:4:5", "[-90, 90]"),
            ("10:5:0:4:5", "COUNTS = 0"),
            ("10:5:3:4:-1", "DURATION = -1"),
            ("10:5:nan:4:1", "COUNTS = \"nan\""),
        ] {
            let e = s.parse::<Burst>().unwrap_err().to_string();
            assert!(e.contains(want), "{s}: {e}");
        }
    }

    #[test]
    fn times_fill_only_the_good_parts() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let parts = [(0.0, 10.0), (20.0, 30.0)];
        let t: Vec<f64> = (0..4000)
            .map(|_| uniform_time(&mut rng, &parts, 20.0))
            .collect();
        assert!(t
            .iter()
            .all(|&x| (0.0..10.0).contains(&x) || (20.0..30.0).contains(&x)));
        let first = t.iter().filter(|&&x| x < 10.0).count() as f64 / 4000.0;
        assert!((first - 0.5).abs() < 0.04, "{first}");
    }
}
