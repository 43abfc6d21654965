"""The printable profile: a link that works without JavaScript, every column of the
summary on paper, at most 8 A4 pages for a big authority, a small one and the City of
London, and no blank first page. The PDFs and a PNG of each page go to
``test-artifacts/`` to be looked at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

Page = Any  # playwright.sync_api.Page

#: Birmingham (big, many Ofsted visits), Rutland (small), City of London (smallest).
AUTHORITIES = {"330": "Birmingham", "857": "Rutland", "201": "City of London"}

COLUMNS = [
    "Indicator",
    "Year",
    "Neighbours (mean)",
    "England",
    "Rank",
    "Quartile",
    "Against England",
    "Change on last year",
    "Among neighbours",
]


def _pages(pdf: bytes, stem: Path) -> list[str]:
    """Each page's text; each page is also saved as ``{stem}-{n}.png`` to be looked at."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    texts = []
    try:
        for n in range(len(doc)):
            page = doc[n]
            texts.append(page.get_textpage().get_text_range())
            page.render(scale=0.8).to_pil().save(f"{stem}-{n + 1}.png")
    finally:
        doc.close()
    return texts


def test_print_link_works_without_javascript(browser: Any, base_url: str) -> None:
    ctx = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = ctx.new_page()
    page.set_default_timeout(180_000)
    page.goto("/authorities/352")
    link = page.get_by_role("button", name="Print this profile")
    assert link.is_visible()
    link.click()
    page.wait_for_url("**/authorities/352/print")
    assert page.locator("h1").inner_text() == "Manchester: profile"
    assert page.locator("table.app-print-table tbody tr").count() >= 40
    ctx.close()


@pytest.mark.parametrize("la", sorted(AUTHORITIES))
def test_printed_profile_fits_eight_a4_pages(page: Page, artifacts: Path, la: str) -> None:
    name = AUTHORITIES[la]
    page.goto(f"/authorities/{la}/print")
    page.emulate_media(media="print")
    heads = page.locator("table.app-print-table").first.locator("thead th").all_inner_texts()
    for col in COLUMNS:
        assert col in heads
    assert name in heads
    pdf = page.pdf(format="A4", print_background=True)
    (artifacts / f"print-{la}.pdf").write_bytes(pdf)
    texts = _pages(pdf, artifacts / f"print-{la}")
    assert 1 <= len(texts) <= 8, f"{name}: {len(texts)} pages"
    # the first page carries the profile, not a heading and white space
    assert f"{name}: profile" in texts[0]
    assert texts[0].count("\n") > 30, texts[0][:200]
    # every page has text (no blank page anywhere)
    assert all(len(t.strip()) > 100 for t in texts)
    # every row of the summary reached the paper
    rows = page.locator("table.app-print-table tbody tr").count()
    assert rows >= 40
    everything = "\n".join(texts)
    assert "Ofsted" in everything and "Statistical neighbours" in everything


@pytest.mark.parametrize("width", [1280, 375])
def test_printable_profile_has_no_axe_violations(
    page: Any, axe_scan: Any, artifacts: Path, width: int
) -> None:
    """axe-core finds no violation of any impact on the print page, on screen at 1280
    and 375 px, and the page itself never scrolls sideways (a wide table scrolls in its
    own keyboard-reachable region)."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/authorities/201/print")
    assert axe_scan(page, f"axe-print-{width}", impacts=None) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(artifacts / f"print-screen-{width}.png"), full_page=False)
