//! Outputs of a search: `detections.fits` and `detections.ecsv` (one row per detection, unit and
//! description on every column), `lightcurves.fits` (OGIP light curves), `image.fits` (the
//! counts image with its sky WCS) and `regions.reg` (DS9, fk5). PNG figures are drawn by
//! `exod-plot`. Every file is written atomically.
//!
//! ## Headers
//!
//! Every HDU of every FITS file carries the facts of an [`OutputContext`]: `TELESCOP`,
//! `INSTRUME` (the cameras searched, e.g. `'EPN+EMOS1+EMOS2'`), `OBS_ID`, `OBJECT`, `DATE-OBS`,
//! `MJDREF` (or `MJDREFI` + `MJDREFF`, as the mission writes it), `TIMESYS`, `TIMEREF`,
//! `TASSIGN`, `TIMEUNIT = 's'`, `TSTART`/`TSTOP`, `RADESYS`/`EQUINOX`, `RA_PNT`/`DEC_PNT`/`PA_PNT`
//! (when the inputs state them), `CREATOR = 'exod
//! <version>'`, `DATE` (creation, UTC; `SOURCE_DATE_EPOCH` makes it reproducible, see
//! [`crate::context`]), `COMMAND` (the whole command line, long-string `CONTINUE` convention),
//! the run's parameters as typed keywords (e.g. `SIGMA = 3.0`, `RULE = 'exod2'`), and
//! `CHECKSUM`/`DATASUM`. Flags are logical (`L`) columns. Texts are ASCII (σ is written
//! `sigma`).
//!
//! ## detections.fits
//!
//! Primary HDU without data, then `DETECTIONS`: one row per detection. Per-camera counts are
//! named by camera, `COUNTS_PN`, `COUNTS_M1`, `COUNTS_M2` (only the cameras of the observation,
//! always in that order), whatever the order of the input files.
//!
//! ## lightcurves.fits
//!
//! * HDU 0: primary, no data.
//! * HDU k, for k = 1 … N: the OGIP light curve (`HDUCLASS = 'OGIP'`, `HDUCLAS1 =
//!   'LIGHTCURVE'`, `HDUCLAS2 = 'TOTAL'`, `HDUCLAS3 = 'RATE'`) of row k of `detections.fits`,
//!   `EXTNAME` = its `DETID`. Columns `TIME` (bin centre, mission time, `TIMEPIXR = 0.5`,
//!   `TIMEZERO = 0`), `RATE` = N / `TIMEDEL` (count/s, not divided by `FRACEXP`: the exposure-
//!   corrected rate is `RATE / FRACEXP`, which is what stingray's `Lightcurve.read` and lcurve
//!   compute), `ERROR` = (1 + √(N + 0.75)) / `TIMEDEL` (Gehrels' 1σ upper error of N),
//!   `FRACEXP` (live fraction of the bin: mean over the region's cells), `COUNTS` (N), `MU`
//!   (expected counts μ of exod's model), `BTI` (logical). `TSTART`/`TSTOP` are those of the
//!   curve (its window), `TIMEDEL` its bin, `EXPOSURE` = Σ `FRACEXP` · `TIMEDEL`; `DETID`,
//!   `DET` (row), `OBJECT` (the detection's name), `RA_OBJ`/`DEC_OBJ`, `E_MIN`/`E_MAX` (keV),
//!   `DET_SIG` (its σ) describe the detection. There is no `GTI` extension: bins without live
//!   time have `FRACEXP = 0` (stingray makes its GTIs from `FRACEXP ≥ 0.9`).
//!   `Lightcurve.read("lightcurves.fits", fmt="hea", ratehdu=k)` reads detection k.
//! * HDU N + 1, `LIGHTCURVES`: every curve in one table, rows of (`DET`, `TIME` = start of the
//!   frame, `N`, `MU`, `BTI`, `LIVE`), `DET` being the row of the detection; written as a stream.
//!
//! ## image.fits
//!
//! The 0.2–12 keV counts per sky cell (the search's grid, 20″ cells by default) as a 32-bit
//! primary image, with the celestial WCS of the grid (`CTYPE = 'RA---TAN'/'DEC--TAN'`,
//! `CRPIX`/`CRVAL`/`CDELT` from the event list's sky WCS: image pixel i is cell i − 1), and the
//! sky pixels X/Y of the event list as DS9's physical coordinates (`LTV`/`LTM`, and the
//! alternate WCS `P`), so `regions.reg` (fk5) and regions in sky pixels overlay on it.

