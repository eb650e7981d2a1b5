//! AtomDB collisional-equilibrium tables (`apec_*_coco.fits`, `apec_*_line.fits`) read into
//! [`exod_core::spectral::model::ApecTables`] for the `apec` model.
//!
//! Layout (AtomDB file formats, Foster et al. 2012; as read by XSPEC's `Aped::Read`): HDU 2 of each file is
//! `PARAMETERS`, one row per temperature with its `kT` (keV); HDU 2 + i holds temperature i:
//! * line file: one row per line, `Lambda` (Å), `Epsilon` (photons cm³ s⁻¹), `Element` (Z), `Ion`;
//! * continuum file: one row per element (and, in NEI files, per ion `rmJ`; here only the element totals
//!   `rmJ = 0` are used), `Z`, `rmJ`, `N_Cont`, `E_Cont` (keV), `Continuum` (photons cm³ s⁻¹ keV⁻¹),
//!   `N_Pseudo`, `E_Pseudo`, `Pseudo`; the vectors are fixed-width or variable-length columns of which the
//!   first `N_Cont` / `N_Pseudo` values are used.
//!
//! **Verified only on small synthetic files written in this module's tests**; no real AtomDB file is available
//! offline, so reading the real (large) files has not been tried.

use std::ffi::{c_int, c_long, c_void, CString};
use std::path::{Path, PathBuf};

use exod_core::spectral::model::apec::{ApecContinuum, ApecLine, ApecTemperature, HC_KEV_ANGSTROM};
use exod_core::spectral::model::ApecTables;
use fitsio::sys;
use fitsio::FitsFile;

use crate::IoError;

