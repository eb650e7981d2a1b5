"""Read exod's detection outputs back with astropy, an independent reader, and check them.

    python3 scripts/check_outputs_astropy.py DETECT_OUTPUT_DIR

Checks: detections.ecsv reads as ECSV with the declared types and units; every HDU of
detections.fits, lightcurves.fits and image.fits passes astropy's FITS verification and its
CHECKSUM/DATASUM, and carries the observation's time and sky keywords; detections.fits holds the
same rows and values as the ECSV, with logical flag columns; lightcurves.fits rows point at
existing detections; image.fits has a celestial WCS that puts every detection's RA/Dec on the
image pixel its sky X/Y gives through the physical (LTV/LTM and alternate WCS 'P') coordinates.
Prints one JSON line with what it found; exit 1 on failure. Run by crates/exod-cli/tests/cli.rs
(astropy from the virtual environment of scripts/test-deps.sh).
"""
import json
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

d = sys.argv[1]
KEYS = ["TELESCOP", "INSTRUME", "DATE-OBS", "TIMESYS", "TIMEREF", "TIMEUNIT", "TSTART", "TSTOP",
        "RADESYS", "EQUINOX", "CREATOR", "DATE", "COMMAND", "CHECKSUM", "DATASUM"]


def check_hdus(path):
    """Verify every HDU of a file (structure, checksums, keywords); return the open HDU list."""
    h = fits.open(path)
    h.verify("exception")
    for k, hdu in enumerate(h):
        assert hdu.verify_checksum() == 1 and hdu.verify_datasum() == 1, (path, k)
        missing = [key for key in KEYS if key not in hdu.header]
        assert not missing, (path, k, missing)
        assert "MJDREF" in hdu.header or "MJDREFI" in hdu.header, (path, k)
        assert hdu.header["TIMEUNIT"] == "s"
    return h


ecsv = Table.read(f"{d}/detections.ecsv", format="ascii.ecsv")
with check_hdus(f"{d}/detections.fits") as h:
    ft = Table(h["DETECTIONS"].data)
    units = {c.name: c.unit for c in h["DETECTIONS"].columns}
    forms = {c.name: c.format for c in h["DETECTIONS"].columns}
    assert isinstance(h["DETECTIONS"].header["SIGMA"], float)
assert len(ecsv) == len(ft) > 0, (len(ecsv), len(ft))
assert list(ecsv.colnames) == list(ft.colnames), (ecsv.colnames, ft.colnames)
assert str(ecsv["RA"].unit) == "deg" and units["RA"] == "deg"
assert str(ecsv["TBIN"].unit) == "s"
assert ecsv["SIGMA"].dtype.kind == "f" and ecsv["REGION_N"].dtype.kind == "i"
assert ecsv["FLAG_ISOLATED"].dtype.kind == "b"
for c in ["BTI", "FLAG_ISOLATED", "FLAG_LAST_BIN", "FLAG_LT5_MAX", "FLAG_CROWDED"]:
    assert forms[c] == "L" and ft[c].dtype.kind == "b", (c, forms[c], ft[c].dtype)
    assert list(ft[c]) == list(ecsv[c]), c
counts = [c for c in ft.colnames if c.startswith("COUNTS_")]
assert counts and set(counts) <= {"COUNTS_PN", "COUNTS_M1", "COUNTS_M2"}, counts
for c in ["RA", "DEC", "SIGMA", "REGION_MU", "T_START"] + counts:
    assert np.allclose(np.asarray(ecsv[c], float), np.asarray(ft[c], float), rtol=1e-12, equal_nan=True), c
assert [s.strip() for s in ft["DETID"]] == list(ecsv["DETID"])
with check_hdus(f"{d}/lightcurves.fits") as h:
    det = h["LIGHTCURVES"].data["DET"]
    assert h["LIGHTCURVES"].columns["BTI"].format == "L"
    n_curves = sum(x.header.get("HDUCLAS1") == "LIGHTCURVE" for x in h)
assert det.min() >= 1 and det.max() <= len(ecsv)
assert n_curves == len(ecsv), (n_curves, len(ecsv))
with check_hdus(f"{d}/image.fits") as h:
    hdr = h[0].header
    img = h[0].data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy notes the missing DATEREF/MJD-OBS
        sky = WCS(hdr)
        phys = WCS(hdr, key="P")
    assert sky.has_celestial and img.shape == (hdr["NAXIS2"], hdr["NAXIS1"])
    # RA/Dec -> image pixel (FITS 1-based) through the celestial WCS ...
    px, py = sky.all_world2pix(np.asarray(ft["RA"], float), np.asarray(ft["DEC"], float), 1)
    # ... and sky X/Y -> image pixel through DS9's physical coordinates and the alternate WCS P
    lx = hdr["LTM1_1"] * np.asarray(ft["X"], float) + hdr["LTV1"]
    ly = hdr["LTM2_2"] * np.asarray(ft["Y"], float) + hdr["LTV2"]
    qx, qy = phys.all_world2pix(np.asarray(ft["X"], float), np.asarray(ft["Y"], float), 1)
    assert np.allclose(px, lx, atol=1e-3) and np.allclose(py, ly, atol=1e-3), (px - lx, py - ly)
    assert np.allclose(qx, lx, atol=1e-6) and np.allclose(qy, ly, atol=1e-6)
    # every detection sits on a cell with counts
    ix, iy = np.round(px).astype(int) - 1, np.round(py).astype(int) - 1
    assert (img[iy, ix] > 0).all()
print(json.dumps({"rows": len(ecsv), "columns": len(ecsv.colnames), "lightcurve_rows": int(len(det)),
                  "image": [int(hdr["NAXIS1"]), int(hdr["NAXIS2"])]}))
