"""Derived views of Ofsted judgements: in force, stale, transitions, intervention.

Every function takes the inspections as typed objects (from
:func:`cscwatch.store.inspections.read_inspections`) and returns typed objects;
:func:`to_frame` turns any list of them into a pandas frame.

Definitions (see ``docs/ofsted.md``):

* The **Ofsted record** runs to the latest publication date of any inspection the
  warehouse holds (reports and the ILACS overview): :func:`ofsted_record`. Nothing
  published after it is known, so every statement "in force" carries that date, and
  a date asked about after it is answered but labelled (:meth:`OfstedRecord.note`).
* A judgement is **in force** for an authority from the publication date of the
  inspection that made it until the next published inspection that makes the same
  judgement. Where that inspection's grade is not given (two overview rows) the
  authority has no known grade in force. Children in care and care leavers are the
  same children whether ILACS judged them together (to December 2022) or apart: an
  inspection judging either way replaces the other's grades, and the combined grade
  stands for each (:data:`_REPLACED_BY`).
* A judgement that **no current framework makes** stops being in force without a
  successor of its own code (:data:`_NO_LONGER_JUDGED`, sources in ``docs/ofsted.md``):
  the legacy looked-after inspection's ``lac_*`` judgements end at the authority's next
  published inspection judging children in care (the single inspection framework's
  children looked after, ILACS's combined or separate judgements); the single
  inspection framework's ``adoption`` and ``lscb`` end at the authority's next
  published graded ILACS inspection (ILACS grades neither), and ``lscb`` on 29 September
  2019 at the latest, when every LSCB had been replaced by safeguarding partners
  (Working Together to Safeguard Children 2018). From then the authority has no such
  grade in force.
* Its **age** is counted from that publication date.
* **Stale** (the one definition, :func:`stale_status`): an authority that existed
  on the date has no graded judgement published in the three years up to it —
  either its last one is older (``older_than_three_years``), or the record holds none
  at all (``no_judgement_in_archive``: its last inspection predates the archive), or
  its last one has ended with no successor (``no_longer_judged``, with the date it
  ended and the inspection that ended it).
* A **transition** compares consecutive graded inspections of an authority on the
  same judgement: ``improved``, ``same`` or ``declined``.
* **Persistent failure**: two or more Inadequate overall effectiveness judgements
  published in the five years up to the date asked about.
* **Systemic failure**: the inspection in force is Inadequate on every key judgement
  it grades (help and protection, children in care, care leavers where graded
  separately under ILACS, and leadership).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import pandas as pd

from cscwatch.core.errors import AmbiguousAuthorityError, UnknownAuthorityError, WarehouseError
from cscwatch.core.records import plain
from cscwatch.indicators._search import Candidate, match
from cscwatch.ingest.ofsted_text import GRADE_RANK, Framework, Grade, JudgementCode
from cscwatch.store.inspections import AuthorityPeriod, Inspection, Provenance

__all__ = [
    "STALE_AFTER_YEARS",
    "Direction",
    "GradeSummary",
    "GradeSummaryView",
    "InterventionStatus",
    "JudgementInForce",
    "MissingReport",
    "NoJudgementView",
    "OfstedRecord",
    "StaleReason",
    "StaleStatus",
    "StaleView",
    "Transition",
    "intervention_status",
    "judgement_transitions",
    "judgements_in_force",
    "missing_reports",
    "ofsted_record",
    "resolve_authority_name",
    "stale_status",
    "summarise_judgements",
    "to_frame",
]

#: A judgement older than this many years is flagged stale.
STALE_AFTER_YEARS = 3
#: The window for persistent failure, in years.
PERSISTENT_WINDOW_YEARS = 5

#: The key judgements for systemic failure (those an inspection grades).
_KEY = (
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
_REPLACED_BY: dict[JudgementCode, tuple[JudgementCode, ...]] = {
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
_LSCBS_REPLACED = date(2019, 9, 29)


@dataclass(frozen=True)
class _Ending:
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


_BY_CHILDREN_IN_CARE = _Ending(
    judged_by=(JudgementCode.CHILDREN_IN_CARE, JudgementCode.IN_CARE_AND_CARE_LEAVERS)
)
#: Judgements that end without a successor of their own code, and how (the one place
#: holding the rule; the module docstring and ``docs/ofsted.md`` say it in words, with
#: sources). The legacy looked-after inspection judged looked-after services only; the
#: single inspection framework (November 2013) judged the same children as "children
#: looked after", and ILACS (January 2018) as children in care (with care leavers to
#: December 2022). The single inspection framework graded adoption performance and
#: reviewed the LSCB; ILACS grades neither. Without this, 145 authorities' adoption
#: grades and 147 LSCB grades of 2014-2018 were "in force" on 18 June 2026, and four
#: 2013 looked-after judgements (three Inadequate).
_NO_LONGER_JUDGED: dict[JudgementCode, _Ending] = {
    JudgementCode.ADOPTION: _Ending(frameworks=(Framework.ILACS,)),
    JudgementCode.LSCB: _Ending(frameworks=(Framework.ILACS,), on=_LSCBS_REPLACED),
    JudgementCode.LAC_OVERALL: _BY_CHILDREN_IN_CARE,
    JudgementCode.LAC_CAPACITY: _BY_CHILDREN_IN_CARE,
    JudgementCode.LAC_OUTCOMES: _BY_CHILDREN_IN_CARE,
    JudgementCode.LAC_QUALITY: _BY_CHILDREN_IN_CARE,
    JudgementCode.LAC_LEADERSHIP: _BY_CHILDREN_IN_CARE,
}


def _makes(i: Inspection, judgement: JudgementCode) -> bool:
    """Whether the inspection made ``judgement`` or replaced it (graded or not given)."""
    return any(
        c in i.judgements or c in i.unknown for c in (judgement, *_REPLACED_BY.get(judgement, ()))
    )


def _grade_of(i: Inspection, judgement: JudgementCode) -> Grade | None:
    """The inspection's grade for ``judgement``: the combined ILACS grade stands for
    children in care and for care leavers; none when not given or judged apart."""
    grade = i.judgements.get(judgement)
    if grade is None and judgement in (JudgementCode.CHILDREN_IN_CARE, JudgementCode.CARE_LEAVERS):
        grade = i.judgements.get(JudgementCode.IN_CARE_AND_CARE_LEAVERS)
    return grade


def _not_given(i: Inspection, judgement: JudgementCode) -> bool:
    """Whether the inspection made ``judgement`` but the source does not give its grade."""
    combined = (
        (JudgementCode.IN_CARE_AND_CARE_LEAVERS,)
        if judgement in (JudgementCode.CHILDREN_IN_CARE, JudgementCode.CARE_LEAVERS)
        else ()
    )
    return _grade_of(i, judgement) is None and any(c in i.unknown for c in (judgement, *combined))


class Direction(StrEnum):
    """How a judgement moved between consecutive inspections."""

    IMPROVED = "improved"
    SAME = "same"
    DECLINED = "declined"


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def _older_than_stale(published: date, as_at: date) -> bool:
    """Published more than three years before ``as_at`` (exactly three is not stale)."""
    return published < _years_before(as_at, STALE_AFTER_YEARS)


@dataclass(frozen=True)
class JudgementInForce:
    """The judgement in force for one authority on one date."""

    la_code: str
    judgement: JudgementCode
    grade: Grade
    as_at: date
    inspection_id: int
    framework: Framework
    kind: str
    start_date: date | None
    end_date: date | None
    publication_date: date
    provenance: str = Provenance.REPORT.value

    @property
    def age_days(self) -> int:
        """Days since the report was published."""
        return (self.as_at - self.publication_date).days

    @property
    def age_years(self) -> float:
        """Years since the report was published (365.25-day years)."""
        return round(self.age_days / 365.25, 2)

    @property
    def stale(self) -> bool:
        """More than three years old on ``as_at`` (the rule of :func:`stale_status`)."""
        return _older_than_stale(self.publication_date, self.as_at)


def _graded_on(
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
    the grade not given) or replaced it (:data:`_REPLACED_BY`), oldest first."""
    out: dict[str, list[Inspection]] = {}
    for i in inspections:
        if i.la_code and i.publication_date and _makes(i, judgement):
            out.setdefault(i.la_code, []).append(i)
    for items in out.values():
        items.sort(key=lambda i: (i.publication_date, i.end_date or date.min, i.inspection_id))
    return out


