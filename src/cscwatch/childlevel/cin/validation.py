"""Validation of CIN census returns against the DfE rules, as set operations in DuckDB.

Every rule of the chosen ruleset (:mod:`cscwatch.childlevel.cin.rules`) is one SQL query
over the child-level tables; all of them run as a single ``UNION ALL`` so the whole
return is checked in one pass, never a Python loop over children. Each issue names the
rule (official code and message), the child (pseudonym and its position in the file,
``child_seq``), the table and record that hold the failing field, the field, and the
failing value (for the authority to find and fix it; reports are shown, never stored).
The authority's own ``LAchildID`` is attached only when the caller kept the in-memory
map for a report shown on the authority's own machine.

Rulesets: ``cin2022_23``, ``cin2023_24``, ``cin2024_25``, ``cin2025_26`` (collection
years; 2025-26 runs the 2024-25 rules with reference date 31 March 2026). The census
period is 1 April to 31 March of the ruleset's year; working-day rules count Monday to
Friday excluding England and Wales bank holidays. There is no fallback: a year with no
ruleset, or a return whose ``<ReferenceDate>`` lies in another collection year than the
ruleset chosen for it, is an :class:`~cscwatch.core.errors.InputError`. The one
exception is asked for by name: a ruleset named for a child store
(:func:`validate_store`) is applied to every stored year, each report saying so.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from cscwatch.childlevel.cin.rules import RULESETS, Rule, rules_for
from cscwatch.childlevel.cin.rules.working_days import working_days_before
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError, ValidationFailed
from cscwatch.core.progress import ProgressCallback, tick
from cscwatch.core.types import parse_year

if TYPE_CHECKING:
    import pandas as pd

    from cscwatch.childlevel.cin.census import CinCensusReturn
    from cscwatch.childlevel.pseudonym import Pseudonymiser

__all__ = [
    "FORMAT_RULE",
    "CensusPeriod",
    "ValidationIssue",
    "ValidationReport",
    "census_period",
    "issue_columns",
    "parse_ruleset",
    "ruleset_fits",
    "ruleset_for_year",
    "validate_cin_census",
    "validate_cin_census_files",
    "validate_loaded",
    "validate_many",
    "validate_returns",
    "validate_store",
]

#: The code given to a value that is present but not of its declared type (a date that
#: is not ``YYYY-MM-DD``, a flag that is not true/false/1/0): the schema check the DfE
#: collection system makes before its rules.
FORMAT_RULE = "format"

_VIEWS = {
    "v_return": "cin_return",
    "v_child": "cin_child",
    "v_disability": "cin_disability",
    "v_episode": "cin_episode",
    "v_assessment": "cin_assessment",
    "v_factor": "cin_assessment_factor",
    "v_plan": "cin_plan",
    "v_s47": "cin_section47",
    "v_cpp": "cin_cpp",
    "v_review": "cin_cpp_review",
}


@dataclass(frozen=True)
class CensusPeriod:
    """The dates a ruleset checks against."""

    ruleset: str
    period_start: date
    reference_date: date
    start_minus_1wd: date
    ref_minus_15wd: date
    ref_minus_45wd: date


@dataclass(frozen=True, kw_only=True)
class ValidationIssue:
    """One failing record.

    ``table`` and ``record`` name the record that holds the failing field (for a rule
    that checks several tables, the one this finding is on). ``value`` is the failing
    field's value on that record as text, None when it is absent (the failure is that
    it is missing), when the rule counts over the return, or when the field is an
    identifier (pseudonymised on reading: an ``LAchildID`` is shown only as
    ``la_child_id``, in a report on the authority's own file).
    ``la_child_id`` is the authority's own identifier, present only in a report made
    with ``keep_child_refs`` on the authority's own file; it is never stored.
    The fields' order is the column order of every tabular output (:func:`issue_columns`).
    """

    rule: str
    rule_type: str
    message: str
    child_seq: int | None
    la_child_id: str | None = None
    child_id: str | None
    table: str
    field: str
    record: str
    value: str | None = None

    @property
    def is_error(self) -> bool:
        """True for an error (as opposed to a query)."""
        return self.rule_type == "Error"


def issue_columns(with_refs: bool = False) -> list[str]:
    """The columns of a tabular issue list: :class:`ValidationIssue`'s fields in order,
    the authority's own ``la_child_id`` only ``with_refs``."""
    return [
        f.name for f in dataclasses.fields(ValidationIssue) if with_refs or f.name != "la_child_id"
    ]


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one return."""

    return_id: str
    ruleset: str
    rules_run: tuple[str, ...]
    issues: tuple[ValidationIssue, ...]
    children: int
    referrals: int
    seconds: float = 0.0
    path: Path | None = field(default=None, compare=False)
    #: The return's own collection year (e.g. ``2016-17``) when, at the user's request,
    #: ``ruleset`` is another year's rules applied to it (its own year's dates); None
    #: when the rules are its own year's.
    applied_to: str | None = None

    @property
    def at_request(self) -> str | None:
        """``rules of 2022-23 applied to 2016-17 returns at your request``, or None."""
        if self.applied_to is None:
            return None
        return (
            f"rules of {_label(self.ruleset)} applied to {self.applied_to} returns at your request"
        )

    @property
    def errors(self) -> int:
        """Number of issues of type Error."""
        return sum(1 for i in self.issues if i.is_error)

    @property
    def queries(self) -> int:
        """Number of issues of type Query."""
        return len(self.issues) - self.errors

    @property
    def has_errors(self) -> bool:
        """True when at least one error (not query) was found."""
        return any(i.is_error for i in self.issues)

    def raise_for_errors(self) -> None:
        """Raise :class:`ValidationFailed` (carrying the issues) when there are errors.

        For pipelines that must not go on with an invalid return; the CLI instead
        reports and exits 1.
        """
        if self.has_errors:
            codes = ", ".join(sorted({i.rule for i in self.issues if i.is_error}))
            exc = ValidationFailed(
                f"return {self.return_id} has {self.errors} validation errors "
                f"({self.ruleset}); rules: {codes}"
            )
            exc.issues = self.issues  # type: ignore[attr-defined]
            raise exc

    def counts_by_rule(self) -> dict[str, int]:
        """Issues per rule code, in rule order."""
        return dict(Counter(i.rule for i in self.issues))

    def to_frame(self) -> pd.DataFrame:
        """One row per issue (``la_child_id`` column only when it was kept)."""
        import pandas as pd

        cols = issue_columns(any(i.la_child_id is not None for i in self.issues))
        return pd.DataFrame([{c: getattr(i, c) for c in cols} for i in self.issues], columns=cols)


def parse_ruleset(text: str) -> str:
    """``2024-25``, ``2025``, ``202425`` or ``cin2024_25`` → ``cin2024_25``.

    Raises
    ------
    InputError
        Not a year, or no ruleset for it.
    """
    t = text.strip().lower()
    if t in RULESETS:
        return t
    return ruleset_for_year(parse_year(t.removeprefix("cin").replace("_", "-")).end)


def ruleset_for_year(year: int) -> str:
    """The ruleset for the collection year ending 31 March ``year``.

    Raises
    ------
    InputError
        No ruleset for that year (never the nearest one instead: a year's rules run
        against that year's dates).
    """
    name = f"cin{year - 1}_{year % 100:02d}"
    if name not in RULESETS:
        known = ", ".join(_label(r) for r in RULESETS)
        raise InputError(
            f"no CIN census ruleset for {year - 1}-{year % 100:02d}: known rulesets are {known}"
        )
    return name


def _label(ruleset: str) -> str:
    # cin2024_25 → 2024-25
    return ruleset[3:].replace("_", "-")


def ruleset_fits(ruleset: str, reference_date: str | None, name: str) -> None:
    """Raise :class:`InputError` when a valid ``<ReferenceDate>`` is outside ``ruleset``'s year.

    A missing or unreadable date is left to rule 100, which reports it; a valid date in
    another collection year would move every date window by a year, so it is refused.
    """
    try:
        ref = date.fromisoformat((reference_date or "").strip())
    except ValueError:
        return
    period = census_period(ruleset)
    if not period.period_start <= ref <= period.reference_date:
        raise InputError(
            f"{name}: its ReferenceDate {ref.isoformat()} is not in the {_label(ruleset)} "
            f"collection year ({period.period_start.isoformat()} to "
            f"{period.reference_date.isoformat()}); choose the ruleset of its year"
        )


def census_period(ruleset: str, year: int | None = None) -> CensusPeriod:
    """The census period and working-day cut-offs of ``ruleset``.

    ``year`` (the collection year, ending 31 March) gives the period of a return whose
    ruleset was carried forward from an earlier year (a 2027-28 return checked with the
    newest rules); by default the ruleset's own year.
    """
    end_year = year if year is not None else int(ruleset[3:7]) + 1
    ref = date(end_year, 3, 31)
    start = date(end_year - 1, 4, 1)
    return CensusPeriod(
        ruleset=ruleset,
        period_start=start,
        reference_date=ref,
        start_minus_1wd=working_days_before(start, 1),
        ref_minus_15wd=working_days_before(ref, 15),
        ref_minus_45wd=working_days_before(ref, 45),
    )


def _prepare(con: duckdb.DuckDBPyConnection, return_ids: list[str], period: CensusPeriod) -> bool:
    # The census table and the rules' views; True when every loaded return is checked
    # (then the views filter nothing, and the rules may read the tables themselves).
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE census AS
        SELECT return_id, reference_date AS header_reference_date,
               ?::DATE AS period_start, ?::DATE AS reference_date,
               ?::DATE AS start_minus_1wd, ?::DATE AS ref_minus_15wd,
               ?::DATE AS ref_minus_45wd
        FROM cin_return WHERE list_contains(?::VARCHAR[], return_id)
        """,
        [
            period.period_start,
            period.reference_date,
            period.start_minus_1wd,
            period.ref_minus_15wd,
            period.ref_minus_45wd,
            return_ids,
        ],
    )
    found = con.execute("SELECT count(*) FROM census").fetchall()[0][0]
    if found != len(set(return_ids)):
        raise InputError("a return to validate is not loaded")
    total = con.execute("SELECT count(*) FROM cin_return").fetchall()[0][0]
    # When every loaded return is being checked, the views need no filter (cheaper).
    where = "" if total == found else " WHERE return_id IN (SELECT return_id FROM census)"
    for view, table in _VIEWS.items():
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {table}{where}")
    return not where


#: A rule's reference to one of the views of :data:`_VIEWS`.
_VIEW_NAME = re.compile(r"\b(" + "|".join(_VIEWS) + r")\b")


def _unfiltered(sql: str) -> str:
    # The rules over the tables themselves, for when the views would filter nothing:
    # DuckDB binds a view again at every reference (the 2024-25 rules make 167), about
    # a fifth of the pass over a small return. The same rows come back.
    return _VIEW_NAME.sub(lambda m: _VIEWS[m.group(1)], sql)


def _union(rules: list[Rule]) -> str:
    parts = [
        f"SELECT '{r.code}' AS code, return_id, child_seq, record, tbl, "
        f"NULL AS fld, NULL AS expected, value FROM ({r.sql}) AS r{n}"
        for n, r in enumerate(rules)
    ]
    parts.append(
        f"SELECT '{FORMAT_RULE}', return_id, child_seq, record, table_name, field, expected, "
        "value FROM cin_format_issue WHERE return_id IN (SELECT return_id FROM census)"
    )
    body = "\nUNION ALL\n".join(parts)
    return f"""
        SELECT i.return_id, i.code, i.child_seq, c.child_id, i.record, i.tbl, i.fld,
               i.expected, i.value
        FROM ({body}) AS i
        LEFT JOIN v_child c ON c.return_id = i.return_id AND c.child_seq = i.child_seq
        ORDER BY i.return_id, i.child_seq NULLS FIRST, i.code, i.record
    """


def _rows(cur: duckdb.DuckDBPyConnection, size: int = 50_000) -> Iterator[tuple[Any, ...]]:
    # A result's rows a batch at a time: never every finding twice over (as tuples and
    # as issues) when a national set of returns has many.
    while batch := cur.fetchmany(size):
        yield from batch


def validate_loaded(
    con: duckdb.DuckDBPyConnection,
    return_id: str,
    ruleset: str,
    *,
    child_refs: tuple[str | None, ...] | None = None,
    rules: list[Rule] | None = None,
    year: int | None = None,
) -> ValidationReport:
    """Validate one return already loaded in ``con`` (child store or in-memory).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Holds the child-level tables; temporary views are created on it.
    return_id : str
        The return to check.
    ruleset : str
        ``cin2022_23``, ``cin2023_24`` or ``cin2024_25``.
    child_refs : tuple, optional
        The raw ``LAchildID`` by position, to show the authority its own references.
    rules : list of Rule, optional
        Overrides the ruleset's rules (tests run one rule at a time).
    year : int, optional
        The collection year whose dates to check against (:func:`census_period`).
    """
    refs = {return_id: child_refs} if child_refs is not None else None
    return validate_many(con, [return_id], ruleset, child_refs=refs, rules=rules, year=year)[
        return_id
    ]


def validate_many(
    con: duckdb.DuckDBPyConnection,
    return_ids: list[str],
    ruleset: str,
    *,
    child_refs: dict[str, tuple[str | None, ...]] | None = None,
    rules: list[Rule] | None = None,
    year: int | None = None,
) -> dict[str, ValidationReport]:
    """Validate many loaded returns against one ruleset in a single pass.

    The rules run once over all of them (each rule's SQL is keyed by ``return_id``),
    which is how a national-scale set of returns is checked quickly. ``year`` is the
    collection year whose dates they are checked against (:func:`census_period`).

    Returns
    -------
    dict of return_id → ValidationReport, in the order given.
    """
    import time

    t0 = time.perf_counter()
    period = census_period(ruleset, year)
    chosen = rules if rules is not None else rules_for(ruleset)
    by_code = {r.code: r for r in chosen}
    every = _prepare(con, return_ids, period)
    sizes = {
        rid: (int(nc), int(ne))
        for rid, nc, ne in con.execute(
            """
            SELECT h.return_id,
                   (SELECT count(*) FROM v_child c WHERE c.return_id = h.return_id),
                   (SELECT count(*) FROM v_episode e WHERE e.return_id = h.return_id)
            FROM census h
            """
        ).fetchall()
    }
    found: dict[str, list[ValidationIssue]] = {rid: [] for rid in return_ids}
    for rid, code, child_seq, child_id, record, tbl, fld, expected, value in _rows(
        con.execute(_unfiltered(_union(chosen)) if every else _union(chosen))
    ):
        refs = child_refs.get(rid) if child_refs is not None else None
        ref = None
        if refs is not None and child_seq is not None and 0 < child_seq <= len(refs):
            ref = refs[child_seq - 1]
        if code == FORMAT_RULE:
            issue = ValidationIssue(
                rule=FORMAT_RULE,
                rule_type="Error",
                message=f"Value present but not valid: expected {expected}",
                table=tbl,
                field=fld,
                record=record,
                child_seq=child_seq,
                child_id=child_id,
                la_child_id=ref,
                value=value,
            )
        else:
            r = by_code[code]
            issue = ValidationIssue(
                rule=r.code,
                rule_type=r.rule_type,
                message=r.message,
                table=tbl,
                field=r.field,
                record=record,
                child_seq=child_seq,
                child_id=child_id,
                la_child_id=ref,
                value=ref if r.field == "LAchildID" else value,
            )
        found[rid].append(issue)
    seconds = time.perf_counter() - t0
    return {
        rid: ValidationReport(
            return_id=rid,
            ruleset=ruleset,
            rules_run=tuple(r.code for r in chosen),
            issues=tuple(found[rid]),
            children=sizes[rid][0],
            referrals=sizes[rid][1],
            seconds=seconds,
        )
        for rid in return_ids
    }


def validate_cin_census(
    path: Path | str,
    settings: Settings,
    *,
    ruleset: str | None = None,
    keep_child_refs: bool = False,
    pseudonymiser: Pseudonymiser | None = None,
) -> ValidationReport:
    """Read a CIN census XML file into an in-memory database and validate it.

    Parameters
    ----------
    path : Path or str
        The return.
    settings : Settings
        Supplies the pseudonym key.
    ruleset : str, optional
        As :func:`parse_ruleset` accepts; by default the ruleset of the collection year
        of the file's ``<ReferenceDate>``. No ruleset for that year, no readable date
        and no ``ruleset``, or a readable date outside the chosen ruleset's year, is an
        :class:`InputError`.
    keep_child_refs : bool
        Attach the authority's own ``LAchildID`` to each issue (interactive use on the
        authority's own file only; nothing is stored).
    pseudonymiser : Pseudonymiser, optional
        Overrides the key from ``settings``.

    Raises
    ------
    SourceFileError
        Unreadable, malformed or hostile XML.
    ConfigError
        No pseudonym key for a file not marked synthetic.
    InputError
        Unknown ruleset, or the file's ``<ReferenceDate>`` does not fit it.
    """
    from cscwatch.childlevel.cin.store import connect_scratch, load_cin_census

    chosen = parse_ruleset(ruleset) if ruleset is not None else None
    con = connect_scratch(settings)
    try:
        parsed = load_cin_census(
            con, path, settings, pseudonymiser=pseudonymiser, keep_child_refs=keep_child_refs
        )
        rs, year = _group_of(
            chosen, parsed.header.collection_year, parsed.header.reference_date, Path(path).name
        )
        report = validate_loaded(con, parsed.return_id, rs, child_refs=parsed.child_refs, year=year)
    finally:
        con.close()
    return ValidationReport(
        return_id=report.return_id,
        ruleset=report.ruleset,
        rules_run=report.rules_run,
        issues=report.issues,
        children=report.children,
        referrals=report.referrals,
        seconds=report.seconds,
        path=Path(path),
    )


def _ruleset_of(year: int | None, name: str) -> str:
    # The ruleset for a file's collection year; no year (missing or invalid
    # ReferenceDate) needs --ruleset rather than a guess.
    if year is None:
        raise InputError(
            f"{name}: the ReferenceDate is missing or not a date, so its collection year "
            "is unknown; pass --ruleset to check it against the rules of a year"
        )
    try:
        return ruleset_for_year(year)
    except InputError as exc:
        raise InputError(f"{name}: {exc}") from None


def _group_of(
    chosen: str | None, year: int | None, reference_date: str | None, name: str
) -> tuple[str, int | None]:
    # (ruleset, collection year of the dates) for one return: a chosen ruleset must fit
    # the return's <ReferenceDate> and keeps its own dates; otherwise the ruleset of the
    # return's own collection year (never the nearest one instead).
    if chosen is not None:
        ruleset_fits(chosen, reference_date, name)
        return chosen, None
    return _ruleset_of(year, name), year


def validate_cin_census_files(
    paths: Sequence[Path | str],
    settings: Settings,
    *,
    ruleset: str | None = None,
    pseudonymiser: Pseudonymiser | None = None,
    workers: int | None = None,
    keep_child_refs: bool = False,
    progress: ProgressCallback | None = None,
) -> list[ValidationReport]:
    """Validate many returns in one process: read (in parallel), load, check in one pass.

    Each file is checked against ``ruleset`` or, by default, the ruleset of its own
    collection year; returns of the same ruleset are checked together by
    :func:`validate_many`. Identical files are checked once and reported for each path.
    With ``keep_child_refs`` each issue carries the authority's own ``LAchildID`` (held
    in memory for the report, never stored). ``progress`` is told as files are read and
    as each ruleset's pass finishes.

    Returns
    -------
    list of ValidationReport, one per path, in the order given.

    Raises
    ------
    SourceFileError, ConfigError, InputError
        As :func:`validate_cin_census`; the first bad file stops the run.
    """
    from cscwatch.childlevel.cin.store import connect_scratch, load_cin_census_files

    if ruleset is not None:
        parse_ruleset(ruleset)  # an unknown ruleset fails before anything is read
    con = connect_scratch(settings)
    try:
        loaded = load_cin_census_files(
            con,
            paths,
            settings,
            pseudonymiser=pseudonymiser,
            workers=workers,
            keep_child_refs=keep_child_refs,
            progress=progress,
        )
        return validate_returns(con, loaded, ruleset=ruleset, progress=progress)
    finally:
        con.close()


def validate_returns(
    con: duckdb.DuckDBPyConnection,
    loaded: Sequence[CinCensusReturn],
    *,
    ruleset: str | None = None,
    progress: ProgressCallback | None = None,
) -> list[ValidationReport]:
    """Validate returns already read and loaded into ``con``, one pass per ruleset.

    For callers that load once and then do more with the same database (``cscwatch
    cin check`` computes the measures on it too).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Holds the loaded returns.
    loaded : sequence of CinCensusReturn
        As :func:`cscwatch.childlevel.cin.store.load_cin_census` or
        :func:`~cscwatch.childlevel.cin.store.load_cin_census_files` gave them; a return's
        ``child_refs``, when kept, are attached to its issues.
    ruleset : str, optional
        As :func:`parse_ruleset` accepts; by default each return's own collection year.
    progress : ProgressCallback, optional
        Told as each ruleset's pass finishes (stage "checking rules").

    Returns
    -------
    list of ValidationReport, one per return given, in order (with its path).
    """
    chosen = parse_ruleset(ruleset) if ruleset is not None else None
    groups: dict[tuple[str, int | None], list[str]] = {}
    refs: dict[str, tuple[str | None, ...]] = {}
    for r in loaded:
        key = _group_of(chosen, r.header.collection_year, r.header.reference_date, r.path.name)
        if r.return_id not in groups.setdefault(key, []):
            groups[key].append(r.return_id)
        if r.child_refs is not None:
            refs[r.return_id] = r.child_refs
    reports: dict[str, ValidationReport] = {}
    for rs, year in tick(list(groups), progress, "checking rules"):
        reports.update(validate_many(con, groups[rs, year], rs, child_refs=refs or None, year=year))
    return [replace(reports[r.return_id], path=r.path) for r in loaded]


def validate_store(
    con: duckdb.DuckDBPyConnection,
    *,
    ruleset: str | None = None,
    progress: ProgressCallback | None = None,
) -> list[ValidationReport]:
    """Validate every return loaded in a child store, without reading any XML again.

    ``cscwatch cin load`` once, then ``cin validate --child-store`` and ``cin measures
    --child-store`` work from the loaded tables. Returns of one ruleset are checked in
    one pass. The authority's own ``LAchildID`` is never stored, so these reports never
    carry it.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The child store (it may be opened read-only: only temporary views are made).
    ruleset : str, optional
        As :func:`parse_ruleset` accepts. By default each return is checked against
        its own collection year's ruleset, and a year without one (before 2022-23) is
        refused. A ruleset named here is applied to every stored return: to returns of
        other years with their own year's census period and working-day cut-offs, each
        such report saying so (:attr:`ValidationReport.applied_to`, ``at_request``:
        "rules of 2022-23 applied to 2016-17 returns at your request"), so a store of
        many years can be checked as a whole; those findings are the named year's
        rules, not the DfE's checks of that year.
    progress : ProgressCallback, optional
        Told as each ruleset's pass finishes (stage "checking rules").

    Returns
    -------
    list of ValidationReport, by authority and year (``path`` is None).

    Raises
    ------
    InputError
        Nothing is loaded, or (no ruleset named) a return's year has no ruleset or its
        ``<ReferenceDate>`` is missing or not a date.
    """
    chosen = parse_ruleset(ruleset) if ruleset is not None else None
    rows = con.execute(
        "SELECT return_id, collection_year, la_code, CAST(reference_date AS VARCHAR) "
        "FROM cin_return ORDER BY la_code, collection_year, return_id"
    ).fetchall()
    if not rows:
        raise InputError("no returns loaded in the child store")
    groups: dict[tuple[str, int | None], list[str]] = {}
    for rid, year, la, ref in rows:
        if chosen is None:
            key = _group_of(None, year, ref, f"return {rid} (LA {la})")
        else:
            key = _applied(chosen, year)
        groups.setdefault(key, []).append(rid)
    reports: dict[str, ValidationReport] = {}
    for rs, period_year in tick(list(groups), progress, "checking rules"):
        done = validate_many(con, groups[rs, period_year], rs, year=period_year)
        if chosen is not None and period_year is not None:
            label = f"{period_year - 1}-{period_year % 100:02d}"
            done = {rid: replace(r, applied_to=label) for rid, r in done.items()}
        reports.update(done)
    return [reports[rid] for rid, *_ in rows]


def _applied(chosen: str, year: int | None) -> tuple[str, int | None]:
    # A named ruleset on a stored return: its own year's rules as usual; another year's
    # rules with the return's own census period (dates), marked as at the user's
    # request. An unreadable ReferenceDate keeps the ruleset's dates (rule 100 reports it).
    own = int(chosen[3:7]) + 1
    return chosen, None if year is None or year == own else year
