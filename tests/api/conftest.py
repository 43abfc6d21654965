"""A live uvicorn server on a free loopback port over the session's warehouse.

The API is exercised over real HTTP (httpx), the way clients and the load benchmark
use it.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from _live_server import start_server, stop_server

from cscwatch.core.config import Settings


@pytest.fixture(scope="session")
def live_server(warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, base = start_server(warehouse.warehouse, tmp_path_factory.mktemp("api") / "server.log")
    yield base
    stop_server(proc)


@pytest.fixture()
def api(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client
