"""Oracle for exod_core::timesys (time systems, barycentric correction) and exod_io::timing_in.

Run with the test venv (scripts/test-deps.sh):
    target/py-venv/bin/python scripts/oracle_barycentre.py > scripts/oracle_barycentre.out

Part 1 -- the barycentric delays computed by astropy (its 'builtin' ephemeris is erfa's epv00,
the same VSOP2000-based model as sofars::eph::epv00, so agreement should be at the ns level):

  crates/exod-core/tests/data/timing/bary/geocentre.csv
      300 rows: 50 XMM mission times (TT, MJDREF 50814) spread over 2000-2030 x 6 sky directions.
      tdb_minus_tt_s  = TDB - TT of an astropy Time without location (erfa.dtdb at the
                        geocentre, u = v = 0);
      roemer_s        = t.light_travel_time(SkyCoord, 'barycentric', location = the geocentre,
                        ephemeris='builtin');
      shapiro_s       = 2 GM_sun/c^3 ln(1 + cos theta), theta the angle between the source and
                        the Sun->observer vector (Sun from get_body_barycentric('sun', builtin));
      total_s         = sum of the three: t_bary - t.

  crates/exod-core/tests/data/timing/bary/spacecraft.csv
      40 rows: an observer at a fixed GCRS offset r_sc (up to 125 000 km) from the geocentre.
      astropy's EarthLocation is ITRS (rotating) and its GCRS->ICRS transformation treats an
      offset as an astrometric direction (it applies aberration to it), so the Roemer delay of
      the spacecraft is computed here directly, as a dot product:
      roemer_s   = (r_earth_bary(TDB) + r_sc) . n / c         (get_body_barycentric_posvel)
      einstein_s = (TDB - TT) + v_earth_bary . r_sc / c^2  (the topocentric TDB-TT term)
      shapiro_s  = as above with the Sun->spacecraft vector.
      As a note, the astropy light_travel_time through an EarthLocation made from the same GCRS
      offset is printed (its difference is astropy's aberration of the offset, not a delay).

Part 3 -- facts of the real lists shipped in testdata/real (numpy/astropy, independent of exod):
  crates/exod-io/tests/data/timing/real_timing_facts.json: event count, sorted first/median/last
  TIME, the GTIs (XMM MOS: the union over CCDs of STDGTInn intersected with the GTI00k06 its
  data-subspace component names; others: the GTI extension, or [TSTART, TSTOP]), MJDREF split.

Part 2 -- small FITS files for crates/exod-io/tests/timing_in.rs (crates/exod-io/tests/data/timing/):
  time_only.fits      EVENTS with only a TIME column (unsorted), a GTI extension, MJDREF, TIMEDEL
  mjdref_split.fits   MJDREFI/MJDREFF (NuSTAR's), STDGTI extension, no TELESCOP
  timezero.fits       TIMEZERO = 12.5 s, two GTI extensions (STDGTI01, STDGTI02: their union)
  no_gti.fits         no GTI extension: [TSTART, TSTOP]; FRAMETIM in ms (eROSITA's convention)
  no_time.fits        damaged: the table has no TIME column
  utc.fits            TIMESYS = 'UTC' (refused)
  mjdref_conflict.fits  MJDREF and MJDREFI/MJDREFF disagree by 0.5 day (refused)
  orbit_km.fits       SAS `orbit`-like table: TIME, X, Y, Z (km), VX, VY, VZ (km/s), 60 s steps,
                      a Keplerian XMM-like orbit (perigee 13 400 km, apogee 120 400 km)
  orbit_m.fits        Chandra eph1-like: TIME, X, Y, Z (m) only, 300 s steps, same orbit
  orbit_check.csv     the exact Kepler positions at times between the samples
"""
import os
import sys
import warnings

import numpy as np
import astropy
import astropy.units as u
import erfa
from astropy import constants as const
from astropy.coordinates import (
    GCRS,
    ITRS,
    CartesianRepresentation,
    EarthLocation,
    SkyCoord,
    get_body_barycentric,
    get_body_barycentric_posvel,
)
from astropy.io import fits
from astropy.time import Time
from astropy.utils import iers

