"""Ofsted judgements in force, and the definitions of every view derived from them.

Every function takes the inspections as typed objects (from
:func:`cscwatch.store.inspections.read_inspections`) and returns typed objects;
:func:`to_frame` turns any list of them into a pandas frame. This module gives the
grades in force (:func:`judgements_in_force`), how far the record runs
(:func:`ofsted_record`) and the reports it lacks (:func:`missing_reports`); staleness
and the summary of grades are in :mod:`cscwatch.indicators.staleness`, transitions and
the intervention tests in :mod:`cscwatch.indicators.interventions`, and the rules they
all apply in :mod:`cscwatch.indicators._ofsted_rules`.

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
  stands for each (:data:`._ofsted_rules.REPLACED_BY`).
* A judgement that **no current framework makes** stops being in force without a
  successor of its own code (:data:`._ofsted_rules.NO_LONGER_JUDGED`, sources in
  ``docs/ofsted.md``): the legacy looked-after inspection's ``lac_*`` judgements end at
  the authority's next published inspection judging children in care (the single
  inspection framework's children looked after, ILACS's combined or separate
  judgements); the single
  inspection framework's ``adoption`` and ``lscb`` end at the authority's next
  published graded ILACS inspection (ILACS grades neither), and ``lscb`` on 29 September
  2019 at the latest, when every LSCB had been replaced by safeguarding partners
  (Working Together to Safeguard Children 2018). From then the authority has no such
  grade in force.
* Its **age** is counted from that publication date.
* **Stale** (the one definition, :func:`.staleness.stale_status`): an authority that existed
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import pandas as pd

from cscwatch.core.errors import WarehouseError
from cscwatch.indicators._ofsted_rules import (
    ended_judgements,
    grade_of,
    latest_made,
    older_than_stale,
)
from cscwatch.ingest.ofsted_text import Framework, Grade, JudgementCode
from cscwatch.store.inspections import Inspection, Provenance

__all__ = [
    "JudgementInForce",
    "MissingReport",
    "OfstedRecord",
    "judgements_in_force",
    "missing_reports",
    "ofsted_record",
    "to_frame",
]


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
        """More than three years old on ``as_at`` (the rule of :func:`.staleness.stale_status`)."""
        return older_than_stale(self.publication_date, self.as_at)


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
        makes has ended: :data:`._ofsted_rules.NO_LONGER_JUDGED`).
    """
    inspections = list(inspections)
    made = latest_made(inspections, as_at, judgement)
    ended = ended_judgements(inspections, as_at, judgement, made)
    out: list[JudgementInForce] = []
    for la_code, latest in sorted(made.items()):
        grade = grade_of(latest, judgement)
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
