"""``/api/observations``: published figures, filtered, as JSON pages or the tidy CSV."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, TypeAdapter

from cscwatch.core.errors import InputError
from cscwatch.indicators.observations import (
    Observation,
    query_observations,
    tidy_csv,
    tidy_observations,
)
from cscwatch.serve.api._deps import (
    Con,
    Page,
    PageLinks,
    PageMeta,
    paginate,
    parse_years,
)
from cscwatch.serve.api._deps import authority as resolve
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api._records import record_model

__all__ = ["ObservationOut", "ObservationPage", "page_json", "records_json", "router"]

router = APIRouter(tags=["observations"], responses=ERROR_RESPONSES)


class Format(StrEnum):
    """Response format."""

    json = "json"
    csv = "csv"


class GeoLevelParam(StrEnum):
    """Geography level."""

    national = "national"
    regional = "regional"
    la = "la"


#: One published figure: the library's
#: :class:`~cscwatch.indicators.observations.Observation`.
ObservationOut = record_model(
    Observation,
    "ObservationOut",
    descriptions={
        "geo_name": "The place's name at any level: authority, region, sub-region "
        "(Inner London, Outer London) or England.",
        "period_label": "The publisher's name for the year: `30 September 2025`, `2024-25`.",
    },
)


class ObservationPage(BaseModel):
    """A page of observations; ``links.next`` is null on the last page."""

    data: list[ObservationOut]  # type: ignore[valid-type]
    meta: PageMeta
    links: PageLinks


#: The library's records serialised as they are: :data:`ObservationOut` has their very
#: fields (``record_model``), so the bytes are those of a page of ``ObservationOut``
#: (checked in tests/api/test_api_prepared.py) at a third of the cost.
_RECORDS = TypeAdapter(list[Observation])


def records_json(rows: Sequence[Observation]) -> bytes:
    """The ``data`` of a page of observations, as JSON."""
    return _RECORDS.dump_json(list(rows))


def page_json(data: bytes, meta: PageMeta, links: PageLinks) -> bytes:
    """An :class:`ObservationPage` from its ``data`` (:func:`records_json`), meta and
    links: the route and the answers prepared when a warehouse file is opened
    (``serve/api/_prepared.py``) both make their bytes here."""
    return b"".join(
        (
            b'{"data":',
            data,
            b',"meta":',
            meta.model_dump_json().encode(),
            b',"links":',
            links.model_dump_json().encode(),
            b"}",
        )
    )


@router.get(
    "/observations",
    response_model=ObservationPage,
    summary="Published figures, filtered",
    responses={
        200: {"content": {"text/csv": {}}, "description": "JSON page, or CSV with format=csv"}
    },
)
def get_observations(
    request: Request,
    con: Con,
    page: Page,
    indicator: Annotated[
        str | None, Query(description="Indicator id, e.g. `cpp_at31_per_10k`.")
    ] = None,
    authority: Annotated[
        list[str] | None, Query(description="Authority (LA number, GSS code or name); repeatable.")
    ] = None,
    region: Annotated[str | None, Query(description="Region GSS code, e.g. `E12000002`.")] = None,
    year: Annotated[
        list[str] | None, Query(description="Year (`2025` or `2024-25`); repeatable.")
    ] = None,
    year_from: Annotated[str | None, Query(description="First year of a range.")] = None,
    year_to: Annotated[str | None, Query(description="Last year of a range.")] = None,
    geo_level: Annotated[GeoLevelParam | None, Query(description="Geography level.")] = None,
    format: Annotated[
        Format, Query(description="`json` (paged) or `csv` (tidy layout).")
    ] = Format.json,
) -> Any:
    """Observations matching every filter, ordered by indicator, geography and year.

    With ``format=csv`` the page is given in the publisher's tidy layout, exactly as
    ``cscwatch export`` writes it (:func:`cscwatch.indicators.observations.tidy_observations`:
    ``time_period, ..., new_la_code, old_la_code, la_name, indicator, value, status``),
    values in full precision and suppressed ones keeping the publisher's symbol; the
    ``Link`` header names the next page.
    """
    la_codes = None
    if authority:
        la_codes = [resolve(request, con, a).la_code for a in authority]
    years = parse_years(year, year_from, year_to)
    if region is not None and not region.upper().startswith("E12"):
        raise InputError(f"region {region!r}: use a region GSS code such as E12000002")
    filters: dict[str, Any] = {
        "indicator": indicator,
        "la_codes": la_codes,
        "region": region.upper() if region else None,
        "years": years,
        "geo_level": geo_level.value if geo_level else None,
        "limit": page.limit + 1,
        "offset": page.offset,
    }
    if format is Format.csv:
        tidy, _, links = paginate(request, tidy_observations(con, **filters), page)
        headers = {"content-disposition": 'attachment; filename="observations.csv"'}
        if links.next:
            headers["link"] = f'<{links.next}>; rel="next"'
        return Response(tidy_csv(tidy), media_type="text/csv; charset=utf-8", headers=headers)
    data, meta, links = paginate(request, query_observations(con, **filters), page)
    return Response(page_json(records_json(data), meta, links), media_type="application/json")
