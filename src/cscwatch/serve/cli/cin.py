"""Child-level CIN census commands: ``cscwatch cin validate`` and ``cscwatch cin load``.

Other child-level commands (``measures``, ``journeys``, ``synth``, ``check``) add
themselves to :data:`cin_app` from ``cin_outputs``, which
:func:`cscwatch.serve.cli._register` imports after this module (so neither imports the
other both ways).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cscwatch.core.errors import InputError
from cscwatch.serve.cli import app
from cscwatch.serve.cli._child import MemoryLimitOpt, child_settings
from cscwatch.serve.cli._output import check_format, check_out, emit_csv, emit_json, emit_table
from cscwatch.serve.cli._progress import QuietOpt, progress_bar

__all__ = ["RulesetOpt", "ShowIdsOpt", "cin_app", "load", "validate"]

cin_app = typer.Typer(
    help="Child-level CIN census returns: validate, load, and measure them.",
    no_args_is_help=True,
)

#: Options shared by ``cin validate`` and ``cin check`` (declared once).
RulesetOpt = Annotated[
    str | None,
    typer.Option(
        "--ruleset",
        "-r",
        help="Collection year of the rules, e.g. 2024-25 (default: from each file's "
        "ReferenceDate).",
    ),
]
ShowIdsOpt = Annotated[
    bool | None,
    typer.Option(
        "--show-la-child-id/--hide-la-child-id",
        help="Show the authority's own LAchildID beside each issue, in every format "
        "(table, json, csv, xlsx), for local use; read from the XML, never stored. "
        "Default: shown only in an interactive table for one file.",
    ),
]
app.add_typer(cin_app, name="cin")


#: Formats of ``cin validate``: the usual three, and a spreadsheet written to --out.
_VALIDATE_FORMATS = ("table", "json", "csv", "xlsx")


def _interactive() -> bool:
    return sys.stdout.isatty()


@cin_app.command("validate")
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="CIN census XML returns (or use --child-store).")
    ] = None,
    ruleset: RulesetOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, json, csv or xlsx (xlsx needs --out).")
    ] = "table",
    show_ids: ShowIdsOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write json, csv or xlsx to this file (xlsx needs it)."),
    ] = None,
    child_store: Annotated[
        Path | None,
        typer.Option(
            "--child-store",
            help="Validate every return loaded in this child store (cin load), without "
            "reading the XML again.",
        ),
    ] = None,
    memory_limit: MemoryLimitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Check returns against every DfE validation rule of their collection year.

    One file: its issues. Several: read in parallel and checked in one pass; the table
    summarises each file, json is a list with one object per file, csv and xlsx have
    every issue. Each issue names the record holding the failing field and its value.
    With --ruleset, a file whose ReferenceDate lies in another collection year is
    refused. With --child-store and no files, the returns loaded there (file is then
    empty), each against its own year's rules, refusing years without DfE rules (before
    2022-23); --ruleset then applies the named rules to every stored year (with each
    year's own dates) and says so: "rules of 2022-23 applied to 2016-17 returns at your
    request". Exit code 0 when there are no errors (queries may remain), 1 when a return
    has validation errors, 2 when a file cannot be read, is not a CIN census return or
    does not fit the ruleset.
    """
    from cscwatch.childlevel.cin.validation import (
        parse_ruleset,
        validate_cin_census,
        validate_cin_census_files,
        validate_store,
    )

    check_format(fmt, _VALIDATE_FORMATS)
    check_out(fmt, out)
    if ruleset is not None:
        parse_ruleset(ruleset)  # an unknown ruleset fails before anything is read
    settings = child_settings(child_store, memory_limit)
    if not files and child_store is None:
        raise InputError("give CIN census files or --child-store")
    if not files and show_ids:
        raise InputError(
            "--show-la-child-id: the child store keeps no LAchildID (only pseudonyms); "
            "validate the XML files to see the authority's own IDs"
        )
    keep = bool(show_ids)
    if show_ids is None:
        keep = bool(files) and len(files or []) == 1 and fmt == "table" and _interactive()
    with progress_bar(quiet) as progress:
        if files and len(files) == 1:
            reports = [
                validate_cin_census(files[0], settings, ruleset=ruleset, keep_child_refs=keep)
            ]
        elif files:
            reports = validate_cin_census_files(
                files, settings, ruleset=ruleset, keep_child_refs=keep, progress=progress
            )
        else:
            from cscwatch.childlevel.cin.store import connect_child_store

            con = connect_child_store(settings, read_only=True)
            try:
                reports = validate_store(con, ruleset=ruleset, progress=progress)
            finally:
                con.close()
    for note in dict.fromkeys(r.at_request for r in reports if r.at_request):
        typer.echo(note, err=True)  # a statement about the findings: never quieted
    if fmt == "xlsx":
        assert out is not None
        _write_xlsx(reports, out, with_refs=keep)
    elif out is not None:
        try:
            with out.open("w", encoding="utf-8") as fh, contextlib.redirect_stdout(fh):
                _emit_reports(reports, fmt, with_refs=keep)
        except OSError as exc:
            raise InputError(f"cannot write {out}: {exc.strerror}") from None
    else:
        _emit_reports(reports, fmt, with_refs=keep)
    if out is not None:
        typer.echo(str(out), err=True)
    if any(r.has_errors for r in reports):
        raise typer.Exit(code=1)


