"""``/api/authorities``: the upper-tier authorities, past and present."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from cscwatch.indicators.authorities import Authority, list_authorities, resolve_authority
from cscwatch.serve.api._deps import Con, Page, PageLinks, PageMeta, paginate
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api._records import record_model

__all__ = ["AuthorityOut", "AuthorityPath", "router"]

router = APIRouter(tags=["authorities"], responses=ERROR_RESPONSES)

#: An authority in a path: DfE LA number, GSS code or name.
AuthorityPath = Annotated[
    str,
    Path(
        description="DfE LA number (`352`), GSS code (`E08000003`) or name (`Manchester`).",
        examples=["352"],
    ),
]


#: An upper-tier authority: the library's :class:`~cscwatch.indicators.authorities.Authority`.
AuthorityOut = record_model(Authority, "AuthorityOut")


class AuthorityPage(BaseModel):
    """A page of authorities."""

    data: list[AuthorityOut]  # type: ignore[valid-type]
    meta: PageMeta
    links: PageLinks


@router.get("/authorities", response_model=AuthorityPage, summary="List authorities")
def get_authorities(
    request: Request,
    con: Con,
    page: Page,
    current_only: Annotated[bool, Query(description="Only authorities that exist now.")] = False,
    region: Annotated[str | None, Query(description="Region GSS code or name.")] = None,
) -> AuthorityPage:
    """Authorities ordered by name, optionally only current ones or one region's."""
    items = list_authorities(con, current_only=current_only)
    if region is not None:
        key = region.strip().lower()
        items = [
            a
            for a in items
            if key in ((a.region_code or "").lower(), (a.region_name or "").lower())
        ]
    rows = items[page.offset : page.offset + page.limit + 1]
    data, meta, links = paginate(request, rows, page)
    return AuthorityPage(
        data=[AuthorityOut.model_validate(a, from_attributes=True) for a in data],
        meta=meta,
        links=links,
    )


@router.get("/authorities/{authority}", response_model=AuthorityOut, summary="One authority")
def get_authority(con: Con, authority: AuthorityPath) -> Any:
    """Resolve a number, code or name; 404 ``unknown_authority`` with suggestions."""
    return AuthorityOut.model_validate(resolve_authority(con, authority), from_attributes=True)