def _latest_made(
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
class _Ended:
    """Why a judgement is no longer in force: the date, and the inspection (``None``
    when a date ended it)."""

    on: date
    by: Inspection | None


def _ended(
    inspections: Iterable[Inspection],
    as_at: date,
    judgement: JudgementCode,
    latest: Mapping[str, Inspection],
) -> dict[str, _Ended]:
    """Per authority in ``latest``, how its judgement ended on or before ``as_at`` with
    no successor (:data:`_NO_LONGER_JUDGED`); authorities whose judgement stands are
    left out."""
    rule = _NO_LONGER_JUDGED.get(judgement)
    if rule is None or not latest:
        return {}
    out: dict[str, _Ended] = {}
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
            out[i.la_code] = _Ended(on=i.publication_date, by=i)
    if rule.on is not None and rule.on <= as_at:
        for la_code, last in latest.items():
            assert last.publication_date is not None
            found = out.get(la_code)
            if last.publication_date < rule.on and (found is None or rule.on < found.on):
                out[la_code] = _Ended(on=rule.on, by=None)
    return out


def judgements_in_force(
    inspections: Iterable[Inspection],
    as_at: date,
    *,
    judgement: JudgementCode = JudgementCode.OVERALL,
    framework: Framework | None = None,
) -> list[JudgementInForce]:
    """The judgement in force for every authority on ``as_at``.

    Parameters
    ----------
    inspections : iterable of Inspection
    as_at : date
        Reports published after this date are ignored.
    judgement : JudgementCode
        Which judgement (default overall effectiveness).
    framework : Framework, optional
        Keep only authorities whose judgement in force was made under this framework.

    Returns
    -------
    list of JudgementInForce
        One per authority with a known judgement in force, ordered by LA number
        (an authority whose latest inspection's grade is not given has none, and so has
        one whose latest inspection judged children in care and care leavers apart when
        ``judgement`` is the combined one, and one whose judgement no current framework
        makes has ended: :data:`_NO_LONGER_JUDGED`).
    """
    inspections = list(inspections)
    made = _latest_made(inspections, as_at, judgement)
    ended = _ended(inspections, as_at, judgement, made)
    out: list[JudgementInForce] = []
    for la_code, latest in sorted(made.items()):
        grade = _grade_of(latest, judgement)
        if grade is None or la_code in ended:
            continue
        if framework is not None and latest.framework is not framework:
            continue
        assert latest.publication_date is not None
        out.append(
            JudgementInForce(
                la_code=la_code,
                judgement=judgement,
                grade=grade,
                as_at=as_at,
                inspection_id=latest.inspection_id,
                framework=latest.framework,
                kind=latest.kind.value,
                start_date=latest.start_date,
                end_date=latest.end_date,
                publication_date=latest.publication_date,
                provenance=latest.provenance.value,
            )
        )
    return out


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


@dataclass(frozen=True)
class OfstedRecord:
    """How far the Ofsted record in the warehouse runs.

    Attributes
    ----------
    runs_to : date or None
        The latest publication date of any inspection held (reports and overview):
        the date the record runs to. ``None`` when there is none.
    archive_runs_to, overview_runs_to : date or None
        The same for the report archive and for the inspections taken from Ofsted's
        overview.
    n_report, n_overview : int
        Inspections read from their reports; taken from the overview.
    """

    runs_to: date | None
    archive_runs_to: date | None
    overview_runs_to: date | None
    n_report: int
    n_overview: int

    def as_at(self, requested: date | None) -> date:
        """The date to answer for: the one asked, else the record's date.

        Raises
        ------
        WarehouseError
            When nothing was asked and the record is empty.
        """
        if requested is not None:
            return requested
        if self.runs_to is None:
            raise WarehouseError("the warehouse holds no published Ofsted inspection")
        return self.runs_to

    def beyond(self, as_at: date) -> bool:
        """Whether ``as_at`` is later than the record runs."""
        return self.runs_to is not None and as_at > self.runs_to

    def note(self, as_at: date) -> str | None:
        """The warning owed when ``as_at`` is after the record, else ``None``."""
        if not self.beyond(as_at):
            return None
        assert self.runs_to is not None
        return (
            f"Ofsted record runs to {self.runs_to.isoformat()}: inspections published "
            f"after it are not known, so judgements shown in force on {as_at.isoformat()} "
            "may have been replaced"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return {
            "runs_to": _iso(self.runs_to),
            "archive_runs_to": _iso(self.archive_runs_to),
            "overview_runs_to": _iso(self.overview_runs_to),
            "n_report": self.n_report,
            "n_overview": self.n_overview,
        }


def ofsted_record(inspections: Iterable[Inspection]) -> OfstedRecord:
    """The date the Ofsted record runs to, overall and per source."""
    report: list[date] = []
    overview: list[date] = []
    for i in inspections:
        if i.publication_date is None:
            continue
        (overview if i.provenance is Provenance.OVERVIEW else report).append(i.publication_date)
    return OfstedRecord(
        runs_to=max(report + overview, default=None),
        archive_runs_to=max(report, default=None),
        overview_runs_to=max(overview, default=None),
        n_report=len(report),
        n_overview=len(overview),
    )


class StaleReason(StrEnum):
    """Why an authority's judgement is stale."""

    NO_JUDGEMENT = "no_judgement_in_archive"
    OLDER = "older_than_three_years"
    NO_LONGER_JUDGED = "no_longer_judged"

    @property
    def words(self) -> str:
        """The reason in words."""
        return {
            "no_judgement_in_archive": "no judgement in the archive",
            "older_than_three_years": "last judgement older than three years",
            "no_longer_judged": "last judgement ended: no current inspection framework makes it",
        }[self.value]


@dataclass(frozen=True)
class StaleStatus:
    """One authority's staleness on one date (the one definition, see the module)."""

    la_code: str
    name: str
    as_at: date
    judgement: JudgementCode
    stale: bool
    reason: StaleReason | None
    last_published: date | None
    last_grade: Grade | None
    provenance: str | None
    ended_on: date | None = None
    ended_by_inspection: int | None = None

    @property
    def age_years(self) -> float | None:
        """Years from the last publication to ``as_at`` (365.25-day years)."""
        if self.last_published is None:
            return None
        return round((self.as_at - self.last_published).days / 365.25, 2)

    def view(self) -> StaleView:
        """The status as every output shows it."""
        return StaleView(
            la_code=self.la_code,
            name=self.name,
            stale=self.stale,
            reason=None if self.reason is None else self.reason.value,
            last_published=self.last_published,
            last_grade=None if self.last_grade is None else self.last_grade.value,
            age_years=self.age_years,
            provenance=self.provenance,
            ended_on=self.ended_on,
            ended_by_inspection=self.ended_by_inspection,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (:meth:`view`'s fields)."""
        return self.view().to_dict()


@dataclass(frozen=True)
class StaleView:
    """One authority's staleness in plain values: why, and its last judgement.

    ``age_years`` is years from the last publication to the date asked (365.25-day
    years); ``reason`` and ``last_grade`` are words (snake_case). When the last
    judgement has ended with no successor (``reason`` ``no_longer_judged``: no current
    framework makes it), ``ended_on`` is the date it stopped being in force and
    ``ended_by_inspection`` the id of the inspection that ended it (``None`` when a date
    did: the LSCBs' replacement by 29 September 2019); both ``None`` otherwise.
    """

    la_code: str
    name: str
    stale: bool
    reason: str | None
    last_published: date | None
    last_grade: str | None
    age_years: float | None
    provenance: str | None
    ended_on: date | None = None
    ended_by_inspection: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict, in field order."""
        out: dict[str, Any] = plain(self)
        return out


def stale_status(
    inspections: Iterable[Inspection],
    authorities: Iterable[AuthorityPeriod],
    as_at: date,
    *,
    judgement: JudgementCode = JudgementCode.OVERALL,
) -> list[StaleStatus]:
    """Every authority that existed on ``as_at``, stale or not.

    Stale: no inspection making ``judgement`` published in the three years up to and
    including ``as_at`` (exactly three years is not yet stale), counting authorities
    the record holds no such inspection of (:attr:`StaleReason.NO_JUDGEMENT`) and those
    whose last such judgement has ended with no successor because no current framework
    makes it (:attr:`StaleReason.NO_LONGER_JUDGED`, with ``ended_on`` and
    ``ended_by_inspection``; however recent it was). An inspection whose grade the
    source does not give still counts as a recent one.

    Parameters
    ----------
    inspections : iterable of Inspection
    authorities : iterable of AuthorityPeriod
        Every authority, former ones included; those not existing on ``as_at`` are
        left out (Dorset 838 before April 2019, Cumbria after March 2023).
    as_at : date
    judgement : JudgementCode
        Default overall effectiveness.

    Returns
    -------
    list of StaleStatus
        Ordered by LA number.
    """
    inspections = list(inspections)
    latest = _latest_made(inspections, as_at, judgement)
    ended = _ended(inspections, as_at, judgement, latest)
    out: list[StaleStatus] = []
    for a in sorted(authorities, key=lambda a: a.la_code):
        if not a.exists_on(as_at):
            continue
        last = latest.get(a.la_code)
        pub = None if last is None else last.publication_date
        end = ended.get(a.la_code)
        if pub is None:
            reason: StaleReason | None = StaleReason.NO_JUDGEMENT
        elif end is not None:
            reason = StaleReason.NO_LONGER_JUDGED
        elif _older_than_stale(pub, as_at):
            reason = StaleReason.OLDER
        else:
            reason = None
        out.append(
            StaleStatus(
                la_code=a.la_code,
                name=a.name,
                as_at=as_at,
                judgement=judgement,
                stale=reason is not None,
                reason=reason,
                last_published=pub,
                last_grade=None if last is None else _grade_of(last, judgement),
                provenance=None if last is None else last.provenance.value,
                ended_on=None if end is None else end.on,
                ended_by_inspection=None if end is None or end.by is None else end.by.inspection_id,
            )
        )
    return out


@dataclass(frozen=True)
class GradeSummary:
    """Counts and percentages per grade among authorities with a judgement in force,
    and which authorities are stale (:func:`stale_status`).

    ``stale`` counts every authority existing on ``as_at`` that is stale, whatever the
    framework filter; ``no_judgement_in_archive`` is the part of it the record holds
    no judgement of, ``no_longer_judged`` the part whose judgement has ended because no
    current framework makes it; ``grade_not_given`` lists authorities whose latest
    inspection made the judgement without the source giving its grade (left out of
    ``n``).
    """

    as_at: date
    judgement: JudgementCode
    framework: Framework | None
    n: int
    counts: dict[Grade, int]
    record: OfstedRecord
    statuses: tuple[StaleStatus, ...]
    grade_not_given: tuple[str, ...] = ()

    @property
    def stale(self) -> int:
        """Stale authorities, those with no judgement in the record included."""
        return sum(s.stale for s in self.statuses)

    @property
    def stale_authorities(self) -> list[StaleStatus]:
        """The stale authorities, by LA number."""
        return [s for s in self.statuses if s.stale]

    @property
    def no_judgement(self) -> list[StaleStatus]:
        """Authorities the record holds no judgement of on ``as_at``."""
        return [s for s in self.statuses if s.reason is StaleReason.NO_JUDGEMENT]

    @property
    def no_longer_judged(self) -> list[StaleStatus]:
        """Authorities whose judgement has ended on ``as_at`` because no current
        framework makes it (:data:`_NO_LONGER_JUDGED`)."""
        return [s for s in self.statuses if s.reason is StaleReason.NO_LONGER_JUDGED]

    @property
    def percent(self) -> dict[Grade, float]:
        """Share of ``n`` per grade, in per cent to one decimal place."""
        return {g: round(100 * c / self.n, 1) if self.n else 0.0 for g, c in self.counts.items()}

    def view(self) -> GradeSummaryView:
        """The summary as ``cscwatch ofsted summary`` and ``/api/ofsted/summary`` give it."""
        return GradeSummaryView(
            as_at=self.as_at,
            record_runs_to=self.record.runs_to,
            as_at_after_record=self.record.beyond(self.as_at),
            note=self.record.note(self.as_at),
            record=self.record,
            judgement=self.judgement.value,
            framework=self.framework.value if self.framework else "any",
            n=self.n,
            counts={g.value: c for g, c in self.counts.items()},
            percent={g.value: p for g, p in self.percent.items()},
            authorities=len(self.statuses),
            stale=self.stale,
            stale_authorities=[s.view() for s in self.stale_authorities],
            no_judgement_in_archive=NoJudgementView(
                count=len(self.no_judgement),
                authorities=[{"la_code": s.la_code, "name": s.name} for s in self.no_judgement],
            ),
            grade_not_given=list(self.grade_not_given),
            no_longer_judged=NoJudgementView(
                count=len(self.no_longer_judged),
                authorities=[{"la_code": s.la_code, "name": s.name} for s in self.no_longer_judged],
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``cscwatch ofsted summary`` (:meth:`view`'s fields)."""
        out: dict[str, Any] = plain(self.view())
        return out


@dataclass(frozen=True)
class NoJudgementView:
    """A group of authorities on the date, counted and listed (LA number and name):
    those the record holds no judgement of, or those whose judgement is no longer
    made."""

    count: int
    authorities: list[dict[str, str]]


@dataclass(frozen=True)
class GradeSummaryView:
    """Grades in force across authorities on a date, and the stale authorities.

    ``record_runs_to`` is the latest publication the record holds; ``note`` warns when
    ``as_at`` is after it. ``counts`` and ``percent`` are per grade among the ``n``
    authorities with a graded judgement in force; ``stale`` counts every authority
    existing on ``as_at`` with no graded judgement in force published in the three
    years to it. ``no_longer_judged`` counts and lists the stale authorities whose
    judgement has ended because no current framework makes it (SIF adoption and LSCB,
    the legacy looked-after judgements): each one's ``ended_on`` and
    ``ended_by_inspection`` are in ``stale_authorities``.
    """

    as_at: date
    record_runs_to: date | None
    as_at_after_record: bool
    note: str | None
    record: OfstedRecord
    judgement: str
    framework: str
    n: int
    counts: dict[str, int]
    percent: dict[str, float]
    authorities: int
    stale: int
    stale_authorities: list[StaleView]
    no_judgement_in_archive: NoJudgementView
    grade_not_given: list[str]
    no_longer_judged: NoJudgementView


def summarise_judgements(
    inspections: Sequence[Inspection],
    as_at: date,
    *,
    authorities: Iterable[AuthorityPeriod],
    judgement: JudgementCode = JudgementCode.OVERALL,
    framework: Framework | None = None,
) -> GradeSummary:
    """Grades in force on ``as_at`` across authorities, and which are stale.

    Parameters
    ----------
    inspections : sequence of Inspection
    as_at : date
        Use :meth:`OfstedRecord.as_at` for the default (the record's date).
    authorities : iterable of AuthorityPeriod
        Every authority (for staleness: those with no judgement count too).
    judgement : JudgementCode
    framework : Framework, optional
        Restricts the grade counts, not staleness.
    """
    in_force = judgements_in_force(inspections, as_at, judgement=judgement, framework=framework)
    counts = dict.fromkeys(Grade, 0)
    for j in in_force:
        counts[j.grade] += 1
    latest = _latest_made(inspections, as_at, judgement)
    ended = _ended(inspections, as_at, judgement, latest)
    return GradeSummary(
        as_at=as_at,
        judgement=judgement,
        framework=framework,
        n=len(in_force),
        counts=counts,
        record=ofsted_record(inspections),
        statuses=tuple(stale_status(inspections, authorities, as_at, judgement=judgement)),
        grade_not_given=tuple(
            sorted(c for c, i in latest.items() if c not in ended and _not_given(i, judgement))
        ),
    )


@dataclass(frozen=True)
class MissingReport:
    """An inspection the warehouse knows of only from the ILACS overview: a report to
    obtain for the archive."""

    la_code: str
    name: str
    urn: str | None
    kind: str
    start_date: date | None
    end_date: date | None
    publication_date: date | None
    url: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (dates ISO)."""
        return {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in dataclasses.asdict(self).items()
        }


def missing_reports(
    inspections: Sequence[Inspection], names: Mapping[str, str]
) -> list[MissingReport]:
    """Inspections taken from the overview because the archive lacks their report.

    ``reason`` says whether the report was published after the archive's last report
    (the archive stops) or within the archive's span (a gap). Ordered by start date
    (publication date where the start is not known), then LA number.
    """
    record = ofsted_record(inspections)
    out: list[MissingReport] = []
    for i in inspections:
        if i.provenance is not Provenance.OVERVIEW:
            continue
        pub, last = i.publication_date, record.archive_runs_to
        if pub is not None and last is not None and pub > last:
            reason = f"published after the archive's last report ({last.isoformat()})"
        else:
            reason = "not in the archive, though published within its span"
        code = i.la_code or ""
        out.append(
            MissingReport(
                la_code=code,
                name=names.get(code, code),
                urn=i.urn,
                kind=i.kind.value,
                start_date=i.start_date,
                end_date=i.end_date,
                publication_date=pub,
                url=i.url,
                reason=reason,
            )
        )
    out.sort(key=lambda m: (m.start_date or m.publication_date or date.max, m.la_code))
    return out


@dataclass(frozen=True)
class Transition:
    """One authority's move between consecutive inspections on one judgement."""

    la_code: str
    judgement: JudgementCode
    from_inspection: int
    to_inspection: int
    from_date: date
    to_date: date
    from_grade: Grade
    to_grade: Grade

    @property
    def direction(self) -> Direction:
        """Improved, same or declined (by grade rank)."""
        before, after = GRADE_RANK[self.from_grade], GRADE_RANK[self.to_grade]
        if after < before:
            return Direction.IMPROVED
        return Direction.SAME if after == before else Direction.DECLINED


def judgement_transitions(
    inspections: Iterable[Inspection],
    *,
    judgement: JudgementCode = JudgementCode.OVERALL,
    la_code: str | None = None,
) -> list[Transition]:
    """Transitions between consecutive graded inspections, per authority, oldest first."""
    out: list[Transition] = []
    for code, items in sorted(_graded_on(inspections, judgement).items()):
        if la_code is not None and code != la_code:
            continue
        for a, b in itertools.pairwise(items):
            assert a.publication_date is not None and b.publication_date is not None
            out.append(
                Transition(
                    la_code=code,
                    judgement=judgement,
                    from_inspection=a.inspection_id,
                    to_inspection=b.inspection_id,
                    from_date=a.publication_date,
                    to_date=b.publication_date,
                    from_grade=a.judgements[judgement],
                    to_grade=b.judgements[judgement],
                )
            )
    return out


@dataclass(frozen=True)
class InterventionStatus:
    """The intervention regime's two tests for one authority on one date."""

    la_code: str
    as_at: date
    inadequate_overall: tuple[date, ...]
    in_force_inspection: int | None
    systemic_failure: bool

    @property
    def persistent_failure(self) -> bool:
        """Two or more Inadequate overall judgements published in the last five years."""
        return len(self.inadequate_overall) >= 2


def intervention_status(inspections: Sequence[Inspection], as_at: date) -> list[InterventionStatus]:
    """Persistent and systemic failure for every authority with an overall judgement.

    Persistent failure counts Inadequate overall effectiveness judgements published in
    the five years up to and including ``as_at``; systemic failure looks at the
    inspection whose overall judgement is in force on ``as_at``.
    """
    since = _years_before(as_at, PERSISTENT_WINDOW_YEARS)
    in_force = {j.la_code: j for j in judgements_in_force(inspections, as_at)}
    by_id = {i.inspection_id: i for i in inspections}
    out: list[InterventionStatus] = []
    for la_code, items in sorted(_graded_on(inspections, JudgementCode.OVERALL).items()):
        if la_code not in in_force:
            continue
        inadequate = tuple(
            i.publication_date
            for i in items
            if i.publication_date
            and since < i.publication_date <= as_at
            and i.judgements[JudgementCode.OVERALL] is Grade.INADEQUATE
        )
        current = by_id[in_force[la_code].inspection_id]
        key = [current.judgements[k] for k in _KEY if k in current.judgements]
        systemic = bool(key) and all(g is Grade.INADEQUATE for g in key)
        out.append(
            InterventionStatus(
                la_code=la_code,
                as_at=as_at,
                inadequate_overall=inadequate,
                in_force_inspection=current.inspection_id,
                systemic_failure=systemic,
            )
        )
    return out


def resolve_authority_name(text: str, names: Mapping[str, str], former: Iterable[str] = ()) -> str:
    """The LA number for a name or number, from ``names`` (LA number → name).

    The same matching as :func:`cscwatch.indicators.authorities.resolve_authority`
    (:mod:`cscwatch.indicators._search`), over the names given; ``former`` are the LA
    numbers of abolished authorities, so a shared name (Dorset) means the current one.

    Raises
    ------
    AmbiguousAuthorityError
        When several names match equally, listing them.
    UnknownAuthorityError
        With up to five close spellings (difflib) as suggestions.
    """
    gone = set(former)
    cands = [Candidate(la_code=c, name=n, is_current=c not in gone) for c, n in names.items()]
    found = match(text, cands)
    if found.la_code is not None:
        return found.la_code
    if found.choices:
        raise AmbiguousAuthorityError(text.strip(), found.choices)
    raise UnknownAuthorityError(text.strip(), found.suggestions)


def to_frame(items: Sequence[object]) -> pd.DataFrame:
    """A frame with one row per result object (dataclass fields and properties)."""
    rows: list[dict[str, Any]] = []
    for item in items:
        if not dataclasses.is_dataclass(item) or isinstance(item, type):
            raise TypeError(f"not a result object: {type(item).__name__}")
        row = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
        for name, attr in vars(type(item)).items():
            if isinstance(attr, property):
                row[name] = getattr(item, name)
        rows.append({k: (v.value if isinstance(v, StrEnum) else v) for k, v in row.items()})
    return pd.DataFrame(rows)
