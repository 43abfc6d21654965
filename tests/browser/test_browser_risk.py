"""The early-warning score in a real browser, with JavaScript off: ``/risk`` and the
profile section."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

Page = Any  # playwright.sync_api.Page, imported lazily so collection needs no browser


@pytest.fixture(scope="module", autouse=True)
def _fitted(base_url: str) -> None:
    """Fit the rankings these pages show before any page waits for one: a first fit runs
    the model-selection folds (seconds, more on a busy machine), longer than a page's
    navigation timeout should be."""
    for params in ({}, {"outcome": "inadequate", "judgement": "help_protection"}):
        resp = httpx.get(f"{base_url}/api/risk", params=params, timeout=600)
        assert resp.status_code == 200, resp.text


@pytest.fixture()
def nojs(browser: Any, base_url: str) -> Iterator[Page]:
    ctx = browser.new_context(
        base_url=base_url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    yield ctx.new_page()
    ctx.close()


def test_risk_page_ranks_every_authority_with_its_meta(nojs: Page, artifacts: Path) -> None:
    nojs.goto("/")
    nojs.get_by_role("link", name="Early warning").click()
    assert nojs.url.endswith("/risk")
    assert nojs.get_by_role("heading", level=1).inner_text() == "Early-warning scores"
    assert "previous Ofsted judgement" in nojs.locator(".govuk-warning-text").first.inner_text()
    meta = nojs.locator("#risk-meta").inner_text()
    for words in (
        "Model",
        "Backtest",
        "Relative to",
        "Data used",
        "published up to",
    ):
        assert words in meta
    rows = nojs.locator("#table-risk tbody tr")
    assert rows.count() >= 148
    assert rows.first.locator("td").first.inner_text() == "1"
    assert nojs.locator("#table-risk th[scope=col]").count() == 7  # ... and "Stale"
    # small authorities are listed apart, not ranked
    excluded = nojs.locator("#risk-excluded").inner_text()
    assert "Isles of Scilly" in excluded and "City of London" in excluded
    assert "Isles of Scilly" not in nojs.locator("#table-risk").inner_text()
    assert nojs.locator("#method").is_visible()
    assert nojs.locator("#table-backtest tbody tr").count() == 3
    href = nojs.locator("a[href^='/risk/tables/risk.csv']").get_attribute("href")
    nojs.screenshot(path=str(artifacts / "risk.png"))
    csv = nojs.request.get(href)
    header = csv.text().splitlines()[0]
    assert csv.ok and header.startswith("rank,la_code,name,probability")
    assert "model" in header.split(",") and "ofsted_record_to" in header.split(",")
    # the form is a plain GET form
    nojs.select_option("#judgement", "help_protection")
    nojs.select_option("#outcome", "inadequate")
    nojs.get_by_role("button", name="Show scores").click()
    assert "judgement=help_protection" in nojs.url and "outcome=inadequate" in nojs.url
    caption = nojs.locator("#table-risk caption").inner_text()
    assert "help and protection Inadequate" in caption


def test_profile_section_shows_score_drivers_and_caveat(nojs: Page, artifacts: Path) -> None:
    nojs.goto("/authorities/352")
    section = nojs.locator("#risk")
    assert section.is_visible()
    text = section.inner_text()
    assert "chance that its next graded inspection" in text
    assert "highest of" in text
    assert section.locator("ol li").count() == 3
    assert "_" not in section.locator("ol").inner_text()
    assert "previous Ofsted judgement" in text
    assert "Ranked against the other" in text
    assert section.locator("a[href='/risk#method']").count() == 1
    nojs.get_by_role("link", name="Early-warning score", exact=True).click()
    section.screenshot(path=str(artifacts / "profile-risk.png"))
