"""Rules that are conditions on one table's records, run as one scan of that table."""

from __future__ import annotations

from pathlib import Path

import pytest

from cscwatch.childlevel.ssda903 import engine
from cscwatch.childlevel.ssda903.engine import plan, run_rules, stage
from cscwatch.childlevel.ssda903.rules import catalogue, implementation
from cscwatch.childlevel.ssda903.sharedscans import SharedScan, shared_scans
from cscwatch.core.database import connect_duckdb


def _one(sql: str) -> tuple[list[SharedScan], list[tuple[int, str]]]:
    return shared_scans([(7, sql)])


def test_a_condition_on_one_table_is_shared_with_its_alias_dropped() -> None:
    scans, alone = _one(
        "SELECT 'episodes' AS tbl, e.row_no FROM episodes e, collection c\n"
        "  WHERE e.decom_d > c.collection_end AND e.place = 'e.x'"
    )
    assert alone == []
    assert [(s.table, s.where, s.window, s.conditions) for s in scans] == [
        ("episodes", None, None, [(7, "decom_d > c.collection_end AND place = 'e.x'")])
    ]


def test_the_collection_read_by_a_subquery_is_its_one_row() -> None:
    scans, _ = _one(
        "SELECT 'header' AS tbl, row_no FROM header WHERE dob_d > (SELECT collection_end FROM "
        "collection) AND sex IS DISTINCT FROM 'M'"
    )
    assert scans[0].conditions == [(7, "dob_d > c.collection_end AND sex IS DISTINCT FROM 'M'")]


def test_windowed_conditions_share_their_window() -> None:
    window = (
        "SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL "
        "WINDOW w AS (PARTITION BY child ORDER BY decom_d, row_no) QUALIFY "
    )
    scans, alone = shared_scans(
        [(1, window + "rne = 'S' AND decom_d <= lag(dec_d) OVER w"), (2, window + "rne = 'L'")]
    )
    assert alone == [] and len(scans) == 1
    assert scans[0].where == "decom_d IS NOT NULL"
    assert [k for k, _ in scans[0].conditions] == [1, 2]


@pytest.mark.parametrize(
    "sql",
    [
        # a subquery, a join, another table's alias, a grouping, a set operation
        "SELECT 'header' AS tbl, row_no FROM header WHERE child IN (SELECT child FROM uasc)",
        "SELECT 'header' AS tbl, h.row_no FROM header h JOIN uasc u USING (child) WHERE u.x = 1",
        "SELECT 'header' AS tbl, h.row_no FROM header h WHERE u.sex = 'M'",
        "SELECT 'header' AS tbl, row_no FROM header WHERE sex = 'M' GROUP BY row_no",
        "SELECT 'header' AS tbl, row_no FROM header WHERE sex = 'M' UNION ALL SELECT 'header', 1",
        # a window of its own, a macro reading reference tables, another table's records
        "SELECT 'episodes' AS tbl, row_no FROM episodes WHERE place = 'T3' "
        "QUALIFY count(*) OVER (PARTITION BY child) > 2",
        "SELECT 'episodes' AS tbl, row_no FROM episodes WHERE pc_miles(home_post, pl_post) > 1",
        "SELECT 'header' AS tbl, row_no FROM header_last WHERE sex = 'M'",
        # a line break inside a string literal
        "SELECT 'header' AS tbl, row_no FROM header WHERE sex = 'a\n b'",
    ],
)
def test_anything_else_runs_alone(sql: str) -> None:
    assert _one(sql) == ([], [(7, sql)])


def test_most_of_the_years_rules_share_scans() -> None:
    ruleset = "lac2024_25"
    sqls = [
        (i, impl.sql)
        for i, e in enumerate(catalogue(ruleset))
        if (impl := implementation(e.code, ruleset)) is not None
    ]
    scans, alone = shared_scans(sqls)
    assert sum(len(s.conditions) for s in scans) > 130 and len(scans) < 15
    assert len(alone) + sum(len(s.conditions) for s in scans) == len(sqls)


def test_shared_scans_flag_the_same_records(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every rule of the year on DfE's sample (its own previous year too, so the rules
    # comparing years run): run in shared scans, the findings are those of every rule
    # run as its own subquery, row for row.
    from cscwatch.childlevel.pseudonym import Pseudonymiser
    from cscwatch.childlevel.ssda903.reader import read_return

    folder = shared_data / "ssda903" / "samples"
    files = [p for p in sorted(folder.glob("*.csv")) if p.name != "placed_for_adoption_errors.csv"]
    if not files:
        pytest.skip("the SSDA903 sample is not in the shared data")
    read = read_return(files, pseudonymiser=Pseudonymiser(b"engine-test-key-0123456789abcdef"))
    con = connect_duckdb()
    stage(con, "lac2024_25", read.tables, read.tables, year=2018, child_ids=True)
    decided = plan("lac2024_25", set(read.tables), has_previous=True)
    shared = run_rules(con, decided)
    monkeypatch.setattr(engine, "shared_scans", lambda rules: ([], list(rules)))
    alone = run_rules(con, decided)
    con.close()
    assert len(shared) > 1000
    assert shared.equals(alone)
