"""Archive searches on a Dask cluster: the units of ``exod batch``, one task each.

:func:`run_archive` plans with the batch's own Rust code (discovery, grouping of exposures that
overlap in time into units ``<obsid>_<k>``, sharding; ``OUT/batch.json`` and a first
``OUT/status.ecsv`` written), maps one task per unit on the cluster (each runs the batch's
worker: ``OUT/runs/<unit>/`` through a staging folder, ``digest.json``; a unit whose folder is
complete and made from the same inputs, parameters and exod version is ``reused``), and
rewrites ``OUT/status.ecsv`` after every finished unit, as ``exod batch`` does. The files are
those of ``exod batch`` on the same archive, bit for bit (``SOURCE_DATE_EPOCH`` set for the FITS
``DATE``), except wall-clock fields: the ``seconds`` column and the ``command`` line of
status.ecsv, ``timings_s`` of each run.json, and ``command``/``jobs`` of batch.json.

A worker that dies mid-unit (killed, out of memory) is restarted by its nanny and the
scheduler runs the unit again; the dead process's staging folder is removed by the rerun, and
the unit's row appears once in status.ecsv. Works with any ``distributed.Client``: a
``LocalCluster`` on a laptop, or dask-jobqueue's ``SLURMCluster``/``PBSCluster`` on HPC
(docs/python.md). Worker processes should run one thread each (``threads_per_worker=1``):
each unit's search already uses every core of its process through rayon.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

from . import _argv, _exod

__all__ = ["run_archive", "run_unit"]

PathLike = Union[str, "os.PathLike[str]"]


def run_unit(unit: str, context: str) -> str:
    """Run one unit (JSON from the plan) in this process with the batch's worker; its report
    (JSON). Failures of the unit are in the report (state ``failed`` and the reason)."""
    return _exod.run_unit(unit, context)


def run_archive(
    inputs: Union[PathLike, Sequence[PathLike]],
    out: PathLike,
    client=None,
    *,
    list: Optional[PathLike] = None,
    shard: Optional[Tuple[int, int]] = None,
    plots: bool = False,
    memory_budget: Optional[float] = None,
    build_catalog: bool = False,
    progress: Optional[Callable[[int, int, str], Any]] = None,
    **search: Any,
) -> Dict[str, Any]:
    """Search an archive on a Dask cluster, as ``exod batch`` does.

    Parameters
    ----------
    inputs : path or sequence of paths
        Archive trees (``<obsid>/pps/P<obsid>...``), flat folders of ``P<obsid>*`` files, or
        event lists; with ``list``, the roots its obsids are looked up under.
    out : path
        Output folder (created; finished units found there are reused).
    client : distributed.Client, optional
        The cluster. Default: a ``LocalCluster`` of worker processes with one thread each,
        one per core, closed at the end.
    list : path, optional
        A text file of paths or obsids, one per line (``exod batch --list``). Default None.
    shard : (int, int), optional
        Process only shard I of N (``exod batch --shard I/N``). Default None (all).
    plots : bool
        Draw the PNG plots of every unit. Default False (as ``exod batch``).
    memory_budget : float, optional
        Recorded in batch.json (MB; Dask's own memory limits apply on the workers). Default:
        half the physical memory.
    build_catalog : bool
        Also build the catalogue of the run (``exod catalog OUT --out OUT/catalog``). Default
        False.
    progress : callable, optional
        ``progress(done, total, label)`` after each finished unit. Default None.
    **search
        The search parameters of :func:`exod.detect` (``tbin``, ``band``, ``sigma``, ``rule``,
        ``cell``, ``lc_window``, ``max_frames``, ``full_lightcurves``); defaults those of
        ``exod batch``.

    Returns
    -------
    dict
        ``units`` (number), ``states`` (units per state), ``status`` (path of status.ecsv),
        ``catalog`` (its folder, or None).
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    own = None
    if client is None:
        from distributed import Client, LocalCluster

        own = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True)
        client = Client(own)
    try:
        return _run(inputs, out, client, list, shard, plots, memory_budget, build_catalog, progress, search)
    finally:
        if own is not None:
            client.close()
            own.close()


def _run(inputs, out, client, list_, shard, plots, budget, build_catalog, progress, search):
    from distributed import as_completed

    jobs = max(1, len(client.scheduler_info().get("workers", {})))
    opts = dict(search)
    for k in ("tbin", "band"):
        if isinstance(opts.get(k), (str, int, float)):
            opts[k] = [opts[k]]
    argv = _argv(
        inputs,
        list=list_,
        out=out,
        plots=plots,
        jobs=jobs,
        memory_budget=budget,
        shard=None if shard is None else f"{shard[0]}/{shard[1]}",
        **opts,
    )
    plan = _exod.plan_batch(argv, ["exod.dask.run_archive"] + argv)
    units, labels, ctx = plan.units(), plan.labels(), plan.context()
    tag = uuid.uuid4().hex[:8]
    futures = client.map(
        run_unit, units, context=ctx, key=[f"exod-unit-{l}-{tag}" for l in labels], pure=False
    )
    label_of = {f.key: l for f, l in zip(futures, labels)}
    for k, fut in enumerate(as_completed(futures), 1):
        plan.record(fut.result())
        if progress is not None:
            progress(k, len(units), label_of[fut.key])
    states = plan.finish()
    cat = None
    if build_catalog:
        from . import catalog

        cat = os.path.join(os.fspath(out), "catalog")
        catalog([out], cat, overwrite=True)
    return {
        "units": len(units),
        "states": states,
        "status": os.path.join(os.fspath(out), "status.ecsv" if shard is None else f"status-shard-{shard[0]}-of-{shard[1]}.ecsv"),
        "catalog": cat,
    }
