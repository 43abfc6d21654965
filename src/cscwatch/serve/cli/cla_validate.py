"""``cscwatch cla validate``: check an SSDA903 return against DfE's rules for a year.

Modelled on ``cin validate`` (same option names and exit codes). The library does the
work (:func:`cscwatch.childlevel.ssda903.validation.validate_return`); this module parses
the options and formats the report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Annotated, Any

import typer

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.serve.cli import closed_everything
from cscwatch.serve.cli._child import MemoryLimitOpt
from cscwatch.serve.cli._output import (
    check_format,
    check_out,
    emit_table,
    write_byte_chunks,
    write_chunks,
)
from cscwatch.serve.cli._progress import QuietOpt, progress_bar
from cscwatch.serve.cli.cla import cla_app

__all__ = ["PeriodOpt", "ReturnFilesArg", "RuleOpt", "RulesetOpt", "ShowIdsOpt", "validate"]

_FORMATS = ("table", "json", "csv", "xlsx")
#: Up to this many findings the table lists each; beyond it, counts per rule.
_TABLE_LIMIT = 200

# Options ``cla validate`` and ``cla check`` share, declared once.
ReturnFilesArg = Annotated[
    list[Path],
    typer.Argument(help="The return: its CSV files (or their directory) or its XML export."),
]
RulesetOpt = Annotated[
    str, typer.Option("--ruleset", "-r", help="Collection year of the rules, e.g. 2024-25.")
]
PeriodOpt = Annotated[
    str | None,
    typer.Option(
        "--period",
        help="Check the return's dates against this collection year (e.g. 2017-18) "
        "instead of the ruleset's own.",
    ),
]
ShowIdsOpt = Annotated[
    bool,
    typer.Option(
        "--show-la-child-id",
        help="Show the authority's own CHILD beside each finding's pseudonym, for use "
        "on its own machine; read from the files, never stored.",
    ),
]
RuleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--rule",
        help="Run only this rule (repeat for several); the others are listed as not run.",
    ),
]


@cla_app.command("validate")
def validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="The return: its CSV files (or their directory) or its XML export (or "
            "use --child-store)."
        ),
    ] = None,
    ruleset: Annotated[
        str | None,
        typer.Option(
            "--ruleset",
            "-r",
            help="Collection year of the rules, e.g. 2024-25 (required with files; with "
            "--child-store, by default each return's own year).",
        ),
    ] = None,
    previous: Annotated[
        list[Path] | None,
        typer.Option(
            "--previous",
            help="The previous year's return (a directory, or repeat for each file); rules "
            "comparing the two years are not run without it.",
        ),
    ] = None,
    period: PeriodOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, json, csv or xlsx (needs --out).")
    ] = "table",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write to this file (required for xlsx)."),
    ] = None,
    show_ids: ShowIdsOpt = False,
    rules: RuleOpt = None,
    postcodes: Annotated[
        bool,
        typer.Option(
            "--postcodes/--no-postcodes",
            help="Look postcodes up for the distance rules (default), or report those "
            "rules as not run.",
        ),
    ] = True,
    la_code: Annotated[
        str | None,
        typer.Option(
            "--la-code",
            help="The placing authority: its DfE number (380), ONS code (E08000032) or "
            "name. Rules comparing a placement's local authority with it are not run "
            "without it.",
        ),
    ] = None,
    providers: Annotated[
        list[Path] | None,
        typer.Option(
            "--providers",
            help="Ofsted's children's homes list and social care providers list (xlsx), "
            "or one combined list (xlsx or csv); repeat for each file. Rules checking "
            "URNs against them are not run without them.",
        ),
    ] = None,
    child_store: Annotated[
        Path | None,
        typer.Option(
            "--child-store",
            help="Validate the returns stored in this child store (cla load), each by its "
            "own year's rules, instead of files.",
        ),
    ] = None,
    years: Annotated[
        list[int] | None,
        typer.Option(
            "--year", "-y", help="With --child-store: this collection year only (repeatable)."
        ),
    ] = None,
    authority: Annotated[
        list[str] | None,
        typer.Option(
            "--authority",
            "-a",
            help="With --child-store: this authority only (LA number, GSS code or name; "
            "repeatable).",
        ),
    ] = None,
    memory_limit: MemoryLimitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Check an SSDA903 return against every DfE validation rule of a collection year.

    Each finding names the rule and its message, the child (pseudonym), the table, the
    row in the file, the rule's fields and their values. Rules that cannot run (not yet
    implemented, or needing the previous year's return, reference postcodes, Ofsted's
    provider lists or the placing authority's code) are listed with the reason in every
    format. Exit code 0 when no
    rule flags a record, 1 when some do, 2 when a file cannot be read, is not part of an
    SSDA903 return, or its dates do not fit the collection year.

    With --child-store and no files: every stored return (or those of --year and
    --authority), each by its own year's rules, the same authority's stored previous
    year as --previous and its LA number as --la-code. Years without DfE rules (before
    2022-23) are refused unless --ruleset names rules to apply to them, which the output
    then states ("rules of 2024-25 applied to 2016-17 returns at your request").
    """
    from cscwatch.childlevel.ssda903.validation import (
        parse_period,
        parse_ruleset,
        validate_return,
    )

    check_format(fmt, _FORMATS)
    if child_store is not None or not files:
        from cscwatch.serve.cli.cla_validate_store import validate_child_store

        if files:
            raise InputError("give the return's files or --child-store, not both")
        if child_store is None:
            raise InputError("give the return's files, or --child-store")
        given: list[tuple[str, object]] = [
            ("--previous", previous),
            ("--period", period),
            ("--la-code", la_code),
            ("--show-la-child-id", show_ids),
        ]
        for name, value in given:
            if value:
                raise InputError(f"{name} does not apply to --child-store (see --help)")
        validate_child_store(
            child_store,
            ruleset=ruleset,
            years=years,
            authorities=authority,
            fmt=fmt,
            out=out,
            rules=rules or None,
            postcodes=postcodes,
            providers=providers or None,
            memory_limit=memory_limit,
            quiet=quiet,
        )
        return
    if ruleset is None:
        raise InputError("give --ruleset (the collection year of the rules, e.g. 2024-25)")
    if years or authority or memory_limit:
        raise InputError("--year, --authority and --memory-limit apply to --child-store only")
    check_out(fmt, out)
    rs = parse_ruleset(ruleset)  # an unknown ruleset or period fails before anything is read
    year = parse_period(period) if period is not None else None
    with progress_bar(quiet) as progress:
        report = validate_return(
            files,
            rs,
            previous or None,
            Settings(),
            period=year,
            postcodes=postcodes,
            keep_child_refs=show_ids,
            rules=rules or None,
            progress=progress,
            la_code=la_code,
            providers=providers or None,
        )
    if fmt == "xlsx":
        assert out is not None
        _write_xlsx(report, out, with_refs=show_ids)
    elif fmt == "json":
        write_byte_chunks(chain(report.json_bytes(with_refs=show_ids), [b"\n"]), out)
    elif fmt == "csv":
        write_chunks(_csv_chunks(report, with_refs=show_ids), out)
    else:
        _table(report, with_refs=show_ids)
    if out is not None:
        typer.echo(str(out), err=True)
    closed_everything()  # the return's database closed (validate_return), the output written
    if report.has_findings:
        raise typer.Exit(code=1)


