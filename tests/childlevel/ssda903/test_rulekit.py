"""The rule kit's shortcut (rulekit.py) finds what staging a whole return finds.

Each case of the rule tests stages only the tables it gives, over empty tables staged
once per test process. Here a spread of those cases runs both ways, and the tables a
rule reads have the same columns and types either way.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
import rulekit
import test_rules_rulesa_100s
import test_rules_rulesa_200s
import test_rules_rulesb
import test_rules_rulesc_500s
import test_rules_rulesc_int_sw
from rulekit import failures, frames

from cscwatch.childlevel.ssda903.engine import stage
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.core.database import connect_duckdb

# (module, code, ruleset, current, previous, postcodes, expected): every 10th case of each
_SPREAD: list[tuple[str, str, str, Any, Any, Any, set[tuple[str, int]]]] = [
    *(
        ("rulesa_100s", c[0], c[1], c[2], c[3], None, c[4])
        for c in test_rules_rulesa_100s.CASES[::10]
    ),
    *(
        ("rulesa_200s", c[0], c[1], c[2], c[3], None, c[4])
        for c in test_rules_rulesa_200s.CASES[::10]
    ),
    *(("rulesb", c[1], c[2], c[3], c[4], c[5], c[6]) for c in test_rules_rulesb.CASES[::10]),
    *(
        ("rulesc_500s", c[0], c[1], c[2], c[3], None, c[4])
        for c in test_rules_rulesc_500s.ALL_CASES[::10]
    ),
    *(
        ("rulesc_int_sw", c[0], c[1], c[2], c[3], None, c[4])
        for c in test_rules_rulesc_int_sw.CASES[::10]
    ),
]


@pytest.mark.parametrize(
    ("module", "code", "ruleset", "current", "previous", "postcodes", "expected"),
    _SPREAD,
    ids=[f"{c[0]}-{c[1]}-{n}" for n, c in enumerate(_SPREAD)],
)
def test_the_shortcut_finds_what_staging_every_table_finds(
    module: str,
    code: str,
    ruleset: str,
    current: dict[str, Any],
    previous: dict[str, Any] | None,
    postcodes: dict[str, tuple[float, float]] | None,
    expected: set[tuple[str, int]],
) -> None:
    kw: dict[str, Any] = {"current": current, "previous": previous, "postcodes": postcodes}
    full = failures(code, ruleset, fresh=True, **kw)
    assert full == expected
    assert failures(code, ruleset, **kw) == full


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(str(r[0]), str(r[1])) for r in con.execute(f'DESCRIBE "{table}"').fetchall()]


def test_every_table_has_the_same_columns_either_way() -> None:
    current = {"episodes": [{"CHILD": "a", "DECOM": "01/05/2024"}]}
    previous = {"header": [{"CHILD": "a", "DOB": "01/05/2010"}]}
    full = connect_duckdb()
    short = rulekit._case_connection()
    try:
        stage(full, "lac2024_25", frames(current), frames(previous))
        with rulekit._staging_only({"episodes", "header"}):
            stage(short, "lac2024_25", frames(current), frames(previous))
        names = [*TABLES, *(f"{t}_last" for t in TABLES), "collection", "placing_la", "providers"]
        for name in names:
            assert _columns(short, name) == _columns(full, name), name
            rows = f'SELECT count(*) FROM "{name}"'
            assert short.execute(rows).fetchall() == full.execute(rows).fetchall(), name
    finally:
        full.close()
        short.close()


def test_a_case_leaves_nothing_for_the_next() -> None:
    current = {"episodes": [{"CHILD": "a", "DECOM": "01/05/2024"}]}
    failures("354", current=current)
    con = rulekit._case_connection()
    try:
        temp = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()
        assert temp == [(0,)]
        assert con.execute("SELECT count(*) FROM episodes").fetchall() == [(0,)]
    finally:
        con.close()
