#!/usr/bin/env python3
"""Convert the photoelectric cross-section tables xsect_<model>_<abund>.fits(.gz) into the compact binaries
embedded in exod-core (crates/exod-core/data/absorption/<model>_<abund>.f32le).

Format of each binary: N records of two little-endian IEEE-754 float32 (ENERGY keV, SIGMA 1e-22 cm^2), in table
row order, no header; the values are exactly the float32 values of the FITS columns (no rounding, no conversion).

Usage (from the repository root):
    /work/main/target/py-venv/bin/python scripts/convert_absorption.py
The printed SHA-256 digests and row counts are recorded in scripts/convert_absorption.out and in the README of the
data folder.
"""
import hashlib
import sys
from pathlib import Path

import astropy
import numpy as np
from astropy.io import fits

SRC = Path("testdata/spectral/absorption")
DST = Path("crates/exod-core/data/absorption")
TABLES = ["tbabs_wilm", "phabs_angr", "wabs_angr"]


def convert(name: str) -> None:
    with fits.open(SRC / f"xsect_{name}.fits.gz") as hdul:
        hdu = hdul[1]
        energy = np.asarray(hdu.data["ENERGY"])
        sigma = np.asarray(hdu.data["SIGMA"])
        assert hdu.columns["ENERGY"].format == "E" and hdu.columns["SIGMA"].format == "E"
        table = hdu.header.get("TABLE", "?")
        extname = hdu.header.get("EXTNAME", "?")
    pairs = np.empty((len(energy), 2), dtype="<f4")
    pairs[:, 0] = energy  # big-endian f32 -> little-endian f32: exact
    pairs[:, 1] = sigma
    assert np.array_equal(pairs[:, 0].view("<u4"), energy.astype(">f4").view(">u4").astype("<u4"))
    assert np.all(np.diff(energy) > 0), "ENERGY must increase"
    data = pairs.tobytes()
    (DST / f"{name}.f32le").write_bytes(data)
    print(f"{name}: EXTNAME={extname} TABLE={table} rows={len(energy)} "
          f"E=[{energy[0]!r}, {energy[-1]!r}] keV SIGMA=[{sigma[0]!r}, {sigma[-1]!r}] "
          f"bytes={len(data)} sha256={hashlib.sha256(data).hexdigest()}")


def main() -> int:
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, astropy {astropy.__version__}")
    DST.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        convert(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
