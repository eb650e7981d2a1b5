//! `exod simulate`: a realistic XMM-Newton EPIC observation in pipeline formats, or (with
//! `--mission chandra|swift|nustar|erosita`) one of another photon-counting mission
//! (`exod_sim::mission`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use exod_core::instrument::EpicCamera as XmmCamera;
use exod_sim::mission::{simulate_mission, MissionConfig, MissionOutput, SimMission};
use exod_sim::simulate::{simulate, Burst, Eclipse, FieldSky, Flares, Profile, SimConfig, Spectra};

/// The energy model of source photons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EnergyModel {
    /// PI drawn from a physical spectrum (`--spectrum`) folded through the EPIC pn response,
    /// which is written beside each event list (`X.rmf`, `X.arf`).
    Physical,
    /// The simulator's energies before issue 13: log-normal true energies around 1.2 keV and a
    /// Gaussian resolution of 60 eV √E; no response written.
    Legacy,
}

#[derive(clap::Args)]
pub struct Args {
    /// Output directory (written as a whole: a staging folder is moved into place when complete).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace a non-empty output directory (its files stay until the new ones are complete).
    #[arg(long)]
    pub overwrite: bool,
    /// Mission: xmm (EPIC pn + MOS1 + MOS2), chandra (ACIS-I), swift (XRT PC), nustar (FPMA +
    /// FPMB) or erosita (pointed, TM1–7 merged). The other missions take --seed, --exposure,
    /// --bursts/--burst-*, --no-transients, --obsid, --tstart and --target-rate; the other
    /// options are XMM's.
    #[arg(long, default_value = "xmm")]
    pub mission: String,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Exposure (s). XMM (default 50000): of the MOS cameras, pn starts 500 s later and stops
    /// 200 s earlier. Other missions: the good time (default Chandra 20000, Swift 2000,
    /// NuSTAR 20000 plus occultations, eROSITA 10000).
    #[arg(long)]
    pub exposure: Option<f64>,
    /// Number of bursts to inject at random positions and times.
    #[arg(long, default_value_t = 0)]
    pub bursts: usize,
    /// Expected detected counts of each burst, summed over the cameras.
    #[arg(long, default_value_t = 50.0)]
    pub burst_counts: f64,
    /// Duration of each burst (s).
    #[arg(long, default_value_t = 20.0)]
    pub burst_duration: f64,
    /// Burst time profile: box or fred (fast rise, exponential decay).
    #[arg(long, default_value = "box")]
    pub burst_profile: Profile,
    /// Number of eclipses of the brightest constant sources.
    #[arg(long, default_value_t = 0)]
    pub eclipses: usize,
    /// Eclipse duration (s).
    #[arg(long, default_value_t = 1000.0)]
    pub eclipse_duration: f64,
    /// Eclipse depth (fraction of the source's photons lost).
    #[arg(long, default_value_t = 1.0)]
    pub eclipse_depth: f64,
    /// Inject no transient at all (overrides --bursts and --eclipses).
    #[arg(long)]
    pub no_transients: bool,
    /// Soft-proton flaring: none, mild or strong.
    #[arg(long, default_value = "mild")]
    pub flares: Flares,
    /// Add a cluster-like extended source.
    #[arg(long)]
    pub cluster: bool,
    /// Cameras to simulate (comma-separated: pn,m1,m2).
    #[arg(long, default_value = "pn,m1,m2", value_delimiter = ',')]
    pub cameras: Vec<String>,
    /// Also draw `image.png` (0.2–12 keV counts of all cameras) and `lightcurve.png` (field rate
    /// in 100 s bins, total and 10–12 keV) from the files written, read back through the reader.
    #[arg(long)]
    pub plots: bool,
    /// A periodic point source, `PERIOD[:PF[:RATE[:SHAPE]]]` (repeatable): period (s), pulsed
    /// fraction (default 0.5), mean pn rate on axis (ct/s, default 0.05), shape `sine` (rate ∝
    /// 1 + PF sin) or `pulse`/`pulseW` (a Gaussian pulse of phase FWHM W, default 0.1, holding a
    /// fraction PF of the photons). E.g. `--periodic 5000:0.6:0.05` or `--periodic 0.337:0.4:0.5:pulse`.
    /// Placed on every camera, ≥ 60″ from bright sources; its truth row is kind `periodic`.
    #[arg(long, value_name = "SPEC")]
    pub periodic: Vec<exod_sim::simulate::Periodic>,
    /// Energy model of the source photons: physical (a spectrum folded through the pn
    /// response) or legacy (log-normal energies, Gaussian resolution).
    #[arg(long, value_enum, default_value_t = EnergyModel::Physical)]
    pub energy_model: EnergyModel,
    /// Spectral model of the target, cluster, bursts and periodic sources (XSPEC syntax); the
    /// population has the same model with PhoIndex ~ N(PhoIndex, 0.2) and nH log-uniform in
    /// 0.01–0.3 × 10²² cm⁻². Norms follow from the count rates.
    #[arg(long, default_value = "tbabs*powerlaw")]
    pub spectrum: String,
    /// Parameters of --spectrum, `NAME=VALUE` comma-separated (XSPEC names, or component.name);
    /// the others keep the model's defaults.
    #[arg(long, default_value = "nH=0.05,PhoIndex=1.9", value_delimiter = ',')]
    pub spectrum_params: Vec<String>,
    /// Observation identifier written in the files (XMM 10 digits, default 0999990101;
    /// Chandra 5, default 99901; Swift and NuSTAR 11; eROSITA 6).
    #[arg(long)]
    pub obsid: Option<String>,
    /// Mission time of the start (s); epochs of one field differ by it (XMM default 7e8).
    #[arg(long)]
    pub tstart: Option<f64>,
    /// Draw the constant sources from this seed instead of --seed (the same sky for every
    /// epoch of a field: the noise follows --seed, the sources --field-seed).
    #[arg(long)]
    pub field_seed: Option<u64>,
    /// Count rate of the target near the aimpoint (ct/s; 0 for none): XMM pn rate (default
    /// 0.25); other missions summed over their lists (default Chandra 0.02, Swift 0.3, NuSTAR
    /// 0.2, eROSITA 1).
    #[arg(long)]
    pub target_rate: Option<f64>,
    /// A constant point source `RA:DEC:RATE` (deg, deg, pn ct/s on axis; repeatable), added to
    /// the drawn sources; RATE 0 leaves it out (an epoch where it is off).
    #[arg(long, value_name = "RA:DEC:RATE")]
    pub source: Vec<exod_sim::simulate::FixedSource>,
}

