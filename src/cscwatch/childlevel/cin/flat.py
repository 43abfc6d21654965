"""The fast reader: a plain CIN census return read with array operations, into Arrow.

:func:`cscwatch.childlevel.cin.census.read_cin_census` walks the parsed XML in Python,
one element at a time; that walk, and turning its lists into Arrow, is most of the cost
of ``cin load``. This module reads the same return in a handful of NumPy operations over
the file's bytes (every ``<`` and ``>`` found at once, tag names hashed at once, each
element's parent found level by level) and hands back the Arrow tables
:func:`cscwatch.childlevel.cin.store` inserts, with exactly the values the walk gives.

It does so only for a *plain* return, and says so by returning None otherwise, so the
caller reads the file the usual way. Plain means, checked before anything is read:

* UTF-8 (or ASCII) with no comment, CDATA section, processing instruction (other than
  the XML declaration), entity or character reference, and no ``>`` outside a tag, so
  an element's text is exactly the bytes between its tag and the next one;
* every tag a bare name (the root may declare a default namespace, nothing else), and
  every element the reader knows spelt as the DfE spells it, under the parent the DfE
  puts it in (``<Sex>`` in ``<ChildIdentifiers>`` or ``<ChildCharacteristics>``, a
  ``<CPPreviewDate>`` in a ``<Reviews>`` of a ``<ChildProtectionPlans>``...); one
  ``<Header>`` before the first ``<Child>``; unknown elements may sit anywhere but
  hold no known one;
* values whose surrounding blanks are ASCII and that hold no carriage return.

Well-formedness is still libxml2's verdict (the same parser and options as the walk,
run without building a tree); a file it refuses goes the usual way too, so every error
is the walk's own. Hostile XML is refused by the caller first
(:func:`cscwatch.childlevel.xmlsafe.refuse_hostile_xml`), exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree
from numpy.lib.stride_tricks import sliding_window_view as windows

from cscwatch.childlevel.cin.census import (
    _LA_CHILD_ID_OK,
    CinCensusReturn,
    CinHeader,
    _checked_bytes,
    _return_row,
    _upn_columns,
    _walk,
)
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.upn import upn_facts
from cscwatch.childlevel.xmlsafe import SAFE_PARSE_OPTIONS, xml_encoding

__all__ = ["read_cin_census_columns", "read_plain_return"]

Columns = dict[str, Mapping[str, "Sequence[object] | pa.Array"]]

Ints = npt.NDArray[np.int64]

# Every element the reader knows, as the DfE spells it, and the parents it may have.
_PARENTS: dict[str, tuple[str, ...]] = {
    "Message": (),
    "Header": ("Message",),
    "CollectionDetails": ("Header",),
    "Source": ("Header",),
    **{n: ("CollectionDetails",) for n in ("Collection", "Year", "ReferenceDate")},
    **{
        n: ("Source",)
        for n in ("SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime")
    },
    "Children": ("Message",),
    "Child": ("Children",),
    "ChildIdentifiers": ("Child",),
    "ChildCharacteristics": ("Child",),
    **{
        n: ("ChildIdentifiers", "ChildCharacteristics")
        for n in (
            "LAchildID",
            "UPN",
            "FormerUPN",
            "UPNunknown",
            "PersonBirthDate",
            "ExpectedPersonBirthDate",
            "PersonDeathDate",
            "Sex",
            "GenderCurrent",
            "Ethnicity",
            "Disabilities",
        )
    },
    "Disability": ("Disabilities",),
    "CINdetails": ("Child",),
    **{
        n: ("CINdetails",)
        for n in (
            "CINreferralDate",
            "ReferralSource",
            "PrimaryNeedCode",
            "CINclosureDate",
            "ReasonForClosure",
            "ReferralNFA",
            "Assessments",
            "CINPlanDates",
            "Section47",
            "ChildProtectionPlans",
        )
    },
    "DateOfInitialCPC": ("CINdetails", "Section47"),
    "AssessmentActualStartDate": ("Assessments",),
    "AssessmentAuthorisationDate": ("Assessments",),
    "FactorsIdentifiedAtAssessment": ("Assessments",),
    "AssessmentFactors": ("FactorsIdentifiedAtAssessment",),
    "CINPlanStartDate": ("CINPlanDates",),
    "CINPlanEndDate": ("CINPlanDates",),
    **{n: ("Section47",) for n in ("S47ActualStartDate", "InitialCPCtarget", "ICPCnotRequired")},
    **{
        n: ("ChildProtectionPlans",)
        for n in (
            "CPPstartDate",
            "CPPendDate",
            "InitialCategoryOfAbuse",
            "LatestCategoryOfAbuse",
            "NumberOfPreviousCPP",
            "Reviews",
        )
    },
    "CPPreviewDate": ("Reviews",),
}
_NAMES = tuple(_PARENTS)
_ID = {n: i for i, n in enumerate(_NAMES)}
_UNKNOWN = len(_NAMES)
# Lower-case spellings: an element spelt otherwise that the walk would take for a known
# one (it compares names in lower case) makes a file not plain.
_LOWER = {n.lower() for n in _NAMES}
_ALLOWED = np.zeros((_UNKNOWN + 1, _UNKNOWN + 1), dtype=bool)  # [name, parent name]
for _n, _ps in _PARENTS.items():
    for _p in _ps:
        _ALLOWED[_ID[_n], _ID[_p]] = True
for _i in range(_UNKNOWN + 1):
    _ALLOWED[_UNKNOWN, _i] = True  # unknown elements may sit anywhere
_NAME_BYTE = np.zeros(256, dtype=bool)
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-":
    _NAME_BYTE[_c] = True
_BLANK = np.zeros(256, dtype=bool)
_BLANK[[9, 10, 13, 32]] = True
_ROOT = re.compile(rb"""<Message(?:\s+xmlns\s*=\s*(?:"[^"<&]*"|'[^'<&]*'))?\s*>""")
_DECL = re.compile(rb"<\?xml[^<>]*\?>")
_MAX_NAME = 48
_HEADER_FIELDS = {
    "Collection": "collection", "Year": "year", "ReferenceDate": "reference_date",
    "SourceLevel": "source_level", "LEA": "la_code", "SoftwareCode": "software_code",
    "Release": "release", "SerialNo": "serial_no", "DateTime": "file_datetime",
}  # fmt: skip


