"""The ``/sufficiency`` page: placements, sufficiency and the cost of care for England,
a region or an authority, with England and the regions on the same page."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.errors import InputError
from cscwatch.indicators.sufficiency import (
    ENGLAND,
    TREND_INDICATORS,
    CostStep,
    PlaceSufficiency,
    national_picture,
    sufficiency,
)
from cscwatch.serve.api._deps import Con
from cscwatch.serve.web import charts
from cscwatch.serve.web._render import Column, Row, Table, fmt_for, fmt_value, render, year_label
from cscwatch.serve.web.downloads import table_download

__all__ = ["router", "sufficiency_page"]

router = APIRouter(include_in_schema=False)

_SPEND = CATALOGUE["spend_lac_gross"]


#: Totals are not comparable with England's on one axis: the place is shown alone.
_TOTALS = frozenset({"spend_lac_gross", "lac_at31"})


def _m(v: float) -> str:
    """Pounds in millions, with a minus sign before the pound sign for a fall."""
    return ("−" if v < 0 else "") + f"£{abs(v) / 1e6:,.1f}m"


def _step_row(s: CostStep) -> Row:
    return Row(
        [
            f"{_SPEND.year_label(s.year_from)} to {_SPEND.year_label(s.year_to)}",
            _m(s.spend_from),
            _m(s.spend_to),
            f"{s.children_from:,.0f} to {s.children_to:,.0f}",
            _m(s.change),
            _m(s.volume_effect),
            _m(s.price_effect),
        ],
        raw=[
            s.year_from,
            s.year_to,
            s.spend_from,
            s.spend_to,
            s.children_from,
            s.children_to,
            s.change,
            s.volume_effect,
            s.price_effect,
        ],
    )


def _cost_table(s: PlaceSufficiency, href: str) -> Table | None:
    d = s.decomposition
    if d is None:
        return None
    return Table(
        "cost",
        f"Change in gross spend on children looked after, {s.name}: more children "
        "(volume) and spend per child (price), £ cash terms",
        [
            Column("Years"),
            Column("Spend, first year", True),
            Column("Spend, last year", True),
            Column("Children looked after on 31 March"),
            Column("Change in spend", True),
            Column("From more children", True),
            Column("From spend per child", True),
        ],
        [_step_row(d.total), *(_step_row(x) for x in d.steps)],
        csv_href=href,
        csv_columns=[
            "year_from",
            "year_to",
            "spend_from",
            "spend_to",
            "children_from",
            "children_to",
            "change",
            "volume_effect",
            "price_effect",
        ],
    )


def _national_table(con: Any, href: str) -> Table:
    picture = national_picture(con)
    england_years = {ind: y for ind, y, _ in picture[0].values}
    rows = []
    for r in picture:
        d = r.decomposition
        cells = [r.name]
        raw: list[Any] = [r.geo_code, r.name]
        for ind, y, v in r.values:
            other_year = y is not None and y != england_years.get(ind)
            cells.append(
                fmt_value(v, CATALOGUE[ind].unit)
                + (f" ({CATALOGUE[ind].year_label(y)})" if other_year and y is not None else "")
            )
            raw += [y, v]
        share = d.volume_share if d else None
        cells.append("no data" if share is None else f"{100 * share:.0f}%")
        raw.append(share)
        rows.append(Row(cells, raw, highlight=r.geo_code == ENGLAND))

    def head(i: str) -> str:
        y = england_years.get(i)
        return CATALOGUE[i].title + (f", {CATALOGUE[i].year_label(y)}" if y else "")

    return Table(
        "national",
        "England and the regions: latest published figures (a different year is named in "
        "the cell), and the share of the change in looked-after spend since 2016-17 that "
        "is the change in the number of children",
        [
            Column("Place"),
            *(Column(head(i), True) for i in TREND_INDICATORS),
            Column("Share of the spend change from more children", True),
        ],
        rows,
        csv_href=href,
        csv_columns=[
            "geo_code",
            "name",
            *(f"{i}{k}" for i in TREND_INDICATORS for k in ("_year", "")),
            "volume_share",
        ],
    )


def _trend_table(s: PlaceSufficiency, england: PlaceSufficiency | None, ind_id: str) -> Table:
    ind = CATALOGUE[ind_id]
    theirs = {p.year: p for p in england.series(ind_id)} if england is not None else {}
    q = f"?place={s.geo_code}" if s.geo_code != ENGLAND else ""
    cols = [Column("Year"), Column(s.name, True)]
    if theirs:
        cols.append(Column("England", True))
    rows = []
    for p in s.series(ind_id):
        e = theirs.get(p.year)
        cells = [p.period_label, fmt_value(p.value, ind.unit, p.status)]
        raw: list[Any] = [p.year, p.value if p.value is not None else p.status]
        if theirs:
            cells.append(fmt_value(e.value, ind.unit, e.status) if e else "no data")
            raw.append((e.value if e.value is not None else e.status) if e else None)
        rows.append(Row(cells, raw))
    return Table(
        f"trend-{ind_id}",
        f"{ind.title}, {s.name}" + (" and England" if theirs else ""),
        cols,
        rows,
        csv_href=f"/sufficiency/tables/trend-{ind_id}.csv{q}",
        csv_columns=["year", s.geo_code, *([ENGLAND] if theirs else [])],
    )


def _chart(s: PlaceSufficiency, england: PlaceSufficiency | None, ind_id: str) -> Any:
    ind = CATALOGUE[ind_id]
    mine = [(p.year, p.value) for p in s.series(ind_id)]
    series = [charts.Series(s.name, "la", mine)]
    if england is not None and ind_id not in _TOTALS:
        series.append(
            charts.Series("England", "england", [(p.year, p.value) for p in england.series(ind_id)])
        )
    last = next((p for p in reversed(s.series(ind_id)) if p.value is not None), None)
    desc = f"Line chart of {ind.title} by year for {s.name}" + (
        " and England." if len(series) > 1 else "."
    )
    if last is not None:
        desc += f" In {last.period_label} it was {fmt_value(last.value, ind.unit)}."
    return charts.line_chart(
        series,
        title=f"{ind.title}, {s.name}",
        desc=desc,
        ident=f"c-{ind_id}",
        fmt=fmt_for(ind),
        year_label=partial(year_label, ind=ind, short=True),
    )


def sufficiency_page(con: Any, place: str | None) -> dict[str, Any]:
    """Everything the ``/sufficiency`` template shows (and its tables, for CSV)."""
    s = sufficiency(con, place)
    england = sufficiency(con, None) if s.geo_code != ENGLAND else None
    q = f"?place={s.geo_code}" if s.geo_code != ENGLAND else ""
    cost = _cost_table(s, f"/sufficiency/tables/cost.csv{q}")
    national = _national_table(con, "/sufficiency/tables/national.csv")
    shown = [i for i in TREND_INDICATORS if any(p.value is not None for p in s.series(i))]
    trends = [
        {
            "indicator": CATALOGUE[i],
            "chart": _chart(s, england, i),
            "table": _trend_table(s, None if i in _TOTALS else england, i),
        }
        for i in shown
    ]
    return {
        "place": s,
        "place_text": "" if s.geo_code == ENGLAND else s.name,
        "decomposition": s.decomposition,
        "cost_table": cost,
        "national_table": national,
        "tables": [t for t in (cost, national) if t is not None] + [t["table"] for t in trends],
        "trends": trends,
        "api_href": f"/api/care/sufficiency{q}",
        "fmt_m": _m,
        "spend_ind": _SPEND,
    }


PlaceQuery = Annotated[str | None, Query()]


@router.get("/sufficiency")
def sufficiency_route(request: Request, con: Con, place: PlaceQuery = None) -> Response:
    """Placements, sufficiency and the cost of care (England by default)."""
    ctx = sufficiency_page(con, place or None)
    return render(request, "sufficiency.html", nav="sufficiency", **ctx)


@router.get("/sufficiency/tables/{table_id}.{fmt}")
def sufficiency_csv(
    request: Request, con: Con, table_id: str, fmt: str, place: PlaceQuery = None
) -> Response:
    """One of the page's tables as CSV or an Excel workbook."""
    ctx = sufficiency_page(con, place or None)
    for t in ctx["tables"]:
        if t.id == table_id:
            return table_download(request, con, t, table_id, fmt)
    raise InputError(f"no table {table_id!r} on this page")
