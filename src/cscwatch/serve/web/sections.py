"""The sections of an authority profile: each a template plus a data function.

A section plugs in by appending a :class:`ProfileSection` to :data:`PROFILE_SECTIONS`
(or calling :func:`register_section`). Its ``data`` function gets the
:class:`SectionContext` and returns the template's context, or ``None`` to leave the
section out (for example when the warehouse has no Ofsted tables yet). Tables it
appends to ``ctx.tables`` are offered as CSV at
``/authorities/{la}/tables/{table.id}.csv``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import duckdb

from cscwatch.core.catalogue import CATALOGUE, Indicator, Unit
from cscwatch.core.config import Settings
from cscwatch.indicators.authorities import Authority, statistical_neighbours
from cscwatch.indicators.benchmarking import Benchmark, Profile, sn_mark
from cscwatch.indicators.comparisons import Comparison, neighbour_comparisons
from cscwatch.indicators.flags import FLAG_FIELDS
from cscwatch.indicators.series import SeriesPoint
from cscwatch.indicators.web_queries import profile_series, spine_ranges
from cscwatch.serve.web import charts
from cscwatch.serve.web._render import (
    Column,
    Row,
    Table,
    fmt_change_cell,
    fmt_for,
    fmt_value,
    year_label,
)
from cscwatch.serve.web.comparisons import comparison_chart, comparison_table, rank_sentence
from cscwatch.serve.web.flags import flag_html
from cscwatch.serve.web.spine import TOTAL_UNITS, spine_rows

__all__ = [
    "PROFILE_SECTIONS",
    "TOPIC_TITLES",
    "ProfileSection",
    "SectionContext",
    "neighbours_block",
    "register_section",
    "series_table",
]

TOPIC_TITLES: dict[str, str] = {
    "referrals": "Referrals",
    "children_in_need": "Children in need",
    "child_protection": "Child protection",
    "looked_after": "Children in care",
    "care_placements": "Children in care: placements and sufficiency",
    "care_leavers": "Children in care: leaving care and permanence",
    "care_spend": "Children in care: unit costs and spend",
    "workforce": "Social work workforce",
    "spend": "Spending",
    "education": "Education outcomes",
    "factors": "Factors at assessment",
    "context": "Context",
}


@dataclass
class SectionContext:
    """What a section's data function can use."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    authority: Authority
    year: int | None
    profile: Profile
    href: str
    tables: list[Table] = field(default_factory=list)
    #: The warehouse file's identity, for caches kept per file (``None``: keep nothing).
    warehouse_tag: str | None = None

    def csv_href(self, table_id: str) -> str:
        """Where the CSV of one of this profile's tables is served."""
        return _csv_href(self.href, table_id, self.year)


def _csv_href(href: str, table_id: str, year: int | None) -> str:
    """Where the CSV of a table of the profile at ``href`` (with ``year``) is served."""
    suffix = f"?year={year}" if year else ""
    return f"{href}/tables/{table_id}.csv{suffix}"


@dataclass(frozen=True)
class ProfileSection:
    """One section of the profile page."""

    id: str
    title: str
    template: str
    data: Callable[[SectionContext], dict[str, Any] | None]


def _rank_text(b: Benchmark) -> str:
    if b.rank is None:
        return b.rank_note or ""
    text = f"{b.rank} of {b.n_ranked}"
    return f"{text} ({b.rank_note})" if b.rank_note else text


