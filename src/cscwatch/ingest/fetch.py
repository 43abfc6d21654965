"""Download newer releases of the snapshot's published files, verify them, swap them in.

All or nothing: every file is downloaded into a staging folder inside the snapshot
folder and verified there; only when every one has passed are the changed files moved
over the old ones (``os.replace``, same file system) and the manifest rewritten with
the new checksums, the retrieval date and the previous checksum. If any download or
check fails, nothing in the snapshot changes and the error names each file and why.

A download is refused when

* the server does not answer ``200``, or the download takes longer than
  ``Settings.fetch_timeout`` seconds (a stalled server included);
* fewer bytes arrive than ``Content-Length`` promised;
* a CSV is not UTF-8, does not end in a complete line, has a row with a different
  number of fields from its header, or lacks any column of the current file;
* a parquet file cannot be read or lacks any column of the current file;
* a workbook (``.xlsx``) is not a zip archive holding ``xl/workbook.xml``;
* it holds no data rows;
* it is, byte for byte, the copy the current file replaced (``previous_sha256``): the
  manifest's address still serves the older file, and swapping it back would undo a
  newer release fetched from another address (an explicit ``--url`` is trusted);
* it is one of the optional finance files (HM Treasury's GDP deflator, DfE's section 251
  outturn table) and is not in its publisher's layout
  (:data:`cscwatch.ingest.finance.LAYOUT_CHECKS`) — these have no previous copy to
  compare columns with when they are fetched for the first time.

A CSV that lacks the current file's columns but is exactly the renamed layout a known
address serves (:data:`cscwatch.ingest.served_layouts.COLUMN_MAPS`, e.g. DfE's
statistics API data set for ``ks4_la.csv``) has its header renamed back to the bundled
names before it is checked; its data rows are kept byte for byte.

Addresses are of five kinds (:func:`address_kind`): DfE's statistics API
(``api.education.gov.uk/statistics/v1/data-sets/{id}/csv``, always the data set's
latest version, sent gzip-compressed with ``Content-Encoding: gzip``, which the client
undoes), the EES data catalogue (``/data-catalogue/data-set/{id}/csv``, one release's
file), an EES release version's whole ZIP archive
(``content.explore-education-statistics.service.gov.uk/api/releases/{id}/files``, for
a table with no address of its own), a public repository file pinned to one commit
(the publisher's own repository, as for LAIT, or a repository whose file at that
commit is the bundled file byte for byte) and an ONS time series' CSV
(``www.ons.gov.uk/generator?format=csv&uri=.../timeseries/{cdid}/{dataset}``, always
the latest figures). The catalogue, release and pinned kinds serve one fixed release:
after a new one they answer ``unchanged`` (or ``404`` once EES supersedes the release
version) until the address is moved.

Two kinds of answer are turned into the file before it is checked (the outcome's
``unpacked`` says which): a CSV that arrives as a ZIP archive is replaced by the one
member whose header has the reader's columns (:data:`ARCHIVE_RULES`,
:mod:`cscwatch.ingest.archive`; zero or several such members, a damaged archive, a
hostile member name or a member decompressing past the bound refuse the file), and
ONS's CSV of series L8GG arriving for ``gdp_deflators.csv`` is turned into
financial-year means in HM Treasury's layout (:mod:`cscwatch.ingest.ons_deflator`).

Publishers' servers rate-limit and fail now and then, so a download that gets ``429``
(rate limited) or a ``5xx`` answer, loses its connection, or arrives short is tried
again, up to :attr:`RetryPolicy.attempts` times in all, waiting an exponentially
growing, randomly jittered time between tries ("full jitter": a uniform draw between 0
and ``base * 2**n`` seconds, at most ``cap``), or exactly what the server's
``Retry-After`` header asks when it says (when it asks for more than ``cap`` the file
fails at once, naming the wait). Any other answer (``404``, ``403``...) is final at
once, and so is a host name that does not resolve (no such name, or no network: asking
again changes nothing; a temporary failure of the name service is tried again). The
final failure names the file, the address, the last answer and the number of attempts.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import socket
import tempfile
import time
import tomllib
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx

from cscwatch.core.config import Settings
from cscwatch.core.errors import FetchError, InputError, SourceFileError
from cscwatch.core.progress import ProgressCallback, report
from cscwatch.ingest.addresses import (
    ARCHIVE_RULES,
    AddressKind,
    SourceAddress,
    address_kind,
    skip_reason,
    source_addresses,
    unpacking,
)
from cscwatch.ingest.archive import ArchiveError, MemberRule, extract_member, is_zip
from cscwatch.ingest.finance import DEFLATOR_FILE, LAYOUT_CHECKS
from cscwatch.ingest.ons_deflator import (
    is_ons_series,
    read_ons_series,
    write_financial_year_index,
)
from cscwatch.ingest.served_layouts import COLUMN_MAPS, LayoutError, rename_header
from cscwatch.ingest.snapshot import (
    Manifest,
    ManifestEntry,
    file_digest,
    load_manifest,
    write_manifest,
)

__all__ = [
    "ARCHIVE_RULES",
    "AddressKind",
    "FetchOutcome",
    "FetchReport",
    "RetryPolicy",
    "SourceAddress",
    "address_kind",
    "fetch_snapshot",
    "load_url_overrides",
    "parse_url_option",
    "skip_reason",
    "source_addresses",
    "unpacking",
]

Status = Literal["updated", "unchanged", "would update", "skipped"]
_USER_AGENT = "cscwatch (snapshot refresh; https://github.com/)"
_CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchOutcome:
    """What happened to one file.

    ``status`` is ``updated`` (swapped in), ``unchanged`` (same checksum as the
    manifest), ``would update`` (a dry run found a change) or ``skipped`` (no known
    download address, or a derived file; ``reason`` says which, see :func:`skip_reason`).
    ``layout`` names the served layout whose header was renamed back to the bundled
    one (:data:`cscwatch.ingest.served_layouts.COLUMN_MAPS`), ``None`` when the file
    came in the bundled layout. ``unpacked`` says how the file was made from what the
    address served (the archive member taken, or the ONS series transformed), ``None``
    when it was served as it is.
    """

    file: str
    status: Status
    url: str | None = None
    previous_sha256: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    rows: int | None = None
    reason: str | None = None
    layout: str | None = None
    unpacked: str | None = None


@dataclass(frozen=True)
class FetchReport:
    """The result of :func:`fetch_snapshot`, one outcome per manifest entry considered."""

    directory: Path
    dry_run: bool
    retrieved: date
    outcomes: list[FetchOutcome]

    @property
    def changed(self) -> list[str]:
        """Files that were (or, in a dry run, would be) replaced."""
        return [o.file for o in self.outcomes if o.status in ("updated", "would update")]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "directory": str(self.directory),
            "dry_run": self.dry_run,
            "retrieved": self.retrieved.isoformat(),
            "files": [asdict(o) for o in self.outcomes],
        }


@dataclass
class _Staged:
    entry: ManifestEntry
    url: str
    path: Path
    sha256: str = ""
    size: int = 0
    rows: int | None = None
    layout: str | None = None
    unpacked: str | None = None


class _Refused(Exception):
    """One file's download or check failed (collected, then raised as a FetchError)."""


