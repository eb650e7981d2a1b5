//! Counterpart catalogues for the follow-up report: Gaia-, SIMBAD-, 4XMM- and XMM-OM
//! SUSS-like tables (FITS, CSV/ECSV, VOTable through [`crate::table_in`]) →
//! [`exod_core::followup::counterparts::Catalog`].
//!
//! Default columns per kind ([`default_columns`]; each overridable by standard name through
//! [`LoadOptions::columns`], e.g. `parallax=PLX`):
//!
//! | kind | id | position error | required | optional |
//! |---|---|---|---|---|
//! | Gaia | `source_id` | `ra_error`, `dec_error` (mas) → √((σ_α*² + σ_δ²)/2) | `parallax`, `parallax_error`, `phot_g_mean_mag`, `bp_rp` | `phot_g_mean_flux_over_error`, `phot_bp_mean_mag`, `phot_rp_mean_mag`, `pmra`, `pmdec`, `ruwe` |
//! | SIMBAD | `main_id` | — | `main_type` (or `otype`) | `sp_type`, `redshift` |
//! | 4XMM | `IAUNAME` (or `SRCID`) | `POSERR` (″) | `EP_8_FLUX` | `EP_8_FLUX_ERR`, `SC_EXTENT`, `SC_DET_ML` |
//! | SUSS | `IAUNAME` (or `SRCNUM`) | `POSERR` (″) | — | `UVW2_AB_MAG`, `UVM2_AB_MAG`, `UVW1_AB_MAG`, `U_AB_MAG`, `B_AB_MAG`, `V_AB_MAG` |
//!
//! RA/Dec are `ra`/`dec` (case-insensitive) or the names of [`crate::table_in::RA_NAMES`].
//! Standard names in the catalogue's `numbers`/`texts` are the lower-case default names
//! (`ep_8_flux`, `v_ab_mag`, `main_type` …). A missing required column is an error naming
//! the file and the column.
//!
//! [`load_class_table`] reads an astronomer's class table for [`exod_core::followup::classify`].
//!
//! Identifiers: 19-digit Gaia `source_id`s do not fit a double (> 2⁵³); in CSV files and FITS
//! integer columns the id column is read again exactly (text, or 64-bit integers). VOTable ids
//! are read as the table reader gives them (exact for text columns, rounded beyond 2⁵³ for
//! `long` ones: give the id as a text column, or use FITS or CSV).

// IoError is the crate-wide error (large because it carries paths and cfitsio messages), as in ogip
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::Path;

use exod_core::followup::counterparts::{Catalog, CatalogKind};

use crate::error::IoError;
use crate::table_in::{read_table, sniff_format, ExtColumn, ExtTable, TableFormat, TableOptions};

/// The columns of a kind of catalogue.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KindColumns {
    /// Id column candidates, first present wins.
    pub id: Vec<&'static str>,
    /// 1σ position error in arcsec (candidates), if the kind has one.
    pub pos_err: Vec<&'static str>,
    /// Numeric columns that must be present.
    pub required_numbers: Vec<&'static str>,
    /// Text columns that must be present (candidates for one standard name: first is the name).
    pub required_texts: Vec<Vec<&'static str>>,
    /// Numeric columns read when present.
    pub optional_numbers: Vec<&'static str>,
    /// Text columns read when present.
    pub optional_texts: Vec<&'static str>,
}

