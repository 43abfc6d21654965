"""Variation in looked-after rates: funnel counts with the default limits and the
authority share of variance after need (real snapshot)."""

from __future__ import annotations

import duckdb
import pytest

from cscwatch.core.errors import InputError
from cscwatch.models.care import CARE_RATES, unnecessary_variation


def test_unnecessary_variation_of_the_looked_after_rate(con: duckdb.DuckDBPyConnection) -> None:
    v = unnecessary_variation(con, "lac_at31_per_10k")
    # The spliced series gives the model 2016-2022 (conceptions end in 2022).
    assert v.years == tuple(range(2016, 2023)) and v.n_authorities >= 150
    assert 0 < v.authority_share_after_need <= v.authority_share_shapley
    assert v.authority_share_shapley <= v.authority_share_first < 1
    total = v.need_share_shapley + v.year_share_shapley + v.authority_share_shapley
    assert total + v.unexplained_share == pytest.approx(1.0)
    # Measured on this snapshot: 28.5% after need and years (Shapley 61.0%).
    assert v.authority_share_after_need == pytest.approx(0.285, abs=0.005)
    years = [f.year for f in v.funnels]
    assert years == list(range(2016, 2026))
    for f in v.funnels:
        assert f.higher + f.lower + f.within == f.n
        # Limits that allow for variation between authorities flag fewer than chance.
        assert f.higher <= f.chance_higher and f.lower <= f.chance_lower
    assert "not explained by measured need" in v.summary
    assert v.to_dict()["indicator"] == "lac_at31_per_10k"


def test_only_looked_after_rates(con: duckdb.DuckDBPyConnection) -> None:
    assert "lac_starts_per_10k" in CARE_RATES
    with pytest.raises(InputError, match="unknown rate"):
        unnecessary_variation(con, "cpp_starts_per_10k")


def test_children_looked_after_forecast_is_backtested_2016_to_2025(
    con: duckdb.DuckDBPyConnection,
) -> None:
    from cscwatch.models.forecast import FORECASTABLE, ForecastBacktest, ForecastModel

    assert {"lac_at31", "spend_lac_gross"} <= set(FORECASTABLE)
    bt = ForecastBacktest(con, "lac_at31", methods=("last_value", "drift")).fit()
    # First origin 2018 (three years 2016-2018), last 2024; targets run to 2025.
    assert bt.origins == tuple(range(2018, 2025)) and bt.last_year == 2025
    s = bt.score("last_value", 1)
    assert s.n_coverage >= 500 and s.coverage80 is not None and s.coverage95 is not None
    # Measured: 79% inside the 80% interval and 94% inside the 95% one, one year ahead.
    assert 0.74 <= s.coverage80 <= 0.86 and 0.90 <= s.coverage95 <= 0.98
    fc = ForecastModel(con, "lac_at31", authority="352", horizon=1, backtest=bt).fit()
    (row,) = fc.rows
    assert row.year == 2026 and row.lower95 <= row.lower80 < row.upper80 <= row.upper95
    assert fc.data_year == "31 March 2025"
