"""The SQL of the looked-after children measures: every layout's exact counts.

Queries over the input views ``_cm_in_<table>`` (the staged or stored tables, each row
keyed by ``_la``: the authority whose return it is) and the ``_cm_period`` row. Every
return of a year is measured at once; each child and each count is within its ``_la``.
:func:`count_layouts` makes the derived tables (episodes with their periods of care and
carers, children, those looked after at 31 March, started and ceased) and counts each
layout of :data:`cscwatch.indicators.cla_layouts.CLA_LAYOUTS` from them, by authority.
The definitions are in :mod:`cscwatch.childlevel.ssda903.measures`, which calls it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from cscwatch.core.progress import ProgressCallback, tick
from cscwatch.indicators.cla_layouts import CLA_LAYOUTS, POPULATION_TYPES, STABILITY_GROUPS

__all__ = ["AGE_BANDS", "count_layouts"]

#: DfE's age bands at 31 March (completed years).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("Under 1 year", 0, 1),
    ("1 to 4 years", 1, 5),
    ("5 to 9 years", 5, 10),
    ("10 to 15 years", 10, 16),
    ("16 years and over", 16, 200),
)


_SQL_EPISODES = """
CREATE OR REPLACE TEMP TABLE _cm_ep AS
WITH allep AS (
  SELECT 0 AS pri, _la, child, decom_d, dec_d, rne, ls, cin, place, place_provider, rec,
         home_post, pl_post FROM _cm_in_episodes
  UNION ALL
  SELECT 1, _la, child, decom_d, dec_d, rne, ls, cin, place, place_provider, rec,
         home_post, pl_post FROM _cm_in_episodes_last
), kept AS (  -- one episode per child and DECOM, the current return's first
  SELECT DISTINCT ON (_la, child, decom_d) * EXCLUDE (pri) FROM allep
  WHERE child IS NOT NULL AND decom_d IS NOT NULL AND coalesce(ls, '') NOT IN ('V3', 'V4')
  ORDER BY _la, child, decom_d, pri
), marked AS (
  SELECT *,
    rne = 'S' OR lag(dec_d) OVER w IS DISTINCT FROM decom_d AS new_poc,
    rne IN ('S', 'P', 'T', 'B', 'U') AS new_placement,
    coalesce(place, '') IN ('T0', 'T1', 'T2', 'T3', 'T4') AS temporary
  FROM kept WINDOW w AS (PARTITION BY _la, child ORDER BY decom_d)
)
-- Running values along each child's episodes (one sort): the period of care's number
-- and start, and the start of the latest carer (S, P or B change the carer).
SELECT *,
  sum(new_poc::INT) OVER w AS poc_no,
  max(CASE WHEN new_poc THEN decom_d END) OVER w AS poc_start,
  max(CASE WHEN new_poc OR rne IN ('P', 'B') THEN decom_d END) OVER w AS carer_start
FROM marked WINDOW w AS (PARTITION BY _la, child ORDER BY decom_d ROWS UNBOUNDED PRECEDING)
"""

_SQL_CHILD = """
CREATE OR REPLACE TEMP TABLE _cm_child AS
SELECT _la, child, arg_min(dob_d, pri) AS dob, arg_min(sex, pri) AS sex FROM (
  SELECT 0 AS pri, _la, child, dob_d, sex FROM _cm_in_header
  UNION ALL SELECT 1, _la, child, dob_d, sex FROM _cm_in_header_last
) WHERE child IS NOT NULL GROUP BY _la, child
"""

_AGE = (
    "(year({d}) - year({dob}) - CASE WHEN strftime({dob}, '%m%d') > strftime({d}, '%m%d') "
    "THEN 1 ELSE 0 END)"
)


def _band_sql(age: str) -> str:
    whens = " ".join(f"WHEN {age} < {hi} THEN '{label}'" for label, _, hi in AGE_BANDS)
    return f"CASE WHEN {age} IS NULL OR {age} < 0 THEN 'Not known' {whens} END"


_SEX = (
    "CASE WHEN upper(sex) IN ('1', 'M') THEN 'Male' WHEN upper(sex) IN ('2', 'F') "
    "THEN 'Female' ELSE 'Not known or other' END"
)

_SQL_AT31 = f"""
CREATE OR REPLACE TEMP TABLE _cm_at31 AS
SELECT e._la, e.child, arg_max_null(e.ls, e.decom_d) AS ls,
       arg_max_null(e.place, e.decom_d) AS place,
       arg_max_null(e.place_provider, e.decom_d) AS provider,
       arg_max(e.poc_start, e.decom_d) AS poc_start,
       arg_max(e.carer_start, e.decom_d) AS carer_start,
       arg_max_null(e.home_post, e.decom_d) AS home_post,
       arg_max_null(e.pl_post, e.decom_d) AS pl_post,
       any_value({_AGE.format(d="p.ye", dob="c.dob")}) AS age,
       any_value({_SEX}) AS sex_label
