"""Where each snapshot file is downloaded from: address kinds, and what fetch takes.

``cscwatch fetch`` and ``cscwatch fetch --list`` read the manifest's ``url`` through
this module: :func:`address_kind` names the kind of an address, :data:`ARCHIVE_RULES`
says how a table is recognised inside an archive an address serves whole,
:func:`unpacking` says how fetch makes a file from what its address serves, and
:func:`source_addresses` lists every file's address or why it has none. The kinds and
what each serves are described in :mod:`cscwatch.ingest.fetch` and ``docs/snapshot.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from cscwatch.ingest.archive import MemberRule
from cscwatch.ingest.finance import DEFLATOR_FILE, LAYOUT_CHECKS, S251_COLUMNS, S251_CYPS_FILE
from cscwatch.ingest.served_layouts import COLUMN_MAPS
from cscwatch.ingest.snapshot import Manifest, ManifestEntry

__all__ = [
    "ARCHIVE_RULES",
    "AddressKind",
    "SourceAddress",
    "address_kind",
    "skip_reason",
    "source_addresses",
    "unpacking",
]

AddressKind = Literal["api", "catalogue", "release", "pinned", "ons", "other"]

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ADDRESS_FORMS: dict[AddressKind, re.Pattern[str]] = {
    "api": re.compile(rf"https://api\.education\.gov\.uk/statistics/v1/data-sets/{_UUID}/csv"),
    "catalogue": re.compile(
        rf"https://explore-education-statistics\.service\.gov\.uk/data-catalogue/data-set/"
        rf"{_UUID}/csv"
    ),
    "release": re.compile(
        rf"https://content\.explore-education-statistics\.service\.gov\.uk/api/releases/"
        rf"{_UUID}/files(\?fromPage=ReleaseDownloads)?"
    ),
    "pinned": re.compile(r"https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/\S+"),
    "ons": re.compile(
        r"https://www\.ons\.gov\.uk/generator\?format=csv&uri=(/[a-z0-9]+)+/timeseries/"
        r"[a-z0-9]{4}/[a-z0-9]+"
    ),
}

#: Files a download address may serve inside a ZIP archive with other files, and how
#: the wanted member is recognised (:class:`cscwatch.ingest.archive.MemberRule`): by
#: the reader's columns and, where several members have them, by the reader's layout
#: check. A CSV file not listed here that arrives as an archive is picked by the
#: current file's columns.
ARCHIVE_RULES: Mapping[str, MemberRule] = {
    S251_CYPS_FILE: MemberRule(columns=S251_COLUMNS, check=LAYOUT_CHECKS[S251_CYPS_FILE]),
}


def skip_reason(entry: ManifestEntry) -> str:
    """Why ``cscwatch fetch`` does not download ``entry`` from its manifest address.

    A derived file is remade by a command, never downloaded; a published file without
    ``url`` has no known download address (its ``note`` says what was searched).
    """
    if entry.kind == "derived":
        return f"derived file, not downloaded; remake it with: {entry.command}"
    what = (
        "optional file with no known download address"
        if entry.optional
        else ("no known download address")
    )
    return f"{what} (manifest note says why); pass --url {entry.file}=URL"


@dataclass(frozen=True)
class SourceAddress:
    """One manifest file's download address, or why it has none.

    ``status`` is ``url`` (fetched from ``url``), ``derived`` (remade by ``command``)
    or ``none`` (no known address; ``reason`` and the manifest ``note`` say why).
    ``kind`` is the address's kind (:func:`address_kind`) when there is one;
    ``layout`` names the renamed layout the address may serve, which fetch maps back
    to the bundled columns (:data:`cscwatch.ingest.served_layouts.COLUMN_MAPS`);
    ``unpacked`` says how fetch makes the file from what a ``release`` or ``ons``
    address serves (:func:`unpacking`).
    """

    file: str
    publisher: str
    status: Literal["url", "derived", "none"]
    url: str | None
    url_confirmed: str | None
    reason: str | None
    optional: bool
    kind: AddressKind | None = None
    layout: str | None = None
    unpacked: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)


def address_kind(url: str) -> AddressKind:
    """The kind of a download address.

    ``api`` (DfE's statistics API, a data set's latest version), ``catalogue`` (the
    EES data catalogue download of one release's file), ``release`` (the ZIP archive
    of every file of one EES release version), ``pinned`` (a public repository file
    at one commit), ``ons`` (an ONS time series' CSV, always its latest figures) or
    ``other`` (anything else, e.g. ``--url``).
    """
    for kind, form in _ADDRESS_FORMS.items():
        if form.fullmatch(url):
            return kind
    return "other"


def unpacking(file: str, url: str) -> str | None:
    """How fetch makes ``file`` from what ``url`` serves, when not as it is.

    A ``release`` address serves a ZIP archive (the member with the reader's columns is
    taken); an ``ons`` address serving the GDP deflator is made into financial years.
    """
    kind = address_kind(url)
    if kind == "release":
        rule = ARCHIVE_RULES.get(file)
        what = rule.describe() if rule is not None else "the current file's columns"
        return f"the one CSV member of the release's ZIP archive with {what}"
    if kind == "ons" and file == DEFLATOR_FILE:
        return (
            "financial-year means of the series' quarters, rebased to the latest complete "
            "year = 100 (not HM Treasury's file)"
        )
    return None


def source_addresses(manifest: Manifest) -> list[SourceAddress]:
    """Every manifest file's download address, in manifest order (``cscwatch fetch --list``)."""
    out: list[SourceAddress] = []
    for e in manifest.files:
        status: Literal["url", "derived", "none"] = (
            "derived" if e.kind == "derived" else "url" if e.url else "none"
        )
        out.append(
            SourceAddress(
                file=e.file,
                publisher=e.publisher,
                status=status,
                url=e.url if status == "url" else None,
                url_confirmed=e.url_confirmed if status == "url" else None,
                reason=None if status == "url" else skip_reason(e),
                optional=bool(e.optional),
                kind=address_kind(e.url) if status == "url" and e.url else None,
                layout=(
                    COLUMN_MAPS[e.file].served_by
                    if status == "url" and e.file in COLUMN_MAPS
                    else None
                ),
                unpacked=unpacking(e.file, e.url) if status == "url" and e.url else None,
            )
        )
    return out
