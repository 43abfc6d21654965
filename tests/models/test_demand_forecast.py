"""Fixed effects recover known effects; forecasts beat last value on AR data; JSON
round-trips."""

from __future__ import annotations

import json
from collections.abc import Callable

import duckdb
import numpy as np
import pytest

from cscwatch.core.errors import InputError
from cscwatch.models._data import load_panel
from cscwatch.models.demand import COVARIATES, DemandModel, DemandResults, shapley_r2
from cscwatch.models.demand_nao import NaoDemandModel, NaoResults, decompose
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
    assert "log_spend_social_work_per_child" in coef
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


# ----------------------------------------------------------------- NAO comparison


def test_nao_order_shapley_and_range_recover_known_shares(
    nao_panel: tuple[duckdb.DuckDBPyConnection, dict[str, float]],
) -> None:
    con, truth = nao_panel
    res = NaoDemandModel(con, variants=("nao",)).fit()
    v = res.variant("nao")
    assert v.years == tuple(range(2016, 2023)) and v.n_authorities == 40
    assert [s.block for s in v.shares] == [
        "deprivation", "under-18 conceptions", "year effects", "authority effects"
    ]  # fmt: skip
    for s in v.shares:  # orthogonal blocks: every order gives the built-in share
        for got in (s.nao_order, s.shapley, s.low, s.high):
            assert got == pytest.approx(truth[s.block], abs=1e-9)
    assert v.unexplained == pytest.approx(truth["unexplained"], abs=1e-9)
    assert v.share("deprivation").nao_2019 == 0.15
    assert v.share("under-18 conceptions").nao_2019 is None
    assert NaoResults.from_dict(json.loads(json.dumps(res.to_dict()))) == res


def test_nao_order_gives_overlap_to_the_block_entered_first(
    nao_panel: tuple[duckdb.DuckDBPyConnection, dict[str, float]],
) -> None:
    con, truth = nao_panel
    v = NaoDemandModel(con, variants=("fixed_deprivation",)).fit().variants[0]
    d, a = v.share("deprivation"), v.share("authority effects")
    authority, fixed = truth["authority effects"], truth["fixed low income"]
    # deprivation lies inside the authority effects: first in the NAO order it takes
    # all of its share, last it takes nothing, and Shapley splits it in half
    assert d.nao_order == pytest.approx(fixed, abs=1e-9)
    assert d.shapley == pytest.approx(fixed / 2, abs=1e-9)
    assert (d.low, d.high) == pytest.approx((0.0, fixed), abs=1e-9)
    assert a.nao_order == pytest.approx(authority - fixed, abs=1e-9)
    assert a.shapley == pytest.approx(authority - fixed / 2, abs=1e-9)
    assert (a.low, a.high) == pytest.approx((authority - fixed, authority), abs=1e-9)
    assert v.share("year effects").shapley == pytest.approx(truth["year effects"])
    # absorbed by the authority effects: reported as a between-authority estimate
    names = [c.name for c in v.coefficients]
    assert "children_low_income_pct_authority_mean (between authorities)" in names
    assert "between" in v.coefficient_basis or "without authority effects" in v.coefficient_basis


def test_decompose_is_order_free_only_for_orthogonal_blocks() -> None:
    rng = np.random.default_rng(5)
    a = rng.normal(size=(300, 1))
    b = a + 0.5 * rng.normal(size=(300, 1))  # correlated with a
    y = a[:, 0] + b[:, 0] + rng.normal(size=300)
    shares, r2 = decompose(y, {"a": a, "b": b}, ("a", "b"))
    sa, sb = shares
    assert sa.low < sa.shapley < sa.high and sa.nao_order == pytest.approx(sa.high)
    assert sb.nao_order == pytest.approx(sb.low)
    assert sa.shapley + sb.shapley == pytest.approx(r2)
    assert sa.nao_order + sb.nao_order == pytest.approx(r2)
    with pytest.raises(InputError):
        decompose(y, {"a": a, "b": b}, ("a",))


def test_nao_standard_errors_are_clustered_by_authority(
    nao_panel: tuple[duckdb.DuckDBPyConnection, dict[str, float]],
) -> None:
    con, _ = nao_panel
    v = NaoDemandModel(con, variants=("nao",)).fit().variants[0]
    assert v.n_clusters == 40 and "clustered by authority" in v.coefficient_basis
    panel = load_panel(
        con, ("cpp_starts_per_10k", "fsm_primary_pct", "under18_conceptions_per_1000")
    )
    n_la, n_year, k = 40, 7, 2

    def within(col: str) -> np.ndarray:  # two-way demeaning (the panel is balanced)
        m = panel[col].to_numpy().reshape(n_la, n_year)
        return m - m.mean(1, keepdims=True) - m.mean(0, keepdims=True) + m.mean()

    x = np.stack([within("fsm_primary_pct"), within("under18_conceptions_per_1000")], 2)
    x = x.reshape(-1, k)
    y = within("cpp_starts_per_10k").ravel()
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    scores = (x * (y - x @ beta)[:, None]).reshape(n_la, n_year, k).sum(1)
    n = n_la * n_year
    # cluster-robust sandwich, small-sample factor G/(G−1)·n/(n−k−G) as linearmodels
    cov = bread @ scores.T @ scores @ bread * n_la / (n_la - 1) * n / (n - k - n_la)
    got = {c.name: c for c in v.coefficients}
    for j, name in enumerate(("fsm_primary_pct", "under18_conceptions_per_1000")):
        assert got[name].estimate == pytest.approx(beta[j])
        assert got[name].std_error == pytest.approx(np.sqrt(cov[j, j]), rel=1e-3)


def test_nao_specification_has_no_spend_and_the_sensitivity_says_why(
    nao_panel: tuple[duckdb.DuckDBPyConnection, dict[str, float]],
) -> None:
    con, _ = nao_panel
    res = NaoDemandModel(con).fit()
    for v in res.variants:
        has_spend = any("spend" in c for c in v.covariates)
        assert has_spend == v.sensitivity == (v.name == "spend_sensitivity")
        assert ("reverse causation" in v.caveat) == v.sensitivity
        assert any(s.block == "spend (sensitivity)" for s in v.shares) == v.sensitivity
    assert res.variant("nao").covariates == ("fsm_primary_pct", "under18_conceptions_per_1000")
    with pytest.raises(InputError):
        NaoDemandModel(con, variants=("with_spend",))
