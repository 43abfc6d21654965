"""Progress bars for long commands: drawn on a terminal, silent everywhere else.

A command that can run for more than a couple of seconds opens :func:`progress_bar`
and passes the callback it yields to the library (which reports through
:mod:`cscwatch.core.progress` and never draws anything). The bar goes to stderr and is
drawn only when both stdout and stderr are terminals and ``--quiet`` was not given, so
JSON or CSV on stdout, a pipe, a log file or a test never sees it. Each stage the
library reports gets its own line (stages may nest); a stage with no known total
shows a spinner until another stage reports.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from cscwatch.core.progress import ProgressCallback

__all__ = ["QuietOpt", "progress_bar", "shows_progress"]

#: The ``--quiet`` option every long command takes.
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar (none is drawn off a terminal).")
]


def shows_progress(quiet: bool) -> bool:
    """True when a bar may be drawn: not ``--quiet`` and stdout and stderr are terminals."""
    if quiet:
        return False
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


@contextmanager
def progress_bar(quiet: bool = False) -> Iterator[ProgressCallback | None]:
    """Yield a progress callback drawing on stderr, or ``None`` when none should be drawn.

    Parameters
    ----------
    quiet : bool
        The command's ``--quiet``.
    """
    if not shows_progress(quiet):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    )
    tasks: dict[str, TaskID] = {}
    spinning: list[TaskID] = []
    lock = threading.Lock()  # the library may report from worker threads

    def callback(stage: str, done: int, total: int | None) -> None:
        with lock:
            if stage not in tasks:
                for task in spinning:  # a stage of unknown length ends when another starts
                    bar.update(task, total=1, completed=1)
                spinning.clear()
                tasks[stage] = bar.add_task(stage, total=total)
            if total is None:
                spinning.append(tasks[stage])
            bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield callback