use std::path::{Path, PathBuf};

use exod_core::observation::Observation;
use exod_core::search::{Detection, Kind, LightCurve, SearchResult};
use exod_core::wcs::Projection;

pub use crate::context::{Camera, KeyValue, MjdRef, OutputContext, Param};
use crate::error::IoError;
use crate::fitsw::{FitsWriteError, FitsWriter};
use crate::table::{self, column_specs, write_columns, Rows, Table};

fn rerr(path: &Path, e: impl std::fmt::Display) -> IoError {
    IoError::output(path, e)
}

/// Builds the columns of the detection table, one value per detection (integers as `1J`).
type Columns<'a> = Rows<'a, Detection>;

/// The `DETECTIONS` table of `detections.fits` / `.ecsv` (columns in order, with units and
/// descriptions); also what the Python package returns as an astropy Table.
pub fn detection_table(dets: &[Detection], ctx: &OutputContext) -> Table {
    let mut c = Columns::new(dets, "DETECTIONS").ints_as("1J");
    identity_columns(&mut c);
    position_columns(&mut c, ctx.radesys.as_str());
    time_columns(&mut c);
    significance_columns(&mut c);
    cell_columns(&mut c);
    camera_columns(&mut c, ctx);
    flag_columns(&mut c);
    c.table
}

/// Columns: DETID, name, kind, band and t_bin.
fn identity_columns(c: &mut Columns) {
    c.s_width(
        "DETID",
        "unique detection id: obsid_band_tbin_rank",
        48,
        |d| d.detid.clone(),
    );
    c.s_width("NAME", "IAU-style name from the position", 24, |d| {
        d.name.clone()
    });
    c.s_width("KIND", "peak (burst) or eclipse (dip)", 8, |d| {
        d.kind.as_str().into()
    });
    c.s_width("BAND", "energy band (keV)", 10, |d| d.band.clone());
    c.f("TBIN", "s", "time bin of the run", |d| d.tbin);
}

/// Columns: position of the photon centroid.
fn position_columns(c: &mut Columns, frame: &str) {
    c.f(
        "RA",
        "deg",
        &format!("right ascension of the photon centroid ({frame}, RADESYS)"),
        |d| d.ra,
    );
    c.f(
        "DEC",
        "deg",
        &format!("declination of the photon centroid ({frame}, RADESYS)"),
        |d| d.dec,
    );
    c.f(
        "POS_ERR",
        "arcsec",
        "1-sigma radial position error of the centroid",
        |d| d.pos_err,
    );
    c.f(
        "X",
        "pixel",
        "sky X of the centroid (0.05 arcsec pixels for XMM)",
        |d| d.x,
    );
    c.f("Y", "pixel", "sky Y of the centroid", |d| d.y);
}

/// Columns: times of the most significant and of the flagged frames.
fn time_columns(c: &mut Columns) {
    c.f(
        "T_PEAK_START",
        "s",
        "start of the most significant frame (mission time)",
        |d| d.t_peak_start,
    );
    c.f(
        "T_PEAK_STOP",
        "s",
        "end of the most significant frame (mission time)",
        |d| d.t_peak_stop,
    );
    c.f("T_START", "s", "start of the first flagged frame", |d| {
        d.t_start
    });
    c.f("T_STOP", "s", "end of the last flagged frame", |d| d.t_stop);
}

