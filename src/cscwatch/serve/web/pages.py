"""Page routes: parse the request, ask the view builders, render a template or a CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import duckdb
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from cscwatch.core.catalogue import Indicator, get_indicator
from cscwatch.core.config import Settings
from cscwatch.core.errors import AmbiguousAuthorityError, InputError, UnknownAuthorityError
from cscwatch.core.types import parse_period, parse_year
from cscwatch.indicators.authorities import resolve_authority
from cscwatch.indicators.comparisons import parse_authority_list
from cscwatch.serve.api import _risk
from cscwatch.serve.api._deps import Con
from cscwatch.serve.web import care as care_pages
from cscwatch.serve.web import comparisons, printing, views, warmup
from cscwatch.serve.web import risk as risk_view
from cscwatch.serve.web._render import Table, render
from cscwatch.serve.web.downloads import table_download

__all__ = ["install_pages", "render_error_page", "router"]

STATIC = Path(__file__).parent / "static"


def _data_currency(request: Request) -> None:
    """Put the warehouse's data currency (each source's latest year, the date the Ofsted
    record runs to) on ``request.state`` for the banner of every page; kept per
    warehouse file. A page still renders, without the banner, when there is no
    warehouse (the accessibility statement must)."""
    from cscwatch.core.errors import WarehouseError

    try:
        with request.app.state.pool.snapshot() as snap:
            found = warmup.remember_currency(request.app, snap)
    except WarehouseError:
        return
    request.state.data_currency = found


router = APIRouter(include_in_schema=False, dependencies=[Depends(_data_currency)])

_TITLES = {
    404: "Page not found",
    400: "There is a problem with the request",
    503: "Sorry, the service is unavailable",
}


def render_error_page(request: Request, status: int, code: str, message: str) -> Response:
    """The HTML twin of the API's error shape, for pages."""
    heading = _TITLES.get(status, "Sorry, there is a problem with the service")
    if status >= 500 and status != 503:
        message = "Something went wrong on our side. Try again later."
    if status != 503 and getattr(request.state, "data_currency", None) is None:
        _data_currency(request)
    return render(request, "error.html", status=status, heading=heading, message=message, nav="")


def _year(text: str | None, ind: Indicator | None = None) -> int | None:
    """A ``?year=`` parameter: the publisher's year, read for ``ind``'s period if given."""
    if text in (None, ""):
        return None
    return parse_period(text, ind.period_kind) if ind else parse_year(text).end


def _tag(request: Request) -> str | None:
    """The identity of the warehouse file this request reads (set by ``get_con``)."""
    return getattr(request.state, "warehouse_tag", None)


def _download(request: Request, con: Con, table: Table, name: str, fmt: str) -> Response:
    return table_download(request, con, table, name, fmt)


def _pick(tables: list[Table], table_id: str) -> Table:
    for t in tables:
        if t.id == table_id:
            return t
    raise InputError(f"no table {table_id!r} on this page")


@router.get("/")
def overview(
    request: Request,
    con: Con,
    indicator: Annotated[str | None, Query()] = None,
    year: Annotated[str | None, Query()] = None,
) -> Response:
    """England overview: headline indicators and the map."""
    ctx = views.overview(con, request.app.state.settings, indicator, _year(year))
    return render(request, "overview.html", nav="overview", **ctx)


@router.get("/tables/{table_id}.{fmt}")
def overview_csv(
    request: Request,
    con: Con,
    table_id: str,
    fmt: str,
    indicator: Annotated[str | None, Query()] = None,
    year: Annotated[str | None, Query()] = None,
) -> Response:
    """The overview's tables as CSV or an Excel workbook."""
    ctx = views.overview(con, request.app.state.settings, indicator, _year(year))
    return _download(request, con, _pick(ctx["tables"], table_id), table_id, fmt)


@router.get("/authorities")
def authorities(
    request: Request, con: Con, authority: Annotated[str | None, Query()] = None
) -> Response:
    """Choose an authority (the form submits here and is redirected to the profile)."""
    error = None
    choices: list[dict[str, str]] = []
    if authority:
        try:
            la = resolve_authority(con, authority)
        except UnknownAuthorityError as exc:
            given = authority.strip()
            if isinstance(exc, AmbiguousAuthorityError):
                error = f"More than one authority matches “{given}”: choose one."
            elif exc.suggestions:
                error = (
                    f"No authority is called “{given}”. Did you mean "
                    + " or ".join(exc.suggestions)
                    + "?"
                )
            else:
                error = (
                    f"No authority is called “{given}”. Enter a name, LA number or GSS "
                    "code, like Manchester or 352."
                )
            choices = [
                {"label": c, "href": "/authorities?" + urlencode({"authority": c})}
                for c in exc.suggestions
            ]
        else:
            return RedirectResponse(f"/authorities/{la.la_code}", status_code=303)
    ctx = views.authority_list(con)
    status = 404 if error else 200
    return render(
        request,
        "authorities.html",
        status=status,
        nav="authorities",
        error=error,
        choices=choices,
        given=authority or "",
        **ctx,
    )


