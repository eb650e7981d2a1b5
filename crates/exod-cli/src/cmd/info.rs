//! `exod info FILE...`: what an event list contains, before and after screening.

use std::path::PathBuf;

use anyhow::Result;
use exod_core::exposure::Exposure as EventList;
use exod_io::events::{self, ReadOptions};

#[derive(clap::Args)]
pub struct Args {
    /// Event lists (FITS, gzip-compressed or not).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print one JSON object per file instead of text.
    #[arg(long)]
    json: bool,
}

/// The facts printed for one file, as JSON.
pub fn to_json(ev: &EventList) -> serde_json::Value {
    let h = ev.header();
    let wcs = match ev.wcs() {
        Ok(w) => {
            let p = w.params();
            serde_json::json!({"valid": true, "projection": format!("{:?}", p.projection),
                "crval": p.crval, "crpix": p.crpix, "cdelt": p.cdelt, "pixel_arcsec": w.pixel_arcsec()})
        }
        Err(e) => serde_json::json!({"valid": false, "reason": e.0}),
    };
    let gti: serde_json::Map<String, serde_json::Value> = ev
        .gti()
        .iter()
        .map(|(c, g)| {
            (
                c.to_string(),
                serde_json::json!({"exposure_s": g.exposure(), "intervals": g.intervals().len()}),
            )
        })
        .collect();
    serde_json::json!({
        "file": ev.path(),
        "mission": format!("{:?}", h.mission),
        "telescope": h.telescope,
        "instrument": h.instrument,
        "datamode": h.datamode,
        "submode": h.submode,
        "obs_id": h.obs_id,
        "exp_id": h.exp_id,
        "revolution": h.revolution,
        "object": h.object,
        "date_obs": h.date_obs,
        "tstart": h.tstart, "tstop": h.tstop, "mjdref": h.mjdref,
        "events_read": ev.screening().n_read,
        "events_kept": ev.screening().n_kept,
        "removed": ev.screening().removed.iter().map(|(k, v)| serde_json::json!({"criterion": k, "events": v})).collect::<Vec<_>>(),
        "time_first": ev.time().first(), "time_last": ev.time().last(),
        "gti": gti,
        "gti_source": ev.gti_source(),
        "pointing": {"ra": h.ra_pnt, "dec": h.dec_pnt, "pa": h.pa_pnt},
        "wcs": wcs,
        "energy_source": ev.energy_source(),
        "warnings": ev.warnings(),
    })
}

pub fn run(a: Args) -> Result<()> {
    let mut failed = 0;
    for path in &a.files {
        match events::read(path, &ReadOptions::default()) {
            Ok(ev) => {
                if a.json {
                    println!("{}", to_json(&ev));
                } else {
                    print_text(&ev);
                }
            }
            Err(e) => {
                failed += 1;
                if a.json {
                    println!(
                        "{}",
                        serde_json::json!({"file": path, "error": e.to_string()})
                    );
                }
                eprintln!("error: {e}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} file(s) could not be read", a.files.len());
    }
    Ok(())
}

fn print_text(ev: &EventList) {
    let h = ev.header();
    let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    println!("{}", ev.path().display());
    println!(
        "  mission      {:?} ({}), instrument {}",
        h.mission, h.telescope, h.instrument
    );
    match ev.instrument() {
        Ok(i) => {
            let d = i.description();
            let bands: Vec<String> = d.bands().iter().map(|b| b.label()).collect();
            println!(
                "  searched as  {} ({}): cell {}″, bands {} keV, BTI rule {}",
                i.label(),
                d.mission.name(),
                d.default_cell_arcsec,
                bands.join(", "),
                if d.bti.is_some() { "yes" } else { "none" }
            );
        }
        Err(e) => println!("  searched as  not searched: {e}"),
    }
    println!("  mode         {} / {}", opt(&h.datamode), opt(&h.submode));
    println!(
        "  obs / exp    {} / {}   revolution {}",
        opt(&h.obs_id),
        opt(&h.exp_id),
        h.revolution.map(|r| r.to_string()).unwrap_or("-".into())
    );
    println!(
        "  object       {}   date {}",
        opt(&h.object),
        opt(&h.date_obs)
    );
    println!(
        "  events       {} read, {} kept",
        ev.screening().n_read,
        ev.screening().n_kept
    );
    for (k, v) in &ev.screening().removed {
        println!("    - {k:<34} {v:>9} removed");
    }
    if let (Some(a), Some(b)) = (ev.time().first(), ev.time().last()) {
        println!("  time span    {a:.3} – {b:.3} s ({:.1} s)", b - a);
    }
    println!("  energies     {}", ev.energy_source());
    println!("  GTIs         {}", ev.gti_source());
    for w in ev.warnings() {
        println!("  warning      {w}");
    }
    for (c, g) in ev.gti() {
        println!(
            "  GTI ccd {c:>2}   {:>9.1} s in {} interval(s)",
            g.exposure(),
            g.intervals().len()
        );
    }
    match (h.ra_pnt, h.dec_pnt) {
        (Some(r), Some(d)) => println!(
            "  pointing     RA {r:.5}  Dec {d:.5}  PA {}",
            h.pa_pnt.map(|p| format!("{p:.2}")).unwrap_or("-".into())
        ),
        _ => println!("  pointing     -"),
    }
    match ev.wcs() {
        Ok(w) => {
            let p = w.params();
            println!(
                "  WCS          {:?} centre RA {:.5} Dec {:.5} at pixel ({}, {}), {:.4}″/pixel",
                p.projection,
                p.crval[0],
                p.crval[1],
                p.crpix[0],
                p.crpix[1],
                w.pixel_arcsec()
            );
        }
        Err(e) => println!("  WCS          INVALID: {e}"),
    }
}
