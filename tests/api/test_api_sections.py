"""A profile section plugs in: a template plus a data function, and its table as CSV."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cscwatch.core.config import Settings
from cscwatch.serve.web import sections
from cscwatch.serve.web._render import TEMPLATES, Column, Row, Table


def _get(app: Any, urls: list[str]) -> list[httpx.Response]:
    """GET in-process through ASGI, in a thread of its own (Playwright may own this loop)."""
    out: list[httpx.Response] = []

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            for u in urls:
                out.append(await c.get(u))

    t = threading.Thread(target=lambda: asyncio.run(run()))
    t.start()
    # generous: the first profile of an in-process app fits the early-warning model, over
    # a minute when the other test process starts the shared server on a loaded machine
    t.join(600)
    assert not t.is_alive(), "no answer in 600 s"
    return out


@pytest.fixture()
def extra_section() -> Iterator[None]:
    template = TEMPLATES / "sections" / "_test_extra.html"
    template.write_text('<p class="govuk-body" id="extra">{{ data.words }}</p>\n')

    def data(ctx: sections.SectionContext) -> dict[str, Any]:
        t = Table(
            id="extra",
            caption="Extra",
            columns=[Column("Name"), Column("LA", True)],
            rows=[Row([ctx.authority.name, ctx.authority.la_code])],
            csv_href=ctx.csv_href("extra"),
        )
        ctx.tables.append(t)
        return {"words": f"Extra for {ctx.authority.name}"}

    before = list(sections.PROFILE_SECTIONS)
    sections.register_section(
        sections.ProfileSection("extra", "Extra section", "sections/_test_extra.html", data),
        before="indicators",
    )
    try:
        yield
    finally:
        sections.PROFILE_SECTIONS[:] = before
        template.unlink()


def test_a_registered_section_renders_and_serves_its_csv(
    warehouse: Settings, extra_section: None, tmp_path: Path
) -> None:
    from cscwatch.serve.app import create_app

    ids = [s.id for s in sections.PROFILE_SECTIONS]
    assert ids.index("extra") == ids.index("indicators") - 1
    app = create_app(warehouse, response_cache_bytes=0)
    page, csv = _get(app, ["/authorities/352", "/authorities/352/tables/extra.csv"])
    assert page.status_code == 200
    assert 'id="extra"' in page.text and "Extra for Manchester" in page.text
    assert '<a class="govuk-link" href="#extra">Extra section</a>' in page.text
    assert csv.status_code == 200 and csv.text.splitlines() == ["Name,LA", "Manchester,352"]


def test_a_section_returning_none_is_left_out(warehouse: Settings) -> None:
    from cscwatch.serve.app import create_app

    before = list(sections.PROFILE_SECTIONS)
    sections.register_section(
        sections.ProfileSection("nothing", "Nothing", "sections/summary.html", lambda ctx: None)
    )
    try:
        (page,) = _get(create_app(warehouse, response_cache_bytes=0), ["/authorities/352"])
    finally:
        sections.PROFILE_SECTIONS[:] = before
    assert page.status_code == 200 and 'id="nothing"' not in page.text