pub fn config(a: &Args) -> Result<SimConfig> {
    let cameras = a
        .cameras
        .iter()
        .map(|c| match c.to_ascii_lowercase().as_str() {
            "pn" => Ok(XmmCamera::Pn),
            "m1" | "mos1" => Ok(XmmCamera::Mos1),
            "m2" | "mos2" => Ok(XmmCamera::Mos2),
            other => anyhow::bail!("unknown camera {other:?} (expected pn, m1, m2)"),
        })
        .collect::<Result<Vec<_>>>()?;
    let obsid = a.obsid.clone().unwrap_or_else(|| "0999990101".into());
    if obsid.len() != 10 || !obsid.chars().all(|c| c.is_ascii_digit()) {
        anyhow::bail!("--obsid {obsid:?}: an XMM observation id is 10 digits");
    }
    let (nb, ne) = if a.no_transients {
        (0, 0)
    } else {
        (a.bursts, a.eclipses)
    };
    Ok(SimConfig {
        seed: a.seed,
        obs_id: obsid,
        exposure: a.exposure.unwrap_or(50_000.0),
        cameras,
        flares: a.flares,
        cluster: a.cluster,
        bursts: bursts(a, nb),
        eclipses: (0..ne)
            .map(|_| Eclipse {
                depth: a.eclipse_depth,
                duration: a.eclipse_duration,
                source: None,
                t_start: None,
            })
            .collect(),
        periodic: a.periodic.clone(),
        spectra: spectra(a)?,
        tstart: a.tstart.unwrap_or(7.0e8),
        target_rate: a.target_rate.unwrap_or(0.25),
        field: a.field_seed.map(|seed| {
            let d = SimConfig::default();
            FieldSky {
                ra: d.ra,
                dec: d.dec,
                seed,
                radius: exod_sim::simulate::FOV_RADIUS_ARCSEC,
            }
        }),
        extra_sources: a.source.clone(),
        ..SimConfig::default()
    })
}