class _Transient(_Refused):
    """A failure worth another try (rate limit, server error, lost connection).

    ``retry_after`` is the wait the server asked for, in seconds, when it said.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a download is tried.

    Attributes
    ----------
    attempts : int
        Tries in all for one file (1 = no retry).
    base : float
        Seconds; the n-th wait (n from 0) is a uniform draw from 0 to ``base * 2**n``.
    cap : float
        Seconds; no wait is longer. A ``Retry-After`` longer than this fails the file.
    sleep : callable
        Waits the given number of seconds (tests pass a recorder).
    rng : random.Random
        The jitter's source (tests pass a seeded one).
    """

    attempts: int = 5
    base: float = 1.0
    cap: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base < 0 or self.cap < 0:
            raise InputError("retry policy: attempts >= 1, base and cap >= 0")

    def wait(self, failure: int, retry_after: float | None) -> float:
        """Seconds to wait after the ``failure``-th failed try (from 0)."""
        if retry_after is not None:
            return retry_after
        return self.rng.uniform(0.0, min(self.cap, self.base * 2.0**failure))


def _retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def parse_url_option(values: Sequence[str]) -> dict[str, str]:
    """Parse ``FILE=URL`` strings (the CLI's ``--url``) into a mapping.

    Raises
    ------
    InputError
        When a value has no ``=`` or an empty side.
    """
    out: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise InputError(f"--url {value!r} is not FILE=URL")
        out[name.strip()] = url.strip()
    return out


