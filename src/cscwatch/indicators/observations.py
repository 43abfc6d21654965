"""Reading observations: filtered queries, England's headline table, indicator tables,
and export in the publisher's tidy layout."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cscwatch.core.catalogue import CATALOGUE, get_indicator
from cscwatch.core.errors import InputError, UnknownYearError
from cscwatch.core.files import check_output_path
from cscwatch.core.types import PeriodKind
from cscwatch.indicators.authorities import REGION_NAMES_SQL
from cscwatch.indicators.flags import OutlierFlag

__all__ = [
    "HEADLINE_INDICATORS",
    "TIDY_COLUMNS",
    "HeadlineRow",
    "IndicatorRow",
    "Observation",
    "england_headline",
    "export_tidy",
    "indicator_table",
    "query_observations",
    "tidy_csv",
    "tidy_observations",
    "tidy_period",
]

ENGLAND = "E92000001"

#: The indicators of England's headline table, in order.
HEADLINE_INDICATORS: tuple[str, ...] = (
    "referrals",
    "referrals_per_10k",
    "rereferrals_pct",
    "cin_at31",
    "cin_at31_per_10k",
    "s47_per_10k",
    "icpc_per_10k",
    "cpp_starts_per_10k",
    "cpp_at31",
    "cpp_at31_per_10k",
    "repeat_cpp_pct",
    "lac_at31",
    "lac_at31_per_10k",
    "agency_rate_pct",
    "vacancy_rate_pct",
    "turnover_rate_pct",
    "caseload",
    "spend_safeguarding_per_child",
)


@dataclass(frozen=True)
class Observation:
    """One published (or provisional) figure as the warehouse holds it.

    ``geo_name`` names the place at any level (authority, region, Inner/Outer London,
    England); ``la_name`` only an authority. ``period_label`` is the publisher's name for
    ``year`` (``2024-25``, ``30 September 2025``). ``status`` keeps the publisher's
    symbol where ``value`` is suppressed or missing; ``method`` says how a derived
    figure was made; ``provisional`` marks an authority's own return loaded beside the
    published figures.
    """

    indicator: str
    geo_level: str
    geo_code: str
    la_name: str | None
    geo_name: str | None
    year: int
    period_label: str
    value: float | None
    status: str | None
    numerator: float | None
    denominator: float | None
    method: str | None
    provisional: bool | None

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict, in field order."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class HeadlineRow:
    """England's latest value of one indicator and its change over one and five years."""

    indicator: str
    title: str
    unit: str
    year: int
    value: float | None
    previous: float | None
    five_years_ago: float | None
    change_1y: float | None
    change_5y: float | None
    period_label: str = ""  # the publisher's name for ``year`` (``30 September 2025``)


@dataclass(frozen=True)
class IndicatorRow:
    """One geography's value of one indicator in one year.

    Authorities carry their ``outlier`` flag against England and a ``rank_note``
    (joint return ranked once, small denominator, too small to rank); regions and
    England carry neither.
    """

    geo_level: str
    geo_code: str
    name: str
    region_name: str | None
    value: float | None
    status: str | None
    rank: int | None
    provisional: bool = False
    outlier: OutlierFlag | None = None
    rank_note: str | None = None


def england_headline(con: duckdb.DuckDBPyConnection, year: int | None = None) -> list[HeadlineRow]:
    """England's headline indicators: latest year (or ``year``) and changes."""
    rows = con.execute(
        "SELECT indicator, year, value FROM observation WHERE geo_level = 'national' "
        "AND indicator IN (SELECT unnest(?)) ORDER BY indicator, year",
        [list(HEADLINE_INDICATORS)],
    ).fetchall()
    by: dict[str, dict[int, float | None]] = {}
    for ind_id, y, v in rows:
        by.setdefault(str(ind_id), {})[int(y)] = v
    out = []
    for ind_id in HEADLINE_INDICATORS:
        values = by.get(ind_id)
        if not values:
            continue
        ys = [y for y, v in values.items() if v is not None and (year is None or y <= year)]
        if not ys:
            continue
        y = max(ys)
        v, p, p5 = values.get(y), values.get(y - 1), values.get(y - 5)
        ind = CATALOGUE[ind_id]
        out.append(
            HeadlineRow(
                ind_id,
                ind.title,
                ind.unit.value,
                y,
                v,
                p,
                p5,
                None if v is None or p is None else v - p,
                None if v is None or p5 is None else v - p5,
                ind.year_label(y),
            )
        )
    return out


