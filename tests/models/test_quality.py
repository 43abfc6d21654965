"""Spend and workforce against the grade in force, on the real warehouse."""

from __future__ import annotations

import json

import duckdb
import pytest

from cscwatch.core.errors import UnknownYearError
from cscwatch.models.quality import MEASURES, QualityModel, QualityResults


def test_quality_results_are_complete_and_round_trip(con: duckdb.DuckDBPyConnection) -> None:
    res = QualityModel(con, 2024, n_boot=50).fit()
    assert [m.measure for m in res.measures] == list(MEASURES)
    for m in res.measures:
        assert m.n > 100
        assert m.spearman is not None and -1 <= m.spearman <= 1
        assert m.spearman_lower is not None and m.spearman_upper is not None
        assert m.spearman_lower <= m.spearman <= m.spearman_upper
        assert sum(g.n for g in m.groups) == m.n
    # spend is £ per child, per child in need, per week and per looked-after child
    ranges = {
        "spend_safeguarding_per_child": (100, 1_500),
        "spend_safeguarding_per_cin": (2_000, 50_000),
        "spend_sw_commissioning_weekly_per_cin": (40, 800),
        "spend_per_looked_after_child": (30_000, 400_000),
    }
    for m in res.measures:
        if m.measure in ranges:
            low, high = ranges[m.measure]
            assert all(low < g.mean < high for g in m.groups if g.mean is not None), m.measure
    assert QualityResults.from_dict(json.loads(json.dumps(res.to_dict()))) == res
    assert list(res.to_frame().index) == list(MEASURES)


def test_quality_refuses_a_year_without_data(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownYearError):
        QualityModel(con, 2001).fit()
