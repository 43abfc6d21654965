"""Ofsted inspection reports: PDF → text → typed record, cached by file hash.

:func:`extract_reports` walks a folder of published reports laid out as
``<urn>-<authority>/<publication date>_<title>.pdf``, reads each PDF's text with
pypdfium2, parses it with :mod:`cscwatch.ingest.ofsted_text`, and maps the Ofsted URN
to the authority's LA number through ``provider_lookup.csv``. A file that is not a
readable PDF (an HTML page saved under a ``.pdf`` name, an encrypted or truncated
file) is reported with its reason and skipped; one bad file never stops the run.

Extraction is cached by content: ``<cache_dir>/<sha256 of the bytes>.json`` holds
what the text said, so a re-run over unchanged reports does no PDF work. The cache
records the parser version and is ignored when the grammar changes.

:func:`write_judgements_csv` writes the long table bundled in the snapshot as
``ofsted_judgements.csv`` (one row per judgement; see ``docs/ofsted.md``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

from cscwatch.core.errors import InputError, SourceFileError
from cscwatch.core.progress import ProgressCallback, tick
from cscwatch.ingest.ofsted_text import (
    Framework,
    Grade,
    JudgementCode,
    ParsedJudgement,
    ParsedReport,
    ReportKind,
    classify_title,
    normalise_text,
    parse_report_text,
)

__all__ = [
    "JUDGEMENTS_FILE",
    "JUDGEMENT_COLUMNS",
    "PARSER_VERSION",
    "ExtractedReport",
    "ExtractionRun",
    "FailureCode",
    "ProviderLookup",
    "ReportStatus",
    "count_inspections",
    "extract_report",
    "extract_reports",
    "first_page_document_type",
    "load_provider_lookup",
    "read_pdf_text",
    "write_judgements_csv",
]

#: Bump when the grammar changes: cached records of another version are re-made.
PARSER_VERSION = 6

#: The snapshot file of extracted judgements.
JUDGEMENTS_FILE = "ofsted_judgements.csv"

#: Columns of ``ofsted_judgements.csv``, in order.
JUDGEMENT_COLUMNS = (
    "file",
    "urn",
    "la_code",
    "framework",
    "kind",
    "start_date",
    "end_date",
    "publication_date",
    "judgement",
    "grade",
    "grade_text",
)

#: Fewer uncached reports than this are extracted in-process (a pool costs ~0.5 s).
_POOL_MIN = 16


class ReportStatus(StrEnum):
    """What became of one file."""

    GRADED = "graded"
    UNGRADED = "ungraded"  # focused visit, monitoring visit, JTAI
    FAILED = "failed"


class FailureCode(StrEnum):
    """Why a file was skipped."""

    EMPTY = "empty"
    HTML = "html"
    NOT_PDF = "not_pdf"
    TRUNCATED = "truncated"
    ENCRYPTED = "encrypted"
    UNREADABLE = "unreadable"
    NO_TEXT = "no_text"
    UNRECOGNISED = "unrecognised"
    NO_JUDGEMENTS = "no_judgements"


@dataclass(frozen=True)
class ExtractedReport:
    """One report file after extraction and the authority lookup.

    Attributes
    ----------
    file : str
        Path relative to the reports folder, with ``/`` separators.
    sha256 : str
        Of the file's bytes; the cache key.
    urn, la_code, authority : str or None
        The Ofsted URN from the folder name, the DfE LA number and the authority's
        name from the provider lookup.
    status : ReportStatus
    parsed : ParsedReport or None
        What the text said; ``None`` when the file failed.
    failure, failure_reason : FailureCode or None, str or None
    publication_date : date or None
        As the report states it ("Report published: ..."), else from the file name.
    publication_date_source : {"report", "file_name"} or None
    problems : tuple of str
        Anything doubtful: judgements not found, the report naming another authority.
    """

    file: str
    sha256: str
    urn: str | None
    la_code: str | None
    authority: str | None
    status: ReportStatus
    parsed: ParsedReport | None
    failure: FailureCode | None = None
    failure_reason: str | None = None
    publication_date: date | None = None
    publication_date_source: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def judgements(self) -> tuple[ParsedJudgement, ...]:
        """The graded judgements (empty for ungraded or failed files)."""
        return self.parsed.judgements if self.parsed else ()

    def grade(self, judgement: JudgementCode) -> Grade | None:
        """The grade for ``judgement``, or ``None`` when not graded."""
        return next((j.grade for j in self.judgements if j.judgement is judgement), None)


@dataclass(frozen=True)
class ExtractionRun:
    """Every file of one extraction run, in path order, and what it cost."""

    reports: tuple[ExtractedReport, ...]
    cache_hits: int
    extracted: int
    seconds: float

    @property
    def failed(self) -> tuple[ExtractedReport, ...]:
        """Files skipped, with their reasons."""
        return tuple(r for r in self.reports if r.status is ReportStatus.FAILED)

    def counts(self) -> dict[str, dict[str, int]]:
        """Reports per framework (``failed`` for skipped files) by status."""
        out: dict[str, Counter[str]] = {}
        for r in self.reports:
            key = r.parsed.framework.value if r.parsed else "failed"
            out.setdefault(key, Counter())[r.status.value] += 1
        return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


# ------------------------------------------------------------------ provider lookup


@dataclass(frozen=True)
class ProviderLookup:
    """Ofsted URN → (LA number, authority name), and names → LA number."""

    by_urn: dict[str, tuple[str, str]]
    by_name: dict[str, str] = field(default_factory=dict)

    def name_of(self, la_code: str) -> str | None:
        """The authority's name for an LA number, if the lookup has it."""
        return next((n for c, n in self.by_urn.values() if c == la_code), None)