def load_url_overrides(path: Path) -> dict[str, str]:
    """Read per-file download addresses from a TOML file with a ``[urls]`` table.

    ::

        [urls]
        "b1_children_in_need_2013_to_2025.csv" = "https://..."

    Raises
    ------
    InputError
        When the file is unreadable, not TOML, or ``[urls]`` is not a table of strings.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read URL overrides from {path}: {exc}") from None
    urls = data.get("urls")
    if not isinstance(urls, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in urls.items()
    ):
        raise InputError(f'{path}: expected a [urls] table of "FILE" = "URL" strings')
    return dict(urls)


def fetch_snapshot(
    settings: Settings,
    *,
    snapshot_dir: Path | None = None,
    only: Sequence[str] | None = None,
    urls: Mapping[str, str] | None = None,
    base_url: str | None = None,
    dry_run: bool = False,
    today: date | None = None,
    transport: httpx.BaseTransport | None = None,
    retry: RetryPolicy | None = None,
    progress: ProgressCallback | None = None,
) -> FetchReport:
    """Download, verify and atomically swap in newer releases of the snapshot's files.

    Parameters
    ----------
    settings : Settings
        ``snapshot_dir`` and ``fetch_timeout`` (seconds before a download is abandoned).
    snapshot_dir : Path, optional
        Overrides ``settings.snapshot_dir``.
    only : sequence of str, optional
        Fetch just these files (names as in the manifest).
    urls : mapping of str to str, optional
        Per-file download addresses that take precedence over everything else.
    base_url : str, optional
        Fetch every file from ``{base_url}/{file}`` instead of its manifest address
        (for testing against a local server or a mirror).
    dry_run : bool
        Download and verify, report what would change, change nothing.
    today : date, optional
        The retrieval date written to the manifest (default: today).
    transport : httpx.BaseTransport, optional
        For tests.
    retry : RetryPolicy, optional
        Attempts and back-off for rate limits and server errors (default
        :class:`RetryPolicy`: 5 attempts, waits up to 1, 2, 4, 8 s).
    progress : ProgressCallback, optional
        Told each file downloaded (stage "downloading", files done of files wanted).

    Returns
    -------
    FetchReport

    Raises
    ------
    InputError
        When ``only`` or ``urls`` name a file that is not in the manifest, or ``only``
        names a derived file or one with no known download address.
    FetchError
        When any download fails (after its retries) or any file fails verification;
        the snapshot is left exactly as it was and the message names every file and
        the reason.
    """
    directory = Path(snapshot_dir if snapshot_dir is not None else settings.snapshot_dir)
    manifest = load_manifest(directory)
    today = today or date.today()
    urls = dict(urls or {})
    _check_names(manifest, list(only or []) + list(urls), what="--only/--url")

    outcomes: dict[str, FetchOutcome] = {}
    wanted: list[tuple[ManifestEntry, str]] = []
    for entry in manifest.files:
        if only and entry.file not in only:
            continue
        url = _resolve_url(entry, urls, base_url)
        if entry.kind == "derived" or url is None:
            reason = skip_reason(entry)
        else:
            wanted.append((entry, url))
            continue
        if only:
            raise InputError(f"cannot fetch {entry.file}: {reason}")
        outcomes[entry.file] = FetchOutcome(entry.file, "skipped", reason=reason)

    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=directory))
    try:
        staged = _download_all(
            wanted,
            staging,
            directory,
            settings.fetch_timeout,
            transport,
            retry or RetryPolicy(),
            progress,
            trusted=frozenset(urls),
        )
        changed = [s for s in staged if s.sha256 != s.entry.sha256]
        for s in staged:
            status: Status = "unchanged"
            if s.sha256 != s.entry.sha256:
                status = "would update" if dry_run else "updated"
            outcomes[s.entry.file] = FetchOutcome(
                s.entry.file,
                status,
                url=s.url,
                previous_sha256=s.entry.sha256,
                sha256=s.sha256,
                bytes=s.size,
                rows=s.rows,
                layout=s.layout,
                unpacked=s.unpacked,
            )
        if changed and not dry_run:
            _swap_in(changed, manifest, directory, staging, today)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    ordered = [outcomes[e.file] for e in manifest.files if e.file in outcomes]
    return FetchReport(directory=directory, dry_run=dry_run, retrieved=today, outcomes=ordered)


def _check_names(manifest: Manifest, names: Sequence[str], *, what: str) -> None:
    unknown = sorted({n for n in names if n not in manifest.names})
    if unknown:
        raise InputError(f"{what} names files not in the manifest: {', '.join(unknown)}")


def _resolve_url(entry: ManifestEntry, urls: Mapping[str, str], base_url: str | None) -> str | None:
    if entry.file in urls:
        return urls[entry.file]
    if base_url:
        return f"{base_url.rstrip('/')}/{quote(entry.file)}"
    url: str | None = entry.url
    return url


def _download_all(
    wanted: Sequence[tuple[ManifestEntry, str]],
    staging: Path,
    directory: Path,
    timeout: float,
    transport: httpx.BaseTransport | None,
    retry: RetryPolicy,
    progress: ProgressCallback | None,
    trusted: frozenset[str] = frozenset(),
) -> list[_Staged]:
    # Every file is tried, so one run reports every failure, not just the first.
    # ``trusted``: files whose address the caller gave explicitly (--url), which may
    # bring back a previous copy on purpose.
    failures: list[str] = []
    staged: list[_Staged] = []
    report(progress, "downloading", 0, len(wanted))
    with httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        headers={"User-Agent": _USER_AGENT},
        transport=transport,
    ) as client:
        for done, (entry, url) in enumerate(wanted, start=1):
            item = _Staged(entry=entry, url=url, path=staging / entry.file)
            try:
                _download_with_retry(client, url, item.path, timeout, retry)
                item.unpacked = _unpack(item.path, directory / entry.file)
                item.layout = _map_layout(item.path, directory / entry.file)
                item.rows = _verify(item.path, directory / entry.file)
                item.sha256, item.size = file_digest(item.path)
                if entry.file not in trusted:
                    _refuse_swap_back(entry, item.sha256)
            except _Refused as exc:
                failures.append(f"{entry.file}: {exc}")
                continue
            finally:
                report(progress, "downloading", done, len(wanted))
            staged.append(item)
    if failures:
        raise FetchError("snapshot not changed; " + "; ".join(failures))
    return staged


def _refuse_swap_back(entry: ManifestEntry, sha256: str) -> None:
    """Refuse a download that is the copy ``entry``'s file replaced (see module doc)."""
    previous = entry.previous_sha256
    if previous is None or sha256 == entry.sha256 or sha256 != previous:
        return
    raise _Refused(
        f"the address serves the copy this file replaced on {entry.retrieved} (sha256 "
        f"{previous[:12]}), not a newer one; not swapped back: move the manifest's url to "
        f"the newer release's address, or pass --url {entry.file}=URL to restore it on purpose"
    )


