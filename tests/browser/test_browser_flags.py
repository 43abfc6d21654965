"""Outlier flags in the browser: words with colour by polarity, never red for better;
accessible at desktop and phone widths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

Page = Any  # playwright.sync_api.Page, imported lazily so collection needs no browser

#: Indicator pages that show flags: a lower-is-better outlier (Isle of Wight re-referrals),
#: a higher-is-better indicator (KS2 of children in need) and a small cohort (KS2 of
#: children on a plan). The profiles with flags (Isle of Wight's in 2024-25, North
#: Northamptonshire's joint return) are scanned by test_browser_dashboard.py, for
#: violations of any impact with every block open, at both widths: a stricter scan of
#: the same pages than this file's (it scanned them too, with their blocks closed, at
#: 6.5-8.9 s a scan in the suite).
FLAG_PAGES = {
    "indicator-flags": "/indicators/rereferrals_pct?authority=921&year=2025",
    "indicator-high-good": "/indicators/ks2_rwm_cin_pct?year=2025",
    "indicator-small-cohorts": "/indicators/ks2_rwm_cpp_pct?year=2025",
}


def test_profile_says_higher_than_expected_in_words_and_red_only_for_worse(
    page: Page, artifacts: Path
) -> None:
    page.goto("/authorities/921?year=2025")
    block = page.locator("#ind-rereferrals_pct")
    tag = block.locator(".app-flag")
    assert tag.inner_text() == "Higher than expected"
    assert "govuk-tag--red" in (tag.get_attribute("class") or "")
    assert "(worse)" in block.inner_text()
    assert "Against England's 22.6% in 2024-25" in block.inner_text()
    block.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "flags-profile-block.png"))
    # every red tag on the page says worse; every blue one better (the summary's
    # every-column table too, which sits in a details under the spine charts)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    for t in page.locator(".govuk-tag--red.app-flag").all():
        assert "(worse)" in t.locator("xpath=..").inner_text()
    for t in page.locator(".govuk-tag--blue.app-flag").all():
        assert "(better)" in t.locator("xpath=..").inner_text()
    assert page.js_errors == []


def test_higher_is_better_outliers_are_blue_on_the_funnel(page: Page, artifacts: Path) -> None:
    page.goto("/indicators/ks2_rwm_cin_pct?year=2025")
    funnel = page.locator("svg[aria-labelledby^='funnel']")
    higher = funnel.locator("polygon.app-chart__point")
    assert higher.count() >= 1
    for i in range(higher.count()):
        cls = higher.nth(i).get_attribute("class") or ""
        assert "app-chart__point--better" in cls and "worse" not in cls
    colour = higher.first.evaluate("el => getComputedStyle(el).fill")
    assert colour != "rgb(212, 53, 28)"  # GOV.UK red
    assert (
        "Higher is better for this indicator"
        in page.locator("#funnel-plot ~ p").nth(1).inner_text()
    )
    page.locator("#funnel-plot").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "flags-funnel-high-good.png"))


def test_joint_return_and_small_cohort_are_qualified(page: Page) -> None:
    page.goto("/indicators/caseload?year=2025")
    row = page.locator("#table-authorities tbody tr").filter(
        has=page.locator("th", has_text="North Northamptonshire")
    )
    assert "Joint return with West Northamptonshire" in row.inner_text()
    page.goto("/indicators/ks2_rwm_cpp_pct?year=2025")
    row = page.locator("#table-authorities tbody tr").filter(
        has=page.locator("th", has_text="Tower Hamlets")
    )
    assert "Small denominator (11)" in row.inner_text()


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("name", list(FLAG_PAGES))
def test_flag_pages_have_no_serious_axe_violations(
    page: Page, axe_scan: Any, name: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(FLAG_PAGES[name])
    bad = axe_scan(page, f"axe-{name}-{width}")
    assert bad == [], "\n".join(bad)
