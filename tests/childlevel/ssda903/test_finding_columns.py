"""The findings kept as columns give exactly what one object or dict per finding would.

The report keeps its findings as an Arrow table until they are shown; its JSON is made
by Arrow's string kernels and its CSV from the columns. These tests pin that the text is
the text ``json.dumps(report.to_dict(), indent=2)`` writes, whatever the values hold
(quotes, backslashes, control characters, non-ASCII letters), with and without the
authority's own child identifiers.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.ssda903 import validation
from cscwatch.childlevel.ssda903.validation import FindingColumns, validate_return

KEY = Pseudonymiser(b"finding-columns-test-key-0123456789")
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
    "PL_POST,URN\n"
)


def _awkward_return(folder: Path) -> Path:
    # Values json.dumps must escape: a quote, a backslash, a tab, a non-ASCII letter, an
    # emoji (a surrogate pair in JSON); and a plain one.
    folder.mkdir(parents=True, exist_ok=True)
    ethnic = ['"WB"', "W\\B", "W\tB", "WÉBR", "W😀", "wbri"]
    rows = "".join(f"RAW{i},F,01/01/2012,{e},,,\n" for i, e in enumerate(ethnic)).replace(
        '"WB"', '"""WB"""'
    )
    (folder / "h.csv").write_text(HEADER + rows, encoding="utf-8")
    (folder / "e.csv").write_text(
        EPISODES + "".join(f"RAW{i},01/05/2024,S,C2,N1,U1,PR1,,,,,,SC1\n" for i in range(6)),
        encoding="utf-8",
    )
    return folder


def test_json_is_what_json_dumps_writes(tmp_path: Path) -> None:
    folder = _awkward_return(tmp_path / "r")
    report = validate_return([folder], "2024-25", pseudonymiser=KEY, postcodes=False)
    values = {f.value for f in report.findings if f.rule == "103"}
    assert {'ETHNIC="WB"', "ETHNIC=W\\B", "ETHNIC=W\tB", "ETHNIC=WÉBR"} <= values
    for refs in (False, True):
        made = "".join(report.json_chunks(with_refs=refs))
        assert made == json.dumps(report.to_dict(with_refs=refs), indent=2)
        assert made.isascii()
        assert b"".join(report.json_bytes(with_refs=refs)) == made.encode("ascii")


def test_objects_frame_and_dict_agree(tmp_path: Path) -> None:
    folder = _awkward_return(tmp_path / "r")
    report = validate_return(
        [folder], "2024-25", pseudonymiser=KEY, postcodes=False, keep_child_refs=True
    )
    assert report.finding_count == len(report.findings) > 0
    as_dicts = [f.to_dict(with_refs=True) for f in report.findings]
    assert report.to_dict(with_refs=True)["findings"] == as_dicts
    assert report.to_frame(with_refs=True).to_dict("records") == as_dicts
    assert {f.la_child_id for f in report.findings if f.rule == "103"} >= {"RAW0", "RAW5"}
    counted: dict[str, int] = {}
    for f in report.findings:
        counted[f.rule] = counted.get(f.rule, 0) + 1
    assert report.counts_by_rule() == dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def test_json_batches_join_without_a_seam(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # More findings than one batch of the JSON writer: the pieces join into one list.
    folder = _awkward_return(tmp_path / "r")
    report = validate_return([folder], "2024-25", pseudonymiser=KEY, postcodes=False)
    assert report.finding_count > 3
    monkeypatch.setattr(validation, "_JSON_BATCH", 2)
    made = "".join(report.json_chunks())
    assert made == json.dumps(report.to_dict(), indent=2)
    assert b"".join(report.json_bytes()) == made.encode("ascii")


def test_no_findings_gives_an_empty_list(tmp_path: Path) -> None:
    folder = _awkward_return(tmp_path / "r")
    report = validate_return([folder], "2024-25", pseudonymiser=KEY, postcodes=False)
    empty = FindingColumns(report.finding_columns.table.slice(0, 0), {})
    assert len(empty) == 0 and empty.objects() == ()
    none = replace(report, finding_columns=empty)
    assert not none.has_findings and none.counts_by_rule() == {}
    made = "".join(none.json_chunks())
    assert made == json.dumps(none.to_dict(), indent=2)
    assert '"findings": []' in made
    assert b"".join(none.json_bytes()) == made.encode("ascii")


def test_json_plain_is_only_text_json_dumps_writes_as_it_is() -> None:
    # A column joined as it is between quotes must hold nothing json.dumps escapes.
    from cscwatch.core.arrow import text_array

    assert validation._json_plain(text_array(["ab", "", "X1 ;=,~"]))
    for odd in ['a"b', "a\\b", "a\tb", "\x7f", "É", None]:
        assert not validation._json_plain(text_array(["ab", odd]))
    # A slice's own text only, not the bytes of the values around it.
    assert validation._json_plain(text_array(['a"', "b", "\t"]).slice(1, 1))
    assert validation._json_plain(text_array([]))
    assert validation._json_plain(text_array(["", ""]))
    # Offsets of another width are not read as 32-bit ones: the former path instead.
    import pyarrow as pa

    assert not validation._json_plain(text_array(["ab"]).cast(pa.large_string()))
