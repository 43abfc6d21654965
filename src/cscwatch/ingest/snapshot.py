"""The bundled snapshot of published data and its manifest.

``data/snapshot/manifest.json`` lists every file in the snapshot with where it came
from (publisher, title, licence, download address), when it was retrieved, and its
SHA-256 and size. Derived files (made by a script from published ones) say what they
were derived from and the command that makes them.

The hand-written fields are kept by hand; the checksums are not:
:func:`refresh_manifest` (also ``scripts/make_manifest.py`` and
``cscwatch snapshot manifest``) recomputes ``sha256`` and ``bytes`` from the files and
leaves every other field as written. :func:`verify_snapshot` checks every checksum.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from cscwatch.core.errors import SchemaError, SourceFileError

__all__ = [
    "DEFAULT_ROW_TOLERANCE",
    "MANIFEST_NAME",
    "Manifest",
    "ManifestEntry",
    "SnapshotReport",
    "check_row_counts",
    "file_digest",
    "load_manifest",
    "refresh_manifest",
    "rehash_entry",
    "verify_snapshot",
    "write_manifest",
]

#: The manifest's file name inside the snapshot folder.
MANIFEST_NAME = "manifest.json"

#: How far a file's row count may move from the previous build's, unless declared.
#: A new release adds one year to files of 8 to 13 years (8% to 13% more rows).
DEFAULT_ROW_TOLERANCE = 0.2

#: Files in the snapshot folder that are never data and never listed.
_IGNORED = frozenset({MANIFEST_NAME, ".gitkeep", "README.md"})

_CHUNK = 1 << 20

Publisher = Literal["DfE", "ONS", "Ofsted", "HM Treasury", "Data to Insight"]
Kind = Literal["published", "derived"]


class ManifestEntry(BaseModel):
    """One file of the snapshot.

    Attributes
    ----------
    file : str
        File name inside the snapshot folder (no directories).
    publisher : {"DfE", "ONS", "Ofsted", "HM Treasury", "Data to Insight"}
        Who publishes the data (for a derived file: who published its source). Data to
        Insight compiles the ILACS overview and URN lookup from Ofsted's reports.
    title : str
        The publication's own title.
    licence, licence_url : str
        Normally the Open Government Licence v3.0.
    retrieved : date, optional
        When the file was downloaded (published) or last made (derived). ``None`` only
        for an optional file not downloaded yet.
    sha256, bytes : str, int, optional
        Checksum and size of the file as bundled. ``None`` only in an entry just
        written by hand and not yet hashed by :func:`refresh_manifest`.
    url : str, optional
        Where ``cscwatch fetch`` downloads a newer release; ``None`` when there is no
        stable download address (``note`` says why, ``source_page`` where to look).
    url_confirmed : str, optional
        How ``url`` was confirmed to serve this file (which public page or repository
        says so, and how it was checked); ``None`` when it has not been.
    source_page : str, optional
        The publication's landing page.
    note : str, optional
        Anything a maintainer needs to know about the file.
    kind : {"published", "derived"}
        A publisher's file as downloaded, or a file a script made from others.
    derived_from : list of str, optional
        For derived files: the inputs, as snapshot file names or paths relative to
        the repository root.
    command : str, optional
        For derived files: the command, run from the repository root, that remakes it.
    previous_sha256 : str, optional
        The checksum before the last ``cscwatch fetch`` replaced the file.
    optional : bool
        The build uses the file when it is there and does without it otherwise (the
        GDP deflator, the full section 251 outturn table). An optional file may be
        absent; when present it is checked like any other.
    row_tolerance : float, optional
        How far (a fraction) the file's data rows may move from the previous build's
        before the build stops; the manifest's ``row_tolerance`` when not given.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(min_length=1)
    publisher: Publisher
    title: str = Field(min_length=1)
    licence: str = "Open Government Licence v3.0"
    licence_url: str = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    retrieved: date | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    bytes: int | None = Field(default=None, ge=0)
    url: str | None = None
    url_confirmed: str | None = None
    source_page: str | None = None
    note: str | None = None
    kind: Kind = "published"
    derived_from: list[str] | None = None
    command: str | None = None
    previous_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    optional: bool = False
    row_tolerance: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _check_kind(self) -> ManifestEntry:
        if "/" in self.file or "\\" in self.file or self.file in {".", ".."}:
            raise ValueError(f"file {self.file!r} must be a bare file name")
        if self.kind == "derived" and (not self.derived_from or not self.command):
            raise ValueError(f"derived file {self.file!r} needs derived_from and command")
        if self.kind == "published" and (self.derived_from or self.command):
            raise ValueError(f"published file {self.file!r} has derived_from/command")
        if self.retrieved is None and not self.optional:
            raise ValueError(f"file {self.file!r} needs a retrieved date")
        return self


