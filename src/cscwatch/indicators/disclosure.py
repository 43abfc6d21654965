"""Disclosure control for anything derived from child-level data that leaves the system.

The convention is the Department for Education's for its *Characteristics of children
in need* statistics (explore-education-statistics.service.gov.uk, "Children in need",
data guidance, "Confidentiality and rounding"; and the DfE *Statement of
confidentiality and access* / the Code of Practice for Statistics principle T6.4, which
asks producers to "protect the confidentiality of individuals"):

* **primary suppression**: any count from 1 to 5 inclusive is suppressed and shown as
  ``c``; zero is shown (DfE: "figures ... of 1 to 5 ... are suppressed");
* **secondary suppression**: DfE suppresses further figures "where they could be used to
  work out a suppressed figure". Here every output declares the arithmetic that ties its
  cells together — a total and its parts within a row (:class:`Relation`, e.g. the
  assessments completed within 45 days and their duration bands, or referrals = CIN
  starts + no further action + not in need, which ties two tables that share the total),
  rows that add up to another row or to a published total (:class:`RowRelation`, e.g.
  survival tables by need adding up to the ``all`` row), and known orderings
  (:class:`RowOrder`, e.g. cumulative events never fall). After primary suppression,
  every suppressed cell is checked with a linear programme over what is released
  (released cells fixed, suppressed cells at least 1 — ``c`` never stands for zero — and
  every declared relation): when the smallest and largest value the cell could take
  leave it one whole number, a non-zero released cell that shares a relation with it is
  suppressed too — a part before a total (totals are what readers look for), then the
  smallest (the least information lost), then the earlier column — and the check runs
  again until no suppressed cell can be worked out;
* England and regional totals are rounded to the nearest 10 (halves up); authority
  counts are not rounded (the project's convention since issue 4);
* percentages and rates are shown to one decimal place, and are suppressed (``c``)
  wherever a count they are made from is suppressed (so a shown rate never pins its
  numerator or denominator);
* the publisher's symbols already present (``c x z u k low``) are kept as they are.

:func:`disclose` is the one function every output path (CLI, API, export, journeys,
provisional loads) calls on a frame of counts and the percentages or rates made from
them; :func:`exposed_cells` is the same check, run on figures someone else disclosed
(``cscwatch build --provisional`` refuses a file it finds wanting).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from cscwatch.core.errors import InputError
from cscwatch.core.types import STATUS_SYMBOLS, GeoLevel

__all__ = [
    "SMALL_COUNT_MAX",
    "SUPPRESSED",
    "Exposure",
    "Relation",
    "RowOrder",
    "RowRelation",
    "disclose",
    "disclose_count",
    "exposed_cells",
    "is_suppressed",
]

#: The symbol shown in place of a suppressed figure.
SUPPRESSED = "c"
#: Counts from 1 to this value (inclusive) are suppressed.
SMALL_COUNT_MAX = 5


@dataclass(frozen=True)
class Relation:
    """In every row, column ``total`` equals the sum of columns ``parts``.

    A part may be the total of another relation (a nested margin), and a column may be
    a part of several relations (tables that share a total).
    """

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class RowRelation:
    """In every count column, row ``total`` equals the sum of rows ``parts``.

    Rows are positions (0-based) in the frame. ``total=None`` when the total is not in
    the frame but may be known elsewhere: the sum is then treated as published.
    """

    parts: tuple[int, ...]
    total: int | None = None


@dataclass(frozen=True)
class RowOrder:
    """In column ``column``, the value in row ``lesser`` never exceeds row ``greater``'s."""

    column: str
    lesser: int
    greater: int


@dataclass(frozen=True)
class Exposure:
    """A suppressed cell that released figures pin: row position, column, and range."""

    row: int
    column: str
    low: float
    high: float


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def is_suppressed(value: Any) -> bool:
    """True when ``value`` is the suppression symbol."""
    return isinstance(value, str) and value == SUPPRESSED


