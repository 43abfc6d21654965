"""Year parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscwatch.core.errors import UnknownYearError
from cscwatch.core.types import Year, parse_year


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("2015", 2015),
        ("2014-15", 2015),
        ("2014/15", 2015),
        ("2014-2015", 2015),
        ("201415", 2015),
        (" 2024-25 ", 2025),
        (2020, 2020),
        ("1999-00", 2000),
    ],
)
def test_parse_year_forms(text: str | int, end: int) -> None:
    assert parse_year(text) == Year(end)


@pytest.mark.parametrize("text", ["", "15", "2014-16", "twenty", "2014-13", "3000", "2015-1"])
def test_parse_year_rejects(text: str) -> None:
    with pytest.raises(UnknownYearError):
        parse_year(text)


@given(st.integers(min_value=1991, max_value=2100))
def test_label_round_trips(end: int) -> None:
    year = Year(end)
    assert parse_year(year.label) == year
    assert parse_year(str(year)) == year
