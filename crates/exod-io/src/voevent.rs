//! Alerts as IVOA VOEvent 2.0 packets (Seaman et al. 2011, IVOA Recommendation "Sky Event
//! Reporting Metadata Version 2.0", <https://www.ivoa.net/documents/VOEvent/>) and as JSON, one
//! file of each per alert, written atomically.
//!
//! The packet:
//!
//! * `ivorn = <base>#<alert id>` (default base `ivo://exod/alerts`), `role` `observation` (or
//!   `test` for simulated data);
//! * `Who`: `AuthorIVORN` = the base, `Date` = the packet's creation time (UTC;
//!   `SOURCE_DATE_EPOCH` makes it reproducible), `Author/shortName` = exod;
//! * `What`: one `Param` per measured quantity with its unit and UCD — alert type, observation,
//!   source, significance, flux (and 1σ bounds) or upper limit with its band, the long-term
//!   variability figure and the observation it is compared with, the short-term flag — and a
//!   `Reference` per link (light curve, report);
//! * `WhereWhen`: the STC position (`TT-FK5-GEO`: XMM-Newton times are TT and positions FK5,
//!   the observatory in orbit stands for the geocentre as in GCN's Swift packets) with its
//!   error radius (deg) and the time of the event (ISO 8601, TT);
//! * `How`: the instrument and the method; `Why`: the inferred concept (`process.variation` for
//!   long-term changes, `process.variation.burst` for short-term transients) and a name;
//!   `Description`: one sentence.
//!
//! The packets are checked against the official VOEvent 2.0 schema by the tests (with the
//! `voevent-parse` Python package, which ships the schema).
#![allow(clippy::result_large_err)]

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::error::IoError;

/// One link of an alert (a light curve, a report).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// What the link is (`lightcurve`, `report`, `longterm`).
    pub kind: String,
    /// URI or path (relative to the alert's folder).
    pub uri: String,
}

/// A quantity of the alert: name, value, unit, UCD, description.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    /// Name.
    pub name: String,
    /// Value (as written).
    pub value: String,
    /// Unit (empty when none).
    pub unit: String,
    /// IVOA UCD (empty when none).
    pub ucd: String,
    /// VOEvent data type: `float`, `int` or `string`.
    pub data_type: &'static str,
    /// One-line description.
    pub description: String,
}

impl Param {
    /// A floating-point quantity (shortest round-trip digits).
    pub fn float(name: &str, value: f64, unit: &str, ucd: &str, description: &str) -> Param {
        Param {
            name: name.into(),
            value: crate::ecsv::number(value),
            unit: unit.into(),
            ucd: ucd.into(),
            data_type: "float",
            description: description.into(),
        }
    }

    /// A text quantity.
    pub fn text(name: &str, value: &str, ucd: &str, description: &str) -> Param {
        Param {
            name: name.into(),
            value: value.into(),
            unit: String::new(),
            ucd: ucd.into(),
            data_type: "string",
            description: description.into(),
        }
    }
}

/// Everything an alert packet says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertPacket {
    /// Alert identifier (file-name safe; the fragment of the IVORN).
    pub id: String,
    /// IVORN base (`ivo://authority/resource`).
    pub ivorn_base: String,
    /// `observation` or `test`.
    pub role: String,
    /// Packet creation time (ISO 8601 UTC).
    pub date: String,
    /// Alert type name (e.g. `high_state`).
    pub kind: String,
    /// The inferred concept (`process.variation`, `process.variation.burst`).
    pub concept: String,
    /// Right ascension (deg, FK5 J2000).
    pub ra: f64,
    /// Declination (deg).
    pub dec: f64,
    /// Position error radius (arcsec, 1σ).
    pub pos_err_arcsec: f64,
    /// Time of the event (ISO 8601, TT).
    pub time_iso: String,
    /// Instrument and method, for `How`.
    pub how: String,
    /// The quantities.
    pub params: Vec<Param>,
    /// Links.
    pub links: Vec<Link>,
    /// One sentence.
    pub description: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn param_xml(out: &mut String, p: &Param) {
    let _ = write!(
        out,
        "    <Param name=\"{}\" value=\"{}\" dataType=\"{}\"",
        esc(&p.name),
        esc(&p.value),
        p.data_type
    );
    if !p.unit.is_empty() {
        let _ = write!(out, " unit=\"{}\"", esc(&p.unit));
    }
    if !p.ucd.is_empty() {
        let _ = write!(out, " ucd=\"{}\"", esc(&p.ucd));
    }
    let _ = writeln!(
        out,
        ">\n      <Description>{}</Description>\n    </Param>",
        esc(&p.description)
    );
}

