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
* every authority's figures for every indicator of the catalogue, ``GET
  /api/observations?indicator={id}&authority={la}``, from one read of the
  ``observation`` table (:func:`cscwatch.indicators.observations.query_observations`)
  and serialised by the route's own :func:`~cscwatch.serve.api.observations.records_json`
  (an indicator the authority has no figures for gets the route's empty page); a
  request's own ``meta`` and ``links`` are added as it is answered;
* for each of those asked for as above (the LA number as the authority, the query in
  that order), the gzip of the whole answer, made as the app's gzip middleware makes it
  (the same bytes), for clients that accept gzip.

:class:`PreparedAnswerMiddleware`, just inside the ``Host`` check, answers exactly
those requests (an LA number as the authority, no other parameter) from the current
file's table, without a warehouse query, a worker thread, FastAPI's parameter handling
or the middleware below it: it gives the headers those would give (the ETag of
:mod:`~cscwatch.serve.api._etag` and its ``304``, gzip and ``Vary`` as
``GZipMiddleware`` sets them, the security headers). Every other request goes on to
the routes, which give the same bytes and headers (``tests/api/test_api_prepared.py``
compares every prepared answer with the route's). This is not a response cache: the
table holds the answers of one warehouse file, made from it whatever was asked before,
and is dropped with it.
"""

from __future__ import annotations

import itertools
import logging
import time
import zlib
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl

import duckdb
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.indicators.authorities import Authority, list_authorities, resolve_authority
from cscwatch.indicators.benchmarking import profiles
from cscwatch.indicators.observations import query_observations
from cscwatch.indicators.prices import prices_note
from cscwatch.serve.api._deps import (
    PAGE_LIMIT,
    PageLinks,
    PageMeta,
    PageParams,
    paginate,
    public_link,
)
from cscwatch.serve.api._etag import accept_key, etag_matches, request_etag
from cscwatch.serve.api._headers import GZIP_LEVEL, GZIP_MINIMUM_SIZE, SECURITY_HEADERS
from cscwatch.serve.api.observations import page_json, records_json
from cscwatch.serve.api.profile import profile_json

__all__ = [
    "KEEP",
    "PreparedAnswerMiddleware",
    "PreparedAnswers",
    "gzip_body",
    "prepare_answers",
    "remember",
]

_log = logging.getLogger("cscwatch.serve")
_PROFILE_PREFIX = "/api/authorities/"
_PROFILE_SUFFIX = "/profile"
_OBSERVATIONS = "/api/observations"
_JSON = (b"content-type", b"application/json")
_VARY = (b"vary", b"Accept-Encoding")
_GZIP = (b"content-encoding", b"gzip")
_NO_CACHE = (b"cache-control", b"no-cache")
#: Prepared tables kept at once: the file served and the one being warmed.
KEEP = 2


def gzip_body(body: bytes) -> bytes:
    """``body`` gzipped as the app's ``GZipMiddleware`` gzips a whole answer (the same
    bytes: the same level, and zlib's gzip header carries no time)."""
    c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return c.compress(body) + c.flush()


def _profile_target(text: str) -> str:
    return f"{_PROFILE_PREFIX}{text}{_PROFILE_SUFFIX}"


def _observations_target(indicator: str, text: str) -> str:
    return f"{_OBSERVATIONS}?indicator={indicator}&authority={text}"


def _page(data: bytes, count: int, target: str, public_url: str | None) -> bytes:
    """The route's answer for the first page of ``count`` rows asked for by ``target``
    (a path and query), whose ``data`` is ``data``."""
    return page_json(
        data,
        PageMeta(limit=PAGE_LIMIT, offset=0, count=count),
        PageLinks(self=public_link(target, public_url), next=None),
    )


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
        (indicator, LA number) → (number of rows, the JSON of the rows), for every
        indicator of the catalogue (no rows: ``(0, b"[]")``).
    gzipped : mapping
        A request target (path, and query as in :func:`_observations_target`) → the
        gzip of its whole answer, for answers of at least
        :data:`~cscwatch.serve.api._headers.GZIP_MINIMUM_SIZE` bytes.
    seconds : float
        Wall time taken to prepare them.
    """

    tag: str
    authorities: MappingProxyType[str, Authority]
    profiles: MappingProxyType[str, bytes]
    observations: MappingProxyType[tuple[str, str], tuple[int, bytes]]
    gzipped: MappingProxyType[str, bytes]
    seconds: float

    def summary(self) -> str:
        """One line: how many answers, how many bytes, how long."""
        size = sum(map(len, self.profiles.values())) + sum(
            len(b) for _, b in self.observations.values()
        )
        return (
            f"{len(self.profiles)} profiles and {len(self.observations)} observation series "
            f"prepared ({size / 1e6:.1f} MB, {len(self.gzipped)} answers gzipped in "
            f"{sum(map(len, self.gzipped.values())) / 1e6:.1f} MB) in {self.seconds:.2f} s"
        )

    def to_dict(self) -> dict[str, object]:
        """Counts and timing (not the answers)."""
        return {
            "tag": self.tag,
            "authorities": len(self.authorities),
            "profiles": len(self.profiles),
            "observations": len(self.observations),
            "gzipped": len(self.gzipped),
            "seconds": self.seconds,
        }


def prepare_answers(
    con: duckdb.DuckDBPyConnection,
    tag: str,
    *,
    public_url: str | None = None,
    batch: int = 10,
) -> PreparedAnswers:
    """Prepare the default profile of every authority and every authority's
    observations of every indicator, as the routes would give them, and the gzip of
    each answer asked for by an LA number (links under ``public_url``, as the app's
    ``Settings.public_url``).

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
    empty = records_json([])
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
        for a in some:  # the route's empty page where an authority has no figures
            for indicator in CATALOGUE:
                series.setdefault((indicator, a.la_code), (0, empty))
        time.sleep(0)
    gzipped: dict[str, bytes] = {}
    profile_gz: dict[str, bytes] = {}
    for n, (text, auth) in enumerate(sorted(resolved.items())):
        body = bodies.get(auth.la_code)
        if body is not None and len(body) >= GZIP_MINIMUM_SIZE:
            if auth.la_code not in profile_gz:
                profile_gz[auth.la_code] = gzip_body(body)
            gzipped[_profile_target(text)] = profile_gz[auth.la_code]
        for indicator in CATALOGUE:
            hit = series.get((indicator, auth.la_code))
            if hit is None or hit[0] > PAGE_LIMIT:
                continue
            target = _observations_target(indicator, text)
            page = _page(hit[1], hit[0], target, public_url)
            if len(page) >= GZIP_MINIMUM_SIZE:
                gzipped[target] = gzip_body(page)
        if n % batch == 0:
            time.sleep(0)
    return PreparedAnswers(
        tag=tag,
        authorities=MappingProxyType(resolved),
        profiles=MappingProxyType(bodies),
        observations=MappingProxyType(series),
        gzipped=MappingProxyType(gzipped),
        seconds=round(time.perf_counter() - started, 3),
    )


def remember(store: MutableMapping[str, PreparedAnswers], answers: PreparedAnswers) -> None:
    """Keep ``answers`` in ``store`` (by tag), dropping the oldest past :data:`KEEP`."""
    store.pop(answers.tag, None)
    while len(store) >= KEEP:
        store.pop(next(iter(store)))
    store[answers.tag] = answers


class PreparedAnswerMiddleware:
    """Answers a request for a prepared answer of the file being served, with the
    headers the app's middleware would give it; passes every other request on.

    Parameters
    ----------
    app : ASGIApp
    identity : callable
        The tag of the file being served (:meth:`WarehousePool.tag`).
    store : mapping
        Tag → :class:`PreparedAnswers`, filled by the warm-up.
    version : str
        The code version the ETags name (as :class:`~cscwatch.serve.api._etag.ETagMiddleware`).
    public_url : str, optional
        ``Settings.public_url``: the links of observations pages are under it.
    """

    def __init__(
        self,
        app: ASGIApp,
        identity: Callable[[], str],
        store: MutableMapping[str, PreparedAnswers],
        version: str,
        public_url: str | None = None,
    ) -> None:
        self.app = app
        self.identity = identity
        self.store = store
        self.version = version
        self.public_url = public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = None
        if scope["type"] == "http" and scope["method"] == "GET" and self.store:
            found = self.store.get(self.identity())
        answer = None if found is None else self._answer(found, scope)
        if answer is None or found is None:
            await self.app(scope, receive, send)
            return
        await self._send(found, scope, send, *answer)

    def _answer(self, found: PreparedAnswers, scope: Scope) -> tuple[bytes, str | None] | None:
        """The answer's body and, where it was asked for as prepared, its target."""
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        if path.startswith(_PROFILE_PREFIX) and path.endswith(_PROFILE_SUFFIX) and not query:
            text = path[len(_PROFILE_PREFIX) : -len(_PROFILE_SUFFIX)]
            auth = None if "/" in text else found.authorities.get(text.strip().lower())
            body = None if auth is None else found.profiles.get(auth.la_code)
            return None if body is None else (body, path)
        if path != _OBSERVATIONS or not query:
            return None
        params = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        given = dict(params)
        if len(params) != 2 or given.keys() != {"indicator", "authority"}:
            return None
        auth = found.authorities.get(given["authority"].strip().lower())
        hit = None if auth is None else found.observations.get((given["indicator"], auth.la_code))
        if hit is None or hit[0] > PAGE_LIMIT:
            return None
        target = f"{path}?{query.decode('latin-1')}"
        if target == _observations_target(given["indicator"], given["authority"]) and not scope.get(
            "root_path"
        ):
            return _page(hit[1], hit[0], target, self.public_url), target
        # any other spelling: the links as the route builds them from the request
        _, meta, links = paginate(
            Request(scope), [None] * hit[0], PageParams(limit=PAGE_LIMIT, offset=0)
        )
        return page_json(hit[1], meta, links), None

    async def _send(
        self, found: PreparedAnswers, scope: Scope, send: Send, body: bytes, target: str | None
    ) -> None:
        raw: list[tuple[bytes, bytes]] = scope.get("headers", [])
        headers = dict(raw)
        tag = request_etag(found.tag, self.version, scope, accept_key(headers)).encode()
        inm = headers.get(b"if-none-match")
        if inm is not None and etag_matches(inm, tag.decode()):
            # as ETagMiddleware answers it
            start: dict[str, Any] = {
                "type": "http.response.start",
                "status": 304,
                "headers": [(b"etag", tag), _NO_CACHE, *SECURITY_HEADERS],
            }
            await send(start)
            await send({"type": "http.response.body", "body": b""})
            return
        extra: list[tuple[bytes, bytes]] = []
        if len(body) >= GZIP_MINIMUM_SIZE:
            # as GZipMiddleware decides: the first Accept-Encoding header names gzip
            encoding = next((v for k, v in raw if k == b"accept-encoding"), b"")
            extra.append(_VARY)
            if b"gzip" in encoding:
                gz = found.gzipped.get(target) if target is not None else None
                body = gz if gz is not None else gzip_body(body)
                extra.append(_GZIP)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(body)).encode()),
                    _JSON,
                    *extra,
                    (b"etag", tag),
                    _NO_CACHE,
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
