"""Shared fixtures.

* ``snapshot_dir`` — the bundled snapshot of published data (``data/snapshot``).
* ``shared_data`` — the large shared data folder (``../shared/data``): Ofsted PDFs, CIN
  census samples, validation rules.
* ``warehouse`` — a warehouse built once per run from the real snapshot (shared by the
  test processes), as ``Settings`` pointing at it; ``con`` — a read-only connection.
* ``app_server`` — the base URL of one live uvicorn server over that warehouse, shared by
  the API tests (``live_server``) and the browser tests (``base_url``) of a test process:
  each start imports the app; the run's first warms the file (an early-warning model fit,
  every profile prepared) and later ones start from what it made.
* ``fresh_db`` — an empty in-memory DuckDB connection.
* ``cli`` — runs the ``cscwatch`` CLI in-process and returns (exit code, stdout, stderr).

Every run has a folder of its own, shared by its test processes (``pytest_configure``):
its ``cache`` is ``CSCWATCH_CACHE_DIR`` for every test and the ``warehouse``'s cache, so
no test reads a cache an earlier run left in the user's cache folder, and the processes
share what they cache (backtests, the reference postcodes).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings

from _suite_order import keep_files_whole, longest_first, name_groups
from cscwatch.core.config import Settings, repo_root

# One BLAS/OpenMP thread per test process: the suite already runs a process per core, so
# a second BLAS thread has no core of its own and spins waiting for work (`cscwatch
# analyse demand --nao`: 34.8 s CPU with OpenBLAS's default threads, 3.9 s with one, on
# 2 cores at load 16). Results do not depend on it. Set here, as this file is imported:
# before any conftest below it or test module loads numpy (nothing above does), and
# inherited by the pytest-xdist workers and every subprocess a test starts.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

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
    """Built once per run: the test processes of ``pytest -n`` share one file (the first
    to need it builds it while the others wait on a lock) and the run's cache folder.
    Tests only read it; one that must change a warehouse copies it (a file copy)."""
    from cscwatch.indicators.build import default_loaders
    from cscwatch.store.warehouse import build_warehouse

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each process's popen-gwN
    shared = base / "shared-warehouse"
    shared.mkdir(exist_ok=True)
    path = shared / "cscwatch.duckdb"
    settings = Settings(warehouse=path, cache_dir=Path(os.environ[_RUN_DIR]) / "cache")
    with (shared / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():  # the build renames its file into place when done
            build_warehouse(settings, default_loaders())
    return settings


@pytest.fixture()
def con(warehouse: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(warehouse.warehouse), read_only=True)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="session")
def app_server(warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``uvicorn`` over ``create_app`` on a free loopback port, reading ``warehouse``, in a
    thread of this test process (``tests/_live_server.py``).

    One per test process, not one for the run: a server shared by the processes answers
    both at once, and a test that times an answer (``test_api_risk``'s cache hit under
    1 s) then measures the other process's model fits (seen: 1.7 s at load 18). Their
    warm-up is shared: the first server of the run writes what its lifespan made to the
    run's folder, a later one starts with it (``tests/_live_server.py``)."""
    from _live_server import start_server, stop_server

    proc, base = start_server(
        warehouse.warehouse,
        tmp_path_factory.mktemp("server") / "server.log",
        shared=Path(os.environ[_RUN_DIR]) / "server-warm-up",
    )
    try:
        yield base
    finally:
        stop_server(proc)


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


#: The environment variable naming the run's folder: set by the first process of a run
#: (pytest-xdist's controller, or the only process) before the test processes start, so
#: they inherit it.
_RUN_DIR = "CSCWATCH_TEST_RUN_DIR"


def pytest_configure(config: pytest.Config) -> None:
    # The default warehouse lives in the user data directory (make demo builds it there):
    # point that at a folder of this run's own, so no test can touch the user's warehouse.
    data_home = tempfile.mkdtemp(prefix="cscwatch-test-data-")
    os.environ["XDG_DATA_HOME"] = data_home
    # `cscwatch build` lowers its own priority by default; run in-process, it would lower
    # the test process's for the rest of the run
    os.environ["CSCWATCH_BUILD_NICENESS"] = "0"
    config.add_cleanup(lambda: shutil.rmtree(data_home, ignore_errors=True))
    if not (os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get(_RUN_DIR)):
        _start_run(config)
    # Tests that use typer's CliRunner on ``app`` need every command registered.
    from cscwatch.serve.cli import _register

    _register()


def _start_run(config: pytest.Config) -> None:
    """The run's folder and cache, removed at the end of the run."""
    run = Path(tempfile.mkdtemp(prefix="cscwatch-test-run-"))
    os.environ[_RUN_DIR] = str(run)
    # every Settings() of the tests (and of the processes they start) caches here
    os.environ["CSCWATCH_CACHE_DIR"] = str(run / "cache")
    config.add_cleanup(lambda: shutil.rmtree(run, ignore_errors=True))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # the longest files first, and the files whose tests share a module's fixture kept
    # whole (tests/_suite_order.py), for ``make test``'s processes
    longest_first(items)
    keep_files_whole(items)
    if getattr(config.option, "loadgroup", False):  # a test process of --dist loadgroup
        name_groups(items)
