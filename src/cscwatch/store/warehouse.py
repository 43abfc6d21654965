"""The DuckDB warehouse: connections and the transactional, idempotent build.

A build writes a new database file beside the target and renames it over the old
one only when every loader has succeeded, so a failed build leaves the previous
warehouse intact and a reader that opened the old file keeps a consistent snapshot
(on POSIX the open file survives the rename).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cscwatch.core.config import Settings
from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import BuildError, ConfigError, CscwatchError, WarehouseError
from cscwatch.core.progress import ProgressCallback, report

__all__ = [
    "WAREHOUSE_LAYOUT",
    "BuildContext",
    "BuildReport",
    "Loader",
    "build_warehouse",
    "check_layout",
    "connect",
    "layout_digest",
    "open_warehouse",
    "sweep_stale_builds",
]

#: The layout of the tables this version of cscwatch builds and reads. A build records it
#: (table ``warehouse_layout``); opening a file built with another layout is refused in
#: one line asking for a rebuild, where it used to fail inside a query (a server answered
#: 500: "Table "i" does not have a column named "provenance""). Raise it whenever a loader
#: adds, drops, renames or retypes a column: ``tests/store/test_warehouse_layout.py``
#: records the tables' :func:`layout_digest` beside this number and fails, naming the new
#: digest, when the tables change and the number does not.
WAREHOUSE_LAYOUT = 2
_LAYOUT_TABLE = "warehouse_layout"


@dataclass
class BuildContext:
    """What a loader needs: the settings, the snapshot folder, and a place to log rows.

    ``provisional_dirs`` are folders of an authority's own measures CSVs
    (:mod:`cscwatch.indicators.provisional`); ``warnings`` collects what a loader skipped
    and the build report shows; ``previous_rows`` are the data rows of each source file
    (by file name) that the warehouse being replaced recorded, empty on a first build.
    """

    settings: Settings
    snapshot_dir: Path
    row_counts: dict[str, int] = field(default_factory=dict)
    provisional_dirs: tuple[Path, ...] = ()
    warnings: list[str] = field(default_factory=list)
    previous_rows: dict[str, int] = field(default_factory=dict)


#: A loader fills its tables inside the open build connection. It raises a
#: ``SourceFileError`` (file, row, column) on bad input; anything it raises aborts
#: the build and leaves the old warehouse untouched.
Loader = Callable[[duckdb.DuckDBPyConnection, BuildContext], None]


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    path: Path
    seconds: float
    row_counts: dict[str, int]
    warnings: tuple[str, ...] = ()


def build_warehouse(
    settings: Settings,
    loaders: list[tuple[str, Loader]],
    *,
    snapshot_dir: Path | None = None,
    provisional_dirs: Sequence[Path] | None = None,
    progress: ProgressCallback | None = None,
) -> BuildReport:
    """Build the warehouse from the snapshot with ``loaders``, atomically.

    Parameters
    ----------
    settings : Settings
        Where the warehouse goes (``settings.warehouse``).
    loaders : list of (name, Loader)
        Run in order inside one build database.
    snapshot_dir : Path, optional
        Overrides ``settings.snapshot_dir``.
    provisional_dirs : sequence of Path, optional
        Folders of an authority's own measures CSVs to load beside the published
        figures; overrides ``settings.provisional_dir`` (none by default).
    progress : ProgressCallback, optional
        Told as each loader finishes (stage "building", loaders done of all).

    Raises
    ------
    BuildError
        Wrapping the first failure, with the loader's name; the previous warehouse is
        left as it was.
    """
    target = Path(settings.warehouse)
    _refuse_child_store(target, settings)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(
            f"cannot create the warehouse folder {target.parent}: {_why(exc)}"
        ) from None
    if target.exists() and not target.is_file():
        raise BuildError(f"warehouse {target} is not a regular file")
    sweep_stale_builds(target)
    tmp = target.with_name(f"{_TMP_PREFIX.format(name=target.name)}{os.getpid()}.tmp")
    _remove_build_files(tmp)
    if provisional_dirs is None:
        provisional_dirs = [settings.provisional_dir] if settings.provisional_dir else []
    ctx = BuildContext(
        settings=settings,
        snapshot_dir=Path(snapshot_dir or settings.snapshot_dir),
        provisional_dirs=tuple(Path(p) for p in provisional_dirs),
        previous_rows=_previous_rows(target),
    )
    if not ctx.snapshot_dir.is_dir():
        raise BuildError(f"snapshot folder {ctx.snapshot_dir} does not exist")
    started = time.perf_counter()
    try:
        con = _open_build_file(tmp)
        try:
            con.execute("SET threads TO 2")
            report(progress, "building", 0, len(loaders))
            for done, (name, loader) in enumerate(loaders, start=1):
                try:
                    loader(con, ctx)
                except duckdb.InterruptException:
                    raise KeyboardInterrupt from None  # Ctrl-C inside a query
                except CscwatchError as exc:
                    raise BuildError(f"build failed in {name}: {exc}") from exc
                except duckdb.Error as exc:
                    raise BuildError(f"build failed in {name}: {_one_line(exc)}") from exc
                report(progress, "building", done, len(loaders))
            _write_layout(con)
            try:
                con.execute("CHECKPOINT")
            except duckdb.Error as exc:
                raise BuildError(f"cannot write the warehouse: {_one_line(exc)}") from exc
        finally:
            con.close()
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise BuildError(f"cannot replace the warehouse {target}: {_why(exc)}") from None
    finally:
        _remove_build_files(tmp)
    return BuildReport(
        target, time.perf_counter() - started, dict(ctx.row_counts), tuple(ctx.warnings)
    )


def _refuse_child_store(target: Path, settings: Settings) -> None:
    # A build replaces its target: never let that target be a child store (its
    # returns live in ``cin_return``, see cscwatch.childlevel.cin.store).
    from cscwatch.core.database import has_table, same_file

    if settings.child_store is not None and same_file(target, settings.child_store):
        raise ConfigError(
            f"warehouse {target} is the child store file; a build would replace it and "
            "lose every loaded return: choose another CSCWATCH_WAREHOUSE"
        )
    if has_table(target, "cin_return"):
        raise ConfigError(
            f"warehouse {target} holds child-level CIN census returns (a child store); a "
            "build would replace it and lose them: choose another CSCWATCH_WAREHOUSE"
        )


#: The name of a build's own database file beside the target: ``.<target>.<pid>.tmp``.
_TMP_PREFIX = ".{name}."
_TMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]+)\.tmp(?:\.wal|\.tmp)?$")


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _one_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def _open_build_file(tmp: Path) -> duckdb.DuckDBPyConnection:
    """A new database file for the build, or a one-line error (unwritable folder,
    read-only disk)."""
    try:
        with tmp.open("xb"):
            pass
        tmp.unlink()
    except OSError as exc:
        raise BuildError(f"cannot write in {tmp.parent}: {_why(exc)}") from None
    try:
        return connect_duckdb(tmp)
    except duckdb.Error as exc:
        raise BuildError(f"cannot create {tmp}: {_one_line(exc)}") from exc


def _remove_build_files(tmp: Path) -> None:
    """Delete a build's database file, its write-ahead log and DuckDB's spill folder."""
    for path in (tmp, Path(f"{tmp}.wal")):
        with contextlib.suppress(OSError):  # e.g. EROFS on a read-only disk
            path.unlink(missing_ok=True)
    spill = Path(f"{tmp}.tmp")
    if spill.is_dir():
        shutil.rmtree(spill, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def sweep_stale_builds(target: Path) -> list[Path]:
    """Delete what killed builds of ``target`` left behind; return what was deleted.

    A build writes ``.<name>.<pid>.tmp`` (and DuckDB its ``.wal`` and ``.tmp`` spill
    folder) beside the warehouse and removes them when it ends, even on an error or
    Ctrl-C; only ``kill -9`` or a power cut leaves them. Files of a process that is
    still running (a concurrent build) are left alone.
    """
    removed: list[Path] = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for path in entries:
        m = _TMP_PATTERN.match(path.name)
        if m is None or m["name"] != target.name or _alive(int(m["pid"])):
            continue
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _previous_rows(target: Path) -> dict[str, int]:
    """Data rows per source file as the warehouse at ``target`` recorded them."""
    if not target.is_file():
        return {}
    try:
        con = connect_duckdb(target, read_only=True)
    except duckdb.Error:
        return {}  # unreadable or locked: nothing to compare with
    try:
        rows = con.execute("SELECT file, rows FROM source WHERE rows IS NOT NULL").fetchall()
    except duckdb.Error:
        return {}  # an older warehouse without the source table
    finally:
        con.close()
    return {str(f): int(n) for f, n in rows}


def _write_layout(con: duckdb.DuckDBPyConnection) -> None:
    from cscwatch import __version__

    con.execute(
        f"CREATE TABLE {_LAYOUT_TABLE} (layout INTEGER NOT NULL, built_by VARCHAR NOT NULL)"
    )
    con.execute(
        f"INSERT INTO {_LAYOUT_TABLE} VALUES (?, ?)",
        [WAREHOUSE_LAYOUT, f"cscwatch {__version__}"],
    )


def check_layout(con: duckdb.DuckDBPyConnection, path: Path | str) -> None:
    """Refuse a warehouse file built with another layout than this version reads.

    Raises
    ------
    WarehouseError
        One line naming the file, the layout found (or none, from before layouts were
        recorded) and the command that rebuilds it.
    """
    try:
        row = con.execute(f"SELECT layout, built_by FROM {_LAYOUT_TABLE}").fetchone()
    except duckdb.CatalogException:
        row = None
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot read warehouse {path}: {_one_line(exc)}") from exc
    if row is not None and row[0] == WAREHOUSE_LAYOUT:
        return
    found = (
        f"layout {row[0]} ({row[1]})"
        if row is not None
        else "an older layout (built before layouts were recorded)"
    )
    raise WarehouseError(
        f"warehouse {path} has {found}; this cscwatch reads layout {WAREHOUSE_LAYOUT}: "
        "run 'cscwatch build' to rebuild it from the snapshot"
    )


def layout_digest(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of every table's columns and their types, in order (the tests compare it
    with the one recorded for :data:`WAREHOUSE_LAYOUT`)."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    text = "\n".join("\t".join(str(v) for v in r) for r in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def connect(settings: Settings, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (read-only by default).

    Raises
    ------
    WarehouseError
        If the file does not exist (run ``cscwatch build``), cannot be opened, or was
        built with another layout (:func:`check_layout`).
    """
    path = Path(settings.warehouse)
    if not path.exists():
        raise WarehouseError(f"no warehouse at {path}; run 'cscwatch build' first")
    if not path.is_file():  # a FIFO would block the open forever
        raise WarehouseError(f"warehouse {path} is not a regular file")
    try:
        con = connect_duckdb(path, read_only=read_only)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open warehouse {path}: {_one_line(exc)}") from exc
    try:
        check_layout(con, path)
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def open_warehouse(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context manager around :func:`connect` (read-only) that always closes."""
    con = connect(settings)
    try:
        yield con
    finally:
        con.close()