fn invalid(path: &Path, what: impl Into<String>) -> IoError {
    IoError::Invalid {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

/// Reads the one `apec_*_coco.fits` (or `.fits.gz`) of `dir` and its `apec_*_line.fits` partner. Errors if
/// there is none, or several (name the files then with [`read_apec`]).
pub fn read_apec_dir(dir: &Path) -> Result<ApecTables, IoError> {
    let entries = std::fs::read_dir(dir).map_err(|error| IoError::Io {
        path: dir.to_path_buf(),
        error,
    })?;
    let mut coco: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.starts_with("apec_") && (n.ends_with("_coco.fits") || n.ends_with("_coco.fits.gz"))
        })
        .collect();
    coco.sort();
    match coco.len() {
        0 => Err(invalid(
            dir,
            "no AtomDB continuum file apec_*_coco.fits in this directory",
        )),
        1 => {
            let c = &coco[0];
            let name = c.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let line = c.with_file_name(name.replacen("_coco.fits", "_line.fits", 1));
            read_apec(c, &line)
        }
        _ => Err(invalid(
            dir,
            format!(
                "several AtomDB versions ({}); name the continuum and line files",
                coco.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// Reads a continuum (`coco`) and a line file of the same AtomDB version.
pub fn read_apec(coco: &Path, line: &Path) -> Result<ApecTables, IoError> {
    let (kt_c, continua) = read_coco(coco)?;
    let (kt_l, lines) = read_lines(line)?;
    if kt_c.len() != kt_l.len()
        || kt_c
            .iter()
            .zip(&kt_l)
            .any(|(a, b)| (a - b).abs() > 1e-6 * a.abs())
    {
        return Err(invalid(
            line,
            format!(
                "its {} temperatures differ from the {} of {}",
                kt_l.len(),
                kt_c.len(),
                coco.display()
            ),
        ));
    }
    let temperatures = kt_c
        .into_iter()
        .zip(continua.into_iter().zip(lines))
        .map(|(kt, (continua, lines))| ApecTemperature {
            kt,
            lines,
            continua,
        })
        .collect();
    let source = format!("{} + {}", coco.display(), line.display());
    ApecTables::new(&source, temperatures).map_err(|e| invalid(coco, e.to_string()))
}

fn open(path: &Path) -> Result<FitsFile, IoError> {
    FitsFile::open(path).map_err(|e| invalid(path, format!("cannot open as FITS: {e}")))
}

/// The PARAMETERS HDU's kT column (keV), leaving the file on that HDU.
fn read_kt(f: &mut FitsFile, path: &Path) -> Result<Vec<f64>, IoError> {
    let hdu = f.hdu("PARAMETERS").map_err(|_| {
        invalid(
            path,
            "no PARAMETERS extension (expected an AtomDB apec file)",
        )
    })?;
    let kt: Vec<f64> = hdu
        .read_col(f, "kT")
        .map_err(|e| invalid(path, format!("PARAMETERS: cannot read column kT: {e}")))?;
    Ok(kt)
}

fn select(
    f: &mut FitsFile,
    path: &Path,
    index: usize,
    kt: f64,
) -> Result<fitsio::hdu::FitsHdu, IoError> {
    f.hdu(index).map_err(|_| {
        invalid(
            path,
            format!("no HDU {} for temperature kT = {kt} keV", index + 1),
        )
    })
}

fn col<T: fitsio::tables::ReadsCol>(
    f: &mut FitsFile,
    hdu: &fitsio::hdu::FitsHdu,
    path: &Path,
    name: &str,
) -> Result<Vec<T>, IoError> {
    hdu.read_col(f, name).map_err(|e| {
        invalid(
            path,
            format!("HDU {}: cannot read column {name}: {e}", hdu.number + 1),
        )
    })
}

fn read_lines(path: &Path) -> Result<(Vec<f64>, Vec<Vec<ApecLine>>), IoError> {
    let mut f = open(path)?;
    let kt = read_kt(&mut f, path)?;
    let mut all = Vec::with_capacity(kt.len());
    for (i, &t) in kt.iter().enumerate() {
        let hdu = select(&mut f, path, i + 2, t)?;
        let lambda: Vec<f64> = col(&mut f, &hdu, path, "Lambda")?;
        let epsilon: Vec<f64> = col(&mut f, &hdu, path, "Epsilon")?;
        let element: Vec<i32> = col(&mut f, &hdu, path, "Element")?;
        if let Some(j) = lambda.iter().position(|l| l.is_nan() || *l <= 0.0) {
            return Err(invalid(
                path,
                format!("HDU {}: row {} has Lambda = {} Å", i + 3, j + 1, lambda[j]),
            ));
        }
        all.push(
            lambda
                .iter()
                .zip(&epsilon)
                .zip(&element)
                .map(|((l, e), z)| ApecLine {
                    energy: HC_KEV_ANGSTROM / l,
                    epsilon: *e,
                    element: *z as u32,
                })
                .collect(),
        );
    }
    Ok((kt, all))
}

fn read_coco(path: &Path) -> Result<(Vec<f64>, Vec<Vec<ApecContinuum>>), IoError> {
    let mut f = open(path)?;
    let kt = read_kt(&mut f, path)?;
    let mut all = Vec::with_capacity(kt.len());
    for (i, &t) in kt.iter().enumerate() {
        let hdu = select(&mut f, path, i + 2, t)?;
        let z: Vec<i32> = col(&mut f, &hdu, path, "Z")?;
        let rmj: Vec<i32> = col(&mut f, &hdu, path, "rmJ")?;
        let n_cont: Vec<i32> = col(&mut f, &hdu, path, "N_Cont")?;
        let n_pseudo: Vec<i32> = col(&mut f, &hdu, path, "N_Pseudo")?;
        let e_cont = vector_cells(&mut f, path, "E_Cont", &n_cont)?;
        let cont = vector_cells(&mut f, path, "Continuum", &n_cont)?;
        let e_pseudo = vector_cells(&mut f, path, "E_Pseudo", &n_pseudo)?;
        let pseudo = vector_cells(&mut f, path, "Pseudo", &n_pseudo)?;
        let mut rows = Vec::new();
        for r in 0..z.len() {
            if rmj[r] != 0 {
                continue;
            }
            rows.push(ApecContinuum {
                element: z[r] as u32,
                e_cont: e_cont[r].clone(),
                continuum: cont[r].clone(),
                e_pseudo: e_pseudo[r].clone(),
                pseudo: pseudo[r].clone(),
            });
        }
        all.push(rows);
    }
    Ok((kt, all))
}

/// The first `n[r]` values of each row r of a vector column (fixed-width or variable-length) of the current
/// HDU, as f64, through cfitsio.
fn vector_cells(
    f: &mut FitsFile,
    path: &Path,
    name: &str,
    n: &[i32],
) -> Result<Vec<Vec<f64>>, IoError> {
    let err = |what: String| invalid(path, format!("column {name}: {what}"));
    let ptr = unsafe { f.as_raw() };
    let cname = CString::new(name).map_err(|_| err("bad name".into()))?;
    let (mut colnum, mut status): (c_int, c_int) = (0, 0);
    unsafe { sys::ffgcno(ptr, 0, cname.as_ptr() as *mut _, &mut colnum, &mut status) };
    if status != 0 {
        return Err(err("not found".into()));
    }
    let (mut typecode, mut repeat, mut width): (c_int, c_long, c_long) = (0, 0, 0);
    unsafe {
        sys::ffgtcl(
            ptr,
            colnum,
            &mut typecode,
            &mut repeat,
            &mut width,
            &mut status,
        )
    };
    let mut out = Vec::with_capacity(n.len());
    for (r, &want) in n.iter().enumerate() {
        let row = (r + 1) as sys::LONGLONG;
        let want = want as i64;
        let avail = if typecode < 0 {
            let (mut len, mut offset): (c_long, c_long) = (0, 0);
            unsafe { sys::ffgdes(ptr, colnum, row, &mut len, &mut offset, &mut status) };
            len as i64
        } else {
            repeat as i64
        };
        if status != 0 || want < 0 || want > avail {
            return Err(err(format!(
                "row {}: {want} values wanted, {avail} stored (status {status})",
                r + 1
            )));
        }
        let mut buf = vec![0.0f64; want as usize];
        if want > 0 {
            let (mut nul, mut anynul) = (f64::NAN, 0);
            unsafe {
                sys::ffgcv(
                    ptr,
                    82, // TDOUBLE
                    colnum,
                    row,
                    1,
                    want as sys::LONGLONG,
                    &mut nul as *mut f64 as *mut c_void,
                    buf.as_mut_ptr() as *mut c_void,
                    &mut anynul,
                    &mut status,
                )
            };
            if status != 0 {
                return Err(err(format!("row {}: cfitsio status {status}", r + 1)));
            }
        }
        out.push(buf);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use exod_core::spectral::model::{Model, ModelOptions, SpectralModel};
    use fitsio::tables::{ColumnDataType, ColumnDescription};
    use std::sync::Arc;

    fn scalar(name: &str, t: ColumnDataType) -> fitsio::tables::ConcreteColumnDescription {
        ColumnDescription::new(name).with_type(t).create().unwrap()
    }

    fn vector(name: &str, n: usize) -> fitsio::tables::ConcreteColumnDescription {
        ColumnDescription::new(name)
            .with_type(ColumnDataType::Double)
            .that_repeats(n)
            .create()
            .unwrap()
    }

    /// Two temperatures (1 and 2 keV); temperature i has scale s = 1 + 2i: an O line (Z = 8) at 1.5 keV of
    /// emissivity 2s, an H line at 2.5 keV of s, a Na line (not in apec) and continua of H and Fe.
    fn write_files(dir: &Path) {
        let hc = HC_KEV_ANGSTROM;
        let mut f = FitsFile::create(dir.join("apec_vtest_line.fits"))
            .open()
            .unwrap();
        let h = f
            .create_table("PARAMETERS", &[scalar("kT", ColumnDataType::Double)])
            .unwrap();
        h.write_col(&mut f, "kT", &[1.0f64, 2.0]).unwrap();
        for s in [1.0f64, 3.0] {
            let cols = [
                scalar("Lambda", ColumnDataType::Float),
                scalar("Epsilon", ColumnDataType::Float),
                scalar("Element", ColumnDataType::Int),
                scalar("Ion", ColumnDataType::Int),
            ];
            let h = f.create_table("EMISSIVITY", &cols).unwrap();
            h.write_col(
                &mut f,
                "Lambda",
                &[(hc / 1.5) as f32, (hc / 2.5) as f32, (hc / 1.6) as f32],
            )
            .unwrap();
            h.write_col(&mut f, "Epsilon", &[(2.0 * s) as f32, s as f32, 7.0])
                .unwrap();
            h.write_col(&mut f, "Element", &[8i32, 1, 11]).unwrap();
            h.write_col(&mut f, "Ion", &[8i32, 1, 11]).unwrap();
        }
        let mut f = FitsFile::create(dir.join("apec_vtest_coco.fits"))
            .open()
            .unwrap();
        let h = f
            .create_table("PARAMETERS", &[scalar("kT", ColumnDataType::Double)])
            .unwrap();
        h.write_col(&mut f, "kT", &[1.0f64, 2.0]).unwrap();
        for s in [1.0f64, 3.0] {
            let cols = [
                scalar("Z", ColumnDataType::Int),
                scalar("rmJ", ColumnDataType::Int),
                scalar("N_Cont", ColumnDataType::Int),
                vector("E_Cont", 4),
                vector("Continuum", 4),
                scalar("N_Pseudo", ColumnDataType::Int),
                vector("E_Pseudo", 4),
                vector("Pseudo", 4),
            ];
            let h = f.create_table("EMISSIVITY", &cols).unwrap();
            h.write_col(&mut f, "Z", &[1i32, 26, 26]).unwrap();
            h.write_col(&mut f, "rmJ", &[0i32, 0, 5]).unwrap(); // the rmJ = 5 row (an ion) is not used
            h.write_col(&mut f, "N_Cont", &[3i32, 3, 3]).unwrap();
            // row-major: 4 values per row, the 4th unused (N_Cont = 3)
            let e = [0.5, 1.0, 3.0, 99.0];
            let ec: Vec<f64> = (0..3).flat_map(|_| e).collect();
            h.write_col(&mut f, "E_Cont", &ec).unwrap();
            let c = |v: f64| [v, 2.0 * v, 0.0, 1e30];
            let cont: Vec<f64> = [c(s), c(10.0 * s), c(1e6)].concat();
            h.write_col(&mut f, "Continuum", &cont).unwrap();
            h.write_col(&mut f, "N_Pseudo", &[2i32, 2, 2]).unwrap();
            let ep: Vec<f64> = (0..3).flat_map(|_| [0.5, 3.0, 0.0, 0.0]).collect();
            h.write_col(&mut f, "E_Pseudo", &ep).unwrap();
            let p = |v: f64| [0.1 * v, 0.1 * v, 0.0, 0.0];
            let pseudo: Vec<f64> = [p(s), p(10.0 * s), p(1e6)].concat();
            h.write_col(&mut f, "Pseudo", &pseudo).unwrap();
        }
    }

    #[test]
    fn reads_synthetic_atomdb_files_and_apec_matches_a_hand_computation() {
        let dir = tempfile::tempdir().unwrap();
        write_files(dir.path());
        let t = read_apec_dir(dir.path()).unwrap();
        assert_eq!(t.temperatures().len(), 2);
        assert_eq!(t.temperatures()[1].kt, 2.0);
        assert_eq!(t.temperatures()[0].continua.len(), 2); // rmJ = 5 row skipped
        assert_eq!(t.temperatures()[0].continua[1].e_cont, vec![0.5, 1.0, 3.0]);
        let l = &t.temperatures()[0].lines[0];
        assert!((l.energy - 1.5).abs() < 1e-6 && l.element == 8 && l.epsilon == 2.0);

        let opts = ModelOptions {
            apec: Some(Arc::new(t)),
            ..ModelOptions::default()
        };
        let mut m = Model::parse("apec", &opts).unwrap();
        m.set("kT", 1.5).unwrap(); // halfway: weights 0.5 / 0.5 → scale s = 2
        m.thaw("Abundanc").unwrap();
        m.set("Abundanc", 0.5).unwrap();
        m.set("norm", 2e-14).unwrap();
        let lo = [0.25, 0.75, 1.25, 1.75];
        let hi = [0.75, 1.25, 1.75, 2.75];
        let mut out = [0.0; 4];
        m.eval(&m.values(), &lo, &hi, &mut out);
        // By hand (see exod_core apec tests for the integrals): continuum H + 0.5·Fe = 6·s·curve, curve integrals
        // per bin 0.3125, 0.90625, 0.75, 0.75; pseudo 0.6·s·width∩[0.5,3]: 0.025·6, 0.05·6, 0.05·6, 0.1·6 (×s);
        // O line 0.5·2s in bin 2; H line s in bin 3; Na ignored. s = 2, then × norm·1e14 = 2.
        let s = 2.0;
        let expect = [
            6.0 * s * (0.3125 + 0.025),
            6.0 * s * (0.90625 + 0.05),
            6.0 * s * (0.75 + 0.05) + s,
            6.0 * s * (0.75 + 0.1) + s,
        ]
        .map(|v| v * 2.0);
        for i in 0..4 {
            assert!(
                (out[i] / expect[i] - 1.0).abs() < 1e-6,
                "bin {i}: {} vs {}",
                out[i],
                expect[i]
            );
        }
    }

    #[test]
    fn missing_or_ambiguous_files_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_apec_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("no AtomDB continuum file"), "{e}");
        std::fs::write(dir.path().join("apec_v1_coco.fits"), b"x").unwrap();
        std::fs::write(dir.path().join("apec_v2_coco.fits"), b"x").unwrap();
        let e = read_apec_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("several AtomDB versions"), "{e}");
        let e = read_apec(
            &dir.path().join("apec_v1_coco.fits"),
            &dir.path().join("nope.fits"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("cannot open as FITS"), "{e}");
    }
}
