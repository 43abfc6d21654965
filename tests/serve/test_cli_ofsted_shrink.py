"""`cscwatch ofsted extract` never silently shrinks the judgements table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cscwatch.ingest.ofsted_reports import JUDGEMENTS_FILE, count_inspections
from cscwatch.ingest.snapshot import verify_snapshot


@pytest.fixture()
def one_authority(shared_data: Path, tmp_path: Path) -> Path:
    reports = tmp_path / "reports"
    shutil.copytree(shared_data / "ofsted" / "reports" / "80473-hartlepool", reports / "h")
    return reports


def test_a_smaller_table_is_refused_unless_allowed(
    cli, one_authority: Path, snapshot_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "judgements.csv"
    shutil.copy(snapshot_dir / JUDGEMENTS_FILE, out)
    before = out.read_bytes()
    had = count_inspections(out)
    assert had > 400  # measured on the bundled table: one row per report file
    env = {"CSCWATCH_CACHE_DIR": str(tmp_path / "cache")}
    args = ("ofsted", "extract", "--reports", str(one_authority), "--out", str(out))
    code, _, err = cli(*args, "--workers", "1", env=env)
    assert code == 2 and err.count("\n") == 1
    assert f"holds {had} inspections and the new table" in err and "--allow-shrink" in err
    assert out.read_bytes() == before
    code, _, err = cli(*args, "--workers", "1", "--allow-shrink", env=env)
    assert code == 0, err
    assert 0 < count_inspections(out) < had


def test_writing_the_snapshot_table_updates_its_checksum(
    cli, one_authority: Path, snapshot_dir: Path, tmp_path: Path
) -> None:
    snap = tmp_path / "snap"
    snap.mkdir()
    for p in snapshot_dir.iterdir():
        (snap / p.name).symlink_to(p)
    env = {"CSCWATCH_CACHE_DIR": str(tmp_path / "cache"), "CSCWATCH_SNAPSHOT_DIR": str(snap)}
    code, _, err = cli(
        "ofsted", "extract", "--reports", str(one_authority), "--workers", "1",
        "--allow-shrink", env=env,
    )  # fmt: skip
    assert code == 0, err
    assert not (snap / JUDGEMENTS_FILE).is_symlink()
    assert (snapshot_dir / JUDGEMENTS_FILE).stat().st_size > (snap / JUDGEMENTS_FILE).stat().st_size
    verify_snapshot(snap)  # the manifest names the new file's checksum


def test_an_empty_folder_writes_nothing(cli, tmp_path: Path) -> None:
    out = tmp_path / "j.csv"
    out.write_text("keep me\n")
    (tmp_path / "reports").mkdir()
    code, _, err = cli(
        "ofsted", "extract", "--reports", str(tmp_path / "reports"), "--out", str(out)
    )
    assert (
        code == 2
        and err == f"error: no report PDFs in {tmp_path / 'reports'}; nothing was written\n"
    )
    assert out.read_text() == "keep me\n"