def _summary(ctx: SectionContext) -> dict[str, Any] | None:
    """Every indicator's latest figure against its comparators: a spine chart per
    indicator, and every column in one table below it."""
    t = Table(
        id="summary",
        caption=f"{ctx.authority.name}: every indicator against its comparators "
        "(£ figures in cash terms, not adjusted for inflation)",
        columns=[
            Column("Indicator"),
            Column("Year"),
            Column(ctx.authority.name, True),
            Column("Statistical neighbours (mean)", True),
            Column(ctx.authority.region_name or "Region", True),
            Column("England", True),
            Column("Rank (1 = highest)"),
            Column("Quartile"),
            Column("Against England"),
            Column("Change on last year"),
        ],
        csv_href=ctx.csv_href("summary"),
        csv_columns=(
            "indicator",
            "year",
            "period_label",
            "unit",
            "value",
            "status",
            "sn_mean",
            "sn_n",
            "region",
            "england",
            "rank",
            "n_ranked",
            "rank_note",
            "joint_with",
            "quartile",
            "change_1y",
            *FLAG_FIELDS,
        ),
        context=_authority_context(ctx.authority),
        indicators=tuple(b.indicator for b in ctx.profile.benchmarks),
    )
    for b in ctx.profile.benchmarks:
        ind = CATALOGUE[b.indicator]
        f = fmt_for(ind)
        change = b.trend.change_1y
        change_text = fmt_change_cell(change, ind.unit, b.trend.judgement)
        t.rows.append(
            Row(
                cells=[
                    ind.title,
                    year_label(b.year, ind),
                    fmt_value(b.value, ind.unit, b.status)
                    + (" (provisional)" if b.provisional else ""),
                    f(b.sn_mean) + sn_mark(b.sn_mean, b.sn_n),
                    f(b.region),
                    f(b.england),
                    _rank_text(b),
                    b.quartile_label or "",
                    flag_html(b.outlier),
                    change_text,
                ],
                raw=[
                    ind.id,
                    b.year,
                    ind.year_label(b.year),
                    ind.unit_label,
                    b.value,
                    b.status,
                    b.sn_mean,
                    b.sn_n,
                    b.region,
                    b.england,
                    b.rank,
                    b.n_ranked,
                    b.rank_note,
                    " ".join(b.joint_with) or None,
                    b.quartile,
                    change,
                    *b.outlier.to_dict().values(),
                ],
                href=f"/indicators/{ind.id}?authority={ctx.authority.la_code}&year={b.year}",
            )
        )
    ctx.tables.append(t)
    benchmarks = ctx.profile.benchmarks
    ranges = spine_ranges(ctx.con, [(b.indicator, b.reference_year or b.year) for b in benchmarks])
    rows = spine_rows(
        benchmarks, ranges, authority=ctx.authority.name, la_code=ctx.authority.la_code
    )
    return {"table": t, "spine": rows, "authority": ctx.authority}


def _axis_words(unit: Unit) -> str:
    """What a chart's values are, said above its axis (``Per 10,000 children``)."""
    words = unit.label
    return words[:1].upper() + words[1:]


def _authority_context(a: Authority) -> tuple[tuple[str, str], ...]:
    """The leading columns of a download about one authority: its codes and name."""
    return (("old_la_code", a.la_code), ("new_la_code", a.gss_code or ""), ("la_name", a.name))


def _series_table(
    ind_id: str, authority: Authority, region: str, points: list[Any], href: str
) -> Table:
    ind = CATALOGUE[ind_id]
    title, la_name = ind.title, authority.name
    t = Table(
        id=f"series-{ind_id}",
        caption=f"{title}: {la_name} against comparators by year"
        + (f" ({ind.unit_label})" if ind.unit.is_money else ""),
        columns=[
            Column("Year"),
            Column(la_name, True),
            Column("Statistical neighbours (mean)", True),
            Column(region, True),
            Column("England", True),
        ],
        csv_href=href,
        csv_columns=(
            "year",
            "period_label",
            "authority",
            "authority_status",
            "authority_provisional",
            "sn_mean",
            "sn_n",
            "region",
            "england",
        ),
        context=(
            *_authority_context(authority),
            ("indicator", ind.id),
            ("unit", ind.unit_label),
        ),
        indicators=(ind.id,),
        unit=ind.unit_label,
    )
    for p in points:
        t.rows.append(
            Row(
                cells=[
                    year_label(p.year, ind),
                    fmt_value(p.authority, ind.unit, p.status)
                    + (" (provisional)" if p.provisional else ""),
                    fmt_value(p.sn_mean, ind.unit) + sn_mark(p.sn_mean, p.sn_n),
                    fmt_value(p.region, ind.unit),
                    fmt_value(p.england, ind.unit),
                ],
                raw=[
                    p.year,
                    ind.year_label(p.year),
                    p.authority,
                    p.status,
                    p.provisional,
                    p.sn_mean,
                    p.sn_n,
                    p.region,
                    p.england,
                ],
            )
        )
    return t


def _sn_line_name(ind: Indicator, points: list[SeriesPoint]) -> str:
    """The neighbours' line's name in the chart's legend and its ``<title>``: where the
    mean of a year drawn is over fewer than 10 neighbours (the table marks each such
    year's figure ``(n=K)``), the name says which years (or how many, beyond three)."""
    few = [p.year for p in points if sn_mark(p.sn_mean, p.sn_n)]
    if not few:
        return "Statistical neighbours (mean)"
    when = (
        ", ".join(year_label(y, ind, short=True) for y in few)
        if len(few) <= 3
        else f"{len(few)} years, marked in the table"
    )
    return f"Statistical neighbours (mean; of fewer than 10 in {when})"


