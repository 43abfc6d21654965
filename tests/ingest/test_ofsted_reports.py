"""Ofsted report extraction: real reports of each framework, bad files, the cache,
and the shipped snapshot checked against Ofsted's own ILACS overview."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cscwatch.ingest.ofsted_reports as reports_mod
from cscwatch.core.errors import SourceFileError
from cscwatch.ingest.ofsted_reports import (
    JUDGEMENT_COLUMNS,
    ExtractedReport,
    FailureCode,
    ProviderLookup,
    ReportStatus,
    extract_report,
    extract_reports,
    load_provider_lookup,
    read_pdf_text,
    write_judgements_csv,
)
from cscwatch.ingest.ofsted_text import (
    Framework,
    Grade,
    JudgementCode,
    ReportKind,
    normalise_text,
    parse_grade,
    parse_inspection_dates,
    parse_report_text,
)

GOLDEN = Path(__file__).parents[1] / "golden" / "ofsted_handchecked.csv"

#: A handful of ILACS reports with what their judgement tables say (read by hand).
ILACS_SAMPLES = {
    # short/standard, leaders, help and protection, in care (+ care leavers), overall
    "2532283-dorset/2021-11-19_childrens-services-inspection.pdf": (
        ReportKind.STANDARD,
        {
            "leadership": "outstanding",
            "help_protection": "good",
            "children_in_care_and_care_leavers": "good",
            "overall_effectiveness": "good",
        },
    ),
    "80441-bristol/2023-03-10_childrens-services-inspection.pdf": (
        ReportKind.STANDARD,
        {
            "leadership": "requires_improvement",
            "help_protection": "requires_improvement",
            "children_in_care": "good",
            "care_leavers": "good",
            "overall_effectiveness": "requires_improvement",
        },
    ),
    "80560-st-helens/2019-11-04_childrens-services-inspection.pdf": (
        ReportKind.STANDARD,
        {
            "leadership": "requires_improvement",
            "help_protection": "requires_improvement",
            "children_in_care_and_care_leavers": "inadequate",
            "overall_effectiveness": "inadequate",
        },
    ),
    "80476-kent/2022-07-05_childrens-services-inspection.pdf": (
        ReportKind.STANDARD,  # title without "local authority"
        {
            "leadership": "outstanding",
            "help_protection": "good",
            "children_in_care_and_care_leavers": "outstanding",
            "overall_effectiveness": "outstanding",
        },
    ),
    "80426-barnsley/2023-10-27_childrens-services-inspection.pdf": (
        ReportKind.SHORT,
        {
            "leadership": "good",
            "help_protection": "requires_improvement",
            "children_in_care": "good",
            "care_leavers": "good",
            "overall_effectiveness": "good",
        },
    ),
    "80557-south-tyneside/2023-05-10_childrens-services-inspection.pdf": (
        ReportKind.SHORT,  # split: 5 to 9 December 2022 and 14 to 15 February 2023
        None,
    ),
}

HTML_FILES = [
    "80429-birmingham/2012-10-19_childrens-services-inspection.pdf",
    "80431-blackpool/2012-07-13_childrens-services-inspection.pdf",
    "80490-bromley/2012-08-17_childrens-services-inspection.pdf",
    "80543-rotherham/2012-08-10_childrens-services-inspection.pdf",
]


def _golden() -> list[dict[str, str]]:
    with GOLDEN.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def reports_dir(shared_data: Path) -> Path:
    return shared_data / "ofsted" / "reports"


@pytest.fixture(scope="session")
def lookup(snapshot_dir: Path) -> ProviderLookup:
    return load_provider_lookup(snapshot_dir / "provider_lookup.csv")


@pytest.fixture(scope="session")
def extracted(reports_dir: Path, lookup: ProviderLookup) -> dict[str, ExtractedReport]:
    """The hand-checked reports, the ILACS samples and the HTML files, extracted once."""
    files = [r["file"] for r in _golden()] + list(ILACS_SAMPLES) + HTML_FILES
    return {f: extract_report(reports_dir / f, lookup, root=reports_dir) for f in files}


# ------------------------------------------------------------------- real reports


@pytest.mark.parametrize("row", _golden(), ids=lambda r: r["file"].split("/")[0])
def test_hand_checked_reports(row: dict[str, str], extracted: dict[str, ExtractedReport]) -> None:
    r = extracted[row["file"]]
    assert r.status is ReportStatus.GRADED and r.parsed is not None
    assert r.parsed.framework.value == row["framework"]
    assert r.parsed.kind.value == row["kind"]
    assert r.parsed.start_date == date.fromisoformat(row["start_date"])
    assert r.parsed.end_date == date.fromisoformat(row["end_date"])
    assert r.publication_date == date.fromisoformat(row["publication_date"])
    texts = {j.judgement.value: j.grade_text for j in r.judgements}
    for code in JudgementCode:
        want = row.get(code.value, "")
        if want == "not_judged":
            assert code in r.parsed.not_judged, code
        elif want:
            assert r.grade(code) is parse_grade(want), code
            if want == "adequate":  # the old word is kept alongside the mapped grade
                assert texts[code.value].lower() == "adequate"
        else:
            assert r.grade(code) is None, code
    assert r.la_code is not None and not r.problems


@pytest.mark.parametrize("file", list(ILACS_SAMPLES), ids=lambda f: f.split("/")[0])
def test_ilacs_reports(file: str, extracted: dict[str, ExtractedReport]) -> None:
    kind, grades = ILACS_SAMPLES[file]
    r = extracted[file]
    assert r.parsed is not None and r.parsed.framework is Framework.ILACS
    assert r.parsed.kind is kind
    if grades is not None:
        assert {j.judgement.value: j.grade.value for j in r.judgements} == grades
    assert r.publication_date_source == "file_name"  # ILACS reports print no date
    assert not r.problems


def test_authority_from_urn(extracted: dict[str, ExtractedReport]) -> None:
    dorset = extracted["2532283-dorset/2021-11-19_childrens-services-inspection.pdf"]
    assert (dorset.urn, dorset.la_code, dorset.authority) == ("2532283", "838", "Dorset")
    kent = extracted["80476-kent/2022-07-05_childrens-services-inspection.pdf"]
    assert (
        kent.la_code == "886"
        and kent.parsed
        and kent.parsed.name_in_report == "Kent County Council"
    )


@pytest.mark.parametrize("file", HTML_FILES)
def test_html_saved_as_pdf_is_skipped(file: str, extracted: dict[str, ExtractedReport]) -> None:
    r = extracted[file]
    assert r.status is ReportStatus.FAILED and r.failure is FailureCode.HTML
    assert r.parsed is None and r.judgements == () and "HTML" in (r.failure_reason or "")


# ---------------------------------------------------------------- bad files


def _tiny_pdf(*, encrypt: bool = False) -> bytes:
    """A one-page PDF with no text; with a Standard security handler when asked."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    if encrypt:
        objs.append(
            b"<< /Filter /Standard /V 1 /R 2 /O <"
            + b"11" * 32
            + b"> /U <"
            + b"22" * 32
            + b"> /P -4 >>"
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objs) + 1)
    if encrypt:
        trailer += b" /Encrypt 4 0 R /ID [<" + b"33" * 16 + b"> <" + b"33" * 16 + b">]"
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


