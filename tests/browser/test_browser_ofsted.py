"""Ofsted in the browser: the record's date beside every judgement in force, the stale
authorities listed, an inspection known only from the ILACS overview."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

RECORD = date(2026, 6, 18)
_LONG_DATE = re.compile(
    r"\b(\d{1,2}) (January|February|March|April|May|June|July|August|September|October|"
    r"November|December) (\d{4})\b"
)


def _latest_date(text: str) -> date:
    return max(datetime.strptime(" ".join(m), "%d %B %Y").date() for m in _LONG_DATE.findall(text))


def test_overview_states_the_record_date_and_lists_stale_authorities(
    page: Any, artifacts: Path
) -> None:
    page.goto("/")
    heading = page.locator("h2#ofsted")
    assert heading.inner_text() == "Ofsted judgements in force on 18 June 2026"
    stale_heading = page.locator("h3#ofsted-stale").inner_text()
    n = int(re.search(r"Stale judgements: (\d+) of 153", stale_heading).group(1))  # type: ignore[union-attr]
    rows = page.locator("#table-ofsted-stale tbody tr")
    assert rows.count() == n == 22
    assert rows.first.locator("a").get_attribute("href").startswith("/authorities/")
    section = page.locator("main").inner_text()
    ofsted_text = section[section.index("Ofsted judgements in force") : section.index("Map:")]
    assert _latest_date(ofsted_text) == RECORD
    heading.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "overview-ofsted.png"), full_page=True)
    assert page.js_errors == []


def test_profile_with_an_inspection_from_the_overview(
    page: Any, axe_scan: Any, artifacts: Path
) -> None:
    """Brent: its June 2026 inspection is known only from the ILACS overview, which gives
    no overall grade; the page says so and links the report to obtain."""
    page.goto("/authorities/304")
    ofsted = page.locator("#ofsted")
    text = ofsted.inner_text()
    assert "in force on 18 June 2026, the date the Ofsted record runs to" in text
    assert "has no overall grade in the ILACS overview" in text and "not in the archive" in text
    first = ofsted.locator("tbody tr").first
    assert "not given" in first.inner_text()
    link = first.locator("a")
    assert link.get_attribute("href").startswith("https://files.ofsted.gov.uk/")
    assert _latest_date(text) <= RECORD
    ofsted.screenshot(path=str(artifacts / "profile-ofsted-overview.png"))
    # the section this inspection changes (test_browser_dashboard.py scans whole profiles)
    assert axe_scan(page, "axe-profile-overview-inspection", within="#ofsted") == []
