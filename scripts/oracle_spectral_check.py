"""Convergence check of the Sherpa best fits in testdata/spectral/sherpa/<case>.json.

Run: python3 scripts/oracle_spectral_check.py > scripts/oracle_spectral_check.out
For each case: set the stored best parameters, check calc_stat reproduces the stored statistic, then restart
neldermead and levmar from there and report how much further the statistic drops (0 = converged).
"""

import json
import logging
import os
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
warnings.filterwarnings("ignore")
from sherpa.astro import ui  # noqa: E402

import oracle_spectral as osp  # noqa: E402

logging.getLogger("sherpa").setLevel(logging.ERROR)


def main():
    for case in osp.CASES:
        with open(os.path.join(osp.OUT, case["name"] + ".json")) as fh:
            r = json.load(fh)
        osp.load(case["data"], case["bkg"])
        src, _, comps = case["build"]()
        ui.set_source(1, src)
        ui.set_stat(case["stat"])
        ui.ignore_bad(1)
        ui.notice(*case["band"])
        best = {p["name"]: p["value"] for p in r["fit"]["params"]}
        osp.set_params(comps, best, case.get("frozen", ()))
        s0 = ui.calc_stat(1)
        drops = {}
        for method in ["neldermead", "levmar"]:
            osp.set_params(comps, best, case.get("frozen", ()))
            ui.set_method(method)
            ui.fit(1)
            fr = ui.get_fit_results()
            drops[method] = (s0 - fr.statval, np.max(np.abs(np.array(fr.parvals) - np.array(
                [best[n] for n in fr.parnames])) / np.maximum(np.abs([best[n] for n in fr.parnames]), 1e-300)))
        print(f"{case['name']:44s} stored {r['fit']['stat']:.12g} recomputed {s0:.12g} | "
              + " | ".join(f"{m}: stat drop {d:.3e}, max rel par change {c:.2e}" for m, (d, c) in drops.items()))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
