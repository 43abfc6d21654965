"""View builders: call the library, shape the answer into charts and tables for a page.

Each returns the template's context; ``tables`` holds every table on the page so the
CSV routes serve exactly what the page shows.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb

from cscwatch.core.catalogue import CATALOGUE, Indicator, Unit, get_indicator
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError, UnknownYearError
from cscwatch.indicators.authorities import Authority, list_authorities
from cscwatch.indicators.benchmarking import available_years, default_year
from cscwatch.indicators.benchmarking import profile as lib_profile
from cscwatch.indicators.flags import FLAG_FIELDS, FLAG_WORDS, flag_meaning
from cscwatch.indicators.variation import funnel, variation
from cscwatch.indicators.web_queries import AuthorityValue, authority_values, england_series
from cscwatch.serve.web import charts, maps
from cscwatch.serve.web._render import (
    Column,
    Row,
    Table,
    fmt_change,
    fmt_for,
    fmt_value,
    year_label,
)
from cscwatch.serve.web.flags import flag_html
from cscwatch.serve.web.sections import (
    PROFILE_SECTIONS,
    TOPIC_TITLES,
    SectionContext,
    neighbours_block,
    series_table,
)
from cscwatch.serve.web.spine import TOTAL_UNITS

__all__ = [
    "HEADLINES",
    "authority_list",
    "boundaries_path",
    "indicator",
    "indicator_list",
    "overview",
    "profile",
    "profile_neighbours",
    "profile_series",
]

#: The England overview's headline indicators, in order.
HEADLINES: tuple[str, ...] = (
    "referrals_per_10k",
    "rereferrals_pct",
    "cin_at31_per_10k",
    "s47_per_10k",
    "cpp_at31_per_10k",
    "repeat_cpp_pct",
    "lac_at31_per_10k",
    "agency_rate_pct",
    "turnover_rate_pct",
)
_DEFAULT_MAP = "cpp_at31_per_10k"

_QUARTILE_WORDS = {
    1: "lowest quarter",
    2: "second quarter",
    3: "third quarter",
    4: "highest quarter",
}


def boundaries_path(settings: Settings) -> Path:
    """The upper-tier boundaries shipped in the snapshot."""
    return Path(settings.snapshot_dir) / "utla_boundaries.geojson"


def _years_for(
    con: duckdb.DuckDBPyConnection, ind: Indicator, year: int | None
) -> tuple[list[int], int]:
    years = available_years(con, ind.id)
    if not years:
        why = f": {ind.no_data_reason}" if ind.no_data_reason else ""
        raise UnknownYearError(f"the warehouse has no figures for {ind.id}{why}")
    if year is None:
        return years, default_year(con, ind.id)
    if year not in years:
        raise UnknownYearError(
            f"no data for {ind.title} in {year_label(year, ind)}; years available: "
            f"{year_label(years[0], ind)} to {year_label(years[-1], ind)}"
        )
    return years, year


def _map_and_table(
    settings: Settings,
    ind: Indicator,
    year: int,
    values: list[AuthorityValue],
    *,
    table_id: str,
    csv_href: str,
    highlight: str | None = None,
) -> tuple[Any, Table]:
    classes = {v.la_code: (None if v.quartile is None else v.quartile - 1) for v in values}
    labels = {v.la_code: f"{v.name}: {fmt_value(v.value, ind.unit, v.status)}" for v in values}
    title = f"Map of {ind.title} by authority, {year_label(year, ind)}"
    desc = (
        f"Upper-tier authorities of England shaded by quarter of {ind.title} in "
        f"{year_label(year, ind)}, darkest for the highest quarter. The table that follows "
        "gives every authority's figure."
    )
    svg = maps.choropleth(
        boundaries_path(settings),
        classes,
        labels,
        title=title,
        desc=desc,
        ident=f"map-{table_id}",
        highlight=[highlight] if highlight else [],
    )
    # the key: each quarter's lowest and highest value, and how many have no figure
    areas, _, _ = maps.load_map(boundaries_path(settings))
    svg += maps.legend_html(
        maps.legend_classes([(classes.get(v.la_code), v.value) for v in values], fmt_for(ind)),
        unit=ind.unit_label,
        missing=sum(1 for a in areas if classes.get(a.la_code) is None),
    )
    flagged = any(v.outlier.flag_basis != "none" for v in values)
    t = Table(
        id=table_id,
        caption=f"{ind.title} by authority, {year_label(year, ind)}",
        columns=[
            Column("Authority"),
            Column("Region"),
            Column(ind.title, True),
            Column("Rank (1 = highest)", True),
            Column("Quartile"),
            *([Column("Against England")] if flagged else []),
            Column("Note"),
        ],
        csv_href=csv_href,
        context=_indicator_context(ind, year),
        indicators=(ind.id,),
        unit=ind.unit_label,
    )
    for v in values:
        t.rows.append(
            Row(
                cells=[
                    v.name,
                    v.region_name or "",
                    fmt_value(v.value, ind.unit, v.status),
                    "" if v.rank is None else str(v.rank),
                    _QUARTILE_WORDS.get(v.quartile or 0, "not ranked"),
                    *([flag_html(v.outlier, warning=False)] if flagged else []),
                    _note(v),
                ],
                raw=[
                    v.la_code,
                    v.name,
                    v.region_name,
                    v.value,
                    v.status,
                    v.rank,
                    v.quartile,
                    v.rank_note,
                    *v.outlier.to_dict().values(),
                ],
                href=f"/authorities/{v.la_code}",
                highlight=v.la_code == highlight,
            )
        )
    return svg, t


def _indicator_context(ind: Indicator, year: int) -> tuple[tuple[str, Any], ...]:
    """The leading columns of a download of one indicator in one year: its id, the
    year as the publisher codes it and as the page names it, and its unit."""
    return (
        ("indicator", ind.id),
        ("year", year),
        ("period_label", year_label(year, ind)),
        ("unit", ind.unit_label),
    )


def _note(v: AuthorityValue) -> str:
    """The rank's note (joint return, small denominator, not ranked) and whether the
    flag's limits are approximate, in words (the CSV has the flag's full warning)."""
    notes = [v.rank_note] if v.rank_note else []
    if v.outlier.small_denominator and not v.rank_note and v.value is not None:
        notes.append("small denominator")
    if v.outlier.approximate:
        notes.append("limits approximate (fewer than 10 expected events)")
    text = "; ".join(notes)
    return text[:1].upper() + text[1:]


def _csv_columns_for_values(t: Table) -> Table:
    """CSV of a values table keeps the LA number and status as their own columns."""
    t.csv_columns = (
        "la_code",
        "name",
        "region",
        "value",
        "status",
        "rank",
        "quartile",
        "rank_note",
        *FLAG_FIELDS,
    )
    return t


def _indicator_options(selected: str) -> list[dict[str, Any]]:
    out = []
    for topic, inds in groupby(CATALOGUE.values(), key=lambda i: i.topic):
        out.append(
            {
                "label": TOPIC_TITLES.get(topic, topic),
                "items": [
                    {"value": i.id, "text": i.title, "selected": i.id == selected}
                    for i in inds
                    if i.unit is not Unit.COUNT
                ],
            }
        )
    return [g for g in out if g["items"]]


def overview(
    con: duckdb.DuckDBPyConnection, settings: Settings, indicator_id: str | None, year: int | None
) -> dict[str, Any]:
    """England overview: headline figures with their trend, and a map with its table."""
    ind = get_indicator(indicator_id or _DEFAULT_MAP)
    years, year = _years_for(con, ind, year)
    ids = [i for i in HEADLINES if i in CATALOGUE]
    series = england_series(con, ids)
    headlines = []
    trend_table = Table(
        id="headlines",
        caption="England: headline indicators, latest year and the year before",
        columns=[
            Column("Indicator"),
            Column("Year"),
            Column("England", True),
            Column("Year before", True),
            Column("Change", True),
        ],
        csv_columns=("indicator", "year", "period", "england", "previous", "change"),
    )
    for i in ids:
        pts = [(y, v) for y, v in series.get(i, []) if v is not None]
        if not pts:
            continue
        hi = CATALOGUE[i]
        (y1, v1) = pts[-1]
        prev = pts[-2] if len(pts) > 1 and pts[-2][0] == y1 - 1 else None
        change = None if prev is None else v1 - prev[1]
        headlines.append(
            {
                "indicator": hi,
                "year": y1,
                "value": fmt_value(v1, hi.unit),
                "previous": None if prev is None else fmt_value(prev[1], hi.unit),
                "change": None if change is None else fmt_change(change, hi.unit),
                "direction": None
                if change is None
                else ("up" if change > 0 else "down" if change < 0 else "flat"),
                "spark": charts.sparkline(
                    [v for _, v in pts],
                    label=f"{hi.title}: trend for England from {year_label(pts[0][0], hi)} "
                    f"to {year_label(y1, hi)}",
                ),
                "first_year": pts[0][0],
            }
        )
        trend_table.rows.append(
            Row(
                cells=[
                    hi.title,
                    year_label(y1, hi),
                    fmt_value(v1, hi.unit),
                    "" if prev is None else fmt_value(prev[1], hi.unit),
                    "" if change is None else fmt_change(change, hi.unit),
                ],
                raw=[hi.id, y1, hi.year_label(y1), v1, None if prev is None else prev[1], change],
                href=f"/indicators/{hi.id}",
            )
        )
    query = urlencode({"indicator": ind.id, "year": year})
    trend_table.csv_href = f"/tables/headlines.csv?{query}"
    values = authority_values(con, ind.id, year)
    svg, table = _map_and_table(
        settings, ind, year, values, table_id="map", csv_href=f"/tables/map.csv?{query}"
    )
    ofsted, ofsted_tables = _ofsted_summary(con, settings)
    tables = [trend_table, _csv_columns_for_values(table), *ofsted_tables]
    return {
        "ofsted": ofsted,
        "ofsted_table": ofsted_tables[0] if ofsted_tables else None,
        "ofsted_stale_table": ofsted_tables[1] if ofsted_tables else None,
        "indicator": ind,
        "year": year,
        "years": years,
        "options": _indicator_options(ind.id),
        "headlines": headlines,
        "headline_table": trend_table,
        "map": svg,
        "map_table": table,
        "palette": maps.PALETTE,
        "tables": tables,
    }


_GRADES = (
    ("outstanding", "Outstanding"),
    ("good", "Good"),
    ("requires_improvement", "Requires improvement"),
    ("inadequate", "Inadequate"),
)


def _long_date(d: Any) -> str:
    return f"{d.day} {d:%B %Y}"


def _ofsted_summary(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> tuple[dict[str, Any] | None, list[Table]]:
    """Overall effectiveness grades in force on the date the Ofsted record runs to,
    and the stale authorities (one definition: ``indicators.staleness.stale_status``)."""
    from cscwatch.indicators.judgements import ofsted_record
    from cscwatch.indicators.staleness import summarise_judgements
    from cscwatch.store.inspections import (
        authority_periods,
        has_inspection_tables,
        read_inspections,
    )

    if not has_inspection_tables(con):
        return None, []
    inspections = read_inspections(con)
    record = ofsted_record(inspections)
    if record.runs_to is None:
        return None, []
    as_at = record.runs_to
    summary = summarise_judgements(
        inspections, as_at, authorities=authority_periods(con, settings.snapshot_dir)
    )
    s = summary.to_dict()
    when = _long_date(as_at)
    t = Table(
        id="ofsted",
        caption=f"Ofsted overall effectiveness in force on {when}, the date the Ofsted "
        "record runs to",
        columns=[Column("Grade"), Column("Authorities", True), Column("Share", True)],
        csv_columns=("grade", "authorities", "percent", "as_at"),
        csv_href="/tables/ofsted.csv",
    )
    for code, label in _GRADES:
        n, pct = s["counts"].get(code, 0), s["percent"].get(code, 0.0)
        t.rows.append(Row([label, str(n), f"{pct:.1f}%"], [code, n, pct, as_at.isoformat()]))
    stale = Table(
        id="ofsted-stale",
        caption=f"Authorities with no graded Ofsted judgement in the three years to {when}",
        columns=[
            Column("Authority"),
            Column("Why stale"),
            Column("Last judgement published"),
            Column("Grade"),
            Column("Age (years)", True),
        ],
        csv_columns=(
            "la_code",
            "name",
            "reason",
            "last_published",
            "last_grade",
            "age_years",
            "as_at",
        ),
        csv_href="/tables/ofsted-stale.csv",
    )
    for st in sorted(summary.stale_authorities, key=lambda x: x.name):
        stale.rows.append(
            Row(
                cells=[
                    st.name,
                    st.reason.words.capitalize() if st.reason else "",
                    _long_date(st.last_published) if st.last_published else "none",
                    dict(_GRADES).get(st.last_grade.value, "") if st.last_grade else "",
                    "" if st.age_years is None else f"{st.age_years:.1f}",
                ],
                raw=[
                    st.la_code,
                    st.name,
                    st.reason.value if st.reason else None,
                    st.last_published.isoformat() if st.last_published else None,
                    st.last_grade.value if st.last_grade else None,
                    st.age_years,
                    as_at.isoformat(),
                ],
                href=f"/authorities/{st.la_code}",
            )
        )
    names = {a.la_code: a.name for a in summary.statuses}
    bars = [
        {
            "label": label,
            "n": s["counts"].get(code, 0),
            "pct": s["percent"].get(code, 0.0),
            "code": code,
        }
        for code, label in _GRADES
    ]
    ctx = {
        "as_at": as_at,
        "record": record,
        "n": s["n"],
        "authorities": s["authorities"],
        "stale": s["stale"],
        "no_judgement": len(summary.no_judgement),
        "grade_not_given": [names.get(c, c) for c in summary.grade_not_given],
        "bars": bars,
    }
    return ctx, [t, stale]


def authority_list(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Current authorities by region, for choosing one."""
    auths = list_authorities(con, current_only=True)
    t = Table(
        id="authorities",
        caption="Local authorities with children's services",
        columns=[
            Column("Authority"),
            Column("Region"),
            Column("Type"),
            Column("LA number", True),
            Column("GSS code"),
        ],
        csv_href="/authorities.csv",
    )
    for a in sorted(auths, key=lambda a: (a.region_name or "", a.name)):
        t.rows.append(
            Row(
                cells=[a.name, a.region_name or "", a.la_type or "", a.la_code, a.gss_code or ""],
                href=f"/authorities/{a.la_code}",
            )
        )
    return {"authorities": sorted(auths, key=lambda a: a.name), "table": t, "tables": [t]}


