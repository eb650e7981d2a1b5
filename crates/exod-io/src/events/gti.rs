//! GTIs of an event list: EPIC's per-CCD `STDGTInn` intersected with the data-subspace flare
//! GTI, and the other missions' layouts ([`exod_core::instrument::GtiLayout`]): one `GTI` per
//! Chandra CCD (keyword `CCD_ID`), `GTI1…GTI7` per eROSITA module, one `GTI` for Swift and NuSTAR.

use std::collections::BTreeMap;
use std::path::Path;

use exod_core::exposure::ExposureHeader;
use exod_core::gti::Gti;
use exod_core::instrument::{EpicCamera, GtiLayout};

use super::{invalid, obs_span, warn};
use crate::error::IoError;
use crate::fits::Fits;

/// Read a GTI table (START/STOP) of the current HDU. `span` is the observation's
/// [TSTART, TSTOP]: an interval far outside it (by more than the span itself, at least a day)
/// is not a good time of this observation but a damaged column or header.
pub(crate) fn read_gti_table(f: &mut Fits, span: Option<(f64, f64)>) -> Result<Gti, IoError> {
    let (start_c, _) = f.column_req("START", "GTI start times")?;
    let (stop_c, _) = f.column_req("STOP", "GTI stop times")?;
    f.require_scalar_number(&start_c, "GTI start times in s")?;
    f.require_scalar_number(&stop_c, "GTI stop times in s")?;
    f.check_last_row_not_fill()?;
    let start: Vec<f64> = f.read_all(&start_c)?;
    let stop: Vec<f64> = f.read_all(&stop_c)?;
    if let Some((t0, t1)) = span {
        let margin = (t1 - t0).max(86_400.0);
        let bad = start.iter().zip(&stop).position(|(&a, &b)| {
            a.is_finite() && b.is_finite() && (a < t0 - margin || b > t1 + margin)
        });
        if let Some(i) = bad {
            return Err(invalid(
                &f.path,
                format!(
                    "GTI extension {} row {}: [{}, {}] lies far outside the observation (TSTART–TSTOP = {t0}–{t1} s): a damaged column or header?",
                    f.hdu_name(),
                    i + 1,
                    start[i],
                    stop[i]
                ),
            ));
        }
    }
    Gti::from_rows(&start, &stop).map_err(|e| {
        invalid(
            &f.path,
            format!(
                "GTI extension {}: {e} (expected sorted, disjoint START < STOP rows)",
                f.hdu_name()
            ),
        )
    })
}

/// One component of the EVENTS header's data subspace (the OGIP DSS convention: components are
/// alternatives, their union is the subspace; a component's keywords default to component 1's).
#[derive(Debug, Clone, PartialEq)]
struct DssComponent {
    /// CCDs the component selects (None: no CCDNR selection, every CCD).
    ccds: Option<Vec<u8>>,
    /// The GTI extension its TIME selection refers to (None: no TIME selection).
    gti: Option<String>,
}

/// Parse a CCDNR data-subspace value: `3`, `1:7`, `:12`, `3:` or a comma list of those, within
/// 1..=`n_ccd`.
fn parse_ccd_selection(v: &str, n_ccd: u8) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (lo, hi) = match part.split_once(':') {
            Some((a, b)) => (
                if a.trim().is_empty() {
                    1
                } else {
                    a.trim().parse::<u8>().ok()?
                },
                if b.trim().is_empty() {
                    n_ccd
                } else {
                    b.trim().parse::<u8>().ok()?
                },
            ),
            None => {
                let c = part.parse::<u8>().ok()?;
                (c, c)
            }
        };
        out.extend(lo.max(1)..=hi.min(n_ccd));
    }
    (!out.is_empty()).then_some(out)
}

/// The data-subspace components of the EVENTS header, as far as CCDNR and TIME go.
fn dss_components(
    f: &mut Fits,
    n_ccd: u8,
    warnings: &mut Vec<String>,
) -> Result<Vec<DssComponent>, IoError> {
    let mut time_n = None;
    let mut ccd_n = None;
    for n in 1..=20 {
        match f.string(&format!("DSTYP{n}"))? {
            Some(s) if s.trim() == "TIME" => time_n = Some(n),
            Some(s) if s.trim() == "CCDNR" => ccd_n = Some(n),
            _ => {}
        }
    }
    let mut out: Vec<DssComponent> = Vec::new();
    for k in 1..=999 {
        let pre = if k == 1 { String::new() } else { k.to_string() };
        let gti = match time_n {
            Some(tn) => f.string(&format!("{pre}DSREF{tn}"))?,
            None => None,
        };
        let ccd_val = match ccd_n {
            Some(cn) => f.string(&format!("{pre}DSVAL{cn}"))?,
            None => None,
        };
        if k > 1 && gti.is_none() && ccd_val.is_none() {
            break;
        }
        let first = out.first().cloned();
        let ccds = match ccd_val {
            Some(v) => match parse_ccd_selection(&v, n_ccd) {
                Some(c) => Some(c),
                None => {
                    warnings.push(format!("data-subspace CCDNR value {v:?} of component {k} is not a CCD selection (expected N, A:B or a comma list): taken as every CCD"));
                    None
                }
            },
            None => first.as_ref().and_then(|c| c.ccds.clone()),
        };
        let gti = gti
            .map(|r| r.trim().trim_start_matches(':').to_string())
            .or_else(|| first.and_then(|c| c.gti));
        out.push(DssComponent { ccds, gti });
    }
    Ok(out)
}

