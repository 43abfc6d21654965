"""The dashboard in a real browser: choose an authority, charts, map, keyboard, print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

Page = Any  # playwright.sync_api.Page, imported lazily so collection needs no browser


def _shot(page: Page, artifacts: Path, name: str, full: bool = False) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=full)


def test_choose_an_authority_opens_its_profile_with_charts(page: Page, artifacts: Path) -> None:
    page.goto("/authorities")
    page.get_by_label("Authority name, LA number or GSS code").fill("Manchester")
    page.get_by_role("button", name="Show profile").click()
    page.wait_for_url("**/authorities/352")
    assert page.locator("h1").inner_text() == "Manchester"
    charts = page.locator("#indicators svg.app-chart[role=img]")
    assert charts.count() >= 20
    # the series chart of child protection plans has the four lines
    block = page.locator("#ind-cpp_at31_per_10k")
    for key in ("la", "sn", "region", "england"):
        assert block.locator(f"path.app-chart__line--{key}").count() >= 1
    assert "Against England" in block.inner_text()
    assert "within expected range" in block.inner_text().lower()
    summary = page.locator("#table-summary")
    assert summary.locator("tbody tr").count() >= 40
    ofsted = page.locator("#ofsted")
    assert ofsted.locator("tbody tr").count() >= 2
    assert "Latest overall effectiveness judgement" in ofsted.inner_text()
    ofsted.screenshot(path=str(artifacts / "profile-ofsted.png"))
    _shot(page, artifacts, "profile-top")
    block.scroll_into_view_if_needed()
    block.screenshot(path=str(artifacts / "profile-chart.png"))
    assert page.js_errors == []


def test_unknown_authority_shows_an_error_summary(page: Page, artifacts: Path) -> None:
    page.goto("/authorities")
    page.get_by_label("Authority name, LA number or GSS code").fill("Manchestr")
    page.keyboard.press("Enter")
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Manchester" in summary.inner_text()  # a suggestion
    assert page.title().startswith("Error:")
    _shot(page, artifacts, "authorities-error")


def test_indicator_page_has_ranking_funnel_map_and_definition(page: Page, artifacts: Path) -> None:
    page.goto("/indicators/cpp_at31_per_10k?authority=352")
    assert page.locator("h1").inner_text() == "Child protection plans at 31 March per 10,000"
    assert page.locator("#ranking ~ .app-chart-frame rect.app-chart__bar").count() >= 140
    assert page.locator("rect.app-chart__bar--highlight").count() == 1
    funnel = page.locator("svg[aria-labelledby^='funnel']")
    assert funnel.locator("path.app-chart__limit").count() == 4
    assert funnel.locator(".app-chart__point").count() >= 140
    assert page.locator("svg.app-map path[data-la]").count() == 153
    assert "What is counted" in page.locator("#definition + dl").inner_text()
    _shot(page, artifacts, "indicator", full=True)
    page.select_option("#year", "2019")
    page.get_by_role("button", name="Show year").click()
    page.wait_for_url("**year=2019**")
    assert "31 March 2019" in page.locator(".govuk-caption-xl").inner_text()
    assert page.js_errors == []


def test_overview_map_changes_indicator_and_opens_an_authority(page: Page, artifacts: Path) -> None:
    page.goto("/")
    paths = page.locator("svg.app-map path[data-la]")
    assert paths.count() == 153
    filled = page.locator("svg.app-map path[data-la][fill]")
    assert filled.count() >= 140
    assert page.locator(".app-headline").count() >= 6
    _shot(page, artifacts, "overview", full=True)
    page.select_option("#indicator", "agency_rate_pct")
    page.get_by_role("button", name="Show map").click()
    page.wait_for_url("**indicator=agency_rate_pct**")
    assert "agency" in page.locator("#map-heading").inner_text().lower()
    # the map is an enhancement for pointer users: a click opens the authority
    page.locator("svg.app-map path[data-la='352']").click(force=True)
    page.wait_for_url("**/authorities/352")
    assert page.js_errors == []


def test_keyboard_only_journey(page: Page, artifacts: Path) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.evaluate("document.activeElement.textContent.trim()")
    assert skip == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main-content"
    page.goto("/")
    # tab to the Authorities link in the service navigation and follow it
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Authorities":
            break
    else:
        pytest.fail("the Authorities link is not reachable by Tab")
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return s.backgroundColor + ' ' + s.boxShadow })()"
    )
    assert "rgb(255, 221, 0)" in outline  # GOV.UK focus yellow
    page.keyboard.press("Enter")
    page.wait_for_url("**/authorities")
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "authority":
            break
    else:
        pytest.fail("the authority field is not reachable by Tab")
    page.keyboard.type("Leeds")
    page.keyboard.press("Enter")
    page.wait_for_url("**/authorities/383")
    _shot(page, artifacts, "keyboard-profile")
    # a chart's data table opens from the keyboard, and is fetched when opened
    page.locator("#ind-cpp_at31_per_10k summary").first.focus()
    page.keyboard.press("Enter")
    assert page.locator("#ind-cpp_at31_per_10k details").first.get_attribute("open") is not None
    rows = page.locator("#ind-cpp_at31_per_10k details #table-series-cpp_at31_per_10k tbody tr")
    rows.first.wait_for()
    assert rows.count() >= 5


def test_pages_work_with_javascript_off(browser: Any, base_url: str, artifacts: Path) -> None:
    ctx = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = ctx.new_page()
    page.goto("/authorities/352")
    assert page.locator("svg.app-chart").count() >= 20
    page.goto("/")
    assert page.locator("svg.app-map path[data-la]").count() == 153
    _shot(page, artifacts, "overview-nojs")
    ctx.close()


def test_profile_print_layout(page: Page, artifacts: Path) -> None:
    page.goto("/authorities/352")
    page.emulate_media(media="print")
    assert not page.locator(".govuk-service-navigation__wrapper").is_visible()
    assert not page.locator("footer").is_visible()
    # on paper: the charts and the summary table, not the per-chart "show the data"
    assert page.locator("#ind-cpp_at31_per_10k svg.app-chart").first.is_visible()
    assert not page.locator("#ind-cpp_at31_per_10k details").first.is_visible()
    assert page.locator("#table-summary").is_visible()
    _shot(page, artifacts, "profile-print")
    pdf = page.pdf(format="A4")
    assert len(pdf) > 10_000
    (artifacts / "profile.pdf").write_bytes(pdf)


def test_csv_download(page: Page) -> None:
    page.goto("/indicators/cpp_at31_per_10k")
    with page.expect_download() as info:
        page.locator("a[href*='/tables/variation.csv']").click()
    path = info.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert text.splitlines()[0] == "indicator,year,period_label,unit,measure,value"
