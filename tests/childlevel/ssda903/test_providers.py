"""Ofsted's provider lists and the placing authority, as `cla validate` reads them.

No real Ofsted list is in ../shared/data, so the workbooks here are built in the exact
layouts the open SSDA903 validator reads (its ``ingress.py``: sheet names and column
headers as it names them), with made-up providers.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from cscwatch.childlevel.ssda903.placing import district_authorities, resolve_placing_authority
from cscwatch.childlevel.ssda903.providers import read_provider_lists
from cscwatch.core.config import bundled_snapshot
from cscwatch.core.errors import InputError, SourceFileError, UnknownAuthorityError

CH_COLUMNS = [
    "URN",
    "Local Authority",
    "Provider Code",
    "Provider Placement Code",
    "Closed Date",
    "Setting Postcode",
]
SCP_CURRENT = ["URN", "Local authority", "Placement code", "Placement provider code",
               "Setting postcode"]  # fmt: skip
SCP_CLOSED = [*SCP_CURRENT, "Deregistration date"]
COMBINED = ["urn", "local authority", "placement code", "placement provider code",
            "deregistration date", "setting address postcode", "provider type"]  # fmt: skip


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = Workbook()
    first = True
    for name, rows in sheets.items():
        ws = book.active if first else book.create_sheet()
        assert ws is not None
        ws.title = name
        for row in rows:
            ws.append(row)
        first = False
    book.save(path)
    return path


@pytest.fixture
def two_lists(tmp_path: Path) -> list[Path]:
    ch = workbook(
        tmp_path / "ofsted_a.xlsx",
        {
            "Provider information": [
                CH_COLUMNS,
                ["SC111111", "Richmond upon Thames", "K2", "PR1/PR2", None, "TW9 1AA"],
                ["SC222222", "Kent", "K2", "PR3", datetime(2024, 9, 30), "me14 1aa"],
            ]
        },
    )
    scp = workbook(
        tmp_path / "ofsted_b.xlsx",
        {
            "Current providers": [
                SCP_CURRENT,
                [1234567, "Kent", "U1,U4", "PR4", "CT1 1AA"],
                [None, "Kent", "U1", "PR4", "CT1 1AA"],  # no URN: dropped
            ],
            "Providers closed": [
                SCP_CLOSED,
                ["SC333333", "Kent", "K1", "PR4", "CT1 1AA", "31/03/2020"],
            ],
        },
    )
    return [scp, ch]  # any order


def test_children_s_homes_and_social_care_providers_lists(two_lists: list[Path]) -> None:
    lists = read_provider_lists(two_lists)
    assert lists.layout == "children's homes and social care providers lists"
    by_urn = {p.urn: p for p in lists.providers}
    assert sorted(by_urn) == ["1234567", "SC111111", "SC222222", "SC333333"]
    assert by_urn["SC111111"].provider_codes == ("PR1", "PR2")
    assert by_urn["SC111111"].place_codes == ("K2",)
    assert by_urn["SC222222"].reg_end == datetime(2024, 9, 30).date()
    assert by_urn["SC222222"].postcodes == ("ME141AA",)
    assert by_urn["1234567"].place_codes == ("U1", "U4")
    assert by_urn["SC333333"].reg_end is not None and by_urn["SC333333"].reg_end.year == 2020
    assert lists.postcodes == {"TW91AA", "ME141AA", "CT11AA"}
    assert "4 providers" in lists.summary()


def test_children_s_homes_list_with_split_sheets(tmp_path: Path, two_lists: list[Path]) -> None:
    ch = workbook(
        tmp_path / "ch.xlsx",
        {
            "Settings and Inspection Info": [
                CH_COLUMNS[:-1],
                ["SC111111", "Richmond upon Thames", "K2", "PR1", None],
                ["SC444444", "Kent", "K2", "PR1", None],  # no address: dropped, as the validator
            ],
            "Address Details": [["URN", "Setting Address Postcode"], ["SC111111", "TW9 1AA"]],
        },
    )
    lists = read_provider_lists([ch, two_lists[0]])
    assert {p.urn for p in lists.providers} == {"SC111111", "1234567", "SC333333"}


def test_combined_list_one_sheet_xlsx_and_csv(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        COMBINED,
        ["SC111111", "Richmond upon Thames", "K2", "PR1/PR2", None, "TW9 1AA", "Children's Home"],
        ["2345678", "Kent", "U1", "PR4", "01/02/2023", "CT1 1AA", "Independent Fostering Agency"],
    ]
    book = workbook(tmp_path / "scpch.xlsx", {"Sheet1": rows})
    text = tmp_path / "scpch.csv"
    with text.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["" if v is None else v for v in r] for r in rows])
    for path in (book, text):
        lists = read_provider_lists([path])
        assert lists.layout == "combined list"
        by_urn = {p.urn: p for p in lists.providers}
        assert by_urn["SC111111"].provider_codes == ("PR1", "PR2")
        assert by_urn["2345678"].reg_end is not None
        assert by_urn["2345678"].reg_end.isoformat() == "2023-02-01"


def test_combined_list_with_supported_accommodation_sheet(tmp_path: Path) -> None:
    book = workbook(
        tmp_path / "combined.xlsx",
        {
            "Providers": [COMBINED[:-1], ["SC111111", "Kent", "K2", "PR1", None, "CT1 1AA"]],
            "SA providers": [
                ["urn", "provider local authority", "closed date", "setting address postcode"],
                ["2000001", "Kent", None, "ME14 1AA"],
            ],
        },
    )
    sa = {p.urn: p for p in read_provider_lists([book]).providers}["2000001"]
    assert (sa.place_codes, sa.provider_codes) == (("K3",), ("PR4",))


def test_a_urn_in_two_rows_is_one_provider(tmp_path: Path) -> None:
    book = workbook(
        tmp_path / "c.xlsx",
        {
            "Sheet1": [
                COMBINED[:-1],
                ["SC1", "Kent", "K2", "PR1", "01/01/2020", "CT1 1AA"],
                ["SC1", "Kent", "K1", "PR2", None, "CT1 1AB"],
            ]
        },
    )
    (p,) = read_provider_lists([book]).providers
    assert (p.place_codes, p.provider_codes, p.reg_end) == (("K2", "K1"), ("PR1", "PR2"), None)
    assert p.postcodes == ("CT11AA", "CT11AB")


def test_bad_lists_are_one_clear_error(tmp_path: Path, two_lists: list[Path]) -> None:
    with pytest.raises(InputError, match="children's homes list and its social care"):
        read_provider_lists(two_lists[:1])
    odd = workbook(tmp_path / "odd.xlsx", {"Sheet1": [["URN", "Name"], ["SC1", "x"]]})
    with pytest.raises(SourceFileError, match="not one of Ofsted's provider lists") as e:
        read_provider_lists([odd])
    assert e.value.path == str(odd)
    not_xlsx = tmp_path / "lists.xlsx"
    not_xlsx.write_text("hello")
    with pytest.raises(SourceFileError, match="not an Excel workbook"):
        read_provider_lists([not_xlsx])
    bad_date = workbook(
        tmp_path / "d.xlsx",
        {"Sheet1": [COMBINED[:-1], ["SC1", "Kent", "K2", "PR1", "soon", "CT1 1AA"]]},
    )
    with pytest.raises(SourceFileError, match="not a date") as e:
        read_provider_lists([bad_date])
    assert e.value.row == 2


# --- the placing authority ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["318", "E09000027", "richmond upon thames", "  Richmond   upon Thames "]
)
def test_placing_authority_by_number_code_or_name(text: str) -> None:
    a = resolve_placing_authority(text, bundled_snapshot())
    assert (a.la_number, a.ons_code, a.name) == ("318", "E09000027", "Richmond upon Thames")


def test_placing_authority_aliases_and_errors() -> None:
    snap = bundled_snapshot()
    assert resolve_placing_authority("BCP", snap).la_number == "839"
    assert resolve_placing_authority("Hull", snap).ons_code == "E06000010"
    with pytest.raises(UnknownAuthorityError, match="former authority"):
        resolve_placing_authority("909", snap)  # Cumbria, split in 2023
    with pytest.raises(UnknownAuthorityError, match="did you mean"):
        resolve_placing_authority("Richmond upon Thame", snap)
    with pytest.raises(UnknownAuthorityError):
        resolve_placing_authority("999", snap)


def test_every_district_finds_its_authority_s_dfe_number() -> None:
    snap = bundled_snapshot()
    districts = district_authorities(snap)
    with (snap / "provider_lookup.csv").open(encoding="utf-8-sig") as fh:
        numbers = {r["la_code"] for r in csv.DictReader(fh) if r["la_code_new"]}
    with (snap / "LTLA-UTLA_Apr23_Lookup_England-Wales.csv").open(encoding="utf-8-sig") as fh:
        english = {r["LTLA23CD"] for r in csv.DictReader(fh) if r["LTLA23CD"].startswith("E")}
    # Every current authority is some district's; former ones (Cumbria...) only by
    # their old codes, which no current district has.
    assert len(numbers) == 153 and numbers <= set(districts.values())
    assert all(n.isdigit() and len(n) == 3 for n in districts.values())
    assert english <= set(districts)
    # A county's district, and the two districts ONS re-coded in 2024 (which the postcode
    # package of 2026 uses), found through DfE's own files.
    assert districts["E07000110"] == "886"  # Maidstone: Kent
    assert (districts["E08000038"], districts["E08000039"]) == ("370", "373")
    assert districts["E08000016"] == "370"  # Barnsley's code before 2024
