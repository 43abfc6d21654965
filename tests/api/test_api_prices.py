"""Cash and real terms in the API: £ figures say which they are; real terms without the
GDP deflator in the warehouse is a 400 in the pinned error shape."""

from __future__ import annotations

import httpx


def test_pounds_say_cash_terms(api: httpx.Client) -> None:
    v = api.get("/api/indicators/spend_safeguarding_per_cin_episode/variation").json()
    assert v["prices"].startswith("£ figures: cash terms")
    assert api.get("/api/indicators/caseload/variation").json()["prices"] is None
    ind = api.get("/api/indicators/spend_safeguarding_per_cin").json()
    assert ind["unit"] == "gbp" and ind["unit_label"] == "£, cash terms"
    p = api.get("/api/authorities/Manchester/profile").json()
    assert p["prices"].startswith("£ figures: cash terms")


def test_real_terms_without_deflator_is_400(api: httpx.Client) -> None:
    for url in (
        "/api/indicators/spend_safeguarding_per_cin/variation",
        "/api/authorities/Manchester/profile",
    ):
        r = api.get(url, params={"prices": "real"})
        assert r.status_code == 400
        err = r.json()["error"]
        assert err["code"] == "bad_input" and "GDP deflator" in err["message"]
    r = api.get("/api/authorities/Manchester/profile", params={"prices": "constant"})
    assert r.status_code == 400 and "use cash or real" in r.json()["error"]["message"]
