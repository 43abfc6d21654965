"""The indicator catalogue: every indicator declared once.

Each :class:`Indicator` carries its definition for people (title, definition, unit,
numerator, denominator, polarity, source, years) and its derivation for the build
(:class:`Derivation`), so the build, the docs and the benchmarking all read the same
declaration. Indicator ids are stable snake_case strings.

Declarations are grouped by topic in ``_activity`` (referrals, children in need,
child protection, looked after), ``_context`` (workforce, spend, context, education,
factors) and ``_care`` (children in care from LAIT: placements, leaving care, unit
costs and spend); the types are in :mod:`cscwatch.core.catalogue.indicator`.

Year convention: every indicator is stored under its publisher's own year (the
integer ``time_period``) and declares a :class:`~cscwatch.core.types.PeriodKind` that
says what that year names; :meth:`Indicator.year_label` writes it as the publisher does.
Nothing is shifted at build: lining a snapshot up with the year ending 31 March that it
informs is a modelling choice, made in one table inside the models
(:data:`cscwatch.models._data.ALIGNMENT`).

* CIN, child protection and looked-after statistics: the year ending 31 March
  (``2024-25``), or a count on 31 March (``31 March 2025``).
* Children's social work workforce: DfE's ``time_period`` 2024 is the census of
  30 September 2024 (``30 September 2024``; leavers and absence: the year to it).
* Section 251 outturn (LAIT ``2016-17 (OT)``): financial year ending 31 March 2017.
* KS2/KS4 (academic year ``202425``): stored as 2025, shown ``2024/25``; LAIT's
  attainment years are academic years named by their end (``2025``).
* LAIT free school meals: the January school census of the year; under-18
  conceptions: the calendar year.
* ONS mid-year population: ``population_0_17`` is the estimate at 30 June of its year
  (``mid-2024``). Rates divide by the latest estimate before their period ends: the
  mid-year ``Y - 1`` estimate for the year ending 31 March ``Y``, as DfE does (2025 rates
  use mid-2024), and the mid-``Y`` estimate for the workforce census of 30 September
  ``Y``.
"""

from __future__ import annotations

import difflib

from cscwatch.core.catalogue._activity import ACTIVITY
from cscwatch.core.catalogue._care import CARE
from cscwatch.core.catalogue._context import CONTEXT
from cscwatch.core.catalogue.indicator import (
    Derivation,
    Indicator,
    IndicatorRecord,
    Polarity,
    Unit,
)
from cscwatch.core.errors import InputError, UnknownIndicatorError

__all__ = [
    "CATALOGUE",
    "TOPIC_GROUPS",
    "Derivation",
    "Indicator",
    "IndicatorRecord",
    "Polarity",
    "Unit",
    "get_indicator",
    "suggest_indicators",
    "topic_indicators",
]


_INDICATORS: tuple[Indicator, ...] = ACTIVITY + CONTEXT + CARE

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


#: Named groups of topics (and single indicators filed under another topic) that a
#: profile can be narrowed to, beside every catalogue topic on its own.
TOPIC_GROUPS: dict[str, tuple[str, ...]] = {
    "care": (
        "looked_after",
        "care_placements",
        "care_leavers",
        "care_spend",
        "spend_lac_per_child",
        "spend_per_looked_after_child",
    ),
}


def topic_indicators(topic: str) -> tuple[str, ...]:
    """The indicator ids of a catalogue topic or of a :data:`TOPIC_GROUPS` group, in
    catalogue order.

    Raises
    ------
    InputError
        Neither a topic nor a group (the message lists them).
    """
    key = topic.strip().lower()
    topics = {i.topic for i in _INDICATORS}
    if key in TOPIC_GROUPS:
        names = set(TOPIC_GROUPS[key])
        return tuple(i.id for i in _INDICATORS if i.topic in names or i.id in names)
    if key in topics:
        return tuple(i.id for i in _INDICATORS if i.topic == key)
    known = ", ".join(sorted(topics | set(TOPIC_GROUPS)))
    raise InputError(f"unknown topic {topic!r}; use one of {known}")