/// The default columns of `kind` (module docs).
pub fn default_columns(kind: CatalogKind) -> KindColumns {
    let mut k = KindColumns {
        id: vec![],
        pos_err: vec![],
        required_numbers: vec![],
        required_texts: vec![],
        optional_numbers: vec![],
        optional_texts: vec![],
    };
    match kind {
        CatalogKind::Gaia => {
            k.id = vec!["source_id"];
            k.required_numbers = vec!["parallax", "parallax_error", "phot_g_mean_mag", "bp_rp"];
            k.optional_numbers = vec![
                "phot_g_mean_flux_over_error",
                "phot_bp_mean_mag",
                "phot_rp_mean_mag",
                "pmra",
                "pmdec",
                "ruwe",
            ];
        }
        CatalogKind::Simbad => {
            k.id = vec!["main_id"];
            k.required_texts = vec![vec!["main_type", "otype"]];
            k.optional_texts = vec!["sp_type"];
            k.optional_numbers = vec!["redshift"];
        }
        CatalogKind::Xmm4 => {
            k.id = vec!["IAUNAME", "SRCID"];
            k.pos_err = vec!["POSERR"];
            k.required_numbers = vec!["EP_8_FLUX"];
            k.optional_numbers = vec!["EP_8_FLUX_ERR", "SC_EXTENT", "SC_DET_ML"];
        }
        CatalogKind::Suss => {
            k.id = vec!["IAUNAME", "SRCNUM"];
            k.pos_err = vec!["POSERR"];
            k.optional_numbers = vec![
                "UVW2_AB_MAG",
                "UVM2_AB_MAG",
                "UVW1_AB_MAG",
                "U_AB_MAG",
                "B_AB_MAG",
                "V_AB_MAG",
            ];
        }
        CatalogKind::Other => {
            k.id = crate::table_in::ID_NAMES.to_vec();
            k.pos_err = crate::table_in::ERR_NAMES.to_vec();
        }
    }
    k
}

/// Options of [`load_catalog`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadOptions {
    /// The kind (default columns).
    pub kind: CatalogKind,
    /// Name shown in reports (default: "Gaia DR3", "SIMBAD", "4XMM", "XMM-OM SUSS", or the
    /// file stem).
    pub name: Option<String>,
    /// Column overrides: standard name (`id`, `ra`, `dec`, `pos_err`, `parallax`, `main_type`
    /// …) → column name in the file.
    pub columns: BTreeMap<String, String>,
    /// FITS HDU (EXTNAME) to read instead of the first table with rows.
    pub hdu: Option<String>,
    /// The catalogue's shifted-catalogue chance rate, if known (carried to each counterpart).
    pub shifted_rate: Option<f64>,
}

impl LoadOptions {
    /// Default options for a kind.
    pub fn new(kind: CatalogKind) -> LoadOptions {
        LoadOptions {
            kind,
            name: None,
            columns: BTreeMap::new(),
            hdu: None,
            shifted_rate: None,
        }
    }

    fn given(&self, standard: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(standard))
            .map(|(_, v)| v.as_str())
    }
}

fn default_name(kind: CatalogKind, path: &Path) -> String {
    match kind {
        CatalogKind::Gaia => "Gaia DR3".into(),
        CatalogKind::Simbad => "SIMBAD".into(),
        CatalogKind::Xmm4 => "4XMM".into(),
        CatalogKind::Suss => "XMM-OM SUSS".into(),
        CatalogKind::Other => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "catalogue".into()),
    }
}

/// Load a counterpart catalogue (module docs).
pub fn load_catalog(path: &Path, opts: &LoadOptions) -> Result<Catalog, IoError> {
    let table = read_table(
        path,
        &TableOptions {
            hdu: opts.hdu.clone(),
        },
    )?;
    let cols = default_columns(opts.kind);
    let (ra, dec) = table.positions(opts.given("ra"), opts.given("dec"))?;
    let ids = read_ids(&table, path, opts, &cols)?;
    let pos_err = read_pos_err(&table, opts, &cols)?;
    let mut numbers = BTreeMap::new();
    for (name, required) in cols
        .required_numbers
        .iter()
        .map(|n| (*n, true))
        .chain(cols.optional_numbers.iter().map(|n| (*n, false)))
    {
        if let Some(i) = column(&table, opts, name, &[name], required)? {
            numbers.insert(name.to_ascii_lowercase(), table.numbers(i, name)?);
        }
    }
    let mut texts = BTreeMap::new();
    for cands in &cols.required_texts {
        if let Some(i) = column(&table, opts, cands[0], cands, true)? {
            texts.insert(cands[0].to_ascii_lowercase(), table.texts(i));
        }
    }
    for name in &cols.optional_texts {
        if let Some(i) = column(&table, opts, name, &[name], false)? {
            texts.insert(name.to_ascii_lowercase(), table.texts(i));
        }
    }
    let cat = Catalog {
        name: opts
            .name
            .clone()
            .unwrap_or_else(|| default_name(opts.kind, path)),
        kind: opts.kind,
        ids,
        ra,
        dec,
        pos_err_arcsec: pos_err,
        numbers,
        texts,
        shifted_rate: opts.shifted_rate,
    };
    cat.validate()
        .map_err(|e| IoError::invalid(path, e.to_string()))?;
    Ok(cat)
}

