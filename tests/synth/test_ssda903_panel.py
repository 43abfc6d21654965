"""``cla synth`` over many authorities and years: skipped authority-years listed, runs of
consecutive years kept, written atomically (issue 15, item 1 for SSDA903).

Published numbers looked after on 31 March in the warehouse (measured): Cumbria (909)
2021-2023, Cumberland (942) 2024-2025, York (816) 2021-2025.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from cscwatch.core.config import Settings
from cscwatch.core.database import connect_duckdb
from cscwatch.synth.ssda903 import MANIFEST, MARKER_FILE, write_synthetic_returns
from cscwatch.synth.ssda903 import returns as returns_module

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def wcon(warehouse: Settings) -> duckdb.DuckDBPyConnection:
    return connect_duckdb(warehouse.warehouse, read_only=True)


def test_years_without_figures_are_skipped_and_listed(
    wcon: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    out = tmp_path / "o"
    calls: list[tuple[str, int, int | None]] = []
    run = write_synthetic_returns(
        wcon, ["816", "909", "942"], (2023, 2024), 1, out,
        progress=lambda s, d, t: calls.append((s, d, t)),
    )  # fmt: skip
    assert [(r.la_code, r.year) for r in run.returns] == [
        ("816", 2023), ("816", 2024), ("909", 2023), ("942", 2024),
    ]  # fmt: skip
    assert [(a, y) for a, y, _ in run.skipped] == [("909", 2024), ("942", 2023)]
    assert sorted(p.name for p in out.iterdir()) == [
        "816_2023", "816_2024", "909_2023", "942_2024", MARKER_FILE, MANIFEST,
    ]  # fmt: skip
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert [(s["authority"], s["year"]) for s in manifest["skipped"]] == [
        ("909", 2024), ("942", 2023),
    ]  # fmt: skip
    assert [r["folder"] for r in manifest["returns"]] == [r.folder for r in run.returns]
    assert calls[0] == ("writing returns", 0, 3) and calls[-1] == ("writing returns", 3, 3)


def test_a_failure_leaves_nothing(
    wcon: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = returns_module._write_set
    calls: list[int] = []

    def failing(folder: Path, tables: dict[str, object]) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        real(folder, tables)  # type: ignore[arg-type]

    monkeypatch.setattr(returns_module, "_write_set", failing)
    with pytest.raises(OSError, match="disk full"):
        write_synthetic_returns(wcon, ["816"], (2024, 2025), 1, tmp_path / "o")
    assert list(tmp_path.iterdir()) == []


def test_cli_all_authorities_lists_skipped_on_stderr(
    cli: Cli, warehouse: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every authority would be slow: keep the ones named above.
    real = returns_module.resolve_all
    monkeypatch.setattr(
        "cscwatch.synth.ssda903.resolve_all",
        lambda con, year: [a for a in real(con, year) if a in ("909", "942")],
    )
    code, out, err = cli(
        "cla", "synth", "--all-authorities", "--years", "2023-2024", "--out",
        str(tmp_path / "s"), "--format", "json", "-q",
        env={"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)},
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert sorted(r["folder"] for r in data["returns"]) == ["909_2023", "942_2024"]
    assert "skipped 909 2024" in err and "skipped 942 2023" in err
    assert {(s["authority"], s["year"]) for s in data["skipped"]} == {("909", 2024), ("942", 2023)}
