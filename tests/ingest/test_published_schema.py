"""The declared schemas of the published data: the bundled snapshot passes, and each
reason code is raised by a row built to break it (with near misses that pass)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cscwatch.core.errors import SchemaError
from cscwatch.ingest.published_schema import NUMBER, check_frame, lait_schema, tidy_schema
from cscwatch.ingest.tidy import TIDY_SOURCES, lait_signed_negatives, stage_lait, stage_tidy
from cscwatch.store.published import LAIT_REGIONS, known_authorities

KEY = ("time_period", "geographic_level", "region_code", "old_la_code")


def _frame(rows: list[dict[str, str | None]], measures: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for m in measures:
        df[m + NUMBER] = pd.to_numeric(
            df[m].where(~df[m].isin(["nan", "NaN", "inf"])), errors="coerce"
        ).astype("float64")
    df.index = pd.Index(range(2, 2 + len(df)))
    return df


def _row(la: str | None = "352", v: str = "10", pct: str = "50", level: str = "Local authority",
         region: str = "E12000002") -> dict[str, str | None]:  # fmt: skip
    return {"time_period": "2025", "geographic_level": level, "region_code": region,
            "old_la_code": la, "n": v, "p": pct}  # fmt: skip


def _failures(rows: list[dict[str, str | None]]) -> list[tuple[int | None, str | None, str]]:
    schema = tidy_schema("f.csv", ("n", "p"), {"p"}, KEY, {"352", "353", "940", "941"})
    return list(check_frame(schema, _frame(rows, ("n", "p")), "f.csv").failures)


def test_clean_rows_and_near_misses_pass() -> None:
    rows = [
        _row("352", "0", "0"),
        _row("353", "c", "100"),
        _row("940 / 941", "", "x"),
        _row(None, "5", "99.9", level="Regional"),
        _row(None, "5", "1", level="Regional", region="E13000001"),
    ]
    rows[4]["time_period"] = "2024"
    assert _failures(rows) == []


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([_row(v="-1")], [(2, "n", "non_negative")]),
        ([_row(v="NaN")], [(2, "n", "finite")]),
        ([_row(v="inf")], [(2, "n", "finite")]),
        ([_row(pct="100.1")], [(2, "p", "percentage")]),
        ([_row(pct="-0.5")], [(2, "p", "non_negative"), (2, "p", "percentage")]),
        ([_row(la="999")], [(2, "old_la_code", "known_authority")]),
        ([_row(la="940 / 998")], [(2, "old_la_code", "known_authority")]),
        ([_row(level="Regional", region="E99")], [(2, None, "known_region")]),
        ([_row(), _row()], [(3, None, "duplicate_row")]),
        ([_row(), _row(v="11")], [(3, None, "conflicting_rows")]),
    ],
)
def test_each_reason_code(rows: list[dict[str, str | None]], expected: list[tuple]) -> None:
    assert _failures(rows) == expected


def test_the_error_names_file_row_column_and_counts_the_rest() -> None:
    schema = tidy_schema("f.csv", ("n", "p"), {"p"}, KEY, {"352"})
    report = check_frame(schema, _frame([_row(v="-1"), _row(la="999")], ("n", "p")), "f.csv")
    err = report.error()
    assert isinstance(err, SchemaError)
    assert str(err) == (
        "file f.csv, row 2, column 'n': negative value (check non_negative); and 1 more problem"
    )


def test_the_bundled_tidy_files_pass_their_schemas(snapshot_dir: Path) -> None:
    known = known_authorities(snapshot_dir)
    assert len(known) == 158  # measured: exactly the LA numbers the tidy files use
    con = duckdb.connect()
    try:
        for source in TIDY_SOURCES.values():
            stage_tidy(con, source, snapshot_dir, known_authorities=known)
    finally:
        con.close()


def test_the_bundled_lait_file_passes_and_its_signed_negatives_are_counted(
    snapshot_dir: Path,
) -> None:
    con = duckdb.connect()
    try:
        _, rows = stage_lait(
            con,
            snapshot_dir,
            keep={"CPP_rate"},
            known_authorities=known_authorities(snapshot_dir) | set(LAIT_REGIONS) | {"987", "988"},
            percent_measures={"CP_conf_15days"},
        )
        assert rows == 641_070
        assert lait_signed_negatives(con, snapshot_dir) == (22_817, 44)
    finally:
        con.close()


def test_lait_negatives_are_refused_outside_the_signed_measures() -> None:
    df = pd.DataFrame(
        {
            "Short Desc": ["CPP_rate", "AVG_Prog8_Score", "CP_conf_15days"],
            "Years": ["2016", "2016", "2016"],
            "LA Number": ["301", "301", "301"],
            "Values": ["-3", "-0.4", "101"],
        },
        index=[10, 11, 12],
    )
    df["Values" + NUMBER] = pd.to_numeric(df["Values"]).astype("float64")
    report = check_frame(
        lait_schema({"301"}, percent_measures={"CP_conf_15days"}),
        df,
        "bds_long_0.parquet",
        columns={"non_negative": "Values", "percentage": "Values"},
    )
    assert report.failures == (
        (10, "Values", "non_negative"),
        (12, "Values", "percentage"),
    )
