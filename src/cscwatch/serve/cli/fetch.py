"""``cscwatch fetch`` and ``cscwatch snapshot``: refresh and check the bundled snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.ingest.fetch import (
    FetchReport,
    fetch_snapshot,
    load_url_overrides,
    parse_url_option,
)
from cscwatch.ingest.snapshot import refresh_manifest, verify_snapshot
from cscwatch.serve.cli import app

__all__ = ["fetch", "snapshot_app"]

snapshot_app = typer.Typer(
    help="Check the bundled snapshot and its manifest.", no_args_is_help=True
)
app.add_typer(snapshot_app, name="snapshot")

_FORMATS = ("table", "json")


def _check_format(fmt: str) -> None:
    if fmt not in _FORMATS:
        raise InputError(f"--format {fmt!r}: use one of {', '.join(_FORMATS)}")


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
        typer.Option("--urls-file", help='TOML file with a [urls] table of "FILE" = "URL".'),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Fetch every file from BASE_URL/FILE (testing, mirrors)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Download and verify; change nothing.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    snapshot_dir: Annotated[
        Path | None, typer.Option("--snapshot-dir", help="Snapshot folder (default: settings).")
    ] = None,
) -> None:
    """Download newer releases of the snapshot's published files, verify, swap them in.

    All or nothing: if any file fails (HTTP error, timeout, truncated, missing
    columns, no rows) nothing in the snapshot changes.
    """
    _check_format(fmt)
    settings = Settings()
    overrides = load_url_overrides(urls_file) if urls_file is not None else {}
    overrides.update(parse_url_option(url or []))
    report = fetch_snapshot(
        settings,
        snapshot_dir=snapshot_dir,
        only=only or None,
        urls=overrides,
        base_url=base_url,
        dry_run=dry_run,
    )
    if fmt == "json":
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print_table(report)


def _short(sha: str | None) -> str:
    return sha[:12] if sha else ""


def _print_table(report: FetchReport) -> None:
    title = "cscwatch fetch" + (" (dry run: nothing changed)" if report.dry_run else "")
    table = Table(title=title)
    for col in ("file", "status", "bytes", "rows", "sha256", "previous"):
        table.add_column(col, justify="right" if col in ("bytes", "rows") else "left")
    for o in report.outcomes:
        table.add_row(
            o.file,
            o.status if o.reason is None else f"{o.status}: {o.reason}",
            "" if o.bytes is None else f"{o.bytes:,}",
            "" if o.rows is None else f"{o.rows:,}",
            _short(o.sha256),
            _short(o.previous_sha256) if o.status != "unchanged" else "",
        )
    Console(width=160).print(table)


@snapshot_app.command("verify")
def snapshot_verify(
    snapshot_dir: Annotated[
        Path | None, typer.Option("--snapshot-dir", help="Snapshot folder (default: settings).")
    ] = None,
) -> None:
    """Check every file's SHA-256 against the manifest; list files it does not describe."""
    directory = snapshot_dir or Settings().snapshot_dir
    report = verify_snapshot(directory)
    typer.echo(f"{len(report.checked)} files match the manifest in {directory}")
    for name in report.unlisted:
        typer.echo(f"not in the manifest: {name}")
    if report.unlisted:
        raise typer.Exit(1)


@snapshot_app.command("manifest")
def snapshot_manifest(
    check: Annotated[
        bool, typer.Option("--check", help="Report what would change; write nothing.")
    ] = False,
    snapshot_dir: Annotated[
        Path | None, typer.Option("--snapshot-dir", help="Snapshot folder (default: settings).")
    ] = None,
) -> None:
    """Recompute sha256 and bytes in the manifest, keeping every hand-written field."""
    directory = snapshot_dir or Settings().snapshot_dir
    changed = refresh_manifest(directory, check=check)
    verb = "would update" if check else "updated"
    for name in changed:
        typer.echo(f"{verb} {name}")
    if not changed:
        typer.echo("manifest up to date")
    if check and changed:
        raise typer.Exit(1)
