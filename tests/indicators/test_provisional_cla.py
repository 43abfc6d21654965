"""Looked-after measures of an authority's own SSDA903 return, loaded as provisional rows.

A small built return for Hartlepool (805), collection year 2026 (not yet published), is
measured and written with :meth:`ClaMeasures.write_csv`; the build loads the two
layouts DfE publishes beside the published figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from cscwatch.childlevel.ssda903.measures import compute_cla_measures
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.core.database import connect_duckdb
from cscwatch.indicators.provisional import LA_LAYOUTS, provisional_file
from cscwatch.serve.cli import app


def _episodes() -> pd.DataFrame:
    # Year ending 31 March 2026. 30 children start on 1 May 2025 and are still in care,
    # 8 of them moving twice (3 placements); 10 more start and go home in the year.
    rows = []
    for i in range(30):
        moves = i < 8
        first_end = "01/07/2025" if moves else ""
        rows.append([f"k{i}", "01/05/2025", "S", "C2", "N1", "U1", "PR1", first_end,
                     "X1" if moves else ""])  # fmt: skip
        if moves:
            rows.append([f"k{i}", "01/07/2025", "P", "C2", "N1", "U2", "PR1", "01/09/2025", "X1"])
            rows.append([f"k{i}", "01/09/2025", "P", "C2", "N1", "U3", "PR1", "", ""])
    for i in range(10):
        rows.append([f"h{i}", "01/05/2025", "S", "C2", "N1", "U1", "PR1", "01/08/2025", "E4A"])
    cols = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC"]
    frame = pd.DataFrame(rows, columns=cols)
    for f in TABLES["episodes"].fields:
        if f not in frame:
            frame[f] = None
    frame.insert(0, "row_no", range(2, len(frame) + 2))
    return frame


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("provisional_cla")
    m = compute_cla_measures(connect_duckdb(), {"episodes": _episodes()}, la_code="805", year=2026)
    m.write_csv(tmp / "m2026")
    target = tmp / "w.duckdb"
    result = CliRunner().invoke(
        app,
        ["build", "--warehouse", str(target), "--format", "json", "--provisional",
         str(tmp / "m2026")],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {"tmp": tmp, "warehouse": target, "report": json.loads(result.stdout)}


def test_looked_after_rows_are_loaded_and_flagged(built: dict[str, object]) -> None:
    con = duckdb.connect(str(built["warehouse"]), read_only=True)
    try:
        rows = dict(
            con.execute(
                "SELECT indicator, value FROM observation WHERE provisional AND geo_code = '805' "
                "AND year = 2026"
            ).fetchall()
        )
        pop = con.execute(
            "SELECT population FROM population WHERE geo_code = '805' AND year = 2025"
        ).fetchone()
    finally:
        con.close()
    assert rows["lac_at31"] == 30
    assert rows["lac_starts"] == 40
    assert rows["lac_ceased"] == 10
    assert rows["lac_3plus_placements_pct"] == 27  # 8 of 30, whole percent as published
    assert pop is not None
    assert rows["lac_at31_per_10k"] == pytest.approx(10000 * 30 / pop[0])


def test_a_small_count_in_a_looked_after_file_is_refused(
    built: dict[str, object], tmp_path: Path
) -> None:
    folder = tmp_path / "edited"
    folder.mkdir()
    src = Path(str(built["tmp"])) / "m2026"
    for layout in LA_LAYOUTS:
        frame = pd.read_csv(src / provisional_file(layout), dtype=str, keep_default_na=False)
        if layout == "stability":
            frame.loc[0, "children_count"] = "4"
        frame.to_csv(folder / provisional_file(layout), index=False)
    result = CliRunner().invoke(
        app, ["build", "--warehouse", str(tmp_path / "w.duckdb"), "--provisional", str(folder)]
    )
    assert result.exit_code != 0
    message = str(result.exception) + result.output
    assert "la_cla_placement_stability_provisional.csv" in message
    assert "children_count" in message and "1 to 5" in message
