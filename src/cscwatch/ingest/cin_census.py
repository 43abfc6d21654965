"""Reader for CIN census XML returns (collection years 2022-23 onward).

The file is parsed as a stream (``lxml.etree.iterparse``, one ``<Child>`` at a time,
each freed once read) into plain column lists shaped as the child-level tables of
:mod:`cscwatch.store.child_level`; typing and format checks happen there, in bulk.

Safety: a file is refused outright, before any parsing, when its bytes declare a
``DOCTYPE`` or an ``ENTITY`` (so billion-laughs and external-entity files are never
expanded or fetched); the parser is also run with entities unresolved, no DTD, no
network and no huge-tree mode. A malformed file raises one :class:`SourceFileError`
naming the line.

Identifiers: ``LAchildID``, ``UPN`` and ``FormerUPN`` are pseudonymised the moment they
are read (:mod:`cscwatch.ingest.pseudonym`); only format facts about them (length,
characters, UPN check letter) travel on. The raw ``LAchildID`` is kept in memory, by
position, only when the caller asks (``keep_child_refs``) for the authority's own
validation report.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lxml import etree

from cscwatch.core.errors import SourceFileError
from cscwatch.ingest.pseudonym import SYNTHETIC_MARKER, Pseudonymiser
from cscwatch.ingest.upn import upn_facts

__all__ = ["CinCensusReturn", "CinHeader", "read_cin_census", "refuse_hostile_xml"]

_HOSTILE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
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
        Table name → column name → list, as :func:`cscwatch.store.child_level.load_child_level`
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


def refuse_hostile_xml(data: bytes, path: Path | str | None = None) -> None:
    """Raise :class:`SourceFileError` when ``data`` declares a DOCTYPE or ENTITY.

    A CIN census return never needs either; refusing them outright means nothing in
    such a file is expanded, loaded or fetched. UTF-16 files are checked decoded.
    """
    text = data
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", errors="replace").encode("utf-8")
    m = _HOSTILE.search(text)
    if m is not None:
        line = text.count(b"\n", 0, m.start()) + 1
        raise SourceFileError(
            f"refused: the file declares a {m.group(1).decode().upper()}, "
            "which a CIN census return never needs (possible entity-expansion or "
            "external-entity attack); nothing was parsed",
            path=str(path) if path is not None else None,
            row=line,
        )


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
    from cscwatch.store.child_level import CHILD_TABLES

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


@dataclass
class _Builder:
    # Accumulates the column lists while the stream is read.
    pseudonymise: Pseudonymiser
    keep_child_refs: bool
    columns: dict[str, list[str]] = field(default_factory=_table_columns)
    rows: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    child_refs: list[str | None] = field(default_factory=list)
    child_seq: int = 0

    def __post_init__(self) -> None:
        self.rows = {name: [] for name in self.columns}

    def _fill(self, table: str, row: dict[str, object]) -> None:
        self.rows[table].append(row)

    def tables(self) -> dict[str, dict[str, list[object]]]:
        """The rows gathered so far as column lists (columns built in one pass each)."""
        return {
            name: {c: [r.get(c) for r in self.rows[name]] for c in cols}
            for name, cols in self.columns.items()
        }

    def _simple(self, el: etree._Element, names: dict[str, str], row: dict[str, object]) -> None:
        name = _local(el.tag)
        if name in names:
            row[names[name]] = _text(el)

    def add_child(self, child: etree._Element) -> None:
        self.child_seq += 1
        seq = self.child_seq
        row: dict[str, object] = {"child_seq": seq}
        episode_seq = 0
        disability_seq = 0
        la_child_id: str | None = None
        upn: str | None = None
        former_upn: str | None = None
        for part in child:
            kind = _local(part.tag)
            if kind == "childidentifiers" or kind == "childcharacteristics":
                for el in part.iter():
                    name = _local(el.tag)
                    if name == "lachildid":
                        la_child_id = _text(el)
                    elif name == "upn":
                        upn = _text(el)
                    elif name == "formerupn":
                        former_upn = _text(el)
                    elif name in ("sex", "gendercurrent"):
                        row["sex"] = _text(el)
                        row["sex_field"] = "Sex" if name == "sex" else "GenderCurrent"
                    elif name == "ethnicity":
                        row["ethnicity"] = _text(el)
                    elif name == "disability":
                        disability_seq += 1
                        self._fill(
                            "cin_disability",
                            {
                                "child_seq": seq,
                                "disability_seq": disability_seq,
                                "disability": _text(el),
                            },
                        )
                    elif name in _CHILD_FIELDS:
                        row[_CHILD_FIELDS[name]] = _text(el)
            elif kind == "cindetails":
                episode_seq += 1
                self._add_episode(part, seq, episode_seq)
        row["child_id"] = self.pseudonymise(la_child_id)
        if la_child_id is not None:
            row["la_child_id_length"] = len(la_child_id)
            row["la_child_id_alnum"] = _LA_CHILD_ID_OK.match(la_child_id) is not None
        if upn is not None:
            facts = upn_facts(upn)
            row["upn_hash"] = self.pseudonymise.upn(upn)
            row["upn_length_ok"] = facts.length_ok
            row["upn_check_ok"] = facts.check_ok
            row["upn_la_code"] = facts.la_code
            row["upn_digits_ok"] = facts.digits_ok
            row["upn_char13_ok"] = facts.char13_ok
        if former_upn is not None:
            row["former_upn_hash"] = self.pseudonymise.upn(former_upn)
            row["former_upn_format_ok"] = upn_facts(former_upn).all_ok
        self._fill("cin_child", row)
        if self.keep_child_refs:
            self.child_refs.append(la_child_id)

    def _add_episode(self, episode: etree._Element, child_seq: int, episode_seq: int) -> None:
        row: dict[str, object] = {"child_seq": child_seq, "episode_seq": episode_seq}
        keys = {"child_seq": child_seq, "episode_seq": episode_seq}
        n_assess = n_plan = n_s47 = n_cpp = 0
        for el in episode:
            name = _local(el.tag)
            if name == "assessments":
                n_assess += 1
                self._add_assessment(el, {**keys, "assessment_seq": n_assess})
            elif name == "cinplandates":
                n_plan += 1
                plan: dict[str, object] = {**keys, "plan_seq": n_plan}
                for sub in el:
                    self._simple(sub, _PLAN_FIELDS, plan)
                self._fill("cin_plan", plan)
            elif name == "section47":
                n_s47 += 1
                s47: dict[str, object] = {**keys, "s47_seq": n_s47}
                for sub in el:
                    self._simple(sub, _S47_FIELDS, s47)
                self._fill("cin_section47", s47)
            elif name == "childprotectionplans":
                n_cpp += 1
                self._add_cpp(el, {**keys, "cpp_seq": n_cpp})
            elif name in _EPISODE_FIELDS:
                row[_EPISODE_FIELDS[name]] = _text(el)
        self._fill("cin_episode", row)

    def _add_assessment(self, el: etree._Element, keys: dict[str, object]) -> None:
        row = dict(keys)
        factor_seq = 0
        for sub in el.iter():
            name = _local(sub.tag)
            if name == "assessmentfactors":
                factor = _text(sub)
                if factor is not None:
                    factor_seq += 1
                    self._fill(
                        "cin_assessment_factor",
                        {**keys, "factor_seq": factor_seq, "factor": factor},
                    )
            elif name in _ASSESSMENT_FIELDS:
                row[_ASSESSMENT_FIELDS[name]] = _text(sub)
        self._fill("cin_assessment", row)

    def _add_cpp(self, el: etree._Element, keys: dict[str, object]) -> None:
        row = dict(keys)
        review_seq = 0
        for sub in el:
            name = _local(sub.tag)
            if name == "reviews":
                dates = [d for d in sub.iter() if _local(d.tag) == "cppreviewdate"]
                # A <Reviews> group with no date still counts: rule 8842Q reports it.
                for d in dates or [None]:
                    review_seq += 1
                    self._fill(
                        "cin_cpp_review",
                        {
                            **keys,
                            "review_seq": review_seq,
                            "review_date": _text(d) if d is not None else None,
                        },
                    )
            elif name in _CPP_FIELDS:
                row[_CPP_FIELDS[name]] = _text(sub)
        self._fill("cin_cpp", row)


def _header_from(el: etree._Element) -> CinHeader:
    values: dict[str, str | None] = {}
    for sub in el.iter():
        name = _local(sub.tag)
        if name in _HEADER_FIELDS and _HEADER_FIELDS[name] not in values:
            values[_HEADER_FIELDS[name]] = _text(sub)
    return CinHeader(**values)


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
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise SourceFileError(f"cannot read: {exc.strerror}", path=str(p)) from None
    refuse_hostile_xml(data, p)
    return_id = hashlib.sha256(data).hexdigest()[:16]

    header: CinHeader | None = None
    builder: _Builder | None = None
    # Only <Header> and <Child> ends reach Python; everything inside a child is read
    # from the finished element. "{*}" matches with or without a namespace.
    context = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        tag=("{*}Header", "{*}Child"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for _event, el in context:
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
                builder = _Builder(pseudonymiser_for(header), keep_child_refs)
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
        raise SourceFileError(f"malformed XML: {msg}", path=str(p), row=line) from None
    root = context.root
    if root is None or _local(root.tag) != "message":
        raise SourceFileError(
            "not a CIN census return: the root element is not <Message>", path=str(p)
        )
    if header is None or builder is None:
        raise SourceFileError("not a CIN census return: no <Header>", path=str(p))

    tables = builder.tables()
    builder.rows.clear()
    tables["cin_return"] = {
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
        "children": [builder.child_seq],
    }
    return CinCensusReturn(
        return_id=return_id,
        path=p,
        header=header,
        tables=tables,
        children=builder.child_seq,
        referrals=len(tables["cin_episode"]["episode_seq"]),
        child_refs=tuple(builder.child_refs) if keep_child_refs else None,
        demo_key=builder.pseudonymise.demo,
    )
