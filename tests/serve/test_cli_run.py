"""The ``cscwatch`` console script (``cscwatch.serve.cli:run``): after a command that
closed everything it opened it ends without the interpreter's teardown, and writes
exactly what :func:`~cscwatch.serve.cli.main` writes, with the same exit code."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from _cla_args import check_args, validate_args
from cscwatch.serve import cli as cli_module

Cli = Callable[..., tuple[int, str, str]]
EXE = str(Path(sys.executable).with_name("cscwatch"))
KEY = {"CSCWATCH_PSEUDONYM_KEY": "cla-run-test-key-0123456789"}


#: Records kept of each of the sample's tables: its findings span every kind of output
#: (CSV, xlsx, JSON, the measures' files) at a fraction of the whole sample's cost (the
#: xlsx of its 63,436 findings alone took 23 s, written twice).
_SAMPLE_RECORDS = 120


@pytest.fixture(scope="module")
def sample(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The DfE sample's tables, each cut to its first :data:`_SAMPLE_RECORDS` records."""
    folder = tmp_path_factory.mktemp("cla2018")
    for p in (shared_data / "ssda903" / "samples").glob("*.csv"):
        if "errors" not in p.name:
            lines = p.read_bytes().splitlines(keepends=True)
            (folder / p.name).write_bytes(b"".join(lines[: _SAMPLE_RECORDS + 1]))
    return folder


def _cells(path: Path) -> list[list[list[object]]]:
    # Every cell of every sheet (the file's bytes hold the time it was written).
    book = load_workbook(path, read_only=True)
    try:
        return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book]
    finally:
        book.close()


def _same_files(script: Path, in_process: Path) -> list[str]:
    # The files written under each folder: the same names, the same content.
    names = sorted(str(p.relative_to(in_process)) for p in in_process.rglob("*") if p.is_file())
    assert sorted(str(p.relative_to(script)) for p in script.rglob("*") if p.is_file()) == names
    for name in names:
        if name.endswith(".xlsx"):
            assert _cells(script / name) == _cells(in_process / name), name
        else:
            assert (script / name).read_bytes() == (in_process / name).read_bytes(), name
    return names


# Each writing command ending fast: its files complete and its stdout whole, as main()
# writes them, exit codes unchanged.
_WRITING = {
    "validate csv with IDs to a file": lambda s, d: validate_args(
        s, "-f", "csv", "--show-la-child-id", "-o", str(d / "f.csv")
    ),
    "validate xlsx": lambda s, d: validate_args(s, "-f", "xlsx", "-o", str(d / "f.xlsx")),
    "validate json to stdout": lambda s, d: validate_args(s, "-f", "json"),
    "check json and files": lambda s, d: check_args(s, "--out", str(d / "check"), "-f", "json"),
    "a mistake": lambda s, d: validate_args(s, "--rule", "NOSUCH", "-o", str(d / "f.json")),
}


@pytest.mark.parametrize("case", sorted(_WRITING))
def test_the_console_script_writes_what_main_writes(
    cli: Cli, sample: Path, tmp_path: Path, case: str
) -> None:
    made = _WRITING[case]
    mine, theirs = tmp_path / "script", tmp_path / "main"
    mine.mkdir()
    theirs.mkdir()
    code, out, _ = cli(*made(sample, theirs), env=KEY)  # sets the key for the script too
    done = subprocess.run([EXE, *made(sample, mine)], capture_output=True, timeout=300, check=False)
    assert done.returncode == code, done.stderr
    assert done.stdout == out.encode("utf-8")
    written = _same_files(mine, theirs)
    if case == "a mistake":
        assert code == 2 and not written and not out
    else:
        assert code == 1 and (out or written)
        if case.startswith("check"):  # the findings and every measures layout
            assert "check/validation_findings.csv" in written and len(written) > 2


