"""``/api/care/...``: children in care — the spliced series' reconciliation, the
sufficiency view of a place, the national picture, and an authority's placements."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cscwatch.core.types import PeriodKind, parse_period
from cscwatch.indicators.authorities import resolve_authority
from cscwatch.indicators.care import PlacementShares, Reconciliation, placement_shares, reconcile
from cscwatch.indicators.sufficiency import (
    PlaceSufficiency,
    RegionRow,
    national_picture,
    sufficiency,
)
from cscwatch.serve.api._deps import Con, jsonable
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api.authorities import AuthorityPath

__all__ = ["NationalPictureOut", "router"]

router = APIRouter(tags=["children in care"], responses=ERROR_RESPONSES)

PlaceQuery = Annotated[
    str | None,
    Query(description="England (default), a region (name or GSS code) or an authority."),
]
YearQuery = Annotated[
    str | None, Query(description="31 March of this year (`2025`); latest if omitted.")
]


class NationalPictureOut(BaseModel):
    """England and every region: the latest sufficiency figures and the cost split."""

    data: list[RegionRow]
    note: str = Field(
        description="What the £ figures are and how the cost change is split.",
    )


def _json(obj: Any) -> Response:
    import json

    return Response(json.dumps(jsonable(obj)), media_type="application/json")


@router.get(
    "/care/reconciliation",
    response_model=Reconciliation,
    summary="The looked-after series spliced from LAIT and the DfE file, checked",
)
def get_reconciliation(con: Con) -> Any:
    """For every spliced indicator: the hand-over year and how the two publications
    agree in the overlap years; every year's national total against the sum of the
    authorities; any reorganisation counted twice."""
    return _json(reconcile(con).to_dict())


@router.get(
    "/care/sufficiency",
    response_model=PlaceSufficiency,
    summary="Sufficiency and the price-volume split of looked-after spend for one place",
)
def get_sufficiency(con: Con, place: PlaceQuery = None) -> Any:
    """Trends of the residential share, distance placements, foster occupancy,
    residential unit cost and spend against children, and the exact LMDI split of the
    change in gross looked-after spend into more children and spend per child."""
    return _json(sufficiency(con, place).to_dict())


@router.get(
    "/care/sufficiency/national",
    response_model=NationalPictureOut,
    summary="England and every region on one page",
)
def get_national_picture(con: Con) -> Any:
    """The latest figures of each sufficiency trend and the cost split, by region."""
    return _json(
        {
            "data": national_picture(con),
            "note": "£ in cash terms; spend change split into volume (children looked "
            "after on 31 March) and price (spend per child) by LMDI-I, exactly.",
        }
    )


@router.get(
    "/care/placements/{authority}",
    response_model=PlacementShares,
    summary="An authority's placements at 31 March by type",
)
def get_placements(con: Con, authority: AuthorityPath, year: YearQuery = None) -> Any:
    """Percent of children looked after on 31 March by placement type, as LAIT
    publishes them (its ``-`` kept); LAIT does not publish 'placed for adoption'."""
    la = resolve_authority(con, authority).la_code
    y = parse_period(year, PeriodKind.AT_31_MARCH) if year is not None else None
    return _json(placement_shares(con, la, y).to_dict())
