"""``cscwatch compare``: authorities side by side, or one among its statistical neighbours."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cscwatch.core.types import parse_period
from cscwatch.serve.cli import app
from cscwatch.serve.cli._output import check_format, emit_csv, emit_json, emit_table, fmt_value

if TYPE_CHECKING:
    from cscwatch.indicators.comparisons import Comparison

__all__ = ["compare"]

_ROLE_WORDS = {
    "authority": "authority",
    "neighbour": "neighbour",
    "chosen": "",
    "region": "region",
    "england": "England",
}


def _rows(c: Comparison) -> list[dict[str, object]]:
    return [
        {
            "indicator": c.indicator,
            "year": c.year,
            "period_label": c.period_label,
            "role": r.role,
            "code": r.code,
            "name": r.name,
            "value": r.value,
            "status": r.status,
            "rank": r.rank,
            "n_ranked": None if r.rank is None else c.n_ranked,
            "rank_basis": c.rank_basis,
            "closeness": r.closeness,
        }
        for r in (*c.rows, *c.comparators)
    ]


@app.command("compare")
def compare(
    authorities: Annotated[
        list[str],
        typer.Argument(
            help="Authorities by name, LA number or GSS code (up to 10; separate with "
            "spaces, or commas inside one quoted argument)."
        ),
    ],
    indicator: Annotated[str, typer.Option("--indicator", "-i", help="Indicator id.")],
    neighbours: Annotated[
        bool,
        typer.Option(
            "--neighbours",
            help="Compare ONE authority with each of its statistical neighbours instead.",
        ),
    ] = False,
    year: Annotated[
        str | None,
        typer.Option("--year", "-y", help="The publisher's year (default: the latest)."),
    ] = None,
    warehouse: Annotated[
        Path | None, typer.Option("--warehouse", help="DuckDB warehouse file.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
) -> None:
    """One indicator for chosen authorities (or one and its neighbours), with each one's
    rank among them (1 = highest value), region and England; symbols kept."""
    from cscwatch.core.catalogue import get_indicator
    from cscwatch.core.config import Settings
    from cscwatch.core.errors import InputError
    from cscwatch.indicators import comparisons
    from cscwatch.store.warehouse import open_warehouse

    check_format(fmt)
    ind = get_indicator(indicator)
    y = parse_period(year, ind.period_kind) if year else None
    names = comparisons.parse_authority_list(authorities)
    settings = Settings(warehouse=warehouse) if warehouse else Settings()
    with open_warehouse(settings) as con:
        if neighbours:
            if len(names) != 1:
                raise InputError(f"--neighbours compares one authority; {len(names)} were given")
            c = comparisons.neighbour_comparison(con, names[0], ind.id, y)
        else:
            c = comparisons.compare(con, names, ind.id, y)
    if fmt == "json":
        emit_json(c.to_dict())
        return
    if fmt == "csv":
        emit_csv(_rows(c))
        return
    ranked = [
        [
            r.name,
            _ROLE_WORDS[r.role] if r.role != "neighbour" else f"neighbour {r.closeness}",
            fmt_value(r.value, ind.unit.value, r.status),
            "" if r.rank is None else f"{r.rank} of {c.n_ranked}",
        ]
        for r in c.rows
    ]
    others = [
        [r.name, _ROLE_WORDS[r.role], fmt_value(r.value, ind.unit.value, r.status), ""]
        for r in c.comparators
    ]
    emit_table(
        f"{ind.title}, {c.period_label}",
        ["authority", "", ind.unit_label, "rank"],
        ranked + others,
        right=(2, 3),
        caption=f"Rank: {c.rank_basis}; {c.relative_to}.",
    )
