"""An authority's time series of one indicator beside its comparators.

:func:`series` gives, for every year the indicator is published, the authority's value,
its statistical neighbours' mean (over those with a published figure), its region's and
England's. Figures the publisher gives under a former authority's LA number after it
ceased follow the benchmark table's rule (:func:`former_number_series`): in no
neighbours' mean, and the successor's where they are its.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import duckdb

from cscwatch.core.catalogue import get_indicator
from cscwatch.indicators.authorities import resolve_authority, statistical_neighbours
from cscwatch.indicators.benchmarking import as_float

__all__ = [
    "SeriesPoint",
    "former_number_rows",
    "former_number_series",
    "series",
    "series_by_indicator",
]


@dataclass(frozen=True)
class SeriesPoint:
    """One year of an authority's series and its comparators (None where not published).

    Attributes
    ----------
    year : int
        The year as the warehouse keys it (its end); labels come from the indicator.
    authority : float or None
        The authority's value.
    status : str or None
        The publisher's symbol where the value is suppressed or missing (``c``, ``x``).
    sn_mean : float or None
        Mean of its statistical neighbours' published values.
    region, england : float or None
        Its region's and England's values.
    sn_n : int
        How many of the neighbours have a published value that year (the mean is over
        them).
    provisional : bool
        The authority's value is its own return (``cscwatch build --provisional``), not
        a published figure. The comparators are published figures only: another
        authority's provisional return is never in the neighbours' mean.
    """

    year: int
    authority: float | None
    status: str | None
    sn_mean: float | None
    region: float | None
    england: float | None
    sn_n: int = 0
    provisional: bool = False

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return dataclasses.asdict(self)


def series(con: duckdb.DuckDBPyConnection, indicator_id: str, authority: str) -> list[SeriesPoint]:
    """Time series: the authority, its statistical-neighbour mean, region and England,
    one :class:`SeriesPoint` per year the indicator is published (:func:`series_by_indicator`
    for one indicator)."""
    ind = get_indicator(indicator_id)
    auth = resolve_authority(con, authority)
    sn = [n.la_code for n in statistical_neighbours(con, auth.la_code)]
    found = series_by_indicator(con, auth.la_code, sn, auth.region_code, ind.id)
    return found.get(ind.id, [])


def series_by_indicator(
    con: duckdb.DuckDBPyConnection,
    la_code: str,
    sn: list[str],
    region_code: str | None,
    indicator_id: str | None = None,
) -> dict[str, list[SeriesPoint]]:
    """One authority's series of every indicator (or of ``indicator_id``), by indicator, in
    one query: its value and status, the mean of its neighbours ``sn`` (in their rank
    order) with a published figure (another authority's provisional return is never in
    it), its region's and England's, with the rule for figures under a former authority's
    number (:func:`former_number_series`). The neighbours' mean adds their figures up in
    the neighbours' rank order, as the benchmark table does, so it is the same to the
    last bit on every run (``avg`` on several threads was not)."""
    rows = con.execute(
        """
        SELECT indicator, year,
               max(value) FILTER (WHERE geo_level = 'la' AND geo_code = $la),
               max(status) FILTER (WHERE geo_level = 'la' AND geo_code = $la),
               list_avg(list(value ORDER BY list_position($sn, geo_code))
                        FILTER (WHERE geo_level = 'la' AND geo_code IN (SELECT unnest($sn))
                                AND NOT provisional AND value IS NOT NULL)),
               max(value) FILTER (WHERE geo_level = 'regional' AND geo_code = $region),
               max(value) FILTER (WHERE geo_level = 'national'),
               count(value) FILTER (WHERE geo_level = 'la' AND geo_code IN (SELECT unnest($sn))
                                    AND NOT provisional),
               coalesce(bool_or(provisional) FILTER (WHERE geo_level = 'la' AND geo_code = $la),
                        false)
        FROM observation
        WHERE ($ind IS NULL OR indicator = $ind)
          AND ((geo_level = 'la' AND (geo_code = $la OR geo_code IN (SELECT unnest($sn))))
               OR (geo_level = 'regional' AND geo_code = $region)
               OR geo_level = 'national')
        GROUP BY indicator, year ORDER BY indicator, year
        """,
        {"la": la_code, "sn": sn, "region": region_code or "", "ind": indicator_id},
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
                sn_n=int(r[7]),
                provisional=bool(r[8]),
            )
        )
    for ind, moved in former_number_rows(con, [la_code, *sn], indicator_id).items():
        if ind in out:
            out[ind] = former_number_series(con, ind, la_code, sn, out[ind], moved)
    return out


def former_number_rows(
    con: duckdb.DuckDBPyConnection, la_codes: list[str], indicator_id: str | None = None
) -> dict[str, dict[tuple[str, int], tuple[object, str]]]:
    """The published ``benchmark`` rows of ``la_codes`` that the rule for former
    authorities' figures touches (``method`` ``ceased`` or ``former_number``), by
    indicator: ``(la_code, year) → (value, method)``."""
    rows = con.execute(
        "SELECT indicator, la_code, year, value, method FROM benchmark "
        "WHERE method IN ('ceased', 'former_number') AND NOT provisional "
        "AND la_code IN (SELECT unnest(?)) AND (? IS NULL OR indicator = ?)",
        [la_codes, indicator_id, indicator_id],
    ).fetchall()
    out: dict[str, dict[tuple[str, int], tuple[object, str]]] = {}
    for ind, c, y, v, m in rows:
        out.setdefault(str(ind), {})[(str(c), int(y))] = (v, str(m))
    return out


def former_number_series(
    con: duckdb.DuckDBPyConnection,
    indicator_id: str,
    la_code: str,
    sn: list[str],
    points: list[SeriesPoint],
    moved: dict[tuple[str, int], tuple[object, str]] | None = None,
) -> list[SeriesPoint]:
    """``points`` (one authority's series of ``indicator_id``, its neighbours ``sn``) with
    the benchmarks' rule for figures under a former authority's number after it ceased
    (``benchmark_table``): such a figure is in no neighbours' mean, and where it is a
    successor's (or the successors' joint service's) it is theirs. Only the years it
    touches change; the former authority's own series keeps the figure as published.
    ``moved``: the indicator's ``(la_code, year) → (value, method)`` rows of that kind,
    if the caller has read them already (:func:`former_number_rows`)."""
    if moved is None:
        moved = former_number_rows(con, [la_code, *sn], indicator_id).get(indicator_id, {})
    touched = {y for c, y in moved if c == la_code or c in sn}
    if not touched:
        return points
    vals = con.execute(
        "SELECT geo_code, year, value FROM observation WHERE indicator = ? AND geo_level = 'la' "
        "AND geo_code IN (SELECT unnest(?)) AND year IN (SELECT unnest(?)) AND NOT provisional "
        "AND value IS NOT NULL",
        [indicator_id, sn, sorted(touched)],
    ).fetchall()
    by_year: dict[int, dict[str, float]] = {}
    for c, y, v in vals:
        by_year.setdefault(int(y), {})[str(c)] = float(v)
    out = []
    for p in points:
        if p.year not in touched:
            out.append(p)
            continue
        got = dict(by_year.get(p.year, {}))
        for c in sn:
            m = moved.get((c, p.year))
            if m is not None and m[1] == "ceased":
                got.pop(c, None)
            elif m is not None and m[0] is not None:
                got[c] = float(str(m[0]))
        own = moved.get((la_code, p.year))
        given = own is not None and own[1] == "former_number"
        out.append(
            dataclasses.replace(
                p,
                authority=as_float(own[0]) if given and own is not None else p.authority,
                status=None if given else p.status,
                # in the neighbours' rank order, as the query and the benchmark table add
                sn_mean=sum(got[c] for c in sn if c in got) / len(got) if got else None,
                sn_n=len(got),
            )
        )
    return out
