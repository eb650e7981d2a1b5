"""Independent check of the Sherpa folding oracles (testdata/spectral/sherpa/fold_*.json).

Run: python3 scripts/oracle_spectral_fold_check.py > scripts/oracle_spectral_fold_check.out
Folds the stored model photons through the RMF/ARF read directly with astropy (F_CHAN/N_CHAN/MATRIX variable
arrays, channel offset from TLMIN of F_CHAN, else EBOUNDS CHANNEL[0]) and compares with Sherpa's counts.
"""

import json
import os
import platform

import numpy as np
import astropy
from astropy.io import fits

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
SPEC = os.path.join(ROOT, "testdata", "spectral")
FILES = {"pn": ("xmm_pn/epn_ff20_dY9.rmf.gz", "xmm_pn/pn_pi_src.arf.gz"),
         "3c273": ("chandra_3c273/3c273.rmf.gz", "chandra_3c273/3c273.arf.gz")}


def fold(rmf_path, arf_path, photons, exposure):
    with fits.open(rmf_path) as h:
        mhdu = next(x for x in h[1:] if "MATRIX" in x.name)
        ebounds = h["EBOUNDS"].data
        nchan = len(ebounds)
        col = mhdu.columns.names.index("F_CHAN") + 1
        tlmin = mhdu.header.get(f"TLMIN{col}")
        offset = int(tlmin) if tlmin is not None else int(ebounds["CHANNEL"][0])
        m = mhdu.data
        with fits.open(arf_path) as ha:
            specresp = np.asarray(ha["SPECRESP"].data["SPECRESP"], dtype=np.float64)
        out = np.zeros(nchan)
        src = photons * specresp * exposure
        for i in range(len(m)):
            fch = np.atleast_1d(m["F_CHAN"][i])
            nch = np.atleast_1d(m["N_CHAN"][i])
            mat = np.asarray(m["MATRIX"][i], dtype=np.float64)
            k = 0
            for f0, n in zip(fch, nch):
                f0 = int(f0) - offset
                n = int(n)
                out[f0:f0 + n] += src[i] * mat[k:k + n]
                k += n
    return out, offset


def main():
    print(f"python {platform.python_version()}  numpy {np.__version__}  astropy {astropy.__version__}")
    for name, (rmf, arf) in FILES.items():
        with open(os.path.join(SPEC, "sherpa", f"fold_{name}.json")) as fh:
            o = json.load(fh)
        photons = np.array(o["model_photons"])
        mine, offset = fold(os.path.join(SPEC, rmf), os.path.join(SPEC, arf), photons, o["exposure"])
        sherpa = np.array(o["counts"])
        nz = sherpa != 0
        rel = np.max(np.abs(mine[nz] - sherpa[nz]) / np.abs(sherpa[nz]))
        print(f"{name}: offset {offset} (sherpa {o['rmf_offset']}), channels {len(mine)}, "
              f"max |rel diff| {rel:.3e}, zero channels agree {np.all(mine[~nz] == 0)}, "
              f"totals {mine.sum():.12g} vs {sherpa.sum():.12g}")


if __name__ == "__main__":
    main()
