"""Independent oracle for exod's KBN upper limits (exod_core::photometry::kbn).

Kraft, Burrows & Nousek 1991 (ApJ 374, 344): flat prior on s >= 0, known background b,
posterior p(s|N,b) = exp(-(s+b)) (s+b)^N / (N! Q(N+1,b)). The upper limit s_UL solves
  integral_0^s_UL p ds = CL.
Here the integral is done by adaptive quadrature (scipy.integrate.quad) of the unnormalised
posterior, normalised by a second quadrature to infinity -- not by the incomplete-gamma closed
form exod uses -- and the root by brentq. Also P(X >= N | b) by scipy.stats.poisson.sf.
Run: target/py-venv/bin/python scripts/oracle_kbn_ul.py > scripts/oracle_kbn_ul.out
"""
import math
import sys

import numpy as np
import scipy
from scipy import integrate, optimize, stats

CASES = [(0, 0.0), (0, 3.0), (1, 0.1), (1, 0.5), (3, 1.0), (5, 2.5), (10, 3.0),
         (4, 6.0), (20, 5.0), (50, 40.0), (100, 10.0), (2, 0.05)]
LEVELS = [0.9, 0.99, 0.99865]


def post(s, n, b):
    # log form to avoid overflow
    return math.exp(-(s + b) + n * math.log(s + b) - math.lgamma(n + 1)) if s + b > 0 else (1.0 if n == 0 else 0.0)


def upper_limit(n, b, cl):
    mode = max(n - b, 0.0)
    top = mode + 40 * math.sqrt(n + 1) + 60
    norm = integrate.quad(post, 0, top, args=(n, b), epsabs=0, epsrel=1e-13, limit=500, points=[mode])[0]
    f = lambda s: integrate.quad(post, 0, s, args=(n, b), epsabs=0, epsrel=1e-13, limit=500)[0] / norm - cl
    return optimize.brentq(f, 1e-12, top, xtol=1e-12, rtol=1e-13)


print(f"# python {sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}")
print("# n b cl s_ul p_bkg(X>=n|b)")
for n, b in CASES:
    for cl in LEVELS:
        p = stats.poisson.sf(n - 1, b) if b > 0 else (1.0 if n == 0 else 0.0)
        print(f"{n} {b} {cl} {upper_limit(n, b, cl):.10g} {p:.10g}")
