"""The ``cscwatch`` command line: parse input, call the library, format the answer.

Each command group lives in its own module and is registered here. Library errors
(``CscwatchError``) become one line on stderr and exit code 2; no traceback for a
user's mistake.
"""

from __future__ import annotations

import sys

import typer

from cscwatch.core.errors import CscwatchError

__all__ = ["app", "main"]

app = typer.Typer(
    name="cscwatch",
    help="Monitoring and early warning for children's social care in England.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    # Imported here so each module can add its commands to ``app`` without cycles.
    import cscwatch.serve.cli.fetch  # noqa: F401
    from cscwatch.serve.cli import serve, warehouse  # noqa: F401


_register()


def main() -> None:
    """Console entry point."""
    try:
        app(standalone_mode=False)
    except CscwatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2)
        raise