class Manifest(BaseModel):
    """The whole manifest: a format version, the row tolerance and the entries, one per
    file.

    ``row_tolerance`` is the fraction by which a file's count of data rows may differ
    from the previous build's before the build stops (:func:`check_row_counts`); an
    entry may declare its own.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    manifest_version: Literal[1] = 1
    row_tolerance: float = Field(default=DEFAULT_ROW_TOLERANCE, gt=0, le=1)
    files: list[ManifestEntry]

    @model_validator(mode="after")
    def _unique(self) -> Manifest:
        names = [e.file for e in self.files]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise ValueError(f"files listed more than once: {', '.join(dups)}")
        return self

    @property
    def names(self) -> list[str]:
        """The file names, in manifest order."""
        return [e.file for e in self.files]

    def entry(self, name: str) -> ManifestEntry:
        """The entry for ``name``.

        Raises
        ------
        KeyError
            When ``name`` is not listed.
        """
        for e in self.files:
            if e.file == name:
                return e
        raise KeyError(name)

    def replace(self, entry: ManifestEntry) -> Manifest:
        """A copy with ``entry`` in place of the entry of the same file (or appended)."""
        files = [entry if e.file == entry.file else e for e in self.files]
        if entry.file not in self.names:
            files.append(entry)
        return Manifest(files=files, row_tolerance=self.row_tolerance)

    def tolerance(self, name: str) -> float:
        """The row tolerance of file ``name`` (its own, else the manifest's)."""
        try:
            own = self.entry(name).row_tolerance
        except KeyError:
            own = None
        return self.row_tolerance if own is None else own


@dataclass(frozen=True)
class SnapshotReport:
    """What :func:`verify_snapshot` found: files checked, files not listed, and optional
    files listed but not downloaded (the build does without them)."""

    directory: Path
    checked: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    absent_optional: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file present is listed (checksums were already checked)."""
        return not self.unlisted


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of ``path``, read in 1 MiB chunks."""
    h = hashlib.sha256()
    n = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


def load_manifest(directory: Path) -> Manifest:
    """Read and validate ``manifest.json`` in ``directory``.

    Raises
    ------
    SourceFileError
        When the manifest is missing, is not JSON, or breaks the declared schema
        (the message names the entry and field).
    """
    path = Path(directory) / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceFileError("snapshot manifest not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFileError(f"manifest is not readable JSON: {exc}", path=str(path)) from None
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_describe(err, raw) for err in exc.errors())
        raise SourceFileError(f"manifest breaks its schema: {problems}", path=str(path)) from None


def _describe(err: ErrorDetails, raw: object) -> str:
    # Name the entry by its file name rather than its index where we can.
    loc = list(err["loc"])
    where = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] == "files" and isinstance(loc[1], int) and isinstance(raw, dict):
        files = raw.get("files")
        if isinstance(files, list) and loc[1] < len(files) and isinstance(files[loc[1]], dict):
            name = files[loc[1]].get("file", f"#{loc[1]}")
            where = f"{name}" + ("." + ".".join(str(p) for p in loc[2:]) if loc[2:] else "")
    return f"{where}: {err['msg']}"


def write_manifest(directory: Path, manifest: Manifest) -> Path:
    """Write ``manifest`` atomically, entries sorted by file name, stable layout."""
    path = Path(directory) / MANIFEST_NAME
    ordered = Manifest(
        files=sorted(manifest.files, key=lambda e: e.file.lower()),
        row_tolerance=manifest.row_tolerance,
    )
    # Unset optional fields are left out, except ``url``: null there says "no address";
    # ``optional`` is written only where true.
    data = ordered.model_dump(mode="json")
    data["files"] = [
        {
            k: v
            for k, v in entry.items()
            if (v is not None or k == "url") and not (k == "optional" and v is False)
        }
        for entry in data["files"]
    ]
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the manifest is an ordinary repo file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _data_files(directory: Path) -> list[str]:
    return sorted(
        p.name
        for p in Path(directory).iterdir()
        if p.is_file() and p.name not in _IGNORED and not p.name.startswith(".")
    )


def verify_snapshot(directory: Path) -> SnapshotReport:
    """Check every listed file's SHA-256 and size; report files that are not listed.

    Raises
    ------
    SourceFileError
        When a listed file is missing, has not been hashed yet, or its checksum or
        size differs from the manifest. Every bad file is named; ``path`` is the first.
    """
    directory = Path(directory)
    manifest = load_manifest(directory)
    problems: list[tuple[str, str]] = []
    checked: list[str] = []
    absent: list[str] = []
    for entry in manifest.files:
        path = directory / entry.file
        if not path.is_file():
            if entry.optional:
                absent.append(entry.file)
            else:
                problems.append((entry.file, "listed in the manifest but missing"))
            continue
        if entry.sha256 is None or entry.bytes is None:
            problems.append((entry.file, "not hashed yet; run scripts/make_manifest.py"))
            continue
        digest, size = file_digest(path)
        if digest != entry.sha256:
            problems.append((entry.file, f"sha256 {digest} does not match the manifest"))
        elif size != entry.bytes:
            problems.append((entry.file, f"{size} bytes, manifest says {entry.bytes}"))
        else:
            checked.append(entry.file)
    if problems:
        msg = "; ".join(f"{name}: {why}" for name, why in problems)
        raise SourceFileError(msg, path=str(directory / problems[0][0]))
    listed = set(manifest.names)
    unlisted = [name for name in _data_files(directory) if name not in listed]
    return SnapshotReport(
        directory=directory, checked=checked, unlisted=unlisted, absent_optional=absent
    )


