"""``cscwatch cin check``: one read of the XML gives what ``cin validate`` and ``cin
measures`` give separately, with the same exit codes and no raw identifier anywhere."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "childlevel"))
from cin_xml import clean_return, render

Cli = Callable[..., tuple[int, str, str]]
KEY = {"CSCWATCH_PSEUDONYM_KEY": "cli-check-key-0123456789"}
RAW_IDS = ["RAWCHECKIDENT01", "RAWCHECKIDENT02", "RAWCHECKIDENT03"]


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CSCWATCH_PSEUDONYM_KEY", "CSCWATCH_PSEUDONYM_KEY_FILE", "CSCWATCH_CHILD_STORE"):
        monkeypatch.delenv(name, raising=False)


def _return(tmp_path: Path, *, broken: bool = False, la: str = "201") -> Path:
    kids = clean_return()
    for k, raw in zip(kids, RAW_IDS, strict=True):
        k["LAchildID"] = raw
    if broken:
        kids[1]["episodes"][0]["CINreferralDate"] = None  # rule 8600
    path = tmp_path / f"{'broken' if broken else 'clean'}_{la}.xml"
    path.write_bytes(render(kids, la=la))
    return path


def test_check_gives_what_validate_and_measures_give(cli: Cli, tmp_path: Path) -> None:
    clean, broken = _return(tmp_path), _return(tmp_path, broken=True, la="202")
    for files in ([clean], [clean, broken]):
        args = [str(f) for f in files]
        code, out, err = cli("cin", "check", *args, "-f", "json", env=KEY)
        assert code == (1 if broken in files else 0), err
        both = json.loads(out)
        v_code, v_out, _ = cli("cin", "validate", *args, "-f", "json", env=KEY)
        m_code, m_out, _ = cli("cin", "measures", *args, "-f", "json", env=KEY)
        assert v_code == code and m_code == 0
        validation = json.loads(v_out)
        assert both["validation"] == (validation if len(files) > 1 else [validation])
        assert both["measures"] == json.loads(m_out)


def test_check_errors_exit_1_and_still_measure(cli: Cli, tmp_path: Path) -> None:
    path = _return(tmp_path, broken=True)
    code, out, _ = cli("cin", "check", str(path), env=KEY)
    assert code == 1 and "8600" in out and "Children in need measures" in out
    code, out, _ = cli("cin", "check", str(path), "-f", "csv", "-o", str(tmp_path / "o"), env=KEY)
    assert code == 1 and out.splitlines()[0].startswith("file,rule,rule_type,message,child_seq")
    written = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert "validation_issues.csv" in written and "c1_cin_measures_provisional.csv" in written
    with (tmp_path / "o" / "validation_issues.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert any(r["rule"] == "8600" and r["child_seq"] == "2" for r in rows)


@pytest.mark.parametrize(
    ("args", "message"), [(["--ruleset", "2015-16"], "ruleset"), (["-f", "xml"], "--format")]
)
def test_bad_options_exit_2(cli: Cli, tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = cli("cin", "check", str(_return(tmp_path)), *args, env=KEY)
    assert code == 2 and message in err and "Traceback" not in err


def test_bad_files_exit_2_with_one_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = tmp_path / "hostile.xml"
    hostile.write_text('<!DOCTYPE m [<!ENTITY a "b">]><Message/>', encoding="utf-8")
    for files in ([hostile], [_return(tmp_path), tmp_path / "missing.xml"]):
        code, out, err = cli("cin", "check", *map(str, files), env=KEY)
        assert code == 2 and err.count("\n") == 1 and err.startswith("error: ") and out == ""
    monkeypatch.delenv("CSCWATCH_PSEUDONYM_KEY")
    code, _, err = cli("cin", "check", str(_return(tmp_path)))
    assert code == 2 and "CSCWATCH_PSEUDONYM_KEY" in err


def test_raw_ids_only_in_the_interactive_table_for_one_file(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cscwatch.serve.cli.cin as cin_cli

    path = _return(tmp_path, broken=True)
    other = _return(tmp_path, la="202")
    outputs: list[str] = []
    for fmt in ("table", "json", "csv"):
        outputs += cli("cin", "check", str(path), "-f", fmt, "-o", str(tmp_path / fmt), env=KEY)[1:]
        outputs += cli("cin", "check", str(path), str(other), "-f", fmt, env=KEY)[1:]
        outputs += [p.read_text(encoding="utf-8") for p in (tmp_path / fmt).iterdir()]
    blob = "\n".join(outputs)
    assert "8600" in blob
    for raw in RAW_IDS:
        assert raw not in blob
    monkeypatch.setattr(cin_cli, "_interactive", lambda: True)
    _, out, _ = cli("cin", "check", str(path), env=KEY)
    assert RAW_IDS[1] in out
    for args in (["--hide-la-child-id"], ["-f", "json"], [str(other)]):
        _, out, _ = cli("cin", "check", str(path), *args, env=KEY)
        assert RAW_IDS[1] not in out


def test_validate_a_child_store_without_reading_again(cli: Cli, tmp_path: Path) -> None:
    clean, broken = _return(tmp_path), _return(tmp_path, broken=True, la="202")
    store = tmp_path / "child.duckdb"
    code, _, err = cli("cin", "load", str(clean), str(broken), "--child-store", str(store), env=KEY)
    assert code == 0, err
    code, out, _ = cli("cin", "validate", str(clean), str(broken), "-f", "json", env=KEY)
    from_files = json.loads(out)
    code_store, out, err = cli("cin", "validate", "--child-store", str(store), "-f", "json")
    assert code_store == code == 1, err
    from_store = json.loads(out)
    assert [r["file"] for r in from_store] == [None, None]
    assert from_store == [{**r, "file": None} for r in from_files]  # by LA: 201, then 202
    outputs = [out]
    for fmt in ("table", "csv"):
        code, out, _ = cli("cin", "validate", "--child-store", str(store), "-f", fmt)
        assert code == 1 and "8600" in out
        outputs.append(out)
    assert "return " in outputs[1]  # the table names returns, as there are no files
    named = {row["file"] for row in csv.DictReader(io.StringIO(outputs[2]))}
    assert named == {f"return {from_store[1]['return_id']}"}  # csv rows too: only 202 fails
    for raw in RAW_IDS:
        assert raw not in "\n".join(outputs)
    code, out, _ = cli("cin", "measures", "--child-store", str(store), "-f", "json")
    _, out_files, _ = cli("cin", "measures", str(clean), str(broken), "-f", "json", env=KEY)
    assert code == 0
    store_rows, file_rows = json.loads(out), json.loads(out_files)
    for layout, rows in file_rows.items():  # the same rows (the store lists by return id)
        assert sorted(store_rows[layout], key=str) == sorted(rows, key=str)


def test_validate_needs_files_or_a_child_store(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("cin", "validate")
    assert code == 2 and "give CIN census files or --child-store" in err
    code, _, err = cli("cin", "validate", "--child-store", str(tmp_path / "none.duckdb"))
    assert code == 2 and "does not exist" in err


def test_a_named_ruleset_is_applied_to_every_stored_year_and_says_so(
    cli: Cli, tmp_path: Path
) -> None:
    # 2016-17 has no DfE ruleset: refused by default; with --ruleset 2022-23 its return
    # is checked against the 2022-23 rules with its own year's dates (clean, so no
    # window moved) and the output says the rules were applied at the user's request.
    old, own = tmp_path / "old.xml", tmp_path / "own.xml"
    old.write_bytes(render(clean_return(ruleset_year=2017), reference_date="2017-03-31", la="202"))
    own.write_bytes(render(clean_return(ruleset_year=2023), reference_date="2023-03-31"))
    store = tmp_path / "child.duckdb"
    code, _, err = cli("cin", "load", str(old), str(own), "--child-store", str(store), env=KEY)
    assert code == 0, err
    code, _, err = cli("cin", "validate", "--child-store", str(store))
    assert code == 2 and "no CIN census ruleset for 2016-17" in err
    code, out, err = cli("cin", "validate", "--child-store", str(store), "-r", "2022-23", "-f",
                         "json")  # fmt: skip
    assert code == 0, err
    assert "rules of 2022-23 applied to 2016-17 returns at your request" in err
    reports = json.loads(out)
    assert [(r["ruleset"], r["applied_to"], r["errors"]) for r in reports] == [
        ("cin2022_23", None, 0),  # LA 201, its own year's rules
        ("cin2022_23", "2016-17", 0),
    ]
    code, out, err = cli("cin", "validate", "--child-store", str(store), "-r", "2022-23")
    assert code == 0 and "cin2022_23 on 2016-17" in out
    assert err.count("at your request") == 1
    # Against the 2022-23 dates instead, the 2016-17 return would fail the period rules.
    import duckdb

    from cscwatch.childlevel.cin.validation import validate_many

    con = duckdb.connect(str(store), read_only=True)
    try:
        rid = con.execute("SELECT return_id FROM cin_return WHERE la_code = '202'").fetchone()
        assert rid is not None
        assert validate_many(con, [rid[0]], "cin2022_23")[rid[0]].has_errors
        assert not validate_many(con, [rid[0]], "cin2022_23", year=2017)[rid[0]].has_errors
    finally:
        con.close()