def _columns(with_refs: bool) -> list[str]:
    # The issue columns, with the authority's own ID beside the pseudonym when shown.
    from cscwatch.childlevel.cin.validation import issue_columns

    return issue_columns(with_refs)


def _write_xlsx(reports: list[Any], out: Path, *, with_refs: bool) -> None:
    # One sheet of every issue (as csv), one summary row per return.
    from openpyxl import Workbook

    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "returns"
    summary.append(["file", "return_id", "ruleset", "children", "referrals", "errors",
                    "queries"])  # fmt: skip
    for r in reports:
        summary.append([_label(r), r.return_id, r.ruleset, r.children, r.referrals, r.errors,
                        r.queries])  # fmt: skip
    issues = book.create_sheet("issues")
    cols = ["file", *_columns(with_refs)]
    issues.append(cols)
    for row in _issue_rows(reports, with_refs=with_refs):
        issues.append([row[c] for c in cols])
    try:
        book.save(out)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from None


def _emit_reports(reports: list[Any], fmt: str, *, with_refs: bool) -> None:
    # Validation reports in the chosen format (one object for one report in json).
    if fmt == "json":
        objects = [_report_json(r, with_refs=with_refs) for r in reports]
        emit_json(objects[0] if len(objects) == 1 else objects)
    elif fmt == "csv":
        emit_csv(_issue_rows(reports, with_refs=with_refs), ["file", *_columns(with_refs)])
    elif len(reports) == 1:
        _validate_table(reports[0], with_refs=with_refs)
    else:
        _summary_table(reports)


def _label(report: Any) -> str:
    # The file's name, or the return's id for a return read from the child store.
    return report.path.name if report.path is not None else f"return {report.return_id}"


def _issue_rows(reports: list[Any], *, with_refs: bool = False) -> list[dict[str, Any]]:
    return [
        # a return read from the child store is named by its id (as `cin load` lists it)
        {"file": _label(r) if r.path is None else str(r.path), **_issue_row(i, with_refs=with_refs)}
        for r in reports
        for i in r.issues
    ]


def _issue_row(issue: Any, *, with_refs: bool = False) -> dict[str, Any]:
    return {c: getattr(issue, c) for c in _columns(with_refs)}


def _report_json(report: Any, *, with_refs: bool = False) -> dict[str, Any]:
    return {
        "file": None if report.path is None else str(report.path),
        "return_id": report.return_id,
        "ruleset": report.ruleset,
        "applied_to": report.applied_to,
        "rules_run": len(report.rules_run),
        "children": report.children,
        "referrals": report.referrals,
        "errors": report.errors,
        "queries": report.queries,
        "issues": [_issue_row(i, with_refs=with_refs) for i in report.issues],
    }


def _summary_table(reports: list[Any]) -> None:
    rows = []
    for r in reports:
        counts = r.counts_by_rule()
        top = ", ".join(
            f"{code} ×{n}" for code, n in sorted(counts.items(), key=lambda x: -x[1])[:4]
        )
        rows.append(
            [
                _label(r),
                r.ruleset if r.applied_to is None else f"{r.ruleset} on {r.applied_to}",
                str(r.children),
                str(r.referrals),
                str(r.errors),
                str(r.queries),
                top,
            ]
        )
    failed = sum(1 for r in reports if r.has_errors)
    emit_table(
        "CIN census validation",
        ["File", "Ruleset", "Children", "Episodes", "Errors", "Queries", "Most frequent"],
        rows,
        caption=f"{len(reports)} returns, {failed} with errors; --format json or csv lists "
        "every issue",
        right=[2, 3, 4, 5],
    )