def indicator_table(
    con: duckdb.DuckDBPyConnection, indicator_id: str, year: int
) -> list[IndicatorRow]:
    """Every authority's value (ranked, highest first), then the regions and England.

    Ranks are those of the benchmarks (a joint return ranked once; City of London and
    the Isles of Scilly unranked), and so are the authorities' values: a figure the
    publisher gives under a former authority's number after it ceased is shown there,
    unranked, and also given to the successor(s) it belongs to
    (:data:`~cscwatch.indicators.benchmark_table.FORMER_NUMBER_FIGURES`). An
    authority's own return (``provisional``) is listed unranked: ranks are among
    published values only.
    """
    from cscwatch.indicators.web_queries import authority_values

    ind = get_indicator(indicator_id)
    published = {v.la_code: v for v in authority_values(con, ind.id, year)}
    rows = con.execute(
        f"""
        SELECT o.geo_level, o.geo_code,
               coalesce(a.name, r.region_name, CASE WHEN o.geo_level = 'national'
                        THEN 'England' END, o.geo_code) AS name,
               a.region_name, o.value, o.status, o.provisional
        FROM observation o
        LEFT JOIN authority a ON o.geo_level = 'la' AND a.la_code = o.geo_code
        LEFT JOIN {REGION_NAMES_SQL} r
               ON o.geo_level = 'regional' AND r.region_code = o.geo_code
        WHERE o.indicator = ? AND o.year = ?
        """,
        [ind.id, year],
    ).fetchall()
    if not rows:
        known = [
            int(r[0])
            for r in con.execute(
                "SELECT DISTINCT year FROM observation WHERE indicator = ? ORDER BY year",
                [ind.id],
            ).fetchall()
        ]
        span = f"{ind.year_label(known[0])} to {ind.year_label(known[-1])}" if known else "none"
        raise UnknownYearError(
            f"no data for {ind.id} in {ind.year_label(year)}; years available: {span}"
        )
    out = []
    for level, code, name, region, value, status, provisional in rows:
        v = None if provisional else published.get(str(code))
        out.append(
            IndicatorRow(
                str(level),
                str(code),
                str(name),
                region,
                value if v is None else v.value,
                status if v is None else v.status,
                None if v is None else v.rank,
                bool(provisional),
                None if v is None else v.outlier,
                None if v is None else v.rank_note,
            )
        )
    order = {"la": 0, "regional": 1, "national": 2}
    out.sort(key=lambda r: (order.get(r.geo_level, 3), r.rank is None, r.rank or 0, r.name))
    return out


def _filters(
    *,
    indicator: str | None,
    la_codes: list[str] | None,
    region: str | None,
    years: list[int] | None,
    geo_level: str | None,
) -> tuple[str, list[object]]:
    """The WHERE clause (over ``observation o`` joined to ``authority a``) and its
    parameters for the filters every observation query shares."""
    if indicator is not None:
        get_indicator(indicator)
    if geo_level is not None and geo_level not in ("national", "regional", "la"):
        raise InputError(f"geo_level must be national, regional or la, not {geo_level!r}")
    where = ["true"]
    params: list[object] = []
    if indicator is not None:
        where.append("o.indicator = ?")
        params.append(indicator)
    if la_codes:
        where.append("o.geo_level = 'la' AND o.geo_code IN (SELECT unnest(?))")
        params.append(la_codes)
    if region:
        where.append("(a.region_code = ? OR (o.geo_level = 'regional' AND o.geo_code = ?))")
        params.extend([region, region])
    if years:
        where.append("o.year IN (SELECT unnest(?))")
        params.append(years)
    if geo_level:
        where.append("o.geo_level = ?")
        params.append(geo_level)
    return " AND ".join(where), params


def _page(limit: int | None, offset: int) -> str:
    return "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"


