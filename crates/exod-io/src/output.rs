//! Outputs of a search: `detections.fits` and `detections.ecsv` (one row per detection, unit and
//! description on every column), `lightcurves.fits`, `regions.reg` (DS9, fk5), PNG light curves
//! and an image with the detections marked. Every file is written atomically.

use std::path::{Path, PathBuf};

use fitsio::tables::{ColumnDataType, ColumnDescription};

use exod_core::search::{Detection, Kind, SearchResult};

use crate::ecsv::{self, Column, Value};
use crate::error::IoError;

fn rerr(path: &Path, e: impl std::fmt::Display) -> IoError {
    IoError::output(path, e)
}

enum Col {
    F(Vec<f64>),
    I(Vec<i64>),
    S(Vec<String>, usize),
    B(Vec<bool>),
}

struct Field {
    name: &'static str,
    unit: &'static str,
    desc: &'static str,
    data: Col,
}

fn fields(dets: &[Detection]) -> Vec<Field> {
    let f = |name, unit, desc, get: &dyn Fn(&Detection) -> f64| Field {
        name,
        unit,
        desc,
        data: Col::F(dets.iter().map(get).collect()),
    };
    let i = |name, unit, desc, get: &dyn Fn(&Detection) -> i64| Field {
        name,
        unit,
        desc,
        data: Col::I(dets.iter().map(get).collect()),
    };
    let b = |name, desc, get: &dyn Fn(&Detection) -> bool| Field {
        name,
        unit: "",
        desc,
        data: Col::B(dets.iter().map(get).collect()),
    };
    let s = |name, desc, w, get: &dyn Fn(&Detection) -> String| Field {
        name,
        unit: "",
        desc,
        data: Col::S(dets.iter().map(get).collect(), w),
    };
    vec![
        s(
            "DETID",
            "unique detection id: obsid_band_tbin_rank",
            48,
            &|d| d.detid.clone(),
        ),
        s("NAME", "IAU-style name from the position", 24, &|d| {
            d.name.clone()
        }),
        s("KIND", "peak (burst) or eclipse (dip)", 8, &|d| {
            d.kind.as_str().into()
        }),
        s("BAND", "energy band (keV)", 10, &|d| d.band.clone()),
        f("TBIN", "s", "time bin of the run", &|d| d.tbin),
        f(
            "RA",
            "deg",
            "right ascension of the photon centroid (ICRS)",
            &|d| d.ra,
        ),
        f(
            "DEC",
            "deg",
            "declination of the photon centroid (ICRS)",
            &|d| d.dec,
        ),
        f(
            "POS_ERR",
            "arcsec",
            "1-sigma radial position error of the centroid",
            &|d| d.pos_err,
        ),
        f(
            "X",
            "pixel",
            "sky X of the centroid (0.05 arcsec pixels for XMM)",
            &|d| d.x,
        ),
        f("Y", "pixel", "sky Y of the centroid", &|d| d.y),
        f(
            "T_PEAK_START",
            "s",
            "start of the most significant frame (mission time)",
            &|d| d.t_peak_start,
        ),
        f(
            "T_PEAK_STOP",
            "s",
            "end of the most significant frame (mission time)",
            &|d| d.t_peak_stop,
        ),
        f("T_START", "s", "start of the first flagged frame", &|d| {
            d.t_start
        }),
        f("T_STOP", "s", "end of the last flagged frame", &|d| {
            d.t_stop
        }),
        f(
            "SIGMA",
            "",
            "sigma-equivalent (paper eqs. 8-10) of the most significant flagged cell: the statistic the run's --sigma applies to",
            &|d| d.sigma,
        ),
        i(
            "REGION_N",
            "ct",
            "observed counts summed over the region's cells in its most significant frame",
            &|d| d.region_n as i64,
        ),
        f(
            "REGION_MU",
            "ct",
            "expected counts summed over the region's cells in that frame",
            &|d| d.region_mu,
        ),
        f(
            "REGION_LOG10_B",
            "",
            "log10 Bayes factor (B_peak or B_eclipse) of REGION_N given REGION_MU",
            &|d| d.region_log10_b,
        ),
        f(
            "REGION_SIGMA",
            "",
            "sigma-equivalent of REGION_LOG10_B",
            &|d| d.region_sigma,
        ),
        f(
            "AMP_P16",
            "ct",
            "16% quantile of the transient amplitude of the region sum (eqs. 11-12)",
            &|d| d.amp_p16,
        ),
        f("AMP_P50", "ct", "median transient amplitude", &|d| {
            d.amp_p50
        }),
        f(
            "AMP_P84",
            "ct",
            "84% quantile of the transient amplitude",
            &|d| d.amp_p84,
        ),
        i(
            "CELL_N",
            "ct",
            "counts of the most significant flagged (cell, frame); its frame may differ from the region's",
            &|d| d.cell_n as i64,
        ),
        f("CELL_MU", "ct", "expected counts of that cell", &|d| {
            d.cell_mu
        }),
        f(
            "CELL_LOG10_B",
            "",
            "log10 Bayes factor of that cell",
            &|d| d.cell_log10_b,
        ),
        i("N_CELLS", "", "sky cells in the region", &|d| {
            d.n_cells as i64
        }),
        i("N_FRAMES", "", "flagged frames in the region", &|d| {
            d.n_frames as i64
        }),
        i(
            "COUNTS_CAM1",
            "ct",
            "events within the centroid aperture in flagged frames, first camera",
            &|d| d.counts_cam.first().copied().unwrap_or(0) as i64,
        ),
        i("COUNTS_CAM2", "ct", "same, second camera", &|d| {
            d.counts_cam.get(1).copied().unwrap_or(0) as i64
        }),
        i("COUNTS_CAM3", "ct", "same, third camera", &|d| {
            d.counts_cam.get(2).copied().unwrap_or(0) as i64
        }),
        b(
            "BTI",
            "the most significant frame is in a bad (flaring) time interval",
            &|d| d.bti,
        ),
        b(
            "FLAG_ISOLATED",
            "peak bin preceded and followed by 0-count bins",
            &|d| d.flag_isolated,
        ),
        b(
            "FLAG_LAST_BIN",
            "peak in the last frame with live time",
            &|d| d.flag_last_bin,
        ),
        b(
            "FLAG_LT5_MAX",
            "the light curve never reaches 5 counts in a bin",
            &|d| d.flag_lt5_max,
        ),
        b(
            "FLAG_CROWDED",
            "the observation has more than 20 detections",
            &|d| d.flag_crowded,
        ),
    ]
}

