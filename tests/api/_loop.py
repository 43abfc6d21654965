"""Run a coroutine to completion from a synchronous test."""

from __future__ import annotations

from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` in a thread of its own.

    A browser test earlier in the same test process leaves Playwright's event loop
    running in the main thread, where ``asyncio.run`` then refuses to start; which files
    share a process depends on the suite's order, so every test uses this.
    """
    import asyncio

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
