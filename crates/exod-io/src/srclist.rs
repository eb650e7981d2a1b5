//! Source lists: the EPIC summary source list (pipeline `OBSMLI`, FITS: RA, DEC, EP_DET_ML,
//! EP_8_RATE or EP_TOT, EP_EXTENT) or a CSV with `ra`/`dec` columns (e.g. `ra_deg,dec_deg`).
//! Used to mask constant sources when building background templates (paper §2.5.2).

use std::path::Path;

pub use exod_core::source::Source;

use crate::error::IoError as EventsError;
use crate::fits::Fits;

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

/// A CSV source list (a real CSV parser: quoted fields, `#` comment lines, blank lines).
fn read_csv(path: &Path) -> Result<Vec<Source>, EventsError> {
    let bad = |what: String| EventsError::Invalid {
        path: path.into(),
        what,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| bad(format!("cannot read as CSV: {e}")))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| bad(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let find = |cands: &[&str]| header.iter().position(|h| cands.contains(&h.as_str()));
    let (Some(ira), Some(idec)) = (
        find(&["ra", "ra_deg", "raj2000"]),
        find(&["dec", "dec_deg", "dej2000"]),
    ) else {
        return Err(bad(format!(
            "CSV header {header:?} has no ra/dec columns (expected ra or ra_deg, dec or dec_deg)"
        )));
    };
    let irate = find(&["rate", "ep_8_rate"]);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| bad(format!("not valid CSV: {e}")))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let num = |i: usize| rec.get(i).and_then(|v| v.parse::<f64>().ok());
        match (num(ira), num(idec)) {
            (Some(ra), Some(dec)) if dec.abs() <= 90.0 => out.push(Source {
                ra,
                dec,
                det_ml: None,
                rate: irate.and_then(num),
                extent: None,
            }),
            _ => {
                return Err(bad(format!(
                    "line {line}: no valid ra/dec numbers in {:?}",
                    rec.iter().collect::<Vec<_>>().join(",")
                )))
            }
        }
    }
    Ok(out)
}
