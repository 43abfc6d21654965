"""ONS's implied GDP deflator (series L8GG) as a financial-year index in HM Treasury's layout.

HM Treasury's "GDP deflators at market prices, and money GDP" takes its financial-year
outturn from ONS series L8GG ("Implied GDP deflator at market prices: SA", Quarterly
National Accounts), rebases it and adds OBR forecasts; each update is a new GOV.UK
attachment with no stable address. ONS serves L8GG itself at one address that always
answers the latest figures (:data:`L8GG_URL`). This module turns that answer into the
layout :func:`cscwatch.ingest.finance.read_gdp_deflators` reads.

**The ONS layout** (ONS's own generator, ``DataGenerator.timeSeriesDataGrid`` in
ONSdigital/zebedee, and every public script seen reading this address): a CSV whose
first cell of each row names it. Eight metadata rows come first — ``Title``,
``CDID``, ``Source dataset ID``, ``PreUnit``, ``Unit``, ``Release date``,
``Next release``, ``Important notes`` — each with the series' value beside it; then one
row per calendar year (``1955``), then one per quarter (``1955 Q1``), then one per
month (``1955 JAN``) where the series has months. Periods without a value are left
empty.

**The transform.** A financial year runs April to March, so the year ending 31 March
``Y`` is the mean of quarters 2, 3 and 4 of ``Y - 1`` and quarter 1 of ``Y``. A year
without all four quarters is never averaged (left out). The means are rebased so that
the latest complete financial year is 100, rounded to three decimals (as HM Treasury
publishes), and written under a header ``Financial year, YYYY-YY = 100`` below title
rows that say where the figures come from and how they were made.

The result is *not* HM Treasury's file: HM Treasury takes ONS's own financial-year
figures for L8GG (how ONS makes them was not seen; an implied deflator for a year is
commonly money GDP over real GDP for that year, which a plain mean of the published
quarters only approximates) and extends them with OBR forecasts. The output of this
transform was never compared with HM Treasury's published figures (no copy of L8GG's
quarters could be read when it was written); the title rows of the file it writes say
so, and real-terms captions name it (:attr:`cscwatch.ingest.finance.DeflatorSeries.source`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from cscwatch.core.errors import SchemaError
from cscwatch.ingest.finance import ONS_MADE_TITLE, csv_rows

__all__ = [
    "L8GG_URL",
    "ONS_METADATA",
    "OnsSeries",
    "financial_year_means",
    "is_ons_series",
    "read_ons_series",
    "write_financial_year_index",
]

#: ONS's always-latest CSV of series L8GG (Quarterly National Accounts).
L8GG_URL = (
    "https://www.ons.gov.uk/generator?format=csv&uri=/economy/grossdomesticproductgdp/"
    "timeseries/l8gg/qna"
)

#: The metadata rows ONS's generator writes before the data, in its order.
ONS_METADATA = (
    "Title",
    "CDID",
    "Source dataset ID",
    "PreUnit",
    "Unit",
    "Release date",
    "Next release",
    "Important notes",
)

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4}) Q([1-4])$")
_MONTH = re.compile(r"^(\d{4}) (JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)$")


@dataclass(frozen=True)
class OnsSeries:
    """One ONS time series as its generator CSV gives it.

    Attributes
    ----------
    metadata : dict of str to str
        The metadata rows by name (``Title``, ``CDID``, ``Release date`` ...).
    years : dict of int to float
        Calendar-year values.
    quarters : dict of (int, int) to float
        Values by (calendar year, quarter 1 to 4).
    """

    metadata: dict[str, str]
    years: dict[int, float]
    quarters: dict[tuple[int, int], float]

    @property
    def cdid(self) -> str:
        """The series identifier (``L8GG``)."""
        return self.metadata.get("CDID", "")


def is_ons_series(path: Path) -> bool:
    """Whether ``path`` starts like ONS's generator CSV (a ``Title`` row, then ``CDID``)."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            first, second = next(reader, []), next(reader, [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return bool(first and second and first[0].strip() == "Title" and second[0].strip() == "CDID")


