"""An attacker for disclosure tests, independent of the library's own check.

It knows the shown cells, that ``c`` is a whole number of at least 1, and the equations
and inequalities it is given; a suppressed cell is *pinned* when the smallest and largest
values a linear programme allows leave it one whole number.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from cscwatch.indicators.disclosure import SUPPRESSED

Cell = tuple[int, str]


def pinned(
    shown: pd.DataFrame,
    equations: list[tuple[dict[Cell, float], float | None]],
    inequalities: list[dict[Cell, float]] = [],  # noqa: B006 - never mutated
) -> list[Cell]:
    """Suppressed cells one whole number wide. An equation is sum(coef * x) = rhs
    (rhs None: 0); an inequality sum(coef * x) <= 0."""
    unknown = [
        (i, c) for i in range(len(shown)) for c in shown.columns if shown[c].iloc[i] == SUPPRESSED
    ]
    index = {k: j for j, k in enumerate(unknown)}

    def split(coef: dict[Cell, float]) -> tuple[list[float], float]:
        row, const = [0.0] * len(unknown), 0.0
        for cell, k in coef.items():
            if cell in index:
                row[index[cell]] += k
            else:
                const += k * float(shown[cell[1]].iloc[cell[0]])
        return row, const

    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for coef, rhs in equations:
        row, const = split(coef)
        if any(row):
            a_eq.append(row)
            b_eq.append((rhs or 0.0) - const)
    for coef in inequalities:
        row, const = split(coef)
        if any(row):
            a_ub.append(row)
            b_ub.append(-const)
    out = []
    # Every solution is a point the figures allow: the least and greatest value each
    # cell took in the solutions so far. A cell whose values so far span two whole
    # numbers is not pinned; its own two programmes would only say so again.
    seen: dict[int, tuple[float, float]] = {}
    for cell, j in index.items():
        if not any(r[j] for r in a_eq) and not any(r[j] for r in a_ub):
            continue  # in no constraint: as large as you like
        if j in seen and math.floor(seen[j][1] - 1e-5) > math.ceil(seen[j][0] + 1e-5):
            continue
        ends = []
        for sign in (1.0, -1.0):
            obj = np.zeros(len(unknown))
            obj[j] = sign
            res = linprog(
                obj, A_ub=a_ub or None, b_ub=b_ub or None, A_eq=a_eq or None,
                b_eq=b_eq or None, bounds=[(1, None)] * len(unknown), method="highs",
            )  # fmt: skip
            assert res.status in (0, 3), res.message
            ends.append(math.inf if res.status == 3 else sign * float(res.fun))
            if res.status == 0:
                for k, value in enumerate(res.x.tolist()):
                    low, high = seen.get(k, (value, value))
                    seen[k] = (min(low, value), max(high, value))
        if math.isfinite(ends[1]) and math.floor(ends[1] + 1e-6) <= math.ceil(ends[0] - 1e-6):
            out.append(cell)
    return out