def _columns(with_refs: bool) -> list[str]:
    cols = ["status", "rule", "message", "child_id", "table", "row_no", "field", "value"]
    if with_refs:
        cols.insert(cols.index("child_id") + 1, "la_child_id")
    return [*cols, "reason"]


def _finding_rows(report: Any, *, with_refs: bool) -> Iterator[tuple[Any, ...]]:
    # Each finding as a row of _columns() (status "finding", no reason), from the
    # report's columns: no object or dict per finding.
    cols = report.finding_columns.columns(with_refs=with_refs)
    n = report.finding_count
    return zip(repeat("finding", n), *cols.values(), repeat(None, n), strict=True)


def _csv_chunks(report: Any, *, with_refs: bool) -> Iterator[str]:
    # Every finding, then every rule not run (status "not run", with the reason); an
    # absent value is an empty cell.
    cols = _columns(with_refs)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    rows = _finding_rows(report, with_refs=with_refs)
    while batch := list(islice(rows, 10_000)):
        writer.writerows(["" if v is None else v for v in r] for r in batch)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    blank = dict.fromkeys(cols, "")
    for n in report.not_run:
        row = {**blank, "status": "not run", "rule": n.code, "message": n.message}
        writer.writerow({**row, "reason": n.reason}.values())
    yield buf.getvalue()


def _write_xlsx(report: Any, out: Path, *, with_refs: bool) -> None:
    # Three sheets: the run, every finding, every rule not run with its reason.
    from openpyxl import Workbook

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "summary"
    for line in report.summary().splitlines():
        summary.append([line])
    summary.append([])
    summary.append(["rule", "findings"])
    for code, n in report.counts_by_rule().items():
        summary.append([code, n])
    findings = book.create_sheet("findings")
    cols = [c for c in _columns(with_refs) if c not in ("status", "reason")]
    findings.append(cols)
    for row in _finding_rows(report, with_refs=with_refs):
        findings.append(list(row[1:-1]))
    not_run = book.create_sheet("not_run")
    not_run.append(["rule", "message", "reason"])
    for n in report.not_run:
        not_run.append([n.code, n.message, n.reason])
    try:
        book.save(out)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from None


def _table(report: Any, *, with_refs: bool) -> None:
    caption = (
        f"ruleset {report.label}, period {report.period_label}: {report.children:,} "
        f"children, {report.episodes:,} episodes; {len(report.rules_run)} rules run; "
        f"{report.finding_count:,} findings; postcodes: {report.postcodes}; "
        + (f"placing authority: {report.placing}; " if report.placing else "")
        + (f"Ofsted lists: {report.providers}; " if report.providers else "")
        + f"{report.seconds:.2f} s"
    )
    if report.has_findings and report.finding_count <= _TABLE_LIMIT:
        headers = ["Rule", "Child", *(["LA child ID"] if with_refs else [])]
        headers += ["Where", "Values", "Message"]
        rows = []
        for f in report.findings:
            row = [f.rule, (f.child_id or "")[:12]]
            if with_refs:
                row.append(f.la_child_id or "")
            row += [f"{f.table}: row {f.row_no}", f.value, f.message]
            rows.append(row)
        emit_table("SSDA903 validation", headers, rows, caption=caption)
    elif report.has_findings:
        messages = report.finding_columns.messages
        rows = [[code, f"{n:,}", messages[code]] for code, n in report.counts_by_rule().items()]
        emit_table(
            "SSDA903 validation: findings per rule",
            ["Rule", "Findings", "Message"],
            rows,
            caption=caption + "; --format csv, json or xlsx lists every finding",
            right=[1],
        )
    else:
        typer.echo(caption)
    by_reason = report.not_run_by_reason()
    if by_reason:
        emit_table(
            "Rules not run",
            ["Reason", "Rules", "Codes"],
            [[reason, str(len(codes)), ", ".join(codes)] for reason, codes in by_reason.items()],
            right=[1],
        )