warnings.simplefilter("ignore")
iers.conf.auto_download = False
iers.conf.iers_degraded_accuracy = "ignore"
iers.conf.auto_max_age = None  # offline: UT1 only rotates the zero (geocentre) vector here

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BARY = os.path.join(ROOT, "crates/exod-core/tests/data/timing/bary")
IOD = os.path.join(ROOT, "crates/exod-io/tests/data/timing")
MJDREF_XMM = 50814.0
C_KM_S = const.c.to_value(u.km / u.s)
GM_C3 = (const.GM_sun / const.c**3).to_value(u.s)
AU_KM = const.au.to_value(u.km)

DIRECTIONS = [
    (0.0, 0.0),
    (83.63308, 22.01450),  # Crab
    (266.41684, -29.00781),  # Sgr A*
    (149.58, -11.06),  # the XGA field RXCJ0958.3-1103
    (180.0, 89.5),
    (300.0, -60.0),
]


def mission_times(n, rng):
    """n XMM mission times (s, TT) spread over 2000-2030, rounded to 1 us."""
    t0 = (51544.0 - MJDREF_XMM) * 86400.0
    t1 = (62502.0 - MJDREF_XMM) * 86400.0
    base = np.linspace(t0, t1, n)
    jitter = rng.uniform(0.0, 86400.0, n)
    return np.round(base + jitter, 6)


def tt_time(t):
    return Time(MJDREF_XMM, t / 86400.0, format="mjd", scale="tt")


def tdb_minus_tt(tt):
    """TDB - TT (s) of astropy's scale conversion (a Time difference would convert both to one
    scale and give 0: compare the two-part Julian dates instead)."""
    tdb = tt.tdb
    return ((tdb.jd1 - tt.jd1) + (tdb.jd2 - tt.jd2)) * 86400.0


def unit(ra, dec):
    a, d = np.radians(ra), np.radians(dec)
    return np.array([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])


def earth_state(tt):
    """Earth barycentric position (km), velocity (km/s), Sun barycentric position (km), at TDB."""
    tdb = tt.tdb
    pos, vel = get_body_barycentric_posvel("earth", tdb, ephemeris="builtin")
    sun = get_body_barycentric("sun", tdb, ephemeris="builtin")
    return (
        pos.xyz.to_value(u.km),
        vel.xyz.to_value(u.km / u.s),
        sun.xyz.to_value(u.km),
    )


def shapiro(r_obs_km, sun_km, n):
    r = r_obs_km - sun_km
    cos_t = np.dot(r, n) / np.linalg.norm(r)
    return 2.0 * GM_C3 * np.log(1.0 + cos_t)


def geocentre_rows(times):
    rows = []
    geo = EarthLocation.from_geocentric(0.0, 0.0, 0.0, unit=u.m)
    for t in times:
        tt = tt_time(t)
        dtdb = tdb_minus_tt(tt)
        e_pos, _, sun = earth_state(tt)
        for ra, dec in DIRECTIONS:
            sc = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs")
            ltt = tt.light_travel_time(sc, kind="barycentric", location=geo, ephemeris="builtin")
            roemer = ltt.to_value(u.s)
            direct = np.dot(e_pos, unit(ra, dec)) / C_KM_S
            sh = shapiro(e_pos, sun, unit(ra, dec))
            q = np.floor(t / 86400.0)
            rows.append((t, MJDREF_XMM + q, (t - q * 86400.0) / 86400.0, ra, dec, dtdb, roemer, sh,
                         dtdb + roemer + sh, roemer - direct))
    return rows


def astropy_location_ltt(tt, r_sc_km, ra, dec):
    """astropy's light_travel_time through an EarthLocation made from a GCRS offset (a note)."""
    g = GCRS(CartesianRepresentation(r_sc_km * u.km), obstime=tt)
    loc = g.transform_to(ITRS(obstime=tt)).earth_location
    sc = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs")
    return tt.light_travel_time(sc, kind="barycentric", location=loc, ephemeris="builtin").to_value(u.s)


