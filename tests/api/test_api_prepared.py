"""Prepared answers (serve/api/_prepared.py) are the routes' answers, byte for byte.

The answers checked are the ones the session's live server prepared in its warm-up
(``create_app``'s lifespan, before its first answer), read from the running app: every
prepared profile is compared with the route's answer from an app that prepares
nothing; every prepared observations series with the records the route serialised
before (``ObservationOut`` pages) and a sample of them with the route's answer; the
lean path leaves every other request to the routes.
"""

from __future__ import annotations

import random

import duckdb
import httpx
import pytest
from _loop import run_coroutine
from fastapi import FastAPI
from pydantic import TypeAdapter

from _live_server import app_at
from cscwatch.core.config import Settings
from cscwatch.indicators.observations import query_observations
from cscwatch.serve.api._prepared import PreparedAnswers, remember
from cscwatch.serve.api._warehouse import file_tag
from cscwatch.serve.api.observations import ObservationOut
from cscwatch.serve.app import create_app


@pytest.fixture(scope="module")
def prepared(live_server: str) -> PreparedAnswers:
    """The answers the live server prepared for its file at start-up."""
    app = app_at(live_server)
    return app.state.prepared_by_tag[app.state.pool.tag()]


class _InProcess:
    """GETs answered in this process by an app that prepares nothing: every answer is
    assembled by its route."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, url: str) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                return await c.get(url)

        return run_coroutine(go())


@pytest.fixture(scope="module")
def plain(warehouse: Settings) -> _InProcess:
    return _InProcess(create_app(warehouse, response_cache_bytes=0, warm=False))


def test_every_prepared_profile_is_the_routes(prepared: PreparedAnswers, plain: _InProcess) -> None:
    assert len(prepared.profiles) >= 153
    for la, body in prepared.profiles.items():
        answer = plain.get(f"/api/authorities/{la}/profile")
        assert answer.status_code == 200
        assert answer.content == body, la


def test_every_prepared_series_is_the_records_the_route_gave(
    prepared: PreparedAnswers, warehouse: Settings
) -> None:
    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        rows = query_observations(con, geo_level="la")
    finally:
        con.close()
    before = TypeAdapter(list[ObservationOut])  # type: ignore[valid-type]
    groups: dict[tuple[str, str], list[ObservationOut]] = {}  # type: ignore[valid-type]
    for r in rows:
        groups.setdefault((r.indicator, r.geo_code), []).append(
            ObservationOut.model_validate(r, from_attributes=True)
        )
    assert groups.keys() == prepared.observations.keys()
    for key, records in groups.items():
        assert prepared.observations[key] == (len(records), before.dump_json(records)), key


@pytest.fixture(scope="module")
def lean(prepared: PreparedAnswers, warehouse: Settings) -> _InProcess:
    """An app holding the prepared answers of the warehouse file, as a warmed server
    does (``tests/api/test_api_warm.py`` checks the live server prepares them)."""
    app = create_app(warehouse, response_cache_bytes=0, warm=False)
    remember(app.state.prepared_by_tag, _retagged(prepared, app.state.pool.tag()))
    return _InProcess(app)


def test_the_lean_path_gives_the_routes_answers(
    prepared: PreparedAnswers, plain: _InProcess, lean: _InProcess
) -> None:
    """Bodies, ETags and headers of the lean path against the routes."""
    keys = random.Random(12).sample(sorted(prepared.observations), 60)
    urls = [f"/api/observations?indicator={i}&authority={la}" for i, la in keys]
    urls += ["/api/authorities/352/profile", "/api/authorities/201/profile"]
    for url in urls:
        mine, theirs = lean.get(url), plain.get(url)
        assert mine.status_code == theirs.status_code == 200
        assert mine.content == theirs.content, url
        assert mine.headers == theirs.headers, url


def _retagged(prepared: PreparedAnswers, tag: str) -> PreparedAnswers:
    return PreparedAnswers(
        tag, prepared.authorities, prepared.profiles, prepared.observations, prepared.seconds
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/authorities/Manchester/profile",
        "/api/authorities/352/profile?year=2024",
        "/api/authorities/352/profile?prices=real",
        "/api/observations?indicator=rereferrals_pct&authority=manchester",
        "/api/observations?indicator=rereferrals_pct&authority=352&limit=2",
        "/api/observations?indicator=rereferrals_pct&authority=352&format=csv",
        "/api/observations?indicator=rereferrals_pct&authority=352&authority=330",
        "/api/observations?indicator=nope&authority=352",
        "/api/observations?indicator=rereferrals_pct&authority=999",
        "/api/authorities/999/profile",
    ],
)
def test_other_requests_go_to_the_routes(url: str, plain: _InProcess, lean: _InProcess) -> None:
    mine, theirs = lean.get(url), plain.get(url)
    assert mine.status_code == theirs.status_code
    assert mine.content == theirs.content


def test_a_server_prepares_the_first_files_answers_once_up(
    live_server: str, warehouse: Settings, prepared: PreparedAnswers
) -> None:
    """Once up, the server holds its file's answers (and only those): prepared before
    its first answer, since it answers only after its lifespan's start-up. The tests
    above check that they are the routes' answers."""
    app = app_at(live_server)
    store = app.state.prepared_by_tag
    assert list(store) == [app.state.pool.tag()] == [file_tag(warehouse.warehouse)]
    assert prepared.tag == app.state.pool.tag()
    assert len(prepared.profiles) >= 153 and prepared.observations


def test_summary_and_dict(prepared: PreparedAnswers) -> None:
    assert prepared.to_dict()["profiles"] == len(prepared.profiles)
    assert "profiles and" in prepared.summary()
    assert prepared.authorities["352"].name == "Manchester"


def test_only_the_newest_tables_are_kept(prepared: PreparedAnswers) -> None:
    store: dict[str, PreparedAnswers] = {}
    for tag in ("a", "b", "c"):
        remember(store, _retagged(prepared, tag))
    assert list(store) == ["b", "c"]