_NAME_NOISE = re.compile(
    r"\b(the|of|council|county|city|borough|metropolitan|district|london|royal|"
    r"local|authority|unitary|and|children's|children|services|safeguarding|board)\b"
)


def _name_key(name: str) -> str:
    s = name.lower().replace("&", " and ").replace("st.", "st").replace("’", "'")
    s = _NAME_NOISE.sub(" ", re.sub(r"[^a-z' ]+", " ", s))
    return " ".join(s.split())


def load_provider_lookup(path: Path) -> ProviderLookup:
    """Read Ofsted's ``provider_lookup.csv`` (URN, LA number, names).

    Raises
    ------
    SourceFileError
        When the file is missing or lacks the ``urn``/``la_code`` columns.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceFileError(f"cannot read the provider lookup: {exc}", path=str(path)) from exc
    reader = csv.DictReader(io.StringIO(text))
    need = {"urn", "la_code", "local_authority_ons_name"}
    if not need <= set(reader.fieldnames or ()):
        raise SourceFileError(
            f"provider lookup lacks columns {sorted(need - set(reader.fieldnames or ()))}",
            path=str(path),
        )
    by_urn: dict[str, tuple[str, str]] = {}
    by_name: dict[str, str] = {}
    for row in reader:
        urn, code, name = (
            row["urn"].strip(),
            row["la_code"].strip(),
            row["local_authority_ons_name"],
        )
        if not urn or not code:
            continue
        by_urn[urn] = (code, name.strip())
        aliases = [name, *re.findall(r"[^\[\],]+", row.get("also_known_as") or "")]
        for alias in aliases:
            if _name_key(alias):
                by_name.setdefault(_name_key(alias), code)
    return ProviderLookup(by_urn, by_name)


def _names_agree(report_name: str, lookup_name: str, lookup: ProviderLookup, code: str) -> bool:
    got = _name_key(report_name)
    if not got:
        return True
    keys = {k for k, c in lookup.by_name.items() if c == code} | {_name_key(lookup_name)}
    return any(k and (k in got or got in k) for k in keys)


# ------------------------------------------------------------------------ PDF text


class _Unreadable(Exception):
    def __init__(self, code: FailureCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _sniff(data: bytes) -> None:
    """Refuse bytes that are not a whole PDF, naming what they are instead."""
    if not data.strip():
        raise _Unreadable(FailureCode.EMPTY, "empty file")
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<!--")):
        raise _Unreadable(FailureCode.HTML, "an HTML page saved under a .pdf name")
    if b"%PDF-" not in data[:1024]:
        raise _Unreadable(FailureCode.NOT_PDF, f"not a PDF (starts {data[:8]!r})")
    if b"%%EOF" not in data[-2048:]:
        raise _Unreadable(FailureCode.TRUNCATED, "truncated: no %%EOF marker at the end")


def read_pdf_text(data: bytes) -> str:
    """The text of every page, pages separated by form feeds.

    Raises
    ------
    SourceFileError
        When the bytes are not a readable PDF (HTML, encrypted, truncated, damaged).
    """
    try:
        return _pdf_text(data)
    except _Unreadable as exc:
        raise SourceFileError(exc.reason) from exc


def _pdf_text(data: bytes) -> str:
    _sniff(data)
    import pypdfium2 as pdfium  # imported late: a warm run needs no PDF library

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower():
            raise _Unreadable(FailureCode.ENCRYPTED, "encrypted: needs a password") from exc
        raise _Unreadable(FailureCode.UNREADABLE, f"PDF cannot be opened ({msg})") from exc
    pages: list[str] = []
    try:
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            try:
                pages.append(textpage.get_text_range())
            finally:
                textpage.close()
                page.close()
    except pdfium.PdfiumError as exc:
        raise _Unreadable(FailureCode.UNREADABLE, f"PDF page unreadable ({exc})") from exc
    finally:
        doc.close()
    text = "\n\f\n".join(pages)
    if not text.strip():
        raise _Unreadable(FailureCode.NO_TEXT, "no text layer (a scanned image?)")
    return text


_LETTER = re.compile(r"^dear\b", re.I | re.M)


def first_page_document_type(data: bytes) -> str:
    """What a file is, from the text of its first page alone.

    ``"<framework> <kind>"`` for a recognised title (``"ilacs focused_visit"``,
    ``"ilacs monitoring_visit"``, ``"ilacs jtai"``, ``"sif standard"`` …; ILACS short
    inspections read as ``standard``), ``"letter"`` for an unrecognised page written
    as a letter ("Dear …"), ``"unrecognised"``, or ``"failed: <reason code>"`` for a
    file that is not a readable PDF. Used to check what the archive holds.
    """
    try:
        _sniff(data)
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(data)
    except _Unreadable as exc:
        return f"failed: {exc.code.value}"
    except pdfium.PdfiumError:
        return f"failed: {FailureCode.UNREADABLE.value}"
    try:
        page = doc[0]
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        textpage.close()
        page.close()
    finally:
        doc.close()
    found = classify_title(text)
    if found is not None:
        return f"{found[0].value} {found[1].value}"
    return "letter" if _LETTER.search(normalise_text(text)) else "unrecognised"


# ---------------------------------------------------------------- cached records


def _parsed_to_json(p: ParsedReport) -> dict[str, Any]:
    return {
        "framework": p.framework.value,
        "kind": p.kind.value,
        "title": p.title,
        "name_in_report": p.name_in_report,
        "start_date": p.start_date.isoformat() if p.start_date else None,
        "end_date": p.end_date.isoformat() if p.end_date else None,
        "publication_date": p.publication_date.isoformat() if p.publication_date else None,
        "judgements": [[j.judgement.value, j.grade.value, j.grade_text] for j in p.judgements],
        "not_judged": [c.value for c in p.not_judged],
        "problems": list(p.problems),
    }


def _iso(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def _parsed_from_json(d: dict[str, Any]) -> ParsedReport:
    return ParsedReport(
        framework=Framework(d["framework"]),
        kind=ReportKind(d["kind"]),
        title=d["title"],
        name_in_report=d["name_in_report"],
        start_date=_iso(d["start_date"]),
        end_date=_iso(d["end_date"]),
        publication_date=_iso(d["publication_date"]),
        judgements=tuple(
            ParsedJudgement(JudgementCode(c), Grade(g), t) for c, g, t in d["judgements"]
        ),
        not_judged=tuple(JudgementCode(c) for c in d["not_judged"]),
        problems=tuple(d["problems"]),
    )


def _extract_bytes(data: bytes, sha: str) -> dict[str, Any]:
    """What the bytes say, as the cache stores it."""
    record: dict[str, Any] = {"parser_version": PARSER_VERSION, "sha256": sha}
    try:
        parsed = parse_report_text(_pdf_text(data))
    except _Unreadable as exc:
        return record | {"failure": exc.code.value, "reason": exc.reason, "parsed": None}
    if parsed is None:
        reason = "not a recognised Ofsted children's services report"
        return record | {
            "failure": FailureCode.UNRECOGNISED.value,
            "reason": reason,
            "parsed": None,
        }
    if parsed.kind.graded and not parsed.judgements:
        reason = "no graded judgements found: " + "; ".join(parsed.problems)
        return record | {
            "failure": FailureCode.NO_JUDGEMENTS.value,
            "reason": reason,
            "parsed": None,
        }
    return record | {"failure": None, "reason": None, "parsed": _parsed_to_json(parsed)}


def _extract_path(path: str) -> tuple[str, dict[str, Any]]:
    """Worker entry point: read, hash and extract one file."""
    data = Path(path).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    return path, _extract_bytes(data, sha)


def _cache_get(cache_dir: Path | None, sha: str) -> dict[str, Any] | None:
    if cache_dir is None:
        return None
    try:
        record: dict[str, Any] = json.loads((cache_dir / f"{sha}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None  # absent or damaged: extract again
    if record.get("parser_version") != PARSER_VERSION or record.get("sha256") != sha:
        return None
    return record


def _cache_put(cache_dir: Path | None, sha: str, record: dict[str, Any]) -> None:
    if cache_dir is None:
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{sha[:12]}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh, sort_keys=True)
    os.replace(tmp, cache_dir / f"{sha}.json")


# ---------------------------------------------------------------------- assembling

_FOLDER = re.compile(r"^(?P<urn>\d+)-")
_FILE_DATE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})_")


def _finish(rel: str, sha: str, record: dict[str, Any], lookup: ProviderLookup) -> ExtractedReport:
    """Attach the file-dependent facts (URN, authority, file-name date) to a record."""
    parts = rel.split("/")
    m = _FOLDER.match(parts[0]) if len(parts) > 1 else None
    urn = m.group("urn") if m else None
    fm = _FILE_DATE.match(parts[-1])
    file_date = date.fromisoformat(fm.group("date")) if fm else None
    problems: list[str] = []
    la_code = authority = None
    if urn and urn in lookup.by_urn:
        la_code, authority = lookup.by_urn[urn]
    elif urn:
        problems.append(f"URN {urn} is not in the provider lookup")

    if record["parsed"] is None:
        return ExtractedReport(
            file=rel,
            sha256=sha,
            urn=urn,
            la_code=la_code,
            authority=authority,
            status=ReportStatus.FAILED,
            parsed=None,
            failure=FailureCode(record["failure"]),
            failure_reason=record["reason"],
            publication_date=file_date,
            publication_date_source="file_name" if file_date else None,
            problems=tuple(problems),
        )
    parsed = _parsed_from_json(record["parsed"])
    named = parsed.name_in_report
    if la_code is None and named:
        la_code = lookup.by_name.get(_name_key(named))
        if la_code:
            authority = lookup.name_of(la_code)
            problems.append(f"authority matched by the name in the report ({named!r})")
    elif la_code and authority and named and not _names_agree(named, authority, lookup, la_code):
        problems.append(f"report names {named!r}, the lookup {authority!r} for URN {urn}")
    published: date | None = parsed.publication_date
    source: str | None = "report"
    if published is None:
        published, source = file_date, ("file_name" if file_date else None)
    graded = parsed.kind.graded
    return ExtractedReport(
        file=rel,
        sha256=sha,
        urn=urn,
        la_code=la_code,
        authority=authority,
        status=ReportStatus.GRADED if graded else ReportStatus.UNGRADED,
        parsed=parsed,
        publication_date=published,
        publication_date_source=source,
        problems=tuple(problems) + parsed.problems,
    )


def extract_report(
    path: Path, lookup: ProviderLookup, *, root: Path | None = None
) -> ExtractedReport:
    """Extract one file without the cache (for tests and one-off checks).

    ``root`` is the reports folder the path is named relative to (default: two levels
    up, i.e. the ``<urn>-<authority>`` folder is kept in the name).
    """
    path = Path(path)
    base = root if root is not None else path.parent.parent
    _, record = _extract_path(str(path))
    return _finish(path.relative_to(base).as_posix(), record["sha256"], record, lookup)


def _report_files(reports_dir: Path) -> list[Path]:
    if not reports_dir.is_dir():
        raise SourceFileError("reports folder does not exist", path=str(reports_dir))
    return sorted(
        (p for p in reports_dir.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf"),
        key=lambda p: p.relative_to(reports_dir).as_posix(),
    )


def extract_reports(
    reports_dir: Path,
    lookup: ProviderLookup,
    *,
    cache_dir: Path | None = None,
    workers: int = 2,
    progress: ProgressCallback | None = None,
) -> ExtractionRun:
    """Extract every ``*.pdf`` under ``reports_dir``.

    Parameters
    ----------
    reports_dir : Path
        The folder of ``<urn>-<authority>/<date>_<title>.pdf`` files.
    lookup : ProviderLookup
        From :func:`load_provider_lookup`.
    cache_dir : Path, optional
        JSON cache keyed by the SHA-256 of each file (``None``: no cache).
    workers : int
        Processes for uncached files; 1 extracts in-process.
    progress : ProgressCallback, optional
        Told as files are checked against the cache ("checking reports") and as each
        uncached one is extracted ("extracting reports").

    Returns
    -------
    ExtractionRun
        One :class:`ExtractedReport` per file, in path order; failed files included
        with their reasons.

    Raises
    ------
    SourceFileError
        When ``reports_dir`` is not a folder (a bad file inside it never raises).
    """
    started = time.perf_counter()
    files = _report_files(Path(reports_dir))
    shas: dict[str, str] = {}
    records: dict[str, dict[str, Any]] = {}
    misses: list[Path] = []
    for path in tick(files, progress, "checking reports"):
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        shas[str(path)] = sha
        cached = _cache_get(cache_dir, sha)
        if cached is None:
            misses.append(path)
        else:
            records[str(path)] = cached
    extracted = _extract_many(misses, workers)
    for key, record in tick(extracted, progress, "extracting reports", len(misses)):
        if record["sha256"] != shas[key]:  # the file changed under us: trust the later read
            shas[key] = record["sha256"]
        records[key] = record
        _cache_put(cache_dir, record["sha256"], record)
    reports = tuple(
        _finish(p.relative_to(reports_dir).as_posix(), shas[str(p)], records[str(p)], lookup)
        for p in files
    )
    return ExtractionRun(
        reports=reports,
        cache_hits=len(files) - len(misses),
        extracted=len(misses),
        seconds=time.perf_counter() - started,
    )


def _extract_many(paths: Sequence[Path], workers: int) -> Iterator[tuple[str, dict[str, Any]]]:
    if workers <= 1 or len(paths) < _POOL_MIN:
        yield from (_extract_path(str(p)) for p in paths)
        return
    # fork where there is one: spawn would re-import the caller's __main__, which
    # breaks scripts without a main guard; workers touch no inherited threads' state
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method)) as pool:
        # Yielded as they finish, in order, so the caller can report progress.
        yield from pool.map(_extract_path, [str(p) for p in paths], chunksize=4)


# ------------------------------------------------------------------------ the table


def _row_key(r: ExtractedReport) -> tuple[str, str, str]:
    start = r.parsed.start_date.isoformat() if r.parsed and r.parsed.start_date else ""
    return (r.la_code or "~", start, r.file)


def write_judgements_csv(
    reports: Iterable[ExtractedReport], path: Path, *, allow_shrink: bool = False
) -> int:
    """Write the long table of judgements (``ofsted_judgements.csv``); return its rows.

    One row per judgement of every graded report (``grade`` empty and ``grade_text``
    "Not judged" where the report says so), one row with an empty judgement for an
    ungraded report; failed files are left out. Rows are sorted by LA number,
    inspection start and file, and judgements in a fixed order, so the file is
    byte-for-byte reproducible.

    Parameters
    ----------
    reports : iterable of ExtractedReport
    path : Path
        The table to write (replaced atomically).
    allow_shrink : bool
        Replace a table that holds more inspections (report files) than the new one.

    Raises
    ------
    InputError
        When no report was extracted (nothing is written), or the table at ``path``
        holds more inspections than the new one and ``allow_shrink`` is false.
    """
    order = {c: i for i, c in enumerate(JudgementCode)}
    rows: list[list[str]] = []
    for r in sorted(reports, key=_row_key):
        if r.parsed is None:
            continue
        p = r.parsed
        base = [
            r.file,
            r.urn or "",
            r.la_code or "",
            p.framework.value,
            p.kind.value,
            p.start_date.isoformat() if p.start_date else "",
            p.end_date.isoformat() if p.end_date else "",
            r.publication_date.isoformat() if r.publication_date else "",
        ]
        items: list[tuple[JudgementCode, str, str]] = [
            (j.judgement, j.grade.value, j.grade_text) for j in p.judgements
        ] + [(c, "", "Not judged") for c in p.not_judged]
        if not items:
            rows.append([*base, "", "", ""])
        for code, grade, text in sorted(items, key=lambda t: order[t[0]]):
            rows.append([*base, code.value, grade, text])
    path = Path(path)
    inspections = len({r[0] for r in rows})
    if not inspections:
        raise InputError(f"no report was extracted; {path} is left as it was")
    before = count_inspections(path)
    if inspections < before and not allow_shrink:
        raise InputError(
            f"{path} holds {before} inspections and the new table {inspections}; "
            "it is left as it was (pass --allow-shrink to replace it)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(JUDGEMENT_COLUMNS)
        writer.writerows(rows)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; this is a published table
    os.replace(tmp, path)
    return len(rows)


def count_inspections(path: Path) -> int:
    """Inspections (distinct report files) in a judgements table; 0 when there is none.

    A table that cannot be read as the declared layout counts 0, so that it can be
    replaced.
    """
    path = Path(path)
    if not path.is_file():
        return 0
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return len({row.get("file") for row in csv.DictReader(fh) if row.get("file")})
    except (OSError, UnicodeDecodeError, csv.Error):
        return 0
