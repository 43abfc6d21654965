"""ETags from warehouse identity + request; 304 on If-None-Match.

That a rebuild changes them, under a running server and without a restart, is checked
where the rebuild is (``test_api_warm_child.py``): one server start and one warm-up
of the new file for both.
"""

from __future__ import annotations

import httpx


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
