"""Row counts against the previous build, and rehashing one entry after a command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cscwatch.core.errors import SchemaError, SourceFileError
from cscwatch.ingest.snapshot import (
    DEFAULT_ROW_TOLERANCE,
    check_row_counts,
    load_manifest,
    rehash_entry,
    verify_snapshot,
)

B1 = "b1_children_in_need_2013_to_2025.csv"
C1 = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"


@pytest.fixture()
def snap(tmp_path: Path, snapshot_dir: Path) -> Path:
    d = tmp_path / "snap"
    d.mkdir()
    for p in snapshot_dir.iterdir():
        (d / p.name).symlink_to(p)
    return d


def test_the_bundled_manifest_declares_the_tolerance(snapshot_dir: Path) -> None:
    m = load_manifest(snapshot_dir)
    assert m.row_tolerance == DEFAULT_ROW_TOLERANCE == 0.2
    assert m.tolerance(B1) == 0.2


def test_no_data_rows_fails_even_on_a_first_build(snap: Path) -> None:
    with pytest.raises(SchemaError, match=f"{B1}: has no data rows"):
        check_row_counts(snap, {B1: 0, C1: 2132}, {})


def test_rows_within_the_tolerance_pass_and_beyond_it_fail(snap: Path) -> None:
    check_row_counts(snap, {B1: 2132 + 426}, {B1: 2132})  # +19.98%
    check_row_counts(snap, {B1: 2132 - 426}, {B1: 2132})
    with pytest.raises(SchemaError) as info:
        check_row_counts(snap, {B1: 1700, C1: 2132}, {B1: 2132, C1: 2132})
    assert str(info.value) == (
        f"file {snap / B1}: {B1}: 1,700 data rows, the previous build had 2,132 "
        "(-20%; the manifest allows 20%)"
    )
    check_row_counts(snap, {B1: 1}, {})  # no previous build: nothing to compare


def test_an_entry_may_declare_its_own_tolerance(snap: Path) -> None:
    raw = json.loads((snap / "manifest.json").read_text(encoding="utf-8"))
    for e in raw["files"]:
        if e["file"] == B1:
            e["row_tolerance"] = 0.6
    (snap / "manifest.json").unlink()
    (snap / "manifest.json").write_text(json.dumps(raw), encoding="utf-8")
    check_row_counts(snap, {B1: 1066}, {B1: 2132})
    with pytest.raises(SchemaError, match=C1):
        check_row_counts(snap, {C1: 1066}, {C1: 2132})


def test_rehash_entry_accepts_a_remade_file_and_nothing_else(snap: Path) -> None:
    name = "ofsted_judgements.csv"
    (snap / name).unlink()
    shutil.copy(Path(str((snap / "manifest.json").resolve().parent / name)), snap / name)
    with (snap / name).open("a", encoding="utf-8") as fh:
        fh.write("x.pdf,,,,,,,,,,\n")
    with pytest.raises(SourceFileError, match=name):
        verify_snapshot(snap)
    assert rehash_entry(snap, name) is True
    assert rehash_entry(snap, name) is False
    verify_snapshot(snap)  # the remade file is accepted ...
    assert (snap / "manifest.json").is_file() and not (snap / "manifest.json").is_symlink()
    with pytest.raises(SourceFileError, match="not in the manifest"):
        rehash_entry(snap, "nothing.csv")
