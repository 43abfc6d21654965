"""``/api/observations``: published figures, filtered, as JSON pages or the tidy CSV."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cscwatch.core.errors import InputError
from cscwatch.indicators.authorities import geography_names, list_authorities
from cscwatch.indicators.observations import query_observations, tidy_period
from cscwatch.serve.api._deps import (
    Con,
    Page,
    PageLinks,
    PageMeta,
    csv_response,
    paginate,
    parse_years,
)
from cscwatch.serve.api._deps import authority as resolve
from cscwatch.serve.api._errors import ERROR_RESPONSES

__all__ = ["TIDY_COLUMNS", "ObservationOut", "router"]

router = APIRouter(tags=["observations"], responses=ERROR_RESPONSES)

#: The publisher's tidy layout, as in DfE's own CSV files.
TIDY_COLUMNS = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
    "indicator",
    "value",
    "status",
)
_LEVEL_WORDS = {"national": "National", "regional": "Regional", "la": "Local authority"}


class Format(StrEnum):
    """Response format."""

    json = "json"
    csv = "csv"


class GeoLevelParam(StrEnum):
    """Geography level."""

    national = "national"
    regional = "regional"
    la = "la"


class ObservationOut(BaseModel):
    """One published figure."""

    indicator: str
    geo_level: str
    geo_code: str
    la_name: str | None
    geo_name: str | None = Field(
        None,
        description="The place's name at any level: authority, region, sub-region "
        "(Inner London, Outer London) or England.",
    )
    year: int
    period_label: str | None = Field(
        None, description="The publisher's name for the year: `30 September 2025`, `2024-25`."
    )
    value: float | None
    status: str | None
    numerator: float | None
    denominator: float | None
    method: str | None
    provisional: bool | None


class ObservationPage(BaseModel):
    """A page of observations; ``links.next`` is null on the last page."""

    data: list[ObservationOut]
    meta: PageMeta
    links: PageLinks


def _tidy(rows: list[dict[str, Any]], con: Any) -> list[list[Any]]:
    """Rows in the publisher's tidy layout (value keeps the publisher's symbol)."""
    auths = {a.la_code: a for a in list_authorities(con)}
    regions = geography_names(con)
    out = []
    for r in rows:
        a = auths.get(str(r["geo_code"])) if r["geo_level"] == "la" else None
        region_code = (
            r["geo_code"] if r["geo_level"] == "regional" else (a.region_code if a else None)
        )
        value = r["value"]
        shown = r["status"] if value is None else f"{round(float(value), 4):g}"
        out.append(
            [
                *tidy_period(str(r["indicator"]), int(r["year"])),
                _LEVEL_WORDS.get(str(r["geo_level"]), r["geo_level"]),
                "E92000001",
                "England",
                region_code,
                regions.get(region_code) if region_code else None,
                r["geo_code"] if r["geo_level"] == "la" else None,
                a.gss_code if a else None,
                a.name if a else None,
                r["indicator"],
                shown,
                "provisional" if r.get("provisional") else "published",
            ]
        )
    return out


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

    With ``format=csv`` the page is given in the publisher's tidy layout
    (``time_period, ..., old_la_code, new_la_code, la_name, indicator, value, status``),
    suppressed values keeping the publisher's symbol; the ``Link`` header names the
    next page.
    """
    la_codes = None
    if authority:
        la_codes = [resolve(request, con, a).la_code for a in authority]
    years = parse_years(year, year_from, year_to)
    if region is not None and not region.upper().startswith("E12"):
        raise InputError(f"region {region!r}: use a region GSS code such as E12000002")
    rows = query_observations(
        con,
        indicator=indicator,
        la_codes=la_codes,
        region=region.upper() if region else None,
        years=years,
        geo_level=geo_level.value if geo_level else None,
        limit=page.limit + 1,
        offset=page.offset,
    )
    data, meta, links = paginate(request, rows, page)
    if format is Format.csv:
        resp = csv_response(TIDY_COLUMNS, _tidy(data, con), "observations.csv")
        if links.next:
            resp.headers["link"] = f'<{links.next}>; rel="next"'
        return resp
    return Response(
        ObservationPage(
            data=[ObservationOut.model_validate(r) for r in data], meta=meta, links=links
        ).model_dump_json(),
        media_type="application/json",
    )
