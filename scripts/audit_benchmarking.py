"""Independent check of benchmarking: neighbours, comparators, ranks, quartiles, flags.

Recomputes, WITHOUT importing cscwatch, what the product derives to compare authorities
(docs/methods/benchmarking.md) and compares it with what users are given:

1. every authority's statistical neighbours (the warehouse's ``statistical_neighbour``,
   the model the product uses) against DfE's files in the snapshot: the 2025 model
   (``sn_model_2025_wide.csv``), the April 2021 groupings for authorities not in it;
2. every row of the ``benchmark`` table (every indicator, authority and year): England,
   region, the neighbours' mean and median and count, rank "k of n", quartiles, the
   random-effects tau², the 99.8% limits (default and chance), the flags and the
   small-denominator marks, recomputed with pandas from the warehouse's ``observation``
   values by the formulas the methods page states;
3. a seeded random sample of 30 (indicator, authority, year) from the 15 indicators
   with limits whose figures come from the tidy CIN, child protection and looked-after
   files, plus one for each reorganised or small authority and 5 suppressed figures,
   recomputed from the raw published CSVs alone (those files and the ONS population,
   every authority of that indicator-year: value, denominator, England, region,
   neighbours' mean/median/count, rank, n, quartile and its label, both flags, the
   default limits, the trend's words) and compared with ``cscwatch profile --format
   json`` (what the CLI gives users); with ``--api URL`` (a running ``cscwatch serve``)
   also with the API's benchmark and series for the same figure;
4. no area ranked twice in a year (a successor and its predecessor);
5. ``cscwatch show IND --format json`` for every indicator with limits, latest year:
   a flag's meaning follows the indicator's polarity (docs/indicators.md) and no
   figure without a value is flagged;
6. notes: neighbours' means over fewer than 10 neighbours (documented), and figures the
   publisher gives under a former authority's number after its abolition (at source;
   step 2 recomputes them by the rule: unranked under the former number, ranked as the
   successor's or the successors' joint service's where ``GIVEN`` says whose).

Run after ``make demo`` (reads ``--warehouse``, else ``CSCWATCH_WAREHOUSE`` or the
default warehouse, read only; about 75 CPU-s, most of it step 2). Prints a summary;
exits 0 when there is no unexplained difference (a "?" line or an "(a)" defect). A
warehouse that is missing or not cscwatch's is said in one line, exit code 2.

Usage: ``python scripts/audit_benchmarking.py [--warehouse FILE] [--sample 30] [--seed 20261203]
[--api http://127.0.0.1:8847] [--skip-table]``
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a file or imported by a test
from _audit_inputs import default_warehouse, open_warehouse, run

ROOT = Path(__file__).resolve().parents[1]
SNAP = ROOT / "data" / "snapshot"
ENGLAND = "E92000001"
LONDON = "E12000007"
SMALL = {"201", "420"}  # City of London, Isles of Scilly (methods page: not ranked)
Z998 = 3.090232306167813
Z95 = 1.959963984540054
REL = 1e-9  # floating-point tolerance (relative)


#: The fields of the between-authority limits and the flags made from them.
LIMIT_FIELDS = (
    "tau2",
    "lower998",
    "upper998",
    "lower998_od",
    "upper998_od",
    "flag",
    "chance_flag",
    "approximate",
)


def _close(a: object, b: object, rel: float = REL) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or (isinstance(a, float) and math.isnan(a))) and (
            b is None or (isinstance(b, float) and math.isnan(b))
        )
    if isinstance(a, str) or isinstance(b, str) or isinstance(a, bool):
        return a == b
    fa, fb = float(a), float(b)  # type: ignore[arg-type]
    if math.isinf(fa) or math.isinf(fb):
        return fa == fb
    return abs(fa - fb) <= rel * max(1.0, abs(fa), abs(fb))


# ---------------------------------------------------------------------------
# 1. Statistical neighbours, straight from DfE's files
# ---------------------------------------------------------------------------


def raw_neighbours() -> tuple[dict[str, list[str]], dict[str, str]]:
    """{la: [10 neighbours in rank order]} and {la: model}: the 2025 model, the April
    2021 groupings for authorities absent from it."""
    out: dict[str, list[str]] = {}
    model: dict[str, str] = {}
    with (SNAP / "sn_model_2025_wide.csv").open(encoding="utf-8-sig", newline="") as fh:
        for rec in csv.DictReader(fh):
            la = rec["old_la_code"].strip()
            out[la] = [rec[f"SN_{k}"].strip() for k in range(1, 11)]
            model[la] = "2025"
    path = SNAP / "New_Statistical_Neighbour_Groupings_April_2021.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for rec in rows[1:]:
        if not rec or not rec[0].strip().isdigit():
            continue
        la = rec[0].strip()
        if la in out:
            continue
        out[la] = [rec[5 + 2 * k].strip() for k in range(10)]
        model[la] = "2021"
    return out, model


def check_neighbours(
    con: duckdb.DuckDBPyConnection, counts: Counter[str], report: list[str]
) -> None:
    nb, model = raw_neighbours()
    rows = con.execute(
        "SELECT la_code, neighbour, rank, model FROM statistical_neighbour s WHERE model = "
        "(SELECT max(model) FROM statistical_neighbour t WHERE t.la_code = s.la_code) "
        "ORDER BY la_code, rank"
    ).fetchall()
    got: dict[str, list[str]] = defaultdict(list)
    gmodel: dict[str, str] = {}
    for la, n, _rank, m in rows:
        got[la].append(n)
        gmodel[la] = m
    for la in sorted(set(nb) | set(got)):
        counts["neighbours.compared"] += 1
        if got.get(la) == nb.get(la) and gmodel.get(la) == model.get(la):
            counts["neighbours.equal"] += 1
        else:
            counts["neighbours.defect"] += 1
            report.append(
                f"(a) neighbours of {la}: ours {got.get(la)} ({gmodel.get(la)}), "
                f"DfE {nb.get(la)} ({model.get(la)})"
            )


# ---------------------------------------------------------------------------
# 2. The benchmark table recomputed from observation values
# ---------------------------------------------------------------------------


def _polarities() -> dict[str, str]:
    """Each indicator's polarity as docs/indicators.md states it."""
    text = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    out = {}
    for m in re.finditer(r"^### `([a-z0-9_]+)`.*?\*\*polarity:\*\* (\w+)", text, re.M | re.S):
        out[m.group(1)] = m.group(2)
    return out