def query_observations(
    con: duckdb.DuckDBPyConnection,
    *,
    indicator: str | None = None,
    la_codes: list[str] | None = None,
    region: str | None = None,
    years: list[int] | None = None,
    geo_level: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Observation]:
    """Observations matching every given filter, in a stable order.

    ``region`` is a region GSS code: it selects the region's authorities and the region
    itself.
    """
    where, params = _filters(
        indicator=indicator, la_codes=la_codes, region=region, years=years, geo_level=geo_level
    )
    sql = (
        "SELECT o.indicator, o.geo_level, o.geo_code, a.name AS la_name, "
        "coalesce(a.name, r.region_name, CASE WHEN o.geo_level = 'national' THEN 'England' "
        "END) AS geo_name, o.year, o.value, "
        "o.status, o.numerator, o.denominator, o.method, o.provisional "
        "FROM observation o LEFT JOIN authority a ON o.geo_level = 'la' "
        f"AND a.la_code = o.geo_code LEFT JOIN {REGION_NAMES_SQL} r "
        "ON o.geo_level = 'regional' AND r.region_code = o.geo_code WHERE "
        + where
        + " ORDER BY o.indicator, o.geo_level, o.geo_code, o.year, o.provisional"
        + _page(limit, offset)
    )
    labels: dict[tuple[str, int], str] = {}  # one label per indicator and year
    out = []
    for ind, level, code, la_name, geo_name, year, *rest in con.execute(sql, params).fetchall():
        key = (str(ind), int(year))
        label = labels.get(key)
        if label is None:
            label = labels[key] = CATALOGUE[key[0]].year_label(key[1])
        out.append(Observation(ind, level, code, la_name, geo_name, year, label, *rest))
    return out


def tidy_period(indicator_id: str, year: int) -> tuple[str, str]:
    """``time_period`` and ``time_identifier`` as the publisher writes them: ``202425``,
    ``Academic year`` for the KS2/KS4 academic years, else ``2025``, ``Reporting year``."""
    if CATALOGUE[indicator_id].period_kind is PeriodKind.ACADEMIC_YEAR:
        return f"{year - 1}{year % 100:02d}", "Academic year"
    return str(year), "Reporting year"


def _academic_sql() -> str:
    ids = [i.id for i in CATALOGUE.values() if i.period_kind is PeriodKind.ACADEMIC_YEAR]
    return ", ".join(f"'{i}'" for i in ids) or "NULL"


#: The publisher's tidy layout, following DfE's open data standards: time, then the
#: geography columns in their standard order, then the filter (``indicator``), the value
#: and its ``status`` (``published`` or ``provisional``: an authority's own return).
TIDY_COLUMNS: tuple[str, ...] = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
    "indicator",
    "value",
    "status",
)

#: A value in full precision (the shortest text that reads back as the same number;
#: whole numbers without a decimal point, as DfE writes them), else the publisher's
#: symbol (``c``, ``x``, ``z``, ``u``, ``k``, ``low``, LAIT's ``-``).
_TIDY_VALUE_SQL = """
    CASE WHEN o.value IS NULL THEN o.status
         WHEN isfinite(o.value) AND o.value = trunc(o.value) AND abs(o.value) < 1e15
              THEN CAST(CAST(o.value AS BIGINT) AS VARCHAR)
         ELSE CAST(o.value AS VARCHAR) END"""


def tidy_observations(
    con: duckdb.DuckDBPyConnection,
    *,
    indicator: str | None = None,
    la_codes: list[str] | None = None,
    region: str | None = None,
    years: list[int] | None = None,
    geo_level: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple[str | None, ...]]:
    """Observations in the publisher's tidy layout (:data:`TIDY_COLUMNS`), one row per
    indicator, year and place, every value as text in full precision.

    The one builder of the layout: ``cscwatch export`` and ``/api/observations?format=csv``
    both write its rows with :func:`tidy_csv`. Filters are those of
    :func:`query_observations`. Rows are ordered by indicator, year, level (England,
    regions, authorities) and code, so pages of it join up.
    """
    sql, params = _tidy_sql(
        indicator=indicator, la_codes=la_codes, region=region, years=years, geo_level=geo_level
    )
    return [tuple(r) for r in con.execute(sql + _page(limit, offset), params).fetchall()]