/// EPIC GTIs: `STDGTInn` per CCD, intersected with the flare GTI the data-subspace keywords
/// attach to that CCD.
pub(crate) fn epic_gtis(
    f: &mut Fits,
    names: &[String],
    cam: EpicCamera,
    span: Option<(f64, f64)>,
    warnings: &mut Vec<String>,
) -> Result<(BTreeMap<u8, Gti>, String), IoError> {
    let path = f.path.clone();
    let dss = dss_components(f, cam.n_ccd(), warnings)?;
    let timed = dss.iter().any(|c| c.gti.is_some());
    let source = if timed {
        "STDGTInn ∩ data-subspace (DSREF) GTI per CCD"
    } else {
        "STDGTInn per CCD"
    };
    let mut gti = BTreeMap::new();
    for ccd in 1..=cam.n_ccd() {
        let name = format!("STDGTI{ccd:02}");
        if !names.iter().any(|n| n == &name) {
            continue;
        }
        f.select(&name, "a per-CCD GTI")?;
        let mut g = read_gti_table(f, span)?;
        if timed {
            if let Some(allowed) = dss_time(f, names, &dss, ccd, span, warnings)? {
                g = g.intersect(&allowed);
            }
        }
        gti.insert(ccd, g);
    }
    if gti.is_empty() {
        return Err(invalid(
            &path,
            format!(
                "no STDGTInn extension: an EPIC event list has one GTI per CCD (HDUs: {})",
                names.join(", ")
            ),
        ));
    }
    if gti.values().all(|g| g.is_empty()) {
        return Err(invalid(
            &path,
            "every GTI is empty: the exposure has no good time",
        ));
    }
    Ok((gti, source.into()))
}

/// The times the data subspace allows on `ccd`: the union of the GTIs of the components that
/// select it (None: no restriction).
fn dss_time(
    f: &mut Fits,
    names: &[String],
    dss: &[DssComponent],
    ccd: u8,
    span: Option<(f64, f64)>,
    warnings: &mut Vec<String>,
) -> Result<Option<Gti>, IoError> {
    let mine: Vec<&DssComponent> = dss
        .iter()
        .filter(|c| c.ccds.as_ref().map_or(true, |s| s.contains(&ccd)))
        .collect();
    if mine.is_empty() {
        warnings.push(format!("CCD {ccd} is in no data-subspace component: its STDGTI{ccd:02} is used without a flare GTI"));
        return Ok(None);
    }
    let mut allowed = Gti::default();
    for c in mine {
        let Some(r) = &c.gti else { return Ok(None) };
        if !names.iter().any(|n| n.eq_ignore_ascii_case(r)) {
            return Err(invalid(&f.path, format!(
                "the EVENTS data subspace of CCD {ccd} refers to GTI extension {r}, which is not in the file (its {} HDUs end with {}: is the file cut short?)",
                names.len(),
                names.last().map(String::as_str).unwrap_or("?")
            )));
        }
        f.select(r, "the flare-filtered GTI named by DSREF")?;
        allowed = allowed.union(&read_gti_table(f, span)?);
    }
    Ok(Some(allowed))
}

/// Other missions: the `GTI`/`STDGTI` extension, or [TSTART, TSTOP], or (after the events are
/// read) their span.
pub(super) fn other_gtis(
    f: &mut Fits,
    h: &ExposureHeader,
    warnings: &mut Vec<String>,
) -> Result<(BTreeMap<u8, Gti>, String), IoError> {
    let mut gti = BTreeMap::new();
    let is_gti =
        |n: &str| n.eq_ignore_ascii_case("GTI") || n.to_ascii_uppercase().starts_with("STDGTI");
    let found: Vec<(usize, String)> = f
        .hdus()
        .iter()
        .filter(|e| is_gti(&e.name))
        .map(|e| (e.index, e.name.clone()))
        .collect();
    // a GTI extension that exists is read, or the read fails: never a fallback to TSTART–TSTOP
    let source = match found.as_slice() {
        [(i, g)] => {
            f.select_index(*i)?;
            gti.insert(0, read_gti_table(f, obs_span(h))?);
            format!("{g} extension")
        }
        [_, _, ..] => {
            // e.g. Chandra: one GTI extension per CCD (CCD_ID keyword); their union
            let mut all = Gti::default();
            for (i, _) in &found {
                f.select_index(*i)?;
                all = all.union(&read_gti_table(f, obs_span(h))?);
            }
            gti.insert(0, all);
            let list = found
                .iter()
                .map(|(i, g)| format!("{g} (HDU {i})"))
                .collect::<Vec<_>>()
                .join(", ");
            let path = f.path.clone();
            warn(
                &path,
                warnings,
                format!(
                    "{} GTI extensions ({list}): their union is used for every event",
                    found.len()
                ),
            );
            format!("union of the GTI extensions {list}")
        }
        [] => match (h.tstart, h.tstop) {
            (Some(a), Some(b)) if b > a => {
                gti.insert(0, Gti::single(a, b));
                let path = f.path.clone();
                warn(
                    &path,
                    warnings,
                    "no GTI extension: GTI = [TSTART, TSTOP]".into(),
                );
                "TSTART–TSTOP (no GTI extension)".into()
            }
            _ => {
                gti.insert(0, Gti::default());
                String::new()
            }
        },
    };
    Ok((gti, source))
}

