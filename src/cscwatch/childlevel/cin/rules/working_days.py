"""Working days for the CIN census rules: weekdays that are not England and Wales bank holidays.

Source: GOV.UK, *UK bank holidays* (https://www.gov.uk/bank-holidays, data at
https://www.gov.uk/bank-holidays.json, division ``england-and-wales``), including the
one-off holidays of 2020 (VE Day moved to 8 May), 2022 (Platinum Jubilee 3 June, State
Funeral 19 September) and 2023 (Coronation 8 May). 2026 and 2027 are the dates GOV.UK
announced in advance; substitute days follow the usual rule (a holiday on a weekend
moves to the next weekday).
"""

from __future__ import annotations

from datetime import date, timedelta

from cscwatch.core.errors import InputError

__all__ = [
    "BANK_HOLIDAYS",
    "FIRST_YEAR",
    "LAST_YEAR",
    "is_working_day",
    "working_days_before",
]

FIRST_YEAR = 2015
LAST_YEAR = 2027

_TABLE = {
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

#: England and Wales bank holidays, 2015 to 2027.
BANK_HOLIDAYS: frozenset[date] = frozenset(
    date.fromisoformat(f"{year}-{md}") for year, days in _TABLE.items() for md in days
)


def is_working_day(day: date) -> bool:
    """True for Monday to Friday when not an England and Wales bank holiday."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InputError(
            f"no bank-holiday table for {day.year}: working days are known "
            f"for {FIRST_YEAR} to {LAST_YEAR}"
        )
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def working_days_before(day: date, n: int) -> date:
    """The date ``n`` working days before ``day`` (``day`` itself is not counted)."""
    d = day
    left = n
    while left > 0:
        d -= timedelta(days=1)
        if is_working_day(d):
            left -= 1
    return d
