#!/usr/bin/env python3
"""Facts about the real event lists in ../shared/data/real, computed independently of exod with
astropy + numpy, for exod's reader tests (crates/exod-io/tests/events_real.rs).

    python3 scripts/real_data_facts.py ../shared/data/real > crates/exod-io/tests/data/real_facts.json

XMM screening is re-implemented here from the paper's definitions (PATTERN <= 12 for MOS,
200 <= PI <= 12000 inclusive, (FLAG & XMMEA_EM mask) == 0, the 4XMM-DR14 hot pixels with
REV1 <= REVOLUT <= REV2), in that order, counting what each step removes.
"""
import csv, json, sys, os
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

root = sys.argv[1]
calib = os.path.join(root, "..", "xmm-calibration")
out = {"astropy": __import__("astropy").__version__, "files": {}}

def gti_rows(h):
    return [(float(a), float(b)) for a, b in zip(h.data["START"], h.data["STOP"])]

def intersect(a, b):
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo: out.append((lo, hi))
        if a[i][1] < b[j][1]: i += 1
        else: j += 1
    return out

def col_wcs(hdr, cx, cy):
    w = WCS(naxis=2)
    w.wcs.ctype = [hdr["TCTYP%d" % cx], hdr["TCTYP%d" % cy]]
    w.wcs.crval = [float(hdr["TCRVL%d" % cx]), float(hdr["TCRVL%d" % cy])]
    w.wcs.crpix = [float(hdr["TCRPX%d" % cx]), float(hdr["TCRPX%d" % cy])]
    w.wcs.cdelt = [float(hdr["TCDLT%d" % cx]), float(hdr["TCDLT%d" % cy])]
    return w

def sample_sky(w, x, y, n=25):
    idx = np.linspace(0, len(x) - 1, n).astype(int)
    ra, dec = w.all_pix2world(x[idx].astype(float), y[idx].astype(float), 1)
    return [[float(x[i]), float(y[i]), float(r), float(d)] for i, r, d in zip(idx, ra, dec)]

for sub in ["xga_0201901401", "xga_0201903501"]:
    for cam, short in [("mos1", "M1"), ("mos2", "M2")]:
        rel = f"{sub}/{cam}_exp1_clean_evts.fits"
        h = fits.open(os.path.join(root, rel))
        ev = h["EVENTS"]; d = ev.data; hd = ev.header
        rev = int(hd["REVOLUT"])
        mask = int(hd["XMMEA_EM"].split("&")[1].split(")")[0], 16)
        hot = set()
        with open(os.path.join(calib, f"4xmmdr14_hotpixels_{short}.csv")) as fh:
            for r in csv.DictReader(fh):
                if int(r["REV1"]) <= rev <= int(r["REV2"]):
                    for yy in range(int(r[f"{short}_RAWY1"]), int(r[f"{short}_RAWY2"]) + 1):
                        hot.add((int(r[f"CCD{short}"]), int(r[f"{short}_RAWX"]), yy))
        keep = np.ones(len(d), bool); removed = {}
        step = d["PATTERN"] <= 12; removed["PATTERN"] = int((keep & ~step).sum()); keep &= step
        step = (d["PI"] >= 200) & (d["PI"] <= 12000); removed["PI range"] = int((keep & ~step).sum()); keep &= step
        step = (d["FLAG"] & mask) == 0; removed["FLAG (XMMEA)"] = int((keep & ~step).sum()); keep &= step
        step = np.array([(int(c), int(x), int(y)) not in hot for c, x, y in zip(d["CCDNR"], d["RAWX"], d["RAWY"])])
        removed["hot pixels"] = int((keep & ~step).sum()); keep &= step
        # DSS GTI per CCD: nDSVAL1 = CCD, nDSREF6 = GTI extension
        gti = {}
        for ccd in range(1, 8):
            pre = "" if ccd == 1 else str(ccd)
            ref = hd.get(pre + "DSREF6", "").lstrip(":")
            g = gti_rows(h["STDGTI%02d" % ccd])
            if ref: g = intersect(g, gti_rows(h[ref]))
            gti[str(ccd)] = sum(b - a for a, b in g)
        t = d["TIME"][keep]
        w = col_wcs(hd, 6, 7)
        out["files"][rel] = {
            "rows": len(d), "kept": int(keep.sum()), "removed": removed,
            "time_min": float(t.min()), "time_max": float(t.max()),
            "time_sorted_in_file": bool(np.all(np.diff(d["TIME"]) >= 0)),
            "gti_exposure": gti, "revolution": rev, "xmmea_em": mask,
            "sky": sample_sky(w, d["X"], d["Y"]),
        }