/// The HDUs whose name satisfies `pick`, as (index, name, chip): `chip` is what `pick` returns.
fn gti_hdus(
    f: &Fits,
    pick: impl Fn(&str) -> Option<Option<u8>>,
) -> Vec<(usize, String, Option<u8>)> {
    f.hdus()
        .iter()
        .filter_map(|e| pick(&e.name).map(|c| (e.index, e.name.clone(), c)))
        .collect()
}

/// GTIs of a non-EPIC list by its instrument's layout: one per chip where the file says which
/// chip an extension is for (Chandra `GTI` + `CCD_ID`, eROSITA `GTI1…GTI7`), else one GTI for
/// every chip under key 0 ([`other_gtis`]: the `GTI` extension, several united, or TSTART–TSTOP).
pub(super) fn mission_gtis(
    f: &mut Fits,
    h: &ExposureHeader,
    layout: GtiLayout,
    warnings: &mut Vec<String>,
) -> Result<(BTreeMap<u8, Gti>, String), IoError> {
    let found = match layout {
        GtiLayout::PerChipKeyword { extname, .. } => {
            gti_hdus(f, |n| n.eq_ignore_ascii_case(extname).then_some(None))
        }
        GtiLayout::PerModuleNumbered { prefix } => gti_hdus(f, |n| {
            let u = n.to_ascii_uppercase();
            let tm = u.strip_prefix(prefix)?.parse::<u8>().ok()?;
            (1..=7).contains(&tm).then_some(Some(tm))
        }),
        _ => Vec::new(),
    };
    if found.is_empty() {
        return other_gtis(f, h, warnings);
    }
    let mut gti: BTreeMap<u8, Gti> = BTreeMap::new();
    for (i, _, chip) in &found {
        f.select_index(*i)?;
        let chip = match (chip, layout) {
            (Some(c), _) => Some(*c),
            (None, GtiLayout::PerChipKeyword { chip_key, .. }) => f
                .num(chip_key, "the chip of the GTI extension")?
                .filter(|c| (0.0..=255.0).contains(c))
                .map(|c| c as u8),
            _ => None,
        };
        let Some(chip) = chip else {
            // an extension for no chip in particular: the layout does not apply
            return other_gtis(f, h, warnings);
        };
        let g = read_gti_table(f, obs_span(h))?;
        let merged = match gti.remove(&chip) {
            Some(old) => old.union(&g),
            None => g,
        };
        gti.insert(chip, merged);
    }
    let names: Vec<String> = found.iter().map(|(_, n, _)| n.clone()).collect();
    let what = match layout {
        GtiLayout::PerChipKeyword { chip_key, .. } => {
            format!("{} per chip ({chip_key} keyword)", names[0])
        }
        _ => format!("{} per telescope module", names.join(", ")),
    };
    Ok((gti, what))
}

/// Give every chip that has events its GTI: a GTI under key 0 (one for the whole exposure)
/// serves every chip without its own. A chip with events and no GTI at all is an error, as for
/// EPIC (its events would all be lost as outside the good time).
pub(super) fn spread_to_chips(
    path: &Path,
    gti: &mut BTreeMap<u8, Gti>,
    chips: &[u8],
) -> Result<(), IoError> {
    let common = gti.get(&0).cloned();
    let mut missing = Vec::new();
    for &c in chips {
        if gti.contains_key(&c) {
            continue;
        }
        match &common {
            Some(g) => {
                gti.insert(c, g.clone());
            }
            None => missing.push(c.to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(invalid(
            path,
            format!(
                "chips {} have events but no GTI extension (GTIs exist for chips {:?}): their events would be lost as outside the good time",
                missing.join(", "),
                gti.keys().collect::<Vec<_>>()
            ),
        ));
    }
    if common.is_some() && !chips.contains(&0) && chips.iter().any(|&c| c != 0) {
        gti.remove(&0);
    }
    Ok(())
}
