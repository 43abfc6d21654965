"""Secondary suppression over declared relations: random tables, an independent attacker.

The attacker (``tests/disclosure_attack.py``) knows the shown cells, that ``c`` is a
whole number of at least 1, and every declared equation; a suppressed cell is pinned
when the smallest and largest values a linear programme allows leave it one whole
number.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cscwatch.core.errors import InputError
from cscwatch.indicators.disclosure import (
    SUPPRESSED,
    Relation,
    RowOrder,
    RowRelation,
    disclose,
    exposed_cells,
)
from disclosure_attack import pinned

Cell = tuple[int, str]


_value = st.one_of(st.integers(0, 7), st.integers(0, 7), st.integers(0, 300))


@st.composite
def _tables(draw: st.DrawFn) -> tuple[pd.DataFrame, list[Relation], list[RowRelation]]:
    """Parts p0..pn, totals t0..tm each the sum of a random set of parts (totals may share
    parts, as tables sharing a total do), a nested total over totals, rows that may add up
    to a margin row."""
    n_parts = draw(st.integers(2, 7))
    n_rows = draw(st.integers(1, 4))
    parts = [f"p{k}" for k in range(n_parts)]
    sets = draw(st.lists(st.sets(st.sampled_from(parts), min_size=2), min_size=1, max_size=3))
    relations = [Relation(f"t{k}", tuple(sorted(s))) for k, s in enumerate(sets)]
    nested = draw(st.booleans()) and len(relations) >= 2
    rows = []
    for _ in range(n_rows):
        row = {p: draw(_value) for p in parts}
        for r in relations:
            row[r.total] = sum(row[p] for p in r.parts)
        rows.append(row)
    if nested:
        relations.append(Relation("top", tuple(r.total for r in relations)))
        for row in rows:
            row["top"] = sum(row[r.total] for r in relations[:-1])
    row_relations = []
    if n_rows >= 2 and draw(st.booleans()):
        margin = {c: sum(r[c] for r in rows) for c in rows[0]}
        rows.append(margin)
        row_relations.append(RowRelation(tuple(range(n_rows)), n_rows))
    return pd.DataFrame(rows), relations, row_relations


def _equations(
    frame: pd.DataFrame, relations: list[Relation], row_relations: list[RowRelation]
) -> list[tuple[dict[Cell, float], float | None]]:
    eqs: list[tuple[dict[Cell, float], float | None]] = []
    for i in range(len(frame)):
        for r in relations:
            coef = {(i, r.total): -1.0}
            for p in r.parts:
                coef[(i, p)] = 1.0
            eqs.append((coef, None))
    for rr in row_relations:
        for c in frame.columns:
            coef = {(k, c): 1.0 for k in rr.parts}
            if rr.total is not None:
                coef[(rr.total, c)] = -1.0
            eqs.append((coef, None))
    return eqs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables())
def test_no_suppressed_cell_is_pinned(
    table: tuple[pd.DataFrame, list[Relation], list[RowRelation]],
) -> None:
    frame, relations, row_relations = table
    out = disclose(
        frame, counts=list(frame.columns), relations=relations, row_relations=row_relations
    )
    assert pinned(out, _equations(frame, relations, row_relations)) == []
    # The library's own check agrees, and every shown count is exact and not small.
    assert (
        exposed_cells(
            out, counts=list(frame.columns), relations=relations, row_relations=row_relations
        )
        == []
    )
    for c in frame.columns:
        for before, after in zip(frame[c], out[c], strict=True):
            assert after == SUPPRESSED or (after == before and not 1 <= after <= 5)


def test_within_45_days_no_longer_gives_away_the_same_day_count() -> None:
    bands = {"same": 3, "b1": 40, "b2": 90, "late": 8}
    frame = pd.DataFrame([{**bands, "within": 133, "all": 141}])
    relations = [
        Relation("within", ("same", "b1", "b2")),
        Relation("all", ("within", "late")),
    ]
    out = disclose(frame, counts=list(frame.columns), relations=relations)
    assert out["same"].iloc[0] == SUPPRESSED
    # The smallest band of the same total goes (b1, 40), not the late band (8), which is
    # not a part of the within-45-days total and would not protect it.
    assert out["b1"].iloc[0] == SUPPRESSED
    assert out["late"].iloc[0] == 8 and out["within"].iloc[0] == 133
    assert pinned(out, _equations(frame, relations, [])) == []


def test_a_total_shared_by_two_tables() -> None:
    # referrals = starts + nfa + not in need; starts sit in another table.
    frame = pd.DataFrame([{"referrals": 400, "starts": 350, "nfa": 3, "nin": 47}])
    relation = Relation("referrals", ("starts", "nfa", "nin"))
    out = disclose(frame, counts=list(frame.columns), relations=[relation])
    assert list(out.iloc[0]) == [400, 350, SUPPRESSED, SUPPRESSED]


def test_ones_adding_to_a_known_difference_are_protected() -> None:
    # Two suppressed parts whose sum is 2 are both 1: a third must go.
    frame = pd.DataFrame([{"t": 30, "a": 1, "b": 1, "c": 28}])
    out = disclose(frame, counts=list(frame.columns), relations=[Relation("t", ("a", "b", "c"))])
    assert out["c"].iloc[0] == SUPPRESSED or out["t"].iloc[0] == SUPPRESSED


def test_an_ordering_that_pins_a_secondary_cell_is_followed() -> None:
    # Rows are days (cumulative events, never falling); columns two groups and all.
    frame = pd.DataFrame(
        [
            {"a": 10, "b": 50, "all": 60},
            {"a": 13, "b": 50, "all": 63},
            {"a": 20, "b": 50, "all": 70},
        ]
    )
    relation = Relation("all", ("a", "b"))
    orders = [RowOrder(c, i, i + 1) for c in ("a", "b", "all") for i in range(2)]
    force = {"a": [False, True, False], "b": [False] * 3, "all": [False] * 3}
    out = disclose(
        frame, counts=["a", "b", "all"], relations=[relation], orders=orders, force=force
    )
    assert out["a"].iloc[1] == SUPPRESSED
    eqs = _equations(frame, [relation], [])
    ineqs = [{(o.lesser, o.column): 1.0, (o.greater, o.column): -1.0} for o in orders]
    assert pinned(out, eqs, ineqs) == []


def test_exposed_cells_names_the_pinned_cell() -> None:
    shown = pd.DataFrame([{"t": "400", "a": "350", "b": "c", "n": "47"}])
    found = exposed_cells(
        shown, counts=["t", "a", "b", "n"], relations=[Relation("t", ("a", "b", "n"))]
    )
    assert [(e.row, e.column, e.low, e.high) for e in found] == [(0, "b", 3.0, 3.0)]


def test_relations_must_name_count_columns() -> None:
    frame = pd.DataFrame([{"t": 10, "a": 10}])
    with pytest.raises(InputError, match="not in counts"):
        disclose(frame, counts=["t"], relations=[Relation("t", ("a",))])
