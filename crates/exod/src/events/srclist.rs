//! Source lists: the EPIC summary source list (pipeline `OBSMLI`, FITS: RA, DEC, EP_DET_ML,
//! EP_8_RATE or EP_TOT, EP_EXTENT) or a CSV with `ra`/`dec` columns (e.g. `ra_deg,dec_deg`).
//! Used to mask constant sources when building background templates (paper §2.5.2).

use std::path::Path;

use crate::fits::Fits;

use super::EventsError;

/// One catalogued source.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Source {
    pub ra: f64,
    pub dec: f64,
    /// Detection likelihood (EP_DET_ML), if given.
    pub det_ml: Option<f64>,
    /// 0.2–12 keV EPIC count rate (ct/s; EP_8_RATE, else EP_TOT as EXOD2 reads it), if given.
    pub rate: Option<f64>,
    /// Extent (arcsec; 0 = point-like), if given.
    pub extent: Option<f64>,
}

/// Read a source list, FITS (first table with RA/DEC) or CSV (by extension `.csv`).
pub fn read_sources(path: &Path) -> Result<Vec<Source>, EventsError> {
    let is_csv = path
        .extension()
        .map(|e| e.eq_ignore_ascii_case("csv"))
        .unwrap_or(false);
    if is_csv {
        return read_csv(path);
    }
    let mut f = Fits::open(path)?;
    let names = f.hdu_names();
    for name in names.iter().skip(1) {
        f.select(name, "a source table")?;
        if f.table_info().is_err() {
            continue;
        }
        let (Some((ra_c, _)), Some((dec_c, _))) = (f.column("RA")?, f.column("DEC")?) else {
            continue;
        };
        let ra: Vec<f64> = f.read_all(&ra_c)?;
        let dec: Vec<f64> = f.read_all(&dec_c)?;
        let opt = |f: &mut Fits, names: &[&str]| -> Result<Option<Vec<f64>>, EventsError> {
            for n in names {
                if let Some((c, _)) = f.column(n)? {
                    return Ok(Some(f.read_all(&c)?));
                }
            }
            Ok(None)
        };
        let ml = opt(&mut f, &["EP_DET_ML", "DET_ML"])?;
        let rate = opt(&mut f, &["EP_8_RATE", "EP_TOT", "RATE"])?;
        let ext = opt(&mut f, &["EP_EXTENT", "EXTENT"])?;
        let mut out = Vec::with_capacity(ra.len());
        for i in 0..ra.len() {
            if !(ra[i].is_finite() && dec[i].is_finite() && dec[i].abs() <= 90.0) {
                return Err(EventsError::Invalid {
                    path: path.into(),
                    what: format!(
                        "{name} row {}: RA/DEC = {}/{} is not a sky position",
                        i + 1,
                        ra[i],
                        dec[i]
                    ),
                });
            }
            out.push(Source {
                ra: ra[i],
                dec: dec[i],
                det_ml: ml.as_ref().map(|v| v[i]),
                rate: rate.as_ref().map(|v| v[i]),
                extent: ext.as_ref().map(|v| v[i]),
            });
        }
        return Ok(out);
    }
    Err(EventsError::Invalid {
        path: path.into(),
        what: "no table with RA and DEC columns (expected an EPIC OBSMLI source list)".into(),
    })
}

fn read_csv(path: &Path) -> Result<Vec<Source>, EventsError> {
    let text = std::fs::read_to_string(path).map_err(|source| EventsError::Io {
        path: path.into(),
        source,
    })?;
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let find = |cands: &[&str]| header.iter().position(|h| cands.contains(&h.as_str()));
    let (Some(ira), Some(idec)) = (
        find(&["ra", "ra_deg", "raj2000"]),
        find(&["dec", "dec_deg", "dej2000"]),
    ) else {
        return Err(EventsError::Invalid {
            path: path.into(),
            what: format!("CSV header {header:?} has no ra/dec columns (expected ra or ra_deg, dec or dec_deg)"),
        });
    };
    let irate = find(&["rate", "ep_8_rate"]);
    let mut out = Vec::new();
    for (k, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f.get(i).and_then(|v| v.trim().parse::<f64>().ok());
        match (num(ira), num(idec)) {
            (Some(ra), Some(dec)) if dec.abs() <= 90.0 => out.push(Source {
                ra,
                dec,
                det_ml: None,
                rate: irate.and_then(num),
                extent: None,
            }),
            _ => {
                return Err(EventsError::Invalid {
                    path: path.into(),
                    what: format!("line {}: no valid ra/dec numbers in {line:?}", k + 2),
                })
            }
        }
    }
    Ok(out)
}
