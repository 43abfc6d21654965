"""What must fit without scrolling: the Ofsted history at desktop width, and every chart's
axis labels at phone width (Manchester: money in hundreds of millions, England's in
billions); and what must not break over two lines: a figure, a name or a heading
mid-word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_AXIS_LABELS_OFF_SCREEN = """() => [...document.querySelectorAll('.app-chart__axis text')]
    .filter(t => t.getClientRects().length)
    .filter(t => { const r = t.getBoundingClientRect();
                   return r.left < 0 || r.right > document.documentElement.clientWidth; })
    .map(t => t.textContent)"""


#: The words of ``root``'s visible text that break over two lines other than at a space,
#: a hyphen (soft or hard), a dash or a slash: a figure split as "£57,272,3" / "93", or
#: a sign left at a line's end ("+" / "£21,704,561"), reads as another number.
_BROKEN_WORDS = r"""(root) => {
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent;
    if (!t.trim() || !n.parentElement.offsetParent) continue;
    let clipped = false;  // a visually hidden heading (one character a line)
    for (let e = n.parentElement; e; e = e.parentElement) {
      if (getComputedStyle(e).clip !== 'auto') { clipped = true; break; }
    }
    if (clipped) continue;
    let top = null;
    for (let i = 0; i < t.length; i++) {
      const r = document.createRange();
      r.setStart(n, i);
      r.setEnd(n, i + 1);
      const rects = r.getClientRects();
      if (!rects.length) continue;
      if (top !== null && rects[0].top > top + 2
          && !/[\s\u00ad\-\u2013\/]/.test(t[i - 1]) && !/\s/.test(t[i])) {
        broken.push(t.trim());
      }
      top = rects[0].top;
    }
  }
  return [...new Set(broken)];
}"""


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


def test_no_figure_or_name_breaks_mid_word(page: Any, artifacts: Path) -> None:
    """At the widths either side of each layout change of the profile's summary (the
    spine's table from 1021 px, its cards below), on a phone and on paper, no figure,
    authority name or heading breaks over two lines mid-word, with every block open.
    Before: at 1280 px "£57,272,3" / "93", "Buckinghamshire" split, and "+" /
    "£21,704,561" in the every-column table. And the care page's sentence on a phone."""
    page.goto("/authorities/383")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    for width in (1280, 1021, 1020, 800, 375, 320):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(_BROKEN_WORDS, "main") == [], width
    assert "£8.96bn" in page.locator("#spine").inner_text()  # England's LAC spend, short
    page.set_viewport_size({"width": 1021, "height": 900})
    page.locator("#spine tr[data-indicator=spend_lac_gross]").screenshot(
        path=str(artifacts / "spine-1021-spend.png")
    )
    page.emulate_media(media="print")
    for path in ("/authorities/383", "/authorities/383/print"):
        page.goto(path)
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        assert page.evaluate(_BROKEN_WORDS, "main") == [], path
    page.emulate_media(media="screen")
    page.goto("/sufficiency?place=London")  # "−£63.3m" in its sentence split at 375 px
    for width in (375, 320):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(_BROKEN_WORDS, "main") == [], width
    assert page.js_errors == []
