"""Answers prepared when the server opens a warehouse file, and the lean path that
sends them.

Under 50 concurrent clients an API request that assembles its answer (one query,
a hundred result records validated and serialised, FastAPI's parameter handling and a
hop to a worker thread) costs 15-60 ms of CPU, so requests queue far past the 100 ms
target. The two answers clients ask for most are therefore made once per warehouse
file (``serve/web/warmup.py``): for a file a rebuild puts in place, in a child process
during the warm-up that runs before it is served (the serving process only reads them);
for the first file, at start-up before the first request:

* every authority's profile, ``GET /api/authorities/{la}/profile`` (latest year, cash
  terms), from one read of the ``benchmark`` table
  (:func:`cscwatch.indicators.benchmarking.profiles`) and serialised by the route's own
  :func:`~cscwatch.serve.api.profile.profile_json`;
* every authority's figures for every indicator, ``GET /api/observations?indicator=
  {id}&authority={la}``, from one read of the ``observation`` table
  (:func:`cscwatch.indicators.observations.query_observations`) and serialised by the
  route's own :func:`~cscwatch.serve.api.observations.records_json`; a request's own
  ``meta`` and ``links`` are added as it is answered.

:class:`PreparedAnswerMiddleware` answers exactly those requests (an LA number as the
authority, no other parameter) from the current file's table, without a
warehouse query, a worker thread or FastAPI's parameter handling; every other request
goes on to the routes, which give the same bytes (``tests/api/test_api_prepared.py``
compares every prepared answer with the route's). This is not a response cache: the
table holds the answers of one warehouse file, made from it whatever was asked before,
and is dropped with it; the ETag middleware, gzip and the security headers still wrap every
answer.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl

import duckdb
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cscwatch.indicators.authorities import Authority, list_authorities, resolve_authority
from cscwatch.indicators.benchmarking import profiles
from cscwatch.indicators.observations import query_observations
from cscwatch.indicators.prices import prices_note
from cscwatch.serve.api._deps import PAGE_LIMIT, PageParams, paginate
from cscwatch.serve.api.observations import page_json, records_json
from cscwatch.serve.api.profile import profile_json

__all__ = ["KEEP", "PreparedAnswerMiddleware", "PreparedAnswers", "prepare_answers", "remember"]

_log = logging.getLogger("cscwatch.serve")
_PROFILE_PREFIX = "/api/authorities/"
_PROFILE_SUFFIX = "/profile"
_OBSERVATIONS = "/api/observations"
#: Prepared tables kept at once: the file served and the one being warmed.
KEEP = 2


@dataclass(frozen=True)
class PreparedAnswers:
    """The prepared answers of one warehouse file (read-only mappings).

    Attributes
    ----------
    tag : str
        The file's identity tag (:meth:`WarehousePool.tag`).
    authorities : mapping
        An LA number → the authority it resolves to
        (:func:`~cscwatch.indicators.authorities.resolve_authority`).
    profiles : mapping
        LA number → the body of its default profile.
    observations : mapping
        (indicator, LA number) → (number of rows, the JSON of the rows).
    seconds : float
        Wall time taken to prepare them.
    """

    tag: str
    authorities: MappingProxyType[str, Authority]
    profiles: MappingProxyType[str, bytes]
    observations: MappingProxyType[tuple[str, str], tuple[int, bytes]]
    seconds: float

    def summary(self) -> str:
        """One line: how many answers, how many bytes, how long."""
        size = sum(map(len, self.profiles.values())) + sum(
            len(b) for _, b in self.observations.values()
        )
        return (
            f"{len(self.profiles)} profiles and {len(self.observations)} observation series "
            f"prepared ({size / 1e6:.1f} MB) in {self.seconds:.2f} s"
        )

    def to_dict(self) -> dict[str, object]:
        """Counts and timing (not the answers)."""
        return {
            "tag": self.tag,
            "authorities": len(self.authorities),
            "profiles": len(self.profiles),
            "observations": len(self.observations),
            "seconds": self.seconds,
        }


def prepare_answers(
    con: duckdb.DuckDBPyConnection, tag: str, *, batch: int = 10
) -> PreparedAnswers:
    """Prepare the default profile of every authority and every authority's
    observations of every indicator, as the routes would give them.

    Authorities are read ``batch`` at a time, and the thread pauses between batches,
    so that a server preparing a new file in the background keeps answering requests
    (the work holds the interpreter lock while it runs).
    """
    started = time.perf_counter()
    resolved: dict[str, Authority] = {}
    for a in list_authorities(con):
        resolved[a.la_code.lower()] = resolve_authority(con, a.la_code)
    targets = sorted({a.la_code: a for a in resolved.values()}.values(), key=lambda a: a.la_code)
    cash = prices_note("cash")
    bodies: dict[str, bytes] = {}
    series: dict[tuple[str, str], tuple[int, bytes]] = {}
    for k in range(0, len(targets), batch):
        some = targets[k : k + batch]
        for p in profiles(con, some):
            bodies[p.authority.la_code] = profile_json(p, cash)
        time.sleep(0)  # let the event loop run
        rows = query_observations(con, la_codes=[a.la_code for a in some], geo_level="la")
        for key, group in itertools.groupby(rows, key=lambda r: (r.indicator, r.geo_code)):
            found = list(group)
            series[key] = (len(found), records_json(found))
        time.sleep(0)
    return PreparedAnswers(
        tag=tag,
        authorities=MappingProxyType(resolved),
        profiles=MappingProxyType(bodies),
        observations=MappingProxyType(series),
        seconds=round(time.perf_counter() - started, 3),
    )


def remember(store: MutableMapping[str, PreparedAnswers], answers: PreparedAnswers) -> None:
    """Keep ``answers`` in ``store`` (by tag), dropping the oldest past :data:`KEEP`."""
    store.pop(answers.tag, None)
    while len(store) >= KEEP:
        store.pop(next(iter(store)))
    store[answers.tag] = answers


class PreparedAnswerMiddleware:
    """Answers a request for a prepared answer of the file being served; passes every
    other request on.

    Parameters
    ----------
    app : ASGIApp
    identity : callable
        The tag of the file being served (:meth:`WarehousePool.tag`).
    store : mapping
        Tag → :class:`PreparedAnswers`, filled by the warm-up.
    """

    def __init__(
        self,
        app: ASGIApp,
        identity: Callable[[], str],
        store: MutableMapping[str, PreparedAnswers],
    ) -> None:
        self.app = app
        self.identity = identity
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = None
        if scope["type"] == "http" and scope["method"] == "GET" and self.store:
            body = self._answer(scope)
        if body is None:
            await self.app(scope, receive, send)
            return
        await Response(body, media_type="application/json")(scope, receive, send)

    def _answer(self, scope: Scope) -> bytes | None:
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        if path.startswith(_PROFILE_PREFIX) and path.endswith(_PROFILE_SUFFIX) and not query:
            text = path[len(_PROFILE_PREFIX) : -len(_PROFILE_SUFFIX)]
            if "/" in text:
                return None
            found = self._prepared(scope)
            auth = found and found.authorities.get(text.strip().lower())
            return None if not found or not auth else found.profiles.get(auth.la_code)
        if path == _OBSERVATIONS and query:
            params = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            given = dict(params)
            if len(params) != 2 or given.keys() != {"indicator", "authority"}:
                return None
            found = self._prepared(scope)
            auth = found and found.authorities.get(given["authority"].strip().lower())
            if not found or not auth:
                return None
            hit = found.observations.get((given["indicator"], auth.la_code))
            if hit is None or hit[0] > PAGE_LIMIT:
                return None
            _, meta, links = paginate(
                Request(scope), [None] * hit[0], PageParams(limit=PAGE_LIMIT, offset=0)
            )
            return page_json(hit[1], meta, links)
        return None

    def _prepared(self, scope: Scope) -> PreparedAnswers | None:
        """The current file's table, its tag recorded for the ETag (as a route does)."""
        tag = self.identity()
        found = self.store.get(tag)
        if found is not None:
            state: dict[str, Any] = scope.setdefault("state", {})
            state["warehouse_tag"] = tag
        return found
