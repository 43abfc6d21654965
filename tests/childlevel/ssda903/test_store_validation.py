"""Validating the SSDA903 returns in the child store (``cla validate --child-store``):
findings equal to validating the files, the refusal of years without DfE rules, rules
applied at the user's request, and how ``SW_ID`` is stored.

Returns: synthetic Rutland (857) and Hartlepool (805) for 2022 to 2025 (``cla synth``,
seed 5, with postcodes), every injectable error broken once in each return, written once
per module.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from cscwatch.childlevel.cin.store import connect_child_store
from cscwatch.childlevel.pseudonym import Pseudonymiser
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
