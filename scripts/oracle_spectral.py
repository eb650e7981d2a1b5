"""Sherpa reference numbers (oracles) for the exod spectral fitter (issue #13).

Run: python3 scripts/oracle_spectral.py > scripts/oracle_spectral.out   (system python3 with Sherpa 4.19.0)
Writes testdata/spectral/sherpa/<case>.json (one per fit case) and fold_<response>.json (folding oracles).
Models: scripts/xspec_models.py (the SPECTRAL.md definitions, independent Python implementation).
"""

import json
import logging
import os
import platform
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

logging.getLogger("sherpa").setLevel(logging.ERROR)
warnings.filterwarnings("ignore")

import astropy  # noqa: E402
import sherpa  # noqa: E402
from sherpa.astro import ui  # noqa: E402
from sherpa.astro import charge_e  # noqa: E402

import xspec_models as xm  # noqa: E402

logging.getLogger("sherpa").setLevel(logging.ERROR)  # after import: sherpa sets its own levels

SPEC = os.path.join(ROOT, "testdata", "spectral")
OUT = os.path.join(SPEC, "sherpa")
SEED = 20261201
NSAMPLE = int(os.environ.get("ORACLE_NSAMPLE", "1000"))
FLUX_BANDS = [(0.2, 12.0), (2.0, 10.0), (0.3, 3.5)]

DATASETS = {
    "pn": dict(pha="xmm_pn/pn_pi_src_bin10.ds.gz", arf="xmm_pn/pn_pi_src.arf.gz",
               rmf="xmm_pn/epn_ff20_dY9.rmf.gz", bkg=None),
    "3c273": dict(pha="chandra_3c273/3c273.pi.gz", arf="chandra_3c273/3c273.arf.gz",
                  rmf="chandra_3c273/3c273.rmf.gz", bkg="chandra_3c273/3c273_bg.pi.gz"),
}


def comps(*names):
    """Build named model components (XSPEC naming: repeated component -> name_1, name_2)."""
    out = {}
    for n in names:
        cls = xm.COMPONENTS[n.split("_")[0]]
        out[n] = cls(n)
    return out


# Each case: expression builder returning (full source, unabsorbed source, {component: model}).
def m_tbabs_po():
    c = comps("tbabs", "powerlaw")
    return c["tbabs"] * c["powerlaw"], c["powerlaw"], c


def m_tbabs_bb_po():
    c = comps("tbabs", "bbody", "powerlaw")
    return c["tbabs"] * (c["bbody"] + c["powerlaw"]), c["bbody"] + c["powerlaw"], c


def m_tbabs_br():
    c = comps("tbabs", "bremss")
    return c["tbabs"] * c["bremss"], c["bremss"], c


def m_phabs_ga_po():
    c = comps("phabs", "gaussian", "powerlaw")
    return c["phabs"] * (c["gaussian"] + c["powerlaw"]), c["gaussian"] + c["powerlaw"], c


def m_wabs_bbr():
    c = comps("wabs", "bbodyrad")
    return c["wabs"] * c["bbodyrad"], c["bbodyrad"], c


def m_tbabs_po_ga():
    c = comps("tbabs", "powerlaw", "gaussian")
    return c["tbabs"] * (c["powerlaw"] + c["gaussian"]), c["powerlaw"] + c["gaussian"], c


PN_PO = {"tbabs.nH": 0.1, "powerlaw.PhoIndex": 2.0, "powerlaw.norm": 1e-4}
C3_PO = {"tbabs.nH": 0.05, "powerlaw.PhoIndex": 1.7, "powerlaw.norm": 1e-3}

