"""Headers every answer carries (no sniffing, no framing, same-origin referrers), and
the check that a request's ``Host`` header names this service."""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "GZIP_LEVEL",
    "GZIP_MINIMUM_SIZE",
    "SECURITY_HEADERS",
    "SecurityHeadersMiddleware",
    "TrustedHostMiddleware",
    "host_allowed",
]

#: Answers this long or longer are gzipped for clients that accept it, at this level
#: (the app's ``GZipMiddleware``, and the answers prepared per warehouse file).
GZIP_MINIMUM_SIZE = 2048
GZIP_LEVEL = 5

#: Added to every HTTP response.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)


def _host_name(raw: str) -> str:
    """The host of a ``Host`` header without its port (IPv6 literals kept bracketed)."""
    raw = raw.strip().lower()
    if raw.startswith("["):
        end = raw.find("]")
        return raw[: end + 1] if end > 0 else raw
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


def host_allowed(raw: str, allowed: Sequence[str]) -> bool:
    """Whether a ``Host`` header names one of ``allowed`` (``*.example.org`` matches
    subdomains, ``*`` anything)."""
    host = _host_name(raw)
    if not host:
        return False
    for pattern in allowed:
        p = pattern.strip().lower()
        if p == "*" or p == host:
            return True
        if p.startswith("*.") and host.endswith(p[1:]):
            return True
    return False


class TrustedHostMiddleware:
    """Refuses a request whose ``Host`` header is not in the configured list.

    Answers 400 with the API's error shape (code ``untrusted_host``), before any route,
    cache or ETag sees the request. The list comes from ``Settings.allowed_hosts``.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed = tuple(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        hosts = [v for k, v in scope.get("headers", []) if k == b"host"]
        raw = hosts[0].decode("latin-1") if len(hosts) == 1 else ""
        if host_allowed(raw, self.allowed):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "error": {
                    "code": "untrusted_host",
                    "message": "the Host header does not name this service",
                    "detail": None,
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
