"""``cin validate --show-la-child-id`` in every format, nothing stored keeping the IDs, and
the CIN-specific mistakes that must be one line, exit 2, nothing changed on disk."""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "childlevel"))
from cin_xml import clean_return, render

Cli = Callable[..., tuple[int, str, str]]
KEY = {"CSCWATCH_PSEUDONYM_KEY": "cli-test-key-0123456789"}
RAW = ["OWNIDENT0000001", "OWNIDENT0000002", "OWNIDENT0000003"]


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("CSCWATCH_PSEUDONYM_KEY", "CSCWATCH_PSEUDONYM_KEY_FILE", "CSCWATCH_CHILD_STORE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CSCWATCH_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))


def _return(folder: Path, name: str = "r.xml", *, reference_date: str = "2025-03-31") -> Path:
    kids = clean_return()
    for k, raw in zip(kids, RAW, strict=True):
        k["LAchildID"] = raw
    kids[1]["episodes"][0]["CINreferralDate"] = None  # rule 8600 on child 2
    kids[2]["episodes"][0]["cpps"][0]["CPPendDate"] = "2024-05-22"  # 8840 on child 3
    path = folder / name
    path.write_bytes(render(kids, reference_date=reference_date))
    return path


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_show_la_child_id_in_every_format(cli: Cli, tmp_path: Path) -> None:
    path = _return(tmp_path)
    flag = "--show-la-child-id"
    code, out, _ = cli("cin", "validate", str(path), flag, env=KEY)
    assert code == 1 and RAW[1] in out and RAW[2] in out and "2024-05-22" in out
    code, out, _ = cli("cin", "validate", str(path), flag, "-f", "json", env=KEY)
    issues = json.loads(out)["issues"]
    assert {i["la_child_id"] for i in issues if i["child_seq"]} == {RAW[1], RAW[2]}
    assert next(i for i in issues if i["rule"] == "8840")["value"] == "2024-05-22"
    code, out, _ = cli("cin", "validate", str(path), str(path), flag, "-f", "csv", env=KEY)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["la_child_id"] for r in rows if r["child_seq"]} == {RAW[1], RAW[2]}
    xlsx = tmp_path / "findings.xlsx"
    code, out, err = cli("cin", "validate", str(path), flag, "-f", "xlsx", "-o", str(xlsx), env=KEY)
    assert code == 1 and str(xlsx) in err
    from openpyxl import load_workbook

    book = load_workbook(xlsx, read_only=True)
    try:
        values = list(book["issues"].iter_rows(values_only=True))
    finally:
        book.close()
    header = list(values[0])
    assert "la_child_id" in header and "value" in header
    ids = {r[header.index("la_child_id")] for r in values[1:]}
    assert {RAW[1], RAW[2]} <= ids


def test_without_the_flag_no_id_leaves_the_machine_readable_formats(
    cli: Cli, tmp_path: Path
) -> None:
    path = _return(tmp_path)
    for fmt in ("json", "csv"):
        _, out, _ = cli("cin", "validate", str(path), "-f", fmt, env=KEY)
        assert not any(raw in out for raw in RAW)
    xlsx = tmp_path / "plain.xlsx"
    cli("cin", "validate", str(path), "-f", "xlsx", "-o", str(xlsx), env=KEY)
    with zipfile.ZipFile(xlsx) as archive:  # the sheets are compressed XML inside
        text = b"".join(archive.read(n) for n in archive.namelist())
    assert not any(raw.encode() in text for raw in RAW)
    _, out, _ = cli("cin", "validate", str(path), "--hide-la-child-id", env=KEY)
    assert not any(raw in out for raw in RAW)