def read_cin_census_columns(
    path: Path | str,
    pseudonymiser_for: Callable[[CinHeader], Pseudonymiser],
    *,
    keep_child_refs: bool = False,
) -> tuple[CinCensusReturn, Columns]:
    """Read one return as :func:`~cscwatch.childlevel.cin.census.read_cin_census` does,
    the fast way when it is plain.

    Returns
    -------
    (CinCensusReturn, dict)
        The return (its ``tables`` empty) and its tables: table name → column name →
        Arrow array (a plain file) or list (any other, read by the walk), ``cin_return``
        included; the values are the walk's either way.

    Raises
    ------
    SourceFileError, ConfigError
        As ``read_cin_census`` (a file that is not plain is read by it).
    """
    p = Path(path)
    data, return_id = _checked_bytes(p)
    got = read_plain_return(
        data, p, return_id, xml_encoding(data, p), pseudonymiser_for,
        keep_child_refs=keep_child_refs,
    )  # fmt: skip
    if got is None:
        parsed = _walk(data, p, return_id, pseudonymiser_for, keep_child_refs)
        tables: Columns = dict(parsed.tables)
        parsed.tables.clear()
        return parsed, tables
    parsed, arrays = got
    out: Columns = dict(arrays)
    out["cin_return"] = _return_row(return_id, parsed.header, parsed.children)
    return parsed, out


class _NotPlain(Exception):
    # The file is not plain: read it the usual way.
    pass


_BY_LENGTH: dict[int, list[bytes]] = {}
for _n in _NAMES:
    _BY_LENGTH.setdefault(len(_n), []).append(_n.encode("ascii"))


def _code(name: bytes) -> int:
    # An opening tag's text that is not a known name: _UNKNOWN, or _NotPlain for
    # anything but a bare ASCII name, or a known name spelt otherwise.
    if not all(_NAME_BYTE[c] for c in name):
        raise _NotPlain
    if name.decode("ascii").lower() in _LOWER:
        raise _NotPlain  # spelt otherwise than the DfE: the walk decides
    return _UNKNOWN


class _Null:
    # A parser target with no callbacks: libxml2 checks the file without building a tree.
    def close(self) -> None:
        return None


def _well_formed(data: bytes) -> bool:
    parser = etree.XMLParser(
        target=_Null(),
        **SAFE_PARSE_OPTIONS,
    )
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return False
    return True


