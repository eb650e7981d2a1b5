"""Oracle numbers for exod_core::followup (distance, optical, ratios).

1. The Gaia G-band flux zero point F0 (erg cm^-2 s^-1 for G = 0), derived from the
   Gaia EDR3 passband and zero points of Riello et al. 2021 (A&A 649, A3; VizieR
   J/A+A/649/A3 passband.dat and zeropt.dat, copied under scripts/data/ from the
   webbpsf_ext 1.0.4 wheel on PyPI, throughputs/GAIA/).
   Definition (Riello 2021 eq. 2 / Evans 2018 eq. 2): G = -2.5 log10(N) + ZP, N the
   count rate (e-/s) = P_A/(h c) * Integral f_lambda(lambda) S(lambda) lambda dlambda,
   S the dimensionless passband, P_A = 0.7278 m^2 the telescope pupil area.
   Check: an AB = 0 source (f_nu = 3631 Jy) gives back ZP_AB.
   F0 = <f_lambda>(G=0, Vega ZP) * W, <f_lambda> the photon-weighted mean flux density
   that gives N = 10^(0.4 ZP_Vega), and W the passband's effective width
   (Integral S dlambda / max S).
2. EDSD distance posterior (Bailer-Jones 2015, PASP 127, 994, eqs. 17-19): mode by the
   cubic and by brute-force maximisation; 16/50/84 % quantiles by scipy.integrate.quad.
3. G - V from BP - RP (Riello 2021 Table C.2).
Run: /work/main/target/py-venv/bin/python scripts/oracle_followup.py > scripts/oracle_followup.out
"""
import os
import sys

import numpy as np
import scipy
from scipy import integrate, optimize

HERE = os.path.dirname(os.path.abspath(__file__))
H = 6.62607015e-27  # erg s
C = 2.99792458e10  # cm/s
P_A = 0.7278e4  # cm^2 (Gaia pupil area, Riello 2021 sect. 5 / Evans 2018)


def passband():
    d = np.loadtxt(os.path.join(HERE, "data", "GaiaEDR3_Passbands.dat"))
    lam_nm, s = d[:, 0], d[:, 1]
    ok = s < 99
    return lam_nm[ok] * 10.0, s[ok]  # Angstrom, dimensionless


def zero_points():
    vega, ab = None, None
    for line in open(os.path.join(HERE, "data", "GaiaEDR3_ZeroPoints.dat")):
        f = line.split()
        if f[-1] == "VEGAMAG":
            vega = float(f[0])
        elif f[-1] == "AB":
            ab = float(f[0])
    return vega, ab


def f0():
    lam, s = passband()
    zp_vega, zp_ab = zero_points()
    lam_cm = lam * 1e-8
    # AB check: f_nu = 3631 Jy -> f_lambda = f_nu c / lambda^2 (per cm), N per cm of lambda
    fnu = 3631e-23
    flam_cm = fnu * C / lam_cm**2  # erg/s/cm2/cm
    n_ab = P_A / (H * C) * np.trapezoid(flam_cm * s * lam_cm, lam_cm)
    zp_ab_calc = 2.5 * np.log10(n_ab)
    # photon-weighted mean f_lambda of a G = 0 (Vega) source
    n0 = 10 ** (0.4 * zp_vega)
    int_lam_s = np.trapezoid(s * lam, lam)  # A^2
    mean_flam = n0 * H * C / (P_A * int_lam_s * 1e-8)  # erg/s/cm2/A  (lambda in A -> cm once)
    w_phot = np.trapezoid(s, lam) / s.max()
    es = s * lam
    w_energy = np.trapezoid(es, lam) / es.max()
    lam_pivot = np.sqrt(np.trapezoid(s * lam, lam) / np.trapezoid(s / lam, lam))
    # flux density at the pivot wavelength from the AB - Vega offset
    fnu_vega0 = 3631e-23 * 10 ** (-0.4 * (zp_ab - zp_vega))
    flam_pivot = fnu_vega0 * C / (lam_pivot * 1e-8) ** 2 * 1e-8
    print(f"ZP_Vega = {zp_vega:.10f}  ZP_AB = {zp_ab:.10f}  (Riello 2021)")
    print(f"ZP_AB recomputed from the passband with P_A = 0.7278 m^2: {zp_ab_calc:.4f}")
    print(f"pivot wavelength = {lam_pivot:.2f} A")
    print(f"photon-weighted mean f_lambda for G = 0: {mean_flam:.5e} erg/cm2/s/A")
    print(f"f_lambda at pivot for G = 0 (AB-Vega offset): {flam_pivot:.5e} erg/cm2/s/A")
    print(f"W_eff photon curve (int S / max S) = {w_phot:.2f} A")
    print(f"W_eff energy curve (int lam S / max lam S, SVO style) = {w_energy:.2f} A")
    print(f"F0 = mean_flam * W_phot   = {mean_flam * w_phot:.5e} erg/cm2/s")
    print(f"F0 = mean_flam * W_energy = {mean_flam * w_energy:.5e} erg/cm2/s")
    print(f"seed 1.05e-5 / F0(W_phot) = {1.05e-5 / (mean_flam * w_phot):.4f}")


