"""``cscwatch cla check``: validate an SSDA903 return and compute its measures in one process.

What ``cla validate`` and ``cla measures`` give, from one read, pseudonymisation, staging
and postcode look-up of the return (:func:`cscwatch.childlevel.ssda903.check.check_return`),
as ``cin check`` does for the CIN census. The outputs are those of the two commands.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.serve.cli import closed_everything
from cscwatch.serve.cli._output import check_format, emit_json
from cscwatch.serve.cli._progress import QuietOpt, progress_bar
from cscwatch.serve.cli.cla import cla_app
from cscwatch.serve.cli.cla_validate import (
    PeriodOpt,
    ReturnFilesArg,
    RuleOpt,
    RulesetOpt,
    ShowIdsOpt,
)

__all__ = ["check"]

#: The validation's findings file written in ``--out`` (``cla validate --format csv``).
FINDINGS_FILE = "validation_findings.csv"


@cla_app.command("check")
def check(
    files: ReturnFilesArg,
    ruleset: RulesetOpt,
    authority: Annotated[
        str,
        typer.Option(
            "--authority",
            "-a",
            help="The authority whose return it is: LA number, GSS code or name.",
        ),
    ],
    year: Annotated[
        str | None,
        typer.Option(
            "--year",
            "-y",
            help="Collection year of the measures, ending 31 March (default: the period "
            "validated).",
        ),
    ] = None,
    previous: Annotated[
        list[Path] | None,
        typer.Option(
            "--previous",
            help="The previous year's return (a directory, or repeat for each file): for "
            "the rules comparing years and the 2-year stability measures.",
        ),
    ] = None,
    period: PeriodOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=f"Write the measures' tidy CSVs (as cla measures --out) and {FINDINGS_FILE} "
            "(as cla validate --format csv) in this folder.",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    show_ids: ShowIdsOpt = False,
    rules: RuleOpt = None,
    postcodes: Annotated[
        bool,
        typer.Option(
            "--postcodes/--no-postcodes",
            help="Look postcodes up for the distance rules and layout (default), or leave "
            "them out.",
        ),
    ] = True,
    la_code: Annotated[
        str | None,
        typer.Option(
            "--la-code",
            help="The placing authority the PL_LA rules compare with (default: --authority).",
        ),
    ] = None,
    providers: Annotated[
        list[Path] | None,
        typer.Option(
            "--providers",
            help="Ofsted's children's homes and social care providers lists (repeat for "
            "each file); the URN rules are not run without them.",
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Validate an SSDA903 return and compute its measures, reading each file once.

    What ``cla validate --la-code AUTHORITY`` and ``cla measures`` give, from one read,
    pseudonymisation and staging of the return. json: {"validation": as cla validate,
    "measures": as cla measures}; csv: every finding and rule not run, as cla validate
    (the measures go to --out); table: the validation table, then the measures. Measures
    are disclosure-controlled (1 to 5 shown as c); what could not be computed is said
    on stderr. Exit code 0 when no rule flags a record, 1 when some do (the measures are
    still given), 2 for bad input.
    """
    from cscwatch.childlevel.ssda903.check import check_return
    from cscwatch.childlevel.ssda903.engine import collection_period
    from cscwatch.childlevel.ssda903.measures import (
        cla_authority_lookup,
        population_lookup,
        resolve_cla_authority,
    )
    from cscwatch.childlevel.ssda903.validation import parse_period, parse_ruleset
    from cscwatch.core.types import parse_year
    from cscwatch.serve.cli._output import write_byte_chunks, write_chunks
    from cscwatch.serve.cli.cla_outputs import measures_table
    from cscwatch.serve.cli.cla_validate import _csv_chunks, _table

    check_format(fmt)
    if out is not None and out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: not a folder")
    rs = parse_ruleset(ruleset)  # unknown years fail before anything is read
    when = parse_period(period) if period is not None else None
    measured = parse_year(year).end if year is not None else collection_period(rs, when)[1].year
    settings = Settings()
    info = resolve_cla_authority(authority, cla_authority_lookup(settings.snapshot_dir))
    with progress_bar(quiet) as progress:
        result = check_return(
            files,
            rs,
            previous or None,
            settings,
            authority=info,
            year=measured,
            population=population_lookup(settings.snapshot_dir, info.la_code, measured),
            period=when,
            postcodes=postcodes,
            keep_child_refs=show_ids,
            rules=rules or None,
            progress=progress,
            la_code=la_code,
            providers=providers or None,
        )
    report, measures = result.validation, result.measures
    for note in measures.notes:
        typer.echo(f"not computed: {note}", err=True)
    if out is not None:
        for p in measures.write_csv(out):
            typer.echo(str(p), err=True)
        path = out / FINDINGS_FILE
        write_chunks(_csv_chunks(report, with_refs=show_ids), path)
        typer.echo(str(path), err=True)
    if fmt == "json":
        # Each part exactly as its own command prints it (valid JSON, not re-indented).
        sys.stdout.write('{"validation": ')
        write_byte_chunks(report.json_bytes(with_refs=show_ids), None)
        sys.stdout.write(',\n"measures": ')
        emit_json(measures.to_dict())
        sys.stdout.write("}\n")
    elif fmt == "csv":
        write_chunks(_csv_chunks(report, with_refs=show_ids), None)
    else:
        _table(report, with_refs=show_ids)
        measures_table(measures, info)
    closed_everything()  # the return's database closed (check_return), the files written
    if report.has_findings:
        raise typer.Exit(code=1)
