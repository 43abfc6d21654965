"""The fast reader (:mod:`cscwatch.childlevel.cin.flat`) gives exactly what the walk
(:func:`read_cin_census`) gives: the same staged Arrow tables for every plain return, and
for any other file it declines, so the walk reads it (same tables, same errors).

Hypothesis mutates a rich return in the ways real and hostile files differ (case,
namespaces, comments, CDATA, entities, blanks of every kind, elements out of place,
duplicates, empty elements, line endings, encodings, broken XML) and checks that the
path ``cin load`` takes and the walk agree on every one."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from cin_xml import clean_child, clean_return, render
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cscwatch.childlevel.cin.census import CinCensusReturn, CinHeader, read_cin_census
from cscwatch.childlevel.cin.flat import read_cin_census_columns
from cscwatch.childlevel.cin.store import _stage
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.core.errors import CscwatchError, SourceFileError
from cscwatch.serve.cli import app

PS = Pseudonymiser(b"flat-reader-test-key-0123456789")


def _choose(header: CinHeader) -> Pseudonymiser:
    return PS


Outcome = tuple[str, object]


def _facts(parsed: CinCensusReturn) -> tuple[object, ...]:
    # What a read gives besides its tables.
    return (parsed.return_id, parsed.header, parsed.header.reference_date_line,
            parsed.children, parsed.referrals, parsed.child_refs, parsed.demo_key)  # fmt: skip


def _walk(path: Path) -> Outcome:
    try:
        parsed = read_cin_census(path, _choose, keep_child_refs=True)
        return "ok", (_facts(parsed), _stage(parsed.tables))
    except CscwatchError as exc:
        return type(exc).__name__, str(exc)


def _fast(path: Path) -> tuple[Outcome, bool]:
    # The outcome of the load's reader, and whether the fast path read the file.
    try:
        parsed, cols = read_cin_census_columns(path, _choose, keep_child_refs=True)
    except CscwatchError as exc:
        return (type(exc).__name__, str(exc)), False
    fast = isinstance(cols["cin_child"]["child_seq"], pa.Array)
    return ("ok", (_facts(parsed), _stage(cols))), fast


def _same(path: Path) -> bool:
    # Assert the two readers agree on ``path``; True when the fast path read it.
    walk = _walk(path)
    fast, used = _fast(path)
    assert fast[0] == walk[0], (fast, walk)
    if walk[0] != "ok":
        assert fast[1] == walk[1]
        return used
    assert isinstance(walk[1], tuple) and isinstance(fast[1], tuple)
    assert walk[1][0] == fast[1][0]
    a, b = walk[1][1], fast[1][1]
    assert isinstance(a, dict) and isinstance(b, dict)
    assert list(a) == list(b)
    for name in a:
        assert a[name].schema == b[name].schema, name
        assert a[name].to_pylist() == b[name].to_pylist(), name
    return used


def _rich() -> list[dict[str, object]]:
    # Children with every table filled, several episodes, a bare <Reviews>, an empty
    # factor and GenderCurrent beside Sex.
    kids: list[dict[str, object]] = [dict(c) for c in clean_return()]
    extra = clean_child(4, sex_field="GenderCurrent", sex="1")
    episodes = extra["episodes"]
    episodes.append(dict(episodes[0]))
    episodes[1]["cpps"] = [dict(episodes[0]["cpps"][0], reviews=["2024-09-01", None])]
    episodes[1]["assessments"] = [dict(episodes[0]["assessments"][0], factors=["", "3C"])]
    extra["FormerUPN"] = "X201000000001"
    extra["UPN"] = "not a upn"
    extra["Disabilities"] = []
    kids.append(extra)
    kids.append({"LAchildID": "NOEPISODES", "UPNunknown": "UN1"})
    return kids


def _write(tmp_path: Path, text: str, name: str = "r.xml", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_plain_returns_are_read_fast_and_identically(tmp_path: Path) -> None:
    text = render(_rich()).decode()
    assert _same(_write(tmp_path, text))
    # Still plain: a default namespace, CRLF, indentation, blanks round values, a BOM,
    # empty elements, unknown elements, elements given twice (the last counts).
    ns = text.replace("<Message>", '<Message xmlns="http://www.dfes.gov.uk/CBDS">')
    assert _same(_write(tmp_path, ns, "ns.xml"))
    assert _same(_write(tmp_path, text.replace("><", ">\r\n  <"), "crlf.xml"))
    assert _same(_write(tmp_path, text.replace(">M<", "> \t M\n<"), "blank.xml"))
    assert _same(_write(tmp_path, "\ufeff" + text, "bom.xml"))
    assert _same(_write(tmp_path, text.replace("<Ethnicity>WBRI</Ethnicity>", "<Ethnicity/>"),
                        "empty.xml"))  # fmt: skip
    unknown = text.replace("<ReferralNFA>", "<Extra><Deeper>x</Deeper></Extra><ReferralNFA>")
    assert _same(_write(tmp_path, unknown, "unknown.xml"))
    source = "<ReferralSource>1A</ReferralSource>"
    twice = text.replace(source, source + source.replace("1A", "2B"))
    assert _same(_write(tmp_path, twice, "twice.xml"))


def test_other_files_go_the_walks_way(tmp_path: Path) -> None:
    text = render(_rich()).decode()
    declined = {
        "case": text.replace("<Sex>M</Sex>", "<SEX>F</SEX>", 1),
        "comment": text.replace(">M<", "><!-- c -->M<", 1),
        "cdata": text.replace(">M<", "><![CDATA[M]]><", 1),
        "entity": text.replace(">M<", ">&#77;<", 1),
        "pi": text.replace("<Children>", "<?pi x?><Children>", 1),
        "prefix": text.replace("<Message>", '<c:Message xmlns:c="urn:x">', 1).replace(
            "</Message>", "</c:Message>"
        ),
        "attribute": text.replace("<Child>", '<Child id="1">', 1),
        "gt in text": text.replace(">M<", ">a>b<", 1),
        "misplaced": text.replace("<ReferralNFA>", "<Sex>F</Sex><ReferralNFA>", 1),
        "nested child": text.replace("</CINdetails>", "<Child/></CINdetails>", 1),
        "nbsp": text.replace(">M<", ">M\u00a0<", 1),
        "carriage return": text.replace(">M<", ">M&#13;x<", 1),
        "malformed": text.replace("</Sex>", "</Sexx>", 1),
        "child before header": text.replace("<Message>", "<Message><Child/>", 1),
        "no header": text.split("<Header>")[0] + text.split("</Header>")[1],
    }
    for name, variant in declined.items():
        assert not _same(_write(tmp_path, variant, f"{name}.xml")), name
    latin = text.replace("utf-8", "iso-8859-1", 1).replace(">M<", ">\u00e9<", 1)
    assert not _same(_write(tmp_path, latin, "latin.xml", encoding="iso-8859-1"))
    assert not _same(_write(tmp_path, text.replace("utf-8", "utf-16", 1), "u16.xml", "utf-16"))


def test_hostile_xml_is_refused_before_either_reader(tmp_path: Path) -> None:
    text = render(_rich()).decode()
    bomb = text.replace("<Message>", '<!DOCTYPE m [<!ENTITY a "aaaa">]><Message>', 1)
    path = _write(tmp_path, bomb.replace(">M<", ">&a;<", 1), "bomb.xml")
    with pytest.raises(SourceFileError, match="declares a DOCTYPE"):
        read_cin_census_columns(path, _choose)


def test_a_synthetic_authority_is_read_fast_and_identically(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["cin", "synth", "--authority", "Rutland", "--year", "2025", "--seed", "3",
              "--out", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("*.xml"))
    assert files and all(_same(f) for f in files)


_TAGS = ("Sex", "UPN", "LAchildID", "CINreferralDate", "ReferralNFA", "DateOfInitialCPC",
         "AssessmentFactors", "CPPreviewDate", "Reviews", "Disability", "Child", "Header",
         "CINdetails", "Section47", "Ethnicity")  # fmt: skip
_INSERTS = ("<!--x-->", "<![CDATA[ z ]]>", "&amp;", "&#x20;", " ", "\n", "\u00a0", "\u2003",
            "\r", "<Foo/>", "<Sex>F</Sex>", "<CPPreviewDate>2024-01-01</CPPreviewDate>",
            "<Reviews/>", "<AssessmentFactors> </AssessmentFactors>", "é", ">", "<",
            "<DateOfInitialCPC>2024-02-02</DateOfInitialCPC>", "<Child/>", "<?p?>")  # fmt: skip


def _mutate(text: str, choices: list[tuple[int, int, int]]) -> str:
    # Each choice: (what, which tag, which insert/position), applied in turn.
    for what, which, extra in choices:
        tag = _TAGS[which % len(_TAGS)]
        if what == 0:  # an element spelt in another case, open and close
            new = tag.swapcase() if extra % 2 else tag.lower()
            text = text.replace(f"<{tag}>", f"<{new}>", 1).replace(f"</{tag}>", f"</{new}>", 1)
        elif what == 1:  # something inserted after an opening tag
            text = text.replace(f"<{tag}>", f"<{tag}>{_INSERTS[extra % len(_INSERTS)]}", 1)
        elif what == 2:  # something inserted before a closing tag
            text = text.replace(f"</{tag}>", f"{_INSERTS[extra % len(_INSERTS)]}</{tag}>", 1)
        elif what == 3:  # an element emptied
            start = text.find(f"<{tag}>")
            end = text.find(f"</{tag}>", start)
            if 0 <= start < end:
                text = text[:start] + f"<{tag}/>" + text[end + len(tag) + 3 :]
        elif what == 4:  # an element removed, or duplicated
            start = text.find(f"<{tag}>")
            end = text.find(f"</{tag}>", start)
            if 0 <= start < end:
                whole = text[start : end + len(tag) + 3]
                text = text.replace(whole, whole * (extra % 3), 1)
        else:  # line endings
            text = text.replace("\n", "\r\n") if extra % 2 else text.replace("><", ">\n<")
    return text


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 50), st.integers(0, 50)),
        min_size=0,
        max_size=4,
    )
)
def test_mutated_returns_read_the_same_either_way(
    tmp_path: Path, choices: list[tuple[int, int, int]]
) -> None:
    text = _mutate(render(_rich()).decode(), choices)
    _same(_write(tmp_path, text, f"m{len(list(tmp_path.iterdir()))}.xml"))
