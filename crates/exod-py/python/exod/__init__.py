"""exod from Python: the EXOD search for faint, fast X-ray transients.

Thin bindings over the Rust library behind the ``exod`` command (one copy of the pipeline):

* :func:`detect` -- the search of one observation (``exod detect``), as an astropy ``QTable``
  with the columns of ``detections.fits``;
* :func:`read_events` -- an event list read and screened as the search reads it;
* :mod:`exod.stats` -- the Bayes factors, sigma-equivalents, thresholds and amplitudes of the
  EXOD statistic (paper section 2.4), vectorised over numpy arrays;
* :func:`z2`, :func:`z2_search`, :func:`period` -- timing (``exod period``);
* :func:`simulate`, :func:`simulate_demo`, :func:`simulate_archive`, :func:`catalog` -- the
  simulator and the catalogue;
* :mod:`exod.dask` -- archive searches on a Dask cluster, the same units and files as
  ``exod batch``.

Every error raises :class:`ExodError` with the library's message (file name, what is wrong,
what was expected). Long calls release the GIL.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

import numpy as np

from . import _exod
from ._exod import ExodError

__all__ = [
    "ExodError",
    "SEARCH_DEFAULTS",
    "detect",
    "read_events",
    "z2",
    "z2_search",
    "period",
    "simulate",
    "simulate_demo",
    "simulate_archive",
    "catalog",
    "stats",
]
__version__ = _exod.__version__

PathLike = Union[str, "os.PathLike[str]"]

#: The defaults of the search parameters, those of ``exod detect`` (read from the Rust side):
#: tbin [5, 50, 200] s, band [] and cell None (the instrument's: EPIC 0.2-2, 2-12, 0.2-12 keV
#: and 20 arcsec; see docs/missions.md), sigma 3, rule "exod2", lc_window 100 frames,
#: max_frames 2e6, full_lightcurves False.
SEARCH_DEFAULTS: Dict[str, Any] = json.loads(_exod.search_defaults())


def _search_json(opts: Dict[str, Any]) -> str:
    given = {}
    for k, v in opts.items():
        if v is None:
            continue
        if k in ("tbin", "band") and (isinstance(v, (str, int, float))):
            v = [v]
        if k == "tbin":
            v = [float(x) for x in v]
        if k == "band":
            v = [str(x) for x in v]
        given[k] = v
    return json.dumps(given)


def _argv(positional: Iterable[Any] = (), **options: Any) -> List[str]:
    """Command-line options from keywords: ``exposure=5000`` -> ``--exposure 5000``, ``True``
    -> a flag, ``False``/``None`` -> omitted, lists joined by commas."""
    argv = [os.fspath(p) if isinstance(p, os.PathLike) else str(p) for p in positional]
    for k, v in options.items():
        if v is None or v is False:
            continue
        flag = "--" + k.replace("_", "-")
        if v is True:
            argv.append(flag)
        elif isinstance(v, (list, tuple)):
            argv += [flag, ",".join(str(x) for x in v)]
        else:
            argv += [flag, os.fspath(v) if isinstance(v, os.PathLike) else str(v)]
    return argv


def _table(columns, name: str):
    """An astropy QTable from (name, unit, description, values) columns; a column whose unit
    astropy knows becomes a Quantity, the others keep their unit string."""
    from astropy import units as u
    from astropy.table import Column, QTable

    t = QTable(meta={"EXTNAME": name})
    for cname, unit, desc, values in columns:
        if isinstance(values, list):
            values = np.array(values, dtype=str)
        q = u.Unit(unit, format="fits", parse_strict="silent") if unit else None
        if q is not None and not isinstance(q, u.UnrecognizedUnit):
            t[cname] = u.Quantity(values, q, dtype=values.dtype, copy=False)
            t[cname].info.description = desc
        else:
            t[cname] = Column(values, unit=unit or None, description=desc)
    return t


def detect(
    paths: Union[PathLike, Sequence[PathLike]],
    srclist: Optional[PathLike] = None,
    *,
    tbin: Optional[Sequence[float]] = None,
    band: Optional[Sequence[str]] = None,
    sigma: Optional[float] = None,
    rule: Optional[str] = None,
    cell: Optional[float] = None,
    lc_window: Optional[int] = None,
    max_frames: Optional[int] = None,
    full_lightcurves: Optional[bool] = None,
    obs_label: Optional[str] = None,
    out: Optional[PathLike] = None,
    overwrite: bool = False,
    plots: bool = True,
    lightcurves: bool = False,
    progress: Optional[Callable[[int, int, str], Any]] = None,
):
    """Search one observation's event lists for transients (``exod detect``).

    Parameters
    ----------
    paths : path or sequence of paths
        Event lists of one observation (pn, MOS1, MOS2; FITS, gzip-compressed or not), or a PPS
        folder (its ``P<obsid>...PIEVLI/MIEVLI`` lists and ``OBSMLI`` source list are used).
    srclist : path, optional
        Source list (EPIC OBSMLI FITS, or CSV with ra/dec) used to mask constant sources.
    tbin : sequence of float, optional
        Time bins (s). Default ``[5, 50, 200]``.
    band : sequence of str, optional
        Energy bands (keV) ``"LO-HI"``. Default: the instrument's (EPIC
        ``["0.2-2", "2-12", "0.2-12"]``, ACIS ``["0.5-2", "2-7", "0.5-7"]`` ...).
    sigma : float, optional
        Detection threshold (sigma-equivalent). Default 3.
    rule : {"exod2", "exact"}, optional
        Decision rule: EXOD2's calibrated counts or the bare Bayes factor. Default ``"exod2"``.
    cell : float, optional
        Cell size (arcsec). Default: the instrument's (EPIC 20, ACIS 2, XRT 24, NuSTAR 60,
        eROSITA 20).
    lc_window : int, optional
        Frames kept on each side of a detection's flagged frames in its light curve. Default 100.
    max_frames : int, optional
        Largest number of frames of one run. Default 2 000 000.
    full_lightcurves : bool, optional
        Light curves over the whole observation. Default False.
    obs_label : str, optional
        DETID prefix. Default: the OBS_ID of the first list.
    out : path, optional
        Also write the files of ``exod detect --out`` there (through a staging folder).
        Default: nothing written.
    overwrite : bool
        Replace a non-empty ``out``. Default False.
    plots : bool
        Draw the PNG plots into ``out``. Default True (as ``exod detect``).
    lightcurves : bool
        Also return the light curves (the ``LIGHTCURVES`` index table of lightcurves.fits:
        DET, TIME, N, MU, BTI, LIVE). Default False.
    progress : callable, optional
        ``progress(done, total, message)``, called at each stage (reading, binning,
        searching, writing, done) from the calling thread; e.g. a tqdm bar's update in Jupyter.
        Default None.

    Returns
    -------
    astropy.table.QTable
        One row per detection, the columns of ``detections.fits`` in the same order (units as
        Quantities, descriptions in ``info.description``). With ``lightcurves=True``, a tuple
        ``(detections, lightcurves)``.

    Raises
    ------
    ExodError
        Unreadable or refused input, bad parameters, output folder errors.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    search = _search_json(
        dict(tbin=tbin, band=band, sigma=sigma, rule=rule, cell=cell, lc_window=lc_window,
             max_frames=max_frames, full_lightcurves=full_lightcurves)
    )
    r = _exod.detect(
        [os.fspath(p) for p in paths],
        None if srclist is None else os.fspath(srclist),
        search,
        obs_label,
        None if out is None else os.fspath(out),
        overwrite,
        plots,
        lightcurves,
        progress,
    )
    dets = _table(r["detections"], "DETECTIONS")
    if lightcurves:
        return dets, _table(r["lightcurves"], "LIGHTCURVES")
    return dets


