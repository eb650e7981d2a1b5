"""Wall time of one Sherpa fit (issue #13 benchmark baseline).

Run: python3 scripts/bench_fit_sherpa.py > scripts/bench_fit_sherpa.out
For each main case of oracle_spectral.py: data loaded, filtered and the model set once; then each repeat resets the
parameters to the case's start and times `ui.fit()` alone (levmar, neldermead), REPEATS times; prints min/median.
Models are the Python user models of xspec_models.py (Sherpa's compiled XSPEC models are not installed), so part of
the time is the Python model evaluation; folding, statistic and optimiser are Sherpa's compiled code.
"""

import logging
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
warnings.filterwarnings("ignore")

import astropy  # noqa: E402
import sherpa  # noqa: E402
from sherpa.astro import ui  # noqa: E402

import oracle_spectral as osp  # noqa: E402

logging.getLogger("sherpa").setLevel(logging.ERROR)

REPEATS = int(os.environ.get("BENCH_REPEATS", "7"))
MAIN = ["pn_tbabs_powerlaw_cstat", "pn_tbabs_bbody_powerlaw_cstat", "pn_tbabs_bremss_cstat",
        "pn_phabs_gaussian_powerlaw_cstat", "pn_tbabs_powerlaw_chi2datavar",
        "3c273_tbabs_powerlaw_chi2datavar_bkgsub", "3c273_tbabs_powerlaw_wstat",
        "3c273_tbabs_powerlaw_cstat_nobkg"]


def setup(case):
    osp.load(case["data"], case["bkg"])
    src, _, comps = case["build"]()
    ui.set_source(1, src)
    ui.set_stat(case["stat"])
    ui.ignore_bad(1)
    ui.notice(*case["band"])
    return comps


def time_fits(case, comps, method):
    ui.set_method(method)
    times, cpu, stats, nfev = [], [], [], []
    for _ in range(REPEATS):
        osp.set_params(comps, case["start"], case.get("frozen", ()))
        t0 = time.perf_counter()
        c0 = time.process_time()
        ui.fit(1)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        r = ui.get_fit_results()
        stats.append(r.statval)
        nfev.append(r.nfev)
    return times, cpu, stats, nfev


def time_stat(n=100):
    """CPU time of one statistic evaluation (model + folding + statistic)."""
    t0 = time.process_time()
    for _ in range(n):
        ui.calc_stat(1)
    return (time.process_time() - t0) / n


def main():
    print(f"python {platform.python_version()}  sherpa {sherpa.__version__}  numpy {np.__version__}  "
          f"astropy {astropy.__version__}")
    print(f"nproc {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()}  "
          f"loadavg at start {os.getloadavg()}  repeats {REPEATS}  cpu {platform.processor() or platform.machine()}")
    cases = {c["name"]: c for c in osp.CASES}
    for name in MAIN:
        case = cases[name]
        comps = setup(case)
        t_eval = time_stat()
        for method in ["levmar", "neldermead"]:
            times, cpu, stats, nfev = time_fits(case, comps, method)
            print(f"{name:44s} {method:10s} wall min {min(times):.4f} s  median {statistics.median(times):.4f} s  "
                  f"cpu min {min(cpu):.4f} s  median {statistics.median(cpu):.4f} s  "
                  f"nfev {nfev[0]}  stat {stats[0]:.10g}  (one stat eval {t_eval * 1e3:.3f} ms cpu)  loadavg {os.getloadavg()[0]:.1f}")
            sys.stdout.flush()
    print(f"loadavg at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
