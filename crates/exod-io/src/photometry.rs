//! The photometry table (`exod photometry`, [`exod_core::photometry`]): one row per source ×
//! observation, written as FITS (`PHOTOMETRY` extension) and ECSV with the same columns, and
//! read back into [`SourcePhotometry`] — the archive `exod longterm` and `exod alert` compare.
//!
//! Columns (unit and description on each), with `ca` ∈ {PN, M1, M2, EP} (EP: the EPIC
//! combination) and `b` the band id (4XMM numbering: 1–5, 8), in the style of 4XMM's
//! `ca_b_FLUX`:
//!
//! * `SOURCE`, `RA`, `DEC`, `OBS_ID`, `TSTART`, `TSTOP`, `MJD_MID`, `COVERED`;
//! * `BANDb_LO`, `BANDb_HI` (keV): the band edges;
//! * `ca_COVERED` (PN, M1, M2): the camera was measured — its other columns are NaN / −1 when not;
//! * per camera and band: `ca_b_CTS`, `ca_b_BKG_CTS` (−1: not measured), `ca_b_AREA_RATIO`,
//!   `ca_b_BKG`, `ca_b_EEF`, `ca_b_VIG`, `ca_b_LIVE`, `ca_b_EXP`, `ca_b_ECF`, `ca_b_OFFAX`, `ca_b_RADIUS`, `ca_b_CCD`,
//!   `ca_b_RATE`, `ca_b_RATE_LO`, `ca_b_RATE_HI`, `ca_b_RATE_UL`, `ca_b_FLUX`, `ca_b_FLUX_LO`,
//!   `ca_b_FLUX_HI`, `ca_b_FLUX_UL`, `ca_b_DET`, `ca_b_P_BKG`;
//! * `CHI2`, `CHI2_DOF`, `CHI2_PROB` (NaN, 0, NaN when not computed);
//! * `FORCED` (computed?), `FORCED_TBIN`, `FORCED_NBINS`, `FORCED_LOG10_B_PEAK`,
//!   `FORCED_SIGMA_PEAK`, `FORCED_T_PEAK`, `FORCED_N_PEAK`, `FORCED_MU_PEAK`,
//!   `FORCED_LOG10_B_ECL`, `FORCED_SIGMA_ECL`, `FORCED_T_ECL`, `FORCED_TRANSIENT`;
//! * `WARNINGS` (joined by ` | `, in ASCII: ″ → ", ′ → ', σ → sigma, …).
//!
//! Cameras are written and read in the order PN, M1, M2 (what [`exod_core::photometry::measure`]
//! returns). Every row of a file has the same bands (the first row's, or those of the header).

#![allow(clippy::result_large_err)] // IoError, as the other exod-io modules

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use exod_core::photometry::{
    BandPhotometry, ForcedResult, Measurement, PhotBand, SourcePhotometry,
};

use crate::context::KeyValue;
use crate::error::IoError;
use crate::table::{write_ecsv, write_fits, Table};
use crate::table_in::{read_table, ExtTable, TableOptions};

/// The cameras of the table, in order.
pub const CAMERAS: [&str; 3] = ["PN", "M1", "M2"];
const WARN_SEP: &str = " | ";

/// The column prefix of a camera ("EPIC" → "EP").
fn prefix(cam: &str) -> &str {
    if cam == "EPIC" {
        "EP"
    } else {
        cam
    }
}

