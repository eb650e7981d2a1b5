"""Oracle for Sherpa's notice(lo, hi) on grouped PHA data (which groups are kept), incl. exact-edge cases.

Run: python3 scripts/oracle_spectral_notice.py > scripts/oracle_spectral_notice.out
Writes testdata/spectral/sherpa/notice.json: per data set the group table after ignore_bad (first/last channel,
E_MIN of the first channel, E_MAX of the last, from EBOUNDS) and, for each band, the indices of the kept groups.
Rule found (SHERPA-NOTES.md): kept iff lo < E_MAX_g and E_MIN_g < hi, compared with sao_fcmp(eps = float32 eps).
"""

import json
import logging
import os
import platform
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
warnings.filterwarnings("ignore")
import sherpa  # noqa: E402
from sherpa.astro import ui  # noqa: E402

import oracle_spectral as osp  # noqa: E402

logging.getLogger("sherpa").setLevel(logging.ERROR)


def groups(data):
    ch = np.asarray(data.channel, dtype=float)
    elo, ehi = data._get_ebins(group=True)
    return (data.apply_grouping(ch, data._min).astype(int), data.apply_grouping(ch, data._max).astype(int),
            np.asarray(elo, float), np.asarray(ehi, float))


def rule(lo, hi, elo, ehi):
    """My reading of the rule (exact comparisons, no tolerance), to compare with Sherpa."""
    return np.nonzero((lo < ehi) & (elo < hi))[0]


def main():
    print(f"python {platform.python_version()}  sherpa {sherpa.__version__}  numpy {np.__version__}")
    out = {}
    for ds in ["pn", "3c273"]:
        data = osp.load(ds, "none")
        ui.ignore_bad(1)
        c0, c1, elo, ehi = groups(data)
        g = len(c0) // 3
        bands = [(0.3, 10.0), (0.5, 10.0), (0.5, 7.0), (2.0, 10.0), (0.2, 12.0), (0.3, 3.5), (1.0, 1.0001),
                 # exact group edges (as float64 of the float32 EBOUNDS values)
                 (float(ehi[g]), float(elo[2 * g])),
                 # an edge moved by 1e-9 relative (inside sao_fcmp's tolerance) and by 1e-5 (outside)
                 (float(ehi[g]) * (1 - 1e-9), float(elo[2 * g]) * (1 + 1e-9)),
                 (float(ehi[g]) * (1 - 1e-5), float(elo[2 * g]) * (1 + 1e-5)),
                 (0.0, 100.0)]
        res = []
        for lo, hi in bands:
            ui.notice(None, None)
            ui.ignore_bad(1)
            ui.notice(lo, hi)
            mask = np.asarray(data.mask, bool) if data.mask is not True else np.ones(len(c0), bool)
            kept = np.nonzero(mask)[0]
            mine = rule(lo, hi, elo, ehi)
            same = len(kept) == len(mine) and bool(np.all(kept == mine))
            res.append(dict(lo=lo, hi=hi, kept_groups=[int(i) for i in kept], n_kept=int(len(kept)),
                            first_channel=int(c0[kept[0]]) if len(kept) else None,
                            last_channel=int(c1[kept[-1]]) if len(kept) else None,
                            exact_rule_agrees=same))
            print(f"{ds} notice({lo!r}, {hi!r}): {len(kept)} groups, channels "
                  f"{res[-1]['first_channel']}..{res[-1]['last_channel']}; exact-comparison rule agrees: {same}")
        out[ds] = dict(groups=dict(first_channel=[int(v) for v in c0], last_channel=[int(v) for v in c1],
                                   e_min=[float(v) for v in elo], e_max=[float(v) for v in ehi]),
                       bands=res)
    with open(os.path.join(osp.OUT, "notice.json"), "w") as fh:
        json.dump(out, fh, separators=(",", ":"))


if __name__ == "__main__":
    main()