@pytest.fixture()
def mixed_dir(tmp_path: Path, reports_dir: Path) -> Path:
    """One good report beside an encrypted, a truncated, an empty and an HTML file."""
    real = reports_dir / "80473-hartlepool/2014-02-11_childrens-services-inspection.pdf"
    folder = tmp_path / "reports" / "80473-hartlepool"
    folder.mkdir(parents=True)
    shutil.copy(real, folder / "2014-02-11_good.pdf")
    data = real.read_bytes()
    (folder / "2014-02-12_truncated.pdf").write_bytes(data[: len(data) // 2])
    (folder / "2014-02-13_encrypted.pdf").write_bytes(_tiny_pdf(encrypt=True))
    (folder / "2014-02-14_blank.pdf").write_bytes(_tiny_pdf())
    (folder / "2014-02-15_empty.pdf").write_bytes(b"")
    (folder / "2014-02-16_page.pdf").write_bytes(b"<!DOCTYPE html><html><body>404</body></html>")
    (folder / "2014-02-17_junk.pdf").write_bytes(b"PK\x03\x04 a zip file")
    return tmp_path / "reports"


def test_bad_files_are_reported_not_fatal(mixed_dir: Path, lookup: ProviderLookup) -> None:
    run = extract_reports(mixed_dir, lookup, workers=1)
    got = {Path(r.file).name.split("_", 1)[1]: (r.status, r.failure) for r in run.reports}
    assert got == {
        "good.pdf": (ReportStatus.GRADED, None),
        "truncated.pdf": (ReportStatus.FAILED, FailureCode.TRUNCATED),
        "encrypted.pdf": (ReportStatus.FAILED, FailureCode.ENCRYPTED),
        "blank.pdf": (ReportStatus.FAILED, FailureCode.NO_TEXT),
        "empty.pdf": (ReportStatus.FAILED, FailureCode.EMPTY),
        "page.pdf": (ReportStatus.FAILED, FailureCode.HTML),
        "junk.pdf": (ReportStatus.FAILED, FailureCode.NOT_PDF),
    }
    assert all(r.failure_reason for r in run.failed)
    assert run.counts() == {"failed": {"failed": 6}, "sif": {"graded": 1}}


def test_read_pdf_text_raises_source_file_error() -> None:
    with pytest.raises(SourceFileError, match="password"):
        read_pdf_text(_tiny_pdf(encrypt=True))


def test_missing_folder_is_an_input_error(tmp_path: Path, lookup: ProviderLookup) -> None:
    with pytest.raises(SourceFileError, match="does not exist"):
        extract_reports(tmp_path / "nope", lookup)


# ------------------------------------------------------------------------- cache


def test_cache_by_hash(
    mixed_dir: Path, lookup: ProviderLookup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    cold = extract_reports(mixed_dir, lookup, cache_dir=cache, workers=1)
    assert (cold.cache_hits, cold.extracted) == (0, 7)
    # identical bytes share a record: the cache is keyed by content, not by name
    assert len(list(cache.glob("*.json"))) == 7

    calls: list[int] = []
    real = reports_mod._pdf_text

    def counting(data: bytes) -> str:
        calls.append(1)
        return real(data)

    monkeypatch.setattr(reports_mod, "_pdf_text", counting)
    warm = extract_reports(mixed_dir, lookup, cache_dir=cache, workers=1)
    assert (warm.cache_hits, warm.extracted) == (7, 0) and calls == []
    assert warm.reports == cold.reports

    # a damaged entry or one from an older grammar is made again
    good = next(r for r in cold.reports if r.status is ReportStatus.GRADED)
    (cache / f"{good.sha256}.json").write_text("{not json", encoding="utf-8")
    again = extract_reports(mixed_dir, lookup, cache_dir=cache, workers=1)
    assert (again.cache_hits, again.extracted) == (6, 1) and calls == [1]
    monkeypatch.setattr(reports_mod, "PARSER_VERSION", reports_mod.PARSER_VERSION + 1)
    assert extract_reports(mixed_dir, lookup, cache_dir=cache, workers=1).extracted == 7


def test_changed_file_is_extracted_again(
    mixed_dir: Path, lookup: ProviderLookup, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    extract_reports(mixed_dir, lookup, cache_dir=cache, workers=1)
    target = next(mixed_dir.rglob("*_junk.pdf"))
    target.write_bytes(b"still not a pdf")
    run = extract_reports(mixed_dir, lookup, cache_dir=cache, workers=1)
    assert (run.cache_hits, run.extracted) == (6, 1)


def test_process_pool_gives_the_same_records(
    mixed_dir: Path, lookup: ProviderLookup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports_mod, "_POOL_MIN", 2)
    pooled = extract_reports(mixed_dir, lookup, workers=2)
    assert pooled.reports == extract_reports(mixed_dir, lookup, workers=1).reports


# --------------------------------------------------------- the shipped snapshot


def _snapshot_rows(snapshot_dir: Path) -> list[dict[str, str]]:
    with (snapshot_dir / "ofsted_judgements.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_snapshot_matches_the_parser(
    snapshot_dir: Path, tmp_path: Path, extracted: dict[str, ExtractedReport]
) -> None:
    out = tmp_path / "sample.csv"
    write_judgements_csv(extracted.values(), out)
    with out.open(encoding="utf-8") as fh:
        sample = list(csv.DictReader(fh))
    files = {r["file"] for r in sample}
    shipped = [r for r in _snapshot_rows(snapshot_dir) if r["file"] in files]
    assert sorted(map(tuple, (r.values() for r in shipped))) == sorted(
        map(tuple, (r.values() for r in sample))
    ), "data/snapshot/ofsted_judgements.csv is stale: run 'cscwatch ofsted extract'"
    assert tuple(sample[0]) == JUDGEMENT_COLUMNS


def test_snapshot_is_small_and_complete(snapshot_dir: Path) -> None:
    rows = _snapshot_rows(snapshot_dir)
    path = snapshot_dir / "ofsted_judgements.csv"
    assert path.stat().st_size < 500_000
    reports = {r["file"] for r in rows}
    assert len(reports) == 431  # 435 files less the four HTML pages
    assert not {f for f in reports if f in HTML_FILES}
    assert all(r["la_code"] for r in rows)


#: Where the ILACS overview and the report disagree, and which is right (checked by
#: reading the report). St Helens 2023: the overview's three sub-judgements are
#: shifted by one row; the report's table says help and protection RI, children in
#: care good, care leavers outstanding. South Tyneside 2022-23 was a split inspection:
#: the overview gives the end of the first visit, the extract the last day on site.
#: Nottingham 2022 was inspected before care leavers were judged apart (January
#: 2023): the report grades "children in care and care leavers" together, yet the
#: overview gives care leavers a grade of its own.
KNOWN_OVERVIEW_ERRORS = {
    ("80533", "care_leavers"): ("inadequate", None),
    ("80560", "help_protection"): ("good", "requires_improvement"),
    ("80560", "in_care"): ("requires_improvement", "good"),
    ("80560", "care_leavers"): ("good", "outstanding"),
    ("80557", "end_date"): ("2022-12-09", "2023-02-15"),
}


def _overview(shared_data: Path) -> list[dict[str, object]]:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(shared_data / "ofsted" / "ilacs_overview.xlsx", read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    wb.close()
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _dmy(text: object, fmt: str) -> str | None:
    return datetime.strptime(str(text), fmt).date().isoformat() if text else None


def test_snapshot_agrees_with_ilacs_overview(snapshot_dir: Path, shared_data: Path) -> None:
    """Every ILACS report present in both: overall, every sub-judgement, short or
    standard, dates. Disagreements are listed; only the known ones are allowed."""
    by_report: dict[tuple[str, str], dict[str, str]] = {}
    meta: dict[tuple[str, str], dict[str, str]] = {}
    for r in _snapshot_rows(snapshot_dir):
        if r["framework"] != "ilacs":
            continue
        for key in (
            (r["urn"], "start:" + r["start_date"]),
            (r["urn"], "pub:" + r["publication_date"]),
        ):
            meta[key] = r
            by_report.setdefault(key, {})[r["judgement"]] = r["grade"]
    compared = agreed = 0
    disagreements: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for o in _overview(shared_data):
        urn = str(o["urn"])
        start = _dmy(o["inspection_start_date"], "%d/%m/%Y")
        key = (
            (urn, "start:" + start)
            if start
            else (urn, "pub:" + str(_dmy(o["publication_date"], "%d/%m/%y")))
        )
        if key not in by_report:
            continue  # the archive lacks this inspection
        compared += 1
        grades, m = by_report[key], meta[key]

        def norm(v: object) -> str | None:
            s = str(v or "").strip().lower().replace(" ", "_")
            return None if s in ("", "none", "inspection_pre_dates_judgement") else s

        pairs = {
            "overall": (
                norm(o["overall_effectiveness_grade"]),
                grades.get("overall_effectiveness"),
            ),
            "leadership": (norm(o["impact_of_leaders_grade"]), grades.get("leadership")),
            "help_protection": (
                norm(o["help_and_protection_grade"]),
                grades.get("help_protection"),
            ),
            "in_care": (
                norm(o["in_care_grade"]),
                grades.get("children_in_care") or grades.get("children_in_care_and_care_leavers"),
            ),
            "care_leavers": (norm(o["care_leavers_grade"]), grades.get("care_leavers")),
            "kind": (norm(o["inspection_framework"]), m["kind"]),
            "end_date": (_dmy(o["inspection_end_date"], "%d/%m/%Y"), m["end_date"]),
        }
        ok = True
        for field, (theirs, ours) in pairs.items():
            if field in ("kind", "end_date") and theirs is None:
                continue
            if theirs != ours:
                disagreements[(urn, field)] = (theirs, ours)
                ok = False
        agreed += ok
    assert compared >= 95
    assert disagreements == KNOWN_OVERVIEW_ERRORS, "\n".join(
        f"{urn} {field}: overview {a!r}, report {b!r}"
        for (urn, field), (a, b) in sorted(disagreements.items())
    )
    assert agreed == compared - 3


# ---------------------------------------------------------------- the grammar


def test_narrative_does_not_pass_for_a_judgement() -> None:
    text = "\n".join(
        [
            "1",
            "Somewhere Council",
            "Inspection of services for children in need of help and",
            "protection, children looked after and care leavers",
            "Inspection date: 1 June 2015 - 25 June 2015",
            "Children's services in Somewhere are good",
            "Services for children who need help and protection requires improvement in places.",
            "1. Children who need help and protection Good",
            "Executive summary",
            "3. Leadership, management and governance Requires improvement",
        ]
    )
    parsed = parse_report_text(text)
    assert parsed is not None and parsed.framework is Framework.SIF
    grades = {j.judgement: j.grade for j in parsed.judgements}
    assert grades == {JudgementCode.OVERALL: Grade.GOOD, JudgementCode.HELP_PROTECTION: Grade.GOOD}
    assert "missing judgement: leadership" in parsed.problems


def test_ungraded_visits_are_classified() -> None:
    for title, kind in [
        (
            "Focused visit to Somewhere local authority children's services",
            ReportKind.FOCUSED_VISIT,
        ),
        ("Monitoring visit to Somewhere children's services", ReportKind.MONITORING_VISIT),
        ("Joint targeted area inspection of the multi-agency response", ReportKind.JTAI),
    ]:
        parsed = parse_report_text(f"{title}\nInspection dates: 1 to 2 May 2019\n")
        assert parsed is not None and parsed.kind is kind and not kind.graded
        assert parsed.judgements == () and parsed.problems == ()
    assert parse_report_text("A letter about something else entirely") is None


@pytest.mark.parametrize(
    ("printed", "grade"),
    [
        ("Requires improvement to be good", Grade.REQUIRES_IMPROVEMENT),
        ("Require  improvement", Grade.REQUIRES_IMPROVEMENT),
        ("Adequate", Grade.REQUIRES_IMPROVEMENT),
        ("OUTSTANDING", Grade.OUTSTANDING),
        ("Not judged", None),
    ],
)
def test_parse_grade(printed: str, grade: Grade | None) -> None:
    assert parse_grade(printed) is grade


_MONTH = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@given(
    start=st.dates(min_value=date(2009, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=0, max_value=60),
    style=st.sampled_from(["full", "to", "dash", "slash", "short"]),
)
def test_inspection_dates_round_trip(start: date, days: int, style: str) -> None:
    end = start + timedelta(days=days)
    full = lambda d: f"{d.day} {_MONTH[d.month - 1]} {d.year}"  # noqa: E731
    if style == "full":
        text = f"{full(start)} to {full(end)}"
    elif style == "slash":
        text = f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"
    elif start.year == end.year and start.month == end.month and style == "short":
        text = f"{start.day} to {full(end)}"
    elif start.year == end.year:
        text = (
            f"{start.day} {_MONTH[start.month - 1]} {'-' if style == 'dash' else 'to'} {full(end)}"
        )
    else:
        text = f"{full(start)} – {full(end)}"
    assert parse_inspection_dates(normalise_text(text)) == (start, end)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_parser_never_raises(text: str) -> None:
    parse_report_text(text)
    assert normalise_text(normalise_text(text)) == normalise_text(text)


# ------------------------------------------------- what the archive holds (visits)


def _text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds ``lines`` (Helvetica)."""
    ops = (
        b"BT /F1 10 Tf 20 180 Td 12 TL "
        + b" ".join(b"(" + line.encode("latin-1") + b") Tj T*" for line in lines)
        + b" ET"
    )
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1,
        xref,
    )
    return bytes(out)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            [
                "1 March 2020",
                "Dear Ms Smith",
                "Focused visit to Leeds local authority",
                "children's services",
            ],
            "ilacs focused_visit",
        ),
        (["Monitoring visit to Birmingham children's services"], "ilacs monitoring_visit"),
        (["Dear Mr Jones", "Thank you for your letter."], "letter"),
        (["Minutes of a meeting"], "unrecognised"),
    ],
)
def test_first_page_document_type(lines: list[str], expected: str) -> None:
    assert reports_mod.first_page_document_type(_text_pdf(lines)) == expected


def test_first_page_document_type_of_bad_files() -> None:
    html = b"<!DOCTYPE html><html><body>404</body></html>"
    assert reports_mod.first_page_document_type(html) == "failed: html"
    assert reports_mod.first_page_document_type(_tiny_pdf(encrypt=True)) == "failed: unreadable"


def test_the_archive_holds_no_visit_letters(reports_dir: Path) -> None:
    """Every one of the 435 files, classified from the text of its first page alone:
    inspection reports and four HTML pages; no focused visit, monitoring visit or JTAI
    letter (so there are none to make into early-warning features)."""
    files = sorted(reports_dir.rglob("*.pdf"))
    kinds = Counter(reports_mod.first_page_document_type(p.read_bytes()) for p in files)
    assert kinds == {
        "ilacs standard": 259,  # 163 standard and 96 short inspections
        "sif standard": 151,
        "sif reinspection": 16,
        "sif lscb_review": 1,
        "legacy looked_after": 4,
        "failed: html": 4,
    }