def _tidy_sql(
    *,
    indicator: str | None = None,
    la_codes: list[str] | None = None,
    region: str | None = None,
    years: list[int] | None = None,
    geo_level: str | None = None,
) -> tuple[str, list[object]]:
    """The query of :func:`tidy_observations` (without its page) and its parameters."""
    where, params = _filters(
        indicator=indicator, la_codes=la_codes, region=region, years=years, geo_level=geo_level
    )
    academic = _academic_sql()
    sql = f"""
        SELECT CASE WHEN o.indicator IN ({academic})
                    THEN CAST(o.year - 1 AS VARCHAR) || lpad(CAST(o.year % 100 AS VARCHAR), 2, '0')
                    ELSE CAST(o.year AS VARCHAR) END AS time_period,
               CASE WHEN o.indicator IN ({academic}) THEN 'Academic year'
                    ELSE 'Reporting year' END AS time_identifier,
               CASE o.geo_level WHEN 'national' THEN 'National'
                    WHEN 'regional' THEN 'Regional' ELSE 'Local authority' END
                   AS geographic_level,
               'E92000001' AS country_code, 'England' AS country_name,
               CASE WHEN o.geo_level = 'regional' THEN o.geo_code ELSE a.region_code END
                   AS region_code,
               CASE WHEN o.geo_level = 'regional' THEN r.region_name ELSE a.region_name END
                   AS region_name,
               a.gss_code AS new_la_code,
               CASE WHEN o.geo_level = 'la' THEN o.geo_code END AS old_la_code,
               a.name AS la_name,
               o.indicator,
               {_TIDY_VALUE_SQL} AS value,
               CASE WHEN o.provisional THEN 'provisional' ELSE 'published' END AS status
        FROM observation o
        LEFT JOIN authority a ON o.geo_level = 'la' AND a.la_code = o.geo_code
        LEFT JOIN {REGION_NAMES_SQL} r
               ON o.geo_level = 'regional' AND r.region_code = o.geo_code
        WHERE {where}
        ORDER BY o.indicator, o.year,
                 CASE o.geo_level WHEN 'national' THEN 0 WHEN 'regional' THEN 1 ELSE 2 END,
                 o.geo_code, o.provisional
    """
    return sql, list(params)


def tidy_csv(rows: Sequence[Sequence[str | None]]) -> str:
    """Tidy rows as CSV text: a header of :data:`TIDY_COLUMNS`, ``\\n`` line ends, an
    empty cell for a missing value (the one CSV writer of the layout)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TIDY_COLUMNS)
    writer.writerows(rows)  # the csv module writes None as an empty cell
    return buf.getvalue()


def export_tidy(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, *, indicator: str | None = None
) -> int:
    """Write observations (all, or one ``indicator``'s) in the tidy layout to ``path``
    as csv or parquet, atomically.

    Returns the number of rows written.

    Raises
    ------
    InputError
        Unknown format or indicator, or ``path`` cannot be written.
    """
    if fmt not in ("csv", "parquet"):
        raise InputError(f"export format must be csv or parquet, not {fmt!r}")
    path = check_output_path(path)  # never replace a device, FIFO or folder; refused first
    tmp = path.with_name(path.name + ".part")
    try:
        if path.parent.is_dir():
            # a folder that cannot be written is refused before the rows are read (the
            # whole export: seconds), with the same error the write would give
            tmp.touch()
        if fmt == "csv":
            rows = tidy_observations(con, indicator=indicator)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(tidy_csv(rows), encoding="utf-8", newline="")
            n = len(rows)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            # straight from DuckDB as Arrow columns (the rows as Python tuples cost about
            # 1 s of CPU), in the schema the tuples were written with: text, nullable. On
            # a cursor of its own: the caller's connection may hold an unfinished result.
            sql, params = _tidy_sql(indicator=indicator)
            cur = con.cursor()
            try:
                fetched = cur.sql(sql, params=params).to_arrow_table()
            finally:
                cur.close()
            schema = pa.schema([pa.field(c, pa.string()) for c in TIDY_COLUMNS])
            table = pa.Table.from_arrays(
                [
                    fetched.column(i).combine_chunks().cast(pa.string())
                    for i in range(len(TIDY_COLUMNS))
                ],
                schema=schema,
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, tmp)
            n = table.num_rows
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # e.g. EROFS: there is nothing to remove
            tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:  # an unknown indicator, say: no empty .part left behind
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    return n
