"""Read every light curve of exod's lightcurves.fits with stingray, an independent reader of OGIP
light curves, and check what it reads against the file.

    python3 scripts/check_lightcurves_stingray.py DETECT_OUTPUT_DIR

Checks: the light-curve HDUs (HDUCLAS1 = 'LIGHTCURVE') are HDUs 1..N, one per row of
detections.fits, in order (EXTNAME = DETID, DET = row); `Lightcurve.read(..., fmt="hea",
ratehdu=k)` reads each; its bins are the TIME column (bin centres), dt = TIMEDEL, mjdref =
MJDREF (or MJDREFI + MJDREFF), counts = COUNTS / FRACEXP in bins with FRACEXP >= 0.9 (stingray's
exposure correction; 0 elsewhere) and its GTIs lie within TSTART..TSTOP. Prints one JSON line
with what it read; exit 1 on failure. Run by crates/exod-cli/tests/outputs.rs (stingray from the
virtual environment of scripts/test-deps.sh).
"""
import json
import sys
import warnings

import numpy as np
from astropy.io import fits

# stingray warns that FITS light curves are "still under testing" and about numba
warnings.simplefilter("ignore")
import stingray  # noqa: E402
from stingray import Lightcurve  # noqa: E402

d = sys.argv[1]
path = f"{d}/lightcurves.fits"
with fits.open(f"{d}/detections.fits") as h:
    detids = [s.strip() for s in h["DETECTIONS"].data["DETID"]]
read, skipped, n_bins = 0, 0, 0
with fits.open(path) as h:
    rate_hdus = [k for k, x in enumerate(h) if x.header.get("HDUCLAS1") == "LIGHTCURVE"]
    assert rate_hdus == list(range(1, len(detids) + 1)), (rate_hdus, len(detids))
    for k in rate_hdus:
        hdr, data = h[k].header, h[k].data
        assert hdr["EXTNAME"] == detids[k - 1] == hdr["DETID"] and hdr["DET"] == k, k
        assert hdr["HDUCLASS"] == "OGIP" and hdr["HDUCLAS3"] == "RATE" and hdr["TIMEUNIT"] == "s"
        good = data["FRACEXP"] >= 0.9
        if not good.any():
            skipped += 1  # stingray makes its GTIs from FRACEXP >= 0.9: nothing to read
            continue
        lc = Lightcurve.read(path, fmt="hea", ratehdu=k)
        mjdref = hdr["MJDREF"] if "MJDREF" in hdr else hdr["MJDREFI"] + hdr["MJDREFF"]
        assert abs(lc.mjdref - mjdref) < 1e-9, (lc.mjdref, mjdref)
        assert lc.dt == hdr["TIMEDEL"], (lc.dt, hdr["TIMEDEL"])
        assert len(lc.time) == len(data), (len(lc.time), len(data))
        assert np.allclose(np.asarray(lc.time, float), data["TIME"], rtol=0, atol=1e-6)
        frac = np.where(good, data["FRACEXP"], 1.0)
        want = np.where(good, data["COUNTS"] / frac, 0.0)
        assert np.allclose(np.asarray(lc.counts, float), want, rtol=1e-9, atol=1e-9), k
        gti = np.asarray(lc.gti, float)
        assert gti.min() >= hdr["TSTART"] - 1e-6 and gti.max() <= hdr["TSTOP"] + 1e-6, gti
        read += 1
        n_bins += len(lc.time)
print(json.dumps({"curves": read, "skipped": skipped, "bins": n_bins, "stingray": stingray.__version__}))
