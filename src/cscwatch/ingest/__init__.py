"""Ingest: one reader per source format, and the bundled snapshot's manifest and refresh."""

from cscwatch.ingest.snapshot import (
    Manifest,
    ManifestEntry,
    SnapshotReport,
    load_manifest,
    refresh_manifest,
    verify_snapshot,
)

__all__ = [
    "Manifest",
    "ManifestEntry",
    "SnapshotReport",
    "load_manifest",
    "refresh_manifest",
    "verify_snapshot",
]
