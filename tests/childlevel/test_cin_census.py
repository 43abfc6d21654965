"""The CIN census XML reader: round trip, the real samples, malformed and hostile files,
and pseudonymisation (raw identifiers never written anywhere)."""

from __future__ import annotations

import hashlib
import hmac
import resource
from pathlib import Path
from typing import Any

import duckdb
import pytest
from cin_xml import clean_return, render, upn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cscwatch.childlevel.cin.census import read_cin_census, refuse_hostile_xml
from cscwatch.childlevel.cin.store import (
    CHILD_TABLES,
    connect_child_store,
    load_cin_census,
    load_cin_census_files,
)
from cscwatch.childlevel.pseudonym import (
    DEMO_KEY,
    SYNTHETIC_MARKER,
    Pseudonymiser,
    resolve_pseudonymiser,
)
from cscwatch.childlevel.upn import check_letter, upn_facts
from cscwatch.core.config import Settings
from cscwatch.core.errors import ConfigError, SourceFileError

KEY = b"round-trip-key-0123456789"
PS = Pseudonymiser(KEY)


def _h(value: str) -> str:
    return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()


def _read(path: Path, **kw: Any) -> Any:
    return read_cin_census(path, lambda h: PS, **kw)


# ---- round trip -----------------------------------------------------------------------------

# Text an XML 1.0 document can carry, without the blanks the reader trims.
_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="\ufffe\uffff"
    ),
    min_size=1,
    max_size=12,
)
_opt = st.one_of(st.none(), _text)


@st.composite
def _children(draw: st.DrawFn) -> list[dict[str, Any]]:
    kids = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        episodes = []
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            episodes.append(
                {
                    "CINreferralDate": draw(_opt),
                    "ReferralSource": draw(_opt),
                    "ReferralNFA": draw(_opt),
                    "assessments": [
                        {
                            "AssessmentActualStartDate": draw(_opt),
                            "factors": draw(st.lists(_text, max_size=3)),
                        }
                        for _ in range(draw(st.integers(min_value=0, max_value=2)))
                    ],
                    "s47": [
                        {"S47ActualStartDate": draw(_opt), "ICPCnotRequired": draw(_opt)}
                        for _ in range(draw(st.integers(min_value=0, max_value=2)))
                    ],
                    "cpps": [
                        {"CPPstartDate": draw(_opt), "reviews": draw(st.lists(_text, max_size=2))}
                        for _ in range(draw(st.integers(min_value=0, max_value=2)))
                    ],
                    "plans": [
                        {"CINPlanStartDate": draw(_opt)}
                        for _ in range(draw(st.integers(min_value=0, max_value=2)))
                    ],
                }
            )
        kids.append(
            {
                "LAchildID": draw(_opt),
                "UPN": draw(_opt),
                "PersonBirthDate": draw(_opt),
                "Sex": draw(_opt),
                "Ethnicity": draw(_opt),
                "Disabilities": draw(st.one_of(st.none(), st.lists(_text, max_size=3))),
                "episodes": episodes,
            }
        )
    return kids


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_children())
def test_round_trip(tmp_path: Path, kids: list[dict[str, Any]]) -> None:
    path = tmp_path / "rt.xml"
    path.write_bytes(render(kids))
    t = _read(path).tables
    assert t["cin_child"]["child_seq"] == list(range(1, len(kids) + 1))
    assert t["cin_child"]["child_id"] == [
        _h(k["LAchildID"]) if k["LAchildID"] else None for k in kids
    ]
    assert t["cin_child"]["upn_hash"] == [_h(k["UPN"].upper()) if k["UPN"] else None for k in kids]
    assert t["cin_child"]["birth_date"] == [k["PersonBirthDate"] for k in kids]
    assert t["cin_child"]["sex"] == [k["Sex"] for k in kids]
    assert t["cin_disability"]["disability"] == [d for k in kids for d in k["Disabilities"] or []]
    eps = [(c, e, ep) for c, k in enumerate(kids, 1) for e, ep in enumerate(k["episodes"], 1)]
    assert list(
        zip(t["cin_episode"]["child_seq"], t["cin_episode"]["episode_seq"], strict=True)
    ) == [(c, e) for c, e, _ in eps]
    assert t["cin_episode"]["referral_date"] == [ep["CINreferralDate"] for *_, ep in eps]
    assert t["cin_episode"]["referral_nfa"] == [ep["ReferralNFA"] for *_, ep in eps]
    assert t["cin_assessment_factor"]["factor"] == [
        f for *_, ep in eps for a in ep["assessments"] for f in a["factors"]
    ]
    assert t["cin_section47"]["icpc_not_required"] == [
        s["ICPCnotRequired"] for *_, ep in eps for s in ep["s47"]
    ]
    assert t["cin_cpp_review"]["review_date"] == [
        r for *_, ep in eps for cp in ep["cpps"] for r in cp["reviews"]
    ]
    assert t["cin_plan"]["start_date"] == [
        p["CINPlanStartDate"] for *_, ep in eps for p in ep["plans"]
    ]
    for name, cols in t.items():  # every table has the columns the store declares
        assert set(cols) <= set(CHILD_TABLES[name])


