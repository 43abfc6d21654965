"""Ofsted commands: ``cscwatch ofsted extract``, ``summary``, ``history`` and ``missing``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.serve.cli import app
from cscwatch.serve.cli._output import check_format, emit_csv, emit_json, emit_table
from cscwatch.serve.cli._progress import QuietOpt, progress_bar

__all__ = ["BadDateError", "extract", "history", "missing", "ofsted_app", "summary"]

ofsted_app = typer.Typer(
    help="Ofsted inspection judgements: the published reports and the ILACS overview.",
    no_args_is_help=True,
)
app.add_typer(ofsted_app, name="ofsted")

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table or json.")]
WarehouseOpt = Annotated[
    Path | None, typer.Option("--warehouse", help="DuckDB warehouse file (default: settings).")
]

#: ``--judgement``'s short names; any other judgement code is taken as it is.
_JUDGEMENT_CHOICES = {"overall": "overall_effectiveness", "help_protection": "help_protection"}
_FRAMEWORK_CHOICES = ("sif", "ilacs", "any")
_GRADE_LABEL = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
}


class BadDateError(InputError):
    """A date on the command line that is not ``YYYY-MM-DD``."""

    code = "bad_date"


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadDateError(f"{option} {text!r} is not a date; use YYYY-MM-DD") from None


def _settings(warehouse: Path | None = None) -> Settings:
    return Settings(warehouse=warehouse) if warehouse else Settings()


@ofsted_app.command("extract")
def extract(
    reports: Annotated[
        Path | None,
        typer.Option("--reports", help="Folder of report PDFs (default: shared data)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="CSV to write (default: snapshot ofsted_judgements.csv)."),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", help="Processes for PDF work.")] = 2,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore the cache.")] = False,
    allow_shrink: Annotated[
        bool,
        typer.Option(
            "--allow-shrink",
            help="Replace a table that holds more inspections than the new one "
            "(refused otherwise).",
        ),
    ] = False,
    fmt: FormatOpt = "table",
    quiet: QuietOpt = False,
) -> None:
    """Extract judgements from every report PDF and write the snapshot table.

    Refuses a folder with no report, and a table with fewer inspections than the one
    it would replace unless given --allow-shrink. Writing the snapshot's own table
    updates its checksum in the snapshot manifest.
    """
    from cscwatch.core.files import check_output_path
    from cscwatch.ingest.ofsted_reports import (
        JUDGEMENTS_FILE,
        extract_reports,
        load_provider_lookup,
        write_judgements_csv,
    )

    check_format(fmt, ("table", "json"))
    settings = _settings()
    if out is not None:
        check_output_path(out)
    folder = reports or settings.shared_data / "ofsted" / "reports"
    lookup = load_provider_lookup(settings.snapshot_dir / "provider_lookup.csv")
    cache = None if no_cache else settings.cache_dir / "ofsted"
    with progress_bar(quiet) as progress:
        run = extract_reports(folder, lookup, cache_dir=cache, workers=workers, progress=progress)
    if not run.reports:
        raise InputError(f"no report PDFs in {folder}; nothing was written")
    target = out or settings.snapshot_dir / JUDGEMENTS_FILE
    rows = write_judgements_csv(run.reports, target, allow_shrink=allow_shrink)
    if target.resolve() == (settings.snapshot_dir / JUDGEMENTS_FILE).resolve():
        from cscwatch.ingest.snapshot import rehash_entry

        rehash_entry(settings.snapshot_dir, JUDGEMENTS_FILE)
    problems = [(r.file, p) for r in run.reports for p in r.problems]
    if fmt == "json":
        emit_json(
            {
                "reports": len(run.reports),
                "counts": run.counts(),
                "failed": [
                    {
                        "file": r.file,
                        "reason": r.failure.value if r.failure else None,
                        "detail": r.failure_reason,
                    }
                    for r in run.failed
                ],
                "problems": [{"file": f, "problem": p} for f, p in problems],
                "cache_hits": run.cache_hits,
                "extracted": run.extracted,
                "seconds": round(run.seconds, 3),
                "csv": str(target),
                "rows": rows,
            }
        )
        return
    table_rows = [
        [
            fw,
            str(sum(c.values())),
            str(c.get("graded", 0)),
            str(c.get("ungraded", 0)),
            str(c.get("failed", 0)),
        ]
        for fw, c in run.counts().items()
    ]
    emit_table(
        f"Ofsted reports in {folder}",
        ["framework", "reports", "graded", "ungraded", "failed"],
        table_rows,
        right=(1, 2, 3, 4),
        caption=f"{run.extracted} extracted, {run.cache_hits} from cache, "
        f"{run.seconds:.1f} s; {rows} rows written to {target}",
    )
    for r in run.failed:
        sys.stdout.write(f"skipped {r.file}: {r.failure_reason}\n")
    for file, problem in problems:
        sys.stdout.write(f"check {file}: {problem}\n")


def _load(warehouse: Path | None) -> tuple[list[Any], dict[str, str], list[Any]]:
    from cscwatch.store.inspections import authority_names, authority_periods, read_inspections
    from cscwatch.store.warehouse import open_warehouse

    settings = _settings(warehouse)
    with open_warehouse(settings) as con:
        return (
            read_inspections(con),
            authority_names(con, settings.snapshot_dir),
            authority_periods(con, settings.snapshot_dir),
        )


def _long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


@ofsted_app.command("summary")
def summary(
    as_at: Annotated[
        str | None,
        typer.Option(
            "--as-at",
            help="Date, YYYY-MM-DD (default: the date the Ofsted record runs to).",
        ),
    ] = None,
    judgement: Annotated[
        str,
        typer.Option(
            "--judgement",
            help="overall, help_protection or another judgement code (children_in_care, "
            "care_leavers, leadership, adoption, lscb, lac_overall_effectiveness, ...).",
        ),
    ] = "overall",
    framework: Annotated[str, typer.Option("--framework", help="sif, ilacs or any.")] = "any",
    fmt: FormatOpt = "table",
    warehouse: WarehouseOpt = None,
) -> None:
    """Grades in force on a date across authorities, and which authorities are stale.

    Without --as-at the date is the one the Ofsted record runs to (the latest
    publication held, reports and the ILACS overview); a later date is answered with
    a warning that inspections after the record are not known. Stale: no graded
    judgement published in the three years to the date, counting authorities the
    record holds no judgement of and those whose judgement has ended because no
    current framework makes it (adoption, the LSCB, the legacy looked-after judgements).
    """
    from cscwatch.indicators.judgements import ofsted_record
    from cscwatch.indicators.staleness import summarise_judgements
    from cscwatch.ingest.ofsted_text import Framework, JudgementCode

    check_format(fmt, ("table", "json"))
    when = None if as_at is None else _parse_date(as_at, "--as-at")
    code = _JUDGEMENT_CHOICES.get(judgement, judgement)
    if code not in {j.value for j in JudgementCode}:
        raise InputError(
            f"--judgement {judgement!r}: use overall or help_protection, or one of "
            + ", ".join(j.value for j in JudgementCode)
        )
    if framework not in _FRAMEWORK_CHOICES:
        raise InputError(f"--framework {framework!r}: use sif, ilacs or any")
    inspections, _, authorities = _load(warehouse)
    record = ofsted_record(inspections)
    when = record.as_at(when)
    result = summarise_judgements(
        inspections,
        when,
        authorities=authorities,
        judgement=JudgementCode(code),
        framework=None if framework == "any" else Framework(framework),
    )
    if fmt == "json":
        emit_json(result.to_dict())
        return
    percent = result.percent
    rows = [[_GRADE_LABEL[g.value], str(c), f"{percent[g]:.1f}%"] for g, c in result.counts.items()]
    runs_to = "no inspections" if record.runs_to is None else _long_date(record.runs_to)
    no_judgement = len(result.no_judgement)
    caption = (
        f"{result.n} authorities with a judgement in force. Ofsted record runs to "
        f"{runs_to}. Stale: {result.stale} of {len(result.statuses)} authorities "
        f"({no_judgement} with no judgement in the archive)."
    )
    if result.grade_not_given:
        caption += f" Not counted: {', '.join(result.grade_not_given)} (latest grade not given)."
    if result.no_longer_judged:
        caption += (
            f" No longer judged: {len(result.no_longer_judged)} authorities' last judgement "
            "has ended, as no current inspection framework makes it (see the JSON's "
            "ended_on and ended_by_inspection)."
        )
    emit_table(
        f"{judgement} judgement in force on {when.isoformat()} ({framework} framework)",
        ["grade", "authorities", "share"],
        rows,
        right=(1, 2),
        caption=caption,
    )
    note = record.note(when)
    if note:
        sys.stderr.write(f"warning: {note}\n")


@ofsted_app.command("history")
def history(
    authority: Annotated[str, typer.Argument(help="Authority name or LA number.")],
    fmt: FormatOpt = "table",
    warehouse: WarehouseOpt = None,
) -> None:
    """Every inspection of one authority, its grades and how they moved."""
    from cscwatch.indicators.authorities import resolve_authority_name
    from cscwatch.indicators.interventions import judgement_transitions

    check_format(fmt, ("table", "json"))
    inspections, names, periods = _load(warehouse)
    former = [p.la_code for p in periods if p.last_year is not None]
    la_code = resolve_authority_name(authority, names, former)
    mine = [i for i in inspections if i.la_code == la_code]
    moves = {t.to_inspection: t.direction.value for t in judgement_transitions(mine)}
    records = [{**i.view().to_dict(), "overall_change": moves.get(i.inspection_id)} for i in mine]
    if fmt == "json":
        emit_json({"la_code": la_code, "name": names.get(la_code), "inspections": records})
        return
    rows = [
        [
            r["publication_date"] or "",
            f"{r['framework']} {r['kind']}",
            "not given"
            if "overall_effectiveness" in r["grades_not_given"]
            else _GRADE_LABEL.get(r["judgements"].get("overall_effectiveness", ""), "–"),
            _GRADE_LABEL.get(r["judgements"].get("help_protection", ""), "–"),
            _GRADE_LABEL.get(r["judgements"].get("leadership", ""), "–"),
            r["overall_change"] or "",
            r["provenance"],
        ]
        for r in records
    ]
    emit_table(
        f"Ofsted inspections of {names.get(la_code, la_code)} ({la_code})",
        [
            "published",
            "framework",
            "overall",
            "help and protection",
            "leadership",
            "change",
            "source",
        ],
        rows,
        caption="source: report = read from the published report; overview = the ILACS "
        "overview, compiled by Data to Insight from Ofsted's reports (report not in the "
        "archive)"
        if rows
        else "no inspections in the Ofsted record",
    )


_MISSING_COLUMNS = (
    "la_code",
    "name",
    "urn",
    "kind",
    "start_date",
    "end_date",
    "publication_date",
    "reason",
    "url",
)


@ofsted_app.command("missing")
def missing(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    warehouse: WarehouseOpt = None,
) -> None:
    """The inspection reports to obtain: inspections the ILACS overview lists that the
    report archive lacks (authority, inspection dates, publication date, why missing)."""
    from cscwatch.indicators.judgements import missing_reports, ofsted_record

    check_format(fmt, ("table", "json", "csv"))
    inspections, names, _ = _load(warehouse)
    items = missing_reports(inspections, names)
    records = [m.to_dict() for m in items]
    if fmt == "json":
        emit_json({"record": ofsted_record(inspections).to_dict(), "missing": records})
        return
    if fmt == "csv":
        emit_csv(records, _MISSING_COLUMNS)
        return
    record = ofsted_record(inspections)
    last = "none" if record.archive_runs_to is None else _long_date(record.archive_runs_to)
    emit_table(
        f"Inspection reports to obtain ({len(items)})",
        ["authority", "LA", "inspected", "published", "type", "why missing"],
        [
            [
                m.name,
                m.la_code,
                " to ".join(d.isoformat() for d in (m.start_date, m.end_date) if d) or "–",
                m.publication_date.isoformat() if m.publication_date else "not known",
                m.kind,
                m.reason,
            ]
            for m in items
        ],
        caption="From the ILACS overview (Data to Insight's, from Ofsted's reports); the "
        f"report archive's last report was "
        f"published {last}. Addresses of the reports: --format csv or json.",
    )
