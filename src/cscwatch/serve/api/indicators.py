"""``/api/indicators``: the indicator catalogue."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from cscwatch.core.catalogue import CATALOGUE, Indicator, get_indicator
from cscwatch.serve.api._errors import ERROR_RESPONSES

__all__ = ["IndicatorOut", "router"]

router = APIRouter(tags=["indicators"], responses=ERROR_RESPONSES)


class IndicatorOut(BaseModel):
    """One indicator as declared in the catalogue."""

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

    @classmethod
    def of(cls, ind: Indicator) -> IndicatorOut:
        """From the catalogue's declaration."""
        return cls(
            id=ind.id,
            title=ind.title,
            definition=ind.definition,
            unit=ind.unit.value,
            unit_label=ind.unit_label,
            numerator=ind.numerator,
            denominator=ind.denominator,
            polarity=ind.polarity.value,
            source=ind.source,
            topic=ind.topic,
            period=ind.period,
            period_kind=ind.period_kind.value,
            first_year=ind.years[0],
            last_year=ind.years[1],
            first_period=ind.year_label(ind.years[0]),
            last_period=ind.year_label(ind.years[1]),
        )


class IndicatorList(BaseModel):
    """The whole catalogue, in declaration order."""

    data: list[IndicatorOut]


@router.get("/indicators", response_model=IndicatorList, summary="The indicator catalogue")
def list_indicators(topic: str | None = None) -> IndicatorList:
    """Every indicator, optionally only one ``topic`` (e.g. ``child_protection``)."""
    items = [i for i in CATALOGUE.values() if topic is None or i.topic == topic]
    return IndicatorList(data=[IndicatorOut.of(i) for i in items])


@router.get("/indicators/{indicator_id}", response_model=IndicatorOut, summary="One indicator")
def read_indicator(indicator_id: str) -> IndicatorOut:
    """One indicator's definition; 404 ``unknown_indicator`` with suggestions."""
    return IndicatorOut.of(get_indicator(indicator_id))