def _indicators(ctx: SectionContext) -> dict[str, Any] | None:
    """Each indicator's series against neighbours, region and England, by topic."""
    a = ctx.authority
    region = a.region_name or "Region"
    all_series = profile_series(ctx.con, a.la_code, a.region_code)
    by_ind = {b.indicator: b for b in ctx.profile.benchmarks}
    among = neighbour_comparisons(
        ctx.con, a, {b.indicator: b.year for b in ctx.profile.benchmarks if not b.provisional}
    )
    topics: dict[str, list[dict[str, Any]]] = {}
    for ind in CATALOGUE.values():
        points = all_series.get(ind.id, [])
        if not _drawn(ind, points):
            continue
        # a count or £ total: England's and the region's totals are drawn on their own
        # axis, never on the authority's, where they would flatten its line to zero
        total = ind.unit in TOTAL_UNITS
        # The chart draws published figures: the authority's own provisional return is in
        # its table ("Show the data", marked) and its block's facts, not on the line (a
        # year with nothing else published is left off the axis).
        drawn = [
            (p.year, None if p.provisional else p.authority, p)
            for p in points
            if not p.provisional or (p.sn_mean, p.region, p.england) != (None, None, None)
        ]
        series = [
            charts.Series(a.name, "la", [(y, v) for y, v, _ in drawn]),
            charts.Series(
                _sn_line_name(ind, [p for _, _, p in drawn]),
                "sn",
                [(y, p.sn_mean) for y, _, p in drawn],
            ),
        ]
        england = charts.Series("England", "england", [(y, p.england) for y, _, p in drawn])
        if not total:
            series += [
                charts.Series(region, "region", [(y, p.region) for y, _, p in drawn]),
                england,
            ]
        table = _series_table(ind.id, a, region, points, ctx.csv_href(f"series-{ind.id}"))
        ctx.tables.append(table)
        last = next(
            (p for p in reversed(points) if p.authority is not None and not p.provisional), None
        )
        desc = (
            f"Line chart of {ind.title} by year for {a.name}, its statistical neighbours, "
            f"{region} and England."
        )
        if last is not None:
            desc += (
                f" In {year_label(last.year, ind)} {a.name} was "
                f"{fmt_value(last.authority, ind.unit)}"
            )
            if last.england is not None:
                desc += f" against {fmt_value(last.england, ind.unit)} for England"
            desc += "."
        comparison = among.get(ind.id)
        if comparison is not None:
            # offered as CSV; the page draws it only when its block is opened
            ctx.tables.append(_neighbours_table(ctx, ind, comparison))
        topics.setdefault(ind.topic, []).append(
            {
                "indicator": ind,
                "benchmark": by_ind.get(ind.id),
                "neighbours": comparison,
                "neighbours_rank": None
                if comparison is None
                else rank_sentence(comparison, a.name),
                "chart": charts.line_chart(
                    series,
                    title=f"{ind.title}, {a.name}",
                    desc=desc,
                    ident=f"c-{ind.id}",
                    fmt=fmt_for(ind),
                    year_label=partial(year_label, ind=ind, short=True),
                    axis_label=_axis_words(ind.unit),
                    note=f"England's total is on its own axis below; {region}'s total is "
                    "in the table."
                    if total
                    else "",
                ),
                "totals_chart": charts.line_chart(
                    [england],
                    title=f"{ind.title}: England's total",
                    desc=f"Line chart of {ind.title} by year, England's total, on its own axis.",
                    ident=f"t-{ind.id}",
                    fmt=fmt_for(ind),
                    year_label=partial(year_label, ind=ind, short=True),
                    axis_label=_axis_words(ind.unit) + " (totals)",
                )
                if total
                else None,
                "table": table,
            }
        )
    groups = [
        {"id": t, "title": TOPIC_TITLES.get(t, t.replace("_", " ").capitalize()), "items": items}
        for t, items in topics.items()
    ]
    return {"groups": groups, "region": region} if groups else None


def _drawn(ind: Indicator, points: list[Any]) -> bool:
    """Whether the profile draws ``ind``'s series: the authority has a figure, and it is
    not a count whose rate is drawn (the count is in the summary table)."""
    if not any(p.authority is not None for p in points):
        return False
    return not (ind.unit is Unit.COUNT and f"{ind.id}_per_10k" in CATALOGUE)


