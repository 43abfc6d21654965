"""One table out of a ZIP archive a publisher serves whole, chosen by its columns.

Some files have no address of their own: DfE's explore education statistics (EES)
service serves a release version's files only together, as one ZIP archive
(``/api/releases/{releaseVersionId}/files``; data files under ``data/``, supporting
files under ``supporting-files/``, the data guidance as
``data-guidance/data-guidance.txt``). Member names are not stable between releases
(the 2021-22 release named the section 251 table ``..._national3.csv``, and EES's newest
source adds a timestamp to every data file's name), so the wanted table is recognised
the way the readers recognise tables: by the columns of its header
(:class:`MemberRule`). A name pattern may narrow the choice; a layout check may break
a tie between members with the same columns. Exactly one member must remain, else the
archive is refused naming the candidates.

An archive is untrusted input. Nothing is ever extracted under a member's own name
(the chosen member's bytes are copied to a path the caller gives), an archive with a
member name that is absolute or climbs out (``..``) is refused, only the first
:data:`HEADER_BYTES` of a member are read to see its header, and no member is copied
beyond :data:`MAX_MEMBER_BYTES` decompressed, whatever its header declares (a "zip
bomb" stops there).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cscwatch.core.errors import SourceFileError

__all__ = [
    "HEADER_BYTES",
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "ArchiveError",
    "MemberRule",
    "extract_member",
    "is_zip",
]

#: The most a chosen member may decompress to (1 GiB; DfE's largest tidy CSVs are a
#: few hundred MB).
MAX_MEMBER_BYTES = 1 << 30
#: The most members an archive may list.
MAX_MEMBERS = 10_000
#: How much of a member is read to find its header line.
HEADER_BYTES = 1 << 16

_CHUNK = 1 << 16


class ArchiveError(ValueError):
    """An archive that is damaged, hostile, or holds no single member the rule picks."""


@dataclass(frozen=True)
class MemberRule:
    """How to recognise one table among an archive's members.

    Attributes
    ----------
    columns : sequence of sequence of str
        Each inner sequence names alternatives of which the header must hold one
        (``("total_expenditure", "gross_expenditure")``); compared after stripping and
        lower-casing, as the readers do. Empty: any CSV member.
    pattern : str, optional
        A regular expression the member's file name (without folders) must match in
        full; ``None`` leaves names out of the choice.
    check : callable, optional
        Called with an extracted candidate's path when several members have the
        columns; raises ``SourceFileError`` (or ``ValueError``) when the member is not
        the wanted table (e.g. :data:`cscwatch.ingest.finance.LAYOUT_CHECKS`).
    """

    columns: Sequence[Sequence[str]] = ()
    pattern: str | None = None
    check: Callable[[Path], None] | None = field(default=None, compare=False)

    def has_columns(self, header: Sequence[str]) -> bool:
        """Whether ``header`` holds one name of every alternative group."""
        have = {h.strip().lower() for h in header}
        return all(any(a.lower() in have for a in group) for group in self.columns)

    def names_match(self, name: str) -> bool:
        """Whether a member's file name passes :attr:`pattern` (always, without one)."""
        return (
            self.pattern is None or re.fullmatch(self.pattern, PurePosixPath(name).name) is not None
        )

    def describe(self) -> str:
        """The rule in words, for messages."""
        parts = []
        if self.columns:
            parts.append("columns " + ", ".join(" or ".join(group) for group in self.columns))
        if self.pattern is not None:
            parts.append(f"a name matching the pattern {self.pattern}")
        return " and ".join(parts) or "any CSV member"


def is_zip(path: Path) -> bool:
    """Whether ``path`` starts like a ZIP archive (a local file header or an empty one)."""
    with Path(path).open("rb") as fh:
        return fh.read(4) in (b"PK\x03\x04", b"PK\x05\x06")