fn write_fits_table(
    tmp: &Path,
    extname: &str,
    flds: &[Field],
    keys: &[(&str, String)],
) -> Result<(), fitsio::errors::Error> {
    let (mut f, hdu) = create_fits_table(tmp, extname, flds, keys)?;
    for fl in flds {
        match &fl.data {
            Col::F(v) => hdu.write_col(&mut f, fl.name, v)?,
            Col::I(v) => hdu.write_col(&mut f, fl.name, v)?,
            Col::S(v, _) => hdu.write_col(&mut f, fl.name, v)?,
            Col::B(v) => hdu.write_col(
                &mut f,
                fl.name,
                &v.iter().map(|&b| b as u8).collect::<Vec<u8>>(),
            )?,
        };
    }
    Ok(())
}

/// A binary table with the columns of `flds` (their data is not written), units, descriptions
/// and keywords.
fn create_fits_table(
    tmp: &Path,
    extname: &str,
    flds: &[Field],
    keys: &[(&str, String)],
) -> Result<(fitsio::FitsFile, fitsio::hdu::FitsHdu), fitsio::errors::Error> {
    let mut f = fitsio::FitsFile::create(tmp).open()?;
    let descs: Vec<_> = flds
        .iter()
        .map(|fl| {
            let mut d = ColumnDescription::new(fl.name);
            match &fl.data {
                Col::F(_) => d.with_type(ColumnDataType::Double),
                Col::I(_) => d.with_type(ColumnDataType::Long),
                Col::S(_, w) => d.with_type(ColumnDataType::String).that_repeats(*w),
                Col::B(_) => d.with_type(ColumnDataType::Byte),
            };
            d.create()
        })
        .collect::<Result<_, _>>()?;
    let hdu = f.create_table(extname, &descs)?;
    for (k, fl) in flds.iter().enumerate() {
        if !fl.unit.is_empty() {
            hdu.write_key(&mut f, &format!("TUNIT{}", k + 1), fl.unit)?;
        }
        hdu.write_key(&mut f, &format!("TCOMM{}", k + 1), fl.desc)?;
    }
    for (k, v) in keys {
        hdu.write_key(&mut f, k, v.as_str())?;
    }
    Ok((f, hdu))
}

/// Write the numeric columns of `flds` at rows `offset..` of an open table.
fn write_rows(
    f: &mut fitsio::FitsFile,
    hdu: &fitsio::hdu::FitsHdu,
    flds: &[Field],
    offset: usize,
) -> Result<(), fitsio::errors::Error> {
    for fl in flds {
        match &fl.data {
            Col::F(v) => hdu.write_col_range(f, fl.name, v, &(offset..offset + v.len()))?,
            Col::I(v) => hdu.write_col_range(f, fl.name, v, &(offset..offset + v.len()))?,
            Col::B(v) => {
                let b: Vec<u8> = v.iter().map(|&b| b as u8).collect();
                hdu.write_col_range(f, fl.name, &b, &(offset..offset + b.len()))?
            }
            Col::S(..) => unreachable!("light-curve tables have no string column"),
        };
    }
    Ok(())
}

