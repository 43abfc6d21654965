"""A replaced warehouse file is warmed in a child process (serve/web/warmup.py): the
server keeps serving the old file until the child's answers are read, then serves the
new file's, which are the routes' answers for it, and a client's ETag of the old file no
longer matches (a rebuild is picked up without a restart); a failing child falls back
to warming in the serving process; nothing is left behind."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import httpx
import pytest
from _loop import run_coroutine
from fastapi import FastAPI

from _live_server import app_at
from cscwatch.core.config import Settings
from cscwatch.serve.api import _risk
from cscwatch.serve.api._prepared import PreparedAnswers, prepare_answers, remember
from cscwatch.serve.api._warehouse import Snapshot, WarehousePool
from cscwatch.serve.app import create_app
from cscwatch.serve.web import warmup

_PROFILE = "/api/authorities/352/profile"
_SERIES = "/api/observations?indicator=cpp_at31_per_10k&authority=352"
#: an answer the rebuild does not change (Leeds' record)
_UNCHANGED = "/api/authorities/383"


def _rebuild(path: Path) -> None:
    """What a rebuild with new figures does: a changed copy renamed over the file
    (Hull's children subject to a plan, each year, one more per 10,000)."""
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.copyfile(path, tmp)
    con = duckdb.connect(str(tmp))
    con.execute(
        "UPDATE observation SET value = value + 1 "
        "WHERE geo_code = '352' AND indicator = 'cpp_at31_per_10k'"
    )
    con.execute(
        "UPDATE benchmark SET value = value + 1 "
        "WHERE la_code = '352' AND indicator = 'cpp_at31_per_10k'"
    )
    con.execute("CHECKPOINT")
    con.close()
    os.replace(tmp, path)


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


def _routes(settings: Settings, *urls: str) -> list[bytes]:
    """The answers of a server that prepares nothing (every answer from its route)."""

    async def go() -> list[bytes]:
        out = []
        async with _client(create_app(settings, response_cache_bytes=0, warm=False)) as c:
            for url in urls:
                r = await c.get(url)
                assert r.status_code == 200, url
                out.append(r.content)
        return out

    return run_coroutine(go())


async def _serve_through_a_rebuild(
    app: FastAPI, path: Path
) -> tuple[httpx.Response, bytes, httpx.Response, bytes]:
    """Answers before a rebuild, and after the server has swapped to the new file;
    checks that the old file is served until then."""
    async with app.router.lifespan_context(app), _client(app) as c:
        before = await c.get(_PROFILE)
        old_series = (await c.get(_SERIES)).content
        old_tag = before.headers["etag"]
        unchanged = await c.get(_UNCHANGED)
        held = {"if-none-match": unchanged.headers["etag"]}
        _rebuild(path)
        # the old file is served (and its tag given) until the new one is ready
        during = await c.get(_PROFILE)
        assert (during.content, during.headers["etag"]) == (before.content, old_tag)
        assert (await c.get(_SERIES)).content == old_series
        assert (await c.get(_UNCHANGED, headers=held)).status_code == 304
        # as long as the child may take before it is stopped and the file warmed here
        deadline = time.monotonic() + warmup.CHILD_TIMEOUT_S + 600
        after = await c.get(_PROFILE)
        while after.headers["etag"] == old_tag and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            after = await c.get(_PROFILE)
        assert after.headers["etag"] != old_tag
        new_series = (await c.get(_SERIES)).content
        # the new file invalidates every tag of the old one, an unchanged answer's too
        again = await c.get(_UNCHANGED, headers=held)
        assert again.status_code == 200, "a new warehouse file must invalidate the tag"
        assert again.headers["etag"] != unchanged.headers["etag"]
        assert again.content == unchanged.content
    return before, old_series, after, new_series


def _warmed_as_the_live_server(app: FastAPI, live_server: str) -> None:
    """Give ``app``, over a copy of the live server's file, what that server's warm-up
    made from the same bytes: its prepared answers and today's ranking (retagged and
    kept for the copy). The copy's start-up warm-up (the lifespan's) then finds them
    made and only renders a page; the rebuilt file, the one under test, is warmed from
    nothing in the child. Saves a second warm-up of the same bytes (a model fit and
    every profile, about 20 s of CPU)."""
    live = app_at(live_server)
    settings: Settings = app.state.settings
    tag = app.state.pool.tag()
    with live.state.pool.snapshot() as snap:
        made: PreparedAnswers = live.state.prepared_by_tag[snap.tag]
        as_at = _risk.default_as_at(snap.con, snap.tag)
        fitted = _risk.ranking(snap.con, live.state.settings, snap.tag, as_at)
    remember(
        app.state.prepared_by_tag,
        dataclasses.replace(made, tag=tag),
    )
    _risk.keep(settings, tag, as_at, fitted)


def test_a_replaced_file_is_prepared_in_a_child_then_served(
    tmp_path: Path, warehouse: Settings, live_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "w.duckdb"
    shutil.copyfile(warehouse.warehouse, path)
    settings = warehouse.model_copy(update={"warehouse": path})
    app = create_app(settings, response_cache_bytes=0)
    _warmed_as_the_live_server(app, live_server)
    caplog.set_level(logging.INFO, logger="cscwatch.serve")
    try:
        before, old_series, after, new_series = run_coroutine(_serve_through_a_rebuild(app, path))
    finally:
        # a failed check leaves the lifespan without its shutdown: the child would go on
        # warming (up to warmup.CHILD_TIMEOUT_S of CPU) after the test
        warmup.stop_children(app)
    tag = app.state.pool.tag()
    served: PreparedAnswers = app.state.prepared_by_tag[tag]
    assert app.state.warm_children == set()  # the child was waited for
    # the new file's answers, as its routes give them (and not the old file's)
    assert [after.content, new_series] == _routes(settings, _PROFILE, _SERIES)
    assert after.content != before.content and new_series != old_series
    # every answer the child prepared is the one this process prepares from the file
    con = duckdb.connect(str(path), read_only=True)
    try:
        # in one batch: the batches only let a serving process answer between them;
        # the answers are the same (the child makes them 40 authorities at a time)
        here = prepare_answers(con, tag, batch=1000)
    finally:
        con.close()
    assert dict(served.profiles) == dict(here.profiles)
    assert dict(served.observations) == dict(here.observations)
    assert dict(served.gzipped) == dict(here.gzipped)
    assert dict(served.authorities) == dict(here.authorities)
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"warehouse {tag}: " in m and "(in a child process)" in m for m in messages)
    assert not any("failed" in m for m in messages)
    # the private link the child opened the file by is gone, and no file was written
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb"]


def test_a_failing_child_falls_back_to_warming_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "w.duckdb"
    _tiny(path, 1)
    app = create_app(Settings(warehouse=path), response_cache_bytes=0, warm=False)
    warmed: list[str] = []
    monkeypatch.setattr(warmup, "_CHILD_CODE", "raise SystemExit(3)")
    monkeypatch.setattr(warmup, "warm_up", lambda app, snap: warmed.append(snap.tag))
    pool = WarehousePool(path)
    with pool.snapshot() as snap:
        warmup.warm_replaced(app, Snapshot(con=snap.con, tag=snap.tag, path=path))
    pool.close()
    assert warmed == [snap.tag]
    assert app.state.prepared_by_tag == {}
    assert app.state.warm_children == set()
    assert any("in a child process failed" in r.getMessage() for r in caplog.records)


def test_a_child_refuses_a_file_that_is_not_the_tags(warehouse: Settings) -> None:
    """An answer never mixes two files: the child checks the file it opens is the one
    the tag names."""
    app = create_app(warehouse, response_cache_bytes=0, warm=False)
    pool = WarehousePool(warehouse.warehouse)
    with pool.snapshot() as snap:
        other = Snapshot(con=snap.con, tag="0123456789abcdef", path=warehouse.warehouse)
        with pytest.raises(RuntimeError, match="child process"):
            warmup.warm_in_child(app, other)
    pool.close()
    assert app.state.prepared_by_tag == {}


def _tiny(path: Path, value: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    con = duckdb.connect(str(tmp))
    con.execute(f"CREATE TABLE t AS SELECT {value} AS v")
    con.close()
    os.replace(tmp, path)


def test_the_warm_function_gets_a_link_to_the_new_file(tmp_path: Path) -> None:
    """Another process can open the file being warmed by the snapshot's path."""
    path = tmp_path / "w.duckdb"
    _tiny(path, 1)
    seen: list[tuple[bool, int]] = []

    def warm(snap: Snapshot) -> None:
        assert snap.path is not None and snap.path != path
        other = duckdb.connect(str(snap.path), read_only=True)
        row = other.execute("SELECT v FROM t").fetchone()
        other.close()
        assert row is not None
        seen.append((os.path.samefile(snap.path, path), int(row[0])))

    pool = WarehousePool(path, warm=warm)
    with pool.snapshot() as first:
        assert first.path is None  # only the warm function is given a path
    _tiny(path, 2)
    assert pool.tag() == first.tag  # starts the warm-up
    deadline = time.monotonic() + 30
    while pool.tag() == first.tag and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == [(True, 2)]
    pool.close()
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb"]


def test_shutdown_stops_a_child_and_warms_nothing_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.duckdb"
    _tiny(path, 1)
    app = create_app(Settings(warehouse=path), response_cache_bytes=0, warm=False)
    warmed: list[str] = []
    monkeypatch.setattr(warmup, "_CHILD_CODE", "import time; time.sleep(60)")
    monkeypatch.setattr(warmup, "warm_up", lambda app, snap: warmed.append(snap.tag))
    started: list[subprocess.Popen[bytes]] = []

    class _Children(set[subprocess.Popen[bytes]]):
        def add(self, proc: subprocess.Popen[bytes]) -> None:
            started.append(proc)
            super().add(proc)

    app.state.warm_children = _Children()
    pool = WarehousePool(path)
    with pool.snapshot() as snap:
        stopper = threading.Timer(1.0, warmup.stop_children, (app,))
        stopper.start()
        warmup.warm_replaced(app, Snapshot(con=snap.con, tag=snap.tag, path=path))
    pool.close()
    # the child (asleep for 60 s) was killed, not waited for
    assert len(started) == 1 and started[0].returncode == -signal.SIGKILL
    assert warmed == []  # no fallback at shutdown
    assert app.state.warm_children == set()
