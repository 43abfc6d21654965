"""Small shared value types: reporting years and geography levels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from cscwatch.core.errors import UnknownYearError

__all__ = ["STATUS_SYMBOLS", "GeoLevel", "Year", "parse_year"]

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
        return f"{self.end - 1}-{self.end % 100:02d}"

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
