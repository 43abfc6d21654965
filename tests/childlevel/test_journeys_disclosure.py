"""Journeys tables against differencing: estimates, coarsened steps, margins and order.

Three synthetic Rutland returns (2023 to 2025, calibrated to the published figures) give
small groups by need and age. The tables the CLI prints are attacked with the group
margins (each grouping adds up to ``all`` at every day) and the order of the days
(events so far never fall, the risk set never grows).
"""

from __future__ import annotations

from itertools import pairwise

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from cscwatch.childlevel.cin.journeys import JourneyModel, JourneyResults, journey_data
from cscwatch.childlevel.cin.store import load_cin_census_files
from cscwatch.core.config import Settings
from cscwatch.indicators.disclosure import SMALL_COUNT_MAX, SUPPRESSED
from cscwatch.serve.cli import app
from disclosure_attack import Cell, pinned


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> JourneyResults:
    tmp = tmp_path_factory.mktemp("journeys")
    for year in ("2023", "2024", "2025"):
        result = CliRunner().invoke(
            app,
            ["cin", "synth", "--authority", "Rutland", "--year", year, "--seed", "3",
             "--out", str(tmp)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    con = duckdb.connect()
    load_cin_census_files(con, sorted(tmp.glob("*.xml")), Settings())
    return JourneyModel(journey_data(con), groups=["need", "age"]).fit()


def test_no_estimate_beside_a_suppressed_count(results: JourneyResults) -> None:
    table = results.to_frame()
    hidden = table[(table["events"] == SUPPRESSED) | (table["at_risk"] == SUPPRESSED)]
    assert len(hidden) > 0  # the data do have small groups
    for col in ("survival", "lower", "upper"):
        assert (hidden[col] == SUPPRESSED).all(), col


def test_shown_days_never_differ_by_a_small_number_of_events(results: JourneyResults) -> None:
    table = results.to_frame()
    for _, curve in table.groupby(["event", "group"]):
        shown = [0, *(int(v) for v in curve["events"] if v != SUPPRESSED)]
        steps = [b - a for a, b in pairwise(shown)]
        assert not any(1 <= s <= SMALL_COUNT_MAX for s in steps), curve


def _constraints(
    table: pd.DataFrame, groups: tuple[str, ...]
) -> tuple[list[tuple[dict[Cell, float], float | None]], list[dict[Cell, float]]]:
    keys = zip(
        table["event"].astype(str),
        table["group"].astype(str),
        table["day"].astype(int),
        strict=True,
    )
    pos: dict[tuple[str, str, int], int] = {key: k for k, key in enumerate(keys)}
    eqs: list[tuple[dict[Cell, float], float | None]] = []
    for (event, group, day), k in pos.items():
        if group != "all":
            continue
        for g in groups:
            parts = [j for (e, grp, d), j in pos.items()
                     if e == event and d == day and grp.startswith(f"{g}=")]  # fmt: skip
            for col in ("at_risk", "events"):
                coef: dict[Cell, float] = {(j, col): 1.0 for j in parts}
                coef[(k, col)] = -1.0
                eqs.append((coef, None))
    ineqs: list[dict[Cell, float]] = []
    for _, curve in table.groupby(["event", "group"]):
        ks = list(curve.index)
        for a, b in pairwise(ks):
            ineqs.append({(a, "events"): 1.0, (b, "events"): -1.0})
            ineqs.append({(b, "at_risk"): 1.0, (a, "at_risk"): -1.0})
    return eqs, ineqs


def test_no_suppressed_count_can_be_worked_out(results: JourneyResults) -> None:
    table = results.to_frame()
    eqs, ineqs = _constraints(table, results.groups)
    assert pinned(table[["at_risk", "events"]], eqs, ineqs) == []


def test_summary_reads_the_disclosed_table(results: JourneyResults) -> None:
    table = results.to_frame()
    row = table[(table["group"] == "all") & (table["day"] == 365)]
    for rec in row.to_dict("records"):
        if rec["survival"] == SUPPRESSED:
            assert f"{rec['event']}: suppressed" in results.summary
