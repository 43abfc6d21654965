"""The published-statistics warehouse, checked against the publisher's own files."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.config import Settings
from cscwatch.core.errors import BuildError
from cscwatch.core.types import STATUS_SYMBOLS
from cscwatch.indicators.authorities import resolve_authority
from cscwatch.indicators.build import default_loaders
from cscwatch.ingest.snapshot import refresh_manifest
from cscwatch.ingest.tidy import TIDY_SOURCES
from cscwatch.store.warehouse import build_warehouse

Cli = Callable[..., tuple[int, str, str]]


def _rows(snapshot_dir: Path, key: str) -> list[dict[str, str]]:
    with (snapshot_dir / TIDY_SOURCES[key].file).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _matches(row: dict[str, str], filters: tuple[tuple[str, str], ...]) -> bool:
    return all(row[k].strip() == v for k, v in filters)


COUNT_INDICATORS = [
    i for i in CATALOGUE.values() if i.derivation.kind == "column" and i.unit.value == "count"
]


@pytest.mark.parametrize("ind", COUNT_INDICATORS, ids=lambda i: i.id)
def test_national_counts_equal_published_national_rows(
    ind, snapshot_dir: Path, con: duckdb.DuckDBPyConnection
) -> None:
    d = ind.derivation
    published = {
        int(r["time_period"][:4]) + d.year_shift: r[d.column].strip()
        for r in _rows(snapshot_dir, d.source)
        if r["geographic_level"] == "National" and _matches(r, d.filters)
    }
    ours = dict(
        con.execute(
            "SELECT year, coalesce(CAST(value AS VARCHAR), status) FROM observation "
            "WHERE indicator = ? AND geo_level = 'national' AND source_id = ?",
            [ind.id, d.source],
        ).fetchall()
    )
    assert published, "the file has national rows"
    assert set(ours) == set(published)
    for year, text in published.items():
        if text in STATUS_SYMBOLS:
            assert ours[year] == text
        else:
            assert float(ours[year]) == pytest.approx(float(text)), year


@pytest.mark.parametrize("ind_id", ["referrals", "cpp_starts", "cin_at31", "cpp_at31"])
def test_authorities_add_up_to_england_within_rounding(
    ind_id: str, con: duckdb.DuckDBPyConnection
) -> None:
    # Authority counts are rounded to the nearest 10 by DfE: each contributes up to ±5.
    rows = con.execute(
        """SELECT o.year, max(o.value) FILTER (WHERE geo_level = 'national'),
                  sum(o.value) FILTER (WHERE geo_level = 'la'),
                  count(o.value) FILTER (WHERE geo_level = 'la'),
                  count(*) FILTER (WHERE geo_level = 'la' AND o.value IS NULL)
           FROM observation o WHERE indicator = ? GROUP BY year""",
        [ind_id],
    ).fetchall()
    assert rows
    for year, national, la_sum, n, suppressed in rows:
        if suppressed:
            continue  # a suppressed authority makes the sum a lower bound only
        assert abs(national - la_sum) <= 5 * n + 10, (year, national, la_sum)


def test_every_authority_resolves_in_every_year(con: duckdb.DuckDBPyConnection) -> None:
    pairs = con.execute(
        "SELECT DISTINCT o.geo_code, o.year, a.name, a.gss_code FROM observation o "
        "LEFT JOIN authority a ON a.la_code = o.geo_code WHERE o.geo_level = 'la'"
    ).fetchall()
    assert len(pairs) > 1500
    unresolved = [p for p in pairs if p[2] is None]
    assert not unresolved
    for code in {p[0] for p in pairs}:
        assert resolve_authority(con, code).la_code == code
    gss = con.execute("SELECT alias, la_code FROM authority_alias WHERE kind = 'gss'").fetchall()
    for alias, code in gss:
        assert resolve_authority(con, alias.upper()).la_code == code


def test_reorganisations_are_linked(con: duckdb.DuckDBPyConnection) -> None:
    dorset_old = resolve_authority(con, "835")
    assert dorset_old.successors == ("838", "839") and not dorset_old.is_current
    assert dorset_old.last_year == 2019
    assert resolve_authority(con, "Dorset").la_code == "838"
    bcp = resolve_authority(con, "Bournemouth, Christchurch and Poole")
    assert set(bcp.predecessors) == {"835", "836", "837"} and bcp.first_year == 2020
    assert resolve_authority(con, "Northamptonshire").successors == ("940", "941")
    assert resolve_authority(con, "North Northamptonshire").first_year == 2022
    cumbria = resolve_authority(con, "E10000006")
    assert cumbria.successors == ("942", "943") and cumbria.last_year == 2023
    assert resolve_authority(con, "Westmorland and Furness").first_year == 2024
    # Buckinghamshire changed its GSS code in 2020; both codes resolve to one authority.
    assert (
        resolve_authority(con, "E10000002").la_code == resolve_authority(con, "E06000060").la_code
    )


def _rounding_bound(row: tuple[object, ...], unit: str) -> float:
    """How far a rate computed from counts rounded to the nearest 10 can be from the
    publisher's rate computed from exact counts and then rounded."""
    num, den, published = (float(x) for x in row[:3])  # type: ignore[arg-type]
    # Some tables publish whole percentages (KS2), most one decimal place.
    half_step = 0.5 if published == int(published) else 0.05
    if unit in ("percent", "score"):
        scale = 100.0 if unit == "percent" else 1.0
        if den <= 5:
            return scale
        lo = scale * max(num - 5, 0) / (den + 5)
        hi = scale * (num + 5) / (den - 5)
        ours = scale * num / den
        return max(hi - ours, ours - lo) + half_step + 1e-9
    # per 10,000 children: counts rounded to 10, published rates to 1 decimal or whole.
    return 10000 * 5 / den + 0.5 + 1e-9


