"""The application factory: API routers, pages, error shape, ETags, warehouse pool."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from cscwatch.core.config import Settings
from cscwatch.core.errors import WarehouseError
from cscwatch.serve.api._errors import install_error_handlers
from cscwatch.serve.api._etag import ETagMiddleware
from cscwatch.serve.api._headers import (
    GZIP_LEVEL,
    GZIP_MINIMUM_SIZE,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
)
from cscwatch.serve.api._prepared import PreparedAnswerMiddleware
from cscwatch.serve.api._warehouse import Snapshot, WarehousePool
from cscwatch.store.warehouse import check_layout

__all__ = ["create_app", "create_cold_app"]

_DESCRIPTION = """\
Read-only access to the cscwatch warehouse of published children's social care
statistics for England: authorities, the indicator catalogue, observations (JSON or
the publisher's tidy CSV), authority profiles, benchmarks against statistical
neighbours, region and England, and variation between authorities.

* Authorities are named by the DfE three-digit LA number (`352`), a GSS code or a name.
* Years are the year ending 31 March (`2025` or `2024-25`).
* Lists are paged with `limit`/`offset`; `links.next` is the next page or null.
* Every GET answer carries an `ETag`; send it back in `If-None-Match` for a `304`.
* Every error has the shape `{"error": {"code", "message", "detail"}}`.
"""


def _version() -> str:
    """The package version plus a fingerprint of its files, for ETags.

    An edited template or module then changes every tag, even without a new release;
    the same code gives the same fingerprint in every worker.
    """
    try:
        version = metadata.version("cscwatch")
    except metadata.PackageNotFoundError:
        version = "0"
    root = Path(__file__).resolve().parents[1]
    h = hashlib.blake2b(version.encode(), digest_size=6)
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".html", ".css", ".js") and "__pycache__" not in p.parts:
            st = p.stat()
            h.update(f"{p.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return f"{version}+{h.hexdigest()}"


def create_app(
    settings: Settings | None = None,
    *,
    response_cache_bytes: int = 64 * 1024 * 1024,
    worker_threads: int = 4,
    warm: bool = True,
) -> FastAPI:
    """Build the web application.

    Parameters
    ----------
    settings : Settings, optional
        Built from the environment (``CSCWATCH_*``) when not given.
    response_cache_bytes : int
        Size of the in-process cache of answers keyed by ETag; 0 turns it off.
    worker_threads : int
        Threads that run routes (and so warehouse queries) at once. Few, so that the
        event loop, which answers cached requests and 304s itself, is not starved of
        the GIL by many threads waiting on queries (measured in benchmarks/load.py).
    warm : bool
        Warm each warehouse file before serving it (``serve/web/warmup.py``): at
        start-up, before the first request, and after a rebuild in a child process
        while the old file is served, so that no request waits for a model fit or a
        cold cache. Warming also prepares every authority's profile and observations
        answers (``serve/api/_prepared.py``): for a replaced file before it is served,
        for the first file at start-up.

    Returns
    -------
    FastAPI
        The API under ``/api`` (OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``)
        and the dashboard pages at ``/``.
    """
    settings = settings or Settings()

    def warm_file(snap: Snapshot) -> None:
        from cscwatch.serve.web.warmup import warm_replaced

        # a replaced file: its answers too, before it is served, in a child process
        warm_replaced(app, snap)

    pool = WarehousePool(settings.warehouse, warm=warm_file if warm else None, check=check_layout)

    def warm_first(answers: bool) -> None:
        from cscwatch.serve.web.warmup import prepare, warm_up

        try:
            with pool.snapshot() as snap:
                if answers:
                    prepare(app, snap)
                else:
                    warm_up(app, snap, answers=False)
        except WarehouseError:
            pass  # no warehouse yet: requests answer 503 until one is built
        except Exception:  # a failed warm-up leaves the server cold, not down
            logging.getLogger("cscwatch.serve").exception("warming the warehouse failed")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = worker_threads
        app.state.warm_stopped = False
        pool.sweep_links()
        if warm:
            await anyio.to_thread.run_sync(warm_first, False)
            # the first file's answers too, before the first request: prepared in the
            # background they held the GIL against the first page requests (search
            # "Hull" took 1.8 s on a quiet machine against 0.7 s after a rebuild)
            await anyio.to_thread.run_sync(warm_first, True)
        yield
        from cscwatch.serve.web.warmup import stop_children

        stop_children(app)
        pool.close()

    version = _version()
    app = FastAPI(
        title="cscwatch",
        version=version,
        description=_DESCRIPTION,
        openapi_url="/api/openapi.json",
        # /api/docs is a page of our own (serve/web/pages.py): Swagger UI from the
        # assets `make web` installs, never a CDN, inside the site's layout
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.pool = pool
    app.state.authority_cache = {}
    app.state.data_currency_by_tag = {}
    app.state.prepared_by_tag = {}
    app.state.warm_children = set()  # child processes warming replaced files
    app.state.warm_stopped = False

    from cscwatch.serve.api import _routers
    from cscwatch.serve.web import install_pages, render_error_page

    for router in _routers.routers():
        app.include_router(router, prefix="/api")
    install_pages(app, settings)
    install_error_handlers(app, html=render_error_page)
    # inside the ETag middleware, so cached answers are stored compressed
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_SIZE, compresslevel=GZIP_LEVEL)
    app.add_middleware(
        ETagMiddleware, identity=pool.tag, version=version, cache_bytes=response_cache_bytes
    )
    # outside the cache, so its answers get the headers too
    app.add_middleware(SecurityHeadersMiddleware)
    # a prepared answer skips the layers above: it is sent with the ETag, gzip and
    # headers they would give it (serve/api/_prepared.py), after the Host check
    app.add_middleware(
        PreparedAnswerMiddleware,
        identity=pool.tag,
        store=app.state.prepared_by_tag,
        version=version,
        public_url=settings.public_url,
    )
    # added last, so outermost: a made-up Host never reaches a route or the cache
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    logging.getLogger("cscwatch.serve").debug("app built for %s", settings.warehouse)
    return app


def create_cold_app() -> FastAPI:
    """:func:`create_app` with the settings of the environment and without warming
    (``cscwatch serve --no-warm --workers N``: uvicorn's workers build the app from an
    import string)."""
    return create_app(warm=False)
