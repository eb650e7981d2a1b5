//! Online catalogue queries for the follow-up report (`exod followup --online`): the Gaia DR3
//! archive's TAP service and SIMBAD's TAP service, by a synchronous ADQL cone search, with the
//! answers cached on disk so a report can be redone (and tested) without the network.
//!
//! * Gaia DR3: `https://gea.esac.esa.int/tap-server/tap/sync`, table `gaiadr3.gaia_source`, the
//!   archive's column names (what [`crate::counterparts`] reads for Gaia-like tables).
//! * SIMBAD: `https://simbad.cds.unistra.fr/simbad/sim-tap/sync`, table `basic` (`main_id`,
//!   `ra`, `dec`, `otype AS main_type`).
//!
//! The query is `REQUEST=doQuery&LANG=ADQL&FORMAT=csv&QUERY=…` (IVOA TAP 1.1), sent by the
//! system's `curl` (`curl -sS --fail -G --data-urlencode`). The cache file is
//! `DIR/<service>_<FNV-1a 64 of the query, hex>.csv`, with the query beside it in `.adql`; a cached
//! answer is used without any network access. Answers are written to a temporary file and renamed.

// IoError is the crate-wide error (large: it carries paths and cfitsio messages), as in ogip
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::IoError;

/// A TAP service exod can query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Gaia DR3 at ESA's archive.
    GaiaDr3,
    /// SIMBAD at CDS.
    Simbad,
}

impl Service {
    /// The synchronous TAP endpoint.
    pub fn endpoint(self) -> &'static str {
        match self {
            Service::GaiaDr3 => "https://gea.esac.esa.int/tap-server/tap/sync",
            Service::Simbad => "https://simbad.cds.unistra.fr/simbad/sim-tap/sync",
        }
    }

    /// Short name (cache file prefix).
    pub fn name(self) -> &'static str {
        match self {
            Service::GaiaDr3 => "gaia_dr3",
            Service::Simbad => "simbad",
        }
    }

    /// The ADQL cone search of radius `radius_arcsec` around (ra, dec) in degrees.
    pub fn cone_query(self, ra: f64, dec: f64, radius_arcsec: f64) -> String {
        let circle = format!(
            "CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {ra:.7}, {dec:.7}, {:.7})) = 1",
            radius_arcsec / 3600.0
        );
        match self {
            Service::GaiaDr3 => format!(
                "SELECT source_id, ra, dec, ra_error, dec_error, parallax, parallax_error, \
                 phot_g_mean_mag, phot_g_mean_flux_over_error, bp_rp, ruwe \
                 FROM gaiadr3.gaia_source WHERE {circle}"
            ),
            Service::Simbad => {
                format!("SELECT main_id, ra, dec, otype AS main_type FROM basic WHERE {circle}")
            }
        }
    }
}

/// FNV-1a 64-bit hash (a stable cache key across runs and machines).
pub fn fnv1a64(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The cache file of `query` on `service` in `cache_dir`.
pub fn cache_path(cache_dir: &Path, service: Service, query: &str) -> PathBuf {
    cache_dir.join(format!("{}_{:016x}.csv", service.name(), fnv1a64(query)))
}

/// The CSV answer of a cone search: from the cache if there, else from the service (then
/// cached). Returns the CSV file's path (readable by [`crate::counterparts::load_catalog`]).
pub fn cone_search(
    service: Service,
    ra: f64,
    dec: f64,
    radius_arcsec: f64,
    cache_dir: &Path,
) -> Result<PathBuf, IoError> {
    let query = service.cone_query(ra, dec, radius_arcsec);
    let path = cache_path(cache_dir, service, &query);
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(cache_dir).map_err(|e| IoError::output(cache_dir.to_path_buf(), e))?;
    std::fs::write(path.with_extension("adql"), &query)
        .map_err(|e| IoError::output(path.with_extension("adql"), e))?;
    let tmp = path.with_extension("csv.part");
    let out = Command::new("curl")
        .args([
            "-sS",
            "--fail",
            "--max-time",
            "120",
            "-G",
            service.endpoint(),
        ])
        .args([
            "--data-urlencode",
            "REQUEST=doQuery",
            "--data-urlencode",
            "LANG=ADQL",
        ])
        .args(["--data-urlencode", "FORMAT=csv", "--data-urlencode"])
        .arg(format!("QUERY={query}"))
        .arg("-o")
        .arg(&tmp)
        .output();
    let failed = |why: String| {
        IoError::invalid(
            path.clone(),
            format!(
            "{} query failed ({why}): expected network access to {} — or the cached answer {} (a CSV of the query in {})",
            service.name(),
            service.endpoint(),
            path.display(),
            path.with_extension("adql").display()
            ),
        )
    };
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(failed(
                String::from_utf8_lossy(&o.stderr).trim().to_string(),
            ));
        }
        Err(e) => return Err(failed(format!("cannot run curl: {e}"))),
    }
    std::fs::rename(&tmp, &path).map_err(|e| IoError::output(path.clone(), e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_cone_searches_and_cache_keys_are_stable() {
        let q = Service::GaiaDr3.cone_query(53.5946667, -28.9027778, 300.0);
        assert!(q.contains("FROM gaiadr3.gaia_source"));
        assert!(q.contains("CIRCLE('ICRS', 53.5946667, -28.9027778, 0.0833333)"));
        assert!(Service::Simbad
            .cone_query(1.0, 2.0, 36.0)
            .contains("otype AS main_type FROM basic"));
        // FNV-1a 64 reference values (the algorithm's published test vectors)
        assert_eq!(fnv1a64(""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64("a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64("foobar"), 0x85944171f73967e8);
        let p = cache_path(Path::new("/c"), Service::Simbad, "x");
        assert_eq!(
            p,
            PathBuf::from(format!("/c/simbad_{:016x}.csv", fnv1a64("x")))
        );
    }

    #[test]
    fn a_cached_answer_is_used_without_the_network() {
        let d = tempfile::tempdir().unwrap();
        let q = Service::GaiaDr3.cone_query(10.0, 20.0, 300.0);
        let cached = cache_path(d.path(), Service::GaiaDr3, &q);
        std::fs::write(&cached, "source_id,ra,dec\n1,10,20\n").unwrap();
        let got = cone_search(Service::GaiaDr3, 10.0, 20.0, 300.0, d.path()).unwrap();
        assert_eq!(got, cached);
    }
}
