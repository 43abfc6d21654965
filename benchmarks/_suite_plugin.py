"""A pytest plugin for benchmarks/suite.py: each test phase's wall and CPU seconds.

Loaded with ``-p _suite_plugin`` (``benchmarks/`` on ``PYTHONPATH``) in every test
process; each appends one JSON line per phase (setup, call, teardown) to the file named
by ``CSCWATCH_SUITE_TIMES``. CPU is the test process's own (``time.process_time``)
plus the children it reaped during the phase (subprocess CLI calls). The live server
runs in a thread of the test process, so its CPU counts in the test that makes it work;
chromium's (a child process reaped only at the end) is not in any test.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Generator
from typing import Any

import pytest

_OUT = os.environ.get("CSCWATCH_SUITE_TIMES")


def _children_cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def _record(item: pytest.Item, phase: str) -> Generator[None, Any, None]:
    wall0, cpu0, kids0 = time.perf_counter(), time.process_time(), _children_cpu()
    yield
    if _OUT is None:
        return
    row = {
        "nodeid": item.nodeid,
        "phase": phase,
        "wall": round(time.perf_counter() - wall0, 4),
        "cpu": round(time.process_time() - cpu0, 4),
        "child_cpu": round(_children_cpu() - kids0, 4),
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "end": round(time.time(), 3),  # when the phase ended: each process's busy span
    }
    with open(_OUT, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, None]:
    yield from _record(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    yield from _record(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, Any, None]:
    yield from _record(item, "teardown")


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session: pytest.Session) -> Generator[None, Any, None]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    yield
    if _OUT is None:
        return
    row = {
        "nodeid": "<collection>",
        "phase": "collection",
        "wall": round(time.perf_counter() - wall0, 4),
        "cpu": round(time.process_time() - cpu0, 4),
        "child_cpu": 0.0,
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
    }
    with open(_OUT, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
