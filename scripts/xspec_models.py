"""Sherpa user models implementing the XSPEC model definitions of /work/wt/SPECTRAL.md (issue #13).

These are independent Python implementations (double precision) of

* ``powerlaw``  exact bin integral norm*(hi^(1-G) - lo^(1-G))/(1-G)  (|1-G| < 1e-10: norm*ln(hi/lo)), evaluated
                as norm*lo^(1-G)*expm1((1-G)*log1p((hi-lo)/lo))/(1-G) (no cancellation)
* ``bbody``     XSPEC xsblbd: trapezoid on the bin edges of 8.0525 norm E^2 / (kT^4 (exp(E/kT) - 1))
                (E*kT/kT^4 where E/kT <= 1e-4; the whole bin is 0 when an edge has E/kT > 60, as XSPEC does)
* ``bbodyrad``  XSPEC xsbbrd: the same with 1.0344e-3 norm E^2 / (exp(E/kT) - 1)
* ``bremss``    XSPEC xsbrms -> xsbrmv (He/H = 0.085): trapezoid on the bin edges of
                norm (G(E,T,1) + 4*0.085*G(E,T,2)) T^-1/2 exp(-E/T) / E, 0 unless 0 < E < 50 T,
                G = XSPEC's ``gaunt(E, T, Z)`` (Kellogg, Baldwin & Koch 1975 polynomial fit to
                Karzas & Latter 1961 with the Molnar/Hughes coefficient fixes; Kurucz table for
                Z^2*0.01358/T > 0.1), re-implemented here from the published Fortran algorithm.
* ``gaussian``  exact erf bin integral norm*[Phi((hi-E_L)/s) - Phi((lo-E_L)/s)]; s = 0: norm in the bin
                with lo <= E_L < hi
* ``tbabs``/``phabs``/``wabs``  exp(-nH * sigma(E_c)), E_c = (lo+hi)/2, sigma = numpy.interp on the
                tables testdata/spectral/absorption/xsect_<model>_<abund>.fits.gz (SIGMA in 1e-22 cm^2)

Parameter names, defaults and hard limits are XSPEC's (as tabulated in SPECTRAL.md).
Use ``make(expr_components)`` or the classes directly; combine with Sherpa's model arithmetic.
"""

import math
import os

import numpy as np
from sherpa.models.model import ArithmeticModel, modelCacher1d
from sherpa.models.parameter import Parameter

HERE = os.path.dirname(os.path.abspath(__file__))
ABS_DIR = os.path.join(HERE, "..", "testdata", "spectral", "absorption")

# ---------------------------------------------------------------------------------------------
# XSPEC gaunt(E, Q, Z) — Kellogg, Baldwin & Koch (1975) fit to Karzas & Latter (1961).
# Coefficients A(n, m, k) (n = 1..6 energy band of u = E/kT, m = 1..7 gamma^2 band, k = 1..3
# polynomial order), as in the XSPEC routine (including the Molnar/Hughes corrections of the 39th
# entries). Stored here Fortran column-major as in the DATA statements: A(n,m,k) = Ak[(m-1)*6+(n-1)].
# ---------------------------------------------------------------------------------------------
_GAM2 = np.array([0.7783, 1.2217, 2.6234, 4.3766, 20.0, 70.0])
_GAM3 = np.array([1.0, 1.7783, 3.0, 5.6234, 10.0, 30.0])
_A1 = [1.001, 1.004, 1.017, 1.036, 1.056, 1.121, 1.001, 1.005,
       1.017, 1.046, 1.073, 1.115, .9991, 1.005, 1.03, 1.055, 1.102,
       1.176, .997, 1.005, 1.035, 1.069, 1.134, 1.186, .9962, 1.004,
       1.042, 1.1, 1.193, 1.306, .9874, .9962, 1.047, 1.156, 1.327,
       1.485, .9681, .9755, 1.020, 1.208, 1.525, 1.965]
_A2 = [.3029, .1616, .04757, .013, .0049, -.0032, .4905, .2155,
       .08357, .02041, .00739, .00029, .654, .2833, .08057, .03257,
       .00759, -.00151, 1.029, .391, .1266, .05149, .01274, .00324,
       .9569, .4891, .1764, .05914, .01407, -.00024, 1.236, .7579,
       .326, .1077, .028, .00548, 1.327, 1.017, .6017, .205, .0605,
       .00187]
_A3 = [-1.323, -.254, -.01571, -.001, -.000184, .00008, -4.762,
       -.3386, -.03571, -.001786, -.0003, .00001, -6.349, -.4206,
       -.02571, -.003429, -.000234, .00005, -13.231, -.59, -.04571,
       -.005714, -.000445, -.00004, -7.672, -.6852, -.0643,
       -.005857, -.00042, .00004, -7.143, -.9947, -.12, -.01007,
       -.000851, -.00004, -3.175, -1.116, -.2270, -.01821, -.001729,
       .00023]