def profile(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    auth: Authority,
    year: int | None,
    *,
    warehouse_tag: str | None = None,
) -> dict[str, Any]:
    """An authority profile: the sections of :data:`PROFILE_SECTIONS` in order."""
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
    sections = []
    for s in PROFILE_SECTIONS:
        data = s.data(ctx)
        if data is not None:
            sections.append({"section": s, "data": data})
    names = {a.la_code: a.name for a in list_authorities(con)}
    related = {
        "successors": [(c, names.get(c, c)) for c in auth.successors],
        "predecessors": [(c, names.get(c, c)) for c in auth.predecessors],
    }
    lo = min(i.years[0] for i in CATALOGUE.values())
    hi = max(i.years[1] for i in CATALOGUE.values())
    return {
        "authority": auth,
        "related": related,
        "year": year,
        "years": list(range(hi, lo - 1, -1)),
        "sections": sections,
        "tables": ctx.tables,
    }


def profile_neighbours(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    auth: Authority,
    year: int | None,
    ind: Indicator,
) -> dict[str, Any]:
    """One indicator's "Each statistical neighbour's figure" block of the profile of
    ``auth`` (as :func:`profile` with ``year`` compares it), fetched when the block is
    opened.

    Raises
    ------
    UnknownYearError
        When the profile has no comparison with the neighbours for ``ind`` (no figure,
        a provisional one, or no neighbours' model).
    """
    ctx = SectionContext(
        con=con,
        settings=settings,
        authority=auth,
        year=year,
        profile=lib_profile(con, auth.la_code, year),
        href=f"/authorities/{auth.la_code}",
    )
    block = neighbours_block(ctx, ind)
    if block is None:
        raise UnknownYearError(
            f"{auth.name}'s profile compares no {ind.id} figure with its neighbours"
        )
    return block


