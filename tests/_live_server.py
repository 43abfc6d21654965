"""Start and stop a live uvicorn server over ``create_app`` (the API and browser tests).

The server runs in a thread of the test process, on a loopback socket bound before it
starts (no race for the port): clients reach it over real HTTP (httpx, chromium) as
before, but the process does not import the whole application a second time (a
subprocess server cost about 24 s CPU per start, on top of its warm-up), and tests can
read what the running app holds (:func:`app_at`: the answers its warm-up prepared) and
share its in-process caches (the early-warning fit, keyed by file, is made once).
Start-up is ``create_app``'s own lifespan: the server answers only once it has warmed
the warehouse file, as ``cscwatch serve`` does.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from cscwatch.core.config import Settings
from cscwatch.serve.app import create_app

__all__ = ["LiveServer", "app_at", "start_server", "stop_server"]

#: generous: the warm-up fits a model and prepares every profile, slow when several
#: test processes share a loaded 2-core machine
_START_TIMEOUT_S = 600.0
_LOGGERS = ("uvicorn", "uvicorn.error", "cscwatch.serve")
_running: dict[str, LiveServer] = {}


@dataclass(frozen=True)
class LiveServer:
    """A running server: its app, base URL, uvicorn server, thread and log handler."""

    app: FastAPI
    base: str
    server: uvicorn.Server
    thread: threading.Thread
    log: logging.Handler


def start_server(warehouse: Path, log: Path) -> tuple[LiveServer, str]:
    """Serve ``create_app`` over ``warehouse`` on a free loopback port; return once it
    answers (after its warm-up). Its log records go to ``log`` while it runs.

    Settings other than the warehouse come from the environment, as for a server
    started with ``CSCWATCH_WAREHOUSE`` set.
    """
    app = create_app(Settings(warehouse=warehouse))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    handler = logging.FileHandler(log, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in _LOGGERS:
        logging.getLogger(name).addHandler(handler)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"live-server-{port}", daemon=True
    )
    thread.start()
    live = LiveServer(app, base, server, thread, handler)
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            stop_server(live)
            sock.close()
            raise RuntimeError(f"server did not start: {log.read_text(encoding='utf-8')}")
        time.sleep(0.05)
    _running[base] = live
    return live, base


def stop_server(live: LiveServer) -> None:
    """Stop the server (its lifespan's shutdown runs) and wait for its thread."""
    live.server.should_exit = True
    live.thread.join(60)
    _running.pop(live.base, None)
    for name in _LOGGERS:
        logging.getLogger(name).removeHandler(live.log)
    live.log.close()
    if live.thread.is_alive():
        raise RuntimeError(f"server {live.base} did not stop in 60 s")


def app_at(base: str) -> FastAPI:
    """The app of the server running at ``base`` (started by :func:`start_server`)."""
    return _running[base].app
