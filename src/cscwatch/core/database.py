"""The one place DuckDB connections are opened.

Every connection the package makes (the warehouse, a child store, an in-memory
database for validation or measures) comes from :func:`connect_duckdb`, so settings
that must hold everywhere are set once: DuckDB's own terminal progress bar is off (it
printed "~92.5 hours remaining" over a cold build and would mix into JSON output);
long work reports through :mod:`cscwatch.core.progress` instead.

The setting is per connection (DuckDB refuses it as a global or start-up option), so
it is ``SET`` on each one opened here; a ``cursor()`` of a connection starts from
DuckDB's default, which is off.

Child-level work can be given a memory limit (``memory_limit``, see
``Settings.memory_limit``): DuckDB then writes what does not fit to ``temp_directory``
and carries on, so joins, windows and sorts over every child of many national years
run in bounded memory. Both are settings of the database, so they hold for its cursors.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

__all__ = ["SETTINGS", "connect_duckdb", "has_table", "limit_memory", "same_file"]

#: Statements run on every connection as it is opened.
SETTINGS: tuple[str, ...] = ("SET enable_progress_bar = false",)


def connect_duckdb(
    database: str | Path = ":memory:",
    *,
    read_only: bool = False,
    memory_limit: str | None = None,
    temp_directory: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB database (in memory by default) with the package's settings.

    Parameters
    ----------
    database : str or Path
        A file, or ``":memory:"``.
    read_only : bool
        Open a file read-only.
    memory_limit, temp_directory : optional
        As :func:`limit_memory` (DuckDB's defaults when both are None).

    Raises
    ------
    duckdb.Error
        As :func:`duckdb.connect` (callers turn it into their own error).
    """
    con = duckdb.connect(str(database), read_only=read_only)
    try:
        for statement in SETTINGS:
            con.execute(statement)
        if memory_limit is not None or temp_directory is not None:
            limit_memory(con, memory_limit, temp_directory)
    except BaseException:
        con.close()
        raise
    return con


def limit_memory(
    con: duckdb.DuckDBPyConnection, memory_limit: str | None, temp_directory: Path | None = None
) -> None:
    """Cap DuckDB's memory at ``memory_limit`` (e.g. ``"4GB"``), spilling to disk past it.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection (the setting holds for its database and cursors).
    memory_limit : str or None
        A size DuckDB reads (:func:`cscwatch.core.config.parse_memory_limit` checks one);
        None keeps DuckDB's default (80% of the machine's memory).
    temp_directory : Path, optional
        Where intermediate results that do not fit go; by default DuckDB's own
        (``<database>.tmp`` beside a file).
    """
    if memory_limit is not None:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if temp_directory is not None:
        # DuckDB makes the folder itself when it first spills (and removes it after).
        Path(temp_directory).parent.mkdir(parents=True, exist_ok=True)
        quoted = Path(temp_directory).as_posix().replace("'", "''")
        con.execute(f"SET temp_directory = '{quoted}'")


def same_file(a: Path | str, b: Path | str) -> bool:
    """True when ``a`` and ``b`` name the same file (after links), existing or not."""
    pa_, pb = Path(a), Path(b)
    try:
        if pa_.exists() and pb.exists():
            return os.path.samefile(pa_, pb)
    except OSError:
        pass
    return pa_.resolve() == pb.resolve()


def has_table(path: Path | str, table: str) -> bool:
    """True when ``path`` is a DuckDB file holding a table named ``table``.

    A file that is not DuckDB, or is locked by another process, is not known to hold it.
    """
    p = Path(path)
    if not p.is_file():
        return False
    try:
        con = duckdb.connect(str(p), read_only=True)
    except duckdb.Error:
        return False
    try:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchall()[0][0]
    finally:
        con.close()
    return bool(found)
