"""``cscwatch cla load``: SSDA903 returns into the child store, added to the ``cla`` group
of :mod:`cscwatch.serve.cli.cla`. Counts shown have passed disclosure control.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.serve.cli._child import MemoryLimitOpt, child_settings
from cscwatch.serve.cli._output import check_format, emit_csv, emit_json, emit_table
from cscwatch.serve.cli._progress import QuietOpt, progress_bar
from cscwatch.serve.cli.cla import cla_app

__all__ = ["ChildStoreOpt", "load", "resolve_la"]

#: ``--child-store`` of the ``cla`` commands that read or write the child store.
ChildStoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--child-store",
        help="The child-level DuckDB file (default: CSCWATCH_CHILD_STORE); SSDA903 returns "
        "are stored there by cla load, beside any CIN census returns.",
    ),
]


def resolve_la(text: str, settings: Settings, lookup: dict[str, Any] | None = None) -> str:
    """The LA number an authority's number, GSS code or name stands for (one line on a
    miss: :class:`~cscwatch.core.errors.InputError`); ``lookup`` saves reading the
    snapshot's authorities again."""
    from cscwatch.childlevel.ssda903.measures import cla_authority_lookup, resolve_cla_authority

    if lookup is None:
        lookup = cla_authority_lookup(settings.snapshot_dir)
    if text in lookup:
        return str(lookup[text].la_code)
    if text in cla_authority_lookup(settings.snapshot_dir, former=True):
        return text  # an abolished authority's own number, for its old returns
    return resolve_cla_authority(text, lookup).la_code


@cla_app.command("load")
def load(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="One folder per return (named <LA>_<year> as cla synth writes them, or "
            "give --la-code), or the files of one return."
        ),
    ],
    child_store: ChildStoreOpt = None,
    la_code: Annotated[
        str | None,
        typer.Option(
            "--la-code",
            "-a",
            help="The authority whose returns these are (LA number, GSS code or name); by "
            "default from each folder's name.",
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            "-y",
            help="Collection year ending 31 March; by default from the folder's name, "
            "else the year of the latest DECOM.",
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace a different return already stored for the same authority and year.",
        ),
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    memory_limit: MemoryLimitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Store SSDA903 returns in the child store, pseudonymising identifiers on the way in.

    Each return is kept under its authority and collection year. The same return loaded
    again changes nothing; a different return for an authority and year already stored
    is refused unless --replace is given. The load is one transaction: on any error
    nothing is stored. Counts shown are disclosure-controlled (1 to 5 shown as c).
    """
    from cscwatch.childlevel.cin.store import connect_child_store
    from cscwatch.childlevel.ssda903.store import ReturnSource, folder_return, load_store_returns
    from cscwatch.indicators.disclosure import disclose_count

    check_format(fmt)
    settings = child_settings(child_store, memory_limit)
    if settings.child_store is None:
        raise InputError("give --child-store (or set CSCWATCH_CHILD_STORE)")
    dirs = [p for p in paths if p.is_dir()]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise InputError(f"{missing[0]}: no such file or folder")
    if dirs and len(dirs) != len(paths):
        raise InputError("give folders (one per return) or the files of one return, not both")
    groups = [(d,) for d in dirs] if dirs else [tuple(paths)]
    from cscwatch.childlevel.ssda903.measures import cla_authority_lookup

    lookup = cla_authority_lookup(settings.snapshot_dir)
    given = resolve_la(la_code, settings, lookup) if la_code is not None else None
    if year is not None and len(groups) > 1:
        raise InputError("--year applies to one return: give one folder (or its files)")
    sources = []
    for group in groups:
        named = folder_return(group[0]) if len(group) == 1 else None
        la = given or (resolve_la(named[0], settings, lookup) if named else None)
        if la is None:
            raise InputError(
                f"{group[0]}: which authority's return is this? give --la-code, or name "
                "the folder <LA number>_<year> (as cla synth does)"
            )
        sources.append(ReturnSource(group, la, year))
    con = connect_child_store(settings)
    try:
        with progress_bar(quiet) as progress:
            stored = load_store_returns(con, sources, settings, replace=replace, progress=progress)
    finally:
        con.close()
    rows = [
        {
            "source": s.source,
            "la_code": s.la_code,
            "year": s.year,
            "status": s.status,
            "return_id": s.return_id[:16],
            "children": disclose_count(s.children),
            "episodes": disclose_count(s.episodes),
            "synthetic": s.synthetic,
        }
        for s in stored
    ]
    if fmt == "json":
        emit_json({"child_store": str(settings.child_store), "returns": rows})
    elif fmt == "csv":
        emit_csv(rows)
    else:
        done = {k: sum(r["status"] == k for r in rows) for k in ("loaded", "replaced", "unchanged")}
        emit_table(
            f"SSDA903 returns in {settings.child_store}",
            ["Source", "LA", "Year", "Status", "Children", "Episodes", "Synthetic"],
            [
                [Path(str(r["source"])).name, str(r["la_code"]), str(r["year"]), str(r["status"]),
                 str(r["children"]), str(r["episodes"]), "yes" if r["synthetic"] else "no"]
                for r in rows
            ],
            caption=", ".join(f"{n} {k}" for k, n in done.items()),
            right=[4, 5],
        )  # fmt: skip
