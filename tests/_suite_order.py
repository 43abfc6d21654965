"""The order ``make test`` hands tests to its processes, and which tests stay together.

``make test`` runs ``--dist loadgroup`` in collection order (``--no-loadscope-reorder``):
pytest-xdist hands out one work unit at a time to whichever process is free, a unit
being one test, or every test of one ``xdist_group``. :func:`keep_files_whole`, run at
collection by tests/conftest.py, puts every test of a file that uses a module- or
class-scoped fixture in one group named after the file, so such a fixture (a warehouse
built with provisional returns, a fitted model) is still built once; the tests of other
files (the browser's axe scans, the rule kit's cases) spread over both processes, so
neither waits alone at the end on the last tests of one long file. :func:`longest_first`
puts the longest files first so that the many short units fill in behind them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import pytest

__all__ = ["LONGEST_FIRST", "WHOLE_FILES", "keep_files_whole", "longest_first", "name_groups"]

#: The test files that take longest, longest first: by the per-file sums of test wall
#: times in benchmarks/results/suite5_loadgroup.json (``--dist loadgroup``, 2-core machine
#: at a load average of 2.5-6.5). The first needs no warehouse and is kept whole
#: (WHOLE_FILES): one process runs it (SSDA903 validation of the samples) while the other
#: builds the warehouse for the browser tests behind it; the wheel test (test_packaging)
#: is the longest single test and builds its own. test_cli_analyse runs before test_risk,
#: so that the ranking both need is fitted once and read from the run's cache.
#: A file missing from here runs later.
LONGEST_FIRST: tuple[str, ...] = (
    "tests/childlevel/ssda903/test_validation.py",
    "tests/browser/test_browser_dashboard.py",
    "tests/test_packaging.py",
    "tests/childlevel/ssda903/test_store_validation.py",
    "tests/browser/test_browser_flags.py",
    "tests/browser/test_charts_readable.py",
    "tests/corpus/test_corpus.py",
    "tests/browser/test_browser_accessibility.py",
    "tests/indicators/test_provisional.py",
    "tests/api/test_api_warm_child.py",
    "tests/serve/test_cli_cin_check.py",
    "tests/childlevel/ssda903/test_store.py",
    "tests/api/test_api_prepared.py",
    "tests/models/test_cli_analyse.py",
    "tests/browser/test_browser_pages.py",
    "tests/childlevel/test_cin_validation.py",
    "tests/browser/test_browser_sufficiency.py",
    "tests/browser/test_browser_ofsted.py",
    "tests/models/test_risk.py",
    "tests/indicators/test_disclosure_relations.py",
    "tests/api/test_api_risk.py",
    "tests/indicators/test_disclosure_differencing.py",
    "tests/browser/test_print.py",
    "tests/serve/test_cli_warehouse.py",
    "tests/store/test_published.py",
    "tests/serve/test_cli_cin_ids.py",
    "tests/childlevel/test_journeys_sql.py",
    "tests/childlevel/ssda903/test_rulekit.py",
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


#: Fixture scopes that outlive one test but not the process: a file using one stays whole.
SHARED_SCOPES = frozenset({"module", "class", "package"})


def _fixture_scopes(item: pytest.Item) -> set[str]:
    """The scopes of the fixtures ``item`` uses (the last definition of each name wins,
    as pytest resolves overrides)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:  # not a function test (a doctest): nothing shared
        return set()
    return {str(defs[-1].scope) for defs in info.name2fixturedefs.values() if defs}


#: Files kept whole though they share no fixture: the first unit of the run, needing no
#: warehouse, so one process runs all of it while the other builds the warehouse (the
#: first unit after it needs one) instead of both waiting on the build.
WHOLE_FILES: tuple[str, ...] = ("tests/childlevel/ssda903/test_validation.py",)


def keep_files_whole(
    items: Sequence[pytest.Item],
    scopes: Callable[[pytest.Item], set[str]] = _fixture_scopes,
    always: Sequence[str] = WHOLE_FILES,
) -> set[str]:
    """Mark every test of a file with a module-, class- or package-scoped fixture, or
    named in ``always``, ``xdist_group(<file>)``, so ``--dist loadgroup`` runs the file
    in one process (and builds such a fixture once). Returns the files kept whole."""
    files = {item.nodeid.split("::", 1)[0] for item in items}
    whole = {item.nodeid.split("::", 1)[0] for item in items if scopes(item) & SHARED_SCOPES}
    whole |= files & set(always)
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path in whole:
            item.add_marker(pytest.mark.xdist_group(path))
    return whole


def name_groups(items: Sequence[pytest.Item]) -> int:
    """Append ``@<group>`` to the node id of every test marked ``xdist_group``, as
    pytest-xdist's ``--dist loadgroup`` does in each test process so that its scheduler
    sees the group. pytest-xdist 3.8 sets ``item._nodeid``, which pytest 9 no longer
    reads (a node's id is its ``_id``, a ``NodeId``): without this every test went
    alone and no file was kept whole (seen in a run of the suite). Returns how many
    tests were named; an id already ending in its group is left alone."""
    from _pytest.nodeid import NodeId

    named = 0
    for item in items:
        mark = item.get_closest_marker("xdist_group")
        if mark is None or not mark.args:
            continue
        suffix = f"@{mark.args[0]}"
        if item.nodeid.endswith(suffix):
            continue
        item._id = NodeId.parse(item.nodeid + suffix)
        named += 1
    return named
