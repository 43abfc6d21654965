"""The grammar of an Ofsted children's services report: text in, judgements out.

Pure functions over the text pypdfium2 extracts; no file or PDF handling here (that
is :mod:`cscwatch.ingest.ofsted_reports`). Judgements are read only from the report's
judgement table or summary box at the start of the report (and, for the LSCB review,
from the review's own headline sentence), never from the narrative, where phrases
such as "requires improvement" occur freely.

Three families of report are recognised:

``legacy``
    Pre-2013 inspections of safeguarding and looked after children services, whose
    "Record of main findings" grades services on the old four-point scale
    (outstanding, good, **adequate**, inadequate). ``adequate`` is mapped to
    ``requires_improvement`` (both are grade 3, and Ofsted replaced the one word
    with the other in 2013); the original words are kept in ``grade_text``.
``sif``
    The single inspection framework, 2013 to 2018, including re-inspections.
``ilacs``
    Inspections of local authority children's services, 2018 on; ``short`` or
    ``standard`` by the length of the on-site inspection (the reports do not say).

Focused visits, monitoring visits and joint targeted area inspections are recognised
by their titles and classified as ungraded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

__all__ = [
    "GRADE_RANK",
    "KEY_JUDGEMENTS",
    "Framework",
    "Grade",
    "JudgementCode",
    "ParsedJudgement",
    "ParsedReport",
    "ReportKind",
    "classify_title",
    "normalise_text",
    "parse_grade",
    "parse_inspection_dates",
    "parse_report_text",
]


class Framework(StrEnum):
    """The inspection framework a report was written under."""

    LEGACY = "legacy"
    SIF = "sif"
    ILACS = "ilacs"


class ReportKind(StrEnum):
    """What sort of inspection or visit within its framework."""

    LOOKED_AFTER = "looked_after"  # legacy inspection of looked after children services
    SAFEGUARDING = "safeguarding"  # legacy inspection of safeguarding services
    STANDARD = "standard"  # SIF inspection; ILACS standard inspection
    REINSPECTION = "reinspection"  # SIF re-inspection (no LSCB review)
    LSCB_REVIEW = "lscb_review"  # SIF-era review of the LSCB published on its own
    SHORT = "short"  # ILACS short inspection
    FOCUSED_VISIT = "focused_visit"
    MONITORING_VISIT = "monitoring_visit"
    JTAI = "jtai"

    @property
    def graded(self) -> bool:
        """Whether reports of this kind carry graded judgements."""
        return self not in _UNGRADED_KINDS


_UNGRADED_KINDS = frozenset(
    {ReportKind.FOCUSED_VISIT, ReportKind.MONITORING_VISIT, ReportKind.JTAI}
)


class Grade(StrEnum):
    """Ofsted's four-point scale, best first."""

    OUTSTANDING = "outstanding"
    GOOD = "good"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"


#: 1 is best, 4 worst; a transition is an improvement when the rank falls.
GRADE_RANK: dict[Grade, int] = {
    Grade.OUTSTANDING: 1,
    Grade.GOOD: 2,
    Grade.REQUIRES_IMPROVEMENT: 3,
    Grade.INADEQUATE: 4,
}


class JudgementCode(StrEnum):
    """Every judgement the reports grade, named once.

    SIF and ILACS judgements on the same subject share a code (``help_protection``
    is "children who need help and protection" in SIF and "the experiences and
    progress of children who need help and protection" in ILACS). The legacy
    looked-after inspection's judgements cover looked-after services only and carry
    a ``lac_`` prefix so that they never pass for an authority-wide judgement.
    """

    OVERALL = "overall_effectiveness"
    HELP_PROTECTION = "help_protection"
    CHILDREN_IN_CARE = "children_in_care"
    IN_CARE_AND_CARE_LEAVERS = "children_in_care_and_care_leavers"
    ADOPTION = "adoption"
    CARE_LEAVERS = "care_leavers"
    LEADERSHIP = "leadership"
    LSCB = "lscb"
    LAC_OVERALL = "lac_overall_effectiveness"
    LAC_CAPACITY = "lac_capacity_to_improve"
    LAC_OUTCOMES = "lac_outcomes"
    LAC_QUALITY = "lac_quality_of_provision"
    LAC_LEADERSHIP = "lac_leadership"