@pytest.mark.parametrize(
    "ind",
    [
        i
        for i in CATALOGUE.values()
        if i.derivation.kind in ("ratio", "rate")
        and (i.derivation.published_column or i.derivation.published_lait)
    ],
    ids=lambda i: i.id,
)
def test_computed_rates_agree_with_published_rates(ind, con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT numerator, denominator, published_value, computed_value, geo_code, year "
        "FROM observation WHERE indicator = ? AND computed_value IS NOT NULL "
        "AND published_value IS NOT NULL AND method <> 'shared' "
        # A spliced series' LAIT years: LAIT's rates of 2016-2018 used the population
        # estimates of their day (tests/indicators/test_care.py measures how far).
        "AND NOT (source_id = 'lait' AND method = 'computed')",
        [ind.id],
    ).fetchall()
    assert rows, "every declared published rate overlaps with a computed one"
    unit = ind.unit.value if ind.unit.value in ("percent", "score") else "per_10k"
    # Where an authority's numerator is not published ('u', 'x', 'c'), DfE leaves that
    # authority out of its regional and national rates but not of the denominators we
    # can add up; such aggregates cannot be recomputed from the file and are skipped.
    gaps = set(
        con.execute(
            """SELECT DISTINCT a.region_code, o.year FROM observation o
               JOIN authority a ON a.la_code = o.geo_code
               WHERE o.indicator = ? AND o.geo_level = 'la' AND o.value IS NULL""",
            [ind.id],
        ).fetchall()
    )
    gap_years = {y for _, y in gaps}
    bad = []
    for row in rows:
        code, year = row[4], row[5]
        if (code == "E92000001" and year in gap_years) or (code, year) in gaps:
            continue
        bound = _rounding_bound(row, unit)
        if abs(row[3] - row[2]) > bound:
            bad.append((row[4], row[5], row[3], row[2], bound))
    assert not bad, f"{len(bad)} of {len(rows)} disagree, e.g. {bad[:5]}"