/// The `n` bursts of the options (random positions and times).
fn bursts(a: &Args, n: usize) -> Vec<Burst> {
    (0..n)
        .map(|_| Burst {
            counts: a.burst_counts,
            duration: a.burst_duration,
            profile: a.burst_profile,
            position: None,
            t_start: None,
        })
        .collect()
}

/// The mission of `--mission`: None for XMM.
pub fn mission(a: &Args) -> Result<Option<SimMission>> {
    if a.mission.eq_ignore_ascii_case("xmm") {
        return Ok(None);
    }
    a.mission
        .parse::<SimMission>()
        .map(Some)
        .map_err(|e| anyhow::anyhow!("--mission: {e} (or xmm)"))
}

/// The configuration of a non-XMM simulation, refusing the options that are XMM's only.
pub fn mission_config(a: &Args, m: SimMission) -> Result<MissionConfig> {
    let xmm_only = [
        (a.eclipses > 0, "--eclipses"),
        (a.cluster, "--cluster"),
        (!a.periodic.is_empty(), "--periodic"),
        (!a.source.is_empty(), "--source"),
        (a.field_seed.is_some(), "--field-seed"),
        (a.plots, "--plots"),
    ];
    if let Some((_, opt)) = xmm_only.iter().find(|(on, _)| *on) {
        anyhow::bail!(
            "{opt} is an option of --mission xmm only (not {})",
            m.name()
        );
    }
    let mut c = MissionConfig::new(m);
    c.seed = a.seed;
    if let Some(e) = a.exposure {
        c.exposure = e;
    }
    if let Some(o) = &a.obsid {
        c.obs_id = o.clone();
    }
    if let Some(t) = a.tstart {
        c.tstart = t;
    }
    if let Some(r) = a.target_rate {
        c.target_rate = r;
    }
    c.bursts = bursts(a, if a.no_transients { 0 } else { a.bursts });
    Ok(c)
}

/// Simulate the mission observation `a` describes into `a.out` (through a staging folder).
pub fn simulate_mission_into(a: &Args, m: SimMission) -> Result<MissionOutput> {
    let cfg = mission_config(a, m)?;
    let stage = crate::staging::Staged::begin(&a.out, a.overwrite)?;
    let out = simulate_mission(&cfg, stage.path())
        .with_context(|| format!("simulating into {}", a.out.display()))?
        .relocated(stage.path(), &a.out);
    stage.commit()?;
    Ok(out)
}

/// The spectra of the options (None for the legacy energy model).
fn spectra(a: &Args) -> Result<Option<Spectra>> {
    if a.energy_model == EnergyModel::Legacy {
        return Ok(None);
    }
    let params = a
        .spectrum_params
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let (k, v) = s.split_once('=').with_context(|| {
                format!("--spectrum-params {s:?}: expected NAME=VALUE (e.g. nH=0.05)")
            })?;
            let v: f64 = v
                .trim()
                .parse()
                .with_context(|| format!("--spectrum-params {s:?}: {v:?} is not a number"))?;
            Ok((k.trim().to_string(), v))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Spectra {
        model: a.spectrum.clone(),
        params,
        ..Spectra::default()
    }))
}

/// Simulate the observation `a` describes into `a.out` (through a staging folder).
pub fn simulate_into(a: &Args) -> Result<exod_sim::simulate::SimOutput> {
    let cfg = config(a)?;
    let stage = crate::staging::Staged::begin(&a.out, a.overwrite)?;
    let out = simulate(&cfg, stage.path())
        .with_context(|| format!("simulating into {}", a.out.display()))?
        .relocated(stage.path(), &a.out);
    stage.commit()?;
    Ok(out)
}

