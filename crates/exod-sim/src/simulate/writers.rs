//! The files of a simulation, in the formats of the XMM pipeline so that they load through the
//! same reader as real data: gzip-compressed FITS event lists (an EVENTS table with the columns
//! and keywords the reader needs, one STDGTI extension per CCD), the OBSMLI source list, and
//! `truth.ecsv` with everything injected, and (with physical spectra) the response beside each
//! event list `X.FTZ`: `X.rmf` and `X.arf`. The gzip stream has mtime 0, so that the files are
//! byte-identical for a seed.
//!
//! The response is the real EPIC pn full-frame one shipped in `testdata/spectral/xmm_pn`
//! (`epn_ff20_dY9.rmf`, 4096 channels of 5 eV, 0-based; `pn_pi_src.arf`, an arfgen ARF of a pn
//! point source), embedded in the binary and written decompressed, byte for byte. MOS events are
//! simulated with the same pn response shape and 5 eV channels (a simplification: real MOS
//! matrices have 15 eV channels and another redistribution), with the ARF scaled by the MOS/pn
//! collecting-area ratio of the simulator, 0.35 (keyword `EXODARFS` of the written ARF): the
//! written `X.arf` of a MOS camera is the one its photons were drawn through.

use std::io::Write;
use std::path::Path;

use fitsio::errors::Result as FitsResult;
use fitsio::hdu::FitsHdu;
use fitsio::tables::{ColumnDataType, ColumnDescription};
use fitsio::FitsFile;
use rand_distr::{Distribution, Normal};

use exod_core::instrument::EpicCamera as XmmCamera;
use exod_io::ecsv::{self, Column, Value};

use super::camera::{Camera, Events};
use super::geometry::{area_factor, frame_time};
use super::{
    rng_for, SimConfig, SimError, SimOutput, SimSource, TruthRow, SKY_CRPIX, SKY_PIXEL_ARCSEC,
    XMM_MJDREF,
};

/// Sort each camera's events by time and write every file of the simulation into `out_dir`.
pub(super) fn write_outputs(
    cfg: &SimConfig,
    out_dir: &Path,
    cams: &mut [Camera],
    sources: &[SimSource],
    truth: Vec<TruthRow>,
    mode: Option<(&str, &str)>,
) -> Result<SimOutput, SimError> {
    let mut event_files = Vec::new();
    let mut n_events = Vec::new();
    for cam in cams.iter_mut() {
        cam.ev.sort_by_time();
        let path = out_dir.join(event_file_name(cfg, cam.cam));
        write_events(cfg, cam, &path, mode)?;
        n_events.push(cam.ev.time.len());
        event_files.push(path);
    }
    let srclist = out_dir.join(format!("P{}EPX000OBSMLI0000.FTZ", cfg.obs_id));
    write_srclist(cfg, sources, &srclist)?;
    let truth_path = out_dir.join("truth.ecsv");
    write_truth(cfg, &truth, &truth_path)?;
    Ok(SimOutput {
        event_files,
        srclist,
        truth,
        truth_path,
        n_events,
        responses: vec![],
    })
}

/// The EPIC pn full-frame RMF (gzip), byte-exact copy of `testdata/spectral/xmm_pn`.
const PN_RMF_GZ: &[u8] = include_bytes!("../../../../testdata/spectral/xmm_pn/epn_ff20_dY9.rmf.gz");
/// The pn point-source ARF (gzip) of the same directory.
const PN_ARF_GZ: &[u8] = include_bytes!("../../../../testdata/spectral/xmm_pn/pn_pi_src.arf.gz");

/// The embedded pn RMF, decompressed (the bytes written as every camera's `X.rmf`).
pub fn embedded_pn_rmf() -> Vec<u8> {
    gunzip(PN_RMF_GZ)
}

/// The embedded pn ARF, decompressed (the bytes written as the pn `X.arf`).
pub fn embedded_pn_arf() -> Vec<u8> {
    gunzip(PN_ARF_GZ)
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .expect("the embedded response is valid gzip (checked by the tests)");
    out
}

/// The response files of the event list `events` (`X.FTZ` → `X.rmf`, `X.arf`).
pub fn response_paths(events: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    (events.with_extension("rmf"), events.with_extension("arf"))
}