def test_values_are_typed_on_load_and_bad_ones_recorded(tmp_path: Path) -> None:
    kids = clean_return()
    kids[0]["PersonBirthDate"] = "2015-02-30"
    kids[0]["episodes"][0]["ReferralNFA"] = "perhaps"
    kids[1]["episodes"][0]["cpps"][0]["NumberOfPreviousCPP"] = "two"
    path = tmp_path / "typed.xml"
    path.write_bytes(render(kids))
    con = duckdb.connect()
    load_cin_census(con, path, Settings(), pseudonymiser=PS)
    issues = con.sql(
        "SELECT table_name, child_seq, field, record FROM cin_format_issue ORDER BY ALL"
    )
    assert issues.fetchall() == [
        ("cin_child", 1, "birth_date", "child"),
        ("cin_cpp", 2, "previous_cpp_count", "episode 1, cpp 1"),
        ("cin_episode", 1, "referral_nfa", "episode 1"),
    ]
    row = con.sql("SELECT birth_date FROM cin_child WHERE child_seq = 1").fetchall()
    assert row == [(None,)]
    types = dict(
        con.sql(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'cin_episode'"
        ).fetchall()
    )
    assert types["referral_date"] == "DATE" and types["referral_nfa"] == "BOOLEAN"


def test_reloading_a_return_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_bytes(render(clean_return()))
    con = duckdb.connect()
    load_cin_census(con, path, Settings(), pseudonymiser=PS)
    load_cin_census(con, path, Settings(), pseudonymiser=PS)
    assert con.sql("SELECT count(*) FROM cin_child").fetchall() == [(3,)]
    assert con.sql("SELECT count(*) FROM cin_return").fetchall() == [(1,)]


# ---- real samples ---------------------------------------------------------------------------


def test_real_samples(shared_data: Path) -> None:
    samples = sorted((shared_data / "cin_census" / "samples").glob("*.xml"))
    assert len(samples) == 9
    con = duckdb.connect()
    loaded = load_cin_census_files(con, samples, Settings(), pseudonymiser=PS)
    by_name = {r.path.name: r for r in loaded}
    fake = by_name["fake_CIN_data.xml"]
    assert (fake.children, fake.referrals) == (332, 402)
    assert fake.header.la_code == "975" and fake.header.collection_year == 2023
    assert by_name["CIN_Census_2024.xml"].header.collection_year == 2024
    assert con.sql("SELECT count(*) FROM cin_return").fetchall() == [(7,)]  # two pairs identical
    sexes = con.sql("SELECT DISTINCT sex_field FROM cin_child ORDER BY 1").fetchall()
    assert sexes == [("GenderCurrent",), ("Sex",)]


# ---- malformed and hostile --------------------------------------------------------------------


