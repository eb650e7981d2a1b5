"""Component-level oracles: each XSPEC-definition model of xspec_models.py evaluated on the pn RMF energy grid.

Run: python3 scripts/oracle_spectral_models.py > scripts/oracle_spectral_models.out
Writes testdata/spectral/sherpa/models_<component>.json: {"grid": "pn RMF ENERG_LO/HI (f32 widened to f64)",
"energ_lo": [...], "energ_hi": [...] (only in models_powerlaw.json), "cases": [{"params": {...}, "values": [...]}]}
and gaunt.json: XSPEC gaunt(E, T, Z) at points covering the Kurucz, polynomial and Born branches.
"""

import json
import os
import platform
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import astropy  # noqa: E402
from astropy.io import fits  # noqa: E402

import xspec_models as xm  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, ".."))
OUT = os.path.join(ROOT, "testdata", "spectral", "sherpa")

SETS = {
    "powerlaw": [dict(PhoIndex=2.0, norm=1.0), dict(PhoIndex=1.0, norm=1.0), dict(PhoIndex=-1.5, norm=2.0),
                 dict(PhoIndex=1.0 + 1e-12, norm=1.0), dict(PhoIndex=9.5, norm=1e-3)],
    "bbody": [dict(kT=0.05, norm=1.0), dict(kT=0.3, norm=1.0), dict(kT=3.0, norm=1e-2)],
    "bbodyrad": [dict(kT=0.05, norm=1.0), dict(kT=0.3, norm=1.0), dict(kT=3.0, norm=10.0)],
    "bremss": [dict(kT=0.1, norm=1.0), dict(kT=0.5, norm=1.0), dict(kT=5.0, norm=1.0), dict(kT=20.0, norm=1.0),
               dict(kT=80.0, norm=1.0)],
    "gaussian": [dict(LineE=6.4, Sigma=0.1, norm=1.0), dict(LineE=1.0, Sigma=0.0, norm=1.0),
                 dict(LineE=0.5, Sigma=0.002, norm=1.0), dict(LineE=3.0, Sigma=2.0, norm=1.0)],
    "tbabs": [dict(nH=1.0), dict(nH=0.03)],
    "phabs": [dict(nH=1.0)],
    "wabs": [dict(nH=1.0)],
}


def main():
    print(f"python {platform.python_version()}  numpy {np.__version__}  astropy {astropy.__version__}")
    with fits.open(os.path.join(ROOT, "testdata/spectral/xmm_pn/epn_ff20_dY9.rmf.gz")) as h:
        m = next(x for x in h[1:] if "MATRIX" in x.name).data
        lo = np.asarray(m["ENERG_LO"], dtype=np.float64)
        hi = np.asarray(m["ENERG_HI"], dtype=np.float64)
    for comp, sets in SETS.items():
        cases = []
        for ps in sets:
            mdl = xm.COMPONENTS[comp](comp)
            for k, v in ps.items():
                getattr(mdl, k).val = v
            vals = np.asarray(mdl(lo, hi), dtype=float)
            cases.append(dict(params=ps, values=[float(v) for v in vals]))
            print(f"{comp:9s} {ps}: sum {vals.sum():.15g}  first {vals[0]:.15g}  max {vals.max():.15g}")
        obj = dict(component=comp, grid="pn RMF ENERG_LO/ENERG_HI (1319 bins, f32 widened to f64)", cases=cases)
        if comp == "powerlaw":
            obj["energ_lo"] = [float(v) for v in lo]
            obj["energ_hi"] = [float(v) for v in hi]
        path = os.path.join(OUT, f"models_{comp}.json")
        with open(path, "w") as fh:
            json.dump(obj, fh, separators=(",", ":"))
        print(f"  -> {path} {os.path.getsize(path)} bytes")
    pts = []
    for z in (1.0, 2.0):
        for t in (0.01, 0.05, 0.1, 0.3, 0.5, 1.0, 3.0, 10.0, 13.0, 14.0, 30.0, 60.0, 100.0):
            for e in (1e-4, 0.002, 0.01, 0.05, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 100.0):
                pts.append(dict(E=e, T=t, Z=z, gaunt=xm.gaunt(e, t, z)))
    with open(os.path.join(OUT, "gaunt.json"), "w") as fh:
        json.dump(dict(note="XSPEC gaunt(E keV, T keV, Z), f64 port of XSFunctions gaunt.f", points=pts), fh,
                  separators=(",", ":"))
    print(f"gaunt: {len(pts)} points, e.g. G(1,7,1) = {xm.gaunt(1.0, 7.0, 1.0)!r}, G(0.3,0.3,2) = "
          f"{xm.gaunt(0.3, 0.3, 2.0)!r}, G(5,1,1) = {xm.gaunt(5.0, 1.0, 1.0)!r}")


if __name__ == "__main__":
    main()