CASES = [
    dict(name="pn_tbabs_powerlaw_cstat", data="pn", model="tbabs*powerlaw", build=m_tbabs_po,
         stat="cstat", band=(0.3, 10.0), bkg="none", start=PN_PO,
         alt_starts=[{"tbabs.nH": 3.0, "powerlaw.PhoIndex": 1.5, "powerlaw.norm": 5e-4}]),
    dict(name="pn_tbabs_bbody_powerlaw_cstat", data="pn", model="tbabs*(bbody+powerlaw)", build=m_tbabs_bb_po,
         stat="cstat", band=(0.3, 10.0), bkg="none",
         start={"tbabs.nH": 0.1, "bbody.kT": 0.2, "bbody.norm": 1e-5, "powerlaw.PhoIndex": 2.0,
                "powerlaw.norm": 1e-4},
         alt_starts=[{"tbabs.nH": 5.0, "bbody.kT": 0.1, "bbody.norm": 1e-4, "powerlaw.PhoIndex": 1.8,
                      "powerlaw.norm": 1e-3}]),
    dict(name="pn_tbabs_bremss_cstat", data="pn", model="tbabs*bremss", build=m_tbabs_br,
         stat="cstat", band=(0.3, 10.0), bkg="none",
         start={"tbabs.nH": 0.1, "bremss.kT": 5.0, "bremss.norm": 1e-3},
         alt_starts=[{"tbabs.nH": 3.0, "bremss.kT": 20.0, "bremss.norm": 3e-3}]),
    dict(name="pn_phabs_gaussian_powerlaw_cstat", data="pn", model="phabs*(gaussian+powerlaw)",
         build=m_phabs_ga_po, stat="cstat", band=(0.3, 10.0), bkg="none",
         start={"phabs.nH": 0.1, "gaussian.LineE": 6.4, "gaussian.Sigma": 0.1, "gaussian.norm": 1e-6,
                "powerlaw.PhoIndex": 2.0, "powerlaw.norm": 1e-4},
         alt_starts=[{"phabs.nH": 5.0, "powerlaw.PhoIndex": 1.8, "powerlaw.norm": 1e-3}]),
    dict(name="pn_wabs_bbodyrad_chi2gehrels", data="pn", model="wabs*bbodyrad", build=m_wabs_bbr,
         stat="chi2gehrels", band=(0.5, 10.0), bkg="none",
         start={"wabs.nH": 0.1, "bbodyrad.kT": 1.0, "bbodyrad.norm": 1.0},
         alt_starts=[{"wabs.nH": 1.0, "bbodyrad.kT": 2.0, "bbodyrad.norm": 0.1},
                     # a second, lower minimum (found by exod; scripts/check_fit_better_minimum.py)
                     {"wabs.nH": 0.01, "bbodyrad.kT": 3.5, "bbodyrad.norm": 0.008}]),
    dict(name="pn_tbabs_powerlaw_chi2datavar", data="pn", model="tbabs*powerlaw", build=m_tbabs_po,
         stat="chi2datavar", band=(0.5, 10.0), bkg="none", start=PN_PO,
         alt_starts=[{"tbabs.nH": 3.0, "powerlaw.PhoIndex": 1.5, "powerlaw.norm": 5e-4}]),
    dict(name="3c273_tbabs_powerlaw_chi2datavar_bkgsub", data="3c273", model="tbabs*powerlaw", build=m_tbabs_po,
         stat="chi2datavar", band=(0.5, 7.0), bkg="subtract", start=C3_PO),
    dict(name="3c273_tbabs_powerlaw_chi2gehrels_bkgsub", data="3c273", model="tbabs*powerlaw", build=m_tbabs_po,
         stat="chi2gehrels", band=(0.5, 7.0), bkg="subtract", start=C3_PO),
    dict(name="3c273_tbabs_powerlaw_wstat", data="3c273", model="tbabs*powerlaw", build=m_tbabs_po,
         stat="wstat", band=(0.5, 7.0), bkg="wstat", start=C3_PO),
    dict(name="3c273_tbabs_powerlaw_cstat_nobkg", data="3c273", model="tbabs*powerlaw", build=m_tbabs_po,
         stat="cstat", band=(0.5, 7.0), bkg="none", start=C3_PO),
    dict(name="3c273_tbabs_powerlaw_gaussian_cstat_nobkg", data="3c273", model="tbabs*(powerlaw+gaussian)",
         build=m_tbabs_po_ga, stat="cstat", band=(0.5, 7.0), bkg="none",
         start={"tbabs.nH": 0.05, "powerlaw.PhoIndex": 1.7, "powerlaw.norm": 1e-3, "gaussian.LineE": 6.4,
                "gaussian.Sigma": 0.1, "gaussian.norm": 1e-6},
         frozen=["gaussian.LineE", "gaussian.Sigma"]),
]


def f(x):
    """JSON-safe float (None for None/NaN)."""
    if x is None:
        return None
    x = float(x)
    return None if not np.isfinite(x) else x


def flist(a):
    return [f(v) for v in np.asarray(a, dtype=float).ravel()]


