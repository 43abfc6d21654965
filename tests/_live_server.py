"""Start and stop a live uvicorn server over ``create_app`` (used by the API tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cscwatch.serve.api.process import free_port, stop_process, wait_until_serving

__all__ = ["free_port", "start_server", "stop_server"]


def start_server(warehouse: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``uvicorn`` over ``create_app`` and wait until it answers."""
    port = free_port()
    env = {**os.environ, "CSCWATCH_WAREHOUSE": str(warehouse)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "cscwatch.serve.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    # generous: a cold start imports the whole app, slow when several test workers share a CPU
    wait_until_serving(proc, base, log, timeout=600)  # start-up warms the file (a model fit)
    return proc, base


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    stop_process(proc)
