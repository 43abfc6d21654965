"""Small read queries the dashboard needs that the benchmarking module does not offer.

Every authority's value for one indicator and year (for ranked charts, maps and their
tables), with the quartile the benchmarking module would give it, England's
series for several indicators at once (for the overview's headline figures), and the
spread across authorities of many indicators at once (for the profile's spine chart).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from cscwatch.core.catalogue import get_indicator
from cscwatch.indicators.authorities import statistical_neighbours
from cscwatch.indicators.benchmarking import is_restated, rank_note
from cscwatch.indicators.flags import OutlierFlag, make_flag
from cscwatch.indicators.series import SeriesPoint, series_by_indicator

__all__ = [
    "AuthorityValue",
    "SeriesPoint",
    "SpineRange",
    "authority_values",
    "england_series",
    "latest_years",
    "profile_series",
    "spine_ranges",
]

_ENGLAND = "E92000001"


@dataclass(frozen=True)
class AuthorityValue:
    """One authority's figure for one indicator and year, as benchmarked at build.

    ``rank`` and ``quartile`` (1 = lowest values) are those of
    :func:`cscwatch.indicators.benchmarking.benchmark`: among authorities with a value,
    City of London and the Isles of Scilly left out (``None`` for them), a joint
    return ranked once (both partners get its rank, ``joint_names`` name the other).
    ``outlier`` is the flag against England.
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
    outlier: OutlierFlag
    joint_names: tuple[str, ...] = ()
    rank_note: str | None = None


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
    rows = con.execute(
        """
        SELECT b.la_code, a.name, a.region_name, b.value, b.status, b.denominator,
               b.quartile, b.rank, b.small, b.funnel_kind, b.funnel_centre, b.lower998_od,
               b.upper998_od, b.flag, b.lower998, b.upper998, b.chance_flag,
               b.small_denominator, b.approximate,
               (SELECT string_agg(p.name || CASE WHEN b.method = 'ceased'
                                    THEN ' (' || p.la_code || ')' ELSE '' END,
                                  ',' ORDER BY p.la_code) FROM authority p
                WHERE list_contains(string_split(b.joint_with, ','), p.la_code)),
               b.method,
               CASE WHEN b.method = 'former_number' THEN (
                   SELECT CASE WHEN count(*) = 1 THEN min(p.name || ' (' || p.la_code || ')') END
                   FROM authority_succession s JOIN authority p ON p.la_code = s.predecessor
                   WHERE s.successor = b.la_code) END
        FROM benchmark b JOIN authority a ON a.la_code = b.la_code
        WHERE b.indicator = $ind AND b.year = $year AND NOT b.provisional
        ORDER BY b.value IS NULL, b.value DESC, a.name
        """,
        {"ind": ind.id, "year": year},
    ).fetchall()
    out = []
    for r in rows:
        value, den = _num(r[3]), _num(r[5])
        joint = tuple(str(r[19]).split(",")) if r[19] else ()
        rank = None if r[7] is None else int(r[7])
        out.append(
            AuthorityValue(
                la_code=str(r[0]),
                name=str(r[1]),
                region_name=None if r[2] is None else str(r[2]),
                value=value,
                status=None if r[4] is None else str(r[4]),
                denominator=den,
                quartile=None if r[6] is None else int(r[6]),
                rank=rank,
                is_small=bool(r[8]),
                outlier=make_flag(
                    kind=None if r[9] is None else str(r[9]),
                    polarity=ind.polarity,
                    year=year,
                    value=value,
                    centre=_num(r[10]),
                    denominator=den,
                    lower=_num(r[11]),
                    upper=_num(r[12]),
                    flag=None if r[13] is None else str(r[13]),
                    chance_lower=_num(r[14]),
                    chance_upper=_num(r[15]),
                    chance_flag=None if r[16] is None else str(r[16]),
                    small_denominator=bool(r[17]),
                    approximate=bool(r[18]),
                    compared_year=ind.year_label(year),
                    ceased=r[20] == "ceased",
                ),
                joint_names=joint,
                rank_note=rank_note(
                    rank=rank,
                    value=value,
                    small_authority=bool(r[8]),
                    small_denominator=bool(r[17]),
                    denominator=den,
                    joint_names=joint,
                    restated=is_restated(rank, value, bool(r[8]), False, r[20]),
                    method=None if r[20] is None else str(r[20]),
                    former=None if r[21] is None else str(r[21]),
                ),
            )
        )
    return out


def _num(v: object) -> float | None:
    return None if v is None else float(str(v))


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


def profile_series(
    con: duckdb.DuckDBPyConnection, la_code: str, region_code: str | None
) -> dict[str, list[SeriesPoint]]:
    """Every indicator's series for one authority, against its statistical neighbours
    (:func:`cscwatch.indicators.series.series_by_indicator`)."""
    sn = [n.la_code for n in statistical_neighbours(con, la_code)]
    return series_by_indicator(con, la_code, sn, region_code)


@dataclass(frozen=True)
class SpineRange:
    """The spread of one indicator across authorities in one year, as
    :func:`cscwatch.indicators.variation.variation` measures it: one value per
    service (a joint return once, named by both partners), City of London and the
    Isles of Scilly left out, published values only.

    ``lowest_name`` and ``highest_name`` name the authority at each end (the first by
    name where several share the value).
    """

    indicator: str
    year: int
    n: int
    lowest: float
    lowest_name: str
    q1: float
    median: float
    q3: float
    highest: float
    highest_name: str


def spine_ranges(
    con: duckdb.DuckDBPyConnection, wanted: list[tuple[str, int]]
) -> dict[tuple[str, int], SpineRange]:
    """Lowest, quartiles and highest across authorities for each (indicator, year).

    One query for the whole list; pairs with no authority value are left out.
    """
    if not wanted:
        return {}
    rows = con.execute(
        """
        WITH w AS (
            SELECT unnest($inds) AS indicator, unnest($years) AS year
        ), v AS (
            SELECT b.indicator, b.year, b.value, a.name || coalesce(' / ' || (
                       SELECT string_agg(p.name, ' / ' ORDER BY p.la_code) FROM authority p
                       WHERE list_contains(string_split(b.joint_with, ','), p.la_code)), '')
                   AS name
            FROM benchmark b JOIN authority a ON a.la_code = b.la_code
            JOIN w ON w.indicator = b.indicator AND w.year = b.year
            WHERE b.value IS NOT NULL AND NOT b.provisional AND NOT b.small
              AND b.rank IS NOT NULL
              AND (b.joint_with IS NULL OR b.la_code < b.joint_with)
        )
        SELECT indicator, year, count(*), min(value), arg_min(name, value ORDER BY value, name),
               quantile_cont(value, 0.25), median(value), quantile_cont(value, 0.75),
               max(value), arg_max(name, value ORDER BY value, name)
        FROM v GROUP BY indicator, year
        """,
        {"inds": [i for i, _ in wanted], "years": [y for _, y in wanted]},
    ).fetchall()
    out = {}
    for r in rows:
        key = (str(r[0]), int(r[1]))
        out[key] = SpineRange(
            indicator=key[0],
            year=key[1],
            n=int(r[2]),
            lowest=float(r[3]),
            lowest_name=str(r[4]),
            q1=float(r[5]),
            median=float(r[6]),
            q3=float(r[7]),
            highest=float(r[8]),
            highest_name=str(r[9]),
        )
    return out
