"""Conditional GETs and a response cache, both keyed by one ETag.

Every answer of the API and the pages is a pure function of the warehouse file, the
code version and the request, so the ETag is a hash of those three; no body is
hashed. A request whose ``If-None-Match`` names the current tag is answered ``304``
before any query runs. Routes that read the warehouse record the identity of the
file they actually read in ``request.state.warehouse_tag``, and that one is used for
the response's tag, so a response read from a file being replaced is never tagged
with the new file's identity.

Because the tag names everything an answer depends on, a successful answer can be
replayed for the same tag: a bounded in-process LRU (64 MB by default) holds recent
ones, so repeated requests skip the query and the rendering. A rebuilt warehouse has
a new identity, hence new tags; old entries are never served and age out.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ETagMiddleware", "ResponseCache", "accept_key", "etag_matches", "request_etag"]

_SKIP_PREFIXES = ("/static/", "/assets/")


def request_etag(identity: str, version: str, scope: Scope, accept: bytes) -> str:
    """The tag of the answer to the request ``scope`` from the file ``identity``;
    ``accept`` is its ``Accept`` and ``Accept-Encoding`` (:func:`accept_key`)."""
    h = hashlib.blake2b(digest_size=12)
    for part in (
        identity.encode(),
        version.encode(),
        scope["path"].encode(),
        b"&".join(sorted(scope.get("query_string", b"").split(b"&"))),
        accept,
    ):
        h.update(part)
        h.update(b"\0")
    return f'"{h.hexdigest()}"'


def accept_key(headers: dict[bytes, bytes]) -> bytes:
    """The part of the request headers an answer depends on: ``Accept`` (format) and
    ``Accept-Encoding`` (gzip)."""
    return headers.get(b"accept", b"") + b"|" + headers.get(b"accept-encoding", b"")


def etag_matches(if_none_match: bytes, tag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``tag`` (or is ``*``)."""
    text = if_none_match.decode("latin-1").strip()
    if text == "*":
        return True
    return any(t.strip().removeprefix("W/") == tag for t in text.split(","))


class ResponseCache:
    """A byte-bounded LRU of finished responses: tag -> (status, headers, body)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[int, list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self._size = 0
        self.hits = 0
        self.misses = 0

    def get(self, tag: str) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """The response stored under ``tag``, marked most recently used."""
        item = self._items.get(tag)
        if item is None:
            self.misses += 1
            return None
        self._items.move_to_end(tag)
        self.hits += 1
        return item

    def put(self, tag: str, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Store a response, evicting the least recently used past the byte limit."""
        if len(body) > self.max_bytes // 8 or tag in self._items:
            return
        self._items[tag] = (status, headers, body)
        self._size += len(body)
        while self._size > self.max_bytes and self._items:
            _, (_, _, old) = self._items.popitem(last=False)
            self._size -= len(old)


class ETagMiddleware:
    """ASGI middleware adding ``ETag`` and answering ``If-None-Match`` with 304.

    Parameters
    ----------
    app : ASGIApp
    identity : callable
        Returns the current warehouse identity tag (cheap: one ``stat``).
    version : str
        The code version; a new release invalidates every tag.
    cache_bytes : int
        Size of the response cache; 0 turns it off.
    """

    def __init__(
        self,
        app: ASGIApp,
        identity: Callable[[], str],
        version: str,
        cache_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.app = app
        self.identity = identity
        self.version = version
        self.cache = ResponseCache(cache_bytes) if cache_bytes > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"].startswith(_SKIP_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        accept = accept_key(headers)
        current = request_etag(self.identity(), self.version, scope, accept)
        inm = headers.get(b"if-none-match")
        if inm is not None and etag_matches(inm, current):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [(b"etag", current.encode()), (b"cache-control", b"no-cache")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        cache = self.cache if scope["method"] == "GET" else None
        if cache is not None:
            hit = cache.get(current)
            if hit is not None:
                status, hdrs, body = hit
                await send({"type": "http.response.start", "status": status, "headers": hdrs})
                await send({"type": "http.response.body", "body": body})
                return
        started: dict[str, object] = {}
        chunks: list[bytes] = []

        async def send_with_tag(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                read = scope.get("state", {}).get("warehouse_tag")
                tag = current if read is None else request_etag(read, self.version, scope, accept)
                hdrs = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"etag", b"cache-control")
                ]
                hdrs += [(b"etag", tag.encode()), (b"cache-control", b"no-cache")]
                message = {**message, "headers": hdrs}
                started.update(tag=tag, headers=hdrs)
            elif message["type"] == "http.response.body" and started and cache is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    cache.put(
                        str(started["tag"]),
                        200,
                        list(started["headers"]),  # type: ignore[call-overload]
                        b"".join(chunks),
                    )
            await send(message)

        await self.app(scope, receive, send_with_tag)