#: The key judgements of each framework (systemic failure = inadequate on all of
#: those a report grades). Adoption and care leavers are SIF sub-judgements of
#: children looked after; the LSCB review is a separate review.
KEY_JUDGEMENTS: frozenset[JudgementCode] = frozenset(
    {
        JudgementCode.HELP_PROTECTION,
        JudgementCode.CHILDREN_IN_CARE,
        JudgementCode.IN_CARE_AND_CARE_LEAVERS,
        JudgementCode.LEADERSHIP,
    }
)


@dataclass(frozen=True)
class ParsedJudgement:
    """One graded judgement as the report states it."""

    judgement: JudgementCode
    grade: Grade
    grade_text: str


@dataclass(frozen=True)
class ParsedReport:
    """What the text of one report says (no file or authority lookup yet)."""

    framework: Framework
    kind: ReportKind
    title: str
    name_in_report: str | None
    start_date: date | None
    end_date: date | None
    publication_date: date | None
    judgements: tuple[ParsedJudgement, ...]
    not_judged: tuple[JudgementCode, ...] = field(default=())
    problems: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------- text clean-up

_TRANSLATE = {
    0xFFFE: None,  # pdfium's marker for a hyphen at a line break ("mid\ufffe2012")
    0x00AD: None,  # soft hyphen
    0x00A0: " ",
    0x2018: "'",
    0x2019: "'",
    0x201C: '"',
    0x201D: '"',
    0x2010: "-",
    0x2011: "-",
    0x2012: "-",
    0x2013: "-",
    0x2014: "-",
    0x2500: "-",  # box-drawing dash used once as a date separator
    0x2212: "-",
    0x0009: " ",
}
_SPACES = re.compile(r" {2,}")


