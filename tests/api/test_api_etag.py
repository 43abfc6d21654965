"""ETags from warehouse identity + request; 304 on If-None-Match; a rebuild changes them."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from cscwatch.core.config import Settings


def test_etag_and_304(api: httpx.Client) -> None:
    first = api.get("/api/authorities/352/profile")
    tag = first.headers["etag"]
    assert tag.startswith('"') and first.headers["cache-control"] == "no-cache"
    again = api.get("/api/authorities/352/profile", headers={"if-none-match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    for resp in (first, again):
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["x-frame-options"] == "DENY"
    other = api.get("/api/authorities/383/profile")
    assert other.headers["etag"] != tag
    # a different representation of the same path gets a different tag
    csv = api.get("/api/observations?indicator=referrals&format=csv&limit=1")
    js = api.get("/api/observations?indicator=referrals&limit=1")
    assert csv.headers["etag"] != js.headers["etag"]
    # pages too
    page = api.get("/indicators")
    assert (
        api.get("/indicators", headers={"if-none-match": page.headers["etag"]}).status_code == 304
    )


def test_pages_are_compressed_and_tagged_per_encoding(api: httpx.Client) -> None:
    gz = api.get("/authorities/352", headers={"accept-encoding": "gzip"})
    plain = api.get("/authorities/352", headers={"accept-encoding": "identity"})
    assert gz.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert gz.text == plain.text
    assert gz.headers["etag"] != plain.headers["etag"]


def test_query_order_does_not_change_the_tag(api: httpx.Client) -> None:
    a = api.get("/api/observations?indicator=referrals&limit=2&offset=4")
    b = api.get("/api/observations?offset=4&limit=2&indicator=referrals")
    assert a.headers["etag"] == b.headers["etag"]


def test_errors_have_no_etag(api: httpx.Client) -> None:
    assert "etag" not in api.get("/api/indicators/nope").headers


@pytest.mark.slow
def test_rebuild_is_picked_up_without_restart(warehouse: Settings, tmp_path: Path) -> None:
    """Replace the warehouse file (as `cscwatch build` does) under a running server."""
    import os
    import time

    from _live_server import start_server, stop_server

    path = tmp_path / "w.duckdb"
    shutil.copy(warehouse.warehouse, path)
    proc, base = start_server(path, tmp_path / "server.log")
    try:
        with httpx.Client(base_url=base, timeout=30) as c:
            before = c.get("/api/authorities/352/profile")
            assert before.status_code == 200
            tag = before.headers["etag"]
            # the new build: a different file renamed over the old one
            tmp = tmp_path / ".w.duckdb.tmp"
            shutil.copy(warehouse.warehouse, tmp)
            os.replace(tmp, path)
            # the new file is served once warmed (in the background; the old one meanwhile)
            deadline = time.monotonic() + 600  # as long as a start-up may take
            while True:
                after = c.get("/api/authorities/352/profile", headers={"if-none-match": tag})
                if after.status_code != 304 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert after.status_code == 200, "a new warehouse file must invalidate the tag"
            assert after.headers["etag"] != tag
            assert after.json() == before.json()
            # no private links are left beside the warehouse
            assert sorted(p.name for p in tmp_path.iterdir() if "reader" in p.name) == []
    finally:
        stop_server(proc)
