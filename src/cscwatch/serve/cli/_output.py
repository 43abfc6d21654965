"""Formatting for people (rich tables) and scripts (JSON, CSV): the one place numbers
are turned into text for the CLI."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cscwatch.core.errors import InputError

__all__ = [
    "FORMATS",
    "check_format",
    "emit_csv",
    "emit_json",
    "emit_table",
    "fmt_estimate",
    "fmt_value",
    "records",
    "whole_writes",
]

FORMATS = ("table", "json", "csv")


def whole_writes() -> None:
    """Make every write to standard output and error whole when Python runs unbuffered.

    With ``PYTHONUNBUFFERED`` set (or ``python -u``, as in many container images) the
    binary layer of ``sys.stdout`` is the raw file itself. Its ``write`` makes one
    system call and may write only part of what it is given: a write to a pipe that a
    signal interrupts (a stop and a continue, Ctrl-Z then ``fg``, a profiler attaching)
    returns after the pipe's 64 KiB. The text layer above it, and a caller of
    ``sys.stdout.buffer.write``, then lose the rest with no error. Measured on 4
    December 2026, the writer stopped and continued while its pipe was full: 90,386 to
    119,058 of the 950,116 bytes of ``cla validate -f json`` arrived (8 runs), exit
    code unchanged; one ``sys.stdout.buffer.write`` of them alone, 65,536.

    Each such stream is replaced by a buffered one over the same file descriptor (never
    closed by it), which writes everything or raises. It flushes at every line and
    every ``flush``, so output still comes as it is written. Streams that are not raw
    (a terminal's usual buffered writer, pytest's capture) are left alone.
    """
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        raw = getattr(stream, "buffer", None)
        if not isinstance(raw, io.FileIO) or raw.closed:
            continue
        writer = io.BufferedWriter(io.FileIO(raw.fileno(), "wb", closefd=False))
        setattr(
            sys,
            name,
            io.TextIOWrapper(
                writer,
                encoding=stream.encoding,
                errors=stream.errors,
                line_buffering=True,
                write_through=True,
            ),
        )


def check_format(fmt: str, allowed: Sequence[str] = FORMATS) -> str:
    """Validate a ``--format`` value."""
    if fmt not in allowed:
        raise InputError(f"--format {fmt!r}: use one of {', '.join(allowed)}")
    return fmt


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def emit_json(payload: Any) -> None:
    """Print stable, sorted-key-free JSON (field order is part of the contract)."""
    sys.stdout.write(json.dumps(_clean(payload), indent=2, default=str) + "\n")


def emit_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    """Print rows as CSV with a header."""
    cols = list(columns or (rows[0].keys() if rows else []))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    sys.stdout.write(buf.getvalue())


def fmt_value(value: float | None, unit: str = "", status: str | None = None) -> str:
    """A number for people: thousands separators, one decimal for rates, symbols kept."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return status or "–"
    if unit == "count":
        return f"{value:,.0f}"
    if unit in ("gbp", "gbp_per_child"):
        return f"£{value:,.0f}"
    return f"{value:,.1f}"


def emit_table(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    caption: str | None = None,
    right: Sequence[int] = (),
) -> None:
    """Print a rich table."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, caption=caption, show_lines=False)
    for i, h in enumerate(headers):
        table.add_column(h, justify="right" if i in right else "left")
    for r in rows:
        table.add_row(*r)
    Console(width=160).print(table)


def records(frame: Any) -> list[dict[str, Any]]:
    """A data frame's rows as dicts with text keys (for :func:`emit_json`, :func:`emit_csv`)."""
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def fmt_estimate(value: Any) -> str:
    """A survival estimate for people: 3 decimals, ``c`` (suppressed) or ``z`` (not
    estimable)."""
    if value is None or (isinstance(value, float) and value != value):
        return "z"
    return value if isinstance(value, str) else f"{float(value):.3f}"


def check_out(fmt: str, out: Path | None) -> None:
    """The rules of ``--format`` with ``--out`` for a command that writes json, csv or an
    xlsx spreadsheet to a file: xlsx needs --out, a table never goes to one."""
    from cscwatch.core.files import check_output_path

    if fmt == "xlsx" and out is None:
        raise InputError("--format xlsx writes a spreadsheet: give --out FILE.xlsx")
    if out is not None:
        if fmt == "table":
            raise InputError("--out needs --format json, csv or xlsx")
        if fmt == "xlsx" and out.suffix.lower() != ".xlsx":
            raise InputError(f"--out {out}: a spreadsheet must end in .xlsx")
        if not out.parent.is_dir():
            raise InputError(f"--out {out}: folder {out.parent} does not exist")
        check_output_path(out)


def write_byte_chunks(chunks: Iterable[bytes | memoryview], out: Path | None) -> None:
    """As :func:`write_chunks`, for text already encoded (ASCII or UTF-8): written to the
    binary stream as given, without a text object or a copy."""
    if out is None:
        sys.stdout.flush()  # what was written as text goes first
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return
    try:
        with out.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from None


def write_chunks(chunks: Iterable[str], out: Path | None) -> None:
    """Text to ``out`` (standard output when None), piece by piece: a large return's
    findings are never one string in memory."""
    if out is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    try:
        with out.open("w", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(chunk)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from None
