"""Read exod's detection outputs back with astropy, an independent reader, and check them.

    python3 scripts/check_outputs_astropy.py DETECT_OUTPUT_DIR

Checks: detections.ecsv reads as ECSV with the declared types and units; detections.fits passes
astropy's FITS verification and holds the same rows and values as the ECSV; lightcurves.fits
rows point at existing detections. Prints one JSON line with what it found; exit 1 on failure.
Run by crates/exod-cli/tests/cli.rs (astropy from the virtual environment of scripts/test.sh).
"""
import json
import sys

import numpy as np
from astropy.io import fits
from astropy.table import Table

d = sys.argv[1]
ecsv = Table.read(f"{d}/detections.ecsv", format="ascii.ecsv")
with fits.open(f"{d}/detections.fits") as h:
    h.verify("exception")
    ft = Table(h["DETECTIONS"].data)
    units = {c.name: c.unit for c in h["DETECTIONS"].columns}
assert len(ecsv) == len(ft) > 0, (len(ecsv), len(ft))
assert list(ecsv.colnames) == list(ft.colnames), (ecsv.colnames, ft.colnames)
assert str(ecsv["RA"].unit) == "deg" and units["RA"] == "deg"
assert str(ecsv["TBIN"].unit) == "s"
assert ecsv["SIGMA"].dtype.kind == "f" and ecsv["REGION_N"].dtype.kind == "i"
assert ecsv["FLAG_ISOLATED"].dtype.kind == "b"
for c in ["RA", "DEC", "SIGMA", "REGION_MU", "T_START"]:
    assert np.allclose(np.asarray(ecsv[c], float), np.asarray(ft[c], float), rtol=1e-12, equal_nan=True), c
assert [s.strip() for s in ft["DETID"]] == list(ecsv["DETID"])
with fits.open(f"{d}/lightcurves.fits") as h:
    h.verify("exception")
    det = h["LIGHTCURVES"].data["DET"]
assert det.min() >= 1 and det.max() <= len(ecsv)
print(json.dumps({"rows": len(ecsv), "columns": len(ecsv.colnames), "lightcurve_rows": int(len(det))}))
