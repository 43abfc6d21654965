"""How long work reports its progress: an optional callback, drawn only by ``serve``.

Library functions that can run for more than a couple of seconds take an optional
``progress`` argument and call it as they go; they never draw anything themselves and
behave identically without it. The CLI passes a callback that draws a rich progress
bar on a terminal (:mod:`cscwatch.serve.cli._progress`); tests pass a list's
``append``-like recorder.

A call ``progress(stage, done, total)`` says that ``done`` of ``total`` units of
``stage`` are finished (``total`` is ``None`` when unknown). ``stage`` is a short
phrase for people ("reading returns", "building"); calls for one stage come in order,
``done`` never decreasing. Stages may nest (the methods pages report pages, and the
risk page its backtests); a stage whose total is unknown is over once another stage
reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

__all__ = ["ProgressCallback", "report", "tick"]

#: ``progress(stage, done, total)``; see the module docstring.
ProgressCallback = Callable[[str, int, "int | None"], None]

T = TypeVar("T")


def report(progress: ProgressCallback | None, stage: str, done: int, total: int | None) -> None:
    """Call ``progress`` when there is one (so callers need no ``if``)."""
    if progress is not None:
        progress(stage, done, total)


def tick(
    items: Iterable[T], progress: ProgressCallback | None, stage: str, total: int | None = None
) -> Iterator[T]:
    """Yield ``items``, reporting each one finished as the next is asked for.

    ``total`` defaults to ``len(items)`` when it has one.
    """
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    report(progress, stage, 0, total)
    for done, item in enumerate(items, start=1):
        yield item
        report(progress, stage, done, total)
