#!/usr/bin/env python3
"""Reference table of EXOD Bayes factors, computed with mpmath at 50 significant digits.

log10 B_peak(N, mu)    = log10 Q(N+1, mu) - log10 Pois(N; mu)
log10 B_eclipse(N, mu) = log10 P(N+1, mu) - log10 Pois(N; mu)
(P, Q: regularized lower/upper incomplete gamma; paper eqs. 6-7).

This is the independent oracle for crates/exod-core/src/stats.rs: it uses arbitrary-precision
arithmetic and none of exod's code. Run once, commit the output:
    python3 scripts/bayes_reference.py > crates/exod-core/tests/data/bayes_reference.csv
"""
import mpmath as mp

mp.mp.dps = 50

def log10_b(n, mu):
    n = mp.mpf(n)
    mu = mp.mpf(mu)
    a = n + 1
    lp = mp.log10(mp.gammainc(a, 0, mu, regularized=True))
    lq = mp.log10(mp.gammainc(a, mu, mp.inf, regularized=True))
    lpmf = (n * mp.log(mu) - mu - mp.loggamma(n + 1)) / mp.log(10)
    return lq - lpmf, lp - lpmf

ns = [0, 1, 2, 3, 5, 10, 30, 100, 300, 870, 1000, 1139, 1237, 3000, 10000, 100000, 1000000]
mus = [1e-7, 1e-5, 1e-3, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0, 1000.0, 1e4, 1e5, 1e6]
pairs = [(n, mu) for n in ns for mu in mus]
# near the diagonal, where series and continued fractions converge slowest
for n in [50, 1000, 10000, 100000, 1000000]:
    for k in [-5, -2, -1, 0, 1, 2, 5]:
        mu = float(n) + k * float(n) ** 0.5
        if mu > 0:
            pairs.append((n, mu))
# the paper's thresholds
pairs += [(1139, 1000.0), (870, 1000.0), (1237, 1000.0), (788, 1000.0)]

print("# log10 Bayes factors of EXOD (paper eqs. 6-7), mpmath %s, 50 digits; made by scripts/bayes_reference.py" % mp.__version__)
print("n,mu,log10_b_peak,log10_b_eclipse")
seen = set()
for n, mu in pairs:
    if (n, mu) in seen:
        continue
    seen.add((n, mu))
    bp, be = log10_b(n, mu)
    print("%d,%.17g,%s,%s" % (n, mu, mp.nstr(bp, 20), mp.nstr(be, 20)), flush=True)