/// Write the response of every camera beside its (future) event list: the embedded pn RMF, and
/// the pn ARF scaled by the camera's collecting-area factor (1 for pn: the embedded bytes).
pub(super) fn write_responses(
    cfg: &SimConfig,
    out_dir: &Path,
) -> Result<Vec<(std::path::PathBuf, std::path::PathBuf)>, SimError> {
    let rmf = embedded_pn_rmf();
    let arf = embedded_pn_arf();
    let mut out = Vec::new();
    for &cam in &cfg.cameras {
        let (rmf_path, arf_path) = response_paths(&out_dir.join(event_file_name(cfg, cam)));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SimError::Io { path, source }
        };
        exod_io::fits::write_atomic(&rmf_path, |tmp| std::fs::write(tmp, &rmf))
            .map_err(io(&rmf_path))?;
        let scale = area_factor(cam);
        if scale == 1.0 {
            exod_io::fits::write_atomic(&arf_path, |tmp| std::fs::write(tmp, &arf))
                .map_err(io(&arf_path))?;
        } else {
            write_scaled_arf(&arf, scale, &arf_path)?;
        }
        out.push((rmf_path, arf_path));
    }
    Ok(out)
}

/// The ARF `arf` (FITS bytes) with SPECRESP multiplied by `scale`, written to `dest` (through a
/// temporary file edited by cfitsio, then renamed).
fn write_scaled_arf(arf: &[u8], scale: f64, dest: &Path) -> Result<(), SimError> {
    let tmp = dest.with_extension("tmp.arf");
    let io = |source| SimError::Io {
        path: dest.into(),
        source,
    };
    std::fs::write(&tmp, arf).map_err(io)?;
    let edit = || -> FitsResult<()> {
        let mut f = FitsFile::edit(&tmp)?;
        let h = f.hdu("SPECRESP")?;
        let a: Vec<f32> = h.read_col(&mut f, "SPECRESP")?;
        let scaled: Vec<f32> = a.iter().map(|&x| (x as f64 * scale) as f32).collect();
        h.write_col(&mut f, "SPECRESP", &scaled)?;
        h.write_key(
            &mut f,
            "EXODARFS",
            (
                scale,
                "SPECRESP = this x the pn ARF (exod simulate, MOS as pn shape)",
            ),
        )?;
        Ok(())
    };
    edit().map_err(fits_err(&tmp))?;
    std::fs::rename(&tmp, dest).map_err(io)
}

/// The pipeline name of a camera's event list, e.g. `P0999990101PNS003PIEVLI0000.FTZ`.
fn event_file_name(cfg: &SimConfig, cam: XmmCamera) -> String {
    let (tag, ext) = match cam {
        XmmCamera::Pn => ("PNS003", "PIEVLI"),
        XmmCamera::Mos1 => ("M1S001", "MIEVLI"),
        XmmCamera::Mos2 => ("M2S002", "MIEVLI"),
    };
    format!("P{}{tag}{ext}0000.FTZ", cfg.obs_id)
}

/// Turn a cfitsio error on `path` into a [`SimError`].
fn fits_err(path: &Path) -> impl Fn(fitsio::errors::Error) -> SimError + '_ {
    move |e| SimError::Fits {
        path: path.into(),
        msg: e.to_string(),
    }
}

/// Write a FITS file through a temporary plain file, then gzip it deterministically (mtime 0)
/// into `dest` (atomic rename).
fn write_fits_gz(
    dest: &Path,
    fill: impl FnOnce(&Path) -> Result<(), SimError>,
) -> Result<(), SimError> {
    let tmp_plain = dest.with_extension("tmp.fits");
    let _ = std::fs::remove_file(&tmp_plain);
    fill(&tmp_plain)?;
    let io = |source| SimError::Io {
        path: dest.into(),
        source,
    };
    let bytes = std::fs::read(&tmp_plain).map_err(io)?;
    let _ = std::fs::remove_file(&tmp_plain);
    exod_io::fits::write_atomic(dest, |tmp| -> std::io::Result<()> {
        let f = std::fs::File::create(tmp)?;
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(f, flate2::Compression::new(6));
        gz.write_all(&bytes)?;
        gz.finish()?;
        Ok(())
    })
    .map_err(io)
}

/// Write an uncompressed FITS file `dest` through cfitsio on a temporary file, renamed into
/// place when complete (the mission lists, which their pipelines write uncompressed).
pub(crate) fn write_fits_plain(
    dest: &Path,
    fill: impl FnOnce(&Path) -> FitsResult<()>,
) -> Result<(), SimError> {
    let tmp = dest.with_extension("tmp.fits");
    let _ = std::fs::remove_file(&tmp);
    fill(&tmp).map_err(fits_err(&tmp))?;
    std::fs::rename(&tmp, dest).map_err(|source| SimError::Io {
        path: dest.into(),
        source,
    })
}