/// The measurement columns: (suffix, unit, description, is_int, getter as f64).
type Getter = fn(&Measurement) -> f64;
const MEAS: [(&str, &str, &str, Getter); 20] = [
    ("CTS", "ct", "aperture counts N (−1: not measured)", |m| {
        m.counts as f64
    }),
    (
        "BKG_CTS",
        "ct",
        "background-region counts B (−1: not measured)",
        |m| m.bkg_counts as f64,
    ),
    ("AREA_RATIO", "", "aperture / background area r", |m| {
        m.area_ratio
    }),
    (
        "BKG",
        "ct",
        "expected background in the aperture b = r·B",
        |m| m.bkg_expected,
    ),
    (
        "EEF",
        "",
        "encircled-energy fraction of the aperture",
        |m| m.eef,
    ),
    ("VIG", "", "vignetting 1/(1+(θ/13.5′)²)", |m| {
        m.vignetting
    }),
    ("LIVE", "s", "live time |GTI| × live fraction", |m| {
        m.live_time
    }),
    (
        "EXP",
        "s",
        "exposure live × vignetting × EEF (EP: Σ exp·ECF / Σ ECF)",
        |m| m.exposure,
    ),
    (
        "ECF",
        "1e11 ct cm2 erg-1",
        "energy conversion factor (EP: Σ of the cameras')",
        |m| m.ecf,
    ),
    ("OFFAX", "arcmin", "off-axis angle", |m| m.offaxis_arcmin),
    ("RADIUS", "arcsec", "source aperture radius", |m| {
        m.src_radius_arcsec
    }),
    (
        "CCD",
        "",
        "source CCD (0 for EP, −1: not measured)",
        |m| m.ccd as f64,
    ),
    ("RATE", "ct/s", "net rate (N − b)/exposure", |m| {
        m.net_rate
    }),
    (
        "RATE_LO",
        "ct/s",
        "lower end of the 68.27 % KBN interval of the rate",
        |m| m.rate_lo,
    ),
    (
        "RATE_HI",
        "ct/s",
        "upper end of the 68.27 % KBN interval of the rate",
        |m| m.rate_hi,
    ),
    (
        "RATE_UL",
        "ct/s",
        "KBN upper limit of the rate at CONFLEV",
        |m| m.rate_ul,
    ),
    ("FLUX", "erg/(cm2 s)", "flux rate/(ECF·1e11)", |m| m.flux),
    (
        "FLUX_LO",
        "erg/(cm2 s)",
        "lower end of the 68.27 % interval of the flux",
        |m| m.flux_lo,
    ),
    (
        "FLUX_HI",
        "erg/(cm2 s)",
        "upper end of the 68.27 % interval of the flux",
        |m| m.flux_hi,
    ),
    (
        "FLUX_UL",
        "erg/(cm2 s)",
        "KBN upper limit of the flux at CONFLEV",
        |m| m.flux_ul,
    ),
];

/// Parameters stated in the files' headers.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotometryMeta {
    /// Provenance and parameters (key ≤ 8 characters, value, comment), e.g. from
    /// [`crate::table::provenance`] plus CONFLEV, DETSIGMA, ECFSRC.
    pub keywords: Vec<(String, KeyValue, String)>,
}

fn measurement<'a>(r: &'a SourcePhotometry, band: u8, cam: &str) -> Option<&'a Measurement> {
    r.get(band, cam)
}

/// The bands of the rows (the first covered row's; the 4XMM bands when none is covered).
fn bands_of(rows: &[SourcePhotometry]) -> Vec<PhotBand> {
    rows.iter()
        .find(|r| r.covered)
        .map(|r| r.bands.iter().map(|b| b.band).collect())
        .unwrap_or_else(PhotBand::xmm_bands)
}

/// The photometry table of `rows` (module docs).
pub fn table(rows: &[SourcePhotometry]) -> Table {
    let mut t = Table::new("PHOTOMETRY");
    let col = |f: &dyn Fn(&SourcePhotometry) -> f64| rows.iter().map(f).collect::<Vec<f64>>();
    t.str(
        "SOURCE",
        "source name",
        rows.iter().map(|r| r.source.clone()).collect(),
    );
    t.f64("RA", "deg", "right ascension (ICRS)", col(&|r| r.ra));
    t.f64("DEC", "deg", "declination (ICRS)", col(&|r| r.dec));
    t.str(
        "OBS_ID",
        "observation",
        rows.iter().map(|r| r.obs_id.clone()).collect(),
    );
    t.f64(
        "TSTART",
        "s",
        "earliest GTI start of the cameras (mission time)",
        col(&|r| r.tstart),
    );
    t.f64(
        "TSTOP",
        "s",
        "latest GTI stop of the cameras (mission time)",
        col(&|r| r.tstop),
    );
    t.f64(
        "MJD_MID",
        "d",
        "MJD of the middle of TSTART–TSTOP",
        col(&|r| r.mjd_mid),
    );
    t.bool(
        "COVERED",
        "some camera covers the position",
        rows.iter().map(|r| r.covered).collect(),
    );
    let bands = bands_of(rows);
    for b in &bands {
        let n = rows.len();
        t.f64(
            &format!("BAND{}_LO", b.id),
            "keV",
            "lower edge of the band",
            vec![b.lo_kev; n],
        );
        t.f64(
            &format!("BAND{}_HI", b.id),
            "keV",
            "upper edge of the band",
            vec![b.hi_kev; n],
        );
    }
    for cam in CAMERAS {
        let v = rows
            .iter()
            .map(|r| {
                r.bands
                    .first()
                    .is_some_and(|b| b.cameras.iter().any(|m| m.camera == cam))
            })
            .collect();
        t.bool(
            &format!("{cam}_COVERED"),
            &format!("{cam} measured the position"),
            v,
        );
    }
    for b in &bands {
        for cam in CAMERAS.iter().copied().chain(["EPIC"]) {
            band_columns(&mut t, rows, b.id, cam);
        }
    }
    time_columns(&mut t, rows);
    let warn = rows
        .iter()
        .map(|r| ascii(&r.warnings.join(WARN_SEP)))
        .collect();
    t.str(
        "WARNINGS",
        "cameras skipped and other warnings, joined by ' | '",
        warn,
    );
    t
}

