"""The data currency the banner shows, read from the warehouse."""

from __future__ import annotations

from datetime import date

import duckdb

from cscwatch.indicators.currency import data_currency


def test_each_source_latest_year_comes_from_the_warehouse(
    con: duckdb.DuckDBPyConnection,
) -> None:
    c = data_currency(con)
    by_title = {s.title: s for s in c.sources}
    cin = by_title["Children in need"]
    assert cin.source_ids == ("b1", "c1", "c3", "d3", "d5")
    latest = con.execute(
        "SELECT max(year) FROM observation WHERE source_id IN ('b1', 'c1', 'c3', 'd3', 'd5') "
        "AND value IS NOT NULL AND NOT provisional"
    ).fetchone()
    assert latest is not None and cin.year == latest[0] == 2025
    assert cin.period_label == "2024-25"
    assert by_title["Children's social work workforce"].period_label == "30 September 2025"
    assert by_title["ONS mid-year population estimates"].period_label == "mid-2024"
    # the Ofsted record runs to its latest publication, overview included
    runs_to = con.execute("SELECT max(publication_date) FROM inspection").fetchone()
    assert runs_to is not None and c.ofsted_record_to == runs_to[0] == date(2026, 6, 18)
    assert c.summary.endswith("Ofsted record to 18 June 2026")
    assert c.to_dict()["ofsted_record_to"] == "2026-06-18"


def test_a_warehouse_without_ofsted_tables_has_no_record_date(
    fresh_db: duckdb.DuckDBPyConnection,
) -> None:
    fresh_db.execute(
        "CREATE TABLE observation (indicator VARCHAR, year INTEGER, value DOUBLE, "
        "provisional BOOLEAN, source_id VARCHAR)"
    )
    fresh_db.execute("CREATE TABLE source (source_id VARCHAR, title VARCHAR)")
    fresh_db.execute(
        "INSERT INTO observation VALUES ('rereferrals_pct', 2024, 20.0, false, 'c1'), "
        "('rereferrals_pct', 2025, NULL, false, 'c1'), ('rereferrals_pct', 2026, 1.0, true, 'c1')"
    )
    fresh_db.execute("INSERT INTO source VALUES ('c1', 'Children in need')")
    c = data_currency(fresh_db)
    # a suppressed year and an authority's own provisional return do not count
    assert [(s.title, s.year, s.period_label) for s in c.sources] == [
        ("Children in need", 2024, "2023-24")
    ]
    assert c.ofsted_record_to is None
