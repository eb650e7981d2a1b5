"""Sherpa 4.19's own statistic at the minimum exod's fitter finds for pn wabs*bbodyrad chi2gehrels
(0.5-10 keV), which is lower than the best of Sherpa's runs (testdata/spectral/sherpa/
pn_wabs_bbodyrad_chi2gehrels.json: 1042.318); then Sherpa levmar + neldermead from exod's point.
Run: /root/.pyenv/versions/3.11.7/bin/python scripts/check_fit_better_minimum.py"""
import os, sys
sys.path.insert(0, os.path.dirname(__file__))
import oracle_spectral as o
from sherpa.astro import ui
import sherpa, numpy

case = [c for c in o.CASES if c["name"] == "pn_wabs_bbodyrad_chi2gehrels"][0]
data = o.load(case["data"], case["bkg"])
src, unabs, comps = case["build"]()
ui.set_source(1, src)
ui.set_stat(case["stat"])
ui.ignore_bad(1)
ui.notice(*case["band"])
print("sherpa", sherpa.__version__, "numpy", numpy.__version__)
for label, vals in [("Sherpa best", {"wabs.nH": 3.903672521857546, "bbodyrad.kT": 2.2267466000210034, "bbodyrad.norm": 0.031054783702068742}),
                    ("exod", {"wabs.nH": float(sys.argv[1]) if len(sys.argv) > 1 else 0.0,
                              "bbodyrad.kT": float(sys.argv[2]) if len(sys.argv) > 2 else 3.601308,
                              "bbodyrad.norm": float(sys.argv[3]) if len(sys.argv) > 3 else 0.007538})]:
    o.set_params(comps, vals)
    print(label, vals, "stat", ui.calc_stat(1))
ui.set_method("levmar"); ui.fit(1)
ui.set_method("neldermead"); ui.fit(1)
print("Sherpa levmar+neldermead from exod's point:", ui.calc_stat(1), [p.val for p in ui.get_source(1).pars])
