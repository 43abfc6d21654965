"""Ofsted's provider lists, read for the rules that check an episode's URN against them.

Rules 219, 221, 224, 227, 228, 229 and 1008 compare an episode's Ofsted unique
reference number (URN) with Ofsted's lists of registered providers. cscwatch holds no
copy of them: the user gives the lists as Ofsted publishes them and as the open SSDA903
validator reads them (its ``ingress.py``), identified by their sheets and columns, not
their file names:

* **two workbooks**: the *children's homes list* (a sheet ``Provider information``
  with ``URN``, ``Local Authority``, ``Provider Code``, ``Provider Placement Code``,
  ``Closed Date`` and ``Setting Postcode`` or ``Setting Address Postcode``; or the same
  columns split over the sheets ``Settings and Inspection Info`` and ``Address
  Details``, joined on ``URN``) and the *social care providers list* (its first sheet
  the current providers, its second the closed ones: ``URN``, ``Local authority``,
  ``Placement code``, ``Placement provider code``, ``Setting postcode`` and, for closed
  providers, ``Deregistration date``);
* **one combined workbook**: one sheet with ``urn``, ``local authority``, ``placement
  code``, ``placement provider code``, ``deregistration date`` and ``setting address
  postcode``; or the sheets ``Providers`` (those columns) and ``SA providers``
  (supported accommodation: ``urn``, ``provider local authority``, ``closed date``,
  ``setting address postcode`` and optionally ``placement provider code``; placement
  code ``K3``, provider code ``PR4`` when none is given, as the open validator reads
  it). The one-sheet layout is also read from a CSV file with the same header.

Header names are matched ignoring case and spacing. Codes are split on commas and
slashes (``PR1/PR2``); postcodes are upper-cased without spaces; URNs are text
(``SC123456``; a number stays a number: ``1234567``). A URN listed more than once (in
two lists, or twice in one) counts as one provider whose codes are all of its rows',
open when any row has no closing date, else closed on the latest. The lists hold
providers, never children.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cscwatch.core.errors import InputError, SourceFileError
from cscwatch.core.files import read_input_bytes

__all__ = ["Provider", "ProviderLists", "read_provider_lists"]


@dataclass(frozen=True)
class Provider:
    """One provider (one URN) as the lists give it.

    Attributes
    ----------
    urn : str
        Ofsted's unique reference number.
    place_codes, provider_codes : tuple of str
        The placement types (``K2``) and placement provider codes (``PR1``) listed.
    reg_end : date or None
        When its registration ended (None: still registered).
    postcodes : tuple of str
        Its setting's postcodes (upper case, no spaces).
    """

    urn: str
    place_codes: tuple[str, ...]
    provider_codes: tuple[str, ...]
    reg_end: date | None
    postcodes: tuple[str, ...]


@dataclass(frozen=True)
class ProviderLists:
    """Ofsted's lists as read: one :class:`Provider` per URN."""

    files: tuple[Path, ...]
    layout: str
    providers: tuple[Provider, ...]

    def summary(self) -> str:
        """One line: how many providers, from which files."""
        names = ", ".join(p.name for p in self.files)
        return f"{len(self.providers):,} providers ({self.layout}: {names})"

    @property
    def postcodes(self) -> set[str]:
        """Every provider's postcode (for the postcode look-up)."""
        return {pc for p in self.providers for pc in p.postcodes}


# --- reading one sheet ---------------------------------------------------------------

#: A sheet: its name, header and rows (each row with its line in the sheet, header = 1).
_Sheet = tuple[str, list[str], list[tuple[int, list[Any]]]]


def _norm(name: object) -> str:
    return " ".join(str(name or "").split()).casefold()


def _read_workbook(path: Path) -> list[_Sheet]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    data = read_input_bytes(path)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and data validation it does not read.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        # What openpyxl raises for a file that is not a workbook, or a damaged one.
        raise SourceFileError(
            f"not an Excel workbook (.xlsx) of Ofsted's provider lists ({type(exc).__name__})",
            path=str(path),
        ) from None
    sheets: list[_Sheet] = []
    try:
        for ws in book.worksheets:
            rows = ws.iter_rows(values_only=True)
            header = next(rows, None)
            body = [
                (n, list(r))
                for n, r in enumerate(rows, start=2)
                if any(v is not None and str(v).strip() for v in r)
            ]
            sheets.append((ws.title, [str(h or "") for h in (header or ())], body))
    finally:
        book.close()
    return sheets


