"""Hand counts for exod photometry on the two real MOS1+MOS2 epochs of RXCJ0958 (XGA clean event
lists in testdata/real), independent of exod's code: astropy reads the events, applies the
screening (PATTERN <= 12, the file's own XMMEA_EM FLAG mask, 200 <= PI < 12000 eV, the
published 4XMM-DR14 hot pixels), keeps the
source CCD's events inside its GTI (STDGTInn intersected with the flare GTI table whose CCDID is
that CCD), and counts
  * N: events within the aperture radius exod reports (photometry.ecsv M?_8_RADIUS, M?_8_CCD),
    separation on the sky from astropy.wcs + SkyCoord;
  * B: events in the background annulus (inner = max(60", 2 r), outer = max(150", inner + 60"))
    farther than 20" from every other catalogue source;
  * live time |GTI| x LIVETInn/ONTIMEnn.
Run (after building exod):
  for e in 0201901401 0201903501; do target/debug/exod photometry testdata/real/xga_$e/mos1_exp1_clean_evts.fits.gz \
     testdata/real/xga_$e/mos2_exp1_clean_evts.fits.gz --catalog testdata/real/xga_0201901401/0201901401_XGA_sources_radec.csv \
     --out target/phot_$e --overwrite; done
  target/py-venv/bin/python scripts/oracle_photometry_xga.py target/phot_0201901401/photometry.ecsv \
     target/phot_0201903501/photometry.ecsv > scripts/oracle_photometry_xga.out
"""
import re
import sys

import astropy
import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

CAT = "testdata/real/xga_0201901401/0201901401_XGA_sources_radec.csv"
EPOCHS = {"0201901401": "testdata/real/xga_0201901401", "0201903501": "testdata/real/xga_0201903501"}
FILES = {"M1": "mos1_exp1_clean_evts.fits.gz", "M2": "mos2_exp1_clean_evts.fits.gz"}


def intervals_intersect(a, b):
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if e > s:
                out.append((s, e))
    return sorted(out)


def ccd_gti(hdul, ccd):
    std = hdul[f"STDGTI{ccd:02d}"].data
    g = list(zip(std["START"], std["STOP"]))
    for h in hdul:
        if re.fullmatch(r"GTI\d{3}06", h.name) and h.header.get("CCDID") == ccd:
            g = intervals_intersect(g, list(zip(h.data["START"], h.data["STOP"])))
    return g


def hot_pixels(ev, cam, rev):
    """Events on the 4XMM-DR14 hot pixels/columns (the published list shipped in
    crates/exod-core/data/hotpixels: CCD, RAWX, RAWY1..RAWY2, REV1 <= REVOLUT <= REV2)."""
    hot = np.zeros(len(ev), bool)
    t = Table.read(f"crates/exod-core/data/hotpixels/4xmmdr14_hotpixels_{cam}.csv", format="ascii.csv")
    for r in t:
        if r["REV1"] <= rev <= r["REV2"]:
            hot |= ((ev["CCDNR"] == r[f"CCD{cam}"]) & (ev["RAWX"] == r[f"{cam}_RAWX"])
                    & (ev["RAWY"] >= r[f"{cam}_RAWY1"]) & (ev["RAWY"] <= r[f"{cam}_RAWY2"]))
    return hot


def screened(path, cam):
    hdul = fits.open(path)
    ev = hdul["EVENTS"].data
    h = hdul["EVENTS"].header
    mask = int(re.search(r"0x([0-9a-fA-F]+)", h["XMMEA_EM"]).group(1), 16)
    keep = (ev["PATTERN"] <= 12) & ((ev["FLAG"] & mask) == 0) & (ev["PI"] >= 200) & (ev["PI"] < 12000)
    keep &= ~hot_pixels(ev, cam, h["REVOLUT"])
    cols = hdul["EVENTS"].columns.names
    ix, iy = cols.index("X") + 1, cols.index("Y") + 1
    w = WCS(naxis=2)
    w.wcs.ctype = [h[f"TCTYP{ix}"], h[f"TCTYP{iy}"]]
    w.wcs.crpix = [h[f"TCRPX{ix}"], h[f"TCRPX{iy}"]]
    w.wcs.crval = [h[f"TCRVL{ix}"], h[f"TCRVL{iy}"]]
    w.wcs.cdelt = [h[f"TCDLT{ix}"], h[f"TCDLT{iy}"]]
    e = ev[keep]
    # FITS pixel convention: the column value is the pixel coordinate (origin 1)
    ra, dec = w.all_pix2world(e["X"].astype(float), e["Y"].astype(float), 1)
    return hdul, h, e, SkyCoord(ra * u.deg, dec * u.deg)


def main(ecsvs):
    cat = Table.read(CAT, format="ascii.csv")
    srcs = SkyCoord(cat["ra_deg"] * u.deg, cat["dec_deg"] * u.deg)
    print(f"# astropy {astropy.__version__}, numpy {np.__version__}")
    print("# obs camera source ccd radius_arcsec N B live_s")
    for path in ecsvs:
        ph = Table.read(path, format="ascii.ecsv")
        obs = str(ph["OBS_ID"][0])
        for cam, fn in FILES.items():
            hdul, h, e, sky = screened(f"{EPOCHS[obs]}/{fn}", cam)
            for row, src in zip(ph, srcs):
                if not row[f"{cam}_COVERED"]:
                    continue
                ccd, r = int(row[f"{cam}_8_CCD"]), float(row[f"{cam}_8_RADIUS"])
                g = ccd_gti(hdul, ccd)
                t = e["TIME"]
                in_gti = np.zeros(len(e), bool)
                for s, z in g:
                    in_gti |= (t >= s) & (t < z)
                on = (e["CCDNR"] == ccd) & in_gti
                d = sky.separation(src).arcsec
                n = int(np.sum(on & (d < r)))
                inner = max(60.0, 2 * r)
                outer = max(150.0, inner + 60)
                ann = on & (d >= inner) & (d < outer)
                for k, other in enumerate(srcs):
                    if other.separation(src).arcsec > 10.0:
                        ann &= sky.separation(other).arcsec >= 20.0
                live = sum(z - s for s, z in g) * h[f"LIVETI{ccd:02d}"] / h[f"ONTIME{ccd:02d}"]
                print(f"{obs} {cam} {row['SOURCE']} {ccd} {r:.6f} {n} {int(np.sum(ann))} {live:.6f}")


main(sys.argv[1:])
