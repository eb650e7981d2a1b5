//! Reading back the outputs of searches for the catalogue (paper §3): the `DETECTIONS` table of
//! `detections.fits` (with the OBS_ID, MJDREF and RA_PNT/DEC_PNT/PA_PNT of its header) and the
//! `LIGHTCURVES` table of the `lightcurves.fits` beside it, as
//! [`exod_core::catalog::CatDetection`]s and their light curves.
//!
//! A folder given to [`find_detection_files`] is searched recursively for `detections.fits`
//! (the layout of `exod batch`: `OUT/runs/<obsid>_<k>/detections.fits`, or any tree of
//! `exod detect` outputs); staging folders of unfinished runs (names starting with `.`) are
//! skipped. Files are returned sorted, so the catalogue does not depend on the order the file
//! system lists them in.

use std::path::{Path, PathBuf};

use exod_core::catalog::{curve_stats, CatDetection, Pointing};
use exod_core::search::{Kind, LightCurve};

use crate::error::IoError;
use crate::fits::Fits;

/// The detections of one search and their light curves (same order; a curve is `None` when
/// `lightcurves.fits` is missing or does not hold it).
#[derive(Debug, Clone)]
pub struct RunDetections {
    /// The `detections.fits` read.
    pub path: PathBuf,
    /// One per row of the table.
    pub detections: Vec<CatDetection>,
    /// The light curve of each detection (`first_frame` is 0: the file does not store it).
    pub curves: Vec<Option<LightCurve>>,
}

