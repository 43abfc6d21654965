"""Downloads of a page's tables and charts: the same figures as CSV and as an Excel
workbook, with a metadata sheet saying what they are, where they come from and how
current they are.

A page hands over a :class:`Download` (its table's machine column names, the headings
people see, the rows as raw values with the publisher's symbols kept, the indicators
the figures are of); :func:`download_csv` writes it as CSV, :func:`download_workbook`
as a workbook with two sheets:

``Data``
    the same columns and rows as the CSV (numbers to 16 significant digits, text cells for
    the publisher's symbols ``c``, ``x``, ``z``, ``u``, ``k``, ``low`` and LAIT's ``-``,
    years as the page shows them beside the publisher's ``time_period``).
``Metadata``
    the table's title and address, the data-currency banner's information (each
    source's latest year, the date the Ofsted record runs to), what any flag is
    relative to, the symbols' meanings, every column's heading and unit, and every
    indicator's definition, unit, period and source (publisher, file, address).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.indicators.currency import DataCurrency

__all__ = [
    "COLUMN_MEANINGS",
    "SYMBOL_MEANINGS",
    "Download",
    "DownloadColumn",
    "IndicatorSource",
    "cell_text",
    "download_csv",
    "download_workbook",
    "indicator_sources",
]

#: A cell of a download: text (names, codes, labels, the publisher's symbols), a
#: number, a yes/no, or nothing.
Cell = str | int | float | bool | None

#: The publisher's status symbols in words (``cscwatch.core.types.STATUS_SYMBOLS``).
SYMBOL_MEANINGS: dict[str, str] = {
    "c": "confidential: suppressed to protect small numbers",
    "x": "not available",
    "z": "not applicable",
    "u": "low reliability",
    "k": "rounds to zero (fewer than 0.5)",
    "low": "rounds to zero",
    "-": "no data (LAIT's mark)",
}

#: What the columns shared by many downloads hold (the metadata sheet's words for a
#: column the page has no heading for).
COLUMN_MEANINGS: dict[str, str] = {
    "old_la_code": "DfE's three-digit LA number",
    "new_la_code": "ONS GSS code of the authority",
    "la_code": "DfE's three-digit LA number",
    "la_name": "Authority",
    "name": "Name",
    "code": "LA number, region GSS code or England's code",
    "indicator": "Indicator identifier (see the indicator block below)",
    "unit": "Unit of the figures",
    "year": "The publisher's time_period (the year ending)",
    "time_period": "The publisher's time_period",
    "period_label": "The year as the page and the publisher name it",
    "value": "The figure",
    "status": "The publisher's symbol where it withheld the figure (c, x, z, u, k, low, -)",
    "authority": "The authority's figure",
    "authority_status": "The publisher's symbol where it withheld the authority's figure",
    "sn_mean": "Mean of the statistical neighbours' figures",
    "sn_n": "How many of the 10 statistical neighbours have a figure (the mean is over them)",
    "region": "The region's figure",
    "england": "England's figure",
    "rank": "Rank (1 = highest)",
    "n_ranked": "Number of authorities ranked",
    "rank_note": "Why the rank is qualified or missing",
    "quartile": "Quartile among authorities (4 = highest quarter)",
    "change_1y": "Change on the previous year, in the unit's own terms (percentage points "
    "for percentages)",
    "joint_with": "LA numbers sharing a joint return",
    "role": "authority, neighbour, chosen, region or England",
    "neighbour_la_code": "The neighbour's LA number",
    "neighbour_la_name": "The neighbour",
    "model": "DfE's statistical neighbour model",
}

_FLAG_NOTE = (
    "flag compares the figure with England's value of the same year (flag_year, "
    "flag_centre) using 99.8% limits that allow for the usual variation between "
    "authorities (random effects: on the log scale for rates per 10,000, on the "
    "percentage scale for percentages); chance_flag uses the plain binomial or Poisson "
    "99.8% limits (chance alone). Each row's flag_relative_to says exactly what it is "
    "compared with. Methods: docs/methods/benchmarking.md."
)


@dataclass(frozen=True)
class DownloadColumn:
    """One column of a download: its machine name (the CSV heading), the heading the
    page shows, and the unit of its figures (empty for text columns)."""

    name: str
    label: str = ""
    unit: str = ""


@dataclass(frozen=True)
class IndicatorSource:
    """What an indicator is and where its figures come from, for a metadata sheet.

    ``files`` are the snapshot files its figures were read from, each as
    ``(source_id, publisher, title, file, address, retrieved)``; the address is the file's own
    download address where the manifest gives one, else the publication's page.
    """

    indicator: str
    title: str
    definition: str
    unit: str
    period: str
    numerator: str
    denominator: str
    source: str
    files: tuple[tuple[str, str, str, str, str, str], ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Plain dict (for JSON)."""
        return asdict(self)