fn atomic_fits(
    dest: &Path,
    fill: impl FnOnce(&Path) -> Result<(), fitsio::errors::Error>,
) -> Result<(), IoError> {
    let tmp = dest.with_extension("tmp.fits");
    let _ = std::fs::remove_file(&tmp);
    fill(&tmp).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        rerr(dest, format!("cfitsio: {e}"))
    })?;
    std::fs::rename(&tmp, dest).map_err(|e| rerr(dest, e))
}

/// Write the tables of a search into `out`: `detections.fits`, `detections.ecsv`,
/// `lightcurves.fits` and `regions.reg` (figures are drawn by `exod-plot`). Returns the files
/// written, in that order.
pub fn write_all(
    out: &Path,
    res: &SearchResult,
    meta: &[(&str, String)],
) -> Result<Vec<PathBuf>, IoError> {
    std::fs::create_dir_all(out).map_err(|e| rerr(out, e))?;
    let flds = fields(&res.detections);
    let p_fits = out.join("detections.fits");
    atomic_fits(&p_fits, |tmp| write_fits_table(tmp, "DETECTIONS", &flds, meta))?;
    let p_ecsv = out.join("detections.ecsv");
    write_ecsv(&p_ecsv, &flds, res.detections.len(), meta)?;
    let p_lc = out.join("lightcurves.fits");
    atomic_fits(&p_lc, |tmp| write_lightcurves(tmp, res, meta))?;
    let p_reg = out.join("regions.reg");
    write_regions(&p_reg, &res.detections)?;
    Ok(vec![p_fits, p_ecsv, p_lc, p_reg])
}

/// The detection table as ECSV (same columns, units and descriptions as the FITS table).
fn write_ecsv(p: &Path, flds: &[Field], n_rows: usize, meta: &[(&str, String)]) -> Result<(), IoError> {
    let cols: Vec<Column> = flds
        .iter()
        .map(|fl| {
            let dt = match fl.data {
                Col::F(_) => "float64",
                Col::I(_) => "int64",
                Col::S(..) => "string",
                Col::B(_) => "bool",
            };
            Column::new(fl.name, dt, (!fl.unit.is_empty()).then_some(fl.unit), fl.desc)
        })
        .collect();
    let rows: Vec<Vec<Value>> = (0..n_rows)
        .map(|r| {
            flds.iter()
                .map(|fl| match &fl.data {
                    Col::F(v) => Value::F(v[r]),
                    Col::I(v) => Value::I(v[r]),
                    Col::S(v, _) => Value::S(v[r].clone()),
                    Col::B(v) => Value::B(v[r]),
                })
                .collect()
        })
        .collect();
    ecsv::write(p, &cols, &rows, meta).map_err(|e| rerr(p, e))
}

/// The light-curve table's columns for the curves `lcs`, the first being detection `det0`.
fn lightcurve_fields(lcs: &[exod_core::search::LightCurve], det0: usize) -> Vec<Field> {
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
    let field = |name, unit, desc, data| Field { name, unit, desc, data };
    vec![
        field("DET", "", "1-based row of the detection in detections.fits", Col::I(det)),
        field("TIME", "s", "start of the frame (mission time)", Col::F(time)),
        field("N", "ct", "observed counts over the region cells", Col::I(n)),
        field("MU", "ct", "expected counts over the region cells", Col::F(mu)),
        field("BTI", "", "frame in a bad (flaring) time interval", Col::B(bti)),
        field("LIVE", "", "mean live fraction of the region cells in the frame", Col::F(live)),
    ]
}

/// The light curves as one table, rows of (DET, TIME, N, MU, BTI, LIVE); DET is the 1-based row
/// of the detection in detections.fits, whose DETID names it. Written as a stream, 64 curves at
/// a time, so memory does not grow with the table.
fn write_lightcurves(tmp: &Path, res: &SearchResult, meta: &[(&str, String)]) -> Result<(), fitsio::errors::Error> {
    let (mut f, hdu) = create_fits_table(tmp, "LIGHTCURVES", &lightcurve_fields(&[], 0), meta)?;
    let mut offset = 0;
    for (c, chunk) in res.lightcurves.chunks(64).enumerate() {
        let flds = lightcurve_fields(chunk, c * 64);
        write_rows(&mut f, &hdu, &flds, offset)?;
        offset += chunk.iter().map(|l| l.n.len()).sum::<usize>();
    }
    Ok(())
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
