"""The one England and Wales bank-holiday calendar: the years of the old hand table give
the same days, later years work, and validation and measures read the same function."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.easter import easter

from cscwatch.core.bank_holidays import bank_holidays, is_working_day, working_days_before

# The hand table the package replaced (GOV.UK, england-and-wales, 2015 to 2027).
_OLD_TABLE = {
    2015: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2016: ["01-01", "03-25", "03-28", "05-02", "05-30", "08-29", "12-26", "12-27"],
    2017: ["01-02", "04-14", "04-17", "05-01", "05-29", "08-28", "12-25", "12-26"],
    2018: ["01-01", "03-30", "04-02", "05-07", "05-28", "08-27", "12-25", "12-26"],
    2019: ["01-01", "04-19", "04-22", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2020: ["01-01", "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28"],
    2021: ["01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28"],
    2022: [
        "01-03", "04-15", "04-18", "05-02", "06-02", "06-03", "08-29", "09-19", "12-26",
        "12-27",
    ],
    2023: ["01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26"],
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}  # fmt: skip


@pytest.mark.parametrize("year", sorted(_OLD_TABLE))
def test_the_old_tables_years_give_the_same_days(year: int) -> None:
    expected = tuple(date.fromisoformat(f"{year}-{md}") for md in _OLD_TABLE[year])
    assert bank_holidays(year, year) == expected


def test_2028_is_known_with_its_substitute_new_year() -> None:
    # 1 January 2028 is a Saturday: the bank holiday is Monday 3 January. Easter Sunday
    # is 16 April; Christmas Day a Monday.
    assert bank_holidays(2028, 2028) == (
        date(2028, 1, 3), date(2028, 4, 14), date(2028, 4, 17), date(2028, 5, 1),
        date(2028, 5, 29), date(2028, 8, 28), date(2028, 12, 25), date(2028, 12, 26),
    )  # fmt: skip
    assert not is_working_day(date(2028, 1, 3))
    assert is_working_day(date(2028, 1, 4))
    assert not is_working_day(date(2028, 1, 1))  # a Saturday
    # Tuesday 4 January 2028: the working day before it is Friday 31 December 2027
    assert working_days_before(date(2028, 1, 4), 1) == date(2027, 12, 31)


def test_every_year_has_easter_and_only_weekdays() -> None:
    days = bank_holidays(2015, 2040)
    assert days == tuple(sorted(days))
    assert all(d.weekday() < 5 for d in days)
    for year in range(2015, 2041):
        e = easter(year)
        assert e - timedelta(days=2) in days and e + timedelta(days=1) in days


def test_validation_and_measures_read_the_one_calendar() -> None:
    # Neither keeps a table of its own: both name the core function.
    import cscwatch.childlevel.cin.measures as measures
    import cscwatch.childlevel.cin.rules.working_days as rules

    assert rules.is_working_day is is_working_day
    assert rules.working_days_before is working_days_before
    assert measures.bank_holidays is bank_holidays
