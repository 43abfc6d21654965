"""A page's table (or a chart's data) as a download: CSV or an Excel workbook.

Every table a page shows has a ``csv_href``; the same address ending ``.xlsx`` serves
the workbook. Both come from one :class:`~cscwatch.indicators.workbook.Download`, built
here from the page's :class:`~cscwatch.serve.web._render.Table`, so the CSV and the
workbook's data sheet always hold the same cells.
"""

from __future__ import annotations

import duckdb
from fastapi import Request
from fastapi.responses import Response

from cscwatch.core.errors import InputError
from cscwatch.indicators.workbook import (
    Download,
    download_csv,
    download_workbook,
    indicator_sources,
)
from cscwatch.serve.web._render import Table

__all__ = ["FORMATS", "table_download", "to_download"]

#: Download formats: the address's suffix → media type.
FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def to_download(
    request: Request, con: duckdb.DuckDBPyConnection, table: Table, *, sources: bool = True
) -> Download:
    """The page's table as a :class:`Download` (with its indicators' sources and the
    warehouse's data currency when ``sources``)."""
    settings = request.app.state.settings
    found = (
        indicator_sources(con, settings.snapshot_dir, list(table.indicators))
        if sources and table.indicators
        else ()
    )
    # the page a download belongs to: /x/tables/t.csv is on /x, /authorities.csv is /authorities
    head, tables, tail = str(request.url.path).rpartition("/tables/")
    path = (head or "/") if tables else tail.rsplit(".", 1)[0]
    query = request.url.query
    page = path + (f"?{query}" if query else "")
    return Download(
        title=table.caption,
        columns=table.download_columns(),
        rows=tuple(tuple(r) for r in table.csv_rows()),
        indicators=tuple(table.indicators),
        page=page,
        currency=getattr(request.state, "data_currency", None),
        sources=found,
    )


def table_download(
    request: Request, con: duckdb.DuckDBPyConnection, table: Table, name: str, fmt: str
) -> Response:
    """The response serving ``table`` as ``name.csv`` or ``name.xlsx``.

    Raises
    ------
    InputError
        ``fmt`` is neither ``csv`` nor ``xlsx``.
    """
    if fmt not in FORMATS:
        raise InputError(f"downloads are .csv or .xlsx, not .{fmt}")
    if fmt == "csv":
        body: str | bytes = download_csv(to_download(request, con, table, sources=False))
    else:
        body = download_workbook(to_download(request, con, table))
    return Response(
        body,
        media_type=FORMATS[fmt],
        headers={"content-disposition": f'attachment; filename="{name}.{fmt}"'},
    )