def spacecraft_rows(rng):
    rows, notes = [], []
    times = mission_times(40, rng)
    for i, t in enumerate(times):
        tt = tt_time(t)
        ra, dec = rng.uniform(0, 360), np.degrees(np.arcsin(rng.uniform(-1, 1)))
        d = rng.normal(size=3)
        r_sc = d / np.linalg.norm(d) * rng.uniform(7000.0, 125000.0)
        if i == 0:
            r_sc = np.array([60000.0, 80000.0, -30000.0])
        r_sc = np.round(r_sc, 3)
        n = unit(ra, dec)
        e_pos, e_vel, sun = earth_state(tt)
        dtdb = tdb_minus_tt(tt)
        roemer = np.dot(e_pos + r_sc, n) / C_KM_S
        einstein = dtdb + np.dot(e_vel, r_sc) / C_KM_S**2
        sh = shapiro(e_pos + r_sc, sun, n)
        rows.append((t, ra, dec, *r_sc, roemer, einstein, sh, roemer + einstein + sh))
        if i < 8:
            notes.append(astropy_location_ltt(tt, r_sc, ra, dec) - roemer)
    return rows, notes


def write_csv(path, header, rows, comment):
    with open(path, "w") as f:
        f.write(f"# {comment}\n# made by scripts/oracle_barycentre.py\n{header}\n")
        for r in rows:
            f.write(",".join(f"{x:.17g}" for x in r) + "\n")


def part1():
    rng = np.random.default_rng(20240612)
    geo = geocentre_rows(mission_times(50, rng))
    write_csv(
        os.path.join(BARY, "geocentre.csv"),
        "t_xmm_s,mjd_tt_day,mjd_tt_frac,ra_deg,dec_deg,tdb_minus_tt_s,roemer_s,shapiro_s,total_s,roemer_minus_direct_s",
        geo,
        "observer at the geocentre; XMM mission time (TT, MJDREF 50814); astropy builtin ephemeris (erfa epv00)",
    )
    sc, notes = spacecraft_rows(rng)
    write_csv(
        os.path.join(BARY, "spacecraft.csv"),
        "t_xmm_s,ra_deg,dec_deg,x_km,y_km,z_km,roemer_s,einstein_s,shapiro_s,total_s",
        sc,
        "observer at a fixed GCRS offset (km) from the geocentre; astropy builtin ephemeris, direct dot products",
    )
    g = np.array(geo)
    print(f"geocentre rows {len(geo)}; TDB-TT range {g[:, 5].min():.9f} .. {g[:, 5].max():.9f} s;"
          f" Roemer range {g[:, 6].min():.6f} .. {g[:, 6].max():.6f} s;"
          f" Shapiro range {g[:, 7].min() * 1e6:.3f} .. {g[:, 7].max() * 1e6:.3f} us")
    print(f"astropy light_travel_time - direct epv00 dot product: max |diff| {np.abs(g[:, 9]).max():.3e} s")
    s = np.array(sc)
    print(f"spacecraft rows {len(sc)}; |r_sc| up to {np.linalg.norm(s[:, 3:6], axis=1).max():.0f} km;"
          f" spacecraft Einstein term v.r/c^2 up to"
          f" {np.abs(s[:, 7] - np.array([tdb_minus_tt(tt_time(t)) for t in s[:, 0]])).max() * 1e6:.2f} us")
    print("note: astropy light_travel_time via an EarthLocation at the same GCRS offset minus the direct"
          " Roemer delay (astropy aberrates the offset vector; not used as an oracle): "
          + ", ".join(f"{x * 1e6:.2f}" for x in notes) + " us")


# ---------------------------------------------------------------- part 2: FITS files


def primary():
    h = fits.PrimaryHDU()
    h.header["ORIGIN"] = "exod test data"
    h.header["CREATOR"] = "scripts/oracle_barycentre.py"
    return h