def read_plain_return(
    data: bytes,
    path: Path,
    return_id: str,
    encoding: str,
    pseudonymiser_for: Callable[[CinHeader], Pseudonymiser],
    *,
    keep_child_refs: bool = False,
) -> tuple[CinCensusReturn, dict[str, dict[str, pa.Array]]] | None:
    """Read a plain return (see the module) into Arrow columns; None when it is not plain.

    Parameters
    ----------
    data : bytes
        The file, already checked by ``refuse_hostile_xml``.
    path, return_id : Path, str
        As :class:`CinCensusReturn` records them.
    encoding : str
        The encoding :func:`cscwatch.childlevel.xmlsafe.xml_encoding` found.
    pseudonymiser_for : callable
        As :func:`cscwatch.childlevel.cin.census.read_cin_census`.
    keep_child_refs : bool
        Keep the raw ``LAchildID`` per child, as there.

    Returns
    -------
    (CinCensusReturn, dict) or None
        The return (its ``tables`` empty) and table name → column name → Arrow array
        of the columns the walk would give (``return_id`` and the ``cin_return`` row
        left to the caller's staging); None when the file is not plain or libxml2
        refuses it (the walk then reads it and reports the error).
    """
    try:
        doc = _Doc(data, encoding)
    except _NotPlain:
        return None
    if not _well_formed(data):
        return None
    try:
        return doc.read(path, return_id, pseudonymiser_for, keep_child_refs)
    except _NotPlain:
        return None


