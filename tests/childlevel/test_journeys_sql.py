"""CIN journeys counted in the database give exactly the results of the per-child fit.

The reference (``tests/journeys_reference.py``) is the fitting code as it stood before
the spells were counted in DuckDB: one Kaplan–Meier fit per group over one row per
spell. Data: the hand-built two-year returns of ``test_journeys`` and three synthetic
years of two small authorities (Rutland and Hartlepool, calibrated to the published
figures; synthetic IDs repeat across years, so children link and re-referrals and
repeat plans across years are counted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_journeys import two_years  # noqa: F401  (a fixture)
from typer.testing import CliRunner

from cscwatch.childlevel.cin.journeys import (
    EVENTS,
    JourneyModel,
    JourneyResults,
    journey_counts,
    journey_data,
    kaplan_meier,
    kaplan_meier_counts,
)
from cscwatch.childlevel.cin.store import load_cin_census_files
from cscwatch.core.config import Settings, parse_memory_limit
from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import InputError
from cscwatch.serve.cli import app
from journeys_reference import reference_fit, same_frame, same_results


def _check_cin(con: duckdb.DuckDBPyConnection) -> JourneyResults:
    data = journey_data(con)
    curves, cohorts = reference_fit(data.spells, EVENTS, {"need": "need", "age": "age_band"})
    counts = journey_counts(con)
    res = JourneyModel(counts, groups=["need", "age"]).fit()
    same_results(res, curves, cohorts)
    assert (res.n_spells, res.n_children, res.n_returns) == (
        len(data.spells),
        data.children,
        data.returns,
    )
    # The per-child data, now counted in pandas, give the same results again.
    again = JourneyModel(data, groups=["need", "age"]).fit()
    same_results(again, curves, cohorts)
    # And so does the disclosed table every output shows.
    pd.testing.assert_frame_equal(res.to_frame(), again.to_frame())
    return res


def test_sql_counts_match_the_per_child_fit_on_hand_built_returns(
    two_years: duckdb.DuckDBPyConnection,  # noqa: F811
) -> None:
    res = _check_cin(two_years)
    assert res.n_spells == 4  # A, B and D closures, C's plan end


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("synthetic")
    for la in ("Rutland", "Hartlepool"):
        for year in ("2023", "2024", "2025"):
            result = CliRunner().invoke(
                app,
                ["cin", "synth", "--authority", la, "--year", year, "--seed", "5",
                 "--out", str(tmp)],
            )  # fmt: skip
            assert result.exit_code == 0, result.output
    return tmp


def test_sql_counts_match_the_per_child_fit_on_synthetic_years(synthetic: Path) -> None:
    con = duckdb.connect()
    load_cin_census_files(con, sorted(synthetic.glob("*.xml")), Settings())
    res = _check_cin(con)
    assert res.n_returns == 6 and res.n_spells > 1000
    # Under a small memory limit (DuckDB spills) the counts are the same.
    small = connect_duckdb(memory_limit="64MB", temp_directory=synthetic / "spill")
    load_cin_census_files(small, sorted(synthetic.glob("*.xml")), Settings())
    limit = small.execute("SELECT current_setting('memory_limit')").fetchone()
    assert limit is not None
    assert limit[0] in (
        "61.0 MiB",
        "64.0 MB",
        "61.0MiB",
        "64.0MB",
    )
    limited = JourneyModel(journey_counts(small), groups=["need", "age"]).fit()
    same_frame(limited.curves, res.curves)
    same_frame(limited.cohorts, res.cohorts)


def test_kaplan_meier_from_counts_is_bit_for_bit_the_same() -> None:
    rng = np.random.default_rng(7)
    for n in (1, 2, 50, 5000):
        d = rng.integers(0, 400, n).astype(float)  # many ties, as whole days give
        e = rng.random(n) < 0.4
        full = kaplan_meier(d, e)
        times, inverse = np.unique(d, return_inverse=True)
        counted = kaplan_meier_counts(
            times, np.bincount(inverse), np.bincount(inverse, weights=e).astype(int)
        )
        for f in ("time", "at_risk", "events", "survival", "se", "lower", "upper"):
            assert np.array_equal(getattr(full, f), getattr(counted, f), equal_nan=True), f
        assert (full.n, full.n_events) == (counted.n, counted.n_events)
    empty = kaplan_meier_counts(np.array([]), np.array([], int), np.array([], int))
    assert empty.n == 0 and np.isnan(empty.at([30])["survival"]).all()
    with pytest.raises(InputError, match="ascending"):
        kaplan_meier_counts(np.array([3.0, 1.0]), np.array([1, 1]), np.array([0, 1]))
    with pytest.raises(InputError, match="between 0"):
        kaplan_meier_counts(np.array([1.0]), np.array([1]), np.array([2]))


def test_memory_limit_is_read_and_refused_when_not_a_size() -> None:
    assert parse_memory_limit("4GB") == "4GB"
    assert parse_memory_limit(" 512 mib ") == "512mib"
    assert Settings(memory_limit="2.5GB").memory_limit == "2.5GB"
    for bad in ("lots", "4", "0GB", "-1GB", "4 GB; DROP TABLE x"):
        with pytest.raises(InputError, match="not a size"):
            parse_memory_limit(bad)
    with pytest.raises(ValueError, match="not a size"):
        Settings(memory_limit="lots")


def test_cli_memory_limit_bad_size_is_one_line_exit_2(tmp_path: Path, cli: Any) -> None:
    store = str(tmp_path / "store.duckdb")
    for args in (
        ["cin", "journeys", "--child-store", store, "--memory-limit", "lots"],
        ["cin", "measures", "--child-store", store, "--memory-limit", "4"],
        ["cin", "validate", "--child-store", store, "--memory-limit", "x"],
        ["cin", "load", str(tmp_path / "a.xml"), "--child-store", store, "--memory-limit", "x"],
        ["cin", "check", str(tmp_path / "a.xml"), "--memory-limit", "x"],
        ["cla", "journeys", str(tmp_path), "--memory-limit", "x"],
    ):
        code, out, err = cli(*args)
        assert code == 2, (args, out, err)
        assert len(err.strip().splitlines()) == 1 and "not a size" in err, err
        assert not (tmp_path / "store.duckdb").exists()  # refused before anything opened


def test_memory_limit_and_spill_folder_reach_every_child_level_connection(
    tmp_path: Path,
) -> None:
    from cscwatch.childlevel.cin.store import connect_child_store, connect_scratch

    settings = Settings(
        child_store=tmp_path / "store.duckdb", memory_limit="100MB", cache_dir=tmp_path / "cache"
    )

    def setting(con: duckdb.DuckDBPyConnection, name: str) -> str:
        row = con.execute(f"SELECT current_setting('{name}')").fetchone()
        assert row is not None
        return str(row[0])

    store = connect_child_store(settings)
    try:
        assert setting(store, "memory_limit") in ("95.3 MiB", "100.0 MB", "95.3MiB", "100.0MB")
        assert setting(store, "temp_directory").endswith("store.duckdb.tmp")
    finally:
        store.close()
    scratch = connect_scratch(settings)
    try:
        assert setting(scratch, "memory_limit") in ("95.3 MiB", "100.0 MB", "95.3MiB", "100.0MB")
        assert Path(setting(scratch, "temp_directory")) == tmp_path / "cache" / "spill"
    finally:
        scratch.close()
