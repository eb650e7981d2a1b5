//! `exod period`: periodicity search of a source's events (Z²ₙ, epoch folding, Lomb–Scargle,
//! averaged Leahy power spectra) with single- and multi-trial false-alarm probabilities, the
//! best period with its error, the folded profile and the pulsed fraction (or its upper limit).
//!
//! Events: with a target (`--ra/--dec`, `--detection`, `--source`) the source aperture's events
//! of every camera given (inside the good time common to the cameras, so exposure weighting
//! holds), else every event of one file — any OGIP event file with a TIME column and a GTI
//! extension, as HENDRICS accepts.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use exod_core::gti::Gti;
use exod_core::timesys::TimeReference;
use exod_core::timing::freq::FrequencyGrid;
use exod_core::timing::period::{period_search, PeriodMethod, PeriodOptions, PeriodResult};
use exod_io::table::Table;
use serde_json::{json, Value};

use super::followup::ExtractArgs;
use super::target::{self, TargetArgs};

#[derive(clap::Args)]
pub struct Args {
    /// Event lists of one observation (with a target), or one event file with a TIME column
    /// and a GTI extension (without a target).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Timing only: every event of the one file given, its positions not used (what exod period
    /// does without a target; explicit for lists with a malformed WCS, as the NuSTAR solar list).
    #[arg(long, conflicts_with_all = ["ra", "detection", "source"])]
    pub ignore_wcs: bool,
    #[command(flatten)]
    pub extract: ExtractArgs,
    /// Periodogram: z2 (Z²ₙ of the unbinned events), ef (epoch folding χ²), ls (Lomb–Scargle
    /// of the light curve binned at --dt) or leahy (Leahy power averaged over --segment).
    #[arg(long, default_value = "z2")]
    pub method: String,
    /// Harmonics of Z²ₙ.
    #[arg(long, default_value_t = 2)]
    pub nharm: usize,
    /// Phase bins of epoch folding.
    #[arg(long, default_value_t = 16)]
    pub nbin: usize,
    /// Bin size of ls and leahy (s).
    #[arg(long, default_value_t = 10.0)]
    pub dt: f64,
    /// Segment length of leahy (s).
    #[arg(long, default_value_t = 1000.0)]
    pub segment: f64,
    /// Lowest frequency (Hz; default 1/T — for z2, the lowest frequency where Z² is unbiased
    /// for the number of events, see docs/timing.md).
    #[arg(long)]
    pub fmin: Option<f64>,
    /// Highest frequency (Hz; default the Nyquist frequency of the frame time — divided by
    /// --nharm for z2, so no harmonic reaches it — or of --dt).
    #[arg(long)]
    pub fmax: Option<f64>,
    /// Frequency step (Hz; default 1/(oversample · T)).
    #[arg(long)]
    pub df: Option<f64>,
    /// Oversampling of the default frequency step.
    #[arg(long, default_value_t = 5.0)]
    pub oversample: f64,
    /// Frame time (s) for the default highest frequency (default: the cameras' largest frame
    /// time, or the file's TIMEDEL/FRAMETIM).
    #[arg(long)]
    pub frame_time: Option<f64>,
    /// stingray's conventions (Z² folded in 128 bins and the last event dropped; see docs).
    #[arg(long)]
    pub stingray: bool,
    /// Bins of the folded profile.
    #[arg(long, default_value_t = 16)]
    pub profile_bins: usize,
    /// Correct the times to the solar-system barycentre (TDB); needs a target position.
    #[arg(long)]
    pub barycenter: bool,
    /// Spacecraft orbit file for `--barycenter`.
    #[arg(long, requires = "barycenter")]
    pub orbit: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Output directory: period.json, periodogram.fits, periodogram.png, profile.png.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace a non-empty output directory.
    #[arg(long)]
    pub overwrite: bool,
}

/// The events searched, with what describes them.
struct Events {
    times: Vec<f64>,
    gti: Gti,
    frame_time_s: Option<f64>,
    tref: TimeReference,
    describe: Value,
}

fn method(a: &Args) -> Result<PeriodMethod> {
    Ok(match a.method.as_str() {
        "z2" => PeriodMethod::Z2 { nharm: a.nharm },
        "ef" => PeriodMethod::EpochFolding { nbin: a.nbin },
        "ls" => PeriodMethod::LombScargle { dt: a.dt },
        "leahy" | "pds" => PeriodMethod::Leahy {
            dt: a.dt,
            segment_s: a.segment,
        },
        other => bail!("--method {other:?}: expected z2, ef, ls or leahy"),
    })
}

