//! `exod bayes`: the EXOD statistic for one cell, or the thresholds for a σ.

use anyhow::{bail, Result};
use exod_core::stats;

#[derive(clap::Args)]
pub struct Args {
    /// Expected counts μ in the cell.
    #[arg(long)]
    mu: Option<f64>,
    /// Observed counts N in the cell.
    #[arg(long)]
    n: Option<u64>,
    /// Print the log10 B thresholds equivalent to --sigma instead.
    #[arg(long)]
    thresholds: bool,
    /// σ for --thresholds and for the decision shown with --mu/--n.
    #[arg(long, default_value_t = 3.0)]
    sigma: f64,
    /// Decide like EXOD2 (one count stricter for peaks; Gaussian counts above μ = 1000).
    #[arg(long)]
    parity_exod2: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<()> {
    let t = stats::Thresholds::for_sigma(a.sigma)?;
    if a.thresholds {
        if a.json {
            println!(
                "{}",
                serde_json::json!({"sigma": t.sigma, "peak": t.peak, "eclipse": t.eclipse})
            );
        } else {
            println!("sigma            {}", t.sigma);
            println!("log10 B_peak     {:.4}", t.peak);
            println!("log10 B_eclipse  {:.4}", t.eclipse);
        }
        return Ok(());
    }
    let (Some(mu), Some(n)) = (a.mu, a.n) else {
        bail!("give --mu and --n (a cell), or --thresholds (with --sigma)");
    };
    if !(mu.is_finite() && mu > 0.0) {
        bail!("--mu {mu}: the expectation must be a finite number > 0");
    }
    let bp = stats::log10_b_peak(n, mu);
    let be = stats::log10_b_eclipse(n, mu);
    let (sp, se) = stats::sigma_equivalents(n, mu);
    let peak_side = n as f64 > mu;
    let sigma = if peak_side { sp } else { se };
    let amp = if peak_side {
        stats::peak_amplitude(n, mu)?
    } else {
        stats::eclipse_amplitude(n, mu)?
    };
    let rule = if a.parity_exod2 {
        stats::Rule::Exod2Parity
    } else {
        stats::Rule::Exact
    };
    let b = stats::Boundaries::new(t, rule, (n as usize + 2).min(4096));
    let (is_peak, is_eclipse) = (b.is_peak(n, mu), b.is_eclipse(n, mu));
    if a.json {
        let v = serde_json::json!({
            "n": n, "mu": mu,
            "log10_b_peak": bp, "log10_b_eclipse": be,
            "sigma": sigma, "sigma_peak": sp, "sigma_eclipse": se,
            "kind": if peak_side { "peak" } else { "eclipse" },
            "amplitude": {"p16": amp.p16, "p50": amp.p50, "p84": amp.p84},
            "threshold_sigma": t.sigma, "is_peak": is_peak, "is_eclipse": is_eclipse,
            "rule": if a.parity_exod2 { "exod2-parity" } else { "exact" },
        });
        println!("{v}");
    } else {
        println!("N = {n}, mu = {mu}");
        println!("log10 B_peak     {bp:.6}");
        println!("log10 B_eclipse  {be:.6}");
        println!(
            "sigma-equivalent {sigma:.3} ({})",
            if peak_side { "peak" } else { "eclipse" }
        );
        println!(
            "{} amplitude  {:.3} (16%)  {:.3} (50%)  {:.3} (84%) counts",
            if peak_side { "peak" } else { "eclipse" },
            amp.p16,
            amp.p50,
            amp.p84
        );
        println!(
            "at {}σ ({}): peak {}, eclipse {}",
            t.sigma,
            if a.parity_exod2 {
                "EXOD2 parity"
            } else {
                "exact rule"
            },
            if is_peak { "yes" } else { "no" },
            if is_eclipse { "yes" } else { "no" }
        );
    }
    Ok(())
}
