"""``cscwatch cla validate --child-store``: the SSDA903 returns in the child store checked
against DfE's rules (:func:`cscwatch.childlevel.ssda903.storevalidation.validate_store`);
this module formats the result. Findings are for the authorities' own use and shown as
for files (exact counts, pseudonyms).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cscwatch.core.errors import InputError
from cscwatch.serve.cli import closed_everything
from cscwatch.serve.cli._child import child_settings
from cscwatch.serve.cli._output import emit_table, write_chunks
from cscwatch.serve.cli._progress import progress_bar

if TYPE_CHECKING:
    from cscwatch.childlevel.ssda903.storevalidation import StoreValidation903

__all__ = ["validate_child_store"]

_COLUMNS = ["la_code", "year", "ruleset", "applied_to", "status", "rule", "message"]
_COLUMNS += ["child_id", "table", "row_no", "field", "value", "reason"]


def validate_child_store(
    child_store: Path,
    *,
    ruleset: str | None,
    years: list[int] | None,
    authorities: list[str] | None,
    fmt: str,
    out: Path | None,
    rules: list[str] | None,
    postcodes: bool,
    providers: list[Path] | None,
    memory_limit: str | None,
    quiet: bool,
) -> None:
    """Validate the stored returns and show them (exit code 1 when any rule flags a record).

    Raises
    ------
    InputError
        A format or option that does not apply, or as
        :func:`~cscwatch.childlevel.ssda903.storevalidation.validate_store`.
    """
    from cscwatch.childlevel.cin.store import connect_child_store
    from cscwatch.childlevel.ssda903.storevalidation import validate_store
    from cscwatch.childlevel.ssda903.validation import parse_ruleset
    from cscwatch.core.files import check_output_path
    from cscwatch.serve.cli.cla_store import resolve_la

    if fmt == "xlsx":
        raise InputError("--child-store writes table, json or csv (xlsx is for one return's files)")
    if out is not None:
        if fmt == "table":
            raise InputError("--out needs --format json or csv")
        if not out.parent.is_dir():
            raise InputError(f"--out {out}: folder {out.parent} does not exist")
        check_output_path(out)
    if ruleset is not None:
        parse_ruleset(ruleset)  # an unknown ruleset fails before the store is opened
    settings = child_settings(child_store, memory_limit)
    la_codes = None
    if authorities:
        from cscwatch.childlevel.ssda903.measures import cla_authority_lookup

        lookup = cla_authority_lookup(settings.snapshot_dir)
        la_codes = [resolve_la(a, settings, lookup) for a in authorities]
    con = connect_child_store(settings, read_only=True)
    try:
        with progress_bar(quiet) as progress:
            result = validate_store(
                con,
                years=years or None,
                la_codes=la_codes,
                ruleset=ruleset,
                settings=settings,
                postcodes=postcodes,
                rules=rules,
                providers=providers,
                progress=progress,
            )
    finally:
        con.close()
    for note in result.notes:
        typer.echo(note, err=True)  # a statement about the findings: never quieted
    if fmt == "json":
        write_chunks(_json_chunks(result), out)
    elif fmt == "csv":
        write_chunks(_csv_chunks(result), out)
    else:
        _table(result)
    if out is not None:
        typer.echo(str(out), err=True)
    closed_everything()  # the store's connection closed (above), the output written
    if result.has_findings:
        raise typer.Exit(code=1)


def _json_chunks(result: StoreValidation903) -> Iterator[str]:
    # {"postcodes", "at_request", "returns": [...]}: each return's report written as
    # ValidationReport903.json_chunks writes it, its store key first.
    yield "{\n"
    yield f'  "postcodes": {json.dumps(result.postcodes)},\n'
    yield f'  "at_request": {json.dumps(list(result.notes))},\n'
    yield '  "returns": ['
    for i, r in enumerate(result.returns):
        head = {
            "la_code": r.la_code,
            "year": r.year,
            "previous_year": r.previous_year,
            "applied_to": r.applied_to,
            "at_request": r.at_request,
        }
        opened = json.dumps(head, indent=2)[:-2] + ",\n"  # drop "\n}" to add the report
        body = "".join(r.report.json_chunks())
        yield ("," if i else "") + "\n" + opened + body.removeprefix("{\n")
    yield "\n  ]\n}\n"


def _csv_chunks(result: StoreValidation903) -> Iterator[str]:
    # Every finding and every rule not run, each row keyed by its return.
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for r in result.returns:
        key = [r.la_code, r.year, r.report.label, r.applied_to or ""]
        cols = r.report.finding_columns.columns()
        for rule, message, child, table, row_no, fld, value in zip(*cols.values(), strict=True):
            writer.writerow(
                [*key, "finding", rule, message, child or "", table, row_no, fld, value, ""]
            )
        for n in r.report.not_run:
            writer.writerow([*key, "not run", n.code, n.message, "", "", "", "", "", n.reason])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


def _table(result: StoreValidation903) -> None:
    rows = [
        [
            r.la_code,
            str(r.year),
            r.report.label + (f" (on {r.applied_to})" if r.applied_to else ""),
            "" if r.previous_year is None else str(r.previous_year),
            str(len(r.report.rules_run)),
            str(len(r.report.not_run)),
            f"{r.report.finding_count:,}",
        ]
        for r in result.returns
    ]
    emit_table(
        "SSDA903 validation of stored returns",
        ["LA", "Year", "Ruleset", "Previous year", "Rules run", "Not run", "Findings"],
        rows,
        caption=f"{result.finding_count:,} findings; postcodes: {result.postcodes}; "
        f"{result.seconds:.1f} s; --format json or csv lists every finding and rule not run",
        right=[4, 5, 6],
    )
