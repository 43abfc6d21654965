"""The one JSON error shape of the API, and the handlers that produce it.

Every error a client sees from ``/api`` is::

    {"error": {"code": "unknown_authority", "message": "...", "detail": ...}}

``code`` is a stable machine-readable string (the ``code`` of the library's
:class:`~cscwatch.core.errors.CscwatchError` subclass, or one of ``invalid_parameter``,
``not_found``, ``method_not_allowed``, ``not_modified``, ``internal_error``);
``message`` is one sentence for people; ``detail`` is ``null`` or structured help
(suggestions, the parameters at fault). No stack trace or internal text ever reaches
a client: unexpected exceptions are logged and answered with ``internal_error``.
Pages (everything outside ``/api``) get the same status with an HTML page instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from cscwatch.core.errors import (
    AmbiguousAuthorityError,
    ConfigError,
    CscwatchError,
    InputError,
    UnknownAuthorityError,
    UnknownIndicatorError,
    WarehouseError,
)

__all__ = [
    "ERROR_RESPONSES",
    "ApiError",
    "ErrorBody",
    "ErrorResponse",
    "HtmlErrorRenderer",
    "install_error_handlers",
]

_log = logging.getLogger("cscwatch.serve")

#: Renders an error as a page: (request, status, code, message) -> Response.
HtmlErrorRenderer = Callable[[Request, int, str, str], Response]


class ErrorBody(BaseModel):
    """What went wrong."""

    code: str
    message: str
    detail: Any = None


class ErrorResponse(BaseModel):
    """The envelope of every API error."""

    error: ErrorBody


#: For route decorators, so the OpenAPI document shows the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Bad parameter"},
    404: {"model": ErrorResponse, "description": "Unknown authority, indicator or path"},
    422: {"model": ErrorResponse, "description": "Parameter failed validation"},
    503: {"model": ErrorResponse, "description": "Warehouse not built or unreadable"},
}


class ApiError(Exception):
    """Raised by routes for an HTTP-level problem that is not a library error."""

    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


def _status_for(exc: CscwatchError) -> int:
    if isinstance(exc, AmbiguousAuthorityError):
        return 400
    if isinstance(exc, (UnknownAuthorityError, UnknownIndicatorError)):
        return 404
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, WarehouseError):
        return 503
    if isinstance(exc, ConfigError):
        return 500
    return 500


def _message_for(exc: CscwatchError, status: int) -> str:
    if status >= 500 and not isinstance(exc, WarehouseError):
        return "internal error; the server has logged it"
    if isinstance(exc, WarehouseError):
        return "the data warehouse is not available; try again shortly"
    return str(exc)


def install_error_handlers(app: FastAPI, html: HtmlErrorRenderer | None = None) -> None:
    """Register the handlers that turn every failure into the pinned shape (or a page)."""

    def respond(
        request: Request, status: int, code: str, message: str, detail: Any = None
    ) -> Response:
        if html is not None and not request.url.path.startswith("/api"):
            return html(request, status, code, message)
        body = ErrorResponse(error=ErrorBody(code=code, message=message, detail=detail))
        return JSONResponse(body.model_dump(), status_code=status)

    async def on_library_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CscwatchError)
        status = _status_for(exc)
        if status >= 500:
            _log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
        detail = None
        suggestions = getattr(exc, "suggestions", None)
        if suggestions is not None:
            detail = {"suggestions": list(suggestions)}
        return respond(request, status, exc.code, _message_for(exc, status), detail)

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return respond(request, exc.status, exc.code, exc.message, exc.detail)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {
                "in": str(err.get("loc", ("",))[0]),
                "name": ".".join(str(p) for p in err.get("loc", ())[1:]),
                "message": str(err.get("msg", "invalid")),
            }
            for err in exc.errors()
        ]
        names = ", ".join(p["name"] or p["in"] for p in problems)
        return respond(request, 422, "invalid_parameter", f"invalid parameter: {names}", problems)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        codes = {404: "not_found", 405: "method_not_allowed", 304: "not_modified"}
        code = codes.get(exc.status_code, f"http_{exc.status_code}")
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such path: {request.url.path}"
        resp = respond(request, exc.status_code, code, message)
        if exc.headers:
            resp.headers.update(exc.headers)
        return resp

    async def on_crash(request: Request, exc: Exception) -> Response:
        _log.exception("unhandled error on %s", request.url.path, exc_info=exc)
        return respond(request, 500, "internal_error", "internal error; the server has logged it")

    app.add_exception_handler(CscwatchError, on_library_error)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
