"""exod.stats against `exod bayes` (the same numbers through the binding, broadcast over arrays),
and exod.z2 / z2_search against Z²ₙ computed here with numpy (an independent oracle)."""

import json

import numpy as np
import pytest

import exod
from conftest import run_cli

PAIRS = [(0, 0.5), (3, 0.2), (12, 2.5), (40, 10.0), (1, 30.0), (250, 180.0)]


def bayes(exod_bin, n, mu):
    return json.loads(run_cli(exod_bin, "bayes", "--n", n, "--mu", repr(mu), "--json"))


def test_bayes_factors_and_sigmas_equal_exod_bayes(exod_bin):
    n = np.array([p[0] for p in PAIRS])
    mu = np.array([p[1] for p in PAIRS])
    bp, be = exod.stats.log10_b_peak(n, mu), exod.stats.log10_b_eclipse(n, mu)
    sp, se = exod.stats.sigma_equivalent(n, mu)
    amp = exod.stats.amplitude(n, mu)
    for k, (ni, mi) in enumerate(PAIRS):
        ref = bayes(exod_bin, ni, mi)
        assert bp[k] == ref["log10_b_peak"] and be[k] == ref["log10_b_eclipse"]
        assert sp[k] == ref["sigma_peak"] and se[k] == ref["sigma_eclipse"]
        if ref["kind"] == "peak":
            assert list(amp[:, k]) == [ref["amplitude"][q] for q in ("p16", "p50", "p84")]


def test_thresholds_equal_exod_bayes(exod_bin):
    for s in (3.0, 5.0):
        ref = json.loads(run_cli(exod_bin, "bayes", "--thresholds", "--sigma", s, "--json"))
        assert exod.stats.thresholds(s) == ref


def test_broadcasting_and_bad_input():
    mu = np.array([[0.5], [2.0]])
    out = exod.stats.log10_b_peak(np.arange(4), mu)
    assert out.shape == (2, 4)
    assert out[1, 3] == exod.stats.log10_b_peak(3, 2.0)
    # more counts above the expectation: a larger peak factor
    assert np.all(np.diff(out, axis=1) > 0)
    with pytest.raises(exod.ExodError, match=r"mu\[1\] = -1"):
        exod.stats.log10_b_peak([1, 2], [1.0, -1.0])
    with pytest.raises(exod.ExodError, match="counts must be >= 0"):
        exod.stats.log10_b_peak([-1], [1.0])


def z2_numpy(t, f, nharm):
    ph = 2 * np.pi * np.outer(f, t - t[0])
    return sum(2 / len(t) * np.abs(np.exp(1j * k * ph).sum(axis=1)) ** 2 for k in range(1, nharm + 1))


def test_z2_equals_numpy_and_finds_the_injected_period():
    rng = np.random.default_rng(7)
    # 4000 photons, 30 % pulsed at 0.0125 Hz (80 s) over 20 ks
    t = np.sort(rng.uniform(0, 20000, 4000))
    keep = rng.uniform(size=t.size) < 0.7 + 0.3 * np.cos(2 * np.pi * t / 80.0)
    t = t[keep]
    f = np.linspace(0.011, 0.014, 301)
    z = exod.z2(t, f, nharm=2)
    ref = z2_numpy(t, f, 2)
    assert np.allclose(z, ref, rtol=1e-9, atol=1e-9)
    assert abs(f[np.argmax(z)] - 0.0125) < 2e-5
    fs, zs = exod.z2_search(t, 0.011, 0.014, 1e-5, nharm=2)
    assert np.allclose(zs, z2_numpy(t, fs, 2), rtol=1e-8, atol=1e-8)
    with pytest.raises(exod.ExodError, match="nharm = 0"):
        exod.z2(t, f, nharm=0)


def test_period_equals_exod_period(exod_bin, demo, tmp_path):
    src = exod.detect(demo["event_files"], demo["srclist"])[0]
    opts = dict(ra=float(src["RA"].value), dec=float(src["DEC"].value), fmin=1e-3, fmax=0.05)
    r = exod.period(demo["event_files"], **opts)
    ref = json.loads(run_cli(exod_bin, "period", *demo["event_files"], "--ra", repr(opts["ra"]),
                             "--dec", repr(opts["dec"]), "--fmin", "0.001", "--fmax", "0.05", "--json"))
    assert r == ref
    assert r["method"] == "z2" and r["nharm"] == 2 and r["n_events"] > 0