def _tau2(dev: np.ndarray, svar: np.ndarray) -> float:
    """DerSimonian–Laird tau² from z-scores winsorised at their 10th and 90th percentiles
    (a value of the sample: the discrete percentile)."""
    k = len(dev)
    if k < 10:
        return 0.0
    z = dev / np.sqrt(svar)
    lo = np.quantile(z, 0.1, method="inverted_cdf")
    hi = np.quantile(z, 0.9, method="inverted_cdf")
    phi = float(np.mean(np.clip(z, lo, hi) ** 2))
    if k * phi <= k - 1:
        return 0.0
    w = 1 / svar
    return (k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum())


def derive(
    la: pd.DataFrame,
    england: float | None,
    regional: dict[str, float | None],
    neighbours: dict[str, list[str]],
    kind: str | None,
    restated: frozenset[str] = frozenset(),
    ceased: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Every comparator for one indicator and year.

    ``la``: columns la_code, value (NaN where missing), denominator, region_code, joint
    (the service's key: its own code, or the lowest code of a joint return).
    ``ceased``: former authorities whose figure is for a year after they ceased: in no
    rank, quartile, tau², limits or neighbours' mean (methods page, rank).
    """
    la = la.copy().set_index("la_code", drop=False)
    small = la.la_code.isin(SMALL)
    # one area once: a successor's restated figure for a year before it existed, when
    # its predecessors have figures that year, is not ranked (methods page, rank)
    gone = la.la_code.isin(restated) | la.la_code.isin(ceased)
    ok = la[la.value.notna() & ~small & (la.joint == la.la_code) & ~gone]
    n = len(ok)
    vals = ok.value.to_numpy(dtype=float)
    q1, q2, q3 = (np.quantile(vals, q) if n else np.nan for q in (0.25, 0.5, 0.75))
    svc_rank = {c: 1 + int((vals > v).sum()) for c, v in zip(ok.la_code, vals, strict=True)}
    out = pd.DataFrame(index=la.index)
    out["england"] = england
    out["region"] = [regional.get(r) for r in la.region_code]
    value_of = la.value.to_dict()
    sn_vals = [
        [
            value_of[c]
            for c in neighbours.get(code, [])
            if c in value_of and not pd.isna(value_of[c]) and c not in ceased
        ]
        for code in la.la_code
    ]
    out["sn_mean"] = [float(np.mean(v)) if v else None for v in sn_vals]
    out["sn_median"] = [float(np.median(v)) if v else None for v in sn_vals]
    out["sn_n"] = [len(v) for v in sn_vals]
    ranked = la.value.notna() & ~small & ~gone
    out["rank"] = [svc_rank.get(j) if r else None for j, r in zip(la.joint, ranked, strict=True)]
    out["n_ranked"] = n if n else None
    out["q1"], out["q2"], out["q3"] = (q1 if n else None), (q2 if n else None), (q3 if n else None)

    def quart(v: float, r: object) -> int | None:
        if r is None or pd.isna(r):
            return None
        return 1 if v <= q1 else 2 if v <= q2 else 3 if v <= q3 else 4

    out["quartile"] = [quart(v, r) for v, r in zip(la.value, out["rank"], strict=True)]
    out["small_denominator"] = small | (
        (kind == "percent") & la.denominator.notna() & (la.denominator < 30)
    )
    for c in LIMIT_FIELDS:
        out[c] = None
    out["approximate"] = False
    if kind is None or england is None or pd.isna(england) or england <= 0:
        return out
    p0 = england
    den = la.denominator
    has = den.notna() & (den > 0) & ~la.la_code.isin(ceased)
    if kind == "percent":
        var = (p0 / 100) * (1 - p0 / 100) / den * 10000
        svar = var
        dev = la.value - p0
        expected = p0 / 100 * den
    else:
        var = p0 * 10000 / den
        svar = 10000 / (p0 * den)
        dev = np.log(la.value.where(la.value > 0) / p0)
        expected = p0 * den / 10000
    # tau² over one row per service, the small authorities left out
    est = has & la.value.notna() & ~small & (la.joint == la.la_code) & dev.notna() & (svar > 0)
    tau2 = _tau2(dev[est].to_numpy(float), svar[est].to_numpy(float))
    cap = 100.0 if kind == "percent" else math.inf
    lo = (p0 - Z998 * np.sqrt(var)).clip(lower=0)
    hi = (p0 + Z998 * np.sqrt(var)).clip(upper=cap)
    sd = np.sqrt(svar + tau2)
    if kind == "percent":
        lo_od, hi_od = (p0 - Z998 * sd).clip(lower=0), (p0 + Z998 * sd).clip(upper=cap)
    else:
        lo_od, hi_od = p0 * np.exp(-Z998 * sd), p0 * np.exp(Z998 * sd)

    def flag(v: float, a: float, b: float) -> str | None:
        if pd.isna(v):
            return None
        return "higher" if v > b else "lower" if v < a else "within"

    for c, s in (
        ("lower998", lo),
        ("upper998", hi),
        ("lower998_od", lo_od),
        ("upper998_od", hi_od),
    ):
        out[c] = s.where(has)
    out["tau2"] = [tau2 if h else None for h in has]
    # a zero rate (no logarithm) is lower only where chance alone makes no event
    # implausible (Poisson exp(-expected) < 0.1%) and half an event is below the limit
    vflag = la.value.copy()
    if kind == "per_10k":
        zero = la.value == 0
        plausible = zero & ~((expected > math.log(1000)) & (5000 / den < lo_od))
        vflag = vflag.where(~zero, np.where(plausible, p0, 5000 / den))
    out["flag"] = [
        flag(v, a, b) if h else None for v, a, b, h in zip(vflag, lo_od, hi_od, has, strict=True)
    ]
    out["chance_flag"] = [
        flag(v, a, b) if h else None for v, a, b, h in zip(la.value, lo, hi, has, strict=True)
    ]
    out["approximate"] = (expected < 10) & has
    return out


FIELDS = (
    "england",
    "region",
    "sn_mean",
    "sn_median",
    "sn_n",
    "rank",
    "n_ranked",
    "q1",
    "q2",
    "q3",
    "quartile",
    *LIMIT_FIELDS,
    "small_denominator",
)


def _funnel_kinds(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Which indicators have limits, by unit and derivation as docs/indicators.md states
    (a percentage or rate per 10,000 with a count denominator) — cross-checked against
    the table's own funnel_kind."""
    text = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    out = {}
    for m in re.finditer(r"^### `([a-z0-9_]+)`(.*?)(?=^### |\Z)", text, re.M | re.S):
        body = m.group(2)
        unit = re.search(r"\*\*Unit:\*\* (\w+)", body)
        den = re.search(r"\*\*Denominator:\*\* (.*)", body)
        comp = re.search(r"\*\*Computed as:\*\* (.*)", body)
        if not unit or not den or not comp or den.group(1).strip() == "—":
            continue
        c = comp.group(1)
        if "LAIT" in c.split(";")[0]:
            continue  # lait_per quotients (one LAIT amount over another figure)
        if unit.group(1) == "percent" and "÷" in c:
            out[m.group(1)] = "percent"
        elif unit.group(1) == "per_10k" and "× 10,000 ÷ population" in c:
            out[m.group(1)] = "per_10k"
    return out


def check_table(con: duckdb.DuckDBPyConnection, counts: Counter[str], report: list[str]) -> None:
    nb, _ = raw_neighbours()
    kinds = _funnel_kinds(con)
    table_kinds = dict(
        con.execute(
            "SELECT DISTINCT indicator, funnel_kind FROM benchmark WHERE funnel_kind IS NOT NULL"
        ).fetchall()
    )
    for ind in sorted(set(kinds) | set(table_kinds)):
        counts["funnel_kind.compared"] += 1
        if kinds.get(ind) == table_kinds.get(ind):
            counts["funnel_kind.equal"] += 1
        else:
            counts["funnel_kind.defect"] += 1
            report.append(
                f"(a) {ind}: limits of kind {table_kinds.get(ind)}, docs say {kinds.get(ind)}"
            )
    obs = con.execute(
        "SELECT o.indicator, o.geo_level, o.geo_code, o.year, o.value, o.denominator, o.method, "
        "a.region_code FROM observation o LEFT JOIN authority a ON a.la_code = o.geo_code "
        "AND o.geo_level = 'la' WHERE NOT o.provisional"
    ).df()
    bench = con.execute(
        f"SELECT indicator, la_code, year, {', '.join(FIELDS)} FROM benchmark WHERE NOT provisional"
    ).df()
    bench = bench.set_index(["indicator", "year", "la_code"]).sort_index()
    la_all = obs[obs.geo_level == "la"]
    nat = obs[obs.geo_level == "national"].set_index(["indicator", "year"]).value.to_dict()
    reg = obs[obs.geo_level == "regional"]
    regd: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for r in reg.itertuples():
        regd[(r.indicator, r.year)][r.geo_code] = r.value
    parts = []
    for (ind, year), g in la_all.groupby(["indicator", "year"], sort=True):
        g = g.rename(columns={"geo_code": "la_code"})
        # joint returns: shared rows of the same indicator, year, region and value
        joint = g.la_code.copy()
        sh = g[g.method == "shared"]
        for _, grp in sh.groupby(["region_code", "value"], dropna=False):
            if len(grp) > 1:
                joint[grp.index] = min(grp.la_code)
        g = g.assign(joint=joint.values)
        g, ceased = _former_figures(g, ind, year)
        e = nat.get((ind, year))
        mine = derive(
            g[["la_code", "value", "denominator", "region_code", "joint"]],
            e,
            regd.get((ind, year), {}),
            nb,
            kinds.get(ind),
            _restated(g, year),
            ceased,
        )
        mine["indicator"], mine["year"] = ind, year
        parts.append(mine)
    mine_all = pd.concat(parts).reset_index().set_index(["indicator", "year", "la_code"])
    both = mine_all.add_suffix("_re").join(bench.add_suffix("_ours"), how="outer")
    for f in FIELDS:
        a = both[f + "_re"]
        b = both[f + "_ours"]
        if f in ("flag", "chance_flag"):
            eq = (a.fillna("-").astype(str) == b.fillna("-").astype(str)).to_numpy()
        else:
            fa = pd.to_numeric(a.astype(object).where(a.notna(), np.nan), errors="coerce").astype(
                float
            )
            fb = pd.to_numeric(b.astype(object).where(b.notna(), np.nan), errors="coerce").astype(
                float
            )
            fa, fb = fa.to_numpy(), fb.to_numpy()
            both_nan = np.isnan(fa) & np.isnan(fb)
            with np.errstate(invalid="ignore"):
                eq = (
                    both_nan
                    | (fa == fb)
                    | (np.abs(fa - fb) <= REL * np.maximum(1.0, np.maximum(np.abs(fa), np.abs(fb))))
                )
        counts["table.compared"] += len(eq)
        counts["table.equal"] += int(eq.sum())
        bad = both[~eq]
        if len(bad):
            counts[f"table.{f}"] += len(bad)
            for key, r in bad.head(5).iterrows():
                report.append(f"? {key} {f}: ours {r[f + '_ours']}, recomputed {r[f + '_re']}")
    DIFFS["table"] = both


DIFFS: dict[str, pd.DataFrame] = {}


# ---------------------------------------------------------------------------
# 3. A seeded sample recomputed from the raw published files alone
# ---------------------------------------------------------------------------

_C1 = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
_B1 = "b1_children_in_need_2013_to_2025.csv"
_D3 = "d3_cpps_subsequent_plan_2013_to_2025.csv"
_D5 = "d5_cpps_at31march_by_duration_2013_to_2025.csv"
_CLA = "cla_number_and_rate_per_10k_children.csv"
#: indicator: (file, numerator, denominator column or None for a rate per 10,000 of
#: children 0-17, the publisher's own figure used where given, a filter on the rows)
RAW: dict[str, tuple[str, str, str | None, str | None, tuple[str, str] | None]] = {
    "referrals_per_10k": (_C1, "referral_count", None, None, None),
    "rereferrals_pct": (_C1, "rereferral_count", "referral_count", "rereferral_percent", None),
    "nfa_pct": (
        _C1,
        "no_further_action_count",
        "referral_count",
        "no_further_action_percent",
        None,
    ),
    "assessed_not_in_need_pct": (
        _C1,
        "not_in_need_count",
        "referral_count",
        "not_in_need_percent",
        None,
    ),
    "cin_episodes_per_10k": (_B1, "Anypoint_episodes", None, None, None),
    "cin_starts_per_10k": (_B1, "Started_episodes", None, None, None),
    "cin_at31_per_10k": (_B1, "At31_episodes", None, None, None),
    "cpp_starts_per_10k": (_D3, "CPP_start", None, None, None),
    "repeat_cpp_pct": (_D3, "CPP_subsequent", "CPP_start", "CPP_subsequent_percent", None),
    "cpp_at31_per_10k": (_D5, "CPP_At31", None, None, None),
    "cpp_3months_or_less_pct": (
        _D5,
        "3_months_or_less",
        "CPP_At31",
        "3_months_or_less_percent",
        None,
    ),
    "cpp_2yrs_plus_pct": (_D5, "2_years_or_more", "CPP_At31", "2_years_or_more_percent", None),
    "lac_at31_per_10k": (
        _CLA,
        "children_count",
        None,
        "rate_per_10000",
        ("population_type", "Children looked after on 31 March each year"),
    ),
    "lac_starts_per_10k": (
        _CLA,
        "children_count",
        None,
        "rate_per_10000",
        ("population_type", "Children starting to be looked after each year"),
    ),
    "lac_ceased_per_10k": (
        _CLA,
        "children_count",
        None,
        "rate_per_10000",
        ("population_type", "Children ceasing to be looked after each year"),
    ),
}
#: The publisher's symbols for a suppressed or missing figure: never a number.
SYMBOLS = {"c", "x", "z", "u", "k", "low", "-", ":", ".", ""}
HARD = ("835", "836", "837", "838", "839", "928", "940", "941", "909", "942", "943", "201", "420")


def _num(v: object) -> float:
    t = str(v).strip() if v is not None and not (isinstance(v, float) and math.isnan(v)) else ""
    if t.lower() in SYMBOLS:
        return np.nan
    return float(t.replace(",", ""))


def _geo(df: pd.DataFrame) -> pd.Series:
    lvl = df.geographic_level.str.strip()
    return np.where(
        lvl == "National",
        ENGLAND,
        np.where(lvl == "Regional", df.region_code.str.strip(), df.old_la_code.str.strip()),
    )


_FILES: dict[str, pd.DataFrame] = {}


def _read(name: str) -> pd.DataFrame:
    if name not in _FILES:
        df = pd.read_csv(SNAP / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        df["geo"] = _geo(df)
        df["year"] = df.time_period.astype(int)
        _FILES[name] = df
    return _FILES[name]


def raw_values(
    ind: str, year: int
) -> tuple[pd.DataFrame, float | None, dict[str, float], dict[str, str]]:
    """Every authority's (value, denominator, region) for one indicator-year, England's
    and the regions' values, and each authority's raw symbol where suppressed."""
    fname, num, den, pub, filt = RAW[ind]
    df = _read(fname)
    df = df[df.year == year]
    if filt:
        df = df[df[filt[0]].str.strip() == filt[1]]
    pop = _read("ons_mid-year_population_estimates_2012_to_2024.csv")
    pop = pop[pop.year == year - 1].set_index("geo").population_estimate.map(_num).to_dict()
    vals, dens, syms = [], [], {}
    for r in df.to_dict("records"):
        n = _num(r[num])
        d = _num(r[den]) if den else pop.get(r["geo"], np.nan)
        p = _num(r[pub]) if pub else np.nan
        if not np.isnan(p):
            v = p
        elif den:
            v = 100 * n / d if d and d > 0 else np.nan
        else:
            v = 10000 * n / d if d and d > 0 else np.nan
        vals.append(v)
        dens.append(d)
        raw = (r[pub] if pub else r[num]).strip()
        if np.isnan(v):
            syms[r["geo"]] = raw or "(blank)"
    df = df.assign(value=vals, denominator=dens)
    nat = df[df.geographic_level.str.strip() == "National"].value
    england = float(nat.iloc[0]) if len(nat) and not np.isnan(nat.iloc[0]) else None
    regional = {
        r.geo: r.value for r in df[df.geographic_level.str.strip() == "Regional"].itertuples()
    }
    la = df[df.geographic_level.str.strip() == "Local authority"]
    region = la.region_code.str.strip().where(
        ~la.region_code.str.strip().str.startswith("E13"), LONDON
    )
    out = pd.DataFrame(
        {
            "la_code": la.geo.values,
            "value": la.value.values,
            "denominator": la.denominator.values,
            "region_code": region.values,
        }
    )
    out["joint"] = out.la_code
    return out, england, regional, syms


def check_sample(
    con: duckdb.DuckDBPyConnection,
    n: int,
    seed: int,
    counts: Counter[str],
    report: list[str],
    api: str | None = None,
) -> None:
    nb, _ = raw_neighbours()
    kinds = _funnel_kinds(con)
    pol = _polarities()
    cand = con.execute(
        "SELECT indicator, la_code, year FROM benchmark WHERE NOT provisional AND indicator IN "
        "(SELECT unnest(?)) AND (indicator NOT LIKE 'lac%' OR year >= 2021) "
        "ORDER BY indicator, la_code, year",
        [sorted(RAW)],
    ).fetchall()
    rng = random.Random(seed)
    picks = [("sample", *c) for c in rng.sample(cand, n)]
    by_la = defaultdict(list)
    for c in cand:
        by_la[c[1]].append(c)
    picks += [("hard", *rng.choice(by_la[la])) for la in HARD if by_la[la]]
    # suppressed figures: rows the publisher gives a symbol for
    supp = con.execute(
        "SELECT indicator, la_code, year FROM benchmark WHERE NOT provisional AND value IS NULL "
        "AND status IS NOT NULL AND indicator IN (SELECT unnest(?)) AND "
        "(indicator NOT LIKE 'lac%' OR year >= 2021) ORDER BY 1, 2, 3",
        [sorted(RAW)],
    ).fetchall()
    picks += [("suppressed", *c) for c in rng.sample(supp, min(5, len(supp)))]
    # figures flagged higher or lower than expected (a random sample rarely meets one)
    flagged = con.execute(
        "SELECT indicator, la_code, year FROM benchmark WHERE NOT provisional "
        "AND flag IN ('higher', 'lower') AND indicator IN (SELECT unnest(?)) AND "
        "(indicator NOT LIKE 'lac%' OR year >= 2021) ORDER BY 1, 2, 3",
        [sorted(RAW)],
    ).fetchall()
    picks += [("flagged", *c) for c in rng.sample(flagged, min(10, len(flagged)))]
    cli = ROOT / ".venv" / "bin" / "cscwatch"
    profiles: dict[tuple[str, int], dict[str, dict[str, object]]] = {}
    for tag, ind, la, year in picks:
        lad, eng, reg, syms = raw_values(ind, year)
        mine = derive(lad, eng, reg, nb, kinds.get(ind), _restated(lad, year)).loc[la]
        row = lad.set_index("la_code").loc[la]
        if (la, year) not in profiles:
            out = subprocess.run(
                [str(cli), "profile", la, "--year", str(year), "--format", "json"],
                capture_output=True,
                text=True,
                check=True,
            )
            profiles[(la, year)] = {b["indicator"]: b for b in json.loads(out.stdout)["benchmarks"]}
        b = profiles[(la, year)][ind]
        o = b["outlier"]
        ours = {
            "value": b["value"],
            "denominator": o["denominator"],
            "england": b["england"],
            "region": b["region"],
            "sn_mean": b["sn_mean"],
            "sn_median": b["sn_median"],
            "sn_n": b["sn_n"],
            "rank": b["rank"],
            "n_ranked": b["n_ranked"] or None,
            "quartile": b["quartile"],
            "flag": None if o["flag"] == "not_assessed" else o["flag"],
            "flag_lower": o["flag_lower"],
            "flag_upper": o["flag_upper"],
            "chance_flag": None if o["chance_flag"] == "not_assessed" else o["chance_flag"],
            "small_denominator": o["small_denominator"],
        }
        re_ = {
            "value": row.value,
            "denominator": row.denominator if kinds.get(ind) else ours["denominator"],
            "england": eng,
            "region": reg.get(row.region_code),
            **{
                k: mine[k]
                for k in (
                    "sn_mean",
                    "sn_median",
                    "sn_n",
                    "rank",
                    "n_ranked",
                    "quartile",
                    "flag",
                    "chance_flag",
                    "small_denominator",
                )
            },
            "flag_lower": mine["lower998_od"],
            "flag_upper": mine["upper998_od"],
        }
        if ours["flag"] is None:  # not assessed: no limits are given
            re_["denominator"] = ours["denominator"] if pd.isna(row.value) else re_["denominator"]
        diffs = []
        for k, a in re_.items():
            a = None if a is None or (isinstance(a, float) and math.isnan(a)) else a
            if isinstance(a, (np.bool_, bool)):
                a = bool(a)
            if k in ("flag_lower", "flag_upper") and ours["flag"] is None:
                a = None
            counts["sample.fields"] += 1
            if _close(a, ours[k], 1e-6):
                counts["sample.fields_equal"] += 1
            else:
                diffs.append(f"{k}: ours {ours[k]}, source {a}")
        # polarity and suppression
        meaning = o["flag_meaning"]
        want = (
            "none"
            if o["flag"] not in ("higher", "lower")
            else "no_direction"
            if pol[ind] == "neutral"
            else "better"
            if (o["flag"] == "higher") == (pol[ind] == "high_good")
            else "worse"
        )
        if meaning != want:
            diffs.append(f"flag_meaning {meaning}, polarity {pol[ind]} says {want}")
        if la in syms and o["flag"] != "not_assessed":
            diffs.append(f"suppressed ({syms[la]}) but flagged {o['flag']}")
        diffs += _check_words(ind, year, la, row.value, b, pol[ind])
        label = _period_label(ind, year)
        if b["period_label"] != label:
            diffs.append(f"period_label {b['period_label']!r}, time_period {year} is {label!r}")
        counts[f"sample.{tag}"] += 1
        if diffs:
            counts[f"sample.{tag}.different"] += 1
            report.append(f"? {tag} {ind} {la} {year}: " + "; ".join(diffs))
        else:
            counts[f"sample.{tag}.equal"] += 1
        if api:
            api_diffs = _check_api(api, ind, la, year, b)
            counts["sample.api_compared"] += 1
            if api_diffs:
                counts["sample.api_different"] += 1
                report.append(f"? API {ind} {la} {year}: " + "; ".join(api_diffs))
            else:
                counts["sample.api_equal"] += 1
        SAMPLE.append((tag, ind, la, year, ours, "; ".join(diffs)))


def _check_words(
    ind: str, year: int, la: str, value: float, b: dict[str, object], polarity: str
) -> list[str]:
    """The quartile's label and the trend's words, from the raw values and the polarity
    (methods page: best/worst only with a polarity; the one-year change is flat within
    0.5% of last year's value, else up/down, improving/worsening by the polarity)."""
    out = []
    q = b["quartile"]
    base = {1: "lowest quarter", 2: "second quarter", 3: "third quarter", 4: "highest quarter"}
    want = None
    if isinstance(q, int):
        best, worst = (4, 1) if polarity == "high_good" else (1, 4)
        want = base[q] + (
            ""
            if polarity == "neutral"
            else " (best)"
            if q == best
            else " (worst)"
            if q == worst
            else ""
        )
    if b["quartile_label"] != want:
        out.append(f"quartile_label {b['quartile_label']!r}, expected {want!r}")
    prev_df, *_ = raw_values(ind, year - 1) if year - 1 >= _first_year(ind) else (None,)
    prev = None
    if prev_df is not None:
        hit = prev_df[prev_df.la_code == la]
        prev = None if hit.empty or pd.isna(hit.value.iloc[0]) else float(hit.value.iloc[0])
    t = b["trend"]
    assert isinstance(t, dict)
    if prev_df is None:  # last year is outside these files (a LAIT year): not checked
        want_dir, want_j = t["direction"], t["judgement"]
    elif pd.isna(value) or prev is None:
        want_dir, want_j = "n/a", "n/a"
    else:
        ch = value - prev
        want_dir = "flat" if abs(ch) <= 1e-9 + 0.005 * abs(prev) else "up" if ch > 0 else "down"
        want_j = (
            "no change"
            if want_dir == "flat"
            else "n/a"
            if polarity == "neutral"
            else "improving"
            if (want_dir == "up") == (polarity == "high_good")
            else "worsening"
        )
    if (t["direction"], t["judgement"]) != (want_dir, want_j):
        out.append(f"trend {t['direction']}/{t['judgement']}, expected {want_dir}/{want_j}")
    return out


def _period_label(ind: str, year: int) -> str:
    """The publisher's name for ``time_period`` ``year`` of these files (the year ending
    31 March) by the indicator's period kind (docs/indicators.md)."""
    text = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    m = re.search(rf"^### `{ind}`.*?\*\*period:\*\* .*?\(`(\w+)`\)", text, re.M | re.S)
    assert m is not None
    kind = m.group(1)
    if kind == "financial_year":
        return f"{year - 1}-{year % 100:02d}"
    assert kind == "at_31_march", kind
    return f"31 March {year}"


def _first_year(ind: str) -> int:
    df = _read(RAW[ind][0])
    return int(df.year.min())


def _restated(la: pd.DataFrame, year: int) -> frozenset[str]:
    """Successors with a figure for a year before they existed whose predecessors also
    have figures that year (one area, given twice by the publisher)."""
    has = set(la.la_code[la.value.notna()])
    return frozenset(
        s for s, ps in REORG.items() if year < FIRST_YEAR[s] and s in has and has & set(ps)
    )


#: Each successor's first year (the year ending 31 March after its vesting day).
FIRST_YEAR = {"838": 2020, "839": 2020, "940": 2022, "941": 2022, "942": 2024, "943": 2024}
#: Reorganised authorities: successor -> predecessors (shared/data README).
REORG = {
    "838": ("835",),
    "839": ("836", "837"),
    "940": ("928",),
    "941": ("928",),
    "942": ("909",),
    "943": ("909",),
}


#: Each former authority's first year after it ceased (its successors' first year).
CEASED = {p: FIRST_YEAR[s] for s, ps in REORG.items() for p in ps}
#: Figures under a former authority's number after it ceased that are its successors'
#: (docs/snapshot.md, from LAIT's own note and counts): (former, indicator) -> the
#: successor(s) they are given to (two: their joint service, ranked once).
GIVEN: dict[tuple[str, str], tuple[str, ...]] = {
    **{
        ("928", i): ("940", "941")
        for i in ("foster_places", "foster_places_filled", "foster_places_filled_pct")
    },
    **{
        ("835", i): ("838",)
        for i in (
            "care_leavers_eet_pct",
            "care_leavers_neet_pct",
            "care_leavers_higher_education_pct",
        )
    },
}


def _former_figures(g: pd.DataFrame, ind: str, year: int) -> tuple[pd.DataFrame, frozenset[str]]:
    """One indicator-year's rows with each figure under a former authority's number
    after it ceased given to the successors it belongs to (those without a figure of
    their own; two or more: one service), and the former authorities concerned."""
    has = g.value.notna()
    ceased = frozenset(c for c in g.la_code[has] if c in CEASED and year >= CEASED[c])
    g = g.copy()
    for c in sorted(ceased):
        src = g[g.la_code == c].iloc[0]
        to = g.la_code.isin(GIVEN.get((c, ind), ())) & g.value.isna()
        if to.any():
            g.loc[to, "value"] = src.value
            g.loc[to, "denominator"] = src.denominator
            g.loc[to, "joint"] = min(g.la_code[to])
    return g, ceased


def check_overlaps(con: duckdb.DuckDBPyConnection, counts: Counter[str], report: list[str]) -> None:
    """A year ranked with both a successor and its predecessor: one area counted twice
    in the distribution (n_ranked, the quartiles, everyone's rank)."""
    rows = con.execute(
        "SELECT indicator, year, la_code FROM benchmark WHERE rank IS NOT NULL AND NOT provisional"
    ).fetchall()
    ranked = defaultdict(set)
    for ind, year, la in rows:
        ranked[(ind, year)].add(la)
    for (ind, year), las in sorted(ranked.items()):
        counts["overlap.indicator_years"] += 1
        both = [(s, p) for s, ps in REORG.items() for p in ps if s in las and p in las]
        if both:
            counts["overlap.defect_known"] += 1
            report.append(
                f"(a, known, not fixed) {ind} {year}: ranked with both "
                + ", ".join(f"{s} and its predecessor {p}" for s, p in both)
            )


def check_outputs(con: duckdb.DuckDBPyConnection, counts: Counter[str], report: list[str]) -> None:
    """``cscwatch show IND --format json`` for every flagged indicator's latest year: a
    flag only with a value, its meaning by the polarity docs/indicators.md states."""
    pol = _polarities()
    cli = ROOT / ".venv" / "bin" / "cscwatch"
    for ind in sorted(_funnel_kinds(con)):
        out = subprocess.run(
            [str(cli), "show", ind, "--format", "json"], capture_output=True, text=True, check=True
        )
        for r in json.loads(out.stdout)["rows"]:
            if r["geo_level"] != "la":
                continue
            o = r["outlier"]
            counts["outputs.rows"] += 1
            bad = []
            if r["value"] is None and o["flag"] != "not_assessed":
                bad.append(f"no value ({r['status']}) but flagged {o['flag']}")
            f = o["flag"]
            want = (
                "none"
                if f not in ("higher", "lower")
                else "no_direction"
                if pol[ind] == "neutral"
                else "better"
                if (f == "higher") == (pol[ind] == "high_good")
                else "worse"
            )
            if o["flag_meaning"] != want:
                bad.append(f"meaning {o['flag_meaning']} for {f} on {pol[ind]}")
            if bad:
                counts["outputs.defect"] += 1
                report.append(f"(a) show {ind} {r['geo_code']}: " + "; ".join(bad))
            else:
                counts["outputs.equal"] += 1


def _get(url: str) -> object:
    import urllib.request

    with urllib.request.urlopen(url, timeout=120) as r:
        return json.loads(r.read())


def _check_api(api: str, ind: str, la: str, year: int, cli: dict[str, object]) -> list[str]:
    """The API's benchmark and series for the same figure give what the CLI gives."""
    out = []
    b = _get(f"{api}/api/authorities/{la}/benchmark/{ind}?year={year}")
    assert isinstance(b, dict)
    for k, v in cli.items():
        if k in b and b[k] != v:
            out.append(f"benchmark {k}: API {b[k]}, CLI {v}")
    s = _get(f"{api}/api/authorities/{la}/series/{ind}")
    assert isinstance(s, dict)
    pt = [d for d in s["data"] if d["year"] == year]
    if not pt:
        out.append("series: no point for the year")
    else:
        for k_series, k_cli in (
            ("authority", "value"),
            ("sn_mean", "sn_mean"),
            ("sn_n", "sn_n"),
            ("region", "region"),
            ("england", "england"),
        ):
            if not _close(pt[0][k_series], cli[k_cli], 1e-9):
                out.append(f"series {k_series}: {pt[0][k_series]}, benchmark {cli[k_cli]}")
    return out


SAMPLE: list[tuple[object, ...]] = []


#: Where the product's polarity differs from LAIT's, and why (docs/indicators.md).
POLARITY_CHOICES = {
    "children_low_income_pct": "a context figure (deprivation), not the service's doing",
}


def check_polarity(counts: Counter[str], report: list[str]) -> None:
    """Each indicator's polarity (docs/indicators.md) against LAIT's data dictionary
    (``Polarity`` High/Low/-) for the LAIT measures it names."""
    text = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    lait = pd.read_csv(SNAP / "lait_data_dictionary.csv", dtype=str, keep_default_na=False)
    theirs = dict(zip(lait.Measure_short.str.strip(), lait.Polarity.str.strip(), strict=True))
    word = {"High": "high_good", "Low": "low_good", "-": "neutral"}
    for m in re.finditer(r"^### `([a-z0-9_]+)`(.*?)(?=^### |\Z)", text, re.M | re.S):
        ind, body = m.group(1), m.group(2)
        pol = re.search(r"\*\*polarity:\*\* (\w+)", body)
        comp = re.search(r"\*\*Computed as:\*\* (.*)", body)
        if not pol or not comp:
            continue
        wanted = {
            word[theirs[c]]
            for c in re.findall(r"LAIT `([^`]+)`", comp.group(1))
            if theirs.get(c) in word
        }
        # a count or a £ figure's LAIT measure may be a rate's: only one-measure matches
        if len(wanted) != 1:
            continue
        counts["polarity.compared"] += 1
        (want,) = wanted
        if pol.group(1) == want:
            counts["polarity.equal"] += 1
        elif ind in POLARITY_CHOICES:
            counts["polarity.documented"] += 1
            report.append(
                f"(b) {ind}: polarity {pol.group(1)}, LAIT {want}: {POLARITY_CHOICES[ind]}"
            )
        else:
            counts["polarity.defect"] += 1
            report.append(f"(a) {ind}: polarity {pol.group(1)}, LAIT says {want}")


def check_notes(con: duckdb.DuckDBPyConnection, counts: Counter[str], report: list[str]) -> None:
    """What the recomputation agrees with but a reader should know, classified."""
    n = con.execute(
        "SELECT count(*) FILTER (WHERE sn_n < 10), count(*) FROM benchmark "
        "WHERE value IS NOT NULL AND sn_mean IS NOT NULL AND NOT provisional"
    ).fetchone()
    assert n is not None
    counts["b.neighbours_mean_over_fewer_than_10"] = int(n[0])
    report.append(
        f"(b) {n[0]:,} of {n[1]:,} figures with a neighbours' mean have it over fewer than 10 "
        "neighbours (the others suppressed, or not an authority that year): the 2025 model "
        "for every year (docs/methods/benchmarking.md, comparators); sn_n in JSON, CSV and "
        "API, '(n=K)' in the CLI table and the pages"
    )
    # figures a publisher gives under a predecessor's code after the reorganisation
    rows = con.execute(
        "SELECT o.indicator, o.geo_code, o.year, o.value, o.source_id FROM observation o "
        "JOIN (SELECT predecessor, min(year) AS y FROM authority_succession GROUP BY 1) s "
        "ON s.predecessor = o.geo_code WHERE o.geo_level = 'la' AND o.value IS NOT NULL "
        "AND o.year >= s.y AND NOT o.provisional ORDER BY 1, 2, 3"
    ).fetchall()
    by: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for ind, la, year, _v, src in rows:
        by[(la, src)].append((ind, year))
        counts["c.figure_under_a_former_authority"] += 1
    for (la, src), items in sorted(by.items()):
        inds = sorted({i for i, _ in items})
        years = sorted({y for _, y in items})
        given = sorted({s for i, _ in items for s in GIVEN.get((la, i), ())})
        whose = (
            f"ranked as {' and '.join(given)}'s (recomputed above)"
            if given
            else "whose it is not established"
        )
        report.append(
            f"(c) {len(items)} {src} figures under former authority {la} for years after its "
            f"abolition ({years[0]}-{years[-1]}: {', '.join(inds)}): the publisher's own LA "
            f"number, kept as published under it, unranked; {whose}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--warehouse", type=Path, default=default_warehouse())
    ap.add_argument("--sample", type=int, default=30)
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--api", help="base URL of a running `cscwatch serve` to check too")
    ap.add_argument("--skip-table", action="store_true", help="only the neighbours and sample")
    args = ap.parse_args(argv)
    con = open_warehouse(
        args.warehouse,
        ("authority", "authority_succession", "benchmark", "observation", "statistical_neighbour"),
    )
    counts: Counter[str] = Counter()
    report: list[str] = []
    check_neighbours(con, counts, report)
    if not args.skip_table:
        check_table(con, counts, report)
    check_sample(con, args.sample, args.seed, counts, report, args.api)
    check_overlaps(con, counts, report)
    check_outputs(con, counts, report)
    check_notes(con, counts, report)
    check_polarity(counts, report)
    print("Independent check of benchmarking (docs/methods/benchmarking.md)")
    for k in sorted(counts):
        print(f"  {k}: {counts[k]:,}")
    compared = sum(v for k, v in counts.items() if k.endswith(("compared", ".rows"))) + sum(
        counts[f"sample.{t}"] for t in ("sample", "hard", "suppressed", "flagged")
    )
    equal = sum(v for k, v in counts.items() if k.endswith(".equal") or k.endswith("_equal"))
    equal -= counts["sample.fields_equal"]
    print(
        f"compared {compared:,} (figures, neighbour lists, sample items, output rows), "
        f"equal {equal:,}"
    )
    unexplained = [line for line in report if line.startswith(("?", "(a)"))]
    known = [line for line in report if not line.startswith(("?", "(a)"))]
    print(
        f"differences: (a) defects and unexplained {len(unexplained)}; "
        f"(a, known, not fixed), (b) documented and (c) at source: {len(known)}"
    )
    for line in report:
        print("  " + line)
    print("figures recomputed from the raw files (tag, indicator, LA, year: value, rank, flag):")
    for tag, ind, la, year, ours, diff in SAMPLE:
        assert isinstance(ours, dict)
        rank = f"{ours['rank']}/{ours['n_ranked']}" if ours["rank"] else "-"
        print(
            f"  {tag} {ind} {la} {year}: {ours['value']}, {rank}, {ours['flag'] or '-'}"
            + (f" ({diff})" if diff else "")
        )
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(run(main, None, "audit_benchmarking.py"))
