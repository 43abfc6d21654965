"""Disclosure control for anything derived from child-level data that leaves the system.

The convention is the Department for Education's for its *Characteristics of children
in need* statistics (explore-education-statistics.service.gov.uk, "Children in need",
Confidentiality and Rounding notes of the release's data guidance):

* any count from 1 to 5 inclusive is suppressed and shown as ``c``; zero is shown;
* secondary suppression is applied where a suppressed count could be worked out by
  subtraction from a total (here: within each additive group the caller names, when
  exactly one count is suppressed, the smallest other non-zero count is suppressed too);
* England and regional totals are rounded to the nearest 10 (halves up); authority
  counts are not rounded;
* percentages and rates are shown to one decimal place, and are suppressed (``c``)
  wherever a count they are made from is suppressed;
* the publisher's symbols already present (``c x z u k low``) are kept as they are.

:func:`disclose` is the one function every output path (CLI, API, export) calls on a
frame of counts and the percentages or rates made from them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import pandas as pd

from cscwatch.core.errors import InputError
from cscwatch.core.types import STATUS_SYMBOLS, GeoLevel

__all__ = [
    "SMALL_COUNT_MAX",
    "SUPPRESSED",
    "disclose",
    "disclose_count",
    "is_suppressed",
]

#: The symbol shown in place of a suppressed figure.
SUPPRESSED = "c"
#: Counts from 1 to this value (inclusive) are suppressed.
SMALL_COUNT_MAX = 5


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def is_suppressed(value: Any) -> bool:
    """True when ``value`` is the suppression symbol."""
    return isinstance(value, str) and value == SUPPRESSED


def _round_half_up(value: int, base: int) -> int:
    return ((value + base // 2) // base) * base


def disclose_count(value: Any, *, level: GeoLevel | str = GeoLevel.LOCAL_AUTHORITY) -> Any:
    """One count made safe: ``c`` for 1-5, rounded to 10 for England and regions.

    Missing values stay missing; publisher symbols stay as they are.

    Raises
    ------
    InputError
        A value that is not a whole, non-negative number or a publisher symbol.
    """
    if _is_missing(value):
        return None
    if isinstance(value, str):
        if value in STATUS_SYMBOLS:
            return value
        raise InputError(f"count {value!r} is neither a number nor a publisher symbol")
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"count {value!r} is not a number")
    as_float = float(value)
    if not isinstance(value, Integral) and not as_float.is_integer():
        raise InputError(f"count {value!r} is not a whole number")
    n = int(value) if isinstance(value, Integral) else int(as_float)
    if n < 0:
        raise InputError(f"count {n} is negative")
    if 1 <= n <= SMALL_COUNT_MAX:
        return SUPPRESSED
    if GeoLevel(level) is not GeoLevel.LOCAL_AUTHORITY:
        return _round_half_up(n, 10)
    return n


def _disclose_derived(value: Any) -> Any:
    if _is_missing(value):
        return None
    if isinstance(value, str):
        if value in STATUS_SYMBOLS:
            return value
        raise InputError(f"value {value!r} is neither a number nor a publisher symbol")
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"value {value!r} is not a number")
    return round(float(value), 1)


def disclose(
    frame: pd.DataFrame,
    *,
    counts: Sequence[str],
    derived: Mapping[str, Sequence[str]] | None = None,
    level: GeoLevel | str | None = None,
    level_column: str | None = None,
    groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Apply the DfE children-in-need disclosure convention to a frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        Counts (whole numbers, or publisher symbols) and figures derived from them.
        Not changed; a copy is returned.
    counts : sequence of str
        The count columns.
    derived : mapping of str → sequence of str, optional
        Percentage or rate columns, each with the count columns it is made from
        (numerator and denominator). A derived figure is suppressed in every row where
        one of its counts is suppressed (primary or secondary); otherwise rounded to one
        decimal place. Its counts must be in ``counts``.
    level : GeoLevel or str, optional
        The geography of every row (``la`` by default): England and regional counts are
        rounded to 10.
    level_column : str, optional
        Instead of ``level``, a column giving each row's geography.
    groups : sequence of str, optional
        Columns naming additive groups: rows sharing these values are parts of one
        total (e.g. ``["la_code", "year"]`` for a breakdown by category). Within each
        group and count column, when exactly one count is suppressed the smallest other
        non-zero count is suppressed too, so the hidden one cannot be found by
        subtraction.

    Returns
    -------
    pandas.DataFrame
        A copy where every count and derived column holds Python ``int``/``float``
        values, ``None`` or a symbol string (``object`` dtype).

    Raises
    ------
    InputError
        A count that is negative, fractional or not a number; a derived column naming a
        column not in ``counts``; both ``level`` and ``level_column``.
    """
    derived = dict(derived or {})
    if level is not None and level_column is not None:
        raise InputError("give level or level_column, not both")
    for col, parts in derived.items():
        missing = [p for p in parts if p not in counts]
        if missing:
            raise InputError(f"derived column {col!r} is made from {missing}, not in counts")
    for col in [*counts, *derived, *(groups or []), *([level_column] if level_column else [])]:
        if col not in frame.columns:
            raise InputError(f"no column {col!r} to disclose")

    out = frame.copy()
    levels = (
        list(frame[level_column])
        if level_column is not None
        else [level or GeoLevel.LOCAL_AUTHORITY] * len(frame)
    )
    raw = {c: list(frame[c]) for c in counts}
    safe = {
        c: [disclose_count(v, level=lv) for v, lv in zip(raw[c], levels, strict=True)]
        for c in counts
    }
    if groups:
        _secondary(frame, groups, raw, safe)
    for c in counts:
        out[c] = pd.Series(safe[c], index=frame.index, dtype=object)
    for col, parts in derived.items():
        values = [_disclose_derived(v) for v in frame[col]]
        for i in range(len(values)):
            if any(is_suppressed(safe[p][i]) for p in parts):
                values[i] = SUPPRESSED
        out[col] = pd.Series(values, index=frame.index, dtype=object)
    return out


def _secondary(
    frame: pd.DataFrame,
    groups: Sequence[str],
    raw: dict[str, list[Any]],
    safe: dict[str, list[Any]],
) -> None:
    # Within each additive group, never leave exactly one suppressed count.
    positions: dict[tuple[Any, ...], list[int]] = {}
    keys = frame[list(groups)].itertuples(index=False, name=None)
    for i, key in enumerate(keys):
        positions.setdefault(tuple(key), []).append(i)
    for col, values in safe.items():
        for rows in positions.values():
            if len(rows) < 2:
                continue
            hidden = [i for i in rows if is_suppressed(values[i])]
            if len(hidden) != 1:
                continue
            candidates = [
                i
                for i in rows
                if not is_suppressed(values[i])
                and isinstance(values[i], int)
                and isinstance(raw[col][i], Real)
                and raw[col][i] > 0
            ]
            if candidates:
                smallest = min(candidates, key=lambda i: (raw[col][i], i))
                values[smallest] = SUPPRESSED