def extract_member(archive: Path, dest: Path, rule: MemberRule) -> str:
    """Copy the one member of ``archive`` that ``rule`` picks to ``dest``; name it.

    Candidates are the CSV members (name ending ``.csv``, any case) whose name passes
    :attr:`MemberRule.pattern` and whose header has :attr:`MemberRule.columns`. When
    several remain and the rule has a :attr:`MemberRule.check`, each is extracted
    and checked, and those that fail drop out.

    Parameters
    ----------
    archive : Path
        The downloaded archive.
    dest : Path
        Where the member's bytes go (replaced if present). Temporary copies of
        candidates are made beside it and removed.
    rule : MemberRule

    Returns
    -------
    str
        The chosen member's name inside the archive.

    Raises
    ------
    ArchiveError
        When the archive is not a readable ZIP (truncated, damaged), lists more than
        :data:`MAX_MEMBERS` members or a member name that is absolute or holds
        ``..``, when no member or several match, or when the chosen member is
        encrypted, damaged or decompresses beyond :data:`MAX_MEMBER_BYTES`.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            _check_names(infos)
            candidates = [
                info
                for info in infos
                if not info.is_dir()
                and info.filename.lower().endswith(".csv")
                and rule.names_match(info.filename)
                and rule.has_columns(_header(zf, info))
            ]
            if len(candidates) > 1 and rule.check is not None:
                checked = _checked(zf, candidates, dest, rule.check)
                if not checked:
                    names = ", ".join(i.filename for i in candidates)
                    raise ArchiveError(
                        f"{len(candidates)} members of the archive have {rule.describe()}, "
                        f"and none holds the table the reader expects: {names}"
                    )
                candidates = checked
            if not candidates:
                csvs = [i.filename for i in infos if i.filename.lower().endswith(".csv")]
                seen = ", ".join(csvs[:8]) + (" ..." if len(csvs) > 8 else "") or "none"
                raise ArchiveError(
                    f"no member of the archive has {rule.describe()} (CSV members: {seen})"
                )
            if len(candidates) > 1:
                names = ", ".join(i.filename for i in candidates)
                raise ArchiveError(
                    f"{len(candidates)} members of the archive have {rule.describe()}, "
                    f"expected one: {names}"
                )
            chosen = candidates[0]
            _copy(zf, chosen, dest)
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"not a readable ZIP archive (truncated or damaged?): {exc}") from None
    except (zlib.error, EOFError) as exc:
        raise ArchiveError(f"damaged ZIP archive: {exc}") from None
    return chosen.filename


def _check_names(infos: Sequence[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"the archive lists {len(infos)} members, more than {MAX_MEMBERS}")
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise ArchiveError(
                f"the archive holds a member named {info.filename!r}, outside its own "
                "folder; refused as hostile"
            )


def _header(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[str]:
    """The first line of a member as CSV fields; [] when it cannot be read as text."""
    if info.flag_bits & 0x1:
        return []  # encrypted: never a candidate
    try:
        with zf.open(info) as fh:
            head = fh.read(HEADER_BYTES)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        return []
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return []
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return []


def _copy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> None:
    """Stream one member to ``dest``, never past :data:`MAX_MEMBER_BYTES`."""
    if info.flag_bits & 0x1:
        raise ArchiveError(f"member {info.filename} is encrypted")
    if info.file_size > MAX_MEMBER_BYTES:
        raise ArchiveError(
            f"member {info.filename} declares {info.file_size} bytes, more than the "
            f"{MAX_MEMBER_BYTES} allowed"
        )
    written = 0
    try:
        with zf.open(info) as src, Path(dest).open("wb") as out:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > MAX_MEMBER_BYTES:
                    raise ArchiveError(
                        f"member {info.filename} decompresses past the {MAX_MEMBER_BYTES} "
                        "bytes allowed"
                    )
                out.write(chunk)
    except (NotImplementedError, RuntimeError) as exc:
        raise ArchiveError(f"member {info.filename} cannot be read: {exc}") from None
    except ArchiveError:
        Path(dest).unlink(missing_ok=True)
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        Path(dest).unlink(missing_ok=True)
        raise ArchiveError(f"member {info.filename} is damaged: {exc}") from None


def _checked(
    zf: zipfile.ZipFile,
    candidates: Sequence[zipfile.ZipInfo],
    dest: Path,
    check: Callable[[Path], None],
) -> list[zipfile.ZipInfo]:
    """The candidates that pass ``check`` once extracted (to a scratch copy beside dest)."""
    scratch = Path(dest).with_name(f".{Path(dest).name}.candidate")
    kept: list[zipfile.ZipInfo] = []
    try:
        for info in candidates:
            _copy(zf, info, scratch)
            try:
                check(scratch)
            except (SourceFileError, ValueError):
                continue
            kept.append(info)
    finally:
        scratch.unlink(missing_ok=True)
    return kept
