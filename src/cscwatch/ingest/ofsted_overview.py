"""The ILACS overview: the latest inspection of every authority, one row each, as Data
to Insight compiles it from Ofsted's published reports.

``ilacs_overview.xlsx`` (bundled in the snapshot) lists, for each local authority,
its latest inspection under the ILACS framework: Ofsted URN, DfE LA number, the first
and last day on site (``dd/mm/yyyy``), the publication date (``dd/mm/yy``), short or
standard, the five grades in lower-case words and a link to the report. It is the
second source of judgements, beside the report archive: the warehouse takes from it
the inspections whose report the archive lacks (``store/inspections.py``).

:func:`read_ilacs_overview` checks every row against the declared columns and
collects every problem before raising one :class:`~cscwatch.core.errors.SchemaError`
(first problem with row and column, and how many more).

Reading rules
-------------
* Grades: ``outstanding``, ``good``, ``requires improvement``, ``inadequate``.
  ``inspection_pre_dates_judgement`` (care leavers before January 2023) means "not
  graded separately". An empty cell, ``None`` or ``nan`` means the overview does not
  give the grade (Brent and Somerset, published 17 June 2026, have no overall
  effectiveness grade): the judgement is listed in ``not_given``, never guessed.
* Children in care: ILACS judged "children in care and care leavers" together until
  December 2022 and apart from January 2023. The overview puts both in
  ``in_care_grade``; a row is read as the combined judgement when its care-leavers
  cell says ``inspection_pre_dates_judgement`` or the inspection started (or, with no
  dates, was published) before 1 January 2023. A care-leavers grade on such a row is
  an error of the overview (Nottingham 2022) and is dropped.
* Short or standard: the overview's word; where it says ``None``, the first and last
  day on site decide as for the reports (at most seven days is short); a row with
  neither is ``standard`` (``kind_source`` says which).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from cscwatch.core.errors import SchemaError, SourceFileError
from cscwatch.ingest.ofsted_text import Grade, JudgementCode, ReportKind

__all__ = [
    "OVERVIEW_COLUMNS",
    "OVERVIEW_FILE",
    "SEPARATE_CARE_LEAVERS_FROM",
    "OverviewInspection",
    "read_ilacs_overview",
]

#: The snapshot file.
OVERVIEW_FILE = "ilacs_overview.xlsx"

#: Columns the reader needs (the workbook has others: neighbours, inspector, links).
OVERVIEW_COLUMNS = (
    "urn",
    "la_code",
    "local_authority",
    "inspection_link",
    "overall_effectiveness_grade",
    "inspection_framework",
    "inspection_start_date",
    "inspection_end_date",
    "publication_date",
    "impact_of_leaders_grade",
    "help_and_protection_grade",
    "in_care_grade",
    "care_leavers_grade",
)

#: ILACS judges care leavers apart from children in care for inspections from here.
SEPARATE_CARE_LEAVERS_FROM = date(2023, 1, 1)

_GRADES = {
    "outstanding": Grade.OUTSTANDING,
    "good": Grade.GOOD,
    "requires improvement": Grade.REQUIRES_IMPROVEMENT,
    "inadequate": Grade.INADEQUATE,
}
_NOT_SEPARATE = "inspection_pre_dates_judgement"
_EMPTY = ("", "none", "nan")
_KINDS = {"short": ReportKind.SHORT, "standard": ReportKind.STANDARD}
_SHORT_MAX_DAYS = 7  # as the report extraction (ofsted_text._SHORT_MAX_DAYS)

_Issue = tuple[int, str, str]


@dataclass(frozen=True)
class OverviewInspection:
    """One row of the overview: an authority's latest ILACS inspection.

    Attributes
    ----------
    row : int
        Row in the workbook (header = 1).
    urn, la_code, authority : str
        Ofsted URN, DfE LA number and the overview's (lower-case) name.
    kind : ReportKind
        ``short`` or ``standard``.
    kind_source : {"overview", "days_on_site", "default"}
        Where ``kind`` came from.
    start_date, end_date : date or None
        First and last day on site (absent for two rows).
    publication_date : date
    url : str
        The report on files.ofsted.gov.uk.
    judgements : dict
        Judgement → grade, in the report extraction's codes.
    grade_text : dict
        Judgement → the overview's words.
    not_given : frozenset
        Judgements the inspection made whose grade the overview leaves out.
    """

    row: int
    urn: str
    la_code: str
    authority: str
    kind: ReportKind
    kind_source: str
    start_date: date | None
    end_date: date | None
    publication_date: date
    url: str
    judgements: dict[JudgementCode, Grade] = field(default_factory=dict)
    grade_text: dict[JudgementCode, str] = field(default_factory=dict)
    not_given: frozenset[JudgementCode] = frozenset()

    @property
    def combined_care(self) -> bool:
        """Whether children in care and care leavers were judged together."""
        return JudgementCode.IN_CARE_AND_CARE_LEAVERS in self.judgements


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _date(value: object, fmt: str, row: int, column: str, issues: list[_Issue]) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    text = _text(value)
    if not text or text.lower() == "none":
        return None
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        issues.append((row, column, f"not a date ({fmt.replace('%', '')})"))
        return None


def _grade(value: object, row: int, column: str, issues: list[_Issue]) -> Grade | None:
    text = _text(value).lower()
    if text in _EMPTY or text == _NOT_SEPARATE:
        return None
    if text not in _GRADES:
        issues.append((row, column, f"not one of the four grades ({text[:40]!r})"))
        return None
    return _GRADES[text]


def _kind(
    word: str, start: date | None, end: date | None, row: int, issues: list[_Issue]
) -> tuple[ReportKind, str]:
    w = word.lower()
    if w in _KINDS:
        return _KINDS[w], "overview"
    if w not in ("", "none"):
        issues.append((row, "inspection_framework", "not short or standard"))
    if start and end:
        days = (end - start).days + 1
        return (ReportKind.SHORT if days <= _SHORT_MAX_DAYS else ReportKind.STANDARD), (
            "days_on_site"
        )
    return ReportKind.STANDARD, "default"


def _row(n: int, r: dict[str, object], issues: list[_Issue]) -> OverviewInspection | None:
    before = len(issues)
    urn, code = _text(r["urn"]), _text(r["la_code"])
    if not urn.isdigit():
        issues.append((n, "urn", "not an Ofsted URN"))
    if not (code.isdigit() and len(code) == 3):
        issues.append((n, "la_code", "not a three-digit LA number"))
    start = _date(r["inspection_start_date"], "%d/%m/%Y", n, "inspection_start_date", issues)
    end = _date(r["inspection_end_date"], "%d/%m/%Y", n, "inspection_end_date", issues)
    pub = _date(r["publication_date"], "%d/%m/%y", n, "publication_date", issues)
    if pub is None and len(issues) == before:
        issues.append((n, "publication_date", "missing"))
    if start and end and start > end:
        issues.append((n, "inspection_end_date", "before the start date"))
    kind, kind_source = _kind(_text(r["inspection_framework"]), start, end, n, issues)
    cells = {
        JudgementCode.OVERALL: "overall_effectiveness_grade",
        JudgementCode.LEADERSHIP: "impact_of_leaders_grade",
        JudgementCode.HELP_PROTECTION: "help_and_protection_grade",
        JudgementCode.CHILDREN_IN_CARE: "in_care_grade",
        JudgementCode.CARE_LEAVERS: "care_leavers_grade",
    }
    grades = {j: _grade(r[c], n, c, issues) for j, c in cells.items()}
    empty = {j for j, c in cells.items() if _text(r[c]).lower() in _EMPTY}
    if len(issues) > before or pub is None:
        return None
    first_day = start or pub
    combined = (
        _text(r["care_leavers_grade"]).lower() == _NOT_SEPARATE
        or first_day < SEPARATE_CARE_LEAVERS_FROM
    )
    if combined:
        grades[JudgementCode.IN_CARE_AND_CARE_LEAVERS] = grades.pop(JudgementCode.CHILDREN_IN_CARE)
        grades.pop(JudgementCode.CARE_LEAVERS)
        empty.discard(JudgementCode.CARE_LEAVERS)
        if JudgementCode.CHILDREN_IN_CARE in empty:
            empty.remove(JudgementCode.CHILDREN_IN_CARE)
            empty.add(JudgementCode.IN_CARE_AND_CARE_LEAVERS)
    words = {j: _text(r[c]) for j, c in cells.items()}
    words[JudgementCode.IN_CARE_AND_CARE_LEAVERS] = words[JudgementCode.CHILDREN_IN_CARE]
    judgements = {j: g for j, g in grades.items() if g is not None}
    return OverviewInspection(
        row=n,
        urn=urn,
        la_code=code,
        authority=_text(r["local_authority"]),
        kind=kind,
        kind_source=kind_source,
        start_date=start,
        end_date=end,
        publication_date=pub,
        url=_text(r["inspection_link"]),
        judgements=judgements,
        grade_text={j: words[j] for j in judgements},
        not_given=frozenset(empty),
    )


def _rows(path: Path) -> list[tuple[object, ...]]:
    import openpyxl  # imported late: only a build reads the workbook

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as exc:
        raise SourceFileError("the ILACS overview is missing", path=str(path)) from exc
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise SourceFileError(f"not a readable workbook ({exc})", path=str(path)) from exc
    try:
        return list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()


def read_ilacs_overview(path: Path) -> list[OverviewInspection]:
    """Every row of the overview, checked, in the workbook's order.

    Parameters
    ----------
    path : Path
        The workbook (first sheet, header in row 1).

    Returns
    -------
    list of OverviewInspection

    Raises
    ------
    SourceFileError
        The file is missing or not a workbook.
    SchemaError
        A column is missing, or a row breaks the declared reading (the first problem
        with its row and column, and how many more there are).
    """
    rows = _rows(Path(path))
    if not rows:
        raise SchemaError("the workbook is empty", path=str(path), row=1)
    header = [_text(h) for h in rows[0]]
    missing = [c for c in OVERVIEW_COLUMNS if c not in header]
    if missing:
        raise SchemaError(f"columns missing: {', '.join(missing)}", path=str(path), row=1)
    at = {c: header.index(c) for c in OVERVIEW_COLUMNS}
    issues: list[_Issue] = []
    out: list[OverviewInspection] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(rows[1:], start=2):
        if all(v is None or _text(v) == "" for v in raw):
            continue
        r = {c: (raw[i] if i < len(raw) else None) for c, i in at.items()}
        item = _row(n, r, issues)
        if item is None:
            continue
        if item.la_code in seen:
            issues.append((n, "la_code", f"authority repeated (row {seen[item.la_code]})"))
            continue
        seen[item.la_code] = n
        out.append(item)
    if issues:
        row, column, message = issues[0]
        more = f" (and {len(issues) - 1} more problems)" if len(issues) > 1 else ""
        raise SchemaError(message + more, path=str(path), row=row, column=column)
    return out
