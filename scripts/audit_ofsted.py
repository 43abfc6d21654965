"""Independent check of the Ofsted judgement history against the raw files.

Recomputes what the product holds and shows about Ofsted judgements from the raw files
in ``../shared/data/ofsted`` (the recomputation imports nothing of cscwatch; only to
read what the API answers is the app started in process), and compares:

1. **The ILACS overview** (``ilacs_overview.xlsx``, every authority's latest ILACS
   inspection) against the warehouse's latest ILACS inspection of each authority: the
   five grades, first and last day on site, publication date, short or standard. A
   difference where the warehouse holds the report is settled by reading the report
   itself (check 4's reader): if the report says what the warehouse says, the overview
   is wrong at source.
2. **In force on the record's date**: the grade of each authority's latest published
   inspection (read here from the warehouse rows) against the overview and against what
   ``cscwatch ofsted summary --format json`` shows (counts per grade, grade not given),
   overall effectiveness and help and protection.
3. **Stale** on dates around the reorganisations (Dorset/BCP 2019, Northamptonshire
   2021, Cumbria 2023), the archive's last report, the record's date and after it: the
   stale authorities (LA number, reason, last publication, last grade) recomputed with
   the documented rule (no judgement published in the three years up to and including
   the date) over the authorities that existed on the date, against the CLI's JSON.
   Also: children in care, care leavers and the combined ILACS judgement in force
   (``/api/ofsted/summary?judgement=...``, answered in process) against this script's
   rule that a judgement is replaced by the next inspection judging the same children.
4. **The reports themselves**: a seeded random sample (``--sample``, default 45; or
   ``--all``) of the files in the archive, read with ``pdftotext -layout`` (poppler;
   the check is skipped, and says so, where it is not installed): the framework and kind
   from the title, the days on site, the publication date, every grade of the judgement
   box (and the SIF overall and LSCB sentences), against the warehouse's rows.
5. **Files the extraction could not read** (not a PDF, no text): listed, and checked to
   be absent from the warehouse rather than shown with grades.
6. **Reorganised authorities**: no inspection of a predecessor published after it was
   abolished, none of a successor started before it existed.
7. **The API and the profile pages** (the app in process): every authority's
   ``/api/authorities/{la}/inspections``; profile pages of the hard cases (reorganised
   authorities, grades not given, the overview's errors) and a seeded sample
   (``--profiles``, default 10; ``--all``: every authority): the judgement in force on
   the record's date, the stale notice and the section's CSV.

Every difference is classified: ``defect`` (cscwatch wrong), ``documented`` (a choice
docs/ofsted.md states), ``source`` (the raw file is wrong or lacks the value, settled by
the report's own text). Exit status 0 when no difference is unexplained (no defect and
none unclassified).

    .venv/bin/python scripts/audit_ofsted.py [--warehouse FILE] [--sample 45 | --all]
        [--seed 20261203] [--no-cli] [--verbose]

Needs a built warehouse (``make demo``); the warehouse is opened read-only.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a file or imported by a test
from _audit_inputs import BadInput, default_warehouse, need, open_warehouse, run

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "ofsted"

# ------------------------------------------------------------------ the rules, restated

STALE_YEARS = 3
COMBINED_UNTIL = date(2023, 1, 1)  # ILACS judged care leavers apart from January 2023
# Reorganisations (take effect 1 April): predecessor -> successors, first day.
REORGANISED = {
    "835": (("838", "839"), date(2019, 4, 1)),  # Dorset CC -> Dorset, BCP (Christchurch)
    "836": (("839",), date(2019, 4, 1)),  # Poole -> BCP
    "837": (("839",), date(2019, 4, 1)),  # Bournemouth -> BCP
    "928": (("940", "941"), date(2021, 4, 1)),  # Northamptonshire
    "909": (("942", "943"), date(2023, 4, 1)),  # Cumbria
}
GRADES = {
    "outstanding": "outstanding",
    "good": "good",
    "requires improvement": "requires_improvement",
    "inadequate": "inadequate",
}


@dataclass
class Tally:
    """Compared values and differences by class."""

    compared: collections.Counter[str] = field(default_factory=collections.Counter)
    equal: collections.Counter[str] = field(default_factory=collections.Counter)
    diffs: list[tuple[str, str, str]] = field(default_factory=list)  # check, class, text
    lacking: int = 0  # values the overview does not give (not compared)
    sampled: collections.Counter[str] = field(default_factory=collections.Counter)
    profiles: int = 0  # profile pages read

    def check(self, part: str, ours: object, theirs: object) -> bool:
        self.compared[part] += 1
        if ours == theirs:
            self.equal[part] += 1
            return True
        return False

    def diff(self, part: str, kind: str, text: str) -> None:
        self.diffs.append((part, kind, text))


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return d.replace(year=d.year - years, day=28)


# ------------------------------------------------------------------ the warehouse rows


@dataclass
class Row:
    iid: int
    file: str
    la: str
    framework: str
    kind: str
    start: date | None
    end: date | None
    pub: date | None
    provenance: str
    grades: dict[str, str | None]
    texts: dict[str, str]


def read_warehouse(path: Path) -> list[Row]:
    con = open_warehouse(path, ("inspection", "judgement"))
    try:
        rows = {
            r[0]: Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], {}, {})
            for r in con.execute(
                "SELECT inspection_id, file, la_code, framework, kind, start_date, end_date,"
                " publication_date, provenance FROM inspection"
            ).fetchall()
        }
        for iid, j, g, t in con.execute(
            "SELECT inspection_id, judgement, grade, grade_text FROM judgement"
        ).fetchall():
            rows[iid].grades[j] = g
            rows[iid].texts[j] = t
    finally:
        con.close()
    return sorted(rows.values(), key=lambda r: (r.pub or date.max, r.iid))


# ------------------------------------------------------------------ the ILACS overview


def _cell_date(v: object, fmt: str) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    s = "" if v is None else str(v).strip()
    if s.lower() in ("", "none", "nan"):
        return None
    return datetime.strptime(s, fmt).date()


def _cell_grade(v: object) -> str | None:
    s = "" if v is None else str(v).strip().lower()
    if s in ("", "none", "nan"):
        return None
    return GRADES.get(s, s)


def read_overview(path: Path) -> list[dict[str, Any]]:
    need(path, "ILACS overview workbook")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, InvalidFileException) as exc:
        why = type(exc).__name__
        raise BadInput(f"{path}: not an Excel workbook that can be read ({why})") from None
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    header = [str(h) for h in rows[0]]
    out = []
    for n, raw in enumerate(rows[1:], start=2):
        r = dict(zip(header, raw, strict=False))
        if not r.get("la_code"):
            continue
        start = _cell_date(r["inspection_start_date"], "%d/%m/%Y")
        pub = _cell_date(r["publication_date"], "%d/%m/%y")
        assert pub is not None
        leavers = _cell_grade(r["care_leavers_grade"])
        grades = {
            "overall_effectiveness": _cell_grade(r["overall_effectiveness_grade"]),
            "leadership": _cell_grade(r["impact_of_leaders_grade"]),
            "help_protection": _cell_grade(r["help_and_protection_grade"]),
        }
        combined = leavers == "inspection_pre_dates_judgement" or (start or pub) < COMBINED_UNTIL
        if combined:
            grades["children_in_care_and_care_leavers"] = _cell_grade(r["in_care_grade"])
        else:
            grades["children_in_care"] = _cell_grade(r["in_care_grade"])
            grades["care_leavers"] = leavers
        kind = str(r["inspection_framework"] or "").strip().lower()
        out.append(
            {
                "row": n,
                "la": str(r["la_code"]).strip(),
                "name": str(r["local_authority"]),
                "start": start,
                "end": _cell_date(r["inspection_end_date"], "%d/%m/%Y"),
                "pub": pub,
                "kind": kind if kind in ("short", "standard") else None,
                "grades": grades,
                "combined_but_leavers_graded": combined and leavers in GRADES.values(),
            }
        )
    return out


# ------------------------------------------------------------------ reading a report

_MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES.split(" "))}
_MON = (
    "(january|february|march|april|may|june|july|august|september|october|november|"
    "december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
GRADE_RE = (
    r"(outstanding|good|requires? improvement(?: to be good)?|inadequate|adequate|not judged)"
)


def _norm(text: str) -> str:
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u2013", "-"), ("\u2014", "-")):
        text = text.replace(a, b)
    return text.replace("\u00a0", " ").replace("\f", "\n")


def _grade_word(g: str) -> str | None:
    g = g.lower().strip()
    if g.startswith("require") or g == "adequate":
        return "requires_improvement"
    return None if g == "not judged" else g


def _day(day: str, month: str, year: str) -> date:
    m = month.lower()
    return date(
        int(year), MONTHS.get(m) or MONTHS[next(k for k in MONTHS if k[:3] == m[:3])], int(day)
    )


def _dates_in(s: str) -> tuple[date | None, date | None]:
    nums = re.findall(r"(\d{1,2})/(\d{1,2})/(\d{4})", s)
    if len(nums) >= 2:
        a, b = nums[0], nums[-1]
        return date(int(a[2]), int(a[1]), int(a[0])), date(int(b[2]), int(b[1]), int(b[0]))
    toks = re.findall(r"(\d{1,2})(?:st|nd|rd|th)?(?:\s+" + _MON + r")?(?:\s+(\d{4}))?", s, re.I)
    items = [[d, mo, y] for d, mo, y in toks if d and int(d) <= 31]
    month = year = ""
    for it in reversed(items):  # "16 to 27 January 2023": months and years fill backwards
        year = it[2] = it[2] or year
        month = it[1] = it[1] or month
    items = [it for it in items if it[1] and it[2]]
    if not items:
        return None, None
    return _day(*items[0]), _day(*items[-1])


def _date_line(t: str) -> str:
    m = re.search(r"Inspection dates?:?\s*(.{0,160})", t, re.S)
    if not m:
        return ""
    s = re.sub(r"\s+", " ", m.group(1))
    return re.split(
        r"Lead inspector|Reporting inspector|Report published|Published", s, flags=re.I
    )[0]


def _published(t: str) -> date | None:
    m = re.search(r"(?:Report published|Published):?\s*(\d{1,2})\s+(\w+)\s+(\d{4})", t, re.I)
    if m:
        return _day(m.group(1), m.group(2), m.group(3))
    m = re.search(r"(?:Report published|Published):?\s*(\d{1,2})/(\d{1,2})/(\d{4})", t, re.I)
    return date(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m else None


def _framework(t: str) -> tuple[str, str]:
    head = re.sub(r"\s+", " ", " ".join(t.split("\n")[:14]).lower())
    if "inspection of looked after children" in head:
        return "legacy", "looked_after"
    if "re-inspection of services" in head or "reinspection of services" in head:
        return "sif", "reinspection"
    if "inspection of services for children in need" in head or "single inspection" in head:
        return "sif", "standard"
    if "review of the effectiveness of the local safeguarding" in head:
        return "sif", "lscb_review"
    if "children's social care services" in head or re.search(
        r"inspection of [\w ,'&-]+ children's services", head
    ):
        return "ilacs", "?"
    for visit in ("focused visit", "monitoring visit", "joint targeted area inspection"):
        if visit in head:
            return "ilacs", visit.replace(" ", "_")
    return "?", "?"


ILACS_LABELS = [
    ("leadership", r"impact of leaders"),
    ("help_protection", r"need help and protection"),
    ("children_in_care_and_care_leavers", r"children in care and care leavers"),
    ("children_in_care", r"progress of children in care(?! and)"),
    ("care_leavers", r"progress of care leavers"),
    ("overall_effectiveness", r"overall effectiveness"),
]
SIF_LABELS = [
    ("help_protection", r"\d\.? children who need help and protection"),
    ("children_in_care", r"\d\.? children looked after and achieving permanence"),
    ("adoption", r"\d\.\d\.? adoption performance"),
    ("care_leavers", r"\d\.\d\.? experiences and progress of care leavers"),
    ("leadership", r"\d\.? leadership, management and governance"),
]


def _box(labels: list[tuple[str, str]], box: str, grades_text: str) -> dict[str, str | None]:
    """Labels in the order they appear, grades in the order they appear: paired."""
    flat = re.sub(r"\s+", " ", grades_text.lower()).replace("to be good", " ")
    flat = re.sub(r"\bbe good\b", " ", flat)  # "Requires improvement to" / "be good"
    flat = re.sub(r"\brequires?\b(?!\s+improvement)", "requires improvement", flat)
    flat = re.sub(r"(?<!requires )(?<!require )\bimprovement\b", " ", flat)
    grades = [m.group(1) for m in re.finditer(GRADE_RE, flat)]
    words = re.sub(r"\s+", " ", box.lower())
    words = re.sub(GRADE_RE + r"|\bto\b|\bbe\b|\brequires?\b|\bimprovement\b", " ", words)
    words = re.sub(r"\s+", " ", words)
    found = sorted((m.start(), code) for code, pat in labels if (m := re.search(pat, words)))
    if len(found) != len(grades):
        return {"?": f"{len(found)} labels, {len(grades)} grades"}
    return {code: _grade_word(g) for (_, code), g in zip(found, grades, strict=True)}


def read_report(text: str) -> dict[str, Any]:
    """What this script reads from a report's text (``pdftotext -layout``)."""
    t = _norm(text)
    fw, kind = _framework(t)
    start, end = _dates_in(_date_line(t))
    first_visit = _dates_in(_date_line(t).split(" and ")[0])
    if kind == "?" and first_visit[0] and first_visit[1]:
        kind = "short" if (first_visit[1] - first_visit[0]).days + 1 <= 7 else "standard"
    out: dict[str, Any] = {"framework": fw, "kind": kind, "start": start, "end": end}
    out["published"] = _published(t)
    grades: dict[str, str | None] = {}
    flat = re.sub(r"\s+", " ", t)
    if fw == "ilacs":
        m = re.search(r"Judgement\s+Grade(.*?)Overall effectiveness([^\n]*\n[^\n]*\n)", t, re.S)
        if m:
            box = m.group(1) + "Overall effectiveness" + m.group(2)
            grades = _box(ILACS_LABELS, box, box)
        elif kind in ("standard", "short"):
            grades = {"?": "no judgement box"}
    elif fw == "sif" and kind in ("standard", "reinspection"):
        m2 = re.search(
            r"overall judgement is(?: that children's services (?:are|is)?)?\s*" + GRADE_RE,
            flat,
            re.I,
        )
        m = re.search(
            r"Children's services in [^.]{0,80}?\b(are|is|require|requires)\b\s+"
            r"(outstanding|good|inadequate|improvement(?: to be good)?)",
            flat,
            re.I,
        )
        if m2 and (not m or m2.start() < m.start()):
            grades["overall_effectiveness"] = _grade_word(m2.group(1))
        elif m:
            w = m.group(2).lower()
            grades["overall_effectiveness"] = (
                "requires_improvement" if w.startswith("improvement") else w
            )
        start_at = t.rfind("\n", 0, t.find("Children who need help and protection"))
        for _ in range(3):  # a grade can sit on the line above its label
            start_at = max(0, t.rfind("\n", 0, start_at - 1))
        ends = [
            e
            for e in (t.find("Contents", start_at + 5), t.find("Executive summary", start_at + 5))
            if e > 0
        ]
        box = t[start_at : min(ends) if ends else start_at + 1500]
        right = [
            m.group(0)
            for line in box.split("\n")
            for m in re.finditer(r"\S+(?: \S+)*", line)
            if m.start() >= 40  # the grade column
        ]
        grades.update(_box(SIF_LABELS, box, " ".join(right)))
    if fw == "sif" and kind in ("standard", "lscb_review"):
        m = re.search(
            r"(?:The Local Safeguarding Children Board(?: \(LSCB\))?|The LSCB|effectiveness of the "
            r"LSCB|effectiveness of the Local Safeguarding Children Board(?: \(LSCB\))?)"
            r"\s+(?:in [A-Z][\w ,'&-]+?\s+)?(is|are|requires|require)\s+"
            r"(?i:(outstanding|good|improvement(?: to be good)?|inadequate|adequate))",
            t,
        )
        if m:
            w = m.group(2).lower()
            grades["lscb"] = (
                "requires_improvement"
                if w.startswith("improvement") or m.group(1).startswith("require")
                else _grade_word(w)
            )
    if fw == "legacy":
        i = t.find("Record of main findings", t.find("Record of main findings") + 10)
        sec = t[i : i + 3000] if i > 0 else ""
        for code, label in (
            ("lac_overall_effectiveness", "Overall effectiveness"),
            ("lac_capacity_to_improve", "Capacity to improve"),
            ("lac_outcomes", "Outcomes for looked after children"),
            ("lac_quality_of_provision", "Quality of provision"),
            ("lac_leadership", "Leadership and management"),
        ):
            m = re.search(label + r"[^\n]*?\s" + GRADE_RE, sec, re.I)
            if m:
                grades[code] = _grade_word(m.group(1))
    out["grades"] = grades
    return out


