"""Progress bars: drawn on a terminal, never off one, never with --quiet, never in JSON.

The terminal cases run the real ``cscwatch`` in a subprocess whose stdout and stderr
are a pseudo-terminal; the others run it in-process (captured output is not a TTY).
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cscwatch.core.config import Settings
from cscwatch.core.database import connect_duckdb
from cscwatch.core.progress import tick
from cscwatch.serve.cli._progress import progress_bar, shows_progress
from cscwatch.store.warehouse import build_warehouse

Calls = list[tuple[str, int, int | None]]
Cli = Callable[..., tuple[int, str, str]]

_SYNTH = ["cin", "synth", "--authority", "Darlington", "--year", "2025", "--seed", "1"]
_MAIN = "from cscwatch.serve.cli import main; main()"


def _recorder() -> tuple[Calls, Callable[[str, int, int | None], None]]:
    calls: Calls = []

    def record(stage: str, done: int, total: int | None) -> None:
        calls.append((stage, done, total))

    return calls, record


def _run_on_terminal(args: list[str], cwd: Path, *, stdout_tty: bool = True) -> tuple[str, str]:
    """Run cscwatch with stderr (and stdout unless told) on a pseudo-terminal.

    Returns (terminal text, piped stdout).
    """
    main, child = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", _MAIN, *args],
        stdin=subprocess.DEVNULL,
        stdout=child if stdout_tty else subprocess.PIPE,
        stderr=child,
        cwd=cwd,
        env=env,
    )
    os.close(child)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    piped = ""
    if proc.stdout is not None:
        piped = proc.stdout.read().decode()
        proc.stdout.close()
    assert proc.wait(60) == 0
    os.close(main)
    return b"".join(chunks).decode(errors="replace"), piped


def test_a_terminal_gets_a_progress_bar(tmp_path: Path) -> None:
    text, _ = _run_on_terminal([*_SYNTH, "--out", str(tmp_path)], tmp_path)
    assert "writing returns" in text and "1/1" in text
    assert "Synthetic CIN census returns" in text  # and the answer itself


def test_quiet_draws_no_bar_on_a_terminal(tmp_path: Path) -> None:
    text, _ = _run_on_terminal([*_SYNTH, "--out", str(tmp_path), "--quiet"], tmp_path)
    assert "writing returns" not in text
    assert "Synthetic CIN census returns" in text


def test_json_to_a_pipe_stays_valid_with_stderr_on_a_terminal(tmp_path: Path) -> None:
    text, out = _run_on_terminal(
        [*_SYNTH, "--out", str(tmp_path), "--format", "json"], tmp_path, stdout_tty=False
    )
    assert json.loads(out)["returns"][0]["la_name"] == "Darlington"
    assert "writing returns" not in text and "━" not in text


def test_off_a_terminal_nothing_but_the_answer(cli: Cli, tmp_path: Path) -> None:
    # a build off a terminal: tests/store/test_published.py's rebuild (one build serves)
    code, out, err = cli(*_SYNTH, "--out", str(tmp_path), "--format", "json", "--quiet")
    assert code == 0 and json.loads(out)["returns"] and err == ""


def test_shows_progress_needs_two_terminals_and_no_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert shows_progress(quiet=False)
    assert not shows_progress(quiet=True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    assert not shows_progress(quiet=False)
    with progress_bar(quiet=False) as callback:
        assert callback is None


def test_the_build_reports_each_loader(tmp_path: Path) -> None:
    calls, record = _recorder()
    seen: list[int] = []
    loaders = [(f"step {i}", lambda con, ctx, i=i: seen.append(len(calls))) for i in range(3)]
    build_warehouse(
        Settings(warehouse=tmp_path / "w.duckdb"),
        loaders,  # type: ignore[arg-type]
        snapshot_dir=tmp_path,
        progress=record,
    )
    assert calls == [("building", i, 3) for i in range(4)]
    assert seen == [1, 2, 3]  # each loader runs after the report of the one before


def test_tick_reports_as_items_finish() -> None:
    calls, record = _recorder()
    assert list(tick(["a", "b"], record, "letters")) == ["a", "b"]
    assert calls == [("letters", 0, 2), ("letters", 1, 2), ("letters", 2, 2)]
    assert list(tick(iter([1]), None, "nothing")) == [1]


def test_duckdb_progress_bar_is_off_on_every_connection(tmp_path: Path) -> None:
    con = connect_duckdb(tmp_path / "x.duckdb")
    try:
        con.execute("SET enable_progress_bar = true")
        assert con.cursor().execute("SELECT current_setting('enable_progress_bar')").fetchone() == (
            False,
        )
    finally:
        con.close()
    con = connect_duckdb()
    try:
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    finally:
        con.close()


def test_connections_are_opened_in_one_place() -> None:
    src = Path(__file__).resolve().parents[2] / "src" / "cscwatch"
    offenders = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if "duckdb.connect(" in p.read_text(encoding="utf-8").replace("``duckdb.connect(", "")
        and p.name != "database.py"
    ]
    assert offenders == []