def _download_with_retry(
    client: httpx.Client, url: str, dest: Path, timeout: float, retry: RetryPolicy
) -> None:
    """:func:`_download`, tried again after transient failures as ``retry`` allows."""
    for failure in range(retry.attempts):
        try:
            _download(client, url, dest, timeout)
            return
        except _Transient as exc:
            tries = f"{failure + 1} attempt{'s' if failure else ''}"
            if failure + 1 >= retry.attempts:
                raise _Refused(f"{exc} (gave up after {tries})") from None
            wait = retry.wait(failure, exc.retry_after)
            if wait > retry.cap:
                raise _Refused(
                    f"{exc}; the server asks to wait {wait:.0f}s, more than the "
                    f"{retry.cap:g}s allowed (gave up after {tries})"
                ) from None
            retry.sleep(wait)


def _no_such_name(exc: BaseException) -> bool:
    """Whether a connection failed because its host name does not resolve (``EAI_NONAME``:
    trying again will not change that) rather than for a while (``EAI_AGAIN``)."""
    seen: BaseException | None = exc
    for _ in range(8):  # the chain httpx -> httpcore -> socket is three long
        if seen is None:
            break
        if isinstance(seen, socket.gaierror):
            return seen.errno == socket.EAI_NONAME
        seen = seen.__cause__ or seen.__context__
    return False


