"""The optional finance sources end to end: a warehouse built from the real snapshot
plus the two fixtures (HM Treasury's deflator CSV, DfE's section 251 outturn table), and
the session warehouse built without them.

Also the spend measures on the real data: the per-episode and 31-March bases and LAIT's
weekly social work and commissioning cost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError, SchemaError
from cscwatch.indicators import prices as px
from cscwatch.indicators.benchmarking import profile
from cscwatch.indicators.observations import indicator_table
from cscwatch.indicators.variation import variation
from cscwatch.ingest.finance import read_gdp_deflators
from cscwatch.ingest.snapshot import refresh_manifest
from cscwatch.store.finance import _scale

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "finance"
SNAPSHOT = ROOT / "data" / "snapshot"
SW = "spend_social_work_per_cin_episode"


@pytest.fixture(scope="module")
def finance_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real snapshot (linked, not copied) with both optional fixtures added."""
    from cscwatch.indicators.build import default_loaders
    from cscwatch.store.warehouse import build_warehouse

    snap = tmp_path_factory.mktemp("snapshot")
    for p in SNAPSHOT.iterdir():
        (snap / p.name).symlink_to(p)
    for p in FIXTURES.iterdir():
        (snap / p.name).symlink_to(p)
    # the optional files are listed unhashed; hash the fixtures in this copy's manifest
    # (written over the link, so the bundled manifest is untouched)
    refresh_manifest(snap)
    path = tmp_path_factory.mktemp("wh") / "cscwatch.duckdb"
    settings = Settings(warehouse=path, cache_dir=tmp_path_factory.mktemp("cache"))
    build_warehouse(settings, default_loaders(), snapshot_dir=snap)
    return settings


@pytest.fixture()
def fcon(finance_warehouse: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(finance_warehouse.warehouse), read_only=True)
    try:
        yield c
    finally:
        c.close()


def _value(con: duckdb.DuckDBPyConnection, ind: str, geo: str, year: int) -> tuple:
    row = con.execute(
        "SELECT value, status, numerator, denominator FROM observation "
        "WHERE indicator = ? AND geo_code = ? AND year = ?",
        [ind, geo, year],
    ).fetchone()
    assert row is not None, (ind, geo, year)
    return row


# ----------------------------------------------------------- without the files


def test_absent_optional_files_leave_no_rows_and_no_error(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("SELECT count(*) FROM gdp_deflator").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM observation WHERE indicator = ?", [SW]).fetchone() == (
        0,
    )
    with pytest.raises(InputError, match=r"gdp_deflators\.csv"):
        px.load_deflator(con)


