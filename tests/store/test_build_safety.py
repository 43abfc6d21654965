"""What a build leaves behind when it is interrupted, killed or cannot write."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cscwatch.core.config import Settings
from cscwatch.core.errors import BuildError
from cscwatch.store.warehouse import BuildContext, build_warehouse, sweep_stale_builds


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(proc.stdout)


def _one_table(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    con.execute("CREATE TABLE t AS SELECT 1 AS x")


def test_a_build_removes_what_killed_builds_left(tmp_path: Path) -> None:
    dead = _dead_pid()
    left = [
        tmp_path / f".w.duckdb.{dead}.tmp",
        tmp_path / f".w.duckdb.{dead}.tmp.wal",
    ]
    for p in left:
        p.write_bytes(b"x" * 4096)
    (tmp_path / f".w.duckdb.{dead}.tmp.tmp").mkdir()
    (tmp_path / f".w.duckdb.{dead}.tmp.tmp" / "spill.block").write_bytes(b"y")
    alive = tmp_path / f".w.duckdb.{os.getppid()}.tmp"  # a concurrent build's file
    alive.write_bytes(b"z")
    other = tmp_path / f".other.duckdb.{dead}.tmp"  # another warehouse's: not ours
    other.write_bytes(b"o")
    build_warehouse(Settings(warehouse=tmp_path / "w.duckdb"), [("t", _one_table)],
                    snapshot_dir=tmp_path)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["w.duckdb", alive.name, other.name]
    )
    assert sweep_stale_builds(tmp_path / "w.duckdb") == []


def test_ctrl_c_in_a_loader_removes_the_temporary_file(tmp_path: Path) -> None:
    def interrupted(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_warehouse(Settings(warehouse=tmp_path / "w.duckdb"), [("t", interrupted)],
                        snapshot_dir=tmp_path)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_duckdb_interrupt_is_a_ctrl_c_not_a_build_error(tmp_path: Path) -> None:
    def interrupted(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    with pytest.raises(KeyboardInterrupt):
        build_warehouse(Settings(warehouse=tmp_path / "w.duckdb"), [("t", interrupted)],
                        snapshot_dir=tmp_path)  # fmt: skip


def test_ctrl_c_during_build_is_one_line_and_exit_130(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "w.duckdb"
    target.write_bytes(b"the old warehouse")

    def interrupted(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("cscwatch.indicators.build.default_loaders", lambda: [("t", interrupted)])
    code, _, err = cli("build", "--warehouse", str(target))
    assert (code, err) == (130, "interrupted\n")
    assert target.read_bytes() == b"the old warehouse"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def test_a_read_only_disk_is_one_line(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "w.duckdb"))

    monkeypatch.setattr("cscwatch.indicators.build.default_loaders", lambda: [("t", _one_table)])
    monkeypatch.setattr("cscwatch.store.warehouse.os.replace", refuse)
    code, _, err = cli("build", "--warehouse", str(tmp_path / "w.duckdb"))
    assert code == 2
    assert (
        err
        == f"error: cannot replace the warehouse {tmp_path / 'w.duckdb'}: Read-only file system\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_is_a_build_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"cannot write in /proc"):
        build_warehouse(Settings(warehouse=Path("/proc/w.duckdb")), [("t", _one_table)],
                        snapshot_dir=tmp_path)  # fmt: skip


def test_the_built_line_names_the_whole_path_on_one_line(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the row table's title, a long path wrapped mid-name to the table's width.
    target = tmp_path / ("a-folder-with-a-long-name-" * 3) / "warehouse.duckdb"
    target.parent.mkdir()
    monkeypatch.setattr("cscwatch.indicators.build.default_loaders", lambda: [("t", _one_table)])
    code, out, err = cli("build", "--warehouse", str(target), "--quiet")
    assert code == 0, err
    built = [line for line in out.splitlines() if line.startswith("Built ")]
    assert len(built) == 1 and built[0].startswith(f"Built {target} in ")
    assert built[0].endswith(" s") and "Rows by table" in out