FROM _cm_ep e CROSS JOIN _cm_period p LEFT JOIN _cm_child c USING (_la, child)
WHERE e.decom_d <= p.ye AND (e.dec_d IS NULL OR e.dec_d > p.ye)
GROUP BY e._la, e.child
"""

_SQL_STARTED = f"""
CREATE OR REPLACE TEMP TABLE _cm_started AS
SELECT e._la, e.child, arg_min_null(e.ls, e.decom_d) AS ls, arg_min_null(e.cin, e.decom_d) AS cin,
       min({_AGE.format(d="e.decom_d", dob="c.dob")}) AS age, any_value({_SEX}) AS sex_label
FROM _cm_ep e CROSS JOIN _cm_period p LEFT JOIN _cm_child c USING (_la, child)
WHERE e.new_poc AND e.decom_d BETWEEN p.ys AND p.ye
GROUP BY e._la, e.child
"""

_SQL_CEASED = f"""
CREATE OR REPLACE TEMP TABLE _cm_ceased AS
SELECT e._la, e.child, arg_max(e.rec, e.dec_d) AS rec,
       max({_AGE.format(d="e.dec_d", dob="c.dob")}) AS age, any_value({_SEX}) AS sex_label
FROM _cm_ep e CROSS JOIN _cm_period p LEFT JOIN _cm_child c USING (_la, child)
WHERE e.dec_d BETWEEN p.ys AND p.ye AND e.rec IS NOT NULL AND e.rec <> 'X1'
GROUP BY e._la, e.child
"""

# Placements of each child overlapping [lo, ye]: the first episode in the window counts
# as a placement whatever its RNE.
_SQL_PLACEMENTS = """
SELECT _la, child,
       count(*) FILTER (WHERE NOT temporary AND (new_placement OR first_in)) AS n