def load(dsname, bkg_mode):
    ui.clean()
    ui.set_rng(np.random.default_rng(SEED))
    d = DATASETS[dsname]
    ui.load_pha(1, os.path.join(SPEC, d["pha"]))
    data = ui.get_data(1)
    # explicit responses (the pn RESPFILE names a path that does not exist)
    ui.load_arf(1, os.path.join(SPEC, d["arf"]))
    ui.load_rmf(1, os.path.join(SPEC, d["rmf"]))
    if d["bkg"] is not None and bkg_mode == "none":
        for bid in list(data.background_ids):
            data.delete_background(bid)
    if bkg_mode == "subtract":
        ui.subtract(1)
    return data


def set_params(src_comps, values, frozen=()):
    for key, val in values.items():
        comp, par = key.split(".")
        p = getattr(src_comps[comp], par)
        p.val = val
        p.frozen = key in frozen


def par_table(src_comps):
    out = []
    for cname, c in src_comps.items():
        for p in c.pars:
            out.append(dict(name=f"{cname}.{p.name}", component=cname, par=p.name, value=f(p.val),
                            min=f(p.hard_min), max=f(p.hard_max), frozen=bool(p.frozen)))
    return out


def noticed_groups(data):
    ch = np.asarray(data.channel, dtype=float)
    rmf = ui.get_rmf(1)
    ch_lo = data.apply_filter(ch, data._min)
    ch_hi = data.apply_filter(ch, data._max)
    elo_all, ehi_all = data._get_ebins(group=data.grouped)
    mask = data.get_mask() if data.grouped else data.mask
    # group index (0-based) among the quality-filtered groups
    if data.grouped:
        gmask = np.asarray(data.mask, dtype=bool) if data.mask is not True else np.ones(len(elo_all), bool)
    else:
        gmask = np.asarray(data.mask, dtype=bool)
    idx = np.nonzero(gmask)[0]
    return dict(first_channel=[int(v) for v in ch_lo], last_channel=[int(v) for v in ch_hi],
                e_min=flist(elo_all[gmask]), e_max=flist(ehi_all[gmask]), group_index=[int(i) for i in idx],
                n_groups_total_after_quality=int(len(elo_all)), rmf_offset=int(rmf.offset),
                n_channels_noticed=int(np.sum(mask)) if mask is not None else None)


def wstat_inputs(data):
    """The arrays Sherpa's WStat.calc_stat passes to calc_wstat_stat (see SHERPA-NOTES.md)."""
    bset = data.get_background(data.background_ids[0])
    dummy = np.ones(data.get_dep(False).size)
    bcounts = data.apply_filter(bset.get_dep(False), groupfunc=np.sum)
    src_bs = data.apply_filter(data.backscal * dummy, groupfunc=data._middle)
    bkg_bs = data.apply_filter(bset.backscal * dummy, groupfunc=data._middle)
    src_as = data.apply_filter((data.areascal if data.areascal is not None else 1.0) * dummy,
                               groupfunc=data._middle)
    bkg_as = data.apply_filter((bset.areascal if bset.areascal is not None else 1.0) * dummy,
                               groupfunc=data._middle)
    return dict(bkg_counts=bcounts, backscale_ratio=bkg_bs / src_bs,
                t_src=data.exposure * src_as, t_bkg=bset.exposure * bkg_as)


def wstat_bins(S, m_counts, B, t_s, t_b, ratio):
    """XSPEC Appendix B W-statistic per bin (my implementation, to check Sherpa's)."""
    tb = t_b * ratio          # background exposure scaled to the source area
    mr = m_counts / t_s       # model rate
    out = np.zeros_like(S)
    for i in range(S.size):
        s, b, m, ts, tbb = S[i], B[i], mr[i], t_s[i], tb[i]
        if s == 0:
            out[i] = ts * m - b * np.log(tbb / (ts + tbb))
        elif b == 0:
            if m <= s / (ts + tbb):
                out[i] = -tbb * m - s * np.log(ts / (ts + tbb))
            else:
                out[i] = ts * m + s * (np.log(s) - np.log(ts * m) - 1)
        else:
            a = ts + tbb
            d = np.sqrt((a * m - s - b) ** 2 + 4 * a * b * m)
            fi = (s + b - a * m + d) / (2 * a)
            out[i] = (ts * m + a * fi - s * np.log(ts * m + ts * fi) - b * np.log(tbb * fi)
                      - s * (1 - np.log(s)) - b * (1 - np.log(b)))
    return 2 * out


