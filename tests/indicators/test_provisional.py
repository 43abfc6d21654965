"""An authority's own return beside the published figures, marked provisional.

A synthetic Rutland return (the publisher's latest year, 2025) is measured with
``cscwatch cin measures --out``; a copy relabelled 2026 stands for a year the publisher
has not published yet. One build loads both folders: the 2026 rows go in, marked
provisional; the 2025 rows are skipped because the publisher has figures for 2025. The
2026 return the build loads has one figure suppressed (its subsequent plans, and their
percentage, ``c``); the tests that edit a return start from the unedited one.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from cscwatch.core.config import Settings
from cscwatch.core.errors import BuildError
from cscwatch.indicators.build import default_loaders
from cscwatch.indicators.provisional import provisional_file
from cscwatch.serve.cli import app
from cscwatch.store.warehouse import BuildContext, Loader, build_warehouse

Cli = Callable[..., tuple[int, str, str]]


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _relabel(src: Path, dst: Path, year: int) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
            header = list(rows[0])
        for row in rows:
            row["time_period"] = str(year)
        with (dst / path.name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, header)
            writer.writeheader()
            writer.writerows(rows)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("provisional")
    _invoke("cin", "synth", "--authority", "Rutland", "--year", "2025", "--seed", "3",
            "--out", str(tmp / "xml"))  # fmt: skip
    xml = sorted((tmp / "xml").glob("*.xml"))
    _invoke("cin", "measures", *map(str, xml), "--out", str(tmp / "m2025"))
    _relabel(tmp / "m2025", tmp / "m2026", 2026)
    # a suppressed count of subsequent plans: the repeat-plan percentage is c too
    # (test_a_suppressed_figure_carries_no_numerator_or_denominator); one build for all
    loaded = tmp / "m2026-loaded"
    shutil.copytree(tmp / "m2026", loaded)
    _edit(loaded, "d3", {"CPP_subsequent": "c", "CPP_subsequent_percent": "c"})
    target = tmp / "w.duckdb"
    dirs = ["--provisional", str(loaded), "--provisional", str(tmp / "m2025")]
    out = _invoke("build", "--warehouse", str(target), "--format", "json", *dirs)
    return {"tmp": tmp, "warehouse": target, "report": json.loads(out)}


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row


@pytest.fixture()
def pcon(built: dict[str, object]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(built["warehouse"]), read_only=True)
    try:
        yield c
    finally:
        c.close()


def test_provisional_rows_are_present_and_flagged(pcon: duckdb.DuckDBPyConnection) -> None:
    rows = pcon.execute(
        "SELECT DISTINCT geo_level, geo_code, year FROM observation WHERE provisional"
    ).fetchall()
    assert rows == [("la", "857", 2026)]
    ids = {
        r[0]
        for r in pcon.execute(
            "SELECT indicator FROM observation WHERE provisional AND year = 2026"
        ).fetchall()
    }
    assert {"referrals", "referrals_per_10k", "rereferrals_pct", "cin_at31_per_10k",
            "repeat_cpp_pct", "cpp_at31", "factor_neglect_pct"} <= ids  # fmt: skip
    value, num, den, method, source = _one(
        pcon,
        "SELECT value, numerator, denominator, method, source_id FROM observation "
        "WHERE provisional AND indicator = 'referrals_per_10k'",
    )
    # 2026 is after the latest ONS estimate: the latest (mid-2024, serving 2025) is used.
    pop = _one(pcon, "SELECT population FROM population WHERE geo_code = '857' AND year = 2025")[0]
    assert den == pop and value == pytest.approx(10000 * num / pop)
    assert method == "computed" and source == "provisional_c1"
    assert _one(pcon, "SELECT sha256 FROM source WHERE source_id = 'provisional_c1'")[0]
    bench = _one(
        pcon,
        "SELECT provisional, reference_year, england, rank, n_ranked, quartile "
        "FROM benchmark WHERE la_code = '857' AND indicator = 'rereferrals_pct' AND year = 2026",
    )
    england_2025 = _one(
        pcon,
        "SELECT value FROM observation WHERE indicator = 'rereferrals_pct' "
        "AND geo_level = 'national' AND year = 2025",
    )[0]
    assert bench[:3] == (True, 2025, england_2025)
    assert bench[3] is not None and 1 <= bench[3] <= bench[4] and bench[5] in (1, 2, 3, 4)


def test_already_published_year_is_skipped_and_reported(
    built: dict[str, object], pcon: duckdb.DuckDBPyConnection
) -> None:
    report = built["report"]
    assert isinstance(report, dict)
    assert any("Rutland (857), 2025" in w and "already" in w for w in report["warnings"])
    assert not _one(pcon, "SELECT count(*) FROM observation WHERE provisional AND year = 2025")[0]


def test_published_rows_are_unchanged(warehouse: Settings, pcon: duckdb.DuckDBPyConnection) -> None:
    # compared in the database, row for row both ways (fetched into Python: 9 s CPU)
    pcon.execute("ATTACH ? AS base (READ_ONLY)", [str(warehouse.warehouse)])
    try:
        for table in ("observation", "benchmark"):
            n = _one(pcon, f"SELECT count(*) FROM base.{table}")[0]
            published = _one(pcon, f"SELECT count(*) FROM {table} WHERE NOT provisional")[0]
            assert n > 0 and published == n, table
            for a, b in ((f"base.{table}", table), (table, f"base.{table}")):
                missing = _one(
                    pcon,
                    f"SELECT count(*) FROM (SELECT * FROM {a} WHERE NOT provisional "
                    f"EXCEPT ALL SELECT * FROM {b} WHERE NOT provisional)",
                )
                assert missing == (0,), (table, a)
    finally:
        pcon.execute("DETACH base")


def test_profile_marks_provisional_values(built: dict[str, object], cli: Cli) -> None:
    code, out, _ = cli("profile", "Rutland", "--warehouse", str(built["warehouse"]))
    assert code == 0
    assert " P " in out and "P = provisional" in out and "figures for 2025" in out
    code, out, _ = cli(
        "profile", "Rutland", "--warehouse", str(built["warehouse"]), "--format", "json"
    )
    marked = [b for b in json.loads(out)["benchmarks"] if b["provisional"]]
    assert marked and all(b["year"] == 2026 and b["reference_year"] == 2025 for b in marked)


def _digest(path: Path) -> str:
    """The file's bytes: a refused build leaves every byte as it was (reading every row
    into Python to compare them cost 1.5 s CPU a time)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_corrupt_provisional_file_fails_the_build_atomically(
    built: dict[str, object], tmp_path: Path
) -> None:
    target = tmp_path / "w.duckdb"
    shutil.copy(str(built["warehouse"]), target)
    before = _digest(target)
    broken = tmp_path / "broken"
    shutil.copytree(Path(str(built["tmp"])) / "m2026", broken)
    path = broken / provisional_file("d3")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    col = lines[0].rstrip("\n").split(",").index("CPP_subsequent")
    cells = lines[1].rstrip("\n").split(",")
    cells[col] = "seven"
    lines[1] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(BuildError) as info:
        build_warehouse(Settings(warehouse=target), default_loaders(), provisional_dirs=[broken])
    message = str(info.value)
    assert provisional_file("d3") in message
    assert "row 2" in message and "'CPP_subsequent'" in message
    assert _digest(target) == before
    assert not list(tmp_path.glob(".w.duckdb*.tmp"))


