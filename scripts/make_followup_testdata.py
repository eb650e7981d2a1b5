"""Write the follow-up test catalogues of testdata/followup/ (see its README.md).

* rxcj0958_gaia_SYNTHETIC.csv: a Gaia-DR3-like table for the field of RXC J0958.3-1103
  (XMM obs 0201901401 / 0201903501), every row SYNTHETIC: 5 stars placed 0.3-1.5 arcsec from
  5 of the XGA point sources (/work/shared/data/real/xga_0201901401/
  0201901401_XGA_sources_radec.csv), and N_FIELD field stars uniform in a
  BOX x BOX arcsec box (tangent plane) around the field centre: a known density.
* seed000_gaia.csv: seed 000's Gaia DR3 counterpart with the seed's numbers.
Run: /work/main/target/py-venv/bin/python scripts/make_followup_testdata.py
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "testdata", "followup")
CENTRE = (149.591632, -11.064239)  # the XGA extended source (the cluster)
BOX = 1800.0  # arcsec (30')
N_FIELD = 250
XGA_POINTS = [  # (ra, dec) of XGA point sources, rows 2, 4, 5, 10, 15 of the XGA file
    (149.520137, -11.100512),
    (149.802898, -11.004981),
    (149.617195, -10.952367),
    (149.769717, -11.115161),
    (149.671472, -11.075164),
]


def offset(ra0, dec0, xi, eta):
    """Tangent-plane (gnomonic) offset xi east, eta north in arcsec -> (ra, dec) degrees."""
    a0, d0 = np.radians(ra0), np.radians(dec0)
    x, y = np.radians(xi / 3600.0), np.radians(eta / 3600.0)
    rho = np.hypot(x, y)
    c = np.arctan(rho)
    if rho == 0:
        return ra0, dec0
    dec = np.arcsin(np.cos(c) * np.sin(d0) + y * np.sin(c) * np.cos(d0) / rho)
    ra = a0 + np.arctan2(x * np.sin(c), rho * np.cos(d0) * np.cos(c) - y * np.sin(d0) * np.sin(c))
    return np.degrees(ra) % 360.0, np.degrees(dec)


def main():
    rng = np.random.default_rng(20260601)
    rows = []
    sid = 9000000000000000001  # > 2^53: exercises exact id reading; not a real Gaia id
    for k, (ra, dec) in enumerate(XGA_POINTS):
        sep = rng.uniform(0.3, 1.5)
        pa = rng.uniform(0, 2 * np.pi)
        a, d = offset(ra, dec, sep * np.sin(pa), sep * np.cos(pa))
        plx = [2.10, 0.85, 0.40, 1.60, 3.30][k]
        plx_e = [0.05, 0.12, 0.20, 0.09, 0.04][k]
        g = [16.2, 18.4, 19.6, 17.9, 15.1][k]
        bprp = [1.9, 1.2, 0.9, 2.3, 2.7][k]
        rows.append((sid, a, d, plx, plx_e, g, bprp, 10 ** (0.4 * (21.0 - g)) * 5, f"SYNTHETIC near XGA point source {k + 1}"))
        sid += 1
    for _ in range(N_FIELD):
        a, d = offset(*CENTRE, rng.uniform(-BOX / 2, BOX / 2), rng.uniform(-BOX / 2, BOX / 2))
        g = rng.uniform(14.0, 20.8)
        plx_e = 0.02 * 10 ** (0.2 * (g - 15.0))
        plx = rng.uniform(0.1, 2.0) + rng.normal(0, plx_e)
        bprp = rng.uniform(0.5, 3.0)
        rows.append((sid, a, d, plx, plx_e, g, bprp, 10 ** (0.4 * (21.0 - g)) * 5, "SYNTHETIC field star"))
        sid += 1
    with open(os.path.join(OUT, "rxcj0958_gaia_SYNTHETIC.csv"), "w") as f:
        f.write("# SYNTHETIC Gaia-DR3-like catalogue (NOT real Gaia data): see README.md\n")
        f.write(f"# field stars: {N_FIELD} uniform in a {BOX:.0f}x{BOX:.0f} arcsec box centred on "
                f"({CENTRE[0]}, {CENTRE[1]}): density {N_FIELD / BOX**2:.6e} per arcsec^2\n")
        f.write("source_id,ra,dec,parallax,parallax_error,phot_g_mean_mag,bp_rp,phot_g_mean_flux_over_error,note\n")
        for r in rows:
            f.write(f"{r[0]},{r[1]:.7f},{r[2]:.7f},{r[3]:.4f},{r[4]:.4f},{r[5]:.4f},{r[6]:.4f},{r[7]:.1f},{r[8]}\n")
    with open(os.path.join(OUT, "seed000_gaia.csv"), "w") as f:
        f.write("# seed 000's Gaia DR3 counterpart (numbers from the seed report; see README.md)\n")
        f.write("source_id,ra,dec,parallax,parallax_error,phot_g_mean_mag,bp_rp\n")
        f.write("seed000,53.5946667,-28.9027778,2.941,,19.6951,2.416\n")
    print(f"{len(rows)} rows; field density {N_FIELD / BOX**2:.6e} /arcsec^2")


if __name__ == "__main__":
    main()