pub fn run(a: Args) -> Result<()> {
    let t = std::time::Instant::now();
    if let Some(m) = mission(&a)? {
        let out = simulate_mission_into(&a, m)?;
        for (p, n) in out.event_files.iter().zip(&out.n_events) {
            println!("{}  {n} events", p.display());
        }
        let kinds = |k: &str| out.truth.iter().filter(|t| t.kind == k).count();
        println!(
            "{}  {} sources, {} bursts  ({:.2} s)",
            out.truth_path.display(),
            kinds("source") + kinds("target"),
            kinds("burst"),
            t.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let out = simulate_into(&a)?;
    for (p, n) in out.event_files.iter().zip(&out.n_events) {
        println!("{}  {n} events", p.display());
    }
    println!("{}", out.srclist.display());
    let kinds = |k: &str| out.truth.iter().filter(|t| t.kind == k).count();
    println!(
        "{}  {} sources, {} bursts, {} eclipses, {} periodic  ({:.2} s)",
        out.truth_path.display(),
        kinds("source") + kinds("target") + kinds("cluster"),
        kinds("burst"),
        kinds("eclipse"),
        kinds("periodic"),
        t.elapsed().as_secs_f64()
    );
    if a.plots {
        plot_simulation(&out, &a.out)?;
    }
    Ok(())
}

fn plot_simulation(out: &exod_sim::simulate::SimOutput, dir: &std::path::Path) -> Result<()> {
    use exod_core::observation::Observation;
    use exod_io::events::{read, ReadOptions};
    let lists: Vec<_> = out
        .event_files
        .iter()
        .map(|p| read(p, &ReadOptions::default()))
        .collect::<Result<_, _>>()?;
    let ev = Observation::new(&lists, 10.0)?;
    let g = ev.grid();
    let mut img = vec![0f64; g.n_cells()];
    for &c in ev.cell() {
        img[c as usize] += 1.0;
    }
    let marks: Vec<exod_plot::plot::Mark> = out
        .truth
        .iter()
        .filter(|t| t.kind == "burst" || t.kind == "eclipse")
        .filter_map(|t| {
            let (x, y) = g.wcs.world_to_pix(t.ra, t.dec)?;
            Some(exod_plot::plot::Mark {
                x: (x - g.x0) / g.cell_px,
                y: (y - g.y0) / g.cell_px,
                label: t.kind.clone(),
                red: t.kind == "burst",
            })
        })
        .collect();
    exod_plot::plot::image_png(
        &dir.join("image.png"),
        &img,
        g.nx,
        g.ny,
        "simulated EPIC pn+MOS1+MOS2, 0.2–12 keV, 10″ cells (screened events)",
        &marks,
    )?;
    let (t0, t1) = ev.span();
    let nb = ((t1 - t0) / 100.0).ceil() as usize;
    let mut all = vec![0f64; nb];
    let mut he = vec![0f64; nb];
    for (t, e) in ev.time().iter().zip(ev.energy()) {
        let k = (((t - t0) / 100.0) as usize).min(nb - 1);
        all[k] += 1.0;
        if *e >= 10_000.0 {
            he[k] += 10.0;
        }
    }
    // 10–12 keV rate above 0.5 ct/s per camera (the detector's BTI rule, without live-time care)
    let bti: Vec<bool> = he
        .iter()
        .map(|c| c / 10.0 / 100.0 > 0.5 * lists.len() as f64)
        .collect();
    let tt: Vec<f64> = (0..nb).map(|k| k as f64 * 100.0).collect();
    exod_plot::plot::series_png(
        &dir.join("lightcurve.png"),
        &tt,
        100.0,
        (&all, "all screened events"),
        (&he, "10 × events at 10–12 keV"),
        &bti,
        None,
        "simulated field light curve (all cameras, 100 s bins); BTIs shaded",
    )?;
    println!(
        "{}  {}",
        dir.join("image.png").display(),
        dir.join("lightcurve.png").display()
    );
    Ok(())
}
