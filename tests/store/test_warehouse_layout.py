"""A warehouse built with another layout is refused in one line, never half-read.

A server opened on a file built before the Ofsted tables gained ``provenance`` answered
500 from inside a query; the CLI printed the binder error. Now every way in (the CLI's
connection, the server's pool) checks the layout the build recorded.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import httpx
import pytest

from cscwatch.core.config import Settings
from cscwatch.core.errors import WarehouseError
from cscwatch.serve.app import create_app
from cscwatch.store.warehouse import WAREHOUSE_LAYOUT, connect, layout_digest

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "warehouse_layout.json"


def test_the_build_records_the_layout_and_the_tables_match_it(
    con: duckdb.DuckDBPyConnection,
) -> None:
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert con.execute("SELECT layout FROM warehouse_layout").fetchall() == [(WAREHOUSE_LAYOUT,)]
    assert recorded["layout"] == WAREHOUSE_LAYOUT, (
        f"WAREHOUSE_LAYOUT is {WAREHOUSE_LAYOUT}: record its digest in {GOLDEN}"
    )
    digest = layout_digest(con)
    assert digest == recorded["digest"], (
        "the warehouse's tables changed: raise WAREHOUSE_LAYOUT in "
        f"cscwatch/store/warehouse.py and record layout and digest {digest} in {GOLDEN}"
    )


@pytest.fixture(scope="module", params=["none", "other"])
def stale(
    request: pytest.FixtureRequest, warehouse: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """A copy of the session's warehouse without a recorded layout, or with another."""
    path = tmp_path_factory.mktemp("stale") / "old.duckdb"
    shutil.copyfile(warehouse.warehouse, path)
    c = duckdb.connect(str(path))
    if request.param == "none":
        c.execute("DROP TABLE warehouse_layout")
    else:
        c.execute("UPDATE warehouse_layout SET layout = layout - 1")
    c.close()
    return warehouse.model_copy(update={"warehouse": path})


def test_connect_refuses_in_one_line(stale: Settings) -> None:
    with pytest.raises(WarehouseError) as info:
        connect(stale)
    words = str(info.value)
    assert "\n" not in words and str(stale.warehouse) in words
    assert f"this cscwatch reads layout {WAREHOUSE_LAYOUT}" in words
    assert "run 'cscwatch build'" in words
    assert ("before layouts were recorded" in words) or (f"layout {WAREHOUSE_LAYOUT - 1}" in words)


def test_the_cli_says_rebuild_and_exits_2(cli, stale: Settings) -> None:
    code, out, err = cli("profile", "Leeds", env={"CSCWATCH_WAREHOUSE": str(stale.warehouse)})
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "cscwatch build" in lines[0] and "Traceback" not in err


def _get(settings: Settings, paths: list[str]) -> list[httpx.Response]:
    """GET each path from the app in process (in a thread of its own: a browser test may
    have left an event loop running in this one)."""
    app = create_app(settings, warm=False)

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return [await c.get(p) for p in paths]

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_the_server_answers_503_and_logs_the_reason(
    stale: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Visitors get the API's and pages' usual 503 (the server's paths are not theirs to
    see); the operator's log names the file and the command that mends it."""
    with caplog.at_level("ERROR", logger="cscwatch.serve"):
        api, page = _get(stale, ["/api/authorities", "/authorities/352"])
    assert api.status_code == 503 and api.json()["error"]["code"] == "warehouse_error"
    assert str(stale.warehouse) not in api.text
    assert page.status_code == 503
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 2
    assert all("layout" in m and "run 'cscwatch build'" in m for m in logged)
    assert not any(r.exc_info for r in caplog.records)
