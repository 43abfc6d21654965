"""``cscwatch cin validate`` and ``cscwatch cin load``: exit codes, formats, and no raw
identifier in any output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "childlevel"))
from cin_xml import clean_return, render

from cscwatch.childlevel.pseudonym import SYNTHETIC_MARKER

Cli = Callable[..., tuple[int, str, str]]
KEY = {"CSCWATCH_PSEUDONYM_KEY": "cli-test-key-0123456789"}
RAW_IDS = ["RAWCLIIDENT0001", "RAWCLIIDENT0002", "RAWCLIIDENT0003"]


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CSCWATCH_PSEUDONYM_KEY", "CSCWATCH_PSEUDONYM_KEY_FILE", "CSCWATCH_CHILD_STORE"):
        monkeypatch.delenv(name, raising=False)


def _return(tmp_path: Path, *, broken: bool = False, synthetic: bool = False) -> Path:
    kids = clean_return()
    for k, raw in zip(kids, RAW_IDS, strict=True):
        k["LAchildID"] = raw
    if broken:
        kids[1]["episodes"][0]["CINreferralDate"] = None  # rule 8600
    path = tmp_path / ("broken.xml" if broken else "clean.xml")
    path.write_bytes(render(kids, software=SYNTHETIC_MARKER if synthetic else "LA system"))
    return path


def test_clean_return_exits_0(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("cin", "validate", str(_return(tmp_path)), env=KEY)
    assert code == 0, err
    assert "0 errors" in out and "cin2024_25" in out


def test_errors_exit_1_in_every_format(cli: Cli, tmp_path: Path) -> None:
    path = _return(tmp_path, broken=True)
    code, out, _ = cli("cin", "validate", str(path), env=KEY)
    assert code == 1 and "8600" in out
    code, out, _ = cli("cin", "validate", str(path), "--format", "json", env=KEY)
    payload = json.loads(out)
    assert code == 1 and payload["errors"] >= 1 and payload["ruleset"] == "cin2024_25"
    issue = next(i for i in payload["issues"] if i["rule"] == "8600")
    assert issue["child_seq"] == 2 and issue["record"] == "episode 1"
    assert issue["field"] == "CINreferralDate" and len(issue["child_id"]) == 64
    assert set(issue) == {
        "rule", "rule_type", "message", "child_seq", "child_id", "table", "field", "record",
        "value",
    }  # fmt: skip
    assert issue["value"] is None  # the referral date is missing
    code, out, _ = cli("cin", "validate", str(path), "-f", "csv", "--ruleset", "2024-25", env=KEY)
    assert code == 1 and out.splitlines()[0].startswith("file,rule,rule_type,message,child_seq")


def test_real_sample_with_ruleset(cli: Cli, shared_data: Path) -> None:
    sample = shared_data / "cin_census" / "samples" / "CIN_header_issues_100.xml"
    code, out, _ = cli(
        "cin", "validate", str(sample), "--ruleset", "2022-23", "-f", "json", env=KEY
    )
    assert code == 1
    assert "100" in {i["rule"] for i in json.loads(out)["issues"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ruleset", "2015-16"], "ruleset"),
        (["--format", "xml"], "--format"),
    ],
)
def test_bad_options_exit_2(cli: Cli, tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = cli("cin", "validate", str(_return(tmp_path)), *args, env=KEY)
    assert code == 2 and message in err and "Traceback" not in err


def test_bad_files_exit_2_with_one_line(cli: Cli, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.xml"
    hostile.write_text('<!DOCTYPE m [<!ENTITY a "b">]><Message/>', encoding="utf-8")
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(render(clean_return())[:-40])
    for path in (tmp_path / "missing.xml", hostile, truncated):
        code, out, err = cli("cin", "validate", str(path), env=KEY)
        assert code == 2, path
        assert err.count("\n") == 1 and err.startswith("error: ") and out == ""


def test_real_data_needs_a_key_synthetic_data_does_not(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("cin", "validate", str(_return(tmp_path)))
    assert code == 2 and "CSCWATCH_PSEUDONYM_KEY" in err
    code, _, err = cli("cin", "validate", str(_return(tmp_path, synthetic=True)))
    assert code == 0, err


def test_load_needs_a_child_store(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("cin", "load", str(_return(tmp_path)), env=KEY)
    assert code == 2 and "CSCWATCH_CHILD_STORE" in err


def test_load_into_the_child_store(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "child.duckdb"
    path = _return(tmp_path)
    code, out, err = cli(
        "cin", "load", str(path), "--child-store", str(store), "-f", "json", env=KEY
    )
    assert code == 0, err
    row = json.loads(out)["returns"][0]
    assert row["children"] == "c" and row["la_code"] == "201"  # 3 children: suppressed
    code, _, _ = cli("cin", "load", str(path), env={**KEY, "CSCWATCH_CHILD_STORE": str(store)})
    assert code == 0
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    assert con.sql("SELECT count(*) FROM cin_child").fetchall() == [(3,)]
    con.close()


def test_no_raw_identifier_in_any_output(cli: Cli, tmp_path: Path) -> None:
    path = _return(tmp_path, broken=True)
    store = tmp_path / "child.duckdb"
    outputs: list[str] = []
    for fmt in ("table", "json", "csv"):
        outputs += cli("cin", "validate", str(path), "-f", fmt, env=KEY)[1:]
        outputs += cli("cin", "load", str(path), "--child-store", str(store), "-f", fmt, env=KEY)[
            1:
        ]
    blob = "\n".join(outputs) + store.read_bytes().decode("latin-1")
    for raw in RAW_IDS:
        assert raw not in blob


def test_interactive_table_shows_the_authoritys_own_ids(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cscwatch.serve.cli.cin as cin_cli

    monkeypatch.setattr(cin_cli, "_interactive", lambda: True)
    path = _return(tmp_path, broken=True)
    _, out, _ = cli("cin", "validate", str(path), env=KEY)
    assert RAW_IDS[1] in out
    _, out, _ = cli("cin", "validate", str(path), "--hide-la-child-id", env=KEY)
    assert RAW_IDS[1] not in out
    _, out, _ = cli("cin", "validate", str(path), "-f", "json", env=KEY)
    assert RAW_IDS[1] not in out


def test_many_files_are_checked_in_one_run(cli: Cli, tmp_path: Path) -> None:
    clean, broken = _return(tmp_path), _return(tmp_path, broken=True)
    code, out, err = cli("cin", "validate", str(clean), str(broken), "-f", "json", env=KEY)
    assert code == 1, err
    payload = json.loads(out)
    assert [p["file"] for p in payload] == [str(clean), str(broken)]
    assert payload[0]["errors"] == 0 and payload[1]["errors"] >= 1
    code, out, _ = cli("cin", "validate", str(clean), str(broken), env=KEY)
    assert code == 1 and "clean.xml" in out and "8600" in out and "2 returns, 1 with" in out
    code, out, _ = cli("cin", "validate", str(clean), str(clean), "-f", "csv", env=KEY)
    assert code == 0 and out.strip() == "file," + ",".join(
        ["rule", "rule_type", "message", "child_seq", "child_id", "table", "field", "record",
         "value"]
    )  # fmt: skip


def test_load_refuses_another_return_for_a_stored_year_unless_replace(
    cli: Cli, tmp_path: Path
) -> None:
    store = tmp_path / "child.duckdb"
    first = _return(tmp_path)
    second = _return(tmp_path, broken=True)  # LA 201, 2024-25 too, other bytes
    args = ("--child-store", str(store), "-f", "json")
    code, out, err = cli("cin", "load", str(first), *args, env=KEY)
    assert code == 0, err
    assert json.loads(out)["returns"][0]["status"] == "loaded"
    code, out, err = cli("cin", "load", str(first), *args, env=KEY)
    assert code == 0 and json.loads(out)["returns"][0]["status"] == "unchanged"
    code, out, err = cli("cin", "load", str(second), *args, env=KEY)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "broken.xml" in err and "LA 201, 2024-25" in err and "--replace" in err
    code, out, err = cli("cin", "load", str(second), "--replace", *args, env=KEY)
    assert code == 0, err
    assert json.loads(out)["returns"][0]["status"] == "replaced"
    code, out, _ = cli("cin", "load", str(first), str(second), "--replace", *args, env=KEY)
    assert code == 2 and "a second, different return for LA 201, 2024-25" in out + _
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    ids = con.sql("SELECT return_id FROM cin_return").fetchall()
    con.close()
    assert ids == [(json.loads(cli("cin", "load", str(second), *args, env=KEY)[1])["returns"][0]
                    ["return_id"],)]  # fmt: skip
