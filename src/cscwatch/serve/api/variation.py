"""``/api/indicators/{id}/variation`` and ``/funnel``: spread across authorities."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from cscwatch.core.catalogue import get_indicator
from cscwatch.core.errors import InputError
from cscwatch.indicators import prices as px
from cscwatch.indicators.benchmarking import default_year
from cscwatch.indicators.variation import FunnelPlot, VariationView, funnel, variation
from cscwatch.serve.api._deps import Con, jsonable
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api._records import record_model

__all__ = ["FunnelOut", "VariationOut", "router"]

router = APIRouter(tags=["variation"], responses=ERROR_RESPONSES)

YearQuery = Annotated[
    str | None, Query(description="Year (`2025` or `2024-25`); latest if omitted.")
]


#: Spread of one indicator across authorities in one year: the library's
#: :class:`~cscwatch.indicators.variation.VariationView` (as ``cscwatch variation``).
VariationOut = record_model(
    VariationView,
    "VariationOut",
    descriptions={
        "period_label": "The publisher's name for the year: `30 September 2025`, `2024-25`.",
        "prices": "For £ indicators: cash terms, or real terms and the base year.",
    },
)


#: Every authority and the limit curves around England's value: the library's
#: :class:`~cscwatch.indicators.variation.FunnelPlot`, as it is.
FunnelOut = record_model(
    FunnelPlot,
    "FunnelOut",
    doc="""Every authority and the limit curves around England's value.

    ``lower95``…``upper998`` are the chance limits; ``…_od`` the default limits, which
    allow for variation between authorities with ``tau2`` on the ``scale`` given
    (``log`` for rates per 10,000, ``identity`` for percentages).
    """,
)


def _year(con: Any, indicator_id: str, year: str | None) -> int:
    return default_year(con, indicator_id, year)


@router.get(
    "/indicators/{indicator_id}/variation",
    response_model=VariationOut,
    summary="Spread across authorities",
)
def get_variation(
    con: Con,
    indicator_id: str,
    year: YearQuery = None,
    include_small: Annotated[
        bool, Query(description="Include City of London and the Isles of Scilly.")
    ] = False,
    prices: Annotated[
        str,
        Query(
            description="£ figures in `cash` terms or `real` terms (the snapshot's GDP deflator, "
            "its base year; the answer's `prices` names whose deflator; 400 when none is in "
            "the warehouse)."
        ),
    ] = "cash",
) -> Any:
    """Minimum, maximum, quartiles and England's value for one year."""
    pr = px.parse_prices(prices)
    deflator = px.load_deflator(con) if pr == "real" else None
    v = variation(con, indicator_id, _year(con, indicator_id, year), include_small=include_small)
    v = px.real_variation(v, deflator) if deflator else v
    money = get_indicator(indicator_id).unit.is_money
    out = VariationOut.model_validate(
        jsonable(v.view(px.prices_note(pr, deflator) if money else None))
    )
    return Response(out.model_dump_json(), media_type="application/json")


@router.get(
    "/indicators/{indicator_id}/funnel", response_model=FunnelOut, summary="Funnel plot data"
)
def get_funnel(con: Con, indicator_id: str, year: YearQuery = None) -> Any:
    """Each authority's value and denominator with 95% and 99.8% control limits.

    400 ``bad_input`` for indicators without a denominator (counts, published rates).
    """
    f = funnel(con, indicator_id, _year(con, indicator_id, year))
    if f is None:
        raise InputError(f"{indicator_id} has no funnel plot: it has no denominator")
    out = FunnelOut.model_validate(f, from_attributes=True)
    return Response(out.model_dump_json(), media_type="application/json")
