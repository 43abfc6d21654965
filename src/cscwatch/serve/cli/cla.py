"""Child-level looked-after children (SSDA903) commands: ``cscwatch cla ...``.

This module only declares the ``cla`` group. Each command lives in its own module
(``cla_validate``, ``cla_outputs``, ``cla_synth``...) that adds itself to
:data:`cla_app`; :data:`cscwatch.serve.cli.COMMAND_MODULES` lists them, and
:func:`cscwatch.serve.cli._register` imports them after this one.
"""

from __future__ import annotations

import typer

from cscwatch.serve.cli import app

__all__ = ["cla_app"]

cla_app = typer.Typer(
    help="Child-level looked-after children returns (SSDA903): validate, measure, follow "
    "and synthesise them.",
    no_args_is_help=True,
)
app.add_typer(cla_app, name="cla")