/// Columns: significance of the best cell and of the region sum, amplitude.
fn significance_columns(c: &mut Columns) {
    c.f(
            "SIGMA",
            "",
            "sigma-equivalent (paper eqs. 8-10) of the most significant flagged cell: the statistic the run's --sigma applies to",
            |d| d.sigma,
        );
    c.i(
        "REGION_N",
        "ct",
        "observed counts summed over the region's cells in its most significant frame",
        |d| d.region_n as i64,
    );
    c.f(
        "REGION_MU",
        "ct",
        "expected counts summed over the region's cells in that frame",
        |d| d.region_mu,
    );
    c.f(
        "REGION_LOG10_B",
        "",
        "log10 Bayes factor (B_peak or B_eclipse) of REGION_N given REGION_MU",
        |d| d.region_log10_b,
    );
    c.f(
        "REGION_SIGMA",
        "",
        "sigma-equivalent of REGION_LOG10_B",
        |d| d.region_sigma,
    );
    c.f(
        "AMP_P16",
        "ct",
        "16% quantile of the transient amplitude of the region sum (eqs. 11-12)",
        |d| d.amp_p16,
    );
    c.f("AMP_P50", "ct", "median transient amplitude", |d| d.amp_p50);
    c.f(
        "AMP_P84",
        "ct",
        "84% quantile of the transient amplitude",
        |d| d.amp_p84,
    );
}

/// Columns: the best cell and the region size.
fn cell_columns(c: &mut Columns) {
    c.i(
            "CELL_N",
            "ct",
            "counts of the most significant flagged (cell, frame); its frame may differ from the region's",
            |d| d.cell_n as i64,
        );
    c.f("CELL_MU", "ct", "expected counts of that cell", |d| {
        d.cell_mu
    });
    c.f("CELL_LOG10_B", "", "log10 Bayes factor of that cell", |d| {
        d.cell_log10_b
    });
    c.i("N_CELLS", "", "sky cells in the region", |d| {
        d.n_cells as i64
    });
    c.i("N_FRAMES", "", "flagged frames in the region", |d| {
        d.n_frames as i64
    });
}

/// Columns: the counts per camera, named by camera (COUNTS_PN, COUNTS_M1, COUNTS_M2).
fn camera_columns(c: &mut Columns, ctx: &OutputContext) {
    for ci in ctx.camera_order() {
        let cam = &ctx.cameras[ci];
        c.i(
            &format!("COUNTS_{}", cam.label),
            "ct",
            &format!(
                "band events of camera {} ({}) within the centroid aperture: in the flagged frames (peaks), in the region's other frames (eclipses)",
                cam.label, cam.instrume
            ),
            |d| d.counts_cam.get(ci).copied().unwrap_or(0) as i64,
        );
    }
}

/// Columns: the BTI and quality flags (paper Table 1).
fn flag_columns(c: &mut Columns) {
    c.b(
        "BTI",
        "the most significant frame is in a bad (flaring) time interval",
        |d| d.bti,
    );
    c.b(
        "FLAG_ISOLATED",
        "peak bin preceded and followed by 0-count bins",
        |d| d.flag_isolated,
    );
    c.b(
        "FLAG_LAST_BIN",
        "peak in the last frame with live time",
        |d| d.flag_last_bin,
    );
    c.b(
        "FLAG_LT5_MAX",
        "the light curve never reaches 5 counts in a bin",
        |d| d.flag_lt5_max,
    );
    c.b(
        "FLAG_CROWDED",
        "the observation has more than 20 detections",
        |d| d.flag_crowded,
    );
}