def _validate_table(report: Any, *, with_refs: bool) -> None:
    headers = ["Rule", "Type", "Child", *(["LA child ID"] if with_refs else [])]
    headers += ["Pseudonym", "Where", "Field", "Value", "Message"]
    rows = []
    for i in report.issues:
        row = [i.rule, i.rule_type, "" if i.child_seq is None else str(i.child_seq)]
        if with_refs:
            row.append(i.la_child_id or "")
        row += [(i.child_id or "")[:12], f"{i.table}: {i.record}", i.field,
                "" if i.value is None else i.value, i.message]  # fmt: skip
        rows.append(row)
    verdict = "errors found" if report.has_errors else "no errors"
    caption = (
        f"{_label(report)}: ruleset {report.ruleset}"
        f"{'' if report.at_request is None else f' ({report.at_request})'}, "
        f"{len(report.rules_run)} rules, "
        f"{report.children} children, {report.referrals} referrals — {report.errors} "
        f"errors, {report.queries} queries ({verdict}); {report.seconds:.2f} s"
    )
    if rows:
        emit_table("CIN census validation", headers, rows, caption=caption, right=[2])
    else:
        typer.echo(caption)


@cin_app.command("load")
def load(
    files: Annotated[list[Path], typer.Argument(help="CIN census XML returns.")],
    child_store: Annotated[
        Path | None,
        typer.Option(
            "--child-store",
            help="The child-level DuckDB file (default: CSCWATCH_CHILD_STORE; required).",
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
    """Load returns into the child store, pseudonymising identifiers on the way in.

    Each return is kept under its authority (LEA) and collection year. The same return
    loaded again changes nothing; a different return for an authority and year already
    stored (or given twice) is refused unless --replace is given. The whole load is one
    transaction: a refused or unreadable file (named with its line and element) stops
    it and leaves the store as it was, with no file of the load stored. Counts shown are
    disclosure-controlled (1 to 5 shown as c).
    """
    from cscwatch.childlevel.cin.store import (
        connect_child_store,
        load_cin_census_files,
        stored_returns,
    )
    from cscwatch.indicators.disclosure import disclose_count

    check_format(fmt)
    settings = child_settings(child_store, memory_limit)
    con = connect_child_store(settings)
    try:
        before = stored_returns(con)
        with progress_bar(quiet) as progress:
            loaded = load_cin_census_files(
                con,
                files,
                settings,
                require_reference_date=True,
                same_year="replace" if replace else "refuse",
                progress=progress,
            )
    finally:
        con.close()
    held = set(before.values())

    def status(return_id: str, la: str | None, year: int | None) -> str:
        if return_id in before:
            return "unchanged"
        return "replaced" if ((la or "").strip(), year) in held else "loaded"

    rows = [
        {
            "file": str(r.path),
            "return_id": r.return_id,
            "la_code": r.header.la_code,
            "collection_year": r.header.collection_year,
            "status": status(r.return_id, r.header.la_code, r.header.collection_year),
            "children": disclose_count(r.children),
            "referrals": disclose_count(r.referrals),
            "synthetic": r.header.synthetic,
        }
        for r in loaded
    ]
    if fmt == "json":
        emit_json({"child_store": str(settings.child_store), "returns": rows})
    elif fmt == "csv":
        emit_csv(rows)
    else:
        emit_table(
            f"Loaded into {settings.child_store}",
            ["File", "Return", "LA", "Year", "Status", "Children", "Referrals", "Synthetic"],
            [
                [
                    Path(r["file"]).name,
                    str(r["return_id"]),
                    str(r["la_code"] or ""),
                    str(r["collection_year"] or ""),
                    str(r["status"]),
                    str(r["children"]),
                    str(r["referrals"]),
                    "yes" if r["synthetic"] else "no",
                ]
                for r in rows
            ],
            right=[5, 6],
        )
