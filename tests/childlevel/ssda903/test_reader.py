"""Reading the SSDA903 CSV set: tables by columns, row numbers, pseudonyms."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from cscwatch.childlevel.pseudonym import DEMO_KEY, SYNTHETIC_MARKER, Pseudonymiser
from cscwatch.childlevel.ssda903.reader import SYNTHETIC_FILE, is_synthetic, read_return
from cscwatch.childlevel.ssda903.tables import TABLES, normalise_sex, sex_sql
from cscwatch.core.config import Settings
from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import ConfigError, SourceFileError

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ssda903" / "samples"
KEY = Pseudonymiser(b"a-test-key-of-enough-bytes")
NO_KEY = Settings(pseudonym_key=None, pseudonym_key_file=None)


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
    with pytest.raises(SourceFileError, match=r"dolo.csv, row 3, column 'DOLO_START': 2 values"):
        read_return([path], pseudonymiser=KEY)


# --- encodings and malformed CSV ---------------------------------------------------------


def test_utf16_with_a_byte_order_mark_reads_as_utf8(tmp_path: Path) -> None:
    text = "CHILD,DOB,DOLO_START,DOLO_END\r\n7,01/01/2010,02/02/2020,\r\n"
    (tmp_path / "a.csv").write_bytes(text.encode("utf-16"))
    (tmp_path / "b.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    a = read_return([tmp_path / "a.csv"], pseudonymiser=KEY).tables["dolo"]
    b = read_return([tmp_path / "b.csv"], pseudonymiser=KEY).tables["dolo"]
    assert a.equals(b) and a["DOLO_START"].tolist() == ["02/02/2020"]
    assert a["row_no"].tolist() == [2] and a["CHILD"].tolist() == [KEY("7")]


def test_a_byte_that_is_not_utf8_names_its_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "dolo.csv"
    path.write_bytes(b"CHILD,DOB,DOLO_START,DOLO_END\n1,01/01/2010,,\n2,01/01/2010,\xe9,\n")
    with pytest.raises(SourceFileError, match=r"dolo.csv, row 3, column 'DOLO_START': not UTF-8"):
        read_return([path], pseudonymiser=KEY)


def test_quoted_newline_keeps_line_numbers_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "dolo.csv"
    path.write_text('CHILD,DOB,DOLO_START,DOLO_END\n1,"01/01\n/2010",,\n\n2,01/01/2010,,\n')
    frame = read_return([path], pseudonymiser=KEY).tables["dolo"]
    assert frame["row_no"].tolist() == [2, 5]


def test_unterminated_quote_and_doubled_column_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dolo.csv"
    path.write_text("CHILD,DOB,DOLO_START,DOLO_START\n")
    with pytest.raises(SourceFileError, match=r"row 1, column 'DOLO_START': the header names"):
        read_return([path], pseudonymiser=KEY)
    path.write_text("CHILD,DOB,DOLO_START,DOLO_END\n1,01/01/2010,,\n" + "\0" * 3 + "\n")
    with pytest.raises(SourceFileError, match=r"dolo\.csv, row 3"):
        read_return([path], pseudonymiser=KEY)


def test_empty_and_unknown_files_and_mixed_formats_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(SourceFileError, match="empty file"):
        read_return([tmp_path / "empty.csv"], pseudonymiser=KEY)
    (tmp_path / "x.csv").write_text("A,B\n1,2\n")
    with pytest.raises(SourceFileError, match=r"x.csv, row 1: columns match no SSDA903 table"):
        read_return([tmp_path / "x.csv"], pseudonymiser=KEY)
    (tmp_path / "r.xml").write_text("<EXPSSDA903/>")
    (tmp_path / "d.csv").write_text("CHILD,DOB,DOLO_START,DOLO_END\n")
    with pytest.raises(SourceFileError, match="give it alone"):
        read_return([tmp_path / "d.csv", tmp_path / "r.xml"], pseudonymiser=KEY)
    with pytest.raises(SourceFileError, match="no such file"):
        read_return([tmp_path / "absent.csv"], pseudonymiser=KEY)


def test_a_directory_stands_for_its_files(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("CHILD,DOB,DOLO_START,DOLO_END\n1,01/01/2010,,\n")
    (tmp_path / "notes.txt").write_text("not part of the return")
    ret = read_return([tmp_path], pseudonymiser=KEY)
    assert set(ret.tables) == {"dolo"} and ret.source_format == "csv"


# --- synthetic marker ------------------------------------------------------------------


def test_only_a_marked_return_may_use_the_demo_key(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("CHILD,DOB,DOLO_START,DOLO_END\n1,01/01/2010,,\n")
    with pytest.raises(ConfigError, match="no pseudonym key"):
        read_return([tmp_path / "d.csv"], settings=NO_KEY)
    (tmp_path / SYNTHETIC_FILE).write_text("not the marker\n")
    assert not is_synthetic([tmp_path / "d.csv"])
    (tmp_path / SYNTHETIC_FILE).write_text(SYNTHETIC_MARKER + "\n")
    ret = read_return([tmp_path / "d.csv"], settings=NO_KEY)
    assert ret.synthetic and ret.demo_key
    assert ret.tables["dolo"]["CHILD"].tolist() == [Pseudonymiser(DEMO_KEY)("1")]


# --- XML export --------------------------------------------------------------------------

XML = """<?xml version="1.0" encoding="UTF-8"?>
<EXPSSDA903>
 <CHILD>
  <HEADER><CHILDID>C1</CHILDID><UPN>A123456789012</UPN><SEX>2</SEX><DOB>01/02/2010</DOB>
   <ETHNIC>WBRI</ETHNIC><UASC>1</UASC><DUC>01/02/2028</DUC><MOTHER /><MC_DOB />
   <AREVIEW><REVIEW>01/05/2017</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE></AREVIEW>
   <AREVIEW><REVIEW>01/09/2017</REVIEW><REVIEW_CODE>PN0</REVIEW_CODE></AREVIEW>
   <PERMANENCE><PREV_PERM>Z1</PREV_PERM></PERMANENCE>
   <AMISSING><MISSING>M</MISSING><MIS_START>03/03/2018</MIS_START><MIS_END /></AMISSING>
  </HEADER>
  <EPISODE><DECOM>01/04/2017</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U1</PL>
   <PL_POST>B1 1AA</PL_POST><HOME_POST>B2 2BB</HOME_POST><URN>SC1</URN>
   <PLACE_PROVIDER>PR1</PLACE_PROVIDER><DEC /><REC /><REASON_PLACE_CHANGE /></EPISODE>
 </CHILD>
 <CHILD>
  <HEADER><CHILDID>C2</CHILDID><UPN /><SEX>M</SEX><DOB>05/06/2001</DOB><ETHNIC>WOTH</ETHNIC>
   <UASC /><MOTHER>0</MOTHER><MC_DOB /><IN_TOUCH>YES</IN_TOUCH><ACTIV>F2</ACTIV><ACCOM>S</ACCOM>
  </HEADER>
  <EPISODE><DECOM>01/01/2016</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U1</PL>
   <DEC>31/12/2017</DEC><REC>E11</REC></EPISODE>
  <SW_EPISODE><SW_ID>SW9</SW_ID><SW_DECOM>01/01/2016</SW_DECOM><SW_DEC /><SW_REASON /></SW_EPISODE>
 </CHILD>
