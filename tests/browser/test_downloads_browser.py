"""Downloads in a real browser: a chart's data and a table, as CSV and as an Excel
workbook, from the links under them (no JavaScript needed)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

Page = Any  # playwright.sync_api.Page


def _download(page: Page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.locator(selector).first.click()
    return Path(info.value.path()).read_bytes()


def test_chart_data_and_table_download_as_csv_and_excel(
    browser: Any, base_url: str, artifacts: Path
) -> None:
    ctx = browser.new_context(base_url=base_url, java_script_enabled=False, accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(180_000)
    page.goto("/authorities/352")
    block = page.locator("#ind-cpp_at31_per_10k")
    links = block.locator("p.app-downloads").first
    text = links.inner_text()  # the links' hidden words name the chart for screen readers
    assert text.startswith("Download the chart's data: CSV") and "or Excel workbook" in text
    links.screenshot(path=str(artifacts / "download-links.png"))
    sel = "#ind-cpp_at31_per_10k p.app-downloads a[href*='series-cpp_at31_per_10k.xlsx']"
    wb = load_workbook(io.BytesIO(_download(page, sel)))
    data = list(wb["Data"].iter_rows(values_only=True))
    assert data[0][:5] == ("old_la_code", "new_la_code", "la_name", "indicator", "unit")
    assert data[1][:3] == ("352", "E08000003", "Manchester")
    assert {r[6] for r in data[1:]} >= {"31 March 2013", "31 March 2025"}
    meta = {r[0]: r[1] for r in wb["Metadata"].iter_rows(values_only=True) if r[0]}
    assert meta["Title"].startswith("Child protection plans at 31 March per 10,000")
    sel = "#ind-cpp_at31_per_10k p.app-downloads a[href*='series-cpp_at31_per_10k.csv']"
    rows = list(csv.reader(io.StringIO(_download(page, sel).decode("utf-8"))))
    assert rows[0] == list(data[0])
    assert [r[6] for r in rows[1:]] == [r[6] for r in data[1:]]
    # the CSV as many digits as it takes, the workbook 16 significant (Excel keeps 15)
    pairs = zip(rows[1:], data[1:], strict=True)
    assert all(abs(float(r[7]) - d[7]) <= 1e-15 * abs(d[7]) for r, d in pairs)
    ctx.close()
