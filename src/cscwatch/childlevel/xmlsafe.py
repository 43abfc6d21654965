"""Refusing hostile XML before it is parsed: shared by every child-level XML reader.

A return (the CIN census, the SSDA903 export) is refused outright, before any parsing,
when its *content* declares a ``DOCTYPE`` or an ``ENTITY`` (so billion-laughs and
external-entity files are never expanded or fetched). The content is read in the
encoding the XML parser would use (XML 1.0 appendix F: a byte-order mark, else the
pattern of the first four bytes, which finds UTF-16 and UTF-32 without a mark, then the
declaration's ``encoding``), so no encoding hides a declaration; a file whose encoding
cannot be told or decoded is refused too. :func:`refuse_parsed_doctype` is the second
guard, for after the parser has begun: a document it reports with a document type goes
no further.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from cscwatch.core.errors import SourceFileError

if TYPE_CHECKING:  # only a type here: a CSV reader importing this module needs no lxml
    from lxml import etree

__all__ = ["SAFE_PARSE_OPTIONS", "refuse_hostile_xml", "refuse_parsed_doctype", "xml_encoding"]

#: The lxml parser options every child-level XML reader passes (``iterparse`` and
#: ``XMLParser`` alike): no entity resolved, no network, no DTD loaded or validated, no
#: huge tree; comments and processing instructions dropped.
SAFE_PARSE_OPTIONS = MappingProxyType(
    {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "huge_tree": False,
        "dtd_validation": False,
        "remove_comments": True,
        "remove_pis": True,
    }
)

_HOSTILE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def refuse_hostile_xml(
    data: bytes, path: Path | str | None = None, *, kind: str = "a CIN census return"
) -> None:
    """Raise :class:`SourceFileError` when ``data`` declares a DOCTYPE or ENTITY.

    A return (``kind``, with its article: "a CIN census return", "an SSDA903 return")
    never needs either; refusing them outright means nothing in such a file is
    expanded, loaded or fetched. The check reads the content in the encoding the parser
    would use (:func:`xml_encoding`), so UTF-16, UTF-32 (with or without a byte-order
    mark), UTF-7, EBCDIC and other declared encodings are checked as text, never as raw
    bytes.

    Raises
    ------
    SourceFileError
        A DOCTYPE or ENTITY is declared, or the encoding cannot be told or decoded.
    """
    where = str(path) if path is not None else None
    encoding = xml_encoding(data, path)
    if encoding in _ASCII_SAFE:
        # Every byte below 0x80 is that character in these encodings, and no multi-byte
        # sequence contains one: searching the bytes is searching the text, without a copy.
        text = data
    else:
        try:
            text = data.decode(encoding).encode("utf-8")
        except (UnicodeDecodeError, LookupError):
            raise SourceFileError(
                f"refused: the content cannot be decoded as {encoding}, the encoding an "
                "XML parser would read it in; nothing was parsed",
                path=where,
            ) from None
    m = _HOSTILE.search(text)
    if m is not None:
        line = text.count(b"\n", 0, m.start()) + 1
        raise SourceFileError(
            f"refused: the file declares a {m.group(1).decode().upper()}, "
            f"which {kind} never needs "
            "(possible entity-expansion or external-entity attack); nothing was parsed",
            path=where,
            row=line,
        )


# Byte-order marks, longest first (the UTF-32 LE mark begins with the UTF-16 LE one).
_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
# Which of the first four bytes are zero → the encoding family (appendix F): "<" or "<?"
# in UTF-32 or UTF-16 without a mark; no zero byte: an 8-bit encoding (None).
_BY_ZEROS = {
    (True, True, True, False): "utf-32-be",
    (False, True, True, True): "utf-32-le",
    (True, False, True, False): "utf-16-be",
    (False, True, False, True): "utf-16-le",
    (False, False, False, False): None,
}
# "<?xm" in EBCDIC: the declaration is then read in code page 037 (as libxml2 does).
_EBCDIC = b"\x4c\x6f\xa7\x94"
_DECLARED = re.compile(r"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_WIDE = ("utf-16", "utf-32")
# Codecs (Python names) in which every byte below 0x80 is that ASCII character and no
# multi-byte sequence contains one: searching their bytes is searching their text.
_ASCII_SAFE = frozenset(
    ["utf-8", "ascii", *(f"iso8859-{n}" for n in range(1, 17)),
     *(f"cp125{n}" for n in range(9))]
)  # fmt: skip


def xml_encoding(data: bytes, path: Path | str | None = None) -> str:
    """The encoding an XML parser reads ``data`` in, as a Python codec name.

    Follows XML 1.0 appendix F, as libxml2 does: a byte-order mark decides the family;
    without one, the first four bytes show UTF-32 or UTF-16 (``<`` or ``<?`` padded
    with zero bytes) or an 8-bit encoding; the declaration's ``encoding`` (read in that
    family) then names the encoding, UTF-8 when there is none. In a 16- or 32-bit
    family the byte order comes from the bytes and the declaration must agree on the
    width.

    Raises
    ------
    SourceFileError
        The first bytes fit no encoding (UCS-4 in an unusual byte order), or the
        declared encoding is unknown or contradicts the bytes.
    """
    import codecs

    where = str(path) if path is not None else None
    bom, family = next(((m, n) for m, n in _BOMS if data.startswith(m)), (b"", None))
    if not bom and len(data) >= 4:
        zeros = tuple(b == 0 for b in data[:4])
        if zeros not in _BY_ZEROS:
            raise SourceFileError(
                "refused: the first bytes fit no XML encoding this reader accepts "
                "(zero bytes in an unusual order); nothing was parsed",
                path=where,
            )
        family = _BY_ZEROS[zeros]
        if data.startswith(_EBCDIC):
            family = "cp037"
    width = 4 if family and family.startswith("utf-32") else 2 if family else 1
    body = data[len(bom) : len(bom) + 512 * width]
    prolog = body.decode(family or "latin-1", errors="replace")
    m = _DECLARED.match(prolog)
    if m is None:
        return family or "utf-8"
    declared = m.group(1)
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        raise SourceFileError(
            f"refused: the file declares an encoding ({declared}) this reader does not "
            "know; nothing was parsed",
            path=where,
        ) from None
    if family in (None, "utf-8", "cp037"):
        if name.startswith(_WIDE) or (family == "utf-8" and name != "utf-8"):
            raise SourceFileError(
                f"refused: the file declares {declared} but its bytes are "
                f"{'UTF-8 (byte-order mark)' if family else 'in an 8-bit encoding'}; "
                "nothing was parsed",
                path=where,
            )
        return name
    if not name.startswith(family[:6]):
        raise SourceFileError(
            f"refused: the file declares {declared} but its bytes are {family.upper()}; "
            "nothing was parsed",
            path=where,
        )
    return family


def refuse_parsed_doctype(
    el: etree._Element, path: Path | str, *, kind: str = "a CIN census return"
) -> None:
    """Raise :class:`SourceFileError` when the parser saw a document type on ``el``'s tree.

    The second guard: whatever :func:`refuse_hostile_xml` read, a document the parser
    reports with a document type (and so possibly entities) goes no further.
    """
    info = el.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise SourceFileError(
            f"refused: the file declares a DOCTYPE, which {kind} never needs "
            "(possible entity-expansion or external-entity attack)",
            path=str(path),
        )