def read_ons_series(path: Path) -> OnsSeries:
    """Read one series from ONS's generator CSV.

    Raises
    ------
    SchemaError
        When the metadata rows are not ONS's, a row is neither metadata nor a year,
        quarter or month, a value is not a number, a period appears twice, or the
        file holds more than one series.
    SourceFileError
        When the file is unreadable or not CSV.
    """
    rows = csv_rows(path)
    metadata: dict[str, str] = {}
    years: dict[int, float] = {}
    quarters: dict[tuple[int, int], float] = {}
    seen: set[str] = set()
    for r, row in enumerate(rows, start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        label = row[0].strip()
        if len(row) > 2 and any(cell.strip() for cell in row[2:]):
            raise SchemaError(
                "more than one series in the file (one column of values expected)",
                path=str(path),
                row=r,
            )
        value = row[1].strip() if len(row) > 1 else ""
        if label in ONS_METADATA:
            if years or quarters or label in metadata:
                raise SchemaError(f"metadata row {label!r} out of place", path=str(path), row=r)
            metadata[label] = value
            continue
        if not (_YEAR.match(label) or _QUARTER.match(label) or _MONTH.match(label)):
            raise SchemaError(
                "row is neither ONS metadata nor a year, quarter or month",
                path=str(path),
                row=r,
                column="1",
            )
        if label in seen:
            raise SchemaError(f"period {label} appears twice", path=str(path), row=r)
        seen.add(label)
        if not value:
            continue  # a hole in the series
        try:
            number = float(value)
        except ValueError:
            raise SchemaError(
                f"the value for {label} is not a number", path=str(path), row=r, column="2"
            ) from None
        if m := _YEAR.match(label):
            years[int(m.group(1))] = number
        elif m := _QUARTER.match(label):
            quarters[(int(m.group(1)), int(m.group(2)))] = number
    missing = [name for name in ONS_METADATA[:2] if name not in metadata]
    if missing:
        raise SchemaError(
            "not ONS's time-series CSV: no " + " or ".join(missing) + " row", path=str(path)
        )
    return OnsSeries(metadata=metadata, years=years, quarters=quarters)


def financial_year_means(quarters: dict[tuple[int, int], float]) -> dict[int, float]:
    """Mean of each financial year's four quarters, by year ending 31 March.

    The year ending 31 March ``Y`` takes quarters 2, 3, 4 of ``Y - 1`` and quarter 1
    of ``Y``; a year missing any of them is left out, never averaged over fewer.
    """
    out: dict[int, float] = {}
    starts = sorted({year for year, _ in quarters})
    for start in starts:
        wanted = [(start, 2), (start, 3), (start, 4), (start + 1, 1)]
        if all(q in quarters for q in wanted):
            out[start + 1] = sum(quarters[q] for q in wanted) / 4.0
    return out


def write_financial_year_index(series: OnsSeries, dest: Path) -> int:
    """Write ``series``' financial-year means, rebased, in HM Treasury's layout.

    Returns
    -------
    int
        The number of financial years written.

    Raises
    ------
    SchemaError
        When the series has no complete financial year, or a mean is not positive.
    """
    means = financial_year_means(series.quarters)
    if not means:
        raise SchemaError(
            f"series {series.cdid or '?'} has no financial year with all four quarters"
        )
    base = max(means)
    if means[base] <= 0:
        raise SchemaError(f"series {series.cdid or '?'} is not positive in its latest year")
    label = f"{base - 1}-{base % 100:02d}"
    meta = series.metadata
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            f"{ONS_MADE_TITLE} series {series.cdid}, made by cscwatch fetch (not HM "
            "Treasury's published file)"
        ]
    )
    writer.writerow(
        [
            f"Source: ONS, {meta.get('Title', '')} (CDID {series.cdid}, dataset "
            f"{meta.get('Source dataset ID', '')}), release date {meta.get('Release date', '')}"
            f"; unit {meta.get('Unit', '')}"
        ]
    )
    writer.writerow(
        [
            "Financial year April to March: the mean of quarters 2, 3 and 4 of one calendar "
            "year and quarter 1 of the next; a year without all four quarters is left out. "
            f"Rebased so that {label} (the latest complete year) = 100; three decimals."
        ]
    )
    writer.writerow(
        [
            "Never compared with HM Treasury's published deflators, which take ONS's own "
            "financial-year figures and add OBR forecasts."
        ]
    )
    writer.writerow(["Financial year", f"{label} = 100"])
    for year, value in sorted(means.items()):
        writer.writerow([f"{year - 1}-{year % 100:02d}", f"{value / means[base] * 100:.3f}"])
    Path(dest).write_text(out.getvalue(), encoding="utf-8")
    return len(means)