/// The civil date (`YYYY-MM-DDThh:mm:ss`, TT) of XMM mission time `t`.
fn date_of(t: f64) -> String {
    // XMM time 0 = 1998-01-01T00:00:00 TT; civil date by days since then
    let days = (t / 86400.0).floor() as i64;
    let secs = t - days as f64 * 86400.0;
    let (mut y, mut d) = (1998i64, days);
    loop {
        let len = if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
            366
        } else {
            365
        };
        if d < len {
            break;
        }
        d -= len;
        y += 1;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let months = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut m = 0;
    while d >= months[m] {
        d -= months[m];
        m += 1;
    }
    let (h, mi, s) = (
        (secs / 3600.0) as i64,
        ((secs % 3600.0) / 60.0) as i64,
        (secs % 60.0) as i64,
    );
    format!("{y:04}-{:02}-{:02}T{h:02}:{mi:02}:{s:02}", m + 1, d + 1)
}

// ---------------------------------------------------------------------------------------------
// Event lists
// ---------------------------------------------------------------------------------------------

/// Write the (sorted) event list of one camera to `path`.
fn write_events(
    cfg: &SimConfig,
    cam: &Camera,
    path: &Path,
    mode: Option<(&str, &str)>,
) -> Result<(), SimError> {
    write_fits_gz(path, |tmp| {
        fill_events(cfg, cam, tmp, mode).map_err(fits_err(tmp))
    })
}

/// The FITS content of an event list: primary header, EVENTS, one STDGTI per CCD.
fn fill_events(
    cfg: &SimConfig,
    cam: &Camera,
    tmp: &Path,
    mode: Option<(&str, &str)>,
) -> FitsResult<()> {
    let mut f = FitsFile::create(tmp).open()?;
    let mut common = exposure_keys(cfg, cam);
    if let Some((datamode, submode)) = mode {
        for (k, v) in common.iter_mut() {
            match *k {
                "DATAMODE" => *v = datamode.into(),
                "SUBMODE" => *v = submode.into(),
                _ => {}
            }
        }
    }
    write_primary_keys(&mut f, cfg, &common)?;
    let hdu = write_event_table(&mut f, &cam.ev)?;
    for (k, v) in &common {
        hdu.write_key(&mut f, k, v.as_str())?;
    }
    write_column_keys(&mut f, &hdu, cfg)?;
    write_pointing_keys(&mut f, &hdu, cfg, cam)?;
    write_ccd_gtis(&mut f, cam)
}

/// The string keywords of the exposure, written to the primary header and to EVENTS.
fn exposure_keys(cfg: &SimConfig, cam: &Camera) -> Vec<(&'static str, String)> {
    let inst = cam.cam.instrume();
    let exp_id = format!(
        "{}{}",
        cfg.obs_id,
        match cam.cam {
            XmmCamera::Pn => "003",
            XmmCamera::Mos1 => "001",
            XmmCamera::Mos2 => "002",
        }
    );
    vec![
        ("TELESCOP", "XMM".into()),
        ("INSTRUME", inst.into()),
        ("DATAMODE", "IMAGING".into()),
        ("SUBMODE", "PrimeFullWindow".into()),
        ("OBS_ID", cfg.obs_id.clone()),
        ("EXP_ID", exp_id),
        ("OBJECT", "EXOD SIMULATION".into()),
        ("DATE-OBS", date_of(cam.t0)),
        ("DATE-END", date_of(cam.t1)),
        ("TIMESYS", "TT".into()),
        (
            "CREATOR",
            format!(
                "exod simulate {} (seed {})",
                env!("CARGO_PKG_VERSION"),
                cfg.seed
            ),
        ),
    ]
}

