#!/usr/bin/env python3
"""astropy's bayesian_blocks (fitness='events', p0=0.05) on the event lists of
crates/exod-core/benches/blocks.rs: the same xorshift64* generator and thinning, so the lists are
identical (a 100 ks observation, a constant 0.1 / 1 ct/s source plus three flares: ~1.1e4 and
~1.1e5 events). One core (OPENBLAS/OMP threads pinned to 1; astropy's loop is numpy, O(N^2)).

Run: target/py-venv/bin/python scripts/bench_blocks_astropy.py > scripts/bench_blocks_astropy.out
"""
import math
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import astropy  # noqa: E402
from astropy.stats import bayesian_blocks  # noqa: E402

M64 = (1 << 64) - 1


class Rng:
    """xorshift64* exactly as in benches/blocks.rs."""

    def __init__(self, seed):
        self.s = seed | 1

    def uniform(self):
        s = self.s
        s ^= s >> 12
        s ^= (s << 25) & M64
        s ^= s >> 27
        self.s = s
        return (((s * 0x2545F4914F6CDD1D) & M64) >> 11) / float(1 << 53)


def rate(t, base):
    def flare(t0, amp, tau):
        if t < t0:
            return amp * math.exp((t - t0) / (0.1 * tau))
        return amp * math.exp(-(t - t0) / tau)

    return base + flare(20000.0, 5.0 * base, 800.0) + flare(55000.0, 2.0 * base, 3000.0) + flare(80000.0, 10.0 * base, 200.0)


def simulate(n, seed):
    duration = 100000.0
    base = 10.0 * n / 1.0e6
    mx = 11.0 * base
    rng = Rng(seed)
    t = 0.0
    out = []
    while True:
        t -= math.log(max(rng.uniform(), 1e-300)) / mx
        if t >= duration:
            return np.array(out)
        if rng.uniform() * mx < rate(t, base):
            out.append(6.5e8 + t)


def main():
    print("python %s numpy %s astropy %s" % (sys.version.split()[0], np.__version__, astropy.__version__))
    print("astropy bayesian_blocks(t, fitness='events', p0=0.05), same lists as benches/blocks.rs")
    print("%9s %10s %8s" % ("events", "time (s)", "blocks"))
    for n in (10_000, 100_000):
        ev = simulate(n, 42)
        t0 = time.perf_counter()
        edges = bayesian_blocks(ev, fitness="events", p0=0.05)
        dt = time.perf_counter() - t0
        print("%9d %10.3f %8d" % (len(ev), dt, len(edges) - 1))
        print("  first edges: %s" % " ".join("%.6f" % e for e in edges[:4]))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
