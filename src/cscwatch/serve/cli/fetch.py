"""``cscwatch fetch`` and ``cscwatch snapshot``: refresh and check the bundled snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cscwatch.core.config import Settings
from cscwatch.core.errors import SourceFileError
from cscwatch.ingest.fetch import (
    FetchReport,
    RetryPolicy,
    SourceAddress,
    fetch_snapshot,
    load_url_overrides,
    parse_url_option,
    source_addresses,
)
from cscwatch.ingest.snapshot import load_manifest, refresh_manifest, verify_snapshot
from cscwatch.serve.cli import app
from cscwatch.serve.cli._output import check_format, emit_json, emit_table
from cscwatch.serve.cli._progress import QuietOpt, progress_bar

__all__ = ["fetch", "snapshot_app"]

snapshot_app = typer.Typer(
    help="Check the bundled snapshot and its manifest.", no_args_is_help=True
)
app.add_typer(snapshot_app, name="snapshot")

SnapshotOpt = Annotated[
    Path | None, typer.Option("--snapshot", help="Snapshot folder (default: bundled).")
]


@app.command("fetch")
def fetch(
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="FILE", help="Fetch just this file (repeatable)."),
    ] = None,
    url: Annotated[
        list[str] | None,
        typer.Option("--url", metavar="FILE=URL", help="Download FILE from URL (repeatable)."),
    ] = None,
    urls_file: Annotated[
        Path | None,
        typer.Option("--urls-file", help='TOML file whose urls table maps "FILE" to "URL".'),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Fetch every file from BASE_URL/FILE (testing, mirrors)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Download and verify; change nothing.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    snapshot: SnapshotOpt = None,
    attempts: Annotated[
        int,
        typer.Option(
            "--attempts", min=1, max=20, help="Tries per file on 429, 5xx or a lost connection."
        ),
    ] = RetryPolicy.attempts,
    quiet: QuietOpt = False,
    list_addresses: Annotated[
        bool,
        typer.Option(
            "--list",
            help="List every file's download address (or why it has none); download nothing.",
        ),
    ] = False,
) -> None:
    """Download newer releases of the snapshot's published files, verify, swap them in.

    All or nothing: if any file fails (HTTP error, timeout, truncated, missing
    columns, no rows) nothing in the snapshot changes. Rate limits (429), server
    errors (5xx) and lost connections are tried again with exponential back-off and
    jitter (honouring Retry-After), up to --attempts times per file. Files with no
    known download address, and derived files, are skipped and say so; --list shows
    each file's address without downloading anything.
    """
    check_format(fmt, ("table", "json"))
    settings = Settings()
    if list_addresses:
        addresses = source_addresses(load_manifest(snapshot or settings.snapshot_dir))
        if fmt == "json":
            emit_json({"files": [a.to_dict() for a in addresses]})
        else:
            _print_addresses(addresses)
        return
    overrides = load_url_overrides(urls_file) if urls_file is not None else {}
    overrides.update(parse_url_option(url or []))
    with progress_bar(quiet) as progress:
        report = fetch_snapshot(
            settings,
            snapshot_dir=snapshot,
            only=only or None,
            urls=overrides,
            base_url=base_url,
            dry_run=dry_run,
            retry=RetryPolicy(attempts=attempts),
            progress=progress,
        )
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        _print_table(report)


def _short(sha: str | None) -> str:
    return sha[:12] if sha else ""


def _print_table(report: FetchReport) -> None:
    rows = [
        [
            o.file,
            (o.status if o.reason is None else f"{o.status}: {o.reason}")
            + (" (served columns renamed to the bundled layout)" if o.layout else "")
            + (f" ({o.unpacked})" if o.unpacked else ""),
            "" if o.bytes is None else f"{o.bytes:,}",
            "" if o.rows is None else f"{o.rows:,}",
            _short(o.sha256),
            _short(o.previous_sha256) if o.status != "unchanged" else "",
        ]
        for o in report.outcomes
    ]
    emit_table(
        "cscwatch fetch",
        ["file", "status", "bytes", "rows", "sha256", "previous"],
        rows,
        caption="dry run: nothing was changed" if report.dry_run else None,
        right=(2, 3),
    )


_KIND_TEXT = {
    "api": "DfE statistics API data set (always its latest version)",
    "catalogue": "EES data catalogue file (this release's file only)",
    "release": "EES release version's ZIP archive (this release's files only)",
    "pinned": "public repository file pinned to one commit",
    "ons": "ONS time series (always its latest figures)",
    "other": "other address",
}


def _print_addresses(addresses: list[SourceAddress]) -> None:
    # Plain lines, not a table: an address must never be cut short to fit a terminal.
    for a in addresses:
        typer.echo(f"{a.file} ({a.publisher})\n    {a.url or a.reason or ''}")
        if a.kind is not None:
            typer.echo(f"    kind: {_KIND_TEXT[a.kind]}")
        if a.layout is not None:
            typer.echo(f"    renamed columns, mapped back to the bundled layout: {a.layout}")
        if a.unpacked is not None:
            typer.echo(f"    fetch takes: {a.unpacked}")
    have = sum(a.status == "url" for a in addresses)
    derived = sum(a.status == "derived" for a in addresses)
    typer.echo(
        f"{have} of {len(addresses) - derived} published files have a download address; "
        f"{derived} derived files are remade by their commands"
    )


@snapshot_app.command("verify")
def snapshot_verify(snapshot: SnapshotOpt = None) -> None:
    """Check every file's SHA-256 against the manifest and that every file is listed."""
    directory = snapshot or Settings().snapshot_dir
    report = verify_snapshot(directory)
    if report.unlisted:
        raise SourceFileError(
            "not in the manifest (add with scripts/make_manifest.py add): "
            + ", ".join(report.unlisted),
            path=str(directory / report.unlisted[0]),
        )
    typer.echo(f"{len(report.checked)} files match the manifest in {directory}")
    if report.absent_optional:
        typer.echo("optional, not downloaded: " + ", ".join(report.absent_optional))


@snapshot_app.command("manifest")
def snapshot_manifest(
    check: Annotated[
        bool, typer.Option("--check", help="Report what would change; write nothing.")
    ] = False,
    snapshot: SnapshotOpt = None,
) -> None:
    """Recompute sha256 and bytes in the manifest, keeping every hand-written field.

    With --check, write nothing and fail if the manifest is out of date.
    """
    directory = snapshot or Settings().snapshot_dir
    changed = refresh_manifest(directory, check=check)
    if check and changed:
        raise SourceFileError(
            "manifest out of date for " + ", ".join(changed) + "; run cscwatch snapshot manifest",
            path=str(directory / "manifest.json"),
        )
    for name in changed:
        typer.echo(f"updated {name}")
    if not changed:
        typer.echo("manifest up to date")
