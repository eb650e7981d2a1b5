//! OGIP spectra (PHA type I, OGIP/92-007 and CAL/GEN/92-002) and ancillary responses written by
//! `exod spectrum`, through [`crate::table`] (atomic writes: a temporary file renamed into
//! place; `CHECKSUM`/`DATASUM` on every HDU). `fitsverify` passes on both (tests).
//!
//! ## PHA layout
//!
//! HDU 0: primary, no data. HDU 1 `SPECTRUM`: columns `CHANNEL` (`1J`), `COUNTS` (`1J`,
//! count), and when given `QUALITY` (`1I`: 0 good, 1 bad, 2 dubious, 5 set bad by the user) and
//! `GROUPING` (`1I`: 1 starts a group, −1 continues it). Keywords: `HDUCLASS = 'OGIP'`,
//! `HDUCLAS1 = 'SPECTRUM'`, `HDUVERS = '1.2.1'`, `HDUCLAS2 = 'TOTAL'` (source) or `'BKG'`,
//! `HDUCLAS3 = 'COUNT'`, `CHANTYPE = 'PI'`, `DETCHANS`, `TLMIN1`/`TLMAX1`, `TELESCOP`,
//! `INSTRUME`, `FILTER`, `EXPOSURE` (live time, s), `ONTIME` (good time, s), `BACKSCAL`,
//! `AREASCAL`, `CORRSCAL`, `BACKFILE`, `RESPFILE`, `ANCRFILE`, `CORRFILE` (`'none'` when
//! none), `POISSERR = T`, `SYS_ERR = 0`, `OBJECT`, `RA_OBJ`/`DEC_OBJ`, `TSTART`/`TSTOP`,
//! `MJDREF`, `DATE`, `CREATOR`, `COMMAND`, then any extra keywords (the aperture).
//!
//! ## ARF layout
//!
//! HDU 1 `SPECRESP`: `ENERG_LO`, `ENERG_HI` (`1E`, keV), `SPECRESP` (`1E`, cm²);
//! `HDUCLASS = 'OGIP'`, `HDUCLAS1 = 'RESPONSE'`, `HDUCLAS2 = 'SPECRESP'`, `HDUVERS = '1.1.0'`.

use std::path::Path;

use crate::context::{KeyValue, MjdRef};
use crate::error::IoError;
use crate::table::{self, Table};

/// Header keywords: (key, value, comment).
pub type Keywords = Vec<(String, KeyValue, String)>;

/// Source (`HDUCLAS2 = 'TOTAL'`) or background (`'BKG'`) spectrum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaKind {
    /// Source + background counts of the source region.
    Total,
    /// Counts of the background region.
    Background,
}

/// The channels of a spectrum.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PhaData {
    /// Number of the first channel (0 for XMM SAS spectra and responses).
    pub first_channel: i64,
    /// Counts per channel.
    pub counts: Vec<i64>,
    /// QUALITY per channel (None: no column, every channel good).
    pub quality: Option<Vec<i32>>,
    /// GROUPING per channel (None: no column, no grouping).
    pub grouping: Option<Vec<i32>>,
}

