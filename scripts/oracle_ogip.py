"""Oracle for the OGIP readers (crates/exod-io/tests/ogip.rs): facts of the real spectra and
responses of testdata/spectral read with astropy, independently of exod.

Matrix elements are decoded here from F_CHAN/N_CHAN/MATRIX in the file's own channel numbers
(no offset applied), so the Rust reader's mapping to 0-based indices (Rmf::first_channel) is
checked against them. Writes testdata/spectral/ogip_oracle.json; prints the versions and facts
(committed as scripts/oracle_ogip.out).

Run: /work/main/target/py-venv/bin/python scripts/oracle_ogip.py > scripts/oracle_ogip.out
"""
import json
import sys
from pathlib import Path

import astropy
import numpy as np
from astropy.io import fits

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "testdata" / "spectral"


def spectrum_facts(rel):
    with fits.open(DATA / rel) as h:
        hdu = h["SPECTRUM"]
        d, hd = hdu.data, hdu.header
        grouping = d["GROUPING"] if "GROUPING" in d.names else np.ones(len(d), int)
        quality = d["QUALITY"] if "QUALITY" in d.names else np.zeros(len(d), int)
        out = {
            "file": rel,
            "n_channels": int(len(d)),
            "first_channel": int(d["CHANNEL"][0]),
            "last_channel": int(d["CHANNEL"][-1]),
            "total_counts": float(np.sum(d["COUNTS"])),
            "counts_sample": {str(int(c)): float(v) for c, v in list(zip(d["CHANNEL"], d["COUNTS"]))[::97] if v > 0}  ,
            "exposure": float(hd["EXPOSURE"]),
            "backscal": float(hd["BACKSCAL"]),
            "areascal": float(hd["AREASCAL"]),
            "poisserr": bool(hd["POISSERR"]),
            "n_groups": int(np.sum(grouping == 1)),
            "bad_quality_channels": [int(c) for c, q in zip(d["CHANNEL"], quality) if q != 0],
            "bad_quality_values": sorted({int(q) for q in quality if q != 0}),
            "stat_err_sum": float(np.sum(d["STAT_ERR"])) if "STAT_ERR" in d.names else None,
            "respfile": hd.get("RESPFILE"),
            "ancrfile": hd.get("ANCRFILE"),
            "backfile": hd.get("BACKFILE"),
            "telescop": hd.get("TELESCOP"),
            "instrume": hd.get("INSTRUME"),
        }
    return out


def row_dict(fch, nch, mat, ngrp):
    """Channel number (as in the file) -> matrix value of one row."""
    out, off = {}, 0
    for j in range(ngrp):
        for k in range(int(nch[j])):
            out[int(fch[j]) + k] = float(mat[off + k])
        off += int(nch[j])
    return out


def rmf_facts(rel, energies):
    with fits.open(DATA / rel) as h:
        m = h[1].data
        eb = h["EBOUNDS"].data
        elo, ehi = np.array(m["ENERG_LO"], float), np.array(m["ENERG_HI"], float)
        sums = np.array([float(np.sum(np.asarray(x, float))) for x in m["MATRIX"]])
        out = {
            "file": rel,
            "extname": h[1].name,
            "n_energies": int(len(m)),
            "n_channels": int(len(eb)),
            "ebounds_first_channel": int(eb["CHANNEL"][0]),
            "energ_lo_first": float(elo[0]),
            "energ_hi_last": float(ehi[-1]),
            "e_min_first": float(eb["E_MIN"][0]),
            "e_max_last": float(eb["E_MAX"][-1]),
            "n_elements": int(sum(len(x) for x in m["MATRIX"])),
            "n_empty_rows": int(np.sum(sums == 0)),
            "max_row_sum": float(sums.max()),
            "rows": [],
        }
        for e in energies:
            i = int(np.searchsorted(ehi, e, side="right"))
            row = row_dict(m["F_CHAN"][i], m["N_CHAN"][i], m["MATRIX"][i], int(m["N_GRP"][i]))
            peak = max(row, key=row.get)
            picks = sorted({peak - 7, peak - 2, peak, peak + 1, peak + 5, min(row), max(row), max(row) + 1})
            ec = 0.5 * (elo[i] + ehi[i])
            chan_of_e = [int(c) for c, a, b in zip(eb["CHANNEL"], eb["E_MIN"], eb["E_MAX"]) if a <= ec < b]
            out["rows"].append({
                "energy": e,
                "row": i,
                "energ_lo": float(elo[i]),
                "energ_hi": float(ehi[i]),
                "row_sum": float(sums[i]),
                "peak_channel": int(peak),
                "ebounds_channel_of_centre": chan_of_e[0] if chan_of_e else None,
                "elements": {str(c): row.get(c, 0.0) for c in picks},
            })
    return out


def arf_facts(rel):
    with fits.open(DATA / rel) as h:
        a = h["SPECRESP"].data
        s = np.array(a["SPECRESP"], float)
        return {
            "file": rel,
            "n_energies": int(len(a)),
            "specresp_max": float(s.max()),
            "specresp_sum": float(s.sum()),
            "specresp_at": {str(i): float(s[i]) for i in (0, 100, 300, 600, len(s) - 1)},
        }


def main():
    print(f"# python {sys.version.split()[0]}, numpy {np.__version__}, astropy {astropy.__version__}")
    facts = {
        "spectra": [
            spectrum_facts("xmm_pn/pn_pi_src_bin10.ds.gz"),
            spectrum_facts("chandra_3c273/3c273.pi.gz"),
            spectrum_facts("chandra_3c273/3c273_bg.pi.gz"),
        ],
        "rmfs": [
            rmf_facts("xmm_pn/epn_ff20_dY9.rmf.gz", [0.3, 0.5, 1.0, 2.0, 6.4, 10.0]),
            rmf_facts("chandra_3c273/3c273.rmf.gz", [0.5, 1.0, 2.0, 6.4]),
        ],
        "arfs": [arf_facts("xmm_pn/pn_pi_src.arf.gz"), arf_facts("chandra_3c273/3c273.arf.gz")],
    }
    for s in facts["spectra"]:
        print(f"{s['file']}: {s['n_channels']} channels {s['first_channel']}..{s['last_channel']}, "
              f"{s['total_counts']:.0f} counts, EXPOSURE {s['exposure']}, BACKSCAL {s['backscal']}, "
              f"{s['n_groups']} groups, QUALITY != 0 in {len(s['bad_quality_channels'])} channels, POISSERR {s['poisserr']}")
    for r in facts["rmfs"]:
        print(f"{r['file']} [{r['extname']}]: {r['n_energies']} energies x {r['n_channels']} channels "
              f"(EBOUNDS from {r['ebounds_first_channel']}), {r['n_elements']} elements, "
              f"{r['n_empty_rows']} empty rows, max row sum {r['max_row_sum']:.7f}")
        for row in r["rows"]:
            print(f"  {row['energy']} keV: row {row['row']}, sum {row['row_sum']:.7f}, peak channel "
                  f"{row['peak_channel']}, EBOUNDS channel of the bin centre {row['ebounds_channel_of_centre']}")
    for a in facts["arfs"]:
        print(f"{a['file']}: {a['n_energies']} energies, max {a['specresp_max']:.3f} cm2")
    out = DATA / "ogip_oracle.json"
    out.write_text(json.dumps(facts, indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size} bytes)")


main()
