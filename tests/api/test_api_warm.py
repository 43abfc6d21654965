"""Warming: a replaced warehouse file is served only once warmed, the old one until
then (and its tag with it); the first file is warmed before the first request."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import httpx
import pytest
from test_api_warehouse_pool import _build, _value

from cscwatch.core.config import Settings
from cscwatch.models.risk_ranking import RiskModel, RiskRanking
from cscwatch.serve.api._warehouse import Snapshot, WarehousePool
from cscwatch.serve.web import warmup


def test_a_replaced_file_is_served_once_warmed(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _build(path, 1)
    release = threading.Event()
    warmed: list[int] = []

    def warm(snap: Snapshot) -> None:
        warmed.append(_value(snap.con))
        assert release.wait(30)

    pool = WarehousePool(path, warm=warm)
    with pool.snapshot() as first:
        old_tag = first.tag
        assert _value(first.con) == 1
    _build(path, 2)
    # the tag keeps naming the file served (asking for it starts the warm-up, so a
    # client that only ever gets 304s still sees the new file in time)
    assert pool.tag() == old_tag
    # while the new file warms, requests read the old one and the tag still names it
    for _ in range(3):
        with pool.snapshot() as snap:
            assert _value(snap.con) == 1 and snap.tag == old_tag
        assert pool.tag() == old_tag
    release.set()
    deadline = time.monotonic() + 30
    while pool.tag() == old_tag and time.monotonic() < deadline:
        time.sleep(0.01)
    with pool.snapshot() as snap:
        assert _value(snap.con) == 2 and snap.tag != old_tag
    assert warmed == [2]  # warmed once, on the new file
    pool.close()
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb"]


def test_a_failed_warm_up_still_serves_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _build(path, 1)

    def warm(snap: Snapshot) -> None:
        raise RuntimeError("boom")

    pool = WarehousePool(path, warm=warm)
    with pool.snapshot() as snap:
        assert _value(snap.con) == 1
    _build(path, 2)
    deadline = time.monotonic() + 30
    value = 1
    while value == 1 and time.monotonic() < deadline:
        with pool.snapshot() as snap:
            value = _value(snap.con)
        time.sleep(0.01)
    assert value == 2
    pool.close()


def test_serve_no_warm_builds_an_app_that_warms_nothing(
    warehouse: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cscwatch serve --no-warm`` (``create_cold_app`` with several workers): the app
    answers with nothing prepared at start-up, and warms no replaced file."""
    from _loop import run_coroutine

    from cscwatch.serve.app import create_cold_app

    monkeypatch.setenv("CSCWATCH_WAREHOUSE", str(warehouse.warehouse))
    app = create_cold_app()
    assert app.state.settings.warehouse == warehouse.warehouse
    assert app.state.pool._warm is None

    async def start_and_ask() -> int:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c,
        ):
            assert app.state.prepared_by_tag == {}
            return (await c.get("/api/authorities/352/profile")).status_code

    assert run_coroutine(start_and_ask()) == 200
    assert app.state.prepared_by_tag == {}


def test_no_page_is_cold_after_start(
    live_server: str, warehouse: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server warms the file before answering: the first profile (which shows the
    early-warning score, a model fit of about 10 s of CPU) and the first indicator page
    answer from what the warm-up made. The server runs in this process
    (tests/_live_server.py), so the test sees every fit and data-currency read it makes
    while answering: none. How fast a warmed page answers (under 1 s) is measured on a
    quiet machine by benchmarks/warehouse.py, not here."""
    done: list[str] = []

    def fit(self: RiskModel, as_at: date) -> RiskRanking:
        done.append(f"risk fit as at {as_at}")
        return real_fit(self, as_at)

    def currency(con: duckdb.DuckDBPyConnection) -> object:
        done.append("data currency read")
        return real_currency(con)

    real_fit, real_currency = RiskModel.fit, warmup.data_currency
    monkeypatch.setattr(RiskModel, "fit", fit)
    monkeypatch.setattr(warmup, "data_currency", currency)
    pages: dict[str, str] = {}
    with httpx.Client(base_url=live_server, timeout=600) as c:
        for url in ("/authorities/330", "/indicators/rereferrals_pct", "/"):
            resp = c.get(url)
            assert resp.status_code == 200, url
            assert done == [], f"{url}: {done}"
            pages[url] = resp.text
    # the profile shows the ranking the warm-up fitted
    assert "highest</strong> of" in pages["/authorities/330"]
    assert "early-warning score is not available" not in pages["/authorities/330"]


def test_a_date_without_a_ranking_leaves_the_warm_up_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where there is no ranking for the default date (too few inspections before it),
    the warm-up goes on without one; each profile says why, as a request would. Before,
    a refusal ended the warm-up (and the child's) with a traceback in the log."""
    from cscwatch.core.errors import InputError
    from cscwatch.serve.api import _risk

    def refuse(*args: object, **kwargs: object) -> RiskRanking:
        raise InputError("no ranking as at 2030-01-01: ...")

    monkeypatch.setattr(_risk, "ranking", refuse)
    settings = Settings()
    assert warmup._fit_ranking(None, settings, "tag") is None  # type: ignore[arg-type]
