"""Child-level outputs: ``cscwatch cin synth``, ``cin measures``, ``cin check``, ``cin journeys``.

Added to the ``cin`` command group of :mod:`cscwatch.serve.cli.cin`. Every count shown
from child-level data has passed disclosure control in the library.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.core.progress import report
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
from cscwatch.serve.cli.cin import RulesetOpt, ShowIdsOpt, cin_app

__all__ = ["check", "journeys", "measures", "synth"]


@cin_app.command("synth")
def synth(
    authority: Annotated[
        list[str] | None,
        typer.Option("--authority", "-a", help="Name, GSS code or LA number (repeatable)."),
    ] = None,
    year: Annotated[str, typer.Option("--year", "-y", help="Reporting year, e.g. 2025.")] = "2025",
    years: Annotated[
        str | None,
        typer.Option(
            "--years",
            help="Consecutive years, e.g. 2016-2025: a linked panel of the same children.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same file).")] = 1,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the XML files.")] = Path(
        "synthetic"
    ),
    inject_errors: Annotated[
        str | None,
        typer.Option(
            "--inject-errors",
            help="Comma-separated validation rule codes to break (one record each), or 'all'.",
        ),
    ] = None,
    all_authorities: Annotated[
        bool, typer.Option("--all-authorities", help="Every authority reporting in the years.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    quiet: QuietOpt = False,
) -> None:
    """Write synthetic CIN census returns calibrated to published figures.

    Each file is marked <SoftwareCode>cscwatch-synthetic</SoftwareCode>, has LAchildIDs
    'SYN' + LA number + two-digit year first seen + serial, and reproduces the
    authority's published referrals, re-referrals, NFA, assessed not in need, episodes,
    plans, section 47 enquiries and conferences, and factors at assessment for the year.
    With --years the years form a linked panel: a child open at 31 March is in the next
    year's return with the same identifiers, and re-referrals and repeat plans link
    across years. Authority-years without published figures are skipped and listed (on
    stderr and in the manifest file written beside the returns). Files are written to a
    staging folder and moved into --out only when all are written.
    """
    from cscwatch.serve.cli.cla_synth import _years
    from cscwatch.synth.cin.panel import MANIFEST, write_panel
    from cscwatch.synth.cin.returns import PublishedFigures

    check_format(fmt)
    wanted = _years(year, years)
    figures = PublishedFigures.of(Settings().snapshot_dir)
    if all_authorities:
        targets = list(dict.fromkeys(a for y in wanted for a in figures.authorities(y)))
    elif authority:
        targets = list(dict.fromkeys(authority))
    else:
        raise InputError("name an --authority or give --all-authorities")
    rules = [r.strip() for r in inject_errors.split(",") if r.strip()] if inject_errors else None
    with progress_bar(quiet) as progress:
        run = write_panel(figures, targets, wanted, seed, out, rules, progress=progress)
    for la, y, why in run.skipped:
        typer.echo(f"skipped {la} {y}: {why}", err=True)
    rows = [
        {
            "file": str(res.path),
            "la_code": res.la_code,
            "la_name": res.la_name,
            "year": res.year,
            "children": res.children,
            "carried_children": res.carried_children,
            "referrals": res.referrals,
            "injected": ",".join(res.injected),
        }
        for res in run.returns
    ]
    skipped = [{"authority": a, "year": y, "reason": why} for a, y, why in run.skipped]
    if fmt == "json":
        emit_json({"seed": seed, "years": list(run.years), "returns": rows, "skipped": skipped,
                   "manifest": str(out / MANIFEST)})  # fmt: skip
    elif fmt == "csv":
        emit_csv(rows)
    else:
        total = sum(int(str(r["referrals"])) for r in rows)
        span = f"{wanted[0]}" if len(wanted) == 1 else f"{wanted[0]} to {wanted[-1]}"
        emit_table(
            f"Synthetic CIN census returns, {span} (seed {seed})",
            ["File", "LA", "Authority", "Children", "Carried in", "Referrals", "Injected"],
            [
                [Path(str(r["file"])).name, str(r["la_code"]), str(r["la_name"]),
                 f"{r['children']:,}", f"{r['carried_children']:,}", f"{r['referrals']:,}",
                 str(r["injected"])]
                for r in rows
            ],
            caption=f"{len(rows)} files, {total:,} referrals; {len(skipped)} authority-years "
            f"skipped (listed on stderr and in {MANIFEST})",
            right=[3, 4, 5],
        )  # fmt: skip


@cin_app.command("measures")
def measures(
    files: Annotated[
        list[Path] | None, typer.Argument(help="CIN census XML returns (or use --child-store).")
    ] = None,
    child_store: Annotated[
        Path | None,
        typer.Option("--child-store", help="Measure every return loaded in this child store."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write one tidy CSV per published layout here."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    memory_limit: MemoryLimitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """The published children in need measures, computed from child-level returns.

    Written in the layouts of the DfE files (b1, c1, c2, c3, c4, d3, d5), marked
    provisional, after disclosure control (1 to 5 shown as c).
    """

    from cscwatch.childlevel.cin.measures import authority_lookup, compute_cin_measures
    from cscwatch.childlevel.cin.store import (
        connect_child_store,
        connect_scratch,
        load_cin_census_files,
    )

    check_format(fmt)
    settings = child_settings(child_store, memory_limit)
    if not files and child_store is None:
        raise InputError("give CIN census files or --child-store")
    with progress_bar(quiet) as progress:
        if files:
            con = connect_scratch(settings)
            try:
                loaded = load_cin_census_files(
                    con, files, settings, require_reference_date=True, progress=progress
                )
            except BaseException:
                con.close()
                raise
            # A return is its bytes: the same file given twice (or two identical files)
            # is one return, measured once, as it is loaded once.
            ids: list[str] | None = list(dict.fromkeys(r.return_id for r in loaded))
        else:
            con = connect_child_store(settings, read_only=True)
            ids = None
        try:
            result = compute_cin_measures(
                con, ids, authorities=authority_lookup(settings.snapshot_dir), progress=progress
            )
        finally:
            con.close()
    if out is not None:
        for p in result.write_csv(out):
            typer.echo(str(p), err=True)
    if fmt == "json":
        typer.echo(result.to_json())
    elif fmt == "csv":
        frame = result.to_frame()
        emit_csv(records(frame), [str(c) for c in frame.columns])
    else:
        _measures_tables(result)


def _measures_tables(result: Any) -> None:
    frame = result.to_frame()
    for (la, year, rid), part in frame.groupby(["la_code", "time_period", "return_id"]):
        emit_table(
            f"Children in need measures, LA {la}, {year} (provisional, from return {rid})",
            ["Layout", "Measure", "Value"],
            [[str(r.layout), str(r.measure), str(r.value)] for r in part.itertuples()],
            right=[2],
        )


@cin_app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="CIN census XML returns.")],
    ruleset: RulesetOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write one tidy CSV per published layout here, and every validation issue "
            "to validation_issues.csv.",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    show_ids: ShowIdsOpt = None,
    memory_limit: MemoryLimitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Validate returns and compute their measures, reading each file once.

    What ``cin validate`` and ``cin measures`` give, from one read and load of the XML
    into one in-memory database. json: {"validation": [one object per file, as cin
    validate], "measures": {layout: rows, as cin measures}}; csv: every issue, as cin
    validate (the measures go to --out); table: the validation table, then the measures.
    Measures are disclosure-controlled (1 to 5 shown as c). Exit code 0 when there are
    no validation errors, 1 when a return has errors (the measures are still shown), 2
    when a file cannot be read or is not a CIN census return.
    """

    from cscwatch.childlevel.cin.measures import authority_lookup, compute_cin_measures
    from cscwatch.childlevel.cin.store import (
        connect_scratch,
        load_cin_census,
        load_cin_census_files,
    )
    from cscwatch.childlevel.cin.validation import parse_ruleset, validate_returns
    from cscwatch.serve.cli.cin import (
        _columns,
        _emit_reports,
        _interactive,
        _issue_rows,
        _report_json,
    )

    check_format(fmt)
    if ruleset is not None:
        parse_ruleset(ruleset)  # fail before reading anything
    settings = child_settings(memory_limit=memory_limit)
    keep = len(files) == 1 and show_ids is not False and fmt == "table" and _interactive()
    con = connect_scratch(settings)
    try:
        with progress_bar(quiet) as progress:
            if len(files) == 1:
                loaded = [load_cin_census(con, files[0], settings, keep_child_refs=keep)]
            else:
                loaded = load_cin_census_files(con, files, settings, progress=progress)
            reports = validate_returns(con, loaded, ruleset=ruleset, progress=progress)
            ids = list(dict.fromkeys(r.return_id for r in loaded))
            result = compute_cin_measures(
                con, ids, authorities=authority_lookup(settings.snapshot_dir), progress=progress
            )
    finally:
        con.close()
    issues = _issue_rows(reports)
    if out is not None:
        for p in result.write_csv(out):
            typer.echo(str(p), err=True)
        path = Path(out) / "validation_issues.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["file", *_columns(False)])
            writer.writeheader()
            writer.writerows(issues)
        typer.echo(str(path), err=True)
    if fmt == "json":
        emit_json(
            {
                "validation": [_report_json(r) for r in reports],
                "measures": json.loads(result.to_json()),
            }
        )
    elif fmt == "csv":
        _emit_reports(reports, fmt, with_refs=False)
    else:
        _emit_reports(reports, fmt, with_refs=keep)
        _measures_tables(result)
    if any(r.has_errors for r in reports):
        raise typer.Exit(code=1)


