"""exod.detect against `exod detect` on the demo observation: the same columns, in the same
order, with the same units, and equal rows (read back from detections.fits with astropy)."""

import json
import warnings

import numpy as np
import pytest
from astropy.table import Table

import exod


def read_fits_table(path, hdu):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Table.read(path, hdu=hdu)


def values(col):
    v = np.asarray(getattr(col, "value", col))
    return np.char.decode(v, "ascii") if v.dtype.kind == "S" else v


def assert_tables_equal(py, fits):
    assert py.colnames == fits.colnames
    assert len(py) == len(fits) > 0
    for name in fits.colnames:
        a, b = values(py[name]), values(fits[name])
        if b.dtype.kind in "SU":
            assert [str(x).strip() for x in a] == [str(x).strip() for x in b], name
        elif b.dtype.kind == "f":
            assert np.array_equal(a, b, equal_nan=True), name
        else:
            assert np.array_equal(a, b), name
            assert (a.dtype.kind, a.dtype.itemsize) == (b.dtype.kind, b.dtype.itemsize), (name, a.dtype, b.dtype)


def test_detect_rows_equal_the_cli_detections_fits(demo, cli_detect):
    t = exod.detect(demo["event_files"], demo["srclist"])
    fits = read_fits_table(cli_detect / "detections.fits", "DETECTIONS")
    assert_tables_equal(t, fits)
    # units: Quantity columns carry the FITS TUNIT of the CLI's file
    for name in ("RA", "DEC", "POS_ERR", "TBIN"):
        assert t[name].unit == fits[name].unit, name
    assert t["POS_ERR"].unit.to_string() == "arcsec"
    assert t["RA"].info.description.startswith("right ascension")


def test_detect_light_curves_equal_the_cli_lightcurves_fits(demo, cli_detect):
    dets, lcs = exod.detect(demo["event_files"], demo["srclist"], lightcurves=True)
    fits = read_fits_table(cli_detect / "lightcurves.fits", "LIGHTCURVES")
    assert_tables_equal(lcs, fits)
    assert set(np.unique(values(lcs["DET"]))) == set(range(1, len(dets) + 1))


def test_detect_out_writes_the_cli_files(demo, cli_detect, tmp_path):
    out = tmp_path / "py"
    t = exod.detect(demo["event_files"], demo["srclist"], out=out, plots=False, tbin=[5, 50, 200])
    fits_py = read_fits_table(out / "detections.fits", "DETECTIONS")
    fits_cli = read_fits_table(cli_detect / "detections.fits", "DETECTIONS")
    assert_tables_equal(t, fits_py)
    assert_tables_equal(fits_py, fits_cli)
    run = json.loads((out / "run.json").read_text())
    assert run["command"][:2] == ["exod", "detect"] and "--no-plots" in run["command"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in cli_detect.iterdir())
    # an output folder is not replaced without overwrite, as with the CLI
    with pytest.raises(exod.ExodError, match="not empty"):
        exod.detect(demo["event_files"], demo["srclist"], out=out, plots=False)


def test_parameters_reach_the_search(demo, cli_detect):
    t5 = exod.detect(demo["event_files"], demo["srclist"], sigma=5)
    t3 = exod.detect(demo["event_files"], demo["srclist"])
    # README: a SIGMA >= 5 cut of a 3-sigma run keeps exactly the detections of a 5-sigma run
    kept = t3[values(t3["SIGMA"]) >= 5]
    assert 0 < len(t5) < len(t3)
    # (DETID ranks and region shapes depend on the threshold: rows are matched per run)
    key = lambda t: sorted(zip(t["BAND"], values(t["TBIN"])))
    assert key(kept) == key(t5)
    one = exod.detect(demo["event_files"], demo["srclist"], tbin=50, band="0.2-12")
    assert set(values(one["TBIN"])) <= {50.0} and set(one["BAND"]) <= {"0.2-12"}


def test_defaults_are_the_cli_defaults():
    d = exod.SEARCH_DEFAULTS
    # bands and cell are the instrument's unless given (EPIC: 0.2-2, 2-12, 0.2-12 keV, 20")
    assert d["tbin"] == [5.0, 50.0, 200.0] and d["band"] == []
    assert (d["sigma"], d["rule"], d["cell"], d["lc_window"]) == (3.0, "exod2", None, 100)


def test_progress_reports_every_stage(demo, tmp_path):
    seen = []
    exod.detect(demo["event_files"], demo["srclist"], progress=lambda k, n, m: seen.append((k, n, m)))
    assert [m for _, _, m in seen] == ["reading event lists", "binning", "searching 9 band × t_bin runs", "done"]
    assert [k for k, _, _ in seen] == [0, 1, 2, 4] and {n for _, n, _ in seen} == {4}
    seen.clear()
    exod.detect(demo["event_files"], out=tmp_path / "o", plots=False, progress=lambda *a: seen.append(a))
    assert [k for k, _, _ in seen] == [0, 1, 2, 3, 4] and seen[3][2] == "writing outputs"


def test_a_failing_progress_callback_raises_its_error(demo):
    def bad(k, n, m):
        raise RuntimeError("callback broke")

    with pytest.raises(RuntimeError, match="callback broke"):
        exod.detect(demo["event_files"], demo["srclist"], progress=bad)


def test_errors_are_exceptions_with_the_library_message(tmp_path, demo):
    with pytest.raises(exod.ExodError, match="nonexistent.fits: cannot open"):
        exod.detect(tmp_path / "nonexistent.fits")
    bad = tmp_path / "P0123456789PNS003PIEVLI0000.FTZ"
    bad.write_bytes(b"SIMPLE  =  this is not FITS")
    with pytest.raises(exod.ExodError, match=str(bad.name)):
        exod.detect(bad)
    with pytest.raises(exod.ExodError, match="--rule"):
        exod.detect(demo["event_files"], rule="fancy")
    with pytest.raises(exod.ExodError, match="time bins must be positive"):
        exod.detect(demo["event_files"], tbin=[-5])
    with pytest.raises(exod.ExodError, match="no EPIC event list"):
        (tmp_path / "empty").mkdir()
        exod.detect(tmp_path / "empty")


def test_read_events_matches_the_file(demo):
    from astropy.io import fits

    pn = demo["event_files"][0]
    r = exod.read_events(pn)
    ev = r["events"]
    with fits.open(pn) as h:
        raw = h["EVENTS"].data
        obs_id = h["EVENTS"].header["OBS_ID"]
        n_raw = len(raw)
    assert r["header"]["obs_id"] == obs_id
    assert 0 < len(ev) <= n_raw
    assert np.all(np.diff(values(ev["TIME"])) >= 0)
    # screening keeps 200 <= PI <= 12000 eV (inclusive)
    assert values(ev["PI"]).min() >= 200 and values(ev["PI"]).max() <= 12000
    # every kept event lies in a GTI of its CCD
    t, ccd = values(ev["TIME"]), values(ev["CCDNR"])
    for c in np.unique(ccd):
        start, stop = r["gti"][int(c)]
        tc = t[ccd == c]
        inside = np.zeros(len(tc), bool)
        for a, b in zip(start, stop):
            inside |= (tc >= a) & (tc <= b)
        assert inside.all(), c