def read_events(path: PathLike) -> Dict[str, Any]:
    """Read and screen one event list as the search does.

    Parameters
    ----------
    path : path
        An EPIC event list (FITS, gzip-compressed or not).

    Returns
    -------
    dict
        ``events``: astropy Table of the screened events (TIME s, X/Y sky pixels, PI eV,
        CCDNR); ``header``: header facts (mission, instrument, obs_id, tstart, ...);
        ``screening``: events before and after each criterion; ``gti``: ``{ccd: (start,
        stop)}`` arrays; ``warnings``: what could not be applied.
    """
    from astropy.table import Table

    r = _exod.read_events(os.fspath(path))
    ev = Table({k: r[k] for k in ("TIME", "X", "Y", "PI", "CCDNR")})
    ev["TIME"].unit, ev["PI"].unit = "s", "eV"
    return {
        "events": ev,
        "header": json.loads(r["header"]),
        "screening": json.loads(r["screening"]),
        "gti": r["gti"],
        "warnings": r["warnings"],
        "energy_source": r["energy_source"],
        "gti_source": r["gti_source"],
    }


def z2(times, freqs, nharm: int = 2) -> np.ndarray:
    """Z²ₙ of photon times at the given frequencies (direct sums, phases from ``times[0]``).

    Parameters
    ----------
    times : array_like of float
        Photon times (s).
    freqs : array_like of float
        Trial frequencies (Hz).
    nharm : int
        Harmonics n. Default 2.

    Returns
    -------
    numpy.ndarray
        Z²ₙ at each frequency (shape of ``freqs``).
    """
    f = np.asarray(freqs, dtype=float)
    t = np.ascontiguousarray(times, dtype=float).ravel()
    return _exod.z2_at(t, np.ascontiguousarray(f.ravel()), int(nharm)).reshape(f.shape)


