"""Fixed effects recover known effects; forecasts beat last value on AR data; JSON
round-trips."""

from __future__ import annotations

import json
from collections.abc import Callable

import duckdb
import numpy as np
import pytest

from cscwatch.core.errors import InputError
from cscwatch.models.demand import COVARIATES, DemandModel, DemandResults, shapley_r2
from cscwatch.models.forecast import (
    ForecastBacktest,
    ForecastBacktestResults,
    ForecastModel,
    ForecastResults,
)

COVS = ("fsm_primary_pct", "under18_conceptions_per_1000", "log_population")


def test_fixed_effects_recover_known_coefficients(
    demand_panel: tuple[duckdb.DuckDBPyConnection, dict[str, float]],
) -> None:
    con, truth = demand_panel
    res = DemandModel(con, "cpp_starts_per_10k", covariates=COVS).fit()
    coef = {c.name: c for c in res.coefficients}
    for name in ("fsm_primary_pct", "under18_conceptions_per_1000"):
        c = coef[name]
        assert c.lower < truth[name] < c.upper
        assert abs(c.estimate - truth[name]) < 0.1
    assert abs(coef["log_population"].estimate) < 1.0  # no effect in the truth
    shares = sum(s.share_of_variance for s in res.decomposition) + res.unexplained_share
    assert shares == pytest.approx(1.0)
    e = res.event
    assert e is not None
    assert e.did.lower < truth["did"] < e.did.upper
    assert e.pretrend_p is not None and e.pretrend_p > 0.01
    iw = dict(e.iw_coefficients)
    for k in (0, 1, 2):  # the cut raises the outcome by 5 in every cohort
        assert iw[k].lower < truth["did"] < iw[k].upper
    for k in (-3, -2):
        assert iw[k].lower < 0 < iw[k].upper
    assert DemandResults.from_dict(json.loads(json.dumps(res.to_dict()))) == res


def test_default_covariates_take_spend_per_child_from_the_catalogue(
    demand_panel: tuple[duckdb.DuckDBPyConnection, dict[str, float]],
) -> None:
    con, truth = demand_panel
    res = DemandModel(con, "cpp_starts_per_10k").fit()
    coef = {c.name: c for c in res.coefficients}
    assert set(coef) == set(COVARIATES)
    assert "log_spend_safeguarding_per_child" in coef
    c = coef["fsm_primary_pct"]  # spend is noise in the truth: fsm is still recovered
    assert c.lower < truth["fsm_primary_pct"] < c.upper


def test_shapley_shares_add_to_full_r2() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(200, 2)), rng.normal(size=(200, 1))
    y = a @ [1.0, -1.0] + 2 * b[:, 0] + rng.normal(size=200)
    shap = shapley_r2(y, {"a": a, "b": b})
    x = np.column_stack([np.ones(200), a, b])
    resid = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    assert sum(shap.values()) == pytest.approx(1 - resid @ resid / np.sum((y - y.mean()) ** 2))


def test_unknown_outcome_is_input_error(fresh_db: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputError):
        DemandModel(fresh_db, "referrals")


def test_pooled_ar_beats_last_value_on_mean_reverting_series(
    ar_panel: Callable[[], duckdb.DuckDBPyConnection],
) -> None:
    con = ar_panel()
    bt = ForecastBacktest(
        con, "cin_at31_per_10k", horizon=2, methods=("last_value", "drift", "pooled_ar")
    ).fit()
    assert "pooled_ar" in bt.kept and bt.best == "pooled_ar"
    pooled = bt.pooled("pooled_ar")
    assert pooled.mase is not None and pooled.mase < bt.pooled("last_value").mase  # type: ignore[operator]
    assert pooled.coverage95 is not None and 0.85 < pooled.coverage95 <= 1.0
    assert ForecastBacktestResults.from_dict(json.loads(json.dumps(bt.to_dict()))) == bt
    fc = ForecastModel(con, "cin_at31_per_10k", horizon=2, authority="400", backtest=bt).fit()
    assert fc.method == "pooled_ar" and [r.year for r in fc.rows] == [2026, 2027]
    r = fc.rows[0]
    assert r.lower95 < r.lower80 < r.point < r.upper80 < r.upper95
    assert ForecastResults.from_dict(json.loads(json.dumps(fc.to_dict()))) == fc


def test_forecast_refuses_other_indicators(fresh_db: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputError):
        ForecastBacktest(fresh_db, "referrals")
