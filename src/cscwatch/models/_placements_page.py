"""The placement demand and cost methods page (``docs/methods/placements.md``).

The model's docstring gives the formulas; this module runs the two backtests and writes
their figures. The multi-year returns it backtests on are synthetic (no real child-level
data enters the project): they are built above this layer and passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict

import duckdb
import numpy as np

from cscwatch.models import placements as placements_mod
from cscwatch.models._placements_backtest import (
    NationalRow,
    backtest_national,
    backtest_returns,
    coverage_interval,
    overall_coverage,
    summarise_backtest,
)
from cscwatch.models._placements_costs import default_unit_costs
from cscwatch.models._placements_data import AGE_BANDS, GROUP_OF_PLACE, GROUPS, ReturnYear
from cscwatch.models._placements_drift import Drift, estimate_drift

__all__ = ["placements_page", "validated"]

N_BOOT = 100
SEED = 20261201


def _n(v: float) -> str:
    return f"{v:,.1f}"


def _cover(s: Mapping[str, object], level: str) -> str:
    value, ci = s.get(f"coverage{level}"), s.get(f"coverage{level}_ci")
    if value is None or not isinstance(ci, list):
        return "none"
    return f"{float(str(value)):.0%} ({float(ci[0]):.0%}-{float(ci[1]):.0%})"


def validated(c: Mapping[str, object], level: str) -> bool:
    """An interval keeps its promise when its coverage's 95% interval reaches the
    nominal level (coverage above it is conservative, not broken)."""
    ci = c.get(f"coverage{level}_ci")
    return isinstance(ci, list) and float(ci[1]) >= int(level) / 100


def _verdict(w: dict[str, dict[str, object]]) -> str:
    parts = []
    for rows, c in (("each group", w["groups"]), ("all children", w["all"])):
        for level in ("80", "95"):
            ok = validated(c, level)
            parts.append(
                f"{level}% intervals for {rows} held {float(str(c[f'coverage{level}'])):.0%}"
                f" of {c['n']} actual values ({'consistent with' if ok else 'below'} the"
                f" promise{'' if ok else ': withheld from the output'})"
            )
    return "With the drift, " + "; ".join(parts) + "."


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def placements_page(
    con: duckdb.DuckDBPyConnection,
    histories: Mapping[str, Sequence[ReturnYear]],
    names: Mapping[str, str],
    synth_note: str,
) -> tuple[str, dict[str, object]]:
    """The page text and its results (JSON-ready).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The warehouse (England's series, unit costs).
    histories : mapping of str to sequence of ReturnYear
        Consecutive synthetic returns per history (``LA number:seed``).
    names : mapping of str to str
        LA number to name, for the page.
    synth_note : str
        How the synthetic returns were made (seed, years), for the page.
    """
    costs = default_unit_costs(con, None, max(r.year for h in histories.values() for r in h))
    drifts: dict[int, Drift] = {}

    def drift_at(origin: int) -> Drift:
        if origin not in drifts:
            drifts[origin] = estimate_drift(con, origin)
        return drifts[origin]

    rows = backtest_returns(histories, costs.costs, n_boot=N_BOOT, seed=SEED, drift=drift_at)
    summary = summarise_backtest(rows)
    # The same backtest without drift: the intervals as they were before it.
    plain = backtest_returns(histories, costs.costs, n_boot=N_BOOT, seed=SEED)
    groups = [*GROUPS]
    overall = {
        "with_drift": {
            "groups": overall_coverage(rows, groups),
            "all": overall_coverage(rows, ["all"]),
        },
        "without_drift": {
            "groups": overall_coverage(plain, groups),
            "all": overall_coverage(plain, ["all"]),
        },
    }
    national = backtest_national(con, seed=SEED)
    nat_summary: list[dict[str, object]] = []
    for h in sorted({r.horizon for r in national}):
        sel = [r for r in national if r.horizon == h]
        err = np.array([abs(r.forecast - r.actual) for r in sel])
        base = np.array([abs(r.baseline - r.actual) for r in sel])
        act = np.array([r.actual for r in sel])
        nat_summary.append(
            {
                "horizon": h,
                "n": len(sel),
                "mae_model": float(err.mean()),
                "mae_last_value": float(base.mean()),
                "mape_model": float((err / act).mean() * 100),
                "mape_last_value": float((base / act).mean() * 100),
                **_national_coverage(sel),
            }
        )
    latest = drift_at(max(drifts) if drifts else max(r.year for r in national))
    results: dict[str, object] = {
        "synthetic": {
            "authorities": dict(names),
            "note": synth_note,
            "summary": summary,
            "overall_coverage": overall,
            "rows": [asdict(r) for r in rows],
        },
        "drift": {str(o): d.to_dict() for o, d in sorted(drifts.items())},
        "national": {"summary": nat_summary, "rows": [asdict(r) for r in national]},
        "unit_costs_for_backtest": costs.to_dict(),
        "n_boot": N_BOOT,
        "seed": SEED,
    }
    page = _page(summary, nat_summary, national, names, synth_note, overall, latest)
    return page, results


def _national_coverage(sel: Sequence[NationalRow]) -> dict[str, object]:
    with_int = [r for r in sel if r.low95 is not None]
    out: dict[str, object] = {"n_intervals": len(with_int)}
    for level in ("80", "95"):
        hits = [
            float(str(getattr(r, f"low{level}")))
            <= r.actual
            <= float(str(getattr(r, f"high{level}")))
            for r in with_int
        ]
        out[f"coverage{level}"] = float(np.mean(hits)) if hits else None
        out[f"coverage{level}_ci"] = (
            list(coverage_interval(hits, [str(r.origin) for r in with_int])) if hits else None
        )
    return out


def _page(
    summary: list[dict[str, object]],
    nat_summary: list[dict[str, object]],
    national: list[NationalRow],
    names: Mapping[str, str],
    synth_note: str,
    overall: dict[str, dict[str, dict[str, object]]],
    latest: Drift,
) -> str:
    # The model's docstring, paragraph by paragraph (its first line is the title).
    paragraphs = (placements_mod.__doc__ or "").strip().split("\n\n")[1:]
    doc = (
        "\n\n".join(paragraphs)
        .replace(" (:mod:`._placements_data`)", "")
        .replace(":data:`PRIOR_MONTHS`", f"{placements_mod.PRIOR_MONTHS:g}")
    )
    groups = {g: sorted(c for c, gg in GROUP_OF_PLACE.items() if gg == g) for g in GROUPS}
    lines = [
        "# Placement demand and cost",
        "",
        "Generated by `cscwatch analyse all --only placements` (do not edit by hand).",
        "",
        doc,
        "",
        "## The model",
        "",
        "States: not looked after, and six placement groups (DfE placement codes):",
        "",
    ]
    lines += [
        f"* **{g.replace('_', ' ')}**: " + (", ".join(groups[g]) or "every other code")
        for g in GROUPS
    ]
    lines += [
        "",
        "Age bands: " + ", ".join(label for _, label in AGE_BANDS) + ".",
        "",
        "For band *a* and groups *g*, *h* (or *out*), with *n* the child-month counts on",
        "consecutive month ends of the fitted window and *p̄* the all-ages row,",
        "",
        "    P[a, g, h] = (n[a, g, h] + k · p̄[g, h]) / (n[a, g, ·] + k),   "
        f"k = {placements_mod.PRIOR_MONTHS:g}",
        "",
        "    λ[a, h] = (children entering group h in band a) / (months in the window)",
        "",
        "Forecast: each child on the base 31 March, and each Poisson(λ) entrant (age drawn",
        "evenly within its band), moves by P one month at a time and ages a month; at 18",
        "the child leaves. Cost in a forecast year = Σ over months and groups of children",
        f"× weekly unit cost × {placements_mod.WEEKS_PER_MONTH:.3f} weeks a month.",
        "",
        "**Why months, not years.** Episodes carry exact dates and children move more than",
        "once a year (the stability measure counts three or more placements in a year):",
        "a yearly step would hide those moves and short stays, and would age children in",
        "jumps across the 16th and 18th birthdays where placements and leaving care change.",
        "Month ends keep twelve observations a year per child with little cost; moves and",
        "stays shorter than a month are still missed (a stay that begins and ends between",
        "two month ends counts as neither an entry nor an exit).",
        "",
        "**Unit costs (defaults).** Fostering: the authority's published",
        "`unit_cost_fostering_weekly`; residential: `unit_cost_residential_weekly`; every",
        "other group: `unit_cost_lac_weekly` (section 251 outturn on all looked-after",
        "children per child, a stand-in: no unit cost is published for placements with",
        "parents, independent living or adoption placements). All via LAIT, cash terms,",
        "the latest year up to the base year; England's where the authority has none.",
        "`--unit-costs FILE` (columns `group,weekly_cost`) overrides any of them.",
        "",
        "**Scenario.** `--scenario residential-to-fostering=s`: each new residential",
        "placement (an entrant placed in residential, or a move into it) is made a",
        "fostering placement with probability s. Baseline and scenario run on the same",
        "random numbers in every replicate, so the interval of the cost difference is that",
        "of the difference, not of two separate forecasts.",
        "",
        "## Assumptions",
        "",
        "* Rates are constant over the forecast at their level in the fitted window (two or",
        "  more years): no trend in entries, no change in practice or in the population.",
        "* The future depends on the present group and age band only (Markov), not on how",
        "  long a child has been looked after or placed: children recently looked after",
        "  leave sooner than the average, long-stayers later, and this model averages them.",
        "* Entries include re-entries; a child who leaves in the forecast never returns as",
        "  the same child (returns come back as entries).",
        "* Costs are in the cash terms of the unit costs' year; no inflation is applied.",
        "",
        "## Backtest on multi-year synthetic returns",
        "",
        synth_note,
        "Authorities: "
        + ", ".join(f"{name} ({la})" for la, name in sorted(names.items()))
        + ". For every origin year with a year before it, the model is fitted on those",
        "two years and forecasts each later year held (up to three); the baseline is the",
        "last value (children in each group on the origin's 31 March). Errors are in",
        f"children; coverage is the share of actual values inside the intervals ({N_BOOT}",
        "replicates, drift measured on published figures up to the origin only). n counts",
        "forecast points (history × origin); the bracket after each coverage is its 95%",
        "interval by bootstrap over the histories (points of one history share errors).",
        "",
    ]
    lines += _table(
        ["horizon", "group", "n", "MAE model", "MAE last value", "MAPE model %",
         "MAPE last value %", "80% cover", "95% cover"],
        [[str(s["horizon"]), str(s["group"]).replace("_", " "), str(s["n"]),
          _n(float(str(s["mae_model"]))), _n(float(str(s["mae_last_value"]))),
          _n(float(str(s["mape_model"]))), _n(float(str(s["mape_last_value"]))),
          _cover(s, "80"), _cover(s, "95")]
         for s in summary],
    )  # fmt: skip
    cells = [s for s in summary if s["group"] != "all"]
    better = sum(float(str(s["mae_model"])) < float(str(s["mae_last_value"])) for s in cells)
    tot = [s for s in summary if s["group"] == "all"]
    tot_better = sum(float(str(s["mae_model"])) < float(str(s["mae_last_value"])) for s in tot)
    w, wo = overall["with_drift"], overall["without_drift"]
    lines += [
        "",
        "Coverage over every horizon, with and without the drift (the same children,",
        "seeds and replicates):",
        "",
    ]
    lines += _table(
        ["intervals", "rows", "points", "80% cover", "95% cover"],
        [[label, rows_label, str(c["n"]), _cover(c, "80"), _cover(c, "95")]
         for label, block in (("with drift (shipped)", w), ("without drift (before)", wo))
         for rows_label, c in (("each group", block["groups"]), ("all children", block["all"]))],
    )  # fmt: skip
    verdict = _verdict(w)
    lines += [
        "",
        f"**Verdict.** The model's mean absolute error is below the last value's in {better}"
        f" of {len(cells)} horizon-group cells, and for all children in {tot_better} of"
        f" {len(tot)} horizons. {verdict}",
        "",
        "Why the model does no better than the last value here: the synthetic returns are",
        "made to meet each year's published numbers, and an authority's published number",
        "looked after moves little from one 31 March to the next, so the last value is",
        "hard to beat; meanwhile the generator reaches each year's published placement mix",
        "by moving children between groups near the year's end, flows no Markov model of",
        "month-to-month moves can reproduce (it converges to the mix its fitted flows",
        "imply, not to the published one). On real returns, whose flows make the stock,",
        "that part of the error would not arise; the drift part would. The backtest asks",
        "how well two years of flows predict the published path of later years, which is",
        "the question an authority asks of its own returns.",
        "",
        "## Drift measured on published figures",
        "",
        f"As used for a forecast from {latest.up_to}: {latest.source}. Variances of the log",
        "rate, by horizon (the standard deviation, about a relative change, is the square",
        "root):",
        "",
    ]
    lines += _table(
        ["rate", "n (horizon 1)", "V(1)", "V(2)", "V(3)"],
        [["entries", str(latest.n["entries"]), *(f"{v:.4f}" for v in latest.entries)],
         ["leaving care", str(latest.n["leaving"]), *(f"{v:.4f}" for v in latest.leaving)]]
        + [[f"share {g.replace('_', ' ')}", str(latest.n[g]),
            *(f"{v:.4f}" for v in latest.mix[g])] for g in GROUPS],
    )  # fmt: skip
    lines += [
        "",
        "## Backtest on England's published series (aggregate form)",
        "",
        "With only totals published, the model reduces to one group and one band: entries",
        "E are the mean starts of the two fitted years and the share ceasing q their mean",
        "`ceased / (looked after on the previous 31 March + starts)`; then",
        "`S[t] = (1 − q)(S[t−1] + E)`. Every origin with two fitted years, horizons 1-3,",
        "beside the last value. Intervals: Poisson entries and binomial leaving with",
        "England's own drift, measured on England's figures up to the origin only (none",
        "where there are too few earlier years to measure it). England's counts are",
        "published rounded to the nearest 10.",
        "",
    ]
    lines += _table(
        ["horizon", "n", "MAE model", "MAE last value", "MAPE model %", "MAPE last value %",
         "points with intervals", "80% cover", "95% cover"],
        [[str(s["horizon"]), str(s["n"]), f"{float(str(s['mae_model'])):,.0f}",
          f"{float(str(s['mae_last_value'])):,.0f}", _n(float(str(s["mape_model"]))),
          _n(float(str(s["mape_last_value"]))), str(s["n_intervals"]),
          _cover(s, "80"), _cover(s, "95")] for s in nat_summary],
    )  # fmt: skip
    lines += [""]
    lines += _table(
        ["origin", "year", "forecast", "95% interval", "actual", "last value"],
        [[str(r.origin), str(r.year), f"{r.forecast:,.0f}",
          "none" if r.low95 is None or r.high95 is None
          else f"{r.low95:,.0f} to {r.high95:,.0f}",
          f"{r.actual:,.0f}", f"{r.baseline:,.0f}"] for r in national],
    )  # fmt: skip
    lines += [
        "",
        "## Beside the Children's Services Demand Model",
        "",
        "The Children's Services Demand Model (Social Finance; the open Python version is",
        "data-to-insight/cs-demand-model, `csdmpy`) has the same structure: several years",
        "of SSDA903 headers and episodes merged into one longitudinal record, a stock of",
        "children by age bracket (0-1, 1-5, 5-10, 10-16, 16-18, as here) and placement",
        "category (foster, residential, supported, other, and not in care), transition",
        "rates between categories and entry rates measured over a reference period, and",
        "ageing between brackets. It differs in three ways: it steps a day at a time on",
        "expected numbers (deterministic), where this model steps a month at a time on",
        "individual children (stochastic), which is what gives intervals; it has no",
        "bootstrap and so no interval for the forecast or the cost; and it lets each age",
        "bracket have only some categories (no supported accommodation under 16), where",
        "this model lets the data say so (the shrinkage gives rare cells the all-ages",
        "rate, which can place a few young children in independent living; the counts",
        "are small). Its cost module applies a cost per placement category and day, as",
        "the weekly unit costs do here.",
        "",
        "## What it cannot do",
        "",
        "* Foresee changes in policy, court practice, asylum arrivals (unaccompanied",
        "  children enter in waves) or sufficiency; rates are last period's.",
        "* Distinguish in-house from agency fostering or residential costs: one unit cost",
        "  per group, and for four groups a stand-in.",
        "* Model legal status, category of need, placement distance or provider.",
        "* Say anything for an authority from two years of a handful of children in a",
        "  group: rare groups (adoption placements, other) carry wide intervals.",
        "* Be backtested on real child-level returns here: the project holds none.",
        "",
    ]
    return "\n".join(lines)