# A[n-1, m-1, k-1]
_A = np.stack([np.array(a).reshape(7, 6).T for a in (_A1, _A2, _A3)], axis=2)

# Kurucz low-temperature table YA(7, 12) (Fortran column-major DATA order), YA[j-1, k-1].
_YA = np.array([
    5.40, 5.25, 5.00, 4.69, 4.48, 4.16, 3.85, 4.77, 4.63,
    4.40, 4.13, 3.87, 3.52, 3.27, 4.15, 4.02, 3.80, 3.57, 3.27,
    2.98, 2.70, 3.54, 3.41, 3.22, 2.97, 2.70, 2.45, 2.20, 2.94,
    2.81, 2.65, 2.44, 2.21, 2.01, 1.81, 2.41, 2.32, 2.19, 2.02,
    1.84, 1.67, 1.50, 1.95, 1.90, 1.80, 1.68, 1.52, 1.41, 1.30,
    1.55, 1.56, 1.51, 1.42, 1.33, 1.25, 1.17, 1.17, 1.30, 1.32,
    1.30, 1.20, 1.15, 1.11, 0.86, 1.00, 1.15, 1.18, 1.15, 1.11,
    1.08, 0.59, 0.76, 0.97, 1.09, 1.13, 1.10, 1.08, 0.38, 0.53,
    0.76, 0.96, 1.08, 1.09, 1.09]).reshape(12, 7).T


def _kurucz(u, gam):
    """Bilinear interpolation in log10(gamma^2), log10(u) of the Kurucz table (scalar)."""
    lg = math.log10(gam)
    lu = math.log10(u)
    j = int(2.0 * lg + 3.0)          # Fortran INT truncates toward zero
    k = int(2.0 * lu + 9.0)
    if k < 1:
        k = 1
    if j >= 7 or j < 1 or k >= 12:
        return 0.0
    t = (lg - (j - 3.0) / 2.0) / 0.5
    uu = (lu - (k - 9.0) / 2.0) / 0.5
    y = _YA
    return ((1 - t) * (1 - uu) * y[j - 1, k - 1] + t * (1 - uu) * y[j, k - 1]
            + t * uu * y[j, k] + (1 - t) * uu * y[j - 1, k])


def _born(u):
    """Born approximation 0.5513 exp(u/2) K0(u/2) with the Abramowitz & Stegun K0 polynomials."""
    u1 = 0.5 * u
    t = u1 / 3.75
    u12 = 0.5 * u1
    if u12 <= 1.0:
        t2 = t * t
        t4 = t2 * t2
        t8 = t4 * t4
        ai = (1.0 + 3.5156229 * t2 + 3.089942 * t4 + 1.2067492 * t2 * t4
              + 0.2659732 * t8 + 0.0360768 * t8 * t2 + 0.0045813 * t8 * t4)
        u122 = u12 * u12
        ak = (-math.log(u12) * ai - 0.57721566
              + u122 * (0.4227842 + u122 * (0.23069756 + u122 * (0.0348859 + u122 * (
                  0.00262698 + u122 * (0.0001075 + u122 * 0.0000074))))))
    else:
        w = -1.0 / u12
        ak = (1.25331414 + w * (0.07832358 + w * (0.02189568 + w * (0.01062446 + w * (
            0.00587872 + w * (0.0025154 + w * 0.00053208))))))
        ak = ak / (math.exp(u1) * math.sqrt(u1))
    return 0.5513 * math.exp(u1) * ak


def gaunt(e, q, z):
    """XSPEC gaunt(E, Q, Z): free-free Gaunt factor at energy e (keV), temperature q (keV), charge z."""
    if q == 0.0 or e > 50.0 * q or e == 0.0:
        return 0.0
    u = e / q
    gam = z * z * 0.01358 / q
    gam1 = min(gam * 1000.0, 100.0)
    if gam > 0.1:
        return _kurucz(u, gam)
    born = _born(u)
    if gam1 < 1.0:
        return born
    if u < 0.003:
        u = 0.003
    u2 = u * u
    if u <= 0.03:
        n = 1
    elif u <= 0.30:
        n = 2
    elif u <= 1.0:
        n = 3
    elif u <= 5.0:
        n = 4
    elif u <= 15.0:
        n = 5
    else:
        n = 6
    # NB: XSPEC's threshold is 1.773 here (GAM3(2) is 1.7783); kept as in XSPEC.
    if gam1 <= 1.773:
        m = 1
    elif gam1 <= 3.0:
        m = 2
    elif gam1 <= 5.6234:
        m = 3
    elif gam1 <= 10.0:
        m = 4
    elif gam1 <= 30.0:
        m = 5
    else:
        m = 6
    a = _A
    g1 = (a[n - 1, m - 1, 0] + a[n - 1, m - 1, 1] * u + a[n - 1, m - 1, 2] * u2) * born
    g2 = (a[n - 1, m, 0] + a[n - 1, m, 1] * u + a[n - 1, m, 2] * u2) * born
    p = (gam1 - _GAM3[m - 1]) / _GAM2[m - 1]
    return (1.0 - p) * g1 + p * g2


