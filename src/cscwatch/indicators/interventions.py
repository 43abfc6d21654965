"""Moves between inspections and the intervention regime's two tests.

A **transition** (:func:`judgement_transitions`) compares consecutive graded
inspections of an authority on the same judgement: ``improved``, ``same`` or
``declined``. :func:`intervention_status` gives, for every authority with an overall
judgement in force, **persistent failure** (two or more Inadequate overall
effectiveness judgements published in the five years up to the date asked about) and
**systemic failure** (the inspection in force is Inadequate on every key judgement it
grades: help and protection, children in care, care leavers where graded separately
under ILACS, and leadership).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cscwatch.indicators._ofsted_rules import (
    KEY_JUDGEMENTS,
    PERSISTENT_WINDOW_YEARS,
    graded_on,
    years_before,
)
from cscwatch.indicators.judgements import judgements_in_force
from cscwatch.ingest.ofsted_text import GRADE_RANK, Grade, JudgementCode
from cscwatch.store.inspections import Inspection

__all__ = [
    "Direction",
    "InterventionStatus",
    "Transition",
    "intervention_status",
    "judgement_transitions",
]


class Direction(StrEnum):
    """How a judgement moved between consecutive inspections."""

    IMPROVED = "improved"
    SAME = "same"
    DECLINED = "declined"


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
    for code, items in sorted(graded_on(inspections, judgement).items()):
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
    since = years_before(as_at, PERSISTENT_WINDOW_YEARS)
    in_force = {j.la_code: j for j in judgements_in_force(inspections, as_at)}
    by_id = {i.inspection_id: i for i in inspections}
    out: list[InterventionStatus] = []
    for la_code, items in sorted(graded_on(inspections, JudgementCode.OVERALL).items()):
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
        key = [current.judgements[k] for k in KEY_JUDGEMENTS if k in current.judgements]
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