def series_table(
    con: duckdb.DuckDBPyConnection, authority: Authority, ind: Indicator, year: int | None
) -> Table | None:
    """One indicator's "Show the data" table of the profile of ``authority`` (with
    ``year``, which names only its CSV's address): the series its chart draws, by year,
    or ``None`` when the profile draws no chart of ``ind``.

    The profile sends its address rather than ~100 such tables (a third of the page's
    elements): its details block fetches it when opened."""
    points = profile_series(con, authority.la_code, authority.region_code).get(ind.id, [])
    if not _drawn(ind, points):
        return None
    href = _csv_href(f"/authorities/{authority.la_code}", f"series-{ind.id}", year)
    return _series_table(ind.id, authority, authority.region_name or "Region", points, href)


def _neighbours_title(ctx: SectionContext, ind: Indicator, comparison: Comparison) -> str:
    a = ctx.authority.name
    return f"{ind.title}, {comparison.period_label}: {a} and its statistical neighbours"


def _neighbours_table(ctx: SectionContext, ind: Indicator, comparison: Comparison) -> Table:
    """One indicator's neighbours' table on the profile (its CSV: ``neighbours-{id}``)."""
    return comparison_table(
        comparison,
        ind,
        table_id=f"neighbours-{ind.id}",
        caption=_neighbours_title(ctx, ind, comparison),
        csv_href=ctx.csv_href(f"neighbours-{ind.id}"),
    )


def neighbours_block(ctx: SectionContext, ind: Indicator) -> dict[str, Any] | None:
    """One indicator's block "Each statistical neighbour's figure" on the profile: the
    rank in words, the chart and the table, as the profile's indicators section compares
    it (its benchmark's year; none for a provisional figure), or ``None`` without one.

    The profile links to it rather than drawing ~80 of them (tens of thousands of
    elements): its details block fetches this when it is opened."""
    b = next((b for b in ctx.profile.benchmarks if b.indicator == ind.id), None)
    if b is None or b.provisional:
        return None
    comparison = neighbour_comparisons(ctx.con, ctx.authority, {ind.id: b.year}).get(ind.id)
    if comparison is None:
        return None
    return {
        "indicator": ind,
        "rank": rank_sentence(comparison, ctx.authority.name),
        "chart": comparison_chart(
            comparison, ind, ident=f"sn-{ind.id}", title=_neighbours_title(ctx, ind, comparison)
        ),
        "table": _neighbours_table(ctx, ind, comparison),
    }


def _neighbours(ctx: SectionContext) -> dict[str, Any] | None:
    """The statistical neighbours the comparisons use."""
    ns = statistical_neighbours(ctx.con, ctx.authority.la_code)
    if not ns:
        return None
    t = Table(
        id="neighbours",
        caption=f"Statistical neighbours of {ctx.authority.name} (DfE {ns[0].model} model)",
        columns=[Column("Authority"), Column("Closeness rank", True)],
        rows=[
            Row(
                [n.name, str(n.rank)],
                [n.la_code, n.name, n.rank, n.model],
                href=f"/authorities/{n.la_code}",
            )
            for n in ns
        ],
        csv_href=ctx.csv_href("neighbours"),
        csv_columns=("neighbour_la_code", "neighbour_la_name", "rank", "model"),
        context=_authority_context(ctx.authority),
    )
    ctx.tables.append(t)
    return {"table": t}


_GRADE_WORDS = {
    "outstanding": ("Outstanding", "govuk-tag--green"),
    "good": ("Good", "govuk-tag--turquoise"),
    "requires_improvement": ("Requires improvement", "govuk-tag--yellow"),
    "inadequate": ("Inadequate", "govuk-tag--red"),
}
_FRAMEWORK_WORDS = {"ilacs": "ILACS", "sif": "Single inspection framework", "legacy": "Before 2013"}
_OFSTED_COLUMNS = (
    ("overall_effectiveness", "Overall effectiveness"),
    ("help_protection", "Help and protection"),
    ("children_in_care", "Children in care"),
    ("leadership", "Leadership"),
)
#: ILACS's first years judged children in care and care leavers together.
_SAME_COLUMN = {"children_in_care_and_care_leavers": "children_in_care"}


_PROVENANCE_WORDS = {
    "report": "Report",
    "overview": "ILACS overview",
}


