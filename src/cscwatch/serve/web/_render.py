"""Jinja2 environment, number formatting and the table model every page shares."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from cscwatch.core.catalogue import Indicator, Unit
from cscwatch.core.types import PeriodKind, period_label
from cscwatch.indicators.flags import FLAG_WORDS
from cscwatch.indicators.workbook import DownloadColumn
from cscwatch.serve.web.flags import flag_html as _flag_html

__all__ = [
    "TEMPLATES",
    "Column",
    "Row",
    "Table",
    "fmt_change",
    "fmt_change_cell",
    "fmt_for",
    "fmt_short",
    "fmt_value",
    "render",
    "year_label",
]

TEMPLATES = Path(__file__).parent / "templates"

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def year_label(year: int | None, ind: Indicator | None = None, *, short: bool = False) -> str:
    """A year as its publisher names it: ``ind``'s period (``30 September 2025``,
    ``31 March 2025``, ``2024-25``, ``2024/25``); without an indicator, the reporting
    year ending 31 March (``2024-25``), as an authority's first and last years are."""
    if year is None:
        return ""
    if ind is None:
        return period_label(PeriodKind.FINANCIAL_YEAR, year, short=short)
    return ind.year_label(year, short=short)


def fmt_value(value: float | None, unit: Unit | str, status: str | None = None) -> str:
    """A value for people, in its unit; the publisher's symbol or "no data" if missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return {"c": "suppressed (c)", "x": "not available (x)", "z": "not applicable (z)"}.get(
            status or "", "no data"
        )
    u = Unit(unit)
    if u is Unit.COUNT:
        return f"{value:,.0f}"
    if u is Unit.PERCENT:
        return f"{value:.1f}%"
    if u in (Unit.GBP_PER_CHILD, Unit.GBP):
        return f"£{value:,.0f}"
    if u is Unit.SCORE:
        return f"{value:.1f}"
    return f"{value:,.1f}"


def fmt_short(value: float | None, unit: Unit | str, status: str | None = None) -> str:
    """A value as :func:`fmt_value` writes it, but pounds from a million up written short,
    to three or four significant figures: ``£57.3m``, ``£148.8m``, ``£8.96bn``.

    For the profile's spine charts, whose number columns hold about ten characters at
    desktop widths: written out, England's spend on children's services
    (£16,012,355,892) broke over two lines mid-number. The tables keep every digit."""
    if value is None or not math.isfinite(value) or Unit(unit) is not Unit.GBP:
        return fmt_value(value, unit, status)
    size = abs(value)
    if size < 1e6:
        return fmt_value(value, unit, status)
    sign = "−" if value < 0 else ""
    if round(size / 1e6, 1) < 1000:
        return f"{sign}£{size / 1e6:.1f}m"
    return f"{sign}£{size / 1e9:,.2f}bn"


#: A change in a figure of this unit is in these units (a change in a percentage is in
#: percentage points, not per cent).
_CHANGE_UNITS = {
    Unit.PERCENT: "percentage points",
    Unit.PER_10K: "per 10,000 children",
    Unit.PER_1000: "per 1,000",
}


def fmt_change(change: float | None, unit: Unit | str) -> str:
    """A change between two figures for people, signed and in its own unit:
    ``+1.2 percentage points``, ``−35.0 per 10,000 children``, ``+£1,204``."""
    if change is None or not math.isfinite(change):
        return "no data"
    u = Unit(unit)
    sign = "+" if change > 0 else "−" if change < 0 else ""
    if u in _CHANGE_UNITS:
        return f"{sign}{abs(change):,.1f} {_CHANGE_UNITS[u]}"
    return sign + fmt_value(abs(change), u)


def fmt_change_cell(change: float | None, unit: Unit | str, judgement: str = "") -> Markup:
    """A change for a table cell: the signed figure kept whole on one line and the
    trend's judgement after it, ``+£21,704,561 (increasing)``. A line may break
    between a sign and a pound sign; in a narrow column "+" ended one line and
    "£21,704,561" began the next."""
    if change is None or not math.isfinite(change):
        return Markup("no data")
    cell = Markup('<span class="app-figure">{}</span>').format(fmt_change(change, unit))
    if judgement not in ("n/a", ""):
        cell += f" ({judgement})"
    return cell


def fmt_for(ind: Indicator) -> Callable[[float | None], str]:
    """A one-argument formatter for an indicator's unit (for charts)."""
    return lambda v: fmt_value(v, ind.unit)


