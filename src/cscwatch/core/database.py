"""The one place DuckDB connections are opened.

Every connection the package makes (the warehouse, a child store, an in-memory
database for validation or measures) comes from :func:`connect_duckdb`, so settings
that must hold everywhere are set once: DuckDB's own terminal progress bar is off (it
printed "~92.5 hours remaining" over a cold build and would mix into JSON output);
long work reports through :mod:`cscwatch.core.progress` instead.

The setting is per connection (DuckDB refuses it as a global or start-up option), so
it is ``SET`` on each one opened here; a ``cursor()`` of a connection starts from
DuckDB's default, which is off.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

__all__ = ["SETTINGS", "connect_duckdb"]

#: Statements run on every connection as it is opened.
SETTINGS: tuple[str, ...] = ("SET enable_progress_bar = false",)


def connect_duckdb(
    database: str | Path = ":memory:", *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB database (in memory by default) with the package's settings.

    Parameters
    ----------
    database : str or Path
        A file, or ``":memory:"``.
    read_only : bool
        Open a file read-only.

    Raises
    ------
    duckdb.Error
        As :func:`duckdb.connect` (callers turn it into their own error).
    """
    con = duckdb.connect(str(database), read_only=read_only)
    try:
        for statement in SETTINGS:
            con.execute(statement)
    except BaseException:
        con.close()
        raise
    return con