def normalise_text(text: str) -> str:
    """Unify line endings, quotes, dashes and spaces; strip every line.

    Pages are kept apart by form feeds (``\\f``), which callers may use.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_TRANSLATE)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def _join(lines: list[str]) -> str:
    return " ".join(ln for ln in lines if ln)


# -------------------------------------------------------------------------- grades

_GRADE_RE = (
    r"(?P<grade>outstanding|good|inadequate|adequate"
    r"|requires?\s+improvement(?:\s+to\s+be\s+good)?)"
)
_GRADE_WORDS = {
    "outstanding": Grade.OUTSTANDING,
    "good": Grade.GOOD,
    "inadequate": Grade.INADEQUATE,
    # Pre-2013 scale: grade 3 was "adequate"; Ofsted renamed it in 2013.
    "adequate": Grade.REQUIRES_IMPROVEMENT,
}


def parse_grade(text: str) -> Grade | None:
    """Map a grade as printed ("Requires improvement to be good", "Adequate") or in
    snake_case to a Grade.

    Returns ``None`` for anything that is not one of the four grades.
    """
    s = " ".join(text.lower().replace("_", " ").split())
    if s in _GRADE_WORDS:
        return _GRADE_WORDS[s]
    if re.fullmatch(r"requires? improvement( to be good)?", s):
        return Grade.REQUIRES_IMPROVEMENT
    return None


def _judgement(code: JudgementCode, raw: str) -> ParsedJudgement:
    text = " ".join(raw.split())
    grade = parse_grade(text)
    if grade is None:  # the regexes only capture grade words, so this is a bug
        raise ValueError(f"not a grade: {text!r}")
    return ParsedJudgement(code, grade, text)


# --------------------------------------------------------------------------- dates

_MONTHS = {
    m[:3]: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_MONTH_RE = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_TOKEN = re.compile(
    rf"(?P<num>\d{{1,2}})/(?P<nm>\d{{1,2}})/(?P<ny>\d{{4}})"
    rf"|(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+(?P<m>{_MONTH_RE}))?(?:\s+(?P<y>\d{{4}}))?",
    re.IGNORECASE,
)


def _tokens(text: str) -> list[tuple[int, int | None, int | None]]:
    out: list[tuple[int, int | None, int | None]] = []
    for m in _DATE_TOKEN.finditer(text):
        if m.group("num"):
            out.append((int(m.group("num")), int(m.group("nm")), int(m.group("ny"))))
        else:
            month = _MONTHS.get(m.group("m")[:3].lower()) if m.group("m") else None
            year = int(m.group("y")) if m.group("y") else None
            out.append((int(m.group("d")), month, year))
    return out


def _safe_date(y: int | None, m: int | None, d: int) -> date | None:
    if y is None or m is None:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_inspection_dates(text: str) -> tuple[date | None, date | None]:
    """First and last day of a range such as ``"16 to 27 January 2023"``.

    Handles ``28 January–5 February 2014``, ``12/09/2016 to 06/10/2016``, split
    inspections (``8 July 2019 to 12 July 2019 and 7 August 2019 to 8 August 2019``,
    first day to last day) and single days. A missing month or year is taken from
    the next date that states it. Returns ``(None, None)`` when nothing parses.
    """
    toks = _tokens(text)
    if not toks:
        return None, None
    filled: list[tuple[int, int | None, int | None]] = []
    month: int | None = None
    year: int | None = None
    for d, m, y in reversed(toks):
        month = m if m is not None else month
        year = y if y is not None else year
        filled.append((d, month, year))
    filled.reverse()
    start = _safe_date(filled[0][2], filled[0][1], filled[0][0])
    end = _safe_date(filled[-1][2], filled[-1][1], filled[-1][0])
    if start is not None and end is not None and start > end:
        # "28 December - 8 January 2016": the year was borrowed from the end
        start = _safe_date(start.year - 1, start.month, start.day)
    return start, end


def _single_date(text: str) -> date | None:
    toks = _tokens(text)
    if not toks:
        return None
    d, m, y = toks[0]
    return _safe_date(y, m, d)


# ---------------------------------------------------------------- classification

_TITLES: list[tuple[re.Pattern[str], Framework, ReportKind]] = [
    (re.compile(r"^focused visit", re.I), Framework.ILACS, ReportKind.FOCUSED_VISIT),
    (re.compile(r"^monitoring visit", re.I), Framework.ILACS, ReportKind.MONITORING_VISIT),
    (re.compile(r"^joint targeted area inspection", re.I), Framework.ILACS, ReportKind.JTAI),
    (
        re.compile(r"^inspection of safeguarding and looked after children", re.I),
        Framework.LEGACY,
        ReportKind.SAFEGUARDING,
    ),
    (
        re.compile(r"^inspection of looked after children", re.I),
        Framework.LEGACY,
        ReportKind.LOOKED_AFTER,
    ),
    (
        re.compile(r"^inspection of safeguarding", re.I),
        Framework.LEGACY,
        ReportKind.SAFEGUARDING,
    ),
    (
        re.compile(r"^re-?inspection of services for children in need of help", re.I),
        Framework.SIF,
        ReportKind.REINSPECTION,
    ),
    (
        re.compile(r"^inspection of services for children in need of help", re.I),
        Framework.SIF,
        ReportKind.STANDARD,
    ),
    (
        re.compile(r"^review of the effectiveness of the local safeguarding children board", re.I),
        Framework.SIF,
        ReportKind.LSCB_REVIEW,
    ),
    (
        re.compile(r"^inspection of (?:.{1,120}? )?children's (?:social care )?services", re.I),
        Framework.ILACS,
        ReportKind.STANDARD,
    ),
]

#: Lines examined for the title and the summary box.
_HEAD_LINES = 40
#: ILACS inspections that last at most this many days on site are short inspections
#: (one week on site; standard inspections are two weeks).
_SHORT_MAX_DAYS = 7


def _classify(head: list[str]) -> tuple[Framework, ReportKind, str, int] | None:
    """The framework, kind, title and the index of its first line."""
    for i, _line in enumerate(head):
        # a title may wrap over up to three lines ("Inspection of the Royal Borough of /
        # Windsor and Maidenhead local / authority children's services")
        joined = _join(head[i : i + 3])
        for pattern, framework, kind in _TITLES:
            m = pattern.match(joined)
            if m:
                return framework, kind, m.group(0), i
    return None


def classify_title(text: str) -> tuple[Framework, ReportKind] | None:
    """The framework and kind a report's title names, from the start of its text.

    ILACS short and standard inspections share a title (``standard`` is returned);
    the days on site tell them apart (:func:`parse_report_text`).
    """
    lines = [ln for ln in normalise_text(text).split("\n") if ln]
    found = _classify(lines[:_HEAD_LINES])
    return None if found is None else (found[0], found[1])


_NAME_IN_TITLE = re.compile(
    r"^inspection of (?:the )?(?P<name>.+?) (?:local authority )?children's", re.I
)
_NAME_STOP = re.compile(
    r"^(inspection|re-inspection|review|and$|\d+$|judgement|lead inspector)", re.I
)


def _name_in_report(head: list[str], framework: Framework, title_at: int) -> str | None:
    """The authority as the report names itself, for a cross-check with the lookup."""
    title = _join(head[title_at : title_at + 3])
    m = _NAME_IN_TITLE.match(title)
    if m and m.group("name").lower() != "local authority":
        return m.group("name").strip()
    # Legacy reports put the name after the title; SIF and early ILACS before it.
    candidates = head[title_at + 1 : title_at + 5] if framework is Framework.LEGACY else []
    candidates += head[:title_at]
    parts: list[str] = []
    for line in candidates:
        if not line or _NAME_STOP.match(line) or line.lower() in {"services"}:
            if parts:
                break
            continue
        parts.append(line)
        if not line.endswith(("Borough", "of", "and", "upon")):
            break
    return " ".join(parts) or None


# -------------------------------------------------------------------- judgements

_NUMBER = r"(?:\d(?:\.\d)?\.?\s*)?"  # "1. ", "2.1 " (sometimes misnumbered)

_ILACS_LABELS: list[tuple[JudgementCode, str]] = [
    (
        JudgementCode.LEADERSHIP,
        r"the impact of leaders on social work practice with children and families",
    ),
    (
        JudgementCode.HELP_PROTECTION,
        r"the experiences and progress of children who need help and protection",
    ),
    (
        JudgementCode.IN_CARE_AND_CARE_LEAVERS,
        r"the experiences and progress of children in care and care leavers",
    ),
    (JudgementCode.CHILDREN_IN_CARE, r"the experiences and progress of children in care"),
    (JudgementCode.CARE_LEAVERS, r"the experiences and progress of care leavers"),
    (JudgementCode.OVERALL, r"overall effectiveness"),
]

_SIF_LABELS: list[tuple[JudgementCode, str]] = [
    (JudgementCode.HELP_PROTECTION, r"children who need help and protection"),
    (JudgementCode.CHILDREN_IN_CARE, r"children looked after and achieving permanence"),
    (JudgementCode.ADOPTION, r"adoption performance"),
    (JudgementCode.CARE_LEAVERS, r"experiences and progress of care leavers"),
    (JudgementCode.LEADERSHIP, r"leadership,? management and governance"),
]

_SIF_OVERALL = [
    re.compile(
        r"the\s+overall\s+judgement\s+is\s+(?:that\s+)?(?:children's\s+services?\s+)?"
        rf"(?:are\s+|is\s+)?{_GRADE_RE}",
        re.I,
    ),
    re.compile(
        r"^children's\s+services(?:\s+(?:in|on)\s+[\s\S]{1,90}?)?\s+"
        rf"(?:are\s+|is\s+)?{_GRADE_RE}",
        re.I | re.M,
    ),
]

_LSCB_LINE = re.compile(
    rf"^the (?:judgement for the )?(?:effectiveness of the )?"
    rf"(?:local safeguarding children board|lscb)"
    rf"(?: \(lscb\))? (?:is |are )?{_GRADE_RE}(?:$|[.:,;]| because)",
    re.I,
)

_LEGACY_LABELS: list[tuple[JudgementCode, str]] = [
    (JudgementCode.LAC_OVERALL, r"overall effectiveness"),
    (JudgementCode.LAC_CAPACITY, r"capacity to improve"),
    (JudgementCode.LAC_OUTCOMES, r"outcomes for looked after children and young people"),
    (JudgementCode.LAC_QUALITY, r"quality of provision"),
    (JudgementCode.LAC_LEADERSHIP, r"leadership and management"),
]

_NOT_JUDGED = r"(?P<not_judged>not\s+judged)"


def _labelled(
    block: str, labels: list[tuple[JudgementCode, str]], not_judged: list[JudgementCode]
) -> list[ParsedJudgement]:
    """Each label, at the start of a line, followed by a grade (first occurrence).

    ``block`` keeps its line breaks: a label must start a line (optionally after its
    number) so that a sentence in the narrative cannot pass for a table row.
    """
    found: list[ParsedJudgement] = []
    for code, label in labels:
        words = r"\s+".join(label.split(" "))
        m = re.search(
            rf"^{_NUMBER}{words}\.?\s*[:\-]?\s*(?:{_GRADE_RE}|{_NOT_JUDGED})\b",
            block,
            re.I | re.M,
        )
        if m and m.group("grade"):
            found.append(_judgement(code, m.group("grade")))
        elif m:
            not_judged.append(code)
    return found


def _block(lines: list[str], start: int, stop: re.Pattern[str], limit: int) -> str:
    """Lines from ``start`` up to the first line matching ``stop`` (at most ``limit``)."""
    out: list[str] = []
    for line in lines[start : start + limit]:
        if stop.match(line):
            break
        out.append(line)
    return "\n".join(out)


_ILACS_STOP = re.compile(r"^(what needs to improve|executive summary)", re.I)
_SIF_STOP = re.compile(r"^(executive summary|contents|recommendations)$", re.I)


def _ilacs_judgements(
    lines: list[str], problems: list[str], not_judged: list[JudgementCode]
) -> list[ParsedJudgement]:
    at = next((i for i, ln in enumerate(lines[:60]) if re.match(r"^judgement\b", ln, re.I)), None)
    if at is None:
        problems.append("no judgement table")
        return []
    return _labelled(_block(lines, at, _ILACS_STOP, 30), _ILACS_LABELS, not_judged)


def _sif_judgements(
    lines: list[str], problems: list[str], not_judged: list[JudgementCode]
) -> list[ParsedJudgement]:
    # The summary box can run over the page break (Oldham 2015), so read on to the
    # contents or executive summary rather than stopping at the first footnote.
    block = _block(lines, 0, _SIF_STOP, 70)
    found: list[ParsedJudgement] = []
    for pattern in _SIF_OVERALL:
        m = pattern.search(block)
        if m:
            found.append(_judgement(JudgementCode.OVERALL, m.group("grade")))
            break
    found += _labelled(block, _SIF_LABELS, not_judged)
    found += _lscb(lines, problems)
    return found


def _lscb(lines: list[str], problems: list[str]) -> list[ParsedJudgement]:
    grades: list[ParsedJudgement] = []
    for i, line in enumerate(lines):
        if not re.match(
            r"^the (judgement for the )?(effectiveness of the )?(local safeguarding|lscb)",
            line,
            re.I,
        ):
            continue
        # the sentence may wrap onto the next line, or be followed by another
        m = _LSCB_LINE.match(line) or _LSCB_LINE.match(" ".join(lines[i : i + 2]))
        if m:
            grades.append(_judgement(JudgementCode.LSCB, m.group("grade")))
    if len({g.grade for g in grades}) > 1:
        problems.append("LSCB headline sentences disagree; first one kept")
    return grades[:1]


def _legacy_judgements(
    lines: list[str], problems: list[str], not_judged: list[JudgementCode]
) -> list[ParsedJudgement]:
    at = [i for i, ln in enumerate(lines) if re.match(r"^record of main findings", ln, re.I)]
    if not at:
        problems.append("no record of main findings")
        return []
    block = _block(lines, at[-1] + 1, re.compile(r"^\f"), 30)
    return _labelled(block, _LEGACY_LABELS, not_judged)


_SIF_FULL = frozenset(
    {
        JudgementCode.OVERALL,
        JudgementCode.HELP_PROTECTION,
        JudgementCode.CHILDREN_IN_CARE,
        JudgementCode.ADOPTION,
        JudgementCode.CARE_LEAVERS,
        JudgementCode.LEADERSHIP,
    }
)
_EXPECTED: dict[tuple[Framework, ReportKind], frozenset[JudgementCode]] = {
    (Framework.SIF, ReportKind.STANDARD): _SIF_FULL,
    (Framework.SIF, ReportKind.REINSPECTION): _SIF_FULL,
    (Framework.SIF, ReportKind.LSCB_REVIEW): frozenset({JudgementCode.LSCB}),
    (Framework.LEGACY, ReportKind.LOOKED_AFTER): frozenset(
        {
            JudgementCode.LAC_OVERALL,
            JudgementCode.LAC_CAPACITY,
            JudgementCode.LAC_OUTCOMES,
            JudgementCode.LAC_QUALITY,
            JudgementCode.LAC_LEADERSHIP,
        }
    ),
}
_ILACS_CORE = frozenset(
    {JudgementCode.OVERALL, JudgementCode.LEADERSHIP, JudgementCode.HELP_PROTECTION}
)


def _check_complete(
    framework: Framework,
    kind: ReportKind,
    found: list[ParsedJudgement],
    not_judged: list[JudgementCode],
    problems: list[str],
) -> None:
    codes = {j.judgement for j in found} | set(not_judged)
    if framework is Framework.ILACS:
        expected = set(_ILACS_CORE)
        in_care = {JudgementCode.IN_CARE_AND_CARE_LEAVERS, JudgementCode.CHILDREN_IN_CARE}
        if not codes & in_care:
            problems.append("missing judgement: children in care")
        if JudgementCode.CHILDREN_IN_CARE in codes and JudgementCode.CARE_LEAVERS not in codes:
            problems.append("missing judgement: care_leavers")
    else:
        expected = set(_EXPECTED.get((framework, kind), frozenset()))
    for code in sorted(expected - codes):
        problems.append(f"missing judgement: {code.value}")


# ---------------------------------------------------------------------- the parser

_DATE_LINE = re.compile(r"^inspection dates?\b:?", re.I)
_DATE_MORE = re.compile(rf"^(\d|{_MONTH_RE}\s+\d{{4}})", re.I)


def _inspection_dates(lines: list[str]) -> tuple[date | None, date | None, int | None]:
    """First day, last day, and the days on site of the first visit."""
    at = next((i for i, ln in enumerate(lines[:60]) if _DATE_LINE.match(ln)), None)
    if at is None:
        return None, None, None
    text = _DATE_LINE.sub("", lines[at])
    if at + 1 < len(lines) and _DATE_MORE.match(lines[at + 1]):
        text += " " + lines[at + 1]  # a range wrapped onto the next line
    start, end = parse_inspection_dates(text)
    # A split inspection ("5 to 9 December 2022 and 14 to 15 February 2023") is
    # short or standard by its first visit.
    first_start, first_end = parse_inspection_dates(re.split(r"\band\b", text)[0])
    if first_start is None or first_end is None:
        first_start, first_end = start, end
    days = (first_end - first_start).days + 1 if first_start and first_end else None
    return start, end, days


def _publication_date(lines: list[str]) -> date | None:
    for line in lines[:60]:
        m = re.match(r"^(?:report )?published:?\s*(.+)$", line, re.I)
        if m:
            return _single_date(m.group(1))
    return None


def parse_report_text(text: str) -> ParsedReport | None:
    """Parse the text of one report.

    Parameters
    ----------
    text : str
        The report's text, pages separated by form feeds (raw pdfium output is fine;
        it is normalised here).

    Returns
    -------
    ParsedReport or None
        ``None`` when the text is not a recognised Ofsted children's services report.
        Judgements that could not be found are listed in ``problems``; those the
        report marks "not judged" in ``not_judged``.
    """
    clean = normalise_text(text)
    lines = [ln for ln in clean.split("\n") if ln]
    head = lines[:_HEAD_LINES]
    found = _classify(head)
    if found is None:
        return None
    framework, kind, title, title_at = found
    problems: list[str] = []
    not_judged: list[JudgementCode] = []

    start, end, days = _inspection_dates(lines)
    if start is None or end is None:
        problems.append("inspection dates not found")
    short = days is not None and days <= _SHORT_MAX_DAYS
    if framework is Framework.ILACS and kind is ReportKind.STANDARD and short:
        kind = ReportKind.SHORT

    judgements: list[ParsedJudgement] = []
    if kind is ReportKind.LSCB_REVIEW:
        judgements = _lscb(lines, problems)
    elif kind.graded and framework is Framework.ILACS:
        judgements = _ilacs_judgements(lines, problems, not_judged)
    elif kind.graded and framework is Framework.SIF:
        judgements = _sif_judgements(lines, problems, not_judged)
    elif kind.graded:
        judgements = _legacy_judgements(clean.split("\n"), problems, not_judged)
    if kind.graded:
        _check_complete(framework, kind, judgements, not_judged, problems)

    return ParsedReport(
        framework=framework,
        kind=kind,
        title=title,
        name_in_report=_name_in_report(head, framework, title_at),
        start_date=start,
        end_date=end,
        publication_date=_publication_date(lines),
        judgements=tuple(judgements),
        not_judged=tuple(not_judged),
        problems=tuple(problems),
    )
