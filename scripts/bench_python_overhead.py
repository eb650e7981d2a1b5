"""Python-vs-CLI overhead: the same `exod detect` work (default parameters, outputs written
without plots) on the demo observation (50 ks) and on a 150 ks simulated one through `exod.detect(..., out=...)` in a running
interpreter and through the `exod detect` binary (a process per run), alternated, REPS times
each; median and minimum wall times. Both from the same cargo profile (EXOD_BIN and the
extension module in the environment). Usage:

    EXOD_BIN=target/debug/exod target/py-venv/bin/python scripts/bench_python_overhead.py [REPS]

Output committed in scripts/bench_python_overhead.out.
"""

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import exod

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 9
exod_bin = os.environ["EXOD_BIN"]
work = Path(tempfile.mkdtemp(prefix="exod-overhead-"))
print(f"exod {exod.__version__}, Python {platform.python_version()}, {os.cpu_count()} cores, {reps} repetitions each (after one warm-up), alternated")


def bench(name, sim):
    files = [str(p) for p in sim["event_files"]]
    src = str(sim["srclist"])
    py_t, cli_t = [], []
    for k in range(reps + 1):
        out_py, out_cli = work / f"py{k}", work / f"cli{k}"
        t = time.perf_counter()
        table = exod.detect(files, src, out=out_py, plots=False)
        tp = time.perf_counter() - t
        t = time.perf_counter()
        subprocess.run([exod_bin, "-q", "detect", *files, "--srclist", src, "--no-plots", "--out", str(out_cli)],
                       check=True, stdout=subprocess.DEVNULL)
        tc = time.perf_counter() - t
        shutil.rmtree(out_py)
        shutil.rmtree(out_cli)
        if k == 0:
            continue  # warm-up: page cache, first import of astropy.units
        py_t.append(tp)
        cli_t.append(tc)
    med_py, med_cli = statistics.median(py_t), statistics.median(cli_t)
    print(f"{name}: {sum(sim['n_events'])} events, {len(table)} detections")
    print(f"  exod.detect(out=...)   median {med_py:.3f} s  min {min(py_t):.3f} s  all {' '.join(f'{x:.3f}' for x in py_t)}")
    print(f"  exod detect (process)  median {med_cli:.3f} s  min {min(cli_t):.3f} s  all {' '.join(f'{x:.3f}' for x in cli_t)}")
    print(f"  Python over CLI: median {100 * (med_py / med_cli - 1):+.1f} %, min {100 * (min(py_t) / min(cli_t) - 1):+.1f} %")


bench("demo observation (50 ks)", exod.simulate_demo(work / "demo"))
bench("150 ks observation (seed 5, 6 bursts)", exod.simulate(work / "long", seed=5, exposure=150000, bursts=6))
shutil.rmtree(work)
