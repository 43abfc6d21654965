"""Years as the publisher names them: the workforce census is stored under DfE's own
``time_period``, rates divide by the population the catalogue declares, and the
reorganised authorities' workforce rows line up with their reporting years."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.types import PeriodKind
from cscwatch.ingest.tidy import TIDY_SOURCES
from cscwatch.models._data import ALIGNMENT
from cscwatch.store.published import SUCCESSIONS

WORKFORCE = [
    i
    for i in CATALOGUE.values()
    if i.period_kind in (PeriodKind.AT_30_SEPTEMBER, PeriodKind.YEAR_TO_30_SEPTEMBER)
]


def _national(snapshot_dir: Path, column: str) -> dict[int, float]:
    path = snapshot_dir / TIDY_SOURCES["csww"].file
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {
            int(r["time_period"]): float(r[column])
            for r in csv.DictReader(fh)
            if r["geographic_level"] == "National"
        }


def test_every_workforce_indicator_is_a_census_of_30_september() -> None:
    assert {i.id for i in WORKFORCE} == {
        i.id for i in CATALOGUE.values() if i.derivation.source == "csww"
    }
    assert all(i.derivation.year_shift == 0 for i in CATALOGUE.values())


@pytest.mark.parametrize("ind", WORKFORCE, ids=lambda i: i.id)
def test_workforce_years_are_dfes_time_period(
    ind, snapshot_dir: Path, con: duckdb.DuckDBPyConnection
) -> None:
    published = _national(snapshot_dir, "inpost_fte")
    ours = {
        int(y)
        for (y,) in con.execute(
            "SELECT year FROM observation WHERE indicator = ? AND geo_level = 'national'",
            [ind.id],
        ).fetchall()
    }
    assert ours == set(published)
    assert min(ours) == 2017 == ind.years[0] and max(ours) == ind.years[1]


def test_the_2017_census_is_stored_as_2017_and_named_30_september_2017(
    snapshot_dir: Path, con: duckdb.DuckDBPyConnection
) -> None:
    published = _national(snapshot_dir, "caseload_fte")
    row = con.execute(
        "SELECT value FROM observation WHERE indicator = 'caseload' "
        "AND geo_level = 'national' AND year = 2017"
    ).fetchone()
    assert row is not None and row[0] == pytest.approx(published[2017])
    assert CATALOGUE["caseload"].year_label(2017) == "30 September 2017"
    assert CATALOGUE["turnover_rate_pct"].year_label(2017) == "year to 30 September 2017"


def test_social_workers_per_10k_divide_by_the_june_estimate_before_the_census(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = con.execute(
        """SELECT o.geo_code, o.year, o.denominator, p.mid_year, p.population
           FROM observation o JOIN population p ON p.geo_level = o.geo_level
                AND p.geo_code = o.geo_code AND p.mid_year = o.year
           WHERE o.indicator = 'social_workers_per_10k' AND o.denominator IS NOT NULL"""
    ).fetchall()
    assert len(rows) > 1000
    assert all(den == pop for _, _, den, _, pop in rows)
    # The last census (30 September 2025) has no mid-2025 estimate in the snapshot.
    last = con.execute(
        "SELECT count(*) FROM observation WHERE indicator = 'social_workers_per_10k' "
        "AND year = 2025 AND denominator IS NOT NULL"
    ).fetchone()
    assert last == (0,)


def test_rates_of_the_year_ending_31_march_keep_the_previous_june(
    con: duckdb.DuckDBPyConnection,
) -> None:
    row = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE o.denominator = p.population)
           FROM observation o JOIN population p ON p.geo_level = o.geo_level
                AND p.geo_code = o.geo_code AND p.mid_year = o.year - 1
           WHERE o.indicator = 'cpp_at31_per_10k' AND o.denominator IS NOT NULL"""
    ).fetchone()
    assert row is not None and row[0] > 1000 and row[0] == row[1]


def test_population_indicator_is_stored_under_its_mid_year(con: duckdb.DuckDBPyConnection) -> None:
    years = con.execute(
        "SELECT min(year), max(year) FROM observation WHERE indicator = 'population_0_17'"
    ).fetchone()
    mids = con.execute("SELECT min(mid_year), max(mid_year) FROM population").fetchone()
    assert years == mids == CATALOGUE["population_0_17"].years


def test_reorganised_authorities_workforce_rows_fall_within_their_reporting_years(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A census informs the reporting year ``ALIGNMENT`` gives it; that year lies within the
    authority's life (the 2019, 2021 and 2023 reorganisations took effect on 1 April)."""
    offset = ALIGNMENT[PeriodKind.AT_30_SEPTEMBER].offset
    rows = con.execute(
        """SELECT o.geo_code, min(o.year), max(o.year), any_value(a.first_year),
                  any_value(a.last_year)
           FROM observation o JOIN authority a ON a.la_code = o.geo_code
           WHERE o.indicator = 'agency_rate_pct' AND o.geo_level = 'la'
             AND o.value IS NOT NULL
           GROUP BY o.geo_code"""
    ).fetchall()
    life = {r[0]: r[1:] for r in rows}
    for la, (first, last, born, ended) in life.items():
        assert born is None or first + offset >= born, la
        assert ended is None or last + offset <= ended, la
    for predecessor, successor, year, _ in SUCCESSIONS:
        if predecessor in life:
            # The predecessor's last census is the 30 September before the successor began.
            assert life[predecessor][1] + offset == year - 1, predecessor
        assert life[successor][0] + offset == year, successor
    # Northamptonshire's last census was 30 September 2020, in its last year 2020-21.
    assert life["928"][1] == 2020 and life["928"][3] == 2021


def test_joint_workforce_returns_stand_for_both_authorities(con: duckdb.DuckDBPyConnection) -> None:
    rates = con.execute(
        """SELECT geo_code, year, value, method FROM observation
           WHERE indicator = 'agency_rate_pct' AND geo_code IN ('940', '941')
           ORDER BY year, geo_code"""
    ).fetchall()
    by_year: dict[int, list[tuple[str, float, str]]] = {}
    for la, y, v, m in rates:
        by_year.setdefault(int(y), []).append((la, v, m))
    assert min(by_year) == 2021
    for pair in by_year.values():
        assert [p[0] for p in pair] == ["940", "941"]
        assert pair[0][1] == pair[1][1] and {p[2] for p in pair} == {"shared"}
    counts = con.execute(
        "SELECT count(*) FROM observation WHERE indicator = 'social_workers_fte' "
        "AND geo_code IN ('940', '941') AND value IS NOT NULL"
    ).fetchone()
    assert counts == (0,)