class _Doc:
    # The file's tags, found and named with array operations; raises _NotPlain early.

    def __init__(self, data: bytes, encoding: str) -> None:
        if encoding not in ("utf-8", "ascii"):
            raise _NotPlain
        start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        decl = _DECL.match(data, start)
        body = decl.end() if decl else start
        if data.find(b"&") >= 0:
            raise _NotPlain
        root = _ROOT.search(data, body)
        if root is None or data[body : root.start()].strip(b" \t\r\n"):
            raise _NotPlain
        self.data = data
        arr = np.frombuffer(data, dtype=np.uint8)
        self.arr = arr
        lt = np.flatnonzero(arr == 60)
        gt = np.flatnonzero(arr == 62)
        keep = lt >= root.start()
        lt = lt[keep]
        gt = gt[gt >= root.start()]
        if len(lt) != len(gt) or not len(lt):
            raise _NotPlain
        if (lt >= gt).any() or (gt[:-1] >= lt[1:]).any():
            raise _NotPlain  # a ">" in text, or a tag not closed before the next
        self.lt, self.gt = lt, gt
        second = arr[lt + 1]
        if ((second == 33) | (second == 63)).any():
            raise _NotPlain  # "<!" or "<?" after the declaration
        closing = second == 47
        empty = arr[gt - 1] == 47
        empty[0] = False
        self.closing, self.empty = closing, empty
        # Opening tags are named (closing ones match them: libxml2 checks that), one
        # length at a time: the tags of a length compared with the known names of it.
        names = np.full(len(lt), _UNKNOWN, dtype=np.int64)
        names[0] = _ID["Message"]
        opening = np.flatnonzero(~closing)[1:]
        first = lt[opening] + 1
        lengths = gt[opening] - empty[opening] - first
        if len(lengths) and (lengths.min() < 1 or lengths.max() > _MAX_NAME):
            raise _NotPlain
        by_length = np.argsort(lengths, kind="stable")
        bounds = np.searchsorted(lengths[by_length], np.arange(_MAX_NAME + 2))
        for length in range(1, _MAX_NAME + 1):
            sel = by_length[bounds[length] : bounds[length + 1]]
            if not len(sel):
                continue
            rows = windows(arr, length)[first[sel]].view(f"S{length}").ravel()
            got = np.full(len(sel), -1, dtype=np.int64)
            for name in _BY_LENGTH.get(length, ()):
                got[rows == name] = _ID[name.decode()]
            odd = got < 0
            if odd.any():
                other, where = np.unique(rows[odd], return_inverse=True)
                got[odd] = np.array([_code(bytes(t)) for t in other.tolist()])[where.reshape(-1)]
            names[opening[sel]] = got
        self.names = names

    def read(
        self,
        path: Path,
        return_id: str,
        pseudonymiser_for: Callable[[CinHeader], Pseudonymiser],
        keep_child_refs: bool,
    ) -> tuple[CinCensusReturn, dict[str, dict[str, pa.Array]]]:
        opening = ~self.closing
        tag = np.flatnonzero(opening)  # elements, by the index of their opening tag
        names = self.names[tag]
        step = np.where(self.closing, -1, np.where(self.empty, 0, 1))
        depth = (np.cumsum(step) - (step == 1))[tag]
        parent = np.full(len(tag), -1, dtype=np.int64)
        for d in range(1, int(depth.max()) + 1):
            here = np.flatnonzero(depth == d)
            above = np.flatnonzero(depth == d - 1)
            parent[here] = above[np.searchsorted(above, here) - 1]
        if names[0] != _ID["Message"] or (depth == 0).sum() != 1:
            raise _NotPlain
        if not _ALLOWED[names[1:], names[parent[1:]]].all():
            raise _NotPlain
        self.tag, self.el_names, self.parent = tag, names, parent
        self.by_name = np.argsort(names, kind="stable")
        self.name_starts = np.searchsorted(names[self.by_name], np.arange(_UNKNOWN + 2))
        header = np.flatnonzero(names == _ID["Header"])
        kids = np.flatnonzero(names == _ID["Child"])
        if len(header) != 1 or (len(kids) and kids[0] < header[0]):
            raise _NotPlain
        head = self._header(int(header[0]))
        pseudonymise = pseudonymiser_for(head)
        self.ordinal = np.full(len(tag), -1, dtype=np.int64)
        self.ordinal[kids] = np.arange(len(kids))
        tables, la_ids = self._tables(kids, pseudonymise)
        child_refs = tuple(la_ids) if keep_child_refs else None
        parsed = CinCensusReturn(
            return_id=return_id,
            path=path,
            header=head,
            tables={},
            children=len(kids),
            referrals=len(tables["cin_episode"]["episode_seq"]),
            child_refs=child_refs,
            demo_key=pseudonymise.demo,
        )
        return parsed, tables

    # -- values ----------------------------------------------------------------------

    def _text(self, elements: Ints) -> pa.Array:
        # Each element's text as the walk gives it (stripped; None when empty or absent).
        t = self.tag[elements]
        start = self.gt[t] + 1
        end = np.where(self.empty[t], start, self.lt[np.minimum(t + 1, len(self.lt) - 1)])
        arr = self.arr
        for _ in range(64):
            move = (end > start) & _BLANK[arr[np.minimum(start, len(arr) - 1)]]
            if not move.any():
                break
            start = start + move
        for _ in range(64):
            move = (end > start) & _BLANK[arr[end - 1]]
            if not move.any():
                break
            end = end - move
        lengths = end - start
        offsets = np.zeros(len(t) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        total = int(offsets[-1])
        index = np.repeat(start - offsets[:-1], lengths) + np.arange(total)
        values = arr[index]
        if (values == 13).any():
            raise _NotPlain  # libxml2 turns a carriage return into a line feed
        valid = lengths > 0
        if total >= 2**31:
            raise _NotPlain
        out = pa.StringArray.from_buffers(
            len(t),
            pa.py_buffer(offsets.astype(np.int32)),
            pa.py_buffer(values.tobytes()),
            pa.array(valid).buffers()[1] if not valid.all() else None,
            null_count=int((~valid).sum()),
        )
        if (values >= 128).any():
            for s in pc.filter(out, pc.invert(pc.string_is_ascii(out))).to_pylist():
                if s is not None and s != s.strip():
                    raise _NotPlain  # a non-ASCII blank at an edge: the walk strips it
        return out

    def _of(self, name: str) -> Ints:
        # The elements named ``name``, in document order.
        i = _ID[name]
        return self.by_name[self.name_starts[i] : self.name_starts[i + 1]]

    def _header(self, header: int) -> CinHeader:
        values: dict[str, str | None] = {}
        line = None
        for name, field in _HEADER_FIELDS.items():
            found = self._of(name)
            if len(found):
                first = found[:1]
                values[field] = self._text(first).to_pylist()[0]
                if name == "ReferenceDate":
                    line = self.data.count(b"\n", 0, int(self.lt[self.tag[first[0]]])) + 1
        if line is None:
            line = self.data.count(b"\n", 0, int(self.lt[self.tag[header]])) + 1
        return CinHeader(**values, reference_date_line=line)

    def _rows(self, container: str, owner: Ints) -> tuple[Ints, Ints, Ints]:
        # The containers named ``container`` in document order: their owner's ordinal
        # (``owner`` maps an element to its owner's element), and their 1-based place
        # among their owner's; each container is given its ordinal.
        els = self._of(container)
        of = self.ordinal[owner[els]]
        self.ordinal[els] = np.arange(len(els))
        return els, of, _seq(of)

    def _field(self, name: str, rows: int, owner: Ints, container: str) -> pa.Array:
        # One column: for each row (a ``container`` element, found as each element's
        # ``owner``), the text of the last ``name`` element it owns.
        els = self._of(name)
        els = els[self.el_names[owner[els]] == _ID[container]]
        row = self.ordinal[owner[els]]
        last = np.r_[row[1:] != row[:-1], True] if len(row) else np.zeros(0, dtype=bool)
        els, row = els[last], row[last]
        out = np.full(rows, -1, dtype=np.int64)
        out[row] = np.arange(len(row))
        return self._text(els).take(pa.array(out, mask=out < 0))

    def _tables(
        self, kids: Ints, pseudonymise: Pseudonymiser
    ) -> tuple[dict[str, dict[str, pa.Array]], list[str | None]]:
        parent = self.parent
        grand = parent[np.maximum(parent, 0)]
        n = len(kids)
        tables: dict[str, dict[str, pa.Array]] = {}

        def key(values: Ints) -> pa.Array:
            return pa.array(values, type=pa.int32())

        # cin_child: fields anywhere in a child's identifiers and characteristics.
        child = {"child_seq": key(np.arange(1, n + 1))}
        for name, col in (("UPNunknown", "upn_unknown"), ("PersonBirthDate", "birth_date"),
                          ("ExpectedPersonBirthDate", "expected_birth_date"),
                          ("PersonDeathDate", "death_date"), ("Ethnicity", "ethnicity"),
                          ("LAchildID", "la_child_id"), ("UPN", "upn"),
                          ("FormerUPN", "former_upn")):  # fmt: skip
            child[col] = self._field(name, n, grand, "Child")
        sexes = np.sort(np.r_[self._of("Sex"), self._of("GenderCurrent")])
        row = self.ordinal[grand[sexes]]
        last = np.r_[row[1:] != row[:-1], True] if len(row) else np.zeros(0, dtype=bool)
        sexes, row = sexes[last], row[last]
        at = np.full(n, -1, dtype=np.int64)
        at[row] = np.arange(len(row))
        mask = at < 0
        child["sex"] = self._text(sexes).take(pa.array(at, mask=mask))
        field_names = np.where(self.el_names[sexes] == _ID["Sex"], "Sex", "GenderCurrent")
        child["sex_field"] = pa.array(field_names, type=pa.string()).take(pa.array(at, mask=mask))
        la_ids = child.pop("la_child_id").to_pylist()
        upns = child.pop("upn").to_pylist()
        former = child.pop("former_upn").to_pylist()
        child["child_id"] = pa.array(pseudonymise.many(la_ids), type=pa.string())
        child["la_child_id_length"] = pa.array(
            [None if i is None else len(i) for i in la_ids], type=pa.int32()
        )
        ok = _LA_CHILD_ID_OK.match
        child["la_child_id_alnum"] = pa.array(
            [None if i is None else ok(i) is not None for i in la_ids], type=pa.bool_()
        )
        child["upn_hash"] = pa.array(pseudonymise.many(upns, upper=True), type=pa.string())
        for c, v in _upn_columns(upns).items():
            child[c] = pa.array(v, type=pa.string() if c == "upn_la_code" else pa.bool_())
        child["former_upn_hash"] = pa.array(pseudonymise.many(former, upper=True), type=pa.string())
        child["former_upn_format_ok"] = pa.array(
            [None if u is None else upn_facts(u).all_ok for u in former], type=pa.bool_()
        )
        tables["cin_child"] = child

        # cin_disability: every <Disability>, counted per child.
        dis = self._of("Disability")
        of = self.ordinal[parent[grand[dis]]]
        tables["cin_disability"] = {
            "child_seq": key(of + 1),
            "disability_seq": key(_seq(of)),
            "disability": self._text(dis),
        }

        # cin_episode and the tables under it.
        eps, of, seq = self._rows("CINdetails", parent)
        m = len(eps)
        episode = {"child_seq": key(of + 1), "episode_seq": key(seq)}
        for name, col in (("CINreferralDate", "referral_date"),
                          ("ReferralSource", "referral_source"),
                          ("PrimaryNeedCode", "primary_need_code"),
                          ("CINclosureDate", "closure_date"),
                          ("ReasonForClosure", "reason_for_closure"),
                          ("DateOfInitialCPC", "initial_cpc_date"),
                          ("ReferralNFA", "referral_nfa")):  # fmt: skip
            episode[col] = self._field(name, m, parent, "CINdetails")
        tables["cin_episode"] = episode
        ep_child = of  # child ordinal of each episode
        ep_seq = seq

        def under(container: str, seq_col: str, fields: tuple[tuple[str, str], ...],
                  owner: Ints) -> dict[str, pa.Array]:  # fmt: skip
            els, e_of, s = self._rows(container, parent)
            cols = {
                "child_seq": key(ep_child[e_of] + 1),
                "episode_seq": key(ep_seq[e_of]),
                seq_col: key(s),
            }
            for name, col in fields:
                cols[col] = self._field(name, len(els), owner, container)
            return cols

        tables["cin_assessment"] = under(
            "Assessments", "assessment_seq",
            (("AssessmentActualStartDate", "start_date"),
             ("AssessmentAuthorisationDate", "authorisation_date")), parent,
        )  # fmt: skip
        assess_episode = self.ordinal[parent[self._of("Assessments")]]
        assess_seq = _seq(assess_episode)
        factors = self._of("AssessmentFactors")
        text = self._text(factors)
        keep = pc.is_valid(text).to_numpy(zero_copy_only=False)
        a_of = self.ordinal[grand[factors]][keep]
        tables["cin_assessment_factor"] = {
            "child_seq": key(ep_child[assess_episode[a_of]] + 1),
            "episode_seq": key(ep_seq[assess_episode[a_of]]),
            "assessment_seq": key(assess_seq[a_of]),
            "factor_seq": key(_seq(a_of)),
            "factor": text.filter(pa.array(keep)),
        }
        tables["cin_plan"] = under(
            "CINPlanDates", "plan_seq",
            (("CINPlanStartDate", "start_date"), ("CINPlanEndDate", "end_date")), parent,
        )  # fmt: skip
        tables["cin_section47"] = under(
            "Section47", "s47_seq",
            (("S47ActualStartDate", "start_date"), ("InitialCPCtarget", "icpc_target_date"),
             ("DateOfInitialCPC", "icpc_date"), ("ICPCnotRequired", "icpc_not_required")),
            parent,
        )  # fmt: skip
        tables["cin_cpp"] = under(
            "ChildProtectionPlans", "cpp_seq",
            (("CPPstartDate", "start_date"), ("CPPendDate", "end_date"),
             ("InitialCategoryOfAbuse", "initial_category"),
             ("LatestCategoryOfAbuse", "latest_category"),
             ("NumberOfPreviousCPP", "previous_cpp_count")), parent,
        )  # fmt: skip
        tables["cin_cpp_review"] = self._reviews(ep_child, ep_seq)
        return tables, la_ids

    def _reviews(self, ep_child: Ints, ep_seq: Ints) -> dict[str, pa.Array]:
        # One row per <CPPreviewDate>, and one (no date) per <Reviews> holding none,
        # numbered in document order within their plan.
        parent = self.parent
        groups = self._of("Reviews")
        dates = self._of("CPPreviewDate")
        holds = np.zeros(len(self.tag), dtype=bool)
        holds[parent[dates]] = True
        bare = groups[~holds[groups]]
        els = np.sort(np.r_[dates, bare])
        is_date = self.el_names[els] == _ID["CPPreviewDate"]
        group = np.where(is_date, parent[els], els)
        plan = self.ordinal[parent[group]]
        plan_episode = self.ordinal[parent[self._of("ChildProtectionPlans")]]
        plan_seq = _seq(plan_episode)
        text = self._text(els)
        text = pc.if_else(pa.array(is_date), text, pa.nulls(len(els), pa.string()))
        return {
            "child_seq": pa.array(ep_child[plan_episode[plan]] + 1, type=pa.int32()),
            "episode_seq": pa.array(ep_seq[plan_episode[plan]], type=pa.int32()),
            "cpp_seq": pa.array(plan_seq[plan], type=pa.int32()),
            "review_seq": pa.array(_seq(plan), type=pa.int32()),
            "review_date": text,
        }


def _seq(group: Ints) -> Ints:
    # 1-based place of each item within its group (groups are runs of equal values).
    n = len(group)
    if not n:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, group[1:] != group[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return np.arange(n) - first + 1