/// `s` in ASCII (FITS strings are), the same in both files: ″ → ", ′ → ', – → -, σ → sigma,
/// θ → theta, other non-ASCII characters → ?.
fn ascii(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '″' => o.push('"'),
            '′' => o.push('\''),
            '–' | '—' | '−' => o.push('-'),
            'σ' => o.push_str("sigma"),
            'θ' => o.push_str("theta"),
            c if c.is_ascii() => o.push(c),
            _ => o.push('?'),
        }
    }
    o
}

fn band_columns(t: &mut Table, rows: &[SourcePhotometry], band: u8, cam: &str) {
    let p = format!("{}_{band}", prefix(cam));
    let who = if cam == "EPIC" { "EPIC" } else { cam };
    for (suffix, unit, desc, get) in MEAS {
        let name = format!("{p}_{suffix}");
        let desc = format!("{who} band {band}: {desc}");
        if suffix == "CTS" || suffix == "BKG_CTS" || suffix == "CCD" {
            let v = rows
                .iter()
                .map(|r| measurement(r, band, cam).map_or(-1, |m| get(m) as i64))
                .collect();
            t.i64(&name, unit, &desc, v);
        } else {
            let v = rows
                .iter()
                .map(|r| measurement(r, band, cam).map_or(f64::NAN, get))
                .collect();
            t.f64(&name, unit, &desc, v);
        }
    }
    let det = rows
        .iter()
        .map(|r| measurement(r, band, cam).is_some_and(|m| m.detected))
        .collect();
    t.bool(
        &format!("{p}_DET"),
        &format!("{who} band {band}: detected (P_BKG below DETSIGMA's p)"),
        det,
    );
    let pb = rows
        .iter()
        .map(|r| measurement(r, band, cam).map_or(f64::NAN, |m| m.p_bkg))
        .collect();
    t.f64(
        &format!("{p}_P_BKG"),
        "",
        &format!("{who} band {band}: P(≥ N counts | background b)"),
        pb,
    );
}

fn time_columns(t: &mut Table, rows: &[SourcePhotometry]) {
    let chi = |k: usize| -> Vec<f64> {
        rows.iter()
            .map(|r| r.chi2_const.map_or(f64::NAN, |c| [c.0, c.2][k]))
            .collect()
    };
    t.f64(
        "CHI2",
        "",
        "Pearson χ² of the EPIC aperture counts against a constant rate",
        chi(0),
    );
    let dof = rows
        .iter()
        .map(|r| r.chi2_const.map_or(0, |c| c.1 as i64))
        .collect();
    t.i64(
        "CHI2_DOF",
        "",
        "its degrees of freedom (0: not computed)",
        dof,
    );
    t.f64(
        "CHI2_PROB",
        "",
        "P(χ² ≥ CHI2) for a constant source",
        chi(1),
    );
    t.bool(
        "FORCED",
        "forced photometry computed",
        rows.iter().map(|r| r.forced.is_some()).collect(),
    );
    type FGet = fn(&ForcedResult) -> f64;
    let fcols: [(&str, &str, &str, FGet); 10] = [
        (
            "FORCED_TBIN",
            "s",
            "bin size of the forced photometry",
            |f| f.tbin,
        ),
        ("FORCED_NBINS", "", "bins with live time", |f| {
            f.n_bins as f64
        }),
        (
            "FORCED_LOG10_B_PEAK",
            "",
            "largest log10 B_peak of the aperture light curve",
            |f| f.max_log10_b_peak,
        ),
        ("FORCED_SIGMA_PEAK", "", "its σ-equivalent", |f| {
            f.sigma_peak
        }),
        (
            "FORCED_T_PEAK",
            "s",
            "centre of its bin (mission time)",
            |f| f.t_peak,
        ),
        ("FORCED_N_PEAK", "ct", "counts in that bin", |f| {
            f.n_peak as f64
        }),
        (
            "FORCED_MU_PEAK",
            "ct",
            "constant-rate expectation μ of that bin",
            |f| f.mu_peak,
        ),
        ("FORCED_LOG10_B_ECL", "", "largest log10 B_eclipse", |f| {
            f.max_log10_b_eclipse
        }),
        ("FORCED_SIGMA_ECL", "", "its σ-equivalent", |f| {
            f.sigma_eclipse
        }),
        (
            "FORCED_T_ECL",
            "s",
            "centre of its bin (mission time)",
            |f| f.t_eclipse,
        ),
    ];
    for (name, unit, desc, get) in fcols {
        let v = rows
            .iter()
            .map(|r| r.forced.as_ref().map_or(f64::NAN, get))
            .collect();
        t.f64(name, unit, desc, v);
    }
    let tr = rows
        .iter()
        .map(|r| r.forced.as_ref().is_some_and(|f| f.transient))
        .collect();
    t.bool(
        "FORCED_TRANSIENT",
        "a peak or eclipse passes the DETSIGMA threshold",
        tr,
    );
}

