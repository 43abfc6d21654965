"""Every table and chart of the pages as CSV and as an Excel workbook: the workbook's
data sheet holds the CSV's cells (names, codes, the page's years, units, the
publisher's symbols, numbers at full precision) and its metadata sheet the
definitions, sources and as-at dates."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv(api: httpx.Client, url: str) -> list[dict[str, str]]:
    resp = api.get(url)
    assert resp.status_code == 200, url
    return list(csv.DictReader(io.StringIO(resp.text)))


def _sheets(api: httpx.Client, url: str) -> tuple[Worksheet, Worksheet]:
    resp = api.get(url)
    assert resp.status_code == 200, url
    assert resp.headers["content-type"] == XLSX
    assert resp.headers["content-disposition"].endswith('.xlsx"')
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["Data", "Metadata"]
    return wb["Data"], wb["Metadata"]


def _records(ws: Worksheet) -> list[dict[str, object]]:
    rows = list(ws.iter_rows(values_only=True))
    head = [str(h) for h in rows[0]]
    return [dict(zip(head, r, strict=True)) for r in rows[1:]]


def _meta(ws: Worksheet) -> dict[str, str]:
    return {str(r[0]): str(r[1]) for r in ws.iter_rows(values_only=True) if r[0] and r[1]}


def test_series_workbook_names_authority_indicator_unit_years_and_symbols(
    api: httpx.Client,
) -> None:
    """City of London's series of a CIN percentage: the 2012-13 figure is suppressed
    (``c``) and the years read as on the page."""
    url = "/authorities/201/tables/series-assessed_not_in_need_pct"
    data, meta = _sheets(api, url + ".xlsx")
    rows = _records(data)
    first = rows[0]
    assert first["old_la_code"] == "201" and first["la_name"] == "City of London"
    assert first["new_la_code"] == "E09000001"
    assert first["indicator"] == "assessed_not_in_need_pct" and first["unit"] == "percent"
    by_year = {r["year"]: r for r in rows}
    assert by_year[2013]["period_label"] == "2012-13"
    assert by_year[2013]["authority"] is None and by_year[2013]["authority_status"] == "c"
    assert isinstance(by_year[2025]["england"], float)
    # the CSV holds the same cells
    text_rows = _csv(api, url + ".csv")
    assert [r["period_label"] for r in text_rows] == [r["period_label"] for r in rows]
    assert text_rows[0]["authority_status"] == "c" and text_rows[0]["authority"] == ""
    assert float(text_rows[-1]["england"]) == by_year[2025]["england"]
    info = _meta(meta)
    assert info["Page"] == "/authorities/201"
    assert info["Latest year: Children in need"] == "2024-25"
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ 20\d\d", info["Ofsted record runs to"])
    assert "c = confidential" in info["Symbols"]
    defs = {r[0]: r for r in meta.iter_rows(values_only=True) if r[0] == "assessed_not_in_need_pct"}
    row = defs["assessed_not_in_need_pct"]
    assert row[2] and "assess" in str(row[2]).lower()  # the definition
    assert row[9] == "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
    assert str(row[10]).startswith("https://")


def test_summary_keeps_symbols_units_flags_and_full_precision(api: httpx.Client) -> None:
    rows = _csv(api, "/authorities/201/tables/summary.csv?year=2024")
    by_ind = {r["indicator"]: r for r in rows}
    r = by_ind["assessed_not_in_need_pct"]
    assert r["status"] == "c" and r["value"] == "" and r["unit"] == "percent"
    assert r["period_label"] == "2023-24" and r["la_name"] == "City of London"
    data, meta = _sheets(api, "/authorities/201/tables/summary.xlsx?year=2024")
    sheet = {x["indicator"]: x for x in _records(data)}
    assert sheet["assessed_not_in_need_pct"]["status"] == "c"
    # full precision: the CSV's text reads back as the figure, which the workbook holds
    # to 16 significant digits (Excel itself keeps 15)
    eng = sheet["cpp_at31_per_10k"]["england"]
    text = by_ind["cpp_at31_per_10k"]["england"]
    assert isinstance(eng, float) and len(text.replace(".", "")) > 12
    assert abs(float(text) - eng) <= 1e-15 * abs(eng)
    info = _meta(meta)
    assert "England's value of the same year" in info["Flags relative to"]
    relative = {x["flag"]: x["flag_relative_to"] for x in sheet.values()}
    assert str(relative["within"]).startswith("England's value for 2023-24, 99.8% limits")
    assert relative["not_assessed"] is None  # an empty cell: nothing to be relative to
    defined = {r[0] for r in meta.iter_rows(values_only=True)}
    assert set(sheet) <= defined  # every indicator of the table is described


def test_indicator_page_tables_carry_indicator_year_and_unit(api: httpx.Client) -> None:
    q = "?year=2025"
    for table in ("authorities", "funnel", "variation"):
        base = f"/indicators/rereferrals_pct/tables/{table}"
        rows = _csv(api, base + ".csv" + q)
        assert {r["indicator"] for r in rows} == {"rereferrals_pct"}
        assert {r["period_label"] for r in rows} == {"2024-25"}
        assert {r["unit"] for r in rows} == {"percent"}
        data, _ = _sheets(api, base + ".xlsx" + q)
        assert len(_records(data)) == len(rows)


def test_every_download_link_on_a_page_has_both_formats(api: httpx.Client) -> None:
    """Each table and chart on a profile, an indicator page and a comparison offers CSV
    and Excel, and each Excel address answers with a workbook."""
    pages = (
        "/authorities/352",
        "/indicators/cpp_at31_per_10k?authority=352",
        "/compare?authorities=Leeds,Hull,York&indicator=cpp_at31_per_10k",
    )
    for page in pages:
        html = api.get(page).text
        csvs = set(re.findall(r'href="([^"]+\.csv[^"]*)"', html))
        xlsxs = set(re.findall(r'href="([^"]+\.xlsx[^"]*)"', html))
        assert csvs and {h.replace(".csv", ".xlsx", 1) for h in csvs} == xlsxs, page
        assert "the chart&#39;s data" in html or "the chart's data" in html, page
    for href in sorted(xlsxs):
        _sheets(api, href.replace("&amp;", "&"))


@pytest.mark.parametrize(
    "url",
    ["/authorities.xlsx", "/indicators.xlsx", "/tables/headlines.xlsx", "/tables/ofsted.xlsx"],
)
def test_whole_site_tables_as_workbooks(api: httpx.Client, url: str) -> None:
    data, meta = _sheets(api, url)
    assert data.max_row > 1
    assert _meta(meta)["Title"]


def test_an_unknown_download_format_is_refused(api: httpx.Client) -> None:
    resp = api.get("/authorities/352/tables/summary.json")
    assert resp.status_code == 400
    assert "downloads are .csv or .xlsx, not .json" in resp.text
