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
from cscwatch.indicators.authorities import resolve_authority_name
from cscwatch.indicators.interventions import Direction, intervention_status, judgement_transitions
from cscwatch.indicators.judgements import (
    judgements_in_force,
    missing_reports,
    ofsted_record,
    to_frame,
)
from cscwatch.indicators.staleness import StaleReason, stale_status, summarise_judgements
from cscwatch.ingest.ofsted_reports import JUDGEMENT_COLUMNS
from cscwatch.ingest.ofsted_text import Framework, Grade, JudgementCode, ReportKind
from cscwatch.store.inspections import (
    AuthorityPeriod,
    Inspection,
    Provenance,
    authority_names,
    authority_periods,
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
    # 431 reports (2,300 judgements) and 53 inspections only the ILACS overview lists
    assert ctx.row_counts == {"inspection": 484, "judgement": 2565}
    return con


# ------------------------------------------------------------------------ loading


def test_tables_from_the_snapshot(loaded: duckdb.DuckDBPyConnection) -> None:
    assert has_inspection_tables(loaded)
    by_framework = dict(
        loaded.execute(
            "SELECT framework, count(*) FROM inspection WHERE provenance = 'report' GROUP BY 1"
        ).fetchall()
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
        date(2025, 11, 11),
    ]
    assert [i.provenance for i in manchester][-2:] == [Provenance.REPORT, Provenance.OVERVIEW]
    first = manchester[0]
    assert first.framework is Framework.SIF and first.kind is ReportKind.STANDARD
    assert first.grade(J.OVERALL) is G.INADEQUATE and first.grade(J.LSCB) is G.INADEQUATE
    assert next(iter(first.judgements)) is J.OVERALL  # judgements in a fixed order


def test_overview_fills_what_the_archive_lacks(loaded: duckdb.DuckDBPyConnection) -> None:
    """53 of the overview's 153 inspections have no report in the archive; 43 of them
    started on or after 1 April 2025. Every one is ILACS, later than the archive's last
    report of the authority, and no inspection is held twice."""
    rows = loaded.execute(
        """SELECT provenance, framework, count(*), min(publication_date), max(publication_date),
                  count(*) FILTER (WHERE start_date >= DATE '2025-04-01')
           FROM inspection GROUP BY 1, 2 ORDER BY 1, 2"""
    ).fetchall()
    assert ("overview", "ilacs", 53, date(2025, 4, 15), date(2026, 6, 18), 43) in rows
    assert loaded.execute(
        """SELECT count(*) FROM inspection o JOIN inspection r
           ON o.la_code = r.la_code AND o.inspection_id <> r.inspection_id
           AND (o.start_date = r.start_date OR o.publication_date = r.publication_date
                OR (o.start_date <= r.end_date AND r.start_date <= o.end_date))"""
    ).fetchone() == (0,)
    assert loaded.execute(
        """SELECT count(*) FROM inspection o WHERE provenance = 'overview' AND start_date <=
           (SELECT max(start_date) FROM inspection r
            WHERE r.la_code = o.la_code AND r.provenance = 'report')"""
    ).fetchone() == (0,)
    # every overview row links to its report; reports have no link
    assert loaded.execute(
        "SELECT provenance, count(url) FROM inspection GROUP BY 1 ORDER BY 1"
    ).fetchall() == [("overview", 53), ("report", 0)]


def test_report_wins_over_the_overview_errors(loaded: duckdb.DuckDBPyConnection) -> None:
    """The overview's four known errors (St Helens 2023, Nottingham 2022, South
    Tyneside's end date) never reach the warehouse: the report is kept."""

    def only(la: str, start: str) -> Inspection:
        (i,) = [
            i
            for i in read_inspections(loaded, la_code=la)
            if i.start_date == date.fromisoformat(start)
        ]
        return i

    st_helens = only("342", "2023-07-10")
    assert st_helens.provenance is Provenance.REPORT
    assert st_helens.grade(J.HELP_PROTECTION) is G.REQUIRES_IMPROVEMENT
    assert st_helens.grade(J.CHILDREN_IN_CARE) is G.GOOD
    assert st_helens.grade(J.CARE_LEAVERS) is G.OUTSTANDING
    south_tyneside = only("393", "2022-12-05")
    assert south_tyneside.end_date == date(2023, 2, 15)
    nottingham = [
        i for i in read_inspections(loaded, la_code="892") if i.framework.value == "ilacs"
    ]
    latest = nottingham[-1]
    assert latest.provenance is Provenance.REPORT and J.CARE_LEAVERS not in latest.judgements
    assert latest.grade(J.IN_CARE_AND_CARE_LEAVERS) is G.REQUIRES_IMPROVEMENT


def test_overview_grade_not_given_supersedes(loaded: duckdb.DuckDBPyConnection) -> None:
    """Brent and Somerset (published 17 June 2026): the overview gives no overall grade.
    The judgement is recorded as made, not guessed, and the 2023 grade is no longer in
    force after it."""
    inspections = read_inspections(loaded)
    brent = [i for i in inspections if i.la_code == "304"][-1]
    assert brent.provenance is Provenance.OVERVIEW and brent.unknown == {J.OVERALL}
    assert brent.grade(J.HELP_PROTECTION) is G.GOOD and brent.graded
    before = {j.la_code for j in judgements_in_force(inspections, date(2026, 6, 16))}
    after = {j.la_code for j in judgements_in_force(inspections, date(2026, 6, 17))}
    assert {"304", "933"} <= before and not {"304", "933"} & after
    status = {
        s.la_code: s
        for s in stale_status(inspections, [AuthorityPeriod("304", "Brent")], date(2026, 6, 18))
    }
    assert not status["304"].stale and status["304"].last_grade is None


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


#: Dudley's record (LA 332) shape: the single inspection framework judged children in care
#: and care leavers apart, ILACS together (to December 2022), then apart again.
CARE = [
    _insp(
        1,
        "332",
        date(2016, 4, 5),
        {J.OVERALL: G.INADEQUATE, J.CHILDREN_IN_CARE: G.INADEQUATE, J.CARE_LEAVERS: G.GOOD},
        Framework.SIF,
    ),
    _insp(2, "332", date(2018, 12, 10), {J.OVERALL: G.GOOD, J.IN_CARE_AND_CARE_LEAVERS: G.GOOD}),
    _insp(
        3,
        "332",
        date(2024, 1, 12),
        {
            J.OVERALL: G.GOOD,
            J.CHILDREN_IN_CARE: G.OUTSTANDING,
            J.CARE_LEAVERS: G.REQUIRES_IMPROVEMENT,
        },
    ),
]


def test_care_judgements_replace_one_another() -> None:
    """A later inspection judging children in care and care leavers together (or apart)
    ends the grade in force for the other code: the 2016 grades were shown in force in
    2019-2023 and stale, after the 2018 inspection had judged the same children."""
    authorities = [AuthorityPeriod("332", "Dudley")]

    def in_force(day: date, code: JudgementCode) -> tuple[int, Grade] | None:
        got = judgements_in_force(CARE, day, judgement=code)
        return (got[0].inspection_id, got[0].grade) if got else None

    day = date(2019, 6, 1)
    assert in_force(day, J.CHILDREN_IN_CARE) == (2, G.GOOD)  # the combined grade, not 2016's
    assert in_force(day, J.CARE_LEAVERS) == (2, G.GOOD)
    assert in_force(day, J.IN_CARE_AND_CARE_LEAVERS) == (2, G.GOOD)
    assert in_force(date(2017, 1, 1), J.CHILDREN_IN_CARE) == (1, G.INADEQUATE)
    # judged apart again: the combined judgement is no longer in force, and not "stale"
    later = date(2024, 6, 1)
    assert in_force(later, J.IN_CARE_AND_CARE_LEAVERS) is None
    assert in_force(later, J.CARE_LEAVERS) == (3, G.REQUIRES_IMPROVEMENT)
    (s,) = stale_status(CARE, authorities, later, judgement=J.IN_CARE_AND_CARE_LEAVERS)
    assert not s.stale and s.last_published == date(2024, 1, 12) and s.last_grade is None
    (s,) = stale_status(CARE, authorities, date(2021, 6, 1), judgement=J.CARE_LEAVERS)
    assert not s.stale and (s.last_published, s.last_grade) == (date(2018, 12, 10), G.GOOD)
    summary = summarise_judgements(
        CARE, later, authorities=authorities, judgement=J.IN_CARE_AND_CARE_LEAVERS
    )
    assert summary.n == 0 and summary.grade_not_given == () and summary.stale == 0
    # the judgements every output uses are unchanged by the rule
    assert in_force(later, J.OVERALL) == (3, G.GOOD)


def test_care_judgements_in_force_on_the_record_date(con: duckdb.DuckDBPyConnection) -> None:
    """18 June 2026: the combined judgement is in force only where the latest inspection
    made it (started before 2023); children in care and care leavers have a grade for
    every authority, none older than its latest inspection (Dudley's 2016 grades were
    shown in force before)."""
    inspections = read_inspections(con)
    day = date(2026, 6, 18)
    latest: dict[str, Inspection] = {}
    for i in inspections:  # oldest first
        if i.la_code and i.publication_date and i.publication_date <= day and i.judgements:
            latest[i.la_code] = i
    combined = judgements_in_force(inspections, day, judgement=J.IN_CARE_AND_CARE_LEAVERS)
    made = {c for c, i in latest.items() if J.IN_CARE_AND_CARE_LEAVERS in i.judgements}
    assert {j.la_code for j in combined} == made and len(made) == 8
    for code in (J.CHILDREN_IN_CARE, J.CARE_LEAVERS):
        got = judgements_in_force(inspections, day, judgement=code)
        assert len(got) == 153
        for j in got:
            assert j.inspection_id == latest[j.la_code].inspection_id, (code, j.la_code)
    dudley = {
        j.la_code: j for j in judgements_in_force(inspections, day, judgement=J.CHILDREN_IN_CARE)
    }
    assert (dudley["332"].publication_date, dudley["332"].grade) == (
        date(2023, 1, 13),
        G.REQUIRES_IMPROVEMENT,
    )


AUTHORITIES = [
    AuthorityPeriod("100", "Hundred"),
    AuthorityPeriod("200", "Two hundred"),
    AuthorityPeriod("300", "Three hundred"),
    AuthorityPeriod("400", "Four hundred", first_year=2020),  # created April 2019
    AuthorityPeriod("500", "Five hundred", last_year=2019),  # abolished March 2019
]


def test_summary_shape() -> None:
    s = summarise_judgements(HISTORY, date(2022, 3, 2), authorities=AUTHORITIES)
    d = s.to_dict()
    assert d == {
        "as_at": "2022-03-02",
        "record_runs_to": "2023-03-01",
        "as_at_after_record": False,
        "note": None,
        "record": {
            "runs_to": "2023-03-01",
            "archive_runs_to": "2023-03-01",
            "overview_runs_to": None,
            "n_report": 6,
            "n_overview": 0,
        },
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
        "authorities": 4,
        "stale": 3,
        "stale_authorities": [
            {
                "la_code": "200",
                "name": "Two hundred",
                "stale": True,
                "reason": "older_than_three_years",
                "last_published": "2019-03-01",
                "last_grade": "good",
                "age_years": 3.0,
                "provenance": "report",
                "ended_on": None,
                "ended_by_inspection": None,
            },
            {
                "la_code": "300",
                "name": "Three hundred",
                "stale": True,
                "reason": "no_judgement_in_archive",
                "last_published": None,
                "last_grade": None,
                "age_years": None,
                "provenance": None,
                "ended_on": None,
                "ended_by_inspection": None,
            },
            {
                "la_code": "400",
                "name": "Four hundred",
                "stale": True,
                "reason": "no_judgement_in_archive",
                "last_published": None,
                "last_grade": None,
                "age_years": None,
                "provenance": None,
                "ended_on": None,
                "ended_by_inspection": None,
            },
        ],
        "no_judgement_in_archive": {
            "count": 2,
            "authorities": [
                {"la_code": "300", "name": "Three hundred"},
                {"la_code": "400", "name": "Four hundred"},
            ],
        },
        "grade_not_given": [],
        "no_longer_judged": {"count": 0, "authorities": []},
    }


def test_one_definition_of_stale() -> None:
    """No graded judgement in the three years to the date; exactly three years is not
    yet stale; authorities with none count; only authorities existing on the date."""
    at = {s.la_code: s for s in stale_status(HISTORY, AUTHORITIES, date(2022, 3, 1))}
    assert set(at) == {"100", "200", "300", "400"}  # 500 was abolished in 2019
    assert not at["200"].stale and at["200"].age_years == 3.0
    assert at["300"].reason is StaleReason.NO_JUDGEMENT  # legacy looked-after only
    assert at["100"].reason is None and at["100"].last_grade is G.INADEQUATE
    later = {s.la_code: s for s in stale_status(HISTORY, AUTHORITIES, date(2022, 3, 2))}
    assert later["200"].reason is StaleReason.OLDER
    assert later["200"].reason.words == "last judgement older than three years"
    early = {s.la_code for s in stale_status(HISTORY, AUTHORITIES, date(2019, 3, 31))}
    assert early == {"100", "200", "300", "500"}  # 400 not yet created, 500 not yet gone
    # the same rule as JudgementInForce.stale for authorities with a judgement
    for when in (date(2020, 6, 1), date(2022, 3, 2), date(2025, 1, 1)):
        in_force = {j.la_code: j.stale for j in judgements_in_force(HISTORY, when)}
        status = {s.la_code: s.stale for s in stale_status(HISTORY, AUTHORITIES, when)}
        assert all(status[la] == stale for la, stale in in_force.items())


def test_the_record_date() -> None:
    overview = Inspection(
        inspection_id=9,
        file="https://files.ofsted.gov.uk/v1/file/1",
        urn="1",
        la_code="300",
        framework=Framework.ILACS,
        kind=ReportKind.SHORT,
        start_date=date(2025, 5, 1),
        end_date=date(2025, 5, 5),
        publication_date=date(2025, 6, 30),
        judgements={J.OVERALL: G.GOOD},
        provenance=Provenance.OVERVIEW,
        url="https://files.ofsted.gov.uk/v1/file/1",
    )
    record = ofsted_record([*HISTORY, overview])
    assert (record.runs_to, record.archive_runs_to, record.overview_runs_to) == (
        date(2025, 6, 30),
        date(2023, 3, 1),
        date(2025, 6, 30),
    )
    assert record.as_at(None) == date(2025, 6, 30)  # never "today"
    assert record.as_at(date(2020, 1, 1)) == date(2020, 1, 1)
    assert record.note(date(2025, 6, 30)) is None
    note = record.note(date(2026, 1, 1))
    assert note is not None and note.startswith("Ofsted record runs to 2025-06-30")
    s = summarise_judgements([*HISTORY, overview], date(2026, 1, 1), authorities=AUTHORITIES)
    assert s.to_dict()["as_at_after_record"] and s.to_dict()["note"] == note
    (gap,) = missing_reports([*HISTORY, overview], {"300": "Three hundred"})
    assert gap.name == "Three hundred" and gap.url == overview.url
    assert gap.reason == "published after the archive's last report (2023-03-01)"
    assert gap.to_dict()["publication_date"] == "2025-06-30"
    from cscwatch.core.errors import WarehouseError

    with pytest.raises(WarehouseError):
        ofsted_record([]).as_at(None)


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
    s = summarise_judgements(items, as_at, authorities=AUTHORITIES[:4])
    assert sum(s.counts.values()) == s.n <= 4
    existing = {a.la_code for a in AUTHORITIES[:4] if a.exists_on(as_at)}
    assert len(s.statuses) == len(existing)
    # stale + fresh = every authority that existed; no judgement is part of stale
    fresh = {j.la_code for j in judgements_in_force(items, as_at) if not j.stale}
    assert s.stale == len(existing - fresh)
    assert {x.la_code for x in s.no_judgement} == existing - {
        j.la_code for j in judgements_in_force(items, as_at)
    }
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
    assert info.value.suggestions == ["Manchester"]


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


# ------------------------------------------------------------ the real warehouse


def test_stale_counts_authorities_with_no_judgement(con: duckdb.DuckDBPyConnection) -> None:
    """25 August 2016: 53 authorities then existing have no judgement in the archive
    (their last inspection predates the single inspection framework); they count as
    stale instead of dropping out ("stale: 0" before)."""
    inspections = read_inspections(con)
    authorities = authority_periods(con, Path("unused"))
    s = summarise_judgements(inspections, date(2016, 8, 25), authorities=authorities)
    assert len(s.statuses) == 152  # 147 current authorities, 5 former ones
    assert {x.la_code for x in s.statuses} >= {"835", "836", "837", "909", "928"}
    assert not {x.la_code for x in s.statuses} & {"838", "839", "940", "941", "942", "943"}
    assert len(s.no_judgement) == 53 and s.stale == 53 and s.n == 99
    assert s.to_dict()["no_judgement_in_archive"]["count"] == 53


def test_record_date_and_stale_on_it(con: duckdb.DuckDBPyConnection) -> None:
    """The record runs to 18 June 2026 (Wolverhampton, from the overview); the
    archive's last report was published on 18 March 2025."""
    inspections = read_inspections(con)
    record = ofsted_record(inspections)
    assert (record.runs_to, record.archive_runs_to) == (date(2026, 6, 18), date(2025, 3, 18))
    assert (record.n_report, record.n_overview) == (431, 53)
    assert record.runs_to is not None
    s = summarise_judgements(
        inspections, record.runs_to, authorities=authority_periods(con, Path("unused"))
    )
    assert len(s.statuses) == 153 and s.n == 151 and s.grade_not_given == ("304", "933")
    assert s.stale == 22 and not s.no_judgement
    missing = missing_reports(inspections, {})
    assert len(missing) == 53
    assert sum(m.start_date is not None and m.start_date >= date(2025, 4, 1) for m in missing) == 43