def events_hdu(times, name="EVENTS", extra=(), columns=None):
    cols = columns or [fits.Column(name="TIME", format="D", unit="s", array=np.asarray(times))]
    h = fits.BinTableHDU.from_columns(cols, name=name)
    h.header["HDUCLASS"] = "OGIP"
    h.header["HDUCLAS1"] = "EVENTS"
    for k, v in extra:
        h.header[k] = v
    return h


def gti_hdu(start, stop, name="GTI"):
    h = fits.BinTableHDU.from_columns(
        [fits.Column(name="START", format="D", unit="s", array=np.asarray(start, float)),
         fits.Column(name="STOP", format="D", unit="s", array=np.asarray(stop, float))],
        name=name,
    )
    h.header["HDUCLASS"] = "OGIP"
    h.header["HDUCLAS1"] = "GTI"
    return h


def write(name, hdus):
    path = os.path.join(IOD, name)
    fits.HDUList(hdus).writeto(path, overwrite=True)  # no CHECKSUM: its comment carries the date
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")


def base_keys(tstart, tstop, mjdref=(("MJDREF", 50814.0),), timesys="TT"):
    return [*mjdref, ("TIMESYS", timesys), ("TIMEREF", "LOCAL"), ("TIMEUNIT", "s"),
            ("TSTART", tstart), ("TSTOP", tstop)]


def kepler(t, t_peri=0.0):
    """Geocentric position (km) and velocity (km/s) on an XMM-like ellipse (GM_earth 398600.4418)."""
    mu = 398600.4418
    rp, ra = 13400.0, 120400.0
    a, e = (rp + ra) / 2, (ra - rp) / (ra + rp)
    n = np.sqrt(mu / a**3)
    m = n * (np.asarray(t, float) - t_peri)
    ea = m.copy()
    for _ in range(60):
        ea = ea - (ea - e * np.sin(ea) - m) / (1 - e * np.cos(ea))
    x = a * (np.cos(ea) - e)
    y = a * np.sqrt(1 - e**2) * np.sin(ea)
    ead = n / (1 - e * np.cos(ea))
    vx = -a * np.sin(ea) * ead
    vy = a * np.sqrt(1 - e**2) * np.cos(ea) * ead
    # orientation: inclination 40 deg, node 60 deg, argument of perigee 30 deg
    rot = rotation(np.radians(60.0), np.radians(40.0), np.radians(30.0))
    p = rot @ np.vstack([x, y, np.zeros_like(x)])
    v = rot @ np.vstack([vx, vy, np.zeros_like(x)])
    return p.T, v.T


def rotation(node, inc, argp):
    def rz(a):
        return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])

    def rx(a):
        return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])

    return rz(node) @ rx(inc) @ rz(argp)


def orbit_files(t0):
    t_peri = t0 + 3600.0  # perigee passage inside the file: the fastest part of the orbit
    tk = t0 + np.arange(0, 6 * 3600 + 1, 60.0)
    p, v = kepler(tk, t_peri)
    cols = [fits.Column(name="TIME", format="D", unit="s", array=tk)]
    cols += [fits.Column(name=c, format="D", unit="km", array=p[:, i]) for i, c in enumerate("XYZ")]
    cols += [fits.Column(name="V" + c, format="D", unit="km/s", array=v[:, i]) for i, c in enumerate("XYZ")]
    h = fits.BinTableHDU.from_columns(cols, name="ORBIT")
    for k, val in base_keys(tk[0], tk[-1]):
        h.header[k] = val
    h.header["TELESCOP"] = "XMM"
    write("orbit_km.fits", [primary(), h])
    tm = t0 + np.arange(0, 6 * 3600 + 1, 300.0)
    pm, _ = kepler(tm, t_peri)
    cols = [fits.Column(name="TIME", format="D", unit="s", array=tm)]
    cols += [fits.Column(name=c, format="D", unit="m", array=pm[:, i] * 1000.0) for i, c in enumerate("XYZ")]
    h = fits.BinTableHDU.from_columns(cols, name="EPHEM")
    for k, val in base_keys(tm[0], tm[-1]):
        h.header[k] = val
    h.header["TELESCOP"] = "CHANDRA"
    write("orbit_m.fits", [primary(), h])
    tc = np.array([t0 + 30.0, t0 + 3570.0, t0 + 3610.0, t0 + 3630.0, t0 + 7235.5, t0 + 21570.0])
    pc, _ = kepler(tc, t_peri)
    with open(os.path.join(IOD, "orbit_check.csv"), "w") as f:
        f.write("# exact Kepler positions between the samples of orbit_km.fits/orbit_m.fits; made by"
                " scripts/oracle_barycentre.py\nt_s,x_km,y_km,z_km\n")
        for t, r in zip(tc, pc):
            f.write(f"{t:.17g},{r[0]:.17g},{r[1]:.17g},{r[2]:.17g}\n")
    print(f"wrote {os.path.relpath(os.path.join(IOD, 'orbit_check.csv'), ROOT)}")


