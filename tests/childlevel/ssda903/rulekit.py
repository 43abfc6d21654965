"""Build tiny SSDA903 returns in tests and run one rule on them.

A return is given as lists of records per table (dicts keyed by DfE field names; fields
left out are blank). ``row_no`` is the record's position, from 1, unless given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from cscwatch.childlevel.ssda903.engine import plan, run_rules, stage, stage_postcodes
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.core.database import connect_duckdb

Records = Mapping[str, Sequence[Mapping[str, str | None]]]


def frames(tables: Records) -> dict[str, pd.DataFrame]:
    """Text frames in the reader's layout (DfE field names plus ``row_no``)."""
    out = {}
    for name, records in tables.items():
        fields = TABLES[name].fields
        rows = [
            {"row_no": r.get("row_no", n), **{f: r.get(f) for f in fields}}
            for n, r in enumerate(records, start=1)
        ]
        out[name] = pd.DataFrame(rows, columns=["row_no", *fields])
    return out


def failures(
    code: str,
    ruleset: str = "lac2024_25",
    *,
    current: Records,
    previous: Records | None = None,
    postcodes: Mapping[str, tuple[float, float]] | None = None,
) -> set[tuple[str, int]]:
    """``(table, row_no)`` of every record rule ``code`` flags on the return given.

    ``postcodes`` maps postcode to (latitude, longitude) for distance rules.
    Raises AssertionError if the rule would not run on these tables (a test must never
    pass because its rule was skipped).
    """
    con = connect_duckdb()
    try:
        stage(con, ruleset, frames(current), frames(previous) if previous is not None else None)
        if postcodes is not None:
            stage_postcodes(con, postcodes)
        decided = plan(
            ruleset,
            set(current),
            has_previous=previous is not None,
            has_postcodes=postcodes is not None,
            codes={code},
        )
        assert [e.code for e, _ in decided.run] == [code], decided.not_run
        found = run_rules(con, decided)
    finally:
        con.close()
    return {(str(t), int(r)) for t, r in zip(found["tbl"], found["row_no"], strict=True)}