def stat_details(case, data):
    """Per-group data, model counts, errors and stat contributions at the current parameters."""
    model = ui.get_model(1)
    m = data.eval_model_to_fit(model)
    out = dict(stat=f(ui.calc_stat(1)), model_counts=flist(m))
    if case["stat"] == "wstat":
        w = wstat_inputs(data)
        S = data.get_dep(True)
        out.update(src_counts=flist(S), bkg_counts=flist(w["bkg_counts"]),
                   backscale_ratio=flist(w["backscale_ratio"]), t_src=flist(w["t_src"]),
                   t_bkg=flist(w["t_bkg"]))
        contrib = wstat_bins(S, m, w["bkg_counts"], w["t_src"], w["t_bkg"], w["backscale_ratio"])
    elif case["stat"] == "cstat":
        dd = data.get_dep(True)
        mm = np.maximum(m, 1e-25)
        contrib = np.where(dd > 0, 2 * (mm - dd + dd * np.log(np.where(dd > 0, dd, 1) / mm)), 2 * mm)
        out["counts"] = flist(dd)
    else:
        dd = data.get_dep(True)
        err = ui.get_staterror(1, filter=True)
        contrib = ((dd - m) / err) ** 2
        out.update(counts=flist(dd), staterror=flist(err), chisqr_sherpa=flist(ui.calc_chisqr(1)))
        if data.subtracted:
            b = data.get_background(1)
            out["src_counts"] = flist(data.apply_filter(data.counts))
            out["bkg_counts"] = flist(data.apply_filter(b.counts))
            out["bkg_scale"] = f(data.get_background_scale(1))
    out["stat_per_group_recomputed"] = flist(contrib)
    out["stat_recomputed"] = f(np.sum(contrib))
    return out


def do_fit():
    ui.fit(1)
    r = ui.get_fit_results()
    return r


def fit_best(case, src_comps):
    """levmar from the start, then neldermead from levmar's optimum and from the start; keep the best."""
    runs = {}
    set_params(src_comps, case["start"], case.get("frozen", ()))
    ui.set_method("levmar")
    t0 = time.perf_counter()
    r = do_fit()
    runs["levmar"] = dict(stat=f(r.statval), nfev=int(r.nfev), seconds=time.perf_counter() - t0,
                          pars=flist(r.parvals))
    lm_pars = np.array(r.parvals)
    ui.set_method("neldermead")
    t0 = time.perf_counter()
    r = do_fit()
    runs["neldermead_after_levmar"] = dict(stat=f(r.statval), nfev=int(r.nfev),
                                           seconds=time.perf_counter() - t0, pars=flist(r.parvals))
    nm_pars = np.array(r.parvals)
    set_params(src_comps, case["start"], case.get("frozen", ()))
    t0 = time.perf_counter()
    r = do_fit()
    runs["neldermead_from_start"] = dict(stat=f(r.statval), nfev=int(r.nfev),
                                         seconds=time.perf_counter() - t0, pars=flist(r.parvals))
    allpars = {"levmar": lm_pars, "neldermead_after_levmar": nm_pars,
               "neldermead_from_start": np.array(r.parvals)}
    for k, alt in enumerate(case.get("alt_starts", [])):
        start = dict(case["start"], **alt)
        set_params(src_comps, start, case.get("frozen", ()))
        ui.set_method("levmar")
        t0 = time.perf_counter()
        r = do_fit()
        ui.set_method("neldermead")
        r = do_fit()
        key = f"alt_start_{k}_levmar_then_neldermead"
        runs[key] = dict(start=alt, stat=f(r.statval), seconds=time.perf_counter() - t0, pars=flist(r.parvals))
        allpars[key] = np.array(r.parvals)
    best = min(runs, key=lambda k: runs[k]["stat"])
    best_pars = allpars[best]
    mdl = ui.get_model(1)
    mdl.thawedpars = list(best_pars)
    # polish: one more levmar from the best point gives sherpa's fit-result record (dof, rstat, qval)
    ui.set_method("levmar")
    r = do_fit()
    if r.statval > runs[best]["stat"]:
        mdl.thawedpars = list(best_pars)
    ui.set_method("levmar")
    return runs, best


