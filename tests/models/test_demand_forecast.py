"""Fixed effects recover known effects; forecasts beat last value on AR data; JSON
round-trips."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pytest

from cscwatch.core.errors import InputError
from cscwatch.models._data import load_panel
from cscwatch.models.demand import (
    COVARIATES,
    SPEND_COVARIATES,
    DemandModel,
    DemandResults,
    shapley_r2,
)
from cscwatch.models.demand_nao import NaoDemandModel, NaoResults, decompose
from cscwatch.models.forecast import (
    MIN_CALIBRATION,
    ForecastBacktest,
    ForecastBacktestResults,
    ForecastModel,
    ForecastResults,
    MethodScore,
    cached_backtest,
    choose_method,
    data_year_label,
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


def test_spend_is_a_sensitivity_not_a_default_covariate(
    demand_panel: tuple[duckdb.DuckDBPyConnection, dict[str, float]],
) -> None:
    con, truth = demand_panel
    default = DemandModel(con, "cpp_starts_per_10k").fit()
    assert {c.name for c in default.coefficients} == set(COVARIATES)
    assert not any("spend" in c for c in COVARIATES)
    res = DemandModel(con, "cpp_starts_per_10k", covariates=COVARIATES + SPEND_COVARIATES).fit()
    coef = {c.name: c for c in res.coefficients}
    assert "log_spend_safeguarding_per_child" in coef
    c = coef["fsm_primary_pct"]  # spend is noise in the truth: fsm is still recovered
    assert c.lower < truth["fsm_primary_pct"] < c.upper
    for s in res.decomposition:  # Shapley lies inside the range over orders
        assert s.low is not None and s.high is not None
        assert s.low - 1e-12 <= s.share_of_variance <= s.high + 1e-12


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
    assert pooled.diff_upper is not None and pooled.diff_upper < 0  # the gain excludes zero
    assert "excludes zero" in bt.reason
    assert ForecastBacktestResults.from_dict(json.loads(json.dumps(bt.to_dict()))) == bt
    fc = ForecastModel(con, "cin_at31_per_10k", horizon=2, authority="400", backtest=bt).fit()
    assert fc.method == "pooled_ar" and [r.year for r in fc.rows] == [2026, 2027]
    assert [r.horizon for r in fc.rows] == [1, 2]
    assert fc.last_year == 2025 and fc.data_year == "31 March 2025"
    r = fc.rows[0]
    assert 0 < r.lower95 < r.lower80 < r.point < r.upper80 < r.upper95
    assert [h for h, *_ in fc.coverage] == [1, 2]
    assert fc.not_forecast == ()
    assert ForecastResults.from_dict(json.loads(json.dumps(fc.to_dict()))) == fc


def test_calibrated_intervals_cover_as_promised_out_of_time(
    ar_panel: Callable[[], duckdb.DuckDBPyConnection],
) -> None:
    bt = ForecastBacktest(ar_panel(), "cin_at31_per_10k", methods=("last_value", "pooled_ar")).fit()
    for method in ("last_value", "pooled_ar"):
        for h in (1, 2, 3):
            s = bt.score(method, h)
            assert s.n_coverage >= 200
            # 80 authorities share each origin's shock, so allow a few points either way
            assert s.coverage80 is not None and 0.72 <= s.coverage80 <= 0.88
            assert s.coverage95 is not None and 0.90 <= s.coverage95 <= 0.99
            cal = bt.calibrated(method, h)
            assert cal is not None and cal.usable and cal.n >= MIN_CALIBRATION
            assert cal.q025 < cal.q10 < cal.q90 < cal.q975  # type: ignore[operator]
    # wider the further ahead, for the method that does not mean-revert
    widths = [bt.calibrated("last_value", h).q975 - bt.calibrated("last_value", h).q025  # type: ignore[union-attr,operator]
              for h in (1, 2, 3)]  # fmt: skip
    assert widths[0] < widths[2]


def test_a_method_is_kept_only_when_its_gain_interval_excludes_zero() -> None:
    def pooled(method: str, mase: float, lo: float | None, hi: float | None) -> MethodScore:
        diff = None if lo is None else mase - 1.0
        return MethodScore(method, 0, 100, mase, 10.0, 100, 0.8, 0.95, 0.8, 0.95, diff, lo, hi)

    base = pooled("last_value", 1.0, None, None)
    # lower point MASE, but the interval of the gain includes zero: not kept
    kept, best, reason = choose_method([base, pooled("pooled_ar", 0.97, -0.058, 0.001)])
    assert kept == () and best == "last_value" and "last value is used" in reason
    kept, best, _ = choose_method(
        [base, pooled("pooled_ar", 0.93, -0.10, -0.04), pooled("damped", 0.90, -0.2, -0.01)]
    )
    assert kept == ("pooled_ar", "damped") and best == "damped"
    kept, best, _ = choose_method([base, pooled("drift", 1.3, 0.2, 0.4)])
    assert kept == () and best == "last_value"


def test_no_forecast_at_a_horizon_whose_interval_was_never_tested(
    ar_panel: Callable[[], duckdb.DuckDBPyConnection],
) -> None:
    con = ar_panel()
    con.execute("DELETE FROM observation WHERE year < 2021")  # five years, as looked-after
    fc = ForecastModel(con, "cin_at31_per_10k", authority="401").fit()
    assert fc.horizon == 1 and [r.year for r in fc.rows] == [2026]
    assert fc.coverage[0][1] is not None  # measured at origin 2024
    with pytest.raises(InputError, match="never tested"):
        ForecastModel(con, "cin_at31_per_10k", horizon=2, authority="401").fit()
    bt = ForecastBacktest(con, "cin_at31_per_10k").fit()
    assert bt.score("last_value", 2).n_coverage == 0  # errors at 2, coverage never measured
    assert bt.calibrated("last_value", 3) is not None
    assert not bt.calibrated("last_value", 3).usable  # type: ignore[union-attr]


def test_backtest_cache_is_keyed_by_the_warehouse_file(
    ar_panel: Callable[[], duckdb.DuckDBPyConnection],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = load_panel(ar_panel(), ("cin_at31_per_10k",))["cin_at31_per_10k"].dropna()
    # ten of the 80 authorities: the cache's keys are under test, not the fit, and the
    # damped method's fits at every origin cost about 0.3 s CPU per authority
    panel = panel.loc[panel.index.get_level_values("la_code") < "410"]
    wh = tmp_path / "w.duckdb"
    wh.write_bytes(b"one")
    cache = tmp_path / "cache"
    fits: list[ForecastBacktestResults] = []
    real_fit = ForecastBacktest.fit

    def counted_fit(self: ForecastBacktest) -> ForecastBacktestResults:
        # the first fit is real (its results must survive the cache's round trip); a
        # refit of the same panel would give the same results, so later ones reuse it
        fits.append(fits[0] if fits else real_fit(self))
        return fits[-1]

    monkeypatch.setattr(ForecastBacktest, "fit", counted_fit)
    first = cached_backtest(panel, "cin_at31_per_10k", 1, cache_dir=cache, warehouse=wh)
    files = list((cache / "forecast").glob("*.json"))
    assert len(files) == 1 and len(fits) == 1
    assert cached_backtest(panel, "cin_at31_per_10k", 1, cache_dir=cache, warehouse=wh) == first
    assert len(fits) == 1  # read from the cache, not fitted again
    wh.write_bytes(b"a rebuilt warehouse")  # new size and time: a new key
    cached_backtest(panel, "cin_at31_per_10k", 1, cache_dir=cache, warehouse=wh)
    assert len(fits) == 2  # fitted again
    assert len(list((cache / "forecast").glob("*.json"))) == 2


def test_a_damped_fit_is_made_once_for_every_horizon_and_forecasts_as_a_fresh_one() -> None:
    from cscwatch.models._forecast_methods import _damped_fit, forecast_series

    y = np.exp(np.random.default_rng(3).normal(5, 0.2, size=10))
    _damped_fit.cache_clear()
    fcs = {h: forecast_series({"a": y}, "damped", h)["a"] for h in (1, 3, 5, 7)}
    info = _damped_fit.cache_info()
    assert (info.misses, info.hits) == (2, 2)  # one fit to five years, one to seven
    fresh = _damped_fit.__wrapped__(y.tobytes(), 7)[4]  # not kept: fitted again
    for h, fc in fcs.items():
        assert np.array_equal(fc.point, fresh[:h]) and fc.sd.shape == (h,)
    assert np.array_equal(fcs[3].sd, fcs[5].sd[:3])  # the spread grows step by step


def test_data_year_is_the_publishers() -> None:
    assert data_year_label("cin_at31_per_10k", 2025) == "31 March 2025"
    assert data_year_label("cpp_starts_per_10k", 2025) == "2024-25"


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
