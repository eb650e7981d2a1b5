"""Independent readers on exod's light-curve files (exod_io::lc_out) and the oracle numbers of
the light-curve errors (exod_core::timing::lightcurve tests).

1. Reads crates/exod-io/tests/data/lc/sample_lc.fits (written by the test
   `light_curves_write_verify_and_read_back` of crates/exod-io/tests/lc_out.rs) with astropy and
   with stingray (`Lightcurve.read(path, fmt='hea', ratehdu=k)`), prints what they read, and
   checks that stingray's count rate equals the net exposure-corrected rate recomputed from the
   file's own columns, (COUNTS - BACKRAT * BKG_COUNTS) / (FRACEXP * TIMEDEL), in the bins it
   keeps (FRACEXP >= 0.9), and that its GTIs are the file's GTI extension.
2. Prints astropy's Kraft, Burrows & Nousek (1991) 68.27 % intervals and scipy's exact Poisson
   1-sigma limits (Gehrels 1986 Tables 1-2) used as oracles by the Rust tests.

Run: target/py-venv/bin/python scripts/check_lc_stingray.py > scripts/check_lc_stingray.out
"""

import sys
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")

import astropy  # noqa: E402
import scipy  # noqa: E402
import stingray  # noqa: E402
from astropy.io import fits  # noqa: E402
from astropy.stats import poisson_conf_interval  # noqa: E402
from astropy.table import Table  # noqa: E402
from scipy.stats import chi2  # noqa: E402
from stingray import Lightcurve  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "crates/exod-io/tests/data/lc/sample_lc.fits"


def check_file(path):
    print(f"file: {path.relative_to(ROOT)}")
    ok = True
    with fits.open(path) as h:
        names = [x.name for x in h]
        print("HDUs:", names)
        rate_hdus = [i for i, x in enumerate(h) if x.header.get("HDUCLAS1") == "LIGHTCURVE"]
        gti = np.array([h["GTI"].data["START"], h["GTI"].data["STOP"]]).T
    for k in rate_hdus:
        t = Table.read(path, hdu=k)
        hdr = fits.getheader(path, k)
        name = hdr["EXTNAME"]
        dt = hdr["TIMEDEL"]
        print(f"\n[{k}] {name}: INSTRUME={hdr['INSTRUME']} HDUCLAS2={hdr['HDUCLAS2']} "
              f"TIMEDEL={dt} TIMEPIXR={hdr['TIMEPIXR']} EXPOSURE={hdr['EXPOSURE']} "
              f"MJDREF={hdr['MJDREF']} TIMESYS={hdr['TIMESYS']} ERRMETH={hdr['ERRMETH']}")
        print(f"  astropy Table: {len(t)} rows, columns {t.colnames}")
        print(f"  units: RATE {t['RATE'].unit}, TIME {t['TIME'].unit}, COUNTS {t['COUNTS'].unit}")
        lc = Lightcurve.read(str(path), fmt="hea", ratehdu=k)
        keep = t["FRACEXP"] >= 0.9
        print(f"  stingray: {len(lc.time)} bins, dt={lc.dt}, mjdref={lc.mjdref}, "
              f"gti={np.asarray(lc.gti, dtype=float).tolist()}")
        print("  stingray time[:3]:", np.asarray(lc.time[:3], dtype=float).tolist())
        print("  stingray countrate:", np.round(np.asarray(lc.countrate, dtype=float), 6).tolist())
        if name == "RATE":
            # combined: the net rate is RATE / FRACEXP (the sum of the cameras' rates)
            want = np.asarray(t["RATE"]) / np.asarray(t["FRACEXP"])
        else:
            r = hdr["BACKRAT"]
            want = (np.asarray(t["COUNTS"]) - r * np.asarray(t["BKG_COUNTS"])) / (
                np.asarray(t["FRACEXP"]) * dt
            )
        got = np.asarray(lc.countrate, dtype=float)
        # stingray keeps every bin, zeroing those with FRACEXP < 0.9
        diff = np.max(np.abs(got[keep] - want[keep]))
        zeroed = np.all(got[~keep] == 0.0)
        print(f"  max |stingray countrate - net rate recomputed from the columns| "
              f"(FRACEXP >= 0.9, {int(keep.sum())} bins) = {diff:.3e}; "
              f"bins below 0.9 zeroed by stingray: {zeroed}")
        if name != "RATE":
            corr = np.asarray(t["RATE_CORR"])[keep] * hdr["EEF"]
            d2 = np.max(np.abs(corr - want[keep]))
            print(f"  max |RATE_CORR * EEF - net rate| = {d2:.3e}")
            ok &= d2 < 1e-9
        gti_ok = np.allclose(np.asarray(lc.gti, dtype=float), gti) if k == 1 else True
        print(f"  GTI read by stingray = GTI extension: {gti_ok}")
        ok &= diff < 1e-9 and zeroed and gti_ok
    return ok


def kbn_oracles():
    print("\nKraft, Burrows & Nousek (1991) 68.27 % intervals, astropy "
          "poisson_conf_interval(n, 'kraft-burrows-nousek', background=b, confidence_level=0.6827):")
    for n, b in [(1, 1e-9), (2, 0.5), (3, 2.0), (5, 0.5), (5, 2.5), (10, 3.0), (20, 5.0),
                 (4, 6.0), (98, 3.8)]:
        lo, hi = np.ravel(poisson_conf_interval(
            n, interval="kraft-burrows-nousek", background=b, confidence_level=0.6827))
        print(f"  N={n:3d} B={b:<6g} [{float(lo)!r}, {float(hi)!r}]")
    print("\nExact Poisson 1-sigma limits (CL 0.8413, scipy chi2), Gehrels (1986) Tables 1-2:")
    cl = 0.8413447460685429
    for n in range(11):
        up = chi2.ppf(cl, 2 * (n + 1)) / 2
        lo = chi2.ppf(1 - cl, 2 * n) / 2 if n > 0 else 0.0
        print(f"  n={n:2d} lower {lo:.3f} upper {up:.3f}")


def main():
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"astropy {astropy.__version__}, stingray {stingray.__version__}")
    ok = check_file(SAMPLE)
    kbn_oracles()
    print("\nALL CHECKS PASSED" if ok else "\nCHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