FROM (
  SELECT e.*, row_number() OVER (PARTITION BY e._la, e.child ORDER BY e.decom_d) = 1 AS first_in
  FROM _cm_ep e CROSS JOIN _cm_period p
  WHERE e.decom_d <= p.ye AND (e.dec_d IS NULL OR e.dec_d >= {lo})
) GROUP BY _la, child
"""


def _rows(records: list[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=columns)
    # Counts are whole numbers; a figure that does not apply to a row stays None (z).
    for col in columns:
        if col == "children_count":
            frame[col] = frame[col].fillna(0).astype("int64")
        elif col in ("incidents_count", "total_days"):
            frame[col] = pd.Series(
                [None if pd.isna(v) else int(v) for v in frame[col]], dtype=object
            )
    return frame


def _by_la(found: list[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    # Rows whose first column is the authority (``_la``) -> the rest, by authority.
    out: dict[str, list[tuple[Any, ...]]] = {}
    for row in found:
        out.setdefault(str(row[0]), []).append(tuple(row[1:]))
    return out


def _one_by_la(
    cur: duckdb.DuckDBPyConnection, sql: str, empty: tuple[Any, ...]
) -> dict[str, tuple[Any, ...]]:
    # One row per authority (``SELECT _la, ... GROUP BY _la``); ``empty`` stands for an
    # authority with no row (the ungrouped aggregate over nothing).
    found = _by_la(cur.execute(sql).fetchall())
    return defaultdict(lambda: empty, {la: rows[0] for la, rows in found.items()})


def _breakdown(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    label: str | None,
    characteristics: dict[str, str],
    by: str | None = None,
) -> dict[str, list[tuple[Any, ...]]]:
    # Authority -> (population_type, characteristic, value, count) with a Total row per
    # characteristic; one query (the table's total is characteristic -1). With ``by`` (a
    # column), one breakdown per value of it, in its order, labelled with the value
    # instead of ``label``.
    g = f"{by}, " if by else ""
    parts = [f"SELECT _la, {g}-1 AS k, NULL AS v, count(*) AS n FROM {table} GROUP BY {g}_la"] + [
        f"SELECT _la, {g}{k} AS k, coalesce(({expr})::VARCHAR, 'Not known') AS v, count(*) AS n "
        f"FROM {table} GROUP BY _la, {g}v"
        for k, expr in enumerate(characteristics.values())
    ]
    found = cur.execute(" UNION ALL ".join(parts) + f" ORDER BY _la, {g}k, v").fetchall()
    out: dict[str, list[tuple[Any, ...]]] = {}
    for la, rows in _by_la(found).items():
        groups: dict[Any, tuple[int, dict[int, list[tuple[str, int]]]]] = {}
        for row in rows:
            group, (k, v, count) = (row[0], row[1:]) if by else (label, row)
            if int(k) == -1:
                groups[group] = (int(count), {})
            else:
                groups[group][1].setdefault(int(k), []).append((str(v), int(count)))
        part: list[tuple[Any, ...]] = []
        for group, (n, found_by) in groups.items():
            for k, name in enumerate(characteristics):
                part += [(group, name, v, count) for v, count in found_by.get(k, [])]
                part.append((group, name, "Total", n))
        out[la] = part
    return out


def _empty_breakdown(label: str, characteristics: dict[str, str]) -> list[tuple[Any, ...]]:
    # An authority with no rows in the table: a zero Total per characteristic.
    return [(label, name, "Total", 0) for name in characteristics]


def _stability(
    cur: duckdb.DuckDBPyConnection, keys: Sequence[str], previous: Collection[str]
) -> dict[str, pd.DataFrame]:
    groups = list(STABILITY_GROUPS.items())
    one_year = _one_by_la(
        cur,
        f"SELECT a._la, count(*), count(*) FILTER (WHERE pl.n >= 3) FROM _cm_at31 a "
        f"LEFT JOIN ({_SQL_PLACEMENTS.format(lo='p.ys')}) pl USING (_la, child) GROUP BY a._la",
        (0, 0),
    )
    two: Mapping[str, tuple[Any, ...]] = {}
    long: Mapping[str, tuple[Any, ...]] = {}
    if previous:
        two = _one_by_la(
            cur,
            f"SELECT a._la, count(*), count(*) FILTER (WHERE pl.n >= 3) FROM _cm_at31 a "
            f"CROSS JOIN _cm_period p "
            f"LEFT JOIN ({_SQL_PLACEMENTS.format(lo='p.ye - INTERVAL 2 YEAR + INTERVAL 1 DAY')})"
            f" pl USING (_la, child) WHERE a.poc_start <= p.ye - INTERVAL 2 YEAR GROUP BY a._la",
            (0, 0),
        )
        long = _one_by_la(
            cur,
            "SELECT a._la, count(*), "
            "count(*) FILTER (WHERE a.carer_start <= p.ye - INTERVAL 2 YEAR) "
            "FROM _cm_at31 a CROSS JOIN _cm_period p "
            "WHERE a.age < 16 AND a.poc_start <= p.ye - INTERVAL 30 MONTH GROUP BY a._la",
            (0, 0),
        )
    out = {}
    for la in keys:
        (g, (part, total)) = groups[0]
        res = one_year[la]
        rows: list[tuple[Any, ...]] = [(g, part, int(res[1])), (g, total, int(res[0]))]
        if la in previous:
            for (g, (part, total)), res in zip(groups[1:], (two[la], long[la]), strict=True):
                rows += [(g, part, int(res[1])), (g, total, int(res[0]))]
        out[la] = _rows(rows, ["cla_group", "placement_stability", "children_count"])
    return out


def _distance(cur: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> dict[str, pd.DataFrame]:
    bands = _by_la(
        cur.execute(
            """
            SELECT _la, CASE WHEN m IS NULL THEN 'Not known' WHEN m <= 20 THEN '20 miles or less'
                        ELSE 'Over 20 miles' END AS band, count(*)
            FROM (SELECT _la, pc_miles(home_post, pl_post) AS m FROM _cm_at31) GROUP BY _la, band
            """
        ).fetchall()
    )
    labels = ["20 miles or less", "Over 20 miles", "Not known"]
    out = {}
    for la in keys:
        found = dict(bands.get(la, []))
        rows = [(b, int(found.get(b, 0))) for b in labels]
        rows.append(("Total", sum(int(v) for _, v in rows)))
        out[la] = _rows(rows, ["distance_band", "children_count"])
    return out


def _missing(cur: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> dict[str, pd.DataFrame]:
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE _cm_during AS
        SELECT DISTINCT e._la, e.child FROM _cm_ep e CROSS JOIN _cm_period p
        WHERE e.decom_d <= p.ye AND (e.dec_d IS NULL OR e.dec_d >= p.ys)
        """
    )
    during = _one_by_la(cur, "SELECT _la, count(*) FROM _cm_during GROUP BY _la", (0,))
    inc = _one_by_la(
        cur,
        """
        WITH inc AS (
          SELECT m._la, m.child, upper(m.missing) AS kind
          FROM _cm_in_missing m CROSS JOIN _cm_period p
          WHERE m.mis_start_d BETWEEN p.ys AND p.ye
            AND EXISTS (SELECT 1 FROM _cm_during d WHERE d._la = m._la AND d.child = m.child)
        )
        SELECT _la,
          count(DISTINCT child) FILTER (WHERE kind = 'M'), count(*) FILTER (WHERE kind = 'M'),
          count(DISTINCT child) FILTER (WHERE kind = 'A'), count(*) FILTER (WHERE kind = 'A')
        FROM inc GROUP BY _la
        """,
        (0, 0, 0, 0),
    )
    out = {}
    for la in keys:
        res = inc[la]
        rows = [
            ("Looked after during the year", int(during[la][0]), None),
            ("Missing", int(res[0]), int(res[1])),
            ("Away from placement without authorisation", int(res[2]), int(res[3])),
        ]
        out[la] = _rows(rows, ["missing_type", "children_count", "incidents_count"])
    return out


