"""Validating the SSDA903 returns in the child store (``cla validate --child-store``):
findings equal to validating the files, the refusal of years without DfE rules, rules
applied at the user's request, and how ``SW_ID`` is stored.

Returns: synthetic Rutland (857) and Hartlepool (805) for 2022 to 2025 (``cla synth``,
seed 5, with postcodes), every injectable error broken once in each return, written once
per module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from cscwatch.childlevel.cin.store import connect_child_store
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.ssda903 import storevalidation
from cscwatch.childlevel.ssda903.store import (
    RETURN_TABLE,
    ReturnSource,
    load_store_returns,
    pseudonymise_sw_id,
    store_table,
)
from cscwatch.childlevel.ssda903.storevalidation import (
    StoreValidation903,
    ruleset_of_year,
    validate_store,
)
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.childlevel.ssda903.validation import ValidationReport903, validate_return
from cscwatch.core.config import Settings
from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import InputError
from cscwatch.synth.ssda903 import write_synthetic_returns

Cli = Callable[..., tuple[int, str, str]]
YEARS = (2022, 2023, 2024, 2025)
LAS = ("857", "805")


@pytest.fixture(scope="module")
def returns(warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cla-store-validate") / "synth"
    wcon = connect_duckdb(warehouse.warehouse, read_only=True)
    try:
        write_synthetic_returns(
            wcon, list(LAS), YEARS, 5, out, errors=["all"], cache_dir=warehouse.cache_dir
        )
    finally:
        wcon.close()
    return out


@pytest.fixture(scope="module")
def store(returns: Path, warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(
        child_store=tmp_path_factory.mktemp("cla-store-v") / "child.duckdb",
        cache_dir=warehouse.cache_dir,
    )
    con = connect_child_store(settings)
    try:
        sources = [ReturnSource((returns / f"{la}_{y}",), la) for la in LAS for y in YEARS]
        load_store_returns(con, sources, settings)
    finally:
        con.close()
    return settings


def _validate(settings: Settings, **kwargs: object) -> StoreValidation903:
    con = connect_child_store(settings, read_only=True)
    try:
        return validate_store(con, settings=settings, **kwargs)  # type: ignore[arg-type]
    finally:
        con.close()


def _comparable(report: ValidationReport903) -> pd.DataFrame:
    # The findings, SW_ID values aside (the store keeps SW_ID's prefix and pseudonym).
    frame = report.to_frame()
    values = frame["value"].astype(str).str.replace(r"SW_ID=[^;]*", "SW_ID=*", regex=True)
    return frame.assign(value=values).reset_index(drop=True)


def test_store_findings_equal_file_findings(returns: Path, store: Settings) -> None:
    done = _validate(store, years=[2023, 2024, 2025])
    assert [(r.la_code, r.year) for r in done.returns] == [
        (la, y) for y in (2023, 2024, 2025) for la in sorted(LAS)
    ]
    assert done.has_findings and not done.notes
    for r in done.returns:
        assert r.previous_year == r.year - 1 and r.applied_to is None
        files = validate_return(
            [returns / f"{r.la_code}_{r.year}"],
            r.report.ruleset,
            [returns / f"{r.la_code}_{r.year - 1}"],
            store,
            la_code=r.la_code,
        )
        assert r.report.ruleset == ruleset_of_year(r.year)
        assert r.report.finding_count == files.finding_count > 0
        pd.testing.assert_frame_equal(_comparable(r.report), _comparable(files))
        assert r.report.rules_run == files.rules_run
        assert r.report.not_run == files.not_run
        assert (r.report.children, r.report.episodes) == (files.children, files.episodes)
        assert set(r.report.tables) == set(files.tables)
        # the rules comparing two years ran, on the stored previous return
        assert not [n for n in r.report.not_run if "previous" in n.reason]


def test_the_first_stored_year_runs_without_a_previous_return(
    returns: Path, store: Settings
) -> None:
    # 2022 has no DfE rules: the 2022-23 rules at the user's request, on 2021-22's dates
    done = _validate(store, years=[2022], la_codes=["857"], ruleset="2022-23")
    (r,) = done.returns
    assert r.previous_year is None and r.applied_to == "2021-22"
    assert r.at_request == "rules of 2022-23 applied to 2021-22 returns at your request"
    assert done.notes == (r.at_request,)
    assert r.to_dict()["at_request"] == r.at_request
    files = validate_return(
        [returns / "857_2022"], "lac2022_23", None, store, period=2022, la_code="857"
    )
    pd.testing.assert_frame_equal(_comparable(r.report), _comparable(files))
    assert r.report.not_run == files.not_run
    assert [n for n in r.report.not_run if "previous" in n.reason]


def test_years_without_rules_are_refused_by_default(store: Settings) -> None:
    with pytest.raises(InputError, match=r"no SSDA903 rules for 2021-22 .*--ruleset"):
        _validate(store)
    with pytest.raises(InputError, match="no SSDA903 return for LA 999"):
        _validate(store, la_codes=["999"], years=[2025])
    with pytest.raises(InputError, match="no SSDA903 ruleset for 2016-17"):
        _validate(store, years=[2025], ruleset="2016-17")


def test_cli_validate_child_store(store: Settings, cli: Cli) -> None:
    path = str(store.child_store)
    code, out, err = cli(
        "cla", "validate", "--child-store", path, "--year", "2025", "-a", "Rutland",
        "-f", "json", "-q",
    )  # fmt: skip
    assert code == 1, err
    got = json.loads(out)
    (only,) = got["returns"]
    assert (only["la_code"], only["year"], only["ruleset"]) == ("857", 2025, "2024-25")
    assert only["findings"] and only["previous_year"] == 2024
    code, out, err = cli("cla", "validate", "--child-store", path, "-f", "csv", "-q")
    assert code == 2 and "2021-22" in err and "Traceback" not in err
    code, out, err = cli(
        "cla", "validate", "--child-store", path, "--year", "2022", "-r", "2024-25",
        "-f", "csv", "-q",
    )  # fmt: skip
    assert code == 1, err
    assert "rules of 2024-25 applied to 2021-22 returns at your request" in err
    head, *rows = out.splitlines()
    assert head.startswith("la_code,year,ruleset,applied_to,status,rule")
    assert {r.split(",")[0] for r in rows} == set(LAS)
    assert all(",2024-25,2021-22," in r for r in rows)
    code, out, err = cli("cla", "validate", "--child-store", path, "-y", "2024", "-q")
    assert code == 1 and "SSDA903 validation of stored returns" in out
    for extra in (["--previous", path], ["--show-la-child-id"], ["--la-code", "857"]):
        code, _, err = cli("cla", "validate", "--child-store", path, *extra, "-q")
        assert code == 2 and "does not apply to --child-store" in err
    code, _, err = cli("cla", "validate", "-q")
    assert code == 2 and "--child-store" in err


def test_sw_id_is_stored_as_prefix_and_pseudonym(returns: Path, store: Settings) -> None:
    key = Pseudonymiser(b"k" * 32)
    frame = pd.DataFrame({"SW_ID": ["SW123", " XX9 ", "AB1", "", None], "row_no": range(5)})
    kept = pseudonymise_sw_id(frame, key)["SW_ID"].tolist()
    assert kept[0] == f"SW:{key('sw:SW123')}" and kept[1] == f"XX:{key('sw:XX9')}"
    assert kept[2].startswith("AB:") and kept[3] is None and kept[4] is None
    assert kept[0] != key("SW123")  # never a child's pseudonym of the same text
    # no raw SW_ID in the store; the same worker keeps one value
    raw = pd.read_csv(returns / "805_2025" / "sw_episodes.csv", dtype=str)["SW_ID"].dropna()
    assert len(raw)
    con = connect_child_store(store, read_only=True)
    try:
        stored = [
            r[0]
            for r in con.execute(
                f"SELECT sw_id FROM {store_table('sw_episodes')} "
                "WHERE la_code = '805' AND year = 2025 ORDER BY row_no"
            ).fetchall()
        ]
        listed = con.execute(f"SELECT tables, source_format FROM {RETURN_TABLE} LIMIT 1").fetchone()
    finally:
        con.close()
    assert not set(raw.str.strip()) & {s for s in stored if s}
    assert all(s is None or s[2] == ":" for s in stored)
    assert listed is not None and "episodes" in listed[0] and listed[1] == "csv"


def _copy_as(store: Settings, folder: Path, copies: dict[str, str]) -> Settings:
    """A copy of the store where each LA of ``copies`` also holds the returns of another
    (``{"806": "857"}``): the same children, UPNs and rows under two authorities."""
    import shutil

    settings = Settings(child_store=folder / "child.duckdb", cache_dir=store.cache_dir)
    assert store.child_store is not None and settings.child_store is not None
    shutil.copy(store.child_store, settings.child_store)
    con = connect_child_store(settings)
    try:
        for new, old in copies.items():
            for name in (*TABLES, None):
                table = RETURN_TABLE if name is None else store_table(name)
                con.execute(
                    f"INSERT INTO {table} BY NAME SELECT * REPLACE (?::VARCHAR AS la_code) "
                    f"FROM {table} WHERE la_code = ?",
                    [new, old],
                )
    finally:
        con.close()
    return settings


def _findings(done: StoreValidation903) -> dict[tuple[str, int], pd.DataFrame]:
    return {(r.la_code, r.year): r.report.to_frame() for r in done.returns}


def test_returns_validated_together_find_what_each_finds_alone(
    store: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 806 holds 857's returns: every child, UPN and row twice over, in one batch. The
    # 2025-26 rules include 444 (the same UPN on two children), which compares
    # different children: were returns not kept apart it would flag every UPN of both;
    # and the rules comparing a placement's authority with the placing authority's
    # read each return's own (806 or 857).
    copied = _copy_as(store, tmp_path, {"806": "857"})
    sizes: list[int] = []
    batch = storevalidation._validate_batch

    def counted(con: object, members: list[object], *args: object) -> object:
        sizes.append(len(members))
        return batch(con, members, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(storevalidation, "_validate_batch", counted)
    together = _validate(copied, years=[2024, 2025], ruleset="2025-26")
    assert max(sizes) >= 2  # returns of a year were staged together (806 and 857)
    assert "444" in together.returns[0].report.rules_run
    found = _findings(together)
    for la in ("805", "806", "857"):
        for year in (2024, 2025):
            sizes.clear()
            (alone,) = _validate(copied, years=[year], la_codes=[la], ruleset="2025-26").returns
            assert sizes == [1]
            pd.testing.assert_frame_equal(found[(la, year)], alone.report.to_frame())
            assert (alone.report.children, alone.report.episodes) > (0, 0)
            assert alone.report.rules_run == together.returns[0].report.rules_run
    assert not (found[("857", 2025)]["rule"] == "444").any()


def test_a_return_with_a_record_without_child_is_validated_alone(
    store: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Records without CHILD are grouped together by the rules: never across returns.
    copied = _copy_as(store, tmp_path, {"806": "857"})
    con = connect_child_store(copied)
    try:
        con.execute(
            f"UPDATE {store_table('episodes')} SET child = NULL "
            "WHERE la_code = '806' AND year = 2024 AND row_no IN (2, 3)"
        )
        con.execute(
            f"UPDATE {store_table('episodes')} SET child = NULL "
            "WHERE la_code = '857' AND year = 2025 AND row_no IN (2, 3)"
        )
    finally:
        con.close()
    sizes: list[int] = []
    batch = storevalidation._validate_batch

    def counted(con: object, members: list[object], *args: object) -> object:
        sizes.append(len(members))
        return batch(con, members, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(storevalidation, "_validate_batch", counted)
    together = _findings(_validate(copied, years=[2025]))
    # 806 2025 (its previous year has blank children) and 857 2025 alone; 805 on its own
    assert sorted(sizes) == [1, 1, 1]
    for la in ("805", "806", "857"):
        (alone,) = _validate(copied, years=[2025], la_codes=[la]).returns
        pd.testing.assert_frame_equal(together[(la, 2025)], alone.report.to_frame())
    blank = together[("857", 2025)]
    assert blank["child_id"].isna().any()  # the records without CHILD were flagged


def test_rules_keep_each_return_apart() -> None:
    # A rule comparing different children partitions by the record's return; the
    # placing authority is the one of the record's return (rules/base.py).
    from cscwatch.childlevel.ssda903.rules import all_rules

    rules = {r.code: r.sql for r in all_rules()}
    assert "PARTITION BY record_return(row_no), upn" in rules["444"]
    own = [c for c, sql in rules.items() if "placing_la" in sql or "pl_location" in sql]
    assert sorted(own) == ["1015", "229", "411", "503J"]
    for code in own:
        sql = rules[code]
        # pl_location(postcode, row_no): the row says whose authority; placing_la is
        # read for the record's return only
        assert all("," in args for args in re.findall(r"pl_location\(([^()]*)\)", sql))
        assert sql.count("FROM placing_la") == sql.count("record_return(")