def _download(client: httpx.Client, url: str, dest: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    try:
        with client.stream("GET", url) as resp:
            if resp.status_code == 429 or resp.status_code >= 500:
                raise _Transient(
                    f"HTTP {resp.status_code} from {url}",
                    _retry_after(resp.headers.get("Retry-After")),
                )
            if resp.status_code != 200:
                raise _Refused(f"HTTP {resp.status_code} from {url}")
            expected = resp.headers.get("Content-Length")
            written = 0
            with dest.open("wb") as fh:
                for chunk in resp.iter_bytes(_CHUNK):
                    fh.write(chunk)
                    written += len(chunk)
                    if time.monotonic() > deadline:
                        raise _Refused(f"download from {url} took longer than {timeout:g}s")
            received = resp.num_bytes_downloaded
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
        if _no_such_name(exc):
            raise _Refused(
                f"download from {url} failed: {exc}: the host name does not resolve "
                "(no such name, or no network)"
            ) from None
        # Refused, reset or dropped mid-answer: worth another try.
        raise _Transient(f"download from {url} failed: {exc or type(exc).__name__}") from None
    except httpx.ReadError as exc:
        raise _Transient(f"download from {url} failed: {exc or type(exc).__name__}") from None
    except httpx.TimeoutException:
        raise _Refused(f"no answer from {url} within {timeout:g}s") from None
    except httpx.HTTPError as exc:
        raise _Refused(f"download from {url} failed: {exc}") from None
    except OSError as exc:
        raise _Refused(f"cannot write the download: {exc}") from None
    if expected is not None and expected.isdigit() and int(expected) != received:
        raise _Transient(f"incomplete: {received} bytes received, Content-Length {expected}")
    if written == 0:
        raise _Refused(f"empty response from {url}")


def _verify(new: Path, current: Path) -> int | None:
    """Check a download against the file it would replace; return its row count.

    CSV and parquet must parse, hold a data row and keep every column of ``current``;
    JSON must parse; a workbook must be a zip archive with a workbook part; anything
    else only has to be non-empty. Raises ``_Refused``.
    """
    check = LAYOUT_CHECKS.get(new.name)
    if check is not None:
        return _verify_layout(new, check)
    suffix = new.suffix.lower()
    if suffix == ".csv":
        columns, rows = _read_csv(new)
        expected = _csv_header(current) if current.is_file() else []
    elif suffix == ".parquet":
        columns, rows = _read_parquet(new)
        expected = _read_parquet(current, header_only=True)[0] if current.is_file() else []
    elif suffix in (".json", ".geojson"):
        return _read_json(new)
    elif suffix == ".xlsx":
        _check_xlsx(new)
        return None
    else:
        return None
    if rows == 0:
        raise _Refused("no data rows")
    have = set(columns)
    missing = [c for c in dict.fromkeys(expected) if c and c not in have]
    if missing:
        known = COLUMN_MAPS.get(new.name)
        also = f" (nor is it the layout of {known.served_by})" if known else ""
        raise _Refused("missing columns: " + ", ".join(missing) + also)
    return rows


def _unpack(new: Path, current: Path) -> str | None:
    """Turn what an address served into the file itself, when it is not already.

    A CSV that arrives as a ZIP archive is replaced by the one member
    :data:`ARCHIVE_RULES` (or the current file's columns) picks; ONS's time-series CSV
    of L8GG arriving for the GDP deflator is turned into financial-year means
    (:mod:`cscwatch.ingest.ons_deflator`). Returns what was done, or ``None``.
    """
    try:
        return _unpack_file(new, current)
    except OSError as exc:
        raise _Refused(f"cannot unpack the download: {exc}") from None


def _unpack_file(new: Path, current: Path) -> str | None:
    name = new.name
    if name.lower().endswith(".csv") and is_zip(new):
        rule = ARCHIVE_RULES.get(name)
        if rule is None:
            columns = (
                [c for c in dict.fromkeys(_csv_header(current)) if c] if current.is_file() else []
            )
            if not columns:
                raise _Refused("a ZIP archive, and no columns are known to pick its member by")
            rule = MemberRule(columns=tuple((c,) for c in columns))
        archive = new.with_name(f".{name}.zip")
        os.replace(new, archive)
        try:
            member = extract_member(archive, new, rule)
        except ArchiveError as exc:
            raise _Refused(str(exc)) from None
        finally:
            archive.unlink(missing_ok=True)
        return f"member {member} of the ZIP archive served"
    if name == DEFLATOR_FILE and is_ons_series(new):
        try:
            series = read_ons_series(new)
            if series.cdid.upper() != "L8GG":
                raise _Refused(
                    f"ONS series {series.cdid or '?'} is not L8GG, the implied GDP deflator "
                    "at market prices"
                )
            years = write_financial_year_index(series, new)
        except SourceFileError as exc:
            raise _Refused(f"not ONS's time-series layout: {exc}".replace(str(new), name)) from None
        release = series.metadata.get("Release date") or "not given"
        return (
            f"financial-year means of ONS series L8GG ({years} years, ONS release date "
            f"{release}), rebased; not HM Treasury's file"
        )
    return None


def _map_layout(new: Path, current: Path) -> str | None:
    """Rename a download's header back to the bundled names when it lacks a current
    column and is exactly a known served layout; return that layout's description."""
    known = COLUMN_MAPS.get(new.name)
    if known is None or new.suffix.lower() != ".csv" or not current.is_file():
        return None
    try:
        header = _csv_header(new)
    except (UnicodeDecodeError, csv.Error, OSError):
        return None  # _verify refuses it with the reason
    expected = [c for c in _csv_header(current) if c]
    if all(c in header for c in expected) or not known.serves(header):
        return None
    try:
        rename_header(new, known)
    except LayoutError as exc:
        raise _Refused(f"cannot rename the header of {known.served_by}: {exc}") from None
    return known.served_by


def _verify_layout(new: Path, check: Callable[[Path], None]) -> int:
    """An optional finance file: complete, UTF-8, and in its publisher's layout (HM
    Treasury's CSV has note rows of other widths, so rows are not counted against the
    header). Returns the number of lines after the first."""
    data = new.read_bytes()
    if not data.endswith(b"\n"):
        raise _Refused("last line is incomplete (file cut mid-row?)")
    try:
        check(new)
    except SourceFileError as exc:
        # The message names the staging copy; keep only what is wrong with it.
        raise _Refused(
            f"not in the publisher's layout: {exc}".replace(str(new), new.name)
        ) from None
    return max(data.count(b"\n") - 1, 0)


def _read_csv(path: Path) -> tuple[list[str], int]:
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        raise _Refused("last line is incomplete (file cut mid-row?)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Refused(f"not UTF-8 text (byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise _Refused("empty file")
        rows = 0
        for row in reader:
            rows += 1
            if len(row) != len(header):
                # Row numbers count the header as row 1; values are never quoted back.
                raise _Refused(
                    f"row {reader.line_num} has {len(row)} fields, the header has {len(header)}"
                )
    except csv.Error as exc:
        raise _Refused(f"not valid CSV near line {reader.line_num}: {exc}") from None
    return header, rows


def _csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh), [])


def _read_parquet(path: Path, *, header_only: bool = False) -> tuple[list[str], int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if header_only:
            schema = pq.read_schema(path)
            return list(schema.names), 0
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise _Refused(f"not a readable parquet file: {exc}") from None
    return list(table.column_names), table.num_rows


def _check_xlsx(path: Path) -> None:
    """A workbook must be a readable zip archive with a workbook part (an error page is not)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise _Refused(f"not an xlsx workbook: {exc}") from None
    if bad is not None:
        raise _Refused(f"not an xlsx workbook: damaged member {bad}")
    if "xl/workbook.xml" not in names:
        raise _Refused("not an xlsx workbook: no xl/workbook.xml in the archive")


def _read_json(path: Path) -> int:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Refused(f"not valid JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("features"), list):
        n = len(data["features"])
    elif isinstance(data, list):
        n = len(data)
    else:
        n = 1
    if n == 0:
        raise _Refused("no data rows")
    return n


def _swap_in(
    changed: Sequence[_Staged],
    manifest: Manifest,
    directory: Path,
    staging: Path,
    today: date,
) -> None:
    # Keep the old files (hard links, so no copy) until the manifest is written, and
    # put them back if anything fails part-way.
    backup = staging / ".previous"
    backup.mkdir()
    moved: list[_Staged] = []
    try:
        for s in changed:
            target = directory / s.entry.file
            if target.exists():
                try:
                    os.link(target, backup / s.entry.file)
                except OSError:
                    shutil.copy2(target, backup / s.entry.file)
            os.chmod(s.path, 0o644)
            os.replace(s.path, target)
            moved.append(s)
        new = manifest
        for s in changed:
            new = new.replace(
                s.entry.model_copy(
                    update={
                        "sha256": s.sha256,
                        "bytes": s.size,
                        "retrieved": today,
                        "previous_sha256": s.entry.sha256,
                    }
                )
            )
        write_manifest(directory, new)
    except BaseException:
        for s in reversed(moved):
            old = backup / s.entry.file
            if old.exists():
                os.replace(old, directory / s.entry.file)
        raise