@dataclass(frozen=True)
class Download:
    """One table or chart's data as a page shows it, ready to download.

    Attributes
    ----------
    title : str
        The table's caption (or the chart's title).
    columns : tuple of DownloadColumn
        Its columns, in order.
    rows : tuple of tuple
        Raw values, one tuple per row: numbers unrounded, the publisher's symbol (text)
        in place of a figure it withheld, years as ``time_period`` and as the page's
        label.
    indicators : tuple of str
        The indicators the figures are of (each gets a block on the metadata sheet).
    page : str
        The address of the page the table is on.
    currency : DataCurrency or None
        How current the warehouse is (the data-currency banner).
    sources : tuple of IndicatorSource
        The indicators' definitions and sources.
    notes : tuple of str
        Anything else a reader must know (e.g. "£ figures are cash terms").
    """

    title: str
    columns: tuple[DownloadColumn, ...]
    rows: tuple[tuple[Cell, ...], ...]
    indicators: tuple[str, ...] = ()
    page: str = ""
    currency: DataCurrency | None = None
    sources: tuple[IndicatorSource, ...] = field(default=())
    notes: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        """The column names (the CSV's heading row)."""
        return [c.name for c in self.columns]

    @property
    def summary(self) -> str:
        """One line: the title and the size."""
        return f"{self.title}: {len(self.rows)} rows, {len(self.columns)} columns"

    def to_dict(self) -> dict[str, object]:
        """Plain dict (for JSON)."""
        return {
            "title": self.title,
            "columns": [asdict(c) for c in self.columns],
            "rows": [list(r) for r in self.rows],
            "indicators": list(self.indicators),
            "page": self.page,
            "currency": None if self.currency is None else self.currency.to_dict(),
            "sources": [s.to_dict() for s in self.sources],
            "notes": list(self.notes),
        }


def cell_text(value: Cell) -> str:
    """A cell as CSV text: a number in full precision (the shortest text that reads
    back as the same number; whole numbers without a decimal point), yes/no as
    ``true``/``false``, nothing as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value == math.trunc(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def download_csv(d: Download) -> str:
    """The download as CSV text (UTF-8, ``\\n`` line ends, a heading row of column
    names), the same cells as the workbook's data sheet."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(d.names)
    w.writerows([cell_text(v) for v in row] for row in d.rows)
    return buf.getvalue()


def _excel_value(value: Cell) -> str | int | float | bool | None:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _metadata_rows(d: Download) -> list[list[str]]:
    rows: list[list[str]] = [
        ["Title", d.title],
        ["Page", d.page],
    ]
    cur = d.currency
    if cur is not None:
        rows.append(["Data run to", cur.summary])
        rows += [
            [f"Latest year: {s.title}", s.period_label]
            for s in cur.sources
            if not d.sources or set(s.source_ids) & _source_ids(d)
        ]
        if cur.ofsted_record_to is not None:
            day = cur.ofsted_record_to
            rows.append(["Ofsted record runs to", f"{day.day} {day:%B %Y}"])
    names = set(d.names)
    if {"year", "period_label"} <= names:
        rows.append(
            [
                "Years",
                "year is the publisher's time_period; period_label is the year as the page "
                "and the publisher name it (2012-13, 31 March 2013, 30 September 2012)",
            ]
        )
    if "flag" in names or "chance_flag" in names:
        rows.append(["Flags relative to", _FLAG_NOTE])
    rows.append(
        [
            "Symbols",
            "; ".join(f"{k} = {v}" for k, v in SYMBOL_MEANINGS.items())
            + " (kept as the publisher wrote them, in place of the figure)",
        ]
    )
    rows += [["Note", n] for n in d.notes]
    rows.append(["Licence", "Open Government Licence v3.0 (Crown copyright)"])
    rows.append([])
    rows.append(["Column", "Heading on the page", "Unit"])
    rows += [[c.name, c.label or COLUMN_MEANINGS.get(c.name, ""), c.unit] for c in d.columns]
    if d.sources:
        rows.append([])
        rows.append(
            [
                "Indicator",
                "Title",
                "Definition",
                "Unit",
                "Period",
                "Numerator",
                "Denominator",
                "Source",
                "Publisher",
                "File",
                "Address",
                "Retrieved",
            ]
        )
        for s in d.sources:
            head = [s.indicator, s.title, s.definition, s.unit, s.period]
            head += [s.numerator, s.denominator, s.source]
            files = s.files or (("", "", "", "", "", ""),)
            for k, (_sid, publisher, _title, file, url, retrieved) in enumerate(files):
                rows.append(
                    (head if k == 0 else [s.indicator, "", "", "", "", "", "", ""])
                    + [publisher, file, url, retrieved]
                )
    return rows


