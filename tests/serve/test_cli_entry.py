"""The console entry point as a user meets it: every command loads on its own (the CLI
imports only the module of the command being run), and mistakes never show a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cscwatch.serve.cli import COMMAND_MODULES

EXE = str(Path(sys.executable).with_name("cscwatch"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_each_command_loads_alone(command: str) -> None:
    done = _run(command, "--help")
    assert done.returncode == 0, done.stderr
    assert f"cscwatch {command}" in done.stdout


@pytest.mark.parametrize(
    "args",
    [("nosuch",), ("profile",), ("profile", "Leeds", "--year"), ("serve", "--port", "x")],
)
def test_usage_errors_exit_2_without_traceback(args: tuple[str, ...]) -> None:
    done = _run(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "Error" in done.stderr