/// The keywords of a spectrum (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct PhaMeta {
    /// TOTAL or BKG.
    pub kind: PhaKind,
    /// TELESCOP.
    pub telescope: String,
    /// INSTRUME (EPN, EMOS1, EMOS2).
    pub instrume: String,
    /// FILTER (default `'NONE'` when unknown).
    pub filter: String,
    /// OBJECT.
    pub object: String,
    /// RA of the target (deg).
    pub ra_obj: f64,
    /// Dec of the target (deg).
    pub dec_obj: f64,
    /// EXPOSURE: live time (s).
    pub exposure: f64,
    /// ONTIME: good time (s).
    pub ontime: f64,
    /// BACKSCAL: the region's area (sky pixels², SAS `backscale` convention).
    pub backscal: f64,
    /// AREASCAL (1 for extracted spectra).
    pub areascal: f64,
    /// CORRSCAL (0: no correction file).
    pub corrscal: f64,
    /// BACKFILE (`none` when none).
    pub backfile: String,
    /// RESPFILE.
    pub respfile: String,
    /// ANCRFILE.
    pub ancrfile: String,
    /// CORRFILE.
    pub corrfile: String,
    /// TSTART (mission s).
    pub tstart: f64,
    /// TSTOP (mission s).
    pub tstop: f64,
    /// MJDREF as the event lists wrote it.
    pub mjdref: Option<MjdRef>,
    /// Provenance (CREATOR, DATE, COMMAND: [`crate::table::provenance`]).
    pub provenance: Keywords,
    /// DATE (also in the checksum comments).
    pub date: String,
    /// Any further keywords (aperture, CCD, live fraction…).
    pub extra: Keywords,
}

fn bad(path: &Path, what: String) -> IoError {
    IoError::output(path, what)
}

/// Check `d` and `m` before anything is written.
fn validate(path: &Path, d: &PhaData, m: &PhaMeta) -> Result<(), IoError> {
    let n = d.counts.len();
    if n == 0 {
        return Err(bad(path, "no channel to write".into()));
    }
    if let Some(c) = d
        .counts
        .iter()
        .find(|&&c| !(0..=i32::MAX as i64).contains(&c))
    {
        return Err(bad(
            path,
            format!("{c} counts in a channel: expected 0 ≤ counts < 2³¹"),
        ));
    }
    for (name, col) in [("QUALITY", &d.quality), ("GROUPING", &d.grouping)] {
        if let Some(v) = col {
            if v.len() != n {
                return Err(bad(
                    path,
                    format!(
                        "{} {name} values for {n} channels: expected one per channel",
                        v.len()
                    ),
                ));
            }
        }
    }
    if let Some(g) = &d.grouping {
        if let Some(x) = g.iter().find(|x| ![1, -1, 0].contains(*x)) {
            return Err(bad(
                path,
                format!("GROUPING value {x}: expected 1, -1 or 0"),
            ));
        }
    }
    let positive = |x: f64| x.is_finite() && x > 0.0;
    for (k, v) in [
        ("EXPOSURE", m.exposure),
        ("BACKSCAL", m.backscal),
        ("AREASCAL", m.areascal),
    ] {
        if !positive(v) {
            return Err(bad(path, format!("{k} = {v}: expected a positive number")));
        }
    }
    if !(m.ontime.is_finite() && m.ontime >= m.exposure * (1.0 - 1e-12)) {
        return Err(bad(
            path,
            format!(
                "ONTIME = {} below EXPOSURE = {}: expected ONTIME ≥ EXPOSURE",
                m.ontime, m.exposure
            ),
        ));
    }
    if !(m.tstop >= m.tstart) {
        return Err(bad(
            path,
            format!("TSTART {} after TSTOP {}", m.tstart, m.tstop),
        ));
    }
    Ok(())
}

fn or_none(s: &str) -> String {
    if s.trim().is_empty() {
        "none".into()
    } else {
        s.to_string()
    }
}

