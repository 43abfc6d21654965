"""Pages and API name years as the publisher does: the workforce census of 30 September
2025 is never "2025-26", and ``year=2017`` finds the census of 30 September 2017."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?indicator=caseload",
        "/authorities/383",
        "/authorities/940",
        "/indicators",
        "/indicators/caseload",
        "/indicators/agency_rate_pct?year=2024",
        "/tables/headlines.csv",
    ],
)
def test_no_page_calls_the_september_2025_census_2025_26(api: httpx.Client, path: str) -> None:
    resp = api.get(path)
    assert resp.status_code == 200
    assert "2025-26" not in resp.text


def test_pages_name_the_census_date(api: httpx.Client) -> None:
    page = api.get("/indicators/caseload?year=2017").text
    assert "30 September 2017" in page
    page = api.get("/authorities/383?year=2017").text
    assert "30 September 2017 for the workforce census, 2016-17 for the year" in page
    profile = api.get("/authorities/383").text
    assert "30 September 2025" in profile
    assert ">Sep 2025</text>" in profile  # the chart's axis
    assert "31 March 2025" in profile and "2024-25" in profile
    headlines = api.get("/tables/headlines.csv").text.splitlines()
    assert headlines[0].startswith("indicator,year,period,")
    assert any(line.startswith("agency_rate_pct,2025,30 September 2025,") for line in headlines)


def test_api_gives_period_label_beside_year(api: httpx.Client) -> None:
    b = api.get("/api/authorities/383/benchmark/caseload", params={"year": "2017"}).json()
    assert b["year"] == 2017 and b["period_label"] == "30 September 2017"
    prof = api.get("/api/authorities/383/profile").json()
    labels = {x["indicator"]: x["period_label"] for x in prof["benchmarks"]}
    assert labels["caseload"] == "30 September 2025" and labels["referrals"] == "2024-25"
    ind = api.get("/api/indicators/caseload").json()
    assert ind["period_kind"] == "at_30_september"
    assert (ind["first_period"], ind["last_period"]) == ("30 September 2017", "30 September 2025")
    obs = api.get(
        "/api/observations", params={"indicator": "caseload", "authority": "383", "year": "2017"}
    ).json()["data"]
    assert [(o["year"], o["period_label"]) for o in obs] == [(2017, "30 September 2017")]


def test_api_refuses_an_ambiguous_span_for_the_census(api: httpx.Client) -> None:
    resp = api.get("/api/indicators/caseload/variation", params={"year": "2024-25"})
    assert resp.status_code == 400
    assert "ambiguous" in resp.json()["error"]["message"]
    ok = api.get("/api/indicators/cpp_at31_per_10k/variation", params={"year": "2024-25"})
    assert ok.status_code == 200 and ok.json()["period_label"] == "31 March 2025"
