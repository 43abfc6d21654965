"""``/api/compare`` and ``/api/authorities/{authority}/neighbours/{indicator}``.

Both answer the library's :class:`~cscwatch.indicators.comparisons.Comparison` record
as it is declared (no copy of its fields here).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cscwatch.core.catalogue import get_indicator
from cscwatch.core.types import parse_period
from cscwatch.indicators import comparisons
from cscwatch.serve.api._deps import Con
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api.authorities import AuthorityPath

__all__ = ["router"]

router = APIRouter(tags=["comparisons"], responses=ERROR_RESPONSES)

YearQuery = Annotated[
    str | None,
    Query(description="The publisher's year (`2025` or `2024-25`); latest if omitted."),
]


def _year(indicator: str, year: str | None) -> int | None:
    return parse_period(year, get_indicator(indicator).period_kind) if year else None


@router.get(
    "/compare",
    response_model=comparisons.Comparison,
    summary="Chosen authorities side by side",
)
def get_compare(
    con: Con,
    authorities: Annotated[
        list[str],
        Query(
            description="Up to 10 authorities by name, LA number or GSS code, comma-separated "
            "(`Leeds,352,Hull`) or repeated. More than 10 answers `400 bad_input`; a name "
            "that finds no authority `404 unknown_authority`, one that finds several `400 "
            "ambiguous_authority`, each with suggestions.",
        ),
    ],
    indicator: Annotated[str, Query(description="Indicator id.")],
    year: YearQuery = None,
) -> comparisons.Comparison:
    """One indicator for each chosen authority with its rank among them (1 = highest
    value; the indicator's better direction in ``rank_basis``), each one's region and
    England. Suppressed values are ``null`` with the publisher's ``status`` symbol."""
    names = comparisons.parse_authority_list(authorities)
    return comparisons.compare(con, names, indicator, _year(indicator, year))


@router.get(
    "/authorities/{authority}/neighbours/{indicator_id}",
    response_model=comparisons.Comparison,
    summary="An authority among its statistical neighbours",
)
def get_neighbours(
    con: Con, authority: AuthorityPath, indicator_id: str, year: YearQuery = None
) -> comparisons.Comparison:
    """Each statistical neighbour's own value, the authority's rank among itself and its
    neighbours (``rank`` of ``n_ranked``, 1 = highest value), its region and England.

    Without ``year``, the latest year the authority has a figure for."""
    return comparisons.neighbour_comparison(con, authority, indicator_id, _year(indicator_id, year))
