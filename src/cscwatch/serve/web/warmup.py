"""Warming a warehouse file before it is served, so that no request is cold.

The first profile after a start used to take 4.4 s on a quiet machine: it fitted the
early-warning model its risk section shows, read the Ofsted record for the
data-currency banner, imported the chart and map code and compiled the templates. All
of that is done here instead: once at start-up, before the server accepts a request,
and again in the background for each file a rebuild puts in place (the pool keeps
serving the old file until this has run on the new one; ``serve/api/_warehouse.py``).

A replaced file is warmed by :func:`warm_replaced`, mostly in a child process: the
serving process has only one interpreter lock, and preparing a file's answers
(8.5-11.4 s of Python on a quiet machine) in one of its threads held that lock against
the event loop, so requests during a rebuild queued far past 100 ms. A fresh
interpreter (niced) opens the new file read-only through the pool's private link,
prepares the answers, fits the early-warning ranking and reads the data currency, and
sends them back pickled over a pipe, in slices the server reads with a pause between
them; no file is written. Only then is the new file served. If the child fails, the
file is warmed in this process as before (slower answers meanwhile, never wrong ones).
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

import duckdb
from fastapi import FastAPI

from cscwatch.core.catalogue import get_indicator
from cscwatch.core.config import Settings
from cscwatch.core.errors import CscwatchError
from cscwatch.indicators.authorities import list_authorities
from cscwatch.indicators.currency import data_currency
from cscwatch.models.risk_ranking import RiskRanking
from cscwatch.serve.api import _risk
from cscwatch.serve.api._prepared import PreparedAnswers, prepare_answers, remember
from cscwatch.serve.api._warehouse import Snapshot, file_tag
from cscwatch.serve.web import views
from cscwatch.serve.web._render import TEMPLATES, _env
from cscwatch.serve.web.sections import PROFILE_SECTIONS

__all__ = ["child_main", "prepare", "stop_children", "warm_in_child", "warm_replaced", "warm_up"]

_log = logging.getLogger("cscwatch.serve")

#: Per-file caches of the data-currency banner kept at once (old and new file).
_KEEP = 4
#: Seconds a child process may take over one file before it is stopped (the file is
#: then warmed in the serving process).
CHILD_TIMEOUT_S = 900.0
#: Answers per slice the child sends, and the pause after reading each: a slice of
#: observations is about 1.5 MB, a few milliseconds of the interpreter lock.
_SLICE = 400
_PAUSE_S = 0.002
_CHILD_CODE = "from cscwatch.serve.web.warmup import child_main; raise SystemExit(child_main())"


def _keep_currency(app: FastAPI, tag: str, found: object) -> None:
    cache: dict[str, object] = app.state.data_currency_by_tag
    while len(cache) >= _KEEP:
        cache.pop(next(iter(cache)))
    cache[tag] = found


def remember_currency(app: FastAPI, snap: Snapshot) -> object:
    """The data-currency banner's information for ``snap``'s file, from the app's cache
    (kept per file) or read now."""
    found = app.state.data_currency_by_tag.get(snap.tag)
    if found is None:
        found = data_currency(snap.con)
        _keep_currency(app, snap.tag, found)
    return found


def _keep_prepared(app: FastAPI, prepared: PreparedAnswers) -> None:
    remember(app.state.prepared_by_tag, prepared)
    # the routes resolve the same LA numbers through this cache (serve/api/_deps.py)
    app.state.authority_cache.update(
        {(prepared.tag, text): auth for text, auth in prepared.authorities.items()}
    )


def prepare(app: FastAPI, snap: Snapshot) -> None:
    """Prepare the API's profile and observations answers for ``snap``'s file
    (``serve/api/_prepared.py``) and keep them, unless that is done."""
    if snap.tag in app.state.prepared_by_tag:
        return
    prepared = prepare_answers(snap.con, snap.tag, public_url=app.state.settings.public_url)
    _keep_prepared(app, prepared)
    _log.info("warehouse %s: %s", snap.tag, prepared.summary())


def _shows_risk() -> bool:
    return any(s.id == "risk" for s in PROFILE_SECTIONS)


def _fit_ranking(
    con: duckdb.DuckDBPyConnection, settings: Settings, tag: str
) -> RiskRanking | None:
    """The early-warning ranking the profiles show (as at :func:`_risk.default_as_at`),
    or None where there is none (too few inspections before the date): each profile
    then says why, as a request would."""
    as_at = None
    try:
        as_at = _risk.default_as_at(con, tag)
        return _risk.ranking(con, settings, tag, as_at)
    except CscwatchError as exc:
        _log.info("no early-warning ranking for %s as at %s: %s", tag, as_at, exc)
        return None


def warm_up(app: FastAPI, snap: Snapshot, *, answers: bool = True) -> None:
    """Do for ``snap``'s file what the first requests would otherwise do: prepare the
    API's profile and observations answers (:func:`prepare`; unless ``answers`` is
    false), fit the early-warning ranking the profiles show, read the data currency,
    build one authority's profile and one indicator page, and compile every template."""
    started = time.perf_counter()
    settings = app.state.settings
    con = snap.con
    if answers:
        prepare(app, snap)
    if _shows_risk():
        _fit_ranking(con, settings, snap.tag)
    remember_currency(app, snap)
    current = list_authorities(con, current_only=True)
    if current:
        views.profile(con, settings, current[0], None, warehouse_tag=snap.tag)
    views.indicator(con, settings, get_indicator("cpp_at31_per_10k"), None, None)
    for path in sorted(TEMPLATES.rglob("*.html")):
        _env.get_template(path.relative_to(TEMPLATES).as_posix())
    _log.info("warehouse %s warmed in %.2f s", snap.tag, time.perf_counter() - started)