def profile_series(
    con: duckdb.DuckDBPyConnection, auth: Authority, year: int | None, ind: Indicator
) -> dict[str, Any]:
    """One indicator's "Show the data" table of the profile of ``auth`` (``year`` names
    only its CSV's address), fetched when the block is opened, and a page of its own
    without JavaScript.

    Raises
    ------
    InputError
        When the profile draws no chart of ``ind`` (no figure for ``auth``, or a count
        whose rate is drawn).
    """
    table = series_table(con, auth, ind, year)
    if table is None:
        raise InputError(f"{auth.name}'s profile draws no {ind.id} series")
    return {"authority": auth, "indicator": ind, "year": year, "table": table}


def indicator_list() -> dict[str, Any]:
    """The catalogue, grouped by topic."""
    t = Table(
        id="indicators",
        caption="Indicators",
        columns=[
            Column("Indicator"),
            Column("Id"),
            Column("Unit"),
            Column("Better when"),
            Column("First year"),
            Column("Last year"),
            Column("Source"),
        ],
        csv_href="/indicators.csv",
    )
    groups = []
    for topic, inds in groupby(CATALOGUE.values(), key=lambda i: i.topic):
        items = list(inds)
        groups.append({"title": TOPIC_TITLES.get(topic, topic), "items": items})
        for i in items:
            t.rows.append(
                Row(
                    cells=[
                        i.title,
                        i.id,
                        i.unit_label,
                        _better(i),
                        year_label(i.years[0], i),
                        year_label(i.years[1], i),
                        i.source,
                    ],
                    href=f"/indicators/{i.id}",
                )
            )
    return {"groups": groups, "table": t, "tables": [t]}


