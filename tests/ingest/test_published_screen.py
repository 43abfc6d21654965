"""The SQL screen a build runs before the declared schemas: it flags every table the
schema would fail (so a clean screen may skip the schema), and passes clean tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cscwatch.ingest.published_schema import NUMBER, check_frame, lait_schema, tidy_schema
from cscwatch.ingest.published_screen import LAIT_KEY, lait_suspect, tidy_suspect
from cscwatch.ingest.tidy import TIDY_SOURCES, stage_tidy
from cscwatch.store.published import known_authorities

KEY = ("time_period", "geographic_level", "region_code", "old_la_code")
KNOWN = {"352", "353", "940", "941"}
Row = dict[str, str | None]


def _row(la: str | None = "352", v: str | None = "10", pct: str | None = "50",
         level: str = "Local authority", region: str | None = "E12000002") -> Row:  # fmt: skip
    return {"time_period": "2025", "geographic_level": level, "region_code": region,
            "old_la_code": la, "n": v, "p": pct}  # fmt: skip


def _number(cell: str | None) -> float | None:
    try:
        x = float(str(cell).strip())
    except ValueError:
        return None
    return x if cell is not None and abs(x) != float("inf") and x == x else None


def _schema_fails(rows: list[Row]) -> bool:
    df = pd.DataFrame(rows, dtype=object)
    for m in ("n", "p"):
        df[m + NUMBER] = pd.Series([_number(c) for c in df[m]], dtype="float64")
    df.index = pd.Index(range(2, 2 + len(df)))
    schema = tidy_schema("f.csv", ("n", "p"), {"p"}, KEY, KNOWN)
    return not check_frame(schema, df, "f.csv").ok


#: One in-memory database for the module's screens: opening one costs about 25 ms CPU,
#: more than the screen itself, and each screen replaces its table ``t`` (no rows of an
#: earlier example stay). Not a fixture: hypothesis tests take none per example.
_CON: list[duckdb.DuckDBPyConnection] = []


def _screen(rows: list[Row]) -> bool:
    if not _CON:
        _CON.append(duckdb.connect())
    con = _CON[0]
    con.execute(
        "CREATE OR REPLACE TABLE t (time_period VARCHAR, geographic_level VARCHAR, "
        "region_code VARCHAR, old_la_code VARCHAR, n VARCHAR, p VARCHAR)"
    )
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", [list(r.values()) for r in rows])
    return tidy_suspect(con, "t", ("n", "p"), {"p"}, KEY, KNOWN)


@pytest.fixture(scope="module", autouse=True)
def _close_the_database() -> Iterator[None]:
    yield
    while _CON:
        _CON.pop().close()


def test_clean_rows_and_near_misses_pass_the_screen() -> None:
    rows = [
        _row("352", "0", "0"),
        _row("353", "c", "100"),
        _row("940 / 941", "", "x"),
        _row(None, "5", "99.9", level="Regional"),
        _row(None, "5", "1", level="Regional", region="E13000001"),
    ]
    rows[4]["time_period"] = "2024"
    assert not _schema_fails(rows)
    assert not _screen(rows)


@pytest.mark.parametrize(
    "rows",
    [
        [_row(v="-1")],
        [_row(v="NaN")],
        [_row(v=" -inf")],
        [_row(pct="100.1")],
        [_row(pct="-0.5")],
        [_row(la="999")],
        [_row(la="940 / 998")],
        [_row(level="Regional", region="E99")],
        [_row(level="Regional", region=None)],
        [_row(), _row()],
        [_row(), _row(v="11")],
    ],
)
def test_the_screen_flags_each_reason_code(rows: list[Row]) -> None:
    assert _schema_fails(rows)
    assert _screen(rows)


_CELLS = st.sampled_from(["0", "7", "-1", "100", "100.5", "c", "x", "", " 3 ", "nan", "Inf"])
_CODES = st.sampled_from(["352", "353", " 352", "999", "940 / 941", "940/998", "/", ""])
_ROWS = st.builds(
    _row,
    la=st.one_of(st.none(), _CODES),
    v=st.one_of(st.none(), _CELLS),
    pct=st.one_of(st.none(), _CELLS),
    level=st.sampled_from(["Local authority", "Regional", "National"]),
    region=st.one_of(st.none(), st.sampled_from(["E12000002", "E13000001", "E99", " E12000001"])),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ROWS, min_size=1, max_size=4))
def test_whatever_the_schema_fails_the_screen_flags(rows: list[Row]) -> None:
    if _schema_fails(rows):
        assert _screen(rows)


def test_a_lait_row_breaking_each_check_is_flagged() -> None:
    def suspect(rows: list[tuple[str, str, str, str]]) -> bool:
        con = duckdb.connect()
        try:
            con.execute(
                'CREATE TABLE l ("Short Desc" VARCHAR, "Years" VARCHAR, '
                '"LA Number" VARCHAR, "Values" VARCHAR)'
            )
            con.executemany("INSERT INTO l VALUES (?, ?, ?, ?)", rows)
            return lait_suspect(con, "l", [], LAIT_KEY, {"301", "970"}, {"CP_conf_15days"})
        finally:
            con.close()

    clean = [("CPP_rate", "2016", "301", "3"), ("AVG_Prog8_Score", "2016", "301", "-0.4")]
    clean.append(("CP_conf_15days", "2016", "970", "100"))
    assert not suspect(clean)
    df = pd.DataFrame(clean, columns=[*LAIT_KEY, "Values"])
    df["Values" + NUMBER] = pd.to_numeric(df["Values"]).astype("float64")
    assert check_frame(lait_schema({"301", "970"}, percent_measures={"CP_conf_15days"}), df, "l").ok
    for bad in [
        ("CPP_rate", "2017", "301", "-3"),
        ("CP_conf_15days", "2017", "301", "101"),
        ("CPP_rate", "2017", "301", "NaN"),
        ("CPP_rate", "2017", "999", "3"),
        ("CPP_rate", "2016", "301", "4"),
    ]:
        assert suspect([*clean, bad]), bad


def test_the_bundled_tidy_files_pass_the_screen(snapshot_dir: Path) -> None:
    known = known_authorities(snapshot_dir)
    con = duckdb.connect()
    try:
        for source in TIDY_SOURCES.values():
            table = stage_tidy(con, source, snapshot_dir, known_authorities=known)
            assert not tidy_suspect(
                con, table, source.measures, source.percent, source.row_key, known
            ), source.file
    finally:
        con.close()
