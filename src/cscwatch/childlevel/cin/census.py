"""Reader for CIN census XML returns (collection years 2022-23 onward).

The file is parsed as a stream (``lxml.etree.iterparse``, one ``<Child>`` at a time,
each freed once read) into plain column lists shaped as the child-level tables of
:mod:`cscwatch.childlevel.cin.store`; typing and format checks happen there, in bulk.

Safety: a file is refused outright, before any parsing, when its *content* declares a
``DOCTYPE`` or an ``ENTITY`` (so billion-laughs and external-entity files are never
expanded or fetched). The content is read in the encoding the XML parser would use
(XML 1.0 appendix F: a byte-order mark, else the pattern of the first four bytes, which
finds UTF-16 and UTF-32 without a mark, then the declaration's ``encoding``), so no
encoding hides a declaration; a file whose encoding cannot be told or decoded is
refused too. The parser is also run with entities unresolved, no DTD, no network and no
huge-tree mode, and a second guard refuses any document the parser reports with a
document type. A malformed file raises one :class:`SourceFileError` naming the line.

Identifiers: ``LAchildID``, ``UPN`` and ``FormerUPN`` are pseudonymised by the reader
(:mod:`cscwatch.childlevel.pseudonym`), in one batch once the file has been parsed and
before anything is handed on; only format facts about them (length, characters, UPN
check letter, also computed in one batch) travel on. The raw ``LAchildID`` is kept in
memory, by position, only when the caller asks (``keep_child_refs``) for the
authority's own validation report.

Speed: per element the reader does one dict look-up of the tag and one list store;
rows are lists transposed into columns at the end, and the cyclic garbage collector is
paused while a file is read (it would otherwise rescan the growing rows again and again).
``cin load`` reads a *plain* return (the DfE's layout, UTF-8, no comments, entities or
CDATA; see :mod:`cscwatch.childlevel.cin.flat`) without this walk, in array operations,
to the same columns; every other file still comes here.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from lxml import etree

from cscwatch.childlevel.cin.tables import CHILD_TABLES
from cscwatch.childlevel.pseudonym import SYNTHETIC_MARKER, Pseudonymiser
from cscwatch.childlevel.upn import CHECK_ALPHABET, upn_facts
from cscwatch.childlevel.xmlsafe import (
    SAFE_PARSE_OPTIONS,
    refuse_hostile_xml,
    refuse_parsed_doctype,
    xml_encoding,
)
from cscwatch.core.errors import SourceFileError
from cscwatch.core.files import read_input_bytes

__all__ = [
    "CinCensusReturn",
    "CinHeader",
    "read_cin_census",
    "refuse_hostile_xml",
    "xml_encoding",
]

_LA_CHILD_ID_OK = re.compile(r"^[A-Za-z0-9]*$")


@dataclass(frozen=True)
class CinHeader:
    """The ``<Header>`` of a return, as text (None when absent)."""

    collection: str | None = None
    year: str | None = None
    reference_date: str | None = None
    source_level: str | None = None
    la_code: str | None = None
    software_code: str | None = None
    release: str | None = None
    serial_no: str | None = None
    file_datetime: str | None = None
    #: The line of ``<ReferenceDate>`` in the file (of ``<Header>`` when it is absent),
    #: so a refusal can name it; not part of the header's value.
    reference_date_line: int | None = field(default=None, compare=False)

    @property
    def synthetic(self) -> bool:
        """True when the header declares the file synthetic (cscwatch's marker)."""
        return (self.software_code or "").strip() == SYNTHETIC_MARKER

    @property
    def collection_year(self) -> int | None:
        """The year ending 31 March in which ``ReferenceDate`` falls (None if invalid)."""
        try:
            d = date.fromisoformat((self.reference_date or "").strip())
        except ValueError:
            return None
        return d.year + 1 if d.month >= 4 else d.year


@dataclass(frozen=True)
class CinCensusReturn:
    """One parsed return: header, pseudonymised column lists, and its identity.

    Attributes
    ----------
    return_id : str
        First 16 hex digits of the sha256 of the file's bytes.
    path : Path
        Where it was read from.
    header : CinHeader
    tables : dict
        Table name → column name → list, as :func:`cscwatch.childlevel.cin.store.load_child_level`
        takes them.
    children : int
        Number of ``<Child>`` records.
    referrals : int
        Number of ``<CINdetails>`` episodes.
    child_refs : tuple of (str or None), optional
        The raw ``LAchildID`` by ``child_seq - 1``; only when asked for, never stored.
    demo_key : bool
        True when pseudonyms were made with the public demo key (synthetic file).
    """

    return_id: str
    path: Path
    header: CinHeader
    tables: dict[str, dict[str, list[object]]]
    children: int
    referrals: int
    child_refs: tuple[str | None, ...] | None = None
    demo_key: bool = False


_LOCAL: dict[str, str] = {}


def _local(tag: object) -> str | None:
    # Element name without namespace, lower-cased; None for comments and PIs. Cached:
    # a return repeats a few dozen names millions of times.
    if not isinstance(tag, str):
        return None
    name = _LOCAL.get(tag)
    if name is None:
        name = _LOCAL.setdefault(tag, tag.rsplit("}", 1)[-1].lower())
    return name


def _text(el: etree._Element) -> str | None:
    t = el.text
    if t is None:
        return None
    t = t.strip()
    return t or None


def _table_columns() -> dict[str, list[str]]:
    return {
        name: [c for c in cols if c != "return_id"]
        for name, cols in CHILD_TABLES.items()
        if name != "cin_return"
    }


_CHILD_FIELDS = {
    "personbirthdate": "birth_date",
    "expectedpersonbirthdate": "expected_birth_date",
    "persondeathdate": "death_date",
    "upnunknown": "upn_unknown",
}
_EPISODE_FIELDS = {
    "cinreferraldate": "referral_date",
    "referralsource": "referral_source",
    "primaryneedcode": "primary_need_code",
    "cinclosuredate": "closure_date",
    "reasonforclosure": "reason_for_closure",
    "dateofinitialcpc": "initial_cpc_date",
    "referralnfa": "referral_nfa",
}
_ASSESSMENT_FIELDS = {
    "assessmentactualstartdate": "start_date",
    "assessmentauthorisationdate": "authorisation_date",
}
_PLAN_FIELDS = {"cinplanstartdate": "start_date", "cinplanenddate": "end_date"}
_S47_FIELDS = {
    "s47actualstartdate": "start_date",
    "initialcpctarget": "icpc_target_date",
    "dateofinitialcpc": "icpc_date",
    "icpcnotrequired": "icpc_not_required",
}
_CPP_FIELDS = {
    "cppstartdate": "start_date",
    "cppenddate": "end_date",
    "initialcategoryofabuse": "initial_category",
    "latestcategoryofabuse": "latest_category",
    "numberofpreviouscpp": "previous_cpp_count",
}
_HEADER_FIELDS = {
    "collection": "collection",
    "year": "year",
    "referencedate": "reference_date",
    "sourcelevel": "source_level",
    "lea": "la_code",
    "softwarecode": "software_code",
    "release": "release",
    "serialno": "serial_no",
    "datetime": "file_datetime",
}


@functools.cache
def _columns() -> dict[str, list[str]]:
    # Made on first use, from the declaration in tables.py.
    return _table_columns()


@functools.cache
def _slots(table: str, fields: tuple[tuple[str, str], ...]) -> dict[str, int]:
    # Element name → position of its column in the table's rows.
    cols = _columns()[table]
    return {name: cols.index(col) for name, col in fields}


# The cin_child columns the reader fills from elements; the rest are computed at the end.
_CHILD_TEXT = ("child_seq", "upn_unknown", "birth_date", "expected_birth_date", "death_date",
               "sex", "sex_field", "ethnicity")  # fmt: skip
_CHILD_AT = {name: _CHILD_TEXT.index(col) for name, col in _CHILD_FIELDS.items()}
_CHILD_AT.update(sex=_CHILD_TEXT.index("sex"), gendercurrent=_CHILD_TEXT.index("sex"))
_ETHNICITY = _CHILD_TEXT.index("ethnicity")
_SEX_FIELD = _CHILD_TEXT.index("sex_field")


class _Builder:
    # Accumulates one row (a list, in the table's column order) per record while the
    # stream is read; columns are made at the end by transposing, and identifiers are
    # hashed and their format facts computed then, in one batch.

    def __init__(self, pseudonymise: Pseudonymiser) -> None:
        self.pseudonymise = pseudonymise
        self.rows: dict[str, list[list[object]]] = {name: [] for name in _columns()}
        self.episode_at = _slots("cin_episode", tuple(_EPISODE_FIELDS.items()))
        self.assessment_at = _slots("cin_assessment", tuple(_ASSESSMENT_FIELDS.items()))
        self.plan_at = _slots("cin_plan", tuple(_PLAN_FIELDS.items()))
        self.s47_at = _slots("cin_section47", tuple(_S47_FIELDS.items()))
        self.cpp_at = _slots("cin_cpp", tuple(_CPP_FIELDS.items()))
        self.child_rows: list[list[object]] = []
        self.la_child_ids: list[str | None] = []
        self.upns: list[str | None] = []
        self.former_upns: list[str | None] = []
        self.child_seq = 0
        # Tag as parsed (namespace and case as spelt) → lower-case local name.
        self.names: dict[object, str | None] = {}

    def _name(self, tag: object) -> str | None:
        name = self.names.get(tag, "")
        if name == "":
            name = self.names[tag] = _local(tag)
        return name

    def add_child(self, child: etree._Element) -> None:
        self.child_seq += 1
        seq = self.child_seq
        names = self.names
        name_of = self._name
        row: list[object] = [seq, None, None, None, None, None, None, None]
        child_at = _CHILD_AT
        disabilities = self.rows["cin_disability"]
        episode_seq = 0
        disability_seq = 0
        la_child_id = upn = former_upn = None
        for part in child:
            kind = names.get(part.tag) or name_of(part.tag)
            if kind == "cindetails":
                episode_seq += 1
                self._add_episode(part, seq, episode_seq)
            elif kind == "childidentifiers" or kind == "childcharacteristics":
                for el in part.iter():
                    name = names.get(el.tag) or name_of(el.tag)
                    t = el.text
                    if t is not None:
                        t = t.strip() or None
                    if name in child_at:
                        row[child_at[name]] = t
                        if name == "sex":
                            row[_SEX_FIELD] = "Sex"
                        elif name == "gendercurrent":
                            row[_SEX_FIELD] = "GenderCurrent"
                    elif name == "lachildid":
                        la_child_id = t
                    elif name == "upn":
                        upn = t
                    elif name == "formerupn":
                        former_upn = t
                    elif name == "ethnicity":
                        row[_ETHNICITY] = t
                    elif name == "disability":
                        disability_seq += 1
                        disabilities.append([seq, disability_seq, t])
        self.child_rows.append(row)
        self.la_child_ids.append(la_child_id)
        self.upns.append(upn)
        self.former_upns.append(former_upn)

    def _add_episode(self, episode: etree._Element, child_seq: int, episode_seq: int) -> None:
        names = self.names
        name_of = self._name
        rows = self.rows
        episode_at = self.episode_at
        row: list[object] = [child_seq, episode_seq, None, None, None, None, None, None, None]
        n_assess = n_plan = n_s47 = n_cpp = 0
        for el in episode:
            name = names.get(el.tag) or name_of(el.tag)
            if name in episode_at:
                t = el.text
                if t is not None:
                    t = t.strip() or None
                row[episode_at[name]] = t
            elif name == "assessments":
                n_assess += 1
                self._add_assessment(el, child_seq, episode_seq, n_assess)
            elif name == "section47":
                n_s47 += 1
                self._add_simple(
                    el,
                    "cin_section47",
                    self.s47_at,
                    [child_seq, episode_seq, n_s47, None, None, None, None],
                )
            elif name == "cinplandates":
                n_plan += 1
                self._add_simple(
                    el, "cin_plan", self.plan_at, [child_seq, episode_seq, n_plan, None, None]
                )
            elif name == "childprotectionplans":
                n_cpp += 1
                self._add_cpp(el, child_seq, episode_seq, n_cpp)
        rows["cin_episode"].append(row)

    def _add_simple(
        self, el: etree._Element, table: str, at: dict[str, int], row: list[object]
    ) -> None:
        names = self.names
        for sub in el:
            name = names.get(sub.tag) or self._name(sub.tag)
            if name in at:
                t = sub.text
                if t is not None:
                    t = t.strip() or None
                row[at[name]] = t
        self.rows[table].append(row)

    def _add_assessment(self, el: etree._Element, child_seq: int, episode_seq: int, n: int) -> None:
        names = self.names
        at = self.assessment_at
        row: list[object] = [child_seq, episode_seq, n, None, None]
        factors = self.rows["cin_assessment_factor"]
        factor_seq = 0
        for sub in el.iter():
            name = names.get(sub.tag) or self._name(sub.tag)
            if name == "assessmentfactors":
                t = sub.text
                if t is not None and (t := t.strip()):
                    factor_seq += 1
                    factors.append([child_seq, episode_seq, n, factor_seq, t])
            elif name in at:
                t = sub.text
                if t is not None:
                    t = t.strip() or None
                row[at[name]] = t
        self.rows["cin_assessment"].append(row)

    def _add_cpp(self, el: etree._Element, child_seq: int, episode_seq: int, n: int) -> None:
        names = self.names
        at = self.cpp_at
        row: list[object] = [child_seq, episode_seq, n, None, None, None, None, None]
        reviews = self.rows["cin_cpp_review"]
        review_seq = 0
        for sub in el:
            name = names.get(sub.tag) or self._name(sub.tag)
            if name == "reviews":
                dated = False
                for d in sub.iter():
                    if (names.get(d.tag) or self._name(d.tag)) == "cppreviewdate":
                        dated = True
                        review_seq += 1
                        t = d.text
                        if t is not None:
                            t = t.strip() or None
                        reviews.append([child_seq, episode_seq, n, review_seq, t])
                if not dated:
                    # A <Reviews> group with no date still counts: rule 8842Q reports it.
                    review_seq += 1
                    reviews.append([child_seq, episode_seq, n, review_seq, None])
            elif name in at:
                t = sub.text
                if t is not None:
                    t = t.strip() or None
                row[at[name]] = t
        self.rows["cin_cpp"].append(row)

    def tables(self) -> dict[str, dict[str, list[object]]]:
        """The rows gathered as column lists (transposed in one pass per table)."""
        columns = _columns()
        out = {name: _transpose(self.rows[name], cols) for name, cols in columns.items()}
        child = _transpose(self.child_rows, _CHILD_TEXT)
        ids = self.la_child_ids
        child["child_id"] = list[object](self.pseudonymise.many(ids))
        child["la_child_id_length"] = [None if i is None else len(i) for i in ids]
        alnum = _LA_CHILD_ID_OK.match
        child["la_child_id_alnum"] = [None if i is None else alnum(i) is not None for i in ids]
        child["upn_hash"] = list[object](self.pseudonymise.many(self.upns, upper=True))
        child.update(_upn_columns(self.upns))
        child["former_upn_hash"] = list[object](
            self.pseudonymise.many(self.former_upns, upper=True)
        )
        child["former_upn_format_ok"] = [
            None if u is None else upn_facts(u).all_ok for u in self.former_upns
        ]
        out["cin_child"] = {c: child[c] for c in columns["cin_child"]}
        return out


def _transpose(rows: list[list[object]], cols: Sequence[str]) -> dict[str, list[object]]:
    if not rows:
        return {c: [] for c in cols}
    return dict(zip(cols, map(list, zip(*rows, strict=True)), strict=True))


_UPN_FACT_COLUMNS = ("upn_length_ok", "upn_check_ok", "upn_la_code", "upn_digits_ok",
                     "upn_char13_ok")  # fmt: skip
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[48:58] = True
# Value of a UPN's 13th character in the check sum: a digit, or its place in the check
# alphabet (temporary UPNs); -1 for anything else.
_LAST_VALUE = np.full(256, -1, dtype=np.int64)
_LAST_VALUE[48:58] = np.arange(10)
for _i, _c in enumerate(CHECK_ALPHABET):
    _LAST_VALUE[ord(_c)] = _i
_ALPHABET = np.frombuffer(CHECK_ALPHABET.encode("ascii"), dtype=np.uint8)
_WEIGHTS = np.arange(2, 13, dtype=np.int64)


def _upn_columns(upns: list[str | None]) -> dict[str, list[object]]:
    # upn_facts for every UPN, vectorised for the usual 13 ASCII characters (the rest,
    # rare, one by one); None where there is no UPN.
    n = len(upns)
    cols: dict[str, list[object]] = {c: [None] * n for c in _UPN_FACT_COLUMNS}
    regular: list[int] = []
    texts: list[str] = []
    for i, u in enumerate(upns):
        if u is None:
            continue
        t = u.strip().upper()
        if len(t) == 13 and t.isascii():
            regular.append(i)
            texts.append(t)
        else:
            f = upn_facts(u)
            for c, v in zip(_UPN_FACT_COLUMNS,
                            (f.length_ok, f.check_ok, f.la_code, f.digits_ok, f.char13_ok),
                            strict=True):  # fmt: skip
                cols[c][i] = v
    if texts:
        a = np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8).reshape(-1, 13)
        digits = _DIGIT[a]
        last = _LAST_VALUE[a[:, 12]]
        char13 = last >= 0
        body_ok = digits[:, 1:12].all(axis=1) & char13
        total = (a[:, 1:12].astype(np.int64) - 48) @ _WEIGHTS + last * 13
        check = body_ok & (a[:, 0] == _ALPHABET[total % 23])
        values = {
            "upn_length_ok": [True] * len(texts),
            "upn_check_ok": check.tolist(),
            "upn_la_code": [t[1:4] for t in texts],
            "upn_digits_ok": digits[:, 4:12].all(axis=1).tolist(),
            "upn_char13_ok": char13.tolist(),
        }
        for c, vs in values.items():
            col = cols[c]
            for i, v in zip(regular, vs, strict=True):
                col[i] = v
    return cols