/// The keywords every HDU carries: the observation's facts, the time span `span` of the HDU's
/// data, provenance and the run's parameters. `object` replaces the observation's OBJECT.
fn common_keys(w: &mut FitsWriter, ctx: &OutputContext, span: (f64, f64), object: Option<&str>) {
    w.key("TELESCOP", ctx.telescope.as_str(), "mission");
    w.key("INSTRUME", ctx.instrume(), "cameras searched, joined by +");
    if let Some(o) = &ctx.obs_id {
        w.key("OBS_ID", o.as_str(), "observation identifier");
    }
    if let Some(o) = object.or(ctx.object.as_deref()) {
        w.key("OBJECT", o, "name of the observed object");
    }
    if let Some(d) = &ctx.date_obs {
        w.key("DATE-OBS", d.as_str(), "start of the observation (TIMESYS)");
    }
    match ctx.mjdref {
        Some(MjdRef::Single(m)) => w.key("MJDREF", m, "MJD of TIME = 0 (TIMESYS)"),
        Some(MjdRef::Split { integer, fraction }) => {
            w.key(
                "MJDREFI",
                integer as i64,
                "integer part of the MJD of TIME = 0",
            );
            w.key(
                "MJDREFF",
                fraction,
                "fractional part of the MJD of TIME = 0",
            );
        }
        None => {}
    }
    w.key(
        "TIMESYS",
        ctx.timesys.as_str(),
        "time system of TIME, TSTART, TSTOP",
    );
    w.key(
        "TIMEREF",
        ctx.timeref.as_str(),
        "reference frame of the times",
    );
    w.key(
        "TASSIGN",
        ctx.tassign.as_str(),
        "where the times are assigned",
    );
    w.key("TIMEUNIT", "s", "unit of TIME, TSTART, TSTOP, TIMEDEL");
    w.key("TSTART", span.0, "start of the data (mission time)");
    w.key("TSTOP", span.1, "end of the data (mission time)");
    w.key(
        "RADESYS",
        ctx.radesys.as_str(),
        "celestial frame of RA, Dec",
    );
    w.key("EQUINOX", ctx.equinox, "equinox of the celestial frame");
    if let Some([ra, dec, pa]) = ctx.pointing {
        w.key("RA_PNT", ra, "[deg] RA of the pointing");
        w.key("DEC_PNT", dec, "[deg] Dec of the pointing");
        w.key("PA_PNT", pa, "[deg] position angle (roll) of the pointing");
    }
    w.key(
        "CREATOR",
        ctx.creator.as_str(),
        "program that made the file",
    );
    w.key(
        "DATE",
        ctx.date.as_str(),
        "file creation (UTC) or SOURCE_DATE_EPOCH",
    );
    w.key("COMMAND", ctx.command.as_str(), "command line");
    for p in &ctx.params {
        w.key(&p.key, p.value.clone(), &p.comment);
    }
}

fn atomic_fits(
    dest: &Path,
    fill: impl FnOnce(&Path) -> Result<(), FitsWriteError>,
) -> Result<(), IoError> {
    crate::fits::write_atomic(dest, fill).map_err(|e| rerr(dest, format!("cfitsio: {e}")))
}

/// Write the files of a search into `out`: `detections.fits`, `detections.ecsv`,
/// `lightcurves.fits`, `image.fits` (0.2–12 keV counts of `obs` on its grid, with WCS) and
/// `regions.reg` (figures are drawn by `exod-plot`), their headers filled from `ctx`. Returns the
/// files written, in that order.
pub fn write_all(
    out: &Path,
    res: &SearchResult,
    obs: &Observation,
    ctx: &OutputContext,
) -> Result<Vec<PathBuf>, IoError> {
    std::fs::create_dir_all(out).map_err(|e| rerr(out, e))?;
    let dets = detection_table(&res.detections, ctx);
    let p_fits = out.join("detections.fits");
    atomic_fits(&p_fits, |tmp| write_detections(tmp, &dets, ctx))?;
    let p_ecsv = out.join("detections.ecsv");
    let meta: Vec<(String, KeyValue, String)> = ctx
        .ecsv_meta()
        .into_iter()
        .map(|(k, v)| (k, KeyValue::Str(v), String::new()))
        .collect();
    table::write_ecsv(&p_ecsv, &dets, &meta)?;
    let p_lc = out.join("lightcurves.fits");
    atomic_fits(&p_lc, |tmp| write_lightcurves(tmp, res, ctx))?;
    let p_img = out.join("image.fits");
    atomic_fits(&p_img, |tmp| write_image(tmp, obs, ctx))?;
    let p_reg = out.join("regions.reg");
    write_regions(&p_reg, &res.detections)?;
    Ok(vec![p_fits, p_ecsv, p_lc, p_img, p_reg])
}

