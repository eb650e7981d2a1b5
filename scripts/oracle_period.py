"""Oracle numbers for the periodicity search (crates/exod-core/tests/period_oracles.rs).

Generates event lists with numpy (fixed seed), saves them under
crates/exod-core/tests/data/timing/period/, and computes with stingray and astropy:
  * stingray z_n_search (nharm=2, nbin=128) and epoch_folding_search (nbin=16) on a pulsar;
  * stingray z_n(phases, n=2) (unbinned, all events) at a few frequencies;
  * stingray AveragedPowerspectrum.from_events (norm='leahy', common and per-segment mean);
  * astropy LombScargle (method='slow', standard normalisation) of the binned 5000 s
    modulation and its Baluev false-alarm probability.
Run: target/py-venv/bin/python scripts/oracle_period.py > scripts/oracle_period.out
"""
import json
import os
import sys

import numba
import numpy as np
import astropy
import scipy
import stingray
from astropy.timeseries import LombScargle
from stingray import AveragedPowerspectrum, EventList
from stingray.pulse.pulsar import z_n
from stingray.pulse.search import epoch_folding_search, z_n_search

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "exod-core", "tests", "data",
                   "timing", "period")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261212)
T0 = 1.0e8  # mission-like times


def sinusoid_events(n, t0, span, f, pf):
    """n events over [t0, t0+span) with rate ∝ 1 + pf sin(2π f (t − t0)) (rejection)."""
    out = []
    while len(out) < n:
        x = rng.uniform(0, span, 4 * n)
        keep = rng.uniform(0, 1 + pf, 4 * n) < 1 + pf * np.sin(2 * np.pi * f * x)
        out.extend((t0 + x[keep]).tolist())
    return np.sort(np.array(out[:n]))


def save_times(name, t):
    np.savetxt(os.path.join(OUT, name), t, fmt="%.9f")
    # what the Rust test reads is the rounded file: reload it
    return np.loadtxt(os.path.join(OUT, name))


# 1. pulsar: N = 5000, f = 2.9673 Hz, sinusoidal PF 0.3, 20 ks
pulsar = save_times("pulsar.txt", sinusoid_events(5000, T0, 20000.0, 2.9673, 0.3))
f_z = 2.9673 + np.arange(-200, 201) * 2e-6
_, z_st = z_n_search(pulsar, f_z, nharm=2, nbin=128)
_, ef_st = epoch_folding_search(pulsar, f_z, nbin=16)
f_spot = [2.9673, 2.96731, 2.9672, 2.9, 0.5]
zn_unbinned = [float(z_n((pulsar - pulsar[0]) * f - np.floor((pulsar - pulsar[0]) * f), n=2))
               for f in f_spot]
np.savetxt(os.path.join(OUT, "pulsar_z2_stingray.csv"), np.c_[f_z, z_st, ef_st],
           fmt="%.17g", delimiter=",", header="freq_hz,z2_stingray_nbin128,ef_stingray_nbin16")

# 2. Leahy: 4000 s of a 2.9673 Hz pulsar (PF 0.2, ~5700 events) in two GTIs, dt = 1/16 s,
# 256 s segments
gti = [[T0, T0 + 1800.0], [T0 + 2000.0, T0 + 4000.0]]
lt = sinusoid_events(6000, T0, 4000.0, 2.9673, 0.2)
lt = lt[((lt >= gti[0][0]) & (lt < gti[0][1])) | ((lt >= gti[1][0]) & (lt < gti[1][1]))]
lt = save_times("leahy_events.txt", lt)
np.savetxt(os.path.join(OUT, "leahy_gti.txt"), np.array(gti), fmt="%.9f")
ev = EventList(lt, gti=np.array(gti))
pds = {}
for common in (True, False):
    ps = AveragedPowerspectrum.from_events(ev, dt=1 / 16, segment_size=256.0, norm="leahy",
                                           use_common_mean=common, silent=True)
    pds[common] = ps
np.savetxt(os.path.join(OUT, "leahy_stingray.csv"),
           np.c_[pds[True].freq, pds[True].power, pds[False].power], fmt="%.17g",
           delimiter=",", header="freq_hz,leahy_common_mean,leahy_per_segment")

# 3. Lomb–Scargle: a 5000 s modulation (PF 0.3, 3000 events over 60 ks) binned at 100 s
mod = save_times("modulation.txt", sinusoid_events(3000, T0, 60000.0, 1 / 5000.0, 0.3))
edges = T0 + np.arange(0, 60000.0 + 1, 100.0)
counts, _ = np.histogram(mod, bins=edges)
tc = 0.5 * (edges[:-1] + edges[1:]) - T0
ls = LombScargle(tc, counts.astype(float), fit_mean=True, center_data=True,
                 normalization="standard")
f_ls = 1 / 60000.0 + np.arange(2000) * (1 / (5 * 60000.0))
p_ls = ls.power(f_ls, method="slow")
p_ls_cy = ls.power(f_ls, method="cython")
# astropy's false_alarm_probability uses the last frequency of its own autofrequency grid
# below maximum_frequency as f_max (not maximum_frequency itself): record it
fmax = f_ls[-1]
fmax_auto = float(ls.autofrequency(maximum_frequency=fmax, return_freq_limits=True)[1])
best = float(p_ls.max())
tests_z = [best, 0.05, 0.1, 0.2]
fap = [float(ls.false_alarm_probability(z, method="baluev", maximum_frequency=fmax))
       for z in tests_z]
level3 = float(ls.false_alarm_level(2.699796063260207e-3, method="baluev",
                                    maximum_frequency=fmax))
np.savetxt(os.path.join(OUT, "ls_astropy.csv"), np.c_[f_ls, p_ls], fmt="%.17g", delimiter=",",
           header="freq_hz,power_standard_slow")
summary = {
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                 "scipy": scipy.__version__, "astropy": astropy.__version__,
                 "stingray": stingray.__version__, "numba": numba.__version__},
    "pulsar": {"n": int(pulsar.size), "f_true": 2.9673, "pf": 0.3,
               "spot_freqs": f_spot, "z2_unbinned_stingray_z_n": zn_unbinned},
    "leahy": {"dt": 1 / 16, "segment_size": 256.0, "m": int(pds[True].m),
              "n": int(pds[True].n), "nphots": float(pds[True].nphots)},
    "ls": {"bin_s": 100.0, "fmax": float(fmax), "fmax_autofrequency": fmax_auto, "best_power": best,
           "baluev_z": tests_z, "baluev_fap": fap, "level_3sigma": level3,
           "max_abs_slow_vs_cython": float(np.max(np.abs(p_ls - p_ls_cy)))},
}
with open(os.path.join(OUT, "oracle.json"), "w") as fh:
    json.dump(summary, fh, indent=1)
print(json.dumps(summary, indent=1))
print("z_n_search peak:", f_z[np.argmax(z_st)], z_st.max(), " EF peak:", ef_st.max())
print("leahy peak:", pds[True].freq[np.argmax(pds[True].power)], pds[True].power.max())
print("files:", sorted(os.listdir(OUT)))
