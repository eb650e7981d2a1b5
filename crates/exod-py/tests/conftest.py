"""Fixtures of the Python tests: the exod binary to compare with (EXOD_BIN, set by
scripts/test-python.sh), the demo observation simulated once, and the CLI's search of it."""

import os
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def exod_bin() -> str:
    b = os.environ.get("EXOD_BIN")
    if not b or not Path(b).is_file():
        pytest.fail("EXOD_BIN must name the exod binary (scripts/test-python.sh sets it)")
    return b


def run_cli(exod_bin, *args, env=None):
    e = dict(os.environ, **(env or {}))
    r = subprocess.run([exod_bin, "-q", *map(str, args)], capture_output=True, text=True, env=e)
    assert r.returncode == 0, f"exod {' '.join(map(str, args))}: {r.stderr}"
    return r.stdout


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The demo observation (exod demo's seed and injections), simulated through the binding."""
    import exod

    return exod.simulate_demo(tmp_path_factory.mktemp("demo") / "simulated")


@pytest.fixture(scope="session")
def cli_detect(exod_bin, demo, tmp_path_factory):
    """`exod detect` of the demo observation: its output folder."""
    out = tmp_path_factory.mktemp("cli") / "detect"
    run_cli(exod_bin, "detect", *demo["event_files"], "--srclist", demo["srclist"], "--no-plots", "--out", out)
    return out