def _header_from(el: etree._Element) -> CinHeader:
    values: dict[str, str | None] = {}
    line = el.sourceline
    for sub in el.iter():
        name = _local(sub.tag)
        if name in _HEADER_FIELDS and _HEADER_FIELDS[name] not in values:
            values[_HEADER_FIELDS[name]] = _text(sub)
            if name == "referencedate":
                line = sub.sourceline
    return CinHeader(**values, reference_date_line=line)


def read_cin_census(
    path: Path | str,
    pseudonymiser_for: Callable[[CinHeader], Pseudonymiser],
    *,
    keep_child_refs: bool = False,
) -> CinCensusReturn:
    """Read one CIN census XML return into pseudonymised child-level columns.

    Parameters
    ----------
    path : Path or str
        The XML file.
    pseudonymiser_for : callable
        Given the parsed header, returns the :class:`Pseudonymiser` to use (so the
        synthetic marker can be honoured), e.g.
        ``lambda h: resolve_pseudonymiser(settings, synthetic=h.synthetic)``; it may
        raise ``ConfigError`` to refuse the file.
    keep_child_refs : bool
        Keep the raw ``LAchildID`` per child in memory for a report shown to the
        authority on its own file. Never stored.

    Raises
    ------
    SourceFileError
        The file cannot be read, declares a DOCTYPE/ENTITY, is not well-formed XML
        (with the line), or is not a CIN census message.
    ConfigError
        From ``pseudonymiser_for`` (no key for real data).
    """
    p = Path(path)
    data, return_id = _checked_bytes(p)
    return _walk(data, p, return_id, pseudonymiser_for, keep_child_refs)