/// The source events of a target, in the common good time of the cameras.
fn target_events(a: &Args) -> Result<Events> {
    let tgt = target::resolve(&a.target)?;
    let (exposures, ext, tref) =
        super::lc::extraction(&a.files, &tgt, &a.extract, a.barycenter, a.orbit.as_deref())?;
    let mut gti = ext.cameras[0].gti.clone();
    for c in &ext.cameras[1..] {
        gti = gti.intersect(&c.gti);
    }
    let mut times: Vec<f64> = ext
        .cameras
        .iter()
        .flat_map(|c| c.src.time.iter().copied())
        .filter(|&t| gti.contains(t))
        .collect();
    times.sort_by(f64::total_cmp);
    let mut frame: Option<f64> = None;
    for e in &exposures {
        if ext
            .cameras
            .iter()
            .any(|c| c.instrume == e.header().instrument)
        {
            let f = e.instrument()?.frame_time_s();
            frame = Some(frame.map_or(f, |g: f64| g.max(f)));
        }
    }
    let cams: Vec<Value> = ext
        .cameras
        .iter()
        .map(|c| json!({"camera": c.camera, "ccd": c.ccd, "src_radius_arcsec": c.src_radius_arcsec, "n_src": c.src.len()}))
        .collect();
    Ok(Events {
        times,
        gti,
        frame_time_s: frame,
        tref,
        describe: json!({"target": tgt, "cameras": cams, "band_kev": [ext.band_ev.0 / 1000.0, ext.band_ev.1 / 1000.0]}),
    })
}

/// Every event of one file (TIME and GTI).
fn file_events(a: &Args) -> Result<Events> {
    if a.files.len() != 1 {
        bail!(
            "{} files without a target: give one event file, or a target (--ra/--dec, --detection, --source) to extract a source from several lists",
            a.files.len()
        );
    }
    if a.barycenter {
        bail!("--barycenter needs the target position: give --ra/--dec (exod then extracts the source's events)");
    }
    let ev = exod_io::timing_in::read_event_times(&a.files[0])?;
    for w in &ev.warnings {
        tracing::warn!("{}: {w}", ev.path.display());
    }
    Ok(Events {
        times: ev.times,
        gti: ev.gti,
        frame_time_s: ev.frame_time_s,
        tref: ev.time_ref,
        describe: json!({"file": a.files[0], "hdu": ev.hdu, "gti_source": ev.gti_source,
            "telescope": ev.telescope, "instrument": ev.instrument}),
    })
}

/// Epoch folding of frame-quantised times above 1/(nbin · frame time): at f = (p/q)/t_frame with
/// q < nbin the times take only q phases, some bins stay empty and χ² has spurious peaks.
fn warn_quantised_folding(o: &PeriodOptions) {
    if let (PeriodMethod::EpochFolding { nbin }, Some(tf)) = (o.method, o.frame_time_s) {
        let limit = 1.0 / (nbin as f64 * tf);
        let fmax = o
            .grid
            .as_ref()
            .map(|g| g.fmax())
            .or(o.fmax)
            .unwrap_or(0.5 / tf);
        if fmax > limit {
            tracing::warn!(
                "epoch folding of times quantised to the {tf} s frame above {limit:.3} Hz (1/(nbin · frame time)): spurious peaks at f = (p/q)/{tf} with q < {nbin}; prefer --method z2 there"
            );
        }
    }
}

/// The options of the search.
fn options(a: &Args, ev: &Events) -> Result<PeriodOptions> {
    let method = method(a)?;
    let frame = a.frame_time.or(ev.frame_time_s);
    // Z²ₙ: harmonic n of f must stay below the frame Nyquist frequency, or frame-quantised
    // times alias (at f = 1/(2 t_frame) the 2nd harmonic sits on the frame frequency itself)
    let fmax = match (a.fmax, method, frame) {
        (None, PeriodMethod::Z2 { nharm }, Some(tf)) if nharm > 1 => {
            Some(0.5 / (nharm as f64 * tf))
        }
        (f, _, _) => f,
    };
    let mut o = PeriodOptions {
        method,
        frame_time_s: frame,
        oversample: a.oversample,
        fmin: a.fmin,
        fmax,
        n_profile_bins: a.profile_bins,
        stingray_compatible: a.stingray,
        ..PeriodOptions::default()
    };
    if let Some(df) = a.df {
        let (Some(f0), Some(f1)) = (a.fmin, a.fmax) else {
            bail!("--df needs --fmin and --fmax");
        };
        o.grid = Some(FrequencyGrid::from_range(f0, f1, df)?);
    }
    Ok(o)
}

/// The search of `exod period`: its result and the object period.json holds.
pub fn analyse(a: &Args) -> Result<(PeriodResult, Value)> {
    let has_target =
        a.target.ra.is_some() || a.target.detection.is_some() || a.target.source.is_some();
    let ev = if has_target {
        target_events(a)?
    } else {
        file_events(a)?
    };
    let opts = options(a, &ev)?;
    warn_quantised_folding(&opts);
    let res = period_search(&ev.times, &ev.gti, &opts)?;
    let out = report(&res, &ev, a)?;
    Ok((res, out))
}

