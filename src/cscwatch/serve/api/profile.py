"""``/api/authorities/{authority}/profile``, ``.../benchmark`` and ``.../series``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cscwatch.core.types import parse_year
from cscwatch.indicators import prices as px
from cscwatch.indicators.benchmarking import Benchmark, Profile, benchmark, default_year, profile
from cscwatch.indicators.series import SeriesPoint, series
from cscwatch.serve.api._deps import Con
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api._records import record_model
from cscwatch.serve.api.authorities import AuthorityOut, AuthorityPath

__all__ = ["BenchmarkOut", "ProfileOut", "profile_json", "router"]

router = APIRouter(tags=["profile and benchmark"], responses=ERROR_RESPONSES)

YearQuery = Annotated[
    str | None, Query(description="Year (`2025` or `2024-25`); latest if omitted.")
]
PricesQuery = Annotated[
    str,
    Query(
        description="£ figures in `cash` terms (as published) or `real` terms (the snapshot's "
        "GDP deflator, its base year; the answer's `prices` names whose deflator; 400 when "
        "none is in the warehouse)."
    ),
]


#: One authority, one indicator, one year, against England, region and neighbours: the
#: library's :class:`~cscwatch.indicators.benchmarking.Benchmark`, as it is.
BenchmarkOut = record_model(
    Benchmark,
    "BenchmarkOut",
    computed={
        "period_label": (
            "year",
            str,
            Field(
                "",
                description="The publisher's name for the year: `30 September 2025`, `2024-25`.",
            ),
        )
    },
    descriptions={
        "outlier": "Whether the figure is higher or lower than expected against England "
        "(default limits allowing for variation between authorities; the plain chance "
        "limits beside them), with any small-denominator warning.",
        "provisional": "An authority's own return (cscwatch build --provisional), not published.",
        "reference_year": "The year whose published figures a provisional value is compared "
        "with (its own year, or the latest published year before it).",
        "joint_with": "LA numbers of the authorities sharing this figure's joint workforce "
        "return or joint service (one figure for both, ranked once); on a former "
        "authority's figure after it ceased (method 'ceased', not ranked), the successors "
        "it is given to.",
        "joint_names": "Their names.",
        "rank_note": "Why the rank needs care (joint return, small denominator) or is absent "
        "(e.g. a former authority's figure after it ceased).",
    },
)


class ProfileOut(BaseModel):
    """Every indicator's benchmark for one authority."""

    authority: AuthorityOut  # type: ignore[valid-type]
    year: int | None
    benchmarks: list[BenchmarkOut]  # type: ignore[valid-type]
    prices: str = Field(description="What the £ figures are: cash terms, or real terms and base.")


#: One year of an authority's series: the library's
#: :class:`~cscwatch.indicators.series.SeriesPoint`.
SeriesPointOut = record_model(SeriesPoint, "SeriesPointOut")


class SeriesOut(BaseModel):
    """An indicator's series for one authority."""

    indicator: str
    la_code: str
    data: list[SeriesPointOut]  # type: ignore[valid-type]


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


def profile_json(p: Profile, prices: str) -> bytes:
    """The body of ``/api/authorities/{authority}/profile`` for the profile ``p``;
    ``prices`` says what its £ figures are (:func:`~cscwatch.indicators.prices.prices_note`).
    The route and the answers prepared when a warehouse file is opened
    (``serve/api/_prepared.py``) both make their bytes here."""
    return (
        ProfileOut(
            authority=AuthorityOut.model_validate(p.authority, from_attributes=True),
            year=p.year,
            benchmarks=[BenchmarkOut.model_validate(b, from_attributes=True) for b in p.benchmarks],
            prices=prices,
        )
        .model_dump_json()
        .encode()
    )


@router.get(
    "/authorities/{authority}/profile", response_model=ProfileOut, summary="An authority's profile"
)
def get_profile(
    con: Con, authority: AuthorityPath, year: YearQuery = None, prices: PricesQuery = "cash"
) -> Any:
    """Every catalogue indicator for the authority, benchmarked (latest year by default)."""
    pr = px.parse_prices(prices)
    y = parse_year(year).end if year else None
    deflator = px.load_deflator(con) if pr == "real" else None
    p = profile(con, authority, y)
    p = px.real_profile(p, deflator) if deflator else p
    return Response(profile_json(p, px.prices_note(pr, deflator)), media_type="application/json")


@router.get(
    "/authorities/{authority}/benchmark/{indicator_id}",
    response_model=BenchmarkOut,
    summary="One indicator benchmarked",
)
def get_benchmark(
    con: Con, authority: AuthorityPath, indicator_id: str, year: YearQuery = None
) -> Any:
    """The authority's figure against England, its region and statistical neighbours.

    Without ``year``, the latest year the authority has a figure for, else the
    indicator's default year (:func:`~cscwatch.indicators.benchmarking.default_year`).
    """
    if year is None:
        p = profile(con, authority)
        found = [b for b in p.benchmarks if b.indicator == indicator_id]
        if found:
            return _json(BenchmarkOut.model_validate(found[0], from_attributes=True))
    y = default_year(con, indicator_id, year)
    b = benchmark(con, authority, indicator_id, y)
    return _json(BenchmarkOut.model_validate(b, from_attributes=True))


@router.get(
    "/authorities/{authority}/series/{indicator_id}",
    response_model=SeriesOut,
    summary="An indicator's series against comparators",
)
def get_series(con: Con, authority: AuthorityPath, indicator_id: str) -> Any:
    """By year: the authority, its statistical neighbours' mean, its region and England."""
    from cscwatch.indicators.authorities import resolve_authority

    la = resolve_authority(con, authority).la_code
    rows = series(con, indicator_id, la)
    return _json(
        SeriesOut(
            indicator=indicator_id,
            la_code=la,
            data=[SeriesPointOut.model_validate(r, from_attributes=True) for r in rows],
        )
    )