def _ofsted(ctx: SectionContext) -> dict[str, Any] | None:
    """The authority's Ofsted inspections, newest first, and its judgement in force on
    the date the Ofsted record runs to."""
    from cscwatch.indicators.judgements import ofsted_record
    from cscwatch.indicators.staleness import stale_status
    from cscwatch.store.inspections import (
        authority_periods,
        has_inspection_tables,
        read_inspections,
    )

    if not has_inspection_tables(ctx.con):
        return None
    everything = read_inspections(ctx.con)
    record = ofsted_record(everything)
    items = [
        i
        for i in everything
        if i.la_code == ctx.authority.la_code and i.publication_date is not None
    ]
    if not items or record.runs_to is None:
        return {"table": None, "latest": None, "record": record}
    items.sort(key=lambda i: (i.publication_date, i.inspection_id), reverse=True)
    mine = [
        a
        for a in authority_periods(ctx.con, ctx.settings.snapshot_dir)
        if a.la_code == ctx.authority.la_code
    ]
    status = next(iter(stale_status(everything, mine, record.runs_to)), None)
    t = Table(
        id="ofsted",
        caption=f"Ofsted inspections of {ctx.authority.name}'s children's services",
        columns=[
            Column("Published"),
            Column("Framework"),
            Column("Type"),
            *[Column(label) for _, label in _OFSTED_COLUMNS],
            Column("Source"),
        ],
        csv_href=ctx.csv_href("ofsted"),
        csv_columns=(
            "publication_date",
            "framework",
            "kind",
            *tuple(code for code, _ in _OFSTED_COLUMNS),
            "provenance",
        ),
    )
    rows = []
    latest = None
    for i in items:
        grades = {_SAME_COLUMN.get(k.value, k.value): g.value for k, g in i.judgements.items()}
        unknown = {_SAME_COLUMN.get(k.value, k.value) for k in i.unknown}
        if latest is None and ("overall_effectiveness" in grades or unknown):
            latest = {
                "date": i.publication_date,
                "grade": _GRADE_WORDS.get(grades.get("overall_effectiveness", "")),
                "provenance": i.provenance.value,
            }
        cells = [
            i.publication_date.strftime("%-d %B %Y") if i.publication_date else "",
            _FRAMEWORK_WORDS.get(i.framework.value, i.framework.value),
            i.kind.value.replace("_", " ").capitalize(),
        ]
        source = _PROVENANCE_WORDS.get(i.provenance.value, i.provenance.value)
        rows.append(
            {
                "cells": cells,
                "grades": [_GRADE_WORDS.get(grades.get(code, "")) for code, _ in _OFSTED_COLUMNS],
                "not_given": [code in unknown for code, _ in _OFSTED_COLUMNS],
                "source": source,
                "url": i.url,
            }
        )
        t.rows.append(
            Row(
                cells=cells
                + [
                    "not given"
                    if c in unknown
                    else _GRADE_WORDS.get(grades.get(c, ""), ("", ""))[0]
                    for c, _ in _OFSTED_COLUMNS
                ]
                + [source],
                raw=[
                    i.publication_date.isoformat() if i.publication_date else None,
                    i.framework.value,
                    i.kind.value,
                ]
                + [grades.get(c) for c, _ in _OFSTED_COLUMNS]
                + [i.provenance.value],
            )
        )
    ctx.tables.append(t)
    return {
        "table": t,
        "rows": rows,
        "latest": latest,
        "record": record,
        "status": status,
        "columns": [label for _, label in _OFSTED_COLUMNS],
    }


#: The profile's sections, in page order.
PROFILE_SECTIONS: list[ProfileSection] = [
    ProfileSection("summary", "Summary", "sections/summary.html", _summary),
    ProfileSection("ofsted", "Ofsted inspections", "sections/ofsted.html", _ofsted),
    ProfileSection("indicators", "Indicators over time", "sections/indicators.html", _indicators),
    ProfileSection("neighbours", "Statistical neighbours", "sections/neighbours.html", _neighbours),
]


def register_section(section: ProfileSection, *, before: str | None = None) -> None:
    """Add a section (replacing one with the same id), optionally before another."""
    PROFILE_SECTIONS[:] = [s for s in PROFILE_SECTIONS if s.id != section.id]
    ids = [s.id for s in PROFILE_SECTIONS]
    at = ids.index(before) if before in ids else len(PROFILE_SECTIONS)
    PROFILE_SECTIONS.insert(at, section)
