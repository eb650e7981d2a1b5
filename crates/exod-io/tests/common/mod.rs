//! Helpers shared by the damaged-input tests: the shipped real lists decompressed in memory,
//! their HDU layout, header cards edited byte by byte (as damage does), gzip.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real")
        .join(rel)
}

/// The shipped real MOS1 list of 0201901401 (gzip-compressed).
pub fn real_mos() -> PathBuf {
    testdata("xga_0201901401/mos1_exp1_clean_evts.fits.gz")
}

pub fn gunzip_file(p: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The uncompressed bytes of the real MOS1 list (1,454,400 bytes, 32 HDUs).
pub fn real_mos_bytes() -> Vec<u8> {
    gunzip_file(&real_mos())
}

/// One HDU of a FITS byte string.
#[derive(Debug, Clone)]
pub struct Hdu {
    pub name: String,
    pub header_start: usize,
    pub data_start: usize,
    pub data_end: usize,
    /// (keyword, byte offset of its card)
    pub cards: Vec<(String, usize)>,
}

impl Hdu {
    pub fn card(&self, key: &str) -> usize {
        self.cards
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("no {key} in {}", self.name))
            .1
    }
}

/// The HDUs of an undamaged FITS byte string, parsed independently of cfitsio.
pub fn layout(b: &[u8]) -> Vec<Hdu> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 2880 <= b.len() {
        let header_start = pos;
        let mut cards = Vec::new();
        let mut vals = std::collections::HashMap::new();
        'hdr: loop {
            for k in 0..36 {
                let at = pos + k * 80;
                let card = std::str::from_utf8(&b[at..at + 80]).unwrap();
                let key = card[..8].trim().to_string();
                if key == "END" {
                    pos += 2880;
                    break 'hdr;
                }
                if &card[8..10] == "= " {
                    let v = card[10..].split('/').next().unwrap().trim().to_string();
                    vals.insert(key.clone(), v);
                }
                cards.push((key, at));
            }
            pos += 2880;
        }
        let num = |k: &str| {
            vals.get(k)
                .map(|v| v.parse::<usize>().unwrap())
                .unwrap_or(0)
        };
        let naxis = num("NAXIS");
        let mut size = if naxis == 0 { 0 } else { 1 };
        for n in 1..=naxis {
            size *= num(&format!("NAXIS{n}"));
        }
        let bitpix: i64 = vals["BITPIX"].parse().unwrap();
        size = size * (bitpix.unsigned_abs() as usize / 8) + num("PCOUNT");
        let data_start = pos;
        pos += size.div_ceil(2880) * 2880;
        let name = vals
            .get("EXTNAME")
            .map(|v| v.trim_matches('\'').trim().to_string())
            .unwrap_or_else(|| "PRIMARY".into());
        out.push(Hdu {
            name,
            header_start,
            data_start,
            data_end: pos,
            cards,
        });
    }
    out
}

pub fn hdu<'a>(l: &'a [Hdu], name: &str) -> &'a Hdu {
    l.iter()
        .find(|h| h.name == name)
        .unwrap_or_else(|| panic!("no HDU {name}"))
}

/// Rewrite the value field (columns 11–30) of a card, keeping the keyword and the comment:
/// numbers right-justified, strings as given (with their quotes).
pub fn set_value(b: &mut [u8], card_at: usize, value: &str) {
    let field = if value.starts_with('\'') {
        format!("{value:<20}")
    } else {
        format!("{value:>20}")
    };
    assert!(field.len() <= 20, "value too long: {value}");
    b[card_at + 10..card_at + 30].copy_from_slice(field.as_bytes());
}

/// Replace a whole card by a COMMENT card (the keyword disappears, nothing moves).
pub fn blank_card(b: &mut [u8], card_at: usize) {
    let c = format!("{:<80}", "COMMENT   removed by the test");
    b[card_at..card_at + 80].copy_from_slice(c.as_bytes());
}

/// The real MOS1 list as a pipeline list before flare filtering: the EVENTS data subspace has
/// no TIME component (DSTYP6 removed), so the per-CCD GTIs are the STDGTInn alone.
pub fn mos_without_dsref() -> Vec<u8> {
    let mut b = real_mos_bytes();
    let l = layout(&b);
    let ev = hdu(&l, "EVENTS").clone();
    blank_card(&mut b, ev.card("DSTYP6"));
    b
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}