HE_H = 0.085


def bremss_density(e, t):
    """xsbrmv photon density (per keV, norm = 1) at energy e for temperature t, He/H = 0.085."""
    if not (t > 0.0 and 0.0 < e < 50.0 * t):
        return 0.0
    return (gaunt(e, t, 1.0) + 4.0 * HE_H * gaunt(e, t, 2.0)) / math.sqrt(t) * math.exp(-e / t) / e


def _edges(lo, hi):
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    return lo, hi


def _trapezoid(f_lo, f_hi, lo, hi):
    return 0.5 * (f_lo + f_hi) * (hi - lo)


# ---------------------------------------------------------------------------------------------
# Sherpa model classes
# ---------------------------------------------------------------------------------------------
def _norm(name):
    return Parameter(name, "norm", 1.0, min=0.0, max=1e24, hard_min=0.0, hard_max=1e24)


class XSPowerLaw(ArithmeticModel):
    """XSPEC powerlaw, exact integral over each bin."""

    def __init__(self, name="powerlaw"):
        self.PhoIndex = Parameter(name, "PhoIndex", 1.0, min=-3.0, max=10.0, hard_min=-3.0, hard_max=10.0)
        self.norm = _norm(name)
        ArithmeticModel.__init__(self, name, (self.PhoIndex, self.norm))

    @modelCacher1d
    def calc(self, p, lo, hi=None, *args, **kwargs):
        lo, hi = _edges(lo, hi)
        g, k = p
        a = 1.0 - g
        # ln(hi/lo) as log1p(width/lo) and hi^a - lo^a = lo^a expm1(a ln(hi/lo)): exact integral without
        # cancellation in narrow bins or near PhoIndex = 1 (same value as (hi^a - lo^a)/a to ~1e-14)
        ln_ratio = np.log1p((hi - lo) / lo)
        if abs(a) < 1e-10:
            return k * ln_ratio
        return k * lo ** a * np.expm1(a * ln_ratio) / a


def _bb_shape(e, kt, const, form):
    """XSPEC bbody / bbodyrad photon density (per keV, norm = 1) at the edges e (0 where E/kT > 60)."""
    x = e / kt
    out = np.zeros_like(e)
    small = x <= 1e-4
    mid = (~small) & (x <= 60.0)
    # XSPEC: dble(exp(x)) - 1.D0 (not expm1)
    if form == "bbody":
        kt4 = kt ** 4
        out[small] = const * e[small] * kt / kt4
        out[mid] = const * e[mid] ** 2 / (kt4 * (np.exp(x[mid]) - 1.0))
    else:
        out[small] = const * e[small] * kt
        out[mid] = const * e[mid] ** 2 / (np.exp(x[mid]) - 1.0)
    return out


class _BBBase(ArithmeticModel):
    CONST = None
    FORM = None

    def __init__(self, name):
        self.kT = Parameter(name, "kT", 3.0, min=1e-4, max=200.0, hard_min=1e-4, hard_max=200.0, units="keV")
        self.norm = _norm(name)
        ArithmeticModel.__init__(self, name, (self.kT, self.norm))

    @modelCacher1d
    def calc(self, p, lo, hi=None, *args, **kwargs):
        lo, hi = _edges(lo, hi)
        kt, k = p
        f_lo = _bb_shape(lo, kt, self.CONST, self.FORM)
        f_hi = _bb_shape(hi, kt, self.CONST, self.FORM)
        # XSPEC xsblbd/xsbbrd zero the whole bin (and all later ones) once an edge has E/kT > 60
        dead = (lo / kt > 60.0) | (hi / kt > 60.0)
        return np.where(dead, 0.0, k * _trapezoid(f_lo, f_hi, lo, hi))


class XSBBody(_BBBase):
    """XSPEC bbody (xsblbd), 8.0525 norm E^2 / (kT^4 (e^{E/kT}-1)), trapezoid on the bin edges."""
    CONST = 8.0525
    FORM = "bbody"

    def __init__(self, name="bbody"):
        _BBBase.__init__(self, name)


class XSBBodyRad(_BBBase):
    """XSPEC bbodyrad, 1.0344e-3 norm E^2 / (e^{E/kT}-1), trapezoid on the bin edges."""
    CONST = 1.0344e-3
    FORM = "bbodyrad"

    def __init__(self, name="bbodyrad"):
        _BBBase.__init__(self, name)