def _checked_bytes(p: Path) -> tuple[bytes, str]:
    # The file's bytes (a regular file within the size limit; no FIFO, no device), refused
    # when hostile, and its return id.
    data = read_input_bytes(p)
    refuse_hostile_xml(data, p)
    return data, hashlib.sha256(data).hexdigest()[:16]


def _walk(
    data: bytes,
    p: Path,
    return_id: str,
    pseudonymiser_for: Callable[[CinHeader], Pseudonymiser],
    keep_child_refs: bool,
) -> CinCensusReturn:
    # The reader proper, on checked bytes.
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        # libxml2's incremental parser misreads a UTF-32 byte-order mark; without it,
        # it finds UTF-32 from the first bytes as it should.
        data = data[4:]
    with _no_cyclic_gc():
        return _parse(data, p, return_id, pseudonymiser_for, keep_child_refs)


_TAG_NAME = re.compile(rb"<(/?)([A-Za-z_][A-Za-z0-9_.:-]*)")


def _element_at(data: bytes, line: int | None, column: int | None) -> str | None:
    # The element whose tag last begins before a syntax error's position (its line and
    # column), as written in the file, to name in the error; None when no tag is found
    # on the lines up to it or the file is not in an ASCII-compatible encoding.
    if line is None or data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        return None
    start = 0
    for _ in range(line - 1):
        start = data.find(b"\n", start) + 1
        if start == 0:
            return None
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end
    if column is not None and column > 0:
        end = min(end, start + column)
    tags = list(_TAG_NAME.finditer(data, max(0, start - 4096), end))
    if not tags:
        return None
    return tags[-1].group(2).decode("ascii")


