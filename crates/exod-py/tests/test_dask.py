"""exod.dask.run_archive on a real LocalCluster of 2 worker processes against `exod batch` on a
20-observation simulated archive, with one worker process killed while it writes a unit
(os._exit from inside it, once, marked by a file): the nanny restarts it, the scheduler runs the
unit again, and the outputs are complete, without staging leftovers or duplicate rows, and equal
to the batch's file for file (only wall-clock fields excluded, listed in compare_runs)."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

import exod
import exod.dask
from conftest import run_cli

distributed = pytest.importorskip("distributed")

EPOCH = "1700000000"


@pytest.fixture(scope="module")
def archive(exod_bin, tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    run_cli(exod_bin, "simulate-archive", "--out", root / "arch", "--observations", 20, "--exposure", 10000)
    run_cli(exod_bin, "batch", root / "arch", "--out", root / "cli", "--jobs", 2, env={"SOURCE_DATE_EPOCH": EPOCH})
    return root


@pytest.fixture(scope="module")
def client():
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH  # the worker processes inherit it
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def kill_me_while_staging(runs: str, marker: str):
    """Run on each worker: a thread that os._exit(1)s this process as soon as it has a
    staging folder under runs/ (a unit being written), once for the whole cluster."""
    import threading
    import time

    pid = os.getpid()

    def watch():
        while True:
            try:
                names = os.listdir(runs)
            except FileNotFoundError:
                names = []
            if any(n.endswith(f".staging-{pid}") for n in names):
                try:
                    fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except FileExistsError:
                    return
                os.write(fd, f"{pid} {[n for n in names if 'staging' in n]}".encode())
                os.close(fd)
                os._exit(1)
            time.sleep(0.001)

    threading.Thread(target=watch, daemon=True).start()
    return pid


def column(t, name):
    """A status column as a list, empty strings for masked (empty) cells."""
    c = t[name]
    masked = getattr(c, "mask", np.zeros(len(c), bool))
    return ["" if masked[i] else c[i] for i in range(len(c))]


def files_under(d: Path):
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())


def normalised_run_json(p: Path, out: Path):
    """run.json without its wall-clock timings (timings_s, runs[].seconds), the output paths
    relative to OUT."""
    v = json.loads(p.read_text())
    del v["timings_s"]
    for r in v["runs"]:
        del r["seconds"]
    v["outputs"] = [str(Path(o).relative_to(out)) for o in v["outputs"]]
    return v


def compare_runs(py: Path, cli: Path):
    assert files_under(py / "runs") == files_under(cli / "runs")
    for rel in files_under(cli / "runs"):
        a, b = py / "runs" / rel, cli / "runs" / rel
        if rel.endswith("run.json"):
            assert normalised_run_json(a, py) == normalised_run_json(b, cli), rel
        else:
            assert a.read_bytes() == b.read_bytes(), rel
    # status.ecsv: equal but for the command line and the wall times (column `seconds`)
    la, lb = (p.read_text().splitlines() for p in (py / "status.ecsv", cli / "status.ecsv"))
    assert len(la) == len(lb)
    ta, tb = Table.read(py / "status.ecsv"), Table.read(cli / "status.ecsv")
    assert ta.colnames == tb.colnames
    for name in ta.colnames:
        if name != "seconds":
            assert column(ta, name) == column(tb, name), name
    differing = [x for x, y in zip(la, lb) if x != y and not x.startswith("#")]
    assert len(differing) <= len(ta)  # only data rows (seconds) may differ besides the header
    meta_a = [x for x in la if x.startswith("#") and "command" not in x]
    meta_b = [x for x in lb if x.startswith("#") and "command" not in x]
    assert meta_a == meta_b


def test_dask_run_survives_a_killed_worker_and_equals_exod_batch(archive, client):
    out = archive / "dask"
    marker = archive / "killed.marker"
    pids_before = set(client.run(kill_me_while_staging, str(out / "runs"), str(marker)).values())
    seen = []
    r = exod.dask.run_archive(archive / "arch", out, client, progress=lambda k, n, l: seen.append(l))
    assert marker.exists(), "no worker was killed: the test did not test the retry"
    killed_pid = int(marker.read_text().split()[0])
    assert killed_pid in pids_before
    # the killed worker was restarted by its nanny
    client.wait_for_workers(2, timeout=60)
    assert killed_pid not in set(client.run(os.getpid).values())
    # every unit once, complete; no staging folder left anywhere
    assert r["units"] == len(seen) == len(set(seen))
    assert not [p for p in out.rglob("*") if ".staging-" in p.name]
    st = Table.read(out / "status.ecsv")
    keys = list(zip(column(st, "obsid"), column(st, "unit"), column(st, "exposure")))
    assert len(keys) == len(set(keys))
    assert "pending" not in set(column(st, "state"))
    assert r["states"]["done"] >= 16 and r["states"].get("unsupported", 0) == 1
    compare_runs(out, archive / "cli")
    # batch.json: the same plan (only the command, the jobs and the memory budget may differ)
    ja, jb = (json.loads((d / "batch.json").read_text()) for d in (out, archive / "cli"))
    for k in ("command", "jobs", "inputs", "memory_budget_mb"):
        ja.pop(k), jb.pop(k)
    ja["memory_estimate"].pop("units_mb"), jb["memory_estimate"].pop("units_mb")
    assert ja == jb


def test_a_rerun_reuses_every_finished_unit(archive, client):
    out = archive / "dask"
    if not (out / "status.ecsv").exists():
        pytest.skip("needs the first run")
    before = {p: p.stat().st_mtime_ns for p in (out / "runs").rglob("detections.fits")}
    r = exod.dask.run_archive(archive / "arch", out, client, build_catalog=True)
    assert r["states"].get("done", 0) == 0 and r["states"]["reused"] >= 16
    assert {p: p.stat().st_mtime_ns for p in (out / "runs").rglob("detections.fits")} == before
    st = Table.read(out / "status.ecsv")
    unit_rows = [s for s, u in zip(column(st, "state"), column(st, "unit")) if u]
    assert set(unit_rows) <= {"reused", "failed", "unsupported"}
    cat = Path(r["catalog"])
    assert (cat / "exod_sources.fits").is_file() and (cat / "catalog.json").is_file()