@router.get("/authorities.{fmt}")
def authorities_csv(request: Request, con: Con, fmt: str) -> Response:
    """Every authority as CSV or an Excel workbook."""
    return _download(request, con, views.authority_list(con)["tables"][0], "authorities", fmt)


@router.get("/authorities/{la}")
def authority_profile(
    request: Request, con: Con, la: str, year: Annotated[str | None, Query()] = None
) -> Response:
    """An authority's profile: every section in :data:`sections.PROFILE_SECTIONS`."""
    auth = resolve_authority(con, la)
    if auth.la_code != la:
        return RedirectResponse(f"/authorities/{auth.la_code}", status_code=301)
    ctx = views.profile(
        con, request.app.state.settings, auth, _year(year), warehouse_tag=_tag(request)
    )
    return render(request, "profile.html", nav="authorities", **ctx)


@router.get("/authorities/{la}/print")
def authority_print(
    request: Request, con: Con, la: str, year: Annotated[str | None, Query()] = None
) -> Response:
    """An authority's profile laid out for paper (no JavaScript needed)."""
    auth = resolve_authority(con, la)
    if auth.la_code != la:
        return RedirectResponse(f"/authorities/{auth.la_code}/print", status_code=301)
    ctx = printing.print_profile(
        con, request.app.state.settings, auth, _year(year), warehouse_tag=_tag(request)
    )
    return render(request, "profile_print.html", nav="authorities", **ctx)


@router.get("/authorities/{la}/neighbours/{indicator_id}")
def authority_neighbours(
    request: Request,
    con: Con,
    la: str,
    indicator_id: str,
    year: Annotated[str | None, Query()] = None,
) -> Response:
    """One indicator's "Each statistical neighbour's figure" block of a profile, as an
    HTML fragment: the profile's details block fetches it when opened (without
    JavaScript it links to the indicator page, which shows the same figures)."""
    auth = resolve_authority(con, la)
    ind = get_indicator(indicator_id)
    block = views.profile_neighbours(con, request.app.state.settings, auth, _year(year), ind)
    return render(request, "sections/neighbours_block.html", data=block)


@router.get("/authorities/{la}/series/{indicator_id}")
def authority_series(
    request: Request,
    con: Con,
    la: str,
    indicator_id: str,
    year: Annotated[str | None, Query()] = None,
) -> Response:
    """One indicator's "Show the data" table of a profile (its series by year), as a page:
    the profile's details block fetches it when opened and shows its ``#series-block``;
    without JavaScript the block links here."""
    auth = resolve_authority(con, la)
    ind = get_indicator(indicator_id)
    ctx = views.profile_series(con, auth, _year(year), ind)
    return render(request, "profile_series.html", nav="authorities", **ctx)


@router.get("/authorities/{la}/tables/{table_id}.{fmt}")
def authority_csv(
    request: Request,
    con: Con,
    la: str,
    table_id: str,
    fmt: str,
    year: Annotated[str | None, Query()] = None,
) -> Response:
    """One of a profile's tables as CSV or an Excel workbook."""
    auth = resolve_authority(con, la)
    ctx = views.profile(
        con, request.app.state.settings, auth, _year(year), warehouse_tag=_tag(request)
    )
    return _download(
        request, con, _pick(ctx["tables"], table_id), f"{auth.la_code}-{table_id}", fmt
    )


@router.get("/indicators")
def indicators(request: Request) -> Response:
    """The catalogue, grouped by topic."""
    return render(request, "indicators.html", nav="indicators", **views.indicator_list())


@router.get("/indicators.{fmt}")
def indicators_csv(request: Request, con: Con, fmt: str) -> Response:
    """The catalogue as CSV or an Excel workbook."""
    return _download(request, con, views.indicator_list()["tables"][0], "indicators", fmt)


@router.get("/indicators/{indicator_id}")
def indicator_page(
    request: Request,
    con: Con,
    indicator_id: str,
    year: Annotated[str | None, Query()] = None,
    authority: Annotated[str | None, Query()] = None,
) -> Response:
    """One indicator: ranked chart, funnel plot, map, definitions."""
    ind = get_indicator(indicator_id)
    ctx = views.indicator(con, request.app.state.settings, ind, _year(year, ind), authority)
    return render(request, "indicator.html", nav="indicators", **ctx)


@router.get("/indicators/{indicator_id}/tables/{table_id}.{fmt}")
def indicator_csv(
    request: Request,
    con: Con,
    indicator_id: str,
    table_id: str,
    fmt: str,
    year: Annotated[str | None, Query()] = None,
    authority: Annotated[str | None, Query()] = None,
) -> Response:
    """One of an indicator page's tables as CSV or an Excel workbook (``authority``
    for its neighbours')."""
    ind = get_indicator(indicator_id)
    ctx = views.indicator(con, request.app.state.settings, ind, _year(year, ind), authority)
    return _download(request, con, _pick(ctx["tables"], table_id), f"{ind.id}-{table_id}", fmt)


