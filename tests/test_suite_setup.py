"""How ``make test`` spreads the suite over the cores (tests/_suite_order.py, Makefile)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

import pytest

from _suite_order import (
    LONGEST_FIRST,
    WHOLE_FILES,
    keep_files_whole,
    longest_first,
    name_groups,
)
from cscwatch.core.config import repo_root

ROOT = repo_root()


@dataclass
class _Item:
    nodeid: str


def test_every_longest_first_file_exists_once() -> None:
    missing = [name for name in LONGEST_FIRST if not (ROOT / name).is_file()]
    assert not missing, f"renamed or removed: update tests/_suite_order.py: {missing}"
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)


def test_longest_files_go_first_and_files_stay_whole_and_in_order() -> None:
    items = [
        _Item("tests/a.py::t1"),
        _Item("tests/slow.py::t1"),
        _Item("tests/b.py::t1"),
        _Item("tests/slowest.py::t1[x]"),
        _Item("tests/slow.py::t2"),
        _Item("tests/a.py::t2"),
        _Item("tests/slowest.py::t1[y]"),
    ]
    longest_first(items, ("tests/slowest.py", "tests/slow.py", "tests/absent.py"))
    assert [i.nodeid for i in items] == [
        "tests/slowest.py::t1[x]",
        "tests/slowest.py::t1[y]",
        "tests/slow.py::t1",
        "tests/slow.py::t2",
        "tests/a.py::t1",
        "tests/b.py::t1",
        "tests/a.py::t2",
    ]


def test_make_test_keeps_the_collection_order_and_the_groups() -> None:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert recipe, "no test target in the Makefile"
    command = recipe.group(1).replace("\\\n", " ")
    assert "--dist loadfile" in command and "--no-loadscope-reorder" in command, command


@dataclass
class _Marked:
    nodeid: str
    marks: list[pytest.Mark] = field(default_factory=list)

    def add_marker(self, mark: pytest.MarkDecorator) -> None:
        self.marks.append(mark.mark)


def test_files_with_a_module_fixture_stay_whole_and_the_others_spread() -> None:
    items = [
        _Marked("tests/built.py::t1"),
        _Marked("tests/built.py::t2"),
        _Marked("tests/scans.py::t[a]"),
        _Marked("tests/scans.py::t[b]"),
        _Marked("tests/klass.py::C::t"),
    ]
    scopes = {
        "tests/built.py::t1": {"function", "session"},
        "tests/built.py::t2": {"module", "session"},  # one test is enough
        "tests/scans.py::t[a]": {"function", "session"},
        "tests/scans.py::t[b]": {"function"},
        "tests/klass.py::C::t": {"class"},
    }
    whole = keep_files_whole(
        cast("list[pytest.Item]", items), lambda item: scopes[item.nodeid], always=()
    )
    assert whole == {"tests/built.py", "tests/klass.py"}
    groups = {i.nodeid: [(m.name, m.args) for m in i.marks] for i in items}
    assert groups == {
        "tests/built.py::t1": [("xdist_group", ("tests/built.py",))],
        "tests/built.py::t2": [("xdist_group", ("tests/built.py",))],
        "tests/scans.py::t[a]": [],
        "tests/scans.py::t[b]": [],
        "tests/klass.py::C::t": [("xdist_group", ("tests/klass.py",))],
    }


def test_this_run_groups_the_files_with_module_fixtures(request: pytest.FixtureRequest) -> None:
    """The scopes are read from pytest's own fixture information: this file has no
    module fixture, tests/api/test_api_risk.py has one (``first``)."""
    risk = [i for i in request.session.items if i.nodeid.startswith("tests/api/test_api_risk.py")]
    mine = [i for i in request.session.items if i.nodeid.startswith("tests/test_suite_setup.py")]
    assert mine and all(i.get_closest_marker("xdist_group") is None for i in mine)
    assert not any("@" in i.nodeid for i in mine)
    loadgroup = bool(getattr(request.config.option, "loadgroup", False))
    if risk:  # collected in this run
        marks = [i.get_closest_marker("xdist_group") for i in risk]
        assert all(m is not None and m.args == ("tests/api/test_api_risk.py",) for m in marks)
        # in a test process of --dist loadgroup, the id names the group for the scheduler
        suffixed = [i.nodeid.endswith("@tests/api/test_api_risk.py") for i in risk]
        assert all(suffixed) if loadgroup else not any(suffixed)


def test_a_group_is_named_in_the_id_once(request: pytest.FixtureRequest) -> None:
    """What pytest-xdist's scheduler reads: ``<id>@<group>`` (see ``name_groups``)."""
    from _pytest.python import Function

    item = request.node
    assert isinstance(item, Function)
    original = item.nodeid
    try:
        item.add_marker(pytest.mark.xdist_group("g"))
        assert name_groups([item]) == 1 and item.nodeid == original + "@g"
        assert name_groups([item]) == 0 and item.nodeid == original + "@g"
    finally:
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(original)


def test_make_test_caches_bytecode_even_where_the_environment_forbids_it() -> None:
    # With PYTHONDONTWRITEBYTECODE set, every test process compiles src/ and rewrites
    # every test file's asserts again at collection (measured: 19.7 s CPU per process
    # against 9.4 s with the cache warm).
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert recipe, "no test target in the Makefile"
    command = recipe.group(1).replace("\\\n", " ").split()
    assert command[0] == "PYTHONDONTWRITEBYTECODE=", command
    assert command[1] == "$(BIN)/python" and command[2:4] == ["-m", "pytest"], command


def test_each_test_process_runs_one_blas_thread() -> None:
    # tests/conftest.py sets the variables before numpy loads; a BLAS library loaded
    # earlier would keep its own thread count, so look at the loaded library itself.
    import numpy as np  # noqa: F401  (loads OpenBLAS if nothing has yet)
    from threadpoolctl import threadpool_info

    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    assert blas, "numpy loaded no BLAS library threadpoolctl can see"
    assert all(p["num_threads"] == 1 for p in blas), blas


def test_a_file_named_to_stay_whole_does() -> None:
    items = [_Marked("tests/first.py::t1"), _Marked("tests/first.py::t2"), _Marked("tests/b.py::t")]
    whole = keep_files_whole(
        cast("list[pytest.Item]", items),
        lambda item: {"function"},
        always=("tests/first.py", "tests/absent.py"),
    )
    assert whole == {"tests/first.py"}
    assert [len(i.marks) for i in items] == [1, 1, 0]
    assert set(WHOLE_FILES) <= set(LONGEST_FIRST[:1]), "a whole file meant to run first"
