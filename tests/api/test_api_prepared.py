"""Prepared answers (serve/api/_prepared.py) are the routes' answers, byte for byte.

The answers checked are the ones the session's live server prepared in its warm-up
(``create_app``'s lifespan, before its first answer), read from the running app: every
prepared profile is compared with the route's answer from an app that prepares
nothing; every prepared observations series with the records the route serialised
before (``ObservationOut`` pages) and a sample of them with the route's answer, plain
and gzipped, with their headers, ETags and 304s; the lean path leaves every other
request to the routes.
"""

from __future__ import annotations

import gzip
import random

import duckdb
import httpx
import pytest
from _loop import run_coroutine
from fastapi import FastAPI
from pydantic import TypeAdapter

from _live_server import app_at
from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.config import Settings
from cscwatch.indicators.observations import query_observations
from cscwatch.serve.api import _prepared
from cscwatch.serve.api._prepared import PreparedAnswers, prepare_answers, remember
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

    def get(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.raw(url, headers)[0]

    def raw(self, url: str, headers: dict[str, str] | None = None) -> tuple[httpx.Response, bytes]:
        """The response (body decoded) and its body as sent (gzipped if it was)."""

        async def go() -> tuple[httpx.Response, bytes]:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                async with c.stream("GET", url, headers=headers) as r:
                    sent = b"".join([chunk async for chunk in r.aiter_raw()])
                decoded = httpx.Response(
                    r.status_code, headers=r.headers, content=sent, request=r.request
                )
                decoded.read()
                return decoded, sent

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
    for key, records in groups.items():
        assert prepared.observations[key] == (len(records), before.dump_json(records)), key
    # every other indicator of the catalogue, for every authority: the empty page's rows
    las = {la for _, la in groups}
    empty = prepared.observations.keys() - groups.keys()
    assert empty == {(i, la) for i in CATALOGUE for la in las} - groups.keys()
    assert 0 < len(empty) < len(groups) / 20
    assert {prepared.observations[k] for k in empty} == {(0, b"[]")}


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
    """Bodies, ETags and headers of the lean path against the routes, for clients that
    take gzip, and for clients that do not."""
    keys = random.Random(12).sample(sorted(prepared.observations), 40)
    empty = sorted(k for k, v in prepared.observations.items() if v[0] == 0)
    keys += random.Random(13).sample(empty, 3)
    urls = [f"/api/observations?indicator={i}&authority={la}" for i, la in keys]
    urls += ["/api/authorities/352/profile", "/api/authorities/201/profile"]
    # spelt otherwise: links from the request, gzip made as the answer is sent
    urls += [
        "/api/observations?authority=352&indicator=rereferrals_pct",
        "/api/observations?indicator=cpp_at31_per_10k&authority=%20352",
        "/api/authorities/%20352/profile",
    ]
    for url in urls:
        for accept in ("gzip, deflate", "identity", "br;q=1, gzip;q=0.5"):
            (mine, mine_sent), (theirs, theirs_sent) = (
                lean.raw(url, {"accept-encoding": accept}),
                plain.raw(url, {"accept-encoding": accept}),
            )
            assert mine.status_code == theirs.status_code == 200
            assert mine_sent == theirs_sent, (url, accept)
            assert mine.headers == theirs.headers, (url, accept)
            if mine.headers.get("content-encoding") == "gzip":
                assert gzip.decompress(mine_sent) == plain.get(url, {"accept-encoding": ""}).content


def test_the_lean_path_answers_if_none_match_as_the_routes(
    plain: _InProcess, lean: _InProcess
) -> None:
    for url in (
        "/api/authorities/352/profile",
        "/api/observations?indicator=cpp_at31_per_10k&authority=352",
    ):
        tag = plain.get(url).headers["etag"]
        assert lean.get(url).headers["etag"] == tag
        for inm in (tag, f'W/{tag}, "other"', "*"):
            mine = lean.get(url, {"if-none-match": inm})
            theirs = plain.get(url, {"if-none-match": inm})
            assert mine.status_code == theirs.status_code == 304
            assert mine.headers == theirs.headers and mine.content == b""
        stale = lean.get(url, {"if-none-match": '"stale"'})
        assert stale.status_code == 200 and stale.headers["etag"] == tag
        # another encoding is another representation: another tag
        assert lean.get(url, {"accept-encoding": "identity"}).headers["etag"] != tag


def test_links_and_gzip_under_a_public_url(
    warehouse: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = warehouse.model_copy(update={"public_url": "https://example.org/csc/"})
    app = create_app(settings, response_cache_bytes=0, warm=False)
    # Prepared for Manchester alone, the one authority asked about here: an authority's
    # answers are the same whichever others are prepared with it (the tests above check
    # every authority's, prepared together, against the routes'). Every authority's
    # cost 6 CPU-s for the one URL checked.
    every = _prepared.list_authorities
    monkeypatch.setattr(
        _prepared, "list_authorities", lambda con: [a for a in every(con) if a.la_code == "352"]
    )
    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        # in one batch (the batches only let a serving process answer between them)
        made = prepare_answers(
            con, app.state.pool.tag(), public_url=settings.public_url, batch=1000
        )
    finally:
        con.close()
    assert set(made.profiles) == {"352"}
    remember(app.state.prepared_by_tag, made)
    lean, plain = _InProcess(app), _InProcess(create_app(settings, warm=False))
    url = "/api/observations?indicator=cpp_at31_per_10k&authority=352"
    assert url in made.gzipped
    for accept in ("gzip", "identity"):
        mine, theirs = (
            lean.raw(url, {"accept-encoding": accept}),
            plain.raw(url, {"accept-encoding": accept}),
        )
        assert mine[1] == theirs[1] and mine[0].headers == theirs[0].headers
    assert lean.get(url).json()["links"]["self"] == f"https://example.org/csc{url}"


def _retagged(prepared: PreparedAnswers, tag: str) -> PreparedAnswers:
    return PreparedAnswers(
        tag,
        prepared.authorities,
        prepared.profiles,
        prepared.observations,
        prepared.gzipped,
        prepared.seconds,
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
    assert len(prepared.profiles) >= 153 and prepared.observations and prepared.gzipped


def test_summary_and_dict(prepared: PreparedAnswers) -> None:
    assert prepared.to_dict()["profiles"] == len(prepared.profiles)
    assert prepared.to_dict()["gzipped"] == len(prepared.gzipped) > 10_000
    assert "profiles and" in prepared.summary() and "gzipped" in prepared.summary()
    assert prepared.authorities["352"].name == "Manchester"


def test_only_the_newest_tables_are_kept(prepared: PreparedAnswers) -> None:
    store: dict[str, PreparedAnswers] = {}
    for tag in ("a", "b", "c"):
        remember(store, _retagged(prepared, tag))
    assert list(store) == ["b", "c"]


def test_the_server_runs_on_httptools_and_uvloop(warehouse: Settings) -> None:
    """``uvicorn[standard]`` is installed, so ``cscwatch serve`` and the load benchmark
    (uvicorn's automatic choice) parse HTTP with httptools and run on uvloop: h11 and
    asyncio's own loop cost 0.31 ms of CPU per request where these cost 0.06 ms."""
    import uvloop
    from uvicorn.config import Config
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    config = Config(app=create_app(warehouse, warm=False))
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
