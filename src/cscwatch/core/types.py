"""Small shared value types: reporting years, the publisher's periods and geography
levels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from cscwatch.core.errors import UnknownYearError

__all__ = [
    "STATUS_SYMBOLS",
    "GeoLevel",
    "PeriodKind",
    "Year",
    "parse_period",
    "parse_year",
    "period_label",
]

#: The publisher's status symbols, kept verbatim in ``observation.status``.
#: c confidential (small numbers), x not available, z not applicable,
#: u low reliability, k and low: rounds to zero, - (LAIT) no data.
STATUS_SYMBOLS: frozenset[str] = frozenset({"c", "x", "z", "u", "k", "low", "-"})
# "-" is LAIT's own mark for "no data"; kept verbatim like the others.


class GeoLevel(StrEnum):
    """Geography of an observation."""

    NATIONAL = "national"
    REGIONAL = "regional"
    LOCAL_AUTHORITY = "la"


class PeriodKind(StrEnum):
    """What the year of an indicator names, as its publisher labels it.

    Every indicator is stored under the publisher's own ``time_period`` as an integer
    ``Y`` and declares one of these kinds; :func:`period_label` says what ``Y`` means.

    * ``FINANCIAL_YEAR`` — the year ending 31 March ``Y`` (``2024-25``): events during
      the year, section 251 outturn.
    * ``AT_31_MARCH`` — a count on 31 March ``Y`` (``31 March 2025``).
    * ``AT_30_SEPTEMBER`` — the workforce census snapshot of 30 September ``Y``
      (``30 September 2024``; DfE's workforce ``time_period`` 2024).
    * ``YEAR_TO_30_SEPTEMBER`` — the year to 30 September ``Y`` from the same census
      (leavers, sickness absence).
    * ``ACADEMIC_YEAR`` — the academic year ending in the summer of ``Y``
      (``2024/25``; DfE's ``time_period`` 202425).
    * ``JANUARY_CENSUS`` — the school census of January ``Y``.
    * ``CALENDAR_YEAR`` — January to December ``Y``.
    * ``MID_YEAR`` — ONS mid-year estimate at 30 June ``Y`` (``mid-2024``).
    """

    FINANCIAL_YEAR = "financial_year"
    AT_31_MARCH = "at_31_march"
    AT_30_SEPTEMBER = "at_30_september"
    YEAR_TO_30_SEPTEMBER = "year_to_30_september"
    ACADEMIC_YEAR = "academic_year"
    JANUARY_CENSUS = "january_census"
    CALENDAR_YEAR = "calendar_year"
    MID_YEAR = "mid_year"


def period_label(kind: PeriodKind | str, year: int, *, short: bool = False) -> str:
    """The publisher's name for year ``year`` of a period of ``kind``.

    ``short`` gives the compact form for chart axes (``Sep 2024`` for ``30 September
    2024``); the two forms name the same period.

    >>> period_label(PeriodKind.AT_30_SEPTEMBER, 2017)
    '30 September 2017'
    >>> period_label(PeriodKind.FINANCIAL_YEAR, 2025)
    '2024-25'
    >>> period_label(PeriodKind.ACADEMIC_YEAR, 2025)
    '2024/25'
    """
    k = PeriodKind(kind)
    y = int(year)
    span = f"{y - 1}-{y % 100:02d}"
    if k is PeriodKind.FINANCIAL_YEAR:
        return span
    if k is PeriodKind.ACADEMIC_YEAR:
        return f"{y - 1}/{y % 100:02d}"
    if k is PeriodKind.AT_31_MARCH:
        return f"Mar {y}" if short else f"31 March {y}"
    if k is PeriodKind.AT_30_SEPTEMBER:
        return f"Sep {y}" if short else f"30 September {y}"
    if k is PeriodKind.YEAR_TO_30_SEPTEMBER:
        return f"Sep {y}" if short else f"year to 30 September {y}"
    if k is PeriodKind.JANUARY_CENSUS:
        return f"Jan {y}" if short else f"January {y}"
    if k is PeriodKind.MID_YEAR:
        return f"mid-{y}"
    return str(y)


_YEAR_FULL = re.compile(r"^(\d{4})$")
_YEAR_RANGE = re.compile(r"^(\d{4})\s*[-/]\s*(\d{2}|\d{4})$")
_YEAR_ACADEMIC = re.compile(r"^(\d{4})(\d{2})$")


@dataclass(frozen=True, order=True)
class Year:
    """A reporting year, named by the calendar year in which it ends (31 March).

    ``Year(2015)`` is the year 1 April 2014 to 31 March 2015, written ``2014-15``.
    """

    end: int

    @property
    def label(self) -> str:
        """The ``2014-15`` form."""
        return period_label(PeriodKind.FINANCIAL_YEAR, self.end)

    def __str__(self) -> str:
        return str(self.end)


def parse_year(text: str | int) -> Year:
    """Parse ``2015``, ``2014-15``, ``2014/15``, ``2014-2015`` or ``201415``.

    Raises
    ------
    UnknownYearError
        When the text is not a year in one of those forms or the range is not one year.
    """
    s = str(text).strip()
    m = _YEAR_FULL.match(s)
    if m:
        y = int(m.group(1))
    elif (m := _YEAR_RANGE.match(s)) or (m := _YEAR_ACADEMIC.match(s)):
        start = int(m.group(1))
        tail = m.group(2)
        end = int(tail) if len(tail) == 4 else (start // 100) * 100 + int(tail)
        if end < start:
            end += 100
        if end != start + 1:
            raise UnknownYearError(f"year {s!r} does not span one year (e.g. 2014-15)")
        y = end
    else:
        raise UnknownYearError(f"year {s!r} is not a year; use 2015 or 2014-15")
    if not 1990 <= y <= 2100:
        raise UnknownYearError(f"year {s!r} is out of range")
    return Year(y)


#: Kinds whose year ``Y`` lies within the span written ``Y-1``-``Y`` (``2024-25``), so a
#: span names one of their years without doubt.
_SPAN_KINDS = frozenset(
    {
        PeriodKind.FINANCIAL_YEAR,
        PeriodKind.AT_31_MARCH,
        PeriodKind.ACADEMIC_YEAR,
        PeriodKind.JANUARY_CENSUS,
    }
)


def parse_period(text: str | int, kind: PeriodKind | str) -> int:
    """Parse a year of a period of ``kind``, as :func:`period_label` names it.

    ``2025`` is always year 2025 of the publisher. A span (``2024-25``, ``2024/25``,
    ``202425``) is accepted for periods that lie within it — the year ending 31 March,
    31 March, the academic year, the January census — and refused for the others, where
    it would be ambiguous: the workforce census of 30 September 2024 falls in 2024-25
    but is DfE's year 2024.

    Raises
    ------
    UnknownYearError
        When the text is not a year, or is a span for a period that a span does not name.
    """
    k = PeriodKind(kind)
    s = str(text).strip()
    year = parse_year(s).end
    if not _YEAR_FULL.match(s) and k not in _SPAN_KINDS:
        raise UnknownYearError(
            f"year {s!r} is ambiguous here: {period_label(k, year - 1)} is year {year - 1} "
            f"and {period_label(k, year)} is year {year}; give the year alone"
        )
    return year
