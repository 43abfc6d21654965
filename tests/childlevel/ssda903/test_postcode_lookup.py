"""The reference look-up reads only the row groups of the sorted parquet copy that can hold
a wanted postcode, and finds exactly what a scan of the whole file finds; the key index
beside the copy (binary search in memory-mapped numpy files) finds exactly the same."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cscwatch.childlevel.ssda903.postcodes import (
    _build_index,
    _index_lookup,
    _index_paths,
    _lookup,
)

Row = tuple[str, float | None, float | None, str | None]


def _copy(path: Path) -> list[Row]:
    # A sorted copy in row groups of 7 rows, as _build_cache writes it (there of 65,536).
    rows: list[Row] = [
        (f"{a}{n}{n % 3}XY", float(n * 10), None if n % 5 == 0 else float(n), f"E0{n % 4}")
        for a in "ABMZ"
        for n in range(1, 30)
    ]
    rows.sort()
    table = pa.table(
        {
            "postcode": pa.array([r[0] for r in rows], pa.string()),
            "easting": pa.array([r[1] for r in rows], pa.float64()),
            "northing": pa.array([r[2] for r in rows], pa.float64()),
            "laua": pa.array([r[3] for r in rows], pa.string()),
        }
    )
    pq.write_table(table, path, row_group_size=7)
    return rows


def test_lookup_finds_what_a_full_scan_finds(tmp_path: Path) -> None:
    path = tmp_path / "postcodes.parquet"
    rows = _copy(path)
    assert pq.ParquetFile(path).num_row_groups > 10
    keys = sorted(
        {rows[0][0], rows[-1][0], rows[40][0], rows[41][0], "A00XY", "C11XY", "ZZZZ", "M55XY"}
    )
    found = _lookup(path, keys)
    assert sorted(found, key=lambda r: r[0]) == [r for r in rows if r[0] in set(keys)]
    assert len(found) == 4  # the rest are in gaps between groups or beyond both ends


def test_lookup_of_keys_outside_every_group_reads_nothing(tmp_path: Path) -> None:
    path = tmp_path / "postcodes.parquet"
    _copy(path)
    assert _lookup(path, ["0AA", "ZZZZ"]) == []


def test_index_finds_what_the_parquet_copy_finds(tmp_path: Path) -> None:
    path = tmp_path / "postcodes.parquet"
    rows = _copy(path)
    # First, last, neighbours, gaps, beyond both ends, too long, not ASCII, a NUL.
    keys = sorted(
        {rows[0][0], rows[-1][0], rows[40][0], rows[41][0], rows[5][0], "A00XY", "C11XY"}
        | {"ZZZZ", "0", "M55XY", "A11XYZZZZZ", "A11X\u00c9", "A11XY\0", rows[7][0][:-1]}
    )
    found = _index_lookup(path, keys)  # builds the index on first use
    assert all(p.is_file() for p in _index_paths(path))
    assert found == _lookup(path, keys)
    assert found == [r for r in rows if r[0] in set(keys)]
    assert any(r[2] is None for r in found)  # a null northing stays None, not NaN
    assert _index_lookup(path, ["0AA", "ZZZZ"]) == []


def test_index_is_not_built_over_repeated_keys(tmp_path: Path) -> None:
    path = tmp_path / "postcodes.parquet"
    table = pa.table(
        {
            "postcode": pa.array(["A1", "A1", "B2"], pa.string()),
            "easting": pa.array([1.0, 2.0, 3.0], pa.float64()),
            "northing": pa.array([1.0, 2.0, 3.0], pa.float64()),
            "laua": pa.array(["E1", None, "E3"], pa.string()),
        }
    )
    pq.write_table(table, path)
    assert not _build_index(path)
    assert _index_lookup(path, ["A1", "B2"]) is None  # the parquet copy is read instead
    assert not any(p.exists() for p in _index_paths(path))
