"""``/api/risk``: the early-warning ranking, its caveat, CSV, errors and the fit cache."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import ClassVar, cast

import duckdb
import httpx
import pytest
from test_api_errors import assert_error

from cscwatch.core.config import Settings
from cscwatch.models.risk_ranking import RiskModel, RiskRanking, latest_rankable_date
from cscwatch.serve.api import _risk

AS_AT = "2025-06-01"


@pytest.fixture(scope="module")
def first(live_server: str) -> httpx.Response:
    """The ranking as at today (no ``as_at``: the default), which the server's warm-up
    fitted before its first answer; the fit on request is test_outcome_and_judgement's."""
    # a fit is about 10 s of CPU: at a load average of 33 it took over 120 s of wall time
    return httpx.get(f"{live_server}/api/risk", timeout=600)


def _today(text: str, warehouse: Settings) -> bool:
    """``text`` is the default date: today's (or yesterday's, for a run across
    midnight), or the last date the warehouse's figures support if that is earlier."""
    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        last = latest_rankable_date(con)
    finally:
        con.close()
    today = date.today()
    days = {today, today - timedelta(days=1)}
    return text in {(d if last is None else min(d, last)).isoformat() for d in days}


def test_shape_meta_and_caveat(first: httpx.Response, warehouse: Settings) -> None:
    resp = first
    assert resp.status_code == 200, resp.text
    assert "etag" in resp.headers
    body = resp.json()
    assert set(body) == {"meta", "data"}
    meta = body["meta"]
    as_at = meta["as_at"]
    assert _today(as_at, warehouse) and meta["judgement"] == "overall"
    assert meta["outcome"] == "ri_or_worse"  # the best-validated outcome is the default
    assert meta["model"] in ("transparent", "logistic", "boosted")
    assert {n for n, _ in meta["selection_auc"]} == {"transparent", "logistic", "boosted"}
    assert "chosen among a transparent score" in meta["method"]
    # what the ranking is relative to, and the data it used, with dates
    assert meta["ofsted_record_to"] < as_at
    assert "Ranked against the other" in meta["relative_to"]
    assert "Isles of Scilly" in meta["relative_to"]
    assert {e["la_code"] for e in meta["excluded"]} == {"201", "420"}
    assert meta["sources"] and all(s["published_on"] < as_at for s in meta["sources"])
    assert {"caseload", "rereferrals_pct"} <= {s["indicator"] for s in meta["sources"]}
    assert 0 < meta["rate_recent"] < meta["rate_train"] < 1
    bt = meta["backtest"]
    assert bt["outcome"] == "ri_or_worse" and bt["judgement"] == "overall"
    assert bt["shipped_model"] == meta["model"]
    assert bt["selected"]["model"] == "selected"
    assert bt["previous_judgement"]["model"] == "previous_judgement"
    assert bt["selected"]["auc_lo"] < bt["selected"]["auc"] < bt["selected"]["auc_hi"]
    assert bt["calibration"]["brier"] > 0 and bt["calibration"]["slope"] is not None
    assert bt["target_auc"] == 0.75 and isinstance(bt["target_met"], bool)
    assert 2017 in bt["dropped_origins"]
    beats = bt["selected"]["dauc_lo"] > 0
    assert meta["beats_previous_judgement"] is beats
    assert ("no reliable advantage over the previous judgement" in meta["caveat"]) is not beats
    rows = body["data"]
    assert len(rows) == meta["n_ranked"] >= 148
    assert not {r["la_code"] for r in rows} & {"201", "420"}
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    probs = [r["probability"] for r in rows]
    assert probs == sorted(probs, reverse=True) and all(0 <= p <= 1 for p in probs)
    r = rows[0]
    assert set(r) == {
        "rank",
        "la_code",
        "name",
        "probability",
        "score",
        "drivers",
        "judgement_in_force",
        "judgement_published",
        "judgement_age_years",
        "stale",
        "stale_reason",
    }
    assert len(r["drivers"]) == 3
    assert all(d["words"] and "_" not in d["words"] for d in r["drivers"])


class _CountedRiskModel(RiskModel):
    """``RiskModel`` counting its fits (the server runs in this process)."""

    fits: ClassVar[list[date]] = []

    def fit(self, as_at: date) -> RiskRanking:
        self.fits.append(as_at)
        return super().fit(as_at)