</EXPSSDA903>
"""


def _xml(tmp_path: Path, text: str = XML, name: str = "return.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_xml_export_gives_the_tables_with_findable_positions(tmp_path: Path) -> None:
    ret = read_return([_xml(tmp_path)], pseudonymiser=KEY)
    t = ret.tables
    assert ret.source_format == "xml"
    assert set(t) == set(TABLES) - {"dolo"}  # no DoLo record: absent, not empty
    assert t["header"]["row_no"].tolist() == [1, 2]
    assert t["header"]["SEX"].tolist() == ["2", "M"]  # raw codes kept for the rules
    assert t["header"]["UPN"].tolist() == [KEY.upn("A123456789012"), None]
    assert t["uasc"][["row_no", "DUC", "DOB"]].values.tolist() == [[1, "01/02/2028", "01/02/2010"]]
    assert t["oc3"][["row_no", "IN_TOUCH", "ACCOM"]].values.tolist() == [[2, "YES", "S"]]
    assert t["ad1"].empty and t["oc2"].empty
    assert t["reviews"][["row_no", "REVIEW_CODE"]].values.tolist() == [[1, "PN1"], [2, "PN0"]]
    assert t["episodes"]["row_no"].tolist() == [1, 2]
    assert t["episodes"]["PLACE"].tolist() == ["U1", "U1"]
    assert t["episodes"]["CHILD"].tolist() == [KEY("C1"), KEY("C2")]
    assert t["missing"]["MIS_END"].tolist() == [None]
    # SW_EPISODE is not a name the reader knows: found by its fields, as CSV files are.
    assert t["sw_episodes"][["CHILD", "SW_ID", "DOB"]].values.tolist() == [
        [KEY("C2"), "SW9", "05/06/2001"]
    ]
    assert ret.child_refs[KEY("C1") or ""] == "C1"


def test_xml_and_its_tables_written_as_csv_give_the_same_tables(tmp_path: Path) -> None:
    source = SAMPLES / "fake_903.xml"
    if not source.is_file():
        pytest.skip("shared SSDA903 samples not present")
    from_xml = read_return([source], pseudonymiser=KEY)
    raw = read_return([source], pseudonymiser=_Identity())
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, frame in raw.tables.items():
        frame[list(TABLES[name].fields)].to_csv(folder / f"{name}.csv", index=False)
    from_csv = read_return([folder], pseudonymiser=KEY)
    assert set(from_csv.tables) == set(from_xml.tables)
    for name, frame in from_xml.tables.items():
        other = from_csv.tables[name]
        fields = list(TABLES[name].fields)
        # Same records in the same order; only where they sit differs (line vs position).
        assert frame[fields].fillna("").values.tolist() == other[fields].fillna("").values.tolist()
        assert (other["row_no"] - 1).tolist() == list(range(1, len(other) + 1))
    assert len(from_xml.tables["header"]) == 253 and len(from_xml.tables["episodes"]) == 459


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (XML.replace("<EXPSSDA903>", "<!DOCTYPE x [<!ENTITY a 'b'>]><EXPSSDA903>"), "DOCTYPE"),
        (XML.replace("</PREV_PERM>", "</PREV_PERM><OWNER>x</OWNER>"), r"row 8, column 'OWNER'"),
        (XML.replace("<AREVIEW>", "<GADGET><BAR>1</BAR></GADGET><AREVIEW>", 1),
         r"row 6, column 'GADGET'"),
        (XML.replace("<RNE>S</RNE>", "<RNE>S</RNE><COLOUR>blue</COLOUR>", 1), "'COLOUR'"),
        (XML.replace("</HEADER>\n  <EPISODE>", "\n  <EPISODE>", 1), "malformed XML"),
        (XML.replace("EXPSSDA903", "MESSAGE"), "not inside <EXPSSDA903>"),
        ("<EXPSSDA903><CHILD><EPISODE><RNE>S</RNE></EPISODE></CHILD></EXPSSDA903>",
         "without <HEADER>"),
    ],
)  # fmt: skip
def test_hostile_and_malformed_xml_is_refused_with_where(
    tmp_path: Path, text: str, match: str
) -> None:
    with pytest.raises(SourceFileError, match=match):
        read_return([_xml(tmp_path, text)], pseudonymiser=KEY)


def test_a_declaration_hidden_in_utf16_is_refused(tmp_path: Path) -> None:
    text = XML.replace('encoding="UTF-8"', 'encoding="UTF-16"').replace(
        "<EXPSSDA903>", "<!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/passwd'>]><EXPSSDA903>"
    )
    path = tmp_path / "r.xml"
    path.write_bytes(text.encode("utf-16"))
    with pytest.raises(SourceFileError, match="an SSDA903 return never needs"):
        read_return([path], pseudonymiser=KEY)
    path.write_bytes(XML.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    assert len(read_return([path], pseudonymiser=KEY).tables["episodes"]) == 2


def test_sex_codes_old_and_new_have_one_normaliser() -> None:
    assert [normalise_sex(v) for v in ("1", "2", "M", " f ", "U", "3", "", None)] == [
        "M", "F", "M", "F", "U", None, None, None,
    ]  # fmt: skip
    con = connect_duckdb()
    got = con.execute(
        f"SELECT {sex_sql('s')} FROM (VALUES ('1'), ('2'), ('u'), ('X'), (NULL)) t(s)"
    ).fetchall()
    assert [g[0] for g in got] == ["M", "F", "U", None, None]


class _Identity(Pseudonymiser):
    """Leaves identifiers as they are (to write a raw copy of a fake return in a test)."""

    def __init__(self) -> None:
        super().__init__(b"unused-but-long-enough-key")

    def many(self, identifiers: Sequence[str | None], *, upper: bool = False) -> list[str | None]:
        return list(identifiers)


def test_fast_and_careful_csv_paths_give_the_same_lines(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"  # no quoting, no blank line: the Arrow path
    plain.write_text("CHILD,DOB,DOLO_START,DOLO_END\r\n1,01/01/2010,,\r\n2,02/01/2010,x,\r\n")
    gaps = tmp_path / "gaps.csv"  # a blank line and one of commas: the csv-module path
    gaps.write_text("CHILD,DOB,DOLO_START,DOLO_END\n1,01/01/2010,,\n\n,,,\n2,02/01/2010,x,\n")
    a = read_return([plain], pseudonymiser=KEY).tables["dolo"]
    b = read_return([gaps], pseudonymiser=KEY).tables["dolo"]
    assert a["row_no"].tolist() == [2, 3] and b["row_no"].tolist() == [2, 5]
    assert a.drop(columns="row_no").equals(b.drop(columns="row_no"))
    assert a["DOLO_START"].tolist() == ["", "x"] and a["DOLO_START"].dtype == object


def test_csv_lines_are_those_a_stringio_gives() -> None:
    # The header is read from the file's first line alone; the rest as io.StringIO would.
    import io
    import random

    from cscwatch.childlevel.ssda903.reader import _lines

    pick = random.Random(903)
    alphabet = ["a", ",", "\r", "\n", "\r\n", '"', " ", "\u2028", "\x1c", "\x85", "é"]
    for _ in range(20_000):
        text = "".join(pick.choice(alphabet) for _ in range(pick.randint(0, 10)))
        assert list(_lines(text)) == list(io.StringIO(text, newline="")), repr(text)


def test_uasc_status_and_upn_shape_are_derived_before_pseudonymising(tmp_path: Path) -> None:
    # XML: the header's <UASC> as given; the UPN's shape, never the UPN.
    xml = read_return([_xml(tmp_path)], pseudonymiser=KEY).tables["header"]
    assert xml["UASC"].tolist() == ["1", None]
    assert xml["UPN_SHAPE"].tolist() == ["ok", None]
    bad = XML.replace("<UPN>A123456789012</UPN>", "<UPN>O123456789012</UPN>")
    header = read_return([_xml(tmp_path, bad, "bad.xml")], pseudonymiser=KEY).tables["header"]
    assert header["UPN_SHAPE"].tolist() == ["bad", None]
    assert header["UPN"].tolist()[0] == KEY.upn("O123456789012")
    # CSV: no UASC field; the status is having a UASC record (blank with no UASC table).
    (tmp_path / "h.csv").write_text(
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,M,01/01/2010,WBRI,un2,,\n2,F,01/01/2011,WBRI,X,,\n"
    )
    alone = read_return([tmp_path / "h.csv"], pseudonymiser=KEY).tables["header"]
    assert alone["UASC"].tolist() == [None, None]
    assert alone["UPN_SHAPE"].tolist() == ["ok", "bad"]
    (tmp_path / "u.csv").write_text("CHILD,SEX,DOB,DUC\n2,F,01/01/2011,\n")
    both = read_return([tmp_path / "h.csv", tmp_path / "u.csv"], pseudonymiser=KEY)
    assert both.tables["header"]["UASC"].tolist() == ["0", "1"]
    assert list(both.tables["header"].columns) == ["row_no", *TABLES["header"].staged]
