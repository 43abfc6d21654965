"""Playwright (python) driving Debian's chromium, headless, against a live server.

The browser is Debian's headless shell, ``/usr/bin/chromium-headless-shell`` (package
``chromium-headless-shell``: the same chromium build and version as the ``chromium``
package, without the full browser's windowing and UI), and ``/usr/bin/chromium`` in
``--headless`` mode where the shell is not installed.

The server is uvicorn over ``create_app`` on a free loopback port, reading the
session's warehouse (built once): the session's ``app_server``, shared with the API
tests. Screenshots go to ``test-artifacts/`` (git-ignored).
``make test`` installs both (``make browser-deps``) and the npm packages; without them
these tests are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cscwatch.core.config import repo_root

#: Debian's headless shell first: the same renderer, for about a seventh less of chromium's
#: CPU over these tests (its browser and GPU processes do less; docs/web.md, Tests); the
#: full browser in --headless mode where only it is installed.
CHROMIUM_CANDIDATES = (Path("/usr/bin/chromium-headless-shell"), Path("/usr/bin/chromium"))
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


@pytest.fixture(scope="session")
def base_url(app_server: str) -> str:
    """The session's live server (tests/conftest.py ``app_server``), shared with the API
    tests of this test process."""
    return app_server


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    chromium = next((p for p in CHROMIUM_CANDIDATES if p.exists()), None)
    if chromium is None:
        pytest.skip(
            "neither /usr/bin/chromium-headless-shell nor /usr/bin/chromium: run "
            "`make browser-deps` (apt-get install chromium chromium-headless-shell)"
        )
    if not VENDOR_CSS.exists():
        pytest.skip("GOV.UK Frontend assets not built: run `make web`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield b
        b.close()


class _SharedPage:
    """One page for every test of a test process that takes ``page``: a fresh context per
    test started a renderer process and compiled axe-core, GOV.UK Frontend's script and
    Playwright's own in it each time, about 1 CPU-s of chromium per test (8 small pages
    scanned with axe: 20-26 CPU-s, in one page 10-14 with its HTTP cache off, as here).
    ``page`` gives each test the state a new page had. A page that was closed or whose
    renderer crashed is replaced by a new one (in a new context) for the next test, so
    one test's crash does not fail the tests after it."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.page: Any = None
        self.crashed = False

    def get(self) -> Any:
        if self.page is None or self.crashed or self.page.is_closed():
            self.close()
            self.page, self.crashed = self._open(), False
        return self.page

    def _open(self) -> Any:
        ctx = self.browser.new_context(
            base_url=self.base_url, viewport={"width": 1280, "height": 900}
        )
        pg = ctx.new_page()
        # every test's requests reach the server, as from a new context's empty cache (a
        # test that watches responses sees every asset)
        cdp = ctx.new_cdp_session(pg)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        pg.cdp = cdp
        pg.js_errors = []
        pg.on("crash", lambda _: setattr(self, "crashed", True))
        pg.on("pageerror", lambda exc: pg.js_errors.append(str(exc)))
        pg.on(
            "console",
            lambda msg: pg.js_errors.append(msg.text) if msg.type == "error" else None,
        )
        return pg

    def close(self) -> None:
        if self.page is not None:
            # a crashed page's context may be gone already: playwright's Error then
            with contextlib.suppress(Exception):
                self.page.context.close()
            self.page = None


@pytest.fixture(scope="session")
def _shared_page(browser: object, base_url: str) -> Iterator[_SharedPage]:
    shared = _SharedPage(browser, base_url)
    yield shared
    shared.close()


@pytest.fixture()
def page(_shared_page: _SharedPage, base_url: str) -> Iterator[Any]:
    """The process's page, reset to what a new one was: a blank document 1280 x 900 on
    screen media, no route, no listener but the fixture's, the pointer off the page, no
    errors recorded, no cookie or stored data (the site sets none)."""
    pg = _shared_page.get()
    pg.goto("about:blank")
    pg.context.clear_cookies()
    pg.cdp.send("Storage.clearDataForOrigin", {"origin": base_url, "storageTypes": "all"})
    pg.set_viewport_size({"width": 1280, "height": 900})
    pg.emulate_media(media="null")
    pg.mouse.move(-1, -1)  # no :hover left by the last test's pointer
    # the first profile after a start waits for the early-warning model's fit: well over
    # the default 30 s on a loaded 2-core machine
    pg.set_default_timeout(180_000)
    impl = pg._impl_obj  # the event emitter behind the page (to undo a test's listeners)
    listeners = {e: list(impl.listeners(e)) for e in impl.event_names()}
    pg.js_errors = []
    yield pg
    if pg.is_closed() or _shared_page.crashed:
        return  # the next test gets a new page
    pg.unroute_all(behavior="ignoreErrors")
    for event in list(impl.event_names()):
        for fn in impl.listeners(event):
            if fn not in listeners.get(event, []):
                impl.remove_listener(event, fn)


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip("axe-core not installed: run `npm ci`")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def axe_scan(axe_source: str, artifacts: Path) -> Callable[..., list[str]]:
    """``axe_scan(page, name, impacts, within)``: axe-core run over the page's document (or
    only the elements the CSS selector ``within`` matches, and what they hold), its
    violations written to ``test-artifacts/NAME.json``, and those of the given impacts
    (every impact when ``impacts`` is None) returned one line each, for ``assert bad == []``."""

    def scan(
        page: Any,
        name: str,
        impacts: tuple[str, ...] | None = ("serious", "critical"),
        within: str | None = None,
    ) -> list[str]:
        page.add_script_tag(content=axe_source)
        found = page.evaluate(
            """async (within) => {
                const context = within === null ? document : {include: [within]};
                return await axe.run(context, {resultTypes: ['violations']});
            }""",
            within,
        )
        violations = found["violations"]
        (artifacts / f"{name}.json").write_text(json.dumps(violations, indent=1))
        return [
            f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} nodes, e.g. "
            f"{v['nodes'][0]['target']}"
            for v in violations
            if impacts is None or v["impact"] in impacts
        ]

    return scan


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