def test_csv_comes_from_the_cached_fit(
    first: httpx.Response, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # another representation of the same ranking: a new ETag, so the route runs,
    # but the fitted ranking comes from the in-process cache: no model is fitted
    _CountedRiskModel.fits.clear()
    monkeypatch.setattr(_risk, "RiskModel", _CountedRiskModel)
    as_at = first.json()["meta"]["as_at"]
    resp = api.get("/api/risk", params={"as_at": as_at, "format": "csv", "judgement": "overall"})
    assert _CountedRiskModel.fits == [], "the ranking was fitted again: no cache hit"
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert len(rows) == len(first.json()["data"])
    assert rows[0]["rank"] == "1" and rows[0]["driver_1"]
    meta = first.json()["meta"]
    # the CSV carries the same meta on every row
    assert {r["model"] for r in rows} == {meta["model"]}
    assert {r["outcome"] for r in rows} == {"ri_or_worse"}
    assert {r["ofsted_record_to"] for r in rows} == {meta["ofsted_record_to"]}
    assert float(rows[0]["backtest_auc"]) == pytest.approx(meta["backtest"]["selected"]["auc"])
    assert float(rows[0]["probability"]) == pytest.approx(first.json()["data"][0]["probability"])


_BOTH = ("inadequate", "help_protection")


@pytest.mark.parametrize(
    ("params", "outcome", "judgement"),
    [
        ({"outcome": "inadequate", "judgement": "help_protection"}, *_BOTH),
        ({"outcome": "inadequate", "target": "help_protection"}, *_BOTH),
    ],
    ids=["judgement", "target"],  # target: the former name of judgement
)
def test_outcome_and_judgement(
    api: httpx.Client, params: dict[str, str], outcome: str, judgement: str
) -> None:
    """Both parameters are honoured (the defaults, in ``test_shape_meta_and_caveat``).
    One ranking for both cases, as at today: the one tests/browser/test_browser_risk.py
    shows, so a test process running both fits it once (a fit is about 10 s of CPU)."""
    resp = api.get("/api/risk", params=params, timeout=600)
    assert resp.status_code == 200, resp.text
    meta = resp.json()["meta"]
    assert (meta["outcome"], meta["judgement"]) == (outcome, judgement)
    assert meta["backtest"]["outcome"] == outcome


@pytest.mark.parametrize(
    "params",
    [
        {"as_at": "yesterday"},
        {"as_at": "2025-13-01"},
        {"target": "children_in_care"},
        {"judgement": "leadership"},
        {"outcome": "failing"},
        {"as_at": AS_AT, "format": "xml"},
        {"as_at": "2000-01-01"},  # too few inspections published before
    ],
)
def test_bad_input_has_the_error_shape(api: httpx.Client, params: dict[str, str]) -> None:
    assert_error(api.get("/api/risk", params=params), 400, "bad_input")


def test_the_default_date_is_today_or_the_last_the_figures_support(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a date, a ranking is as at today, or, once the warehouse's figures are
    too old for today, as at the last date they support, and the page says why it is
    not today's. Worked out once per warehouse file."""
    asked: list[str] = []

    def last(con: object) -> date:
        asked.append("asked")
        return date(2020, 1, 1)

    monkeypatch.setattr(_risk, "_rankable", _risk.OrderedDict())
    monkeypatch.setattr(_risk, "latest_rankable_date", last)
    con = cast(duckdb.DuckDBPyConnection, object())
    assert _risk.default_as_at(con, "file-1") == date(2020, 1, 1)
    assert _risk.default_as_at(con, "file-1") == date(2020, 1, 1) and asked == ["asked"]
    assert _risk.parse_as_at("", con, "file-1") == date(2020, 1, 1)
    assert _risk.parse_as_at("2019-05-01", con, "file-1") == date(2019, 5, 1)
    words = _risk.behind_today(date(2020, 1, 1)) or ""
    assert words.startswith("as at 1 January 2020, the last date this warehouse's figures")
    assert "cscwatch fetch" in words and _risk.behind_today(date.today()) is None
    monkeypatch.setattr(_risk, "latest_rankable_date", lambda con: None)
    assert _risk.default_as_at(con, "file-2") == date.today()  # none found: today
    assert _risk.default_as_at() == date.today()  # no file: today
