"""The independent audits (``scripts/audit_*.py``, README "Checking the figures
independently") refuse an input they cannot use in one line with exit code 2, never a
traceback; and the Ofsted audit calls a difference unsettled, not the overview's error
nor a defect, when the report that would settle it cannot be read."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import duckdb
import openpyxl
import pytest

from cscwatch.core.config import Settings, repo_root

AUDITS = ("audit_published", "audit_ofsted", "audit_benchmarking")


def _load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The script as a module (it and its ``sys.path`` entry for ``_audit_inputs`` gone
    after the test)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location(name, repo_root() / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # its dataclasses look themselves up
    spec.loader.exec_module(module)
    return module


def _run(
    module: ModuleType, name: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """What the script's ``__main__`` gives: its exit code and standard error."""
    code = module.run(module.main, argv, f"{name}.py")
    return code, capsys.readouterr().err


@pytest.mark.parametrize("name", AUDITS)
def test_a_warehouse_it_cannot_use_is_one_line_and_exit_2(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = _load(name, monkeypatch)
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database\n", encoding="utf-8")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    for path, says in (
        (tmp_path / "absent.duckdb", "no warehouse there"),
        (text, "not a DuckDB file that can be read"),
        (empty, "not a cscwatch warehouse (no table "),
    ):
        code, err = _run(audit, name, ["--warehouse", str(path)], capsys)
        assert code == 2, err
        assert err.startswith(f"{name}.py: {path}: ") and says in err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_the_published_audit_names_a_missing_folder_of_raw_files(
    warehouse: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    audit = _load("audit_published", monkeypatch)
    wh = str(warehouse.warehouse)
    code, err = _run(
        audit, "audit_published", ["--warehouse", wh, "--data", str(tmp_path / "x")], capsys
    )
    assert code == 2 and "no folder of raw published files there" in err
    code, err = _run(audit, "audit_published", ["--warehouse", wh, "--data", str(tmp_path)], capsys)
    assert code == 2 and err.startswith(f"audit_published.py: {tmp_path}: ")
    assert "is missing there" in err and err.count("\n") == 1


def test_the_ofsted_audit_names_an_overview_or_reports_folder_it_cannot_read(
    warehouse: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    audit = _load("audit_ofsted", monkeypatch)
    wh = ["--warehouse", str(warehouse.warehouse)]
    absent = tmp_path / "absent.xlsx"
    code, err = _run(audit, "audit_ofsted", [*wh, "--overview", str(absent)], capsys)
    assert code == 2 and err == f"audit_ofsted.py: {absent}: no ILACS overview workbook there\n"
    text = tmp_path / "text.xlsx"
    text.write_text("not a workbook", encoding="utf-8")
    code, err = _run(audit, "audit_ofsted", [*wh, "--overview", str(text)], capsys)
    assert code == 2 and "not an Excel workbook that can be read" in err
    # a readable overview (its header only), and reports to read in a folder that is not
    # there: refused before any difference could be called settled without them
    header_only = tmp_path / "overview.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["la_code", "local_authority", "publication_date"])
    book.save(header_only)
    monkeypatch.setattr(shutil, "which", lambda cmd: f"/usr/bin/{cmd}")
    folder = tmp_path / "no-reports"
    argv = [*wh, "--overview", str(header_only), "--reports", str(folder)]
    code, err = _run(audit, "audit_ofsted", argv, capsys)
    assert code == 2 and err == f"audit_ofsted.py: {folder}: no folder of Ofsted reports there\n"


def test_a_difference_whose_report_cannot_be_read_is_unsettled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit = _load("audit_ofsted", monkeypatch)
    # the overview's row 125 against the warehouse's reading of South Tyneside's report
    held = audit.Row(
        1, "80557-south-tyneside/2023-05-10_childrens-services-inspection.pdf", "393",
        "ilacs", "standard", date(2022, 11, 28), date(2023, 2, 15), date(2023, 5, 10),
        "report", {"overall_effectiveness": "good"}, {},
    )  # fmt: skip
    overview = [
        {
            "row": 125, "la": "393", "name": "south tyneside", "start": date(2022, 11, 28),
            "end": date(2022, 12, 9), "pub": date(2023, 5, 10), "kind": "standard",
            "grades": {"overall_effectiveness": "good"}, "combined_but_leavers_graded": False,
        }
    ]  # fmt: skip
    for reports, why in (
        (None, "not settled: pdftotext is not installed to read the report"),
        (tmp_path, f"not settled: the report is not in {tmp_path}"),
    ):
        tally = audit.Tally()
        audit.check_overview(tally, [held], overview, reports)
        (diff,) = tally.diffs
        assert diff[1] == "unsettled" and why in diff[2] and "end_date" in diff[2]
    # an inspection known only from the overview has no report: a difference is ours
    tally = audit.Tally()
    audit.check_overview(tally, [dataclasses.replace(held, provenance="overview")], overview, None)
    assert [d[1] for d in tally.diffs] == ["defect"]
