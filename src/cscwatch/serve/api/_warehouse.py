"""Read-only warehouse connections for the web process, one snapshot per file identity.

``cscwatch build`` writes a new database file and renames it over the old one. A
reader must (a) keep reading the file it started with until its request ends, and
(b) see the new file on its next request. DuckDB keeps one database instance per
path in a process-wide cache, so a plain ``duckdb.connect(path)`` made while any
connection to the old file is still open returns the *old* instance: under steady
load the new file would never be seen. So each file identity (device, inode, mtime,
size) is opened once through a private hard link with a unique name, which pins that
inode for DuckDB and is unlinked straight away; every request takes a cursor on the
current identity's database and the old database is closed when its last cursor is
released. Where the warehouse folder is not writable it falls back to the plain path
(the new file is then picked up once the old one has no readers).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import WarehouseError

__all__ = ["Snapshot", "WarehousePool"]

_LINK_PREFIX = ".cscwatch-reader-"


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


@dataclass
class _Generation:
    """One opened warehouse file and how many requests are reading it."""

    identity: tuple[int, int, int, int]
    con: duckdb.DuckDBPyConnection
    tag: str
    readers: int = 0
    retired: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Snapshot:
    """A request's view of the warehouse: a cursor and the file identity's tag."""

    con: duckdb.DuckDBPyConnection
    tag: str


class WarehousePool:
    """Hands out read-only cursors on the current warehouse file.

    Parameters
    ----------
    path : Path
        The warehouse file (``Settings.warehouse``).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._current: _Generation | None = None

    def tag(self) -> str:
        """A short hash of the warehouse file's identity, or ``"none"`` if missing."""
        try:
            return self._tag_for(_identity(os.stat(self.path)))
        except OSError:
            return "none"

    @staticmethod
    def _tag_for(identity: tuple[int, int, int, int]) -> str:
        return hashlib.blake2b(repr(identity).encode(), digest_size=8).hexdigest()

    def _open(self) -> _Generation:
        """Open the file now at ``self.path`` through a private hard link."""
        link = self.path.with_name(f"{_LINK_PREFIX}{secrets.token_hex(8)}.duckdb")
        target = self.path
        try:
            os.link(self.path, link)
            target = link
        except FileNotFoundError:
            raise WarehouseError(
                f"no warehouse at {self.path}; run 'cscwatch build' first"
            ) from None
        except OSError:
            pass  # read-only folder or no hard links: plain path (see module docstring)
        try:
            identity = _identity(os.stat(target))
            con = connect_duckdb(target, read_only=True)
        except FileNotFoundError:
            raise WarehouseError(
                f"no warehouse at {self.path}; run 'cscwatch build' first"
            ) from None
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open warehouse {self.path}: {exc}") from exc
        finally:
            if target == link:
                link.unlink(missing_ok=True)
        return _Generation(identity=identity, con=con, tag=self._tag_for(identity))

    def _current_generation(self) -> _Generation:
        try:
            identity = _identity(os.stat(self.path))
        except FileNotFoundError:
            raise WarehouseError(
                f"no warehouse at {self.path}; run 'cscwatch build' first"
            ) from None
        with self._lock:
            cur = self._current
            if cur is None or cur.identity != identity:
                new = self._open()
                if cur is not None:
                    self._retire(cur)
                self._current = cur = new
            with cur.lock:
                cur.readers += 1
            return cur

    @staticmethod
    def _retire(gen: _Generation) -> None:
        with gen.lock:
            gen.retired = True
            if gen.readers == 0:
                gen.con.close()

    @staticmethod
    def _release(gen: _Generation) -> None:
        with gen.lock:
            gen.readers -= 1
            if gen.retired and gen.readers == 0:
                gen.con.close()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """A cursor on the current warehouse, consistent for the block's duration.

        Raises
        ------
        WarehouseError
            If there is no warehouse or it cannot be opened.
        """
        gen = self._current_generation()
        try:
            cursor = gen.con.cursor()
        except duckdb.Error as exc:
            self._release(gen)
            raise WarehouseError(f"cannot read warehouse {self.path}: {exc}") from exc
        try:
            yield Snapshot(con=cursor, tag=gen.tag)
        finally:
            cursor.close()
            self._release(gen)

    def close(self) -> None:
        """Close the current database (at application shutdown)."""
        with self._lock:
            if self._current is not None:
                self._retire(self._current)
                self._current = None

    def sweep_links(self) -> None:
        """Remove private links a crashed process may have left (made over a minute ago)."""
        import time

        folder = self.path.parent
        if not folder.is_dir():
            return
        cutoff = time.time() - 60
        for p in folder.glob(f"{_LINK_PREFIX}*.duckdb"):
            with contextlib.suppress(OSError):
                if p.stat().st_ctime < cutoff:  # making a link sets ctime
                    p.unlink()