/// The SPECTRUM table of `d` with the keywords of `m` (module docs).
pub fn spectrum_table(d: &PhaData, m: &PhaMeta) -> Table {
    let n = d.counts.len() as i64;
    let mut t = Table::new("SPECTRUM");
    t.i64(
        "CHANNEL",
        "",
        "PI channel",
        (d.first_channel..d.first_channel + n).collect(),
    );
    t.tform("1J");
    t.i64("COUNTS", "count", "events in the channel", d.counts.clone());
    t.tform("1J");
    if let Some(q) = &d.quality {
        let v = q.iter().map(|&x| x as i64).collect();
        t.i64("QUALITY", "", "0 good, 1 bad, 2 dubious, 5 bad (user)", v);
        t.tform("1I");
    }
    if let Some(g) = &d.grouping {
        let v = g.iter().map(|&x| x as i64).collect();
        t.i64("GROUPING", "", "1 starts a group, -1 continues it", v);
        t.tform("1I");
    }
    let (class2, what) = match m.kind {
        PhaKind::Total => ("TOTAL", "source + background counts"),
        PhaKind::Background => ("BKG", "background counts"),
    };
    t.keyword("HDUCLASS", "OGIP", "format conforms to OGIP standard");
    t.keyword("HDUCLAS1", "SPECTRUM", "PHA spectrum");
    t.keyword("HDUVERS", "1.2.1", "version of the OGIP PHA format");
    t.keyword("HDUCLAS2", class2, what);
    t.keyword("HDUCLAS3", "COUNT", "COUNTS column, not RATE");
    t.keyword("HDUCLAS4", "TYPE:I", "single spectrum");
    t.keyword("CHANTYPE", "PI", "channels are PI");
    t.keyword("DETCHANS", n, "number of channels");
    t.keyword("TLMIN1", d.first_channel, "first channel");
    t.keyword("TLMAX1", d.first_channel + n - 1, "last channel");
    t.keyword("TELESCOP", m.telescope.as_str(), "mission");
    t.keyword("INSTRUME", m.instrume.as_str(), "camera");
    t.keyword("FILTER", or_none(&m.filter).to_uppercase(), "filter");
    t.keyword("OBJECT", m.object.as_str(), "name of the target");
    t.keyword("RA_OBJ", m.ra_obj, "[deg] RA of the target");
    t.keyword("DEC_OBJ", m.dec_obj, "[deg] Dec of the target");
    t.keyword("EXPOSURE", m.exposure, "[s] live time");
    t.keyword("ONTIME", m.ontime, "[s] good time (before dead time)");
    t.keyword(
        "BACKSCAL",
        m.backscal,
        "region area (sky pixels^2, as SAS backscale)",
    );
    t.keyword("AREASCAL", m.areascal, "area scaling factor");
    t.keyword("CORRSCAL", m.corrscal, "correction file scaling");
    t.keyword("BACKFILE", or_none(&m.backfile), "background spectrum");
    t.keyword("RESPFILE", or_none(&m.respfile), "redistribution matrix");
    t.keyword("ANCRFILE", or_none(&m.ancrfile), "ancillary response");
    t.keyword("CORRFILE", or_none(&m.corrfile), "correction file");
    t.keyword("POISSERR", true, "Poisson errors");
    t.keyword("SYS_ERR", 0.0, "no systematic error");
    t.keyword(
        "GROUPING",
        i64::from(d.grouping.is_some()),
        "1: GROUPING column present",
    );
    t.keyword(
        "QUALITY",
        i64::from(d.quality.is_none()) - 1,
        "0: all good; -1: QUALITY column",
    );
    t.keyword("TSTART", m.tstart, "[s] start (mission time)");
    t.keyword("TSTOP", m.tstop, "[s] stop (mission time)");
    match m.mjdref {
        Some(MjdRef::Single(v)) => t.keyword("MJDREF", v, "MJD of time 0"),
        Some(MjdRef::Split { integer, fraction }) => {
            t.keyword("MJDREFI", integer as i64, "integer MJD of time 0");
            t.keyword("MJDREFF", fraction, "fractional MJD of time 0");
        }
        None => {}
    }
    t.keywords.extend(m.extra.iter().cloned());
    t
}

/// Write the spectrum `d` with the keywords `m` at `path` (module docs): checked first, then
/// written to a temporary file renamed into place, so a failure leaves nothing behind.
pub fn write_pha(path: &Path, d: &PhaData, m: &PhaMeta) -> Result<(), IoError> {
    validate(path, d, m)?;
    let t = spectrum_table(d, m);
    table::write_fits(path, &[&t], &m.provenance, &m.date)
}