fn where_when(out: &mut String, a: &AlertPacket) {
    let _ = write!(
        out,
        "  <WhereWhen>
    <ObsDataLocation>
      <ObservatoryLocation id=\"GEOLUN\"/>
      <ObservationLocation>
        <AstroCoordSystem id=\"TT-FK5-GEO\"/>
        <AstroCoords coord_system_id=\"TT-FK5-GEO\">
          <Time unit=\"s\">
            <TimeInstant>
              <ISOTime>{}</ISOTime>
            </TimeInstant>
          </Time>
          <Position2D unit=\"deg\">
            <Name1>RA</Name1>
            <Name2>Dec</Name2>
            <Value2>
              <C1>{}</C1>
              <C2>{}</C2>
            </Value2>
            <Error2Radius>{}</Error2Radius>
          </Position2D>
        </AstroCoords>
      </ObservationLocation>
    </ObsDataLocation>
  </WhereWhen>
",
        esc(&a.time_iso),
        a.ra,
        a.dec,
        crate::ecsv::number(a.pos_err_arcsec / 3600.0)
    );
}

/// The VOEvent 2.0 XML of an alert.
pub fn render(a: &AlertPacket) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<voe:VOEvent xmlns:voe=\"http://www.ivoa.net/xml/VOEvent/v2.0\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"http://www.ivoa.net/xml/VOEvent/v2.0 http://www.ivoa.net/xml/VOEvent/VOEvent-v2.0.xsd\" \
         version=\"2.0\" role=\"{}\" ivorn=\"{}#{}\">",
        esc(&a.role),
        esc(&a.ivorn_base),
        esc(&a.id)
    );
    let _ = writeln!(
        s,
        "  <Who>\n    <AuthorIVORN>{}</AuthorIVORN>\n    <Date>{}</Date>\n    <Author>\n      <shortName>exod</shortName>\n    </Author>\n  </Who>",
        esc(&a.ivorn_base),
        esc(&a.date)
    );
    s.push_str("  <What>\n");
    for p in &a.params {
        param_xml(&mut s, p);
    }
    for l in &a.links {
        let _ = writeln!(
            s,
            "    <Reference uri=\"{}\" type=\"{}\"/>",
            esc(&l.uri),
            esc(&l.kind)
        );
    }
    s.push_str("  </What>\n");
    where_when(&mut s, a);
    let _ = writeln!(
        s,
        "  <How>\n    <Description>{}</Description>\n  </How>",
        esc(&a.how)
    );
    let _ = writeln!(
        s,
        "  <Why>\n    <Inference>\n      <Concept>{}</Concept>\n      <Name>{}</Name>\n    </Inference>\n  </Why>",
        esc(&a.concept),
        esc(&a.kind)
    );
    let _ = writeln!(
        s,
        "  <Description>{}</Description>\n</voe:VOEvent>",
        esc(&a.description)
    );
    s
}

/// Write `<dir>/<id>.xml` (VOEvent) and `<dir>/<id>.json`, each atomically; the folder is
/// created if needed.
pub fn write(dir: &Path, a: &AlertPacket) -> Result<(), IoError> {
    std::fs::create_dir_all(dir).map_err(|e| IoError::output(dir.to_path_buf(), e))?;
    let xml = dir.join(format!("{}.xml", a.id));
    crate::fits::write_atomic(&xml, |tmp| std::fs::write(tmp, render(a)))
        .map_err(|e| IoError::output(xml.clone(), e))?;
    let json = dir.join(format!("{}.json", a.id));
    let text = serde_json::to_string_pretty(a).map_err(|e| IoError::output(json.clone(), e))?;
    crate::fits::write_atomic(&json, |tmp| std::fs::write(tmp, text + "\n"))
        .map_err(|e| IoError::output(json.clone(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet() -> AlertPacket {
        AlertPacket {
            id: "0201903501-high_state-0123abcd".into(),
            ivorn_base: "ivo://exod/alerts".into(),
            role: "test".into(),
            date: "2026-12-01T00:00:00".into(),
            kind: "high_state".into(),
            concept: "process.variation".into(),
            ra: 149.5,
            dec: -11.05,
            pos_err_arcsec: 1.8,
            time_iso: "2004-06-17T12:00:00".into(),
            how: "XMM-Newton EPIC <MOS1+MOS2> & exod".into(),
            params: vec![
                Param::float(
                    "flux",
                    1.5e-13,
                    "erg/cm2/s",
                    "phot.flux;em.X-ray",
                    "0.2-12 keV",
                ),
                Param::text("obs_id", "0201903501", "meta.id", "observation"),
            ],
            links: vec![Link {
                kind: "lightcurve".into(),
                uri: "longterm/lc.png".into(),
            }],
            description: "A \"high\" state".into(),
        }
    }

    #[test]
    fn xml_escapes_and_carries_every_field() {
        let x = render(&packet());
        assert!(x.contains("ivorn=\"ivo://exod/alerts#0201903501-high_state-0123abcd\""));
        assert!(x.contains("XMM-Newton EPIC &lt;MOS1+MOS2&gt; &amp; exod"));
        assert!(x.contains("A &quot;high&quot; state"));
        assert!(x.contains("<C1>149.5</C1>") && x.contains("<C2>-11.05</C2>"));
        assert!(x.contains("<Error2Radius>0.0005</Error2Radius>"));
        assert!(x.contains("value=\"1.5e-13\"") && x.contains("unit=\"erg/cm2/s\""));
        assert!(x.contains("<Reference uri=\"longterm/lc.png\" type=\"lightcurve\"/>"));
        assert_eq!(x.matches("<Param ").count(), 2);
    }
}