class XSBremss(ArithmeticModel):
    """XSPEC bremss (xsbrms -> xsbrmv, He/H = 0.085), trapezoid on the bin edges."""

    def __init__(self, name="bremss"):
        self.kT = Parameter(name, "kT", 7.0, min=1e-4, max=200.0, hard_min=1e-4, hard_max=200.0, units="keV")
        self.norm = _norm(name)
        ArithmeticModel.__init__(self, name, (self.kT, self.norm))

    @modelCacher1d
    def calc(self, p, lo, hi=None, *args, **kwargs):
        lo, hi = _edges(lo, hi)
        t, k = p
        # edges are shared between neighbouring bins: evaluate each distinct edge once
        edges, inv = np.unique(np.concatenate([lo, hi]), return_inverse=True)
        f = np.array([bremss_density(float(e), float(t)) for e in edges])
        n = lo.size
        return k * _trapezoid(f[inv[:n]], f[inv[n:]], lo, hi)


_SQRT2 = math.sqrt(2.0)


def _phi_diff(a, b):
    """Phi(b) - Phi(a) for a <= b, computed without cancellation in the tails."""
    out = np.empty_like(a)
    for i, (x, y) in enumerate(zip(a, b)):
        if x > 0.0:
            out[i] = 0.5 * (math.erfc(x / _SQRT2) - math.erfc(y / _SQRT2))
        elif y < 0.0:
            out[i] = 0.5 * (math.erfc(-y / _SQRT2) - math.erfc(-x / _SQRT2))
        else:
            out[i] = 0.5 * (math.erf(y / _SQRT2) - math.erf(x / _SQRT2))
    return out


class XSGaussian(ArithmeticModel):
    """XSPEC gaussian, exact erf integral over each bin."""

    def __init__(self, name="gaussian"):
        self.LineE = Parameter(name, "LineE", 6.5, min=0.0, max=1e6, hard_min=0.0, hard_max=1e6, units="keV")
        self.Sigma = Parameter(name, "Sigma", 0.1, min=0.0, max=20.0, hard_min=0.0, hard_max=20.0, units="keV")
        self.norm = _norm(name)
        ArithmeticModel.__init__(self, name, (self.LineE, self.Sigma, self.norm))

    @modelCacher1d
    def calc(self, p, lo, hi=None, *args, **kwargs):
        lo, hi = _edges(lo, hi)
        el, s, k = p
        if s == 0.0:
            return np.where((lo <= el) & (el < hi), k, 0.0)
        return k * _phi_diff((lo - el) / s, (hi - el) / s)


_TABLES = {}


def absorption_table(model):
    """(energy keV, sigma 1e-22 cm^2) of xsect_<model>.fits.gz, float32 values widened to float64."""
    if model not in _TABLES:
        from astropy.io import fits
        fname = {"tbabs": "xsect_tbabs_wilm.fits.gz", "phabs": "xsect_phabs_angr.fits.gz",
                 "wabs": "xsect_wabs_angr.fits.gz"}[model]
        with fits.open(os.path.join(ABS_DIR, fname)) as h:
            d = h[1].data
            _TABLES[model] = (np.asarray(d["ENERGY"], dtype=np.float64),
                              np.asarray(d["SIGMA"], dtype=np.float64))
    return _TABLES[model]


class _Absorption(ArithmeticModel):
    TABLE = None

    def __init__(self, name):
        self.nH = Parameter(name, "nH", 1.0, min=0.0, max=1e6, hard_min=0.0, hard_max=1e6, units="10^22 atoms / cm^2")
        ArithmeticModel.__init__(self, name, (self.nH,))

    @modelCacher1d
    def calc(self, p, lo, hi=None, *args, **kwargs):
        lo, hi = _edges(lo, hi)
        e_tab, s_tab = absorption_table(self.TABLE)
        ec = 0.5 * (lo + hi)
        return np.exp(-p[0] * np.interp(ec, e_tab, s_tab))


class XSTBabs(_Absorption):
    TABLE = "tbabs"

    def __init__(self, name="tbabs"):
        _Absorption.__init__(self, name)


class XSPhabs(_Absorption):
    TABLE = "phabs"

    def __init__(self, name="phabs"):
        _Absorption.__init__(self, name)


class XSWabs(_Absorption):
    TABLE = "wabs"

    def __init__(self, name="wabs"):
        _Absorption.__init__(self, name)


COMPONENTS = {"powerlaw": XSPowerLaw, "bbody": XSBBody, "bbodyrad": XSBBodyRad, "bremss": XSBremss,
              "gaussian": XSGaussian, "tbabs": XSTBabs, "phabs": XSPhabs, "wabs": XSWabs}
MULTIPLICATIVE = {"tbabs", "phabs", "wabs"}