fn write_detections(tmp: &Path, t: &Table, ctx: &OutputContext) -> Result<(), FitsWriteError> {
    let mut w = FitsWriter::create(tmp)?;
    w.empty_primary();
    common_keys(&mut w, ctx, (ctx.tstart, ctx.tstop), None);
    w.comment("exod transient detections: one row per detection in the DETECTIONS extension");
    w.checksum_placeholders(&ctx.date);
    w.table("DETECTIONS", &column_specs(t), t.n_rows());
    common_keys(&mut w, ctx, (ctx.tstart, ctx.tstop), None);
    w.checksum_placeholders(&ctx.date);
    write_columns(&mut w, t, 0);
    w.close()
}

/// The index table's columns for the curves `lcs`, the first being detection `det0` (the
/// `LIGHTCURVES` extension of `lightcurves.fits`).
pub fn lightcurve_table(lcs: &[LightCurve], det0: usize) -> Table {
    let total: usize = lcs.iter().map(|l| l.n.len()).sum();
    let mut det = Vec::with_capacity(total);
    let mut time = Vec::with_capacity(total);
    let mut n = Vec::with_capacity(total);
    let mut mu = Vec::with_capacity(total);
    let mut bti = Vec::with_capacity(total);
    let mut live = Vec::with_capacity(total);
    for (row, l) in lcs.iter().enumerate() {
        for k in 0..l.n.len() {
            det.push((det0 + row) as i64 + 1);
            time.push(l.t0 + k as f64 * l.tbin);
            n.push(l.n[k] as i64);
            mu.push(l.mu[k]);
            bti.push(l.bti[k]);
            live.push(l.live[k] as f64);
        }
    }
    let mut t = Table::new("LIGHTCURVES");
    t.i64(
        "DET",
        "",
        "1-based row of the detection in detections.fits",
        det,
    );
    t.tform("1J");
    t.f64("TIME", "s", "start of the frame (mission time)", time);
    t.i64("N", "ct", "observed counts over the region cells", n);
    t.tform("1J");
    t.f64("MU", "ct", "expected counts over the region cells", mu);
    t.bool("BTI", "frame in a bad (flaring) time interval", bti);
    t.f64(
        "LIVE",
        "",
        "mean live fraction of the region cells in the frame",
        live,
    );
    t
}

/// The OGIP RATE columns of one curve.
fn rate_fields(l: &LightCurve) -> Table {
    let n = l.n.len();
    let dt = l.tbin;
    let mut t = Table::new(&l.detid);
    t.f64(
        "TIME",
        "s",
        "centre of the bin (mission time; TIMEPIXR = 0.5, TIMEZERO = 0)",
        (0..n).map(|k| l.t0 + (k as f64 + 0.5) * dt).collect(),
    );
    t.f64(
        "RATE",
        "count/s",
        "COUNTS / TIMEDEL, not divided by FRACEXP (exposure-corrected rate: RATE / FRACEXP)",
        l.n.iter().map(|&c| c as f64 / dt).collect(),
    );
    t.f64(
        "ERROR",
        "count/s",
        "(1 + sqrt(COUNTS + 0.75)) / TIMEDEL: Gehrels (1986) 1-sigma upper error",
        l.n.iter()
            .map(|&c| (1.0 + (c as f64 + 0.75).sqrt()) / dt)
            .collect(),
    );
    t.f64(
        "FRACEXP",
        "",
        "fraction of the bin with live time (mean over the region's cells)",
        l.live.iter().map(|&x| x as f64).collect(),
    );
    t.i64(
        "COUNTS",
        "ct",
        "events of the detection's band in the region's cells",
        l.n.iter().map(|&c| c as i64).collect(),
    );
    t.tform("1J");
    t.f64(
        "MU",
        "ct",
        "expected counts mu of the region (exod's background and source model)",
        l.mu.clone(),
    );
    t.bool("BTI", "bin in a bad (flaring) time interval", l.bti.clone());
    t
}

