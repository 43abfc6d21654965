"""Readers for the two optional finance sources of the snapshot.

Both files may be absent; the build then leaves their tables empty and says so
(``docs/snapshot.md``). When present they are read here, checked against the layout
their publishers use, and handed on as typed records.

* **HM Treasury, "GDP deflators at market prices, and money GDP"** (``gdp_deflators.csv``),
  the CSV published with each quarterly update. Its layout: a title row, note rows, then
  header rows in which the financial-year block is headed ``Financial year`` and the
  deflator column ``YYYY-YY = 100`` (the base year), then one row per financial year
  (``1955-56, 4.321, …``) beside a calendar-year block, then footnotes. Only the
  financial-year block is read: section 251 outturn is by financial year.
* **DfE, "LA and school expenditure"**: the outturn table for children's and young
  people's services (``s251_childrens_young_peoples_services_la_regional_national.csv``),
  one row per area, year and section 251 line: ``time_period`` (``202324``),
  ``geographic_level``, ``region_code``, ``old_la_code``, the line in
  ``description_of_expenditure`` (its block in ``category_of_expenditure``) or, in the
  newer layout, in ``category_of_expenditure`` itself, and gross expenditure in
  ``total_expenditure`` (or ``gross_expenditure``). Lines are matched on their
  description with the line number stripped (``3.3.1 Social work (including LA functions
  in relation to child protection)``), so renumbering between years does not matter.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cscwatch.core.errors import SchemaError, SourceFileError

__all__ = [
    "DEFLATOR_FILE",
    "HMT_DEFLATOR",
    "LAYOUT_CHECKS",
    "ONS_MADE_TITLE",
    "S251_COLUMNS",
    "S251_CYPS_FILE",
    "S251_SAFEGUARDING_TOTAL",
    "DeflatorSeries",
    "S251Line",
    "normalise_line",
    "read_gdp_deflators",
    "read_s251_lines",
]

#: File names in the snapshot.
DEFLATOR_FILE = "gdp_deflators.csv"
S251_CYPS_FILE = "s251_childrens_young_peoples_services_la_regional_national.csv"

#: The block total, read beside any requested line to check the file's unit against LAIT.
S251_SAFEGUARDING_TOTAL = "Total Safeguarding Children and Young Peoples Services"

#: The columns :func:`read_s251_lines` needs, each a group of alternatives (the line is
#: in ``description_of_expenditure``, or in ``category_of_expenditure`` in the newer
#: layout). ``cscwatch fetch`` recognises the table by them inside a release's archive.
S251_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("time_period",),
    ("geographic_level",),
    ("old_la_code",),
    ("region_code",),
    ("description_of_expenditure", "category_of_expenditure"),
    ("total_expenditure", "gross_expenditure"),
)

#: What a GDP deflator file in HM Treasury's layout is, unless it says otherwise.
HMT_DEFLATOR = "HM Treasury GDP deflator"
#: How the first cell of a deflator file ``cscwatch fetch`` made from ONS's quarters of
#: series L8GG begins (:mod:`cscwatch.ingest.ons_deflator` writes it); such a file is
#: read like HM Treasury's but named for what it is.
ONS_MADE_TITLE = "GDP deflator at market prices by financial year: means of the quarters of ONS"
_ONS_MADE_SOURCE = "ONS L8GG, financial-year means of its quarters; not HM Treasury's"

_FY = re.compile(r"^\s*(\d{4})\s*[-–/]\s*(\d{2})\b")
_BASE = re.compile(r"^\s*(\d{4})\s*[-–/]\s*(\d{2})\s*=\s*100\s*$")
_LINE_NUMBER = re.compile(r"^\s*\d+(\.\d+)*[a-z]?[\s.:-]+", re.IGNORECASE)
_S251_SYMBOLS = frozenset({"c", "x", "z", "u", "k", ":", "n/a", "na", "-", ""})


@dataclass(frozen=True)
class DeflatorSeries:
    """A GDP deflator by financial year, in HM Treasury's layout.

    Attributes
    ----------
    base_year : int
        The year ending 31 March whose index is 100 (``2025`` for ``2024-25 = 100``).
    index : dict of int to float
        Deflator index by year ending 31 March.
    source : str
        Whose figures they are, for captions: :data:`HMT_DEFLATOR`, or ONS's series
        L8GG made into financial years when the file's title says so
        (:data:`ONS_MADE_TITLE`).
    """

    base_year: int
    index: dict[int, float]
    source: str = HMT_DEFLATOR

    @property
    def base_label(self) -> str:
        """The base year as the publisher writes it (``2024-25``)."""
        return f"{self.base_year - 1}-{self.base_year % 100:02d}"


@dataclass(frozen=True)
class S251Line:
    """Gross expenditure on one section 251 line for one area and year.

    ``value`` is ``None`` where the publisher gives a symbol (kept in ``status``).
    ``geo_level`` is ``national``, ``regional`` or ``la``; ``geo_code`` is the GSS code
    of England or the region, or the three-digit LA number.
    """

    geo_level: str
    geo_code: str
    year: int
    line: str
    value: float | None
    status: str | None


def _fy_end(text: str) -> int | None:
    """``2016-17`` → 2017; ``1999-00`` → 2000; anything else → None."""
    m = _FY.match(text)
    if not m:
        return None
    start, yy = int(m.group(1)), int(m.group(2))
    return start + 1 if (start + 1) % 100 == yy else None


def _number(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").replace("£", "")
    try:
        return float(cleaned)
    except ValueError:
        return None


def csv_rows(path: Path) -> list[list[str]]:
    """Every row of a UTF-8 CSV file; a file that cannot be read is one SourceFileError."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SourceFileError(f"cannot read: {exc}", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise SourceFileError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from None
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise SourceFileError(f"not valid CSV: {exc}", path=str(path)) from None