/// An ancillary response to write: bins (keV) and effective area (cm²).
#[derive(Debug, Clone, PartialEq)]
pub struct ArfData {
    /// Lower bin edges (keV).
    pub energ_lo: Vec<f64>,
    /// Upper bin edges (keV).
    pub energ_hi: Vec<f64>,
    /// Effective area (cm²).
    pub specresp: Vec<f64>,
}

/// Write an OGIP ARF (module docs) at `path`; `keywords` go to every HDU (TELESCOP, INSTRUME,
/// FILTER, provenance…).
pub fn write_arf(path: &Path, a: &ArfData, keywords: &Keywords, date: &str) -> Result<(), IoError> {
    let n = a.specresp.len();
    if n == 0 || a.energ_lo.len() != n || a.energ_hi.len() != n {
        return Err(bad(
            path,
            format!(
                "{} ENERG_LO, {} ENERG_HI, {n} SPECRESP: expected equal, non-zero counts",
                a.energ_lo.len(),
                a.energ_hi.len()
            ),
        ));
    }
    if let Some(x) = a.specresp.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
        return Err(bad(path, format!("SPECRESP value {x}: expected ≥ 0 cm²")));
    }
    let mut t = Table::new("SPECRESP");
    t.f64(
        "ENERG_LO",
        "keV",
        "lower edge of the energy bin",
        a.energ_lo.clone(),
    );
    t.tform("1E");
    t.f64(
        "ENERG_HI",
        "keV",
        "upper edge of the energy bin",
        a.energ_hi.clone(),
    );
    t.tform("1E");
    t.f64("SPECRESP", "cm**2", "effective area", a.specresp.clone());
    t.tform("1E");
    t.keyword("HDUCLASS", "OGIP", "format conforms to OGIP standard");
    t.keyword("HDUCLAS1", "RESPONSE", "response");
    t.keyword("HDUCLAS2", "SPECRESP", "effective area");
    t.keyword("HDUVERS", "1.1.0", "version of the OGIP ARF format");
    table::write_fits(path, &[&t], keywords, date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fits::Fits;

    fn meta(kind: PhaKind) -> PhaMeta {
        PhaMeta {
            kind,
            telescope: "XMM".into(),
            instrume: "EPN".into(),
            filter: "Medium".into(),
            object: "test source".into(),
            ra_obj: 150.1,
            dec_obj: 2.2,
            exposure: 9500.0,
            ontime: 10000.0,
            backscal: 1.2e6,
            areascal: 1.0,
            corrscal: 0.0,
            backfile: "x_bkg.pha".into(),
            respfile: "x.rmf".into(),
            ancrfile: "".into(),
            corrfile: "".into(),
            tstart: 1e8,
            tstop: 1e8 + 10000.0,
            mjdref: Some(MjdRef::Single(50814.0)),
            provenance: table::provenance("2000-01-01T00:00:00", "exod spectrum test"),
            date: "2000-01-01T00:00:00".into(),
            extra: vec![("SRC_RAD".into(), 20.0.into(), "[arcsec] radius".into())],
        }
    }

    fn fitsverify_clean(path: &Path) {
        let Ok(o) = std::process::Command::new("fitsverify").arg(path).output() else {
            eprintln!("fitsverify not installed: skipped");
            return;
        };
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("0 warnings and 0 errors") || text.contains("0 error(s)"),
            "{text}"
        );
    }

    #[test]
    fn a_spectrum_reads_back_with_its_keywords_and_passes_fitsverify() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x_src.pha");
        let counts: Vec<i64> = (0..4096).map(|c| (c % 7) as i64).collect();
        let d = PhaData {
            first_channel: 0,
            counts: counts.clone(),
            quality: Some(vec![0; 4096]),
            grouping: Some((0..4096).map(|c| if c % 4 == 0 { 1 } else { -1 }).collect()),
        };
        write_pha(&p, &d, &meta(PhaKind::Total)).unwrap();
        fitsverify_clean(&p);
        let mut f = Fits::open(&p).unwrap();
        f.select("SPECTRUM", "a spectrum").unwrap();
        assert_eq!(f.read_all::<i64>("COUNTS").unwrap(), counts);
        assert_eq!(f.read_all::<i64>("CHANNEL").unwrap()[4095], 4095);
        assert_eq!(f.read_all::<i64>("GROUPING").unwrap()[5], -1);
        assert_eq!(f.num("EXPOSURE", "").unwrap(), Some(9500.0));
        assert_eq!(f.num("BACKSCAL", "").unwrap(), Some(1.2e6));
        assert_eq!(f.num("DETCHANS", "").unwrap(), Some(4096.0));
        assert_eq!(f.num("TLMAX1", "").unwrap(), Some(4095.0));
        assert_eq!(f.string("HDUCLAS2").unwrap().as_deref(), Some("TOTAL"));
        assert_eq!(f.string("ANCRFILE").unwrap().as_deref(), Some("none"));
        assert_eq!(f.string("BACKFILE").unwrap().as_deref(), Some("x_bkg.pha"));
        assert_eq!(f.string("FILTER").unwrap().as_deref(), Some("MEDIUM"));
        assert!(matches!(f.key("POISSERR").unwrap(), Some(_)));
        // a background spectrum without the optional columns
        let b = dir.path().join("x_bkg.pha");
        let d = PhaData {
            first_channel: 0,
            counts: vec![1; 800],
            ..Default::default()
        };
        write_pha(&b, &d, &meta(PhaKind::Background)).unwrap();
        fitsverify_clean(&b);
        let mut f = Fits::open(&b).unwrap();
        f.select("SPECTRUM", "a spectrum").unwrap();
        assert_eq!(f.string("HDUCLAS2").unwrap().as_deref(), Some("BKG"));
        assert!(f.column("QUALITY").unwrap().is_none());
    }

    #[test]
    fn bad_inputs_are_refused_and_leave_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.pha");
        let ok = PhaData {
            counts: vec![1; 10],
            ..Default::default()
        };
        let mut m = meta(PhaKind::Total);
        m.exposure = 0.0;
        let e = write_pha(&p, &ok, &m).unwrap_err().to_string();
        assert!(e.contains("EXPOSURE") && e.contains("bad.pha"), "{e}");
        let short = PhaData {
            counts: vec![1; 10],
            quality: Some(vec![0; 9]),
            ..Default::default()
        };
        let e = write_pha(&p, &short, &meta(PhaKind::Total)).unwrap_err();
        assert!(e.to_string().contains("QUALITY"), "{e}");
        let neg = PhaData {
            counts: vec![-1; 10],
            ..Default::default()
        };
        assert!(write_pha(&p, &neg, &meta(PhaKind::Total)).is_err());
        // an unwritable place: an error naming the file
        let q = dir.path().join("missing").join("x.pha");
        let e = write_pha(&q, &ok, &meta(PhaKind::Total)).unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_arf_reads_back_and_passes_fitsverify() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.arf");
        let lo: Vec<f64> = (0..100).map(|i| 0.1 + i as f64 * 0.1).collect();
        let hi: Vec<f64> = lo.iter().map(|x| x + 0.1).collect();
        let a = ArfData {
            energ_lo: lo,
            energ_hi: hi,
            specresp: (0..100).map(|i| 100.0 + i as f64).collect(),
        };
        let kw = table::provenance("2000-01-01T00:00:00", "t");
        write_arf(&p, &a, &kw, "2000-01-01T00:00:00").unwrap();
        fitsverify_clean(&p);
        let mut f = Fits::open(&p).unwrap();
        f.select("SPECRESP", "an ARF").unwrap();
        let s = f.read_all::<f64>("SPECRESP").unwrap();
        assert_eq!(s[10], 110.0);
        let bad = ArfData {
            specresp: vec![1.0],
            ..a
        };
        assert!(write_arf(&p, &bad, &kw, "x").is_err());
    }
}
