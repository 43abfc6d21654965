"""Optional finance sources: HM Treasury's GDP deflator and DfE's full section 251
outturn table for children's and young people's services.

Both files are optional. When a file is absent its table stays empty (``gdp_deflator``)
or its indicators get no observations (``spend_social_work_per_cin_episode``); that is
not an error and the build says nothing. When present:

* ``gdp_deflator`` (``year``, ``deflator``, ``base_year``, ``source``): the
  financial-year index and whose it is (HM Treasury's, or ONS's L8GG made into
  financial years by ``cscwatch fetch``), read by :mod:`cscwatch.indicators.prices`
  for real-terms views.
* every ``s251_per`` indicator of the catalogue goes into ``observation``: the line's
  gross outturn divided by the other indicator's value for the same area and year.
  The file does not say whether it is in pounds, thousands or millions (DfE has used
  more than one), so its safeguarding block total is compared with LAIT's for England
  in the years both hold and the scale (1, 1,000 or 1,000,000) that agrees within 2% is
  applied; if none agrees the build stops rather than guess.

Runs after :func:`cscwatch.store.published.load_observations` and before the
benchmarks, so the new indicator is ranked like any other.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import duckdb

from cscwatch.core.catalogue import CATALOGUE, Indicator
from cscwatch.core.errors import SchemaError, SourceFileError
from cscwatch.ingest.finance import (
    DEFLATOR_FILE,
    S251_CYPS_FILE,
    S251_SAFEGUARDING_TOTAL,
    read_gdp_deflators,
    read_s251_lines,
)
from cscwatch.ingest.snapshot import file_digest, load_manifest
from cscwatch.store.warehouse import BuildContext

__all__ = ["load_finance"]

_DEFLATOR_DDL = """
CREATE TABLE gdp_deflator (
    year INTEGER PRIMARY KEY, deflator DOUBLE NOT NULL, base_year INTEGER NOT NULL,
    source VARCHAR NOT NULL
)"""

#: LAIT's safeguarding block total, the yardstick for the outturn file's unit.
_LAIT_TOTAL = "spend_safeguarding_gross"
_SCALES = (1.0, 1_000.0, 1_000_000.0)


def _record_source(
    con: duckdb.DuckDBPyConnection, ctx: BuildContext, key: str, path: Path, rows: int
) -> None:
    meta: tuple[str | None, ...]
    try:
        entry = load_manifest(ctx.snapshot_dir).entry(path.name)
        meta = (
            entry.publisher,
            entry.title,
            entry.licence,
            entry.retrieved.isoformat() if entry.retrieved else None,
        )
    except (KeyError, SourceFileError):  # no manifest, or the file not listed
        meta = (None, None, None, None)
    con.execute(
        "INSERT INTO source VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [key, path.name, *meta, file_digest(path)[0], rows],
    )
    ctx.row_counts["source"] = ctx.row_counts.get("source", 0) + 1


def _load_deflator(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    con.execute(_DEFLATOR_DDL)
    path = ctx.snapshot_dir / DEFLATOR_FILE
    if not path.is_file():
        ctx.row_counts["gdp_deflator"] = 0
        return
    series = read_gdp_deflators(path)
    con.executemany(
        "INSERT INTO gdp_deflator VALUES (?, ?, ?, ?)",
        [(y, v, series.base_year, series.source) for y, v in series.index.items()],
    )
    ctx.row_counts["gdp_deflator"] = len(series.index)
    _record_source(con, ctx, "gdp_deflator", path, len(series.index))


def _scale(con: duckdb.DuckDBPyConnection, totals: dict[int, float], path: Path) -> float:
    """The factor that turns the file's amounts into pounds, checked against LAIT."""
    lait = dict(
        con.execute(
            "SELECT year, value FROM observation WHERE indicator = ? AND geo_level = 'national' "
            "AND value IS NOT NULL",
            [_LAIT_TOTAL],
        ).fetchall()
    )
    ratios = [float(lait[y]) / v for y, v in totals.items() if y in lait and v]
    if not ratios:
        raise SchemaError(
            "cannot check the unit of the outturn file: it shares no year of England's "
            f"'{S251_SAFEGUARDING_TOTAL}' with LAIT",
            path=str(path),
        )
    ratio = statistics.median(ratios)
    for scale in _SCALES:
        if abs(ratio / scale - 1) <= 0.02:
            return scale
    raise SchemaError(
        f"England's safeguarding total differs from LAIT's by a factor of {ratio:.4g}, "
        "not a unit (1, 1,000 or 1,000,000); the file's layout or unit has changed",
        path=str(path),
    )


