"""Start and stop a live uvicorn server over ``create_app`` (the API and browser tests).

The server runs in a thread of the test process, on a loopback socket bound before it
starts (no race for the port): clients reach it over real HTTP (httpx, chromium) as
before, but the process does not import the whole application a second time (a
subprocess server cost about 24 s CPU per start, on top of its warm-up), and tests can
read what the running app holds (:func:`app_at`: the answers its warm-up prepared) and
share its in-process caches (the early-warning fit, keyed by file, is made once).
Start-up is ``create_app``'s own lifespan: the server answers only once it has warmed
the warehouse file, as ``cscwatch serve`` does.

The test processes of a run share one warm-up (:func:`start_server`'s ``shared``): the
first to start a server over the run's warehouse warms it in its lifespan and writes
what that made (the prepared answers, the early-warning ranking as at today, the data
currency) to the run's folder; a later one reads them into its app before it starts, as
a rebuilt file's answers come from a warm-up child (``serve/web/warmup.py``), so its
lifespan finds them made (about 20 s of CPU saved per process: a model fit and every
profile prepared again from the same bytes).
"""

from __future__ import annotations

import fcntl
import logging
import pickle
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import uvicorn
from fastapi import FastAPI

from cscwatch.core.config import Settings
from cscwatch.serve.api import _risk
from cscwatch.serve.api._prepared import PreparedAnswers
from cscwatch.serve.app import create_app
from cscwatch.serve.web import warmup

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


def start_server(warehouse: Path, log: Path, shared: Path | None = None) -> tuple[LiveServer, str]:
    """Serve ``create_app`` over ``warehouse`` on a free loopback port; return once it
    answers (after its warm-up). Its log records go to ``log`` while it runs.

    Settings other than the warehouse come from the environment, as for a server
    started with ``CSCWATCH_WAREHOUSE`` set. With ``shared`` (a folder of the run),
    servers of the run's processes over the same file share one warm-up: the first
    writes what its lifespan made there, a later one starts with it (module docstring).
    """
    app = create_app(Settings(warehouse=warehouse))
    if shared is None:
        return _start(app, log)
    shared.mkdir(parents=True, exist_ok=True)
    with (shared / "warm-up.lock").open("w") as lock:
        # held while the first server warms: a second process waits for its warm-up
        # rather than doing the same work at the same time
        fcntl.flock(lock, fcntl.LOCK_EX)
        made = shared / "warm-up.pickle"
        given = _give_warm_up(app, made)
        live, base = _start(app, log)
        if not given:
            _keep_warm_up(live.app, made)
    return live, base


def _keep_warm_up(app: FastAPI, path: Path) -> None:
    """Write what ``app``'s lifespan made for its file to ``path`` (renamed into place)."""
    pool = app.state.pool
    with pool.snapshot() as snap:
        prepared: PreparedAnswers | None = app.state.prepared_by_tag.get(snap.tag)
        if prepared is None or snap.tag not in app.state.data_currency_by_tag:
            return  # a failed warm-up (logged): nothing to share
        as_at = _risk.default_as_at(snap.con, snap.tag)
        made = {
            "tag": snap.tag,
            "as_at": as_at,
            # kept by the warm-up: read from the in-process cache, not fitted again
            "ranking": _risk.ranking(snap.con, app.state.settings, snap.tag, as_at),
            "currency": app.state.data_currency_by_tag[snap.tag],
            "prepared": {
                "authorities": dict(prepared.authorities),
                "profiles": dict(prepared.profiles),
                "observations": dict(prepared.observations),
                "gzipped": dict(prepared.gzipped),
                "seconds": prepared.seconds,
            },
        }
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        pickle.dump(made, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def _give_warm_up(app: FastAPI, path: Path) -> bool:
    """Give ``app`` the warm-up another process made from the same file (as a warm-up
    child's answers are kept, ``serve/web/warmup.py``); False if there is none."""
    if not path.is_file():
        return False
    with path.open("rb") as f:
        made: dict[str, Any] = pickle.load(f)
    with app.state.pool.snapshot() as snap:
        tag, as_at = snap.tag, _risk.default_as_at(snap.con, snap.tag)
    if made["tag"] != tag or made["as_at"] != as_at:
        return False  # another file, or made yesterday: warm this one itself
    p = made["prepared"]
    warmup._keep_prepared(
        app,
        PreparedAnswers(
            tag=tag,
            authorities=MappingProxyType(p["authorities"]),
            profiles=MappingProxyType(p["profiles"]),
            observations=MappingProxyType(p["observations"]),
            gzipped=MappingProxyType(p["gzipped"]),
            seconds=p["seconds"],
        ),
    )
    warmup._keep_currency(app, tag, made["currency"])
    _risk.keep(app.state.settings, tag, made["as_at"], made["ranking"])
    return True


def _start(app: FastAPI, log: Path) -> tuple[LiveServer, str]:
    """Run ``app`` under uvicorn in a thread; return once its lifespan has started."""
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