@router.get("/compare")
def compare_page(
    request: Request,
    con: Con,
    authorities: Annotated[str | None, Query()] = None,
    indicator: Annotated[str | None, Query()] = None,
    year: Annotated[str | None, Query()] = None,
) -> Response:
    """Chosen authorities side by side for one indicator (a shareable address); a
    mistake in the form is shown on the form, with the choices to pick from."""
    try:
        ind = get_indicator(indicator) if indicator else None
        ctx = comparisons.compare_page(con, authorities, indicator, _year(year, ind))
    except InputError as exc:
        ctx = comparisons.compare_page(con, None, None, None)
        ctx.update(given=authorities or "", indicator_id=indicator or "")
        ctx["options"] = [{**o, "selected": o["value"] == indicator} for o in ctx["options"]]
        unknown = isinstance(exc, UnknownAuthorityError)
        field = "authorities" if unknown or "authorit" in str(exc) else "indicator"
        choices = []
        if unknown:
            assert isinstance(exc, UnknownAuthorityError)
            given = parse_authority_list(authorities or "")
            for s in exc.suggestions:
                fixed = ",".join(s if n == exc.given else n for n in given)
                query = {"authorities": fixed, "indicator": indicator or ""}
                choices.append({"label": s, "href": "/compare?" + urlencode(query)})
        status = 404 if unknown and not isinstance(exc, AmbiguousAuthorityError) else 400
        return render(
            request,
            "compare.html",
            status=status,
            nav="compare",
            error=_sentence(str(exc)),
            error_field=field,
            choices=choices,
            **ctx,
        )
    return render(request, "compare.html", nav="compare", **ctx)


@router.get("/compare/tables/{table_id}.{fmt}")
def compare_csv(
    request: Request,
    con: Con,
    table_id: str,
    fmt: str,
    authorities: Annotated[str | None, Query()] = None,
    indicator: Annotated[str | None, Query()] = None,
    year: Annotated[str | None, Query()] = None,
) -> Response:
    """The comparison's table as CSV or an Excel workbook."""
    ind = get_indicator(indicator) if indicator else None
    ctx = comparisons.compare_page(con, authorities, indicator, _year(year, ind))
    return _download(request, con, _pick(ctx["tables"], table_id), table_id, fmt)


def _sentence(text: str) -> str:
    """A library message as a sentence for a page."""
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?")) else ".")


def _risk_context(
    request: Request,
    con: duckdb.DuckDBPyConnection,
    as_at: str | None,
    outcome: str | None,
    judgement: str | None,
) -> dict[str, Any]:
    when = _risk.parse_as_at(as_at, con, _tag(request))
    ctx = risk_view.risk_page(
        con,
        request.app.state.settings,
        _tag(request),
        when,
        _risk.parse_outcome(outcome),
        _risk.parse_judgement(judgement),
    )
    # a date the reader chose is theirs; only the default can fall behind today
    ctx["behind_today"] = None if as_at else _risk.behind_today(when)
    return ctx


@router.get("/risk")
def risk_page(
    request: Request,
    con: Con,
    as_at: Annotated[str | None, Query()] = None,
    outcome: Annotated[str | None, Query()] = None,
    judgement: Annotated[str | None, Query()] = None,
    target: Annotated[str | None, Query()] = None,
) -> Response:
    """The early-warning ranking of every current authority, with its meta and caveat."""
    ctx = _risk_context(request, con, as_at, outcome, judgement or target)
    return render(request, "risk.html", nav="risk", **ctx)


@router.get("/risk/tables/{table_id}.{fmt}")
def risk_csv(
    request: Request,
    con: Con,
    table_id: str,
    fmt: str,
    as_at: Annotated[str | None, Query()] = None,
    outcome: Annotated[str | None, Query()] = None,
    judgement: Annotated[str | None, Query()] = None,
    target: Annotated[str | None, Query()] = None,
) -> Response:
    """The risk page's table as CSV or an Excel workbook."""
    ctx = _risk_context(request, con, as_at, outcome, judgement or target)
    return _download(request, con, _pick(ctx["tables"], table_id), table_id, fmt)


@router.get("/api/docs")
def api_docs(request: Request) -> Response:
    """The API's OpenAPI document in Swagger UI, served from this server's own assets."""
    return render(request, "api_docs.html", nav="api", main_tag="div")


@router.get("/accessibility")
def accessibility(request: Request) -> Response:
    """The accessibility statement."""
    return render(request, "accessibility.html", nav="")


def install_pages(app: FastAPI, settings: Settings) -> None:
    """Mount the pages and their static files on ``app``."""
    vendor_assets = STATIC / "vendor" / "govuk" / "assets"
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # GOV.UK Frontend's stylesheet refers to /assets/... for its images; the folder
    # exists once `make web` has run
    app.mount("/assets", StaticFiles(directory=vendor_assets, check_dir=False), name="assets")
    app.include_router(router)
    app.include_router(care_pages.router)