def errors(src_comps):
    out = {}
    ui.covar(1)
    cr = ui.get_covar_results()
    out["covar"] = dict(parnames=list(cr.parnames), sigma_plus=flist([np.nan if v is None else v for v in cr.parmaxes]),
                        sigma_minus=flist([np.nan if v is None else v for v in cr.parmins]),
                        matrix=[flist(row) for row in np.asarray(cr.extra_output)])
    for label, sigma in [("conf_1sigma", 1.0), ("conf_90", 1.6449)]:
        ui.set_conf_opt("sigma", sigma)
        ui.set_conf_opt("numcores", 1)
        ui.set_conf_opt("max_rstat", 1e9)  # some pn fits are poor (rstat > 3); compute the limits anyway
        ui.conf(1)
        c = ui.get_conf_results()
        rows = []
        for name, val, lo, hi in zip(c.parnames, c.parvals, c.parmins, c.parmaxes):
            rows.append(dict(name=name, value=f(val), lower_delta=f(lo), upper_delta=f(hi),
                             lower=None if lo is None else f(val + lo), upper=None if hi is None else f(val + hi),
                             lower_is_limit=lo is None, upper_is_limit=hi is None))
        # Sherpa reports None for a limit when the profile hits a hard parameter limit
        out[label] = dict(sigma=sigma, delta_stat=sigma ** 2, params=rows)
    ui.set_conf_opt("sigma", 1.0)
    return out


def fluxes(src, unabs):
    out = []
    for lo, hi in FLUX_BANDS:
        out.append(dict(lo=lo, hi=hi,
                        energy_absorbed=f(ui.calc_energy_flux(lo, hi, 1, model=src)),
                        energy_unabsorbed=f(ui.calc_energy_flux(lo, hi, 1, model=unabs)),
                        photon_absorbed=f(ui.calc_photon_flux(lo, hi, 1, model=src)),
                        photon_unabsorbed=f(ui.calc_photon_flux(lo, hi, 1, model=unabs))))
    return out


def sampled_fluxes(unabs):
    """sample_flux errors: correlated draws from the covariance; if the covariance matrix is not positive
    definite, fall back to uncorrelated draws (the covar sigmas), and say so."""
    out = []
    for lo, hi in FLUX_BANDS[:2]:
        for correlated in (True, False):
            ui.set_rng(np.random.default_rng(SEED))
            try:
                res = ui.sample_flux(unabs, lo, hi, 1, num=NSAMPLE, correlated=correlated, confidence=68.27)
            except Exception as exc:  # noqa: BLE001 - record Sherpa's refusal
                out.append(dict(lo=lo, hi=hi, n=NSAMPLE, correlated=correlated, error=f"{type(exc).__name__}: {exc}"))
                continue
            out.append(dict(lo=lo, hi=hi, n=NSAMPLE, correlated=correlated, confidence=68.27, seed=SEED,
                            absorbed_median_upper_lower=flist(res[0]),
                            unabsorbed_median_upper_lower=flist(res[1])))
            break
    return out


def run_case(case):
    t_start = time.perf_counter()
    data = load(case["data"], case["bkg"])
    src, unabs, src_comps = case["build"]()
    ui.set_source(1, src)
    ui.set_stat(case["stat"])
    ui.ignore_bad(1)
    ui.notice(*case["band"])
    set_params(src_comps, case["start"], case.get("frozen", ()))
    res = dict(case=case["name"], data=DATASETS[case["data"]], model=case["model"], statistic=case["stat"],
               band_kev=list(case["band"]), background=case["bkg"],
               grouping="file GROUPING column, QUALITY != 0 channels ignored (ignore_bad) before notice",
               exposure=f(data.exposure), frozen=list(case.get("frozen", [])))
    res["noticed"] = noticed_groups(data)
    res["at_start"] = dict(params=par_table(src_comps), **stat_details(case, data))
    runs, best = fit_best(case, src_comps)
    fr = ui.get_fit_results()
    stat_at_best = ui.calc_stat(1)
    res["fit"] = dict(runs=runs, best_method=best, stat=f(stat_at_best), dof=int(fr.dof), rstat=f(fr.rstat),
                      qval=f(fr.qval), params=par_table(src_comps))
    res["at_best"] = stat_details(case, data)
    try:
        res["errors"] = errors(src_comps)
    except Exception as exc:  # noqa: BLE001
        res["errors"] = dict(error=f"{type(exc).__name__}: {exc}")
    # restore the best fit (conf can move parameters if it finds a better minimum)
    res["flux"] = fluxes(src, unabs)
    res["flux_samples"] = sampled_fluxes(unabs)
    res["charge_e_keV_to_erg"] = float(charge_e)
    res["seconds"] = time.perf_counter() - t_start
    return res


