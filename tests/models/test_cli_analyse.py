"""The model commands on the real warehouse: JSON shapes and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from cscwatch.core.config import Settings
from cscwatch.models.risk import CANDIDATES
from cscwatch.models.risk_ranking import RiskRow

CliRunner = Callable[..., tuple[int, str, str]]


def _env(warehouse: Settings) -> dict[str, str]:
    return {"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)}


@pytest.mark.parametrize(
    ("args", "outcome", "judgement"),
    [
        ((), "ri_or_worse", "overall"),
        (
            ("--outcome", "inadequate", "--judgement", "help_protection"),
            "inadequate",
            "help_protection",
        ),
    ],
)
def test_risk_ranks_every_current_authority(
    cli: CliRunner, warehouse: Settings, args: tuple[str, ...], outcome: str, judgement: str
) -> None:
    code, out, err = cli(
        "risk", "--as-at", "2024-06-01", *args, "--format", "json", env=_env(warehouse)
    )
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"meta", "rows"}
    meta, rows = data["meta"], data["rows"]
    assert (meta["outcome"], meta["judgement"]) == (outcome, judgement)
    assert meta["model"] in CANDIDATES and meta["as_at"] == "2024-06-01"
    assert meta["ofsted_record_to"] <= "2024-06-01"
    assert all(s["published_on"] < "2024-06-01" and s["year"] for s in meta["sources"])
    assert {e["name"] for e in meta["excluded"]} == {"City of London", "Isles of Scilly"}
    assert meta["relative_to"] and meta["caveat"]
    if meta["backtest"] is not None:  # written by ``cscwatch analyse risk``
        assert meta["backtest"]["selected"]["auc_lo"] is not None
        assert meta["backtest"]["calibration"]["intercept"] is not None
    assert len(rows) == meta["n_ranked"] >= 148
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    probs = [r["probability"] for r in rows]
    assert probs == sorted(probs, reverse=True) and all(0 < p < 1 for p in probs)
    assert all(len(r["drivers"]) == 3 for r in rows)
    dated = [r for r in rows if r["judgement_published"]]
    assert dated and all(r["judgement_published"] <= "2024-06-01" for r in dated)
    assert set(rows[0]) == {f for f in RiskRow.__dataclass_fields__}


def test_forecast_json_names_its_method_data_year_and_coverage(
    cli: CliRunner, warehouse: Settings
) -> None:
    code, out, err = cli(
        "forecast", "lac_at31_per_10k", "--authority", "Manchester", "--format", "json",
        env=_env(warehouse),
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["method"] in ("last_value", "drift", "pooled_ar", "damped")
    assert data["method_reason"]
    assert data["data_year"] == f"31 March {data['last_year']}"
    # looked-after rates run 2016-2025 (LAIT spliced onto DfE's file): three years
    # ahead were backtested, so the default horizon is three
    last = data["last_year"]
    assert data["horizon"] == 3 and [r["year"] for r in data["rows"]] == [
        last + 1,
        last + 2,
        last + 3,
    ]
    assert {r["la_code"] for r in data["rows"]} == {"352"}
    assert [h for h, _, _ in data["coverage"]] == [1, 2, 3]
    assert all(0 < c80 < c95 <= 1 for _, c80, c95 in data["coverage"])


def test_risk_without_a_date_says_when_it_is_not_todays(
    cli: CliRunner, warehouse: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the warehouse's figures are too old for today, ``cscwatch risk`` ranks as
    at the last date they support and says so on standard error. Here that date is
    made 1 June 2024, whose ranking the run's cache holds (the test above)."""
    from cscwatch.serve.api import _risk

    monkeypatch.setattr(_risk, "latest_rankable_date", lambda con: date(2024, 6, 1))
    monkeypatch.setattr(_risk, "_rankable", _risk.OrderedDict())
    code, out, err = cli("risk", env=_env(warehouse))
    assert code == 0, err
    assert err.startswith("note: not today's: the ranking is as at 1 June 2024, the last date")
    assert "cscwatch fetch" in err and len(err.strip().splitlines()) == 1
    assert "as at 2024-06-01" in out


def test_forecast_refuses_a_horizon_never_backtested(cli: CliRunner, warehouse: Settings) -> None:
    code, out, err = cli(
        "forecast", "lac_at31_per_10k", "--authority", "Manchester", "--horizon", "4",
        env=_env(warehouse),
    )  # fmt: skip
    assert code == 2 and out == ""
    assert err.startswith("error:") and "never tested" in err and "--horizon 3" in err


def test_demand_json(cli: CliRunner, warehouse: Settings) -> None:
    code, out, err = cli("analyse", "demand", "--format", "json", env=_env(warehouse))
    assert code == 0, err
    data = json.loads(out)
    shares = [s["share_of_variance"] for s in data["decomposition"]]
    assert sum(shares) + data["unexplained_share"] == pytest.approx(1.0)
    assert data["event"]["pretrend_df"] == 3


def test_demand_nao_json_has_no_spend_outside_the_sensitivity(
    cli: CliRunner, warehouse: Settings
) -> None:
    code, out, err = cli("analyse", "demand", "--nao", "--format", "json", env=_env(warehouse))
    assert code == 0, err
    data = json.loads(out)
    assert data["outcome"] == "cpp_starts_per_10k"
    assert dict(data["nao_reference"]) == {
        "deprivation": 0.15, "year effects": 0.10, "authority effects": 0.44
    }  # fmt: skip
    for v in data["variants"]:
        blocks = [s["block"] for s in v["shares"]]
        assert ("spend (sensitivity)" in blocks) == v["sensitivity"]
        assert sum(s["nao_order"] for s in v["shares"]) + v["unexplained"] == pytest.approx(1)
        assert sum(s["shapley"] for s in v["shares"]) + v["unexplained"] == pytest.approx(1)
        for s in v["shares"]:
            assert s["low"] - 1e-9 <= min(s["nao_order"], s["shapley"])
            assert max(s["nao_order"], s["shapley"]) <= s["high"] + 1e-9
    main = next(v for v in data["variants"] if v["name"] == "nao")
    assert main["years"][0] == 2016 and not main["sensitivity"]


@pytest.mark.parametrize(
    "args",
    [
        ("forecast", "referrals"),
        ("forecast", "cin_at31_per_10k", "--horizon", "9"),
        ("risk", "--as-at", "31/12/2024"),
        ("risk", "--as-at", "2030-01-01"),  # past what the figures support
        ("risk", "--target", "care_leavers"),
        ("risk", "--judgement", "care_leavers"),
        ("risk", "--outcome", "failing"),
        ("risk", "--format", "csv"),
        ("analyse", "quality", "--year", "1999"),
        ("analyse", "demand", "--outcome", "referrals"),
        ("analyse", "demand", "--format", "csv"),
        ("analyse", "all", "--only", "demand,nonsense"),
    ],
)
def test_bad_input_exits_2(cli: CliRunner, warehouse: Settings, args: tuple[str, ...]) -> None:
    code, _, err = cli(*args, env=_env(warehouse))
    assert code == 2
    assert err.startswith("error:") and "Traceback" not in err