def test_status_symbols_are_kept_never_zero(
    snapshot_dir: Path, con: duckdb.DuckDBPyConnection
) -> None:
    rows = _rows(snapshot_dir, "c1")
    symbols = [
        (r["old_la_code"], int(r["time_period"]), r["referral_count"])
        for r in rows
        if r["geographic_level"] == "Local authority" and r["referral_count"] in STATUS_SYMBOLS
    ]
    assert symbols, "the real file has suppressed referral counts"
    for code, year, sym in symbols:
        row = con.execute(
            "SELECT value, status FROM observation WHERE indicator = 'referrals' "
            "AND geo_code = ? AND year = ?",
            [code, year],
        ).fetchone()
        assert row is not None
        value, status = row
        assert value is None and status == sym


def test_export_round_trips_status_symbols(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    from cscwatch.indicators.observations import export_tidy, tidy_period

    out = tmp_path / "obs.csv"
    n = export_tidy(con, out, "csv")
    with out.open(encoding="utf-8", newline="") as fh:
        exported = list(csv.DictReader(fh))
    assert len(exported) == n
    kept = {
        (r["indicator"], r["old_la_code"] or r["region_code"], r["time_period"]): r["value"]
        for r in exported
    }
    for ind_id, code, year, status in con.execute(
        "SELECT indicator, geo_code, year, status FROM observation WHERE status IS NOT NULL "
        "AND geo_level = 'la'"
    ).fetchall():
        assert kept[(ind_id, code, tidy_period(ind_id, year)[0])] == status
    parquet = tmp_path / "obs.parquet"
    assert export_tidy(con, parquet, "parquet") == n
    row = duckdb.execute("SELECT count(*) FROM read_parquet(?)", [str(parquet)]).fetchone()
    assert row is not None and row[0] == n


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _content(path: Path) -> dict[str, tuple[int, int]]:
    """Each table's row count and the sum of a hash of each row with its position: equal
    for equal rows in the same order. Summed in the database (every row fetched into
    Python and hashed there cost 8.9 s CPU for the two files, this 0.4 s)."""
    c = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in c.execute("SHOW TABLES").fetchall()]
        out = {}
        for t in tables:
            row = c.execute(
                f'SELECT count(*), sum(hash(rowid, "{t}")::HUGEINT) FROM "{t}"'
            ).fetchone()
            assert row is not None
            out[t] = (int(row[0]), int(row[1] or 0))
        return out
    finally:
        c.close()