@cin_app.command("journeys")
def journeys(
    files: Annotated[
        list[Path] | None, typer.Argument(help="CIN census XML returns (or use --child-store).")
    ] = None,
    child_store: Annotated[
        Path | None,
        typer.Option("--child-store", help="Use every return loaded in this child store."),
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="Group curves by: none, need, age or need,age.")
    ] = "need",
    horizon: Annotated[
        int, typer.Option("--horizon", help="Days of follow-up shown in the tables.")
    ] = 730,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    memory_limit: MemoryLimitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Children's journeys across returns: time to re-referral and to a repeat plan.

    Kaplan-Meier curves with Greenwood 95% intervals by primary need and age band, and
    yearly cohort tables; counts shown are disclosure-controlled.
    """

    from cscwatch.childlevel.cin.journeys import JourneyModel, journey_counts
    from cscwatch.childlevel.cin.store import (
        connect_child_store,
        connect_scratch,
        load_cin_census_files,
    )

    check_format(fmt)
    groups = [] if by == "none" else [g.strip() for g in by.split(",") if g.strip()]
    settings = child_settings(child_store, memory_limit)
    if not files and child_store is None:
        raise InputError("give CIN census files or --child-store")
    with progress_bar(quiet) as progress:
        con = connect_scratch(settings) if files else connect_child_store(settings, read_only=True)
        try:
            if files:
                load_cin_census_files(con, files, settings, progress=progress)
            report(progress, "linking journeys", 0, None)
            data = journey_counts(con)
        finally:
            con.close()
        report(progress, "fitting curves", 0, None)
        res = JourneyModel(data, groups=groups).fit()
    table = res.to_frame(horizon=horizon)
    if fmt == "json":
        # Disclosure-controlled figures only (JourneyResults.to_json keeps exact curves).
        emit_json(
            {
                "groups": list(res.groups),
                "returns": res.n_returns,
                "summary": res.summary,
                "survival": records(table),
                "cohorts": records(res.cohorts),
            }
        )
        return
    if fmt == "csv":
        emit_csv(records(table), [str(c) for c in table.columns])
        return
    typer.echo(res.summary)
    emit_table(
        "Survival: share not yet re-referred / not yet on a new plan",
        ["Event", "Group", "Day", "At risk", "Events so far", "S(t)", "95% CI"],
        [
            [str(r["event"]), str(r["group"]), str(r["day"]), str(r["at_risk"]),
             str(r["events"]), fmt_estimate(r["survival"]),
             f"{fmt_estimate(r['lower'])}-{fmt_estimate(r['upper'])}"]
            for r in records(table)
        ],
        right=[2, 3, 4, 5],
    )  # fmt: skip
