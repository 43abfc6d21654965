"""Reading the SSDA903 CSV set: tables by columns, row numbers, pseudonyms."""

from __future__ import annotations

from pathlib import Path

import pytest

from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.ssda903.reader import read_return
from cscwatch.core.errors import SourceFileError

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ssda903" / "samples"
KEY = Pseudonymiser(b"a-test-key-of-enough-bytes")


def test_sample_tables_are_found_by_columns_whatever_their_names(tmp_path: Path) -> None:
    if not SAMPLES.is_dir():
        pytest.skip("shared SSDA903 samples not present")
    renamed = tmp_path / "x1.csv"
    renamed.write_bytes((SAMPLES / "episodes.csv").read_bytes())
    ret = read_return([SAMPLES / "header.csv", renamed], pseudonymiser=KEY)
    assert set(ret.tables) == {"header", "episodes"}
    episodes = ret.tables["episodes"]
    assert len(episodes) == 5050 and episodes["row_no"].iloc[0] == 2
    assert (
        "566910" not in set(episodes["CHILD"]) and ret.child_refs[KEY("566910") or ""] == "566910"
    )
    assert len(ret.tables["header"]) == 2675


def test_two_files_for_one_table_are_refused(tmp_path: Path) -> None:
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("CHILD,DOB,DOLO_START,DOLO_END\n1,01/01/2010,,\n")
    with pytest.raises(SourceFileError, match="holds the dolo table"):
        read_return([tmp_path / "a.csv", tmp_path / "b.csv"], pseudonymiser=KEY)


def test_short_row_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "dolo.csv"
    path.write_text("CHILD,DOB,DOLO_START,DOLO_END\n1,01/01/2010,,\n2,01/01/2010\n")
    with pytest.raises(SourceFileError, match=r"dolo.csv, row 3: 2 values"):
        read_return([path], pseudonymiser=KEY)
