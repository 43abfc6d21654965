"""Server hygiene: links never from the Host header, trusted hosts, empty year ranges."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest

from cscwatch.core.config import Settings
from cscwatch.serve.api._headers import host_allowed


def _get(app: Any, requests: list[tuple[str, dict[str, str]]]) -> list[httpx.Response]:
    """GET in-process through ASGI with the given headers, in a thread of its own."""
    out: list[httpx.Response] = []

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            for url, headers in requests:
                out.append(await c.get(url, headers=headers))

    t = threading.Thread(target=lambda: asyncio.run(run()))
    t.start()
    t.join(120)
    return out


def _app(warehouse: Settings, **settings: Any) -> Any:
    from cscwatch.serve.app import create_app

    return create_app(warehouse.model_copy(update=settings))


def test_a_made_up_host_cannot_poison_the_cached_links(warehouse: Settings) -> None:
    app = _app(warehouse, allowed_hosts=["testserver", "*.example.org"])
    url = "/api/authorities?limit=5"
    evil, good = _get(app, [(url, {"host": "evil.example.org"}), (url, {"host": "testserver"})])
    # the first answer is cached; the second client gets the same bytes, and no host
    assert evil.status_code == good.status_code == 200
    assert evil.headers["etag"] == good.headers["etag"]
    links = good.json()["links"]
    assert links["self"] == "/api/authorities?limit=5"
    assert links["next"] == "/api/authorities?limit=5&offset=5"
    assert "evil" not in good.text


def test_links_under_the_configured_public_url(warehouse: Settings) -> None:
    app = _app(warehouse, public_url="https://cscwatch.example.org/")
    (resp,) = _get(app, [("/api/observations?indicator=cpp_at31_per_10k&limit=2", {})])
    nxt = resp.json()["links"]["next"]
    assert nxt.startswith("https://cscwatch.example.org/api/observations?")
    assert "offset=2" in nxt
    (csv,) = _get(app, [("/api/observations?indicator=cpp_at31_per_10k&limit=2&format=csv", {})])
    assert csv.headers["link"].startswith("<https://cscwatch.example.org/api/observations?")


@pytest.mark.parametrize("host", ["evil.example", "", "testserver.evil.example", "a b"])
def test_an_untrusted_host_is_a_400_in_the_error_shape(warehouse: Settings, host: str) -> None:
    (resp,) = _get(_app(warehouse), [("/api/authorities", {"host": host})])
    assert resp.status_code == 400
    assert resp.json() == {
        "error": {
            "code": "untrusted_host",
            "message": "the Host header does not name this service",
            "detail": None,
        }
    }


def test_the_default_hosts_include_loopback_and_the_test_client(warehouse: Settings) -> None:
    app = _app(warehouse)
    for host in ("localhost:8000", "127.0.0.1:8765", "[::1]:8000", "testserver"):
        (resp,) = _get(app, [("/api/indicators", {"host": host})])
        assert resp.status_code == 200, host


def test_host_patterns() -> None:
    allowed = ["cscwatch.example.org", "*.gov.uk"]
    assert host_allowed("cscwatch.example.org:443", allowed)
    assert host_allowed("CSCWATCH.example.org", allowed)
    assert host_allowed("data.education.gov.uk", allowed)
    assert not host_allowed("gov.uk.evil.example", allowed)
    assert not host_allowed("example.org", allowed)
    assert not host_allowed("", ["*"])
    assert host_allowed("anything", ["*"])
    assert host_allowed("[::1]:8000", ["[::1]"])


def test_allowed_hosts_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSCWATCH_ALLOWED_HOSTS", '["cscwatch.example.org"]')
    monkeypatch.setenv("CSCWATCH_PUBLIC_URL", "https://cscwatch.example.org")
    s = Settings()
    assert s.allowed_hosts == ["cscwatch.example.org"]
    assert s.public_url == "https://cscwatch.example.org"


def test_year_from_after_year_to_is_a_400(warehouse: Settings) -> None:
    app = _app(warehouse)
    bad, good = _get(
        app,
        [
            ("/api/observations?indicator=cpp_at31_per_10k&year_from=2024&year_to=2020", {}),
            ("/api/observations?indicator=cpp_at31_per_10k&year_from=2020&year_to=2020", {}),
        ],
    )
    assert bad.status_code == 400
    body = bad.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "detail"}
    assert body["error"]["code"] == "unknown_year"
    assert body["error"]["message"] == "year_from 2024 is after year_to 2020"
    assert good.status_code == 200
    assert {r["year"] for r in good.json()["data"]} == {2020}
