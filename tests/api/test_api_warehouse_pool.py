"""The web process's warehouse pool: a replaced file is picked up, readers keep theirs."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb
import pytest

from cscwatch.core.errors import WarehouseError
from cscwatch.serve.api._warehouse import WarehousePool


def _build(path: Path, value: int) -> None:
    """What `cscwatch build` does: write a new file, rename it over the old one."""
    tmp = path.with_name(f".{path.name}.tmp")
    con = duckdb.connect(str(tmp))
    con.execute(f"CREATE TABLE t AS SELECT {value} AS v")
    con.execute("CHECKPOINT")
    con.close()
    os.replace(tmp, path)


def _value(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT v FROM t").fetchone()
    assert row is not None
    return int(row[0])


def test_a_new_file_is_seen_while_old_readers_keep_their_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _build(path, 1)
    pool = WarehousePool(path)
    with pool.snapshot() as old:
        assert _value(old.con) == 1
        _build(path, 2)
        # a reader that started before the rebuild still sees the old file
        assert _value(old.con) == 1
        with pool.snapshot() as new:
            assert _value(new.con) == 2
            assert new.tag != old.tag
        assert _value(old.con) == 1
    with pool.snapshot() as later:
        assert _value(later.con) == 2
    pool.close()
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb"]  # no private links left


def test_plain_connect_would_keep_the_old_file(tmp_path: Path) -> None:
    """Why the pool uses private links: DuckDB caches one instance per path."""
    path = tmp_path / "w.duckdb"
    _build(path, 1)
    first = duckdb.connect(str(path), read_only=True)
    _build(path, 2)
    second = duckdb.connect(str(path), read_only=True)
    assert _value(second) == 1  # the cached instance of the replaced file
    first.close()
    second.close()


def test_concurrent_readers_during_rebuilds(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _build(path, 0)
    pool = WarehousePool(path)
    errors: list[BaseException] = []
    seen: set[int] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                with pool.snapshot() as snap:
                    a = _value(snap.con)
                    b = _value(snap.con)
                    assert a == b  # one consistent file for the whole block
                    seen.add(a)
            except BaseException as exc:  # collected for the assertion below
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for t in threads:
        t.start()
    for v in range(1, 6):
        _build(path, v)
    stop.set()
    for t in threads:
        t.join(30)
    with pool.snapshot() as last:
        assert _value(last.con) == 5
    pool.close()
    assert errors == []
    assert seen <= {0, 1, 2, 3, 4, 5}


def test_missing_warehouse_is_a_warehouse_error(tmp_path: Path) -> None:
    pool = WarehousePool(tmp_path / "none.duckdb")
    assert pool.tag() == "none"
    with pytest.raises(WarehouseError, match="cscwatch build"), pool.snapshot():
        pass
