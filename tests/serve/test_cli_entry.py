"""The console entry point as a user meets it: every command loads on its own (the CLI
imports only the module of the command being run), and mistakes never show a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from cscwatch.serve.cli import COMMAND_MODULES

Cli = Callable[..., tuple[int, str, str]]
EXE = str(Path(sys.executable).with_name("cscwatch"))

#: The commands of each set of modules: ``main`` imports the same modules for each of
#: them, so one new process per set shows each command loads with only its own modules.
_GROUPS: dict[tuple[str, ...], list[str]] = defaultdict(list)
for _command, _modules in sorted(COMMAND_MODULES.items()):
    _GROUPS[_modules].append(_command)

#: ``cscwatch COMMAND --help`` for each command named, in one new process: a JSON object
#: of each command's exit code and help text.
_HELP_EACH = """
import contextlib, io, json, sys
from cscwatch.serve.cli import main
answers = {}
for command in sys.argv[1:]:
    sys.argv = ["cscwatch", command, "--help"]
    code, text = 0, io.StringIO()
    with contextlib.redirect_stdout(text):
        try:
            main()
        except SystemExit as exc:
            code = exc.code
    answers[command] = [code, text.getvalue()]
print(json.dumps(answers))
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("modules", sorted(_GROUPS), ids="+".join)
def test_each_command_loads_alone(modules: tuple[str, ...]) -> None:
    commands = _GROUPS[modules]
    done = subprocess.run(
        [sys.executable, "-c", _HELP_EACH, *commands],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    assert list(answers) == commands
    for command, (code, text) in answers.items():
        assert code in (0, None), (command, done.stderr)
        assert f"cscwatch {command}" in text, (command, done.stderr)


_USAGE_ERRORS = [
    ("nosuch",),
    ("profile",),
    ("profile", "Leeds", "--year"),
    ("serve", "--port", "x"),
]


@pytest.mark.parametrize("args", _USAGE_ERRORS)
def test_usage_errors_exit_2_without_traceback(cli: Cli, args: tuple[str, ...]) -> None:
    code, _, err = cli(*args)
    assert code == 2
    assert "Traceback" not in err and "Error" in err


def test_a_usage_error_of_the_console_script_exits_2_without_traceback() -> None:
    # the same through the installed ``cscwatch`` in a process of its own
    done = _run("profile", "Leeds", "--year")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "Error" in done.stderr


def test_the_command_tree_is_built_once_for_what_is_registered() -> None:
    from cscwatch.serve.cli import _command, app

    first = _command()
    assert _command() is first  # built once: 0.06 s of CPU a time

    @app.command("zz-probe")
    def _probe() -> None:
        """A command registered after the tree was built."""

    try:
        assert "zz-probe" in getattr(_command(), "commands", {})
        assert "zz-probe" not in getattr(first, "commands", {})
    finally:
        app.registered_commands.pop()
    assert _command() is first
