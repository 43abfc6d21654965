"""Hostile CIN census XML is refused on its content, in every encoding a parser reads.

The corpus in ``tests/corpus/cin/xxe_*.xml`` holds one return per encoding, each with a
DOCTYPE declaring an external entity; the same return without the DOCTYPE, in the same
encoding, must still be read (the detection reads the file as the parser does, it does
not refuse what it cannot read).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cscwatch.childlevel.cin.census import read_cin_census, refuse_hostile_xml, xml_encoding
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.core.errors import SourceFileError

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "cin"

#: Corpus file → the Python codec the parser reads it in (the BOM stays in the text).
ENCODINGS = {
    "xxe_utf8.xml": "utf-8",
    "xxe_utf8_bom.xml": "utf-8",
    "xxe_utf16le_bom.xml": "utf-16-le",
    "xxe_utf16be_bom.xml": "utf-16-be",
    "xxe_utf16le_nobom.xml": "utf-16-le",
    "xxe_utf16be_nobom.xml": "utf-16-be",
    "xxe_utf32le_bom.xml": "utf-32-le",
    "xxe_utf32be_bom.xml": "utf-32-be",
    "xxe_utf32le_nobom.xml": "utf-32-le",
    "xxe_utf32be_nobom.xml": "utf-32-be",
    "xxe_latin1.xml": "iso8859-1",
    "xxe_utf7.xml": "utf-7",
    "xxe_ebcdic.xml": "cp037",
}


def _read(path: Path) -> object:
    return read_cin_census(path, lambda _h: Pseudonymiser(b"k" * 32))


def test_the_corpus_holds_every_encoding() -> None:
    assert sorted(p.name for p in CORPUS.glob("xxe_*.xml")) == sorted(ENCODINGS)


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_encoding_is_read_as_the_parser_reads_it(name: str) -> None:
    assert xml_encoding((CORPUS / name).read_bytes()) == ENCODINGS[name]


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_doctype_is_refused_in_every_encoding(name: str) -> None:
    data = (CORPUS / name).read_bytes()
    # The raw bytes of most of these files do not contain "<!DOCTYPE" at all.
    with pytest.raises(SourceFileError) as exc:
        refuse_hostile_xml(data, name)
    assert "DOCTYPE" in str(exc.value) and exc.value.row == 2
    with pytest.raises(SourceFileError) as exc:
        _read(CORPUS / name)
    assert "DOCTYPE" in str(exc.value)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_the_same_return_without_a_doctype_is_read(name: str, tmp_path: Path) -> None:
    codec = ENCODINGS[name]
    text = (CORPUS / name).read_bytes().decode(codec)
    lines = text.splitlines(keepends=True)
    clean = "".join(line for line in lines if "DOCTYPE" not in line)
    clean = clean.replace("&xxe;", "A1")
    path = tmp_path / name
    path.write_bytes(clean.encode(codec))
    if codec == "cp037":
        # This libxml2 is built without EBCDIC: the parser refuses it, one clear line.
        with pytest.raises(SourceFileError, match=r"(?i)encoding"):
            _read(path)
        return
    parsed = _read(path)
    assert parsed.children == 1  # type: ignore[attr-defined]
    assert parsed.header.reference_date == "2025-03-31"  # type: ignore[attr-defined]


def test_utf16_without_bom_and_without_declaration_is_checked() -> None:
    data = '<!DOCTYPE m [<!ENTITY a "b">]><Message/>'.encode("utf-16-le")
    assert b"<!DOCTYPE" not in data
    with pytest.raises(SourceFileError, match="DOCTYPE"):
        refuse_hostile_xml(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x3c\x00\x00<Message/>", "unusual order"),
        (b'<?xml version="1.0" encoding="x-no-such"?><Message/>', "does not know"),
        (b'\xef\xbb\xbf<?xml version="1.0" encoding="ISO-8859-1"?><Message/>', "UTF-8"),
        (b'<?xml version="1.0" encoding="UTF-16"?><Message/>', "8-bit"),
        ('<?xml version="1.0" encoding="UTF-32"?><M/>'.encode("utf-16-le"), "UTF-16"),
    ],
)
def test_an_encoding_that_cannot_be_told_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(SourceFileError, match=message):
        refuse_hostile_xml(data)


def test_undecodable_content_is_refused() -> None:
    data = '<?xml version="1.0" encoding="UTF-7"?><Message>+ADw'.encode("ascii") + b"\xff"
    with pytest.raises(SourceFileError, match="cannot be decoded as utf-7"):
        refuse_hostile_xml(data)


def test_the_parser_guard_refuses_a_doctype_the_first_check_missed(tmp_path: Path) -> None:
    # A DOCTYPE with no entities gets past nothing: the second guard sees it in the
    # parsed document even if the content check were bypassed.
    from lxml import etree

    from cscwatch.childlevel.cin import census as cin_census

    path = tmp_path / "dt.xml"
    path.write_bytes(b"<!DOCTYPE Message>\n<Message><Header/></Message>")
    el = etree.fromstring(b"<!DOCTYPE Message>\n<Message><Header/></Message>")
    with pytest.raises(SourceFileError, match="DOCTYPE"):
        cin_census._refuse_doctype(el[0], path)
