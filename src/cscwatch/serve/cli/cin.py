"""Child-level CIN census commands: ``cscwatch cin validate`` and ``cscwatch cin load``.

Other child-level commands (``measures``, ``journeys``, ``synth``, ``check``) add
themselves to :data:`cin_app` from ``cin_outputs``, which
:func:`cscwatch.serve.cli._register` imports after this module (so neither imports the
other both ways).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.serve.cli import app
from cscwatch.serve.cli._output import check_format, emit_csv, emit_json, emit_table

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
    bool,
    typer.Option(
        "--show-la-child-id/--hide-la-child-id",
        help="In an interactive table for one file, show the authority's own LAchildID "
        "beside each issue (never in json or csv, never stored).",
    ),
]
app.add_typer(cin_app, name="cin")

_ISSUE_COLUMNS = [
    "rule", "rule_type", "message", "child_seq", "child_id", "table", "field", "record",
]  # fmt: skip


def _interactive() -> bool:
    return sys.stdout.isatty()


@cin_app.command("validate")
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="CIN census XML returns (or use --child-store).")
    ] = None,
    ruleset: RulesetOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    show_ids: ShowIdsOpt = True,
    child_store: Annotated[
        Path | None,
        typer.Option(
            "--child-store",
            help="Validate every return loaded in this child store (cin load), without "
            "reading the XML again.",
        ),
    ] = None,
) -> None:
    """Check returns against every DfE validation rule of their collection year.

    One file: its issues. Several: read in parallel and checked in one pass; the table
    summarises each file, json is a list with one object per file, csv has every issue.
    With --child-store and no files, the returns loaded there (file is then empty).
    Exit code 0 when there are no errors (queries may remain), 1 when a return has
    validation errors, 2 when a file cannot be read or is not a CIN census return.
    """
    from cscwatch.childlevel.cin.validation import (
        validate_cin_census,
        validate_cin_census_files,
        validate_store,
    )

    check_format(fmt)
    keep = False
    if files and len(files) == 1:
        keep = show_ids and fmt == "table" and _interactive()
        reports = [validate_cin_census(files[0], Settings(), ruleset=ruleset, keep_child_refs=keep)]
    elif files:
        reports = validate_cin_census_files(files, Settings(), ruleset=ruleset)
    elif child_store is not None:
        from cscwatch.childlevel.cin.store import connect_child_store

        con = connect_child_store(Settings(child_store=child_store), read_only=True)
        try:
            reports = validate_store(con, ruleset=ruleset)
        finally:
            con.close()
    else:
        raise InputError("give CIN census files or --child-store")
    _emit_reports(reports, fmt, with_refs=keep)
    if any(r.has_errors for r in reports):
        raise typer.Exit(code=1)


def _emit_reports(reports: list[Any], fmt: str, *, with_refs: bool) -> None:
    # Validation reports in the chosen format (one object for one report in json).
    if fmt == "json":
        objects = [_report_json(r) for r in reports]
        emit_json(objects[0] if len(objects) == 1 else objects)
    elif fmt == "csv":
        emit_csv(_issue_rows(reports), ["file", *_ISSUE_COLUMNS])
    elif len(reports) == 1:
        _validate_table(reports[0], with_refs=with_refs)
    else:
        _summary_table(reports)


def _label(report: Any) -> str:
    # The file's name, or the return's id for a return read from the child store.
    return report.path.name if report.path is not None else f"return {report.return_id}"


def _issue_rows(reports: list[Any]) -> list[dict[str, Any]]:
    return [
        {"file": "" if r.path is None else str(r.path), **_issue_row(i)}
        for r in reports
        for i in r.issues
    ]


def _issue_row(issue: Any) -> dict[str, Any]:
    return {c: getattr(issue, c) for c in _ISSUE_COLUMNS}


def _report_json(report: Any) -> dict[str, Any]:
    return {
        "file": None if report.path is None else str(report.path),
        "return_id": report.return_id,
        "ruleset": report.ruleset,
        "rules_run": len(report.rules_run),
        "children": report.children,
        "referrals": report.referrals,
        "errors": report.errors,
        "queries": report.queries,
        "issues": [_issue_row(i) for i in report.issues],
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
                r.ruleset,
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
    headers += ["Pseudonym", "Where", "Field", "Message"]
    rows = []
    for i in report.issues:
        row = [i.rule, i.rule_type, "" if i.child_seq is None else str(i.child_seq)]
        if with_refs:
            row.append(i.la_child_id or "")
        row += [(i.child_id or "")[:12], f"{i.table}: {i.record}", i.field, i.message]
        rows.append(row)
    verdict = "errors found" if report.has_errors else "no errors"
    caption = (
        f"{_label(report)}: ruleset {report.ruleset}, {len(report.rules_run)} rules, "
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
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
) -> None:
    """Load returns into the child store, pseudonymising identifiers on the way in.

    A return loaded again (same bytes) replaces itself. Counts shown are
    disclosure-controlled (1 to 5 shown as c).
    """
    from cscwatch.childlevel.cin.store import connect_child_store, load_cin_census_files
    from cscwatch.indicators.disclosure import disclose_count

    check_format(fmt)
    settings = Settings(child_store=child_store) if child_store is not None else Settings()
    con = connect_child_store(settings)
    try:
        loaded = load_cin_census_files(con, files, settings)
    finally:
        con.close()
    rows = [
        {
            "file": str(r.path),
            "return_id": r.return_id,
            "la_code": r.header.la_code,
            "collection_year": r.header.collection_year,
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
            ["File", "Return", "LA", "Year", "Children", "Referrals", "Synthetic"],
            [
                [
                    Path(r["file"]).name,
                    str(r["return_id"]),
                    str(r["la_code"] or ""),
                    str(r["collection_year"] or ""),
                    str(r["children"]),
                    str(r["referrals"]),
                    "yes" if r["synthetic"] else "no",
                ]
                for r in rows
            ],
            right=[4, 5],
        )