# Chandra: lower-case columns, float x/y
for rel in ["stingray_chandra/chandra_test.fits", "stingray_chandra/chandra_noener_test.fits"]:
    h = fits.open(os.path.join(root, rel)); ev = h["EVENTS"]; d = ev.data; hd = ev.header
    names = [c.lower() for c in d.columns.names]
    cx, cy = names.index("x") + 1, names.index("y") + 1
    w = col_wcs(hd, cx, cy)
    out["files"][rel] = {"rows": len(d), "kept": len(d), "time_min": float(d["time"].min()),
        "time_max": float(d["time"].max()), "gti_exposure": {"0": sum(b - a for a, b in gti_rows(h["GTI"]))},
        "sky": sample_sky(w, d["x"], d["y"]),
        "energy_sum_kev": float(d["energy"].astype(float).sum() / 1000) if "energy" in names else None}
    # the ACIS description's screening: ASCA grades 0, 2, 3, 4, 6 and 0.3-10 keV (energy column,
    # else 14.6 eV x PI)
    e = d["energy"].astype(float) if "energy" in names else 14.6 * d["pi"].astype(float)
    out["files"][rel]["screened"] = int((np.isin(d["grade"], [0, 2, 3, 4, 6]) & (e >= 300) & (e <= 10000)).sum())

# eROSITA: SIN projection with TCRPX = 0; the file's own RA/DEC columns are the oracle
rel = "erosita_edr_300003/em01_300003_EventList_021_PARTIAL.fits"
h = fits.open(os.path.join(root, rel)); d = h["EVENTS"].data; hd = h["EVENTS"].header
w = col_wcs(hd, 4, 5)
idx = np.linspace(0, len(d) - 1, 25).astype(int)
ra, dec = w.all_pix2world(d["X"][idx], d["Y"][idx], 1)
out["files"][rel] = {"rows": len(d), "kept": len(d), "time_min": float(d["TIME"].min()),
    "time_max": float(d["TIME"].max()),
    "sky": [[float(d["X"][i]), float(d["Y"][i]), float(r), float(de)] for i, r, de in zip(idx, ra, dec)],
    "radec_columns": [[float(d["RA"][i]), float(d["DEC"][i])] for i in idx]}
# eROSITA description: PAT_TYP 1-4, 0.2-10 keV (PI in eV)
out["files"][rel]["screened"] = int((np.isin(d["PAT_TYP"], [1, 2, 3, 4]) & (d["PI"] >= 200) & (d["PI"] <= 10000)).sum())

# NuSTAR: the header is malformed on purpose
rel = "nustar_solar_90410111001/nu90410111001A06_cl_sunpos.evt"
h = fits.open(os.path.join(root, rel)); d = h["EVENTS"].data
out["files"][rel] = {"rows": len(d), "kept": len(d), "time_min": float(d["TIME"].min()),
    "time_max": float(d["TIME"].max()), "tcrvl13": repr(h["EVENTS"].header["TCRVL13"])}
# NuSTAR description: grades 0-26, 3-79 keV with E = 1.6 + 0.04 PI keV
e = 1.6 + 0.04 * d["PI"].astype(float)
out["files"][rel]["screened"] = int(((d["GRADE"] >= 0) & (d["GRADE"] <= 26) & (e >= 3) & (e <= 79)).sum())
json.dump(out, sys.stdout, indent=1)