def _read_csv(path: Path) -> list[_Sheet]:
    data = read_input_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceFileError("not UTF-8 text; save the file as UTF-8", path=str(path)) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise SourceFileError("empty file: no header row", path=str(path), row=1)
    body: list[tuple[int, list[Any]]] = []
    for row in reader:
        if any(v.strip() for v in row):
            body.append((reader.line_num, list(row)))
    return [(path.stem, header, body)]


def _columns(
    path: Path, sheet: _Sheet, wanted: Mapping[str, tuple[str, ...]], optional: Sequence[str] = ()
) -> list[tuple[int, dict[str, Any]]]:
    """The sheet's rows as ``{canonical: value}``; each canonical name accepts several headers."""
    name, header, body = sheet
    index = {_norm(h): i for i, h in enumerate(header)}
    where: dict[str, int] = {}
    for canonical, accepted in wanted.items():
        hit = next((index[_norm(a)] for a in accepted if _norm(a) in index), None)
        if hit is None:
            if canonical in optional:
                continue
            raise SourceFileError(
                f"sheet {name!r} has no column {accepted[0]!r} (Ofsted's provider list layout)",
                path=str(path),
                row=1,
                column=accepted[0],
            )
        where[canonical] = hit
    return [
        (line, {c: (row[i] if i < len(row) else None) for c, i in where.items()})
        for line, row in body
    ]


# --- the layouts ---------------------------------------------------------------------

_CH: Mapping[str, tuple[str, ...]] = {
    "urn": ("URN",),
    "la": ("Local Authority",),
    "place": ("Provider Code",),
    "provider": ("Provider Placement Code",),
    "end": ("Closed Date",),
    "postcode": ("Setting Postcode", "Setting Address Postcode"),
}
_SCP: Mapping[str, tuple[str, ...]] = {
    "urn": ("URN",),
    "la": ("Local authority",),
    "place": ("Placement code",),
    "provider": ("Placement provider code",),
    "end": ("Deregistration date",),
    "postcode": ("Setting postcode",),
}
_COMBINED: Mapping[str, tuple[str, ...]] = {
    "urn": ("urn",),
    "la": ("local authority",),
    "place": ("placement code",),
    "provider": ("placement provider code",),
    "end": ("deregistration date",),
    "postcode": ("setting address postcode",),
}
_SA: Mapping[str, tuple[str, ...]] = {
    "urn": ("urn",),
    "la": ("provider local authority",),
    "provider": ("placement provider code",),
    "end": ("closed date",),
    "postcode": ("setting address postcode",),
}

_Row = tuple[Path, str, int, dict[str, Any]]


def _has(sheet: _Sheet, wanted: Mapping[str, tuple[str, ...]], skip: Sequence[str] = ()) -> bool:
    heads = {_norm(h) for h in sheet[1]}
    return all(
        any(_norm(a) in heads for a in accepted) for c, accepted in wanted.items() if c not in skip
    )


def _kind(sheets: list[_Sheet]) -> str | None:
    """``combined``, ``children's homes`` or ``social care providers``, by sheets and columns."""
    names = {_norm(s[0]): s for s in sheets}
    if "providers" in names and "sa providers" in names:
        return "combined"
    if len(sheets) == 1 and _has(sheets[0], _COMBINED):
        return "combined"
    if "provider information" in names or (
        "settings and inspection info" in names and "address details" in names
    ):
        return "children's homes"
    if len(sheets) >= 2 and _has(sheets[0], _SCP, skip=("end",)) and _has(sheets[1], _SCP):
        return "social care providers"
    return None


