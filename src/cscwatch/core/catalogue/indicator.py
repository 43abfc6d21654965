"""The shape of an indicator: its unit, polarity and how the build derives it.

The declarations themselves are in :mod:`cscwatch.core.catalogue`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum

from cscwatch.core.types import PeriodKind, period_label

__all__ = ["CASH_TERMS", "Derivation", "Indicator", "IndicatorRecord", "Polarity", "Unit"]

#: What every £ figure in the catalogue is: the section 251 outturn as spent in each
#: financial year, not adjusted for inflation. Real-terms views are a separate step
#: (:mod:`cscwatch.indicators.prices`) and say so.
CASH_TERMS = "cash terms (pounds of each year's outturn, not adjusted for inflation)"


class Unit(StrEnum):
    """What a value measures."""

    COUNT = "count"
    PER_10K = "per_10k"
    PERCENT = "percent"
    GBP_PER_CHILD = "gbp_per_child"
    GBP = "gbp"
    RATIO = "ratio"
    SCORE = "score"
    PER_1000 = "per_1000"

    @property
    def is_money(self) -> bool:
        """True for pounds (every £ figure is cash terms unless converted)."""
        return self in (Unit.GBP, Unit.GBP_PER_CHILD)

    @property
    def label(self) -> str:
        """The unit in words for people; £ units say they are cash terms."""
        return _UNIT_LABELS[self]


_UNIT_LABELS: dict[Unit, str] = {
    Unit.COUNT: "count",
    Unit.PER_10K: "per 10,000 children",
    Unit.PERCENT: "percent",
    Unit.GBP_PER_CHILD: "£ per child aged 0 to 17, cash terms",
    Unit.GBP: "£, cash terms",
    Unit.RATIO: "ratio",
    Unit.SCORE: "score",
    Unit.PER_1000: "per 1,000",
}


class Polarity(StrEnum):
    """Which direction is, on its face, better. ``NEUTRAL`` where neither is."""

    HIGH_GOOD = "high_good"
    LOW_GOOD = "low_good"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Derivation:
    """How the build computes an indicator from a source table.

    ``kind``:

    * ``column`` — the value of ``column`` as published (count or the publisher's rate).
    * ``ratio`` — ``100 * column / denominator_column`` from the same row; the
      publisher's own percentage (``published_column``) is kept beside it.
    * ``rate`` — ``10000 * column / population`` (children 0–17, ONS mid-year
      estimate of the previous June); ``published_column`` or ``published_lait`` is
      kept beside it where the publisher gives a rate.
    * ``lait`` — the LAIT value of ``lait`` (Short Desc) as published.
    * ``lait_per`` — a LAIT gross amount (``lait``) divided by the population 0–17
      (``other="population"``) or by another indicator's value (``other``), e.g.
      section 251 gross spend per child in need.
    * ``s251_per`` — one line (``column``, matched on its description) of DfE's full
      section 251 outturn table for children's and young people's services, gross
      expenditure, divided by another indicator's value (``other``). Built only when
      that optional file is in the snapshot (:mod:`cscwatch.store.finance`).

    ``lait_before`` splices a tidy ``column`` or ``rate`` indicator onto LAIT: for the
    years before the tidy file's first year the series is carried by this LAIT count
    (or percentage); a ``rate`` is ``10000 * count / population`` there, with the
    snapshot's one ONS population series, and LAIT's own rate (``published_lait``,
    published with the population estimates of its day) is kept as the published
    value beside it. The years both hold are compared at build
    (:mod:`cscwatch.store.care`) and the tidy file's figures are the ones kept.
    ``scale`` multiplies a ``lait_per`` quotient (100 for a percentage).
    """

    kind: str
    source: str = ""
    column: str = ""
    denominator_column: str = ""
    published_column: str = ""
    published_lait: str = ""
    lait: str = ""
    other: str = ""
    filters: tuple[tuple[str, str], ...] = ()
    year_shift: int = 0
    scale: float = 1.0
    lait_before: str = ""


@dataclass(frozen=True)
class Indicator:
    """One indicator of the catalogue.

    Attributes
    ----------
    id : str
        Stable snake_case id.
    title : str
        Short title for tables and charts.
    definition : str
        What is counted, in the publisher's terms.
    unit : Unit
    numerator, denominator : str
        In words; ``denominator`` is empty for counts and published scores.
    polarity : Polarity
    source : str
        The publication.
    years : tuple[int, int]
        First and last year with data in the snapshot, in the publisher's numbering
        (see ``period_kind``).
    period : str
        The reference date or period behind a year, in words.
    period_kind : PeriodKind
        What a year names, as the publisher labels it (``2024-25``, ``31 March 2025``,
        ``30 September 2024``, ``2024/25``); :meth:`year_label` writes it.
    topic : str
        Grouping for profiles and pages.
    derivation : Derivation
    """

    id: str
    title: str
    definition: str
    unit: Unit
    numerator: str
    denominator: str
    polarity: Polarity
    source: str
    years: tuple[int, int]
    topic: str
    derivation: Derivation = field(repr=False)
    period: str = "year ending 31 March"
    period_kind: PeriodKind = PeriodKind.FINANCIAL_YEAR

    def year_label(self, year: int, *, short: bool = False) -> str:
        """The publisher's name for ``year`` of this indicator (see
        :func:`cscwatch.core.types.period_label`)."""
        return period_label(self.period_kind, year, short=short)

    @property
    def unit_label(self) -> str:
        """The unit in words, saying "cash terms" for every £ figure (one place)."""
        return self.unit.label

    @property
    def no_data_reason(self) -> str:
        """Why a warehouse may hold no figures for this indicator ("" when it always should)."""
        if self.derivation.kind == "s251_per":
            return (
                "it is built only when DfE's section 251 outturn table, an optional file, "
                "is in the snapshot (docs/snapshot.md)"
            )
        return ""

    @property
    def is_count(self) -> bool:
        """True for raw counts, which are compared per 10,000 rather than directly."""
        return self.unit is Unit.COUNT

    def record(self) -> IndicatorRecord:
        """The indicator as the CLI, the API and downloads describe it."""
        first, last = self.years
        return IndicatorRecord(
            id=self.id,
            title=self.title,
            topic=self.topic,
            definition=self.definition,
            unit=self.unit.value,
            unit_label=self.unit_label,
            numerator=self.numerator,
            denominator=self.denominator,
            polarity=self.polarity.value,
            source=self.source,
            period=self.period,
            period_kind=self.period_kind.value,
            first_year=first,
            last_year=last,
            first_period=self.year_label(first),
            last_period=self.year_label(last),
        )


@dataclass(frozen=True)
class IndicatorRecord:
    """One indicator in plain values: what ``cscwatch indicators`` lists and
    ``/api/indicators`` returns (one declaration for both).

    ``first_year``/``last_year`` are the years the catalogue covers as the warehouse keys
    them (the year's end); ``first_period``/``last_period`` the publisher's names for them
    (``2012-13``, ``30 September 2025``). Other fields as :class:`Indicator`, enums as
    their values.
    """

    id: str
    title: str
    definition: str
    unit: str
    unit_label: str
    numerator: str
    denominator: str
    polarity: str
    source: str
    topic: str
    period: str
    period_kind: str
    first_year: int
    last_year: int
    first_period: str
    last_period: str

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict, in field order."""
        return dataclasses.asdict(self)
