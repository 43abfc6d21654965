"""The printable profile: every indicator's latest figure with every column of the
profile's tables (comparators, rank, quartile, flag, change, rank among statistical
neighbours), the Ofsted record and the neighbours, in one condensed page that prints
on a few A4 sheets and needs no JavaScript (``/authorities/{la}/print``).
"""

from __future__ import annotations

from typing import Any

import duckdb

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.config import Settings
from cscwatch.indicators.authorities import Authority
from cscwatch.indicators.benchmarking import Benchmark, sn_mark
from cscwatch.indicators.benchmarking import profile as lib_profile
from cscwatch.indicators.comparisons import Comparison, neighbour_comparisons
from cscwatch.serve.web._render import fmt_change_cell, fmt_value, year_label
from cscwatch.serve.web.sections import PROFILE_SECTIONS, TOPIC_TITLES, SectionContext

__all__ = ["print_profile"]


def _rank(b: Benchmark) -> str:
    if b.rank is None:
        return b.rank_note or "not ranked"
    text = f"{b.rank} of {b.n_ranked}"
    return f"{text} ({b.rank_note})" if b.rank_note else text


def _flag(b: Benchmark) -> str:
    o = b.outlier
    if o.flag == "not_assessed":
        return "not assessed"
    text = o.flag_words
    if o.flag_meaning in ("worse", "better"):
        text += f" ({o.flag_meaning})"
    if o.chance_flag != o.flag:
        text += f"; chance alone: {o.chance_flag}"
    return text


def _among(c: Comparison | None) -> str:
    if c is None:
        return ""
    if c.rank is None:
        return "not ranked"
    return f"{c.rank} of {c.n_ranked}"


def print_profile(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    auth: Authority,
    year: int | None,
    *,
    warehouse_tag: str | None = None,
) -> dict[str, Any]:
    """The printable profile's context: the summary rows grouped by topic, the Ofsted
    section and the statistical neighbours (the profile's own section functions)."""
    prof = lib_profile(con, auth.la_code, year)
    ctx = SectionContext(
        con=con,
        settings=settings,
        authority=auth,
        year=year,
        profile=prof,
        href=f"/authorities/{auth.la_code}",
        warehouse_tag=warehouse_tag,
    )
    among = neighbour_comparisons(
        con, auth, {b.indicator: b.year for b in prof.benchmarks if not b.provisional}
    )
    topics: dict[str, list[dict[str, str | bool]]] = {}
    for b in prof.benchmarks:
        ind = CATALOGUE[b.indicator]
        f = ind.unit
        topics.setdefault(ind.topic, []).append(
            {
                "indicator": ind.title,
                "unit": ind.unit_label,
                "year": year_label(b.year, ind, short=True),
                "value": fmt_value(b.value, f, b.status)
                + (" (provisional)" if b.provisional else ""),
                "sn_mean": fmt_value(b.sn_mean, f) + sn_mark(b.sn_mean, b.sn_n),
                "region": fmt_value(b.region, f),
                "england": fmt_value(b.england, f),
                "rank": _rank(b),
                "quartile": b.quartile_label or "",
                "flag": _flag(b),
                "worse": b.outlier.flag_meaning == "worse",
                "change": fmt_change_cell(b.trend.change_1y, f, b.trend.judgement),
                "among": _among(among.get(b.indicator)),
            }
        )
    groups = [
        {"id": t, "title": TOPIC_TITLES.get(t, t.replace("_", " ").capitalize()), "rows": rows}
        for t, rows in topics.items()
    ]
    by_id = {s.id: s for s in PROFILE_SECTIONS}
    ofsted = by_id["ofsted"].data(ctx) if "ofsted" in by_id else None
    neighbours = by_id["neighbours"].data(ctx) if "neighbours" in by_id else None
    return {
        "authority": auth,
        "year": year,
        "groups": groups,
        "ofsted": ofsted,
        "neighbours": neighbours,
        "region": auth.region_name or "Region",
    }
