"""``/api/risk``: the early-warning ranking, its caveat, CSV, errors and the fit cache."""

from __future__ import annotations

import csv
import io
import time

import httpx
import pytest
from test_api_errors import assert_error

AS_AT = "2025-06-01"


@pytest.fixture(scope="module")
def first(live_server: str) -> tuple[httpx.Response, float]:
    """The first request of the module: it fits the model (seconds)."""
    t0 = time.perf_counter()
    resp = httpx.get(f"{live_server}/api/risk", params={"as_at": AS_AT}, timeout=120)
    return resp, time.perf_counter() - t0


def test_shape_and_caveat(first: tuple[httpx.Response, float]) -> None:
    resp, _ = first
    assert resp.status_code == 200, resp.text
    assert "etag" in resp.headers
    body = resp.json()
    assert set(body) == {"meta", "data"}
    meta = body["meta"]
    assert meta["as_at"] == AS_AT and meta["target"] == "overall"
    assert "logistic regression" in meta["method"]
    assert "no reliable advantage over the previous judgement" in meta["caveat"]
    bt = meta["backtest"]
    assert bt["model"]["model"] == "logistic"
    assert bt["previous_judgement"]["model"] == "previous_judgement"
    assert 0.4 < bt["model"]["auc"] < 0.7 and 0.4 < bt["previous_judgement"]["auc"] < 0.7
    assert bt["auc_minus_previous_lo"] < 0 < bt["auc_minus_previous_hi"]
    assert bt["beats_previous_judgement"] is False
    rows = body["data"]
    assert len(rows) > 140
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    probs = [r["probability"] for r in rows]
    assert probs == sorted(probs, reverse=True) and all(0 <= p <= 1 for p in probs)
    r = rows[0]
    assert set(r) == {
        "rank",
        "la_code",
        "name",
        "probability",
        "boosted_probability",
        "lead_score",
        "drivers",
        "judgement_in_force",
        "judgement_published",
        "judgement_age_years",
        "stale",
        "stale_reason",
    }
    assert len(r["drivers"]) == 3
    assert all(d["words"] and "_" not in d["words"] for d in r["drivers"])


def test_csv_and_cache_hit_is_fast(first: tuple[httpx.Response, float], api: httpx.Client) -> None:
    _, first_seconds = first
    # another representation of the same ranking: a new ETag, so the route runs,
    # but the fitted ranking comes from the in-process cache
    t0 = time.perf_counter()
    resp = api.get("/api/risk", params={"as_at": AS_AT, "format": "csv", "target": "overall"})
    seconds = time.perf_counter() - t0
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert len(rows) == len(first[0].json()["data"])
    assert rows[0]["rank"] == "1" and rows[0]["driver_1"]
    assert float(rows[0]["probability"]) == pytest.approx(first[0].json()["data"][0]["probability"])
    assert seconds < 1.0, f"cache miss? {seconds:.2f}s (first fit {first_seconds:.2f}s)"


def test_help_protection_target(api: httpx.Client) -> None:
    resp = api.get("/api/risk", params={"as_at": AS_AT, "target": "help_protection"}, timeout=120)
    assert resp.status_code == 200, resp.text
    assert resp.json()["meta"]["target"] == "help_protection"


@pytest.mark.parametrize(
    "params",
    [
        {"as_at": "yesterday"},
        {"as_at": "2025-13-01"},
        {"target": "children_in_care"},
        {"as_at": AS_AT, "format": "xml"},
        {"as_at": "2000-01-01"},  # too few inadequate inspections published before
    ],
)
def test_bad_input_has_the_error_shape(api: httpx.Client, params: dict[str, str]) -> None:
    assert_error(api.get("/api/risk", params=params), 400, "bad_input")
