"""Ofsted inspections in the warehouse: the ``inspection`` and ``judgement`` tables.

:func:`load_inspections` reads two sources from the snapshot:

1. ``ofsted_judgements.csv`` (made by ``cscwatch ofsted extract`` from the published
   report PDFs): every report, ``provenance = 'report'``;
2. ``ilacs_overview.xlsx`` (the ILACS overview of every authority's latest ILACS
   inspection, :mod:`cscwatch.ingest.ofsted_overview`): each inspection it lists
   that no report covers, ``provenance = 'overview'``. Where both hold an
   inspection (same authority; same first day on site, or same publication date,
   or overlapping days on site) the report wins: the overview's four known errors
   (docs/ofsted.md) never reach the warehouse.

``inspection``
    one row per inspection: ``inspection_id`` (reports 1.. in the file's order, then
    the overview's in the workbook's order), ``file`` (the report's path in the
    archive; for the overview, the report's address on files.ofsted.gov.uk),
    ``urn``, ``la_code``, ``framework`` (``legacy``/``sif``/``ilacs``), ``kind``,
    ``graded``, ``start_date``, ``end_date``, ``publication_date``, ``provenance``
    (``report``/``overview``), ``url`` (the overview's link to the report).
``judgement``
    one row per judgement: ``inspection_id``, ``judgement``, ``grade`` (snake_case,
    NULL where the report says "not judged" or the overview gives no grade),
    ``grade_rank`` (1 outstanding … 4 inadequate), ``grade_text`` (the words the
    source used; :data:`GRADE_NOT_GIVEN` where the overview leaves a grade out).

:func:`read_inspections` returns them as typed :class:`Inspection` objects for the
derived views in :mod:`cscwatch.indicators.judgements`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb

from cscwatch.core.errors import SchemaError, SourceFileError, WarehouseError
from cscwatch.core.records import plain
from cscwatch.ingest.ofsted_overview import OVERVIEW_FILE, OverviewInspection, read_ilacs_overview
from cscwatch.ingest.ofsted_reports import (
    JUDGEMENT_COLUMNS,
    JUDGEMENTS_FILE,
    load_provider_lookup,
)
from cscwatch.ingest.ofsted_text import GRADE_RANK, Framework, Grade, JudgementCode, ReportKind
from cscwatch.store.warehouse import BuildContext

__all__ = [
    "GRADE_NOT_GIVEN",
    "JUDGEMENTS_FILE",
    "OVERVIEW_FILE",
    "AuthorityPeriod",
    "Inspection",
    "InspectionView",
    "Provenance",
    "authority_names",
    "authority_periods",
    "has_inspection_tables",
    "inspection_ddl",
    "load_inspections",
    "read_inspections",
]

_DDL = (
    """
    CREATE TABLE inspection (
        inspection_id INTEGER PRIMARY KEY,
        file VARCHAR NOT NULL UNIQUE,
        urn VARCHAR,
        la_code VARCHAR,
        framework VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        graded BOOLEAN NOT NULL,
        start_date DATE,
        end_date DATE,
        publication_date DATE,
        provenance VARCHAR NOT NULL,
        url VARCHAR
    )""",
    """
    CREATE TABLE judgement (
        inspection_id INTEGER NOT NULL REFERENCES inspection (inspection_id),
        judgement VARCHAR NOT NULL,
        grade VARCHAR,
        grade_rank TINYINT,
        grade_text VARCHAR NOT NULL,
        PRIMARY KEY (inspection_id, judgement)
    )""",
)


#: ``grade_text`` of a judgement the overview lists without a grade (its cell says
#: "nan": Brent and Somerset, published 17 June 2026, overall effectiveness).
GRADE_NOT_GIVEN = "not given in the overview"


class Provenance(StrEnum):
    """Where an inspection in the warehouse comes from."""

    REPORT = "report"  # read from the published report (the archive)
    OVERVIEW = "overview"  # the ILACS overview; the report is not in the archive


def inspection_ddl() -> tuple[str, ...]:
    """The ``CREATE TABLE`` statements of the two tables."""
    return _DDL


@dataclass(frozen=True)
class Inspection:
    """One inspection and its graded judgements.

    ``judgements`` maps each judgement the source grades to its grade; judgements
    the report marks "not judged" are absent. ``unknown`` holds judgements the
    inspection made whose grade the source does not give (an overview row with an
    empty cell): they supersede earlier grades without giving one.
    ``provenance`` says whether the inspection was read from its report or taken
    from the ILACS overview (then ``url`` is the report to obtain).
    """

    inspection_id: int
    file: str
    urn: str | None
    la_code: str | None
    framework: Framework
    kind: ReportKind
    start_date: date | None
    end_date: date | None
    publication_date: date | None
    judgements: dict[JudgementCode, Grade] = field(default_factory=dict)
    provenance: Provenance = Provenance.REPORT
    url: str | None = None
    unknown: frozenset[JudgementCode] = frozenset()

    @property
    def graded(self) -> bool:
        """Whether the report grades anything."""
        return bool(self.judgements or self.unknown)

    def grade(self, judgement: JudgementCode) -> Grade | None:
        """The grade for ``judgement``, or ``None``."""
        return self.judgements.get(judgement)

    def view(self) -> InspectionView:
        """The inspection as every output shows it (CLI, API, pages' downloads)."""
        return InspectionView(
            inspection_id=self.inspection_id,
            la_code=self.la_code,
            framework=self.framework.value,
            kind=self.kind.value,
            start_date=self.start_date,
            end_date=self.end_date,
            publication_date=self.publication_date,
            provenance=self.provenance.value,
            file=self.file,
            url=self.url,
            judgements={k.value: g.value for k, g in self.judgements.items()},
            grades_not_given=sorted(k.value for k in self.unknown),
        )


@dataclass(frozen=True)
class InspectionView:
    """One published Ofsted inspection report and the grades it gave, in plain values.

    ``judgements`` maps judgement code to grade (snake_case words); ``grades_not_given``
    lists judgements made whose grade the source does not give. ``provenance`` is
    ``report`` (read from the report) or ``overview`` (from the ILACS overview; ``url``
    is then the report to obtain).
    """

    inspection_id: int
    la_code: str | None
    framework: str
    kind: str
    start_date: date | None
    end_date: date | None
    publication_date: date | None
    provenance: str
    file: str
    url: str | None
    judgements: dict[str, str]
    grades_not_given: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict, in field order."""
        out: dict[str, Any] = plain(self)
        return out


# -------------------------------------------------------------------------- loading

_Issue = tuple[int, str, str]  # row (header = 1), column, message


def _date(value: str, row: int, column: str, issues: list[_Issue]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        issues.append((row, column, "not an ISO date (YYYY-MM-DD)"))
        return None


def _parse(path: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Rows for ``inspection`` and ``judgement``, every problem collected first."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceFileError(f"cannot read: {exc}", path=str(path)) from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(header) != JUDGEMENT_COLUMNS:
        raise SchemaError(f"header is not {','.join(JUDGEMENT_COLUMNS)}", path=str(path), row=1)
    issues: list[_Issue] = []
    inspections: dict[str, tuple[object, ...]] = {}
    judgements: list[tuple[object, ...]] = []
    seen: set[tuple[str, str]] = set()
    for n, raw in enumerate(reader, start=2):
        if len(raw) != len(JUDGEMENT_COLUMNS):
            issues.append((n, "", f"{len(raw)} fields, expected {len(JUDGEMENT_COLUMNS)}"))
            continue
        r = dict(zip(JUDGEMENT_COLUMNS, raw, strict=True))
        if r["framework"] not in Framework.__members__.values():
            issues.append((n, "framework", "not legacy, sif or ilacs"))
        if r["kind"] not in ReportKind.__members__.values():
            issues.append((n, "kind", "unknown kind of report"))
        if r["la_code"] and not (r["la_code"].isdigit() and len(r["la_code"]) == 3):
            issues.append((n, "la_code", "not a three-digit LA number"))
        dates = [_date(r[c], n, c, issues) for c in ("start_date", "end_date", "publication_date")]
        if r["file"] not in inspections:
            inspections[r["file"]] = (
                len(inspections) + 1,
                r["file"],
                r["urn"] or None,
                r["la_code"] or None,
                r["framework"],
                r["kind"],
                *dates,
            )
        if not r["judgement"]:
            continue
        if r["judgement"] not in JudgementCode.__members__.values():
            issues.append((n, "judgement", "unknown judgement"))
            continue
        if r["grade"] and r["grade"] not in Grade.__members__.values():
            issues.append((n, "grade", "not one of the four grades"))
            continue
        if (r["file"], r["judgement"]) in seen:
            issues.append((n, "judgement", "judgement repeated for the same report"))
            continue
        seen.add((r["file"], r["judgement"]))
        grade = Grade(r["grade"]) if r["grade"] else None
        iid = inspections[r["file"]][0]
        rank = GRADE_RANK[grade] if grade else None
        judgements.append((iid, r["judgement"], r["grade"] or None, rank, r["grade_text"]))
    if issues:
        row, column, message = issues[0]
        more = f" (and {len(issues) - 1} more problems)" if len(issues) > 1 else ""
        raise SchemaError(message + more, path=str(path), row=row, column=column or None)
    graded = {j[0] for j in judgements if j[2] is not None}
    rows = [
        (*i[:6], i[0] in graded, *i[6:], Provenance.REPORT.value, None)
        for i in inspections.values()
    ]
    return rows, judgements


def _covered(o: OverviewInspection, reports: list[tuple[object, ...]]) -> bool:
    """Whether a report of the same authority is the overview's inspection."""
    for r in reports:
        if r[3] != o.la_code:
            continue
        start, end, pub = r[7], r[8], r[9]
        if o.start_date is not None and start == o.start_date:
            return True
        if pub == o.publication_date:
            return True
        if (
            o.start_date is not None
            and isinstance(start, date)
            and isinstance(end, date)
            and o.start_date <= end
            and start <= (o.end_date or o.start_date)
        ):
            return True
    return False


def _overview_rows(
    items: list[OverviewInspection], reports: list[tuple[object, ...]]
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Rows for the inspections of the overview that no report covers."""
    inspections: list[tuple[object, ...]] = []
    judgements: list[tuple[object, ...]] = []
    next_id = len(reports) + 1
    for o in items:
        if _covered(o, reports):
            continue
        iid = next_id
        next_id += 1
        inspections.append(
            (
                iid,
                o.url or f"{OVERVIEW_FILE}#row{o.row}",
                o.urn,
                o.la_code,
                Framework.ILACS.value,
                o.kind.value,
                True,
                o.start_date,
                o.end_date,
                o.publication_date,
                Provenance.OVERVIEW.value,
                o.url or None,
            )
        )
        for code in JudgementCode:
            if code in o.judgements:
                g = o.judgements[code]
                judgements.append((iid, code.value, g.value, GRADE_RANK[g], o.grade_text[code]))
            elif code in o.not_given:
                judgements.append((iid, code.value, None, None, GRADE_NOT_GIVEN))
    return inspections, judgements


def load_inspections(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Create and fill ``inspection`` and ``judgement`` from the snapshot.

    The reports' table is required; the ILACS overview is added when the snapshot
    has it (inspections no report covers, ``provenance = 'overview'``).

    Raises
    ------
    SourceFileError
        The file is missing or unreadable.
    SchemaError
        A row of either source breaks its schema (the first problem, with row and
        column, and how many more there are).
    """
    path = ctx.snapshot_dir / JUDGEMENTS_FILE
    if not path.exists():
        raise SourceFileError(
            "Ofsted judgements missing; run 'cscwatch ofsted extract'", path=str(path)
        )
    inspections, judgements = _parse(path)
    overview = ctx.snapshot_dir / OVERVIEW_FILE
    if overview.exists():
        more, more_judgements = _overview_rows(read_ilacs_overview(overview), inspections)
        inspections += more
        judgements += more_judgements
    for ddl in _DDL:
        con.execute(ddl)
    # executemany is slow in DuckDB, and pandas costs a third of a second to import:
    # insert each table in one statement, one list parameter per column, unnested.
    for table, rows in (("inspection", inspections), ("judgement", judgements)):
        if not rows:
            continue
        width = len(rows[0])
        columns = [[r[k] for r in rows] for k in range(width)]
        unnest = ", ".join(f"unnest(${k + 1})" for k in range(width))
        con.execute(f"INSERT INTO {table} SELECT * FROM (SELECT {unnest})", columns)
    ctx.row_counts["inspection"] = len(inspections)
    ctx.row_counts["judgement"] = len(judgements)


# -------------------------------------------------------------------------- reading


def has_inspection_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has the ``inspection`` and ``judgement`` tables."""
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name IN ('inspection', 'judgement')"
    ).fetchone()
    return bool(rows and rows[0] == 2)


def read_inspections(
    con: duckdb.DuckDBPyConnection, *, la_code: str | None = None
) -> list[Inspection]:
    """Every inspection (or one authority's), oldest first, with its judgements.

    Raises
    ------
    WarehouseError
        When the warehouse has no inspection tables (run ``cscwatch build``).
    """
    if not has_inspection_tables(con):
        raise WarehouseError("the warehouse has no Ofsted inspection tables; run 'cscwatch build'")
    where, params = ("WHERE i.la_code = ?", [la_code]) if la_code else ("", [])
    rows = con.execute(
        f"""
        SELECT i.inspection_id, i.file, i.urn, i.la_code, i.framework, i.kind,
               i.start_date, i.end_date, i.publication_date, j.judgement, j.grade,
               j.grade_text, i.provenance, i.url
        FROM inspection i LEFT JOIN judgement j USING (inspection_id)
        {where}
        ORDER BY i.inspection_id
        """,
        params,
    ).fetchall()
    order = {c.value: i for i, c in enumerate(JudgementCode)}
    rows.sort(key=lambda r: (r[0], order.get(r[9], -1)))  # judgements in a fixed order
    out: dict[int, Inspection] = {}
    unknown: dict[int, set[JudgementCode]] = {}
    for iid, file, urn, code, fw, kind, start, end, pub, judgement, grade, text, prov, url in rows:
        if iid not in out:
            out[iid] = Inspection(
                inspection_id=iid,
                file=file,
                urn=urn,
                la_code=code,
                framework=Framework(fw),
                kind=ReportKind(kind),
                start_date=start,
                end_date=end,
                publication_date=pub,
                provenance=Provenance(prov),
                url=url,
            )
        if judgement is not None and grade is not None:
            out[iid].judgements[JudgementCode(judgement)] = Grade(grade)
        elif judgement is not None and text == GRADE_NOT_GIVEN:
            unknown.setdefault(iid, set()).add(JudgementCode(judgement))
    for iid, codes in unknown.items():
        out[iid] = replace(out[iid], unknown=frozenset(codes))
    return sorted(
        out.values(),
        key=lambda i: (i.publication_date or date.max, i.end_date or date.max, i.inspection_id),
    )


def authority_names(con: duckdb.DuckDBPyConnection | None, snapshot_dir: Path) -> dict[str, str]:
    """LA number → name: from the warehouse's ``authority`` table when it has one,
    else from the snapshot's ``provider_lookup.csv``."""
    if con is not None:
        has = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'authority'"
        ).fetchone()
        if has and has[0]:
            rows = con.execute("SELECT la_code, name FROM authority").fetchall()
            return {str(c): str(n) for c, n in rows}
    lookup = load_provider_lookup(snapshot_dir / "provider_lookup.csv")
    return {code: name for code, name in lookup.by_urn.values()}


@dataclass(frozen=True)
class AuthorityPeriod:
    """An authority and the reporting years it had children's services.

    ``first_year`` is set only for an authority created by a reorganisation (the
    first reporting year of the successor); ``last_year`` for one abolished by one.
    Years name the year ending 31 March, as everywhere in cscwatch.
    """

    la_code: str
    name: str
    first_year: int | None = None
    last_year: int | None = None

    def exists_on(self, day: date) -> bool:
        """Whether the authority existed on ``day`` (reorganisations take effect 1 April)."""
        year = day.year + 1 if day.month >= 4 else day.year
        return (self.first_year is None or self.first_year <= year) and (
            self.last_year is None or year <= self.last_year
        )


def authority_periods(
    con: duckdb.DuckDBPyConnection | None, snapshot_dir: Path
) -> list[AuthorityPeriod]:
    """Every authority with the years it existed, by LA number.

    From the warehouse's ``authority`` and ``authority_succession`` tables when it has
    them (former authorities included: Dorset 835, Northamptonshire, Cumbria …), else
    from the snapshot's ``provider_lookup.csv`` with the reorganisations declared in
    :data:`cscwatch.store.published.SUCCESSIONS`.
    """
    if con is not None:
        has = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_name IN ('authority', 'authority_succession')"
        ).fetchone()
        if has and has[0] == 2:
            rows = con.execute(
                """
                SELECT a.la_code, a.name,
                       CASE WHEN a.la_code IN (SELECT successor FROM authority_succession)
                            THEN a.first_year END,
                       a.last_year
                FROM authority a ORDER BY a.la_code
                """
            ).fetchall()
            return [
                AuthorityPeriod(
                    str(c), str(n), None if f is None else int(f), None if t is None else int(t)
                )
                for c, n, f, t in rows
            ]
    from cscwatch.store.published import SUCCESSIONS

    first = {s: y for _, s, y, _ in SUCCESSIONS}
    last = {p: y - 1 for p, _, y, _ in SUCCESSIONS}
    names = authority_names(None, snapshot_dir)
    return [AuthorityPeriod(c, n, first.get(c), last.get(c)) for c, n in sorted(names.items())]
