"""The ordered list of loaders that make the warehouse.

Each group of tables contributes one entry; add yours here (one line).
"""

from __future__ import annotations

import duckdb

from cscwatch.indicators.benchmark_table import load_benchmarks
from cscwatch.store.care import load_care_reconciliation
from cscwatch.store.finance import load_finance
from cscwatch.store.inspections import load_inspections
from cscwatch.store.published import (
    load_authorities,
    load_neighbours,
    load_observations,
    load_population,
    load_sources,
    stage_sources,
)
from cscwatch.store.warehouse import BuildContext, Loader

__all__ = ["default_loaders"]


def default_loaders() -> list[tuple[str, Loader]]:
    """The loaders of a full build, in order."""
    return [
        ("staging", stage_sources),
        ("sources", load_sources),
        ("authorities", load_authorities),
        ("provisional returns", _check_provisional),
        ("population", load_population),
        ("statistical neighbours", load_neighbours),
        ("observations", load_observations),
        ("looked-after reconciliation", load_care_reconciliation),
        ("optional finance sources", load_finance),
        ("provisional observations", _load_provisional),
        ("benchmarks", load_benchmarks),
        ("inspections", load_inspections),
    ]


def _check_provisional(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """:func:`~cscwatch.indicators.provisional.check_provisional` (imported only when
    there are provisional folders, as :func:`_load_provisional`): right after the
    authorities, so a refused return costs a second or so, not a whole build."""
    if ctx.provisional_dirs:
        from cscwatch.indicators.provisional import check_provisional

        check_provisional(con, ctx)


def _load_provisional(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """:func:`~cscwatch.indicators.provisional.load_provisional`, imported only when
    there are provisional folders: it brings pandas, which costs a build without them
    about half a second."""
    if ctx.provisional_dirs:
        from cscwatch.indicators.provisional import load_provisional

        load_provisional(con, ctx)