def _better(ind: Indicator) -> str:
    return {"high_good": "higher", "low_good": "lower"}.get(ind.polarity.value, "neither")


def _among_neighbours(
    con: duckdb.DuckDBPyConnection, ind: Indicator, year: int, la_code: str | None, base: str
) -> dict[str, Any] | None:
    """The chosen authority among its statistical neighbours in ``year`` (chart, table,
    rank in words), or ``None`` without an authority or neighbours."""
    if la_code is None:
        return None
    from cscwatch.indicators.authorities import resolve_authority
    from cscwatch.indicators.comparisons import MAX_COMPARED, neighbour_comparisons
    from cscwatch.serve.web.comparisons import comparison_chart, comparison_table, rank_sentence

    auth = resolve_authority(con, la_code)
    c = neighbour_comparisons(con, auth, {ind.id: year}).get(ind.id)
    if c is None:
        return None
    title = f"{ind.title}, {c.period_label}: {auth.name} and its statistical neighbours"
    query = urlencode({"year": year, "authority": la_code})
    return {
        "authority": auth,
        "comparison": c,
        "rank": rank_sentence(c, auth.name),
        "chart": comparison_chart(c, ind, ident="sn-chart", title=title),
        "table": comparison_table(
            c,
            ind,
            table_id="neighbours",
            caption=title,
            csv_href=f"{base}/tables/neighbours.csv?{query}",
        ),
        # /compare takes up to 10: the authority and its closest neighbours
        "compare_n": min(len(c.rows), MAX_COMPARED) - 1,
        "compare_href": "/compare?"
        + urlencode(
            {
                "authorities": ",".join(r.code for r in c.rows[:MAX_COMPARED]),
                "indicator": ind.id,
                "year": year,
            }
        ),
    }