def part2():
    os.makedirs(IOD, exist_ok=True)
    rng = np.random.default_rng(7)
    t0 = 200_506_085.0
    times = np.round(t0 + rng.uniform(0, 1000.0, 200), 6)  # unsorted, as XMM MOS lists are
    ev = events_hdu(times, extra=[*base_keys(t0, t0 + 1000.0), ("TELESCOP", "XMM"), ("INSTRUME", "EPN"),
                                  ("TIMEDEL", 0.0734)])
    write("time_only.fits", [primary(), ev, gti_hdu([t0, t0 + 600.0], [t0 + 400.0, t0 + 1000.0])])

    tn = 275_856_515.0
    ev = events_hdu(np.sort(np.round(tn + rng.uniform(0, 100.0, 50), 6)),
                    extra=base_keys(tn, tn + 100.0, mjdref=(("MJDREFI", 55197), ("MJDREFF", 7.6601852e-4))))
    write("mjdref_split.fits", [primary(), ev, gti_hdu([tn], [tn + 100.0], name="STDGTI")])

    ev = events_hdu(np.sort(np.round(t0 + rng.uniform(0, 500.0, 30), 6)),
                    extra=[*base_keys(t0, t0 + 500.0), ("TIMEZERO", 12.5), ("TELESCOP", "SWIFT")])
    write("timezero.fits", [primary(), ev, gti_hdu([t0], [t0 + 200.0], name="STDGTI01"),
                            gti_hdu([t0 + 150.0, t0 + 400.0], [t0 + 300.0, t0 + 500.0], name="STDGTI02")])

    te = 624_110_452.0
    ev = events_hdu(np.sort(np.round(te + rng.uniform(0, 300.0, 40), 6)),
                    extra=[("MJDREF", 51543.875), ("TIMESYS", "TT"), ("TSTART", te), ("TSTOP", te + 300.0),
                           ("FRAMETIM", 50.0584), ("TELESCOP", "eROSITA")])
    write("no_gti.fits", [primary(), ev])

    cols = [fits.Column(name="TIMES", format="D", array=np.arange(5.0)),
            fits.Column(name="PI", format="J", array=np.arange(5))]
    write("no_time.fits", [primary(), events_hdu(None, extra=base_keys(0.0, 5.0), columns=cols),
                           gti_hdu([0.0], [5.0])])

    ev = events_hdu(np.arange(5.0) + t0, extra=base_keys(t0, t0 + 5.0, timesys="UTC"))
    write("utc.fits", [primary(), ev, gti_hdu([t0], [t0 + 5.0])])

    ev = events_hdu(np.arange(5.0) + tn, extra=base_keys(
        tn, tn + 5.0, mjdref=(("MJDREF", 55197.5), ("MJDREFI", 55197), ("MJDREFF", 7.6601852e-4))))
    write("mjdref_conflict.fits", [primary(), ev, gti_hdu([tn], [tn + 5.0])])

    orbit_files(t0 - 600.0)


# ---------------------------------------------------------------- part 3: real lists


def intervals_union(a, b):
    ivs = sorted(a + b)
    out = []
    for s0, s1 in ivs:
        if out and s0 <= out[-1][1]:
            out[-1][1] = max(out[-1][1], s1)
        else:
            out.append([s0, s1])
    return [iv for iv in out if iv[1] > iv[0]]


