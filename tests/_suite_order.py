"""The order ``make test`` hands test files to its processes.

``make test`` gives whole files to each process (``--dist loadfile``: a module's fixtures
are built once) in collection order (``--no-loadscope-reorder``; by default pytest-xdist
would order files by how many tests they hold). :func:`longest_first`, run at collection
by tests/conftest.py, puts the longest files first so that the many short files fill in
behind them and no process is left running one long file alone at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

__all__ = ["LONGEST_FIRST", "longest_first"]

#: The test files that take longest, longest first. The browser and API files keep the
#: places benchmarks/suite.py's run of 2026-12-02 gave them (per-file sums of test wall
#: times on the 2-core machine at a load average of 11-17: axe scans, server starts over
#: rebuilt files); the others are placed by the CPU seconds measured per file after this
#: session's cuts (test processes with one BLAS thread, a refused provisional return
#: refused before the published figures load, a ranking and damped fits made once):
#: the hostile-input corpus, the model commands, the builds with provisional files, the
#: early-warning backtests, the SSDA903 store, the CIN checks. The second needs no
#: warehouse: it runs while the first process builds it (SSDA903 validation of the
#: samples); the third builds its own warehouses. test_cli_analyse runs well before
#: test_risk, so that the ranking both need is fitted once and read from the run's cache.
#: A file missing from here runs later.
LONGEST_FIRST: tuple[str, ...] = (
    "tests/browser/test_browser_dashboard.py",
    "tests/childlevel/ssda903/test_validation.py",
    "tests/test_packaging.py",
    "tests/api/test_api_etag.py",
    "tests/api/test_api_compare.py",
    "tests/models/test_cli_analyse.py",
    "tests/api/test_api_prepared.py",
    "tests/serve/test_cli_cin_check.py",
    "tests/corpus/test_corpus.py",
    "tests/indicators/test_provisional.py",
    "tests/childlevel/ssda903/test_store.py",
    "tests/childlevel/test_cin_validation.py",
    "tests/serve/test_cli_warehouse.py",
    "tests/models/test_risk.py",
    "tests/store/test_published.py",
    "tests/serve/test_cli_entry.py",
    "tests/models/test_demand_forecast.py",
    "tests/ingest/test_ofsted_reports.py",
    "tests/childlevel/ssda903/test_measures_cli.py",
    "tests/childlevel/ssda903/test_peer_findings.py",
    "tests/childlevel/ssda903/test_rulekit.py",
    "tests/childlevel/test_cin_census.py",
    "tests/api/test_api_errors.py",
    "tests/childlevel/ssda903/test_rules_rulesb.py",
    "tests/childlevel/ssda903/test_rules_rulesc_500s.py",
    "tests/childlevel/ssda903/test_rules_rulesa_200s.py",
    "tests/childlevel/ssda903/test_rules_rulesa_100s.py",
    "tests/childlevel/ssda903/test_rules_rulesc_int_sw.py",
)


class _Item(Protocol):
    @property
    def nodeid(self) -> str: ...


_T = TypeVar("_T", bound=_Item)


def longest_first(items: list[_T], order: Sequence[str] = LONGEST_FIRST) -> None:
    """Sort ``items`` in place: the files of ``order`` in its order, then every other file
    as collected; tests inside a file keep their order (a stable sort)."""
    rank = {name: k for k, name in enumerate(order)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