def test_nothing_stored_keeps_the_ids(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "store" / "children.duckdb"
    store.parent.mkdir()
    path = _return(tmp_path)
    code, _, err = cli("cin", "load", str(path), "--child-store", str(store), env=KEY)
    assert code == 0, err
    out_dir = tmp_path / "check-out"
    cli("cin", "validate", str(path), "--show-la-child-id", "-f", "json", env=KEY)
    cli("cin", "check", str(path), "--show-la-child-id", "-o", str(out_dir), env=KEY)
    code, out, _ = cli("cin", "validate", "--child-store", str(store), "-f", "json", env=KEY)
    assert code == 1 and not any(raw in out for raw in RAW)
    written = _tree_bytes(tmp_path / "store") | _tree_bytes(out_dir)
    assert written and len(written) >= 2
    for name, data in written.items():
        assert not any(raw.encode() in data for raw in RAW), name
    # Bytes may be compressed: read every text column of the store too.
    con = duckdb.connect(str(store), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'VARCHAR'"
        ).fetchall()
        for table, column in columns:
            hits = con.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}" IN (SELECT unnest(?))', [RAW]
            ).fetchall()[0][0]
            assert hits == 0, (table, column)
    finally:
        con.close()
    code, _, err = cli(
        "cin", "validate", "--child-store", str(store), "--show-la-child-id", env=KEY
    )
    assert code == 2 and "keeps no LAchildID" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["-f", "xlsx"],  # no --out
        ["-o", "x.xlsx"],  # --out without xlsx
        ["-f", "xlsx", "-o", "x.csv"],
        ["-f", "xlsx", "-o", "/nonexistent-dir/x.xlsx"],
        ["-r", "2026-27"],
        ["-r", "2025-26"],  # the file's ReferenceDate is in 2024-25
    ],
)
def test_validate_mistakes_are_one_line_exit_2(cli: Cli, tmp_path: Path, args: list[str]) -> None:
    path = _return(tmp_path)
    code, out, err = cli("cin", "validate", str(path), *args, env=KEY)
    assert code == 2, out + err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_out_writes_csv_and_json_as_standard_output_would(
    cli: Cli, tmp_path: Path, fmt: str
) -> None:
    path = _return(tmp_path)
    target = tmp_path / f"findings.{fmt}"
    code, out, err = cli("cin", "validate", str(path), "-f", fmt, "-o", str(target), env=KEY)
    assert code == 1 and out == "" and str(target) in err
    code, printed, _ = cli("cin", "validate", str(path), "-f", fmt, env=KEY)
    assert code == 1 and target.read_text(encoding="utf-8") == printed
    assert "8840" in printed


def test_child_store_at_the_warehouse_path_is_refused_and_nothing_changes(
    cli: Cli, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE observation AS SELECT 1 AS x")
    con.close()
    before = warehouse.read_bytes()
    path = _return(tmp_path)
    for command in (["load", str(path)], ["measures"], ["validate"], ["journeys"]):
        code, _, err = cli("cin", *command, "--child-store", str(warehouse), env=KEY)
        assert code == 2 and "warehouse" in err and len(err.strip().splitlines()) == 1
    assert warehouse.read_bytes() == before
    assert not Path(str(warehouse) + ".wal").exists()


def test_build_refuses_a_warehouse_that_is_a_child_store(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "children.duckdb"
    code, _, err = cli("cin", "load", str(_return(tmp_path)), "--child-store", str(store), env=KEY)
    assert code == 0, err
    before = store.read_bytes()
    code, _, err = cli("build", env={**KEY, "CSCWATCH_WAREHOUSE": str(store)})
    assert code == 2 and "child store" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(
        "build", env={"CSCWATCH_WAREHOUSE": str(store), "CSCWATCH_CHILD_STORE": str(store)}
    )
    assert code == 2 and "child store" in err
    assert store.read_bytes() == before


def test_a_malformed_reference_date_is_refused_at_load_and_the_store_stays_usable(
    cli: Cli, tmp_path: Path
) -> None:
    store = tmp_path / "children.duckdb"
    good = _return(tmp_path, "good.xml")
    code, _, err = cli("cin", "load", str(good), "--child-store", str(store), env=KEY)
    assert code == 0, err
    before = store.read_bytes()
    for bad_date in ("31/03/2025", "2025-02-30", ""):
        bad = _return(tmp_path, "bad.xml", reference_date=bad_date)
        code, _, err = cli("cin", "load", str(bad), "--child-store", str(store), env=KEY)
        assert code == 2 and "ReferenceDate" in err and "bad.xml" in err
        assert len(err.strip().splitlines()) == 1
        code, _, err = cli("cin", "measures", str(bad), env=KEY)
        assert code == 2 and "ReferenceDate" in err
    assert store.read_bytes() == before
    code, out, err = cli("cin", "measures", "--child-store", str(store), "-f", "json", env=KEY)
    assert code == 0, err
    assert json.loads(out)


def test_measures_of_the_same_file_twice_count_it_once(cli: Cli, tmp_path: Path) -> None:
    path = _return(tmp_path)
    code, once, err = cli("cin", "measures", str(path), "-f", "csv", env=KEY)
    assert code == 0, err
    copy = tmp_path / "copy.xml"
    copy.write_bytes(path.read_bytes())
    code, twice, err = cli("cin", "measures", str(path), str(path), str(copy), "-f", "csv", env=KEY)
    assert code == 0, err
    assert twice == once