def intervals_intersect(a, b):
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi > lo:
                out.append([lo, hi])
    return intervals_union(out, [])


def gti_rows(hdu):
    return intervals_union([[float(x), float(y)] for x, y in zip(hdu.data["START"], hdu.data["STOP"])], [])


def xmm_gti(h):
    """Union over CCDs of STDGTInn and the GTI its data-subspace component names (k-prefixed
    kDSVAL<ccd col> = the CCD, kDSREF<time col> = ':GTI...')."""
    ev = h["EVENTS"].header
    typ = {ev[f"DSTYP{n}"].strip().upper(): n for n in range(1, 20) if f"DSTYP{n}" in ev}
    tn, cn = typ["TIME"], typ["CCDNR"]
    comp = {}
    for k in range(1, 100):
        pre = "" if k == 1 else str(k)
        if f"{pre}DSVAL{cn}" not in ev:
            break
        comp[int(ev[f"{pre}DSVAL{cn}"])] = ev[f"{pre}DSREF{tn}"].strip().lstrip(":")
    total = []
    for hdu in h:
        if hdu.name.startswith("STDGTI"):
            ccd = int(hdu.name[6:])
            g = gti_rows(hdu)
            if ccd in comp:
                g = intervals_intersect(g, gti_rows(h[comp[ccd]]))
            total = intervals_union(total, g)
    return total


def real_facts():
    base = os.path.join(ROOT, "testdata/real")
    files = {
        "xga_0201901401/mos1_exp1_clean_evts.fits.gz": "xmm",
        "stingray_chandra/chandra_test.fits.gz": "gti",
        "nustar_solar_90410111001/nu90410111001A06_cl_sunpos.evt.gz": "gti",
        "erosita_edr_300003/em01_300003_EventList_021_PARTIAL.fits.gz": "none",
    }
    out = {}
    for rel, kind in files.items():
        with fits.open(os.path.join(base, rel)) as h:
            ev = h["EVENTS"]
            t = np.sort(np.asarray(ev.data.field("TIME"), float))
            hd = ev.header
            if kind == "xmm":
                g = xmm_gti(h)
            elif kind == "gti":
                g = gti_rows(h["GTI"])
            else:
                g = [[hd["TSTART"], hd["TSTOP"]]]
            if "MJDREFI" in hd:
                mjd = [float(hd["MJDREFI"]), float(hd["MJDREFF"])]
            else:
                mjd = [float(np.floor(hd["MJDREF"])), float(hd["MJDREF"] - np.floor(hd["MJDREF"]))]
            frame = hd.get("TIMEDEL", hd.get("FRAMETIM", 0.0) / 1000.0 if "FRAMETIM" in hd else None)
            out[rel] = {
                "n": int(t.size), "first": float(t[0]), "last": float(t[-1]),
                "median": float(t[t.size // 2]),
                "gti": g, "exposure": float(sum(b - a for a, b in g)),
                "mjdref": mjd, "frame_time_s": frame,
                "outside_gti": int(sum(1 for x in t if not any(a <= x <= b for a, b in g))),
            }
            print(f"{rel}: {t.size} events, {len(g)} GTIs, exposure {out[rel]['exposure']:.3f} s,"
                  f" {out[rel]['outside_gti']} events outside, frame time {frame}")
    import json
    with open(os.path.join(IOD, "real_timing_facts.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(os.path.join(IOD, 'real_timing_facts.json'), ROOT)}")


def main():
    print(f"# python {sys.version.split()[0]}, numpy {np.__version__}, astropy {astropy.__version__},"
          f" pyerfa {erfa.__version__}; GM_sun/c^3 = {GM_C3:.12e} s")
    print("# JPL DE kernels (ephemeris='jpl') are not available offline: epv00 is not cross-checked"
          " against DE here; its published accuracy (SOFA epv00 notes, vs DE405 1900-2100) is"
          " 4.6 km RMS / 13.4 km max barycentric position")
    part1()
    part2()
    real_facts()


if __name__ == "__main__":
    main()