def test_malformed_xml_is_one_clear_error_with_the_line(tmp_path: Path) -> None:
    good = render(clean_return()).decode()
    lines = good.replace("><", ">\n<").splitlines()
    bad = "\n".join(lines[:40]) + "\n<Oops>\n"
    path = tmp_path / "bad.xml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(SourceFileError) as exc:
        _read(path)
    assert exc.value.row is not None and exc.value.row >= 40
    assert "malformed XML" in str(exc.value) and "bad.xml" in str(exc.value)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not xml at all",
        b"<Message><Header></Header><Children><Child></Children></Message>",
        b"<Message><Children><Child/></Children></Message>",
        b"<Other/>",
        b"<Message><Header/><Children><Child>&undefined;</Child></Children></Message>",
    ],
)
def test_files_that_are_not_returns_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.xml"
    path.write_bytes(content)
    with pytest.raises(SourceFileError):
        _read(path)


_BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Message><Header/><Children><Child><ChildIdentifiers><LAchildID>&lol9;</LAchildID>
</ChildIdentifiers></Child></Children></Message>
"""


def test_billion_laughs_is_refused_without_expanding(tmp_path: Path) -> None:
    path = tmp_path / "lol.xml"
    path.write_bytes(_BILLION_LAUGHS)
    # refused before anything is expanded: fully expanded, the entity is 3 GB of text;
    # the process's peak memory does not grow by 64 MiB and the message stays one line
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with pytest.raises(SourceFileError) as exc:
        _read(path)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kib < 64 * 1024, f"peak memory grew {grown_kib} KiB"
    assert "DOCTYPE" in str(exc.value) and exc.value.row == 2
    assert len(str(exc.value)) < 500 and "lollol" not in str(exc.value)


def test_external_entities_are_refused_without_fetching(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        "<Message><Header/><Children><Child><ChildIdentifiers><LAchildID>&xxe;</LAchildID>"
        "</ChildIdentifiers></Child></Children></Message>"
    )
    path = tmp_path / "xxe.xml"
    path.write_text(xxe, encoding="utf-8")
    with pytest.raises(SourceFileError) as exc:
        _read(path)
    assert "TOP-SECRET" not in str(exc.value)


@pytest.mark.parametrize(
    "declaration",
    [
        b'<!doctype m SYSTEM "http://example.invalid/x.dtd">',
        b"<!ENTITY % p SYSTEM 'http://example.invalid/'>",
        b"<! DOCTYPE m>",
    ],
)
def test_any_dtd_declaration_is_refused(declaration: bytes) -> None:
    with pytest.raises(SourceFileError):
        refuse_hostile_xml(b'<?xml version="1.0"?>\n' + declaration + b"\n<Message/>")


def test_utf16_files_are_checked_too(tmp_path: Path) -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE m [<!ENTITY a "b">]>\n<Message/>'
    with pytest.raises(SourceFileError):
        refuse_hostile_xml(text.encode("utf-16"))


# ---- pseudonymisation -------------------------------------------------------------------------


def test_no_key_no_child_data(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        resolve_pseudonymiser(Settings(), synthetic=False)
    path = tmp_path / "r.xml"
    path.write_bytes(render(clean_return()))
    with pytest.raises(ConfigError):
        load_cin_census(duckdb.connect(), path, Settings())


def test_synthetic_files_may_use_the_demo_key(tmp_path: Path) -> None:
    path = tmp_path / "s.xml"
    path.write_bytes(render(clean_return(), software=SYNTHETIC_MARKER))
    parsed = load_cin_census(duckdb.connect(), path, Settings())
    assert parsed.demo_key and parsed.header.synthetic
    demo = Pseudonymiser(DEMO_KEY)
    assert parsed.tables["cin_child"]["child_id"][0] == demo("CHILD00001")
    # a configured key always wins, even for synthetic files
    own = Settings(pseudonym_key="a-configured-key-of-some-length")
    assert not resolve_pseudonymiser(own, synthetic=True).demo


def test_key_settings(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_bytes(b"a-key-from-a-file-0123456789\n")
    from_file = resolve_pseudonymiser(Settings(pseudonym_key_file=key_file), synthetic=False)
    direct = Pseudonymiser(b"a-key-from-a-file-0123456789")
    assert from_file("X") == direct("X")
    with pytest.raises(ConfigError):
        resolve_pseudonymiser(Settings(pseudonym_key="short"), synthetic=False)
    with pytest.raises(ConfigError):
        resolve_pseudonymiser(
            Settings(pseudonym_key="k" * 20, pseudonym_key_file=key_file), synthetic=False
        )
    with pytest.raises(ConfigError):
        resolve_pseudonymiser(Settings(pseudonym_key_file=tmp_path / "nope"), synthetic=False)
    assert "k" * 20 not in repr(Pseudonymiser(b"k" * 20))


def test_raw_identifiers_never_reach_the_child_store(tmp_path: Path) -> None:
    kids = clean_return()
    raw = ["RAWCHILDIDENT0001", "RAWCHILDIDENT0002", "RAWCHILDIDENT0003"]
    raw_upns = [upn(serial="77777771"), upn(serial="77777772"), upn(serial="77777773")]
    for k, cid, u in zip(kids, raw, raw_upns, strict=True):
        k["LAchildID"], k["UPN"], k["FormerUPN"] = cid, u, u[:-1] + "A"
    path = tmp_path / "r.xml"
    path.write_bytes(render(kids))
    store = tmp_path / "store.duckdb"
    con = connect_child_store(Settings(child_store=store))
    parsed = load_cin_census(con, path, Settings(), pseudonymiser=PS)
    assert parsed.child_refs is None
    needles = [*raw, *raw_upns, *(u[:-1] + "A" for u in raw_upns)]
    # every text column of every table, by SQL
    columns = 0
    for table, col in con.sql(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE data_type = 'VARCHAR' AND NOT internal AND schema_name = 'main'"
    ).fetchall():
        for needle in needles:
            hits = con.execute(f"SELECT count(*) FROM {table} WHERE {col} ILIKE ?", [f"%{needle}%"])
            assert hits.fetchall() == [(0,)], (table, col)
        columns += 1
    assert columns > 20
    con.execute("CHECKPOINT")
    con.close()
    stored = b"".join(f.read_bytes() for f in tmp_path.glob("store.duckdb*"))
    assert _h(raw[0]).encode() in stored  # control: stored text is visible to this grep
    for f in tmp_path.glob("store.duckdb*"):  # the file and any write-ahead log
        data = f.read_bytes()
        for needle in needles:
            assert needle.encode() not in data
            assert needle.encode("utf-16-le") not in data


def test_upn_check_letter_matches_the_dfe_guide_examples() -> None:
    # Worked example in the DfE UPN guide: H801200001001 is valid, Z801200001001 is not.
    assert check_letter("801200001001") == "H"
    assert upn_facts("H801200001001").all_ok and not upn_facts("Z801200001001").check_ok
    assert upn_facts("G80120000101A").all_ok  # a temporary UPN
    assert not upn_facts("G80120000101S").char13_ok


def test_namespaced_returns_are_read(tmp_path: Path) -> None:
    text = render(clean_return()).decode()
    text = text.replace("<Message>", '<Message xmlns="http://www.dfes.gov.uk/CBDS">')
    path = tmp_path / "ns.xml"
    path.write_text(text, encoding="utf-8")
    parsed = _read(path)
    assert (parsed.children, parsed.referrals) == (3, 3)
    assert parsed.header.reference_date == "2025-03-31"


@pytest.mark.slow
def test_files_can_be_read_in_worker_processes(tmp_path: Path) -> None:
    paths = []
    for n in range(3):
        kids = clean_return()
        kids[0]["LAchildID"] = f"WORKER{n}"
        paths.append(tmp_path / f"w{n}.xml")
        paths[-1].write_bytes(render(kids))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<Message><Header>")
    con = duckdb.connect()
    loaded = load_cin_census_files(con, paths, Settings(), pseudonymiser=PS, workers=2)
    assert [r.path for r in loaded] == paths
    assert con.sql("SELECT count(*) FROM cin_child").fetchall() == [(9,)]
    with pytest.raises(SourceFileError, match=r"bad\.xml"):
        load_cin_census_files(con, [*paths, bad], Settings(), pseudonymiser=PS, workers=2)
