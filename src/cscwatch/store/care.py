"""Looked-after series spliced from two publishers: the overlap years, side by side.

DfE's tidy file of children looked after (``cla_number_and_rate_per_10k_children.csv``)
starts in 2021; LAIT (``bds_long_0.parquet``) holds the same measures from 2016. The
catalogue splices them (``Derivation.lait_before``): LAIT before the tidy file's first
year, the tidy file from it. This loader keeps, for every spliced indicator and every
place and year that both publishers hold, the two figures beside each other in
``care_reconciliation``, so that the hand-over can be checked rather than assumed
(:func:`cscwatch.indicators.care.reconcile` summarises it; the tests assert it).

Columns: ``indicator``, ``geo_level``, ``geo_code``, ``year``, ``first_tidy_year`` (the
hand-over year: the tidy file's first), ``dfe_value``/``dfe_status`` (the tidy file's
published figure and symbol), ``lait_value``/``lait_status`` (LAIT's) and
``difference`` (DfE minus LAIT; NULL when either is suppressed).

Runs after :func:`cscwatch.store.published.load_observations`, in the same build
connection (it reads the staged ``raw_lait``).
"""

from __future__ import annotations

import duckdb

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.store.published import lait_rows
from cscwatch.store.warehouse import BuildContext

__all__ = ["load_care_reconciliation"]

_DDL = """
CREATE TABLE care_reconciliation (
    indicator VARCHAR NOT NULL, geo_level VARCHAR NOT NULL, geo_code VARCHAR NOT NULL,
    year INTEGER NOT NULL, first_tidy_year INTEGER NOT NULL, dfe_value DOUBLE,
    dfe_status VARCHAR, lait_value DOUBLE, lait_status VARCHAR, difference DOUBLE
)"""


def load_care_reconciliation(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Fill ``care_reconciliation`` for every spliced catalogue indicator.

    The DfE side is the observation as published (rows the build computed, or took
    from a joint service's return, are left out); the LAIT side is LAIT's own rate
    (``published_lait``) for a rate and the spliced measure (``lait_before``) otherwise.
    """
    con.execute(_DDL)
    for ind in CATALOGUE.values():
        d = ind.derivation
        if not d.lait_before:
            continue
        measure = d.published_lait if d.kind == "rate" else d.lait_before
        if not measure:
            continue
        con.execute(
            f"""
            INSERT INTO care_reconciliation
            WITH tidy AS (
                SELECT * FROM observation
                WHERE indicator = ? AND source_id <> 'lait' AND method <> 'shared'
            ), first AS (SELECT min(year) AS y FROM tidy)
            SELECT ?, t.geo_level, t.geo_code, t.year, (SELECT y FROM first),
                   CASE WHEN t.method = 'published' THEN t.value END, t.status,
                   l.value, l.status,
                   CASE WHEN t.method = 'published' THEN t.value - l.value END
            FROM tidy t JOIN ({lait_rows(measure)}) l USING (geo_level, geo_code, year)
            ORDER BY t.geo_level, t.geo_code, t.year
            """,
            [ind.id, ind.id],
        )
    n = con.execute("SELECT count(*) FROM care_reconciliation").fetchone()
    ctx.row_counts["care_reconciliation"] = int(n[0]) if n else 0
