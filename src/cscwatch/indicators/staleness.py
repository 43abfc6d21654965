"""Stale judgements, and the summary of grades in force across authorities.

**Stale** (the one definition, :func:`stale_status`): an authority that existed on the
date has no graded judgement published in the three years up to it — either its last
one is older (``older_than_three_years``), or the record holds none at all
(``no_judgement_in_archive``: its last inspection predates the archive), or its last
one has ended with no successor (``no_longer_judged``, with the date it ended and the
inspection that ended it). :func:`summarise_judgements` counts the grades in force
(:func:`cscwatch.indicators.judgements.judgements_in_force`) and lists the stale
authorities, as ``cscwatch ofsted summary`` and ``/api/ofsted/summary`` give them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from cscwatch.core.records import plain
from cscwatch.indicators._ofsted_rules import (
    ended_judgements,
    grade_of,
    latest_made,
    not_given,
    older_than_stale,
)
from cscwatch.indicators.judgements import OfstedRecord, judgements_in_force, ofsted_record
from cscwatch.ingest.ofsted_text import Framework, Grade, JudgementCode
from cscwatch.store.inspections import AuthorityPeriod, Inspection

__all__ = [
    "GradeSummary",
    "GradeSummaryView",
    "NoJudgementView",
    "StaleReason",
    "StaleStatus",
    "StaleView",
    "stale_status",
    "summarise_judgements",
]


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
    latest = latest_made(inspections, as_at, judgement)
    ended = ended_judgements(inspections, as_at, judgement, latest)
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
        elif older_than_stale(pub, as_at):
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
                last_grade=None if last is None else grade_of(last, judgement),
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
        framework makes it (:data:`._ofsted_rules.NO_LONGER_JUDGED`)."""
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
    latest = latest_made(inspections, as_at, judgement)
    ended = ended_judgements(inspections, as_at, judgement, latest)
    return GradeSummary(
        as_at=as_at,
        judgement=judgement,
        framework=framework,
        n=len(in_force),
        counts=counts,
        record=ofsted_record(inspections),
        statuses=tuple(stale_status(inspections, authorities, as_at, judgement=judgement)),
        grade_not_given=tuple(
            sorted(c for c, i in latest.items() if c not in ended and not_given(i, judgement))
        ),
    )
