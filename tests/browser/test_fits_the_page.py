"""What must fit without scrolling: the Ofsted history at desktop width, and every chart's
axis labels at phone width (Manchester: money in hundreds of millions, England's in
billions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_AXIS_LABELS_OFF_SCREEN = """() => [...document.querySelectorAll('.app-chart__axis text')]
    .filter(t => t.getClientRects().length)
    .filter(t => { const r = t.getBoundingClientRect();
                   return r.left < 0 || r.right > document.documentElement.clientWidth; })
    .map(t => t.textContent)"""


def test_ofsted_history_fits_at_1280_and_axis_labels_stay_on_a_phone(
    page: Any, artifacts: Path
) -> None:
    page.goto("/authorities/352")
    table = page.locator("#table-ofsted")
    region = table.locator("xpath=..")
    assert "app-table-scroll" in (region.get_attribute("class") or "")
    widths = region.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1], f"the Ofsted table scrolls at 1280 px: {widths}"
    table.screenshot(path=str(artifacts / "ofsted-table-1280.png"))
    labels = page.locator(".app-chart__axis text").all_text_contents()
    assert "£20bn" in labels and not any(",000,000" in t for t in labels)
    assert page.evaluate(_AXIS_LABELS_OFF_SCREEN) == []

    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate(_AXIS_LABELS_OFF_SCREEN) == []
    chart = page.locator("#ind-spend_cyp_gross")  # its block (the table is fetched when opened)
    chart.screenshot(path=str(artifacts / "chart-spend-375.png"))
    assert page.js_errors == []
