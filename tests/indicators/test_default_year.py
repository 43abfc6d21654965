"""One rule for "the latest year if none is given" (indicators.benchmarking.default_year),
and every view that picks a default year follows it."""

from __future__ import annotations

import json

import duckdb
import pytest

from cscwatch.core.config import Settings
from cscwatch.core.errors import UnknownIndicatorError, UnknownYearError
from cscwatch.indicators.benchmarking import available_years, default_year


def test_default_is_the_latest_year_with_a_published_authority_value(
    con: duckdb.DuckDBPyConnection,
) -> None:
    latest = con.execute(
        "SELECT max(year) FROM observation WHERE indicator = 'rereferrals_pct' "
        "AND geo_level = 'la' AND value IS NOT NULL AND NOT provisional"
    ).fetchone()
    assert latest is not None
    assert (
        default_year(con, "rereferrals_pct")
        == latest[0]
        == available_years(con, "rereferrals_pct")[-1]
    )


def test_a_given_year_is_read_as_the_indicators_own_period(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert default_year(con, "rereferrals_pct", "2023-24") == 2024
    assert default_year(con, "caseload", 2017) == 2017
    with pytest.raises(UnknownYearError):
        default_year(con, "caseload", "2016-17")  # a span does not name a 30 September census


def test_no_figures_and_unknown_indicators_are_clear_errors(
    con: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(UnknownYearError, match="section 251"):
        default_year(con, "spend_social_work_per_cin_episode")
    with pytest.raises(UnknownIndicatorError):
        default_year(con, "rereferals_pct")


def test_the_cli_defaults_to_that_year(cli, warehouse: Settings) -> None:
    env = {"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)}
    code, out, err = cli("variation", "cpp_at31_per_10k", "--format", "json", env=env)
    assert code == 0, err
    with duckdb.connect(str(warehouse.warehouse), read_only=True) as c:
        expected = default_year(c, "cpp_at31_per_10k")
    assert json.loads(out)["year"] == expected


def test_a_year_without_figures_is_refused_in_the_publishers_labels(
    con: duckdb.DuckDBPyConnection,
) -> None:
    from cscwatch.core.catalogue import get_indicator
    from cscwatch.indicators import benchmarking, comparisons, observations, variation

    ind = get_indicator("rereferrals_pct")  # a financial year: 2024-25, keyed 2025
    years = available_years(con, ind.id)
    span = f"years available: {ind.year_label(years[0])} to {ind.year_label(years[-1])}"
    assert "-" in ind.year_label(years[-1])
    refusals = (
        lambda: variation.variation(con, ind.id, 2005),
        lambda: variation.funnel(con, ind.id, 2005),
        lambda: benchmarking.benchmark(con, "Leeds", ind.id, 2005),
        lambda: comparisons.compare(con, ["Leeds"], ind.id, 2005),
        lambda: comparisons.neighbour_comparison(con, "Leeds", ind.id, 2005),
        lambda: observations.indicator_table(con, ind.id, 2005),
    )
    for refuse in refusals:
        with pytest.raises(UnknownYearError) as caught:
            refuse()
        assert f"in {ind.year_label(2005)};" in str(caught.value), caught.value
        assert str(caught.value).endswith(span), caught.value
