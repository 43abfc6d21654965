"""Year parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscwatch.core.errors import UnknownYearError
from cscwatch.core.types import PeriodKind, Year, parse_period, parse_year, period_label


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


@pytest.mark.parametrize(
    ("kind", "year", "label", "short"),
    [
        (PeriodKind.FINANCIAL_YEAR, 2025, "2024-25", "2024-25"),
        (PeriodKind.AT_31_MARCH, 2025, "31 March 2025", "Mar 2025"),
        (PeriodKind.AT_30_SEPTEMBER, 2017, "30 September 2017", "Sep 2017"),
        (PeriodKind.YEAR_TO_30_SEPTEMBER, 2025, "year to 30 September 2025", "Sep 2025"),
        (PeriodKind.ACADEMIC_YEAR, 2025, "2024/25", "2024/25"),
        (PeriodKind.JANUARY_CENSUS, 2025, "January 2025", "Jan 2025"),
        (PeriodKind.CALENDAR_YEAR, 2022, "2022", "2022"),
        (PeriodKind.MID_YEAR, 2024, "mid-2024", "mid-2024"),
    ],
)
def test_period_label_names_each_kind_as_its_publisher_does(
    kind: PeriodKind, year: int, label: str, short: str
) -> None:
    assert period_label(kind, year) == label
    assert period_label(kind.value, year, short=True) == short


def test_every_period_kind_has_its_own_label() -> None:
    labels = {period_label(k, 2025) for k in PeriodKind}
    assert len(labels) == len(PeriodKind)


@given(st.sampled_from(list(PeriodKind)), st.integers(min_value=1991, max_value=2100))
def test_a_bare_year_is_the_publishers_year_for_every_kind(kind: PeriodKind, year: int) -> None:
    assert parse_period(str(year), kind) == year


@pytest.mark.parametrize(
    ("kind", "text", "year"),
    [
        (PeriodKind.FINANCIAL_YEAR, "2024-25", 2025),
        (PeriodKind.AT_31_MARCH, "2024/25", 2025),
        (PeriodKind.ACADEMIC_YEAR, "202425", 2025),
        (PeriodKind.JANUARY_CENSUS, "2024-2025", 2025),
    ],
)
def test_a_span_names_a_period_that_lies_within_it(kind: PeriodKind, text: str, year: int) -> None:
    assert parse_period(text, kind) == year


@pytest.mark.parametrize(
    "kind",
    [
        PeriodKind.AT_30_SEPTEMBER,
        PeriodKind.YEAR_TO_30_SEPTEMBER,
        PeriodKind.CALENDAR_YEAR,
        PeriodKind.MID_YEAR,
    ],
)
def test_a_span_is_refused_where_it_would_be_ambiguous(kind: PeriodKind) -> None:
    with pytest.raises(UnknownYearError, match="ambiguous") as err:
        parse_period("2024-25", kind)
    assert "\n" not in str(err.value)
    assert period_label(kind, 2024) in str(err.value) and period_label(kind, 2025) in str(err.value)