def warm_replaced(app: FastAPI, snap: Snapshot) -> None:
    """Warm a file a rebuild put in place, before the pool serves it: in a child process
    (:func:`warm_in_child`) when the pool gave it a path, else, or if the child fails,
    in this process (:func:`warm_up`)."""
    if snap.path is not None:
        try:
            warm_in_child(app, snap)
            return
        except Exception:
            if app.state.warm_stopped:
                return  # the server is shutting down: the file will not be served
            _log.exception("warming warehouse %s in a child process failed", snap.tag)
            _log.warning("warehouse %s: warming it in the serving process instead", snap.tag)
    warm_up(app, snap)


def stop_children(app: FastAPI) -> None:
    """Stop the child processes warming files for ``app`` (at shutdown): their files
    will not be served, and nothing is warmed in their place."""
    app.state.warm_stopped = True
    for proc in list(app.state.warm_children):
        if proc.poll() is None:
            proc.kill()


def warm_in_child(app: FastAPI, snap: Snapshot) -> None:
    """Prepare ``snap``'s answers, fit its early-warning ranking and read its data
    currency in a child process (:func:`child_main`), and keep them as :func:`warm_up`
    would.

    The serving process only reads the results, slice by slice; the time it spends on
    that is logged.

    Raises
    ------
    RuntimeError
        If the child fails, is stopped, or answers for another file.
    """
    if snap.path is None:
        raise ValueError("warm_in_child needs a snapshot with a path (the pool's link)")
    started = time.perf_counter()
    request = pickle.dumps(
        {
            "path": str(snap.path),
            "tag": snap.tag,
            "settings": app.state.settings,
            "risk": _shows_risk(),
        }
    )
    children: set[subprocess.Popen[bytes]] = app.state.warm_children
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD_CODE], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    children.add(proc)
    timer = threading.Timer(CHILD_TIMEOUT_S, proc.kill)
    timer.daemon = True
    timer.start()
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(request)
        proc.stdin.close()
        header, answers, cpu, slices, longest = _read_answers(proc.stdout, snap.tag)
        code = proc.wait()
        if code != 0:
            raise RuntimeError(f"the child process exited with code {code}")
    except (EOFError, pickle.UnpicklingError, OSError) as exc:
        raise RuntimeError(
            f"the child process stopped before its answers were sent: {exc}"
        ) from exc
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        children.discard(proc)
    prepared = PreparedAnswers(
        tag=snap.tag,
        authorities=MappingProxyType(header["authorities"]),
        profiles=MappingProxyType(answers["profiles"]),
        observations=MappingProxyType(answers["observations"]),
        gzipped=MappingProxyType(answers["gzipped"]),
        seconds=header["seconds"],
    )
    _keep_prepared(app, prepared)
    _keep_currency(app, snap.tag, header["currency"])
    ranking: RiskRanking | None = header["ranking"]
    if ranking is not None:  # as at the child's default date for the file
        _risk.keep(app.state.settings, snap.tag, ranking.as_at, ranking)
    _log.info("warehouse %s: %s (in a child process)", snap.tag, prepared.summary())
    _log.info(
        "warehouse %s warmed in %.2f s; this process read it in %d slices, %.1f ms of "
        "its CPU (the longest slice %.1f ms)",
        snap.tag,
        time.perf_counter() - started,
        slices,
        cpu * 1000,
        longest * 1000,
    )


