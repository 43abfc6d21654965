"""The inputs of the three audit scripts (``audit_published.py``, ``audit_ofsted.py``,
``audit_benchmarking.py``): the warehouse and the raw files they recompute from.

An input that is missing or cannot be read is the user's mistake, so it is said in one
line on standard error with exit code 2, never as a traceback: the rule every cscwatch
command keeps. Like the audits, this module imports nothing of cscwatch.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

__all__ = ["BadInput", "default_warehouse", "need", "open_warehouse", "run"]


class BadInput(Exception):
    """An input the audit cannot use; :func:`run` says it in one line, exit code 2."""


def default_warehouse() -> Path:
    """Where ``make demo`` builds the warehouse (``CSCWATCH_WAREHOUSE`` when set)."""
    env = os.environ.get("CSCWATCH_WAREHOUSE")
    return Path(env) if env else Path.home() / ".local" / "share" / "cscwatch" / "cscwatch.duckdb"


def open_warehouse(path: Path, tables: Sequence[str]) -> duckdb.DuckDBPyConnection:
    """``path`` opened read-only, once it is known to be a DuckDB file holding ``tables``.

    Raises
    ------
    BadInput
        No file there, a file DuckDB cannot open, or one without those tables.
    """
    if not path.is_file():
        raise BadInput(f"{path}: no warehouse there (build one with `make demo`, or --warehouse)")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BadInput(f"{path}: not a DuckDB file that can be read ({first})") from None
    listed = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    held = {r[0] for r in listed}
    missing = [t for t in tables if t not in held]
    if missing:
        con.close()
        raise BadInput(
            f"{path}: not a cscwatch warehouse (no table {', '.join(missing)}); "
            "build one with `make demo`"
        )
    return con


def need(path: Path, what: str, *, folder: bool = False) -> Path:
    """``path`` when it is an existing file (a folder with ``folder``), else :class:`BadInput`
    naming ``what`` was looked for there."""
    if not (path.is_dir() if folder else path.is_file()):
        raise BadInput(f"{path}: no {what} there")
    return path


def run(main: Callable[[list[str] | None], int], argv: list[str] | None, name: str) -> int:
    """``main(argv)``'s exit code; a :class:`BadInput` is printed as ``NAME: message`` on
    standard error and gives 2."""
    try:
        return main(argv)
    except BadInput as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
