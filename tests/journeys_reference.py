"""The journey fit as it stood before spells were counted in the database (commit 2814a3b).

One Kaplan–Meier fit per group over one row per spell in pandas, and the disclosed
cohort table, kept as the reference the database path is held to
(``tests/childlevel/test_journeys_sql.py``, ``tests/childlevel/ssda903/
test_journeys_cla_sql.py``): strings and counts equal, floats within 1e-12.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cscwatch.childlevel.cin.journeys import (
    COHORT_COLUMNS,
    CURVE_COLUMNS,
    JourneyResults,
    curve_rows,
    kaplan_meier,
)
from cscwatch.indicators.disclosure import RowRelation, disclose


def reference_fit(
    spells: pd.DataFrame,
    events: Sequence[str],
    groups: dict[str, str],
    *,
    skip_empty: Sequence[str] = (),
    per_event_relations: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Curves and disclosed cohorts from one row per spell, as the model fitted them."""
    frames_ = []
    for event in events:
        sp = spells[spells["event"] == event]
        if sp.empty and event in skip_empty:
            continue
        parts: list[tuple[str, pd.DataFrame]] = [("all", sp)]
        for g, col in groups.items():
            parts += [(f"{g}={k}", v) for k, v in sp.groupby(col, sort=True)]
        for label, part in parts:
            km = kaplan_meier(part["duration"].to_numpy(), part["observed"].to_numpy())
            frames_.append(curve_rows(event, label, km))
    curves = pd.concat(frames_, ignore_index=True)[CURVE_COLUMNS]
    rows: list[dict[str, Any]] = []
    for (clock, cohort), part in spells.groupby(["event", "cohort"], sort=True):
        followed = part[part["followed_12m"]]
        within = int((followed["observed"] & (followed["duration"] <= 365)).sum())
        rows.append(
            {"event": str(clock), "cohort": int(str(cohort)), "spells": len(part),
             "followed": len(followed), "within_12m": within,
             "percent": 100.0 * within / len(followed) if len(followed) else None}
        )  # fmt: skip
    frame = pd.DataFrame(rows, columns=COHORT_COLUMNS)
    if per_event_relations:
        relations = [
            RowRelation(tuple(int(i) for i in idx))
            for _, idx in frame.groupby("event").groups.items()
            if len(idx) > 1
        ]
    else:
        relations = [RowRelation(tuple(range(len(frame))))] if len(frame) > 1 else []
    safe = disclose(
        frame,
        counts=["spells", "followed", "within_12m"],
        derived={"percent": ["followed", "within_12m"]},
        row_relations=relations,
    )
    return curves, pd.DataFrame(safe.to_dict("records"), columns=COHORT_COLUMNS)


def same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same columns and rows; floats within 1e-12 (NaN where NaN), the rest equal."""
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for col in want.columns:
        a, b = got[col].reset_index(drop=True), want[col].reset_index(drop=True)
        if pd.api.types.is_float_dtype(b):
            x, y = a.to_numpy(float), b.to_numpy(float)
            assert np.array_equal(np.isnan(x), np.isnan(y)), col
            ok = ~np.isnan(y)
            assert np.allclose(x[ok], y[ok], rtol=0, atol=1e-12), col
        else:
            assert a.tolist() == b.tolist(), col


def same_results(got: JourneyResults, curves: pd.DataFrame, cohorts: pd.DataFrame) -> None:
    """``got`` has exactly the reference curves and disclosed cohorts."""
    assert len(got.curves) > 0
    same_frame(got.curves, curves)
    same_frame(got.cohorts, cohorts)