def test_a_refused_return_is_refused_before_the_published_figures_load(
    built: dict[str, object], tmp_path: Path
) -> None:
    folder = tmp_path / "edited"
    shutil.copytree(Path(str(built["tmp"])) / "m2026", folder)
    _edit(folder, "d3", {"CPP_subsequent": "2"})
    ran: list[str] = []

    def recorded(name: str, loader: Loader) -> Loader:
        def run(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
            ran.append(name)
            loader(con, ctx)

        return run

    loaders = [(name, recorded(name, loader)) for name, loader in default_loaders()]
    target = tmp_path / "x.duckdb"
    with pytest.raises(BuildError, match="1 to 5"):
        build_warehouse(Settings(warehouse=target), loaders, provisional_dirs=[folder])
    assert ran[-1] == "provisional returns" and "observations" not in ran
    assert not target.exists()


def test_settings_folder_is_used_and_checked(tmp_path: Path) -> None:
    settings = Settings(warehouse=tmp_path / "x.duckdb", provisional_dir=tmp_path / "nowhere")
    with pytest.raises(BuildError, match="nowhere"):
        build_warehouse(settings, default_loaders())
    assert not (tmp_path / "x.duckdb").exists()


def test_provisional_folder_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSCWATCH_PROVISIONAL_DIR", "/some/where")
    assert Settings().provisional_dir == Path("/some/where")
    monkeypatch.delenv("CSCWATCH_PROVISIONAL_DIR")
    assert Settings().provisional_dir is None


def test_row_of_an_unknown_authority_is_named(built: dict[str, object], tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(Path(str(built["tmp"])) / "m2026", broken)
    path = broken / provisional_file("b1")
    text = path.read_text(encoding="utf-8").replace(",857,", ",999,", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BuildError) as info:
        build_warehouse(
            Settings(warehouse=tmp_path / "x.duckdb"), default_loaders(), provisional_dirs=[broken]
        )
    message = str(info.value)
    assert provisional_file("b1") in message and "row 2" in message
    assert "'old_la_code'" in message
    assert not (tmp_path / "x.duckdb").exists()


def test_show_defaults_to_the_published_year_and_marks_provisional_rows(
    built: dict[str, object], cli: Cli
) -> None:
    w = str(built["warehouse"])
    code, out, _ = cli("show", "referrals_per_10k", "--warehouse", w, "--format", "json")
    assert code == 0 and json.loads(out)["year"] == 2025
    code, out, _ = cli("show", "referrals_per_10k", "--year", "2026", "--warehouse", w)
    assert code == 0 and "Rutland" in out and " P" in out and "P = provisional" in out
    code, out, _ = cli("variation", "referrals_per_10k", "--warehouse", w, "--format", "json")
    assert json.loads(out)["year"] == 2025 and json.loads(out)["n"] > 100


def test_api_benchmark_model_carries_the_flag(pcon: duckdb.DuckDBPyConnection) -> None:
    from cscwatch.indicators.benchmarking import benchmark
    from cscwatch.serve.api.profile import BenchmarkOut

    b = benchmark(pcon, "Rutland", "referrals_per_10k", 2026)
    out = BenchmarkOut.model_validate(b, from_attributes=True).model_dump()
    assert out["provisional"] is True and out["reference_year"] == 2025
    published = benchmark(pcon, "Rutland", "referrals_per_10k", 2025)
    assert not published.provisional and published.reference_year == 2025


def _edit(folder: Path, layout: str, changes: dict[str, str]) -> None:
    """Change cells of the first data row (CSV row 2) of a layout's measures file."""
    path = folder / provisional_file(layout)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    rows[0].update(changes)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(rows)


def _refused(cli: Cli, built: dict[str, object], folder: Path, tmp_path: Path) -> str:
    target = tmp_path / "w.duckdb"
    shutil.copy(str(built["warehouse"]), target)
    before = _digest(target)
    code, out, err = cli("build", "--warehouse", str(target), "--provisional", str(folder))
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert _digest(target) == before
    return err


@pytest.mark.parametrize("value", ["2", "3"])
def test_a_small_count_edited_in_is_refused(
    built: dict[str, object], cli: Cli, tmp_path: Path, value: str
) -> None:
    folder = tmp_path / "edited"
    shutil.copytree(Path(str(built["tmp"])) / "m2026", folder)
    _edit(folder, "d3", {"CPP_subsequent": value})
    err = _refused(cli, built, folder, tmp_path)
    assert provisional_file("d3") in err and "row 2" in err and "'CPP_subsequent'" in err
    assert "1 to 5" in err


def test_a_count_that_differencing_recovers_is_refused(
    built: dict[str, object], cli: Cli, tmp_path: Path
) -> None:
    # Issue 14's attack: referrals - CIN starts - not in need = a hidden NFA count of 3.
    folder = tmp_path / "edited"
    shutil.copytree(Path(str(built["tmp"])) / "m2026", folder)
    _edit(folder, "c1", {"referral_count": "400", "no_further_action_count": "c",
                         "no_further_action_percent": "c", "not_in_need_count": "47",
                         "not_in_need_percent": "11.8"})  # fmt: skip
    _edit(folder, "b1", {"Started_episodes": "350"})
    err = _refused(cli, built, folder, tmp_path)
    assert provisional_file("c1") in err and "row 2" in err
    assert "'no_further_action_count'" in err and "worked out" in err


def test_a_percentage_of_a_suppressed_count_is_refused(
    built: dict[str, object], cli: Cli, tmp_path: Path
) -> None:
    folder = tmp_path / "edited"
    shutil.copytree(Path(str(built["tmp"])) / "m2026", folder)
    _edit(folder, "d3", {"CPP_subsequent": "c", "CPP_subsequent_percent": "7.5"})
    err = _refused(cli, built, folder, tmp_path)
    assert provisional_file("d3") in err and "'CPP_subsequent_percent'" in err


def test_a_suppressed_figure_carries_no_numerator_or_denominator(
    pcon: duckdb.DuckDBPyConnection,
) -> None:
    # A suppressed count of subsequent plans (in the module's build): the repeat-plan
    # percentage is c, and the API must not return the plans started beside it as its
    # denominator.
    row = _one(
        pcon,
        "SELECT value, status, numerator, denominator FROM observation "
        "WHERE provisional AND indicator = 'repeat_cpp_pct'",
    )
    leaks = _one(
        pcon,
        "SELECT count(*) FROM observation WHERE provisional AND status = 'c' "
        "AND (numerator IS NOT NULL OR denominator IS NOT NULL)",
    )[0]
    assert row == (None, "c", None, None)
    assert leaks == 0


def test_series_mark_the_authoritys_provisional_year_and_leave_others_out(
    built: dict[str, object], tmp_path: Path
) -> None:
    """The by-year series (API, profile chart and its "Show the data" table) mark the
    authority's own return as provisional, and the neighbours' mean is over published
    figures only: a neighbour's provisional return (North Yorkshire's here, added to a
    copy of the build) was averaged in, so Rutland's page showed another authority's
    unpublished figure as its "neighbours' mean (n=1)"."""
    from cscwatch.core.catalogue import get_indicator
    from cscwatch.indicators.authorities import resolve_authority
    from cscwatch.indicators.series import series
    from cscwatch.indicators.web_queries import profile_series
    from cscwatch.serve.web.sections import series_table

    path = tmp_path / "w.duckdb"
    shutil.copyfile(str(built["warehouse"]), path)
    con = duckdb.connect(str(path))
    try:
        assert _one(con, "SELECT count(*) FROM statistical_neighbour "
                    "WHERE la_code = '857' AND neighbour = '815'")[0] >= 1  # fmt: skip
        con.execute(
            "INSERT INTO observation BY NAME SELECT * REPLACE ('815' AS geo_code, 487.5 AS value) "
            "FROM observation WHERE indicator = 'referrals_per_10k' AND geo_code = '857' "
            "AND year = 2026"
        )
        for points in (
            series(con, "referrals_per_10k", "857"),
            profile_series(con, "857", "E12000004")["referrals_per_10k"],
        ):
            by_year = {p.year: p for p in points}
            mine = by_year[2026]
            assert mine.provisional and mine.authority is not None
            assert (mine.sn_mean, mine.sn_n) == (None, 0)  # not North Yorkshire's 487.5
            assert not any(p.provisional for y, p in by_year.items() if y != 2026)
            assert by_year[2025].sn_n > 0
        table = series_table(
            con, resolve_authority(con, "857"), get_indicator("referrals_per_10k"), None
        )
        assert table is not None
        cells = {r.cells[0]: r.cells[1] for r in table.rows}
        assert cells["2025-26"].endswith(" (provisional)")
        assert not cells["2024-25"].endswith("(provisional)")
        assert "authority_provisional" in (table.csv_columns or ())
    finally:
        con.close()