def read_gdp_deflators(path: Path) -> DeflatorSeries:
    """Read HM Treasury's GDP deflator CSV: the financial-year index and its base year.

    A file ``cscwatch fetch`` made from ONS series L8GG is in the same layout and is
    read the same way; its :attr:`DeflatorSeries.source` says what it is.

    Raises
    ------
    SchemaError
        When no ``YYYY-YY = 100`` header is found, a financial year appears twice, no
        year has an index, or the base year's index is not 100.
    SourceFileError
        When the file is unreadable or not CSV.
    """
    rows = csv_rows(path)
    base: tuple[int, int] | None = None  # (base year, column)
    for r, row in enumerate(rows, start=1):
        for c, cell in enumerate(row):
            m = _BASE.match(cell)
            if m and _fy_end(cell) is not None:
                base = (int(m.group(1)) + 1, c)
                break
        if base:
            header_row = r
            break
    if base is None:
        raise SchemaError(
            "no financial-year deflator column headed 'YYYY-YY = 100' "
            "(is this HM Treasury's 'GDP deflators at market prices' CSV?)",
            path=str(path),
        )
    base_year, col = base
    index: dict[int, float] = {}
    for r, row in enumerate(rows[header_row:], start=header_row + 1):
        if len(row) <= col or not row:
            continue
        year = _fy_end(row[0])
        if year is None:
            continue
        value = _number(row[col])
        if value is None:
            continue  # a forecast year published without a level, or a note
        if year in index:
            raise SchemaError(
                f"financial year {row[0].strip()} appears twice", path=str(path), row=r
            )
        index[year] = value
    if not index:
        raise SchemaError("no financial-year deflator values", path=str(path))
    if base_year not in index or abs(index[base_year] - 100.0) > 0.5:
        raise SchemaError(
            f"the base year {base_year - 1}-{base_year % 100:02d} should have index 100, "
            f"found {index.get(base_year)}",
            path=str(path),
        )
    title = next((cell.strip() for row in rows for cell in row if cell.strip()), "")
    source = _ONS_MADE_SOURCE if title.startswith(ONS_MADE_TITLE) else HMT_DEFLATOR
    return DeflatorSeries(base_year=base_year, index=dict(sorted(index.items())), source=source)


