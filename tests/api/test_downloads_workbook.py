"""The download builder on its own: CSV text and workbook cells from one record."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from cscwatch.indicators.currency import DataCurrency, SourceCurrency
from cscwatch.indicators.workbook import (
    Download,
    DownloadColumn,
    IndicatorSource,
    cell_text,
    download_csv,
    download_workbook,
)


def _download() -> Download:
    return Download(
        title="Spend by year",
        columns=(
            DownloadColumn("old_la_code"),
            DownloadColumn("year"),
            DownloadColumn("period_label"),
            DownloadColumn("value", "England", "£, cash terms"),
            DownloadColumn("status"),
            DownloadColumn("flag"),
        ),
        rows=(
            ("001", 2013, "2012-13", 3586900940.0, None, "within"),
            ("001", 2014, "2013-14", None, "c", "not_assessed"),
            ("001", 2015, "2014-15", 0.1 + 0.2, None, "higher"),
        ),
        indicators=("spend_lac_gross",),
        page="/indicators/spend_lac_gross",
        currency=DataCurrency(
            (SourceCurrency("Children in need", ("b1",), 2025, "2024-25"),), date(2026, 6, 18)
        ),
        sources=(
            IndicatorSource(
                "spend_lac_gross",
                "Looked-after spend",
                "Gross spend on children looked after.",
                "£, cash terms",
                "year ending 31 March",
                "",
                "",
                "DfE, section 251",
                (("b1", "DfE", "Children in need", "b1.csv", "https://example.org/b1", "2026"),),
            ),
        ),
    )


def test_csv_keeps_codes_symbols_years_and_full_precision() -> None:
    rows = list(csv.reader(io.StringIO(download_csv(_download()))))
    assert rows[0] == ["old_la_code", "year", "period_label", "value", "status", "flag"]
    assert rows[1] == ["001", "2013", "2012-13", "3586900940", "", "within"]
    assert rows[2][3:5] == ["", "c"]
    assert rows[3][3] == "0.30000000000000004"


def test_workbook_holds_the_same_cells_and_the_metadata() -> None:
    d = _download()
    wb = load_workbook(io.BytesIO(download_workbook(d)))
    data = list(wb["Data"].iter_rows(values_only=True))
    assert data[1] == ("001", 2013, "2012-13", 3586900940, None, "within")
    # Excel holds 15 significant digits; openpyxl writes 16 (the CSV: as many as it takes)
    assert data[2][4] == "c" and abs(data[3][3] - (0.1 + 0.2)) < 1e-15
    assert wb["Data"]["A2"].number_format == "@"  # a code stays text ("001")
    meta = {r[0]: r[1] for r in wb["Metadata"].iter_rows(values_only=True) if r[0]}
    assert meta["Title"] == "Spend by year" and meta["Page"] == "/indicators/spend_lac_gross"
    assert meta["Ofsted record runs to"] == "18 June 2026"
    assert meta["Latest year: Children in need"] == "2024-25"
    assert "England's value of the same year" in meta["Flags relative to"]
    assert meta["value"] == "England"
    block = [r for r in wb["Metadata"].iter_rows(values_only=True) if r[0] == "spend_lac_gross"]
    assert block[0][2] == "Gross spend on children looked after."
    assert block[0][9:11] == ("b1.csv", "https://example.org/b1")


def test_a_table_without_flags_or_years_says_nothing_of_them() -> None:
    d = Download("Authorities", (DownloadColumn("la_code"),), (("352",),))
    meta = {
        r[0]
        for r in load_workbook(io.BytesIO(download_workbook(d)))["Metadata"].iter_rows(
            values_only=True
        )
    }
    assert "Flags relative to" not in meta and "Years" not in meta and "Symbols" in meta


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_cell_text_reads_back_as_the_same_number(x: float) -> None:
    assert float(cell_text(x)) == x


def test_cell_text_of_nothing_and_non_numbers() -> None:
    assert cell_text(None) == "" and cell_text(float("nan")) == "" and cell_text(True) == "true"
    assert cell_text("x") == "x" and cell_text(7) == "7"
