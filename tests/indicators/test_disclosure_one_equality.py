"""Secondary suppression's range of a cell tied by one equality, solved without the LP solver.

Most components of a disclosed frame are one group of rows and its total: the closed form
(:func:`cscwatch.indicators.disclosure._one_equality`) must give what the linear programme
gives (the same pinned cells, the same ranges) on every such system.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from cscwatch.indicators import disclosure

# (coefficients, right-hand side, lower bounds, the cell asked about)
System = tuple[list[float], float, list[float], int]


@st.composite
def _systems(draw: st.DrawFn) -> System:
    n = draw(st.integers(1, 6))
    row = [
        float(v) for v in draw(st.lists(st.sampled_from([-2, -1, 0, 1, 2]), min_size=n, max_size=n))
    ]
    j = draw(st.integers(0, n - 1))
    if row[j] == 0:
        row[j] = 1.0
    lower = [float(v) for v in draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n))]
    rhs = float(draw(st.integers(-20, 40)))
    return row, rhs, lower, j


def _by_solver(
    row: list[float], rhs: float, lower: list[float], j: int
) -> tuple[float, float] | None:
    # The programme _range solves: least and greatest x[j] (None: infeasible or unbounded).
    ends = []
    for sign in (1.0, -1.0):
        objective = np.zeros(len(row))
        objective[j] = sign
        res = linprog(objective, A_eq=np.array([row]), b_eq=np.array([rhs]),
                      bounds=[(lo, None) for lo in lower], method="highs")  # fmt: skip
        if res.status != 0:
            return None
        ends.append(sign * float(res.fun))
    return ends[0], ends[1]


@settings(max_examples=400, deadline=None)
@given(_systems())
def test_closed_form_equals_the_linear_programme(system: System) -> None:
    row, rhs, lower, j = system
    solved = _by_solver(row, rhs, lower, j)
    low, high = disclosure._one_equality(row, rhs, lower, j)
    if solved is None:
        assert (low, high) == (None, None)
    else:
        assert low is not None and high is not None
        assert abs(low - solved[0]) < 1e-6 and abs(high - solved[1]) < 1e-6
        assert disclosure._pinned(low, high) == (
            None if disclosure._pinned(*solved) is None else (low, high)
        )


def test_a_lone_suppressed_part_is_pinned_by_its_total() -> None:
    # parts x0 (suppressed, >= 1) + 7 = total 10: x0 is 3, exactly
    assert disclosure._one_equality([1.0], 3.0, [1.0], 0) == (3.0, 3.0)
    assert disclosure._pinned(3.0, 3.0) == (3.0, 3.0)


def test_two_suppressed_parts_of_a_known_total_are_not_pinned() -> None:
    low, high = disclosure._one_equality([1.0, 1.0], 9.0, [1.0, 1.0], 0)
    assert (low, high) == (1.0, 8.0)
    assert disclosure._pinned(low, high) is None
