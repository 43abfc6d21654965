"""A live uvicorn server on a free loopback port over the session's warehouse.

The API is exercised over real HTTP (httpx), the way clients and the load benchmark
use it. The server is the session's ``app_server`` (tests/conftest.py), the one the
browser tests of the same test process use.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture(scope="session")
def live_server(app_server: str) -> str:
    return app_server


@pytest.fixture()
def api(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client