/// One OGIP light-curve extension: detection `row` (1-based) and its curve.
fn write_rate_hdu(
    w: &mut FitsWriter,
    ctx: &OutputContext,
    row: usize,
    d: &Detection,
    l: &LightCurve,
) {
    let t = rate_fields(l);
    w.table(&d.detid, &column_specs(&t), l.n.len());
    w.key("HDUCLASS", "OGIP", "format conforms to OGIP standard");
    w.key("HDUCLAS1", "LIGHTCURVE", "light curve");
    w.key(
        "HDUCLAS2",
        "TOTAL",
        "source region counts, background not subtracted",
    );
    w.key("HDUCLAS3", "RATE", "RATE column in count/s");
    w.key("HDUVERS", "1.1.0", "version of the OGIP light-curve format");
    let t1 = l.t0 + l.n.len() as f64 * l.tbin;
    common_keys(w, ctx, (l.t0, t1), Some(&d.name));
    w.key("TIMEDEL", l.tbin, "bin size (s)");
    w.key("TIMEPIXR", 0.5, "TIME is the centre of the bin");
    w.key("TIMEZERO", 0.0, "added to TIME (s)");
    let exposure: f64 = l.live.iter().map(|&x| x as f64 * l.tbin).sum();
    w.key("EXPOSURE", exposure, "sum of FRACEXP x TIMEDEL (s)");
    w.key(
        "DETID",
        d.detid.as_str(),
        "detection id (DETID of detections.fits)",
    );
    w.key("DET", row, "row of the detection in detections.fits");
    w.key("KIND", d.kind.as_str(), "peak (burst) or eclipse (dip)");
    w.key("RA_OBJ", d.ra, "RA of the detection (deg, RADESYS)");
    w.key("DEC_OBJ", d.dec, "Dec of the detection (deg, RADESYS)");
    if let Some((lo, hi)) = d.band.split_once('-') {
        if let (Ok(lo), Ok(hi)) = (lo.parse::<f64>(), hi.parse::<f64>()) {
            w.key("E_MIN", lo, "lower edge of the band (keV)");
            w.key("E_MAX", hi, "upper edge of the band (keV)");
        }
    }
    w.key(
        "DET_SIG",
        d.sigma,
        "sigma-equivalent (SIGMA of detections.fits)",
    );
    w.checksum_placeholders(&ctx.date);
    write_columns(w, &t, 0);
}

/// `lightcurves.fits` (layout in the module doc), written as a stream: one curve at a time, and
/// the index table 64 curves at a time, so memory does not grow with the file.
fn write_lightcurves(
    tmp: &Path,
    res: &SearchResult,
    ctx: &OutputContext,
) -> Result<(), FitsWriteError> {
    let mut w = FitsWriter::create(tmp)?;
    w.empty_primary();
    common_keys(&mut w, ctx, (ctx.tstart, ctx.tstop), None);
    w.key(
        "NDET",
        res.detections.len(),
        "detections (light-curve extensions)",
    );
    w.comment("HDU k (k = 1..NDET) is the OGIP light curve of row k of detections.fits, EXTNAME = its DETID; the last HDU, LIGHTCURVES, holds every curve in one table (rows DET, TIME, N, MU, BTI, LIVE).");
    w.checksum_placeholders(&ctx.date);
    for (row, (d, l)) in res.detections.iter().zip(&res.lightcurves).enumerate() {
        write_rate_hdu(&mut w, ctx, row + 1, d, l);
    }
    w.table("LIGHTCURVES", &column_specs(&lightcurve_table(&[], 0)), 0);
    common_keys(&mut w, ctx, (ctx.tstart, ctx.tstop), None);
    w.checksum_placeholders(&ctx.date);
    let mut offset = 0;
    for (c, chunk) in res.lightcurves.chunks(64).enumerate() {
        write_columns(&mut w, &lightcurve_table(chunk, c * 64), offset);
        offset += chunk.iter().map(|l| l.n.len()).sum::<usize>();
    }
    w.close()
}

