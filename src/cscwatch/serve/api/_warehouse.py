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

A pool given a ``warm`` function opens a replaced file in a background thread, runs
``warm`` on it (the app fits and caches there what the first pages need) and only then
serves it: until the swap, requests keep reading the old file and :meth:`tag` keeps
naming it, so no request waits for the new file's first fit and no answer from the old
file is cached under the new file's tag. While ``warm`` runs, the new file also has a
private link of its own (:attr:`Snapshot.path`), so that another process can open the
very same file (``serve/web/warmup.py`` prepares its answers in a child process); the
link is removed when ``warm`` returns.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import WarehouseError

__all__ = ["Snapshot", "WarehousePool", "file_tag"]

_LINK_PREFIX = ".cscwatch-reader-"
_log = logging.getLogger("cscwatch.serve")


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def file_tag(path: Path) -> str:
    """The tag :meth:`WarehousePool.tag` gives the file now at ``path``.

    Raises
    ------
    OSError
        If there is no file at ``path``.
    """
    return WarehousePool._tag_for(_identity(os.stat(path)))


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
    """A request's view of the warehouse: a cursor and the file identity's tag.

    ``path`` is set only for the snapshot a ``warm`` function is given: a private link
    to the same file, which another process can open while ``warm`` runs.
    """

    con: duckdb.DuckDBPyConnection
    tag: str
    path: Path | None = None


class WarehousePool:
    """Hands out read-only cursors on the current warehouse file.

    Parameters
    ----------
    path : Path
        The warehouse file (``Settings.warehouse``).
    warm : callable, optional
        Run on a :class:`Snapshot` of each replaced file before it is served (see the
        module docstring); the application warms the first file itself, at start-up.
    """

    def __init__(
        self,
        path: Path,
        warm: Callable[[Snapshot], None] | None = None,
        check: Callable[[duckdb.DuckDBPyConnection, Path], None] | None = None,
    ) -> None:
        self.path = Path(path)
        #: Raises WarehouseError for a file this version cannot read (the app passes
        #: the store's layout check); the file is then not served.
        self._check = check
        self._lock = threading.Lock()
        self._current: _Generation | None = None
        self._warm = warm
        #: The identity of a replaced file being warmed, while the old one is served.
        self._warming: tuple[int, int, int, int] | None = None
        self._closed = False

    def tag(self) -> str:
        """A short hash of the identity of the file requests are served from (the
        warehouse file's, or the old file's while a new one is warmed), or ``"none"``
        if there is no warehouse."""
        try:
            identity = _identity(os.stat(self.path))
        except OSError:
            return "none"
        with self._lock:
            cur = self._current
            if cur is not None and cur.identity != identity and self._warm is not None:
                self._start_warming(identity)
                return cur.tag
        return self._tag_for(identity)

    @staticmethod
    def _tag_for(identity: tuple[int, int, int, int]) -> str:
        return hashlib.blake2b(repr(identity).encode(), digest_size=8).hexdigest()

    def _open(self, *, keep_link: bool = False) -> tuple[_Generation, Path | None]:
        """Open the file now at ``self.path`` through a private hard link; with
        ``keep_link`` the link is left for the caller to remove (and returned)."""
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
            if self._check is not None:
                try:
                    self._check(con, self.path)
                except BaseException:
                    con.close()
                    raise
        except FileNotFoundError:
            raise WarehouseError(
                f"no warehouse at {self.path}; run 'cscwatch build' first"
            ) from None
        except duckdb.Error as exc:
            if target == link:
                link.unlink(missing_ok=True)
            raise WarehouseError(f"cannot open warehouse {self.path}: {exc}") from exc
        except BaseException:
            if target == link:
                link.unlink(missing_ok=True)
            raise
        kept = None
        if target == link:
            if keep_link:
                kept = link
            else:
                link.unlink(missing_ok=True)
        return _Generation(identity=identity, con=con, tag=self._tag_for(identity)), kept

    def _current_generation(self) -> _Generation:
        try:
            identity = _identity(os.stat(self.path))
        except FileNotFoundError:
            raise WarehouseError(
                f"no warehouse at {self.path}; run 'cscwatch build' first"
            ) from None
        with self._lock:
            cur = self._current
            if cur is not None and cur.identity != identity and self._warm is not None:
                self._start_warming(identity)  # the old file is served meanwhile
            elif cur is None or cur.identity != identity:
                new, _ = self._open()
                self._closed = False  # opened again after close()
                if cur is not None:
                    self._retire(cur)
                self._current = cur = new
            with cur.lock:
                cur.readers += 1
            return cur

    def _start_warming(self, identity: tuple[int, int, int, int]) -> None:
        """Warm the new file in the background unless that is under way (lock held)."""
        if self._warming is None:
            self._warming = identity
            threading.Thread(target=self._warm_and_swap, name="cscwatch-warm", daemon=True).start()

    def _warm_and_swap(self) -> None:
        """Open the file now at the path, warm it, then serve it instead of the old one."""
        assert self._warm is not None
        new = link = None
        try:
            new, link = self._open(keep_link=True)
            cursor = new.con.cursor()
            try:
                self._warm(Snapshot(con=cursor, tag=new.tag, path=link))
            finally:
                cursor.close()
        except Exception:  # a failed warm-up must not keep the new file from being served
            _log.exception("warming the new warehouse file failed; serving it cold")
        finally:
            if link is not None:
                link.unlink(missing_ok=True)
            with self._lock:
                self._warming = None
                if new is not None:
                    if self._closed:  # shut down meanwhile: nothing is served any more
                        self._retire(new)
                    else:
                        if self._current is not None:
                            self._retire(self._current)
                        self._current = new

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
        """Close the current database (at application shutdown); a file still being
        warmed is closed when its warm-up ends."""
        with self._lock:
            self._closed = True
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