/// Every `detections.fits` under `inputs` (files are taken as they are, folders searched
/// recursively), sorted and without repeats.
pub fn find_detection_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, IoError> {
    let mut out = Vec::new();
    for i in inputs {
        if i.is_dir() {
            walk(i, &mut out)?;
        } else if i.exists() {
            out.push(i.clone());
        } else {
            return Err(IoError::Invalid {
                path: i.clone(),
                what: "no such file or folder (expected detections.fits or a folder of search outputs)".into(),
            });
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IoError> {
    let entries = std::fs::read_dir(dir).map_err(|error| IoError::Io {
        path: dir.into(),
        error,
    })?;
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else if name == "detections.fits" {
            out.push(p);
        }
    }
    Ok(())
}

/// The observation unit of a DETID `<unit>_<band>_<tbin>_<rank>`.
fn unit_of(detid: &str) -> String {
    let parts: Vec<&str> = detid.rsplitn(4, '_').collect();
    parts.last().map(|s| s.to_string()).unwrap_or_default()
}

fn kind_of(s: &str, path: &Path) -> Result<Kind, IoError> {
    match s.trim() {
        "peak" => Ok(Kind::Peak),
        "eclipse" => Ok(Kind::Eclipse),
        other => Err(IoError::Invalid {
            path: path.into(),
            what: format!("KIND {other:?}: expected peak or eclipse"),
        }),
    }
}

/// Header facts of the DETECTIONS HDU.
struct Facts {
    obsid: Option<String>,
    mjdref: f64,
    pointing: Option<Pointing>,
}

fn facts(f: &mut Fits) -> Result<Facts, IoError> {
    let mjdref = match f.num("MJDREF", "MJD of time 0")? {
        Some(m) => m,
        None => {
            let i = f.num("MJDREFI", "integer MJD of time 0")?;
            let fr = f.num("MJDREFF", "fractional MJD of time 0")?;
            i.map_or(f64::NAN, |i| i + fr.unwrap_or(0.0))
        }
    };
    let p = (
        f.num("RA_PNT", "pointing RA (deg)")?,
        f.num("DEC_PNT", "pointing Dec (deg)")?,
        f.num("PA_PNT", "pointing roll (deg)")?,
    );
    let pointing = match p {
        (Some(ra), Some(dec), Some(pa)) => Some(Pointing { ra, dec, pa }),
        _ => None,
    };
    Ok(Facts {
        obsid: f.string("OBS_ID")?,
        mjdref,
        pointing,
    })
}

/// Read one `detections.fits` (and the `lightcurves.fits` in its folder, if there).
pub fn read_run(path: &Path) -> Result<RunDetections, IoError> {
    let mut f = Fits::open(path)?;
    f.select("DETECTIONS", "the table of exod detections")?;
    let h = facts(&mut f)?;
    let detid = f.read_strings("DETID")?;
    let kind = f.read_strings("KIND")?;
    let band = f.read_strings("BAND")?;
    let num = |f: &mut Fits, c: &str| f.read_all::<f64>(c);
    let (tbin, ra, dec, pos_err) = (
        num(&mut f, "TBIN")?,
        num(&mut f, "RA")?,
        num(&mut f, "DEC")?,
        num(&mut f, "POS_ERR")?,
    );
    let (sigma, rsig, rmu) = (
        num(&mut f, "SIGMA")?,
        num(&mut f, "REGION_SIGMA")?,
        num(&mut f, "REGION_MU")?,
    );
    let rn = f.read_all::<i64>("REGION_N")?;
    let (t0, t1) = (num(&mut f, "T_START")?, num(&mut f, "T_STOP")?);
    let (p0, p1) = (num(&mut f, "T_PEAK_START")?, num(&mut f, "T_PEAK_STOP")?);
    let bti = f.read_bools("BTI")?;
    let iso = f.read_bools("FLAG_ISOLATED")?;
    let last = f.read_bools("FLAG_LAST_BIN")?;
    let lt5 = f.read_bools("FLAG_LT5_MAX")?;
    let mut dets = Vec::with_capacity(detid.len());
    for i in 0..detid.len() {
        let unit = unit_of(&detid[i]);
        let obsid = h
            .obsid
            .clone()
            .unwrap_or_else(|| unit.split('_').next().unwrap_or("").to_string());
        dets.push(CatDetection {
            detid: detid[i].clone(),
            obsid,
            unit,
            kind: kind_of(&kind[i], path)?,
            band: band[i].clone(),
            tbin: tbin[i],
            ra: ra[i],
            dec: dec[i],
            pos_err: pos_err[i],
            sigma: sigma[i],
            region_sigma: rsig[i],
            region_n: rn[i].max(0) as u64,
            region_mu: rmu[i],
            t_start: t0[i],
            t_stop: t1[i],
            t_peak: 0.5 * (p0[i] + p1[i]),
            mjdref: h.mjdref,
            pointing: h.pointing,
            bti: bti[i],
            flag_isolated: iso[i],
            flag_last_bin: last[i],
            flag_lt5_max: lt5[i],
            curve: None,
        });
    }
    let lc_path = path.with_file_name("lightcurves.fits");
    let curves = if lc_path.exists() {
        read_curves(&lc_path, &dets)?
    } else {
        vec![None; dets.len()]
    };
    for (d, c) in dets.iter_mut().zip(&curves) {
        d.curve = c
            .as_ref()
            .map(|l| curve_stats(&l.n, &l.mu, &l.bti, &l.live, l.tbin));
    }
    Ok(RunDetections {
        path: path.into(),
        detections: dets,
        curves,
    })
}

/// The curves of the `LIGHTCURVES` table (rows DET, TIME, N, MU, BTI, LIVE; DET 1-based).
fn read_curves(path: &Path, dets: &[CatDetection]) -> Result<Vec<Option<LightCurve>>, IoError> {
    let mut f = Fits::open(path)?;
    f.select("LIGHTCURVES", "every light curve in one table")?;
    let det = f.read_all::<i64>("DET")?;
    let time = f.read_all::<f64>("TIME")?;
    let n = f.read_all::<i64>("N")?;
    let mu = f.read_all::<f64>("MU")?;
    let bti = f.read_bools("BTI")?;
    let live = f.read_all::<f32>("LIVE")?;
    let mut curves: Vec<Option<LightCurve>> = vec![None; dets.len()];
    for r in 0..det.len() {
        let k = det[r] - 1;
        if k < 0 || k as usize >= dets.len() {
            return Err(IoError::Invalid {
                path: path.into(),
                what: format!(
                    "LIGHTCURVES row {}: DET {} is not a row of detections.fits (1–{})",
                    r + 1,
                    det[r],
                    dets.len()
                ),
            });
        }
        let d = &dets[k as usize];
        let c = curves[k as usize].get_or_insert_with(|| LightCurve {
            detid: d.detid.clone(),
            t0: time[r],
            first_frame: 0,
            tbin: d.tbin,
            n: Vec::new(),
            mu: Vec::new(),
            bti: Vec::new(),
            live: Vec::new(),
        });
        c.n.push(n[r].clamp(0, u32::MAX as i64) as u32);
        c.mu.push(mu[r]);
        c.bti.push(bti[r]);
        c.live.push(live[r]);
    }
    Ok(curves)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_is_the_detid_without_band_tbin_and_rank() {
        assert_eq!(unit_of("0123456789_0_0.2-2_5_3"), "0123456789_0");
        assert_eq!(unit_of("0123456789_2-12_200_12"), "0123456789");
    }
}
