"""Derived views of Ofsted judgements: in force, stale, transitions, intervention.

Every function takes the inspections as typed objects (from
:func:`cscwatch.store.inspections.read_inspections`) and returns typed objects;
:func:`to_frame` turns any list of them into a pandas frame.

Definitions (see ``docs/ofsted.md``):

* A judgement is **in force** for an authority from the publication date of the
  report that made it until the next published report that grades the same judgement.
* Its **age** is counted from that publication date; it is **stale** when it is more
  than three years old (Ofsted aims to inspect every authority within three years).
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
import difflib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import pandas as pd

from cscwatch.core.errors import UnknownAuthorityError
from cscwatch.ingest.ofsted_text import GRADE_RANK, Framework, Grade, JudgementCode
from cscwatch.store.inspections import Inspection

__all__ = [
    "STALE_AFTER_YEARS",
    "Direction",
    "GradeSummary",
    "InterventionStatus",
    "JudgementInForce",
    "Transition",
    "intervention_status",
    "judgement_transitions",
    "judgements_in_force",
    "resolve_authority_name",
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
        """More than three years old on ``as_at``."""
        return self.publication_date < _years_before(self.as_at, STALE_AFTER_YEARS)


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
        One per authority with a judgement in force, ordered by LA number.
    """
    out: list[JudgementInForce] = []
    for la_code, items in sorted(_graded_on(inspections, judgement).items()):
        published = [i for i in items if i.publication_date and i.publication_date <= as_at]
        if not published:
            continue
        latest = published[-1]
        if framework is not None and latest.framework is not framework:
            continue
        assert latest.publication_date is not None
        out.append(
            JudgementInForce(
                la_code=la_code,
                judgement=judgement,
                grade=latest.judgements[judgement],
                as_at=as_at,
                inspection_id=latest.inspection_id,
                framework=latest.framework,
                kind=latest.kind.value,
                start_date=latest.start_date,
                end_date=latest.end_date,
                publication_date=latest.publication_date,
            )
        )
    return out


@dataclass(frozen=True)
class GradeSummary:
    """Counts and percentages per grade among authorities with a judgement in force."""

    as_at: date
    judgement: JudgementCode
    framework: Framework | None
    n: int
    counts: dict[Grade, int]
    stale: int

    @property
    def percent(self) -> dict[Grade, float]:
        """Share of ``n`` per grade, in per cent to one decimal place."""
        return {g: round(100 * c / self.n, 1) if self.n else 0.0 for g, c in self.counts.items()}

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``cscwatch ofsted summary``."""
        return {
            "as_at": self.as_at.isoformat(),
            "judgement": self.judgement.value,
            "framework": self.framework.value if self.framework else "any",
            "n": self.n,
            "counts": {g.value: c for g, c in self.counts.items()},
            "percent": {g.value: p for g, p in self.percent.items()},
            "stale": self.stale,
        }


def summarise_judgements(
    inspections: Iterable[Inspection],
    as_at: date,
    *,
    judgement: JudgementCode = JudgementCode.OVERALL,
    framework: Framework | None = None,
) -> GradeSummary:
    """Grades in force on ``as_at`` across authorities, and how many are stale."""
    in_force = judgements_in_force(inspections, as_at, judgement=judgement, framework=framework)
    counts = dict.fromkeys(Grade, 0)
    for j in in_force:
        counts[j.grade] += 1
    return GradeSummary(
        as_at=as_at,
        judgement=judgement,
        framework=framework,
        n=len(in_force),
        counts=counts,
        stale=sum(j.stale for j in in_force),
    )


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


def resolve_authority_name(text: str, names: Mapping[str, str]) -> str:
    """The LA number for a name or number, from ``names`` (LA number → name).

    Matching ignores case, spacing and "&"/"and"; a unique name that starts with the
    text also matches.

    Raises
    ------
    UnknownAuthorityError
        With up to five close matches (difflib) as suggestions.
    """
    given = text.strip()
    if given in names:
        return given

    def key(s: str) -> str:
        return " ".join(s.lower().replace("&", "and").replace(",", " ").split())

    keyed = {key(n): c for c, n in names.items()}
    k = key(given)
    if k in keyed:
        return keyed[k]
    starts = {c for n, c in keyed.items() if n.startswith(k)} if k else set()
    if len(starts) == 1:
        return starts.pop()
    close = difflib.get_close_matches(k, list(keyed), n=5, cutoff=0.6)
    suggestions = [f"{names[keyed[c]]} ({keyed[c]})" for c in close]
    raise UnknownAuthorityError(given, suggestions)


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
