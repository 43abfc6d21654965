"""Sufficiency view and the price-volume split of looked-after spend (real snapshot)."""

from __future__ import annotations

import math
from typing import Any, cast

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscwatch.core.errors import InputError, UnknownAuthorityError
from cscwatch.indicators.sufficiency import (
    TREND_INDICATORS,
    lmdi,
    national_picture,
    sufficiency,
)

_pos = st.floats(min_value=1.0, max_value=1e10, allow_nan=False, allow_infinity=False)


@given(_pos, _pos, _pos, _pos)
def test_lmdi_adds_up_exactly(s0: float, s1: float, n0: float, n1: float) -> None:
    vol, price = lmdi(s0, s1, n0, n1)
    assert vol + price == pytest.approx(s1 - s0, rel=1e-9, abs=1e-6 * max(s0, s1))


def test_lmdi_pure_volume_and_pure_price() -> None:
    vol, price = lmdi(100.0, 200.0, 10.0, 20.0)  # twice the children, same cost each
    assert vol == pytest.approx(100.0) and price == pytest.approx(0.0)
    vol, price = lmdi(100.0, 150.0, 10.0, 10.0)
    assert vol == 0.0 and price == pytest.approx(50.0)
    assert lmdi(100.0, 100.0, 10.0, 10.0) == (0.0, 0.0)
    with pytest.raises(InputError):
        lmdi(0.0, 1.0, 1.0, 1.0)


@pytest.mark.parametrize("place", [None, "North West", "E12000002", "Manchester", "838"])
def test_decomposition_sums_to_the_change_in_spend(
    con: duckdb.DuckDBPyConnection, place: str | None
) -> None:
    s = sufficiency(con, place)
    d = s.decomposition
    assert d is not None
    t = d.total
    assert t.volume_effect + t.price_effect == pytest.approx(t.change, rel=1e-9)
    assert t.change == pytest.approx(t.spend_to - t.spend_from)
    for step in d.steps:
        assert step.volume_effect + step.price_effect == pytest.approx(step.change, rel=1e-9)
        assert (
            math.copysign(1, step.volume_effect)
            == math.copysign(1, step.children_to - step.children_from)
            or step.children_to == step.children_from
        )
    assert sum(x.change for x in d.steps) == pytest.approx(t.change)
    assert s.data_to == "2024-25"
    decomposition = cast(dict[str, Any], s.to_dict()["decomposition"])
    assert decomposition["volume_share"] == d.volume_share


def test_england_cost_growth_is_mostly_price(con: duckdb.DuckDBPyConnection) -> None:
    s = sufficiency(con)
    assert (s.geo_level, s.geo_code, s.name) == ("national", "E92000001", "England")
    d = s.decomposition
    assert d is not None and (d.total.year_from, d.total.year_to) == (2017, 2025)
    # Measured: £4,156.7m (2016-17) to £8,955.4m (2024-25); 15% of the rise is volume.
    assert d.total.spend_from == pytest.approx(4_156.7e6, rel=1e-4)
    assert d.total.spend_to == pytest.approx(8_955.4e6, rel=1e-4)
    assert d.volume_share == pytest.approx(0.155, abs=0.001)
    assert {p.indicator for p in s.trends} == set(TREND_INDICATORS)


def test_dorset_starts_at_its_first_year(con: duckdb.DuckDBPyConnection) -> None:
    d = sufficiency(con, "Dorset").decomposition
    assert d is not None and d.total.year_from == 2020  # the 2019 reorganisation


def test_suppressed_figures_stay_symbols(con: duckdb.DuckDBPyConnection) -> None:
    s = sufficiency(con, "Manchester")
    assert all((p.value is None) == (p.status is not None) for p in s.trends)


def test_unknown_place(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownAuthorityError):
        sufficiency(con, "Atlantis")


def test_national_picture(con: duckdb.DuckDBPyConnection) -> None:
    rows = national_picture(con)
    assert rows[0].name == "England" and len(rows) == 10
    for r in rows:
        assert r.decomposition is not None
        assert [i for i, _, _ in r.values] == list(TREND_INDICATORS)
