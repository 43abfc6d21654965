"""The ``cscwatch`` command line: parse input, call the library, format the answer.

Each command group lives in its own module and is registered here. Library errors
(``CscwatchError``) become one line on stderr and exit code 2; no traceback for a
user's mistake.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from cscwatch.core.errors import CscwatchError

__all__ = ["app", "closed_everything", "main", "run"]

app = typer.Typer(
    name="cscwatch",
    help="Monitoring and early warning for children's social care in England.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from cscwatch import __version__

        typer.echo(f"cscwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Monitoring and early warning for children's social care in England.

    Years end on 31 March (2025 or 2024-25); authorities by name, LA number or GSS code.
    """


#: Which module defines each top-level command. ``main`` imports only the module of
#: the command being run, so a quick query does not pay for importing PDF, XML and
#: web libraries; ``--help`` and unknown commands import them all.
#: To add a command group: add its module here (one line) — nothing else.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "build": ("warehouse",),
    "export": ("warehouse",),
    "indicators": ("warehouse",),
    "profile": ("warehouse",),
    "show": ("warehouse",),
    "variation": ("warehouse",),
    "fetch": ("fetch",),
    "snapshot": ("fetch",),
    "serve": ("serve",),
    "ofsted": ("ofsted",),
    "cin": ("cin", "cin_outputs"),
    "cla": ("cla", "cla_validate", "cla_outputs", "cla_synth", "cla_store", "cla_check"),
    "risk": ("analyse",),
    "forecast": ("analyse",),
    "analyse": ("analyse",),
    "compare": ("compare",),
}


def _register(command: str | None = None) -> None:
    """Import the modules that add commands to ``app`` (all of them by default)."""
    import importlib

    wanted = COMMAND_MODULES.get(command or "")
    modules = wanted or sorted({m for ms in COMMAND_MODULES.values() for m in ms})
    for name in modules:
        importlib.import_module(f"cscwatch.serve.cli.{name}")


def _registered(typer_app: typer.Typer) -> tuple[object, ...]:
    """Every callback, command and group registered on ``typer_app``, recursively.

    Registration only ever appends (a module's decorators run once, when it is
    imported), so this identifies the command tree :func:`typer.main.get_command` builds.
    The objects themselves, compared by identity (typer's info classes define no
    equality), not their ``id()``: a cached key keeps them alive, so an address freed by
    a removed command cannot come back as a different command with the same key.
    """
    return (
        typer_app.registered_callback,
        tuple(typer_app.registered_commands),
        tuple(
            (g, _registered(g.typer_instance))
            for g in typer_app.registered_groups
            if g.typer_instance
        ),
    )


_built: dict[tuple[object, ...], Callable[..., Any]] = {}


def _command() -> Callable[..., Any]:
    """The click command of ``app`` as registered now, built once per set of modules.

    Building the tree of about 40 commands costs 0.06 s of CPU; ``main`` registers only
    the modules a command needs, so the cache is keyed on what is registered.
    """
    key = _registered(app)
    command = _built.get(key)
    if command is None:
        command = _built[key] = typer.main.get_command(app)
    return command


#: Set by :func:`closed_everything`: the command run has closed every file and
#: connection it opened and written all its output (read by :func:`run`).
_closed: list[bool] = []


def closed_everything() -> None:
    """Say that the command running has closed every file and database connection it
    opened and written everything it writes, so that :func:`run` may end the process
    without the interpreter's teardown. Call it only where that holds on every path
    leading to the call."""
    _closed.append(True)


def run() -> None:
    """The ``cscwatch`` console script: :func:`main`, then, after a command that called
    :func:`closed_everything`, the end without the interpreter's teardown.

    Tearing down every module (pyarrow, DuckDB, pydantic...) costs 0.1-0.2 s of CPU after
    a validation and writes nothing. So when the command said it has closed what it
    opened, no Python thread but this one runs and the exit code is a number, standard
    output and error are flushed, the ``atexit`` handlers run (logging's among them), and
    the process ends with the command's exit code (:func:`os._exit`). Otherwise, or if a
    flush fails, the interpreter ends as it always has. :func:`main` itself never ends
    the process this way, so tests and other callers in process keep their interpreter.

    Standard output and error are first made to write whole (:func:`._output.whole_writes`):
    run unbuffered, Python's own streams could cut a large output short without an error.
    """
    import atexit
    import threading

    from cscwatch.serve.cli._output import whole_writes

    whole_writes()  # no output cut short when Python runs unbuffered
    _closed.clear()
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = None
    if not _closed or not isinstance(code, int | None) or threading.active_count() != 1:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: reported as the interpreter reports it
        sys.exit(code)
    atexit._run_exitfuncs()
    os._exit(code or 0)


def main() -> None:
    """Console entry point (see :mod:`cscwatch.serve.cli._errors` for how it ends)."""
    from cscwatch.serve.cli._errors import describe

    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    try:
        if sys.argv[1:] != ["--version"]:  # the version needs no command modules
            _register(args[0] if args else None)
        # With standalone_mode=False click returns a command's exit code instead of
        # raising it; pass it on.
        rc = _command()(standalone_mode=False)
        if rc == 130:  # typer answers Ctrl-C with a bare exit code 130
            print(describe(KeyboardInterrupt())[0], file=sys.stderr)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except typer.Exit as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # typer turns Ctrl-C into Exit(130)
            print(describe(exc.__cause__)[0], file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except (KeyboardInterrupt, CscwatchError, OSError, MemoryError) as exc:
        line, rc = describe(exc)
        print(line, file=sys.stderr)
        sys.exit(rc)
    except Exception as exc:
        # Usage errors (typer vendors its own click: match by shape, not by class).
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        if os.environ.get("CSCWATCH_DEBUG"):
            raise
        line, rc = describe(exc)
        print(line, file=sys.stderr)
        sys.exit(rc)