/// The column for standard name `standard`: the override, else the first of `defaults`
/// present; None when absent and not required; an error naming file and column otherwise.
fn column(
    t: &ExtTable,
    opts: &LoadOptions,
    standard: &str,
    defaults: &[&str],
    required: bool,
) -> Result<Option<usize>, IoError> {
    let given = opts.given(standard);
    if given.is_some() || required {
        let flag = format!("--column {standard}=NAME");
        return t.pick(given, defaults, standard, &flag).map(Some);
    }
    Ok(t.pick_optional(None, defaults))
}

fn read_ids(
    t: &ExtTable,
    path: &Path,
    opts: &LoadOptions,
    cols: &KindColumns,
) -> Result<Vec<String>, IoError> {
    let Some(i) = column(t, opts, "id", &cols.id, opts.kind != CatalogKind::Other)? else {
        return Ok((1..=t.len()).map(|k| format!("row {k}")).collect());
    };
    if let ExtColumn::F64(v) = &t.columns[i] {
        if v.iter().any(|x| x.abs() > 9.007_199_254_740_992e15) {
            if let Some(exact) = exact_ids(path, &t.names[i], opts)? {
                return Ok(exact);
            }
        }
    }
    Ok(t.texts(i))
}

/// The id column read again without going through doubles (CSV: its text; FITS: 64-bit
/// integers). None for other formats.
fn exact_ids(path: &Path, name: &str, opts: &LoadOptions) -> Result<Option<Vec<String>>, IoError> {
    match sniff_format(path)? {
        TableFormat::Csv => csv_text_column(path, name).map(Some),
        TableFormat::Fits => Ok(fits_i64_column(path, name, opts.hdu.as_deref())),
        TableFormat::VoTable => Ok(None),
    }
}

fn csv_text_column(path: &Path, name: &str) -> Result<Vec<String>, IoError> {
    let bad = |e: String| IoError::invalid(path, e);
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .flexible(true)
        .from_path(path)
        .map_err(|e| bad(format!("cannot read as CSV: {e}")))?;
    let headers = rdr.headers().map_err(|e| bad(e.to_string()))?.clone();
    let k = headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| bad(format!("no column {name}")))?;
    rdr.records()
        .map(|r| {
            r.map(|rec| rec.get(k).unwrap_or("").trim().to_string())
                .map_err(|e| bad(format!("not valid CSV: {e}")))
        })
        .collect()
}

fn fits_i64_column(path: &Path, name: &str, hdu: Option<&str>) -> Option<Vec<String>> {
    let mut f = fitsio::FitsFile::open(path).ok()?;
    let read = |f: &mut fitsio::FitsFile, h: fitsio::hdu::FitsHdu| h.read_col::<i64>(f, name).ok();
    if let Some(h) = hdu {
        let h = f.hdu(h).ok()?;
        return read(&mut f, h).map(|v| v.iter().map(i64::to_string).collect());
    }
    for i in 1..64 {
        let Ok(h) = f.hdu(i) else { break };
        if let Some(v) = read(&mut f, h) {
            return Some(v.iter().map(i64::to_string).collect());
        }
    }
    None
}

fn read_pos_err(t: &ExtTable, opts: &LoadOptions, cols: &KindColumns) -> Result<Vec<f64>, IoError> {
    let n = t.len();
    if let Some(i) = column(t, opts, "pos_err", &cols.pos_err, false)? {
        return t.numbers(i, "a position error in arcsec");
    }
    if opts.kind == CatalogKind::Gaia {
        if let (Some(a), Some(d)) = (t.find("ra_error"), t.find("dec_error")) {
            let (a, d) = (
                t.numbers(a, "ra_error (mas)")?,
                t.numbers(d, "dec_error (mas)")?,
            );
            return Ok(a
                .iter()
                .zip(&d)
                .map(|(x, y)| ((x * x + y * y) / 2.0).sqrt() / 1000.0)
                .collect());
        }
    }
    Ok(vec![0.0; n])
}

