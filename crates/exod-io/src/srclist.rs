//! Source lists: the EPIC summary source list (pipeline `OBSMLI`, FITS: RA, DEC, EP_DET_ML,
//! EP_8_RATE or EP_TOT, EP_EXTENT) or a CSV with `ra`/`dec` columns (e.g. `ra_deg,dec_deg`).
//! Used to mask constant sources when building background templates (paper §2.5.2).

use std::path::Path;

pub use exod_core::source::Source;

use crate::error::IoError as EventsError;
use crate::fits::Fits;

/// Why (ra, dec) is not a sky position, if it is not: both finite, RA in [0, 360), |Dec| ≤ 90.
fn position_problem(ra: f64, dec: f64) -> Option<String> {
    if !ra.is_finite() {
        Some(format!(
            "RA = {ra} is not a finite number (expected degrees in [0, 360))"
        ))
    } else if !dec.is_finite() {
        Some(format!(
            "Dec = {dec} is not a finite number (expected degrees in [−90, 90])"
        ))
    } else if !(0.0..360.0).contains(&ra) {
        Some(format!("RA = {ra}° is outside [0, 360)"))
    } else if dec.abs() > 90.0 {
        Some(format!("Dec = {dec}° is outside [−90, 90]"))
    } else {
        None
    }
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
    for (index, name) in names.iter().enumerate().skip(1) {
        let is_table = f.hdus()[index].kind != crate::fits::HduKind::Image;
        if !is_table {
            continue;
        }
        f.select_index(index)?;
        let (Some((ra_c, _)), Some((dec_c, _))) = (f.column("RA")?, f.column("DEC")?) else {
            continue;
        };
        f.require_scalar_number(&ra_c, "source right ascensions in degrees")?;
        f.require_scalar_number(&dec_c, "source declinations in degrees")?;
        let ra: Vec<f64> = f.read_all(&ra_c)?;
        let dec: Vec<f64> = f.read_all(&dec_c)?;
        let opt = |f: &mut Fits, names: &[&str]| -> Result<Option<Vec<f64>>, EventsError> {
            for n in names {
                if let Some((c, _)) = f.column(n)? {
                    f.require_scalar_number(&c, "one number per source")?;
                    return Ok(Some(f.read_all(&c)?));
                }
            }
            Ok(None)
        };
        let ml = opt(&mut f, &["EP_DET_ML", "DET_ML"])?;
        let rate = opt(&mut f, &["EP_8_RATE", "EP_TOT", "RATE"])?;
        let ext = opt(&mut f, &["EP_EXTENT", "EXTENT"])?;
        let mut out = Vec::with_capacity(ra.len());
        // optional columns: a NaN is an undefined value (FITS convention), ±inf an error
        let opt_at =
            |v: &Option<Vec<f64>>, i: usize| v.as_ref().map(|v| v[i]).filter(|x| !x.is_nan());
        for i in 0..ra.len() {
            if let Some(why) = position_problem(ra[i], dec[i]) {
                return Err(EventsError::Invalid {
                    path: path.into(),
                    what: format!("{name} row {}: {why}: not a sky position", i + 1),
                });
            }
            let s = Source {
                ra: ra[i],
                dec: dec[i],
                det_ml: opt_at(&ml, i),
                rate: opt_at(&rate, i),
                extent: opt_at(&ext, i),
            };
            for (what, v) in [
                ("detection likelihood", s.det_ml),
                ("rate", s.rate),
                ("extent", s.extent),
            ] {
                if let Some(x) = v.filter(|x| x.is_infinite()) {
                    return Err(EventsError::Invalid {
                        path: path.into(),
                        what: format!(
                            "{name} row {}: {what} = {x}: expected a finite number",
                            i + 1
                        ),
                    });
                }
            }
            out.push(s);
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
        let text = || rec.iter().collect::<Vec<_>>().join(",");
        let num = |i: usize| rec.get(i).and_then(|v| v.parse::<f64>().ok());
        let (Some(ra), Some(dec)) = (num(ira), num(idec)) else {
            return Err(bad(format!(
                "line {line}: no valid ra/dec numbers in {:?}",
                text()
            )));
        };
        if let Some(why) = position_problem(ra, dec) {
            return Err(bad(format!(
                "line {line}: {why}: not a sky position ({:?})",
                text()
            )));
        }
        // rate: empty is absent; anything else must be a finite number ≥ 0
        let rate = match irate.and_then(|i| rec.get(i)).map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => match v.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Some(x),
                _ => {
                    return Err(bad(format!(
                        "line {line}: rate {v:?} is not a count rate (expected a finite number ≥ 0, or an empty field)"
                    )))
                }
            },
        };
        out.push(Source {
            ra,
            dec,
            det_ml: None,
            rate,
            extent: None,
        });
    }
    Ok(out)
}
