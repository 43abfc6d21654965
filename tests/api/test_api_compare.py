"""``/api/compare``, ``/api/authorities/{authority}/neighbours/{indicator}`` and the
authority resolver over real HTTP."""

from __future__ import annotations

import httpx


def test_compare_up_to_ten_authorities(api: httpx.Client) -> None:
    r = api.get(
        "/api/compare",
        params={"authorities": "Hull,Leeds,Bristol, City of", "indicator": "rereferrals_pct"},
    )
    assert r.status_code == 200
    body = r.json()
    assert [row["code"] for row in body["rows"]] == ["810", "383", "801"]
    assert body["rank_basis"] == "1 = highest value; lower is better"
    assert body["comparators"][-1]["name"] == "England"
    assert body["period_label"] == "2024-25"
    # the same comparison by repeated parameters
    again = api.get(
        "/api/compare",
        params=[
            ("authorities", "810"),
            ("authorities", "383,801"),
            ("indicator", "rereferrals_pct"),
        ],
    ).json()
    assert again["rows"] == body["rows"]
    eleven = "352,383,810,801,840,894,884,330,331,332,333"
    too_many = api.get(
        "/api/compare", params={"authorities": eleven, "indicator": "rereferrals_pct"}
    )
    assert too_many.status_code == 400
    assert too_many.json()["error"]["code"] == "bad_input"
    assert "at most 10" in too_many.json()["error"]["message"]


def test_compare_names_the_authority_it_cannot_find(api: httpx.Client) -> None:
    r = api.get(
        "/api/compare", params={"authorities": "Leeds,Manchestr", "indicator": "rereferrals_pct"}
    )
    assert r.status_code == 404
    assert r.json()["error"] == {
        "code": "unknown_authority",
        "message": "unknown authority 'Manchestr'; did you mean: Manchester?",
        "detail": {"suggestions": ["Manchester"]},
    }
    r = api.get("/api/compare", params={"authorities": "Kingston", "indicator": "rereferrals_pct"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "ambiguous_authority"
    assert err["detail"]["suggestions"] == ["Kingston upon Hull, City of", "Kingston upon Thames"]


def test_neighbours_of_one_authority(api: httpx.Client) -> None:
    r = api.get("/api/authorities/Hull/neighbours/cpp_at31_per_10k", params={"year": "2024-25"})
    assert r.status_code == 200
    body = r.json()
    assert body["subject"] == "810" and body["kind"] == "neighbours"
    assert len(body["rows"]) == 11 and body["rows"][0]["role"] == "authority"
    assert 1 <= body["rank"] <= body["n_ranked"] <= 11
    spec = api.get("/api/openapi.json").json()
    assert "/api/compare" in spec["paths"]
    assert "/api/authorities/{authority}/neighbours/{indicator_id}" in spec["paths"]
    assert "Comparison" in spec["components"]["schemas"]


def test_short_and_old_names_resolve_in_the_api(api: httpx.Client) -> None:
    assert api.get("/api/authorities/Telford").json()["la_code"] == "894"
    cumbria = api.get("/api/authorities/Cumbria").json()
    assert cumbria["is_current"] is False and cumbria["successors"] == ["942", "943"]
