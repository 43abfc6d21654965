"""Shared names for the indicator declarations (source titles, file keys, filters) and
the helper that builds one :class:`~cscwatch.core.catalogue.indicator.Indicator`."""

from __future__ import annotations

from cscwatch.core.catalogue.indicator import Derivation, Indicator, Polarity, Unit
from cscwatch.core.types import PeriodKind

__all__: list[str] = []

_CIN = "DfE, Children in need (CIN census)"
_CLA = "DfE, Children looked after in England including adoptions (SSDA903)"
_CSWW = "DfE, Children's social work workforce"
_LAIT = "DfE, Local Authority Interactive Tool (LAIT)"
_S251 = "DfE, LA and school expenditure (section 251 outturn), via LAIT"
_S251_TABLES = "DfE, LA and school expenditure (section 251 outturn tables)"
_KS = "DfE, Outcomes of children in need, including looked-after children"
_POP = "ONS mid-year population estimates, children aged 0 to 17"

_C1 = "c1"
_B1 = "b1"
_C3 = "c3"
_D3 = "d3"
_D5 = "d5"
_CLA_FILE = "cla"
_STAB = "stability"
_WF = "csww"
_KS2 = "ks2"
_KS4 = "ks4"

_CLA_START = (("population_type", "Children starting to be looked after each year"),)
_CLA_AT31 = (("population_type", "Children looked after on 31 March each year"),)
_CLA_CEASE = (("population_type", "Children ceasing to be looked after each year"),)
_POP_WORDS = "children aged 0 to 17 (ONS mid-year estimate, previous June)"

_HIGH, _LOW, _NEUTRAL = Polarity.HIGH_GOOD, Polarity.LOW_GOOD, Polarity.NEUTRAL


def _ind(
    id: str,
    title: str,
    definition: str,
    unit: Unit,
    numerator: str,
    denominator: str,
    polarity: Polarity,
    source: str,
    years: tuple[int, int],
    topic: str,
    derivation: Derivation,
    period: str = "year ending 31 March",
    period_kind: PeriodKind = PeriodKind.FINANCIAL_YEAR,
) -> Indicator:
    return Indicator(
        id,
        title,
        definition,
        unit,
        numerator,
        denominator,
        polarity,
        source,
        years,
        topic,
        derivation,
        period,
        period_kind,
    )
