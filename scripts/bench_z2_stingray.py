"""Peer of `cargo bench -p exod-core --bench timing`: stingray z_n_search (nharm=2, nbin=128)
on 1e5 photons x 1e5 frequencies, numba warmed up, one core (numba's folding is serial).
Same problem as the Rust bench (uniform over 1e5 s, 2 % pulsed at 0.2 Hz; numpy's generator,
so not the same photons, which does not matter for the time).
Run: NUMBA_NUM_THREADS=1 target/py-venv/bin/python scripts/bench_z2_stingray.py
"""
import time

import numba
import numpy as np
import stingray
from stingray.pulse.search import z_n_search

rng = np.random.default_rng(1)
n, span, f0 = 100_000, 1e5, 0.2
t = span * rng.uniform(size=n)
pulsed = np.arange(n) % 50 == 0
t[pulsed] = (np.floor(t[pulsed] * f0) + 0.2 + 0.1 * rng.uniform(size=pulsed.sum())) / f0
t = np.sort(5e8 + t)
freqs = 0.15 + np.arange(100_000) * (1 / (5 * span))
z_n_search(t, freqs[:100], nharm=2, nbin=128)  # numba warm-up
t0 = time.perf_counter()
f, z = z_n_search(t, freqs, nharm=2, nbin=128)
dt = time.perf_counter() - t0
print(f"stingray {stingray.__version__} (numba {numba.__version__}, numpy {np.__version__}) "
      f"z_n_search n=2 nbin=128, {n} photons x {freqs.size} frequencies: {dt:.2f} s")
print(f"  peak Z2_2 = {z.max():.1f} at {f[np.argmax(z)]:.6f} Hz")