def test_broken_input_fails_and_leaves_old_warehouse_intact(
    warehouse: Settings, snapshot_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "w.duckdb"
    shutil.copy(warehouse.warehouse, target)
    before = _digest(target)
    broken = tmp_path / "snapshot"
    shutil.copytree(snapshot_dir, broken)
    path = broken / TIDY_SOURCES["c1"].file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    col = header.index("rereferral_count")
    cells = lines[9].rstrip("\n").split(",")
    cells[col] = "twelve"
    lines[9] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    refresh_manifest(broken)  # past the checksum check, to the cell check
    settings = Settings(warehouse=target)
    with pytest.raises(BuildError) as info:
        build_warehouse(settings, default_loaders(), snapshot_dir=broken)
    message = str(info.value)
    assert TIDY_SOURCES["c1"].file in message
    assert "row 10" in message and "'rereferral_count'" in message
    assert _digest(target) == before
    assert not list(tmp_path.glob(".w.duckdb*.tmp"))


def test_missing_column_is_named(snapshot_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "snapshot"
    shutil.copytree(snapshot_dir, broken)
    path = broken / TIDY_SOURCES["d3"].file
    text = path.read_text(encoding="utf-8").replace("CPP_subsequent_percent", "pct", 1)
    path.write_text(text, encoding="utf-8")
    refresh_manifest(broken)
    with pytest.raises(BuildError, match="column 'CPP_subsequent_percent'"):
        build_warehouse(
            Settings(warehouse=tmp_path / "x.duckdb"), default_loaders(), snapshot_dir=broken
        )
    assert not (tmp_path / "x.duckdb").exists()


def test_rebuild_gives_identical_content(warehouse: Settings, tmp_path: Path, cli: Cli) -> None:
    # rebuilt by ``cscwatch build`` off a terminal (the run's cache is the warehouse's:
    # CSCWATCH_CACHE_DIR), which also shows that such a build prints its JSON answer and
    # nothing else: no progress bar, not DuckDB's either (one build serves both; the
    # same assertions were a build of their own in tests/serve/test_cli_progress.py)
    again = tmp_path / "again.duckdb"
    code, out, err = cli("build", "--warehouse", str(again), "--format", "json")
    assert code == 0 and json.loads(out)["rows"]["observation"] > 90000
    assert "building" not in err and "━" not in err and "remaining" not in err
    assert _content(again) == _content(warehouse.warehouse)


def test_source_provenance_covers_every_observation(con: duckdb.DuckDBPyConnection) -> None:
    missing = con.execute(
        "SELECT DISTINCT source_id FROM observation WHERE source_id NOT IN "
        "(SELECT source_id FROM source) AND source_id <> 'population'"
    ).fetchall()
    assert not missing
    row = con.execute("SELECT count(*) FROM source WHERE length(sha256) = 64").fetchone()
    assert row is not None and row[0] >= 12


def test_row_with_too_many_fields_names_its_line(snapshot_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "snapshot"
    shutil.copytree(snapshot_dir, broken)
    path = broken / TIDY_SOURCES["b1"].file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[4] = lines[4].rstrip("\n") + ",surplus\n"
    path.write_text("".join(lines), encoding="utf-8")
    refresh_manifest(broken)
    with pytest.raises(BuildError) as info:
        build_warehouse(
            Settings(warehouse=tmp_path / "x.duckdb"), default_loaders(), snapshot_dir=broken
        )
    assert TIDY_SOURCES["b1"].file in str(info.value) and "5" in str(info.value)


def test_bad_value_in_an_unused_lait_measure_still_fails(
    snapshot_dir: Path, tmp_path: Path
) -> None:
    """The whole LAIT file is checked, not only the measures the catalogue uses."""
    broken = tmp_path / "snapshot"
    shutil.copytree(snapshot_dir, broken)
    lait = broken / "bds_long_0.parquet"
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT * REPLACE (CASE WHEN "Short Desc" = 'RTA' AND row_number() OVER () = 3
                                   THEN 'n/a' ELSE "Values" END AS "Values")
                 FROM read_parquet('{snapshot_dir / "bds_long_0.parquet"}'))
            TO '{lait}' (FORMAT parquet)"""
    )
    con.close()
    refresh_manifest(broken)
    with pytest.raises(BuildError, match=r"bds_long_0\.parquet.*'Values'"):
        build_warehouse(
            Settings(warehouse=tmp_path / "x.duckdb"), default_loaders(), snapshot_dir=broken
        )


def test_a_figure_without_its_population_says_why(con: duckdb.DuckDBPyConnection) -> None:
    """No figure is left blank without a reason: where the ONS file gives `x` for the
    population (Dorset, Poole and Bournemouth before the 2019 reorganisation) or has no
    estimate yet (mid-2025, for the workforce census of 30 September 2025), the
    population and every rate that divides by it carry `x` (an independent check,
    scripts/audit_published.py, found 312 such rows blank with no symbol)."""
    blank = con.execute(
        "SELECT indicator, geo_code, year FROM observation "
        "WHERE value IS NULL AND status IS NULL AND NOT provisional ORDER BY ALL LIMIT 5"
    ).fetchall()
    assert blank == []
    for ind_id, code, year in (
        ("population_0_17", "835", 2012),
        ("cin_at31_per_10k", "835", 2013),
        ("referrals_per_10k", "837", 2019),
        ("social_workers_per_10k", "E92000001", 2025),
    ):
        row = con.execute(
            "SELECT value, status FROM observation WHERE indicator = ? AND geo_code = ? "
            "AND year = ?",
            [ind_id, code, year],
        ).fetchone()
        assert row == (None, "x"), (ind_id, code, year)