def _refuse_doctype(el: etree._Element, p: Path) -> None:
    # Second guard (shared with the SSDA903 reader): a document the parser saw with a
    # document type goes no further.
    refuse_parsed_doctype(el, p)


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    # The reader makes hundreds of thousands of small lists and no reference cycles;
    # the cyclic collector would rescan them all again and again (a third of the time).
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _parse(
    data: bytes,
    p: Path,
    return_id: str,
    pseudonymiser_for: Callable[[CinHeader], Pseudonymiser],
    keep_child_refs: bool,
) -> CinCensusReturn:
    header: CinHeader | None = None
    builder: _Builder | None = None
    # Only <Header> and <Child> ends reach Python; everything inside a child is read
    # from the finished element. "{*}" matches with or without a namespace.
    context = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        tag=("{*}Header", "{*}Child"),
        **SAFE_PARSE_OPTIONS,
    )
    checked = False
    try:
        for _event, el in context:
            if not checked:
                _refuse_doctype(el, p)
                checked = True
            if _local(el.tag) == "header":
                if header is not None:
                    continue
                parent = el.getparent()
                if parent is None or _local(parent.tag) != "message":
                    raise SourceFileError(
                        "not a CIN census return: <Header> is not inside <Message>",
                        path=str(p),
                        row=el.sourceline,
                    )
                header = _header_from(el)
                builder = _Builder(pseudonymiser_for(header))
                el.clear()
                continue
            if builder is None:
                raise SourceFileError(
                    "not a CIN census return: <Child> before <Header>",
                    path=str(p),
                    row=el.sourceline,
                )
            builder.add_child(el)
            # Free what has been read so memory stays flat on large files.
            el.clear()
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        msg = (exc.msg or "malformed XML").split(", line ")[0]
        raise SourceFileError(
            f"malformed XML: {msg}",
            path=str(p),
            row=line,
            column=_element_at(data, line, exc.position[1] if exc.position else None),
        ) from None
    root = context.root
    if root is None or _local(root.tag) != "message":
        raise SourceFileError(
            "not a CIN census return: the root element is not <Message>", path=str(p)
        )
    if header is None or builder is None:
        raise SourceFileError("not a CIN census return: no <Header>", path=str(p))

    tables = builder.tables()
    child_refs = tuple(builder.la_child_ids) if keep_child_refs else None
    del builder.rows, builder.child_rows, builder.la_child_ids, builder.upns, builder.former_upns
    tables["cin_return"] = _return_row(return_id, header, builder.child_seq)
    return CinCensusReturn(
        return_id=return_id,
        path=p,
        header=header,
        tables=tables,
        children=builder.child_seq,
        referrals=len(tables["cin_episode"]["episode_seq"]),
        child_refs=child_refs,
        demo_key=builder.pseudonymise.demo,
    )


def _return_row(return_id: str, header: CinHeader, children: int) -> dict[str, list[object]]:
    # The return's one row of ``cin_return``.
    return {
        "return_id": [return_id],
        "la_code": [header.la_code],
        "collection_year": [header.collection_year],
        "reference_date": [header.reference_date],
        "collection": [header.collection],
        "header_year": [header.year],
        "source_level": [header.source_level],
        "software_code": [header.software_code],
        "release": [header.release],
        "serial_no": [header.serial_no],
        "file_datetime": [header.file_datetime],
        "synthetic": [header.synthetic],
        "children": [children],
    }