def _read_answers(
    stream: IO[bytes], tag: str
) -> tuple[dict[str, Any], dict[str, dict[Any, Any]], float, int, float]:
    """Read what :func:`child_main` sends: the header, then slices of answers up to an
    end mark (returned by kind: ``profiles``, ``observations``, ``gzipped``). Also
    returns this thread's CPU seconds spent, the number of slices and the longest
    slice's CPU seconds."""
    cpu = longest = 0.0
    t = time.thread_time()
    header: dict[str, Any] = pickle.load(stream)
    cpu += time.thread_time() - t
    if header.get("tag") != tag:
        raise RuntimeError(f"the child process answered for {header.get('tag')!r}, not {tag!r}")
    answers: dict[str, dict[Any, Any]] = {"profiles": {}, "observations": {}, "gzipped": {}}
    slices = 0
    while True:
        t = time.thread_time()
        kind, items = pickle.load(stream)
        if kind in answers:
            answers[kind].update(items)
        elif kind != "end":
            raise RuntimeError(f"the child process sent {kind!r}")
        spent = time.thread_time() - t
        cpu += spent
        longest = max(longest, spent)
        if kind == "end":
            return header, answers, cpu, slices, longest
        slices += 1
        time.sleep(_PAUSE_S)  # the event loop answers requests meanwhile


def child_main() -> int:
    """The child process of :func:`warm_in_child`: read the request (pickled) on stdin,
    send the answers (pickled, in slices) on stdout; exit code 0 when all were sent."""
    os.nice(10)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to the server's log, never into the answers
    logging.basicConfig(level=logging.WARNING)
    request = pickle.load(sys.stdin.buffer)
    path = Path(request["path"])
    tag: str = request["tag"]
    if file_tag(path) != tag:  # never send one file's answers under another's tag
        print(f"{path} is not the file {tag}", file=sys.stderr)
        return 1
    from cscwatch.core.database import connect_duckdb

    con = connect_duckdb(path, read_only=True)
    try:
        prepared = prepare_answers(con, tag, public_url=request["settings"].public_url, batch=40)
        fitted = _fit_ranking(con, request["settings"], tag) if request["risk"] else None
        currency = data_currency(con)
    finally:
        con.close()
    header = {
        "tag": tag,
        "seconds": prepared.seconds,
        "authorities": dict(prepared.authorities),
        "currency": currency,
        "ranking": fitted,
    }
    with out:
        pickle.dump(header, out, protocol=pickle.HIGHEST_PROTOCOL)
        for kind, mapping in (
            ("profiles", prepared.profiles),
            ("observations", prepared.observations),
            ("gzipped", prepared.gzipped),
        ):
            items = list(mapping.items())
            for k in range(0, len(items), _SLICE):
                pickle.dump((kind, items[k : k + _SLICE]), out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(("end", None), out, protocol=pickle.HIGHEST_PROTOCOL)
    return 0
