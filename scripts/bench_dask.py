"""Speed-up of exod.dask.run_archive over one process: a simulated archive (OBS observations of
EXPOSURE s) searched by a LocalCluster of 1 and of 2 worker processes (one thread each), and by
`exod batch --jobs 1` and `--jobs 2` for reference; each fresh (no reuse), REPS times, medians.
Usage:

    EXOD_BIN=target/debug/exod target/py-venv/bin/python scripts/bench_dask.py [OBS] [EXPOSURE] [REPS]

Output committed in scripts/bench_dask.out.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import distributed

import exod
import exod.dask

def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main():
    n_obs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    exposure = float(sys.argv[2]) if len(sys.argv) > 2 else 30000
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    exod_bin = os.environ["EXOD_BIN"]
    work = Path(tempfile.mkdtemp(prefix="exod-dask-bench-"))
    arch = work / "arch"
    exod.simulate_archive(arch, observations=n_obs, exposure=int(exposure))


    results = {}
    for workers in (1, 2):
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = distributed.Client(cluster)
        ts = []
        for k in range(reps):
            out = work / f"dask{workers}_{k}"
            ts.append(timed(lambda: exod.dask.run_archive(arch, out, client)))
            shutil.rmtree(out)
        results[f"dask, {workers} worker process(es)"] = ts
        client.close()
        cluster.close()
    for jobs in (1, 2):
        ts = []
        for k in range(reps):
            out = work / f"batch{jobs}_{k}"
            ts.append(timed(lambda: subprocess.run([exod_bin, "-q", "batch", str(arch), "--out", str(out), "--jobs", str(jobs)], check=True)))
            shutil.rmtree(out)
        results[f"exod batch --jobs {jobs}"] = ts

    print(f"archive: {n_obs} observations of {exposure:.0f} s (exod simulate-archive), {os.cpu_count()} cores, {reps} runs each, medians")
    base = statistics.median(results["dask, 1 worker process(es)"])
    for name, ts in results.items():
        m = statistics.median(ts)
        print(f"{name:32s} {m:7.2f} s  (speed-up over 1 Dask worker {base / m:4.2f}x)  all {' '.join(f'{x:.2f}' for x in ts)}")
    shutil.rmtree(work)


if __name__ == "__main__":  # the worker processes of LocalCluster re-import this module
    main()