/// Write `photometry.fits` and `photometry.ecsv`-style files: FITS at `fits`, ECSV at `ecsv`
/// (each atomically), with `meta` in both headers.
pub fn write(
    fits: &Path,
    ecsv: &Path,
    rows: &[SourcePhotometry],
    meta: &PhotometryMeta,
    date: &str,
) -> Result<(), IoError> {
    let t = table(rows);
    write_fits(fits, &[&t], &meta.keywords, date)?;
    write_ecsv(ecsv, &t, &meta.keywords)
}

/// Read a photometry table (FITS or ECSV) back into rows.
pub fn read(path: &Path) -> Result<Vec<SourcePhotometry>, IoError> {
    let t = read_table(
        path,
        &TableOptions {
            hdu: crate::table_in::sniff_format(path).ok().and_then(|f| {
                (f == crate::table_in::TableFormat::Fits).then(|| "PHOTOMETRY".to_string())
            }),
        },
    )?;
    Reader::new(&t).rows()
}

/// The columns of a table read once: text of every column, numbers of those that are numbers.
struct Reader {
    path: PathBuf,
    names: Vec<String>,
    len: usize,
    num: HashMap<String, Vec<f64>>,
    txt: HashMap<String, Vec<String>>,
}

impl Reader {
    fn new(t: &ExtTable) -> Reader {
        let mut r = Reader {
            path: t.path.clone(),
            names: t.names.clone(),
            len: t.len(),
            num: HashMap::new(),
            txt: HashMap::new(),
        };
        for (i, n) in t.names.iter().enumerate() {
            let key = n.to_ascii_uppercase();
            if let Ok(v) = t.numbers(i, "a number") {
                r.num.insert(key.clone(), v);
            }
            r.txt.insert(key, t.texts(i));
        }
        r
    }
    fn missing(&self, name: &str) -> IoError {
        IoError::invalid(
            &self.path,
            format!("no column {name}: expected an exod photometry table (exod photometry)"),
        )
    }
    fn num(&self, name: &str) -> Result<&Vec<f64>, IoError> {
        self.num.get(name).ok_or_else(|| {
            if self.txt.contains_key(name) {
                IoError::invalid(&self.path, format!("column {name}: expected numbers"))
            } else {
                self.missing(name)
            }
        })
    }
    fn text(&self, name: &str) -> Result<&Vec<String>, IoError> {
        self.txt.get(name).ok_or_else(|| self.missing(name))
    }
    fn flag(&self, name: &str) -> Result<Vec<bool>, IoError> {
        let v = self.text(name)?;
        v.iter()
            .enumerate()
            .map(|(i, s)| match s.trim() {
                "T" | "True" | "true" | "1" => Ok(true),
                "F" | "False" | "false" | "0" | "" => Ok(false),
                other => Err(IoError::invalid(
                    &self.path,
                    format!("column {name} row {}: {other:?} is not a flag (T/F)", i + 1),
                )),
            })
            .collect()
    }

    fn bands(&self) -> Result<Vec<PhotBand>, IoError> {
        let mut out = vec![];
        for name in &self.names {
            let name = &name.to_ascii_uppercase();
            let Some(id) = name
                .strip_prefix("BAND")
                .and_then(|s| s.strip_suffix("_LO"))
            else {
                continue;
            };
            let Ok(id) = id.parse::<u8>() else { continue };
            let lo = self.num(name)?;
            let hi = self.num(&format!("BAND{id}_HI"))?;
            out.push(PhotBand {
                id,
                lo_kev: lo.first().copied().unwrap_or(f64::NAN),
                hi_kev: hi.first().copied().unwrap_or(f64::NAN),
            });
        }
        Ok(out)
    }