def z2_search(times, fmin: float, fmax: float, df: float, nharm: int = 2):
    """Exact Z²ₙ periodogram on the grid ``fmin, fmin + df, ... <= fmax`` (NUFFT, 1e-12).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Frequencies (Hz) and Z²ₙ powers.
    """
    t = np.ascontiguousarray(times, dtype=float).ravel()
    return _exod.z2_search(t, float(fmin), float(fmax), float(df), int(nharm))


def period(files: Union[PathLike, Sequence[PathLike]], **options: Any) -> Dict[str, Any]:
    """The periodicity search of ``exod period`` (same options and defaults).

    Parameters
    ----------
    files : path or sequence of paths
        Event lists of one observation (with a target: ``ra=``, ``dec=``, ``detection=`` +
        ``detections=``, ``source=`` + ``catalog=``) or one event file with TIME and GTI.
    **options
        The options of ``exod period`` as keywords (``method="z2"``, ``nharm=2``,
        ``fmin=...``, ``fmax=...``, ``df=...``, ``barycenter=True``, ...).

    Returns
    -------
    dict
        What ``period.json`` holds: best period and error, false-alarm probabilities, 3/5 sigma
        levels, pulsed fraction, folded profile, input facts.
    """
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    return json.loads(_exod.period(_argv(files, **options)))


def simulate(out: PathLike, seed: int = 1, **options: Any) -> Dict[str, Any]:
    """Simulate an XMM-Newton EPIC observation (``exod simulate``, same options and defaults).

    Parameters
    ----------
    out : path
        Output folder.
    seed : int
        Random seed (the same seed gives byte-identical files). Default 1.
    **options
        ``exposure=50000``, ``bursts=0``, ``burst_counts=50``, ``flares="mild"``,
        ``periodic="PERIOD:PF:RATE:sine"``, ``overwrite=False``, ... (see ``exod simulate --help``).

    Returns
    -------
    dict
        ``event_files``, ``n_events``, ``srclist``, ``truth`` (paths).
    """
    return _exod.simulate(_argv(out=out, seed=seed, **options))


def simulate_demo(out: PathLike, overwrite: bool = False) -> Dict[str, Any]:
    """Simulate the observation of ``exod demo`` (50 ks, seed 2026, six bursts, an eclipse,
    mild flares) into ``out``; returns the files as :func:`simulate` does."""
    return _exod.simulate_demo(os.fspath(out), overwrite)


def simulate_archive(out: PathLike, **options: Any) -> None:
    """Simulate an archive (``exod simulate-archive``): ``observations=50``, ``seed=1``,
    ``exposure=5000``, ``flat=False``, ``overwrite=False``."""
    _exod.simulate_archive(_argv(out=out, **options))


def catalog(inputs: Union[PathLike, Sequence[PathLike]], out: PathLike, **options: Any) -> None:
    """Build the catalogue of batch outputs (``exod catalog``, same options and defaults)."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    _exod.catalog(_argv(inputs, out=out, **options))


from . import stats  # noqa: E402  (uses _exod)
