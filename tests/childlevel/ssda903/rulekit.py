"""Build tiny SSDA903 returns in tests and run one rule on them.

A return is given as lists of records per table (dicts keyed by DfE field names; fields
left out are blank). ``row_no`` is the record's position, from 1, unless given.

Staging is most of a case's cost, and most of it is the tables a case does not give:
:func:`~cscwatch.childlevel.ssda903.engine.stage` creates all 24, empty where not
given (0.25 s CPU against 0.016 s for one table). So each test process stages an empty
return once into the main schema of one in-memory database, and each case runs on a
cursor of its own (a new connection: its temporary tables are its own and go with it)
where :func:`stage` writes only the tables the case gives, as temporary tables that
hide the empty ones of the same name. tests/childlevel/ssda903/test_rulekit.py checks
that this finds exactly what staging every table on a new connection finds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext

import duckdb
import pandas as pd

from cscwatch.childlevel.ssda903 import engine
from cscwatch.childlevel.ssda903.engine import (
    plan,
    run_rules,
    stage,
    stage_placing,
    stage_postcodes,
    stage_providers,
)
from cscwatch.childlevel.ssda903.placing import district_authorities
from cscwatch.childlevel.ssda903.providers import ProviderLists
from cscwatch.childlevel.ssda903.reader import derive_columns
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.core.config import bundled_snapshot
from cscwatch.core.database import SETTINGS, connect_duckdb

Records = Mapping[str, Sequence[Mapping[str, str | None]]]


def frames(tables: Records) -> dict[str, pd.DataFrame]:
    """Text frames in the reader's layout (DfE field names plus ``row_no``).

    The header's derived columns are added as the reader adds them: a header record
    giving ``UASC`` stands for an XML export (the status as given); otherwise the
    return is a CSV set (the status from the UASC table).
    """
    out = {}
    for name, records in tables.items():
        fields = TABLES[name].staged
        rows = [
            {"row_no": r.get("row_no", n), **{f: r.get(f) for f in fields}}
            for n, r in enumerate(records, start=1)
        ]
        out[name] = pd.DataFrame(rows, columns=["row_no", *fields])
    xml = any("UASC" in r for r in tables.get("header", ()))
    derive_columns(out, "xml" if xml else "csv")
    return out


_EMPTY: duckdb.DuckDBPyConnection | None = None


def _case_connection() -> duckdb.DuckDBPyConnection:
    """A new connection to this process's database of empty staged tables."""
    global _EMPTY
    if _EMPTY is None:
        con = connect_duckdb()
        stage(con, "lac2024_25", {})
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary ORDER BY table_name"
        ).fetchall():
            con.execute(f'CREATE TABLE main."{name}" AS SELECT * FROM temp."{name}"')
        _EMPTY = con
    cur = _EMPTY.cursor()
    for statement in SETTINGS:
        cur.execute(statement)
    return cur


@contextmanager
def _staging_only(names: set[str]) -> Iterator[None]:
    """:func:`stage` writes only the tables ``names`` (the rest are the empty ones)."""
    every = engine.TABLES  # AttributeError if the engine no longer stages from TABLES
    engine.TABLES = {k: v for k, v in every.items() if k in names}
    try:
        yield
    finally:
        engine.TABLES = every


def failures(
    code: str,
    ruleset: str = "lac2024_25",
    *,
    current: Records,
    previous: Records | None = None,
    postcodes: Mapping[str, tuple[float, float]] | None = None,
    uasc_status: bool | None = None,
    districts: Mapping[str, str] | None = None,
    la_code: str | None = None,
    providers: ProviderLists | None = None,
    fresh: bool = False,
) -> set[tuple[str, int]]:
    """``(table, row_no)`` of every record rule ``code`` flags on the return given.

    ``postcodes`` maps postcode to (latitude, longitude) for distance rules.
    ``uasc_status``: the header's UASC status is as returned (an XML export); by default
    when a header record gives ``UASC``. ``districts`` maps postcode to its ONS district
    code (``laua``; authorities from the bundled snapshot's lookups); ``la_code`` is the
    placing authority's DfE LA number; ``providers`` Ofsted's lists as read.
    ``fresh``: stage every table on a new connection, as the product does, instead of
    only the given ones over this process's empty tables.
    Raises AssertionError if the rule would not run on these tables (a test must never
    pass because its rule was skipped).
    """
    con = connect_duckdb() if fresh else _case_connection()
    given = set(current) | set(previous or {})
    try:
        with nullcontext() if fresh else _staging_only(given):
            stage(con, ruleset, frames(current), frames(previous) if previous is not None else None)
        if postcodes is not None:
            tiers = district_authorities(bundled_snapshot()) if districts is not None else None
            stage_postcodes(con, postcodes, district=districts, upper_tier=tiers)
        if la_code is not None:
            stage_placing(con, la_code)
        if providers is not None:
            stage_providers(con, providers)
        decided = plan(
            ruleset,
            set(current),
            has_previous=previous is not None,
            has_postcodes=postcodes is not None,
            has_la_code=la_code is not None,
            has_providers=providers is not None,
            codes={code},
            has_uasc_status=(
                any("UASC" in r for r in current.get("header", ()))
                if uasc_status is None
                else uasc_status
            ),
        )
        assert [e.code for e, _ in decided.run] == [code], decided.not_run
        found = run_rules(con, decided)
    finally:
        con.close()
    return {(str(t), int(r)) for t, r in zip(found["tbl"], found["row_no"], strict=True)}
