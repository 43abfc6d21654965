"""Looked-after children outputs: ``cscwatch cla measures`` and ``cscwatch cla journeys``.

Added to the ``cla`` command group of :mod:`cscwatch.serve.cli.cla`. Every count shown
from child-level data has passed disclosure control in the library.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

import typer

from cscwatch.core.config import Settings
from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import InputError
from cscwatch.core.progress import report, tick
from cscwatch.core.types import parse_year
from cscwatch.serve.cli._child import MemoryLimitOpt, child_settings
from cscwatch.serve.cli._output import (
    check_format,
    emit_csv,
    emit_json,
    emit_table,
    fmt_estimate,
    records,
)
from cscwatch.serve.cli._progress import QuietOpt, progress_bar
from cscwatch.serve.cli.cla import cla_app
from cscwatch.serve.cli.cla_store import resolve_la

__all__ = ["journeys", "measures", "measures_table"]


def _read(paths: list[Path], settings: Settings) -> Any:
    # CSV files, a folder of them or an XML export; a return marked synthetic (written by
    # ``cla synth``) may use the public demo key, any other needs the configured key.
    from cscwatch.childlevel.ssda903.reader import read_return

    return read_return(paths, settings=settings)


def _postcode_reference(returns: list[Any], settings: Settings) -> Any:
    # Grid references of the returns' postcodes; None when the package is absent.
    from cscwatch.childlevel.ssda903.postcodes import episode_postcodes, reference_postcodes

    return reference_postcodes(episode_postcodes(r.tables for r in returns), settings.cache_dir)


@cla_app.command("measures")
def measures(
    year: Annotated[
        str | None,
        typer.Option(
            "--year",
            "-y",
            help="Collection year ending 31 March, e.g. 2025 (with --child-store: default "
            "every stored year).",
        ),
    ] = None,
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="The return's CSV files (or a folder of them); or --child-store."),
    ] = None,
    authority: Annotated[
        str | None,
        typer.Option(
            "--authority",
            "-a",
            help="LA number, GSS code or name (with --child-store: default every authority "
            "stored for the year).",
        ),
    ] = None,
    previous: Annotated[
        list[Path] | None,
        typer.Option(
            "--previous",
            help="The previous year's return (files or a folder; repeatable): needed for "
            "the 2-year and 2.5-year placement stability measures.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write one tidy CSV per layout (and .meta.csv) here."),
    ] = None,
    postcodes: Annotated[
        bool,
        typer.Option(
            "--postcodes/--no-postcodes",
            help="Look the return's postcodes up for the distance layout (default), or "
            "leave the layout out.",
        ),
    ] = True,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    child_store: Annotated[
        Path | None,
        typer.Option(
            "--child-store",
            help="Measure the returns stored by cla load (the previous year's return is "
            "the same authority's stored one) instead of files.",
        ),
    ] = None,
    memory_limit: MemoryLimitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """The published looked-after children measures, computed from an SSDA903 return.

    Written in the layouts of the DfE files (numbers and rates; placement stability) and
    in the same tidy conventions for characteristics, distance, missing, care leavers
    and adoption, marked provisional, after disclosure control (1 to 5 shown as c).
    What could not be computed (no previous return, no postcodes) is said. With
    --child-store and no files: the stored returns of the year (of every stored year
    without --year, as cin measures --child-store measures every stored return), each
    authority's measured as its files would be (one authority with --authority, else
    every one stored).
    """
    from cscwatch.childlevel.ssda903.measures import (
        cla_authority_lookup,
        compute_cla_measures,
        population_lookup,
        resolve_cla_authority,
    )

    check_format(fmt)
    y = None if year is None else parse_year(year).end
    if files and child_store is not None:
        raise InputError("give the return's files or --child-store, not both")
    if not files and child_store is None:
        raise InputError("give the return's files or --child-store")
    if child_store is not None:
        if previous:
            raise InputError(
                "--previous: with --child-store the previous year's stored return is used"
            )
        _stored_measures(child_store, memory_limit, authority, y, postcodes, out, fmt, quiet)
        return
    if authority is None or not files:
        raise InputError("--authority: say whose return this is (LA number, GSS code or name)")
    if y is None:
        raise InputError("--year: say which collection year the return is, e.g. 2025")
    settings = child_settings(memory_limit=memory_limit)
    info = resolve_cla_authority(authority, cla_authority_lookup(settings.snapshot_dir))
    with progress_bar(quiet) as progress:
        report(progress, "reading the return", 0, None)
        current = _read(files, settings)
        prev = _read(previous, settings) if previous else None
        ref = None
        if postcodes:
            report(progress, "looking up postcodes", 0, None)
            ref = _postcode_reference([current, *([prev] if prev else [])], settings)
        con = connect_duckdb(memory_limit=settings.memory_limit)
        try:
            result = compute_cla_measures(
                con,
                current.tables,
                la_code=info.la_code,
                year=y,
                previous=prev.tables if prev is not None else None,
                postcodes=ref,
                authority=info,
                population=population_lookup(settings.snapshot_dir, info.la_code, y),
                progress=progress,
            )
        finally:
            con.close()
    _emit_measures([result], out, fmt, f"{info.name} ({info.la_code})")


def _emit_measures(results: list[Any], out: Path | None, fmt: str, who: str) -> None:
    # One return's measures as files, or several authorities' (each in its own folder).
    import pandas as pd

    years = sorted({r.year for r in results})
    for r in results:
        for note in r.notes:
            whose = f"LA {r.la_code}" + (f", {r.year}" if len(years) > 1 else "")
            lead = "not computed" if len(results) == 1 else f"{whose}: not computed"
            typer.echo(f"{lead}: {note}", err=True)
    if out is not None:
        for r in results:
            where = out / str(r.year) / r.la_code if len(years) > 1 else out / r.la_code
            for p in r.write_csv(out if len(results) == 1 else where):
                typer.echo(str(p), err=True)
    if fmt == "json":
        objects = [r.to_dict() for r in results]
        emit_json(objects[0] if len(objects) == 1 else objects)
        return
    frame = pd.concat([r.to_frame() for r in results], ignore_index=True)
    if fmt == "csv":
        emit_csv(records(frame), [str(c) for c in frame.columns])
        return
    _measures_table(frame, who, years, many=len(results) > 1)


def measures_table(result: Any, info: Any) -> None:
    """Print a return's measures (:class:`~cscwatch.childlevel.ssda903.measure_results.ClaMeasures`)
    as a table for people (also ``cla check``'s)."""
    _measures_table(result.to_frame(), f"{info.name} ({info.la_code})", [result.year], many=False)


def _measures_table(frame: Any, who: str, years: list[int], *, many: bool) -> None:
    source = "the authorities' own returns" if many else "the authority's own return"
    when = (
        f"year ending 31 March {years[0]}"
        if len(years) == 1
        else f"years ending 31 March {years[0]} to {years[-1]}"
    )
    lead = ["LA"] if many else []
    if len(years) > 1:
        lead.append("Year")
    emit_table(
        f"Looked-after children measures, {who}, {when} (provisional, from {source})",
        [*lead, "Layout", "Row", "Measure", "Value"],
        [[*([str(r.la_code)] if many else []),
          *([str(r.time_period)] if len(years) > 1 else []),
          str(r.layout), str(r.filters), str(r.measure), str(r.value)]
         for r in frame.itertuples()],
        right=[len(lead) + 3],
    )  # fmt: skip


def _stored_measures(
    child_store: Path,
    memory_limit: str | None,
    authority: str | None,
    year: int | None,
    postcodes: bool,
    out: Path | None,
    fmt: str,
    quiet: bool,
) -> None:
    # cla measures --child-store: every stored return of the year, or of every stored
    # year (or one authority's).
    from cscwatch.childlevel.cin.store import connect_child_store
    from cscwatch.childlevel.ssda903.measures import cla_authority_lookup, population_lookup
    from cscwatch.childlevel.ssda903.postcodes import reference_postcodes
    from cscwatch.childlevel.ssda903.store import measure_store, stored_postcodes, stored_years

    settings = child_settings(child_store, memory_limit)
    lookup = cla_authority_lookup(settings.snapshot_dir, former=True)  # old returns too
    la = None if authority is None else resolve_la(authority, settings)
    codes = None if la is None else [la]
    con = connect_child_store(settings, read_only=True)
    try:
        years = [year] if year is not None else stored_years(con, codes)
        with progress_bar(quiet) as progress:
            ref = None
            if postcodes:
                report(progress, "looking up postcodes", 0, None)
                wanted = stored_postcodes(con, years, codes)
                ref = reference_postcodes(wanted, settings.cache_dir)
            results = []
            for y in years:
                results += measure_store(
                    con,
                    y,
                    codes,
                    postcodes=ref,
                    authorities=lookup,
                    population=functools.partial(population_lookup, settings.snapshot_dir, year=y),
                    progress=progress,
                )
    finally:
        con.close()
    who = f"{lookup[la].name} ({la})" if la in lookup else "every authority stored"
    _emit_measures(results, out, fmt, who if la is None or la in lookup else f"LA {la}")


@cla_app.command("journeys")
def journeys(
    return_dirs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="One folder of CSV files per year's return, any order; or --child-store."
        ),
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="Group curves by: none, age, placement or age,placement.")
    ] = "age",
    cin: Annotated[
        list[Path] | None,
        typer.Option(
            "--cin",
            help="CIN census XML returns of the same authority (repeatable): adds the time "
            "from first referral to entering care.",
        ),
    ] = None,
    horizon: Annotated[
        int, typer.Option("--horizon", help="Days of follow-up shown in the tables.")
    ] = 730,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    child_store: Annotated[
        Path | None,
        typer.Option(
            "--child-store",
            help="Follow the returns stored by cla load (every authority, or --authority's) "
            "instead of folders.",
        ),
    ] = None,
    authority: Annotated[
        str | None,
        typer.Option(
            "--authority",
            "-a",
            help="With --child-store: one authority (LA number, GSS code or name).",
        ),
    ] = None,
    memory_limit: MemoryLimitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Care journeys across years of returns: time in care, placement moves, returns home
    and re-entry, as Kaplan-Meier curves.

    Each folder's collection year is the year ending 31 March that holds its latest
    DECOM. Curves (Greenwood 95% intervals) are fitted overall and by age band or
    placement type at the start of the clock; counts shown are disclosure-controlled.
    With --child-store: the stored returns, in the database under --memory-limit; a
    child is followed within one authority, each authority from its first stored year
    to its last (CIN census returns stored there add the referral-to-care clock).
    """
    from cscwatch.childlevel.cin.store import connect_child_store, connect_scratch
    from cscwatch.childlevel.ssda903.journeys import ClaJourneyModel, cla_journey_counts
    from cscwatch.childlevel.ssda903.store import (
        ReturnYear,
        infer_collection_year,
        load_returns,
    )

    check_format(fmt)
    groups = [] if by == "none" else [g.strip() for g in by.split(",") if g.strip()]
    if return_dirs and child_store is not None:
        raise InputError("give folders of returns or --child-store, not both")
    if child_store is not None:
        if cin:
            raise InputError("--cin: with --child-store, load the CIN returns there (cin load)")
        settings = child_settings(child_store, memory_limit)
        la = None if authority is None else resolve_la(authority, settings)
        with progress_bar(quiet) as progress:
            report(progress, "linking journeys", 0, None)
            con = connect_child_store(settings, read_only=True)
            try:
                years = _stored_years(con, la)
                data = cla_journey_counts(con, stored=True, authority=la)
            finally:
                con.close()
            report(progress, "fitting curves", 0, None)
            res = ClaJourneyModel(data, groups=groups).fit()
        _emit_journeys(res, years, horizon, fmt)
        return
    if authority is not None:
        raise InputError("--authority applies to --child-store")
    if not return_dirs:
        raise InputError("give one folder per year's return, or --child-store")
    settings = child_settings(memory_limit=memory_limit)
    for d in return_dirs:
        if not d.is_dir():
            raise InputError(f"{d}: not a folder (give one folder of CSV files per return)")
    with progress_bar(quiet) as progress:
        returns = []
        for d in tick(return_dirs, progress, "reading returns"):
            tables = _read([d], settings).tables
            returns.append(ReturnYear(infer_collection_year(tables), tables))
        con = connect_scratch(settings)
        try:
            load_returns(con, returns)
            if cin:
                from cscwatch.childlevel.cin.store import load_cin_census_files

                load_cin_census_files(con, cin, settings, progress=progress)
            report(progress, "linking journeys", 0, None)
            data = cla_journey_counts(con)
        finally:
            con.close()
        report(progress, "fitting curves", 0, None)
        res = ClaJourneyModel(data, groups=groups).fit()
    _emit_journeys(res, sorted(r.year for r in returns), horizon, fmt)


def _stored_years(con: Any, la: str | None) -> list[int]:
    # The collection years stored (for the authority).
    from cscwatch.childlevel.ssda903.store import stored_returns

    stored = stored_returns(con)
    if la is not None:
        stored = stored[stored["la_code"] == la]
    return sorted({int(y) for y in stored["year"]})


def _emit_journeys(res: Any, years: list[int], horizon: int, fmt: str) -> None:
    table = res.to_frame(horizon=horizon)
    if fmt == "json":
        emit_json(
            {
                "years": years,
                "groups": list(res.groups),
                "summary": res.summary,
                "survival": records(table),
                "cohorts": records(res.cohorts),
            }
        )
        return
    if fmt == "csv":
        emit_csv(records(table), [str(c) for c in table.columns])
        return
    typer.echo(f"Returns for the years ending 31 March {', '.join(map(str, years))}.")
    typer.echo(res.summary)
    emit_table(
        "Survival: share still without the event (still in care, same placement, not home, "
        "not back in care, not yet in care)",
        ["Clock", "Group", "Day", "At risk", "Events so far", "S(t)", "95% CI"],
        [
            [str(r["event"]), str(r["group"]), str(r["day"]), str(r["at_risk"]),
             str(r["events"]), fmt_estimate(r["survival"]),
             f"{fmt_estimate(r['lower'])}-{fmt_estimate(r['upper'])}"]
            for r in records(table)
        ],
        right=[2, 3, 4, 5],
    )  # fmt: skip