def normalise_line(text: str) -> str:
    """A section 251 line description without its number, case or punctuation noise."""
    t = _LINE_NUMBER.sub("", text.strip())
    t = t.replace("’", "'").replace("‘", "'").replace("'", "").lower()
    return re.sub(r"\s+", " ", t).strip()


def _pick(header: list[str], *names: str) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def read_s251_lines(path: Path, lines: Iterable[str]) -> list[S251Line]:
    """Gross expenditure on the requested section 251 lines, every area and year.

    Parameters
    ----------
    path : Path
        DfE's children's and young people's services outturn file.
    lines : iterable of str
        Line descriptions as DfE writes them (without line numbers); matched after
        :func:`normalise_line`. Rows of other lines are skipped.

    Returns
    -------
    list of S251Line
        In file order; ``line`` is the requested description.

    Raises
    ------
    SchemaError
        When a column the layout needs is missing, a ``time_period`` is not a financial
        year, or an area, year and line appears twice.
    """
    rows = csv_rows(path)
    if not rows:
        raise SchemaError("empty file", path=str(path))
    header = [h.strip().lower() for h in rows[0]]
    cols = {" or ".join(names): _pick(header, *names) for names in S251_COLUMNS}
    line_col = cols["description_of_expenditure or category_of_expenditure"]
    gross_col = cols["total_expenditure or gross_expenditure"]
    missing = [name for name, c in cols.items() if c is None]
    if missing:
        raise SchemaError("missing columns: " + ", ".join(missing), path=str(path))
    wanted = {normalise_line(w): w for w in lines}
    t_col, g_col = cols["time_period"], cols["geographic_level"]
    la_col, reg_col = cols["old_la_code"], cols["region_code"]
    assert t_col is not None and g_col is not None and la_col is not None
    assert reg_col is not None and line_col is not None and gross_col is not None
    out: list[S251Line] = []
    seen: set[tuple[str, int, str]] = set()
    for r, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise SchemaError(
                f"{len(row)} fields, the header has {len(header)}", path=str(path), row=r
            )
        key = normalise_line(row[line_col])
        if key not in wanted:
            continue
        period = row[t_col].strip()
        m = re.fullmatch(r"(\d{4})(\d{2})", period)
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise SchemaError(
                "time_period is not a financial year like 202324",
                path=str(path),
                row=r,
                column="time_period",
            )
        year = int(m.group(1)) + 1
        level = row[g_col].strip().lower()
        if level == "national":
            geo = ("national", "E92000001")
        elif level == "regional":
            geo = ("regional", row[reg_col].strip())
        elif level == "local authority":
            geo = ("la", row[la_col].strip())
        else:
            continue
        if (geo[1], year, key) in seen:
            raise SchemaError(
                "area, year and line appear twice", path=str(path), row=r, column="time_period"
            )
        seen.add((geo[1], year, key))
        raw = row[gross_col].strip()
        value = _number(raw)
        status = None
        if value is None:
            if raw.lower() not in _S251_SYMBOLS:
                raise SchemaError(
                    "gross expenditure is neither a number nor a publisher's symbol",
                    path=str(path),
                    row=r,
                    column=header[gross_col],
                )
            status = raw or None
        out.append(S251Line(geo[0], geo[1], year, wanted[key], value, status))
    return out


def _check_s251(path: Path) -> None:
    if not read_s251_lines(path, [S251_SAFEGUARDING_TOTAL]):
        raise SchemaError(f"no rows for the line '{S251_SAFEGUARDING_TOTAL}'", path=str(path))


def _check_deflators(path: Path) -> None:
    read_gdp_deflators(path)


#: Layout checks ``cscwatch fetch`` runs on a download of an optional file (which has
#: no previous copy to compare columns with). Each raises ``SourceFileError``.
LAYOUT_CHECKS: dict[str, Callable[[Path], None]] = {
    DEFLATOR_FILE: _check_deflators,
    S251_CYPS_FILE: _check_s251,
}
