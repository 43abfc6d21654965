"""The ILACS overview: the reader's rules on small workbooks, and the real file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from cscwatch.core.errors import SchemaError, SourceFileError
from cscwatch.ingest.ofsted_overview import OVERVIEW_COLUMNS, OVERVIEW_FILE, read_ilacs_overview
from cscwatch.ingest.ofsted_text import Grade, JudgementCode, ReportKind

J = JudgementCode
G = Grade

_ROW = {
    "urn": "80426",
    "la_code": "370",
    "local_authority": "barnsley",
    "inspection_link": "https://files.ofsted.gov.uk/v1/file/50231520",
    "overall_effectiveness_grade": "good",
    "inspection_framework": "short",
    "inspection_start_date": "11/09/2023",
    "inspection_end_date": "15/09/2023",
    "publication_date": "27/10/23",
    "impact_of_leaders_grade": "good",
    "help_and_protection_grade": "requires improvement",
    "in_care_grade": "good",
    "care_leavers_grade": "outstanding",
}


def _book(tmp_path: Path, *rows: Mapping[str, object], columns: tuple[str, ...] = ()) -> Path:
    header = list(columns or ("region_code", *OVERVIEW_COLUMNS, "inspector_name"))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(
            [r.get(c, "x" if c in ("region_code", "inspector_name") else None) for c in header]
        )
    path = tmp_path / "overview.xlsx"
    wb.save(path)
    return path


def test_a_row_is_read_into_the_extractions_codes(tmp_path: Path) -> None:
    (o,) = read_ilacs_overview(_book(tmp_path, _ROW))
    assert (o.urn, o.la_code, o.kind, o.kind_source) == (
        "80426",
        "370",
        ReportKind.SHORT,
        "overview",
    )
    assert (o.start_date, o.end_date, o.publication_date) == (
        date(2023, 9, 11),
        date(2023, 9, 15),
        date(2023, 10, 27),
    )
    assert o.judgements == {
        J.OVERALL: G.GOOD,
        J.LEADERSHIP: G.GOOD,
        J.HELP_PROTECTION: G.REQUIRES_IMPROVEMENT,
        J.CHILDREN_IN_CARE: G.GOOD,
        J.CARE_LEAVERS: G.OUTSTANDING,
    }
    assert o.grade_text[J.HELP_PROTECTION] == "requires improvement"
    assert not o.combined_care and o.not_given == frozenset()


def test_children_in_care_and_care_leavers_before_2023(tmp_path: Path) -> None:
    """Before January 2023 ILACS judged the two together: the marker, or the start
    date, says so; a care-leavers grade on such a row (Nottingham 2022) is dropped."""
    marker = {**_ROW, "care_leavers_grade": "inspection_pre_dates_judgement"}
    by_date = {
        **_ROW,
        "la_code": "892",
        "inspection_start_date": None,
        "inspection_end_date": None,
        "publication_date": "05/09/22",
        "inspection_framework": "None",
        "care_leavers_grade": "inadequate",
    }
    a, b = read_ilacs_overview(_book(tmp_path, marker, by_date))
    for o in (a, b):
        assert o.combined_care and J.CARE_LEAVERS not in o.judgements
        assert o.judgements[J.IN_CARE_AND_CARE_LEAVERS] is G.GOOD
    # no word, no dates: standard, and said to be a default
    assert (b.kind, b.kind_source) == (ReportKind.STANDARD, "default")


def test_kind_from_days_on_site_when_the_overview_has_none(tmp_path: Path) -> None:
    short = {**_ROW, "inspection_framework": "None"}
    standard = {
        **short,
        "la_code": "371",
        "inspection_start_date": "11/09/2023",
        "inspection_end_date": "22/09/2023",
    }
    a, b = read_ilacs_overview(_book(tmp_path, short, standard))
    assert (a.kind, a.kind_source) == (ReportKind.SHORT, "days_on_site")
    assert b.kind is ReportKind.STANDARD


def test_a_grade_left_out_is_not_guessed(tmp_path: Path) -> None:
    (o,) = read_ilacs_overview(_book(tmp_path, {**_ROW, "overall_effectiveness_grade": "nan"}))
    assert J.OVERALL not in o.judgements and o.not_given == {J.OVERALL}


def test_every_problem_is_collected(tmp_path: Path) -> None:
    bad: list[dict[str, object]] = [
        {**_ROW, "overall_effectiveness_grade": "excellent"},
        {**_ROW, "la_code": "37", "inspection_start_date": "2023-09-11"},
        {**_ROW, "la_code": "371", "publication_date": None},
        {**_ROW, "la_code": "372"},
        {**_ROW, "la_code": "372"},  # the same authority twice
    ]
    with pytest.raises(SchemaError) as info:
        read_ilacs_overview(_book(tmp_path, *bad))
    assert info.value.row == 2 and info.value.column == "overall_effectiveness_grade"
    assert "and 4 more problems" in str(info.value)


def test_missing_column_and_file(tmp_path: Path) -> None:
    path = _book(tmp_path, _ROW, columns=tuple(c for c in OVERVIEW_COLUMNS if c != "urn"))
    with pytest.raises(SchemaError, match="columns missing: urn"):
        read_ilacs_overview(path)
    with pytest.raises(SourceFileError, match="missing"):
        read_ilacs_overview(tmp_path / "nothing.xlsx")
    (tmp_path / "not.xlsx").write_text("a,b\n1,2\n")
    with pytest.raises(SourceFileError, match="not a readable workbook"):
        read_ilacs_overview(tmp_path / "not.xlsx")


def test_the_bundled_overview(snapshot_dir: Path) -> None:
    """153 authorities; two rows without dates or kind (Brighton and Hove 2024,
    Nottingham 2022); two without an overall grade (Brent, Somerset 2026)."""
    rows = read_ilacs_overview(snapshot_dir / OVERVIEW_FILE)
    assert len(rows) == len({o.la_code for o in rows}) == 153
    assert Counter(o.kind_source for o in rows) == {"overview": 151, "default": 2}
    assert sorted(o.la_code for o in rows if J.OVERALL in o.not_given) == ["304", "933"]
    assert max(o.publication_date for o in rows) == date(2026, 6, 18)
    assert all(o.url.startswith("https://files.ofsted.gov.uk/") for o in rows)
    # the combined judgement exactly for inspections begun before January 2023
    for o in rows:
        assert o.combined_care == ((o.start_date or o.publication_date) < date(2023, 1, 1))