pub fn run(a: Args) -> Result<()> {
    let (res, out) = analyse(&a)?;
    let text = serde_json::to_string_pretty(&out)? + "\n";
    if let Some(dir) = &a.out {
        write_outputs(dir, &a, &res, &text)?;
    }
    if a.json {
        print!("{}", serde_json::to_string(&out)? + "\n");
    } else {
        print_summary(&res);
    }
    Ok(())
}

/// The JSON object: the search result at the top level, then the input and time facts.
fn report(res: &PeriodResult, ev: &Events, a: &Args) -> Result<Value> {
    let mut v = serde_json::to_value(res)?;
    let m = v.as_object_mut().context("result is an object")?;
    m.insert("input".into(), ev.describe.clone());
    m.insert("frame_time_s".into(), json!(ev.frame_time_s));
    m.insert(
        "time".into(),
        json!({"timesys": ev.tref.timesys.keyword(), "timeref": ev.tref.timeref.keyword(),
            "mjdref": ev.tref.mjdref(), "barycentred": a.barycenter,
            "t_ref_mjd": ev.tref.mjd(res.t_ref)}),
    );
    Ok(v)
}

fn print_summary(r: &PeriodResult) {
    println!(
        "{}: best f = {:.9e} ± {:.2e} Hz (P = {:.6} ± {:.2e} s), power {:.2}",
        r.method,
        r.best_frequency_hz,
        r.frequency_error_hz,
        r.best_period_s,
        r.period_error_s,
        r.best_power
    );
    println!(
        "{} events, {} frequencies, {:.1} effective trials; log10 FAP single {:.2}, multi-trial {:.2}; 3σ level {:.2}, 5σ level {:.2}",
        r.n_events, r.n_frequencies, r.n_trials, r.log10_fap_single, r.log10_fap, r.power_3sigma, r.power_5sigma
    );
    match r.pulsed_fraction_upper_limit {
        Some(ul) if !r.detected_3sigma => println!(
            "not detected at 3σ: pulsed fraction < {ul:.3} ({:.2} % confidence)",
            100.0 * r.upper_limit_confidence
        ),
        _ => println!(
            "pulsed fraction {:.3} ± {:.3} (rms {:.3}, (max−min)/(max+min) {:.3})",
            r.pulsed_fraction,
            r.pulsed_fraction_error,
            r.pulsed_fraction_rms,
            r.pulsed_fraction_minmax
        ),
    }
}

/// period.json, periodogram.fits, periodogram.png, profile.png in `dir` (staged).
fn write_outputs(dir: &Path, a: &Args, r: &PeriodResult, text: &str) -> Result<()> {
    let stage = crate::staging::Staged::begin(dir, a.overwrite)?;
    let d = stage.path();
    std::fs::write(d.join("period.json"), text)
        .with_context(|| format!("{}: cannot write", d.join("period.json").display()))?;
    let mut t = Table::new("PERIODOGRAM");
    t.f64("FREQUENCY", "Hz", "trial frequency", r.frequencies.clone());
    t.f64(
        "POWER",
        "",
        &format!("{} power", r.method),
        r.powers.clone(),
    );
    t.keyword("METHOD", r.method.as_str(), "periodogram");
    t.keyword(
        "BESTFREQ",
        r.best_frequency_hz,
        "[Hz] refined best frequency",
    );
    t.keyword(
        "LOG10FAP",
        r.log10_fap,
        "log10 multi-trial false-alarm probability",
    );
    t.keyword("NTRIALS", r.n_trials, "effective number of trials");
    let date = exod_io::context::creation_date();
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    exod_io::table::write_fits(
        &d.join("periodogram.fits"),
        &[&t],
        &exod_io::table::provenance(&date, &command),
        &date,
    )?;
    let levels = vec![
        ("3σ (multi-trial)".to_string(), r.power_3sigma),
        ("5σ (multi-trial)".to_string(), r.power_5sigma),
    ];
    let title = format!("{} periodogram", r.method);
    exod_plot::timing::periodogram_png(
        &d.join("periodogram.png"),
        &exod_plot::timing::Periodogram {
            title: &title,
            frequency: &r.frequencies,
            power: &r.powers,
            y_desc: &r.method,
            levels: &levels,
            best: Some(r.best_frequency_hz),
            log_x: r.frequencies.last().copied().unwrap_or(1.0)
                / r.frequencies.first().copied().unwrap_or(1.0).max(1e-30)
                > 100.0,
        },
    )?;
    let title = format!(
        "folded at P = {:.6} s ({} bins)",
        r.best_period_s,
        r.profile.phase.len()
    );
    exod_plot::timing::profile_png(
        &d.join("profile.png"),
        &title,
        "count rate (ct/s)",
        &r.profile.phase,
        &r.profile.rate,
        &r.profile.rate_error,
    )?;
    stage.commit()?;
    Ok(())
}
