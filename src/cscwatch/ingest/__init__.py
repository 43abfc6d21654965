"""Ingest: one reader per source format, and the bundled snapshot's manifest and refresh.

Names are exported lazily (PEP 562): a command that needs one module does not pay for
importing every reader. To add an export, add it to ``_EXPORTS``, the ``TYPE_CHECKING``
imports and ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cscwatch.ingest.fetch import (
        FetchOutcome,
        FetchReport,
        fetch_snapshot,
    )
    from cscwatch.ingest.ofsted_reports import (
        ExtractedReport,
        ExtractionRun,
        ProviderLookup,
        extract_reports,
        load_provider_lookup,
        write_judgements_csv,
    )
    from cscwatch.ingest.ofsted_text import (
        parse_report_text,
    )
    from cscwatch.ingest.snapshot import (
        Manifest,
        ManifestEntry,
        SnapshotReport,
        load_manifest,
        refresh_manifest,
        verify_snapshot,
    )

#: Public name → the module that defines it (imported on first use).
_EXPORTS: dict[str, str] = {
    "ExtractedReport": "cscwatch.ingest.ofsted_reports",
    "ExtractionRun": "cscwatch.ingest.ofsted_reports",
    "FetchOutcome": "cscwatch.ingest.fetch",
    "FetchReport": "cscwatch.ingest.fetch",
    "Manifest": "cscwatch.ingest.snapshot",
    "ManifestEntry": "cscwatch.ingest.snapshot",
    "ProviderLookup": "cscwatch.ingest.ofsted_reports",
    "SnapshotReport": "cscwatch.ingest.snapshot",
    "extract_reports": "cscwatch.ingest.ofsted_reports",
    "fetch_snapshot": "cscwatch.ingest.fetch",
    "load_manifest": "cscwatch.ingest.snapshot",
    "load_provider_lookup": "cscwatch.ingest.ofsted_reports",
    "parse_report_text": "cscwatch.ingest.ofsted_text",
    "refresh_manifest": "cscwatch.ingest.snapshot",
    "verify_snapshot": "cscwatch.ingest.snapshot",
    "write_judgements_csv": "cscwatch.ingest.ofsted_reports",
}

__all__ = [
    "ExtractedReport",
    "ExtractionRun",
    "FetchOutcome",
    "FetchReport",
    "Manifest",
    "ManifestEntry",
    "ProviderLookup",
    "SnapshotReport",
    "extract_reports",
    "fetch_snapshot",
    "load_manifest",
    "load_provider_lookup",
    "parse_report_text",
    "refresh_manifest",
    "verify_snapshot",
    "write_judgements_csv",
]


def __getattr__(name: str) -> Any:
    """Import the defining module on first use, so importing the package stays cheap."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
