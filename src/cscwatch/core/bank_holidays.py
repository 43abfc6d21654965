"""England and Wales bank holidays and working days: the one calendar of the CIN census.

The CIN census rules (45 working days for an assessment, 15 for an initial child
protection conference, one working day before the census year) and the measures built
from a return count *working days*: Monday to Friday, not a bank holiday in England
and Wales. Validation and measures both read :func:`bank_holidays`, so the two can
never disagree about a day.

Source: the maintained ``holidays`` package (``holidays.country_holidays("GB",
subdiv="ENG")``), which follows GOV.UK's *UK bank holidays* for the ``england-and-wales``
division: the fixed and Easter holidays, substitute days when a holiday falls at a
weekend, and the one-off holidays (VE Day moved to 8 May 2020; the Platinum Jubilee
3 June and the State Funeral 19 September 2022; the Coronation 8 May 2023). England and
Wales share one list; subdivision ``ENG`` is used. A one-off holiday announced after
the installed ``holidays`` release is not known until the package is upgraded.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

__all__ = ["bank_holidays", "is_working_day", "working_days_before"]


def bank_holidays(first_year: int, last_year: int) -> tuple[date, ...]:
    """England and Wales bank holidays from 1 January ``first_year`` to 31 December ``last_year``.

    Parameters
    ----------
    first_year, last_year : int
        Calendar years, inclusive.

    Returns
    -------
    tuple of date
        Sorted; every date a weekday (a holiday on a weekend appears as its substitute).

    Examples
    --------
    >>> bank_holidays(2028, 2028)[:2]
    (datetime.date(2028, 1, 3), datetime.date(2028, 4, 14))
    """
    return tuple(d for year in range(first_year, last_year + 1) for d in _year(year))


@cache
def _year(year: int) -> tuple[date, ...]:
    """One year's bank holidays, weekdays only (the package also lists the weekend date)."""
    import holidays  # half a second to import: only when a working day is asked for

    days = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return tuple(sorted(d for d in days if d.weekday() < 5))


def is_working_day(day: date) -> bool:
    """True for Monday to Friday when not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in _year(day.year)


def working_days_before(day: date, n: int) -> date:
    """The date ``n`` working days before ``day`` (``day`` itself is not counted)."""
    d = day
    left = n
    while left > 0:
        d -= timedelta(days=1)
        if is_working_day(d):
            left -= 1
    return d