def _rows_of(path: Path, kind: str, sheets: list[_Sheet]) -> list[_Row]:
    names = {_norm(s[0]): s for s in sheets}
    out: list[_Row] = []

    def add(sheet: _Sheet, rows: list[tuple[int, dict[str, Any]]]) -> None:
        out.extend((path, sheet[0], line, r) for line, r in rows)

    if kind == "combined" and "sa providers" in names:
        add(names["providers"], _columns(path, names["providers"], _COMBINED))
        sa = names["sa providers"]
        rows = _columns(path, sa, _SA, optional=("provider",))
        for _, r in rows:
            r["place"] = "K3"
            if not _text(r.get("provider")):
                r["provider"] = "PR4"
        add(sa, rows)
    elif kind == "combined":
        add(sheets[0], _columns(path, sheets[0], _COMBINED))
    elif kind == "children's homes" and "provider information" in names:
        info = names["provider information"]
        add(info, _columns(path, info, _CH))
    elif kind == "children's homes":
        settings = names["settings and inspection info"]
        address = names["address details"]
        posts: dict[str, Any] = {}
        for _, r in _columns(path, address, {"urn": _CH["urn"], "postcode": _CH["postcode"]}):
            posts.setdefault(_urn(r["urn"]), r["postcode"])
        wanted = {k: v for k, v in _CH.items() if k != "postcode"}
        rows = _columns(path, settings, wanted)
        for _, r in rows:  # the inner join of the open validator: no address, no row
            r["postcode"] = posts.get(_urn(r["urn"]))
        add(settings, [(line, r) for line, r in rows if _urn(r["urn"]) in posts])
    else:  # social care providers: current, then closed
        add(sheets[0], _columns(path, sheets[0], _SCP, optional=("end",)))
        add(sheets[1], _columns(path, sheets[1], _SCP))
    return out


# --- values --------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _urn(value: Any) -> str:
    return _text(value).upper()


_SPLIT = re.compile(r"[,/]")


def _codes(value: Any) -> tuple[str, ...]:
    return tuple(c.strip().upper() for c in _SPLIT.split(_text(value)) if c.strip())


_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S")


def _date(value: Any, where: _Row, column: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(str(value).strip(), fmt).date()
        except ValueError:
            continue
    path, sheet, line, _ = where
    raise SourceFileError(
        f"sheet {sheet!r}: not a date (dd/mm/yyyy)", path=str(path), row=line, column=column
    )


def _providers(rows: list[_Row]) -> tuple[Provider, ...]:
    merged: dict[str, dict[str, Any]] = {}
    for where in rows:
        r = where[3]
        urn = _urn(r.get("urn"))
        if not urn:
            continue  # the open validator drops rows without a URN
        m = merged.setdefault(
            urn, {"place": [], "provider": [], "ends": [], "open": False, "postcodes": []}
        )
        m["place"] += _codes(r.get("place"))
        m["provider"] += _codes(r.get("provider"))
        end = _date(r.get("end"), where, "end date")
        if end is None:
            m["open"] = True
        else:
            m["ends"].append(end)
        pc = "".join(_text(r.get("postcode")).split()).upper()
        if pc:
            m["postcodes"].append(pc)
    return tuple(
        Provider(
            urn,
            tuple(dict.fromkeys(m["place"])),
            tuple(dict.fromkeys(m["provider"])),
            None if m["open"] else max(m["ends"]),
            tuple(dict.fromkeys(m["postcodes"])),
        )
        for urn, m in sorted(merged.items())
    )


def read_provider_lists(paths: Sequence[Path | str]) -> ProviderLists:
    """Read Ofsted's provider lists: the children's homes and social care providers
    workbooks, or one combined list (see the module's description of the layouts).

    Parameters
    ----------
    paths : sequence of Path
        One combined list, or the two lists in any order.

    Raises
    ------
    SourceFileError
        A file is not a workbook (or CSV) of a known layout, lacks a column (named), or
        holds a closing date that is not a date (naming the sheet row).
    InputError
        The files are not one combined list or one list of each kind.
    """
    files = [Path(p) for p in paths]
    kinds: dict[str, list[tuple[Path, list[_Sheet]]]] = {}
    for path in files:
        if not path.is_file():
            raise SourceFileError("no such file", path=str(path))
        sheets = _read_csv(path) if path.suffix.lower() == ".csv" else _read_workbook(path)
        kind = _kind(sheets)
        if kind is None:
            raise SourceFileError(
                "not one of Ofsted's provider lists the open SSDA903 validator reads (a "
                "children's homes list, a social care providers list, or a combined list)",
                path=str(path),
            )
        kinds.setdefault(kind, []).append((path, sheets))
    counts = {k: len(v) for k, v in kinds.items()}
    if counts == {"combined": 1}:
        layout = "combined list"
    elif counts == {"children's homes": 1, "social care providers": 1}:
        layout = "children's homes and social care providers lists"
    else:
        found = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none"
        raise InputError(
            "--providers takes Ofsted's children's homes list and its social care providers "
            f"list, or one combined list (found: {found})"
        )
    rows: list[_Row] = []
    for kind, found_files in sorted(kinds.items()):
        for path, sheets in found_files:
            rows += _rows_of(path, kind, sheets)
    return ProviderLists(tuple(files), layout, _providers(rows))
