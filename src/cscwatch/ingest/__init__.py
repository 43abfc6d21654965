"""Ingest: one reader per source format, and the bundled snapshot's manifest and refresh."""

from cscwatch.ingest.cin_synth import PublishedFigures, SynthResult, write_synthetic_return
from cscwatch.ingest.fetch import FetchOutcome, FetchReport, fetch_snapshot
from cscwatch.ingest.ofsted_reports import (
    ExtractedReport,
    ExtractionRun,
    ProviderLookup,
    extract_reports,
    load_provider_lookup,
    write_judgements_csv,
)
from cscwatch.ingest.ofsted_text import parse_report_text
from cscwatch.ingest.snapshot import (
    Manifest,
    ManifestEntry,
    SnapshotReport,
    load_manifest,
    refresh_manifest,
    verify_snapshot,
)

__all__ = [
    "ExtractedReport",
    "ExtractionRun",
    "FetchOutcome",
    "FetchReport",
    "Manifest",
    "ManifestEntry",
    "ProviderLookup",
    "PublishedFigures",
    "SnapshotReport",
    "SynthResult",
    "extract_reports",
    "fetch_snapshot",
    "load_manifest",
    "load_provider_lookup",
    "parse_report_text",
    "refresh_manifest",
    "verify_snapshot",
    "write_judgements_csv",
    "write_synthetic_return",
]