def fold_oracle(dsname):
    data = load(dsname, "none")
    data.ungroup()
    ui.notice()
    src, _, c = m_tbabs_po()
    ui.set_source(1, src)
    set_params(c, {"tbabs.nH": 0.1, "powerlaw.PhoIndex": 2.0, "powerlaw.norm": 1e-3})
    counts = data.eval_model(ui.get_model(1))
    arf = ui.get_arf(1)
    photons = src(arf.energ_lo, arf.energ_hi)
    rmf = ui.get_rmf(1)
    return dict(response=dsname, model="tbabs*powerlaw", params={"nH": 0.1, "PhoIndex": 2.0, "norm": 1e-3},
                exposure=f(data.exposure), areascal=f(data.areascal), rmf_offset=int(rmf.offset),
                first_channel=int(data.channel[0]), n_channels=int(len(counts)),
                note="counts = EXPOSURE*AREASCAL*RMF(ARF*model); rate = counts/EXPOSURE/AREASCAL; "
                     "channels in order starting at first_channel; model_photons on the ARF/RMF energy grid",
                counts=flist(counts), model_photons=flist(photons),
                energ_lo_first_last=[f(arf.energ_lo[0]), f(arf.energ_lo[-1])])


def dump(name, obj):
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as fh:
        json.dump(obj, fh, separators=(",", ":"))
    return os.path.getsize(path)


def summary_line(r):
    ps = ", ".join(f"{p['name']}={p['value']:.6g}" for p in r["fit"]["params"] if not p["frozen"])
    return (f"{r['case']}: groups={len(r['noticed']['first_channel'])} "
            f"[{r['noticed']['first_channel'][0]}..{r['noticed']['last_channel'][-1]}] "
            f"stat_start={r['at_start']['stat']:.8g} best={r['fit']['stat']:.10g} ({r['fit']['best_method']}) "
            f"dof={r['fit']['dof']} rstat={r['fit']['rstat']:.6g} qval={r['fit']['qval']} | {ps} | "
            f"Fabs(0.2-12)={r['flux'][0]['energy_absorbed']:.6e} Funabs(0.2-12)={r['flux'][0]['energy_unabsorbed']:.6e}"
            f" Fabs(2-10)={r['flux'][1]['energy_absorbed']:.6e} [{r['seconds']:.1f} s]")


def main():
    os.makedirs(OUT, exist_ok=True)
    print(f"python {platform.python_version()}  sherpa {sherpa.__version__}  numpy {np.__version__}  "
          f"astropy {astropy.__version__}  platform {platform.platform()}")
    print(f"seed {SEED}  sample_flux N = {NSAMPLE} (correlated=True)  charge_e = {charge_e!r}")
    only = sys.argv[1:]
    for ds in ["pn", "3c273"]:
        if only and f"fold_{ds}" not in only:
            continue
        fo = fold_oracle(ds)
        size = dump(f"fold_{ds}", fo)
        print(f"fold_{ds}: {fo['n_channels']} channels, total counts {sum(fo['counts']):.10g}, {size} bytes")
    for case in CASES:
        if only and case["name"] not in only:
            continue
        r = run_case(case)
        size = dump(case["name"], r)
        print(summary_line(r) + f" {size} bytes")
        for key in ("conf_1sigma", "conf_90"):
            if key in r["errors"]:
                c = r["errors"][key]["params"]
                print(f"    {key}: " + "; ".join(f"{p['name']} [{p['lower']}, {p['upper']}]" for p in c))
            else:
                print(f"    {key}: {r['errors'].get('error')}")
        print("    covar sigma: " + (", ".join(f"{n} {v}" for n, v in zip(r["errors"]["covar"]["parnames"],
                                                              r["errors"]["covar"]["sigma_plus"]))
                                     if "covar" in r["errors"] else "n/a"))
        for fs in r["flux_samples"]:
            print(f"    sample_flux {fs['lo']}-{fs['hi']} correlated={fs['correlated']}: "
                  f"{fs.get('unabsorbed_median_upper_lower', fs.get('error'))}")
        print("    stat recomputed from per-group arrays at start: "
              f"{r['at_start']['stat_recomputed']:.10g} (sherpa {r['at_start']['stat']:.10g})")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
