"""Shared fixtures.

* ``snapshot_dir`` — the bundled snapshot of published data (``data/snapshot``).
* ``shared_data`` — the large shared data folder (``../shared/data``): Ofsted PDFs, CIN
  census samples, validation rules.
* ``warehouse`` — a session-scoped warehouse built once from the real snapshot, as
  ``Settings`` pointing at it; ``con`` — a read-only connection to it.
* ``fresh_db`` — an empty in-memory DuckDB connection.
* ``cli`` — runs the ``cscwatch`` CLI in-process and returns (exit code, stdout, stderr).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings

from cscwatch.core.config import Settings, repo_root

# No per-example deadline: the suite runs on every core of a shared machine (pytest-xdist),
# where a 200 ms deadline fails on load, not on a defect. Tests that measure time say so.
settings.register_profile("cscwatch", deadline=None)
settings.load_profile("cscwatch")

ROOT = repo_root()


@pytest.fixture(scope="session")
def snapshot_dir() -> Path:
    return ROOT / "data" / "snapshot"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = Settings().shared_data
    if not path.is_dir():
        pytest.skip(f"shared data folder {path} is not present")
    return path


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from cscwatch.indicators.build import default_loaders
    from cscwatch.store.warehouse import build_warehouse

    path = tmp_path_factory.mktemp("warehouse") / "cscwatch.duckdb"
    settings = Settings(warehouse=path, cache_dir=tmp_path_factory.mktemp("cache"))
    build_warehouse(settings, default_loaders())
    return settings


@pytest.fixture()
def con(warehouse: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture()
def fresh_db() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    try:
        yield c
    finally:
        c.close()


CliRunner = Callable[..., tuple[int, str, str]]


@pytest.fixture()
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Run ``cscwatch ARGS...`` through the real entry point (exit codes included)."""
    from cscwatch.serve.cli import main

    def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        monkeypatch.setattr(sys, "argv", ["cscwatch", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


def pytest_configure(config: pytest.Config) -> None:
    # The default warehouse lives in the user data directory (make demo builds it there):
    # point that at a folder of this run's own, so no test can touch the user's warehouse.
    data_home = tempfile.mkdtemp(prefix="cscwatch-test-data-")
    os.environ["XDG_DATA_HOME"] = data_home
    config.add_cleanup(lambda: shutil.rmtree(data_home, ignore_errors=True))
    # Tests that use typer's CliRunner on ``app`` need every command registered.
    from cscwatch.serve.cli import _register

    _register()
