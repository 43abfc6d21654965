"""Ofsted inspections in the warehouse: the ``inspection`` and ``judgement`` tables.

:func:`load_inspections` reads the bundled ``ofsted_judgements.csv`` (made by
``cscwatch ofsted extract`` from the published report PDFs) and fills

``inspection``
    one row per report: ``inspection_id`` (1.. in the file's order), ``file``,
    ``urn``, ``la_code``, ``framework`` (``legacy``/``sif``/``ilacs``), ``kind``,
    ``graded``, ``start_date``, ``end_date``, ``publication_date``.
``judgement``
    one row per judgement: ``inspection_id``, ``judgement``, ``grade`` (snake_case,
    NULL where the report says "not judged"), ``grade_rank`` (1 outstanding … 4
    inadequate), ``grade_text`` (the words the report used).

:func:`read_inspections` returns them as typed :class:`Inspection` objects for the
derived views in :mod:`cscwatch.indicators.judgements`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from cscwatch.core.errors import SchemaError, SourceFileError, WarehouseError
from cscwatch.ingest.ofsted_reports import (
    JUDGEMENT_COLUMNS,
    JUDGEMENTS_FILE,
    load_provider_lookup,
)
from cscwatch.ingest.ofsted_text import GRADE_RANK, Framework, Grade, JudgementCode, ReportKind
from cscwatch.store.warehouse import BuildContext

__all__ = [
    "JUDGEMENTS_FILE",
    "Inspection",
    "authority_names",
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
        publication_date DATE
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


def inspection_ddl() -> tuple[str, ...]:
    """The ``CREATE TABLE`` statements of the two tables."""
    return _DDL


@dataclass(frozen=True)
class Inspection:
    """One inspection report and its graded judgements.

    ``judgements`` maps each judgement the report grades to its grade; judgements
    the report marks "not judged" are absent.
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

    @property
    def graded(self) -> bool:
        """Whether the report grades anything."""
        return bool(self.judgements)

    def grade(self, judgement: JudgementCode) -> Grade | None:
        """The grade for ``judgement``, or ``None``."""
        return self.judgements.get(judgement)


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
    rows = [(*i[:6], i[0] in graded, *i[6:]) for i in inspections.values()]
    return rows, judgements


def load_inspections(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Create and fill ``inspection`` and ``judgement`` from the snapshot.

    Raises
    ------
    SourceFileError
        The file is missing or unreadable.
    SchemaError
        A row breaks the table's schema (the first problem, with row and column, and
        how many more there are).
    """
    path = ctx.snapshot_dir / JUDGEMENTS_FILE
    if not path.exists():
        raise SourceFileError(
            "Ofsted judgements missing; run 'cscwatch ofsted extract'", path=str(path)
        )
    inspections, judgements = _parse(path)
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
               i.start_date, i.end_date, i.publication_date, j.judgement, j.grade
        FROM inspection i LEFT JOIN judgement j USING (inspection_id)
        {where}
        ORDER BY i.inspection_id
        """,
        params,
    ).fetchall()
    order = {c.value: i for i, c in enumerate(JudgementCode)}
    rows.sort(key=lambda r: (r[0], order.get(r[9], -1)))  # judgements in a fixed order
    out: dict[int, Inspection] = {}
    for iid, file, urn, code, fw, kind, start, end, pub, judgement, grade in rows:
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
            )
        if judgement is not None and grade is not None:
            out[iid].judgements[JudgementCode(judgement)] = Grade(grade)
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
