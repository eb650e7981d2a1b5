#!/usr/bin/env python3
"""Oracle for exod's light-curve analysis (issue #12): Bayesian blocks, KS test, chi2, F_var.

Makes the test data (fixed seeds) under crates/exod-core/tests/data/timing/blocks/ and the
expected outputs computed by the reference tools on this machine:

* astropy.stats.bayesian_blocks  (fitness 'events' on event times, 'events' on binned counts,
  'measures' on points with errors);
* scipy.stats.kstest of the arrival times transformed by the exposure-weighted constant-rate
  CDF (cumulative good time x live fraction / total), against 'uniform';
* scipy.stats.chi2.sf for the chi-square test against a constant, numpy for the weighted mean
  and for the Vaughan et al. (2003) excess variance, F_var and their errors (eqs. 8-11, B2).

Run with the venv python:  target/py-venv/bin/python scripts/oracle_blocks.py > scripts/oracle_blocks.out
Times are written with %.17g (exact round trip of doubles).
"""
import os
import sys
import warnings

import numpy as np
import scipy
import scipy.stats
import astropy
from astropy.stats import bayesian_blocks

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "crates", "exod-core", "tests", "data", "timing", "blocks")
os.makedirs(OUT, exist_ok=True)


def write_lines(name, header, rows):
    with open(os.path.join(OUT, name), "w") as f:
        for h in header:
            f.write("# " + h + "\n")
        for r in rows:
            f.write(" ".join("%.17g" % v if isinstance(v, float) else str(v) for v in r) + "\n")


def inhomogeneous(rng, t0, t1, rate_fn, rate_max):
    """Poisson process by thinning."""
    n = rng.poisson(rate_max * (t1 - t0))
    t = np.sort(rng.uniform(t0, t1, n))
    keep = rng.uniform(0, rate_max, n) < rate_fn(t)
    return t[keep]


def ncp(n, p0):
    return 4 - np.log(73.53 * p0 * (n ** -0.478))


expected = []  # (case, kind, p0, ncp_prior, edges)


def bb_events(case, t, p0=0.05, data=None):
    t = np.asarray(t, dtype=float)
    if data is None:
        data = case
        write_lines("events_%s.txt" % case, ["event times (s)"], [(float(x),) for x in t])
    edges = bayesian_blocks(t, fitness="events", p0=p0)
    expected.append((case, "events:" + data, p0, ncp(len(np.unique(t)), p0), edges))
    print("%-22s events   N=%6d unique=%6d p0=%-5g blocks=%3d" % (case, len(t), len(np.unique(t)), p0, len(edges) - 1))


def bb_binned(case, tc, counts, p0=0.05):
    write_lines("binned_%s.txt" % case, ["bin centre (s), counts; p0 = %g" % p0],
                [(float(a), int(b)) for a, b in zip(tc, counts)])
    edges = bayesian_blocks(np.asarray(tc, float), np.asarray(counts, float), fitness="events", p0=p0)
    expected.append((case, "binned:" + case, p0, ncp(len(tc), p0), edges))
    print("%-22s binned   N=%6d p0=%-5g blocks=%3d" % (case, len(tc), p0, len(edges) - 1))


def bb_measures(case, t, x, sigma, p0=0.05):
    sig = np.broadcast_to(np.asarray(sigma, float), np.shape(t))
    write_lines("measures_%s.txt" % case, ["t, x, sigma; p0 = %g" % p0],
                [(float(a), float(b), float(c)) for a, b, c in zip(t, x, sig)])
    edges = bayesian_blocks(np.asarray(t, float), np.asarray(x, float), sigma, fitness="measures", p0=p0)
    expected.append((case, "measures:" + case, p0, ncp(len(t), p0), edges))
    print("%-22s measures N=%6d p0=%-5g blocks=%3d" % (case, len(t), p0, len(edges) - 1))


