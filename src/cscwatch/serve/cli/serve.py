"""``cscwatch serve``: the dashboard and HTTP API over the warehouse."""

from __future__ import annotations

from typing import Annotated

import typer

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.serve.cli import app

__all__ = ["serve"]


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    no_warm: Annotated[
        bool,
        typer.Option(
            "--no-warm",
            help="Answer at once, without warming the warehouse first: the first "
            "profile waits for the early-warning model's fit.",
        ),
    ] = False,
) -> None:
    """Serve the dashboard at / and the API at /api (OpenAPI docs at /api/docs).

    The warehouse is opened read-only; a `cscwatch build` that replaces it is picked up
    on the next request without a restart. The server answers once it has warmed the
    warehouse (fitted the early-warning ranking, prepared every profile), and warms a
    replaced file before serving it; `--no-warm` skips both.
    """
    import uvicorn

    if not 0 < port < 65536:
        raise InputError(f"--port {port}: use 1 to 65535")
    settings = Settings()
    if not settings.warehouse.exists():
        typer.echo(
            f"note: no warehouse at {settings.warehouse} yet; run 'cscwatch build'", err=True
        )
    typer.echo(f"cscwatch serving on http://{host}:{port}/ (API docs at /api/docs)", err=True)
    typer.echo(
        f"answering to the hosts {', '.join(settings.allowed_hosts)} "
        "(set CSCWATCH_ALLOWED_HOSTS to serve under another name)",
        err=True,
    )
    if workers > 1:
        uvicorn.run(
            "cscwatch.serve.app:" + ("create_cold_app" if no_warm else "create_app"),
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
        )
    else:
        from cscwatch.serve.app import create_app

        uvicorn.run(
            create_app(settings, warm=not no_warm), host=host, port=port, log_level=log_level
        )
