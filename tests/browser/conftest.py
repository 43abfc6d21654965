"""Playwright (python) driving Debian's /usr/bin/chromium against a live server.

The server is uvicorn over ``create_app`` on a free loopback port, reading the
session's warehouse (built once). Screenshots go to ``test-artifacts/`` (git-ignored).
``make test`` installs chromium (``make browser-deps``) and the npm packages; without
them these tests are skipped with the reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cscwatch.core.config import Settings, repo_root

CHROMIUM = Path("/usr/bin/chromium")
AXE = repo_root() / "node_modules" / "axe-core" / "axe.min.js"
VENDOR_CSS = repo_root() / "src" / "cscwatch" / "serve" / "web" / "static" / "vendor" / "app.css"
ARTIFACTS = repo_root() / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def base_url(warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("browser") / "server.log"
    env = {**os.environ, "CSCWATCH_WAREHOUSE": str(warehouse.warehouse)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "cscwatch.serve.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        # a loaded 2-core machine imports slowly, and start-up warms the warehouse file
        # (the early-warning model's fit) before the first request
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()}")
            try:
                if httpx.get(f"{base}/api/indicators", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in 600 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run `make browser-deps` (apt-get install chromium)")
    if not VENDOR_CSS.exists():
        pytest.skip("GOV.UK Frontend assets not built: run `make web`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: object, base_url: str) -> Iterator[object]:
    ctx = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pg = ctx.new_page()
    # the first profile after a start waits for the early-warning model's fit: well over
    # the default 30 s on a loaded 2-core machine
    pg.set_default_timeout(180_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" else None,
    )
    pg.js_errors = errors
    yield pg
    ctx.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip("axe-core not installed: run `npm ci`")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
