//! `exod missions`: the instrument descriptions exod searches with (module
//! `exod_core::instrument`), as the table of docs/missions.md or as JSON.

use anyhow::Result;
use exod_core::instrument::{Description, GtiLayout, LiveTime, Screening, DESCRIBED};

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Print the descriptions as JSON instead of a Markdown table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<()> {
    if a.json {
        let v: Vec<serde_json::Value> = DESCRIBED
            .iter()
            .map(|(i, name)| serde_json::json!({"name": name, "label": i.label(), "description": i.description()}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", table());
    }
    Ok(())
}

fn bands(d: &Description) -> String {
    d.bands_kev
        .iter()
        .map(|(a, b)| format!("{a}–{b}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn gti(d: &Description) -> String {
    match d.gti {
        GtiLayout::PerCcdNumbered { prefix } => format!("`{prefix}nn` per CCD ∩ flare GTI"),
        GtiLayout::PerChipKeyword { extname, chip_key } => {
            format!("`{extname}` per chip (`{chip_key}`)")
        }
        GtiLayout::PerModuleNumbered { prefix } => format!("`{prefix}1…7` per module"),
        GtiLayout::Single => "one `GTI`".into(),
    }
}

fn screening(d: &Description) -> String {
    match d.screening {
        Screening::Epic => "EXOD EPIC (PATTERN, FLAG, 0.2–12 keV, hot pixels)".into(),
        Screening::Grades {
            column,
            allowed,
            energy_ev,
        } => {
            let (lo, hi) = (allowed[0], allowed[allowed.len() - 1]);
            let g = if allowed.len() as i32 == hi - lo + 1 {
                format!("{lo}–{hi}")
            } else {
                allowed
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!(
                "{column} {g}, {}–{} keV",
                energy_ev.0 / 1000.0,
                energy_ev.1 / 1000.0
            )
        }
    }
}

/// The Markdown table of every description (one row per description).
pub fn table() -> String {
    let mut s = String::from(
        "| instrument | sky pixel | PSF HPD (θ = 0, 5′, 10′) | field radius | frame | energy | bands (keV) | cell | chips | GTIs | screening | BTI rule | live time |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (i, name) in DESCRIBED {
        let d = i.description();
        let hpd = |t: f64| format!("{:.1}", d.psf.hpd_arcsec(t));
        let frame = if d.frame_time_s > 0.0 {
            format!("{} s", d.frame_time_s)
        } else {
            "event by event".into()
        };
        let bti = match d.bti {
            Some(r) => format!(
                "{}–{} keV > {} ct/s per camera over ≥ {} s",
                r.band_ev.0 / 1000.0,
                r.band_ev.1 / 1000.0,
                r.rate_per_camera,
                r.window_s
            ),
            None => "none".into(),
        };
        let live = match d.live_time {
            LiveTime::PerCcdKeywords => "`LIVETInn/ONTIMEnn`, `DEADC`".to_string(),
            LiveTime::Keyword(k) => format!("`{k}`, `LIVETIME/ONTIME`"),
        };
        s.push_str(&format!(
            "| {name} | {}″ {} | {}, {}, {}″ | {}′ | {frame} | {} | {} | {}″ | {} | {} | {} | {bti} | {live} |\n",
            d.sky_pixel_arcsec,
            d.projection,
            hpd(0.0),
            hpd(5.0),
            hpd(10.0),
            d.field_radius_arcmin,
            d.energy.iter().map(|e| e.what).collect::<Vec<_>>().join("; else "),
            bands(d),
            d.default_cell_arcsec,
            d.chip_column.map_or("—".to_string(), |c| format!("`{c}` ≤ {}", d.max_chip)),
            gti(d),
            screening(d),
        ));
    }
    s
}
