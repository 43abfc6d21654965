"""``cscwatch cla validate``: exit codes, every format, rules not run, and raw IDs only
when asked for."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cscwatch.childlevel.pseudonym import SYNTHETIC_MARKER

Cli = Callable[..., tuple[int, str, str]]
KEY = {"CSCWATCH_PSEUDONYM_KEY": "cla-cli-test-key-0123456789"}
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
    "PL_POST,URN\n"
)


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CSCWATCH_PSEUDONYM_KEY", "CSCWATCH_PSEUDONYM_KEY_FILE", "CSCWATCH_CHILD_STORE"):
        monkeypatch.delenv(name, raising=False)


def _return(tmp_path: Path, *, broken: bool = False) -> Path:
    folder = tmp_path / ("broken" if broken else "clean")
    folder.mkdir(parents=True)
    ethnic = "wbri" if broken else "WBRI"
    (folder / "header.csv").write_text(
        HEADER + f"RAWCLA0001,F,01/01/2012,WBRI,,,\nRAWCLA0002,M,01/01/2013,{ethnic},,,\n"
    )
    (folder / "episodes.csv").write_text(
        EPISODES
        + "RAWCLA0001,01/05/2024,S,C2,N1,U1,PR1,,,,,,SC1\n"
        + "RAWCLA0002,01/05/2024,S,C2,N1,U1,PR1,,,,,,SC1\n"
    )
    return folder


def _args(folder: Path, *more: str) -> list[str]:
    # Only rule 103, so rules added later cannot change what these returns give.
    return ["cla", "validate", str(folder), "-r", "2024-25", "--no-postcodes", "--rule", "103",
            *more]  # fmt: skip


def test_a_return_with_findings_exits_1_in_every_format(cli: Cli, tmp_path: Path) -> None:
    folder = _return(tmp_path, broken=True)
    code, out, err = cli(*_args(folder), env=KEY)
    assert code == 1, err
    assert "103" in out and "Rules not run" in out and "RAWCLA" not in out
    code, out, _ = cli(*_args(folder, "--format", "json"), env=KEY)
    payload = json.loads(out)
    assert code == 1 and payload["ruleset"] == "2024-25"
    (finding,) = [f for f in payload["findings"] if f["rule"] == "103"]
    assert (finding["table"], finding["row_no"], finding["value"]) == ("header", 3, "ETHNIC=wbri")
    assert len(finding["child_id"]) == 64 and "la_child_id" not in finding
    assert payload["not_run"] and all(n["reason"] for n in payload["not_run"])
    code, out, _ = cli(*_args(folder, "--format", "csv"), env=KEY)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1 and "RAWCLA" not in out
    assert {r["status"] for r in rows} == {"finding", "not run"}
    assert all(r["reason"] for r in rows if r["status"] == "not run")


def test_a_clean_return_exits_0(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli(*_args(_return(tmp_path)), env=KEY)
    assert code == 0, err
    assert "0 findings" in out and "Rules not run" in out and "not asked for (--rule)" in out


def test_la_child_ids_only_with_the_flag_in_csv_and_excel(cli: Cli, tmp_path: Path) -> None:
    folder = _return(tmp_path, broken=True)
    code, out, _ = cli(*_args(folder, "--format", "csv", "--show-la-child-id"), env=KEY)
    (row,) = [r for r in csv.DictReader(io.StringIO(out)) if r["rule"] == "103"]
    assert code == 1 and row["la_child_id"] == "RAWCLA0002"
    book = tmp_path / "findings.xlsx"
    code, _, err = cli(*_args(folder, "--format", "xlsx", "--out", str(book)), env=KEY)
    assert code == 1 and str(book) in err
    wb = load_workbook(book)
    assert wb.sheetnames == ["summary", "findings", "not_run"]
    cells = [c for ws in wb for row in ws.iter_rows(values_only=True) for c in row]
    assert "RAWCLA0002" not in cells and "103" in cells
    assert wb["not_run"].max_row > 1
    code, _, _ = cli(
        *_args(folder, "--format", "xlsx", "--out", str(book), "--show-la-child-id"), env=KEY
    )
    header = [c.value for c in load_workbook(book)["findings"][1]]
    assert code == 1 and "la_child_id" in header
    ids = [r[header.index("la_child_id")] for r in load_workbook(book)["findings"].iter_rows(
        min_row=2, values_only=True)]  # fmt: skip
    assert ids == ["RAWCLA0002"]


def test_a_synthetic_return_needs_no_key(cli: Cli, tmp_path: Path) -> None:
    folder = _return(tmp_path)
    code, _, err = cli(*_args(folder))
    assert code == 2 and "no pseudonym key" in err
    (folder / "CSCWATCH_SYNTHETIC").write_text(SYNTHETIC_MARKER)
    code, _, err = cli(*_args(folder))
    assert code == 0, err


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--ruleset", "2017-18"], "no SSDA903 ruleset for 2017-18"),
        (["--period", "soon"], "not a year"),
        (["--format", "xlsx"], "give --out FILE.xlsx"),
        (["--format", "json", "--out", "/no/such/folder/x.json"], "does not exist"),
        (["--format", "xlsx", "--out", "x.csv"], "must end in .xlsx"),
        (["--format", "yaml"], "--format 'yaml'"),
        (["--rule", "9999"], "rule 9999 is not in DfE's 2024-25 catalogue"),
    ],
)
def test_bad_options_one_line_exit_2(
    cli: Cli, tmp_path: Path, args: list[str], expect: str
) -> None:
    folder = _return(tmp_path)
    code, _, err = cli("cla", "validate", str(folder), "--ruleset", "2024-25", *args, env=KEY)
    assert code == 2 and expect in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_files_one_line_exit_2(cli: Cli, tmp_path: Path) -> None:
    folder = _return(tmp_path)
    (folder / "episodes.csv").write_text(EPISODES + "RAWCLA0001,01/05/2024,S\n")
    code, _, err = cli(*_args(folder), env=KEY)
    assert code == 2 and err.count("\n") == 1
    assert "episodes.csv, row 2, column 'LS': 3 values where the header has 13" in err
    assert "RAWCLA" not in err
    hostile = tmp_path / "r.xml"
    hostile.write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><EXPSSDA903/>')
    code, _, err = cli(*_args(hostile), env=KEY)
    assert code == 2 and "refused: the file declares a DOCTYPE" in err
    code, _, err = cli(*_args(tmp_path / "missing"), env=KEY)
    assert code == 2 and "no such file or directory" in err
    old = _return(tmp_path / "old")
    (old / "episodes.csv").write_text(EPISODES + "RAWCLA0001,01/05/2017,S,C2,N1,U1,PR1,,,,,,\n")
    code, _, err = cli(*_args(old), env=KEY)
    assert code == 2 and "its episodes fit 2017-18" in err and "--period" in err
    code, _, err = cli(*_args(old, "--period", "2017-18"), env=KEY)
    assert code == 0, err


def test_bad_authority_or_provider_list_one_line_exit_2(cli: Cli, tmp_path: Path) -> None:
    folder = _return(tmp_path)
    code, _, err = cli(*_args(folder, "--la-code", "Atlantis"), env=KEY)
    assert code == 2 and "unknown authority 'Atlantis'" in err and err.count("\n") == 1
    lists = tmp_path / "lists.csv"
    lists.write_text("URN,Name\nSC1,x\n")
    code, _, err = cli(*_args(folder, "--providers", str(lists)), env=KEY)
    assert code == 2 and "not one of Ofsted's provider lists" in err and "lists.csv" in err
    code, out, err = cli(*_args(folder, "--la-code", "318"), env=KEY)
    assert code == 0, err
    assert "placing authority: Richmond upon Thames (318, E09000027)" in out
