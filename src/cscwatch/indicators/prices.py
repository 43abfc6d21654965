"""Cash and real terms for £ figures.

Every £ figure in the warehouse is **cash terms**: section 251 outturn as spent in each
financial year (:data:`cscwatch.core.catalogue.indicator.CASH_TERMS`). Real terms are a view
on top, available when a GDP deflator is in the snapshot (the optional file
``gdp_deflators.csv``, table ``gdp_deflator``: HM Treasury's, or ONS's series L8GG made
into financial years by ``cscwatch fetch``; captions name which)::

    real(v, year) = v × deflator[base year] / deflator[year]

The base year is the deflator file's own (the financial year HM Treasury indexes to 100,
e.g. ``2024-25 = 100``), so real-terms figures are "in 2024-25 prices". Only £ indicators
change; every other value passes through untouched. Ranks, quartiles and funnel flags
are comparisons within one year, which one factor per year leaves as they were; trends
compare years and are recomputed on the deflated values.

:func:`load_deflator` raises ``InputError`` (one line, exit 2 in the CLI, 400 in the
API) when real terms are asked for and the deflator is not there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import duckdb

from cscwatch.core.catalogue import CATALOGUE, Unit
from cscwatch.core.catalogue.indicator import CASH_TERMS
from cscwatch.core.errors import InputError, UnknownYearError
from cscwatch.indicators.benchmarking import Benchmark, Profile, _trend
from cscwatch.indicators.observations import HeadlineRow, IndicatorRow
from cscwatch.indicators.variation import Variation
from cscwatch.ingest.finance import HMT_DEFLATOR

__all__ = [
    "CASH_TERMS",
    "PRICES",
    "Deflator",
    "Prices",
    "load_deflator",
    "parse_prices",
    "prices_note",
    "real_headline",
    "real_indicator_rows",
    "real_profile",
    "real_variation",
]

Prices = Literal["cash", "real"]
PRICES: tuple[Prices, ...] = ("cash", "real")


@dataclass(frozen=True)
class Deflator:
    """The GDP deflator by financial year (year ending 31 March).

    Attributes
    ----------
    base_year : int
        The year whose prices real-terms figures are expressed in (index 100).
    index : mapping of int to float
    source : str
        Whose index it is, as the build read it from the file (HM Treasury's, or ONS's
        series L8GG made into financial years by ``cscwatch fetch``).
    """

    base_year: int
    index: Mapping[int, float]
    source: str = HMT_DEFLATOR

    @property
    def base_label(self) -> str:
        """``2024-25``."""
        return f"{self.base_year - 1}-{self.base_year % 100:02d}"

    @property
    def label(self) -> str:
        """What real-terms figures are, for captions and JSON."""
        return f"real terms, {self.base_label} prices ({self.source})"

    def factor(self, year: int) -> float:
        """Multiply a cash figure of ``year`` by this to get base-year prices.

        Raises
        ------
        UnknownYearError
            When the deflator has no value for ``year``.
        """
        value = self.index.get(year)
        if value is None or value <= 0:
            raise UnknownYearError(
                f"the GDP deflator in the warehouse has no value for {year - 1}-{year % 100:02d}"
            )
        return self.index[self.base_year] / value

    def real(self, value: float | None, year: int) -> float | None:
        """``value`` (cash, ``year``) in base-year prices; ``None`` stays ``None``."""
        return None if value is None else value * self.factor(year)


def parse_prices(text: str) -> Prices:
    """Validate a ``--prices`` / ``prices=`` value.

    Raises
    ------
    InputError
        For anything but ``cash`` or ``real``.
    """
    value = text.strip().lower()
    if value == "cash":
        return "cash"
    if value == "real":
        return "real"
    raise InputError(f"prices {text!r}: use cash or real")


def load_deflator(con: duckdb.DuckDBPyConnection) -> Deflator:
    """The GDP deflator from the warehouse.

    Raises
    ------
    InputError
        When the warehouse has no ``gdp_deflator`` rows (the optional file was not in
        the snapshot at build time).
    """
    try:
        rows = con.execute("SELECT year, deflator, base_year, source FROM gdp_deflator").fetchall()
    except duckdb.CatalogException:
        rows = []
    if not rows:
        raise InputError(
            "real terms need HM Treasury's GDP deflator, which is not in this warehouse: "
            "add gdp_deflators.csv to the snapshot (docs/snapshot.md) and rebuild"
        )
    return Deflator(
        base_year=int(rows[0][2]),
        index={int(y): float(v) for y, v, _, _ in rows},
        source=str(rows[0][3]),
    )


def prices_note(prices: Prices, deflator: Deflator | None = None) -> str:
    """The one line that says what £ figures are: cash terms, or real terms and the base."""
    if prices == "real" and deflator is not None:
        return f"£ figures: {deflator.label}."
    return f"£ figures: {CASH_TERMS}."


def _is_money(indicator_id: str) -> bool:
    ind = CATALOGUE.get(indicator_id)
    return ind is not None and ind.unit.is_money


def real_indicator_rows(
    rows: Sequence[IndicatorRow], indicator_id: str, year: int, deflator: Deflator
) -> list[IndicatorRow]:
    """``show`` rows of one indicator and year, in real terms when it is a £ figure."""
    if not _is_money(indicator_id):
        return list(rows)
    return [replace(r, value=deflator.real(r.value, year)) for r in rows]


def real_headline(rows: Sequence[HeadlineRow], deflator: Deflator) -> list[HeadlineRow]:
    """England's headline rows with £ figures in real terms (changes recomputed)."""
    out = []
    for r in rows:
        if not Unit(r.unit).is_money:
            out.append(r)
            continue
        v = deflator.real(r.value, r.year)
        p = _real_or_none(deflator, r.previous, r.year - 1)
        p5 = _real_or_none(deflator, r.five_years_ago, r.year - 5)
        out.append(
            replace(
                r,
                value=v,
                previous=p,
                five_years_ago=p5,
                change_1y=None if v is None or p is None else v - p,
                change_5y=None if v is None or p5 is None else v - p5,
            )
        )
    return out