def _round_half_up(value: int, base: int) -> int:
    return ((value + base // 2) // base) * base


def _whole(value: Any) -> int:
    # A count as an int; InputError for anything else.
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"count {value!r} is not a number")
    as_float = float(value)
    if not isinstance(value, Integral) and not as_float.is_integer():
        raise InputError(f"count {value!r} is not a whole number")
    n = int(value) if isinstance(value, Integral) else int(as_float)
    if n < 0:
        raise InputError(f"count {n} is negative")
    return n


def disclose_count(value: Any, *, level: GeoLevel | str = GeoLevel.LOCAL_AUTHORITY) -> Any:
    """One count made safe: ``c`` for 1-5, rounded to 10 for England and regions.

    Missing values stay missing; publisher symbols stay as they are. This is primary
    suppression only: a count that is part of a total goes through :func:`disclose`.

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
    n = _whole(value)
    if 1 <= n <= SMALL_COUNT_MAX:
        return SUPPRESSED
    if GeoLevel(level) is not GeoLevel.LOCAL_AUTHORITY:
        return _round_half_up(n, 10)
    return n


def _disclose_derived(value: Any, places: int = 1) -> Any:
    if _is_missing(value):
        return None
    if isinstance(value, str):
        if value in STATUS_SYMBOLS:
            return value
        raise InputError(f"value {value!r} is neither a number nor a publisher symbol")
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"value {value!r} is not a number")
    return round(float(value), places)


def disclose(
    frame: pd.DataFrame,
    *,
    counts: Sequence[str],
    derived: Mapping[str, Sequence[str]] | None = None,
    level: GeoLevel | str | None = None,
    level_column: str | None = None,
    groups: Sequence[str] | None = None,
    relations: Sequence[Relation] = (),
    row_relations: Sequence[RowRelation] = (),
    orders: Sequence[RowOrder] = (),
    hidden: Sequence[str] = (),
    force: Mapping[str, Sequence[bool]] | None = None,
    digits: Mapping[str, int] | None = None,
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
        total published elsewhere (e.g. ``["la_code", "year"]`` for a breakdown by
        category); shorthand for one :class:`RowRelation` per group.
    relations : sequence of Relation
        Totals and their parts among the count columns of each row.
    row_relations : sequence of RowRelation
        Rows adding up to another row (or to a total published elsewhere).
    orders : sequence of RowOrder
        Known orderings between rows of one column (a cumulative count never falls).
    hidden : sequence of str
        Count columns that are never shown themselves (the denominator of a shown
        percentage, say): they get primary suppression (so their percentages do) but
        count as unknown in the relations, and are never chosen for secondary
        suppression.
    force : mapping of str → sequence of bool, optional
        Cells to suppress as if they were small counts (per count column, one flag per
        row): a count that reveals a small one by difference with a row not in any
        relation, such as the events between two days of a survival table.
    digits : mapping of str → int, optional
        Decimal places of a derived column (1 unless given).

    Returns
    -------
    pandas.DataFrame
        A copy where every count and derived column holds Python ``int``/``float``
        values, ``None`` or a symbol string (``object`` dtype), and no suppressed count
        can be worked out from the shown ones through the declared relations.

    Raises
    ------
    InputError
        A count that is negative, fractional or not a number; a derived column naming a
        column not in ``counts``; a relation naming a column not in ``counts``; both
        ``level`` and ``level_column``.
    """
    derived = dict(derived or {})
    if level is not None and level_column is not None:
        raise InputError("give level or level_column, not both")
    for col, parts in derived.items():
        missing = [p for p in parts if p not in counts]
        if missing:
            raise InputError(f"derived column {col!r} is made from {missing}, not in counts")
    named = [c for r in relations for c in (r.total, *r.parts)] + [o.column for o in orders]
    missing = sorted({c for c in [*named, *hidden] if c not in counts})
    if missing:
        raise InputError(f"relations name {missing}, not in counts")
    for col in [*counts, *derived, *(groups or []), *([level_column] if level_column else [])]:
        if col not in frame.columns:
            raise InputError(f"no column {col!r} to disclose")

    out = frame.copy()
    levels = (
        list(frame[level_column])
        if level_column is not None
        else [level or GeoLevel.LOCAL_AUTHORITY] * len(frame)
    )
    safe = {
        c: [disclose_count(v, level=lv) for v, lv in zip(frame[c], levels, strict=True)]
        for c in counts
    }
    for col, flags in (force or {}).items():
        if col not in safe or len(flags) != len(frame):
            raise InputError(f"force names {col!r}: not a count column of the frame's length")
        for i, flag in enumerate(flags):
            if flag and isinstance(safe[col][i], int):
                safe[col][i] = SUPPRESSED
    all_rows = list(row_relations)
    if groups:
        positions: dict[tuple[Any, ...], list[int]] = {}
        keys = frame[list(groups)].itertuples(index=False, name=None)
        for i, key in enumerate(keys):
            positions.setdefault(tuple(key), []).append(i)
        all_rows += [RowRelation(tuple(rows)) for rows in positions.values() if len(rows) > 1]
    system = _System.build(frame, list(counts), relations, all_rows, orders, set(hidden))
    system.protect(safe, {c: list(frame[c]) for c in counts})
    for c in counts:
        out[c] = pd.Series(safe[c], index=frame.index, dtype=object)
    for col, parts in derived.items():
        places = (digits or {}).get(col, 1)
        values = [_disclose_derived(v, places) for v in frame[col]]
        for i in range(len(values)):
            if any(is_suppressed(safe[p][i]) for p in parts):
                values[i] = SUPPRESSED
        out[col] = pd.Series(values, index=frame.index, dtype=object)
    return out


def exposed_cells(
    frame: pd.DataFrame,
    *,
    counts: Sequence[str],
    relations: Sequence[Relation] = (),
    row_relations: Sequence[RowRelation] = (),
    orders: Sequence[RowOrder] = (),
) -> list[Exposure]:
    """Suppressed cells of an already-disclosed frame that the shown ones pin down.

    Cells hold whole numbers, ``c`` or another publisher symbol (unknown, at least 0);
    a ``c`` is at least 1. A cell is exposed when the declared relations and the shown
    figures leave it one whole number. Primary suppression is checked by the caller
    (a shown count of 1 to 5 is not an exposure but a plain breach).

    Returns
    -------
    list of Exposure
        In row, then column order; empty when the frame is safe.
    """
    missing = sorted(
        {c for r in relations for c in (r.total, *r.parts) if c not in counts}
        | {c for c in counts if c not in frame.columns}
    )
    if missing:
        raise InputError(f"no column {missing} to check")
    shown = {c: [_parse_shown(v) for v in frame[c]] for c in counts}
    system = _System.build(frame, list(counts), relations, row_relations, orders, set())
    return system.exposures(shown)


def _exact(value: Any) -> float | None:
    # An exact count as a float; None for a symbol or a missing value.
    if _is_missing(value) or isinstance(value, str | bool) or not isinstance(value, Real):
        return None
    return float(value)


def _parse_shown(value: Any) -> Any:
    # A released cell as a count, ``c`` or None (unknown).
    if _is_missing(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text == SUPPRESSED:
            return SUPPRESSED
        try:
            return _whole(float(text))
        except (ValueError, InputError):
            return None
    return _whole(value)


# ---------------------------------------------------------------------------------------
# The linear system behind secondary suppression.

_Cell = tuple[int, str]
#: Per cell, the least and greatest value among feasible solutions of one system.
_Seen = dict[_Cell, tuple[float, float]]


@dataclass
class _System:
    """Cells tied by equalities (sum = 0 or = a hidden known total) and orderings."""

    equalities: list[tuple[dict[_Cell, float], bool]]  # (coefficients, rhs is a hidden total)
    orders: list[dict[_Cell, float]]  # sum(coeff * x) <= 0
    totals: set[_Cell]
    hidden: set[str]

    @classmethod
    def build(
        cls,
        frame: pd.DataFrame,
        counts: list[str],
        relations: Sequence[Relation],
        row_relations: Sequence[RowRelation],
        orders: Sequence[RowOrder],
        hidden: set[str],
    ) -> _System:
        eqs: list[tuple[dict[_Cell, float], bool]] = []
        totals: set[_Cell] = set()
        n = len(frame)
        for i in range(n):
            for r in relations:
                coeff: dict[_Cell, float] = {(i, r.total): -1.0}
                for p in r.parts:
                    coeff[(i, p)] = coeff.get((i, p), 0.0) + 1.0
                eqs.append((coeff, False))
                totals.add((i, r.total))
        for rr in row_relations:
            bad = [k for k in (*rr.parts, rr.total) if k is not None and not 0 <= k < n]
            if bad:
                raise InputError(f"row relation names rows {bad} outside the frame")
            for c in counts:
                coeff = {(k, c): 1.0 for k in rr.parts}
                if rr.total is not None:
                    coeff[(rr.total, c)] = -1.0
                    totals.add((rr.total, c))
                eqs.append((coeff, rr.total is None))
        ineqs = [{(o.lesser, o.column): 1.0, (o.greater, o.column): -1.0} for o in orders]
        return cls(eqs, ineqs, totals, hidden)

    def _components(self) -> list[tuple[list[int], list[int]]]:
        # Connected groups of constraints (equality and ordering indexes).
        parent: dict[_Cell, _Cell] = {}

        def find(x: _Cell) -> _Cell:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        cons = [c for c, _ in self.equalities] + self.orders
        for coeff in cons:
            cells = list(coeff)
            for other in cells[1:]:
                a, b = find(cells[0]), find(other)
                if a != b:
                    parent[a] = b
        comps: dict[_Cell, tuple[list[int], list[int]]] = {}
        ne = len(self.equalities)
        for k, coeff in enumerate(cons):
            root = find(next(iter(coeff)))
            eq_ix, ord_ix = comps.setdefault(root, ([], []))
            (eq_ix if k < ne else ord_ix).append(k if k < ne else k - ne)
        return list(comps.values())

    def protect(self, safe: dict[str, list[Any]], raw: Mapping[str, Sequence[Any]]) -> None:
        """Add secondary suppressions to ``safe`` (values keyed by column) in place.

        ``raw`` holds the exact values (for a hidden total's sum and for choosing the
        least informative complementary cell).
        """
        for eq_ix, ord_ix in self._components():
            eqs = [self.equalities[k] for k in eq_ix]
            ineqs = [self.orders[k] for k in ord_ix]
            cells = sorted({c for coeff, _ in eqs for c in coeff} | {c for o in ineqs for c in o})
            truth = {c: _exact(raw[c[1]][c[0]]) for c in cells}
            self._protect_component(safe, cells, eqs, ineqs, truth)

    def _protect_component(
        self,
        safe: dict[str, list[Any]],
        cells: list[_Cell],
        eqs: list[tuple[dict[_Cell, float], bool]],
        ineqs: list[dict[_Cell, float]],
        truth: dict[_Cell, float | None],
    ) -> None:
        # Suppressing one more cell only widens every range, so a cell found safe stays
        # safe: each is checked until it is, not again.
        settled: set[_Cell] = set()
        while True:
            if not any(is_suppressed(safe[col][row]) for row, col in cells):
                return
            exposed = self._first_exposed(safe, cells, eqs, ineqs, truth, settled)
            if exposed is None:
                return
            pick = self._complement(safe, exposed, cells, eqs, truth)
            if pick is None:  # nothing left to suppress beside it: cannot happen for counts
                return
            safe[pick[1]][pick[0]] = SUPPRESSED

    def _first_exposed(
        self,
        safe: dict[str, list[Any]],
        cells: list[_Cell],
        eqs: list[tuple[dict[_Cell, float], bool]],
        ineqs: list[dict[_Cell, float]],
        truth: dict[_Cell, float | None],
        settled: set[_Cell],
    ) -> Exposure | None:
        seen: _Seen = {}  # one system (``safe`` does not change here): its solutions
        for cell in cells:
            row, col = cell
            if cell in settled or col in self.hidden or not is_suppressed(safe[col][row]):
                continue
            rng = _range(cell, safe, cells, eqs, ineqs, truth, self.hidden, seen)
            if rng is not None:
                return Exposure(row, col, *rng)
            settled.add(cell)
        return None

    def _complement(
        self,
        safe: dict[str, list[Any]],
        exposed: Exposure,
        cells: list[_Cell],
        eqs: list[tuple[dict[_Cell, float], bool]],
        truth: dict[_Cell, float | None],
    ) -> _Cell | None:
        target = (exposed.row, exposed.column)
        near = [c for coeff, _ in eqs if target in coeff for c in coeff]
        for pool in (near, cells):
            candidates = [
                c
                for c in dict.fromkeys(pool)
                if c[1] not in self.hidden
                and isinstance(safe[c[1]][c[0]], int)
                and not isinstance(safe[c[1]][c[0]], bool)
                and (truth.get(c) or 0) > 0
            ]
            if candidates:
                order = {c: k for k, c in enumerate(cells)}
                return min(candidates, key=lambda c: (c in self.totals, truth[c], order[c]))
        return None

    def exposures(self, shown: dict[str, list[Any]]) -> list[Exposure]:
        """Every suppressed cell the shown figures pin (for a frame already disclosed)."""
        found: list[Exposure] = []
        for eq_ix, ord_ix in self._components():
            eqs = [(self.equalities[k][0], False) for k in eq_ix]  # no hidden totals here
            ineqs = [self.orders[k] for k in ord_ix]
            cells = sorted({c for coeff, _ in eqs for c in coeff} | {c for o in ineqs for c in o})
            truth: dict[_Cell, float | None] = {c: None for c in cells}
            seen: _Seen = {}
            for cell in cells:
                if is_suppressed(shown[cell[1]][cell[0]]):
                    rng = _range(cell, shown, cells, eqs, ineqs, truth, set(), seen)
                    if rng is not None:
                        found.append(Exposure(cell[0], cell[1], *rng))
        return sorted(found, key=lambda e: (e.row, e.column))


def _range(
    cell: _Cell,
    safe: dict[str, list[Any]],
    cells: list[_Cell],
    eqs: list[tuple[dict[_Cell, float], bool]],
    ineqs: list[dict[_Cell, float]],
    truth: dict[_Cell, float | None],
    hidden: set[str],
    seen: _Seen | None = None,
) -> tuple[float, float] | None:
    """(min, max) of ``cell`` given what is shown, when that leaves one whole number.

    ``seen`` collects, per cell, the least and greatest value of the solutions found for
    other cells of the same system (same ``safe``, ``cells``, ``eqs``, ``ineqs``): two
    feasible values further apart than one whole number already show the cell is not
    pinned, and its two programmes are not solved (the answer is the same, None).
    """
    unknown = [
        c
        for c in cells
        if c[1] in hidden
        or not (isinstance(safe[c[1]][c[0]], int) and not isinstance(safe[c[1]][c[0]], bool))
    ]
    index = {c: k for k, c in enumerate(unknown)}
    lower = [
        1.0 if is_suppressed(safe[c[1]][c[0]]) and c[1] not in hidden else 0.0 for c in unknown
    ]
    a_eq: list[list[float]] = []
    b_eq: list[float] = []
    for coeff, hidden_total in eqs:
        row = [0.0] * len(unknown)
        rhs = 0.0
        if hidden_total:
            values = [truth.get(c) for c in coeff]
            if any(v is None for v in values):
                continue  # an unknown published total: no constraint
            rhs = float(sum(coeff[c] * v for c, v in zip(coeff, values, strict=True) if v))
        for c, k in coeff.items():
            if c in index:
                row[index[c]] += k
            else:
                rhs -= k * float(safe[c[1]][c[0]])
        if any(row):
            a_eq.append(row)
            b_eq.append(rhs)
    a_ub: list[list[float]] = []
    b_ub: list[float] = []
    for coeff in ineqs:
        row = [0.0] * len(unknown)
        rhs = 0.0
        for c, k in coeff.items():
            if c in index:
                row[index[c]] += k
            else:
                rhs -= k * float(safe[c[1]][c[0]])
        if any(row):
            a_ub.append(row)
            b_ub.append(rhs)
    j = index[cell]
    if not any(r[j] for r in a_eq) and not any(r[j] for r in a_ub):
        return None  # in no constraint: unbounded above
    if len(a_eq) == 1 and not a_ub:  # one group and its total: the programme solved by hand
        return _pinned(*_one_equality(a_eq[0], b_eq[0], lower, j))
    if seen is not None and cell in seen and _apart(*seen[cell]):
        return None
    from scipy.optimize import linprog  # imported late: a build needs no solver

    bounds = [(lo, None) for lo in lower]
    ends = []
    for sign in (1.0, -1.0):
        objective = np.zeros(len(unknown))
        objective[j] = sign
        res = linprog(
            objective,
            A_ub=np.array(a_ub) if a_ub else None,
            b_ub=np.array(b_ub) if b_ub else None,
            A_eq=np.array(a_eq) if a_eq else None,
            b_eq=np.array(b_eq) if b_eq else None,
            bounds=bounds,
            method="highs",
        )
        if res.status == 3:  # unbounded: the cell can be as large as you like
            return None
        if res.status != 0:
            return None  # inconsistent figures (rounded totals): nothing pinned
        ends.append(sign * float(res.fun))
        if seen is not None:
            for c, value in zip(unknown, res.x.tolist(), strict=True):
                low, high = seen.get(c, (value, value))
                seen[c] = (min(low, value), max(high, value))
    return _pinned(ends[0], ends[1])


#: How far a solver's solution may sit outside the feasible set: ``_apart`` narrows the
#: values seen by this much on each side, so that a cell it calls not pinned is one the
#: cell's own programmes (whose ends lie at or beyond any feasible value) would not pin.
_SOLVER_SLACK = 1e-5


def _apart(low: float, high: float) -> bool:
    """True when feasible values ``low`` and ``high`` of a cell leave more than one whole
    number between its least and greatest possible value (so it is not pinned)."""
    return _pinned(low + _SOLVER_SLACK, high - _SOLVER_SLACK) is None


def _pinned(low: float | None, high: float | None) -> tuple[float, float] | None:
    # (low, high) when the range leaves one whole number; None for no range.
    if low is None or high is None:
        return None
    if math.floor(high + 1e-6) <= math.ceil(low - 1e-6):
        return (low, high)
    return None


def _one_equality(
    row: list[float], rhs: float, lower: list[float], j: int
) -> tuple[float | None, float | None]:
    """The least and greatest ``x[j]`` with ``row . x = rhs`` and ``x >= lower``: what the
    linear programme gives for a single equality, without a solver (most components are
    one group of rows and its total). (None, None) when the system has no solution or
    ``x[j]`` has no upper bound, as the programme's infeasible and unbounded answers."""
    sign = 1.0 if row[j] > 0 else -1.0
    a = [sign * v for v in row]
    # With y = x - lower >= 0: a . y = c, and a[j] > 0.
    c = sign * (rhs - sum(v * lo for v, lo in zip(row, lower, strict=True)))
    if any(v < 0 for v in a) or c < 0:
        return None, None  # another cell grows with it (unbounded), or no solution
    high = lower[j] + c / a[j]
    others = any(v > 0 for k, v in enumerate(a) if k != j)
    return (lower[j] if others else high), high
