"""The rules every view of Ofsted judgements applies, declared once.

Which judgement an inspection replaces besides its own (:data:`REPLACED_BY`: ILACS's
combined and separate judgements of children in care and care leavers), which
judgements no current framework makes and what ends them (:data:`NO_LONGER_JUDGED`),
the key judgements for systemic failure (:data:`KEY_JUDGEMENTS`) and the time limits
(:data:`STALE_AFTER_YEARS`, :data:`PERSISTENT_WINDOW_YEARS`); and the per-authority
look-ups that apply them to the inspections (:func:`latest_made`,
:func:`ended_judgements`, :func:`graded_on`). The definitions in words are in
:mod:`cscwatch.indicators.judgements` and ``docs/ofsted.md``; the views are there, in
:mod:`cscwatch.indicators.staleness` and in :mod:`cscwatch.indicators.interventions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from cscwatch.core.dates import add_years
from cscwatch.ingest.ofsted_text import Framework, Grade, JudgementCode
from cscwatch.store.inspections import Inspection

__all__ = [
    "KEY_JUDGEMENTS",
    "LSCBS_REPLACED",
    "NO_LONGER_JUDGED",
    "PERSISTENT_WINDOW_YEARS",
    "REPLACED_BY",
    "STALE_AFTER_YEARS",
    "Ended",
    "Ending",
    "ended_judgements",
    "grade_of",
    "graded_on",
    "latest_made",
    "not_given",
    "older_than_stale",
    "years_before",
]

#: A judgement older than this many years is flagged stale.
STALE_AFTER_YEARS = 3
#: The window for persistent failure, in years.
PERSISTENT_WINDOW_YEARS = 5

#: The key judgements for systemic failure (those an inspection grades).
KEY_JUDGEMENTS = (
    JudgementCode.HELP_PROTECTION,
    JudgementCode.CHILDREN_IN_CARE,
    JudgementCode.IN_CARE_AND_CARE_LEAVERS,
    JudgementCode.CARE_LEAVERS,
    JudgementCode.LEADERSHIP,
)


#: Judgements that end one in force besides itself: ILACS judged "children in care and
#: care leavers" together until December 2022 and apart from January 2023 (and the
#: single inspection framework apart), so an inspection judging the same children under
#: the other code replaces the grade. Without this a 2016 grade for children in care
#: stayed "in force" in 2026 after two later inspections had judged them (Dudley).
REPLACED_BY: dict[JudgementCode, tuple[JudgementCode, ...]] = {
    JudgementCode.CHILDREN_IN_CARE: (JudgementCode.IN_CARE_AND_CARE_LEAVERS,),
    JudgementCode.CARE_LEAVERS: (JudgementCode.IN_CARE_AND_CARE_LEAVERS,),
    JudgementCode.IN_CARE_AND_CARE_LEAVERS: (
        JudgementCode.CHILDREN_IN_CARE,
        JudgementCode.CARE_LEAVERS,
    ),
}


#: The date by which every local authority area had to have replaced its LSCB with
#: safeguarding partner arrangements (Working Together to Safeguard Children 2018 and
#: its transitional guidance: transition from 29 June 2018, completed by 29 September
#: 2019). No LSCB exists from this date, so no LSCB judgement is in force.
LSCBS_REPLACED = date(2019, 9, 29)


@dataclass(frozen=True)
class Ending:
    """When a judgement that no current framework makes stops being in force: at the
    authority's next published inspection making one of ``judged_by`` (graded or not
    given), or the next graded inspection under one of ``frameworks`` (which do not make
    it), or on ``on`` whatever comes first."""

    judged_by: tuple[JudgementCode, ...] = ()
    frameworks: tuple[Framework, ...] = ()
    on: date | None = None

    def ends(self, i: Inspection) -> bool:
        """Whether a later inspection ``i`` ends the judgement."""
        if any(c in i.judgements or c in i.unknown for c in self.judged_by):
            return True
        return i.framework in self.frameworks and i.kind.graded


_BY_CHILDREN_IN_CARE = Ending(
    judged_by=(JudgementCode.CHILDREN_IN_CARE, JudgementCode.IN_CARE_AND_CARE_LEAVERS)
)
#: Judgements that end without a successor of their own code, and how (the one place holding the
#: rule; :mod:`cscwatch.indicators.judgements` and ``docs/ofsted.md`` say it in words, with
#: sources). The legacy looked-after inspection judged looked-after services only; the single
#: inspection framework (November 2013) judged the same children as "children looked after", and
#: ILACS (January 2018) as children in care (with care leavers to December 2022). The single
#: inspection framework graded adoption performance and reviewed the LSCB; ILACS grades neither.
#: Without this, 145 authorities' adoption grades and 147 LSCB grades of 2014-2018 were "in force"
#: on 18 June 2026, and four 2013 looked-after judgements (three Inadequate).
NO_LONGER_JUDGED: dict[JudgementCode, Ending] = {
    JudgementCode.ADOPTION: Ending(frameworks=(Framework.ILACS,)),
    JudgementCode.LSCB: Ending(frameworks=(Framework.ILACS,), on=LSCBS_REPLACED),
    JudgementCode.LAC_OVERALL: _BY_CHILDREN_IN_CARE,
    JudgementCode.LAC_CAPACITY: _BY_CHILDREN_IN_CARE,
    JudgementCode.LAC_OUTCOMES: _BY_CHILDREN_IN_CARE,
    JudgementCode.LAC_QUALITY: _BY_CHILDREN_IN_CARE,
    JudgementCode.LAC_LEADERSHIP: _BY_CHILDREN_IN_CARE,
}


def _makes(i: Inspection, judgement: JudgementCode) -> bool:
    """Whether the inspection made ``judgement`` or replaced it (graded or not given)."""
    return any(
        c in i.judgements or c in i.unknown for c in (judgement, *REPLACED_BY.get(judgement, ()))
    )


def grade_of(i: Inspection, judgement: JudgementCode) -> Grade | None:
    """The inspection's grade for ``judgement``: the combined ILACS grade stands for
    children in care and for care leavers; none when not given or judged apart."""
    grade = i.judgements.get(judgement)
    if grade is None and judgement in (JudgementCode.CHILDREN_IN_CARE, JudgementCode.CARE_LEAVERS):
        grade = i.judgements.get(JudgementCode.IN_CARE_AND_CARE_LEAVERS)
    return grade


def not_given(i: Inspection, judgement: JudgementCode) -> bool:
    """Whether the inspection made ``judgement`` but the source does not give its grade."""
    combined = (
        (JudgementCode.IN_CARE_AND_CARE_LEAVERS,)
        if judgement in (JudgementCode.CHILDREN_IN_CARE, JudgementCode.CARE_LEAVERS)
        else ()
    )
    return grade_of(i, judgement) is None and any(c in i.unknown for c in (judgement, *combined))


def years_before(d: date, years: int) -> date:
    """``d`` moved back ``years`` years (29 February to 28 February)."""
    return add_years(d, -years)


def older_than_stale(published: date, as_at: date) -> bool:
    """Published more than three years before ``as_at`` (exactly three is not stale)."""
    return published < years_before(as_at, STALE_AFTER_YEARS)


def graded_on(
    inspections: Iterable[Inspection], judgement: JudgementCode
) -> dict[str, list[Inspection]]:
    """Per authority, the published inspections grading ``judgement``, oldest first."""
    out: dict[str, list[Inspection]] = {}
    for i in inspections:
        if i.la_code and i.publication_date and judgement in i.judgements:
            out.setdefault(i.la_code, []).append(i)
    for items in out.values():
        items.sort(key=lambda i: (i.publication_date, i.end_date or date.min, i.inspection_id))
    return out


def _made_on(
    inspections: Iterable[Inspection], judgement: JudgementCode
) -> dict[str, list[Inspection]]:
    """Per authority, the published inspections that made ``judgement`` (graded or with
    the grade not given) or replaced it (:data:`REPLACED_BY`), oldest first."""
    out: dict[str, list[Inspection]] = {}
    for i in inspections:
        if i.la_code and i.publication_date and _makes(i, judgement):
            out.setdefault(i.la_code, []).append(i)
    for items in out.values():
        items.sort(key=lambda i: (i.publication_date, i.end_date or date.min, i.inspection_id))
    return out


def latest_made(
    inspections: Iterable[Inspection], as_at: date, judgement: JudgementCode
) -> dict[str, Inspection]:
    """Per authority, the latest inspection published on or before ``as_at`` that made
    ``judgement``."""
    out: dict[str, Inspection] = {}
    for la_code, items in _made_on(inspections, judgement).items():
        published = [i for i in items if i.publication_date and i.publication_date <= as_at]
        if published:
            out[la_code] = published[-1]
    return out


def _order(i: Inspection) -> tuple[date, date, int]:
    """The order of an authority's inspections (as :func:`_made_on` sorts them)."""
    assert i.publication_date is not None
    return (i.publication_date, i.end_date or date.min, i.inspection_id)