def refresh_manifest(directory: Path, *, check: bool = False) -> list[str]:
    """Recompute ``sha256`` and ``bytes`` of every listed file, keeping other fields.

    Parameters
    ----------
    directory : Path
        The snapshot folder.
    check : bool
        Only report what would change; write nothing.

    Returns
    -------
    list of str
        The files whose checksum or size changed (or would change).

    Raises
    ------
    SourceFileError
        When a listed file is missing, or a file in the folder is not listed (add an
        entry by hand, or with ``scripts/make_manifest.py add``, first).
    """
    directory = Path(directory)
    manifest = load_manifest(directory)
    missing = [
        e.file for e in manifest.files if not e.optional and not (directory / e.file).is_file()
    ]
    if missing:
        raise SourceFileError(
            "listed in the manifest but missing: " + ", ".join(missing),
            path=str(directory / missing[0]),
        )
    listed = set(manifest.names)
    unlisted = [n for n in _data_files(directory) if n not in listed]
    if unlisted:
        raise SourceFileError(
            "not in the manifest (add an entry first): " + ", ".join(unlisted),
            path=str(directory / unlisted[0]),
        )
    changed: list[str] = []
    entries: list[ManifestEntry] = []
    for entry in manifest.files:
        if not (directory / entry.file).is_file():  # an optional file not downloaded
            entries.append(entry)
            continue
        digest, size = file_digest(directory / entry.file)
        if (digest, size) != (entry.sha256, entry.bytes):
            changed.append(entry.file)
            entry = entry.model_copy(update={"sha256": digest, "bytes": size})
        entries.append(entry)
    if not check:
        write_manifest(directory, Manifest(files=entries, row_tolerance=manifest.row_tolerance))
    return changed


def rehash_entry(directory: Path, name: str) -> bool:
    """Recompute ``sha256`` and ``bytes`` of one listed file after a command remade it.

    For derived files a cscwatch command writes into the snapshot (``cscwatch ofsted
    extract``), so that the next build's checksum check accepts the new file and
    still refuses any other change. Returns whether the entry changed.

    Raises
    ------
    SourceFileError
        When ``name`` is not listed or is missing.
    """
    directory = Path(directory)
    manifest = load_manifest(directory)
    try:
        entry = manifest.entry(name)
    except KeyError:
        raise SourceFileError("not in the manifest", path=str(directory / name)) from None
    path = directory / name
    if not path.is_file():
        raise SourceFileError("listed in the manifest but missing", path=str(path))
    digest, size = file_digest(path)
    if (digest, size) == (entry.sha256, entry.bytes):
        return False
    write_manifest(
        directory, manifest.replace(entry.model_copy(update={"sha256": digest, "bytes": size}))
    )
    return True


def check_row_counts(
    directory: Path, current: Mapping[str, int], previous: Mapping[str, int]
) -> None:
    """Stop a build whose sources lost (or gained) rows beyond the declared tolerance.

    Parameters
    ----------
    directory : Path
        The snapshot folder (its manifest declares the tolerances).
    current : mapping of str to int
        Data rows (header excluded) of each source file in this build, by file name.
    previous : mapping of str to int
        The same counts recorded by the previous build (empty on a first build).

    Raises
    ------
    SchemaError
        Naming every file with no data rows, and every file whose count moved by more
        than its tolerance from the previous build's; ``path`` is the first.
    """
    manifest = load_manifest(directory)
    problems: list[tuple[str, str]] = []
    for name, rows in sorted(current.items()):
        if rows <= 0:
            problems.append((name, "has no data rows"))
            continue
        before = previous.get(name)
        if not before:
            continue
        tol = manifest.tolerance(name)
        change = (rows - before) / before
        if abs(change) > tol:
            problems.append(
                (
                    name,
                    f"{rows:,} data rows, the previous build had {before:,} "
                    f"({change:+.0%}; the manifest allows {tol:.0%})",
                )
            )
    if problems:
        msg = "; ".join(f"{name}: {why}" for name, why in problems)
        raise SchemaError(msg, path=str(Path(directory) / problems[0][0]))
