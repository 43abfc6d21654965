"""``/api/indicators``: the indicator catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from cscwatch.core.catalogue import CATALOGUE, IndicatorRecord, get_indicator
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api._records import record_model

__all__ = ["IndicatorOut", "router"]

router = APIRouter(tags=["indicators"], responses=ERROR_RESPONSES)


#: One indicator as the catalogue declares it: the library's
#: :class:`~cscwatch.core.catalogue.IndicatorRecord` (what ``cscwatch indicators`` lists).
IndicatorOut = record_model(IndicatorRecord, "IndicatorOut")


class IndicatorList(BaseModel):
    """The whole catalogue, in declaration order."""

    data: list[IndicatorOut]  # type: ignore[valid-type]


@router.get("/indicators", response_model=IndicatorList, summary="The indicator catalogue")
def list_indicators(topic: str | None = None) -> IndicatorList:
    """Every indicator, optionally only one ``topic`` (e.g. ``child_protection``)."""
    items = [i for i in CATALOGUE.values() if topic is None or i.topic == topic]
    return IndicatorList(
        data=[IndicatorOut.model_validate(i.record(), from_attributes=True) for i in items]
    )


@router.get("/indicators/{indicator_id}", response_model=IndicatorOut, summary="One indicator")
def read_indicator(indicator_id: str) -> Any:
    """One indicator's definition; 404 ``unknown_indicator`` with suggestions."""
    return IndicatorOut.model_validate(get_indicator(indicator_id).record(), from_attributes=True)