/// `image.fits`: full-band counts per cell (EPIC 0.2–12 keV) with the grid's WCS (see the
/// module doc).
fn write_image(tmp: &Path, obs: &Observation, ctx: &OutputContext) -> Result<(), FitsWriteError> {
    let g = obs.grid();
    let full = obs.full_band();
    let mut img = vec![0i32; g.n_cells()];
    for (&c, &e) in obs.cell().iter().zip(obs.energy()) {
        if full.contains(e) {
            img[c as usize] += 1;
        }
    }
    let p = g.wcs.params();
    let proj = match p.projection {
        Projection::Tan => "TAN",
        Projection::Sin => "SIN",
    };
    let mut w = FitsWriter::create(tmp)?;
    w.image_i32(g.nx, g.ny, &img);
    w.key(
        "BUNIT",
        "count",
        &format!("{} keV events per cell", full.label()),
    );
    w.key("WCSAXES", 2i64, "celestial WCS of the cells");
    w.key("CTYPE1", format!("RA---{proj}"), "right ascension");
    w.key("CTYPE2", format!("DEC--{proj}"), "declination");
    w.key("CUNIT1", "deg", "");
    w.key("CUNIT2", "deg", "");
    w.key(
        "CRPIX1",
        (p.crpix[0] - g.x0) / g.cell_px + 0.5,
        "reference pixel (the event list's)",
    );
    w.key(
        "CRPIX2",
        (p.crpix[1] - g.y0) / g.cell_px + 0.5,
        "reference pixel",
    );
    w.key("CRVAL1", p.crval[0], "RA of the reference pixel (deg)");
    w.key("CRVAL2", p.crval[1], "Dec of the reference pixel (deg)");
    w.key("CDELT1", p.cdelt[0] * g.cell_px, "cell size along X (deg)");
    w.key("CDELT2", p.cdelt[1] * g.cell_px, "cell size along Y (deg)");
    // DS9 physical coordinates: the sky pixels X/Y of the event list
    w.key("LTV1", 0.5 - g.x0 / g.cell_px, "image = LTM1_1 * X + LTV1");
    w.key("LTV2", 0.5 - g.y0 / g.cell_px, "image = LTM2_2 * Y + LTV2");
    w.key(
        "LTM1_1",
        1.0 / g.cell_px,
        "sky pixels per image pixel, inverted",
    );
    w.key("LTM2_2", 1.0 / g.cell_px, "");
    w.key("WCSNAMEP", "PHYSICAL", "sky pixels X/Y of the event list");
    w.key("CTYPE1P", "X", "");
    w.key("CTYPE2P", "Y", "");
    w.key("CRPIX1P", 0.5, "");
    w.key("CRPIX2P", 0.5, "");
    w.key("CRVAL1P", g.x0, "sky X of the lower edge of cell column 0");
    w.key("CRVAL2P", g.y0, "sky Y of the lower edge of cell row 0");
    w.key("CDELT1P", g.cell_px, "sky pixels per cell");
    w.key("CDELT2P", g.cell_px, "");
    w.key("CELLSIZE", g.cell_arcsec, "cell size (arcsec)");
    w.key("E_MIN", 0.2, "lower edge of the band (keV)");
    w.key("E_MAX", 12.0, "upper edge of the band (keV)");
    common_keys(&mut w, ctx, (ctx.tstart, ctx.tstop), None);
    w.comment("exod counts image: the search grid's cells; regions.reg (fk5) overlays on it");
    w.checksum_placeholders(&ctx.date);
    w.close()
}

/// DS9 regions (fk5): a circle per detection, red for peaks, cyan for eclipses.
fn write_regions(p: &Path, dets: &[Detection]) -> Result<(), IoError> {
    let mut reg =
        String::from("# Region file format: DS9 version 4.1\nglobal color=green width=2\nfk5\n");
    for d in dets {
        let color = if d.kind == Kind::Peak { "red" } else { "cyan" };
        reg.push_str(&format!(
            "circle({:.6},{:.6},{:.2}\") # color={color} text={{{} {}σ {}s {}}}\n",
            d.ra,
            d.dec,
            d.pos_err.max(5.0),
            d.kind.as_str(),
            (d.sigma * 10.0).round() / 10.0,
            d.tbin,
            d.band
        ));
    }
    crate::fits::write_atomic(p, |tmp| std::fs::write(tmp, reg.as_bytes())).map_err(|e| rerr(p, e))
}
