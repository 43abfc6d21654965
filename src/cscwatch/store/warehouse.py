"""The DuckDB warehouse: connections and the transactional, idempotent build.

A build writes a new database file beside the target and renames it over the old
one only when every loader has succeeded, so a failed build leaves the previous
warehouse intact and a reader that opened the old file keeps a consistent snapshot
(on POSIX the open file survives the rename).
"""

from __future__ import annotations

import os
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
    "BuildContext",
    "BuildReport",
    "Loader",
    "build_warehouse",
    "connect",
    "open_warehouse",
]


@dataclass
class BuildContext:
    """What a loader needs: the settings, the snapshot folder, and a place to log rows.

    ``provisional_dirs`` are folders of an authority's own measures CSVs
    (:mod:`cscwatch.indicators.provisional`); ``warnings`` collects what a loader skipped
    and the build report shows.
    """

    settings: Settings
    snapshot_dir: Path
    row_counts: dict[str, int] = field(default_factory=dict)
    provisional_dirs: tuple[Path, ...] = ()
    warnings: list[str] = field(default_factory=list)


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
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    if provisional_dirs is None:
        provisional_dirs = [settings.provisional_dir] if settings.provisional_dir else []
    ctx = BuildContext(
        settings=settings,
        snapshot_dir=Path(snapshot_dir or settings.snapshot_dir),
        provisional_dirs=tuple(Path(p) for p in provisional_dirs),
    )
    if not ctx.snapshot_dir.is_dir():
        raise BuildError(f"snapshot folder {ctx.snapshot_dir} does not exist")
    started = time.perf_counter()
    try:
        con = connect_duckdb(tmp)
        try:
            con.execute("SET threads TO 2")
            report(progress, "building", 0, len(loaders))
            for done, (name, loader) in enumerate(loaders, start=1):
                try:
                    loader(con, ctx)
                except CscwatchError as exc:
                    raise BuildError(f"build failed in {name}: {exc}") from exc
                except duckdb.Error as exc:
                    raise BuildError(f"build failed in {name}: {exc}") from exc
                report(progress, "building", done, len(loaders))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
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


def connect(settings: Settings, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (read-only by default).

    Raises
    ------
    WarehouseError
        If the file does not exist (run ``cscwatch build``) or cannot be opened.
    """
    path = Path(settings.warehouse)
    if not path.exists():
        raise WarehouseError(f"no warehouse at {path}; run 'cscwatch build' first")
    try:
        return connect_duckdb(path, read_only=read_only)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc


@contextmanager
def open_warehouse(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context manager around :func:`connect` (read-only) that always closes."""
    con = connect(settings)
    try:
        yield con
    finally:
        con.close()
