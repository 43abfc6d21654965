"""The inspection/judgement tables and the derived views over them."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cscwatch.core.config import Settings
from cscwatch.core.errors import SchemaError, SourceFileError, UnknownAuthorityError
from cscwatch.indicators.judgements import (
    Direction,
    intervention_status,
    judgement_transitions,
    judgements_in_force,
    resolve_authority_name,
    summarise_judgements,
    to_frame,
)
from cscwatch.ingest.ofsted_reports import JUDGEMENT_COLUMNS
from cscwatch.ingest.ofsted_text import Framework, Grade, JudgementCode, ReportKind
from cscwatch.store.inspections import (
    Inspection,
    authority_names,
    has_inspection_tables,
    load_inspections,
    read_inspections,
)
from cscwatch.store.warehouse import BuildContext

J = JudgementCode
G = Grade


@pytest.fixture(scope="module")
def loaded(snapshot_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ctx = BuildContext(settings=Settings(), snapshot_dir=snapshot_dir)
    load_inspections(con, ctx)
    assert ctx.row_counts == {"inspection": 431, "judgement": 2300}
    return con


# ------------------------------------------------------------------------ loading


def test_tables_from_the_snapshot(loaded: duckdb.DuckDBPyConnection) -> None:
    assert has_inspection_tables(loaded)
    by_framework = dict(
        loaded.execute("SELECT framework, count(*) FROM inspection GROUP BY 1").fetchall()
    )
    assert by_framework == {"legacy": 4, "sif": 168, "ilacs": 259}
    # every inspection grades something; "not judged" is kept with a NULL grade
    assert loaded.execute("SELECT count(*) FROM inspection WHERE NOT graded").fetchone() == (0,)
    scilly = loaded.execute(
        "SELECT judgement, grade, grade_text FROM judgement JOIN inspection USING "
        "(inspection_id) WHERE la_code = '420' AND grade IS NULL ORDER BY judgement"
    ).fetchall()
    assert scilly == [
        ("adoption", None, "Not judged"),
        ("care_leavers", None, "Not judged"),
        ("children_in_care", None, "Not judged"),
    ]
    ranks = loaded.execute(
        "SELECT DISTINCT grade, grade_rank FROM judgement WHERE grade IS NOT NULL ORDER BY 2"
    ).fetchall()
    assert ranks == [
        ("outstanding", 1),
        ("good", 2),
        ("requires_improvement", 3),
        ("inadequate", 4),
    ]


def test_read_inspections_typed(loaded: duckdb.DuckDBPyConnection) -> None:
    manchester = read_inspections(loaded, la_code="352")
    assert [i.publication_date for i in manchester] == [
        date(2014, 9, 1),
        date(2017, 12, 21),
        date(2022, 5, 19),
    ]
    first = manchester[0]
    assert first.framework is Framework.SIF and first.kind is ReportKind.STANDARD
    assert first.grade(J.OVERALL) is G.INADEQUATE and first.grade(J.LSCB) is G.INADEQUATE
    assert next(iter(first.judgements)) is J.OVERALL  # judgements in a fixed order


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(JUDGEMENT_COLUMNS)
        w.writerows(rows)


def test_schema_errors_name_row_and_column(tmp_path: Path) -> None:
    base = [
        "a/2020-01-01_x.pdf",
        "1",
        "301",
        "ilacs",
        "standard",
        "2019-11-01",
        "2019-11-12",
        "2020-01-01",
    ]
    _write(
        tmp_path / "ofsted_judgements.csv",
        [
            [*base, "overall_effectiveness", "good", "Good"],
            [*base, "help_protection", "excellent", "Excellent"],
            [*base[:5], "2019-13-01", *base[6:], "leadership", "good", "Good"],
        ],
    )
    ctx = BuildContext(settings=Settings(), snapshot_dir=tmp_path)
    with pytest.raises(SchemaError) as info:
        load_inspections(duckdb.connect(), ctx)
    assert info.value.row == 3 and info.value.column == "grade"
    assert "1 more problem" in str(info.value)


def test_missing_snapshot_file(tmp_path: Path) -> None:
    ctx = BuildContext(settings=Settings(), snapshot_dir=tmp_path)
    with pytest.raises(SourceFileError, match="cscwatch ofsted extract"):
        load_inspections(duckdb.connect(), ctx)


def test_read_without_tables_is_a_warehouse_error() -> None:
    from cscwatch.core.errors import WarehouseError

    with pytest.raises(WarehouseError, match="cscwatch build"):
        read_inspections(duckdb.connect())


def test_authority_names_fall_back_to_provider_lookup(snapshot_dir: Path, tmp_path: Path) -> None:
    shutil.copy(snapshot_dir / "provider_lookup.csv", tmp_path / "provider_lookup.csv")
    names = authority_names(duckdb.connect(), tmp_path)
    assert names["352"] == "Manchester" and names["838"] == "Dorset"


# ------------------------------------------------------------------ derived views


def _insp(
    iid: int,
    la: str,
    published: date,
    grades: dict[JudgementCode, Grade],
    framework: Framework = Framework.ILACS,
) -> Inspection:
    return Inspection(
        inspection_id=iid,
        file=f"{la}/{published}.pdf",
        urn=None,
        la_code=la,
        framework=framework,
        kind=ReportKind.STANDARD,
        start_date=None,
        end_date=None,
        publication_date=published,
        judgements=dict(grades),
    )


ALL_INADEQUATE = {
    J.OVERALL: G.INADEQUATE,
    J.HELP_PROTECTION: G.INADEQUATE,
    J.IN_CARE_AND_CARE_LEAVERS: G.INADEQUATE,
    J.LEADERSHIP: G.INADEQUATE,
}
HISTORY = [
    _insp(1, "100", date(2014, 6, 1), ALL_INADEQUATE, Framework.SIF),
    _insp(2, "100", date(2017, 6, 1), {J.OVERALL: G.REQUIRES_IMPROVEMENT}, Framework.SIF),
    _insp(3, "100", date(2021, 6, 1), {**ALL_INADEQUATE, J.LEADERSHIP: G.REQUIRES_IMPROVEMENT}),
    _insp(4, "200", date(2019, 3, 1), {J.OVERALL: G.GOOD, J.HELP_PROTECTION: G.GOOD}),
    _insp(5, "200", date(2023, 3, 1), {J.OVERALL: G.OUTSTANDING}),
    _insp(6, "300", date(2020, 2, 29), {J.LAC_OVERALL: G.INADEQUATE}, Framework.LEGACY),
]


def test_judgement_in_force_and_staleness() -> None:
    got = {j.la_code: j for j in judgements_in_force(HISTORY, date(2022, 3, 1))}
    assert set(got) == {"100", "200"}  # legacy looked-after judgements are not "overall"
    assert (got["100"].grade, got["100"].inspection_id) == (G.INADEQUATE, 3)
    assert got["200"].grade is G.GOOD and got["200"].age_days == 1096
    # exactly three years is not yet stale; a day more is
    assert not got["200"].stale and not got["100"].stale
    later = {j.la_code: j for j in judgements_in_force(HISTORY, date(2022, 3, 2))}
    assert later["200"].stale and later["200"].age_years == 3.0
    # published the same day counts as in force
    assert judgements_in_force(HISTORY, date(2023, 3, 1))[1].grade is G.OUTSTANDING
    assert judgements_in_force(HISTORY, date(2014, 5, 31)) == []
    only_sif = judgements_in_force(HISTORY, date(2018, 1, 1), framework=Framework.SIF)
    assert [j.la_code for j in only_sif] == ["100"]
    help_ = judgements_in_force(HISTORY, date(2024, 1, 1), judgement=J.HELP_PROTECTION)
    assert {j.la_code: j.inspection_id for j in help_} == {"100": 3, "200": 4}


def test_transitions() -> None:
    moves = judgement_transitions(HISTORY)
    assert [(t.la_code, t.from_grade, t.to_grade, t.direction) for t in moves] == [
        ("100", G.INADEQUATE, G.REQUIRES_IMPROVEMENT, Direction.IMPROVED),
        ("100", G.REQUIRES_IMPROVEMENT, G.INADEQUATE, Direction.DECLINED),
        ("200", G.GOOD, G.OUTSTANDING, Direction.IMPROVED),
    ]
    same = judgement_transitions(HISTORY, judgement=J.HELP_PROTECTION)
    assert [(t.la_code, t.direction) for t in same] == [("100", Direction.SAME)]
    assert judgement_transitions(HISTORY, la_code="200")[0].to_inspection == 5


def test_intervention_regime() -> None:
    at_2021 = {s.la_code: s for s in intervention_status(HISTORY, date(2021, 7, 1))}
    # 2014 and 2021 inadequate are seven years apart: not persistent
    assert not at_2021["100"].persistent_failure
    # leadership requires improvement: not inadequate on every key judgement
    assert not at_2021["100"].systemic_failure
    at_2015 = {s.la_code: s for s in intervention_status(HISTORY, date(2015, 1, 1))}
    assert at_2015["100"].systemic_failure and not at_2015["100"].persistent_failure
    twice = [*HISTORY, _insp(7, "100", date(2024, 1, 1), ALL_INADEQUATE)]
    at_2024 = {s.la_code: s for s in intervention_status(twice, date(2024, 6, 1))}
    assert at_2024["100"].persistent_failure and at_2024["100"].systemic_failure
    assert at_2024["100"].inadequate_overall == (date(2021, 6, 1), date(2024, 1, 1))
    assert not at_2024["200"].persistent_failure and not at_2024["200"].systemic_failure


def test_summary_shape() -> None:
    s = summarise_judgements(HISTORY, date(2022, 3, 2))
    d = s.to_dict()
    assert d == {
        "as_at": "2022-03-02",
        "judgement": "overall_effectiveness",
        "framework": "any",
        "n": 2,
        "counts": {"outstanding": 0, "good": 1, "requires_improvement": 0, "inadequate": 1},
        "percent": {
            "outstanding": 0.0,
            "good": 50.0,
            "requires_improvement": 0.0,
            "inadequate": 50.0,
        },
        "stale": 1,
    }


def test_to_frame() -> None:
    frame = to_frame(judgements_in_force(HISTORY, date(2022, 3, 1)))
    assert list(frame["la_code"]) == ["100", "200"]
    assert {"grade", "age_days", "stale", "publication_date"} <= set(frame.columns)
    assert frame.loc[0, "grade"] == "inadequate"
    with pytest.raises(TypeError):
        to_frame([1])


_grades = st.sampled_from(list(Grade))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["100", "200", "300", "400"]),
            st.dates(min_value=date(2013, 1, 1), max_value=date(2025, 12, 31)),
            _grades,
        ),
        max_size=30,
    ),
    st.dates(min_value=date(2012, 1, 1), max_value=date(2026, 12, 31)),
)
def test_summary_counts_add_up(rows: list[tuple[str, date, Grade]], as_at: date) -> None:
    items = [_insp(i, la, d, {J.OVERALL: g}) for i, (la, d, g) in enumerate(rows)]
    s = summarise_judgements(items, as_at)
    assert sum(s.counts.values()) == s.n <= 4
    assert 0 <= s.stale <= s.n
    if s.n:
        assert abs(sum(s.percent.values()) - 100) < 0.3
    expected = {la for la, d, _ in rows if d <= as_at}
    assert {j.la_code for j in judgements_in_force(items, as_at)} == expected
    for t in judgement_transitions(items):
        assert t.from_date <= t.to_date


def test_resolve_authority_name() -> None:
    names = {
        "352": "Manchester",
        "801": "Bristol, City of",
        "839": "Bournemouth, Christchurch and Poole",
    }
    assert resolve_authority_name("352", names) == "352"
    assert resolve_authority_name("manchester", names) == "352"
    assert resolve_authority_name("Bristol", names) == "801"  # a unique prefix
    assert resolve_authority_name("bournemouth, christchurch & poole", names) == "839"
    with pytest.raises(UnknownAuthorityError) as info:
        resolve_authority_name("Manchster", names)
    assert info.value.suggestions == ["Manchester (352)"]


def test_ungraded_visit_round_trip(tmp_path: Path) -> None:
    """A focused visit is written as one row without a judgement and loads as an
    inspection that grades nothing."""
    from cscwatch.ingest.ofsted_reports import ExtractedReport, ReportStatus, write_judgements_csv
    from cscwatch.ingest.ofsted_text import parse_report_text

    parsed = parse_report_text(
        "Focused visit to Leeds local authority children's services\n"
        "Inspection dates: 4 to 5 March 2020\n"
    )
    assert parsed is not None and parsed.judgements == ()
    report = ExtractedReport(
        file="80481-leeds/2020-04-01_focused-visit.pdf",
        sha256="0" * 64,
        urn="80481",
        la_code="383",
        authority="Leeds",
        status=ReportStatus.UNGRADED,
        parsed=parsed,
        publication_date=date(2020, 4, 1),
        publication_date_source="file_name",
    )
    assert write_judgements_csv([report], tmp_path / "ofsted_judgements.csv") == 1
    con = duckdb.connect()
    load_inspections(con, BuildContext(settings=Settings(), snapshot_dir=tmp_path))
    assert con.execute("SELECT kind, graded, start_date FROM inspection").fetchall() == [
        ("focused_visit", False, date(2020, 3, 4))
    ]
    assert con.execute("SELECT count(*) FROM judgement").fetchone() == (0,)
    (visit,) = read_inspections(con)
    assert not visit.graded and judgements_in_force([visit], date(2021, 1, 1)) == []
