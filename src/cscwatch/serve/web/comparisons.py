"""Comparisons on pages: an authority among its statistical neighbours, and ``/compare``.

Shapes the library's :class:`~cscwatch.indicators.comparisons.Comparison` into a chart
and a table (the same rows in both); the figures and ranks come from the library.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import duckdb
from markupsafe import Markup

from cscwatch.core.catalogue import CATALOGUE, Indicator, Unit, get_indicator
from cscwatch.core.errors import InputError
from cscwatch.indicators import comparisons as lib
from cscwatch.serve.web import charts
from cscwatch.serve.web._render import Column, Row, Table, fmt_for, fmt_value

__all__ = [
    "CSV_COLUMNS",
    "compare_page",
    "comparison_chart",
    "comparison_table",
    "rank_sentence",
]

#: The CSV columns of every comparison table.
CSV_COLUMNS = (
    "indicator",
    "year",
    "period_label",
    "role",
    "code",
    "name",
    "value",
    "status",
    "rank",
    "n_ranked",
    "rank_basis",
    "closeness",
)


def _role(r: lib.ComparedValue) -> str:
    if r.role == "neighbour":
        return f"Neighbour {r.closeness}"
    return {"authority": "This authority", "chosen": "", "region": "Region"}.get(r.role, "")


def rank_sentence(c: lib.Comparison, name: str) -> str:
    """``"2nd highest of 11 (1 = highest value; lower is better), among Leeds and its
    10 statistical neighbours …"``, or why there is no rank."""
    if c.rank is None:
        return f"{name} has no figure for {c.period_label}, so it is not ranked."
    return f"Rank {c.rank} of {c.n_ranked} ({c.rank_basis}); {c.relative_to}."


def comparison_table(
    c: lib.Comparison, ind: Indicator, *, table_id: str, caption: str, csv_href: str
) -> Table:
    """The comparison's rows, then region(s) and England; suppressed values say so."""
    ranked = c.kind == "neighbours"
    t = Table(
        id=table_id,
        caption=caption,
        columns=[
            Column("Authority"),
            *([Column("Role (neighbour 1 = closest)")] if ranked else []),
            Column(f"{ind.title} ({ind.unit_label})" if ind.unit.is_money else ind.title, True),
            Column(f"Rank of {c.n_ranked} (1 = highest)", True),
        ],
        csv_href=csv_href,
        csv_columns=CSV_COLUMNS,
        indicators=(ind.id,),
        unit=ind.unit_label,
    )
    for r in (*c.rows, *c.comparators):
        t.rows.append(
            Row(
                cells=[
                    r.name,
                    *([_role(r)] if ranked else []),
                    fmt_value(r.value, ind.unit, r.status),
                    "" if r.rank is None else str(r.rank),
                ],
                raw=[
                    c.indicator,
                    c.year,
                    c.period_label,
                    r.role,
                    r.code,
                    r.name,
                    r.value,
                    r.status,
                    r.rank,
                    None if r.rank is None else c.n_ranked,
                    c.rank_basis,
                    r.closeness,
                ],
                href=f"/authorities/{r.code}"
                if r.role in ("authority", "neighbour", "chosen")
                else None,
                highlight=r.role == "authority",
            )
        )
    return t


def _missing(status: str | None) -> str:
    return fmt_value(None, Unit.COUNT, status)


def comparison_chart(c: lib.Comparison, ind: Indicator, *, ident: str, title: str) -> Markup:
    """Horizontal bars for the rows, region(s) and England, highest value first."""
    rows = sorted(c.rows, key=lambda r: (r.value is None, -(r.value or 0.0), r.name))
    bars = [
        charts.HBar(
            r.name,
            r.value,
            "subject" if r.role == "authority" else "authority",
            _missing(r.status),
        )
        for r in rows
    ] + [charts.HBar(r.name, r.value, r.role, _missing(r.status)) for r in c.comparators]
    f = fmt_for(ind)
    known = [r for r in rows if r.value is not None]
    desc = f"Bar chart of {ind.title} in {c.period_label}, one bar per authority, highest first"
    if known:
        hi, lo = known[0], known[-1]
        desc += f": from {f(hi.value)} ({hi.name}) to {f(lo.value)} ({lo.name})"
    desc += ", then " + " and ".join(f"{r.name} {f(r.value)}" for r in c.comparators) + "."
    if c.subject is not None:
        subject = next(r.name for r in c.rows if r.role == "authority")
        desc += " " + rank_sentence(c, subject)
    return charts.comparison_chart(bars, title=title, desc=desc, ident=ident, fmt=f)


def _indicator_options(selected: str | None) -> list[dict[str, Any]]:
    return [
        {"value": i.id, "text": i.title, "selected": i.id == selected} for i in CATALOGUE.values()
    ]


def compare_page(
    con: duckdb.DuckDBPyConnection,
    authorities: str | None,
    indicator_id: str | None,
    year: int | None,
) -> dict[str, Any]:
    """The ``/compare`` page's context: the form, and the comparison once both the
    authorities and the indicator are given (library errors propagate to the route)."""
    names = lib.parse_authority_list(authorities or "")
    ctx: dict[str, Any] = {
        "given": authorities or "",
        "names": names,
        "indicator_id": indicator_id or "",
        "options": _indicator_options(indicator_id),
        "max": lib.MAX_COMPARED,
        "comparison": None,
        "tables": [],
    }
    if not names or not indicator_id:
        if names or indicator_id:
            raise InputError("choose an indicator and at least one authority to compare")
        return ctx
    ind = get_indicator(indicator_id)
    c = lib.compare(con, names, ind.id, year)
    query = {"authorities": ",".join(r.code for r in c.rows), "indicator": ind.id, "year": c.year}
    share = "/compare?" + urlencode(query)
    table = comparison_table(
        c,
        ind,
        table_id="compare",
        caption=f"{ind.title}, {c.period_label}: {len(c.rows)} authorities compared",
        csv_href="/compare/tables/compare.csv?" + urlencode(query),
    )
    ctx.update(
        indicator=ind,
        comparison=c,
        share=share,
        table=table,
        tables=[table],
        chart=comparison_chart(
            c, ind, ident="compare-chart", title=f"{ind.title}, {c.period_label}"
        ),
    )
    return ctx