def pdf_text(path: Path, pages: int | None) -> str | None:
    """The text of a report, or None when it is missing or not a readable PDF."""
    if not path.is_file() or not path.read_bytes()[:5].startswith(b"%PDF"):
        return None
    cmd = ["pdftotext", "-layout", "-q"] + (["-l", str(pages)] if pages else []) + [str(path), "-"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 and done.stdout.strip() else None


# ------------------------------------------------------------------ the checks


#: The class of a difference only its report can settle, where the report cannot be read.
UNSETTLED = "unsettled"


def check_overview(
    t: Tally, rows: list[Row], overview: list[dict[str, Any]], reports: Path | None
) -> None:
    """The overview's rows against the warehouse's latest ILACS inspections.

    A difference is settled by the report the warehouse read (``source`` when the report
    agrees with the warehouse, else ``defect``). Where that report cannot be read, with
    ``reports`` None (no ``pdftotext``) or the file not in ``reports``, the difference is
    ``unsettled``, never called either."""
    by_la: dict[str, list[Row]] = collections.defaultdict(list)
    for r in rows:
        by_la[r.la].append(r)
    for o in overview:
        ilacs = [r for r in by_la[o["la"]] if r.framework == "ilacs" and r.pub]
        w = max(ilacs, key=lambda r: r.pub or date.min) if ilacs else None
        where = f"{o['name']} ({o['la']}), overview row {o['row']}"
        if not t.check("overview: authority held", w is not None, True) or w is None:
            t.diff("overview", "defect", f"{where}: no ILACS inspection in the warehouse")
            continue
        read: list[dict[str, Any] | None] = []
        unread: list[str] = []  # why the report that would settle a difference is not read

        def report(
            w: Row = w, read: list[dict[str, Any] | None] = read, unread: list[str] = unread
        ) -> dict[str, Any] | None:
            """The report's own reading, settling a difference (read once, when needed)."""
            if not read:
                text = None
                if w.provenance == "report" and reports is None:
                    unread.append("not settled: pdftotext is not installed to read the report")
                elif w.provenance == "report" and not (reports / w.file).is_file():
                    unread.append(f"not settled: the report is not in {reports}")
                elif w.provenance == "report":
                    text = pdf_text(reports / w.file, 4)
                read.append(read_report(text) if text else None)
            return read[0]

        for field_, ours, theirs in (
            ("start_date", o["start"], w.start),
            ("end_date", o["end"], w.end),
            ("publication_date", o["pub"], w.pub),
            ("kind", o["kind"], w.kind),
        ):
            if ours is None:  # the overview gives none (two rows' dates, their kind)
                t.lacking += 1
                continue
            if t.check("overview: " + field_, ours, theirs):
                continue
            report_text = report()
            rep = None if report_text is None else report_text.get(field_.split("_")[0])
            kind = "source" if report_text is not None and rep == theirs else "defect"
            t.diff(
                "overview",
                UNSETTLED if unread else kind,
                f"{where}: {field_} overview {ours}, warehouse {theirs} ({w.provenance}"
                + (f"; the report says {rep}" if report_text else "")
                + "".join(f"; {why}" for why in unread)
                + ")",
            )
        for code, ours in o["grades"].items():
            theirs = w.grades.get(code, "(absent)")
            if t.check("overview: grade", ours, theirs):
                continue
            report_text = report()
            rep = None if report_text is None else report_text["grades"].get(code)
            kind = "source" if report_text is not None and rep == theirs else "defect"
            t.diff(
                "overview",
                UNSETTLED if unread else kind,
                f"{where}: {code} overview {ours}, warehouse {theirs} ({w.provenance}"
                + (f"; the report says {rep}" if report_text else "")
                + "".join(f"; {why}" for why in unread)
                + ")",
            )
        extra = set(w.grades) - set(o["grades"])
        if not t.check("overview: same judgements made", extra, set()):
            t.diff("overview", "defect", f"{where}: warehouse has {sorted(extra)} as well")
        if o["combined_but_leavers_graded"]:
            t.diff(
                "overview",
                "documented",
                f"{where}: a care-leavers grade for an inspection that judged children in care "
                "and care leavers together (docs/ofsted.md: dropped)",
            )


def _existing(overview: list[dict[str, Any]], on: date) -> set[str]:
    out = {o["la"] for o in overview} | set(REORGANISED)
    for old, (new, day) in REORGANISED.items():
        if on >= day:
            out.discard(old)
        else:
            out.difference_update(new)
    return out


_GROUPS = {
    # which judgements end one in force: the same children judged under another code
    "children_in_care": ("children_in_care", "children_in_care_and_care_leavers"),
    "care_leavers": ("care_leavers", "children_in_care_and_care_leavers"),
    "children_in_care_and_care_leavers": (
        "children_in_care_and_care_leavers",
        "children_in_care",
        "care_leavers",
    ),
}


def in_force(rows: list[Row], on: date, code: str) -> dict[str, tuple[Row, str | None]]:
    """Each authority's latest inspection published by ``on`` judging ``code`` (or the
    same children under another code), with its grade for ``code``."""
    group = _GROUPS.get(code, (code,))
    out: dict[str, tuple[Row, str | None]] = {}
    for r in rows:  # oldest first
        if r.pub and r.pub <= on and any(c in r.grades for c in group):
            g = r.grades.get(code)
            if code not in r.grades and code != "children_in_care_and_care_leavers":
                g = r.grades.get("children_in_care_and_care_leavers")
            out[r.la] = (r, g)
    return out


def run_cli(args: list[str], warehouse: Path) -> dict[str, Any]:
    exe = ROOT / ".venv" / "bin" / "cscwatch"
    cmd = [str(exe) if exe.exists() else "cscwatch", *args, "--warehouse", str(warehouse)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def check_in_force(
    t: Tally, rows: list[Row], overview: list[dict[str, Any]], warehouse: Path, cli: bool
) -> date:
    record = max(r.pub for r in rows if r.pub)
    ov = {o["la"]: o for o in overview}
    for code, arg in (("overall_effectiveness", "overall"), ("help_protection", "help_protection")):
        mine = in_force(rows, record, code)
        for la, o in ov.items():  # in force: the overview's (latest) inspection, every one
            r, _ = mine[la]
            if not t.check(
                "in force on the record's date: the overview's inspection", r.pub, o["pub"]
            ):
                t.diff(
                    "in force", "defect", f"{la} {code}: in force from {r.pub}, overview {o['pub']}"
                )
        if not cli:
            continue
        got = run_cli(["ofsted", "summary", "--judgement", arg, "--format", "json"], warehouse)
        counts = collections.Counter(g for _, g in mine.values() if g)
        for grade in GRADES.values():
            if not t.check("in force: CLI counts", counts[grade], got["counts"][grade]):
                t.diff(
                    "in force",
                    "defect",
                    f"{code} {grade}: ours {counts[grade]}, CLI {got['counts'][grade]}",
                )
        not_given = sorted(la for la, (_, g) in mine.items() if g is None)
        if not t.check("in force: CLI grade not given", not_given, got["grade_not_given"]):
            t.diff(
                "in force",
                "defect",
                f"{code} not given: ours {not_given}, CLI {got['grade_not_given']}",
            )
        if not t.check("in force: CLI record date", record.isoformat(), got["record_runs_to"]):
            t.diff("in force", "defect", f"record date ours {record}, CLI {got['record_runs_to']}")
        if not_given and code == "overall_effectiveness":
            t.diff(
                "in force",
                "documented",
                f"overall effectiveness not given by the overview for {', '.join(not_given)} "
                "(the cell says nan): no grade in force, not counted (docs/ofsted.md)",
            )
    return record


def stale_list(
    rows: list[Row], overview: list[dict[str, Any]], on: date
) -> dict[str, tuple[str, str | None, str | None]]:
    latest = in_force(rows, on, "overall_effectiveness")
    limit = _years_before(on, STALE_YEARS)
    out = {}
    for la in sorted(_existing(overview, on)):
        if la not in latest:
            out[la] = ("no_judgement_in_archive", None, None)
            continue
        r, g = latest[la]
        assert r.pub is not None
        if r.pub < limit:
            out[la] = ("older_than_three_years", r.pub.isoformat(), g)
    return out


def check_stale(
    t: Tally, rows: list[Row], overview: list[dict[str, Any]], record: date, warehouse: Path
) -> None:
    archive_end = max(r.pub for r in rows if r.pub and r.provenance == "report")
    days = [
        date(2016, 8, 25),
        date(2019, 3, 31),
        date(2019, 4, 1),
        date(2021, 3, 31),
        date(2021, 4, 1),
        date(2023, 3, 31),
        date(2023, 4, 1),
        archive_end,
        date(2025, 3, 31),
        record,
        date(2026, 12, 1),
    ]
    for day in days:
        mine = stale_list(rows, overview, day)
        got = run_cli(
            ["ofsted", "summary", "--as-at", day.isoformat(), "--format", "json"], warehouse
        )
        theirs = {
            s["la_code"]: (s["reason"], s["last_published"], s["last_grade"])
            for s in got["stale_authorities"]
        }
        t.check("stale: authorities existing", len(_existing(overview, day)), got["authorities"])
        for la in sorted(set(mine) | set(theirs)):
            if not t.check("stale: authority on a date", mine.get(la), theirs.get(la)):
                t.diff("stale", "defect", f"{day} {la}: ours {mine.get(la)}, CLI {theirs.get(la)}")
        if day > record and not t.check(
            "stale: labelled after the record", True, bool(got["note"])
        ):
            t.diff("stale", "defect", f"{day}: after the record, no note")


_LONG = "%d %B %Y"
_WORDS = {
    "Outstanding": "outstanding",
    "Good": "good",
    "Requires improvement": "requires_improvement",
    "Inadequate": "inadequate",
}
#: The authorities every run looks at on the pages: reorganised ones, grades not given,
#: the overview's errors, care judgements replaced.
_HARD = "835 836 837 838 839 909 928 940 941 942 943 304 933 342 393 892 846 332 358 201"
HARD_CASES = tuple(_HARD.split(" "))


def _long(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def check_served(
    t: Tally,
    rows: list[Row],
    overview: list[dict[str, Any]],
    warehouse: Path,
    profiles: int | None,
    seed: int,
) -> None:
    """What the API and the profile pages answer (the app started in process):

    * children in care, care leavers and the combined judgement in force
      (``/api/ofsted/summary``) against the rule of :func:`in_force`;
    * every authority's inspections (``/api/authorities/{la}/inspections``) against the
      warehouse rows;
    * profile pages (the hard cases and a seeded sample; ``profiles=None``: all): the
      sentence "Latest overall effectiveness judgement in force on <record date>" and
      the stale notice against this script's in-force and stale rules, and the
      section's CSV against the warehouse rows.
    """
    os.environ.setdefault("CSCWATCH_PSEUDONYM_KEY", "audit-ofsted-not-a-secret-0123456789abcdef")
    from fastapi.testclient import TestClient  # the product, to read what it answers

    from cscwatch.core.config import Settings
    from cscwatch.serve.app import create_app

    record = max(r.pub for r in rows if r.pub)
    app = create_app(Settings(warehouse=warehouse), warm=False, response_cache_bytes=0)
    with TestClient(app) as client:
        for code in _GROUPS:
            for day in (date(2021, 6, 1), date(2026, 6, 18)):
                mine = in_force(rows, day, code)
                counts = collections.Counter(g for _, g in mine.values() if g)
                got = client.get(
                    "/api/ofsted/summary", params={"as_at": day.isoformat(), "judgement": code}
                ).json()
                for grade in GRADES.values():
                    if not t.check(
                        "care judgements: API counts", counts[grade], got["counts"][grade]
                    ):
                        t.diff(
                            "care judgements",
                            "defect",
                            f"{code} on {day}, {grade}: ours {counts[grade]}, "
                            f"API {got['counts'][grade]}",
                        )
        every = sorted({o["la"] for o in overview} | set(REORGANISED))
        for la in every:
            got = client.get(f"/api/authorities/{la}/inspections").json()
            theirs = [
                (
                    i["publication_date"],
                    i["framework"],
                    i["kind"],
                    i["start_date"],
                    i["end_date"],
                    i["provenance"],
                    i["judgements"],
                )
                for i in got["data"]
            ]
            ours = [
                (
                    r.pub.isoformat() if r.pub else None,
                    r.framework,
                    r.kind,
                    r.start.isoformat() if r.start else None,
                    r.end.isoformat() if r.end else None,
                    r.provenance,
                    {k: v for k, v in r.grades.items() if v is not None},
                )
                for r in sorted(rows, key=lambda r: (r.pub or date.min, r.iid), reverse=True)
                if r.la == la
            ]
            if not t.check("API: an authority's inspections", ours, theirs):
                t.diff("API", "defect", f"{la}: /api/authorities/{la}/inspections differs")
        chosen = (
            every
            if profiles is None
            else sorted(set(HARD_CASES) | set(random.Random(seed).sample(every, profiles)))
        )
        latest = in_force(rows, record, "overall_effectiveness")
        stale = stale_list(rows, overview, record)
        for la in chosen:
            page = client.get(f"/authorities/{la}").text
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&#39;", "'")
            m = re.search(
                r"Latest overall effectiveness judgement in force on ([^,]+), the date the "
                r"Ofsted record runs to: (.+?)(?:, published| The latest inspection, "
                r"published) (\d+ \w+ \d{4})",
                text,
            )
            said = None if m is None else (m.group(1).strip(), m.group(2).strip(), m.group(3))
            r_g = latest.get(la)
            want = None
            if r_g is not None:
                r, g = r_g
                assert r.pub is not None
                word = {v: k for k, v in _WORDS.items()}.get(g or "", "not known .")
                want = (_long(record), word.split(" .")[0], _long(r.pub))
            if said is not None and said[1].startswith("not known"):
                said = (said[0], "not known", said[2])
            if not t.check("profile: judgement in force on the record's date", said, want):
                t.diff("profile", "defect", f"{la}: page says {said}, ours {want}")
            shown = re.search(r"Stale on [^:]+: ([^.]+)\.", text)
            reason = None if la not in stale else stale[la][0]
            words = {
                "older_than_three_years": "last judgement older than three years",
                "no_judgement_in_archive": "no judgement in the archive",
            }
            on_page = shown.group(1) if shown else None
            existed = la in _existing(overview, record)
            if existed and not t.check("profile: stale notice", on_page, words.get(reason or "")):
                t.diff("profile", "defect", f"{la}: stale notice {on_page!r}, ours {reason}")
            csv_rows = client.get(f"/authorities/{la}/tables/ofsted.csv")
            ours_csv = [
                ",".join(
                    [
                        r.pub.isoformat() if r.pub else "",
                        r.framework,
                        r.kind,
                        r.grades.get("overall_effectiveness") or "",
                        r.grades.get("help_protection") or "",
                        r.grades.get("children_in_care")
                        or r.grades.get("children_in_care_and_care_leavers")
                        or "",
                        r.grades.get("leadership") or "",
                        r.provenance,
                    ]
                )
                for r in sorted(rows, key=lambda r: (r.pub or date.min, r.iid), reverse=True)
                if r.la == la
            ]
            theirs_csv = csv_rows.text.strip().splitlines()[1:] if csv_rows.is_success else []
            if not t.check("profile: the section's CSV rows", ours_csv, theirs_csv):
                t.diff("profile", "defect", f"{la}: ofsted.csv differs")
    t.profiles = len(chosen)


def check_reports(
    t: Tally, rows: list[Row], reports: Path, sample: int | None, seed: int, verbose: bool
) -> list[str]:
    files = sorted(str(p.relative_to(reports)) for p in reports.glob("*/*.pdf"))
    held = {r.file: r for r in rows if r.provenance == "report"}
    chosen = files if sample is None else sorted(random.Random(seed).sample(files, sample))
    unreadable = []
    for f in files:
        if f not in held:
            unreadable.append(f)
    for f in chosen:
        full = pdf_text(reports / f, None)
        if full is None:
            t.check("reports: unreadable file not shown with grades", f in held, False)
            continue
        got = read_report(full)
        w = held.get(f)
        if not t.check("reports: read by the extraction", w is not None, True) or w is None:
            t.diff("reports", "defect", f"{f}: readable here, absent from the warehouse")
            continue
        published = got["published"] or date.fromisoformat(Path(f).name[:10])
        for field_, ours, theirs in (
            ("framework", got["framework"], w.framework),
            ("kind", got["kind"], w.kind),
            ("start_date", got["start"], w.start),
            ("end_date", got["end"], w.end),
            ("publication_date", published, w.pub),
        ):
            if not t.check("reports: " + field_, ours, theirs):
                t.diff("reports", "defect", f"{f}: {field_} report {ours}, warehouse {theirs}")
        grades = got["grades"]
        held_grades = w.grades
        if "?" in grades:
            t.compared["reports: grade"] += 1
            t.diff(
                "reports",
                "unclassified",
                f"{f}: this script could not read the box ({grades['?']})",
            )
            continue
        for code in sorted(set(grades) | set(held_grades)):
            if not t.check(
                "reports: grade", grades.get(code, "(absent)"), held_grades.get(code, "(absent)")
            ):
                t.diff(
                    "reports",
                    "defect",
                    f"{f}: {code} report {grades.get(code, '(absent)')}, warehouse "
                    f"{held_grades.get(code, '(absent)')}",
                )
        t.sampled[f"{w.framework} {w.kind}"] += 1
        if verbose:
            print(f"  read {f}: {got['framework']} {got['kind']} {got['start']}..{got['end']}")
    for f in unreadable:
        if pdf_text(reports / f, 1) is not None:
            t.diff("reports", "defect", f"{f}: a readable report the warehouse lacks")
            continue
        head = (reports / f).read_bytes()[:64].lstrip().lower()
        html = head.startswith((b"<!doctype html", b"<html"))
        what = "an HTML page saved as .pdf" if html else "not a readable PDF"
        t.diff(
            "reports",
            "source",
            f"{f}: {what}; not in the warehouse (its inspection is unknown: the authority "
            "shows no judgement for that period)",
        )
    return chosen


def check_reorganised(t: Tally, rows: list[Row]) -> None:
    for old, (new, day) in REORGANISED.items():
        held_old = [r for r in rows if r.la == old]
        if not t.check(
            "reorganised: predecessor's inspections dated before it ended",
            [r.file for r in held_old if r.pub and r.pub >= day],
            [],
        ):
            t.diff("reorganised", "defect", f"{old}: inspection published after {day}")
        for n in new:
            early = [r.file for r in rows if r.la == n and r.start and r.start < day]
            if not t.check("reorganised: successor's inspections after it began", early, []):
                t.diff("reorganised", "defect", f"{n}: {early} inspected before {day}")
        if not held_old:
            t.diff(
                "reorganised",
                "source",
                f"{old}: no inspection in the archive or the overview (the archive lacks the "
                "predecessor's reports; the overview lists current authorities only): shown as "
                "'no judgement in the archive' until it ended",
            )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--warehouse", type=Path, default=None)
    p.add_argument("--reports", type=Path, default=SHARED / "reports")
    p.add_argument("--overview", type=Path, default=SHARED / "ilacs_overview.xlsx")
    p.add_argument("--sample", type=int, default=45)
    p.add_argument("--profiles", type=int, default=10, help="profile pages sampled")
    p.add_argument("--all", action="store_true", help="every report and profile, no sample")
    p.add_argument("--seed", type=int, default=20261203)
    p.add_argument("--no-cli", action="store_true", help="skip what the CLI and API show")
    p.add_argument("--verbose", action="store_true")
    a = p.parse_args(argv)
    warehouse = a.warehouse or default_warehouse()
    rows = read_warehouse(warehouse)
    overview = read_overview(a.overview)
    t = Tally()
    have_pdftotext = shutil.which("pdftotext") is not None
    if have_pdftotext:
        need(a.reports, "folder of Ofsted reports", folder=True)
    check_overview(t, rows, overview, a.reports if have_pdftotext else None)
    record = check_in_force(t, rows, overview, warehouse, not a.no_cli)
    if not a.no_cli:
        check_stale(t, rows, overview, record, warehouse)
        check_served(t, rows, overview, warehouse, None if a.all else a.profiles, a.seed)
    check_reorganised(t, rows)
    if have_pdftotext:
        chosen = check_reports(t, rows, a.reports, None if a.all else a.sample, a.seed, a.verbose)
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(t.sampled.items()))
        print(f"reports read with pdftotext: {len(chosen)} (seed {a.seed}): {kinds}")
    else:
        print("pdftotext (poppler-utils) not installed: the reports were not read")
    if t.profiles:
        print(f"profile pages read: {t.profiles} (the hard cases and a sample, seed {a.seed})")
    print(f"Ofsted audit against {warehouse} (record runs to {record})")
    for part in sorted(t.compared):
        print(f"  {part}: compared {t.compared[part]}, equal {t.equal[part]}")
    n, m = sum(t.compared.values()), sum(t.equal.values())
    print(f"  (not compared: {t.lacking} values the overview does not give)")
    print(f"compared {n}, equal {m}")
    by_class = collections.Counter(k for _, k, _ in t.diffs)
    print(
        "differences by class: "
        + (", ".join(f"{k} {v}" for k, v in sorted(by_class.items())) or "none")
    )
    for part, kind, text in t.diffs:
        print(f"  [{kind}] {part}: {text}")
    if by_class[UNSETTLED]:
        print(
            f"{by_class[UNSETTLED]} differences unsettled: the reports that would settle them "
            "could not be read here (install pdftotext, Debian's poppler-utils, or give --reports)"
        )
    return 1 if by_class["defect"] or by_class["unclassified"] or by_class[UNSETTLED] else 0


if __name__ == "__main__":
    sys.exit(run(main, None, "audit_ofsted.py"))