#: Download columns that hold a figure in the table's unit.
_FIGURE_COLUMNS = frozenset(
    {
        "value",
        "authority",
        "sn_mean",
        "sn_median",
        "region",
        "england",
        "change_1y",
        "flag_centre",
        "flag_lower",
        "flag_upper",
        "chance_lower",
        "chance_upper",
    }
)


@dataclass(frozen=True)
class Column:
    """One column: its heading and whether it is numeric (right-aligned)."""

    label: str
    numeric: bool = False


@dataclass(frozen=True)
class Row:
    """One row: formatted cells, raw values (for CSV), an optional link on the first cell."""

    cells: Sequence[str]
    raw: Sequence[Any] = ()
    href: str | None = None
    highlight: bool = False


@dataclass
class Table:
    """A table shown on a page and offered as a CSV download."""

    id: str
    caption: str
    columns: Sequence[Column]
    rows: list[Row] = field(default_factory=list)
    csv_href: str | None = None
    #: Machine-readable CSV headings for the rows' ``raw`` values (default: the labels).
    csv_columns: Sequence[str] | None = None
    #: Leading columns every downloaded row repeats, as ``(name, value)``: what the
    #: table is about (the authority's code and name, the indicator, its unit).
    context: Sequence[tuple[str, Any]] = ()
    #: The indicators its figures are of (the download's metadata sheet describes them).
    indicators: Sequence[str] = ()
    #: The unit of its numeric columns when they share one (for the metadata sheet).
    unit: str = ""

    def csv_header(self) -> list[str]:
        """The CSV's heading row."""
        return [n for n, _ in self.context] + list(
            self.csv_columns or [c.label for c in self.columns]
        )

    def csv_rows(self) -> list[Sequence[Any]]:
        """Raw values where given (numbers unformatted), else the formatted cells."""
        lead = [v for _, v in self.context]
        return [[*lead, *(r.raw if r.raw else r.cells)] for r in self.rows]

    @property
    def xlsx_href(self) -> str | None:
        """Where the table is served as an Excel workbook (beside its CSV)."""
        if self.csv_href is None:
            return None
        path, sep, query = self.csv_href.partition("?")
        return path.removesuffix(".csv") + ".xlsx" + sep + query

    def download_columns(self) -> tuple[DownloadColumn, ...]:
        """The download's columns: names, the headings the page shows, units."""
        lead = [DownloadColumn(n) for n, _ in self.context]
        if self.csv_columns is None:
            return (
                *lead,
                *(
                    DownloadColumn(c.label, c.label, self.unit if c.numeric else "")
                    for c in self.columns
                ),
            )
        if len(self.csv_columns) == len(self.columns):
            labels = [c.label for c in self.columns]
        else:
            labels = [""] * len(self.csv_columns)
        body = [
            DownloadColumn(n, label, self.unit if n in _FIGURE_COLUMNS else "")
            for n, label in zip(self.csv_columns, labels, strict=True)
        ]
        return (*lead, *body)


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """Render a page template to an HTML response."""
    currency = getattr(request.state, "data_currency", None)
    html = _env.get_template(template).render(request=request, currency=currency, **context)
    return HTMLResponse(html, status_code=status)


_env.globals["year_label"] = year_label
_env.globals["period_label"] = period_label
_env.filters["year_label"] = year_label
_env.filters["fmt"] = fmt_value
_env.filters["fmt_change"] = fmt_change
_env.filters["flag_tag"] = _flag_html
_env.globals["FLAG_WORDS"] = FLAG_WORDS