def _load_s251(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    inds = [i for i in CATALOGUE.values() if i.derivation.kind == "s251_per"]
    path = ctx.snapshot_dir / S251_CYPS_FILE
    if not inds or not path.is_file():
        return
    wanted = {i.derivation.column for i in inds} | {S251_SAFEGUARDING_TOTAL}
    rows = read_s251_lines(path, sorted(wanted))
    totals = {
        r.year: r.value
        for r in rows
        if r.line == S251_SAFEGUARDING_TOTAL and r.geo_level == "national" and r.value is not None
    }
    scale = _scale(con, totals, path)
    con.execute(
        "CREATE TEMP TABLE _s251 (geo_level VARCHAR, geo_code VARCHAR, year INTEGER, "
        "line VARCHAR, value DOUBLE, status VARCHAR)"
    )
    con.executemany(
        "INSERT INTO _s251 VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                r.geo_level,
                r.geo_code,
                r.year,
                r.line,
                None if r.value is None else r.value * scale,
                r.status,
            )
            for r in rows
        ],
    )
    selects = [_select(ind) for ind in inds]
    con.execute(
        "CREATE TEMP TABLE _obs_all AS SELECT * FROM observation UNION ALL "
        + " UNION ALL ".join(selects)
    )
    con.execute("DROP TABLE observation")
    con.execute(
        "CREATE TABLE observation AS SELECT * FROM _obs_all "
        "ORDER BY indicator, geo_level, geo_code, year"
    )
    con.execute("DROP TABLE _obs_all")
    con.execute("DROP TABLE _s251")
    n = con.execute("SELECT count(*) FROM observation").fetchone()
    ctx.row_counts["observation"] = int(n[0]) if n else 0
    _record_source(con, ctx, "s251_outturn", path, len(rows))


def _select(ind: Indicator) -> str:
    # Only areas the warehouse knows: England, its regions, current and former authorities.
    d = ind.derivation
    return f"""
        SELECT '{ind.id}' AS indicator, s.geo_level, s.geo_code, s.year,
               CASE WHEN o.value > 0 THEN s.value / o.value END AS value,
               CASE WHEN s.value IS NULL THEN coalesce(s.status, 'x')
                    WHEN NOT coalesce(o.value > 0, false) THEN coalesce(o.status, 'x')
               END AS status,
               s.value AS numerator, o.value AS denominator,
               CASE WHEN o.value > 0 THEN s.value / o.value END AS computed_value,
               NULL::DOUBLE AS published_value, 'computed' AS method, false AS provisional,
               's251_outturn' AS source_id
        FROM _s251 s
        LEFT JOIN observation o ON o.indicator = '{d.other}' AND o.geo_level = s.geo_level
             AND o.geo_code = s.geo_code AND o.year = s.year AND NOT o.provisional
        WHERE s.line = '{d.column.replace("'", "''")}'
          AND (s.geo_level = 'national'
               OR (s.geo_level = 'regional'
                   AND s.geo_code IN (SELECT DISTINCT region_code FROM authority))
               OR (s.geo_level = 'la' AND s.geo_code IN (SELECT la_code FROM authority)))
    """


def load_finance(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Fill ``gdp_deflator`` and add the ``s251_per`` indicators to ``observation``
    from the optional finance files, where they are in the snapshot."""
    _load_deflator(con, ctx)
    _load_s251(con, ctx)