def edsd_unnorm(r, w, s, L):
    return r * r * np.exp(-r / L) * np.exp(-((w - 1.0 / r) ** 2) / (2 * s * s))


def edsd_mode_cubic(w, s, L):
    roots = np.roots([1.0 / L, -2.0, w / s**2, -1.0 / s**2])
    real = [x.real for x in roots if abs(x.imag) < 1e-9 and x.real > 0]
    return max(real, key=lambda r: edsd_unnorm(r, w, s, L))


def edsd_case(w, s, L):
    mode_c = edsd_mode_cubic(w, s, L)
    res = optimize.minimize_scalar(
        lambda r: -np.log(edsd_unnorm(r, w, s, L)),
        bounds=(1e-4, 60 * L + 20 * mode_c),
        method="bounded",
        options={"xatol": 1e-12},
    )
    hi = 80 * L + 40 * mode_c
    pts = [mode_c]
    z, _ = integrate.quad(edsd_unnorm, 0, hi, args=(w, s, L), points=pts, limit=500,
                          epsabs=0, epsrel=1e-12)

    def cdf(r):
        v, _ = integrate.quad(edsd_unnorm, 0, r, args=(w, s, L), points=[p for p in pts if p < r] or None,
                              limit=500, epsabs=0, epsrel=1e-12)
        return v / z

    q = [optimize.brentq(lambda r: cdf(r) - p, 1e-6, hi, xtol=1e-12) for p in (0.15865525393145707, 0.5, 0.8413447460685429)]
    return mode_c, res.x, q


def main():
    print(f"python {sys.version.split()[0]} numpy {np.__version__} scipy {scipy.__version__}")
    print("== Gaia G zero point ==")
    f0()
    print("== EDSD (Bailer-Jones 2015), r in kpc, parallax in mas ==")
    print("parallax_mas,error_mas,L_kpc,mode_cubic_kpc,mode_brute_kpc,q16_kpc,q50_kpc,q84_kpc")
    rows = []
    for (w, s, L) in [(2.958, 0.4, 1.35), (1.0, 0.3, 1.35), (0.5, 0.25, 1.35), (0.2, 0.2, 1.35),
                      (2.958, 0.5, 1.35), (1.0, 0.5, 0.5), (3.0, 0.31, 2.0)]:
        m, mb, q = edsd_case(w, s, L)
        row = f"{w},{s},{L},{m:.10f},{mb:.10f},{q[0]:.10f},{q[1]:.10f},{q[2]:.10f}"
        rows.append(row)
        print(row)
    out = os.path.join(HERE, "..", "crates", "exod-core", "tests", "data", "followup", "edsd_oracle.csv")
    with open(out, "w") as f:
        f.write("# EDSD posterior oracle: scripts/oracle_followup.py (scipy quad + brentq)\n")
        f.write("parallax_mas,error_mas,L_kpc,mode_cubic_kpc,mode_brute_kpc,q16_kpc,q50_kpc,q84_kpc\n")
        for r in rows:
            f.write(r + "\n")
    print("== G - V (Riello 2021 Table C.2) ==")
    c = np.array([-0.02704, 0.01424, -0.2156, 0.01426])
    for x in (0.0, 0.82, 2.416):
        print(f"BP-RP = {x}: G-V = {c[0] + c[1]*x + c[2]*x*x + c[3]*x**3:.6f}")
    print("== seed 000 hand numbers ==")
    g, fx, fx35 = 19.6951, 4.66e-14, 3.54e-14
    pc = 3.0856775814913673e18
    for zp in (0.0, -0.017):
        d = 1000.0 / (2.941 - zp)
        print(f"zp {zp}: d = {d:.4f} pc = {d*pc:.5e} cm; L_X(4.66e-14) = {4*np.pi*(d*pc)**2*fx:.5e}")
    print(f"F_opt(F0=1.05e-5) = {1.05e-5*10**(-0.4*g):.5e}; Fx/Fopt = {fx/(1.05e-5*10**(-0.4*g)):.5f}")
    print(f"log(fx/fv) with m_v = G: {np.log10(fx35) + g/2.5 + 5.37:.5f}")


if __name__ == "__main__":
    main()
