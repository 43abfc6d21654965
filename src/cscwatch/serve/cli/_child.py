"""Options shared by the child-level commands (``cin`` and ``cla``): declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cscwatch.core.config import Settings, parse_memory_limit

__all__ = ["MemoryLimitOpt", "child_settings"]

#: ``--memory-limit``: DuckDB's memory limit for the command (``Settings.memory_limit``).
MemoryLimitOpt = Annotated[
    str | None,
    typer.Option(
        "--memory-limit",
        help="Most memory the database may use, e.g. 4GB; past it work spills to disk "
        "(default: CSCWATCH_MEMORY_LIMIT, else 80% of the machine's memory).",
    ),
]


def child_settings(child_store: Path | None = None, memory_limit: str | None = None) -> Settings:
    """Settings with the command's ``--child-store`` and ``--memory-limit`` over the
    environment's; a bad size is an ``InputError`` (one line, exit code 2)."""
    given: dict[str, Any] = {}
    if child_store is not None:
        given["child_store"] = child_store
    if memory_limit is not None:
        given["memory_limit"] = parse_memory_limit(memory_limit)
    return Settings(**given)