def _source_ids(d: Download) -> set[str]:
    """The source ids behind a download's indicators."""
    return {f[0] for s in d.sources for f in s.files}


def download_workbook(d: Download) -> bytes:
    """The download as an Excel workbook (``.xlsx`` bytes): a ``Data`` sheet with the
    CSV's columns and rows, and a ``Metadata`` sheet (see the module's docstring).

    Numbers are stored as numbers, to 16 significant digits (openpyxl's writer; Excel
    itself keeps 15, the CSV as many as it takes); the publisher's symbols, names,
    codes and year labels as text, so Excel never turns ``2012-13`` into a date or a
    code ``001`` into 1.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    data = wb.active
    assert data is not None
    data.title = "Data"
    data.append(d.names)
    for cell in data[1]:
        cell.font = Font(bold=True)
    for row in d.rows:
        data.append([_excel_value(v) for v in row])
    for col in data.iter_cols(min_row=2):
        for cell in col:
            if isinstance(cell.value, str):
                cell.number_format = "@"
    data.freeze_panes = "A2"
    for k, c in enumerate(d.columns, start=1):
        letter = data.cell(row=1, column=k).column_letter
        data.column_dimensions[letter].width = min(max(len(c.name), 10) + 2, 40)
    meta = wb.create_sheet("Metadata")
    for r in _metadata_rows(d):
        meta.append(r)
    for row in meta.iter_rows():
        first = row[0]
        if first.value in ("Column", "Indicator"):
            for cell in row:
                cell.font = Font(bold=True)
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, str):
                cell.number_format = "@"
    meta.column_dimensions["A"].width = 28
    meta.column_dimensions["B"].width = 60
    for letter in "CDEFGHIJKL":
        meta.column_dimensions[letter].width = 24
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def indicator_sources(
    con: duckdb.DuckDBPyConnection, snapshot_dir: Path | None, indicators: Sequence[str]
) -> tuple[IndicatorSource, ...]:
    """Each indicator's definition and the snapshot files its figures were read from
    (publisher, title, file, address and retrieval date from the warehouse's ``source``
    table and the snapshot manifest).

    Unknown ids are left out; an indicator with no figures in the warehouse gets its
    catalogue source and no files.
    """
    ids = [i for i in dict.fromkeys(indicators) if i in CATALOGUE]
    if not ids:
        return ()
    rows = con.execute(
        """
        SELECT o.indicator, s.source_id, s.publisher, s.title, s.file, s.retrieved
        FROM (SELECT DISTINCT indicator, source_id FROM observation
              WHERE indicator IN (SELECT unnest($ids)) AND NOT provisional) o
        JOIN source s USING (source_id)
        ORDER BY o.indicator, s.file
        """,
        {"ids": ids},
    ).fetchall()
    addresses = _addresses(snapshot_dir)
    files: dict[str, list[tuple[str, str, str, str, str, str]]] = {}
    for ind, source_id, publisher, title, file, retrieved in rows:
        files.setdefault(str(ind), []).append(
            (
                str(source_id),
                str(publisher or ""),
                str(title or ""),
                str(file),
                addresses.get(str(file), ""),
                str(retrieved or ""),
            )
        )
    out = []
    for i in ids:
        ind = CATALOGUE[i]
        out.append(
            IndicatorSource(
                indicator=ind.id,
                title=ind.title,
                definition=ind.definition,
                unit=ind.unit_label,
                period=ind.period,
                numerator=ind.numerator,
                denominator=ind.denominator,
                source=ind.source,
                files=tuple(files.get(i, ())),
            )
        )
    return tuple(out)


def _addresses(snapshot_dir: Path | None) -> dict[str, str]:
    """Each snapshot file's address: its own URL, else its publication's page."""
    if snapshot_dir is None:
        return {}
    from cscwatch.core.errors import CscwatchError
    from cscwatch.ingest.snapshot import load_manifest

    try:
        manifest = load_manifest(snapshot_dir)
    except (CscwatchError, OSError):
        return {}
    return {e.file: e.url or e.source_page or "" for e in manifest.files}
