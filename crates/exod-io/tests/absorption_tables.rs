//! The cross-section tables embedded in exod-core (`crates/exod-core/data/absorption/*.f32le`) are bit-identical
//! to the ENERGY and SIGMA columns of the astromodels FITS tables in `testdata/spectral/absorption/`, read here
//! through cfitsio (fitsio crate) independently of the conversion script.

use std::path::PathBuf;

use exod_core::spectral::model::absorption::{embedded_f32, AbsorptionKind, CrossSection};

fn fits_columns(name: &str) -> (Vec<f32>, Vec<f32>, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/spectral/absorption")
        .join(format!("xsect_{name}.fits.gz"));
    let mut f = fitsio::FitsFile::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let hdu = f.hdu(1).unwrap();
    let energy: Vec<f32> = hdu.read_col(&mut f, "ENERGY").unwrap();
    let sigma: Vec<f32> = hdu.read_col(&mut f, "SIGMA").unwrap();
    let table: String = hdu.read_key(&mut f, "TABLE").unwrap();
    (energy, sigma, table)
}

#[test]
fn embedded_tables_are_bit_identical_to_the_fits_columns() {
    for (kind, abund) in [
        (AbsorptionKind::Tbabs, "wilm"),
        (AbsorptionKind::Phabs, "AG89"),
        (AbsorptionKind::Wabs, "angr"),
    ] {
        let (energy, sigma, table) = fits_columns(kind.table_name());
        assert_eq!(table.trim(), abund, "{}", kind.table_name());
        assert_eq!(energy.len(), 10_000);
        let (e_emb, s_emb) = embedded_f32(kind);
        assert_eq!(e_emb.len(), energy.len());
        for i in 0..energy.len() {
            assert_eq!(
                e_emb[i].to_bits(),
                energy[i].to_bits(),
                "{} ENERGY row {i}",
                kind.table_name()
            );
            assert_eq!(
                s_emb[i].to_bits(),
                sigma[i].to_bits(),
                "{} SIGMA row {i}",
                kind.table_name()
            );
        }
        // and the f64 table the models interpolate is exactly these values
        let t = CrossSection::embedded(kind);
        assert!(t.energy().iter().zip(&energy).all(|(a, b)| *a == *b as f64));
        assert!(t
            .sigma_table()
            .iter()
            .zip(&sigma)
            .all(|(a, b)| *a == *b as f64));
    }
}
