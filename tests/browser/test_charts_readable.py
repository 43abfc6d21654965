"""Issue 12 items 2 and 4 in a real browser: the spine-chart summary at 1280 and 375 px,
chart text measured as rendered, a legend per chart, line and point contrast from the
computed styles, counts off England's axis, and the map at 320 and 375 px with its key
and London inset. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cscwatch.serve.web.spine import SPINE_COLOURS

Page = Any  # playwright.sync_api.Page, imported lazily so collection needs no browser

#: The smallest rendered size (px) of every visible text in ``root``: for SVG text its
#: font size times the drawing's scale on screen (a scaled drawing's 14 px can be 7 px).
_MIN_TEXT_PX = """(root) => {
  const sizes = [];
  for (const el of document.querySelectorAll(root)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const p = n.parentElement;
      if (!n.textContent.trim() || !p || p.closest('title, desc')) continue;
      if (p.getClientRects().length === 0) continue;  // not rendered (display: none)
      if (p.closest('.govuk-visually-hidden, thead[style], [aria-hidden="true"] title')) continue;
      let px = parseFloat(getComputedStyle(p).fontSize);
      if (p instanceof SVGElement && p.getScreenCTM) {
        const m = p.getScreenCTM();
        px *= Math.hypot(m.a, m.b);
      }
      sizes.push([px, n.textContent.trim().slice(0, 30)]);
    }
  }
  sizes.sort((a, b) => a[0] - b[0]);
  return sizes.slice(0, 3);
}"""


def _rgb(css: str) -> str:
    nums = [int(float(x)) for x in re.findall(r"[\d.]+", css)[:3]]
    return "#" + "".join(f"{n:02x}" for n in nums)


def _contrast(a: str, b: str) -> float:
    def lum(h: str) -> float:
        cs = [int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in cs]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _no_overflow(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 375])
def test_spine_chart_summary_fits_and_reads(page: Page, artifacts: Path, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/authorities/383")
    spine = page.locator("#spine")
    rows = spine.locator("tbody tr.app-spine__row")
    assert rows.count() >= 40
    _no_overflow(page, width)
    # every row inside the page, the bar at least 120 px wide, no text under 12 px
    boxes = rows.evaluate_all("rs => rs.map(r => r.getBoundingClientRect().right)")
    assert max(boxes) <= width
    bars = spine.locator("svg.app-spine__svg[role=img]")
    widths = bars.evaluate_all("bs => bs.map(b => b.getBoundingClientRect().width)")
    assert len(widths) >= 40 and min(widths) >= 120
    smallest = page.evaluate(_MIN_TEXT_PX, "#summary")
    assert smallest[0][0] >= 12, smallest
    # each mark in its flag's colour, the flag's words in the same row
    checked = 0
    for meaning, words in (
        ("worse", "(worse)"),
        ("better", "(better)"),
        ("no_direction", "(no better direction)"),
        ("none", ""),
    ):
        marked = spine.locator(f"tr.app-spine__row--{meaning}")
        for i in range(min(marked.count(), 3)):
            row = marked.nth(i)
            mark = row.locator(".app-spine__mark")
            if mark.count() == 0:
                continue
            fill = _rgb(mark.evaluate("m => getComputedStyle(m).fill"))
            assert fill == SPINE_COLOURS[meaning]
            flag = row.locator(".app-spine__flag").inner_text().lower()
            assert words in flag
            assert any(w in flag for w in ("higher", "lower", "within", "not assessed"))
            checked += 1
    assert checked >= 4
    # better on the right for a "lower is better" indicator: the left end is the highest
    rr = spine.locator("tr[data-indicator=rereferrals_pct]")
    assert "Lower is better" in rr.inner_text()
    assert "Worst (highest)" in rr.locator(".app-spine__end--left").inner_text()
    assert "Best (lowest)" in rr.locator(".app-spine__end--right").inner_text()
    label = rr.locator("svg.app-spine__svg").get_attribute("aria-label") or ""
    assert "Leeds" in label and "England" in label and "better is on the right" in label
    spine.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"spine-{width}.png"))
    page.locator("#summary").screenshot(path=str(artifacts / f"spine-{width}-full.png"))
    # every column of the old table is still there, one click away
    details = page.locator("#summary details.app-summary-all")
    details.locator("summary").click()
    heads = details.locator("#table-summary thead th").all_inner_texts()
    for h in ("Rank (1 = highest)", "Quartile", "Against England", "Change on last year"):
        assert h in heads
    assert page.js_errors == []


@pytest.mark.parametrize("width", [1280, 375, 320])
def test_chart_text_is_at_least_12px(page: Page, artifacts: Path, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/authorities/383")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    smallest = page.evaluate(_MIN_TEXT_PX, "#indicators .app-chart-frame")
    assert smallest[0][0] >= 12, smallest
    _no_overflow(page, width)
    page.locator("#ind-cpp_at31_per_10k").screenshot(
        path=str(artifacts / f"chart-line-{width}.png")
    )
    page.goto("/indicators/cpp_at31_per_10k?authority=383")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    smallest = page.evaluate(_MIN_TEXT_PX, ".app-chart-frame, svg.app-map")
    assert smallest[0][0] >= 12, smallest
    _no_overflow(page, width)
    page.locator("#ranking ~ .app-chart-frame").first.screenshot(
        path=str(artifacts / f"chart-bar-{width}.png")
    )
    page.locator(".app-chart-frame", has=page.locator("#funnel-t")).screenshot(
        path=str(artifacts / f"chart-funnel-{width}.png")
    )


def test_every_chart_has_a_legend_and_lines_and_points_pass_3_to_1(page: Page) -> None:
    page.goto("/authorities/383")
    # a neighbours' block is fetched when opened (static/js/app.js): open one with a click,
    # so its bar chart is among the charts checked, as when the page carried them all
    block = page.locator("details.app-neighbours").first
    block.locator("summary").click()
    block.locator("svg.app-chart--compare").wait_for()
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    frames = page.locator("#indicators .app-chart-frame")
    assert frames.count() >= 40
    legends = frames.evaluate_all(
        """fs => fs.map(f => [
            new Set([...f.querySelectorAll('.app-chart__line, .app-chart__dot, .app-chart__hbar')]
              .map(e => e.getAttribute('class').split(' ').pop())).size,
            f.querySelectorAll('.app-chart-legend li').length])"""
    )
    for drawn, keys in legends:
        assert keys >= 1 and drawn >= 1
    background = _rgb(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    assert background == "#ffffff"
    colours = page.evaluate(
        """() => {
          const out = new Set();
          for (const e of document.querySelectorAll('.app-chart__line, .app-chart__dot'))
            out.add(getComputedStyle(e).stroke);
          for (const e of document.querySelectorAll('.app-chart__hbar, .app-chart__bar'))
            out.add(getComputedStyle(e).fill);
          return [...out];
        }"""
    )
    assert len(colours) >= 5
    for c in colours:
        assert _contrast(_rgb(c), background) >= 3.0, c
    page.goto("/indicators/cpp_at31_per_10k?authority=383")
    assert page.locator("#ranking ~ .app-chart-frame .app-chart-legend li").count() == 3
    points = page.evaluate(
        """() => [...new Set([...document.querySelectorAll(
            '.app-chart__point, .app-chart__bar, .app-chart__limit')].map(e => {
              const s = getComputedStyle(e);
              return e.classList.contains('app-chart__limit') ? s.stroke : s.fill;
            }))]"""
    )
    for c in points:
        assert _contrast(_rgb(c), background) >= 3.0, c


def test_count_charts_keep_englands_total_off_the_authoritys_axis(
    page: Page, artifacts: Path
) -> None:
    page.goto("/authorities/383")
    block = page.locator("#ind-uasc_at31")
    charts = block.locator("svg.app-chart--fluid:not(.app-chart--compare)")
    assert charts.count() == 2
    main, totals = charts.nth(0), charts.nth(1)
    assert main.locator("path.app-chart__line--la").count() == 1
    assert main.locator("path.app-chart__line--england").count() == 0
    assert main.locator("path.app-chart__line--region").count() == 0
    assert main.locator("text.app-chart__unit").text_content() == "Count"
    assert totals.locator("path.app-chart__line--england").count() == 1
    assert totals.locator("path.app-chart__line--la").count() == 0
    assert "on its own axis" in block.inner_text()
    # a rate is plotted against all its comparators on one axis
    rate = page.locator("#ind-cpp_at31_per_10k svg.app-chart--fluid:not(.app-chart--compare)")
    assert rate.count() == 1
    for key in ("la", "sn", "region", "england"):
        assert rate.locator(f"path.app-chart__line--{key}").count() >= 1
    assert rate.locator("text.app-chart__unit").text_content() == "Per 10,000 children"
    block.screenshot(path=str(artifacts / "chart-count-own-axis.png"))
    # the ranked chart of a count draws no England line (its total is off the scale)
    page.goto("/indicators/uasc_at31")
    assert page.locator("#ranking ~ .app-chart-frame .app-chart__centre").count() == 0
    page.goto("/indicators/cpp_at31_per_10k")
    assert page.locator("#ranking ~ .app-chart-frame .app-chart__centre").count() == 1


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_map_key_ranges_london_inset_and_no_overflow(
    page: Page, artifacts: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    for url in ("/indicators/cpp_at31_per_10k?authority=383", "/?indicator=cpp_at31_per_10k"):
        page.goto(url)
        _no_overflow(page, width)
        svg = page.locator("svg.app-map")
        box = svg.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width
        key = page.locator(".app-map-key li")
        assert key.count() == 5
        texts = key.all_inner_texts()
        for t in texts[:4]:
            assert re.search(r"^\d[\d,.]* to \d[\d,.]* ", t), t
        assert texts[-1].startswith("No figure")
        assert "per 10,000 children" in page.locator(".app-map-key__title").first.inner_text()
        assert svg.locator("[data-inset-la]").count() == 33
        assert svg.locator("path[data-la]").count() == 153
        label = svg.locator(".app-map__inset-label")
        assert label.text_content() == "London, enlarged"
        px = label.evaluate("t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a")
        assert px >= 12
        if url.startswith("/indicators/"):  # the checks above only read the page
            page.locator(".app-map-figure").screenshot(path=str(artifacts / f"map-{width}.png"))
    assert page.js_errors == []


def test_a_click_in_the_london_inset_opens_the_borough(page: Page) -> None:
    page.goto("/indicators/cpp_at31_per_10k")
    page.locator("svg.app-map [data-inset-la='202']").click(force=True)
    page.wait_for_url("**/authorities/202")
