"""A NaN or an infinity never becomes a value (a NaN once ranked County Durham first)."""

from __future__ import annotations

import duckdb

from cscwatch.store.published import _cell, _finite_sql


def test_non_finite_cells_are_no_number(fresh_db: duckdb.DuckDBPyConnection) -> None:
    number, symbol = _cell("x")
    rows = fresh_db.execute(
        f"SELECT {number}, {symbol}, {_finite_sql('x')} FROM (VALUES ('NaN'), ('inf'), "
        "('-Infinity'), (' 3 '), ('c')) t(x)"
    ).fetchall()
    assert rows == [
        (None, None, None),
        (None, None, None),
        (None, None, None),
        (3.0, None, 3.0),
        (None, "c", None),
    ]
