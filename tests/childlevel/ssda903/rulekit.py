"""Build tiny SSDA903 returns in tests and run one rule on them.

A return is given as lists of records per table (dicts keyed by DfE field names; fields
left out are blank). ``row_no`` is the record's position, from 1, unless given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

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
from cscwatch.core.database import connect_duckdb

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
) -> set[tuple[str, int]]:
    """``(table, row_no)`` of every record rule ``code`` flags on the return given.

    ``postcodes`` maps postcode to (latitude, longitude) for distance rules.
    ``uasc_status``: the header's UASC status is as returned (an XML export); by default
    when a header record gives ``UASC``. ``districts`` maps postcode to its ONS district
    code (``laua``; authorities from the bundled snapshot's lookups); ``la_code`` is the
    placing authority's DfE LA number; ``providers`` Ofsted's lists as read.
    Raises AssertionError if the rule would not run on these tables (a test must never
    pass because its rule was skipped).
    """
    con = connect_duckdb()
    try:
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
