"""Readers of the optional finance files: HM Treasury's GDP deflator CSV and DfE's
section 251 outturn table (fixtures in the publishers' layouts, tests/fixtures/finance)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscwatch.core.errors import SchemaError
from cscwatch.ingest.finance import (
    S251_SAFEGUARDING_TOTAL,
    _fy_end,
    normalise_line,
    read_gdp_deflators,
    read_s251_lines,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "finance"
DEFLATOR = FIXTURES / "gdp_deflators.csv"
S251 = FIXTURES / "s251_childrens_young_peoples_services_la_regional_national.csv"
SOCIAL_WORK = "Social work (including LA functions in relation to child protection)"


# ------------------------------------------------------------------------ deflator


def test_deflator_reads_the_financial_year_block_and_its_base() -> None:
    d = read_gdp_deflators(DEFLATOR)
    assert d.base_year == 2025 and d.base_label == "2024-25"
    assert d.index[2025] == 100.0
    assert d.index[2017] == 75.5  # 2016-17, not the calendar-year column beside it
    assert d.index[1956] == 4.321  # 1955-56
    assert 2027 not in d.index  # 2026-27 is published as a growth rate only ('-')
    assert list(d.index) == sorted(d.index)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "gdp_deflators.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_deflator_without_a_base_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="= 100"):
        read_gdp_deflators(_write(tmp_path, "Financial year,Index\n2023-24,95\n"))


def test_deflator_year_twice_is_refused(tmp_path: Path) -> None:
    text = "Financial year,2024-25 = 100\n2023-24,95\n2024-25,100\n2023-24,96\n"
    with pytest.raises(SchemaError, match="appears twice") as err:
        read_gdp_deflators(_write(tmp_path, text))
    assert err.value.row == 4


def test_deflator_base_year_must_be_100(tmp_path: Path) -> None:
    text = "Financial year,2024-25 = 100\n2023-24,95\n2024-25,101.2\n"
    with pytest.raises(SchemaError, match="index 100"):
        read_gdp_deflators(_write(tmp_path, text))
    # Near miss: rounding in the published index is allowed.
    ok = "Financial year,2024-25 = 100\n2023-24,95\n2024-25,99.9\n"
    assert read_gdp_deflators(_write(tmp_path, ok)).index[2025] == 99.9


@given(st.integers(1900, 2098))
def test_financial_year_labels_round_trip(start: int) -> None:
    label = f"{start}-{(start + 1) % 100:02d}"
    assert _fy_end(label) == start + 1
    assert _fy_end(f"{start}-{(start + 2) % 100:02d}") is None  # not consecutive


# --------------------------------------------------------------------- s251 outturn


def test_s251_reads_the_requested_lines_only() -> None:
    rows = read_s251_lines(S251, [SOCIAL_WORK])
    assert {r.line for r in rows} == {SOCIAL_WORK}
    by = {(r.geo_code, r.year): r for r in rows}
    assert by[("352", 2025)].value == 39_500_000 and by[("352", 2025)].geo_level == "la"
    assert by[("E92000001", 2024)].geo_level == "national"
    assert by[("E12000002", 2025)].geo_level == "regional"
    camden = by[("202", 2024)]
    assert camden.value is None and camden.status == "x"  # a symbol, never 0


def test_s251_newer_layout_line_in_category_gross_expenditure(tmp_path: Path) -> None:
    # The newer EES layout: the line in category_of_expenditure, gross_expenditure.
    src = list(csv.DictReader(io.StringIO(S251.read_text(encoding="utf-8"))))
    out = io.StringIO()
    cols = ["time_period", "geographic_level", "region_code", "old_la_code"]
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*cols, "main_category", "category_of_expenditure", "gross_expenditure"])
    for r in src:
        w.writerow(
            [
                *(r[c] for c in cols),
                r["category_of_expenditure"],
                r["description_of_expenditure"],
                r["total_expenditure"],
            ]
        )
    p = tmp_path / "new.csv"
    p.write_text(out.getvalue(), encoding="utf-8")
    old = read_s251_lines(S251, [SOCIAL_WORK, S251_SAFEGUARDING_TOTAL])
    assert read_s251_lines(p, [SOCIAL_WORK, S251_SAFEGUARDING_TOTAL]) == old


def _variant(tmp_path: Path, old: bytes, new: bytes) -> Path:
    p = tmp_path / "s251.csv"
    data = S251.read_bytes()
    assert old in data
    p.write_bytes(data.replace(old, new, 1))
    return p


def test_s251_missing_column_is_named(tmp_path: Path) -> None:
    p = _variant(tmp_path, b"total_expenditure", b"spend")
    with pytest.raises(SchemaError, match="total_expenditure or gross_expenditure"):
        read_s251_lines(p, [SOCIAL_WORK])


def test_s251_time_period_must_be_a_financial_year(tmp_path: Path) -> None:
    p = _variant(tmp_path, b"202324,", b"202325,")
    with pytest.raises(SchemaError, match="financial year") as err:
        read_s251_lines(p, [SOCIAL_WORK])
    assert err.value.row == 2 and err.value.column == "time_period"


def test_s251_value_neither_number_nor_symbol_is_refused(tmp_path: Path) -> None:
    p = _variant(tmp_path, b"protection),37000000", b"protection),lots")
    with pytest.raises(SchemaError, match="neither a number"):
        read_s251_lines(p, [SOCIAL_WORK])
    # Near miss: pounds and thousands separators are numbers.
    ok = _variant(tmp_path, b"protection),37000000", b'protection),"\xc2\xa337,000,000"')
    rows = read_s251_lines(ok, [SOCIAL_WORK])
    assert any(r.value == 37_000_000 and r.geo_code == "352" for r in rows)


def test_s251_same_area_year_and_line_twice_is_refused(tmp_path: Path) -> None:
    data = S251.read_text(encoding="utf-8")
    line = next(x for x in data.splitlines() if "Manchester" in x and "Social work" in x)
    p = tmp_path / "dup.csv"
    p.write_text(data + line + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="twice"):
        read_s251_lines(p, [SOCIAL_WORK])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "3.3.1 Social work (including LA functions in relation to child protection)",
            "social work (including la functions in relation to child protection)",
        ),
        ("3.1.2a Fostering services", "fostering services"),
        (
            "Total Safeguarding Children and Young People’s Services",
            "total safeguarding children and young peoples services",
        ),
        ("  Youth   justice ", "youth justice"),
    ],
)
def test_line_descriptions_are_matched_without_numbers_or_apostrophes(
    text: str, expected: str
) -> None:
    assert normalise_line(text) == expected
    assert normalise_line(normalise_line(text)) == expected