    fn measurement(&self, band: u8, cam: &str, row: usize) -> Result<Option<Measurement>, IoError> {
        let p = format!("{}_{band}", prefix(cam));
        let cts = self.num(&format!("{p}_CTS"))?[row];
        if cts < 0.0 || cts.is_nan() {
            return Ok(None);
        }
        let mut v = [0.0f64; 20];
        for (k, (suffix, ..)) in MEAS.iter().enumerate() {
            v[k] = self.num(&format!("{p}_{suffix}"))?[row];
        }
        Ok(Some(Measurement {
            camera: cam.to_string(),
            counts: v[0] as u64,
            bkg_counts: v[1] as u64,
            area_ratio: v[2],
            bkg_expected: v[3],
            eef: v[4],
            vignetting: v[5],
            live_time: v[6],
            exposure: v[7],
            ecf: v[8],
            offaxis_arcmin: v[9],
            src_radius_arcsec: v[10],
            ccd: v[11] as u8,
            net_rate: v[12],
            rate_lo: v[13],
            rate_hi: v[14],
            rate_ul: v[15],
            flux: v[16],
            flux_lo: v[17],
            flux_hi: v[18],
            flux_ul: v[19],
            detected: self.flag(&format!("{p}_DET"))?[row],
            p_bkg: self.num(&format!("{p}_P_BKG"))?[row],
        }))
    }

    fn forced(&self, row: usize) -> Result<Option<ForcedResult>, IoError> {
        if !self.flag("FORCED")?[row] {
            return Ok(None);
        }
        let g = |n: &str| -> Result<f64, IoError> { Ok(self.num(n)?[row]) };
        Ok(Some(ForcedResult {
            tbin: g("FORCED_TBIN")?,
            n_bins: g("FORCED_NBINS")? as usize,
            max_log10_b_peak: g("FORCED_LOG10_B_PEAK")?,
            sigma_peak: g("FORCED_SIGMA_PEAK")?,
            t_peak: g("FORCED_T_PEAK")?,
            n_peak: g("FORCED_N_PEAK")? as u64,
            mu_peak: g("FORCED_MU_PEAK")?,
            max_log10_b_eclipse: g("FORCED_LOG10_B_ECL")?,
            sigma_eclipse: g("FORCED_SIGMA_ECL")?,
            t_eclipse: g("FORCED_T_ECL")?,
            transient: self.flag("FORCED_TRANSIENT")?[row],
        }))
    }

    fn row(&self, i: usize, bands: &[PhotBand]) -> Result<SourcePhotometry, IoError> {
        let covered = self.flag("COVERED")?[i];
        let mut out_bands = vec![];
        if covered {
            for b in bands {
                let mut cameras = vec![];
                for cam in CAMERAS {
                    if let Some(m) = self.measurement(b.id, cam, i)? {
                        cameras.push(m);
                    }
                }
                let epic = self.measurement(b.id, "EPIC", i)?.ok_or_else(|| {
                    IoError::invalid(
                        &self.path,
                        format!("row {}: covered but no EP_{}_CTS", i + 1, b.id),
                    )
                })?;
                out_bands.push(BandPhotometry {
                    band: *b,
                    cameras,
                    epic,
                });
            }
        }
        let chi2 = self.num("CHI2")?[i];
        let warnings = self.text("WARNINGS")?[i].clone();
        Ok(SourcePhotometry {
            source: self.text("SOURCE")?[i].clone(),
            ra: self.num("RA")?[i],
            dec: self.num("DEC")?[i],
            obs_id: self.text("OBS_ID")?[i].clone(),
            tstart: self.num("TSTART")?[i],
            tstop: self.num("TSTOP")?[i],
            mjd_mid: self.num("MJD_MID")?[i],
            covered,
            bands: out_bands,
            chi2_const: (!chi2.is_nan()).then(|| {
                (
                    chi2,
                    self.num("CHI2_DOF").map_or(0, |v| v[i] as usize),
                    self.num("CHI2_PROB").map_or(f64::NAN, |v| v[i]),
                )
            }),
            forced: self.forced(i)?,
            warnings: if warnings.is_empty() {
                vec![]
            } else {
                warnings.split(WARN_SEP).map(str::to_string).collect()
            },
        })
    }

    fn rows(&self) -> Result<Vec<SourcePhotometry>, IoError> {
        let bands = self.bands()?;
        if bands.is_empty() {
            return Err(IoError::invalid(
                &self.path,
                "no BANDb_LO columns: expected an exod photometry table (exod photometry)",
            ));
        }
        (0..self.len).map(|i| self.row(i, &bands)).collect()
    }
}