def blocks_cases():
    rng = np.random.default_rng(20240612)
    # constant source in mission seconds (large offset: rounding of midpoints matters)
    t0 = 7.1e8
    bb_events("constant", t0 + np.sort(rng.uniform(0, 1000, rng.poisson(2000))))
    # flare: 1 ct/s + 20 ct/s peak exponential decay (tau 50 s) at t = 800 s, rise 10 s
    flare = lambda t: 1.0 + 20.0 * np.where(t < 800, np.exp((t - 800) / 10.0), np.exp(-(t - 800) / 50.0))
    tf = inhomogeneous(rng, 0.0, 2000.0, flare, 21.0)
    bb_events("flare", tf)
    bb_events("flare_p0_0.01", tf, p0=0.01, data="flare")
    # step: 1 -> 4 ct/s at 500 s, offset like an XMM time
    ts = inhomogeneous(rng, 0.0, 1000.0, lambda t: np.where(t < 500, 1.0, 4.0), 4.0)
    bb_events("step", 6.5e8 + ts)
    # repeated times: the flare on a 2.6 s frame grid (MOS full frame)
    frames = np.round(inhomogeneous(rng, 0.0, 2000.0, flare, 21.0) / 2.6) * 2.6
    bb_events("repeated", frames)
    # small N
    for n in (2, 3, 5, 10, 30):
        bb_events("small_%d" % n, np.sort(rng.uniform(0, 100, n)))
    for n in (6, 12, 20):
        burst = np.concatenate([rng.uniform(0, 100, n), 40 + rng.uniform(0, 0.5, n)])
        bb_events("small_burst_%d" % n, np.sort(burst), p0=0.1)
    # binned counts of the flare in 10 s bins (zeros included), and a sparse one
    counts, be = np.histogram(tf, bins=np.arange(0.0, 2000.0 + 1e-9, 10.0))
    bb_binned("flare_10s", 0.5 * (be[1:] + be[:-1]), counts)
    sparse = inhomogeneous(rng, 0.0, 5000.0, lambda t: np.where((t > 2000) & (t < 2600), 0.5, 0.02), 0.5)
    counts, be = np.histogram(sparse, bins=np.arange(0.0, 5000.0 + 1e-9, 20.0))
    bb_binned("sparse_20s", 0.5 * (be[1:] + be[:-1]), counts, p0=0.01)
    bb_binned("every_cell_a_block", [0.0, 1.0, 2.0, 3.0], [0, 1000, 0, 1000], p0=0.5)
    # measures: a step and a pulse with varying errors, and a scalar sigma
    tm = np.sort(rng.uniform(0, 100, 400))
    truth = np.where(tm < 30, 1.0, np.where(tm < 60, 3.0, 1.5)) + np.where(np.abs(tm - 80) < 3, 4.0, 0.0)
    sig = rng.uniform(0.3, 1.2, tm.size)
    bb_measures("steps", tm, truth + rng.normal(0, sig), sig)
    tm2 = np.sort(rng.uniform(0, 50, 200))
    x2 = np.exp(-0.5 * ((tm2 - 25) / 4) ** 2) * 2 + rng.normal(0, 0.3, tm2.size)
    bb_measures("gaussian_scalar_sigma", tm2, x2, 0.3)
    with open(os.path.join(OUT, "expected_blocks.txt"), "w") as f:
        f.write("# astropy %s bayesian_blocks: case kind:data_file p0 ncp_prior n_edges edges...\n" % astropy.__version__)
        for case, kind, p0, ncpv, edges in expected:
            f.write("%s %s %.17g %.17g %d %s\n" % (case, kind, p0, ncpv, len(edges), " ".join("%.17g" % e for e in edges)))


# ------------------------------------------------------------------------------------------
# KS test against the exposure-weighted constant rate
# ------------------------------------------------------------------------------------------

def weight_segments(gti, live):
    """Pieces (a, b, w) of the model rate: GTI x live fraction (1 outside the live pieces)."""
    segs = []
    for a, b in gti:
        cuts = sorted({a, b} | {x for s, e, _ in live for x in (s, e) if a < x < b})
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            mid = 0.5 * (lo + hi)
            w = 1.0
            for s, e, fr in live:
                if s <= mid < e:
                    w = fr
            segs.append((lo, hi, w))
    return segs


def model_cdf(t, segs):
    total = sum((b - a) * w for a, b, w in segs)
    out = np.zeros_like(t)
    acc = 0.0
    for a, b, w in segs:
        inside = (t >= a) & (t <= b)
        out[inside] = acc + (t[inside] - a) * w
        out[t > b] = acc + (b - a) * w
        acc += (b - a) * w
    return out / total


def sample_in_segments(rng, n, segs, rate_fn=None, rate_max=1.0):
    """n events from the model rate (x rate_fn if given), by inversion / thinning."""
    out = []
    lengths = np.array([(b - a) * w for a, b, w in segs])
    while len(out) < n:
        i = rng.choice(len(segs), p=lengths / lengths.sum())
        a, b, _ = segs[i]
        t = rng.uniform(a, b)
        if rate_fn is None or rng.uniform(0, rate_max) < rate_fn(t):
            out.append(t)
    return np.sort(np.array(out))


