"""Calibration of exod photometry on full simulated observations (docs/photometry.md).

For seeds 1..N: `exod simulate` (10 ks, no transients, no flares), then `exod photometry` of every
simulated source (truth.ecsv, kind source/target) with the truth positions as the catalogue.
Truth: the source's pn count rate on axis over the whole PSF (truth note rate_pn), which is what
PN_8_RATE (the exposure is live time x vignetting x EEF) estimates. Reported: the fraction of
sources whose true rate is below the 3-sigma KBN upper limit PN_8_RATE_UL (nominal 0.99865), by
expected counts, and the median ratio measured/true for bright sources (bias of the EEF and
vignetting models against the simulator's).
Run: target/py-venv/bin/python scripts/photometry_sim_calibration.py target/debug/exod 40 > scripts/photometry_sim_calibration.out
"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from astropy.table import Table

exod, nsim = sys.argv[1], int(sys.argv[2])
rows = []
with tempfile.TemporaryDirectory() as tmp:
    for seed in range(1, nsim + 1):
        obs = Path(tmp) / f"s{seed}"
        subprocess.run([exod, "-q", "simulate", "--out", str(obs), "--seed", str(seed), "--exposure", "10000",
                        "--no-transients", "--flares", "none"], check=True, stdout=subprocess.DEVNULL)
        truth = Table.read(obs / "truth.ecsv", format="ascii.ecsv")
        truth = truth[(truth["kind"] == "source") | (truth["kind"] == "target")]
        rate = np.array([float(re.search(r"rate_pn=([0-9.eE+-]+)", n).group(1)) for n in truth["note"]])
        cat = Table({"name": [str(i) for i in truth["id"]], "ra": truth["ra"], "dec": truth["dec"]})
        cat.write(obs / "cat.csv", format="ascii.csv", overwrite=True)
        lists = sorted(str(p) for p in obs.glob("*EVLI*.FTZ"))
        out = obs / "phot"
        subprocess.run([exod, "-q", "photometry", *lists, "--catalog", str(obs / "cat.csv"), "--out", str(out)],
                       check=True, stdout=subprocess.DEVNULL)
        ph = Table.read(out / "photometry.ecsv", format="ascii.ecsv")
        by = {str(r["SOURCE"]): r for r in ph}
        for i, t in enumerate(truth):
            r = by.get(str(t["id"]))
            if r is None or not r["PN_COVERED"]:
                continue
            rows.append((seed, rate[i], rate[i] * 10000.0, r["PN_8_RATE"], r["PN_8_RATE_UL"], r["PN_8_DET"], r["PN_8_OFFAX"]))
a = np.array([(x[1], x[2], x[3], x[4], x[6]) for x in rows])
true, expct, meas, ul, offax = a.T
print(f"# {nsim} simulations (10 ks, seeds 1-{nsim}), {len(a)} source measurements by pn")
print("# expected_pn_counts n coverage(true <= 3sigma UL) binomial_1sigma")
for lo, hi in [(0, 5), (5, 20), (20, 100), (100, 1e9), (0, 1e9)]:
    m = (expct >= lo) & (expct < hi)
    if m.sum() == 0:
        continue
    c = np.mean(true[m] <= ul[m])
    print(f"{lo:g}-{hi:g} {m.sum()} {c:.5f} {np.sqrt(0.99865 * 0.00135 / m.sum()):.5f}")
b = expct >= 200
print(f"# bright (>= 200 expected counts): {b.sum()} sources, median measured/true rate {np.median(meas[b] / true[b]):.4f}, "
      f"16-84 % {np.percentile(meas[b] / true[b], 16):.4f}-{np.percentile(meas[b] / true[b], 84):.4f}")
for lo, hi in [(0, 5), (5, 10), (10, 16)]:
    m = b & (offax >= lo) & (offax < hi)
    if m.sum():
        print(f"#   off-axis {lo}-{hi}': {m.sum()} sources, median measured/true {np.median(meas[m] / true[m]):.4f}")