def _real_or_none(deflator: Deflator, value: float | None, year: int) -> float | None:
    # An earlier year the deflator does not cover gives no comparison, not an error.
    if value is None or year not in deflator.index:
        return None
    return deflator.real(value, year)


def _real_benchmark(b: Benchmark, deflator: Deflator) -> Benchmark:
    f = deflator.factor(b.year)
    values = {
        y: _real_or_none(deflator, v, y) for y, v in zip(b.trend.years, b.trend.values, strict=True)
    }
    return replace(
        b,
        value=None if b.value is None else b.value * f,
        england=None if b.england is None else b.england * f,
        region=None if b.region is None else b.region * f,
        sn_mean=None if b.sn_mean is None else b.sn_mean * f,
        sn_median=None if b.sn_median is None else b.sn_median * f,
        trend=_trend(CATALOGUE[b.indicator], values, b.year),
    )


def real_profile(prof: Profile, deflator: Deflator) -> Profile:
    """A profile with every £ benchmark in real terms (ranks and flags unchanged)."""
    return replace(
        prof,
        benchmarks=tuple(
            _real_benchmark(b, deflator) if _is_money(b.indicator) else b for b in prof.benchmarks
        ),
    )


def real_variation(v: Variation, deflator: Deflator) -> Variation:
    """Variation across authorities in real terms when the indicator is a £ figure."""
    if not _is_money(v.indicator):
        return v
    f = deflator.factor(v.year)

    def s(x: float | None) -> float | None:
        return None if x is None else x * f

    return replace(
        v,
        min_value=s(v.min_value),
        max_value=s(v.max_value),
        median=s(v.median),
        q1=s(v.q1),
        q3=s(v.q3),
        iqr=s(v.iqr),
        england=s(v.england),
    )