def ks_cases():
    rng = np.random.default_rng(7)
    rows = []
    cases = [
        ("uniform_gaps", [(0.0, 3000.0), (3500.0, 6000.0), (9000.0, 12000.0)], [], 500, None),
        ("small_20", [(0.0, 100.0), (150.0, 300.0)], [], 20, None),
        ("small_100", [(100.0, 400.0), (500.0, 900.0)], [], 100, None),
        ("live_fraction", [(0.0, 2000.0), (2500.0, 4000.0)], [(0.0, 1000.0, 0.5), (3000.0, 4000.0, 0.8)], 800, None),
        ("flare", [(0.0, 5000.0), (6000.0, 10000.0)], [],
         600, (lambda t: 1.0 + 9.0 * np.exp(-np.abs(t - 2000.0) / 150.0), 10.0)),
        ("mission_time", [(6.9e8, 6.9e8 + 20000.0), (6.9e8 + 25000.0, 6.9e8 + 40000.0)], [], 3000, None),
    ]
    for name, gti, live, n, flare in cases:
        segs = weight_segments(gti, live)
        if flare is None:
            t = sample_in_segments(rng, n, segs)
        else:
            t = sample_in_segments(rng, n, segs, flare[0], flare[1])
        header = ["gti %.17g %.17g" % g for g in gti] + ["live %.17g %.17g %.17g" % l for l in live]
        write_lines("ks_%s.txt" % name, header, [(float(x),) for x in t])
        u = model_cdf(t, segs)
        r = scipy.stats.kstest(u, "uniform")
        rows.append((name, len(t), float(r.statistic), float(r.pvalue)))
        print("ks %-15s n=%5d D=%.6g p=%.6g" % (name, len(t), r.statistic, r.pvalue))
    with open(os.path.join(OUT, "expected_ks.txt"), "w") as f:
        f.write("# scipy %s kstest(cdf(t), 'uniform') (method auto = exact): case n D p\n" % scipy.__version__)
        for name, n, d, p in rows:
            f.write("%s %d %.17g %.17g\n" % (name, n, d, p))
    # the Kolmogorov distribution itself on a grid spanning scipy's branches
    with open(os.path.join(OUT, "expected_kolmogorov.txt"), "w") as f:
        f.write("# scipy %s kstwo.sf(d, n): n d sf\n" % scipy.__version__)
        for n in (1, 2, 5, 20, 100, 140, 141, 500, 1000, 5000, 20000, 200000):
            for z in (0.3, 0.5, 0.7, 0.9, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0):
                d = z / np.sqrt(n)
                for dd in (d, 0.6 / n, 1.5 / n, 0.55, 0.8):
                    if 0 < dd < 1:
                        f.write("%d %.17g %.17g\n" % (n, dd, scipy.stats.kstwo.sf(dd, n)))


# ------------------------------------------------------------------------------------------
# chi2 against a constant and the excess variance
# ------------------------------------------------------------------------------------------

def variability_cases():
    rng = np.random.default_rng(99)
    lines = []
    for name, amp in (("constant", 0.0), ("variable", 0.3), ("weak", 0.02)):
        n = 60
        true = 5.0 * (1 + amp * np.sin(np.arange(n) / 4.0))
        counts = rng.poisson(true * 100.0)
        rate = counts / 100.0
        err = np.sqrt(np.maximum(counts, 1)) / 100.0
        write_lines("lc_%s.txt" % name, ["rate (ct/s), error (ct/s), 100 s bins"],
                    [(float(a), float(b)) for a, b in zip(rate, err)])
        w = 1 / err ** 2
        mean = np.sum(w * rate) / np.sum(w)
        chi2 = np.sum((rate - mean) ** 2 * w)
        dof = n - 1
        p = scipy.stats.chi2.sf(chi2, dof)
        logp = scipy.stats.chi2.logsf(chi2, dof) / np.log(10)
        xbar = rate.mean()
        s2 = rate.var(ddof=1)
        mse = np.mean(err ** 2)
        xs = s2 - mse
        nxs = xs / xbar ** 2
        err_nxs_f0 = np.sqrt(2.0 / n) * mse / xbar ** 2
        vals = dict(mean_rate=mean, mean_rate_error=np.sqrt(1 / np.sum(w)), chi2=chi2, dof=dof,
                    p_value=p, log10_p_value=logp, excess_variance=xs, nxs=nxs)
        if xs > 0:
            fvar = np.sqrt(nxs)
            err_nxs = np.sqrt((np.sqrt(2.0 / n) * mse / xbar ** 2) ** 2 + (np.sqrt(mse / n) * 2 * fvar / xbar) ** 2)
            err_fvar = np.sqrt((np.sqrt(1.0 / (2 * n)) * mse / (xbar ** 2 * fvar)) ** 2 + (np.sqrt(mse / n) / xbar) ** 2)
            vals.update(nxs_error=err_nxs, f_var=fvar, f_var_error=err_fvar)
        else:
            vals.update(nxs_error=err_nxs_f0)
        for k, v in vals.items():
            lines.append("%s %s %.17g" % (name, k, v))
        print("lc %-9s chi2=%.4f dof=%d p=%.4g nxs=%.4g" % (name, chi2, dof, p, nxs))
    with open(os.path.join(OUT, "expected_variability.txt"), "w") as f:
        f.write("# scipy %s chi2.sf/logsf, numpy %s: case key value\n" % (scipy.__version__, np.__version__))
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    print("python %s" % sys.version.split()[0])
    print("numpy %s  scipy %s  astropy %s" % (np.__version__, scipy.__version__, astropy.__version__))
    blocks_cases()
    ks_cases()
    variability_cases()
    sizes = sorted((os.path.getsize(os.path.join(OUT, f)), f) for f in os.listdir(OUT))
    print("largest data file: %s (%d bytes)" % (sizes[-1][1], sizes[-1][0]))