def indicator(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    ind: Indicator,
    year: int | None,
    authority: str | None,
) -> dict[str, Any]:
    """One indicator: ranked chart, funnel plot, map and definitions."""
    years, year = _years_for(con, ind, year)
    values = authority_values(con, ind.id, year)
    highlight = None
    if authority:
        from cscwatch.indicators.authorities import resolve_authority

        highlight = resolve_authority(con, authority).la_code
    f = fmt_for(ind)
    var = variation(con, ind.id, year)
    query = urlencode({"year": year})
    base = f"/indicators/{ind.id}"
    ranked = [v for v in values if v.value is not None and not v.is_small]
    bars = [
        charts.Bar(
            v.name,
            v.value or 0.0,
            highlight=v.la_code == highlight,
            href=f"/authorities/{v.la_code}",
        )
        for v in ranked
    ]
    bar_desc = (
        f"Column chart of {len(bars)} authorities ranked by {ind.title} in "
        f"{year_label(year, ind)}, "
        f"highest on the left, from {f(var.max_value)} ({var.max_authority}) to "
        f"{f(var.min_value)} ({var.min_authority}); England {f(var.england)}."
    )
    bar_svg = charts.bar_chart(
        bars,
        title=f"{ind.title} by authority, {year_label(year, ind)}",
        desc=bar_desc,
        ident="ranked",
        fmt=f,
        # England's total (a count, £) is not on the authorities' scale: no line
        reference=None if ind.unit in TOTAL_UNITS else var.england,
        axis_label=ind.unit_label[:1].upper() + ind.unit_label[1:],
        bars_label="Authority",
        highlight_label=next((b.label for b in bars if b.highlight), ""),
    )
    map_svg, table = _map_and_table(
        settings,
        ind,
        year,
        values,
        table_id="authorities",
        csv_href=f"{base}/tables/authorities.csv?{query}",
        highlight=highlight,
    )
    fp = funnel(con, ind.id, year)
    funnel_svg = None
    funnel_table = None
    funnel_counts = None
    if fp is not None:
        fpts = [
            charts.FunnelPoint(
                p.name,
                p.denominator,
                p.value,
                p.outlier.flag,
                p.outlier.flag_meaning,
                p.la_code == highlight,
                f"/authorities/{p.la_code}",
            )
            for p in fp.points
        ]
        limits = [
            charts.LimitPoint(c.denominator, c.lower998_od, c.upper998_od, c.lower998, c.upper998)
            for c in fp.curve
        ]
        funnel_counts = {
            "higher": fp.count("higher"),
            "lower": fp.count("lower"),
            "chance_higher": fp.count("higher", chance=True),
            "chance_lower": fp.count("lower", chance=True),
            "n": len(fp.points),
            "higher_meaning": flag_meaning("higher", ind.polarity),
            "lower_meaning": flag_meaning("lower", ind.polarity),
        }
        den_words = ind.denominator or "denominator"
        den_label = den_words[:1].upper() + den_words[1:]
        funnel_svg = charts.funnel_plot(
            fpts,
            limits,
            centre=fp.centre,
            title=f"Funnel plot of {ind.title}, {year_label(year, ind)}",
            desc=(
                f"Each authority's {ind.title} against its {den_words}, with England's value "
                f"{f(fp.centre)}, the 99.8% limits allowing for variation between authorities "
                f"(solid) and the 99.8% limits of chance alone (dashed). "
                f"{funnel_counts['higher']} authorities are higher than expected and "
                f"{funnel_counts['lower']} lower than expected; on chance alone "
                f"{funnel_counts['chance_higher']} would be higher and "
                f"{funnel_counts['chance_lower']} lower."
            ),
            ident="funnel",
            fmt=f,
            size_label=den_label,
            size_fmt=lambda v: f"{(v or 0):,.0f}",
        )
        funnel_table = Table(
            id="funnel",
            caption=f"{ind.title}: against England, {year_label(year, ind)}",
            columns=[
                Column("Authority"),
                Column(ind.title, True),
                Column(den_label, True),
                Column("Against England"),
                Column("On chance alone"),
            ],
            csv_href=f"{base}/tables/funnel.csv?{query}",
            csv_columns=("la_code", "name", "value", *FLAG_FIELDS),
            context=_indicator_context(ind, year),
            indicators=(ind.id,),
            unit=ind.unit_label,
        )
        for p in sorted(fp.points, key=lambda p: p.name):
            funnel_table.rows.append(
                Row(
                    cells=[
                        p.name,
                        f(p.value),
                        f"{p.denominator:,.0f}",
                        flag_html(p.outlier),
                        FLAG_WORDS[p.outlier.chance_flag],
                    ],
                    raw=[p.la_code, p.name, p.value, *p.outlier.to_dict().values()],
                    href=f"/authorities/{p.la_code}",
                    highlight=p.la_code == highlight,
                )
            )
    var_table = Table(
        id="variation",
        caption=f"{ind.title}: spread across authorities, {year_label(year, ind)}",
        columns=[Column("Measure"), Column("Value", True)],
        rows=[
            Row(["Authorities with a figure", str(var.n)], ["n", var.n]),
            Row(["Highest", f"{f(var.max_value)} ({var.max_authority})"], ["max", var.max_value]),
            Row(["Upper quartile", f(var.q3)], ["q3", var.q3]),
            Row(["Median", f(var.median)], ["median", var.median]),
            Row(["Lower quartile", f(var.q1)], ["q1", var.q1]),
            Row(["Lowest", f"{f(var.min_value)} ({var.min_authority})"], ["min", var.min_value]),
            Row(["England", f(var.england)], ["england", var.england]),
        ],
        csv_href=f"{base}/tables/variation.csv?{query}",
        csv_columns=("measure", "value"),
        context=_indicator_context(ind, year),
        indicators=(ind.id,),
        unit=ind.unit_label,
    )
    tables = [var_table, _csv_columns_for_values(table)] + ([funnel_table] if funnel_table else [])
    among = _among_neighbours(con, ind, year, highlight, base)
    if among is not None:
        tables.append(among["table"])
    return {
        "neighbours": among,
        "indicator": ind,
        "better": _better(ind),
        "year": year,
        "years": years,
        "highlight": highlight,
        "bar": bar_svg,
        "bar_total": ind.unit in TOTAL_UNITS,
        "map": map_svg,
        "map_table": table,
        "palette": maps.PALETTE,
        "funnel": funnel_svg,
        "funnel_table": funnel_table,
        "funnel_counts": funnel_counts,
        "funnel_scale": None if fp is None else fp.scale,
        "variation": var_table,
        "tables": tables,
    }