_OC3 = {
    "In touch": "in_touch",
    "Activity": "CASE WHEN left(upper(activ), 1) IN ('F', 'P') THEN "
    "'In education, employment or training' WHEN left(upper(activ), 1) = 'G' THEN "
    "'Not in education, employment or training' ELSE 'Information not known' END",
    "Accommodation": "CASE substr(accom, 2, 1) WHEN '1' THEN 'Suitable' WHEN '2' THEN "
    "'Not suitable' ELSE 'Information not known' END",
}


def _care_leavers(cur: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> dict[str, pd.DataFrame]:
    age = _AGE.format(d="p.ye", dob="o.dob_d")
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cm_oc3 AS
        SELECT o.*, CASE WHEN {age} BETWEEN 17 AND 18 THEN '17 to 18'
                         WHEN {age} BETWEEN 19 AND 21 THEN '19 to 21' ELSE 'Other ages' END
                    AS age_group
        FROM _cm_in_oc3 o CROSS JOIN _cm_period p WHERE o.child IS NOT NULL
        """
    )
    found = _breakdown(cur, "_cm_oc3", None, _OC3, by="age_group")
    columns = ["age_group", "characteristic", "characteristic_value", "children_count"]
    return {la: _rows(found.get(la, []), columns) for la in keys}


def _adoption(cur: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> dict[str, pd.DataFrame]:
    adopted = _one_by_la(
        cur,
        """
        WITH adopted AS (
          SELECT e._la, e.child, max(e.dec_d) AS dec_d,
                 arg_max(e.poc_start, e.dec_d) AS poc_start, arg_max(e.poc_no, e.dec_d) AS poc_no
          FROM _cm_ep e CROSS JOIN _cm_period p
          WHERE e.rec IN ('E11', 'E12') AND e.dec_d BETWEEN p.ys AND p.ye GROUP BY e._la, e.child
        ), placed AS (
          SELECT a._la, a.child, min(e.decom_d) AS placed_d FROM adopted a JOIN _cm_ep e
            ON e._la = a._la AND e.child = a.child AND e.poc_no = a.poc_no
               AND e.place IN ('A3', 'A4', 'A5', 'A6')
          GROUP BY a._la, a.child
        ), matched AS (
          SELECT _la, child, max(date_match_d - date_int_d) AS days FROM _cm_in_ad1
          WHERE date_int_d IS NOT NULL AND date_match_d >= date_int_d GROUP BY _la, child
        )
        SELECT a._la, count(*),
          count(*), sum(a.dec_d - a.poc_start),
          count(pl.placed_d), sum(pl.placed_d - a.poc_start),
          count(m.days), sum(m.days)
        FROM adopted a LEFT JOIN placed pl USING (_la, child) LEFT JOIN matched m USING (_la, child)
        GROUP BY a._la
        """,
        (0, 0, None, 0, None, 0, None),
    )
    # PlacedAdoption: decisions that a child should be placed for adoption made in the
    # year, and decisions that ceased in the year other than by adoption (E11, E12).
    decisions = _one_by_la(
        cur,
        """
        SELECT _la,
               count(DISTINCT child) FILTER (WHERE date_placed_d BETWEEN p.ys AND p.ye),
               count(DISTINCT child) FILTER (WHERE date_placed_ceased_d BETWEEN p.ys AND p.ye
                 AND coalesce(upper(reason_placed_ceased), '') NOT IN ('E11', 'E12'))
        FROM _cm_in_placed_for_adoption CROSS JOIN _cm_period p WHERE child IS NOT NULL
        GROUP BY _la
        """,
        (0, 0),
    )
    out = {}
    for la in keys:
        res, dec = adopted[la], decisions[la]
        rows = [
            ("Adopted in the year", res[0], None),
            ("Entering care to adoption", res[1], res[2]),
            ("Entering care to moving in with the adoptive family", res[3], res[4]),
            ("Decision to place for adoption to match", res[5], res[6]),
            ("Decision to place for adoption made in the year", dec[0], None),
            ("Decision to place for adoption ceased in the year, not adopted", dec[1], None),
        ]
        out[la] = _rows(
            [(s, int(n or 0), None if t is None else int(t)) for s, n, t in rows],
            ["adoption_stage", "children_count", "total_days"],
        )
    return out


def count_layouts(
    con: duckdb.DuckDBPyConnection,
    year: int,
    keys: Sequence[str],
    *,
    previous: Collection[str],
    has_postcodes: bool = False,
    progress: ProgressCallback | None = None,
) -> dict[str, dict[str, pd.DataFrame]]:
    """Every authority's exact counts, layout by layout: LA number → layout key → its
    filter and count columns, in output order (the distance layout only with
    ``has_postcodes``). Parameters as
    :func:`cscwatch.childlevel.ssda903.measures.measure_inputs`, which calls it on the
    input views the caller made."""
    start, end = date(year - 1, 4, 1), date(year, 3, 31)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _cm_period AS SELECT ?::DATE AS ys, ?::DATE AS ye",
        [start, end],
    )
    previous = set(previous)
    for sql in (_SQL_EPISODES, _SQL_CHILD, _SQL_AT31, _SQL_STARTED, _SQL_CEASED):
        con.execute(sql)
    counts: dict[str, dict[str, pd.DataFrame]] = {la: {} for la in keys}
    for layout in tick(list(CLA_LAYOUTS), progress, "computing measures"):
        found: dict[str, pd.DataFrame] = {}
        if layout == "cla":
            n = {
                k: _one_by_la(con, f"SELECT _la, count(*) FROM _cm_{k} GROUP BY _la", (0,))
                for k in POPULATION_TYPES
            }
            for la in keys:
                rows = [(POPULATION_TYPES[k], int(n[k][la][0])) for k in POPULATION_TYPES]
                found[la] = _rows(rows, ["population_type", "children_count"])
        elif layout == "stability":
            found = _stability(con, keys, previous)
        elif layout == "characteristics":
            band = _band_sql("age")
            at31 = {"Legal status": "ls", "Placement type": "place",
                    "Placement provider": "provider", "Age": band, "Sex": "sex_label"}  # fmt: skip
            started = {"Legal status": "ls", "Category of need": "cin", "Age": band,
                       "Sex": "sex_label"}  # fmt: skip
            ceased = {"Reason ceased": "rec", "Age": band, "Sex": "sex_label"}
            parts = [
                (
                    POPULATION_TYPES[k],
                    chars,
                    _breakdown(con, f"_cm_{k}", POPULATION_TYPES[k], chars),
                )
                for k, chars in (("at31", at31), ("started", started), ("ceased", ceased))
            ]
            for la in keys:
                rows = [
                    r
                    for label, chars, by in parts
                    for r in by.get(la) or _empty_breakdown(label, chars)
                ]
                found[la] = _rows(
                    rows,
                    ["population_type", "characteristic", "characteristic_value",
                     "children_count"],
                )  # fmt: skip
        elif layout == "distance":
            if has_postcodes:
                found = _distance(con, keys)
        elif layout == "missing":
            found = _missing(con, keys)
        elif layout == "care_leavers":
            found = _care_leavers(con, keys)
        elif layout == "adoption":
            found = _adoption(con, keys)
        for la, frame in found.items():
            counts[la][layout] = frame
    return counts
