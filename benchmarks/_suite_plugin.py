"""A pytest plugin for benchmarks/suite.py: each test phase's wall and CPU seconds.

Loaded with ``-p _suite_plugin`` (``benchmarks/`` on ``PYTHONPATH``) in every test
process; each appends one JSON line per phase (setup, call, teardown) to the file named
by ``CSCWATCH_SUITE_TIMES``. CPU is the test process's own (``time.process_time``)
plus the children it reaped during the phase (subprocess CLI calls). The live server
runs in a thread of the test process, so its CPU counts in the test that makes it work.

A session-scoped fixture's setup and teardown are recorded apart, as the pseudo-test
``<session fixture NAME>``, and taken out of the test whose phase ran them: its setup
(the shared warehouse build, the live server's warm-up) is paid by whichever test of the
process needs it first, and its teardown runs in the process's last test, where every
child reaped then lands (chromium and its playwright driver, reaped when the ``browser``
fixture closes them, were once counted in the 0.3 s teardown of
``tests/test_suite_setup.py``, the last file of a process: 39.5 CPU-s).
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


_Times = tuple[float, float, float]


def _now() -> _Times:
    return time.perf_counter(), time.process_time(), _children_cpu()


#: within a phase: what session fixtures took (recorded apart, taken out of the phase)
_moved = [0.0, 0.0, 0.0]
#: within a teardown: when the last fixture finished tearing down
_checkpoint: list[_Times] = []
_depth = [0]


def _write(nodeid: str, phase: str, took: list[float] | tuple[float, ...]) -> None:
    if _OUT is None:
        return
    row = {
        "nodeid": nodeid,
        "phase": phase,
        "wall": round(took[0], 4),
        "cpu": round(took[1], 4),
        "child_cpu": round(took[2], 4),
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "end": round(time.time(), 3),  # when the phase ended: each process's busy span
    }
    with open(_OUT, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


def _since(start: _Times) -> list[float]:
    return [b - a for a, b in zip(start, _now(), strict=True)]


def _record(item: pytest.Item, phase: str) -> Generator[None, Any, None]:
    _moved[:] = [0.0, 0.0, 0.0]
    start = _now()
    if phase == "teardown":
        _checkpoint[:] = [start]
    try:
        yield
    finally:
        _checkpoint.clear()
    took = [t - m for t, m in zip(_since(start), _moved, strict=True)]
    _write(item.nodeid, phase, took)


def _session_fixture(fixturedef: pytest.FixtureDef[Any]) -> str | None:
    return f"<session fixture {fixturedef.argname}>" if fixturedef.scope == "session" else None


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Generator[None, Any, None]:
    name = _session_fixture(fixturedef)
    if name is None or _depth[0]:  # one inside another: counted in the outer one
        yield
        return
    start = _now()
    _depth[0] += 1
    try:
        yield
    finally:
        _depth[0] -= 1
    took = _since(start)
    _moved[:] = [m + t for m, t in zip(_moved, took, strict=True)]
    _write(name, "setup", took)


@pytest.hookimpl
def pytest_fixture_post_finalizer(fixturedef: pytest.FixtureDef[Any]) -> None:
    # called as each fixture's teardown ends, in turn: the time since the one before
    # is this fixture's
    if not _checkpoint:
        return
    start, _checkpoint[0] = _checkpoint[0], _now()
    name = _session_fixture(fixturedef)
    if name is None:
        return
    took = [b - a for a, b in zip(start, _checkpoint[0], strict=True)]
    _moved[:] = [m + t for m, t in zip(_moved, took, strict=True)]
    _write(name, "teardown", took)


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
