"""The SSDA903 rule engine: catalogue, staging, planning and the finding layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from rulekit import failures, frames

from cscwatch.childlevel.ssda903.engine import collection_period, plan, run_rules, stage
from cscwatch.childlevel.ssda903.rules import RULESETS, catalogue
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.core.database import connect_duckdb


@pytest.mark.parametrize("ruleset", RULESETS)
def test_every_catalogue_names_known_tables(ruleset: str) -> None:
    entries = catalogue(ruleset)
    assert len(entries) == len({e.code for e in entries}) > 290
    assert all(e.message and e.tables for e in entries)


def test_collection_period() -> None:
    start, end = collection_period("lac2024_25")
    assert (start.isoformat(), end.isoformat()) == ("2024-04-01", "2025-03-31")


def test_staging_trims_blanks_and_parses_dates() -> None:
    con = connect_duckdb()
    current = {"header": [{"CHILD": "a", "DOB": " 29/02/2012 ", "ETHNIC": " "}]}
    current["episodes"] = [{"CHILD": "a", "DECOM": "31/02/2020"}]
    stage(con, "lac2024_25", frames(current))
    assert con.execute("SELECT dob, dob_d::VARCHAR, ethnic FROM header").fetchall() == [
        ("29/02/2012", "2012-02-29", None)
    ]
    assert con.execute("SELECT decom_d FROM episodes").fetchall() == [(None,)]
    assert con.execute("SELECT count(*) FROM episodes_last").fetchall() == [(0,)]


@pytest.mark.parametrize("child_ids", [False, True])
def test_a_table_not_given_is_staged_as_a_given_empty_one(child_ids: bool) -> None:
    # A table not given is declared, not read: the same columns and types as a given
    # table with no records, so every rule's SQL reads both alike.
    import pandas as pd

    declared, read = connect_duckdb(), connect_duckdb()
    stage(declared, "lac2024_25", {}, child_ids=child_ids)
    given = {
        name: pd.DataFrame({"row_no": pd.Series([], dtype="int64")}).assign(
            **{f: pd.Series([], dtype=object) for f in spec.staged}
        )
        for name, spec in TABLES.items()
    }
    stage(read, "lac2024_25", given, given, child_ids=child_ids)
    for name in TABLES:
        for table in (name, f"{name}_last"):
            shape = f"SELECT column_name, column_type FROM (DESCRIBE {table})"
            assert declared.execute(shape).fetchall() == read.execute(shape).fetchall()
            assert declared.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]


def test_rule_103_breaks_and_near_miss() -> None:
    current = {"header": [{"CHILD": "a", "ETHNIC": "wbri"}, {"CHILD": "b", "ETHNIC": "WBRI"}]}
    assert failures("103", current=current) == {("header", 1)}


def test_plan_says_why_a_rule_did_not_run() -> None:
    decided = plan("lac2024_25", {"episodes"}, has_previous=False)
    reasons = {n.code: n.reason for n in decided.not_run}
    if "103" in reasons:
        assert reasons["103"] == "no header table was given"
    assert all(n.reason for n in decided.not_run)
    ran = {e.code for e, _ in decided.run}
    assert not ran & set(reasons)


def test_findings_name_child_fields_and_values() -> None:
    con = connect_duckdb()
    stage(con, "lac2024_25", frames({"header": [{"CHILD": "c1", "ETHNIC": "XX", "row_no": 7}]}))
    found = run_rules(con, plan("lac2024_25", {"header"}, has_previous=False, codes={"103"}))
    assert found[["code", "tbl", "row_no", "child", "fields", "values"]].values.tolist() == [
        ["103", "header", 7, "c1", "ETHNIC", "ETHNIC=XX"]
    ]


def test_pc_miles_is_great_circle_distance() -> None:
    from cscwatch.childlevel.ssda903.engine import stage_postcodes

    con = connect_duckdb()
    # Leeds city centre to Manchester city centre: about 36 miles as the crow flies.
    stage_postcodes(con, {"LS1 4DY": (53.7997, -1.5492), "M1 1AE": (53.4808, -2.2426)})
    miles = con.execute("SELECT pc_miles('ls14dy', 'M1 1AE'), pc_miles('LS1 4DY', 'X1')").fetchone()
    assert miles is not None and 35 < miles[0] < 37 and miles[1] is None


def test_a_rule_reading_a_last_year_table_not_given_is_not_run() -> None:
    from cscwatch.childlevel.ssda903.rules import implementation

    ruleset = "lac2024_25"
    code = next(
        e.code
        for e in catalogue(ruleset)
        if (impl := implementation(e.code, ruleset)) is not None and "episodes_last" in impl.sql
    )
    given = set(TABLES)
    without = plan(
        ruleset,
        given,
        has_previous=True,
        has_postcodes=True,
        previous_tables={"header"},
        codes={code},
    )
    assert [e.code for e, _ in without.run] == []
    assert "needs last year's" in without.not_run[0].reason
    assert "episodes" in without.not_run[0].reason
    with_it = plan(
        ruleset, given, has_previous=True, has_postcodes=True, previous_tables=given, codes={code}
    )
    assert [e.code for e, _ in with_it.run] == [code]


def test_a_two_digit_year_is_not_a_date() -> None:
    con = connect_duckdb()
    stage(con, "lac2024_25", frames({"header": [{"CHILD": "a", "DOB": "01/01/19"}]}))
    assert con.execute("SELECT dob, dob_d FROM header").fetchall() == [("01/01/19", None)]


def test_children_staged_as_integers_flag_the_same_records(shared_data: Path) -> None:
    # Every rule of the year on DfE's sample: staging each child as an integer (what
    # validation does, for speed) flags the same records, with the same pseudonyms and
    # values, as staging the pseudonyms themselves.
    from cscwatch.childlevel.pseudonym import Pseudonymiser
    from cscwatch.childlevel.ssda903.reader import read_return

    folder = shared_data / "ssda903" / "samples"
    files = [p for p in sorted(folder.glob("*.csv")) if p.name != "placed_for_adoption_errors.csv"]
    if not files:
        pytest.skip("the SSDA903 sample is not in the shared data")
    read = read_return(files, pseudonymiser=Pseudonymiser(b"engine-test-key-0123456789abcdef"))
    found = []
    for ids in (False, True):
        con = connect_duckdb()
        stage(con, "lac2024_25", read.tables, read.tables, year=2018, child_ids=ids)
        decided = plan("lac2024_25", set(read.tables), has_previous=True)
        found.append(run_rules(con, decided))
        con.close()
    texts, ints = found
    assert len(texts) > 1000 and texts["child"].notna().all()
    assert texts.equals(ints)
