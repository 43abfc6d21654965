"""Judgements no current framework makes stop being in force (docs/ofsted.md).

The single inspection framework (SIF, 2013-2017) graded adoption performance and
reviewed the LSCB; ILACS (January 2018 on) grades neither, and LSCBs were replaced by
safeguarding partners by 29 September 2019 (Working Together 2018). The legacy
looked-after inspection's ``lac_*`` judgements are ended by the next inspection judging
children in care. Before this rule they stayed "in force" for ever: on 18 June 2026, 145
authorities' adoption grades and 147 LSCB grades of 2014-2018, and four 2013
looked-after judgements (three Inadequate).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from cscwatch.indicators.judgements import judgements_in_force
from cscwatch.indicators.staleness import StaleReason, stale_status, summarise_judgements
from cscwatch.ingest.ofsted_text import Framework, Grade, JudgementCode, ReportKind
from cscwatch.store.inspections import (
    AuthorityPeriod,
    Inspection,
    Provenance,
    authority_periods,
    read_inspections,
)

J = JudgementCode
G = Grade
RECORD = date(2026, 6, 18)


def _insp(
    iid: int,
    published: date,
    grades: dict[JudgementCode, Grade],
    framework: Framework,
    kind: ReportKind = ReportKind.STANDARD,
    la: str = "100",
    unknown: frozenset[JudgementCode] = frozenset(),
) -> Inspection:
    return Inspection(
        inspection_id=iid,
        file=f"{la}/{published}.pdf",
        urn=None,
        la_code=la,
        framework=framework,
        kind=kind,
        start_date=None,
        end_date=None,
        publication_date=published,
        judgements=dict(grades),
        provenance=Provenance.OVERVIEW if unknown else Provenance.REPORT,
        unknown=unknown,
    )


SIF: dict[JudgementCode, Grade] = {
    J.OVERALL: G.REQUIRES_IMPROVEMENT,
    J.HELP_PROTECTION: G.REQUIRES_IMPROVEMENT,
    J.CHILDREN_IN_CARE: G.GOOD,
    J.ADOPTION: G.GOOD,
    J.CARE_LEAVERS: G.GOOD,
    J.LEADERSHIP: G.REQUIRES_IMPROVEMENT,
    J.LSCB: G.INADEQUATE,
}
ILACS: dict[JudgementCode, Grade] = {
    J.OVERALL: G.GOOD,
    J.HELP_PROTECTION: G.GOOD,
    J.IN_CARE_AND_CARE_LEAVERS: G.OUTSTANDING,
    J.LEADERSHIP: G.GOOD,
}
#: A re-inspection grades adoption again but reviews no LSCB.
REINSPECTION: dict[JudgementCode, Grade] = {
    **{k: v for k, v in SIF.items() if k != J.LSCB},
    J.ADOPTION: G.OUTSTANDING,
}
#: Authority 100: a legacy looked-after inspection (2013), SIF (2015), a SIF re-inspection
#: (no LSCB review, 2017), an ungraded ILACS focused visit (2018), ILACS (October 2019).
#: Authority 200: SIF (2016), ILACS before the LSCBs' end (March 2019).
#: Authority 300: a legacy looked-after inspection, then an overview inspection whose
#: children in care grade is not given.
HISTORY = [
    _insp(1, date(2013, 8, 2), {J.LAC_OVERALL: G.INADEQUATE}, Framework.LEGACY,
          ReportKind.LOOKED_AFTER),
    _insp(2, date(2015, 6, 5), SIF, Framework.SIF),
    _insp(3, date(2017, 3, 1), REINSPECTION, Framework.SIF, ReportKind.REINSPECTION),
    _insp(4, date(2018, 5, 1), {}, Framework.ILACS, ReportKind.FOCUSED_VISIT),
    _insp(5, date(2019, 10, 15), ILACS, Framework.ILACS, ReportKind.SHORT),
    _insp(6, date(2016, 4, 5), SIF, Framework.SIF, la="200"),
    _insp(7, date(2019, 3, 1), ILACS, Framework.ILACS, la="200"),
    _insp(8, date(2013, 8, 23), {J.LAC_OVERALL: G.REQUIRES_IMPROVEMENT}, Framework.LEGACY,
          ReportKind.LOOKED_AFTER, la="300"),
    _insp(9, date(2024, 2, 1), {J.OVERALL: G.GOOD}, Framework.ILACS, la="300",
          unknown=frozenset({J.CHILDREN_IN_CARE})),
]  # fmt: skip
AUTHORITIES = [AuthorityPeriod(c, f"LA {c}") for c in ("100", "200", "300")]


def _in_force(day: date, code: JudgementCode) -> dict[str, tuple[int, Grade]]:
    return {
        j.la_code: (j.inspection_id, j.grade)
        for j in judgements_in_force(HISTORY, day, judgement=code)
    }


def _ended(day: date, code: JudgementCode) -> dict[str, tuple[date | None, int | None]]:
    return {
        s.la_code: (s.ended_on, s.ended_by_inspection)
        for s in stale_status(HISTORY, AUTHORITIES, day, judgement=code)
        if s.reason is StaleReason.NO_LONGER_JUDGED
    }


def test_adoption_ends_at_the_next_ilacs_inspection() -> None:
    # a SIF re-inspection grades adoption again; an ungraded ILACS visit ends nothing
    assert _in_force(date(2018, 6, 1), J.ADOPTION) == {
        "100": (3, G.OUTSTANDING),
        "200": (6, G.GOOD),
    }
    assert _in_force(date(2019, 10, 14), J.ADOPTION) == {"100": (3, G.OUTSTANDING)}
    assert _ended(date(2019, 10, 14), J.ADOPTION) == {"200": (date(2019, 3, 1), 7)}
    # published the same day as the ILACS inspection: ended
    assert _in_force(date(2019, 10, 15), J.ADOPTION) == {}
    assert _ended(date(2019, 10, 15), J.ADOPTION) == {
        "100": (date(2019, 10, 15), 5),
        "200": (date(2019, 3, 1), 7),
    }


def test_lscb_ends_at_ilacs_or_when_lscbs_were_replaced() -> None:
    # the re-inspection reviews no LSCB, so 2015's review stands until it ends
    assert _in_force(date(2019, 2, 28), J.LSCB) == {
        "100": (2, G.INADEQUATE),
        "200": (6, G.INADEQUATE),
    }
    assert _in_force(date(2019, 9, 28), J.LSCB) == {"100": (2, G.INADEQUATE)}
    assert _ended(date(2019, 9, 28), J.LSCB) == {"200": (date(2019, 3, 1), 7)}
    # every LSCB replaced by safeguarding partners by 29 September 2019: no inspection ended it
    assert _in_force(date(2019, 9, 29), J.LSCB) == {}
    assert _ended(date(2026, 1, 1), J.LSCB) == {
        "100": (date(2019, 9, 29), None),
        "200": (date(2019, 3, 1), 7),
    }


def test_looked_after_judgements_end_at_the_next_judging_children_in_care() -> None:
    for code in (J.LAC_OVERALL,):
        assert _in_force(date(2015, 6, 4), code) == {
            "100": (1, G.INADEQUATE),
            "300": (8, G.REQUIRES_IMPROVEMENT),
        }
        assert _in_force(date(2015, 6, 5), code) == {"300": (8, G.REQUIRES_IMPROVEMENT)}
        # a grade not given for children in care still ends it (the overview's row)
        assert _in_force(date(2024, 2, 1), code) == {}
        assert _ended(date(2024, 2, 1), code) == {
            "100": (date(2015, 6, 5), 2),
            "300": (date(2024, 2, 1), 9),
        }


def test_ended_is_stale_with_its_own_reason_and_summary() -> None:
    day = date(2019, 12, 31)
    (s,) = [s for s in stale_status(HISTORY, AUTHORITIES, day, judgement=J.ADOPTION)
            if s.la_code == "100"]  # fmt: skip
    # the last judgement is kept, with when and how it ended; not "older than three years"
    assert s.stale and s.reason is StaleReason.NO_LONGER_JUDGED
    assert (s.last_published, s.last_grade, s.age_years) == (date(2017, 3, 1), G.OUTSTANDING, 2.83)
    assert s.reason.words == "last judgement ended: no current inspection framework makes it"
    assert s.view().to_dict() == {
        "la_code": "100",
        "name": "LA 100",
        "stale": True,
        "reason": "no_longer_judged",
        "last_published": "2017-03-01",
        "last_grade": "outstanding",
        "age_years": 2.83,
        "provenance": "report",
        "ended_on": "2019-10-15",
        "ended_by_inspection": 5,
    }
    summary = summarise_judgements(HISTORY, day, authorities=AUTHORITIES, judgement=J.ADOPTION)
    assert summary.n == 0 and sum(summary.counts.values()) == 0
    assert summary.stale == 3 and len(summary.no_judgement) == 1  # 300: never judged
    d = summary.to_dict()
    assert d["no_longer_judged"] == {
        "count": 2,
        "authorities": [{"la_code": "100", "name": "LA 100"}, {"la_code": "200", "name": "LA 200"}],
    }
    # a grade not given is listed as such until it ends, then as no longer judged
    not_given = [
        *HISTORY,
        _insp(10, date(2014, 1, 1), {}, Framework.LEGACY, ReportKind.LOOKED_AFTER, la="200",
              unknown=frozenset({J.LAC_OVERALL})),
    ]  # fmt: skip
    for when, listed, ended in ((date(2015, 1, 1), ("200",), 0), (day, (), 2)):
        lac = summarise_judgements(
            not_given, when, authorities=AUTHORITIES, judgement=J.LAC_OVERALL
        )
        assert (lac.grade_not_given, len(lac.no_longer_judged)) == (listed, ended)


def test_other_judgements_never_end_without_a_successor() -> None:
    """Overall effectiveness, help and protection, leadership, children in care, care
    leavers and the combined judgement keep their rule: the ILACS inspection replaces
    them, and they are never ``no_longer_judged``."""
    day = date(2026, 1, 1)
    for code in (J.OVERALL, J.HELP_PROTECTION, J.LEADERSHIP, J.CHILDREN_IN_CARE, J.CARE_LEAVERS,
                 J.IN_CARE_AND_CARE_LEAVERS):  # fmt: skip
        reasons = {s.reason for s in stale_status(HISTORY, AUTHORITIES, day, judgement=code)}
        assert reasons <= {None, StaleReason.OLDER, StaleReason.NO_JUDGEMENT}, code
    assert _in_force(day, J.OVERALL) == {"100": (5, G.GOOD), "200": (7, G.GOOD), "300": (9, G.GOOD)}
    assert _in_force(day, J.CARE_LEAVERS) == {"100": (5, G.OUTSTANDING), "200": (7, G.OUTSTANDING)}
    assert _in_force(date(2019, 6, 1), J.LEADERSHIP) == {
        "100": (3, G.REQUIRES_IMPROVEMENT),
        "200": (7, G.GOOD),
    }


# ------------------------------------------------------------ the real warehouse

#: Per judgement and date: (n, counts best first, stale), as ``/api/ofsted/summary`` answered
#: before the rule (3 December 2026, at e830fec) and after it.
UNCHANGED = {
    (J.OVERALL, date(2016, 8, 25)): (99, (2, 25, 49, 23), 53),
    (J.OVERALL, date(2021, 6, 1)): (147, (18, 57, 52, 20), 50),
    (J.OVERALL, RECORD): (151, (46, 63, 29, 13), 22),
    (J.HELP_PROTECTION, date(2016, 8, 25)): (99, (0, 24, 54, 21), 53),
    (J.HELP_PROTECTION, date(2021, 6, 1)): (147, (11, 47, 73, 16), 50),
    (J.HELP_PROTECTION, RECORD): (153, (28, 71, 45, 9), 22),
    (J.CHILDREN_IN_CARE, date(2016, 8, 25)): (98, (2, 30, 55, 11), 54),
    (J.CHILDREN_IN_CARE, date(2021, 6, 1)): (147, (15, 62, 61, 9), 50),
    (J.CHILDREN_IN_CARE, RECORD): (153, (52, 65, 30, 6), 22),
    (J.CARE_LEAVERS, date(2016, 8, 25)): (98, (3, 34, 48, 13), 54),
    (J.CARE_LEAVERS, date(2021, 6, 1)): (147, (16, 67, 57, 7), 50),
    (J.CARE_LEAVERS, RECORD): (153, (43, 63, 39, 8), 22),
    (J.LEADERSHIP, date(2016, 8, 25)): (99, (7, 25, 47, 20), 53),
    (J.LEADERSHIP, date(2021, 6, 1)): (147, (25, 61, 44, 17), 50),
    (J.LEADERSHIP, RECORD): (153, (55, 58, 31, 9), 22),
    (J.IN_CARE_AND_CARE_LEAVERS, date(2016, 8, 25)): (0, (0, 0, 0, 0), 54),
    (J.IN_CARE_AND_CARE_LEAVERS, date(2021, 6, 1)): (101, (13, 45, 36, 7), 50),
    (J.IN_CARE_AND_CARE_LEAVERS, RECORD): (8, (0, 2, 5, 1), 22),
}


@pytest.mark.parametrize(("code", "day"), list(UNCHANGED))
def test_real_other_judgements_unchanged(
    con: duckdb.DuckDBPyConnection, code: JudgementCode, day: date
) -> None:
    s = summarise_judgements(
        read_inspections(con), day, authorities=authority_periods(con, Path("unused")),
        judgement=code,
    )  # fmt: skip
    assert (s.n, tuple(s.counts.values()), s.stale) == UNCHANGED[code, day]
    assert {x.reason for x in s.stale_authorities} <= {StaleReason.OLDER, StaleReason.NO_JUDGEMENT}


@pytest.mark.parametrize(
    ("code", "ended", "no_judgement"),
    [(J.ADOPTION, 145, 8), (J.LSCB, 147, 6), (J.LAC_OVERALL, 4, 149), (J.LAC_LEADERSHIP, 4, 149)],
)
def test_real_no_longer_in_force_on_the_record_date(
    con: duckdb.DuckDBPyConnection, code: JudgementCode, ended: int, no_judgement: int
) -> None:
    """18 June 2026: none in force (145 adoption, 147 LSCB and 4 looked-after grades
    were); each ended by an inspection of the same authority published after it that
    does not make it (or, for the LSCB, by 29 September 2019), shown with its id."""
    inspections = read_inspections(con)
    by_id = {i.inspection_id: i for i in inspections}
    s = summarise_judgements(
        inspections, RECORD, authorities=authority_periods(con, Path("unused")), judgement=code
    )
    assert s.n == 0 and judgements_in_force(inspections, RECORD, judgement=code) == []
    assert len(s.no_longer_judged) == ended and len(s.no_judgement) == no_judgement
    assert s.stale == 153 and s.to_dict()["no_longer_judged"]["count"] == ended
    for st in s.no_longer_judged:
        assert st.last_grade is not None and st.last_published is not None
        assert st.ended_on is not None and st.last_published < st.ended_on <= RECORD
        if st.ended_by_inspection is None:
            assert code is J.LSCB and st.ended_on == date(2019, 9, 29)
            continue
        by = by_id[st.ended_by_inspection]
        assert by.la_code == st.la_code and by.publication_date == st.ended_on
        assert code not in by.judgements
        if code in (J.ADOPTION, J.LSCB):
            assert by.framework is Framework.ILACS
        else:
            assert {J.CHILDREN_IN_CARE, J.IN_CARE_AND_CARE_LEAVERS} & set(by.judgements)


def test_real_looked_after_and_lscb_cases(con: duckdb.DuckDBPyConnection) -> None:
    """Sandwell's 2013 looked-after judgement (Inadequate) ended with its SIF inspection
    of 5 June 2015; on 30 June 2019 52 LSCB grades had been ended by an ILACS inspection
    and 95 stood; after 29 September 2019 none does."""
    inspections = read_inspections(con)
    authorities = authority_periods(con, Path("unused"))
    (sandwell,) = [
        s for s in stale_status(inspections, authorities, RECORD, judgement=J.LAC_OVERALL)
        if s.la_code == "333"
    ]  # fmt: skip
    assert (sandwell.last_published, sandwell.last_grade) == (date(2013, 8, 2), G.INADEQUATE)
    assert sandwell.ended_on == date(2015, 6, 5)
    by = next(i for i in inspections if i.inspection_id == sandwell.ended_by_inspection)
    assert (by.framework, by.judgements[J.CHILDREN_IN_CARE]) == (
        Framework.SIF,
        G.REQUIRES_IMPROVEMENT,
    )
    lscb = summarise_judgements(
        inspections, date(2019, 6, 30), authorities=authorities, judgement=J.LSCB
    )
    assert (lscb.n, len(lscb.no_longer_judged)) == (95, 52)
    later = summarise_judgements(
        inspections, date(2019, 9, 29), authorities=authorities, judgement=J.LSCB
    )
    assert later.n == 0 and len(later.no_longer_judged) == 147
