"""Small read queries the dashboard needs that the benchmarking module does not offer.

Every authority's value for one indicator and year (for ranked charts, maps and their
tables), with the quartile the benchmarking module would give it, and England's
series for several indicators at once (for the overview's headline figures).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from cscwatch.indicators.authorities import SMALL_AUTHORITIES
from cscwatch.indicators.catalogue import get_indicator

__all__ = [
    "AuthorityValue",
    "Neighbour",
    "SeriesPoint",
    "authority_values",
    "england_series",
    "latest_years",
    "profile_series",
    "statistical_neighbours",
]

_ENGLAND = "E92000001"


@dataclass(frozen=True)
class AuthorityValue:
    """One authority's figure for one indicator and year.

    ``quartile`` (1 = lowest values) is computed among authorities with a value,
    City of London and the Isles of Scilly left out (``None`` for them), as
    :func:`cscwatch.indicators.benchmarking.benchmark` does.
    """

    la_code: str
    name: str
    region_name: str | None
    value: float | None
    status: str | None
    denominator: float | None
    quartile: int | None
    rank: int | None
    is_small: bool


def authority_values(
    con: duckdb.DuckDBPyConnection, indicator_id: str, year: int
) -> list[AuthorityValue]:
    """Every authority reporting ``indicator_id`` in ``year``, highest value first.

    Authorities that reported the year with a suppressed value come last with
    ``value=None`` and their publisher status.

    Raises
    ------
    UnknownIndicatorError
    """
    ind = get_indicator(indicator_id)
    small = sorted(SMALL_AUTHORITIES)
    rows = con.execute(
        """
        WITH o AS (
            SELECT o.geo_code, a.name, a.region_name, o.value, o.status, o.denominator,
                   o.geo_code IN (SELECT unnest($small)) AS is_small
            FROM observation o JOIN authority a ON a.la_code = o.geo_code
            WHERE o.indicator = $ind AND o.year = $year AND o.geo_level = 'la'
        ), ranked AS (
            SELECT * FROM o WHERE value IS NOT NULL AND NOT is_small
        ), q AS (
            SELECT quantile_cont(value, 0.25) AS q1, quantile_cont(value, 0.5) AS q2,
                   quantile_cont(value, 0.75) AS q3 FROM ranked
        )
        SELECT o.geo_code, o.name, o.region_name, o.value, o.status, o.denominator,
               CASE WHEN o.value IS NULL OR o.is_small THEN NULL
                    WHEN o.value <= q.q1 THEN 1 WHEN o.value <= q.q2 THEN 2
                    WHEN o.value <= q.q3 THEN 3 ELSE 4 END AS quartile,
               CASE WHEN o.value IS NULL OR o.is_small THEN NULL
                    ELSE (SELECT count(*) FROM ranked r WHERE r.value > o.value) + 1 END,
               o.is_small
        FROM o, q
        ORDER BY o.value IS NULL, o.value DESC, o.name
        """,
        {"ind": ind.id, "year": year, "small": small},
    ).fetchall()
    return [
        AuthorityValue(
            la_code=str(r[0]),
            name=str(r[1]),
            region_name=None if r[2] is None else str(r[2]),
            value=None if r[3] is None else float(r[3]),
            status=None if r[4] is None else str(r[4]),
            denominator=None if r[5] is None else float(r[5]),
            quartile=None if r[6] is None else int(r[6]),
            rank=None if r[7] is None else int(r[7]),
            is_small=bool(r[8]),
        )
        for r in rows
    ]


def england_series(
    con: duckdb.DuckDBPyConnection, indicator_ids: list[str]
) -> dict[str, list[tuple[int, float | None]]]:
    """England's value by year for each indicator (years in order)."""
    out: dict[str, list[tuple[int, float | None]]] = {i: [] for i in indicator_ids}
    for ind, year, value in con.execute(
        "SELECT indicator, year, value FROM observation WHERE geo_level = 'national' "
        "AND geo_code = ? AND indicator IN (SELECT unnest(?)) ORDER BY indicator, year",
        [_ENGLAND, indicator_ids],
    ).fetchall():
        out[str(ind)].append((int(year), None if value is None else float(value)))
    return out


def latest_years(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The latest year with any authority value, for every indicator in the warehouse."""
    rows = con.execute(
        "SELECT indicator, max(year) FROM observation WHERE geo_level = 'la' "
        "AND value IS NOT NULL GROUP BY indicator"
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


@dataclass(frozen=True)
class Neighbour:
    """One statistical neighbour, closest first."""

    la_code: str
    name: str
    rank: int
    model: str


def statistical_neighbours(con: duckdb.DuckDBPyConnection, la_code: str) -> list[Neighbour]:
    """An authority's statistical neighbours from the newest model that lists it."""
    rows = con.execute(
        """
        SELECT s.neighbour, coalesce(a.name, s.neighbour), s.rank, s.model
        FROM statistical_neighbour s LEFT JOIN authority a ON a.la_code = s.neighbour
        WHERE s.la_code = ? AND s.model = (
            SELECT max(model) FROM statistical_neighbour WHERE la_code = ?)
        ORDER BY s.rank
        """,
        [la_code, la_code],
    ).fetchall()
    return [Neighbour(str(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]


@dataclass(frozen=True)
class SeriesPoint:
    """One year of an authority's series with its comparators."""

    year: int
    authority: float | None
    status: str | None
    sn_mean: float | None
    region: float | None
    england: float | None


def profile_series(
    con: duckdb.DuckDBPyConnection, la_code: str, region_code: str | None
) -> dict[str, list[SeriesPoint]]:
    """Every indicator's series for one authority in one query.

    The same figures as :func:`cscwatch.indicators.benchmarking.series` (statistical
    neighbours' mean over the neighbours that reported), for all indicators at once.
    """
    sn = [n.la_code for n in statistical_neighbours(con, la_code)]
    rows = con.execute(
        """
        SELECT indicator, year,
               max(value) FILTER (WHERE geo_level = 'la' AND geo_code = $la),
               max(status) FILTER (WHERE geo_level = 'la' AND geo_code = $la),
               avg(value) FILTER (WHERE geo_level = 'la' AND geo_code IN (SELECT unnest($sn))),
               max(value) FILTER (WHERE geo_level = 'regional' AND geo_code = $region),
               max(value) FILTER (WHERE geo_level = 'national')
        FROM observation
        WHERE (geo_level = 'la' AND (geo_code = $la OR geo_code IN (SELECT unnest($sn))))
           OR (geo_level = 'regional' AND geo_code = $region)
           OR geo_level = 'national'
        GROUP BY indicator, year ORDER BY indicator, year
        """,
        {"la": la_code, "sn": sn, "region": region_code or ""},
    ).fetchall()
    out: dict[str, list[SeriesPoint]] = {}
    for r in rows:
        out.setdefault(str(r[0]), []).append(
            SeriesPoint(
                year=int(r[1]),
                authority=r[2],
                status=r[3],
                sn_mean=r[4],
                region=r[5],
                england=r[6],
            )
        )
    return out
