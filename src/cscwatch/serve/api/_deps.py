"""Typed dependencies and small formatting helpers shared by the resource modules."""

from __future__ import annotations

import dataclasses
import enum
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any

import duckdb
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.datastructures import URL

from cscwatch.core.errors import UnknownYearError
from cscwatch.core.types import Year, parse_year
from cscwatch.indicators.authorities import Authority, resolve_authority
from cscwatch.serve.api._warehouse import WarehousePool

__all__ = [
    "PAGE_LIMIT",
    "Con",
    "Page",
    "PageLinks",
    "PageMeta",
    "authority",
    "csv_response",
    "get_con",
    "jsonable",
    "page_params",
    "paginate",
    "parse_years",
    "public_link",
]


def authority(request: Request, con: duckdb.DuckDBPyConnection, text: str) -> Authority:
    """:func:`resolve_authority`, remembered per warehouse file (names don't change in one).

    Resolving takes three small queries, as long as the rest of a typical request.
    """
    tag = getattr(request.state, "warehouse_tag", None)
    cache: dict[tuple[str, str], Authority] = request.app.state.authority_cache
    key = (str(tag), text.strip().lower())
    found = cache.get(key) if tag is not None else None
    if found is None:
        found = resolve_authority(con, text)
        if tag is not None:
            if len(cache) > 4096:
                cache.clear()
            cache[key] = found
    return found


def get_con(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the current warehouse for the length of one request."""
    pool: WarehousePool = request.app.state.pool
    with pool.snapshot() as snap:
        request.state.warehouse_tag = snap.tag
        yield snap.con


Con = Annotated[duckdb.DuckDBPyConnection, Depends(get_con)]

#: Rows per page when a request does not say.
PAGE_LIMIT = 1000


class PageParams(BaseModel):
    """limit/offset paging."""

    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=10_000, description="Rows per page.")] = PAGE_LIMIT,
    offset: Annotated[int, Query(ge=0, description="Rows to skip.")] = 0,
) -> PageParams:
    """Paging parameters, validated (bad values get the 422 error shape)."""
    return PageParams(limit=limit, offset=offset)


Page = Annotated[PageParams, Depends(page_params)]


class PageMeta(BaseModel):
    """Where this page sits."""

    limit: int
    offset: int
    count: int = Field(description="Rows in this page.")


class PageLinks(BaseModel):
    """``next`` is null on the last page."""

    self: str
    next: str | None = None


def paginate(
    request: Request, rows: Sequence[Any], page: PageParams
) -> tuple[list[Any], PageMeta, PageLinks]:
    """Cut ``rows`` (fetched with ``limit + 1``) to a page and build its links."""
    has_next = len(rows) > page.limit
    data = list(rows[: page.limit])
    nxt = None
    if has_next:
        nxt = _link(request, request.url.include_query_params(offset=page.offset + page.limit))
    return (
        data,
        PageMeta(limit=page.limit, offset=page.offset, count=len(data)),
        PageLinks(self=_link(request, request.url), next=nxt),
    )


def _link(request: Request, url: URL) -> str:
    """A link to ``url`` that no request header can change: relative (path and query),
    or under the configured ``public_url``. The Host header is never used, so a cached
    answer cannot carry a host a client made up."""
    relative = url.path + (f"?{url.query}" if url.query else "")
    base = getattr(request.app.state, "settings", None)
    return public_link(relative, getattr(base, "public_url", None))


def public_link(relative: str, public_url: str | None) -> str:
    """``relative`` (a path and query) under ``public_url``, or as it is without one."""
    return f"{public_url.rstrip('/')}{relative}" if public_url else relative


def parse_years(
    year: Sequence[str] | None, year_from: str | None, year_to: str | None
) -> list[int] | None:
    """Years from repeated ``year`` and/or a ``year_from``..``year_to`` range.

    Raises ``UnknownYearError`` (400) on a malformed year, and on a range whose first
    year is after its last (an empty range would otherwise mean "every year").
    """
    years: set[int] = {parse_year(y).end for y in (year or [])}
    if year_from is not None or year_to is not None:
        lo = parse_year(year_from).end if year_from is not None else 1990
        hi = parse_year(year_to).end if year_to is not None else 2100
        if lo > hi:
            raise UnknownYearError(f"year_from {year_from} is after year_to {year_to}")
        years |= set(range(lo, hi + 1))
    return sorted(years) if years else None


def jsonable(obj: Any) -> Any:
    """Turn library results (dataclasses, enums, frames, NaN) into plain JSON values."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, enum.Enum):
        return jsonable(obj.value)
    if isinstance(obj, Year):
        return obj.end
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, BaseModel):
        return jsonable(obj.model_dump())
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if hasattr(obj, "to_dict") and hasattr(obj, "columns"):  # a pandas DataFrame
        return [jsonable(r) for r in obj.to_dict(orient="records")]
    if hasattr(obj, "item") and callable(obj.item):  # a numpy scalar
        return jsonable(obj.item())
    if isinstance(obj, (list, tuple, set, frozenset)) or hasattr(obj, "__iter__"):
        return [jsonable(v) for v in obj]
    return str(obj)


def csv_response(columns: Sequence[str], rows: Sequence[Sequence[Any]], filename: str) -> Response:
    """Rows as a CSV download (UTF-8, header row, empty cell for missing)."""
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow(
            ["" if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in row]
        )
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
