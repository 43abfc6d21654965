"""The /sufficiency page in Chromium: content, place search, axe at 1280 and 375 px,
screenshots saved for a person to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SUFFICIENCY_PAGES = {
    "sufficiency-england": "/sufficiency",
    "sufficiency-authority": "/sufficiency?place=Manchester",
    "sufficiency-region": "/sufficiency?place=North+West",
}


def test_england_page_shows_the_split_and_the_regions(page: Any) -> None:
    page.goto("/sufficiency")
    assert page.locator("h1").inner_text() == "Children in care: sufficiency and cost"
    text = page.locator("#cost ~ p").first.inner_text()
    assert "2016-17" in text and "2024-25" in text and "from the change in spend per child" in text
    rows = page.locator("#table-national tbody tr")
    assert rows.count() == 10
    assert rows.first.locator("th").inner_text() == "England"
    assert page.locator("#sufficiency-meta").inner_text().count("Cash terms") == 1
    assert page.locator("svg title#c-lac_childrens_homes_pct-t").count() == 1
    assert not page.js_errors


def test_place_form_finds_an_authority(page: Any) -> None:
    page.goto("/sufficiency")
    page.fill("#place", "Manchester")
    page.click("button:has-text('Show')")
    page.wait_for_url("**/sufficiency?place=Manchester")
    assert "Manchester" in page.locator(".govuk-body-l").inner_text()
    assert page.locator("#table-cost tbody tr").count() >= 2
    page.goto("/sufficiency?place=Atlantis")
    assert page.locator("h1").inner_text() == "Page not found"


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("name", list(SUFFICIENCY_PAGES))
def test_sufficiency_pages_have_no_serious_axe_violations(
    page: Any, axe_scan: Any, artifacts: Path, name: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(SUFFICIENCY_PAGES[name])
    page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
    bad = axe_scan(page, f"axe-{name}-{width}")
    assert bad == [], "\n".join(bad)