/// Primary header: the exposure keywords, the revolution and the sky reference frame.
fn write_primary_keys(
    f: &mut FitsFile,
    cfg: &SimConfig,
    common: &[(&'static str, String)],
) -> FitsResult<()> {
    let ph = f.primary_hdu()?;
    for (k, v) in common {
        ph.write_key(f, k, v.as_str())?;
    }
    ph.write_key(f, "REVOLUT", cfg.revolution)?;
    ph.write_key(f, "REFXCTYP", "RA---TAN")?;
    ph.write_key(f, "REFYCTYP", "DEC--TAN")?;
    ph.write_key(f, "REFXCRPX", SKY_CRPIX)?;
    ph.write_key(f, "REFYCRPX", SKY_CRPIX)?;
    ph.write_key(f, "REFXCRVL", cfg.ra)?;
    ph.write_key(f, "REFYCRVL", cfg.dec)?;
    ph.write_key(f, "REFXCDLT", -SKY_PIXEL_ARCSEC / 3600.0)?;
    ph.write_key(f, "REFYCDLT", SKY_PIXEL_ARCSEC / 3600.0)?;
    Ok(())
}

/// The EVENTS table with its eleven columns.
fn write_event_table(f: &mut FitsFile, ev: &Events) -> FitsResult<FitsHdu> {
    let col = |name: &str, t: ColumnDataType| ColumnDescription::new(name).with_type(t).create();
    let cols = [
        col("TIME", ColumnDataType::Double),
        col("RAWX", ColumnDataType::Short),
        col("RAWY", ColumnDataType::Short),
        col("DETX", ColumnDataType::Short),
        col("DETY", ColumnDataType::Short),
        col("X", ColumnDataType::Int),
        col("Y", ColumnDataType::Int),
        col("PI", ColumnDataType::Short),
        col("FLAG", ColumnDataType::Int),
        col("PATTERN", ColumnDataType::Byte),
        col("CCDNR", ColumnDataType::Byte),
    ];
    let cols: Vec<_> = cols.into_iter().collect::<Result<_, _>>()?;
    let hdu = f.create_table("EVENTS", &cols)?;
    hdu.write_col(f, "TIME", &ev.time)?;
    hdu.write_col(f, "RAWX", &ev.rawx)?;
    hdu.write_col(f, "RAWY", &ev.rawy)?;
    hdu.write_col(f, "DETX", &ev.detx)?;
    hdu.write_col(f, "DETY", &ev.dety)?;
    hdu.write_col(f, "X", &ev.x)?;
    hdu.write_col(f, "Y", &ev.y)?;
    hdu.write_col(f, "PI", &ev.pi)?;
    hdu.write_col(f, "FLAG", &ev.flag)?;
    hdu.write_col(f, "PATTERN", &ev.pattern)?;
    hdu.write_col(f, "CCDNR", &ev.ccd)?;
    Ok(hdu)
}

/// Column units, and the sky frame of the X and Y columns (TAN at the pointing).
fn write_column_keys(f: &mut FitsFile, hdu: &FitsHdu, cfg: &SimConfig) -> FitsResult<()> {
    let units = [
        (1, "s"),
        (2, "pixel"),
        (3, "pixel"),
        (4, "pixel"),
        (5, "pixel"),
        (6, "pixel"),
        (7, "pixel"),
        (8, "eV"),
    ];
    for (i, u) in units {
        hdu.write_key(f, &format!("TUNIT{i}"), u)?;
    }
    for (i, ctype, crval, cdelt) in [
        (6, "RA---TAN", cfg.ra, -SKY_PIXEL_ARCSEC / 3600.0),
        (7, "DEC--TAN", cfg.dec, SKY_PIXEL_ARCSEC / 3600.0),
    ] {
        hdu.write_key(f, &format!("TCTYP{i}"), ctype)?;
        hdu.write_key(f, &format!("TCRPX{i}"), SKY_CRPIX)?;
        hdu.write_key(f, &format!("TCRVL{i}"), crval)?;
        hdu.write_key(f, &format!("TCDLT{i}"), cdelt)?;
        hdu.write_key(f, &format!("TLMIN{i}"), 1i64)?;
        hdu.write_key(f, &format!("TLMAX{i}"), 51840i64)?;
    }
    Ok(())
}

/// Revolution, time range, pointing, frame time and the XMMEA screening masks of EVENTS.
fn write_pointing_keys(
    f: &mut FitsFile,
    hdu: &FitsHdu,
    cfg: &SimConfig,
    cam: &Camera,
) -> FitsResult<()> {
    hdu.write_key(f, "REVOLUT", cfg.revolution)?;
    hdu.write_key(f, "TSTART", cam.t0)?;
    hdu.write_key(f, "TSTOP", cam.t1)?;
    hdu.write_key(f, "MJDREF", XMM_MJDREF)?;
    hdu.write_key(f, "RA_PNT", cfg.ra)?;
    hdu.write_key(f, "DEC_PNT", cfg.dec)?;
    hdu.write_key(f, "PA_PNT", cfg.roll)?;
    hdu.write_key(f, "FRMTIME", frame_time(cam.cam) * 1000.0)?;
    hdu.write_key(f, "XMMEA_EP", "(FLAG & 0xfa000c) == 0")?;
    hdu.write_key(f, "XMMEA_EM", "(FLAG & 0x766ba000) == 0")?;
    Ok(())
}

/// One STDGTInn extension per CCD: the camera's start–stop, with a hole where the CCD is off.
fn write_ccd_gtis(f: &mut FitsFile, cam: &Camera) -> FitsResult<()> {
    for c in &cam.ccds {
        let mut starts = vec![cam.t0];
        let mut stops = vec![cam.t1];
        if let Some((ccd, a, b)) = cam.off {
            if ccd == c.id {
                starts = vec![cam.t0, b];
                stops = vec![a, cam.t1];
            }
        }
        let gcols = [
            ColumnDescription::new("START")
                .with_type(ColumnDataType::Double)
                .create()?,
            ColumnDescription::new("STOP")
                .with_type(ColumnDataType::Double)
                .create()?,
        ];
        let g = f.create_table(format!("STDGTI{:02}", c.id), &gcols)?;
        g.write_col(f, "START", &starts)?;
        g.write_col(f, "STOP", &stops)?;
        g.write_key(f, "CCDID", c.id as i64)?;
        g.write_key(f, "HDUCLAS1", "GTI")?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Source list and truth
// ---------------------------------------------------------------------------------------------

/// One row of the OBSMLI source list: RA, Dec, EP_DET_ML, EP_8_RATE, EP_EXTENT.
type SrcRow = (f64, f64, f64, f64, f64);

/// Sources with ≥ 30 expected EPIC counts, positions blurred by 1″ (a pipeline's error; stream 9).
/// EP_DET_ML is 2 counts^0.75, a monotonic proxy of the counts.
fn srclist_rows(cfg: &SimConfig, sources: &[SimSource]) -> Vec<SrcRow> {
    let mut rng = rng_for(cfg.seed, 9);
    let mut rows: Vec<SrcRow> = Vec::new();
    let wcs = super::sky_wcs(cfg);
    for s in sources {
        if !super::sources::in_view(cfg, &wcs, s) {
            continue;
        }
        let rate = s.rate_pn * (1.0 + 2.0 * 0.35);
        let counts = rate * cfg.exposure;
        if counts < 30.0 {
            continue;
        }
        let n = Normal::new(0.0, 1.0 / 3600.0).expect("positive width");
        let ra = s.ra + n.sample(&mut rng) / s.dec.to_radians().cos();
        let dec = s.dec + n.sample(&mut rng);
        rows.push((ra, dec, 2.0 * counts.powf(0.75), rate, s.extent));
    }
    rows
}

/// Write the OBSMLI source list of the simulated sources to `path`.
fn write_srclist(cfg: &SimConfig, sources: &[SimSource], path: &Path) -> Result<(), SimError> {
    let rows = srclist_rows(cfg, sources);
    write_fits_gz(path, |tmp| {
        fill_srclist(cfg, &rows, tmp).map_err(fits_err(tmp))
    })
}

/// The FITS content of the source list: one SRCLIST table.
fn fill_srclist(cfg: &SimConfig, rows: &[SrcRow], tmp: &Path) -> FitsResult<()> {
    let mut f = FitsFile::create(tmp).open()?;
    let cols: Vec<_> = ["RA", "DEC", "EP_DET_ML", "EP_8_RATE", "EP_EXTENT"]
        .iter()
        .map(|n| {
            ColumnDescription::new(*n)
                .with_type(ColumnDataType::Double)
                .create()
        })
        .collect::<Result<_, _>>()?;
    let h = f.create_table("SRCLIST", &cols)?;
    let column = |get: fn(&SrcRow) -> f64| rows.iter().map(get).collect::<Vec<_>>();
    h.write_col(&mut f, "RA", &column(|r| r.0))?;
    h.write_col(&mut f, "DEC", &column(|r| r.1))?;
    h.write_col(&mut f, "EP_DET_ML", &column(|r| r.2))?;
    h.write_col(&mut f, "EP_8_RATE", &column(|r| r.3))?;
    h.write_col(&mut f, "EP_EXTENT", &column(|r| r.4))?;
    h.write_key(&mut f, "OBS_ID", cfg.obs_id.as_str())?;
    h.write_key(&mut f, "CREATOR", "exod simulate")?;
    Ok(())
}

/// What the mission-dependent columns of `truth.ecsv` say: the time system and the three
/// per-list count columns (always named `counts_pn`, `counts_m1`, `counts_m2`, so that every
/// simulation has the same columns).
pub(crate) struct TruthLabels {
    /// Description of `t_start`/`t_stop` ("XMM mission time, TT").
    pub(crate) time: &'static str,
    /// Descriptions of `counts_pn`, `counts_m1`, `counts_m2`.
    pub(crate) counts: [&'static str; 3],
}

/// The labels of the XMM simulation.
const XMM_LABELS: TruthLabels = TruthLabels {
    time: "XMM mission time, TT",
    counts: [
        "realised pn counts (eclipse: photons removed)",
        "realised MOS1 counts",
        "realised MOS2 counts",
    ],
};

/// The columns of `truth.ecsv`.
fn truth_columns(l: &TruthLabels) -> [Column; 11] {
    [
        Column::new("id", "int64", None, "row number"),
        Column::new("kind", "string", None, "target, source, cluster, burst or eclipse"),
        Column::new("ra", "float64", Some("deg"), "right ascension (ICRS)"),
        Column::new("dec", "float64", Some("deg"), "declination (ICRS)"),
        Column::new("t_start", "float64", Some("s"), &format!("start ({})", l.time)),
        Column::new("t_stop", "float64", Some("s"), &format!("stop ({})", l.time)),
        Column::new("expected", "float64", Some("ct"), "expected counts: burst amplitude over all cameras; pn rate x exposure for sources; photons lost for eclipses"),
        Column::new("counts_pn", "int64", Some("ct"), l.counts[0]),
        Column::new("counts_m1", "int64", Some("ct"), l.counts[1]),
        Column::new("counts_m2", "int64", Some("ct"), l.counts[2]),
        Column::new("note", "string", None, "profile, rates, depth"),
    ]
}

/// The spectral columns of `truth.ecsv` (physical spectra only).
fn spectrum_columns() -> [Column; 2] {
    [
        Column::new("model", "string", None, "spectral model of the photons (XSPEC syntax); empty for rows without photons of a source"),
        Column::new("model_params", "string", None, "its parameters, 'component.name=value; ...' (nH in 1e22 cm-2, norm on axis: x vignetting off axis; MOS ARF = 0.35 x pn)"),
    ]
}

/// Write the truth table, with the software version, seed and full configuration as metadata.
fn write_truth(cfg: &SimConfig, truth: &[TruthRow], path: &Path) -> Result<(), SimError> {
    let config = serde_json::to_string(cfg).unwrap_or_default();
    write_truth_table(
        path,
        &XMM_LABELS,
        cfg.seed,
        &config,
        cfg.spectra.is_some(),
        truth,
    )
}

/// Write a truth table (`truth.ecsv`): the rows, the software version, the seed and the
/// configuration (JSON) as metadata; `spectral` adds the model columns.
pub(crate) fn write_truth_table(
    path: &Path,
    labels: &TruthLabels,
    seed: u64,
    config: &str,
    spectral: bool,
    truth: &[TruthRow],
) -> Result<(), SimError> {
    let mut cols = truth_columns(labels).to_vec();
    if spectral {
        cols.extend(spectrum_columns());
    }
    let rows: Vec<Vec<Value>> = truth
        .iter()
        .map(|t| {
            let mut row = vec![
                Value::I(t.id as i64),
                Value::S(t.kind.clone()),
                Value::F(t.ra),
                Value::F(t.dec),
                Value::F(t.t_start),
                Value::F(t.t_stop),
                Value::F(t.expected),
                Value::I(t.counts[0] as i64),
                Value::I(t.counts[1] as i64),
                Value::I(t.counts[2] as i64),
                Value::S(t.note.clone()),
            ];
            if spectral {
                let (m, p) = t
                    .spectrum
                    .as_ref()
                    .map(|s| (s.model.clone(), s.params_text()))
                    .unwrap_or_default();
                row.extend([Value::S(m), Value::S(p)]);
            }
            row
        })
        .collect();
    ecsv::write(
        path,
        &cols,
        &rows,
        &[
            ("software", format!("exod {}", env!("CARGO_PKG_VERSION"))),
            ("seed", seed.to_string()),
            ("config", config.to_string()),
        ],
    )
    .map_err(|source| SimError::Io {
        path: path.into(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmm_dates() {
        assert_eq!(date_of(0.0), "1998-01-01T00:00:00");
        assert_eq!(date_of(86400.0 * 366.0 + 3661.0), "1999-01-02T01:01:01");
    }
}
