"""Conditional GETs: an ETag from the warehouse identity and the request, 304 on a match.

Every answer of the API and the pages is a pure function of the warehouse file, the
code version and the request, so the ETag is a hash of those three; no body is
hashed. A request whose ``If-None-Match`` names the current tag is answered ``304``
before any query runs. Routes that read the warehouse record the identity of the
file they actually read in ``request.state.warehouse_tag``, and that one is used for
the response's tag, so a response read from a file being replaced is never tagged
with the new file's identity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ETagMiddleware"]

_SKIP_PREFIXES = ("/static/", "/assets/")


def _etag(identity: str, version: str, scope: Scope, accept: bytes) -> str:
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


def _matches(if_none_match: bytes, tag: str) -> bool:
    text = if_none_match.decode("latin-1").strip()
    if text == "*":
        return True
    return any(t.strip().removeprefix("W/") == tag for t in text.split(","))


class ETagMiddleware:
    """ASGI middleware adding ``ETag`` and answering ``If-None-Match`` with 304.

    Parameters
    ----------
    app : ASGIApp
    identity : callable
        Returns the current warehouse identity tag (cheap: one ``stat``).
    version : str
        The code version; a new release invalidates every tag.
    """

    def __init__(self, app: ASGIApp, identity: Callable[[], str], version: str) -> None:
        self.app = app
        self.identity = identity
        self.version = version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"].startswith(_SKIP_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        accept = headers.get(b"accept", b"")
        current = _etag(self.identity(), self.version, scope, accept)
        inm = headers.get(b"if-none-match")
        if inm is not None and _matches(inm, current):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [(b"etag", current.encode()), (b"cache-control", b"no-cache")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_tag(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                read = scope.get("state", {}).get("warehouse_tag")
                tag = current if read is None else _etag(read, self.version, scope, accept)
                hdrs = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"etag", b"cache-control")
                ]
                hdrs += [(b"etag", tag.encode()), (b"cache-control", b"no-cache")]
                message = {**message, "headers": hdrs}
            await send(message)

        await self.app(scope, receive, send_with_tag)
