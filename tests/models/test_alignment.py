"""Models line the publisher's years up with reporting years in one place,
``models._data.ALIGNMENT``, and their results are those measured before the warehouse
stored the workforce census under DfE's own year.

Reference values: measured on the real snapshot with the code of commit 98b29e0 (when the
build shifted the workforce census to the following 31 March): quality 2025 and the
features of Leeds at 1 April 2024 (``/tmp`` comparison of the risk backtest, quality for
2019/2022/2024/2025, demand and features for 27 cases: identical).
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import cscwatch.models as models_pkg
from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.types import PeriodKind
from cscwatch.models import _data
from cscwatch.models._data import ALIGNMENT, alignment_offset, load_panel
from cscwatch.models.features import build_features, published_on
from cscwatch.models.quality import QualityModel


def _value(con: duckdb.DuckDBPyConnection, ind: str, la: str, year: int) -> float:
    row = con.execute(
        "SELECT value FROM observation WHERE indicator = ? AND geo_code = ? AND year = ?",
        [ind, la, year],
    ).fetchone()
    assert row is not None
    return float(row[0])


def test_every_period_kind_is_aligned_once() -> None:
    assert set(ALIGNMENT) == set(PeriodKind)
    assert ALIGNMENT[PeriodKind.AT_30_SEPTEMBER].offset == 1
    assert ALIGNMENT[PeriodKind.FINANCIAL_YEAR].offset == 0
    assert {alignment_offset(i) for i in CATALOGUE} <= {0, 1}


def test_no_other_model_module_aligns_years() -> None:
    """Only ``_data`` reads an indicator's period kind; nothing shifts years by source."""
    root = Path(models_pkg.__file__).parent
    for path in sorted(root.glob("*.py")):
        if path.name == "_data.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert not names & {"period_kind", "year_shift", "ALIGNMENT"}, path.name


def test_the_aligned_panel_reads_the_census_before_31_march(
    con: duckdb.DuckDBPyConnection,
) -> None:
    panel = load_panel(con, ("caseload", "cin_at31_per_10k"))
    own = load_panel(con, ("caseload",), align=False)
    assert panel.loc[("383", 2024), "caseload"] == _value(con, "caseload", "383", 2023)
    assert own.loc[("383", 2023), "caseload"] == _value(con, "caseload", "383", 2023)
    assert panel.loc[("383", 2024), "cin_at31_per_10k"] == pytest.approx(
        _value(con, "cin_at31_per_10k", "383", 2024)
    )


def test_features_of_a_fixed_case_are_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    cases = pd.DataFrame({"la_code": ["383"], "as_at": [date(2024, 4, 1)]})
    fs = build_features(con, cases)
    row = fs.frame.iloc[0]
    # The census of 30 September 2023 (public 1 March 2024) is the latest before the date.
    assert row["caseload"] == _value(con, "caseload", "383", 2023) == 16.3
    assert row["caseload_change"] == pytest.approx(0.1)
    assert row["caseload_vs_sn"] == pytest.approx(-0.55)
    assert row["agency_rate_pct"] == 4.4 and row["vacancy_rate_pct"] == 12.5
    assert row["lead_score"] == pytest.approx(0.0838696903, abs=1e-10)
    prov = fs.provenance.set_index("indicator")
    assert prov.loc["caseload", "year"] == 2023
    assert prov.loc["caseload", "published_on"] == date(2024, 3, 1)
    assert published_on("caseload", 2023) == date(2024, 3, 1)


def test_quality_is_unchanged_and_names_the_census(con: duckdb.DuckDBPyConnection) -> None:
    res = QualityModel(con, 2025, n_boot=50).fit()
    by = {m.measure: m for m in res.measures}
    assert by["agency_rate_pct"].n == 149
    assert by["agency_rate_pct"].spearman == pytest.approx(0.4337004035119268, rel=1e-12)
    assert by["caseload"].n == 152
    assert by["caseload"].spearman == pytest.approx(0.31315051707078184, rel=1e-12)
    assert by["caseload"].period == "30 September 2024"
    assert by["spend_safeguarding_per_child"].period == "2024-25"


def test_quality_reads_the_alignment_table(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Declaring the census as informing its own year moves quality onto the census of
    30 September 2025: the table, not the model, decides."""
    monkeypatch.setitem(
        _data.ALIGNMENT, PeriodKind.AT_30_SEPTEMBER, _data.Alignment(0, "test: no shift")
    )
    by = {m.measure: m for m in QualityModel(con, 2025, n_boot=50).fit().measures}
    assert by["caseload"].period == "30 September 2025"
    assert by["caseload"].spearman != pytest.approx(0.31315051707078184, rel=1e-12)