@dataclass(frozen=True)
class Ended:
    """Why a judgement is no longer in force: the date, and the inspection (``None``
    when a date ended it)."""

    on: date
    by: Inspection | None


def ended_judgements(
    inspections: Iterable[Inspection],
    as_at: date,
    judgement: JudgementCode,
    latest: Mapping[str, Inspection],
) -> dict[str, Ended]:
    """Per authority in ``latest``, how its judgement ended on or before ``as_at`` with
    no successor (:data:`NO_LONGER_JUDGED`); authorities whose judgement stands are
    left out."""
    rule = NO_LONGER_JUDGED.get(judgement)
    if rule is None or not latest:
        return {}
    out: dict[str, Ended] = {}
    for i in sorted(
        (i for i in inspections if i.la_code in latest and i.publication_date), key=_order
    ):
        assert i.la_code is not None and i.publication_date is not None
        last = latest[i.la_code]
        if (
            i.la_code not in out
            and i.publication_date <= as_at
            and _order(i) > _order(last)
            and rule.ends(i)
        ):
            out[i.la_code] = Ended(on=i.publication_date, by=i)
    if rule.on is not None and rule.on <= as_at:
        for la_code, last in latest.items():
            assert last.publication_date is not None
            found = out.get(la_code)
            if last.publication_date < rule.on and (found is None or rule.on < found.on):
                out[la_code] = Ended(on=rule.on, by=None)
    return out
