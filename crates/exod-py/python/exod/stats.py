"""The EXOD statistic (paper section 2.4) over numpy arrays, computed by exod's Rust code.

Arguments broadcast against each other as numpy does; ``n`` are counts (non-negative
integers), ``mu`` expectations (finite, > 0).
"""

from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

from . import _exod
from ._exod import ExodError

__all__ = ["log10_b_peak", "log10_b_eclipse", "sigma_equivalent", "thresholds", "amplitude"]


def _pairs(n, mu):
    n = np.asarray(n)
    if n.dtype.kind not in "iu" and not (n.dtype.kind == "f" and np.all(np.mod(n, 1) == 0)):
        raise ExodError(f"n: expected integer counts, got dtype {n.dtype}")
    if np.any(n < 0):
        raise ExodError("n: counts must be >= 0")
    n, mu = np.broadcast_arrays(n.astype(np.uint64), np.asarray(mu, dtype=float))
    return n.shape, np.ascontiguousarray(n.ravel()), np.ascontiguousarray(mu.ravel())


def log10_b_peak(n, mu) -> np.ndarray:
    """log10 of the peak Bayes factor B_peak(N, mu) (paper eq. 9).

    Parameters
    ----------
    n : array_like of int
        Observed counts.
    mu : array_like of float
        Expected counts (> 0).

    Returns
    -------
    numpy.ndarray
        log10 B_peak, broadcast shape of ``n`` and ``mu``.
    """
    shape, n, mu = _pairs(n, mu)
    return _exod.log10_b_peak(n, mu).reshape(shape)


def log10_b_eclipse(n, mu) -> np.ndarray:
    """log10 of the eclipse Bayes factor B_eclipse(N, mu) (paper eq. 10); see
    :func:`log10_b_peak`."""
    shape, n, mu = _pairs(n, mu)
    return _exod.log10_b_eclipse(n, mu).reshape(shape)


def sigma_equivalent(n, mu) -> Tuple[np.ndarray, np.ndarray]:
    """Sigma-equivalents of the peak and of the eclipse Bayes factors of (N, mu).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        (sigma_peak, sigma_eclipse), as ``exod bayes`` prints them.
    """
    shape, n, mu = _pairs(n, mu)
    p, e = _exod.sigma_equivalents(n, mu)
    return p.reshape(shape), e.reshape(shape)


def thresholds(sigma: float = 3.0) -> Dict[str, float]:
    """The log10 B thresholds equivalent to ``sigma`` (default 3): ``{"sigma", "peak",
    "eclipse"}``, as ``exod bayes --thresholds`` prints them."""
    s, p, e = _exod.thresholds(float(sigma))
    return {"sigma": s, "peak": p, "eclipse": e}


def amplitude(n, mu, q=(0.16, 0.5, 0.84), kind: str = "peak") -> np.ndarray:
    """Quantiles of the amplitude of a peak or an eclipse (paper eqs. 11-12).

    Parameters
    ----------
    n, mu : array_like
        Counts and expectations.
    q : float or sequence of float
        Quantiles (0-1). Default (0.16, 0.5, 0.84).
    kind : {"peak", "eclipse"}
        Default "peak".

    Returns
    -------
    numpy.ndarray
        Shape ``q.shape + broadcast(n, mu).shape`` (counts).
    """
    if kind not in ("peak", "eclipse"):
        raise ExodError(f"kind {kind!r}: expected 'peak' or 'eclipse'")
    shape, n, mu = _pairs(n, mu)
    qs = np.atleast_1d(np.asarray(q, dtype=float))
    out = np.stack([_exod.amplitude_quantile(n, mu, float(x), kind == "peak").reshape(shape) for x in qs])
    return out[0] if np.ndim(q) == 0 else out