class _Ended(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _small_return(tmp_path: Path) -> Path:
    folder = tmp_path / "return"
    folder.mkdir()
    (folder / "header.csv").write_text(
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nRAW1,F,01/01/2012,wbri,,,\n"
    )
    (folder / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
        "PL_POST,URN\nRAW1,01/05/2024,S,C2,N1,U1,PR1,,,,,,SC1\n"
    )
    return folder


def _as_if_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # A console script's process has one thread; this test's process may have others (the
    # suite's app server or browser, started by earlier tests), so count the threads
    # alive now as the one thread: a thread the test starts still counts.
    count = threading.active_count
    others = count() - 1
    monkeypatch.setattr(threading, "active_count", lambda: count() - others)


def test_run_ends_fast_only_after_a_command_that_closed_everything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ended: list[int] = []
    handlers: list[bool] = []

    def end(code: int) -> None:
        ended.append(code)
        raise _Ended(code)

    monkeypatch.setattr(os, "_exit", end)
    # This process's own atexit handlers must not run here: count the call instead.
    monkeypatch.setattr("atexit._run_exitfuncs", lambda: handlers.append(True))
    # A console script's process has one thread; a test process may have others (the
    # suite's app server, a browser's), so this one counts as alone until it starts one.
    _as_if_alone(monkeypatch)
    for k, v in KEY.items():
        monkeypatch.setenv(k, v)
    folder = _small_return(tmp_path)
    args = ["cscwatch", "cla", "validate", str(folder), "-r", "2024-25", "--no-postcodes",
            "--rule", "103", "-f", "json"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", args)
    with pytest.raises(_Ended):
        cli_module.run()
    assert ended == [1] and handlers == [True]  # exit code 1: a finding
    assert '"rule": "103"' in capsys.readouterr().out
    # A command that does not say it closed everything, and a mistake: the usual exit.
    for argv, code in ((["cscwatch", "--version"], None), ([*args, "-r", "1999-00"], 2)):
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as exc:
            cli_module.run()
        assert exc.value.code == code
    # Another Python thread still running: the usual exit (the interpreter waits for it).
    monkeypatch.setattr(sys, "argv", args)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with pytest.raises(SystemExit) as exc:
            cli_module.run()
        assert exc.value.code == 1
    finally:
        stop.set()
        other.join()
    assert ended == [1] and handlers == [True]


def test_the_console_script_validates_the_child_store_as_main_does(
    cli: Cli, sample: Path, tmp_path: Path
) -> None:
    # cla validate --child-store ends fast too (its read-only connection closed first).
    store = tmp_path / "child.duckdb"
    code, _, err = cli(
        "cla", "load", str(sample), "--child-store", str(store), "--la-code", "805",
        "--year", "2018", "-q", env=KEY,
    )  # fmt: skip
    assert code == 0, err
    for fmt in ("json", "csv"):
        args = ["cla", "validate", "--child-store", str(store), "--ruleset", "2024-25",
                "-f", fmt, "-q"]  # fmt: skip
        code, out, _ = cli(*args)
        done = subprocess.run([EXE, *args], capture_output=True, timeout=300, check=False)
        assert done.returncode == code == 1, done.stderr
        assert done.stdout == out.encode("utf-8") and len(out) > 1000


def test_run_flushes_what_is_left_in_standard_output_before_it_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A command's last small write, still in the text stream's buffer, reaches the file
    # before the process ends (the commands' large writes pass the buffer by).
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    seen: list[bytes] = []

    def command() -> None:
        sys.stdout.write("the last line\n")
        cli_module.closed_everything()
        raise SystemExit(1)

    def end(code: int) -> None:
        seen.append(raw.getvalue())
        raise _Ended(code)

    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(cli_module, "main", command)
    monkeypatch.setattr(os, "_exit", end)
    monkeypatch.setattr("atexit._run_exitfuncs", lambda: None)
    _as_if_alone(monkeypatch)
    with pytest.raises(_Ended) as ended:
        cli_module.run()
    assert ended.value.code == 1 and seen == [b"the last line\n"]


def _stop_and_continue(pid: int, done: threading.Event) -> None:
    # SIGSTOP then SIGCONT to ``pid`` every few milliseconds until ``done``: each
    # continue interrupts a write the stopped process was blocked in.
    while not done.is_set():
        time.sleep(0.002)
        try:
            os.kill(pid, signal.SIGSTOP)
            time.sleep(0.001)
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            return


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX job-control signals")
def test_unbuffered_output_to_a_pipe_is_whole_when_the_script_is_stopped_and_continued(
    cli: Cli, sample: Path
) -> None:
    # PYTHONUNBUFFERED makes the binary layer of stdout the raw file, whose write to a
    # full pipe stops at 64 KiB when a signal interrupts it: before whole_writes, 90,386
    # to 119,058 of 950,116 bytes of this output arrived, exit code 1, nothing on stderr.
    args = validate_args(sample, "-f", "json")
    code, out, _ = cli(*args, env=KEY)
    env = {**os.environ, **KEY, "PYTHONUNBUFFERED": "1"}
    chunks = []
    with subprocess.Popen(
        [EXE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        done = threading.Event()
        pester = threading.Thread(target=_stop_and_continue, args=(proc.pid, done))
        pester.start()
        try:
            while chunk := proc.stdout.read(4096):  # slowly, so the pipe stays full
                chunks.append(chunk)
                time.sleep(0.0002)
        finally:
            done.set()
            pester.join()
        err = proc.stderr.read()
        assert proc.wait(timeout=300) == code == 1, err
    got = b"".join(chunks)
    assert len(got) == len(out.encode("utf-8")) and got == out.encode("utf-8")
