"""Oracle for `exod crossmatch`: the same matches made with astropy's SkyCoord.search_around_sky.

Run with the test venv (scripts/test-deps.sh):
    target/py-venv/bin/python scripts/oracle_crossmatch.py > scripts/oracle_crossmatch.out

It writes the transformed copies the matches use into testdata/real/catalogues/ (CSV, positions
with 17 significant digits) and prints, for every case, the pair count and every pair
(source row, catalogue row, separation in arcsec, 0-based rows); crates/exod-cli/tests/crossmatch.rs
runs exod on the same files and compares (pair counts exactly, separations within 1e-6 arcsec).

Cases:
  * XMM-ATLAS (1,127 sources) against itself moved 7" north and rotated by 30" (arc, at 1 deg
    from the centre) about the field centre, radius 10" and 30";
  * the Chandra M82 list (516 sources, a crowded field) against itself moved 0.8" east, 0.5" south,
    radius 2" (many multiple pairs);
  * the eROSITA EDR 300003 catalogue (gzip FITS) against itself, radius 15";
  * XMM-ATLAS against the Chandra M82 list and the eROSITA catalogue: disjoint fields, 0 pairs.
"""
import sys
import warnings

import numpy as np
import astropy
import astropy.units as u
from astropy.coordinates import SkyCoord, SkyOffsetFrame
from astropy.io import fits
from astropy.table import Table

warnings.simplefilter("ignore")
TD = "testdata/real/catalogues/"


def load_fits(path):
    with fits.open(path) as h:
        d = h[1].data
        return np.array(d["RA"], float), np.array(d["DEC"], float)


def load_csv(path, ra="ra_deg", dec="dec_deg"):
    t = Table.read(path, format="ascii.csv")
    return np.array(t[ra], float), np.array(t[dec], float)


def transform(ra, dec, north, east, rot_deg):
    """Rotate by rot_deg about the field centre, then move (east, north) arcsec on the sky."""
    c = SkyCoord(ra * u.deg, dec * u.deg)
    centre = SkyCoord(np.mean(ra) * u.deg, np.mean(dec) * u.deg)
    off = c.transform_to(SkyOffsetFrame(origin=centre, rotation=rot_deg * u.deg))
    back = SkyCoord(off.lon, off.lat, frame=SkyOffsetFrame(origin=centre)).icrs
    return back.spherical_offsets_by(east * u.arcsec, north * u.arcsec)


def write_csv(path, ra, dec):
    with open(path, "w") as f:
        f.write("# made by scripts/oracle_crossmatch.py\nra,dec\n")
        for a, d in zip(ra, dec):
            f.write(f"{a:.17g},{d:.17g}\n")


def case(name, s_ra, s_dec, c_ra, c_dec, radius):
    s = SkyCoord(s_ra * u.deg, s_dec * u.deg)
    c = SkyCoord(c_ra * u.deg, c_dec * u.deg)
    # c.search_around_sky(s, r) returns (index into s, index into c, separation, distance)
    i, j, sep, _ = c.search_around_sky(s, radius * u.arcsec)
    order = np.lexsort((j, sep.arcsec, i))
    i, j, sep = i[order], j[order], sep.arcsec[order]
    near_edge = np.sum(np.abs(sep - radius) < 1e-6)
    print(f"case {name} radius {radius} pairs {len(i)} sources_with_match {len(set(i.tolist()))} near_radius {near_edge}")
    for a, b, d in zip(i, j, sep):
        print(f"pair {name} {a} {b} {d:.12f}")


def fixtures():
    """VOTables (TABLEDATA, BINARY2) and a sexagesimal CSV of the XGA source list, for the reader."""
    from astropy.io.votable import from_table
    t = Table.read("testdata/real/xga_0201901401/0201901401_XGA_sources_radec.csv", format="ascii.csv")
    t = t["ra_deg", "dec_deg", "ds9_color", "mos1_events_within_10arcsec"]
    t["name"] = [f"XGA{k + 1:02d}" for k in range(len(t))]
    for fmt in ("tabledata", "binary2"):
        v = from_table(t)
        v.get_first_table().format = fmt
        v.to_xml(f"{TD}xga_0201901401_{fmt}.vot")
    c = SkyCoord(t["ra_deg"] * u.deg, t["dec_deg"] * u.deg)
    with open(TD + "xga_0201901401_sexagesimal.csv", "w") as f:
        f.write("# the XGA source list with sexagesimal positions (RA in hours)\nname,RAJ2000,DEJ2000\n")
        for n, x in zip(t["name"], c):
            f.write(f"{n},{x.ra.to_string(u.hour, sep=':', precision=4)},{x.dec.to_string(sep=':', precision=3, alwayssign=True)}\n")


def main():
    fixtures()
    print(f"# python {sys.version.split()[0]}, numpy {np.__version__}, astropy {astropy.__version__}")
    xa_ra, xa_dec = load_fits(TD + "xmmatlas_srclistnew_Legacy.fits.gz")
    m_ra, m_dec = load_csv(TD + "m82_chandra_sources.csv")
    e_ra, e_dec = load_fits("testdata/real/erosita_edr_300003/SourceCatalog.fits.gz")
    rot = np.degrees(30.0 / 3600.0)  # 30" of arc at 1 deg from the centre: (30/3600) rad
    sh = transform(xa_ra, xa_dec, 7.0, 0.0, rot)
    write_csv(TD + "xmmatlas_shifted.csv", sh.ra.deg, sh.dec.deg)
    msh = transform(m_ra, m_dec, -0.5, 0.8, 0.0)
    write_csv(TD + "m82_shifted.csv", msh.ra.deg, msh.dec.deg)
    # read back the files as written (17 digits): both sides match the same numbers
    s_ra, s_dec = np.loadtxt(TD + "xmmatlas_shifted.csv", delimiter=",", skiprows=2).T
    ms_ra, ms_dec = np.loadtxt(TD + "m82_shifted.csv", delimiter=",", skiprows=2).T
    case("xmmatlas_shifted_10", xa_ra, xa_dec, s_ra, s_dec, 10.0)
    case("xmmatlas_shifted_30", xa_ra, xa_dec, s_ra, s_dec, 30.0)
    case("m82_shifted_2", m_ra, m_dec, ms_ra, ms_dec, 2.0)
    case("erosita_self_15", e_ra, e_dec, e_ra, e_dec, 15.0)
    case("xmmatlas_m82_60", xa_ra, xa_dec, m_ra, m_dec, 60.0)
    case("xmmatlas_erosita_60", xa_ra, xa_dec, e_ra, e_dec, 60.0)


if __name__ == "__main__":
    main()