def test_real_terms_without_deflator_is_one_line_exit_2(cli, warehouse: Settings) -> None:
    env = {"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)}
    for args in (
        ("show", "spend_safeguarding_per_cin", "--prices", "real"),
        ("profile", "Manchester", "--prices", "real"),
        ("variation", "spend_safeguarding_per_cin_episode", "--prices", "real"),
    ):
        code, out, err = cli(*args, env=env)
        assert code == 2 and out == "", args
        assert err.count("\n") == 1 and "GDP deflator" in err and "Traceback" not in err
    code, _, err = cli("variation", "caseload", "--prices", "nominal", env=env)
    assert code == 2 and "use cash or real" in err


def test_cash_terms_are_said_where_pounds_are_shown(cli, warehouse: Settings) -> None:
    env = {"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)}
    code, out, _ = cli("variation", "spend_safeguarding_per_cin", "--format", "json", env=env)
    assert code == 0 and json.loads(out)["prices"].startswith("£ figures: cash terms")
    code, out, _ = cli("variation", "caseload", "--format", "json", env=env)
    assert json.loads(out)["prices"] is None  # not a £ figure (the API's shape: null)
    code, out, _ = cli("indicators", "--topic", "spend", "--format", "json", env=env)
    labels = {r["id"]: r["unit_label"] for r in json.loads(out)}
    assert labels and all("cash terms" in v for v in labels.values())


# ---------------------------------------------------------- spend on real data


def test_episode_basis_is_the_31_march_basis_times_stock_over_flow(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = con.execute(
        """SELECT a.geo_code, a.year, a.value, b.value, c.value, e.value
           FROM observation a
           JOIN observation b USING (geo_level, geo_code, year)
           JOIN observation c USING (geo_level, geo_code, year)
           JOIN observation e USING (geo_level, geo_code, year)
           WHERE a.indicator = 'spend_safeguarding_per_cin'
             AND b.indicator = 'spend_safeguarding_per_cin_episode'
             AND c.indicator = 'cin_at31' AND e.indicator = 'cin_episodes'
             AND a.value IS NOT NULL AND b.value IS NOT NULL"""
    ).fetchall()
    assert len(rows) > 1000
    for geo, year, at31, episode, n31, neps in rows:
        assert at31 / episode == pytest.approx(neps / n31, rel=1e-9), (geo, year)
        # Every episode open on 31 March was open during the year: never below 1.
        assert at31 >= episode, (geo, year)
    england = {y: at31 / ep for g, y, at31, ep, *_ in rows if g == "E92000001"}
    assert set(england) == set(range(2017, 2026))
    # Measured: England 1.86 to 1.95 (2017-2025), the "about twice" of the issue.
    assert all(1.8 < r < 2.0 for r in england.values())


def test_weekly_cost_is_lait_safeguarding_block_per_child_in_need_per_week(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # LAIT: (social work + commissioning outturn) / CIN at 31 March / 365 × 7, to the
    # nearest £5. Against the whole safeguarding block it recovers 98-100% for England
    # (the block's remaining line, the safeguarding partnership, is small).
    rows = con.execute(
        """SELECT w.year, w.value * 365 / 7 * c.value / s.value
           FROM observation w JOIN observation c USING (geo_level, geo_code, year)
           JOIN observation s USING (geo_level, geo_code, year)
           WHERE w.indicator = 'spend_sw_commissioning_weekly_per_cin'
             AND c.indicator = 'cin_at31' AND s.indicator = 'spend_safeguarding_gross'
             AND w.geo_level = 'national'"""
    ).fetchall()
    assert len(rows) == 9
    assert all(0.97 < share < 1.01 for _, share in rows)


def test_spend_titles_say_what_they_divide() -> None:
    for ind in CATALOGUE.values():
        if ind.topic != "spend":
            continue
        assert ind.unit.is_money and "cash terms" in ind.unit_label
        if ind.derivation.lait == "SafeguardingFinance":
            assert "Safeguarding services" in ind.title and "social work" not in ind.title.lower()
    assert "31 March" in CATALOGUE["spend_safeguarding_per_cin"].title
    assert "episode" in CATALOGUE["spend_safeguarding_per_cin_episode"].title
    assert CATALOGUE["spend_safeguarding_per_cin_episode"].derivation.other == "cin_episodes"


# -------------------------------------------------------------- with the files


def test_deflator_loaded_as_published(fcon: duckdb.DuckDBPyConnection) -> None:
    series = read_gdp_deflators(FIXTURES / "gdp_deflators.csv")
    rows = fcon.execute(
        "SELECT year, deflator, base_year FROM gdp_deflator ORDER BY year"
    ).fetchall()
    assert [(y, v) for y, v, _ in rows] == list(series.index.items())
    assert {b for *_, b in rows} == {2025}
    src = fcon.execute("SELECT file, publisher, rows FROM source WHERE source_id = 'gdp_deflator'")
    assert src.fetchone() == ("gdp_deflators.csv", "HM Treasury", len(series.index))


def test_social_work_line_per_episode(fcon: duckdb.DuckDBPyConnection) -> None:
    value, status, num, den = _value(fcon, SW, "352", 2025)
    episodes = _value(fcon, "cin_episodes", "352", 2025)[0]
    assert num == 39_500_000 and den == episodes and value == pytest.approx(num / den)
    assert status is None
    # The publisher's symbol is kept, never a zero.
    value, status, num, _ = _value(fcon, SW, "202", 2024)
    assert value is None and num is None and status == "x"
    eng = _value(fcon, SW, "E92000001", 2025)
    assert eng[0] == pytest.approx(
        3_030_000_000 / _value(fcon, "cin_episodes", "E92000001", 2025)[0]
    )
    assert _value(fcon, SW, "E12000002", 2025)[0] is not None
    # Benchmarked like any other indicator (after the loader, before the benchmarks).
    assert fcon.execute(
        "SELECT count(*) FROM benchmark WHERE indicator = ? AND la_code = '352'", [SW]
    ).fetchone() == (2,)
    assert fcon.execute("SELECT rows FROM source WHERE source_id = 's251_outturn'").fetchone() == (
        14,
    )
    # Observations stay sorted and unique.
    dup = fcon.execute(
        "SELECT count(*) FROM (SELECT indicator, geo_code, year FROM observation "
        "GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()
    assert dup == (0,)


def test_unit_of_the_outturn_file_checked_against_lait(fresh_db: duckdb.DuckDBPyConnection) -> None:
    fresh_db.execute(
        "CREATE TABLE observation AS SELECT 'spend_safeguarding_gross' AS indicator, "
        "'national' AS geo_level, 2025 AS year, 3586900940.0 AS value"
    )
    here = Path("s251.csv")
    assert _scale(fresh_db, {2025: 3586900940.0}, here) == 1
    assert _scale(fresh_db, {2025: 3586.90094}, here) == 1_000_000  # £ million
    assert _scale(fresh_db, {2025: 3_586_900.94}, here) == 1_000  # £ thousand
    assert _scale(fresh_db, {2025: 3586900940.0 * 1.015}, here) == 1  # near miss: 1.5% off
    with pytest.raises(SchemaError, match="factor"):
        _scale(fresh_db, {2025: 3586900940.0 * 1.05}, here)
    with pytest.raises(SchemaError, match="no year"):
        _scale(fresh_db, {2019: 1.0}, here)


def test_real_terms_views(fcon: duckdb.DuckDBPyConnection) -> None:
    d = px.load_deflator(fcon)
    assert d.base_year == 2025 and d.label.startswith("real terms, 2024-25 prices")
    f2024 = 100.0 / 94.8
    assert d.factor(2024) == pytest.approx(f2024) and d.factor(2025) == 1.0
    ind = "spend_safeguarding_per_cin_episode"
    cash = variation(fcon, ind, 2024)
    real = px.real_variation(cash, d)
    assert cash.median is not None and cash.england is not None
    assert real.median == pytest.approx(cash.median * f2024)
    assert real.england == pytest.approx(cash.england * f2024)
    assert real.ratio_max_min == cash.ratio_max_min
    other = variation(fcon, "caseload", 2024)
    assert px.real_variation(other, d) == other  # not a £ figure
    rows = indicator_table(fcon, ind, 2024)
    real_rows = px.real_indicator_rows(rows, ind, 2024, d)
    assert [r.rank for r in real_rows] == [r.rank for r in rows]
    assert rows[0].value is not None
    assert real_rows[0].value == pytest.approx(rows[0].value * f2024)
    prof = profile(fcon, "Manchester", 2024)
    rprof = px.real_profile(prof, d)
    for b, rb in zip(prof.benchmarks, rprof.benchmarks, strict=True):
        if CATALOGUE[b.indicator].unit.is_money and b.value is not None:
            assert rb.value == pytest.approx(b.value * f2024)
            assert (rb.rank, rb.quartile) == (b.rank, b.quartile)
            last = b.trend.values[-1]
            assert last is not None and rb.trend.values[-1] == pytest.approx(last * f2024)
        else:
            assert rb == b
    with pytest.raises(InputError, match="2030-31"):
        d.factor(2031)


def test_real_terms_in_the_cli(cli, finance_warehouse: Settings) -> None:
    env = {"CSCWATCH_WAREHOUSE": str(finance_warehouse.warehouse)}
    code, out, _ = cli(
        "variation", SW, "--year", "2025", "--prices", "real", "--format", "json", env=env
    )
    assert code == 0
    d = json.loads(out)
    assert d["prices"] == "£ figures: real terms, 2024-25 prices (HM Treasury GDP deflator)."
    code, out, _ = cli("profile", "Manchester", "--year", "2024", "--prices", "real", env=env)
    assert code == 0 and "2024-25 prices" in out


def test_optional_indicator_without_its_file_says_why(cli, warehouse: Settings) -> None:
    env = {"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)}
    for command in ("show", "variation"):
        code, out, err = cli(command, SW, env=env)
        assert code == 2 and out == "" and err.count("\n") == 1, command
        assert "optional file" in err and "docs/snapshot.md" in err
    assert CATALOGUE[SW].no_data_reason and not CATALOGUE["caseload"].no_data_reason
