"""The one JSON error shape, pinned: every 4xx/5xx from /api has exactly these keys."""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest

#: The pinned shape. Changing it breaks clients: change this test only with a new API version.
ERROR_KEYS = {"error"}
ERROR_BODY_KEYS = {"code", "message", "detail"}


def assert_error(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == ERROR_KEYS
    assert set(body["error"]) == ERROR_BODY_KEYS
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in resp.text
    return dict(body["error"])


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/indicators/no_such_thing", 404, "unknown_indicator"),
        ("/api/authorities/Atlantis", 404, "unknown_authority"),
        ("/api/authorities/Atlantis/profile", 404, "unknown_authority"),
        ("/api/observations?indicator=nope", 404, "unknown_indicator"),
        ("/api/observations?year=twenty", 400, "unknown_year"),
        ("/api/observations?year=2014-16", 400, "unknown_year"),
        ("/api/observations?region=North", 400, "bad_input"),
        ("/api/observations?limit=0", 422, "invalid_parameter"),
        ("/api/observations?limit=many", 422, "invalid_parameter"),
        ("/api/observations?offset=-1", 422, "invalid_parameter"),
        ("/api/observations?format=xml", 422, "invalid_parameter"),
        ("/api/observations?geo_level=ward", 422, "invalid_parameter"),
        ("/api/indicators/referrals/funnel", 400, "bad_input"),
        ("/api/indicators/cpp_at31_per_10k/variation?year=1999", 400, "unknown_year"),
        ("/api/authorities/352/benchmark/cpp_at31_per_10k?year=2001", 400, "unknown_year"),
        ("/api/no/such/path", 404, "not_found"),
    ],
)
def test_bad_requests_get_the_pinned_error_shape(
    api: httpx.Client, url: str, status: int, code: str
) -> None:
    assert_error(api.get(url), status, code)


def test_validation_errors_name_the_parameter(api: httpx.Client) -> None:
    err = assert_error(api.get("/api/observations?limit=0"), 422, "invalid_parameter")
    assert err["detail"] == [
        {"in": "query", "name": "limit", "message": "Input should be greater than or equal to 1"}
    ]
    assert "limit" in err["message"]


def test_unknown_names_carry_suggestions(api: httpx.Client) -> None:
    err = assert_error(api.get("/api/authorities/Manchestr"), 404, "unknown_authority")
    assert "Manchester" in err["detail"]["suggestions"]
    err = assert_error(api.get("/api/indicators/cpp_at31_per10k"), 404, "unknown_indicator")
    assert "cpp_at31_per_10k" in err["detail"]["suggestions"]


def test_method_not_allowed_has_the_shape(api: httpx.Client) -> None:
    assert_error(api.post("/api/indicators"), 405, "method_not_allowed")


def test_pages_get_html_errors(api: httpx.Client) -> None:
    resp = api.get("/no-such-page")
    assert resp.status_code == 404
    assert "text/html" in resp.headers["content-type"]
    assert "Page not found" in resp.text


def test_unexpected_errors_reveal_no_internals() -> None:
    """A crash inside a route answers 500 with the shape and no exception text."""
    import asyncio
    import contextlib
    import threading

    from fastapi import FastAPI

    from cscwatch.serve.api._errors import install_error_handlers

    app = FastAPI()

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    install_error_handlers(app)
    sent: list[MutableMapping[str, Any]] = []

    async def call() -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/api/boom",
            "raw_path": b"/api/boom",
            "query_string": b"",
            "headers": [],
            "http_version": "1.1",
            "scheme": "http",
            "server": ("test", 80),
            "client": ("test", 1),
            "root_path": "",
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        # Starlette re-raises after answering, for the server's log
        with contextlib.suppress(RuntimeError):
            await app(scope, receive, send)

    import logging

    logging.getLogger("cscwatch.serve").disabled = True
    try:
        # in a thread of its own: Playwright's sync API may own this thread's loop
        worker = threading.Thread(target=lambda: asyncio.run(call()))
        worker.start()
        worker.join(30)
    finally:
        logging.getLogger("cscwatch.serve").disabled = False
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 500
    resp = httpx.Response(500, content=body, headers={"content-type": "application/json"})
    err = assert_error(resp, 500, "internal_error")
    assert "secret" not in body.decode() and "passwd" not in body.decode()
    assert err["detail"] is None


def test_no_warehouse_is_503_with_the_shape(tmp_path: Path) -> None:
    from _live_server import start_server, stop_server

    proc, base = start_server(tmp_path / "not-built.duckdb", tmp_path / "server.log")
    try:
        resp = httpx.get(f"{base}/api/authorities", timeout=30)
        err = assert_error(resp, 503, "warehouse_error")
        assert "not-built" not in err["message"]  # no server paths to clients
        page = httpx.get(f"{base}/authorities", timeout=30)
        assert page.status_code == 503 and "unavailable" in page.text
    finally:
        stop_server(proc)