/// An astronomer's class table ([`exod_core::followup::classify::ClassTable::parse`]) from a
/// file; errors name the file and the row.
pub fn load_class_table(path: &Path) -> Result<exod_core::followup::classify::ClassTable, IoError> {
    let text = std::fs::read_to_string(path).map_err(|error| IoError::Io {
        path: path.into(),
        error,
    })?;
    exod_core::followup::classify::ClassTable::parse(&text, &path.display().to_string())
        .map_err(|e| IoError::invalid(path, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use exod_core::followup::counterparts::{find, MatchOptions};

    fn data(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/followup")
            .join(name)
    }

    #[test]
    fn gaia_synthetic_field_loads_with_exact_ids() {
        let c = load_catalog(
            &data("rxcj0958_gaia_SYNTHETIC.csv"),
            &LoadOptions::new(CatalogKind::Gaia),
        )
        .unwrap();
        assert_eq!(c.len(), 255);
        assert_eq!(c.name, "Gaia DR3");
        assert_eq!(c.ids[0], "9000000000000000001");
        assert_eq!(c.ids[254], "9000000000000000255");
        assert_eq!(c.numbers["parallax"][0], 2.1);
        assert!(c.numbers.contains_key("phot_g_mean_flux_over_error"));
        assert!(c.pos_err_arcsec.iter().all(|&e| e == 0.0));
        // the synthetic star 1.46″ from XGA point source 1 (149.520137, −11.100512) is found,
        // and the density of the field stars is the one the generator used (7.716e-5 /″²)
        let cp = find(149.520137, -11.100512, 1.5, &c, &MatchOptions::default()).unwrap();
        assert_eq!(cp[0].id, "9000000000000000001");
        assert!(cp[0].separation_arcsec < 1.5);
        let rho = 250.0 / 1800f64.powi(2);
        // Poisson count in a 1′–5′ annulus: ~21 stars, so the estimate is within ±3σ ≈ 65 %
        assert!(
            (cp[0].density_per_arcsec2 / rho - 1.0).abs() < 0.65,
            "{}",
            cp[0].density_per_arcsec2
        );
        let want = 1.0
            - (-std::f64::consts::PI * cp[0].separation_arcsec.powi(2) * cp[0].density_per_arcsec2)
                .exp();
        assert!((cp[0].p_chance - want).abs() < 1e-15);
    }

    #[test]
    fn seed000_and_simbad() {
        let g = load_catalog(
            &data("seed000_gaia.csv"),
            &LoadOptions::new(CatalogKind::Gaia),
        )
        .unwrap();
        assert_eq!(g.ids, vec!["seed000"]);
        assert_eq!(g.numbers["parallax"], vec![2.941]);
        assert!(g.numbers["parallax_error"][0].is_nan());
        assert_eq!(g.numbers["bp_rp"], vec![2.416]);
        let s = load_catalog(
            &data("rxcj0958_simbad.csv"),
            &LoadOptions::new(CatalogKind::Simbad),
        )
        .unwrap();
        assert_eq!(s.ids, vec!["ACO 907"]);
        assert_eq!(s.texts["main_type"], vec!["ClG"]);
        assert_eq!(s.numbers["redshift"], vec![0.1669]);
        // the cluster is within 2″ of the XGA extended source
        let cp = find(149.591632, -11.064239, 1.0, &s, &MatchOptions::default()).unwrap();
        assert_eq!(cp.len(), 1);
        assert!(cp[0].separation_arcsec < 2.5);
    }

    #[test]
    fn missing_column_names_file_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gaia_bad.csv");
        std::fs::write(
            &p,
            "source_id,ra,dec,parallax,phot_g_mean_mag,bp_rp\n1,10,20,1,15,1\n",
        )
        .unwrap();
        let e = load_catalog(&p, &LoadOptions::new(CatalogKind::Gaia))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("gaia_bad.csv") && e.contains("parallax_error"),
            "{e}"
        );
        // an override fixes it, and a wrong override names the column asked for
        let mut o = LoadOptions::new(CatalogKind::Gaia);
        o.columns.insert("parallax_error".into(), "parallax".into());
        assert!(load_catalog(&p, &o).is_ok());
        o.columns.insert("parallax".into(), "PLX".into());
        let e = load_catalog(&p, &o).unwrap_err().to_string();
        assert!(e.contains("PLX") && e.contains("gaia_bad.csv"), "{e}");
        let q = dir.path().join("simbad_bad.csv");
        std::fs::write(&q, "main_id,ra,dec\nX,10,20\n").unwrap();
        let e = load_catalog(&q, &LoadOptions::new(CatalogKind::Simbad))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("simbad_bad.csv") && e.contains("main_type"),
            "{e}"
        );
    }

    #[test]
    fn xmm4_suss_and_votable() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("4xmm.csv");
        std::fs::write(
            &p,
            "IAUNAME,SRCID,RA,DEC,POSERR,EP_8_FLUX,EP_8_FLUX_ERR\n4XMM J095800.0-110000,201,149.5,-11.0,1.2,3e-14,1e-15\n",
        )
        .unwrap();
        let x = load_catalog(&p, &LoadOptions::new(CatalogKind::Xmm4)).unwrap();
        assert_eq!(x.ids, vec!["4XMM J095800.0-110000"]);
        assert_eq!(x.pos_err_arcsec, vec![1.2]);
        assert_eq!(x.numbers["ep_8_flux"], vec![3e-14]);
        let mut o = LoadOptions::new(CatalogKind::Xmm4);
        o.columns.insert("id".into(), "SRCID".into());
        assert_eq!(load_catalog(&p, &o).unwrap().ids, vec!["201"]);
        let s = dir.path().join("suss.csv");
        std::fs::write(
            &s,
            "IAUNAME,RA,DEC,POSERR,UVW1_AB_MAG\nXMMOM J1,149.5,-11.0,0.8,19.5\n",
        )
        .unwrap();
        let u = load_catalog(&s, &LoadOptions::new(CatalogKind::Suss)).unwrap();
        assert_eq!(u.numbers["uvw1_ab_mag"], vec![19.5]);
        assert!(!u.numbers.contains_key("v_ab_mag"));
        let v = dir.path().join("g.vot");
        std::fs::write(
            &v,
            r#"<?xml version="1.0"?><VOTABLE version="1.4"><RESOURCE><TABLE>
<FIELD name="source_id" datatype="char" arraysize="*"/><FIELD name="ra" datatype="double"/>
<FIELD name="dec" datatype="double"/><FIELD name="parallax" datatype="double"/>
<FIELD name="parallax_error" datatype="double"/><FIELD name="phot_g_mean_mag" datatype="double"/>
<FIELD name="bp_rp" datatype="double"/>
<DATA><TABLEDATA><TR><TD>4000000000000000001</TD><TD>149.5</TD><TD>-11.0</TD><TD>1.5</TD><TD>0.1</TD><TD>17.0</TD><TD>1.1</TD></TR></TABLEDATA></DATA>
</TABLE></RESOURCE></VOTABLE>"#,
        )
        .unwrap();
        let g = load_catalog(&v, &LoadOptions::new(CatalogKind::Gaia)).unwrap();
        assert_eq!(g.numbers["parallax"], vec![1.5]);
        assert_eq!(g.ra, vec![149.5]);
    }

    #[test]
    fn class_table_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("classes.csv");
        std::fs::write(
            &p,
            "class,quantity,min,max,reference,note\nCV,Gamma,1,2,Mukai 2017,\n",
        )
        .unwrap();
        let t = load_class_table(&p).unwrap();
        assert_eq!(t.rows.len(), 1);
        std::fs::write(
            &p,
            "class,quantity,min,max,reference,note\nCV,colour,1,2,r,\n",
        )
        .unwrap();
        let e = load_class_table(&p).unwrap_err().to_string();
        assert!(e.contains("classes.csv") && e.contains("colour"), "{e}");
        assert!(load_class_table(&dir.path().join("none.csv")).is_err());
    }

    #[test]
    fn fits_long_ids_are_exact() {
        use fitsio::tables::{ColumnDataType, ColumnDescription};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gaia.fits");
        let mut f = fitsio::FitsFile::create(&p).open().unwrap();
        let col = |n: &str, t| ColumnDescription::new(n).with_type(t).create().unwrap();
        let mut cols = vec![col("source_id", ColumnDataType::LongLong)];
        for n in [
            "ra",
            "dec",
            "parallax",
            "parallax_error",
            "phot_g_mean_mag",
            "bp_rp",
        ] {
            cols.push(col(n, ColumnDataType::Double));
        }
        let h = f.create_table("GAIA", &cols).unwrap();
        let ids = [5_000_000_000_000_000_001i64, 5_000_000_000_000_000_002];
        h.write_col(&mut f, "source_id", &ids).unwrap();
        for n in [
            "ra",
            "dec",
            "parallax",
            "parallax_error",
            "phot_g_mean_mag",
            "bp_rp",
        ] {
            h.write_col(&mut f, n, &[10.0f64, 10.001]).unwrap();
        }
        drop(f);
        let c = load_catalog(&p, &LoadOptions::new(CatalogKind::Gaia)).unwrap();
        // through doubles both would read 5000000000000000000
        assert_eq!(c.ids, vec!["5000000000000000001", "5000000000000000002"]);
    }

    /// Seed 000 by hand: the catalogue row, its distance, L_X, F_X/F_opt and log(f_x/f_v).
    #[test]
    fn seed000_hand_calculation_from_the_catalogue() {
        use exod_core::followup::distance::{distance, DistanceMethod, DistanceOptions};
        use exod_core::followup::optical::GbandFlux;
        use exod_core::followup::ratios::{ratios, MvSource, RatioInputs};
        use exod_core::followup::Measured;
        let g = load_catalog(
            &data("seed000_gaia.csv"),
            &LoadOptions::new(CatalogKind::Gaia),
        )
        .unwrap();
        let cp = find(
            53.59466666666666,
            -28.902777777777782,
            1.0,
            &g,
            &MatchOptions::default(),
        )
        .unwrap();
        assert_eq!(cp.len(), 1);
        let n = &cp[0].numbers;
        assert!(
            !n.contains_key("parallax_error"),
            "the seed gives no parallax error"
        );
        let d = distance(n["parallax"], f64::NAN, &DistanceOptions::default()).unwrap();
        assert_eq!(d.method, DistanceMethod::Inversion);
        // 1000 / (2.941 + 0.017) = 338.066 pc; the seed's ≈ 340 pc (1.05e21 cm) is without zp
        assert!((d.distance_pc - 338.0663).abs() < 1e-3);
        assert!((d.distance_cm() / 1.05e21 - 1.0).abs() < 0.01);
        let inp = RatioInputs {
            fx: Measured::exact(4.66e-14),
            fx_03_35: Measured::exact(3.54e-14),
            g: Measured::exact(n["phot_g_mean_mag"]),
            bp_rp: Measured::exact(n["bp_rp"]),
            v: Measured::exact(f64::NAN),
            g_as_v: true,
        };
        let r = ratios(&inp, Some(&d), &GbandFlux::default());
        // L_X = 4π (338.066 pc)² 4.66e-14 = 6.372e29 (oracle), the seed's ≈ 6e29
        let lx = r.lx.unwrap().lx_erg_s;
        assert!((lx / 6.37236e29 - 1.0).abs() < 1e-5, "{lx}");
        // F_X/F_opt = 0.3425 with the default F0 (0.335 with the seed's 1.05e-5): ≈ 0.3
        let q = r.fx_fopt.unwrap().value;
        assert!((q - 0.33515 * 1.05 / 1.0275).abs() < 1e-4, "{q}");
        let l = r.log_fx_fv.unwrap();
        assert_eq!(l.m_v_source, MvSource::G);
        assert!((l.value + 0.20296).abs() < 1e-5);
    }
}
