"""A live uvicorn server on a free loopback port over the session's warehouse.

The API is exercised over real HTTP (httpx), the way clients and the load benchmark
use it. The server is the session's ``app_server`` (tests/conftest.py), the one the
browser tests of the same test process use; it runs in a thread of the test process
(tests/_live_server.py), so a test can also read what the running app holds.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

#: One TLS context for every test's client. httpx makes a new one per client by default,
#: loading certifi's CA bundle each time: 33 ms of CPU per test (measured 4 December
#: 2026), for a loopback server that speaks plain HTTP and never uses it.
_TLS = ssl.create_default_context()


@pytest.fixture(scope="session")
def live_server(app_server: str) -> str:
    return app_server


@pytest.fixture()
def api(live_server: str) -> Iterator[httpx.Client]:
    # generous: a profile page is about 1 s of CPU, which at a load average of 30 on the
    # 2-core machine is tens of seconds of wall time
    with httpx.Client(base_url=live_server, timeout=300, verify=_TLS) as client:
        yield client
