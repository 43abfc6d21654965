"""``load_cin_census_files`` is all or nothing: a refusal in the last file of a load
leaves a child store on disk exactly as it was (every table's rows, by count and by a
checksum of their contents), however many batches were inserted before it, and the
error names the file, the line and the element."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from cin_xml import clean_return, render

from cscwatch.childlevel.cin.store import SameYear, load_cin_census_files
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError, SourceFileError

PS = Pseudonymiser(b"transaction-test-key-0123456789")
TABLES = (
    "cin_return", "cin_child", "cin_disability", "cin_episode", "cin_assessment",
    "cin_assessment_factor", "cin_plan", "cin_section47", "cin_cpp", "cin_cpp_review",
    "cin_format_issue",
)  # fmt: skip


def _return(tmp_path: Path, name: str, first_id: str, la: str, **kw: str) -> Path:
    kids = clean_return()
    kids[0]["LAchildID"] = first_id
    path = tmp_path / name
    path.write_bytes(render(kids, la=la, **kw))
    return path


def _state(store: Path) -> dict[str, tuple[int, str | None]]:
    # Each table's row count and an md5 of its rows in a fixed order.
    con = duckdb.connect(str(store), read_only=True)
    try:
        out = {}
        for t in TABLES:
            count, digest = con.sql(
                f"SELECT count(*), md5(string_agg(CAST(x AS VARCHAR), '|' "
                f"ORDER BY CAST(x AS VARCHAR))) FROM {t} AS x"
            ).fetchall()[0]
            out[t] = (int(count), None if digest is None else str(digest))
        return out
    finally:
        con.close()


def _load(
    store: Path, paths: list[Path], same_year: SameYear, *, require_reference_date: bool = False
) -> None:
    con = duckdb.connect(str(store))
    try:
        load_cin_census_files(
            con, paths, Settings(), pseudonymiser=PS, batch=2, same_year=same_year,
            require_reference_date=require_reference_date,
        )  # fmt: skip
    finally:
        con.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    # A store already holding one return (LA 201, 2024-25).
    path = tmp_path / "child.duckdb"
    _load(path, [_return(tmp_path, "held.xml", "HELD0001", "201")], "refuse")
    return path


def _good(tmp_path: Path) -> list[Path]:
    # Five returns of other authorities: with batch=2, two batches are inserted before
    # the fifth file is read.
    return [_return(tmp_path, f"la{n}.xml", f"GOOD{n}", str(300 + n)) for n in range(5)]


def test_malformed_last_file_leaves_the_store_as_it_was(store: Path, tmp_path: Path) -> None:
    before = _state(store)
    assert before["cin_return"][0] == 1 and before["cin_child"][0] == 3
    bad = tmp_path / "broken.xml"
    text = render(clean_return(), la="399").decode()
    bad.write_text(text.replace("</Sex>", "</Sexx>", 1), encoding="utf-8")
    line = text[: text.index("</Sex>")].count("\n") + 1
    with pytest.raises(SourceFileError) as info:
        _load(store, [*_good(tmp_path), bad], "refuse")
    err = info.value
    assert err.path == str(bad) and err.row == line and err.column == "Sexx"
    assert f"file {bad}, row {line}, column 'Sexx': malformed XML" in str(err)
    assert _state(store) == before


def test_missing_reference_date_in_last_file_is_refused_with_its_line(
    store: Path, tmp_path: Path
) -> None:
    before = _state(store)
    bad = _return(tmp_path, "nodate.xml", "NODATE1", "398", reference_date="31/03/2025")
    line = bad.read_text(encoding="utf-8").split("<ReferenceDate>")[0].count("\n") + 1
    with pytest.raises(SourceFileError) as info:
        _load(store, [*_good(tmp_path), bad], "refuse", require_reference_date=True)
    err = info.value
    assert (err.path, err.row, err.column) == (str(bad), line, "ReferenceDate")
    assert "nothing of this load was stored" in str(err)
    assert _state(store) == before


def test_replace_then_refusal_keeps_the_replaced_return(store: Path, tmp_path: Path) -> None:
    # --replace would delete the held return in the first batch; the refusal of the last
    # file rolls that deletion back too.
    before = _state(store)
    new = _return(tmp_path, "new.xml", "NEW0001", "201")
    twice = _return(tmp_path, "twice.xml", "TWICE01", "300")  # a second return for LA 300
    with pytest.raises(InputError, match=r"twice\.xml: a second, different return for LA 300"):
        _load(store, [new, *_good(tmp_path), twice], "replace")
    assert _state(store) == before
    # Without the refusal the same load replaces the held return, all at once.
    _load(store, [new, *_good(tmp_path)], "replace")
    after = _state(store)
    assert after["cin_return"][0] == 6 and after != before
