"""The indicator catalogue: every indicator declared once.

Each :class:`Indicator` carries its definition for people (title, definition, unit,
numerator, denominator, polarity, source, years) and its derivation for the build
(:class:`Derivation`), so the build, the docs and the benchmarking all read the same
declaration. Indicator ids are stable snake_case strings.

Declarations are grouped by topic in ``_activity`` (referrals, children in need,
child protection, looked after) and ``_context`` (workforce, spend, context, education,
factors); the types are in :mod:`cscwatch.indicators.indicator`.

Year convention: every indicator is keyed by the year ending 31 March in which its
reference date falls (``2015`` = 2014-15). Sources with another reference date are
mapped once, here, with ``year_shift`` and a ``period`` note:

* CIN, child protection and looked-after statistics: year ending 31 March (no shift).
* Children's social work workforce: snapshot at 30 September of ``time_period``, which
  falls in the year ending the following 31 March (``year_shift=1``).
* Section 251 outturn (LAIT ``2016-17 (OT)``): financial year ending 31 March 2017.
* KS2/KS4 (academic year ``202425``): the year ending 31 March 2025, the date on which
  the child was in need.
* ONS mid-year population: the estimate at 30 June of ``Y - 1`` serves year ``Y``, as
  DfE does for its own rates (e.g. 2025 rates use mid-2024 estimates).
"""

from __future__ import annotations

import difflib

from cscwatch.core.errors import UnknownIndicatorError
from cscwatch.indicators._activity import ACTIVITY
from cscwatch.indicators._context import CONTEXT
from cscwatch.indicators.indicator import Derivation, Indicator, Polarity, Unit

__all__ = [
    "CATALOGUE",
    "Derivation",
    "Indicator",
    "Polarity",
    "Unit",
    "get_indicator",
    "suggest_indicators",
]


_INDICATORS: tuple[Indicator, ...] = ACTIVITY + CONTEXT

#: Every indicator by id, in declaration order.
CATALOGUE: dict[str, Indicator] = {i.id: i for i in _INDICATORS}


def suggest_indicators(text: str, n: int = 3) -> list[str]:
    """Close matches to ``text`` among indicator ids."""
    return difflib.get_close_matches(text.strip().lower(), list(CATALOGUE), n=n, cutoff=0.5)


def get_indicator(indicator_id: str) -> Indicator:
    """Look up an indicator.

    Raises
    ------
    UnknownIndicatorError
        With close-match suggestions.
    """
    try:
        return CATALOGUE[indicator_id.strip()]
    except KeyError:
        raise UnknownIndicatorError(indicator_id, suggest_indicators(indicator_id)) from None
